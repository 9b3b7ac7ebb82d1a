/* The monitor's pure parts: json-file log lines (escaping as Go's encoder), its time
 * format, the rotation by size, and monitor.json's health command forms. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/common/util.h"
#include "../../src/monitor/monitor.h"
#include "tap.h"

/* Needed by the monitor's files; the test starts nothing. */
void mon_oom_for_child(bool child) { (void)child; }

static void check_format(const char *in, size_t len, const char *want, const char *what) {
  char buf[512];
  ssize_t n = mon_log_format(buf, sizeof(buf), in, len, "stdout", "T");
  bool same = n > 0 && (buf[n] = '\0', strcmp(buf, want) == 0);
  ok(same, "%s: %.*s", what, n > 1 ? (int)n - 1 : 8, n > 0 ? buf : "(no fit)");
}

static void test_format(void) {
  check_format("hello\n", 6, "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"T\"}\n", "a plain line");
  check_format("a\"b\\c\t\r", 7, "{\"log\":\"a\\\"b\\\\c\\t\\r\",\"stream\":\"stdout\",\"time\":\"T\"}\n",
               "quotes, escapes");
  check_format("\x01<&>", 4, "{\"log\":\"\\u0001\\u003c\\u0026\\u003e\",\"stream\":\"stdout\",\"time\":\"T\"}\n",
               "control characters and HTML characters as Go escapes them");
  check_format("\xc3\xa9", 2, "{\"log\":\"\xc3\xa9\",\"stream\":\"stdout\",\"time\":\"T\"}\n", "valid UTF-8 as is");
  check_format("\xff\xc3", 2, "{\"log\":\"\\ufffd\\ufffd\",\"stream\":\"stdout\",\"time\":\"T\"}\n",
               "invalid UTF-8 becomes U+FFFD");
  check_format("\xed\xa0\x80", 3, "{\"log\":\"\\ufffd\\ufffd\\ufffd\",\"stream\":\"stdout\",\"time\":\"T\"}\n",
               "a UTF-16 surrogate is invalid UTF-8");
  char small[16];
  ok(mon_log_format(small, sizeof(small), "hello", 5, "stdout", "T") < 0, "too small a buffer fails");
}

static void test_time(void) {
  char t[64];
  mon_time_now(t, sizeof(t));
  size_t n = strlen(t);
  ok(n >= 20 && t[4] == '-' && t[10] == 'T' && t[n - 1] == 'Z', "RFC 3339 in UTC: %s", t);
  const char *dot = strchr(t, '.');
  ok(dot == NULL || (t[n - 2] != '0' && n - (size_t)(dot - t) - 2 <= 9), "fraction without trailing zeros: %s", t);
}

static void test_rotation(void) {
  char dir[] = "/tmp/test_monitor.XXXXXX";
  ok(mkdtemp(dir) != NULL, "temp dir");
  char path[256], p1[300], p2[300], p3[300];
  snprintf(path, sizeof(path), "%s/ctr.log", dir);
  snprintf(p1, sizeof(p1), "%s.1", path);
  snprintf(p2, sizeof(p2), "%s.2", path);
  snprintf(p3, sizeof(p3), "%s.3", path);
  struct mon_log *l = NULL;
  hull_err e = NULL;
  ok(mon_log_open(path, 300, 3, &l, &e) == 0, "open the log");
  for (int i = 0; i < 40; i++)
    mon_log_feed(l, i % 2, "0123456789012345678901234567890123456789\n", 41);
  /* A partial line stays until its newline; a 16 KiB one is cut. */
  mon_log_feed(l, 0, "part", 4);
  mon_log_feed(l, 0, "ial\n", 4);
  mon_log_close(l);
  /* A line longer than 16 KiB is cut as Docker's: 16 KiB without a newline, then the rest. */
  char big[20000];
  memset(big, 'x', sizeof(big));
  big[sizeof(big) - 1] = '\n';
  char bigpath[300];
  snprintf(bigpath, sizeof(bigpath), "%s/big.log", dir);
  ok(mon_log_open(bigpath, 0, 1, &l, &e) == 0, "open a second log");
  mon_log_feed(l, 1, big, 7000);
  mon_log_feed(l, 1, big + 7000, sizeof(big) - 7000);
  mon_log_close(l);
  size_t blen;
  char *btext = hull_read_file(bigpath, &blen, &e);
  char *nl = btext ? strchr(btext, '\n') : NULL;
  size_t x1 = 0, x2 = 0;
  for (char *p = btext; nl && p < nl; p++)
    x1 += *p == 'x';
  for (char *p = nl ? nl + 1 : NULL; p && *p; p++)
    x2 += *p == 'x';
  ok(nl && x1 == 16384 && x2 == sizeof(big) - 1 - 16384 && strstr(btext, "x\",\"stream\":\"stderr\"") < nl &&
         strstr(nl + 1, "x\\n\",\"stream\":\"stderr\""),
     "a 20000-byte line: 16384 bytes without newline, then the rest with it (%zu, %zu)", x1, x2);
  free(btext);
  unlink(bigpath);
  struct stat st;
  ok(stat(path, &st) == 0 && st.st_size <= 300 && st.st_size > 0, "ctr.log within max size (%lld)",
     (long long)st.st_size);
  ok(stat(p1, &st) == 0 && st.st_size <= 300, "ctr.log.1");
  ok(stat(p2, &st) == 0 && st.st_size <= 300, "ctr.log.2");
  ok(stat(p3, &st) < 0, "no ctr.log.3 with max_file 3");
  size_t len;
  char *text = hull_read_file(path, &len, &e);
  ok(text && strstr(text, "\"log\":\"partial\\n\""), "a line fed in two pieces is one entry");
  free(text);
  unlink(path), unlink(p1), unlink(p2), rmdir(dir);
}

static void test_health_config(void) {
  char dir[] = "/tmp/test_monitor.XXXXXX";
  if (mkdtemp(dir) == NULL)
    return;
  char path[256];
  snprintf(path, sizeof(path), "%s/monitor.json", dir);
  const char *doc = "{\"id\":\"x\",\"bundle\":\"/b\",\"runtime_root\":\"/r\",\"log_path\":\"/l\","
                    "\"attach_socket\":\"/a\",\"exit_file\":\"/d/exit.json\","
                    "\"health\":{\"cmd\":[\"CMD-SHELL\",\"true && false\"]},"
                    "\"restart\":{\"policy\":\"on-failure\",\"max_retries\":2},"
                    "\"auto_remove\":true,\"owner_pid\":123,\"owner_start\":4567}";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ok(fd >= 0 && write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc), "write monitor.json");
  close(fd);
  struct mon_config c;
  hull_err e = NULL;
  ok(mon_config_load(path, &c, &e) == 0, "load monitor.json");
  ok(c.health.argv && strcmp(c.health.argv[0], "/bin/sh") == 0 && strcmp(c.health.argv[2], "true && false") == 0,
     "CMD-SHELL runs /bin/sh -c");
  ok(c.health.interval_ns == 30000000000LL && c.health.retries == 3, "Docker's defaults: 30 s, 3 retries");
  ok(c.restart == MON_RESTART_ON_FAILURE && c.max_retries == 2, "restart on-failure:2");
  ok(strcmp(c.health_file, "/d/health.json") == 0, "health.json next to exit.json");
  ok(c.stop_signal == 15 && c.log_max_file == 1, "defaults: SIGTERM, one log file");
  ok(c.auto_remove && c.owner_pid == 123 && c.owner_start == 4567, "--rm of a foreground run: its CLI as the owner");
  /* hull update --restart writes restart.json next to it; the monitor re-reads only the
   * policy, no file keeps it, and a policy that does not parse keeps the one it has. */
  ok(mon_config_reload_restart(&c, &e) == 0 && c.restart == MON_RESTART_ON_FAILURE && c.max_retries == 2,
     "no restart.json: the policy stands");
  char rpath[256];
  snprintf(rpath, sizeof(rpath), "%s/restart.json", dir);
  const char *doc2 = "{\"restart\":{\"policy\":\"always\"}}";
  fd = open(rpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ok(fd >= 0 && write(fd, doc2, strlen(doc2)) == (ssize_t)strlen(doc2), "write restart.json");
  close(fd);
  ok(mon_config_reload_restart(&c, &e) == 0 && c.restart == MON_RESTART_ALWAYS && c.max_retries == 0,
     "re-read: restart always");
  const char *doc3 = "{\"restart\":{\"policy\":\"sometimes\"}}";
  fd = open(rpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ok(fd >= 0 && write(fd, doc3, strlen(doc3)) == (ssize_t)strlen(doc3), "rewrite restart.json, a bad policy");
  close(fd);
  ok(mon_config_reload_restart(&c, &e) < 0 && e && c.restart == MON_RESTART_ALWAYS, "a bad policy keeps the old one");
  hull_error_release(&e);
  mon_config_free(&c);
  unlink(rpath), unlink(path), rmdir(dir);
}

int main(void) {
  test_format();
  test_time();
  test_rotation();
  test_health_config();
  return tap_done();
}
