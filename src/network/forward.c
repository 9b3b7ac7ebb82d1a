#include "network/forward.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define CONF6 "/proc/sys/net/ipv6/conf"

static int write_sysctl(const char *path, const char *value, hull_err *err) {
  return hull_write_file(path, value, strlen(value), err);
}

/* The first character of a sysctl file, '\0' when it is absent (IPv6 disabled on the host
 * or the interface gone since it was listed). */
static int read_sysctl(const char *path, char *out, hull_err *err) {
  hull_err e = NULL;
  size_t len = 0;
  cleanup_free char *s = hull_read_file(path, &len, &e);
  if (s == NULL) {
    if (e->errno_ == ENOENT) {
      /* An absent file is a state, not a failure. */
      hull_error_release(&e);
      *out = '\0';
      return 0;
    }
    *err = e;
    return -1;
  }
  *out = len > 0 ? s[0] : '\0';
  return 0;
}

/* accept_ra=1 is ignored once the host forwards, and turning net.ipv6.conf.all.forwarding
 * on deletes at once the default routes learned from router advertisements except on
 * interfaces with accept_ra=2: so every interface that took them gets 2 before, as an
 * administrator of a router would set it (Docker leaves this to the administrator, whose
 * host then loses its IPv6 default route). The bridges of hull have 0 and keep it. New
 * interfaces are left to whoever makes them: net.ipv6.conf.default.accept_ra is not
 * changed, so that no later interface facing containers takes their advertisements. */
static int keep_router_advertisements(hull_err *err) {
  cleanup_dir DIR *d = opendir(CONF6);
  if (d == NULL)
    return hull_error_sys(err, "open %s", CONF6);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || strcmp(de->d_name, "all") == 0 || strcmp(de->d_name, "default") == 0)
      continue;
    char path[sizeof(CONF6) + 256 + 16];
    snprintf(path, sizeof(path), CONF6 "/%s/accept_ra", de->d_name);
    char v;
    if (read_sysctl(path, &v, err) < 0)
      return -1;
    if (v == '1' && write_sysctl(path, "2", err) < 0)
      return -1;
  }
  return 0;
}

static int enable_ipv6(hull_err *err) {
  char all, dflt;
  if (read_sysctl(CONF6 "/all/forwarding", &all, err) < 0 || read_sysctl(CONF6 "/default/forwarding", &dflt, err) < 0)
    return -1;
  if (all == '\0')
    return hull_error(err, EAFNOSUPPORT, "IPv6 forwarding: %s/all/forwarding missing (IPv6 disabled?)", CONF6);
  if (all == '1' && dflt == '1')
    return 0;
  if (all != '1' && keep_router_advertisements(err) < 0)
    return -1;
  /* default first: interfaces made between the two writes forward too. Setting all also sets
   * default, but an administrator may have set all alone. */
  if (write_sysctl(CONF6 "/default/forwarding", "1", err) < 0)
    return -1;
  return all == '1' ? 0 : write_sysctl(CONF6 "/all/forwarding", "1", err);
}

int hull_forward_enable(const char *bridge, bool ipv6, hull_err *err) {
  char path[128];
  snprintf(path, sizeof(path), CONF6 "/%s/accept_ra", bridge);
  char v;
  if (read_sysctl(path, &v, err) < 0)
    return -1;
  /* Absent on a host without IPv6: nothing can be advertised to it then. */
  if (v != '\0' && v != '0' && write_sysctl(path, "0", err) < 0)
    return -1;
  if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
    return -1;
  return ipv6 ? enable_ipv6(err) : 0;
}
