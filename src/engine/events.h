/* The event journal behind `hull events`: <root>/events.jsonl, one JSON object per line in
 * Docker's shape ({"Type","Action","Actor":{"ID","Attributes"},"time","timeNano",...}),
 * appended with one write(2) each under O_APPEND so that concurrent hull processes never
 * interleave lines. Recording is best effort: an event that cannot be written is logged at
 * debug level and never fails the command that caused it. When the journal passes 8 MiB
 * it is renamed to events.jsonl.1 (one generation kept) and a new one begins. */
#ifndef HULL_ENGINE_EVENTS_H
#define HULL_ENGINE_EVENTS_H

#include <jansson.h>

#include "engine/engine.h"

#define HULL_EVENTS_MAX_SIZE (8 << 20)

/* type: container, image, volume; attrs (may be NULL) are added to Actor.Attributes. */
void hull_event(hull_engine *e, const char *type, const char *action, const char *id, const json_t *attrs);
/* The same for a container: name and image as Attributes, like Docker's. */
void hull_event_ctr(hull_engine *e, const hull_ctr *c, const char *action, const json_t *extra);
/* The same with only a store root (for code that has no engine open, e.g. a monitor). */
void hull_event_at(const char *root, const char *type, const char *action, const char *id, const json_t *attrs);

#endif
