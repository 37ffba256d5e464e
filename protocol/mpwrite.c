/*
 * mpwrite.c - msgpack encoding through msgpack-c's packer into an sbuffer.
 *
 * msgpack-c always chooses the shortest encoding of each value, which is
 * what SPEC 3.1 requires.  Writers record the first failure (out of memory)
 * in mp_out.failed so that encoders can emit a whole message and check once.
 */
#include <string.h>

#include "internal.h"

void
blf_mp_out_init(mp_out *o)
{
	msgpack_sbuffer_init(&o->sb);
	msgpack_packer_init(&o->pk, &o->sb, msgpack_sbuffer_write);
	o->failed = 0;
}

void
blf_mp_out_free(mp_out *o)
{
	if (o == NULL)
		return;
	msgpack_sbuffer_destroy(&o->sb);
	memset(&o->sb, 0, sizeof(o->sb));
}

void
blf_mp_w_array(mp_out *o, uint32_t n)
{
	if (msgpack_pack_array(&o->pk, n) != 0)
		o->failed = 1;
}

void
blf_mp_w_uint(mp_out *o, uint64_t v)
{
	if (msgpack_pack_uint64(&o->pk, v) != 0)
		o->failed = 1;
}

void
blf_mp_w_bool(mp_out *o, int v)
{
	if ((v ? msgpack_pack_true(&o->pk) : msgpack_pack_false(&o->pk)) != 0)
		o->failed = 1;
}

void
blf_mp_w_bin(mp_out *o, const void *p, size_t n)
{
	if (msgpack_pack_bin(&o->pk, n) != 0 || msgpack_pack_bin_body(&o->pk, p, n) != 0)
		o->failed = 1;
}

void
blf_mp_w_str(mp_out *o, const char *p, size_t n)
{
	if (msgpack_pack_str(&o->pk, n) != 0 || msgpack_pack_str_body(&o->pk, p, n) != 0)
		o->failed = 1;
}

void
blf_mp_w_raw(mp_out *o, const void *p, size_t n)
{
	if (n > 0 && msgpack_sbuffer_write(&o->sb, (const char *)p, n) != 0)
		o->failed = 1;
}

void
blf_mp_w_prefix(mp_out *o, const blf_prefix *p)
{
	uint8_t w[17];

	blf_prefix_to_wire(p, w);
	blf_mp_w_bin(o, w, blf_prefix_wire_len(p));
}
