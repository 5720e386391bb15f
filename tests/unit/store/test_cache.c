/* Tests for store/cache.c: exact round trips of hostile text (quotes, "--",
 * NUL, 1 MB), folder state and UIDVALIDITY resets, search criteria and
 * paging, and damage of every kind (overwritten pages, truncated file,
 * deleted WAL, foreign user_version, rows of the wrong type or with invalid
 * UTF-8): detected, moved aside, rebuilt, never served. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base/limits.h"
#include "store/cache.h"

struct fx {
	char root[64];
	struct cache_file *f;
	struct cache *c;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *e = NULL;

	if (fx == NULL)
		return -1;
	(void)snprintf(fx->root, sizeof(fx->root), "/tmp/ig-test-cache-XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	fx->f = cache_file_new(fx->root);
	if (fx->f == NULL || cache_open(fx->f, &fx->c, NULL, &e) != IG_OK) {
		print_error("cache_open: %s\n", e != NULL ? e : "?");
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	cache_close(fx->c);
	cache_file_free(fx->f);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->root);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static struct slice
S(const char *s)
{
	return sl_from_cstr(s);
}

static void
msg_fill(struct cache_msg *m, uint32_t uid, const char *subject, const char *from)
{
	memset(m, 0, sizeof(*m));
	m->uidvalidity = 7;
	m->uid = uid;
	m->internaldate = 1700000000 + uid;
	m->size = 1000 + uid;
	m->flags = S(uid % 2 ? "\\Seen" : "");
	m->date = S("Mon, 1 Jan 2024 00:00:00 +0000");
	m->subject = S(subject);
	m->from_json = S("[]");
	m->to_json = S("[]");
	m->cc_json = S("[]");
	m->from_text = S(from);
	m->to_text = S("bob@example.org");
	m->cc_text = S("");
	m->message_id = S("<id@x>");
	m->in_reply_to = S("");
	m->references = S("");
	m->list_id = S(uid % 3 == 0 ? "<dev.lists.example.org>" : "");
	m->warnings_json = S("[]");
}

static int64_t
folder(struct fx *fx, const char *name, uint32_t uidvalidity)
{
	struct cache_folder f;

	assert_int_equal(cache_folder_reset(fx->c, S("acc"), S(name), uidvalidity, &f), IG_OK);
	return f.id;
}

struct got {
	char *subject;
	size_t subject_len;
	char *flags;
	size_t flags_len;
	size_t n;
	uint32_t uids[128];
};

static void
got_fn(void *ctx, const struct cache_msg *m)
{
	struct got *g = ctx;

	free(g->subject);
	free(g->flags);
	g->subject = malloc(m->subject.len + 1);
	memcpy(g->subject, m->subject.p, m->subject.len);
	g->subject_len = m->subject.len;
	g->flags = malloc(m->flags.len + 1);
	memcpy(g->flags, m->flags.p, m->flags.len);
	g->flags_len = m->flags.len;
	if (g->n < 128)
		g->uids[g->n] = m->uid;
	g->n++;
}

static void
got_free(struct got *g)
{
	free(g->subject);
	free(g->flags);
	memset(g, 0, sizeof(*g));
}

static void
roundtrip(struct fx *fx, int64_t fid, uint32_t uid, struct slice subject, struct slice flags)
{
	struct cache_msg m;
	struct got g;

	memset(&g, 0, sizeof(g));
	msg_fill(&m, uid, "", "x");
	m.subject = subject;
	m.flags = flags;
	m.from_text = subject;
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	assert_int_equal(cache_msg_get(fx->c, fid, uid, got_fn, &g), IG_OK);
	assert_int_equal(g.subject_len, subject.len);
	assert_memory_equal(g.subject, subject.p, subject.len);
	assert_int_equal(g.flags_len, flags.len);
	if (flags.len > 0)
		assert_memory_equal(g.flags, flags.p, flags.len);
	got_free(&g);
}

static void
test_sql_safety(void **state)
{
	struct fx *fx = *state;
	static const char nul[] = "a\0b'\"--;DROP TABLE messages;--";
	char *big = malloc(LIM_CACHE_TEXT);
	struct cache_folder f;
	int64_t fid;
	size_t i;

	fid = folder(fx, "we'ird\"--\\name", 1);
	/* mailbox names with quotes and NUL round-trip as keys */
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("we'ird\"--\\name"), &f), IG_OK);
	assert_int_equal(f.id, fid);
	assert_int_equal(cache_folder_reset(fx->c, S("acc"),
					    (struct slice){"x\0y", 3}, 1, &f), IG_OK);
	assert_int_not_equal(f.id, fid);
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("x"), &f), IG_ENOTFOUND);
	roundtrip(fx, fid, 1, S("it's \"quoted\" -- and ; semicolons"), S("\\Seen $Label'--"));
	roundtrip(fx, fid, 2, (struct slice){nul, sizeof(nul) - 1}, (struct slice){"a\0b", 3});
	for (i = 0; i < LIM_CACHE_TEXT; i++)
		big[i] = (char)('a' + i % 26);
	roundtrip(fx, fid, 3, (struct slice){big, LIM_CACHE_TEXT}, S("\\Flagged"));
	/* one byte more is refused, not cut */
	{
		struct cache_msg m;

		msg_fill(&m, 4, "", "x");
		m.subject = (struct slice){big, LIM_CACHE_TEXT + 0};
		m.date = (struct slice){big, LIM_CACHE_TEXT};
		assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	}
	free(big);
	/* the table is still there */
	{
		size_t n = 0;

		assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
		assert_int_equal(n, 4);
	}
}

static void
test_folder_state(void **state)
{
	struct fx *fx = *state;
	struct cache_folder f;
	struct cache_msg m;
	size_t n = 0;
	int64_t fid = folder(fx, "INBOX", 7);
	uint32_t i;

	assert_int_equal(cache_begin(fx->c), IG_OK);
	for (i = 1; i <= 10; i++) {
		msg_fill(&m, i, "hello", "alice@example.com");
		assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	}
	/* upsert: same key again is no duplicate */
	msg_fill(&m, 5, "hello again", "alice@example.com");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("INBOX"), &f), IG_OK);
	f.uidnext = 11;
	f.highestmodseq = 99;
	f.synced = true;
	f.sync_uid = 10;
	assert_int_equal(cache_folder_put(fx->c, &f), IG_OK);
	assert_int_equal(cache_commit(fx->c), IG_OK);
	assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
	assert_int_equal(n, 10);
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("INBOX"), &f), IG_OK);
	assert_true(f.synced);
	assert_int_equal(f.uidnext, 11);
	assert_int_equal(f.highestmodseq, 99);
	/* a rolled-back transaction leaves nothing behind */
	assert_int_equal(cache_begin(fx->c), IG_OK);
	msg_fill(&m, 20, "x", "y");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	f.uidnext = 21;
	assert_int_equal(cache_folder_put(fx->c, &f), IG_OK);
	cache_rollback(fx->c);
	assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
	assert_int_equal(n, 10);
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("INBOX"), &f), IG_OK);
	assert_int_equal(f.uidnext, 11);
	/* flags and deletes */
	{
		bool found = false;
		struct cache_query q;
		size_t total = 0;
		struct got g;

		memset(&g, 0, sizeof(g));
		assert_int_equal(cache_msg_flags(fx->c, fid, 2, S("\\Seen \\Flagged"), 0, &found),
				 IG_OK);
		assert_true(found);
		assert_int_equal(cache_msg_flags(fx->c, fid, 99, S("\\Seen"), 0, &found), IG_OK);
		assert_false(found);
		cache_query_init(&q);
		q.flagged = 1;
		assert_int_equal(cache_search(fx->c, fid, &q, 0, 10, &total, got_fn, &g), IG_OK);
		assert_int_equal(total, 1);
		assert_int_equal(g.uids[0], 2);
		got_free(&g);
		assert_int_equal(cache_msg_delete_range(fx->c, fid, 3, 4), IG_OK);
		assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
		assert_int_equal(n, 8);
	}
	/* UIDVALIDITY change drops the rows */
	assert_int_equal(cache_folder_reset(fx->c, S("acc"), S("INBOX"), 8, &f), IG_OK);
	assert_int_equal(f.id, fid);
	assert_false(f.synced);
	assert_int_equal(f.uidvalidity, 8);
	assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
	assert_int_equal(n, 0);
}

static void
test_search(void **state)
{
	struct fx *fx = *state;
	struct cache_msg m;
	struct cache_query q;
	struct got g;
	size_t total = 0;
	int64_t fid = folder(fx, "INBOX", 7);
	int64_t other = folder(fx, "Other", 7);
	uint32_t i;

	memset(&g, 0, sizeof(g));
	assert_int_equal(cache_begin(fx->c), IG_OK);
	for (i = 1; i <= 60; i++) {
		char subj[64];

		(void)snprintf(subj, sizeof(subj), "Report %u %s", i, i % 4 == 0 ? "Invoice" : "news");
		msg_fill(&m, i, subj, i % 5 == 0 ? "Carol <carol@Example.com>" : "dave@x.org");
		assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	}
	msg_fill(&m, 1, "Invoice elsewhere", "carol@example.com");
	assert_int_equal(cache_msg_put(fx->c, other, &m), IG_OK);
	assert_int_equal(cache_commit(fx->c), IG_OK);

	cache_query_init(&q);
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 5, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 60);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.uids[0], 60); /* newest first */
	assert_int_equal(g.uids[4], 56);
	got_free(&g);
	/* paging */
	assert_int_equal(cache_search(fx->c, fid, &q, 58, 5, &total, got_fn, &g), IG_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.uids[1], 1);
	got_free(&g);
	/* substring, case-insensitive, trigram path */
	q.subject = S("invoice");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 15);
	got_free(&g);
	/* combined with from (short term: instr path) and seen */
	q.from = S("ca");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 3); /* 20, 40, 60 */
	got_free(&g);
	q.seen = 1;
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 0); /* even uids are unseen */
	got_free(&g);
	cache_query_init(&q);
	q.from = S("CAROL@example");
	q.since = 1700000000 + 30;
	q.before = 1700000000 + 50;
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 4); /* 30, 35, 40, 45 */
	got_free(&g);
	cache_query_init(&q);
	q.larger = 1050;
	q.smaller = 1055;
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 4);
	got_free(&g);
	cache_query_init(&q);
	q.list_id = S("dev.lists");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 20);
	got_free(&g);
	/* FTS query syntax in a term is data, not syntax */
	cache_query_init(&q);
	q.subject = S("\" OR subject:*");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 0);
	got_free(&g);
	q.subject = (struct slice){"a\0b", 3};
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_EINVAL);
	/* a term in another folder is not found here */
	cache_query_init(&q);
	q.subject = S("elsewhere");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 0);
	/* bodies */
	assert_int_equal(cache_body_put(fx->c, fid, 7, S("the secret word is Zanzibar")), IG_OK);
	cache_query_init(&q);
	q.body = S("zanzibar");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 1);
	assert_int_equal(g.uids[0], 7);
	got_free(&g);
	cache_query_init(&q);
	q.text = S("Zanzib");
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), IG_OK);
	assert_int_equal(total, 1);
	got_free(&g);
	{
		uint32_t uids[10];
		size_t n = 0;

		assert_int_equal(cache_body_missing(fx->c, fid, 5, uids, 10, &n), IG_OK);
		assert_int_equal(n, 5);
		assert_int_equal(uids[0], 60);
	}
}

/* --- damage --- */

static void
fill_some(struct fx *fx, const char *name, uint32_t n)
{
	struct cache_msg m;
	int64_t fid = folder(fx, name, 7);
	uint32_t i;

	assert_int_equal(cache_begin(fx->c), IG_OK);
	for (i = 1; i <= n; i++) {
		msg_fill(&m, i, "a subject long enough to fill some pages of the database file",
			 "someone@example.com");
		assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	}
	assert_int_equal(cache_commit(fx->c), IG_OK);
}

static void
reopen(struct fx *fx, bool expect_rebuilt)
{
	const char *e = NULL;
	bool rebuilt = false;
	struct cache_folder f;

	assert_int_equal(cache_open(fx->f, &fx->c, &rebuilt, &e), IG_OK);
	assert_int_equal(rebuilt, expect_rebuilt);
	if (expect_rebuilt)
		assert_int_equal(cache_folder_get(fx->c, S("acc"), S("INBOX"), &f), IG_ENOTFOUND);
}

static void
checkpoint_close(struct fx *fx)
{
	cache_close(fx->c);
	fx->c = NULL;
}

static const char *
dbpath(struct fx *fx)
{
	static char p[128];

	(void)snprintf(p, sizeof(p), "%s/cache.db", fx->root);
	return p;
}

static void
raw_exec(struct fx *fx, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(dbpath(fx), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void
file_write_at(const char *path, off_t off, const char *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, off), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static bool
aside_exists(struct fx *fx)
{
	char cmd[160];

	(void)snprintf(cmd, sizeof(cmd), "ls %s/cache.db.damaged-* >/dev/null 2>&1", fx->root);
	return system(cmd) == 0;
}

static void
test_damage_overwritten_pages(void **state)
{
	struct fx *fx = *state;
	char junk[4096];

	fill_some(fx, "INBOX", 400);
	checkpoint_close(fx);
	memset(junk, 0x5a, sizeof(junk));
	file_write_at(dbpath(fx), 4096 * 3, junk, sizeof(junk));
	file_write_at(dbpath(fx), 4096 * 6, junk, sizeof(junk));
	reopen(fx, true);
	assert_true(aside_exists(fx));
}

static void
test_damage_truncated(void **state)
{
	struct fx *fx = *state;
	struct stat sb;

	fill_some(fx, "INBOX", 400);
	checkpoint_close(fx);
	assert_int_equal(stat(dbpath(fx), &sb), 0);
	assert_int_equal(truncate(dbpath(fx), sb.st_size / 2 + 100), 0);
	reopen(fx, true);
	assert_true(aside_exists(fx));
}

static void
test_damage_user_version(void **state)
{
	struct fx *fx = *state;

	fill_some(fx, "INBOX", 10);
	checkpoint_close(fx);
	raw_exec(fx, "PRAGMA user_version = 99");
	reopen(fx, true);
	checkpoint_close(fx);
	raw_exec(fx, "PRAGMA application_id = 12345");
	reopen(fx, true);
	checkpoint_close(fx);
	/* a foreign SQLite database with tables but no ids */
	assert_int_equal(unlink(dbpath(fx)), 0);
	raw_exec(fx, "CREATE TABLE t(x)");
	reopen(fx, true);
}

static void
test_damage_deleted_wal(void **state)
{
	struct fx *fx = *state;
	char wal[160];
	pid_t pid;
	int status = 0;
	size_t n = 0;
	struct cache_folder f;

	checkpoint_close(fx);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a process that dies with its commits only in the WAL */
		if (cache_open(fx->f, &fx->c, NULL, NULL) != IG_OK)
			_exit(1);
		fill_some(fx, "INBOX", 50);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	(void)snprintf(wal, sizeof(wal), "%s-wal", dbpath(fx));
	assert_int_equal(unlink(wal), 0);
	(void)snprintf(wal, sizeof(wal), "%s-shm", dbpath(fx));
	(void)unlink(wal);
	assert_int_equal(cache_open(fx->f, &fx->c, NULL, NULL), IG_OK);
	/* whatever survived is consistent: all of the batch or none */
	if (cache_folder_get(fx->c, S("acc"), S("INBOX"), &f) == IG_OK) {
		assert_int_equal(cache_msg_count(fx->c, f.id, &n), IG_OK);
		assert_true(n == 0 || n == 50);
	}
	assert_false(cache_damaged(fx->c));
}

static void
search_all(struct fx *fx, int64_t fid, enum ig_err want)
{
	struct cache_query q;
	struct got g;
	size_t total = 0;

	memset(&g, 0, sizeof(g));
	cache_query_init(&q);
	assert_int_equal(cache_search(fx->c, fid, &q, 0, 100, &total, got_fn, &g), want);
	got_free(&g);
}

static void
test_damage_rows(void **state)
{
	static const char *const bad[] = {
		"UPDATE messages SET uid = 'five' WHERE uid = 5",
		"UPDATE messages SET subject = CAST(x'41ff42' AS TEXT) WHERE uid = 5",
		"UPDATE messages SET subject = x'4142' WHERE uid = 5",
		"UPDATE messages SET seen = 7 WHERE uid = 5",
		"UPDATE messages SET size = -1 WHERE uid = 5",
		"UPDATE messages SET has_attachment = 'yes' WHERE uid = 5",
		"UPDATE folders SET uidnext = 'x'",
	};
	struct fx *fx = *state;
	struct cache_folder f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool changed = false;
		enum ig_err e;

		fill_some(fx, "INBOX", 10);
		raw_exec(fx, bad[i]);
		e = cache_folder_get(fx->c, S("acc"), S("INBOX"), &f);
		if (e == IG_OK)
			search_all(fx, f.id, IG_EDB);
		else
			assert_int_equal(e, IG_EDB);
		assert_true(cache_damaged(fx->c));
		/* not served after that, until rebuilt */
		assert_int_equal(cache_folder_get(fx->c, S("acc"), S("INBOX"), &f), IG_EDB);
		assert_int_equal(cache_check(fx->c, &changed), IG_OK);
		assert_true(changed);
		assert_false(cache_damaged(fx->c));
		assert_int_equal(cache_folder_get(fx->c, S("acc"), S("INBOX"), &f), IG_ENOTFOUND);
	}
	assert_true(aside_exists(fx));
}

static void
test_rebuild_seen_by_other_connection(void **state)
{
	struct fx *fx = *state;
	struct cache *other = NULL;
	struct cache_folder f;
	bool changed = false;
	unsigned gen;

	fill_some(fx, "INBOX", 5);
	assert_int_equal(cache_open(fx->f, &other, NULL, NULL), IG_OK);
	assert_int_equal(cache_folder_get(other, S("acc"), S("INBOX"), &f), IG_OK);
	gen = cache_generation(fx->c);
	assert_int_equal(cache_rebuild(fx->c, NULL), IG_OK);
	assert_int_equal(cache_generation(fx->c), gen + 1);
	assert_int_equal(cache_check(other, &changed), IG_OK);
	assert_true(changed);
	assert_int_equal(cache_folder_get(other, S("acc"), S("INBOX"), &f), IG_ENOTFOUND);
	cache_close(other);
}

/* cache_folder_drop_tree: the folder and its descendants, with their
 * messages, for one account only; names compare byte for byte (no LIKE
 * wildcards, no case folding). */
static void
test_folder_drop_tree(void **state)
{
	static const char *const names[] = {"Work", "Work/sub", "Work/sub/deep", "Workshop",
					    "Other", "W_rk", "W_rk/x", "work/x"};
	struct fx *fx = *state;
	struct cache_folder f;
	struct cache_msg m;
	int64_t ids[8];
	int64_t other_id;
	size_t n = 0;
	size_t i;

	assert_int_equal(cache_begin(fx->c), IG_OK);
	for (i = 0; i < 8; i++) {
		ids[i] = folder(fx, names[i], 7);
		msg_fill(&m, 1, "tree", "alice@example.com");
		assert_int_equal(cache_msg_put(fx->c, ids[i], &m), IG_OK);
	}
	assert_int_equal(cache_folder_reset(fx->c, S("acc2"), S("Work"), 7, &f), IG_OK);
	other_id = f.id;
	assert_int_equal(cache_msg_put(fx->c, other_id, &m), IG_OK);
	assert_int_equal(cache_commit(fx->c), IG_OK);

	assert_int_equal(cache_folder_drop_tree(fx->c, S("acc"), S("Work"), '/'), IG_OK);
	for (i = 0; i < 8; i++) {
		bool gone = i < 3;

		assert_int_equal(cache_folder_get(fx->c, S("acc"), S(names[i]), &f),
				 gone ? IG_ENOTFOUND : IG_OK);
		assert_int_equal(cache_msg_count(fx->c, ids[i], &n), IG_OK);
		assert_int_equal(n, gone ? 0 : 1);
	}
	assert_int_equal(cache_folder_get(fx->c, S("acc2"), S("Work"), &f), IG_OK);
	assert_int_equal(cache_msg_count(fx->c, other_id, &n), IG_OK);
	assert_int_equal(n, 1);
	/* the full-text index lost the dropped rows too */
	{
		struct cache_query q;
		size_t total = 0;
		struct got g;

		memset(&g, 0, sizeof(g));
		cache_query_init(&q);
		q.subject = S("tree");
		assert_int_equal(cache_search(fx->c, ids[3], &q, 0, 10, &total, got_fn, &g), IG_OK);
		assert_int_equal(total, 1);
		assert_int_equal(cache_search(fx->c, ids[1], &q, 0, 10, &total, got_fn, &g), IG_OK);
		assert_int_equal(total, 0);
		free(g.subject);
		free(g.flags);
	}
	/* flat (delim 0): the folder alone */
	assert_int_equal(cache_folder_drop_tree(fx->c, S("acc"), S("W_rk"), 0), IG_OK);
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("W_rk"), &f), IG_ENOTFOUND);
	assert_int_equal(cache_folder_get(fx->c, S("acc"), S("W_rk/x"), &f), IG_OK);
	/* nothing to drop is no error */
	assert_int_equal(cache_folder_drop_tree(fx->c, S("acc"), S("Nope"), '/'), IG_OK);
	assert_int_equal(cache_folder_drop_tree(fx->c, S("acc"), S(""), '/'), IG_EDB);
}

static size_t
count_of(struct fx *fx, int64_t fid, const char *subject, int seen, size_t offset, size_t limit,
	 struct got *g)
{
	struct cache_query q;
	size_t total = 0;

	cache_query_init(&q);
	if (subject != NULL)
		q.subject = S(subject);
	q.seen = seen;
	got_free(g);
	assert_int_equal(cache_search(fx->c, fid, &q, offset, limit, &total, got_fn, g), IG_OK);
	return total;
}

/* Rows join the full-text index when their transaction commits (one
 * INSERT ... SELECT): rows deleted or rewritten before that must not
 * leave stale entries; the folder's kept counts follow every change. */
static void
test_fts_pending_and_counts(void **state)
{
	struct fx *fx = *state;
	struct cache_msg m;
	struct got g;
	size_t n = 0;
	bool found = false;
	int64_t fid = folder(fx, "INBOX", 7);
	uint32_t i;

	memset(&g, 0, sizeof(g));
	assert_int_equal(cache_begin(fx->c), IG_OK);
	for (i = 1; i <= 10; i++) {
		char subj[32];

		(void)snprintf(subj, sizeof(subj), "alpha %u", i);
		msg_fill(&m, i, subj, "x@y"); /* odd uids \Seen */
		assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	}
	assert_int_equal(cache_msg_delete(fx->c, fid, 3), IG_OK); /* before its flush */
	msg_fill(&m, 4, "beta", "x@y");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	assert_int_equal(cache_body_put(fx->c, fid, 5, S("gamma body")), IG_OK);
	assert_int_equal(cache_commit(fx->c), IG_OK);
	assert_int_equal(count_of(fx, fid, "alpha", -1, 0, 20, &g), 8);
	assert_int_equal(count_of(fx, fid, "beta", -1, 0, 20, &g), 1);
	assert_int_equal(g.uids[0], 4);
	assert_int_equal(count_of(fx, fid, NULL, -1, 0, 20, &g), 9);
	assert_int_equal(count_of(fx, fid, NULL, 0, 0, 20, &g), 5); /* 2 4 6 8 10 */
	assert_int_equal(count_of(fx, fid, NULL, 1, 0, 20, &g), 4);
	assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
	assert_int_equal(n, 9);
	{
		struct cache_query q;
		size_t total = 0;

		cache_query_init(&q);
		q.body = S("gamma");
		got_free(&g);
		assert_int_equal(cache_search(fx->c, fid, &q, 0, 20, &total, got_fn, &g), IG_OK);
		assert_int_equal(total, 1);
		assert_int_equal(g.uids[0], 5);
	}
	/* indexed rows now: delete, flag change, rewrite */
	assert_int_equal(cache_begin(fx->c), IG_OK);
	assert_int_equal(cache_msg_delete(fx->c, fid, 1), IG_OK);
	assert_int_equal(cache_msg_flags(fx->c, fid, 2, S("\\Seen"), 0, &found), IG_OK);
	assert_true(found);
	msg_fill(&m, 6, "delta", "x@y");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	assert_int_equal(cache_commit(fx->c), IG_OK);
	assert_int_equal(count_of(fx, fid, "alpha", -1, 0, 20, &g), 6); /* 2 5 7 8 9 10 */
	assert_int_equal(count_of(fx, fid, "delta", -1, 0, 20, &g), 1);
	assert_int_equal(count_of(fx, fid, NULL, 0, 0, 20, &g), 4); /* 4 6 8 10 */
	assert_int_equal(count_of(fx, fid, "alpha", 0, 0, 20, &g), 2); /* 8 10 */
	assert_int_equal(g.uids[0], 10);
	/* the one-pass hit list pages newest first */
	assert_int_equal(count_of(fx, fid, "alpha", -1, 2, 2, &g), 6);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.uids[0], 8);
	assert_int_equal(g.uids[1], 7);
	assert_int_equal(count_of(fx, fid, "alpha", -1, 6, 2, &g), 6);
	assert_int_equal(g.n, 0);
	/* outside a transaction the row is indexed at once */
	msg_fill(&m, 11, "epsilon", "x@y");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	assert_int_equal(count_of(fx, fid, "epsilon", -1, 0, 20, &g), 1);
	/* a rolled-back batch leaves nothing behind */
	assert_int_equal(cache_begin(fx->c), IG_OK);
	msg_fill(&m, 12, "zeta", "x@y");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	cache_rollback(fx->c);
	assert_int_equal(count_of(fx, fid, "zeta", -1, 0, 20, &g), 0);
	assert_int_equal(count_of(fx, fid, NULL, -1, 0, 20, &g), 9);
	got_free(&g);
	raw_exec(fx, "INSERT INTO fts (fts) VALUES ('integrity-check')");
	raw_exec(fx, "SELECT CASE WHEN (SELECT n_msgs FROM folders WHERE name = 'INBOX') ="
		     " (SELECT count(*) FROM messages) THEN 1 ELSE abs(-9223372036854775807 - 1) END");
}

/* The flag check (cache_msg_flags_fix, cache_folder_recount): every stored
 * flag value and both kept counts, changed behind the cache's back with
 * valid values, are put right from the server's flag list; a row or a
 * folder that agrees is never written. */
static void
test_flag_fix(void **state)
{
	static const char *const cols[] = {"seen", "flagged", "answered", "draft", "deleted",
					   "flags"};
	static const char *const srv = "\\Seen \\Flagged \\Answered \\Draft \\Deleted $Label";
	struct fx *fx = *state;
	struct cache_msg m;
	struct got g;
	int64_t fid = folder(fx, "INBOX", 7);
	bool fixed = true;
	size_t n = 0;
	size_t i;

	memset(&g, 0, sizeof(g));
	msg_fill(&m, 1, "one", "x@y");
	m.flags = S(srv);
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	msg_fill(&m, 2, "two", "x@y");
	m.flags = S("");
	assert_int_equal(cache_msg_put(fx->c, fid, &m), IG_OK);
	assert_int_equal(cache_msg_flags_fix(fx->c, fid, 1, S(srv), &fixed), IG_OK);
	assert_false(fixed); /* agrees: not written */
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		char sql[160];

		(void)snprintf(sql, sizeof(sql), "UPDATE messages SET %s = %s WHERE uid = 1", cols[i],
			       i < 5 ? "0" : "''");
		raw_exec(fx, sql); /* 0 for a flag column, "" for the text */
		assert_int_equal(cache_msg_flags_fix(fx->c, fid, 1, S(srv), &fixed), IG_OK);
		assert_true(fixed);
		assert_int_equal(cache_msg_flags_fix(fx->c, fid, 1, S(srv), &fixed), IG_OK);
		assert_false(fixed);
	}
	assert_int_equal(count_of(fx, fid, NULL, 0, 0, 20, &g), 1); /* only uid 2 unread */
	assert_int_equal(g.uids[0], 2);
	assert_int_equal(cache_msg_get(fx->c, fid, 1, got_fn, &g), IG_OK);
	assert_int_equal(g.flags_len, strlen(srv));
	/* a message the cache does not hold: nothing to fix */
	assert_int_equal(cache_msg_flags_fix(fx->c, fid, 99, S(""), &fixed), IG_OK);
	assert_false(fixed);
	/* the kept counts */
	assert_int_equal(cache_folder_recount(fx->c, fid, &fixed), IG_OK);
	assert_false(fixed);
	raw_exec(fx, "UPDATE folders SET n_msgs = 5, n_unseen = 0");
	assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
	assert_int_equal(n, 5);
	assert_int_equal(cache_folder_recount(fx->c, fid, &fixed), IG_OK);
	assert_true(fixed);
	assert_int_equal(cache_msg_count(fx->c, fid, &n), IG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count_of(fx, fid, NULL, 0, 0, 20, &g), 1);
	assert_int_equal(cache_folder_recount(fx->c, fid, &fixed), IG_OK);
	assert_false(fixed);
	got_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flag_fix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql_safety, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_drop_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_pending_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_overwritten_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_user_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_deleted_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_seen_by_other_connection, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
