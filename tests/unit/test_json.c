/* The typed JSON getters of src/common/json.c: presence, null, wrong types, ranges and
 * the JSON path every error names. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "tap.h"

static json_t *doc(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, 0, &je);
  if (j == NULL) {
    fprintf(stderr, "bad test JSON: %s\n", je.text);
    exit(2);
  }
  return j;
}

/* Whether err is set with exactly msg, then releases it. */
static bool err_is(hull_err *err, const char *msg) {
  bool same = *err != NULL && strcmp((*err)->msg, msg) == 0;
  if (*err && !same)
    printf("# got \"%s\", want \"%s\"\n", (*err)->msg, msg);
  hull_error_release(err);
  return same;
}

/* Whether no error is set; an unexpected one is shown and released (so that a failure is
 * a "not ok" line, not a leak). */
static bool no_err(hull_err *err) {
  if (*err)
    printf("# unexpected error \"%s\"\n", (*err)->msg);
  bool none = *err == NULL;
  hull_error_release(err);
  return none;
}

/* ok() of cond that also checks that cond's getters set no error (evaluated after them). */
#define ok_noerr(cond, ...)                                                                                            \
  do {                                                                                                                 \
    bool cond_ = (cond);                                                                                               \
    ok(no_err(&err) && cond_, __VA_ARGS__);                                                                            \
  } while (0)

static void test_string(void) {
  cleanup_json json_t *j = doc("{\"cwd\": \"/x\", \"n\": null, \"i\": 3}");
  hull_err err = NULL;
  const char *s = "default";
  ok_noerr(hull_json_get_string(j, "process", "cwd", &s, &err) == 1 && strcmp(s, "/x") == 0 && err == NULL,
           "string: present");
  s = "default";
  ok(hull_json_get_string(j, "process", "missing", &s, &err) == 0 && strcmp(s, "default") == 0 && err == NULL &&
         no_err(&err),
     "string: absent leaves the default");
  ok_noerr(hull_json_get_string(j, "process", "n", &s, &err) == 0 && strcmp(s, "default") == 0 && err == NULL,
           "string: null is absent");
  ok(hull_json_get_string(j, "process", "i", &s, &err) == -1 && err_is(&err, "process.i: expected a string"),
     "string: wrong type names process.i");
  ok(hull_json_get_string(j, NULL, "i", &s, &err) == -1 && err_is(&err, "i: expected a string"),
     "string: top-level key named without a leading dot (NULL)");
  ok(hull_json_get_string(j, "", "i", &s, &err) == -1 && err_is(&err, "i: expected a string"),
     "string: top-level key named without a leading dot (\"\")");
  char *d = NULL;
  ok_noerr(hull_json_dup_string(j, "process", "cwd", &d, &err) == 1 && d && strcmp(d, "/x") == 0 && d != s,
           "dup_string: a copy");
  free(d);
  d = NULL;
  ok_noerr(hull_json_dup_string(j, "process", "missing", &d, &err) == 0 && d == NULL, "dup_string: absent");
  ok(hull_json_dup_string(j, "mounts[2]", "i", &d, &err) == -1 && d == NULL &&
         err_is(&err, "mounts[2].i: expected a string"),
     "dup_string: wrong type names mounts[2].i");
  ok_noerr(hull_json_get_string(NULL, "x", "cwd", &s, &err) == 0 && err == NULL, "string: a NULL object has nothing");
  cleanup_json json_t *arr = doc("[1]");
  ok_noerr(hull_json_get_string(arr, "x", "cwd", &s, &err) == 0 && err == NULL, "string: an array has no members");
}

static void test_bool_int(void) {
  cleanup_json json_t *j = doc("{\"t\": true, \"f\": false, \"s\": \"yes\", \"i\": -5, \"big\": 70000, \"r\": 1.5}");
  hull_err err = NULL;
  bool b = false;
  ok_noerr(hull_json_get_bool(j, "root", "t", &b, &err) == 1 && b, "bool: true");
  ok_noerr(hull_json_get_bool(j, "root", "f", &b, &err) == 1 && !b, "bool: false");
  b = true;
  ok_noerr(hull_json_get_bool(j, "root", "none", &b, &err) == 0 && b, "bool: absent leaves the default");
  ok(hull_json_get_bool(j, "root", "s", &b, &err) == -1 && err_is(&err, "root.s: expected a boolean"),
     "bool: a string is refused");
  long long v = 42;
  ok_noerr(hull_json_get_int(j, "w", "i", &v, &err) == 1 && v == -5, "int: negative");
  v = 42;
  ok_noerr(hull_json_get_int(j, "w", "none", &v, &err) == 0 && v == 42, "int: absent leaves the default");
  ok(hull_json_get_int(j, "linux.resources.memory", "r", &v, &err) == -1 &&
         err_is(&err, "linux.resources.memory.r: expected an integer"),
     "int: a real is not an integer");
  ok(hull_json_get_int(j, "w", "t", &v, &err) == -1 && err_is(&err, "w.t: expected an integer"),
     "int: a boolean is not an integer");
  v = 7;
  ok(hull_json_get_int_range(j, "process.consoleSize", "big", 0, 65535, &v, &err) == -1 && v == 7 &&
         err_is(&err, "process.consoleSize.big: 70000 is out of range"),
     "int_range: above max is refused, value untouched");
  ok(hull_json_get_int_range(j, "w", "i", 0, 10, &v, &err) == -1 && err_is(&err, "w.i: -5 is out of range"),
     "int_range: below min is refused");
  ok_noerr(hull_json_get_int_range(j, "w", "i", -5, -5, &v, &err) == 1 && v == -5,
           "int_range: the bounds are inclusive");
  ok_noerr(hull_json_get_int_range(j, "w", "none", 0, 1, &v, &err) == 0 && v == -5, "int_range: absent");
}

static void test_object_array(void) {
  cleanup_json json_t *j = doc("{\"o\": {\"a\": 1}, \"a\": [1, 2], \"n\": null, \"s\": \"x\"}");
  hull_err err = NULL;
  json_t *o = NULL;
  ok_noerr(hull_json_get_object(j, "linux", "o", &o, &err) == 1 && json_is_object(o), "object: present");
  o = NULL;
  ok_noerr(hull_json_get_object(j, "linux", "n", &o, &err) == 0 && o == NULL, "object: null is absent");
  ok(hull_json_get_object(j, "linux", "a", &o, &err) == -1 && o == NULL && err_is(&err, "linux.a: expected an object"),
     "object: an array is not an object");
  ok_noerr(hull_json_get_array(j, "linux", "a", &o, &err) == 1 && json_array_size(o) == 2, "array: present");
  ok(hull_json_get_array(j, "linux", "o", &o, &err) == -1 && err_is(&err, "linux.o: expected an array"),
     "array: an object is not an array");
  ok(hull_json_get_array(j, "linux", "s", &o, &err) == -1 && err_is(&err, "linux.s: expected an array"),
     "array: a string is not an array");
}

static void test_strv(void) {
  cleanup_json json_t *j = doc("{\"args\": [\"sh\", \"-c\", \"\"], \"bad\": [\"a\", 1], \"empty\": [], \"s\": \"x\"}");
  hull_err err = NULL;
  cleanup_strv char **v = NULL;
  ok_noerr(hull_json_get_strv(j, "process", "args", &v, &err) == 1 && v && strcmp(v[0], "sh") == 0 &&
               strcmp(v[1], "-c") == 0 && strcmp(v[2], "") == 0 && v[3] == NULL,
           "strv: copies, NULL-terminated");
  char **none = NULL;
  ok_noerr(hull_json_get_strv(j, "process", "env", &none, &err) == 0 && none == NULL, "strv: absent");
  ok(hull_json_get_strv(j, "process", "bad", &none, &err) == -1 && none == NULL &&
         err_is(&err, "process.bad[1]: expected a string"),
     "strv: a non-string element is named with its index");
  ok(hull_json_get_strv(j, "process", "s", &none, &err) == -1 && err_is(&err, "process.s: expected an array"),
     "strv: a string is not an array");
  cleanup_strv char **e = NULL;
  ok_noerr(hull_json_get_strv(j, "hooks.prestart[0]", "empty", &e, &err) == 1 && e && e[0] == NULL,
           "strv: an empty array is an empty vector");
}

int main(void) {
  /* Line-buffered: a leak report at exit must not swallow the TAP lines. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  test_string();
  test_bool_int();
  test_object_array();
  test_strv();
  return tap_done();
}
