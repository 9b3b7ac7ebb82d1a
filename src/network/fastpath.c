#include "network/fastpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "network/netlink.h"

/* The map's key: the destination MAC, padded to 8 bytes. Its value: the host-side veth's
 * ifindex, a count of the frames sent to it (inspect shows it) and the veth's name, which
 * says whether the ifindex still is that veth's (sweep). */
#define KEY_SIZE 8
typedef struct fp_value {
  uint32_t ifindex;
  uint32_t pad;
  uint64_t packets;
  char veth[16];
} fp_value;
/* A network's map holds at most this many containers; more are simply not entered (their
 * traffic takes the bridge). Not preallocated: an idle network costs nothing. */
#define MAX_ENTRIES 65536
#define PROG_NAME "hull_fastpath"

/* The program's verdicts as a direct-action cls_bpf filter returns them. */
#define ACT_NEXT (-1) /* TC_ACT_UNSPEC: the next filter, then the bridge path */

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

/* ---- the program ---- */

#define INSN(c, d, s_, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s_), .off = (o), .imm = (i)})
#define PASS_AT 25

/* The program, written out as instructions (no clang or libbpf at run time):
 *   if the frame is shorter than an Ethernet header or its destination is multicast or
 *   broadcast: ACT_NEXT (the bridge path);
 *   v = map[destination MAC]; none: ACT_NEXT;
 *   v->packets++; return bpf_redirect_peer(v->ifindex, 0).
 * The map's file descriptor is patched in at load. */
static void program(struct bpf_insn *p, int map_fd) {
  int i = 0;
  p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
  p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, offsetof(struct __sk_buff, data), 0);
  p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 6, offsetof(struct __sk_buff, data_end), 0);
  p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
  p[i++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 14);
  p[i++] = INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, PASS_AT - 6, 0);
  p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_B, 5, 2, 0, 0);
  p[i++] = INSN(BPF_JMP | BPF_JSET | BPF_K, 5, 0, PASS_AT - 8, 1); /* the group bit */
  p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 2, 0, 0);
  p[i++] = INSN(BPF_STX | BPF_MEM | BPF_W, 10, 5, -8, 0);
  p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 4, 0);
  p[i++] = INSN(BPF_STX | BPF_MEM | BPF_H, 10, 5, -4, 0);
  p[i++] = INSN(BPF_ST | BPF_MEM | BPF_H, 10, 0, -2, 0);
  p[i++] = INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd);
  p[i++] = INSN(0, 0, 0, 0, 0);
  p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
  p[i++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8);
  p[i++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  p[i++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, PASS_AT - 19, 0);
  p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 0, offsetof(fp_value, ifindex), 0);
  p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 1);
  p[i++] = INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 2, offsetof(fp_value, packets), BPF_ADD);
  p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0);
  p[i++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_peer);
  p[i++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  /* PASS_AT */
  p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, ACT_NEXT);
  p[i++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}
#define PROG_LEN 27

/* The map's name says which network it serves: a recorded id that the kernel has given to
 * another map since (after a reboot) does not match. */
static void map_name(const hull_network *n, char out[BPF_OBJ_NAME_LEN]) {
  snprintf(out, BPF_OBJ_NAME_LEN, "hull_%.10s", n->id);
}

static int create_map(const hull_network *n, hull_err *err) {
  union bpf_attr a = {0};
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = KEY_SIZE;
  a.value_size = sizeof(fp_value);
  a.max_entries = MAX_ENTRIES;
  a.map_flags = BPF_F_NO_PREALLOC;
  map_name(n, a.map_name);
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  if (fd < 0)
    return hull_error_sys(err, "create the fast path map of network %s", n->name);
  return fd;
}

static int load_program(const hull_network *n, int map_fd, hull_err *err) {
  struct bpf_insn insns[PROG_LEN];
  program(insns, map_fd);
  char log[4096] = "";
  union bpf_attr a = {0};
  a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  a.insns = (uint64_t)(uintptr_t)insns;
  a.insn_cnt = PROG_LEN;
  a.license = (uint64_t)(uintptr_t) "Apache-2.0";
  a.log_buf = (uint64_t)(uintptr_t)log;
  a.log_size = sizeof(log);
  a.log_level = 1;
  snprintf(a.prog_name, sizeof(a.prog_name), PROG_NAME);
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  if (fd < 0 && errno == ENOSPC) {
    /* The log was too small for the verifier's trace; the load failed for another reason,
     * which a retry without the log reports. */
    a.log_buf = 0, a.log_size = 0, a.log_level = 0;
    fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  }
  if (fd < 0)
    return hull_error_sys(err, "load the fast path program of network %s%s%.200s", n->name, log[0] ? ": " : "", log);
  return fd;
}

static int get_info(int fd, void *info, uint32_t len) {
  union bpf_attr a = {0};
  a.info.bpf_fd = (uint32_t)fd;
  a.info.info_len = len;
  a.info.info = (uint64_t)(uintptr_t)info;
  return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

static int obj_id(int fd) {
  struct bpf_map_info info = {0}; /* id is the second field of both info structs */
  return get_info(fd, &info, sizeof(info)) < 0 ? -1 : (int)info.id;
}

/* The network's map by its recorded id, or -1 when it is gone or is not this network's. */
static int map_by_id(const hull_network *n, uint32_t id) {
  union bpf_attr a = {0};
  a.map_id = id;
  cleanup_close int fd = (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
  struct bpf_map_info info = {0};
  char want[BPF_OBJ_NAME_LEN];
  map_name(n, want);
  if (fd < 0 || get_info(fd, &info, sizeof(info)) < 0 || info.type != BPF_MAP_TYPE_HASH || info.key_size != KEY_SIZE ||
      info.value_size != sizeof(fp_value) || strcmp(info.name, want) != 0)
    return -1;
  return take_fd(&fd);
}

/* The program by its recorded id, when it is the one that uses map_id. */
static int prog_by_id(uint32_t id, uint32_t map_id) {
  union bpf_attr a = {0};
  a.prog_id = id;
  cleanup_close int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
  struct bpf_prog_info info = {0};
  uint32_t maps[1] = {0};
  info.nr_map_ids = 1;
  info.map_ids = (uint64_t)(uintptr_t)maps;
  if (fd < 0 || get_info(fd, &info, sizeof(info)) < 0 || info.type != BPF_PROG_TYPE_SCHED_CLS || info.nr_map_ids != 1 ||
      maps[0] != map_id || strcmp(info.name, PROG_NAME) != 0)
    return -1;
  return take_fd(&fd);
}

/* ---- the network's record ---- */

/* The "fastpath" row's data: "off", "<prog id> <map id>", or NULL without a row. */
static int read_row(hull_store *s, const char *net_id, char **data, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT coalesce(data, '') FROM net_objects WHERE kind = 'fastpath' AND name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  *data = NULL;
  int r = sqlite3_step(st);
  if (r == SQLITE_ROW && (*data = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
    return hull_error(err, ENOMEM, "fast path record");
  if (r != SQLITE_ROW && r != SQLITE_DONE)
    return hull_store_sqlerr(s, "read the fast path record", err);
  return 0;
}

static int write_row(hull_store *s, const char *net_id, const char *data, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s, "INSERT OR REPLACE INTO net_objects (kind, name, network_id, data) VALUES ('fastpath', ?1, ?1, ?2)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, data, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record the fast path", err);
  return 0;
}

int hull_fastpath_disable(hull_store *s, const hull_network *n, hull_err *err) {
  return write_row(s, n->id, "off", err);
}

/* <root>/fastpath.lock, held exclusively: two connects never make two maps for one
 * network, and a connect that enters its peers' entries never runs between a peer's
 * forget and that forget's end. */
static int lock_fastpath(hull_store *s, hull_err *err) {
  cleanup_close int lock = openat(s->rootfd, "fastpath.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) < 0)
    return hull_error_sys(err, "lock %s/fastpath.lock", s->root);
  return take_fd(&lock);
}

/* The network's program and map: the recorded ones while they live (a program lives as
 * long as it is attached to a veth), else new ones, recorded. The caller holds the lock.
 * *prog is -1 when the fast path is off for the network. */
static int handles(hull_store *s, const hull_network *n, int *prog, int *map, hull_err *err) {
  *prog = *map = -1;
  cleanup_free char *data = NULL;
  if (read_row(s, n->id, &data, err) < 0)
    return -1;
  if (data && strcmp(data, "off") == 0)
    return 0;
  unsigned prog_id = 0, map_id = 0;
  if (data && sscanf(data, "%u %u", &prog_id, &map_id) == 2 && (*map = map_by_id(n, map_id)) >= 0) {
    if ((*prog = prog_by_id(prog_id, map_id)) >= 0)
      return 0;
    close(*map);
    *map = -1;
  }
  cleanup_close int m = create_map(n, err);
  if (m < 0)
    return -1;
  cleanup_close int p = load_program(n, m, err);
  if (p < 0)
    return -1;
  char row[32];
  snprintf(row, sizeof(row), "%d %d", obj_id(p), obj_id(m));
  if (write_row(s, n->id, row, err) < 0)
    return -1;
  *prog = take_fd(&p);
  *map = take_fd(&m);
  return 0;
}

/* Deletes the entries whose ifindex is no longer their veth's: a veth deleted behind hull's
 * back (`ip link del`) leaves one until the next connect to the network. */
static void sweep(int map) {
  uint8_t key[KEY_SIZE], next[KEY_SIZE];
  union bpf_attr a = {0};
  a.map_fd = (uint32_t)map;
  a.next_key = (uint64_t)(uintptr_t)next;
  while (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) == 0) {
    fp_value v;
    char name[IF_NAMESIZE];
    union bpf_attr l = {0};
    memcpy(key, next, sizeof(key));
    a.key = (uint64_t)(uintptr_t)key;
    l.map_fd = (uint32_t)map;
    l.key = (uint64_t)(uintptr_t)key;
    l.value = (uint64_t)(uintptr_t)&v;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &l) < 0)
      continue;
    v.veth[sizeof(v.veth) - 1] = '\0';
    l.value = 0; /* the kernel refuses a delete with fields past the key set */
    if (if_indextoname(v.ifindex, name) == NULL || strcmp(name, v.veth) != 0)
      (void)sys_bpf(BPF_MAP_DELETE_ELEM, &l);
  }
}

/* One endpoint of the network: its host-side veth and its MAC. */
typedef struct fp_peer {
  char veth[IF_NAMESIZE];
  uint8_t mac[6];
} fp_peer;

/* The network's endpoints other than veth's whose host-side veth exists now (a container
 * torn down without its namespace has none). Their veth names and MACs follow from their
 * IPv4 leases, as network.c derives them. */
static int peers(hull_store *s, const hull_network *n, const char *veth, fp_peer **out, size_t *len, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "SELECT container_id, address FROM ip_leases WHERE family = 2 "
      "/* AF_INET */ AND network_id = ? AND container_id IN "
      "(SELECT id FROM containers) AND 'hv' || substr(container_id, 1, 8) || substr(network_id, 1, 5) NOT IN "
      "(SELECT name FROM net_objects WHERE kind = 'fastpath-gone')",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
  cleanup_free fp_peer *arr = NULL;
  size_t cnt = 0;
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    fp_peer p = {0};
    struct in_addr ip;
    snprintf(p.veth, sizeof(p.veth), "hv%.8s%.5s", (const char *)sqlite3_column_text(st, 0), n->id);
    if (strcmp(p.veth, veth) == 0 || inet_pton(AF_INET, (const char *)sqlite3_column_text(st, 1), &ip) != 1 ||
        if_nametoindex(p.veth) == 0)
      continue;
    p.mac[0] = 0x02, p.mac[1] = 0x42;
    memcpy(p.mac + 2, &ip, 4);
    fp_peer *grown = realloc(arr, (cnt + 1) * sizeof(*arr));
    if (grown == NULL)
      return hull_error(err, ENOMEM, "fast path peers");
    arr = grown;
    arr[cnt++] = p;
  }
  if (r != SQLITE_DONE)
    return hull_store_sqlerr(s, "list the fast path peers", err);
  *out = steal_pointer(&arr);
  *len = cnt;
  return 0;
}

/* A reconnect's veth (its name is the same) is an endpoint again. */
static int clear_gone(hull_store *s, const char *veth, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "DELETE FROM net_objects WHERE kind = 'fastpath-gone' AND name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, veth, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "clear a fast path endpoint's mark", err);
  return 0;
}

/* Puts the program on the endpoint's veth, then its entry in the map (the entry sends
 * other containers' frames to the veth's peer, which must be the container's interface by
 * then: connect wires it before, and a peer's veth is wired). An entry that already names
 * the veth says the program is on it (the entry is written only after the attach): that
 * veth is neither attached again nor loses its frame count. */
static void enter(const hull_network *n, hull_nl *nl, int prog, int map, const fp_peer *p) {
  int ifindex = (int)if_nametoindex(p->veth);
  uint8_t key[KEY_SIZE] = {0};
  memcpy(key, p->mac, 6);
  fp_value v = {.ifindex = (uint32_t)ifindex}, old = {0};
  snprintf(v.veth, sizeof(v.veth), "%s", p->veth);
  union bpf_attr a = {0};
  a.map_fd = (uint32_t)map;
  a.key = (uint64_t)(uintptr_t)key;
  a.value = (uint64_t)(uintptr_t)&old;
  if (ifindex != 0 && sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0 && old.ifindex == v.ifindex &&
      strncmp(old.veth, v.veth, sizeof(v.veth)) == 0)
    return;
  if (ifindex == 0) {
    hull_debug("network %s: %s is gone", n->name, p->veth);
    return;
  }
  hull_err local = NULL;
  if (hull_nl_ingress_bpf(nl, ifindex, prog, PROG_NAME, &local) < 0) {
    hull_debug("network %s: %s takes the bridge path: %s", n->name, p->veth, local->msg);
    hull_error_release(&local);
    return;
  }
  a.value = (uint64_t)(uintptr_t)&v;
  a.flags = BPF_ANY;
  if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
    hull_debug("network %s: %s takes the bridge path: %s", n->name, p->veth, strerror(errno));
}

int hull_fastpath_add(hull_store *s, const hull_network *n, hull_nl *nl, const char *veth, const uint8_t mac[6],
                      hull_err *err) {
  cleanup_close int lock = lock_fastpath(s, err);
  if (lock < 0)
    return -1;
  /* A lone endpoint has no peer to redirect to: it gets no program, and its run does no
   * BPF work at all. The first peer to join attaches to both (docs/design.md). */
  cleanup_free fp_peer *others = NULL;
  size_t nothers = 0;
  if (clear_gone(s, veth, err) < 0 || peers(s, n, veth, &others, &nothers, err) < 0)
    return -1;
  if (nothers == 0)
    return 0;
  hull_err local = NULL;
  cleanup_close int prog = -1;
  cleanup_close int map = -1;
  int r = handles(s, n, &prog, &map, &local);
  if (r < 0 && local->errno_ != EPERM && local->errno_ != EINVAL && local->errno_ != ENOSYS &&
      local->errno_ != EACCES && local->errno_ != ENOMEM) {
    *err = local;
    return -1;
  }
  if (r < 0) {
    hull_debug("network %s: no fast path, the bridge carries all traffic: %s", n->name, local->msg);
    hull_error_release(&local);
    return 0;
  }
  if (prog < 0)
    return 0;
  cleanup_nl hull_nl *own_nl = NULL;
  if (nl == NULL && hull_nl_open(NULL, &own_nl, err) < 0)
    return -1;
  sweep(map);
  fp_peer self = {0};
  snprintf(self.veth, sizeof(self.veth), "%s", veth);
  memcpy(self.mac, mac, 6);
  enter(n, nl ? nl : own_nl, prog, map, &self);
  for (size_t i = 0; i < nothers; i++)
    enter(n, nl ? nl : own_nl, prog, map, &others[i]);
  return 0;
}

/* Deletes one container's entry: its MAC follows from its IPv4 address. */
static void forget_one(hull_store *s, const char *net_id, const char *address, hull_err *err) {
  struct in_addr ip;
  cleanup_free char *data = NULL;
  unsigned prog_id = 0, map_id = 0;
  hull_network n = {0};
  snprintf(n.id, sizeof(n.id), "%s", net_id);
  if (inet_pton(AF_INET, address, &ip) != 1 || read_row(s, net_id, &data, err) < 0 || data == NULL ||
      sscanf(data, "%u %u", &prog_id, &map_id) != 2)
    return;
  cleanup_close int map = map_by_id(&n, map_id);
  if (map < 0)
    return; /* the map is gone with its last veth, and its entries with it */
  uint8_t key[KEY_SIZE] = {0x02, 0x42};
  memcpy(key + 2, &ip, 4);
  union bpf_attr a = {0};
  a.map_fd = (uint32_t)map;
  a.key = (uint64_t)(uintptr_t)key;
  if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) < 0 && errno != ENOENT)
    hull_warn("network %.12s: remove the fast path entry of %s: %s", net_id, address, strerror(errno));
}

/* Records that ctr_id's endpoints on net_id (NULL: all) are leaving, so that no later
 * connect enters them again from their leases (held until the veths are gone); a connect
 * of the container clears the mark, hull_fastpath_prune removes it with the lease. One
 * statement, before any read: a write after a read of the same transaction would get
 * SQLITE_BUSY at once from a concurrent writer instead of waiting. */
static int mark_gone(hull_store *s, const char *net_id, const char *ctr_id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "INSERT OR REPLACE INTO net_objects (kind, name, container_id, network_id) SELECT 'fastpath-gone', 'hv' || "
      "substr(container_id, 1, 8) || substr(network_id, 1, 5), container_id, network_id FROM ip_leases WHERE "
      "family = 2 /* AF_INET */ AND container_id = ?2 AND (?1 IS NULL OR network_id = ?1) AND network_id NOT IN "
      "(SELECT name FROM net_objects WHERE kind = 'fastpath' AND data = 'off')",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ctr_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record a leaving fast path endpoint", err);
  return 0;
}

int hull_fastpath_prune(hull_store *s, hull_err *err) {
  return hull_store_exec(
      s,
      "DELETE FROM net_objects WHERE kind = 'fastpath-gone' AND NOT EXISTS (SELECT 1 FROM ip_leases l "
      "WHERE l.container_id = net_objects.container_id AND l.network_id = net_objects.network_id)",
      "forget the marks of left fast path endpoints", err);
}

/* Whether forget has anything to do: an IPv4 lease of the container (or, for gc, of a
 * container that is gone). Without one (--network none, a gc with nothing to collect) the
 * lock is not taken at all: no connect can be racing for an entry that has no lease. */
static bool has_leases(hull_store *s, const char *net_id, const char *ctr_id) {
  hull_err ignored = NULL;
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "SELECT 1 FROM ip_leases WHERE family = 2 /* AF_INET */ AND (?1 IS NULL OR network_id = ?1) AND "
      "(?2 IS NOT NULL OR container_id NOT IN (SELECT id FROM containers)) AND (?2 IS NULL OR container_id = ?2) "
      "LIMIT 1",
      &ignored);
  if (st == NULL) {
    hull_error_release(&ignored);
    return true; /* let forget's own statements report it */
  }
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ctr_id, -1, SQLITE_STATIC);
  return sqlite3_step(st) != SQLITE_DONE;
}

int hull_fastpath_forget(hull_store *s, const char *net_id, const char *ctr_id, hull_err *err) {
  if (!has_leases(s, net_id, ctr_id))
    return 0;
  /* Under the lock: a connect that enters its peers' entries from the leases runs either
   * before (its entry of this container is deleted here) or after the mark. */
  cleanup_close int lock = lock_fastpath(s, err);
  if (lock < 0 || (ctr_id && mark_gone(s, net_id, ctr_id, err) < 0))
    return -1;
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "SELECT network_id, address FROM ip_leases WHERE family = 2 /* AF_INET */ AND (?1 IS NULL OR "
      "network_id = ?1) AND "
      "(?2 IS NOT NULL OR container_id NOT IN (SELECT id FROM containers)) AND (?2 IS NULL OR container_id = ?2) "
      "AND network_id IN (SELECT name FROM net_objects WHERE kind = 'fastpath' AND data <> 'off')",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ctr_id, -1, SQLITE_STATIC);
  int r;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    hull_err local = NULL;
    forget_one(s, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), &local);
    if (local) {
      *err = local;
      return -1;
    }
  }
  if (r != SQLITE_DONE)
    return hull_store_sqlerr(s, "list the fast path entries", err);
  return 0;
}

/* Appends the map's entries to arr. */
static int dump(int map, json_t *arr, hull_err *err) {
  uint8_t key[KEY_SIZE], next[KEY_SIZE];
  union bpf_attr a = {0};
  a.map_fd = (uint32_t)map;
  a.key = 0; /* the first key */
  a.next_key = (uint64_t)(uintptr_t)next;
  while (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) == 0) {
    fp_value v;
    union bpf_attr l = {0};
    l.map_fd = (uint32_t)map;
    l.key = (uint64_t)(uintptr_t)next;
    l.value = (uint64_t)(uintptr_t)&v;
    memcpy(key, next, sizeof(key));
    a.key = (uint64_t)(uintptr_t)key;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &l) < 0)
      continue; /* deleted meanwhile */
    char mac[18];
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", key[0], key[1], key[2], key[3], key[4], key[5]);
    v.veth[sizeof(v.veth) - 1] = '\0';
    if (json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:I}", "MacAddress", mac, "Ifindex", (int)v.ifindex,
                                             "Veth", v.veth, "Packets", (json_int_t)v.packets)) < 0)
      return hull_error(err, ENOMEM, "fast path entries");
  }
  if (errno != ENOENT)
    return hull_error_sys(err, "list the fast path entries");
  return 0;
}

json_t *hull_fastpath_inspect(hull_store *s, const hull_network *n, hull_err *err) {
  cleanup_free char *data = NULL;
  if (read_row(s, n->id, &data, err) < 0)
    return NULL;
  bool off = data && strcmp(data, "off") == 0;
  cleanup_json json_t *o = json_pack("{s:b, s:[]}", "Enabled", !off, "Entries");
  if (o == NULL) {
    hull_error(err, ENOMEM, "inspect the fast path");
    return NULL;
  }
  unsigned prog_id = 0, map_id = 0;
  cleanup_close int map = data && sscanf(data, "%u %u", &prog_id, &map_id) == 2 ? map_by_id(n, map_id) : -1;
  if (map >= 0 && dump(map, json_object_get(o, "Entries"), err) < 0)
    return NULL;
  return steal_pointer(&o);
}
