/* Cleanup attributes (bubblewrap/systemd style). Every owned resource starts as
 * NULL / -1; ownership moves only through steal_pointer() / take_fd(). */
#ifndef HULL_CLEANUP_H
#define HULL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"

static inline void cleanup_freep(void *p) {
  void **pp = (void **)p;
  free(*pp);
}
static inline void cleanup_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void cleanup_filep(FILE **f) {
  if (*f)
    fclose(*f);
}
static inline void cleanup_dirp(DIR **d) {
  if (*d)
    closedir(*d);
}
static inline void cleanup_jsonp(json_t **j) {
  if (*j)
    json_decref(*j);
}
static inline void cleanup_strvp(char ***v) {
  if (*v) {
    for (char **p = *v; *p; p++)
      free(*p);
    free(*v);
  }
}

/* An error released on purpose at the end of its scope: a local error a caller looked at
 * and decided to drop (best effort), never one that should have been passed up. */
static inline void cleanup_errp(hull_err *e) { hull_error_release(e); }

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_file __attribute__((cleanup(cleanup_filep)))
#define cleanup_dir __attribute__((cleanup(cleanup_dirp)))
#define cleanup_json __attribute__((cleanup(cleanup_jsonp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))
#define cleanup_err __attribute__((cleanup(cleanup_errp)))

static inline void *steal_pointer_(void *pp) {
  void **p = (void **)pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))steal_pointer_(pp))

static inline int take_fd(int *fd) {
  int r = *fd;
  *fd = -1;
  return r;
}

#endif
