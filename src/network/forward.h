/* The host's forwarding switches, as Docker's bridge driver sets them (its iptables mode):
 * net.ipv4.ip_forward for every network; net.ipv6.conf.{default,all}.forwarding for a
 * network with an IPv6 subnet, without which the host drops what its containers send
 * outside and the hairpin connections to their own published ports. Written through
 * /proc/sys of the caller's network namespace and never turned off again (other networks,
 * and anything else on the host, may rely on them), as Docker does. */
#ifndef HULL_NETWORK_FORWARD_H
#define HULL_NETWORK_FORWARD_H

#include <stdbool.h>

#include "common/error.h"

/* Turns forwarding on for IPv4, and for IPv6 when ipv6 is set, and stops the bridge from
 * taking router advertisements from its containers (CVE-2020-13401: a container would
 * otherwise set the host's IPv6 default route). When hull is the one turning IPv6
 * forwarding on, every interface that took router advertisements (accept_ra=1, which the
 * kernel ignores on a forwarding host) first gets accept_ra=2, so the host keeps its
 * RA-learned address and default route. */
int hull_forward_enable(const char *bridge, bool ipv6, hull_err *err) HULL_WUR;

#endif
