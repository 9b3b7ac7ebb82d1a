#include "image/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

/* Rows of this boot older than this (seconds) have lost their syncer: the kernel's periodic
 * writeback (30 s by default) has written their data, so a sync is cheap. */
#define ORPHAN_AGE 60
/* Written by the syncer: the highest sequence number its sync covered, with a check value. */
#define DURABLE_FILE "durable"

static char boot_id[40];

static void read_boot_id(void) {
  char buf[64];
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n < 36)
    return;
  /* Only a UUID is accepted: the id is written into SQL text in hull_durable_recover. */
  for (int i = 0; i < 36; i++)
    if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f') || buf[i] == '-'))
      return;
  memcpy(boot_id, buf, 36);
  boot_id[36] = '\0';
}

const char *hull_boot_id(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, read_boot_id);
  return boot_id[0] ? boot_id : NULL;
}

/* Seconds since boot: monotonic within one boot id, whatever the wall clock does. */
static int64_t boot_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return (int64_t)ts.tv_sec;
}

int hull_durable_record(hull_store *s, const char *chain_id, hull_err *err) {
  const char *id = hull_boot_id();
  if (id == NULL) {
    /* Without a boot id a later boot cannot be told apart: sync now, as before. */
    if (syncfs(s->rootfd) < 0)
      return hull_error_sys(err, "sync %s", s->root);
    return 0;
  }
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "INSERT OR REPLACE INTO layers_pending (chain_id, boot_id, added) VALUES (?, ?, ?)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, chain_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, boot_seconds());
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record layer as not yet durable", err);
  return 0;
}

/* The highest sequence number of a pending row, 0 when there is none, -1 on error. */
static int64_t max_seq(hull_store *s, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT coalesce(max(seq), 0) FROM layers_pending", err);
  if (st == NULL)
    return -1;
  if (sqlite3_step(st) != SQLITE_ROW)
    return hull_store_sqlerr(s, "read pending layers", err);
  return sqlite3_column_int64(st, 0);
}

int hull_durable_sync(hull_store *s, hull_err *err) {
  int64_t upto = max_seq(s, err);
  if (upto <= 0)
    return (int)upto;
  /* Rows added after this point may name data the sync below does not cover: only the ones
   * seen before it are cleared (seq is AUTOINCREMENT, never reused). */
  if (syncfs(s->rootfd) < 0)
    return hull_error_sys(err, "sync %s", s->root);
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "DELETE FROM layers_pending WHERE seq <= ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_int64(st, 1, upto);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "mark layers durable", err);
  return 0;
}

int hull_durable_ensure(hull_store *s, const char *const *layers, size_t n, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT 1 FROM layers_pending WHERE chain_id = ?", err);
  if (st == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, layers[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      sqlite3_reset(st);
      return hull_durable_sync(s, err);
    }
  }
  return 0;
}

/* A check value for the number in <root>/durable: a torn write (old and new digits mixed)
 * must not read as a larger number than was ever written. */
static uint32_t check_of(int64_t v) {
  uint64_t h = (uint64_t)v * 0x9e3779b97f4a7c15ULL;
  return (uint32_t)(h >> 32) ^ 0x68756c6cU;
}

/* The detached syncer. Only system calls after the fork: the command may have had threads,
 * and a database connection must not cross a fork (SQLite's per-process lock state comes
 * along and makes a new connection in the child wait for locks nobody holds). So it records
 * what it synced in <root>/durable, which the command made before the fork and the next
 * command that opens the store reads (hull_durable_recover). It creates no directory entry:
 * a store removed right after the command (rm -rf) must not find a new file appearing. Its
 * fds are /dev/null and that file only: an inherited pipe would keep a caller reading the
 * command's output waiting, and the store's lock fd would keep the lock. */
static void __attribute__((noreturn)) syncer(int fd, int nullfd, const char *text, size_t len) {
  dup2(nullfd, 0);
  dup2(nullfd, 1);
  dup2(nullfd, 2);
  if (fd > 3)
    close_range(3, (unsigned)fd - 1, 0);
  close_range((unsigned)fd + 1, ~0U, 0);
  /* The record is written only after the sync: a record lost or torn in a power cut only
   * makes the next boot remove more, never less. */
  if (syncfs(fd) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len || fdatasync(fd) < 0)
    _exit(1);
  _exit(0);
}

void hull_durable_sync_background(hull_store *s) {
  hull_err e = NULL;
  int64_t upto = max_seq(s, &e);
  hull_error_release(&e); /* then a later writer syncs */
  if (upto <= 0)
    return;
  /* Everything the child needs is made before the fork. Fixed width: a shorter record never
   * leaves the tail of a longer one behind. */
  char text[40];
  int len = snprintf(text, sizeof(text), "%020lld %08x\n", (long long)upto, check_of(upto));
  cleanup_close int fd = openat(s->rootfd, DURABLE_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  cleanup_close int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0 || nullfd < 0) {
    hull_debug("start the syncer of %s: %m", s->root);
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    hull_debug("start the syncer of %s: %m", s->root);
    return;
  }
  if (pid == 0) {
    /* A child of its own session that the command does not wait for: the middle process
     * exits at once, so the syncer is nobody's zombie. */
    setsid();
    pid_t g = fork();
    if (g == 0)
      syncer(fd, nullfd, text, (size_t)len);
    _exit(g < 0 ? 1 : 0);
  }
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* The sequence number up to which a syncer made the rows durable, 0 if none did. */
static int64_t synced_upto(hull_store *s) {
  char buf[40];
  int fd = openat(s->rootfd, DURABLE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  close(fd);
  long long v = 0;
  unsigned check = 0;
  if (n != 30)
    return 0; /* none yet, or not what a syncer writes */
  buf[n] = '\0';
  if (sscanf(buf, "%20lld %8x\n", &v, &check) != 2 || v <= 0 || check != check_of(v))
    return 0; /* torn: nothing is known to be durable */
  return v;
}

/* Removes the layers of pending rows of another boot (except those a container's storage
 * uses, which were synced before it was made; their rows are dropped) and every image
 * using them, in one transaction. Their directories are left to the collector. The boot
 * id was checked to be a UUID, so it can be part of the SQL text. */
static int remove_undurable(hull_store *s, const char *id, int64_t upto, hull_err *err) {
  char sql[2048];
  /* Rows up to upto are durable; a reader may have left them (it does not wait to delete). */
  snprintf(sql, sizeof(sql),
           "CREATE TEMP TABLE IF NOT EXISTS stale (chain_id TEXT PRIMARY KEY);"
           "CREATE TEMP TABLE IF NOT EXISTS gone (id TEXT PRIMARY KEY);"
           "DELETE FROM temp.stale; DELETE FROM temp.gone;"
           "INSERT INTO temp.stale SELECT chain_id FROM layers_pending WHERE boot_id != '%s' AND seq > %lld "
           "  AND chain_id NOT IN (SELECT chain_id FROM storage_layers);"
           "INSERT INTO temp.gone SELECT DISTINCT image_id FROM image_layers WHERE chain_id IN temp.stale "
           "  AND image_id NOT IN (SELECT image_id FROM containers WHERE image_id IS NOT NULL);"
           "DELETE FROM temp.stale WHERE chain_id IN "
           "  (SELECT chain_id FROM image_layers WHERE image_id NOT IN temp.gone);"
           "DELETE FROM tags WHERE image_id IN temp.gone;"
           "DELETE FROM images WHERE id IN temp.gone;"
           "DELETE FROM layers WHERE chain_id IN temp.stale;"
           "DELETE FROM layers_pending WHERE boot_id != '%s';",
           id, (long long)upto, id);
  if (hull_store_begin(s, err) < 0)
    return -1;
  if (hull_store_exec(s, sql, "remove layers a power cut may have damaged", err) < 0) {
    hull_store_rollback(s);
    return -1;
  }
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT id FROM temp.gone", err);
  if (st == NULL) {
    hull_store_rollback(s);
    return -1;
  }
  while (sqlite3_step(st) == SQLITE_ROW)
    hull_warn("image %s removed: its layers were unpacked but not yet on disk when the system went down; pull it "
              "again",
              (const char *)sqlite3_column_text(st, 0));
  sqlite3_reset(st);
  return hull_store_commit(s, err);
}

int hull_durable_recover(hull_store *s, bool writer, hull_err *err) {
  cleanup_stmt sqlite3_stmt *first = hull_store_prepare(s, "SELECT min(seq) FROM layers_pending", err);
  if (first == NULL)
    return -1;
  if (sqlite3_step(first) != SQLITE_ROW || sqlite3_column_type(first, 0) == SQLITE_NULL)
    return 0; /* the usual case: nothing pending, one query */
  int64_t lowest = sqlite3_column_int64(first, 0);
  sqlite3_reset(first);
  int64_t upto = synced_upto(s);
  if (upto >= lowest) {
    /* A syncer got there, in this boot or an earlier one: those rows are durable. */
    cleanup_stmt sqlite3_stmt *del = hull_store_prepare(s, "DELETE FROM layers_pending WHERE seq <= ?", err);
    if (del == NULL)
      return -1;
    sqlite3_bind_int64(del, 1, upto);
    /* Housekeeping only: a reader (images, inspect) never waits for a writer's transaction
     * for it, and leaves the rows to the next command when the database is busy. */
    if (!writer)
      sqlite3_busy_timeout(s->db, 0);
    int rc = sqlite3_step(del);
    if (!writer)
      sqlite3_busy_timeout(s->db, HULL_STORE_BUSY_MS);
    if (rc != SQLITE_DONE && (writer || (rc & 0xff) != SQLITE_BUSY))
      return hull_store_sqlerr(s, "mark layers durable", err);
  }
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT boot_id, added FROM layers_pending WHERE seq > ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_int64(st, 1, upto);
  bool other_boot = false, orphans = false;
  int64_t now = boot_seconds();
  const char *id = hull_boot_id();
  while (id && sqlite3_step(st) == SQLITE_ROW) {
    if (strcmp((const char *)sqlite3_column_text(st, 0), id) != 0)
      other_boot = true;
    else if (now - sqlite3_column_int64(st, 1) > ORPHAN_AGE)
      orphans = true;
  }
  /* Finished before any write: an open statement would hold a read transaction. */
  sqlite3_reset(st);
  if (other_boot && remove_undurable(s, id, upto, err) < 0)
    return -1;
  if (orphans && writer)
    return hull_durable_sync(s, err);
  return 0;
}
