/*
 * checkpoint.c - the checkpoint: a cache of the whole in-memory state.
 *
 * <datadir>/checkpoint holds every origin's head, records, IPv6 addresses,
 * hash index and journal index, and the interned references (their table
 * and their stems' table, refs.c, written as they lie in memory), in host byte
 * order (an endianness marker rejects a foreign file), followed by a fast
 * 64-bit checksum of everything before it.  A restart loads it with large
 * sequential reads straight into the final arrays (no index rebuild) and
 * replays only the journal records after its position.  The trust store's
 * hash is kept so that unchanged policy needs no verdict recomputation.
 *
 * It is a cache: nothing else depends on it.  Written through an exclusive
 * temporary file, fsynced and renamed in (keys/fileio.h).  A checkpoint
 * that fails any check is reported (core_stats_io) and ignored: recovery
 * rebuilds the state from the bases and journals, and the next checkpoint
 * replaces it.  Freezes are not in it (evidence.c keeps them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/fileio.h"
#include "core_int.h"

#define CKPT_MAGIC "BLFCKPT4"
#define CKPT_ENDIAN 0x01020304u
#define CKPT_VERSION 4u
#define CKPT_NAME "checkpoint"
#define CKPT_READ_BUF (1u << 20)

/*
 * Checksum of the checkpoint: a 4-lane multiply-xor hash over 64-bit
 * words, folded per written section.  It detects torn and corrupted files
 * at several GB/s; it is not a defence against forgery (the file is local
 * and only this agent writes it).
 */
static uint64_t
ck_update(uint64_t h, const void *p, size_t n)
{
	const uint64_t k = 0x9fb21c651e98df25ULL;
	const uint8_t *b = p;
	uint64_t l0 = h ^ 0x9e3779b97f4a7c15ULL, l1 = h + n, l2 = ~h, l3 = h * 31, w[4], t = 0;
	size_t left = n;

	while (left >= 32) {
		memcpy(w, b, 32);
		l0 = (l0 ^ w[0]) * k;
		l1 = (l1 ^ w[1]) * k;
		l2 = (l2 ^ w[2]) * k;
		l3 = (l3 ^ w[3]) * k;
		l0 ^= l0 >> 29;
		l1 ^= l1 >> 29;
		l2 ^= l2 >> 29;
		l3 ^= l3 >> 29;
		b += 32;
		left -= 32;
	}
	while (left >= 8) {
		memcpy(w, b, 8);
		l0 = (l0 ^ w[0]) * k;
		l0 ^= l0 >> 29;
		b += 8;
		left -= 8;
	}
	if (left > 0)
		memcpy(&t, b, left);
	l1 = (l1 ^ t) * k;
	return core_mix64(l0 ^ core_mix64(l1) ^ (core_mix64(l2) << 1) ^ (core_mix64(l3) >> 1) ^ n);
}

/* Hash of the trust store's text form (all zero if it cannot be formed). */
static void
trust_hash(const core *c, uint8_t h[32])
{
	char *text = NULL;
	size_t len = 0;

	memset(h, 0, 32);
	if (trust_store_format(&c->trust, &text, &len) == 0)
		crypto_generichash(h, 32, (const uint8_t *)text, len, NULL, 0);
	free(text);
}

struct wr {
	fio_atomic a;
	uint64_t ck;
	int err;
};

static void
wr_put(struct wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > 0 && fio_atomic_write(&w->a, p, n) != 0)
		w->err = 1;
	w->ck = ck_update(w->ck, p, n);
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	wr_put(w, &v, sizeof(v));
}

static void
wr_u64(struct wr *w, uint64_t v)
{
	wr_put(w, &v, sizeof(v));
}

static void
tab_write(struct wr *w, const struct strtab *t)
{
	wr_u32(w, t->n);
	wr_u64(w, t->used);
	wr_put(w, t->e, (size_t)t->n * sizeof(*t->e));
	wr_put(w, t->arena, t->used);
	wr_u32(w, t->n ? t->mask + 1 : 0);
	wr_put(w, t->slots, t->n ? ((size_t)t->mask + 1) * sizeof(*t->slots) : 0);
}

/* Write the checkpoint: exclusive temporary file, fsync, rename, fsync of
 * the directory.  Layout (host byte order): magic, endian marker, version,
 * trust hash, origin count, the references' and the stems' tables (each:
 * id count, arena size, entries, arena, slot count, slots), then per origin its head, counts, records, IPv6 addresses, free
 * list, journal index and hash index; finally the 8-byte checksum.
 * Returns 0 or BLF_EIO (the old checkpoint is then untouched). */
int
core_checkpoint_write(core *c)
{
	uint8_t th[32];
	struct wr w;
	size_t i;

	memset(&w, 0, sizeof(w));
	if (fio_atomic_begin(&w.a, c->dfd, CKPT_NAME, 0600) != 0)
		return BLF_EIO;
	wr_put(&w, CKPT_MAGIC, 8);
	wr_u32(&w, CKPT_ENDIAN);
	wr_u32(&w, CKPT_VERSION);
	trust_hash(c, th);
	wr_put(&w, th, sizeof(th));
	wr_u64(&w, c->norigins);
	tab_write(&w, &c->refs);
	tab_write(&w, &c->stems);
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];

		wr_put(&w, o->id, BLF_KEYID_LEN);
		wr_u32(&w, o->epoch);
		wr_u32(&w, o->jepoch);
		wr_u64(&w, o->seq);
		wr_put(&w, o->head, BLF_HASH_LEN);
		wr_u32(&w, o->nrecs);
		wr_u32(&w, o->nlist);
		wr_u32(&w, o->n6);
		wr_u32(&w, o->nfree6);
		wr_u64(&w, o->jsize);
		wr_u64(&w, o->low_seq);
		wr_u64(&w, o->njrecs);
		wr_u64(&w, o->base_seq);
		wr_u32(&w, o->mask ? o->mask + 1 : 0);
		wr_put(&w, o->recs, (size_t)o->nrecs * sizeof(*o->recs));
		wr_put(&w, o->a6, (size_t)o->n6 * 16);
		wr_put(&w, o->free6, (size_t)o->nfree6 * sizeof(*o->free6));
		wr_put(&w, o->jrecs, o->njrecs * sizeof(*o->jrecs));
		wr_put(&w, o->slots, o->mask ? ((size_t)o->mask + 1) * sizeof(*o->slots) : 0);
	}
	if (!w.err && fio_atomic_write(&w.a, &w.ck, sizeof(w.ck)) != 0)
		w.err = 1;
	if (w.err) {
		fio_atomic_abort(&w.a);
		return BLF_EIO;
	}
	return fio_atomic_commit(&w.a, c->cfg.no_fsync) == 0 ? 0 : BLF_EIO;
}

/* Check a loaded hash index: every slot names a record, each record once
 * (so lookups can never leave the arrays). */
static int
slots_check(const struct origin *o)
{
	uint64_t sum = 0, want;
	uint32_t i, idx, cnt = 0;

	for (i = 0; i <= o->mask; i++) {
		if (o->slots[i] == 0)
			continue;
		idx = o->slots[i] & ((1u << 26) - 1);
		if (idx == 0 || idx > o->nrecs)
			return BLF_ECORRUPT;
		sum += idx;
		cnt++;
	}
	want = (uint64_t)o->nrecs * (o->nrecs + 1) / 2;
	return cnt == o->nrecs && sum == want ? 0 : BLF_ECORRUPT;
}

struct rd {
	fio_reader r;
	uint64_t left; /* bytes before the trailing checksum */
	uint64_t ck;
};

/* Read n bytes: BLF_ECORRUPT past the end, BLF_EIO on a read error. */
static int
rd_get(struct rd *r, void *out, size_t n)
{
	if (r->left < n)
		return BLF_ECORRUPT;
	if (n > 0 && fio_reader_read(&r->r, out, n, NULL) != 0)
		return errno == ENODATA ? BLF_ECORRUPT : BLF_EIO;
	r->ck = ck_update(r->ck, out, n);
	r->left -= n;
	return 0;
}

/* Allocate n bytes (refusing counts the file cannot hold) and read them;
 * a hash index gets huge pages asked for before it is read. */
static int
rd_alloc_as(struct rd *r, void **out, size_t n, int index)
{
	*out = NULL;
	if (r->left < n)
		return BLF_ECORRUPT;
	if ((*out = malloc(n ? n : 1)) == NULL)
		return BLF_ENOMEM;
	if (index)
		core_hugepages(*out, n);
	return rd_get(r, *out, n);
}

static int
rd_alloc(struct rd *r, void **out, size_t n)
{
	return rd_alloc_as(r, out, n, 0);
}

static int
rd_alloc_index(struct rd *r, void **out, size_t n)
{
	return rd_alloc_as(r, out, n, 1);
}

static void
tab_drop(struct strtab *t)
{
	free(t->e);
	free(t->arena);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* Read one string table as tab_write wrote it (nothing checked but sizes:
 * core_intern_load checks the rest).  On failure t's arrays are for the caller
 * to free (tab_drop). */
static int
tab_read(struct rd *r, struct strtab *t)
{
	uint64_t used;
	uint32_t n, nslots;
	int rc;

	if ((rc = rd_get(r, &n, 4)) != 0 || (rc = rd_get(r, &used, 8)) != 0)
		return rc;
	if (n > (1u << 28) || (uint64_t)n * sizeof(struct istr) > r->left || used > r->left ||
	    used > UINT32_MAX)
		return BLF_ECORRUPT;
	if ((rc = rd_alloc(r, (void **)&t->e, (size_t)n * sizeof(struct istr))) != 0 ||
	    (rc = rd_alloc(r, (void **)&t->arena, (size_t)used)) != 0 ||
	    (rc = rd_get(r, &nslots, 4)) != 0)
		return rc;
	if (nslots > r->left / 4 || (n > 0) != (nslots > 0) || (nslots & (nslots - 1)) != 0)
		return BLF_ECORRUPT;
	if ((rc = rd_alloc_index(r, (void **)&t->slots, (size_t)nslots * 4)) != 0)
		return rc;
	t->n = n;
	t->used = (size_t)used;
	t->mask = nslots ? nslots - 1 : 0;
	return 0;
}

/* Forget everything a failed load put in memory. */
static void
drop_all(core *c)
{
	size_t i;

	for (i = 0; i < c->norigins; i++)
		core_origin_free(c->origins[i]);
	free(c->origins);
	c->origins = NULL;
	c->norigins = 0;
	core_intern_free_all(c);
}

/*
 * Load the checkpoint if there is one.  Returns 0 (loaded), BLF_ENOTFOUND
 * (none), BLF_ECORRUPT (damaged: nothing of it is kept), BLF_EIO (could
 * not be read: nothing kept), BLF_ENOMEM.  The trust store must be set;
 * verdicts are recomputed if it changed since.
 */
int
core_checkpoint_load(core *c)
{
	uint8_t th[32], th2[32], magic[8];
	struct rd r;
	off_t end;
	uint64_t norigins, i, nj, ck;
	uint32_t v, nrecs, nslots;
	struct origin *o;
	int fd, rc;

	memset(&r, 0, sizeof(r));
	if ((fd = fio_openat(c->dfd, CKPT_NAME, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
	rc = BLF_EIO;
	if ((end = lseek(fd, 0, SEEK_END)) < 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (end < 8 + 8 + 32 + 8 + 4 + 8)
		goto out;
	rc = BLF_ENOMEM;
	if (fio_reader_init(&r.r, fd, 0, CKPT_READ_BUF) != 0)
		goto out;
	r.left = (uint64_t)end - 8;
	if ((rc = rd_get(&r, magic, 8)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (memcmp(magic, CKPT_MAGIC, 8) != 0)
		goto out;
	if ((rc = rd_get(&r, &v, 4)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (v != CKPT_ENDIAN)
		goto out;
	if ((rc = rd_get(&r, &v, 4)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (v != CKPT_VERSION)
		goto out;
	if ((rc = rd_get(&r, th, 32)) != 0 || (rc = rd_get(&r, &norigins, 8)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (norigins > CORE_MAX_ORIGINS)
		goto out;
	/* the interned references and their stems: bulk reads */
	{
		struct strtab refs, stems;

		memset(&refs, 0, sizeof(refs));
		memset(&stems, 0, sizeof(stems));
		if ((rc = tab_read(&r, &refs)) != 0 || (rc = tab_read(&r, &stems)) != 0) {
			tab_drop(&refs);
			tab_drop(&stems);
			goto out;
		}
		if ((rc = core_intern_load(c, &refs, &stems)) != 0)
			goto out;
	}
	for (i = 0; i < norigins; i++) {
		uint8_t oid[BLF_KEYID_LEN];
		uint32_t jepoch, nlist, n6, nfree6;
		uint64_t jsize, low, seq, bseq;

		if ((rc = rd_get(&r, oid, BLF_KEYID_LEN)) != 0)
			goto out;
		rc = BLF_ECORRUPT;
		if (core_origin_find(c, oid) != NULL)
			goto out; /* the same origin twice */
		if ((rc = core_origin_get(c, oid, &o)) != 0)
			goto out;
		if ((rc = rd_get(&r, &o->epoch, 4)) || (rc = rd_get(&r, &jepoch, 4)) ||
		    (rc = rd_get(&r, &seq, 8)) || (rc = rd_get(&r, o->head, BLF_HASH_LEN)) ||
		    (rc = rd_get(&r, &nrecs, 4)) || (rc = rd_get(&r, &nlist, 4)) ||
		    (rc = rd_get(&r, &n6, 4)) || (rc = rd_get(&r, &nfree6, 4)) ||
		    (rc = rd_get(&r, &jsize, 8)) || (rc = rd_get(&r, &low, 8)) ||
		    (rc = rd_get(&r, &nj, 8)) || (rc = rd_get(&r, &bseq, 8)) ||
		    (rc = rd_get(&r, &nslots, 4)))
			goto out;
		rc = BLF_ECORRUPT;
		if (nrecs >= (1u << 26) - 1 || nlist > nrecs || n6 > nrecs + nfree6 ||
		    nfree6 > n6 || nj > r.left / sizeof(struct jrec) ||
		    nslots > r.left / 4 || (nslots & (nslots - 1)) != 0 ||
		    (uint64_t)nslots * 3 / 4 < (uint64_t)nrecs + 1 || jepoch != o->epoch)
			goto out;
		o->seq = seq;
		o->nrecs = o->caprecs = nrecs;
		o->nlist = nlist;
		o->n6 = o->cap6 = n6;
		o->nfree6 = o->capfree6 = nfree6;
		o->jepoch = jepoch;
		o->jsize = jsize;
		o->low_seq = low;
		o->base_seq = bseq;
		o->njrecs = o->capjrecs = (size_t)nj;
		free(o->slots);
		o->slots = NULL;
		o->mask = 0;
		if ((rc = rd_alloc(&r, (void **)&o->recs, (size_t)nrecs * sizeof(struct rec))) ||
		    (rc = rd_alloc(&r, (void **)&o->a6, (size_t)n6 * 16)) ||
		    (rc = rd_alloc(&r, (void **)&o->free6, (size_t)nfree6 * 4)) ||
		    (rc = rd_alloc(&r, (void **)&o->jrecs, (size_t)nj * sizeof(struct jrec))) ||
		    (rc = rd_alloc_index(&r, (void **)&o->slots, (size_t)nslots * 4)))
			goto out;
		o->mask = nslots - 1;
		if ((rc = core_origin_fit_free6(o)) != 0)
			goto out;
		for (v = 0; v < nrecs; v++) {
			const struct rec *x = &o->recs[v];

			rc = BLF_ECORRUPT;
			if ((x->flags & REC_V6) ? (x->a >= n6 || x->len > 128) : x->len > 32)
				goto out;
			if (x->ref != 0 && !core_intern_valid(c, x->ref))
				goto out;
		}
		for (v = 0; v < nfree6; v++)
			if (o->free6[v] >= n6)
				goto out;
		if ((rc = slots_check(o)) != 0)
			goto out;
	}
	rc = BLF_ECORRUPT;
	if (r.left != 0)
		goto out;
	if (fio_reader_read(&r.r, &ck, 8, NULL) != 0) {
		rc = errno == ENODATA ? BLF_ECORRUPT : BLF_EIO;
		goto out;
	}
	if (ck != r.ck)
		goto out;
	core_intern_recount(c);
	trust_hash(c, th2);
	if (memcmp(th, th2, 32) != 0 || sodium_is_zero(th, 32))
		for (i = 0; i < c->norigins; i++)
			core_origin_set_verdicts(c, c->origins[i]);
	c->vdirty = 1;
	rc = 0;
out:
	if (rc != 0)
		drop_all(c);
	fio_reader_free(&r.r);
	close(fd);
	return rc;
}
