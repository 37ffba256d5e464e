/*
 * fuzz_apply.c - libFuzzer target for the agent core's apply pipeline and
 * lifecycle, checked against a brute-force model of SPEC 8.
 *
 * The input is a script, not a message.  Each step is either a delta or a
 * lifecycle call:
 *  - a delta: an origin (two in the trust store, one unknown), a log move
 *    (next delta, a gap, a second delta for a seq already used, a new
 *    epoch), a clock advance and up to 12 operations on a small address
 *    space (so that listings, exclusions and holes overlap), sealed with
 *    the origin's real key and handed to core_apply;
 *  - core_checkpoint, core_compact, core_unfreeze, a trust change (one of
 *    a few stores: weights, a removed anchor, relay-only, an expiring
 *    anchor, narrower scope and authority), a restart (close and reopen,
 *    the store in use), core_origin_reset.
 * After every step the merged view and why of a fixed set of queries are
 * compared with a model kept by this file alone: per origin, the records
 * its accepted deltas say (SPEC 8.1), whether it is frozen, and the trust
 * store; the view is recomputed from SPEC 8.3 and 8.4 by brute force
 * (every candidate against every record), with trust_anchor_allows for the
 * policy of 8.2.  Disputes (SPEC 8.6) are in the model too: operations 5-8
 * among the fuzzed ones, each origin's disputes and answers, and a listing
 * lapses (or its contribution ends at the lapse) by the rules of 8.6,
 * checked by brute force over every dispute.  Also checked: core_apply
 * returns only log-level outcomes for validly signed deltas; the view is
 * strictly sorted; and every incremental update of the view equals a build
 * from scratch (core_test_check_view).
 */
#include "../unit/test_core_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 48
#define MAX_FUZZ_OPS 12
#define M_RECS (MAX_STEPS * MAX_FUZZ_OPS)
#define NTRUST 6

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t
rd_u8(struct rd *r)
{
	uint8_t v = 0;

	if (r->n > 0) {
		v = *r->p++;
		r->n--;
	}
	return v;
}

/* References of every shape the store splits (refs.c): none, no '/', a
 * shared stem with two tails, one tail under two stems, an empty tail, a
 * stem only. */
static const char *const refs[] = { "",
				    "ticket 1",
				    "https://example.org/e/2",
				    "https://example.org/e/3",
				    "https://example.net/e/2",
				    "https://example.org/e/",
				    "/" };
#define NREFS (sizeof(refs) / sizeof(refs[0]))

/* A prefix in a small space: 10.0-3.0-3.x/8..32 or 2001:db8:0-3::/16..128. */
static void
make_prefix(struct rd *r, blf_prefix *p)
{
	uint8_t b = rd_u8(r), x = rd_u8(r), y = rd_u8(r);
	unsigned bits, i;

	memset(p, 0, sizeof(*p));
	if (b & 1) {
		p->af = BLF_AF_INET6;
		p->len = (uint8_t)(16 + (b >> 1) % 113);
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[5] = x & 3;
		p->addr[15] = y;
		bits = 128;
	} else {
		p->af = BLF_AF_INET;
		p->len = (uint8_t)(8 + (b >> 1) % 25);
		p->addr[0] = 10;
		p->addr[1] = x & 3;
		p->addr[2] = (x >> 2) & 3;
		p->addr[3] = y;
		bits = 32;
	}
	for (i = p->len; i < bits; i++) /* clear host bits */
		p->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* ---- the model (SPEC 8) ----------------------------------------------------- */

struct mrec {
	blf_prefix p;
	int excl;
	uint16_t reason;
	uint64_t expires, first, changed;
	const char *ref;
};

struct mdsp {                    /* a dispute the origin filed */
	blf_prefix p;
	int has_target;
	uint8_t target[BLF_KEYID_LEN];
	uint8_t id[BLF_DISPUTE_ID_LEN];
	uint64_t filed;
};

struct mans {                    /* an answer the origin gave */
	uint8_t id[BLF_DISPUTE_ID_LEN];
	blf_prefix p;
	int concede;
};

struct morigin {
	const struct pub *pub;
	struct mrec r[M_RECS];
	size_t n;
	int frozen;
	struct mdsp d[M_RECS];
	size_t nd;
	struct mans a[M_RECS];
	size_t na;
};

struct ment {
	blf_prefix p;
	int excl;
	uint64_t weight, expires;
	int removed;
	size_t nprov;
	const struct mrec *prov[3];   /* origin order */
	uint64_t until[3];
	const char *name[3];
};

static struct morigin mo[3];
static trust_store mst;          /* the store in use (also f->st) */
static const uint32_t THR = 100;

static const trust_anchor *
m_anchor(const struct morigin *o)
{
	return trust_store_find_origin(&mst, o->pub->origin);
}

/* SPEC 5.6: the state of disputes and answers. */
static void
m_dispute(struct morigin *o, const blf_op *op, uint64_t created)
{
	uint8_t id[BLF_DISPUTE_ID_LEN];
	size_t j;

	switch (op->type) {
	case BLF_OP_DISPUTE:
		if (blf_dispute_id(o->pub->origin, op, id) != 0)
			__builtin_trap();
		for (j = 0; j < o->nd; j++)
			if (blf_prefix_cmp(&o->d[j].p, &op->prefix) == 0)
				break;
		if (j == o->nd) {
			memset(&o->d[j], 0, sizeof(o->d[j]));
			o->d[j].p = op->prefix;
			o->d[j].filed = created;
			o->nd++;
		} else if (memcmp(o->d[j].id, id, sizeof(id)) != 0) {
			o->d[j].filed = created; /* another dispute of the prefix */
		}
		memcpy(o->d[j].id, id, sizeof(id));
		o->d[j].has_target = op->id_len != 0;
		memcpy(o->d[j].target, op->id, op->id_len);
		break;
	case BLF_OP_UPHOLD:
	case BLF_OP_CONCEDE:
		for (j = 0; j < o->na; j++)
			if (memcmp(o->a[j].id, op->id, BLF_DISPUTE_ID_LEN) == 0)
				break;
		if (j == o->na)
			o->na++;
		memcpy(o->a[j].id, op->id, BLF_DISPUTE_ID_LEN);
		o->a[j].p = op->prefix;
		o->a[j].concede = op->type == BLF_OP_CONCEDE;
		break;
	case BLF_OP_UNDISPUTE:
		for (j = 0; j < o->nd; j++)
			if (blf_prefix_cmp(&o->d[j].p, &op->prefix) == 0) {
				o->d[j] = o->d[--o->nd];
				break;
			}
		break;
	default:
		__builtin_trap();
	}
}

static void
m_forget(struct morigin *o)
{
	o->n = 0;
	o->nd = 0;
	o->na = 0;
}

static void
m_apply(struct morigin *o, const blf_op *ops, size_t n, uint64_t created)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		int excl = ops[i].type == BLF_OP_EXCLUDE || ops[i].type == BLF_OP_UNEXCLUDE;
		struct mrec *r = NULL;

		if (ops[i].type >= BLF_OP_DISPUTE) {
			m_dispute(o, &ops[i], created);
			continue;
		}

		for (j = 0; j < o->n; j++)
			if (o->r[j].excl == excl && blf_prefix_cmp(&o->r[j].p, &ops[i].prefix) == 0)
				r = &o->r[j];
		if (ops[i].type == BLF_OP_DELIST || ops[i].type == BLF_OP_UNEXCLUDE) {
			if (r != NULL)
				*r = o->r[--o->n];
			continue;
		}
		if (r == NULL) {
			r = &o->r[o->n++];
			memset(r, 0, sizeof(*r));
			r->p = ops[i].prefix;
			r->excl = excl;
			r->first = created;
		} else if (!excl && r->expires <= created) {
			r->first = created; /* an expired listing counts as absent */
		}
		r->changed = created;
		r->ref = ops[i].ref_len ? ops[i].ref : "";
		if (!excl) {
			r->reason = ops[i].reason;
			r->expires = ops[i].expires;
		}
	}
}

/*
 * SPEC 8.6 by brute force: 1 if listing r of o lapsed at now (every
 * dispute of every origin looked at), else 0 and *at lowered to the time
 * an open dispute lapses it.
 */
static int
m_lapsed(const struct morigin *o, const struct mrec *r, uint64_t now, uint64_t *at)
{
	const trust_anchor *a = m_anchor(o);
	uint64_t w = a->dispute_window != 0 ? a->dispute_window : KEYS_DEFAULT_DISPUTE_WINDOW;
	size_t fi, j, k;

	if (r->excl)
		return 0;
	for (fi = 0; fi < 3; fi++) {
		const struct morigin *f = &mo[fi];
		const trust_anchor *fa = m_anchor(f);

		if (fa == NULL || f->frozen)
			continue;
		for (j = 0; j < f->nd; j++) {
			const struct mdsp *d = &f->d[j];
			int answered = 0;

			if (trust_anchor_allows(fa, BLF_OP_DISPUTE, &d->p, now) != TRUST_OK)
				continue;
			if (d->has_target && memcmp(d->target, o->pub->origin, BLF_KEYID_LEN) != 0)
				continue;
			if (!blf_prefix_contains(&d->p, &r->p))
				continue;
			for (k = 0; k < o->na; k++)
				if (memcmp(o->a[k].id, d->id, BLF_DISPUTE_ID_LEN) == 0 &&
				    blf_prefix_contains(&o->a[k].p, &r->p)) {
					if (o->a[k].concede)
						return 1;
					answered = 1;
				}
			if (answered)
				continue;
			if (now >= d->filed + w)
				return 1;
			if (d->filed + w < *at)
				*at = d->filed + w;
		}
	}
	return 0;
}

/* Accepted at now (SPEC 8.3, 8.4, 8.5, 5.5, 8.6)? */
static int
m_accepted(const struct morigin *o, const struct mrec *r, uint64_t now)
{
	const trust_anchor *a = m_anchor(o);
	uint64_t at = UINT64_MAX;

	if (a == NULL || o->frozen)
		return 0;
	if (trust_anchor_allows(a, r->excl ? BLF_OP_EXCLUDE : BLF_OP_LIST, &r->p, now) !=
	    TRUST_OK)
		return 0;
	if (!r->excl && r->expires <= now)
		return 0;
	return !m_lapsed(o, r, now, &at);
}

static int
ment_cmp(const void *a, const void *b)
{
	return blf_prefix_cmp(&((const struct ment *)a)->p, &((const struct ment *)b)->p);
}

/* All candidates (removed ones too) and exclusions; returns the count. */
static size_t
m_view(uint64_t now, struct ment *out, size_t cap)
{
	size_t n = 0, i, j, k, u, v;
	int oi;

	for (oi = 0; oi < 3; oi++)
		for (i = 0; i < mo[oi].n; i++) {
			const struct mrec *r = &mo[oi].r[i];
			int dup = 0;

			if (!m_accepted(&mo[oi], r, now))
				continue;
			for (j = 0; j < n; j++)
				if (out[j].excl == r->excl && blf_prefix_cmp(&out[j].p, &r->p) == 0)
					dup = 1;
			if (dup || n == cap)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].p = r->p;
			out[n].excl = r->excl;
			n++;
		}
	for (i = 0; i < n; i++) {
		struct ment *e = &out[i];

		if (e->excl)
			continue;
		for (oi = 0; oi < 3; oi++) {
			const struct mrec *best = NULL;
			uint64_t until = 0, cap;

			for (j = 0; j < mo[oi].n; j++) {
				const struct mrec *r = &mo[oi].r[j];

				if (r->excl || !m_accepted(&mo[oi], r, now) ||
				    !blf_prefix_contains(&r->p, &e->p))
					continue;
				if (best == NULL || r->p.len > best->p.len)
					best = r;
				/* a pending lapse ends the contribution (8.6) */
				cap = r->expires;
				(void)m_lapsed(&mo[oi], r, now, &cap);
				if (cap > until)
					until = cap;
			}
			if (best == NULL)
				continue;
			if (m_anchor(&mo[oi])->expires != 0 && m_anchor(&mo[oi])->expires < until)
				until = m_anchor(&mo[oi])->expires;
			e->prov[e->nprov] = best;
			e->until[e->nprov] = until;
			e->name[e->nprov] = m_anchor(&mo[oi])->name;
			e->nprov++;
			e->weight += m_anchor(&mo[oi])->weight;
		}
		/* expiry: the first `until` after which what is left weighs < THR */
		for (u = 0; u < e->nprov; u++) {
			uint64_t left = 0;

			for (v = 0; v < e->nprov; v++)
				if (e->until[v] > e->until[u])
					left += trust_store_find_name(&mst, e->name[v])->weight;
			if (left < THR && (e->expires == 0 || e->until[u] < e->expires))
				e->expires = e->until[u];
		}
		for (k = 0; k < n; k++)
			if (out[k].excl && blf_prefix_contains(&out[k].p, &e->p))
				e->removed = 1;
	}
	/* provenance in origin id order */
	for (i = 0; i < n; i++)
		for (u = 1; u < out[i].nprov; u++)
			for (v = u; v > 0; v--) {
				const uint8_t *x = trust_store_find_name(&mst, out[i].name[v - 1])->origin;
				const uint8_t *y = trust_store_find_name(&mst, out[i].name[v])->origin;
				const struct mrec *tp;
				const char *tn;
				uint64_t tu;

				if (memcmp(x, y, BLF_KEYID_LEN) < 0)
					break;
				tp = out[i].prov[v];
				out[i].prov[v] = out[i].prov[v - 1];
				out[i].prov[v - 1] = tp;
				tu = out[i].until[v];
				out[i].until[v] = out[i].until[v - 1];
				out[i].until[v - 1] = tu;
				tn = out[i].name[v];
				out[i].name[v] = out[i].name[v - 1];
				out[i].name[v - 1] = tn;
			}
	qsort(out, n, sizeof(*out), ment_cmp);
	return n;
}

/* Is entry e of all[] exported? */
static int
m_exported(const struct ment *all, size_t n, size_t i)
{
	size_t k;
	int inner = 0, covered = 0;

	if (!all[i].excl)
		return all[i].weight >= THR && !all[i].removed;
	for (k = 0; k < n; k++) {
		if (k == i)
			continue;
		if (all[k].excl && blf_prefix_contains(&all[k].p, &all[i].p) &&
		    blf_prefix_cmp(&all[k].p, &all[i].p) != 0)
			inner = 1;
		if (!all[k].excl && all[k].weight >= THR && !all[k].removed &&
		    all[k].p.len < all[i].p.len && blf_prefix_contains(&all[k].p, &all[i].p))
			covered = 1;
	}
	return !inner && covered;
}

static void
check_view(core *c, uint64_t now)
{
	static struct ment all[3 * M_RECS];
	core_iter it;
	core_entry e;
	size_t n = m_view(now, all, 3 * M_RECS), i, j;
	int rc;

	if (core_iter_begin(c, now, &it) != 0)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		const struct ment *m = &all[i];

		if (!m_exported(all, n, i))
			continue;
		if (core_iter_next(&it, &e) != 1 || blf_prefix_cmp(&e.prefix, &m->p) != 0)
			__builtin_trap(); /* missing, extra or unsorted entry */
		if (e.kind != (m->excl ? CORE_ENTRY_EXCLUDED : CORE_ENTRY_LISTED))
			__builtin_trap();
		if (m->excl)
			continue;
		if (e.weight != m->weight || e.expires != m->expires || e.nprov != m->nprov)
			__builtin_trap();
		for (j = 0; j < e.nprov; j++) {
			const struct mrec *r = m->prov[j];

			if (strcmp(e.prov[j].name, m->name[j]) != 0 ||
			    e.prov[j].expires != r->expires || e.prov[j].until != m->until[j] ||
			    e.prov[j].first != r->first || e.prov[j].changed != r->changed ||
			    e.prov[j].reason != r->reason || e.prov[j].ref_len != strlen(r->ref) ||
			    (e.prov[j].ref_len && memcmp(e.prov[j].ref, r->ref, e.prov[j].ref_len)))
				__builtin_trap();
		}
	}
	if ((rc = core_iter_next(&it, &e)) != 0)
		__builtin_trap();
	core_iter_end(&it);

	/* why of fixed queries: verdict, via, weight, accepted records */
	{
		static const char *const qs[] = { "10.0.0.1", "10.1.0.7", "10.2.3.255", "10.0.0.0/16",
						  "10.0.0.0/24", "10.0.0.0/12", "2001:db8::1",
						  "2001:db8:1::", "2001:db8::/32", "10.0.0.0/8" };
		size_t qi;

		for (qi = 0; qi < sizeof(qs) / sizeof(qs[0]); qi++) {
			blf_prefix q = pfx(qs[qi]), via;
			core_why w;
			int verdict = CORE_NOT_LISTED, best = -1, oi;
			uint64_t weight = 0;
			size_t nacc = 0, cacc = 0, k;

			memset(&via, 0, sizeof(via));
			for (i = 0; i < n; i++)
				if (m_exported(all, n, i) && blf_prefix_contains(&all[i].p, &q) &&
				    (best < 0 || all[i].p.len > all[best].p.len))
					best = (int)i;
			if (best >= 0) {
				verdict = all[best].excl ? CORE_EXCLUDED : CORE_LISTED;
				via = all[best].p;
				weight = all[best].excl ? 0 : all[best].weight;
			} else {
				/* a removed candidate that reached the threshold covers q:
				 * the widest exclusion that removed one decides */
				for (i = 0; i < n; i++) {
					if (all[i].excl || !all[i].removed || all[i].weight < THR ||
					    !blf_prefix_contains(&all[i].p, &q))
						continue;
					for (k = 0; k < n; k++)
						if (all[k].excl &&
						    blf_prefix_contains(&all[k].p, &all[i].p) &&
						    (verdict != CORE_EXCLUDED || all[k].p.len < via.len)) {
							verdict = CORE_EXCLUDED;
							via = all[k].p;
						}
				}
			}
			for (oi = 0; oi < 3; oi++)
				for (k = 0; k < mo[oi].n; k++)
					if (m_accepted(&mo[oi], &mo[oi].r[k], now) &&
					    (blf_prefix_contains(&mo[oi].r[k].p, &q) ||
					     blf_prefix_contains(&q, &mo[oi].r[k].p)))
						nacc++;
			if (core_why_page(c, &q, now, 0, (size_t)-1, &w) != 0)
				__builtin_trap();
			for (k = 0; k < w.nitems; k++)
				cacc += w.items[k].status == CORE_ACCEPTED;
			if (w.verdict != verdict || cacc != nacc || w.total != w.nitems ||
			    (verdict != CORE_NOT_LISTED && blf_prefix_cmp(&w.via, &via) != 0) ||
			    (verdict == CORE_LISTED && w.weight != weight))
				__builtin_trap();
			core_why_free(&w);
		}
	}
}

/* ---- trust stores ------------------------------------------------------------ */

static const blf_prefix narrow_scope[2] = {
	{ BLF_AF_INET, 16, { 10, 0 } },
	{ BLF_AF_INET6, 48, { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01 } },
};
static const blf_prefix narrow_auth[1] = { { BLF_AF_INET, 16, { 10, 1 } } };

/* Store variant v for alpha (a) and beta (b), expiries relative to now. */
static void
make_store(trust_store *st, struct fx *f, unsigned v, uint64_t now)
{
	trust_anchor *x;

	trust_store_free(st);
	store_add(st, &f->a, "alpha", 60);
	if (v != 2)
		store_add(st, &f->b, "beta", 50);
	x = trust_store_find_name_mut(st, "alpha");
	/* both may dispute (alpha's authority narrows in 5); alpha's listings
	 * get a window short enough to lapse within a run */
	x->perms |= TRUST_DISPUTE;
	x->dispute_window = 100;
	if (v != 2)
		trust_store_find_name_mut(st, "beta")->perms |= TRUST_DISPUTE;
	switch (v) {
	case 1:
		x->weight = 100;
		x->perms &= ~(unsigned)TRUST_DISPUTE; /* alpha's disputes are filtered */
		break;
	case 3:
		x->perms |= TRUST_RELAY_ONLY;
		break;
	case 4:
		trust_store_find_name_mut(st, "beta")->expires = now + 200;
		trust_store_find_name_mut(st, "beta")->dispute_window = 50;
		x->expires = now + 500;
		x->weight = 100; /* alone at the threshold: its entries end with it */
		break;
	case 5:
		/* the store owns its arrays: replace them */
		free(x->scope);
		free(x->authority);
		x->scope = malloc(sizeof(narrow_scope));
		x->authority = malloc(sizeof(narrow_auth));
		if (x->scope == NULL || x->authority == NULL)
			__builtin_trap();
		memcpy(x->scope, narrow_scope, sizeof(narrow_scope));
		memcpy(x->authority, narrow_auth, sizeof(narrow_auth));
		x->nscope = 2;
		x->nauthority = 1;
		x->max4 = 24;
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct fx *f = fx_new();
	struct pub *pubs[3];
	blf_op ops[MAX_FUZZ_OPS];
	uint64_t now = T0;
	int step, i;

	memset(mo, 0, sizeof(mo));
	memset(&mst, 0, sizeof(mst));
	/* every incremental update of the view is also built from scratch and
	 * compared (an abort on a difference), beside the model's check */
	core_test_check_view(NULL, 1);
	make_store(&mst, f, 0, now);
	if (trust_store_copy(&mst, &f->st) != 0)
		__builtin_trap();
	f->cfg.threshold = THR;
	if (fx_open(f) != 0)
		__builtin_trap();
	pubs[0] = &f->a;
	pubs[1] = &f->b;
	pubs[2] = &f->c; /* not in the store */
	for (i = 0; i < 3; i++)
		mo[i].pub = pubs[i];
	/* the trusted origins start their logs with an empty delta, so that
	 * the fuzzed deltas update the view more often than they create an
	 * origin (which builds it whole) */
	for (i = 0; i < 2; i++)
		if (pub_next(pubs[i], now, NULL, 0, &f->buf) != 0 ||
		    core_apply(f->core, f->buf.data, f->buf.len, now, NULL) != 0)
			__builtin_trap();
	check_view(f->core, now);

	for (step = 0; step < MAX_STEPS && r.n > 0; step++) {
		uint8_t c = rd_u8(&r), nops, k;
		unsigned oi = (c & 3) % 3, move = (c >> 2) & 3;
		struct pub *p = pubs[oi];
		uint64_t seq = p->seq + 1;
		const uint8_t *prev = p->seq ? p->head : NULL;
		uint32_t epoch = p->epoch;
		core_result res;
		int rc;

		now += (uint64_t)(c >> 4) * 37;
		if ((c & 3) == 3) {
			/* a lifecycle call */
			switch (move) {
			case 0:
				if (core_checkpoint(f->core) != 0)
					__builtin_trap();
				break;
			case 1:
				if (core_compact(f->core, now) != 0)
					__builtin_trap();
				break;
			case 2: {
				uint8_t v = rd_u8(&r), which = (v >> 4) & 1;
				struct morigin *o = &mo[which];

				switch (v % (NTRUST + 3)) {
				case NTRUST:
					/* a restart, with the store in use */
					if (fx_open(f) != 0)
						__builtin_trap();
					break;
				case NTRUST + 1:
					rc = core_origin_reset(f->core, o->pub->origin);
					if (rc != 0 && rc != BLF_ENOTFOUND)
						__builtin_trap();
					if (rc == 0) {
						m_forget(o);
						o->frozen = 0;
						/* the origin starts its log again */
						pubs[which]->seq = 0;
						memset(pubs[which]->head, 0, BLF_HASH_LEN);
					}
					break;
				case NTRUST + 2:
					rc = core_unfreeze(f->core, o->pub->origin);
					if (rc != 0 && rc != BLF_ENOTFOUND)
						__builtin_trap();
					if ((rc == 0) != o->frozen)
						__builtin_trap();
					o->frozen = 0;
					break;
				default:
					make_store(&mst, f, v % (NTRUST + 3), now);
					trust_store_free(&f->st);
					if (trust_store_copy(&mst, &f->st) != 0 ||
					    core_set_trust(f->core, &mst) != 0)
						__builtin_trap();
					break;
				}
				break;
			}
			default:
				break; /* time passes */
			}
			check_view(f->core, now);
			continue;
		}
		nops = rd_u8(&r) % (MAX_FUZZ_OPS + 1);
		for (k = 0; k < nops; k++) {
			uint8_t t = rd_u8(&r), v = rd_u8(&r);

			memset(&ops[k], 0, sizeof(ops[k]));
			ops[k].type = (uint8_t)(t % 4 + 1);
			make_prefix(&r, &ops[k].prefix);
			if (t & 0x80) {
				/* SPEC 5.6: a dispute, an answer or a withdrawal */
				const struct morigin *any = &mo[v % 3];

				ops[k].type = (uint8_t)(BLF_OP_DISPUTE + ((t >> 4) & 3));
				ops[k].reason = (uint16_t)(1 + v % 6);
				ops[k].ref = refs[v % 3];
				ops[k].ref_len = (uint16_t)strlen(ops[k].ref);
				if (ops[k].type == BLF_OP_DISPUTE && (v & 8)) {
					ops[k].id_len = BLF_KEYID_LEN;
					memcpy(ops[k].id, pubs[(v >> 4) % 3]->origin, BLF_KEYID_LEN);
				} else if (ops[k].type == BLF_OP_UPHOLD ||
					   ops[k].type == BLF_OP_CONCEDE) {
					/* answer a dispute held (or a made-up one) */
					ops[k].id_len = BLF_DISPUTE_ID_LEN;
					if (any->nd > 0)
						memcpy(ops[k].id, any->d[(v >> 2) % any->nd].id,
						       BLF_DISPUTE_ID_LEN);
				} else if (ops[k].type == BLF_OP_UNDISPUTE) {
					ops[k].reason = 0;
					ops[k].ref = NULL;
					ops[k].ref_len = 0;
					if (mo[oi].nd > 0)
						ops[k].prefix = mo[oi].d[(v >> 2) % mo[oi].nd].p;
				}
				continue;
			}
			if (ops[k].type == BLF_OP_LIST) {
				ops[k].reason = (uint16_t)(1 + v % 3);
				ops[k].expires = now + 60u * (1u + (t >> 2));
			}
			if (ops[k].type == BLF_OP_LIST || ops[k].type == BLF_OP_EXCLUDE) {
				ops[k].ref = refs[v % NREFS];
				ops[k].ref_len = (uint16_t)strlen(ops[k].ref);
			}
		}
		if (move == 1) { /* a gap */
			seq = p->seq + 2;
			prev = p->head;
		} else if (move == 2 && p->seq > 0) { /* same seq again: duplicate or fork */
			seq = p->seq;
			prev = p->seq > 1 ? p->head : NULL; /* wrong prev is fine: it is signed */
		} else if (move == 3) { /* a new epoch */
			epoch = p->epoch + 1;
			seq = 1;
			prev = NULL;
		}
		if (seal_raw(p->ks, p->origin, epoch, seq, prev, now, ops, nops, &f->buf) != 0)
			continue; /* e.g. a prefix twice in one delta */
		rc = core_apply(f->core, f->buf.data, f->buf.len, now, &res);
		switch (rc) {
		case 0:
			if (epoch != p->epoch || seq == 1)
				m_forget(&mo[oi]); /* a new log replaces the state */
			m_apply(&mo[oi], ops, nops, now);
			p->epoch = epoch;
			p->seq = seq;
			msg_hash(&f->buf, p->head);
			break;
		case BLF_EGAP:
			if (res.gap_from > res.gap_to)
				__builtin_trap();
			break;
		case BLF_EEQUIVOCATION:
			mo[oi].frozen = 1;
			break;
		case BLF_EDUPLICATE:
		case BLF_ESTALE:
		case BLF_EFROZEN:
		case BLF_EUNKKEY:
		case BLF_EPREV:
		case BLF_EEPOCH:
		case BLF_EEXPIREDKEY:
			break;
		default:
			__builtin_trap(); /* a validly signed delta cannot fail otherwise */
		}
		check_view(f->core, now);
	}

	/* A restart gives the same state, with or without a checkpoint. */
	{
		char *before, *after;

		before = dump_state(f->core, now);
		if ((size & 1) && core_checkpoint(f->core) != 0)
			__builtin_trap();
		if (fx_open(f) != 0)
			__builtin_trap();
		after = dump_state(f->core, now);
		if (strcmp(before, after) != 0) {
			if (getenv("FUZZ_APPLY_DEBUG") != NULL)
				fprintf(stderr, "before:\n%s\nafter:\n%s", before, after);
			__builtin_trap();
		}
		free(before);
		free(after);
	}
	check_view(f->core, now);
	trust_store_free(&mst);
	fx_teardown((void **)&f);
	return 0;
}
