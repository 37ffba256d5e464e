/*
 * test_core_util.h - helpers shared by the agent core tests (header only).
 *
 * Origins are made from fixed seeds; a `pub` follows one origin's log and
 * seals the next delta (epoch, seq, prev) the way a real origin would, so
 * tests can also forge gaps, forks and bad chains on purpose.
 */
#ifndef TEST_CORE_UTIL_H
#define TEST_CORE_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/core/core.h"

#define T0 1700000000ull /* a fixed "now" */

struct pub {
	key_secret *ks;
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t seq;
	uint8_t head[BLF_HASH_LEN];
};

/* Remove a directory tree (the test data directories are two deep). */
static inline void
rm_rf(const char *dir)
{
	char p[4096];
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
				continue;
			if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
				rm_rf(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static inline char *
tmp_dir(void)
{
	char tmpl[] = "/tmp/blfcore-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void
pub_init(struct pub *p, int seedbyte)
{
	uint8_t seed[BLF_SEED_LEN];

	memset(p, 0, sizeof(*p));
	memset(seed, seedbyte, sizeof(seed));
	if (key_secret_from_seed(seed, "test", &p->ks) != 0)
		abort();
	memcpy(p->origin, p->ks->keyid, BLF_KEYID_LEN);
	p->epoch = 1;
}

static inline void
pub_free(struct pub *p)
{
	key_secret_free(p->ks);
	p->ks = NULL;
}

/* Seal a delta with explicit fields into out (reset first). */
static inline int
seal_raw(const key_secret *ks, const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch,
	 uint64_t seq, const uint8_t prev[BLF_HASH_LEN], uint64_t created, const blf_op *ops,
	 size_t nops, blf_buf *out)
{
	blf_delta d;

	memset(&d, 0, sizeof(d));
	memcpy(d.origin, origin, BLF_KEYID_LEN);
	d.epoch = epoch;
	d.seq = seq;
	if (prev != NULL)
		memcpy(d.prev, prev, BLF_HASH_LEN);
	d.created = created;
	d.nops = nops;
	d.ops = (blf_op *)(uintptr_t)ops;
	out->len = 0;
	return blf_delta_seal(&d, ks->sk, out);
}

static inline void
msg_hash(const blf_buf *b, uint8_t h[BLF_HASH_LEN])
{
	blf_envelope env;

	if (blf_envelope_parse(b->data, b->len, &env) != 0)
		abort();
	blf_envelope_hash(&env, h);
}

/* Seal the next delta of p's log (advancing p). */
static inline int
pub_next(struct pub *p, uint64_t created, const blf_op *ops, size_t nops, blf_buf *out)
{
	int rc = seal_raw(p->ks, p->origin, p->epoch, p->seq + 1, p->seq ? p->head : NULL,
			  created, ops, nops, out);

	if (rc == 0) {
		p->seq++;
		msg_hash(out, p->head);
	}
	return rc;
}

/* Start a new epoch: the next pub_next seals seq 1 of epoch+1. */
static inline void
pub_new_epoch(struct pub *p)
{
	p->epoch++;
	p->seq = 0;
	memset(p->head, 0, sizeof(p->head));
}

static inline blf_prefix
pfx(const char *s)
{
	blf_prefix p;

	if (blf_prefix_parse(s, strlen(s), 0, &p) != 0)
		abort();
	return p;
}

static inline blf_op
op_list(const char *prefix, uint64_t expires, const char *ref)
{
	blf_op op;

	memset(&op, 0, sizeof(op));
	op.type = BLF_OP_LIST;
	op.prefix = pfx(prefix);
	op.reason = 1;
	op.expires = expires;
	op.ref = ref;
	op.ref_len = ref ? (uint16_t)strlen(ref) : 0;
	return op;
}

static inline blf_op
op_simple(unsigned type, const char *prefix, const char *ref)
{
	blf_op op;

	memset(&op, 0, sizeof(op));
	op.type = (uint8_t)type;
	op.prefix = pfx(prefix);
	op.ref = ref;
	op.ref_len = ref ? (uint16_t)strlen(ref) : 0;
	return op;
}

static const blf_prefix all_scope[2] = {
	{ BLF_AF_INET, 0, { 0 } },
	{ BLF_AF_INET6, 0, { 0 } },
};

/* Add an anchor for p to st: everything allowed, widest /8 and /16. */
static inline void
store_add(trust_store *st, const struct pub *p, const char *name, uint32_t weight)
{
	trust_anchor a;

	trust_anchor_init(&a, name, p->ks->pk);
	a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
	a.scope = (blf_prefix *)(uintptr_t)all_scope;
	a.nscope = 2;
	a.authority = (blf_prefix *)(uintptr_t)all_scope;
	a.nauthority = 2;
	a.max4 = 8;
	a.max6 = 16;
	a.weight = weight;
	if (trust_store_add(st, &a, NULL, 0) != 0)
		abort();
}

/* ---- a canonical text dump of a core's state, order-independent -------- */

struct lines {
	char **v;
	size_t n, cap;
};

static inline void
lines_add(struct lines *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	if ((l->v[l->n++] = strdup(s)) == NULL)
		abort();
}

static inline int
lines_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record (via why of the whole address space), the view and the
 * heads at now, one sorted line each, as one malloc'd string. */
static inline char *
dump_state(core *c, uint64_t now)
{
	struct lines l = { 0 };
	char line[1024], pb[BLF_PREFIX_STRLEN], hex[BLF_KEYID_HEX_LEN + 1];
	blf_prefix all[2] = { pfx("0.0.0.0/0"), pfx("::/0") };
	core_iter it;
	core_entry e;
	blf_head *h;
	size_t i, j, nh, total = 1;
	char *out;
	int k;

	for (k = 0; k < 2; k++) {
		core_why w;

		if (core_why_page(c, &all[k], now, 0, (size_t)-1, &w) != 0)
			abort();
		for (i = 0; i < w.nitems; i++) {
			const core_why_item *x = &w.items[i];

			blf_prefix_format(&x->prefix, pb);
			snprintf(line, sizeof(line), "R %s %d %s %u %llu %llu %llu [%s] %d %d",
				 x->name, x->exclusion, pb, x->reason,
				 (unsigned long long)x->first, (unsigned long long)x->changed,
				 (unsigned long long)x->expires, x->ref, x->status, x->verdict);
			lines_add(&l, line);
		}
		core_why_free(&w);
	}
	if (core_iter_begin(c, now, &it) != 0)
		abort();
	while (core_iter_next(&it, &e) > 0) {
		int n;

		blf_prefix_format(&e.prefix, pb);
		n = snprintf(line, sizeof(line), "V %d %s %u %llu", e.kind, pb, e.weight,
			     (unsigned long long)e.expires);
		for (j = 0; j < e.nprov && n < 900; j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %s/%u/%llu/%.*s",
				      e.prov[j].name, e.prov[j].reason,
				      (unsigned long long)e.prov[j].first, (int)e.prov[j].ref_len,
				      e.prov[j].ref ? e.prov[j].ref : "");
		lines_add(&l, line);
	}
	core_iter_end(&it);
	if (core_heads(c, &h, &nh) != 0)
		abort();
	for (i = 0; i < nh; i++) {
		blf_keyid_hex(h[i].origin, hex);
		snprintf(line, sizeof(line), "H %s %u %llu %02x%02x%02x", hex, h[i].epoch,
			 (unsigned long long)h[i].seq, h[i].hash[0], h[i].hash[1], h[i].hash[2]);
		lines_add(&l, line);
	}
	free(h);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), lines_cmp);
	for (i = 0; i < l.n; i++)
		total += strlen(l.v[i]) + 1;
	if ((out = malloc(total)) == NULL)
		abort();
	out[0] = '\0';
	for (i = 0, j = 0; i < l.n; i++) {
		size_t n = strlen(l.v[i]);

		memcpy(out + j, l.v[i], n);
		out[j + n] = '\n';
		j += n + 1;
		out[j] = '\0';
		free(l.v[i]);
	}
	free(l.v);
	return out;
}


/* The fixture of the core tests: a data directory, three origins (a, b, c;
 * each test puts some of them in the store) and an optional open core. */
struct fx {
	char *dir;
	struct pub a, b, c;
	trust_store st;
	core_config cfg;
	core *core;
	blf_buf buf;
};

static inline struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || blf_init() != 0 || (f->dir = tmp_dir()) == NULL)
		abort();
	pub_init(&f->a, 1);
	pub_init(&f->b, 2);
	pub_init(&f->c, 3);
	f->cfg.no_fsync = 1;
	return f;
}

/* (Re)open the core on f->dir with f->cfg and f->st. */
static inline int
fx_open(struct fx *f)
{
	core_close(f->core);
	f->core = NULL;
	return core_open(f->dir, &f->cfg, &f->st, &f->core);
}

static inline int
fx_teardown(void **state)
{
	struct fx *f = *state;

	core_close(f->core);
	trust_store_free(&f->st);
	pub_free(&f->a);
	pub_free(&f->b);
	pub_free(&f->c);
	blf_buf_free(&f->buf);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

#endif /* TEST_CORE_UTIL_H */
