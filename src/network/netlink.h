/* Links, addresses and routes over rtnetlink (libmnl), in the caller's network namespace or
 * in another one given by its nsfs path. The library never changes the namespaces of the
 * calling process: a socket for another namespace is opened by a short-lived thread that
 * joins it (a netlink socket stays bound to the namespace it was created in). */
#ifndef HULL_NETWORK_NETLINK_H
#define HULL_NETWORK_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "network/addr.h"

typedef struct hull_nl hull_nl;

/* netns_path: an nsfs file (/proc/PID/ns/net, a bind mount of one), or NULL for the
 * caller's own namespace. */
int hull_nl_open(const char *netns_path, hull_nl **out, hull_err *err) HULL_WUR;
/* A socket in the calling thread's namespace, named netns_path in errors: for a thread that
 * is in that namespace already (hull_netns_create's), which saves another thread's setns. */
int hull_nl_open_here(const char *netns_path, hull_nl **out, hull_err *err) HULL_WUR;
void hull_nl_close(hull_nl *nl);
static inline void hull_nl_closep(hull_nl **nl) {
  if (*nl)
    hull_nl_close(*nl);
}
#define cleanup_nl __attribute__((cleanup(hull_nl_closep)))

/* The interface's index, 0 when there is none of that name. */
int hull_nl_ifindex(hull_nl *nl, const char *name, hull_err *err) HULL_WUR;
/* Creates a bridge unless one of that name exists (another kind of link of that name is an
 * error); mtu 0 keeps the kernel's default. */
int hull_nl_bridge_ensure(hull_nl *nl, const char *name, unsigned mtu, hull_err *err) HULL_WUR;
/* Creates a veth pair: host_name here, peer_name directly inside the namespace at
 * peer_netns_path (so that no name of the container's is ever visible on the host), with
 * the MAC address peer_mac (6 bytes; NULL: a random one). */
int hull_nl_veth_create(hull_nl *nl, const char *host_name, const char *peer_name, const char *peer_netns_path,
                        unsigned mtu, const uint8_t *peer_mac, hull_err *err) HULL_WUR;
/* hull_nl_veth_create with the host side up and a port of bridge in hairpin mode: the
 * lookup of the bridge (unless the caller knows its index: bridge_index > 0) and one batch
 * of two requests. */
int hull_nl_veth_attach(hull_nl *nl, const char *host_name, const char *peer_name, const char *peer_netns_path,
                        unsigned mtu, const uint8_t *peer_mac, const char *bridge, int bridge_index,
                        hull_err *err) HULL_WUR;
/* Changes a link: master (NULL: unchanged), mtu (0: unchanged), up. */
int hull_nl_link_set(hull_nl *nl, const char *name, const char *master, unsigned mtu, bool up, hull_err *err) HULL_WUR;
/* Puts a bridge port into hairpin mode, so a container reaches itself through a published
 * port (the packet leaves and re-enters by the same port). */
int hull_nl_brport_hairpin(hull_nl *nl, const char *name, hull_err *err) HULL_WUR;
/* Deletes a link (its veth peer goes with it); a missing link is fine. */
int hull_nl_link_del(hull_nl *nl, const char *name, hull_err *err) HULL_WUR;
/* Puts the BPF program prog_fd (type sched_cls) on ifindex's tc ingress hook: a clsact
 * qdisc and a direct-action bpf filter named name. Doing it again replaces the filter. */
int hull_nl_ingress_bpf(hull_nl *nl, int ifindex, int prog_fd, const char *name, hull_err *err) HULL_WUR;
/* Adds an address (an existing identical one is fine). IPv6 addresses skip duplicate
 * address detection: hull hands out each address once. */
int hull_nl_addr_add(hull_nl *nl, const char *ifname, const hull_ip *a, int prefixlen, hull_err *err) HULL_WUR;
/* Adds a route to dst/dst_len (dst_len 0: default route) via gw (NULL: on-link) out of
 * ifname (NULL: as the kernel finds it). An existing identical route is fine. */
int hull_nl_route_add(hull_nl *nl, const char *ifname, const hull_ip *dst, int dst_len, const hull_ip *gw,
                      hull_err *err) HULL_WUR;

typedef struct {
  const hull_ip *ip; /* the interface's address */
  int len;           /* its prefix length */
  const hull_ip *gw; /* the default route's gateway */
} hull_nl_iface_addr;
/* Brings lo and ifname up and gives ifname its addresses (n, at most one per family) and a
 * default route through each one's gateway: the index lookup and one batch. */
int hull_nl_iface_setup(hull_nl *nl, const char *ifname, const hull_nl_iface_addr *addrs, size_t n,
                        hull_err *err) HULL_WUR;

/* Whether a route of the main table (an interface's subnet, a VPN's, the default route
 * excepted) overlaps p: an automatically chosen subnet must not hide such a network. */
int hull_nl_route_overlaps(hull_nl *nl, const hull_prefix *p, bool *overlaps, hull_err *err) HULL_WUR;

#endif
