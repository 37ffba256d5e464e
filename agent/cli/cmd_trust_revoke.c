/*
 * cmd_trust_revoke.c - `blfed trust revoke [-r REASON] [-s FILE] [KEYFILE]`:
 * write a revocation statement (SPEC 6.7) for our key or for KEYFILE.
 *
 * The statement is signed by the key it revokes, so it can be made for a
 * key that has been rotated away (or stolen) as long as its file exists.
 * Keep it somewhere safe: it is what partners apply with `blfed trust
 * apply` to stop accepting that key forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define REVOKE_USAGE "[-r unspecified|compromised|superseded|retired] [-s FILE] [KEYFILE]"

static const char *const reasons[] = {"unspecified", "compromised", "superseded",
				      "retired"};

/*
 * Write the statement.  0 on success, 2 on any error.
 */
int
cmd_trust_revoke(struct cli *c, int argc, char **argv)
{
	const char *reason = "unspecified", *stpath = NULL, *keypath;
	struct cli_opt opts[] = {
		{"-r", "--reason", &reason, NULL},
		{"-s", "--statement", &stpath, NULL},
		{NULL, NULL, NULL, NULL},
	};
	char *pos[CLI_MAX_POS];
	char *stbuf = NULL, hex[BLF_KEYID_HEX_LEN + 1];
	key_secret *k = NULL;
	blf_revocation r;
	blf_buf out = {NULL, 0, 0};
	unsigned code;
	size_t n;
	int npos, rc, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 0, 1, REVOKE_USAGE) != 0)
		goto out;
	for (code = 0; code <= BLF_REVOKE_REASON_MAX; code++)
		if (strcmp(reason, reasons[code]) == 0)
			break;
	if (code > BLF_REVOKE_REASON_MAX) {
		cli_err(c, "reason \"%.32s\": expected unspecified, compromised, superseded "
			"or retired", reason);
		goto out;
	}
	keypath = npos == 1 ? pos[0] : c->keyfile;
	if (stpath == NULL) {
		n = strlen(keypath) + 12;
		if ((stbuf = malloc(n)) == NULL) {
			cli_err(c, "out of memory");
			goto out;
		}
		snprintf(stbuf, n, "%s.revocation", keypath);
		stpath = stbuf;
	}
	if (cli_key_load(c, keypath, &k) != 0)
		goto out;
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k->origin, BLF_KEYID_LEN);
	memcpy(r.revoked_pk, k->pk, BLF_PK_LEN);
	r.created = cli_now();
	r.reason = code;
	if ((rc = blf_revocation_seal(&r, k->sk, &out)) != BLF_OK) {
		cli_err(c, "cannot seal the revocation statement: %s", blf_strerror(rc));
		goto out;
	}
	if (cli_write_new(c, stpath, out.data, out.len) != 0)
		goto out;
	blf_keyid_hex(k->keyid, hex);
	if (c->json) {
		printf("{\"revoked_keyid\":\"%s\",\"reason\":\"%s\",\"statement\":", hex,
		       reasons[code]);
		cli_json_str(stdout, stpath);
		printf("}\n");
	} else {
		printf("revocation statement for key %s (%s) written to %s\n", hex,
		       reasons[code], stpath);
		printf("send it to every partner: blfed trust apply %s\n", stpath);
	}
	ret = CLI_OK;
out:
	blf_buf_free(&out);
	key_secret_free(k);
	free(stbuf);
	return ret;
}
