/*
 * cmd_delist.c - `blfed delist PREFIX...|-f FILE`: withdraw listings of our origin,
 * published as one delta through blfedd (see cmd_list.c).
 */
#include "cli.h"

/*
 * Exit 0 published, 1 refused, 2 error.
 */
int
cmd_delist(struct cli *c, int argc, char **argv)
{
	return cli_publish(c, BLF_OP_DELIST, argc, argv);
}
