/*
 * test_ctl.c - the control protocol (agent/ctl): round trips, hostile
 * requests with their exact error codes, the operation lines of a publish
 * request, replies and hex.  Inputs are copied into heap buffers of exactly
 * their length so that AddressSanitizer catches a read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../agent/ctl/ctl.h"

static int
decode(const char *s, size_t n, ctl_req *r)
{
	uint8_t *b = malloc(n > 0 ? n : 1);
	int rc;

	assert_non_null(b);
	if (n > 0)
		memcpy(b, s, n);
	rc = ctl_req_decode(b, n, r);
	free(b);
	return rc;
}

#define DEC(lit, r) decode(lit, sizeof(lit) - 1, r)

static void
test_roundtrip(void **state)
{
	const char *args[] = {"list 192.0.2.1/32 1 86400 ticket 7", "delist 198.51.100.0/24",
			      "", "\xe4\xb8\xad\xe6\x96\x87"};
	ctl_buf b = {0};
	ctl_req r;

	(void)state;
	assert_int_equal(ctl_req_encode(CTL_PUBLISH, 1, args, 4, &b), BLF_OK);
	assert_string_equal(b.data, "blfctl 1 publish json\nlist 192.0.2.1/32 1 86400 ticket 7\n"
				    "delist 198.51.100.0/24\n\n\xe4\xb8\xad\xe6\x96\x87\n");
	assert_int_equal(decode(b.data, b.len, &r), BLF_OK);
	assert_int_equal(r.verb, CTL_PUBLISH);
	assert_int_equal(r.json, 1);
	assert_int_equal(r.nargs, 4);
	assert_string_equal(r.args[0], args[0]);
	assert_string_equal(r.args[2], "");
	ctl_req_free(&r);
	ctl_buf_free(&b);
	assert_int_equal(DEC("blfctl 1 status\n", &r), BLF_OK);
	assert_int_equal(r.verb, CTL_STATUS);
	assert_int_equal(r.json, 0);
	assert_int_equal(r.nargs, 0);
	ctl_req_free(&r);
}

/* The reader's language: carried, checked, never mixed with the arguments. */
static void
test_lang(void **state)
{
	const char *args[] = {"198.51.100.7"};
	ctl_buf b = {0};
	ctl_req r;

	(void)state;
	assert_int_equal(ctl_req_encode_lang(CTL_WHY, 0, "zh_CN:zh_CN.UTF-8", args, 1, &b),
			 BLF_OK);
	assert_string_equal(b.data, "blfctl 1 why lang=zh_CN:zh_CN.UTF-8\n198.51.100.7\n");
	assert_int_equal(decode(b.data, b.len, &r), BLF_OK);
	assert_int_equal(r.json, 0);
	assert_string_equal(r.lang, "zh_CN:zh_CN.UTF-8");
	assert_int_equal(r.nargs, 1);
	ctl_req_free(&r);
	ctl_buf_free(&b);
	assert_int_equal(ctl_req_encode_lang(CTL_STATUS, 1, "C", NULL, 0, &b), BLF_OK);
	assert_string_equal(b.data, "blfctl 1 status json lang=C\n");
	ctl_buf_free(&b);
	assert_int_equal(ctl_req_encode_lang(CTL_STATUS, 1, "", NULL, 0, &b), BLF_OK);
	assert_string_equal(b.data, "blfctl 1 status json\n");
	ctl_buf_free(&b);
	assert_int_equal(DEC("blfctl 1 status\n", &r), BLF_OK);
	assert_string_equal(r.lang, "");
	ctl_req_free(&r);
	/* order, syntax, characters and length are checked */
	assert_int_equal(DEC("blfctl 1 status lang=C json\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status lang=\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status lang=zh CN\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status lang=../../etc\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status jsonlang=C\n", &r), BLF_EINVAL);
	/* a NUL in the language (found by fuzz_ctl): refused, not read past */
	assert_int_equal(DEC("blfctl 1 publish lang=1.290\0\0sps\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status lang=C\0\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status json lang=C \n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status lang=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status lang=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "\n", &r), BLF_OK);
	ctl_req_free(&r);
	assert_int_equal(ctl_req_encode_lang(CTL_STATUS, 0, "a/b", NULL, 0, &b), BLF_EINVAL);
	ctl_buf_free(&b);
}

static void
test_hostile(void **state)
{
	ctl_req r;
	char *big;
	size_t i, n;

	(void)state;
	assert_int_equal(decode("", 0, &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status", &r), BLF_EINVAL);         /* no newline */
	assert_int_equal(DEC("blfctl 2 status\n", &r), BLF_EVERSION);
	assert_int_equal(DEC("BLFCTL 1 status\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 frob\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status JSON\n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 status json \n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 \n", &r), BLF_EINVAL);
	assert_int_equal(DEC("blfctl 1 why\n1.2.3.4\r\n", &r), BLF_ESTRING);
	assert_int_equal(DEC("blfctl 1 why\na\0b\n", &r), BLF_ESTRING);
	assert_int_equal(DEC("blfctl 1 why\n\xc0\xaf\n", &r), BLF_ESTRING);   /* overlong */
	assert_int_equal(DEC("blfctl 1 why\n\xed\xa0\x80\n", &r), BLF_ESTRING); /* surrogate */
	assert_int_equal(DEC("blfctl 1 why\n\xc2\x85\n", &r), BLF_ESTRING);   /* C1 control */
	assert_int_equal(DEC("blfctl 1 why\n\xe4\xb8\n", &r), BLF_ESTRING);   /* cut short */
	/* an argument one byte too long */
	n = 13 + CTL_MAX_ARG + 2;
	big = malloc(n);
	memcpy(big, "blfctl 1 why\n", 13);
	memset(big + 13, 'a', CTL_MAX_ARG + 1);
	big[n - 1] = '\n';
	assert_int_equal(decode(big, n, &r), BLF_ETOOBIG);
	free(big);
	/* too many arguments */
	n = 17 + 2 * (CTL_MAX_ARGS + 1);
	big = malloc(n);
	memcpy(big, "blfctl 1 publish\n", 17);
	for (i = 0; i < CTL_MAX_ARGS + 1; i++)
		memcpy(big + 17 + 2 * i, "x\n", 2);
	assert_int_equal(decode(big, n, &r), BLF_ETOOBIG);
	free(big);
	/* too large */
	big = calloc(1, CTL_MAX_REQ + 1);
	memcpy(big, "blfctl 1 why\n", 13);
	assert_int_equal(decode(big, CTL_MAX_REQ + 1, &r), BLF_ETOOBIG);
	free(big);
	assert_null(r.args);
	assert_null(r.buf);
	ctl_req_free(&r);
}

static void
test_encode_refuses(void **state)
{
	const char *nl[] = {"a\nb"};
	ctl_buf b = {0};

	(void)state;
	assert_int_equal(ctl_req_encode(0, 0, NULL, 0, &b), BLF_EINVAL);
	assert_int_equal(ctl_req_encode(CTL_VERB_MAX + 1, 0, NULL, 0, &b), BLF_EINVAL);
	assert_int_equal(ctl_req_encode(CTL_WHY, 0, nl, 1, &b), BLF_EINVAL);
	assert_int_equal(b.len, 0);
	ctl_buf_free(&b);
}

static void
test_ops(void **state)
{
	static const struct {
		const char *s;
		int rc;
	} bad[] = {
		{"list", BLF_EINVAL},
		{"list 192.0.2.1", BLF_EINVAL},
		{"list 192.0.2.1 1", BLF_EINVAL},
		{"list 192.0.2.1 0 60", BLF_EREASON},
		{"list 192.0.2.1 nonsense 60", BLF_EREASON},
		{"list 192.0.2.1 1 0", BLF_EEXPIRY},
		{"list 192.0.2.1 1 34560001", BLF_EEXPIRY},
		{"list 192.0.2.1 1 060", BLF_EEXPIRY},
		{"list 192.0.2.1 1 99999999999999999999999", BLF_EEXPIRY},
		{"list 192.0.2.1/33 1 60", BLF_EPREFIXLEN},
		{"list 192.0.2.1/24 1 60", BLF_EHOSTBITS},
		{"delist 192.0.2.1 extra", BLF_EINVAL},
		{"unexclude", BLF_EINVAL},
		{"frob 192.0.2.1", BLF_EOPTYPE},
		{"", BLF_EOPTYPE},
		{" list 192.0.2.1 1 60", BLF_EOPTYPE},
	};
	char longref[300];
	blf_op op;
	uint64_t ttl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ctl_op_parse(bad[i].s, &op, &ttl) != bad[i].rc)
			fail_msg("\"%s\": got %d want %d", bad[i].s, ctl_op_parse(bad[i].s, &op, &ttl),
				 bad[i].rc);
	}
	assert_int_equal(ctl_op_parse("list 192.0.2.0/24 botnet 3600 a b  c", &op, &ttl), BLF_OK);
	assert_int_equal(op.type, BLF_OP_LIST);
	assert_int_equal(op.reason, 3);
	assert_int_equal(ttl, 3600);
	assert_int_equal(op.ref_len, 6);
	assert_memory_equal(op.ref, "a b  c", 6);
	assert_int_equal(ctl_op_parse("exclude 2001:db8::/32", &op, &ttl), BLF_OK);
	assert_int_equal(op.type, BLF_OP_EXCLUDE);
	assert_int_equal(op.ref_len, 0);
	assert_int_equal(ctl_op_parse("unexclude 2001:db8::/32", &op, &ttl), BLF_OK);
	memcpy(longref, "exclude 10.0.0.0/8 ", 19);
	memset(longref + 19, 'r', 256);
	longref[19 + 256] = '\0';
	assert_int_equal(ctl_op_parse(longref, &op, &ttl), BLF_ETOOBIG);
	longref[19 + 255] = '\0';
	assert_int_equal(ctl_op_parse(longref, &op, &ttl), BLF_OK);
	assert_int_equal(op.ref_len, 255);
}

static void
test_reply(void **state)
{
	ctl_buf b = {0};
	const char *msg, *body;
	size_t ml, bl;
	int code;

	(void)state;
	assert_int_equal(ctl_reply_encode(1, "no\nexport", "body\n", 5, &b), BLF_OK);
	assert_string_equal(b.data, "blfctl 1 1\nno export\nbody\n");
	assert_int_equal(ctl_reply_decode((uint8_t *)b.data, b.len, &code, &msg, &ml, &body, &bl),
			 BLF_OK);
	assert_int_equal(code, 1);
	assert_int_equal(ml, 9);
	assert_int_equal(bl, 5);
	assert_int_equal(ctl_reply_encode(3, "", NULL, 0, &b), BLF_EINVAL);
	assert_int_equal(ctl_reply_decode((const uint8_t *)"blfctl 1 7\n\n", 12, &code, &msg, &ml,
					  &body, &bl), BLF_EINVAL);
	assert_int_equal(ctl_reply_decode((const uint8_t *)"blfctl 1 0\nno newline", 21, &code,
					  &msg, &ml, &body, &bl), BLF_EINVAL);
	ctl_buf_free(&b);
}

static void
test_hex_json(void **state)
{
	uint8_t in[3] = {0x00, 0xab, 0xff}, out[3];
	char hex[7];
	size_t n;
	ctl_buf b = {0};

	(void)state;
	ctl_hex_encode(in, 3, hex);
	assert_string_equal(hex, "00abff");
	assert_int_equal(ctl_hex_decode("00ABff", 6, out, 3, &n), BLF_OK);
	assert_memory_equal(out, in, 3);
	assert_int_equal(ctl_hex_decode("00a", 3, out, 3, &n), BLF_EINVAL);
	assert_int_equal(ctl_hex_decode("0g", 2, out, 3, &n), BLF_EINVAL);
	assert_int_equal(ctl_hex_decode("00000000", 8, out, 3, &n), BLF_ETOOBIG);
	ctl_buf_json_str(&b, "a\"b\\c\n\x01", 7);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	ctl_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_hex_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
