/*
 * bench_dispute.c - what disputes cost the view build (SPEC 8.6).
 *
 * One origin lists P IPv4 /32s (weight 100, threshold 100), spread over
 * 10.0.0.0/8; a second origin, with the dispute permission and authority
 * over 10.0.0.0/8, files D disputes of distinct /24s there (open: within
 * the window).  "build" is core_iter_begin after a state change (a trust
 * change, so that nothing else moves), the median of BENCH_RUNS runs; the
 * reference is the same build with no dispute, measured in the same run.
 * Environment: BENCH_DISPUTE_PREFIXES (1000000), BENCH_DISPUTE_COUNTS
 * (0,10,100,1000), BENCH_RUNS (3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_core_util.h"
#include "bench_util.h"

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_dispute: %s: %s\n", what, blf_strerror(rc));
	exit(1);
}

/* Apply n ops of p's next delta at now. */
static void
push(struct fx *f, struct pub *p, const blf_op *ops, size_t n, uint64_t now)
{
	core_result res;
	int rc;

	if ((rc = pub_next(p, now, ops, n, &f->buf)) != 0)
		die("seal", rc);
	if ((rc = core_apply(f->core, f->buf.data, f->buf.len, now, &res)) != 0)
		die("apply", rc);
}

/* One build after a trust change; seconds. */
static double
build(struct fx *f, uint64_t now, size_t *nview)
{
	core_iter it;
	core_entry e;
	double t0;
	int rc;

	if ((rc = core_set_trust(f->core, &f->st)) != 0)
		die("trust", rc);
	t0 = bench_now();
	if ((rc = core_iter_begin(f->core, now, &it)) != 0)
		die("build", rc);
	t0 = bench_now() - t0;
	*nview = 0;
	while (core_iter_next(&it, &e) > 0)
		(*nview)++;
	core_iter_end(&it);
	return t0;
}

int
main(void)
{
	const char *ps = getenv("BENCH_DISPUTE_PREFIXES");
	const char *cs = getenv("BENCH_DISPUTE_COUNTS");
	const char *rs = getenv("BENCH_RUNS");
	size_t np = ps ? strtoul(ps, NULL, 10) : 1000000, i, k, nview = 0, held = 0;
	int runs = rs ? atoi(rs) : 3, r;
	char counts[256], *tok, *save = NULL;
	blf_op *ops = calloc(BLF_MAX_OPS, sizeof(*ops));
	uint64_t now = T0;
	double ref = 0, t[16];
	struct fx *f = fx_new();
	trust_anchor *fa;
	char err[256];

	if (ops == NULL || runs < 1 || runs > 16)
		die("setup", BLF_EINVAL);
	snprintf(counts, sizeof(counts), "%s", cs ? cs : "0,10,100,1000");
	store_add(&f->st, &f->a, "lister", 100);
	store_add(&f->st, &f->b, "filer", 100);
	fa = trust_store_find_origin_mut(&f->st, f->b.origin);
	fa->perms |= TRUST_DISPUTE;
	if (trust_anchor_set(fa, "authority", "10.0.0.0/8", err, sizeof(err)) != 0)
		die("authority", BLF_EINVAL);
	if (fx_open(f) != 0)
		die("open", BLF_EIO);
	/* P /32s spread over 10.0.0.0/8 */
	for (i = 0; i < np; i += k) {
		for (k = 0; k < BLF_MAX_OPS && i + k < np; k++) {
			uint32_t a = 0x0a000000u | (uint32_t)(((i + k) * 2654435761u) & 0xffffffu);

			memset(&ops[k], 0, sizeof(ops[k]));
			ops[k].type = BLF_OP_LIST;
			bench_v4(&ops[k].prefix, a, 32);
			ops[k].reason = 1;
			ops[k].expires = now + 86400;
		}
		/* the multiplier is odd: distinct i give distinct /32s */
		push(f, &f->a, ops, k, now);
	}
	printf("| disputes | listings | entries | build (median of %d) | vs no dispute | ns/listing added |\n",
	       runs);
	printf("|---:|---:|---:|---:|---:|---:|\n");
	for (tok = strtok_r(counts, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		size_t want = strtoul(tok, NULL, 10);
		double med;

		/* file disputes of distinct /24s up to want (at most 1024 per origin) */
		while (held < want) {
			for (k = 0; k < BLF_MAX_OPS && held + k < want; k++) {
				memset(&ops[k], 0, sizeof(ops[k]));
				ops[k].type = BLF_OP_DISPUTE;
				bench_v4(&ops[k].prefix, 0x0a000000u | (uint32_t)((held + k) << 8), 24);
				ops[k].reason = 2;
			}
			push(f, &f->b, ops, k, now);
			held += k;
		}
		for (r = 0; r < runs; r++)
			t[r] = build(f, now, &nview);
		med = bench_median(t, runs);
		if (want == 0)
			ref = med;
		printf("| %zu | %zu | %zu | %.3f s | %.2fx | %.0f |\n", want, np, nview, med,
		       ref > 0 ? med / ref : 0.0, ref > 0 ? (med - ref) * 1e9 / (double)np : 0.0);
	}
	free(ops);
	fx_teardown((void **)&f);
	return 0;
}
