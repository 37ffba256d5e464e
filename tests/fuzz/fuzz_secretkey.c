/*
 * fuzz_secretkey.c - libFuzzer target for secret key files (key_secret_load).
 *
 * Each input is written to a private temporary file (mode 0600) and loaded
 * as the agent would load its key.  An accepted key must derive the public
 * key and key id that its own file names.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	char err[KEYS_ERRLEN];
	uint8_t id[BLF_KEYID_LEN];
	key_secret *k = NULL;
	int fd;

	if (path[0] == '\0') {
		if (blf_init() != BLF_OK)
			abort();
		snprintf(path, sizeof(path), "/tmp/fuzz-secretkey-%ld", (long)getpid());
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (key_secret_load(path, &k, err, sizeof(err)) == BLF_OK) {
		blf_keyid(k->pk, id);
		if (memcmp(id, k->keyid, BLF_KEYID_LEN) != 0)
			__builtin_trap();
		key_secret_free(k);
	} else if (err[0] == '\0') {
		__builtin_trap(); /* every refusal says why */
	}
	unlink(path);
	return 0;
}
