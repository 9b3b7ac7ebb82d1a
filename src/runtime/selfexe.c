/* Re-execution from a sealed copy of the runtime binary (see selfexe.h). */
#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "hull-exec.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool sealed_p(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

bool hull_selfexe_protected_p(void) {
  cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && sealed_p(fd);
}

static int exec_memfd(const char *name, hull_err *err) {
  /* Since Linux 6.3 a memfd is executable only when asked for (vm.memfd_noexec);
   * older kernels do not know the flag. */
  int mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return hull_error_sys(err, "memfd_create %s", name);
  return mfd;
}

static int sealed_copy(int src, hull_err *err) {
  struct stat st;
  if (fstat(src, &st) < 0)
    return hull_error_sys(err, "stat /proc/self/exe");
  cleanup_close int mfd = exec_memfd("hull-runtime", err);
  if (mfd < 0)
    return -1;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return hull_error_sys(err, "copy the runtime binary into a memfd");
  }
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
    return hull_error_sys(err, "seal the copy of the runtime binary");
  return take_fd(&mfd);
}

int hull_selfexe_protect(char *const argv[], hull_err *err) {
  cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return hull_error_sys(err, "open /proc/self/exe");
  if (sealed_p(self))
    return 0;
  cleanup_close int copy = sealed_copy(self, err);
  if (copy < 0)
    return hull_error_wrap(err, "protect the runtime binary (CVE-2019-5736)");
  syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
  return hull_error_sys(err, "protect the runtime binary (CVE-2019-5736): execute its sealed copy%s",
                        errno == EACCES ? " (is vm.memfd_noexec 2?)" : "");
}

int hull_selfexe_refuse(hull_err *err) {
  return hull_error_code(err, HULL_RT_ENEEDSEAL,
                         "protect the runtime binary (CVE-2019-5736): this process does not run from a sealed "
                         "copy of its binary (hull_rt_seal_self), and the container needs it");
}

int hull_selfexe_check(hull_err *err) { return hull_selfexe_protected_p() ? 0 : hull_selfexe_refuse(err); }

int hull_selfexe_trampoline(hull_err *err) {
  cleanup_close int mfd = exec_memfd("hull-exec", err);
  if (mfd < 0)
    return hull_error_wrap(err, "protect the runtime binary (CVE-2019-5736)");
  if (hull_write_all(mfd, hull_exec_image, sizeof(hull_exec_image)) < 0)
    return hull_error_sys(err, "write hull-exec into a memfd");
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
    return hull_error_sys(err, "seal hull-exec");
  return take_fd(&mfd);
}
