#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "cli.h"

/* A flag value: a size for memory flags ("64m"), an integer otherwise. */
static int cli_size_parse(const char *v, int64_t *n, hull_err *err) {
  long long b;
  if (hull_rt_size_parse(v, &b, err) < 0)
    return -1;
  *n = (int64_t)b;
  return 0;
}

static int set_int(json_t *res, const char *section, const char *key, const char *flag, const char *v, bool size,
                   hull_err *err) {
  int64_t n;
  /* runc: -1 means unlimited for the memory flags (and pids, an integer anyway) */
  if (size && strcmp(v, "-1") == 0)
    n = -1;
  else if (size ? cli_size_parse(v, &n, err) < 0 : hull_parse_int64(v, &n) < 0) {
    hull_error_release(err);
    return hull_error(err, 0, "update: --%s: invalid value \"%s\"", flag, v);
  }
  json_t *o = json_object_get(res, section);
  if (o == NULL) {
    o = json_object();
    json_object_set_new(res, section, o);
  }
  json_object_set_new(o, key, json_integer(n));
  return 0;
}

static void set_str(json_t *res, const char *section, const char *key, const char *v) {
  json_t *o = json_object_get(res, section);
  if (o == NULL) {
    o = json_object();
    json_object_set_new(res, section, o);
  }
  json_object_set_new(o, key, json_string(v));
}

int cmd_update(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  cleanup_json json_t *res = json_object();
  const char *file = NULL;
  int c, r = 0;
  while (r == 0 && (c = cli_getopt(g, argc, argv)) != -1) {
    switch (c) {
    case 'r':
      file = optarg;
      break;
    case OPT_MEMORY:
      r = set_int(res, "memory", "limit", "memory", optarg, true, err);
      break;
    case OPT_MEMORY_RES:
      r = set_int(res, "memory", "reservation", "memory-reservation", optarg, true, err);
      break;
    case OPT_MEMORY_SWAP:
      r = set_int(res, "memory", "swap", "memory-swap", optarg, true, err);
      break;
    case OPT_KERNEL:
      r = set_int(res, "memory", "kernel", "kernel-memory", optarg, true, err);
      break;
    case OPT_KERNEL_TCP:
      r = set_int(res, "memory", "kernelTCP", "kernel-memory-tcp", optarg, true, err);
      break;
    case OPT_CPU_SHARES:
      r = set_int(res, "cpu", "shares", "cpu-shares", optarg, false, err);
      break;
    case OPT_CPU_QUOTA:
      r = set_int(res, "cpu", "quota", "cpu-quota", optarg, false, err);
      break;
    case OPT_CPU_PERIOD:
      r = set_int(res, "cpu", "period", "cpu-period", optarg, false, err);
      break;
    case OPT_CPU_RT_RUNTIME:
      r = set_int(res, "cpu", "realtimeRuntime", "cpu-rt-runtime", optarg, false, err);
      break;
    case OPT_CPU_RT_PERIOD:
      r = set_int(res, "cpu", "realtimePeriod", "cpu-rt-period", optarg, false, err);
      break;
    case OPT_CPUSET_CPUS:
      set_str(res, "cpu", "cpus", optarg);
      break;
    case OPT_CPUSET_MEMS:
      set_str(res, "cpu", "mems", optarg);
      break;
    case OPT_PIDS:
      r = set_int(res, "pids", "limit", "pids-limit", optarg, false, err);
      break;
    case OPT_BLKIO_WEIGHT:
      r = set_int(res, "blockIO", "weight", "blkio-weight", optarg, false, err);
      break;
    case OPT_L3:
    case OPT_MEM_BW:
      return hull_error(err, 0, "update: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported");
    default:
      return cli_bad_option(g->cmd, argc, argv, err);
    }
  }
  if (r < 0)
    return -1;
  if (cli_want_args("update", argc - optind, 1, "container id", err) < 0)
    return -1;
  if (file != NULL) {
    json_error_t je;
    json_t *j = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
    if (j == NULL || !json_is_object(j)) {
      json_decref(j);
      return hull_error(err, 0, "update: --resources %s: %s", file, j ? "expected a JSON object" : je.text);
    }
    /* Flags given as well win over the file, as in runc. */
    json_object_update_recursive(j, res);
    json_decref(res);
    res = j;
  }
  return hull_rt_update(g->rt, argv[optind], res, err) < 0 ? -1 : 0;
}
