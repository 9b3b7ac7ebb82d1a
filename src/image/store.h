/* The image store under --root (default /var/lib/hull):
 *
 *   <root>/hull.db           SQLite (WAL): images, tags, layers and their references
 *   <root>/blobs/sha256/HEX  content-addressed blobs (manifests, configs, layer archives)
 *   <root>/layers/HEX/diff   a layer unpacked once, keyed by its chain id
 *   <root>/lock              a lock (hull_store_lock): writers share it, deleters and the
 *                            collector take it alone
 *   <root>/reserve           a few MiB given back when the disk is full, so deleting works
 *   <root>/durable           the last layers_pending row a detached syncer covered
 *                            (image/durable.h)
 *
 * Files are written (and fsync'd) before the row that points at them, and removed after the
 * row is gone; a layer row is "incomplete" until its directory is complete. A crash leaves
 * only garbage that the next writing command collects when no other writer is active. */
#ifndef HULL_IMAGE_STORE_H
#define HULL_IMAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common/error.h"
#include "image/digest.h"

#define HULL_DEFAULT_ROOT "/var/lib/hull"
/* How long a writer waits for another's SQLite transaction. */
#define HULL_STORE_BUSY_MS 60000

enum hull_store_mode {
  HULL_STORE_READ,      /* no lock: SQLite gives a consistent snapshot */
  HULL_STORE_WRITE,     /* shared lock; leftovers collected first when nobody else writes */
  HULL_STORE_EXCLUSIVE, /* exclusive lock: removes files another writer may be about to use */
  HULL_STORE_DELETE,    /* as WRITE, for a command that frees space (rm): on a full disk it
                         * may use the reserve to open the database */
};

typedef struct hull_store {
  char *root;
  int rootfd;
  int blobsfd;  /* <root>/blobs/sha256 */
  int layersfd; /* <root>/layers */
  int lockfd;
  int walfd; /* <root>/hull.db-wal, once hull_store_write_back or the close needs it */
  sqlite3 *db;
  bool wrote;            /* a write transaction committed: the WAL is synced once at close */
  bool reserve_released; /* the disk was full: the WAL's space is given back at close */
} hull_store;

int hull_store_open(const char *root, enum hull_store_mode mode, hull_store **out, hull_err *err)
    __attribute__((warn_unused_result));
void hull_store_close(hull_store *s);
/* Starts writing out what this process committed so far, for a command that waits next (a
 * foreground run while its container runs): the sync at close then has less to write. */
void hull_store_write_back(hull_store *s);
static inline void hull_store_closep(hull_store **s) {
  if (*s)
    hull_store_close(*s);
}
#define cleanup_store __attribute__((cleanup(hull_store_closep)))

/* Runs SQL without results; "what" names the step in the error. */
int hull_store_exec(hull_store *s, const char *sql, const char *what, hull_err *err)
    __attribute__((warn_unused_result));
/* BEGIN IMMEDIATE (the write lock is taken at once, so the transaction never has to be
 * retried half-way), COMMIT and ROLLBACK (which never fails in a way the caller can act on). */
int hull_store_begin(hull_store *s, hull_err *err) __attribute__((warn_unused_result));
int hull_store_commit(hull_store *s, hull_err *err) __attribute__((warn_unused_result));
void hull_store_rollback(hull_store *s);
/* Sets an error from the database's last error (SQLITE_FULL becomes ENOSPC). */
int hull_store_sqlerr(hull_store *s, const char *what, hull_err *err);
/* Prepares a statement; the caller finalizes it (cleanup_stmt). */
sqlite3_stmt *hull_store_prepare(hull_store *s, const char *sql, hull_err *err);
static inline void hull_stmt_finalizep(sqlite3_stmt **st) { sqlite3_finalize(*st); }
#define cleanup_stmt __attribute__((cleanup(hull_stmt_finalizep)))

/* Gives the reserve file back to the file system (after ENOSPC) and says if there was one. */
bool hull_store_release_reserve(hull_store *s);
/* Removes what crashed commands left (incomplete layers, directories and blobs no row points
 * at). Requires the exclusive lock. *removed counts what went. */
int hull_store_collect(hull_store *s, unsigned *removed, hull_err *err) __attribute__((warn_unused_result));

/* Locks <root>/lock: type F_RDLCK (writers) or F_WRLCK (deleters, the collector), waiting
 * or not; -1 with errno set (EAGAIN: held by another). A held lock is converted atomically:
 * a conversion that fails leaves it as it was. */
int hull_store_lock(hull_store *s, int type, bool wait) __attribute__((warn_unused_result));

/* After a failed command: collects at once if no other writer is active (the caller holds
 * the shared lock, which is turned into an exclusive one only if nobody else holds it). */
void hull_store_collect_if_idle(hull_store *s);

/* A blob being written: an unnamed file in the blob directory (O_TMPFILE), hashed as it is
 * written; it gets its name only once complete, verified and fsync'd. */
typedef struct hull_blob_writer {
  int fd;
  bool partial;    /* fd is <root>/downloads/HEX, locked (hull_blob_writer_resume) */
  uint64_t kicked; /* bytes whose writeback has been started */
  hull_sha256 hash;
  uint64_t size;
  char digest[HULL_DIGEST_LEN + 1]; /* set by hull_blob_writer_finish */
} hull_blob_writer;

int hull_blob_writer_open(hull_store *s, hull_blob_writer *w, hull_err *err) __attribute__((warn_unused_result));
int hull_blob_writer_write(hull_blob_writer *w, const void *data, size_t len, hull_err *err)
    __attribute__((warn_unused_result));
/* Computes the digest and fsyncs; fails when expected (if given) differs. */
int hull_blob_writer_finish(hull_blob_writer *w, const char *expected, hull_err *err)
    __attribute__((warn_unused_result));
/* The two halves of hull_blob_writer_finish, for a caller that reads the verified blob
 * while its writeback completes and only then syncs and names it. */
int hull_blob_writer_verify(hull_blob_writer *w, const char *expected, hull_err *err)
    __attribute__((warn_unused_result));
int hull_blob_writer_sync(hull_blob_writer *w, hull_err *err) __attribute__((warn_unused_result));
/* Names the finished blob in the store (an existing blob of that digest is kept). */
int hull_blob_writer_commit(hull_store *s, hull_blob_writer *w, hull_err *err) __attribute__((warn_unused_result));
void hull_blob_writer_free(hull_blob_writer *w);

/* Resumable downloads: <root>/downloads/HEX holds what has arrived of blob sha256:HEX, kept
 * across a crash or a kill (the collector leaves it, except when it is a day old), so that
 * the next pull asks only for the rest (HTTP Range). A writer on it is hashed over what is
 * already there; *have gets that length (0: start from scratch; the file is emptied when
 * it holds more than expected_size). If another process has that file locked (pulling the
 * same blob), the writer is an unnamed file as with hull_blob_writer_open and *have is 0. */
int hull_blob_writer_resume(hull_store *s, hull_blob_writer *w, const char *digest, uint64_t expected_size,
                            uint64_t *have, hull_err *err) __attribute__((warn_unused_result));
/* Empties the writer (the server sent the whole blob after all). */
int hull_blob_writer_restart(hull_blob_writer *w, hull_err *err) __attribute__((warn_unused_result));
/* Removes the partial download of digest (done, or found corrupt). */
void hull_blob_partial_remove(hull_store *s, const char *digest);
/* Stores a buffer as a blob; digest gets its digest. */
int hull_blob_put(hull_store *s, const void *data, size_t len, char digest[HULL_DIGEST_LEN + 1], hull_err *err)
    __attribute__((warn_unused_result));
/* Opens a blob read-only; the digest is validated first (it becomes a file name). */
int hull_blob_open(hull_store *s, const char *digest, hull_err *err) __attribute__((warn_unused_result));
char *hull_blob_read(hull_store *s, const char *digest, size_t *len, hull_err *err);
int hull_blob_remove(hull_store *s, const char *digest, hull_err *err) __attribute__((warn_unused_result));

#endif
