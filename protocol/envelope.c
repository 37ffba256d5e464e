/*
 * envelope.c - signed envelopes (SPEC 3.3 and 3.4).
 *
 * Every message travels as
 *
 *     [version, type, signer key id, body (bin), signature (bin 64)]
 *
 * and the signature is Ed25519 over the signing input
 *
 *     "BLFED-SIG" 0x00 || version (1 byte) || type (1 byte) || signer || body
 *
 * so a signature made for one message type can never pass as another (the
 * type is inside what is signed) and the envelope's own msgpack framing is
 * not.  The message hash, which deltas chain with, is BLAKE2b-256 of that
 * same signing input: it names the signed content, whatever framing a relay
 * used around it.
 *
 * Opening a message is parse -> type check -> key lookup -> verify -> decode
 * body, in that order: no body field is looked at before the signature holds.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define ENVELOPE_FIELDS 5

void
blf_envelope_sign_prefix(unsigned type, const uint8_t signer[BLF_KEYID_LEN], uint8_t *p)
{
	memcpy(p, BLF_SIG_TAG, BLF_SIG_TAG_LEN); /* includes the NUL */
	p[BLF_SIG_TAG_LEN] = BLF_VERSION;
	p[BLF_SIG_TAG_LEN + 1] = (uint8_t)type;
	memcpy(p + BLF_SIG_TAG_LEN + 2, signer, BLF_KEYID_LEN);
}

int
blf_envelope_parse(const uint8_t *buf, size_t len, blf_envelope *env)
{
	const msgpack_object *f;
	mp_doc doc;
	uint64_t v;
	size_t siglen;
	int err;

	memset(env, 0, sizeof(*env));
	if (buf == NULL)
		return BLF_EINVAL;
	if (len > BLF_MAX_MSG_SIZE)
		return BLF_ETOOBIG;
	if ((err = blf_mp_doc_parse(&doc, buf, len, BLF_DEPTH_ENVELOPE,
				BLF_MAX_OBJECTS_FIXED)) != BLF_OK)
		goto out;
	err = BLF_ETYPE;
	if (doc.root->type != MSGPACK_OBJECT_ARRAY)
		goto out;
	err = BLF_EFIELDS;
	if (doc.root->via.array.size < 1)
		goto out;
	f = doc.root->via.array.ptr;
	/* The version comes first so that any future layout is named as such;
	 * every uint other than 1, however large, is an unsupported version. */
	if ((err = blf_mp_uint(&f[0], UINT64_MAX, &v)) != BLF_OK)
		goto out;
	err = BLF_EVERSION;
	if (v != BLF_VERSION)
		goto out;
	env->version = (uint32_t)v;
	err = BLF_EFIELDS;
	if (doc.root->via.array.size != ENVELOPE_FIELDS)
		goto out;
	if ((err = blf_mp_uint(&f[1], UINT8_MAX, &v)) != BLF_OK)
		goto out;
	env->type = (uint32_t)v;
	if ((err = blf_mp_bin_fixed(&f[2], env->signer, BLF_KEYID_LEN)) != BLF_OK)
		goto out;
	if ((err = blf_mp_bin(&f[3], BLF_MAX_MSG_SIZE, &env->body, &env->body_len)) != BLF_OK)
		goto out;
	if ((err = blf_mp_bin(&f[4], BLF_MAX_MSG_SIZE, &env->sig, &siglen)) != BLF_OK)
		goto out;
	err = BLF_ESIZE;
	if (siglen != BLF_SIG_LEN)
		goto out;
	err = BLF_EUNKTYPE;
	if (env->type == 0 || env->type > BLF_MSG_TYPE_MAX)
		goto out;
	err = BLF_OK;
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK && err != BLF_EUNKTYPE)
		memset(env, 0, sizeof(*env));
	return err;
}

int
blf_envelope_verify(const blf_envelope *env, const uint8_t pk[BLF_PK_LEN])
{
	uint8_t id[BLF_KEYID_LEN];
	uint8_t small[BLF_SIGN_PREFIX_LEN + 1024];
	uint8_t *in = small;
	size_t n;
	int err = BLF_EBADSIG;

	blf_keyid(pk, id);
	if (sodium_memcmp(id, env->signer, BLF_KEYID_LEN) != 0)
		return BLF_EKEYID;
	n = BLF_SIGN_PREFIX_LEN + env->body_len;
	if (n > sizeof(small) && (in = malloc(n)) == NULL)
		return BLF_ENOMEM;
	blf_envelope_sign_prefix(env->type, env->signer, in);
	if (env->body_len > 0)
		memcpy(in + BLF_SIGN_PREFIX_LEN, env->body, env->body_len);
	if (crypto_sign_verify_detached(env->sig, in, n, pk) == 0)
		err = BLF_OK;
	if (in != small)
		free(in);
	return err;
}

void
blf_envelope_hash(const blf_envelope *env, uint8_t hash[BLF_HASH_LEN])
{
	crypto_generichash_state st;
	uint8_t p[BLF_SIGN_PREFIX_LEN];

	blf_envelope_sign_prefix(env->type, env->signer, p);
	crypto_generichash_init(&st, NULL, 0, BLF_HASH_LEN);
	crypto_generichash_update(&st, p, sizeof(p));
	crypto_generichash_update(&st, env->body, env->body_len);
	crypto_generichash_final(&st, hash, BLF_HASH_LEN);
}

int
blf_envelope_open(const uint8_t *buf, size_t len, size_t max_len, unsigned type,
	      blf_key_lookup_fn lookup, void *ctx, blf_envelope *env)
{
	uint8_t pk[BLF_PK_LEN];
	int err;

	memset(env, 0, sizeof(*env));
	if (lookup == NULL)
		return BLF_EINVAL;
	if (len > max_len)
		return BLF_ETOOBIG;
	if ((err = blf_envelope_parse(buf, len, env)) != BLF_OK)
		goto out;
	err = BLF_EWRONGTYPE;
	if (env->type != type)
		goto out;
	if ((err = lookup(ctx, env->signer, pk)) != BLF_OK)
		goto out;
	err = blf_envelope_verify(env, pk);
out:
	if (err != BLF_OK)
		memset(env, 0, sizeof(*env));
	return err;
}

int
blf_envelope_open_body(const uint8_t *buf, size_t len, size_t max_len, unsigned type,
		   blf_key_lookup_fn lookup, void *ctx, blf_envelope *env, body_decoder dec,
		   void *out)
{
	int err;

	if ((err = blf_envelope_open(buf, len, max_len, type, lookup, ctx, env)) != BLF_OK)
		return err;
	if ((err = dec(env->body, env->body_len, out)) != BLF_OK)
		memset(env, 0, sizeof(*env));
	return err;
}

int
blf_body_begin(mp_doc *doc, const uint8_t *body, size_t len, size_t max_len, unsigned depth,
	   size_t max_objects)
{
	msgpack_unpacked_init(&doc->up);
	doc->root = NULL;
	if (body == NULL)
		return BLF_EINVAL;
	if (len > max_len)
		return BLF_ETOOBIG;
	return blf_mp_doc_parse(doc, body, len, depth, max_objects);
}

int
blf_envelope_seal(unsigned type, const void *msg, body_encoder enc,
	      const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	uint8_t signer[BLF_KEYID_LEN], sig[BLF_SIG_LEN];
	uint8_t prefix[BLF_SIGN_PREFIX_LEN];
	size_t max = type == BLF_MSG_DELTA ? BLF_MAX_DELTA_SIZE : BLF_MAX_MSG_SIZE;
	mp_out body, env;
	int err;

	blf_mp_out_init(&body);
	blf_mp_out_init(&env);
	blf_keyid(sk + BLF_SEED_LEN, signer); /* libsodium sk = seed || pk */
	blf_envelope_sign_prefix(type, signer, prefix);
	/* The body is packed right after the signing prefix, so the signing
	 * input is one contiguous buffer with no copy. */
	blf_mp_w_raw(&body, prefix, sizeof(prefix));
	if ((err = enc(msg, &body)) != BLF_OK)
		goto out;
	err = BLF_ENOMEM;
	if (body.failed)
		goto out;
	crypto_sign_detached(sig, NULL, (const uint8_t *)body.sb.data, body.sb.size, sk);
	blf_mp_w_array(&env, ENVELOPE_FIELDS);
	blf_mp_w_uint(&env, BLF_VERSION);
	blf_mp_w_uint(&env, type);
	blf_mp_w_bin(&env, signer, sizeof(signer));
	blf_mp_w_bin(&env, body.sb.data + BLF_SIGN_PREFIX_LEN, body.sb.size - BLF_SIGN_PREFIX_LEN);
	blf_mp_w_bin(&env, sig, sizeof(sig));
	if (env.failed)
		goto out;
	err = BLF_ETOOBIG;
	if (env.sb.size > max)
		goto out;
	err = blf_buf_append(out, env.sb.data, env.sb.size);
out:
	blf_mp_out_free(&body);
	blf_mp_out_free(&env);
	return err;
}
