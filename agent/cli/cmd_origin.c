/*
 * cmd_origin.c - `blfed origin reset|unfreeze NAME`: administrator
 * decisions about an origin, by anchor name or origin id.  unfreeze accepts
 * an origin again after equivocation (the evidence stays in the data
 * directory); reset drops an origin's log so that it is fetched anew.
 */
#include <string.h>

#include "cli.h"
#include "../ctl/ctl.h"

#define ORIGIN_USAGE "reset|unfreeze NAME"

/*
 * Exit 0 done, 1 refused (not frozen), 2 error or unsupported.
 */
int
cmd_origin(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	int npos, verb;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 2, 2, ORIGIN_USAGE) != 0)
		return CLI_ERR;
	if (strcmp(pos[0], "reset") == 0) {
		verb = CTL_ORIGIN_RESET;
	} else if (strcmp(pos[0], "unfreeze") == 0) {
		verb = CTL_ORIGIN_UNFREEZE;
	} else {
		cli_err(c, "unknown action \"%.20s\"; usage: blfed origin %s", pos[0], ORIGIN_USAGE);
		return CLI_ERR;
	}
	return cli_ctl_run(c, verb, (const char *const *)pos + 1, 1);
}
