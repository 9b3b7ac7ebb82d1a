/* The engine's side of networking (engine/network.h): flags in, network library calls out. */
#include "engine/network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "network/dns.h"
#include "network/netlink.h"
#include "network/network.h"
#include "network/setup.h"

#define MAX_PORTS 1024

static const char *net_mode(const hull_ctr *c) {
  const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));
  return m && *m && strcmp(m, "default") != 0 ? m : "bridge";
}

/* Every mode but host, container and none: a namespace of its own, made and wired by path
 * before the container starts. none's (lo alone, up, as Docker's) is the runtime's: the
 * spec names a new network namespace without a path and the runtime brings lo up, which
 * saves every such run the engine's unshare, nsfs bind mount, its file on the runroot, its
 * record, and at the end the unmount (an RCU grace period) and the unlink. */
static bool on_network(const char *mode) {
  return strcmp(mode, "host") != 0 && strcmp(mode, "none") != 0 && !hull_str_has_prefix(mode, "container:");
}

/* An error of the user's flags: Docker's status 125. */
#define usage_err(err, e, ...) (hull_error_code(err, e, __VA_ARGS__), (*(err))->status = 125, -1)

/* NAME of container:NAME. */
static const char *other_of(const char *mode) { return strchr(mode, ':') + 1; }

static char *own_path(hull_engine *e, const char *id) {
  char *p = NULL;
  return asprintf(&p, "%s/netns/%s", e->runroot, id) < 0 ? NULL : p;
}

/* Whether a --network none container's config.json joins a namespace at path: one created
 * before the runtime made none's namespace, whose config (written once, at create) still
 * names the engine's. The text is searched, not parsed: the path is unique to the
 * container, and a parse of the 15-30 KiB config would cost every start. */
static bool config_names(hull_engine *e, const char *id, const char *path) {
  cleanup_free char *cfg = hull_ctr_path(e, id, "config.json");
  size_t len;
  hull_err ign = NULL;
  cleanup_free char *text = cfg ? hull_read_file(cfg, &len, &ign) : NULL;
  hull_error_release(&ign); /* no config: nothing names the path */
  return text && strstr(text, path) != NULL;
}

char *hull_ctr_netns_path(hull_engine *e, const hull_ctr *c) {
  const char *mode = net_mode(c);
  if (hull_str_has_prefix(mode, "container:")) {
    /* container:<id> (prepare resolved it) whose own namespace exists; a host-mode target
     * has none: NULL then shares the host's, as the other container does. */
    const char *other = other_of(mode);
    if (strlen(other) != 64)
      return NULL;
    return own_path(e, other);
  }
  return on_network(mode) ? own_path(e, c->id) : NULL;
}

/* The container's -p and -P as the library's ports; *n of them. */
static int ports_of(const hull_ctr *c, hull_port *ports, size_t *n, hull_err *err) {
  size_t i, k = 0;
  json_t *v;
  json_array_foreach(json_object_get(c->host_config, "PortSpecs"), i, v) {
    if (k == MAX_PORTS)
      return usage_err(err, E2BIG, "too many published ports (%s)", "-p");
    if (hull_port_parse(json_string_value(v), &ports[k], err) < 0) {
      (*err)->status = 125;
      return -1;
    }
    k++;
  }
  if (json_is_true(json_object_get(c->host_config, "PublishAllPorts"))) {
    const char *key;
    json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v) {
      hull_port p;
      if (k == MAX_PORTS || hull_port_parse(key, &p, err) < 0) {
        hull_error_release(err); /* an image's odd ExposedPorts key is not the user's error */
        continue;
      }
      bool dup = false;
      for (size_t j = 0; j < k && !dup; j++)
        dup = ports[j].ctr_port == p.ctr_port && ports[j].proto == p.proto;
      if (!dup)
        ports[k++] = p;
    }
  }
  *n = k;
  return 0;
}

/* Docker's PortBindings and ExposedPorts from -p, for inspect. */
static void port_bindings(hull_ctr *c, const hull_port *ports, size_t n) {
  json_t *pb = json_object(), *ep = json_object_get(c->config, "ExposedPorts");
  if (!json_is_object(ep)) {
    ep = json_object();
    json_object_set_new(c->config, "ExposedPorts", ep);
  }
  for (size_t i = 0; i < n; i++) {
    char key[32], ip[HULL_IP_STRLEN] = "", hp[8] = "";
    snprintf(key, sizeof(key), "%u/%s", ports[i].ctr_port, ports[i].proto == IPPROTO_UDP ? "udp" : "tcp");
    if (ports[i].host_ip.family)
      hull_ip_format(&ports[i].host_ip, ip);
    if (ports[i].host_port)
      snprintf(hp, sizeof(hp), "%u", ports[i].host_port);
    json_t *list = json_object_get(pb, key);
    if (list == NULL) {
      list = json_array();
      json_object_set_new(pb, key, list);
    }
    json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", hp));
    json_object_set_new(ep, key, json_object());
  }
  json_object_set_new(c->host_config, "PortBindings", pb);
}

int hull_ctr_net_prepare(hull_engine *e, hull_ctr *c, hull_err *err) {
  const char *mode = net_mode(c);
  json_t *nc = json_object_get(c->host_config, "NetworkingConfig");
  const char *ip = json_string_value(json_object_get(nc, "IPv4Address"));
  const char *ip6 = json_string_value(json_object_get(nc, "IPv6Address"));
  size_t nports = json_array_size(json_object_get(c->host_config, "PortSpecs"));
  if (hull_ctr_net_gc(e, err) < 0)
    return -1;
  /* Names are served only on user networks: an alias elsewhere would be silently dropped.
   * The docker 28 client's words (it refuses before asking the daemon); `network connect`
   * has the daemon's. */
  bool user_net = on_network(mode) && strcmp(mode, "bridge") != 0 && strcmp(mode, HULL_DEFAULT_NETWORK) != 0;
  if (json_array_size(json_object_get(nc, "Aliases")) && !user_net)
    return usage_err(err, EINVAL, "network-scoped aliases are only supported for user-defined networks%s", "");
  /* Docker's rule: the default network's addresses are the engine's to give. */
  if ((ip || ip6) && !user_net)
    return usage_err(err, EINVAL, "user specified IP address is supported on user defined networks only%s", "");
  if (hull_str_has_prefix(mode, "container:")) {
    /* Docker's checks: the name, resolvers and hosts are the other container's. */
    const char *hn = json_string_value(json_object_get(c->config, "Hostname"));
    if (hn && *hn)
      return usage_err(err, EINVAL, "conflicting options: hostname and the network mode%s", "");
    if (json_array_size(json_object_get(c->host_config, "Dns")))
      return usage_err(err, EINVAL, "conflicting options: dns and the network mode%s", "");
    if (json_array_size(json_object_get(c->host_config, "ExtraHosts")))
      return usage_err(err, EINVAL, "conflicting options: custom host-to-IP mapping and the network mode%s", "");
    if (nports || json_is_true(json_object_get(c->host_config, "PublishAllPorts")))
      return usage_err(err, EINVAL, "conflicting options: port publishing and the container type network mode%s", "");
    cleanup_ctr hull_ctr *other = NULL;
    if (hull_ctr_lookup(e, other_of(mode), &other, err) < 0) {
      (*err)->status = 125;
      return -1;
    }
    /* A chain of container: modes ends at the first container's namespace. */
    const char *om = net_mode(other);
    char resolved[80];
    if (strcmp(om, "host") == 0)
      snprintf(resolved, sizeof(resolved), "host");
    else if (strcmp(om, "none") == 0)
      return usage_err(err, EINVAL, "cannot join the network of container %s: it has --network none", other->name);
    else
      snprintf(resolved, sizeof(resolved), "container:%s",
               hull_str_has_prefix(om, "container:") ? other_of(om) : other->id);
    json_object_set_new(c->host_config, "NetworkMode", json_string(resolved));
    /* Docker gives the container the other's hostname (in a UTS namespace of its own), so
     * that the name in /etc/hostname and /etc/hosts, which it shares, is its own too. */
    const char *ohn = json_string_value(json_object_get(other->config, "Hostname"));
    char oshort[13];
    snprintf(oshort, sizeof(oshort), "%.12s", other->id);
    if (strcmp(om, "host") != 0)
      json_object_set_new(c->config, "Hostname", json_string(ohn && *ohn ? ohn : oshort));
    return 0;
  }
  hull_ip a4 = {0}, a6 = {0};
  if ((ip && hull_ip_parse(ip, &a4, "--ip", err) < 0) || (ip6 && hull_ip_parse(ip6, &a6, "--ip6", err) < 0)) {
    (*err)->status = 125;
    return -1;
  }
  if (ip && a4.family != AF_INET)
    return usage_err(err, EINVAL, "invalid IPv4 address: %s", ip);
  if (ip6 && a6.family != AF_INET6)
    return usage_err(err, EINVAL, "invalid IPv6 address: %s", ip6);
  if (user_net) {
    cleanup_network hull_network *n = NULL;
    if (hull_network_lookup(e->store, mode, &n, err) < 0) {
      hull_error_release(err);
      return usage_err(err, ENOENT, "network %s not found", mode);
    }
    /* Otherwise the address would be dropped: only a dual-stack network leases IPv6. */
    if (ip6 && !n->has_v6)
      return usage_err(err, EINVAL, "network %s has no IPv6 subnet for --ip6 %s", n->name, ip6);
  }
  cleanup_free hull_port *ports = calloc(MAX_PORTS, sizeof(*ports));
  size_t n = 0;
  if (ports == NULL)
    return hull_error(err, ENOMEM, "ports");
  json_t *specs = json_object_get(c->host_config, "PortSpecs");
  size_t i;
  json_t *v;
  json_array_foreach(specs, i, v) {
    if (n == MAX_PORTS)
      return usage_err(err, E2BIG, "too many published ports (%s)", "-p");
    if (hull_port_parse(json_string_value(v), &ports[n++], err) < 0) {
      (*err)->status = 125;
      return -1;
    }
  }
  if (n && strcmp(mode, "none") == 0)
    return usage_err(err, EINVAL, "published ports need a network: --network %s has none", mode);
  /* As Docker: a warning, and the container runs on the host's network without them. */
  if ((n || json_is_true(json_object_get(c->host_config, "PublishAllPorts"))) && strcmp(mode, "host") == 0)
    hull_warn("published ports are discarded when using host network mode");
  port_bindings(c, ports, n);
  return 0;
}

static const char **strv_of(const json_t *arr) {
  size_t n = json_array_size(arr);
  const char **v = calloc(n + 1, sizeof(*v));
  for (size_t i = 0; v && i < n; i++)
    v[i] = json_string_value(json_array_get(arr, i));
  return v;
}

/* container:<id> shares the other's /etc/hosts, resolv.conf and hostname as Docker does
 * (its HostsPath is the other's): hard links to the other's files, which the bind mounts
 * of config.json name, so that what `network connect` writes into the other's hosts file
 * in place is seen by both. */
static int share_files(hull_engine *e, const char *other_id, int dfd, hull_err *err) {
  cleanup_free char *odir = hull_ctr_path(e, other_id, NULL);
  cleanup_close int ofd = odir ? open(odir, O_DIRECTORY | O_RDONLY | O_CLOEXEC) : -1;
  if (ofd < 0)
    return hull_error_sys(err, "open %s", odir ? odir : "container directory");
  static const char *const names[] = {"hosts", "resolv.conf", "hostname", NULL};
  for (const char *const *f = names; *f; f++) {
    if (unlinkat(dfd, *f, 0) < 0 && errno != ENOENT)
      return hull_error_sys(err, "remove the container's own %s", *f);
    if (linkat(ofd, *f, dfd, *f, 0) < 0)
      return hull_error_sys(err, "link %s/%s", odir, *f);
  }
  return 0;
}

int hull_ctr_net_up(hull_engine *e, hull_ctr *c, bool fresh, hull_err *err) {
  const char *mode = net_mode(c);
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL);
  cleanup_close int dfd = dir ? open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC) : -1;
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir ? dir : "container directory");
  const json_t *hc = c->host_config;
  const json_t *nc = json_object_get(hc, "NetworkingConfig");
  cleanup_free const char **aliases = strv_of(json_object_get(nc, "Aliases"));
  cleanup_free const char **add_hosts = strv_of(json_object_get(hc, "ExtraHosts"));
  cleanup_free const char **dns = strv_of(json_object_get(hc, "Dns"));
  cleanup_free const char **search = strv_of(json_object_get(hc, "DnsSearch"));
  cleanup_free const char **dopts = strv_of(json_object_get(hc, "DnsOptions"));
  if (aliases == NULL || add_hosts == NULL || dns == NULL || search == NULL || dopts == NULL)
    return hull_error(err, ENOMEM, "network of %s", c->name);
  const char *hn = json_string_value(json_object_get(c->config, "Hostname"));
  char short_id[13];
  snprintf(short_id, sizeof(short_id), "%.12s", c->id);
  hull_netfiles_opts files = {.hostname = hn && *hn ? hn : short_id,
                              .aliases = aliases,
                              .add_hosts = add_hosts,
                              .dns = dns,
                              .dns_search = search,
                              .dns_options = dopts,
                              .fresh = fresh};
  if (hull_str_has_prefix(mode, "container:")) {
    cleanup_free char *path = hull_ctr_netns_path(e, c);
    if (path && access(path, F_OK) < 0)
      return usage_err(err, ENOENT, "cannot join network of a non running container: %s", other_of(mode));
    if (path == NULL)
      return hull_netfiles_write(dfd, &files, err);
    return share_files(e, other_of(mode), dfd, err);
  }
  cleanup_free hull_port *ports = calloc(MAX_PORTS, sizeof(*ports));
  size_t n = 0;
  if (ports == NULL)
    return hull_error(err, ENOMEM, "ports");
  if (ports_of(c, ports, &n, err) < 0)
    return -1;
  cleanup_free char *path = own_path(e, c->id);
  if (path == NULL)
    return hull_error(err, ENOMEM, "network of %s", c->name);
  /* A config.json this process generated names no namespace for none (hull_bundle_in's
   * netns_path is NULL then): it is not read back. */
  if (strcmp(mode, "none") == 0 && (fresh || !config_names(e, c->id, path))) {
    /* The runtime makes the namespace (on_network): only the files are the engine's. */
    if (n)
      return usage_err(err, EINVAL, "published ports need a network: --network none has none");
    return hull_netfiles_write(dfd, &files, err);
  }
  const char *ip_s = json_string_value(json_object_get(nc, "IPv4Address"));
  const char *ip6_s = json_string_value(json_object_get(nc, "IPv6Address"));
  hull_ip ip, ip6;
  if ((ip_s && hull_ip_parse(ip_s, &ip, "--ip", err) < 0) || (ip6_s && hull_ip_parse(ip6_s, &ip6, "--ip6", err) < 0))
    return -1;
  cleanup_free char *nsdir = NULL;
  if (asprintf(&nsdir, "%s/netns", e->runroot) < 0)
    return hull_error(err, ENOMEM, "network of %s", c->name);
  if (hull_mkdir_p(nsdir, 0700, err) < 0)
    return -1;
  hull_net_request r = {.ctr_id = c->id,
                        .ctr_name = c->name,
                        .runroot = e->runroot,
                        .network = mode,
                        .netns_path = path,
                        .ip = ip_s ? &ip : NULL,
                        .ip6 = ip6_s ? &ip6 : NULL,
                        .aliases = aliases,
                        .ports = ports,
                        .n_ports = strcmp(mode, "host") == 0 ? 0 : n,
                        .hostname = files.hostname,
                        .add_hosts = add_hosts,
                        .dns = dns,
                        .dns_search = search,
                        .dns_options = dopts,
                        .files_dirfd = dfd};
  hull_net_result res;
  if (hull_network_setup(e->store, &r, &res, err) < 0) {
    (*err)->status = 125; /* Docker's status for what the engine could not do */
    return -1;
  }
  return 0;
}

int hull_ctr_net_down(hull_engine *e, const char *id, hull_err *err) {
  /* The monitor's teardown may be removing the same objects at this moment (rm -f kills
   * the monitor while its teardown runs): a second pass sees what is left. */
  if (hull_network_teardown(e->store, id, err) == 0)
    return 0;
  hull_debug("network teardown of %.12s: %s (trying again)", id, (*err)->msg);
  hull_error_release(err);
  return hull_network_teardown(e->store, id, err);
}

int hull_ctr_net_gc(hull_engine *e, hull_err *err) {
  unsigned removed = 0;
  if (hull_network_gc(e->store, &removed, err) < 0)
    return -1;
  if (removed)
    hull_debug("network gc: %u objects of gone containers removed", removed);
  return 0;
}

/* A port on every host address ('') is published on IPv6 too where its network is dual
 * stack (nat.c's DNAT rule for each family): Docker lists it twice then, 0.0.0.0 and ::. */
json_t *hull_ctr_ports(hull_engine *e, const char *id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      e->store,
      "SELECT proto, host_ip, host_port, ctr_port FROM port_maps WHERE container_id = ?1 UNION ALL "
      "SELECT p.proto, '::', p.host_port, p.ctr_port FROM port_maps p WHERE p.container_id = ?1 AND p.host_ip = '' "
      "AND EXISTS (SELECT 1 FROM ip_leases l4 JOIN ip_leases l6 ON l6.network_id = l4.network_id AND "
      "l6.container_id = l4.container_id AND l6.family = 10 WHERE l4.container_id = ?1 AND l4.family = 2 AND "
      "l4.address = p.ctr_ip) ORDER BY 4, 1, 2",
      err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  json_t *out = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *hip = (const char *)sqlite3_column_text(st, 1);
    json_array_append_new(out, json_pack("{s:s, s:s, s:i, s:i}", "proto", (const char *)sqlite3_column_text(st, 0),
                                         "host_ip", hip && *hip ? hip : "0.0.0.0", "host_port",
                                         sqlite3_column_int(st, 2), "ctr_port", sqlite3_column_int(st, 3)));
  }
  if (rc != SQLITE_DONE) {
    json_decref(out);
    hull_store_sqlerr(e->store, "published ports", err);
    return NULL;
  }
  return out;
}

typedef struct ps_port {
  int priv, pub;
  const char *ip, *type;
} ps_port;

/* Docker's order for the PORTS column: container port, host address, host port, protocol. */
static int ps_port_cmp(const void *a, const void *b) {
  const ps_port *x = a, *y = b;
  int c = x->priv != y->priv ? x->priv - y->priv : strcmp(x->ip, y->ip);
  if (c == 0)
    c = x->pub != y->pub ? x->pub - y->pub : strcmp(x->type, y->type);
  return c;
}

static size_t ps_group_len(int n, size_t cap) { return n > 0 && (size_t)n < cap ? (size_t)n : 0; }

/* "IP:FIRST[-LAST]->FIRST[-LAST]/TYPE" ("[IP]" for IPv6), or "IP:PUB->PRIV/TYPE" when last < 0;
 * "FIRST[-LAST]/TYPE" for ports exposed but not published. */
static size_t ps_group(char *out, size_t cap, bool sep, const ps_port *p, int first, int last) {
  char range[16];
  if (last < 0)
    snprintf(range, sizeof(range), "%d", p->pub);
  else if (first == last)
    snprintf(range, sizeof(range), "%d", first);
  else
    snprintf(range, sizeof(range), "%d-%d", first, last);
  bool v6 = strchr(p->ip, ':') != NULL;
  if (p->ip[0] == '\0') /* exposed, not published */
    return ps_group_len(snprintf(out, cap, "%s%s/%s", sep ? ", " : "", range, p->type), cap);
  int n = last < 0 ? snprintf(out, cap, "%s%s%s%s:%s->%d/%s", sep ? ", " : "", v6 ? "[" : "", p->ip, v6 ? "]" : "",
                              range, p->priv, p->type)
                   : snprintf(out, cap, "%s%s%s%s:%s->%s/%s", sep ? ", " : "", v6 ? "[" : "", p->ip, v6 ? "]" : "",
                              range, range, p->type);
  return ps_group_len(n, cap);
}

/* A running container's exposed ports that nothing publishes, appended to ports as rows
 * without a host address or port: Docker lists them in ps ("80/tcp") and in inspect's
 * NetworkSettings.Ports (null), for containers on a network (a lease; not host, none or
 * container:, and ps's records carry no HostConfig to tell). */
static void add_exposed(hull_engine *e, const hull_ctr *c, json_t *ports) {
  json_t *exposed = json_object_get(c->config, "ExposedPorts");
  if (json_object_size(exposed) == 0 || (c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED))
    return;
  hull_err local = NULL;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT 1 FROM ip_leases WHERE container_id = ? LIMIT 1", &local);
  hull_error_release(&local); /* unreadable: shown as not on a network */
  if (st == NULL)
    return;
  sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return;
  const char *key;
  json_t *v, *row;
  size_t i;
  json_object_foreach(exposed, key, v) {
    char proto[8] = "tcp";
    int port = 0;
    if (sscanf(key, "%d/%7s", &port, proto) < 1 || port < 1 || port > 65535)
      continue;
    bool published = false;
    json_array_foreach(ports, i, row) {
      published = published || (json_integer_value(json_object_get(row, "ctr_port")) == port &&
                                strcmp(json_string_value(json_object_get(row, "proto")), proto) == 0);
    }
    if (!published)
      json_array_append_new(
          ports, json_pack("{s:s, s:s, s:i, s:i}", "proto", proto, "host_ip", "", "host_port", 0, "ctr_port", port));
  }
}

/* As the docker client's DisplayablePorts: ports published on the same number, and exposed
 * ones, are grouped into ranges per address and protocol, listed first in the order their
 * groups began; the others follow one by one in Docker's order. */
char *hull_ctr_ports_summary(hull_engine *e, const hull_ctr *c) {
  hull_err local = NULL;
  cleanup_json json_t *ports = hull_ctr_ports(e, c->id, &local);
  hull_error_release(&local); /* an unreadable table shows as no ports, as for a stopped container */
  if (ports)
    add_exposed(e, c, ports);
  size_t n = json_array_size(ports), i, len = 0;
  cleanup_free ps_port *pp = calloc(n + 1, sizeof(*pp));
  cleanup_free int *gfirst = calloc(n + 1, sizeof(int)), *glast = calloc(n + 1, sizeof(int));
  cleanup_free size_t *gport = calloc(n + 1, sizeof(size_t));
  char *out = calloc(1, n * 128 + 1);
  if (pp == NULL || gfirst == NULL || glast == NULL || gport == NULL || out == NULL)
    return out;
  json_t *v;
  json_array_foreach(ports, i, v) {
    pp[i] = (ps_port){(int)json_integer_value(json_object_get(v, "ctr_port")),
                      (int)json_integer_value(json_object_get(v, "host_port")),
                      json_string_value(json_object_get(v, "host_ip")), json_string_value(json_object_get(v, "proto"))};
  }
  qsort(pp, n, sizeof(*pp), ps_port_cmp);
  size_t ng = 0, cap = n * 128 + 1;
  for (i = 0; i < n; i++) {
    if (pp[i].ip[0] && pp[i].pub != pp[i].priv)
      continue;
    size_t g = 0;
    while (g < ng && (strcmp(pp[gport[g]].ip, pp[i].ip) != 0 || strcmp(pp[gport[g]].type, pp[i].type) != 0))
      g++;
    if (g == ng) {
      gport[ng] = i;
      gfirst[ng] = glast[ng] = pp[i].priv;
      ng++;
    } else if (pp[i].priv == glast[g] + 1) {
      glast[g] = pp[i].priv;
    } else {
      len += ps_group(out + len, cap - len, len > 0, &pp[gport[g]], gfirst[g], glast[g]);
      gfirst[g] = glast[g] = pp[i].priv;
    }
  }
  for (size_t g = 0; g < ng; g++)
    len += ps_group(out + len, cap - len, len > 0, &pp[gport[g]], gfirst[g], glast[g]);
  for (i = 0; i < n; i++)
    if (pp[i].ip[0] && pp[i].pub != pp[i].priv)
      len += ps_group(out + len, cap - len, len > 0, &pp[i], 0, -1);
  return out;
}

static int prefix_len(const char *prefix) {
  const char *slash = prefix ? strchr(prefix, '/') : NULL;
  return slash ? atoi(slash + 1) : 0;
}

/* Docker's DNSNames: the names the network's responder serves for the endpoint. */
static json_t *dns_names(const char *names) {
  json_t *out = json_array();
  cleanup_free char *copy = strdup(names ? names : "");
  char *save = NULL;
  for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save))
    json_array_append_new(out, json_string(w));
  return out;
}

json_t *hull_ctr_net_settings(hull_engine *e, const hull_ctr *c, hull_err *err) {
  cleanup_json json_t *ports = hull_ctr_ports(e, c->id, err);
  if (ports == NULL)
    return NULL;
  add_exposed(e, c, ports);
  json_t *pj = json_object(), *nets = json_object();
  size_t i;
  json_t *v;
  json_array_foreach(ports, i, v) {
    char key[32], hp[8];
    snprintf(key, sizeof(key), "%d/%s", (int)json_integer_value(json_object_get(v, "ctr_port")),
             json_string_value(json_object_get(v, "proto")));
    snprintf(hp, sizeof(hp), "%d", (int)json_integer_value(json_object_get(v, "host_port")));
    if (json_string_value(json_object_get(v, "host_ip"))[0] == '\0') {
      json_object_set_new(pj, key, json_null()); /* exposed only: Docker's "80/tcp": null */
      continue;
    }
    json_t *list = json_object_get(pj, key);
    if (list == NULL) {
      list = json_array();
      json_object_set_new(pj, key, list);
    }
    json_array_append_new(list, json_pack("{s:O, s:s}", "HostIp", json_object_get(v, "host_ip"), "HostPort", hp));
  }
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      e->store,
      "SELECT n.name, n.id, l.address, n.gateway, n.subnet, l.endpoint_id, l.names, (SELECT l6.address FROM "
      "ip_leases l6 WHERE l6.network_id = l.network_id AND l6.container_id = l.container_id AND l6.family = 10), "
      "n.gateway6, n.subnet6 FROM ip_leases l JOIN networks n ON n.id = l.network_id "
      "WHERE l.container_id = ? AND l.family = 2 AND NOT EXISTS (SELECT 1 FROM net_objects o WHERE o.kind = 'veth' "
      "AND o.container_id = l.container_id AND o.network_id = l.network_id AND o.data LIKE 'dying:%') ORDER BY n.name",
      err);
  if (st == NULL) {
    json_decref(pj);
    json_decref(nets);
    return NULL;
  }
  sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
  const char *first_ip = "", *first_gw = "";
  int first_len = 0;
  json_t *aliases = json_object_get(json_object_get(c->host_config, "NetworkingConfig"), "Aliases");
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    int len = prefix_len((const char *)sqlite3_column_text(st, 4));
    const char *ip6 = (const char *)sqlite3_column_text(st, 7);
    const char *gw6 = (const char *)sqlite3_column_text(st, 8);
    char mac[18];
    hull_endpoint_mac((const char *)sqlite3_column_text(st, 2), mac);
    bool user = strcmp(name, HULL_DEFAULT_NETWORK) != 0;
    json_t *ep = json_pack(
        "{s:O, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:o}", "Aliases", aliases && user ? aliases : json_null(),
        "NetworkID", (const char *)sqlite3_column_text(st, 1), "EndpointID", (const char *)sqlite3_column_text(st, 5),
        "IPAddress", (const char *)sqlite3_column_text(st, 2), "Gateway", (const char *)sqlite3_column_text(st, 3),
        "IPPrefixLen", len, "MacAddress", mac, "IPv6Gateway", ip6 && gw6 ? gw6 : "", "GlobalIPv6Address",
        ip6 ? ip6 : "", "GlobalIPv6PrefixLen", ip6 ? prefix_len((const char *)sqlite3_column_text(st, 9)) : 0,
        "DNSNames", user ? dns_names((const char *)sqlite3_column_text(st, 6)) : json_null());
    json_object_set_new(nets, name, ep);
    if (!*first_ip) {
      first_ip = json_string_value(json_object_get(ep, "IPAddress"));
      first_gw = json_string_value(json_object_get(ep, "Gateway"));
      first_len = len;
    }
  }
  const char *mode = net_mode(c);
  if (json_object_size(nets) == 0 && (strcmp(mode, "none") == 0 || strcmp(mode, "host") == 0))
    json_object_set_new(nets, mode, json_pack("{s:s, s:s}", "IPAddress", "", "Gateway", ""));
  cleanup_free char *sandbox = hull_ctr_netns_path(e, c);
  json_t *out = json_pack("{s:o, s:s, s:s, s:s, s:i, s:o}", "Ports", pj, "SandboxKey",
                          sandbox && access(sandbox, F_OK) == 0 ? sandbox : "", "IPAddress", first_ip, "Gateway",
                          first_gw, "IPPrefixLen", first_len, "Networks", nets);
  if (out == NULL)
    hull_error(err, ENOMEM, "inspect %s", c->name);
  return out;
}

/* Interfaces are eth0, eth1, ...: the first name free in the container's namespace. A count
 * of its networks named one still there after a disconnect of an earlier network (connect
 * A, connect B, disconnect A, connect C asked for eth1 again: "File exists"). */
static int next_ifname(const char *netns_path, char out[16], hull_err *err) {
  cleanup_nl hull_nl *nl = NULL;
  if (hull_nl_open(netns_path, &nl, err) < 0)
    return -1;
  for (int k = 0; k < 1024; k++) {
    snprintf(out, 16, "eth%d", k);
    int index = hull_nl_ifindex(nl, out, err);
    if (index <= 0)
      return index;
  }
  return hull_error(err, ENOSPC, "no free interface name in %s", netns_path);
}

/* The running container's /etc/hosts after a connect: its new addresses with its hostname
 * and the connect's aliases, as Docker adds them. */
static int ctr_hosts_update(hull_engine *e, const hull_ctr *c, const hull_endpoint *ep, const char *const *aliases,
                            hull_err *err) {
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL);
  cleanup_close int dfd = dir ? open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC) : -1;
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir ? dir : "container directory");
  const char *hn = json_string_value(json_object_get(c->config, "Hostname"));
  char names[1024];
  size_t k = (size_t)snprintf(names, sizeof(names), "%.*s", hn && *hn ? 255 : 12, hn && *hn ? hn : c->id);
  for (const char *const *a = aliases; a && *a && k < sizeof(names); a++)
    k += (size_t)snprintf(names + k, sizeof(names) - k, " %s", *a);
  if (hull_hosts_update(dfd, &ep->ip, names, err) < 0)
    return -1;
  return ep->ip6.family ? hull_hosts_update(dfd, &ep->ip6, names, err) : 0;
}

/* The container's addresses on network n (at most one per family), before it leaves. */
static int leased_addrs(hull_engine *e, const hull_network *n, const char *id, hull_ip out[2], size_t *count,
                        hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT address FROM ip_leases WHERE network_id = ? AND container_id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  *count = 0;
  while (*count < 2 && sqlite3_step(st) == SQLITE_ROW) {
    if (hull_ip_parse((const char *)sqlite3_column_text(st, 0), &out[*count], "lease", err) < 0)
      return -1;
    (*count)++;
  }
  return 0;
}

int hull_ctr_net_connect(hull_engine *e, hull_ctr *c, const char *network, const char *ip_s, const char *ip6_s,
                         const char *const *aliases, hull_err *err) {
  hull_ctr_refresh(e, c);
  cleanup_free char *path = own_path(e, c->id);
  if (path == NULL)
    return hull_error(err, ENOMEM, "connect");
  if ((c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED) || !on_network(net_mode(c)) ||
      access(path, F_OK) < 0)
    return hull_error_code(err, EINVAL,
                           "container %s is not running on a network of its own (connect needs a running container "
                           "started with a bridge or user network)",
                           c->name);
  cleanup_network hull_network *n = NULL;
  bool is_default = strcmp(network, "bridge") == 0 || strcmp(network, HULL_DEFAULT_NETWORK) == 0;
  /* The default network serves no names: an alias there would be silently dropped. */
  if (is_default && aliases && aliases[0])
    return hull_error_code(err, EINVAL,
                           "network-scoped alias is supported only for containers in user defined networks");
  if (is_default && (ip_s || ip6_s))
    return hull_error_code(err, EINVAL, "user specified IP address is supported on user defined networks only");
  if ((is_default ? hull_network_default(e->store, &n, err) : hull_network_lookup(e->store, network, &n, err)) < 0)
    return -1;
  if (hull_network_ensure_up(e->store, n, err) < 0)
    return -1;
  hull_ip ip, ip6;
  if ((ip_s && hull_ip_parse(ip_s, &ip, "--ip", err) < 0) || (ip6_s && hull_ip_parse(ip6_s, &ip6, "--ip6", err) < 0))
    return -1;
  if (ip6_s && !n->has_v6)
    return hull_error_code(err, EINVAL, "network %s has no IPv6 subnet for --ip6 %s", n->name, ip6_s);
  cleanup_free char *names = hull_net_dns_names(c->name, aliases, c->id);
  if (names == NULL)
    return hull_error(err, ENOMEM, "connect");
  char ifname[16];
  if (next_ifname(path, ifname, err) < 0)
    return -1;
  /* Its --dns servers answer its other names on this network too, as on its first. */
  cleanup_free const char **dns = strv_of(json_object_get(c->host_config, "Dns"));
  if (dns == NULL)
    return hull_error(err, ENOMEM, "connect");
  hull_endpoint_opts eo = {.ctr_id = c->id,
                           .netns_path = path,
                           .ifname = ifname,
                           .ip = ip_s ? &ip : NULL,
                           .ip6 = ip6_s ? &ip6 : NULL,
                           .names = names,
                           .runroot = is_default ? NULL : e->runroot,
                           .dns = dns};
  hull_endpoint ep;
  if (hull_network_connect(e->store, n, &eo, &ep, err) < 0)
    return -1;
  if (ctr_hosts_update(e, c, &ep, aliases, err) == 0)
    return 0;
  hull_err local = NULL;
  if (hull_network_disconnect(e->store, n, c->id, &local) < 0)
    hull_error_release(&local); /* the hosts error is the one to report; gc and rm retry */
  return -1;
}

int hull_ctr_net_disconnect(hull_engine *e, hull_ctr *c, const char *network, hull_err *err) {
  cleanup_network hull_network *n = NULL;
  if (hull_network_lookup(e->store, strcmp(network, "bridge") == 0 ? HULL_DEFAULT_NETWORK : network, &n, err) < 0)
    return -1;
  hull_ip addrs[2];
  size_t count = 0;
  if (leased_addrs(e, n, c->id, addrs, &count, err) < 0)
    return -1;
  /* As Docker: a network the container is not on is an error, not a silent success. */
  if (count == 0)
    return hull_error_code(err, ENOTCONN, "container %s is not connected to network %s", c->name, n->name);
  if (hull_network_disconnect(e->store, n, c->id, err) < 0)
    return -1;
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL);
  cleanup_close int dfd = dir ? open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC) : -1;
  /* A stopped container's hosts file is written anew at its next start. */
  if (dfd < 0 && errno == ENOENT)
    return 0;
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir ? dir : "container directory");
  for (size_t i = 0; i < count; i++)
    if (hull_hosts_update(dfd, &addrs[i], NULL, err) < 0)
      return -1;
  return 0;
}
