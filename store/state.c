/* state.db (DESIGN §4.2, §7): durable state, never deleted automatically.
 *
 * Tokens: the secret is 32 bytes from randombytes_buf, base64url without
 * padding (43 characters) behind "igt_" so secret scanners recognise it. Only
 * SHA-256 of the whole secret string is stored. A plain hash (not a slow KDF)
 * is right here: the input has 256 bits of entropy, so there is nothing to
 * brute-force, and verification runs on every request. */
#include "store/state.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/buf.h"
#include "store/store_int.h"

#define STATE_FILE "state.db"
#define BUSY_TIMEOUT_MS 5000
#define TOKEN_RAW_LEN 32
#define TOKEN_B64_LEN 43

/* Schema migrations, an ordered list keyed by PRAGMA user_version: step i
 * takes the file from version i to i + 1, each in its own transaction that
 * also sets user_version. Append new steps; never edit or drop one, never
 * drop user data. A name is unique among
 * tokens that are not revoked (the partial index); expired tokens are
 * revoked when their name is reused (state_token_create). */
static const char SQL_SCHEMA_V1[] =
	"CREATE TABLE tokens ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
	" accounts TEXT NOT NULL,"
	" posture TEXT NOT NULL,"
	" admin INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL DEFAULT 0,"
	" revoked_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX tokens_live_name ON tokens(name) WHERE revoked_at = 0;";

/* v2: the outbox (store/outbox.c). Recipients are newline-joined validated
 * addresses (no address contains a newline). */
static const char SQL_SCHEMA_V2[] =
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" token_id INTEGER NOT NULL,"
	" token_name TEXT NOT NULL,"
	" account TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'sending',"
	"  'sent', 'failed', 'uncertain')),"
	" autonomous INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" mail_from TEXT NOT NULL,"
	" rcpts TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" message_id TEXT NOT NULL,"
	" mime BLOB NOT NULL,"
	" hash BLOB NOT NULL CHECK (length(hash) = 32),"
	" approved_by TEXT,"
	" approved_hash BLOB,"
	" approved_at INTEGER NOT NULL DEFAULT 0,"
	" sent_at INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE INDEX outbox_state ON outbox(state, id);"
	"CREATE INDEX outbox_token ON outbox(token_id, id);"
	"CREATE INDEX outbox_account ON outbox(account, created_at);";

/* v3: per-token tool overrides and rate limit (dispatch chain, issue 6;
 * docs/security-model.md). rate_limit NULL: [defaults] token_rate_limit. */
static const char SQL_SCHEMA_V3[] =
	"ALTER TABLE tokens ADD COLUMN tools_allow TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tokens ADD COLUMN tools_deny TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tokens ADD COLUMN rate_limit TEXT;";

/* v4: operator users (store/state_user.c, handlers/ops_user.c). pwhash is
 * crypto_pwhash_str's Argon2id string; totp_sealed is NULL or nonce ||
 * XChaCha20-Poly1305 ciphertext of the TOTP secret under <data_dir>/totp.key;
 * totp_last_step is the last step a code was accepted for (no replay);
 * failed_count / failed_at / locked_until are the per-user lockout. */
static const char SQL_SCHEMA_V4[] =
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" pwhash TEXT NOT NULL,"
	" admin INTEGER NOT NULL DEFAULT 0,"
	" accounts TEXT NOT NULL,"
	" posture TEXT NOT NULL,"
	" totp_sealed BLOB,"
	" totp_last_step INTEGER NOT NULL DEFAULT 0,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" last_login_at INTEGER NOT NULL DEFAULT 0,"
	" failed_count INTEGER NOT NULL DEFAULT 0,"
	" failed_at INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0);";

static const char *const schema_steps[] = {SQL_SCHEMA_V1, SQL_SCHEMA_V2, SQL_SCHEMA_V3,
					   SQL_SCHEMA_V4};
#define SCHEMA_VERSION ((int)(sizeof(schema_steps) / sizeof(schema_steps[0])))

#define TOKEN_COLS                                                                                 \
	"id, name, hash, accounts, posture, admin, created_at, expires_at, revoked_at,"            \
	" tools_allow, tools_deny, rate_limit"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT,
	ST_BY_HASH,
	ST_RETIRE_EXPIRED,
	ST_REVOKE_NAME,
	ST_REVOKE_ID,
	ST_LIST,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO tokens (name, hash, accounts, posture, admin, created_at,"
		      " expires_at, tools_allow, tools_deny, rate_limit)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_BY_HASH] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?1",
	[ST_RETIRE_EXPIRED] = "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND"
			      " revoked_at = 0 AND expires_at != 0 AND expires_at <= ?2",
	[ST_REVOKE_NAME] = "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at = 0",
	[ST_REVOKE_ID] = "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0",
	[ST_LIST] = "SELECT " TOKEN_COLS " FROM tokens ORDER BY id",
};

struct state {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	char *data_dir; /* where totp.key lives (store/state_user.c) */
};

/* error_r strings point here: valid until the next state_* call on the same
 * thread (each thread owns its connection, so that is its own next call). */
static _Thread_local char state_errbuf[512];

static const char *
err_set(const char *what, sqlite3 *db)
{
	const char *detail = db != NULL ? sqlite3_errmsg(db) : "";

	if (snprintf(state_errbuf, sizeof(state_errbuf), "state.db: %s%s%s", what,
		     detail[0] != '\0' ? ": " : "", detail) < 0)
		state_errbuf[0] = '\0';
	return state_errbuf;
}

static void
err_out(const char **error_r, const char *what, sqlite3 *db)
{
	const char *m = err_set(what, db);

	if (error_r != NULL)
		*error_r = m;
}

const char *
state_errmsg(void)
{
	return state_errbuf;
}

sqlite3 *
state_db(struct state *st)
{
	return st->db;
}

const char *
state_err_set(const char *what, sqlite3 *db)
{
	return err_set(what, db);
}

const char *
state_data_dir(const struct state *st)
{
	return st->data_dir;
}

/* ---- open ------------------------------------------------------------- */

/* The directory is created 0700; an existing one is used as it is (the
 * operator may have set it up for a container volume) but must be a
 * directory. */
static enum ig_err
dir_prepare(const char *dir, const char **error_r)
{
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		(void)snprintf(state_errbuf, sizeof(state_errbuf), "data_dir %s: cannot create: %s",
			       dir, strerror(errno));
		*error_r = state_errbuf;
		return IG_EIO;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		(void)snprintf(state_errbuf, sizeof(state_errbuf), "data_dir %s: not a directory",
			       dir);
		*error_r = state_errbuf;
		return IG_EIO;
	}
	return IG_OK;
}

/* Creates the file 0600 before SQLite opens it: SQLite gives -wal and -shm
 * the database file's mode. This replaces a umask() dance, which is
 * process-wide and would race with other threads creating files. A file that
 * exists with group/other bits is tightened; a symlink is refused (and
 * SQLite opens with SQLITE_OPEN_NOFOLLOW).
 *
 * An existing file is never open(2)ed here: closing any descriptor of a file
 * drops every POSIX lock this process holds on it, SQLite's included, so a
 * second state_open in the process (the outbox sender, a send tool) would
 * silently unlock the connections already open; another process (`imapgate
 * token create`) then believes it is the last user, checkpoints and deletes
 * the WAL under them, and they stop seeing new rows (new tokens rejected). */
static enum ig_err
file_prepare(const char *path, const char **error_r)
{
	struct stat sb;
	int fd;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (lstat(path, &sb) == 0) {
			if (!S_ISREG(sb.st_mode)) {
				errno = S_ISLNK(sb.st_mode) ? ELOOP : EINVAL;
				goto fail;
			}
			if ((sb.st_mode & 077) != 0 && chmod(path, 0600) != 0)
				goto fail;
			return IG_OK;
		}
		if (errno != ENOENT)
			goto fail;
		/* absent: nobody in this process holds a lock on it yet */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (close(fd) != 0)
				goto fail;
			return IG_OK;
		}
		if (errno != EEXIST)
			goto fail;
		/* created by someone else meanwhile: check it as existing */
	}
fail:
	(void)snprintf(state_errbuf, sizeof(state_errbuf), "%s: %s", path, strerror(errno));
	*error_r = state_errbuf;
	return IG_EIO;
}

static enum ig_err
schema_apply(struct state *st, const char **error_r)
{
	sqlite3_stmt *q = NULL;
	enum ig_err err = IG_EDB;
	int version;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		err_out(error_r, "reading schema version", st->db);
		goto out;
	}
	version = sqlite3_column_int(q, 0);
	if (version > SCHEMA_VERSION) {
		(void)snprintf(state_errbuf, sizeof(state_errbuf),
			       "state.db: schema version %d is newer than this imapgate "
			       "understands (%d); run a newer imapgate or restore a backup "
			       "(the file was not changed)",
			       version, SCHEMA_VERSION);
		*error_r = state_errbuf;
		goto out;
	}
	(void)sqlite3_reset(q);
	for (; version < SCHEMA_VERSION; version++) {
		char setv[40];

		(void)snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			err_out(error_r, "migrating schema", st->db);
			goto out;
		}
		/* another process may have migrated meanwhile: re-read inside
		 * the write transaction */
		(void)sqlite3_reset(q);
		if (sqlite3_step(q) != SQLITE_ROW) {
			err_out(error_r, "reading schema version", st->db);
			(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		if (sqlite3_column_int(q, 0) != version) {
			version = sqlite3_column_int(q, 0) - 1;
			(void)sqlite3_reset(q);
			(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			continue;
		}
		(void)sqlite3_reset(q);
		if (sqlite3_exec(st->db, schema_steps[version], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, setv, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			err_out(error_r, "migrating schema", st->db);
			(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	err = IG_OK;
out:
	sqlite3_finalize(q); /* NULL-safe */
	return err;
}

static enum ig_err
db_configure(struct state *st, const char **error_r)
{
	sqlite3_stmt *q = NULL;
	enum ig_err err = IG_EDB;

	if (sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		err_out(error_r, "configuring connection", st->db);
		goto out;
	}
	/* journal_mode answers with the mode now in force; anything but wal
	 * (e.g. a filesystem without shared memory) is refused. */
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		err_out(error_r, "enabling WAL", st->db);
		goto out;
	}
	if (sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal") != 0) {
		err_out(error_r, "WAL journal mode not available", NULL);
		goto out;
	}
	err = IG_OK;
out:
	sqlite3_finalize(q);
	return err;
}

static enum ig_err
stmts_prepare(struct state *st, const char **error_r)
{
	size_t i;

	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->st[i], NULL) != SQLITE_OK) {
			err_out(error_r, "preparing statements", st->db);
			return IG_EDB;
		}
	}
	return IG_OK;
}

enum ig_err
state_open(const char *data_dir, struct state **st_r, const char **error_r)
{
	struct state *st = NULL;
	struct buf path;
	enum ig_err err = IG_ENOMEM;
	const char *dummy;

	if (error_r == NULL)
		error_r = &dummy;
	*st_r = NULL;
	buf_init(&path, 4096);
	buf_appendf(&path, "%s/%s", data_dir, STATE_FILE);
	if (buf_err(&path) != IG_OK) {
		*error_r = "state.db: path too long";
		err = IG_EINVAL;
		goto out;
	}
	if ((err = dir_prepare(data_dir, error_r)) != IG_OK ||
	    (err = file_prepare(path.p, error_r)) != IG_OK)
		goto out;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		*error_r = "state.db: out of memory";
		err = IG_ENOMEM;
		goto out;
	}
	st->data_dir = strdup(data_dir);
	if (st->data_dir == NULL) {
		*error_r = "state.db: out of memory";
		err = IG_ENOMEM;
		goto out;
	}
	err = IG_EDB;
	if (sqlite3_open_v2(path.p, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
			    NULL) != SQLITE_OK) {
		err_out(error_r, "open", st->db);
		goto out;
	}
	if ((err = db_configure(st, error_r)) != IG_OK ||
	    (err = schema_apply(st, error_r)) != IG_OK ||
	    (err = stmts_prepare(st, error_r)) != IG_OK)
		goto out;
	*st_r = st;
	st = NULL;
out:
	state_close(st);
	buf_free(&path);
	return err;
}

void
state_close(struct state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->st[i]);
	(void)sqlite3_close(st->db); /* all statements are finalized: cannot be BUSY */
	free(st->data_dir);
	free(st);
}

/* ---- helpers ------------------------------------------------------------ */

static sqlite3_stmt *
stmt(struct state *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->st[id];

	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	return s;
}

static bool
exec_simple(struct state *st, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(st, id);
	int rc = sqlite3_step(s);

	(void)sqlite3_reset(s);
	return rc == SQLITE_DONE;
}

static bool
copy_text(char *dst, size_t dstsz, const unsigned char *src, int len)
{
	if (src == NULL || len < 0 || (size_t)len >= dstsz || memchr(src, '\0', (size_t)len))
		return false;
	memcpy(dst, src, (size_t)len);
	dst[len] = '\0';
	return true;
}

/* Rows are read back validated: the file is trusted, but a damaged row must
 * not turn into a wider grant. */
static enum ig_err
row_to_info(sqlite3_stmt *s, struct token_info *info)
{
	char posture[32];

	memset(info, 0, sizeof(*info));
	info->id = sqlite3_column_int64(s, 0);
	if (!copy_text(info->name, sizeof(info->name), sqlite3_column_text(s, 1),
		       sqlite3_column_bytes(s, 1)) ||
	    !copy_text(info->accounts, sizeof(info->accounts), sqlite3_column_text(s, 3),
		       sqlite3_column_bytes(s, 3)) ||
	    !copy_text(posture, sizeof(posture), sqlite3_column_text(s, 4),
		       sqlite3_column_bytes(s, 4)) ||
	    !posture_parse(posture, &info->posture_cap)) {
		(void)err_set("invalid token row", NULL);
		return IG_EDB;
	}
	info->admin = sqlite3_column_int(s, 5) != 0;
	info->created_at = sqlite3_column_int64(s, 6);
	info->expires_at = sqlite3_column_int64(s, 7);
	info->revoked_at = sqlite3_column_int64(s, 8);
	if (!copy_text(info->tools_allow, sizeof(info->tools_allow), sqlite3_column_text(s, 9),
		       sqlite3_column_bytes(s, 9)) ||
	    !copy_text(info->tools_deny, sizeof(info->tools_deny), sqlite3_column_text(s, 10),
		       sqlite3_column_bytes(s, 10))) {
		(void)err_set("invalid token row", NULL);
		return IG_EDB;
	}
	if (sqlite3_column_type(s, 11) != SQLITE_NULL) {
		char rate[32];

		/* a damaged limit must not become "unlimited": refuse the row */
		if (!copy_text(rate, sizeof(rate), sqlite3_column_text(s, 11),
			       sqlite3_column_bytes(s, 11)) ||
		    !cfg_rate_parse(rate, &info->rate_limit)) {
			(void)err_set("invalid token row", NULL);
			return IG_EDB;
		}
		info->rate_set = true;
	}
	return IG_OK;
}

/* Printable ASCII without space or comma (lists are comma-separated), not
 * starting with '#' ("#ID" addresses a token by id). Operator user names
 * follow the same rule (store/state_user.c). */
bool
state_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '#')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= LIM_TOKEN_NAME || name[i] <= ' ' || name[i] > '~' || name[i] == ',')
			return false;
	}
	return true;
}

static bool
account_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LIM_ACCOUNT_NAME)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "*" or a comma list of distinct account names, at most LIM_TOKEN_ACCOUNTS. */
bool
state_accounts_ok(const char *s)
{
	size_t n = 0;
	const char *p = s;

	if (strcmp(s, "*") == 0)
		return true;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *q;

		if (!account_name_ok(p, len) || ++n > LIM_TOKEN_ACCOUNTS)
			return false;
		/* duplicates: compare with every earlier entry */
		for (q = s; q < p;) {
			size_t ql = strcspn(q, ",");

			if (ql == len && memcmp(q, p, len) == 0)
				return false;
			q += ql + 1;
		}
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

/* ---- tokens ------------------------------------------------------------ */

/* "" or a comma list of at most LIM_OVERRIDE_NAMES names of tool-name
 * characters ([A-Za-z0-9_.-]); whether they name real tools is the
 * caller's check (store/ knows no tools). */
static bool
override_list_ok(const char *s)
{
	size_t n = 0;
	const char *p = s;

	if (s == NULL || s[0] == '\0')
		return true;
	if (strlen(s) > LIM_OVERRIDE_LIST)
		return false;
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t i;

		if (len == 0 || ++n > LIM_OVERRIDE_NAMES)
			return false;
		for (i = 0; i < len; i++) {
			char c = p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
				return false;
		}
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

static enum ig_err
token_insert(struct state *st, const struct token_spec *spec, const char *accounts,
	     const unsigned char hash[crypto_hash_sha256_BYTES], int64_t now, int64_t *id_r,
	     const char **error_r)
{
	/* Inside a caller's state_tx_begin the caller commits or rolls back. */
	bool own = sqlite3_get_autocommit(st->db) != 0;
	sqlite3_stmt *s;
	int rc;

	if (own && !exec_simple(st, ST_BEGIN)) {
		err_out(error_r, "begin", st->db);
		return IG_EDB;
	}
	s = stmt(st, ST_RETIRE_EXPIRED);
	if (sqlite3_bind_text(s, 1, spec->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, now) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	s = stmt(st, ST_INSERT);
	if (sqlite3_bind_text(s, 1, spec->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, hash, crypto_hash_sha256_BYTES, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, accounts, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, posture_str(spec->posture_cap), -1, SQLITE_STATIC) !=
		    SQLITE_OK ||
	    sqlite3_bind_int(s, 5, spec->admin ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, now) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, spec->expires_at) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, spec->tools_allow != NULL ? spec->tools_allow : "", -1,
			      SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, spec->tools_deny != NULL ? spec->tools_deny : "", -1,
			      SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	if (spec->rate_set) {
		char rate[32];

		cfg_rate_format(spec->rate_limit, rate, sizeof(rate));
		if (sqlite3_bind_text(s, 10, rate, -1, SQLITE_TRANSIENT) != SQLITE_OK)
			goto fail;
	} else if (sqlite3_bind_null(s, 10) != SQLITE_OK) {
		goto fail;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		(void)sqlite3_reset(s);
		if (own)
			(void)exec_simple(st, ST_ROLLBACK);
		*error_r = err_set("an active token with this name exists; revoke it first", NULL);
		return IG_EEXIST;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	*id_r = sqlite3_last_insert_rowid(st->db);
	(void)sqlite3_reset(s);
	if (own && !exec_simple(st, ST_COMMIT))
		goto fail;
	return IG_OK;
fail:
	err_out(error_r, "creating token", st->db);
	(void)sqlite3_reset(s);
	if (own)
		(void)exec_simple(st, ST_ROLLBACK);
	return IG_EDB;
}

enum ig_err
state_tx_begin(struct state *st)
{
	if (!exec_simple(st, ST_BEGIN)) {
		(void)err_set("begin", st->db);
		return IG_EDB;
	}
	return IG_OK;
}

enum ig_err
state_tx_commit(struct state *st)
{
	if (!exec_simple(st, ST_COMMIT)) {
		(void)err_set("commit", st->db);
		state_tx_rollback(st);
		return IG_EDB;
	}
	return IG_OK;
}

void
state_tx_rollback(struct state *st)
{
	if (sqlite3_get_autocommit(st->db) == 0)
		(void)exec_simple(st, ST_ROLLBACK);
}

enum ig_err
state_token_create(struct state *st, const struct token_spec *spec,
		   char secret_r[TOKEN_SECRET_LEN + 1], struct token_info *info_r,
		   const char **error_r)
{
	unsigned char raw[TOKEN_RAW_LEN];
	unsigned char hash[crypto_hash_sha256_BYTES];
	const char *accounts = spec->accounts != NULL ? spec->accounts : "*";
	int64_t now = (int64_t)time(NULL);
	int64_t id = 0;
	enum ig_err err = IG_EINVAL;
	const char *dummy;

	if (error_r == NULL)
		error_r = &dummy;
	secret_r[0] = '\0';
	if (!state_name_ok(spec->name)) {
		*error_r = err_set("token name must be 1..64 printable ASCII characters without "
				   "spaces or commas, not starting with '#'",
				   NULL);
		return IG_EINVAL;
	}
	if (!state_accounts_ok(accounts) || strlen(accounts) >= sizeof(info_r->accounts)) {
		*error_r = err_set("accounts must be * or a comma list of distinct account names",
				   NULL);
		return IG_EINVAL;
	}
	if (!override_list_ok(spec->tools_allow) || !override_list_ok(spec->tools_deny)) {
		*error_r = err_set("tool overrides must be comma lists of at most 64 tool names",
				   NULL);
		return IG_EINVAL;
	}
	if (spec->rate_set &&
	    (spec->rate_limit.count > LIM_RATE_COUNT ||
	     (spec->rate_limit.count > 0 && spec->rate_limit.period_s == 0))) {
		*error_r = err_set("invalid rate limit", NULL);
		return IG_EINVAL;
	}
	if ((unsigned)spec->posture_cap > POSTURE_DESTRUCTIVE || spec->expires_at < 0 ||
	    (spec->expires_at != 0 && spec->expires_at <= now)) {
		*error_r = err_set("invalid posture or expiry in the past", NULL);
		return IG_EINVAL;
	}
	randombytes_buf(raw, sizeof(raw));
	memcpy(secret_r, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	sodium_bin2base64(secret_r + sizeof(TOKEN_PREFIX) - 1,
			  TOKEN_SECRET_LEN + 1 - (sizeof(TOKEN_PREFIX) - 1), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(hash, (const unsigned char *)secret_r, TOKEN_SECRET_LEN);
	err = token_insert(st, spec, accounts, hash, now, &id, error_r);
	if (err != IG_OK) {
		sodium_memzero(secret_r, TOKEN_SECRET_LEN + 1);
		goto out;
	}
	if (info_r != NULL) {
		memset(info_r, 0, sizeof(*info_r));
		info_r->id = id;
		(void)snprintf(info_r->name, sizeof(info_r->name), "%s", spec->name);
		(void)snprintf(info_r->accounts, sizeof(info_r->accounts), "%s", accounts);
		info_r->posture_cap = spec->posture_cap;
		info_r->admin = spec->admin;
		info_r->created_at = now;
		info_r->expires_at = spec->expires_at;
		(void)snprintf(info_r->tools_allow, sizeof(info_r->tools_allow), "%s",
			       spec->tools_allow != NULL ? spec->tools_allow : "");
		(void)snprintf(info_r->tools_deny, sizeof(info_r->tools_deny), "%s",
			       spec->tools_deny != NULL ? spec->tools_deny : "");
		info_r->rate_set = spec->rate_set;
		info_r->rate_limit = spec->rate_limit;
	}
out:
	sodium_memzero(raw, sizeof(raw));
	return err;
}

/* base64url value of c, or -1. */
static int
b64url_val(char c)
{
	return b64_value((unsigned char)c, '-', '_');
}

/* Strict shape check before any hashing or lookup: prefix, length, base64url
 * alphabet, and a canonical last character (43 characters carry 258 bits
 * for 256, so its 2 low bits are zero), so every accepted string is exactly
 * one encoding of 32 bytes. */
static bool
token_shape_ok(struct slice s)
{
	size_t i;

	if (s.p == NULL || s.len != TOKEN_SECRET_LEN ||
	    memcmp(s.p, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0)
		return false;
	for (i = sizeof(TOKEN_PREFIX) - 1; i < s.len; i++) {
		if (b64url_val(s.p[i]) < 0)
			return false;
	}
	return (b64url_val(s.p[s.len - 1]) & 3) == 0;
}

enum ig_err
state_token_verify(struct state *st, struct slice secret, int64_t now, struct token_info *info_r)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	enum ig_err err = IG_EAUTH;
	int rc;

	if (!token_shape_ok(secret))
		return IG_EAUTH;
	crypto_hash_sha256(hash, (const unsigned char *)secret.p, secret.len);
	s = stmt(st, ST_BY_HASH);
	if (sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC) != SQLITE_OK) {
		(void)err_set("verify", st->db);
		err = IG_EDB;
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		goto out;
	if (rc != SQLITE_ROW) {
		(void)err_set("verify", st->db);
		err = IG_EDB;
		goto out;
	}
	/* The index found the row; the constant-time compare is the rule for
	 * every secret comparison, and guards against a damaged index. */
	if (sqlite3_column_bytes(s, 2) != (int)sizeof(hash) ||
	    sodium_memcmp(sqlite3_column_blob(s, 2), hash, sizeof(hash)) != 0)
		goto out;
	if ((err = row_to_info(s, info_r)) != IG_OK)
		goto out;
	err = IG_EAUTH;
	if (info_r->revoked_at != 0 || (info_r->expires_at != 0 && now >= info_r->expires_at))
		goto out;
	err = IG_OK;
out:
	(void)sqlite3_reset(s);
	sodium_memzero(hash, sizeof(hash));
	return err;
}

enum ig_err
state_token_revoke(struct state *st, const char *name_or_id)
{
	sqlite3_stmt *s;
	enum ig_err err = IG_EDB;

	if (name_or_id[0] == '#') {
		char *end = NULL;
		long long id;

		errno = 0;
		id = strtoll(name_or_id + 1, &end, 10);
		if (name_or_id[1] < '0' || name_or_id[1] > '9' || errno != 0 || *end != '\0')
			return IG_ENOTFOUND;
		s = stmt(st, ST_REVOKE_ID);
		if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
			goto fail;
	} else {
		s = stmt(st, ST_REVOKE_NAME);
		if (sqlite3_bind_text(s, 1, name_or_id, -1, SQLITE_STATIC) != SQLITE_OK)
			goto fail;
	}
	if (sqlite3_bind_int64(s, 2, (int64_t)time(NULL)) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	err = sqlite3_changes(st->db) > 0 ? IG_OK : IG_ENOTFOUND;
	(void)sqlite3_reset(s);
	return err;
fail:
	(void)err_set("revoke", st->db);
	(void)sqlite3_reset(s);
	return err;
}

enum ig_err
state_token_list(struct state *st, void (*fn)(const struct token_info *info, void *ctx), void *ctx)
{
	sqlite3_stmt *s = stmt(st, ST_LIST);
	struct token_info info;
	enum ig_err err = IG_OK;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((err = row_to_info(s, &info)) != IG_OK)
			goto out;
		fn(&info, ctx);
	}
	if (rc != SQLITE_DONE) {
		(void)err_set("list", st->db);
		err = IG_EDB;
	}
out:
	(void)sqlite3_reset(s);
	return err;
}

bool
token_allows_account(const struct token_info *info, const char *account)
{
	size_t alen = strlen(account);
	const char *p = info->accounts;

	if (alen == 0)
		return false;
	if (strcmp(p, "*") == 0)
		return true;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == alen && memcmp(p, account, len) == 0)
			return true;
		if (p[len] == '\0')
			return false;
		p += len + 1;
	}
}
