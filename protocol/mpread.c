/*
 * mpread.c - strict msgpack decoding on top of msgpack-c.
 *
 * msgpack-c's msgpack_unpack_next() trusts declared lengths: an array header
 * claiming 2^32 elements makes it allocate storage for all of them before it
 * reads one.  So untrusted bytes first go through blf_mp_precheck(), a single
 * linear walk that enforces the subset of msgpack that SPEC 3.1 allows:
 *
 *  - exactly one object, filling the buffer (no trailing bytes);
 *  - only positive fixint, uint 8/16/32/64, bool, str, bin and array;
 *    nil, maps, ext, floats, signed integers and 0xc1 are refused;
 *  - every value in its shortest encoding (so a message has one byte form);
 *  - declared lengths no larger than the bytes that remain, nesting no
 *    deeper than the caller's limit, and at most max_objects objects.
 *
 * The walk goes through the bytes once, in order, and stops at the first
 * rule an object breaks; at each object it checks, in this order: a byte
 * left (ETRUNC), the object budget (ELIMIT), an allowed format (EMSGPACK),
 * a complete header (ETRUNC), the shortest form (ENONCANON), the declared
 * length against the bytes left (ETRUNC), the nesting depth of an array
 * (EDEPTH).  Trailing bytes (ETRAILING) come last.  SPEC 3.1 rule 4 states
 * the same order, so that every implementation names the same first fault.
 *
 * After that, msgpack_unpack_next() allocates at most max_objects
 * msgpack_objects in its zone and str/bin point into the caller's buffer.
 * The mp_* readers then check each field's type and exact size.
 */
#include <string.h>

#include "internal.h"

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

int
blf_mp_precheck(const uint8_t *buf, size_t len, unsigned max_depth, size_t max_objects)
{
	uint64_t left[BLF_MAX_DEPTH + 2]; /* items still to read at each level */
	unsigned depth = 0;
	size_t pos = 0, objects = 0;

	if (max_depth > BLF_MAX_DEPTH)
		return BLF_EINVAL;
	left[0] = 1;
	for (;;) {
		uint8_t b;
		size_t hdr = 1, w = 0;
		uint64_t n = 0, min = 0;
		int is_array = 0;

		while (left[depth] == 0) {
			if (depth == 0)
				goto done;
			depth--;
		}
		left[depth]--;
		if (pos >= len)
			return BLF_ETRUNC;
		if (++objects > max_objects)
			return BLF_ELIMIT;
		b = buf[pos];
		if (b <= 0x7f || b == 0xc2 || b == 0xc3) {
			pos += 1;
			continue;
		}
		if (b >= 0x90 && b <= 0x9f) {
			is_array = 1;
			n = b & 0x0f;
		} else if (b >= 0xa0 && b <= 0xbf) {
			n = b & 0x1f; /* fixstr: payload follows */
		} else {
			switch (b) {
			case 0xcc: w = 1; min = 0x80; break;    /* uint 8 */
			case 0xcd: w = 2; min = 0x100; break;   /* uint 16 */
			case 0xce: w = 4; min = 0x10000; break; /* uint 32 */
			case 0xcf: w = 8; min = 0x100000000ULL; break;
			case 0xc4: w = 1; min = 0; break;       /* bin 8 */
			case 0xc5: w = 2; min = 0x100; break;
			case 0xc6: w = 4; min = 0x10000; break;
			case 0xd9: w = 1; min = 32; break;      /* str 8 */
			case 0xda: w = 2; min = 0x100; break;
			case 0xdb: w = 4; min = 0x10000; break;
			case 0xdc: w = 2; min = 16; is_array = 1; break;
			case 0xdd: w = 4; min = 0x10000; is_array = 1; break;
			default:
				return BLF_EMSGPACK; /* nil, map, ext, float, int, 0xc1 */
			}
			if (len - pos - 1 < w)
				return BLF_ETRUNC;
			n = be(buf + pos + 1, w);
			hdr = 1 + w;
			if (n < min)
				return BLF_ENONCANON;
			if (b >= 0xcc && b <= 0xcf) {
				pos += hdr; /* unsigned integer: no payload */
				continue;
			}
		}
		pos += hdr;
		if (n > len - pos)
			return BLF_ETRUNC; /* each element or byte needs >= 1 byte */
		if (!is_array) {
			pos += n; /* str or bin payload */
			continue;
		}
		/* An array is one level deeper than its container, also when
		 * it is empty (SPEC 3.1 rule 8: depth is a property of the
		 * bytes, not of what they hold). */
		if (depth + 1 > max_depth)
			return BLF_EDEPTH;
		if (n == 0)
			continue;
		left[++depth] = n;
	}
done:
	return pos == len ? BLF_OK : BLF_ETRAILING;
}

int
blf_mp_doc_parse(mp_doc *doc, const uint8_t *buf, size_t len, unsigned max_depth,
	     size_t max_objects)
{
	size_t off = 0;
	int err;

	msgpack_unpacked_init(&doc->up);
	doc->root = NULL;
	if ((err = blf_mp_precheck(buf, len, max_depth, max_objects)) != BLF_OK)
		return err;
	switch (msgpack_unpack_next(&doc->up, (const char *)buf, len, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		return BLF_ENOMEM;
	default:
		return BLF_EMSGPACK; /* the pre-check should have caught it */
	}
	if (off != len)
		return BLF_ETRAILING;
	doc->root = &doc->up.data;
	return BLF_OK;
}

void
blf_mp_doc_free(mp_doc *doc)
{
	if (doc == NULL)
		return;
	msgpack_unpacked_destroy(&doc->up);
	doc->root = NULL;
}

int
blf_mp_array(const msgpack_object *o, uint32_t want, const msgpack_object **items)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return BLF_ETYPE;
	if (o->via.array.size != want)
		return BLF_EFIELDS;
	*items = o->via.array.ptr;
	return BLF_OK;
}

int
blf_mp_array_max(const msgpack_object *o, uint32_t max, const msgpack_object **items,
	     uint32_t *n)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return BLF_ETYPE;
	if (o->via.array.size > max)
		return BLF_ELIMIT;
	*items = o->via.array.ptr;
	*n = o->via.array.size;
	return BLF_OK;
}

int
blf_mp_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return BLF_ETYPE;
	if (o->via.u64 > max)
		return BLF_ERANGE;
	*v = o->via.u64;
	return BLF_OK;
}

int
blf_mp_uint_in(const msgpack_object *o, uint64_t min, uint64_t max, int range_err, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return BLF_ETYPE;
	if (o->via.u64 < min || o->via.u64 > max)
		return range_err;
	*v = o->via.u64;
	return BLF_OK;
}

int
blf_mp_u32_in(const msgpack_object *o, uint32_t min, uint32_t max, int range_err, uint32_t *v)
{
	uint64_t x = 0;
	int err;

	if ((err = blf_mp_uint_in(o, min, max, range_err, &x)) != BLF_OK)
		return err;
	*v = (uint32_t)x;
	return BLF_OK;
}

int
blf_mp_u32(const msgpack_object *o, uint32_t *v)
{
	uint64_t x;
	int err;

	if ((err = blf_mp_uint(o, UINT32_MAX, &x)) != BLF_OK)
		return err;
	*v = (uint32_t)x;
	return BLF_OK;
}

int
blf_mp_bool(const msgpack_object *o, int *v)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return BLF_ETYPE;
	*v = o->via.boolean ? 1 : 0;
	return BLF_OK;
}

int
blf_mp_bin_fixed(const msgpack_object *o, uint8_t *dst, size_t n)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return BLF_ETYPE;
	if (o->via.bin.size != n)
		return BLF_ESIZE;
	memcpy(dst, o->via.bin.ptr, n);
	return BLF_OK;
}

int
blf_mp_bin(const msgpack_object *o, size_t max, const uint8_t **p, size_t *n)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return BLF_ETYPE;
	if (o->via.bin.size > max)
		return BLF_ETOOBIG;
	*p = (const uint8_t *)o->via.bin.ptr;
	*n = o->via.bin.size;
	return BLF_OK;
}

int
blf_mp_str(const msgpack_object *o, size_t max, const char **p, size_t *n)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return BLF_ETYPE;
	if (o->via.str.size > max)
		return BLF_ETOOBIG;
	if (blf_text_check(o->via.str.ptr, o->via.str.size) != BLF_OK)
		return BLF_ESTRING;
	*p = o->via.str.ptr;
	*n = o->via.str.size;
	return BLF_OK;
}

int
blf_mp_prefix(const msgpack_object *o, blf_prefix *p)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return BLF_ETYPE;
	return blf_prefix_from_wire((const uint8_t *)o->via.bin.ptr, o->via.bin.size, p);
}
