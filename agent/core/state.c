/*
 * state.c - per-origin state: compact records, their index, interned refs.
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
 * References are interned: one copy per distinct string, reference-counted,
 * id 0 meaning "no reference".
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_int.h"

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
origin_rec_prefix(const struct origin *o, const struct rec *r, blf_prefix *p)
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
rec_verdict(const struct rec *r)
{
	return (r->flags & REC_VMASK) >> REC_VSHIFT;
}

/* Index of the record for (p, excl), or -1. */
int
origin_lookup(const struct origin *o, const blf_prefix *p, int excl)
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
 * The caller has reserved room (origin_reserve).  *isnew tells which.
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
slot_insert(struct origin *o, uint32_t ri)
{
	uint32_t i;
	uint64_t h = rec_hash(o, &o->recs[ri]);

	i = (uint32_t)h & o->mask;
	while (o->slots[i] != 0)
		i = (i + 1) & o->mask;
	o->slots[i] = (ri + 1) | SLOT_FP(h);
}

/* Make room for extra more records (array and index), so that applying a
 * delta of that many operations cannot fail half-way. */
int
origin_reserve(struct origin *o, size_t extra)
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
		uint32_t n = MIN_SLOTS, i;
		uint32_t *ns;

		while ((uint64_t)n * 3 / 4 < need + 1)
			n <<= 1;
		if (n - 1 != o->mask) {
			if ((ns = calloc(n, sizeof(*ns))) == NULL)
				return BLF_ENOMEM;
			free(o->slots);
			o->slots = ns;
			o->mask = n - 1;
			for (i = 0; i < o->nrecs; i++)
				slot_insert(o, i);
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

/* Give a loaded origin the invariant of origin_reserve: a free list with
 * room for every IPv6 slot. */
int
origin_fit_free6(struct origin *o)
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
	intern_drop(c, r->ref);
	if (r->flags & REC_V6) {
		/* capfree6 >= n6 (origin_reserve, origin_fit_free6): room for every slot */
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
		origin_rec_prefix(o, r, &p);
		/* now = 0: anchor expiry is checked when the view is built */
		v = trust_anchor_allows(o->anchor,
					(r->flags & REC_EXCL) ? BLF_OP_EXCLUDE : BLF_OP_LIST, &p, 0);
		if (v < 0 || v > 7)
			v = TRUST_NO_PERMISSION;
	}
	r->flags = (uint8_t)((r->flags & ~REC_VMASK) | ((unsigned)v << REC_VSHIFT));
}

/* Recompute the cached verdicts of all records of o (trust change). */
void
origin_set_verdicts(core *c, struct origin *o)
{
	uint32_t i;

	(void)c;
	for (i = 0; i < o->nrecs; i++)
		rec_set_verdict(o, &o->recs[i]);
}

/*
 * Put one record as a log base or a snapshot states it.  The caller has
 * reserved room (origin_reserve).  BLF_EDUP if (p, excl) is held already
 * (a base or snapshot names each prefix once).
 */
int
origin_put_rec(core *c, struct origin *o, const blf_prefix *p, int excl, uint16_t reason,
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
	r->ref = intern_add(c, ref, reflen);
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
op_hash(const struct origin *o, const blf_op *op)
{
	int excl = op->type == BLF_OP_EXCLUDE || op->type == BLF_OP_UNEXCLUDE;
	uint64_t h = hash_key(op->prefix.addr, op->prefix.af == BLF_AF_INET6, op->prefix.len,
			      excl);

	__builtin_prefetch(&o->slots[(uint32_t)h & o->mask]);
	return h;
}

/*
 * Apply the operations of a checked delta.  origin_reserve(o, d->nops) must
 * have succeeded; interning may still fail for lack of memory, in which case
 * the reference is dropped (id 0) rather than leaving a half-applied delta.
 */
int
origin_apply_ops(core *c, struct origin *o, const blf_delta *d, size_t *nfiltered)
{
	size_t i;
	int ri, isnew;
	uint32_t created = (uint32_t)d->created;
	uint64_t hs[PREFETCH];
	struct rec *r;

	*nfiltered = 0;
	/* hash a few operations ahead and prefetch their slots: the index is
	 * far larger than the caches, and the table does not move during a
	 * delta (origin_reserve ran before) */
	for (i = 0; i < d->nops && i < PREFETCH; i++)
		hs[i] = op_hash(o, &d->ops[i]);
	for (i = 0; i < d->nops; i++) {
		const blf_op *op = &d->ops[i];
		int excl = op->type == BLF_OP_EXCLUDE || op->type == BLF_OP_UNEXCLUDE;
		uint64_t h = hs[i % PREFETCH];

		if (i + PREFETCH < d->nops)
			hs[i % PREFETCH] = op_hash(o, &d->ops[i + PREFETCH]);

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
				intern_drop(c, r->ref);
			}
			r->changed = created;
			r->ref = intern_add(c, op->ref, op->ref_len);
			if (!excl) {
				r->reason = op->reason;
				r->expires = (uint32_t)op->expires;
			}
			rec_set_verdict(o, r);
			if (rec_verdict(r) != TRUST_OK)
				(*nfiltered)++;
			break;
		case BLF_OP_DELIST:
		case BLF_OP_UNEXCLUDE:
			if ((ri = origin_lookup(o, &op->prefix, excl)) >= 0)
				rec_remove(c, o, (uint32_t)ri);
			break;
		default:
			break;
		}
	}
	c->vdirty = 1;
	return 0;
}

/* Drop o's listings whose expiry has passed (they are out of every view
 * already; an expired listing counts as absent when re-listed, so purging
 * changes no answer but the "expired" lines of why).  Returns the count. */
size_t
origin_purge_expired(core *c, struct origin *o, uint64_t now)
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
origin_find(const core *c, const uint8_t id[BLF_KEYID_LEN])
{
	int found;
	size_t i = origin_pos(c, id, &found);

	return found ? c->origins[i] : NULL;
}

/* Find or create the origin with id. */
int
origin_get(core *c, const uint8_t id[BLF_KEYID_LEN], struct origin **out)
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
origin_reset(core *c, struct origin *o)
{
	uint32_t i;

	for (i = 0; i < o->nrecs; i++)
		intern_drop(c, o->recs[i].ref);
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
origin_free(core *c, struct origin *o)
{
	(void)c;
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

/* ---- interned references ------------------------------------------------- */

/*
 * One copy of each distinct reference, in one arena of bytes: an id names
 * a 12-byte entry (offset into the arena, length, refcount), and a u32
 * open-addressing index (load <= 3/4) finds a string's id.  No per-string
 * allocation: about len + 20 bytes per distinct reference.  Dropped
 * strings leave dead bytes; the arena is compacted (ids keep their
 * strings, offsets move) instead of grown when half of it is dead.
 * Pointers from intern_get stay valid until the next intern_add.
 */

#define ARENA_MIN 4096u

static uint32_t
str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	/* finalise: the index takes the low bits */
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

static uint32_t
id_hash(const core *c, uint32_t id)
{
	return str_hash(c->sarena + c->strs[id].off, c->strs[id].len);
}

static int
sindex_grow(core *c)
{
	uint32_t live = c->nstrs > 0 ? c->nstrs - 1 - c->nsfree : 0;
	uint32_t n = 64, i, j;
	uint32_t *ns;

	while ((uint64_t)live * 4 + 4 > (uint64_t)n * 3)
		n *= 2;
	if (n <= c->smask + 1)
		n = (c->smask + 1) * 2;
	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return BLF_ENOMEM;
	for (i = 1; i < c->nstrs; i++) {
		if (c->strs[i].refs == 0)
			continue;
		j = id_hash(c, i) & (n - 1);
		while (ns[j] != 0)
			j = (j + 1) & (n - 1);
		ns[j] = i;
	}
	free(c->sslots);
	c->sslots = ns;
	c->smask = n - 1;
	return 0;
}

/* Slot of string s in the index, or of the empty slot where it would go. */
static uint32_t
sindex_find(const core *c, const char *s, size_t len, uint32_t h)
{
	uint32_t j = h & c->smask, id;

	while ((id = c->sslots[j]) != 0) {
		const struct istr *e = &c->strs[id];

		if (e->len == len && memcmp(c->sarena + e->off, s, len) == 0)
			break;
		j = (j + 1) & c->smask;
	}
	return j;
}

/* Make the string table hold ids below cap, and the free list as many. */
static int
strs_grow(core *c, uint32_t cap)
{
	struct istr *ns;
	uint32_t *nf;

	if (cap <= c->capstrs)
		return 0;
	if ((ns = realloc(c->strs, (size_t)cap * sizeof(*ns))) == NULL)
		return BLF_ENOMEM;
	memset(ns + c->capstrs, 0, (size_t)(cap - c->capstrs) * sizeof(*ns));
	c->strs = ns;
	if ((nf = realloc(c->sfree, (size_t)cap * sizeof(*nf))) == NULL)
		return BLF_ENOMEM;
	c->sfree = nf;
	c->capstrs = cap;
	c->capsfree = cap;
	return 0;
}

static uint32_t
alloc_id(core *c)
{
	if (c->nsfree > 0)
		return c->sfree[--c->nsfree];
	if (c->nstrs == 0)
		c->nstrs = 1;
	if (c->nstrs >= c->capstrs &&
	    strs_grow(c, c->capstrs < 64 ? 64 : c->capstrs + c->capstrs / 2) != 0)
		return 0;
	memset(&c->strs[c->nstrs], 0, sizeof(c->strs[0]));
	return c->nstrs++;
}

/* Move the live strings to the front of the arena (ids keep them). */
static void
arena_compact(core *c)
{
	uint32_t *order, i, n = 0;
	size_t at = 0;

	/* live ids in offset order, so that each string moves down only */
	if ((order = malloc((size_t)c->nstrs * sizeof(*order))) == NULL)
		return;
	for (i = 1; i < c->nstrs; i++)
		if (c->strs[i].refs != 0)
			order[n++] = i;
	/* ids are mostly in offset order already: insertion sort is cheap
	 * for that, and correct in any case */
	for (i = 1; i < n; i++) {
		uint32_t v = order[i], j = i;

		while (j > 0 && c->strs[order[j - 1]].off > c->strs[v].off) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (i = 0; i < n; i++) {
		struct istr *e = &c->strs[order[i]];

		memmove(c->sarena + at, c->sarena + e->off, e->len);
		e->off = (uint32_t)at;
		at += e->len;
	}
	c->sused = at;
	c->sdead = 0;
	free(order);
}

/* Room for len more bytes in the arena. */
static int
arena_room(core *c, size_t len)
{
	size_t cap;
	char *na;

	if (c->sused + len <= c->scap)
		return 0;
	if (c->sdead >= c->sused / 2 && c->sdead >= len) {
		arena_compact(c);
		if (c->sused + len <= c->scap)
			return 0;
	}
	cap = c->scap < ARENA_MIN ? ARENA_MIN : c->scap + c->scap / 2;
	while (cap < c->sused + len)
		cap += cap / 2;
	if (cap > UINT32_MAX)
		return BLF_ELIMIT; /* offsets are u32 */
	if ((na = realloc(c->sarena, cap)) == NULL)
		return BLF_ENOMEM;
	c->sarena = na;
	c->scap = cap;
	return 0;
}

/* Intern (s, len): the id with its refcount raised, or 0 for an empty
 * string or on allocation failure (the reference is then lost, not the
 * listing). */
uint32_t
intern_add(core *c, const char *s, size_t len)
{
	uint32_t h, j, id, live;
	struct istr *e;

	if (len == 0 || len > BLF_MAX_REF_LEN)
		return 0;
	live = c->nstrs > 0 ? c->nstrs - 1 - c->nsfree : 0;
	if (c->smask == 0 || (uint64_t)live * 4 + 4 > ((uint64_t)c->smask + 1) * 3)
		if (sindex_grow(c) != 0)
			return 0;
	h = str_hash(s, len);
	j = sindex_find(c, s, len, h);
	if ((id = c->sslots[j]) != 0) {
		c->strs[id].refs++;
		return id;
	}
	if (arena_room(c, len) != 0 || (id = alloc_id(c)) == 0)
		return 0;
	e = &c->strs[id];
	memcpy(c->sarena + c->sused, s, len);
	e->off = (uint32_t)c->sused;
	e->len = (uint16_t)len;
	e->refs = 1;
	c->sused += len;
	c->sslots[j] = id;
	return id;
}

/*
 * Take a loaded table (checkpoint): strs[1..nstrs) over arena[0..used) and
 * its index of nslots u32 slots; ownership of all three passes to c (also
 * on failure).  Entries with refs 0 are free ids.  BLF_ECORRUPT if an
 * entry leaves the arena or the index does not hold every live id once.
 * Refcounts are recomputed later (intern_recount).
 */
int
intern_load(core *c, struct istr *strs, uint32_t nstrs, char *arena, size_t used,
	    uint32_t *slots, uint32_t nslots)
{
	uint64_t sum = 0, want = 0;
	uint32_t i, cnt = 0, live = 0;
	size_t bytes = 0;

	intern_free_all(c);
	c->strs = strs;
	c->nstrs = c->capstrs = nstrs;
	c->sarena = arena;
	c->sused = c->scap = used;
	c->sslots = slots;
	c->smask = nslots ? nslots - 1 : 0;
	if (nstrs > 0 && (c->sfree = malloc((size_t)nstrs * sizeof(*c->sfree))) == NULL)
		return BLF_ENOMEM;
	c->capsfree = nstrs;
	for (i = 1; i < nstrs; i++) {
		const struct istr *e = &strs[i];

		if (e->refs == 0) {
			c->sfree[c->nsfree++] = i;
			continue;
		}
		if (e->len == 0 || e->len > BLF_MAX_REF_LEN || e->off > used ||
		    used - e->off < e->len)
			return BLF_ECORRUPT;
		bytes += e->len;
		live++;
		want += i;
	}
	c->sdead = used - bytes;
	if ((nslots & (nslots - 1)) != 0 ||
	    (live > 0 && (uint64_t)live * 4 + 4 > (uint64_t)nslots * 3))
		return BLF_ECORRUPT;
	for (i = 0; i < nslots; i++) {
		uint32_t id = slots[i];

		if (id == 0)
			continue;
		if (id >= nstrs || strs[id].refs == 0)
			return BLF_ECORRUPT;
		sum += id;
		cnt++;
	}
	return cnt == live && sum == want ? 0 : BLF_ECORRUPT;
}

static void
sindex_remove(core *c, uint32_t id)
{
	uint32_t i, j, k;

	i = id_hash(c, id) & c->smask;
	while (c->sslots[i] != id)
		i = (i + 1) & c->smask;
	j = i;
	for (;;) {
		j = (j + 1) & c->smask;
		if (c->sslots[j] == 0)
			break;
		k = id_hash(c, c->sslots[j]) & c->smask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			c->sslots[i] = c->sslots[j];
			i = j;
		}
	}
	c->sslots[i] = 0;
}

/* Release id (its refcount reached 0). */
static void
id_release(core *c, uint32_t id)
{
	struct istr *e = &c->strs[id];

	sindex_remove(c, id);
	c->sdead += e->len;
	e->len = 0;
	e->off = 0;
	e->refs = 0;
	c->sfree[c->nsfree++] = id; /* sfree holds capstrs ids */
}

/* Drop one reference to id (0 is ignored). */
void
intern_drop(core *c, uint32_t id)
{
	struct istr *e;

	if (id == 0 || id >= c->nstrs)
		return;
	e = &c->strs[id];
	if (e->refs == 0 || --e->refs > 0)
		return;
	id_release(c, id);
}

/* Recompute every refcount from the records (after a checkpoint load, so
 * that a stale count can never free a string still in use). */
void
intern_recount(core *c)
{
	uint32_t id, i;
	size_t k;

	for (id = 1; id < c->nstrs; id++)
		if (c->strs[id].refs != 0)
			c->strs[id].refs = 1; /* provisional: marks "present" */
	for (k = 0; k < c->norigins; k++) {
		const struct origin *o = c->origins[k];

		for (i = 0; i < o->nrecs; i++)
			if (o->recs[i].ref != 0)
				c->strs[o->recs[i].ref].refs++;
	}
	for (id = 1; id < c->nstrs; id++) {
		if (c->strs[id].refs == 0)
			continue;
		if (--c->strs[id].refs == 0) {
			sindex_remove(c, id);
			c->sdead += c->strs[id].len;
			c->strs[id].len = 0;
			c->strs[id].off = 0;
			c->strs[id].refs = 0;
		}
	}
	c->nsfree = 0;
	for (id = 1; id < c->nstrs; id++)
		if (c->strs[id].refs == 0)
			c->sfree[c->nsfree++] = id;
}

/* The string of id (NULL, 0 for id 0). */
const char *
intern_get(const core *c, uint32_t id, size_t *len)
{
	if (id == 0 || id >= c->nstrs || c->strs[id].refs == 0) {
		*len = 0;
		return NULL;
	}
	*len = c->strs[id].len;
	return c->sarena + c->strs[id].off;
}

void
intern_free_all(core *c)
{
	free(c->strs);
	free(c->sfree);
	free(c->sslots);
	free(c->sarena);
	c->strs = NULL;
	c->sfree = NULL;
	c->sslots = NULL;
	c->sarena = NULL;
	c->sused = c->scap = c->sdead = 0;
	c->nstrs = c->capstrs = c->nsfree = c->capsfree = c->smask = 0;
}
