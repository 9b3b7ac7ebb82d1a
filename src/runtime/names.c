#include "names.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "../common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

int hull_id_validate(const char *id, hull_err *err) {
  if (id == NULL || *id == '\0')
    return hull_error(err, 0, "invalid container id: the id is empty");
  size_t n = strlen(id);
  if (n > HULL_ID_MAX)
    return hull_error(err, 0, "invalid container id \"%.32s...\": longer than %d characters", id, HULL_ID_MAX);
  if (id[0] == '.')
    return hull_error(err, 0, "invalid container id \"%s\": must not start with '.'", id);
  for (const char *p = id; *p; p++) {
    char c = *p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
        c == '-' || c == '+')
      continue;
    return hull_error(err, 0, "invalid container id \"%s\": only [A-Za-z0-9_.+-] are allowed", id);
  }
  return 0;
}

static const struct {
  const char *name;
  int num;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"POLL", SIGPOLL},     {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

int hull_signal_parse(const char *s, hull_err *err) {
  if (s == NULL || *s == '\0')
    return hull_error(err, 0, "invalid signal: empty");
  int64_t n;
  if (hull_parse_int64(s, &n) == 0) {
    if (n <= 0 || n > SIGRTMAX)
      return hull_error(err, 0, "invalid signal \"%s\": out of range 1..%d", s, SIGRTMAX);
    return (int)n;
  }
  const char *name = s;
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    if (strcasecmp(name, signals[i].name) == 0)
      return signals[i].num;
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    bool min = strncasecmp(name, "RTMIN", 5) == 0;
    const char *rest = name + 5;
    int64_t off = 0;
    if (*rest != '\0') {
      if ((*rest != '+' && *rest != '-') || hull_parse_int64(rest + 1, &off) < 0)
        return hull_error(err, 0, "invalid signal \"%s\"", s);
      /* Bounded before the arithmetic: "RTMAX+9223372036854775807" overflowed (fuzz_names). */
      if (off < 0 || off > SIGRTMAX - SIGRTMIN)
        return hull_error(err, 0, "invalid signal \"%s\": out of the real-time range", s);
      if (*rest == '-')
        off = -off;
    }
    int64_t v = (min ? SIGRTMIN : SIGRTMAX) + off;
    if (v < SIGRTMIN || v > SIGRTMAX)
      return hull_error(err, 0, "invalid signal \"%s\": out of the real-time range", s);
    return (int)v;
  }
  return hull_error(err, 0, "invalid signal \"%s\"", s);
}

const char *hull_signal_name(int sig) {
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    if (signals[i].num == sig)
      return signals[i].name;
  return "?";
}

static const char *const cap_names[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",           "CAP_FSETID",
    "CAP_KILL",            "CAP_SETGID",        "CAP_SETUID",          "CAP_SETPCAP",          "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",      "CAP_NET_RAW",          "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",       "CAP_SYS_MODULE",    "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",       "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",         "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",          "CAP_LEASE",            "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",       "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",        "CAP_SYSLOG",
    "CAP_WAKE_ALARM",      "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",      "CAP_PERFMON",          "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int hull_cap_parse(const char *s, hull_err *err) {
  if (s == NULL)
    return hull_error(err, 0, "invalid capability: null");
  const char *name = s;
  for (int i = 0; i < N_CAPS; i++)
    if (strcasecmp(name, cap_names[i]) == 0 || strcasecmp(name, cap_names[i] + 4) == 0)
      return i;
  return hull_error(err, 0, "unknown capability \"%s\"", s);
}

const char *hull_cap_name(int cap) { return cap >= 0 && cap < N_CAPS ? cap_names[cap] : NULL; }

static const struct {
  const char *name;
  int num;
} rlimits[] = {
    {"CPU", RLIMIT_CPU},         {"FSIZE", RLIMIT_FSIZE},   {"DATA", RLIMIT_DATA},         {"STACK", RLIMIT_STACK},
    {"CORE", RLIMIT_CORE},       {"RSS", RLIMIT_RSS},       {"NPROC", RLIMIT_NPROC},       {"NOFILE", RLIMIT_NOFILE},
    {"MEMLOCK", RLIMIT_MEMLOCK}, {"AS", RLIMIT_AS},         {"LOCKS", RLIMIT_LOCKS},       {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},   {"RTPRIO", RLIMIT_RTPRIO},     {"RTTIME", RLIMIT_RTTIME},
};

int hull_rlimit_parse(const char *s, hull_err *err) {
  if (s == NULL || strncmp(s, "RLIMIT_", 7) != 0)
    return hull_error(err, 0, "unknown rlimit \"%s\"", s ? s : "");
  for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++)
    if (strcmp(s + 7, rlimits[i].name) == 0)
      return rlimits[i].num;
  return hull_error(err, 0, "unknown rlimit \"%s\"", s);
}

const char *hull_rlimit_name(int num) {
  for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++)
    if (rlimits[i].num == num)
      return rlimits[i].name;
  return NULL;
}

static const struct {
  const char *spec;
  const char *proc;
  int flag;
} namespaces[HULL_NS_COUNT] = {
    [HULL_NS_PID] = {"pid", "pid", CLONE_NEWPID},         [HULL_NS_NET] = {"network", "net", CLONE_NEWNET},
    [HULL_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},         [HULL_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [HULL_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},      [HULL_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [HULL_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP}, [HULL_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int hull_ns_parse(const char *s, hull_err *err) {
  for (int i = 0; i < HULL_NS_COUNT; i++)
    if (s != NULL && strcmp(s, namespaces[i].spec) == 0)
      return i;
  return hull_error(err, 0, "unknown namespace type \"%s\"", s ? s : "");
}
int hull_ns_clone_flag(enum hull_ns_type t) { return namespaces[t].flag; }
const char *hull_ns_proc_name(enum hull_ns_type t) { return namespaces[t].proc; }
const char *hull_ns_spec_name(enum hull_ns_type t) { return namespaces[t].spec; }

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static const struct {
  const char *name;
  bool clear;
  unsigned long flag;
} mount_flags[] = {
    {"defaults", false, 0},         {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},      {"nosuid", false, MS_NOSUID},     {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},     {"exec", true, MS_NOEXEC},        {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS}, {"async", true, MS_SYNCHRONOUS}, {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT}, {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},    {"noatime", false, MS_NOATIME},   {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW}, {"symfollow", true, MS_NOSYMFOLLOW},
};

static const struct {
  const char *name;
  unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},       {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},                   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int hull_mount_opts_parse(const char *const *opts, size_t n, struct hull_mount_opts *out, hull_err *err) {
  memset(out, 0, sizeof(*out));
  size_t cap = 1;
  for (size_t i = 0; i < n; i++)
    cap += strlen(opts[i]) + 1;
  char *data = calloc(1, cap);
  if (data == NULL)
    return hull_error(err, ENOMEM, "parse mount options");
  for (size_t i = 0; i < n; i++) {
    const char *o = opts[i];
    bool done = false;
    if (strcmp(o, "bind") == 0) {
      out->bind = true;
      continue;
    }
    if (strcmp(o, "rbind") == 0) {
      out->bind = out->rbind = true;
      continue;
    }
    if (strcmp(o, "rro") == 0) {
      out->recursive_ro = true;
      out->flags |= MS_RDONLY;
      continue;
    }
    if (strcmp(o, "tmpcopyup") == 0) {
      out->tmpcopyup = true;
      continue;
    }
    /* ridmap differs only for a recursive bind, whose every mount is idmapped anyway. */
    if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
      out->idmap = true;
      continue;
    }
    for (size_t k = 0; k < sizeof(mount_flags) / sizeof(mount_flags[0]) && !done; k++) {
      if (strcmp(o, mount_flags[k].name) != 0)
        continue;
      if (mount_flags[k].clear) {
        out->flags &= ~mount_flags[k].flag;
        out->clear |= mount_flags[k].flag;
      } else {
        out->flags |= mount_flags[k].flag;
        out->clear &= ~mount_flags[k].flag;
      }
      done = true;
    }
    for (size_t k = 0; k < sizeof(propagation_flags) / sizeof(propagation_flags[0]) && !done; k++) {
      if (strcmp(o, propagation_flags[k].name) != 0)
        continue;
      out->propagation = propagation_flags[k].flag;
      done = true;
    }
    if (done)
      continue;
    /* Recursive mount attributes (rnosuid, ...) and idmap are options of newer runcs;
     * anything else is data for the filesystem. */
    if (*o == '\0')
      continue;
    if (*data)
      strcat(data, ",");
    strcat(data, o);
  }
  out->data = data;
  return 0;
}

static int list_number(const char **p, int max, const char *what, const char *s, hull_err *err) {
  if (**p < '0' || **p > '9')
    return hull_error(err, 0, "%s: invalid list \"%s\": a number is expected at \"%s\"", what, s, *p);
  long v = 0;
  while (**p >= '0' && **p <= '9') {
    v = v * 10 + (**p - '0');
    if (v >= max)
      return hull_error(err, ERANGE, "%s: invalid list \"%s\": numbers must be below %d", what, s, max);
    (*p)++;
  }
  return (int)v;
}

int hull_cpuset_parse(const char *s, int max, const char *what, int *highest, hull_err *err) {
  int top = -1;
  const char *p = s;
  if (*p == '\n')
    p++;
  while (*p && *p != '\n') {
    int lo = list_number(&p, max, what, s, err), hi = lo;
    if (lo < 0)
      return -1;
    if (*p == '-') {
      p++;
      if ((hi = list_number(&p, max, what, s, err)) < 0)
        return -1;
      if (hi < lo)
        return hull_error(err, 0, "%s: invalid list \"%s\": range %d-%d is descending", what, s, lo, hi);
    }
    top = hi > top ? hi : top;
    if (*p == ',' && p[1] != '\0' && p[1] != '\n')
      p++;
    else if (*p != '\0' && *p != '\n')
      return hull_error(err, 0, "%s: invalid list \"%s\": unexpected \"%c\"", what, s, *p);
  }
  if (*p == '\n' && p[1] != '\0')
    return hull_error(err, 0, "%s: invalid list \"%s\": text after the newline", what, s);
  if (highest)
    *highest = top;
  return 0;
}

int hull_size_parse(const char *s, int64_t *out, hull_err *err) {
  if (s == NULL || *s == '\0')
    return hull_error(err, 0, "invalid size: empty");
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || v < 0)
    return hull_error(err, 0, "invalid size \"%s\"", s);
  int64_t mul = 1;
  if (*end != '\0') {
    switch (*end | 0x20) {
    case 'b':
      mul = 1;
      break;
    case 'k':
      mul = 1LL << 10;
      break;
    case 'm':
      mul = 1LL << 20;
      break;
    case 'g':
      mul = 1LL << 30;
      break;
    case 't':
      mul = 1LL << 40;
      break;
    default:
      return hull_error(err, 0, "invalid size \"%s\": unknown unit", s);
    }
    const char *rest = end + 1;
    if ((*end | 0x20) != 'b' && (*rest | 0x20) == 'i')
      rest++;
    if ((*end | 0x20) != 'b' && (*rest | 0x20) == 'b')
      rest++;
    if (*rest != '\0')
      return hull_error(err, 0, "invalid size \"%s\": unknown unit", s);
  }
  if (v > INT64_MAX / mul)
    return hull_error(err, ERANGE, "invalid size \"%s\"", s);
  *out = v * mul;
  return 0;
}
