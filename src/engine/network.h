/* The engine's side of networking: what create, start, rm, inspect, port and
 * `network connect/disconnect` ask of the network library (src/network). The container's
 * network flags are in its HostConfig (NetworkMode, PortSpecs, PublishAllPorts, Dns,
 * DnsSearch, DnsOptions, ExtraHosts, NetworkingConfig.{IPv4Address,Aliases}) and Config
 * (Hostname, ExposedPorts), as engine/flags.c parsed them.
 *
 * Lifetime: the namespace, address, veth, DNAT rules and DNS names exist while the
 * container runs. They are made by start before the monitor starts the container (the
 * runtime joins the namespace by path, <runroot>/netns/<id>), removed by the monitor's
 * teardown when the container has exited for good and by rm (idempotent), and collected by
 * hull_network_gc (create, rm, prune) when a crash left them behind a container row that
 * is gone. --network none makes no network work at all: the runtime gives the container a
 * new namespace of its own, with only lo. */
#ifndef HULL_ENGINE_NETWORK_H
#define HULL_ENGINE_NETWORK_H

#include <jansson.h>

#include "common/error.h"
#include "engine/engine.h"

/* At create, before the container's row is written: checks the flags against the store
 * (the network exists, -p parses and fits the mode, container:NAME names a container,
 * which becomes container:<id>) and fills Docker's PortBindings and ExposedPorts. */
int hull_ctr_net_prepare(hull_engine *e, hull_ctr *c, hull_err *err) HULL_WUR;
/* The namespace path config.json names (caller frees): the container's own for a bridge or
 * user network, the other container's for container:<id>; NULL for none and host. */
char *hull_ctr_netns_path(hull_engine *e, const hull_ctr *c);
/* At start: namespace, address, ports, names, and the container's hosts, resolv.conf and
 * hostname files. Undone on failure. fresh: the first start of a container this process
 * created (engine.h, created_here), whose config.json it generated itself. */
int hull_ctr_net_up(hull_engine *e, hull_ctr *c, bool fresh, hull_err *err) HULL_WUR;
/* Everything of the container on every network; idempotent. */
int hull_ctr_net_down(hull_engine *e, const char *id, hull_err *err) HULL_WUR;
/* What crashes left: objects, leases and ports of containers whose row is gone. */
int hull_ctr_net_gc(hull_engine *e, hull_err *err) HULL_WUR;
/* NetworkSettings of `inspect`, as Docker's. */
json_t *hull_ctr_net_settings(hull_engine *e, const hull_ctr *c, hull_err *err);
/* The published ports: an array of {"proto", "host_ip", "host_port", "ctr_port"}. */
json_t *hull_ctr_ports(hull_engine *e, const char *id, hull_err *err);
/* `ps`'s PORTS column: "0.0.0.0:8080->80/tcp, ..." (caller frees; "" without ports). */
char *hull_ctr_ports_summary(hull_engine *e, const hull_ctr *c);
/* `network connect` / `disconnect` of a running container. */
int hull_ctr_net_connect(hull_engine *e, hull_ctr *c, const char *network, const char *ip, const char *ip6,
                         const char *const *aliases, hull_err *err) HULL_WUR;
int hull_ctr_net_disconnect(hull_engine *e, hull_ctr *c, const char *network, hull_err *err) HULL_WUR;

#endif
