/*
 * keys_int.h - helpers shared by the files of keys/; not for use outside.
 */
#ifndef BLF_KEYS_INT_H
#define BLF_KEYS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* Write a one-line message into err (errlen bytes); NULL err is fine. */
void keys_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Non-zero if pk's key id is keyid. */
int keys_pk_has_id(const uint8_t pk[BLF_PK_LEN], const uint8_t keyid[BLF_KEYID_LEN]);

/* Non-zero if pk is a's current key or one of its old keys. */
int keys_anchor_uses(const trust_anchor *a, const uint8_t pk[BLF_PK_LEN]);

/* read(2) until end of file or cap bytes, retrying EINTR; *len gets the
 * count (cap means "maybe more": the caller's size limit).  0 or -1 (errno). */
int keys_read_all(int fd, char *buf, size_t cap, size_t *len);

/* write(2) all of buf, retrying short writes and EINTR: 0 or -1 (errno). */
int keys_write_all(int fd, const char *buf, size_t len);

#endif
