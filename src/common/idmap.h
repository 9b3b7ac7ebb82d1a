/* The id maps of a user namespace (CONTAINER:HOST:SIZE ranges, as in /proc/PID/uid_map),
 * and the translation of ids both ways. Shared by the engine (which records a container's
 * maps) and the code that writes a container's files as layers, tarballs or copies: those
 * carry the container's ids, not the host ids its files have on disk. */
#ifndef HULL_COMMON_IDMAP_H
#define HULL_COMMON_IDMAP_H

#include <stddef.h>
#include <stdint.h>

/* The id the kernel shows for a host id the namespace does not map (the default of
 * /proc/sys/kernel/overflowuid and overflowgid). */
#define HULL_OVERFLOW_ID 65534u

typedef struct hull_idmap {
  uint32_t ctr, host, size;
} hull_idmap;

/* A container's uid and gid maps (views of arrays held elsewhere). */
typedef struct hull_idmaps {
  const hull_idmap *uid, *gid;
  size_t n_uid, n_gid;
} hull_idmaps;

/* The host id of container id id, or UINT32_MAX when it is not mapped. */
static inline uint32_t hull_idmap_host(const hull_idmap *m, size_t n, uint32_t id) {
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].ctr && id - m[i].ctr < m[i].size)
      return m[i].host + (id - m[i].ctr);
  return UINT32_MAX;
}

/* The container id of host id id, or UINT32_MAX when it is not mapped. */
static inline uint32_t hull_idmap_ctr(const hull_idmap *m, size_t n, uint32_t id) {
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].host && id - m[i].host < m[i].size)
      return m[i].ctr + (id - m[i].host);
  return UINT32_MAX;
}

/* What the container sees as the owner of a file with host id id: its id, or the overflow
 * id as the kernel shows an unmapped one. */
static inline uint32_t hull_idmap_ctr_seen(const hull_idmap *m, size_t n, uint32_t id) {
  uint32_t c = hull_idmap_ctr(m, n, id);
  return c == UINT32_MAX ? HULL_OVERFLOW_ID : c;
}

#endif
