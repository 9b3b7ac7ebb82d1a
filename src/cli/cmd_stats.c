/* hull stats: Docker's live resource table (engine/stats.c samples). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "engine/stats.h"

#define STATS_USAGE                                                                                                    \
  "stats [OPTIONS] [CONTAINER...]\n\nDisplay a live stream of container(s) resource usage statistics\n\n"              \
  "Options:\n"                                                                                                         \
  "  -a, --all             Show all containers (default shows just running)\n"                                         \
  "      --format string   Format output using a custom template or json\n"                                            \
  "      --no-stream       Disable streaming stats and only pull the first result\n"                                   \
  "      --no-trunc        Do not truncate output\n"

/* Docker's units.BytesSize: binary units, 4 significant digits ("1.953MiB"). */
static void bytes_size(uint64_t b, char *out, size_t len) {
  static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = (double)b;
  size_t i = 0;
  while (v >= 1024 && i < 5) {
    v /= 1024;
    i++;
  }
  snprintf(out, len, "%.4g%s", v, u[i]);
}

typedef struct entry {
  hull_ctr *c;
  hull_stats prev, cur;
} entry;

static json_t *row(const entry *en, bool no_trunc) {
  char cpu[32], mem[32], lim[32], memp[32], br[32], bw[32], io[80], usage[80], pids[32], id[65];
  char nr[32], nt[32], net[80];
  const hull_stats *s = &en->cur;
  snprintf(cpu, sizeof(cpu), "%.2f%%", hull_stats_cpu_percent(&en->prev, s));
  bytes_size(s->mem_usage, mem, sizeof(mem));
  bytes_size(s->mem_limit, lim, sizeof(lim));
  snprintf(usage, sizeof(usage), "%s / %s", mem, lim);
  snprintf(memp, sizeof(memp), "%.2f%%", s->mem_limit ? (double)s->mem_usage / (double)s->mem_limit * 100.0 : 0.0);
  hull_human_size(s->blk_read, br, sizeof(br));
  hull_human_size(s->blk_write, bw, sizeof(bw));
  snprintf(io, sizeof(io), "%s / %s", br, bw);
  hull_human_size(s->net_rx, nr, sizeof(nr));
  hull_human_size(s->net_tx, nt, sizeof(nt));
  snprintf(net, sizeof(net), "%s / %s", nr, nt);
  snprintf(pids, sizeof(pids), "%llu", (unsigned long long)s->pids);
  snprintf(id, sizeof(id), "%.*s", no_trunc ? 64 : 12, en->c->id);
  const char *name = en->c->name[0] == '/' ? en->c->name + 1 : en->c->name;
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", io, "CPUPerc", cpu, "Container", id,
                   "ID", id, "MemPerc", memp, "MemUsage", usage, "Name", name, "NetIO", net, "PIDs", pids);
}

static void sample(hull_engine *e, entry *en) {
  en->prev = en->cur;
  hull_ctr_refresh(e, en->c);
  hull_err ign = NULL;
  bool live = en->c->status == HULL_CTR_RUNNING || en->c->status == HULL_CTR_PAUSED;
  if (!live || hull_ctr_stats(e, en->c, &en->cur, &ign) < 0) {
    hull_error_release(&ign); /* stopped meanwhile: zeros, as Docker shows */
    memset(&en->cur, 0, sizeof(en->cur));
  }
}

static int print_all(entry *v, size_t n, const char *format, bool no_trunc, hull_err *err) {
  static const char *const titles[] = {"ID",        "CONTAINER ID", "Container", "CONTAINER", "Name",
                                       "NAME",      "CPUPerc",      "CPU %",     "MemUsage",  "MEM USAGE / LIMIT",
                                       "MemPerc",   "MEM %",        "NetIO",     "NET I/O",   "BlockIO",
                                       "BLOCK I/O", "PIDs",         "PIDS",      NULL};
  hull_listing l;
  hull_listing_start(
      &l, format, "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
      titles, false);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    cleanup_json json_t *obj = row(&v[i], no_trunc);
    const char *terr;
    if (hull_listing_add(&l, obj, &terr) < 0)
      rc = hull_usage_error(err, "stats", "template: %s", terr ? terr : "bad template");
  }
  hull_listing_end(&l, rc == 0);
  fflush(stdout);
  return rc;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

int cmd_stats(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},       {"format", required_argument, NULL, 'F'},
                                       {"no-stream", no_argument, NULL, 'S'}, {"no-trunc", no_argument, NULL, 'T'},
                                       {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
  bool all = false, no_stream = false, no_trunc = false;
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:ah", opts, NULL)) != -1) {
    if (c == 'a')
      all = true;
    else if (c == 'F')
      format = optarg;
    else if (c == 'S')
      no_stream = true;
    else if (c == 'T')
      no_trunc = true;
    else {
      int r = hull_cli_common_opt(c, "stats", STATS_USAGE, argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  cleanup_engine hull_engine *e = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0)
    return -1;
  hull_ctr **list = NULL;
  size_t n = 0;
  if (optind < argc) {
    list = calloc((size_t)(argc - optind), sizeof(*list));
    if (list == NULL)
      return hull_error(err, ENOMEM, "stats");
    for (int i = optind; i < argc; i++, n++)
      if (hull_ctr_lookup(e, argv[i], &list[n], err) < 0) {
        hull_ctr_list_free(list, n);
        return -1;
      }
  } else if (hull_ctr_list(e, &list, &n, err) < 0) {
    return -1;
  }
  entry *v = calloc(n ? n : 1, sizeof(*v));
  size_t k = 0;
  for (size_t i = 0; v && i < n; i++) {
    bool live = list[i]->status == HULL_CTR_RUNNING || list[i]->status == HULL_CTR_PAUSED;
    if (all || live || optind < argc)
      v[k++].c = list[i];
  }
  int rc = 0;
  if (v == NULL) {
    rc = hull_error(err, ENOMEM, "stats");
    goto out;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* Two samples a little apart give the first CPU %; then one per second, as Docker's. */
  for (size_t i = 0; i < k; i++)
    sample(e, &v[i]);
  struct timespec pause_ts = {0, 500 * 1000 * 1000};
  nanosleep(&pause_ts, NULL);
  for (;;) {
    for (size_t i = 0; i < k; i++)
      sample(e, &v[i]);
    if (interrupted)
      break;
    if (!no_stream && isatty(STDOUT_FILENO))
      printf("\033[2J\033[H");
    if ((rc = print_all(v, k, format, no_trunc, err)) < 0 || no_stream)
      break;
    struct timespec second = {1, 0};
    while (nanosleep(&second, &second) < 0 && !interrupted)
      ;
    if (interrupted)
      break;
  }
out:
  free(v);
  hull_ctr_list_free(list, n);
  return rc;
}
