/* UID SEARCH and UID FETCH into cache rows for the sync engine (imap/sync.h,
 * imap/sync_int.h): the initial sync's batches, the delta's fetches of new
 * messages and of flag changes, the refetch of over-limit messages as
 * placeholder rows, the envelopes of sync_fetch_envelopes, and the body
 * text of index_bodies.
 *
 * RFC 3501 (UID FETCH, UID SEARCH), RFC 4731 (ESEARCH), RFC 7162
 * (CONDSTORE: MODSEQ, CHANGEDSINCE; QRESYNC: VANISHED). */
#include "imap/sync.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "content/msg.h"
#include "content/unicode.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/sync_int.h"
#include "imap/uidset.h"

#define FETCH_ITEMS_BASE                                                                  \
	"UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE"                       \
	" BODY.PEEK[HEADER.FIELDS (REFERENCES LIST-ID)]"
#define FETCH_ITEMS "(" FETCH_ITEMS_BASE ")"
#define FETCH_ITEMS_MODSEQ "(" FETCH_ITEMS_BASE " MODSEQ)"
/* what a message over a parser limit is still fetched with */
#define SAFE_ITEMS "(UID FLAGS INTERNALDATE RFC822.SIZE)"
#define SAFE_ITEMS_MODSEQ "(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ)"
#define BODY_BATCH 5 /* small: a tool call waits at most one batch */

/* One FETCH as a cache row (slices into v). False when the response lacks
 * what the cache needs (UID, ENVELOPE, INTERNALDATE; an over-limit message
 * needs only its UID) or a buffer failed. */
static bool
conv_fetch(struct sync *s, struct sync_conv *v, const struct imap_fetch *f, uint32_t uidvalidity,
	   struct cache_msg *m)
{
	if (!f->has_uid || f->uid == 0 ||
	    (!f->over_limit && (f->envelope == NULL || !f->has_internaldate)))
		return false;
	return sync_conv_fetch(v, f, uidvalidity, s != NULL ? s->o.known_domains : NULL,
			       s != NULL ? s->o.n_known_domains : 0, m) == IG_OK;
}

/* ---- UID lists ------------------------------------------------------------- */

struct uids {
	uint32_t *v;
	size_t n, cap, max;
	bool over;
};

static void
uids_add(struct uids *u, uint32_t x)
{
	if (u->n == u->cap) {
		uint32_t *nv;

		if (u->n >= u->max) {
			u->over = true;
			return;
		}
		u->cap = u->cap == 0 ? 256 : u->cap * 2;
		if (u->cap > u->max)
			u->cap = u->max;
		nv = realloc(u->v, u->cap * sizeof(*nv));
		if (nv == NULL) {
			u->over = true;
			return;
		}
		u->v = nv;
	}
	u->v[u->n++] = x;
}

static void
uids_range(void *ctx, uint32_t a, uint32_t b)
{
	struct uids *u = ctx;
	uint64_t x;

	for (x = a; x <= b && !u->over; x++)
		uids_add(u, (uint32_t)x);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static enum ig_err
on_search(void *ctx, const struct imap_resp *r)
{
	struct uids *u = ctx;
	size_t i;

	if (r->type == IMAP_U_SEARCH) {
		for (i = 0; i < r->u.search.n; i++)
			uids_add(u, r->u.search.nums[i]);
	} else if (r->type == IMAP_U_ESEARCH && r->u.esearch.all.len > 0) {
		if (imap_uidset_ranges(r->u.esearch.all, u->max, uids_range, u) != IG_OK)
			return IG_EINVAL;
	}
	return u->over ? IG_ELIMIT : IG_OK;
}

/* Runs a UID SEARCH command the caller built (criteria appended); result
 * sorted ascending, deduplicated. */
enum imap_fail
sync_uid_search(struct imap_cmd *cmd, size_t max, uint32_t **uids_r, size_t *n_r,
		struct imap_error *err)
{
	struct uids u = {.max = max};
	enum imap_fail f;
	size_t i;
	size_t k = 0;

	f = imap_cmd_run(cmd, on_search, &u, NULL, err);
	imap_cmd_free(cmd);
	if (f != IMAP_FAIL_NONE) {
		free(u.v);
		return f;
	}
	if (u.n > 1)
		qsort(u.v, u.n, sizeof(*u.v), cmp_u32);
	for (i = 0; i < u.n; i++)
		if (k == 0 || u.v[i] != u.v[k - 1])
			u.v[k++] = u.v[i];
	*uids_r = u.v;
	*n_r = k;
	return IMAP_FAIL_NONE;
}

void
sync_search_begin(struct imap_cmd *cmd, struct imap_conn *c)
{
	imap_cmd_init(cmd, c, "UID SEARCH");
	if (imap_conn_has_cap(c, "ESEARCH"))
		imap_cmd_atom(cmd, "RETURN (ALL)");
}

/* uids[0..n) (any order) as a compact UID set in b, emptied first (imap/uidset.c).
 * False when it did not fit in b, or for no UIDs or a UID 0. */
static bool
uidset_build(struct buf *b, const uint32_t *uids, size_t n)
{
	buf_reset(b);
	return imap_uidset_format(uids, n, b) == IG_OK && buf_err(b) == IG_OK;
}

/* ---- fetch into the cache ----------------------------------------------- */

struct fetch_ctx {
	struct sync *s;
	struct cache *cache;
	int64_t folder_id;
	uint32_t uidvalidity;
	uint32_t min_uid; /* ignore FETCH of lower UIDs ("n:*" returns the last) */
	struct sync_conv v;
	bool cache_err;
	size_t stored;
	/* sync_fetch_envelopes */
	void (*fn)(void *ctx, const struct cache_msg *m);
	void *fn_ctx;
	/* initial sync: commit every LIM_SYNC_BATCH rows inside the stream
	 * (with sync_uid) while the answers keep ascending */
	struct cache_folder *f;
	uint32_t last_uid;
	bool unordered;
	size_t since_commit;
	/* over-limit responses dropped unread: their UIDs, fetched again
	 * with SAFE_ITEMS for a placeholder row (refetch()) */
	struct uids refetch;
	bool safe; /* answers to that second fetch */
};

/* Inside an initial-sync UID FETCH, after the row of uid: with every
 * answer so far in ascending UID order, each requested UID <= uid was
 * answered or no longer exists, so uid may become sync_uid. Commits and
 * opens the next transaction. */
static void
stream_commit(struct fetch_ctx *x, uint32_t uid)
{
	if (uid <= x->last_uid)
		x->unordered = true;
	x->last_uid = uid;
	if (++x->since_commit < LIM_SYNC_BATCH || x->unordered || x->cache_err)
		return;
	x->since_commit = 0;
	x->f->sync_uid = uid;
	if (cache_folder_put(x->cache, x->f) != IG_OK || cache_commit(x->cache) != IG_OK ||
	    cache_begin(x->cache) != IG_OK)
		x->cache_err = true;
}

static void
vanish_range(void *ctx, uint32_t a, uint32_t b)
{
	struct fetch_ctx *x = ctx;

	if (cache_msg_delete_range(x->cache, x->folder_id, a, b) != IG_OK)
		x->cache_err = true;
}

static enum ig_err
on_fetch(void *ctx, const struct imap_resp *r)
{
	struct fetch_ctx *x = ctx;
	const struct imap_fetch *f = &r->u.fetch;
	struct cache_msg m;

	if (r->type == IMAP_U_VANISHED && x->cache != NULL) {
		if (imap_uidset_ranges(r->u.vanished.uids, LIM_IMAP_LIST_ITEMS, vanish_range, x) !=
		    IG_OK)
			return IG_EINVAL;
		return IG_OK;
	}
	if (r->type != IMAP_U_FETCH || !f->has_uid || f->uid < x->min_uid)
		return IG_OK;
	if (f->over_limit && !f->has_internaldate && !x->safe) {
		/* dropped unread: its flags, date and size come next */
		uids_add(&x->refetch, f->uid);
		return IG_OK;
	}
	if (f->envelope != NULL || f->over_limit || x->safe) {
		struct imap_fetch ff = *f;

		ff.over_limit = f->over_limit || x->safe;
		if (x->cache_err)
			return IG_OK; /* the batch is lost anyway; read to the end */
		if (!conv_fetch(x->s, &x->v, &ff, x->uidvalidity, &m))
			return IG_OK; /* incomplete: leave it to the count check */
		if (x->fn != NULL) {
			x->fn(x->fn_ctx, &m);
		} else if (cache_msg_put(x->cache, x->folder_id, &m) != IG_OK) {
			x->cache_err = true;
		}
		x->stored++;
		if (x->f != NULL)
			stream_commit(x, f->uid);
	} else if (f->has_flags && x->cache != NULL) {
		bool found;

		sync_conv_reset(&x->v);
		if (!conv_fetch(x->s, &x->v, f, x->uidvalidity, &m)) {
			/* flags only: build the flag list the same way */
			struct imap_fetch ff = *f;
			struct imap_envelope empty;

			memset(&empty, 0, sizeof(empty));
			ff.envelope = &empty;
			ff.has_internaldate = true;
			if (!conv_fetch(x->s, &x->v, &ff, x->uidvalidity, &m))
				return IG_OK;
		}
		if (cache_msg_flags(x->cache, x->folder_id, f->uid, m.flags, m.modseq, &found) !=
		    IG_OK)
			x->cache_err = true;
	}
	return IG_OK;
}

static const char *
fetch_items(struct imap_conn *c)
{
	return imap_conn_has_cap(c, "CONDSTORE") ? FETCH_ITEMS_MODSEQ : FETCH_ITEMS;
}

/* The over-limit messages of the last envelope fetch whose responses were
 * dropped unread: fetched again with only the small items, each becomes a
 * placeholder row (envelope_over_limit) instead of a gap that every later
 * sync would try to fill. Empties x->refetch. */
static enum imap_fail
refetch(struct imap_conn *c, struct fetch_ctx *x, struct imap_error *err)
{
	struct buf set;
	enum imap_fail f = IMAP_FAIL_NONE;
	uint32_t min_uid = x->min_uid;

	if (x->refetch.n == 0)
		return IMAP_FAIL_NONE;
	if (x->refetch.n > 1)
		qsort(x->refetch.v, x->refetch.n, sizeof(*x->refetch.v), cmp_u32);
	buf_init(&set, LIM_IMAP_ARG);
	x->safe = true;
	x->min_uid = 0;
	if (uidset_build(&set, x->refetch.v, x->refetch.n))
		f = imap_uid_fetch(c, set.p,
				   imap_conn_has_cap(c, "CONDSTORE") ? SAFE_ITEMS_MODSEQ : SAFE_ITEMS,
				   0, false, on_fetch, x, err);
	x->safe = false;
	x->min_uid = min_uid;
	buf_free(&set);
	free(x->refetch.v);
	memset(&x->refetch, 0, sizeof(x->refetch));
	x->refetch.max = LIM_SYNC_FETCH;
	return f;
}

enum imap_fail
sync_fetch_envelopes(struct sync *s, struct imap_conn *c, const uint32_t *uids, size_t n,
		     void (*fn)(void *ctx, const struct cache_msg *m), void *ctx,
		     struct imap_error *err)
{
	struct fetch_ctx x;
	struct buf set;
	enum imap_fail f;

	if (n == 0)
		return IMAP_FAIL_NONE;
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.uidvalidity = 1;
	x.fn = fn;
	x.fn_ctx = ctx;
	x.refetch.max = LIM_SYNC_FETCH;
	sync_conv_init(&x.v);
	buf_init(&set, LIM_IMAP_ARG);
	if (!uidset_build(&set, uids, n)) {
		imap_error_set(err, IMAP_FAIL_INTERNAL, "UID set too long");
		f = IMAP_FAIL_INTERNAL;
	} else {
		f = imap_uid_fetch(c, set.p, fetch_items(c), 0, false, on_fetch, &x, err);
		if (f == IMAP_FAIL_NONE)
			f = refetch(c, &x, err);
	}
	free(x.refetch.v);
	buf_free(&set);
	sync_conv_fini(&x.v);
	return f;
}

/* A fetch into folder f's cache rows; refetch_max: how many over-limit
 * messages may be set aside for a second, single fetch (0: none). */
static void
fetch_ctx_folder(struct fetch_ctx *x, struct sync *s, const struct cache_folder *f,
		 size_t refetch_max)
{
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->cache = s->cache;
	x->folder_id = f->id;
	x->uidvalidity = f->uidvalidity;
	x->refetch.max = refetch_max;
	sync_conv_init(&x->v);
}

/* (sync_int.h) */
enum imap_fail
sync_fetch_batches(struct sync *s, struct imap_conn *c, struct cache_folder *f, const uint32_t *uids,
	      size_t n, bool initial, bool in_tx, bool *yielded_r, struct imap_error *err)
{
	struct fetch_ctx x;
	struct buf set;
	enum imap_fail fl = IMAP_FAIL_NONE;
	size_t i = 0;

	*yielded_r = false;
	fetch_ctx_folder(&x, s, f, LIM_SYNC_FETCH);
	/* initial sync: fewer, longer commands (no round trip and no
	 * commit between them while the server streams) */
	x.f = initial && !in_tx ? f : NULL;
	buf_init(&set, LIM_IMAP_ARG);
	while (i < n) {
		size_t per = x.f != NULL ? LIM_SYNC_FETCH : LIM_SYNC_BATCH;
		size_t k = n - i < per ? n - i : per;

		if (!uidset_build(&set, uids + i, k)) {
			imap_error_set(err, IMAP_FAIL_INTERNAL, "UID set too long");
			fl = IMAP_FAIL_INTERNAL;
			break;
		}
		if (!in_tx && cache_begin(s->cache) != IG_OK) {
			x.cache_err = true;
			break;
		}
		x.min_uid = uids[i];
		fl = imap_uid_fetch(c, set.p, fetch_items(c), 0, false, on_fetch, &x, err);
		if (fl == IMAP_FAIL_NONE)
			fl = refetch(c, &x, err);
		if (fl != IMAP_FAIL_NONE) {
			if (!in_tx)
				cache_rollback(s->cache);
			break;
		}
		if (initial && !x.cache_err) {
			f->sync_uid = uids[i + k - 1];
			if (cache_folder_put(s->cache, f) != IG_OK)
				x.cache_err = true;
		}
		if (x.cache_err || (!in_tx && cache_commit(s->cache) != IG_OK)) {
			x.cache_err = true;
			break;
		}
		x.since_commit = 0;
		i += k;
		if (initial && i < n && sync_should_yield(s)) {
			*yielded_r = true;
			break;
		}
	}
	buf_free(&set);
	free(x.refetch.v);
	sync_conv_fini(&x.v);
	if (x.cache_err && fl == IMAP_FAIL_NONE) {
		/* a cache problem, not an IMAP one: err stays clear; the
		 * caller sees s_cache_lost() or a folder still unsynced */
		*yielded_r = true;
		sync_note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	return fl;
}

/* ---- delta fetches (sync_folder.c's delta step) ------------------------- */

enum imap_fail
sync_fetch_new(struct sync *s, struct imap_conn *c, const struct cache_folder *f,
	       const struct sync_delta *d, bool *cache_err_r, struct imap_error *err)
{
	struct fetch_ctx x;
	char set[32];
	enum imap_fail fl;

	*cache_err_r = false;
	if (d->new_from == 0)
		return IMAP_FAIL_NONE;
	fetch_ctx_folder(&x, s, f, LIM_SYNC_FETCH);
	x.min_uid = d->new_from;
	(void)snprintf(set, sizeof(set), "%u:*", x.min_uid);
	fl = imap_uid_fetch(c, set, fetch_items(c), 0, false, on_fetch, &x, err);
	if (fl == IMAP_FAIL_NONE)
		fl = refetch(c, &x, err);
	free(x.refetch.v);
	sync_conv_fini(&x.v);
	*cache_err_r = x.cache_err;
	return fl;
}

enum imap_fail
sync_fetch_changes(struct sync *s, struct imap_conn *c, const struct cache_folder *f,
		   const struct sync_delta *d, bool *cache_err_r, struct imap_error *err)
{
	struct fetch_ctx x;
	char set[32];
	enum imap_fail fl;

	*cache_err_r = false;
	if (d->known_to == 0)
		return IMAP_FAIL_NONE;
	fetch_ctx_folder(&x, s, f, 0); /* flags only: nothing to fill in later */
	x.min_uid = 1;
	(void)snprintf(set, sizeof(set), "1:%u", d->known_to);
	fl = imap_uid_fetch(c, set, d->cond ? "(UID FLAGS MODSEQ)" : "(UID FLAGS)",
			    d->cond ? d->changedsince : 0,
			    d->cond && imap_conn_has_cap(c, "QRESYNC"), on_fetch, &x, err);
	free(x.refetch.v); /* flags only: nothing to fill in */
	sync_conv_fini(&x.v);
	*cache_err_r = x.cache_err;
	return fl;
}

/* ---- bodies (index_bodies) --------------------------------------------------- */

struct body_ctx {
	struct sync *s;
	int64_t folder_id;
	bool cache_err;
};

static enum ig_err
on_body(void *ctx, const struct imap_resp *r)
{
	struct body_ctx *b = ctx;
	const struct imap_fetch *f = &r->u.fetch;
	struct json_object *out = NULL;
	struct json_object *u;
	struct json_object *t;
	struct content_opts opts;
	const char *e;

	if (r->type != IMAP_U_FETCH || !f->has_uid)
		return IG_OK;
	if (f->over_limit) {
		/* too large to read: indexed as empty, never asked for again */
		if (cache_body_put(b->s->cache, b->folder_id, f->uid, SL_LIT("")) != IG_OK)
			b->cache_err = true;
		return IG_OK;
	}
	if (!f->has_section)
		return IG_OK;
	memset(&opts, 0, sizeof(opts));
	opts.known_domains = b->s->o.known_domains;
	opts.n_known_domains = b->s->o.n_known_domains;
	if (!f->section_nil && msg_sanitize(f->section_data, &opts, &out, NULL, &e) == IG_OK &&
	    json_object_object_get_ex(out, "untrusted", &u) &&
	    json_object_object_get_ex(u, "body_text", &t) && json_object_is_type(t, json_type_string)) {
		const char *p = json_object_get_string(t);
		size_t n = (size_t)json_object_get_string_len(t);

		n = u8_truncate_graphemes(p, n, LIM_CACHE_BODY);
		if (cache_body_put(b->s->cache, b->folder_id, f->uid, (struct slice){p, n}) != IG_OK)
			b->cache_err = true;
	} else if (cache_body_put(b->s->cache, b->folder_id, f->uid, SL_LIT("")) != IG_OK) {
		b->cache_err = true; /* refused by the pipeline: indexed as empty */
	}
	json_object_put(out);
	return IG_OK;
}

/* One batch of body text for the folder; *more_r when some remain
 * (sync_int.h). */
enum imap_fail
sync_bodies_batch(struct sync *s, struct imap_conn *c, const char *name, bool *selected, bool *more_r,
	     struct imap_error *err)
{
	struct cache_folder f;
	struct imap_mailbox_state st;
	uint32_t uids[BODY_BATCH];
	struct body_ctx b = {s, 0, false};
	struct buf set;
	enum imap_fail fl;
	size_t n = 0;

	*more_r = false;
	if (cache_folder_get(s->cache, sl_from_cstr(s->o.account), sl_from_cstr(name), &f) != IG_OK ||
	    !f.synced)
		return IMAP_FAIL_NONE;
	if (cache_body_missing(s->cache, f.id, s->o.index_bodies, uids, BODY_BATCH, &n) != IG_OK ||
	    n == 0)
		return IMAP_FAIL_NONE;
	/* EXAMINE once per run of batches: on a big Maildir folder it costs
	 * far more than the batch itself */
	if (!*selected) {
		fl = imap_select(c, name, true, 0, 0, &st, err);
		if (fl != IMAP_FAIL_NONE || st.uidvalidity != f.uidvalidity)
			return fl;
		*selected = true;
	}
	qsort(uids, n, sizeof(uids[0]), cmp_u32);
	buf_init(&set, LIM_IMAP_ARG);
	if (!uidset_build(&set, uids, n)) {
		buf_free(&set);
		imap_error_set(err, IMAP_FAIL_INTERNAL, "UID set too long");
		return IMAP_FAIL_INTERNAL;
	}
	b.folder_id = f.id;
	if (cache_begin(s->cache) != IG_OK) {
		buf_free(&set);
		sync_note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	fl = imap_uid_fetch(c, set.p, "(UID BODY.PEEK[])", 0, false, on_body, &b, err);
	buf_free(&set);
	if (fl != IMAP_FAIL_NONE || b.cache_err || cache_commit(s->cache) != IG_OK) {
		cache_rollback(s->cache);
		if (b.cache_err)
			sync_note_cache_trouble(s);
		return fl;
	}
	*more_r = true;
	return IMAP_FAIL_NONE;
}
