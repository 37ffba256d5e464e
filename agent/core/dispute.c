/*
 * dispute.c - disputes and their answers in the core (SPEC 5.6, 8.6).
 *
 * Disputes and answers are operations of the filer's or the listing
 * origin's log, so they arrive, are journaled and are replayed like every
 * other operation (core.c calls core_dispute_apply after core_origin_apply_ops).  They
 * are few (bounded per origin by CORE_MAX_DISPUTES), so they live apart from
 * the listing records: two arrays held by the core, one of disputes (keyed by
 * filer and prefix: a filer holds one dispute per prefix, a new one replaces
 * it) and one of answers (keyed by answering origin and dispute id).
 *
 * Durability: the arrays are written whole to "disputes" in the data
 * directory (fio_replace: temporary file, fsync, rename) after every delta
 * that changes them, before the journal record of that delta is synced, so
 * the file is never older than the journal; core_open loads it after the
 * journals were replayed and it replaces what replay rebuilt.  Compaction
 * drops journal records but never the file, so old disputes survive.
 *
 * Merge (SPEC 8.6): a listing of Q by O lapses when an effective dispute
 * (filer trusted, not frozen or relay-only, holding the dispute permission,
 * its prefix P inside the filer's authority) with P containing Q, aimed at
 * O or at every origin, is conceded by O for a prefix containing Q, or has
 * been open for O's answer window without an uphold by O for a prefix
 * containing Q.  The view build asks core_dispute_prepare once, then
 * core_dispute_lapsed per listing; the cost is one pass over the effective
 * disputes per listing, and nothing when there are none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/fileio.h"
#include "core_int.h"

#define DSP_NAME "disputes"
#define DSP_MAGIC "BLFDSP01"
#define DSP_ENDIAN 0x01020304u
#define DSP_SUM 16u
/* Largest disputes file: every origin at its bound, both arrays. */
#define DSP_FILE_MAX ((uint64_t)CORE_MAX_ORIGINS * CORE_MAX_DISPUTES * 2u * 512u)

struct dsp {                      /* a dispute, as its filer's log says */
	uint8_t filer[BLF_KEYID_LEN];
	uint8_t id[BLF_DISPUTE_ID_LEN];
	blf_prefix prefix;
	uint8_t has_target;
	uint8_t target[BLF_KEYID_LEN];
	uint8_t effective;        /* set by core_dispute_prepare */
	uint16_t code;
	uint16_t ref_len;
	uint32_t filed;           /* created of the delta that filed it */
	uint32_t changed;
	char ref[BLF_MAX_REF_LEN + 1];
};

struct ans {                      /* an answer, as the listing origin's log says */
	uint8_t origin[BLF_KEYID_LEN];
	uint8_t id[BLF_DISPUTE_ID_LEN];
	blf_prefix prefix;
	uint8_t concede;
	uint16_t code;
	uint16_t ref_len;
	uint32_t when;
	char ref[BLF_MAX_REF_LEN + 1];
};

/* An effective dispute in the lookup index of core_dispute_prepare. */
struct eref {
	blf_prefix p;
	uint32_t i;               /* index in d[] */
};

struct dstore {
	struct dsp *d;
	size_t nd, capd;
	struct ans *a;
	size_t na, capa;
	size_t neffective;        /* from the last core_dispute_prepare */
	int dirty;                /* changed since the file was written */
	uint64_t gen;             /* counts changes, for core_disputes_generation */
	/* the effective disputes sorted by prefix, and the prefix lengths
	 * among them per family (0 IPv4, 1 IPv6): a listing looks up only
	 * the prefixes that can contain it.  eok 0: the index could not be
	 * built, scan d[] instead. */
	struct eref *e;
	size_t ne, cape;
	int eok;
	uint8_t haslen[2][129];
};

static struct dstore *
store_of(core *c)
{
	if (c->disp == NULL)
		c->disp = calloc(1, sizeof(*c->disp));
	return c->disp;
}

/* op's reference into ref (BLF_MAX_REF_LEN + 1 bytes), NUL-terminated;
 * its length. */
static uint16_t
ref_copy(char ref[BLF_MAX_REF_LEN + 1], const blf_op *op)
{
	if (op->ref_len > 0)
		memcpy(ref, op->ref, op->ref_len);
	ref[op->ref_len] = '\0';
	return (uint16_t)op->ref_len;
}

static long
find_dsp(const struct dstore *s, const uint8_t filer[BLF_KEYID_LEN], const blf_prefix *p)
{
	size_t i;

	for (i = 0; i < s->nd; i++)
		if (memcmp(s->d[i].filer, filer, BLF_KEYID_LEN) == 0 &&
		    blf_prefix_cmp(&s->d[i].prefix, p) == 0)
			return (long)i;
	return -1;
}

static long
find_ans(const struct dstore *s, const uint8_t origin[BLF_KEYID_LEN],
	 const uint8_t id[BLF_DISPUTE_ID_LEN])
{
	size_t i;

	for (i = 0; i < s->na; i++)
		if (memcmp(s->a[i].origin, origin, BLF_KEYID_LEN) == 0 &&
		    memcmp(s->a[i].id, id, BLF_DISPUTE_ID_LEN) == 0)
			return (long)i;
	return -1;
}

static size_t
held_by(const struct dstore *s, const uint8_t origin[BLF_KEYID_LEN])
{
	size_t i, n = 0;

	for (i = 0; i < s->nd; i++)
		n += memcmp(s->d[i].filer, origin, BLF_KEYID_LEN) == 0;
	for (i = 0; i < s->na; i++)
		n += memcmp(s->a[i].origin, origin, BLF_KEYID_LEN) == 0;
	return n;
}

static int
grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *q;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	if ((q = realloc(*p, n * size)) == NULL)
		return BLF_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* See core_int.h. */
int
core_dispute_check(core *c, const uint8_t origin[BLF_KEYID_LEN], const blf_delta *d, int reset)
{
	struct dstore *s;
	size_t i, nd = 0, na = 0, held;

	for (i = 0; i < d->nops; i++) {
		nd += d->ops[i].type == BLF_OP_DISPUTE;
		na += d->ops[i].type == BLF_OP_UPHOLD || d->ops[i].type == BLF_OP_CONCEDE;
	}
	if (nd + na == 0)
		return 0;
	if ((s = store_of(c)) == NULL)
		return BLF_ENOMEM;
	/* counted before replacements: a delta that re-files what it holds
	 * near the bound is refused, which errs on the safe side */
	held = reset ? 0 : held_by(s, origin);
	if (held + nd + na > CORE_MAX_DISPUTES)
		return BLF_ELIMIT;
	if (grow((void **)&s->d, &s->capd, s->nd + nd, sizeof(*s->d)) != 0 ||
	    grow((void **)&s->a, &s->capa, s->na + na, sizeof(*s->a)) != 0)
		return BLF_ENOMEM;
	return 0;
}

/* The key of a dispute or answer operation, for the duplicate rule. */
struct dkey {
	uint8_t cls;              /* 1 dispute, 2 answer */
	uint8_t k[17];            /* the prefix's wire form, or the dispute id */
};

static int
dkey_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct dkey));
}

/* See core_int.h. */
int
core_dispute_snapshot_check(core *c, const blf_snapshot *sn, size_t n)
{
	struct dstore *s;
	struct dkey *keys = NULL;
	size_t i, j, k = 0, nd = 0, na = 0;
	int rc = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < sn[i].nops; j++) {
			nd += sn[i].ops[j].type == BLF_OP_DISPUTE;
			na += sn[i].ops[j].type == BLF_OP_UPHOLD ||
			      sn[i].ops[j].type == BLF_OP_CONCEDE;
		}
	if (nd + na == 0)
		return 0;
	if (nd + na > CORE_MAX_DISPUTES)
		return BLF_ELIMIT; /* SPEC 9: refused whole */
	if ((keys = calloc(nd + na, sizeof(*keys))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < n; i++)
		for (j = 0; j < sn[i].nops; j++) {
			const blf_op *op = &sn[i].ops[j];

			if (op->type == BLF_OP_DISPUTE) {
				keys[k].cls = 1;
				blf_prefix_to_wire(&op->prefix, keys[k].k);
				k++;
			} else if (op->type == BLF_OP_UPHOLD || op->type == BLF_OP_CONCEDE) {
				keys[k].cls = 2;
				memcpy(keys[k].k, op->id, BLF_DISPUTE_ID_LEN);
				k++;
			}
		}
	qsort(keys, k, sizeof(*keys), dkey_cmp);
	for (i = 1; i < k && rc == 0; i++)
		if (dkey_cmp(&keys[i - 1], &keys[i]) == 0)
			rc = BLF_EDUP; /* SPEC 6.5: a key in two chunks */
	free(keys);
	if (rc != 0)
		return rc;
	if ((s = store_of(c)) == NULL ||
	    grow((void **)&s->d, &s->capd, s->nd + nd, sizeof(*s->d)) != 0 ||
	    grow((void **)&s->a, &s->capa, s->na + na, sizeof(*s->a)) != 0)
		return BLF_ENOMEM;
	return 0;
}

/* See core_int.h. */
void
core_dispute_forget(core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	struct dstore *s = c->disp;
	size_t i, j;

	if (s == NULL)
		return;
	for (i = j = 0; i < s->nd; i++)
		if (memcmp(s->d[i].filer, origin, BLF_KEYID_LEN) != 0)
			s->d[j++] = s->d[i];
	if (j != s->nd)
		s->dirty = 1;
	s->nd = j;
	for (i = j = 0; i < s->na; i++)
		if (memcmp(s->a[i].origin, origin, BLF_KEYID_LEN) != 0)
			s->a[j++] = s->a[i];
	if (j != s->na)
		s->dirty = 1;
	s->na = j;
	s->gen++;
	c->vdirty = 1;
}

/* See core_int.h. */
int
core_dispute_apply(core *c, const blf_delta *d)
{
	struct dstore *s = c->disp;
	size_t i;
	long k;
	int changed = 0;

	for (i = 0; i < d->nops; i++) {
		const blf_op *op = &d->ops[i];

		switch (op->type) {
		case BLF_OP_DISPUTE: {
			struct dsp *x;
			uint8_t id[BLF_DISPUTE_ID_LEN];

			if (s == NULL || blf_dispute_id(d->origin, op, id) != 0)
				break; /* core_dispute_check reserved room; ENOMEM only */
			if ((k = find_dsp(s, d->origin, &op->prefix)) >= 0) {
				x = &s->d[k];
				if (memcmp(x->id, id, sizeof(id)) != 0)
					x->filed = (uint32_t)d->created; /* a new dispute */
			} else {
				if (s->nd >= s->capd)
					break;
				x = &s->d[s->nd++];
				memset(x, 0, sizeof(*x));
				memcpy(x->filer, d->origin, BLF_KEYID_LEN);
				x->prefix = op->prefix;
				x->filed = (uint32_t)d->created;
			}
			memcpy(x->id, id, sizeof(id));
			x->has_target = op->id_len != 0;
			memset(x->target, 0, sizeof(x->target));
			memcpy(x->target, op->id, op->id_len);
			x->code = op->reason;
			x->changed = (uint32_t)d->created;
			x->ref_len = ref_copy(x->ref, op);
			changed = 1;
			break;
		}
		case BLF_OP_UPHOLD:
		case BLF_OP_CONCEDE: {
			struct ans *x;

			if (s == NULL)
				break;
			if ((k = find_ans(s, d->origin, op->id)) >= 0) {
				x = &s->a[k];
			} else {
				if (s->na >= s->capa)
					break;
				x = &s->a[s->na++];
				memset(x, 0, sizeof(*x));
				memcpy(x->origin, d->origin, BLF_KEYID_LEN);
				memcpy(x->id, op->id, BLF_DISPUTE_ID_LEN);
			}
			x->prefix = op->prefix;
			x->concede = op->type == BLF_OP_CONCEDE;
			x->code = op->reason;
			x->when = (uint32_t)d->created;
			x->ref_len = ref_copy(x->ref, op);
			changed = 1;
			break;
		}
		case BLF_OP_UNDISPUTE:
			if (s != NULL && (k = find_dsp(s, d->origin, &op->prefix)) >= 0) {
				s->d[k] = s->d[--s->nd];
				changed = 1;
			}
			break;
		default:
			break;
		}
	}
	if (changed) {
		s->dirty = 1;
		s->gen++;
		c->vdirty = 1;
	}
	return changed;
}

/* The answer window of o's listings. */
static uint32_t
window_of(const struct origin *o)
{
	if (o->anchor != NULL && o->anchor->dispute_window != 0)
		return o->anchor->dispute_window;
	return KEYS_DEFAULT_DISPUTE_WINDOW;
}

/* Whether dispute x counts at now: its status as enum core_status and the
 * trust verdict. */
static int
dsp_status(const core *c, const struct dsp *x, uint64_t now, int *verdict)
{
	const struct origin *f = core_origin_find(c, x->filer);

	*verdict = TRUST_OK;
	if (f == NULL || f->anchor == NULL)
		return CORE_NO_ANCHOR;
	if (f->frozen)
		return CORE_FROZEN;
	*verdict = trust_anchor_allows(f->anchor, BLF_OP_DISPUTE, &x->prefix, now);
	if (*verdict == TRUST_RELAY_ONLY_V)
		return CORE_RELAY_ONLY;
	return *verdict == TRUST_OK ? CORE_ACCEPTED : CORE_FILTERED;
}

static int
eref_cmp(const void *a, const void *b)
{
	const struct eref *x = a, *y = b;
	int r = blf_prefix_cmp(&x->p, &y->p);

	if (r != 0)
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* See core_int.h. */
void
core_dispute_prepare(core *c, uint64_t now)
{
	struct dstore *s = c->disp;
	size_t i;
	int v;

	if (s == NULL)
		return;
	s->neffective = 0;
	s->ne = 0;
	memset(s->haslen, 0, sizeof(s->haslen));
	for (i = 0; i < s->nd; i++) {
		s->d[i].effective = dsp_status(c, &s->d[i], now, &v) == CORE_ACCEPTED;
		s->neffective += s->d[i].effective;
	}
	s->eok = grow((void **)&s->e, &s->cape, s->neffective, sizeof(*s->e)) == 0;
	if (!s->eok)
		return;
	for (i = 0; i < s->nd; i++) {
		if (!s->d[i].effective)
			continue;
		s->e[s->ne].p = s->d[i].prefix;
		s->e[s->ne].i = (uint32_t)i;
		s->haslen[s->d[i].prefix.af == BLF_AF_INET6][s->d[i].prefix.len] = 1;
		s->ne++;
	}
	if (s->ne > 1)
		qsort(s->e, s->ne, sizeof(*s->e), eref_cmp);
}

/* q cut to its first len bits. */
static void
mask_to(const blf_prefix *q, unsigned len, blf_prefix *out)
{
	unsigned i;

	*out = *q;
	out->len = (uint8_t)len;
	for (i = len; i < 128; i++)
		out->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* First index of e[] whose prefix is p, or s->ne. */
static size_t
eref_find(const struct dstore *s, const blf_prefix *p)
{
	size_t lo = 0, hi = s->ne, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (blf_prefix_cmp(&s->e[mid].p, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->ne && blf_prefix_cmp(&s->e[lo].p, p) == 0 ? lo : s->ne;
}

/* What dispute x does to listing q of o at now: 0 nothing (not covered,
 * upheld), 1 lapsed, 2 open (lapses at *at). */
static int
dsp_effect(const core *c, const struct dsp *x, const struct origin *o, const blf_prefix *q,
	   uint64_t now, uint64_t *at, const struct ans **ansp)
{
	const struct dstore *s = c->disp;
	long k;

	*ansp = NULL;
	if (x->has_target && memcmp(x->target, o->id, BLF_KEYID_LEN) != 0)
		return 0;
	if (!blf_prefix_contains(&x->prefix, q))
		return 0;
	if ((k = find_ans(s, o->id, x->id)) >= 0 && blf_prefix_contains(&s->a[k].prefix, q)) {
		*ansp = &s->a[k];
		return s->a[k].concede ? 1 : 0;
	}
	*at = (uint64_t)x->filed + window_of(o);
	return now >= *at ? 1 : 2;
}

/* 1 if dispute x lapses listing q of o at now; else lowers *until (if not
 * NULL) to when it would. */
static int
effect_at(const core *c, const struct dsp *x, const struct origin *o, const blf_prefix *q,
	  uint64_t now, uint64_t *until)
{
	const struct ans *an;
	uint64_t at = 0;

	switch (dsp_effect(c, x, o, q, now, &at, &an)) {
	case 1:
		return 1;
	case 2:
		if (until != NULL && at < *until)
			*until = at;
		return 0;
	default:
		return 0;
	}
}

/* See core_int.h. */
int
core_dispute_lapsed(const core *c, const struct origin *o, const struct rec *r, uint64_t now,
	       uint64_t *until)
{
	const struct dstore *s = c->disp;
	blf_prefix q;
	size_t i;
	unsigned len;
	int lapsed = 0;

	if (s == NULL || s->neffective == 0 || (r->flags & REC_EXCL))
		return 0;
	core_origin_rec_prefix(o, r, &q);
	if (!s->eok) {
		for (i = 0; i < s->nd && !lapsed; i++)
			if (s->d[i].effective)
				lapsed = effect_at(c, &s->d[i], o, &q, now, until);
		return lapsed;
	}
	/* only disputes of a prefix containing q can cover it: one lookup
	 * per prefix length present, O(lengths x log disputes) */
	for (len = 0; len <= q.len && !lapsed; len++) {
		blf_prefix m;

		if (!s->haslen[q.af == BLF_AF_INET6][len])
			continue;
		mask_to(&q, len, &m);
		for (i = eref_find(s, &m); i < s->ne && !lapsed &&
		     blf_prefix_cmp(&s->e[i].p, &m) == 0; i++)
			lapsed = effect_at(c, &s->d[s->e[i].i], o, &q, now, until);
	}
	return lapsed;
}

/* See core_int.h. */
size_t
core_dispute_ops_of(core *c, const uint8_t origin[BLF_KEYID_LEN], blf_op *ops, size_t max)
{
	const struct dstore *s = c->disp;
	size_t i, k = 0;

	for (i = 0; s != NULL && i < s->nd && k < max; i++) {
		const struct dsp *x = &s->d[i];

		if (memcmp(x->filer, origin, BLF_KEYID_LEN) != 0)
			continue;
		memset(&ops[k], 0, sizeof(ops[k]));
		ops[k].type = BLF_OP_DISPUTE;
		ops[k].prefix = x->prefix;
		ops[k].reason = x->code;
		ops[k].ref = x->ref;
		ops[k].ref_len = x->ref_len;
		ops[k].id_len = x->has_target ? BLF_KEYID_LEN : 0;
		memcpy(ops[k].id, x->target, ops[k].id_len);
		k++;
	}
	for (i = 0; s != NULL && i < s->na && k < max; i++) {
		const struct ans *x = &s->a[i];

		if (memcmp(x->origin, origin, BLF_KEYID_LEN) != 0)
			continue;
		memset(&ops[k], 0, sizeof(ops[k]));
		ops[k].type = x->concede ? BLF_OP_CONCEDE : BLF_OP_UPHOLD;
		ops[k].prefix = x->prefix;
		ops[k].reason = x->code;
		ops[k].ref = x->ref;
		ops[k].ref_len = x->ref_len;
		ops[k].id_len = BLF_DISPUTE_ID_LEN;
		memcpy(ops[k].id, x->id, BLF_DISPUTE_ID_LEN);
		k++;
	}
	return k;
}

/* ---- the file ------------------------------------------------------------ */

/* See core_int.h. */
int
core_dispute_save(core *c)
{
	struct dstore *s = c->disp;
	crypto_generichash_state st;
	uint8_t sum[DSP_SUM];
	uint32_t hdr[3];
	uint8_t *buf = NULL;
	size_t len, off = 0;
	int rc = BLF_ENOMEM;

	if (s == NULL || !s->dirty)
		return 0;
	len = 8 + sizeof(hdr) + s->nd * sizeof(*s->d) + s->na * sizeof(*s->a) + DSP_SUM;
	if ((buf = malloc(len)) == NULL)
		goto out;
	hdr[0] = DSP_ENDIAN;
	hdr[1] = (uint32_t)s->nd;
	hdr[2] = (uint32_t)s->na;
	memcpy(buf, DSP_MAGIC, 8);
	off = 8;
	memcpy(buf + off, hdr, sizeof(hdr));
	off += sizeof(hdr);
	if (s->nd > 0)
		memcpy(buf + off, s->d, s->nd * sizeof(*s->d));
	off += s->nd * sizeof(*s->d);
	if (s->na > 0)
		memcpy(buf + off, s->a, s->na * sizeof(*s->a));
	off += s->na * sizeof(*s->a);
	crypto_generichash_init(&st, NULL, 0, DSP_SUM);
	crypto_generichash_update(&st, buf, off);
	crypto_generichash_final(&st, sum, DSP_SUM);
	memcpy(buf + off, sum, DSP_SUM);
	rc = BLF_EIO;
	if (fio_replace(c->dfd, DSP_NAME, buf, len, 0600, c->cfg.no_fsync) != 0)
		goto out;
	s->dirty = 0;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int
rec_ok(const blf_prefix *p, uint16_t ref_len, const char *ref)
{
	return blf_prefix_check(p) == BLF_OK && ref_len <= BLF_MAX_REF_LEN &&
	       ref[ref_len] == '\0';
}

/* See core_int.h. */
int
core_dispute_load(core *c)
{
	struct dstore *s;
	crypto_generichash_state st;
	uint8_t sum[DSP_SUM];
	uint32_t hdr[3];
	uint8_t *buf = NULL;
	size_t got, i, off, want;
	off_t size;
	int fd, rc = BLF_EIO;

	if ((fd = fio_openat(c->dfd, DSP_NAME, O_RDONLY, 0)) < 0)
		return errno == ENOENT ? 0 : BLF_EIO;
	if ((size = lseek(fd, 0, SEEK_END)) < 0 || (uint64_t)size > DSP_FILE_MAX)
		goto out;
	rc = BLF_ENOMEM;
	if ((buf = malloc((size_t)size + 1)) == NULL)
		goto out;
	rc = BLF_EIO;
	if (fio_pread_full(fd, buf, (size_t)size, 0) != 0)
		goto out;
	got = (size_t)size;
	rc = BLF_ECORRUPT;
	if (got < 8 + sizeof(hdr) + DSP_SUM || memcmp(buf, DSP_MAGIC, 8) != 0)
		goto out;
	memcpy(hdr, buf + 8, sizeof(hdr));
	if (hdr[0] != DSP_ENDIAN)
		goto out;
	want = 8 + sizeof(hdr) + (size_t)hdr[1] * sizeof(struct dsp) +
	       (size_t)hdr[2] * sizeof(struct ans) + DSP_SUM;
	if (want != got)
		goto out;
	crypto_generichash_init(&st, NULL, 0, DSP_SUM);
	crypto_generichash_update(&st, buf, got - DSP_SUM);
	crypto_generichash_final(&st, sum, DSP_SUM);
	if (sodium_memcmp(sum, buf + got - DSP_SUM, DSP_SUM) != 0)
		goto out;
	/* every record checked before the store changes: a damaged file
	 * leaves what the replay rebuilt */
	off = 8 + sizeof(hdr);
	for (i = 0; i < hdr[1]; i++, off += sizeof(struct dsp)) {
		struct dsp x;

		memcpy(&x, buf + off, sizeof(x));
		if (!rec_ok(&x.prefix, x.ref_len, x.ref))
			goto out;
	}
	for (i = 0; i < hdr[2]; i++, off += sizeof(struct ans)) {
		struct ans x;

		memcpy(&x, buf + off, sizeof(x));
		if (!rec_ok(&x.prefix, x.ref_len, x.ref))
			goto out;
	}
	rc = BLF_ENOMEM;
	if ((s = store_of(c)) == NULL)
		goto out;
	if (grow((void **)&s->d, &s->capd, hdr[1], sizeof(*s->d)) != 0 ||
	    grow((void **)&s->a, &s->capa, hdr[2], sizeof(*s->a)) != 0)
		goto out;
	off = 8 + sizeof(hdr);
	if (hdr[1] > 0)
		memcpy(s->d, buf + off, (size_t)hdr[1] * sizeof(*s->d));
	off += (size_t)hdr[1] * sizeof(*s->d);
	if (hdr[2] > 0)
		memcpy(s->a, buf + off, (size_t)hdr[2] * sizeof(*s->a));
	s->nd = hdr[1];
	s->na = hdr[2];
	s->dirty = 0;
	s->gen++;
	c->vdirty = 1;
	rc = 0;
out:
	close(fd);
	free(buf);
	return rc;
}

/* See core_int.h. */
void
core_dispute_free(core *c)
{
	if (c->disp == NULL)
		return;
	free(c->disp->d);
	free(c->disp->a);
	free(c->disp->e);
	free(c->disp);
	c->disp = NULL;
}

/* ---- queries ------------------------------------------------------------- */

static void
name_of(const core *c, const uint8_t id[BLF_KEYID_LEN], char *buf, size_t cap)
{
	const struct origin *o = core_origin_find(c, id);
	const trust_anchor *a = o != NULL ? o->anchor : trust_store_find_origin(&c->trust, id);
	char hex[BLF_KEYID_HEX_LEN + 1];

	if (a != NULL) {
		snprintf(buf, cap, "%s", a->name);
	} else {
		blf_keyid_hex(id, hex);
		snprintf(buf, cap, "%s", hex);
	}
}

/* Fill one dispute's description; self: our origin id or NULL; all: count
 * the listings of every origin it covers, else only self's. */
static int
info_fill(core *c, const struct dsp *x, const uint8_t *self, int all, uint64_t now,
	  core_dispute_info *d)
{
	const struct dstore *s = c->disp;
	size_t i, j;

	memset(d, 0, sizeof(*d));
	memcpy(d->id, x->id, sizeof(d->id));
	memcpy(d->filer, x->filer, sizeof(d->filer));
	name_of(c, x->filer, d->filer_name, sizeof(d->filer_name));
	d->prefix = x->prefix;
	d->has_target = x->has_target;
	if (x->has_target) {
		memcpy(d->target, x->target, sizeof(d->target));
		name_of(c, x->target, d->target_name, sizeof(d->target_name));
	}
	d->code = x->code;
	d->filed = x->filed;
	d->changed = x->changed;
	memcpy(d->ref, x->ref, x->ref_len + 1u);
	d->status = dsp_status(c, x, now, &d->verdict);
	d->ours = self != NULL && memcmp(self, x->filer, BLF_KEYID_LEN) == 0;
	for (i = 0; i < s->na; i++)
		d->nanswers += memcmp(s->a[i].id, x->id, BLF_DISPUTE_ID_LEN) == 0;
	if (d->nanswers > 0 &&
	    (d->answers = calloc(d->nanswers, sizeof(*d->answers))) == NULL)
		return BLF_ENOMEM;
	for (i = j = 0; i < s->na; i++) {
		core_answer_info *a;

		if (memcmp(s->a[i].id, x->id, BLF_DISPUTE_ID_LEN) != 0)
			continue;
		a = &d->answers[j]; /* only here: answers is NULL for a dispute without */
		memcpy(a->origin, s->a[i].origin, sizeof(a->origin));
		name_of(c, s->a[i].origin, a->name, sizeof(a->name));
		a->concede = s->a[i].concede;
		a->prefix = s->a[i].prefix;
		a->code = s->a[i].code;
		a->when = s->a[i].when;
		memcpy(a->ref, s->a[i].ref, s->a[i].ref_len + 1u);
		j++;
	}
	/* listings it covers: all of them, and ours */
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];
		uint32_t r;

		int us = self != NULL && memcmp(self, o->id, BLF_KEYID_LEN) == 0;

		if (x->has_target && memcmp(x->target, o->id, BLF_KEYID_LEN) != 0)
			continue;
		if (!all && !us)
			continue;
		for (r = 0; r < o->nrecs; r++) {
			const struct rec *rr = &o->recs[r];
			const struct ans *an;
			blf_prefix q;
			uint64_t at = 0;
			int e;

			if ((rr->flags & REC_EXCL) || rr->expires <= now)
				continue;
			core_origin_rec_prefix(o, rr, &q);
			if (!blf_prefix_contains(&x->prefix, &q))
				continue;
			d->ncovered++;
			e = dsp_effect(c, x, o, &q, now, &at, &an);
			if (d->status != CORE_ACCEPTED)
				e = 0; /* a filtered dispute weighs on nothing */
			d->nopen += e == 2;
			if (us) {
				d->nagainst_us++;
				d->nopen_us += e == 2;
				if (e == 2 && (d->lapse == 0 || at < d->lapse))
					d->lapse = at;
			}
		}
	}
	return 0;
}

/* See core.h. */
int
core_disputes(core *c, const blf_prefix *q, const uint8_t *self, int all, uint64_t now,
	      core_dispute_info **out, size_t *n)
{
	struct dstore *s = c->disp;
	core_dispute_info *v = NULL;
	size_t i, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL || s->nd == 0)
		return 0;
	if ((v = calloc(s->nd, sizeof(*v))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < s->nd; i++) {
		const struct dsp *x = &s->d[i];

		/* a query names the disputes over it or inside it */
		if (q != NULL && !blf_prefix_contains(&x->prefix, q) &&
		    !blf_prefix_contains(q, &x->prefix))
			continue;
		if ((rc = info_fill(c, x, self, all, now, &v[k])) != 0) {
			core_disputes_free(v, k + 1);
			return rc;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

/* See core.h. */
uint64_t
core_disputes_generation(const core *c)
{
	return c->disp != NULL ? c->disp->gen : 0;
}

/* See core.h. */
void
core_disputes_free(core_dispute_info *d, size_t n)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < n; i++)
		free(d[i].answers);
	free(d);
}

/* See core.h. */
int
core_dispute_find(core *c, const uint8_t id[BLF_DISPUTE_ID_LEN], blf_prefix *prefix)
{
	const struct dstore *s = c->disp;
	size_t i;

	for (i = 0; s != NULL && i < s->nd; i++)
		if (memcmp(s->d[i].id, id, BLF_DISPUTE_ID_LEN) == 0) {
			*prefix = s->d[i].prefix;
			return 0;
		}
	return BLF_ENOTFOUND;
}

/* See core.h. */
int
core_listing_dispute(core *c, const uint8_t origin[BLF_KEYID_LEN], const blf_prefix *q,
		     uint64_t now, core_listing_trail *t)
{
	const struct dstore *s = c->disp;
	const struct origin *o = core_origin_find(c, origin);
	const struct ans *an;
	uint64_t at = 0;
	size_t i;
	int v, e;

	memset(t, 0, sizeof(*t));
	if (s == NULL || o == NULL)
		return 0;
	for (i = 0; i < s->nd; i++) {
		const struct dsp *x = &s->d[i];

		if (dsp_status(c, x, now, &v) != CORE_ACCEPTED)
			continue;
		e = dsp_effect(c, x, o, q, now, &at, &an);
		if (e == 0 && an == NULL)
			continue;
		memcpy(t->id, x->id, sizeof(t->id));
		t->disputed = 1;
		t->filed = x->filed;
		t->state = e == 1 ? (an != NULL ? CORE_DISPUTE_CONCEDED : CORE_DISPUTE_LAPSED)
		         : e == 2 ? CORE_DISPUTE_OPEN : CORE_DISPUTE_UPHELD;
		t->lapse = e == 0 ? 0 : (an != NULL ? an->when : at);
		if (e == 1)
			break; /* the decisive one */
	}
	return 0;
}

/* See core.h. */
const char *
core_dispute_state_str(int state)
{
	switch (state) {
	case CORE_DISPUTE_OPEN:
		return "open";
	case CORE_DISPUTE_UPHELD:
		return "upheld";
	case CORE_DISPUTE_CONCEDED:
		return "delisted";
	case CORE_DISPUTE_LAPSED:
		return "lapsed";
	}
	return "unknown";
}
