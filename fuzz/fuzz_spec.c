/* libFuzzer target: config.json loading and validation (untrusted-looking text even
 * though config.json is trusted: a crash here would be a crash of every client). */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct hull_spec *s = NULL;
  hull_err err = NULL;
  /* root.path resolves against "/" so that valid documents get past the rootfs check. */
  if (hull_spec_parse((const char *)data, size, "/", &s, &err) == 0)
    hull_spec_free(s);
  hull_error_release(&err);
  return 0;
}
