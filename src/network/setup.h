/* What `hull run` calls: one function that gives a container its network as the flags ask,
 * and one that takes it away. Everything it makes is recorded (see network.h), so
 * hull_network_gc collects what a crash between the two leaves. */
#ifndef HULL_NETWORK_SETUP_H
#define HULL_NETWORK_SETUP_H

#include <stddef.h>

#include "image/store.h"
#include "network/network.h"

typedef struct hull_net_request {
  const char *ctr_id;   /* its row in `containers` exists */
  const char *ctr_name; /* served by the network's DNS responder with the aliases */
  const char *runroot;  /* the engine's --runroot (responders' state) */
  /* --network: NULL or "bridge" (the default network), "none", "host", or a network's name
   * or id. ("container:NAME" is the engine's: it joins that container's namespace.) */
  const char *network;
  const char *netns_path;     /* where the namespace is made (bridge, none, a network) */
  const hull_ip *ip;          /* --ip */
  const hull_ip *ip6;         /* --ip6 */
  const char *const *aliases; /* --network-alias */
  hull_port *ports;           /* -p/-P; host ports of 0 are chosen and written back */
  size_t n_ports;
  const char *hostname; /* default: the short id */
  const char *const *add_hosts, *const *dns, *const *dns_search, *const *dns_options;
  const char *host_resolv; /* NULL: /etc/resolv.conf */
  int files_dirfd;         /* hosts, resolv.conf and hostname are written here */
} hull_net_request;

typedef struct hull_net_result {
  bool has_netns; /* false for host: the runtime gets no network namespace entry */
  hull_endpoint ep;
  bool connected; /* an address on a network */
} hull_net_result;

/* The network's bridge and rules again when they are gone (a reboot, `ip link del`); nothing
 * when the bridge is there, so that concurrent users of one network never race to rewrite
 * its rules. */
int hull_network_ensure_up(hull_store *s, const hull_network *n, hull_err *err) HULL_WUR;
int hull_network_setup(hull_store *s, const hull_net_request *r, hull_net_result *out, hull_err *err) HULL_WUR;
/* The names a network's DNS responder serves for an endpoint, as Docker's DNSNames: "name
 * alias1 alias2 shortid" (malloc'd; NULL on ENOMEM). Setup and a later connect both use it. */
char *hull_net_dns_names(const char *ctr_name, const char *const *aliases, const char *ctr_id);
/* Undoes setup for the container (its endpoints, ports, leases, namespace); idempotent. */
int hull_network_teardown(hull_store *s, const char *ctr_id, hull_err *err) HULL_WUR;

#endif
