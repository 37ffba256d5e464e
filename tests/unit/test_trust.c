/*
 * test_trust.c - trust store parsing, formatting and atomic saving; policy
 * decisions; key resolution; rollover and revocation.
 *
 * Keys come from fixed seeds.  Store texts are built with the keys' base64
 * so that every test states its input in full; bad inputs assert the exact
 * error code, the line number and the reason in the message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/keys.h"
#include "../../keys/keys_int.h" /* keys_keyindex_current */

#define T0 1800000000ull /* 2027-01-15T08:00:00Z: "now" in these tests */

/* A const store gives const anchors: no lookup launders const away. */
#define GIVES_CONST(call) _Generic((call), const trust_anchor *: 1, default: 0)
_Static_assert(GIVES_CONST(trust_store_find_name((const trust_store *)0, "")),
	       "trust_store_find_name on a const store must return a const anchor");
_Static_assert(GIVES_CONST(trust_store_find_origin((const trust_store *)0, NULL)),
	       "trust_store_find_origin on a const store must return a const anchor");
_Static_assert(GIVES_CONST(trust_store_find_keyid((const trust_store *)0, NULL)),
	       "trust_store_find_keyid on a const store must return a const anchor");

static char dir[64];
static key_secret *k1, *k2, *k3, *k4;
static char b1[KEYS_B64_LEN + 1], b2[KEYS_B64_LEN + 1], b3[KEYS_B64_LEN + 1];
static char b4[KEYS_B64_LEN + 1];

static void
b64_of(const key_secret *k, char *out)
{
	char line[KEYS_PUBLIC_STRLEN];

	key_public_format(k->pk, NULL, line, sizeof(line));
	memcpy(out, line + 14 + BLF_KEYID_HEX_LEN + 1, KEYS_B64_LEN);
	out[KEYS_B64_LEN] = '\0';
}

static key_secret *
key_from(uint8_t v)
{
	uint8_t seed[BLF_SEED_LEN];
	key_secret *k = NULL;
	size_t i;

	for (i = 0; i < BLF_SEED_LEN; i++)
		seed[i] = (uint8_t)(v * 3 + i);
	assert_int_equal(key_secret_from_seed(seed, "", &k), BLF_OK);
	return k;
}

static blf_prefix
pfx(const char *s)
{
	blf_prefix p;

	assert_int_equal(blf_prefix_parse(s, strlen(s), 0, &p), BLF_OK);
	return p;
}

static void
parse_ok(const char *text, trust_store *st)
{
	char err[KEYS_ERRLEN] = "";
	int rc = trust_store_parse(text, strlen(text), "t.conf", st, err, sizeof(err));

	if (rc != BLF_OK)
		fail_msg("parse failed: %s", err);
}

/* ---- parsing -------------------------------------------------------------- */

static void
test_parse_full(void **state)
{
	char text[2048], hex[BLF_KEYID_HEX_LEN + 1];
	trust_store st;
	const trust_anchor *a, *b;
	blf_prefix p;

	(void)state;
	blf_keyid_hex(k1->keyid, hex);
	snprintf(text, sizeof(text),
		 "# blfed trust anchors\n"
		 "\n"
		 "anchor ASCT\n"
		 "    key blfed-ed25519 %s %s\n"
		 "    permissions list delist exclude\n"
		 "    scope 1.2.0.0/16 2001:db8::/32\n"
		 "    authority 1.2.3.0/24\n"
		 "    max-prefix 22 40\n"
		 "    weight 250\n"
		 "    expires 2027-12-31T00:00:00Z\n"
		 "    rollover refuse\n"
		 "    old-key %s until 2027-02-01T00:00:00Z\n"
		 "    revoked-key %s\n"
		 "    note Anti-Spam Coordination Team\n"
		 "\r\n"
		 "anchor relay.example\n"
		 "\tkey %s\r\n"
		 "\tpermissions relay-only\n",
		 hex, b1, b2, b3, b4);
	parse_ok(text, &st);
	assert_int_equal(st.nanchors, 2);
	a = trust_store_find_name(&st, "ASCT");
	assert_non_null(a);
	assert_memory_equal(a->pk, k1->pk, BLF_PK_LEN);
	assert_memory_equal(a->keyid, k1->keyid, BLF_KEYID_LEN);
	assert_memory_equal(a->origin, k1->keyid, BLF_KEYID_LEN);
	assert_int_equal(a->perms, TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE);
	assert_int_equal(a->nscope, 2);
	p = pfx("2001:db8::/32");
	assert_int_equal(blf_prefix_cmp(&a->scope[1], &p), 0);
	assert_int_equal(a->nauthority, 1);
	assert_int_equal(a->max4, 22);
	assert_int_equal(a->max6, 40);
	assert_int_equal(a->weight, 250);
	assert_int_equal(a->expires, 1830211200ull);
	assert_int_equal(a->accept_rollover, 0);
	assert_int_equal(a->nold, 1);
	assert_memory_equal(a->old[0].pk, k2->pk, BLF_PK_LEN);
	assert_int_equal(a->old[0].until, 1801440000ull);
	assert_int_equal(a->nrevoked, 1);
	assert_memory_equal(a->revoked[0], k3->pk, BLF_PK_LEN);
	assert_string_equal(a->note, "Anti-Spam Coordination Team");
	b = trust_store_find_name(&st, "relay.example");
	assert_non_null(b);
	assert_int_equal(b->perms, TRUST_RELAY_ONLY);
	/* defaults */
	assert_int_equal(b->max4, KEYS_DEFAULT_MAX4);
	assert_int_equal(b->max6, KEYS_DEFAULT_MAX6);
	assert_int_equal(b->weight, KEYS_DEFAULT_WEIGHT);
	assert_int_equal(b->expires, 0);
	assert_int_equal(b->accept_rollover, 1);
	assert_null(b->note);
	assert_ptr_equal(trust_store_find_origin(&st, k4->keyid), b);
	assert_ptr_equal(trust_store_find_keyid(&st, k2->keyid), a);
	assert_ptr_equal(trust_store_find_keyid(&st, k3->keyid), a);
	assert_null(trust_store_find_name(&st, "nope"));
	trust_store_free(&st);
	trust_store_free(&st);
}

struct bad_case {
	const char *fmt;  /* each %s is replaced by a key's base64 ... */
	const char *keys; /* ... "1" = k1, "2" = k2, in order */
	int rc;
	unsigned line;
	const char *reason;
};

static const struct bad_case bad_cases[] = {
	{"key %s\n", "1", BLF_EINVAL, 1, "before the first anchor"},
	{"anchor a\n  key %s\n  colour red\n", "1", BLF_EINVAL, 3, "unknown field \"colour\""},
	{"anchor a\n  key %s\n  weight 1\n  weight 2\n", "1", BLF_EEXIST, 4,
	 "weight given twice in anchor a"},
	{"anchor a\n  key %s\nanchor a\n  key %s\n", "12", BLF_EEXIST, 3,
	 "anchor a defined twice"},
	{"anchor a\n  key %s\n  scope 10.0.0.0/33\n", "1", BLF_EPREFIXLEN, 3,
	 "scope 10.0.0.0/33: prefix length out of range"},
	{"anchor a\n  key %s\n  scope 10.0.0.1/8\n", "1", BLF_EHOSTBITS, 3, "scope 10.0.0.1/8"},
	{"anchor a\n  key %s\n  authority ::ffff:1.2.3.4\n", "1", BLF_EMAPPED, 3, "authority"},
	{"anchor a\n  key %s\n  scope 10.0.0/8\n", "1", BLF_EPREFIX, 3, "scope 10.0.0/8"},
	{"anchor a\n  key %s\n  scope 10.0.0.0/8 10.0.0.0/8\n", "1", BLF_EEXIST, 3,
	 "listed twice"},
	{"anchor a\n  key %s\n  scope\n", "1", BLF_EINVAL, 3, "scope: missing value"},
	{"anchor a\n  key %s\n  max-prefix 33 48\n", "1", BLF_ERANGE, 3, "IPv4 length"},
	{"anchor a\n  key %s\n  max-prefix 24 129\n", "1", BLF_ERANGE, 3, "IPv6 length"},
	{"anchor a\n  key %s\n  max-prefix 24\n", "1", BLF_EINVAL, 3, "expected two lengths"},
	{"anchor a\n  key %s\n  weight -1\n", "1", BLF_EINVAL, 3, "weight -1"},
	{"anchor a\n  key %s\n  weight 1000001\n", "1", BLF_ERANGE, 3, "weight 1000001"},
	{"anchor a\n  key %s\n  weight 007\n", "1", BLF_EINVAL, 3, "weight 007"},
	{"anchor a\n  key %s\n  expires 2027-02-30\n", "1", BLF_EINVAL, 3,
	 "expires 2027-02-30"},
	{"anchor a\n  key %s\n  expires tomorrow\n", "1", BLF_EINVAL, 3, "expires tomorrow"},
	{"anchor a\n  key %s\n  rollover maybe\n", "1", BLF_EINVAL, 3, "accept or refuse"},
	{"anchor a\n  key %s\n  permissions list relay-only\n", "1", BLF_EINVAL, 3,
	 "relay-only cannot be combined"},
	{"anchor a\n  key %s\n  permissions list publish\n", "1", BLF_EINVAL, 3,
	 "unknown permission"},
	{"anchor a\n  key AAAA\n", "", BLF_ESIZE, 2, "key: wrong length"},
	{"anchor a\n  permissions list\n", "", BLF_EINVAL, 1, "anchor a has no key"},
	{"anchor a\n  key %s\nanchor b\n  key %s\n  old-key %s until 2030-01-01\n", "122",
	 BLF_EEXIST, 5, "old-key: this is the current key"},
	{"anchor a\n  key %s\n\nanchor b\n  key %s\n", "11", BLF_EEXIST, 4,
	 "key already belongs to anchor a"},
	{"anchor a\n  key %s\n  revoked-key %s\nanchor b\n  key %s\n", "122", BLF_EREVOKED,
	 4, "revoked"},
	{"anchor a\n  key %s\n  old-key %s\n", "12", BLF_EINVAL, 3, "until"},
	{"anchor a\n  key %s\n  origin 12345\n", "1", BLF_EINVAL, 3, "origin 12345"},
	{"anchor a b\n  key %s\n", "1", BLF_EINVAL, 1, "anchor name"},
	{"anchor a\n  key %s\n  note bell\a\n", "1", BLF_ESTRING, 3, "control character"},
	{"anchor a\n  key %s\n  key %s\n", "12", BLF_EEXIST, 3, "key given twice"},
};

/* Replace each %s of fmt by the base64 of the key keys names. */
static void
subst(const char *fmt, const char *keys, char *out, size_t cap)
{
	size_t len = 0;
	const char *k;

	while (*fmt != '\0' && len + 50 < cap) {
		if (fmt[0] == '%' && fmt[1] == 's') {
			k = *keys == '1' ? b1 : b2;
			assert_true(*keys != '\0');
			keys++;
			memcpy(out + len, k, KEYS_B64_LEN);
			len += KEYS_B64_LEN;
			fmt += 2;
		} else {
			out[len++] = *fmt++;
		}
	}
	out[len] = '\0';
}

static void
test_parse_bad(void **state)
{
	char text[1024], err[KEYS_ERRLEN], want[64];
	trust_store st;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		subst(c->fmt, c->keys, text, sizeof(text));
		err[0] = '\0';
		st.nanchors = 99;
		rc = trust_store_parse(text, strlen(text), "t.conf", &st, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("case %zu: rc %d (want %d): %s", i, rc, c->rc, err);
		snprintf(want, sizeof(want), "t.conf:%u: ", c->line);
		if (strncmp(err, want, strlen(want)) != 0 || strstr(err, c->reason) == NULL ||
		    strchr(err, '`') == NULL)
			fail_msg("case %zu: message \"%s\" (want \"%s...%s\")", i, err, want,
				 c->reason);
		assert_int_equal(st.nanchors, 0);
		assert_null(st.anchors);
	}
}

static void
test_parse_limits(void **state)
{
	char *text, err[KEYS_ERRLEN];
	trust_store st;
	size_t n = KEYS_MAX_FILE + 1;

	(void)state;
	text = malloc(n);
	assert_non_null(text);
	memset(text, '#', n);
	assert_int_equal(trust_store_parse(text, n, "big", &st, err, sizeof(err)),
			 BLF_ETOOBIG);
	/* a line longer than KEYS_LINE_MAX */
	memset(text, 'x', KEYS_LINE_MAX + 10);
	assert_int_equal(trust_store_parse(text, KEYS_LINE_MAX + 10, "long", &st, err,
					   sizeof(err)), BLF_ETOOBIG);
	assert_non_null(strstr(err, "long:1: line longer"));
	/* the message quotes the start of the line, not an empty line */
	assert_non_null(strstr(err, ": `xxxxxxxxxx"));
	/* NUL byte */
	assert_int_equal(trust_store_parse("anchor a\0b\n", 11, "nul", &st, err, sizeof(err)),
			 BLF_ESTRING);
	assert_non_null(strstr(err, "nul:1: NUL byte"));
	/* empty text: an empty store */
	assert_int_equal(trust_store_parse("", 0, "empty", &st, err, sizeof(err)), BLF_OK);
	assert_int_equal(st.nanchors, 0);
	free(text);
}

/* ---- formatting and saving ------------------------------------------------ */

static void
build_store(trust_store *st)
{
	char err[KEYS_ERRLEN];
	trust_anchor a;

	memset(st, 0, sizeof(*st));
	trust_anchor_init(&a, "ASCT", k1->pk);
	assert_int_equal(trust_anchor_set(&a, "permissions", "list,delist,exclude", err,
					  sizeof(err)), BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "scope", "1.2.0.0/16, 2001:db8::/32", err,
					  sizeof(err)), BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "authority", "1.2.3.0/24", err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "max-prefix", "22/40", err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "expires", "2027-12-31", err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "note", "  spaces and \"quotes\"  ", err,
					  sizeof(err)), BLF_OK);
	{
		char v[128];

		snprintf(v, sizeof(v), "%s until 2027-02-01T00:00:00Z", b2);
		assert_int_equal(trust_anchor_set(&a, "old-key", v, err, sizeof(err)), BLF_OK);
	}
	assert_int_equal(trust_anchor_set(&a, "revoked-key", b3, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_store_add(st, &a, err, sizeof(err)), BLF_OK);
	trust_anchor_clear(&a);
	trust_anchor_init(&a, "partner-b", k4->pk);
	memset(a.origin, 0x42, BLF_KEYID_LEN);
	a.weight = 0;
	a.accept_rollover = 0;
	assert_int_equal(trust_store_add(st, &a, err, sizeof(err)), BLF_OK);
	trust_anchor_clear(&a);
}

static void
test_format_roundtrip(void **state)
{
	trust_store st, st2, st3;
	char *t1 = NULL, *t2 = NULL, *t3 = NULL, err[KEYS_ERRLEN];
	size_t n1, n2, n3;

	(void)state;
	build_store(&st);
	assert_int_equal(trust_store_format(&st, &t1, &n1), BLF_OK);
	assert_non_null(strstr(t1, "\nanchor ASCT\n"));
	assert_non_null(strstr(t1, "    max-prefix 22 40\n"));
	assert_non_null(strstr(t1, "    expires 2027-12-31T00:00:00Z\n"));
	assert_non_null(strstr(t1, "    note spaces and \"quotes\"\n"));
	assert_non_null(strstr(t1, "    origin 42424242424242424242424242424242\n"));
	assert_non_null(strstr(t1, "    rollover refuse\n"));
	parse_ok(t1, &st2);
	assert_int_equal(trust_store_format(&st2, &t2, &n2), BLF_OK);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	/* a deep copy formats the same */
	assert_int_equal(trust_store_copy(&st2, &st3), BLF_OK);
	trust_store_free(&st2);
	assert_int_equal(trust_store_format(&st3, &t3, &n3), BLF_OK);
	assert_int_equal(n1, n3);
	assert_memory_equal(t1, t3, n1);
	(void)err;
	free(t1);
	free(t2);
	free(t3);
	trust_store_free(&st);
	trust_store_free(&st3);
}

static size_t
count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_save_load(void **state)
{
	trust_store st, st2;
	char path[128], bad[128], err[KEYS_ERRLEN], *t1 = NULL, *t2 = NULL, buf[8192];
	size_t n1, n2, n;
	struct stat sb;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/trust.conf", dir);
	build_store(&st);
	/* missing file: empty store */
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
	assert_int_equal(st2.nanchors, 0);
	assert_int_equal(trust_store_save(&st, path, err, sizeof(err)), BLF_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(count_files(), 1); /* no temporary file left */
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(trust_store_format(&st, &t1, &n1), BLF_OK);
	assert_int_equal(n, n1);
	assert_memory_equal(buf, t1, n);
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_store_format(&st2, &t2, &n2), BLF_OK);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	/* saving into a missing directory fails and creates nothing */
	snprintf(bad, sizeof(bad), "%s/nodir/trust.conf", dir);
	err[0] = '\0';
	assert_int_equal(trust_store_save(&st, bad, err, sizeof(err)), BLF_EIO);
	assert_non_null(strstr(err, "nodir"));
	/* an error in the file names it */
	f = fopen(path, "a");
	fputs("  weight x\n", f);
	fclose(f);
	trust_store_free(&st2);
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)) != BLF_OK, 1);
	assert_non_null(strstr(err, path));
	unlink(path);
	free(t1);
	free(t2);
	trust_store_free(&st);
	trust_store_free(&st2);
}

/* ---- store edits ---------------------------------------------------------- */

/* A store others may write is refused, by name and with the fix; so is one
 * in a directory others may write, unless that directory is sticky. */
static void
test_store_perms(void **state)
{
	char sub[128], path[160], want[512], err[KEYS_ERRLEN];
	trust_store st, st2;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/perms", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/trust.conf", sub);
	build_store(&st);
	assert_int_equal(trust_store_save(&st, path, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
	trust_store_free(&st2);
	/* writable by others, by group: refused, nothing loaded */
	assert_int_equal(chmod(path, 0666), 0);
	err[0] = '\0';
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_EPOLICY);
	assert_int_equal(st2.nanchors, 0);
	snprintf(want, sizeof(want), "trust store %s is writable by group or others "
		 "(mode 0666); chmod go-w %s", path, path);
	assert_string_equal(err, want);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(trust_store_read(path, &st2, err, sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "(mode 0620); chmod go-w"));
	/* 0640 and 0600 are fine: others may read a store, not write it */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
	assert_int_equal(st2.nanchors, st.nanchors);
	trust_store_free(&st2);
	/* its directory writable by others: refused; sticky (as /tmp): fine */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_EPOLICY);
	snprintf(want, sizeof(want), "trust store %s: directory ", path);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "is writable by group or others (mode 0777); chmod go-w"));
	assert_int_equal(chmod(sub, 01777), 0);
	assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
	trust_store_free(&st2);
	assert_int_equal(chmod(sub, 0755), 0);
	/* owned by another user (root only can give a file away) */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_EPOLICY);
		assert_non_null(strstr(err, "belongs to uid 65534, not to us (uid 0) or root"));
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
		trust_store_free(&st2);
	}
	/* the same rule is public for other files (the daemon's config) */
	{
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(chmod(path, 0646), 0);
		assert_int_equal(keys_file_check(fd, path, "config file", 0, err, sizeof(err)),
				 BLF_EPOLICY);
		snprintf(want, sizeof(want), "config file %s is writable by group or others "
			 "(mode 0646); chmod go-w %s", path, path);
		assert_string_equal(err, want);
		assert_int_equal(chmod(path, 0644), 0);
		assert_int_equal(keys_file_check(fd, path, "config file", 0, err, sizeof(err)),
				 BLF_OK);
		/* a secret key may not even be read by others */
		assert_int_equal(keys_file_check(fd, path, "key file", 1, err, sizeof(err)),
				 BLF_EPOLICY);
		assert_non_null(strstr(err, "is readable by group or others (mode 0644)"));
		close(fd);
	}
	unlink(path);
	rmdir(sub);
	trust_store_free(&st);
}

/* keys_user_check: what a user we drop to can do with our files, and
 * keys_set_owner: that user's files are ours. */
static void
test_user_check(void **state)
{
	char sub[128], path[160], lock[170], data[160], err[1024];
	uid_t o = geteuid() == 0 ? 65534 : geteuid(); /* owns the files */
	keys_user own, other;
	trust_store st, st2;
	struct stat sb;
	mode_t dmode;

	(void)state;
	/* the users must reach our directory (mkdtemp makes it 0700) */
	assert_int_equal(stat(dir, &sb), 0);
	dmode = sb.st_mode & 07777;
	assert_int_equal(chmod(dir, 0755), 0);
	memset(&own, 0, sizeof(own));
	snprintf(own.name, sizeof(own.name), "owner");
	own.uid = o;
	own.gid = getegid() + 1000;
	other = own;
	snprintf(other.name, sizeof(other.name), "other");
	other.uid = o + 1;
	snprintf(sub, sizeof(sub), "%s/user", dir);
	snprintf(path, sizeof(path), "%s/trust.conf", sub);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	snprintf(data, sizeof(data), "%s/data", sub);
	assert_int_equal(mkdir(sub, 0755), 0);
	build_store(&st);
	assert_int_equal(trust_store_save(&st, path, err, sizeof(err)), BLF_OK);
	assert_int_equal(mkdir(data, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(sub, o, (gid_t)-1), 0);
		assert_int_equal(chown(path, o, (gid_t)-1), 0);
		assert_int_equal(chown(data, o, (gid_t)-1), 0);
	}
	/* the owner of the directory may do everything; root too */
	assert_int_equal(keys_user_check(path, "trust store", KEYS_USE_REWRITE, &own, err,
					 sizeof(err)), BLF_OK);
	assert_int_equal(keys_user_check(path, "trust store", KEYS_USE_READ, &own, err,
					 sizeof(err)), BLF_OK);
	assert_int_equal(keys_user_check(data, "data directory", KEYS_USE_DIR, &own, err,
					 sizeof(err)), BLF_OK);
	{
		keys_user root = own;

		root.uid = 0;
		assert_int_equal(keys_user_check(data, "data directory", KEYS_USE_DIR, &root,
						 err, sizeof(err)), BLF_OK);
	}
	/* another user may read the 0644 store, not rewrite it, not own the
	 * data directory; the message says what is missing and the fix */
	assert_int_equal(keys_user_check(path, "trust store", KEYS_USE_READ, &other, err,
					 sizeof(err)), BLF_OK);
	assert_int_equal(keys_user_check(path, "trust store", KEYS_USE_REWRITE, &other, err,
					 sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "user other cannot rewrite it after the privilege drop"));
	assert_non_null(strstr(err, "is not writable by it; chown other "));
	assert_int_equal(keys_user_check(data, "data directory", KEYS_USE_DIR, &other, err,
					 sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "not to user other"));
	/* a missing directory: created where the user may write */
	rmdir(data);
	assert_int_equal(keys_user_check(data, "data directory", KEYS_USE_DIR, &own, err,
					 sizeof(err)), BLF_OK);
	assert_int_equal(keys_user_check(data, "data directory", KEYS_USE_DIR, &other, err,
					 sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "does not exist and user other cannot create it"));
	/* a file the user cannot read; then its group can */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(keys_user_check(path, "key file", KEYS_USE_READ, &other, err,
					 sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "user other cannot read it after the privilege drop"));
	assert_int_equal(stat(path, &sb), 0);
	other.groups[0] = sb.st_gid;
	other.ngroups = 1;
	assert_int_equal(keys_user_check(path, "key file", KEYS_USE_READ, &other, err,
					 sizeof(err)), BLF_OK);
	other.ngroups = 0;
	/* a lock file the owner cannot write */
	{
		int fd = open(lock, O_CREAT | O_WRONLY, 0400);

		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(chmod(lock, 0400), 0);
		if (geteuid() == 0)
			assert_int_equal(chown(lock, o, (gid_t)-1), 0);
		assert_int_equal(keys_user_check(path, "trust store", KEYS_USE_REWRITE, &own,
						 err, sizeof(err)), BLF_EPOLICY);
		assert_non_null(strstr(err, "cannot lock it after the privilege drop"));
		assert_int_equal(chmod(lock, 0600), 0);
		assert_int_equal(keys_user_check(path, "trust store", KEYS_USE_REWRITE, &own,
						 err, sizeof(err)), BLF_OK);
		unlink(lock);
	}
	/* a directory on the way the user cannot search */
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(keys_user_check(path, "config file", KEYS_USE_READ, &other, err,
					 sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "user other cannot reach it after the privilege drop"));
	assert_non_null(strstr(err, "(mode 0700) is closed to it; chmod o+x "));
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chmod(path, 0644), 0);

	/* keys_set_owner: the user we drop to owns files we accept (root
	 * only can give a file away) */
	if (geteuid() == 0) {
		assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_EPOLICY);
		assert_non_null(strstr(err, "belongs to uid 65534, not to us (uid 0) or root"));
		keys_set_owner(65534);
		assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
		trust_store_free(&st2);
		/* root's stays fine; a secret key must be the user's */
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_OK);
		trust_store_free(&st2);
		{
			int fd = open(path, O_RDONLY);

			assert_true(fd >= 0);
			assert_int_equal(chmod(path, 0600), 0);
			assert_int_equal(keys_file_check(fd, path, "key file", 1, err,
							 sizeof(err)), BLF_EPOLICY);
			assert_non_null(strstr(err, "belongs to uid 0, not to us (uid 65534)"));
			assert_int_equal(fchown(fd, 65534, 65534), 0);
			assert_int_equal(keys_file_check(fd, path, "key file", 1, err,
							 sizeof(err)), BLF_OK);
			close(fd);
		}
		keys_set_owner((uid_t)-1);
		assert_int_equal(trust_store_load(path, &st2, err, sizeof(err)), BLF_EPOLICY);
	}
	unlink(path);
	rmdir(data);
	rmdir(sub);
	trust_store_free(&st);
	assert_int_equal(chmod(dir, dmode), 0);
}

static void
test_add_remove(void **state)
{
	trust_store st;
	trust_anchor a;
	char err[KEYS_ERRLEN];

	(void)state;
	build_store(&st);
	/* duplicate name */
	trust_anchor_init(&a, "ASCT", k2->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_EEXIST);
	assert_non_null(strstr(err, "name already used"));
	trust_anchor_clear(&a);
	/* key already used (as the current key of ASCT) */
	trust_anchor_init(&a, "other", k1->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_EEXIST);
	assert_non_null(strstr(err, "already belongs to anchor ASCT"));
	trust_anchor_clear(&a);
	/* an old key of ASCT */
	trust_anchor_init(&a, "other", k2->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_EEXIST);
	trust_anchor_clear(&a);
	/* a revoked key is never accepted again */
	trust_anchor_init(&a, "other", k3->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_EREVOKED);
	assert_non_null(strstr(err, "never accepted again"));
	trust_anchor_clear(&a);
	/* bad names */
	trust_anchor_init(&a, "with space", k2->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_EINVAL);
	trust_anchor_clear(&a);
	trust_anchor_init(&a, "", k2->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_EINVAL);
	trust_anchor_clear(&a);
	assert_int_equal(st.nanchors, 2);
	assert_int_equal(trust_store_remove(&st, "nope"), BLF_ENOTFOUND);
	assert_int_equal(trust_store_remove(&st, "ASCT"), BLF_OK);
	assert_int_equal(st.nanchors, 1);
	assert_string_equal(st.anchors[0].name, "partner-b");
	trust_store_free(&st);
}

static void
test_anchor_set(void **state)
{
	trust_anchor a;
	char err[KEYS_ERRLEN], *before = NULL, *after = NULL;
	trust_store one;
	size_t n1, n2;

	(void)state;
	trust_anchor_init(&a, "x", k1->pk);
	memset(&one, 0, sizeof(one));
	one.anchors = &a;
	one.nanchors = 1;
	assert_int_equal(trust_anchor_set(&a, "scope", "10.0.0.0/8", err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(trust_store_format(&one, &before, &n1), BLF_OK);
	/* each failure leaves the anchor as it was */
	assert_int_equal(trust_anchor_set(&a, "scope", "10.0.0.0/8 300.0.0.0/8", err,
					  sizeof(err)), BLF_EPREFIX);
	assert_string_equal(err, "scope 300.0.0.0/8: invalid prefix syntax");
	assert_int_equal(trust_anchor_set(&a, "weight", "", err, sizeof(err)), BLF_EINVAL);
	assert_int_equal(trust_anchor_set(&a, "bogus", "1", err, sizeof(err)), BLF_EINVAL);
	assert_int_equal(trust_anchor_set(&a, "permissions", "list list", err, sizeof(err)),
			 BLF_EEXIST);
	assert_int_equal(trust_anchor_set(&a, "key", "AAAA", err, sizeof(err)), BLF_ESIZE);
	assert_int_equal(trust_anchor_set(&a, "revoked-key", b3, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "revoked-key", b3, err, sizeof(err)),
			 BLF_EEXIST);
	assert_int_equal(trust_anchor_set(&a, "key", b3, err, sizeof(err)), BLF_EREVOKED);
	assert_memory_equal(a.pk, k1->pk, BLF_PK_LEN);
	/* "none" empties a list; the key can be replaced, origin stays */
	assert_int_equal(trust_anchor_set(&a, "scope", "none", err, sizeof(err)), BLF_OK);
	assert_int_equal(a.nscope, 0);
	assert_int_equal(trust_anchor_set(&a, "key", b2, err, sizeof(err)), BLF_OK);
	assert_memory_equal(a.pk, k2->pk, BLF_PK_LEN);
	assert_memory_equal(a.keyid, k2->keyid, BLF_KEYID_LEN);
	assert_memory_equal(a.origin, k1->keyid, BLF_KEYID_LEN);
	assert_int_equal(trust_anchor_set(&a, "note", "", err, sizeof(err)), BLF_OK);
	assert_null(a.note);
	(void)after;
	(void)n2;
	free(before);
	trust_anchor_clear(&a);
	trust_anchor_clear(NULL);
}

static void
test_time(void **state)
{
	char buf[KEYS_TIME_STRLEN];
	uint64_t t;

	(void)state;
	assert_int_equal(trust_time_parse("2027-12-31T00:00:00Z", &t), BLF_OK);
	assert_int_equal(t, 1830211200ull);
	assert_int_equal(trust_time_parse("2027-12-31", &t), BLF_OK);
	assert_int_equal(t, 1830211200ull);
	trust_time_format(t, buf);
	assert_string_equal(buf, "2027-12-31T00:00:00Z");
	assert_int_equal(trust_time_parse("2024-02-29T12:34:56Z", &t), BLF_OK);
	trust_time_format(t, buf);
	assert_string_equal(buf, "2024-02-29T12:34:56Z");
	assert_int_equal(trust_time_parse("2023-02-29", &t), BLF_EINVAL);
	assert_int_equal(trust_time_parse("2027-12-31T00:00:00", &t), BLF_EINVAL);
	assert_int_equal(trust_time_parse("2027-12-31T24:00:00Z", &t), BLF_EINVAL);
	assert_int_equal(trust_time_parse("2027-12-31 00:00:00Z", &t), BLF_EINVAL);
	assert_int_equal(trust_time_parse("1969-12-31", &t), BLF_EINVAL);
	assert_int_equal(trust_time_parse("", &t), BLF_EINVAL);
}

/* ---- policy --------------------------------------------------------------- */

static void
test_policy_table(void **state)
{
	static const struct {
		unsigned perms;
		unsigned op;
		const char *prefix;
		uint64_t now_off; /* added to T0 */
		int verdict;
	} cases[] = {
		{TRUST_LIST, BLF_OP_LIST, "1.2.3.0/24", 0, TRUST_OK},
		{TRUST_LIST, BLF_OP_LIST, "1.2.3.4/32", 0, TRUST_OK},
		{TRUST_LIST, BLF_OP_LIST, "1.2.2.0/23", 0, TRUST_TOO_WIDE},
		{TRUST_LIST, BLF_OP_LIST, "1.2.0.0/16", 0, TRUST_TOO_WIDE},
		{TRUST_LIST, BLF_OP_LIST, "1.3.0.0/24", 0, TRUST_OUT_OF_SCOPE},
		{TRUST_LIST, BLF_OP_LIST, "1.0.0.0/8", 0, TRUST_OUT_OF_SCOPE},
		{TRUST_LIST, BLF_OP_LIST, "2001:db8:1::/48", 0, TRUST_OK},
		{TRUST_LIST, BLF_OP_LIST, "2001:db8::/47", 0, TRUST_TOO_WIDE},
		{TRUST_LIST, BLF_OP_LIST, "2001:db9::/48", 0, TRUST_OUT_OF_SCOPE},
		{TRUST_LIST, BLF_OP_DELIST, "1.2.3.0/24", 0, TRUST_NO_PERMISSION},
		{TRUST_LIST | TRUST_DELIST, BLF_OP_DELIST, "1.2.0.0/16", 0, TRUST_OK},
		{TRUST_LIST | TRUST_DELIST, BLF_OP_DELIST, "1.3.0.0/16", 0, TRUST_OUT_OF_SCOPE},
		{TRUST_DELIST, BLF_OP_LIST, "1.2.3.0/24", 0, TRUST_NO_PERMISSION},
		{TRUST_LIST, BLF_OP_EXCLUDE, "1.2.3.0/24", 0, TRUST_NO_PERMISSION},
		{TRUST_EXCLUDE, BLF_OP_EXCLUDE, "9.9.0.0/16", 0, TRUST_OK},
		{TRUST_EXCLUDE, BLF_OP_EXCLUDE, "9.9.9.9/32", 0, TRUST_OK},
		{TRUST_EXCLUDE, BLF_OP_EXCLUDE, "9.0.0.0/8", 0, TRUST_OUT_OF_SCOPE},
		{TRUST_EXCLUDE, BLF_OP_EXCLUDE, "1.2.3.0/24", 0, TRUST_OUT_OF_SCOPE},
		{TRUST_EXCLUDE, BLF_OP_UNEXCLUDE, "9.9.1.0/24", 0, TRUST_OK},
		{TRUST_LIST, BLF_OP_UNEXCLUDE, "9.9.1.0/24", 0, TRUST_NO_PERMISSION},
		{TRUST_LIST, 99, "1.2.3.0/24", 0, TRUST_NO_PERMISSION},
		{TRUST_RELAY_ONLY, BLF_OP_LIST, "1.2.3.0/24", 0, TRUST_RELAY_ONLY_V},
		{TRUST_RELAY_ONLY, BLF_OP_EXCLUDE, "9.9.0.0/16", 0, TRUST_RELAY_ONLY_V},
		/* expiry at T0 + 1000 */
		{TRUST_LIST, BLF_OP_LIST, "1.2.3.0/24", 999, TRUST_OK},
		{TRUST_LIST, BLF_OP_LIST, "1.2.3.0/24", 1000, TRUST_ANCHOR_EXPIRED},
		{TRUST_RELAY_ONLY, BLF_OP_LIST, "1.2.3.0/24", 5000, TRUST_ANCHOR_EXPIRED},
	};
	trust_anchor a;
	char err[KEYS_ERRLEN];
	blf_prefix p;
	size_t i;
	int v;

	(void)state;
	trust_anchor_init(&a, "p", k1->pk);
	assert_int_equal(trust_anchor_set(&a, "scope", "1.2.0.0/16 2001:db8::/32", err,
					  sizeof(err)), BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "authority", "9.9.0.0/16", err, sizeof(err)),
			 BLF_OK);
	a.expires = T0 + 1000;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a.perms = cases[i].perms;
		p = pfx(cases[i].prefix);
		v = trust_anchor_allows(&a, cases[i].op, &p, T0 + cases[i].now_off);
		if (v != cases[i].verdict)
			fail_msg("case %zu (%s): verdict %d (%s), want %d", i, cases[i].prefix, v,
				 trust_verdict_str(v), cases[i].verdict);
	}
	/* the default anchor refuses whole-block listings */
	trust_anchor_clear(&a);
	trust_anchor_init(&a, "d", k1->pk);
	assert_int_equal(trust_anchor_set(&a, "scope", "0.0.0.0/0 ::/0", err, sizeof(err)),
			 BLF_OK);
	p = pfx("10.0.0.0/16");
	assert_int_equal(trust_anchor_allows(&a, BLF_OP_LIST, &p, T0), TRUST_TOO_WIDE);
	p = pfx("10.0.0.0/24");
	assert_int_equal(trust_anchor_allows(&a, BLF_OP_LIST, &p, T0), TRUST_OK);
	p = pfx("2001:db8::/32");
	assert_int_equal(trust_anchor_allows(&a, BLF_OP_LIST, &p, T0), TRUST_TOO_WIDE);
	/* an empty scope allows nothing */
	trust_anchor_set(&a, "scope", "none", err, sizeof(err));
	assert_int_equal(trust_anchor_allows(&a, BLF_OP_LIST, &p, T0), TRUST_OUT_OF_SCOPE);
	assert_string_equal(trust_verdict_str(TRUST_TOO_WIDE),
			    "prefix wider than the anchor may list");
	trust_anchor_clear(&a);
}

/* ---- resolution ----------------------------------------------------------- */

static void
test_resolve(void **state)
{
	trust_store st;
	const trust_anchor *a = NULL;
	uint8_t pk[BLF_PK_LEN];
	struct trust_lookup_ctx ctx;
	uint64_t until;

	(void)state;
	build_store(&st); /* ASCT: k1 current, k2 old until 2027-02-01, k3 revoked;
			   * partner-b: k4 */
	until = st.anchors[0].old[0].until;
	assert_int_equal(trust_store_resolve(&st, k1->keyid, T0, &a, pk), BLF_OK);
	assert_ptr_equal(a, &st.anchors[0]);
	assert_memory_equal(pk, k1->pk, BLF_PK_LEN);
	assert_int_equal(trust_store_resolve(&st, k2->keyid, until - 1, &a, pk), BLF_OK);
	assert_memory_equal(pk, k2->pk, BLF_PK_LEN);
	assert_int_equal(trust_store_resolve(&st, k2->keyid, until, &a, pk), BLF_EEXPIREDKEY);
	assert_ptr_equal(a, &st.anchors[0]);
	assert_int_equal(trust_store_resolve(&st, k3->keyid, T0, &a, pk), BLF_EREVOKED);
	assert_int_equal(trust_store_resolve(&st, k4->keyid, T0, NULL, pk), BLF_OK);
	/* the anchor expires at 2027-12-31 */
	assert_int_equal(trust_store_resolve(&st, k1->keyid, 1830211200ull, &a, pk),
			 BLF_EEXPIREDKEY);
	{
		uint8_t unknown[BLF_KEYID_LEN] = {1, 2, 3};

		assert_int_equal(trust_store_resolve(&st, unknown, T0, &a, pk), BLF_EUNKKEY);
		assert_null(a);
	}
	/* the lookup adapters */
	ctx.store = &st;
	ctx.now = T0;
	assert_int_equal(trust_key_lookup(&ctx, k1->keyid, pk), BLF_OK);
	assert_int_equal(trust_key_lookup(&ctx, k3->keyid, pk), BLF_EREVOKED);
	assert_int_equal(trust_key_lookup_any(&ctx, k3->keyid, pk), BLF_OK);
	assert_memory_equal(pk, k3->pk, BLF_PK_LEN);
	ctx.now = until + 10;
	assert_int_equal(trust_key_lookup(&ctx, k2->keyid, pk), BLF_EEXPIREDKEY);
	assert_int_equal(trust_key_lookup_any(&ctx, k2->keyid, pk), BLF_OK);
	/* a revoked current key: the anchor can no longer be used */
	assert_int_equal(trust_anchor_set(&st.anchors[1], "revoked-key", b4, NULL, 0), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, k4->keyid, T0, &a, pk), BLF_EREVOKED);
	assert_string_equal(trust_anchor_state(&st.anchors[1], T0), "revoked");
	trust_store_free(&st);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void
simple_store(trust_store *st, int accept)
{
	trust_anchor a;
	char err[KEYS_ERRLEN];

	memset(st, 0, sizeof(*st));
	trust_anchor_init(&a, "orga", k1->pk);
	a.accept_rollover = accept;
	assert_int_equal(trust_store_add(st, &a, err, sizeof(err)), BLF_OK);
	trust_anchor_clear(&a);
	trust_anchor_init(&a, "orgb", k4->pk);
	assert_int_equal(trust_store_add(st, &a, err, sizeof(err)), BLF_OK);
	trust_anchor_clear(&a);
}

static void
test_apply_rollover_struct(void **state)
{
	trust_store st;
	blf_rollover r;
	char err[KEYS_ERRLEN];
	size_t i;

	(void)state;
	simple_store(&st, 1);
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
	memcpy(r.old_pk, k1->pk, BLF_PK_LEN);
	memcpy(r.new_pk, k2->pk, BLF_PK_LEN);
	r.created = T0;
	r.overlap_until = T0 + 86400;
	assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_OK);
	assert_memory_equal(st.anchors[0].pk, k2->pk, BLF_PK_LEN);
	assert_memory_equal(st.anchors[0].keyid, k2->keyid, BLF_KEYID_LEN);
	assert_memory_equal(st.anchors[0].origin, k1->keyid, BLF_KEYID_LEN);
	assert_int_equal(st.anchors[0].nold, 1);
	assert_int_equal(st.anchors[0].old[0].until, T0 + 86400);
	assert_string_equal(trust_anchor_state(&st.anchors[0], T0), "overlap");
	assert_string_equal(trust_anchor_state(&st.anchors[0], T0 + 86400), "active");
	/* the same statement again */
	assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_ESTALE);
	/* from a key that is no longer current */
	memcpy(r.new_pk, k3->pk, BLF_PK_LEN);
	assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_EPOLICY);
	/* to a key another anchor holds: refused by policy (SPEC 3.6, the
	 * conformance case rollover-new-key-of-other-origin) */
	memcpy(r.old_pk, k2->pk, BLF_PK_LEN);
	memcpy(r.new_pk, k4->pk, BLF_PK_LEN);
	assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_EPOLICY);
	assert_string_equal(blf_outcome_name(BLF_EPOLICY), "policy");
	/* unknown origin */
	memset(r.origin, 7, BLF_KEYID_LEN);
	assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_EUNKKEY);
	trust_store_free(&st);

	/* an anchor that refuses in-band rollover */
	simple_store(&st, 0);
	memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
	memcpy(r.old_pk, k1->pk, BLF_PK_LEN);
	memcpy(r.new_pk, k2->pk, BLF_PK_LEN);
	assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_EPOLICY);
	assert_non_null(strstr(err, "refuses in-band rollover"));
	assert_memory_equal(st.anchors[0].pk, k1->pk, BLF_PK_LEN);
	trust_store_free(&st);

	/* old-key slots: the one that expires first is dropped */
	simple_store(&st, 1);
	for (i = 0; i < KEYS_MAX_OLD_KEYS + 2; i++) {
		key_secret *n = key_from((uint8_t)(100 + i));

		memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
		memcpy(r.old_pk, st.anchors[0].pk, BLF_PK_LEN);
		memcpy(r.new_pk, n->pk, BLF_PK_LEN);
		r.overlap_until = T0 + 1000 + i;
		assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)), BLF_OK);
		key_secret_free(n);
	}
	assert_int_equal(st.anchors[0].nold, KEYS_MAX_OLD_KEYS);
	for (i = 0; i < st.anchors[0].nold; i++)
		assert_true(st.anchors[0].old[i].until >= T0 + 1002);
	trust_store_free(&st);
}

static void
test_apply_revocation_struct(void **state)
{
	trust_store st;
	blf_revocation r;
	blf_rollover ro;
	char err[KEYS_ERRLEN];
	uint8_t pk[BLF_PK_LEN];

	(void)state;
	simple_store(&st, 1);
	memset(&ro, 0, sizeof(ro));
	memcpy(ro.origin, k1->keyid, BLF_KEYID_LEN);
	memcpy(ro.old_pk, k1->pk, BLF_PK_LEN);
	memcpy(ro.new_pk, k2->pk, BLF_PK_LEN);
	ro.created = T0;
	ro.overlap_until = T0 + 86400;
	assert_int_equal(trust_apply_rollover(&st, &ro, err, sizeof(err)), BLF_OK);
	/* revoke the old key k1 */
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
	memcpy(r.revoked_pk, k1->pk, BLF_PK_LEN);
	r.created = T0;
	assert_int_equal(trust_apply_revocation(&st, &r, err, sizeof(err)), BLF_OK);
	assert_int_equal(st.anchors[0].nold, 0);
	assert_int_equal(st.anchors[0].nrevoked, 1);
	assert_int_equal(trust_store_resolve(&st, k1->keyid, T0, NULL, pk), BLF_EREVOKED);
	assert_int_equal(trust_apply_revocation(&st, &r, err, sizeof(err)), BLF_ESTALE);
	/* a key the anchor never had */
	memcpy(r.revoked_pk, k3->pk, BLF_PK_LEN);
	assert_int_equal(trust_apply_revocation(&st, &r, err, sizeof(err)), BLF_EUNKKEY);
	/* the current key */
	memcpy(r.revoked_pk, k2->pk, BLF_PK_LEN);
	assert_int_equal(trust_apply_revocation(&st, &r, err, sizeof(err)), BLF_OK);
	assert_string_equal(trust_anchor_state(&st.anchors[0], T0), "revoked");
	assert_int_equal(trust_store_resolve(&st, k2->keyid, T0, NULL, pk), BLF_EREVOKED);
	/* rollover from a revoked current key is refused */
	memcpy(ro.old_pk, k2->pk, BLF_PK_LEN);
	memcpy(ro.new_pk, k3->pk, BLF_PK_LEN);
	assert_int_equal(trust_apply_rollover(&st, &ro, err, sizeof(err)), BLF_EREVOKED);
	/* the administrator sets a new key; the revoked ones stay revoked */
	assert_int_equal(trust_anchor_set(&st.anchors[0], "key", b3, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, k3->keyid, T0, NULL, pk), BLF_OK);
	assert_int_equal(trust_anchor_set(&st.anchors[0], "key", b1, err, sizeof(err)),
			 BLF_EREVOKED);
	/* unknown origin */
	memset(r.origin, 9, BLF_KEYID_LEN);
	assert_int_equal(trust_apply_revocation(&st, &r, err, sizeof(err)), BLF_EUNKKEY);
	trust_store_free(&st);
}

static char *
store_text(const trust_store *st)
{
	char *t = NULL;
	size_t n;

	assert_int_equal(trust_store_format(st, &t, &n), BLF_OK);
	return t;
}

static void
test_statements(void **state)
{
	trust_store st;
	blf_rollover r;
	blf_revocation rv;
	blf_buf roll = {NULL, 0, 0}, rev = {NULL, 0, 0}, bad = {NULL, 0, 0};
	char err[KEYS_ERRLEN], *before, *after;
	unsigned type;
	uint8_t pk[BLF_PK_LEN];

	(void)state;
	simple_store(&st, 1);
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
	r.created = T0;
	r.overlap_until = T0 + 7 * 86400;
	assert_int_equal(blf_rollover_seal(&r, k1->sk, k2->sk, &roll), BLF_OK);
	/* a tampered statement changes nothing */
	before = store_text(&st);
	roll.data[roll.len - 1] ^= 1;
	assert_int_not_equal(trust_apply_statement(&st, roll.data, roll.len, T0, &type, err,
						   sizeof(err)), BLF_OK);
	roll.data[roll.len - 1] ^= 1;
	after = store_text(&st);
	assert_string_equal(before, after);
	free(after);
	/* not yet known to a store without the origin */
	{
		trust_store empty = {NULL, 0, NULL};

		assert_int_equal(trust_apply_statement(&empty, roll.data, roll.len, T0, &type,
						       err, sizeof(err)), BLF_EUNKKEY);
	}
	assert_int_equal(trust_apply_statement(&st, roll.data, roll.len, T0, &type, err,
					       sizeof(err)), BLF_OK);
	assert_int_equal(type, BLF_MSG_ROLLOVER);
	assert_memory_equal(st.anchors[0].pk, k2->pk, BLF_PK_LEN);
	assert_int_equal(st.anchors[0].old[0].until, T0 + 7 * 86400);
	assert_int_equal(trust_apply_statement(&st, roll.data, roll.len, T0, &type, err,
					       sizeof(err)), BLF_ESTALE);
	/* a revocation of k1 signed by another origin's key (k4) is refused */
	memset(&rv, 0, sizeof(rv));
	memcpy(rv.origin, k1->keyid, BLF_KEYID_LEN);
	memcpy(rv.revoked_pk, k1->pk, BLF_PK_LEN);
	rv.created = T0;
	rv.reason = BLF_REVOKE_SUPERSEDED;
	assert_int_equal(blf_revocation_seal(&rv, k4->sk, &bad), BLF_OK);
	assert_int_equal(trust_apply_statement(&st, bad.data, bad.len, T0, &type, err,
					       sizeof(err)), BLF_EPOLICY);
	/* the origin's current key (k2) may revoke its old key k1 (SPEC 6.7) */
	{
		trust_store copy;

		assert_int_equal(trust_store_copy(&st, &copy), BLF_OK);
		bad.len = 0;
		assert_int_equal(blf_revocation_seal(&rv, k2->sk, &bad), BLF_OK);
		assert_int_equal(trust_apply_statement(&copy, bad.data, bad.len, T0, &type, err,
						       sizeof(err)), BLF_OK);
		assert_int_equal(trust_store_resolve(&copy, k1->keyid, T0, NULL, pk),
				 BLF_EREVOKED);
		trust_store_free(&copy);
	}
	/* signed by k1, even after its overlap window ended */
	assert_int_equal(blf_revocation_seal(&rv, k1->sk, &rev), BLF_OK);
	assert_int_equal(trust_apply_statement(&st, rev.data, rev.len, T0 + 30 * 86400, &type,
					       err, sizeof(err)), BLF_OK);
	assert_int_equal(type, BLF_MSG_REVOCATION);
	assert_int_equal(trust_store_resolve(&st, k1->keyid, T0, NULL, pk), BLF_EREVOKED);
	assert_int_equal(trust_apply_statement(&st, rev.data, rev.len, T0, &type, err,
					       sizeof(err)), BLF_ESTALE);
	/* the old rollover can no longer be replayed to go back */
	assert_int_equal(trust_apply_statement(&st, roll.data, roll.len, T0, &type, err,
					       sizeof(err)), BLF_EREVOKED);
	/* garbage */
	assert_int_not_equal(trust_apply_statement(&st, (const uint8_t *)"xyz", 3, T0, &type,
						   err, sizeof(err)), BLF_OK);
	free(before);
	blf_buf_free(&roll);
	blf_buf_free(&rev);
	blf_buf_free(&bad);
	trust_store_free(&st);

	/* a statement dated in the future */
	simple_store(&st, 1);
	r.created = T0 + BLF_MAX_CLOCK_SKEW + 1;
	r.overlap_until = r.created + 86400;
	assert_int_equal(blf_rollover_seal(&r, k1->sk, k2->sk, &roll), BLF_OK);
	assert_int_equal(trust_apply_statement(&st, roll.data, roll.len, T0, &type, err,
					       sizeof(err)), BLF_ECLOCK);
	assert_int_equal(trust_apply_statement(&st, roll.data, roll.len, T0 + 1, &type, err,
					       sizeof(err)), BLF_OK);
	blf_buf_free(&roll);
	trust_store_free(&st);
	r.created = T0;
	r.overlap_until = T0 + 86400;

	/* an anchor that refuses rollover keeps its key */
	simple_store(&st, 0);
	assert_int_equal(blf_rollover_seal(&r, k1->sk, k2->sk, &roll), BLF_OK);
	assert_int_equal(trust_apply_statement(&st, roll.data, roll.len, T0, &type, err,
					       sizeof(err)), BLF_EPOLICY);
	assert_memory_equal(st.anchors[0].pk, k1->pk, BLF_PK_LEN);
	blf_buf_free(&roll);
	trust_store_free(&st);
}

static void
seal_roll(const key_secret *from, const key_secret *to, blf_buf *out)
{
	blf_rollover r;

	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
	r.created = T0;
	r.overlap_until = T0 + 7 * 86400;
	out->len = 0;
	assert_int_equal(blf_rollover_seal(&r, from->sk, to->sk, out), BLF_OK);
}

static void
seal_rev(const key_secret *signer, const key_secret *revoked, unsigned reason, blf_buf *out)
{
	blf_revocation rv;

	memset(&rv, 0, sizeof(rv));
	memcpy(rv.origin, k1->keyid, BLF_KEYID_LEN);
	memcpy(rv.revoked_pk, revoked->pk, BLF_PK_LEN);
	rv.created = T0;
	rv.reason = reason;
	out->len = 0;
	assert_int_equal(blf_revocation_seal(&rv, signer->sk, out), BLF_OK);
}

static int
apply(trust_store *st, const blf_buf *b)
{
	char err[KEYS_ERRLEN];

	return trust_apply_statement(st, b->data, b->len, T0, NULL, err, sizeof(err));
}

/*
 * The key takeover: a thief holding org A's key k1 rotates to its own key
 * and a partner applies it; A's owner revokes k1 as compromised: the thief's
 * key must be revoked with it and the anchor suspended until re-keyed.
 */
static void
test_takeover(void **state)
{
	trust_store st, st2;
	blf_buf b = {NULL, 0, 0};
	char err[KEYS_ERRLEN], *text;
	uint8_t pk[BLF_PK_LEN];
	key_secret *t2 = key_from(40);

	(void)state;
	simple_store(&st, 1);
	/* the thief rotates k1 -> k2, then k2 -> t2 */
	seal_roll(k1, k2, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	seal_roll(k2, t2, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_int_equal(st.anchors[0].nchain, 2);
	assert_int_equal(trust_store_resolve(&st, t2->keyid, T0, NULL, pk), BLF_OK);
	/* the chain survives a save and a load */
	text = store_text(&st);
	assert_non_null(strstr(text, "    chain "));
	parse_ok(text, &st2);
	free(text);
	assert_int_equal(st2.anchors[0].nchain, 2);
	assert_memory_equal(st2.anchors[0].chain[0], k1->pk, BLF_PK_LEN);
	assert_memory_equal(st2.anchors[0].chain[1], k2->pk, BLF_PK_LEN);
	trust_store_free(&st2);
	/* the thief gets in first: k1 revoked as superseded, signed by k1 */
	seal_rev(k1, k1, BLF_REVOKE_SUPERSEDED, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, t2->keyid, T0, NULL, pk), BLF_OK);
	/* ... and k1 as compromised signed by its own current key t2: t2 stays */
	seal_rev(t2, k1, BLF_REVOKE_COMPROMISED, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, t2->keyid, T0, NULL, pk), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, k2->keyid, T0, NULL, pk), BLF_EREVOKED);
	/* the owner revokes k1 as compromised, signed by k1: every key k1
	 * handed over to is revoked, the anchor is suspended */
	seal_rev(k1, k1, BLF_REVOKE_COMPROMISED, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, t2->keyid, T0, NULL, pk), BLF_EREVOKED);
	assert_int_equal(trust_store_resolve(&st, k2->keyid, T0, NULL, pk), BLF_EREVOKED);
	assert_string_equal(trust_anchor_state(&st.anchors[0], T0), "revoked");
	assert_int_equal(st.anchors[0].nold, 0);
	assert_int_equal(apply(&st, &b), BLF_ESTALE);
	/* the thief cannot rotate away from a revoked key */
	seal_roll(t2, k3, &b);
	assert_int_equal(apply(&st, &b), BLF_EREVOKED);
	/* the administrator re-keys with the owner's new key k3 */
	assert_int_equal(trust_anchor_rekey(&st.anchors[0], b3, err, sizeof(err)), BLF_OK);
	assert_int_equal(st.anchors[0].nchain, 0);
	assert_string_equal(trust_anchor_state(&st.anchors[0], T0), "active");
	assert_int_equal(trust_store_resolve(&st, k3->keyid, T0, NULL, pk), BLF_OK);
	/* a replayed compromised revocation of k1 no longer reaches k3 */
	seal_rev(k1, k1, BLF_REVOKE_COMPROMISED, &b);
	assert_int_equal(apply(&st, &b), BLF_ESTALE);
	assert_int_equal(trust_store_resolve(&st, k3->keyid, T0, NULL, pk), BLF_OK);
	trust_store_free(&st);

	/* an owner who rotated k1 -> k2 revokes k1 as compromised with k2:
	 * k2 is kept; revoked by k1 itself, k2 goes too */
	simple_store(&st, 1);
	seal_roll(k1, k2, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_int_equal(trust_store_copy(&st, &st2), BLF_OK);
	seal_rev(k2, k1, BLF_REVOKE_COMPROMISED, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_string_equal(trust_anchor_state(&st.anchors[0], T0 + 8 * 86400), "active");
	seal_rev(k1, k1, BLF_REVOKE_COMPROMISED, &b);
	assert_int_equal(apply(&st2, &b), BLF_OK);
	assert_string_equal(trust_anchor_state(&st2.anchors[0], T0 + 8 * 86400), "revoked");
	trust_store_free(&st2);
	trust_store_free(&st);

	/* a superseded revocation of an old key touches nothing else */
	simple_store(&st, 1);
	seal_roll(k1, k2, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	seal_rev(k1, k1, BLF_REVOKE_SUPERSEDED, &b);
	assert_int_equal(apply(&st, &b), BLF_OK);
	assert_int_equal(trust_store_resolve(&st, k2->keyid, T0, NULL, pk), BLF_OK);
	trust_store_free(&st);
	blf_buf_free(&b);
	key_secret_free(t2);
}

/* An anchor remembers at most KEYS_MAX_CHAIN rollovers until re-keyed. */
static void
test_chain_limit(void **state)
{
	trust_store st;
	blf_rollover r;
	char err[KEYS_ERRLEN];
	key_secret *n;
	size_t i;

	(void)state;
	simple_store(&st, 1);
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k1->keyid, BLF_KEYID_LEN);
	r.created = T0;
	r.overlap_until = T0 + 60;
	for (i = 0; i <= KEYS_MAX_CHAIN; i++) {
		uint8_t seed[BLF_SEED_LEN];

		memset(seed, 0, sizeof(seed));
		seed[0] = (uint8_t)i;
		seed[1] = (uint8_t)(i >> 8);
		seed[2] = 0xcc;
		assert_int_equal(key_secret_from_seed(seed, "", &n), BLF_OK);
		memcpy(r.old_pk, st.anchors[0].pk, BLF_PK_LEN);
		memcpy(r.new_pk, n->pk, BLF_PK_LEN);
		assert_int_equal(trust_apply_rollover(&st, &r, err, sizeof(err)),
				 i < KEYS_MAX_CHAIN ? BLF_OK : BLF_ELIMIT);
		key_secret_free(n);
	}
	assert_int_equal(st.anchors[0].nchain, KEYS_MAX_CHAIN);
	assert_non_null(strstr(err, "since the last re-key"));
	trust_store_free(&st);
}

/* ---- country-sized scopes ------------------------------------------------ */

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

/* n distinct pseudo-random prefixes: IPv4 /8-/24 and IPv6 /20-/48. */
static size_t
gen_prefixes(blf_prefix *v, size_t n, uint32_t salt)
{
	size_t i, j, k = 0;

	for (i = 0; k < n; i++) {
		blf_prefix p;
		uint32_t h = mix32((uint32_t)i * 2654435761U + salt);
		int dup = 0;

		memset(&p, 0, sizeof(p));
		if (h % 4 != 0) {
			uint32_t a;

			p.af = BLF_AF_INET;
			p.len = (uint8_t)(8 + mix32(h) % 17);
			a = mix32(h + 1) & (UINT32_MAX << (32 - p.len));
			p.addr[0] = (uint8_t)(a >> 24);
			p.addr[1] = (uint8_t)(a >> 16);
			p.addr[2] = (uint8_t)(a >> 8);
			p.addr[3] = (uint8_t)a;
		} else {
			uint32_t a = mix32(h + 2), b = mix32(h + 3);

			p.af = BLF_AF_INET6;
			p.len = (uint8_t)(20 + mix32(h) % 29);
			p.addr[0] = 0x20;
			p.addr[1] = (uint8_t)(a >> 24);
			p.addr[2] = (uint8_t)(a >> 16);
			p.addr[3] = (uint8_t)(a >> 8);
			p.addr[4] = (uint8_t)a;
			p.addr[5] = (uint8_t)(b >> 24);
			/* clear the host bits */
			for (j = p.len; j < 128; j++)
				p.addr[j / 8] &= (uint8_t)~(0x80u >> (j % 8));
		}
		for (j = 0; j < k && !dup; j++)
			dup = blf_prefix_cmp(&v[j], &p) == 0;
		if (!dup)
			v[k++] = p;
	}
	return k;
}

/* The index answers exactly what a scan over the list answers. */
static void
test_scope_index(void **state)
{
	enum { N = 2000, Q = 10000 };
	blf_prefix *v = malloc(N * sizeof(*v)), *q = malloc(Q * sizeof(*q));
	trust_anchor a;
	char *text, err[KEYS_ERRLEN], buf[BLF_PREFIX_STRLEN];
	size_t i, j, len = 0, in = 0;

	(void)state;
	assert_non_null(v);
	assert_non_null(q);
	gen_prefixes(v, N, 1);
	gen_prefixes(q, Q, 2);
	/* queries also inside and at the edges of listed prefixes */
	for (i = 0; i < Q / 4; i++) {
		q[i] = v[i % N];
		if (q[i].len < (q[i].af == BLF_AF_INET ? 32 : 128) && i % 2 == 1) {
			q[i].len++;
			/* the upper half */
			q[i].addr[(q[i].len - 1) / 8] |= (uint8_t)(0x80u >> ((q[i].len - 1) % 8));
		}
	}
	text = malloc(N * BLF_PREFIX_STRLEN);
	assert_non_null(text);
	for (i = 0; i < N; i++) {
		len += blf_prefix_format(&v[i], buf);
		memcpy(text + len - strlen(buf), buf, strlen(buf));
		text[len++] = ' ';
	}
	text[len - 1] = '\0';
	trust_anchor_init(&a, "big", k1->pk);
	a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
	a.max4 = 0;
	a.max6 = 0;
	assert_int_equal(trust_anchor_set(&a, "scope", text, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_anchor_set(&a, "authority", text, err, sizeof(err)), BLF_OK);
	assert_int_equal(a.nscope, N);
	for (i = 0; i < Q; i++) {
		int want = 0;

		for (j = 0; j < N && !want; j++)
			want = blf_prefix_contains(&v[j], &q[i]);
		in += want;
		assert_int_equal(trust_anchor_allows(&a, BLF_OP_DELIST, &q[i], T0),
				 want ? TRUST_OK : TRUST_OUT_OF_SCOPE);
		assert_int_equal(trust_anchor_allows(&a, BLF_OP_EXCLUDE, &q[i], T0),
				 want ? TRUST_OK : TRUST_OUT_OF_SCOPE);
	}
	assert_true(in > Q / 8); /* both answers are well represented */
	/* a duplicate far apart in the list is found */
	len = strlen(text);
	blf_prefix_format(&v[7], buf);
	text = realloc(text, len + BLF_PREFIX_STRLEN + 2);
	sprintf(text + len, " %s", buf);
	assert_int_equal(trust_anchor_set(&a, "scope", text, err, sizeof(err)), BLF_EEXIST);
	assert_non_null(strstr(err, "listed twice"));
	assert_non_null(strstr(err, buf));
	assert_int_equal(a.nscope, N); /* unchanged */
	trust_anchor_clear(&a);
	free(text);
	free(v);
	free(q);
}

static void
write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* scope-file / authority-file, repeated scope lines, the limits. */
static void
test_scope_file(void **state)
{
	char text[1024], path[128], err[KEYS_ERRLEN], *out, *big;
	trust_store st, st2;
	blf_prefix p;
	size_t n, i;
	FILE *f;

	(void)state;
	write_file("cn.txt", "# country list\n1.0.1.0/24\r\n  1.0.2.0/23  # APNIC\n\n"
		   "2001:250::/31\n");
	snprintf(text, sizeof(text), "anchor a\n key %s\n permissions exclude\n"
		 " authority-file cn.txt\n scope 10.0.0.0/8\n scope 11.0.0.0/8 12.0.0.0/8\n", b1);
	snprintf(path, sizeof(path), "%s/trust.conf", dir);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(st.anchors[0].nauthority, 3);
	assert_string_equal(st.anchors[0].authority_file, "cn.txt");
	assert_int_equal(st.anchors[0].nscope, 3);
	p = pfx("1.0.3.0/24");
	assert_int_equal(trust_anchor_allows(&st.anchors[0], BLF_OP_EXCLUDE, &p, T0), TRUST_OK);
	p = pfx("1.0.4.0/24");
	assert_int_equal(trust_anchor_allows(&st.anchors[0], BLF_OP_EXCLUDE, &p, T0),
			 TRUST_OUT_OF_SCOPE);
	/* the file name is written back, not its prefixes */
	assert_int_equal(trust_store_format(&st, &out, &n), BLF_OK);
	assert_non_null(strstr(out, "    authority-file cn.txt\n"));
	assert_null(strstr(out, "1.0.1.0/24"));
	assert_non_null(strstr(out, "    scope 10.0.0.0/8 11.0.0.0/8 12.0.0.0/8\n"));
	assert_int_equal(trust_store_parse(out, n, path, &st2, err, sizeof(err)), BLF_OK);
	assert_int_equal(st2.anchors[0].nauthority, 3);
	free(out);
	trust_store_free(&st2);
	/* a copy keeps the index */
	assert_int_equal(trust_store_copy(&st, &st2), BLF_OK);
	assert_int_equal(trust_anchor_allows(&st2.anchors[0], BLF_OP_EXCLUDE, &p, T0),
			 TRUST_OUT_OF_SCOPE);
	p = pfx("2001:251::/32");
	assert_int_equal(trust_anchor_allows(&st2.anchors[0], BLF_OP_EXCLUDE, &p, T0), TRUST_OK);
	trust_store_free(&st2);
	trust_store_free(&st);

	/* a duplicate across repeated lines is reported at the repeating line */
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope 10.0.0.0/8\n\n"
		 " scope 11.0.0.0/8 10.0.0.0/8\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_EEXIST);
	assert_non_null(strstr(err, "trust.conf:5: scope 10.0.0.0/8: listed twice"));
	/* inline and file lists do not mix */
	snprintf(text, sizeof(text), "anchor a\n key %s\n authority 10.0.0.0/8\n"
		 " authority-file cn.txt\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_EEXIST);
	assert_non_null(strstr(err, ":4: authority-file and authority"));
	/* errors in the file name the file and its line */
	write_file("bad.txt", "1.0.1.0/24\n1.0.1.1/24\n");
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file bad.txt\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_EHOSTBITS);
	assert_non_null(strstr(err, "trust.conf:3: scope-file: "));
	assert_non_null(strstr(err, "bad.txt:2: 1.0.1.1/24"));
	/* the file's bytes are quoted as ASCII only: no CSI, RLO or bad byte */
	write_file("hostile.txt", "1.0.1.0/24\n1.0.2.0/24 \xc2\x9b" "2J\xe2\x80\xae\xff\n");
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file hostile.txt\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_EPREFIX);
	assert_non_null(strstr(err, "hostile.txt:2: 1.0.2.0/24 ??2J????: "));
	for (i = 0; err[i] != '\0'; i++)
		assert_true((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] < 0x7f);
	write_file("dup.txt", "1.0.1.0/24\n1.0.1.0/24\n");
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file dup.txt\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_EEXIST);
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file .\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file missing.txt\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_ENOTFOUND);

	/* 100,000 prefixes load; KEYS_MAX_SCOPE + 1 do not */
	snprintf(path, sizeof(path), "%s/big.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i <= KEYS_MAX_SCOPE; i++)
		fprintf(f, "%s%u.%u.%u.0/24\n", i == 100000 ? "# that is 100k\n" : "",
			(unsigned)(1 + i / 65536), (unsigned)(i / 256 % 256), (unsigned)(i % 256));
	fclose(f);
	big = malloc(100000 * 16);
	assert_non_null(big);
	f = fopen(path, "r");
	n = fread(big, 1, 100000 * 16, f);
	fclose(f);
	big[strstr(big, "# that") - big] = '\0';
	write_file("100k.txt", big);
	free(big);
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file 100k.txt\n", b1);
	snprintf(path, sizeof(path), "%s/trust.conf", dir);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(st.anchors[0].nscope, 100000);
	trust_store_free(&st);
	snprintf(text, sizeof(text), "anchor a\n key %s\n scope-file big.txt\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), path, &st, err, sizeof(err)),
			 BLF_ELIMIT);
	assert_non_null(strstr(err, "more than 262144 prefixes"));
}

/* A long scope is written as repeated lines and read back the same. */
static void
test_scope_lines(void **state)
{
	enum { N = 1000 };
	blf_prefix *v = malloc(N * sizeof(*v));
	char *text, *out, *out2, err[KEYS_ERRLEN], buf[BLF_PREFIX_STRLEN];
	trust_store st, st2;
	trust_anchor a;
	size_t i, len, n, n2;

	(void)state;
	assert_non_null(v);
	gen_prefixes(v, N, 3);
	text = malloc(N * (BLF_PREFIX_STRLEN + 1));
	assert_non_null(text);
	for (i = 0, len = 0; i < N; i++) {
		blf_prefix_format(&v[i], buf);
		len += (size_t)sprintf(text + len, "%s%s", i > 0 ? "," : "", buf);
	}
	trust_anchor_init(&a, "big", k1->pk);
	assert_int_equal(trust_anchor_set(&a, "scope", text, err, sizeof(err)), BLF_OK);
	memset(&st, 0, sizeof(st));
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_OK);
	assert_int_equal(trust_store_format(&st, &out, &n), BLF_OK);
	for (i = 0, len = 0; out[i] != '\0'; i++)
		len += strncmp(out + i, "\n    scope ", 11) == 0;
	assert_int_equal(len, (N + 63) / 64);
	assert_int_equal(trust_store_parse(out, n, "t.conf", &st2, err, sizeof(err)), BLF_OK);
	assert_int_equal(st2.anchors[0].nscope, N);
	assert_memory_equal(st2.anchors[0].scope, v, N * sizeof(*v));
	assert_int_equal(trust_store_format(&st2, &out2, &n2), BLF_OK);
	assert_int_equal(n, n2);
	assert_memory_equal(out, out2, n);
	free(out);
	free(out2);
	free(text);
	free(v);
	trust_anchor_clear(&a);
	trust_store_free(&st);
	trust_store_free(&st2);
}

/* Two writers in two processes: the lock serialises them, both land. */
static void
test_txn(void **state)
{
	char path[128], err[KEYS_ERRLEN];
	trust_store st;
	trust_txn t;
	trust_anchor a;
	pid_t pid;
	int status;

	(void)state;
	snprintf(path, sizeof(path), "%s/txn.conf", dir);
	assert_int_equal(trust_store_txn_begin(&t, path, &st, err, sizeof(err)), BLF_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		trust_txn t2;
		trust_store s2;
		trust_anchor b;

		/* the inherited descriptor shares the parent's lock: drop it */
		close(t.fd);
		/* blocks until the parent commits, then sees its anchor */
		if (trust_store_txn_begin(&t2, path, &s2, err, sizeof(err)) != BLF_OK ||
		    s2.nanchors != 1)
			_exit(1);
		trust_anchor_init(&b, "b", k2->pk);
		if (trust_store_add(&s2, &b, err, sizeof(err)) != BLF_OK ||
		    trust_store_txn_commit(&t2, &s2, err, sizeof(err)) != BLF_OK)
			_exit(2);
		_exit(0);
	}
	usleep(200000); /* the child is waiting for the lock by now */
	trust_anchor_init(&a, "a", k1->pk);
	assert_int_equal(trust_store_add(&st, &a, err, sizeof(err)), BLF_OK);
	trust_anchor_clear(&a);
	assert_int_equal(trust_store_txn_commit(&t, &st, err, sizeof(err)), BLF_OK);
	trust_store_free(&st);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(trust_store_read(path, &st, err, sizeof(err)), BLF_OK);
	assert_int_equal(st.nanchors, 2);
	trust_store_free(&st);
	/* abort releases the lock: a second transaction in this process */
	assert_int_equal(trust_store_txn_begin(&t, path, &st, err, sizeof(err)), BLF_OK);
	trust_store_txn_abort(&t);
	trust_store_txn_abort(&t);
	trust_store_free(&st);
	assert_int_equal(trust_store_txn_begin(&t, path, &st, err, sizeof(err)), BLF_OK);
	assert_int_equal(st.nanchors, 2);
	trust_store_txn_abort(&t);
	trust_store_free(&st);
	/* a lock file that cannot be created: an error for a writer */
	assert_int_equal(trust_store_txn_begin(&t, "/nonexistent/dir/trust.conf", &st, err,
					       sizeof(err)), BLF_EIO);
	assert_non_null(strstr(err, "cannot lock the trust store"));
	/* a reader goes on (a missing store is empty) */
	assert_int_equal(trust_store_read("/nonexistent/dir/trust.conf", &st, err, sizeof(err)),
			 BLF_OK);
	assert_int_equal(st.nanchors, 0);
}

/* Notes follow the text rule, in the store and through trust_anchor_set. */
static void
test_note_text(void **state)
{
	char text[512], err[KEYS_ERRLEN];
	trust_store st;
	trust_anchor a;

	(void)state;
	trust_anchor_init(&a, "x", k1->pk);
	assert_int_equal(trust_anchor_set(&a, "note", "ok \xe2\x80\xae gpj.exe", err,
					  sizeof(err)), BLF_ESTRING);
	assert_int_equal(trust_anchor_set(&a, "note", "\xc2\x9b" "2J", err, sizeof(err)),
			 BLF_ESTRING);
	assert_int_equal(trust_anchor_set(&a, "note", "bad \xfe", err, sizeof(err)),
			 BLF_ESTRING);
	assert_null(a.note);
	assert_int_equal(trust_anchor_set(&a, "note", "\xe4\xb8\xad\xe5\x9b\xbd", err,
					  sizeof(err)), BLF_OK);
	assert_string_equal(a.note, "\xe4\xb8\xad\xe5\x9b\xbd");
	trust_anchor_clear(&a);
	snprintf(text, sizeof(text), "anchor a\n key %s\n note ASCT\xe2\x81\xa6x\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), "t.conf", &st, err, sizeof(err)),
			 BLF_ESTRING);
	assert_non_null(strstr(err, "t.conf:3: note: not UTF-8 text"));
	snprintf(text, sizeof(text), "anchor a\n key %s\n note \xc2\x85\n", b1);
	assert_int_equal(trust_store_parse(text, strlen(text), "t.conf", &st, err, sizeof(err)),
			 BLF_ESTRING);
}

static void
test_misc(void **state)
{
	char buf[64];
	unsigned op;

	(void)state;
	trust_perms_format(TRUST_LIST | TRUST_EXCLUDE, ",", buf, sizeof(buf));
	assert_string_equal(buf, "list,exclude");
	trust_perms_format(TRUST_RELAY_ONLY, " ", buf, sizeof(buf));
	assert_string_equal(buf, "relay-only");
	assert_int_equal(trust_op_parse("unexclude", &op), BLF_OK);
	assert_int_equal(op, BLF_OP_UNEXCLUDE);
	assert_int_equal(trust_op_parse("publish", &op), BLF_EOPTYPE);
	assert_string_equal(trust_op_name(BLF_OP_DELIST), "delist");
	assert_string_equal(trust_op_name(0), "unknown");
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_trust.XXXXXX");
	if (mkdtemp(dir) == NULL || blf_init() != BLF_OK)
		return -1;
	k1 = key_from(1);
	k2 = key_from(2);
	k3 = key_from(3);
	k4 = key_from(4);
	b64_of(k1, b1);
	b64_of(k2, b2);
	b64_of(k3, b3);
	b64_of(k4, b4);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	key_secret_free(k1);
	key_secret_free(k2);
	key_secret_free(k3);
	key_secret_free(k4);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Making, parsing and freeing other anchors and stores, and applying a
 * statement to another copy, leave a store's key id index in use (a daemon's
 * store after a reload that failed, say); adding a key in place makes it
 * stale, and lookups still find the key until the store is reindexed. */
static void
test_keyindex_current(void **state)
{
	trust_store st, other;
	trust_anchor tmp;
	blf_rollover ro;
	const trust_anchor *a = NULL;
	char err[KEYS_ERRLEN], *text, val[KEYS_B64_LEN + 32];
	uint8_t pk[BLF_PK_LEN], npk[BLF_PK_LEN], id[BLF_KEYID_LEN];
	size_t n;

	(void)state;
	build_store(&st);
	assert_int_equal(trust_store_reindex(&st), BLF_OK);
	assert_true(keys_keyindex_current(&st));
	/* another store parsed from st's text, copied, changed by a rollover */
	assert_int_equal(trust_store_format(&st, &text, &n), BLF_OK);
	assert_int_equal(trust_store_parse(text, n, "other", &other, err, sizeof(err)), BLF_OK);
	free(text);
	memset(&ro, 0, sizeof(ro));
	memcpy(ro.origin, other.anchors[0].origin, BLF_KEYID_LEN);
	memcpy(ro.old_pk, other.anchors[0].pk, BLF_PK_LEN);
	randombytes_buf(ro.new_pk, BLF_PK_LEN);
	ro.overlap_until = T0 + 86400;
	assert_int_equal(trust_apply_rollover(&other, &ro, err, sizeof(err)), BLF_OK);
	trust_store_free(&other);
	/* a reload that fails */
	assert_int_equal(trust_store_parse("anchor x\n", 9, "bad", &other, err, sizeof(err)),
			 BLF_EINVAL);
	/* a temporary anchor */
	trust_anchor_init(&tmp, "tmp", k4->pk);
	trust_anchor_clear(&tmp);
	assert_true(keys_keyindex_current(&st));
	/* a key added in place */
	randombytes_buf(npk, sizeof(npk));
	sodium_bin2base64(val, sizeof(val), npk, sizeof(npk), sodium_base64_VARIANT_ORIGINAL);
	strcat(val, " until 2099-01-01");
	assert_int_equal(trust_anchor_set(&st.anchors[1], "old-key", val, err, sizeof(err)),
			 BLF_OK);
	assert_false(keys_keyindex_current(&st));
	blf_keyid(npk, id);
	assert_int_equal(trust_store_resolve(&st, id, T0, &a, pk), BLF_OK);
	assert_ptr_equal(a, &st.anchors[1]);
	assert_memory_equal(pk, npk, BLF_PK_LEN);
	assert_int_equal(trust_store_reindex(&st), BLF_OK);
	assert_true(keys_keyindex_current(&st));
	assert_int_equal(trust_store_resolve(&st, id, T0, &a, pk), BLF_OK);
	trust_store_free(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_store_perms),
		cmocka_unit_test(test_user_check),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_anchor_set),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_apply_rollover_struct),
		cmocka_unit_test(test_apply_revocation_struct),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_chain_limit),
		cmocka_unit_test(test_scope_index),
		cmocka_unit_test(test_scope_file),
		cmocka_unit_test(test_scope_lines),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_note_text),
		cmocka_unit_test(test_keyindex_current),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
