/*
 * cmd_trust_list.c - `blfed trust list`: one line per anchor.
 *
 * Human form: aligned columns under a header.  --json: one object per
 * anchor with the keys name, keyid, origin, permissions (array), weight,
 * scope and authority (counts), max_prefix ([v4, v6]), expires (RFC 3339
 * or null), rollover ("accept"/"refuse"), old_keys, revoked_keys, state.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
json_perms(unsigned perms)
{
	char buf[64], *w, *save = NULL;
	int first = 1;

	trust_perms_format(perms, " ", buf, sizeof(buf));
	printf("[");
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		printf("%s\"%s\"", first ? "" : ",", w);
		first = 0;
	}
	printf("]");
}

static void
list_json(const trust_anchor *a, uint64_t now)
{
	char hex[BLF_KEYID_HEX_LEN + 1], t[KEYS_TIME_STRLEN];

	printf("{\"name\":");
	cli_json_str(stdout, a->name);
	blf_keyid_hex(a->keyid, hex);
	printf(",\"keyid\":\"%s\"", hex);
	blf_keyid_hex(a->origin, hex);
	printf(",\"origin\":\"%s\",\"permissions\":", hex);
	json_perms(a->perms);
	printf(",\"weight\":%u,\"scope\":%zu,\"authority\":%zu,\"max_prefix\":[%u,%u]",
	       (unsigned)a->weight, a->nscope, a->nauthority, a->max4, a->max6);
	if (a->expires == 0) {
		printf(",\"expires\":null");
	} else {
		trust_time_format(a->expires, t);
		printf(",\"expires\":\"%s\"", t);
	}
	printf(",\"rollover\":\"%s\",\"old_keys\":%zu,\"revoked_keys\":%zu,\"state\":\"%s\"}\n",
	       a->accept_rollover ? "accept" : "refuse", a->nold, a->nrevoked,
	       trust_anchor_state(a, now));
}

/*
 * List every anchor.  0, or 2 if the store cannot be read.
 */
int
cmd_trust_list(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	char hex[BLF_KEYID_HEX_LEN + 1], t[KEYS_TIME_STRLEN], perms[64];
	trust_store st = {NULL, 0, NULL};
	uint64_t now = cli_now();
	size_t i;
	int npos, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 0, 0, "") != 0)
		goto out;
	if (cli_store_read(c, &st) != 0)
		goto out;
	if (!c->json)
		printf("%-16s %-32s %-20s %6s %5s %5s %-20s %s\n", "NAME", "KEY ID",
		       "PERMISSIONS", "WEIGHT", "SCOPE", "AUTH", "EXPIRES", "STATE");
	for (i = 0; i < st.nanchors; i++) {
		const trust_anchor *a = &st.anchors[i];

		if (c->json) {
			list_json(a, now);
			continue;
		}
		blf_keyid_hex(a->keyid, hex);
		trust_perms_format(a->perms, ",", perms, sizeof(perms));
		if (a->expires == 0)
			strcpy(t, "never");
		else
			trust_time_format(a->expires, t);
		printf("%-16s %-32s %-20s %6u %5zu %5zu %-20s %s\n", a->name, hex, perms,
		       (unsigned)a->weight, a->nscope, a->nauthority, t,
		       trust_anchor_state(a, now));
	}
	ret = CLI_OK;
out:
	trust_store_free(&st);
	return ret;
}
