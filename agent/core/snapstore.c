/*
 * snapstore.c - the snapshot each origin's log is served from (SPEC 6.5,
 * 6.8, 12.4): one file per origin, log/<origin-hex>.snap, holding the
 * newest complete, verified snapshot of that origin this agent keeps, as
 * the exact signed chunk envelopes, so that any agent can serve it
 * unchanged to a peer behind a compaction (signatures are end to end; only
 * the origin can sign a snapshot).
 *
 * Where it comes from: our own origin's is made by core_snapshot_keep (the
 * transport calls it when compaction waits for one); another origin's is
 * the one we accepted as a base (core_snapshot_apply), or a served one
 * older than our log that agrees with it (core_snapshot_take with
 * keep_older), fetched when compaction waits for one.
 *
 * The compaction rule (compact.c): a journal record is dropped only when it
 * is older than the window AND the kept snapshot of the same epoch covers
 * its seq.  So whatever a peer asks for, we hold either the deltas or a
 * snapshot at or after them plus every delta after the snapshot: a relay
 * can bring any peer back, however far behind.
 *
 * File format (big endian): "BLFSNAP1", epoch u32, seq u64, nchunks u32,
 * then for chunk 0 .. nchunks-1 in order: length u32, envelope bytes.  The
 * header repeats what chunk 0 says, so that compaction and serving need
 * not decode a chunk.  Written whole to an exclusive temporary file,
 * fsynced and renamed in (fileio), mode 0600.  The file is read back with
 * bounds checks only; what it serves is verified by whoever receives it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../keys/fileio.h"
#include "core_int.h"

#define SNAP_MAGIC "BLFSNAP1"
#define SNAP_HDR 24u

static void
snap_name(char name[JNAME_MAX], const uint8_t origin[BLF_KEYID_LEN])
{
	char hex[BLF_KEYID_HEX_LEN + 1];

	blf_keyid_hex(origin, hex);
	snprintf(name, JNAME_MAX, "%s.snap", hex);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
header(uint8_t h[SNAP_HDR], uint32_t epoch, uint64_t seq, uint32_t nchunks)
{
	memcpy(h, SNAP_MAGIC, 8);
	put32(h + 8, epoch);
	put32(h + 12, (uint32_t)(seq >> 32));
	put32(h + 16, (uint32_t)seq);
	put32(h + 20, nchunks);
}

/* Open the kept file of origin and read its header: fd, or -1 (errno). */
static int
snap_open(core *c, const uint8_t origin[BLF_KEYID_LEN], core_snap_info *info)
{
	char name[JNAME_MAX];
	uint8_t h[SNAP_HDR];
	int fd;

	snap_name(name, origin);
	if ((fd = fio_openat(c->logfd, name, O_RDONLY, 0)) < 0)
		return -1;
	if (fio_pread_full(fd, h, SNAP_HDR, 0) != 0) {
		close(fd);
		errno = errno == 0 ? EIO : errno;
		return -1;
	}
	if (memcmp(h, SNAP_MAGIC, 8) != 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	info->epoch = get32(h + 8);
	info->seq = (uint64_t)get32(h + 12) << 32 | get32(h + 16);
	info->nchunks = get32(h + 20);
	if (info->epoch == 0 || info->seq == 0 || info->nchunks == 0 ||
	    info->nchunks > BLF_MAX_SNAPSHOT_CHUNKS) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Internal (core_int.h): what the kept file of origin says; 0,
 * BLF_ENOTFOUND (none, or not a kept snapshot file: a short or damaged
 * header) or BLF_EIO (it could not be read). */
int
core_snapstore_info(core *c, const uint8_t origin[BLF_KEYID_LEN], core_snap_info *info)
{
	int fd;

	memset(info, 0, sizeof(*info));
	errno = 0;
	if ((fd = snap_open(c, origin, info)) < 0)
		return errno == ENOENT || errno == EINVAL || errno == 0 ? BLF_ENOTFOUND : BLF_EIO;
	close(fd);
	return 0;
}

/* Internal (core_int.h): keep the verified chunks (any order; s[i] decodes
 * chunks[i]) as origin's kept snapshot.  0, BLF_ENOMEM or BLF_EIO. */
int
core_snapstore_write(core *c, const blf_snapshot *s, const uint8_t *const *chunks,
		const size_t *lens, size_t n)
{
	char name[JNAME_MAX];
	uint8_t h[SNAP_HDR], l[4];
	size_t *order, i;
	fio_atomic a;
	int rc = 0;

	if ((order = calloc(n, sizeof(*order))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < n; i++)
		order[s[i].chunk] = i;
	snap_name(name, s[0].origin);
	if (fio_atomic_begin(&a, c->logfd, name, 0600) != 0) {
		free(order);
		return BLF_EIO;
	}
	header(h, s[0].epoch, s[0].seq, (uint32_t)n);
	(void)fio_atomic_write(&a, h, SNAP_HDR);
	for (i = 0; i < n; i++) {
		put32(l, (uint32_t)lens[order[i]]);
		(void)fio_atomic_write(&a, l, 4);
		(void)fio_atomic_write(&a, chunks[order[i]], lens[order[i]]);
	}
	if (fio_atomic_commit(&a, c->cfg.no_fsync) != 0) {
		fio_atomic_abort(&a);
		rc = BLF_EIO;
	}
	free(order);
	return rc;
}

/* Internal (core_int.h): start writing origin's kept snapshot chunk by
 * chunk (core_spool): an exclusive temporary file beside the kept one,
 * mode 0600, that fio_atomic_commit renames into place.  0 or BLF_EIO. */
int
core_snapstore_spool_begin(core *c, const uint8_t origin[BLF_KEYID_LEN], fio_atomic *a)
{
	char name[JNAME_MAX];

	snap_name(name, origin);
	return fio_atomic_begin(a, c->logfd, name, 0600) == 0 ? 0 : BLF_EIO;
}

/* Internal (core_int.h): append chunk `chunk` (in order from 0, the
 * header before chunk 0) to a kept file being written.  0 or BLF_EIO. */
int
core_snapstore_spool_add(fio_atomic *a, const blf_snapshot *s, const uint8_t *msg, size_t len)
{
	uint8_t h[SNAP_HDR], l[4];

	if (s->chunk == 0) {
		header(h, s->epoch, s->seq, s->nchunks);
		(void)fio_atomic_write(a, h, SNAP_HDR);
	}
	put32(l, (uint32_t)len);
	(void)fio_atomic_write(a, l, 4);
	return fio_atomic_write(a, msg, len) == 0 ? 0 : BLF_EIO;
}

/* Internal (core_int.h): open the file being written for reading its
 * chunks back in order (core_snapstore_spool_next): the descriptor, or -1. */
int
core_snapstore_spool_open(core *c, fio_atomic *a, fio_reader *r)
{
	int fd;

	if (fio_atomic_flush(a) != 0 || (fd = fio_openat(c->logfd, a->tmp, O_RDONLY, 0)) < 0)
		return -1;
	if (fio_reader_init(r, fd, SNAP_HDR, 0) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Internal (core_int.h): the next chunk of a file opened by
 * core_snapstore_spool_open, into buf (cap bytes): 0 and *len, or BLF_EIO. */
int
core_snapstore_spool_next(fio_reader *r, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t l[4];

	if (fio_reader_read(r, l, 4, NULL) != 0)
		return BLF_EIO;
	*len = get32(l);
	if (*len > cap || fio_reader_read(r, buf, *len, NULL) != 0)
		return BLF_EIO;
	return 0;
}

/* Internal (core_int.h): forget origin's kept snapshot (reset). */
void
core_snapstore_remove(core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	char name[JNAME_MAX];

	snap_name(name, origin);
	(void)fio_unlinkat(c->logfd, name);
}

/* See core.h. */
int
core_snapshot_kept(core *c, const uint8_t origin[BLF_KEYID_LEN], core_snap_info *info)
{
	return core_snapstore_info(c, origin, info);
}

/* See core.h. */
int
core_snapshot_chunk(core *c, const uint8_t origin[BLF_KEYID_LEN], uint32_t chunk,
		    core_snap_info *info, uint8_t **msg, size_t *len)
{
	uint8_t l[4];
	uint64_t off = SNAP_HDR;
	uint32_t i, sz = 0;
	uint8_t *b;
	int fd, rc = BLF_ENOTFOUND;

	*msg = NULL;
	*len = 0;
	if ((fd = snap_open(c, origin, info)) < 0)
		return BLF_ENOTFOUND;
	if (chunk >= info->nchunks)
		goto out;
	for (i = 0;; i++) {
		if (fio_pread_full(fd, l, 4, off) != 0) {
			rc = BLF_EIO;
			goto out;
		}
		sz = get32(l);
		if (sz == 0 || sz > BLF_MAX_MSG_SIZE) {
			rc = BLF_EIO;
			goto out;
		}
		if (i == chunk)
			break;
		off += 4 + (uint64_t)sz;
	}
	if ((b = malloc(sz)) == NULL) {
		rc = BLF_ENOMEM;
		goto out;
	}
	if (fio_pread_full(fd, b, sz, off + 4) != 0) {
		free(b);
		rc = BLF_EIO;
		goto out;
	}
	*msg = b;
	*len = sz;
	rc = 0;
out:
	close(fd);
	return rc;
}

struct keep_ctx {
	fio_atomic a;
};

static int
keep_chunk(void *ctx, const uint8_t *msg, size_t len)
{
	struct keep_ctx *k = ctx;
	uint8_t l[4];

	put32(l, (uint32_t)len);
	if (fio_atomic_write(&k->a, l, 4) != 0 || fio_atomic_write(&k->a, msg, len) != 0)
		return BLF_EIO;
	return 0;
}

/* See core.h. */
int
core_snapshot_keep(core *c, const key_secret *ks, uint64_t now)
{
	const trust_anchor *a = NULL;
	const struct origin *o;
	struct keep_ctx k;
	uint8_t pk[BLF_PK_LEN], h[SNAP_HDR];
	char name[JNAME_MAX];
	size_t i, n = 0;
	uint32_t nchunks;
	int rc;

	if (c->failed)
		return BLF_EIO;
	if ((rc = trust_store_resolve(&c->trust, ks->keyid, now, &a, pk)) != 0)
		return rc;
	o = core_origin_find(c, a->origin);
	if (o == NULL || o->epoch == 0)
		return BLF_ENOTFOUND;
	/* the same count core_snapshot_make makes */
	for (i = 0; i < o->nrecs; i++)
		n += core_snapshot_rec_in(&o->recs[i], now);
	nchunks = (uint32_t)(n == 0 ? 1 : (n + BLF_MAX_OPS - 1) / BLF_MAX_OPS);
	if (nchunks > BLF_MAX_SNAPSHOT_CHUNKS)
		return BLF_ELIMIT;
	snap_name(name, o->id);
	if (fio_atomic_begin(&k.a, c->logfd, name, 0600) != 0)
		return BLF_EIO;
	header(h, o->epoch, o->seq, nchunks);
	(void)fio_atomic_write(&k.a, h, SNAP_HDR);
	if ((rc = core_snapshot_make(c, ks, now, keep_chunk, &k)) != 0) {
		fio_atomic_abort(&k.a);
		return rc;
	}
	if (fio_atomic_commit(&k.a, c->cfg.no_fsync) != 0) {
		fio_atomic_abort(&k.a);
		return BLF_EIO;
	}
	return 0;
}

/* Internal (core_int.h): *seq = the highest seq of o's journal that
 * compaction may drop: what the kept snapshot of o's epoch covers (0:
 * nothing).  0 or BLF_EIO. */
int
core_snapstore_covered(core *c, const struct origin *o, uint64_t *seq)
{
	core_snap_info info;
	int rc;

	*seq = 0;
	rc = core_snapstore_info(c, o->id, &info);
	if (rc == BLF_EIO)
		return rc;
	if (rc == 0 && info.epoch == o->epoch)
		*seq = info.seq;
	return 0;
}

/* See core.h. */
size_t
core_snapshot_needed(core *c, uint64_t now, blf_head *out, size_t max)
{
	uint64_t covered;
	size_t i, n = 0;

	for (i = 0; i < c->norigins && n < max; i++) {
		const struct origin *o = c->origins[i];

		if (o->epoch == 0 || o->njrecs == 0 || o->jepoch != o->epoch ||
		    (uint64_t)o->jrecs[0].created + c->cfg.window >= now)
			continue;
		if (core_snapstore_covered(c, o, &covered) == 0 && covered >= o->low_seq)
			continue; /* compaction can drop the first record already */
		memcpy(out[n].origin, o->id, BLF_KEYID_LEN);
		out[n].epoch = o->epoch;
		out[n].seq = o->seq;
		memcpy(out[n].hash, o->head, BLF_HASH_LEN);
		n++;
	}
	return n;
}
