/* hull version, hull info and hull system prune. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "engine/volume.h"
#include "hull-config.h"
#include "image/prune.h"
#include "network/network.h"

/* --format: json, or a template over the object; 1 when printed that way, 0 when the
 * caller prints its text, -1 on a bad template. */
static int formatted(const char *cmd, const char *format, json_t *obj, hull_err *err) {
  if (format == NULL)
    return 0;
  const char *terr = NULL;
  cleanup_free char *out = hull_template_render(strcmp(format, "json") == 0 ? "{{json .}}" : format, obj, &terr);
  if (out == NULL)
    return hull_usage_error(err, cmd, "template: %s", terr ? terr : "bad template");
  printf("%s\n", out);
  return 1;
}

static int format_opt(const char *cmd, const char *usage, int argc, char **argv, const char **format, hull_err *err) {
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
    if (c == 'f') {
      *format = optarg;
    } else {
      int r = hull_cli_common_opt(c, cmd, usage, argv, err);
      if (r != 0)
        return r;
    }
  }
  if (optind < argc)
    return hull_usage_error(err, cmd, "\"hull %s\" accepts no arguments.", cmd);
  return 0;
}

static const char *arch(void) {
  struct utsname u;
  if (uname(&u) < 0)
    return "unknown";
  return strcmp(u.machine, "x86_64") == 0 ? "amd64" : strcmp(u.machine, "aarch64") == 0 ? "arm64" : "other";
}

int cmd_version(hull_cli *g, int argc, char **argv, hull_err *err) {
  const char *format = NULL;
  int r = format_opt("version",
                     "version [OPTIONS]\n\nShow the hull version information\n\nOptions:\n"
                     "  -f, --format string   Format output using a custom template or json\n",
                     argc, argv, &format, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  cleanup_json json_t *v = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "Client", "Version", HULL_VERSION, "GitCommit",
                                     HULL_COMMIT, "Os", "linux", "Arch", arch(), "Runtime", "hull-runtime");
  if ((r = formatted("version", format, v, err)) != 0)
    return r < 0 ? -1 : 0;
  printf("Client:\n Version:           %s\n Git commit:        %s\n OS/Arch:           linux/%s\n"
         " Runtime:           hull-runtime %s\n",
         HULL_VERSION, HULL_COMMIT, arch(), HULL_VERSION);
  return 0;
}

static int cgroup_version(void) { return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? 2 : 1; }

/* Docker's info object (the fields hull has). */
static json_t *info_object(hull_cli *g, hull_engine *e, hull_err *err) {
  hull_ctr **list = NULL;
  size_t n = 0;
  if (hull_ctr_list(e, &list, &n, err) < 0)
    return NULL;
  json_int_t running = 0, paused = 0, stopped = 0;
  for (size_t i = 0; i < n; i++) {
    enum hull_ctr_status s = list[i]->status;
    if (s == HULL_CTR_RUNNING || s == HULL_CTR_RESTARTING)
      running++;
    else if (s == HULL_CTR_PAUSED)
      paused++;
    else
      stopped++;
  }
  hull_ctr_list_free(list, n);
  json_int_t images = 0, volumes = 0;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT (SELECT count(*) FROM images), (SELECT count(*) FROM volumes)", err);
  if (st == NULL)
    return NULL;
  if (sqlite3_step(st) == SQLITE_ROW) {
    images = sqlite3_column_int64(st, 0);
    volumes = sqlite3_column_int64(st, 1);
  }
  struct utsname u;
  struct sysinfo si;
  bool have_u = uname(&u) == 0, have_si = sysinfo(&si) == 0;
  char os[256] = "Linux";
  cleanup_file FILE *rel = fopen("/etc/os-release", "re");
  char line[256];
  while (rel && fgets(line, sizeof(line), rel))
    if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
      char *v = line + 12;
      v += *v == '"';
      v[strcspn(v, "\"\n")] = '\0';
      snprintf(os, sizeof(os), "%s", v);
    }
  char cgv[4];
  snprintf(cgv, sizeof(cgv), "%d", cgroup_version());
  return json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, "
      "s:s, s:s*, s:s, s:s}",
      "Containers", (json_int_t)n, "ContainersRunning", running, "ContainersPaused", paused, "ContainersStopped",
      stopped, "Images", images, "Volumes", volumes, "Driver", "overlay", "LoggingDriver", "json-file", "CgroupDriver",
      g->cgroup_driver, "CgroupVersion", cgv, "DefaultRuntime", "hull-runtime", "KernelVersion",
      have_u ? u.release : "", "OperatingSystem", os, "OSType", "linux", "Architecture", have_u ? u.machine : "",
      "NCPU", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
      (json_int_t)(have_si ? (uint64_t)si.totalram * si.mem_unit : 0), "DockerRootDir", g->root, "RunRoot", g->runroot,
      "ConfigFile", g->config_path, "ServerVersion", HULL_VERSION, "Name", have_u ? u.nodename : "");
}

static const char *jstr(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static long long jint(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

int cmd_info(hull_cli *g, int argc, char **argv, hull_err *err) {
  const char *format = NULL;
  int r = format_opt("info",
                     "info [OPTIONS]\n\nDisplay system-wide information\n\nOptions:\n"
                     "  -f, --format string   Format output using a custom template or json\n",
                     argc, argv, &format, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  cleanup_engine hull_engine *e = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0)
    return -1;
  cleanup_json json_t *o = info_object(g, e, err);
  if (o == NULL)
    return -1;
  if ((r = formatted("info", format, o, err)) != 0)
    return r < 0 ? -1 : 0;
  char mem[32];
  uint64_t m = (uint64_t)jint(o, "MemTotal");
  double v = (double)m;
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t i = 0;
  for (; v >= 1024 && i < 4; i++)
    v /= 1024;
  snprintf(mem, sizeof(mem), "%.4g%s", v, u[i]);
  printf("Client:\n Version:    %s\n Context:    default (no daemon: hull runs in-process)\n\n", HULL_VERSION);
  printf("Server:\n Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n Images: %lld\n"
         " Volumes: %lld\n Server Version: %s\n Storage Driver: %s\n Logging Driver: %s\n Cgroup Driver: %s\n"
         " Cgroup Version: %s\n Runtimes: hull-runtime\n Default Runtime: %s\n Kernel Version: %s\n"
         " Operating System: %s\n OSType: linux\n Architecture: %s\n CPUs: %lld\n Total Memory: %s\n Name: %s\n"
         " Hull Root Dir: %s\n Hull Run Root: %s\n Config File: %s\n",
         jint(o, "Containers"), jint(o, "ContainersRunning"), jint(o, "ContainersPaused"), jint(o, "ContainersStopped"),
         jint(o, "Images"), jint(o, "Volumes"), jstr(o, "ServerVersion"), jstr(o, "Driver"), jstr(o, "LoggingDriver"),
         jstr(o, "CgroupDriver"), jstr(o, "CgroupVersion"), jstr(o, "DefaultRuntime"), jstr(o, "KernelVersion"),
         jstr(o, "OperatingSystem"), jstr(o, "Architecture"), jint(o, "NCPU"), mem, jstr(o, "Name"),
         jstr(o, "DockerRootDir"), jstr(o, "RunRoot"), g->config_path ? g->config_path : "(none)");
  return 0;
}

/* Docker's system prune prompt: what goes, then the filters that choose it. */
static bool confirm_prune(bool all, bool volumes, const hull_prune_filter *f) {
  char warning[4096];
  size_t n = (size_t)snprintf(
      warning, sizeof(warning),
      "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one "
      "container\n%s  - %s\n",
      volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
      all ? "all images without at least one container associated to them" : "all dangling images");
  cleanup_strv char **shown = hull_prune_filter_describe(f);
  if (shown && shown[0]) {
    n += (size_t)snprintf(warning + n, n < sizeof(warning) ? sizeof(warning) - n : 0,
                          "\n  Items to be pruned will be filtered with:\n");
    for (char **p = shown; *p; p++)
      n += (size_t)snprintf(warning + n, n < sizeof(warning) ? sizeof(warning) - n : 0, "  - %s\n", *p);
  }
  if (n < sizeof(warning))
    snprintf(warning + n, sizeof(warning) - n, "\nAre you sure you want to continue?");
  return hull_confirm(warning);
}

/* Stopped containers, then unused networks, then unused volumes (--volumes), then dangling
 * (or with -a unused) images, in Docker's order, with one total. The filters go to each
 * part as Docker's client passes them on: label and until to all, but until is refused
 * with --volumes, which cannot take it. */
int cmd_system_prune(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},     {"force", no_argument, NULL, 'f'},
                                       {"volumes", no_argument, NULL, 'V'}, {"filter", required_argument, NULL, 'F'},
                                       {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0}};
  cleanup_prune_filter hull_prune_filter f = {0};
  bool all = false, force = false, volumes = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:afh", opts, NULL)) != -1) {
    if (c == 'a') {
      all = true;
    } else if (c == 'f') {
      force = true;
    } else if (c == 'V') {
      volumes = true;
    } else if (c == 'F') {
      if (hull_prune_filter_add(&f, "system prune", optarg, err) < 0)
        return -1;
    } else {
      int r = hull_cli_common_opt(c, "system prune",
                                  "system prune [OPTIONS]\n\nRemove unused data\n\nOptions:\n"
                                  "  -a, --all             Remove all unused images not just dangling ones\n"
                                  "      --filter filter   Provide filter values (e.g. \"label=<key>=<value>\")\n"
                                  "  -f, --force           Do not prompt for confirmation\n"
                                  "      --volumes         Prune anonymous volumes\n",
                                  argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  for (size_t i = 0; volumes && i < f.n_args; i++)
    if (strncmp(f.args[i], "until=", 6) == 0)
      return hull_error(err, 0, "The \"until\" filter is not supported with \"--volumes\"");
  /* Checked before the prompt, with container prune's keys (the first part Docker's
   * client prunes, so the first to refuse another key). */
  if (hull_prune_filter_parse(&f, HULL_PRUNE_LABEL | HULL_PRUNE_UNTIL, all, hull_now_ns(), err) < 0)
    return -1;
  if (!force && !confirm_prune(all, volumes, &f))
    return 0;
  uint64_t reclaimed = 0;
  {
    cleanup_engine hull_engine *e = NULL;
    hull_ctr **list = NULL;
    size_t n = 0;
    if (hull_engine_open(g->root, g->runroot, HULL_STORE_DELETE, &e, err) < 0 || hull_ctr_list(e, &list, &n, err) < 0)
      return -1;
    bool header = false;
    for (size_t i = 0; i < n; i++) {
      if (!hull_ctr_prunable_p(list[i], &f))
        continue;
      hull_err e1 = NULL;
      if (hull_ctr_remove(e, list[i], true, false, &e1) < 0) {
        fprintf(stderr, "Error: %s\n", e1->msg);
        hull_error_release(&e1);
        continue;
      }
      printf("%s%s\n", header ? "" : "Deleted Containers:\n", list[i]->id);
      header = true;
    }
    hull_ctr_list_free(list, n);
    if (header)
      printf("\n");
    /* Then the networks no container is on any more (Docker's order), the leftovers of
     * crashed containers collected first. */
    cleanup_strv char **nets = NULL;
    int nrc = hull_network_prune(e->store, &f, &nets, err);
    for (char **p = nets; p && *p; p++)
      printf("%s%s\n", p == nets ? "Deleted Networks:\n" : "", *p);
    if (nets && nets[0])
      printf("\n");
    if (nrc < 0)
      return -1;
    /* Docker's client gives the volumes the filters but not -a: anonymous ones only. */
    f.all = false;
    if (volumes && hull_volumes_prune(e, &f, stdout, &reclaimed, err) < 0)
      return -1;
  }
  cleanup_store hull_store *s = NULL;
  hull_rmi_report rep = {0};
  f.all = all;
  if (hull_store_open(g->root, HULL_STORE_EXCLUSIVE, &s, err) < 0 || hull_image_prune(s, &f, &rep, err) < 0) {
    hull_rmi_report_free(&rep);
    return -1;
  }
  hull_cli_print_deleted_images(&rep);
  reclaimed += rep.reclaimed;
  hull_rmi_report_free(&rep);
  char sz[32];
  hull_human_size(reclaimed, sz, sizeof(sz));
  printf("Total reclaimed space: %s\n", sz);
  return 0;
}
