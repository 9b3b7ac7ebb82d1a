/* hull-nettest: drives src/network for its integration tests (tests/integration/network.bats)
 * until `hull run` wires it in. Every command prints errors the way hull does and exits 1.
 *
 *   hull-nettest bridge NAME ADDR/LEN [ADDR6/LEN] [MTU]      bridge with addresses, up
 *   hull-nettest veth HOST PEER NETNS BRIDGE ADDR/LEN GW [ADDR6/LEN GW6] [MTU]
 *   hull-nettest del NAME                                     delete a link
 *   hull-nettest netcreate ROOT NAME [subnet=|gateway=|ip-range=|subnet6=|gateway6=|internal=1|mtu=]
 *   hull-nettest alloc ROOT NETWORK CTR_ID [4|6] [IP]         prints the leased address
 *   hull-nettest release ROOT CTR_ID
 *   hull-nettest reclaim ROOT                                 prints how many went
 *   hull-nettest create ROOT NAME [KEY=VALUE...]               netcreate + bridge + nft
 *   hull-nettest rmnet ROOT NAME
 *   hull-nettest connect ROOT NETWORK CTR_ID NETNS [ip=IP] [names=N] [runroot=D] [resolv=F] [PORTSPEC...]
 *   hull-nettest files DIR HOSTNAME [ip=] [aliases=a,b] [add-host=n:ip,..] [dns-server=] [dns=a,b] [search=]
 *                [options=] [resolv=F]                    writes hosts, resolv.conf, hostname
 *   hull-nettest disconnect ROOT NETWORK|- CTR_ID
 *   hull-nettest gc ROOT                                      prints how many went
 *   hull-nettest netns ROOT CTR_ID PATH | netns-rm PATH       a container's network namespace
 *   hull-nettest setup ROOT CTR_ID NETWORK NETNS FILESDIR [name=] [ip=] [aliases=a,b] [hostname=] [runroot=]
 *                [resolv=] [PORTSPEC...]                  hull_network_setup; prints the address
 *   hull-nettest teardown ROOT CTR_ID
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "network/dns.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/netns.h"
#include "network/network.h"
#include "network/setup.h"

static int cmd_bridge(int argc, char **argv, hull_err *err) {
  if (argc < 3)
    return hull_error(err, 0, "usage: bridge NAME ADDR/LEN [ADDR6/LEN] [MTU]");
  unsigned mtu = 0;
  if (argc > 3 && !strchr(argv[argc - 1], '/'))
    mtu = (unsigned)atoi(argv[--argc]);
  cleanup_nl hull_nl *nl = NULL;
  if (hull_nl_open(NULL, &nl, err) < 0 || hull_nl_bridge_ensure(nl, argv[1], mtu, err) < 0)
    return -1;
  for (int i = 2; i < argc; i++) {
    hull_prefix p;
    if (hull_prefix_parse(argv[i], &p, true, "address", err) < 0 ||
        hull_nl_addr_add(nl, argv[1], &p.ip, p.len, err) < 0)
      return -1;
  }
  return hull_nl_link_set(nl, argv[1], NULL, mtu, true, err);
}

static int setup_peer(hull_nl *cnl, const char *peer, const char *addr, const char *gw, hull_err *err) {
  hull_prefix p;
  hull_ip g;
  if (hull_prefix_parse(addr, &p, true, "address", err) < 0 || hull_ip_parse(gw, &g, "gateway", err) < 0 ||
      hull_nl_addr_add(cnl, peer, &p.ip, p.len, err) < 0)
    return -1;
  hull_ip any = {.family = g.family};
  return hull_nl_route_add(cnl, peer, &any, 0, &g, err);
}

static int cmd_veth(int argc, char **argv, hull_err *err) {
  if (argc < 7)
    return hull_error(err, 0, "usage: veth HOST PEER NETNS BRIDGE ADDR/LEN GW [ADDR6/LEN GW6] [MTU]");
  unsigned mtu = argc == 8 || argc == 10 ? (unsigned)atoi(argv[argc - 1]) : 0;
  cleanup_nl hull_nl *nl = NULL;
  cleanup_nl hull_nl *cnl = NULL;
  if (hull_nl_open(NULL, &nl, err) < 0 || hull_nl_veth_create(nl, argv[1], argv[2], argv[3], mtu, NULL, err) < 0 ||
      hull_nl_link_set(nl, argv[1], argv[4], 0, true, err) < 0 || hull_nl_brport_hairpin(nl, argv[1], err) < 0 ||
      hull_nl_open(argv[3], &cnl, err) < 0 || hull_nl_link_set(cnl, "lo", NULL, 0, true, err) < 0 ||
      hull_nl_link_set(cnl, argv[2], NULL, 0, true, err) < 0 || setup_peer(cnl, argv[2], argv[5], argv[6], err) < 0)
    return -1;
  if (argc >= 9 && setup_peer(cnl, argv[2], argv[7], argv[8], err) < 0)
    return -1;
  return 0;
}

static int cmd_del(int argc, char **argv, hull_err *err) {
  if (argc != 2)
    return hull_error(err, 0, "usage: del NAME");
  cleanup_nl hull_nl *nl = NULL;
  if (hull_nl_open(NULL, &nl, err) < 0)
    return -1;
  return hull_nl_link_del(nl, argv[1], err);
}

static const char *opt(int argc, char **argv, const char *key) {
  size_t n = strlen(key);
  for (int i = 0; i < argc; i++)
    if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
      return argv[i] + n + 1;
  return NULL;
}

static int cmd_netcreate(int argc, char **argv, hull_err *err) {
  if (argc < 3)
    return hull_error(err, 0, "usage: netcreate ROOT NAME [KEY=VALUE...]");
  cleanup_store hull_store *s = NULL;
  const char *mtu = opt(argc, argv, "mtu");
  hull_network_opts o = {.name = argv[2],
                         .subnet = opt(argc, argv, "subnet"),
                         .gateway = opt(argc, argv, "gateway"),
                         .ip_range = opt(argc, argv, "ip-range"),
                         .subnet6 = opt(argc, argv, "subnet6"),
                         .gateway6 = opt(argc, argv, "gateway6"),
                         .internal = opt(argc, argv, "internal") != NULL,
                         .mtu = mtu ? (unsigned)atoi(mtu) : 0};
  cleanup_network hull_network *n = NULL;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  if (strcmp(argv[0], "create") == 0 ? hull_network_create(s, &o, &n, err) < 0
                                     : hull_network_record_create(s, &o, &n, err) < 0)
    return -1;
  char sn[HULL_PREFIX_STRLEN], gw[HULL_IP_STRLEN];
  hull_prefix_format(&n->subnet, sn);
  hull_ip_format(&n->gateway, gw);
  printf("%s %s %s %s\n", n->id, n->bridge, sn, gw);
  return 0;
}

static int cmd_alloc(int argc, char **argv, hull_err *err) {
  if (argc < 4)
    return hull_error(err, 0, "usage: alloc ROOT NETWORK CTR_ID [4|6] [IP]");
  cleanup_store hull_store *s = NULL;
  cleanup_network hull_network *n = NULL;
  int family = argc > 4 && strcmp(argv[4], "6") == 0 ? AF_INET6 : AF_INET;
  hull_ip want, got;
  if (argc > 5 && hull_ip_parse(argv[5], &want, "--ip", err) < 0)
    return -1;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 || hull_network_lookup(s, argv[2], &n, err) < 0 ||
      hull_ipam_allocate(s, n, argv[3], family, argc > 5 ? &want : NULL, &got, err) < 0)
    return -1;
  char a[HULL_IP_STRLEN];
  hull_ip_format(&got, a);
  printf("%s\n", a);
  return 0;
}

static int cmd_release(int argc, char **argv, hull_err *err) {
  if (argc != 3)
    return hull_error(err, 0, "usage: release ROOT CTR_ID");
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  return hull_ipam_release(s, NULL, argv[2], err);
}

static int cmd_reclaim(int argc, char **argv, hull_err *err) {
  if (argc != 2)
    return hull_error(err, 0, "usage: reclaim ROOT");
  cleanup_store hull_store *s = NULL;
  unsigned n = 0;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 || hull_ipam_reclaim(s, &n, err) < 0)
    return -1;
  printf("%u\n", n);
  return 0;
}

static int cmd_rmnet(int argc, char **argv, hull_err *err) {
  if (argc != 3)
    return hull_error(err, 0, "usage: rmnet ROOT NAME");
  cleanup_store hull_store *s = NULL;
  cleanup_network hull_network *n = NULL;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 || hull_network_lookup(s, argv[2], &n, err) < 0)
    return -1;
  return hull_network_remove(s, n, err);
}

static int cmd_connect(int argc, char **argv, hull_err *err) {
  if (argc < 5)
    return hull_error(err, 0, "usage: connect ROOT NETWORK CTR_ID NETNS [ip=IP] [PORTSPEC...]");
  cleanup_store hull_store *s = NULL;
  cleanup_network hull_network *n = NULL;
  hull_port ports[16];
  size_t np = 0;
  hull_ip want;
  const char *ip = opt(argc, argv, "ip");
  if (ip && hull_ip_parse(ip, &want, "--ip", err) < 0)
    return -1;
  for (int i = 5; i < argc && np < 16; i++)
    if (!strchr(argv[i], '=') && hull_port_parse(argv[i], &ports[np++], err) < 0)
      return -1;
  hull_endpoint_opts o = {.ctr_id = argv[3],
                          .netns_path = argv[4],
                          .ip = ip ? &want : NULL,
                          .ports = ports,
                          .n_ports = np,
                          .names = opt(argc, argv, "names"),
                          .runroot = opt(argc, argv, "runroot"),
                          .host_resolv = opt(argc, argv, "resolv")};
  hull_endpoint ep;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 || hull_network_lookup(s, argv[2], &n, err) < 0 ||
      hull_network_connect(s, n, &o, &ep, err) < 0)
    return -1;
  char a[HULL_IP_STRLEN];
  hull_ip_format(&ep.ip, a);
  printf("%s %s", ep.veth, a);
  for (size_t i = 0; i < np; i++) {
    char p[96];
    hull_port_format(&ports[i], p, sizeof(p));
    printf(" %s", p);
  }
  printf("\n");
  return 0;
}

static int cmd_disconnect(int argc, char **argv, hull_err *err) {
  if (argc != 4)
    return hull_error(err, 0, "usage: disconnect ROOT NETWORK|- CTR_ID");
  cleanup_store hull_store *s = NULL;
  cleanup_network hull_network *n = NULL;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 ||
      (strcmp(argv[2], "-") != 0 && hull_network_lookup(s, argv[2], &n, err) < 0))
    return -1;
  return hull_network_disconnect(s, n, argv[3], err);
}

static int cmd_gc(int argc, char **argv, hull_err *err) {
  if (argc != 2)
    return hull_error(err, 0, "usage: gc ROOT");
  cleanup_store hull_store *s = NULL;
  unsigned n = 0;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 || hull_network_gc(s, &n, err) < 0)
    return -1;
  printf("%u\n", n);
  return 0;
}

/* Splits a comma-separated option into a NULL-terminated vector (NULL when unset). */
static char **split(const char *v) {
  if (v == NULL)
    return NULL;
  char **out = calloc(strlen(v) + 2, sizeof(*out));
  char *copy = strdup(v), *save = NULL;
  size_t n = 0;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
    out[n++] = strdup(t);
  free(copy);
  return out;
}

static int cmd_files(int argc, char **argv, hull_err *err) {
  if (argc < 3)
    return hull_error(err, 0, "usage: files DIR HOSTNAME [KEY=VALUE...]");
  hull_ip ip, dns_server;
  const char *ips = opt(argc, argv, "ip"), *dnss = opt(argc, argv, "dns-server");
  if ((ips && hull_ip_parse(ips, &ip, "ip", err) < 0) || (dnss && hull_ip_parse(dnss, &dns_server, "dns", err) < 0))
    return -1;
  cleanup_strv char **aliases = split(opt(argc, argv, "aliases"));
  cleanup_strv char **add_hosts = split(opt(argc, argv, "add-host"));
  cleanup_strv char **dns = split(opt(argc, argv, "dns"));
  cleanup_strv char **search = split(opt(argc, argv, "search"));
  cleanup_strv char **options = split(opt(argc, argv, "options"));
  hull_netfiles_opts o = {.hostname = argv[2],
                          .domainname = opt(argc, argv, "domain"),
                          .ip = ips ? &ip : NULL,
                          .aliases = (const char *const *)aliases,
                          .add_hosts = (const char *const *)add_hosts,
                          .dns_server = dnss ? &dns_server : NULL,
                          .dns = (const char *const *)dns,
                          .dns_search = (const char *const *)search,
                          .dns_options = (const char *const *)options,
                          .host_resolv = opt(argc, argv, "resolv")};
  cleanup_close int dfd = open(argv[1], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", argv[1]);
  return hull_netfiles_write(dfd, &o, err);
}

static int cmd_netns(int argc, char **argv, hull_err *err) {
  if (argc != 4)
    return hull_error(err, 0, "usage: netns ROOT CTR_ID PATH");
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  return hull_netns_create(s, argv[2], argv[3], err);
}

static int cmd_netns_rm(int argc, char **argv, hull_err *err) {
  if (argc != 2)
    return hull_error(err, 0, "usage: netns-rm PATH");
  return hull_netns_remove(argv[1], err);
}

static int cmd_setup(int argc, char **argv, hull_err *err) {
  if (argc < 6)
    return hull_error(err, 0, "usage: setup ROOT CTR_ID NETWORK NETNS FILESDIR [KEY=VALUE...] [PORTSPEC...]");
  hull_port ports[16];
  size_t np = 0;
  hull_ip want;
  const char *ip = opt(argc, argv, "ip");
  if (ip && hull_ip_parse(ip, &want, "--ip", err) < 0)
    return -1;
  for (int i = 6; i < argc && np < 16; i++)
    if (!strchr(argv[i], '=') && hull_port_parse(argv[i], &ports[np++], err) < 0)
      return -1;
  cleanup_strv char **aliases = split(opt(argc, argv, "aliases"));
  cleanup_close int dfd = open(argv[5], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", argv[5]);
  hull_net_request r = {.ctr_id = argv[2],
                        .ctr_name = opt(argc, argv, "name"),
                        .runroot = opt(argc, argv, "runroot"),
                        .network = argv[3],
                        .netns_path = argv[4],
                        .ip = ip ? &want : NULL,
                        .aliases = (const char *const *)aliases,
                        .ports = ports,
                        .n_ports = np,
                        .hostname = opt(argc, argv, "hostname"),
                        .host_resolv = opt(argc, argv, "resolv"),
                        .files_dirfd = dfd};
  cleanup_store hull_store *s = NULL;
  hull_net_result res;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0 || hull_network_setup(s, &r, &res, err) < 0)
    return -1;
  char a[HULL_IP_STRLEN] = "-";
  if (res.connected)
    hull_ip_format(&res.ep.ip, a);
  printf("%s %s", res.has_netns ? "netns" : "host", a);
  for (size_t i = 0; i < np; i++) {
    char p[96];
    hull_port_format(&ports[i], p, sizeof(p));
    printf(" %s", p);
  }
  printf("\n");
  return 0;
}

static int cmd_teardown(int argc, char **argv, hull_err *err) {
  if (argc != 3)
    return hull_error(err, 0, "usage: teardown ROOT CTR_ID");
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(argv[1], HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  return hull_network_teardown(s, argv[2], err);
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(int, char **, hull_err *);
  } cmds[] = {{"bridge", cmd_bridge},
              {"veth", cmd_veth},
              {"del", cmd_del},
              {"netcreate", cmd_netcreate},
              {"alloc", cmd_alloc},
              {"release", cmd_release},
              {"reclaim", cmd_reclaim},
              {"create", cmd_netcreate},
              {"rmnet", cmd_rmnet},
              {"connect", cmd_connect},
              {"disconnect", cmd_disconnect},
              {"gc", cmd_gc},
              {"files", cmd_files},
              {"netns", cmd_netns},
              {"netns-rm", cmd_netns_rm},
              {"setup", cmd_setup},
              {"teardown", cmd_teardown}};
  hull_err err = NULL;
  if (argc < 2) {
    fprintf(stderr, "usage: hull-nettest COMMAND ...\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    if (strcmp(argv[1], cmds[i].name) != 0)
      continue;
    if (cmds[i].fn(argc - 1, argv + 1, &err) < 0) {
      fprintf(stderr, "Error: %s\n", err ? err->msg : "unknown error");
      hull_error_release(&err);
      return 1;
    }
    return 0;
  }
  fprintf(stderr, "hull-nettest: unknown command %s\n", argv[1]);
  return 2;
}
