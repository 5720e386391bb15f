/* One folder of the sync engine brought up to date (imap/sync_int.h
 * sync_folder_sync): the cache's state of the folder against the server's
 * (STATUS or EXAMINE), then a reset, the initial sync or a delta, the count
 * check that catches what the deltas cannot see, and the flag check of
 * values changed inside cache.db. The decisions are pure functions, held
 * to the protocol by tests/unit/imap/test_sync.c.
 *
 * RFC 3501 (EXAMINE, UIDVALIDITY §2.3.1.1, UIDNEXT, EXISTS), RFC 3691
 * (UNSELECT), RFC 7162 (CONDSTORE: HIGHESTMODSEQ, CHANGEDSINCE; QRESYNC).
 * The transaction boundaries that make this crash safe are described at
 * the top of imap/sync.c. */
#include "imap/sync.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/sync_int.h"
#include "imap/tls.h"

/* ---- decisions ---------------------------------------------------------------- */

bool
sync_status_usable(bool have, const struct cache_folder *f)
{
	return have && f->synced && f->highestmodseq != 0;
}

bool
sync_status_unchanged(const struct cache_folder *f, const struct imap_folder *st)
{
	return st->uidvalidity == f->uidvalidity && st->uidnext == f->uidnext &&
	       st->highestmodseq == f->highestmodseq;
}

bool
sync_needs_reset(bool have, const struct cache_folder *f, uint32_t uidvalidity)
{
	return !have || f->uidvalidity != uidvalidity;
}

bool
sync_keeps_start_modseq(const struct cache_folder *f, const struct imap_mailbox_state *st)
{
	return f->sync_uid == 0 && f->highestmodseq == 0 && st->highestmodseq > 0;
}

bool
sync_delta_unchanged(const struct cache_folder *f, const struct imap_mailbox_state *st)
{
	return f->uidnext == st->uidnext && st->highestmodseq != 0 &&
	       f->highestmodseq == st->highestmodseq;
}

void
sync_delta_plan(const struct cache_folder *f, const struct imap_mailbox_state *st,
		struct sync_delta *d_r)
{
	memset(d_r, 0, sizeof(*d_r));
	/* new messages */
	if (st->uidnext > f->uidnext)
		d_r->new_from = f->uidnext > 0 ? f->uidnext : 1;
	/* flag changes and expunges among the known ones: with CONDSTORE on
	 * both sides only when HIGHESTMODSEQ moved, and then only what
	 * changed since the kept one (RFC 7162 §3.1.4) */
	d_r->cond = st->highestmodseq != 0 && f->highestmodseq != 0;
	d_r->changedsince = d_r->cond ? f->highestmodseq : 0;
	if (f->uidnext > 1 && (!d_r->cond || st->highestmodseq != f->highestmodseq))
		d_r->known_to = f->uidnext - 1;
}

size_t
sync_uids_after(uint32_t *uids, size_t n, uint32_t after)
{
	size_t k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (uids[i] > after)
			uids[k++] = uids[i];
	return k;
}

void
sync_uid_diff(const uint32_t *srv, size_t ns, const uint32_t *have, size_t nh, uint32_t below,
	      uint32_t *miss, size_t *nm_r, uint32_t *gone, size_t *ng_r)
{
	size_t i = 0, j = 0;
	size_t nm = 0, ng = 0;

	while (i < ns || j < nh) {
		if (j >= nh || (i < ns && srv[i] < have[j])) {
			if (srv[i] < below)
				miss[nm++] = srv[i];
			i++;
		} else if (i >= ns || have[j] < srv[i]) {
			gone[ng++] = have[j];
			j++;
		} else {
			i++;
			j++;
		}
	}
	*nm_r = nm;
	*ng_r = ng;
}

/* ---- reconcile ---------------------------------------------------------------- */

/* Makes the cache equal to the server for the selected folder's UID list:
 * deletes cached UIDs the server lacks, fetches ones the cache lacks.
 * Inside the caller's transaction. */
static enum imap_fail
reconcile(struct sync *s, struct imap_conn *c, struct cache_folder *f, uint32_t below,
	  struct imap_error *err)
{
	struct imap_cmd cmd;
	uint32_t *srv = NULL;
	uint32_t *have = NULL;
	uint32_t *miss = NULL;
	uint32_t *gone = NULL;
	size_t ns = 0, nh = 0, nm = 0, ng = 0;
	size_t k;
	enum imap_fail fl;
	bool y;

	sync_search_begin(&cmd, c);
	imap_cmd_atom(&cmd, "ALL");
	fl = sync_uid_search(&cmd, LIM_SYNC_UIDS, &srv, &ns, err);
	if (fl != IMAP_FAIL_NONE)
		return fl;
	if (cache_msg_uids(s->cache, f->id, &have, &nh) != IG_OK) {
		free(srv);
		return IMAP_FAIL_NONE;
	}
	miss = calloc(ns + 1, sizeof(*miss));
	gone = calloc(nh + 1, sizeof(*gone));
	if (miss == NULL || gone == NULL) {
		free(srv);
		free(have);
		free(miss);
		free(gone);
		imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
		return IMAP_FAIL_INTERNAL;
	}
	sync_uid_diff(srv, ns, have, nh, below, miss, &nm, gone, &ng);
	for (k = 0; k < ng; k++) {
		if (cache_msg_delete(s->cache, f->id, gone[k]) != IG_OK) {
			/* stop there; the missing ones below it are still fetched */
			while (nm > 0 && miss[nm - 1] > gone[k])
				nm--;
			break;
		}
	}
	fl = nm > 0 ? sync_fetch_batches(s, c, f, miss, nm, false, true, &y, err) : IMAP_FAIL_NONE;
	free(srv);
	free(have);
	free(miss);
	free(gone);
	return fl;
}

static bool
s_cache_lost(struct sync *s, struct imap_error *err)
{
	(void)err;
	return s->cache == NULL || cache_damaged(s->cache);
}

/* Leaves the selected state (a BAD when nothing is selected is fine).
 * False when the server lacks UNSELECT or the connection broke. */
static bool
unselect(struct imap_conn *c)
{
	struct imap_error e = {.fail = IMAP_FAIL_NONE};
	struct imap_cmd cmd;
	enum imap_fail f;

	if (!imap_conn_has_cap(c, "UNSELECT"))
		return false;
	if (!imap_conn_maybe_selected(c))
		return !imap_conn_broken(c); /* nothing selected: no round trip */
	imap_cmd_init(&cmd, c, "UNSELECT");
	f = imap_cmd_run(&cmd, NULL, NULL, NULL, &e);
	imap_cmd_free(&cmd);
	/* OK, or BAD because nothing was selected: unselected either way */
	if (!imap_conn_broken(c) && (f == IMAP_FAIL_NONE || f == IMAP_FAIL_PROTOCOL))
		imap_conn_note_unselected(c);
	return !imap_conn_broken(c);
}

/* Whether the cache holds exactly n messages of folder f. The "nothing
 * changed" shortcuts also require it: a server view taken while another
 * client appends can show a UIDNEXT past messages a search of the same
 * moment did not return, and a mailbox deleted and recreated under the
 * same name can look unchanged by UIDNEXT and HIGHESTMODSEQ alone; a count
 * that disagrees sends the call through the delta, which reconciles the
 * UID list. The count is kept by triggers: no scan. */
static bool
count_is(struct sync *s, const struct cache_folder *f, uint32_t n)
{
	size_t have = 0;

	return cache_msg_count(s->cache, f->id, &have) == IG_OK && have == n;
}

/* ---- flag check (issue 12 A12) ------------------------------------------------ */

/* Values changed inside a valid cache.db behind the sync's back (the file
 * edited while the gateway was stopped, a disk or a bug) are invisible to
 * STATUS and CONDSTORE, which only report changes on the server. So each
 * folder is compared in full with the server the first time it is synced
 * after the start, and again every flag_check_s (the rolling check): its
 * kept counts are recomputed from its rows and every row's flags compared
 * with one UID FETCH 1:* (UID FLAGS); only rows that differ are written. */

static bool
checked_has(const struct sync *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->n_checked; i++)
		if (s->checked[i] == id)
			return true;
	return s->n_checked >= LIM_IMAP_FOLDERS; /* full: no more checks until the next pass */
}

static void
checked_add(struct sync *s, int64_t id)
{
	int64_t *n;

	if (checked_has(s, id))
		return;
	n = realloc(s->checked, (s->n_checked + 1) * sizeof(*n));
	if (n == NULL)
		return;
	s->checked = n;
	s->checked[s->n_checked++] = id;
}

struct check_ctx {
	struct cache *cache;
	int64_t folder_id;
	struct buf flags;
	size_t fixed;
	bool cache_err;
};

static enum ig_err
on_check(void *ctx, const struct imap_resp *r)
{
	struct check_ctx *x = ctx;
	const struct imap_fetch *f = &r->u.fetch;
	bool fixed = false;

	if (r->type != IMAP_U_FETCH || !f->has_uid || f->uid == 0 || !f->has_flags ||
	    x->cache_err)
		return IG_OK;
	buf_reset(&x->flags);
	sync_flags_text(f, &x->flags);
	buf_puts(&x->flags, "");
	if (buf_err(&x->flags) != IG_OK ||
	    cache_msg_flags_fix(x->cache, x->folder_id, f->uid, buf_slice(&x->flags), &fixed) !=
		    IG_OK)
		x->cache_err = true;
	else if (fixed)
		x->fixed++;
	return IG_OK;
}

/* The folder (selected by EXAMINE, exists messages) compared with the
 * server once per pass. Cache trouble is not an IMAP failure. */
static enum imap_fail
flag_check(struct sync *s, struct imap_conn *c, const struct cache_folder *f, uint32_t exists,
	   struct imap_error *err)
{
	struct check_ctx x;
	enum imap_fail fl = IMAP_FAIL_NONE;

	if (s->cache == NULL || f->id == 0 || checked_has(s, f->id))
		return IMAP_FAIL_NONE;
	memset(&x, 0, sizeof(x));
	x.cache = s->cache;
	x.folder_id = f->id;
	buf_init(&x.flags, LIM_CACHE_TEXT);
	if (cache_begin(s->cache) != IG_OK) {
		buf_free(&x.flags);
		sync_note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	if (exists > 0)
		fl = imap_uid_fetch(c, "1:*", "(UID FLAGS)", 0, false, on_check, &x, err);
	buf_free(&x.flags);
	if (fl != IMAP_FAIL_NONE || x.cache_err || cache_commit(s->cache) != IG_OK) {
		cache_rollback(s->cache);
		if (fl == IMAP_FAIL_NONE)
			sync_note_cache_trouble(s);
		return fl;
	}
	checked_add(s, f->id);
	if (x.fixed > 0)
		log_warn(0, "msg=\"cached flags differed from the server; corrected\" account=%llx "
			    "rows=%zu", s->o.log_id, x.fixed);
	return IMAP_FAIL_NONE;
}

/* The first step of a folder's check: its kept counts recomputed from its
 * rows, before anything trusts them (the "nothing changed" shortcuts and
 * the delta's count check compare them with the server's). */
static void
recount(struct sync *s, const struct cache_folder *f)
{
	bool fixed = false;

	if (checked_has(s, f->id))
		return;
	if (cache_begin(s->cache) != IG_OK || cache_folder_recount(s->cache, f->id, &fixed) != IG_OK ||
	    cache_commit(s->cache) != IG_OK) {
		sync_note_cache_trouble(s);
		return;
	}
	if (fixed)
		log_warn(0, "msg=\"cached folder counts differed from the rows; corrected\" "
			    "account=%llx", s->o.log_id);
}

/* ---- the steps of a folder sync ------------------------------------------------ */

/* Step 1: the folder's cache row (*have_r: there is one), its kept counts
 * checked first (recount). False when the cache cannot be used now: the
 * caller then only selects the folder and serves from IMAP. */
static bool
folder_load(struct sync *s, const char *name, struct cache_folder *f, bool *have_r)
{
	enum ig_err ce;

	*have_r = false;
	memset(f, 0, sizeof(*f));
	if (s->cache == NULL || cache_check(s->cache, NULL) != IG_OK) {
		sync_note_cache_trouble(s);
		if (s->cache == NULL)
			return false;
	}
	ce = cache_folder_get(s->cache, sl_from_cstr(s->o.account), sl_from_cstr(name), f);
	if (ce != IG_OK && ce != IG_ENOTFOUND) {
		sync_note_cache_trouble(s);
		return false;
	}
	*have_r = ce == IG_OK;
	if (*have_r)
		recount(s, f);
	return s->cache != NULL;
}

/* Step 2 (a synced folder with a HIGHESTMODSEQ): STATUS instead of EXAMINE.
 * *done_r when the caller returns what this returns: nothing changed (f is
 * the answer, cached), or the connection broke. */
static enum imap_fail
folder_status(struct sync *s, struct imap_conn *c, const char *name, const struct cache_folder *f,
	      struct cache_folder *f_r, bool *cached_r, bool *done_r, struct imap_error *err)
{
	struct imap_folder fo;
	struct imap_error e2 = {.fail = IMAP_FAIL_NONE};

	*done_r = false;
	/* STATUS costs a fraction of EXAMINE on a big folder; with
	 * CONDSTORE an unchanged HIGHESTMODSEQ means no flag change
	 * and no expunge (RFC 7162 §3.1.2.1, §3.2.10). */
	/* STATUS of the mailbox this connection has selected answers
	 * from the session's (possibly stale) view in Dovecot, even
	 * after the mailbox was deleted and recreated: leave the
	 * selected state first (UNSELECT, RFC 3691). */
	memset(&fo, 0, sizeof(fo));
	if (unselect(c) && imap_status(c, name, &fo, &e2) == IMAP_FAIL_NONE &&
	    sync_status_unchanged(f, &fo) && count_is(s, f, fo.messages) && checked_has(s, f->id)) {
		*f_r = *f;
		*cached_r = true;
		*done_r = true;
		return IMAP_FAIL_NONE;
	}
	if (imap_conn_broken(c)) {
		if (e2.fail == IMAP_FAIL_NONE) /* UNSELECT met the drop */
			imap_error_set(&e2, IMAP_FAIL_CONN_LOST, "connection lost");
		*err = e2;
		*done_r = true;
		return e2.fail;
	}
	return IMAP_FAIL_NONE;
}

/* Step 3: EXAMINE (read-only: syncing never changes \Recent or \Seen). A
 * folder the server no longer has is dropped from the cache; a stale
 * session is retired. */
static enum imap_fail
folder_examine(struct sync *s, struct imap_conn *c, const char *name, bool have,
	       const struct cache_folder *f, struct imap_mailbox_state *st,
	       struct imap_error *err)
{
	bool was_selected = imap_conn_maybe_selected(c);
	enum imap_fail fl;

	fl = imap_select(c, name, true, 0, 0, st, err);
	if (fl != IMAP_FAIL_NONE) {
		if (fl == IMAP_FAIL_NOT_FOUND && was_selected && !imap_conn_broken(c)) {
			/* Dovecot refuses a mailbox another client deleted and
			 * recreated while this session had one open ("deleted
			 * under us"): only a new session knows. A read job is
			 * retried once on it, where NOT_FOUND is final. */
			imap_conn_retire(c);
			imap_error_set(err, IMAP_FAIL_CONN_LOST, "the session's view was stale");
			return IMAP_FAIL_CONN_LOST;
		}
		if (fl == IMAP_FAIL_NOT_FOUND && have && cache_begin(s->cache) == IG_OK) {
			if (cache_folder_drop(s->cache, f->id) != IG_OK ||
			    cache_commit(s->cache) != IG_OK)
				sync_note_cache_trouble(s);
		}
	}
	return fl;
}

/* Step 4 (sync_needs_reset): a new folder, or one whose UIDVALIDITY
 * changed, starts over with no rows (RFC 3501 §2.3.1.1: its old UIDs mean
 * nothing now). False on cache trouble (already noted). */
static bool
folder_reset(struct sync *s, const char *name, bool have, struct cache_folder *f,
	     uint32_t uidvalidity)
{
	if (have)
		log_info(0, "msg=\"UIDVALIDITY changed; folder resynced\" account=%llx",
			 s->o.log_id);
	if (cache_begin(s->cache) != IG_OK ||
	    cache_folder_reset(s->cache, sl_from_cstr(s->o.account), sl_from_cstr(name),
			       uidvalidity, f) != IG_OK ||
	    cache_commit(s->cache) != IG_OK) {
		sync_note_cache_trouble(s);
		return false;
	}
	return true;
}

/* f's state saved in its own transaction; false on cache trouble (noted). */
static bool
folder_put(struct sync *s, const struct cache_folder *f)
{
	if (cache_begin(s->cache) != IG_OK || cache_folder_put(s->cache, f) != IG_OK ||
	    cache_commit(s->cache) != IG_OK) {
		sync_note_cache_trouble(s);
		return false;
	}
	return true;
}

/* Step 5 (a folder not synced yet): the initial sync, UID SEARCH of what
 * follows sync_uid and the fetch in committed batches; it can pause
 * (*yielded_r) and resume where it stopped. *done_r unless it completed
 * and the caller goes on to a delta. */
static enum imap_fail
folder_initial(struct sync *s, struct imap_conn *c, struct cache_folder *f,
	       const struct imap_mailbox_state *st, bool *yielded_r, bool *done_r,
	       struct imap_error *err)
{
	struct imap_cmd cmd;
	uint32_t *uids = NULL;
	size_t n = 0;
	int64_t t0;
	enum imap_fail fl;

	*done_r = true;
	if (sync_keeps_start_modseq(f, st)) {
		f->highestmodseq = st->highestmodseq; /* see the file comment of sync.c */
		if (!folder_put(s, f))
			return IMAP_FAIL_NONE;
	}
	sync_search_begin(&cmd, c);
	imap_cmd_atomf(&cmd, "UID %u:*", f->sync_uid + 1);
	fl = sync_uid_search(&cmd, LIM_SYNC_UIDS, &uids, &n, err);
	if (fl != IMAP_FAIL_NONE)
		return fl;
	n = sync_uids_after(uids, n, f->sync_uid);
	t0 = imap_now_ms();
	fl = sync_fetch_batches(s, c, f, uids, n, true, false, yielded_r, err);
	free(uids);
	log_info(0, "msg=\"initial sync %s\" account=%llx messages=%zu ms=%lld",
		 fl != IMAP_FAIL_NONE ? "failed" : *yielded_r ? "paused" : "batches done",
		 s->o.log_id, n, (long long)(imap_now_ms() - t0));
	if (fl != IMAP_FAIL_NONE || *yielded_r || s_cache_lost(s, err))
		return fl;
	f->synced = true;
	f->uidnext = st->uidnext;
	if (!folder_put(s, f))
		return IMAP_FAIL_NONE;
	*done_r = false;
	return IMAP_FAIL_NONE;
}

/* Step 6b: after the delta's fetches the cached count must equal EXISTS;
 * otherwise the UID lists are reconciled, then the kept count recounted.
 * Inside the delta's transaction. *failed_r: the caller rolls back (with
 * what this returns). Otherwise IMAP_FAIL_CONN_LOST means the session
 * contradicts itself: rows kept and committed, the connection retired. */
static enum imap_fail
count_check(struct sync *s, struct imap_conn *c, struct cache_folder *f,
	    const struct imap_mailbox_state *st, bool *failed_r, struct imap_error *err)
{
	size_t count = 0;
	enum imap_fail fl;

	*failed_r = true;
	if (cache_msg_count(s->cache, f->id, &count) != IG_OK)
		return IMAP_FAIL_NONE;
	if (count != st->exists) {
		fl = reconcile(s, c, f, st->uidnext, err);
		if (fl != IMAP_FAIL_NONE || s_cache_lost(s, err))
			return fl;
		if (cache_msg_count(s->cache, f->id, &count) != IG_OK)
			return IMAP_FAIL_NONE;
	}
	if (count != st->exists) {
		/* the kept count itself may be what is wrong (edited
		 * behind the sync's back): recount the rows first */
		bool fixed = false;

		if (cache_folder_recount(s->cache, f->id, &fixed) != IG_OK ||
		    cache_msg_count(s->cache, f->id, &count) != IG_OK)
			return IMAP_FAIL_NONE;
		if (fixed)
			log_warn(0, "msg=\"cached folder counts differed from the rows; "
				    "corrected\" account=%llx", s->o.log_id);
	}
	if (count != st->exists) {
		/* The session contradicts itself (EXISTS vs UID SEARCH
		 * ALL): a Dovecot process can keep a stale view of a
		 * mailbox another client deleted and recreated. Keep the
		 * rows, do not advance the folder's state, and reconnect:
		 * a read job is retried on the new session. */
		if (cache_commit(s->cache) != IG_OK)
			return IMAP_FAIL_NONE;
		*failed_r = false;
		log_warn(0, "msg=\"server view inconsistent; reconnecting\" account=%llx "
			    "exists=%u cached=%zu", s->o.log_id, st->exists, count);
		imap_conn_retire(c);
		imap_error_set(err, IMAP_FAIL_CONN_LOST,
			       "the server's view of the folder was inconsistent");
		return IMAP_FAIL_CONN_LOST;
	}
	*failed_r = false;
	return IMAP_FAIL_NONE;
}

/* Step 6 (something changed): the delta in one transaction, committed
 * with the new UIDNEXT/HIGHESTMODSEQ: new messages, flag changes and
 * expunges (sync_delta_plan), then the count check. *done_r unless it was
 * applied and the caller finishes the folder. */
static enum imap_fail
folder_delta(struct sync *s, struct imap_conn *c, struct cache_folder *f,
	     const struct imap_mailbox_state *st, bool *done_r, struct imap_error *err)
{
	struct sync_delta d;
	int64_t t_delta = imap_now_ms();
	enum imap_fail fl;
	bool failed = false;

	*done_r = true;
	if (cache_begin(s->cache) != IG_OK) {
		sync_note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	sync_delta_plan(f, st, &d);
	fl = sync_fetch_new(s, c, f, &d, &failed, err);
	if (fl != IMAP_FAIL_NONE || failed)
		goto fail;
	fl = sync_fetch_changes(s, c, f, &d, &failed, err);
	if (fl != IMAP_FAIL_NONE || failed)
		goto fail;
	fl = count_check(s, c, f, st, &failed, err);
	if (failed)
		goto fail;
	if (fl != IMAP_FAIL_NONE)
		return fl;
	f->uidnext = st->uidnext;
	f->highestmodseq = st->highestmodseq;
	if (cache_folder_put(s->cache, f) != IG_OK || cache_commit(s->cache) != IG_OK)
		goto fail;
	log_info(0, "msg=\"delta applied\" account=%llx uidnext=%u ms=%lld", s->o.log_id,
		 f->uidnext, (long long)(imap_now_ms() - t_delta));
	*done_r = false;
	return IMAP_FAIL_NONE;
fail:
	cache_rollback(s->cache);
	sync_note_cache_trouble(s);
	return fl;
}

/* Step 7: the folder is up to date; the flag check once per pass, then f
 * is the answer. */
static enum imap_fail
folder_done(struct sync *s, struct imap_conn *c, const struct cache_folder *f, uint32_t exists,
	    struct cache_folder *f_r, bool *cached_r, struct imap_error *err)
{
	enum imap_fail fl;

	fl = flag_check(s, c, f, exists, err);
	if (fl != IMAP_FAIL_NONE)
		return fl;
	*f_r = *f;
	*cached_r = s->cache != NULL;
	return IMAP_FAIL_NONE;
}

enum imap_fail
sync_folder_sync(struct sync *s, struct imap_conn *c, const char *name, bool initial_ok,
		 struct cache_folder *f_r, bool *cached_r, bool *yielded_r, struct imap_error *err)
{
	struct imap_mailbox_state st;
	struct cache_folder f;
	enum imap_fail fl;
	bool have;
	bool done;

	*cached_r = false;
	*yielded_r = false;
	memset(f_r, 0, sizeof(*f_r));
	if (!folder_load(s, name, &f, &have))
		return imap_select(c, name, true, 0, 0, &st, err);
	if (sync_status_usable(have, &f)) {
		fl = folder_status(s, c, name, &f, f_r, cached_r, &done, err);
		if (done)
			return fl;
	}
	fl = folder_examine(s, c, name, have, &f, &st, err);
	if (fl != IMAP_FAIL_NONE)
		return fl;
	if (st.uidvalidity == 0) {
		/* no UIDVALIDITY: nothing can be cached safely */
		return IMAP_FAIL_NONE;
	}
	if (sync_needs_reset(have, &f, st.uidvalidity) && !folder_reset(s, name, have, &f,
									  st.uidvalidity))
		return IMAP_FAIL_NONE;
	if (!f.synced) {
		if (!initial_ok) {
			*f_r = f;
			return IMAP_FAIL_NONE;
		}
		fl = folder_initial(s, c, &f, &st, yielded_r, &done, err);
		if (done)
			return fl;
		/* fall through to a delta: catches what changed meanwhile */
	}
	if (sync_delta_unchanged(&f, &st) && count_is(s, &f, st.exists)) {
		/* nothing changed (RFC 7162 §3.1.2.1) */
		return folder_done(s, c, &f, st.exists, f_r, cached_r, err);
	}
	fl = folder_delta(s, c, &f, &st, &done, err);
	if (done)
		return fl;
	return folder_done(s, c, &f, st.exists, f_r, cached_r, err);
}
