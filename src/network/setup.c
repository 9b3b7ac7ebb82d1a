#include "network/setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "network/dns.h"
#include "network/netlink.h"
#include "network/netns.h"

/* The network's bridge and rules again when they are gone (a reboot, `ip link del`). The
 * socket and the bridge's index (0 when it was made again) are connect's too. */
static int ensure_up(hull_store *s, const hull_network *n, hull_nl *nl, int *index, hull_err *err) {
  *index = hull_nl_ifindex(nl, n->bridge, err);
  if (*index < 0)
    return -1;
  return *index > 0 ? 0 : hull_network_up(s, n, err);
}

int hull_network_ensure_up(hull_store *s, const hull_network *n, hull_err *err) {
  cleanup_nl hull_nl *nl = NULL;
  int index = 0;
  if (hull_nl_open(NULL, &nl, err) < 0)
    return -1;
  return ensure_up(s, n, nl, &index, err);
}

char *hull_net_dns_names(const char *ctr_name, const char *const *aliases, const char *ctr_id) {
  size_t len = strlen(ctr_name ? ctr_name : "") + 14;
  for (const char *const *a = aliases; a && *a; a++)
    len += strlen(*a) + 1;
  char *out = calloc(1, len + 1);
  if (out == NULL)
    return NULL;
  if (ctr_name)
    strcat(out, ctr_name);
  for (const char *const *a = aliases; a && *a; a++) {
    if (out[0])
      strcat(out, " ");
    strcat(out, *a);
  }
  /* The short id too, as Docker's (its DNSNames: name, aliases, short id). */
  snprintf(out + strlen(out), 14, "%s%.12s", out[0] ? " " : "", ctr_id);
  return out;
}

int hull_network_setup(hull_store *s, const hull_net_request *r, hull_net_result *out, hull_err *err) {
  memset(out, 0, sizeof(*out));
  char short_id[13];
  snprintf(short_id, sizeof(short_id), "%.12s", r->ctr_id);
  hull_netfiles_opts files = {.hostname = r->hostname ? r->hostname : short_id,
                              .aliases = r->aliases,
                              .add_hosts = r->add_hosts,
                              .dns = r->dns,
                              .dns_search = r->dns_search,
                              .dns_options = r->dns_options,
                              .host_resolv = r->host_resolv};
  const char *mode = r->network ? r->network : "bridge";
  if (strcmp(mode, "host") == 0) {
    if (r->n_ports)
      return hull_error_code(err, EINVAL, "published ports are discarded when using host network mode");
    return hull_netfiles_write(r->files_dirfd, &files, err);
  }
  out->has_netns = true;
  if (strcmp(mode, "none") == 0) {
    if (r->n_ports)
      return hull_error_code(err, EINVAL, "published ports need a network: --network none has none");
    if (hull_netns_create(s, r->ctr_id, r->netns_path, err) < 0)
      return -1;
    return hull_netfiles_write(r->files_dirfd, &files, err);
  }
  cleanup_network hull_network *n = NULL;
  bool is_default = strcmp(mode, "bridge") == 0 || strcmp(mode, HULL_DEFAULT_NETWORK) == 0;
  if ((is_default ? hull_network_default(s, &n, err) : hull_network_lookup(s, mode, &n, err)) < 0)
    return -1;
  cleanup_nl hull_nl *host_nl = NULL;
  cleanup_nl hull_nl *ctr_nl = NULL;
  int bridge_index = 0;
  if (hull_nl_open(NULL, &host_nl, err) < 0 || ensure_up(s, n, host_nl, &bridge_index, err) < 0)
    return -1;
  cleanup_free char *names = hull_net_dns_names(r->ctr_name, r->aliases, r->ctr_id);
  if (names == NULL)
    return hull_error(err, ENOMEM, "network of %s", short_id);
  hull_endpoint_opts eo = {.ctr_id = r->ctr_id,
                           .netns_path = r->netns_path,
                           .ip = r->ip,
                           .ip6 = r->ip6,
                           .ports = r->ports,
                           .n_ports = r->n_ports,
                           .names = names,
                           .runroot = is_default ? NULL : r->runroot,
                           .host_resolv = r->host_resolv,
                           .dns = r->dns,
                           .host_nl = host_nl,
                           .bridge_index = bridge_index};
  /* The previous run's veths may still be dying (network.c); this start needs their names. */
  if (hull_network_reap(s, r->ctr_id, err) < 0 || hull_netns_create_nl(s, r->ctr_id, r->netns_path, &ctr_nl, err) < 0)
    goto fail;
  eo.ctr_nl = ctr_nl;
  if (hull_network_connect(s, n, &eo, &out->ep, err) < 0)
    goto fail;
  out->connected = true;
  files.ip = &out->ep.ip;
  /* User networks resolve their containers' names through the responder on the gateway. */
  if (!is_default)
    files.dns_server = &n->gateway;
  if (hull_netfiles_write(r->files_dirfd, &files, err) < 0)
    goto fail;
  return 0;
fail:;
  hull_err local = NULL;
  if (hull_network_teardown(s, r->ctr_id, &local) < 0)
    hull_error_release(&local); /* the first error is the one to report; gc retries */
  return -1;
}

int hull_network_teardown(hull_store *s, const char *ctr_id, hull_err *err) {
  /* The container's objects on every network, its namespace among them. */
  return hull_network_disconnect(s, NULL, ctr_id, err);
}
