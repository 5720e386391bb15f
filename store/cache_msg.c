/* cache.db's message rows (store/cache.h cache_msg_*, cache_body_*): the
 * sanitized envelopes read back validated, written, their flags updated,
 * deleted, listed and counted, and the indexed body text. */
#include "store/cache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/utf8.h"
#include "store/cache_int.h"

/* Reads MSG_COLS starting at column 0; false when any value is invalid. */
bool
cache_msg_read(sqlite3_stmt *s, struct cache_msg *m)
{
	int64_t v;
	bool b[5];
	int i;

	memset(m, 0, sizeof(*m));
	if (!cache_col_u32(s, 0, &m->uidvalidity) || m->uidvalidity == 0 || !cache_col_u32(s, 1, &m->uid) ||
	    m->uid == 0 || !cache_col_i64(s, 2, 0, INT64_MAX, &v))
		return false;
	m->modseq = (uint64_t)v;
	if (!cache_col_i64(s, 3, -((int64_t)1 << 40), (int64_t)1 << 40, &m->internaldate) ||
	    !cache_col_u32(s, 4, &m->size) || !cache_col_text(s, 5, &m->flags))
		return false;
	for (i = 0; i < 5; i++)
		if (!cache_col_bool(s, 6 + i, &b[i]))
			return false;
	m->flag_bits = (b[0] ? CACHE_SEEN : 0) | (b[1] ? CACHE_FLAGGED : 0) |
		       (b[2] ? CACHE_ANSWERED : 0) | (b[3] ? CACHE_DRAFT : 0) |
		       (b[4] ? CACHE_DELETED : 0);
	if (!cache_col_text(s, 11, &m->date) || !cache_col_text(s, 12, &m->subject) ||
	    !cache_col_text(s, 13, &m->from_json) || !cache_col_text(s, 14, &m->to_json) ||
	    !cache_col_text(s, 15, &m->cc_json) || !cache_col_text(s, 16, &m->from_text) ||
	    !cache_col_text(s, 17, &m->to_text) || !cache_col_text(s, 18, &m->cc_text) ||
	    !cache_col_text(s, 19, &m->message_id) || !cache_col_text(s, 20, &m->in_reply_to) ||
	    !cache_col_text(s, 21, &m->references) || !cache_col_text(s, 22, &m->list_id) ||
	    !cache_col_bool(s, 23, &m->has_attachment) || !cache_col_text(s, 24, &m->warnings_json) ||
	    !cache_col_bool(s, 25, &m->has_body))
		return false;
	return true;
}


/* ---- messages ------------------------------------------------------------- */

/* Derives the system-flag bits from a space-separated flag list. */
static unsigned
flag_bits(struct slice flags)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {{"\\seen", CACHE_SEEN},
		     {"\\flagged", CACHE_FLAGGED},
		     {"\\answered", CACHE_ANSWERED},
		     {"\\draft", CACHE_DRAFT},
		     {"\\deleted", CACHE_DELETED}};
	unsigned bits = 0;
	size_t i = 0;

	while (i < flags.len) {
		size_t j = i;
		size_t k;

		while (j < flags.len && flags.p[j] != ' ')
			j++;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (j - i == strlen(known[k].name) &&
			    strncasecmp(flags.p + i, known[k].name, j - i) == 0)
				bits |= known[k].bit;
		i = j + 1;
	}
	return bits;
}

/* Binds a flag list at column col and its five system-flag columns
 * (seen, flagged, answered, draft, deleted) at col+1 .. col+5. */
static void
bind_flags(sqlite3_stmt *s, int col, struct slice flags)
{
	unsigned bits = flag_bits(flags);

	(void)cache_bind_sl(s, col, flags);
	(void)sqlite3_bind_int(s, col + 1, (bits & CACHE_SEEN) != 0);
	(void)sqlite3_bind_int(s, col + 2, (bits & CACHE_FLAGGED) != 0);
	(void)sqlite3_bind_int(s, col + 3, (bits & CACHE_ANSWERED) != 0);
	(void)sqlite3_bind_int(s, col + 4, (bits & CACHE_DRAFT) != 0);
	(void)sqlite3_bind_int(s, col + 5, (bits & CACHE_DELETED) != 0);
}

enum ig_err
cache_msg_put(struct cache *c, int64_t folder_id, const struct cache_msg *m)
{
	const struct slice *texts[] = {&m->date,      &m->subject,	&m->from_json,
				       &m->to_json,   &m->cc_json,	&m->from_text,
				       &m->to_text,   &m->cc_text,	&m->message_id,
				       &m->in_reply_to, &m->references, &m->list_id,
				       &m->warnings_json};
	sqlite3_stmt *s;
	size_t i;

	if (!cache_usable(c))
		return IG_EDB;
	if (m->uid == 0 || m->uidvalidity == 0 || m->modseq > INT64_MAX)
		return IG_EINVAL;
	if (m->flags.len > LIM_CACHE_TEXT)
		return IG_ELIMIT;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i]->len > LIM_CACHE_TEXT)
			return IG_ELIMIT;
	s = cache_stmt(c, ST_MSG_PUT);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, m->uidvalidity);
	(void)sqlite3_bind_int64(s, 3, m->uid);
	(void)sqlite3_bind_int64(s, 4, (sqlite3_int64)m->modseq);
	(void)sqlite3_bind_int64(s, 5, m->internaldate);
	(void)sqlite3_bind_int64(s, 6, m->size);
	bind_flags(s, 7, m->flags);
	for (i = 0; i < 12; i++)
		(void)cache_bind_sl(s, 13 + (int)i, *texts[i]);
	(void)sqlite3_bind_int(s, 25, m->has_attachment ? 1 : 0);
	(void)cache_bind_sl(s, 26, m->warnings_json);
	if (cache_step_done(c, s) != IG_OK)
		return IG_EDB;
	c->fts_dirty = true;
	/* outside a transaction: index it now (a crash in between is
	 * repaired by the next flush, which takes every id > mark) */
	return c->in_tx ? IG_OK : cache_fts_flush(c);
}

enum ig_err
cache_msg_flags(struct cache *c, int64_t folder_id, uint32_t uid, struct slice flags,
		uint64_t modseq, bool *found_r)
{
	sqlite3_stmt *s;

	*found_r = false;
	if (!cache_usable(c) || modseq > INT64_MAX)
		return IG_EDB;
	if (flags.len > LIM_CACHE_TEXT)
		return IG_ELIMIT;
	s = cache_stmt(c, ST_MSG_FLAGS);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, uid);
	bind_flags(s, 3, flags);
	(void)sqlite3_bind_int64(s, 9, (sqlite3_int64)modseq);
	return cache_step_changed(c, s, found_r);
}

enum ig_err
cache_msg_flags_fix(struct cache *c, int64_t folder_id, uint32_t uid, struct slice flags,
		    bool *fixed_r)
{
	sqlite3_stmt *s;

	*fixed_r = false;
	if (!cache_usable(c))
		return IG_EDB;
	if (flags.len > LIM_CACHE_TEXT)
		return IG_ELIMIT;
	s = cache_stmt(c, ST_MSG_FLAGS_FIX);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, uid);
	bind_flags(s, 3, flags);
	return cache_step_changed(c, s, fixed_r);
}

enum ig_err
cache_folder_recount(struct cache *c, int64_t folder_id, bool *fixed_r)
{
	sqlite3_stmt *s;

	*fixed_r = false;
	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_FOLDER_RECOUNT);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	return cache_step_changed(c, s, fixed_r);
}

enum ig_err
cache_msg_delete(struct cache *c, int64_t folder_id, uint32_t uid)
{
	return cache_msg_delete_range(c, folder_id, uid, uid);
}

enum ig_err
cache_msg_delete_range(struct cache *c, int64_t folder_id, uint32_t first, uint32_t last)
{
	sqlite3_stmt *s;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_MSG_DELETE_RANGE);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, first);
	(void)sqlite3_bind_int64(s, 3, last);
	return cache_step_done(c, s);
}

enum ig_err
cache_msg_get(struct cache *c, int64_t folder_id, uint32_t uid,
	      void (*fn)(void *ctx, const struct cache_msg *m), void *ctx)
{
	struct cache_msg m;
	sqlite3_stmt *s;
	enum ig_err err = IG_EDB;
	int rc;

	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_MSG_GET);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, uid);
	rc = cache_rc_note(c, sqlite3_step(s));
	if (rc == SQLITE_DONE) {
		err = IG_ENOTFOUND;
	} else if (rc == SQLITE_ROW) {
		if (cache_msg_read(s, &m)) {
			fn(ctx, &m);
			err = IG_OK;
		} else {
			cache_mark_damaged(c, "message row");
		}
	}
	(void)sqlite3_reset(s);
	return err;
}

enum ig_err
cache_msg_uids(struct cache *c, int64_t folder_id, uint32_t **uids_r, size_t *n_r)
{
	uint32_t *v = NULL;
	size_t n = 0;
	size_t cap = 0;
	sqlite3_stmt *s;
	enum ig_err err = IG_OK;
	int rc;

	*uids_r = NULL;
	*n_r = 0;
	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_MSG_UIDS);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	while ((rc = cache_rc_note(c, sqlite3_step(s))) == SQLITE_ROW) {
		uint32_t u;

		if (!cache_col_u32(s, 0, &u) || u == 0 || (n > 0 && u <= v[n - 1])) {
			cache_mark_damaged(c, "uid");
			err = IG_EDB;
			break;
		}
		if (n == cap) {
			uint32_t *nv;

			if (n >= LIM_SYNC_UIDS) {
				err = IG_ELIMIT;
				break;
			}
			cap = cap == 0 ? 1024 : cap * 2;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				err = IG_ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = u;
	}
	(void)sqlite3_reset(s);
	if (err == IG_OK && rc != SQLITE_DONE)
		err = IG_EDB;
	if (err != IG_OK) {
		free(v);
		return err;
	}
	*uids_r = v;
	*n_r = n;
	return IG_OK;
}

enum ig_err
cache_msg_count(struct cache *c, int64_t folder_id, size_t *n_r)
{
	enum ig_err err;
	int64_t n;
	int64_t unseen;

	if (!cache_usable(c))
		return IG_EDB;
	err = cache_folder_counts(c, folder_id, &n, &unseen);
	if (err == IG_OK)
		*n_r = (size_t)n;
	return err;
}

enum ig_err
cache_body_put(struct cache *c, int64_t folder_id, uint32_t uid, struct slice body)
{
	sqlite3_stmt *s;

	if (!cache_usable(c))
		return IG_EDB;
	if (body.len > LIM_CACHE_BODY)
		return IG_ELIMIT;
	s = cache_stmt(c, ST_BODY_PUT);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, uid);
	(void)cache_bind_sl(s, 3, body);
	return cache_step_done(c, s);
}

enum ig_err
cache_body_missing(struct cache *c, int64_t folder_id, size_t newest, uint32_t *uids, size_t max,
		   size_t *n_r)
{
	sqlite3_stmt *s;
	size_t n = 0;

	*n_r = 0;
	if (!cache_usable(c))
		return IG_EDB;
	s = cache_stmt(c, ST_BODY_MISSING);
	(void)sqlite3_bind_int64(s, 1, folder_id);
	(void)sqlite3_bind_int64(s, 2, (sqlite3_int64)newest);
	(void)sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	while (n < max && cache_rc_note(c, sqlite3_step(s)) == SQLITE_ROW) {
		if (!cache_col_u32(s, 0, &uids[n]) || uids[n] == 0) {
			cache_mark_damaged(c, "uid");
			break;
		}
		n++;
	}
	(void)sqlite3_reset(s);
	*n_r = n;
	return c->damaged ? IG_EDB : IG_OK;
}

