/* IPv4 and IPv6 addresses and prefixes for the network code: parsing, printing, arithmetic
 * inside a subnet. An IPv4 address is kept in the first 4 bytes of b[]. */
#ifndef HULL_NETWORK_ADDR_H
#define HULL_NETWORK_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef struct hull_ip {
  int family; /* AF_INET or AF_INET6; 0 when unset */
  uint8_t b[16];
} hull_ip;

typedef struct hull_prefix {
  hull_ip ip;
  int len;
} hull_prefix;

#define HULL_IP_STRLEN INET6_ADDRSTRLEN
#define HULL_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

static inline int hull_ip_bytes(const hull_ip *a) { return a->family == AF_INET ? 4 : 16; }
static inline int hull_ip_bits(const hull_ip *a) { return hull_ip_bytes(a) * 8; }
/* 0.0.0.0 or ::, which a published port's host address uses for "every address of the
 * family". */
static inline bool hull_ip_unspecified(const hull_ip *a) {
  for (int i = 0; i < hull_ip_bytes(a); i++)
    if (a->b[i])
      return false;
  return a->family != 0;
}

/* Parses "10.0.0.1" or "fd00::1"; what names the flag in the error. */
int hull_ip_parse(const char *s, hull_ip *out, const char *what, hull_err *err) HULL_WUR;
/* Parses "10.0.0.0/16"; host bits must be zero unless allow_host is set (an address with
 * its prefix length, as on an interface). */
int hull_prefix_parse(const char *s, hull_prefix *out, bool allow_host, const char *what, hull_err *err) HULL_WUR;
void hull_ip_format(const hull_ip *a, char out[HULL_IP_STRLEN]);
void hull_prefix_format(const hull_prefix *p, char out[HULL_PREFIX_STRLEN]);
int hull_ip_cmp(const hull_ip *a, const hull_ip *b);
bool hull_prefix_contains(const hull_prefix *p, const hull_ip *a);
bool hull_prefix_overlaps(const hull_prefix *a, const hull_prefix *b);
/* The first and last address of the prefix (network and broadcast for IPv4). */
hull_ip hull_prefix_first(const hull_prefix *p);
hull_ip hull_prefix_last(const hull_prefix *p);
/* a + n (n may be negative); wraps silently, callers compare with the prefix's bounds. */
hull_ip hull_ip_add(const hull_ip *a, int64_t n);

#endif
