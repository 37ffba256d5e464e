/*
 * cmd_trust_revoke.c - `blfed trust revoke [-r REASON] [-s FILE]
 * [-p PUBLIC-KEY] [KEYFILE]`: write a revocation statement (SPEC 6.7).
 *
 * Without -p the statement revokes our key (or KEYFILE) and is signed by
 * that key itself, so it can be made for a key that has been rotated away
 * (or stolen) as long as its file exists.  With -p it revokes the given
 * public key - an older key of our origin whose secret half is lost - and
 * is signed by our current key, which SPEC 6.7 also accepts.  Keep the
 * statement somewhere safe: it is what partners apply with `blfed trust
 * apply` to stop accepting that key forever.
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define REVOKE_USAGE \
	"[-r unspecified|compromised|superseded|retired] [-s FILE] [-p PUBLIC-KEY] [KEYFILE]"

static const char *const reasons[] = {"unspecified", "compromised", "superseded",
				      "retired"};

/*
 * Write the statement.  0 on success, 2 on any error.
 */
int
cmd_trust_revoke(struct cli *c, int argc, char **argv)
{
	const char *reason = "unspecified", *stpath = NULL, *keypath, *pubarg = NULL;
	struct cli_opt opts[] = {
		{"-r", "--reason", &reason, NULL},
		{"-s", "--statement", &stpath, NULL},
		{"-p", "--public", &pubarg, NULL},
		{NULL, NULL, NULL, NULL},
	};
	uint8_t revoked[BLF_PK_LEN], id[BLF_KEYID_LEN];
	char err[KEYS_ERRLEN];
	struct stat sb;
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
	if (pubarg != NULL) {
		/* a key file, or the public key line itself */
		err[0] = '\0';
		rc = stat(pubarg, &sb) == 0 ? key_public_load(pubarg, revoked, err, sizeof(err))
					    : key_public_parse(pubarg, revoked, NULL, 0, err,
							       sizeof(err));
		if (rc != BLF_OK) {
			/* a file name is shown; a key given inline is not: it may be a
			 * secret key pasted by mistake */
			if (stat(pubarg, &sb) == 0)
				cli_err(c, "-p %s: %s", pubarg, err[0] != '\0' ? err : _(blf_strerror(rc)));
			else
				cli_err(c, "-p: %s", err[0] != '\0' ? err : _(blf_strerror(rc)));
			goto out;
		}
	}
	if (stpath == NULL) {
		n = strlen(keypath) + BLF_KEYID_HEX_LEN + 16;
		if ((stbuf = malloc(n)) == NULL) {
			cli_err(c, "out of memory");
			goto out;
		}
		if (pubarg != NULL) {
			blf_keyid(revoked, id);
			blf_keyid_hex(id, hex);
			snprintf(stbuf, n, "%s.revocation", hex);
		} else {
			snprintf(stbuf, n, "%s.revocation", keypath);
		}
		stpath = stbuf;
	}
	if (cli_key_load(c, keypath, &k) != 0)
		goto out;
	if (pubarg == NULL)
		memcpy(revoked, k->pk, BLF_PK_LEN);
	else if (memcmp(revoked, k->pk, BLF_PK_LEN) == 0)
		pubarg = NULL; /* our own key: the usual self-signed statement */
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k->origin, BLF_KEYID_LEN);
	memcpy(r.revoked_pk, revoked, BLF_PK_LEN);
	r.created = cli_now();
	r.reason = code;
	if ((rc = blf_revocation_seal(&r, k->sk, &out)) != BLF_OK) {
		cli_err(c, "cannot seal the revocation statement: %s", _(blf_strerror(rc)));
		goto out;
	}
	if (cli_write_new(c, stpath, out.data, out.len) != 0)
		goto out;
	blf_keyid(revoked, id);
	blf_keyid_hex(id, hex);
	if (c->json) {
		printf("{\"revoked_keyid\":\"%s\",\"reason\":\"%s\",\"statement\":", hex,
		       reasons[code]);
		cli_json_str(stdout, stpath);
		printf("}\n");
	} else {
		printf(_("revocation statement for key %s (%s) written to %s\n"), hex,
		       reasons[code], stpath);
		printf(_("send it to every partner: blfed trust apply %s\n"), stpath);
	}
	ret = CLI_OK;
out:
	blf_buf_free(&out);
	key_secret_free(k);
	free(stbuf);
	return ret;
}
