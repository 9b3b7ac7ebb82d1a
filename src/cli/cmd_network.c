/* hull network create, ls, inspect, rm, prune: Docker's flags, output and messages. The
 * records live in the store's database; create and rm also make and remove the bridge and
 * its nft rules in the caller's network namespace (src/network). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "network/network.h"

#define ONLY_HELP                                                                                                      \
  {"help", no_argument, NULL, 'h'}, { NULL, 0, NULL, 0 }

static int parse_label(json_t *labels, const char *kv, hull_err *err) {
  const char *eq = strchr(kv, '=');
  cleanup_free char *key = eq ? strndup(kv, (size_t)(eq - kv)) : strdup(kv);
  if (key == NULL || json_object_set_new(labels, key, json_string(eq ? eq + 1 : "")) < 0)
    return hull_error(err, ENOMEM, "--label %s", kv);
  return 0;
}

/* -o com.docker.network.driver.mtu=N (or mtu=N), hull.fastpath=false; other driver options are refused rather
 * than silently ignored. */
static int parse_opt(const char *kv, hull_network_opts *o, hull_err *err) {
  const char *v = NULL;
  if (strncmp(kv, "com.docker.network.driver.mtu=", 30) == 0)
    v = kv + 30;
  else if (strncmp(kv, "mtu=", 4) == 0)
    v = kv + 4;
  else if (strncmp(kv, "com.docker.network.bridge.name=", 31) == 0) {
    o->bridge = kv + 31;
    if (strlen(o->bridge) == 0 || strlen(o->bridge) > 15)
      return hull_usage_error(err, "network create", "invalid bridge name \"%s\"", o->bridge);
    return 0;
  } else if (strcmp(kv, "hull.fastpath=false") == 0 || strcmp(kv, "hull.fastpath=true") == 0) {
    o->no_fastpath = strcmp(kv, "hull.fastpath=false") == 0;
    return 0;
  } else
    return hull_usage_error(err, "network create", "unsupported driver option \"%s\"", kv);
  int64_t mtu;
  if (hull_parse_int64(v, &mtu) < 0 || mtu < 68 || mtu > 65535)
    return hull_usage_error(err, "network create", "invalid mtu \"%s\"", v);
  o->mtu = (unsigned)mtu;
  return 0;
}

int cmd_network_create(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"subnet", required_argument, NULL, 's'},
                                       {"gateway", required_argument, NULL, 'g'},
                                       {"ip-range", required_argument, NULL, 'r'},
                                       {"internal", no_argument, NULL, 'i'},
                                       {"ipv6", no_argument, NULL, '6'},
                                       {"label", required_argument, NULL, 'l'},
                                       {"opt", required_argument, NULL, 'o'},
                                       {"driver", required_argument, NULL, 'd'},
                                       ONLY_HELP};
  hull_network_opts o = {0};
  cleanup_json json_t *labels = json_object();
  const char *subnets[2] = {NULL, NULL}, *gateways[2] = {NULL, NULL};
  int ns = 0, ng = 0, c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:o:d:h", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      if (ns == 2)
        return hull_usage_error(err, "network create", "at most one IPv4 and one IPv6 --subnet");
      subnets[ns++] = optarg;
      break;
    case 'g':
      if (ng == 2)
        return hull_usage_error(err, "network create", "at most one IPv4 and one IPv6 --gateway");
      gateways[ng++] = optarg;
      break;
    case 'r':
      o.ip_range = optarg;
      break;
    case 'i':
      o.internal = true;
      break;
    case '6':
      break;
    case 'l':
      if (parse_label(labels, optarg, err) < 0)
        return -1;
      break;
    case 'o':
      if (parse_opt(optarg, &o, err) < 0)
        return -1;
      break;
    case 'd':
      if (strcmp(optarg, "bridge") != 0)
        return hull_error_code(err, ENOTSUP, "plugin \"%s\" not found", optarg);
      break;
    default: {
      int r = hull_cli_common_opt(c, "network create", "network create [OPTIONS] NETWORK", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "network create", "\"hull network create\" requires exactly 1 argument.");
  o.name = argv[optind];
  /* Each --gateway belongs to the --subnet of its family. */
  for (int i = 0; i < ns; i++) {
    bool v6 = strchr(subnets[i], ':') != NULL;
    if (v6 ? o.subnet6 != NULL : o.subnet != NULL)
      return hull_usage_error(err, "network create", "at most one IPv4 and one IPv6 --subnet");
    *(v6 ? &o.subnet6 : &o.subnet) = subnets[i];
  }
  for (int i = 0; i < ng; i++) {
    bool v6 = strchr(gateways[i], ':') != NULL;
    if (v6 ? o.subnet6 == NULL : o.subnet == NULL)
      return hull_usage_error(err, "network create", "--gateway %s needs a --subnet of its family", gateways[i]);
    *(v6 ? &o.gateway6 : &o.gateway) = gateways[i];
  }
  if (o.ip_range && o.subnet == NULL)
    return hull_usage_error(err, "network create", "--ip-range needs a --subnet");
  if (o.subnet6 && o.subnet == NULL)
    return hull_usage_error(err, "network create", "an IPv6 --subnet needs an IPv4 --subnet too");
  cleanup_free char *ltext = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
  o.labels = ltext;
  cleanup_store hull_store *s = NULL;
  cleanup_network hull_network *n = NULL;
  if (hull_store_open(g->root, HULL_STORE_WRITE, &s, err) < 0 || hull_network_create(s, &o, &n, err) < 0)
    return -1;
  printf("%s\n", n->id);
  return 0;
}

static const char *const network_titles[] = {"ID",     "NETWORK ID", "Name",   "NAME",     "Driver",
                                             "DRIVER", "Scope",      "SCOPE",  "Internal", "INTERNAL",
                                             "IPv6",   "IPV6",       "Labels", "LABELS",   NULL};

static json_t *network_row(const hull_network *n, bool no_trunc) {
  char id[65];
  snprintf(id, sizeof(id), "%.*s", no_trunc ? 64 : 12, n->id);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Name", n->name, "Driver", n->driver, "Scope",
                   "local", "Internal", n->internal ? "true" : "false", "IPv6", n->has_v6 ? "true" : "false", "Labels",
                   strcmp(n->labels, "{}") == 0 ? "" : n->labels, "CreatedAt", "");
}

/* Docker's filters of network ls: values of one key are alternatives, keys must all match. */
static const char *const ls_filter_keys[] = {"name", "id", "driver", "label", "scope", "type", "dangling", NULL};

static bool label_matches(const hull_network *n, const char *want) {
  cleanup_json json_t *labels = json_loads(n->labels, 0, NULL);
  const char *eq = strchr(want, '=');
  cleanup_free char *key = eq ? strndup(want, (size_t)(eq - want)) : strdup(want);
  const char *v = key ? json_string_value(json_object_get(labels, key)) : NULL;
  return v && (eq == NULL || strcmp(v, eq + 1) == 0);
}

static bool ls_value_matches(const hull_network *n, const char *key, const char *v, bool in_use) {
  /* The default network is the one "builtin" network hull lists (Docker's bridge). */
  bool builtin = strcmp(n->name, HULL_DEFAULT_NETWORK) == 0;
  if (strcmp(key, "name") == 0)
    return strstr(n->name, v) != NULL; /* a part of the name, as Docker's */
  if (strcmp(key, "id") == 0)
    return strncmp(n->id, v, strlen(v)) == 0;
  if (strcmp(key, "driver") == 0)
    return strcmp(n->driver, v) == 0;
  if (strcmp(key, "label") == 0)
    return label_matches(n, v);
  if (strcmp(key, "scope") == 0)
    return strcmp(v, "local") == 0;
  if (strcmp(key, "type") == 0)
    return strcmp(v, builtin ? "builtin" : "custom") == 0;
  /* dangling: unused by any container (the default network never is, as Docker's bridge). */
  bool dangling = !in_use && !builtin;
  return strcmp(v, dangling ? "true" : "false") == 0 || strcmp(v, dangling ? "1" : "0") == 0;
}

static int ls_matches(hull_store *s, const hull_network *n, char **filters, size_t nf, bool *match, hull_err *err) {
  bool in_use = false;
  *match = true;
  for (size_t i = 0; i < nf; i++)
    if (strncmp(filters[i], "dangling=", 9) == 0 && hull_network_in_use(s, n, &in_use, err) < 0)
      return -1;
  for (const char *const *k = ls_filter_keys; *k && *match; k++) {
    bool asked = false, any = false;
    size_t kl = strlen(*k);
    for (size_t i = 0; i < nf; i++) {
      if (strncmp(filters[i], *k, kl) != 0 || filters[i][kl] != '=')
        continue;
      asked = true;
      any = any || ls_value_matches(n, *k, filters[i] + kl + 1, in_use);
    }
    *match = !asked || any;
  }
  return 0;
}

static bool ls_filter_valid(const char *f) {
  const char *eq = strchr(f, '=');
  for (const char *const *k = ls_filter_keys; eq && *k; k++)
    if ((size_t)(eq - f) == strlen(*k) && strncmp(f, *k, strlen(*k)) == 0)
      return strcmp(*k, "dangling") != 0 || strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "false") == 0 ||
             strcmp(eq + 1, "1") == 0 || strcmp(eq + 1, "0") == 0;
  return false;
}

int cmd_network_ls(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"no-trunc", no_argument, NULL, 'T'},
                                       {"format", required_argument, NULL, 'F'},
                                       {"filter", required_argument, NULL, 'f'},
                                       ONLY_HELP};
  bool quiet = false, no_trunc = false;
  const char *format = NULL;
  char *filters[32];
  size_t nf = 0;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:qf:h", opts, NULL)) != -1) {
    if (c == 'q') {
      quiet = true;
    } else if (c == 'T') {
      no_trunc = true;
    } else if (c == 'F') {
      format = optarg;
    } else if (c == 'f') {
      if (!ls_filter_valid(optarg))
        return hull_usage_error(err, "network ls", "invalid filter '%s'", optarg);
      if (nf == sizeof(filters) / sizeof(filters[0]))
        return hull_usage_error(err, "network ls", "at most 32 filters");
      filters[nf++] = optarg;
    } else {
      int r = hull_cli_common_opt(c, "network ls", "network ls [OPTIONS]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind != argc)
    return hull_usage_error(err, "network ls", "\"hull network ls\" accepts no arguments.");
  cleanup_store hull_store *s = NULL;
  hull_network **all = NULL;
  if (hull_store_open(g->root, HULL_STORE_READ, &s, err) < 0 || hull_network_list(s, &all, NULL, err) < 0)
    return -1;
  bool table;
  const char *tmpl = hull_template_choose(format, "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", &table);
  hull_table t = {0};
  if (table && !quiet) {
    cleanup_free char *h = hull_template_header(tmpl, network_titles);
    if (h)
      hull_table_add_tabbed(&t, h);
  }
  int rc = 0;
  for (hull_network **p = all; *p && rc == 0; p++) {
    bool match;
    if (ls_matches(s, *p, filters, nf, &match, err) < 0) {
      rc = -1;
      break;
    }
    if (!match)
      continue;
    cleanup_json json_t *row = network_row(*p, no_trunc);
    if (quiet) {
      printf("%s\n", json_string_value(json_object_get(row, "ID")));
      continue;
    }
    const char *terr = NULL;
    cleanup_free char *line = hull_template_render(tmpl, row, &terr);
    if (line == NULL)
      rc = hull_usage_error(err, "network ls", "template parsing error: %s", terr);
    else if (table)
      hull_table_add_tabbed(&t, line);
    else
      printf("%s\n", line);
  }
  hull_network_list_free(all);
  if (rc == 0 && table && !quiet)
    hull_table_print(&t, stdout);
  hull_table_free(&t);
  return rc;
}

int cmd_network_inspect(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, ONLY_HELP};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
    if (c == 'f') {
      format = optarg;
    } else {
      int r = hull_cli_common_opt(c, "network inspect", "network inspect [OPTIONS] NETWORK [NETWORK...]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind == argc)
    return hull_args_error(err, "network inspect", "\"hull network inspect\" requires at least 1 argument.");
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(g->root, HULL_STORE_READ, &s, err) < 0)
    return -1;
  cleanup_json json_t *all = json_array();
  cleanup_err hull_err failed = NULL;
  for (int i = optind; i < argc; i++) {
    cleanup_network hull_network *n = NULL;
    hull_err e1 = NULL;
    json_t *o = NULL;
    if (hull_network_lookup(s, argv[i], &n, &e1) < 0 || (o = hull_network_inspect(s, n, &e1)) == NULL) {
      hull_cli_add_failure(&failed, &e1);
      continue;
    }
    json_array_append_new(all, o);
  }
  if (hull_cli_print_inspect("network inspect", all, format, err) < 0)
    return -1;
  return hull_cli_failures(&failed, err);
}

int cmd_network_rm(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, ONLY_HELP};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fh", opts, NULL)) != -1) {
    if (c == 'f') {
      force = true;
    } else {
      int r = hull_cli_common_opt(c, "network rm", "network rm NETWORK [NETWORK...]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind == argc)
    return hull_args_error(err, "network rm", "\"hull network rm\" requires at least 1 argument.");
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(g->root, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  /* Like Docker: every name is tried; the errors are reported together at the end. */
  hull_err first = NULL;
  for (int i = optind; i < argc; i++) {
    cleanup_network hull_network *n = NULL;
    hull_err e = NULL;
    if (hull_network_lookup(s, argv[i], &n, &e) < 0 && force && e->errno_ == ENOENT) {
      hull_error_release(&e); /* -f: a missing network is not an error */
      continue;
    }
    if (e == NULL && hull_network_remove(s, n, &e) == 0) {
      printf("%s\n", argv[i]);
      continue;
    }
    if (first == NULL)
      first = e;
    else {
      fprintf(stderr, "Error: %s\n", e->msg);
      hull_error_release(&e);
    }
  }
  if (first) {
    *err = first;
    return -1;
  }
  return 0;
}

int cmd_network_prune(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"filter", required_argument, NULL, 'F'}, ONLY_HELP};
  cleanup_prune_filter hull_prune_filter f = {0};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fh", opts, NULL)) != -1) {
    if (c == 'f') {
      force = true;
    } else if (c == 'F') {
      if (hull_prune_filter_add(&f, "network prune", optarg, err) < 0)
        return -1;
    } else {
      int r = hull_cli_common_opt(c, "network prune", "network prune [OPTIONS]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (hull_prune_filter_parse(&f, HULL_PRUNE_LABEL | HULL_PRUNE_UNTIL, false, hull_now_ns(), err) < 0)
    return -1;
  if (!force && !hull_confirm("WARNING! This will remove all custom networks not used by at least one container.\n"
                              "Are you sure you want to continue?"))
    return 0;
  cleanup_store hull_store *s = NULL;
  cleanup_strv char **deleted = NULL;
  if (hull_store_open(g->root, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  int rc = hull_network_prune(s, &f, &deleted, err);
  for (char **p = deleted; p && *p; p++)
    printf("%s%s\n", p == deleted ? "Deleted Networks:\n" : "", *p);
  /* The docker client ends the list with an empty line (system prune does too). */
  if (deleted && deleted[0])
    printf("\n");
  return rc;
}
