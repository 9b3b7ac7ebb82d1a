/* Name resolution for containers: the files a container gets (/etc/hosts, /etc/resolv.conf,
 * /etc/hostname) and the DNS responder of a user network (hull-dns, src/network/dns-main.c),
 * which answers the names and aliases of the network's containers on the gateway address
 * and forwards other names to the host's resolvers.
 *
 * Per network, under <runroot>/networks/<id>/: hosts (what the responder serves, replaced
 * atomically whenever a container joins or leaves), resolv.conf (the host's resolvers, for
 * forwarding) and dns.pid ("PID STARTTIME", so a recycled pid is never signalled). */
#ifndef HULL_NETWORK_DNS_H
#define HULL_NETWORK_DNS_H

#include "common/error.h"
#include "image/store.h"
#include "network/addr.h"
#include "network/ipam.h"

typedef struct hull_netfiles_opts {
  const char *hostname;           /* the container's (--hostname, default its short id) */
  const char *domainname;         /* NULL: none */
  const hull_ip *ip;              /* the container's address; NULL for --network none/host */
  const char *const *aliases;     /* more names for ip (--network-alias), NULL-terminated */
  const char *const *add_hosts;   /* --add-host NAME:IP, NULL-terminated */
  const hull_ip *dns_server;      /* the network's responder; NULL: the host's resolvers */
  const char *const *dns;         /* --dns (replaces the resolvers) */
  const char *const *dns_search;  /* --dns-search */
  const char *const *dns_options; /* --dns-option */
  const char *host_resolv;        /* NULL: /etc/resolv.conf */
  /* dirfd has none of the files yet (a container's first start, in the process that
   * created it): each is created in place. A crash in the middle leaves a short file in a
   * container that is not running, and every later start replaces all three. */
  bool fresh;
} hull_netfiles_opts;

/* Writes hosts, resolv.conf and hostname into dirfd (each atomically unless fresh). */
int hull_netfiles_write(int dirfd, const hull_netfiles_opts *o, hull_err *err) HULL_WUR;
/* Adds the line "IP<tab>names" to the hosts file in dirfd (replacing the address's lines),
 * or with names NULL removes the address's lines: in place, for a running container's
 * bind-mounted file (network connect/disconnect); see dns.c for what readers see. */
int hull_hosts_update(int dirfd, const hull_ip *ip, const char *names, hull_err *err) HULL_WUR;
/* The host's resolv.conf as a container sees it: loopback nameservers (a local stub such
 * as systemd-resolved, unreachable from the container) dropped; Docker's public fallback
 * when none is left. Caller frees. */
char *hull_resolv_for_container(const char *host_resolv, const char *const *dns, const char *const *search,
                                const char *const *options, hull_err *err);

/* Sets the names (container name and aliases, space-separated) the responder serves for
 * ctr_id's addresses on net. */
int hull_dns_set_names(hull_store *s, const hull_network *net, const char *ctr_id, const char *names,
                       hull_err *err) HULL_WUR;
/* Rewrites the network's hosts file from its leases, if it has a responder. */
int hull_dns_refresh(hull_store *s, const hull_network *net, hull_err *err) HULL_WUR;
/* Records, then starts the network's responder unless it runs (runroot: the engine's;
 * host_resolv: whose nameservers it forwards to, NULL for /etc/resolv.conf). */
int hull_dns_ensure(hull_store *s, const hull_network *net, const char *runroot, const char *host_resolv,
                    hull_err *err) HULL_WUR;
/* The resolvers the network's responder forwards the queries of client to (upstream/ADDRESS
 * in its state directory): dns (--dns), or with none the network's, the file removed. */
int hull_dns_set_upstream(const hull_network *net, const char *runroot, const hull_ip *client, const char *const *dns,
                          hull_err *err) HULL_WUR;
/* Starts again the responders that died (kill -9, OOM) of networks that still have
 * containers, so that their names resolve again after the next command that collects
 * garbage (run, create, network prune, system prune) rather than never. */
int hull_dns_revive(hull_store *s, hull_err *err) HULL_WUR;
/* Stops the responder whose state directory is dir, if it runs; removes the directory. */
int hull_dns_stop(const char *dir, hull_err *err) HULL_WUR;

#endif
