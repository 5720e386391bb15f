/* Search over cache.db (store/cache.h cache_search): a trigram FTS5 index
 * (external content: the messages table) so that IMAP's substring semantics
 * can use an index; terms shorter than a trigram fall back to instr() over
 * the same columns. One statement per criteria shape is prepared on first
 * use and kept (LRU, LIM_CACHE_STMTS); SQL text is built only from the fixed
 * fragments below, never from data. */
#include "store/cache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/utf8.h"
#include "store/cache_int.h"

/* Search statement shapes: one bit per condition; parameters have fixed
 * numbers so binding does not depend on the shape. */
enum {
	Q_FTS = 1 << 0,
	Q_FROM = 1 << 1,
	Q_TO = 1 << 2,
	Q_CC = 1 << 3,
	Q_SUBJECT = 1 << 4,
	Q_LIST = 1 << 5,
	Q_TEXT = 1 << 6,
	Q_BODY = 1 << 7,
	Q_SINCE = 1 << 8,
	Q_BEFORE = 1 << 9,
	Q_SEEN = 1 << 10,
	Q_FLAGGED = 1 << 11,
	Q_ANSWERED = 1 << 12,
	Q_ATT = 1 << 13,
	Q_LARGER = 1 << 14,
	Q_SMALLER = 1 << 15,
};

static const struct {
	unsigned bit;
	const char *sql;
} q_frag[] = {
	{Q_FTS, " AND id IN (SELECT rowid FROM fts WHERE fts MATCH ?2)"},
	{Q_FROM, " AND instr(lower(from_text), ?3) > 0"},
	{Q_TO, " AND instr(lower(to_text), ?4) > 0"},
	{Q_CC, " AND instr(lower(cc_text), ?5) > 0"},
	{Q_SUBJECT, " AND instr(lower(subject), ?6) > 0"},
	{Q_LIST, " AND instr(lower(list_id), ?7) > 0"},
	{Q_TEXT, " AND instr(lower(subject || ' ' || from_text || ' ' || to_text || ' ' ||"
		 " cc_text || ' ' || ifnull(body, '')), ?8) > 0"},
	{Q_BODY, " AND instr(lower(ifnull(body, '')), ?9) > 0"},
	{Q_SINCE, " AND internaldate >= ?10"},
	{Q_BEFORE, " AND internaldate < ?11"},
	{Q_SEEN, " AND seen = ?12"},
	{Q_FLAGGED, " AND flagged = ?13"},
	{Q_ANSWERED, " AND answered = ?14"},
	{Q_ATT, " AND has_attachment = ?15"},
	{Q_LARGER, " AND size > ?16"},
	{Q_SMALLER, " AND size < ?17"},
};

/* ---- search --------------------------------------------------------------- */

void
cache_query_init(struct cache_query *q)
{
	memset(q, 0, sizeof(*q));
	q->seen = q->flagged = q->answered = q->has_attachment = -1;
}

/* Terms of at least 3 bytes go to the trigram index. */
static bool
term_fts(struct slice t)
{
	return t.len >= 3;
}

static unsigned
query_mask(const struct cache_query *q)
{
	unsigned m = 0;

	if (q->from.p != NULL)
		m |= term_fts(q->from) ? Q_FTS : Q_FROM;
	if (q->to.p != NULL)
		m |= term_fts(q->to) ? Q_FTS : Q_TO;
	if (q->cc.p != NULL)
		m |= term_fts(q->cc) ? Q_FTS : Q_CC;
	if (q->subject.p != NULL)
		m |= term_fts(q->subject) ? Q_FTS : Q_SUBJECT;
	if (q->text.p != NULL)
		m |= term_fts(q->text) ? Q_FTS : Q_TEXT;
	if (q->body.p != NULL)
		m |= term_fts(q->body) ? Q_FTS : Q_BODY;
	if (q->list_id.p != NULL)
		m |= Q_LIST;
	if (q->since != 0)
		m |= Q_SINCE;
	if (q->before != 0)
		m |= Q_BEFORE;
	if (q->seen >= 0)
		m |= Q_SEEN;
	if (q->flagged >= 0)
		m |= Q_FLAGGED;
	if (q->answered >= 0)
		m |= Q_ANSWERED;
	if (q->has_attachment >= 0)
		m |= Q_ATT;
	if (q->larger != 0)
		m |= Q_LARGER;
	if (q->smaller != 0)
		m |= Q_SMALLER;
	return m;
}

static struct shape *
shape_get(struct cache *c, unsigned mask)
{
	struct shape *sh = NULL;
	struct buf where[2];
	bool ok;
	int k;
	struct buf sql;
	size_t i;

	for (i = 0; i < c->n_shapes; i++) {
		if (c->shapes[i].mask == mask) {
			c->shapes[i].used = ++c->clock;
			return &c->shapes[i];
		}
	}
	if (c->n_shapes < LIM_CACHE_STMTS) {
		sh = &c->shapes[c->n_shapes++];
	} else {
		sh = &c->shapes[0];
		for (i = 1; i < c->n_shapes; i++)
			if (c->shapes[i].used < sh->used)
				sh = &c->shapes[i];
		sqlite3_finalize(sh->count);
		sqlite3_finalize(sh->page);
		sqlite3_finalize(sh->page_hits);
		sqlite3_finalize(sh->hits);
	}
	memset(sh, 0, sizeof(*sh));
	buf_init(&where[0], 4096);
	buf_init(&where[1], 4096);
	buf_init(&sql, 8192);
	/* where (col 1): the planner walks an index of the folder; where_hits:
	 * "+folder_id" keeps it off the folder's indexes, so a full-text term
	 * drives the query (its hits, then one rowid lookup each). Counting
	 * matches of a term is ~3x faster that way than testing every message
	 * of the folder against the hit list; for the page it depends on how
	 * many hits there are (cache_search picks). */
	for (k = 0; k < 2; k++) {
		buf_puts(&where[k], k == 0 ? " FROM messages WHERE folder_id = ?1"
					   : " FROM messages WHERE +folder_id = ?1");
		for (i = 0; i < sizeof(q_frag) / sizeof(q_frag[0]); i++)
			if ((mask & q_frag[i].bit) != 0)
				buf_puts(&where[k], q_frag[i].sql);
	}
	/* ...unless an indexed criterion (flags, dates) narrows the folder
	 * first: then testing its rows against the hits stays faster (13 vs
	 * 30 ms for subject + unread at 100,000 messages) */
	buf_appendf(&sql, "SELECT count(*)%s",
		    where[(mask & Q_FTS) != 0 && (mask & (Q_SEEN | Q_FLAGGED | Q_ANSWERED | Q_ATT |
							  Q_SINCE | Q_BEFORE)) == 0]
			    .p);
	ok = buf_err(&where[0]) == IG_OK && buf_err(&where[1]) == IG_OK &&
	     buf_err(&sql) == IG_OK &&
	     cache_rc_note(c, sqlite3_prepare_v3(c->db, sql.p, -1, SQLITE_PREPARE_PERSISTENT,
					   &sh->count, NULL)) == SQLITE_OK;
	for (k = 0; ok && k < ((mask & Q_FTS) != 0 ? 2 : 1); k++) {
		buf_reset(&sql);
		buf_appendf(&sql,
			    "SELECT " MSG_COLS "%s ORDER BY internaldate DESC, uid DESC"
			    " LIMIT ?18 OFFSET ?19",
			    where[k].p);
		ok = buf_err(&sql) == IG_OK &&
		     cache_rc_note(c, sqlite3_prepare_v3(c->db, sql.p, -1, SQLITE_PREPARE_PERSISTENT,
						   k == 0 ? &sh->page : &sh->page_hits,
						   NULL)) == SQLITE_OK;
	}
	if (ok && (mask & Q_FTS) != 0 && (mask & ~(Q_FTS | Q_SEEN | Q_SINCE | Q_BEFORE)) == 0) {
		buf_reset(&sql);
		/* the hits drive (ascending rowids: the index seeks stay
		 * local), no temporary table of them */
		buf_puts(&sql, "SELECT m.internaldate, m.uid, m.id FROM fts JOIN messages AS m"
			       " INDEXED BY messages_hits ON m.id = fts.rowid"
			       " WHERE fts MATCH ?2 AND m.folder_id = ?1");
		for (i = 0; i < sizeof(q_frag) / sizeof(q_frag[0]); i++)
			if ((mask & q_frag[i].bit & ~Q_FTS) != 0)
				buf_puts(&sql, q_frag[i].sql);
		ok = buf_err(&sql) == IG_OK &&
		     cache_rc_note(c, sqlite3_prepare_v3(c->db, sql.p, -1, SQLITE_PREPARE_PERSISTENT,
						   &sh->hits, NULL)) == SQLITE_OK;
	}
	if (!ok) {
		sqlite3_finalize(sh->count);
		sqlite3_finalize(sh->page);
		sqlite3_finalize(sh->page_hits);
		sqlite3_finalize(sh->hits);
		sh->count = sh->page = sh->page_hits = sh->hits = NULL;
	}
	buf_free(&where[0]);
	buf_free(&where[1]);
	buf_free(&sql);
	if (sh->count == NULL) {
		/* leave the slot empty and reusable */
		sh->mask = ~0u;
		sh->used = 0;
		return NULL;
	}
	sh->mask = mask;
	sh->used = ++c->clock;
	return sh;
}

/* Appends `{col} : "term"` (FTS5 query syntax, the term quoted with "" for
 * "). The whole expression is a bound parameter, never SQL text. */
static void
fts_term(struct buf *b, const char *cols, struct slice t)
{
	size_t i;

	if (b->len > 0)
		buf_puts(b, " AND ");
	buf_appendf(b, "{%s} : \"", cols);
	for (i = 0; i < t.len; i++) {
		if (t.p[i] == '"')
			buf_putc(b, '"');
		buf_putc(b, t.p[i]);
	}
	buf_putc(b, '"');
}

static void
lower_ascii(struct buf *b, struct slice t)
{
	size_t i;

	for (i = 0; i < t.len; i++) {
		char ch = t.p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = "abcdefghijklmnopqrstuvwxyz"[ch - 'A'];
		buf_putc(b, ch);
	}
}

static void
bind_all(sqlite3_stmt *s, unsigned mask, int64_t folder_id, const struct cache_query *q,
	 const struct buf *fts, struct buf low[7])
{
	static const unsigned bits[7] = {Q_FROM, Q_TO, Q_CC, Q_SUBJECT, Q_LIST, Q_TEXT, Q_BODY};
	size_t i;

	(void)sqlite3_bind_int64(s, 1, folder_id);
	if (mask & Q_FTS)
		(void)sqlite3_bind_text64(s, 2, fts->p, fts->len, SQLITE_STATIC, SQLITE_UTF8);
	for (i = 0; i < 7; i++)
		if (mask & bits[i])
			(void)sqlite3_bind_text64(s, 3 + (int)i, low[i].p, low[i].len,
						  SQLITE_STATIC, SQLITE_UTF8);
	if (mask & Q_SINCE)
		(void)sqlite3_bind_int64(s, 10, q->since);
	if (mask & Q_BEFORE)
		(void)sqlite3_bind_int64(s, 11, q->before);
	if (mask & Q_SEEN)
		(void)sqlite3_bind_int(s, 12, q->seen);
	if (mask & Q_FLAGGED)
		(void)sqlite3_bind_int(s, 13, q->flagged);
	if (mask & Q_ANSWERED)
		(void)sqlite3_bind_int(s, 14, q->answered);
	if (mask & Q_ATT)
		(void)sqlite3_bind_int(s, 15, q->has_attachment);
	if (mask & Q_LARGER)
		(void)sqlite3_bind_int64(s, 16, (sqlite3_int64)(q->larger > INT64_MAX ? INT64_MAX : q->larger));
	if (mask & Q_SMALLER)
		(void)sqlite3_bind_int64(s, 17, (sqlite3_int64)(q->smaller > INT64_MAX ? INT64_MAX : q->smaller));
}

struct hit {
	int64_t date;
	int64_t id;
	uint32_t uid;
};

/* Newer first: INTERNALDATE, then UID (the order of messages_date). */
static bool
hit_newer(const struct hit *a, const struct hit *b)
{
	return a->date != b->date ? a->date > b->date : a->uid > b->uid;
}

static int
hit_cmp_desc(const void *x, const void *y)
{
	const struct hit *a = x;
	const struct hit *b = y;

	return hit_newer(a, b) ? -1 : hit_newer(b, a) ? 1 : 0;
}

/* Min-heap on "newer": h[0] is the oldest of the k newest seen so far. */
static void
heap_down(struct hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1;
		size_t m = i;
		struct hit t;

		if (l < n && hit_newer(&h[m], &h[l]))
			m = l;
		if (l + 1 < n && hit_newer(&h[m], &h[l + 1]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void
heap_up(struct hit *h, size_t i)
{
	while (i > 0 && hit_newer(&h[(i - 1) / 2], &h[i])) {
		struct hit t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* One pass over the full-text matches of the folder (hs, bound): counts
 * them and keeps the offset + limit newest in a heap, then reads only the
 * page's rows. */
static enum ig_err
search_hits(struct cache *c, sqlite3_stmt *hs, size_t offset, size_t limit, size_t *total_r,
	    void (*fn)(void *ctx, const struct cache_msg *m), void *ctx)
{
	size_t k = limit == 0 ? 0 : offset + limit;
	struct hit *h = NULL;
	size_t n = 0;
	size_t total = 0;
	enum ig_err err = IG_OK;
	struct cache_msg m;
	sqlite3_stmt *g;
	size_t i;
	int rc;

	if (k > 0 && (h = calloc(k, sizeof(*h))) == NULL) {
		(void)sqlite3_reset(hs);
		return IG_ENOMEM;
	}
	while ((rc = cache_rc_note(c, sqlite3_step(hs))) == SQLITE_ROW) {
		struct hit x;

		if (!cache_col_i64(hs, 0, -((int64_t)1 << 40), (int64_t)1 << 40, &x.date) ||
		    !cache_col_u32(hs, 1, &x.uid) || x.uid == 0 || !cache_col_i64(hs, 2, 1, INT64_MAX, &x.id)) {
			cache_mark_damaged(c, "message index entry");
			err = IG_EDB;
			break;
		}
		total++;
		if (n < k) {
			h[n] = x;
			heap_up(h, n++);
		} else if (k > 0 && hit_newer(&x, &h[0])) {
			h[0] = x;
			heap_down(h, n, 0);
		}
	}
	if (err == IG_OK && rc != SQLITE_DONE)
		err = IG_EDB;
	(void)sqlite3_reset(hs);
	(void)sqlite3_clear_bindings(hs);
	if (err == IG_OK)
		*total_r = total;
	if (err == IG_OK && n > offset) {
		qsort(h, n, sizeof(*h), hit_cmp_desc);
		for (i = offset; i < n && err == IG_OK; i++) {
			g = cache_stmt(c, ST_MSG_GET_ID);
			(void)sqlite3_bind_int64(g, 1, h[i].id);
			rc = cache_rc_note(c, sqlite3_step(g));
			if (rc == SQLITE_ROW && cache_msg_read(g, &m) && m.uid == h[i].uid) {
				fn(ctx, &m);
			} else {
				if (rc == SQLITE_ROW || rc == SQLITE_DONE)
					cache_mark_damaged(c, "message row");
				err = IG_EDB;
			}
			(void)sqlite3_reset(g);
		}
	}
	free(h);
	return err;
}


enum ig_err
cache_search(struct cache *c, int64_t folder_id, const struct cache_query *q, size_t offset,
	     size_t limit, size_t *total_r, void (*fn)(void *ctx, const struct cache_msg *m),
	     void *ctx)
{
	const struct slice *terms[7] = {&q->from, &q->to,   &q->cc,  &q->subject,
					&q->list_id, &q->text, &q->body};
	static const char *const cols[7] = {"from_text", "to_text", "cc_text", "subject",
					    NULL, "subject from_text to_text cc_text body",
					    "body"};
	struct buf low[7];
	struct buf fts;
	struct shape *sh;
	sqlite3_stmt *page;
	unsigned mask = query_mask(q);
	enum ig_err err = IG_EDB;
	int64_t total;
	struct cache_msg m;
	size_t i;
	int rc;

	*total_r = 0;
	if (!cache_usable(c))
		return IG_EDB;
	if (limit > LIM_SEARCH_PAGE || offset > LIM_SEARCH_OFFSET)
		return IG_EINVAL;
	for (i = 0; i < 7; i++)
		if (terms[i]->p != NULL &&
		    (terms[i]->len > LIM_SEARCH_TERM || memchr(terms[i]->p, '\0', terms[i]->len)))
			return IG_EINVAL;
	buf_init(&fts, (size_t)8 * LIM_SEARCH_TERM);
	for (i = 0; i < 7; i++) {
		buf_init(&low[i], LIM_SEARCH_TERM + 1);
		buf_puts(&low[i], "");
		if (terms[i]->p == NULL)
			continue;
		if (cols[i] != NULL && term_fts(*terms[i]))
			fts_term(&fts, cols[i], *terms[i]);
		else
			lower_ascii(&low[i], *terms[i]);
	}
	sh = shape_get(c, mask);
	if (sh == NULL || buf_err(&fts) != IG_OK)
		goto out;
	if (sh->hits != NULL && offset + limit <= LIM_CACHE_HITS_TOP) {
		bind_all(sh->hits, mask, folder_id, q, &fts, low);
		err = search_hits(c, sh->hits, offset, limit, total_r, fn, ctx);
		goto out;
	}
	if (mask == 0 || mask == Q_SEEN) {
		/* the whole folder, or its read/unread part: counts kept in
		 * its row */
		int64_t unseen;

		if (cache_folder_counts(c, folder_id, &total, &unseen) != IG_OK)
			goto out;
		if (mask == Q_SEEN)
			total = q->seen ? total - unseen : unseen;
	} else {
		bind_all(sh->count, mask, folder_id, q, &fts, low);
		rc = cache_rc_note(c, sqlite3_step(sh->count));
		if (rc != SQLITE_ROW || !cache_col_i64(sh->count, 0, 0, INT64_MAX, &total)) {
			(void)sqlite3_reset(sh->count);
			goto out;
		}
		(void)sqlite3_reset(sh->count);
		(void)sqlite3_clear_bindings(sh->count);
	}
	*total_r = (size_t)total;
	err = IG_OK;
	if (limit == 0 || offset >= (size_t)total)
		goto out;
	/* few hits: read and sort them; many: walk the date index, which stops
	 * after offset + limit matches */
	page = sh->page_hits != NULL && (size_t)total <= LIM_CACHE_HITS_SORT ? sh->page_hits
									     : sh->page;
	bind_all(page, mask, folder_id, q, &fts, low);
	(void)sqlite3_bind_int64(page, 18, (sqlite3_int64)limit);
	(void)sqlite3_bind_int64(page, 19, (sqlite3_int64)offset);
	while ((rc = cache_rc_note(c, sqlite3_step(page))) == SQLITE_ROW) {
		if (!cache_msg_read(page, &m)) {
			cache_mark_damaged(c, "message row");
			err = IG_EDB;
			break;
		}
		fn(ctx, &m);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = IG_EDB;
	(void)sqlite3_reset(page);
	(void)sqlite3_clear_bindings(page);
out:
	buf_free(&fts);
	for (i = 0; i < 7; i++)
		buf_free(&low[i]);
	return err;
}
