/* Tests for store/outbox.c: the state machine (only the allowed
 * transitions), hash binding (a tampered row cannot be approved or sent),
 * the quota in the creating transaction, claim exclusivity, recovery of
 * `sending` as `uncertain`, and the migration from a version-1 file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "store/outbox.h"
#include "store/state.h"

struct fx {
	char root[64];
	struct state *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *error = NULL;

	if (fx == NULL)
		return -1;
	(void)snprintf(fx->root, sizeof(fx->root), "/tmp/ig-test-outbox-XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	if (state_open(fx->root, &fx->st, &error) != IG_OK)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	state_close(fx->st);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->root);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static const char *const rcpts[] = {"bob@example.test", "secret@example.test"};
static const char mime[] = "From: a@example.test\r\nTo: bob@example.test\r\n\r\nhi\r\n";

static int64_t
create(struct state *st, unsigned quota, bool autonomous, enum ig_err *err_r)
{
	struct outbox_new n = {0};
	int64_t id = 0;

	n.token_id = 7;
	n.token_name = "agent";
	n.account = "work";
	n.mail_from = "a@example.test";
	n.rcpts = rcpts;
	n.n_rcpts = 2;
	n.subject = "hi";
	n.message_id = "<x@example.test>";
	n.mime = (struct slice){mime, sizeof(mime) - 1};
	n.autonomous = autonomous;
	n.quota = quota;
	n.now = 1000000;
	*err_r = outbox_create(st, &n, &id);
	return id;
}

static void
tamper(struct fx *fx, int64_t id)
{
	char path[128];
	sqlite3 *db = NULL;
	char sql[128];

	(void)snprintf(path, sizeof(path), "%s/state.db", fx->root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	(void)snprintf(sql, sizeof(sql), "UPDATE outbox SET mime = CAST('changed' AS BLOB) WHERE id = %lld",
		       (long long)id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_lifecycle(void **state)
{
	struct fx *fx = *state;
	struct outbox_entry *e = NULL;
	const char *why = NULL;
	enum ig_err err;
	int64_t id = create(fx->st, 10, false, &err);
	size_t n = 0;

	assert_int_equal(err, IG_OK);
	assert_int_equal(outbox_get(fx->st, id, &e), IG_OK);
	assert_int_equal(e->state, OUTBOX_PENDING);
	assert_int_equal(e->n_rcpts, 2);
	assert_string_equal(e->rcpts[1], "secret@example.test");
	assert_int_equal(e->mime_len, sizeof(mime) - 1);
	outbox_entry_free(e);
	/* nothing to claim while pending */
	assert_int_equal(outbox_claim(fx->st, 1000001, &e), IG_ENOTFOUND);
	assert_int_equal(outbox_approve(fx->st, id, "ops", "00", 1000002, &why), IG_EINVAL);
	assert_int_equal(outbox_approve(fx->st, id, "ops", NULL, 1000002, &why), IG_OK);
	assert_int_equal(outbox_approve(fx->st, id, "ops", NULL, 1000002, &why), IG_EEXIST);
	assert_int_equal(outbox_claim(fx->st, 1000003, &e), IG_OK);
	assert_int_equal(e->id, id);
	assert_int_equal(e->state, OUTBOX_SENDING);
	assert_string_equal(e->approved_by, "ops");
	assert_memory_equal(e->approved_hash, e->hash, OUTBOX_HASH_LEN);
	outbox_entry_free(e);
	/* claimed once only */
	assert_int_equal(outbox_claim(fx->st, 1000003, &e), IG_ENOTFOUND);
	assert_int_equal(outbox_reject(fx->st, id, "ops", 1000004), IG_EEXIST);
	/* recovery turns `sending` into `uncertain`, never back to approved */
	assert_int_equal(outbox_recover(fx->st, 1000005, NULL, NULL, &n), IG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(outbox_get(fx->st, id, &e), IG_OK);
	assert_int_equal(e->state, OUTBOX_UNCERTAIN);
	assert_non_null(e->last_error);
	outbox_entry_free(e);
	assert_int_equal(outbox_finish(fx->st, id, OUTBOX_SENT, NULL, 1000006), IG_EEXIST);
	assert_int_equal(outbox_claim(fx->st, 1000007, &e), IG_ENOTFOUND);
}

static void
test_finish_and_reject(void **state)
{
	struct fx *fx = *state;
	struct outbox_entry *e = NULL;
	const char *why = NULL;
	enum ig_err err;
	int64_t a = create(fx->st, 0, false, &err);
	int64_t b = create(fx->st, 0, false, &err);
	char hex[OUTBOX_HASH_HEX + 1];

	assert_int_equal(outbox_get(fx->st, a, &e), IG_OK);
	outbox_hash_hex(e->hash, hex);
	outbox_entry_free(e);
	assert_int_equal(outbox_approve(fx->st, a, "ops", hex, 1, &why), IG_OK);
	assert_int_equal(outbox_reject(fx->st, b, "ops", 1), IG_OK);
	assert_int_equal(outbox_approve(fx->st, b, "ops", NULL, 1, &why), IG_EEXIST);
	assert_int_equal(outbox_claim(fx->st, 2, &e), IG_OK);
	assert_int_equal(e->id, a);
	assert_int_equal(outbox_finish(fx->st, a, OUTBOX_SENT, NULL, 3), IG_OK);
	assert_int_equal(outbox_finish(fx->st, a, OUTBOX_FAILED, "x", 3), IG_EEXIST);
	assert_int_equal(outbox_finish(fx->st, a, OUTBOX_PENDING, NULL, 3), IG_EINVAL);
	outbox_entry_free(e);
	assert_int_equal(outbox_get(fx->st, 99, &e), IG_ENOTFOUND);
}

static void
test_tamper(void **state)
{
	struct fx *fx = *state;
	struct outbox_entry *e = NULL;
	const char *why = NULL;
	enum ig_err err;
	int64_t id = create(fx->st, 0, false, &err);
	int64_t id2 = create(fx->st, 0, false, &err);
	unsigned char h[OUTBOX_HASH_LEN];

	tamper(fx, id);
	assert_int_equal(outbox_approve(fx->st, id, "ops", NULL, 1, &why), IG_EINVAL);
	assert_non_null(strstr(why, "changed"));
	/* tampered after approval: the sender's check (recomputed hash vs the
	 * approved one) fails and the approval is dropped */
	assert_int_equal(outbox_approve(fx->st, id2, "ops", NULL, 1, &why), IG_OK);
	tamper(fx, id2);
	assert_int_equal(outbox_claim(fx->st, 2, &e), IG_OK);
	assert_int_equal(e->id, id2);
	outbox_hash(e->mail_from, (const char *const *)e->rcpts, e->n_rcpts,
		    (struct slice){(const char *)e->mime, e->mime_len}, h);
	assert_true(sodium_memcmp(h, e->approved_hash, sizeof(h)) != 0);
	assert_int_equal(outbox_unapprove(fx->st, id2, "changed", 3), IG_OK);
	outbox_entry_free(e);
	assert_int_equal(outbox_get(fx->st, id2, &e), IG_OK);
	assert_int_equal(e->state, OUTBOX_PENDING);
	assert_null(e->approved_by);
	outbox_entry_free(e);
}

static void
test_hash_binding(void **state)
{
	static const char *const r1[] = {"a@b.c", "d@e.f"};
	static const char *const r2[] = {"a@b.cd", "@e.f"};
	static const char *const r3[] = {"a@b.c"};
	unsigned char h1[OUTBOX_HASH_LEN], h2[OUTBOX_HASH_LEN], h3[OUTBOX_HASH_LEN];
	struct slice m = {"x", 1};

	(void)state;
	outbox_hash("f@g.h", r1, 2, m, h1);
	outbox_hash("f@g.h", r2, 2, m, h2);
	outbox_hash("f@g.h", r3, 1, m, h3);
	assert_true(memcmp(h1, h2, sizeof(h1)) != 0); /* length-prefixed: no shifting */
	assert_true(memcmp(h1, h3, sizeof(h1)) != 0); /* a recipient less: another hash */
	outbox_hash("f@g.hx", r3, 1, (struct slice){"", 0}, h2);
	outbox_hash("f@g.h", r3, 1, (struct slice){"x", 1}, h3);
	assert_true(memcmp(h2, h3, sizeof(h2)) != 0);
}

static void
test_quota_and_autonomous(void **state)
{
	struct fx *fx = *state;
	struct outbox_entry *e = NULL;
	enum ig_err err;
	int i;

	for (i = 0; i < 3; i++) {
		(void)create(fx->st, 3, false, &err);
		assert_int_equal(err, IG_OK);
	}
	(void)create(fx->st, 3, false, &err);
	assert_int_equal(err, IG_ELIMIT);
	/* autonomous entries are created approved, by "autonomous:<token>" */
	(void)create(fx->st, 0, true, &err);
	assert_int_equal(err, IG_OK);
	assert_int_equal(outbox_claim(fx->st, 5, &e), IG_OK);
	assert_true(e->autonomous);
	assert_string_equal(e->approved_by, "autonomous:agent");
	outbox_entry_free(e);
}

static int listed;

static void
count_cb(const struct outbox_entry *e, void *ctx)
{
	(void)ctx;
	assert_null(e->mime);
	listed++;
}

static void
test_list(void **state)
{
	struct fx *fx = *state;
	enum ig_err err;

	(void)create(fx->st, 0, false, &err);
	(void)create(fx->st, 0, false, &err);
	listed = 0;
	assert_int_equal(outbox_list(fx->st, 7, 10, count_cb, NULL), IG_OK);
	assert_int_equal(listed, 2);
	listed = 0;
	assert_int_equal(outbox_list(fx->st, 8, 10, count_cb, NULL), IG_OK);
	assert_int_equal(listed, 0);
	listed = 0;
	assert_int_equal(outbox_list(fx->st, -1, 1, count_cb, NULL), IG_OK);
	assert_int_equal(listed, 1);
}

/* A version-1 file (tokens only) is migrated in place, tokens kept. */
static void
test_migration(void **state)
{
	char dir[64] = "/tmp/ig-test-migr-XXXXXX";
	char path[128];
	char cmd[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct state *st = NULL;
	const char *error = NULL;
	enum ig_err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
				      " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32), accounts"
				      " TEXT NOT NULL, posture TEXT NOT NULL, admin INTEGER NOT NULL"
				      " DEFAULT 0, created_at INTEGER NOT NULL, expires_at INTEGER NOT"
				      " NULL DEFAULT 0, revoked_at INTEGER NOT NULL DEFAULT 0);"
				      "INSERT INTO tokens (name, hash, accounts, posture, created_at)"
				      " VALUES ('old', zeroblob(32), '*', 'readonly', 1);"
				      "PRAGMA user_version = 1;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(state_open(dir, &st, &error), IG_OK);
	(void)create(st, 0, false, &err);
	assert_int_equal(err, IG_OK);
	state_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM tokens),"
						" (SELECT count(*) FROM outbox)",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	assert_int_equal(sqlite3_column_int(q, 1), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_and_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test(test_hash_binding),
		cmocka_unit_test_setup_teardown(test_quota_and_autonomous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test(test_migration),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
