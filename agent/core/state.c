/*
 * state.c - per-origin state: compact records and their index.
 *
 * An origin's state is exactly what its deltas say: a set of listings
 * (prefix -> reason, expiry, reference, first listed, last changed) and a
 * set of exclusions (prefix -> reference, first, last changed).  Both live
 * in one array of 24-byte records (see core_int.h) found through an
 * open-addressing index keyed by (prefix, kind).  Removal moves the last
 * record into the hole so the array stays dense.  The cached trust verdict
 * of each record (computed without the clock; anchor expiry is checked when
 * the view is built) lets the merge skip policy work.
 *
 * References are interned (refs.c): a record holds an id, 0 meaning "no
 * reference".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core_int.h"

/* Hash tables below this size fit the TLB's reach well enough. */
#define HUGE_MIN (4u << 20)

#define MIN_SLOTS 16u
/* A slot holds the record index + 1 in its low bits and a 6-bit fingerprint
 * of the key's hash above, so that most probes never touch a record. */
#define SLOT_BITS 26
#define SLOT_IDX ((1u << SLOT_BITS) - 1)
#define SLOT_FP(h) ((uint32_t)((h) >> 58) << SLOT_BITS)

static uint32_t
get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void
put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint64_t
hash_key(const uint8_t *addr, int v6, uint8_t len, int excl)
{
	uint64_t h;

	if (!v6)
		return core_mix64((uint64_t)get_be32(addr) | (uint64_t)len << 32 |
			     (uint64_t)excl << 40);
	h = core_mix64((uint64_t)get_be32(addr) << 32 | get_be32(addr + 4));
	h = core_mix64(h ^ ((uint64_t)get_be32(addr + 8) << 32 | get_be32(addr + 12)));
	return core_mix64(h ^ ((uint64_t)len | (uint64_t)(excl + 2) << 8));
}

static uint64_t
rec_hash(const struct origin *o, const struct rec *r)
{
	uint8_t b[4];

	if (r->flags & REC_V6)
		return hash_key(o->a6[r->a], 1, r->len, !!(r->flags & REC_EXCL));
	put_be32(b, r->a);
	return hash_key(b, 0, r->len, !!(r->flags & REC_EXCL));
}

static int
rec_eq(const struct origin *o, const struct rec *r, const blf_prefix *p, int excl)
{
	if (!!(r->flags & REC_EXCL) != !!excl || r->len != p->len)
		return 0;
	if (p->af == BLF_AF_INET6)
		return (r->flags & REC_V6) && memcmp(o->a6[r->a], p->addr, 16) == 0;
	return !(r->flags & REC_V6) && r->a == get_be32(p->addr);
}

/* Fill p from a record. */
void
core_origin_rec_prefix(const struct origin *o, const struct rec *r, blf_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->len = r->len;
	if (r->flags & REC_V6) {
		p->af = BLF_AF_INET6;
		memcpy(p->addr, o->a6[r->a], 16);
	} else {
		p->af = BLF_AF_INET;
		put_be32(p->addr, r->a);
	}
}

/* The cached trust verdict of a record. */
int
core_rec_verdict(const struct rec *r)
{
	return (r->flags & REC_VMASK) >> REC_VSHIFT;
}

/* Index of the record for (p, excl), or -1. */
int
core_origin_lookup(const struct origin *o, const blf_prefix *p, int excl)
{
	uint32_t i, s, fp;
	uint64_t h;

	if (o->mask == 0)
		return -1;
	h = hash_key(p->addr, p->af == BLF_AF_INET6, p->len, excl);
	fp = SLOT_FP(h);
	i = (uint32_t)h & o->mask;
	while ((s = o->slots[i]) != 0) {
		if ((s & ~SLOT_IDX) == fp && rec_eq(o, &o->recs[(s & SLOT_IDX) - 1], p, excl))
			return (int)((s & SLOT_IDX) - 1);
		i = (i + 1) & o->mask;
	}
	return -1;
}

/*
 * Find the record for (p, excl) or create it, with one probe sequence.
 * The caller has reserved room (core_origin_reserve).  *isnew tells which.
 */
static uint32_t
rec_find_or_new(struct origin *o, const blf_prefix *p, int excl, uint64_t h, int *isnew)
{
	uint32_t i, s, fp, ri;
	struct rec *r;

	fp = SLOT_FP(h);
	i = (uint32_t)h & o->mask;
	while ((s = o->slots[i]) != 0) {
		if ((s & ~SLOT_IDX) == fp && rec_eq(o, &o->recs[(s & SLOT_IDX) - 1], p, excl)) {
			*isnew = 0;
			return (s & SLOT_IDX) - 1;
		}
		i = (i + 1) & o->mask;
	}
	*isnew = 1;
	ri = o->nrecs++;
	r = &o->recs[ri];
	memset(r, 0, sizeof(*r));
	r->len = p->len;
	if (p->af == BLF_AF_INET6) {
		r->flags = REC_V6;
		r->a = o->nfree6 ? o->free6[--o->nfree6] : o->n6++;
		memcpy(o->a6[r->a], p->addr, 16);
	} else
		r->a = get_be32(p->addr);
	if (excl)
		r->flags |= REC_EXCL;
	else
		o->nlist++;
	o->slots[i] = (ri + 1) | fp;
	return ri;
}

static void
slot_insert(struct origin *o, uint32_t ri, uint64_t h)
{
	uint32_t i;

	i = (uint32_t)h & o->mask;
	while (o->slots[i] != 0)
		i = (i + 1) & o->mask;
	o->slots[i] = (ri + 1) | SLOT_FP(h);
}

#define REHASH_AHEAD 16u

/* Index every record in the (empty) table: the slots are written in
 * random order far beyond the caches, so records are hashed REHASH_AHEAD
 * ahead of their insertion and their slots prefetched. */
static void
slots_rebuild(struct origin *o)
{
	uint64_t hs[REHASH_AHEAD];
	uint32_t i;

	for (i = 0; i < o->nrecs + REHASH_AHEAD; i++) {
		uint32_t at = i % REHASH_AHEAD;

		if (i >= REHASH_AHEAD)
			slot_insert(o, i - REHASH_AHEAD, hs[at]);
		if (i < o->nrecs) {
			hs[at] = rec_hash(o, &o->recs[i]);
			__builtin_prefetch(&o->slots[(uint32_t)hs[at] & o->mask], 1);
		}
	}
}

/* See core_int.h. */
void
core_hugepages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, e;

	if (n < HUGE_MIN || pg <= 0)
		return;
	a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	e = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE); /* a hint */
#else
	(void)p;
	(void)n;
#endif
}

/* Make room for extra more records (array and index), so that applying a
 * delta of that many operations cannot fail half-way. */
int
core_origin_reserve(struct origin *o, size_t extra)
{
	size_t need = o->nrecs + extra, cap;
	struct rec *nr;
	uint32_t *nf;

	if (need >= SLOT_IDX)
		return BLF_ELIMIT; /* records per origin: 2^26 - 2 */
	if (need > o->caprecs) {
		cap = o->caprecs ? o->caprecs : 64;
		while (cap < need)
			cap += cap / 2 + 16;
		if ((nr = realloc(o->recs, cap * sizeof(*nr))) == NULL)
			return BLF_ENOMEM;
		o->recs = nr;
		o->caprecs = (uint32_t)cap;
	}
	if (o->mask == 0 || (uint64_t)(o->mask + 1) * 3 / 4 < need + 1) {
		uint32_t n = MIN_SLOTS;
		uint32_t *ns;

		while ((uint64_t)n * 3 / 4 < need + 1)
			n <<= 1;
		if (n - 1 != o->mask) {
			if ((ns = calloc(n, sizeof(*ns))) == NULL)
				return BLF_ENOMEM;
			core_hugepages(ns, (size_t)n * sizeof(*ns));
			free(o->slots);
			o->slots = ns;
			o->mask = n - 1;
			slots_rebuild(o);
		}
	}
	/* IPv6 side array: worst case every new record is v6. */
	if (o->n6 + extra > o->cap6) {
		uint8_t(*na)[16];

		cap = o->cap6 ? o->cap6 : 16;
		while (cap < o->n6 + extra)
			cap += cap / 2 + 16;
		if ((na = realloc(o->a6, cap * 16)) == NULL)
			return BLF_ENOMEM;
		o->a6 = na;
		o->cap6 = (uint32_t)cap;
	}
	/* The free list can hold every a6 slot, so that removing records
	 * (delist, purge, any number of them) never needs memory. */
	if (o->capfree6 < o->cap6) {
		if ((nf = realloc(o->free6, (size_t)o->cap6 * sizeof(*nf))) == NULL)
			return BLF_ENOMEM;
		o->free6 = nf;
		o->capfree6 = o->cap6;
	}
	return 0;
}

/* Give a loaded origin the invariant of core_origin_reserve: a free list with
 * room for every IPv6 slot. */
int
core_origin_fit_free6(struct origin *o)
{
	uint32_t *nf;
	size_t cap = o->n6 > o->cap6 ? o->n6 : o->cap6;

	if (o->capfree6 >= cap)
		return 0;
	if ((nf = realloc(o->free6, (cap ? cap : 1) * sizeof(*nf))) == NULL)
		return BLF_ENOMEM;
	o->free6 = nf;
	o->capfree6 = (uint32_t)cap;
	return 0;
}

/* Remove record ri: backward-shift deletion in the index, then move the
 * last record into the hole. */
static void
rec_remove(core *c, struct origin *o, uint32_t ri)
{
	uint32_t i, j, k, last;
	struct rec *r = &o->recs[ri];

	core_view_rec_removed(c, o, ri);
	i = (uint32_t)rec_hash(o, r) & o->mask;
	while ((o->slots[i] & SLOT_IDX) != ri + 1)
		i = (i + 1) & o->mask;
	/* backward shift */
	j = i;
	for (;;) {
		j = (j + 1) & o->mask;
		if (o->slots[j] == 0)
			break;
		k = (uint32_t)rec_hash(o, &o->recs[(o->slots[j] & SLOT_IDX) - 1]) & o->mask;
		/* can the entry at j move to i? yes unless k lies cyclically in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			o->slots[i] = o->slots[j];
			i = j;
		}
	}
	o->slots[i] = 0;

	if (!(r->flags & REC_EXCL))
		o->nlist--;
	core_intern_drop(c, r->ref);
	if (r->flags & REC_V6) {
		/* capfree6 >= n6 (core_origin_reserve, core_origin_fit_free6): room for
		 * every slot */
		if (o->nfree6 >= o->capfree6)
			abort();
		o->free6[o->nfree6++] = r->a;
	}
	last = o->nrecs - 1;
	if (ri != last) {
		i = (uint32_t)rec_hash(o, &o->recs[last]) & o->mask;
		while ((o->slots[i] & SLOT_IDX) != last + 1)
			i = (i + 1) & o->mask;
		o->slots[i] = (o->slots[i] & ~SLOT_IDX) | (ri + 1);
		o->recs[ri] = o->recs[last];
	}
	o->nrecs--;
}

static void
rec_set_verdict(const struct origin *o, struct rec *r)
{
	blf_prefix p;
	int v;

	if (o->anchor == NULL) {
		v = TRUST_OK;
	} else {
		core_origin_rec_prefix(o, r, &p);
		/* now = 0: anchor expiry is checked when the view is built */
		v = trust_anchor_allows(o->anchor,
					(r->flags & REC_EXCL) ? BLF_OP_EXCLUDE : BLF_OP_LIST, &p, 0);
		if (v < 0 || v > 7)
			v = TRUST_NO_PERMISSION;
	}
	r->flags = (uint8_t)((r->flags & ~REC_VMASK) | ((unsigned)v << REC_VSHIFT));
}

/* Recompute the cached verdicts of all records of o (trust change); the
 * view of c is stale afterwards. */
void
core_origin_set_verdicts(core *c, struct origin *o)
{
	uint32_t i;

	for (i = 0; i < o->nrecs; i++)
		rec_set_verdict(o, &o->recs[i]);
	c->vdirty = 1;
}

/*
 * Put one record as a log base or a snapshot states it.  The caller has
 * reserved room (core_origin_reserve).  BLF_EDUP if (p, excl) is held already
 * (a base or snapshot names each prefix once).
 */
int
core_origin_put_rec(core *c, struct origin *o, const blf_prefix *p, int excl, uint16_t reason,
	       uint32_t expires, uint32_t first, uint32_t changed, const char *ref,
	       size_t reflen)
{
	uint64_t h = hash_key(p->addr, p->af == BLF_AF_INET6, p->len, excl);
	struct rec *r;
	int isnew;

	r = &o->recs[rec_find_or_new(o, p, excl, h, &isnew)];
	if (!isnew)
		return BLF_EDUP;
	r->first = first;
	r->changed = changed;
	r->ref = core_intern_add(c, ref, reflen, NULL);
	if (!excl) {
		r->reason = reason;
		r->expires = expires;
	}
	rec_set_verdict(o, r);
	c->vdirty = 1;
	return 0;
}

#define PREFETCH 16

static uint64_t
op_hash(const core *c, const struct origin *o, const blf_op *op, struct ref_hint *hint)
{
	int excl = op->type == BLF_OP_EXCLUDE || op->type == BLF_OP_UNEXCLUDE;
	uint64_t h = hash_key(op->prefix.addr, op->prefix.af == BLF_AF_INET6, op->prefix.len,
			      excl);

	__builtin_prefetch(&o->slots[(uint32_t)h & o->mask]);
	hint->ok = 0;
	if (op->type == BLF_OP_LIST || op->type == BLF_OP_EXCLUDE)
		core_intern_prefetch(c, op->ref, op->ref_len, hint);
	return h;
}

/*
 * Apply the operations of a checked delta.  core_origin_reserve(o, d->nops) must
 * have succeeded; interning may still fail for lack of memory, in which case
 * the reference is dropped (id 0) rather than leaving a half-applied delta.
 */
int
core_origin_apply_ops(core *c, struct origin *o, const blf_delta *d, size_t *nfiltered)
{
	size_t i;
	int ri, isnew;
	uint32_t created = (uint32_t)d->created, old;
	uint64_t hs[PREFETCH];
	struct ref_hint rh[PREFETCH];
	struct rec *r;

	*nfiltered = 0;
	core_intern_reserve(c, d->nops);
	/* hash a few operations ahead and prefetch their slots: the index is
	 * far larger than the caches, and the table does not move during a
	 * delta (core_origin_reserve ran before) */
	for (i = 0; i < d->nops && i < PREFETCH; i++)
		hs[i] = op_hash(c, o, &d->ops[i], &rh[i]);
	for (i = 0; i < d->nops; i++) {
		const blf_op *op = &d->ops[i];
		int excl = op->type == BLF_OP_EXCLUDE || op->type == BLF_OP_UNEXCLUDE;
		uint64_t h = hs[i % PREFETCH];
		struct ref_hint hint = rh[i % PREFETCH];

		if (i + PREFETCH < d->nops)
			hs[i % PREFETCH] = op_hash(c, o, &d->ops[i + PREFETCH],
						   &rh[i % PREFETCH]);

		switch (op->type) {
		case BLF_OP_LIST:
		case BLF_OP_EXCLUDE:
			ri = (int)rec_find_or_new(o, &op->prefix, excl, h, &isnew);
			r = &o->recs[ri];
			if (isnew) {
				r->first = created;
			} else {
				/* an expired listing counts as absent */
				if (!excl && r->expires <= created)
					r->first = created;
			}
			r->changed = created;
			/* the new reference is taken before the old one is
			 * dropped, so that an unchanged one is not freed and
			 * interned again */
			old = isnew ? 0 : r->ref;
			r->ref = core_intern_add(c, op->ref, op->ref_len, &hint);
			core_intern_drop(c, old);
			if (!excl) {
				r->reason = op->reason;
				r->expires = (uint32_t)op->expires;
			}
			rec_set_verdict(o, r);
			if (core_rec_verdict(r) != TRUST_OK)
				(*nfiltered)++;
			core_view_note(c, o, &op->prefix, excl);
			break;
		case BLF_OP_DELIST:
		case BLF_OP_UNEXCLUDE:
			if ((ri = core_origin_lookup(o, &op->prefix, excl)) >= 0)
				rec_remove(c, o, (uint32_t)ri);
			break;
		default:
			break;
		}
	}
	/* the view is updated for the prefixes noted (merge.c) */
	return 0;
}

/* Drop o's listings whose expiry has passed (they are out of every view
 * already; an expired listing counts as absent when re-listed, so purging
 * changes no answer but the "expired" lines of why).  Returns the count. */
size_t
core_origin_purge_expired(core *c, struct origin *o, uint64_t now)
{
	uint32_t i;
	size_t n = 0;

	for (i = o->nrecs; i-- > 0;) {
		const struct rec *r = &o->recs[i];

		if (!(r->flags & REC_EXCL) && r->expires <= now) {
			rec_remove(c, o, i);
			n++;
		}
	}
	if (n > 0)
		c->vdirty = 1;
	return n;
}

/* ---- origins ------------------------------------------------------------- */

/* Position of id in the sorted origin array (or where it would go). */
static size_t
origin_pos(const core *c, const uint8_t id[BLF_KEYID_LEN], int *found)
{
	size_t lo = 0, hi = c->norigins, mid;
	int r;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = memcmp(c->origins[mid]->id, id, BLF_KEYID_LEN);
		if (r == 0) {
			*found = 1;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The origin with id, or NULL.  Origins are kept sorted by id, so that
 * provenance comes out in the same order on every agent and restart. */
struct origin *
core_origin_find(const core *c, const uint8_t id[BLF_KEYID_LEN])
{
	int found;
	size_t i = origin_pos(c, id, &found);

	return found ? c->origins[i] : NULL;
}

/* Find or create the origin with id. */
int
core_origin_get(core *c, const uint8_t id[BLF_KEYID_LEN], struct origin **out)
{
	struct origin *o, **no;
	size_t pos;
	int found;

	pos = origin_pos(c, id, &found);
	if (found) {
		*out = c->origins[pos];
		return 0;
	}
	if (c->norigins >= CORE_MAX_ORIGINS)
		return BLF_ELIMIT;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return BLF_ENOMEM;
	if ((no = realloc(c->origins, (c->norigins + 1) * sizeof(*no))) == NULL) {
		free(o);
		return BLF_ENOMEM;
	}
	c->origins = no;
	memcpy(o->id, id, BLF_KEYID_LEN);
	blf_keyid_hex(id, o->hex);
	o->fd = -1;
	o->anchor = trust_store_find_origin(&c->trust, id);
	memmove(c->origins + pos + 1, c->origins + pos,
		(c->norigins - pos) * sizeof(*c->origins));
	c->origins[pos] = o;
	c->norigins++;
	c->vdirty = 1; /* origin indices in the view moved */
	*out = o;
	return 0;
}

/* Drop all records of o (new epoch). */
void
core_origin_clear(core *c, struct origin *o)
{
	uint32_t i;

	for (i = 0; i < o->nrecs; i++)
		core_intern_drop(c, o->recs[i].ref);
	o->nrecs = 0;
	o->nlist = 0;
	o->n6 = 0;
	o->nfree6 = 0;
	if (o->mask)
		memset(o->slots, 0, ((size_t)o->mask + 1) * sizeof(*o->slots));
	c->vdirty = 1;
}

/* Release an origin's memory (closes its journal). */
void
core_origin_free(struct origin *o)
{
	if (o == NULL)
		return;
	if (o->fd >= 0)
		close(o->fd);
	free(o->recs);
	free(o->a6);
	free(o->free6);
	free(o->slots);
	free(o->jrecs);
	free(o);
}
