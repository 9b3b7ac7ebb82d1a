/* The DNS responder of a user network (hull-dns, src/network/dns-main.c) and the files a
 * container gets: /etc/hosts, /etc/resolv.conf, /etc/hostname. */
#ifndef HULL_NETWORK_DNS_H
#define HULL_NETWORK_DNS_H

#include "common/error.h"

/* Stops the network's responder if one runs (its pid file names it). */
int hull_dns_stop(const char *net_id, hull_err *err) HULL_WUR;

#endif
