/*
 * bench_keys.c - the trust store at country scale, beside references
 * measured in the same run.
 *
 * Figures (medians of BENCH_RUNS runs, default 7):
 *   - load: trust_store_load of a store whose one anchor has an authority of
 *     12,000 synthetic prefixes (9,000 IPv4 /8-/24 and 3,000 IPv6 /20-/48),
 *     inline in the store and from an authority-file;
 *   - check: trust_anchor_allows for exclude against that authority, half
 *     of the queries inside it, next to a plain scan of the list with
 *     blf_prefix_contains (what the check cost before the index);
 *   - unknown signer: trust_store_resolve of a key id that no anchor has, in
 *     a store of BENCH_ANCHORS anchors (default 64) each with 16 old and
 *     1,000 revoked keys (about 4 MB, the store's size limit), next to one
 *     BLAKE2b key id computation (the unit of the old cost: every old and
 *     revoked key was hashed per unknown key id).
 * BENCH_DIR is where the files go (default /var/tmp).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/keys.h"
#include "bench_util.h"

#define NPFX 12000
#define NQ 100000
#define T0 1800000000ull

static int runs = 7;

static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static int
pcmp(const void *a, const void *b)
{
	return blf_prefix_cmp(a, b);
}

/* One synthetic prefix from h: 3 in 4 IPv4 /8-/24, else IPv6 /20-/48. */
static void
synth(uint32_t h, blf_prefix *p)
{
	size_t j;

	memset(p, 0, sizeof(*p));
	if (h % 4 != 0) {
		uint32_t a;

		p->af = BLF_AF_INET;
		p->len = (uint8_t)(8 + mix32(h) % 17);
		a = mix32(h + 1) & (UINT32_MAX << (32 - p->len));
		p->addr[0] = (uint8_t)(a >> 24);
		p->addr[1] = (uint8_t)(a >> 16);
		p->addr[2] = (uint8_t)(a >> 8);
		p->addr[3] = (uint8_t)a;
	} else {
		uint32_t a = mix32(h + 2), b = mix32(h + 3);

		p->af = BLF_AF_INET6;
		p->len = (uint8_t)(20 + mix32(h) % 29);
		p->addr[0] = 0x24;
		p->addr[1] = (uint8_t)(a >> 24);
		p->addr[2] = (uint8_t)(a >> 16);
		p->addr[3] = (uint8_t)(a >> 8);
		p->addr[4] = (uint8_t)a;
		p->addr[5] = (uint8_t)(b >> 24);
		for (j = p->len; j < 128; j++)
			p->addr[j / 8] &= (uint8_t)~(0x80u >> (j % 8));
	}
}

/* n distinct synthetic prefixes in random order. */
static blf_prefix *
gen(size_t n, uint32_t salt)
{
	blf_prefix *v = malloc(2 * n * sizeof(*v)), *s = malloc(2 * n * sizeof(*v));
	size_t i, k, m = 2 * n;

	if (v == NULL || s == NULL)
		exit(2);
	for (i = 0; i < m; i++)
		synth(mix32((uint32_t)i + salt), &v[i]);
	memcpy(s, v, m * sizeof(*v));
	qsort(s, m, sizeof(*s), pcmp);
	/* keep the first n whose value is unique (a sorted copy says which) */
	for (i = 0, k = 0; i < m && k < n; i++) {
		blf_prefix *hit = bsearch(&v[i], s, m, sizeof(*s), pcmp);
		size_t at = (size_t)(hit - s);

		if ((at > 0 && blf_prefix_cmp(&s[at - 1], &v[i]) == 0) ||
		    (at + 1 < m && blf_prefix_cmp(&s[at + 1], &v[i]) == 0))
			continue;
		v[k++] = v[i];
	}
	free(s);
	if (k < n)
		exit(2);
	return v;
}

static void
write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static char *
b64(const uint8_t pk[BLF_PK_LEN])
{
	static char out[KEYS_B64_LEN + 1];

	sodium_bin2base64(out, sizeof(out), pk, BLF_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* Median milliseconds of trust_store_load(path). */
static double
time_load(const char *path, size_t want_auth)
{
	trust_store st;
	char err[KEYS_ERRLEN];
	double v[64], t;
	int r;

	for (r = 0; r < runs; r++) {
		t = bench_now();
		if (trust_store_load(path, &st, err, sizeof(err)) != BLF_OK) {
			fprintf(stderr, "load %s: %s\n", path, err);
			exit(2);
		}
		v[r] = (bench_now() - t) * 1e3;
		if (want_auth != 0 && st.anchors[0].nauthority != want_auth)
			exit(2);
		trust_store_free(&st);
	}
	return bench_median(v, runs);
}

int
main(void)
{
	const char *bdir = getenv("BENCH_DIR") != NULL ? getenv("BENCH_DIR") : "/var/tmp";
	char store1[512], store2[512], pfile[512], store3[512], err[KEYS_ERRLEN];
	char buf[BLF_PREFIX_STRLEN], line[KEYS_PUBLIC_STRLEN], *text;
	blf_prefix *auth, *q;
	uint8_t pk[BLF_PK_LEN], id[BLF_KEYID_LEN], unknown[64][BLF_KEYID_LEN];
	trust_store st;
	size_t i, j, len, cap, nanch = 64;
	double v[64], t, load_inline, load_file, check_ns, scan_ns, unk_us, blake_ns;
	volatile int sink = 0;
	int r, e;

	if (getenv("BENCH_RUNS") != NULL && (e = atoi(getenv("BENCH_RUNS"))) > 0 && e <= 63)
		runs = e;
	if (getenv("BENCH_ANCHORS") != NULL && atoi(getenv("BENCH_ANCHORS")) > 0)
		nanch = (size_t)atoi(getenv("BENCH_ANCHORS"));
	if (blf_init() != BLF_OK)
		return 2;
	snprintf(store1, sizeof(store1), "%s/bench_keys.%d.inline.conf", bdir, (int)getpid());
	snprintf(store2, sizeof(store2), "%s/bench_keys.%d.file.conf", bdir, (int)getpid());
	snprintf(pfile, sizeof(pfile), "%s/bench_keys.%d.cn.txt", bdir, (int)getpid());
	snprintf(store3, sizeof(store3), "%s/bench_keys.%d.keys.conf", bdir, (int)getpid());

	/* ---- a 12k-prefix authority ---- */
	auth = gen(NPFX, 1);
	cap = NPFX * (BLF_PREFIX_STRLEN + 1) + 4096;
	if ((text = malloc(cap)) == NULL)
		return 2;
	randombytes_buf(pk, sizeof(pk));
	key_public_format(pk, NULL, line, sizeof(line));
	len = (size_t)snprintf(text, cap, "# prefixes\n");
	for (i = 0; i < NPFX; i++) {
		len += blf_prefix_format(&auth[i], text + len);
		text[len++] = '\n';
	}
	write_text(pfile, text, len);
	len = (size_t)snprintf(text, cap, "anchor isc\n    key %s\n    permissions list delist "
			       "exclude\n", line);
	for (i = 0; i < NPFX; i++) {
		if (i % 64 == 0)
			len += (size_t)snprintf(text + len, cap - len, "%s    authority",
						i > 0 ? "\n" : "");
		blf_prefix_format(&auth[i], buf);
		len += (size_t)snprintf(text + len, cap - len, " %s", buf);
	}
	text[len++] = '\n';
	write_text(store1, text, len);
	len = (size_t)snprintf(text, cap, "anchor isc\n    key %s\n    permissions list delist "
			       "exclude\n    authority-file %s\n", line, pfile);
	write_text(store2, text, len);
	free(text);
	load_inline = time_load(store1, NPFX);
	load_file = time_load(store2, NPFX);

	/* ---- one policy check ---- */
	if (trust_store_load(store2, &st, err, sizeof(err)) != BLF_OK)
		return 2;
	q = malloc(NQ * sizeof(*q));
	if (q == NULL)
		return 2;
	for (i = 0; i < NQ; i++) {
		blf_prefix *p = &q[i];

		if (i % 2 == 0) {
			/* inside: a longer prefix in a listed one */
			*p = auth[mix32((uint32_t)i) % NPFX];
			if (p->len < (p->af == BLF_AF_INET ? 32 : 128)) {
				p->len++;
				p->addr[(p->len - 1) / 8] |= (uint8_t)(0x80u >> ((p->len - 1) % 8));
			}
		} else {
			synth(mix32((uint32_t)i + 77), p);
		}
	}
	for (r = 0; r < runs; r++) {
		t = bench_now();
		for (i = 0; i < NQ; i++)
			sink += trust_anchor_allows(&st.anchors[0], BLF_OP_EXCLUDE, &q[i], T0);
		v[r] = (bench_now() - t) * 1e9 / NQ;
	}
	check_ns = bench_median(v, runs);
	for (r = 0; r < runs; r++) {
		t = bench_now();
		for (i = 0; i < NQ / 10; i++) {
			int in = 0;

			for (j = 0; j < NPFX && !in; j++)
				in = blf_prefix_contains(&auth[j], &q[i]);
			sink += in;
		}
		v[r] = (bench_now() - t) * 1e9 / (NQ / 10);
	}
	scan_ns = bench_median(v, runs);
	trust_store_free(&st);

	/* ---- unknown signer in a store of many keys ---- */
	cap = nanch * (17 + KEYS_MAX_REVOKED) * 96 + 4096;
	if ((text = malloc(cap)) == NULL)
		return 2;
	len = 0;
	for (i = 0; i < nanch; i++) {
		randombytes_buf(pk, sizeof(pk));
		key_public_format(pk, NULL, line, sizeof(line));
		len += (size_t)snprintf(text + len, cap - len, "anchor a%zu\n    key %s\n", i, line);
		for (j = 0; j < 16; j++) {
			randombytes_buf(pk, sizeof(pk));
			len += (size_t)snprintf(text + len, cap - len,
						"    old-key %s until 2030-01-01\n", b64(pk));
		}
		for (j = 0; j < 1000; j++) {
			randombytes_buf(pk, sizeof(pk));
			len += (size_t)snprintf(text + len, cap - len, "    revoked-key %s\n",
						b64(pk));
		}
	}
	write_text(store3, text, len);
	free(text);
	if (trust_store_load(store3, &st, err, sizeof(err)) != BLF_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	for (i = 0; i < 64; i++)
		randombytes_buf(unknown[i], BLF_KEYID_LEN);
	for (r = 0; r < runs; r++) {
		t = bench_now();
		for (i = 0; i < 64; i++)
			sink += trust_store_resolve(&st, unknown[i], T0, NULL, pk);
		v[r] = (bench_now() - t) * 1e6 / 64;
	}
	unk_us = bench_median(v, runs);
	trust_store_free(&st);
	for (r = 0; r < runs; r++) {
		t = bench_now();
		for (i = 0; i < 100000; i++) {
			pk[0] = (uint8_t)i;
			blf_keyid(pk, id);
			sink += id[0];
		}
		v[r] = (bench_now() - t) * 1e9 / 100000;
	}
	blake_ns = bench_median(v, runs);

	printf("trust store, medians of %d runs\n", runs);
	printf("  load, 12,000-prefix authority inline      %8.2f ms\n", load_inline);
	printf("  load, 12,000-prefix authority-file        %8.2f ms\n", load_file);
	printf("  trust_anchor_allows (exclude), 12k list   %8.1f ns\n", check_ns);
	printf("  scan of the 12k list (reference)          %8.1f ns\n", scan_ns);
	printf("  resolve unknown key id, %zu anchors x %d keys %8.2f us\n", nanch, 1017,
	       unk_us);
	printf("  one key id, BLAKE2b (reference)           %8.1f ns\n", blake_ns);
	unlink(store1);
	unlink(store2);
	unlink(pfile);
	unlink(store3);
	free(auth);
	free(q);
	return sink == 42 ? 3 : 0;
}
