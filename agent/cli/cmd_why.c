/*
 * cmd_why.c - `blfed why ADDRESS|PREFIX`: every listing and exclusion of
 * every origin that covers the query, what local policy does with each,
 * and the verdict.  Exit 0 when listed, 1 when not listed (or excluded).
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * Ask the daemon.
 */
int
cmd_why(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, "ADDRESS|PREFIX") != 0)
		return CLI_ERR;
	return cli_ctl_run(c, CTL_WHY, (const char *const *)pos, 1);
}
