/* Durability of unpacked layers without a blocking sync on the pull's critical path
 * (docs/design.md, "Durability").
 *
 * A layer is unpacked into the page cache; its files reach the disk by writeback. A killed
 * process cannot lose page-cache data, only a power cut or a kernel crash can. So a layer
 * completed without a sync gets a row in layers_pending that names the current boot (the
 * kernel's boot id). The command that made it starts a detached process that syncs the
 * file system and then writes <root>/durable: the highest row it covered. The next command
 * that opens the store drops those rows. Until then:
 *
 *   - in the same boot, the layer is as good as a durable one (the data is in the page
 *     cache); a container's storage syncs first, so a container never runs on a layer that
 *     a power cut could take away, and a writer that finds rows older than a minute (their
 *     syncer was killed) syncs them itself, which is cheap by then;
 *   - in a later boot, a row left over means the layer may be half-written: the layer and
 *     every image that uses it are removed when the store is next opened (never a half
 *     present image); a pull fetches them again. */
#ifndef HULL_IMAGE_DURABLE_H
#define HULL_IMAGE_DURABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "image/store.h"

/* The kernel's boot id (a UUID of hex digits and dashes), read once; NULL if unreadable. */
const char *hull_boot_id(void);

/* Records chain_id as not yet durable; called inside the transaction that completes it. */
int hull_durable_record(hull_store *s, const char *chain_id, hull_err *err) __attribute__((warn_unused_result));

/* Syncs the store's file system and clears every row that was there before the sync began. */
int hull_durable_sync(hull_store *s, hull_err *err) __attribute__((warn_unused_result));

/* Syncs first if any of the n layers is not yet durable (before a container uses them). */
int hull_durable_ensure(hull_store *s, const char *const *layers, size_t n, hull_err *err)
    __attribute__((warn_unused_result));

/* If rows are pending, starts a detached process that syncs the file system and records
 * in <root>/durable which rows that covered. Best effort: rows it leaves are synced by a
 * later writer. */
void hull_durable_sync_background(hull_store *s);

/* On open: drops the rows a syncer covered, removes the layers a previous boot never made
 * durable and the images that use them; a writer (writer = true) also syncs rows of this
 * boot older than a minute. One query when nothing is pending. */
int hull_durable_recover(hull_store *s, bool writer, hull_err *err) __attribute__((warn_unused_result));

#endif
