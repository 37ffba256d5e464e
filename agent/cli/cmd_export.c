/*
 * cmd_export.c - `blfed export`: ask blfedd to write the export now.  Exit 1 when
 * the daemon has no export configured.
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * No arguments; the exit code is the daemon's answer (0, 1) or 2.
 */
int
cmd_export(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 || cli_nargs(c, npos, 0, 0, "") != 0)
		return CLI_ERR;
	return cli_ctl_run(c, CTL_EXPORT, NULL, 0);
}
