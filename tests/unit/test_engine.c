/* The engine's pure parts: run flags -> Docker's Config/HostConfig -> OCI config.json. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/bundle.h"
#include "engine/engine.h"
#include "engine/flags.h"
#include "engine/userns.h"
#include "tap.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parses "run ARGS... busybox" (a NULL-terminated list) into o. */
static int parse_v(hull_run_opts *o, hull_err *e, va_list ap) {
  char *argv[64] = {"run"};
  int argc = 1;
  const char *a;
  while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
    argv[argc++] = (char *)a;
  argv[argc] = NULL;
  return hull_run_opts_parse(argc, argv, o, e);
}

static int parse(hull_run_opts *o, hull_err *e, ...) {
  va_list ap;
  va_start(ap, e);
  int r = parse_v(o, e, ap);
  va_end(ap);
  return r;
}

static json_t *gen(hull_run_opts *o, int rootfd, hull_err *e) {
  hull_bundle_in in = {
      .id = ID, .config = o->config, .host_config = o->host_config, .rootfd = rootfd, .ctr_dir = "/nonexistent-ctr"};
  return hull_bundle_generate(&in, e);
}

/* Whether "run ARGS..." (a NULL-terminated list, on the rootfs rootfd) is refused with
 * Docker's status 125 and an error that says words. */
static bool refused(int rootfd, const char *words, ...) {
  hull_run_opts o;
  hull_err e = NULL;
  va_list ap;
  va_start(ap, words);
  int r = parse_v(&o, &e, ap);
  va_end(ap);
  json_t *s = r == 0 ? gen(&o, rootfd, &e) : NULL;
  bool yes = s == NULL && e && e->status == 125 && strstr(e->msg, words);
  if (!yes)
    printf("# wanted a refusal saying \"%s\", got: %s\n", words, e ? e->msg : "no error");
  json_decref(s);
  hull_error_release(&e);
  hull_run_opts_free(&o);
  return yes;
}

static json_t *at(json_t *j, const char *path) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
    j = json_is_array(j) ? json_array_get(j, (size_t)atoi(k)) : json_object_get(j, k);
  return j;
}

static bool has_str(json_t *arr, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
  return false;
}

static json_t *mount_at(json_t *spec, const char *dst) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(spec, "mounts"), i,
                     m) if (strcmp(json_string_value(json_object_get(m, "destination")), dst) == 0) return m;
  return NULL;
}

static void bad_flag(const char *flag, const char *value, const char *want) {
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, flag, value, "busybox", NULL);
  ok(r < 0 && e && e->status == 125 && strstr(e->msg, want), "%s %s refused with 125: %s", flag, value,
     e ? e->msg : "accepted");
  hull_error_release(&e);
  hull_run_opts_free(&o);
}

static void sizes(void) {
  int64_t v;
  ok(hull_parse_size("128m", &v) == 0 && v == 134217728, "128m = 134217728");
  ok(hull_parse_size("1.5g", &v) == 0 && v == 1610612736, "1.5g");
  ok(hull_parse_size("100", &v) == 0 && v == 100, "100 bytes");
  ok(hull_parse_size("2GiB", &v) == 0 && v == 2147483648LL, "2GiB");
  ok(hull_parse_size("64MB", &v) == 0 && v == 67108864, "64MB (binary, as Docker)");
  ok(hull_parse_size("12x", &v) < 0, "12x refused");
  ok(hull_parse_size("-1", &v) < 0 && hull_parse_size("", &v) < 0 && hull_parse_size("m", &v) < 0, "-1, empty, m");
  ok(hull_parse_duration_ns("1m30s", &v) == 0 && v == 90000000000LL, "1m30s");
  ok(hull_parse_duration_ns("500ms", &v) == 0 && v == 500000000, "500ms");
  ok(hull_parse_duration_ns("5", &v) < 0 && hull_parse_duration_ns("s", &v) < 0, "durations need units");
  ok(hull_parse_signal("SIGTERM") == 15 && hull_parse_signal("kill") == 9 && hull_parse_signal("10") == 10 &&
         hull_parse_signal("NOPE") < 0,
     "signals by name and number");
}

static void bad_input(void) {
  bad_flag("-m", "12x", "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'");
  bad_flag("--memory-swap", "lots", "invalid size");
  bad_flag("--cpus", "two", "--cpus");
  bad_flag("--cpu-shares", "-5", "out of range");
  bad_flag("--restart", "sometimes", "invalid restart policy");
  bad_flag("--restart", "always:3", "invalid restart policy");
  bad_flag("--ulimit", "nofile", "invalid ulimit");
  bad_flag("--ulimit", "bogus=1:2", "invalid ulimit type");
  bad_flag("--ulimit", "nofile=10:5", "soft limit");
  bad_flag("-v", "rel:rel", "must be absolute");
  bad_flag("-v", "/a:/b:rw,bogus", "invalid mode");
  bad_flag("--network", "container:", "invalid mode");
  bad_flag("--add-host", "nocolon", "expected host:ip");
  bad_flag("--expose", "70000", "invalid port");
  bad_flag("--stop-signal", "SIGNOPE", "invalid signal");
  bad_flag("--health-interval", "5", "invalid duration");
  {
    /* Parsed as an integer, refused by dockerd's check at create (verify.c). */
    hull_run_opts o;
    hull_err e = NULL;
    ok(parse(&o, &e, "--oom-score-adj", "2000", "busybox", NULL) == 0 &&
           hull_verify_resources(o.host_config, false, &e) < 0 &&
           strstr(e->msg, "Invalid value 2000, range for oom score adj is [-1000, 1000]"),
       "--oom-score-adj 2000: dockerd's refusal");
    hull_error_release(&e);
    hull_run_opts_free(&o);
  }
  bad_flag("--blkio-weight", "5", "10 to 1000");
  bad_flag("--mount", "type=bind,target=/x", "source is required");
  bad_flag("--security-opt", "bogus=1", "security-opt");
  bad_flag("-w", "relative", "absolute");
  bad_flag("--log-opt", "max-size=lots", "max-size");
  bad_flag("--log-opt", "labels=x", "unknown log opt");
  hull_run_opts o;
  hull_err e = NULL;
  ok(parse(&o, &e, "--bogus", "busybox", NULL) < 0 && e->status == 125 && strstr(e->msg, "unknown flag: --bogus"),
     "unknown flag: 125");
  hull_error_release(&e);
  hull_run_opts_free(&o);
  ok(parse(&o, &e, NULL) < 0 && e->status == 1 && strstr(e->msg, "requires at least 1 argument"), "no image: 1");
  hull_error_release(&e);
  hull_run_opts_free(&o);
  ok(parse(&o, &e, "--name", "bad/name", "busybox", NULL) < 0 && e->status == 125, "bad name: 125");
  hull_error_release(&e);
  hull_run_opts_free(&o);
  ok(parse(&o, &e, "--rm", "--restart", "always", "busybox", NULL) < 0 && strstr(e->msg, "Conflicting"),
     "--rm with --restart");
  hull_error_release(&e);
  hull_run_opts_free(&o);
}

static void resources(void) {
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, "-m", "128m", "--memory-reservation", "64m", "--cpus", "1.5", "--cpu-shares", "512",
                "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--pids-limit", "100", "--blkio-weight", "300",
                "--shm-size", "1g", "--oom-score-adj", "500", "--ulimit", "nofile=1024:2048", "busybox", "sh", NULL);
  ok(r == 0, "resource flags parse (%s)", e ? e->msg : "");
  json_t *s = r == 0 ? gen(&o, -1, &e) : NULL;
  ok(s != NULL, "generated (%s)", e ? e->msg : "");
  if (s == NULL)
    goto out;
  json_t *res = at(s, "linux.resources");
  ok(json_integer_value(at(res, "memory.limit")) == 134217728, "memory.limit 134217728");
  ok(json_integer_value(at(res, "memory.reservation")) == 67108864, "memory.reservation");
  ok(json_integer_value(at(res, "memory.swap")) == 2 * 134217728, "swap defaults to twice the memory (Docker)");
  ok(json_integer_value(at(res, "cpu.quota")) == 150000 && json_integer_value(at(res, "cpu.period")) == 100000,
     "--cpus 1.5 -> quota 150000 / period 100000");
  ok(json_integer_value(at(res, "cpu.shares")) == 512, "cpu.shares");
  ok(strcmp(json_string_value(at(res, "cpu.cpus")), "0-1") == 0 &&
         strcmp(json_string_value(at(res, "cpu.mems")), "0") == 0,
     "cpuset");
  ok(json_integer_value(at(res, "pids.limit")) == 100, "pids.limit");
  ok(json_integer_value(at(res, "blockIO.weight")) == 300, "blockIO.weight");
  ok(json_integer_value(at(s, "process.oomScoreAdj")) == 500, "oomScoreAdj");
  ok(strcmp(json_string_value(at(s, "process.rlimits.0.type")), "RLIMIT_NOFILE") == 0 &&
         json_integer_value(at(s, "process.rlimits.0.soft")) == 1024 &&
         json_integer_value(at(s, "process.rlimits.0.hard")) == 2048,
     "--ulimit nofile=1024:2048");
  json_t *shm = mount_at(s, "/dev/shm");
  ok(shm && has_str(json_object_get(shm, "options"), "size=1073741824"), "--shm-size 1g on /dev/shm");
  json_decref(s);
out:
  hull_error_release(&e);
  hull_run_opts_free(&o);
}

static void defaults(void) {
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, "busybox", "echo", "hi", NULL);
  json_t *s = r == 0 ? gen(&o, -1, &e) : NULL;
  ok(s != NULL, "plain run generates (%s)", e ? e->msg : "");
  if (s == NULL)
    goto out;
  ok(strcmp(json_string_value(at(s, "hostname")), "0123456789ab") == 0, "hostname = short id");
  ok(json_array_size(at(s, "process.capabilities.bounding")) == 14, "Docker's 14 capabilities");
  ok(!has_str(at(s, "process.capabilities.bounding"), "CAP_SYS_ADMIN"), "no CAP_SYS_ADMIN");
  ok(has_str(at(s, "linux.maskedPaths"), "/proc/kcore") && has_str(at(s, "linux.readonlyPaths"), "/proc/sys"),
     "masked and read-only paths");
  ok(json_is_object(at(s, "linux.seccomp")) &&
         strcmp(json_string_value(at(s, "linux.seccomp.defaultAction")), "SCMP_ACT_ERRNO") == 0,
     "the default seccomp profile");
  json_t *shm = mount_at(s, "/dev/shm");
  ok(shm && has_str(json_object_get(shm, "options"), "size=67108864"), "/dev/shm 64m");
  ok(mount_at(s, "/proc") && mount_at(s, "/dev/pts") && mount_at(s, "/sys") && mount_at(s, "/dev/mqueue"),
     "proc, devpts, sysfs, mqueue");
  ok(strcmp(json_string_value(at(s, "process.args.1")), "hi") == 0, "args");
  ok(has_str(at(s, "process.env"), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
     "a default PATH");
  ok(has_str(at(s, "process.env"), "HOSTNAME=0123456789ab"), "HOSTNAME");
  ok(strcmp(json_string_value(at(s, "linux.cgroupsPath")), "/hull/" ID) == 0, "cgroupsPath /hull/<id>");
  bool netns = false, devdeny = false;
  size_t i;
  json_t *v;
  json_array_foreach(at(s, "linux.namespaces"), i, v) netns =
      netns || strcmp(json_string_value(json_object_get(v, "type")), "network") == 0;
  v = at(s, "linux.resources.devices.0");
  devdeny = v && json_is_false(json_object_get(v, "allow")) &&
            strcmp(json_string_value(json_object_get(v, "access")), "rwm") == 0;
  ok(netns, "a network namespace of its own");
  ok(devdeny, "devices: deny all first");
  ok(json_is_false(at(s, "process.noNewPrivileges")), "no_new_privs off by default (as Docker)");
  json_decref(s);
out:
  hull_error_release(&e);
  hull_run_opts_free(&o);
}

static void security(void) {
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, "--cap-add", "sys_admin", "--cap-drop", "NET_RAW", "--security-opt", "no-new-privileges",
                "--security-opt", "seccomp=unconfined", "--network", "host", "--pid", "host", "--read-only",
                "--hostname", "web", "--sysctl", "net.core.somaxconn=1024", "busybox", "true", NULL);
  json_t *s = r == 0 ? gen(&o, -1, &e) : NULL;
  ok(s != NULL, "security flags generate (%s)", e ? e->msg : "");
  if (s) {
    ok(has_str(at(s, "process.capabilities.effective"), "CAP_SYS_ADMIN"), "--cap-add sys_admin");
    ok(!has_str(at(s, "process.capabilities.effective"), "CAP_NET_RAW"), "--cap-drop NET_RAW");
    ok(json_is_true(at(s, "process.noNewPrivileges")), "no-new-privileges");
    ok(at(s, "linux.seccomp") == NULL, "seccomp=unconfined");
    size_t i;
    json_t *v;
    bool net = false, pid = false, uts = false;
    json_array_foreach(at(s, "linux.namespaces"), i, v) {
      const char *t = json_string_value(json_object_get(v, "type"));
      net = net || strcmp(t, "network") == 0;
      pid = pid || strcmp(t, "pid") == 0;
      uts = uts || strcmp(t, "uts") == 0;
    }
    ok(!net && !pid && uts, "--network host and --pid host share the host's; uts stays private");
    ok(json_is_true(at(s, "root.readonly")), "--read-only");
    ok(strcmp(json_string_value(at(s, "hostname")), "web") == 0, "--hostname");
    ok(strcmp(json_string_value(at(s, "linux.sysctl.net.core.somaxconn")) ?: "", "1024") == 0 ||
           json_object_get(at(s, "linux.sysctl"), "net.core.somaxconn") != NULL,
       "--sysctl");
    json_decref(s);
  }
  hull_error_release(&e);
  hull_run_opts_free(&o);
  r = parse(&o, &e, "--privileged", "busybox", "true", NULL);
  s = r == 0 ? gen(&o, -1, &e) : NULL;
  ok(s && json_array_size(at(s, "process.capabilities.bounding")) >= 40 && at(s, "linux.seccomp") == NULL &&
         at(s, "linux.maskedPaths") == NULL && json_is_true(at(s, "linux.resources.devices.0.allow")),
     "--privileged: every capability, no seccomp, no masked paths, all devices");
  json_decref(s);
  hull_error_release(&e);
  hull_run_opts_free(&o);
  ok(refused(-1, "unknown capability: \"CAP_BOGUS\"", "--cap-add", "CAP_BOGUS", "busybox", "true", NULL),
     "unknown capability: 125");
}

static void mounts(void) {
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, "-v", "/tmp:/data:ro", "--tmpfs", "/run:size=1m", "--mount",
                "type=tmpfs,target=/scratch,tmpfs-size=2m", "busybox", "true", NULL);
  json_t *s = r == 0 ? gen(&o, -1, &e) : NULL;
  ok(s != NULL, "mount flags generate (%s)", e ? e->msg : "");
  if (s) {
    json_t *d = mount_at(s, "/data");
    ok(d && strcmp(json_string_value(json_object_get(d, "source")), "/tmp") == 0 &&
           has_str(json_object_get(d, "options"), "ro"),
       "-v /tmp:/data:ro");
    json_t *t = mount_at(s, "/run");
    ok(t && has_str(json_object_get(t, "options"), "size=1m"), "--tmpfs /run:size=1m");
    t = mount_at(s, "/scratch");
    ok(t && has_str(json_object_get(t, "options"), "size=2097152"), "--mount type=tmpfs");
    json_decref(s);
  }
  hull_error_release(&e);
  hull_run_opts_free(&o);
  ok(refused(-1, "/proc", "-v", "/tmp:/proc", "busybox", "true", NULL), "-v onto /proc refused");
  r = parse(&o, &e, "busybox", "true", NULL);
  json_object_set_new(json_object_get(o.config, "Volumes"), "/data/../../etc", json_object());
  s = r == 0 ? gen(&o, -1, &e) : NULL;
  ok(s == NULL && e && e->status == 125, "an image VOLUME with .. is refused (CVE-2022-23648 class)");
  json_decref(s);
  hull_error_release(&e);
  hull_run_opts_free(&o);
  ok(refused(-1, "does not exist", "-v", "/nonexistent-h5-src:/x", "busybox", "true", NULL),
     "missing bind source refused");
}

static void image_merge_and_users(void) {
  hull_run_opts o;
  hull_err e = NULL;
  json_t *img =
      json_loads("{\"Env\":[\"PATH=/bin\",\"A=image\",\"B=image\"],\"Cmd\":[\"sh\"],\"Entrypoint\":[\"/init\"],"
                 "\"WorkingDir\":\"/srv\",\"User\":\"www\",\"StopSignal\":\"SIGQUIT\",\"Labels\":{\"l\":\"img\"},"
                 "\"Volumes\":{\"/data\":{}}}",
                 0, NULL);
  int r = parse(&o, &e, "-e", "B=flag", "-l", "x=y", "busybox", NULL);
  ok(r == 0 && hull_config_merge_image(o.config, img, o.entrypoint_set, &e) == 0, "merge");
  ok(has_str(at(o.config, "Env"), "A=image") && has_str(at(o.config, "Env"), "B=flag") &&
         !has_str(at(o.config, "Env"), "B=image"),
     "-e overrides the image's variable by name");
  ok(strcmp(json_string_value(at(o.config, "Cmd.0")), "sh") == 0 &&
         strcmp(json_string_value(at(o.config, "Entrypoint.0")), "/init") == 0,
     "image Cmd and Entrypoint");
  ok(strcmp(json_string_value(at(o.config, "WorkingDir")), "/srv") == 0 &&
         strcmp(json_string_value(at(o.config, "StopSignal")), "SIGQUIT") == 0,
     "WorkingDir, StopSignal");
  ok(json_object_get(at(o.config, "Labels"), "l") && json_object_get(at(o.config, "Labels"), "x"), "labels merged");
  ok(json_object_get(at(o.config, "Volumes"), "/data") != NULL, "image volumes");
  hull_run_opts_free(&o);
  r = parse(&o, &e, "--entrypoint", "/bin/echo", "busybox", NULL);
  ok(r == 0 && hull_config_merge_image(o.config, img, o.entrypoint_set, &e) == 0 &&
         json_array_size(at(o.config, "Cmd")) == 0 &&
         strcmp(json_string_value(at(o.config, "Entrypoint.0")), "/bin/echo") == 0,
     "--entrypoint drops the image's Cmd (Docker)");
  hull_run_opts_free(&o);

  /* Users resolved inside a root filesystem; /etc/passwd there is a symlink to a host file,
   * which must not be followed out of the root. */
  char dir[] = "/tmp/h5-test-rootfs-XXXXXX";
  ok(mkdtemp(dir) != NULL, "rootfs dir");
  char p[512];
  snprintf(p, sizeof(p), "%s/etc", dir);
  mkdir(p, 0755);
  snprintf(p, sizeof(p), "%s/etc/passwd", dir);
  FILE *f = fopen(p, "w");
  fputs("root:x:0:0::/root:/bin/sh\nwww:x:33:44::/:/bin/sh\n", f);
  fclose(f);
  snprintf(p, sizeof(p), "%s/etc/group", dir);
  f = fopen(p, "w");
  fputs("root:x:0:\nwww:x:44:\nextra:x:500:www\nstaff:x:50:\n", f);
  fclose(f);
  int rootfd = open(dir, O_DIRECTORY | O_RDONLY);
  r = parse(&o, &e, "-u", "www", "--group-add", "staff", "busybox", "id", NULL);
  json_t *s = r == 0 ? gen(&o, rootfd, &e) : NULL;
  ok(s && json_integer_value(at(s, "process.user.uid")) == 33 && json_integer_value(at(s, "process.user.gid")) == 44,
     "-u www -> 33:44 from the image's /etc/passwd (%s)", e ? e->msg : "");
  ok(s && json_integer_value(at(s, "process.user.additionalGids.0")) == 500 &&
         json_integer_value(at(s, "process.user.additionalGids.1")) == 50,
     "supplementary groups: /etc/group membership, then --group-add");
  json_decref(s);
  hull_run_opts_free(&o);
  r = parse(&o, &e, "-u", "1000:staff", "busybox", "id", NULL);
  s = r == 0 ? gen(&o, rootfd, &e) : NULL;
  ok(s && json_integer_value(at(s, "process.user.uid")) == 1000 && json_integer_value(at(s, "process.user.gid")) == 50,
     "-u 1000:staff");
  json_decref(s);
  hull_run_opts_free(&o);
  ok(refused(rootfd, "unable to find user nobody", "-u", "nobody", "busybox", "id", NULL), "unknown user: 125");
  /* A hostile image: /etc/passwd is a symlink climbing to the host's /etc/passwd (which has
   * root). Resolved inside the root it points at itself (ELOOP): no user. */
  snprintf(p, sizeof(p), "%s/etc/passwd", dir);
  unlink(p);
  ok(symlink("../../../../../../../../../etc/passwd", p) == 0, "symlinked /etc/passwd");
  r = parse(&o, &e, "-u", "root", "busybox", "id", NULL);
  s = r == 0 ? gen(&o, rootfd, &e) : NULL;
  ok(s == NULL && e && strstr(e->msg, "unable to find user root"), "a symlink out of the rootfs is not followed");
  hull_error_release(&e);
  json_decref(s);
  hull_run_opts_free(&o);
  close(rootfd);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ok(system(cmd) == 0, "cleanup");
  json_decref(img);
}

/* The network flags in Docker's shapes, and the namespace joined by path. */
static void network_flags(void) {
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, "-p", "8080:80", "-p", "127.0.0.1:53:53/udp", "-P", "--expose", "81", "--ip", "10.66.0.9",
                "--network-alias", "www", "--dns", "192.0.2.1", "--dns-search", "example.org", "--dns-option",
                "ndots:2", "--add-host", "db:192.0.2.5", "busybox", "true", NULL);
  ok(r == 0, "network flags parse (%s)", e ? e->msg : "");
  if (r == 0) {
    json_t *hc = o.host_config;
    ok(strcmp(json_string_value(json_object_get(hc, "NetworkMode")), "bridge") == 0, "the default network: bridge");
    ok(json_array_size(json_object_get(hc, "PortSpecs")) == 2 &&
           strcmp(json_string_value(at(hc, "PortSpecs.1")), "127.0.0.1:53:53/udp") == 0,
       "-p kept as written, in order");
    ok(json_is_true(json_object_get(hc, "PublishAllPorts")), "-P");
    ok(json_object_get(json_object_get(o.config, "ExposedPorts"), "81/tcp") != NULL, "--expose 81 is 81/tcp");
    ok(strcmp(json_string_value(at(hc, "NetworkingConfig.IPv4Address")), "10.66.0.9") == 0 &&
           strcmp(json_string_value(at(hc, "NetworkingConfig.Aliases.0")), "www") == 0,
       "--ip and --network-alias");
    ok(has_str(json_object_get(hc, "Dns"), "192.0.2.1") && has_str(json_object_get(hc, "DnsSearch"), "example.org") &&
           has_str(json_object_get(hc, "DnsOptions"), "ndots:2") &&
           has_str(json_object_get(hc, "ExtraHosts"), "db:192.0.2.5"),
       "--dns, --dns-search, --dns-option, --add-host");
    hull_bundle_in in = {.id = ID,
                         .config = o.config,
                         .host_config = o.host_config,
                         .rootfd = -1,
                         .ctr_dir = "/nonexistent-ctr",
                         .netns_path = "/run/hull/netns/" ID};
    json_t *s = hull_bundle_generate(&in, &e);
    size_t i;
    json_t *v;
    const char *path = NULL;
    json_array_foreach(at(s, "linux.namespaces"), i,
                       v) if (strcmp(json_string_value(json_object_get(v, "type")), "network") == 0) path =
        json_string_value(json_object_get(v, "path"));
    ok(path && strcmp(path, "/run/hull/netns/" ID) == 0, "the network namespace is joined by path");
    json_decref(s);
  }
  hull_error_release(&e);
  hull_run_opts_free(&o);
}

/* Whether profile has a rule naming only name, with args when with_args. */
static bool rule_for(const json_t *profile, const char *name, bool with_args, const char *action) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(profile, "syscalls"), i, r) {
    const json_t *names = json_object_get(r, "names");
    size_t j;
    json_t *n;
    json_array_foreach(names, j, n) {
      if (strcmp(json_string_value(n), name) == 0 && (json_object_get(r, "args") != NULL) == with_args &&
          strcmp(json_string_value(json_object_get(r, "action")), action) == 0)
        return true;
    }
  }
  return false;
}

static void seccomp_for_caps(void) {
  hull_err e = NULL;
  json_t *p = hull_default_seccomp(&e);
  ok(p && !rule_for(p, "mount", false, "SCMP_ACT_ALLOW") && rule_for(p, "clone", true, "SCMP_ACT_ALLOW") &&
         rule_for(p, "clone3", false, "SCMP_ACT_ERRNO"),
     "the default profile: no mount, clone without namespace flags only, clone3 ENOSYS");
  json_t *caps = json_pack("[s, s]", "CAP_CHOWN", "CAP_SYS_ADMIN");
  hull_seccomp_for_caps(p, caps);
  ok(rule_for(p, "mount", false, "SCMP_ACT_ALLOW") && rule_for(p, "unshare", false, "SCMP_ACT_ALLOW") &&
         rule_for(p, "setns", false, "SCMP_ACT_ALLOW"),
     "CAP_SYS_ADMIN allows mount, unshare, setns");
  ok(rule_for(p, "clone", false, "SCMP_ACT_ALLOW") && !rule_for(p, "clone", true, "SCMP_ACT_ALLOW") &&
         !rule_for(p, "clone3", false, "SCMP_ACT_ERRNO") && rule_for(p, "clone3", false, "SCMP_ACT_ALLOW"),
     "CAP_SYS_ADMIN: clone and clone3 unrestricted, their limiting rules gone");
  ok(!rule_for(p, "settimeofday", false, "SCMP_ACT_ALLOW") && !rule_for(p, "reboot", false, "SCMP_ACT_ALLOW"),
     "nothing for capabilities not given");
  json_decref(caps);
  hull_seccomp_host_archs(p);
  json_t *archs = json_object_get(p, "architectures");
#if defined(__x86_64__)
  ok(json_array_size(archs) == 3 && strcmp(json_string_value(json_array_get(archs, 0)), "SCMP_ARCH_X86_64") == 0 &&
         strcmp(json_string_value(json_array_get(archs, 1)), "SCMP_ARCH_X86") == 0 &&
         strcmp(json_string_value(json_array_get(archs, 2)), "SCMP_ARCH_X32") == 0,
     "the default profile on x86_64: x86_64, x86 and x32 only (Docker's archMap), no aarch64 or arm");
#else
  ok(json_array_size(archs) > 0, "the default profile keeps architectures");
#endif
  json_decref(p);
  hull_error_release(&e);
}

static void userns_flags(void) {
  hull_idmap m;
  ok(hull_idmap_parse("0:100000:65536", &m) == 0 && m.ctr == 0 && m.host == 100000 && m.size == 65536,
     "--uidmap 0:100000:65536");
  ok(hull_idmap_parse("0:100000", &m) < 0 && hull_idmap_parse("0:1:0", &m) < 0 &&
         hull_idmap_parse("0:4294967295:2", &m) < 0 && hull_idmap_parse("a:1:1", &m) < 0 &&
         hull_idmap_parse("0:1:1:", &m) < 0 && hull_idmap_parse("-1:1:1", &m) < 0,
     "bad maps: two fields, size 0, past 2^32, not a number, trailing colon, negative");
  ok(hull_userns_mode_valid("") && hull_userns_mode_valid("host") && hull_userns_mode_valid("auto") &&
         hull_userns_mode_valid("auto:size=1024") && hull_userns_mode_valid("ns:/proc/1/ns/user"),
     "--userns modes");
  ok(!hull_userns_mode_valid("auto:size=0") && !hull_userns_mode_valid("auto:uidmapping=0:1:1") &&
         !hull_userns_mode_valid("ns:") && !hull_userns_mode_valid("ns:rel") && !hull_userns_mode_valid("private"),
     "bad --userns modes");
  hull_idmap two[] = {{0, 100000, 1000}, {1000, 500000, 10}};
  ok(hull_idmap_host(two, 2, 0) == 100000 && hull_idmap_host(two, 2, 1005) == 500005 &&
         hull_idmap_host(two, 2, 1010) == UINT32_MAX,
     "ids map through the ranges; an unmapped one is UINT32_MAX");
  hull_run_opts o;
  hull_err e = NULL;
  int r = parse(&o, &e, "--uidmap", "0:100000:1000", "busybox", NULL);
  ok(r == 0 && strcmp(json_string_value(at(o.host_config, "UidMaps.0")), "0:100000:1000") == 0, "--uidmap recorded");
  hull_error_release(&e);
  hull_run_opts_free(&o);
  r = parse(&o, &e, "--userns", "auto", "--gidmap", "0:1:1", "busybox", NULL);
  ok(r < 0 && e && e->status == 125, "--userns with --gidmap: 125");
  hull_error_release(&e);
  hull_run_opts_free(&o);
  hull_userns u = {.on = true, .uid = {{0, 100000, 65536}}, .gid = {{0, 200000, 65536}}, .n_uid = 1, .n_gid = 1};
  r = parse(&o, &e, "busybox", "true", NULL);
  hull_bundle_in in = {.id = ID,
                       .config = o.config,
                       .host_config = o.host_config,
                       .rootfd = -1,
                       .ctr_dir = "/nonexistent-ctr",
                       .userns = &u};
  json_t *s = r == 0 ? hull_bundle_generate(&in, &e) : NULL;
  ok(s && json_integer_value(at(s, "linux.uidMappings.0.hostID")) == 100000 &&
         json_integer_value(at(s, "linux.gidMappings.0.hostID")) == 200000 &&
         strcmp(json_string_value(at(s, "linux.namespaces.0.type")), "user") == 0,
     "a user namespace with the maps in config.json (%s)", e ? e->msg : "");
  json_decref(s);
  hull_error_release(&e);
  hull_run_opts_free(&o);
}

int main(void) {
  seccomp_for_caps();
  userns_flags();
  network_flags();
  sizes();
  bad_input();
  resources();
  defaults();
  security();
  mounts();
  image_merge_and_users();
  return tap_done();
}
