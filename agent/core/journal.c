/*
 * journal.c - the journal files: framing, append, sync, read, scan.
 *
 * One append-only file per (origin, epoch), log/<origin-hex>.<epoch>.jnl.
 * Each record is
 *
 *     u32 length (little-endian) || envelope bytes || 8-byte checksum
 *
 * where the envelope is the exact signed message as received (so it can be
 * re-served and re-verified) and the checksum is the first 8 bytes of
 * BLAKE2b-128 over the length field and the envelope.  A record counts once
 * it has been synced (core_journal_sync).  A file's first record is seq 1 of its
 * epoch, or the record after the seq of the epoch's base (base.c).
 *
 * core_journal_scan streams a file front to back, one record at a time through
 * one buffer the size of the largest record, and hands each intact record
 * to a callback: recovery and compaction use it, and their memory does not
 * grow with the file.  All I/O goes through keys/fileio.h and the log
 * directory's descriptor; no symlink is followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/fileio.h"
#include "core_int.h"

/* "<hex>.<epoch><ext>" (ext with its dot). */
void
core_journal_name(char name[JNAME_MAX], const char *hex, uint32_t epoch, const char *ext)
{
	snprintf(name, JNAME_MAX, "%s.%u%s", hex, epoch, ext);
}

static void
rec_sum(const uint8_t hdr[JREC_HDR], const uint8_t *msg, size_t len, uint8_t sum[JREC_SUM])
{
	crypto_generichash_state st;
	uint8_t h[16];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, hdr, JREC_HDR);
	crypto_generichash_update(&st, msg, len);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(sum, h, JREC_SUM);
}

/* Make c->scratch hold at least len bytes. */
int
core_journal_scratch(core *c, size_t len)
{
	uint8_t *b;

	if (len <= c->scratchcap)
		return 0;
	if ((b = realloc(c->scratch, len)) == NULL)
		return BLF_ENOMEM;
	c->scratch = b;
	c->scratchcap = len;
	return 0;
}

/* Append j to o's journal index. */
int
core_journal_jrec_push(struct origin *o, const struct jrec *j)
{
	struct jrec *nj;
	size_t cap;

	if (o->njrecs == o->capjrecs) {
		cap = o->capjrecs ? o->capjrecs * 2 : 64;
		if ((nj = realloc(o->jrecs, cap * sizeof(*nj))) == NULL)
			return BLF_ENOMEM;
		o->jrecs = nj;
		o->capjrecs = cap;
	}
	o->jrecs[o->njrecs++] = *j;
	return 0;
}

/*
 * Open the existing journal of o's epoch for appends (after recovery or
 * compaction), creating an empty one if there is none.  o's index is left
 * as it is.
 */
int
core_journal_open(core *c, struct origin *o, uint32_t epoch)
{
	char name[JNAME_MAX];
	int fd;

	core_journal_name(name, o->hex, epoch, ".jnl");
	fd = fio_openat(c->logfd, name, O_RDWR, 0600);
	if (fd < 0 && errno == ENOENT) {
		fd = fio_openat(c->logfd, name, O_RDWR | O_CREAT | O_EXCL, 0600);
		o->jfresh = fd >= 0;
	}
	if (fd < 0)
		return BLF_EIO;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
	o->jepoch = epoch;
	return 0;
}

/* The saved journal position of o, to undo a failed epoch switch. */
struct jpos {
	int fd, fresh;
	uint32_t jepoch;
	uint64_t jsize, low_seq, base_seq;
	size_t njrecs;
};

/*
 * Append one record for (epoch, seq).  A new epoch starts a new file and
 * a new journal index; the old file is unlinked by core_journal_sync once the
 * new one is durable (or at once, if it was itself created since the last
 * sync: it holds nothing acknowledged).  On failure the origin's journal
 * position is as before the call.  The record is not durable until
 * core_journal_sync.
 */
int
core_journal_append(core *c, struct origin *o, uint32_t epoch, uint64_t seq, const uint8_t *msg,
	       size_t len, uint64_t created, const uint8_t hash[BLF_HASH_LEN])
{
	char name[JNAME_MAX];
	struct jpos old = { o->fd, o->jfresh, o->jepoch, o->jsize, o->low_seq, o->base_seq,
			    o->njrecs };
	struct jrec j;
	uint8_t *b;
	int rc, fd, switched = 0;

	if (len > JREC_MAX)
		return BLF_ETOOBIG;
	if ((rc = core_journal_scratch(c, len + JREC_OVERHEAD)) != 0)
		return rc;
	if (o->fd < 0 || o->jepoch != epoch) {
		core_journal_name(name, o->hex, epoch, ".jnl");
		/* a leftover file of this newer epoch never held an accepted
		 * record (recovery removes those): start it afresh */
		fd = fio_openat(c->logfd, name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return BLF_EIO;
		o->fd = fd;
		o->jfresh = 1;
		o->jepoch = epoch;
		o->jsize = 0;
		o->njrecs = 0;
		o->low_seq = seq;
		o->base_seq = 0;
		switched = 1;
	}
	b = c->scratch;
	b[0] = (uint8_t)len;
	b[1] = (uint8_t)(len >> 8);
	b[2] = (uint8_t)(len >> 16);
	b[3] = (uint8_t)(len >> 24);
	memcpy(b + JREC_HDR, msg, len);
	rec_sum(b, msg, len, b + JREC_HDR + len);
	j.off = o->jsize;
	j.len = (uint32_t)len;
	j.created = (uint32_t)created;
	memcpy(j.hash, hash, BLF_HASH_LEN);
	if ((rc = core_journal_jrec_push(o, &j)) != 0)
		goto fail;
	/* a torn record past jsize is cut off by recovery or overwritten by the
	 * next append at the same offset */
	if (fio_pwrite_full(o->fd, b, len + JREC_OVERHEAD, o->jsize) != 0) {
		o->njrecs--;
		rc = BLF_EIO;
		goto fail;
	}
	o->jsize += len + JREC_OVERHEAD;
	o->jdirty = 1;
	if (switched && old.fd >= 0) {
		close(old.fd);
		if (old.fresh) {
			/* created in this batch, never acknowledged */
			core_journal_name(name, o->hex, old.jepoch, ".jnl");
			(void)fio_unlinkat(c->logfd, name);
		} else if (o->drop_epoch == 0) {
			o->drop_epoch = old.jepoch;
		}
	}
	return 0;
fail:
	if (switched) {
		int e = errno; /* the write's reason, for core_eio */

		close(o->fd);
		(void)fio_unlinkat(c->logfd, name);
		o->fd = old.fd;
		o->jfresh = old.fresh;
		o->jepoch = old.jepoch;
		o->jsize = old.jsize;
		o->low_seq = old.low_seq;
		o->base_seq = old.base_seq;
		o->njrecs = old.njrecs;
		errno = e;
	}
	return rc;
}

/* Make the appended records durable (and a new file's name); then drop a
 * superseded epoch's files.  BLF_EIO if the sync fails. */
int
core_journal_sync(core *c, struct origin *o)
{
	char name[JNAME_MAX];

	if (!o->jdirty && !o->jfresh)
		return 0;
	if (!c->cfg.no_fsync) {
		if (o->jdirty && fio_fdatasync(o->fd) != 0)
			return BLF_EIO;
		if (o->jfresh && fio_fsync_dirfd(c->logfd) != 0)
			return BLF_EIO;
	}
	o->jdirty = 0;
	o->jfresh = 0;
	if (o->drop_epoch != 0) {
		core_journal_name(name, o->hex, o->drop_epoch, ".jnl");
		(void)fio_unlinkat(c->logfd, name);
		core_journal_name(name, o->hex, o->drop_epoch, ".base");
		(void)fio_unlinkat(c->logfd, name);
		o->drop_epoch = 0;
	}
	return 0;
}

/* Read the envelope of journal record i into a malloc'd buffer. */
int
core_journal_read(const struct origin *o, size_t i, uint8_t **buf, size_t *len)
{
	const struct jrec *j = &o->jrecs[i];
	uint8_t *b;

	*buf = NULL;
	if ((b = malloc(j->len ? j->len : 1)) == NULL)
		return BLF_ENOMEM;
	if (fio_pread_full(o->fd, b, j->len, j->off + JREC_HDR) != 0) {
		free(b);
		return BLF_EIO;
	}
	*buf = b;
	*len = j->len;
	return 0;
}

/*
 * Stream the records of fd from offset from.  Each intact record (framing,
 * size limit and checksum hold) goes to fn; the scan ends at the end of
 * the file, at the first damaged or torn record, or when fn says JSCAN_STOP.
 * *end receives the offset after the last record fn accepted.  Memory: one
 * read buffer and c->scratch, the size of the largest record.  Returns 0,
 * BLF_EIO, BLF_ENOMEM or fn's code.
 */
int
core_journal_scan(core *c, int fd, uint64_t from, journal_rec_fn fn, void *ctx, uint64_t *end)
{
	fio_reader r;
	uint8_t hdr[JREC_HDR], sum[JREC_SUM];
	uint64_t off = from;
	size_t len;
	int rc;

	*end = from;
	if (fio_reader_init(&r, fd, from, 0) != 0)
		return BLF_ENOMEM;
	for (;;) {
		if (fio_reader_read(&r, hdr, JREC_HDR, NULL) != 0) {
			rc = errno == ENODATA ? 0 : BLF_EIO;
			break;
		}
		len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
		      (size_t)hdr[3] << 24;
		rc = 0;
		if (len == 0 || len > JREC_MAX)
			break;
		if ((rc = core_journal_scratch(c, len + JREC_SUM)) != 0)
			break;
		if (fio_reader_read(&r, c->scratch, len + JREC_SUM, NULL) != 0) {
			rc = errno == ENODATA ? 0 : BLF_EIO;
			break;
		}
		rec_sum(hdr, c->scratch, len, sum);
		if (memcmp(sum, c->scratch + len, JREC_SUM) != 0)
			break;
		rc = fn(ctx, c->scratch, len, off);
		if (rc == JSCAN_STOP) {
			rc = 0;
			break;
		}
		if (rc != 0)
			break;
		off += len + JREC_OVERHEAD;
		*end = off;
	}
	fio_reader_free(&r);
	return rc;
}
