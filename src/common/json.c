/* Typed JSON getters (see json.h). */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* "WHERE." or "" for the document itself: the prefix of the key in errors. */
#define DOT(where) ((where) && *(where) ? "." : "")
#define WHERE(where) ((where) ? (where) : "")

/* The member, NULL when absent or null. */
static json_t *member(json_t *obj, const char *key) {
  json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  return json_is_null(v) ? NULL : v;
}

static int wrong_type(const char *where, const char *key, const char *what, hull_err *err) {
  return hull_error(err, 0, "%s%s%s: expected %s", WHERE(where), DOT(where), key, what);
}

int hull_json_get_string(json_t *obj, const char *where, const char *key, const char **out, hull_err *err) {
  json_t *v = member(obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_string(v))
    return wrong_type(where, key, "a string", err);
  *out = json_string_value(v);
  return 1;
}

int hull_json_dup_string(json_t *obj, const char *where, const char *key, char **out, hull_err *err) {
  const char *s = NULL;
  int r = hull_json_get_string(obj, where, key, &s, err);
  if (r <= 0)
    return r;
  if ((*out = strdup(s)) == NULL)
    return hull_error(err, ENOMEM, "%s%s%s", WHERE(where), DOT(where), key);
  return 1;
}

int hull_json_get_bool(json_t *obj, const char *where, const char *key, bool *out, hull_err *err) {
  json_t *v = member(obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_boolean(v))
    return wrong_type(where, key, "a boolean", err);
  *out = json_is_true(v);
  return 1;
}

int hull_json_get_int(json_t *obj, const char *where, const char *key, long long *out, hull_err *err) {
  json_t *v = member(obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_integer(v))
    return wrong_type(where, key, "an integer", err);
  *out = json_integer_value(v);
  return 1;
}

int hull_json_get_int_range(json_t *obj, const char *where, const char *key, long long min, long long max,
                            long long *out, hull_err *err) {
  long long n = 0;
  int r = hull_json_get_int(obj, where, key, &n, err);
  if (r <= 0)
    return r;
  if (n < min || n > max)
    return hull_error(err, 0, "%s%s%s: %lld is out of range", WHERE(where), DOT(where), key, n);
  *out = n;
  return 1;
}

static int get_typed(json_t *obj, const char *where, const char *key, bool array, json_t **out, hull_err *err) {
  json_t *v = member(obj, key);
  if (v == NULL)
    return 0;
  if (array ? !json_is_array(v) : !json_is_object(v))
    return wrong_type(where, key, array ? "an array" : "an object", err);
  *out = v;
  return 1;
}

int hull_json_get_object(json_t *obj, const char *where, const char *key, json_t **out, hull_err *err) {
  return get_typed(obj, where, key, false, out, err);
}

int hull_json_get_array(json_t *obj, const char *where, const char *key, json_t **out, hull_err *err) {
  return get_typed(obj, where, key, true, out, err);
}

int hull_json_get_strv(json_t *obj, const char *where, const char *key, char ***out, hull_err *err) {
  json_t *a = NULL;
  int r = hull_json_get_array(obj, where, key, &a, err);
  if (r <= 0)
    return r;
  size_t n = json_array_size(a);
  cleanup_strv char **v = calloc(n + 1, sizeof(char *));
  if (v == NULL)
    return hull_error(err, ENOMEM, "%s%s%s", WHERE(where), DOT(where), key);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(a, i);
    if (!json_is_string(s))
      return hull_error(err, 0, "%s%s%s[%zu]: expected a string", WHERE(where), DOT(where), key, i);
    if ((v[i] = strdup(json_string_value(s))) == NULL)
      return hull_error(err, ENOMEM, "%s%s%s[%zu]", WHERE(where), DOT(where), key, i);
  }
  *out = steal_pointer(&v);
  return 1;
}
