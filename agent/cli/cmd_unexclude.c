/*
 * cmd_unexclude.c - `blfed unexclude PREFIX...`: withdraw exclusions of our origin,
 * published as one delta through blfedd (see cmd_list.c).
 */
#include "cli.h"

/*
 * Exit 0 published, 1 refused, 2 error.
 */
int
cmd_unexclude(struct cli *c, int argc, char **argv)
{
	return cli_publish(c, BLF_OP_UNEXCLUDE, argc, argv);
}
