/*
 * compact.c - dropping journal records older than the catch-up window.
 *
 * Design.  What the core keeps on disk must give every origin's state on
 * its own; the checkpoint is only a cache that saves the replay.  So
 * before compaction drops any record of an origin's journal, it writes the
 * origin's durable base (base.c): its whole state at its current seq S,
 * with the hash-chain head.  The order on disk is
 *
 *   1. base  log/<hex>.<epoch>.base  = state at S   (temp, fsync, rename,
 *                                                    directory fsync)
 *   2. journal rewritten without the records older than the window
 *      (temp, fsync, rename, directory fsync); the records after the
 *      window, up to S and beyond, stay for catch-up
 *   3. the checkpoint, written by core_compact afterwards.
 *
 * A crash between any two steps leaves base + journal consistent: recovery
 * loads the base and replays only the journal records after S (the
 * earlier ones are indexed for catch-up, not applied).  A checkpoint that
 * no longer matches the journal is noticed (its last indexed record is
 * checked) and the origin is rebuilt from base + journal.  Requests for
 * dropped records get BLF_CATCHUP_COMPACTED; a peer that far behind is
 * brought back with a snapshot of the origin (snapshot.c), which an agent
 * that accepts it stores as that origin's base in turn.
 *
 * A record is dropped only when the snapshot kept of the origin's epoch
 * (snapstore.c) covers it: every agent can then serve a peer however far
 * behind, from its kept snapshot and the deltas after it.  An origin no
 * snapshot of which we keep is not compacted (journal_max bounds it).
 *
 * The journal is copied through one buffer: memory does not grow with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../keys/fileio.h"
#include "core_int.h"

/* Copy [from, to) of fd into a. */
static int
copy_range(int fd, uint64_t from, uint64_t to, fio_atomic *a)
{
	fio_reader r;
	uint8_t *b;
	size_t n;
	int rc = 0;

	if ((b = malloc(FIO_BUF_SIZE)) == NULL)
		return BLF_ENOMEM;
	if (fio_reader_init(&r, fd, from, 0) != 0) {
		free(b);
		return BLF_ENOMEM;
	}
	while (from < to) {
		n = to - from > FIO_BUF_SIZE ? FIO_BUF_SIZE : (size_t)(to - from);
		if (fio_reader_read(&r, b, n, NULL) != 0 || fio_atomic_write(a, b, n) != 0) {
			rc = BLF_EIO;
			break;
		}
		from += n;
	}
	fio_reader_free(&r);
	free(b);
	return rc;
}

/*
 * Drop o's journal records created before now - window, after writing the
 * origin's base.  The journal must be synced.  On failure the files and o
 * are as before (a new base may stand: it describes the same state).
 */
int
core_compact_origin(core *c, struct origin *o, uint64_t now)
{
	char name[JNAME_MAX];
	fio_atomic a;
	size_t k, i;
	uint64_t from, covered;
	int fd, rc;

	if (o->fd < 0 || o->epoch == 0 || o->jepoch != o->epoch)
		return 0;
	/* older than the window, and covered by the kept snapshot (snapstore.c) */
	if ((rc = core_snapstore_covered(c, o, &covered)) != 0)
		return rc;
	for (k = 0; k < o->njrecs; k++)
		if ((uint64_t)o->jrecs[k].created + c->cfg.window >= now ||
		    o->low_seq + k > covered)
			break;
	if (k == 0)
		return 0;
	if ((rc = core_base_write(c, o)) != 0)
		return rc;
	from = k < o->njrecs ? o->jrecs[k].off : o->jsize;
	core_journal_name(name, o->hex, o->jepoch, ".jnl");
	if (fio_atomic_begin(&a, c->logfd, name, 0600) != 0)
		return BLF_EIO;
	if ((rc = copy_range(o->fd, from, o->jsize, &a)) != 0) {
		fio_atomic_abort(&a);
		return rc;
	}
	if (fio_atomic_commit(&a, c->cfg.no_fsync) != 0)
		return BLF_EIO;
	/* the new file is in place (and durable): from here on o follows it */
	if ((fd = fio_openat(c->logfd, name, O_RDWR, 0)) < 0) {
		/* o->fd still reads the old records; recovery will see the new */
		c->failed = 1;
		return BLF_EIO;
	}
	close(o->fd);
	o->fd = fd;
	memmove(o->jrecs, o->jrecs + k, (o->njrecs - k) * sizeof(*o->jrecs));
	o->njrecs -= k;
	for (i = 0; i < o->njrecs; i++)
		o->jrecs[i].off -= from;
	o->jsize -= from;
	o->low_seq += k;
	o->base_seq = o->seq;
	return 0;
}
