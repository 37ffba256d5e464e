/*
 * fuzz_journal.c - journal and checkpoint recovery on arbitrary file bytes.
 *
 * The first input byte chooses what the rest becomes: even, the journal
 * file of a known origin (<datadir>/log/<origin>.1.jnl); 1 modulo 4, the
 * checkpoint; 3 modulo 4, the origin's log base (<origin>.1.base), beside
 * an empty journal.  core_open must either refuse cleanly or recover a state
 * that can be iterated, queried, served and extended; never crash or leak.
 * Seeds (tests/corpus/journal/) are valid journals and checkpoints signed
 * by the key derived from the seed of 32 bytes 0x01.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/core/core.h"

static char dir[64];
static char logpath[256], ckpath[256], basepath[256];
static trust_store st;
static key_secret *ks;

/* Remove the data directory (two levels deep) at exit. */
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
	rm_tree(dir);
}

static void
once(void)
{
	static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } },
					   { BLF_AF_INET6, 0, { 0 } } };
	uint8_t seed[BLF_SEED_LEN];
	char hex[BLF_KEYID_HEX_LEN + 1], sub[300];
	trust_anchor a;

	if (dir[0] != '\0')
		return;
	if (blf_init() != 0)
		abort();
	snprintf(dir, sizeof(dir), "/tmp/fuzz-journal-XXXXXX");
	if (mkdtemp(dir) == NULL)
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
	blf_keyid_hex(ks->keyid, hex);
	snprintf(sub, sizeof(sub), "%s/log", dir);
	mkdir(sub, 0700);
	snprintf(logpath, sizeof(logpath), "%s/log/%s.1.jnl", dir, hex);
	snprintf(ckpath, sizeof(ckpath), "%s/checkpoint", dir);
	snprintf(basepath, sizeof(basepath), "%s/log/%s.1.base", dir, hex);
}

static void
put(const char *path, const uint8_t *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		abort();
	if (n > 0 && write(fd, b, n) != (ssize_t)n)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	core_config cfg = { 0 };
	core *c = NULL;
	core_iter it;
	core_entry e;
	blf_head *h = NULL;
	size_t nh = 0;
	const uint64_t now = 1700000000ULL;

	once();
	unlink(logpath);
	unlink(ckpath);
	unlink(basepath);
	if (size == 0)
		return 0;
	if ((data[0] & 3) == 3) {
		put(basepath, data + 1, size - 1);
		put(logpath, data, 0);
	} else {
		put((data[0] & 1) ? ckpath : logpath, data + 1, size - 1);
	}
	cfg.no_fsync = 1;
	if (core_open(dir, &cfg, &st, &c) == 0) {
		blf_blob *blobs = NULL;
		size_t nb = 0;
		uint32_t status;
		int more;
		blf_buf out = { 0 };
		blf_op op;

		if (core_iter_begin(c, now, &it) == 0)
			while (core_iter_next(&it, &e) > 0)
				;
		core_iter_end(&it);
		if (core_heads(c, &h, &nh) == 0)
			free(h);
		if (core_get_deltas(c, ks->keyid, 1, 0, 8, &status, &more, &blobs, &nb) == 0)
			core_blobs_free(blobs, nb);
		memset(&op, 0, sizeof(op));
		op.type = BLF_OP_LIST;
		if (blf_prefix_parse("192.0.2.0/24", 12, 1, &op.prefix) == 0)
			(void)core_publish(c, ks, &op, 0, now, &out);
		blf_buf_free(&out);
		core_close(c);
	}
	unlink(logpath);
	unlink(ckpath);
	unlink(basepath);
	return 0;
}
