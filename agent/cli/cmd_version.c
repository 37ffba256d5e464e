/*
 * cmd_version.c - `blfed version`, `blfed -V`.
 */
#include <stdio.h>

#include "cli.h"

/*
 * Print the program and protocol versions.  Always 0.
 */
int
cmd_version(struct cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (c->json)
		printf("{\"version\":\"%s\",\"protocol\":%d}\n", BLFED_VERSION_STRING,
		       BLF_VERSION);
	else
		printf(_("blfed %s (protocol %d)\n"), BLFED_VERSION_STRING, BLF_VERSION);
	return CLI_OK;
}
