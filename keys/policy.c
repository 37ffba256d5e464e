/*
 * policy.c - what the trust store allows: key resolution, per-operation
 * policy, and the key lifecycle (rollover and revocation statements).
 *
 * Resolution answers "who signed this, and is that key valid now?".  Order
 * matters: a key revoked anywhere in the store is refused before anything
 * else, so a revoked key is never accepted again even if an administrator
 * re-adds it elsewhere; then current keys; then old keys within their
 * overlap window.  Key ids of old and revoked keys are computed on demand
 * (BLAKE2b is cheap and stores are small); current key ids are cached in
 * the anchor.
 *
 * Policy (trust_anchor_allows) is a pure function of the anchor, the
 * operation and the time; the merge engine calls it for every operation.
 *
 * Lifecycle statements are protocol messages (SPEC 6.6/6.7) sealed and
 * opened by the protocol library; this file decides what they change.  Each
 * apply function validates everything before it touches the store.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "keys_int.h"

static int
anchor_expired(const trust_anchor *a, uint64_t now)
{
	return a->expires != 0 && now >= a->expires;
}

/* What resolution found for one key id, filled by resolve_hit(). */
struct resolve {
	const trust_store *st;
	uint64_t now;
	const uint8_t *cur;       /* a current key with the id */
	size_t cur_anchor;
	int revoked;              /* a revoked key with the id */
	size_t rev_anchor;
	const uint8_t *old;       /* an old key with the id */
	size_t old_anchor, old_slot;
};

static int
resolve_hit(void *ctx, size_t anchor, int kind, size_t slot, const uint8_t *pk)
{
	struct resolve *r = ctx;

	if (kind == 0 && r->cur == NULL) {
		r->cur = pk;
		r->cur_anchor = anchor;
	} else if (kind == 2 && !r->revoked) {
		r->revoked = 1;
		r->rev_anchor = anchor;
	} else if (kind == 1 && r->old == NULL) {
		r->old = pk;
		r->old_anchor = anchor;
		r->old_slot = slot;
	}
	return 0;
}

/*
 * Resolve a signer key id at time now; see keys.h.  *anchor (if anchor is
 * not NULL) is set to the matching anchor or NULL, also on refusal; pk is
 * filled only on success.  One lookup in the store's key id index: no key
 * id is hashed here, whether the signer is known or not.
 */
int
trust_store_resolve(const trust_store *st, const uint8_t keyid[BLF_KEYID_LEN],
		    uint64_t now, const trust_anchor **anchor, uint8_t pk[BLF_PK_LEN])
{
	struct resolve r;
	const trust_anchor *a;

	if (anchor != NULL)
		*anchor = NULL;
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.now = now;
	keys_store_each_key(st, keyid, resolve_hit, &r);
	/* A current key: refused if that very key is revoked in any anchor
	 * (same key, same id: the revoked entry is in the same lookup). */
	if (r.cur != NULL) {
		a = &st->anchors[r.cur_anchor];
		if (r.revoked) {
			const trust_anchor *ra = &st->anchors[r.rev_anchor];

			if (trust_anchor_is_revoked(ra, r.cur)) {
				if (anchor != NULL)
					*anchor = ra;
				return BLF_EREVOKED;
			}
		}
		if (anchor != NULL)
			*anchor = a;
		if (anchor_expired(a, now))
			return BLF_EEXPIREDKEY;
		memcpy(pk, a->pk, BLF_PK_LEN);
		return BLF_OK;
	}
	if (r.revoked) {
		if (anchor != NULL)
			*anchor = &st->anchors[r.rev_anchor];
		return BLF_EREVOKED;
	}
	if (r.old != NULL) {
		a = &st->anchors[r.old_anchor];
		if (anchor != NULL)
			*anchor = a;
		if (anchor_expired(a, now) || now >= a->old[r.old_slot].until)
			return BLF_EEXPIREDKEY;
		memcpy(pk, r.old, BLF_PK_LEN);
		return BLF_OK;
	}
	return BLF_EUNKKEY;
}

/*
 * blf_key_lookup_fn over trust_store_resolve.
 */
int
trust_key_lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	const struct trust_lookup_ctx *c = ctx;

	return trust_store_resolve(c->store, keyid, c->now, NULL, pk);
}

/*
 * Any key of one anchor by key id; see keys.h.
 */
int
trust_anchor_key(const trust_anchor *a, const uint8_t keyid[BLF_KEYID_LEN],
		 uint8_t pk[BLF_PK_LEN])
{
	size_t j;

	if (memcmp(a->keyid, keyid, BLF_KEYID_LEN) == 0) {
		memcpy(pk, a->pk, BLF_PK_LEN);
		return BLF_OK;
	}
	for (j = 0; j < a->nold; j++) {
		if (memcmp(a->old[j].keyid, keyid, BLF_KEYID_LEN) == 0) {
			memcpy(pk, a->old[j].pk, BLF_PK_LEN);
			return BLF_OK;
		}
	}
	for (j = 0; j < a->nrevoked; j++) {
		if (memcmp(a->revoked_id[j], keyid, BLF_KEYID_LEN) == 0) {
			memcpy(pk, a->revoked[j], BLF_PK_LEN);
			return BLF_OK;
		}
	}
	for (j = 0; j < a->nchain; j++) {
		if (keys_pk_has_id(a->chain[j], keyid)) {
			memcpy(pk, a->chain[j], BLF_PK_LEN);
			return BLF_OK;
		}
	}
	return BLF_EUNKKEY;
}

/* keys_store_each_key callback: copy the first key found and stop. */
static int
first_key(void *ctx, size_t anchor, int kind, size_t slot, const uint8_t *pk)
{
	(void)anchor; /* the callback type's; any key will do */
	(void)kind;
	(void)slot;
	memcpy(ctx, pk, BLF_PK_LEN);
	return 1;
}

/*
 * blf_key_lookup_fn that finds any key of any anchor, whatever its state:
 * one index lookup.
 */
int
trust_key_lookup_any(void *ctx, const uint8_t keyid[BLF_KEYID_LEN],
		     uint8_t pk[BLF_PK_LEN])
{
	const struct trust_lookup_ctx *c = ctx;

	return keys_store_each_key(c->store, keyid, first_key, pk) != 0 ? BLF_OK : BLF_EUNKKEY;
}

/* p inside one of list[0..n): the index when there is one (O(log n)), a
 * scan for an anchor whose lists were set by hand. */
static int
inside(const struct trust_pindex *ix, const blf_prefix *list, size_t n, const blf_prefix *p)
{
	size_t i;

	if (ix != NULL || n == 0)
		return keys_pindex_contains(ix, p);
	for (i = 0; i < n; i++)
		if (blf_prefix_contains(&list[i], p))
			return 1;
	return 0;
}

/*
 * Policy for one operation; returns an enum trust_verdict.  Checks, in
 * order: anchor expiry, relay-only, permission, scope (authority for
 * exclude/unexclude), and for list the widest allowed prefix.
 */
int
trust_anchor_allows(const trust_anchor *a, unsigned op_type, const blf_prefix *p,
		    uint64_t now)
{
	if (anchor_expired(a, now))
		return TRUST_ANCHOR_EXPIRED;
	if (a->perms & TRUST_RELAY_ONLY)
		return TRUST_RELAY_ONLY_V;
	switch (op_type) {
	case BLF_OP_LIST:
		if ((a->perms & TRUST_LIST) == 0)
			return TRUST_NO_PERMISSION;
		if (!inside(a->scope_idx, a->scope, a->nscope, p))
			return TRUST_OUT_OF_SCOPE;
		if (p->len < (p->af == BLF_AF_INET ? a->max4 : a->max6))
			return TRUST_TOO_WIDE;
		return TRUST_OK;
	case BLF_OP_DELIST:
		if ((a->perms & TRUST_DELIST) == 0)
			return TRUST_NO_PERMISSION;
		return inside(a->scope_idx, a->scope, a->nscope, p) ? TRUST_OK : TRUST_OUT_OF_SCOPE;
	case BLF_OP_EXCLUDE:
	case BLF_OP_UNEXCLUDE:
		if ((a->perms & TRUST_EXCLUDE) == 0)
			return TRUST_NO_PERMISSION;
		return inside(a->auth_idx, a->authority, a->nauthority, p) ? TRUST_OK : TRUST_OUT_OF_SCOPE;
	case BLF_OP_DISPUTE:
	case BLF_OP_UNDISPUTE:
		/* SPEC 8.6: a dispute speaks for the space its filer answers for */
		if ((a->perms & TRUST_DISPUTE) == 0)
			return TRUST_NO_PERMISSION;
		return inside(a->auth_idx, a->authority, a->nauthority, p) ? TRUST_OK : TRUST_OUT_OF_SCOPE;
	case BLF_OP_UPHOLD:
	case BLF_OP_CONCEDE:
		/* an answer speaks for the origin's own listings */
		if ((a->perms & TRUST_LIST) == 0)
			return TRUST_NO_PERMISSION;
		return inside(a->scope_idx, a->scope, a->nscope, p) ? TRUST_OK : TRUST_OUT_OF_SCOPE;
	default:
		return TRUST_NO_PERMISSION;
	}
}

/*
 * Static text of a verdict.
 */
const char *
trust_verdict_str(int verdict)
{
	switch (verdict) {
	case TRUST_OK:
		return "allowed";
	case TRUST_NO_PERMISSION:
		return "no permission for this operation";
	case TRUST_OUT_OF_SCOPE:
		return "prefix outside the anchor's scope";
	case TRUST_TOO_WIDE:
		return "prefix wider than the anchor may list";
	case TRUST_ANCHOR_EXPIRED:
		return "trust anchor expired";
	case TRUST_RELAY_ONLY_V:
		return "relay-only origin: carried, not merged";
	default:
		return "unknown verdict";
	}
}

/* Non-zero if pk is used (current or old) by an anchor other than self, or
 * revoked anywhere. */
static int
key_taken(const trust_store *st, const trust_anchor *self, const uint8_t pk[BLF_PK_LEN],
	  int *revoked)
{
	size_t i;

	*revoked = 0;
	for (i = 0; i < st->nanchors; i++) {
		const trust_anchor *a = &st->anchors[i];

		if (trust_anchor_is_revoked(a, pk)) {
			*revoked = 1;
			return 1;
		}
		if (a != self && keys_anchor_uses(a, pk))
			return 1;
	}
	return 0;
}

/*
 * Apply a verified rollover: the current key becomes an old key valid until
 * r->overlap_until, r->new_pk becomes current.  When all old-key slots are
 * used, the one that expires first is dropped.
 */
int
trust_apply_rollover(trust_store *st, const blf_rollover *r, char *err, size_t errlen)
{
	trust_anchor *a;
	char hex[BLF_KEYID_HEX_LEN + 1];
	uint8_t (*chain)[BLF_PK_LEN];
	size_t i, drop;
	int revoked;

	if ((a = trust_store_find_origin_mut(st, r->origin)) == NULL) {
		blf_keyid_hex(r->origin, hex);
		keys_seterr(err, errlen, "rollover for origin %s: no such trust anchor", hex);
		return BLF_EUNKKEY;
	}
	if (memcmp(a->pk, r->new_pk, BLF_PK_LEN) == 0) {
		for (i = 0; i < a->nold; i++) {
			if (memcmp(a->old[i].pk, r->old_pk, BLF_PK_LEN) == 0) {
				keys_seterr(err, errlen, "rollover for %s: already applied", a->name);
				return BLF_ESTALE;
			}
		}
	}
	if (memcmp(a->pk, r->old_pk, BLF_PK_LEN) != 0) {
		keys_seterr(err, errlen, "rollover for %s: signed by a key that is not its "
			    "current key", a->name);
		return BLF_EPOLICY;
	}
	if (trust_anchor_is_revoked(a, a->pk)) {
		keys_seterr(err, errlen, "rollover for %s: its current key is revoked", a->name);
		return BLF_EREVOKED;
	}
	if (!a->accept_rollover) {
		keys_seterr(err, errlen, "rollover for %s: anchor refuses in-band rollover "
			    "(rollover refuse); set the new key with blfed trust set", a->name);
		return BLF_EPOLICY;
	}
	if (memcmp(r->old_pk, r->new_pk, BLF_PK_LEN) == 0) {
		keys_seterr(err, errlen, "rollover for %s: new key equals old key", a->name);
		return BLF_EPOLICY;
	}
	if (r->overlap_until > KEYS_TIME_MAX) {
		/* the store writes times as RFC 3339 with a four-digit year */
		keys_seterr(err, errlen, "rollover for %s: overlap ends after year 9999", a->name);
		return BLF_ERANGE;
	}
	if (key_taken(st, a, r->new_pk, &revoked)) {
		keys_seterr(err, errlen, "rollover for %s: new key is %s", a->name,
			    revoked ? "revoked" : "already used by another anchor");
		return revoked ? BLF_EREVOKED : BLF_EPOLICY; /* SPEC 3.6: policy */
	}
	for (i = 0; i < a->nold; i++) {
		if (memcmp(a->old[i].pk, r->new_pk, BLF_PK_LEN) == 0) {
			keys_seterr(err, errlen, "rollover for %s: new key is an old key", a->name);
			return BLF_EPOLICY;
		}
	}
	if (a->nchain >= KEYS_MAX_CHAIN) {
		keys_seterr(err, errlen, "rollover for %s: %d in-band rollovers since the last "
			    "re-key; set the new key with blfed trust set", a->name, KEYS_MAX_CHAIN);
		return BLF_ELIMIT;
	}
	if ((chain = realloc(a->chain, (a->nchain + 1) * sizeof(*chain))) == NULL)
		return BLF_ENOMEM;
	a->chain = chain;
	if (a->nold == KEYS_MAX_OLD_KEYS) {
		drop = 0;
		for (i = 1; i < a->nold; i++)
			if (a->old[i].until < a->old[drop].until)
				drop = i;
		memmove(&a->old[drop], &a->old[drop + 1],
			(a->nold - drop - 1) * sizeof(a->old[0]));
		a->nold--;
	}
	memcpy(a->old[a->nold].pk, a->pk, BLF_PK_LEN);
	memcpy(a->old[a->nold].keyid, a->keyid, BLF_KEYID_LEN);
	a->old[a->nold].until = r->overlap_until;
	a->nold++;
	memcpy(a->chain[a->nchain++], a->pk, BLF_PK_LEN);
	memcpy(a->pk, r->new_pk, BLF_PK_LEN);
	blf_keyid(a->pk, a->keyid);
	(void)trust_store_reindex(st); /* st's own index; no other store changed */
	return BLF_OK;
}

/* Drop pk from a's old keys, if it is one. */
static void
drop_old(trust_anchor *a, const uint8_t pk[BLF_PK_LEN])
{
	size_t i;

	for (i = 0; i < a->nold; i++) {
		if (memcmp(a->old[i].pk, pk, BLF_PK_LEN) == 0) {
			memmove(&a->old[i], &a->old[i + 1], (a->nold - i - 1) * sizeof(a->old[0]));
			a->nold--;
			return;
		}
	}
}

/* The key at position i of a's key sequence: chain[0..nchain), then pk. */
static const uint8_t *
seq_key(const trust_anchor *a, size_t i)
{
	return i < a->nchain ? a->chain[i] : a->pk;
}

/* Position of pk in a's key sequence, or (size_t)-1. */
static size_t
seq_find(const trust_anchor *a, const uint8_t *pk)
{
	size_t i;

	if (pk == NULL)
		return (size_t)-1;
	for (i = 0; i <= a->nchain; i++)
		if (memcmp(seq_key(a, i), pk, BLF_PK_LEN) == 0)
			return i;
	return (size_t)-1;
}

/*
 * Apply a verified revocation: the key joins the revoked list (and leaves
 * the old keys); for reason compromised, so do the keys it handed over to
 * (see keys.h).  Revoking the current key suspends the anchor until an
 * administrator sets a new key.  Everything is checked, and the room in the
 * revoked list counted, before the anchor changes.
 */
int
trust_apply_revocation_signed(trust_store *st, const blf_revocation *r,
			      const uint8_t *signer_pk, char *err, size_t errlen)
{
	trust_anchor *a;
	char hex[BLF_KEYID_HEX_LEN + 1];
	size_t i, first = 0, last = 0, at, sig, need = 0;
	int known, already;

	if ((a = trust_store_find_origin_mut(st, r->origin)) == NULL) {
		blf_keyid_hex(r->origin, hex);
		keys_seterr(err, errlen, "revocation for origin %s: no such trust anchor", hex);
		return BLF_EUNKKEY;
	}
	already = trust_anchor_is_revoked(a, r->revoked_pk);
	at = seq_find(a, r->revoked_pk);
	known = already || at != (size_t)-1;
	for (i = 0; i < a->nold && !known; i++)
		known = memcmp(a->old[i].pk, r->revoked_pk, BLF_PK_LEN) == 0;
	if (!known) {
		keys_seterr(err, errlen, "revocation for %s: not one of its keys", a->name);
		return BLF_EUNKKEY;
	}
	/* Successors to revoke with a compromised key: sequence positions
	 * [first, last), up to the signer if the signer is one of them. */
	if (r->reason == BLF_REVOKE_COMPROMISED && at != (size_t)-1) {
		first = at + 1;
		last = a->nchain + 1;
		sig = seq_find(a, signer_pk);
		if (sig != (size_t)-1 && sig > at)
			last = sig;
	}
	need = already ? 0 : 1;
	for (i = first; i < last; i++)
		if (!trust_anchor_is_revoked(a, seq_key(a, i)))
			need++;
	if (need == 0) {
		keys_seterr(err, errlen, "revocation for %s: key already revoked", a->name);
		return BLF_ESTALE;
	}
	if (a->nrevoked + need > KEYS_MAX_REVOKED) {
		keys_seterr(err, errlen, "revocation for %s: %d keys revoked already", a->name,
			    KEYS_MAX_REVOKED);
		return BLF_ELIMIT;
	}
	if (keys_revoked_reserve(a, need) != BLF_OK)
		return BLF_ENOMEM;
	keys_changed_hold(1); /* st is reindexed below; no other store changed */
	if (!already) {
		keys_revoked_push(a, r->revoked_pk);
		drop_old(a, r->revoked_pk);
	}
	for (i = first; i < last; i++) {
		const uint8_t *k = seq_key(a, i);

		if (trust_anchor_is_revoked(a, k))
			continue;
		keys_revoked_push(a, k);
		drop_old(a, k);
	}
	keys_changed_hold(0);
	(void)trust_store_reindex(st); /* without an index, lookups scan */
	return BLF_OK;
}

/*
 * A revocation signed by the revoked key itself.
 */
int
trust_apply_revocation(trust_store *st, const blf_revocation *r, char *err, size_t errlen)
{
	return trust_apply_revocation_signed(st, r, NULL, err, errlen);
}

/*
 * Verify a statement against st and apply it.  See keys.h.
 */
int
trust_apply_statement(trust_store *st, const uint8_t *buf, size_t len, uint64_t now,
		      unsigned *type, char *err, size_t errlen)
{
	struct trust_lookup_ctx ctx = {st, now};
	blf_envelope env;
	blf_rollover ro;
	blf_revocation rv;
	const trust_anchor *signer = NULL;
	uint8_t pk[BLF_PK_LEN], id[BLF_KEYID_LEN];
	const uint8_t *signer_pk;
	char hex[BLF_KEYID_HEX_LEN + 1];
	int rc;

	if (type != NULL)
		*type = 0;
	if ((rc = blf_envelope_parse(buf, len, &env)) != BLF_OK) {
		keys_seterr(err, errlen, "not a blfed statement: %s", blf_strerror(rc));
		return rc;
	}
	if (type != NULL)
		*type = env.type;
	blf_keyid_hex(env.signer, hex);
	if (env.type == BLF_MSG_ROLLOVER) {
		/* The signer must resolve now, as a current or overlapping key. */
		rc = trust_store_resolve(st, env.signer, now, &signer, pk);
		if (rc != BLF_OK) {
			keys_seterr(err, errlen, "rollover signed by key %s: %s", hex,
				    blf_strerror(rc));
			return rc;
		}
		rc = blf_rollover_open(buf, len, trust_key_lookup, &ctx, &env, &ro);
		if (rc != BLF_OK) {
			keys_seterr(err, errlen, "rollover signed by key %s: %s", hex,
				    blf_strerror(rc));
			return rc;
		}
		if (ro.created > now + BLF_MAX_CLOCK_SKEW) {
			keys_seterr(err, errlen, "rollover signed by key %s: dated in the future", hex);
			return BLF_ECLOCK;
		}
		blf_keyid(ro.old_pk, id);
		if (memcmp(id, env.signer, BLF_KEYID_LEN) != 0 ||
		    trust_store_find_origin(st, ro.origin) != signer) {
			keys_seterr(err, errlen, "rollover signed by key %s: signer is not the old "
				    "key of that origin", hex);
			return BLF_EPOLICY;
		}
		return trust_apply_rollover(st, &ro, err, errlen);
	}
	if (env.type == BLF_MSG_REVOCATION) {
		rc = blf_revocation_open(buf, len, trust_key_lookup_any, &ctx, &env, &rv);
		if (rc != BLF_OK) {
			keys_seterr(err, errlen, "revocation signed by key %s: %s", hex,
				    blf_strerror(rc));
			return rc;
		}
		if (rv.created > now + BLF_MAX_CLOCK_SKEW) {
			keys_seterr(err, errlen, "revocation signed by key %s: dated in the future",
				    hex);
			return BLF_ECLOCK;
		}
		/* SPEC 6.7: signed by the revoked key itself, or by the current
		 * (valid now) key of the same origin - the holder of a lost old key
		 * can still revoke it after a rollover. */
		blf_keyid(rv.revoked_pk, id);
		signer_pk = NULL;
		if (memcmp(id, env.signer, BLF_KEYID_LEN) != 0) {
			const trust_anchor *owner = trust_store_find_origin(st, rv.origin);

			if (owner == NULL ||
			    trust_store_resolve(st, env.signer, now, &signer, pk) != BLF_OK ||
			    signer != owner || memcmp(owner->keyid, env.signer, BLF_KEYID_LEN) != 0) {
				keys_seterr(err, errlen, "revocation signed by key %s: a key is "
						 "revoked by itself or by its origin's current key", hex);
				return BLF_EPOLICY;
			}
			signer_pk = pk;
		}
		return trust_apply_revocation_signed(st, &rv, signer_pk, err, errlen);
	}
	keys_seterr(err, errlen, "a %s message is not a rollover or revocation statement",
		    blf_msg_type_name(env.type));
	return BLF_EWRONGTYPE;
}
