/* seccomp: linux.seccomp compiled with libseccomp in the runtime (errors before
 * anything is created) and loaded in the container's child as the last step. */
#ifndef HULL_SECCOMP_H
#define HULL_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../common/error.h"

typedef struct hull_seccomp hull_seccomp;

/* Validates and compiles the profile (NULL or JSON null: *out = NULL, no filter).
 * The result holds the exported BPF program, so that loading it in the child needs
 * no allocation and no libseccomp call. Errors name the JSON path
 * (`linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`). */
int hull_seccomp_compile(json_t *profile, hull_seccomp **out, hull_err *err) HULL_WUR;
/* Same, reusing the BPF stored under cache_dir/<hash>.bpf by an earlier call with the
 * same profile, libseccomp version and native architecture (the profile is still
 * validated). A miss compiles and stores the result atomically; a cache that cannot be
 * read or written is not an error. cache_dir NULL: no cache. */
int hull_seccomp_compile_cached(json_t *profile, const char *cache_dir, hull_seccomp **out, hull_err *err) HULL_WUR;
/* The cache directory of a state root, ROOT/.seccomp-cache, in buf (a leading dot: no
 * container id can name it). NULL (no cache) when it does not fit. */
const char *hull_seccomp_cache_dir(const char *root, char *buf, size_t len);
/* Loads the filter into the calling thread. When the profile has a notify action,
 * *listener_fd receives the listener fd (else -1). Requires no_new_privs or CAP_SYS_ADMIN.
 * Allocates nothing unless it fails. */
int hull_seccomp_load(hull_seccomp *s, int *listener_fd, hull_err *err) HULL_WUR;
/* Runs the compiled program, in user space, on the syscalls the runtime itself makes
 * after loading it (execve always; with early_load, the user, capability and sync
 * syscalls made between loading and execve when no_new_privs is off), with every
 * argument 0. A profile that kills, traps or fails one of them would make the container
 * fail half-way, or die without a word: it is refused here, before anything exists. */
int hull_seccomp_check_runtime(hull_seccomp *s, bool early_load, hull_err *err) HULL_WUR;
/* Joining an existing pid namespace, the first stage loads the filter (with or without
 * no_new_privs), then forks the process that joins it and reports its pid, which looks
 * its executable up and (with a terminal) takes its controlling terminal (init.c,
 * setup_unseen): the syscalls for that must be allowed too, checked like
 * hull_seccomp_check_runtime's. */
int hull_seccomp_check_joining(hull_seccomp *s, bool terminal, hull_err *err) HULL_WUR;
/* True when the filter allows (or only logs) the syscall `name` with all args 0, or
 * when there is no filter. */
bool hull_seccomp_allows(hull_seccomp *s, const char *name);
/* Evaluates the program on one syscall of the native architecture (all args 0) and
 * returns the filter's 32-bit result; for tests. */
uint32_t hull_seccomp_eval(hull_seccomp *s, int nr);
/* listenerPath and listenerMetadata from the profile (NULL if none). */
const char *hull_seccomp_listener_path(hull_seccomp *s);
const char *hull_seccomp_listener_metadata(hull_seccomp *s);
/* True when the profile uses SCMP_ACT_NOTIFY: loading it yields a listener fd. */
bool hull_seccomp_notify_p(hull_seccomp *s);
/* The compiled program (an array of struct sock_filter, *len bytes), for tests and
 * diagnostics. */
const void *hull_seccomp_bpf(hull_seccomp *s, size_t *len);
void hull_seccomp_free(hull_seccomp *s);

#endif
