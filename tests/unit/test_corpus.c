/*
 * test_corpus.c - every file in tests/corpus/hostile/ gets exactly the
 * outcome that tests/corpus/hostile/EXPECTED names for it, and every fuzz
 * seed in the per-decoder folders is accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../protocol/blf.h"
#include "common/testkeys.h"

#define CORPUS "tests/corpus/"
#define MAX_FILE (8u << 20)

static struct tk_key ka, kb, kc;
static const struct tk_key *const keys[] = { &ka, &kb, &kc };
static struct tk_table table = { keys, 3 };

static const struct {
	const char *name;
	int code;
} codes[] = {
#define C(x) { #x, x }
	C(BLF_OK), C(BLF_ETOOBIG), C(BLF_ETRUNC), C(BLF_ETRAILING), C(BLF_EMSGPACK),
	C(BLF_ENONCANON), C(BLF_EDEPTH), C(BLF_ETYPE), C(BLF_EFIELDS), C(BLF_ESIZE),
	C(BLF_ERANGE), C(BLF_EVERSION), C(BLF_EUNKTYPE), C(BLF_EWRONGTYPE), C(BLF_EUNKKEY),
	C(BLF_EBADSIG), C(BLF_EKEYID), C(BLF_EPREFIX), C(BLF_EPREFIXLEN), C(BLF_EHOSTBITS),
	C(BLF_EMAPPED), C(BLF_EOPTYPE), C(BLF_EREASON), C(BLF_EEXPIRY), C(BLF_ESTRING),
	C(BLF_ELIMIT), C(BLF_ESEQ), C(BLF_EPREV), C(BLF_ECOUNTERSIG), C(BLF_EDUP),
	C(BLF_ECHUNK),
#undef C
};

static int
code_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].name, name) == 0)
			return codes[i].code;
	fail_msg("EXPECTED names an unknown outcome %s", name);
	return -1;
}

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(MAX_FILE);

	assert_non_null(f);
	assert_non_null(buf);
	*n = fread(buf, 1, MAX_FILE, f);
	assert_true(*n < MAX_FILE);
	fclose(f);
	return buf;
}

static int
run_decoder(const char *decoder, const uint8_t *p, size_t n)
{
	blf_envelope env;
	int err;

	if (strcmp(decoder, "delta-open") == 0) {
		blf_delta d;

		err = blf_delta_open(p, n, tk_lookup, &table, &env, &d);
		blf_delta_free(&d);
	} else if (strcmp(decoder, "delta-body") == 0) {
		blf_delta d;

		err = blf_delta_decode_body(p, n, &d);
		blf_delta_free(&d);
	} else if (strcmp(decoder, "envelope") == 0) {
		uint8_t pk[BLF_PK_LEN];

		if ((err = blf_envelope_parse(p, n, &env)) == BLF_OK &&
		    (err = tk_lookup(&table, env.signer, pk)) == BLF_OK)
			err = blf_envelope_verify(&env, pk);
	} else if (strcmp(decoder, "heads-body") == 0) {
		blf_heads h;

		err = blf_heads_decode_body(p, n, &h);
		blf_heads_free(&h);
	} else if (strcmp(decoder, "catchup-req-body") == 0) {
		blf_catchup_req r;

		err = blf_catchup_req_decode_body(p, n, &r);
	} else if (strcmp(decoder, "catchup-resp-body") == 0) {
		blf_catchup_resp r;

		err = blf_catchup_resp_decode_body(p, n, &r);
		blf_catchup_resp_free(&r);
	} else if (strcmp(decoder, "snapshot-body") == 0) {
		blf_snapshot s;

		err = blf_snapshot_decode_body(p, n, &s);
		blf_snapshot_free(&s);
	} else if (strcmp(decoder, "rollover-body") == 0) {
		blf_rollover r;

		err = blf_rollover_decode_body(p, n, &r);
	} else if (strcmp(decoder, "revocation-body") == 0) {
		blf_revocation r;

		err = blf_revocation_decode_body(p, n, &r);
	} else {
		fail_msg("EXPECTED names an unknown decoder %s", decoder);
		err = -1;
	}
	return err;
}

static void
test_hostile(void **state)
{
	FILE *f = fopen(CORPUS "hostile/EXPECTED", "r");
	char line[256];
	unsigned ran = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char file[128], decoder[64], expected[64], path[256];
		uint8_t *buf;
		size_t n;
		int err, want;

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%127s %63s %63s", file, decoder, expected), 3);
		snprintf(path, sizeof(path), CORPUS "hostile/%s", file);
		buf = slurp(path, &n);
		want = code_of(expected);
		err = run_decoder(decoder, buf, n);
		if (err != want)
			fail_msg("%s: got %s (%s), want %s", file, blf_strerror(err),
				 err == BLF_OK ? "accepted" : "refused", expected);
		free(buf);
		ran++;
	}
	fclose(f);
	assert_true(ran >= 40);
}

/* Valid seeds: each body in tests/corpus/<dir>/ decodes. */
static void
seeds_in(const char *dir, const char *decoder, const char *suffix)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	unsigned ran = 0;

	snprintf(path, sizeof(path), CORPUS "%s", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), n;
		uint8_t *buf;
		int err;

		if (len < strlen(suffix) || strcmp(e->d_name + len - strlen(suffix), suffix))
			continue;
		snprintf(path, sizeof(path), CORPUS "%s/%s", dir, e->d_name);
		buf = slurp(path, &n);
		err = run_decoder(decoder, buf, n);
		if (err != BLF_OK)
			fail_msg("%s: %s", path, blf_strerror(err));
		free(buf);
		ran++;
	}
	closedir(d);
	assert_true(ran > 0);
}

static void
test_seeds(void **state)
{
	(void)state;
	seeds_in("delta", "delta-body", ".body");
	seeds_in("envelope", "envelope", ".msg");
	seeds_in("heads", "heads-body", ".body");
	seeds_in("catchup_req", "catchup-req-body", ".body");
	seeds_in("catchup_resp", "catchup-resp-body", ".body");
	seeds_in("snapshot", "snapshot-body", ".body");
	seeds_in("rollover", "rollover-body", ".body");
	seeds_in("revocation", "revocation-body", ".body");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_seeds),
	};

	if (blf_init() != BLF_OK)
		return 1;
	tk_from_seed_byte(&ka, 0x00);
	tk_from_seed_byte(&kb, 0x20);
	tk_from_seed_byte(&kc, 0x40);
	return cmocka_run_group_tests_name("corpus", tests, NULL, NULL);
}
