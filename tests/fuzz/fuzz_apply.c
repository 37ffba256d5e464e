/*
 * fuzz_apply.c - libFuzzer target for the agent core's apply pipeline.
 *
 * The input is a script, not a message: each step picks an origin (two in
 * the trust store, one unknown), a log move (next delta, a gap, a second
 * delta for a seq already used, a new epoch), a clock advance and up to 12
 * operations on a small address space (so that listings, exclusions and
 * holes overlap), and the target seals that delta with the origin's real
 * key and hands it to core_apply.  Properties checked:
 *
 *  - core_apply returns only log-level outcomes for validly signed deltas
 *    (never a decoding or signature error, never an I/O error);
 *  - the merged view is strictly sorted, without duplicates, and every
 *    entry has provenance when listed;
 *  - closing and reopening the data directory (from the journal alone or
 *    from a checkpoint plus journal) gives exactly the same state.
 */
#include "../unit/test_core_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 48
#define MAX_FUZZ_OPS 12

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t
rd_u8(struct rd *r)
{
	uint8_t v = 0;

	if (r->n > 0) {
		v = *r->p++;
		r->n--;
	}
	return v;
}

static const char *const refs[] = { "", "ticket 1", "https://example.org/e/2" };

/* A prefix in a small space: 10.0-3.0-3.x/8..32 or 2001:db8:0-3::/16..128. */
static void
make_prefix(struct rd *r, blf_prefix *p)
{
	uint8_t b = rd_u8(r), x = rd_u8(r), y = rd_u8(r);
	unsigned bits, i;

	memset(p, 0, sizeof(*p));
	if (b & 1) {
		p->af = BLF_AF_INET6;
		p->len = (uint8_t)(16 + (b >> 1) % 113);
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[5] = x & 3;
		p->addr[15] = y;
		bits = 128;
	} else {
		p->af = BLF_AF_INET;
		p->len = (uint8_t)(8 + (b >> 1) % 25);
		p->addr[0] = 10;
		p->addr[1] = x & 3;
		p->addr[2] = (x >> 2) & 3;
		p->addr[3] = y;
		bits = 32;
	}
	for (i = p->len; i < bits; i++) /* clear host bits */
		p->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

static void
check_view(core *c, uint64_t now)
{
	core_iter it;
	core_entry e;
	blf_prefix last;
	int first = 1;

	if (core_iter_begin(c, now, &it) != 0)
		__builtin_trap();
	while (core_iter_next(&it, &e) > 0) {
		if (!first && blf_prefix_cmp(&last, &e.prefix) >= 0)
			__builtin_trap(); /* unsorted or duplicate */
		if (e.kind == CORE_ENTRY_LISTED && (e.nprov == 0 || e.expires <= now))
			__builtin_trap();
		last = e.prefix;
		first = 0;
	}
	core_iter_end(&it);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct fx *f = fx_new();
	struct pub *pubs[3];
	blf_op ops[MAX_FUZZ_OPS];
	uint64_t now = T0;
	uint8_t mode = rd_u8(&r);
	char *before, *after;
	int step;

	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 50);
	f->cfg.threshold = 100;
	if (fx_open(f) != 0)
		__builtin_trap();
	pubs[0] = &f->a;
	pubs[1] = &f->b;
	pubs[2] = &f->c; /* not in the store */

	for (step = 0; step < MAX_STEPS && r.n > 0; step++) {
		uint8_t c = rd_u8(&r), nops = rd_u8(&r) % (MAX_FUZZ_OPS + 1), i;
		struct pub *p = pubs[(c & 3) % 3];
		unsigned move = (c >> 2) & 3;
		uint64_t seq = p->seq + 1;
		const uint8_t *prev = p->seq ? p->head : NULL;
		uint32_t epoch = p->epoch;
		core_result res;
		int rc;

		now += (uint64_t)(c >> 4) * 37;
		for (i = 0; i < nops; i++) {
			uint8_t t = rd_u8(&r), v = rd_u8(&r);

			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].type = (uint8_t)(t % 4 + 1);
			make_prefix(&r, &ops[i].prefix);
			if (ops[i].type == BLF_OP_LIST) {
				ops[i].reason = (uint16_t)(1 + v % 3);
				ops[i].expires = now + 60u * (1u + (t >> 2));
			}
			if (ops[i].type == BLF_OP_LIST || ops[i].type == BLF_OP_EXCLUDE) {
				ops[i].ref = refs[v % 3];
				ops[i].ref_len = (uint16_t)strlen(ops[i].ref);
			}
		}
		if (move == 1) { /* a gap */
			seq = p->seq + 2;
			prev = p->head;
		} else if (move == 2 && p->seq > 0) { /* same seq again: duplicate or fork */
			seq = p->seq;
			prev = p->seq > 1 ? p->head : NULL; /* wrong prev is fine: it is signed */
		} else if (move == 3) { /* a new epoch */
			epoch = p->epoch + 1;
			seq = 1;
			prev = NULL;
		}
		if (seal_raw(p->ks, p->origin, epoch, seq, prev, now, ops, nops, &f->buf) != 0)
			continue; /* e.g. a prefix twice in one delta */
		rc = core_apply(f->core, f->buf.data, f->buf.len, now, &res);
		switch (rc) {
		case 0:
			p->epoch = epoch;
			p->seq = seq;
			msg_hash(&f->buf, p->head);
			break;
		case BLF_EGAP:
			if (res.gap_from > res.gap_to)
				__builtin_trap();
			break;
		case BLF_EDUPLICATE:
		case BLF_ESTALE:
		case BLF_EEQUIVOCATION:
		case BLF_EFROZEN:
		case BLF_EUNKKEY:
		case BLF_EPREV:
			break;
		default:
			__builtin_trap(); /* a validly signed delta cannot fail otherwise */
		}
		if (step % 8 == 7)
			check_view(f->core, now);
	}
	check_view(f->core, now);

	/* A restart gives the same state, with or without a checkpoint. */
	before = dump_state(f->core, now);
	if ((mode & 1) && core_checkpoint(f->core) != 0)
		__builtin_trap();
	if (fx_open(f) != 0)
		__builtin_trap();
	after = dump_state(f->core, now);
	if (strcmp(before, after) != 0)
		__builtin_trap();
	free(before);
	free(after);
	fx_teardown((void **)&f);
	return 0;
}
