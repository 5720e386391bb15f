/* cache.db's folder rows (store/cache.h cache_folder_*): the per-folder
 * sync state read back validated, created, reset on a UIDVALIDITY change,
 * saved, touched, dropped (with their messages), and the kept counts. */
#include "store/cache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/utf8.h"
#include "store/cache_int.h"

static bool
folder_read(sqlite3_stmt *s, struct cache_folder *f)
{
	int64_t v;

	memset(f, 0, sizeof(*f));
	if (!cache_col_i64(s, 0, 1, INT64_MAX, &f->id) || !cache_col_u32(s, 1, &f->uidvalidity) ||
	    !cache_col_u32(s, 2, &f->uidnext) || !cache_col_i64(s, 3, 0, INT64_MAX, &v) ||
	    !cache_col_bool(s, 4, &f->synced) || !cache_col_u32(s, 5, &f->sync_uid) ||
	    !cache_col_i64(s, 6, 0, INT64_MAX, &f->last_used))
		return false;
	f->highestmodseq = (uint64_t)v;
	return true;
}


/* ---- folders -------------------------------------------------------------- */

enum ig_err
cache_folder_get(struct cache *c, struct slice account, struct slice name, struct cache_folder *f_r)
{
	sqlite3_stmt *s;
	enum ig_err err = IG_EDB;
	int rc;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_FOLDER_GET);
	if (account.len > LIM_CACHE_TEXT || name.len > LIM_CACHE_TEXT)
		return IG_ELIMIT;
	(void)cache_bind_sl(s, 1, account);
	(void)cache_bind_sl(s, 2, name);
	rc = cache_rc_note(c, sqlite3_step(s));
	if (rc == SQLITE_DONE) {
		err = IG_ENOTFOUND;
	} else if (rc == SQLITE_ROW) {
		if (folder_read(s, f_r)) {
			err = IG_OK;
		} else {
			cache_mark_damaged(c, "folder row");
		}
	}
	(void)sqlite3_reset(s);
	return err;
}

enum ig_err
cache_body_count(struct cache *c, int64_t folder_id, size_t *n_r)
{
	sqlite3_stmt *s;
	enum ig_err err = IG_EDB;
	int64_t n = 0;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_FOLDER_BODIES);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	if (cache_rc_note(c, sqlite3_step(s)) == SQLITE_ROW && cache_col_i64(s, 0, 0, INT64_MAX, &n)) {
		*n_r = (size_t)n;
		err = IG_OK;
	}
	(void)sqlite3_reset(s);
	return err;
}

enum ig_err
cache_folder_reset(struct cache *c, struct slice account, struct slice name, uint32_t uidvalidity,
		   struct cache_folder *f_r)
{
	enum ig_err err = cache_folder_get(c, account, name, f_r);
	sqlite3_stmt *s;

	if (err == IG_ENOTFOUND) {
		s = cache_stmt(c, ST_FOLDER_INSERT);
		(void)cache_bind_sl(s, 1, account);
		(void)cache_bind_sl(s, 2, name);
		(void)sqlite3_bind_int64(s, 3, uidvalidity);
		if ((err = cache_step_done(c, s)) != IG_OK)
			return err;
		return cache_folder_get(c, account, name, f_r);
	}
	if (err != IG_OK)
		return err;
	s = cache_stmt(c, ST_MSG_DELETE_FOLDER);
	(void)sqlite3_bind_int64(s, 1, f_r->id);
	if ((err = cache_step_done(c, s)) != IG_OK)
		return err;
	s = cache_stmt(c, ST_FOLDER_RESET);
	(void)sqlite3_bind_int64(s, 1, f_r->id);
	(void)sqlite3_bind_int64(s, 2, uidvalidity);
	if ((err = cache_step_done(c, s)) != IG_OK)
		return err;
	return cache_folder_get(c, account, name, f_r);
}

enum ig_err
cache_folder_put(struct cache *c, const struct cache_folder *f)
{
	sqlite3_stmt *s;

	if (!cache_usable(c) || f->highestmodseq > INT64_MAX)
		return IG_EDB;
	s = cache_stmt(c, ST_FOLDER_PUT);
	(void)sqlite3_bind_int64(s, 1, f->id);
	(void)sqlite3_bind_int64(s, 2, f->uidnext);
	(void)sqlite3_bind_int64(s, 3, (sqlite3_int64)f->highestmodseq);
	(void)sqlite3_bind_int(s, 4, f->synced ? 1 : 0);
	(void)sqlite3_bind_int64(s, 5, f->sync_uid);
	return cache_step_done(c, s);
}

enum ig_err
cache_folder_touch(struct cache *c, int64_t folder_id, int64_t now)
{
	sqlite3_stmt *s;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_FOLDER_TOUCH);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, now);
	return cache_step_done(c, s);
}

enum ig_err
cache_folder_drop(struct cache *c, int64_t folder_id)
{
	sqlite3_stmt *s;
	enum ig_err err;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_MSG_DELETE_FOLDER);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	if ((err = cache_step_done(c, s)) != IG_OK)
		return err;
	s = cache_stmt(c, ST_FOLDER_DROP);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	return cache_step_done(c, s);
}

enum ig_err
cache_folder_drop_tree(struct cache *c, struct slice account, struct slice name, char delim)
{
	char prefix[LIM_IMAP_MAILBOX + 2];
	sqlite3_stmt *s;
	enum ig_err err;
	int i;

	if (!cache_usable(c) || name.len == 0 || name.len > LIM_IMAP_MAILBOX)
		return IG_EDB;
	memcpy(prefix, name.p, name.len);
	prefix[name.len] = delim;
	/* messages first: the FTS delete trigger needs each row */
	for (i = 0; i < 2; i++) {
		s = cache_stmt(c, i == 0 ? ST_MSG_DELETE_TREE : ST_FOLDER_DROP_TREE);
		(void)cache_bind_sl(s, 1, account);
		(void)cache_bind_sl(s, 2, name);
		if (delim != 0)
			(void)cache_bind_sl(s, 3, (struct slice){prefix, name.len + 1});
		if ((err = cache_step_done(c, s)) != IG_OK)
			return err;
	}
	return IG_OK;
}

enum ig_err
cache_folder_recent(struct cache *c, struct slice account, int64_t since,
		    void (*fn)(void *ctx, struct slice name), void *ctx)
{
	sqlite3_stmt *s;
	struct slice name;
	int rc;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_FOLDER_RECENT);
	(void)cache_bind_sl(s, 1, account);
	(void)sqlite3_bind_int64(s, 2, since);
	while ((rc = cache_rc_note(c, sqlite3_step(s))) == SQLITE_ROW) {
		if (!cache_col_text(s, 0, &name) || name.len > LIM_IMAP_MAILBOX) {
			cache_mark_damaged(c, "folder name");
			break;
		}
		fn(ctx, name);
	}
	(void)sqlite3_reset(s);
	return rc == SQLITE_DONE ? IG_OK : IG_EDB;
}


/* The folder's kept counts: messages, unread. */
enum ig_err
cache_folder_counts(struct cache *c, int64_t folder_id, int64_t *n_r, int64_t *unseen_r)
{
	sqlite3_stmt *s = cache_stmt(c, ST_MSG_COUNT);
	enum ig_err err = IG_EDB;
	int rc;

	(void)sqlite3_bind_int64(s, 1, folder_id);
	rc = cache_rc_note(c, sqlite3_step(s));
	if (rc == SQLITE_ROW) {
		if (cache_col_i64(s, 0, 0, INT64_MAX, n_r) && cache_col_i64(s, 1, 0, *n_r, unseen_r))
			err = IG_OK;
		else
			cache_mark_damaged(c, "folder counts");
	} else if (rc == SQLITE_DONE) {
		*n_r = *unseen_r = 0;
		err = IG_OK;
	}
	(void)sqlite3_reset(s);
	return err;
}

