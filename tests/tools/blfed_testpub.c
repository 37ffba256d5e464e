/*
 * blfed_testpub.c - test tool: publish deltas into a data directory through
 * core_publish, so that tests can build a view with several origins,
 * listings and exclusions without a running daemon.
 *
 *     blfed_testpub DATADIR TRUSTFILE KEYFILE TIME < ops
 *
 * TIME is unix seconds.  Each line of standard input is one operation of
 * one delta signed by KEYFILE's origin (whose anchor must be in TRUSTFILE):
 *
 *     list PREFIX REASON TTL-SECONDS [REF...]
 *     exclude PREFIX [REF...]
 *     delist PREFIX
 *     unexclude PREFIX
 *
 * REF may use \xHH escapes for bytes that a shell makes awkward.  Exit 0 on
 * success, 2 with a message on any error.  Not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/core/core.h"

#define MAX_OPS 10000
#define LINE_MAX_LEN 4096

static size_t
unescape(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	while (*s != '\0' && o + 1 < cap) {
		if (s[0] == '\\' && s[1] == 'x' && s[2] != '\0' && s[3] != '\0') {
			char h[3] = { s[2], s[3], 0 };

			out[o++] = (char)strtoul(h, NULL, 16);
			s += 4;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return o;
}

int
main(int argc, char **argv)
{
	static blf_op ops[MAX_OPS];
	static char refs[MAX_OPS][BLF_MAX_REF_LEN + 1];
	char line[LINE_MAX_LEN], err[KEYS_ERRLEN];
	trust_store st;
	core_config cfg;
	key_secret *k = NULL;
	core *c = NULL;
	blf_buf out = { 0 };
	size_t n = 0;
	uint64_t now;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: blfed_testpub DATADIR TRUSTFILE KEYFILE TIME < ops\n");
		return 2;
	}
	now = strtoull(argv[4], NULL, 10);
	memset(&cfg, 0, sizeof(cfg));
	if (blf_init() != BLF_OK || trust_store_load(argv[2], &st, err, sizeof(err)) != BLF_OK ||
	    key_secret_load(argv[3], &k, err, sizeof(err)) != BLF_OK) {
		fprintf(stderr, "blfed_testpub: cannot load trust store or key\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL && n < MAX_OPS) {
		char *verb, *pfx, *rest, *save = NULL;
		blf_op *op = &ops[n];

		line[strcspn(line, "\n")] = '\0';
		if ((verb = strtok_r(line, " ", &save)) == NULL || verb[0] == '#')
			continue;
		if ((pfx = strtok_r(NULL, " ", &save)) == NULL ||
		    blf_prefix_parse(pfx, strlen(pfx), 0, &op->prefix) != BLF_OK) {
			fprintf(stderr, "blfed_testpub: bad prefix in line %zu\n", n + 1);
			return 2;
		}
		if (strcmp(verb, "list") == 0) {
			char *reason = strtok_r(NULL, " ", &save), *ttl = strtok_r(NULL, " ", &save);

			if (reason == NULL || ttl == NULL ||
			    blf_reason_parse(reason, &op->reason) != BLF_OK) {
				fprintf(stderr, "blfed_testpub: list PREFIX REASON TTL [REF]\n");
				return 2;
			}
			op->type = BLF_OP_LIST;
			op->expires = now + strtoull(ttl, NULL, 10);
		} else if (strcmp(verb, "exclude") == 0) {
			op->type = BLF_OP_EXCLUDE;
		} else if (strcmp(verb, "delist") == 0) {
			op->type = BLF_OP_DELIST;
		} else if (strcmp(verb, "unexclude") == 0) {
			op->type = BLF_OP_UNEXCLUDE;
		} else {
			fprintf(stderr, "blfed_testpub: unknown operation %s\n", verb);
			return 2;
		}
		rest = save != NULL ? save : "";
		if (op->type == BLF_OP_LIST || op->type == BLF_OP_EXCLUDE) {
			op->ref_len = (uint16_t)unescape(rest, refs[n], sizeof(refs[n]));
			op->ref = refs[n];
		}
		n++;
	}
	if ((rc = core_open(argv[1], &cfg, &st, &c)) != BLF_OK ||
	    (rc = core_publish(c, k, ops, n, now, &out)) != BLF_OK) {
		fprintf(stderr, "blfed_testpub: %s\n", blf_strerror(rc));
		return 2;
	}
	core_close(c);
	blf_buf_free(&out);
	key_secret_free(k);
	trust_store_free(&st);
	return 0;
}
