/*
 * feed.c - view generations and the change feed.
 *
 * Exporters rewrite only what changed: every build of the merged view
 * (merge.c) ends here.  With core_config.change_feed, the build's exported
 * entries are reduced to fingerprints (prefix, kind and a 32-bit hash of
 * weight, expiry and provenance), sorted like the view; one merge-walk of
 * the previous build's fingerprints against the new ones finds the
 * prefixes added, removed or changed, which are appended to a change log
 * under the new generation number.  core_changes_since(gen) reads the log
 * records after gen, keeps each prefix once (its first record says whether
 * it was in the view at gen) and reports it against the current view.
 *
 * The log is bounded (core_config.feed_log_max records): the oldest
 * generations are dropped whole, and a diff from before them is refused
 * with BLF_ESTALE, which tells the exporter to export everything.  A build
 * whose own changes exceed the bound clears the log.  Generations start at
 * a random base at open, so that one remembered across a restart is
 * refused rather than misread.
 *
 * Cost per build with the feed: one walk of the view (provenance of each
 * entry, as the iterator does) plus a linear merge; memory 12 bytes per
 * exported IPv4 entry (24 per IPv6 one) plus 32 per log record.  Without
 * the feed: nothing.  An update of the view (merge.c) walks and diffs
 * only the ranges it rebuilt (core_feed_update_ranges) and splices their
 * fingerprints in place; the log and generations read the same as after a
 * build.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core_int.h"

/* See core_int.h: a fresh generation base, with nothing to diff from. */
void
core_feed_init(core *c)
{
	c->vgen = ((uint64_t)randombytes_random() << 24) + 1;
	c->feed_oldest = c->vgen;
}

static void
vfps_free(struct vfps *s)
{
	free(s->v4);
	free(s->v6);
	memset(s, 0, sizeof(*s));
}

/* See core_int.h. */
void
core_feed_free(core *c)
{
	vfps_free(&c->fps);
	free(c->log);
	c->log = NULL;
	c->nlog = c->caplog = 0;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return core_mix64(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

static uint32_t
entry_hash(const core_entry *e)
{
	uint64_t h = mix(mix(mix(0, (uint64_t)e->kind), e->weight), e->expires);
	size_t i, k;

	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];
		uint64_t id = 0, r = 1469598103934665603ULL;

		memcpy(&id, p->origin, sizeof(id));
		for (k = 0; k < p->ref_len; k++)
			r = (r ^ (uint8_t)p->ref[k]) * 1099511628211ULL;
		h = mix(h, id);
		h = mix(h, (uint64_t)p->weight << 16 | p->reason);
		h = mix(h, p->first << 32 | (p->changed & 0xffffffffu));
		h = mix(h, p->expires << 32 | (p->until & 0xffffffffu));
		h = mix(h, r ^ p->ref_len);
	}
	return (uint32_t)(h ^ h >> 32);
}

/* Fingerprints of every exported entry of the built view, in order: the
 * IPv4 array is sized for every entry and shrunk to fit at the end (IPv4
 * entries come first), the IPv6 one grows as they come. */
static int
fingerprints(core *c, struct vfps *out)
{
	struct core_walk *w = NULL;
	core_entry e;
	size_t vi, cap6 = 0;
	int rc = BLF_ENOMEM;

	memset(out, 0, sizeof(*out));
	if ((out->v4 = core_merge_alloc(c, NULL, c->nview * sizeof(*out->v4))) == NULL ||
	    (w = core_walk_new(c)) == NULL)
		goto out;
	/* sequential walk: the chain of enclosing groups is kept on the way */
	for (vi = 0; vi < c->nvents; vi++) {
		uint32_t h;

		if (core_walk_step(c, w, vi, &e) == 0)
			continue;
		h = entry_hash(&e);
		if (e.prefix.af == BLF_AF_INET) {
			struct vfp4 *f = &out->v4[out->n4++];

			memset(f, 0, sizeof(*f));
			f->a = (uint32_t)e.prefix.addr[0] << 24 | (uint32_t)e.prefix.addr[1] << 16 |
			       (uint32_t)e.prefix.addr[2] << 8 | e.prefix.addr[3];
			f->len = e.prefix.len;
			f->kind = (uint8_t)e.kind;
			f->h = h;
		} else {
			struct vfp *f;

			if (core_grow(c, (void **)&out->v6, out->n6, &cap6, sizeof(*f), 256) != 0)
				goto out;
			f = &out->v6[out->n6++];
			memset(f, 0, sizeof(*f));
			f->p = e.prefix;
			f->kind = (uint8_t)e.kind;
			f->h = h;
		}
	}
	out->cap4 = c->nview;
	out->cap6 = cap6;
	if (out->n4 > 0 && out->n4 < c->nview) {
		struct vfp4 *n = realloc(out->v4, out->n4 * sizeof(*n));

		if (n != NULL) { /* else keep the larger array */
			out->v4 = n;
			out->cap4 = out->n4;
		}
	}
	rc = 0;
out:
	core_walk_free(w);
	if (rc != 0)
		vfps_free(out);
	return rc;
}

/* Fingerprint i of s (IPv4 ones first): its prefix, kind and hash. */
static void
fp_get(const struct vfps *s, size_t i, blf_prefix *p, uint8_t *kind, uint32_t *h)
{
	if (i < s->n4) {
		const struct vfp4 *f = &s->v4[i];

		memset(p, 0, sizeof(*p));
		p->af = BLF_AF_INET;
		p->len = f->len;
		p->addr[0] = (uint8_t)(f->a >> 24);
		p->addr[1] = (uint8_t)(f->a >> 16);
		p->addr[2] = (uint8_t)(f->a >> 8);
		p->addr[3] = (uint8_t)f->a;
		*kind = f->kind;
		*h = f->h;
	} else {
		const struct vfp *f = &s->v6[i - s->n4];

		*p = f->p;
		*kind = f->kind;
		*h = f->h;
	}
}

/* Append a log record; when the log is full, drop its oldest generations
 * whole (about half of it).  BLF_ELIMIT when only this build's records are
 * left to drop. */
static int
log_add(core *c, size_t max, uint64_t gen, const blf_prefix *p, int existed)
{
	struct vlog *n;
	size_t drop;

	if (c->nlog >= max) {
		drop = c->nlog / 2;
		while (drop < c->nlog && c->log[drop].gen == c->log[drop - 1].gen)
			drop++;
		if (drop == 0 || drop >= c->nlog || c->log[drop - 1].gen >= gen)
			return BLF_ELIMIT;
		c->feed_oldest = c->log[drop - 1].gen;
		memmove(c->log, c->log + drop, (c->nlog - drop) * sizeof(*c->log));
		c->nlog -= drop;
	}
	if (c->nlog == c->caplog) {
		size_t cap = c->caplog ? c->caplog * 2 : 1024;

		if (cap > max)
			cap = max;
		if ((n = core_merge_alloc(c, c->log, cap * sizeof(*n))) == NULL)
			return BLF_ENOMEM;
		c->log = n;
		c->caplog = cap;
	}
	n = &c->log[c->nlog++];
	memset(n, 0, sizeof(*n));
	n->gen = gen;
	n->p = *p;
	n->existed = (uint8_t)existed;
	return 0;
}

/*
 * Log what differs between the old fingerprints c->fps[i..ie) and the new
 * nf[j..je), both in prefix order: an old prefix gone, a new one, or one
 * whose kind or hash changed.  *any is set when something was logged; the
 * code of log_add when the log cannot take this generation's changes.
 */
static int
fp_diff(core *c, const struct vfps *nf, size_t i, size_t ie, size_t j, size_t je, size_t max,
	uint64_t gen, int *any)
{
	int rc = 0;

	while (rc == 0 && (i < ie || j < je)) {
		blf_prefix po, pn;
		uint8_t ko = 0, kn = 0;
		uint32_t ho = 0, hn = 0;
		int cmp;

		if (i < ie)
			fp_get(&c->fps, i, &po, &ko, &ho);
		if (j < je)
			fp_get(nf, j, &pn, &kn, &hn);
		cmp = i >= ie ? 1 : j >= je ? -1 : blf_prefix_cmp(&po, &pn);
		if (cmp < 0) {
			rc = log_add(c, max, gen, &po, 1);
			*any = 1;
			i++;
		} else if (cmp > 0) {
			rc = log_add(c, max, gen, &pn, 0);
			*any = 1;
			j++;
		} else {
			if (ko != kn || ho != hn) {
				rc = log_add(c, max, gen, &pn, 1);
				*any = 1;
			}
			i++;
			j++;
		}
	}
	return rc;
}

/* See core_int.h: a build finished; move the generation if the exported
 * entries differ from the previous build's (always, without the feed). */
void
core_feed_update(core *c)
{
	struct vfps nf;
	size_t nold = c->fps.n4 + c->fps.n6, nn, max;
	uint64_t gen = c->vgen + 1;
	int rc = 0, any = 0;

	if (!c->cfg.change_feed) {
		c->vgen = gen;
		c->feed_oldest = gen;
		return;
	}
	max = c->cfg.feed_log_max ? c->cfg.feed_log_max : CORE_DEFAULT_FEED_LOG;
	if (fingerprints(c, &nf) != 0) {
		/* no diff now, and nothing to diff against next time */
		vfps_free(&c->fps);
		c->fps_lost = 1;
		c->vgen = gen;
		c->nlog = 0;
		c->feed_oldest = gen;
		return;
	}
	nn = nf.n4 + nf.n6;
	if (c->fps_lost) {
		c->vgen = gen;
		c->nlog = 0;
		c->feed_oldest = gen;
		c->fps_lost = 0;
		goto keep;
	}
	rc = fp_diff(c, &nf, 0, nold, 0, nn, max, gen, &any);
	if (any)
		c->vgen = gen;
	if (rc != 0) {
		/* this build's changes alone exceed the log: diffs restart here */
		c->nlog = 0;
		c->feed_oldest = c->vgen;
	}
keep:
	vfps_free(&c->fps);
	c->fps = nf;
}

/* See core_int.h. */
void
core_vfps_free(struct vfps *s)
{
	vfps_free(s);
}

/* See core_int.h. */
int
core_feed_fingerprints(core *c, struct vfps *out)
{
	return fingerprints(c, out);
}

/* Append the fingerprint of e to out (arrays grown as needed). */
static int
fp_push(core *c, struct vfps *out, size_t *cap4, size_t *cap6, const core_entry *e)
{
	uint32_t h = entry_hash(e);

	if (e->prefix.af == BLF_AF_INET) {
		struct vfp4 *f;

		if (core_grow(c, (void **)&out->v4, out->n4, cap4, sizeof(*f), 64) != 0)
			return BLF_ENOMEM;
		f = &out->v4[out->n4++];
		memset(f, 0, sizeof(*f));
		f->a = (uint32_t)e->prefix.addr[0] << 24 | (uint32_t)e->prefix.addr[1] << 16 |
		       (uint32_t)e->prefix.addr[2] << 8 | e->prefix.addr[3];
		f->len = e->prefix.len;
		f->kind = (uint8_t)e->kind;
		f->h = h;
	} else {
		struct vfp *f;

		if (core_grow(c, (void **)&out->v6, out->n6, cap6, sizeof(*f), 64) != 0)
			return BLF_ENOMEM;
		f = &out->v6[out->n6++];
		memset(f, 0, sizeof(*f));
		f->p = e->prefix;
		f->kind = (uint8_t)e->kind;
		f->h = h;
	}
	return 0;
}

/* First fingerprint of s (IPv4 ones first) whose prefix is above p, or
 * not below it (strict = 0). */
static size_t
fp_bound(const struct vfps *s, const blf_prefix *p, int strict)
{
	size_t lo = 0, hi = s->n4 + s->n6, mid;
	blf_prefix q;
	uint8_t k;
	uint32_t h;

	while (lo < hi) {
		int r;

		mid = lo + (hi - lo) / 2;
		fp_get(s, mid, &q, &k, &h);
		r = blf_prefix_cmp(&q, p);
		if (r < 0 || (strict && r == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * See core_int.h.  The fingerprints of the new entries of each range are
 * walked (a range is enclosed by no listing group, so the walk's chain
 * starts empty there), diffed against the old fingerprints of the same
 * range (found by binary search), and the arrays spliced, IPv4 and IPv6
 * apart.  Without memory, the fingerprints are dropped as in a build.
 */
void
core_feed_update_ranges(core *c, const blf_prefix *rng, const size_t *a, const size_t *b,
			size_t nr)
{
	struct vfps nf;
	struct core_walk *w = NULL;
	size_t *sv = NULL, *oa, *ob, *fa, *fb, k, vi, cap4 = 0, cap6 = 0, nold = c->fps.n4;
	size_t n4 = 0, max;
	uint64_t gen = c->vgen + 1;
	int rc = 0, any = 0;

	if (!c->cfg.change_feed) {
		c->vgen = gen;
		c->feed_oldest = gen;
		return;
	}
	if (c->fps_lost) {
		core_feed_update(c);
		return;
	}
	max = c->cfg.feed_log_max ? c->cfg.feed_log_max : CORE_DEFAULT_FEED_LOG;
	memset(&nf, 0, sizeof(nf));
	if ((sv = core_merge_alloc(c, NULL, 4 * (nr + 1) * sizeof(*sv))) == NULL ||
	    (w = core_walk_new(c)) == NULL)
		goto lost;
	oa = sv;
	ob = oa + nr + 1;
	fa = ob + nr + 1;
	fb = fa + nr + 1;
	for (k = 0; k < nr; k++) {
		blf_prefix e;
		core_entry ent;

		fa[k] = nf.n4 + nf.n6; /* IPv4 ranges come first */
		for (vi = a[k]; vi < b[k]; vi++)
			if (core_walk_step(c, w, vi, &ent) &&
			    fp_push(c, &nf, &cap4, &cap6, &ent) != 0)
				goto lost;
		fb[k] = nf.n4 + nf.n6;
		core_prefix_end(&rng[k], &e);
		oa[k] = fp_bound(&c->fps, &rng[k], 0);
		ob[k] = fp_bound(&c->fps, &e, 1);
	}
	for (k = 0; k < nr && rc == 0; k++)
		rc = fp_diff(c, &nf, oa[k], ob[k], fa[k], fb[k], max, gen, &any);
	/* splice the IPv4 ranges' spans, then the IPv6 ones' (offsets taken
	 * off the combined positions); in place */
	for (k = 0; k < nr && rng[k].af == BLF_AF_INET; k++)
		n4++;
	for (k = n4; k < nr; k++) {
		oa[k] -= nold;
		ob[k] -= nold;
		fa[k] -= nf.n4;
		fb[k] -= nf.n4;
	}
	if (core_splice(c, (void **)&c->fps.v4, &c->fps.n4, &c->fps.cap4, sizeof(*c->fps.v4), oa,
			ob, nf.v4, fa, fb, n4) != 0 ||
	    core_splice(c, (void **)&c->fps.v6, &c->fps.n6, &c->fps.cap6, sizeof(*c->fps.v6),
			oa + n4, ob + n4, nf.v6, fa + n4, fb + n4, nr - n4) != 0)
		goto lost;
	if (any)
		c->vgen = gen;
	if (rc != 0) {
		/* this update's changes alone exceed the log: diffs restart here */
		c->nlog = 0;
		c->feed_oldest = c->vgen;
	}
	vfps_free(&nf);
	core_walk_free(w);
	free(sv);
	return;
lost:
	/* no diff now, and nothing to diff against next time */
	vfps_free(&nf);
	vfps_free(&c->fps);
	core_walk_free(w);
	free(sv);
	c->fps_lost = 1;
	c->vgen = gen;
	c->nlog = 0;
	c->feed_oldest = gen;
}

/* See core.h. */
int
core_view_generation(core *c, uint64_t now, uint64_t *gen)
{
	int rc = core_view_build(c, now);

	*gen = c->vgen;
	return rc;
}

/* See core.h. */
int
core_next_change(core *c, uint64_t now, uint64_t *when)
{
	int rc = core_view_build(c, now);

	*when = rc == 0 ? c->vuntil : now;
	return rc;
}

struct chg {
	blf_prefix p;
	size_t seq;      /* position in the log: the earliest first */
	int existed;
};

static int
chg_cmp(const void *a, const void *b)
{
	const struct chg *x = a, *y = b;
	int r = blf_prefix_cmp(&x->p, &y->p);

	if (r != 0)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * core_changes_since and core_changed_prefixes_since: the log records
 * after gen, each prefix once; with entries, each looked up in the view
 * now and reported with its entry (or as removed), else reported with
 * its prefix only.
 */
static int
changes(core *c, uint64_t gen, uint64_t now, core_change_fn fn, void *arg, uint64_t *cur,
	int entries)
{
	struct core_walk *w = NULL;
	struct chg *v = NULL;
	size_t lo, hi, mid, n, i;
	int rc;

	*cur = c->vgen;
	if ((rc = core_view_build(c, now)) != 0)
		return rc;
	*cur = c->vgen;
	if (!c->cfg.change_feed)
		return BLF_EINVAL;
	if (gen < c->feed_oldest || gen > c->vgen)
		return BLF_ESTALE;
	/* first log record after gen */
	lo = 0;
	hi = c->nlog;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->log[mid].gen <= gen)
			lo = mid + 1;
		else
			hi = mid;
	}
	n = c->nlog - lo;
	if (n == 0)
		return 0;
	rc = BLF_ENOMEM;
	if ((v = core_merge_alloc(c, NULL, n * sizeof(*v))) == NULL ||
	    (entries && (w = core_walk_new(c)) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		v[i].p = c->log[lo + i].p;
		v[i].seq = i;
		v[i].existed = c->log[lo + i].existed;
	}
	qsort(v, n, sizeof(*v), chg_cmp);
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		core_entry e;
		long vi;
		int now_in;

		if (i > 0 && blf_prefix_cmp(&v[i].p, &v[i - 1].p) == 0)
			continue;
		if (!entries) {
			rc = fn(arg, v[i].existed ? CORE_CHANGE_CHANGED : CORE_CHANGE_ADDED, &v[i].p,
				NULL);
			continue;
		}
		vi = core_view_find(c, &v[i].p);
		now_in = vi >= 0 && core_walk_entry_at(c, w, (size_t)vi, &e) == 0;
		if (now_in)
			rc = fn(arg, v[i].existed ? CORE_CHANGE_CHANGED : CORE_CHANGE_ADDED,
				&v[i].p, &e);
		else if (v[i].existed)
			rc = fn(arg, CORE_CHANGE_REMOVED, &v[i].p, NULL);
	}
out:
	core_walk_free(w);
	free(v);
	return rc;
}

/* See core.h. */
int
core_changes_since(core *c, uint64_t gen, uint64_t now, core_change_fn fn, void *arg,
		   uint64_t *cur)
{
	return changes(c, gen, now, fn, arg, cur, 1);
}

/* See core.h. */
int
core_changed_prefixes_since(core *c, uint64_t gen, uint64_t now, core_change_fn fn, void *arg,
			    uint64_t *cur)
{
	return changes(c, gen, now, fn, arg, cur, 0);
}
