/* OCI hooks: each gets the state JSON on stdin; timeouts are enforced. */
#ifndef HULL_HOOKS_H
#define HULL_HOOKS_H

#include <stdbool.h>

#include <jansson.h>

#include "../common/error.h"

/* Runs hooks[kind] (e.g. "prestart") in order; stops at the first failure. */
int hull_hooks_run(json_t *hooks, const char *kind, const char *state_json, hull_err *err) HULL_WUR;
/* Same, but a failure is only logged as a warning (poststart, poststop). */
void hull_hooks_run_warn(json_t *hooks, const char *kind, const char *state_json);
/* Whether hooks has at least one hook of any of kinds (a NULL-terminated list). */
bool hull_hooks_any(json_t *hooks, const char *const kinds[]);
/* Validates the hooks object (paths absolute, timeout positive) before create. */
int hull_hooks_validate(json_t *hooks, hull_err *err) HULL_WUR;

#endif
