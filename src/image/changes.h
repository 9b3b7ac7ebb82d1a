/* Dockerfile-like instructions applied to an image config by `import --change` and
 * `commit --change` (Docker's list: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER,
 * VOLUME, WORKDIR, STOPSIGNAL). */
#ifndef HULL_IMAGE_CHANGES_H
#define HULL_IMAGE_CHANGES_H

#include <jansson.h>

#include "common/error.h"

/* Applies one instruction to cfg (the "config" object of an image config). */
int hull_config_apply_change(json_t *cfg, const char *change, hull_err *err) __attribute__((warn_unused_result));

/* The image's volume paths (the keys of cfg's "Volumes", cfg the "config" object of an
 * image config), each cleaned lexically as a path inside the container: "." and empty
 * parts dropped, ".." removed with the part before it and never above "/" (so
 * "/../../etc" is "/etc"), as Docker treats them. A NULL-terminated vector; an empty one
 * when there are none. A key that is not absolute, holds a NUL, or cleans to "/" is an
 * error (EINVAL).
 *
 * Cleaning is only half of containerd's CVE-2022-23648 fix: the engine must still resolve
 * the cleaned path beneath the container's root file system by file descriptor (openat2
 * RESOLVE_IN_ROOT, or the in-root walk), because a symlink in a layer may point anywhere;
 * and copy an image volume's initial content only through that descriptor. */
char **hull_config_volumes(json_t *cfg, hull_err *err);

#endif
