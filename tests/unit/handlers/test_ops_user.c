/* handlers/ops_user.c: password rules, the audited user actions (no record,
 * no change, for every one of them), the console login: unknown name and
 * wrong password alike, TOTP (window edges, replay), lockout per name and
 * per address, the rate limit, and the tenancy check. */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>
#include <time.h>

#include "base/totp.h"
#include "handlers/ops.h"
#include "handlers/ops_user.h"

#define PW "correct horse battery"
#define PW2 "another long passphrase"

static struct slice
pw(const char *s)
{
	return sl_from_cstr(s);
}

static void
add(struct fx *fx, const char *name, const char *accounts, bool admin)
{
	struct user_spec spec = {name, accounts, POSTURE_FULL, admin};
	const char *error = NULL;
	enum ig_err err = ops_user_add(fx->st, fx->audit, NULL, &spec, pw(PW), NULL, &error);

	if (err != IG_OK)
		fprintf(stderr, "add %s: %s\n", name, error);
	assert_int_equal(err, IG_OK);
}

static char *
log_text(struct fx *fx)
{
	char path[160];
	char *t = malloc(8 << 20);
	size_t len;
	FILE *f;

	assert_non_null(t);
	(void)snprintf(path, sizeof(path), "%s/audit/audit.jsonl", fx->data);
	f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(t, 1, (8 << 20) - 1, f);
	t[len] = '\0';
	fclose(f);
	return t;
}

/* The last line of the audit log. */
static char *
last_record(struct fx *fx)
{
	char *t = log_text(fx);
	size_t len = strlen(t);
	char *p;
	char *r;

	assert_true(len > 1);
	t[len - 1] = '\0';
	p = strrchr(t, '\n');
	r = strdup(p != NULL ? p + 1 : t);
	free(t);
	return r;
}

static void
test_password_rules(void **state)
{
	char big[LIM_USER_PASSWORD + 2];
	const char *why = NULL;
	char s[64];

	(void)state;
	assert_false(ops_user_password_ok(pw("elevenchars"), &why));
	assert_string_equal(why, "the password must have at least 12 characters");
	assert_true(ops_user_password_ok(pw("twelve chars"), &why));
	/* characters, not bytes: 11 two-byte characters are too few, 12 enough */
	(void)snprintf(s, sizeof(s), "%s", "ééééééééééé");
	assert_false(ops_user_password_ok(pw(s), &why));
	(void)snprintf(s, sizeof(s), "%s", "éééééééééééé");
	assert_true(ops_user_password_ok(pw(s), &why));
	/* no composition rules: all one letter is accepted */
	assert_true(ops_user_password_ok(pw("aaaaaaaaaaaa"), &why));
	assert_false(ops_user_password_ok(pw("twelve chars\xff"), &why));
	assert_string_equal(why, "the password is not valid UTF-8 text");
	assert_false(ops_user_password_ok((struct slice){"twelve\0chars!", 13}, &why));
	memset(big, 'a', sizeof(big));
	assert_true(ops_user_password_ok((struct slice){big, LIM_USER_PASSWORD}, &why));
	assert_false(ops_user_password_ok((struct slice){big, LIM_USER_PASSWORD + 1}, &why));
	assert_string_equal(why, "the password is longer than 1024 bytes");
}

static void
test_actions(void **state)
{
	struct fx *fx = *state;
	struct user_spec spec = {"alice", "work", POSTURE_DRAFT_SAFE, false};
	struct user_info info;
	struct user_info *v = NULL;
	char uri[OPS_TOTP_URI_MAX];
	char b32[TOTP_B32_LEN + 1];
	const char *error = NULL;
	char *rec;
	size_t n = 0;

	assert_int_equal(ops_user_add(fx->st, fx->audit, NULL, &spec, pw("short"), &info, &error),
	                 IG_EINVAL);
	assert_string_equal(error, "the password must have at least 12 characters");
	assert_int_equal(ops_user_add(fx->st, fx->audit, NULL, &spec, pw(PW), &info, &error),
	                 IG_OK);
	assert_string_equal(info.name, "alice");
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"kind\":\"user\""));
	assert_non_null(strstr(rec, "\"event\":\"added\",\"user\":\"alice\",\"via\":\"cli\""));
	assert_non_null(strstr(rec, "\"accounts\":\"work\",\"posture\":\"draft-safe\""));
	assert_null(strstr(rec, PW));
	free(rec);
	assert_int_equal(ops_user_add(fx->st, fx->audit, NULL, &spec, pw(PW), &info, &error),
	                 IG_EEXIST);
	spec.name = "root";
	spec.admin = true;
	assert_int_equal(ops_user_add(fx->st, fx->audit, "alice", &spec, pw(PW2), &info, &error),
	                 IG_OK);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"principal\":\"alice\""));
	assert_non_null(strstr(rec, "\"via\":\"console\""));
	free(rec);
	assert_int_equal(ops_user_list(fx->st, &v, &n, &error), IG_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "alice");
	assert_string_equal(v[1].name, "root");
	assert_true(v[1].admin);
	free(v);

	assert_int_equal(ops_user_passwd(fx->st, fx->audit, NULL, "alice", pw("short"), &error),
	                 IG_EINVAL);
	assert_int_equal(ops_user_passwd(fx->st, fx->audit, NULL, "nobody", pw(PW2), &error),
	                 IG_ENOTFOUND);
	assert_string_equal(error, "no user with this name");
	assert_int_equal(ops_user_passwd(fx->st, fx->audit, NULL, "alice", pw(PW2), &error), IG_OK);
	assert_int_equal(ops_user_disable(fx->st, fx->audit, NULL, "nobody", &error), IG_ENOTFOUND);
	assert_int_equal(ops_user_disable(fx->st, fx->audit, NULL, "alice", &error), IG_OK);
	assert_int_equal(ops_user_enable(fx->st, fx->audit, NULL, "alice", &error), IG_OK);
	assert_int_equal(ops_user_totp_enable(fx->st, fx->audit, NULL, "nobody", uri, b32, &error),
	                 IG_ENOTFOUND);
	assert_string_equal(b32, "");
	assert_int_equal(ops_user_totp_enable(fx->st, fx->audit, NULL, "alice", uri, b32, &error),
	                 IG_OK);
	assert_int_equal(strlen(b32), TOTP_B32_LEN);
	assert_int_equal(strncmp(uri, "otpauth://totp/imapgate:alice?secret=", 37), 0);
	assert_non_null(strstr(uri, b32));
	assert_non_null(strstr(uri, "&issuer=imapgate&algorithm=SHA1&digits=6&period=30"));
	rec = log_text(fx);
	assert_null(strstr(rec, b32)); /* the secret is never in the log */
	free(rec);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"event\":\"totp_enabled\""));
	free(rec);
	assert_int_equal(ops_user_totp_disable(fx->st, fx->audit, NULL, "alice", &error), IG_OK);
	assert_int_equal(ops_user_remove(fx->st, fx->audit, NULL, "alice", &error), IG_OK);
	assert_int_equal(ops_user_remove(fx->st, fx->audit, NULL, "alice", &error), IG_ENOTFOUND);
	rec = log_text(fx);
	assert_non_null(strstr(rec, "\"event\":\"passwd\",\"user\":\"alice\""));
	assert_non_null(strstr(rec, "\"event\":\"disabled\",\"user\":\"alice\""));
	assert_non_null(strstr(rec, "\"event\":\"enabled\",\"user\":\"alice\""));
	assert_non_null(strstr(rec, "\"event\":\"totp_disabled\",\"user\":\"alice\""));
	assert_non_null(strstr(rec, "\"event\":\"removed\",\"user\":\"alice\""));
	assert_null(strstr(rec, PW2));
	free(rec);
	/* without an audit log nothing happens */
	assert_int_equal(ops_user_disable(fx->st, NULL, NULL, "root", &error), IG_EIO);
	assert_string_equal(error, OP_UNAUDITED);
}

/* --- no record, no change: each action with the log unable to grow --- */

static void
say_result(struct result *r, enum ig_err err, const char *error)
{
	r->ok = err == IG_OK;
	(void)snprintf(r->text, sizeof(r->text), "%s", error != NULL ? error : "");
}

static void
run_add(struct fx *fx, struct result *r)
{
	struct user_spec spec = {"carol", "work", POSTURE_FULL, false};
	const char *error = NULL;

	enum ig_err err = ops_user_add(fx->st, fx->audit, NULL, &spec, pw(PW), NULL, &error);

	say_result(r, err, error);
}

static void
run_passwd(struct fx *fx, struct result *r)
{
	const char *error = NULL;

	enum ig_err err = ops_user_passwd(fx->st, fx->audit, NULL, "bob", pw(PW2), &error);

	say_result(r, err, error);
}

static void
run_disable(struct fx *fx, struct result *r)
{
	const char *error = NULL;

	enum ig_err err = ops_user_disable(fx->st, fx->audit, NULL, "bob", &error);

	say_result(r, err, error);
}

static void
run_enable(struct fx *fx, struct result *r)
{
	const char *error = NULL;

	enum ig_err err = ops_user_enable(fx->st, fx->audit, NULL, "dave", &error);

	say_result(r, err, error);
}

static void
run_remove(struct fx *fx, struct result *r)
{
	const char *error = NULL;

	enum ig_err err = ops_user_remove(fx->st, fx->audit, NULL, "bob", &error);

	say_result(r, err, error);
}

static void
run_totp_enable(struct fx *fx, struct result *r)
{
	char uri[OPS_TOTP_URI_MAX];
	char b32[TOTP_B32_LEN + 1];
	const char *error = NULL;
	enum ig_err err = ops_user_totp_enable(fx->st, fx->audit, NULL, "bob", uri, b32, &error);

	say_result(r, err, error);
	if (err != IG_OK) /* the secret is not shown for a change that did not happen */
		assert_string_equal(b32, "");
}

static void
run_totp_disable(struct fx *fx, struct result *r)
{
	const char *error = NULL;

	enum ig_err err = ops_user_totp_disable(fx->st, fx->audit, NULL, "erin", &error);

	say_result(r, err, error);
}

/* a successful login changes last_login_at: refused when unrecorded */
static void
run_login(struct fx *fx, struct result *r)
{
	struct user_guard *g = ops_user_guard_new();
	enum user_login l;

	assert_non_null(g);
	l = ops_user_login(fx->st, fx->audit, g, "bob", pw(PW), NULL, "192.0.2.1",
	                   (int64_t)time(NULL) + 100, NULL);
	ops_user_guard_free(g);
	r->ok = l == USER_LOGIN_OK;
	(void)snprintf(r->text, sizeof(r->text), "%s",
	               l == USER_LOGIN_UNAVAILABLE ? OP_UNAUDITED : ops_user_login_str(l));
}

static void
test_unaudited(void **state)
{
	static const struct action acts[] = {
	    {"user add", run_add, OP_UNAUDITED, "\"event\":\"added\",\"user\":\"carol\""},
	    {"user passwd", run_passwd, OP_UNAUDITED, "\"event\":\"passwd\""},
	    {"user disable", run_disable, OP_UNAUDITED, "\"event\":\"disabled\""},
	    {"user enable", run_enable, OP_UNAUDITED, "\"event\":\"enabled\""},
	    {"user totp enable", run_totp_enable, OP_UNAUDITED, "\"event\":\"totp_enabled\""},
	    {"user totp disable", run_totp_disable, OP_UNAUDITED, "\"event\":\"totp_disabled\""},
	    {"login", run_login, OP_UNAUDITED, "\"kind\":\"login\",\"principal\":\"bob\""},
	    {"user remove", run_remove, OP_UNAUDITED, "\"event\":\"removed\""},
	};
	struct fx *fx = *state;
	char uri[OPS_TOTP_URI_MAX];
	char b32[TOTP_B32_LEN + 1];
	const char *error = NULL;
	size_t i;

	add(fx, "bob", "work", false);
	add(fx, "dave", "work", false);
	add(fx, "erin", "work", false);
	assert_int_equal(ops_user_disable(fx->st, fx->audit, NULL, "dave", &error), IG_OK);
	assert_int_equal(ops_user_totp_enable(fx->st, fx->audit, NULL, "erin", uri, b32, &error),
	                 IG_OK);
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		/* bob's disable and TOTP would block the login and later steps */
		if (acts[i].run == run_login || acts[i].run == run_remove) {
			assert_int_equal(ops_user_enable(fx->st, fx->audit, NULL, "bob", &error),
			                 IG_OK);
			assert_int_equal(
			    ops_user_totp_disable(fx->st, fx->audit, NULL, "bob", &error), IG_OK);
			assert_int_equal(
			    ops_user_passwd(fx->st, fx->audit, NULL, "bob", pw(PW), &error), IG_OK);
		}
		run_one(state, &acts[i]);
	}
}

/* A failed login whose record cannot be written is still refused. */
static void
test_failed_login_unaudited(void **state)
{
	struct fx *fx = *state;
	struct user_guard *g = ops_user_guard_new();
	int64_t now = (int64_t)time(NULL);

	assert_non_null(g);
	add(fx, "bob", "work", false);
	assert_int_equal(
	    ops_user_login(fx->st, NULL, g, "bob", pw("wrong password!"), NULL, "a", now, NULL),
	    USER_LOGIN_DENIED);
	assert_int_equal(ops_user_login(fx->st, NULL, g, "nobody", pw(PW), NULL, "a", now, NULL),
	                 USER_LOGIN_DENIED);
	/* and a right one without a log is not a login */
	assert_int_equal(ops_user_login(fx->st, NULL, g, "bob", pw(PW), NULL, "a", now, NULL),
	                 USER_LOGIN_UNAVAILABLE);
	ops_user_guard_free(g);
}

static double
secs(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_login_unknown_like_wrong(void **state)
{
	struct fx *fx = *state;
	struct user_guard *g = ops_user_guard_new();
	int64_t now = (int64_t)time(NULL);
	struct user_info u;
	double t0;
	double wrong = 0;
	double unknown = 0;
	char *rec;
	int i;

	assert_non_null(g);
	add(fx, "alice", "work", false);
	assert_int_equal(
	    ops_user_login(fx->st, fx->audit, g, "alice", pw(PW), "", "198.51.100.7", now, &u),
	    USER_LOGIN_OK);
	assert_string_equal(u.name, "alice");
	assert_int_equal(u.last_login_at, now);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"kind\":\"login\",\"principal\":\"alice\""));
	assert_non_null(strstr(rec, "\"event\":\"success\",\"user\":\"alice\""));
	assert_non_null(strstr(rec, "\"client\":\"198.51.100.7\""));
	free(rec);
	for (i = 0; i < 3; i++) {
		t0 = secs();
		assert_int_equal(ops_user_login(fx->st, fx->audit, g, "alice",
		                                pw("not the password"), NULL, "198.51.100.7", now,
		                                NULL),
		                 USER_LOGIN_DENIED);
		wrong += secs() - t0;
		t0 = secs();
		assert_int_equal(ops_user_login(fx->st, fx->audit, g, "mallory",
		                                pw("not the password"), NULL, "198.51.100.7", now,
		                                NULL),
		                 USER_LOGIN_DENIED);
		unknown += secs() - t0;
	}
	/* both pay for one Argon2id verification (tens of milliseconds);
	 * generous bounds: two shared cores */
	fprintf(stderr, "login: wrong password %.1f ms, unknown user %.1f ms\n", wrong * 1000 / 3,
	        unknown * 1000 / 3);
	assert_true(unknown > wrong * 0.4);
	assert_true(wrong > unknown * 0.4);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"event\":\"failure\",\"user_hash\":\"user_"));
	assert_non_null(strstr(rec, "\"reason\":\"unknown_user\""));
	assert_null(strstr(rec, "mallory"));
	free(rec);
	rec = log_text(fx);
	assert_non_null(
	    strstr(rec, "\"event\":\"failure\",\"user\":\"alice\",\"reason\":\"password\""));
	free(rec);
	/* malformed names are refused like the rest */
	assert_int_equal(
	    ops_user_login(fx->st, fx->audit, g, "bad name", pw(PW), NULL, "x", now, NULL),
	    USER_LOGIN_DENIED);
	/* a disabled user with the right password: the same answer */
	assert_int_equal(ops_user_disable(fx->st, fx->audit, NULL, "alice", &(const char *){NULL}),
	                 IG_OK);
	assert_int_equal(
	    ops_user_login(fx->st, fx->audit, g, "alice", pw(PW), NULL, "x", now, NULL),
	    USER_LOGIN_DENIED);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"reason\":\"disabled\""));
	free(rec);
	ops_user_guard_free(g);
}

static enum user_login
login_at(struct fx *fx, struct user_guard *g, const char *name, const char *pass, const char *code,
         const char *addr, int64_t now)
{
	return ops_user_login(fx->st, fx->audit, g, name, pw(pass), code, addr, now, NULL);
}

static void
test_lockout_user(void **state)
{
	struct fx *fx = *state;
	struct user_guard *g = ops_user_guard_new();
	int64_t now = (int64_t)time(NULL);
	struct user_info u;
	int i;

	assert_non_null(g);
	add(fx, "alice", "work", false);
	add(fx, "bob", "work", false);
	for (i = 0; i < LIM_LOGIN_USER_FAILS; i++) {
		assert_int_equal(login_at(fx, g, "alice", "wrong password!", NULL, "10.0.0.1", now),
		                 USER_LOGIN_DENIED);
		assert_int_equal(login_at(fx, g, "ghost", "wrong password!", NULL, "10.0.0.1", now),
		                 USER_LOGIN_DENIED);
	}
	/* locked, right password or not; an unknown name looks the same */
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "10.0.0.2", now), USER_LOGIN_LOCKED);
	assert_int_equal(login_at(fx, g, "ghost", PW, NULL, "10.0.0.2", now), USER_LOGIN_LOCKED);
	/* another user, even from the same address, is not blocked */
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "10.0.0.1", now), USER_LOGIN_OK);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_int_equal(u.failed_count, LIM_LOGIN_USER_FAILS);
	assert_int_equal(u.locked_until, now + LIM_LOGIN_USER_LOCK_S);
	/* the lock is in state.db: a restarted server (a new guard) keeps it */
	ops_user_guard_free(g);
	g = ops_user_guard_new();
	assert_non_null(g);
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "10.0.0.3", now + 1),
	                 USER_LOGIN_LOCKED);
	/* over; one more failure locks again, twice as long */
	now += LIM_LOGIN_USER_LOCK_S;
	assert_int_equal(login_at(fx, g, "alice", "wrong password!", NULL, "10.0.0.3", now),
	                 USER_LOGIN_DENIED);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_int_equal(u.locked_until, now + 2 * LIM_LOGIN_USER_LOCK_S);
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "10.0.0.3", now + 1),
	                 USER_LOGIN_LOCKED);
	/* after the lock a right password works and clears the count */
	now += 2 * LIM_LOGIN_USER_LOCK_S;
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "10.0.0.3", now), USER_LOGIN_OK);
	assert_int_equal(state_user_get(fx->st, "alice", &u, NULL), IG_OK);
	assert_int_equal(u.failed_count, 0);
	assert_int_equal(u.locked_until, 0);
	/* failures further apart than the window never lock */
	for (i = 0; i < 2 * LIM_LOGIN_USER_FAILS; i++) {
		now += LIM_LOGIN_WINDOW_S;
		assert_int_equal(login_at(fx, g, "alice", "wrong password!", NULL, "10.0.0.4", now),
		                 USER_LOGIN_DENIED);
	}
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "10.0.0.4", now), USER_LOGIN_OK);
	/* the lock never exceeds its cap */
	for (i = 0; i < 12; i++)
		(void)login_at(fx, g, "bob", "wrong password!", NULL, "10.0.0.5", now);
	assert_int_equal(state_user_get(fx->st, "bob", &u, NULL), IG_OK);
	assert_true(u.locked_until <= now + LIM_LOGIN_USER_LOCK_MAX_S);
	ops_user_guard_free(g);
}

static void
test_lockout_address(void **state)
{
	struct fx *fx = *state;
	struct user_guard *g = ops_user_guard_new();
	int64_t now = (int64_t)time(NULL);
	char name[32];
	int i;

	assert_non_null(g);
	add(fx, "bob", "work", false);
	/* many names, each below its own limit, from one address */
	for (i = 0; i < LIM_LOGIN_ADDR_FAILS; i++) {
		(void)snprintf(name, sizeof(name), "guess%d", i);
		assert_int_equal(
		    login_at(fx, g, name, "wrong password!", NULL, "203.0.113.9", now + i * 3),
		    USER_LOGIN_DENIED);
	}
	now += LIM_LOGIN_ADDR_FAILS * 3;
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "203.0.113.9", now), USER_LOGIN_LOCKED);
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "203.0.113.10", now), USER_LOGIN_OK);
	assert_int_equal(
	    login_at(fx, g, "bob", PW, NULL, "203.0.113.9", now + LIM_LOGIN_ADDR_LOCK_S),
	    USER_LOGIN_OK);
	/* the rate: LIM_LOGIN_ADDR_RATE attempts a minute, successful or not */
	now += 2 * LIM_LOGIN_ADDR_LOCK_S;
	for (i = 0; i < LIM_LOGIN_ADDR_RATE; i++)
		assert_int_equal(login_at(fx, g, "bob", PW, NULL, "203.0.113.50", now),
		                 USER_LOGIN_OK);
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "203.0.113.50", now + 59),
	                 USER_LOGIN_LOCKED);
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "203.0.113.51", now + 59), USER_LOGIN_OK);
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "203.0.113.50", now + 60), USER_LOGIN_OK);
	ops_user_guard_free(g);
}

/* More distinct names and addresses than the tables hold: still bounded,
 * still answering; a locked name survives a flood of other addresses. */
static void
test_tables_bounded(void **state)
{
	struct fx *fx = *state;
	struct user_guard *g = ops_user_guard_new();
	int64_t now = (int64_t)time(NULL);
	char addr[32];
	char name[32];
	int i;

	assert_non_null(g);
	add(fx, "bob", "work", false);
	for (i = 0; i < LIM_LOGIN_USER_FAILS; i++)
		(void)login_at(fx, g, "bob", "wrong password!", NULL, "10.1.1.1", now);
	/* malformed names cost no hash: a cheap way to churn the tables */
	for (i = 0; i < LIM_LOGIN_ADDRS + 10; i++) {
		(void)snprintf(addr, sizeof(addr), "10.2.%d.%d", i / 256, i % 256);
		(void)snprintf(name, sizeof(name), "bad name%d", i);
		assert_int_equal(login_at(fx, g, name, "x", NULL, addr, now + 1),
		                 USER_LOGIN_DENIED);
	}
	/* bob's lock is in state.db as well as in memory */
	assert_int_equal(login_at(fx, g, "bob", PW, NULL, "10.3.0.1", now + 2), USER_LOGIN_LOCKED);
	ops_user_guard_free(g);
}

static void
code_at(const unsigned char *secret, int64_t step, char out[TOTP_DIGITS + 1])
{
	assert_int_equal(totp_hotp(secret, USER_TOTP_SECRET_LEN, (uint64_t)step, TOTP_DIGITS, out),
	                 0);
}

static void
test_totp_login(void **state)
{
	struct fx *fx = *state;
	struct user_guard *g = ops_user_guard_new();
	unsigned char secret[USER_TOTP_SECRET_LEN];
	char uri[OPS_TOTP_URI_MAX];
	char b32[TOTP_B32_LEN + 1];
	char b32_again[TOTP_B32_LEN + 1];
	char c[TOTP_DIGITS + 1];
	const char *error = NULL;
	int64_t s = totp_step((int64_t)time(NULL)) + 10;
	int64_t now = s * TOTP_PERIOD; /* the first second of step s */
	char *rec;

	assert_non_null(g);
	add(fx, "alice", "work", false);
	assert_int_equal(ops_user_totp_enable(fx->st, fx->audit, NULL, "alice", uri, b32, &error),
	                 IG_OK);
	assert_int_equal(state_user_totp_get(fx->st, "alice", secret), IG_OK);
	assert_int_equal(totp_b32_encode(secret, sizeof(secret), b32_again, sizeof(b32_again)),
	                 TOTP_B32_LEN);
	assert_string_equal(b32, b32_again); /* the shown secret is the stored one */

	/* a password alone is not enough; nor a malformed code */
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "a", now), USER_LOGIN_DENIED);
	assert_int_equal(login_at(fx, g, "alice", PW, "12345", "a", now), USER_LOGIN_DENIED);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"reason\":\"totp\""));
	free(rec);
	/* window: s-1 .. s+1; two steps away is refused */
	code_at(secret, s - 2, c);
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now), USER_LOGIN_DENIED);
	code_at(secret, s + 2, c);
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now + TOTP_PERIOD - 1),
	                 USER_LOGIN_DENIED);
	code_at(secret, s - 1, c);
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now), USER_LOGIN_OK);
	/* the same code again, inside its step: a replay */
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now + 1), USER_LOGIN_DENIED);
	rec = last_record(fx);
	assert_non_null(strstr(rec, "\"reason\":\"totp_replay\""));
	free(rec);
	code_at(secret, s, c);
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now), USER_LOGIN_OK);
	code_at(secret, s + 1, c);
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now + TOTP_PERIOD - 1),
	                 USER_LOGIN_OK);
	/* an earlier step after a later one was used: refused */
	code_at(secret, s, c);
	assert_int_equal(login_at(fx, g, "alice", PW, c, "a", now + 2), USER_LOGIN_DENIED);
	/* the right code with a wrong password: refused */
	code_at(secret, s + 2, c);
	assert_int_equal(login_at(fx, g, "alice", "wrong password!", c, "a", now + 2 * TOTP_PERIOD),
	                 USER_LOGIN_DENIED);
	/* without TOTP the password is enough again */
	assert_int_equal(ops_user_totp_disable(fx->st, fx->audit, NULL, "alice", &error), IG_OK);
	assert_int_equal(login_at(fx, g, "alice", PW, NULL, "a", now + 3 * TOTP_PERIOD),
	                 USER_LOGIN_OK);
	ops_user_guard_free(g);
}

static void
test_can_see_account(void **state)
{
	struct user_info u;

	(void)state;
	memset(&u, 0, sizeof(u));
	(void)snprintf(u.accounts, sizeof(u.accounts), "work,home");
	assert_true(ops_user_can_see_account(&u, "work"));
	assert_true(ops_user_can_see_account(&u, "home"));
	assert_false(ops_user_can_see_account(&u, "wor"));
	assert_false(ops_user_can_see_account(&u, "other"));
	assert_false(ops_user_can_see_account(&u, ""));
	u.admin = true;
	assert_true(ops_user_can_see_account(&u, "other"));
	u.admin = false;
	(void)snprintf(u.accounts, sizeof(u.accounts), "*");
	assert_true(ops_user_can_see_account(&u, "other"));
	u.disabled = true;
	assert_false(ops_user_can_see_account(&u, "work"));
	assert_string_equal(ops_user_login_str(USER_LOGIN_OK), "ok");
	assert_string_equal(ops_user_login_str(USER_LOGIN_DENIED), "denied");
	assert_string_equal(ops_user_login_str(USER_LOGIN_LOCKED), "locked");
	assert_string_equal(ops_user_login_str(USER_LOGIN_UNAVAILABLE), "unavailable");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_password_rules),
	    cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unaudited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_login_unaudited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_login_unknown_like_wrong, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lockout_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lockout_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tables_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_totp_login, setup, teardown),
	    cmocka_unit_test(test_can_see_account),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
