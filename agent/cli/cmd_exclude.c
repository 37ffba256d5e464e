/*
 * cmd_exclude.c - `blfed exclude PREFIX... [--ref REF]`: declare prefixes clean
 * (our anchor needs authority over them at the partners),
 * published as one delta through blfedd (see cmd_list.c).
 */
#include "cli.h"

/*
 * Exit 0 published, 1 refused, 2 error.
 */
int
cmd_exclude(struct cli *c, int argc, char **argv)
{
	return cli_publish(c, BLF_OP_EXCLUDE, argc, argv);
}
