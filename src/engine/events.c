/* The event journal: see events.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "engine/events.h"

void hull_event(hull_engine *e, const char *type, const char *action, const char *id, const json_t *attrs) {
  hull_event_at(e->root, type, action, id, attrs);
}

json_t *hull_event_ctr_attrs(const hull_ctr *c, const json_t *extra) {
  json_t *a = extra ? json_deep_copy(extra) : json_object();
  if (a == NULL)
    return NULL;
  /* dockerd's attributes: the container's labels (over the action's own, as its
   * copyAttributes does), then image and name; `events --filter label=` matches them. */
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(c->config, "Labels"), k, v) if (json_is_string(v)) json_object_set(a, k, v);
  if (c->name)
    json_object_set_new(a, "name", json_string(c->name[0] == '/' ? c->name + 1 : c->name));
  if (c->image_name)
    json_object_set_new(a, "image", json_string(c->image_name));
  return a;
}

void hull_event_ctr(hull_engine *e, const hull_ctr *c, const char *action, const json_t *extra) {
  cleanup_json json_t *a = hull_event_ctr_attrs(c, extra);
  if (a)
    hull_event(e, "container", action, c->id, a);
}
