/*
 * test_conformance.c - run every case of tests/conformance/cases.txt (SPEC
 * 10.3) through the protocol library and compare outcome names.
 *
 * A case gives the receiver's state (trusted keys with their origin and
 * state, frozen origins, the time, messages already applied), one input (or
 * the chunks of one snapshot set), the type the receiver expects, and the
 * expected outcome name (SPEC 3.6).  The receiver here is a thin model of
 * SPEC 5.2-5.5 and 6.4-6.7 over the protocol decoders: a key table,
 * per-origin log heads (a delta's hash, or a snapshot's head) and the
 * hashes of the deltas applied since.  It deliberately uses nothing of keys/ or agent/, so
 * that it checks the standard and the protocol library alone; the same
 * model is written out in tests/conformance/README.md, and
 * tests/conformance/run.py implements it independently in Python.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../protocol/blf.h"

#define CASES "tests/conformance/cases.txt"
#define MAX_KEYS 16
#define MAX_ORIGINS 8
#define MAX_HELD 64
#define MAX_APPLY 8
#define MAX_ITEMS 16
#define MAX_CHUNKS 8      /* chunks of one snapshot set in a case */
#define CONF_EPOCH_STEP 16 /* SPEC 5.3: largest epoch step one delta may take */

enum key_state { KEY_CURRENT, KEY_OLD, KEY_REVOKED };

struct mkey {
	uint8_t pk[BLF_PK_LEN];
	uint8_t id[BLF_KEYID_LEN];
	uint8_t origin[BLF_KEYID_LEN];
	int state;      /* enum key_state */
	uint64_t until; /* KEY_OLD: valid while now < until */
};

struct mlog {
	uint8_t origin[BLF_KEYID_LEN];
	int frozen;
	uint32_t epoch;                     /* 0: nothing applied yet */
	uint64_t seq;                       /* last applied */
	uint8_t head[BLF_HASH_LEN];         /* hash of delta seq (a snapshot's head) */
	uint64_t low;                       /* hash[0] is of seq low (snapshot seq + 1) */
	uint8_t hash[MAX_HELD][BLF_HASH_LEN]; /* hash of seq low..low+nheld-1 */
	size_t nheld;
};

struct receiver {
	struct mkey keys[MAX_KEYS];
	size_t nkeys;
	struct mlog logs[MAX_ORIGINS];
	size_t nlogs;
	uint64_t now;
	int any_key; /* lookup mode: 1 finds keys in any state (revocations) */
};

struct tcase {
	char name[128];
	char as[32];
	char expect[64];
	char items[256];   /* "" or the expected item outcomes, space separated */
	int has_items;
	uint8_t *input;
	size_t input_len;
	uint8_t *apply[MAX_APPLY];
	size_t apply_len[MAX_APPLY];
	size_t napply;
	uint8_t *chunk[MAX_CHUNKS]; /* as snapshot-set: the set under test */
	size_t chunk_len[MAX_CHUNKS];
	size_t nchunk;
	uint8_t frozen[MAX_ORIGINS][BLF_KEYID_LEN]; /* marked after the apply lines */
	size_t nfrozen;
};

/* ---- the receiver model ---- */

static struct mkey *
key_by_id(struct receiver *r, const uint8_t id[BLF_KEYID_LEN])
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (memcmp(r->keys[i].id, id, BLF_KEYID_LEN) == 0)
			return &r->keys[i];
	return NULL;
}

static struct mkey *
key_by_pk(struct receiver *r, const uint8_t pk[BLF_PK_LEN])
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (memcmp(r->keys[i].pk, pk, BLF_PK_LEN) == 0)
			return &r->keys[i];
	return NULL;
}

static struct mkey *
current_key(struct receiver *r, const uint8_t origin[BLF_KEYID_LEN])
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (r->keys[i].state == KEY_CURRENT &&
		    memcmp(r->keys[i].origin, origin, BLF_KEYID_LEN) == 0)
			return &r->keys[i];
	return NULL;
}

/* SPEC 3.3 step 6 with 5.2 and 6.6: a revoked key never; an old key while
 * now < until; a current key. */
static int
lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	struct receiver *r = ctx;
	struct mkey *k = key_by_id(r, keyid);

	if (k == NULL)
		return BLF_EUNKKEY;
	if (!r->any_key) {
		if (k->state == KEY_REVOKED)
			return BLF_EREVOKED;
		if (k->state == KEY_OLD && r->now >= k->until)
			return BLF_EEXPIREDKEY;
	}
	memcpy(pk, k->pk, BLF_PK_LEN);
	return BLF_OK;
}

static struct mlog *
log_of(struct receiver *r, const uint8_t origin[BLF_KEYID_LEN], int create)
{
	size_t i;

	for (i = 0; i < r->nlogs; i++)
		if (memcmp(r->logs[i].origin, origin, BLF_KEYID_LEN) == 0)
			return &r->logs[i];
	if (!create)
		return NULL;
	assert_true(r->nlogs < MAX_ORIGINS);
	memset(&r->logs[r->nlogs], 0, sizeof(r->logs[0]));
	memcpy(r->logs[r->nlogs].origin, origin, BLF_KEYID_LEN);
	return &r->logs[r->nlogs++];
}

/* SPEC 5.2 (signer of the origin), 5.3 (clock), 5.4 and 5.5 for an opened
 * delta. */
static int
delta_apply(struct receiver *r, const blf_envelope *env, const blf_delta *d)
{
	struct mkey *k = key_by_id(r, env->signer);
	struct mlog *l;
	uint8_t h[BLF_HASH_LEN];

	if (k == NULL || memcmp(k->origin, d->origin, BLF_KEYID_LEN) != 0)
		return BLF_EUNKKEY;
	l = log_of(r, d->origin, 1);
	if (l->frozen)
		return BLF_EFROZEN;
	if (d->created > r->now + BLF_MAX_CLOCK_SKEW)
		return BLF_ECLOCK;
	blf_envelope_hash(env, h);
	if (l->epoch == 0 || d->epoch > l->epoch) {
		if (d->epoch - l->epoch > CONF_EPOCH_STEP)
			return BLF_EEPOCH;
		if (d->seq != 1)
			return BLF_EGAP;
		l->epoch = d->epoch;
		l->seq = 0;
		l->low = 1;
		l->nheld = 0;
	} else if (d->epoch < l->epoch) {
		return BLF_ESTALE;
	} else if (d->seq > l->seq + 1) {
		return BLF_EGAP;
	} else if (d->seq <= l->seq) {
		if (d->seq < l->low)
			return BLF_ESTALE; /* at or below a snapshot's seq: nothing to compare */
		if (memcmp(l->hash[d->seq - l->low], h, BLF_HASH_LEN) == 0)
			return BLF_EDUPLICATE;
		l->frozen = 1;
		return BLF_EEQUIVOCATION;
	} else if (memcmp(d->prev, l->head, BLF_HASH_LEN) != 0) {
		return BLF_EPREV;
	}
	assert_true(l->nheld < MAX_HELD);
	memcpy(l->hash[l->nheld++], h, BLF_HASH_LEN);
	memcpy(l->head, h, BLF_HASH_LEN);
	l->seq = d->seq;
	return BLF_OK;
}

/* The set rules of SPEC 6.5 over opened chunks: the same fields, n ==
 * nchunks, each chunk once. */
static int
snapshot_set_check(const blf_snapshot *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (memcmp(s[i].origin, s[0].origin, BLF_KEYID_LEN) != 0 ||
		    s[i].epoch != s[0].epoch || s[i].seq != s[0].seq ||
		    memcmp(s[i].head, s[0].head, BLF_HASH_LEN) != 0 ||
		    s[i].created != s[0].created || s[i].nchunks != n)
			return BLF_ECHUNK;
		for (k = 0; k < i; k++)
			if (s[k].chunk == s[i].chunk)
				return BLF_ECHUNK;
	}
	return BLF_OK;
}

/* SPEC 6.5 across the chunks, last: no prefix twice. */
static int
snapshot_set_unique(const blf_snapshot *s, size_t n)
{
	size_t i, j, k, l;

	for (i = 0; i < n; i++)
		for (j = 0; j < s[i].nops; j++)
			for (k = i; k < n; k++)
				for (l = k == i ? j + 1 : 0; l < s[k].nops; l++)
					if (blf_prefix_cmp(&s[i].ops[j].prefix,
							   &s[k].ops[l].prefix) == 0)
						return BLF_EDUP;
	return BLF_OK;
}

/* SPEC 6.5: a complete snapshot set as the base of its origin's log. */
static int
handle_snapshot_set(struct receiver *r, const uint8_t *const *p, const size_t *len, size_t n)
{
	blf_snapshot s[MAX_CHUNKS];
	blf_envelope env;
	struct mlog *l;
	struct mkey *k;
	size_t i;
	int rc = BLF_OK;

	assert_true(n >= 1 && n <= MAX_CHUNKS);
	memset(s, 0, sizeof(s));
	/* every chunk on its own: 3.3, the body, its signer a key of its origin */
	for (i = 0; i < n && rc == BLF_OK; i++) {
		if ((rc = blf_snapshot_open(p[i], len[i], lookup, r, &env, &s[i])) != BLF_OK)
			break;
		k = key_by_id(r, env.signer);
		if (memcmp(k->origin, s[i].origin, BLF_KEYID_LEN) != 0)
			rc = BLF_EUNKKEY;
	}
	if (rc != BLF_OK)
		goto out;
	if ((rc = snapshot_set_check(s, n)) != BLF_OK)
		goto out;
	rc = BLF_ECLOCK;
	if (s[0].created > r->now + BLF_MAX_CLOCK_SKEW)
		goto out;
	l = log_of(r, s[0].origin, 1);
	rc = BLF_EFROZEN;
	if (l->frozen)
		goto out;
	if (l->epoch != 0) {
		rc = BLF_ESTALE;
		if (s[0].epoch < l->epoch || (s[0].epoch == l->epoch && s[0].seq < l->seq))
			goto out;
		if (s[0].epoch == l->epoch && s[0].seq == l->seq) {
			rc = memcmp(s[0].head, l->head, BLF_HASH_LEN) == 0 ? BLF_EDUPLICATE
									 : BLF_EPREV;
			goto out;
		}
	}
	rc = BLF_EEPOCH;
	if (s[0].epoch - l->epoch > CONF_EPOCH_STEP)
		goto out;
	if ((rc = snapshot_set_unique(s, n)) != BLF_OK)
		goto out;
	l->epoch = s[0].epoch;
	l->seq = s[0].seq;
	memcpy(l->head, s[0].head, BLF_HASH_LEN);
	l->low = s[0].seq + 1;
	l->nheld = 0;
out:
	for (i = 0; i < n; i++)
		blf_snapshot_free(&s[i]); /* zeroed where not opened */
	return rc;
}

static int
handle_delta(struct receiver *r, const uint8_t *p, size_t n)
{
	blf_envelope env;
	blf_delta d;
	int rc;

	if ((rc = blf_delta_open(p, n, lookup, r, &env, &d)) == BLF_OK)
		rc = delta_apply(r, &env, &d);
	blf_delta_free(&d);
	return rc;
}

/* SPEC 6.4: open the response; then each item in order, until one is
 * refused (anything but ok, duplicate or stale). */
static int
handle_catchup_resp(struct receiver *r, const uint8_t *p, size_t n, char *items, size_t cap)
{
	blf_envelope env, ienv;
	blf_catchup_resp resp;
	size_t i;
	int rc;

	items[0] = '\0';
	if ((rc = blf_catchup_resp_open(p, n, lookup, r, &env, &resp)) != BLF_OK)
		return rc;
	for (i = 0; i < resp.ndeltas; i++) {
		blf_delta d;
		int irc = blf_delta_open(resp.deltas[i].ptr, resp.deltas[i].len, lookup, r,
					 &ienv, &d);

		if (irc == BLF_OK)
			irc = blf_catchup_item_check(&resp, i, &d);
		if (irc == BLF_OK)
			irc = delta_apply(r, &ienv, &d);
		blf_delta_free(&d);
		snprintf(items + strlen(items), cap - strlen(items), "%s%s", i ? " " : "",
			 blf_outcome_name(irc));
		if (irc != BLF_OK && irc != BLF_EDUPLICATE && irc != BLF_ESTALE)
			break;
	}
	blf_catchup_resp_free(&resp);
	return BLF_OK;
}

/* SPEC 6.6 and 13: a rollover's receiver rules, after the protocol's own. */
static int
handle_rollover(struct receiver *r, const uint8_t *p, size_t n)
{
	blf_envelope env;
	blf_rollover ro;
	struct mkey *signer, *cur, *old, *taken;
	int rc;

	if ((rc = blf_rollover_open(p, n, lookup, r, &env, &ro)) != BLF_OK)
		return rc;
	if (ro.created > r->now + BLF_MAX_CLOCK_SKEW)
		return BLF_ECLOCK;
	signer = key_by_id(r, env.signer);
	if (memcmp(signer->origin, ro.origin, BLF_KEYID_LEN) != 0)
		return BLF_EPOLICY;
	cur = current_key(r, ro.origin);
	old = key_by_pk(r, ro.old_pk);
	if (cur != NULL && memcmp(cur->pk, ro.new_pk, BLF_PK_LEN) == 0 && old != NULL &&
	    old->state == KEY_OLD && memcmp(old->origin, ro.origin, BLF_KEYID_LEN) == 0)
		return BLF_ESTALE; /* a replay: nothing to do */
	if (cur == NULL || memcmp(cur->pk, ro.old_pk, BLF_PK_LEN) != 0)
		return BLF_EPOLICY;
	if ((taken = key_by_pk(r, ro.new_pk)) != NULL)
		return taken->state == KEY_REVOKED ? BLF_EREVOKED : BLF_EPOLICY;
	assert_true(r->nkeys < MAX_KEYS);
	cur->state = KEY_OLD;
	cur->until = ro.overlap_until;
	memcpy(r->keys[r->nkeys].pk, ro.new_pk, BLF_PK_LEN);
	blf_keyid(ro.new_pk, r->keys[r->nkeys].id);
	memcpy(r->keys[r->nkeys].origin, ro.origin, BLF_KEYID_LEN);
	r->keys[r->nkeys++].state = KEY_CURRENT;
	return BLF_OK;
}

/* SPEC 6.7 and 13. */
static int
handle_revocation(struct receiver *r, const uint8_t *p, size_t n)
{
	blf_envelope env;
	blf_revocation rv;
	struct mkey *cur, *k;
	uint8_t id[BLF_KEYID_LEN];
	int rc;

	r->any_key = 1; /* a revoked or expired key may still revoke itself */
	rc = blf_revocation_open(p, n, lookup, r, &env, &rv);
	r->any_key = 0;
	if (rc != BLF_OK)
		return rc;
	if (rv.created > r->now + BLF_MAX_CLOCK_SKEW)
		return BLF_ECLOCK;
	blf_keyid(rv.revoked_pk, id);
	cur = current_key(r, rv.origin);
	if (memcmp(id, env.signer, BLF_KEYID_LEN) != 0 &&
	    (cur == NULL || memcmp(cur->id, env.signer, BLF_KEYID_LEN) != 0))
		return BLF_EPOLICY;
	k = key_by_pk(r, rv.revoked_pk);
	if (k != NULL && k->state == KEY_REVOKED)
		return BLF_ESTALE; /* already revoked: nothing to do */
	if (k == NULL || memcmp(k->origin, rv.origin, BLF_KEYID_LEN) != 0)
		return BLF_EUNKKEY;
	k->state = KEY_REVOKED;
	return BLF_OK;
}

static int
handle(struct receiver *r, const char *as, const uint8_t *p, size_t n, char *items,
       size_t cap)
{
	blf_envelope env;
	int rc;

	if (strcmp(as, "delta") == 0)
		return handle_delta(r, p, n);
	if (strcmp(as, "catchup-response") == 0)
		return handle_catchup_resp(r, p, n, items, cap);
	if (strcmp(as, "rollover") == 0)
		return handle_rollover(r, p, n);
	if (strcmp(as, "revocation") == 0)
		return handle_revocation(r, p, n);
	if (strcmp(as, "heads") == 0) {
		blf_heads h;

		rc = blf_heads_open(p, n, lookup, r, &env, &h);
		blf_heads_free(&h);
		return rc;
	}
	if (strcmp(as, "catchup-request") == 0) {
		blf_catchup_req q;

		return blf_catchup_req_open(p, n, lookup, r, &env, &q);
	}
	if (strcmp(as, "snapshot-set") == 0) {
		const uint8_t *one = p; /* a set of one (apply lines) */

		return handle_snapshot_set(r, &one, &n, 1);
	}
	if (strcmp(as, "snapshot-request") == 0) {
		blf_snapshot_req q;

		return blf_snapshot_req_open(p, n, lookup, r, &env, &q);
	}
	if (strcmp(as, "snapshot") == 0) {
		blf_snapshot s;

		rc = blf_snapshot_open(p, n, lookup, r, &env, &s);
		blf_snapshot_free(&s);
		return rc;
	}
	fail_msg("unknown receiver context %s", as);
	return -1;
}

/* ---- the case file ---- */

static size_t
unhex(const char *h, uint8_t **out)
{
	size_t n = strlen(h) / 2, i;
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*out = b;
	return n;
}

static void
hex_fixed(const char *h, uint8_t *out, size_t n)
{
	size_t i;

	assert_int_equal(strlen(h), 2 * n);
	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void
case_free(struct tcase *c)
{
	size_t i;

	free(c->input);
	for (i = 0; i < c->napply; i++)
		free(c->apply[i]);
	for (i = 0; i < c->nchunk; i++)
		free(c->chunk[i]);
	memset(c, 0, sizeof(*c));
}

static void
parse_key(struct receiver *r, char *rest)
{
	char *pk = strtok(rest, " "), *origin = strtok(NULL, " "), *state = strtok(NULL, " ");
	struct mkey *k = &r->keys[r->nkeys];

	assert_true(pk && origin && state && r->nkeys < MAX_KEYS);
	memset(k, 0, sizeof(*k));
	hex_fixed(pk, k->pk, BLF_PK_LEN);
	hex_fixed(origin, k->origin, BLF_KEYID_LEN);
	blf_keyid(k->pk, k->id);
	if (strcmp(state, "current") == 0) {
		k->state = KEY_CURRENT;
	} else if (strcmp(state, "revoked") == 0) {
		k->state = KEY_REVOKED;
	} else {
		char *until = strtok(NULL, " ");

		assert_string_equal(state, "old");
		assert_non_null(until);
		k->state = KEY_OLD;
		k->until = strtoull(until, NULL, 10);
	}
	r->nkeys++;
}

/* Run one parsed case; returns 0 when it passes, 1 with a message if not. */
static int
run_case(struct tcase *c, struct receiver *r)
{
	char items[512];
	size_t i;
	int rc;

	for (i = 0; i < c->napply; i++) {
		blf_envelope env;
		const char *as;

		assert_int_equal(blf_envelope_parse(c->apply[i], c->apply_len[i], &env), BLF_OK);
		as = env.type == BLF_MSG_CATCHUP_REQ ? "catchup-request" :
		     env.type == BLF_MSG_CATCHUP_RESP ? "catchup-response" :
		     env.type == BLF_MSG_SNAPSHOT ? "snapshot-set" : /* a set of one */
		     blf_msg_type_name(env.type);
		rc = handle(r, as, c->apply[i], c->apply_len[i], items, sizeof(items));
		if (rc != BLF_OK) {
			print_error("%s: applying message %zu of the state: %s\n", c->name, i,
				    blf_outcome_name(rc));
			return 1;
		}
	}
	for (i = 0; i < c->nfrozen; i++)
		log_of(r, c->frozen[i], 1)->frozen = 1;
	items[0] = '\0';
	if (strcmp(c->as, "snapshot-set") == 0) {
		const uint8_t *chunks[MAX_CHUNKS];

		for (i = 0; i < c->nchunk; i++)
			chunks[i] = c->chunk[i];
		rc = handle_snapshot_set(r, chunks, c->chunk_len, c->nchunk);
	} else {
		rc = handle(r, c->as, c->input, c->input_len, items, sizeof(items));
	}
	if (strcmp(blf_outcome_name(rc), c->expect) != 0) {
		print_error("%s: got %s (%s), want %s\n", c->name, blf_outcome_name(rc),
			    blf_strerror(rc), c->expect);
		return 1;
	}
	if (c->has_items && strcmp(items, c->items) != 0) {
		print_error("%s: items got \"%s\", want \"%s\"\n", c->name, items, c->items);
		return 1;
	}
	return 0;
}

static void
test_cases(void **state)
{
	FILE *f = fopen(CASES, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct tcase c;
	struct receiver *r = calloc(1, sizeof(*r));
	unsigned ran = 0, failed = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(r);
	memset(&c, 0, sizeof(c));
	while ((len = getline(&line, &cap, f)) > 0) {
		char *rest;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		rest = strchr(line, ' ');
		rest = rest ? rest + 1 : line + len;
		if (strncmp(line, "case ", 5) == 0) {
			case_free(&c);
			memset(r, 0, sizeof(*r));
			snprintf(c.name, sizeof(c.name), "%s", rest);
		} else if (strncmp(line, "as ", 3) == 0) {
			snprintf(c.as, sizeof(c.as), "%s", rest);
		} else if (strncmp(line, "now ", 4) == 0) {
			r->now = strtoull(rest, NULL, 10);
		} else if (strncmp(line, "key ", 4) == 0) {
			parse_key(r, rest);
		} else if (strncmp(line, "frozen ", 7) == 0) {
			assert_true(c.nfrozen < MAX_ORIGINS);
			hex_fixed(rest, c.frozen[c.nfrozen++], BLF_KEYID_LEN);
		} else if (strncmp(line, "apply ", 6) == 0) {
			assert_true(c.napply < MAX_APPLY);
			c.apply_len[c.napply] = unhex(rest, &c.apply[c.napply]);
			c.napply++;
		} else if (strncmp(line, "input ", 6) == 0) {
			c.input_len = unhex(rest, &c.input);
		} else if (strncmp(line, "chunk ", 6) == 0) {
			assert_true(c.nchunk < MAX_CHUNKS);
			c.chunk_len[c.nchunk] = unhex(rest, &c.chunk[c.nchunk]);
			c.nchunk++;
		} else if (strncmp(line, "zeros ", 6) == 0) {
			c.input_len = strtoull(rest, NULL, 10);
			c.input = calloc(1, c.input_len);
			assert_non_null(c.input);
		} else if (strncmp(line, "expect ", 7) == 0) {
			snprintf(c.expect, sizeof(c.expect), "%s", rest);
		} else if (strncmp(line, "items", 5) == 0) {
			c.has_items = 1;
			snprintf(c.items, sizeof(c.items), "%s", line[5] ? line + 6 : "");
		} else if (strcmp(line, "end") == 0) {
			failed += (unsigned)run_case(&c, r);
			ran++;
		} else if (strncmp(line, "note ", 5) != 0 && strncmp(line, "must ", 5) != 0) {
			fail_msg("cases.txt: unknown line \"%.40s\"", line);
		}
	}
	case_free(&c);
	free(line);
	free(r);
	fclose(f);
	print_message("conformance: %u cases, %u failed\n", ran, failed);
	assert_int_equal(failed, 0);
	assert_true(ran >= 150);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	if (blf_init() != BLF_OK)
		return 1;
	return cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
}
