/*
 * test_keys.c - key pairs, secret key files and the public key line.
 *
 * Files are written under a fresh mkdtemp() directory.  Seeds are fixed so
 * that the tests can look for the seed's base64 in everything that is meant
 * to be public.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pwd.h>

#include <sodium.h>

#include "../../keys/keys.h"

static char dir[64];

static void
path_in(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static void
seed_fill(uint8_t seed[BLF_SEED_LEN], uint8_t v)
{
	size_t i;

	for (i = 0; i < BLF_SEED_LEN; i++)
		seed[i] = (uint8_t)(v + i);
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_from_seed(void **state)
{
	uint8_t seed[BLF_SEED_LEN], pk[BLF_PK_LEN], sk[BLF_SK_LEN], id[BLF_KEYID_LEN];
	key_secret *k = NULL, *k2 = NULL;

	(void)state;
	seed_fill(seed, 1);
	assert_int_equal(key_secret_from_seed(seed, "test key", &k), BLF_OK);
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_memory_equal(k->pk, pk, BLF_PK_LEN);
	assert_memory_equal(k->sk, sk, BLF_SK_LEN);
	blf_keyid(pk, id);
	assert_memory_equal(k->keyid, id, BLF_KEYID_LEN);
	assert_memory_equal(k->origin, id, BLF_KEYID_LEN);
	assert_string_equal(k->comment, "test key");
	/* a comment with a control character is refused */
	assert_int_equal(key_secret_from_seed(seed, "bad\ncomment", &k2), BLF_ESTRING);
	assert_null(k2);
	key_secret_free(k);
	key_secret_free(NULL);
}

static void
test_generate_differs(void **state)
{
	key_secret *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(key_secret_generate("", &a), BLF_OK);
	assert_int_equal(key_secret_generate("", &b), BLF_OK);
	assert_memory_not_equal(a->pk, b->pk, BLF_PK_LEN);
	key_secret_free(a);
	key_secret_free(b);
}

static void
test_save_load(void **state)
{
	char path[128], err[KEYS_ERRLEN], text[1024];
	uint8_t seed[BLF_SEED_LEN];
	key_secret *k = NULL, *l = NULL;
	struct stat sb;
	FILE *f;
	size_t n;

	(void)state;
	path_in(path, sizeof(path), "k1.secret");
	seed_fill(seed, 7);
	assert_int_equal(key_secret_from_seed(seed, "Org A <abuse@a.example>", &k), BLF_OK);
	assert_int_equal(key_secret_save(k, path, err, sizeof(err)), BLF_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* never overwritten */
	assert_int_equal(key_secret_save(k, path, err, sizeof(err)), BLF_EEXIST);
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_OK);
	assert_memory_equal(l->sk, k->sk, BLF_SK_LEN);
	assert_memory_equal(l->pk, k->pk, BLF_PK_LEN);
	assert_memory_equal(l->origin, k->keyid, BLF_KEYID_LEN);
	assert_string_equal(l->comment, "Org A <abuse@a.example>");
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "# blfed secret key - keep private\n"));
	assert_non_null(strstr(text, "blfed-ed25519-secret "));
	assert_null(strstr(text, "origin"));
	key_secret_free(l);
	key_secret_free(k);
}

static void
test_origin_line(void **state)
{
	char path[128], err[KEYS_ERRLEN];
	uint8_t seed[BLF_SEED_LEN];
	key_secret *k = NULL, *l = NULL;

	(void)state;
	path_in(path, sizeof(path), "rotated.secret");
	seed_fill(seed, 9);
	assert_int_equal(key_secret_from_seed(seed, "", &k), BLF_OK);
	memset(k->origin, 0xab, BLF_KEYID_LEN);
	assert_int_equal(key_secret_save(k, path, err, sizeof(err)), BLF_OK);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_OK);
	assert_memory_equal(l->origin, k->origin, BLF_KEYID_LEN);
	assert_string_equal(l->comment, "");
	key_secret_free(l);
	key_secret_free(k);
}

static void
test_mode_refused(void **state)
{
	static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0610, 0700 | 0004};
	char path[128], err[KEYS_ERRLEN];
	uint8_t seed[BLF_SEED_LEN];
	key_secret *k = NULL, *l = NULL;
	size_t i;

	(void)state;
	path_in(path, sizeof(path), "mode.secret");
	seed_fill(seed, 3);
	assert_int_equal(key_secret_from_seed(seed, "", &k), BLF_OK);
	assert_int_equal(key_secret_save(k, path, err, sizeof(err)), BLF_OK);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		err[0] = '\0';
		assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
		assert_null(l);
		assert_non_null(strstr(err, "by group or others"));
		assert_non_null(strstr(err, "chmod 600"));
	}
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "is readable by group or others (mode 0644); chmod 600 it"));
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_OK);
	key_secret_free(l);
	key_secret_free(k);
	/* not a regular file */
	assert_int_equal(key_secret_load(dir, &l, err, sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "not a regular file"));
	/* missing */
	path_in(path, sizeof(path), "missing.secret");
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_ENOTFOUND);
}

/* A key owned by someone else, or in a directory others may write, is
 * refused (as ssh refuses them). */
static void
test_owner_refused(void **state)
{
	char sub[128], path[160], err[KEYS_ERRLEN];
	uint8_t seed[BLF_SEED_LEN];
	key_secret *k = NULL, *l = NULL;
	struct passwd *nobody;

	(void)state;
	path_in(sub, sizeof(sub), "keys");
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/own.secret", sub);
	seed_fill(seed, 5);
	assert_int_equal(key_secret_from_seed(seed, "", &k), BLF_OK);
	assert_int_equal(key_secret_save(k, path, err, sizeof(err)), BLF_OK);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_OK);
	key_secret_free(l);
	l = NULL;
	/* the key's directory writable by others, sticky or not */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
	assert_null(l);
	assert_non_null(strstr(err, "is writable by group or others (mode 0777)"));
	assert_int_equal(chmod(sub, 01777), 0);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
	assert_int_equal(chmod(sub, 0720), 0);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
	/* a new key is not written there either */
	snprintf(path, sizeof(path), "%s/new.secret", sub);
	assert_int_equal(key_secret_save(k, path, err, sizeof(err)), BLF_EPOLICY);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/own.secret", sub);
	/* a directory above it writable by others and not sticky */
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, dir));
	assert_int_equal(chmod(dir, 01777), 0); /* sticky, as /tmp: fine */
	assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_OK);
	key_secret_free(l);
	l = NULL;
	assert_int_equal(chmod(dir, 0700), 0);
	/* owned by another user (needs root to arrange) */
	if (geteuid() == 0 && (nobody = getpwnam("nobody")) != NULL) {
		assert_int_equal(chown(path, nobody->pw_uid, nobody->pw_gid), 0);
		assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
		assert_null(l);
		assert_non_null(strstr(err, "belongs to uid"));
		/* and a directory owned by another user */
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(chown(sub, nobody->pw_uid, nobody->pw_gid), 0);
		assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), BLF_EPOLICY);
		assert_non_null(strstr(err, "belongs to uid"));
		assert_int_equal(chown(sub, 0, 0), 0);
	} else {
		printf("test_owner_refused: not root (or no user nobody): ownership case "
		       "skipped\n");
	}
	key_secret_free(k);
}

/* Comments follow the protocol's text rule plus no bidi controls. */
static void
test_comment_text(void **state)
{
	static const char *const bad[] = {
		"\xc2\x9b" "31m",         /* C1 CSI */
		"evil\xe2\x80\xae" "gpj", /* U+202E RIGHT-TO-LEFT OVERRIDE */
		"\xe2\x81\xa6x",          /* U+2066 */
		"\xe2\x80\x8f",           /* U+200F */
		"a\xd8\x9c",               /* U+061C */
		"\xff",                   /* not UTF-8 */
		"\xc0\xaf",               /* overlong */
		"\xed\xa0\x80",           /* surrogate */
		"\x1b[2J",                 /* C0 ESC */
	};
	char line[KEYS_PUBLIC_STRLEN + 64], base[KEYS_PUBLIC_STRLEN], err[KEYS_ERRLEN];
	char comment[KEYS_COMMENT_MAX + 1];
	uint8_t seed[BLF_SEED_LEN], pk[BLF_PK_LEN];
	key_secret *k = NULL;
	size_t i;

	(void)state;
	seed_fill(seed, 9);
	assert_int_equal(key_secret_from_seed(seed, "", &k), BLF_OK);
	key_public_format(k->pk, NULL, base, sizeof(base));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s %s", base, bad[i]);
		err[0] = '\0';
		assert_int_equal(key_public_parse(line, pk, comment, sizeof(comment), err,
						  sizeof(err)), BLF_ESTRING);
		assert_non_null(strstr(err, "bidirectional"));
		key_secret_free(k);
		k = NULL;
		assert_int_equal(key_secret_from_seed(seed, bad[i], &k), BLF_ESTRING);
		assert_int_equal(key_secret_from_seed(seed, "", &k), BLF_OK);
	}
	/* text in any script is fine */
	snprintf(line, sizeof(line), "%s \xe4\xb8\xad\xe5\x9b\xbd ASCT \xc3\xa9", base);
	assert_int_equal(key_public_parse(line, pk, comment, sizeof(comment), err, sizeof(err)),
			 BLF_OK);
	assert_string_equal(comment, "\xe4\xb8\xad\xe5\x9b\xbd ASCT \xc3\xa9");
	assert_int_equal(trust_text_check("\xe2\x80\x8d", 3), BLF_OK); /* ZWJ is not bidi */
	key_secret_free(k);
}

static void
test_secret_malformed(void **state)
{
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
		{"", BLF_EINVAL},
		{"# only a comment\n", BLF_EINVAL},
		{"blfed-ed25519-secret 00 AAAA\n", BLF_EINVAL},
		{"something else\n", BLF_EINVAL},
		/* key id of a different key */
		{"blfed-ed25519-secret 00000000000000000000000000000000 "
		 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", BLF_EKEYID},
		/* seed too short */
		{"blfed-ed25519-secret 00000000000000000000000000000000 AAECAwQF\n",
		 BLF_ESIZE},
	};
	char path[128], err[KEYS_ERRLEN];
	key_secret *l = NULL;
	size_t i;

	(void)state;
	path_in(path, sizeof(path), "bad.secret");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(path, cases[i].text, 0600);
		err[0] = '\0';
		assert_int_equal(key_secret_load(path, &l, err, sizeof(err)), cases[i].rc);
		assert_null(l);
		/* never quote the secret line */
		assert_null(strstr(err, "AAECAwQF"));
	}
}

static void
test_public_roundtrip(void **state)
{
	uint8_t seed[BLF_SEED_LEN], pk[BLF_PK_LEN];
	char line[KEYS_PUBLIC_STRLEN], comment[KEYS_COMMENT_MAX + 1], err[KEYS_ERRLEN];
	char b64[64], hex[BLF_KEYID_HEX_LEN + 1], seed64[64];
	key_secret *k = NULL;
	size_t n;

	(void)state;
	seed_fill(seed, 11);
	assert_int_equal(key_secret_from_seed(seed, "Org B", &k), BLF_OK);
	n = key_public_format(k->pk, "Org B ops", line, sizeof(line));
	assert_int_equal(n, strlen(line));
	sodium_bin2base64(b64, sizeof(b64), k->pk, BLF_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	blf_keyid_hex(k->keyid, hex);
	{
		char want[256];

		snprintf(want, sizeof(want), "blfed-ed25519 %s %s Org B ops", hex, b64);
		assert_string_equal(line, want);
	}
	/* no secret byte in the public line */
	sodium_bin2base64(seed64, sizeof(seed64), seed, BLF_SEED_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	assert_null(strstr(line, seed64));
	assert_int_equal(key_public_parse(line, pk, comment, sizeof(comment), err, sizeof(err)),
			 BLF_OK);
	assert_memory_equal(pk, k->pk, BLF_PK_LEN);
	assert_string_equal(comment, "Org B ops");
	/* bare base64, with a newline */
	strcat(b64, "\n");
	memset(pk, 0, sizeof(pk));
	assert_int_equal(key_public_parse(b64, pk, NULL, 0, err, sizeof(err)), BLF_OK);
	assert_memory_equal(pk, k->pk, BLF_PK_LEN);
	/* too small a buffer */
	assert_int_equal(key_public_format(k->pk, "", line, 20), 0);
	key_secret_free(k);
}

static void
test_public_bad(void **state)
{
	static const struct {
		const char *line;
		int rc;
		const char *msg;
	} cases[] = {
		{"", BLF_EINVAL, "empty"},
		{"ssh-ed25519 AAAA x", BLF_EINVAL, "unknown key type"},
		{"blfed-ed25519 123 AAAA", BLF_EINVAL, "bad key id (expected 32 hex digits"},
		/* 31 bytes */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", BLF_ESIZE, "wrong length"},
		/* 33 bytes */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", BLF_ESIZE, "wrong length"},
		/* 44 characters, not base64 */
		{"!!ECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", BLF_EINVAL, "not valid base64"},
		/* the key id does not belong to the key */
		{"blfed-ed25519 00000000000000000000000000000000 "
		 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= c", BLF_EKEYID, "does not match"},
		{"blfed-ed25519-secret 00000000000000000000000000000000 x", BLF_EINVAL,
		 "secret key line"},
	};
	uint8_t pk[BLF_PK_LEN];
	char err[KEYS_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(key_public_parse(cases[i].line, pk, NULL, 0, err, sizeof(err)),
				 cases[i].rc);
		assert_non_null(strstr(err, cases[i].msg));
	}
}

static void
test_public_load(void **state)
{
	char path[128], spath[128], err[KEYS_ERRLEN], line[KEYS_PUBLIC_STRLEN + 40];
	char comment[KEYS_COMMENT_MAX + 1];
	uint8_t seed[BLF_SEED_LEN], pk[BLF_PK_LEN], origin[BLF_KEYID_LEN];
	key_secret *k = NULL;

	(void)state;
	seed_fill(seed, 21);
	assert_int_equal(key_secret_from_seed(seed, "C", &k), BLF_OK);
	path_in(path, sizeof(path), "c.pub");
	key_public_format(k->pk, "the C key", line + 20, sizeof(line) - 20);
	memcpy(line, "# a comment line\n\n  ", 20);
	strcat(line, "\n");
	write_text(path, line, 0644);
	assert_int_equal(key_public_load_info(path, pk, comment, sizeof(comment), origin, err,
					      sizeof(err)), BLF_OK);
	assert_memory_equal(pk, k->pk, BLF_PK_LEN);
	assert_string_equal(comment, "the C key");
	assert_memory_equal(origin, k->keyid, BLF_KEYID_LEN);
	/* the public half of a secret key file, with its mode check */
	path_in(spath, sizeof(spath), "c.secret");
	assert_int_equal(key_secret_save(k, spath, err, sizeof(err)), BLF_OK);
	memset(pk, 0, sizeof(pk));
	assert_int_equal(key_public_load(spath, pk, err, sizeof(err)), BLF_OK);
	assert_memory_equal(pk, k->pk, BLF_PK_LEN);
	assert_int_equal(chmod(spath, 0644), 0);
	assert_int_equal(key_public_load(spath, pk, err, sizeof(err)), BLF_EPOLICY);
	/* empty file */
	write_text(path, "# nothing\n", 0644);
	assert_int_equal(key_public_load(path, pk, err, sizeof(err)), BLF_EINVAL);
	assert_non_null(strstr(err, "no key"));
	key_secret_free(k);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_keys.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return blf_init() == BLF_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_seed),
		cmocka_unit_test(test_generate_differs),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_origin_line),
		cmocka_unit_test(test_mode_refused),
		cmocka_unit_test(test_owner_refused),
		cmocka_unit_test(test_comment_text),
		cmocka_unit_test(test_secret_malformed),
		cmocka_unit_test(test_public_roundtrip),
		cmocka_unit_test(test_public_bad),
		cmocka_unit_test(test_public_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
