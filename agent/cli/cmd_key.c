/*
 * cmd_key.c - `blfed key show [FILE]`: the public line of our key (the -k
 * file) or of any key file, secret or public.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define KEY_USAGE "show [FILE]"

static int
key_show(struct cli *c, const char *path)
{
	char line[KEYS_PUBLIC_STRLEN], hex[BLF_KEYID_HEX_LEN + 1];
	char err[KEYS_ERRLEN];
	uint8_t pk[BLF_PK_LEN], id[BLF_KEYID_LEN], origin[BLF_KEYID_LEN];
	char comment[KEYS_COMMENT_MAX + 1];
	int rc, ret = CLI_ERR;

	err[0] = '\0';
	rc = key_public_load_info(path, pk, comment, sizeof(comment), origin, err,
				  sizeof(err));
	if (rc != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		goto out;
	}
	key_public_format(pk, comment, line, sizeof(line));
	blf_keyid(pk, id);
	if (c->json) {
		blf_keyid_hex(id, hex);
		printf("{\"keyid\":\"%s\",", hex);
		blf_keyid_hex(origin, hex);
		printf("\"origin\":\"%s\",\"public\":", hex);
		cli_json_str(stdout, line);
		printf("}\n");
	} else {
		cli_print_text(stdout, line);
		printf("\n");
		if (memcmp(origin, id, BLF_KEYID_LEN) != 0) {
			blf_keyid_hex(origin, hex);
			printf(_("# origin %s (partners adding this key: --origin %s)\n"), hex,
			       hex);
		}
	}
	ret = CLI_OK;
out:
	return ret;
}

/*
 * `key show [FILE]`.  0 on success, 2 on error.
 */
int
cmd_key(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 2, KEY_USAGE) != 0)
		return CLI_ERR;
	if (strcmp(pos[0], "show") != 0) {
		cli_err(c, "unknown subcommand \"%.40s\"; usage: blfed key %s", pos[0], KEY_USAGE);
		return CLI_ERR;
	}
	strncat(c->cmd, " show", sizeof(c->cmd) - strlen(c->cmd) - 1);
	return key_show(c, npos == 2 ? pos[1] : c->keyfile);
}
