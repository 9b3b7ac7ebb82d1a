/* The bridge driver: what `hull run`, `rm`, `network create/rm/prune` and `system prune`
 * call. Every object hull makes on the host (bridge, veth, nft chain, DNS responder) is
 * recorded in net_objects before it is made and its row removed after it is gone; address
 * leases and published ports are rows too. hull_network_gc removes exactly the objects,
 * leases and ports of containers whose row no longer exists, whatever step a crash
 * interrupted, and nothing that is not hull's. */
#ifndef HULL_NETWORK_NETWORK_H
#define HULL_NETWORK_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "image/prune-filter.h"
#include "image/store.h"
#include "network/addr.h"
#include "network/ipam.h"
#include "network/nat.h"

/* Records the network, then makes its bridge (addresses, MTU, up) and NAT chains. The
 * default network (HULL_DEFAULT_NETWORK) is made on first use by hull_network_default. */
int hull_network_create(hull_store *s, const hull_network_opts *o, hull_network **out, hull_err *err) HULL_WUR;
/* The default network "hull" (bridge hull0, HULL_DEFAULT_SUBNET), created when missing. */
int hull_network_default(hull_store *s, hull_network **out, hull_err *err) HULL_WUR;
/* Makes the network's bridge and rules again if they are gone (after a reboot or crash). */
int hull_network_up(hull_store *s, const hull_network *n, hull_err *err) HULL_WUR;
/* Removes the bridge, rules, DNS responder and the record; EBUSY while in use. */
int hull_network_remove(hull_store *s, const hull_network *n, hull_err *err) HULL_WUR;

typedef struct hull_endpoint_opts {
  const char *ctr_id;     /* the container's row must exist */
  const char *netns_path; /* the container's network namespace (nsfs file) */
  const char *ifname;     /* in the container; NULL: eth0 */
  const hull_ip *ip;      /* --ip, NULL: any free one */
  const hull_ip *ip6;     /* --ip6 */
  hull_port *ports;       /* -p; a host port of 0 is given a free one (written back) */
  size_t n_ports;
  const char *names;       /* the container's name and aliases (space-separated) for the DNS responder */
  const char *runroot;     /* the engine's --runroot: user networks get a DNS responder; NULL: none */
  const char *host_resolv; /* the resolvers the responder forwards to; NULL: /etc/resolv.conf */
  /* Netlink sockets the caller has open already (borrowed; NULL: connect opens its own):
   * in the host's namespace, with the bridge's index when known (0: looked up), and in the
   * container's (hull_netns_create_nl's). */
  struct hull_nl *host_nl;
  int bridge_index;
  struct hull_nl *ctr_nl;
  const char *const *dns; /* --dns: where the responder forwards this container's queries instead */
} hull_endpoint_opts;

typedef struct hull_endpoint {
  char veth[16];
  hull_ip ip, ip6; /* ip6.family is 0 without an IPv6 subnet */
} hull_endpoint;

/* The MAC address of the container's interface with IPv4 address ip ("02:42:" and the
 * address, as Docker's), as inspect shows it; "" for anything but an IPv4 address. */
void hull_endpoint_mac(const char *ip, char out[18]);

/* Leases, reserves the host ports, makes the veth pair (peer ifname inside netns_path),
 * addresses, routes and DNAT rules. On failure everything made is undone. */
int hull_network_connect(hull_store *s, const hull_network *n, const hull_endpoint_opts *o, hull_endpoint *out,
                         hull_err *err) HULL_WUR;
/* Undoes connect for the container on the network (NULL: on every network). Idempotent. */
int hull_network_disconnect(hull_store *s, const hull_network *n, const char *ctr_id, hull_err *err) HULL_WUR;
/* Deletes the container's veths that a teardown left to die with its namespace and that
 * are still there, and releases their leases: a new start needs their names. */
int hull_network_reap(hull_store *s, const char *ctr_id, hull_err *err) HULL_WUR;
/* The waiter a container's teardown starts (`hull network settle`, not listed in the help)
 * unless one serves the store already: releases the leases of the veths left to die with
 * their namespace as soon as each is gone, deletes those still there after the 5 s a dying
 * veth is given, and leaves 2 s after the last one went (network.c, "the waiter"). */
int hull_network_settle(const char *root, hull_err *err) HULL_WUR;
/* Removes what is left of containers whose row is gone: their recorded objects (veths, nft
 * chains, namespaces), leases and port rows; never anything this store did not record (a
 * second --root on the same host shares the nft table). *removed counts them. */
int hull_network_gc(hull_store *s, unsigned *removed, hull_err *err) HULL_WUR;

/* `network prune` and `system prune`: collects what crashed containers left (gc), then
 * removes every network but the default one that no container holds an address on and
 * that the filter selects (labels, until; f may be NULL: every one).
 * *deleted gets the removed networks' names (NULL-terminated; also on error, with what was
 * removed before it; caller frees). */
int hull_network_prune(hull_store *s, const hull_prune_filter *f, char ***deleted, hull_err *err) HULL_WUR;

/* `network inspect`'s object, as Docker's (Containers from the leases). */
json_t *hull_network_inspect(hull_store *s, const hull_network *n, hull_err *err);
/* True when a container holds a lease on the network (after leases of gone containers are
 * reclaimed). */
int hull_network_in_use(hull_store *s, const hull_network *n, bool *in_use, hull_err *err) HULL_WUR;

#endif
