/* libFuzzer target: every small parser of text that reaches the runtime from callers:
 * container ids, signal names, capability and rlimit names, namespace types, sizes and
 * mount options. The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "runtime/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  char *s = malloc(size);
  memcpy(s, data + 1, size - 1);
  s[size - 1] = '\0';
  hull_err err = NULL;
  int64_t n;
  switch (data[0] % 7) {
  case 0:
    hull_id_validate(s, &err);
    break;
  case 1:
    hull_signal_parse(s, &err);
    break;
  case 2:
    hull_cap_parse(s, &err);
    break;
  case 3:
    hull_rlimit_parse(s, &err);
    break;
  case 4:
    hull_ns_parse(s, &err);
    break;
  case 5:
    hull_size_parse(s, &n, &err);
    break;
  default: {
    /* comma-separated mount options */
    const char *opts[64];
    size_t k = 0;
    for (char *t = s, *save = NULL; k < 64 && (t = strtok_r(t, ",", &save)) != NULL; t = NULL)
      opts[k++] = t;
    struct hull_mount_opts mo;
    if (hull_mount_opts_parse(opts, k, &mo, &err) == 0)
      free(mo.data);
    break;
  }
  }
  hull_error_release(&err);
  free(s);
  return 0;
}
