/*
 * base.c - log bases: an origin's whole state at one (epoch, seq).
 *
 * log/<origin-hex>.<epoch>.base holds what the origin's log says after
 * delta `seq`: every listing and exclusion with its reason, expiry, first
 * and last-changed times and reference, and the hash-chain head.  It is
 * durable data, not a cache: compaction writes it before it drops journal
 * records (compact.c), and an accepted snapshot is stored as one, so that
 * base + the journal records after `seq` always give the origin's state.
 * Recovery loads it when the checkpoint cannot be used.
 *
 * Format (little-endian, written through an exclusive temporary file,
 * fsynced and renamed in):
 *
 *     "BLFBASE1"  origin[16]  epoch u32  seq u64  head[32]  nrecs u32
 *     nrecs x { flags u8 (1 IPv6, 2 exclusion)  len u8  addr[4 or 16]
 *               reason u16  expires u32  first u32  changed u32
 *               reflen u8  ref[reflen] }
 *     BLAKE2b-256 of everything before it
 *
 * Loading streams the file (memory: the state it builds and one buffer)
 * and checks every field; a base whose checksum fails is BLF_ECORRUPT and
 * leaves the origin empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/fileio.h"
#include "core_int.h"

#define BASE_MAGIC "BLFBASE1"
#define BASE_HDR (8 + BLF_KEYID_LEN + 4 + 8 + BLF_HASH_LEN + 4)
#define BASE_REC_MIN 18u    /* a record with an IPv4 address and no ref */
#define BASE_REC_MAX (2 + 16 + 2 + 12 + 1 + BLF_MAX_REF_LEN)

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b + 4, (uint32_t)(v >> 32));
}

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)get16(b) | (uint32_t)get16(b + 2) << 16;
}

static uint64_t
get64(const uint8_t *b)
{
	return (uint64_t)get32(b) | (uint64_t)get32(b + 4) << 32;
}

struct bw {
	fio_atomic a;
	crypto_generichash_state h;
	int err;
};

static void
bw_put(struct bw *w, const void *p, size_t n)
{
	if (w->err == 0 && fio_atomic_write(&w->a, p, n) != 0)
		w->err = 1;
	crypto_generichash_update(&w->h, p, n);
}

/* Write o's current state as the base of its epoch, durably.  The base of
 * another epoch is left to core_journal_sync / recovery.  BLF_EIO leaves the
 * previous base in place (a full disk), except when only the directory's
 * fsync failed after the rename: then the core has failed (core_failed). */
int
core_base_write(core *c, const struct origin *o)
{
	char name[JNAME_MAX];
	uint8_t b[BASE_REC_MAX], sum[BLF_HASH_LEN];
	struct bw w;
	uint32_t i;
	size_t n, rl;

	memset(&w, 0, sizeof(w));
	core_journal_name(name, o->hex, o->epoch, ".base");
	if (fio_atomic_begin(&w.a, c->logfd, name, 0600) != 0)
		return BLF_EIO;
	crypto_generichash_init(&w.h, NULL, 0, BLF_HASH_LEN);
	memcpy(b, BASE_MAGIC, 8);
	memcpy(b + 8, o->id, BLF_KEYID_LEN);
	put32(b + 24, o->epoch);
	put64(b + 28, o->seq);
	memcpy(b + 36, o->head, BLF_HASH_LEN);
	put32(b + 68, o->nrecs);
	bw_put(&w, b, BASE_HDR);
	for (i = 0; i < o->nrecs; i++) {
		const struct rec *r = &o->recs[i];
		blf_prefix p;

		core_origin_rec_prefix(o, r, &p);
		b[0] = (uint8_t)((p.af == BLF_AF_INET6 ? 1 : 0) | (r->flags & REC_EXCL ? 2 : 0));
		b[1] = p.len;
		n = p.af == BLF_AF_INET6 ? 16 : 4;
		memcpy(b + 2, p.addr, n);
		n += 2;
		put16(b + n, r->reason);
		put32(b + n + 2, r->expires);
		put32(b + n + 6, r->first);
		put32(b + n + 10, r->changed);
		rl = core_intern_get(c, r->ref, (char *)b + n + 15);
		b[n + 14] = (uint8_t)rl;
		bw_put(&w, b, n + 15 + rl);
	}
	crypto_generichash_final(&w.h, sum, sizeof(sum));
	if (w.err == 0 && fio_atomic_write(&w.a, sum, sizeof(sum)) != 0)
		w.err = 1;
	if (w.err) {
		fio_atomic_abort(&w.a);
		return BLF_EIO;
	}
	if (fio_atomic_commit(&w.a, c->cfg.no_fsync) == 0)
		return 0;
	if (w.a.renamed)
		c->failed = 1; /* the new base may be in place: memory is behind it */
	return BLF_EIO;
}

/* Read n bytes, hashing them: BLF_ECORRUPT at an early end, BLF_EIO. */
static int
br_get(fio_reader *r, crypto_generichash_state *h, void *out, size_t n)
{
	if (fio_reader_read(r, out, n, NULL) != 0)
		return errno == ENODATA ? BLF_ECORRUPT : BLF_EIO;
	crypto_generichash_update(h, out, n);
	return 0;
}

/*
 * Replace o's state with its base of epoch.  BLF_ENOTFOUND if there is
 * none (o untouched); BLF_ECORRUPT (o left empty, epoch 0) if the file is
 * damaged or names another origin; BLF_EIO, BLF_ENOMEM.
 */
int
core_base_load(core *c, struct origin *o, uint32_t epoch)
{
	char name[JNAME_MAX];
	uint8_t b[BASE_REC_MAX], sum[BLF_HASH_LEN], want[BLF_HASH_LEN];
	crypto_generichash_state h;
	fio_reader r;
	uint64_t fsize;
	uint32_t nrecs, i;
	off_t end;
	int fd, rc;

	core_journal_name(name, o->hex, epoch, ".base");
	if ((fd = fio_openat(c->logfd, name, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
	if ((end = lseek(fd, 0, SEEK_END)) < 0) {
		close(fd);
		return BLF_EIO;
	}
	fsize = (uint64_t)end;
	if (fio_reader_init(&r, fd, 0, 0) != 0) {
		close(fd);
		return BLF_ENOMEM;
	}
	crypto_generichash_init(&h, NULL, 0, BLF_HASH_LEN);
	core_origin_clear(c, o);
	o->epoch = 0;
	o->seq = 0;
	if ((rc = br_get(&r, &h, b, BASE_HDR)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	nrecs = get32(b + 68);
	if (memcmp(b, BASE_MAGIC, 8) != 0 || memcmp(b + 8, o->id, BLF_KEYID_LEN) != 0 ||
	    get32(b + 24) != epoch || get64(b + 28) == 0 ||
	    (uint64_t)nrecs * BASE_REC_MIN > fsize)
		goto out;
	o->seq = get64(b + 28);
	memcpy(o->head, b + 36, BLF_HASH_LEN);
	if ((rc = core_origin_reserve(o, nrecs)) != 0)
		goto out;
	for (i = 0; i < nrecs; i++) {
		blf_prefix p;
		size_t n;
		int excl;

		if ((rc = br_get(&r, &h, b, 2)) != 0)
			goto out;
		rc = BLF_ECORRUPT;
		memset(&p, 0, sizeof(p));
		p.af = (b[0] & 1) ? BLF_AF_INET6 : BLF_AF_INET;
		p.len = b[1];
		excl = (b[0] & 2) != 0;
		n = p.af == BLF_AF_INET6 ? 16 : 4;
		if ((b[0] & ~3u) != 0 || p.len > n * 8)
			goto out;
		if ((rc = br_get(&r, &h, b + 2, n + 15)) != 0)
			goto out;
		memcpy(p.addr, b + 2, n);
		if ((rc = br_get(&r, &h, b + n + 17, b[n + 16])) != 0)
			goto out;
		rc = core_origin_put_rec(c, o, &p, excl, get16(b + n + 2), get32(b + n + 4),
				    get32(b + n + 8), get32(b + n + 12), (const char *)b + n + 17,
				    b[n + 16]);
		if (rc != 0) {
			rc = BLF_ECORRUPT;
			goto out;
		}
	}
	crypto_generichash_final(&h, want, sizeof(want));
	rc = BLF_ECORRUPT;
	if (fio_reader_read(&r, sum, sizeof(sum), NULL) != 0) {
		rc = errno == ENODATA ? BLF_ECORRUPT : BLF_EIO;
		goto out;
	}
	if (memcmp(sum, want, sizeof(sum)) != 0 || fio_reader_tell(&r) != fsize)
		goto out;
	o->epoch = epoch;
	o->base_seq = o->seq;
	rc = 0;
out:
	if (rc != 0 && rc != BLF_ENOTFOUND) {
		core_origin_clear(c, o);
		o->epoch = 0;
		o->seq = 0;
		memset(o->head, 0, BLF_HASH_LEN);
	}
	fio_reader_free(&r);
	close(fd);
	return rc;
}

/* The seq of o's base of epoch (from its header), for recovery to tell
 * whether the checkpoint knew it.  BLF_ENOTFOUND, BLF_ECORRUPT, BLF_EIO. */
int
core_base_seq_of(core *c, const struct origin *o, uint32_t epoch, uint64_t *seq)
{
	char name[JNAME_MAX];
	uint8_t b[BASE_HDR];
	int fd, rc = 0;

	core_journal_name(name, o->hex, epoch, ".base");
	if ((fd = fio_openat(c->logfd, name, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
	if (fio_pread_full(fd, b, sizeof(b), 0) != 0)
		rc = errno == ENODATA ? BLF_ECORRUPT : BLF_EIO;
	else if (memcmp(b, BASE_MAGIC, 8) != 0)
		rc = BLF_ECORRUPT;
	else
		*seq = get64(b + 28);
	close(fd);
	return rc;
}
