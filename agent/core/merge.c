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
 * For each distinct listed prefix P the weights of the origins that list
 * exactly P are summed; P is a candidate when the sum reaches the threshold.
 * A counted exclusion E removes every candidate inside E (E itself
 * included).  An exclusion that is not inside another exclusion and lies
 * strictly inside a remaining candidate is exported as an explicit
 * exclusion entry, so that longest-match consumers (rbldnsd "!" lines)
 * answer "not listed" there; nested exclusions would be redundant and are
 * not exported.  Output is sorted by blf_prefix_cmp without duplicates.
 *
 * Storage: the view is an array of (origin, record) pairs grouped into
 * entries; prefixes and provenance are read from the records on demand.
 * Building sorts compact keys (16 bytes per IPv4 listing), which are freed
 * before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

struct key4 {
	uint64_t k; /* addr << 32 | len << 24 | origin index */
	uint32_t r;
	uint32_t pad;
};

struct key6 {
	uint64_t hi, lo;
	uint32_t lo2; /* len << 24 | origin index */
	uint32_t r;
};

struct keys {
	struct key4 *k4;
	size_t n4, cap4;
	struct key6 *k6;
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
	const struct key6 *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->lo2 < y->lo2 ? -1 : x->lo2 > y->lo2;
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
	*verdict = rec_verdict(r);
	if (*verdict == TRUST_RELAY_ONLY_V)
		return CORE_RELAY_ONLY;
	if (*verdict != TRUST_OK)
		return CORE_FILTERED;
	if (!(r->flags & REC_EXCL) && r->expires <= now)
		return CORE_EXPIRED;
	return CORE_ACCEPTED;
}

static int
keys_add(struct keys *ks, const struct origin *o, uint32_t oi, uint32_t ri)
{
	const struct rec *r = &o->recs[ri];
	size_t cap;

	if (r->flags & REC_V6) {
		struct key6 *n;

		if (ks->n6 == ks->cap6) {
			cap = ks->cap6 ? ks->cap6 * 2 : 1024;
			if ((n = realloc(ks->k6, cap * sizeof(*n))) == NULL)
				return BLF_ENOMEM;
			ks->k6 = n;
			ks->cap6 = cap;
		}
		n = &ks->k6[ks->n6++];
		n->hi = be64(o->a6[r->a]);
		n->lo = be64(o->a6[r->a] + 8);
		n->lo2 = (uint32_t)r->len << 24 | oi;
		n->r = ri;
	} else {
		struct key4 *n;

		if (ks->n4 == ks->cap4) {
			cap = ks->cap4 ? ks->cap4 + ks->cap4 / 2 : 1024;
			if ((n = realloc(ks->k4, cap * sizeof(*n))) == NULL)
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

/* Pairs and groups of one kind, in prefix order. */
struct plist {
	struct vpair *p;
	size_t np;
	struct vent *g;
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
	const struct origin *o = c->origins[p->o];

	origin_rec_prefix(o, &o->recs[p->r], out);
}

/* Turn sorted keys into pairs and groups of equal prefixes; listings need
 * summed weight >= threshold. */
static int
keys_group(core *c, struct keys *ks, int excl, struct plist *out)
{
	size_t n = ks->n4 + ks->n6, i, gstart;
	uint64_t w = 0;
	blf_prefix cur, p;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if ((out->p = malloc(n * sizeof(*out->p))) == NULL ||
	    (out->g = malloc(n * sizeof(*out->g))) == NULL) {
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
	/* group in place: kept groups' pairs are compacted to the front */
	gstart = 0;
	{
		size_t wpos = 0, j;

		for (i = 0; i <= n; i++) {
			if (i < n)
				pair_prefix(c, &out->p[i], &p);
			if (i > gstart && (i == n || memcmp(&p, &cur, sizeof(p)) != 0)) {
				if (excl || w >= c->cfg.threshold) {
					out->g[out->ng].start = (uint32_t)wpos;
					out->g[out->ng].n = (uint32_t)(i - gstart);
					for (j = gstart; j < i; j++)
						out->p[wpos++] = out->p[j];
					out->ng++;
				}
				gstart = i;
				w = 0;
			}
			if (i < n) {
				cur = p;
				w += c->origins[out->p[i].o]->anchor->weight;
			}
		}
		out->np = wpos;
	}
	return 0;
}

static void
group_prefix(const core *c, const struct plist *l, size_t gi, blf_prefix *p)
{
	pair_prefix(c, &l->p[l->g[gi].start], p);
}

/* Index of the group (of ng, sorted, each starting at a pair of pairs)
 * whose prefix is exactly p, or -1. */
static long
group_search(const core *c, const struct vpair *pairs, const struct vent *groups,
	     size_t ng, const blf_prefix *p)
{
	size_t lo = 0, hi = ng, mid;
	blf_prefix q;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		pair_prefix(c, &pairs[groups[mid].start], &q);
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

/* Index of the group of l with exactly prefix p, or -1. */
static long
group_find(const core *c, const struct plist *l, const blf_prefix *p)
{
	return group_search(c, l->p, l->g, l->ng, p);
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

/* Lengths present among groups, per family (bit i of lens[af==6][i/64]). */
struct lens {
	uint64_t b[2][3];
};

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
		ls->b[p.af == BLF_AF_INET6][p.len / 64] |= 1ULL << (p.len % 64);
	}
}

static int
lens_has(const struct lens *ls, const blf_prefix *p, unsigned len)
{
	return (ls->b[p->af == BLF_AF_INET6][len / 64] >> (len % 64)) & 1;
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
		if (!lens_has(ls, p, len))
			continue;
		prefix_mask(p, (uint8_t)len, &m);
		if ((gi = group_find(c, l, &m)) >= 0 && (removed == NULL || !removed[gi]))
			return gi;
	}
	return -1;
}

static int
view_build(core *c, uint64_t now)
{
	struct keys lk, xk;
	struct plist L, X;
	struct lens xl, ll;
	uint8_t *lrem = NULL, *xemit = NULL;
	size_t i, j, np, ng, a, b;
	blf_prefix p, q;
	int rc = BLF_ENOMEM, v;

	uint64_t until = UINT64_MAX;

	/* the cached view holds from vnow until the next expiry (listing or
	 * anchor) after it, unless the state or trust changed */
	if (!c->vdirty && c->vents != NULL && now >= c->vnow && now < c->vuntil)
		return 0;
	memset(&lk, 0, sizeof(lk));
	memset(&xk, 0, sizeof(xk));
	memset(&L, 0, sizeof(L));
	memset(&X, 0, sizeof(X));
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];
		uint32_t r;

		if (origin_status(o, now, &v) != CORE_ACCEPTED)
			continue;
		if (o->anchor->expires != 0 && o->anchor->expires < until)
			until = o->anchor->expires;
		for (r = 0; r < o->nrecs; r++) {
			if (rec_status(&o->recs[r], now, &v) != CORE_ACCEPTED)
				continue;
			if (!(o->recs[r].flags & REC_EXCL) && o->recs[r].expires < until)
				until = o->recs[r].expires;
			if (keys_add((o->recs[r].flags & REC_EXCL) ? &xk : &lk, o, (uint32_t)i,
				     r) != 0)
				goto out;
		}
	}
	if (lk.n4 > 1)
		qsort(lk.k4, lk.n4, sizeof(*lk.k4), cmp4);
	if (lk.n6 > 1)
		qsort(lk.k6, lk.n6, sizeof(*lk.k6), cmp6);
	if (xk.n4 > 1)
		qsort(xk.k4, xk.n4, sizeof(*xk.k4), cmp4);
	if (xk.n6 > 1)
		qsort(xk.k6, xk.n6, sizeof(*xk.k6), cmp6);
	if (keys_group(c, &lk, 0, &L) != 0 || keys_group(c, &xk, 1, &X) != 0)
		goto out;
	free(lk.k4);
	free(lk.k6);
	free(xk.k4);
	free(xk.k6);
	memset(&lk, 0, sizeof(lk));
	memset(&xk, 0, sizeof(xk));

	if (X.ng == 0) {
		/* common case: the candidates are the view */
		free(c->vpairs);
		free(c->vents);
		c->vpairs = L.p;
		c->vents = L.g;
		c->nvpairs = L.np;
		c->nvents = L.ng;
		memset(&L, 0, sizeof(L));
		goto done;
	}
	if ((lrem = calloc(L.ng + 1, 1)) == NULL || (xemit = calloc(X.ng + 1, 1)) == NULL)
		goto out;
	lens_of(c, &X, NULL, &xl);
	for (i = 0; i < L.ng; i++) {
		group_prefix(c, &L, i, &p);
		if (find_container(c, &X, &xl, NULL, &p, 0, p.len) >= 0)
			lrem[i] = 1;
	}
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
	/* merge kept listings and emitted exclusions */
	np = ng = 0;
	for (i = 0; i < L.ng; i++)
		if (!lrem[i]) {
			np += L.g[i].n;
			ng++;
		}
	for (i = 0; i < X.ng; i++)
		if (xemit[i]) {
			np += X.g[i].n;
			ng++;
		}
	free(c->vpairs);
	free(c->vents);
	c->vpairs = malloc((np ? np : 1) * sizeof(*c->vpairs));
	c->vents = malloc((ng ? ng : 1) * sizeof(*c->vents));
	c->nvpairs = c->nvents = 0;
	if (c->vpairs == NULL || c->vents == NULL)
		goto out;
	a = b = 0;
	for (;;) {
		const struct plist *src;
		size_t gi;

		while (a < L.ng && lrem[a])
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
		gi = src == &L ? a++ : b++;
		c->vents[c->nvents].start = (uint32_t)c->nvpairs;
		c->vents[c->nvents].n = src->g[gi].n | (src == &X ? VENT_EXCL : 0);
		for (j = 0; j < src->g[gi].n; j++)
			c->vpairs[c->nvpairs++] = src->p[src->g[gi].start + j];
		c->nvents++;
	}
done:
	c->vdirty = 0;
	c->vnow = now;
	c->vuntil = until;
	rc = 0;
out:
	if (rc != 0) {
		free(c->vpairs);
		free(c->vents);
		c->vpairs = NULL;
		c->vents = NULL;
		c->nvpairs = c->nvents = 0;
		c->vdirty = 1;
	}
	free(lk.k4);
	free(lk.k6);
	free(xk.k4);
	free(xk.k6);
	plist_free(&L);
	plist_free(&X);
	free(lrem);
	free(xemit);
	return rc;
}

/* ---- iterator ------------------------------------------------------------ */

/* See core.h. */
int
core_iter_begin(core *c, uint64_t now, core_iter *it)
{
	memset(it, 0, sizeof(*it));
	it->c = c;
	return view_build(c, now);
}

static void
prov_fill(const core *c, const struct vpair *vp, core_prov *pv)
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
	pv->ref = intern_get(c, r->ref, &pv->ref_len);
}

/* Earliest time at which the summed weight of prov drops below threshold
 * when contributions leave in expiry order. */
static uint64_t
entry_expiry(const core_prov *pv, size_t n, uint32_t threshold, uint64_t total)
{
	uint64_t best = 0, t, prev = 0;
	uint64_t w = total;
	size_t i;

	/* repeatedly take the next smallest expiry (n is small) */
	for (;;) {
		best = UINT64_MAX;
		for (i = 0; i < n; i++)
			if (pv[i].expires > prev && pv[i].expires < best)
				best = pv[i].expires;
		if (best == UINT64_MAX)
			return prev;
		t = 0;
		for (i = 0; i < n; i++)
			if (pv[i].expires == best)
				t += pv[i].weight;
		w = w >= t ? w - t : 0;
		if (w < threshold)
			return best;
		prev = best;
	}
}

/* See core.h. */
int
core_iter_next(core_iter *it, core_entry *e)
{
	core *c = it->c;
	const struct vent *ve;
	size_t n, i;
	uint64_t w = 0;

	if (it->pos >= c->nvents)
		return 0;
	ve = &c->vents[it->pos++];
	n = ve->n & ~VENT_EXCL;
	if (n > it->provcap) {
		core_prov *np = realloc(it->prov, n * sizeof(*np));

		if (np == NULL)
			return 0;
		it->prov = np;
		it->provcap = n;
	}
	for (i = 0; i < n; i++) {
		prov_fill(c, &c->vpairs[ve->start + i], &it->prov[i]);
		w += it->prov[i].weight;
	}
	memset(e, 0, sizeof(*e));
	pair_prefix(c, &c->vpairs[ve->start], &e->prefix);
	e->nprov = n;
	e->prov = it->prov;
	if (ve->n & VENT_EXCL) {
		e->kind = CORE_ENTRY_EXCLUDED;
	} else {
		e->kind = CORE_ENTRY_LISTED;
		e->weight = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
		e->expires = entry_expiry(it->prov, n, c->cfg.threshold, w);
	}
	return 1;
}

/* See core.h. */
void
core_iter_end(core_iter *it)
{
	free(it->prov);
	memset(it, 0, sizeof(*it));
}

/* ---- why ------------------------------------------------------------------ */

const char *
core_status_str(int status)
{
	switch (status) {
	case CORE_ACCEPTED:
		return "accepted";
	case CORE_FILTERED:
		return "filtered";
	case CORE_EXPIRED:
		return "expired";
	case CORE_RELAY_ONLY:
		return "relay-only";
	case CORE_FROZEN:
		return "frozen origin";
	case CORE_NO_ANCHOR:
		return "no trust anchor";
	}
	return "unknown";
}

const char *
core_verdict_str(int verdict)
{
	switch (verdict) {
	case CORE_NOT_LISTED:
		return "not listed";
	case CORE_LISTED:
		return "listed";
	case CORE_EXCLUDED:
		return "excluded";
	}
	return "unknown";
}

static int
why_push(core_why *w, size_t *cap, const core *c, const struct origin *o, uint32_t ri,
	 uint64_t now)
{
	const struct rec *r = &o->recs[ri];
	core_why_item *it, *n;
	const char *ref;
	size_t len;
	int v;

	if (w->nitems == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if ((n = realloc(w->items, *cap * sizeof(*n))) == NULL)
			return BLF_ENOMEM;
		w->items = n;
	}
	it = &w->items[w->nitems++];
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", o->anchor ? o->anchor->name : o->hex);
	memcpy(it->origin, o->id, BLF_KEYID_LEN);
	it->exclusion = !!(r->flags & REC_EXCL);
	origin_rec_prefix(o, r, &it->prefix);
	it->reason = r->reason;
	it->first = r->first;
	it->changed = r->changed;
	it->expires = it->exclusion ? 0 : r->expires;
	ref = intern_get(c, r->ref, &len);
	if (len > 0)
		memcpy(it->ref, ref, len);
	it->ref[len] = '\0';
	it->weight = o->anchor ? o->anchor->weight : 0;
	it->status = origin_status(o, now, &v);
	it->verdict = v;
	if (it->status == CORE_ACCEPTED) {
		it->status = rec_status(r, now, &v);
		it->verdict = v;
	}
	return 0;
}

/* Entry index of the view entry with prefix p, or -1. */
static long
vent_find(const core *c, const blf_prefix *p)
{
	return group_search(c, c->vpairs, c->vents, c->nvents, p);
}

/* See core.h. */
int
core_why_query(core *c, const blf_prefix *q, uint64_t now, core_why *w)
{
	size_t cap = 0, i, k;
	unsigned maxlen = q->af == BLF_AF_INET6 ? 128 : 32, len;
	blf_prefix m;
	long ei;
	int rc, kind;

	memset(w, 0, sizeof(*w));
	w->query = *q;
	w->threshold = c->cfg.threshold;
	if ((rc = blf_prefix_check(q)) != 0)
		return rc;
	if ((rc = view_build(c, now)) != 0)
		return rc;
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];
		uint32_t r;

		for (kind = 0; kind < 2; kind++)
			for (len = 0; len <= q->len; len++) {
				int ri;

				prefix_mask(q, (uint8_t)len, &m);
				if ((ri = origin_lookup(o, &m, kind)) >= 0 &&
				    (rc = why_push(w, &cap, c, o, (uint32_t)ri, now)) != 0)
					goto out;
			}
		if (q->len >= maxlen)
			continue;
		for (r = 0; r < o->nrecs; r++) {
			blf_prefix p;

			origin_rec_prefix(o, &o->recs[r], &p);
			if (p.len > q->len && blf_prefix_contains(q, &p) &&
			    (rc = why_push(w, &cap, c, o, r, now)) != 0)
				goto out;
		}
	}
	/* final verdict: longest match in the view */
	for (len = q->len + 1; len-- > 0;) {
		prefix_mask(q, (uint8_t)len, &m);
		if ((ei = vent_find(c, &m)) < 0)
			continue;
		w->via = m;
		if (c->vents[ei].n & VENT_EXCL) {
			w->verdict = CORE_EXCLUDED;
		} else {
			uint64_t sum = 0;

			w->verdict = CORE_LISTED;
			for (k = 0; k < (c->vents[ei].n & ~VENT_EXCL); k++) {
				const struct vpair *vp = &c->vpairs[c->vents[ei].start + k];

				sum += c->origins[vp->o]->anchor->weight;
			}
			w->weight = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
		}
		for (k = 0; k < w->nitems; k++)
			if (w->items[k].status == CORE_ACCEPTED &&
			    w->items[k].exclusion == (w->verdict == CORE_EXCLUDED) &&
			    blf_prefix_cmp(&w->items[k].prefix, &m) == 0)
				w->items[k].decisive = 1;
		rc = 0;
		goto out;
	}
	/* no entry: was a listing that reached the threshold excluded? */
	for (k = 0; k < w->nitems; k++) {
		const core_why_item *li = &w->items[k];
		uint64_t sum = 0;
		size_t j;
		int found = 0;

		if (li->exclusion || li->status != CORE_ACCEPTED ||
		    !blf_prefix_contains(&li->prefix, q))
			continue;
		for (j = 0; j < w->nitems; j++)
			if (!w->items[j].exclusion && w->items[j].status == CORE_ACCEPTED &&
			    blf_prefix_cmp(&w->items[j].prefix, &li->prefix) == 0)
				sum += w->items[j].weight;
		if (sum < c->cfg.threshold)
			continue;
		for (j = 0; j < w->nitems; j++) {
			core_why_item *xi = &w->items[j];

			if (!xi->exclusion || xi->status != CORE_ACCEPTED ||
			    !blf_prefix_contains(&xi->prefix, &li->prefix))
				continue;
			if (!found || xi->prefix.len < w->via.len)
				w->via = xi->prefix;
			xi->decisive = 1;
			found = 1;
		}
		if (found)
			w->verdict = CORE_EXCLUDED;
	}
	rc = 0;
out:
	if (rc != 0)
		core_why_free(w);
	return rc;
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
