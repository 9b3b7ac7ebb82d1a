#include "network/nat.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "network/forward.h"
#include "network/proxy.h"

#define TABLE "hull"

int hull_port_parse(const char *s, hull_port *out, hull_err *err) {
  memset(out, 0, sizeof(*out));
  out->proto = IPPROTO_TCP;
  cleanup_free char *buf = strdup(s);
  if (buf == NULL)
    return hull_error(err, ENOMEM, "parse -p %s", s);
  char *slash = strrchr(buf, '/');
  if (slash) {
    *slash = '\0';
    if (strcmp(slash + 1, "udp") == 0)
      out->proto = IPPROTO_UDP;
    else if (strcmp(slash + 1, "tcp") != 0)
      return hull_error_code(err, EINVAL, "invalid proto: %s", slash + 1);
  }
  /* The host address: everything before the last two colons ("[::1]" for IPv6). */
  char *fields[3] = {NULL, NULL, NULL};
  int nf = 0;
  char *p = buf;
  if (buf[0] == '[') {
    char *close = strchr(buf, ']');
    if (close == NULL || close[1] != ':')
      return hull_error_code(err, EINVAL, "invalid port specification: \"%s\"", s);
    *close = '\0';
    fields[nf++] = buf + 1;
    p = close + 2;
  } else {
    char *last = strrchr(buf, ':');
    char *prev = NULL;
    if (last) {
      *last = '\0';
      prev = strrchr(buf, ':');
      *last = ':';
    }
    if (prev) {
      *prev = '\0';
      fields[nf++] = buf;
      p = prev + 1;
    }
  }
  char *colon = strchr(p, ':');
  if (colon) {
    *colon = '\0';
    fields[nf++] = p;
    fields[nf++] = colon + 1;
  } else {
    if (nf)
      return hull_error_code(err, EINVAL, "invalid port specification: \"%s\"", s);
    fields[nf++] = NULL;
    fields[nf++] = p;
  }
  const char *host = nf == 3 ? fields[0] : NULL, *hport = fields[nf - 2], *cport = fields[nf - 1];
  if (host && host[0] && hull_ip_parse(host, &out->host_ip, "host address", err) < 0)
    return -1;
  int64_t v;
  if (hull_parse_int64(cport, &v) < 0 || v < 1 || v > 65535)
    return hull_error_code(err, EINVAL, "invalid containerPort: %s", cport);
  out->ctr_port = (uint16_t)v;
  if (hport && hport[0]) {
    if (hull_parse_int64(hport, &v) < 0 || v < 1 || v > 65535)
      return hull_error_code(err, EINVAL, "invalid hostPort: %s", hport);
    out->host_port = (uint16_t)v;
  }
  return 0;
}

void hull_port_format(const hull_port *p, char *out, size_t len) {
  char ip[HULL_IP_STRLEN] = "0.0.0.0";
  if (p->host_ip.family)
    hull_ip_format(&p->host_ip, ip);
  snprintf(out, len, "%u/%s -> %s:%u", p->ctr_port, p->proto == IPPROTO_UDP ? "udp" : "tcp", ip, p->host_port);
}

/* ---- nft JSON builders ---- */

static json_t *cmd(const char *verb, const char *kind, json_t *obj) {
  json_object_set_new(obj, "family", json_string("inet"));
  json_object_set_new(obj, "table", json_string(TABLE));
  return json_pack("{s:{s:o}}", verb, kind, obj);
}

static json_t *base_chain(const char *name, const char *type, const char *hook, int prio) {
  return cmd("add", "chain",
             json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", name, "type", type, "hook", hook, "prio", prio, "policy",
                       "accept"));
}

static json_t *chain(const char *verb, const char *name) {
  return cmd(verb, "chain", json_pack("{s:s}", "name", name));
}

static json_t *rule(const char *chain_name, json_t *expr, const char *comment) {
  json_t *r = json_pack("{s:s, s:o}", "chain", chain_name, "expr", expr);
  if (comment)
    json_object_set_new(r, "comment", json_string(comment));
  return cmd("add", "rule", r);
}

static json_t *match(const char *op, json_t *left, json_t *right) {
  return json_pack("{s:{s:s, s:o, s:o}}", "match", "op", op, "left", left, "right", right);
}

static json_t *payload(const char *proto, const char *field) {
  return json_pack("{s:{s:s, s:s}}", "payload", "protocol", proto, "field", field);
}

static json_t *meta(const char *key) { return json_pack("{s:{s:s}}", "meta", "key", key); }

static json_t *prefix(const hull_prefix *p) {
  char a[HULL_IP_STRLEN];
  hull_ip_format(&p->ip, a);
  return json_pack("{s:{s:s, s:i}}", "prefix", "addr", a, "len", p->len);
}

static json_t *jump(const char *target) { return json_pack("{s:{s:s}}", "jump", "target", target); }

static json_t *fib_local(void) {
  return match("==", json_pack("{s:{s:s, s:[s]}}", "fib", "result", "type", "flags", "daddr"), json_string("local"));
}

/* The table, its chains and the static rules of the base chains: idempotent ("add" of an
 * existing table or chain does nothing, the base chains are flushed and refilled), so every
 * change carries it and a table someone deleted is rebuilt by the next change. */
static json_t *base_cmds(void) {
  json_t *a = json_array();
  json_array_append_new(a, json_pack("{s:{s:{s:s, s:s}}}", "add", "table", "family", "inet", "name", TABLE));
  json_array_append_new(a, base_chain("prerouting", "nat", "prerouting", -100));
  json_array_append_new(a, base_chain("output", "nat", "output", -100));
  json_array_append_new(a, base_chain("postrouting", "nat", "postrouting", 100));
  json_array_append_new(a, base_chain("raw_pre", "filter", "prerouting", -300));
  json_array_append_new(a, base_chain("forward", "filter", "forward", 0));
  /* Every hull bridge: traffic from one network's bridge to another's is dropped. */
  json_array_append_new(a, cmd("add", "set", json_pack("{s:s, s:s}", "name", "bridges", "type", "ifname")));
  json_array_append_new(a, chain("add", "ports"));
  json_array_append_new(a, chain("add", "nets"));
  json_array_append_new(a, chain("add", "fwd_nets"));
  json_array_append_new(a, chain("add", "raw_nets"));
  const char *flushed[] = {"prerouting", "output", "postrouting", "raw_pre", "forward"};
  for (size_t i = 0; i < sizeof(flushed) / sizeof(flushed[0]); i++)
    json_array_append_new(a, chain("flush", flushed[i]));
  json_array_append_new(a, rule("prerouting", json_pack("[o, o]", fib_local(), jump("ports")), NULL));
  json_array_append_new(a, rule("output", json_pack("[o, o]", fib_local(), jump("ports")), NULL));
  json_array_append_new(a, rule("postrouting", json_pack("[o]", jump("nets")), NULL));
  json_array_append_new(a, rule("forward", json_pack("[o]", jump("fwd_nets")), NULL));
  hull_prefix lo = {.ip = {.family = AF_INET, .b = {127}}, .len = 8};
  json_array_append_new(a, rule("raw_pre",
                                json_pack("[o, o, {s:n}]", match("!=", meta("iifname"), json_string("lo")),
                                          match("==", payload("ip", "daddr"), prefix(&lo)), "drop"),
                                NULL));
  json_array_append_new(a, rule("raw_pre", json_pack("[o]", jump("raw_nets")), NULL));
  return a;
}

/* The rule that leaves traffic between two containers of a bridge untracked (family "ip" or
 * "ip6"). Where bridged frames are handed to netfilter (net.bridge.bridge-nf-call-iptables,
 * 1 by default wherever br_netfilter is loaded, and set by Docker), conntrack would track
 * every such packet because the table has nat chains: measured at 3% of a TCP request/
 * response round trip and 7% of a TCP connect's (bench/README.md, network.sh). No rule of
 * hull's needs those connections tracked. Traffic to or from the gateway stays tracked: a
 * published port's hairpin and DNS go through it, and their answers must be un-NATed. */
static json_t *notrack_rule(const char *fam, const hull_prefix *subnet, const hull_ip *gw, const char *comment) {
  char g[HULL_IP_STRLEN];
  hull_ip_format(gw, g);
  return rule("raw_nets",
              json_pack("[o, o, o, {s:n}]", match("==", payload(fam, "saddr"), prefix(subnet)),
                        match("==", payload(fam, "daddr"), prefix(subnet)),
                        match("!=", payload(fam, "daddr"), json_string(g)), "notrack"),
              comment);
}

/* ---- running nft ---- */

/* Runs nft with args, input on its stdin (NULL: none); *output gets its stdout when asked.
 * stderr goes to a memory file read after nft ended: a pipe read after stdout could fill
 * and leave both processes waiting on each other. */
static int run_nft(const char *const *args, const char *input, char **output, hull_err *err) {
  char *argv[16] = {"nft"};
  size_t n = 1;
  for (; args[n - 1] && n < 15; n++)
    argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  /* HULL_NFT: another nft (the tests use one that dies mid-way). Looked up before fork:
   * the child of a threaded caller calls nothing but prctl, getppid, dup2, execv and _exit. */
  const char *nft = getenv("HULL_NFT");
  const char *paths[] = {nft && nft[0] ? nft : "/usr/sbin/nft", "/usr/bin/nft", "/sbin/nft"};
  cleanup_close int errfd = memfd_create("nft-stderr", MFD_CLOEXEC);
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (errfd < 0 || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
    int r = hull_error_sys(err, "run nft: pipe");
    for (int *fd = in; fd <= &out[1]; fd++)
      if (*fd >= 0)
        close(*fd);
    return r;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* nft dies with its caller: a CLI killed with -9 must not leave a transaction that
     * commits after the next command's gc or rm has looked (a chain nobody removes). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
      _exit(127);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(errfd, 2);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
      execv(paths[i], argv);
    _exit(127);
  }
  int fork_errno = errno;
  close(in[0]);
  close(out[1]);
  cleanup_close int win = in[1], rout = out[0];
  if (pid < 0)
    return hull_error(err, fork_errno, "run nft: fork");
  /* SIGPIPE must not kill the caller when nft exits early. */
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  if (input && hull_write_all(win, input, strlen(input)) < 0) {
    /* nft reports what went wrong on stderr; its exit status says it failed. */
  }
  struct timespec zero = {0, 0};
  while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(take_fd(&win));
  hull_err local = NULL;
  cleanup_free char *outs = hull_read_fd(rout, "nft stdout", NULL, &local);
  hull_error_release(&local); /* an unreadable stdout: the exit status decides */
  int status = hull_wait_exit_status(pid);
  if (status != 0) {
    char errs[1024] = "";
    ssize_t r = pread(errfd, errs, sizeof(errs) - 1, 0);
    size_t l = r > 0 ? (size_t)r : 0;
    errs[l] = '\0';
    while (l && errs[l - 1] == '\n')
      errs[--l] = '\0';
    if (status == 127 && l == 0)
      return hull_error(err, ENOENT, "run nft (package nftables): not found");
    return hull_error(err, 0, "nft %s: exit status %d: %s", args[0], status, l ? errs : "(no message)");
  }
  if (output)
    *output = steal_pointer(&outs);
  return 0;
}

int hull_nat_apply(json_t *cmds, hull_err *err) {
  cleanup_json json_t *all = base_cmds();
  json_array_extend(all, cmds);
  cleanup_json json_t *doc = json_pack("{s:O}", "nftables", all);
  cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
  if (text == NULL)
    return hull_error(err, ENOMEM, "nft rules");
  const char *args[] = {"-j", "-f", "-", NULL};
  return run_nft(args, text, NULL, err);
}

/* The rules and chains of the table now; NULL (no error) when there is no table. */
static int list_table(json_t **out, hull_err *err) {
  *out = NULL;
  const char *args[] = {"-j", "list", "table", "inet", TABLE, NULL};
  cleanup_free char *text = NULL;
  hull_err local = NULL;
  if (run_nft(args, NULL, &text, &local) < 0) {
    /* "No such file or directory": the table does not exist, so nothing is in it; no nft
     * at all (ENOENT): nothing can have been put in one either. */
    if (local->errno_ == ENOENT || strstr(local->msg, "No such file or directory")) {
      hull_error_release(&local);
      return 0;
    }
    *err = local;
    return -1;
  }
  json_error_t je;
  json_t *doc = json_loads(text, 0, &je);
  json_t *items = json_object_get(doc, "nftables");
  if (!json_is_array(items)) {
    json_decref(doc);
    return hull_error_code(err, EINVAL, "nft list table inet %s: unexpected output", TABLE);
  }
  *out = json_incref(items);
  json_decref(doc);
  return 0;
}

/* Commands deleting the jump rules with this comment and the chains named (flushed first,
 * as a chain that still holds rules cannot be deleted). */
static json_t *removal_cmds(json_t *items, const char *comment, const char *const *chains) {
  json_t *a = json_array();
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    json_t *r = json_object_get(it, "rule");
    if (r && json_is_string(json_object_get(r, "comment")) &&
        strcmp(json_string_value(json_object_get(r, "comment")), comment) == 0)
      json_array_append_new(a, cmd("delete", "rule",
                                   json_pack("{s:O, s:O}", "chain", json_object_get(r, "chain"), "handle",
                                             json_object_get(r, "handle"))));
  }
  for (const char *const *c = chains; *c; c++) {
    json_array_foreach(items, i, it) {
      json_t *ch = json_object_get(it, "chain");
      if (ch && strcmp(json_string_value(json_object_get(ch, "name")) ?: "", *c) == 0) {
        json_array_append_new(a, chain("flush", *c));
        json_array_append_new(a, chain("delete", *c));
      }
    }
  }
  return a;
}

/* Removes an owner's jump rules and chains; nothing to remove is fine. */
static int remove_owner(const char *comment, const char *const *chains, hull_err *err) {
  cleanup_json json_t *items = NULL;
  if (list_table(&items, err) < 0)
    return -1;
  if (items == NULL)
    return 0;
  cleanup_json json_t *cmds = removal_cmds(items, comment, chains);
  if (json_array_size(cmds) == 0)
    return 0;
  return hull_nat_apply(cmds, err);
}

static int write_sysctl(const char *path, const char *value, hull_err *err) {
  return hull_write_file(path, value, strlen(value), err);
}

int hull_nat_network_add(const hull_network *n, hull_err *err) {
  char nchain[32], fchain[32], comment[80];
  snprintf(nchain, sizeof(nchain), "n-%.12s", n->id);
  snprintf(fchain, sizeof(fchain), "f-%.12s", n->id);
  snprintf(comment, sizeof(comment), "net:%s", n->id);
  /* The host's own connections to 127.0.0.1:PORT are DNAT'ed into the bridge: their source
   * stays 127.0.0.1, which the kernel only routes out of an interface with route_localnet. */
  char path[128];
  snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
  if (write_sysctl(path, "1", err) < 0 || hull_forward_enable(n->bridge, n->has_v6, err) < 0)
    return -1;
  /* Re-adding must not duplicate: the old chains and jumps go in the same transaction. */
  cleanup_json json_t *items = NULL;
  if (list_table(&items, err) < 0)
    return -1;
  const char *chains[] = {nchain, fchain, NULL};
  cleanup_json json_t *a = items ? removal_cmds(items, comment, chains) : json_array();
  json_array_append_new(a, chain("add", nchain));
  json_array_append_new(a, chain("add", fchain));
  json_t *br = json_string(n->bridge);
  hull_prefix lo = {.ip = {.family = AF_INET, .b = {127}}, .len = 8};
  if (!n->internal) {
    json_array_append_new(a, rule(nchain,
                                  json_pack("[o, o, {s:n}]", match("==", payload("ip", "saddr"), prefix(&n->subnet)),
                                            match("!=", payload("ip", "daddr"), prefix(&n->subnet)), "masquerade"),
                                  NULL));
    if (n->has_v6)
      json_array_append_new(a,
                            rule(nchain,
                                 json_pack("[o, o, {s:n}]", match("==", payload("ip6", "saddr"), prefix(&n->subnet6)),
                                           match("!=", payload("ip6", "daddr"), prefix(&n->subnet6)), "masquerade"),
                                 NULL));
    /* Networks are isolated from each other, as Docker's: nothing is forwarded from this
     * bridge to another hull bridge (the other network's chain drops the other way). */
    json_array_append_new(a, rule(fchain,
                                  json_pack("[o, o, o, {s:n}]", match("==", meta("iifname"), json_incref(br)),
                                            match("!=", meta("oifname"), json_incref(br)),
                                            match("==", meta("oifname"), json_string("@bridges")), "drop"),
                                  NULL));
  } else {
    /* --internal: nothing leaves or enters the bridge except between its own ports
     * (CVE-2024-29018: no route to the outside, so no DNS leak through it either). */
    json_array_append_new(a, rule(fchain,
                                  json_pack("[o, o, {s:n}]", match("==", meta("iifname"), json_incref(br)),
                                            match("!=", meta("oifname"), json_incref(br)), "drop"),
                                  NULL));
    json_array_append_new(a, rule(fchain,
                                  json_pack("[o, o, {s:n}]", match("==", meta("oifname"), json_incref(br)),
                                            match("!=", meta("iifname"), json_incref(br)), "drop"),
                                  NULL));
  }
  /* Hairpin: a container reaching a published port of its own network must see the answer
   * come from the address it called, so the connection leaves with the gateway's address. */
  json_array_append_new(
      a, rule(nchain,
              json_pack("[o, o, o, {s:n}]", match("==", meta("oifname"), json_incref(br)),
                        match("==", payload("ip", "saddr"), prefix(&n->subnet)),
                        match("in", json_pack("{s:{s:s}}", "ct", "key", "status"), json_string("dnat")), "masquerade"),
              NULL));
  if (n->has_v6)
    json_array_append_new(
        a,
        rule(nchain,
             json_pack("[o, o, o, {s:n}]", match("==", meta("oifname"), json_incref(br)),
                       match("==", payload("ip6", "saddr"), prefix(&n->subnet6)),
                       match("in", json_pack("{s:{s:s}}", "ct", "key", "status"), json_string("dnat")), "masquerade"),
             NULL));
  /* The host's 127.0.0.1 connections: a container cannot answer 127.0.0.1. */
  json_array_append_new(a, rule(nchain,
                                json_pack("[o, o, {s:n}]", match("==", meta("oifname"), json_incref(br)),
                                          match("==", payload("ip", "saddr"), prefix(&lo)), "masquerade"),
                                NULL));
  json_decref(br);
  json_array_append_new(a, cmd("add", "element", json_pack("{s:s, s:[s]}", "name", "bridges", "elem", n->bridge)));
  json_array_append_new(a, rule("nets", json_pack("[o]", jump(nchain)), comment));
  json_array_append_new(a, rule("fwd_nets", json_pack("[o]", jump(fchain)), comment));
  json_array_append_new(a, notrack_rule("ip", &n->subnet, &n->gateway, comment));
  if (n->has_v6)
    json_array_append_new(a, notrack_rule("ip6", &n->subnet6, &n->gateway6, comment));
  return hull_nat_apply(a, err);
}

/* True when the listing's set "bridges" holds name. */
static bool in_bridges(json_t *items, const char *name) {
  size_t i, k;
  json_t *it, *e;
  json_array_foreach(items, i, it) {
    json_t *set = json_object_get(it, "set");
    if (set == NULL || strcmp(json_string_value(json_object_get(set, "name")) ?: "", "bridges") != 0)
      continue;
    json_t *elem = json_object_get(set, "elem");
    if (json_is_string(elem))
      return strcmp(json_string_value(elem), name) == 0;
    json_array_foreach(elem, k, e) {
      if (json_is_string(e) && strcmp(json_string_value(e), name) == 0)
        return true;
    }
  }
  return false;
}

int hull_nat_network_remove(const char *net_id, const char *bridge, hull_err *err) {
  char nchain[32], fchain[32], comment[80];
  snprintf(nchain, sizeof(nchain), "n-%.12s", net_id);
  snprintf(fchain, sizeof(fchain), "f-%.12s", net_id);
  snprintf(comment, sizeof(comment), "net:%s", net_id);
  const char *chains[] = {nchain, fchain, NULL};
  cleanup_json json_t *items = NULL;
  if (list_table(&items, err) < 0)
    return -1;
  if (items == NULL)
    return 0;
  cleanup_json json_t *cmds = removal_cmds(items, comment, chains);
  if (bridge && in_bridges(items, bridge))
    json_array_append_new(cmds, cmd("delete", "element", json_pack("{s:s, s:[s]}", "name", "bridges", "elem", bridge)));
  if (json_array_size(cmds) == 0)
    return 0;
  return hull_nat_apply(cmds, err);
}

static json_t *dnat_rule(const char *cchain, const hull_ip *ctr_ip, const hull_port *p) {
  const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";
  const char *fam = ctr_ip->family == AF_INET ? "ip" : "ip6";
  char cip[HULL_IP_STRLEN];
  hull_ip_format(ctr_ip, cip);
  json_t *expr = json_array();
  if (p->host_ip.family && !hull_ip_unspecified(&p->host_ip)) {
    char hip[HULL_IP_STRLEN];
    hull_ip_format(&p->host_ip, hip);
    json_array_append_new(expr,
                          match("==", payload(p->host_ip.family == AF_INET ? "ip" : "ip6", "daddr"), json_string(hip)));
  } else {
    /* Every host address (-p PORT, 0.0.0.0:PORT, [::]:PORT) of the container's family: the
     * caller adds only the families the host address asks for. */
    json_array_append_new(expr, match("==", meta("nfproto"), json_string(ctr_ip->family == AF_INET ? "ipv4" : "ipv6")));
    /* [::1] is hull-proxy's (proxy.h): DNAT of the host's ::1 into the bridge is dropped. */
    if (ctr_ip->family == AF_INET6)
      json_array_append_new(expr, match("!=", payload("ip6", "daddr"), json_string("::1")));
  }
  json_array_append_new(expr, match("==", payload(proto, "dport"), json_integer(p->host_port)));
  json_array_append_new(expr,
                        json_pack("{s:{s:s, s:s, s:i}}", "dnat", "family", fam, "addr", cip, "port", p->ctr_port));
  return rule(cchain, expr, NULL);
}

int hull_nat_ports_add(const char *ctr_id, const hull_ip *ctr_ip, const hull_ip *ctr_ip6, const hull_port *ports,
                       size_t n, hull_err *err) {
  char cchain[32], comment[80];
  snprintf(cchain, sizeof(cchain), "c-%.12s", ctr_id);
  snprintf(comment, sizeof(comment), "ctr:%s", ctr_id);
  cleanup_json json_t *items = NULL;
  if (list_table(&items, err) < 0)
    return -1;
  const char *chains[] = {cchain, NULL};
  /* Replaces what an earlier attempt left: a restarted container never gets a second copy
   * of its rules (podman#27516). */
  cleanup_json json_t *a = items ? removal_cmds(items, comment, chains) : json_array();
  json_array_append_new(a, chain("add", cchain));
  for (size_t i = 0; i < n; i++) {
    /* A port on every host address is published for both families the container has; one
     * on a host address only for that address's family. */
    int hf = ports[i].host_ip.family;
    if (hf == 0 || hf == AF_INET)
      json_array_append_new(a, dnat_rule(cchain, ctr_ip, &ports[i]));
    bool v6_all = hf == AF_INET6 && hull_ip_unspecified(&ports[i].host_ip);
    if (ctr_ip6 && ctr_ip6->family == AF_INET6 &&
        (hf == 0 || v6_all || (hf == AF_INET6 && !hull_proxy_wants(&ports[i]))))
      json_array_append_new(a, dnat_rule(cchain, ctr_ip6, &ports[i]));
  }
  json_array_append_new(a, rule("ports", json_pack("[o]", jump(cchain)), comment));
  return hull_nat_apply(a, err);
}

int hull_nat_ports_remove(const char *ctr_id, hull_err *err) {
  char cchain[32], comment[80];
  snprintf(cchain, sizeof(cchain), "c-%.12s", ctr_id);
  snprintf(comment, sizeof(comment), "ctr:%s", ctr_id);
  const char *chains[] = {cchain, NULL};
  return remove_owner(comment, chains, err);
}
