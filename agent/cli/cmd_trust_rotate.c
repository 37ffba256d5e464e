/*
 * cmd_trust_rotate.c - `blfed trust rotate [-o NEWKEY] [-s FILE]
 * [--overlap DURATION]`: hand our origin over to a new key.
 *
 * Makes a new key (same comment, same origin id, recorded in the new key
 * file) and a rollover statement (SPEC 6.6): signed by our current key,
 * counter-signed by the new one, with the old key valid for the overlap
 * window (default 7 days, at most BLF_MAX_OVERLAP).  Partners apply the
 * statement with `blfed trust apply`; we then install NEWKEY as our key.
 * Neither file is ever overwritten; if the statement cannot be written the
 * new key file is removed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ROTATE_USAGE "[-o NEWKEY] [-s FILE] [--overlap DURATION]"
#define DEFAULT_OVERLAP (7u * 86400u)

/*
 * Rotate.  0 on success, 2 on any error (nothing left behind).
 */
int
cmd_trust_rotate(struct cli *c, int argc, char **argv)
{
	const char *newpath = NULL, *stpath = NULL, *overlap_s = NULL;
	struct cli_opt opts[] = {
		{"-o", "--output", &newpath, NULL},
		{"-s", "--statement", &stpath, NULL},
		{"--overlap", NULL, &overlap_s, NULL},
		{NULL, NULL, NULL, NULL},
	};
	char *pos[CLI_MAX_POS];
	char *newbuf = NULL, *stbuf = NULL;
	char err[KEYS_ERRLEN], line[KEYS_PUBLIC_STRLEN], t[KEYS_TIME_STRLEN];
	char oldhex[BLF_KEYID_HEX_LEN + 1], newhex[BLF_KEYID_HEX_LEN + 1];
	key_secret *k = NULL, *nk = NULL;
	blf_rollover r;
	blf_buf out = {NULL, 0, 0};
	uint64_t overlap = DEFAULT_OVERLAP, now = cli_now();
	size_t n;
	int npos, rc, key_written = 0, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 0, 0, ROTATE_USAGE) != 0)
		goto out;
	if (overlap_s != NULL && (cli_duration(overlap_s, &overlap) != 0 || overlap == 0 ||
				  overlap > BLF_MAX_OVERLAP)) {
		cli_err(c, "--overlap %.32s: expected a duration such as 7d, 36h or 2w, "
			"at most %ud", overlap_s, BLF_MAX_OVERLAP / 86400u);
		goto out;
	}
	if (newpath == NULL) {
		n = strlen(c->keyfile) + 5;
		if ((newbuf = malloc(n)) == NULL)
			goto oom;
		snprintf(newbuf, n, "%s.new", c->keyfile);
		newpath = newbuf;
	}
	if (stpath == NULL) {
		n = strlen(newpath) + 10;
		if ((stbuf = malloc(n)) == NULL)
			goto oom;
		snprintf(stbuf, n, "%s.rollover", newpath);
		stpath = stbuf;
	}
	if (access(stpath, F_OK) == 0) {
		cli_err(c, "%s already exists; not overwriting it", stpath);
		goto out;
	}
	if (cli_key_load(c, NULL, &k) != 0)
		goto out;
	if ((rc = key_secret_generate(k->comment, &nk)) != BLF_OK) {
		cli_err(c, "%s", _(blf_strerror(rc)));
		goto out;
	}
	memcpy(nk->origin, k->origin, BLF_KEYID_LEN);
	memset(&r, 0, sizeof(r));
	memcpy(r.origin, k->origin, BLF_KEYID_LEN);
	r.created = now;
	r.overlap_until = now + overlap;
	if ((rc = blf_rollover_seal(&r, k->sk, nk->sk, &out)) != BLF_OK) {
		cli_err(c, "cannot seal the rollover statement: %s", _(blf_strerror(rc)));
		goto out;
	}
	err[0] = '\0';
	if ((rc = key_secret_save(nk, newpath, err, sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		goto out;
	}
	key_written = 1;
	if (cli_write_new(c, stpath, out.data, out.len) != 0)
		goto out;
	key_written = 0;
	blf_keyid_hex(k->keyid, oldhex);
	blf_keyid_hex(nk->keyid, newhex);
	trust_time_format(r.overlap_until, t);
	key_public_format(nk->pk, nk->comment, line, sizeof(line));
	if (c->json) {
		printf("{\"old_keyid\":\"%s\",\"new_keyid\":\"%s\",\"new_key_file\":", oldhex,
		       newhex);
		cli_json_str(stdout, newpath);
		printf(",\"statement\":");
		cli_json_str(stdout, stpath);
		printf(",\"overlap_until\":\"%s\",\"public\":", t);
		cli_json_str(stdout, line);
		printf("}\n");
	} else {
		printf(_("new key %s written to %s\n"), newhex, newpath);
		printf(_("rollover statement written to %s (old key %s valid until %s)\n"),
		       stpath, oldhex, t);
		printf(_("send it to every partner (blfed trust apply %s), then use %s as "
		       "your key\n"), stpath, newpath);
		printf("%s\n", line);
	}
	ret = CLI_OK;
	goto out;
oom:
	cli_err(c, "out of memory");
out:
	if (key_written)
		unlink(newpath);
	blf_buf_free(&out);
	key_secret_free(k);
	key_secret_free(nk);
	free(newbuf);
	free(stbuf);
	return ret;
}
