/*
 * cmd_trust_show.c - `blfed trust show NAME`: every field of one anchor,
 * its old keys (with their windows) and its revoked keys.
 *
 * --json: one object with the keys of `trust list --json` plus key (the
 * public line), scope and authority (arrays of prefixes), note,
 * old (array of {keyid, key, until, valid}) and revoked (array of
 * {keyid, key}).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* base64 of a key: the third field of its public line */
static void
key_b64(const uint8_t pk[BLF_PK_LEN], char *out, char *hex)
{
	char line[KEYS_PUBLIC_STRLEN];
	uint8_t id[BLF_KEYID_LEN];

	key_public_format(pk, NULL, line, sizeof(line));
	memcpy(out, line + 14 + BLF_KEYID_HEX_LEN + 1, KEYS_B64_LEN);
	out[KEYS_B64_LEN] = '\0';
	blf_keyid(pk, id);
	blf_keyid_hex(id, hex);
}

static void
prefixes(const blf_prefix *v, size_t n, int json)
{
	char buf[BLF_PREFIX_STRLEN];
	size_t i;

	if (json)
		printf("[");
	for (i = 0; i < n; i++) {
		blf_prefix_format(&v[i], buf);
		if (json)
			printf("%s\"%s\"", i > 0 ? "," : "", buf);
		else
			printf("%s%s", i > 0 ? " " : "", buf);
	}
	if (json)
		printf("]");
	else if (n == 0)
		printf("none");
}

static void
show_human(const trust_anchor *a, uint64_t now)
{
	char line[KEYS_PUBLIC_STRLEN], hex[BLF_KEYID_HEX_LEN + 1];
	char b64[KEYS_B64_LEN + 1], t[KEYS_TIME_STRLEN], perms[64];
	size_t i;

	key_public_format(a->pk, NULL, line, sizeof(line));
	printf("anchor %s\n", a->name);
	blf_keyid_hex(a->keyid, hex);
	printf("  key id       %s%s\n", hex,
	       trust_anchor_is_revoked(a, a->pk) ? " (REVOKED)" : "");
	printf("  key          %s\n", line);
	blf_keyid_hex(a->origin, hex);
	printf("  origin       %s\n", hex);
	trust_perms_format(a->perms, " ", perms, sizeof(perms));
	printf("  permissions  %s\n", perms);
	/* a list read from a file is named, not printed: it may be a country */
	if (a->scope_file != NULL) {
		printf("  scope-file   %s (%zu prefixes)", a->scope_file, a->nscope);
	} else {
		printf("  scope        ");
		prefixes(a->scope, a->nscope, 0);
	}
	if (a->authority_file != NULL) {
		printf("\n  authority-file %s (%zu prefixes)", a->authority_file, a->nauthority);
	} else {
		printf("\n  authority    ");
		prefixes(a->authority, a->nauthority, 0);
	}
	printf("\n  max-prefix   /%u (IPv4) /%u (IPv6)\n", a->max4, a->max6);
	printf("  weight       %u\n", (unsigned)a->weight);
	if (a->expires == 0)
		strcpy(t, "never");
	else
		trust_time_format(a->expires, t);
	printf("  expires      %s\n", t);
	printf("  rollover     %s\n", a->accept_rollover ? "accept" : "refuse");
	if (a->dispute_window != 0)
		printf("  dispute-window %lus\n", (unsigned long)a->dispute_window);
	printf("  state        %s\n", trust_anchor_state(a, now));
	for (i = 0; i < a->nold; i++) {
		key_b64(a->old[i].pk, b64, hex);
		trust_time_format(a->old[i].until, t);
		printf("  old key      %s %s until %s (%s)\n", hex, b64, t,
		       now < a->old[i].until ? "valid" : "expired");
	}
	for (i = 0; i < a->nchain; i++) {
		key_b64(a->chain[i], b64, hex);
		printf("  chain key    %s %s\n", hex, b64);
	}
	for (i = 0; i < a->nrevoked; i++) {
		key_b64(a->revoked[i], b64, hex);
		printf("  revoked key  %s %s\n", hex, b64);
	}
	if (a->note != NULL) {
		printf("  note         ");
		cli_print_text(stdout, a->note);
		printf("\n");
	}
}

static void
show_json(const trust_anchor *a, uint64_t now)
{
	char line[KEYS_PUBLIC_STRLEN], hex[BLF_KEYID_HEX_LEN + 1];
	char b64[KEYS_B64_LEN + 1], t[KEYS_TIME_STRLEN], perms[64], *w, *save = NULL;
	size_t i;
	int first = 1;

	printf("{\"name\":");
	cli_json_str(stdout, a->name);
	blf_keyid_hex(a->keyid, hex);
	printf(",\"keyid\":\"%s\"", hex);
	key_public_format(a->pk, NULL, line, sizeof(line));
	printf(",\"key\":\"%s\"", line);
	blf_keyid_hex(a->origin, hex);
	printf(",\"origin\":\"%s\",\"permissions\":[", hex);
	trust_perms_format(a->perms, " ", perms, sizeof(perms));
	for (w = strtok_r(perms, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		printf("%s\"%s\"", first ? "" : ",", w);
		first = 0;
	}
	printf("],\"scope\":");
	prefixes(a->scope, a->nscope, 1);
	printf(",\"authority\":");
	prefixes(a->authority, a->nauthority, 1);
	printf(",\"scope_file\":");
	if (a->scope_file != NULL)
		cli_json_str(stdout, a->scope_file);
	else
		printf("null");
	printf(",\"authority_file\":");
	if (a->authority_file != NULL)
		cli_json_str(stdout, a->authority_file);
	else
		printf("null");
	printf(",\"max_prefix\":[%u,%u],\"weight\":%u", a->max4, a->max6,
	       (unsigned)a->weight);
	if (a->expires == 0) {
		printf(",\"expires\":null");
	} else {
		trust_time_format(a->expires, t);
		printf(",\"expires\":\"%s\"", t);
	}
	printf(",\"dispute_window\":%lu", (unsigned long)(a->dispute_window != 0
			? a->dispute_window : KEYS_DEFAULT_DISPUTE_WINDOW));
	printf(",\"rollover\":\"%s\",\"state\":\"%s\",\"old\":[",
	       a->accept_rollover ? "accept" : "refuse", trust_anchor_state(a, now));
	for (i = 0; i < a->nold; i++) {
		key_b64(a->old[i].pk, b64, hex);
		trust_time_format(a->old[i].until, t);
		printf("%s{\"keyid\":\"%s\",\"key\":\"%s\",\"until\":\"%s\",\"valid\":%s}",
		       i > 0 ? "," : "", hex, b64, t, now < a->old[i].until ? "true" : "false");
	}
	printf("],\"revoked\":[");
	for (i = 0; i < a->nrevoked; i++) {
		key_b64(a->revoked[i], b64, hex);
		printf("%s{\"keyid\":\"%s\",\"key\":\"%s\"}", i > 0 ? "," : "", hex, b64);
	}
	printf("],\"note\":");
	if (a->note != NULL)
		cli_json_str(stdout, a->note);
	else
		printf("null");
	printf("}\n");
}

/*
 * Show one anchor.  0, or 2 if there is no such anchor.
 */
int
cmd_trust_show(struct cli *c, int argc, char **argv)
{
	char *pos[CLI_MAX_POS];
	trust_store st = {NULL, 0, NULL};
	const trust_anchor *a;
	int npos, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, NULL, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, "NAME") != 0)
		goto out;
	if (cli_store_read(c, &st) != 0)
		goto out;
	if ((a = cli_anchor(c, &st, pos[0])) == NULL)
		goto out;
	if (c->json)
		show_json(a, cli_now());
	else
		show_human(a, cli_now());
	ret = CLI_OK;
out:
	trust_store_free(&st);
	return ret;
}
