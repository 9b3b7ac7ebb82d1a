/* Errors carry a stable errno that callers test; the text is for people (and for the
 * programs that match runc's texts, which therefore stay exactly as they are). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "runtime/status.h"
#include "tap.h"

/* The error's errno and its whole text: e is released. */
static bool is(hull_err *e, int errno_, const char *text) {
  bool r = *e != NULL && (*e)->errno_ == errno_ && strcmp((*e)->msg, text) == 0;
  if (!r)
    printf("# got errno %d, \"%s\"\n", *e ? (*e)->errno_ : -1, *e ? (*e)->msg : "(no error)");
  hull_error_release(e);
  return r;
}

int main(void) {
  hull_err e = NULL;
  ok(hull_error_code(&e, ENOENT, "thing %s is gone", "x") == -1 && is(&e, ENOENT, "thing x is gone"),
     "hull_error_code carries the errno without adding its text");
  ok(hull_error(&e, ENOENT, "open %s", "/x") == -1 && is(&e, ENOENT, "open /x: No such file or directory"),
     "hull_error adds the errno's text");

  char root[] = "/tmp/hull-test-status-XXXXXX";
  if (mkdtemp(root) == NULL) {
    ok(0, "mkdtemp");
    return tap_done();
  }
  struct hull_state *st = NULL;
  ok(hull_state_load(root, "nope", &st, &e) < 0 && st == NULL && is(&e, ENOENT, "container nope does not exist"),
     "state of a missing container: ENOENT, runc's text");
  ok(hull_state_lock(root, "nope", &e) < 0 && is(&e, ENOENT, "container nope does not exist"),
     "lock of a missing container: ENOENT, runc's text");
  /* create builds the directory aside (with its state in it) and renames it into place. */
  char name[64];
  int d1 = hull_state_dir_begin(root, 3, name, sizeof(name), &e);
  int f1 = d1 < 0 ? -1 : openat(d1, "state.json", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (f1 >= 0)
    close(f1);
  ok(d1 >= 0 && f1 >= 0 && hull_state_dir_publish(root, name, "c1", &e) == 0, "the id is taken");
  hull_error_release(&e);
  if (d1 >= 0)
    close(d1);
  int d2 = hull_state_dir_begin(root, 3, name, sizeof(name), &e);
  ok(d2 >= 0 && hull_state_dir_publish(root, name, "c1", &e) < 0 &&
         is(&e, EEXIST, "container with id c1 already exists"),
     "a taken id: EEXIST, runc's text");
  if (d2 >= 0)
    close(d2);
  hull_state_dir_abandon(root, name);

  /* Something else than a missing container is not ENOENT, whatever its text says. */
  char file[256];
  snprintf(file, sizeof(file), "%s/c2", root);
  int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0)
    close(fd);
  int lock = hull_state_lock(root, "c2", &e);
  ok(lock < 0 && e && e->errno_ == ENOTDIR, "an id that is not a directory: ENOTDIR, not ENOENT");
  hull_error_release(&e);

  ok(hull_state_dir_remove(root, "c1", &e) == 0, "remove the state dir");
  hull_error_release(&e);
  unlink(file);
  rmdir(root);
  return tap_done();
}
