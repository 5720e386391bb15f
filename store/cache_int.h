#ifndef IG_STORE_CACHE_INT_H
#define IG_STORE_CACHE_INT_H

/* Internals shared by the files of cache.db (store/cache*.c); not for other
 * modules (store/cache.h is the API).
 *
 *   cache.c         schema, statements, open/check/rebuild of the file,
 *                   damage, transactions, helpers, read-back validation
 *   cache_folder.c  folder rows
 *   cache_msg.c     message rows and body text
 *   cache_search.c  cache_search: FTS5 + criteria shapes, the page
 *
 * Every statement of stmt_sql is prepared once per connection (conn_open in
 * cache.c) and kept in struct cache; cache_stmt() hands one out reset. */

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/limits.h"
#include "store/cache.h"

#define FOLDER_COLS "id, uidvalidity, uidnext, highestmodseq, synced, sync_uid, last_used"
#define MSG_COLS                                                                             \
	"uidvalidity, uid, modseq, internaldate, size, flags, seen, flagged, answered, draft," \
	" deleted, date, subject, from_json, to_json, cc_json, from_text, to_text, cc_text,"   \
	" message_id, in_reply_to, refs, list_id, has_attachment, warnings, body IS NOT NULL"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FOLDER_GET,
	ST_FOLDER_INSERT,
	ST_FOLDER_RESET,
	ST_FOLDER_PUT,
	ST_FOLDER_TOUCH,
	ST_FOLDER_DROP,
	ST_FOLDER_DROP_TREE,
	ST_MSG_DELETE_TREE,
	ST_FOLDER_RECENT,
	ST_FOLDER_BODIES,
	ST_MSG_DELETE_FOLDER,
	ST_MSG_PUT,
	ST_MSG_FLAGS,
	ST_MSG_DELETE,
	ST_MSG_DELETE_RANGE,
	ST_MSG_GET,
	ST_MSG_UIDS,
	ST_MSG_COUNT,
	ST_BODY_PUT,
	ST_BODY_MISSING,
	ST_FTS_FLUSH,
	ST_FTS_MARK,
	ST_FTS_STATE,
	ST_MSG_GET_ID,
	ST_MSG_FLAGS_FIX,
	ST_FOLDER_RECOUNT,
	ST_COUNT
};

struct shape {
	unsigned mask;
	sqlite3_stmt *count;
	sqlite3_stmt *page;
	/* With a full-text term: the page driven by the FTS hits (sorted
	 * afterwards), for when they are few; NULL without one. */
	sqlite3_stmt *page_hits;
	/* Full-text term(s) with at most seen/date criteria: (date, uid, id)
	 * of every match from the narrow messages_hits index, so one pass over
	 * the hits gives the total and the page (search_hits); NULL otherwise. */
	sqlite3_stmt *hits;
	uint64_t used; /* LRU stamp */
};

struct cache_file {
	char *dir;
	char *path;
	pthread_mutex_t lock;
	unsigned gen;
};

struct cache {
	struct cache_file *f;
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct shape shapes[LIM_CACHE_STMTS];
	size_t n_shapes;
	uint64_t clock;
	unsigned gen;
	bool damaged;
	bool in_tx;
	bool fts_dirty; /* rows written that fts_flush has not indexed yet */
};

/* The prepared statement id, reset and with its bindings cleared. */
sqlite3_stmt *cache_stmt(struct cache *c, enum stmt_id id);
/* Steps a statement that returns no rows. */
enum ig_err cache_step_done(struct cache *c, sqlite3_stmt *s);
/* cache_step_done, then whether the statement changed any row. */
enum ig_err cache_step_changed(struct cache *c, sqlite3_stmt *s, bool *changed_r);
/* Open and not known damaged. */
bool cache_usable(struct cache *c);
/* Binds a slice as text (length-delimited; "" for an empty slice). */
int cache_bind_sl(sqlite3_stmt *s, int i, struct slice v);
/* Indexes the rows added since the last flush (inside the caller's
 * transaction, so rows and index commit together). */
enum ig_err cache_fts_flush(struct cache *c);
/* Returns rc, marking the cache damaged when rc says the file is. */
int cache_rc_note(struct cache *c, int rc);

/* Read-back validation: false when the column is not of the type or not in
 * range (the caller marks the cache damaged). */
bool cache_col_u32(sqlite3_stmt *s, int i, uint32_t *v_r);
bool cache_col_i64(sqlite3_stmt *s, int i, int64_t lo, int64_t hi, int64_t *v_r);
bool cache_col_bool(sqlite3_stmt *s, int i, bool *v_r);
bool cache_col_text(sqlite3_stmt *s, int i, struct slice *v_r);

/* Reads MSG_COLS starting at column 0; false when any value is invalid
 * (cache_msg.c). */
bool cache_msg_read(sqlite3_stmt *s, struct cache_msg *m);
/* The folder's kept counts: messages, unread (cache_folder.c). */
enum ig_err cache_folder_counts(struct cache *c, int64_t folder_id, int64_t *n_r,
				int64_t *unseen_r);

#endif
