/* The outbox in state.db (store/outbox.h, DESIGN §10).
 *
 * Every transition is one UPDATE guarded by the expected old state, so two
 * processes (the server's sender, `imapgate outbox` on the command line)
 * can never both move an entry: the loser sees zero changed rows. The
 * claim (approved -> sending) commits before the caller opens any SMTP
 * connection; with SQLite's default synchronous=FULL in WAL mode the commit
 * is on disk when sqlite3_step returns. */
#include "store/outbox.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/state.h"
#include "store/store_int.h"

static const char *const state_names[] = {
	[OUTBOX_PENDING] = "pending", [OUTBOX_APPROVED] = "approved",
	[OUTBOX_REJECTED] = "rejected", [OUTBOX_SENDING] = "sending",
	[OUTBOX_SENT] = "sent",	      [OUTBOX_FAILED] = "failed",
	[OUTBOX_UNCERTAIN] = "uncertain",
};

const char *
outbox_state_str(enum outbox_state s)
{
	return (unsigned)s <= OUTBOX_UNCERTAIN ? state_names[s] : "?";
}

bool
outbox_state_parse(const char *s, enum outbox_state *s_r)
{
	size_t i;

	for (i = 0; i <= OUTBOX_UNCERTAIN; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*s_r = (enum outbox_state)i;
			return true;
		}
	}
	return false;
}

static void
hash_part(crypto_hash_sha256_state *h, const void *p, size_t len)
{
	unsigned char n[8];
	size_t i;

	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	crypto_hash_sha256_update(h, n, sizeof(n));
	crypto_hash_sha256_update(h, p, len);
}

void
outbox_hash(const char *from, const char *const *rcpts, size_t n_rcpts, struct slice mime,
	    unsigned char out[OUTBOX_HASH_LEN])
{
	static const char domain[] = "imapgate outbox v1";
	crypto_hash_sha256_state h;
	size_t i;

	crypto_hash_sha256_init(&h);
	hash_part(&h, domain, sizeof(domain) - 1);
	hash_part(&h, from, strlen(from));
	hash_part(&h, &(uint64_t){n_rcpts}, sizeof(uint64_t));
	for (i = 0; i < n_rcpts; i++)
		hash_part(&h, rcpts[i], strlen(rcpts[i]));
	hash_part(&h, mime.p, mime.len);
	crypto_hash_sha256_final(&h, out);
}

void
outbox_hash_hex(const unsigned char h[OUTBOX_HASH_LEN], char out[OUTBOX_HASH_HEX + 1])
{
	(void)sodium_bin2hex(out, OUTBOX_HASH_HEX + 1, h, OUTBOX_HASH_LEN);
}

/* ---- statements ----------------------------------------------------------- */

#define COLS                                                                              \
	"id, token_id, token_name, account, state, autonomous, created_at, updated_at,"   \
	" approved_at, sent_at, mail_from, rcpts, subject, message_id, hash,"            \
	" approved_hash, approved_by, last_error"

static sqlite3_stmt *
prep(struct state *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v3(state_db(st), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		(void)state_err_set("outbox", state_db(st));
		return NULL;
	}
	return s;
}

static bool
exec(struct state *st, const char *sql)
{
	return sqlite3_exec(state_db(st), sql, NULL, NULL, NULL) == SQLITE_OK;
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);

	if (t == NULL)
		return NULL;
	return strndup((const char *)t, (size_t)n);
}

void
outbox_entry_free(struct outbox_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	free(e->token_name);
	free(e->account);
	free(e->mail_from);
	for (i = 0; i < e->n_rcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->subject);
	free(e->message_id);
	free(e->mime);
	free(e->approved_by);
	free(e->last_error);
	free(e);
}

static bool
rcpts_split(struct outbox_entry *e, const char *s)
{
	size_t n = 1;
	const char *p;

	for (p = s; *p != '\0'; p++)
		n += *p == '\n';
	if (n > LIM_SEND_RCPTS)
		return false;
	e->rcpts = calloc(n, sizeof(*e->rcpts));
	if (e->rcpts == NULL)
		return false;
	for (p = s;;) {
		size_t len = strcspn(p, "\n");

		e->rcpts[e->n_rcpts] = strndup(p, len);
		if (e->rcpts[e->n_rcpts] == NULL)
			return false;
		e->n_rcpts++;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

/* Reads a row (COLS, then optionally mime as column 18). Rows are validated:
 * the file is trusted, but a damaged row must never widen what is sent. */
static enum ig_err
row_read(sqlite3_stmt *s, bool with_mime, struct outbox_entry **e_r)
{
	struct outbox_entry *e = calloc(1, sizeof(*e));
	char *st_name = NULL;
	char *rcpts = NULL;

	*e_r = NULL;
	if (e == NULL)
		return IG_ENOMEM;
	e->id = sqlite3_column_int64(s, 0);
	e->token_id = sqlite3_column_int64(s, 1);
	e->token_name = col_dup(s, 2);
	e->account = col_dup(s, 3);
	st_name = col_dup(s, 4);
	e->autonomous = sqlite3_column_int(s, 5) != 0;
	e->created_at = sqlite3_column_int64(s, 6);
	e->updated_at = sqlite3_column_int64(s, 7);
	e->approved_at = sqlite3_column_int64(s, 8);
	e->sent_at = sqlite3_column_int64(s, 9);
	e->mail_from = col_dup(s, 10);
	rcpts = col_dup(s, 11);
	e->subject = col_dup(s, 12);
	e->message_id = col_dup(s, 13);
	e->approved_by = col_dup(s, 16);
	e->last_error = col_dup(s, 17);
	if (e->token_name == NULL || e->account == NULL || st_name == NULL ||
	    !outbox_state_parse(st_name, &e->state) || e->mail_from == NULL || rcpts == NULL ||
	    e->subject == NULL || e->message_id == NULL || !rcpts_split(e, rcpts) ||
	    sqlite3_column_bytes(s, 14) != OUTBOX_HASH_LEN)
		goto bad;
	memcpy(e->hash, sqlite3_column_blob(s, 14), OUTBOX_HASH_LEN);
	if (sqlite3_column_bytes(s, 15) == OUTBOX_HASH_LEN)
		memcpy(e->approved_hash, sqlite3_column_blob(s, 15), OUTBOX_HASH_LEN);
	if (with_mime) {
		int n = sqlite3_column_bytes(s, 18);

		e->mime = malloc(n > 0 ? (size_t)n : 1);
		if (e->mime == NULL)
			goto bad;
		if (n > 0)
			memcpy(e->mime, sqlite3_column_blob(s, 18), (size_t)n);
		e->mime_len = (size_t)n;
	}
	free(st_name);
	free(rcpts);
	*e_r = e;
	return IG_OK;
bad:
	free(st_name);
	free(rcpts);
	outbox_entry_free(e);
	(void)state_err_set("invalid outbox row", NULL);
	return IG_EDB;
}

/* ---- create ------------------------------------------------------------- */

enum ig_err
outbox_create(struct state *st, const struct outbox_new *n, int64_t *id_r)
{
	static const char sql_count[] = "SELECT count(*) FROM outbox WHERE account = ?1 AND"
					" created_at > ?2";
	static const char sql_ins[] =
		"INSERT INTO outbox (token_id, token_name, account, state, autonomous,"
		" created_at, updated_at, mail_from, rcpts, subject, message_id, mime, hash,"
		" approved_by, approved_hash, approved_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
	unsigned char hash[OUTBOX_HASH_LEN];
	sqlite3_stmt *c = NULL;
	sqlite3_stmt *s = NULL;
	char approver[LIM_TOKEN_NAME + 16];
	struct buf rc;
	enum ig_err err = IG_EDB;
	size_t i;

	buf_init(&rc, (size_t)LIM_SEND_RCPTS * (LIM_SEND_ADDRESS + 1));
	for (i = 0; i < n->n_rcpts; i++) {
		if (strchr(n->rcpts[i], '\n') != NULL) {
			buf_free(&rc);
			return IG_EINVAL;
		}
		if (i > 0)
			buf_putc(&rc, '\n');
		buf_puts(&rc, n->rcpts[i]);
	}
	if (n->n_rcpts == 0 || buf_err(&rc) != IG_OK) {
		buf_free(&rc);
		return IG_EINVAL;
	}
	outbox_hash(n->mail_from, n->rcpts, n->n_rcpts, n->mime, hash);
	(void)snprintf(approver, sizeof(approver), "autonomous:%s", n->token_name);
	if (!exec(st, "BEGIN IMMEDIATE")) {
		(void)state_err_set("outbox begin", state_db(st));
		goto out;
	}
	if ((c = prep(st, sql_count)) == NULL || (s = prep(st, sql_ins)) == NULL)
		goto rollback;
	if (sqlite3_bind_text(c, 1, n->account, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(c, 2, n->now - 86400) != SQLITE_OK ||
	    sqlite3_step(c) != SQLITE_ROW)
		goto rollback;
	if (n->quota > 0 && sqlite3_column_int64(c, 0) >= (int64_t)n->quota) {
		err = IG_ELIMIT;
		(void)exec(st, "ROLLBACK");
		goto out;
	}
	if (sqlite3_bind_int64(s, 1, n->token_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, n->token_name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, n->account, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, n->autonomous ? "approved" : "pending", -1, SQLITE_STATIC) !=
		    SQLITE_OK ||
	    sqlite3_bind_int(s, 5, n->autonomous ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, n->now) != SQLITE_OK ||
	    sqlite3_bind_text(s, 7, n->mail_from, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, rc.p, (int)rc.len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, n->subject, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 10, n->message_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob64(s, 11, n->mime.p, n->mime.len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 12, hash, sizeof(hash), SQLITE_STATIC) != SQLITE_OK)
		goto rollback;
	if (n->autonomous &&
	    (sqlite3_bind_text(s, 13, approver, -1, SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_blob(s, 14, hash, sizeof(hash), SQLITE_STATIC) != SQLITE_OK ||
	     sqlite3_bind_int64(s, 15, n->now) != SQLITE_OK))
		goto rollback;
	if (!n->autonomous && sqlite3_bind_int64(s, 15, 0) != SQLITE_OK)
		goto rollback;
	if (sqlite3_step(s) != SQLITE_DONE)
		goto rollback;
	*id_r = sqlite3_last_insert_rowid(state_db(st));
	if (!exec(st, "COMMIT"))
		goto rollback;
	err = IG_OK;
	goto out;
rollback:
	(void)state_err_set("outbox create", state_db(st));
	(void)exec(st, "ROLLBACK");
out:
	sqlite3_finalize(c);
	sqlite3_finalize(s);
	buf_free(&rc);
	return err;
}

/* ---- read ------------------------------------------------------------- */

enum ig_err
outbox_get(struct state *st, int64_t id, struct outbox_entry **e_r)
{
	sqlite3_stmt *s = prep(st, "SELECT " COLS ", mime FROM outbox WHERE id = ?1");
	enum ig_err err = IG_EDB;
	int rc;

	*e_r = NULL;
	if (s == NULL)
		return IG_EDB;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		err = IG_ENOTFOUND;
	else if (rc == SQLITE_ROW)
		err = row_read(s, true, e_r);
	else
		(void)state_err_set("outbox get", state_db(st));
out:
	sqlite3_finalize(s);
	return err;
}

enum ig_err
outbox_list(struct state *st, int64_t token_id, size_t limit,
	    void (*fn)(const struct outbox_entry *e, void *ctx), void *ctx)
{
	sqlite3_stmt *s = prep(st, "SELECT " COLS " FROM outbox WHERE (?1 < 0 OR token_id = ?1)"
				   " ORDER BY id DESC LIMIT ?2");
	enum ig_err err = IG_EDB;
	int rc;

	if (s == NULL)
		return IG_EDB;
	if (limit > LIM_OUTBOX_LIST)
		limit = LIM_OUTBOX_LIST;
	if (sqlite3_bind_int64(s, 1, token_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (int64_t)limit) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct outbox_entry *e = NULL;

		if ((err = row_read(s, false, &e)) != IG_OK)
			goto out;
		fn(e, ctx);
		outbox_entry_free(e);
	}
	err = rc == SQLITE_DONE ? IG_OK : IG_EDB;
	if (err != IG_OK)
		(void)state_err_set("outbox list", state_db(st));
out:
	sqlite3_finalize(s);
	return err;
}

/* ---- transitions -------------------------------------------------------- */

/* Runs an UPDATE with bound (id, now, text3, blob4) and reports whether one
 * row changed. */
static enum ig_err
update_one(struct state *st, const char *sql, int64_t id, int64_t now, const char *t3,
	   const unsigned char *b4)
{
	sqlite3_stmt *s = prep(st, sql);
	enum ig_err err = IG_EDB;

	if (s == NULL)
		return IG_EDB;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, now) != SQLITE_OK ||
	    (t3 != NULL && sqlite3_bind_text(s, 3, t3, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    (b4 != NULL &&
	     sqlite3_bind_blob(s, 4, b4, OUTBOX_HASH_LEN, SQLITE_STATIC) != SQLITE_OK) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		(void)state_err_set("outbox update", state_db(st));
		goto out;
	}
	err = sqlite3_changes(state_db(st)) == 1 ? IG_OK : IG_EEXIST;
out:
	sqlite3_finalize(s);
	return err;
}

static const char *
hash_check(const struct outbox_entry *e, unsigned char out[OUTBOX_HASH_LEN])
{
	outbox_hash(e->mail_from, (const char *const *)e->rcpts, e->n_rcpts,
		    (struct slice){(const char *)e->mime, e->mime_len}, out);
	if (sodium_memcmp(out, e->hash, OUTBOX_HASH_LEN) != 0)
		return "the entry changed since it was queued; it cannot be approved";
	return NULL;
}

enum ig_err
outbox_approve(struct state *st, int64_t id, const char *approver, const char *expect_hash_hex,
	       int64_t now, const char **error_r)
{
	struct outbox_entry *e = NULL;
	unsigned char h[OUTBOX_HASH_LEN];
	char hex[OUTBOX_HASH_HEX + 1];
	enum ig_err err;

	*error_r = NULL;
	if ((err = outbox_get(st, id, &e)) != IG_OK)
		return err;
	if (e->state != OUTBOX_PENDING) {
		*error_r = "the entry is not pending";
		err = IG_EEXIST;
		goto out;
	}
	if ((*error_r = hash_check(e, h)) != NULL) {
		err = IG_EINVAL;
		goto out;
	}
	outbox_hash_hex(h, hex);
	if (expect_hash_hex != NULL && strcasecmp(expect_hash_hex, hex) != 0) {
		*error_r = "the hash given does not match the entry";
		err = IG_EINVAL;
		goto out;
	}
	/* Binds the approval to the hash just verified over the stored bytes;
	 * the sender verifies the bytes against it again before sending. */
	err = update_one(st,
			 "UPDATE outbox SET state = 'approved', approved_by = ?3,"
			 " approved_hash = ?4, approved_at = ?2, updated_at = ?2"
			 " WHERE id = ?1 AND state = 'pending'",
			 id, now, approver, h);
	if (err == IG_EEXIST)
		*error_r = "the entry is not pending";
out:
	outbox_entry_free(e);
	return err;
}

enum ig_err
outbox_reject(struct state *st, int64_t id, const char *by, int64_t now)
{
	struct outbox_entry *e = NULL;
	enum ig_err err = outbox_get(st, id, &e);

	outbox_entry_free(e);
	if (err != IG_OK)
		return err;
	return update_one(st,
			  "UPDATE outbox SET state = 'rejected', approved_by = ?3,"
			  " updated_at = ?2 WHERE id = ?1 AND state IN ('pending', 'approved')",
			  id, now, by, NULL);
}

enum ig_err
outbox_claim(struct state *st, int64_t now, struct outbox_entry **e_r)
{
	sqlite3_stmt *s = NULL;
	enum ig_err err = IG_EDB;
	int64_t id;
	int rc;

	*e_r = NULL;
	if (!exec(st, "BEGIN IMMEDIATE")) {
		(void)state_err_set("outbox claim", state_db(st));
		return IG_EDB;
	}
	s = prep(st, "SELECT id FROM outbox WHERE state = 'approved' ORDER BY id LIMIT 1");
	if (s == NULL)
		goto rollback;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		err = IG_ENOTFOUND;
		goto rollback;
	}
	if (rc != SQLITE_ROW)
		goto rollback;
	id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if ((err = update_one(st,
			      "UPDATE outbox SET state = 'sending', updated_at = ?2"
			      " WHERE id = ?1 AND state = 'approved'",
			      id, now, NULL, NULL)) != IG_OK)
		goto rollback;
	if (!exec(st, "COMMIT")) {
		err = IG_EDB;
		goto rollback;
	}
	return outbox_get(st, id, e_r);
rollback:
	if (err == IG_EDB)
		(void)state_err_set("outbox claim", state_db(st));
	sqlite3_finalize(s);
	(void)exec(st, "ROLLBACK");
	return err;
}

enum ig_err
outbox_finish(struct state *st, int64_t id, enum outbox_state to, const char *err_text,
	      int64_t now)
{
	const char *sql;

	switch (to) {
	case OUTBOX_SENT:
		sql = "UPDATE outbox SET state = 'sent', sent_at = ?2, updated_at = ?2,"
		      " last_error = ?3 WHERE id = ?1 AND state = 'sending'";
		break;
	case OUTBOX_FAILED:
		sql = "UPDATE outbox SET state = 'failed', updated_at = ?2, last_error = ?3"
		      " WHERE id = ?1 AND state = 'sending'";
		break;
	case OUTBOX_UNCERTAIN:
		sql = "UPDATE outbox SET state = 'uncertain', updated_at = ?2, last_error = ?3"
		      " WHERE id = ?1 AND state = 'sending'";
		break;
	default:
		return IG_EINVAL;
	}
	return update_one(st, sql, id, now, err_text, NULL);
}

enum ig_err
outbox_unapprove(struct state *st, int64_t id, const char *why, int64_t now)
{
	return update_one(st,
			  "UPDATE outbox SET state = 'pending', approved_by = NULL,"
			  " approved_hash = NULL, approved_at = 0, updated_at = ?2,"
			  " last_error = ?3 WHERE id = ?1 AND state = 'sending'",
			  id, now, why, NULL);
}

enum ig_err
outbox_recover(struct state *st, int64_t now,
	       enum ig_err (*fn)(const struct outbox_entry *e, void *ctx), void *ctx, size_t *n_r)
{
	sqlite3_stmt *s = NULL;
	int64_t ids[LIM_OUTBOX_LIST];
	size_t n = 0;
	size_t i;
	enum ig_err err = IG_EDB;
	int rc;

	*n_r = 0;
	if (!exec(st, "BEGIN IMMEDIATE")) {
		(void)state_err_set("outbox recover", state_db(st));
		return IG_EDB;
	}
	/* One sender claims one entry at a time: a handful at most. */
	s = prep(st, "SELECT id FROM outbox WHERE state = 'sending' ORDER BY id LIMIT ?1");
	if (s == NULL || sqlite3_bind_int64(s, 1, LIM_OUTBOX_LIST) != SQLITE_OK)
		goto rollback;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE)
		goto rollback;
	for (i = 0; i < n; i++) {
		struct outbox_entry *e = NULL;

		if ((err = outbox_get(st, ids[i], &e)) != IG_OK ||
		    (err = update_one(st,
				      "UPDATE outbox SET state = 'uncertain', updated_at = ?2,"
				      " last_error = ?3 WHERE id = ?1 AND state = 'sending'",
				      ids[i], now, "interrupted during sending; delivery unknown",
				      NULL)) != IG_OK ||
		    (fn != NULL && (err = fn(e, ctx)) != IG_OK)) {
			outbox_entry_free(e);
			(void)exec(st, "ROLLBACK");
			goto out;
		}
		outbox_entry_free(e);
	}
	err = IG_EDB;
	if (!exec(st, "COMMIT"))
		goto rollback;
	*n_r = n;
	err = IG_OK;
	goto out;
rollback:
	(void)state_err_set("outbox recover", state_db(st));
	(void)exec(st, "ROLLBACK");
out:
	sqlite3_finalize(s);
	return err;
}
