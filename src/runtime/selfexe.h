/* Protection of the runtime binary against CVE-2019-5736.
 *
 * The runtime's child enters the container before it executes the container's process,
 * and until then /proc/PID/exe of that child is the runtime binary. A container
 * process that opens it (or a container whose /bin/sh is a symlink to /proc/self/exe,
 * so that the runtime's own execve runs the runtime binary again inside the container)
 * gets a handle on the host's binary and can rewrite it once it is no longer busy: the
 * next `hull-runtime` on the host then runs the attacker's code as root.
 *
 * The cheapest cure for a runtime that forks instead of re-executing itself for every
 * container: execute the commands that enter containers (create, run, exec) from a
 * sealed in-memory copy of the binary. Every /proc/PID/exe a container can ever see is
 * then that copy, which can be neither written nor resized, and the host file is never
 * referenced. bench/lifecycle.sh measures what the extra execve costs.
 *
 * The library never re-executes its caller: create and exec refuse to run a container
 * (errno HULL_RT_ENEEDSEAL) unless the caller runs from a sealed copy already
 * (hull_rt_seal_self, which hull-runtime's main calls for create and exec), or the
 * container needs none:
 * `run` of a container with a new pid namespace (container.c decides, once config.json
 * is read): no process of the container exists
 * until its init executes the container's process, `exec` cannot join it before that
 * (its state is recorded only then), and the init runs that process through hull-exec
 * (trampoline/hull-exec.c), a tiny freestanding program executed from a sealed memfd.
 * So when the kernel resolves a #!/proc/self/exe of the container's process, the init's
 * exe is that sealed copy. Every other case re-executes the runtime, as above. */
#ifndef HULL_RUNTIME_SELFEXE_H
#define HULL_RUNTIME_SELFEXE_H

#include <stdbool.h>

#include <hull/runtime.h>

#include "../common/error.h"

/* True when this process already runs from a sealed copy. */
bool hull_selfexe_protected_p(void);
/* Re-executes the process (same argv and environment) from a sealed memfd copy of its
 * binary unless it already runs from one. Returns only on error, or 0 when protected. */
int hull_selfexe_protect(char *const argv[], hull_err *err) HULL_WUR;
/* The error of a call that needs the caller to run from a sealed copy and finds it does
 * not: errno HULL_RT_ENEEDSEAL (hull/runtime.h). Fails closed: nothing was made yet. */
int hull_selfexe_refuse(hull_err *err);
/* 0 when this process runs from a sealed copy, else hull_selfexe_refuse. */
int hull_selfexe_check(hull_err *err) HULL_WUR;
/* A sealed memfd holding hull-exec, close-on-exec, or -1 with *err. */
int hull_selfexe_trampoline(hull_err *err) HULL_WUR;

#endif
