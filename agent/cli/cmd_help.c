/*
 * cmd_help.c - `blfed help`, `blfed -h`: usage of every command.
 */
#include <stdio.h>

#include "cli.h"
#include "../ctl/ctl.h"

/*
 * Print the global options and both command tables on stdout.  Always 0.
 */
int
cmd_help(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	printf(_("usage: blfed [-h] [-V] [-k KEYFILE] [-t TRUSTFILE] [-s SOCKET] [--json] "
		 "command ...\n\n"
		 "  -k KEYFILE    secret key (default $BLFED_KEY or %s)\n"
		 "  -t TRUSTFILE  trust store (default $BLFED_TRUST or %s)\n"
		 "  -s SOCKET     blfedd's control socket (default $BLFED_SOCKET or\n"
		 "                %s)\n"
		 "  --json        machine-readable output, one JSON object per line\n\n"
		 "commands:\n"), CLI_DEFAULT_KEY, CLI_DEFAULT_TRUST, CTL_DEFAULT_SOCKET);
	cli_usage(stdout, "", cli_commands, cli_ncommands);
	printf(_("\ntrust subcommands:\n"));
	cli_usage(stdout, "trust", cli_trust_commands, cli_ntrust_commands);
	printf(_("\nexit status: 0 success, 1 negative answer (refused, verification "
		 "failed), 2 usage or system error.  See blfed(8).\n"));
	return CLI_OK;
}
