/*
 * cmd_keygen.c - `blfed keygen [-c COMMENT] [-o FILE]`: create our secret
 * key and print the public line to send to partners.
 *
 * The file is created 0600 and never overwritten (an existing key stays, the
 * command fails).  Only the public line is printed.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define KEYGEN_USAGE "[-c COMMENT] [-o FILE]"

/*
 * Generate, save, print.  0 on success, 2 on any error.
 */
int
cmd_keygen(struct cli *c, int argc, char **argv)
{
	const char *comment = "", *out = NULL;
	struct cli_opt opts[] = {
		{"-c", "--comment", &comment, NULL},
		{"-o", "--output", &out, NULL},
		{NULL, NULL, NULL, NULL},
	};
	char *pos[CLI_MAX_POS];
	char line[KEYS_PUBLIC_STRLEN], hex[BLF_KEYID_HEX_LEN + 1];
	char err[KEYS_ERRLEN];
	key_secret *k = NULL;
	int npos, rc, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 0, 0, KEYGEN_USAGE) != 0)
		goto out;
	if (out == NULL)
		out = c->keyfile;
	if ((rc = key_secret_generate(comment, &k)) != BLF_OK) {
		if (rc == BLF_ESTRING)
			cli_err(c, "comment: at most %d printable characters",
				KEYS_COMMENT_MAX);
		else
			cli_err(c, "%s", _(blf_strerror(rc)));
		goto out;
	}
	err[0] = '\0';
	if ((rc = key_secret_save(k, out, err, sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		goto out;
	}
	key_public_format(k->pk, k->comment, line, sizeof(line));
	if (c->json) {
		blf_keyid_hex(k->keyid, hex);
		printf("{\"keyid\":\"%s\",\"file\":", hex);
		cli_json_str(stdout, out);
		printf(",\"public\":");
		cli_json_str(stdout, line);
		printf("}\n");
	} else {
		printf("%s\n", line);
	}
	ret = CLI_OK;
out:
	key_secret_free(k);
	return ret;
}
