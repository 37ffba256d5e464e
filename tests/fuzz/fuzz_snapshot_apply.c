/*
 * fuzz_snapshot_apply.c - core_snapshot_apply on arbitrary chunk sets.
 *
 * The input is a sequence of records: u16 length (little-endian) and that
 * many bytes of a snapshot body (SPEC 6.5).  Each body that decodes is
 * sealed with the key of a trusted origin (seed of 32 bytes 0x01), so that
 * the set checks, the log checks and the state building run, not only the
 * signature check; up to 16 chunks go to core_snapshot_apply on a fresh
 * data directory.  Properties: no crash, no leak; an accepted snapshot is
 * the origin's head, and still is after a reopen.  Seeds in
 * tests/corpus/snapshot_apply/.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/core/core.h"

#define MAX_CHUNKS 16

static trust_store st;
static key_secret *ks;
static char root[64];

static void
rm_tree(const char *d)
{
	char p[512];
	struct dirent *de;
	struct stat sb;
	DIR *dp;

	if ((dp = opendir(d)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", d, de->d_name) >= (int)sizeof(p))
			continue;
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(dp);
	rmdir(d);
}

static void
cleanup(void)
{
	rm_tree(root);
}

static void
once(void)
{
	static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } },
					   { BLF_AF_INET6, 0, { 0 } } };
	uint8_t seed[BLF_SEED_LEN];
	trust_anchor a;

	if (root[0] != '\0')
		return;
	if (blf_init() != 0)
		abort();
	snprintf(root, sizeof(root), "/tmp/fuzz-snapapply-XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	atexit(cleanup);
	memset(seed, 1, sizeof(seed));
	if (key_secret_from_seed(seed, "fuzz", &ks) != 0)
		abort();
	trust_anchor_init(&a, "alpha", ks->pk);
	a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
	a.scope = (blf_prefix *)(uintptr_t)all;
	a.nscope = 2;
	a.authority = (blf_prefix *)(uintptr_t)all;
	a.nauthority = 2;
	if (trust_store_add(&st, &a, NULL, 0) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	blf_buf msgs[MAX_CHUNKS];
	const uint8_t *m[MAX_CHUNKS];
	size_t l[MAX_CHUNKS], n = 0, off = 0, i;
	const uint64_t now = 1700000000ULL;
	core_config cfg = { 0 };
	char dir[128];
	core *c = NULL;
	blf_snapshot s0;
	int rc;

	once();
	memset(msgs, 0, sizeof(msgs));
	memset(&s0, 0, sizeof(s0));
	while (n < MAX_CHUNKS && size - off >= 2) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		blf_snapshot s;

		off += 2;
		if (len > size - off)
			break;
		if (blf_snapshot_decode_body(data + off, len, &s) == 0) {
			/* the chunk as the trusted origin would sign it */
			memcpy(s.origin, ks->keyid, BLF_KEYID_LEN);
			if (blf_snapshot_seal(&s, ks->sk, &msgs[n]) == 0) {
				if (n == 0) {
					s0.epoch = s.epoch;
					s0.seq = s.seq;
					memcpy(s0.head, s.head, BLF_HASH_LEN);
				}
				m[n] = msgs[n].data;
				l[n] = msgs[n].len;
				n++;
			}
			blf_snapshot_free(&s);
		}
		off += len;
	}
	if (n == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s/d", root);
	cfg.no_fsync = 1;
	if (core_open(dir, &cfg, &st, &c) != 0)
		abort();
	rc = core_snapshot_apply(c, m, l, n, now);
	for (i = 0; i < 2 && rc == 0; i++) {
		blf_head h;
		core_origin_iter it;
		core_origin_rec r;

		if (core_head(c, ks->keyid, &h) != 0 || h.epoch != s0.epoch || h.seq != s0.seq ||
		    memcmp(h.hash, s0.head, BLF_HASH_LEN) != 0)
			abort();
		if (core_origin_iter_begin(c, ks->keyid, &it) != 0)
			abort();
		while (core_origin_iter_next(&it, &r))
			;
		core_close(c);
		c = NULL;
		if (core_open(dir, &cfg, &st, &c) != 0)
			abort();
	}
	core_close(c);
	rm_tree(dir);
	for (i = 0; i < n; i++)
		blf_buf_free(&msgs[i]);
	return 0;
}
