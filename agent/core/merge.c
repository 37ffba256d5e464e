/*
 * merge.c - the merged view, its iterator, and why.
 *
 * The view is computed from every origin's state, the trust store and the
 * clock; it is cached until one of them changes.  A listing counts when its
 * origin has an anchor, is not relay-only, not frozen, the anchor has not
 * expired, the anchor allows the listing (scope, widest prefix, permission)
 * and the listing's expiry is after now.  Exclusions count likewise (the
 * exclude permission and the authority list decide).
 *
 * SPEC 8.3: a prefix P that some origin lists exactly (an accepted listing)
 * is a candidate; its weight is the sum of the weights of the origins with
 * at least one accepted listing containing P (P itself or a wider prefix),
 * each origin counted once, and it is listed when that weight reaches the
 * threshold.  A counted exclusion E removes every candidate inside E (E
 * itself included).  An exclusion that is not inside another exclusion and
 * lies strictly inside a remaining listed prefix is exported as an explicit
 * exclusion entry, so that longest-match consumers (rbldnsd "!" lines)
 * answer "not listed" there; nested exclusions would be redundant and are
 * not exported.  Output is sorted by blf_prefix_cmp without duplicates.
 *
 * Building is linear in the accepted records (after one sort): the sorted
 * listing groups are swept once with a stack of the groups that enclose the
 * current one (at most one per prefix length) and a per-origin count of how
 * many stacked groups it has a listing in, so the weight of each candidate
 * comes from a running sum rather than from pairwise comparisons.
 *
 * Storage: the view is an array of entries (c->vents), each a group of
 * (origin, record) pairs with one prefix.  An entry of one pair, the
 * common case, holds it inline in its 8 bytes; an entry of several points
 * to its run in c->vpairs; vent_npairs and vent_pair (core_int.h) read
 * both kinds, and nothing else reads pairs.  A listing group below the
 * threshold is kept, marked hidden, when it encloses an exported entry,
 * because its origins are part of that entry's provenance.  Prefixes and
 * provenance are read from the records on demand: a walk (the iterator,
 * the change feed, why) rebuilds an entry's provenance from its chain of
 * enclosing groups, each origin once with its most specific listing, in
 * origin order.  An origin contributes until the latest expiry of its
 * listings in the chain, capped by its anchor's expiry; the entry's expiry
 * is found by weighted selection (expected linear in the contributing
 * origins).
 *
 * Updating instead of rebuilding.  A build keeps its sorted keys of the
 * accepted records (c->lidx, c->xidx: 8 bytes per IPv4 record, 24 per
 * IPv6 one; no record indices, which removals move).  Applying operations
 * notes each (origin, prefix, kind) it touched (core_view_note); removing
 * a record moves the origin's last record into its place, so the removed
 * record's pair becomes a ghost that holds its prefix and the moved
 * record's pair follows it (core_view_rec_removed): the view stays sorted
 * and searchable until it is read.  The next read (core_view_build)
 * updates it: a changed prefix P can only affect the entries inside R(P),
 * the widest accepted record before the change that contains P (or P
 * itself), because weights come from enclosing listings, exclusions act
 * inside themselves, and whether a group is kept hidden or an exclusion is
 * exported depends only on what encloses it or what it encloses.  The
 * ranges R(P), sorted with the nested ones dropped, are enclosed by no
 * accepted record before or after the change, so the sweep over their keys
 * alone gives exactly what the whole sweep gives there: the index takes
 * the noted changes in one splice, the ranges' keys are swept together,
 * and their entries replace the old ones in one splice of the view (block
 * moves in place; a /0 listing makes the range everything, and the update
 * then costs what a build does).  The change feed diffs the ranges'
 * fingerprints only (feed.c).  Listings that expired since the build are
 * found by one pass over the records and updated the same way.  What
 * changes acceptance everywhere rebuilds the view whole: a trust change,
 * an anchor's expiry, a new origin, a new epoch, a reset or freeze, a
 * snapshot, a dispute or answer, a dispute lapse, and more than
 * VIEW_DIRT_MAX changed prefixes before one read.  core_test_check_view
 * compares every update with a build (the oracle of the tests and of
 * fuzz_apply).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

#define N_(s) s /* status names are translated where shown (agent/po) */

/* Allocation for the merge engine: realloc, except that the n-th call after
 * core_test_fail_alloc(c, n) fails (testing the out-of-memory paths). */
void *
core_merge_alloc(core *c, void *p, size_t n)
{
	if (c->fail_alloc > 0 && --c->fail_alloc == 0)
		return NULL;
	return realloc(p, n ? n : 1);
}

/* See core_int.h. */
int
core_grow(core *c, void **arr, size_t n, size_t *cap, size_t sz, size_t first)
{
	size_t want = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return 0;
	if ((p = core_merge_alloc(c, *arr, want * sz)) == NULL)
		return BLF_ENOMEM;
	*arr = p;
	*cap = want;
	return 0;
}

/* See core.h. */
void
core_test_fail_alloc(core *c, unsigned n)
{
	c->fail_alloc = n;
}

struct key4 {
	uint64_t k; /* addr << 32 | len << 24 | origin index */
	uint32_t r;
	uint32_t pad;
};

struct keys {
	struct key4 *k4;
	size_t n4, cap4;
	struct vkey6 *k6;
	size_t n6, cap6;
};

static uint64_t
be64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static int
cmp4(const void *a, const void *b)
{
	const struct key4 *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k;
}

static int
cmp6(const void *a, const void *b)
{
	const struct vkey6 *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->lo2 < y->lo2 ? -1 : x->lo2 > y->lo2;
}

/*
 * Sort the IPv4 keys: an LSD radix sort on 16-bit digits (4 passes at most,
 * a pass skipped when its digit is the same in every key), linear in the
 * keys, where qsort would add a log factor and a comparison call per step.
 * Small arrays, and a failed allocation for the scratch, use qsort.
 */
static void
sort4(core *c, struct keys *ks)
{
	const size_t nb = 65536;
	size_t n = ks->n4, i, d, *cnt = NULL;
	struct key4 *src = ks->k4, *dst = NULL, *tmp, *t;

	if (n < 4096 || (dst = core_merge_alloc(c, NULL, n * sizeof(*dst))) == NULL ||
	    (cnt = core_merge_alloc(c, NULL, 4 * nb * sizeof(*cnt))) == NULL) {
		free(dst);
		if (n > 1)
			qsort(ks->k4, n, sizeof(*ks->k4), cmp4);
		return;
	}
	tmp = dst;
	memset(cnt, 0, 4 * nb * sizeof(*cnt));
	for (i = 0; i < n; i++)
		for (d = 0; d < 4; d++)
			cnt[d * nb + ((src[i].k >> (16 * d)) & 0xffff)]++;
	for (d = 0; d < 4; d++) {
		size_t *h = cnt + d * nb, sum = 0, b, v;

		if (h[(src[0].k >> (16 * d)) & 0xffff] == n)
			continue; /* one value: nothing to order by */
		for (b = 0; b < nb; b++) {
			v = h[b];
			h[b] = sum;
			sum += v;
		}
		for (i = 0; i < n; i++)
			dst[h[(src[i].k >> (16 * d)) & 0xffff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	/* src holds the sorted keys: keep that array, free the other */
	if (src == tmp) {
		free(ks->k4);
		ks->k4 = tmp;
		ks->cap4 = n;
	} else {
		free(tmp);
	}
	free(cnt);
}

/* Status of origin o at now, before looking at single records. */
static int
origin_status(const struct origin *o, uint64_t now, int *verdict)
{
	*verdict = TRUST_OK;
	if (o->anchor == NULL)
		return CORE_NO_ANCHOR;
	if (o->frozen)
		return CORE_FROZEN;
	if (o->anchor->perms & TRUST_RELAY_ONLY) {
		*verdict = TRUST_RELAY_ONLY_V;
		return CORE_RELAY_ONLY;
	}
	if (o->anchor->expires != 0 && now >= o->anchor->expires) {
		*verdict = TRUST_ANCHOR_EXPIRED;
		return CORE_FILTERED;
	}
	return CORE_ACCEPTED;
}

/* Status of one record of an accepted origin. */
static int
rec_status(const struct rec *r, uint64_t now, int *verdict)
{
	*verdict = core_rec_verdict(r);
	if (*verdict == TRUST_RELAY_ONLY_V)
		return CORE_RELAY_ONLY;
	if (*verdict != TRUST_OK)
		return CORE_FILTERED;
	if (!(r->flags & REC_EXCL) && r->expires <= now)
		return CORE_EXPIRED;
	return CORE_ACCEPTED;
}

/* The sort keys carry the origin index in 24 bits, and a view entry of one
 * pair carries it beside its flags (VENT_N); the record index is 32 bits
 * in both (struct origin.nrecs). */
_Static_assert(CORE_MAX_ORIGINS <= 0xffffffu + 1, "origin index must fit the sort keys");
_Static_assert(CORE_MAX_ORIGINS <= (uint64_t)VENT_N + 1, "origin index must fit a vent");

static int
keys_add(core *c, struct keys *ks, const struct origin *o, uint32_t oi, uint32_t ri)
{
	const struct rec *r = &o->recs[ri];
	size_t cap;

	if (r->flags & REC_V6) {
		struct vkey6 *n;

		if (core_grow(c, (void **)&ks->k6, ks->n6, &ks->cap6, sizeof(*n), 1024) != 0)
			return BLF_ENOMEM;
		n = &ks->k6[ks->n6++];
		n->hi = be64(o->a6[r->a]);
		n->lo = be64(o->a6[r->a] + 8);
		n->lo2 = (uint32_t)r->len << 24 | oi;
		n->r = ri;
	} else {
		struct key4 *n;

		if (ks->n4 == ks->cap4) {
			cap = ks->cap4 ? ks->cap4 + ks->cap4 / 2 : 1024;
			if ((n = core_merge_alloc(c, ks->k4, cap * sizeof(*n))) == NULL)
				return BLF_ENOMEM;
			ks->k4 = n;
			ks->cap4 = cap;
		}
		n = &ks->k4[ks->n4++];
		n->k = (uint64_t)r->a << 32 | (uint64_t)r->len << 24 | oi;
		n->r = ri;
		n->pad = 0;
	}
	return 0;
}

static void
keys_free(struct keys *ks)
{
	free(ks->k4);
	free(ks->k6);
	memset(ks, 0, sizeof(*ks));
}

/* A run of pairs with one prefix, while building. */
struct group {
	uint32_t start;   /* first pair in plist.p */
	uint32_t n;       /* pairs */
};

/* Pairs and groups of one kind, in prefix order. */
struct plist {
	struct vpair *p;
	size_t np;
	struct group *g;
	size_t ng;
};

static void
plist_free(struct plist *l)
{
	free(l->p);
	free(l->g);
	memset(l, 0, sizeof(*l));
}

static void
pair_prefix(const core *c, const struct vpair *p, blf_prefix *out)
{
	const struct origin *o;

	if (p->o == VPAIR_GHOST) {
		*out = c->vghost[p->r]; /* removed since the build (update pending) */
		return;
	}
	o = c->origins[p->o];
	core_origin_rec_prefix(o, &o->recs[p->r], out);
}

/* The prefix of view entry vi (that of its first pair). */
static void
vent_prefix(const core *c, size_t vi, blf_prefix *out)
{
	struct vpair vp = vent_pair(c, &c->vents[vi], 0);

	pair_prefix(c, &vp, out);
}

/* Turn sorted keys into pairs and groups of equal prefixes. */
static int
keys_group(core *c, const struct keys *ks, struct plist *out)
{
	size_t n = ks->n4 + ks->n6, i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if (n > UINT32_MAX)
		return BLF_ELIMIT; /* pair indices are 32 bits */
	if ((out->p = core_merge_alloc(c, NULL, n * sizeof(*out->p))) == NULL ||
	    (out->g = core_merge_alloc(c, NULL, n * sizeof(*out->g))) == NULL) {
		plist_free(out);
		return BLF_ENOMEM;
	}
	for (i = 0; i < ks->n4; i++) {
		out->p[i].o = (uint32_t)(ks->k4[i].k & 0xffffff);
		out->p[i].r = ks->k4[i].r;
	}
	for (i = 0; i < ks->n6; i++) {
		out->p[ks->n4 + i].o = ks->k6[i].lo2 & 0xffffff;
		out->p[ks->n4 + i].r = ks->k6[i].r;
	}
	out->np = n;
	/* group by the sort keys, not the records: no record is touched */
	for (i = 0; i < n; i++) {
		int same;

		if (i < ks->n4)
			same = i > 0 && ks->k4[i].k >> 24 == ks->k4[i - 1].k >> 24;
		else if (i == ks->n4)
			same = 0;
		else {
			const struct vkey6 *x = &ks->k6[i - ks->n4], *y = x - 1;

			same = x->hi == y->hi && x->lo == y->lo && x->lo2 >> 24 == y->lo2 >> 24;
		}
		if (!same) {
			out->g[out->ng].start = (uint32_t)i;
			out->g[out->ng].n = 0;
			out->ng++;
		}
		out->g[out->ng - 1].n++;
	}
	return 0;
}

static void
group_prefix(const core *c, const struct plist *l, size_t gi, blf_prefix *p)
{
	pair_prefix(c, &l->p[l->g[gi].start], p);
}

/* Index of the group of l whose prefix is exactly p, or -1. */
static long
group_find(const core *c, const struct plist *l, const blf_prefix *p)
{
	size_t lo = 0, hi = l->ng, mid;
	blf_prefix q;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		group_prefix(c, l, mid, &q);
		r = blf_prefix_cmp(&q, p);
		if (r == 0)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
prefix_mask(const blf_prefix *in, uint8_t len, blf_prefix *out)
{
	unsigned i;

	*out = *in;
	out->len = len;
	for (i = 0; i < 16; i++) {
		if (i * 8 >= len)
			out->addr[i] = 0;
		else if (i * 8 + 8 > len)
			out->addr[i] &= (uint8_t)(0xff << (8 - (len - i * 8)));
	}
}

/* Lengths present among groups, per family (bit i of b[af==6][i/64]). */
struct lens {
	uint64_t b[2][3];
};

static void
lens_add(uint64_t b[2][3], const blf_prefix *p)
{
	b[p->af == BLF_AF_INET6][p->len / 64] |= 1ULL << (p->len % 64);
}

static void
lens_of(const core *c, const struct plist *l, const uint8_t *removed, struct lens *ls)
{
	blf_prefix p;
	size_t i;

	memset(ls, 0, sizeof(*ls));
	for (i = 0; i < l->ng; i++) {
		if (removed != NULL && removed[i])
			continue;
		group_prefix(c, l, i, &p);
		lens_add(ls->b, &p);
	}
}

static int
lens_has(const uint64_t b[2][3], const blf_prefix *p, unsigned len)
{
	return (b[p->af == BLF_AF_INET6][len / 64] >> (len % 64)) & 1;
}

/* Group index of a group (not removed) containing p with length in
 * [minlen, maxlen], shortest first; -1 if none. */
static long
find_container(const core *c, const struct plist *l, const struct lens *ls,
	       const uint8_t *removed, const blf_prefix *p, unsigned minlen, unsigned maxlen)
{
	blf_prefix m;
	unsigned len;
	long gi;

	for (len = minlen; len <= maxlen; len++) {
		if (!lens_has(ls->b, p, len))
			continue;
		prefix_mask(p, (uint8_t)len, &m);
		if ((gi = group_find(c, l, &m)) >= 0 && (removed == NULL || !removed[gi]))
			return gi;
	}
	return -1;
}

/* A group on the sweep's stack. */
struct frame {
	uint32_t g;
	blf_prefix p;
};

/*
 * The sweep of SPEC 8.3 over the listing groups of L (sorted, so that a
 * group comes after every group that contains it): keep[g] = 2 for a
 * listed candidate, 1 for a group below the threshold that encloses a
 * listed one, 0 otherwise.  Groups with lrem[g] set (inside a counted
 * exclusion) take no part: whatever lies inside them is excluded too.
 * Each group is pushed and popped once: linear in the pairs.
 */
static int
sweep(core *c, const struct plist *L, const uint8_t *lrem, uint8_t *keep)
{
	struct frame stk[VIEW_DEPTH + 1];
	uint32_t *cnt, *wt;
	size_t depth = 0, gi, j, d;
	uint64_t w = 0;

	/* per origin: listings on the stack, and its weight */
	if ((cnt = core_merge_alloc(c, NULL, (c->norigins + 1) * 2 * sizeof(*cnt))) == NULL)
		return BLF_ENOMEM;
	memset(cnt, 0, (c->norigins + 1) * sizeof(*cnt));
	wt = cnt + c->norigins + 1;
	for (j = 0; j < c->norigins; j++)
		wt[j] = c->origins[j]->anchor != NULL ? c->origins[j]->anchor->weight : 0;
	for (gi = 0; gi < L->ng; gi++) {
		const struct group *g = &L->g[gi];
		blf_prefix p;

		if (lrem[gi])
			continue;
		group_prefix(c, L, gi, &p);
		while (depth > 0 && !blf_prefix_contains(&stk[depth - 1].p, &p)) {
			const struct group *t = &L->g[stk[--depth].g];

			for (j = 0; j < t->n; j++) {
				const struct vpair *vp = &L->p[t->start + j];

				if (--cnt[vp->o] == 0)
					w -= wt[vp->o];
			}
		}
		for (j = 0; j < g->n; j++) {
			const struct vpair *vp = &L->p[g->start + j];

			if (cnt[vp->o]++ == 0)
				w += wt[vp->o];
		}
		stk[depth].g = (uint32_t)gi;
		stk[depth].p = p;
		depth++;
		if (w >= c->cfg.threshold) {
			keep[gi] = 2;
			/* enclosing groups give provenance: keep them (a kept
			 * group's own enclosing groups are kept already) */
			for (d = depth - 1; d-- > 0 && keep[stk[d].g] == 0;)
				keep[stk[d].g] = 1;
		}
	}
	free(cnt);
	return 0;
}

/* The entries of one sweep and their pairs. */
struct vout {
	struct vent *v;
	size_t n;
	struct vpair *p;     /* runs of the entries of several pairs */
	size_t np;
	size_t nview;        /* exported entries among v */
	uint64_t lens[2][3]; /* lengths of the listing groups */
};

static void
vout_free(struct vout *o)
{
	free(o->v);
	free(o->p);
	memset(o, 0, sizeof(*o));
}

/*
 * SPEC 8.3 over the sorted keys of accepted listings lk and exclusions xk:
 * the entries (kept listing groups, emitted exclusions) in prefix order.
 * An entry of several pairs gets start = pbase + its run's index in
 * out->p, so that out->p can be appended to c->vpairs at pbase.  Linear in
 * the keys (after their sort).  0, BLF_ENOMEM or BLF_ELIMIT.
 */
static int
view_sweep(core *c, const struct keys *lk, const struct keys *xk, size_t pbase, struct vout *out)
{
	struct plist L, X;
	struct lens xl, ll;
	uint8_t *lrem = NULL, *keep = NULL, *xemit = NULL;
	size_t i, j, np, ng, a, b;
	blf_prefix p, q;
	int rc = BLF_ENOMEM;

	memset(out, 0, sizeof(*out));
	memset(&L, 0, sizeof(L));
	memset(&X, 0, sizeof(X));
	if ((rc = keys_group(c, lk, &L)) != 0 || (rc = keys_group(c, xk, &X)) != 0)
		goto out;
	rc = BLF_ENOMEM;
	if ((lrem = core_merge_alloc(c, NULL, L.ng + 1)) == NULL ||
	    (keep = core_merge_alloc(c, NULL, L.ng + 1)) == NULL ||
	    (xemit = core_merge_alloc(c, NULL, X.ng + 1)) == NULL)
		goto out;
	memset(lrem, 0, L.ng + 1);
	memset(keep, 0, L.ng + 1);
	memset(xemit, 0, X.ng + 1);
	if (X.ng > 0) {
		lens_of(c, &X, NULL, &xl);
		for (i = 0; i < L.ng; i++) {
			group_prefix(c, &L, i, &p);
			if (find_container(c, &X, &xl, NULL, &p, 0, p.len) >= 0)
				lrem[i] = 1;
		}
	}
	if ((rc = sweep(c, &L, lrem, keep)) != 0)
		goto out;
	rc = BLF_ENOMEM;
	if (X.ng > 0) {
		/* lrem now marks what is not a listed entry */
		for (i = 0; i < L.ng; i++)
			lrem[i] = keep[i] != 2;
		lens_of(c, &L, lrem, &ll);
		for (i = 0; i < X.ng; i++) {
			group_prefix(c, &X, i, &p);
			if (p.len == 0)
				continue;
			if (find_container(c, &X, &xl, NULL, &p, 0, p.len - 1U) >= 0)
				continue; /* inside another exclusion: redundant */
			if (find_container(c, &L, &ll, lrem, &p, 0, p.len - 1U) >= 0)
				xemit[i] = 1;
		}
	}
	/* merge kept listing groups and emitted exclusions; a group of one
	 * pair is held inline in its vent */
	np = ng = 0;
	for (i = 0; i < L.ng; i++)
		if (keep[i]) {
			np += L.g[i].n > 1 ? L.g[i].n : 0;
			ng++;
		}
	for (i = 0; i < X.ng; i++)
		if (xemit[i]) {
			np += X.g[i].n > 1 ? X.g[i].n : 0;
			ng++;
		}
	if ((out->p = core_merge_alloc(c, NULL, np * sizeof(*out->p))) == NULL ||
	    (out->v = core_merge_alloc(c, NULL, ng * sizeof(*out->v))) == NULL)
		goto out;
	a = b = 0;
	for (;;) {
		const struct plist *src;
		size_t gi;
		uint32_t flags;

		while (a < L.ng && !keep[a])
			a++;
		while (b < X.ng && !xemit[b])
			b++;
		if (a >= L.ng && b >= X.ng)
			break;
		if (a < L.ng && b < X.ng) {
			group_prefix(c, &L, a, &p);
			group_prefix(c, &X, b, &q);
			src = blf_prefix_cmp(&p, &q) < 0 ? &L : &X;
		} else
			src = a < L.ng ? &L : &X;
		if (src == &L) {
			gi = a++;
			flags = keep[gi] == 2 ? 0 : VENT_HIDDEN;
			group_prefix(c, &L, gi, &p);
			lens_add(out->lens, &p);
		} else {
			gi = b++;
			flags = VENT_EXCL;
		}
		if (!(flags & VENT_HIDDEN))
			out->nview++;
		if (src->g[gi].n == 1) {
			const struct vpair *vp = &src->p[src->g[gi].start];

			out->v[out->n].start = vp->r;
			out->v[out->n].n = vp->o | VENT_ONE | flags;
		} else {
			out->v[out->n].start = (uint32_t)(pbase + out->np);
			out->v[out->n].n = src->g[gi].n | flags;
			for (j = 0; j < src->g[gi].n; j++)
				out->p[out->np++] = src->p[src->g[gi].start + j];
		}
		out->n++;
	}
	rc = 0;
out:
	if (rc != 0)
		vout_free(out);
	plist_free(&L);
	plist_free(&X);
	free(lrem);
	free(keep);
	free(xemit);
	return rc;
}

static void
vindex_free(struct vindex *ix)
{
	free(ix->k4);
	free(ix->k6);
	memset(ix, 0, sizeof(*ix));
}

/* Turn the sorted keys of a build into the kept index (they are moved:
 * ks is empty after).  Never fails: the IPv4 keys shrink in place. */
static void
vindex_take(struct vindex *ix, struct keys *ks)
{
	size_t i;

	vindex_free(ix);
	if (ks->n4 > 0) {
		uint64_t *u = (uint64_t *)(void *)ks->k4, *n;

		/* key i's 8 bytes go to bytes [8i, 8i + 8): never past key i */
		for (i = 0; i < ks->n4; i++) {
			uint64_t k = ks->k4[i].k;

			memcpy(&u[i], &k, sizeof(k));
			ix->lens[0][(k >> 24 & 0xff) / 64] |= 1ULL << ((k >> 24 & 0xff) % 64);
		}
		if ((n = realloc(u, ks->n4 * sizeof(*n))) == NULL)
			n = u; /* keep the larger block */
		ix->k4 = n;
		ix->n4 = ix->cap4 = ks->n4;
		ks->k4 = NULL;
	}
	if (ks->n6 > 0) {
		for (i = 0; i < ks->n6; i++) {
			unsigned len = ks->k6[i].lo2 >> 24;

			ix->lens[1][len / 64] |= 1ULL << (len % 64);
		}
		ix->k6 = ks->k6;
		ix->n6 = ks->n6;
		ix->cap6 = ks->cap6;
		ks->k6 = NULL;
	}
	keys_free(ks);
}

/* Drop what the incremental update keeps beside the view. */
static void
view_inc_reset(core *c)
{
	c->ndirt = 0;
	c->nvghost = 0;
	c->vnote_o = NULL;
}

/* See core_int.h. */
void
core_view_free(core *c)
{
	free(c->vpairs);
	free(c->vents);
	c->vpairs = NULL;
	c->vents = NULL;
	vindex_free(&c->lidx);
	vindex_free(&c->xidx);
	free(c->dirt);
	c->dirt = NULL;
	c->ndirt = c->capdirt = 0;
	free(c->vghost);
	c->vghost = NULL;
	c->nvghost = c->capvghost = 0;
}

/* Build the view for now from every origin's records. */
static int
view_full(core *c, uint64_t now)
{
	struct keys lk, xk;
	struct vout vo;
	size_t i;
	int rc = BLF_ENOMEM, v;
	uint64_t until = UINT64_MAX, untilx = UINT64_MAX;

	memset(&lk, 0, sizeof(lk));
	memset(&xk, 0, sizeof(xk));
	memset(&vo, 0, sizeof(vo));
	c->vlive = 0;
	view_inc_reset(c);
	core_dispute_prepare(c, now);
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];
		uint32_t r;

		if (origin_status(o, now, &v) != CORE_ACCEPTED)
			continue;
		if (o->anchor->expires != 0 && o->anchor->expires < untilx)
			untilx = o->anchor->expires;
		for (r = 0; r < o->nrecs; r++) {
			if (rec_status(&o->recs[r], now, &v) != CORE_ACCEPTED)
				continue;
			if (core_dispute_lapsed(c, o, &o->recs[r], now, &untilx))
				continue; /* SPEC 8.6 */
			if (!(o->recs[r].flags & REC_EXCL) && o->recs[r].expires < until)
				until = o->recs[r].expires;
			if (keys_add(c, (o->recs[r].flags & REC_EXCL) ? &xk : &lk, o,
				     (uint32_t)i, r) != 0)
				goto out;
		}
	}
	sort4(c, &lk);
	if (lk.n6 > 1)
		qsort(lk.k6, lk.n6, sizeof(*lk.k6), cmp6);
	sort4(c, &xk);
	if (xk.n6 > 1)
		qsort(xk.k6, xk.n6, sizeof(*xk.k6), cmp6);
	free(c->vpairs);
	free(c->vents);
	c->vpairs = NULL;
	c->vents = NULL;
	c->nvpairs = c->capvpairs = c->nvents = c->nview = 0;
	memset(c->vlens, 0, sizeof(c->vlens));
	if ((rc = view_sweep(c, &lk, &xk, 0, &vo)) != 0)
		goto out;
	c->vents = vo.v;
	c->nvents = c->capvents = vo.n;
	c->vpairs = vo.p;
	c->nvpairs = c->capvpairs = vo.np;
	c->nview = vo.nview;
	memcpy(c->vlens, vo.lens, sizeof(c->vlens));
	c->vgarbage = 0;
	if (!c->cfg.view_rebuild) {
		vindex_take(&c->lidx, &lk);
		vindex_take(&c->xidx, &xk);
	}
	c->vdirty = 0;
	c->vlive = 1;
	c->vnow = now;
	c->vuntil = until < untilx ? until : untilx;
	c->vuntil_x = untilx;
	c->vbuild++;
	rc = 0;
out:
	if (rc != 0) {
		free(c->vpairs);
		free(c->vents);
		c->vpairs = NULL;
		c->vents = NULL;
		c->nvpairs = c->capvpairs = c->nvents = c->nview = 0;
		vindex_free(&c->lidx);
		vindex_free(&c->xidx);
		c->vdirty = 1;
		c->vbuild++;
	}
	keys_free(&lk);
	keys_free(&xk);
	if (rc == 0)
		core_feed_update(c);
	return rc;
}

static int view_update(core *c, uint64_t now);
static void view_check(core *c, uint64_t now, int (*update)(core *, uint64_t));

/*
 * Listings expired since the view was built (now reached vuntil, but no
 * anchor expiry or dispute lapse): note those that expired in (vnow, now]
 * for the update, and find the next listing expiry.  One pass over the
 * records, no sort and no sweep.
 */
static void
view_expire(core *c, uint64_t now)
{
	uint64_t until = UINT64_MAX;
	blf_prefix p;
	size_t i;
	int v;

	for (i = 0; i < c->norigins && !c->vdirty; i++) {
		const struct origin *o = c->origins[i];
		uint32_t r;

		if (origin_status(o, now, &v) != CORE_ACCEPTED)
			continue;
		for (r = 0; r < o->nrecs; r++) {
			const struct rec *x = &o->recs[r];

			if ((x->flags & REC_EXCL) || core_rec_verdict(x) != TRUST_OK ||
			    x->expires <= c->vnow)
				continue;
			if (x->expires > now) {
				if (x->expires < until)
					until = x->expires;
				continue;
			}
			core_origin_rec_prefix(o, x, &p);
			core_view_note(c, o, &p, 0);
		}
	}
	c->vnow = now;
	c->vuntil = until < c->vuntil_x ? until : c->vuntil_x;
}

/* See core_int.h: build, update (or keep) the view for now. */
int
core_view_build(core *c, uint64_t now)
{
	/* the cached view holds from vnow until the next expiry (listing or
	 * anchor) or dispute lapse after it, unless the state or trust
	 * changed; changes to records, and listings that expired, are applied
	 * to it for the prefixes they touch */
	if (!c->vdirty && c->vlive && !c->cfg.view_rebuild && now >= c->vnow &&
	    now >= c->vuntil && now < c->vuntil_x)
		view_expire(c, now);
	if (!c->vdirty && now >= c->vnow && now < c->vuntil) {
		if (c->ndirt == 0)
			return 0;
		if (c->vcheck) {
			view_check(c, now, view_update);
			return 0;
		}
		if (view_update(c, now) == 0)
			return 0;
		c->vdirty = 1; /* out of memory midway: build it whole */
	}
	return view_full(c, now);
}

/* ---- walking the view: provenance of an entry ----------------------------- */

/* One contributing origin of the entry being filled. */
struct cell {
	uint32_t o;        /* origin index */
	uint32_t r;        /* its most specific listing in the chain */
	uint64_t until;    /* contributes until (anchor expiry included) */
};

struct sel {
	uint64_t until;
	uint32_t weight;
};

struct core_walk {
	uint32_t stack[VIEW_DEPTH + 1]; /* chain of listing groups (vent indices) */
	blf_prefix sp[VIEW_DEPTH + 1];
	size_t depth;
	size_t next;                    /* next vent for walk_next */
	size_t norigins;
	uint32_t *pos;                  /* per origin: cell index + 1, 0 = none */
	struct cell *cells;             /* norigins each: no entry has more */
	struct sel *sel;
	core_prov *prov;
	char (*refs)[BLF_MAX_REF_LEN];  /* prov[i].ref's text */
	int bare;                       /* entries without provenance (core_iter_bare) */
};

/* See core_int.h: scratch for walking c's view (sized for its origins, so
 * that filling an entry never allocates).  NULL without memory. */
struct core_walk *
core_walk_new(core *c)
{
	struct core_walk *w = core_merge_alloc(c, NULL, sizeof(*w));
	size_t n = c->norigins ? c->norigins : 1;

	if (w == NULL)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->norigins = c->norigins;
	if ((w->pos = core_merge_alloc(c, NULL, n * sizeof(*w->pos))) == NULL ||
	    (w->cells = core_merge_alloc(c, NULL, n * sizeof(*w->cells))) == NULL ||
	    (w->sel = core_merge_alloc(c, NULL, n * sizeof(*w->sel))) == NULL ||
	    (w->prov = core_merge_alloc(c, NULL, n * sizeof(*w->prov))) == NULL ||
	    (w->refs = core_merge_alloc(c, NULL, n * sizeof(*w->refs))) == NULL) {
		core_walk_free(w);
		return NULL;
	}
	memset(w->pos, 0, n * sizeof(*w->pos));
	return w;
}

/* See core_int.h. */
void
core_walk_free(struct core_walk *w)
{
	if (w == NULL)
		return;
	free(w->pos);
	free(w->cells);
	free(w->sel);
	free(w->prov);
	free(w->refs);
	free(w);
}

static int
cell_cmp(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;

	return x->o < y->o ? -1 : x->o > y->o;
}

/*
 * The time at which the weight of the contributions a[0..n) first drops
 * below thr when each leaves at its `until`: taken in decreasing order of
 * until, the until of the contribution with which the running sum reaches
 * thr (before it, the sum stays >= thr; from it on, what remains is < thr).
 * Weighted quickselect, expected O(n); permutes a.  The sum of all weights
 * must reach thr.
 */
static uint64_t
drop_time(struct sel *a, size_t n, uint64_t thr)
{
	size_t lo = 0, hi = n;

	while (hi > lo) {
		uint64_t piv = a[lo + (hi - lo) / 2].until, sg = 0, se = 0;
		size_t g = lo, e = lo, k = hi, i;
		struct sel t;

		/* [lo, g) > piv, [g, e) == piv, [k, hi) < piv */
		while (e < k) {
			if (a[e].until > piv) {
				t = a[g];
				a[g++] = a[e];
				a[e++] = t;
			} else if (a[e].until == piv) {
				e++;
			} else {
				t = a[--k];
				a[k] = a[e];
				a[e] = t;
			}
		}
		for (i = lo; i < g; i++)
			sg += a[i].weight;
		if (sg >= thr) {
			hi = g;
			continue;
		}
		for (i = g; i < e; i++)
			se += a[i].weight;
		if (sg + se >= thr)
			return piv;
		thr -= sg + se;
		lo = e;
	}
	return 0; /* the weights never reached thr */
}

static uint64_t
rec_until(const struct origin *o, const struct rec *r)
{
	uint64_t u = r->expires;

	if (o->anchor != NULL && o->anchor->expires != 0 && o->anchor->expires < u)
		u = o->anchor->expires;
	return u;
}

static void
prov_fill(const core *c, const struct vpair *vp, core_prov *pv, char *refbuf)
{
	const struct origin *o = c->origins[vp->o];
	const struct rec *r = &o->recs[vp->r];

	pv->name = o->anchor != NULL ? o->anchor->name : o->hex;
	pv->origin = o->id;
	pv->weight = o->anchor != NULL ? o->anchor->weight : 0;
	pv->reason = r->reason;
	pv->first = r->first;
	pv->changed = r->changed;
	pv->expires = (r->flags & REC_EXCL) ? 0 : r->expires;
	pv->until = (r->flags & REC_EXCL) ? 0 : rec_until(o, r);
	pv->ref_len = core_intern_get(c, r->ref, refbuf);
	pv->ref = pv->ref_len ? refbuf : NULL;
}

/*
 * Fill e for the view entry w->stack[w->depth - 1] (a listing: the chain
 * holds its enclosing groups) or for the exclusion vent xi.  Never fails:
 * the scratch holds one cell per origin.
 */
static void
fill_entry(const core *c, struct core_walk *w, long xi, core_entry *e)
{
	size_t n = 0, i, d, k;
	uint64_t sum = 0;
	int frames = 0;

	memset(e, 0, sizeof(*e));
	if (w->bare) { /* kind and prefix only (core_iter_bare) */
		if (xi >= 0) {
			vent_prefix(c, (size_t)xi, &e->prefix);
			e->kind = CORE_ENTRY_EXCLUDED;
		} else {
			e->prefix = w->sp[w->depth - 1];
			e->kind = CORE_ENTRY_LISTED;
		}
		return;
	}
	if (xi >= 0) {
		const struct vent *ve = &c->vents[xi];
		struct vpair vp;

		n = vent_npairs(ve);
		for (i = 0; i < n; i++) {
			vp = vent_pair(c, ve, (uint32_t)i);
			prov_fill(c, &vp, &w->prov[i], w->refs[i]);
		}
		vent_prefix(c, (size_t)xi, &e->prefix);
		e->kind = CORE_ENTRY_EXCLUDED;
		e->nprov = n;
		e->prov = w->prov;
		return;
	}
	/* deepest group first: an origin's first listing met is its most
	 * specific one; its contribution lasts until its latest expiry */
	for (d = w->depth; d-- > 0;) {
		const struct vent *ve = &c->vents[w->stack[d]];
		uint32_t np = vent_npairs(ve), j;
		size_t before = n;

		for (j = 0; j < np; j++) {
			struct vpair vp = vent_pair(c, ve, j);
			const struct origin *o = c->origins[vp.o];
			uint64_t u = o->recs[vp.r].expires;

			/* an open dispute ends the contribution when it lapses
			 * (SPEC 8.6); the view is rebuilt then (vuntil) */
			(void)core_dispute_lapsed(c, o, &o->recs[vp.r], c->vnow, &u);

			if (w->pos[vp.o] == 0) {
				w->pos[vp.o] = (uint32_t)n + 1;
				w->cells[n].o = vp.o;
				w->cells[n].r = vp.r;
				w->cells[n].until = u;
				n++;
			} else if (u > w->cells[w->pos[vp.o] - 1].until) {
				w->cells[w->pos[vp.o] - 1].until = u;
			}
		}
		if (n > before)
			frames++;
	}
	if (frames > 1)
		qsort(w->cells, n, sizeof(*w->cells), cell_cmp);
	for (k = 0; k < n; k++) {
		const struct cell *cl = &w->cells[k];
		const struct origin *o = c->origins[cl->o];
		struct vpair vp = { cl->o, cl->r };

		w->pos[cl->o] = 0;
		prov_fill(c, &vp, &w->prov[k], w->refs[k]);
		w->prov[k].until = cl->until;
		if (o->anchor->expires != 0 && o->anchor->expires < cl->until)
			w->prov[k].until = o->anchor->expires;
		w->sel[k].until = w->prov[k].until;
		w->sel[k].weight = w->prov[k].weight;
		sum += w->prov[k].weight;
	}
	e->kind = CORE_ENTRY_LISTED;
	e->prefix = w->sp[w->depth - 1];
	e->weight = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	e->expires = drop_time(w->sel, n, c->cfg.threshold);
	e->nprov = n;
	e->prov = w->prov;
}

/* Put listing vent vi on the walk's chain (popping what does not contain it). */
static void
chain_push(const core *c, struct core_walk *w, size_t vi)
{
	blf_prefix p;

	vent_prefix(c, vi, &p);
	while (w->depth > 0 && !blf_prefix_contains(&w->sp[w->depth - 1], &p))
		w->depth--;
	w->stack[w->depth] = (uint32_t)vi;
	w->sp[w->depth] = p;
	w->depth++;
}

/* See core_int.h: visit vent vi of a walk that visits every vent in
 * order; 1 and *e filled for an exported entry, 0 for a hidden group. */
int
core_walk_step(const core *c, struct core_walk *w, size_t vi, core_entry *e)
{
	uint32_t n = c->vents[vi].n;

	if (n & VENT_EXCL) {
		fill_entry(c, w, (long)vi, e);
		return 1;
	}
	chain_push(c, w, vi);
	if (n & VENT_HIDDEN)
		return 0;
	fill_entry(c, w, -1, e);
	return 1;
}

/* Next exported entry in order: 1 and *e filled, or 0 at the end. */
static int
walk_next(const core *c, struct core_walk *w, core_entry *e)
{
	while (w->next < c->nvents)
		if (core_walk_step(c, w, w->next++, e))
			return 1;
	return 0;
}

static size_t vent_lower_bound(const core *c, const blf_prefix *p);

/* See core_int.h: vent index of the group with exactly prefix p, or -1. */
long
core_view_find(const core *c, const blf_prefix *p)
{
	size_t vi = vent_lower_bound(c, p);
	blf_prefix q;

	if (vi >= c->nvents)
		return -1;
	vent_prefix(c, vi, &q);
	return blf_prefix_cmp(&q, p) == 0 ? (long)vi : -1;
}

/*
 * See core_int.h: fill e for exported vent vi by random access (its chain
 * is found by lookups of the shorter lengths present).  Returns 0, or
 * BLF_ENOTFOUND if vi is a hidden group.
 */
int
core_walk_entry_at(core *c, struct core_walk *w, size_t vi, core_entry *e)
{
	blf_prefix p, m;
	unsigned len;
	long gi;

	if (c->vents[vi].n & VENT_HIDDEN)
		return BLF_ENOTFOUND;
	if (c->vents[vi].n & VENT_EXCL) {
		fill_entry(c, w, (long)vi, e);
		return 0;
	}
	vent_prefix(c, vi, &p);
	w->depth = 0;
	for (len = 0; len < p.len; len++) {
		if (!lens_has(c->vlens, &p, len))
			continue;
		prefix_mask(&p, (uint8_t)len, &m);
		if ((gi = core_view_find(c, &m)) >= 0 && !(c->vents[gi].n & VENT_EXCL)) {
			w->stack[w->depth] = (uint32_t)gi;
			w->sp[w->depth++] = m;
		}
	}
	w->stack[w->depth] = (uint32_t)vi;
	w->sp[w->depth++] = p;
	fill_entry(c, w, -1, e);
	return 0;
}

/* ---- iterator ------------------------------------------------------------ */

/* See core.h. */
int
core_iter_begin(core *c, uint64_t now, core_iter *it)
{
	int rc;

	memset(it, 0, sizeof(*it));
	it->c = c;
	if ((rc = core_view_build(c, now)) != 0)
		return rc;
	if ((it->w = core_walk_new(c)) == NULL)
		return BLF_ENOMEM;
	it->build = c->vbuild;
	return 0;
}

static int iter_next_at(core_iter *it, core_entry *e);

/* See core.h. */
int
core_iter_next(core_iter *it, core_entry *e)
{
	core *c = it->c;

	memset(e, 0, sizeof(*e));
	if (it->err == 0 && (it->w == NULL || core_view_stale(c) || c->vbuild != it->build))
		it->err = it->w == NULL ? BLF_EINVAL : BLF_ESTALE;
	if (it->err != 0)
		return -1;
	if (it->ranged)
		return iter_next_at(it, e);
	return walk_next(c, it->w, e);
}

/* See core.h. */
void
core_iter_bare(core_iter *it, int bare)
{
	if (it->w != NULL)
		it->w->bare = bare != 0;
}

/* See core.h. */
void
core_iter_end(core_iter *it)
{
	core_walk_free(it->w);
	memset(it, 0, sizeof(*it));
}

/* First vent whose prefix is not below p in blf_prefix_cmp order. */
static size_t
vent_lower_bound(const core *c, const blf_prefix *p)
{
	size_t lo = 0, hi = c->nvents, mid;
	blf_prefix q;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		vent_prefix(c, mid, &q);
		if (blf_prefix_cmp(&q, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * See core.h.  The entries that contain `within` are found by one lookup
 * per shorter length and returned first (each by random access, like why);
 * then the walk's chain is set to the listing groups containing `within`
 * and the walk starts at the first vent inside it (binary search), ending
 * at the first vent outside it.
 */
int
core_iter_begin_at(core *c, uint64_t now, const blf_prefix *within, const blf_prefix *after,
		   core_iter *it)
{
	int rc;

	if ((rc = core_iter_begin(c, now, it)) != 0)
		return rc;
	it->ranged = 1;
	it->within = *within;
	it->anc = 0;
	if (after != NULL) {
		it->after = *after;
		it->anc = (unsigned)within->len + 2; /* no containing entries */
	}
	return 0;
}

/* First vent after p in blf_prefix_cmp order. */
static size_t
vent_upper_bound(const core *c, const blf_prefix *p)
{
	size_t lo = 0, hi = c->nvents, mid;
	blf_prefix q;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		vent_prefix(c, mid, &q);
		if (blf_prefix_cmp(&q, p) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Set the walk's chain to the listing groups that contain vent vi
 * (hidden ones included), as a walk from the start would have it. */
static void
chain_at(const core *c, struct core_walk *w, size_t vi)
{
	blf_prefix p, m;
	unsigned len;
	long gi;

	w->depth = 0;
	if (vi >= c->nvents)
		return;
	vent_prefix(c, vi, &p);
	for (len = 0; len < p.len; len++) {
		if (!lens_has(c->vlens, &p, len))
			continue;
		prefix_mask(&p, (uint8_t)len, &m);
		if ((gi = core_view_find(c, &m)) >= 0 && !(c->vents[gi].n & VENT_EXCL)) {
			w->stack[w->depth] = (uint32_t)gi;
			w->sp[w->depth++] = m;
		}
	}
}

/* The ranged part of core_iter_next. */
static int
iter_next_at(core_iter *it, core_entry *e)
{
	core *c = it->c;
	struct core_walk *w = it->w;
	blf_prefix m, p;
	long gi;

	while (it->anc < it->within.len) {
		prefix_mask(&it->within, (uint8_t)it->anc++, &m);
		if ((gi = core_view_find(c, &m)) >= 0 &&
		    core_walk_entry_at(c, w, (size_t)gi, e) == 0)
			return 1;
	}
	if (it->anc == (unsigned)it->within.len + 2) {
		/* resume after a prefix: no containing entries, the chain of the
		 * first vent after it */
		it->anc = it->within.len + 1;
		w->next = vent_upper_bound(c, &it->after);
		chain_at(c, w, w->next);
	}
	if (it->anc == it->within.len) {
		unsigned len;

		it->anc++;
		w->depth = 0;
		for (len = 0; len < it->within.len; len++) {
			prefix_mask(&it->within, (uint8_t)len, &m);
			if ((gi = core_view_find(c, &m)) >= 0 && !(c->vents[gi].n & VENT_EXCL)) {
				w->stack[w->depth] = (uint32_t)gi;
				w->sp[w->depth++] = m;
			}
		}
		w->next = vent_lower_bound(c, &it->within);
	}
	while (w->next < c->nvents) {
		size_t vi = w->next;

		vent_prefix(c, vi, &p);
		if (!blf_prefix_contains(&it->within, &p)) {
			w->next = c->nvents;
			return 0;
		}
		w->next++;
		if (core_walk_step(c, w, vi, e))
			return 1;
	}
	return 0;
}

/* ---- why ------------------------------------------------------------------ */

const char *
core_status_str(int status)
{
	switch (status) {
	case CORE_ACCEPTED:
		return N_("accepted");
	case CORE_FILTERED:
		return N_("filtered");
	case CORE_EXPIRED:
		return N_("expired");
	case CORE_RELAY_ONLY:
		return N_("relay-only");
	case CORE_FROZEN:
		return N_("frozen origin");
	case CORE_NO_ANCHOR:
		return N_("no trust anchor");
	case CORE_LAPSED:
		return N_("lapsed under a dispute");
	}
	return N_("unknown");
}

const char *
core_verdict_str(int verdict)
{
	switch (verdict) {
	case CORE_NOT_LISTED:
		return N_("not listed");
	case CORE_LISTED:
		return N_("listed");
	case CORE_EXCLUDED:
		return N_("excluded");
	}
	return N_("unknown");
}

/* Status (and trust verdict) of record r of o at now, origin first. */
static int
item_status(const struct origin *o, const struct rec *r, uint64_t now, int *verdict)
{
	int st = origin_status(o, now, verdict);

	return st == CORE_ACCEPTED ? rec_status(r, now, verdict) : st;
}

/* Count one covering record; store it if it falls in the requested page. */
static int
why_visit(core_why *w, size_t max, size_t *cap, const core *c, const struct origin *o,
	  uint32_t ri, uint64_t now)
{
	const struct rec *r = &o->recs[ri];
	core_why_item *it, *n;
	int v;

	if (w->total++ < w->first || w->nitems >= max)
		return 0;
	if (w->nitems == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if (*cap > max)
			*cap = max;
		if ((n = realloc(w->items, *cap * sizeof(*n))) == NULL)
			return BLF_ENOMEM;
		w->items = n;
	}
	it = &w->items[w->nitems++];
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", o->anchor ? o->anchor->name : o->hex);
	memcpy(it->origin, o->id, BLF_KEYID_LEN);
	it->exclusion = !!(r->flags & REC_EXCL);
	core_origin_rec_prefix(o, r, &it->prefix);
	it->reason = r->reason;
	it->first = r->first;
	it->changed = r->changed;
	it->expires = it->exclusion ? 0 : r->expires;
	it->ref[core_intern_get(c, r->ref, it->ref)] = '\0';
	it->weight = o->anchor ? o->anchor->weight : 0;
	it->status = item_status(o, r, now, &v);
	it->verdict = v;
	if (it->status == CORE_ACCEPTED && core_dispute_lapsed(c, o, r, now, NULL))
		it->status = CORE_LAPSED;
	return 0;
}

/*
 * No view entry covers q: is q inside a candidate of SPEC 8.3 that reached
 * the threshold and was removed by an exclusion?  One pass over the prefix
 * lengths of q (origins x lengths lookups): *rem is the longest such
 * candidate's length and *xmin the shortest exclusion that removes one, or
 * -1 for both.
 */
static int
why_removed(core *c, const blf_prefix *q, uint64_t now, int *rem, int *xmin)
{
	uint8_t *seen;
	uint64_t w = 0;
	unsigned len;
	size_t i;
	blf_prefix m;
	int v;

	*rem = *xmin = -1;
	if ((seen = calloc(c->norigins + 1, 1)) == NULL)
		return BLF_ENOMEM;
	for (len = 0; len <= q->len; len++) {
		int exact = 0, ri;

		prefix_mask(q, (uint8_t)len, &m);
		for (i = 0; i < c->norigins; i++) {
			const struct origin *o = c->origins[i];

			if (o->nrecs == 0 || origin_status(o, now, &v) != CORE_ACCEPTED)
				continue;
			if ((ri = core_origin_lookup(o, &m, 0)) >= 0 &&
			    rec_status(&o->recs[ri], now, &v) == CORE_ACCEPTED &&
			    !core_dispute_lapsed(c, o, &o->recs[ri], now, NULL)) {
				exact = 1;
				if (!seen[i]) {
					seen[i] = 1;
					w += o->anchor->weight;
				}
			}
			if (*xmin < 0 && (ri = core_origin_lookup(o, &m, 1)) >= 0 &&
			    rec_status(&o->recs[ri], now, &v) == CORE_ACCEPTED)
				*xmin = (int)len;
		}
		if (exact && w >= c->cfg.threshold && *xmin >= 0)
			*rem = (int)len;
	}
	free(seen);
	if (*rem < 0)
		*xmin = -1;
	return 0;
}

/* See core.h. */
int
core_why_page(core *c, const blf_prefix *q, uint64_t now, size_t first, size_t max,
	      core_why *w)
{
	struct core_walk *wk = NULL;
	size_t cap = 0, i, k;
	unsigned maxlen = q->af == BLF_AF_INET6 ? 128 : 32, len;
	blf_prefix m;
	long ei;
	int rc, kind, rem, xmin;

	memset(w, 0, sizeof(*w));
	w->query = *q;
	w->threshold = c->cfg.threshold;
	w->first = first;
	if ((rc = blf_prefix_check(q)) != 0)
		return rc;
	if ((rc = core_view_build(c, now)) != 0)
		return rc;
	/* the records that cover q: those containing it (found by lookups of
	 * its lengths), then, for a network, those inside it (a scan) */
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];
		uint32_t r;

		if (o->nrecs == 0)
			continue;
		for (kind = 0; kind < 2; kind++)
			for (len = 0; len <= q->len; len++) {
				int ri;

				prefix_mask(q, (uint8_t)len, &m);
				if ((ri = core_origin_lookup(o, &m, kind)) >= 0 &&
				    (rc = why_visit(w, max, &cap, c, o, (uint32_t)ri, now)) != 0)
					goto out;
			}
		if (q->len >= maxlen)
			continue;
		for (r = 0; r < o->nrecs; r++) {
			blf_prefix p;

			core_origin_rec_prefix(o, &o->recs[r], &p);
			if (p.len > q->len && blf_prefix_contains(q, &p) &&
			    (rc = why_visit(w, max, &cap, c, o, r, now)) != 0)
				goto out;
		}
	}
	w->truncated = w->first + w->nitems < w->total;
	/* final verdict: longest match among the exported entries */
	for (len = q->len + 1; len-- > 0;) {
		core_entry e;

		prefix_mask(q, (uint8_t)len, &m);
		if ((ei = core_view_find(c, &m)) < 0 || (c->vents[ei].n & VENT_HIDDEN))
			continue;
		w->via = m;
		if (c->vents[ei].n & VENT_EXCL) {
			w->verdict = CORE_EXCLUDED;
			for (k = 0; k < w->nitems; k++)
				if (w->items[k].status == CORE_ACCEPTED && w->items[k].exclusion &&
				    blf_prefix_cmp(&w->items[k].prefix, &m) == 0)
					w->items[k].decisive = 1;
			rc = 0;
			goto out;
		}
		rc = BLF_ENOMEM;
		if ((wk = core_walk_new(c)) == NULL)
			goto out;
		core_walk_entry_at(c, wk, (size_t)ei, &e);
		w->verdict = CORE_LISTED;
		w->weight = e.weight;
		/* decisive: each contributing origin's most specific listing */
		for (k = 0; k < w->nitems; k++) {
			core_why_item *it = &w->items[k];

			if (it->status != CORE_ACCEPTED || it->exclusion ||
			    !blf_prefix_contains(&it->prefix, &m))
				continue;
			for (i = 0; i < e.nprov; i++) {
				const struct origin *o = c->origins[wk->cells[i].o];
				blf_prefix p;

				if (memcmp(o->id, it->origin, BLF_KEYID_LEN) != 0)
					continue;
				core_origin_rec_prefix(o, &o->recs[wk->cells[i].r], &p);
				it->decisive = blf_prefix_cmp(&p, &it->prefix) == 0;
				break;
			}
		}
		rc = 0;
		goto out;
	}
	/* no entry: was a candidate that reached the threshold excluded? */
	if ((rc = why_removed(c, q, now, &rem, &xmin)) != 0)
		goto out;
	if (rem >= 0) {
		w->verdict = CORE_EXCLUDED;
		prefix_mask(q, (uint8_t)xmin, &w->via);
		for (k = 0; k < w->nitems; k++) {
			core_why_item *it = &w->items[k];

			if (it->exclusion && it->status == CORE_ACCEPTED &&
			    it->prefix.len <= rem && blf_prefix_contains(&it->prefix, q))
				it->decisive = 1;
		}
	}
	rc = 0;
out:
	core_walk_free(wk);
	if (rc != 0)
		core_why_free(w);
	return rc;
}

/* See core.h. */
int
core_why_query(core *c, const blf_prefix *q, uint64_t now, core_why *w)
{
	return core_why_page(c, q, now, 0, CORE_WHY_MAX_ITEMS, w);
}

/* See core.h. */
void
core_why_free(core_why *w)
{
	if (w == NULL)
		return;
	free(w->items);
	w->items = NULL;
	w->nitems = 0;
}

/* See core.h. */
int
core_origin_iter_status(const core_origin_iter *it, uint64_t now)
{
	const struct origin *o = it->o;
	int verdict, st;

	if (o == NULL || it->pos == 0 || it->pos > o->nrecs)
		return CORE_FILTERED;
	if ((st = origin_status(o, now, &verdict)) != CORE_ACCEPTED)
		return st;
	return rec_status(&o->recs[it->pos - 1], now, &verdict);
}

/* ---- the incremental update ----------------------------------------------- */

/* Changed prefixes kept for one update: past this, a whole build costs
 * about as much as the update would (and the list stays bounded). */
#define VIEW_DIRT_MAX 65536u

int core_view_check_all; /* testing: core_open sets vcheck from it */

/* See core.h. */
void
core_test_check_view(core *c, int on)
{
	if (c == NULL)
		core_view_check_all = on;
	else
		c->vcheck = on;
}

/* See core.h. */
uint64_t
core_test_view_updates(const core *c)
{
	return c->vnupdates;
}

static uint32_t
origin_index(core *c, const struct origin *o)
{
	size_t i;

	if (c->vnote_o == o && c->vnote_oi < c->norigins && c->origins[c->vnote_oi] == o)
		return c->vnote_oi;
	for (i = 0; i < c->norigins && c->origins[i] != o; i++)
		;
	c->vnote_o = o;
	c->vnote_oi = (uint32_t)i;
	return (uint32_t)i;
}

/* See core_int.h. */
void
core_view_note(core *c, const struct origin *o, const blf_prefix *p, int excl)
{
	struct vdirt *n;
	uint32_t oi;

	if (c->vdirty || !c->vlive)
		return; /* rebuilt whole anyway */
	if (c->cfg.view_rebuild) {
		c->vdirty = 1; /* no index to update from */
		return;
	}
	oi = origin_index(c, o);
	if (oi >= c->norigins || c->ndirt >= VIEW_DIRT_MAX) {
		c->vdirty = 1;
		return;
	}
	if (c->ndirt == c->capdirt) {
		size_t cap = c->capdirt ? c->capdirt * 2 : 256;

		if ((n = realloc(c->dirt, cap * sizeof(*n))) == NULL) {
			c->vdirty = 1;
			return;
		}
		c->dirt = n;
		c->capdirt = cap;
	}
	n = &c->dirt[c->ndirt++];
	memset(n, 0, sizeof(*n));
	n->p = *p;
	n->excl = (uint8_t)!!excl;
	n->o = oi;
}

/* The pair (oi, ri) of the entry with prefix p, if any, becomes (no, nr). */
static void
pair_retarget(core *c, const blf_prefix *p, uint32_t oi, uint32_t ri, uint32_t no, uint32_t nr)
{
	long vi = core_view_find(c, p);
	struct vent *v;
	uint32_t j, n;

	if (vi < 0)
		return;
	v = &c->vents[vi];
	if (v->n & VENT_ONE) {
		if ((v->n & VENT_N) == oi && v->start == ri) {
			v->n = (v->n & ~VENT_N) | no;
			v->start = nr;
		}
		return;
	}
	n = v->n & VENT_N;
	for (j = 0; j < n; j++) {
		struct vpair *q = &c->vpairs[v->start + j];

		if (q->o == oi && q->r == ri) {
			q->o = no;
			q->r = nr;
			return;
		}
	}
}

/*
 * See core_int.h.  The view's pairs name records by index, and removal
 * moves the origin's last record into the hole: the removed record's pair
 * becomes a ghost holding its prefix (its entry is inside a range the
 * update rebuilds, its prefix being noted), the moved record's pair
 * follows it.  So the view stays sorted and searchable until the update.
 */
void
core_view_rec_removed(core *c, const struct origin *o, uint32_t ri)
{
	const struct rec *r = &o->recs[ri];
	uint32_t oi, last = o->nrecs - 1;
	blf_prefix p, q;

	core_origin_rec_prefix(o, r, &p);
	core_view_note(c, o, &p, r->flags & REC_EXCL);
	if (c->vdirty || !c->vlive)
		return;
	oi = origin_index(c, o);
	if (c->nvghost == c->capvghost) {
		size_t cap = c->capvghost ? c->capvghost * 2 : 64;
		blf_prefix *n = realloc(c->vghost, cap * sizeof(*n));

		if (n == NULL) {
			c->vdirty = 1;
			return;
		}
		c->vghost = n;
		c->capvghost = cap;
	}
	c->vghost[c->nvghost] = p;
	pair_retarget(c, &p, oi, ri, VPAIR_GHOST, (uint32_t)c->nvghost++);
	if (ri != last) {
		core_origin_rec_prefix(o, &o->recs[last], &q);
		pair_retarget(c, &q, oi, last, oi, ri);
	}
}

static int
dirt_cmp(const void *a, const void *b)
{
	const struct vdirt *x = a, *y = b;
	int r = blf_prefix_cmp(&x->p, &y->p);

	if (r != 0)
		return r;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	return (int)x->excl - (int)y->excl;
}

static int
prefix_cmp_v(const void *a, const void *b)
{
	return blf_prefix_cmp(a, b);
}

static uint64_t
key4_of(const blf_prefix *p, uint32_t oi)
{
	return (uint64_t)((uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
			  (uint32_t)p->addr[2] << 8 | p->addr[3]) << 32 |
	       (uint64_t)p->len << 24 | oi;
}

static void
key6_of(const blf_prefix *p, uint32_t oi, struct vkey6 *k)
{
	memset(k, 0, sizeof(*k));
	k->hi = be64(p->addr);
	k->lo = be64(p->addr + 8);
	k->lo2 = (uint32_t)p->len << 24 | oi;
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* First position in the sorted array base[0..n) of elements of size sz
 * that is not below key. */
static size_t
lower_bound(const void *base, size_t n, size_t sz, const void *key,
	    int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp((const char *)base + mid * sz, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 if ix holds a key of prefix p (any origin; oi < 0) or of (p, oi). */
static int
vindex_has(const struct vindex *ix, const blf_prefix *p, long oi)
{
	size_t i;

	if (p->af == BLF_AF_INET) {
		uint64_t k = key4_of(p, oi < 0 ? 0 : (uint32_t)oi);

		i = lower_bound(ix->k4, ix->n4, sizeof(*ix->k4), &k, cmp64);
		if (i >= ix->n4)
			return 0;
		return oi < 0 ? ix->k4[i] >> 24 == k >> 24 : ix->k4[i] == k;
	} else {
		struct vkey6 k;
		const struct vkey6 *x;

		key6_of(p, oi < 0 ? 0 : (uint32_t)oi, &k);
		i = lower_bound(ix->k6, ix->n6, sizeof(*ix->k6), &k, cmp6);
		if (i >= ix->n6)
			return 0;
		x = &ix->k6[i];
		if (x->hi != k.hi || x->lo != k.lo)
			return 0;
		return oi < 0 ? x->lo2 >> 24 == k.lo2 >> 24 : x->lo2 == k.lo2;
	}
}

/* See core_int.h.  The kept blocks between the spans move in two passes:
 * those moving toward the start in ascending order, then those moving
 * toward the end in descending order (neither overwrites a block not yet
 * moved); the new spans are copied into their gaps last. */
int
core_splice(core *c, void **arr, size_t *n, size_t *cap, size_t sz, const size_t *oa,
	    const size_t *ob, const void *nw, const size_t *na, const size_t *nb, size_t nr)
{
	size_t k, m = *n, j;
	ptrdiff_t d;
	char *a;

	for (k = 0; k < nr; k++)
		m = m - (ob[k] - oa[k]) + (nb[k] - na[k]);
	if (m > *cap) {
		size_t nc = m + m / 8 + 16;

		if ((a = core_merge_alloc(c, *arr, nc * sz)) == NULL)
			return BLF_ENOMEM;
		*arr = a;
		*cap = nc;
	}
	if ((a = *arr) == NULL)
		return 0; /* empty before and after */
	/* block j is [j ? ob[j-1] : 0, j < nr ? oa[j] : n), shifted by d */
	for (j = 0, d = 0; j <= nr; j++) {
		size_t s0 = j ? ob[j - 1] : 0, e0 = j < nr ? oa[j] : *n;

		if (d < 0 && e0 > s0)
			memmove(a + (size_t)((ptrdiff_t)s0 + d) * sz, a + s0 * sz, (e0 - s0) * sz);
		if (j < nr)
			d += (ptrdiff_t)(nb[j] - na[j]) - (ptrdiff_t)(ob[j] - oa[j]);
	}
	for (j = nr + 1; j-- > 0;) {
		size_t s0 = j ? ob[j - 1] : 0, e0 = j < nr ? oa[j] : *n;

		/* d is block j's shift here */
		if (d > 0 && e0 > s0)
			memmove(a + (size_t)((ptrdiff_t)s0 + d) * sz, a + s0 * sz, (e0 - s0) * sz);
		if (j > 0)
			d -= (ptrdiff_t)(nb[j - 1] - na[j - 1]) - (ptrdiff_t)(ob[j - 1] - oa[j - 1]);
	}
	for (k = 0, d = 0; k < nr; k++) {
		if (nb[k] > na[k])
			memcpy(a + (size_t)((ptrdiff_t)oa[k] + d) * sz,
			       (const char *)nw + na[k] * sz, (nb[k] - na[k]) * sz);
		d += (ptrdiff_t)(nb[k] - na[k]) - (ptrdiff_t)(ob[k] - oa[k]);
	}
	*n = m;
	return 0;
}

/*
 * Apply sorted deletions del[0..nd) (each present) and insertions
 * add[0..na) (each absent) to the sorted array *arr of *n elements of size
 * sz (room for *cap): the positions by binary search, then one splice,
 * O(n + (nd + na) log n) with block moves.  0 or BLF_ENOMEM (nothing
 * changed then).
 */
static int
sorted_apply(core *c, void **arr, size_t *n, size_t *cap, size_t sz,
	     int (*cmp)(const void *, const void *), const char *del, size_t nd,
	     const char *add, size_t na)
{
	static const char none[1]; /* stands for an empty array's NULL */
	size_t ne = nd + na, e, j = 0, k = 0, *sp;
	const char *old = *arr != NULL ? (const char *)*arr : none;
	int rc;

	if (ne == 0)
		return 0;
	if ((sp = core_merge_alloc(c, NULL, 4 * ne * sizeof(*sp))) == NULL)
		return BLF_ENOMEM;
	for (e = 0; e < ne; e++) {
		int isdel = k >= na || (j < nd && cmp(del + j * sz, add + k * sz) < 0);
		const char *key = isdel ? del + j * sz : add + k * sz;
		size_t at = lower_bound(old, *n, sz, key, cmp);

		sp[e] = at;                          /* old span */
		sp[ne + e] = at + (size_t)isdel;
		sp[2 * ne + e] = isdel ? 0 : k;      /* new span, in add */
		sp[3 * ne + e] = isdel ? 0 : k + 1;
		if (isdel)
			j++;
		else
			k++;
	}
	rc = core_splice(c, arr, n, cap, sz, sp, sp + ne, add, sp + 2 * ne, sp + 3 * ne, ne);
	free(sp);
	return rc;
}

/* See core_int.h: the last address of p, as a prefix of full length
 * (sorts after every prefix inside p and before every later one). */
void
core_prefix_end(const blf_prefix *p, blf_prefix *e)
{
	unsigned max = p->af == BLF_AF_INET6 ? 128 : 32, i;

	*e = *p;
	e->len = (uint8_t)max;
	for (i = p->len; i < max; i++)
		e->addr[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

/* Is record ri of origin oi (-1: none) accepted at now?  Lowers *until
 * to its expiry, *untilx to the lapse of a dispute over it. */
static int
accepted_now(core *c, uint32_t oi, int ri, uint64_t now, uint64_t *until, uint64_t *untilx)
{
	const struct origin *o = c->origins[oi];
	const struct rec *r;
	int v;

	if (ri < 0 || origin_status(o, now, &v) != CORE_ACCEPTED)
		return 0;
	r = &o->recs[ri];
	if (rec_status(r, now, &v) != CORE_ACCEPTED)
		return 0;
	if (core_dispute_lapsed(c, o, r, now, untilx))
		return 0;
	if (!(r->flags & REC_EXCL) && r->expires < *until)
		*until = r->expires;
	return 1;
}

/* The keys of ix inside the sorted disjoint ranges rng, with their
 * records (found by lookup: the index holds no record indices), into ks. */
static int
range_keys(core *c, const struct vindex *ix, int excl, const blf_prefix *rng, size_t nr,
	   uint64_t now, uint64_t *until, uint64_t *untilx, struct keys *ks)
{
	size_t k, i;
	blf_prefix p;
	int rc, ri;

	for (k = 0; k < nr; k++) {
		const blf_prefix *R = &rng[k];

		if (R->af == BLF_AF_INET) {
			uint64_t lo = key4_of(R, 0);

			for (i = lower_bound(ix->k4, ix->n4, sizeof(*ix->k4), &lo, cmp64);
			     i < ix->n4; i++) {
				uint64_t key = ix->k4[i];
				uint32_t a = (uint32_t)(key >> 32), oi = (uint32_t)(key & 0xffffff);

				memset(&p, 0, sizeof(p));
				p.af = BLF_AF_INET;
				p.len = (uint8_t)(key >> 24);
				p.addr[0] = (uint8_t)(a >> 24);
				p.addr[1] = (uint8_t)(a >> 16);
				p.addr[2] = (uint8_t)(a >> 8);
				p.addr[3] = (uint8_t)a;
				if (!blf_prefix_contains(R, &p))
					break;
				if ((ri = core_origin_lookup(c->origins[oi], &p, excl)) < 0)
					return BLF_ECORRUPT; /* the index lost track */
				(void)accepted_now(c, oi, ri, now, until, untilx);
				if ((rc = keys_add(c, ks, c->origins[oi], oi, (uint32_t)ri)) != 0)
					return rc;
			}
		} else {
			struct vkey6 lo;

			key6_of(R, 0, &lo);
			for (i = lower_bound(ix->k6, ix->n6, sizeof(*ix->k6), &lo, cmp6);
			     i < ix->n6; i++) {
				const struct vkey6 *x = &ix->k6[i];
				uint32_t oi = x->lo2 & 0xffffff;
				int b;

				memset(&p, 0, sizeof(p));
				p.af = BLF_AF_INET6;
				p.len = (uint8_t)(x->lo2 >> 24);
				for (b = 0; b < 8; b++) {
					p.addr[b] = (uint8_t)(x->hi >> (56 - 8 * b));
					p.addr[8 + b] = (uint8_t)(x->lo >> (56 - 8 * b));
				}
				if (!blf_prefix_contains(R, &p))
					break;
				if ((ri = core_origin_lookup(c->origins[oi], &p, excl)) < 0)
					return BLF_ECORRUPT;
				(void)accepted_now(c, oi, ri, now, until, untilx);
				if ((rc = keys_add(c, ks, c->origins[oi], oi, (uint32_t)ri)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

/* Prefix of a vent (its first pair). */
static void
ent_prefix(const core *c, const struct vent *v, blf_prefix *out)
{
	struct vpair vp = vent_pair(c, v, 0);

	pair_prefix(c, &vp, out);
}

/* Copy the live pair runs into a fresh array (the update leaves the runs
 * of replaced entries behind).  Nothing changes without memory. */
static void
vpairs_compact(core *c)
{
	struct vpair *n;
	size_t i, m = 0, live = c->nvpairs - c->vgarbage;

	if ((n = core_merge_alloc(c, NULL, (live ? live : 1) * sizeof(*n))) == NULL)
		return;
	for (i = 0; i < c->nvents; i++) {
		struct vent *v = &c->vents[i];
		uint32_t k = v->n & VENT_N;

		if (v->n & VENT_ONE)
			continue;
		memcpy(n + m, c->vpairs + v->start, k * sizeof(*n));
		v->start = (uint32_t)m;
		m += k;
	}
	free(c->vpairs);
	c->vpairs = n;
	c->nvpairs = c->capvpairs = m;
	c->vgarbage = 0;
}

/*
 * Update the view for the prefixes noted since it was built (c->dirt),
 * at now inside [vnow, vuntil).  Each changed prefix P affects only the
 * entries inside the widest accepted record (before or after the change)
 * that contains P, or P itself: weights come from enclosing listings,
 * exclusions act inside themselves, hidden groups and emitted exclusions
 * depend on what they enclose or what encloses them.  Such a range is
 * enclosed by no accepted record, so the sweep over its keys alone gives
 * what the whole sweep gives there.  The ranges (sorted, nested ones
 * dropped) are swept together; their entries replace the old ones in one
 * pass of block copies, and the change feed diffs those ranges only.
 * 0, or BLF_ENOMEM/BLF_ELIMIT/BLF_ECORRUPT (then the caller rebuilds).
 */
static int
view_update(core *c, uint64_t now)
{
	blf_prefix *rng = NULL, m, e;
	size_t nd, i, k, nr = 0, *oa = NULL, *ob = NULL, *na = NULL, *nb = NULL, pos;
	ptrdiff_t shift;
	struct keys lk, xk, adds[2], dels[2];
	struct vout vo;
	uint64_t until = c->vuntil, untilx = c->vuntil_x;
	int rc = BLF_ENOMEM, ix;

	memset(&lk, 0, sizeof(lk));
	memset(&xk, 0, sizeof(xk));
	memset(adds, 0, sizeof(adds));
	memset(dels, 0, sizeof(dels));
	memset(&vo, 0, sizeof(vo));
	core_dispute_prepare(c, now);
	qsort(c->dirt, c->ndirt, sizeof(*c->dirt), dirt_cmp);
	for (i = nd = 0; i < c->ndirt; i++)
		if (nd == 0 || dirt_cmp(&c->dirt[i], &c->dirt[nd - 1]) != 0)
			c->dirt[nd++] = c->dirt[i];
	c->ndirt = nd;

	/* 1. the ranges, from the index before the change */
	if ((rng = malloc(nd * sizeof(*rng))) == NULL)
		goto out;
	for (i = 0; i < nd; i++) {
		const blf_prefix *p = &c->dirt[i].p;
		unsigned len;

		rng[i] = *p;
		for (len = 0; len < p->len; len++) {
			if (!lens_has(c->lidx.lens, p, len) && !lens_has(c->xidx.lens, p, len))
				continue;
			prefix_mask(p, (uint8_t)len, &m);
			if (vindex_has(&c->lidx, &m, -1) || vindex_has(&c->xidx, &m, -1)) {
				rng[i] = m;
				break;
			}
		}
	}
	qsort(rng, nd, sizeof(*rng), prefix_cmp_v);
	for (i = 0; i < nd; i++)
		if (nr == 0 || !blf_prefix_contains(&rng[nr - 1], &rng[i]))
			rng[nr++] = rng[i];

	/* 2. the index after the change: one pass per array (the dirt is
	 * sorted, so are the keys taken from it) */
	for (i = 0; i < nd; i++) {
		const struct vdirt *d = &c->dirt[i];
		struct vindex *x = d->excl ? &c->xidx : &c->lidx;
		int oldin = vindex_has(x, &d->p, d->o), newin, ri;

		ri = core_origin_lookup(c->origins[d->o], &d->p, d->excl);
		newin = accepted_now(c, d->o, ri, now, &until, &untilx);
		if (oldin == newin)
			continue;
		/* keys_add wants a record: the keys are built from the prefix */
		{
			struct keys *ks = newin ? &adds[d->excl] : &dels[d->excl];
			size_t cap;

			if (d->p.af == BLF_AF_INET) {
				if (ks->n4 == ks->cap4) {
					struct key4 *n4;

					cap = ks->cap4 ? ks->cap4 * 2 : 64;
					if ((n4 = realloc(ks->k4, cap * sizeof(*n4))) == NULL)
						goto out;
					ks->k4 = n4;
					ks->cap4 = cap;
				}
				memset(&ks->k4[ks->n4], 0, sizeof(ks->k4[0]));
				ks->k4[ks->n4++].k = key4_of(&d->p, d->o);
			} else {
				if (ks->n6 == ks->cap6) {
					struct vkey6 *n6;

					cap = ks->cap6 ? ks->cap6 * 2 : 64;
					if ((n6 = realloc(ks->k6, cap * sizeof(*n6))) == NULL)
						goto out;
					ks->k6 = n6;
					ks->cap6 = cap;
				}
				key6_of(&d->p, d->o, &ks->k6[ks->n6++]);
			}
			if (newin) {
				unsigned len = d->p.len;

				x->lens[d->p.af == BLF_AF_INET6][len / 64] |= 1ULL << (len % 64);
			}
		}
	}
	for (ix = 0; ix < 2; ix++) {
		struct vindex *x = ix ? &c->xidx : &c->lidx;
		uint64_t *d4 = NULL, *a4 = NULL;

		/* the keys' k fields, packed */
		if ((dels[ix].n4 && (d4 = malloc(dels[ix].n4 * sizeof(*d4))) == NULL) ||
		    (adds[ix].n4 && (a4 = malloc(adds[ix].n4 * sizeof(*a4))) == NULL)) {
			free(d4);
			goto out;
		}
		for (k = 0; k < dels[ix].n4; k++)
			d4[k] = dels[ix].k4[k].k;
		for (k = 0; k < adds[ix].n4; k++)
			a4[k] = adds[ix].k4[k].k;
		rc = sorted_apply(c, (void **)&x->k4, &x->n4, &x->cap4, sizeof(*x->k4), cmp64,
				  (const char *)d4, dels[ix].n4, (const char *)a4, adds[ix].n4);
		free(d4);
		free(a4);
		if (rc != 0 ||
		    (rc = sorted_apply(c, (void **)&x->k6, &x->n6, &x->cap6, sizeof(*x->k6), cmp6,
				       (const char *)dels[ix].k6, dels[ix].n6,
				       (const char *)adds[ix].k6, adds[ix].n6)) != 0)
			goto out;
		rc = BLF_ENOMEM;
	}

	/* 3. sweep the ranges' keys */
	if ((rc = range_keys(c, &c->lidx, 0, rng, nr, now, &until, &untilx, &lk)) != 0 ||
	    (rc = range_keys(c, &c->xidx, 1, rng, nr, now, &until, &untilx, &xk)) != 0 ||
	    (rc = view_sweep(c, &lk, &xk, c->nvpairs, &vo)) != 0)
		goto out;
	rc = BLF_ENOMEM;

	/* 4. splice: the old entries of range k are [oa[k], ob[k]), the new
	 * ones [na[k], nb[k]) of vo (then of the new array) */
	if ((oa = malloc(4 * (nr + 1) * sizeof(*oa))) == NULL)
		goto out;
	ob = oa + nr + 1;
	na = ob + nr + 1;
	nb = na + nr + 1;
	if (c->nvpairs + vo.np > c->capvpairs) {
		size_t cap = c->nvpairs + vo.np + (c->nvpairs + vo.np) / 4 + 16;
		struct vpair *np = core_merge_alloc(c, c->vpairs, cap * sizeof(*np));

		if (np == NULL)
			goto out;
		c->vpairs = np;
		c->capvpairs = cap;
	}
	if (vo.np > 0)
		memcpy(c->vpairs + c->nvpairs, vo.p, vo.np * sizeof(*vo.p));
	for (k = 0, pos = 0; k < nr; k++) {
		size_t j;

		core_prefix_end(&rng[k], &e);
		oa[k] = vent_lower_bound(c, &rng[k]);
		ob[k] = vent_upper_bound(c, &e);
		na[k] = pos;
		while (pos < vo.n) {
			ent_prefix(c, &vo.v[pos], &m);
			if (!blf_prefix_contains(&rng[k], &m))
				break;
			pos++;
		}
		nb[k] = pos;
		for (j = oa[k]; j < ob[k]; j++) {
			const struct vent *v = &c->vents[j];

			if (!(v->n & VENT_HIDDEN))
				c->nview--;
			if (!(v->n & VENT_ONE))
				c->vgarbage += v->n & VENT_N;
		}
	}
	if (pos != vo.n) {
		rc = BLF_ECORRUPT; /* an entry outside every range: cannot be */
		goto out;
	}
	if (core_splice(c, (void **)&c->vents, &c->nvents, &c->capvents, sizeof(*c->vents), oa,
			ob, vo.v, na, nb, nr) != 0)
		goto out;
	/* nothing fails from here on: the new entries' places in the view */
	c->nvpairs += vo.np;
	for (k = 0, shift = 0; k < nr; k++) {
		size_t len = nb[k] - na[k];

		na[k] = (size_t)((ptrdiff_t)oa[k] + shift);
		nb[k] = na[k] + len;
		shift += (ptrdiff_t)len - (ptrdiff_t)(ob[k] - oa[k]);
	}
	c->nview += vo.nview;
	for (ix = 0; ix < 2; ix++)
		for (k = 0; k < 3; k++)
			c->vlens[ix][k] |= vo.lens[ix][k];
	if (c->vgarbage > 4096 && c->vgarbage > c->nvpairs / 2)
		vpairs_compact(c);
	c->vnow = now;
	c->vuntil = until < untilx ? until : untilx;
	c->vuntil_x = untilx;
	c->vbuild++;
	c->vnupdates++;
	view_inc_reset(c);
	core_feed_update_ranges(c, rng, na, nb, nr);
	rc = 0;
out:
	free(rng);
	free(oa);
	keys_free(&lk);
	keys_free(&xk);
	for (ix = 0; ix < 2; ix++) {
		keys_free(&adds[ix]);
		keys_free(&dels[ix]);
	}
	vout_free(&vo);
	return rc;
}

/* ---- the oracle: each update against a build (testing) -------------------- */

/* What a build or an update produces. */
struct vstate {
	struct vent *vents;
	size_t nvents, capvents;
	struct vpair *vpairs;
	size_t nvpairs, capvpairs, vgarbage, nview;
	uint64_t vlens[2][3];
	struct vindex lidx, xidx;
	struct vfps fps;
	int fps_lost;
	struct vlog *log;
	size_t nlog, caplog;
	uint64_t vgen, feed_oldest, vuntil, vuntil_x;
};

#define XCH(a, b)                                                                               \
	do {                                                                                    \
		char t_[sizeof(a)];                                                             \
		memcpy(t_, &(a), sizeof(a));                                                    \
		memcpy(&(a), &(b), sizeof(a));                                                  \
		memcpy(&(b), t_, sizeof(a));                                                    \
	} while (0)

static void
vstate_swap(core *c, struct vstate *s)
{
	XCH(c->vents, s->vents);
	XCH(c->nvents, s->nvents);
	XCH(c->capvents, s->capvents);
	XCH(c->vpairs, s->vpairs);
	XCH(c->nvpairs, s->nvpairs);
	XCH(c->capvpairs, s->capvpairs);
	XCH(c->vgarbage, s->vgarbage);
	XCH(c->nview, s->nview);
	XCH(c->vlens, s->vlens);
	XCH(c->lidx, s->lidx);
	XCH(c->xidx, s->xidx);
	XCH(c->fps, s->fps);
	XCH(c->fps_lost, s->fps_lost);
	XCH(c->log, s->log);
	XCH(c->nlog, s->nlog);
	XCH(c->caplog, s->caplog);
	XCH(c->vgen, s->vgen);
	XCH(c->feed_oldest, s->feed_oldest);
	XCH(c->vuntil, s->vuntil);
	XCH(c->vuntil_x, s->vuntil_x);
}

static void
vstate_free(struct vstate *s)
{
	free(s->vents);
	free(s->vpairs);
	vindex_free(&s->lidx);
	vindex_free(&s->xidx);
	core_vfps_free(&s->fps);
	free(s->log);
	memset(s, 0, sizeof(*s));
}

static struct vpair
pair_in(const struct vpair *pairs, const struct vent *v, uint32_t i)
{
	struct vpair p;

	if (v->n & VENT_ONE) {
		p.o = v->n & VENT_N;
		p.r = v->start;
		return p;
	}
	return pairs[v->start + i];
}

static int
vfps_same(const struct vfps *a, const struct vfps *b)
{
	size_t i;

	if (a->n4 != b->n4 || a->n6 != b->n6)
		return 0;
	for (i = 0; i < a->n4; i++)
		if (a->v4[i].a != b->v4[i].a || a->v4[i].len != b->v4[i].len ||
		    a->v4[i].kind != b->v4[i].kind || a->v4[i].h != b->v4[i].h)
			return 0;
	for (i = 0; i < a->n6; i++)
		if (blf_prefix_cmp(&a->v6[i].p, &b->v6[i].p) != 0 ||
		    a->v6[i].kind != b->v6[i].kind || a->v6[i].h != b->v6[i].h)
			return 0;
	return 1;
}

static int
vindex_same(const struct vindex *a, const struct vindex *b)
{
	size_t i;

	if (a->n4 != b->n4 || a->n6 != b->n6)
		return 0;
	if (a->n4 > 0 && memcmp(a->k4, b->k4, a->n4 * sizeof(*a->k4)) != 0)
		return 0;
	for (i = 0; i < a->n6; i++)
		if (cmp6(&a->k6[i], &b->k6[i]) != 0)
			return 0;
	return 1;
}

/* The first difference between the built view (in c) and the updated one
 * (u), or NULL. */
static const char *
view_diff(core *c, struct vstate *u, uint64_t now)
{
	struct vfps fb, fu;
	const char *why = NULL;
	size_t i;
	uint32_t j;

	if (c->nvents != u->nvents)
		return "entry count";
	if (c->nview != u->nview)
		return "exported entry count";
	for (i = 0; i < c->nvents; i++) {
		const struct vent *a = &c->vents[i], *b = &u->vents[i];
		uint32_t n = vent_npairs(a);

		if ((a->n & (VENT_EXCL | VENT_HIDDEN)) != (b->n & (VENT_EXCL | VENT_HIDDEN)))
			return "entry flags";
		if (vent_npairs(b) != n)
			return "entry pair count";
		for (j = 0; j < n; j++) {
			struct vpair x = pair_in(c->vpairs, a, j), y = pair_in(u->vpairs, b, j);

			if (x.o != y.o || x.r != y.r)
				return "entry pairs";
		}
	}
	if (!vindex_same(&c->lidx, &u->lidx) || !vindex_same(&c->xidx, &u->xidx))
		return "index of accepted records";
	if (u->vuntil <= now || u->vuntil > c->vuntil || u->vuntil_x > c->vuntil_x)
		return "next change";
	if (c->vgen != u->vgen || c->feed_oldest != u->feed_oldest)
		return "generation";
	if (c->cfg.change_feed) {
		if (c->fps_lost != u->fps_lost || !vfps_same(&c->fps, &u->fps))
			return "change feed fingerprints";
		if (c->nlog != u->nlog)
			return "change log length";
		for (i = 0; i < c->nlog; i++)
			if (c->log[i].gen != u->log[i].gen || c->log[i].existed != u->log[i].existed ||
			    blf_prefix_cmp(&c->log[i].p, &u->log[i].p) != 0)
				return "change log";
	}
	/* weight, expiry and provenance of every entry, as walks give them */
	if (core_feed_fingerprints(c, &fb) != 0)
		return NULL;
	vstate_swap(c, u);
	if (core_feed_fingerprints(c, &fu) == 0) {
		if (!vfps_same(&fb, &fu))
			why = "entries (weight, expiry or provenance)";
		core_vfps_free(&fu);
	}
	vstate_swap(c, u);
	core_vfps_free(&fb);
	return why;
}

/*
 * Testing (core_test_check_view): update the view, then build it from
 * scratch from the same state and feed log, compare the two, and keep the
 * updated one (so that later updates start from it).  A difference aborts.
 */
static void
view_check(core *c, uint64_t now, int (*update)(core *, uint64_t))
{
	struct vstate pre, u;
	unsigned fa = c->fail_alloc;
	const char *why;
	size_t i, ndirt = c->ndirt;
	int ok = 1;

	memset(&pre, 0, sizeof(pre));
	memset(&u, 0, sizeof(u));
	c->fail_alloc = 0;
	/* the feed as it was, for the build to diff from */
	pre.fps_lost = c->fps_lost;
	pre.nlog = pre.caplog = c->nlog;
	pre.vgen = c->vgen;
	pre.feed_oldest = c->feed_oldest;
	pre.fps.n4 = c->fps.n4;
	pre.fps.n6 = c->fps.n6;
	if ((c->fps.n4 && (pre.fps.v4 = malloc(c->fps.n4 * sizeof(*pre.fps.v4))) == NULL) ||
	    (c->fps.n6 && (pre.fps.v6 = malloc(c->fps.n6 * sizeof(*pre.fps.v6))) == NULL) ||
	    (c->nlog && (pre.log = malloc(c->nlog * sizeof(*pre.log))) == NULL))
		ok = 0;
	if (ok) {
		if (c->fps.n4)
			memcpy(pre.fps.v4, c->fps.v4, c->fps.n4 * sizeof(*pre.fps.v4));
		if (c->fps.n6)
			memcpy(pre.fps.v6, c->fps.v6, c->fps.n6 * sizeof(*pre.fps.v6));
		if (c->nlog)
			memcpy(pre.log, c->log, c->nlog * sizeof(*pre.log));
	}
	if (update(c, now) != 0) {
		c->vdirty = 1;
		(void)view_full(c, now);
		goto out;
	}
	if (!ok)
		goto out;
	/* the updated view aside, the state before the update in c */
	vstate_swap(c, &u);
	XCH(c->fps, pre.fps);
	XCH(c->log, pre.log);
	c->nlog = pre.nlog;
	c->caplog = pre.caplog;
	c->vgen = pre.vgen;
	c->feed_oldest = pre.feed_oldest;
	c->fps_lost = pre.fps_lost;
	c->vdirty = 1;
	if (view_full(c, now) == 0 && (why = view_diff(c, &u, now)) != NULL) {
		fprintf(stderr, "core_test_check_view: the view updated for %zu changes "
				"differs from the view built at %llu: %s\n",
			ndirt, (unsigned long long)now, why);
		for (i = 0; i < c->nvents && i < 64; i++) {
			blf_prefix p;
			char buf[BLF_PREFIX_STRLEN];

			vent_prefix(c, i, &p);
			blf_prefix_format(&p, buf);
			fprintf(stderr, "  built %s %x\n", buf, c->vents[i].n >> 29);
		}
		vstate_swap(c, &u);
		for (i = 0; i < c->nvents && i < 64; i++) {
			blf_prefix p;
			char buf[BLF_PREFIX_STRLEN];

			vent_prefix(c, i, &p);
			blf_prefix_format(&p, buf);
			fprintf(stderr, "  updated %s %x\n", buf, c->vents[i].n >> 29);
		}
		abort();
	}
	/* keep the updated view */
	vstate_swap(c, &u);
	c->vdirty = 0;
	c->vlive = 1;
out:
	vstate_free(&pre);
	vstate_free(&u);
	c->fail_alloc = fa;
}
