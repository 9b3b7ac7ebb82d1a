/* Published ports on the host's IPv6 loopback address [::1], by hull-proxy
 * (src/network/proxy-main.c says why nft cannot do it). One proxy per container that has
 * such ports, recorded as the net_objects row ('proxy', <container id>) before it starts
 * and found again by its command line (`hull-proxy --id <container id>`), so that teardown
 * and gc stop it whatever step a crash interrupted. */
#ifndef HULL_NETWORK_PROXY_H
#define HULL_NETWORK_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "network/addr.h"
#include "network/nat.h"

/* True when a port is served on [::1] by the proxy: TCP or UDP, on every host address or on
 * [::] (when the host has IPv6: else skipped) or on ::1 itself. */
bool hull_proxy_wants(const hull_port *p);
/* Starts the container's proxy for its ports that hull_proxy_wants, to ctr_ip6 when the
 * container has one, else to ctr_ip; returns once every listener is bound (EADDRINUSE when
 * a port is taken on [::1]). */
int hull_proxy_start(const char *ctr_id, const hull_ip *ctr_ip, const hull_ip *ctr_ip6, const hull_port *ports,
                     size_t n, hull_err *err) HULL_WUR;
/* Stops the container's proxy and its connections, if it runs; idempotent. */
int hull_proxy_stop(const char *ctr_id, hull_err *err) HULL_WUR;

#endif
