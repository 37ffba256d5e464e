/*
 * keyindex.c - every key id of a store, computed once and sorted.
 *
 * Anchors cache the key id of every key they hold (current: keyid, old:
 * old[i].keyid, revoked: revoked_id[i]); the functions of keys/ that change
 * a key keep those in step.  The store adds one sorted array of (key id,
 * anchor, kind, slot) over all of them, chain keys included, so that
 * resolving a signer - known or not - is one binary search and never a
 * hash: an unknown key id from an unauthenticated peer costs O(log n).
 *
 * The index is rebuilt by every keys/ function that changes a whole store
 * (parse, copy, add, remove, apply).  Anchors can also be edited in place
 * (trust_anchor_set or trust_anchor_rekey on a store's anchor): each
 * change of an anchor's keys bumps a process-wide generation, and an index
 * built at an older generation is not trusted: lookups then scan the cached
 * ids (memcmp only) until trust_store_reindex() is called.  Each hit is
 * also checked against the anchor it names before it is believed, so a key
 * taken away in place is never found through a stale entry.
 *
 * The generation moves only for edits that may touch an indexed store:
 * not for trust_anchor_init and trust_anchor_clear, nor inside a parse or
 * an apply function (keys_changed_hold), which build anchors no index
 * covers yet or reindex the store they change.  A daemon's long-lived store
 * thus keeps its index through reloads (failed ones included), freed
 * stores and statements applied to a transaction's copy.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "keys_int.h"

enum { K_CURRENT, K_OLD, K_REVOKED, K_CHAIN };

struct kent {
	uint8_t id[BLF_KEYID_LEN];
	uint32_t anchor; /* index in st->anchors */
	uint16_t slot;   /* index in old[], revoked[] or chain[] */
	uint8_t kind;    /* K_* */
};

struct trust_keyindex {
	struct kent *e;
	size_t n;
	unsigned long gen; /* keys_generation when built */
};

static atomic_ulong generation = 1;
static _Thread_local unsigned hold; /* > 0: keys_changed does nothing */

/* See keys_int.h. */
void
keys_changed(void)
{
	if (hold == 0)
		atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
}

/* See keys_int.h. */
void
keys_changed_hold(int on)
{
	if (on)
		hold++;
	else if (hold > 0)
		hold--;
}

static int
kcmp(const void *x, const void *y)
{
	const struct kent *a = x, *b = y;
	int c = memcmp(a->id, b->id, BLF_KEYID_LEN);

	if (c != 0)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return (a->anchor > b->anchor) - (a->anchor < b->anchor);
}

/*
 * Release a store's index.
 */
void
keys_keyindex_free(struct trust_keyindex *ix)
{
	if (ix == NULL)
		return;
	free(ix->e);
	free(ix);
}

/*
 * Rebuild st's index from the anchors' cached ids (chain ids are hashed
 * here, once).  On allocation failure the store is left without an index:
 * lookups scan.  Returns BLF_OK or BLF_ENOMEM.
 */
int
trust_store_reindex(trust_store *st)
{
	struct trust_keyindex *ix;
	size_t i, j, n = 0;

	keys_keyindex_free(st->kidx);
	st->kidx = NULL;
	if (st->nanchors == 0)
		return BLF_OK; /* an empty store owns nothing; lookups find nothing */
	for (i = 0; i < st->nanchors; i++)
		n += 1 + st->anchors[i].nold + st->anchors[i].nrevoked + st->anchors[i].nchain;
	if ((ix = calloc(1, sizeof(*ix))) == NULL ||
	    (ix->e = malloc((n + 1) * sizeof(*ix->e))) == NULL) {
		free(ix);
		return BLF_ENOMEM;
	}
	ix->gen = atomic_load_explicit(&generation, memory_order_relaxed);
	for (i = 0; i < st->nanchors; i++) {
		const trust_anchor *a = &st->anchors[i];
		struct kent *k;

		k = &ix->e[ix->n++];
		memcpy(k->id, a->keyid, BLF_KEYID_LEN);
		k->anchor = (uint32_t)i;
		k->kind = K_CURRENT;
		k->slot = 0;
		for (j = 0; j < a->nold; j++) {
			k = &ix->e[ix->n++];
			memcpy(k->id, a->old[j].keyid, BLF_KEYID_LEN);
			k->anchor = (uint32_t)i;
			k->kind = K_OLD;
			k->slot = (uint16_t)j;
		}
		for (j = 0; j < a->nrevoked; j++) {
			k = &ix->e[ix->n++];
			memcpy(k->id, a->revoked_id[j], BLF_KEYID_LEN);
			k->anchor = (uint32_t)i;
			k->kind = K_REVOKED;
			k->slot = (uint16_t)j;
		}
		for (j = 0; j < a->nchain; j++) {
			k = &ix->e[ix->n++];
			blf_keyid(a->chain[j], k->id);
			k->anchor = (uint32_t)i;
			k->kind = K_CHAIN;
			k->slot = (uint16_t)j;
		}
	}
	qsort(ix->e, ix->n, sizeof(*ix->e), kcmp);
	st->kidx = ix;
	return BLF_OK;
}

/* See keys_int.h. */
int
keys_keyindex_current(const trust_store *st)
{
	return st->kidx != NULL &&
	       st->kidx->gen == atomic_load_explicit(&generation, memory_order_relaxed);
}

/* The key an entry names, or NULL if the entry no longer matches st. */
static const uint8_t *
entry_key(const trust_store *st, const struct kent *k)
{
	const trust_anchor *a;

	if (k->anchor >= st->nanchors)
		return NULL;
	a = &st->anchors[k->anchor];
	switch (k->kind) {
	case K_CURRENT:
		return memcmp(a->keyid, k->id, BLF_KEYID_LEN) == 0 ? a->pk : NULL;
	case K_OLD:
		return k->slot < a->nold &&
		       memcmp(a->old[k->slot].keyid, k->id, BLF_KEYID_LEN) == 0
			       ? a->old[k->slot].pk : NULL;
	case K_REVOKED:
		return k->slot < a->nrevoked &&
		       memcmp(a->revoked_id[k->slot], k->id, BLF_KEYID_LEN) == 0
			       ? a->revoked[k->slot] : NULL;
	default:
		return k->slot < a->nchain && keys_pk_has_id(a->chain[k->slot], k->id)
			       ? a->chain[k->slot] : NULL;
	}
}

/*
 * Every key of st whose id is keyid: calls fn(ctx, anchor index, kind, slot,
 * pk) for each, in the order current, old, revoked, chain, until fn returns
 * non-zero (which is returned).  Uses the index when it is current, else
 * scans the cached ids.  Returns 0 if fn never stopped.
 */
int
keys_store_each_key(const trust_store *st, const uint8_t keyid[BLF_KEYID_LEN],
		    int (*fn)(void *, size_t, int, size_t, const uint8_t *), void *ctx)
{
	const struct trust_keyindex *ix = st->kidx;
	size_t lo = 0, hi, mid, i, j;
	int kind, rc;

	if (ix != NULL &&
	    ix->gen == atomic_load_explicit(&generation, memory_order_relaxed)) {
		hi = ix->n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (memcmp(ix->e[mid].id, keyid, BLF_KEYID_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < ix->n && memcmp(ix->e[i].id, keyid, BLF_KEYID_LEN) == 0; i++)
			if (entry_key(st, &ix->e[i]) == NULL)
				goto scan; /* stale after all */
		for (i = lo; i < ix->n && memcmp(ix->e[i].id, keyid, BLF_KEYID_LEN) == 0; i++) {
			rc = fn(ctx, ix->e[i].anchor, ix->e[i].kind, ix->e[i].slot,
				entry_key(st, &ix->e[i]));
			if (rc != 0)
				return rc;
		}
		return 0;
	}
scan:
	for (kind = K_CURRENT; kind <= K_CHAIN; kind++) {
		for (i = 0; i < st->nanchors; i++) {
			const trust_anchor *a = &st->anchors[i];

			if (kind == K_CURRENT && memcmp(a->keyid, keyid, BLF_KEYID_LEN) == 0 &&
			    (rc = fn(ctx, i, kind, 0, a->pk)) != 0)
				return rc;
			for (j = 0; kind == K_OLD && j < a->nold; j++)
				if (memcmp(a->old[j].keyid, keyid, BLF_KEYID_LEN) == 0 &&
				    (rc = fn(ctx, i, kind, j, a->old[j].pk)) != 0)
					return rc;
			for (j = 0; kind == K_REVOKED && j < a->nrevoked; j++)
				if (memcmp(a->revoked_id[j], keyid, BLF_KEYID_LEN) == 0 &&
				    (rc = fn(ctx, i, kind, j, a->revoked[j])) != 0)
					return rc;
			for (j = 0; kind == K_CHAIN && j < a->nchain; j++)
				if (keys_pk_has_id(a->chain[j], keyid) &&
				    (rc = fn(ctx, i, kind, j, a->chain[j])) != 0)
					return rc;
		}
	}
	return 0;
}
