#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/durable.h"
#include "image/reference.h"
#include "storage/overlay.h"
#include "storage/rmtree.h"

#define RESERVE_BYTES (8 << 20)
#define BLOB_WRITEBACK_EVERY (8 << 20)
#define BUSY_TIMEOUT_MS HULL_STORE_BUSY_MS

/* Version 1 of the schema. Digests keep their "sha256:" prefix everywhere. The containers
 * table belongs to the engine; it is created here so that rmi can refuse an image in use. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS layers ("
    "  chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0, tar_size INTEGER NOT NULL DEFAULT 0, incomplete INTEGER NOT NULL DEFAULT 1,"
    "  dir TEXT NOT NULL UNIQUE, owner_pid INTEGER, owner_start INTEGER);"
    "CREATE TABLE IF NOT EXISTS images ("
    "  id TEXT PRIMARY KEY, manifest TEXT NOT NULL, created INTEGER NOT NULL,"
    "  added INTEGER NOT NULL, size INTEGER NOT NULL, parent TEXT);"
    "CREATE TABLE IF NOT EXISTS image_layers ("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  chain_id TEXT NOT NULL REFERENCES layers(chain_id), blob TEXT NOT NULL,"
    "  media_type TEXT NOT NULL, PRIMARY KEY (image_id, idx));"
    "CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);"
    "CREATE TABLE IF NOT EXISTS image_blobs ("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, digest TEXT NOT NULL,"
    "  PRIMARY KEY (image_id, digest));"
    "CREATE INDEX IF NOT EXISTS image_blobs_digest ON image_blobs(digest);"
    "CREATE TABLE IF NOT EXISTS tags ("
    "  name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id));"
    "CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);"
    "CREATE TABLE IF NOT EXISTS containers ("
    "  id TEXT PRIMARY KEY, name TEXT UNIQUE, image_id TEXT REFERENCES images(id));"
    "PRAGMA user_version = 1;";

/* Version 2: the engine's container records (src/engine/record.c). A row is written before
 * anything of the container exists on disk and removed after everything is gone, so a
 * container whose creator died is found by its row (state 'creating' with a dead owner).
 * Times are nanoseconds since the epoch; config and host_config are Docker's Config and
 * HostConfig objects as JSON text. */
static const char *const containers_v2[][2] = {
    {"image_name", "TEXT NOT NULL DEFAULT ''"},
    {"created", "INTEGER NOT NULL DEFAULT 0"},
    {"state", "TEXT NOT NULL DEFAULT 'creating'"},
    {"config", "TEXT NOT NULL DEFAULT '{}'"},
    {"host_config", "TEXT NOT NULL DEFAULT '{}'"},
    {"owner_pid", "INTEGER"},
    {"owner_start", "INTEGER"},
    {"pid", "INTEGER"},
    {"pid_start", "INTEGER"},
    {"started_at", "INTEGER NOT NULL DEFAULT 0"},
};

/* Adds to TABLE the columns it lacks (SQLite has no ADD COLUMN IF NOT EXISTS): a store whose
 * version number was set back (or a half-applied copy) is migrated all the same. */
static int add_columns(hull_store *s, const char *table, const char *const (*cols)[2], size_t n, hull_err *err) {
  for (size_t i = 0; i < n; i++) {
    cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cols[i][0], -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      continue;
    char sql[160];
    snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", table, cols[i][0], cols[i][1]);
    if (hull_store_exec(s, sql, "migrate schema", err) < 0)
      return -1;
  }
  return 0;
}

static int migrate_v2(hull_store *s, hull_err *err) {
  if (add_columns(s, "containers", containers_v2, sizeof(containers_v2) / sizeof(containers_v2[0]), err) < 0)
    return -1;
  return hull_store_exec(s, "PRAGMA user_version = 2", "migrate schema to version 2", err);
}

/* Version 3: a container's overlay storage (src/storage/overlay.c), recorded before its
 * directory is made, and the layers it is mounted from, which must stay while it exists.
 * (Version 2 is the engine's: the columns of its container records.) Every statement is
 * "IF NOT EXISTS", so the step may run on a store that has it. */
static const char schema_v3[] =
    "CREATE TABLE IF NOT EXISTS storage ("
    "  id TEXT PRIMARY KEY, incomplete INTEGER NOT NULL DEFAULT 1, read_only INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL, owner_pid INTEGER, owner_start INTEGER);"
    "CREATE TABLE IF NOT EXISTS storage_layers ("
    "  id TEXT NOT NULL REFERENCES storage(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  chain_id TEXT NOT NULL REFERENCES layers(chain_id), PRIMARY KEY (id, idx));"
    "CREATE INDEX IF NOT EXISTS storage_layers_chain ON storage_layers(chain_id);"
    "PRAGMA user_version = 3;";
/* Version 4: networks (src/network/ipam.c). A network's addresses are text as inet_ntop
 * prints them; a lease belongs to a container row, and one whose container row is gone is
 * reclaimed. net_objects records every object hull makes on the host (bridge, veth, nft
 * chain, DNS responder) before it is made, so that a crash leaves nothing that gc cannot
 * find. Every statement is "IF NOT EXISTS", so the step may run on a store that has it (a
 * store made by the network branch before its tables became a step of their own). */
static const char schema_v4[] =
    "CREATE TABLE IF NOT EXISTS networks ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT NOT NULL, bridge TEXT NOT NULL UNIQUE,"
    "  subnet TEXT NOT NULL, gateway TEXT NOT NULL, ip_range TEXT, subnet6 TEXT, gateway6 TEXT,"
    "  internal INTEGER NOT NULL DEFAULT 0, mtu INTEGER NOT NULL DEFAULT 0, labels TEXT NOT NULL DEFAULT '{}',"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ip_leases ("
    "  network_id TEXT NOT NULL REFERENCES networks(id), address TEXT NOT NULL, family INTEGER NOT NULL,"
    "  container_id TEXT NOT NULL, names TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (network_id, address), UNIQUE (network_id, container_id, family));"
    "CREATE INDEX IF NOT EXISTS ip_leases_container ON ip_leases(container_id);"
    "CREATE TABLE IF NOT EXISTS port_maps ("
    "  container_id TEXT NOT NULL, proto TEXT NOT NULL, host_ip TEXT NOT NULL, host_port INTEGER NOT NULL,"
    "  ctr_ip TEXT NOT NULL, ctr_port INTEGER NOT NULL, PRIMARY KEY (proto, host_port, host_ip));"
    "CREATE INDEX IF NOT EXISTS port_maps_container ON port_maps(container_id);"
    "CREATE TABLE IF NOT EXISTS net_objects ("
    "  kind TEXT NOT NULL, name TEXT NOT NULL, container_id TEXT, network_id TEXT, data TEXT,"
    "  PRIMARY KEY (kind, name));"
    "PRAGMA user_version = 4;";
/* Version 5: named volumes (src/engine/volume.c) and which container uses which; a row of
 * container_volumes goes with its container's row, so a volume is in use exactly while a
 * container that mounts it exists. */
static const char schema_v5[] =
    "CREATE TABLE IF NOT EXISTS volumes ("
    "  name TEXT PRIMARY KEY, created INTEGER NOT NULL, anonymous INTEGER NOT NULL DEFAULT 0,"
    "  labels TEXT NOT NULL DEFAULT '{}', populated INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS container_volumes ("
    "  ctr_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL REFERENCES volumes(name), PRIMARY KEY (ctr_id, name));"
    "CREATE INDEX IF NOT EXISTS container_volumes_name ON container_volumes(name);"
    "PRAGMA user_version = 5;";
/* Version 6: where each blob came from or went to (src/image/sources.c), as containerd's
 * "distribution source" labels: a push asks the registry to mount a blob it lacks from
 * another repository of the same registry that has it, instead of uploading it again. A
 * row is a hint, not a reference: it keeps no blob alive, and one whose blob is gone (or
 * whose repository lost it) costs only a mount the registry refuses. */
static const char schema_v6[] =
    "CREATE TABLE IF NOT EXISTS blob_sources ("
    "  digest TEXT NOT NULL, registry TEXT NOT NULL, repository TEXT NOT NULL, seen INTEGER NOT NULL,"
    "  PRIMARY KEY (digest, registry, repository));"
    "PRAGMA user_version = 6;";
/* Version 7: the id ranges of containers' user namespaces (--userns auto, engine/userns.c).
 * A row is written in the same write transaction that chose its range, so two creates never
 * get overlapping ranges; it goes with its container's row (rm releases the range). */
static const char schema_v7[] = "CREATE TABLE IF NOT EXISTS userns_ranges ("
                                "  ctr_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,"
                                "  uid_start INTEGER NOT NULL, gid_start INTEGER NOT NULL, size INTEGER NOT NULL);"
                                "PRAGMA user_version = 7;";
/* Version 8: layers unpacked but not yet known to be on disk (src/image/durable.c), with
 * the boot they were made in. seq is AUTOINCREMENT, never reused: a syncer clears only the
 * rows it saw before its sync began. */
static const char schema_v8[] = "CREATE TABLE IF NOT EXISTS layers_pending ("
                                "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                "  chain_id TEXT NOT NULL UNIQUE REFERENCES layers(chain_id) ON DELETE CASCADE,"
                                "  boot_id TEXT NOT NULL, added INTEGER NOT NULL);"
                                "PRAGMA user_version = 8;";
/* The network branch's first ip_leases (its version 2) had no names column. */
static const char *const ip_leases_v4[][2] = {{"names", "TEXT NOT NULL DEFAULT ''"}};
/* The tables of version 9 (sqlite_sequence, SQLite's own, aside). */
static const char *const schema_tables[] = {
    "layers",         "images",        "image_layers",  "image_blobs", "tags",        "containers", "storage",
    "storage_layers", "networks",      "ip_leases",     "port_maps",   "net_objects", "volumes",    "container_volumes",
    "blob_sources",   "userns_ranges", "layers_pending"};
#define SCHEMA_TABLE_COUNT (int)(sizeof(schema_tables) / sizeof(schema_tables[0]))
/* Version 9: each network endpoint's id (Docker's EndpointID, 64 hex digits), kept on its
 * leases so that it lives exactly as long as the endpoint: the IPv4 and IPv6 lease of one
 * container on one network share it (src/network/ipam.c), a new connect gets a new one.
 * Leases of a store made before get one each here. Idempotent as migrate_v2. */
static int migrate_v9(hull_store *s, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT 1 FROM pragma_table_info('ip_leases') WHERE name = 'endpoint_id'", err);
  if (st == NULL)
    return -1;
  int have = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  if (!have && hull_store_exec(s, "ALTER TABLE ip_leases ADD COLUMN endpoint_id TEXT NOT NULL DEFAULT ''",
                               "migrate schema to version 9", err) < 0)
    return -1;
  return hull_store_exec(s,
                         "UPDATE ip_leases SET endpoint_id = lower(hex(randomblob(32))) WHERE family = 2 AND "
                         "endpoint_id = '';"
                         "UPDATE ip_leases SET endpoint_id = COALESCE((SELECT l4.endpoint_id FROM ip_leases l4 WHERE "
                         "l4.network_id = ip_leases.network_id AND l4.container_id = ip_leases.container_id AND "
                         "l4.family = 2), lower(hex(randomblob(32)))) WHERE endpoint_id = '';"
                         "PRAGMA user_version = 9;",
                         "migrate schema to version 9", err);
}
#define SCHEMA_VERSION 9

int hull_store_sqlerr(hull_store *s, const char *what, hull_err *err) {
  int code = sqlite3_errcode(s->db);
  int e = code == SQLITE_FULL ? ENOSPC : code == SQLITE_BUSY ? EBUSY : 0;
  if (e == 0 && (code & 0xff) == SQLITE_IOERR)
    e = sqlite3_system_errno(s->db);
  return hull_error(err, e, "%s: database %s/hull.db: %s", what, s->root, sqlite3_errmsg(s->db));
}

int hull_store_exec(hull_store *s, const char *sql, const char *what, hull_err *err) {
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return hull_store_sqlerr(s, what, err);
  return 0;
}

int hull_store_begin(hull_store *s, hull_err *err) { return hull_store_exec(s, "BEGIN IMMEDIATE", "begin", err); }
int hull_store_commit(hull_store *s, hull_err *err) {
  if (hull_store_exec(s, "COMMIT", "commit", err) < 0) {
    hull_store_rollback(s);
    return -1;
  }
  return 0;
}
void hull_store_rollback(hull_store *s) {
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *hull_store_prepare(hull_store *s, const char *sql, hull_err *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
    hull_store_sqlerr(s, "prepare", err);
    return NULL;
  }
  return st;
}

/* Turning a new database into WAL needs its exclusive lock, and SQLite returns SQLITE_BUSY
 * at once there instead of calling the busy handler: writers racing to create a store
 * failed with "database is locked". Retried for as long as the busy timeout; a database
 * already in WAL mode (it persists) takes no lock for this. */
static int set_wal(hull_store *s, hull_err *err) {
  for (int waited = 0;; waited += 10) {
    int rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
      return 0;
    if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
      return hull_store_sqlerr(s, "configure", err);
    usleep(10 * 1000);
  }
}

static int on_commit(void *ud) {
  ((hull_store *)ud)->wrote = true;
  return 0; /* the commit goes on */
}

/* The durability that synchronous=NORMAL leaves to the checkpoint: one fdatasync of the WAL,
 * which holds every commit of this process (SQLite's FULL would sync at each commit). */
static void sync_wal_sqlite(hull_store *s) {
  sqlite3_file *wal = NULL;
  if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || wal == NULL ||
      wal->pMethods == NULL)
    return;
  int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK)
    hull_warn("sync %s/hull.db-wal: %s", s->root, sqlite3_errstr(rc));
}

/* Marks a WAL whose directory entry is on disk: set only after the store directory was synced
 * with the WAL in it. A WAL made anew (after a checkpoint at close by some other program, or
 * in a new store) is another inode, without the mark. The mark names the file's device and
 * inode, so that a copy of the store that kept its xattrs (cp -a, rsync -X), whose entries
 * nobody synced, does not count as marked. */
#define WAL_DIR_SYNCED_XATTR "user.hull.dirsynced"

/* SQLite's own sync of the WAL syncs the store directory too, the first time in each process
 * (it opens the WAL with O_CREAT and cannot tell whether it made it): a second fdatasync, and
 * cache flush, on every writing command, for a directory entry that has long been on disk.
 * So the WAL is synced here through a descriptor of our own (the same file: it cannot go
 * away while our connection is open), and the directory only while the WAL lacks the mark.
 * The directory's sync is kept wherever it matters: a WAL that was just made gets it before
 * the mark, and without the mark (a file system without user xattrs) every close syncs both,
 * as SQLite did. */
static int wal_fd(hull_store *s) {
  if (s->walfd < 0)
    s->walfd = openat(s->rootfd, "hull.db-wal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  return s->walfd;
}

/* The WAL's pages that this process's commits dirtied go to the disk while the command
 * waits anyway; the fdatasync at close waits only for the rest and the cache flush.
 * Nothing is promised here: durability is still that sync's. */
void hull_store_write_back(hull_store *s) {
  if (s == NULL || s->db == NULL || !s->wrote || wal_fd(s) < 0)
    return;
  if (sync_file_range(s->walfd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0)
    hull_debug("write back %s/hull.db-wal: %m", s->root);
}

static void sync_wal(hull_store *s) {
  int fd = wal_fd(s);
  if (fd < 0) {
    sync_wal_sqlite(s);
    return;
  }
  struct stat st;
  char want[64] = "", mark[64];
  if (fstat(fd, &st) == 0)
    snprintf(want, sizeof(want), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
  ssize_t n = want[0] ? fgetxattr(fd, WAL_DIR_SYNCED_XATTR, mark, sizeof(mark)) : -1;
  bool synced_dir = n == (ssize_t)strlen(want) && memcmp(mark, want, (size_t)n) == 0;
  if (fdatasync(fd) < 0) {
    hull_warn("sync %s/hull.db-wal: %s", s->root, strerror(errno));
    return;
  }
  if (synced_dir)
    return;
  if (fsync(s->rootfd) < 0) {
    hull_warn("sync %s: %s", s->root, strerror(errno));
    return;
  }
  if (want[0] && fsetxattr(fd, WAL_DIR_SYNCED_XATTR, want, strlen(want), 0) < 0)
    hull_debug("mark %s/hull.db-wal: %m", s->root);
}

/* Every step, not only those above the store's version: the numbers were given out on
 * parallel branches before they were merged into one order (version 2 was the storage tables
 * on one branch and the network tables on another, 4 was the volumes, 6 the user namespace
 * ranges, the blob sources or the pending layers), so a store of an earlier version may lack
 * the tables of any step below its number ("no such table: networks" at `network ls` on a
 * store whose 4 was the volumes). Every step is idempotent ("IF NOT EXISTS", columns added
 * only when missing); they run once per store, in the caller's write transaction. */
static int migrate(hull_store *s, hull_err *err) {
  if (hull_store_exec(s, schema, "create schema", err) < 0 || migrate_v2(s, err) < 0 ||
      hull_store_exec(s, schema_v3, "migrate schema to version 3", err) < 0 ||
      hull_store_exec(s, schema_v4, "migrate schema to version 4", err) < 0 ||
      add_columns(s, "ip_leases", ip_leases_v4, 1, err) < 0 ||
      hull_store_exec(s, schema_v5, "migrate schema to version 5", err) < 0 ||
      hull_store_exec(s, schema_v6, "migrate schema to version 6", err) < 0 ||
      hull_store_exec(s, schema_v7, "migrate schema to version 7", err) < 0 ||
      hull_store_exec(s, schema_v8, "migrate schema to version 8", err) < 0 || migrate_v9(s, err) < 0)
    return -1;
  return 0;
}

/* The schema's version and how many of schema_tables exist. The tables are looked up in
 * the schema SQLite parsed at this connection's first statement, which costs no statement
 * to compile (a query of sqlite_master with the names was 70 us of every command's open).
 * That copy can only lack tables another process made since: open_db then runs the
 * migration, whose steps are idempotent, in a write transaction. The statement is finished
 * at once: one left open would hold a read transaction, and upgrading that to a write after
 * another process wrote fails at once (SQLITE_BUSY_SNAPSHOT), without waiting. */
static int schema_state(hull_store *s, int *version, int *tables, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "PRAGMA user_version", err);
  if (st == NULL)
    return -1;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return hull_store_sqlerr(s, "read the schema version", err);
  *version = sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  *tables = 0;
  for (int i = 0; i < SCHEMA_TABLE_COUNT; i++)
    if (sqlite3_table_column_metadata(s->db, "main", schema_tables[i], NULL, NULL, NULL, NULL, NULL, NULL) == SQLITE_OK)
      (*tables)++;
  return 0;
}

static int open_db(hull_store *s, hull_err *err) {
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s/hull.db", s->root) < 0)
    return hull_error(err, ENOMEM, "open database");
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK)
    return hull_store_sqlerr(s, "open", err);
  sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  /* WAL: readers (images, inspect) never wait for writers. NORMAL synchronous syncs nothing
   * at a commit; hull_store_close syncs the WAL once if this process committed anything, so
   * that a command's changes are durable when it returns, as with the checkpoint at close
   * that SQLite would otherwise run. That checkpoint is off: it cost every command two
   * fdatasyncs, the removal of the WAL and shm files, and the next command their re-creation
   * with a directory sync and a WAL header sync (docs/design.md, "The engine's hot path").
   * The WAL is checkpointed by SQLite's automatic checkpoint instead, every 256 pages rather
   * than the default 1000: the first connection of a process rebuilds the WAL index by
   * reading the whole WAL (a `run --rm` adds about 24 pages), 0.6 ms for 500 pages here. */
  sqlite3_commit_hook(s->db, on_commit, s);
  if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL) != SQLITE_OK || set_wal(s, err) < 0 ||
      hull_store_exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=256",
                      "configure", err) < 0)
    return -1;
  /* The version and how many of today's tables the store has: a store of this version may
   * lack some all the same (one on this machine, of unknown origin, was at 8 without the
   * network tables), and is then migrated like an older one. At every open. */
  int version, tables;
  if (schema_state(s, &version, &tables, err) < 0)
    return -1;
  if (version == SCHEMA_VERSION && tables == SCHEMA_TABLE_COUNT)
    return 0;
  if (version > SCHEMA_VERSION)
    return hull_error(err, 0, "database %s is of a newer hull (schema version %d)", path, version);
  if (hull_store_begin(s, err) < 0)
    return -1;
  /* Read again inside the write transaction: another process may have migrated meanwhile. */
  if (schema_state(s, &version, &tables, err) < 0 ||
      ((version < SCHEMA_VERSION || tables != SCHEMA_TABLE_COUNT) && migrate(s, err) < 0)) {
    hull_store_rollback(s);
    return -1;
  }
  return hull_store_commit(s, err);
}

static int mkdir_at(int dirfd, const char *name, const char *root, hull_err *err) {
  if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
    return hull_error_sys(err, "mkdir %s/%s", root, name);
  return 0;
}

static void make_reserve(hull_store *s) {
  int fd = openat(s->rootfd, "reserve", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  /* Best effort: a store without its reserve still works until the disk is full. */
  if (posix_fallocate(fd, 0, RESERVE_BYTES) != 0)
    unlinkat(s->rootfd, "reserve", 0);
  else
    fsync(fd);
  close(fd);
}

bool hull_store_release_reserve(hull_store *s) {
  if (unlinkat(s->rootfd, "reserve", 0) < 0)
    return false;
  s->reserve_released = true;
  return true;
}

/* An open file description lock (fcntl F_OFD_*), not flock(2): turning a shared flock into
 * an exclusive one is not atomic on Linux (the shared lock goes first and stays gone when
 * the exclusive one cannot be had), so a writer that merely looked for an idle store lost
 * its lock and the next writer collected what it was still working on. F_OFD_SETLK either
 * converts the lock or leaves it as it was. Like flock, the lock belongs to the open file. */
int hull_store_lock(hull_store *s, int type, bool wait) {
  struct flock fl = {.l_type = (short)type, .l_whence = SEEK_SET};
  int rc;
  do
    rc = fcntl(s->lockfd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
  while (rc < 0 && errno == EINTR && wait);
  return rc;
}

int hull_store_open(const char *root, enum hull_store_mode mode, hull_store **out, hull_err *err) {
  hull_store *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return hull_error(err, ENOMEM, "open store %s", root);
  s->rootfd = s->blobsfd = s->layersfd = s->lockfd = s->walfd = -1;
  s->root = strdup(root);
  if (s->root == NULL)
    goto nomem;
  if (hull_mkdir_p(root, 0700, err) < 0)
    goto fail;
  s->rootfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (s->rootfd < 0) {
    hull_error_sys(err, "open %s", root);
    goto fail;
  }
  /* Nobody but root walks into the store (CVE-2021-41091: setuid programs in layers). */
  if (fchmod(s->rootfd, 0700) < 0) {
    hull_error_sys(err, "chmod %s", root);
    goto fail;
  }
  if (mkdir_at(s->rootfd, "blobs", root, err) < 0 || mkdir_at(s->rootfd, "blobs/sha256", root, err) < 0 ||
      mkdir_at(s->rootfd, "layers", root, err) < 0)
    goto fail;
  s->blobsfd = openat(s->rootfd, "blobs/sha256", O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  s->layersfd = openat(s->rootfd, "layers", O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (s->blobsfd < 0 || s->layersfd < 0 || s->lockfd < 0) {
    hull_error_sys(err, "open %s", root);
    goto fail;
  }
  hull_dir_spread(s->layersfd);
  if (open_db(s, err) < 0) {
    /* A full disk must not keep a deleter from freeing space (Podman #16614): even opening
     * the database needs a few pages (its shared-memory index), so the reserve goes first.
     * Only for commands that free space: a create would only fill the reserve too. */
    if ((mode != HULL_STORE_EXCLUSIVE && mode != HULL_STORE_DELETE) || (*err)->errno_ != ENOSPC ||
        !hull_store_release_reserve(s))
      goto fail;
    hull_error_release(err);
    sqlite3_close_v2(s->db);
    s->db = NULL;
    if (open_db(s, err) < 0)
      goto fail;
  }
  /* Before anything reads an image: one whose layers a power cut may have damaged goes. */
  if (hull_durable_recover(s, mode != HULL_STORE_READ, err) < 0)
    goto fail;
  if (mode != HULL_STORE_READ) {
    /* Leftovers of crashed commands are collected only when no other writer is active: an
     * incomplete layer of a live writer looks exactly like one of a dead writer. */
    if (hull_store_lock(s, F_WRLCK, false) == 0) {
      unsigned removed = 0;
      if (hull_store_collect(s, &removed, err) < 0)
        goto fail;
      if (removed)
        hull_debug("store %s: collected %u leftovers", root, removed);
      make_reserve(s);
    }
    if (hull_store_lock(s, mode == HULL_STORE_EXCLUSIVE ? F_WRLCK : F_RDLCK, true) < 0) {
      hull_error_sys(err, "lock %s/lock", root);
      goto fail;
    }
  }
  *out = s;
  return 0;
nomem:
  hull_error(err, ENOMEM, "open store %s", root);
fail:
  hull_store_close(s);
  return -1;
}

void hull_store_close(hull_store *s) {
  if (s == NULL)
    return;
  if (s->db) {
    /* On a full disk the WAL, no longer removed at close, would keep the pages the released
     * reserve gave it: they go back to the filesystem, so that the next writer can make the
     * reserve again (as the checkpoint at close did). */
    if (s->reserve_released && sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
      hull_debug("store %s: checkpoint: %s", s->root, sqlite3_errmsg(s->db));
    if (s->wrote)
      sync_wal(s);
    sqlite3_close_v2(s->db);
  }
  for (int *fd = &s->rootfd; fd <= &s->walfd; fd++)
    if (*fd >= 0)
      close(*fd);
  free(s->root);
  free(s);
}

/* ---- removal ---- */

/* ---- the collector ---- */

/* Removes every entry of the store directory dirfd (named what) that no row references:
 * keep_sql selects a row by the entry's name, with digest_prefix in front when set (then
 * only a name of 64 hex digits can be referenced at all). */
static int collect_unreferenced(hull_store *s, int dirfd, const char *what, const char *keep_sql,
                                const char *digest_prefix, unsigned *removed, hull_err *err) {
  int dup_fd = dup(dirfd);
  if (dup_fd < 0)
    return hull_error_sys(err, "collect %s/%s", s->root, what);
  cleanup_dir DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return hull_error_sys(err, "collect %s/%s", s->root, what);
  }
  /* A dup shares the file offset: a collection earlier in this process read to the end. */
  rewinddir(d);
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, keep_sql, err);
  if (st == NULL)
    return -1;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    char key[HULL_DIGEST_LEN + 8];
    if (digest_prefix)
      snprintf(key, sizeof(key), "%s%.64s", digest_prefix, de->d_name);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, digest_prefix ? key : de->d_name, -1, SQLITE_TRANSIENT);
    if ((digest_prefix == NULL || hull_hex64_p(de->d_name)) && sqlite3_step(st) == SQLITE_ROW)
      continue;
    if (hull_rm_rf_at(dirfd, de->d_name, err) < 0)
      return hull_error_wrap(err, "collect %s/%s", s->root, what);
    (*removed)++;
  }
  return 0;
}

static int collect_layers(hull_store *s, unsigned *removed, hull_err *err) {
  /* Rows first (a row never points at a missing directory that is still needed), then the
   * directories no complete row names. */
  /* With the store idle, a layer no image uses is garbage too: what a failed pull or load
   * unpacked before it failed. */
  /* Layers a container's storage is mounted from stay, with or without an image. */
  if (hull_store_exec(s,
                      "DELETE FROM layers WHERE incomplete = 1 OR (chain_id NOT IN "
                      "(SELECT chain_id FROM image_layers) AND chain_id NOT IN (SELECT chain_id FROM storage_layers))",
                      "collect incomplete layers", err) < 0)
    return -1;
  *removed += (unsigned)sqlite3_changes(s->db);
  return collect_unreferenced(s, s->layersfd, "layers", "SELECT 1 FROM layers WHERE dir = ?", NULL, removed, err);
}

static int collect_blobs(hull_store *s, unsigned *removed, hull_err *err) {
  /* Hints about blobs no image has: left by a store older than their removal with rmi, or
   * recorded for an image removed while it was pushed. Not counted: they are no files. */
  if (hull_store_exec(s, "DELETE FROM blob_sources WHERE digest NOT IN (SELECT digest FROM image_blobs)",
                      "forget blob sources", err) < 0)
    return -1;
  return collect_unreferenced(s, s->blobsfd, "blobs", "SELECT 1 FROM image_blobs WHERE digest = ?", "sha256:", removed,
                              err);
}

static void collect_partials(hull_store *s, unsigned *removed);

int hull_store_collect(hull_store *s, unsigned *removed, hull_err *err) {
  *removed = 0;
  /* Container storage first: its incomplete rows may hold on to layers. */
  if (hull_overlay_collect(s, removed, err) < 0 || collect_layers(s, removed, err) < 0 ||
      collect_blobs(s, removed, err) < 0)
    return -1;
  collect_partials(s, removed);
  return 0;
}

void hull_store_collect_if_idle(hull_store *s) {
  if (hull_store_lock(s, F_WRLCK, false) < 0)
    return; /* another writer is active (the shared lock is kept): the next idle one collects */
  unsigned removed = 0;
  hull_err e = NULL;
  if (hull_store_collect(s, &removed, &e) < 0)
    hull_debug("collect %s: %s", s->root, e->msg);
  hull_error_release(&e);
  if (hull_store_lock(s, F_RDLCK, true) < 0)
    hull_debug("lock %s/lock: %m", s->root);
}

/* ---- blobs ---- */

int hull_blob_writer_open(hull_store *s, hull_blob_writer *w, hull_err *err) {
  memset(w, 0, sizeof(*w));
  w->fd = openat(s->blobsfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (w->fd < 0)
    return hull_error_sys(err, "create a blob in %s/blobs/sha256", s->root);
  if (hull_sha256_init(&w->hash, err) < 0) {
    close(w->fd);
    w->fd = -1;
    return -1;
  }
  return 0;
}

int hull_blob_writer_write(hull_blob_writer *w, const void *data, size_t len, hull_err *err) {
  if (hull_write_all(w->fd, data, len) < 0)
    return hull_error_sys(err, "write blob");
  hull_sha256_update(&w->hash, data, len);
  w->size += len;
  /* Writeback of what has arrived starts every few MiB, in the background, so that the
   * fsync before the blob is named (in the download loop, holding up the other transfers)
   * has little left to write. */
  if (w->size - w->kicked >= BLOB_WRITEBACK_EVERY) {
    sync_file_range(w->fd, (off64_t)w->kicked, (off64_t)(w->size - w->kicked), SYNC_FILE_RANGE_WRITE);
    w->kicked = w->size;
  }
  return 0;
}

int hull_blob_writer_verify(hull_blob_writer *w, const char *expected, hull_err *err) {
  hull_sha256_final(&w->hash, w->digest);
  if (expected && strcmp(expected, w->digest) != 0)
    return hull_error(err, 0, "digest mismatch: expected %s, got %s", expected, w->digest);
  return 0;
}

int hull_blob_writer_sync(hull_blob_writer *w, hull_err *err) {
  if (fsync(w->fd) < 0)
    return hull_error_sys(err, "fsync blob %s", w->digest);
  return 0;
}

int hull_blob_writer_finish(hull_blob_writer *w, const char *expected, hull_err *err) {
  if (hull_blob_writer_verify(w, expected, err) < 0)
    return -1;
  return hull_blob_writer_sync(w, err);
}

int hull_blob_writer_commit(hull_store *s, hull_blob_writer *w, hull_err *err) {
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
  if (linkat(AT_FDCWD, proc, s->blobsfd, w->digest + 7, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
    return hull_error_sys(err, "store blob %s", w->digest);
  return 0;
}

void hull_blob_writer_free(hull_blob_writer *w) {
  if (w->fd >= 0)
    close(w->fd); /* also drops the lock of a partial download */
  w->fd = -1;
  w->partial = false;
  if (w->hash.ctx)
    hull_sha256_free(&w->hash);
}

int hull_blob_put(hull_store *s, const void *data, size_t len, char digest[HULL_DIGEST_LEN + 1], hull_err *err) {
  hull_blob_writer w;
  if (hull_blob_writer_open(s, &w, err) < 0)
    return -1;
  int r = -1;
  if (hull_blob_writer_write(&w, data, len, err) == 0 && hull_blob_writer_finish(&w, NULL, err) == 0 &&
      hull_blob_writer_commit(s, &w, err) == 0) {
    memcpy(digest, w.digest, HULL_DIGEST_LEN + 1);
    r = 0;
  }
  hull_blob_writer_free(&w);
  return r;
}

int hull_blob_open(hull_store *s, const char *digest, hull_err *err) {
  if (!hull_digest_valid_p(digest))
    return hull_error(err, EINVAL, "invalid digest \"%s\"", digest);
  int fd = openat(s->blobsfd, digest + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return hull_error_sys(err, "open blob %s", digest);
  return fd;
}

char *hull_blob_read(hull_store *s, const char *digest, size_t *len, hull_err *err) {
  cleanup_close int fd = hull_blob_open(s, digest, err);
  if (fd < 0)
    return NULL;
  return hull_read_fd(fd, digest, len, err);
}

int hull_blob_remove(hull_store *s, const char *digest, hull_err *err) {
  if (!hull_digest_valid_p(digest))
    return hull_error(err, EINVAL, "invalid digest \"%s\"", digest);
  if (unlinkat(s->blobsfd, digest + 7, 0) < 0 && errno != ENOENT)
    return hull_error_sys(err, "remove blob %s", digest);
  return 0;
}

/* ---- resumable downloads ---- */

#define DOWNLOADS "downloads"
/* Partial downloads not touched for this long are collected. */
#define PARTIAL_MAX_AGE (24 * 3600)

static int open_downloads(hull_store *s, hull_err *err) {
  if (mkdirat(s->rootfd, DOWNLOADS, 0700) < 0 && errno != EEXIST)
    return hull_error_sys(err, "mkdir %s/" DOWNLOADS, s->root);
  int fd = openat(s->rootfd, DOWNLOADS, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return hull_error_sys(err, "open %s/" DOWNLOADS, s->root);
  return fd;
}

/* Hashes what the file already holds, leaving the offset at its end. */
static int rehash(hull_blob_writer *w, uint64_t len, hull_err *err) {
  cleanup_free char *buf = malloc(1 << 20);
  if (buf == NULL)
    return hull_error(err, ENOMEM, "resume blob");
  uint64_t done = 0;
  while (done < len) {
    size_t want = len - done < (1 << 20) ? (size_t)(len - done) : (1 << 20);
    ssize_t n = pread(w->fd, buf, want, (off_t)done);
    if (n <= 0)
      return n < 0 ? hull_error_sys(err, "read partial blob") : hull_error(err, EIO, "partial blob shrank");
    hull_sha256_update(&w->hash, buf, (size_t)n);
    done += (uint64_t)n;
  }
  w->size = w->kicked = done;
  return lseek(w->fd, (off_t)done, SEEK_SET) < 0 ? hull_error_sys(err, "seek partial blob") : 0;
}

int hull_blob_writer_resume(hull_store *s, hull_blob_writer *w, const char *digest, uint64_t expected_size,
                            uint64_t *have, hull_err *err) {
  *have = 0;
  if (!hull_digest_valid_p(digest))
    return hull_error(err, EINVAL, "invalid digest \"%s\"", digest);
  cleanup_close int dfd = open_downloads(s, err);
  if (dfd < 0)
    return -1;
  cleanup_close int fd = openat(dfd, digest + 7, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return hull_error_sys(err, "open %s/" DOWNLOADS "/%s", s->root, digest + 7);
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK)
      return hull_error_sys(err, "lock %s/" DOWNLOADS "/%s", s->root, digest + 7);
    return hull_blob_writer_open(s, w, err); /* another pull has it: a download of our own */
  }
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hull_error_sys(err, "stat %s/" DOWNLOADS "/%s", s->root, digest + 7);
  memset(w, 0, sizeof(*w));
  w->fd = take_fd(&fd);
  w->partial = true;
  if (hull_sha256_init(&w->hash, err) < 0)
    return -1;
  uint64_t len = (uint64_t)st.st_size;
  if (expected_size && len > expected_size)
    return hull_blob_writer_restart(w, err);
  if (rehash(w, len, err) < 0)
    return -1;
  *have = len;
  return 0;
}

int hull_blob_writer_restart(hull_blob_writer *w, hull_err *err) {
  if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
    return hull_error_sys(err, "empty partial blob");
  hull_sha256_free(&w->hash);
  w->size = w->kicked = 0;
  return hull_sha256_init(&w->hash, err);
}

void hull_blob_partial_remove(hull_store *s, const char *digest) {
  if (!hull_digest_valid_p(digest))
    return;
  hull_err e = NULL;
  int dfd = open_downloads(s, &e);
  hull_error_release(&e); /* nothing to remove then */
  if (dfd >= 0) {
    unlinkat(dfd, digest + 7, 0);
    close(dfd);
  }
}

/* Partial downloads a day old: nobody is coming back for them. One being written is
 * locked and skipped. */
static void collect_partials(hull_store *s, unsigned *removed) {
  int dfd = openat(s->rootfd, DOWNLOADS, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    return;
  cleanup_dir DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return;
  }
  time_t now = time(NULL);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct stat st;
    if (de->d_name[0] == '.' || fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISREG(st.st_mode) && now - st.st_mtime < PARTIAL_MAX_AGE)
      continue;
    cleanup_close int fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
      continue;
    if (unlinkat(dfd, de->d_name, 0) == 0)
      (*removed)++;
  }
}
