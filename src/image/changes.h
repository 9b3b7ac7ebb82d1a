/* Dockerfile-like instructions applied to an image config by `import --change` and
 * `commit --change` (Docker's list: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER,
 * VOLUME, WORKDIR, STOPSIGNAL). */
#ifndef HULL_IMAGE_CHANGES_H
#define HULL_IMAGE_CHANGES_H

#include <jansson.h>

#include "common/error.h"

/* Applies one instruction to cfg (the "config" object of an image config). */
int hull_config_apply_change(json_t *cfg, const char *change, hull_err *err) __attribute__((warn_unused_result));

#endif
