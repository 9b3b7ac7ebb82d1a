#include "network/ipam.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/cleanup.h"

void hull_network_free(hull_network *n) {
  if (n == NULL)
    return;
  free(n->name);
  free(n->driver);
  free(n->labels);
  free(n);
}

void hull_network_list_free(hull_network **v) {
  if (v == NULL)
    return;
  for (hull_network **p = v; *p; p++)
    hull_network_free(*p);
  free(v);
}

static const char *col_text(sqlite3_stmt *st, int i) {
  const char *t = (const char *)sqlite3_column_text(st, i);
  return t ? t : "";
}

#define NETWORK_COLS                                                                                                   \
  "id, name, driver, bridge, subnet, gateway, ip_range, subnet6, gateway6, internal, mtu, labels, created"

/* Builds a network from a row of NETWORK_COLS; the texts were validated when written. */
static hull_network *network_from_row(sqlite3_stmt *st, hull_err *err) {
  cleanup_network hull_network *n = calloc(1, sizeof(*n));
  if (n == NULL || (n->name = strdup(col_text(st, 1))) == NULL || (n->driver = strdup(col_text(st, 2))) == NULL ||
      (n->labels = strdup(col_text(st, 11))) == NULL) {
    hull_error(err, ENOMEM, "read network");
    return NULL;
  }
  snprintf(n->id, sizeof(n->id), "%s", col_text(st, 0));
  snprintf(n->bridge, sizeof(n->bridge), "%s", col_text(st, 3));
  if (hull_prefix_parse(col_text(st, 4), &n->subnet, false, "subnet", err) < 0 ||
      hull_ip_parse(col_text(st, 5), &n->gateway, "gateway", err) < 0 ||
      hull_prefix_parse(col_text(st, 6), &n->range, false, "ip range", err) < 0)
    return NULL;
  if (col_text(st, 7)[0]) {
    n->has_v6 = true;
    if (hull_prefix_parse(col_text(st, 7), &n->subnet6, false, "subnet", err) < 0 ||
        hull_ip_parse(col_text(st, 8), &n->gateway6, "gateway", err) < 0)
      return NULL;
  }
  n->internal = sqlite3_column_int(st, 9) != 0;
  n->mtu = (unsigned)sqlite3_column_int(st, 10);
  n->created = sqlite3_column_int64(st, 12);
  return steal_pointer(&n);
}

int hull_network_list(hull_store *s, hull_network ***out, size_t *count, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT " NETWORK_COLS " FROM networks ORDER BY name", err);
  if (st == NULL)
    return -1;
  hull_network **v = calloc(1, sizeof(*v));
  size_t n = 0;
  int rc;
  while (v && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    hull_network **nv = realloc(v, (n + 2) * sizeof(*v));
    if (nv == NULL)
      break;
    v = nv;
    if ((v[n] = network_from_row(st, err)) == NULL) {
      hull_network_list_free(v);
      return -1;
    }
    v[++n] = NULL;
  }
  if (v == NULL || rc == SQLITE_ROW) {
    hull_network_list_free(v);
    return hull_error(err, ENOMEM, "list networks");
  }
  if (rc != SQLITE_DONE) {
    hull_network_list_free(v);
    return hull_store_sqlerr(s, "list networks", err);
  }
  *out = v;
  if (count)
    *count = n;
  return 0;
}

int hull_network_lookup(hull_store *s, const char *name_or_id, hull_network **out, hull_err *err) {
  /* A name first (Docker's order), then the full id, then a unique id prefix. */
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT " NETWORK_COLS " FROM networks WHERE name = ?1 UNION ALL SELECT " NETWORK_COLS
                         " FROM networks WHERE name <> ?1 AND substr(id, 1, length(?1)) = ?1 LIMIT 2",
                         err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name_or_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE || name_or_id[0] == '\0')
    return hull_error_code(err, ENOENT, "network %s not found", name_or_id);
  if (rc != SQLITE_ROW)
    return hull_store_sqlerr(s, "look up network", err);
  cleanup_network hull_network *n = network_from_row(st, err);
  if (n == NULL)
    return -1;
  if (strcmp(n->name, name_or_id) != 0 && sqlite3_step(st) == SQLITE_ROW)
    return hull_error_code(err, EINVAL, "network %s is ambiguous (%s and more)", name_or_id, n->name);
  *out = steal_pointer(&n);
  return 0;
}

/* Checks the subnet against every network recorded (in the caller's transaction). */
static int check_overlap(hull_store *s, const hull_prefix *p, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT name, subnet, subnet6 FROM networks", err);
  if (st == NULL)
    return -1;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int c = 1; c <= 2; c++) {
      hull_prefix other;
      hull_err local = NULL;
      if (!col_text(st, c)[0] || hull_prefix_parse(col_text(st, c), &other, false, "subnet", &local) < 0) {
        hull_error_release(&local); /* an unparsable row cannot overlap anything */
        continue;
      }
      if (hull_prefix_overlaps(p, &other)) {
        char a[HULL_PREFIX_STRLEN], b[HULL_PREFIX_STRLEN];
        hull_prefix_format(p, a);
        hull_prefix_format(&other, b);
        return hull_error_code(err, EEXIST,
                               "invalid pool request: Pool overlaps with other one on this address space (%s "
                               "overlaps %s of network %s)",
                               a, b, col_text(st, 0));
      }
    }
  }
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "list networks", err);
  return 0;
}

/* The first 10.67.N.0/24 that overlaps no network and no route of the host (Docker skips
 * its pools' subnets that a route covers; Podman's and Docker's own defaults, 10.88/16,
 * 10.89/16 and 172.17/16, are avoided so that they can run beside hull). */
static int pick_subnet(hull_store *s, const hull_network_opts *o, hull_prefix *out, hull_err *err) {
  for (int i = 0; i < 256; i++) {
    char buf[32];
    snprintf(buf, sizeof(buf), "10.67.%d.0/24", i);
    if (hull_prefix_parse(buf, out, false, "subnet", err) < 0)
      return -1;
    hull_err local = NULL;
    if (check_overlap(s, out, &local) < 0) {
      if (local->errno_ != EEXIST) {
        *err = local;
        return -1;
      }
      hull_error_release(&local); /* another network has it: the next one */
      continue;
    }
    bool used = false;
    if (o->host_uses && o->host_uses(out, &used, o->host_uses_ud, err) < 0)
      return -1;
    if (!used)
      return 0;
  }
  return hull_error_code(err, ENOSPC, "no free subnet in 10.67.0.0/16 for a new network: give --subnet");
}

/* Subnet, gateway (default: the first address) and range of one family. */
static int check_family(hull_store *s, const hull_network_opts *o, const char *subnet, const char *gateway,
                        const char *range, hull_prefix *sn, hull_ip *gw, hull_prefix *rg, hull_err *err) {
  if (subnet) {
    if (hull_prefix_parse(subnet, sn, false, "subnet", err) < 0 || check_overlap(s, sn, err) < 0)
      return -1;
  } else if (pick_subnet(s, o, sn, err) < 0) {
    return -1;
  }
  /* Room for a network address, a gateway, one container and (IPv4) a broadcast address. */
  int bits = hull_ip_bits(&sn->ip) - sn->len;
  if (bits < 2) {
    char p[HULL_PREFIX_STRLEN];
    hull_prefix_format(sn, p);
    return hull_error_code(err, EINVAL, "subnet %s is too small: it has no room for a gateway and a container", p);
  }
  if (gateway) {
    if (hull_ip_parse(gateway, gw, "gateway", err) < 0)
      return -1;
    if (!hull_prefix_contains(sn, gw))
      return hull_error_code(err, EINVAL, "gateway %s is not in subnet %s", gateway, subnet ? subnet : "");
  } else {
    hull_ip first = hull_prefix_first(sn);
    *gw = hull_ip_add(&first, 1);
  }
  if (range) {
    if (hull_prefix_parse(range, rg, false, "ip-range", err) < 0)
      return -1;
    if (rg->ip.family != sn->ip.family || rg->len < sn->len || !hull_prefix_contains(sn, &rg->ip))
      return hull_error_code(err, EINVAL, "ip-range %s is not inside subnet %s", range, subnet ? subnet : "");
  } else {
    *rg = *sn;
  }
  return 0;
}

static int random_id(char out[65], hull_err *err) {
  unsigned char r[32];
  if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
    return hull_error_sys(err, "getrandom");
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", r[i]);
  return 0;
}

static int insert_network(hull_store *s, const hull_network_opts *o, hull_network *n, hull_err *err) {
  if (check_family(s, o, o->subnet, o->gateway, o->ip_range, &n->subnet, &n->gateway, &n->range, err) < 0)
    return -1;
  if (n->subnet.ip.family != AF_INET)
    return hull_error_code(err, EINVAL, "--subnet %s: the first subnet must be IPv4 (give IPv6 as a second --subnet)",
                           o->subnet);
  if (o->subnet6) {
    hull_prefix rg6;
    n->has_v6 = true;
    if (check_family(s, o, o->subnet6, o->gateway6, NULL, &n->subnet6, &n->gateway6, &rg6, err) < 0)
      return -1;
    if (n->subnet6.ip.family != AF_INET6)
      return hull_error_code(err, EINVAL, "subnet %s is not IPv6", o->subnet6);
  }
  char sn[HULL_PREFIX_STRLEN], gw[HULL_IP_STRLEN], rg[HULL_PREFIX_STRLEN], sn6[HULL_PREFIX_STRLEN] = "",
                                                                           gw6[HULL_IP_STRLEN] = "";
  hull_prefix_format(&n->subnet, sn);
  hull_ip_format(&n->gateway, gw);
  hull_prefix_format(&n->range, rg);
  if (n->has_v6) {
    hull_prefix_format(&n->subnet6, sn6);
    hull_ip_format(&n->gateway6, gw6);
  }
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "INSERT INTO networks (" NETWORK_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, n->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, n->driver, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, n->bridge, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, sn, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, gw, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, rg, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, sn6, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, gw6, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 10, n->internal);
  sqlite3_bind_int(st, 11, (int)n->mtu);
  sqlite3_bind_text(st, 12, n->labels, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 13, n->created);
  if (sqlite3_step(st) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE ||
        sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
      return hull_error_code(err, EEXIST, "network with name %s already exists", n->name);
    return hull_store_sqlerr(s, "record network", err);
  }
  return 0;
}

int hull_network_record_create(hull_store *s, const hull_network_opts *o, hull_network **out, hull_err *err) {
  if (o->name == NULL || o->name[0] == '\0' ||
      strspn(o->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_.-") != strlen(o->name) ||
      o->name[0] == '.' || o->name[0] == '-')
    return hull_error_code(err, EINVAL, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                           o->name ? o->name : "");
  if (o->mtu && (o->mtu < 68 || o->mtu > 65535))
    return hull_error_code(err, EINVAL, "invalid mtu %u: must be between 68 and 65535", o->mtu);
  cleanup_network hull_network *n = calloc(1, sizeof(*n));
  if (n == NULL || (n->name = strdup(o->name)) == NULL || (n->driver = strdup("bridge")) == NULL ||
      (n->labels = strdup(o->labels ? o->labels : "{}")) == NULL)
    return hull_error(err, ENOMEM, "create network %s", o->name);
  if (random_id(n->id, err) < 0)
    return -1;
  n->internal = o->internal;
  n->mtu = o->mtu;
  n->created = (int64_t)time(NULL);
  if (o->bridge)
    snprintf(n->bridge, sizeof(n->bridge), "%s", o->bridge);
  else if (strcmp(o->name, HULL_DEFAULT_NETWORK) == 0)
    snprintf(n->bridge, sizeof(n->bridge), "%s", HULL_DEFAULT_BRIDGE);
  else
    snprintf(n->bridge, sizeof(n->bridge), "hb-%.12s", n->id);
  /* The overlap checks and the insert are one transaction: two creates in parallel cannot
   * both pass the check with overlapping subnets. */
  if (hull_store_begin(s, err) < 0)
    return -1;
  if (insert_network(s, o, n, err) < 0) {
    hull_store_rollback(s);
    return -1;
  }
  if (hull_store_commit(s, err) < 0)
    return -1;
  *out = steal_pointer(&n);
  return 0;
}

int hull_network_record_remove(hull_store *s, const hull_network *n, hull_err *err) {
  if (hull_store_begin(s, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *q = hull_store_prepare(s, "SELECT container_id FROM ip_leases WHERE network_id = ?", err);
  if (q == NULL) {
    hull_store_rollback(s);
    return -1;
  }
  sqlite3_bind_text(q, 1, n->id, -1, SQLITE_STATIC);
  if (sqlite3_step(q) == SQLITE_ROW) {
    int r = hull_error_code(err, EBUSY,
                            "error while removing network: network %s id %s has active endpoints "
                            "(container %.12s)",
                            n->name, n->id, col_text(q, 0));
    sqlite3_reset(q);
    hull_store_rollback(s);
    return r;
  }
  sqlite3_reset(q);
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "DELETE FROM networks WHERE id = ?", err);
  if (st == NULL) {
    hull_store_rollback(s);
    return -1;
  }
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) {
    hull_store_sqlerr(s, "remove network", err);
    hull_store_rollback(s);
    return -1;
  }
  return hull_store_commit(s, err);
}

static int cmp_ip(const void *a, const void *b) { return hull_ip_cmp(a, b); }

/* The addresses of family leased on the network, sorted. */
static int taken_addresses(hull_store *s, const char *net_id, int family, hull_ip **out, size_t *n, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT address FROM ip_leases WHERE network_id = ? AND family = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, family);
  cleanup_free hull_ip *v = NULL;
  size_t len = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (len == cap) {
      cap = cap ? cap * 2 : 64;
      hull_ip *nv = realloc(v, cap * sizeof(*v));
      if (nv == NULL)
        return hull_error(err, ENOMEM, "read leases");
      v = nv;
    }
    hull_err local = NULL;
    if (hull_ip_parse(col_text(st, 0), &v[len], "lease", &local) < 0) {
      hull_error_release(&local); /* never written by hull; it takes no address */
      continue;
    }
    len++;
  }
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "read leases", err);
  if (len)
    qsort(v, len, sizeof(*v), cmp_ip);
  *out = steal_pointer(&v);
  *n = len;
  return 0;
}

/* The first and last address that may be handed out: not the subnet's network address, not
 * IPv4's broadcast address. */
static void usable_bounds(const hull_prefix *subnet, const hull_prefix *range, hull_ip *lo, hull_ip *hi) {
  hull_ip net = hull_prefix_first(subnet), last = hull_prefix_last(subnet);
  *lo = hull_prefix_first(range);
  *hi = hull_prefix_last(range);
  if (hull_ip_cmp(lo, &net) == 0)
    *lo = hull_ip_add(lo, 1);
  if (subnet->ip.family == AF_INET && hull_ip_cmp(hi, &last) == 0)
    *hi = hull_ip_add(hi, -1);
}

static int check_wanted(const hull_network *net, int family, const hull_ip *want, hull_err *err) {
  const hull_prefix *sn = family == AF_INET ? &net->subnet : &net->subnet6;
  const hull_prefix *rg = family == AF_INET ? &net->range : &net->subnet6;
  const hull_ip *gw = family == AF_INET ? &net->gateway : &net->gateway6;
  hull_ip lo, hi;
  char a[HULL_IP_STRLEN], p[HULL_PREFIX_STRLEN];
  hull_ip_format(want, a);
  hull_prefix_format(rg, p);
  usable_bounds(sn, rg, &lo, &hi);
  if (want->family != family || hull_ip_cmp(want, &lo) < 0 || hull_ip_cmp(want, &hi) > 0)
    /* Docker's wording (moby's endpoint settings check), with where hull looked. */
    return hull_error_code(err, EINVAL, "no configured subnet or ip-range contain the IP address %s (%s of network %s)",
                           a, p, net->name);
  if (hull_ip_cmp(want, gw) == 0)
    return hull_error_code(err, EADDRINUSE, "address %s is the gateway of network %s", a, net->name);
  return 0;
}

/* Picks the lowest free address of the range (in the caller's transaction). */
static int pick_free(hull_store *s, const hull_network *net, int family, hull_ip *out, hull_err *err) {
  const hull_prefix *sn = family == AF_INET ? &net->subnet : &net->subnet6;
  const hull_prefix *rg = family == AF_INET ? &net->range : &net->subnet6;
  const hull_ip *gw = family == AF_INET ? &net->gateway : &net->gateway6;
  cleanup_free hull_ip *taken = NULL;
  size_t n = 0;
  if (taken_addresses(s, net->id, family, &taken, &n, err) < 0)
    return -1;
  hull_ip lo, hi;
  usable_bounds(sn, rg, &lo, &hi);
  size_t i = 0;
  for (hull_ip a = lo; hull_ip_cmp(&a, &hi) <= 0; a = hull_ip_add(&a, 1)) {
    while (i < n && hull_ip_cmp(&taken[i], &a) < 0)
      i++;
    if (hull_ip_cmp(&a, gw) != 0 && (i == n || hull_ip_cmp(&taken[i], &a) != 0)) {
      *out = a;
      return 0;
    }
    /* The last address of an IPv6 /0 wraps to the first: stop there. */
    if (hull_ip_cmp(&a, &hi) == 0)
      break;
  }
  char p[HULL_PREFIX_STRLEN];
  hull_prefix_format(rg, p);
  return hull_error_code(err, ENOSPC, "no available IP addresses on network %s (%s)", net->name, p);
}

static int allocate_locked(hull_store *s, const hull_network *net, const char *ctr_id, int family, const hull_ip *want,
                           hull_ip *out, hull_err *err) {
  cleanup_stmt sqlite3_stmt *c = hull_store_prepare(s, "SELECT 1 FROM containers WHERE id = ?", err);
  if (c == NULL)
    return -1;
  sqlite3_bind_text(c, 1, ctr_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(c);
  sqlite3_reset(c);
  if (rc != SQLITE_ROW)
    return hull_error_code(err, ENOENT, "lease an address on %s: no such container: %s", net->name, ctr_id);
  cleanup_stmt sqlite3_stmt *have = hull_store_prepare(
      s, "SELECT address FROM ip_leases WHERE network_id = ? AND container_id = ? AND family = ?", err);
  if (have == NULL)
    return -1;
  sqlite3_bind_text(have, 1, net->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(have, 2, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(have, 3, family);
  if (sqlite3_step(have) == SQLITE_ROW) {
    int r = hull_ip_parse(col_text(have, 0), out, "lease", err);
    sqlite3_reset(have);
    if (r == 0 && want && hull_ip_cmp(want, out) != 0) {
      char a[HULL_IP_STRLEN];
      hull_ip_format(out, a);
      return hull_error_code(err, EEXIST, "container %.12s already has address %s on network %s", ctr_id, a, net->name);
    }
    return r;
  }
  sqlite3_reset(have);
  if (want) {
    if (check_wanted(net, family, want, err) < 0)
      return -1;
    *out = *want;
  } else if (pick_free(s, net, family, out, err) < 0) {
    return -1;
  }
  char a[HULL_IP_STRLEN];
  hull_ip_format(out, a);
  cleanup_stmt sqlite3_stmt *ins = hull_store_prepare(
      s,
      "INSERT INTO ip_leases (network_id, address, family, container_id, endpoint_id) VALUES (?1, ?2, ?3, ?4, "
      "COALESCE((SELECT endpoint_id FROM ip_leases WHERE network_id = ?1 AND container_id = ?4 AND endpoint_id <> '' "
      "LIMIT 1), lower(hex(randomblob(32)))))",
      err);
  if (ins == NULL)
    return -1;
  sqlite3_bind_text(ins, 1, net->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(ins, 2, a, -1, SQLITE_STATIC);
  sqlite3_bind_int(ins, 3, family);
  sqlite3_bind_text(ins, 4, ctr_id, -1, SQLITE_STATIC);
  if (sqlite3_step(ins) != SQLITE_DONE) {
    if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT)
      return hull_error_code(err, EADDRINUSE, "address %s is already in use on network %s", a, net->name);
    return hull_store_sqlerr(s, "record lease", err);
  }
  return 0;
}

int hull_ipam_allocate(hull_store *s, const hull_network *net, const char *ctr_id, int family, const hull_ip *want,
                       hull_ip *out, hull_err *err) {
  if (family == AF_INET6 && !net->has_v6)
    return hull_error_code(err, EINVAL, "network %s has no IPv6 subnet", net->name);
  if (hull_store_begin(s, err) < 0)
    return -1;
  if (allocate_locked(s, net, ctr_id, family, want, out, err) < 0) {
    hull_store_rollback(s);
    return -1;
  }
  return hull_store_commit(s, err);
}

int hull_ipam_release(hull_store *s, const char *net_id, const char *ctr_id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "DELETE FROM ip_leases WHERE container_id = ?1 AND (?2 IS NULL OR network_id = ?2) AND "
                         "network_id NOT IN (SELECT network_id FROM net_objects WHERE kind = 'veth' AND "
                         "container_id = ?1 AND network_id IS NOT NULL AND data LIKE 'dying:%')",
                         err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  if (net_id)
    sqlite3_bind_text(st, 2, net_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "release leases", err);
  /* A lease kept for a veth that has yet to die (network.c) names nobody any more: the
   * DNS responders stop serving the container's names now. */
  cleanup_stmt sqlite3_stmt *un = hull_store_prepare(
      s, "UPDATE ip_leases SET names = '' WHERE container_id = ?1 AND (?2 IS NULL OR network_id = ?2)", err);
  if (un == NULL)
    return -1;
  sqlite3_bind_text(un, 1, ctr_id, -1, SQLITE_STATIC);
  if (net_id)
    sqlite3_bind_text(un, 2, net_id, -1, SQLITE_STATIC);
  if (sqlite3_step(un) != SQLITE_DONE)
    return hull_store_sqlerr(s, "release leases", err);
  return 0;
}

int hull_ipam_reclaim(hull_store *s, unsigned *n, hull_err *err) {
  /* Not the lease of a dying veth: it is released once the veth is gone (network.c). A
   * crashed container's ordinary leftovers are gc's, its lease is free at once as before. */
  if (hull_store_exec(s,
                      "DELETE FROM ip_leases WHERE container_id NOT IN (SELECT id FROM containers) AND NOT EXISTS "
                      "(SELECT 1 FROM net_objects o WHERE o.kind = 'veth' AND o.container_id = ip_leases.container_id "
                      "AND o.network_id = ip_leases.network_id AND o.data LIKE 'dying:%')",
                      "reclaim leases", err) < 0)
    return -1;
  if (n)
    *n = (unsigned)sqlite3_changes(s->db);
  return 0;
}
