/* linux.seccomp: the profile is validated and compiled to BPF with libseccomp in the
 * runtime, before anything is created, so that every mistake in config.json is reported
 * with its JSON path and the container's child only has to hand a ready sock_fprog to
 * seccomp(2). See docs/seccomp.md. */
#ifndef _GNU_SOURCE
#endif
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
/* hull's header has libseccomp's name: with src/runtime on the include path,
 * <seccomp.h> would silently be ours. Include hull headers by "runtime/..." paths. */
#ifndef SCMP_VER_MAJOR
#error "<seccomp.h> is not libseccomp's: remove src/runtime from the include path"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"

/* Older kernel headers lack the newer flags; the values are ABI. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL 0xffff0000U
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SYSCALL_ARGS 6
#define MAX_ERRNO_RET 0xffff /* SECCOMP_RET_DATA */

/* libseccomp builds a binary tree of syscall numbers at level 2: fewer instructions run
 * per syscall than with the default linear list (see docs/seccomp.md). */
#ifndef FILTER_OPTIMIZE_LEVEL
#define FILTER_OPTIMIZE_LEVEL 2
#endif
/* Bumped whenever what is stored in the cache, or how it is produced, changes. */
#define CACHE_FORMAT 2
static const char cache_magic[8] = {'H', 'U', 'L', 'L', 'B', 'P', 'F', '1'};

struct hull_seccomp {
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* passed to seccomp(2) */
  bool notify;
  bool wait_killable;
  char *listener_path;
  char *listener_metadata;
  unsigned short n_insns;
  struct sock_filter *insns;
};

/* ---- names of the runtime-spec ---- */

static const struct {
  const char *spec;
  const char *lib; /* libseccomp's name, for seccomp_arch_resolve_name() */
} arch_names[] = {
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
};

static const struct {
  const char *name;
  uint32_t action;
  bool takes_errno; /* errnoRet is the action's data (ERRNO: the errno, TRACE: the msg) */
} action_names[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

static const struct {
  const char *name;
  enum scmp_compare op;
} op_names[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},         {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},         {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
  const char *name;
  unsigned long flag;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

/* Syscalls the runtime's child may still make between loading a notify filter and
 * handing the listener fd over: if they were notified, nobody could answer and the
 * child would hang. runc refuses `write` for the same reason. */
static const char *const notify_forbidden[] = {"write", "sendmsg"};

/* ---- the validated profile ---- */

struct rule {
  size_t index; /* position in linux.seccomp.syscalls, for messages */
  uint32_t action;
  json_t *names; /* borrowed from the profile */
  size_t n_args;
  struct scmp_arg_cmp *args;
  bool split; /* two args compare the same index: one rule per arg, as runc does */
};

struct profile {
  uint32_t default_action;
  uint32_t arches[ARRAY_SIZE(arch_names)];
  size_t arch_index[ARRAY_SIZE(arch_names)]; /* position in linux.seccomp.architectures */
  size_t arch_name[ARRAY_SIZE(arch_names)];  /* index in arch_names */
  size_t n_arches;
  unsigned int flags; /* LOG and SPEC_ALLOW: given to seccomp(2) at load */
  bool wait_killable;
  bool notify;
  const char *listener_path;
  const char *listener_metadata;
  size_t n_rules;
  struct rule *rules;
  unsigned int actions_checked; /* bit i: action_names[i] known to the kernel */
};

static void profile_clear(struct profile *p) {
  for (size_t i = 0; i < p->n_rules; i++)
    free(p->rules[i].args);
  free(p->rules);
  p->rules = NULL;
  p->n_rules = 0;
}
static void cleanup_profilep(struct profile *p) { profile_clear(p); }
#define cleanup_profile __attribute__((cleanup(cleanup_profilep)))

static void cleanup_scmpp(scmp_filter_ctx *ctx) {
  if (*ctx)
    seccomp_release(*ctx);
}
#define cleanup_scmp __attribute__((cleanup(cleanup_scmpp)))

static long seccomp_sys(unsigned int op, unsigned int flags, void *args) {
  return syscall(SYS_seccomp, op, flags, args);
}

/* ---- kernel feature checks (done on every compile, cache hit or not) ---- */

/* Whether the kernel knows the action, so that a profile using SCMP_ACT_NOTIFY on an old
 * kernel fails here and not with a killed container. */
static int check_action_kernel(struct profile *p, size_t idx, const char *path, hull_err *err) {
  if (p->actions_checked & (1u << idx))
    return 0;
  uint32_t act = action_names[idx].action & SECCOMP_RET_ACTION_FULL;
  if (seccomp_sys(SECCOMP_GET_ACTION_AVAIL, 0, &act) < 0) {
    if (errno == ENOSYS)
      return hull_error(err, ENOSYS, "%s: seccomp", path);
    if (errno == EINVAL) {
      /* Before Linux 4.14 there is no SECCOMP_GET_ACTION_AVAIL and only the original
       * actions exist. */
      switch (act) {
      case SCMP_ACT_KILL_THREAD:
      case SCMP_ACT_TRAP:
      case SCMP_ACT_ERRNO(0):
      case SCMP_ACT_TRACE(0):
      case SCMP_ACT_ALLOW:
        break;
      default:
        return hull_error(err, 0, "%s: %s is not supported by this kernel", path, action_names[idx].name);
      }
    } else if (errno == EOPNOTSUPP) {
      return hull_error(err, 0, "%s: %s is not supported by this kernel", path, action_names[idx].name);
    } else {
      return hull_error_sys(err, "%s: check seccomp action %s", path, action_names[idx].name);
    }
  }
  p->actions_checked |= 1u << idx;
  return 0;
}

/* The kernel checks the flags before it reads the program, so a NULL program gives
 * EFAULT for known flags and EINVAL for unknown ones (libseccomp probes the same way). */
static int check_flag_kernel(unsigned long flag, const char *name, const char *path, hull_err *err) {
  unsigned long probe = flag;
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER; /* only valid together */
  if (seccomp_sys(SECCOMP_SET_MODE_FILTER, (unsigned int)probe, NULL) == 0)
    return 0; /* impossible with a NULL program; treat as supported */
  if (errno == EFAULT)
    return 0;
  if (errno == EINVAL)
    return hull_error(err, 0, "%s: %s is not supported by this kernel", path, name);
  return hull_error_sys(err, "%s: check seccomp flag %s", path, name);
}

/* ---- parsing ---- */

static int parse_uint(json_t *v, uint64_t max, const char *path, const char *field, uint64_t *out, hull_err *err) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
    return hull_error(err, 0, "%s.%s: must be an integer between 0 and %" PRIu64, path, field, max);
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

/* action and errno_ret are the JSON values (errno_ret may be NULL); prefix is the JSON
 * path of the object holding them. Returns the index in action_names. */
static int parse_action(struct profile *p, json_t *action, const char *action_field, json_t *errno_ret,
                        const char *errno_field, const char *prefix, uint32_t *out, hull_err *err) {
  if (action == NULL)
    return hull_error(err, 0, "%s.%s: required", prefix, action_field);
  if (!json_is_string(action))
    return hull_error(err, 0, "%s.%s: must be a string", prefix, action_field);
  const char *name = json_string_value(action);
  for (size_t i = 0; i < ARRAY_SIZE(action_names); i++) {
    if (strcmp(name, action_names[i].name) != 0)
      continue;
    char path[256];
    snprintf(path, sizeof(path), "%s.%s", prefix, action_field);
    if (check_action_kernel(p, i, path, err) < 0)
      return -1;
    uint32_t act = action_names[i].action;
    if (action_names[i].takes_errno) {
      /* runc and crun default both ERRNO and TRACE to EPERM. Other actions ignore
       * errnoRet, as they do. */
      uint64_t data = EPERM;
      if (errno_ret != NULL && parse_uint(errno_ret, MAX_ERRNO_RET, prefix, errno_field, &data, err) < 0)
        return -1;
      act |= (uint32_t)data;
    }
    *out = act;
    return (int)i;
  }
  return hull_error(err, 0, "%s.%s: unknown action \"%s\"", prefix, action_field, name);
}

static int parse_arg(json_t *a, const char *path, struct scmp_arg_cmp *out, hull_err *err) {
  if (!json_is_object(a))
    return hull_error(err, 0, "%s: must be an object", path);
  uint64_t index = 0, value = 0, value_two = 0;
  json_t *v = json_object_get(a, "index");
  if (v == NULL)
    return hull_error(err, 0, "%s.index: required", path);
  if (parse_uint(v, SYSCALL_ARGS - 1, path, "index", &index, err) < 0)
    return -1;
  v = json_object_get(a, "value");
  if (v == NULL)
    return hull_error(err, 0, "%s.value: required", path);
  if (parse_uint(v, UINT64_MAX, path, "value", &value, err) < 0)
    return -1;
  v = json_object_get(a, "valueTwo");
  if (v != NULL && parse_uint(v, UINT64_MAX, path, "valueTwo", &value_two, err) < 0)
    return -1;
  v = json_object_get(a, "op");
  if (v == NULL)
    return hull_error(err, 0, "%s.op: required", path);
  if (!json_is_string(v))
    return hull_error(err, 0, "%s.op: must be a string", path);
  for (size_t i = 0; i < ARRAY_SIZE(op_names); i++) {
    if (strcmp(json_string_value(v), op_names[i].name) == 0) {
      /* For MASKED_EQ, libseccomp's datum_a is the mask (value) and datum_b the value
       * compared with arg & mask (valueTwo), as runc and crun pass them. */
      *out = (struct scmp_arg_cmp){.arg = (unsigned int)index, .op = op_names[i].op, .datum_a = value,
                                   .datum_b = value_two};
      return 0;
    }
  }
  return hull_error(err, 0, "%s.op: unknown operator \"%s\"", path, json_string_value(v));
}

static int parse_rule(struct profile *p, json_t *r, size_t index, struct rule *out, hull_err *err) {
  char path[64];
  snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu]", index);
  if (!json_is_object(r))
    return hull_error(err, 0, "%s: must be an object", path);
  out->index = index;

  json_t *names = json_object_get(r, "names");
  if (names == NULL)
    return hull_error(err, 0, "%s.names: required", path);
  if (!json_is_array(names) || json_array_size(names) == 0)
    return hull_error(err, 0, "%s.names: must be a non-empty array of strings", path);
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    if (!json_is_string(n) || json_string_length(n) == 0)
      return hull_error(err, 0, "%s.names[%zu]: must be a non-empty string", path, i);
  }
  out->names = names;

  int act = parse_action(p, json_object_get(r, "action"), "action", json_object_get(r, "errnoRet"), "errnoRet",
                         path, &out->action, err);
  if (act < 0)
    return -1;
  if (out->action == SCMP_ACT_NOTIFY) {
    p->notify = true;
    json_array_foreach(names, i, n) {
      for (size_t k = 0; k < ARRAY_SIZE(notify_forbidden); k++)
        if (strcmp(json_string_value(n), notify_forbidden[k]) == 0)
          return hull_error(err, 0,
                            "%s.names[%zu]: SCMP_ACT_NOTIFY cannot be used for %s (the runtime needs it "
                            "to hand over the listener fd)",
                            path, i, notify_forbidden[k]);
    }
  }

  json_t *args = json_object_get(r, "args");
  if (args == NULL || json_is_null(args))
    return 0;
  if (!json_is_array(args))
    return hull_error(err, 0, "%s.args: must be an array", path);
  out->n_args = json_array_size(args);
  if (out->n_args == 0)
    return 0;
  out->args = calloc(out->n_args, sizeof(*out->args));
  if (out->args == NULL)
    return hull_error(err, ENOMEM, "%s.args", path);
  unsigned int seen = 0;
  json_t *a;
  json_array_foreach(args, i, a) {
    char apath[96];
    snprintf(apath, sizeof(apath), "%s.args[%zu]", path, i);
    if (parse_arg(a, apath, &out->args[i], err) < 0)
      return -1;
    /* libseccomp refuses two comparisons of one argument in a rule; runc then adds each
     * comparison as a rule of its own (so they are ORed), and so do we. */
    if (seen & (1u << out->args[i].arg))
      out->split = true;
    seen |= 1u << out->args[i].arg;
  }
  return 0;
}

static int parse_arches(struct profile *p, json_t *arches, hull_err *err) {
  if (arches == NULL || json_is_null(arches))
    return 0;
  if (!json_is_array(arches))
    return hull_error(err, 0, "linux.seccomp.architectures: must be an array of strings");
  size_t i;
  json_t *a;
  json_array_foreach(arches, i, a) {
    if (!json_is_string(a))
      return hull_error(err, 0, "linux.seccomp.architectures[%zu]: must be a string", i);
    const char *name = json_string_value(a);
    size_t k;
    for (k = 0; k < ARRAY_SIZE(arch_names); k++)
      if (strcmp(name, arch_names[k].spec) == 0)
        break;
    if (k == ARRAY_SIZE(arch_names))
      return hull_error(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i, name);
    uint32_t token = seccomp_arch_resolve_name(arch_names[k].lib);
    if (token == 0) {
      const struct scmp_version *v = seccomp_version();
      return hull_error(err, 0, "linux.seccomp.architectures[%zu]: %s is not supported by libseccomp %u.%u.%u", i,
                        name, v->major, v->minor, v->micro);
    }
    bool dup = false;
    for (size_t j = 0; j < p->n_arches; j++)
      dup = dup || p->arches[j] == token;
    if (dup)
      continue;
    p->arch_index[p->n_arches] = i;
    p->arch_name[p->n_arches] = k;
    p->arches[p->n_arches++] = token;
  }
  return 0;
}

static int parse_flags(struct profile *p, json_t *flags, hull_err *err) {
  if (flags == NULL || json_is_null(flags))
    return 0;
  if (!json_is_array(flags))
    return hull_error(err, 0, "linux.seccomp.flags: must be an array of strings");
  size_t i;
  json_t *f;
  json_array_foreach(flags, i, f) {
    char path[64];
    snprintf(path, sizeof(path), "linux.seccomp.flags[%zu]", i);
    if (!json_is_string(f))
      return hull_error(err, 0, "%s: must be a string", path);
    size_t k;
    for (k = 0; k < ARRAY_SIZE(flag_names); k++)
      if (strcmp(json_string_value(f), flag_names[k].name) == 0)
        break;
    if (k == ARRAY_SIZE(flag_names))
      return hull_error(err, 0, "%s: unknown flag \"%s\"", path, json_string_value(f));
    unsigned long flag = flag_names[k].flag;
    /* TSYNC is meaningless for the single-threaded child (and the kernel refuses it
     * together with NEW_LISTENER); runc ignores it too. */
    if (flag == SECCOMP_FILTER_FLAG_TSYNC)
      continue;
    if (check_flag_kernel(flag, flag_names[k].name, path, err) < 0)
      return -1;
    if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
      p->wait_killable = true;
    else
      p->flags |= (unsigned int)flag;
  }
  return 0;
}

static int parse_optional_string(json_t *profile, const char *field, const char **out, hull_err *err) {
  json_t *v = json_object_get(profile, field);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return hull_error(err, 0, "linux.seccomp.%s: must be a string", field);
  *out = json_string_value(v);
  return 0;
}

/* Validates everything and checks the kernel; the result borrows from profile. */
static int parse_profile(json_t *profile, struct profile *p, hull_err *err) {
  if (!json_is_object(profile))
    return hull_error(err, 0, "linux.seccomp: must be an object");
  if (parse_action(p, json_object_get(profile, "defaultAction"), "defaultAction",
                   json_object_get(profile, "defaultErrnoRet"), "defaultErrnoRet", "linux.seccomp",
                   &p->default_action, err) < 0)
    return -1;
  /* Every syscall the child makes after loading would wait for a listener it has not
   * handed over yet. runc refuses this too. */
  if (p->default_action == SCMP_ACT_NOTIFY)
    return hull_error(err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (parse_arches(p, json_object_get(profile, "architectures"), err) < 0 ||
      parse_flags(p, json_object_get(profile, "flags"), err) < 0 ||
      parse_optional_string(profile, "listenerPath", &p->listener_path, err) < 0 ||
      parse_optional_string(profile, "listenerMetadata", &p->listener_metadata, err) < 0)
    return -1;

  json_t *syscalls = json_object_get(profile, "syscalls");
  if (syscalls != NULL && !json_is_null(syscalls)) {
    if (!json_is_array(syscalls))
      return hull_error(err, 0, "linux.seccomp.syscalls: must be an array");
    size_t n = json_array_size(syscalls);
    if (n > 0) {
      p->rules = calloc(n, sizeof(*p->rules));
      if (p->rules == NULL)
        return hull_error(err, ENOMEM, "linux.seccomp.syscalls");
    }
    for (size_t i = 0; i < n; i++) {
      p->n_rules = i + 1; /* so that profile_clear() frees this rule's args */
      if (parse_rule(p, json_array_get(syscalls, i), i, &p->rules[i], err) < 0)
        return -1;
    }
  }
  if (p->notify && (p->listener_path == NULL || p->listener_path[0] == '\0'))
    return hull_error(err, 0, "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
  return 0;
}

/* ---- building with libseccomp ---- */

static const char *native_arch_name(void) {
  uint32_t native = seccomp_arch_native();
  for (size_t k = 0; k < ARRAY_SIZE(arch_names); k++)
    if (seccomp_arch_resolve_name(arch_names[k].lib) == native)
      return arch_names[k].spec;
  return "the native architecture";
}

static int add_rule_names(scmp_filter_ctx ctx, const struct rule *r, unsigned int n_args,
                          const struct scmp_arg_cmp *args, hull_err *err) {
  size_t i;
  json_t *n;
  json_array_foreach(r->names, i, n) {
    const char *name = json_string_value(n);
    /* Profiles list syscalls of kernels newer than libseccomp's tables. Skipping such
     * a name is safe only when the rule allows it (the default action, stricter, then
     * applies): runc and crun skip every unknown name, which silently drops a deny rule
     * on a typo. A rule that restricts a name we cannot resolve is refused. Names that
     * exist only on some of the filter's architectures resolve to a pseudo number that
     * libseccomp skips on the others. */
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
      if (r->action == SCMP_ACT_ALLOW || r->action == SCMP_ACT_LOG)
        continue;
      const struct scmp_version *v = seccomp_version();
      return hull_error(err, 0,
                        "linux.seccomp.syscalls[%zu].names[%zu]: unknown syscall \"%s\" (not in libseccomp "
                        "%u.%u.%u), so this rule could not be enforced",
                        r->index, i, name, v->major, v->minor, v->micro);
    }
    int rc = seccomp_rule_add_array(ctx, r->action, nr, n_args, args);
    if (rc < 0)
      return hull_error(err, -rc, "linux.seccomp.syscalls[%zu].names[%zu]: add seccomp rule for %s", r->index, i,
                        name);
  }
  return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct profile *p, const struct rule *r, hull_err *err) {
  /* libseccomp refuses rules that repeat the default action; they change nothing, and
   * runc and crun skip them too. */
  if (r->action == p->default_action)
    return 0;
  if (!r->split)
    return add_rule_names(ctx, r, (unsigned int)r->n_args, r->args, err);
  for (size_t k = 0; k < r->n_args; k++)
    if (add_rule_names(ctx, r, 1, &r->args[k], err) < 0)
      return -1;
  return 0;
}

static int set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value, const char *what,
                    hull_err *err) {
  int rc = seccomp_attr_set(ctx, attr, value);
  if (rc < 0)
    return hull_error(err, -rc, "%s: libseccomp", what);
  return 0;
}

/* Exports the filter through a memfd (libseccomp 2.5 has no in-memory export). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *n_insns, hull_err *err) {
  cleanup_close int fd = memfd_create("hull-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "memfd_create hull-seccomp-bpf");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return hull_error(err, -rc, "linux.seccomp: export the seccomp filter");
  off_t size = lseek(fd, 0, SEEK_CUR);
  if (size < 0)
    return hull_error_sys(err, "lseek hull-seccomp-bpf");
  if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0)
    return hull_error(err, EINVAL, "linux.seccomp: libseccomp exported %lld bytes of BPF", (long long)size);
  size_t n = (size_t)size / sizeof(struct sock_filter);
  if (n > BPF_MAXINSNS)
    return hull_error(err, E2BIG, "linux.seccomp: the filter has %zu instructions, the kernel accepts %d", n,
                      BPF_MAXINSNS);
  cleanup_free struct sock_filter *buf = malloc((size_t)size);
  if (buf == NULL)
    return hull_error(err, ENOMEM, "linux.seccomp: export the seccomp filter");
  if (lseek(fd, 0, SEEK_SET) < 0)
    return hull_error_sys(err, "lseek hull-seccomp-bpf");
  ssize_t r = hull_read_all(fd, buf, (size_t)size);
  if (r < 0)
    return hull_error_sys(err, "read hull-seccomp-bpf");
  if (r != size)
    return hull_error(err, EIO, "read hull-seccomp-bpf: short read");
  *insns = steal_pointer(&buf);
  *n_insns = n;
  return 0;
}

/* ---- ENOSYS for syscalls newer than the profile ---- */

/* A profile written before a syscall existed cannot name it, so its default action
 * (usually EPERM) answers it, and a C library that would fall back on ENOSYS (clone3 ->
 * clone, faccessat2 -> faccessat, openat2 -> a path walk) fails instead. As runc does
 * since 1.0.0-rc93, a stub in front of the filter answers ENOSYS for every syscall
 * number above the largest the profile names on that architecture. Profiles whose
 * default lets syscalls through (allow, log, trace) or already answers ENOSYS need no
 * stub. Unlike runc, the native architecture counts even when the profile lists no
 * architectures (libseccomp always filters it). x32 syscalls (bit 30 on x86_64) are
 * left to the filter: libseccomp gives them its bad-architecture action unless the
 * profile lists SCMP_ARCH_X32. */
#define AUDIT_ARCH_X86_64_VALUE 0xc000003eU
#define X32_SYSCALL_BIT 0x40000000U
#define MAX_STUB_ARCHES (ARRAY_SIZE(arch_names) + 1)

static bool wants_enosys_stub(uint32_t default_action) {
  switch (default_action & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_ALLOW:
  case SECCOMP_RET_LOG:
  case SECCOMP_RET_TRACE:
    return false;
  default:
    return default_action != SCMP_ACT_ERRNO(ENOSYS);
  }
}

/* The largest syscall number the profile names on the architecture, 0 if none. */
static uint32_t last_syscall(const struct profile *p, uint32_t arch) {
  uint32_t last = 0;
  for (size_t i = 0; i < p->n_rules; i++) {
    size_t k;
    json_t *n;
    json_array_foreach(p->rules[i].names, k, n) {
      int nr = seccomp_syscall_resolve_name_arch(arch, json_string_value(n));
      if (nr >= 0 && (uint32_t)nr > last)
        last = (uint32_t)nr;
    }
  }
  return last;
}

static int prepend_enosys_stub(const struct profile *p, struct sock_filter **insns, size_t *n_insns, hull_err *err) {
  if (!wants_enosys_stub(p->default_action))
    return 0;
  uint32_t arches[MAX_STUB_ARCHES], last[MAX_STUB_ARCHES];
  size_t n_arches = 0;
  uint32_t candidates[MAX_STUB_ARCHES];
  candidates[0] = seccomp_arch_native();
  for (size_t i = 0; i < p->n_arches; i++)
    candidates[i + 1] = p->arches[i];
  for (size_t i = 0; i < p->n_arches + 1; i++) {
    /* libseccomp's x32 token is no kernel AUDIT_ARCH value (see above). */
    if (candidates[i] == SCMP_ARCH_X32)
      continue;
    bool dup = false;
    for (size_t j = 0; j < n_arches; j++)
      dup = dup || arches[j] == candidates[i];
    uint32_t l = dup ? 0 : last_syscall(p, candidates[i]);
    if (l == 0)
      continue;
    arches[n_arches] = candidates[i];
    last[n_arches++] = l;
  }
  if (n_arches == 0)
    return 0;
  /* ld arch; per architecture: jeq arch (else skip the section), ld nr, [jset x32 ->
   * filter], jgt last (else -> filter), ret ENOSYS, ja filter. */
  struct sock_filter stub[1 + MAX_STUB_ARCHES * 6];
  size_t n = 0, ja_at[MAX_STUB_ARCHES];
  stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  for (size_t i = 0; i < n_arches; i++) {
    bool x86_64 = arches[i] == AUDIT_ARCH_X86_64_VALUE;
    uint8_t body = x86_64 ? 5 : 4;
    stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[i], 0, body);
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    if (x86_64)
      stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 2, 0);
    stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, last[i], 0, 1);
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
    ja_at[i] = n;
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0);
  }
  for (size_t i = 0; i < n_arches; i++)
    stub[ja_at[i]].k = (uint32_t)(n - ja_at[i] - 1);
  if (*n_insns + n > BPF_MAXINSNS)
    return hull_error(err, E2BIG, "linux.seccomp: the filter has %zu instructions, the kernel accepts %d",
                      *n_insns + n, BPF_MAXINSNS);
  struct sock_filter *all = malloc((*n_insns + n) * sizeof(*all));
  if (all == NULL)
    return hull_error(err, ENOMEM, "linux.seccomp: export the seccomp filter");
  memcpy(all, stub, n * sizeof(*all));
  memcpy(all + n, *insns, *n_insns * sizeof(*all));
  free(*insns);
  *insns = all;
  *n_insns += n;
  return 0;
}

static int build_filter(const struct profile *p, struct sock_filter **insns, size_t *n_insns, hull_err *err) {
  cleanup_scmp scmp_filter_ctx ctx = seccomp_init(p->default_action);
  if (ctx == NULL) /* an action it refuses (checked above) or out of memory */
    return hull_error(err, 0, "linux.seccomp.defaultAction: libseccomp refused action 0x%" PRIx32,
                      p->default_action);
  if (set_attr(ctx, SCMP_FLTATR_CTL_OPTIMIZE, FILTER_OPTIMIZE_LEVEL, "linux.seccomp: optimize", err) < 0)
    return -1;
  /* The flags take effect in hull_seccomp_load(), which calls seccomp(2) itself; they are
   * also set on the context so that it describes the whole profile. */
  if ((p->flags & SECCOMP_FILTER_FLAG_LOG) &&
      set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_LOG", err) < 0)
    return -1;
  if ((p->flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW) &&
      set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW", err) < 0)
    return -1;
#ifdef SCMP_FLTATR_CTL_WAITKILL
  if (p->wait_killable && p->notify &&
      set_attr(ctx, SCMP_FLTATR_CTL_WAITKILL, 1, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
               err) < 0)
    return -1;
#endif
  for (size_t i = 0; i < p->n_arches; i++) {
    int rc = seccomp_arch_add(ctx, p->arches[i]);
    if (rc < 0 && rc != -EEXIST)
      return hull_error(err, -rc, "linux.seccomp.architectures[%zu]: cannot add %s to a filter for %s",
                        p->arch_index[i], arch_names[p->arch_name[i]].spec, native_arch_name());
  }
  for (size_t i = 0; i < p->n_rules; i++)
    if (add_rule(ctx, p, &p->rules[i], err) < 0)
      return -1;
  if (export_bpf(ctx, insns, n_insns, err) < 0)
    return -1;
  return prepend_enosys_stub(p, insns, n_insns, err);
}

static int make_result(const struct profile *p, struct sock_filter **insns, size_t n_insns, hull_seccomp **out,
                       hull_err *err) {
  hull_seccomp *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return hull_error(err, ENOMEM, "linux.seccomp");
  s->flags = p->flags;
  s->notify = p->notify;
  s->wait_killable = p->wait_killable;
  s->n_insns = (unsigned short)n_insns;
  s->insns = steal_pointer(insns);
  if ((p->listener_path && (s->listener_path = strdup(p->listener_path)) == NULL) ||
      (p->listener_metadata && (s->listener_metadata = strdup(p->listener_metadata)) == NULL)) {
    hull_seccomp_free(s);
    return hull_error(err, ENOMEM, "linux.seccomp");
  }
  *out = s;
  return 0;
}

/* ---- the on-disk cache ---- */

struct cache_header {
  char magic[8];
  uint32_t key_len;
  uint32_t n_insns;
  uint64_t checksum; /* FNV-1a 64 of key and program: a damaged file is never loaded */
};

static uint64_t fnv1a64(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}
#define FNV1A64_INIT 14695981039346656037ULL

/* Everything the exported program depends on: the canonical profile, libseccomp's
 * syscall tables (its version), the native architecture it always adds, and how we
 * build. The whole key is stored in the file and compared on a hit, so that the 64-bit
 * file name hash needs no collision resistance. */
static char *cache_key(json_t *profile, size_t *len, hull_err *err) {
  cleanup_free char *canon = json_dumps(profile, JSON_SORT_KEYS | JSON_COMPACT);
  if (canon == NULL) {
    hull_error(err, ENOMEM, "linux.seccomp: serialize the profile");
    return NULL;
  }
  const struct scmp_version *v = seccomp_version();
  char *key = NULL;
  int n = asprintf(&key, "hull-seccomp-cache %d\nlibseccomp %u.%u.%u\nnative 0x%" PRIx32 "\noptimize %d\n%s",
                   CACHE_FORMAT, v->major, v->minor, v->micro, seccomp_arch_native(), FILTER_OPTIMIZE_LEVEL,
                   canon);
  if (n < 0) {
    hull_error(err, ENOMEM, "linux.seccomp: cache key");
    return NULL;
  }
  *len = (size_t)n;
  return key;
}

/* Returns true and the program when dir/name holds a valid entry for key. Any problem
 * (missing, truncated, another key, damaged) is a miss, never an error. */
static bool cache_load(const char *dir, const char *name, const char *key, size_t key_len,
                       struct sock_filter **insns, size_t *n_insns) {
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return false;
  /* Whoever can write the directory or the file chooses every container's filter: only
   * ours, writable by nobody else, is trusted (a state root on a path that someone else
   * could prepare must not hand them the filter). */
  struct stat dst;
  if (fstat(dfd, &dst) < 0 || dst.st_uid != geteuid() || (dst.st_mode & 022) != 0)
    return false;
  cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat st;
  struct cache_header h;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
      hull_read_all(fd, &h, sizeof(h)) != (ssize_t)sizeof(h))
    return false;
  if (memcmp(h.magic, cache_magic, sizeof(cache_magic)) != 0 || h.key_len != key_len || h.n_insns == 0 ||
      h.n_insns > BPF_MAXINSNS)
    return false;
  size_t prog_len = (size_t)h.n_insns * sizeof(struct sock_filter);
  if ((uint64_t)st.st_size != sizeof(h) + key_len + prog_len)
    return false;
  cleanup_free char *stored_key = malloc(key_len);
  cleanup_free struct sock_filter *prog = malloc(prog_len);
  if (stored_key == NULL || prog == NULL)
    return false;
  if (hull_read_all(fd, stored_key, key_len) != (ssize_t)key_len || memcmp(stored_key, key, key_len) != 0 ||
      hull_read_all(fd, prog, prog_len) != (ssize_t)prog_len)
    return false;
  uint64_t sum = fnv1a64(fnv1a64(FNV1A64_INIT, key, key_len), prog, prog_len);
  if (sum != h.checksum)
    return false;
  *insns = steal_pointer(&prog);
  *n_insns = h.n_insns;
  return true;
}

/* Writes dir/name atomically: a temp file unique to this process, fsync, rename. The
 * fsync matters: a torn program would still be a valid-looking filter. */
static int cache_store(const char *dir, const char *name, const char *key, size_t key_len,
                       const struct sock_filter *insns, size_t n_insns, hull_err *err) {
  if (hull_mkdir_p(dir, 0700, err) < 0)
    return -1;
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  static unsigned int counter;
  char tmp[96];
  snprintf(tmp, sizeof(tmp), ".%s.%d.%u.tmp", name, (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
  cleanup_close int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return hull_error_sys(err, "create %s/%s", dir, tmp);
  size_t prog_len = n_insns * sizeof(struct sock_filter);
  struct cache_header h = {.key_len = (uint32_t)key_len, .n_insns = (uint32_t)n_insns};
  memcpy(h.magic, cache_magic, sizeof(h.magic));
  h.checksum = fnv1a64(fnv1a64(FNV1A64_INIT, key, key_len), insns, prog_len);
  if (hull_write_all(fd, &h, sizeof(h)) < 0 || hull_write_all(fd, key, key_len) < 0 ||
      hull_write_all(fd, insns, prog_len) < 0 || fsync(fd) < 0) {
    hull_error_sys(err, "write %s/%s", dir, tmp);
    unlinkat(dfd, tmp, 0);
    return -1;
  }
  if (renameat(dfd, tmp, dfd, name) < 0) {
    hull_error_sys(err, "rename %s/%s to %s", dir, tmp, name);
    unlinkat(dfd, tmp, 0);
    return -1;
  }
  return 0;
}

/* ---- public API ---- */

int hull_seccomp_compile_cached(json_t *profile, const char *cache_dir, hull_seccomp **out, hull_err *err) {
  *out = NULL;
  if (profile == NULL || json_is_null(profile))
    return 0;
  cleanup_profile struct profile p = {0};
  if (parse_profile(profile, &p, err) < 0)
    return -1;

  cleanup_free struct sock_filter *insns = NULL;
  size_t n_insns = 0;
  if (cache_dir == NULL) {
    if (build_filter(&p, &insns, &n_insns, err) < 0)
      return -1;
    return make_result(&p, &insns, n_insns, out, err);
  }

  size_t key_len = 0;
  cleanup_free char *key = cache_key(profile, &key_len, err);
  if (key == NULL)
    return -1;
  char name[32];
  snprintf(name, sizeof(name), "%016" PRIx64 ".bpf", fnv1a64(FNV1A64_INIT, key, key_len));
  if (cache_load(cache_dir, name, key, key_len, &insns, &n_insns))
    return make_result(&p, &insns, n_insns, out, err);

  if (build_filter(&p, &insns, &n_insns, err) < 0)
    return -1;
  hull_err store_err = NULL;
  if (cache_store(cache_dir, name, key, key_len, insns, n_insns, &store_err) < 0) {
    /* The cache only saves time: a read-only or full cache directory must not stop the
     * container, which has its filter either way. */
    hull_error_release(&store_err);
  }
  return make_result(&p, &insns, n_insns, out, err);
}

const char *hull_seccomp_cache_dir(const char *root, char *buf, size_t len) {
  if (root == NULL || (size_t)snprintf(buf, len, "%s/.seccomp-cache", root) >= len)
    return NULL;
  return buf;
}

int hull_seccomp_compile(json_t *profile, hull_seccomp **out, hull_err *err) {
  return hull_seccomp_compile_cached(profile, NULL, out, err);
}

int hull_seccomp_load(hull_seccomp *s, int *listener_fd, hull_err *err) {
  if (listener_fd != NULL)
    *listener_fd = -1;
  if (s == NULL)
    return 0;
  unsigned int flags = s->flags;
  if (s->notify) {
    if (listener_fd == NULL)
      return hull_error(err, EINVAL, "load seccomp filter: the profile uses SCMP_ACT_NOTIFY but no listener fd "
                                     "is wanted");
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    /* WAIT_KILLABLE_RECV is only valid with a listener; without one it means nothing. */
    if (s->wait_killable)
      flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  struct sock_fprog prog = {.len = s->n_insns, .filter = s->insns};
  long r = seccomp_sys(SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0 && errno == ENOSYS && flags == 0)
    r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0); /* kernels before 3.17 */
  if (r < 0) {
    if (errno == EACCES)
      return hull_error_sys(err, "load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
    return hull_error_sys(err, "load seccomp filter (flags 0x%x)", flags);
  }
  if (s->notify)
    *listener_fd = (int)r;
  return 0;
}

const char *hull_seccomp_listener_path(hull_seccomp *s) { return s ? s->listener_path : NULL; }

const char *hull_seccomp_listener_metadata(hull_seccomp *s) { return s ? s->listener_metadata : NULL; }

bool hull_seccomp_notify_p(hull_seccomp *s) { return s != NULL && s->notify; }

const void *hull_seccomp_bpf(hull_seccomp *s, size_t *len) {
  if (s == NULL) {
    *len = 0;
    return NULL;
  }
  *len = (size_t)s->n_insns * sizeof(struct sock_filter);
  return s->insns;
}

void hull_seccomp_free(hull_seccomp *s) {
  if (s == NULL)
    return;
  free(s->insns);
  free(s->listener_path);
  free(s->listener_metadata);
  free(s);
}

/* ---- checking the program against what the runtime needs ---- */

/* A classic BPF interpreter for the instructions seccomp accepts (the kernel's
 * seccomp_check_filter list). Jumps only go forward, so it always ends. */
static uint32_t bpf_run(const struct sock_filter *f, size_t n, const struct seccomp_data *d) {
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
  for (size_t pc = 0; pc < n; pc++) {
    const struct sock_filter *i = &f[pc];
    uint32_t k = i->k, src = BPF_SRC(i->code) == BPF_X ? x : k;
    switch (i->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (k > sizeof(*d) - 4 || k % 4)
        return SECCOMP_RET_KILL_PROCESS;
      memcpy(&a, (const char *)d + k, 4);
      continue;
    case BPF_LD | BPF_W | BPF_LEN:
      a = sizeof(*d);
      continue;
    case BPF_LDX | BPF_W | BPF_LEN:
      x = sizeof(*d);
      continue;
    case BPF_LD | BPF_IMM:
      a = k;
      continue;
    case BPF_LDX | BPF_IMM:
      x = k;
      continue;
    case BPF_LD | BPF_MEM:
      a = mem[k % BPF_MEMWORDS];
      continue;
    case BPF_LDX | BPF_MEM:
      x = mem[k % BPF_MEMWORDS];
      continue;
    case BPF_ST:
      mem[k % BPF_MEMWORDS] = a;
      continue;
    case BPF_STX:
      mem[k % BPF_MEMWORDS] = x;
      continue;
    case BPF_MISC | BPF_TAX:
      x = a;
      continue;
    case BPF_MISC | BPF_TXA:
      a = x;
      continue;
    case BPF_RET | BPF_K:
      return k;
    case BPF_RET | BPF_A:
      return a;
    case BPF_JMP | BPF_JA:
      pc += k;
      continue;
    default:
      break;
    }
    if (BPF_CLASS(i->code) == BPF_ALU) {
      switch (BPF_OP(i->code)) {
      case BPF_ADD: a += src; break;
      case BPF_SUB: a -= src; break;
      case BPF_MUL: a *= src; break;
      case BPF_DIV: a = src ? a / src : 0; break;
      case BPF_AND: a &= src; break;
      case BPF_OR: a |= src; break;
      case BPF_XOR: a ^= src; break;
      case BPF_LSH: a = src < 32 ? a << src : 0; break;
      case BPF_RSH: a = src < 32 ? a >> src : 0; break;
      case BPF_NEG: a = -a; break;
      default: return SECCOMP_RET_KILL_PROCESS;
      }
      continue;
    }
    if (BPF_CLASS(i->code) == BPF_JMP) {
      bool t;
      switch (BPF_OP(i->code)) {
      case BPF_JEQ: t = a == src; break;
      case BPF_JGT: t = a > src; break;
      case BPF_JGE: t = a >= src; break;
      case BPF_JSET: t = (a & src) != 0; break;
      default: return SECCOMP_RET_KILL_PROCESS;
      }
      pc += t ? i->jt : i->jf;
      continue;
    }
    return SECCOMP_RET_KILL_PROCESS; /* the kernel would have refused the program */
  }
  return SECCOMP_RET_KILL_PROCESS;
}

uint32_t hull_seccomp_eval(hull_seccomp *s, int nr) {
  /* libseccomp's architecture tokens are the kernel's AUDIT_ARCH_* values. */
  struct seccomp_data d = {.nr = nr, .arch = seccomp_arch_native()};
  return bpf_run(s->insns, s->n_insns, &d);
}

static const char *ret_name(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
  case SECCOMP_RET_KILL_THREAD: return "SCMP_ACT_KILL";
  case SECCOMP_RET_TRAP: return "SCMP_ACT_TRAP";
  case SECCOMP_RET_ERRNO: return "SCMP_ACT_ERRNO";
  case SECCOMP_RET_TRACE: return "SCMP_ACT_TRACE";
  case SECCOMP_RET_USER_NOTIF: return "SCMP_ACT_NOTIFY";
  default: return "a denying action";
  }
}

bool hull_seccomp_allows(hull_seccomp *s, const char *name) {
  if (s == NULL)
    return true;
  int nr = seccomp_syscall_resolve_name(name);
  if (nr < 0)
    return false;
  uint32_t action = hull_seccomp_eval(s, nr) & SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

int hull_seccomp_check_runtime(hull_seccomp *s, bool early_load, hull_err *err) {
  if (s == NULL)
    return 0;
  /* Between loading the filter and execve (init.c): setting the user and capabilities
   * (only when the filter is loaded before them), telling the parent we are ready,
   * reopening the exec fifo through a directory fd opened before, writing to it and
   * closing it, closing our fds, and execve itself. Everything else (the procfs handle,
   * the umask, the bounding set, the allocations) is done before loading. Only calls
   * without a fallback are listed: close_range falls back to walking the fd directory,
   * so an error answer is fine for it. Syscalls newer than the profile answer ENOSYS
   * (prepend_enosys_stub), so older profiles never meet this check for them. */
  static const struct {
    const char *name;
    bool early;
  } needed[] = {
      {"execve", false},   {"close_range", false}, {"write", false},     {"openat", false},
      {"close", false},    {"prctl", true},        {"setgroups", true},  {"setresgid", true},
      {"setresuid", true}, {"capset", true},
  };
  for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
    if (needed[i].early && !early_load)
      continue;
    int nr = seccomp_syscall_resolve_name(needed[i].name);
    if (nr < 0)
      continue;
    uint32_t ret = hull_seccomp_eval(s, nr), action = ret & SECCOMP_RET_ACTION_FULL;
    if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG)
      continue;
    if (strcmp(needed[i].name, "close_range") == 0 && (action == SECCOMP_RET_ERRNO || action == SECCOMP_RET_TRACE))
      continue;
    return hull_error(err, EPERM,
                      "linux.seccomp: the profile answers %s with %s, but the runtime must call it after loading "
                      "the filter%s: the container could not start",
                      needed[i].name, ret_name(ret),
                      early_load ? " (it is loaded before the user and capabilities are set because "
                                   "process.noNewPrivileges is false)"
                                 : "");
  }
  return 0;
}

int hull_seccomp_check_joining(hull_seccomp *s, bool terminal, hull_err *err) {
  static const char *const needed[] = {"clone", "sendmsg", "newfstatat", "access", "setsid", "ioctl", "dup2"};
  /* The last three only with a terminal. */
  size_t n = terminal ? ARRAY_SIZE(needed) : ARRAY_SIZE(needed) - 3;
  for (size_t i = 0; s != NULL && i < n; i++) {
    int nr = seccomp_syscall_resolve_name(needed[i]);
    if (nr < 0)
      continue;
    uint32_t ret = hull_seccomp_eval(s, nr), action = ret & SECCOMP_RET_ACTION_FULL;
    if (action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG)
      return hull_error(err, EPERM,
                        "linux.seccomp: the profile answers %s with %s, but the runtime must call it after loading "
                        "the filter when it joins an existing pid namespace (the filter is loaded before the "
                        "process enters it): the process could not start",
                        needed[i], ret_name(ret));
  }
  return 0;
}
