/* cgroup v2 device control: the OCI device rules compiled into a tiny eBPF program of
 * type BPF_PROG_TYPE_CGROUP_DEVICE (what runc and crun do). The program reads the
 * request (type, access, major, minor) and walks the rules from the last to the first:
 * the first one that matches decides, as with v1's ordered allow/deny files; a request
 * that no rule matches is denied. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "cgroup-devices.h"

#define INSN(c, d, s_, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s_), .off = (o), .imm = (i)})
#define LDX_W(d, s_, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s_, o, 0)
#define ALU32_K(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV64_X(d, s_) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s_, 0, 0)
#define MOV64_K(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_K(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static long bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

/* Appends the block of one rule; every mismatch jumps past the block. */
static size_t emit_rule(struct bpf_insn *p, const struct hull_dev_match *r) {
  size_t n = 0, checks[4];
  int nc = 0;
  if (r->type != 'a') {
    checks[nc++] = n;
    p[n++] = JNE_K(2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
  }
  if ((r->access & 7u) != 7u) {
    /* every requested access bit must be one the rule names */
    p[n++] = MOV64_X(1, 3);
    p[n++] = ALU32_K(BPF_AND, 1, (int32_t)(~r->access & 7u));
    checks[nc++] = n;
    p[n++] = JNE_K(1, 0, 0);
  }
  if (r->major >= 0) {
    checks[nc++] = n;
    p[n++] = JNE_K(4, (int32_t)r->major, 0);
  }
  if (r->minor >= 0) {
    checks[nc++] = n;
    p[n++] = JNE_K(5, (int32_t)r->minor, 0);
  }
  p[n++] = MOV64_K(0, r->allow ? 1 : 0);
  p[n++] = EXIT();
  for (int i = 0; i < nc; i++)
    p[checks[i]].off = (int16_t)(n - checks[i] - 1);
  return n;
}

static int detach_others(int dirfd, int keep_fd, hull_err *err) {
  uint32_t ids[64];
  union bpf_attr q;
  memset(&q, 0, sizeof(q));
  q.query.target_fd = (uint32_t)dirfd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = (uint64_t)(uintptr_t)ids;
  q.query.prog_cnt = 64;
  if (bpf(BPF_PROG_QUERY, &q) < 0)
    return hull_error_sys(err, "query the device programs of the cgroup");
  union bpf_attr info_attr;
  struct bpf_prog_info keep_info;
  memset(&keep_info, 0, sizeof(keep_info));
  memset(&info_attr, 0, sizeof(info_attr));
  info_attr.info.bpf_fd = (uint32_t)keep_fd;
  info_attr.info.info_len = sizeof(keep_info);
  info_attr.info.info = (uint64_t)(uintptr_t)&keep_info;
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, &info_attr) < 0)
    return hull_error_sys(err, "inspect the new device program");
  for (uint32_t i = 0; i < q.query.prog_cnt; i++) {
    if (ids[i] == keep_info.id)
      continue;
    union bpf_attr g;
    memset(&g, 0, sizeof(g));
    g.prog_id = ids[i];
    cleanup_close int fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &g);
    if (fd < 0)
      return hull_error_sys(err, "open device program %u", ids[i]);
    union bpf_attr d;
    memset(&d, 0, sizeof(d));
    d.target_fd = (uint32_t)dirfd;
    d.attach_bpf_fd = (uint32_t)fd;
    d.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &d) < 0)
      return hull_error_sys(err, "detach the previous device program %u", ids[i]);
  }
  return 0;
}

int hull_cg_devices_bpf(const char *dir, const struct hull_dev_match *rules, size_t n, hull_err *err) {
  /* 6 loads + at most 9 instructions per rule + the final deny */
  size_t cap = 8 + n * 9;
  cleanup_free struct bpf_insn *prog = calloc(cap, sizeof(*prog));
  if (prog == NULL)
    return hull_error(err, ENOMEM, "device program for %s", dir);
  size_t len = 0;
  prog[len++] = LDX_W(2, 1, 0); /* r2 = access_type */
  prog[len++] = ALU32_K(BPF_AND, 2, 0xffff); /* r2 = device type */
  prog[len++] = LDX_W(3, 1, 0);
  prog[len++] = ALU32_K(BPF_RSH, 3, 16); /* r3 = access */
  prog[len++] = LDX_W(4, 1, 4); /* r4 = major */
  prog[len++] = LDX_W(5, 1, 8); /* r5 = minor */
  /* A rule without conditions (type a, any numbers, rwm) always decides: nothing after
   * it could run, and the verifier refuses unreachable instructions. */
  bool decided = false;
  for (size_t i = n; i-- > 0 && !decided;) {
    const struct hull_dev_match *r = &rules[i];
    len += emit_rule(prog + len, r);
    decided = r->type == 'a' && (r->access & 7u) == 7u && r->major < 0 && r->minor < 0;
  }
  if (!decided) {
    prog[len++] = MOV64_K(0, 0);
    prog[len++] = EXIT();
  }

  char log[4096] = "";
  union bpf_attr load;
  memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)prog;
  load.insn_cnt = (uint32_t)len;
  load.license = (uint64_t)(uintptr_t) "Apache";
  /* Without a verifier log first: with one, a valid program whose log outgrows the
   * buffer (many rules, as containerd's default spec has) fails with ENOSPC. The log is
   * asked for only to explain a refusal. */
  cleanup_close int pfd = (int)bpf(BPF_PROG_LOAD, &load);
  if (pfd < 0) {
    int saved = errno;
    load.log_buf = (uint64_t)(uintptr_t)log;
    load.log_size = sizeof(log);
    load.log_level = 1;
    int again = (int)bpf(BPF_PROG_LOAD, &load);
    if (again >= 0)
      close(again);
    errno = saved;
    return hull_error_sys(err, "load the device program for %s (%.200s)", dir, log);
  }
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  union bpf_attr at;
  memset(&at, 0, sizeof(at));
  at.target_fd = (uint32_t)dfd;
  at.attach_bpf_fd = (uint32_t)pfd;
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &at) < 0)
    return hull_error_sys(err, "attach the device program to %s", dir);
  /* The new program is in place: remove older ones (an update), so that only the
   * current rules apply. */
  return detach_others(dfd, pfd, err);
}
