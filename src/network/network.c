#include "network/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "network/dns.h"
#include "network/fastpath.h"
#include "network/netlink.h"
#include "network/netns.h"
#include "network/proxy.h"

/* ---- object records ---- */

static int record_object(hull_store *s, const char *kind, const char *name, const char *ctr_id, const char *net_id,
                         const char *data, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s, "INSERT OR REPLACE INTO net_objects (kind, name, container_id, network_id, data) VALUES (?, ?, ?, ?, ?)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, data, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record network object", err);
  return 0;
}

static int forget_object(hull_store *s, const char *kind, const char *name, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "DELETE FROM net_objects WHERE kind = ? AND name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "forget network object", err);
  return 0;
}

/* Removes one recorded object from the host, then its row. */
static int remove_object(hull_store *s, const char *kind, const char *name, const char *data, hull_err *err) {
  if (strcmp(kind, "veth") == 0 || strcmp(kind, "bridge") == 0) {
    cleanup_nl hull_nl *nl = NULL;
    if (hull_nl_open(NULL, &nl, err) < 0 || hull_nl_link_del(nl, name, err) < 0)
      return -1;
  } else if (strcmp(kind, "nft-ctr") == 0) {
    if (hull_nat_ports_remove(name, err) < 0)
      return -1;
  } else if (strcmp(kind, "nft-net") == 0) {
    if (hull_nat_network_remove(name, data[0] ? data : NULL, err) < 0)
      return -1;
  } else if (strcmp(kind, "netns") == 0) {
    if (hull_netns_remove(name, err) < 0)
      return -1;
  } else if (strcmp(kind, "dns") == 0) {
    if (data[0] && hull_dns_stop(data, err) < 0)
      return -1;
  } else if (strcmp(kind, "proxy") == 0) {
    if (hull_proxy_stop(name, err) < 0)
      return -1;
  }
  return forget_object(s, kind, name, err);
}

/* The mark of a veth left to die with its namespace (see "veths left to die" below). */
#define DYING "dying:"

static int reap_dying(hull_store *s, const char *ctr_id, const char *net_id, bool force, unsigned *reaped,
                      hull_err *err) HULL_WUR;

/* ---- networks ---- */

int hull_network_up(hull_store *s, const hull_network *n, hull_err *err) {
  if (record_object(s, "bridge", n->bridge, NULL, n->id, NULL, err) < 0 ||
      record_object(s, "nft-net", n->id, NULL, n->id, n->bridge, err) < 0)
    return -1;
  cleanup_nl hull_nl *nl = NULL;
  if (hull_nl_open(NULL, &nl, err) < 0 || hull_nl_bridge_ensure(nl, n->bridge, n->mtu, err) < 0 ||
      hull_nl_addr_add(nl, n->bridge, &n->gateway, n->subnet.len, err) < 0)
    return -1;
  if (n->has_v6 && hull_nl_addr_add(nl, n->bridge, &n->gateway6, n->subnet6.len, err) < 0)
    return -1;
  if (hull_nl_link_set(nl, n->bridge, NULL, n->mtu, true, err) < 0)
    return -1;
  return hull_nat_network_add(n, err);
}

static int host_uses(const hull_prefix *p, bool *used, void *ud, hull_err *err) {
  return hull_nl_route_overlaps(ud, p, used, err);
}

int hull_network_create(hull_store *s, const hull_network_opts *o, hull_network **out, hull_err *err) {
  cleanup_network hull_network *n = NULL;
  cleanup_nl hull_nl *nl = NULL;
  hull_network_opts with_routes = *o;
  if (o->subnet == NULL) {
    if (hull_nl_open(NULL, &nl, err) < 0)
      return -1;
    with_routes.host_uses = host_uses;
    with_routes.host_uses_ud = nl;
  }
  if (hull_network_record_create(s, &with_routes, &n, err) < 0)
    return -1;
  if ((o->no_fastpath && hull_fastpath_disable(s, n, err) < 0) || hull_network_up(s, n, err) < 0) {
    hull_err local = NULL;
    if (hull_network_remove(s, n, &local) < 0) {
      hull_warn("undo network %s: %s", n->name, local->msg);
      hull_error_release(&local); /* the first error is the one to report; gc retries */
    }
    return hull_error_wrap(err, "create network %s", o->name);
  }
  *out = steal_pointer(&n);
  return 0;
}

int hull_network_default(hull_store *s, hull_network **out, hull_err *err) {
  hull_err local = NULL;
  if (hull_network_lookup(s, HULL_DEFAULT_NETWORK, out, &local) == 0)
    return 0;
  if (local->errno_ != ENOENT) {
    *err = local;
    return -1;
  }
  hull_error_release(&local);
  hull_network_opts o = {.name = HULL_DEFAULT_NETWORK, .subnet = HULL_DEFAULT_SUBNET};
  if (hull_network_create(s, &o, out, &local) == 0)
    return 0;
  /* Another command created it at the same time. */
  if (local->errno_ == EEXIST) {
    hull_error_release(&local);
    return hull_network_lookup(s, HULL_DEFAULT_NETWORK, out, err);
  }
  *err = local;
  return -1;
}

/* The objects the query selects (kind, name, data): a NULL-terminated list of triples. */
static int list_objects(hull_store *s, const char *sql, const char *key, const char *key2, char ***out, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, sql, err);
  if (st == NULL)
    return -1;
  if (key)
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (key2)
    sqlite3_bind_text(st, 2, key2, -1, SQLITE_STATIC);
  size_t n = 0;
  char **v = calloc(1, sizeof(*v));
  int rc;
  while (v && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    char **nv = realloc(v, (n + 4) * sizeof(*v));
    if (nv == NULL)
      break;
    v = nv;
    const char *data = (const char *)sqlite3_column_text(st, 2);
    v[n] = strdup((const char *)sqlite3_column_text(st, 0));
    v[n + 1] = strdup((const char *)sqlite3_column_text(st, 1));
    v[n + 2] = strdup(data ? data : "");
    v[n + 3] = NULL;
    if (v[n] == NULL || v[n + 1] == NULL || v[n + 2] == NULL)
      break;
    n += 3;
  }
  if (v == NULL || rc == SQLITE_ROW) {
    cleanup_strv char **dead = v;
    return hull_error(err, ENOMEM, "list network objects");
  }
  if (rc != SQLITE_DONE) {
    cleanup_strv char **dead = v;
    return hull_store_sqlerr(s, "list network objects", err);
  }
  *out = v;
  return 0;
}

static int remove_objects(hull_store *s, char **kv, hull_err *err) {
  for (char **p = kv; p[0] && p[1] && p[2]; p += 3)
    if (remove_object(s, p[0], p[1], p[2], err) < 0)
      return -1;
  return 0;
}

int hull_network_remove(hull_store *s, const hull_network *n, hull_err *err) {
  unsigned reclaimed;
  /* A removed container's dying veth is no endpoint: deleted now (not on a run's path). */
  if (reap_dying(s, NULL, n->id, true, NULL, err) < 0 || hull_ipam_reclaim(s, &reclaimed, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *q = hull_store_prepare(s, "SELECT container_id FROM ip_leases WHERE network_id = ?", err);
  if (q == NULL)
    return -1;
  sqlite3_bind_text(q, 1, n->id, -1, SQLITE_STATIC);
  if (sqlite3_step(q) == SQLITE_ROW) {
    int r = hull_error_code(err, EBUSY,
                            "error while removing network: network %s id %s has active endpoints (container %.12s)",
                            n->name, n->id, (const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    return r;
  }
  sqlite3_reset(q);
  cleanup_strv char **objs = NULL;
  /* The bridge last: the rules name it. */
  if (list_objects(s, "SELECT kind, name, data FROM net_objects WHERE network_id = ? ORDER BY kind = 'bridge', kind",
                   n->id, NULL, &objs, err) < 0 ||
      remove_objects(s, objs, err) < 0)
    return -1;
  return hull_network_record_remove(s, n, err);
}

/* ---- host ports ---- */

/* True when nothing on the host listens on the port now (Docker's userland proxy would hold
 * it; with NAT alone a listener of the host's own would silently lose its traffic). */
static bool port_bindable(const hull_port *p, uint16_t port) {
  int fam = p->host_ip.family == AF_INET6 ? AF_INET6 : AF_INET;
  int fd = socket(fam, (p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return true;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int r;
  if (fam == AF_INET) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (p->host_ip.family)
      memcpy(&sa.sin_addr, p->host_ip.b, 4);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
  } else {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    memcpy(&sa.sin6_addr, p->host_ip.b, 16);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
  }
  int e = errno;
  close(fd);
  return r == 0 || e != EADDRINUSE;
}

/* True when another container has the port (same protocol; equal or wildcard address:
 * '' is every address, 0.0.0.0 every IPv4 one, :: every IPv6 one, as their DNAT rules). */
static int port_taken(hull_store *s, const char *ctr_id, const hull_port *p, uint16_t port, bool *taken,
                      hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT 1 FROM port_maps WHERE proto = ?1 AND host_port = ?2 AND container_id <> ?3 AND "
                         "(host_ip = ?4 OR host_ip = '' OR ?4 = '' OR ((host_ip = '0.0.0.0' OR ?4 = '0.0.0.0') "
                         "AND instr(host_ip, ':') = 0 AND instr(?4, ':') = 0) OR ((host_ip = '::' OR ?4 = '::') "
                         "AND instr(host_ip, ':') > 0 AND instr(?4, ':') > 0)) LIMIT 1",
                         err);
  if (st == NULL)
    return -1;
  char hip[HULL_IP_STRLEN] = "";
  if (p->host_ip.family)
    hull_ip_format(&p->host_ip, hip);
  sqlite3_bind_text(st, 1, p->proto == IPPROTO_UDP ? "udp" : "tcp", -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, port);
  sqlite3_bind_text(st, 3, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, hip, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "look up ports", err);
  *taken = rc == SQLITE_ROW;
  return 0;
}

static int reserve_port(hull_store *s, const char *ctr_id, const hull_ip *ctr_ip, hull_port *p, hull_err *err) {
  char hip[HULL_IP_STRLEN] = "0.0.0.0";
  if (p->host_ip.family)
    hull_ip_format(&p->host_ip, hip);
  bool taken = false;
  if (p->host_port == 0) {
    /* A random start in Docker's range, then the next free one. */
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), 0) < 0)
      r = (uint32_t)getpid();
    for (unsigned i = 0; i < 16384 && p->host_port == 0; i++) {
      uint16_t port = (uint16_t)(49153 + (r + i) % 16383);
      if (port_taken(s, ctr_id, p, port, &taken, err) < 0)
        return -1;
      if (!taken && port_bindable(p, port))
        p->host_port = port;
    }
    if (p->host_port == 0)
      return hull_error_code(err, EADDRINUSE, "no free host port for %s:%u", hip, p->ctr_port);
  } else {
    if (port_taken(s, ctr_id, p, p->host_port, &taken, err) < 0)
      return -1;
    if (taken || !port_bindable(p, p->host_port))
      return hull_error_code(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated", hip, p->host_port);
  }
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "INSERT OR REPLACE INTO port_maps (container_id, proto, host_ip, host_port, ctr_ip, ctr_port) VALUES "
      "(?, ?, ?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  char cip[HULL_IP_STRLEN];
  hull_ip_format(ctr_ip, cip);
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->proto == IPPROTO_UDP ? "udp" : "tcp", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, p->host_ip.family ? hip : "", -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, p->host_port);
  sqlite3_bind_text(st, 5, cip, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, p->ctr_port);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record port", err);
  return 0;
}

/* Refuses a second endpoint of a container on one network before anything is made: the
 * connect would lease the container's own address again, fail on its veth, and its undo
 * would then tear down the endpoint that was there (its veth, lease, ports and rules). A veth
 * left to die (the container's previous run) is no endpoint. Docker's wording. */
static int endpoint_exists(hull_store *s, const hull_network *n, const hull_endpoint_opts *o, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT 1 FROM net_objects WHERE kind = 'veth' AND container_id = ? "
                         "AND network_id = ? AND (data IS NULL OR data NOT LIKE '" DYING "%')",
                         err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, o->ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, n->id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    /* The container's name is the first of its names, when it has any. */
    const char *name = o->names && o->names[0] ? o->names : o->ctr_id;
    return hull_error_code(err, EEXIST, "endpoint with name %.*s already exists in network %s", (int)strcspn(name, " "),
                           name, n->name);
  }
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "find the container's endpoint", err);
  return 0;
}

/* The ports and the records of the objects about to be made: one transaction. -2 (nothing
 * recorded) when a concurrent connect of the container to n recorded its veth first: the
 * endpoint and the lease are that connect's, and undoing anything would tear them down. */
static int reserve(hull_store *s, const hull_network *n, const hull_endpoint_opts *o, const hull_endpoint *ep,
                   hull_err *err) {
  if (hull_store_begin(s, err) < 0)
    return -1;
  if (endpoint_exists(s, n, o, err) < 0) {
    hull_store_rollback(s);
    return (*err)->errno_ == EEXIST ? -2 : -1;
  }
  for (size_t i = 0; i < o->n_ports; i++)
    if (reserve_port(s, o->ctr_id, &ep->ip, &o->ports[i], err) < 0)
      goto fail;
  if (record_object(s, "veth", ep->veth, o->ctr_id, n->id, NULL, err) < 0)
    goto fail;
  if (o->n_ports && record_object(s, "nft-ctr", o->ctr_id, o->ctr_id, n->id, NULL, err) < 0)
    goto fail;
  bool proxy = false;
  for (size_t i = 0; i < o->n_ports; i++)
    proxy = proxy || hull_proxy_wants(&o->ports[i]);
  if (proxy && record_object(s, "proxy", o->ctr_id, o->ctr_id, n->id, NULL, err) < 0)
    goto fail;
  return hull_store_commit(s, err);
fail:
  hull_store_rollback(s);
  return -1;
}

/* ---- endpoints ---- */

void hull_endpoint_mac(const char *ip, char out[18]) {
  struct in_addr a;
  out[0] = '\0';
  if (ip && inet_pton(AF_INET, ip, &a) == 1) {
    const uint8_t *b = (const uint8_t *)&a;
    snprintf(out, 18, "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
  }
}

static int wire(const hull_network *n, const hull_endpoint_opts *o, const hull_endpoint *ep, hull_err *err) {
  const char *ifname = o->ifname ? o->ifname : "eth0";
  cleanup_nl hull_nl *own_nl = NULL;
  cleanup_nl hull_nl *own_cnl = NULL;
  /* The MAC follows from the address, as Docker's (02:42 and the IPv4 address): a
   * container that gets an address another one had moments ago is reachable at once,
   * where a new random MAC stayed unreachable from neighbours whose ARP cache still held
   * the old one (the engine's tests saw it: 100% loss to a container started right after
   * one was removed). */
  uint8_t mac[6] = {0x02, 0x42, ep->ip.b[0], ep->ip.b[1], ep->ip.b[2], ep->ip.b[3]};
  hull_nl_iface_addr addrs[2] = {{.ip = &ep->ip, .len = n->subnet.len, .gw = &n->gateway},
                                 {.ip = &ep->ip6, .len = n->subnet6.len, .gw = &n->gateway6}};
  hull_nl *nl = o->host_nl, *cnl = o->ctr_nl;
  if ((nl == NULL && hull_nl_open(NULL, &own_nl, err) < 0) ||
      hull_nl_veth_attach(nl ? nl : own_nl, ep->veth, ifname, o->netns_path, n->mtu, mac, n->bridge,
                          nl ? o->bridge_index : 0, err) < 0 ||
      (cnl == NULL && hull_nl_open(o->netns_path, &own_cnl, err) < 0) ||
      hull_nl_iface_setup(cnl ? cnl : own_cnl, ifname, addrs, ep->ip6.family ? 2 : 1, err) < 0)
    return -1;
  const hull_ip *ip6 = ep->ip6.family ? &ep->ip6 : NULL;
  if (o->n_ports && (hull_nat_ports_add(o->ctr_id, &ep->ip, ip6, o->ports, o->n_ports, err) < 0 ||
                     hull_proxy_start(o->ctr_id, &ep->ip, ip6, o->ports, o->n_ports, err) < 0))
    return -1;
  return 0;
}

/* The default network has no name resolution, as Docker's default bridge; user networks
 * serve their containers' names (the responder is started on first use). */
static int names(hull_store *s, const hull_network *n, const hull_endpoint_opts *o, const hull_endpoint *ep,
                 hull_err *err) {
  if (o->runroot == NULL || strcmp(n->name, HULL_DEFAULT_NETWORK) == 0)
    return 0;
  if (o->names && o->names[0] && hull_dns_set_names(s, n, o->ctr_id, o->names, err) < 0)
    return -1;
  if (hull_dns_ensure(s, n, o->runroot, o->host_resolv, err) < 0)
    return -1;
  /* Written or removed at every connect: the address's previous holder's --dns must not
   * outlive it. */
  return hull_dns_set_upstream(n, o->runroot, &ep->ip, o->dns, err);
}

/* The container holding want on the network through a veth left to die (caller frees),
 * NULL when nobody or a live container holds it. */
static int dying_holder(hull_store *s, const hull_network *n, const hull_ip *want, char **holder, hull_err *err) {
  char a[HULL_IP_STRLEN];
  hull_ip_format(want, a);
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT l.container_id FROM ip_leases l JOIN net_objects o ON o.kind = 'veth' AND "
                         "o.container_id = l.container_id AND o.network_id = l.network_id AND o.data LIKE '" DYING
                         "%' WHERE l.network_id = ? AND l.address = ? LIMIT 1",
                         err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
  *holder = NULL;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && (*holder = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
    return hull_error(err, ENOMEM, "lease %s", a);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "find the holder of an address", err);
  return 0;
}

/* Leases an address; one held only by the lease of a veth left to die (a container just
 * removed, whose waiter has not released it yet), or a pool full of such leases, is taken
 * over: those veths are deleted now, on this path only, and the lease taken again. A
 * container that is gone never makes "address already in use" (podman#15708). */
static int lease(hull_store *s, const hull_network *n, const char *ctr_id, int family, const hull_ip *want,
                 hull_ip *out, hull_err *err) {
  hull_err first = NULL;
  if (hull_ipam_allocate(s, n, ctr_id, family, want, out, &first) == 0)
    return 0;
  unsigned reaped = 0;
  cleanup_free char *holder = NULL;
  int r = 0;
  if (first->errno_ == EADDRINUSE && want)
    r = dying_holder(s, n, want, &holder, err);
  if (r == 0 && ((first->errno_ == EADDRINUSE && holder) || (first->errno_ == ENOSPC && want == NULL)))
    r = reap_dying(s, holder, n->id, true, &reaped, err);
  if (r < 0 || reaped == 0) {
    if (r == 0)
      *err = steal_pointer(&first);
    hull_error_release(&first);
    return -1;
  }
  hull_error_release(&first);
  hull_debug("network %s: %u dying veths deleted for a new lease", n->name, reaped);
  return hull_ipam_allocate(s, n, ctr_id, family, want, out, err);
}

/* The same-network fast path (fastpath.h) for the endpoint, once its veth is wired. */
static int fastpath(hull_store *s, const hull_network *n, const hull_endpoint_opts *o, const hull_endpoint *ep,
                    hull_err *err) {
  uint8_t mac[6] = {0x02, 0x42, ep->ip.b[0], ep->ip.b[1], ep->ip.b[2], ep->ip.b[3]};
  return ep->ip.family == AF_INET ? hull_fastpath_add(s, n, o->host_nl, ep->veth, mac, err) : 0;
}

int hull_network_connect(hull_store *s, const hull_network *n, const hull_endpoint_opts *o, hull_endpoint *out,
                         hull_err *err) {
  hull_endpoint ep = {0};
  if (endpoint_exists(s, n, o, err) < 0)
    return -1;
  snprintf(ep.veth, sizeof(ep.veth), "hv%.8s%.5s", o->ctr_id, n->id);
  if (lease(s, n, o->ctr_id, AF_INET, o->ip, &ep.ip, err) < 0)
    return hull_error_wrap(err, "connect %.12s to network %s", o->ctr_id, n->name);
  int r = n->has_v6 ? lease(s, n, o->ctr_id, AF_INET6, o->ip6, &ep.ip6, err) : 0;
  if (r == 0)
    r = reserve(s, n, o, &ep, err);
  if (r == -2)
    return -1;
  if (r < 0 || wire(n, o, &ep, err) < 0 || fastpath(s, n, o, &ep, err) < 0 || names(s, n, o, &ep, err) < 0) {
    hull_err local = NULL;
    if (hull_network_disconnect(s, n, o->ctr_id, &local) < 0) {
      hull_warn("undo connect %.12s to %s: %s", o->ctr_id, n->name, local->msg);
      hull_error_release(&local); /* the first error is the one to report; gc retries */
    }
    return hull_error_wrap(err, "connect %.12s to network %s", o->ctr_id, n->name);
  }
  *out = ep;
  return 0;
}

/* The port rows of ctr_id's addresses on net_id (all of its rows when net_id is NULL). A
 * port belongs to the network whose address it forwards to: the disconnect of a second
 * network must keep the rows of the first, or another container gets the same host port and
 * a second DNAT rule for it (podman#27516). Runs before the leases are released. */
static int forget_ports(hull_store *s, const char *ctr_id, const char *net_id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "DELETE FROM port_maps WHERE container_id = ?1 AND (?2 IS NULL OR ctr_ip IN "
                         "(SELECT address FROM ip_leases WHERE container_id = ?1 AND network_id = ?2))",
                         err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, net_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "release ports", err);
  return 0;
}

/* The responders of the network (NULL: of every network) stop serving names that left. */
static int refresh_names(hull_store *s, const hull_network *only, hull_err *err) {
  if (only)
    return hull_dns_refresh(s, only, err);
  hull_network **all = NULL;
  if (hull_network_list(s, &all, NULL, err) < 0)
    return -1;
  int r = 0;
  for (hull_network **p = all; *p && r == 0; p++)
    r = hull_dns_refresh(s, *p, err);
  hull_network_list_free(all);
  return r;
}

/* ---- veths left to die with their namespace ---- */

/* Deleting a bridged veth (RTM_DELLINK) waits in the caller for RCU grace periods, 3-28 ms
 * here; unmounting the last reference to the container's namespace lets the kernel's
 * cleanup_net worker destroy the pair asynchronously instead. Such a veth's row stays,
 * marked "dying:<time>", and with it the container's lease on that network: the address
 * is free only once the pair is gone. A veth still there DYING_GRACE_S seconds later was
 * kept alive by something that still holds the namespace (nsenter, a process of a
 * container that shared it): the waiter below (or gc) deletes it by name then. */
#define DYING_GRACE_S 5

static int mark_dying(hull_store *s, const char *name, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "UPDATE net_objects SET data = ? WHERE kind = 'veth' AND name = ?", err);
  if (st == NULL)
    return -1;
  char data[32];
  snprintf(data, sizeof(data), DYING "%lld", (long long)time(NULL));
  sqlite3_bind_text(st, 1, data, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "mark veth dying", err);
  return 0;
}

/* The gone veth's container's leases on its network, then its row. */
static int release_veth(hull_store *s, const char *name, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "DELETE FROM ip_leases WHERE (container_id, network_id) IN (SELECT "
                         "container_id, network_id FROM net_objects WHERE kind = 'veth' "
                         "AND name = ?)",
                         err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "release the lease of a veth", err);
  return hull_fastpath_prune(s, err) < 0 ? -1 : forget_object(s, "veth", name, err);
}

/* The dying veths of a container (NULL: any) on a network (NULL: any) that are gone now are
 * forgotten and their leases released; force (or the grace period over) deletes the ones
 * still there. *reaped counts the forgotten ones. */
static int reap_dying(hull_store *s, const char *ctr_id, const char *net_id, bool force, unsigned *reaped,
                      hull_err *err) {
  cleanup_strv char **objs = NULL;
  if (list_objects(s,
                   "SELECT kind, name, data FROM net_objects WHERE kind = 'veth' AND data LIKE '" DYING "%' AND (?1 "
                   "IS NULL OR container_id = ?1) AND (?2 IS NULL OR network_id = ?2)",
                   ctr_id, net_id, &objs, err) < 0)
    return -1;
  cleanup_nl hull_nl *nl = NULL;
  long long now = (long long)time(NULL);
  for (char **p = objs; p[0] && p[1] && p[2]; p += 3) {
    if (nl == NULL && hull_nl_open(NULL, &nl, err) < 0)
      return -1;
    int index = hull_nl_ifindex(nl, p[1], err);
    if (index < 0)
      return -1;
    bool overdue = force || now - atoll(p[2] + strlen(DYING)) >= DYING_GRACE_S;
    if (index > 0 && !overdue)
      continue;
    if (index > 0 && hull_nl_link_del(nl, p[1], err) < 0)
      return -1;
    if (release_veth(s, p[1], err) < 0)
      return -1;
    if (reaped)
      (*reaped)++;
  }
  return 0;
}

int hull_network_reap(hull_store *s, const char *ctr_id, hull_err *err) {
  return reap_dying(s, ctr_id, NULL, true, NULL, err);
}

/* ---- the waiter a teardown leaves ---- */

/* The hull binary next to the running one (hull itself, or a test helper in the same
 * build directory); HULL_BIN overrides. */
static int hull_binary(char *out, size_t len) {
  const char *env = getenv("HULL_BIN");
  if (env && env[0]) {
    snprintf(out, len, "%s", env);
    return access(out, X_OK);
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0)
    return -1;
  self[n] = '\0';
  snprintf(out, len, "%s/hull", dirname(self));
  return access(out, X_OK);
}

/* One waiter serves a store at a time, and lingers SETTLE_LINGER_MS after its last dying
 * veth is gone: a teardown that finds it alive starts none, so a loop of `run --rm` starts
 * one waiter, not one a run (each cost the tearing-down command a vfork until its exec,
 * and the next command a whole process's CPU, its store open and its WAL sync beside it:
 * bench/README.md, "Session 8"). The waiter holds an exclusive flock on this file in the
 * store for as long as it serves it. */
#define SETTLE_LOCK "settle.lock"
#define SETTLE_LINGER_MS 2000
#define SETTLE_BATCH_MS 100

/* True when a waiter holds the store's settle lock. */
static bool waiter_alive(hull_store *s) {
  cleanup_close int fd = openat(s->rootfd, SETTLE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  /* Taken here, the lock goes with the close: nobody held it. */
  return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* Makes sure a waiter (`hull --root ROOT network settle`, detached: its own session, stdio
 * on /dev/null, no inherited fd) will release the leases of the veths just left to die as
 * soon as the kernel has destroyed them, so that no later command is needed for it. Called
 * after their rows are marked: a waiter that is about to leave looks at the rows once more
 * after dropping its lock, in a write transaction, which waits for this one (see
 * hull_network_settle). A posix_spawn (vfork and exec): nothing of SQLite runs in a forked
 * copy of this process. Best effort: a waiter that fails to start (or dies) leaves the
 * release to the next teardown's waiter or to gc. */
static void spawn_settle(hull_store *s, const char *ctr_id, size_t n) {
  char bin[PATH_MAX];
  if (n == 0 || waiter_alive(s))
    return;
  if (hull_binary(bin, sizeof(bin)) < 0) {
    hull_debug("no veth waiter for %.12s: gc releases its leases", ctr_id);
    return;
  }
  char *argv[] = {"hull", "--root", s->root, "network", "settle", NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, 0, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int r = posix_spawn(&pid, bin, &fa, &at, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (r != 0)
    hull_debug("veth waiter %s for %.12s: %s (gc releases its leases)", bin, ctr_id, strerror(r));
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A link notification that a veth of hull's is gone (RTM_DELLINK of an "hv" name). */
static int deleted_cb(const struct nlmsghdr *nlh, void *data) {
  if (nlh->nlmsg_type != RTM_DELLINK)
    return MNL_CB_OK;
  struct nlattr *a;
  mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
    if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_STRING) >= 0 &&
        strncmp(mnl_attr_get_str(a), "hv", 2) == 0)
      *(bool *)data = true;
  }
  return MNL_CB_OK;
}

/* Reads the pending notifications; true when one said a veth of hull's went. */
static bool drain(int mon) {
  char buf[16384];
  bool gone = false;
  ssize_t n;
  while ((n = recv(mon, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == ENOBUFS))
    if (n < 0)
      gone = true; /* notifications were lost: look anyway */
    else
      mnl_cb_run(buf, (size_t)n, 0, 0, deleted_cb, &gone);
  return gone;
}

/* One look at the store's dying veths in a write transaction: those gone are forgotten and
 * their leases released, those overdue deleted (*reaped counts both); *left counts the
 * ones still dying. */
static int settle_pass(hull_store *s, unsigned *left, unsigned *reaped, hull_err *err) {
  if (hull_store_begin(s, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *st = NULL;
  *reaped = 0;
  if (reap_dying(s, NULL, NULL, false, reaped, err) < 0 ||
      (st = hull_store_prepare(s, "SELECT count(*) FROM net_objects WHERE kind = 'veth' AND data LIKE '" DYING "%'",
                               err)) == NULL) {
    hull_store_rollback(s);
    return -1;
  }
  *left = sqlite3_step(st) == SQLITE_ROW ? (unsigned)sqlite3_column_int(st, 0) : 0;
  return hull_store_commit(s, err);
}

int hull_network_settle(const char *root, hull_err *err) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/hull.db", root);
  /* A store removed meanwhile (a test's cleanup) is not made again. */
  if (access(path, F_OK) < 0)
    return 0;
  snprintf(path, sizeof(path), "%s/" SETTLE_LOCK, root);
  cleanup_close int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock < 0)
    return hull_error_sys(err, "open %s", path);
  if (flock(lock, LOCK_EX | LOCK_NB) < 0)
    return 0; /* another waiter serves the store */
  /* Subscribed before the first look, so that no deletion falls between the two. */
  cleanup_close int mon = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
  if (mon < 0 || bind(mon, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    return hull_error_sys(err, "subscribe to link notifications");
  /* No store lock, no collection of leftovers, and no WAL sync at close: a release lost to
   * a crash is made again by the next waiter or gc, as the veth is gone. The connection
   * stays open while the waiter serves the store. */
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(root, HULL_STORE_READ, &s, err) < 0)
    return -1;
  /* The passes are at least SETTLE_BATCH_MS apart: in a loop of `run --rm` one pass
   * releases the veths of several runs, and the next command's write transactions meet
   * this waiter's (and SQLite's busy handler sleeps a millisecond at least) less often. */
  long long idle_since = now_ms(), last = 0;
  bool pending = true;
  unsigned left = 0, reaped = 0;
  for (;;) {
    snprintf(path, sizeof(path), "%s/hull.db", root);
    if (access(path, F_OK) < 0)
      break;
    long long now = now_ms();
    if (pending && now - last >= SETTLE_BATCH_MS) {
      if (settle_pass(s, &left, &reaped, err) < 0)
        return -1;
      s->wrote = false;
      last = now;
      pending = false;
      /* The lingering counts from the last veth seen dying, not from the start. */
      if (left || reaped)
        idle_since = now;
    }
    if (!pending && left == 0 && now - idle_since >= SETTLE_LINGER_MS) {
      /* Leaving: the lock first, then one more look (after a teardown that saw the lock
       * held and so started no waiter: its write transaction is before this one). */
      flock(lock, LOCK_UN);
      if (settle_pass(s, &left, &reaped, err) < 0)
        return -1;
      s->wrote = false;
      if (left == 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
        break; /* done, or a new waiter took over */
      idle_since = now_ms();
    }
    /* While veths are dying, a look every second at least (the grace period of one that
     * a namespace holder keeps alive); else until the lingering is over. */
    long long wait = pending ? last + SETTLE_BATCH_MS - now : left ? 1000 : SETTLE_LINGER_MS - (now - idle_since);
    struct pollfd pfd = {.fd = mon, .events = POLLIN};
    int r = poll(&pfd, 1, wait > 0 ? (int)wait : 0);
    if ((r > 0 && drain(mon)) || (r == 0 && left))
      pending = true;
  }
  return 0;
}

/* The container's veths after its namespace's unmount (had_netns): left to die with it,
 * see above, and a waiter started that releases their leases once they are gone. Without
 * a namespace of this pass (a second teardown, or one that lost its namespace record) a
 * veth not yet dying is deleted as before. */
static int veths_down(hull_store *s, const char *ctr_id, bool had_netns, hull_err *err) {
  cleanup_strv char **objs = NULL;
  if (list_objects(s, "SELECT kind, name, data FROM net_objects WHERE container_id = ?1 AND kind = 'veth'", ctr_id,
                   NULL, &objs, err) < 0)
    return -1;
  size_t n = 0;
  for (char **p = objs; p[0] && p[1] && p[2]; p += 3) {
    if (hull_str_has_prefix(p[2], DYING))
      continue;
    if ((had_netns ? mark_dying(s, p[1], err) : remove_object(s, p[0], p[1], p[2], err)) < 0)
      return -1;
    n += had_netns;
  }
  /* The waiter releases these and any older dying veths once they are gone: no look at
   * them here, on the teardown's path. */
  spawn_settle(s, ctr_id, n);
  return 0;
}

int hull_network_disconnect(hull_store *s, const hull_network *n, const char *ctr_id, hull_err *err) {
  cleanup_strv char **objs = NULL;
  /* Rules first (they point at the address), then links; the leases and port rows only
   * once nothing uses them any more. A whole teardown (n NULL) leaves the veths to die with
   * the namespace; a disconnect of one network deletes its veth (the namespace lives on). */
  if (list_objects(
          s,
          "SELECT kind, name, data FROM net_objects WHERE container_id = ?1 AND (?2 IS NULL OR network_id = ?2) "
          "AND (?2 IS NOT NULL OR kind <> 'veth') ORDER BY kind <> 'nft-ctr'",
          ctr_id, n ? n->id : NULL, &objs, err) < 0)
    return -1;
  bool had_netns = false;
  for (char **p = objs; p[0] && p[1] && p[2]; p += 3)
    had_netns = had_netns || strcmp(p[0], "netns") == 0;
  /* The fast path's entries before anything else: while the lease is held no other
   * container has this MAC, and the veth the entries point at still exists (docs/security.md). */
  if (hull_fastpath_forget(s, n ? n->id : NULL, ctr_id, err) < 0 || remove_objects(s, objs, err) < 0 ||
      (n == NULL && veths_down(s, ctr_id, had_netns, err) < 0) || forget_ports(s, ctr_id, n ? n->id : NULL, err) < 0 ||
      hull_ipam_release(s, n ? n->id : NULL, ctr_id, err) < 0 || hull_fastpath_prune(s, err) < 0)
    return -1;
  return refresh_names(s, n, err);
}

int hull_network_gc(hull_store *s, unsigned *removed, hull_err *err) {
  unsigned count = 0;
  cleanup_strv char **objs = NULL;
  /* Dying veths (see above) are reaped once gone or overdue, not deleted on sight: this
   * runs at every `hull run`, right after the previous container's teardown. While a
   * waiter serves the store they are its: no netlink look-ups and no release here. */
  if (hull_fastpath_forget(s, NULL, NULL, err) < 0 ||
      (!waiter_alive(s) && reap_dying(s, NULL, NULL, false, &count, err) < 0) ||
      list_objects(s,
                   "SELECT kind, name, data FROM net_objects WHERE container_id IS NOT NULL AND container_id NOT IN "
                   "(SELECT id FROM containers) AND NOT (kind = 'veth' AND coalesce(data, '') LIKE '" DYING
                   "%') ORDER BY kind <> 'nft-ctr'",
                   NULL, NULL, &objs, err) < 0 ||
      remove_objects(s, objs, err) < 0)
    return -1;
  for (char **p = objs; p[0] && p[1] && p[2]; p += 3)
    count++;
  /* Only what this store recorded: rules in the shared table without a record here may
   * belong to another --root's containers, which must not be touched. */
  unsigned leases = 0;
  if (hull_store_exec(s, "DELETE FROM port_maps WHERE container_id NOT IN (SELECT id FROM containers)", "gc ports",
                      err) < 0)
    return -1;
  count += (unsigned)sqlite3_changes(s->db);
  if (hull_ipam_reclaim(s, &leases, err) < 0 || (count + leases > 0 && refresh_names(s, NULL, err) < 0) ||
      hull_dns_revive(s, err) < 0)
    return -1;
  if (removed)
    *removed = count + leases;
  return 0;
}

int hull_network_in_use(hull_store *s, const hull_network *n, bool *in_use, hull_err *err) {
  unsigned reclaimed;
  if (reap_dying(s, NULL, n->id, true, NULL, err) < 0 || hull_ipam_reclaim(s, &reclaimed, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *q = hull_store_prepare(s, "SELECT 1 FROM ip_leases WHERE network_id = ? LIMIT 1", err);
  if (q == NULL)
    return -1;
  sqlite3_bind_text(q, 1, n->id, -1, SQLITE_STATIC);
  *in_use = sqlite3_step(q) == SQLITE_ROW;
  return 0;
}

/* Whether the prune's filter selects n (its labels are kept as a JSON text). */
static bool prune_selects(const hull_prune_filter *f, const hull_network *n) {
  if (f == NULL)
    return true;
  if (!hull_prune_until_match(f, n->created * 1000000000))
    return false;
  cleanup_json json_t *labels = n->labels ? json_loads(n->labels, 0, NULL) : NULL;
  return hull_prune_labels_match(f, labels);
}

int hull_network_prune(hull_store *s, const hull_prune_filter *f, char ***deleted, hull_err *err) {
  unsigned gone = 0;
  hull_network **all = NULL;
  /* What crashed containers left goes first, so that their networks count as unused. */
  if (hull_network_gc(s, &gone, err) < 0 || hull_network_list(s, &all, NULL, err) < 0)
    return -1;
  size_t n = 0, k = 0;
  while (all[n])
    n++;
  cleanup_strv char **names = calloc(n + 1, sizeof(*names));
  int rc = names ? 0 : hull_error(err, ENOMEM, "prune networks");
  for (hull_network **p = all; rc == 0 && *p; p++) {
    bool used = false;
    /* The default network is the engine's, never the user's to lose (Docker keeps bridge). */
    if (strcmp((*p)->name, HULL_DEFAULT_NETWORK) == 0 || !prune_selects(f, *p))
      continue;
    if ((rc = hull_network_in_use(s, *p, &used, err)) < 0 || used)
      continue;
    if ((rc = hull_network_remove(s, *p, err)) < 0)
      break;
    if ((names[k++] = strdup((*p)->name)) == NULL)
      rc = hull_error(err, ENOMEM, "prune networks");
  }
  hull_network_list_free(all);
  /* What was removed before an error is reported too: it is gone either way. */
  *deleted = steal_pointer(&names);
  return rc;
}

static json_t *ipam_config(const hull_network *n) {
  char sn[HULL_PREFIX_STRLEN], gw[HULL_IP_STRLEN];
  hull_prefix_format(&n->subnet, sn);
  hull_ip_format(&n->gateway, gw);
  json_t *v4 = json_pack("{s:s, s:s}", "Subnet", sn, "Gateway", gw);
  if (hull_ip_cmp(&n->range.ip, &n->subnet.ip) != 0 || n->range.len != n->subnet.len) {
    char rg[HULL_PREFIX_STRLEN];
    hull_prefix_format(&n->range, rg);
    json_object_set_new(v4, "IPRange", json_string(rg));
  }
  json_t *a = json_pack("[o]", v4);
  if (n->has_v6) {
    hull_prefix_format(&n->subnet6, sn);
    hull_ip_format(&n->gateway6, gw);
    json_array_append_new(a, json_pack("{s:s, s:s}", "Subnet", sn, "Gateway", gw));
  }
  return a;
}

/* The network's endpoints: container id -> {Name, IPv4Address, IPv6Address}. */
static int endpoints(hull_store *s, const hull_network *n, json_t *out, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "SELECT l.container_id, l.address, l.family, c.name, l.endpoint_id FROM ip_leases l LEFT JOIN containers c ON "
      "c.id = "
      "l.container_id WHERE l.network_id = ? AND NOT EXISTS (SELECT 1 FROM net_objects o WHERE o.kind = 'veth' AND "
      "o.container_id = l.container_id AND o.network_id = l.network_id AND o.data LIKE '" DYING "%') ORDER BY 1, 3",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *name = (const char *)sqlite3_column_text(st, 3);
    json_t *ep = json_object_get(out, id);
    if (ep == NULL) {
      const char *eid = (const char *)sqlite3_column_text(st, 4);
      ep = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", name ? name : "", "EndpointID", eid ? eid : "", "MacAddress",
                     "", "IPv4Address", "", "IPv6Address", "");
      json_object_set_new(out, id, ep);
    }
    char addr[HULL_PREFIX_STRLEN];
    bool v6 = sqlite3_column_int(st, 2) == AF_INET6;
    snprintf(addr, sizeof(addr), "%s/%d", (const char *)sqlite3_column_text(st, 1),
             v6 ? n->subnet6.len : n->subnet.len);
    json_object_set_new(ep, v6 ? "IPv6Address" : "IPv4Address", json_string(addr));
    if (!v6) {
      char mac[18];
      hull_endpoint_mac((const char *)sqlite3_column_text(st, 1), mac);
      json_object_set_new(ep, "MacAddress", json_string(mac));
    }
  }
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "list endpoints", err);
  return 0;
}

json_t *hull_network_inspect(hull_store *s, const hull_network *n, hull_err *err) {
  char created[64];
  time_t t = (time_t)n->created;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S.000000000Z", &tm);
  json_error_t je;
  json_t *labels = json_loads(n->labels, 0, &je);
  json_t *options = json_pack("{s:s}", "com.docker.network.bridge.name", n->bridge);
  if (n->mtu)
    json_object_set_new(options, "com.docker.network.driver.mtu", json_sprintf("%u", n->mtu));
  cleanup_json json_t *o =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:{}, s:o}, s:b, s:b, s:b, s:{s:s}, s:b, s:{}, s:o, s:o}",
                "Name", n->name, "Id", n->id, "Created", created, "Scope", "local", "Driver", n->driver, "EnableIPv6",
                n->has_v6, "IPAM", "Driver", "default", "Options", "Config", ipam_config(n), "Internal", n->internal,
                "Attachable", false, "Ingress", false, "ConfigFrom", "Network", "", "ConfigOnly", false, "Containers",
                "Options", options, "Labels", labels ? labels : json_object());
  if (o == NULL) {
    hull_error(err, ENOMEM, "inspect network %s", n->name);
    return NULL;
  }
  json_t *fp = hull_fastpath_inspect(s, n, err);
  if (fp == NULL || json_object_set_new(o, "HullFastPath", fp) < 0 ||
      endpoints(s, n, json_object_get(o, "Containers"), err) < 0)
    return NULL;
  return steal_pointer(&o);
}
