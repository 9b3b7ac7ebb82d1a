/* A tiny TAP producer for the C unit tests. */
#ifndef HULL_TAP_H
#define HULL_TAP_H
#include <stdio.h>
/* Set by tests/unit/meson.build; "." only for a test compiled by hand in the source root. */
#ifndef HULL_SOURCE_ROOT
#define HULL_SOURCE_ROOT "."
#endif
static int tap_n = 0, tap_failed = 0;
#define ok(cond, ...)                                                                                                \
  do {                                                                                                               \
    tap_n++;                                                                                                         \
    if (cond) {                                                                                                      \
      printf("ok %d - ", tap_n);                                                                                     \
    } else {                                                                                                         \
      tap_failed++;                                                                                                  \
      printf("not ok %d - ", tap_n);                                                                                 \
    }                                                                                                                \
    printf(__VA_ARGS__);                                                                                             \
    printf("\n");                                                                                                    \
  } while (0)
#define tap_done() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)
#endif
