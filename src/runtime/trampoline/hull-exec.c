/* hull-exec: the last image a container's init runs before the container's process.
 *
 * Freestanding (no libc, no loader, no relocations): it is embedded in hull-runtime
 * and executed from a sealed memfd (selfexe.c), so that while the container's
 * process is being executed, /proc/self/exe of the init is this sealed copy and not
 * the runtime's binary on the host (CVE-2019-5736). It is a few hundred bytes of code;
 * executing it costs far less than re-executing the whole runtime.
 *
 *   argv: hull-exec SYNC_FD PATH ARG0 ARG1 ...
 *
 * It marks SYNC_FD close-on-exec and executes PATH with ARG0... and its own
 * environment. When that fails it sends the runtime's sync message
 * HULL_SYNC_EXEC_ERROR (value: errno, payload: "exec PATH") on SYNC_FD and exits with
 * 127 (not found) or 126. Run any other way (a container's #!/proc/self/exe reaching
 * it), it exits with 126 and does nothing else. Nothing here may touch memory it did
 * not get from the kernel on its stack. */

#if defined(__x86_64__)
#define NR_WRITE 1
#define NR_FCNTL 72
#define NR_EXECVE 59
#define NR_EXIT_GROUP 231

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call hull_exec_main\n"
        "  hlt\n");
#elif defined(__aarch64__)
#define NR_WRITE 64
#define NR_FCNTL 25
#define NR_EXECVE 221
#define NR_EXIT_GROUP 94

static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov x0, sp\n"
        "  bl hull_exec_main\n"
        "  brk #0\n");
#else
#error "hull-exec: unsupported architecture"
#endif

#define F_SETFD 2
#define FD_CLOEXEC 1
#define ENOENT 2
#define HULL_SYNC_EXEC_ERROR 10 /* sync.h */

struct wire {
  unsigned type;
  int value;
  unsigned len;
  unsigned has_fd;
};

__attribute__((noreturn)) static void die(int status) {
  for (;;)
    sys3(NR_EXIT_GROUP, status, 0, 0);
}

static unsigned long length(const char *s) {
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static void send_all(int fd, const char *p, unsigned long n) {
  while (n > 0) {
    long w = sys3(NR_WRITE, fd, (long)p, (long)n);
    if (w == -4) /* EINTR */
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (unsigned long)w;
  }
}

__attribute__((noreturn, used)) void hull_exec_main(long *sp);

__attribute__((noreturn, used)) void hull_exec_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  if (argc < 4)
    die(126);
  int fd = 0;
  const char *d = argv[1];
  if (*d == 0)
    die(126);
  for (; *d; d++) {
    if (*d < '0' || *d > '9' || fd > 100000000)
      die(126);
    fd = fd * 10 + (*d - '0');
  }
  if (sys3(NR_FCNTL, fd, F_SETFD, FD_CLOEXEC) < 0)
    die(126);
  long r = sys3(NR_EXECVE, (long)argv[2], (long)(argv + 3), (long)envp);
  static const char prefix[] = "exec ";
  unsigned long plen = length(argv[2]);
  struct wire w = {HULL_SYNC_EXEC_ERROR, (int)-r, (unsigned)(sizeof(prefix) - 1 + plen), 0};
  send_all(fd, (const char *)&w, sizeof(w));
  send_all(fd, prefix, sizeof(prefix) - 1);
  send_all(fd, argv[2], plen);
  die(r == -ENOENT ? 127 : 126);
}
