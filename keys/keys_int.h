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

#endif
