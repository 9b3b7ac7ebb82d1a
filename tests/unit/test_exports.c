/* The runtime library's boundary (include/hull/runtime.h, issue 12): the shared library
 * exports only the header's functions, and hull-runtime's command line includes nothing
 * of src/runtime but that header. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* The functions the header declares: "hull_...(" outside comments is good enough for a
 * header in this style (one declaration per HULL_API line). */
static char names[64][64];
static int n_names;

static void read_header(void) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/include/hull/runtime.h", HULL_SOURCE_ROOT);
  FILE *f = fopen(path, "r");
  char line[1024];
  bool in_api = false;
  while (f && fgets(line, sizeof(line), f)) {
    if (strncmp(line, "HULL_API", 8) == 0)
      in_api = true;
    char *p = in_api ? strstr(line, "hull_") : NULL;
    while (p) {
      size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");
      if (p[len] == '(' && n_names < 64 && len < 64) {
        memcpy(names[n_names], p, len);
        names[n_names++][len] = '\0';
        in_api = false;
        break;
      }
      p = strstr(p + len, "hull_");
    }
  }
  if (f)
    fclose(f);
}

static bool public_name(const char *s) {
  for (int i = 0; i < n_names; i++)
    if (strcmp(s, names[i]) == 0)
      return true;
  return false;
}

int main(void) {
  read_header();
  ok(n_names > 20, "the header declares %d functions", n_names);
  char cmd[4096];
  snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", HULL_SHARED_LIB);
  FILE *f = popen(cmd, "r");
  char line[512];
  int exported = 0, foreign = 0;
  bool has_create = false;
  while (f && fgets(line, sizeof(line), f)) {
    char type, name[400];
    unsigned long long addr;
    if (sscanf(line, "%llx %c %399s", &addr, &type, name) != 3)
      continue;
    /* The toolchain's own (_init, _fini, __bss_start, sanitizer hooks) are not ours. */
    if (name[0] == '_')
      continue;
    exported++;
    has_create = has_create || strcmp(name, "hull_rt_create") == 0;
    if (!public_name(name)) {
      foreign++;
      printf("# exported but not in the header: %s\n", name);
    }
  }
  ok(f != NULL && pclose(f) == 0, "nm -D %s", HULL_SHARED_LIB);
  ok(exported == n_names && has_create, "the header's functions are exported (%d of %d)", exported, n_names);
  ok(foreign == 0, "nothing else is exported");

  snprintf(cmd, sizeof(cmd), "grep -ln '#include \"\\.\\./runtime/' %s/src/runtime-cli/*.c %s/src/runtime-cli/*.h",
           HULL_SOURCE_ROOT, HULL_SOURCE_ROOT);
  f = popen(cmd, "r");
  int offenders = 0;
  while (f && fgets(line, sizeof(line), f)) {
    offenders++;
    printf("# includes src/runtime directly: %s", line);
  }
  if (f)
    pclose(f);
  ok(offenders == 0, "src/runtime-cli includes nothing of src/runtime but <hull/runtime.h>");
  return tap_done();
}
