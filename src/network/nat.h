/* NAT and published ports in an nftables table of hull's own, `table inet hull`, generated
 * as nft JSON and applied with `nft -j -f -` (libnftables is GPL-2 and is not linked), one
 * nft transaction per change:
 *
 *   prerouting, output (nat)  fib daddr type local jump ports
 *   postrouting (nat)         jump nets
 *   raw_pre (filter, raw)     iifname != lo, ip daddr 127.0.0.0/8: drop (route_localnet must
 *                             not open the host's loopback to its neighbours, moby#45610)
 *   forward (filter)          jump fwd_nets
 *   ports                     one "jump c-<ctr12>" per container, comment "ctr:<id>"
 *   c-<ctr12>                 the container's DNAT rules
 *   nets, fwd_nets            one "jump n-<net12>" / "jump f-<net12>" per network, comment "net:<id>"
 *   n-<net12>                 masquerade of the subnet (not for --internal), of hairpinned
 *                             connections and of the host's 127.0.0.1 connections into it
 *   f-<net12>                 nothing forwarded to another network's bridge (set "bridges");
 *                             --internal: nothing forwarded into or out of the bridge
 *
 * An owner's objects are removed by its chain name and the comment of its jump rules (the
 * rules' handles are looked up in a listing of the table), so removal needs no state but the
 * owner's id, and a second removal finds nothing and does nothing. */
#ifndef HULL_NETWORK_NAT_H
#define HULL_NETWORK_NAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"
#include "network/addr.h"
#include "network/ipam.h"

typedef struct hull_port {
  int proto;          /* IPPROTO_TCP or IPPROTO_UDP */
  hull_ip host_ip;    /* family 0: every address of the host */
  uint16_t host_port; /* 0 until a random one is chosen */
  uint16_t ctr_port;
} hull_port;

/* Parses Docker's -p: [HOST_IP:][HOST_PORT:]PORT[/tcp|udp] ("[::1]:80:80" for IPv6). */
int hull_port_parse(const char *s, hull_port *out, hull_err *err) HULL_WUR;
void hull_port_format(const hull_port *p, char *out, size_t len);

/* Applies a JSON array of nft commands (with the base table and chains first) in one nft
 * transaction. */
int hull_nat_apply(json_t *cmds, hull_err *err) HULL_WUR;
/* Masquerade/isolation chains of a network, and route_localnet on its bridge. */
int hull_nat_network_add(const hull_network *n, hull_err *err) HULL_WUR;
/* bridge: the network's (its element of the set "bridges" goes too); NULL if unknown. */
int hull_nat_network_remove(const char *net_id, const char *bridge, hull_err *err) HULL_WUR;
/* The container's DNAT rules to ctr_ip and (IPv6 traffic, when not NULL) ctr_ip6. The host's
 * ::1 is left to hull-proxy (proxy.h): IPv6 has no route_localnet. */
int hull_nat_ports_add(const char *ctr_id, const hull_ip *ctr_ip, const hull_ip *ctr_ip6, const hull_port *ports,
                       size_t n, hull_err *err) HULL_WUR;
int hull_nat_ports_remove(const char *ctr_id, hull_err *err) HULL_WUR;

#endif
