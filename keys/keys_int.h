/*
 * keys_int.h - helpers shared by the files of keys/; not for use outside.
 */
#ifndef BLF_KEYS_INT_H
#define BLF_KEYS_INT_H

#include <stddef.h>

/* Write a one-line message into err (errlen bytes); NULL err is fine. */
void keys_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* write(2) all of buf, retrying short writes and EINTR: 0 or -1 (errno). */
int keys_write_all(int fd, const char *buf, size_t len);

#endif
