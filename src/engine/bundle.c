#include "engine/bundle.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/inroot.h"
#include "common/util.h"
#include "engine/flags.h"
#include "engine/userns.h"
#include "seccomp-default.h"

#define HULL_INIT_PATH "/sbin/hull-init"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Docker's 14 default capabilities (profiles/capabilities-default.json). */
static const char *const default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

/* Every capability of Linux 6.x, in number order (--privileged, --cap-add ALL). */
static const char *const all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};
static const char *const readonly_paths[] = {"/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger", NULL};

json_t *hull_default_seccomp(hull_err *err) {
  json_error_t je;
  json_t *j = json_loadb((const char *)hull_seccomp_default, sizeof(hull_seccomp_default), 0, &je);
  if (j == NULL)
    hull_error_code(err, EINVAL, "the built-in seccomp profile: %s", je.text);
  return j;
}

/* The architectures of the built-in profile that this host's kernel can report: the
 * native one and those it runs as a compat layer, as Docker's archMap writes them into
 * the config (x86_64: x86_64, x86, x32; aarch64: aarch64, arm). The others (aarch64 and
 * arm on x86_64) would be sections of the filter no system call can ever reach, which
 * the kernel still checks and compiles at every start: on x86_64 the filter shrinks from
 * 2040 to 1249 instructions and its load from ~0.4 to ~0.27 ms. Another architecture
 * keeps the list as the profile has it. */
json_t *hull_seccomp_host_archs(json_t *profile) {
#if defined(__x86_64__)
  json_t *archs = json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
  json_t *archs = json_pack("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
#else
  json_t *archs = NULL;
#endif
  if (archs != NULL && json_is_array(json_object_get(profile, "architectures")))
    json_object_set(profile, "architectures", archs);
  json_decref(archs);
  return profile;
}

/* The syscalls a capability makes useful, which Docker's and podman's default profile
 * (moby's profiles/seccomp/default.json, "includes": {"caps": [...]}) allow only when the
 * container has that capability: without it they would fail with EPERM anyway, so the
 * filter is the second wall, and with it (--cap-add) the filter must not undo the flag. */
static const struct {
  const char *cap;
  const char *const names[24];
} cap_syscalls[] = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN",
     {"bpf",       "clone",           "clone3",         "fanotify_init", "fsconfig",      "fsmount",
      "fsopen",    "fspick",          "lookup_dcookie", "mount",         "mount_setattr", "move_mount",
      "open_tree", "perf_event_open", "quotactl",       "quotactl_fd",   "setdomainname", "sethostname",
      "setns",     "syslog",          "umount",         "umount2",       "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

static bool names_one(const json_t *rule, const char *name) {
  const json_t *names = json_object_get(rule, "names");
  return json_array_size(names) == 1 && strcmp(json_string_value(json_array_get(names, 0)) ?: "", name) == 0;
}

json_t *hull_seccomp_for_caps(json_t *profile, const json_t *caps) {
  json_t *rules = json_object_get(profile, "syscalls");
  size_t i;
  json_t *v;
  for (size_t k = 0; k < sizeof(cap_syscalls) / sizeof(cap_syscalls[0]); k++) {
    bool has = false;
    json_array_foreach(caps, i, v) has = has || strcmp(json_string_value(v) ?: "", cap_syscalls[k].cap) == 0;
    if (!has || !json_is_array(rules))
      continue;
    /* CAP_SYS_ADMIN lifts the default's limits on clone (no namespace flags) and clone3
     * (ENOSYS, so that libcs fall back to the filtered clone): the rules that say so go,
     * or the runtime's filter would hold two actions for one syscall. */
    if (strcmp(cap_syscalls[k].cap, "CAP_SYS_ADMIN") == 0)
      for (i = json_array_size(rules); i-- > 0;) {
        json_t *r = json_array_get(rules, i);
        if ((names_one(r, "clone") && json_object_get(r, "args")) || names_one(r, "clone3"))
          json_array_remove(rules, i);
      }
    json_t *names = json_array();
    for (const char *const *n = cap_syscalls[k].names; *n; n++)
      json_array_append_new(names, json_string(*n));
    json_array_append_new(rules, json_pack("{s:o, s:s}", "names", names, "action", "SCMP_ACT_ALLOW"));
  }
  return profile;
}

/* ---- merging the image's config ---- */

static bool env_has(const json_t *env, const char *kv) {
  size_t n = strcspn(kv, "=");
  size_t i;
  json_t *e;
  json_array_foreach(env, i, e) {
    const char *s = json_string_value(e);
    if (s && strncmp(s, kv, n) == 0 && (s[n] == '=' || s[n] == '\0'))
      return true;
  }
  return false;
}

static bool empty(const json_t *j) {
  return j == NULL || json_is_null(j) || (json_is_string(j) && json_string_length(j) == 0) ||
         (json_is_array(j) && json_array_size(j) == 0);
}

int hull_config_merge_image(json_t *config, const json_t *image_config, bool entrypoint_set, hull_err *err) {
  if (!json_is_object(image_config))
    return 0;
  /* Env: the image's first, each one the flags do not set. */
  json_t *env = json_array();
  const json_t *ienv = json_object_get(image_config, "Env");
  json_t *fenv = json_object_get(config, "Env");
  size_t i;
  json_t *e;
  json_array_foreach(ienv, i, e) if (json_is_string(e) && !env_has(fenv, json_string_value(e)))
      json_array_append(env, e);
  json_array_foreach(fenv, i, e) json_array_append(env, e);
  json_object_set_new(config, "Env", env);
  if (!entrypoint_set) {
    json_t *ie = json_object_get(image_config, "Entrypoint");
    if (!empty(ie))
      json_object_set(config, "Entrypoint", ie);
    if (empty(json_object_get(config, "Cmd")) && !empty(json_object_get(image_config, "Cmd")))
      json_object_set(config, "Cmd", json_object_get(image_config, "Cmd"));
  }
  static const char *const strs[] = {"WorkingDir", "User", "StopSignal", NULL};
  for (const char *const *k = strs; *k; k++)
    if (empty(json_object_get(config, *k)) && !empty(json_object_get(image_config, *k)))
      json_object_set(config, *k, json_object_get(image_config, *k));
  /* Labels, Volumes and ExposedPorts: the union, the flags winning. */
  static const char *const maps[] = {"Labels", "Volumes", "ExposedPorts", NULL};
  for (const char *const *k = maps; *k; k++) {
    json_t *mine = json_object_get(config, *k);
    if (!json_is_object(mine)) {
      mine = json_object();
      json_object_set_new(config, *k, mine);
    }
    if (json_is_object(json_object_get(image_config, *k)))
      json_object_update_missing(mine, json_object_get(image_config, *k));
  }
  json_t *ih = json_object_get(image_config, "Healthcheck");
  if (json_is_object(ih)) {
    json_t *mh = json_object_get(config, "Healthcheck");
    if (mh == NULL)
      json_object_set(config, "Healthcheck", ih);
    else
      json_object_update_missing(mh, ih);
  }
  (void)err;
  return 0;
}

/* ---- users and groups, looked up inside the container's root filesystem ---- */

static json_t *resolve_user(int rootfd, const char *spec, const json_t *group_add, hull_err *err);

/* Finds the line of an /etc/passwd or /etc/group style file whose field 0 (name) or field
 * 2 (id) matches; fields gets the line split at ':'. The file is opened beneath rootfd, so
 * a symlinked /etc/passwd in a hostile image cannot make hull read a host file. */
static char *db_lookup(int rootfd, const char *file, const char *name, long id, char *fields[8], hull_err *err) {
  if (rootfd < 0)
    return NULL;
  cleanup_close int fd = hull_openat_in_root(rootfd, file, O_RDONLY | O_NOFOLLOW);
  if (fd < 0)
    return NULL;
  size_t len;
  cleanup_free char *data = hull_read_fd(fd, file, &len, err);
  if (data == NULL) {
    hull_error_release(err); /* an unreadable file is treated as a missing one */
    return NULL;
  }
  for (char *save = NULL, *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    size_t n = 0;
    char *p = line;
    memset(fields, 0, 8 * sizeof(char *));
    while (n < 8) {
      fields[n++] = p;
      p = strchr(p, ':');
      if (p == NULL)
        break;
      *p++ = '\0';
    }
    if (n < 3)
      continue;
    int64_t v;
    if ((name && strcmp(fields[0], name) == 0) || (!name && hull_parse_int64(fields[2], &v) == 0 && v == id)) {
      /* Hand back a copy; fields point into it. */
      size_t off = (size_t)(line - data);
      char *copy = malloc(len + 1);
      if (copy == NULL)
        return NULL;
      memcpy(copy, data, len + 1);
      for (size_t k = 0; k < n; k++)
        fields[k] = copy + (fields[k] - data);
      (void)off;
      return copy;
    }
  }
  return NULL;
}

static int resolve_group(int rootfd, const char *g, int64_t *gid, hull_err *err) {
  if (hull_parse_int64(g, gid) == 0 && *gid >= 0)
    return 0;
  char *f[8];
  cleanup_free char *line = db_lookup(rootfd, "/etc/group", g, 0, f, err);
  if (line == NULL || f[2] == NULL || hull_parse_int64(f[2], gid) < 0) {
    hull_error_code(err, ENOENT, "unable to find group %s: no matching entries in group file", g);
    (*err)->status = 125;
    return -1;
  }
  return 0;
}

/* Docker's -u NAME|UID[:GROUP|GID] -> the OCI user object. */
json_t *hull_resolve_user(int rootfd, const char *spec, const json_t *group_add, hull_err *err) {
  return resolve_user(rootfd, spec, group_add, err);
}

static json_t *resolve_user(int rootfd, const char *spec, const json_t *group_add, hull_err *err) {
  cleanup_free char *copy = strdup(spec ? spec : "");
  if (copy == NULL) {
    hull_error(err, ENOMEM, "user");
    return NULL;
  }
  char *group = strchr(copy, ':');
  if (group)
    *group++ = '\0';
  int64_t uid = 0, gid = 0;
  const char *uname = NULL;
  char *f[8];
  cleanup_free char *pw = NULL;
  if (copy[0] == '\0') {
    uid = 0;
  } else if (hull_parse_int64(copy, &uid) == 0 && uid >= 0) {
    pw = db_lookup(rootfd, "/etc/passwd", NULL, (long)uid, f, err);
  } else {
    pw = db_lookup(rootfd, "/etc/passwd", copy, 0, f, err);
    if (pw == NULL || hull_parse_int64(f[2], &uid) < 0) {
      hull_error_code(err, ENOENT, "unable to find user %s: no matching entries in passwd file", copy);
      (*err)->status = 125;
      return NULL;
    }
  }
  if (pw) {
    uname = f[0];
    if (f[3] == NULL || hull_parse_int64(f[3], &gid) < 0)
      gid = 0;
  }
  if (group && resolve_group(rootfd, group, &gid, err) < 0)
    return NULL;
  json_t *extra = json_array();
  /* Supplementary groups: the user's memberships in /etc/group (as Docker), then --group-add. */
  if (uname && rootfd >= 0) {
    cleanup_close int fd = hull_openat_in_root(rootfd, "/etc/group", O_RDONLY | O_NOFOLLOW);
    size_t len;
    cleanup_free char *data = fd >= 0 ? hull_read_fd(fd, "/etc/group", &len, err) : NULL;
    if (fd >= 0 && data == NULL)
      hull_error_release(err); /* no group file: no memberships */
    for (char *save = NULL, *line = data ? strtok_r(data, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
      char *parts[4] = {NULL};
      size_t n = 0;
      for (char *p = line; n < 4 && p; n++) {
        parts[n] = p;
        p = strchr(p, ':');
        if (p)
          *p++ = '\0';
      }
      int64_t g;
      if (n < 4 || parts[3] == NULL || hull_parse_int64(parts[2], &g) < 0 || g == gid)
        continue;
      for (char *s2 = NULL, *m = strtok_r(parts[3], ",", &s2); m; m = strtok_r(NULL, ",", &s2))
        if (strcmp(m, uname) == 0)
          json_array_append_new(extra, json_integer(g));
    }
  }
  size_t i;
  json_t *ga;
  json_array_foreach(group_add, i, ga) {
    int64_t g;
    if (resolve_group(rootfd, json_string_value(ga), &g, err) < 0) {
      json_decref(extra);
      return NULL;
    }
    json_array_append_new(extra, json_integer(g));
  }
  json_t *u = json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
  if (json_array_size(extra))
    json_object_set_new(u, "additionalGids", extra);
  else
    json_decref(extra);
  return u;
}

/* Whether capability number cap is in this process's bounding set. "All capabilities"
 * (--privileged, exec --privileged) means all that hull itself may hand on, as podman does:
 * asking for one the caller lacks (a hull inside a restricted container or sandbox) makes
 * the runtime's capset fail with EPERM, and nothing would run privileged at all. */
static bool in_own_bounding(size_t cap) { return prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 1; }

/* Every capability hull has (exec --privileged). */
json_t *hull_all_capabilities(void) {
  json_t *set = json_array();
  for (size_t i = 0; all_caps[i]; i++)
    if (in_own_bounding(i))
      json_array_append_new(set, json_string(all_caps[i]));
  return json_pack("{s:O, s:O, s:o}", "bounding", set, "effective", set, "permitted", set);
}

/* ---- capabilities ---- */

static int cap_name(const char *in, char out[64], hull_err *err) {
  snprintf(out, 64, "%s%s", strncasecmp(in, "CAP_", 4) == 0 ? "" : "CAP_", in);
  for (char *p = out; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  if (strcmp(out, "CAP_ALL") == 0)
    return 0;
  for (const char *const *c = all_caps; *c; c++)
    if (strcmp(*c, out) == 0)
      return 0;
  hull_error_code(err, EINVAL, "unknown capability: \"%s\"", out); /* dockerd's words */
  (*err)->status = 125;
  return -1;
}

static bool in_list(const json_t *list, const char *cap, hull_err *err) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    char n[64];
    hull_err e = NULL;
    if (cap_name(json_string_value(v), n, &e) < 0) {
      hull_error_release(&e); /* reported by the validation pass */
      continue;
    }
    if (strcmp(n, cap) == 0 || strcmp(n, "CAP_ALL") == 0)
      return true;
  }
  (void)err;
  return false;
}

static json_t *capabilities(const json_t *hc, hull_err *err) {
  const json_t *add = json_object_get(hc, "CapAdd"), *drop = json_object_get(hc, "CapDrop");
  size_t i;
  json_t *v;
  char n[64];
  json_array_foreach(add, i, v) if (cap_name(json_string_value(v), n, err) < 0) return NULL;
  json_array_foreach(drop, i, v) if (cap_name(json_string_value(v), n, err) < 0) return NULL;
  bool priv = json_is_true(json_object_get(hc, "Privileged"));
  json_t *set = json_array();
  for (const char *const *c = all_caps; *c; c++) {
    bool dflt = false;
    for (const char *const *d = default_caps; *d; d++)
      dflt = dflt || strcmp(*d, *c) == 0;
    bool on =
        priv ? in_own_bounding((size_t)(c - all_caps)) : (dflt || in_list(add, *c, err)) && !in_list(drop, *c, err);
    if (on)
      json_array_append_new(set, json_string(*c));
  }
  return json_pack("{s:O, s:O, s:o}", "bounding", set, "effective", set, "permitted", set);
}

/* ---- mounts ---- */

static json_t *mnt(const char *dst, const char *type, const char *src, const char *opts) {
  json_t *o = json_array();
  cleanup_free char *copy = strdup(opts);
  for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
    json_array_append_new(o, json_string(t));
  return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src, "options", o);
}

static bool bad_target(const char *dst) {
  /* Docker refuses "/" and mounts that would cover the proc file system the runtime mounts. */
  return strcmp(dst, "/") == 0 || strcmp(dst, "/proc") == 0 || hull_str_has_prefix(dst, "/proc/");
}

static int target_error(hull_err *err, const char *dst) {
  hull_error_code(err, EINVAL, "invalid mount config: destination %s is not allowed", dst);
  (*err)->status = 125;
  return -1;
}

/* -v / --mount / --tmpfs / image VOLUMEs -> OCI mounts (appended to mounts). */
static int user_mounts(const hull_bundle_in *in, json_t *mounts, hull_err *err) {
  const json_t *hc = in->host_config;
  size_t i;
  json_t *v;
  json_t *taken = json_object(); /* destinations already mounted, so volumes do not cover binds */
  cleanup_json json_t *taken_ref = taken;
  json_array_foreach(json_object_get(hc, "Binds"), i, v) {
    cleanup_free char *copy = strdup(json_string_value(v));
    char *src = copy, *dst = strchr(copy, ':');
    *dst++ = '\0';
    char *opt = strchr(dst, ':');
    if (opt)
      *opt++ = '\0';
    if (bad_target(dst))
      return target_error(err, dst);
    bool ro = false;
    for (char *save = NULL, *t = opt ? strtok_r(opt, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
      ro = ro || strcmp(t, "ro") == 0;
    cleanup_free char *source = NULL;
    if (src[0] == '/') {
      if (access(src, F_OK) < 0) {
        hull_error_code(err, ENOENT, "invalid mount config for type \"bind\": bind source path does not exist: %s",
                        src);
        (*err)->status = 125;
        return -1;
      }
      source = strdup(src);
    } else {
      /* A named volume: a directory of the store, made on first use. */
      if (strchr(src, '/') || strcmp(src, ".") == 0 || strcmp(src, "..") == 0)
        return hull_error_code(err, EINVAL, "invalid volume name %s", src);
      if (asprintf(&source, "%s/../../volumes/%s/_data", in->ctr_dir, src) < 0 || hull_mkdir_p(source, 0755, err) < 0)
        return -1;
    }
    json_array_append_new(mounts, mnt(dst, "bind", source, ro ? "rbind,ro" : "rbind"));
    json_object_set_new(taken, dst, json_true());
  }
  json_array_foreach(json_object_get(hc, "Mounts"), i, v) {
    const char *type = json_string_value(json_object_get(v, "Type"));
    const char *dst = json_string_value(json_object_get(v, "Target"));
    const char *src = json_string_value(json_object_get(v, "Source"));
    bool ro = json_is_true(json_object_get(v, "ReadOnly"));
    if (bad_target(dst))
      return target_error(err, dst);
    if (strcmp(type, "tmpfs") == 0) {
      /* Docker's options for every tmpfs (as --tmpfs below): noexec too. */
      char opts[128] = "nosuid,nodev,noexec";
      const json_t *to = json_object_get(v, "TmpfsOptions");
      json_int_t sz = json_integer_value(json_object_get(to, "SizeBytes"));
      json_t *mode = json_object_get(to, "Mode");
      size_t n = strlen(opts);
      if (sz > 0)
        n += (size_t)snprintf(opts + n, sizeof(opts) - n, ",size=%lld", (long long)sz);
      if (json_is_integer(mode))
        snprintf(opts + n, sizeof(opts) - n, ",mode=%llo", (unsigned long long)json_integer_value(mode));
      if (ro)
        strcat(opts, ",ro");
      json_array_append_new(mounts, mnt(dst, "tmpfs", "tmpfs", opts));
    } else {
      cleanup_free char *source = NULL;
      if (strcmp(type, "bind") == 0) {
        if (access(src, F_OK) < 0) {
          hull_error_code(err, ENOENT, "invalid mount config for type \"bind\": bind source path does not exist: %s",
                          src);
          (*err)->status = 125;
          return -1;
        }
        source = strdup(src);
      } else if (src && (strchr(src, '/') || src[0] == '.')) {
        return hull_error_code(err, EINVAL, "invalid volume name %s", src);
      } else {
        int r = src ? asprintf(&source, "%s/../../volumes/%s/_data", in->ctr_dir, src)
                    : asprintf(&source, "%s/volumes/mount%zu", in->ctr_dir, i);
        if (r < 0 || hull_mkdir_p(source, 0755, err) < 0)
          return -1;
      }
      json_array_append_new(mounts, mnt(dst, "bind", source, ro ? "rbind,ro" : "rbind"));
    }
    json_object_set_new(taken, dst, json_true());
  }
  const char *dst;
  json_object_foreach((json_t *)json_object_get(hc, "Tmpfs"), dst, v) {
    if (bad_target(dst))
      return target_error(err, dst);
    cleanup_free char *opts = NULL;
    const char *o = json_string_value(v);
    if (asprintf(&opts, "nosuid,nodev,noexec%s%s", o && *o ? "," : "", o ? o : "") < 0)
      return hull_error(err, ENOMEM, "tmpfs");
    json_array_append_new(mounts, mnt(dst, "tmpfs", "tmpfs", opts));
    json_object_set_new(taken, dst, json_true());
  }
  /* Anonymous volumes (the image's VOLUMEs and -v /path): a directory of the container. */
  size_t n = 0;
  json_object_foreach((json_t *)json_object_get(in->config, "Volumes"), dst, v) {
    if (json_object_get(taken, dst))
      continue;
    /* A hostile image's VOLUME ("/../../etc", containerd CVE-2022-23648): no ".." at all. */
    bool dotdot = false;
    for (const char *q = dst; (q = strstr(q, "..")) != NULL; q += 2)
      dotdot = dotdot || ((q == dst || q[-1] == '/') && (q[2] == '\0' || q[2] == '/'));
    if (dst[0] != '/' || bad_target(dst) || dotdot)
      return target_error(err, dst);
    cleanup_free char *source = NULL;
    if (asprintf(&source, "%s/volumes/anon%zu", in->ctr_dir, n++) < 0 || hull_mkdir_p(source, 0755, err) < 0)
      return -1;
    json_array_append_new(mounts, mnt(dst, "bind", source, "rbind"));
  }
  return 0;
}

static int default_mounts(const hull_bundle_in *in, json_t *mounts, bool priv, hull_err *err) {
  const json_t *hc = in->host_config;
  char shm[80];
  json_int_t shm_size = json_integer_value(json_object_get(hc, "ShmSize"));
  snprintf(shm, sizeof(shm), "nosuid,noexec,nodev,mode=1777,size=%lld",
           (long long)(shm_size > 0 ? shm_size : 64 << 20));
  json_array_append_new(mounts, mnt("/proc", "proc", "proc", "nosuid,noexec,nodev"));
  json_array_append_new(mounts, mnt("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  json_array_append_new(mounts,
                        mnt("/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
  json_array_append_new(mounts, mnt("/sys", "sysfs", "sysfs", priv ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro"));
  json_array_append_new(mounts, mnt("/sys/fs/cgroup", "cgroup", "cgroup",
                                    priv ? "nosuid,noexec,nodev,relatime" : "nosuid,noexec,nodev,relatime,ro"));
  json_array_append_new(mounts, mnt("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
  /* Docker's --ipc host uses the host's /dev/shm and none has no /dev/shm at all. A
   * container on another's IPC namespace gets a /dev/shm of its own: what it shares with
   * the other container is System V IPC and POSIX message queues (docs/design.md). */
  const char *ipc = json_string_value(json_object_get(hc, "IpcMode")) ?: "";
  if (strcmp(ipc, "host") != 0 && strcmp(ipc, "none") != 0)
    json_array_append_new(mounts, mnt("/dev/shm", "tmpfs", "shm", shm));
  /* /etc/hostname, /etc/hosts and /etc/resolv.conf: files of the container, as Docker.
   * They do not exist yet: the network's setup writes them at every start, before the
   * runtime reads this. */
  static const char *const files[] = {"hostname", "hosts", "resolv.conf", NULL};
  for (const char *const *f = files; *f; f++) {
    cleanup_free char *src = NULL, *dst = NULL;
    if (asprintf(&src, "%s/%s", in->ctr_dir, *f) < 0 || asprintf(&dst, "/etc/%s", *f) < 0)
      return hull_error(err, ENOMEM, "mounts");
    json_array_append_new(mounts, mnt(dst, "bind", src, "rbind,rprivate"));
  }
  return user_mounts(in, mounts, err);
}

/* ---- resources ---- */

static json_t *resources(const json_t *hc, bool priv, bool memory_v1) {
  json_t *r = json_object();
  json_t *dev = json_array();
  json_array_append_new(dev, json_pack("{s:b, s:s}", "allow", priv, "access", "rwm"));
  if (!priv) {
    /* runc's and Docker's allowed device list. */
    static const struct {
      const char *type;
      int64_t major, minor;
      const char *access;
    } allowed[] = {{"c", -1, -1, "m"}, {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"},    {"c", 1, 5, "rwm"},
                   {"c", 1, 7, "rwm"}, {"c", 1, 8, "rwm"}, {"c", 1, 9, "rwm"},    {"c", 5, 0, "rwm"},
                   {"c", 5, 1, "rwm"}, {"c", 5, 2, "rwm"}, {"c", 136, -1, "rwm"}, {"c", 10, 200, "rwm"}};
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
      json_t *d = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", allowed[i].type, "access", allowed[i].access);
      if (allowed[i].major >= 0)
        json_object_set_new(d, "major", json_integer(allowed[i].major));
      if (allowed[i].minor >= 0)
        json_object_set_new(d, "minor", json_integer(allowed[i].minor));
      json_array_append_new(dev, d);
    }
  }
  json_object_set_new(r, "devices", dev);
  json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
  json_int_t res = json_integer_value(json_object_get(hc, "MemoryReservation"));
  json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
  json_t *m = json_object();
  if (mem > 0)
    json_object_set_new(m, "limit", json_integer(mem));
  if (res > 0)
    json_object_set_new(m, "reservation", json_integer(res));
  /* Docker: --memory-swap is memory plus swap; unset means twice the memory. */
  if (swap != 0)
    json_object_set_new(m, "swap", json_integer(swap));
  else if (mem > 0)
    json_object_set_new(m, "swap", json_integer(2 * mem));
  /* An OOM kill ends the whole container where the kernel can do it: memory.oom.group on
   * cgroup v2 (what Kubernetes asks for; Docker users expect 137). cgroup v1 has no such
   * knob; there the kernel kills one process and the container's own exit code stands. */
  if (mem > 0 && !memory_v1)
    json_object_set_new(r, "unified", json_pack("{s:s}", "memory.oom.group", "1"));
  if (json_object_size(m))
    json_object_set_new(r, "memory", m);
  else
    json_decref(m);
  json_t *cpu = json_object();
  json_int_t shares = json_integer_value(json_object_get(hc, "CpuShares"));
  json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
  json_int_t period = json_integer_value(json_object_get(hc, "CpuPeriod"));
  json_int_t quota = json_integer_value(json_object_get(hc, "CpuQuota"));
  if (shares > 0)
    json_object_set_new(cpu, "shares", json_integer(shares));
  if (nano > 0) {
    period = 100000;
    quota = nano * period / 1000000000;
  }
  if (period > 0)
    json_object_set_new(cpu, "period", json_integer(period));
  if (quota != 0)
    json_object_set_new(cpu, "quota", json_integer(quota));
  const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
  const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
  if (cpus && *cpus)
    json_object_set_new(cpu, "cpus", json_string(cpus));
  if (mems && *mems)
    json_object_set_new(cpu, "mems", json_string(mems));
  if (json_object_size(cpu))
    json_object_set_new(r, "cpu", cpu);
  else
    json_decref(cpu);
  json_t *pids = json_object_get(hc, "PidsLimit");
  if (json_is_integer(pids) && json_integer_value(pids) != 0)
    json_object_set_new(r, "pids", json_pack("{s:I}", "limit", json_integer_value(pids)));
  json_int_t bw = json_integer_value(json_object_get(hc, "BlkioWeight"));
  if (bw > 0)
    json_object_set_new(r, "blockIO", json_pack("{s:I}", "weight", bw));
  return r;
}

json_t *hull_bundle_resources(const json_t *host_config, bool memory_v1) {
  json_t *r = resources(host_config, json_is_true(json_object_get(host_config, "Privileged")), memory_v1);
  json_object_del(r, "devices");
  return r;
}

/* ---- namespaces ---- */

static json_t *id_mappings(const hull_idmap *m, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)m[i].ctr, "hostID",
                                       (json_int_t)m[i].host, "size", (json_int_t)m[i].size));
  return a;
}

static int namespaces(const json_t *hc, const char *netns_path, const hull_userns *u, json_t *lx, hull_err *err) {
  json_t *ns = json_array();
  json_object_set_new(lx, "namespaces", ns);
  /* The user namespace: a new one with the container's maps, or ns:PATH's (whose maps the
   * config repeats, as runc wants them). */
  if (u) {
    json_array_append_new(ns, u->path ? json_pack("{s:s, s:s}", "type", "user", "path", u->path)
                                      : json_pack("{s:s}", "type", "user"));
    json_object_set_new(lx, "uidMappings", id_mappings(u->uid, u->n_uid));
    json_object_set_new(lx, "gidMappings", id_mappings(u->gid, u->n_gid));
  }
  struct {
    const char *type, *key;
  } kinds[] = {{"pid", "PidMode"}, {"ipc", "IpcMode"}, {"uts", "UTSMode"}, {"network", "NetworkMode"}, {"mount", NULL}};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    const char *mode = kinds[i].key ? json_string_value(json_object_get(hc, kinds[i].key)) : NULL;
    if (mode && strcmp(mode, "host") == 0)
      continue;
    /* The network namespace made and wired before the container starts (engine/network.c):
     * a bridge or user network's, or, for container:NAME, that container's. */
    if (i == 3 && netns_path) {
      json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path", netns_path));
      continue;
    }
    if (i == 3 && mode && hull_str_has_prefix(mode, "container:"))
      continue; /* the other container shares the host's network namespace */
    /* pid and ipc container:<id> (engine/nsjoin.c): the path of the other container's
     * namespace is filled in at every start, when its pid is known. */
    json_array_append_new(ns, json_pack("{s:s}", "type", kinds[i].type));
  }
  return 0;
}

static int security(const json_t *hc, json_t *spec, json_t *process, bool priv, hull_err *err) {
  json_t *lx = json_object_get(spec, "linux");
  bool seccomp = !priv, nnp = false;
  cleanup_json json_t *profile = NULL;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v) {
    const char *o = json_string_value(v);
    if (strcmp(o, "seccomp=unconfined") == 0 || strcmp(o, "seccomp:unconfined") == 0) {
      seccomp = false;
    } else if (hull_str_has_prefix(o, "seccomp=") || hull_str_has_prefix(o, "seccomp:")) {
      json_error_t je;
      profile = json_load_file(o + 8, 0, &je);
      if (profile == NULL) {
        hull_error_code(err, EINVAL, "opening seccomp profile (%s) failed: %s", o + 8, je.text);
        (*err)->status = 125;
        return -1;
      }
    } else if (strcmp(o, "no-new-privileges") == 0 || strcmp(o, "no-new-privileges=true") == 0 ||
               strcmp(o, "no-new-privileges:true") == 0) {
      nnp = true;
    }
  }
  json_object_set_new(process, "noNewPrivileges", json_boolean(nnp));
  if (seccomp) {
    if (profile == NULL) {
      profile = hull_default_seccomp(err);
      if (profile == NULL)
        return -1;
      hull_seccomp_for_caps(profile, json_object_get(json_object_get(process, "capabilities"), "bounding"));
      hull_seccomp_host_archs(profile);
    }
    json_object_set(lx, "seccomp", profile);
  }
  if (!priv) {
    json_t *m = json_array(), *r = json_array();
    for (const char *const *p = masked_paths; *p; p++)
      json_array_append_new(m, json_string(*p));
    for (const char *const *p = readonly_paths; *p; p++)
      json_array_append_new(r, json_string(*p));
    json_object_set_new(lx, "maskedPaths", m);
    json_object_set_new(lx, "readonlyPaths", r);
  }
  return 0;
}

static json_t *args_of(const json_t *config, hull_err *err) {
  json_t *args = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(config, "Entrypoint"), i, v) json_array_append(args, v);
  json_array_foreach(json_object_get(config, "Cmd"), i, v) json_array_append(args, v);
  if (json_array_size(args) == 0) {
    json_decref(args);
    hull_error_code(err, EINVAL, "no command specified");
    (*err)->status = 125;
    return NULL;
  }
  return args;
}

/* --init: hull-init, installed next to hull, is bind-mounted read-only at /sbin/hull-init
 * (Docker's docker-init at /sbin/docker-init) and becomes pid 1 with the command after it.
 * It is found next to this executable, which is hull (or the monitor next to it). */
static int add_init(json_t *mounts, json_t *args, hull_err *err) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0)
    return hull_error_sys(err, "readlink /proc/self/exe");
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  char init[PATH_MAX + 16];
  snprintf(init, sizeof(init), "%.*s/hull-init", slash ? (int)(slash - self) : 1, slash ? self : ".");
  if (access(init, X_OK) < 0) {
    hull_error_sys(err, "--init: %s", init);
    (*err)->status = 125;
    return -1;
  }
  json_t *m = json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "destination", HULL_INIT_PATH, "type", "bind", "source", init,
                        "options", "rbind", "ro", "nosuid");
  json_array_append_new(mounts, m);
  json_array_insert_new(args, 0, json_string("--"));
  json_array_insert_new(args, 0, json_string(HULL_INIT_PATH));
  return 0;
}

static json_t *rlimits(const json_t *hc) {
  json_t *r = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hc, "Ulimits"), i, v) {
    char name[64];
    snprintf(name, sizeof(name), "RLIMIT_%s", json_string_value(json_object_get(v, "Name")));
    for (char *p = name; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    json_array_append_new(r, json_pack("{s:s, s:O, s:O}", "type", name, "soft", json_object_get(v, "Soft"), "hard",
                                       json_object_get(v, "Hard")));
  }
  return r;
}

/* --privileged: every device node of the host's /dev, as Docker's (runc's GetDevices):
 * below /dev except pts, shm, fd and mqueue (the container has its own), without
 * /dev/console, and without the nodes every container gets anyway (the runtime's default
 * devices and ptmx, which is pts/ptmx). The device cgroup already allows everything. */
static void host_devices(int fd, const char *path, int depth, json_t *devs) {
  static const char *const skip[] = {"pts",  "shm",  "fd",   "mqueue", ".lxc",    ".lxd-mounts", ".udev", "console",
                                     "null", "zero", "full", "random", "urandom", "tty",         "ptmx",  NULL};
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    bool skipped = false;
    for (const char *const *k = skip; *k && !skipped; k++)
      skipped = depth == 0 && strcmp(*k, de->d_name) == 0;
    struct stat st;
    if (skipped || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    cleanup_free char *p = NULL;
    if (asprintf(&p, "%s/%s", path, de->d_name) < 0)
      continue;
    if (S_ISDIR(st.st_mode) && depth < 8) {
      int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        host_devices(sub, p, depth + 1, devs);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      json_array_append_new(devs, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", p, "type",
                                            S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
                                            "minor", (json_int_t)minor(st.st_rdev), "fileMode",
                                            (int)(st.st_mode & 07777), "uid", (int)st.st_uid, "gid", (int)st.st_gid));
    }
  }
  closedir(d);
}

json_t *hull_bundle_generate(const hull_bundle_in *in, hull_err *err) {
  const json_t *cf = in->config, *hc = in->host_config;
  bool priv = json_is_true(json_object_get(hc, "Privileged"));
  bool tty = json_is_true(json_object_get(cf, "Tty"));
  cleanup_json json_t *args = args_of(cf, err);
  if (args == NULL)
    return NULL;
  cleanup_json json_t *user =
      resolve_user(in->rootfd, json_string_value(json_object_get(cf, "User")), json_object_get(hc, "GroupAdd"), err);
  if (user == NULL)
    return NULL;
  cleanup_json json_t *caps = capabilities(hc, err);
  if (caps == NULL)
    return NULL;
  char hostname[80];
  const char *hn = json_string_value(json_object_get(cf, "Hostname"));
  snprintf(hostname, sizeof(hostname), "%.*s", hn && *hn ? 64 : 12, hn && *hn ? hn : in->id);
  json_t *env = json_array();
  size_t i;
  json_t *v;
  bool has_path = false;
  json_array_foreach(json_object_get(cf, "Env"), i, v) has_path =
      has_path || hull_str_has_prefix(json_string_value(v), "PATH=");
  if (!has_path)
    json_array_append_new(env, json_string(DEFAULT_PATH));
  json_array_foreach(json_object_get(cf, "Env"), i, v) json_array_append(env, v);
  char hn_env[100];
  snprintf(hn_env, sizeof(hn_env), "HOSTNAME=%s", hostname);
  json_array_append_new(env, json_string(hn_env));
  if (tty)
    json_array_append_new(env, json_string("TERM=xterm"));
  const char *cwd = json_string_value(json_object_get(cf, "WorkingDir"));
  json_t *process = json_pack("{s:b, s:O, s:O, s:o, s:s, s:O, s:o}", "terminal", tty, "user", user, "args", args, "env",
                              env, "cwd", cwd && *cwd ? cwd : "/", "capabilities", caps, "rlimits", rlimits(hc));
  /* Docker's ConsoleSize [height, width]: the caller's terminal at create, so that the
   * container's first look at its size is right before the attach's resize. */
  const json_t *cs = json_object_get(hc, "ConsoleSize");
  if (tty && process && json_integer_value(json_array_get(cs, 0)) > 0 && json_integer_value(json_array_get(cs, 1)) > 0)
    json_object_set_new(process, "consoleSize",
                        json_pack("{s:O, s:O}", "height", json_array_get(cs, 0), "width", json_array_get(cs, 1)));
  json_int_t oom = json_integer_value(json_object_get(hc, "OomScoreAdj"));
  if (oom != 0)
    json_object_set_new(process, "oomScoreAdj", json_integer(oom));
  char cgpath[160];
  snprintf(cgpath, sizeof(cgpath), "%s/%s", in->cgroup_parent ? in->cgroup_parent : "/hull", in->id);
  cleanup_json json_t *spec =
      json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:[], s:{s:s, s:o, s:O}}", "ociVersion", "1.0.2", "process", process,
                "root", "path", "rootfs", "readonly", json_is_true(json_object_get(hc, "ReadonlyRootfs")), "hostname",
                hostname, "mounts", "linux", "cgroupsPath", cgpath, "resources", resources(hc, priv, in->memory_v1),
                "sysctl", json_object_get(hc, "Sysctls") ?: json_object());
  if (spec == NULL) {
    hull_error(err, ENOMEM, "generate the OCI config");
    return NULL;
  }
  json_t *lx = json_object_get(spec, "linux");
  json_t *hostname_j = json_object_get(spec, "hostname");
  if (namespaces(hc, in->netns_path, in->userns, lx, err) < 0 || security(hc, spec, process, priv, err) < 0 ||
      default_mounts(in, json_object_get(spec, "mounts"), priv, err) < 0)
    return NULL;
  if (json_is_true(json_object_get(hc, "Init")) && add_init(json_object_get(spec, "mounts"), args, err) < 0)
    return NULL;
  const char *uts = json_string_value(json_object_get(hc, "UTSMode"));
  if (uts && strcmp(uts, "host") == 0 && hostname_j)
    json_object_del(spec, "hostname");
  /* Devices given with --device: created by the runtime and allowed in the device cgroup. */
  json_t *devs = json_array();
  if (priv) {
    int dfd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
      host_devices(dfd, "/dev", 0, devs);
  }
  json_array_foreach(json_object_get(hc, "Devices"), i, v) {
    const char *host = json_string_value(json_object_get(v, "PathOnHost"));
    struct stat st;
    if (stat(host, &st) < 0 || (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))) {
      json_decref(devs);
      hull_error_code(err, ENOENT,
                      "error gathering device information while adding custom device \"%s\": no such file or directory",
                      host);
      (*err)->status = 125;
      return NULL;
    }
    const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
    json_array_append_new(devs,
                          json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path",
                                    json_string_value(json_object_get(v, "PathInContainer")), "type", type, "major",
                                    (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev), "fileMode",
                                    (int)(st.st_mode & 07777), "uid", 0, "gid", 0));
    json_array_append_new(json_object_get(json_object_get(lx, "resources"), "devices"),
                          json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type, "major",
                                    (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev), "access",
                                    json_string_value(json_object_get(v, "CgroupPermissions"))));
  }
  json_object_set_new(lx, "devices", devs);
  return steal_pointer(&spec);
}
