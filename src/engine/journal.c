/* The event journal's writer (see engine/journal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "engine/journal.h"

void hull_event_at(const char *root, const char *type, const char *action, const char *id, const json_t *attrs) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  cleanup_json json_t *a = attrs ? json_deep_copy(attrs) : json_object();
  cleanup_json json_t *ev =
      json_pack("{s:s, s:s, s:{s:s, s:O}, s:s, s:I, s:I}", "Type", type, "Action", action, "Actor", "ID", id,
                "Attributes", a, "scope", "local", "time", (json_int_t)(now / 1000000000), "timeNano", (json_int_t)now);
  if (ev == NULL)
    return;
  /* Docker's older fields, still read by scripts. */
  if (strcmp(type, "container") == 0) {
    json_object_set_new(ev, "status", json_string(action));
    json_object_set_new(ev, "id", json_string(id));
    const char *img = json_string_value(json_object_get(a, "image"));
    if (img)
      json_object_set_new(ev, "from", json_string(img));
  }
  cleanup_free char *line = json_dumps(ev, JSON_COMPACT);
  cleanup_free char *path = NULL;
  if (line == NULL || asprintf(&path, "%s/events.jsonl", root) < 0)
    return;
  size_t len = strlen(line);
  line[len] = '\n'; /* json_dumps leaves room for the NUL, which becomes the newline */
  cleanup_close int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > HULL_EVENTS_MAX_SIZE) {
    /* Rotation: whoever renames first wins; a writer still holding the old file appends
     * to the generation kept, which a reader of both sees. */
    cleanup_free char *old = NULL;
    if (asprintf(&old, "%s.1", path) >= 0 && rename(path, old) == 0) {
      close(fd);
      fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
  }
  if (fd < 0 || write(fd, line, len + 1) != (ssize_t)(len + 1))
    hull_debug("event %s %s %s not recorded: %m", type, action, id);
}
