/* The event journal behind `hull events`: <root>/events.jsonl, one JSON object per line in
 * Docker's shape ({"Type","Action","Actor":{"ID","Attributes"},"time","timeNano",...}),
 * appended with one write(2) each under O_APPEND so that concurrent writers (hull
 * commands, every container's monitor) never interleave lines. Recording is best effort:
 * an event that cannot be written is logged at debug level and never fails what caused
 * it. When the journal passes 8 MiB it is renamed to events.jsonl.1 (one generation kept)
 * and a new one begins. This file needs jansson and src/common only, so that hull-monitor
 * can record a container's die and oom events without linking the engine. */
#ifndef HULL_ENGINE_JOURNAL_H
#define HULL_ENGINE_JOURNAL_H

#include <jansson.h>

#define HULL_EVENTS_MAX_SIZE (8 << 20)

/* Appends one event to <root>/events.jsonl; type: container, image, volume; attrs (may be
 * NULL) become Actor.Attributes. */
void hull_event_at(const char *root, const char *type, const char *action, const char *id, const json_t *attrs);

#endif
