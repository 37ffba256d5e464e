/*
 * cmd_reload.c - `blfed reload`: ask blfedd to re-read its configuration, key and
 * trust store, as SIGHUP does; exit 1 (and the old ones stay) if any is
 * invalid, with the reason.
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * No arguments; the exit code is the daemon's answer (0, 1) or 2.
 */
int
cmd_reload(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 || cli_nargs(c, npos, 0, 0, "") != 0)
		return CLI_ERR;
	return cli_ctl_run(c, CTL_RELOAD, NULL, 0);
}
