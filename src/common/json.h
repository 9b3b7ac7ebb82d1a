/* Typed getters for the members of a JSON object (jansson), shared by every parser of
 * config.json, linux.resources, hooks and state.json, so that a malformed document is
 * reported the same way everywhere: by its JSON path and what was expected there.
 *
 * where is the JSON path of obj ("process", "linux.resources.memory", "mounts[3]"; NULL or
 * "" for the document itself); errors name where.key: "process.cwd: expected a string".
 * Every getter returns 1 when key is present, 0 when it is absent or null (then *out is left
 * as it was, so callers preset defaults), and -1 with err set when it has another type.
 * obj may be NULL (everything is absent then). */
#ifndef HULL_JSON_H
#define HULL_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

/* *out borrows the string from obj. */
int hull_json_get_string(json_t *obj, const char *where, const char *key, const char **out, hull_err *err) HULL_WUR;
/* *out is a malloc'ed copy (the caller frees it; a previous value is not freed). */
int hull_json_dup_string(json_t *obj, const char *where, const char *key, char **out, hull_err *err) HULL_WUR;
int hull_json_get_bool(json_t *obj, const char *where, const char *key, bool *out, hull_err *err) HULL_WUR;
int hull_json_get_int(json_t *obj, const char *where, const char *key, long long *out, hull_err *err) HULL_WUR;
/* As hull_json_get_int; a value outside [min, max] is an error too ("WHERE.KEY: N is out
 * of range"). */
int hull_json_get_int_range(json_t *obj, const char *where, const char *key, long long min, long long max,
                            long long *out, hull_err *err) HULL_WUR;
/* *out borrows the object or array from obj. */
int hull_json_get_object(json_t *obj, const char *where, const char *key, json_t **out, hull_err *err) HULL_WUR;
int hull_json_get_array(json_t *obj, const char *where, const char *key, json_t **out, hull_err *err) HULL_WUR;
/* An array of strings as a NULL-terminated malloc'ed vector of copies (free it with
 * cleanup_strv of cleanup.h); an element that is not a string is an error naming it
 * ("WHERE.KEY[I]: expected a string"). */
int hull_json_get_strv(json_t *obj, const char *where, const char *key, char ***out, hull_err *err) HULL_WUR;

#endif
