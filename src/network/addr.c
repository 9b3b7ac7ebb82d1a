#include "network/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hull_ip_parse(const char *s, hull_ip *out, const char *what, hull_err *err) {
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, s, out->b) == 1)
    out->family = AF_INET;
  else if (inet_pton(AF_INET6, s, out->b) == 1)
    out->family = AF_INET6;
  else
    return hull_error_code(err, EINVAL, "invalid %s \"%s\": not an IPv4 or IPv6 address", what, s);
  return 0;
}

static void mask_host_bits(hull_ip *a, int len) {
  for (int i = 0; i < hull_ip_bytes(a); i++) {
    int keep = len - i * 8;
    if (keep <= 0)
      a->b[i] = 0;
    else if (keep < 8)
      a->b[i] &= (uint8_t)(0xff << (8 - keep));
  }
}

int hull_prefix_parse(const char *s, hull_prefix *out, bool allow_host, const char *what, hull_err *err) {
  char buf[HULL_PREFIX_STRLEN];
  const char *slash = strchr(s, '/');
  if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
    return hull_error_code(err, EINVAL, "invalid %s \"%s\": expected ADDRESS/LENGTH", what, s);
  memcpy(buf, s, (size_t)(slash - s));
  buf[slash - s] = '\0';
  hull_err local = NULL;
  if (hull_ip_parse(buf, &out->ip, what, &local) < 0) {
    hull_error_release(&local);
    return hull_error_code(err, EINVAL, "invalid %s \"%s\": not an IPv4 or IPv6 prefix", what, s);
  }
  char *end = NULL;
  errno = 0;
  long len = strtol(slash + 1, &end, 10);
  if (slash[1] == '\0' || *end != '\0' || errno != 0 || len < 0 || len > hull_ip_bits(&out->ip))
    return hull_error_code(err, EINVAL, "invalid %s \"%s\": bad prefix length", what, s);
  out->len = (int)len;
  if (!allow_host) {
    hull_ip net = out->ip;
    mask_host_bits(&net, out->len);
    if (hull_ip_cmp(&net, &out->ip) != 0) {
      char want[HULL_IP_STRLEN];
      hull_ip_format(&net, want);
      return hull_error_code(err, EINVAL, "invalid %s \"%s\": host bits are set (did you mean %s/%d?)", what, s, want,
                             out->len);
    }
  }
  return 0;
}

void hull_ip_format(const hull_ip *a, char out[HULL_IP_STRLEN]) {
  if (a->family == 0 || inet_ntop(a->family, a->b, out, HULL_IP_STRLEN) == NULL)
    snprintf(out, HULL_IP_STRLEN, "%s", "");
}

void hull_prefix_format(const hull_prefix *p, char out[HULL_PREFIX_STRLEN]) {
  char ip[HULL_IP_STRLEN];
  hull_ip_format(&p->ip, ip);
  snprintf(out, HULL_PREFIX_STRLEN, "%s/%d", ip, p->len);
}

int hull_ip_cmp(const hull_ip *a, const hull_ip *b) {
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1;
  return memcmp(a->b, b->b, (size_t)hull_ip_bytes(a));
}

bool hull_prefix_contains(const hull_prefix *p, const hull_ip *a) {
  if (a->family != p->ip.family)
    return false;
  hull_ip net = *a;
  mask_host_bits(&net, p->len);
  return hull_ip_cmp(&net, &p->ip) == 0;
}

bool hull_prefix_overlaps(const hull_prefix *a, const hull_prefix *b) {
  if (a->ip.family != b->ip.family)
    return false;
  /* Two prefixes overlap exactly when the shorter one contains the other's network. */
  return a->len <= b->len ? hull_prefix_contains(a, &b->ip) : hull_prefix_contains(b, &a->ip);
}

hull_ip hull_prefix_first(const hull_prefix *p) {
  hull_ip r = p->ip;
  mask_host_bits(&r, p->len);
  return r;
}

hull_ip hull_prefix_last(const hull_prefix *p) {
  hull_ip r = hull_prefix_first(p);
  for (int i = 0; i < hull_ip_bytes(&r); i++) {
    int keep = p->len - i * 8;
    if (keep <= 0)
      r.b[i] = 0xff;
    else if (keep < 8)
      r.b[i] |= (uint8_t)(0xff >> keep);
  }
  return r;
}

hull_ip hull_ip_add(const hull_ip *a, int64_t n) {
  hull_ip r = *a;
  int carry = 0;
  uint64_t add = (uint64_t)n;
  /* Two's complement: a negative n adds 0xff.. to the bytes above its 64 bits. */
  uint8_t hi = n < 0 ? 0xff : 0;
  for (int i = hull_ip_bytes(&r) - 1, k = 0; i >= 0; i--, k++) {
    unsigned byte = k < 8 ? (unsigned)((add >> (8 * k)) & 0xff) : hi;
    unsigned sum = r.b[i] + byte + (unsigned)carry;
    r.b[i] = (uint8_t)sum;
    carry = sum > 0xff;
  }
  return r;
}
