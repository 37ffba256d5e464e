/*
 * cmd_status.c - `blfed status`: ask the running blfedd for its peers (state and
 * counters), its origins (epoch, seq, lag) and the last export.
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * No arguments; the exit code is the daemon's answer (0, 1) or 2.
 */
int
cmd_status(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 || cli_nargs(c, npos, 0, 0, "") != 0)
		return CLI_ERR;
	return cli_ctl_run(c, CTL_STATUS, NULL, 0);
}
