/* The sync engine (imap/sync.h; DESIGN §7, §13).
 *
 * RFC 3501 (UID FETCH, SEARCH, EXAMINE), RFC 4731 (ESEARCH), RFC 7162
 * (CONDSTORE: MODSEQ, CHANGEDSINCE, HIGHESTMODSEQ; QRESYNC: VANISHED).
 *
 * Crash safety comes from the transaction boundaries: an initial-sync batch
 * commits its rows together with the folder's sync_uid, and a delta commits
 * its rows together with uidnext/highestmodseq, so a kill -9 leaves the
 * folder at the last committed state and the next run redoes the rest (rows
 * are upserts keyed by uid: redoing never duplicates).
 *
 * The initial sync keeps the HIGHESTMODSEQ seen when it started, not the one
 * at its end: changes to messages already fetched while later batches were
 * still running are then picked up by the first CHANGEDSINCE delta.
 *
 * This file holds the struct sync (open/close, the idle passes over the
 * warm folders, cache trouble) and the public entry points; one folder's
 * sync is sync_folder.c, the fetches sync_fetch.c, the envelope
 * conversion sync_conv.c (imap/sync_int.h lists them). */
#include "imap/sync.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"
#include "store/audit.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/sync_int.h"
#include "imap/tls.h"
#include "imap/worker.h"

/* ---- cache trouble -------------------------------------------------------- */

bool
sync_should_yield(struct sync *s)
{
	return s->yield_w != NULL && wk_jobs_waiting(s->yield_w);
}

/* DESIGN §9: a cache rebuild is an audit event (kind "cache"). */
static void
audit_rebuild(struct sync *s, const char *reason)
{
	struct json_object *f;

	if (s->o.audit == NULL)
		return;
	f = json_object_new_object();
	json_object_object_add(f, "event", json_object_new_string("rebuild"));
	json_object_object_add(f, "reason", json_object_new_string(reason));
	if (audit_append(s->o.audit, "cache", NULL, s->o.account, f, false) != IG_OK)
		log_warn(0, "msg=\"audit write failed for a cache rebuild\" account=%llx",
			 s->o.log_id);
	json_object_put(f);
}

void
sync_note_cache_trouble(struct sync *s)
{
	bool changed = false;

	if (s->cache == NULL)
		return;
	cache_rollback(s->cache);
	if (cache_damaged(s->cache)) {
		log_error(0, "msg=\"cache rebuild\" account=%llx", s->o.log_id);
		audit_rebuild(s, "damage found while in use");
		if (cache_check(s->cache, &changed) != IG_OK) {
			cache_close(s->cache);
			s->cache = NULL;
			s->cache_failed = true;
		}
		s->warm_listed = false;
		s->idle_done = false;
	}
}

/* ---- warm folders ------------------------------------------------------------ */

static void
warm_free(struct sync *s)
{
	size_t i;

	for (i = 0; i < s->n_warm; i++)
		free(s->warm[i]);
	free(s->warm);
	s->warm = NULL;
	s->n_warm = 0;
	s->warm_listed = false;
}

void
sync_warm_add(struct sync *s, const char *name, size_t len)
{
	size_t i;
	char **nw;

	if (len == 0 || len > LIM_IMAP_MAILBOX || s->n_warm >= LIM_SYNC_WARM)
		return;
	for (i = 0; i < s->n_warm; i++)
		if (strlen(s->warm[i]) == len && memcmp(s->warm[i], name, len) == 0)
			return;
	nw = realloc(s->warm, (s->n_warm + 1) * sizeof(*nw));
	if (nw == NULL)
		return;
	s->warm = nw;
	s->warm[s->n_warm] = strndup(name, len);
	if (s->warm[s->n_warm] != NULL)
		s->n_warm++;
}

static void
warm_recent(void *ctx, struct slice name)
{
	struct sync *s = ctx;

	if (memchr(name.p, '\0', name.len) == NULL)
		sync_warm_add(s, name.p, name.len);
}

void
sync_warm_config(struct sync *s)
{
	const char *p = s->o.warm_folders;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		const char *q = p;

		while (n > 0 && (*q == ' ' || *q == '\t')) {
			q++;
			n--;
		}
		while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		sync_warm_add(s, q, n);
		p = e != NULL ? e + 1 : p + strlen(p);
	}
}

/* The folders the idle sync keeps warm: the configured ones, or INBOX and
 * the special-use folders; and those a tool used lately. */
static enum imap_fail
warm_list(struct sync *s, struct imap_conn *c, struct imap_error *err)
{
	warm_free(s);
	if (s->o.warm_folders != NULL) {
		sync_warm_config(s);
	} else {
		struct imap_folder_list l = {NULL, 0};
		size_t skipped = 0;
		enum imap_fail fl;
		size_t i;

		sync_warm_add(s, "INBOX", 5);
		fl = imap_list_folders(c, false, &l, &skipped, err);
		if (fl != IMAP_FAIL_NONE)
			return fl;
		for (i = 0; i < l.n; i++)
			if (l.f[i].special_use != NULL && !l.f[i].noselect)
				sync_warm_add(s, l.f[i].name, strlen(l.f[i].name));
		imap_folder_list_free(&l);
	}
	if (s->cache != NULL &&
	    cache_folder_recent(s->cache, sl_from_cstr(s->o.account),
				(int64_t)time(NULL) - LIM_SYNC_RECENT_S, warm_recent, s) != IG_OK)
		sync_note_cache_trouble(s);
	s->warm_listed = true;
	return IMAP_FAIL_NONE;
}

/* ---- public ------------------------------------------------------------------- */

static unsigned
check_interval_s(const struct sync *s)
{
	return s->o.flag_check_s != 0 ? s->o.flag_check_s : LIM_SYNC_FLAG_CHECK_S;
}

void *
sync_ctx_open(void *opts)
{
	const struct sync_opts *o = opts;
	struct sync *s = calloc(1, sizeof(*s));
	const char *e = NULL;
	bool rebuilt = false;

	if (s == NULL)
		return NULL;
	s->o = *o;
	if (o->file == NULL || cache_open(o->file, &s->cache, &rebuilt, &e) != IG_OK) {
		if (o->file != NULL)
			log_error(0, "msg=\"cache unavailable; serving from IMAP\" account=%llx error=\"%s\"",
				  o->log_id, e != NULL ? e : "");
		s->cache_failed = true;
		s->cache = NULL;
	} else if (rebuilt) {
		log_warn(0, "msg=\"cache rebuilt at open\" account=%llx", o->log_id);
		audit_rebuild(s, "damaged, foreign or other-version file at open");
	}
	if (s->cache != NULL)
		s->cache_gen = cache_generation(s->cache);
	s->check_at_ms = imap_now_ms() + (int64_t)check_interval_s(s) * 1000;
	return s;
}

void
sync_ctx_close(void *sync)
{
	struct sync *s = sync;

	if (s == NULL)
		return;
	cache_close(s->cache);
	warm_free(s);
	free(s->checked);
	free(s);
}

void
sync_folders_changed(struct sync *s)
{
	s->warm_listed = false;
	s->idle_done = false;
}

bool
sync_idle_want(void *sync, int64_t now_ms)
{
	struct sync *s = sync;

	if (s->cache == NULL || now_ms < s->retry_at_ms)
		return false;
	if (cache_generation(s->cache) != s->cache_gen) {
		/* another account's worker rebuilt the file: start over */
		s->cache_gen = cache_generation(s->cache);
		s->idle_done = false;
		s->warm_listed = false;
	}
	if (now_ms >= s->check_at_ms) {
		/* the rolling flag check: every folder is compared again on
		 * its next sync, the warm ones by this idle pass */
		s->n_checked = 0;
		s->idle_done = false;
		s->check_at_ms = now_ms + (int64_t)check_interval_s(s) * 1000;
	}
	return !s->idle_done;
}

void
sync_idle_run(void *sync, struct wk *w, struct imap_conn *c, struct imap_error *err)
{
	struct sync *s = sync;
	enum imap_fail fl = IMAP_FAIL_NONE;
	size_t i;

	s->yield_w = w;
	if (!s->warm_listed)
		fl = warm_list(s, c, err);
	for (i = 0; fl == IMAP_FAIL_NONE && i < s->n_warm; i++) {
		struct cache_folder f;
		bool cached;
		bool yielded;

		fl = sync_folder_sync(s, c, s->warm[i], true, &f, &cached, &yielded, err);
		if (fl == IMAP_FAIL_NOT_FOUND) {
			fl = IMAP_FAIL_NONE; /* a configured folder that does not exist */
			memset(err, 0, sizeof(*err));
			continue;
		}
		if (yielded || s->cache == NULL)
			goto out;
		if (sync_should_yield(s))
			goto out;
	}
	for (i = 0; fl == IMAP_FAIL_NONE && s->o.index_bodies > 0 && i < s->n_warm; i++) {
		bool more = true;
		bool selected = false;

		while (more && fl == IMAP_FAIL_NONE && s->cache != NULL) {
			fl = sync_bodies_batch(s, c, s->warm[i], &selected, &more, err);
			if (more && sync_should_yield(s))
				goto out;
		}
	}
	if (fl == IMAP_FAIL_NONE) {
		s->idle_done = true;
	} else {
		log_warn(0, "msg=\"background sync failed\" account=%llx error=%s", s->o.log_id,
			 imap_fail_str(fl));
		s->retry_at_ms = imap_now_ms() + (int64_t)LIM_SYNC_RETRY_S * 1000;
	}
out:
	s->yield_w = NULL;
}

struct sync *
sync_of_job(const struct wk_job *job)
{
	return job->ctx;
}

struct cache *
sync_cache(struct sync *s)
{
	if (s == NULL || s->cache == NULL)
		return NULL;
	if (cache_check(s->cache, NULL) != IG_OK) {
		sync_note_cache_trouble(s);
		return NULL;
	}
	return s->cache;
}

enum imap_fail
sync_folder_fresh(struct sync *s, struct imap_conn *c, const char *folder, struct cache_folder *f_r,
		  bool *cached_r, struct imap_error *err)
{
	struct imap_mailbox_state st;
	enum imap_fail fl;
	bool yielded;

	*cached_r = false;
	memset(f_r, 0, sizeof(*f_r));
	if (s == NULL || s->cache == NULL)
		return imap_select(c, folder, true, 0, 0, &st, err);
	fl = sync_folder_sync(s, c, folder, false, f_r, cached_r, &yielded, err);
	if (fl == IMAP_FAIL_NONE && s->cache != NULL && f_r->id != 0) {
		if (cache_folder_touch(s->cache, f_r->id, (int64_t)time(NULL)) != IG_OK)
			sync_note_cache_trouble(s);
		if (!*cached_r) {
			/* not synced yet: have the idle sync take it up */
			sync_warm_add(s, folder, strlen(folder));
			s->idle_done = false;
			s->retry_at_ms = 0;
		}
	}
	return fl;
}

enum imap_fail
sync_folder_now(struct sync *s, struct imap_conn *c, const char *folder, struct imap_error *err)
{
	struct cache_folder f;
	bool cached;

	return sync_folder_fresh(s, c, folder, &f, &cached, err);
}
