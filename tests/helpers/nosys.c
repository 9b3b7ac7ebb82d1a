/* nosys SYSCALL[,SYSCALL...] COMMAND [ARG...]: runs COMMAND with the named (or numbered)
 * system calls failing with ENOSYS, as on a kernel that does not have them (tests of the
 * runtime's fallbacks). */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: nosys SYSCALL[,SYSCALL...] COMMAND [ARG...]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) {
    fprintf(stderr, "nosys: seccomp_init failed\n");
    return 2;
  }
  char *names = strdup(argv[1]);
  for (char *save = NULL, *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
    /* A number is taken as it is: the calls newer than libseccomp's table (listmount is
     * 458) have no name there. */
    char *end;
    long num = strtol(n, &end, 10);
    int nr = *n != '\0' && *end == '\0' ? (int)num : seccomp_syscall_resolve_name(n);
    if (nr == __NR_SCMP_ERROR || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) < 0) {
      fprintf(stderr, "nosys: unknown system call %s\n", n);
      return 2;
    }
  }
  free(names);
  if (seccomp_load(ctx) < 0) {
    fprintf(stderr, "nosys: seccomp_load failed\n");
    return 2;
  }
  seccomp_release(ctx);
  execvp(argv[2], argv + 2);
  fprintf(stderr, "nosys: exec %s: %s\n", argv[2], strerror(errno));
  return 127;
}
