/* The same-network fast path: a tc ingress program (a direct-action cls_bpf filter under a
 * clsact qdisc) on every container's host-side veth that hands a unicast frame for another
 * container of the same network straight to that container's namespace (bpf_redirect_peer),
 * past the bridge, its netfilter hooks and the second veth's backlog. Everything else
 * (broadcast, ARP requests, the gateway's MAC, other networks) goes the bridge path as
 * before. One hash map per network (the frame's destination MAC -> the host-side veth's
 * ifindex), found again by the ids recorded in the network's "fastpath" row of net_objects.
 * docs/design.md and docs/security.md say why a stale entry cannot deliver into another
 * container. */
#ifndef HULL_NETWORK_FASTPATH_H
#define HULL_NETWORK_FASTPATH_H

#include <stdint.h>

#include <jansson.h>

#include "image/store.h"
#include "network/ipam.h"
#include "network/netlink.h"

/* Marks the network's fast path off (`network create -o hull.fastpath=false`). */
int hull_fastpath_disable(hull_store *s, const hull_network *n, hull_err *err) HULL_WUR;
/* When the network has other endpoints with a veth: attaches the network's program to the
 * host-side veth and to theirs (over nl, the host's rtnetlink socket; NULL: one of its
 * own), and enters mac -> veth and theirs in its map. A lone endpoint gets nothing (it has
 * no one to redirect to). A kernel that refuses (no BPF, no cls_bpf, no bpf_redirect_peer)
 * leaves the bridge path: that is logged, not an error; errors are the store's. */
int hull_fastpath_add(hull_store *s, const hull_network *n, hull_nl *nl, const char *veth, const uint8_t mac[6],
                      hull_err *err) HULL_WUR;
/* Removes the map entries of ctr_id's addresses on net_id (NULL: every network), or with
 * ctr_id NULL those of every lease whose container row is gone; with ctr_id, marks its
 * endpoints as leaving so that no later connect enters them again. Runs before the veths
 * and the leases go (see docs/security.md). Idempotent. */
int hull_fastpath_forget(hull_store *s, const char *net_id, const char *ctr_id, hull_err *err) HULL_WUR;
/* Deletes the marks forget leaves (a leaving endpoint is entered by no later connect)
 * whose lease is gone: called wherever leases are released. */
int hull_fastpath_prune(hull_store *s, hull_err *err) HULL_WUR;

/* inspect's "HullFastPath": {"Enabled": bool, "Entries": [{"MacAddress", "Ifindex",
 * "Packets"}]}, the entries of the network's map while it exists. */
json_t *hull_fastpath_inspect(hull_store *s, const hull_network *n, hull_err *err);

#endif
