/*
 * refs.c - interned references: a shared stem and a short tail each.
 *
 * Real listings carry their own evidence reference ("https://<org>/
 * evidence/<id>"): nearly one distinct string per listing, most of whose
 * bytes are a stem that thousands of them share.  So a reference is split
 * at its last '/' into a stem (scheme, host and path up to and including
 * that '/'; none without a '/') and a tail, and stored as
 *
 *   refs:  one entry per distinct reference: varint stem id + tail bytes
 *   stems: one entry per distinct stem: its bytes
 *
 * Both are tables of reference-counted byte strings (struct strtab): an id
 * names an 8-byte entry (arena offset, refcount); the arena holds each
 * string as a one- or two-byte length and its bytes; a u32 open-addressing
 * index (load <= 3/4) finds a string's id.  A reference's record holds its
 * refs id; each live reference holds one count on its stem.  A reference
 * of the realistic workload (43 bytes, 8 stems) costs 8 (entry) + 10
 * (arena: length, stem id, 8-byte tail) + about 6 (index) bytes.  The
 * split is canonical (same text, same stem and tail), so the encoded form
 * is compared and hashed as is.  No allocation per string: dropped strings
 * leave dead arena bytes, compacted (ids keep their strings, offsets move)
 * instead of grown when half of the arena is dead.
 *
 * The text is materialised on demand (core_intern_get) into a caller's buffer of
 * BLF_MAX_REF_LEN bytes.  An id of 0 means "no reference".
 */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

#define ARENA_MIN 4096u
#define STRTAB_MAX_IDS (1u << 28) /* ids a table may hold (checkpoint bound) */
/* An index slot holds an id in its low 28 bits and a 4-bit fingerprint of
 * the string's hash above, so that most probes never touch an entry. */
#define SLOT_ID (STRTAB_MAX_IDS - 1)
#define SLOT_FP(h) ((uint32_t)((h) >> 60) << 28)
/* Longest encoded reference: a 4-byte stem id and a whole tail. */
#define ENC_MAX (4 + BLF_MAX_REF_LEN)

/* ---- byte strings in an arena -------------------------------------------- */

/* Length of the entry at a (its size prefix): *hdr gets the prefix size. */
static size_t
ent_len(const uint8_t *a, size_t *hdr)
{
	if (a[0] < 0x80) {
		*hdr = 1;
		return a[0];
	}
	*hdr = 2;
	return (size_t)(a[0] & 0x7f) | (size_t)a[1] << 7;
}

static uint64_t
bytes_hash(const uint8_t *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	while (len >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, s, len);
	return core_mix64(h ^ w);
}

/* The bytes of live id (and their length). */
static const uint8_t *
tab_bytes(const struct strtab *t, uint32_t id, size_t *len)
{
	size_t hdr;

	*len = ent_len(t->arena + t->e[id].off, &hdr);
	return t->arena + t->e[id].off + hdr;
}

static uint64_t
tab_id_hash(const struct strtab *t, uint32_t id)
{
	size_t len;
	const uint8_t *b = tab_bytes(t, id, &len);

	return bytes_hash(b, len);
}

static uint32_t
tab_live(const struct strtab *t)
{
	return t->n > 0 ? t->n - 1 - t->nfree : 0;
}

#define REHASH_AHEAD 16u /* ids hashed ahead of their insertion */

/* Grow the index to hold extra more strings than it holds. */
static int
tab_index_grow(struct strtab *t, uint32_t extra)
{
	uint64_t live = (uint64_t)tab_live(t) + extra;
	uint32_t n = 64, i, j, ids[REHASH_AHEAD];
	uint64_t hs[REHASH_AHEAD];
	uint32_t *ns;

	if (live >= STRTAB_MAX_IDS)
		return BLF_ELIMIT;
	while (live * 4 + 4 > (uint64_t)n * 3)
		n *= 2;
	if (n <= t->mask + 1)
		n = (t->mask + 1) * 2;
	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return BLF_ENOMEM;
	core_hugepages(ns, (size_t)n * sizeof(*ns));
	/* the slots are written in random order, far beyond the caches:
	 * hash REHASH_AHEAD ids ahead and prefetch their slots */
	memset(ids, 0, sizeof(ids));
	for (i = 1; i < t->n + REHASH_AHEAD; i++) {
		uint32_t at = i % REHASH_AHEAD;

		if (ids[at] != 0) {
			/* the id hashed REHASH_AHEAD steps ago */
			j = (uint32_t)hs[at] & (n - 1);
			while (ns[j] != 0)
				j = (j + 1) & (n - 1);
			ns[j] = ids[at] | SLOT_FP(hs[at]);
			ids[at] = 0;
		}
		if (i < t->n && t->e[i].refs != 0) {
			ids[at] = i;
			hs[at] = tab_id_hash(t, i);
			__builtin_prefetch(&ns[(uint32_t)hs[at] & (n - 1)], 1);
		}
	}
	free(t->slots);
	t->slots = ns;
	t->mask = n - 1;
	return 0;
}

/* Slot of (s, len) in the index, or of the empty slot where it would go. */
static uint32_t
tab_find(const struct strtab *t, const uint8_t *s, size_t len, uint64_t h)
{
	uint32_t j = (uint32_t)h & t->mask, v, fp = SLOT_FP(h);

	while ((v = t->slots[j]) != 0) {
		size_t l;
		const uint8_t *b;

		if ((v & ~SLOT_ID) == fp) {
			b = tab_bytes(t, v & SLOT_ID, &l);
			if (l == len && memcmp(b, s, len) == 0)
				break;
		}
		j = (j + 1) & t->mask;
	}
	return j;
}

/* The id in slot j (0: empty). */
static uint32_t
slot_id(const struct strtab *t, uint32_t j)
{
	return t->slots[j] & SLOT_ID;
}

static int
tab_ids_grow(struct strtab *t, uint32_t cap)
{
	struct istr *ne;
	uint32_t *nf;

	if (cap <= t->cap)
		return 0;
	/* new entries are set when their id is taken (tab_alloc_id): the
	 * spare room stays untouched, out of the resident set */
	if ((ne = realloc(t->e, (size_t)cap * sizeof(*ne))) == NULL)
		return BLF_ENOMEM;
	t->e = ne;
	if ((nf = realloc(t->free, (size_t)cap * sizeof(*nf))) == NULL)
		return BLF_ENOMEM;
	t->free = nf;
	t->cap = cap;
	return 0;
}

static uint32_t
tab_alloc_id(struct strtab *t)
{
	if (t->nfree > 0)
		return t->free[--t->nfree];
	if (t->n == 0)
		t->n = 1;
	if (t->n >= STRTAB_MAX_IDS)
		return 0;
	if (t->n >= t->cap && tab_ids_grow(t, t->cap < 64 ? 64 : t->cap + t->cap / 2) != 0)
		return 0;
	memset(&t->e[t->n], 0, sizeof(t->e[0]));
	return t->n++;
}

/* Move the live strings to the front of the arena (ids keep them). */
static void
tab_compact(struct strtab *t)
{
	uint32_t *order, i, n = 0;
	size_t at = 0;

	/* live ids in offset order, so that each string moves down only */
	if ((order = malloc((size_t)t->n * sizeof(*order))) == NULL)
		return;
	for (i = 1; i < t->n; i++)
		if (t->e[i].refs != 0)
			order[n++] = i;
	/* ids are mostly in offset order already: insertion sort is cheap
	 * for that, and correct in any case */
	for (i = 1; i < n; i++) {
		uint32_t v = order[i], j = i;

		while (j > 0 && t->e[order[j - 1]].off > t->e[v].off) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (i = 0; i < n; i++) {
		struct istr *e = &t->e[order[i]];
		size_t hdr, len = ent_len(t->arena + e->off, &hdr);

		memmove(t->arena + at, t->arena + e->off, hdr + len);
		e->off = (uint32_t)at;
		at += hdr + len;
	}
	t->used = at;
	t->dead = 0;
	free(order);
}

/* Room for n more arena bytes. */
static int
tab_room(struct strtab *t, size_t n)
{
	size_t cap;
	uint8_t *na;

	if (t->used + n <= t->acap)
		return 0;
	if (t->dead >= t->used / 2 && t->dead >= n) {
		tab_compact(t);
		if (t->used + n <= t->acap)
			return 0;
	}
	cap = t->acap < ARENA_MIN ? ARENA_MIN : t->acap + t->acap / 2;
	while (cap < t->used + n)
		cap += cap / 2;
	if (cap > UINT32_MAX)
		return BLF_ELIMIT; /* offsets are u32 */
	if ((na = realloc(t->arena, cap)) == NULL)
		return BLF_ENOMEM;
	t->arena = na;
	t->acap = cap;
	return 0;
}

/* Make the index take extra more strings. */
static int
tab_index_room(struct strtab *t, uint32_t extra)
{
	if (t->mask == 0 ||
	    ((uint64_t)tab_live(t) + extra) * 4 + 4 > ((uint64_t)t->mask + 1) * 3)
		return tab_index_grow(t, extra);
	return 0;
}

/* Add (s, len) of hash h, not present, at index slot j (tab_find) with
 * refcount 0: its id, or 0 without memory. */
static uint32_t
tab_insert(struct strtab *t, const uint8_t *s, size_t len, uint64_t h, uint32_t j)
{
	size_t hdr = len < 0x80 ? 1 : 2;
	uint32_t id;
	uint8_t *a;

	if (tab_room(t, hdr + len) != 0 || (id = tab_alloc_id(t)) == 0)
		return 0;
	a = t->arena + t->used;
	if (hdr == 1) {
		a[0] = (uint8_t)len;
	} else {
		a[0] = (uint8_t)(0x80 | (len & 0x7f));
		a[1] = (uint8_t)(len >> 7);
	}
	memcpy(a + hdr, s, len);
	t->e[id].off = (uint32_t)t->used;
	t->e[id].refs = 0;
	t->used += hdr + len;
	t->slots[j] = id | SLOT_FP(h);
	return id;
}

static void
tab_unindex(struct strtab *t, uint32_t id)
{
	uint32_t i, j, k;

	i = (uint32_t)tab_id_hash(t, id) & t->mask;
	while (slot_id(t, i) != id)
		i = (i + 1) & t->mask;
	j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j] == 0)
			break;
		k = (uint32_t)tab_id_hash(t, slot_id(t, j)) & t->mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = 0;
}

/* Free id (no count left on it). */
static void
tab_release(struct strtab *t, uint32_t id)
{
	size_t hdr, len = ent_len(t->arena + t->e[id].off, &hdr);

	tab_unindex(t, id);
	t->dead += hdr + len;
	t->e[id].off = 0;
	t->e[id].refs = 0;
	t->free[t->nfree++] = id; /* free holds cap ids */
}

static void
tab_free(struct strtab *t)
{
	free(t->e);
	free(t->free);
	free(t->slots);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

/* ---- references ---------------------------------------------------------- */

static size_t
put_varint(uint8_t *b, uint32_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	return n;
}

/* Decode a varint of at most 4 bytes from b[0..len): bytes used, 0 if bad. */
static size_t
get_varint(const uint8_t *b, size_t len, uint32_t *v)
{
	size_t n;

	*v = 0;
	for (n = 0; n < len && n < 4; n++) {
		*v |= (uint32_t)(b[n] & 0x7f) << (7 * n);
		if (!(b[n] & 0x80))
			return n + 1;
	}
	return 0;
}

/* Where s splits: the length of its stem (0 without a '/'). */
static size_t
stem_len(const char *s, size_t len)
{
	while (len > 0 && s[len - 1] != '/')
		len--;
	return len;
}

/* Where stem (s, len) goes in c->stem_recent: a cheap mix of its length
 * and a byte from its middle (the host, for URLs). */
static unsigned
stem_slot(const char *s, size_t len)
{
	return (unsigned)(len + (uint8_t)s[len / 2] * 7u) & 15u;
}

/* Is id the live stem (s, len)? */
static int
stem_is(const core *c, uint32_t id, const char *s, size_t len)
{
	const struct strtab *t = &c->stems;
	const uint8_t *b;
	size_t l;

	if (id == 0 || id >= t->n || t->e[id].refs == 0)
		return 0;
	b = tab_bytes(t, id, &l);
	return l == len && memcmp(b, s, len) == 0;
}

/* The id of stem (s, len), 0 if absent; *slot gets its index slot then. */
static uint32_t
stem_find(const core *c, const char *s, size_t len, uint64_t *h, uint32_t *slot)
{
	const struct strtab *t = &c->stems;
	uint32_t id = c->stem_recent[stem_slot(s, len)];

	/* a delta's references share a few stems: most are met lately */
	if (stem_is(c, id, s, len))
		return id;
	*h = bytes_hash((const uint8_t *)s, len);
	*slot = tab_find(t, (const uint8_t *)s, len, *h);
	return slot_id(t, *slot);
}

/* Grow the references' index for n more ahead of a delta's n operations
 * (so that it does not move under core_intern_prefetch).  Only a hint: on
 * failure core_intern_add grows it one by one. */
void
core_intern_reserve(core *c, size_t n)
{
	if (n < STRTAB_MAX_IDS)
		(void)tab_index_room(&c->refs, (uint32_t)n);
}

/* Fetch into the caches the index slot where core_intern_add will look (s, len)
 * up: the apply loop calls it a few operations ahead, as the index is far
 * larger than the caches.  *hint gets what core_intern_add may reuse (it checks
 * that the stem is still the same). */
void
core_intern_prefetch(const core *c, const char *s, size_t len, struct ref_hint *hint)
{
	uint8_t enc[ENC_MAX];
	size_t sl, n;
	uint64_t sh;
	uint32_t sid = 0, slot;

	hint->ok = 0;
	if (len == 0 || len > BLF_MAX_REF_LEN || c->refs.mask == 0 || c->stems.mask == 0)
		return;
	sl = stem_len(s, len);
	if (sl > 0 && (sid = stem_find(c, s, sl, &sh, &slot)) == 0)
		return; /* a new stem: a new reference */
	n = put_varint(enc, sid);
	memcpy(enc + n, s + sl, len - sl);
	n += len - sl;
	hint->s = s;
	hint->len = len;
	hint->h = bytes_hash(enc, n);
	hint->sid = sid;
	hint->sl = (uint16_t)sl;
	hint->ok = 1;
	__builtin_prefetch(&c->refs.slots[(uint32_t)hint->h & c->refs.mask]);
}

/* Intern (s, len): the id with its refcount raised, or 0 for an empty
 * string, one longer than BLF_MAX_REF_LEN, or on allocation failure (the
 * reference is then lost, not the listing). */
uint32_t
core_intern_add(core *c, const char *s, size_t len, const struct ref_hint *hint)
{
	uint8_t enc[ENC_MAX];
	size_t sl, n;
	uint64_t h = 0, sh = 0;
	uint32_t sid = 0, slot = 0, j = 0, id;
	int hinted = 0;

	if (len == 0 || len > BLF_MAX_REF_LEN)
		return 0;
	if (tab_index_room(&c->refs, 1) != 0 || tab_index_room(&c->stems, 1) != 0)
		return 0;
	if (hint != NULL && hint->ok && hint->s == s && hint->len == len &&
	    stem_len(s, len) == hint->sl &&
	    (hint->sid == 0 || stem_is(c, hint->sid, s, hint->sl))) {
		/* the stem found at the prefetch is still this one (the split
		 * is canonical: the hash of the stored form holds) */
		sl = hint->sl;
		sid = hint->sid;
		h = hint->h;
		hinted = 1;
	} else {
		sl = stem_len(s, len);
		if (sl > 0)
			sid = stem_find(c, s, sl, &sh, &slot);
	}
	n = put_varint(enc, sid);
	memcpy(enc + n, s + sl, len - sl);
	n += len - sl;
	if (sl == 0 || sid != 0) {
		if (!hinted)
			h = bytes_hash(enc, n);
		j = tab_find(&c->refs, enc, n, h);
		if ((id = slot_id(&c->refs, j)) != 0) {
			c->refs.e[id].refs++;
			if (sid != 0)
				c->stem_recent[stem_slot(s, sl)] = sid;
			return id;
		}
	}
	if (sl > 0 && sid == 0) {
		/* a new stem: so is the reference */
		if ((sid = tab_insert(&c->stems, (const uint8_t *)s, sl, sh, slot)) == 0)
			return 0;
		n = put_varint(enc, sid);
		memcpy(enc + n, s + sl, len - sl);
		n += len - sl;
		h = bytes_hash(enc, n);
		j = tab_find(&c->refs, enc, n, h);
	}
	if ((id = tab_insert(&c->refs, enc, n, h, j)) == 0) {
		if (sid != 0 && c->stems.e[sid].refs == 0)
			tab_release(&c->stems, sid);
		return 0;
	}
	c->refs.e[id].refs = 1;
	if (sid != 0) {
		c->stems.e[sid].refs++;
		c->stem_recent[stem_slot(s, sl)] = sid;
	}
	return id;
}

/* The stem id of live reference id. */
static uint32_t
ref_stem(const core *c, uint32_t id)
{
	size_t len;
	const uint8_t *b = tab_bytes(&c->refs, id, &len);
	uint32_t sid;

	(void)get_varint(b, len, &sid); /* checked when added or loaded */
	return sid;
}

static void
ref_release(core *c, uint32_t id)
{
	uint32_t sid = ref_stem(c, id);

	tab_release(&c->refs, id);
	if (sid != 0 && --c->stems.e[sid].refs == 0)
		tab_release(&c->stems, sid);
}

/* Drop one count on id (0 is ignored). */
void
core_intern_drop(core *c, uint32_t id)
{
	struct istr *e;

	if (id == 0 || id >= c->refs.n)
		return;
	e = &c->refs.e[id];
	if (e->refs == 0 || --e->refs > 0)
		return;
	ref_release(c, id);
}

/* Is id a live reference (a record may name it)? */
int
core_intern_valid(const core *c, uint32_t id)
{
	return id != 0 && id < c->refs.n && c->refs.e[id].refs != 0;
}

/* The text of id written to buf (BLF_MAX_REF_LEN bytes, not terminated):
 * its length, 0 for id 0. */
size_t
core_intern_get(const core *c, uint32_t id, char *buf)
{
	const uint8_t *b, *st = NULL;
	size_t len, n, sl = 0;
	uint32_t sid;

	if (!core_intern_valid(c, id))
		return 0;
	b = tab_bytes(&c->refs, id, &len);
	n = get_varint(b, len, &sid);
	if (sid != 0) {
		st = tab_bytes(&c->stems, sid, &sl);
		memcpy(buf, st, sl);
	}
	if (len > n)
		memcpy(buf + sl, b + n, len - n);
	return sl + len - n;
}

/* Distinct references held. */
size_t
core_intern_count(const core *c)
{
	return tab_live(&c->refs);
}

/* Check one loaded table: each live entry inside the arena, the free list
 * and index consistent; dead bytes counted. */
static int
tab_check(struct strtab *t)
{
	uint64_t sum = 0, want = 0;
	uint32_t i, cnt = 0, live = 0;
	size_t bytes = 0, hdr, len;

	if (t->n > STRTAB_MAX_IDS || (t->n == 0 && t->mask != 0))
		return BLF_ECORRUPT;
	if (t->n > 0 && (t->free = malloc((size_t)t->n * sizeof(*t->free))) == NULL)
		return BLF_ENOMEM;
	t->cap = t->n;
	t->acap = t->used;
	for (i = 1; i < t->n; i++) {
		const struct istr *e = &t->e[i];

		if (e->refs == 0) {
			t->free[t->nfree++] = i;
			continue;
		}
		if (e->off >= t->used || (t->arena[e->off] >= 0x80 && t->used - e->off < 2))
			return BLF_ECORRUPT;
		len = ent_len(t->arena + e->off, &hdr);
		if (len == 0 || t->used - e->off - hdr < len)
			return BLF_ECORRUPT;
		bytes += hdr + len;
		live++;
		want += i;
	}
	if (bytes > t->used)
		return BLF_ECORRUPT;
	t->dead = t->used - bytes;
	if (t->n > 0 && ((t->mask & (t->mask + 1)) != 0 ||
			 (uint64_t)live * 4 + 4 > ((uint64_t)t->mask + 1) * 3))
		return BLF_ECORRUPT;
	for (i = 0; t->n > 0 && i <= t->mask; i++) {
		uint32_t id = slot_id(t, i);

		if (id == 0)
			continue;
		if (id >= t->n || t->e[id].refs == 0)
			return BLF_ECORRUPT;
		sum += id;
		cnt++;
	}
	return cnt == live && sum == want ? 0 : BLF_ECORRUPT;
}

/*
 * Take two loaded tables (checkpoint): refs and stems, each with its
 * entries, arena and index as written by intern_save; ownership of their
 * arrays passes to c (also on failure).  Entries with refs 0 are free ids.
 * BLF_ECORRUPT if an entry leaves its arena, a reference names a missing
 * stem or is longer than BLF_MAX_REF_LEN, or an index does not hold every
 * live id once.  Refcounts are recomputed later (core_intern_recount).
 */
int
core_intern_load(core *c, const struct strtab *refs, const struct strtab *stems)
{
	uint32_t i;
	int rc;

	core_intern_free_all(c);
	c->refs = *refs;
	c->stems = *stems;
	c->refs.free = c->stems.free = NULL;
	c->refs.nfree = c->stems.nfree = 0;
	if ((rc = tab_check(&c->refs)) != 0 || (rc = tab_check(&c->stems)) != 0)
		return rc;
	for (i = 1; i < c->refs.n; i++) {
		const uint8_t *b;
		size_t len, n, sl = 0;
		uint32_t sid;

		if (c->refs.e[i].refs == 0)
			continue;
		b = tab_bytes(&c->refs, i, &len);
		if ((n = get_varint(b, len, &sid)) == 0)
			return BLF_ECORRUPT;
		if (sid != 0) {
			if (sid >= c->stems.n || c->stems.e[sid].refs == 0)
				return BLF_ECORRUPT;
			(void)tab_bytes(&c->stems, sid, &sl);
		}
		if (sl + len - n == 0 || sl + len - n > BLF_MAX_REF_LEN)
			return BLF_ECORRUPT;
	}
	return 0;
}

/* Recompute refcounts: references from the records, stems from the live
 * references (after a checkpoint load, so that a stale count can never
 * free a string still in use).  Strings no one counts are freed. */
void
core_intern_recount(core *c)
{
	struct strtab *t = &c->refs, *st = &c->stems;
	uint32_t id, i;
	size_t k;

	for (id = 1; id < t->n; id++)
		if (t->e[id].refs != 0)
			t->e[id].refs = 1; /* provisional: marks "present" */
	for (k = 0; k < c->norigins; k++) {
		const struct origin *o = c->origins[k];

		/* records in order, their entries at random: prefetch ahead */
		for (i = 0; i < o->nrecs; i++) {
			if (i + REHASH_AHEAD < o->nrecs && t->e != NULL)
				__builtin_prefetch(&t->e[o->recs[i + REHASH_AHEAD].ref], 1);
			if (o->recs[i].ref != 0)
				t->e[o->recs[i].ref].refs++;
		}
	}
	for (id = 1; id < st->n; id++)
		if (st->e[id].refs != 0)
			st->e[id].refs = 1;
	t->nfree = 0;
	for (id = 1; id < t->n; id++) {
		if (t->e[id].refs == 0) {
			t->free[t->nfree++] = id;
		} else if (--t->e[id].refs == 0) {
			tab_release(t, id);
		} else {
			uint32_t sid = ref_stem(c, id);

			if (sid != 0)
				st->e[sid].refs++;
		}
	}
	st->nfree = 0;
	for (id = 1; id < st->n; id++) {
		if (st->e[id].refs == 0)
			st->free[st->nfree++] = id;
		else if (--st->e[id].refs == 0)
			tab_release(st, id);
	}
	memset(c->stem_recent, 0, sizeof(c->stem_recent));
}

void
core_intern_free_all(core *c)
{
	tab_free(&c->refs);
	tab_free(&c->stems);
	memset(c->stem_recent, 0, sizeof(c->stem_recent));
}
