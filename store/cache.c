/* cache.db (DESIGN §7, §13): sanitized envelopes and per-folder sync state.
 *
 * The file is disposable: anything wrong with it (damaged pages, a foreign
 * or newer schema, an invalid row) is answered by moving it aside and
 * starting over, because everything in it can be fetched again from IMAP.
 * Rows are validated as they are read so a damaged or tampered file can
 * never make the gateway serve bytes that did not pass content/.
 *
 * Search runs over a trigram FTS5 index (external content: the messages
 * table) so that IMAP's substring semantics can use an index; terms shorter
 * than a trigram fall back to instr() over the same columns. One statement
 * per criteria shape is prepared on first use and kept; SQL text is built
 * only from fixed fragments, never from data.
 *
 * This file holds the schema and the statements (each prepared once per
 * connection), the file's open, check and rebuild, damage, transactions and
 * the helpers and read-back validation the other files share through
 * store/cache_int.h: folder rows are cache_folder.c, message rows
 * cache_msg.c, search cache_search.c. */
#include "store/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/utf8.h"
#include "store/cache_int.h"

#define LIM_STR_(x) #x
#define LIM_STR(x) LIM_STR_(x)
#define CACHE_FILE "cache.db"
#define CACHE_APP_ID 0x49474331 /* "IGC1" */
#define CACHE_VERSION 2

static const char SQL_SCHEMA[] =
	"CREATE TABLE folders ("
	" id INTEGER PRIMARY KEY,"
	" account TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL,"
	" uidnext INTEGER NOT NULL,"
	" highestmodseq INTEGER NOT NULL,"
	" synced INTEGER NOT NULL,"
	" sync_uid INTEGER NOT NULL,"
	" last_used INTEGER NOT NULL,"
	/* kept by the triggers below in the transactions that change the
	 * rows: totals without count(*) */
	" n_msgs INTEGER NOT NULL DEFAULT 0,"
	" n_unseen INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (account, name));"
	"CREATE TABLE messages ("
	/* AUTOINCREMENT: an id is never reused, so fts_state.mark splits
	 * indexed rows from not yet indexed ones */
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,"
	" uidvalidity INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL,"
	" internaldate INTEGER NOT NULL,"
	" size INTEGER NOT NULL,"
	" flags TEXT NOT NULL,"
	" seen INTEGER NOT NULL, flagged INTEGER NOT NULL, answered INTEGER NOT NULL,"
	" draft INTEGER NOT NULL, deleted INTEGER NOT NULL,"
	" date TEXT NOT NULL, subject TEXT NOT NULL,"
	" from_json TEXT NOT NULL, to_json TEXT NOT NULL, cc_json TEXT NOT NULL,"
	" from_text TEXT NOT NULL, to_text TEXT NOT NULL, cc_text TEXT NOT NULL,"
	" message_id TEXT NOT NULL, in_reply_to TEXT NOT NULL, refs TEXT NOT NULL,"
	" list_id TEXT NOT NULL, has_attachment INTEGER NOT NULL, warnings TEXT NOT NULL,"
	" body TEXT,"
	" UNIQUE (folder_id, uidvalidity, uid));"
	"CREATE INDEX messages_date ON messages (folder_id, internaldate DESC, uid DESC);"
	"CREATE INDEX messages_uid ON messages (folder_id, uid);"
	/* flag criteria counted from an index, not from the (wide) rows */
	"CREATE INDEX messages_flags ON messages (folder_id, seen, flagged, answered,"
	" has_attachment);"
	/* body_count without reading every row's body */
	"CREATE INDEX messages_body ON messages (folder_id) WHERE body IS NOT NULL;"
	/* full-text hits checked against the folder (and sorted) from a
	 * narrow index instead of the wide rows */
	"CREATE INDEX messages_hits ON messages (id, folder_id, seen, internaldate, uid);"
	"CREATE VIRTUAL TABLE fts USING fts5 (subject, from_text, to_text, cc_text, body,"
	" content='messages', content_rowid='id', tokenize='trigram');"
	/* Rows with id <= mark are in fts; newer ones are added by one
	 * INSERT ... SELECT when their transaction commits (cache_commit):
	 * ~5x cheaper than a per-row trigger (bench/README.md). */
	"CREATE TABLE fts_state (k INTEGER PRIMARY KEY CHECK (k = 0), mark INTEGER NOT NULL);"
	"INSERT INTO fts_state VALUES (0, 0);"
	"CREATE TRIGGER messages_ad AFTER DELETE ON messages"
	" WHEN old.id <= (SELECT mark FROM fts_state) BEGIN"
	" INSERT INTO fts (fts, rowid, subject, from_text, to_text, cc_text, body)"
	" VALUES ('delete', old.id, old.subject, old.from_text, old.to_text, old.cc_text,"
	" old.body); END;"
	"CREATE TRIGGER messages_au AFTER UPDATE OF subject, from_text, to_text, cc_text, body"
	" ON messages WHEN old.id <= (SELECT mark FROM fts_state) BEGIN"
	" INSERT INTO fts (fts, rowid, subject, from_text, to_text, cc_text, body)"
	" VALUES ('delete', old.id, old.subject, old.from_text, old.to_text, old.cc_text,"
	" old.body);"
	" INSERT INTO fts (rowid, subject, from_text, to_text, cc_text, body)"
	" VALUES (new.id, new.subject, new.from_text, new.to_text, new.cc_text, new.body); END;"
	"CREATE TRIGGER messages_n_ai AFTER INSERT ON messages BEGIN"
	" UPDATE folders SET n_msgs = n_msgs + 1, n_unseen = n_unseen + (new.seen = 0)"
	" WHERE id = new.folder_id; END;"
	"CREATE TRIGGER messages_n_ad AFTER DELETE ON messages BEGIN"
	" UPDATE folders SET n_msgs = n_msgs - 1, n_unseen = n_unseen - (old.seen = 0)"
	" WHERE id = old.folder_id; END;"
	"CREATE TRIGGER messages_n_au AFTER UPDATE OF seen ON messages"
	" WHEN old.seen IS NOT new.seen BEGIN"
	" UPDATE folders SET n_unseen = n_unseen + (new.seen = 0) - (old.seen = 0)"
	" WHERE id = new.folder_id; END;"
	"PRAGMA application_id = 1229407025;" /* CACHE_APP_ID */
	"PRAGMA user_version = 2;"; /* CACHE_VERSION */

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FOLDER_GET] = "SELECT " FOLDER_COLS " FROM folders WHERE account = ?1 AND name = ?2",
	[ST_FOLDER_INSERT] = "INSERT INTO folders (account, name, uidvalidity, uidnext,"
			     " highestmodseq, synced, sync_uid, last_used)"
			     " VALUES (?1, ?2, ?3, 0, 0, 0, 0, 0)",
	[ST_FOLDER_RESET] = "UPDATE folders SET uidvalidity = ?2, uidnext = 0, highestmodseq = 0,"
			    " synced = 0, sync_uid = 0 WHERE id = ?1",
	[ST_FOLDER_PUT] = "UPDATE folders SET uidnext = ?2, highestmodseq = ?3, synced = ?4,"
			  " sync_uid = ?5 WHERE id = ?1",
	[ST_FOLDER_TOUCH] = "UPDATE folders SET last_used = ?2 WHERE id = ?1",
	[ST_FOLDER_DROP] = "DELETE FROM folders WHERE id = ?1",
	/* ?2: the folder's name; ?3: name + delimiter (its descendants), or NULL */
	[ST_FOLDER_DROP_TREE] = "DELETE FROM folders WHERE account = ?1 AND (name = ?2 OR"
				" (?3 IS NOT NULL AND substr(name, 1, length(?3)) = ?3))",
	[ST_MSG_DELETE_TREE] = "DELETE FROM messages WHERE folder_id IN (SELECT id FROM folders"
			       " WHERE account = ?1 AND (name = ?2 OR"
			       " (?3 IS NOT NULL AND substr(name, 1, length(?3)) = ?3)))",
	[ST_FOLDER_RECENT] = "SELECT name FROM folders WHERE account = ?1 AND last_used >= ?2"
			     " ORDER BY last_used DESC LIMIT 32",
	[ST_FOLDER_BODIES] = "SELECT count(*) FROM messages WHERE folder_id = ?1 AND"
			     " body IS NOT NULL",
	[ST_MSG_DELETE_FOLDER] = "DELETE FROM messages WHERE folder_id = ?1",
	[ST_MSG_PUT] = "INSERT INTO messages (folder_id, uidvalidity, uid, modseq, internaldate,"
		       " size, flags, seen, flagged, answered, draft, deleted, date, subject,"
		       " from_json, to_json, cc_json, from_text, to_text, cc_text, message_id,"
		       " in_reply_to, refs, list_id, has_attachment, warnings) VALUES (?1, ?2,"
		       " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
		       " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
		       " ON CONFLICT (folder_id, uidvalidity, uid) DO UPDATE SET"
		       " modseq = excluded.modseq, internaldate = excluded.internaldate,"
		       " size = excluded.size, flags = excluded.flags, seen = excluded.seen,"
		       " flagged = excluded.flagged, answered = excluded.answered,"
		       " draft = excluded.draft, deleted = excluded.deleted, date = excluded.date,"
		       " subject = excluded.subject, from_json = excluded.from_json,"
		       " to_json = excluded.to_json, cc_json = excluded.cc_json,"
		       " from_text = excluded.from_text, to_text = excluded.to_text,"
		       " cc_text = excluded.cc_text, message_id = excluded.message_id,"
		       " in_reply_to = excluded.in_reply_to, refs = excluded.refs,"
		       " list_id = excluded.list_id, has_attachment = excluded.has_attachment,"
		       " warnings = excluded.warnings",
	[ST_MSG_FLAGS] = "UPDATE messages SET flags = ?3, seen = ?4, flagged = ?5, answered = ?6,"
			 " draft = ?7, deleted = ?8, modseq = CASE WHEN ?9 = 0 THEN modseq ELSE ?9"
			 " END WHERE folder_id = ?1 AND uid = ?2",
	[ST_MSG_DELETE] = "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2",
	[ST_MSG_DELETE_RANGE] = "DELETE FROM messages WHERE folder_id = ?1 AND uid BETWEEN ?2 AND ?3",
	[ST_MSG_GET] = "SELECT " MSG_COLS " FROM messages WHERE folder_id = ?1 AND uid = ?2",
	[ST_MSG_UIDS] = "SELECT uid FROM messages WHERE folder_id = ?1 ORDER BY uid",
	[ST_MSG_COUNT] = "SELECT n_msgs, n_unseen FROM folders WHERE id = ?1",
	[ST_BODY_PUT] = "UPDATE messages SET body = ?3 WHERE folder_id = ?1 AND uid = ?2",
	[ST_BODY_MISSING] = "SELECT uid FROM (SELECT uid, body IS NULL AS missing FROM messages"
			    " WHERE folder_id = ?1 ORDER BY internaldate DESC, uid DESC LIMIT ?2)"
			    " WHERE missing LIMIT ?3",
	[ST_FTS_FLUSH] = "INSERT INTO fts (rowid, subject, from_text, to_text, cc_text, body)"
			 " SELECT id, subject, from_text, to_text, cc_text, body FROM messages"
			 " WHERE id > (SELECT mark FROM fts_state WHERE k = 0)",
	[ST_FTS_MARK] = "UPDATE fts_state SET mark = max(mark, (SELECT ifnull(max(id), 0)"
			" FROM messages)) WHERE k = 0",
	[ST_FTS_STATE] = "SELECT mark FROM fts_state WHERE k = 0",
	[ST_MSG_GET_ID] = "SELECT " MSG_COLS " FROM messages WHERE id = ?1",
	/* flag check (cache_msg_flags_fix): writes only a row that differs */
	[ST_MSG_FLAGS_FIX] = "UPDATE messages SET flags = ?3, seen = ?4, flagged = ?5, answered = ?6,"
			     " draft = ?7, deleted = ?8 WHERE folder_id = ?1 AND uid = ?2 AND"
			     " (flags IS NOT ?3 OR seen IS NOT ?4 OR flagged IS NOT ?5 OR"
			     " answered IS NOT ?6 OR draft IS NOT ?7 OR deleted IS NOT ?8)",
	/* the kept counts recomputed from the rows (messages_flags index) */
	[ST_FOLDER_RECOUNT] = "UPDATE folders SET n_msgs = c.n, n_unseen = c.u FROM"
			      " (SELECT count(*) AS n, ifnull(sum(seen = 0), 0) AS u FROM messages"
			      " WHERE folder_id = ?1) AS c WHERE id = ?1 AND"
			      " (n_msgs IS NOT c.n OR n_unseen IS NOT c.u)",
};


/* ---- damage ------------------------------------------------------------- */

static bool
rc_damage(int rc)
{
	int p = rc & 0xff;

	return p == SQLITE_CORRUPT || p == SQLITE_NOTADB;
}

/* Records damage from an SQLite result code; returns rc unchanged. */
int
cache_rc_note(struct cache *c, int rc)
{
	if (rc_damage(rc) && !c->damaged) {
		c->damaged = true;
		log_error(0, "msg=\"cache.db damaged\" error=\"%s\"", sqlite3_errstr(rc));
	}
	return rc;
}

static void
mark_damaged(struct cache *c, const char *why)
{
	if (!c->damaged)
		log_error(0, "msg=\"cache.db invalid row\" reason=\"%s\"", why);
	c->damaged = true;
}

void
cache_mark_damaged(struct cache *c, const char *why)
{
	mark_damaged(c, why);
}

bool
cache_damaged(const struct cache *c)
{
	return c->damaged;
}

unsigned
cache_generation(const struct cache *c)
{
	return c->f->gen;
}

const char *
cache_path(const struct cache *c)
{
	return c->f->path;
}

/* ---- file ---------------------------------------------------------------- */

struct cache_file *
cache_file_new(const char *data_dir)
{
	struct cache_file *f = calloc(1, sizeof(*f));
	struct buf p;

	if (f == NULL)
		return NULL;
	buf_init(&p, 4096);
	buf_appendf(&p, "%s/%s", data_dir, CACHE_FILE);
	f->dir = strdup(data_dir);
	if (buf_err(&p) != IG_OK || f->dir == NULL || pthread_mutex_init(&f->lock, NULL) != 0) {
		buf_free(&p);
		free(f->dir);
		free(f);
		return NULL;
	}
	f->path = buf_take(&p);
	return f;
}

void
cache_file_free(struct cache_file *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->dir);
	free(f->path);
	free(f);
}

/* Moves cache.db, -wal and -shm aside (called with f->lock held). A
 * missing -wal or -shm is fine; the main file is moved or removed. */
static void
file_move_aside(struct cache_file *f)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	long long now = (long long)time(NULL);
	size_t i;

	for (i = 0; i < 3; i++) {
		char from[4200];
		char to[4300];

		if (snprintf(from, sizeof(from), "%s%s", f->path, suffix[i]) >= (int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s.damaged-%lld-%u%s", f->path, now, f->gen,
			     suffix[i]) >=
			    (int)sizeof(to))
			continue;
		if (rename(from, to) != 0 && errno != ENOENT)
			(void)unlink(from);
	}
	log_warn(0, "msg=\"cache.db moved aside; rebuilding from IMAP\" path=\"%s.damaged-%lld-%u\"",
		 f->path, now, f->gen);
}

/* 0600 before SQLite creates it (its -wal and -shm take the same mode). */
static bool
file_prepare(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat sb;
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	     ((sb.st_mode & 077) == 0 || fchmod(fd, 0600) == 0);
	return close(fd) == 0 && ok;
}

static void
conn_close(struct cache *c)
{
	size_t i;

	if (c->in_tx && c->db != NULL)
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->in_tx = false;
	c->fts_dirty = false;
	for (i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(c->st[i]);
		c->st[i] = NULL;
	}
	for (i = 0; i < c->n_shapes; i++) {
		sqlite3_finalize(c->shapes[i].count);
		sqlite3_finalize(c->shapes[i].page);
		sqlite3_finalize(c->shapes[i].page_hits);
		sqlite3_finalize(c->shapes[i].hits);
	}
	c->n_shapes = 0;
	(void)sqlite3_close(c->db);
	c->db = NULL;
}

static bool
pragma_int(sqlite3 *db, const char *sql, int64_t *v_r)
{
	sqlite3_stmt *q = NULL;
	bool ok = false;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_type(q, 0) == SQLITE_INTEGER) {
		*v_r = sqlite3_column_int64(q, 0);
		ok = true;
	}
	sqlite3_finalize(q);
	return ok;
}

enum open_result { OPEN_OK, OPEN_DAMAGED, OPEN_FAIL };

/* Opens and checks the file; OPEN_DAMAGED when it must be moved aside. */
static enum open_result
conn_open(struct cache *c, const char **error_r)
{
	sqlite3_stmt *q = NULL;
	int64_t app = 0;
	int64_t version = 0;
	const unsigned char *ok;
	size_t i;
	int rc;

	if (!file_prepare(c->f->path)) {
		*error_r = "cache.db: cannot create the file";
		return OPEN_FAIL;
	}
	/* NOMUTEX: one thread at a time per connection (cache.h), so
	 * SQLite's per-call connection mutex is pure overhead (~4% of a
	 * search with many hits) */
	rc = sqlite3_open_v2(c->f->path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK)
		goto damaged_or_fail;
	/* A page cache that holds a big folder's indexes: searches then
	 * read no pages from the OS (LIM_CACHE_PAGES_KB per connection). */
	if (sqlite3_busy_timeout(c->db, LIM_CACHE_BUSY_MS) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    /* the file is disposable: in WAL mode NORMAL still never
	     * corrupts it, a power loss may only lose the last commits
	     * (the sync redoes them); saves an fsync per batch */
	    sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA cache_size = -" LIM_STR(LIM_CACHE_PAGES_KB), NULL, NULL,
			 NULL) != SQLITE_OK) {
		rc = sqlite3_extended_errcode(c->db);
		goto damaged_or_fail;
	}
	rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(q);
		rc = sqlite3_extended_errcode(c->db);
		goto damaged_or_fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	/* Cheap enough at open (linear in the file, no index cross-check). */
	rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(1)", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		ok = sqlite3_column_text(q, 0);
		if (ok == NULL || strcmp((const char *)ok, "ok") != 0) {
			sqlite3_finalize(q);
			log_error(0, "msg=\"cache.db failed quick_check\"");
			return OPEN_DAMAGED;
		}
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_ROW)
		goto damaged_or_fail;
	if (!pragma_int(c->db, "PRAGMA application_id", &app) ||
	    !pragma_int(c->db, "PRAGMA user_version", &version)) {
		rc = sqlite3_extended_errcode(c->db);
		goto damaged_or_fail;
	}
	if (app == 0 && version == 0) {
		int64_t n = 0;

		if (!pragma_int(c->db, "SELECT count(*) FROM sqlite_schema", &n) || n != 0) {
			log_error(0, "msg=\"cache.db has tables but no schema version\"");
			return OPEN_DAMAGED;
		}
		if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(c->db, SQL_SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			rc = sqlite3_extended_errcode(c->db);
			(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			goto damaged_or_fail;
		}
	} else if (app != CACHE_APP_ID || version != CACHE_VERSION) {
		log_error(0, "msg=\"cache.db schema mismatch\" application_id=%lld user_version=%lld",
			  (long long)app, (long long)version);
		return OPEN_DAMAGED;
	}
	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
					NULL);
		if (rc != SQLITE_OK) {
			rc = sqlite3_extended_errcode(c->db);
			/* a table missing or of another shape: not our schema */
			if ((rc & 0xff) == SQLITE_ERROR)
				return OPEN_DAMAGED;
			goto damaged_or_fail;
		}
	}
	{
		int64_t mark = -1;

		/* the full-text mark must be there: without it new rows
		 * would never be indexed */
		rc = cache_rc_note(c, sqlite3_step(c->st[ST_FTS_STATE]));
		if (rc == SQLITE_ROW &&
		    sqlite3_column_type(c->st[ST_FTS_STATE], 0) == SQLITE_INTEGER)
			mark = sqlite3_column_int64(c->st[ST_FTS_STATE], 0);
		(void)sqlite3_reset(c->st[ST_FTS_STATE]);
		if (mark < 0) {
			log_error(0, "msg=\"cache.db lacks its full-text state\"");
			return OPEN_DAMAGED;
		}
	}
	return OPEN_OK;
damaged_or_fail:
	if (rc_damage(rc) || rc == SQLITE_IOERR_SHORT_READ)
		return OPEN_DAMAGED;
	*error_r = "cache.db: cannot open";
	return OPEN_FAIL;
}

/* Opens, moving a damaged file aside once. Called with f->lock held. */
static enum ig_err
conn_establish(struct cache *c, bool *rebuilt_r, const char **error_r)
{
	enum open_result r = conn_open(c, error_r);

	if (r == OPEN_DAMAGED) {
		conn_close(c);
		file_move_aside(c->f);
		c->f->gen++;
		if (rebuilt_r != NULL)
			*rebuilt_r = true;
		r = conn_open(c, error_r);
		if (r == OPEN_DAMAGED)
			*error_r = "cache.db: a fresh file cannot be created";
	}
	if (r != OPEN_OK) {
		conn_close(c);
		return IG_EDB;
	}
	c->gen = c->f->gen;
	c->damaged = false;
	return IG_OK;
}

enum ig_err
cache_open(struct cache_file *f, struct cache **c_r, bool *rebuilt_r, const char **error_r)
{
	struct cache *c = calloc(1, sizeof(*c));
	const char *dummy;
	enum ig_err err;

	if (error_r == NULL)
		error_r = &dummy;
	if (rebuilt_r != NULL)
		*rebuilt_r = false;
	*c_r = NULL;
	if (c == NULL) {
		*error_r = "cache.db: out of memory";
		return IG_ENOMEM;
	}
	c->f = f;
	if (mkdir(f->dir, 0700) != 0 && errno != EEXIST) {
		*error_r = "cache.db: cannot create data_dir";
		free(c);
		return IG_EIO;
	}
	pthread_mutex_lock(&f->lock);
	err = conn_establish(c, rebuilt_r, error_r);
	pthread_mutex_unlock(&f->lock);
	if (err != IG_OK) {
		free(c);
		return err;
	}
	*c_r = c;
	return IG_OK;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	conn_close(c);
	free(c);
}

enum ig_err
cache_rebuild(struct cache *c, const char **error_r)
{
	const char *dummy;
	enum ig_err err;

	if (error_r == NULL)
		error_r = &dummy;
	pthread_mutex_lock(&c->f->lock);
	conn_close(c);
	/* Another connection may have rebuilt since we opened: then only
	 * reopen (the new file is not the one we found damaged). */
	if (c->gen == c->f->gen) {
		file_move_aside(c->f);
		c->f->gen++;
	}
	err = conn_establish(c, NULL, error_r);
	pthread_mutex_unlock(&c->f->lock);
	return err;
}

enum ig_err
cache_check(struct cache *c, bool *changed_r)
{
	const char *e;
	enum ig_err err;
	bool changed = false;

	if (c->damaged) {
		err = cache_rebuild(c, &e);
		changed = true;
	} else {
		pthread_mutex_lock(&c->f->lock);
		if (c->db == NULL || c->gen != c->f->gen) {
			conn_close(c);
			err = conn_establish(c, NULL, &e);
			changed = true;
		} else {
			err = IG_OK;
		}
		pthread_mutex_unlock(&c->f->lock);
	}
	if (changed_r != NULL)
		*changed_r = changed;
	return err;
}

/* ---- helpers ------------------------------------------------------------- */

sqlite3_stmt *
cache_stmt(struct cache *c, enum stmt_id id)
{
	sqlite3_stmt *s = c->st[id];

	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	return s;
}

/* Steps a statement that returns no rows. */
enum ig_err
cache_step_done(struct cache *c, sqlite3_stmt *s)
{
	int rc = cache_rc_note(c, sqlite3_step(s));

	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warn(0, "msg=\"cache.db statement failed\" error=\"%s\"",
			 sqlite3_errmsg(c->db));
		return IG_EDB;
	}
	return IG_OK;
}

/* step_done, then whether the statement changed any row. */
enum ig_err
cache_step_changed(struct cache *c, sqlite3_stmt *s, bool *changed_r)
{
	enum ig_err err = cache_step_done(c, s);

	if (err == IG_OK)
		*changed_r = sqlite3_changes(c->db) > 0;
	return err;
}

bool
cache_usable(struct cache *c)
{
	return c->db != NULL && !c->damaged;
}

int
cache_bind_sl(sqlite3_stmt *s, int i, struct slice v)
{
	/* length-delimited: embedded NUL survives; "" for an empty slice */
	return sqlite3_bind_text64(s, i, v.p != NULL ? v.p : "", v.len, SQLITE_STATIC, SQLITE_UTF8);
}

enum ig_err
cache_begin(struct cache *c)
{
	enum ig_err err;

	if (!cache_usable(c) || c->in_tx)
		return IG_EDB;
	err = cache_step_done(c, cache_stmt(c, ST_BEGIN));
	c->in_tx = err == IG_OK;
	return err;
}

/* Indexes the rows added since the last flush (id > mark) and moves the
 * mark: inside the caller's transaction, so rows and index commit
 * together. */
enum ig_err
cache_fts_flush(struct cache *c)
{
	enum ig_err err;

	if (!c->fts_dirty)
		return IG_OK;
	err = cache_step_done(c, cache_stmt(c, ST_FTS_FLUSH));
	if (err == IG_OK)
		err = cache_step_done(c, cache_stmt(c, ST_FTS_MARK));
	if (err == IG_OK)
		c->fts_dirty = false;
	return err;
}

enum ig_err
cache_commit(struct cache *c)
{
	enum ig_err err;

	if (!c->in_tx)
		return IG_EDB;
	if (c->damaged) {
		cache_rollback(c);
		return IG_EDB;
	}
	err = cache_fts_flush(c);
	if (err == IG_OK)
		err = cache_step_done(c, cache_stmt(c, ST_COMMIT));
	if (err != IG_OK)
		cache_rollback(c);
	c->in_tx = false;
	return err;
}

void
cache_rollback(struct cache *c)
{
	if (c->in_tx && c->db != NULL)
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->in_tx = false;
	c->fts_dirty = false;
}

/* ---- validation of what is read back -------------------------------------- */

bool
cache_col_u32(sqlite3_stmt *s, int i, uint32_t *v_r)
{
	sqlite3_int64 v;

	if (sqlite3_column_type(s, i) != SQLITE_INTEGER)
		return false;
	v = sqlite3_column_int64(s, i);
	if (v < 0 || v > (sqlite3_int64)UINT32_MAX)
		return false;
	*v_r = (uint32_t)v;
	return true;
}

bool
cache_col_i64(sqlite3_stmt *s, int i, int64_t lo, int64_t hi, int64_t *v_r)
{
	sqlite3_int64 v;

	if (sqlite3_column_type(s, i) != SQLITE_INTEGER)
		return false;
	v = sqlite3_column_int64(s, i);
	if (v < lo || v > hi)
		return false;
	*v_r = v;
	return true;
}

bool
cache_col_bool(sqlite3_stmt *s, int i, bool *v_r)
{
	int64_t v;

	if (!cache_col_i64(s, i, 0, 1, &v))
		return false;
	*v_r = v != 0;
	return true;
}

bool
cache_col_text(sqlite3_stmt *s, int i, struct slice *v_r)
{
	const unsigned char *p;
	int n;

	if (sqlite3_column_type(s, i) != SQLITE_TEXT)
		return false;
	p = sqlite3_column_text(s, i);
	n = sqlite3_column_bytes(s, i);
	if (p == NULL || n < 0 || (size_t)n > LIM_CACHE_TEXT + LIM_CACHE_BODY ||
	    !u8_valid((const char *)p, (size_t)n))
		return false;
	*v_r = (struct slice){(const char *)p, (size_t)n};
	return true;
}

