/* Tests for store/state.c: token lifecycle, strict secret format, file
 * modes, and that no secret byte ever reaches the database files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "store/state.h"

struct fx {
	char root[64];
	char data[96];
	struct state *st;
};

static void
path_of(const struct fx *fx, const char *name, char *out, size_t outsz)
{
	(void)snprintf(out, outsz, "%s/%s", fx->data, name);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *error = NULL;

	if (fx == NULL)
		return -1;
	(void)snprintf(fx->root, sizeof(fx->root), "/tmp/ig-test-state-XXXXXX");
	if (mkdtemp(fx->root) == NULL) {
		free(fx);
		return -1;
	}
	/* data/ does not exist yet: state_open must create it 0700. */
	(void)snprintf(fx->data, sizeof(fx->data), "%s/data", fx->root);
	if (state_open(fx->data, &fx->st, &error) != IG_OK) {
		print_error("state_open: %s\n", error);
		(void)rmdir(fx->data);
		(void)rmdir(fx->root);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const files[] = {"state.db", "state.db-wal", "state.db-shm",
					    "state.db-journal", "totp.key"};
	struct fx *fx = *state;
	char p[160];
	size_t i;

	state_close(fx->st);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path_of(fx, files[i], p, sizeof(p));
		(void)unlink(p);
	}
	(void)rmdir(fx->data);
	(void)rmdir(fx->root);
	free(fx);
	return 0;
}

static struct token_spec
spec_of(const char *name, const char *accounts)
{
	struct token_spec s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.accounts = accounts;
	s.posture_cap = POSTURE_DRAFT_SAFE;
	return s;
}

static void
create_ok(struct fx *fx, const struct token_spec *spec, char secret[TOKEN_SECRET_LEN + 1],
	  struct token_info *info)
{
	const char *error = NULL;
	enum ig_err err = state_token_create(fx->st, spec, secret, info, &error);

	if (err != IG_OK) {
		print_error("create: %s\n", error);
		fail();
	}
}

static void
test_create_verify(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("agent-1", "work,home");
	char secret[TOKEN_SECRET_LEN + 1];
	struct token_info ci;
	struct token_info vi;
	size_t i;

	spec.posture_cap = POSTURE_FULL;
	spec.admin = true;
	create_ok(fx, &spec, secret, &ci);
	assert_int_equal(strlen(secret), TOKEN_SECRET_LEN);
	assert_memory_equal(secret, "igt_", 4);
	for (i = 4; i < TOKEN_SECRET_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_",
				       secret[i]));
	assert_true(ci.id > 0);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(secret), time(NULL), &vi), IG_OK);
	assert_int_equal(vi.id, ci.id);
	assert_string_equal(vi.name, "agent-1");
	assert_string_equal(vi.accounts, "work,home");
	assert_int_equal(vi.posture_cap, POSTURE_FULL);
	assert_true(vi.admin);
	assert_int_equal(vi.expires_at, 0);
	assert_int_equal(vi.revoked_at, 0);
	assert_true(vi.created_at > 0);

	/* Two tokens never share a secret. */
	{
		char other[TOKEN_SECRET_LEN + 1];
		struct token_spec s2 = spec_of("agent-2", NULL);

		create_ok(fx, &s2, other, NULL);
		assert_string_not_equal(secret, other);
		assert_int_equal(state_token_verify(fx->st, sl_from_cstr(other), time(NULL), &vi),
				 IG_OK);
		assert_string_equal(vi.accounts, "*");
	}
}

static void
test_wrong_and_malformed(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("t", NULL);
	char secret[TOKEN_SECRET_LEN + 1];
	char bad[TOKEN_SECRET_LEN + 8];
	struct token_info vi;
	int64_t now = time(NULL);

	create_ok(fx, &spec, secret, NULL);

	/* right shape, wrong secret */
	memcpy(bad, secret, sizeof(secret));
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(bad), now, &vi), IG_EAUTH);
	/* wrong prefix */
	memcpy(bad, secret, sizeof(secret));
	bad[2] = 'x';
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(bad), now, &vi), IG_EAUTH);
	/* too short, too long */
	assert_int_equal(
		state_token_verify(fx->st, (struct slice){secret, TOKEN_SECRET_LEN - 1}, now, &vi),
		IG_EAUTH);
	memcpy(bad, secret, TOKEN_SECRET_LEN);
	bad[TOKEN_SECRET_LEN] = 'A';
	assert_int_equal(
		state_token_verify(fx->st, (struct slice){bad, TOKEN_SECRET_LEN + 1}, now, &vi),
		IG_EAUTH);
	/* alphabet: standard base64 '+', padding '=' */
	memcpy(bad, secret, sizeof(secret));
	bad[20] = '+';
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(bad), now, &vi), IG_EAUTH);
	memcpy(bad, secret, sizeof(secret));
	bad[TOKEN_SECRET_LEN - 1] = '=';
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(bad), now, &vi), IG_EAUTH);
	/* NUL inside, length still right */
	memcpy(bad, secret, sizeof(secret));
	bad[30] = '\0';
	assert_int_equal(
		state_token_verify(fx->st, (struct slice){bad, TOKEN_SECRET_LEN}, now, &vi),
		IG_EAUTH);
	/* non-canonical last character (low bits set) */
	memcpy(bad, secret, sizeof(secret));
	bad[TOKEN_SECRET_LEN - 1] = 'B';
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(bad), now, &vi), IG_EAUTH);
	/* empty, NULL */
	assert_int_equal(state_token_verify(fx->st, SL_LIT(""), now, &vi), IG_EAUTH);
	assert_int_equal(state_token_verify(fx->st, (struct slice){NULL, 0}, now, &vi), IG_EAUTH);
	assert_int_equal(state_token_verify(fx->st, SL_LIT("Bearer igt_"), now, &vi), IG_EAUTH);
	/* and the real one still works */
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(secret), now, &vi), IG_OK);
}

static void
test_revoke(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("rev", NULL);
	char s1[TOKEN_SECRET_LEN + 1];
	char s2[TOKEN_SECRET_LEN + 1];
	struct token_info i1;
	struct token_info i2;
	struct token_info vi;
	char idref[32];

	create_ok(fx, &spec, s1, &i1);
	assert_int_equal(state_token_revoke(fx->st, "rev"), IG_OK);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s1), time(NULL), &vi), IG_EAUTH);
	assert_int_equal(state_token_revoke(fx->st, "rev"), IG_ENOTFOUND);
	assert_int_equal(state_token_revoke(fx->st, "nope"), IG_ENOTFOUND);

	/* name reuse after revoke, then revoke by id */
	create_ok(fx, &spec, s2, &i2);
	assert_true(i2.id != i1.id);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s2), time(NULL), &vi), IG_OK);
	(void)snprintf(idref, sizeof(idref), "#%lld", (long long)i2.id);
	assert_int_equal(state_token_revoke(fx->st, idref), IG_OK);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s2), time(NULL), &vi), IG_EAUTH);
	assert_int_equal(state_token_revoke(fx->st, idref), IG_ENOTFOUND);
	assert_int_equal(state_token_revoke(fx->st, "#"), IG_ENOTFOUND);
	assert_int_equal(state_token_revoke(fx->st, "#1x"), IG_ENOTFOUND);
	assert_int_equal(state_token_revoke(fx->st, "#-1"), IG_ENOTFOUND);
}

static void
test_duplicate_name(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("dup", NULL);
	char s[TOKEN_SECRET_LEN + 1];
	const char *error = NULL;

	create_ok(fx, &spec, s, NULL);
	assert_int_equal(state_token_create(fx->st, &spec, s, NULL, &error), IG_EEXIST);
	assert_non_null(error);
	assert_string_equal(s, ""); /* no secret handed out for a failed create */
}

static void
test_expiry(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("exp", NULL);
	char s[TOKEN_SECRET_LEN + 1];
	char s2[TOKEN_SECRET_LEN + 1];
	struct token_info vi;
	const char *error = NULL;
	int64_t now = time(NULL);

	spec.expires_at = now + 100;
	create_ok(fx, &spec, s, NULL);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s), now, &vi), IG_OK);
	assert_int_equal(vi.expires_at, now + 100);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s), now + 99, &vi), IG_OK);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s), now + 100, &vi), IG_EAUTH);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s), now + 5000, &vi), IG_EAUTH);

	/* an expiry in the past is refused */
	spec.name = "past";
	spec.expires_at = now - 1;
	assert_int_equal(state_token_create(fx->st, &spec, s2, NULL, &error), IG_EINVAL);

	/* an expired token's name is free again: it is retired on reuse */
	spec.name = "short";
	spec.expires_at = time(NULL) + 1;
	create_ok(fx, &spec, s, NULL);
	sleep(2);
	spec.expires_at = 0;
	create_ok(fx, &spec, s2, NULL);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s2), time(NULL), &vi), IG_OK);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s), time(NULL), &vi), IG_EAUTH);
}

static void
test_invalid_specs(void **state)
{
	static const char *const bad_names[] = {
		"",
		"has space",
		"a,b",
		"#1",
		"tab\there",
		"caf\xc3\xa9",
		"del\x7f",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};
	static const char *const bad_accounts[] = {"",	  "a,,b", "a,",	 ",a",
						   "a,a", "a b",  "a.b", "*,a"};
	struct fx *fx = *state;
	char s[TOKEN_SECRET_LEN + 1];
	const char *error = NULL;
	struct token_spec spec;
	size_t i;

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		spec = spec_of(bad_names[i], NULL);
		assert_int_equal(state_token_create(fx->st, &spec, s, NULL, &error), IG_EINVAL);
	}
	spec = spec_of(NULL, NULL);
	assert_int_equal(state_token_create(fx->st, &spec, s, NULL, &error), IG_EINVAL);
	for (i = 0; i < sizeof(bad_accounts) / sizeof(bad_accounts[0]); i++) {
		spec = spec_of("ok", bad_accounts[i]);
		assert_int_equal(state_token_create(fx->st, &spec, s, NULL, &error), IG_EINVAL);
	}
	/* 64 characters is the limit, and fine */
	spec = spec_of("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL);
	create_ok(fx, &spec, s, NULL);
}

struct seen {
	int n;
	int64_t ids[8];
	char names[8][LIM_TOKEN_NAME + 1];
	int64_t revoked[8];
};

static void
collect(const struct token_info *info, void *ctx)
{
	struct seen *sn = ctx;

	if (sn->n < 8) {
		sn->ids[sn->n] = info->id;
		(void)snprintf(sn->names[sn->n], sizeof(sn->names[0]), "%s", info->name);
		sn->revoked[sn->n] = info->revoked_at;
	}
	sn->n++;
}

static void
test_list(void **state)
{
	struct fx *fx = *state;
	struct token_spec a = spec_of("first", NULL);
	struct token_spec b = spec_of("second", "work");
	char s[TOKEN_SECRET_LEN + 1];
	struct seen sn;

	memset(&sn, 0, sizeof(sn));
	assert_int_equal(state_token_list(fx->st, collect, &sn), IG_OK);
	assert_int_equal(sn.n, 0);
	create_ok(fx, &a, s, NULL);
	create_ok(fx, &b, s, NULL);
	assert_int_equal(state_token_revoke(fx->st, "first"), IG_OK);
	assert_int_equal(state_token_list(fx->st, collect, &sn), IG_OK);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.names[0], "first");
	assert_string_equal(sn.names[1], "second");
	assert_true(sn.ids[0] < sn.ids[1]);
	assert_true(sn.revoked[0] != 0);
	assert_int_equal(sn.revoked[1], 0);
}

static void
assert_mode(const char *p, mode_t want)
{
	struct stat sb;

	assert_int_equal(stat(p, &sb), 0);
	if ((sb.st_mode & 0777) != want) {
		print_error("%s: mode %o, want %o\n", p, (unsigned)(sb.st_mode & 0777),
			    (unsigned)want);
		fail();
	}
}

static void
test_file_modes(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("m", NULL);
	char s[TOKEN_SECRET_LEN + 1];
	char p[160];

	create_ok(fx, &spec, s, NULL);
	assert_mode(fx->data, 0700);
	path_of(fx, "state.db", p, sizeof(p));
	assert_mode(p, 0600);
	path_of(fx, "state.db-wal", p, sizeof(p));
	assert_mode(p, 0600);

	/* An existing, too-open file is tightened on open. */
	state_close(fx->st);
	fx->st = NULL;
	path_of(fx, "state.db", p, sizeof(p));
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(state_open(fx->data, &fx->st, NULL), IG_OK);
	assert_mode(p, 0600);
}

/* Reads the file (absent: empty) and reports whether needle occurs. */
static bool
file_contains(const char *p, const void *needle, size_t nlen)
{
	FILE *f = fopen(p, "rb");
	unsigned char *data;
	long n;
	bool found;

	if (f == NULL)
		return false;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	(void)fclose(f);
	found = memmem(data, (size_t)n, needle, nlen) != NULL;
	free(data);
	return found;
}

static void
test_no_secret_in_db(void **state)
{
	static const char *const files[] = {"state.db", "state.db-wal", "state.db-shm"};
	struct fx *fx = *state;
	struct token_spec spec = spec_of("secretive", NULL);
	char s[TOKEN_SECRET_LEN + 1];
	unsigned char raw[32];
	unsigned char hash[crypto_hash_sha256_BYTES];
	size_t rawlen = 0;
	char p[160];
	size_t i;
	int k;

	for (k = 0; k < 3; k++) {
		char name[16];

		(void)snprintf(name, sizeof(name), "secretive%d", k);
		spec.name = name;
		create_ok(fx, &spec, s, NULL);
		assert_int_equal(sodium_base642bin(raw, sizeof(raw), s + 4, TOKEN_SECRET_LEN - 4,
						   NULL, &rawlen, NULL,
						   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
				 0);
		assert_int_equal(rawlen, 32);
		crypto_hash_sha256(hash, (const unsigned char *)s, TOKEN_SECRET_LEN);
		/* force everything to disk: checkpoint happens on close */
		state_close(fx->st);
		fx->st = NULL;
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			path_of(fx, files[i], p, sizeof(p));
			assert_false(file_contains(p, s, TOKEN_SECRET_LEN));
			assert_false(file_contains(p, s + 4, TOKEN_SECRET_LEN - 4));
			assert_false(file_contains(p, raw, sizeof(raw)));
		}
		/* the test can fail: the hash itself is there */
		path_of(fx, "state.db", p, sizeof(p));
		assert_true(file_contains(p, hash, sizeof(hash)));
		assert_int_equal(state_open(fx->data, &fx->st, NULL), IG_OK);
	}
}

static void
test_reopen_persists(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = spec_of("persist", "a");
	char s[TOKEN_SECRET_LEN + 1];
	struct token_info vi;

	create_ok(fx, &spec, s, NULL);
	state_close(fx->st);
	fx->st = NULL;
	assert_int_equal(state_open(fx->data, &fx->st, NULL), IG_OK);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(s), time(NULL), &vi), IG_OK);
	assert_string_equal(vi.name, "persist");
	assert_string_equal(vi.accounts, "a");
}

/* A database from before the overrides step (version 2: tokens without
 * override columns, and the outbox) with a token in it is migrated in
 * place: the token still verifies, with no overrides and the default rate
 * limit. */
static void
test_migrate_v1(void **state)
{
	static const char v1[] =
		"CREATE TABLE tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		" hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32), accounts TEXT NOT NULL,"
		" posture TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0,"
		" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL DEFAULT 0,"
		" revoked_at INTEGER NOT NULL DEFAULT 0);"
		"CREATE UNIQUE INDEX tokens_live_name ON tokens(name) WHERE revoked_at = 0;"
		"PRAGMA user_version = 2;";
	struct fx *fx = *state;
	char p[160];
	char secret[TOKEN_SECRET_LEN + 1];
	struct token_spec spec = spec_of("old", "*");
	struct token_info info;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	const char *error = NULL;

	/* a token made by today's code, then the table rebuilt as version 1 */
	create_ok(fx, &spec, secret, &info);
	state_close(fx->st);
	fx->st = NULL;
	path_of(fx, "state.db", p, sizeof(p));
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TEMP TABLE keep AS SELECT id, name, hash, accounts,"
				      " posture, admin, created_at, expires_at, revoked_at FROM tokens;"
				      "DROP TABLE tokens; DROP TABLE users;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO tokens SELECT * FROM keep", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(state_open(fx->data, &fx->st, &error), IG_OK);
	memset(&info, 0, sizeof(info));
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(secret), wall_now_s(), &info),
			 IG_OK);
	assert_string_equal(info.name, "old");
	assert_string_equal(info.tools_allow, "");
	assert_string_equal(info.tools_deny, "");
	assert_false(info.rate_set);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 4);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Overrides and rate limits round-trip; malformed ones are refused. */
static void
test_overrides(void **state)
{
	struct fx *fx = *state;
	char secret[TOKEN_SECRET_LEN + 1];
	struct token_spec spec = spec_of("ov", "*");
	struct token_info info;
	const char *error = NULL;

	spec.tools_allow = "list_folders,search.advanced_query";
	spec.tools_deny = "send_email";
	spec.rate_set = true;
	spec.rate_limit = (struct cfg_rate){30, 60};
	create_ok(fx, &spec, secret, &info);
	memset(&info, 0, sizeof(info));
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(secret), wall_now_s(), &info),
			 IG_OK);
	assert_string_equal(info.tools_allow, "list_folders,search.advanced_query");
	assert_string_equal(info.tools_deny, "send_email");
	assert_true(info.rate_set);
	assert_int_equal(info.rate_limit.count, 30);
	assert_int_equal(info.rate_limit.period_s, 60);
	spec.name = "off";
	spec.rate_limit = (struct cfg_rate){0, 1};
	create_ok(fx, &spec, secret, &info);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(secret), wall_now_s(), &info),
			 IG_OK);
	assert_true(info.rate_set);
	assert_int_equal(info.rate_limit.count, 0);
	spec.name = "bad";
	spec.tools_deny = "a,,b";
	assert_int_equal(state_token_create(fx->st, &spec, secret, &info, &error), IG_EINVAL);
	spec.tools_deny = "a;drop";
	assert_int_equal(state_token_create(fx->st, &spec, secret, &info, &error), IG_EINVAL);
	spec.tools_deny = "a b";
	assert_int_equal(state_token_create(fx->st, &spec, secret, &info, &error), IG_EINVAL);
}

static void
test_newer_schema_refused(void **state)
{
	struct fx *fx = *state;
	char p[160];
	sqlite3 *db = NULL;
	const char *error = NULL;
	struct state *st2 = NULL;

	state_close(fx->st);
	fx->st = NULL;
	path_of(fx, "state.db", p, sizeof(p));
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(state_open(fx->data, &st2, &error), IG_EDB);
	assert_null(st2);
	assert_non_null(error);
	assert_non_null(strstr(error, "newer"));
	assert_non_null(strstr(state_errmsg(), "newer"));
	/* never auto-deleted: the table and version are still there */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM tokens", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void
test_open_errors(void **state)
{
	struct fx *fx = *state;
	struct state *st2 = NULL;
	const char *error = NULL;
	char p[160];

	/* data_dir is a file */
	path_of(fx, "state.db", p, sizeof(p));
	assert_int_equal(state_open(p, &st2, &error), IG_EIO);
	assert_null(st2);
	assert_non_null(error);
	/* parent missing */
	assert_int_equal(state_open("/nonexistent/dir/x", &st2, &error), IG_EIO);
	assert_null(st2);
}

static void
test_allows_account(void **state)
{
	struct token_info t;

	(void)state;
	memset(&t, 0, sizeof(t));
	(void)snprintf(t.accounts, sizeof(t.accounts), "*");
	assert_true(token_allows_account(&t, "work"));
	assert_false(token_allows_account(&t, ""));
	(void)snprintf(t.accounts, sizeof(t.accounts), "work,home-2");
	assert_true(token_allows_account(&t, "work"));
	assert_true(token_allows_account(&t, "home-2"));
	assert_false(token_allows_account(&t, "home"));
	assert_false(token_allows_account(&t, "wor"));
	assert_false(token_allows_account(&t, "work,home-2"));
	assert_false(token_allows_account(&t, "*"));
	assert_false(token_allows_account(&t, ""));
}

/* ---- operator users (store/state_user.c) ---- */

static const char fake_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA";

static void
user_add_ok(struct fx *fx, const char *name, const char *accounts, bool admin)
{
	struct user_spec spec = {name, accounts, POSTURE_FULL, admin};
	const char *error = NULL;

	if (state_user_add(fx->st, &spec, fake_hash, 1000, NULL, &error) != IG_OK) {
		print_error("user add: %s\n", error);
		fail();
	}
}

static void
user_names(const struct user_info *u, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);

	(void)snprintf(out + n, 256 - n, "%s%s%s%s;", u->name, u->admin ? "+admin" : "",
		       u->disabled ? "+disabled" : "", u->totp ? "+totp" : "");
}

static void
test_users(void **state)
{
	struct fx *fx = *state;
	struct user_spec spec = {"alice", "a,b", POSTURE_FULL, false};
	struct user_info u;
	char hash[USER_PWHASH_MAX];
	char names[256] = "";
	const char *error = NULL;

	user_add_ok(fx, "alice", "a,b", false);
	user_add_ok(fx, "root", NULL, true);
	/* the name is unique; bad names, lists and postures are refused */
	assert_int_equal(state_user_add(fx->st, &spec, fake_hash, 1000, NULL, &error), IG_EEXIST);
	assert_non_null(strstr(error, "exists"));
	spec.name = "#1";
	assert_int_equal(state_user_add(fx->st, &spec, fake_hash, 1000, NULL, &error), IG_EINVAL);
	spec.name = "bob smith";
	assert_int_equal(state_user_add(fx->st, &spec, fake_hash, 1000, NULL, &error), IG_EINVAL);
	spec.name = "bob";
	spec.accounts = "a,a";
	assert_int_equal(state_user_add(fx->st, &spec, fake_hash, 1000, NULL, &error), IG_EINVAL);
	spec.accounts = "a";
	spec.posture_cap = (enum posture)99;
	assert_int_equal(state_user_add(fx->st, &spec, fake_hash, 1000, NULL, &error), IG_EINVAL);

	assert_int_equal(state_user_get(fx->st, "alice", &u, hash), IG_OK);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.accounts, "a,b");
	assert_int_equal(u.posture_cap, POSTURE_FULL);
	assert_false(u.admin);
	assert_false(u.totp);
	assert_int_equal(u.created_at, 1000);
	assert_string_equal(hash, fake_hash);
	assert_int_equal(state_user_get(fx->st, "root", &u, NULL), IG_OK);
	assert_string_equal(u.accounts, "*");
	assert_true(u.admin);
	assert_int_equal(state_user_get(fx->st, "nobody", &u, NULL), IG_ENOTFOUND);

	/* password change clears the lockout */
	assert_int_equal(state_user_failures_set(fx->st, "alice", 7, 1100, 1200), IG_OK);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_int_equal(u.failed_count, 7);
	assert_int_equal(u.locked_until, 1200);
	assert_int_equal(state_user_passwd(fx->st, "alice", "$argon2id$new", 1300), IG_OK);
	assert_int_equal(state_user_get(fx->st, "alice", &u, hash), IG_OK);
	assert_string_equal(hash, "$argon2id$new");
	assert_int_equal(u.failed_count, 0);
	assert_int_equal(u.locked_until, 0);
	assert_int_equal(u.updated_at, 1300);
	assert_int_equal(state_user_passwd(fx->st, "nobody", "$x", 1300), IG_ENOTFOUND);

	assert_int_equal(state_user_set_disabled(fx->st, "alice", true, 1400), IG_OK);
	assert_int_equal(state_user_list(fx->st, user_names, names), IG_OK);
	assert_string_equal(names, "alice+disabled;root+admin;");
	assert_int_equal(state_user_set_disabled(fx->st, "alice", false, 1500), IG_OK);
	assert_int_equal(state_user_set_disabled(fx->st, "nobody", true, 1500), IG_ENOTFOUND);
	assert_int_equal(state_user_remove(fx->st, "root"), IG_OK);
	assert_int_equal(state_user_remove(fx->st, "root"), IG_ENOTFOUND);
	names[0] = '\0';
	assert_int_equal(state_user_list(fx->st, user_names, names), IG_OK);
	assert_string_equal(names, "alice;");
	/* a removed name can be taken again */
	user_add_ok(fx, "root", NULL, false);
}

/* The secret is sealed under totp.key (0600): not in state.db, bound to
 * the user's row, unreadable without the key. The accepted step only grows. */
static void
test_user_totp(void **state)
{
	static const unsigned char secret[USER_TOTP_SECRET_LEN] = "12345678901234567890";
	struct fx *fx = *state;
	unsigned char got[USER_TOTP_SECRET_LEN];
	struct user_info u;
	struct stat sb;
	char p[160];
	char names[256] = "";
	sqlite3 *db = NULL;
	FILE *f;
	char *file;
	long len;

	user_add_ok(fx, "alice", "a", false);
	user_add_ok(fx, "bob", "a", false);
	assert_int_equal(state_user_totp_get(fx->st, "alice", got), IG_ENOTFOUND);
	assert_int_equal(state_user_totp_set(fx->st, "nobody", secret, 1000), IG_ENOTFOUND);
	assert_int_equal(state_user_totp_set(fx->st, "alice", secret, 1000), IG_OK);
	assert_int_equal(state_user_totp_get(fx->st, "alice", got), IG_OK);
	assert_memory_equal(got, secret, sizeof(secret));
	assert_int_equal(state_user_list(fx->st, user_names, names), IG_OK);
	assert_string_equal(names, "alice+totp;bob;");
	path_of(fx, "totp.key", p, sizeof(p));
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);

	/* not in the database file in clear */
	path_of(fx, "state.db", p, sizeof(p));
	state_close(fx->st);
	fx->st = NULL;
	f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	file = malloc((size_t)len);
	assert_non_null(file);
	assert_int_equal(fread(file, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_null(memmem(file, (size_t)len, secret, sizeof(secret)));
	free(file);

	/* moved to another row, it does not open */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE users SET totp_sealed = (SELECT totp_sealed FROM users"
				      " WHERE name = 'alice') WHERE name = 'bob'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(state_open(fx->data, &fx->st, NULL), IG_OK);
	assert_int_equal(state_user_totp_get(fx->st, "bob", got), IG_EIO);
	assert_int_equal(state_user_totp_get(fx->st, "alice", got), IG_OK);

	/* the step only grows: a replay (same or earlier step) changes nothing */
	assert_int_equal(state_user_login_ok(fx->st, "alice", 2000, 50), IG_OK);
	assert_int_equal(state_user_login_ok(fx->st, "alice", 2001, 50), IG_EAUTH);
	assert_int_equal(state_user_login_ok(fx->st, "alice", 2001, 49), IG_EAUTH);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_int_equal(u.totp_last_step, 50);
	assert_int_equal(u.last_login_at, 2000);
	assert_int_equal(state_user_login_ok(fx->st, "alice", 2002, 51), IG_OK);
	assert_int_equal(state_user_login_ok(fx->st, "nobody", 2002, 0), IG_ENOTFOUND);

	/* without the key the secret cannot be read */
	path_of(fx, "totp.key", p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(state_user_totp_get(fx->st, "alice", got), IG_EIO);
	/* disabling TOTP removes the sealed value and the step */
	assert_int_equal(state_user_totp_set(fx->st, "alice", NULL, 3000), IG_OK);
	assert_int_equal(state_user_totp_get(fx->st, "alice", got), IG_ENOTFOUND);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_false(u.totp);
	assert_int_equal(u.totp_last_step, 0);
}

/* A version-3 database (tokens with overrides, the outbox; no users) is
 * migrated to version 4 in place: its token still verifies, users work. */
static void
test_migrate_v3(void **state)
{
	struct fx *fx = *state;
	char p[160];
	char secret[TOKEN_SECRET_LEN + 1];
	struct token_spec spec = spec_of("old", "*");
	struct token_info info;
	struct user_info u;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	const char *error = NULL;

	create_ok(fx, &spec, secret, &info);
	state_close(fx->st);
	fx->st = NULL;
	path_of(fx, "state.db", p, sizeof(p));
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE users; PRAGMA user_version = 3;", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(state_open(fx->data, &fx->st, &error), IG_OK);
	assert_int_equal(state_token_verify(fx->st, sl_from_cstr(secret), wall_now_s(), &info),
			 IG_OK);
	assert_string_equal(info.name, "old");
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_ENOTFOUND);
	user_add_ok(fx, "alice", "a", false);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 4);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_secret_in_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test(test_allows_account),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_totp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
