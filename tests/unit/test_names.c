#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "common/util.h"
#include "runtime/names.h"
#include "tap.h"

#include <jansson.h>

/* profiles/capabilities-default.json is Docker's default set of 14, every name known. */
static void check_engine_default_caps(void) {
  json_t *j = json_load_file(HULL_SOURCE_ROOT "/profiles/capabilities-default.json", 0, NULL);
  static const char *const docker[] = {"CAP_CHOWN",      "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                                       "CAP_MKNOD",      "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                                       "CAP_SETFCAP",    "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                                       "CAP_KILL",       "CAP_AUDIT_WRITE"};
  json_t *caps = json_object_get(j, "capabilities");
  bool good = json_array_size(caps) == 14;
  for (size_t i = 0; good && i < 14; i++) {
    hull_err e = NULL;
    const char *name = json_string_value(json_array_get(caps, i));
    good = name && strcmp(name, docker[i]) == 0 && hull_cap_parse(name, &e) >= 0;
    hull_error_release(&e);
  }
  ok(good, "profiles/capabilities-default.json holds Docker's 14 default capabilities, all known names");
  json_decref(j);
}

static int fails(int r, hull_err *e) {
  int bad = r < 0 && *e != NULL;
  hull_error_release(e);
  return bad;
}

int main(void) {
  hull_err e = NULL;
  check_engine_default_caps();
  ok(hull_id_validate("abc-1.2_x", &e) == 0, "plain id accepted");
  ok(fails(hull_id_validate("", &e), &e), "empty id rejected");
  ok(fails(hull_id_validate("../x", &e), &e), "../x rejected");
  ok(fails(hull_id_validate("a/b", &e), &e), "slash rejected");
  ok(fails(hull_id_validate(".hidden", &e), &e), "leading dot rejected");
  char long_id[HULL_ID_MAX + 2];
  memset(long_id, 'a', sizeof(long_id) - 1);
  long_id[sizeof(long_id) - 1] = '\0';
  ok(fails(hull_id_validate(long_id, &e), &e), "too long id rejected");
  ok(hull_id_validate("", &e) < 0 && e && strstr(e->msg, "empty"), "error names the problem: %s", e ? e->msg : "");
  hull_error_release(&e);

  ok(hull_signal_parse("KILL", &e) == SIGKILL, "KILL");
  ok(hull_signal_parse("SIGKILL", &e) == SIGKILL, "SIGKILL");
  ok(hull_signal_parse("sigterm", &e) == SIGTERM, "sigterm lower case");
  ok(hull_signal_parse("9", &e) == 9, "9");
  ok(hull_signal_parse("RTMIN+2", &e) == SIGRTMIN + 2, "RTMIN+2");
  ok(fails(hull_signal_parse("FOO", &e), &e), "FOO rejected");
  ok(fails(hull_signal_parse("0", &e), &e), "0 rejected");
  ok(fails(hull_signal_parse("99", &e), &e), "99 rejected");
  ok(fails(hull_signal_parse("", &e), &e), "empty rejected");
  /* Found by fuzz/fuzz_names.c: the offset overflowed before the range check (UBSan). */
  ok(fails(hull_signal_parse("RTMAX+9223372036854775807", &e), &e), "RTMAX+INT64_MAX rejected");
  ok(fails(hull_signal_parse("SIGRTMIN--9223372036854775808", &e), &e), "RTMIN-INT64_MIN rejected");
  ok(fails(hull_signal_parse("RTMIN+-1", &e), &e), "RTMIN+-1 rejected");
  ok(hull_signal_parse("RTMAX-0", &e) == SIGRTMAX && hull_signal_parse("rtmin+0", &e) == SIGRTMIN, "RTMAX-0, rtmin+0");
  ok(hull_signal_parse("SIGRTMIN+30", &e) == SIGRTMIN + 30 && hull_signal_parse("RTMAX-30", &e) == SIGRTMAX - 30,
     "the ends of the real-time range");

  ok(hull_cap_parse("CAP_SYS_ADMIN", &e) == 21, "CAP_SYS_ADMIN = 21");
  ok(hull_cap_parse("chown", &e) == 0, "chown without prefix");
  ok(fails(hull_cap_parse("CAP_FLY", &e), &e), "unknown cap rejected");
  ok(hull_rlimit_parse("RLIMIT_NOFILE", &e) == RLIMIT_NOFILE, "RLIMIT_NOFILE");
  ok(fails(hull_rlimit_parse("NOFILE", &e), &e), "rlimit without prefix rejected");

  ok(hull_ns_parse("network", &e) == HULL_NS_NET, "network namespace");
  ok(fails(hull_ns_parse("net", &e), &e), "net is not a spec name");

  const char *opts[] = {"rbind", "ro", "nosuid", "rslave", "size=10k", "mode=755"};
  struct hull_mount_opts mo;
  ok(hull_mount_opts_parse(opts, 6, &mo, &e) == 0, "mount options parse");
  ok(mo.rbind && mo.bind, "rbind implies bind");
  ok(mo.flags == (MS_RDONLY | MS_NOSUID), "ro,nosuid flags");
  ok(mo.propagation == (MS_SLAVE | MS_REC), "rslave propagation");
  ok(strcmp(mo.data, "size=10k,mode=755") == 0, "data keeps fs options: %s", mo.data);
  free(mo.data);
  const char *opts2[] = {"ro", "rw"};
  ok(hull_mount_opts_parse(opts2, 2, &mo, &e) == 0 && !(mo.flags & MS_RDONLY) && (mo.clear & MS_RDONLY),
     "later rw clears ro");
  free(mo.data);

  int64_t sz;
  {
    int top = 0;
    ok(hull_cpuset_parse("0-3,5,7-8", 64, "cpus", &top, &e) == 0 && top == 8, "cpuset list 0-3,5,7-8: highest 8");
    ok(hull_cpuset_parse("1\n", 64, "cpus", &top, &e) == 0 && top == 1, "cpuset list with the kernel's newline");
    ok(hull_cpuset_parse("", 64, "cpus", &top, &e) == 0 && top == -1, "empty cpuset list");
    const char *bad[] = {"3-1", "0-", "-1", "1,,2", "1,", "a", "0 1", "1-2-3", "64", "99999999999", "1\n2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      char what[64];
      snprintf(what, sizeof(what), "cpuset list \"%s\" refused, naming the field", bad[i]);
      bool r = hull_cpuset_parse(bad[i], 64, "linux.resources.cpu.cpus", NULL, &e) < 0 && e &&
               strstr(e->msg, "linux.resources.cpu.cpus");
      hull_error_release(&e);
      ok(r, "%s", what);
    }
  }
  ok(hull_size_parse("64m", &sz, &e) == 0 && sz == 64 << 20, "64m");
  ok(hull_size_parse("1GiB", &sz, &e) == 0 && sz == 1LL << 30, "1GiB");
  ok(hull_size_parse("100", &sz, &e) == 0 && sz == 100, "100");
  ok(fails(hull_size_parse("12q", &sz, &e), &e), "bad unit rejected");
  ok(fails(hull_size_parse("-1", &sz, &e), &e), "negative rejected");
  return tap_done();
}
