/* Network records and address leases in the engine's SQLite database (src/image/store.c
 * holds the schema). Every change is one transaction (BEGIN IMMEDIATE): two commands never
 * hand out the same address, whatever runs in parallel. A lease names its container's row
 * in `containers`; the row must exist when the lease is taken, and a lease whose row is gone
 * is reclaimed (hull_ipam_reclaim), so an address is never held by a container that no
 * longer exists (podman#15708). */
#ifndef HULL_NETWORK_IPAM_H
#define HULL_NETWORK_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/store.h"
#include "network/addr.h"

#define HULL_DEFAULT_NETWORK "hull"
#define HULL_DEFAULT_BRIDGE "hull0"
/* Not Docker's 172.17/16 nor Podman's 10.88/16: hull runs beside both. */
#define HULL_DEFAULT_SUBNET "10.66.0.0/16"

typedef struct hull_network {
  char id[65];
  char *name;
  char *driver; /* "bridge" */
  char bridge[16];
  hull_prefix subnet;
  hull_ip gateway;
  hull_prefix range; /* addresses handed out; the subnet unless --ip-range */
  bool has_v6;
  hull_prefix subnet6;
  hull_ip gateway6;
  bool internal;
  unsigned mtu;    /* 0: the kernel's default */
  char *labels;    /* a JSON object */
  int64_t created; /* seconds since the epoch */
} hull_network;

void hull_network_free(hull_network *n);
static inline void hull_network_freep(hull_network **n) {
  if (*n)
    hull_network_free(*n);
}
#define cleanup_network __attribute__((cleanup(hull_network_freep)))

/* What `network create` was given; NULL strings are unset. */
typedef struct hull_network_opts {
  const char *name;
  const char *subnet, *gateway, *ip_range; /* IPv4 */
  const char *subnet6, *gateway6;
  bool internal;
  unsigned mtu;
  bool no_fastpath;   /* -o hull.fastpath=false: the bridge carries same-network traffic too */
  const char *labels; /* JSON object text, NULL for {} */
  const char *bridge; /* NULL: derived from the id ("hull0" for the default network) */
  /* Without --subnet: says whether a candidate subnet is taken on the host (its routes);
   * NULL: only other networks count. */
  int (*host_uses)(const hull_prefix *p, bool *used, void *ud, hull_err *err);
  void *host_uses_ud;
} hull_network_opts;

/* Validates and records a network (the bridge is made by the caller, see network.h):
 * subnets must not overlap another network's, must have room for a gateway and an address,
 * the gateway and range must lie inside. Without --subnet the first 10.67.N.0/24 that no
 * network and no route of the host uses. */
int hull_network_record_create(hull_store *s, const hull_network_opts *o, hull_network **out, hull_err *err) HULL_WUR;
/* By name, full id or unique id prefix; ENOENT when there is none. */
int hull_network_lookup(hull_store *s, const char *name_or_id, hull_network **out, hull_err *err) HULL_WUR;
/* Every network, by name; *out is NULL-terminated. */
int hull_network_list(hull_store *s, hull_network ***out, size_t *n, hull_err *err) HULL_WUR;
void hull_network_list_free(hull_network **v);
/* Removes the row; EBUSY while a lease on it exists (the caller reclaims first). */
int hull_network_record_remove(hull_store *s, const hull_network *n, hull_err *err) HULL_WUR;

/* Leases an address of family (AF_INET / AF_INET6) on net for ctr_id: want if given
 * (EADDRINUSE when taken, EINVAL when outside the range or reserved), else the lowest free
 * one. A container that already holds one gets it again (a retried step is harmless). */
int hull_ipam_allocate(hull_store *s, const hull_network *net, const char *ctr_id, int family, const hull_ip *want,
                       hull_ip *out, hull_err *err) HULL_WUR;
/* Releases ctr_id's leases on net_id (NULL: on every network). */
int hull_ipam_release(hull_store *s, const char *net_id, const char *ctr_id, hull_err *err) HULL_WUR;
/* Releases every lease whose container row no longer exists; *n counts them. */
int hull_ipam_reclaim(hull_store *s, unsigned *n, hull_err *err) HULL_WUR;

#endif
