#include "network/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/cleanup.h"

/* MNL_SOCKET_BUFFER_SIZE is computed at run time (a VLA); 8 KiB is its upper bound. */
#define NL_BUF 8192

struct hull_nl {
  struct mnl_socket *sock;
  unsigned portid;
  unsigned seq;
  char *netns; /* for errors: "" for the caller's namespace */
};

struct open_args {
  const char *path;
  struct mnl_socket *sock;
  int errno_;
  const char *step;
};

/* Runs in a thread of its own: setns(CLONE_NEWNET) affects only the calling thread, and
 * the thread ends right after, so the caller's namespaces never change. */
static void *open_in_netns(void *arg) {
  struct open_args *a = arg;
  int fd = open(a->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    a->errno_ = errno;
    a->step = "open";
    return NULL;
  }
  if (setns(fd, CLONE_NEWNET) < 0) {
    a->errno_ = errno;
    a->step = "setns";
    close(fd);
    return NULL;
  }
  close(fd);
  a->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (a->sock == NULL) {
    a->errno_ = errno;
    a->step = "netlink socket in";
  }
  return NULL;
}

int hull_nl_open(const char *netns_path, hull_nl **out, hull_err *err) {
  cleanup_free hull_nl *nl = calloc(1, sizeof(*nl));
  if (nl == NULL || (nl->netns = strdup(netns_path ? netns_path : "")) == NULL) {
    free(nl ? nl->netns : NULL);
    return hull_error(err, ENOMEM, "netlink socket");
  }
  if (netns_path == NULL) {
    nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (nl->sock == NULL) {
      free(nl->netns);
      return hull_error_sys(err, "netlink socket");
    }
  } else {
    struct open_args a = {.path = netns_path};
    pthread_t t;
    int e = pthread_create(&t, NULL, open_in_netns, &a);
    if (e != 0) {
      free(nl->netns);
      return hull_error(err, e, "netlink socket in %s: thread", netns_path);
    }
    pthread_join(t, NULL);
    if (a.sock == NULL) {
      free(nl->netns);
      return hull_error(err, a.errno_, "%s %s", a.step, netns_path);
    }
    nl->sock = a.sock;
  }
  if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(nl->sock);
    free(nl->netns);
    return hull_error(err, e, "bind netlink socket");
  }
  nl->portid = mnl_socket_get_portid(nl->sock);
  nl->seq = (unsigned)time(NULL);
  *out = steal_pointer(&nl);
  return 0;
}

int hull_nl_open_here(const char *netns_path, hull_nl **out, hull_err *err) {
  if (hull_nl_open(NULL, out, err) < 0)
    return -1;
  char *label = strdup(netns_path);
  if (label == NULL) {
    hull_nl_close(*out);
    *out = NULL;
    return hull_error(err, ENOMEM, "netlink socket in %s", netns_path);
  }
  free((*out)->netns);
  (*out)->netns = label;
  return 0;
}

void hull_nl_close(hull_nl *nl) {
  mnl_socket_close(nl->sock);
  free(nl->netns);
  free(nl);
}

/* Sends one request and reads until its acknowledgement (or error) arrives. For a GET,
 * cb sees each answer. Returns 0, or -errno from the kernel / the socket. */
static int transact(hull_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
  nlh->nlmsg_seq = ++nl->seq;
  nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
    return -errno;
  char buf[NL_BUF];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
    if (n < 0)
      return -errno;
    int r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
    if (r < 0)
      return -errno;
    if (r == MNL_CB_STOP)
      return 0;
  }
}

/* Sends the n requests in buf (len bytes) in one sendmsg and reads their n
 * acknowledgements: the kernel handles the requests of a batch in order, each as if sent
 * alone (a failed one does not stop the next), for one round trip. Returns 0, or the
 * first failure's -errno with *failed its position. */
static int transact_batch(hull_nl *nl, char *buf, size_t len, unsigned n, unsigned *failed) {
  unsigned first = nl->seq + 1;
  size_t off = 0;
  for (unsigned i = 0; i < n; i++) {
    struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);
    nlh->nlmsg_seq = ++nl->seq;
    nlh->nlmsg_flags |= NLM_F_ACK;
    off += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  if (mnl_socket_sendto(nl->sock, buf, len) < 0)
    return -errno;
  char rbuf[NL_BUF];
  unsigned acked = 0;
  int first_err = 0;
  while (acked < n) {
    ssize_t r = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
    if (r < 0)
      return -errno;
    int left = (int)r;
    for (const struct nlmsghdr *h = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, left);
         h = mnl_nlmsg_next(h, &left)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq - first >= n)
        continue;
      const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
      if (e->error && first_err == 0) {
        first_err = e->error;
        *failed = h->nlmsg_seq - first;
      }
      acked++;
    }
  }
  return first_err;
}

static const char *ns_suffix(hull_nl *nl) { return nl->netns[0] ? nl->netns : "the host namespace"; }

static int link_index_cb(const struct nlmsghdr *nlh, void *data) {
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
  *(int *)data = ifm->ifi_index;
  return MNL_CB_OK;
}

int hull_nl_ifindex(hull_nl *nl, const char *name, hull_err *err) {
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  int index = 0;
  int r = transact(nl, nlh, link_index_cb, &index);
  if (r == -ENODEV)
    return 0;
  if (r < 0)
    return hull_error(err, -r, "look up link %s in %s", name, ns_suffix(nl));
  return index;
}

struct kind_data {
  char kind[32];
};

static int link_kind_cb(const struct nlmsghdr *nlh, void *data) {
  struct kind_data *k = data;
  struct nlattr *a;
  mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
    if (mnl_attr_get_type(a) != IFLA_LINKINFO)
      continue;
    struct nlattr *b;
    mnl_attr_for_each_nested(b, a) {
      if (mnl_attr_get_type(b) == IFLA_INFO_KIND)
        snprintf(k->kind, sizeof(k->kind), "%s", mnl_attr_get_str(b));
    }
  }
  return MNL_CB_OK;
}

int hull_nl_bridge_ensure(hull_nl *nl, const char *name, unsigned mtu, hull_err *err) {
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  /* NLM_F_EXCL: an existing link is reported (and then checked to be a bridge) rather than
   * silently reconfigured. */
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  /* A bridge without an address of its own takes the lowest of its ports', so it changed
   * whenever a container came or went, and the other containers' ARP entries for the
   * gateway went stale: their packets were lost until the entry expired. A random,
   * locally administered unicast address set here is never changed by the kernel. */
  uint8_t mac[6];
  if (getrandom(mac, sizeof(mac), 0) != (ssize_t)sizeof(mac))
    return hull_error_sys(err, "create bridge %s: getrandom", name);
  mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
  mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(nlh, info);
  int r = transact(nl, nlh, NULL, NULL);
  if (r == 0)
    return 0;
  if (r != -EEXIST)
    return hull_error(err, -r, "create bridge %s in %s", name, ns_suffix(nl));
  nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  struct kind_data k = {""};
  r = transact(nl, nlh, link_kind_cb, &k);
  if (r < 0)
    return hull_error(err, -r, "look up link %s in %s", name, ns_suffix(nl));
  if (strcmp(k.kind, "bridge") != 0)
    return hull_error(err, EEXIST, "create bridge %s: a link of that name exists and is %s%s", name,
                      k.kind[0] ? "a " : "not a bridge", k.kind);
  return 0;
}

/* The request that makes a veth pair (see hull_nl_veth_create) at buf; master_index (0:
 * none) makes the host side a port of that bridge, up brings the host side up. */
static struct nlmsghdr *put_veth(char *buf, const char *host_name, const char *peer_name, int nsfd, unsigned mtu,
                                 const uint8_t *peer_mac, int master_index, bool up) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  if (up) {
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = IFF_UP;
  }
  mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
  if (mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  if (master_index)
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_index);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  /* The peer's attributes follow an ifinfomsg of its own. Its flags stay 0: the kernel
   * applies them before the pair is joined, and a veth cannot go up without its peer
   * (ENOTCONN); the peer goes up inside the namespace (hull_nl_iface_setup). */
  struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
  memset(pifm, 0, sizeof(*pifm));
  pifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
  if (mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  if (peer_mac)
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, info);
  return nlh;
}

int hull_nl_veth_create(hull_nl *nl, const char *host_name, const char *peer_name, const char *peer_netns_path,
                        unsigned mtu, const uint8_t *peer_mac, hull_err *err) {
  cleanup_close int nsfd = open(peer_netns_path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return hull_error_sys(err, "open %s", peer_netns_path);
  char buf[NL_BUF];
  int r = transact(nl, put_veth(buf, host_name, peer_name, nsfd, mtu, peer_mac, 0, false), NULL, NULL);
  if (r < 0)
    return hull_error(err, -r, "create veth %s (peer %s in %s)", host_name, peer_name, peer_netns_path);
  return 0;
}

int hull_nl_veth_attach(hull_nl *nl, const char *host_name, const char *peer_name, const char *peer_netns_path,
                        unsigned mtu, const uint8_t *peer_mac, const char *bridge, int bridge_index, hull_err *err) {
  int master = bridge_index > 0 ? bridge_index : hull_nl_ifindex(nl, bridge, err);
  if (master < 0)
    return -1;
  if (master == 0)
    return hull_error(err, ENODEV, "attach %s to %s in %s", host_name, bridge, ns_suffix(nl));
  cleanup_close int nsfd = open(peer_netns_path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return hull_error_sys(err, "open %s", peer_netns_path);
  /* The pair, its port and the host side up in one request; hairpin mode as the port's
   * slave data (by name: the index is not known yet) in the same batch. */
  char buf[NL_BUF];
  struct nlmsghdr *nlh = put_veth(buf, host_name, peer_name, nsfd, mtu, peer_mac, master, true);
  size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
  struct nlmsghdr *hp = mnl_nlmsg_put_header(buf + len);
  hp->nlmsg_type = RTM_NEWLINK;
  hp->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(hp, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(hp, IFLA_IFNAME, host_name);
  struct nlattr *info = mnl_attr_nest_start(hp, IFLA_LINKINFO);
  mnl_attr_put_strz(hp, IFLA_INFO_SLAVE_KIND, "bridge");
  struct nlattr *sd = mnl_attr_nest_start(hp, IFLA_INFO_SLAVE_DATA);
  mnl_attr_put_u8(hp, IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end(hp, sd);
  mnl_attr_nest_end(hp, info);
  len += NLMSG_ALIGN(hp->nlmsg_len);
  unsigned failed = 0;
  int r = transact_batch(nl, buf, len, 2, &failed);
  if (r < 0 && failed == 0)
    return hull_error(err, -r, "create veth %s (peer %s in %s) on %s", host_name, peer_name, peer_netns_path, bridge);
  if (r < 0)
    return hull_error(err, -r, "set hairpin mode on %s in %s", host_name, ns_suffix(nl));
  return 0;
}

int hull_nl_link_set(hull_nl *nl, const char *name, const char *master, unsigned mtu, bool up, hull_err *err) {
  int master_index = 0;
  if (master) {
    master_index = hull_nl_ifindex(nl, master, err);
    if (master_index < 0)
      return -1;
    if (master_index == 0)
      return hull_error(err, ENODEV, "attach %s to %s in %s", name, master, ns_suffix(nl));
  }
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  if (up) {
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = IFF_UP;
  }
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (master_index)
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_index);
  if (mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  int r = transact(nl, nlh, NULL, NULL);
  if (r < 0)
    return hull_error(err, -r, "configure link %s in %s", name, ns_suffix(nl));
  return 0;
}

int hull_nl_brport_hairpin(hull_nl *nl, const char *name, hull_err *err) {
  int index = hull_nl_ifindex(nl, name, err);
  if (index < 0)
    return -1;
  if (index == 0)
    return hull_error(err, ENODEV, "set hairpin mode on %s in %s", name, ns_suffix(nl));
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_SETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_BRIDGE;
  ifm->ifi_index = index;
  struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
  mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end(nlh, pi);
  int r = transact(nl, nlh, NULL, NULL);
  if (r < 0)
    return hull_error(err, -r, "set hairpin mode on %s in %s", name, ns_suffix(nl));
  return 0;
}

int hull_nl_link_del(hull_nl *nl, const char *name, hull_err *err) {
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_DELLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  int r = transact(nl, nlh, NULL, NULL);
  if (r < 0 && r != -ENODEV)
    return hull_error(err, -r, "delete link %s in %s", name, ns_suffix(nl));
  return 0;
}

/* A tc request on ifindex: the header every qdisc and filter message shares. */
static struct nlmsghdr *put_tc(char *buf, uint16_t type, int ifindex, uint32_t parent, uint32_t handle, uint32_t info,
                               const char *kind) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  /* Create, or replace what is there: attaching twice is no error (`tc ... replace`). */
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
  tcm->tcm_family = AF_UNSPEC;
  tcm->tcm_ifindex = ifindex;
  tcm->tcm_parent = parent;
  tcm->tcm_handle = handle;
  tcm->tcm_info = info;
  mnl_attr_put_strz(nlh, TCA_KIND, kind);
  return nlh;
}

int hull_nl_ingress_bpf(hull_nl *nl, int ifindex, int prog_fd, const char *name, hull_err *err) {
  /* The clsact qdisc and a cls_bpf filter in direct-action mode at its ingress hook, in one
   * batch. Unlike a tcx attach (BPF_PROG_ATTACH), whose bpf_mprog swap waits a full RCU
   * grace period under rtnl_lock, the filter's insert waits at most an expedited grace
   * period (mini_qdisc_pair_swap), and only when the qdisc's previous swap was that recent. */
  char buf[NL_BUF];
  struct nlmsghdr *q = put_tc(buf, RTM_NEWQDISC, ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0, "clsact");
  size_t len = NLMSG_ALIGN(q->nlmsg_len);
  /* Priority 1, all protocols, handle 1: the one filter hull puts there. */
  struct nlmsghdr *f = put_tc(buf + len, RTM_NEWTFILTER, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), 1,
                              TC_H_MAKE(1U << 16, htons(ETH_P_ALL)), "bpf");
  struct nlattr *opts = mnl_attr_nest_start(f, TCA_OPTIONS);
  mnl_attr_put_u32(f, TCA_BPF_FD, (uint32_t)prog_fd);
  mnl_attr_put_strz(f, TCA_BPF_NAME, name);
  mnl_attr_put_u32(f, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
  mnl_attr_nest_end(f, opts);
  len += NLMSG_ALIGN(f->nlmsg_len);
  unsigned failed = 0;
  int r = transact_batch(nl, buf, len, 2, &failed);
  if (r < 0)
    return hull_error(err, -r, "%s on link %d in %s", failed == 0 ? "add a clsact qdisc" : "add an ingress bpf filter",
                      ifindex, ns_suffix(nl));
  return 0;
}

static int need_index(hull_nl *nl, const char *ifname, const char *what, hull_err *err) {
  int index = hull_nl_ifindex(nl, ifname, err);
  if (index == 0)
    return hull_error(err, ENODEV, "%s: link %s in %s", what, ifname, ns_suffix(nl));
  return index;
}

static struct nlmsghdr *put_addr(char *buf, int index, const hull_ip *a, int prefixlen) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
  ifa->ifa_family = (uint8_t)a->family;
  ifa->ifa_prefixlen = (uint8_t)prefixlen;
  ifa->ifa_index = (uint32_t)index;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  mnl_attr_put(nlh, IFA_LOCAL, (size_t)hull_ip_bytes(a), a->b);
  mnl_attr_put(nlh, IFA_ADDRESS, (size_t)hull_ip_bytes(a), a->b);
  if (a->family == AF_INET6)
    mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  return nlh;
}

static struct nlmsghdr *put_route(char *buf, int index, const hull_ip *dst, int dst_len, const hull_ip *gw) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  rtm->rtm_family = (uint8_t)dst->family;
  rtm->rtm_dst_len = (uint8_t)dst_len;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (dst_len)
    mnl_attr_put(nlh, RTA_DST, (size_t)hull_ip_bytes(dst), dst->b);
  if (gw)
    mnl_attr_put(nlh, RTA_GATEWAY, (size_t)hull_ip_bytes(gw), gw->b);
  if (index)
    mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
  return nlh;
}

static struct nlmsghdr *put_link_up(char *buf, const char *name) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_change = IFF_UP;
  ifm->ifi_flags = IFF_UP;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  return nlh;
}

int hull_nl_addr_add(hull_nl *nl, const char *ifname, const hull_ip *a, int prefixlen, hull_err *err) {
  int index = need_index(nl, ifname, "add address", err);
  if (index < 0)
    return -1;
  char buf[NL_BUF];
  int r = transact(nl, put_addr(buf, index, a, prefixlen), NULL, NULL);
  if (r < 0) {
    char s[HULL_IP_STRLEN];
    hull_ip_format(a, s);
    return hull_error(err, -r, "add address %s/%d to %s in %s", s, prefixlen, ifname, ns_suffix(nl));
  }
  return 0;
}

int hull_nl_route_add(hull_nl *nl, const char *ifname, const hull_ip *dst, int dst_len, const hull_ip *gw,
                      hull_err *err) {
  int index = 0;
  if (ifname && (index = need_index(nl, ifname, "add route", err)) < 0)
    return -1;
  char buf[NL_BUF];
  int r = transact(nl, put_route(buf, index, dst, dst_len, gw), NULL, NULL);
  if (r < 0) {
    char d[HULL_IP_STRLEN], g[HULL_IP_STRLEN] = "";
    hull_ip_format(dst, d);
    if (gw)
      hull_ip_format(gw, g);
    return hull_error(err, -r, "add route %s/%d%s%s in %s", d, dst_len, gw ? " via " : "", g, ns_suffix(nl));
  }
  return 0;
}

int hull_nl_iface_setup(hull_nl *nl, const char *ifname, const hull_nl_iface_addr *addrs, size_t n, hull_err *err) {
  int index = need_index(nl, ifname, "configure", err);
  if (index < 0)
    return -1;
  /* lo and the interface up, then each address and the default route through its
   * gateway (which needs the address's subnet on the link): one batch, in that order. */
  char buf[NL_BUF];
  size_t len = 0;
  unsigned count = 0;
  len += NLMSG_ALIGN(put_link_up(buf + len, "lo")->nlmsg_len), count++;
  len += NLMSG_ALIGN(put_link_up(buf + len, ifname)->nlmsg_len), count++;
  for (size_t i = 0; i < n && i < 2; i++) {
    hull_ip any = {.family = addrs[i].ip->family};
    len += NLMSG_ALIGN(put_addr(buf + len, index, addrs[i].ip, addrs[i].len)->nlmsg_len), count++;
    len += NLMSG_ALIGN(put_route(buf + len, index, &any, 0, addrs[i].gw)->nlmsg_len), count++;
  }
  unsigned failed = 0;
  int r = transact_batch(nl, buf, len, count, &failed);
  if (r == 0)
    return 0;
  if (failed < 2)
    return hull_error(err, -r, "configure link %s in %s", failed ? ifname : "lo", ns_suffix(nl));
  const hull_nl_iface_addr *a = &addrs[(failed - 2) / 2];
  char s[HULL_IP_STRLEN], g[HULL_IP_STRLEN];
  hull_ip_format(a->ip, s);
  hull_ip_format(a->gw, g);
  if ((failed - 2) % 2 == 0)
    return hull_error(err, -r, "add address %s/%d to %s in %s", s, a->len, ifname, ns_suffix(nl));
  return hull_error(err, -r, "add the default route via %s in %s", g, ns_suffix(nl));
}

struct overlap_data {
  const hull_prefix *p;
  bool overlaps;
};

static int route_overlap_cb(const struct nlmsghdr *nlh, void *data) {
  struct overlap_data *d = data;
  if (nlh->nlmsg_type != RTM_NEWROUTE)
    return MNL_CB_OK;
  struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
  if (rtm->rtm_family != d->p->ip.family || rtm->rtm_dst_len == 0 ||
      (rtm->rtm_table != RT_TABLE_MAIN && rtm->rtm_table != RT_TABLE_UNSPEC))
    return MNL_CB_OK;
  struct nlattr *a;
  mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
    if (mnl_attr_get_type(a) != RTA_DST || mnl_attr_get_payload_len(a) != (uint16_t)hull_ip_bytes(&d->p->ip))
      continue;
    hull_prefix r = {.ip = {.family = d->p->ip.family}, .len = rtm->rtm_dst_len};
    memcpy(r.ip.b, mnl_attr_get_payload(a), (size_t)hull_ip_bytes(&r.ip));
    if (hull_prefix_overlaps(&r, d->p))
      d->overlaps = true;
  }
  return MNL_CB_OK;
}

int hull_nl_route_overlaps(hull_nl *nl, const hull_prefix *p, bool *overlaps, hull_err *err) {
  char buf[NL_BUF];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++nl->seq;
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  rtm->rtm_family = (uint8_t)p->ip.family;
  if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
    return hull_error_sys(err, "list routes in %s", ns_suffix(nl));
  struct overlap_data d = {.p = p};
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
    if (n < 0)
      return hull_error_sys(err, "list routes in %s", ns_suffix(nl));
    int r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, route_overlap_cb, &d);
    if (r < 0)
      return hull_error_sys(err, "list routes in %s", ns_suffix(nl));
    if (r == MNL_CB_STOP)
      break;
  }
  *overlaps = d.overlaps;
  return 0;
}
