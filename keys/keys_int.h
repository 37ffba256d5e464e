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

/* Prefix index (scope.c): build from v[0..n) (BLF_EEXIST and "FIELD P:
 * listed twice" for a duplicate; *out NULL when n is 0), copy, free, and
 * the O(log n) containment test. */
int keys_pindex_build(const blf_prefix *v, size_t n, const char *field,
		      struct trust_pindex **out, size_t *dup, char *err, size_t errlen);
int keys_pindex_copy(const struct trust_pindex *src, struct trust_pindex **dst);
void keys_pindex_free(struct trust_pindex *ix);
int keys_pindex_contains(const struct trust_pindex *ix, const blf_prefix *p);

/* Read a prefix file (regular file, at most KEYS_MAX_PREFIX_FILE bytes) and
 * parse it with trust_prefixes_parse. */
int keys_prefixes_load(const char *path, blf_prefix **out, size_t *nout, char *err,
		       size_t errlen);

/* Append prefixes to a's scope (authority when auth) without indexing; the
 * caller then calls keys_anchor_index.  BLF_ELIMIT past KEYS_MAX_SCOPE. */
int keys_anchor_append(trust_anchor *a, int auth, const blf_prefix *v, size_t n,
		       char *err, size_t errlen);

/* Build the missing prefix indexes of a: BLF_EEXIST for a duplicate prefix,
 * *dup (may be NULL) its later position in the list, *dup_auth (may be
 * NULL) non-zero if it is in the authority. */
int keys_anchor_index(trust_anchor *a, size_t *dup, int *dup_auth, char *err,
		      size_t errlen);

/* Set scope-file / authority-file from path, relative paths taken from
 * basedir (NULL: the working directory); the path as given is kept. */
int keys_anchor_set_file(trust_anchor *a, int auth, const char *path, const char *basedir,
			 char *err, size_t errlen);

/* Parse a blank/comma separated prefix list ("none" = empty) into *out. */
int keys_prefix_list_parse(const char *field, const char *value, blf_prefix **out,
			   size_t *nout, char *err, size_t errlen);

/* Key id index (keyindex.c): note that some anchor's keys changed (an
 * index built before is then not trusted), free an index, and call fn for
 * every key of st with id keyid (see keyindex.c). */
void keys_changed(void);
/* keys_changed_hold(1) ... keys_changed_hold(0) around code of keys/ that
 * changes only anchors no index covers yet (a parse), or that reindexes
 * the store it changes (the apply functions): keys_changed does nothing in
 * between (in this thread), so other stores' indexes stay current. */
void keys_changed_hold(int on);
void keys_keyindex_free(struct trust_keyindex *ix);
/* Non-zero if st has an index that lookups use (not stale); for tests. */
int keys_keyindex_current(const trust_store *st);
int keys_store_each_key(const trust_store *st, const uint8_t keyid[BLF_KEYID_LEN],
			int (*fn)(void *, size_t, int, size_t, const uint8_t *), void *ctx);

/* Make room for n more revoked keys (both arrays), then append one without
 * failing.  BLF_OK or BLF_ENOMEM. */
int keys_revoked_reserve(trust_anchor *a, size_t n);
void keys_revoked_push(trust_anchor *a, const uint8_t pk[BLF_PK_LEN]);

/* The protocol's text rule (SPEC 3.1 rule 6: strict UTF-8, no C0, DEL or
 * C1 controls), defined in protocol/mpread.c and declared in the protocol's
 * internal header; declared here so that keys/ applies the very same rule.
 * BLF_OK or BLF_ESTRING. */
int blf_text_check(const char *s, size_t n);

#endif
