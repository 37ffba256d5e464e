/*
 * export.c - the export driver: the writer table, shards, change detection,
 * staging and publication (export.h, blfed-export.5).
 *
 * An export is a job of small steps (export_job_step), so that the daemon
 * can apply deltas between them.  The job plans every file first; then
 * each dirty shard is walked once, through the source's ranged iteration
 * (begin_at), at most `piece` entries per step, resuming after the last
 * prefix: every format's file of the shard is rendered as the walk goes,
 * and its items counted.  A file's body is compared with the body of the
 * previous generation's file (read back as it goes; nothing is written
 * while they agree); from the first difference on it is staged in the new
 * generation (fio_atomic), written past a hole left for the common part.
 * A shard file's header holds its item count and the serial and time of
 * the export that wrote it, known only at the end: room is kept for it
 * (the header's length with a guessed count: the previous export's, or
 * the writer's last file).  Closing a file is a phase of the job of its
 * own, in steps of at most X_CHUNK bytes (close_files), before the next
 * shard's walk begins: the header is written into its room, the common
 * part copied from the old file into the hole and the rest read back
 * (from the page cache), each byte hashed once in order (SHA-256 for the
 * MANIFEST); when the guess had another length, the header starts a new
 * staged file and the body is written behind it the same way.  So no
 * step copies or hashes a whole file, however large a shard is.
 * A file whose body is the previous one's and whose key (configuration,
 * name, item count: what the header holds besides the stamp) is the
 * previous one's is not staged: the previous file is linked, bytes and
 * mtime unchanged, so that rsync's quick check skips it, whatever made its
 * shard dirty.
 *
 * The Postfix table (one file, first match wins) is one sweep over the
 * view after the shards, in pieces of the same size, in post-order: a
 * prefix's line waits on a stack of open prefixes until an entry outside
 * it comes, so that every address meets its longest match first.  It is
 * compared and staged like a shard file, and swept only when a shard is
 * dirty; with no count to guess its header from (no shard files, no
 * state), a walk that only counts comes first.
 *
 * Publication is one rename (blfed-export.5 "Layout", SPEC 13): the
 * directory holds generations "gen.<serial>" and a symlink "current" to
 * the published one.  A job writes its changed files straight into a new
 * generation directory (their write-back starts when each is closed); the
 * last steps wait for that write-back a few MB at a time (sync_step), sync
 * the changed files one a step (the mtime of a replaced file is moved past
 * the old one when they fall in the same second), hard link every
 * unchanged file to the previous generation's (linkat: same inode, so
 * rsync's quick check and rbldnsd's stat see no change), and the last one
 * writes MANIFEST and MANIFEST.sig, syncs the directory, and renames a new
 * symlink over current: no step waits for the disk much longer than one
 * fsync, so the daemon applies deltas between them.  A reader of current sees the old set or the new one, each
 * complete with its MANIFEST, whatever fails or crashes when.  The
 * generation just replaced is kept (a transfer that began before the swap
 * reads it to the end), older ones are removed after the swap, X_LINKS_STEP
 * entries a step (tidy_step); a generation newer than
 * current is an export that did not finish and is removed at the next
 * start.  Only current is ever followed, and only to a generation name.
 *
 * Dirty shards: all of them without an export_state (then every file is
 * compared, and those that did not change are kept); with one that
 * describes the previous MANIFEST, only those where the source's change
 * feed reports a changed prefix since the generation that export began
 * at; the others keep their key and counts from the state and are not
 * read at all.  A file found changed on disk makes its shard dirty.  The
 * view may move between steps: a shard rendered while it moved is
 * compared by its bytes, whatever instant they show, and the change that
 * moved it is in the change feed of the next job, which walks the shard
 * again.
 *
 * The provenance of an entry is most of what a source spends on it; a
 * walk asks for it (export_source.provenance) only when one of its files
 * shows it: not for a shard whose open files are all plain lists, nor for
 * the walk that only counts the Postfix table.
 *
 * Normalisation (plain lists, ipset): the view is a prefix tree in
 * pre-order (sorted by address, shorter first), listings and exclusions,
 * where the longest match decides.  A stack of the open prefixes turns it
 * into disjoint listed segments in address order; adjacent segments are
 * merged (for ipset only when their comment is the same) and cut into the
 * fewest CIDR prefixes.  Shard boundaries cut segments, so every prefix of
 * a shard file lies inside the shard.
 */
#define _GNU_SOURCE /* sync_file_range */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_int.h"

#define X_FORMAT_VERSION "blfed-export-2" /* bump when a format's lines change */
#define X_STAGE ".new."                   /* staged files of the flat layout */
#define X_MAX_DEPTH 130                   /* prefix nesting: lengths 0..128 */
#define X_SIGNER_CACHE 32
#define X_NWRITERS 5
#define X_DIGEST 16
#define X_PIECE 1024u                     /* entries per step of a shard's walk */
#define X_SYNC_STEP (4u << 20)            /* bytes a step of the sync waits for */
#define X_LINKS_STEP 512u                 /* unchanged files linked in one step */
#define X_CHUNK (1u << 20)                /* bytes copied and hashed by a step of closing */

/* The writer table: one row per format (export_int.h). */
static const export_writer *const writers[X_NWRITERS] = {
	&export_writer_rbldnsd, &export_writer_postfix, &export_writer_plain,
	&export_writer_ipset,   &export_writer_jsonl,
};

/* What the walk of a shard counted: the items of each input (entries
 * starting in it, plain and ipset elements inside it) and its listings. */
struct xshard {
	size_t nraw, nplain, nipset, nlisted;
};

/* How a file of a dirty shard, or the whole-feed file, is produced (see
 * the top of the file): compared with the previous generation's file
 * while nothing differs, then staged. */
enum { SINK_CMP = 1, SINK_WRITE = 2 };

struct xsink {
	struct export_job *x;
	struct pfile *pf;
	int mode;               /* SINK_CMP or SINK_WRITE */
	int ofd;                /* the previous generation's file while comparing, or -1 */
	uint64_t obody;         /* offset of its body (after its header) */
	uint64_t olen;          /* length of its body */
	uint64_t pos;           /* body bytes rendered so far */
	size_t hlen;            /* room kept for the header before the body */
	unsigned char *buf;     /* XO_CAP bytes: comparing, copying, hashing */
	uint64_t common;        /* body bytes [0, common): the previous file's, copied when closing */
	int closing;            /* its close is under way (close_step) */
	uint64_t cdone;         /* body bytes copied and hashed by the close so far */
	size_t headlen;         /* the length of its header */
	int rfd;                /* the staged file read back while closing, or -1 */
	fio_atomic nf;          /* the file written again behind a header of another
				 * length while closing (fd -1: not) */
};

/* A prefix of the Postfix sweep whose line waits for what it contains. */
struct pnode {
	u128 end;               /* its last address */
	size_t off;             /* its line in the arena */
};

struct xfam {
	int af;
	unsigned bits, nshards, width;
	u128 max;               /* last address of the family */
	struct xshard *sh;
	size_t nraw, nplain, nipset, nlisted;
};

struct node {
	u128 end;
	int kind;
	uint8_t taglen;
	char tag[X_TAG_MAX + 1];
};

struct merger {
	int by_tag, pending, xi;
	u128 lo, hi;
	uint8_t taglen;
	char tag[X_TAG_MAX + 1];
};

/* One file of the plan. */
struct pfile {
	char name[FIO_NAME_MAX + 1];
	const export_writer *w;
	int kind, fam;
	unsigned shard;
	char key[X_KEY_HEX + 1];
	int changed, staged;
	uint64_t size, mtime;
	uint8_t sha[32];
};

struct scache {
	uint8_t origin[BLF_KEYID_LEN];
	uint8_t keyid[BLF_KEYID_LEN];
	int found;
};

/* The safe name of an ipset comment, cached: an export makes the same
 * few names' comments millions of times.  A slot is found by the name's
 * address and holds a copy of the name, compared on every use (another
 * name may come at the same address), so a hit is always the right text. */
#define X_TAG_SLOTS 32u   /* tens of origins (>> 59 below); a collision only recomputes */
#define X_TAG_NAME 39u    /* name bytes a comment keeps */

struct tcache {
	const char *src;              /* the name's address, NULL: empty slot */
	uint8_t len;
	char raw[KEYS_NAME_MAX + 1];  /* the name the text was made from */
	char txt[X_TAG_NAME + 1];     /* the name made safe (export_safe_ascii) */
};

struct export_job {
	const export_source *src;
	export_config cfg;
	char nsbuf[EXPORT_NAME_MAX + 8];
	char hmbuf[EXPORT_NAME_MAX + 16];
	uint64_t now, serial;
	int dfd;                      /* the export directory */
	int odfd;                     /* the previous set (generation or flat), or -1 */
	int gdfd;                     /* the generation being prepared, or -1 */
	int legacy;                   /* the previous set is flat in the directory */
	char gname[X_GEN_NAME_MAX + 1]; /* "gen.<serial>" of this export */
	char oname[X_GEN_NAME_MAX + 1]; /* the previous generation, "" if none */
	struct xfam fam[2];
	uint8_t fp[32];               /* configuration fingerprint */
	/* walk */
	int cur_fam;
	unsigned cur_shard;
	struct node stack[X_MAX_DEPTH];
	int depth;
	u128 cursor;
	int cursor_done;
	struct merger mplain, mipset;
	uint64_t view_now;            /* the time the view is read at (this step) */
	blf_prefix within;            /* the range being walked */
	int filter;                   /* the source has no begin_at: filter */
	/* the job (export_job_step) */
	uint8_t dirty[2][256];        /* shards to walk (their files rendered and compared) */
	int anydirty;                 /* some shard is dirty: the whole-feed file is swept */
	int noshards;                 /* no format has shard files: the sweep counts */
	int counting;                 /* JOB_WHOLE: a walk that only counts, first */
	int have_prev;                /* fam[].sh holds the previous export's counts */
	int stage;                    /* JOB_SHARDS, JOB_WHOLE, JOB_FINISH, JOB_DONE */
	int ufam;                     /* next unit: family, shard, whole-file phase */
	unsigned ushard;
	int whole_i;                  /* the whole-feed file being written, or -1 */
	xout *wout;
	xfile wf;
	xman old;                     /* the previous MANIFEST */
	uint64_t gen;                 /* view generation at the start (change feed) */
	int have_gen;
	export_state *state;          /* kept across runs, or NULL */
	int walking;                  /* JOB_SHARDS: a shard's walk is under way */
	blf_prefix shard_pfx;         /* the shard being walked */
	blf_prefix last;              /* the last entry walked: the next piece is after it */
	int resume;
	blf_prefix after;             /* src_begin's `after` */
	int src_after;
	size_t piece;                 /* entries per step (X_PIECE) */
	const key_secret *key;        /* agent key, borrowed */
	int published, failed;
	export_source own_src;        /* a copy of the source */
	void *own;                    /* what export_job_start_core allocated */
	/* plan */
	struct pfile *files;
	size_t nfiles, nfcap;
	int *idx;                     /* [writer][fam][shard] -> file, or -1 */
	xout *out[X_NWRITERS];        /* the open shard file of each writer */
	int open[X_NWRITERS];
	uint8_t wl[3][X_NWRITERS];    /* the open writers of each input (XI_* - 1) */
	size_t nwl[3];
	xfile xf[X_NWRITERS];
	struct xsink sink[X_NWRITERS];/* their outputs; wsink the whole-feed file's */
	struct xsink wsink;
	size_t lastcount[X_NWRITERS]; /* items of the writer's last shard file (a guess) */
	xout *hdr;                    /* headers are formatted here first */
	/* the Postfix sweep: the open prefixes, their lines in an arena */
	struct pnode pstack[X_MAX_DEPTH];
	int pdepth;
	char *arena;
	size_t alen, acap;
	size_t swept;                 /* entries of the whole-feed file so far */
	struct scache sc[X_SIGNER_CACHE];
	size_t nsc;
	struct tcache tc[X_TAG_SLOTS]; /* make_tag's */
	uint32_t aval[256];           /* export_aval_of per reason below 256 (xfile.aval) */
	/* the per-origin view (export_origin.c), after the shards */
	size_t uorigin;               /* next origin of the source */
	int origins_done;
	/* publication in steps: heads, the staged files' write-back waited
	 * for, each changed file synced and placed, then the swap */
	int heads_done;
	size_t sync_i;                /* next file to wait for */
	uint64_t sync_off;            /* bytes of it waited for */
	int synced;
	size_t place_i;               /* next file to place or link */
	struct xorigin org;
	export_stats st;
	int closing;                  /* files are being closed (close_files) */
	uint64_t chunk;               /* bytes copied and hashed a step (X_CHUNK) */
	const char *kind;             /* what the last step did (export_job_step_kind) */
	/* after the swap: the replaced generations no longer kept, removed
	 * in steps (tidy_step) */
	uint64_t tidy[EXPORT_GEN_MAX * 4];
	size_t ntidy, tidy_i;
	int tdfd;                     /* the one being emptied, or -1 */
	DIR *tdir;
};

enum { JOB_SHARDS = 1, JOB_WHOLE, JOB_FINISH, JOB_TIDY, JOB_DONE }; /* export_job.stage */

/* ---- configuration ------------------------------------------------------ */

static int
dns_name_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > EXPORT_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
word_ok(const char *s, size_t max, const char *extra)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c) != NULL) || c == '\0')
			return 0;
	}
	return 1;
}

/* A DNSBL return code: 127.0.0.2 and up, never 127.255.255.0/24. */
static int
a_ok(uint32_t a)
{
	return (a >> 24) == 127 && a >= 0x7f000002u && (a >> 8) != 0x7fffffu;
}

static int
cfg_err(char *err, size_t errlen, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "export config: %s", what);
	return BLF_EINVAL;
}

/*
 * Validate a configuration before anything is written (export.h): 0, or
 * BLF_EINVAL with "export config: <what>" in err.
 */
int
export_config_check(const export_config *cfg, char *err, size_t errlen)
{
	size_t i;

	if (cfg == NULL || cfg->dir == NULL || cfg->dir[0] == '\0')
		return cfg_err(err, errlen, "no export directory");
	if ((cfg->formats & ~EXPORT_ALL) != 0)
		return cfg_err(err, errlen, "unknown format");
	if (cfg->shard4_bits > EXPORT_MAX_SHARD_BITS || cfg->shard6_bits > EXPORT_MAX_SHARD_BITS)
		return cfg_err(err, errlen, "shard bits: at most 8");
	if (cfg->source != NULL && !word_ok(cfg->source, EXPORT_SOURCE_MAX, "._-"))
		return cfg_err(err, errlen, "source: letters, digits, '.', '_', '-', 1-63 bytes");
	if (cfg->zone != NULL && !dns_name_ok(cfg->zone))
		return cfg_err(err, errlen, "zone: not a DNS name");
	if (cfg->hostmaster != NULL && !dns_name_ok(cfg->hostmaster))
		return cfg_err(err, errlen, "hostmaster: not a DNS name");
	if (cfg->nns > EXPORT_MAX_NS)
		return cfg_err(err, errlen, "too many name servers");
	for (i = 0; i < cfg->nns; i++)
		if (!dns_name_ok(cfg->ns[i]))
			return cfg_err(err, errlen, "name server: not a DNS name");
	if (cfg->ipset_name != NULL && !word_ok(cfg->ipset_name, 24, "_-"))
		return cfg_err(err, errlen, "ipset name: letters, digits, '_', '-', 1-24 bytes");
	if (cfg->a_default != 0 && !a_ok(cfg->a_default))
		return cfg_err(err, errlen,
			       "A value: must be in 127.0.0.2-127.255.254.255 (RFC 5782)");
	if (cfg->navals > EXPORT_MAX_AVALS)
		return cfg_err(err, errlen, "too many A values");
	for (i = 0; i < cfg->navals; i++)
		if (!a_ok(cfg->avals[i].a))
			return cfg_err(err, errlen,
				       "A value: must be in 127.0.0.2-127.255.254.255 (RFC 5782)");
	if (cfg->stale_after > 3650ull * 86400)
		return cfg_err(err, errlen, "stale-after: at most ten years");
	if (cfg->per_origin && cfg->formats != 0 && !(cfg->formats & EXPORT_RBLDNSD))
		return cfg_err(err, errlen, "per-origin zones need the rbldnsd format");
	return BLF_OK;
}

static void
cfg_defaults(struct export_job *x, const export_config *in)
{
	export_config *c = &x->cfg;

	*c = *in;
	if (c->formats == 0)
		c->formats = EXPORT_ALL;
	if (c->source == NULL)
		c->source = "blfed";
	if (c->zone == NULL)
		c->zone = EXPORT_DEFAULT_ZONE;
	if (c->nns == 0) {
		snprintf(x->nsbuf, sizeof(x->nsbuf), "ns.%s", c->zone);
		c->ns[0] = x->nsbuf;
		c->nns = 1;
	}
	if (c->hostmaster == NULL) {
		snprintf(x->hmbuf, sizeof(x->hmbuf), "hostmaster.%s", c->zone);
		c->hostmaster = x->hmbuf;
	}
	if (c->ttl == 0)
		c->ttl = EXPORT_DEFAULT_TTL;
	if (c->soa_refresh == 0)
		c->soa_refresh = 600;
	if (c->soa_retry == 0)
		c->soa_retry = 300;
	if (c->soa_expire == 0)
		c->soa_expire = 604800;
	if (c->soa_minttl == 0)
		c->soa_minttl = c->ttl;
	if (c->stale_after == 0)
		c->stale_after = EXPORT_DEFAULT_STALE;
	if (c->a_default == 0)
		c->a_default = EXPORT_DEFAULT_A;
	if (c->ipset_name == NULL)
		c->ipset_name = "blfed";
}

/* What shapes the lines of shard files (not the head files, rewritten
 * every time): a change here rewrites every shard. */
static void
fingerprint(struct export_job *x)
{
	crypto_generichash_state h;
	uint8_t b[8];
	size_t i;

	crypto_generichash_init(&h, NULL, 0, sizeof(x->fp));
	crypto_generichash_update(&h, (const uint8_t *)X_FORMAT_VERSION,
				  sizeof(X_FORMAT_VERSION));
	crypto_generichash_update(&h, (const uint8_t *)x->cfg.source, strlen(x->cfg.source) + 1);
	crypto_generichash_update(&h, (const uint8_t *)x->cfg.ipset_name,
				  strlen(x->cfg.ipset_name) + 1);
	b[0] = (uint8_t)x->cfg.shard4_bits;
	b[1] = (uint8_t)x->cfg.shard6_bits;
	b[2] = (uint8_t)(x->cfg.a_default >> 24);
	b[3] = (uint8_t)(x->cfg.a_default >> 16);
	b[4] = (uint8_t)(x->cfg.a_default >> 8);
	b[5] = (uint8_t)x->cfg.a_default;
	crypto_generichash_update(&h, b, 6);
	for (i = 0; i < x->cfg.navals; i++) {
		b[0] = (uint8_t)(x->cfg.avals[i].reason >> 8);
		b[1] = (uint8_t)x->cfg.avals[i].reason;
		b[2] = (uint8_t)(x->cfg.avals[i].a >> 24);
		b[3] = (uint8_t)(x->cfg.avals[i].a >> 16);
		b[4] = (uint8_t)(x->cfg.avals[i].a >> 8);
		b[5] = (uint8_t)x->cfg.avals[i].a;
		crypto_generichash_update(&h, b, 6);
	}
	crypto_generichash_final(&h, x->fp, sizeof(x->fp));
}

/* ---- signer cache --------------------------------------------------- */

/* Key id signing for origin, through a small cache (few origins, many
 * entries): the source is asked once per origin and run. */
const uint8_t *
export_signer(struct export_job *x, const uint8_t origin[BLF_KEYID_LEN])
{
	struct scache *s;
	size_t i;

	for (i = 0; i < x->nsc; i++)
		if (memcmp(x->sc[i].origin, origin, BLF_KEYID_LEN) == 0)
			return x->sc[i].found ? x->sc[i].keyid : NULL;
	s = &x->sc[x->nsc < X_SIGNER_CACHE ? x->nsc : X_SIGNER_CACHE - 1];
	memcpy(s->origin, origin, BLF_KEYID_LEN);
	s->found = x->src->signer != NULL && x->src->signer(x->src->ctx, origin, s->keyid) == 0;
	if (x->nsc < X_SIGNER_CACHE)
		x->nsc++;
	return s->found ? s->keyid : NULL;
}

/* ---- addresses ------------------------------------------------------ */

static u128
u128_max(unsigned width)
{
	return width == 128 ? ~(u128)0 : (((u128)1 << width) - 1);
}

/* The first address of p as a number (IPv4 unrolled: the common case of
 * every entry and every normalised prefix). */
static inline u128
pfx_lo(const blf_prefix *p)
{
	const uint8_t *a = p->addr;
	u128 v = 0;
	int i;

	if (p->af == BLF_AF_INET)
		return (u128)((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
	for (i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

/* The last address of p, whose first is lo, in a family of width bits. */
static inline u128
pfx_end(const blf_prefix *p, u128 lo, unsigned width)
{
	unsigned host = width - p->len;

	return lo | (host == 128 ? ~(u128)0 : (((u128)1 << host) - 1));
}

static u128
pfx_hi(const blf_prefix *p, unsigned width)
{
	return pfx_end(p, pfx_lo(p), width);
}

static inline void
pfx_from(int af, u128 v, unsigned len, blf_prefix *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->af = (uint8_t)af;
	p->len = (uint8_t)len;
	if (af == BLF_AF_INET) {
		p->addr[0] = (uint8_t)(v >> 24);
		p->addr[1] = (uint8_t)(v >> 16);
		p->addr[2] = (uint8_t)(v >> 8);
		p->addr[3] = (uint8_t)v;
		return;
	}
	for (i = 15; i >= 0; i--) {
		p->addr[i] = (uint8_t)v;
		v >>= 8;
	}
}

static unsigned
shard_of(const struct xfam *f, u128 lo)
{
	return f->bits == 0 ? 0 : (unsigned)(lo >> (f->width - f->bits));
}

/* ---- pass 2 output ------------------------------------------------------ */

static size_t
item_count(const struct xshard *s, int input)
{
	return input == XI_ENTRIES ? s->nraw : input == XI_NETS ? s->nplain : s->nipset;
}

static int
stage_open(struct export_job *x, struct pfile *pf, xout *o)
{
	o->sink = NULL;
	o->sink_flush = NULL;
	memset(&o->fa, 0, sizeof(o->fa));
	o->fa.fd = -1;
	o->len = 0;
	o->size = 0;
	o->err = 0;
	o->active = 1;
	if (export_sha_init(&o->sha) != 0) {
		o->active = 0;
		return BLF_ENOMEM;
	}
	if (fio_atomic_begin(&o->fa, x->gdfd, pf->name, 0644) != 0) {
		o->err = errno;
		o->active = 0;
		return BLF_EIO;
	}
	return BLF_OK;
}

static int
stage_close(struct export_job *x, struct pfile *pf, xout *o)
{
	export_out_flush(o);
	if (o->err != 0) {
		fio_atomic_abort(&o->fa);
		o->active = 0;
		errno = o->err;
		return BLF_EIO;
	}
	/* flush, close, rename to its name in the new generation; the data is
	 * synced at publication, and the directory once */
	if (fio_atomic_commit(&o->fa, 1) != 0) {
		o->active = 0;
		return BLF_EIO;
	}
	o->active = 0;
	if (!x->cfg.nosync) {
		/* start the write-back now; publication waits for it (fsync of
		 * every staged file), so a step does not wait for the disk */
		int fd;

		if ((fd = fio_openat(x->gdfd, pf->name, O_RDONLY, 0)) < 0)
			return BLF_EIO;
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		close(fd);
	}
	export_sha_final(&o->sha, pf->sha);
	pf->size = o->size;
	pf->staged = 1;
	x->st.bytes += o->size;
	return BLF_OK;
}

/* ---- shard and whole-feed files: compared, staged, hashed ------------- */

static uint64_t
mtime_ns(const struct stat *sb)
{
	return (uint64_t)sb->st_mtim.tv_sec * 1000000000u + (uint64_t)sb->st_mtim.tv_nsec;
}

static const xman_file *old_find(const xman *m, const char *name);

/* The key of a shard or whole-feed file: what its header holds besides
 * the stamp (the configuration, its name and its item count).  Two files
 * with the same key and the same body are the same bytes once stamped
 * alike. */
static void
key_count(struct export_job *x, const struct pfile *pf, uint64_t count,
	  char out[X_KEY_HEX + 1])
{
	crypto_generichash_state h;
	uint8_t k[X_KEY_HEX / 2], b[8];
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(count >> (8 * i));
	crypto_generichash_init(&h, NULL, 0, sizeof(k));
	crypto_generichash_update(&h, x->fp, sizeof(x->fp));
	crypto_generichash_update(&h, (const uint8_t *)pf->name, strlen(pf->name) + 1);
	crypto_generichash_update(&h, b, sizeof(b));
	crypto_generichash_final(&h, k, sizeof(k));
	for (i = 0; i < sizeof(k); i++) {
		out[2 * i] = d[k[i] >> 4];
		out[2 * i + 1] = d[k[i] & 15];
	}
	out[X_KEY_HEX] = '\0';
}

/* The header of pf (writer begin) for count items, formatted into
 * x->hdr with the file's xfile f. */
static void
header_of(struct export_job *x, const struct pfile *pf, xfile *f, uint64_t count)
{
	xout *o = f->o;

	x->hdr->len = 0;
	f->count = (size_t)count;
	f->o = x->hdr;
	if (pf->w->begin != NULL)
		pf->w->begin(f);
	f->o = o;
}

/* Whether the n body bytes at the sink's position are those of the
 * previous file (a read error counts as a difference). */
static int
body_same(struct xsink *k, const char *p, size_t n)
{
	if (k->pos + n > k->olen)
		return 0;
	if (fio_pread_full(k->ofd, k->buf, n, k->obody + k->pos) != 0)
		return 0;
	return memcmp(k->buf, p, n) == 0;
}

static void
sink_err(xout *o, int fallback)
{
	if (o->err == 0)
		o->err = errno != 0 ? errno : fallback;
}

/*
 * From comparing to writing: the staged file is created and its writing
 * goes on past a hole, the room for the header and the body so far (the
 * previous file's body up to here), filled when the file is closed
 * (close_step): copying what the two files have in common would take
 * one step as long as the previous file.  The previous file stays open
 * for that copy.
 */
static void
stage_start(struct xsink *k, xout *o)
{
	struct export_job *x = k->x;

	k->mode = SINK_WRITE;
	k->common = k->pos;
	if (k->common == 0 && k->ofd >= 0) {
		close(k->ofd);
		k->ofd = -1;
	}
	if (fio_atomic_begin(&o->fa, x->gdfd, k->pf->name, 0644) != 0) {
		o->fa.fd = -1;
		sink_err(o, EIO);
		return;
	}
	o->active = 1;
	if (fio_atomic_skip(&o->fa, k->hlen + k->pos) != 0)
		sink_err(o, EIO);
}

/* xout.sink_flush: the output's bytes compared or written. */
static void
sink_flush(xout *o)
{
	struct xsink *k = o->sink;

	if (o->err == 0 && k->mode == SINK_CMP && !body_same(k, o->buf, o->len))
		stage_start(k, o);
	if (o->err == 0 && k->mode == SINK_WRITE && fio_atomic_write(&o->fa, o->buf, o->len) != 0)
		sink_err(o, EIO);
	k->pos += o->len;
	o->size += o->len;
	o->len = 0;
}

/* Give up a file: the staged files removed, the previous one closed. */
static void
sink_abort(struct xsink *k, xout *o)
{
	if (o->active)
		fio_atomic_abort(&o->fa);
	o->active = 0;
	if (k->nf.fd >= 0)
		fio_atomic_abort(&k->nf);
	k->nf.fd = -1;
	if (k->rfd >= 0)
		close(k->rfd);
	k->rfd = -1;
	if (k->ofd >= 0)
		close(k->ofd);
	k->ofd = -1;
	k->closing = 0;
}

/*
 * Start the file pf (its xfile f, output o), expecting about `guess`
 * items: the header formatted with the guess gives the room kept for it.
 * When the previous generation has the file as its MANIFEST describes it,
 * the body is compared with that file's body and nothing is written while
 * they agree; otherwise the file is staged at once.
 */
static int
sink_open(struct export_job *x, struct xsink *k, struct pfile *pf, xfile *f, uint64_t guess)
{
	xout *o = f->o;
	const xman_file *of = old_find(&x->old, pf->name);
	struct stat sb;
	size_t nl = 0, i, n;

	memset(&o->fa, 0, sizeof(o->fa));
	o->fa.fd = -1;
	o->len = 0;
	o->size = 0;
	o->err = 0;
	o->active = 0;
	o->sink = k;
	o->sink_flush = sink_flush;
	k->x = x;
	k->pf = pf;
	k->pos = 0;
	k->ofd = -1;
	k->common = 0;
	k->closing = 0;
	if (k->buf == NULL && (k->buf = malloc(XO_CAP)) == NULL)
		return BLF_ENOMEM;
	header_of(x, pf, f, guess);
	k->hlen = x->hdr->len;
	for (i = 0; i < k->hlen; i++)
		nl += x->hdr->buf[i] == '\n';
	x->hdr->len = 0;
	if (of != NULL && x->odfd >= 0 && strcmp(of->key, "-") != 0 &&
	    fstatat(x->odfd, pf->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size == of->size && mtime_ns(&sb) == of->mtime &&
	    (k->ofd = fio_openat(x->odfd, pf->name, O_RDONLY, 0)) >= 0) {
		/* its body starts after as many lines as our header has */
		n = of->size < XO_CAP ? (size_t)of->size : XO_CAP;
		if (fio_pread_full(k->ofd, k->buf, n, 0) == 0) {
			for (i = 0; i < n && nl > 0; i++)
				nl -= k->buf[i] == '\n';
			if (nl == 0) {
				k->mode = SINK_CMP;
				k->obody = i;
				k->olen = of->size - i;
				return BLF_OK;
			}
		}
		close(k->ofd);
		k->ofd = -1;
	}
	stage_start(k, o);
	if (o->err != 0) {
		errno = o->err;
		sink_abort(k, o);
		return BLF_EIO;
	}
	return BLF_OK;
}

/*
 * Finish the file with its item count: kept when its body and key are
 * those of the previous file (pf->changed cleared: it is linked at
 * publication); else its close begins: the header hashed and written
 * into the room kept for it, or, when the guess had another length, at
 * the start of a new staged file that the body is written behind; the
 * body is copied and hashed by close_step, a chunk a step.
 */
static int
sink_close(struct export_job *x, struct xsink *k, struct pfile *pf, xfile *f, uint64_t count)
{
	xout *o = f->o;
	const xman_file *of = old_find(&x->old, pf->name);
	char key[X_KEY_HEX + 1];
	int rc = BLF_EIO;

	export_out_flush(o);
	o->sink = NULL;
	o->sink_flush = NULL;
	key_count(x, pf, count, key);
	memcpy(pf->key, key, sizeof(key));
	if (o->err == 0 && k->mode == SINK_CMP && k->pos == k->olen && of != NULL &&
	    strcmp(of->key, key) == 0) {
		/* the same bytes as the previous file, stamp and all: kept */
		sink_abort(k, o);
		pf->changed = 0;
		pf->size = of->size;
		pf->mtime = of->mtime;
		memcpy(pf->sha, of->sha, 32);
		return BLF_OK;
	}
	pf->changed = 1;
	if (o->err == 0 && k->mode == SINK_CMP)
		stage_start(k, o);
	if (o->err == 0 && export_sha_init(&o->sha) != 0)
		o->err = ENOMEM;
	header_of(x, pf, f, count);
	if (o->err == 0 && fio_atomic_flush(&o->fa) != 0)
		sink_err(o, EIO);
	if (o->err != 0)
		goto out;
	export_sha_update(&o->sha, x->hdr->buf, x->hdr->len);
	k->headlen = x->hdr->len;
	if (x->hdr->len == k->hlen) {
		if (fio_pwrite_full(o->fa.fd, x->hdr->buf, x->hdr->len, 0) != 0) {
			sink_err(o, EIO);
			goto out;
		}
	} else if (fio_atomic_begin(&k->nf, x->gdfd, pf->name, 0644) != 0 ||
		   fio_atomic_write(&k->nf, x->hdr->buf, x->hdr->len) != 0) {
		sink_err(o, EIO);
		goto out;
	}
	/* what the walk wrote is read back from the staged file */
	if (k->pos > k->common && (k->rfd = fio_openat(x->gdfd, o->fa.tmp, O_RDONLY, 0)) < 0) {
		sink_err(o, EIO);
		goto out;
	}
	k->cdone = 0;
	k->closing = 1;
	x->closing = 1;
	rc = BLF_OK;
out:
	x->hdr->len = 0;
	if (rc != BLF_OK) {
		errno = o->err;
		sink_abort(k, o);
	}
	return rc;
}

/*
 * A step of a file's close: up to *budget bytes of its body, in order
 * (*budget lowered by them).  The part in common with the previous file
 * is read from that file and written into the hole left for it; the rest
 * is read back from the staged file (the page cache); when the header
 * had another length than the room kept, every byte is written behind
 * it in the new staged file instead.  Each byte read is hashed after the
 * header, so that one read serves the copy and the hash.  Once the body
 * is done, the file is renamed to its name in the new generation (synced
 * at publication).  The write-back of what a step wrote is started at
 * once, so that publication waits for little.  BLF_EIO: the file's
 * staged files are removed.
 */
static int
close_step(struct export_job *x, struct xsink *k, xout *o, uint64_t *budget)
{
	const unsigned wb = SYNC_FILE_RANGE_WRITE;
	struct pfile *pf = k->pf;
	int again = k->nf.fd >= 0; /* written again behind another header */
	uint64_t from = k->cdone;

	while (k->cdone < k->pos && *budget > 0) {
		uint64_t left = (k->cdone < k->common ? k->common : k->pos) - k->cdone;
		size_t n = XO_CAP;

		if (left < n)
			n = (size_t)left;
		if (*budget < n)
			n = (size_t)*budget;
		if (k->cdone < k->common) {
			if (fio_pread_full(k->ofd, k->buf, n, k->obody + k->cdone) != 0 ||
			    (!again && fio_pwrite_full(o->fa.fd, k->buf, n, k->hlen + k->cdone) != 0))
				goto fail;
		} else if (fio_pread_full(k->rfd, k->buf, n, k->hlen + k->cdone) != 0) {
			goto fail;
		}
		if (again && fio_atomic_write(&k->nf, k->buf, n) != 0)
			goto fail;
		export_sha_update(&o->sha, k->buf, n);
		k->cdone += n;
		*budget -= n;
	}
	if (again && fio_atomic_flush(&k->nf) != 0)
		goto fail;
	if (!x->cfg.nosync && k->cdone > from)
		(void)sync_file_range(again ? k->nf.fd : o->fa.fd,
				      (off64_t)((again ? k->headlen : k->hlen) + from),
				      (off64_t)(k->cdone - from), wb);
	if (k->cdone < k->pos)
		return BLF_OK;
	/* the body is whole and hashed */
	if (again) {
		fio_atomic_abort(&o->fa);
		o->fa = k->nf;
		memset(&k->nf, 0, sizeof(k->nf));
		k->nf.fd = -1;
	}
	if (!x->cfg.nosync && k->headlen > 0)
		(void)sync_file_range(o->fa.fd, 0, (off64_t)k->headlen, wb);
	if (k->ofd >= 0)
		close(k->ofd);
	k->ofd = -1;
	if (k->rfd >= 0)
		close(k->rfd);
	k->rfd = -1;
	/* renamed to its name in the new generation; synced at publication */
	if (fio_atomic_commit(&o->fa, 1) != 0) {
		o->active = 0;
		goto fail;
	}
	o->active = 0;
	k->closing = 0;
	export_sha_final(&o->sha, pf->sha);
	pf->size = k->headlen + k->pos;
	pf->staged = 1;
	x->st.bytes += pf->size;
	return BLF_OK;
fail:
	sink_err(o, EIO);
	errno = o->err;
	sink_abort(k, o);
	return BLF_EIO;
}

/*
 * A step of closing the files of a shard or the whole-feed file: at most
 * x->chunk bytes copied and hashed over all of them, a file after the
 * other; x->closing cleared once every one is renamed.
 */
static int
close_files(struct export_job *x)
{
	uint64_t budget = x->chunk;
	size_t w;
	int rc;

	for (w = 0; w <= X_NWRITERS; w++) {
		struct xsink *k = w < X_NWRITERS ? &x->sink[w] : &x->wsink;
		xout *o = w < X_NWRITERS ? x->out[w] : x->wout;

		if (o == NULL || !k->closing)
			continue;
		if ((rc = close_step(x, k, o, &budget)) != BLF_OK)
			return rc;
		if (k->closing)
			return BLF_OK; /* the budget is spent */
	}
	x->closing = 0;
	return BLF_OK;
}

static void
xfile_init(struct export_job *x, xfile *f, xout *o, const struct pfile *pf)
{
	const struct xfam *fm = pf->fam >= 0 ? &x->fam[pf->fam] : NULL;

	memset(f, 0, sizeof(*f));
	f->x = x;
	f->cfg = &x->cfg;
	f->kind = pf->kind;
	f->af = fm != NULL ? fm->af : 0;
	f->shard = pf->shard;
	f->bits = fm != NULL ? fm->bits : 0;
	f->serial = x->serial;
	f->now = x->now;
	f->o = o;
	f->aval = x->aval;
	if (fm != NULL) {
		int in = pf->w->input;

		f->total = in == XI_ENTRIES ? fm->nraw : in == XI_NETS ? fm->nplain : fm->nipset;
		if (pf->kind == XF_SHARD)
			f->count = item_count(&fm->sh[pf->shard], in);
	}
}

/* ---- the walk -------------------------------------------------------- */

/* A normalised prefix for the writers of input xi. */
static int
net_out(struct export_job *x, int xi, const blf_prefix *p, const char *tag, size_t taglen)
{
	struct xshard *s = &x->fam[x->cur_fam].sh[x->cur_shard];
	size_t w;

	if (xi == XI_NETS)
		s->nplain++;
	else
		s->nipset += p->len == 0 ? 2 : 1;
	for (w = 0; w < x->nwl[xi - 1]; w++) {
		unsigned i = x->wl[xi - 1][w];
		xitem it = { NULL, *p, tag, taglen };

		writers[i]->entry(&x->xf[i], &it);
	}
	return BLF_OK;
}

/* Number of trailing zero bits of v (width when v is 0). */
static unsigned
ctz128(u128 v, unsigned width)
{
	uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 64);

	if (lo != 0)
		return (unsigned)__builtin_ctzll(lo);
	if (hi != 0)
		return 64 + (unsigned)__builtin_ctzll(hi);
	return width;
}

/* floor(log2(v + 1)) for v = size - 1 of a range: the largest k with
 * 2^k - 1 <= v. */
static unsigned
log2p1(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;

	if (hi == ~0ull && lo == ~0ull)
		return 128;
	v += 1;
	hi = (uint64_t)(v >> 64);
	lo = (uint64_t)v;
	return hi != 0 ? 127 - (unsigned)__builtin_clzll(hi) : 63 - (unsigned)__builtin_clzll(lo);
}

/* Cut [lo, hi] into the fewest CIDR prefixes. */
static int
range_out(struct export_job *x, struct merger *m)
{
	const struct xfam *fm = &x->fam[x->cur_fam];
	unsigned W = fm->width;
	u128 lo = m->lo, hi = m->hi;
	blf_prefix p;

	for (;;) {
		unsigned k = ctz128(lo, W), room = log2p1(hi - lo);
		u128 size_m1;

		if (k > room)
			k = room;
		size_m1 = k == 128 ? ~(u128)0 : (((u128)1 << k) - 1);
		pfx_from(fm->af, lo, W - k, &p);
		net_out(x, m->xi, &p, m->tag, m->taglen);
		if (lo + size_m1 == hi)
			break;
		lo += size_m1 + 1;
	}
	return BLF_OK;
}

static void
merger_flush(struct export_job *x, struct merger *m)
{
	if (!m->pending)
		return;
	range_out(x, m);
	m->pending = 0;
}

static void
merger_add(struct export_job *x, struct merger *m, u128 lo, u128 hi, const struct node *n)
{
	if (m->pending && m->hi != x->fam[x->cur_fam].max && m->hi + 1 == lo &&
	    (!m->by_tag || (m->taglen == n->taglen && memcmp(m->tag, n->tag, n->taglen) == 0))) {
		m->hi = hi;
		return;
	}
	merger_flush(x, m);
	m->pending = 1;
	m->lo = lo;
	m->hi = hi;
	m->taglen = n->taglen;
	memcpy(m->tag, n->tag, sizeof(m->tag)); /* fixed size: a few moves, no loop */
}

/* A classified segment [lo, hi] of node n. */
static void
segment(struct export_job *x, u128 lo, u128 hi, const struct node *n)
{
	if (n->kind != CORE_ENTRY_LISTED)
		return;
	if (x->cfg.formats & EXPORT_PLAIN)
		merger_add(x, &x->mplain, lo, hi, n);
	if (x->cfg.formats & EXPORT_IPSET)
		merger_add(x, &x->mipset, lo, hi, n);
}

/* Classify everything before `to` (exclusive), or to the end of the
 * address space when to_end. */
static void
norm_advance(struct export_job *x, u128 to, int to_end)
{
	u128 max = x->fam[x->cur_fam].max;

	while (x->depth > 0) {
		struct node *top = &x->stack[x->depth - 1];

		if (!to_end && top->end >= to)
			break;
		if (!x->cursor_done && x->cursor <= top->end)
			segment(x, x->cursor, top->end, top);
		if (top->end == max)
			x->cursor_done = 1;
		else if (!x->cursor_done && x->cursor <= top->end)
			x->cursor = top->end + 1;
		x->depth--;
	}
	if (to_end || x->cursor_done)
		return;
	if (x->depth > 0 && x->cursor < to)
		segment(x, x->cursor, to - 1, &x->stack[x->depth - 1]);
	if (x->cursor < to)
		x->cursor = to;
}

static void
norm_reset(struct export_job *x)
{
	x->depth = 0;
	x->cursor = 0;
	x->cursor_done = 0;
	x->mplain.pending = 0;
	x->mipset.pending = 0;
}

/* The comment of a listing by name for reason: the name made safe (at
 * most X_TAG_NAME bytes, quotes and backslashes as '_', through the job's
 * cache), ' ', the reason's name or number, at most X_TAG_MAX bytes in
 * all, at t; its length. */
static size_t
tag_text(struct export_job *x, const char *name, uint16_t reason, char t[X_TAG_MAX + 1])
{
	struct tcache *c = &x->tc[(uint64_t)(uintptr_t)name * 0x9e3779b97f4a7c15ull >> 59];
	const char *rn;
	size_t len, k;

	if (c->src == name && export_same_str(c->raw, name)) {
		memcpy(t, c->txt, sizeof(c->txt)); /* fixed size: a few moves */
		len = c->len;
	} else {
		len = export_safe_ascii(name, strlen(name), "\"\\'", t, X_TAG_NAME + 1);
		if (strlen(name) <= KEYS_NAME_MAX) { /* from a trust store: cached */
			memcpy(c->raw, name, strlen(name) + 1);
			memcpy(c->txt, t, sizeof(c->txt));
			c->len = (uint8_t)len;
			c->src = name;
		}
	}
	rn = export_reason_name(reason, &k);
	t[len++] = ' ';
	if (rn != NULL) {
		if (len + k > X_TAG_MAX)
			k = X_TAG_MAX - len;
		memcpy(t + len, rn, k);
		len += k;
	} else {
		char d[8];
		unsigned v = reason;

		k = 0;
		do {
			d[sizeof(d) - 1 - k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		memcpy(t + len, d + sizeof(d) - k, k);
		len += k;
	}
	return len;
}

/* n's tag: the comment of e's strongest listing (tag_text). */
static void
make_tag(struct export_job *x, const core_entry *e, struct node *n)
{
	const core_prov *best = NULL;
	size_t i;

	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];

		if (best == NULL || p->weight > best->weight ||
		    (p->weight == best->weight &&
		     (p->first < best->first ||
		      (p->first == best->first && p->reason < best->reason))))
			best = p;
	}
	n->taglen = best != NULL ? (uint8_t)tag_text(x, best->name, best->reason, n->tag) : 0;
}

/* Start the current shard: every file it has, compared or staged; prev
 * (NULL: unknown) the counts of the previous export, for the guesses. */
static int
shard_open(struct export_job *x, const struct xshard *prev)
{
	size_t w;
	int rc = BLF_OK;

	memset(x->nwl, 0, sizeof(x->nwl));
	for (w = 0; w < X_NWRITERS; w++) {
		int i = x->idx[(w * 2 + (size_t)x->cur_fam) * 256 + x->cur_shard];
		struct pfile *pf;
		uint64_t guess;

		x->open[w] = 0;
		if (i < 0)
			continue;
		pf = &x->files[i];
		guess = prev != NULL ? item_count(prev, writers[w]->input) : x->lastcount[w];
		xfile_init(x, &x->xf[w], x->out[w], pf);
		if ((rc = sink_open(x, &x->sink[w], pf, &x->xf[w], guess)) != BLF_OK)
			return rc;
		x->open[w] = 1;
		x->wl[writers[w]->input - 1][x->nwl[writers[w]->input - 1]++] = (uint8_t)w;
	}
	return rc;
}

/* Finish the current shard: classify up to its end, flush, then each
 * file kept or staged. */
static int
shard_close(struct export_job *x)
{
	struct xfam *fm = &x->fam[x->cur_fam];
	unsigned next = x->cur_shard + 1;
	size_t w;
	int rc = BLF_OK;

	if (next >= fm->nshards)
		norm_advance(x, 0, 1);
	else
		norm_advance(x, (u128)next << (fm->width - fm->bits), 0);
	merger_flush(x, &x->mplain);
	merger_flush(x, &x->mipset);
	memset(x->nwl, 0, sizeof(x->nwl));
	for (w = 0; w < X_NWRITERS; w++) {
		int i = x->idx[(w * 2 + (size_t)x->cur_fam) * 256 + x->cur_shard];
		size_t n = item_count(&fm->sh[x->cur_shard], writers[w]->input);
		int r;

		if (!x->open[w])
			continue;
		if (writers[w]->end != NULL)
			writers[w]->end(&x->xf[w]);
		x->open[w] = 0;
		x->lastcount[w] = n;
		if (rc == BLF_OK) {
			if ((r = sink_close(x, &x->sink[w], &x->files[i], &x->xf[w], n)) != BLF_OK)
				rc = r;
		} else {
			sink_abort(&x->sink[w], x->out[w]);
		}
	}
	return rc;
}

static void
abort_open(struct export_job *x)
{
	size_t w;

	memset(x->nwl, 0, sizeof(x->nwl));
	for (w = 0; w < X_NWRITERS; w++) {
		if (x->out[w] != NULL)
			sink_abort(&x->sink[w], x->out[w]);
		x->open[w] = 0;
	}
}

/* ---- ranges of the view ---------------------------------------------- */

/* The prefix of shard s of family fm. */
static void
shard_prefix(const struct xfam *fm, unsigned s, blf_prefix *p)
{
	pfx_from(fm->af, fm->bits == 0 ? 0 : (u128)s << (fm->width - fm->bits), fm->bits, p);
}

/* Whether the walk of this step reads the entries' provenance: the
 * whole-feed file's sweep (not a walk that only counts), and a shard
 * walk with a file of entries (rbldnsd, JSON Lines) or of tagged nets
 * (ipset: the comment names the strongest listing); the plain lists need
 * kind and prefix only. */
static int
need_prov(const struct export_job *x)
{
	size_t w;

	if (x->stage == JOB_WHOLE)
		return !x->counting;
	for (w = 0; w < X_NWRITERS; w++)
		if (x->open[w] && writers[w]->input != XI_NETS)
			return 1;
	return 0;
}

/* Start iterating the entries that overlap `within` (export.h), or with
 * after those inside it that come after `after`: through the source's
 * begin_at, or a whole iteration filtered here. */
static int
src_begin(struct export_job *x, const blf_prefix *within, const blf_prefix *after)
{
	if (x->src->provenance != NULL)
		x->src->provenance(x->src->ctx, need_prov(x));
	x->within = *within;
	x->src_after = after != NULL;
	if (after != NULL)
		x->after = *after;
	x->filter = x->src->begin_at == NULL;
	if (!x->filter)
		return x->src->begin_at(x->src->ctx, x->view_now, within, after);
	return x->src->begin(x->src->ctx, x->view_now);
}

static int
src_next(struct export_job *x, core_entry *e)
{
	int r;

	while ((r = x->src->next(x->src->ctx, e)) == 1) {
		if (!x->filter)
			return 1;
		if (x->src_after && blf_prefix_cmp(&e->prefix, &x->after) <= 0)
			continue;
		if (blf_prefix_contains(&x->within, &e->prefix) ||
		    (!x->src_after && blf_prefix_contains(&e->prefix, &x->within)))
			return 1;
		if (blf_prefix_cmp(&e->prefix, &x->within) > 0)
			return 0; /* sorted: nothing further overlaps */
	}
	return r;
}

/* Start the walk of shard s of family fam: its counts from zero, its
 * files opened. */
static int
shard_begin(struct export_job *x, int fam, unsigned s)
{
	struct xfam *fm = &x->fam[fam];
	struct xshard prev = fm->sh[s];
	int rc;

	x->cur_fam = fam;
	x->cur_shard = s;
	norm_reset(x);
	shard_prefix(fm, s, &x->shard_pfx);
	x->cursor = pfx_lo(&x->shard_pfx);
	x->resume = 0;
	memset(&fm->sh[s], 0, sizeof(fm->sh[s]));
	if ((rc = shard_open(x, x->have_prev ? &prev : NULL)) != BLF_OK)
		abort_open(x);
	return rc;
}

/*
 * Up to X_PIECE entries of the current shard's walk: the entries that
 * start in it are counted and go to the entry writers; the entries that
 * contain the shard, which start before it, only open the normalisation's
 * stack so that its segments are classified as in a walk over the whole
 * view.  The next piece resumes
 * after the last entry (the stack and the open files carry over); the
 * last one closes the shard.  *more tells whether a piece follows.
 */
static int
shard_piece(struct export_job *x, int *more)
{
	struct xfam *fm = &x->fam[x->cur_fam];
	unsigned s = x->cur_shard;
	core_entry e;
	int r = 1, rc = BLF_OK;
	size_t n = 0;

	*more = 0;
	if (src_begin(x, &x->shard_pfx, x->resume ? &x->last : NULL) != 0) {
		rc = BLF_ENOMEM;
		goto out;
	}
	while (n < x->piece && (r = src_next(x, &e)) == 1) {
		u128 lo;
		struct node *nd;
		size_t w;

		n++;
		x->last = e.prefix;
		x->resume = 1;
		if (e.prefix.af != fm->af)
			continue;
		lo = pfx_lo(&e.prefix);
		if (shard_of(fm, lo) == s) {
			xitem it = { &e, { 0 }, NULL, 0 };

			fm->sh[s].nraw++;
			fm->sh[s].nlisted += e.kind == CORE_ENTRY_LISTED;
			for (w = 0; w < x->nwl[XI_ENTRIES - 1]; w++) {
				unsigned i = x->wl[XI_ENTRIES - 1][w];

				writers[i]->entry(&x->xf[i], &it);
			}
		}
		if (x->cfg.formats & (EXPORT_PLAIN | EXPORT_IPSET)) {
			norm_advance(x, lo, 0);
			if (x->depth >= X_MAX_DEPTH) {
				rc = BLF_EINVAL;
				break;
			}
			nd = &x->stack[x->depth++];
			nd->end = pfx_end(&e.prefix, lo, fm->width);
			nd->kind = e.kind;
			nd->taglen = 0;
			if (e.kind == CORE_ENTRY_LISTED && (x->cfg.formats & EXPORT_IPSET))
				make_tag(x, &e, nd);
		}
	}
	x->src->end(x->src->ctx);
	if (rc != BLF_OK)
		goto out;
	if (r < 0) {
		rc = BLF_ENOMEM;
		goto out;
	}
	if (n == x->piece) {
		*more = 1;
		return BLF_OK;
	}
	rc = shard_close(x);
out:
	if (rc != BLF_OK)
		abort_open(x);
	return rc;
}

/* ---- the whole-feed file (Postfix): one sweep in post-order ---------- */

/* Write the line of the innermost open prefix and close it. */
static void
sweep_pop(struct export_job *x)
{
	struct pnode *p = &x->pstack[--x->pdepth];

	export_out_mem(x->wf.o, x->arena + p->off, x->alen - p->off);
	xo_maybe_flush(x->wf.o);
	x->alen = p->off;
}

/*
 * One entry of the sweep.  Postfix takes the first line that matches, so
 * a prefix's line must come after the lines of everything inside it: the
 * lines of the open prefixes wait on a stack (at most one per length)
 * until an entry outside them comes, then go out innermost first.  A host
 * prefix contains nothing and goes out at once.  For every address, the
 * first matching line is then its longest match, which is the view's
 * verdict (exclusions only inside listings, SPEC 8.4).
 */
static int
sweep_entry(struct export_job *x, const core_entry *e, unsigned width)
{
	const export_writer *w = x->files[x->whole_i].w;
	u128 lo = pfx_lo(&e->prefix);
	xitem it;
	xout *o;

	while (x->pdepth > 0 && x->pstack[x->pdepth - 1].end < lo)
		sweep_pop(x);
	memset(&it, 0, sizeof(it));
	it.e = e;
	x->wf.phase = e->kind == CORE_ENTRY_EXCLUDED ? 0 : 1;
	x->swept++;
	if (e->prefix.len == width) {
		w->entry(&x->wf, &it);
		return BLF_OK;
	}
	if (x->pdepth >= X_MAX_DEPTH)
		return BLF_EINVAL;
	/* the line, formatted aside, waits in the arena */
	o = x->wf.o;
	x->hdr->len = 0;
	x->wf.o = x->hdr;
	w->entry(&x->wf, &it);
	x->wf.o = o;
	if (x->alen + x->hdr->len > x->acap) {
		size_t cap = x->acap != 0 ? x->acap : 8192;
		char *a;

		while (cap < x->alen + x->hdr->len)
			cap *= 2;
		if ((a = realloc(x->arena, cap)) == NULL)
			return BLF_ENOMEM;
		x->arena = a;
		x->acap = cap;
	}
	memcpy(x->arena + x->alen, x->hdr->buf, x->hdr->len);
	x->pstack[x->pdepth].end = pfx_hi(&e->prefix, width);
	x->pstack[x->pdepth].off = x->alen;
	x->pdepth++;
	x->alen += x->hdr->len;
	x->hdr->len = 0;
	return BLF_OK;
}

/*
 * One piece of the whole-feed file: up to X_PIECE entries that start in
 * shard s of family fam.  The file and the open prefixes stay between
 * pieces, and between shards of a family; *more as above.  Without shard
 * files, the sweep counts the shard's entries.
 */
static int
whole_piece(struct export_job *x, int fam, unsigned s, int *more)
{
	struct xfam *fm = &x->fam[fam];
	core_entry e;
	int r = 1, rc = BLF_OK;
	size_t n = 0;

	*more = 0;
	if (!x->resume) {
		shard_prefix(fm, s, &x->shard_pfx);
		if (x->noshards)
			memset(&fm->sh[s], 0, sizeof(fm->sh[s]));
	}
	if (src_begin(x, &x->shard_pfx, x->resume ? &x->last : NULL) != 0)
		return BLF_ENOMEM;
	while (n < x->piece && (r = src_next(x, &e)) == 1) {
		n++;
		x->last = e.prefix;
		x->resume = 1;
		if (e.prefix.af != fm->af || shard_of(fm, pfx_lo(&e.prefix)) != s)
			continue;
		if (x->noshards) {
			fm->sh[s].nraw++;
			fm->sh[s].nlisted += e.kind == CORE_ENTRY_LISTED;
		}
		if (!x->counting && (rc = sweep_entry(x, &e, fm->width)) != BLF_OK)
			break;
	}
	x->src->end(x->src->ctx);
	if (rc != BLF_OK)
		return rc;
	if (r < 0)
		return BLF_ENOMEM;
	*more = n == x->piece;
	if (!*more) {
		x->resume = 0;
		if (s + 1 == fm->nshards)
			while (x->pdepth > 0) /* the family's end closes every prefix */
				sweep_pop(x);
	}
	return BLF_OK;
}

static int
write_head(struct export_job *x, struct pfile *pf, xout *o)
{
	xfile f;
	int rc;

	if ((rc = stage_open(x, pf, o)) != BLF_OK)
		return rc;
	xfile_init(x, &f, o, pf);
	if (pf->w->begin != NULL)
		pf->w->begin(&f);
	if (pf->w->end != NULL)
		pf->w->end(&f);
	return stage_close(x, pf, o);
}

/* ---- the plan ----------------------------------------------------------- */

static void
key_of(struct export_job *x, const struct pfile *pf, const uint8_t *digest, char out[X_KEY_HEX + 1])
{
	crypto_generichash_state h;
	uint8_t k[X_KEY_HEX / 2];
	static const char d[] = "0123456789abcdef";
	size_t i;

	crypto_generichash_init(&h, NULL, 0, sizeof(k));
	crypto_generichash_update(&h, x->fp, sizeof(x->fp));
	crypto_generichash_update(&h, (const uint8_t *)pf->name, strlen(pf->name) + 1);
	crypto_generichash_update(&h, digest, X_DIGEST);
	crypto_generichash_final(&h, k, sizeof(k));
	for (i = 0; i < sizeof(k); i++) {
		out[2 * i] = d[k[i] >> 4];
		out[2 * i + 1] = d[k[i] & 15];
	}
	out[X_KEY_HEX] = '\0';
}

static const xman_file *
old_find(const xman *m, const char *name)
{
	size_t lo = 0, hi = m->nfiles;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->files[mid].name, name);

		if (c == 0)
			return &m->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
pfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pfile *)a)->name, ((const struct pfile *)b)->name);
}

/* Decide whether pf must be written: its key and the file on disk against
 * the previous MANIFEST. */
static void
decide(struct export_job *x, struct pfile *pf, const xman *old)
{
	const xman_file *of = old_find(old, pf->name);
	struct stat sb;

	pf->changed = 1;
	if (of == NULL || strcmp(pf->key, "-") == 0 || strcmp(of->key, pf->key) != 0)
		return;
	if (x->odfd < 0 ||
	    fstatat(x->odfd, pf->name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != of->size || mtime_ns(&sb) != of->mtime)
		return;
	pf->changed = 0;
	pf->size = of->size;
	pf->mtime = of->mtime;
	memcpy(pf->sha, of->sha, 32);
}

static int
plan(struct export_job *x)
{
	size_t w, cap = 0;
	int fam;

	for (w = 0; w < X_NWRITERS; w++)
		if (x->cfg.formats & writers[w]->flag)
			cap += writers[w]->whole
				       ? 1
				       : 2 * (size_t)writers[w]->head + x->fam[0].nshards +
						 x->fam[1].nshards;
	if ((x->files = calloc(cap ? cap : 1, sizeof(*x->files))) == NULL)
		return BLF_ENOMEM;
	x->nfcap = cap ? cap : 1;
	for (w = 0; w < X_NWRITERS; w++) {
		const export_writer *wr = writers[w];

		if (!(x->cfg.formats & wr->flag))
			continue;
		if (wr->whole) {
			struct pfile *pf = &x->files[x->nfiles];

			snprintf(pf->name, sizeof(pf->name), "%s", wr->name);
			pf->w = wr;
			pf->kind = XF_WHOLE;
			pf->fam = -1;
			x->whole_i = (int)x->nfiles++;
			continue;
		}
		for (fam = 0; fam < 2; fam++) {
			const struct xfam *fm = &x->fam[fam];
			const char *fs = fam == 0 ? "ip4" : "ip6";
			unsigned s;

			if (wr->head) {
				struct pfile *pf = &x->files[x->nfiles++];

				snprintf(pf->name, sizeof(pf->name), "%s-%s.head", wr->name, fs);
				pf->w = wr;
				pf->kind = XF_HEAD;
				pf->fam = fam;
				strcpy(pf->key, "-");
				pf->changed = 1;
			}
			for (s = 0; s < fm->nshards; s++) {
				struct pfile *pf = &x->files[x->nfiles];

				snprintf(pf->name, sizeof(pf->name), "%s-%s.s%02x", wr->name, fs, s);
				pf->w = wr;
				pf->kind = XF_SHARD;
				pf->fam = fam;
				pf->shard = s;
				pf->changed = 1;
				if (!x->dirty[fam][s]) {
					/* unchanged since the last export: keep its file if it
					 * is still what the MANIFEST says */
					const xman_file *of = old_find(&x->old, pf->name);

					if (of != NULL) {
						memcpy(pf->key, of->key, sizeof(pf->key));
						decide(x, pf, &x->old);
					}
					if (pf->changed)
						x->dirty[fam][s] = 1;
				}
				x->idx[(w * 2 + (size_t)fam) * 256 + s] = (int)x->nfiles;
				x->nfiles++;
			}
		}
	}
	return BLF_OK;
}

/* ---- publication ------------------------------------------------------ */

/* The entries of the directory dfd (which stays the caller's), from the
 * first: closedir the result; NULL on error. */
static DIR *
dir_scan(int dfd)
{
	int d2 = dup(dfd);
	DIR *d;

	if (d2 < 0)
		return NULL;
	if ((d = fdopendir(d2)) == NULL) {
		close(d2);
		return NULL;
	}
	rewinddir(d); /* the duplicate shares dfd's offset: an earlier scan's end */
	return d;
}

/* Remove staged files left in the directory by an interrupted run of an
 * earlier version (which staged ".new.NAME" beside the published files). */
static void
clean_stage(int dfd)
{
	DIR *d = dir_scan(dfd);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, X_STAGE, sizeof(X_STAGE) - 1) == 0)
			(void)fio_unlinkat(dfd, de->d_name);
	closedir(d);
}

/*
 * A changed file of the new generation: synced, and its mtime moved past
 * that of the file it replaces when both fall in the same second (rbldnsd
 * compares mtime seconds and size through current/NAME).
 */
static int
place(struct export_job *x, struct pfile *pf)
{
	struct stat old, now;
	int fd, rc = BLF_EIO;

	if ((fd = fio_openat(x->gdfd, pf->name, O_RDONLY, 0)) < 0)
		return BLF_EIO;
	if (!x->cfg.nosync && fio_fsync(fd) != 0)
		goto out;
	if (fstat(fd, &now) != 0)
		goto out;
	if (x->odfd >= 0 && fstatat(x->odfd, pf->name, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_mtim.tv_sec <= old.st_mtim.tv_sec) {
		struct timespec ts[2];

		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1].tv_sec = old.st_mtim.tv_sec + 1;
		ts[1].tv_nsec = 0;
		if (futimens(fd, ts) != 0 || fstat(fd, &now) != 0)
			goto out;
	}
	pf->staged = 0;
	pf->mtime = mtime_ns(&now);
	rc = BLF_OK;
out:
	close(fd);
	return rc;
}

/* Remove the generation directory name in the export directory: its
 * entries (files; a symlink is removed, never followed), then itself. */
static void
gen_remove(int dfd, const char *name)
{
	int g = fio_subdir_open(dfd, name, 0, 0);
	DIR *d;
	struct dirent *de;

	if (g < 0)
		return;
	if ((d = dir_scan(g)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				(void)fio_unlinkat(g, de->d_name);
		closedir(d);
	}
	close(g);
	(void)fio_rmdirat(dfd, name);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Tidy the export directory around the generation current names (serial
 * cur, "" and 0 when there is none): remove a left-over temporary link and
 * every generation newer than current (an export that did not finish).
 * With now (after a swap), also the replaced generations that are no
 * longer needed: the newest one older than current is always kept (the
 * one just replaced), and an older one while the generation that replaced
 * it (the next serial; a serial is its export's time) is less than
 * EXPORT_GEN_KEEP seconds old, at most EXPORT_GEN_MAX of them in all:
 * removed now, or with later (room for EXPORT_GEN_MAX * 4) their serials
 * put there and counted in *nlater, for tidy_step.  Entries that are not
 * ours are left alone; nothing is followed.
 */
static void
gen_tidy(int dfd, const char *current, uint64_t cur, uint64_t now, uint64_t *later,
	 size_t *nlater)
{
	uint64_t old[EXPORT_GEN_MAX * 4];
	size_t nold = 0, i, kept = 0;
	DIR *d = dir_scan(dfd);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		uint64_t serial;

		if (strcmp(de->d_name, X_CURRENT_TMP) == 0) {
			(void)fio_unlinkat(dfd, de->d_name);
			continue;
		}
		if (!export_gen_name(de->d_name, &serial) || strcmp(de->d_name, current) == 0)
			continue;
		if (serial > cur)
			gen_remove(dfd, de->d_name);
		else if (now != 0 && nold < sizeof(old) / sizeof(old[0]))
			old[nold++] = serial;
	}
	closedir(d);
	if (nold == 0)
		return;
	/* newest first: old[i] was replaced by old[i - 1] (current for i 0) */
	qsort(old, nold, sizeof(old[0]), u64_cmp);
	for (i = nold; i-- > 0;) {
		uint64_t by = i + 1 < nold ? old[i + 1] : cur;
		char name[X_GEN_NAME_MAX + 1];

		if (i + 1 == nold || (kept < EXPORT_GEN_MAX && now < by + EXPORT_GEN_KEEP)) {
			kept++;
			continue;
		}
		if (later != NULL) {
			later[(*nlater)++] = old[i];
			continue;
		}
		snprintf(name, sizeof(name), X_GEN_PREFIX "%llu", (unsigned long long)old[i]);
		gen_remove(dfd, name);
	}
}

/*
 * Find the previous set: the generation current names (opened without
 * following anything but that link), or, from the flat layout of earlier
 * versions, the MANIFEST in the directory itself.  Remove the generations
 * that never became current.  An error reading current or opening its
 * generation (other than their absence) fails the export: nothing is
 * removed on a guess.
 */
static int
gen_open_previous(struct export_job *x, uint64_t *cur_serial)
{
	uint64_t serial = 0;
	char name[X_GEN_NAME_MAX + 1];
	struct stat sb;

	x->odfd = -1;
	x->oname[0] = '\0';
	*cur_serial = 0;
	if (export_current_read(x->dfd, name, &serial) == 0) {
		*cur_serial = serial;
		if ((x->odfd = fio_subdir_open(x->dfd, name, 0, 0)) >= 0)
			memcpy(x->oname, name, sizeof(name));
		else if (errno != ENOENT)
			return BLF_EIO;
	} else if (errno != ENOENT && errno != EINVAL) {
		return BLF_EIO;
	} else if (fstatat(x->dfd, "MANIFEST", &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		   S_ISREG(sb.st_mode)) {
		if ((x->odfd = dup(x->dfd)) < 0)
			return BLF_EIO;
		x->legacy = 1;
	}
	gen_tidy(x->dfd, x->oname, *cur_serial, 0, NULL, NULL);
	return BLF_OK;
}

/* Create the directory of this export's generation, 0755 whatever the
 * umask; one left by an earlier attempt is removed first. */
static int
gen_create(struct export_job *x)
{
	snprintf(x->gname, sizeof(x->gname), X_GEN_PREFIX "%llu", (unsigned long long)x->serial);
	gen_remove(x->dfd, x->gname);
	if ((x->gdfd = fio_subdir_open(x->dfd, x->gname, 1, 0755)) < 0)
		return BLF_EIO;
	if (fchmod(x->gdfd, 0755) != 0)
		return BLF_EIO;
	return BLF_OK;
}

/*
 * The swap: a symlink to the new generation under a temporary name,
 * renamed over current (rename(2) replaces it in one step: a reader sees
 * the old generation or the new one, never a mix), then the directory
 * synced.  published is set once the rename is done.
 */
static int
gen_swap(struct export_job *x)
{
	if (fio_unlinkat(x->dfd, X_CURRENT_TMP) != 0 && errno != ENOENT)
		return BLF_EIO;
	if (fio_symlinkat(x->gname, x->dfd, X_CURRENT_TMP) != 0)
		return BLF_EIO;
	if (fio_renameat(x->dfd, X_CURRENT_TMP, X_CURRENT) != 0) {
		int e = errno;

		(void)unlinkat(x->dfd, X_CURRENT_TMP, 0);
		errno = e;
		return BLF_EIO;
	}
	x->published = 1;
	if (!x->cfg.nosync && fio_fsync_dirfd(x->dfd) != 0)
		return BLF_EIO;
	return BLF_OK;
}

/* The flat set of an earlier version, now replaced by current: its files,
 * MANIFEST.sig first (the set stops verifying before it goes), MANIFEST. */
static void
legacy_remove(struct export_job *x)
{
	size_t i;

	(void)fio_unlinkat(x->dfd, "MANIFEST.sig");
	for (i = 0; i < x->old.nfiles; i++)
		(void)fio_unlinkat(x->dfd, x->old.files[i].name);
	(void)fio_unlinkat(x->dfd, "MANIFEST");
}

static int
write_manifest(struct export_job *x, const key_secret *k)
{
	xman m;
	char *text = NULL, sigline[EXPORT_SIG_LINE_LEN + 1];
	uint8_t sig[BLF_SIG_LEN];
	size_t len = 0, i, sl;
	int rc;

	memset(&m, 0, sizeof(m));
	m.serial = x->serial;
	m.time = x->now;
	memcpy(m.agent, k->keyid, BLF_KEYID_LEN);
	if ((m.files = calloc(x->nfiles ? x->nfiles : 1, sizeof(*m.files))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < x->nfiles; i++) {
		xman_file *f = &m.files[i];

		memcpy(f->name, x->files[i].name, sizeof(f->name));
		memcpy(f->key, x->files[i].key, sizeof(f->key));
		memcpy(f->sha, x->files[i].sha, 32);
		f->size = x->files[i].size;
		f->mtime = x->files[i].mtime;
	}
	m.nfiles = x->nfiles;
	if ((rc = export_man_format(&m, &text, &len)) != BLF_OK)
		goto out;
	export_manifest_sign(k->sk, (const uint8_t *)text, len, sig);
	sl = export_manifest_sig_format(k->keyid, sig, sigline);
	if (fio_replace(x->gdfd, "MANIFEST", text, len, 0644, x->cfg.nosync) != 0 ||
	    fio_replace(x->gdfd, "MANIFEST.sig", sigline, sl, 0644, x->cfg.nosync) != 0) {
		rc = BLF_EIO;
		goto out;
	}
	x->st.bytes += len + sl;
	rc = BLF_OK;
out:
	free(text);
	free(m.files);
	return rc;
}

static int
fam_init(struct xfam *f, int af, unsigned bits)
{
	f->af = af;
	f->bits = bits;
	f->nshards = 1u << bits;
	f->width = af == BLF_AF_INET ? 32 : 128;
	f->max = u128_max(f->width);
	f->sh = calloc(f->nshards, sizeof(*f->sh));
	return f->sh != NULL ? BLF_OK : BLF_ENOMEM;
}

/* ---- the state kept between exports ------------------------------------ */

struct export_state {
	int valid;                      /* describes the export of `serial` */
	uint8_t fp[32];                 /* configuration fingerprint */
	unsigned formats, bits[2];
	char *dir;
	uint64_t serial;                /* of the MANIFEST it describes */
	uint64_t gen;                   /* view generation when that export began */
	struct xshard sh[2][256];       /* digests and counts of every shard */
};

/* See export.h. */
export_state *
export_state_new(void)
{
	return calloc(1, sizeof(export_state));
}

/* See export.h. */
void
export_state_reset(export_state *s)
{
	if (s != NULL)
		s->valid = 0;
}

/* See export.h. */
void
export_state_free(export_state *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	free(s);
}

static int
state_matches(const export_state *s, const struct export_job *x)
{
	return s != NULL && s->valid && s->dir != NULL && strcmp(s->dir, x->cfg.dir) == 0 &&
	       memcmp(s->fp, x->fp, sizeof(s->fp)) == 0 && s->formats == x->cfg.formats &&
	       s->bits[0] == x->fam[0].bits && s->bits[1] == x->fam[1].bits &&
	       s->serial == x->old.serial;
}

static void
state_save(export_state *s, const struct export_job *x)
{
	char *d;
	int f;

	s->valid = 0;
	if (!x->have_gen || (d = strdup(x->cfg.dir)) == NULL)
		return;
	free(s->dir);
	s->dir = d;
	memcpy(s->fp, x->fp, sizeof(s->fp));
	s->formats = x->cfg.formats;
	s->serial = x->serial;
	s->gen = x->gen;
	for (f = 0; f < 2; f++) {
		s->bits[f] = x->fam[f].bits;
		memcpy(s->sh[f], x->fam[f].sh, x->fam[f].nshards * sizeof(struct xshard));
	}
	s->valid = 1;
}

/* Change feed callback: every shard the prefix overlaps is dirty. */
static void
mark_dirty(void *arg, const blf_prefix *p)
{
	struct export_job *x = arg;
	int fam = p->af == BLF_AF_INET ? 0 : 1;
	const struct xfam *fm = &x->fam[fam];
	unsigned a = shard_of(fm, pfx_lo(p)), b = shard_of(fm, pfx_hi(p, fm->width));

	for (; a <= b; a++)
		x->dirty[fam][a] = 1;
}

/* ---- the job -------------------------------------------------------------- */


/*
 * Start an export (export.h): open the directory, read the previous
 * MANIFEST, find the dirty shards (the change feed since the state's
 * generation, or all of them) and plan the files.  Nothing is written yet.
 */
int
export_job_start(const export_source *src, const export_config *cfg,
		 const key_secret *agent_key, uint64_t now, export_state *state,
		 export_job **out)
{
	struct export_job *x = NULL;
	size_t i, w;
	uint64_t cur = 0;
	int rc = BLF_EINVAL, r, have;

	*out = NULL;
	if (src == NULL || agent_key == NULL || export_config_check(cfg, NULL, 0) != BLF_OK)
		goto out;
	rc = BLF_ENOMEM;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		goto out;
	x->dfd = -1;
	x->odfd = -1;
	x->gdfd = -1;
	x->tdfd = -1;
	x->whole_i = -1;
	/* no descriptor yet: export_job_free may run from any failure below */
	for (w = 0; w <= X_NWRITERS; w++) {
		struct xsink *k = w < X_NWRITERS ? &x->sink[w] : &x->wsink;

		k->ofd = -1;
		k->rfd = -1;
		k->nf.fd = -1;
		k->nf.dfd = -1;
	}
	x->own_src = *src;
	x->src = &x->own_src;
	x->key = agent_key;
	x->state = state;
	x->now = now;
	x->view_now = now;
	cfg_defaults(x, cfg);
	for (i = 0; i < 256; i++)
		x->aval[i] = export_aval_of(&x->cfg, (uint16_t)i);
	fingerprint(x);
	x->piece = cfg->piece != 0 ? cfg->piece : X_PIECE;
	x->chunk = cfg->chunk != 0 ? cfg->chunk : X_CHUNK;
	x->kind = "none";
	x->mplain.xi = XI_NETS;
	x->mipset.xi = XI_TAGGED_NETS;
	x->mipset.by_tag = 1;
	if (fam_init(&x->fam[0], BLF_AF_INET, x->cfg.shard4_bits) != BLF_OK ||
	    fam_init(&x->fam[1], BLF_AF_INET6, x->cfg.shard6_bits) != BLF_OK)
		goto out;
	if ((x->idx = malloc(X_NWRITERS * 2 * 256 * sizeof(int))) == NULL)
		goto out;
	for (i = 0; i < X_NWRITERS * 2 * 256; i++)
		x->idx[i] = -1;
	for (w = 0; w < X_NWRITERS; w++)
		if ((x->out[w] = calloc(1, sizeof(xout))) == NULL)
			goto out;
	if ((x->wout = calloc(1, sizeof(xout))) == NULL ||
	    (x->hdr = calloc(1, sizeof(xout))) == NULL)
		goto out;
	rc = BLF_EIO;
	if ((x->dfd = fio_dir_open_private(cfg->dir, 1, 0755)) < 0)
		goto out;
	clean_stage(x->dfd);
	if ((rc = gen_open_previous(x, &cur)) != BLF_OK)
		goto out;
	if (x->odfd >= 0)
		(void)export_manifest_load(x->odfd, &x->old, NULL, 0);
	x->serial = now > x->old.serial ? now : x->old.serial + 1;
	if (x->serial <= cur)
		x->serial = cur + 1;
	if ((rc = gen_create(x)) != BLF_OK)
		goto out;

	/* dirty shards: those the change feed names since the state's export,
	 * or every shard */
	have = state_matches(state, x);
	memset(x->dirty, 0, sizeof(x->dirty));
	r = src->changes != NULL ? src->changes(src->ctx, have, have ? state->gen : 0, now,
						 mark_dirty, x, &x->gen)
				 : -1;
	x->have_gen = r >= 0;
	if (!have || r != 0) {
		memset(x->dirty, 1, sizeof(x->dirty));
	} else {
		for (i = 0; i < 2; i++)
			memcpy(x->fam[i].sh, state->sh[i], x->fam[i].nshards * sizeof(struct xshard));
		x->have_prev = 1;
	}
	x->noshards = 1;
	for (w = 0; w < X_NWRITERS; w++)
		if ((x->cfg.formats & writers[w]->flag) && !writers[w]->whole)
			x->noshards = 0;
	if (state != NULL)
		state->valid = 0; /* until this export is published */
	if ((rc = plan(x)) != BLF_OK)
		goto out;
	for (i = 0; i < 2; i++) {
		unsigned sh;

		for (sh = 0; sh < x->fam[i].nshards; sh++)
			x->anydirty |= x->dirty[i][sh];
	}
	x->stage = JOB_SHARDS;
	rc = BLF_OK;
out:
	if (rc != BLF_OK) {
		export_job_free(x);
		x = NULL;
	}
	*out = x;
	return rc;
}

/* Sum the shards' counts into their families. */
static void
totals(struct export_job *x)
{
	int i;
	unsigned s;

	for (i = 0; i < 2; i++) {
		struct xfam *fm = &x->fam[i];

		fm->nraw = fm->nplain = fm->nipset = fm->nlisted = 0;
		for (s = 0; s < fm->nshards; s++) {
			fm->nraw += fm->sh[s].nraw;
			fm->nplain += fm->sh[s].nplain;
			fm->nipset += fm->sh[s].nipset;
			fm->nlisted += fm->sh[s].nlisted;
		}
	}
}

/* Every dirty shard is walked: the whole-feed file is kept when no shard
 * is dirty and the previous one is intact, else swept (and compared). */
static int
whole_start(struct export_job *x)
{
	struct pfile *pf;
	const xman_file *of;
	uint64_t guess;
	int rc;

	totals(x);
	x->resume = 0;
	if (x->whole_i < 0)
		return BLF_OK;
	pf = &x->files[x->whole_i];
	if (!x->anydirty && (of = old_find(&x->old, pf->name)) != NULL) {
		memcpy(pf->key, of->key, sizeof(pf->key));
		decide(x, pf, &x->old);
		if (!pf->changed)
			return BLF_OK;
	}
	x->stage = JOB_WHOLE;
	x->ufam = 0;
	x->ushard = 0;
	/* with no count to guess from (no shard files, no state), the header's
	 * length is unknown: a walk that only counts comes first, cheaper than
	 * moving a body that would not fit behind the header */
	x->counting = x->noshards && !x->have_prev;
	if (x->counting)
		return BLF_OK;
	guess = x->fam[0].nraw + x->fam[1].nraw;
	xfile_init(x, &x->wf, x->wout, pf);
	if ((rc = sink_open(x, &x->wsink, pf, &x->wf, guess)) != BLF_OK)
		return rc;
	x->swept = 0;
	x->pdepth = 0;
	x->alen = 0;
	return BLF_OK;
}

/* ---- the per-origin view ------------------------------------------------ */

/* One origin (export_origin.c): digest its records, plan its zones and
 * write those whose key changed.  Past the last origin, origins_done. */
static int
origin_step(struct export_job *x)
{
	struct xorigin *or = &x->org;
	xfile xf[2], *outp[2] = { NULL, NULL };
	int r, fam, idx[2] = { -1, -1 };
	int rc = BLF_OK;

	if (x->src->origin_begin == NULL || x->src->origin_next == NULL) {
		x->origins_done = 1;
		return BLF_OK;
	}
	r = export_origin_pass(x->src, x->uorigin, x->view_now, or, NULL);
	if (r == 1) {
		x->origins_done = 1;
		return BLF_OK;
	}
	if (r != 0)
		return BLF_ENOMEM;
	for (fam = 0; fam < 2; fam++) {
		struct pfile *pf;

		if (or->nlisted[fam] == 0)
			continue; /* no accepted listing: no zone */
		if (x->nfiles + 1 >= EXPORT_MAX_FILES)
			return BLF_ELIMIT;
		if (x->nfiles == x->nfcap) {
			struct pfile *nf = realloc(x->files, 2 * x->nfcap * sizeof(*nf));

			if (nf == NULL)
				return BLF_ENOMEM;
			x->files = nf;
			x->nfcap *= 2;
		}
		pf = &x->files[x->nfiles];
		memset(pf, 0, sizeof(*pf));
		export_origin_file(or->name, or->origin, fam == 0 ? BLF_AF_INET : BLF_AF_INET6,
			      pf->name);
		pf->w = &export_writer_rbldnsd;
		pf->kind = XF_ORIGIN;
		pf->fam = fam;
		key_of(x, pf, or->digest[fam], pf->key);
		decide(x, pf, &x->old);
		idx[fam] = (int)x->nfiles++;
		if (!pf->changed)
			continue;
		if ((rc = stage_open(x, pf, x->out[fam])) != BLF_OK)
			return rc;
		memset(&xf[fam], 0, sizeof(xf[fam]));
		xf[fam].x = x;
		xf[fam].cfg = &x->cfg;
		xf[fam].kind = XF_ORIGIN;
		xf[fam].af = fam == 0 ? BLF_AF_INET : BLF_AF_INET6;
		xf[fam].count = xf[fam].total = or->n[fam];
		xf[fam].serial = x->serial;
		xf[fam].now = x->now;
		xf[fam].o = x->out[fam];
		xf[fam].aval = x->aval;
		outp[fam] = &xf[fam];
	}
	if ((outp[0] != NULL || outp[1] != NULL) &&
	    export_origin_pass(x->src, x->uorigin, x->view_now, or, outp) != 0)
		return BLF_ENOMEM;
	for (fam = 0; fam < 2; fam++)
		if (outp[fam] != NULL &&
		    (rc = stage_close(x, &x->files[idx[fam]], x->out[fam])) != BLF_OK)
			return rc;
	x->uorigin++;
	return BLF_OK;
}

/* Heads, publication, MANIFEST, removal of what is no longer produced. */
static int
heads_step(struct export_job *x)
{
	size_t i;
	int rc;

	for (i = 0; i < x->nfiles; i++) {
		struct pfile *pf = &x->files[i];

		if (pf->changed && pf->kind == XF_HEAD &&
		    (rc = write_head(x, pf, x->out[0])) != BLF_OK)
			return rc;
	}
	x->heads_done = 1;
	return BLF_OK;
}

/*
 * One step of placing the new generation's files: a changed file synced
 * (each fsync a journal commit: one a step), or up to X_LINKS_STEP
 * unchanged ones linked to the previous generation's (same inode: same
 * bytes, size and mtime).
 */
static int
place_step(struct export_job *x)
{
	unsigned links = 0;
	int rc = BLF_OK;

	while (x->place_i < x->nfiles && rc == BLF_OK && links < X_LINKS_STEP) {
		struct pfile *pf = &x->files[x->place_i++];

		if (pf->changed)
			return place(x, pf);
		rc = fio_linkat(x->odfd, pf->name, x->gdfd, pf->name) == 0 ? BLF_OK : BLF_EIO;
		links++;
	}
	return rc;
}

static int
finish(struct export_job *x)
{
	size_t i;
	int rc;

	if (!x->cfg.nosync && fio_fsync_dirfd(x->gdfd) != 0)
		return BLF_EIO;
	qsort(x->files, x->nfiles, sizeof(*x->files), pfile_cmp);
	x->whole_i = -1; /* the indices are gone */
	if ((rc = write_manifest(x, x->key)) != BLF_OK)
		return rc;
	if ((rc = gen_swap(x)) != BLF_OK)
		return rc;
	/* keep the generation just replaced, and for a while the ones before
	 * (a transfer that began before a swap reads its generation to the
	 * end); remove the others, in steps (tidy_step) */
	if (x->legacy)
		legacy_remove(x);
	gen_tidy(x->dfd, x->gname, x->serial, x->now, x->tidy, &x->ntidy);
	for (i = 0; i < x->old.nfiles; i++) {
		struct pfile key;

		memcpy(key.name, x->old.files[i].name, sizeof(key.name));
		if (bsearch(&key, x->files, x->nfiles, sizeof(*x->files), pfile_cmp) == NULL)
			x->st.removed++;
	}
	x->st.serial = x->serial;
	x->st.listed4 = x->fam[0].nlisted;
	x->st.listed6 = x->fam[1].nlisted;
	x->st.excluded = x->fam[0].nraw + x->fam[1].nraw - x->st.listed4 - x->st.listed6;
	x->st.files = x->nfiles;
	for (i = 0; i < x->nfiles; i++) {
		if (x->files[i].changed)
			x->st.written++;
		else
			x->st.skipped++;
	}
	if (x->state != NULL)
		state_save(x->state, x);
	return BLF_OK;
}

/*
 * One step of waiting for the staged files' write-back (begun when each
 * was closed): at most X_SYNC_STEP bytes of one file written out and
 * waited for, so that the publication's fsync of a large file (the
 * Postfix table) finds its data on disk and does not hold the daemon for
 * the whole write-back in one step.  Where the file system cannot do it,
 * the fsync does it all.
 */
static int
sync_step(struct export_job *x)
{
	const unsigned flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			       SYNC_FILE_RANGE_WAIT_AFTER;
	struct pfile *pf;
	int fd, rc = BLF_OK;

	while (x->sync_i < x->nfiles && !(x->files[x->sync_i].changed &&
					   x->files[x->sync_i].staged))
		x->sync_i++;
	if (x->cfg.nosync || x->sync_i == x->nfiles) {
		x->synced = 1;
		return BLF_OK;
	}
	pf = &x->files[x->sync_i];
	if ((fd = fio_openat(x->gdfd, pf->name, O_RDONLY, 0)) < 0)
		return BLF_EIO;
	if (x->sync_off < pf->size &&
	    sync_file_range(fd, (off64_t)x->sync_off, X_SYNC_STEP, flags) != 0) {
		if (errno == EIO || errno == ENOSPC)
			rc = BLF_EIO;
		else
			x->sync_off = pf->size; /* not supported: fsync does it */
	} else {
		x->sync_off += X_SYNC_STEP;
	}
	close(fd);
	if (rc == BLF_OK && x->sync_off >= pf->size) {
		x->sync_i++;
		x->sync_off = 0;
	}
	return rc;
}

/*
 * One step of removing the generations that gen_tidy found no longer
 * needed, after the swap: at most X_LINKS_STEP of their entries unlinked
 * (most are links to files still current; the last link of a large file
 * frees its blocks), a generation's directory removed once empty.  What
 * cannot be removed is left to the next export's tidying.
 */
static void
tidy_step(struct export_job *x)
{
	unsigned n = 0;

	while (x->tidy_i < x->ntidy && n < X_LINKS_STEP) {
		char name[X_GEN_NAME_MAX + 1];
		struct dirent *de = NULL;

		snprintf(name, sizeof(name), X_GEN_PREFIX "%llu",
			 (unsigned long long)x->tidy[x->tidy_i]);
		if (x->tdir == NULL) {
			if ((x->tdfd = fio_subdir_open(x->dfd, name, 0, 0)) < 0 ||
			    (x->tdir = dir_scan(x->tdfd)) == NULL) {
				if (x->tdfd >= 0)
					close(x->tdfd);
				x->tdfd = -1;
				x->tidy_i++;
				continue;
			}
		}
		while (n < X_LINKS_STEP && (de = readdir(x->tdir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			(void)fio_unlinkat(x->tdfd, de->d_name);
			n++;
		}
		if (de != NULL)
			break; /* the step's count is reached: more of it next */
		closedir(x->tdir);
		x->tdir = NULL;
		close(x->tdfd);
		x->tdfd = -1;
		(void)fio_rmdirat(x->dfd, name);
		x->tidy_i++;
	}
}

/* Move (fam, shard) to the next unit; 0 past the last. */
static int
unit_next(struct export_job *x, int *fam, unsigned *shard)
{
	if (++*shard < x->fam[*fam].nshards)
		return 1;
	*shard = 0;
	return ++*fam < 2;
}

/*
 * The next unit of work of export_job_step: a piece of the next dirty
 * shard's walk, or of the whole-feed file's sweep, or a step of the
 * publication; x->kind names it.
 */
static int
job_unit(struct export_job *x, int *done)
{
	int rc = BLF_OK;

	if (x->stage == JOB_SHARDS && !x->walking) {
		while (x->ufam < 2 && (x->noshards || !x->dirty[x->ufam][x->ushard]))
			if (!unit_next(x, &x->ufam, &x->ushard))
				x->ufam = 2;
		if (x->ufam < 2) {
			x->st.walked++;
			x->walking = 1;
			x->kind = "walk";
			rc = shard_begin(x, x->ufam, x->ushard);
		} else {
			x->stage = JOB_FINISH;
			x->kind = "sweep";
			rc = whole_start(x);
		}
	}
	if (rc != BLF_OK) {
		/* below */
	} else if (x->stage == JOB_SHARDS) {
		int more;

		x->kind = "walk";
		rc = shard_piece(x, &more);
		if (rc == BLF_OK && !more) {
			x->walking = 0;
			if (!unit_next(x, &x->ufam, &x->ushard))
				x->ufam = 2;
		}
	} else if (x->stage == JOB_WHOLE) {
		int more;

		x->kind = "sweep";
		rc = whole_piece(x, x->ufam, x->ushard, &more);
		if (rc == BLF_OK && !more && !unit_next(x, &x->ufam, &x->ushard) && x->counting) {
			/* counted: now the sweep, its header's count known */
			totals(x);
			x->counting = 0;
			x->have_prev = 1;
			rc = whole_start(x);
		} else if (rc == BLF_OK && !more && x->ufam == 2) {
			struct pfile *pf = &x->files[x->whole_i];

			if (pf->w->end != NULL)
				pf->w->end(&x->wf);
			x->stage = JOB_FINISH;
			if (x->noshards)
				totals(x);
			rc = sink_close(x, &x->wsink, pf, &x->wf, x->swept);
		}
	} else if (x->stage == JOB_FINISH && x->cfg.per_origin && !x->origins_done) {
		x->kind = "origin";
		rc = origin_step(x);
	} else if (x->stage == JOB_FINISH && !x->heads_done) {
		x->kind = "heads";
		rc = heads_step(x);
	} else if (x->stage == JOB_FINISH && !x->synced) {
		x->kind = "sync";
		rc = sync_step(x);
	} else if (x->stage == JOB_FINISH && x->place_i < x->nfiles) {
		x->kind = "place";
		rc = place_step(x);
	} else if (x->stage == JOB_FINISH) {
		x->kind = "publish";
		rc = finish(x);
		x->stage = x->ntidy > 0 ? JOB_TIDY : JOB_DONE;
		*done = rc == BLF_OK && x->stage == JOB_DONE;
	} else if (x->stage == JOB_TIDY) {
		x->kind = "tidy";
		tidy_step(x);
		if (x->tidy_i == x->ntidy) {
			x->stage = JOB_DONE;
			*done = 1;
		}
	} else {
		x->kind = "none";
		*done = 1;
	}
	return rc;
}

/*
 * One unit of work (export.h): closing the files of the shard or the
 * whole-feed file just walked, a chunk of them, until they are renamed;
 * then the next unit (job_unit).  On error the job is over: the staged
 * files are removed and the previous export stays as it was (unless the
 * error came during publication).
 */
int
export_job_step(export_job *x, uint64_t now, int *done)
{
	int rc;

	*done = 0;
	x->view_now = now;
	x->st.steps++;
	if (x->closing) {
		x->kind = "close";
		rc = close_files(x);
	} else {
		rc = job_unit(x, done);
	}
	if (rc != BLF_OK) {
		x->stage = JOB_DONE;
		x->failed = rc;
		if (x->state != NULL)
			x->state->valid = 0;
	}
	return rc;
}

/* See export.h. */
const char *
export_job_step_kind(const export_job *x)
{
	return x->kind;
}

/* See export.h. */
void
export_job_stats(const export_job *x, export_stats *st)
{
	*st = x->st;
}

/* See export.h. */
void
export_job_free(export_job *x)
{
	size_t w;
	int e = errno;

	if (x == NULL)
		return;
	abort_open(x);
	if (x->wout != NULL)
		sink_abort(&x->wsink, x->wout);
	if (x->gdfd >= 0)
		close(x->gdfd);
	if (x->tdir != NULL)
		closedir(x->tdir);
	if (x->tdfd >= 0)
		close(x->tdfd);
	if (x->dfd >= 0 && !x->published && x->gname[0] != '\0')
		gen_remove(x->dfd, x->gname);
	if (x->odfd >= 0)
		close(x->odfd);
	for (w = 0; w < X_NWRITERS; w++) {
		if (x->out[w] != NULL)
			export_sha_free(&x->out[w]->sha);
		free(x->out[w]);
	}
	if (x->wout != NULL)
		export_sha_free(&x->wout->sha);
	free(x->wout);
	for (w = 0; w < X_NWRITERS; w++)
		free(x->sink[w].buf);
	free(x->wsink.buf);
	free(x->hdr);
	free(x->arena);
	export_sha_free(&x->org.h[0]);
	export_sha_free(&x->org.h[1]);
	free(x->files);
	free(x->idx);
	free(x->fam[0].sh);
	free(x->fam[1].sh);
	if (x->dfd >= 0)
		close(x->dfd);
	export_man_free(&x->old);
	free(x->own);
	free(x);
	errno = e;
}

/*
 * An export in one call: export_job_start, every step, export_job_free.
 * *st is filled on success and failure alike; errno tells more after
 * BLF_EIO.
 */
int
export_run_source(const export_source *src, const export_config *cfg,
		  const key_secret *agent_key, uint64_t now, export_stats *st)
{
	export_job *x;
	int rc, done = 0;

	rc = export_job_start(src, cfg, agent_key, now, NULL, &x);
	while (rc == BLF_OK && !done)
		rc = export_job_step(x, now, &done);
	if (st != NULL) {
		if (x != NULL)
			*st = x->st;
		else
			memset(st, 0, sizeof(*st));
	}
	export_job_free(x);
	return rc;
}

/* ---- the core as a source ----------------------------------------------- */

struct core_src {
	core *c;
	int bare;                     /* iterations without provenance (cs_provenance) */
	core_iter it;
	core_origin_iter oi;          /* the per-origin view */
	int ohave;                    /* oi has records */
	uint64_t onow;
};

static int
cs_begin(void *ctx, uint64_t now)
{
	struct core_src *s = ctx;

	if (core_iter_begin(s->c, now, &s->it) != BLF_OK)
		return -1;
	core_iter_bare(&s->it, s->bare);
	return 0;
}

static int
cs_begin_at(void *ctx, uint64_t now, const blf_prefix *within, const blf_prefix *after)
{
	struct core_src *s = ctx;

	if (core_iter_begin_at(s->c, now, within, after, &s->it) != BLF_OK)
		return -1;
	core_iter_bare(&s->it, s->bare);
	return 0;
}

static void
cs_provenance(void *ctx, int prov)
{
	struct core_src *s = ctx;

	s->bare = !prov;
}

static int
cs_next(void *ctx, core_entry *e)
{
	struct core_src *s = ctx;

	/* 1 entry, 0 end, -1 error (out of memory, or the core changed) */
	return core_iter_next(&s->it, e);
}

static void
cs_end(void *ctx)
{
	struct core_src *s = ctx;

	core_iter_end(&s->it);
}

static int
cs_signer(void *ctx, const uint8_t origin[BLF_KEYID_LEN], uint8_t keyid[BLF_KEYID_LEN])
{
	struct core_src *s = ctx;
	const trust_anchor *a = trust_store_find_origin(core_trust(s->c), origin);

	if (a == NULL)
		return -1;
	memcpy(keyid, a->keyid, BLF_KEYID_LEN);
	return 0;
}

struct cs_changes_arg {
	void (*fn)(void *arg, const blf_prefix *p);
	void *arg;
};

static int
cs_change(void *arg, int change, const blf_prefix *prefix, const core_entry *e)
{
	struct cs_changes_arg *a = arg;

	(void)change;
	(void)e;
	a->fn(a->arg, prefix);
	return 0;
}

static int
cs_changes(void *ctx, int have, uint64_t gen, uint64_t now,
	   void (*fn)(void *arg, const blf_prefix *p), void *arg, uint64_t *cur)
{
	struct core_src *s = ctx;
	struct cs_changes_arg a = { fn, arg };
	int rc;

	if (!have)
		return core_view_generation(s->c, now, cur) == BLF_OK ? 1 : -1;
	rc = core_changed_prefixes_since(s->c, gen, now, cs_change, &a, cur);
	return rc == BLF_OK ? 0 : rc == BLF_ESTALE ? 1 : -1;
}

static int
cs_origin_begin(void *ctx, size_t i, uint64_t now, uint8_t origin[BLF_KEYID_LEN],
		const char **name)
{
	struct core_src *s = ctx;
	const trust_store *st = core_trust(s->c);
	const trust_anchor *a;

	if (st == NULL || i >= st->nanchors)
		return 1;
	a = &st->anchors[i];
	memcpy(origin, a->origin, BLF_KEYID_LEN);
	*name = a->name;
	s->onow = now;
	/* an origin without state has no records */
	s->ohave = core_origin_iter_begin(s->c, a->origin, &s->oi) == BLF_OK;
	return 0;
}

static int
cs_origin_next(void *ctx, core_origin_rec *r)
{
	struct core_src *s = ctx;

	while (s->ohave && core_origin_iter_next(&s->oi, r) == 1)
		if (core_origin_iter_status(&s->oi, s->onow) == CORE_ACCEPTED)
			return 1;
	return 0;
}

static void
core_source(core *c, struct core_src *s, export_source *src)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	memset(src, 0, sizeof(*src));
	src->ctx = s;
	src->begin = cs_begin;
	src->next = cs_next;
	src->end = cs_end;
	src->signer = cs_signer;
	src->begin_at = cs_begin_at;
	src->changes = cs_changes;
	src->origin_begin = cs_origin_begin;
	src->origin_next = cs_origin_next;
	src->provenance = cs_provenance;
}

/* See export.h. */
int
export_job_start_core(core *c, const export_config *cfg, const key_secret *agent_key,
		      uint64_t now, export_state *state, export_job **out)
{
	struct core_src *s = calloc(1, sizeof(*s));
	export_source src;
	int rc;

	*out = NULL;
	if (s == NULL)
		return BLF_ENOMEM;
	core_source(c, s, &src);
	if ((rc = export_job_start(&src, cfg, agent_key, now, state, out)) != BLF_OK) {
		free(s);
		return rc;
	}
	(*out)->own = s;
	return BLF_OK;
}

/*
 * export_run_source over the merged view of c at now; the core must not
 * change during the call.
 */
int
export_run(core *c, const export_config *cfg, const key_secret *agent_key, uint64_t now,
	   export_stats *st)
{
	struct core_src s;
	export_source src;

	core_source(c, &s, &src);
	return export_run_source(&src, cfg, agent_key, now, st);
}
