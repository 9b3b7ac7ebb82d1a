/* The engine's side of the event journal (engine/journal.h has the file and its format). */
#ifndef HULL_ENGINE_EVENTS_H
#define HULL_ENGINE_EVENTS_H

#include <jansson.h>

#include "engine/engine.h"
#include "engine/journal.h"

/* type: container, image, volume; attrs (may be NULL) are added to Actor.Attributes. */
void hull_event(hull_engine *e, const char *type, const char *action, const char *id, const json_t *attrs);
/* The same for a container: hull_event_ctr_attrs as Attributes, like Docker's. */
/* A container event's attributes: extra (may be NULL), the container's labels, "name" and
 * "image", as dockerd's; NULL when out of memory. */
json_t *hull_event_ctr_attrs(const hull_ctr *c, const json_t *extra);
void hull_event_ctr(hull_engine *e, const hull_ctr *c, const char *action, const json_t *extra);

#endif
