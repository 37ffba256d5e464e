/*
 * keymsg.c - key rollover and key revocation statements (SPEC 6.6, 6.7).
 *
 * A rollover is signed twice: the envelope by the old key (the origin hands
 * over) and a counter-signature by the new key (the new key's holder accepts,
 * so nobody can roll an origin over to a key they do not hold).  The counter-
 * signature covers a fixed-layout byte string, built explicitly:
 *
 *   "BLFED-ROLLOVER" 0x00 || origin (16) || old pk (32) || new pk (32)
 *   || created (8, big-endian) || overlap_until (8, big-endian)
 *
 * Its tag differs from the envelope's "BLFED-SIG" tag, so neither signature
 * can stand in for the other.
 */
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define ROLLOVER_FIELDS 6
#define REVOCATION_FIELDS 4

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
rollover_input(const blf_rollover *r, uint8_t in[BLF_ROLLOVER_INPUT_LEN])
{
	uint8_t *p = in;

	memcpy(p, BLF_ROLLOVER_TAG, BLF_ROLLOVER_TAG_LEN); /* includes the NUL */
	p += BLF_ROLLOVER_TAG_LEN;
	memcpy(p, r->origin, BLF_KEYID_LEN);
	p += BLF_KEYID_LEN;
	memcpy(p, r->old_pk, BLF_PK_LEN);
	p += BLF_PK_LEN;
	memcpy(p, r->new_pk, BLF_PK_LEN);
	p += BLF_PK_LEN;
	put_be64(p, r->created);
	put_be64(p + 8, r->overlap_until);
}

static int
rollover_check(const blf_rollover *r)
{
	if (r->created > BLF_MAX_TIME || r->overlap_until > BLF_MAX_TIME)
		return BLF_ERANGE; /* the encoder's field ranges; the decoder read them */
	if (memcmp(r->old_pk, r->new_pk, BLF_PK_LEN) == 0)
		return BLF_ERANGE;
	if (r->overlap_until < r->created || r->overlap_until - r->created > BLF_MAX_OVERLAP)
		return BLF_ERANGE;
	return BLF_OK;
}

int
blf_rollover_decode_body(const uint8_t *body, size_t len, blf_rollover *out)
{
	const msgpack_object *f;
	mp_doc doc;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_ROLLOVER,
			       BLF_MAX_OBJECTS_FIXED)) != BLF_OK)
		goto out;
	if ((err = blf_mp_array(doc.root, ROLLOVER_FIELDS, &f)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[1], out->old_pk, BLF_PK_LEN)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[2], out->new_pk, BLF_PK_LEN)) != BLF_OK ||
	    (err = blf_mp_uint(&f[3], BLF_MAX_TIME, &out->created)) != BLF_OK ||
	    (err = blf_mp_uint(&f[4], BLF_MAX_TIME, &out->overlap_until)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[5], out->counter_sig, BLF_SIG_LEN)) != BLF_OK)
		goto out;
	err = rollover_check(out);
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

static int
rollover_encode(const void *msg, mp_out *o)
{
	const blf_rollover *r = msg;
	int err;

	if ((err = rollover_check(r)) != BLF_OK)
		return err;
	blf_mp_w_array(o, ROLLOVER_FIELDS);
	blf_mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	blf_mp_w_bin(o, r->old_pk, BLF_PK_LEN);
	blf_mp_w_bin(o, r->new_pk, BLF_PK_LEN);
	blf_mp_w_uint(o, r->created);
	blf_mp_w_uint(o, r->overlap_until);
	blf_mp_w_bin(o, r->counter_sig, BLF_SIG_LEN);
	return BLF_OK;
}

int
blf_rollover_seal(blf_rollover *r, const uint8_t old_sk[BLF_SK_LEN],
		  const uint8_t new_sk[BLF_SK_LEN], blf_buf *out)
{
	uint8_t in[BLF_ROLLOVER_INPUT_LEN];

	if (r == NULL || old_sk == NULL || new_sk == NULL || out == NULL)
		return BLF_EINVAL;
	memcpy(r->old_pk, old_sk + BLF_SEED_LEN, BLF_PK_LEN);
	memcpy(r->new_pk, new_sk + BLF_SEED_LEN, BLF_PK_LEN);
	rollover_input(r, in);
	crypto_sign_detached(r->counter_sig, NULL, in, sizeof(in), new_sk);
	return blf_envelope_seal(BLF_MSG_ROLLOVER, r, rollover_encode, old_sk, out);
}

int
blf_rollover_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		  blf_envelope *env, blf_rollover *out)
{
	uint8_t in[BLF_ROLLOVER_INPUT_LEN], id[BLF_KEYID_LEN];
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_envelope_open(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_ROLLOVER, lookup, ctx,
				 env)) != BLF_OK)
		return err;
	if ((err = blf_rollover_decode_body(env->body, env->body_len, out)) != BLF_OK)
		goto out;
	/* The envelope must be signed by the key being rolled away from. */
	blf_keyid(out->old_pk, id);
	err = BLF_EKEYID;
	if (memcmp(id, env->signer, BLF_KEYID_LEN) != 0)
		goto out;
	rollover_input(out, in);
	err = BLF_ECOUNTERSIG;
	if (crypto_sign_verify_detached(out->counter_sig, in, sizeof(in), out->new_pk) != 0)
		goto out;
	err = BLF_OK;
out:
	if (err != BLF_OK) {
		memset(out, 0, sizeof(*out));
		memset(env, 0, sizeof(*env));
	}
	return err;
}

int
blf_revocation_decode_body(const uint8_t *body, size_t len, blf_revocation *out)
{
	const msgpack_object *f;
	mp_doc doc;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_REVOCATION,
			       BLF_MAX_OBJECTS_FIXED)) != BLF_OK)
		goto out;
	if ((err = blf_mp_array(doc.root, REVOCATION_FIELDS, &f)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[1], out->revoked_pk, BLF_PK_LEN)) != BLF_OK ||
	    (err = blf_mp_uint(&f[2], BLF_MAX_TIME, &out->created)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[3], 0, BLF_REVOKE_REASON_MAX, BLF_ERANGE,
			     &out->reason)) != BLF_OK)
		goto out;
	err = BLF_OK;
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

static int
revocation_encode(const void *msg, mp_out *o)
{
	const blf_revocation *r = msg;

	if (r->reason > BLF_REVOKE_REASON_MAX || r->created > BLF_MAX_TIME)
		return BLF_ERANGE;
	blf_mp_w_array(o, REVOCATION_FIELDS);
	blf_mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	blf_mp_w_bin(o, r->revoked_pk, BLF_PK_LEN);
	blf_mp_w_uint(o, r->created);
	blf_mp_w_uint(o, r->reason);
	return BLF_OK;
}

int
blf_revocation_seal(const blf_revocation *r, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return blf_envelope_seal(BLF_MSG_REVOCATION, r, revocation_encode, sk, out);
}

static int
dec_revocation(const uint8_t *body, size_t len, void *out)
{
	return blf_revocation_decode_body(body, len, out);
}

int
blf_revocation_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		    blf_envelope *env, blf_revocation *out)
{
	memset(out, 0, sizeof(*out));
	return blf_envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_REVOCATION, lookup, ctx, env,
				  dec_revocation, out);
}
