/*
 * cmd_trust_apply.c - `blfed trust apply FILE`: verify a rollover or
 * revocation statement received from a partner and apply it to our store.
 *
 * trust_apply_statement() does the work: a rollover must be signed by the
 * anchor's current key and counter-signed by the new one, and the anchor
 * must accept in-band rollover; a revocation must be signed by the key it
 * revokes.  Exit 0 when applied (or already applied), 1 when the statement
 * does not verify or policy refuses it, 2 for a malformed file or an I/O
 * error.  The store is saved only after a successful apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Verification and policy refusals are a negative answer, not an error. */
static int
refusal(int rc)
{
	switch (rc) {
	case BLF_EBADSIG:
	case BLF_ECOUNTERSIG:
	case BLF_EUNKKEY:
	case BLF_EKEYID:
	case BLF_EREVOKED:
	case BLF_EEXPIREDKEY:
	case BLF_EPOLICY:
	case BLF_EEXIST:
	case BLF_ECLOCK:
		return 1;
	default:
		return 0;
	}
}

/*
 * Apply FILE.  0 applied, 1 refused, 2 error.
 */
int
cmd_trust_apply(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	char err[KEYS_ERRLEN], name[KEYS_NAME_MAX + 1], signer[BLF_KEYID_HEX_LEN + 1];
	char hex[BLF_KEYID_HEX_LEN + 1];
	trust_store st = {NULL, 0, NULL};
	const trust_anchor *a;
	blf_envelope env;
	uint8_t *buf = NULL;
	size_t len;
	unsigned type = 0;
	int npos, rc, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, "FILE") != 0)
		goto out;
	if (cli_read_file(c, pos[0], CLI_MAX_STATEMENT, &buf, &len) != 0)
		goto out;
	if (cli_store_load(c, &st) != 0)
		goto out;
	name[0] = '\0';
	signer[0] = '\0';
	if (blf_envelope_parse(buf, len, &env) == BLF_OK) {
		blf_keyid_hex(env.signer, signer);
		if ((a = trust_store_find_keyid(&st, env.signer)) != NULL)
			snprintf(name, sizeof(name), "%s", a->name);
	}
	err[0] = '\0';
	rc = trust_apply_statement(&st, buf, len, cli_now(), &type, err, sizeof(err));
	if (rc == BLF_ESTALE) {
		if (c->json) {
			printf("{\"applied\":false,\"reason\":\"already applied\"}\n");
		} else {
			cli_print_text(stdout, pos[0]); /* a partner may have named it */
			printf(_(": already applied, nothing to do\n"));
		}
		ret = CLI_OK;
		goto out;
	}
	if (rc != BLF_OK) {
		cli_err(c, "%s: %s", pos[0], err[0] != '\0' ? err : _(blf_strerror(rc)));
		ret = refusal(rc) ? CLI_NO : CLI_ERR;
		goto out;
	}
	if (cli_store_save(c, &st) != 0)
		goto out;
	a = name[0] != '\0' ? trust_store_find_name(&st, name) : NULL;
	if (a != NULL)
		blf_keyid_hex(a->keyid, hex);
	else
		strcpy(hex, "?");
	if (c->json) {
		printf("{\"applied\":\"%s\",\"name\":", blf_msg_type_name(type));
		cli_json_str(stdout, name);
		printf(",\"signer\":\"%s\",\"keyid\":\"%s\"}\n", signer, hex);
	} else if (type == BLF_MSG_ROLLOVER) {
		printf(_("rollover applied: %s now uses key %s (old key %s kept for the "
		       "overlap)\n"), name, hex, signer);
	} else {
		printf(_("revocation applied: key %s of %s is revoked\n"), signer, name);
	}
	ret = CLI_OK;
out:
	free(buf);
	trust_store_free(&st);
	return ret;
}
