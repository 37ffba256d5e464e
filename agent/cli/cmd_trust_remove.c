/*
 * cmd_trust_remove.c - `blfed trust remove NAME`.
 */
#include <stdio.h>

#include "cli.h"

/*
 * Remove and save.  0 on success, 2 if there is no such anchor or on error.
 */
int
cmd_trust_remove(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	trust_store st = {NULL, 0, NULL};
	int npos, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, "NAME") != 0)
		goto out;
	if (cli_store_load(c, &st) != 0)
		goto out;
	if (trust_store_remove(&st, pos[0]) != BLF_OK) {
		cli_err(c, "no anchor named \"%.64s\" in %s", pos[0], c->trustfile);
		goto out;
	}
	if (cli_store_save(c, &st) != 0)
		goto out;
	if (c->json) {
		printf("{\"removed\":");
		cli_json_str(stdout, pos[0]);
		printf("}\n");
	} else {
		printf(_("removed anchor %s\n"), pos[0]);
	}
	ret = CLI_OK;
out:
	trust_store_free(&st);
	return ret;
}
