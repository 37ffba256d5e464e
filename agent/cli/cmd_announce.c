/*
 * cmd_announce.c - `blfed announce FILE`: hand a rollover or revocation
 * statement (from `blfed trust rotate` or `blfed trust revoke`) to blfedd,
 * which verifies it, applies it to its trust store under the store lock
 * and publishes it, so that every partner that trusts the origin applies
 * it without a restart.  Exit 0 published, 1 refused, 2 error.
 */
#include <stdlib.h>

#include "cli.h"
#include "../ctl/ctl.h"

/*
 * Read the statement and send it hex-encoded.
 */
int
cmd_announce(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS], *hex = NULL;
	const char *args[1];
	uint8_t *buf = NULL;
	size_t len;
	int npos, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, "FILE") != 0)
		goto out;
	if (cli_read_file(c, pos[0], CLI_MAX_STATEMENT, &buf, &len) != 0)
		goto out;
	if ((hex = malloc(2 * len + 1)) == NULL) {
		cli_err(c, "out of memory");
		goto out;
	}
	ctl_hex_encode(buf, len, hex);
	args[0] = hex;
	ret = cli_ctl_run(c, CTL_ANNOUNCE, args, 1);
out:
	free(buf);
	free(hex);
	return ret;
}
