/* Operator users: the audited changes (handlers/ops.h) and the console
 * login with its limiter (handlers/ops_user.h).
 *
 * Why the login looks the way it does:
 * - An unknown name is verified against a dummy Argon2id hash made with the
 *   same limits, so it costs what a wrong password costs, and the answer is
 *   the same USER_LOGIN_DENIED.
 * - The per-name lockout is kept for every name tried, existing or not (in
 *   memory), so "locked" cannot tell a real name from an invented one; for
 *   existing users the same counters are also kept in state.db and survive
 *   a restart (only then could a locked real name be told from an unknown
 *   one, for at most LIM_LOGIN_USER_LOCK_MAX_S).
 * - A locked name or address is refused before any hash is computed, so a
 *   flood costs no Argon2id work (LIM_LOGIN_ADDR_RATE bounds the rest).
 * - The TOTP step accepted last is stored with the success, guarded in SQL
 *   (store/state.h state_user_login_ok), so a code is good once. */
#include "handlers/ops_user.h"

#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "handlers/ops.h"
#include "handlers/ops_int.h"
#include "store/audit.h"

#define PW_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#define TOTP_ISSUER "imapgate"

bool
ops_user_password_ok(struct slice pw, const char **why_r)
{
	size_t cps = 0;
	size_t i;

	if (pw.len > LIM_USER_PASSWORD) {
		*why_r = "the password is longer than 1024 bytes";
		return false;
	}
	if (pw.len > 0 && (memchr(pw.p, '\0', pw.len) != NULL || !u8_valid(pw.p, pw.len))) {
		*why_r = "the password is not valid UTF-8 text";
		return false;
	}
	for (i = 0; i < pw.len; i++) {
		if (((unsigned char)pw.p[i] & 0xc0) != 0x80)
			cps++;
	}
	if (cps < LIM_USER_PASSWORD_MIN) {
		*why_r = "the password must have at least 12 characters";
		return false;
	}
	return true;
}

static enum ig_err
pw_hash(struct slice pw, char out[USER_PWHASH_MAX], const char **error_r)
{
	if (crypto_pwhash_str(out, pw.p, pw.len, PW_OPSLIMIT, PW_MEMLIMIT) != 0) {
		*error_r = "out of memory hashing the password";
		return IG_ENOMEM;
	}
	return IG_OK;
}

static struct json_object *
user_fields(const char *event, const char *by, const char *name)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "event", json_object_new_string(event));
	json_object_object_add(f, "user", json_object_new_string(name));
	json_object_object_add(f, "via", json_object_new_string(by != NULL ? "console" : "cli"));
	return f;
}

static const char *
not_found(enum ig_err err)
{
	return err == IG_ENOTFOUND ? "no user with this name" : state_errmsg();
}

enum ig_err
ops_user_add(struct state *st, struct audit *a, const char *by, const struct user_spec *spec,
             struct slice password, struct user_info *info_r, const char **error_r)
{
	char hash[USER_PWHASH_MAX];
	struct user_info tmp;
	struct json_object *f;
	enum ig_err err;

	*error_r = NULL;
	if (info_r == NULL)
		info_r = &tmp;
	if (!ops_user_password_ok(password, error_r))
		return IG_EINVAL;
	/* hashing takes a while: before the write transaction, not inside */
	if ((err = pw_hash(password, hash, error_r)) != IG_OK)
		return err;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		goto out;
	if ((err = state_user_add(st, spec, hash, (int64_t)time(NULL), info_r, error_r)) != IG_OK) {
		state_tx_rollback(st);
		goto out;
	}
	f = user_fields("added", by, info_r->name);
	json_object_object_add(f, "admin", json_object_new_boolean(info_r->admin));
	json_object_object_add(f, "accounts", json_object_new_string(info_r->accounts));
	json_object_object_add(f, "posture",
	                       json_object_new_string(posture_str(info_r->posture_cap)));
	err = ops_audited_commit(st, a, "user", by, f, error_r);
out:
	sodium_memzero(hash, sizeof(hash));
	return err;
}

static void
user_collect(const struct user_info *u, void *ctx)
{
	ops_rows_add(ctx, u);
}

enum ig_err
ops_user_list(struct state *st, struct user_info **v_r, size_t *n_r, const char **error_r)
{
	struct ops_rows rows = {.size = sizeof(struct user_info)};
	void *v;
	enum ig_err err = ops_rows_finish(&rows, state_user_list(st, user_collect, &rows), &v,
					  n_r, error_r);

	*v_r = v;
	return err;
}

enum ig_err
ops_user_passwd(struct state *st, struct audit *a, const char *by, const char *name,
                struct slice password, const char **error_r)
{
	char hash[USER_PWHASH_MAX];
	enum ig_err err;

	*error_r = NULL;
	if (!ops_user_password_ok(password, error_r))
		return IG_EINVAL;
	if ((err = pw_hash(password, hash, error_r)) != IG_OK)
		return err;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		goto out;
	if ((err = state_user_passwd(st, name, hash, (int64_t)time(NULL))) != IG_OK) {
		*error_r = not_found(err);
		state_tx_rollback(st);
		goto out;
	}
	err = ops_audited_commit(st, a, "user", by, user_fields("passwd", by, name), error_r);
out:
	sodium_memzero(hash, sizeof(hash));
	return err;
}

static enum ig_err
set_disabled(struct state *st, struct audit *a, const char *by, const char *name, bool disabled,
             const char **error_r)
{
	enum ig_err err;

	*error_r = NULL;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		return err;
	if ((err = state_user_set_disabled(st, name, disabled, (int64_t)time(NULL))) != IG_OK) {
		*error_r = not_found(err);
		state_tx_rollback(st);
		return err;
	}
	return ops_audited_commit(
	    st, a, "user", by, user_fields(disabled ? "disabled" : "enabled", by, name), error_r);
}

enum ig_err
ops_user_disable(struct state *st, struct audit *a, const char *by, const char *name,
                 const char **error_r)
{
	return set_disabled(st, a, by, name, true, error_r);
}

enum ig_err
ops_user_enable(struct state *st, struct audit *a, const char *by, const char *name,
                const char **error_r)
{
	return set_disabled(st, a, by, name, false, error_r);
}

enum ig_err
ops_user_remove(struct state *st, struct audit *a, const char *by, const char *name,
                const char **error_r)
{
	enum ig_err err;

	*error_r = NULL;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		return err;
	if ((err = state_user_remove(st, name)) != IG_OK) {
		*error_r = not_found(err);
		state_tx_rollback(st);
		return err;
	}
	return ops_audited_commit(st, a, "user", by, user_fields("removed", by, name), error_r);
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
static void
uri_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			buf_putc(b, (char)c);
		else
			buf_appendf(b, "%%%02X", c);
	}
}

enum ig_err
ops_user_totp_enable(struct state *st, struct audit *a, const char *by, const char *name,
                     char uri_r[OPS_TOTP_URI_MAX], char b32_r[TOTP_B32_LEN + 1],
                     const char **error_r)
{
	unsigned char secret[USER_TOTP_SECRET_LEN];
	struct buf uri;
	enum ig_err err;

	*error_r = NULL;
	uri_r[0] = '\0';
	b32_r[0] = '\0';
	buf_init(&uri, OPS_TOTP_URI_MAX - 1);
	randombytes_buf(secret, sizeof(secret));
	if (totp_b32_encode(secret, sizeof(secret), b32_r, TOTP_B32_LEN + 1) != TOTP_B32_LEN) {
		err = IG_EINTERNAL;
		*error_r = "base32";
		goto out;
	}
	buf_puts(&uri, "otpauth://totp/" TOTP_ISSUER ":");
	uri_escape(&uri, name);
	buf_appendf(&uri, "?secret=%s&issuer=" TOTP_ISSUER "&algorithm=SHA1&digits=%d&period=%d",
	            b32_r, TOTP_DIGITS, TOTP_PERIOD);
	if (buf_err(&uri) != IG_OK) {
		err = IG_EINVAL;
		*error_r = "user name too long";
		goto out;
	}
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		goto out;
	if ((err = state_user_totp_set(st, name, secret, (int64_t)time(NULL))) != IG_OK) {
		*error_r = not_found(err);
		state_tx_rollback(st);
		goto out;
	}
	err = ops_audited_commit(st, a, "user", by, user_fields("totp_enabled", by, name), error_r);
	if (err == IG_OK)
		memcpy(uri_r, uri.p, uri.len + 1);
out:
	if (err != IG_OK)
		sodium_memzero(b32_r, TOTP_B32_LEN + 1);
	if (uri.p != NULL)
		sodium_memzero(uri.p, uri.len);
	buf_free(&uri);
	sodium_memzero(secret, sizeof(secret));
	return err;
}

enum ig_err
ops_user_totp_disable(struct state *st, struct audit *a, const char *by, const char *name,
                      const char **error_r)
{
	enum ig_err err;

	*error_r = NULL;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		return err;
	if ((err = state_user_totp_set(st, name, NULL, (int64_t)time(NULL))) != IG_OK) {
		*error_r = not_found(err);
		state_tx_rollback(st);
		return err;
	}
	return ops_audited_commit(st, a, "user", by, user_fields("totp_disabled", by, name),
	                          error_r);
}

bool
ops_user_can_see_account(const struct user_info *u, const char *account)
{
	size_t alen = strlen(account);
	const char *p = u->accounts;

	if (u->disabled || alen == 0)
		return false;
	if (u->admin || strcmp(p, "*") == 0)
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

/* ---- the login limiter --------------------------------------------------- */

struct login_entry {
	unsigned char key[16]; /* keyed BLAKE2b of the name or address; all zero: free */
	int64_t seen;          /* last attempt: the entry idle longest is reused */
	int64_t failed_count;
	int64_t failed_at;
	int64_t locked_until;
	int64_t rate_start; /* addresses: the current one-minute window */
	int64_t rate_count;
};

struct user_guard {
	pthread_mutex_t mu;
	pthread_cond_t hash_free; /* signalled when a verification ends */
	int hashing;              /* verifications running (<= LIM_LOGIN_HASHES) */
	unsigned char hkey[crypto_generichash_KEYBYTES];
	char dummy_hash[USER_PWHASH_MAX];
	struct login_entry names[LIM_LOGIN_NAMES];
	struct login_entry addrs[LIM_LOGIN_ADDRS];
};

struct user_guard *
ops_user_guard_new(void)
{
	struct user_guard *g = calloc(1, sizeof(*g));
	unsigned char pw[32];

	if (g == NULL)
		return NULL;
	if (pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g);
		return NULL;
	}
	if (pthread_cond_init(&g->hash_free, NULL) != 0) {
		(void)pthread_mutex_destroy(&g->mu);
		free(g);
		return NULL;
	}
	randombytes_buf(g->hkey, sizeof(g->hkey));
	/* a password nobody knows, hashed with the real limits */
	randombytes_buf(pw, sizeof(pw));
	if (crypto_pwhash_str(g->dummy_hash, (const char *)pw, sizeof(pw), PW_OPSLIMIT,
	                      PW_MEMLIMIT) != 0) {
		ops_user_guard_free(g);
		return NULL;
	}
	return g;
}

void
ops_user_guard_free(struct user_guard *g)
{
	if (g == NULL)
		return;
	(void)pthread_cond_destroy(&g->hash_free);
	(void)pthread_mutex_destroy(&g->mu);
	sodium_memzero(g, sizeof(*g));
	free(g);
}

/* The entry for key in tab (n entries), taking a free or the longest-idle
 * one when absent. Lock held. */
static struct login_entry *
entry_of(struct login_entry *tab, size_t n, const unsigned char key[16], int64_t now)
{
	static const unsigned char zero[16];
	struct login_entry *victim = &tab[0];
	size_t i;

	for (i = 0; i < n; i++) {
		if (sodium_memcmp(tab[i].key, key, 16) == 0)
			return &tab[i];
	}
	for (i = 0; i < n; i++) {
		int64_t idle_i;
		int64_t idle_v;

		if (memcmp(tab[i].key, zero, 16) == 0) {
			victim = &tab[i];
			break;
		}
		/* a lock still running counts as activity until it ends */
		idle_i = tab[i].locked_until > tab[i].seen ? tab[i].locked_until : tab[i].seen;
		idle_v = victim->locked_until > victim->seen ? victim->locked_until : victim->seen;
		if (idle_i < idle_v)
			victim = &tab[i];
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, 16);
	victim->seen = now;
	return victim;
}

static void
guard_key(const struct user_guard *g, char kind, const char *s, unsigned char out[16])
{
	crypto_generichash_state h;

	(void)crypto_generichash_init(&h, g->hkey, sizeof(g->hkey), 16);
	(void)crypto_generichash_update(&h, (const unsigned char *)&kind, 1);
	(void)crypto_generichash_update(&h, (const unsigned char *)s, strlen(s));
	(void)crypto_generichash_final(&h, out, 16);
}

/* One more failure at now: the window restarts when the last failure is
 * older than LIM_LOGIN_WINDOW_S; at the threshold the lock starts at base
 * and, when doubling, doubles per further failure up to max. */
static void
fail_apply(int64_t *count, int64_t *failed_at, int64_t *locked_until, int64_t now,
           int64_t threshold, int64_t base, int64_t max, bool doubling)
{
	int64_t lock = base;

	if (*failed_at == 0 || now - *failed_at >= LIM_LOGIN_WINDOW_S || *count < 0)
		*count = 0;
	if (*count < LIM_LOGIN_FAIL_CAP)
		(*count)++;
	*failed_at = now;
	if (*count < threshold)
		return;
	if (doubling) {
		int64_t k;

		for (k = threshold; k < *count && lock < max; k++)
			lock *= 2;
	}
	if (lock > max)
		lock = max;
	if (now + lock > *locked_until)
		*locked_until = now + lock;
}

enum login_stop { STOP_NONE, STOP_NAME, STOP_ADDR, STOP_RATE };

/* Counts the attempt against the address's rate and says whether the name
 * or the address is locked. */
static enum login_stop
guard_check(struct user_guard *g, const unsigned char nkey[16], const unsigned char akey[16],
            int64_t now)
{
	struct login_entry *ae;
	struct login_entry *ne;
	enum login_stop stop = STOP_NONE;

	(void)pthread_mutex_lock(&g->mu);
	ae = entry_of(g->addrs, LIM_LOGIN_ADDRS, akey, now);
	ae->seen = now;
	if (now - ae->rate_start >= 60 || now < ae->rate_start) {
		ae->rate_start = now;
		ae->rate_count = 0;
	}
	if (ae->rate_count < LIM_LOGIN_FAIL_CAP)
		ae->rate_count++;
	ne = entry_of(g->names, LIM_LOGIN_NAMES, nkey, now);
	ne->seen = now;
	if (ae->locked_until > now)
		stop = STOP_ADDR;
	else if (ae->rate_count > LIM_LOGIN_ADDR_RATE)
		stop = STOP_RATE;
	else if (ne->locked_until > now)
		stop = STOP_NAME;
	(void)pthread_mutex_unlock(&g->mu);
	return stop;
}

static void
guard_fail(struct user_guard *g, const unsigned char nkey[16], const unsigned char akey[16],
           int64_t now)
{
	struct login_entry *e;

	(void)pthread_mutex_lock(&g->mu);
	e = entry_of(g->names, LIM_LOGIN_NAMES, nkey, now);
	fail_apply(&e->failed_count, &e->failed_at, &e->locked_until, now, LIM_LOGIN_USER_FAILS,
	           LIM_LOGIN_USER_LOCK_S, LIM_LOGIN_USER_LOCK_MAX_S, true);
	e = entry_of(g->addrs, LIM_LOGIN_ADDRS, akey, now);
	fail_apply(&e->failed_count, &e->failed_at, &e->locked_until, now, LIM_LOGIN_ADDR_FAILS,
	           LIM_LOGIN_ADDR_LOCK_S, LIM_LOGIN_ADDR_LOCK_S, false);
	(void)pthread_mutex_unlock(&g->mu);
}

static void
guard_success(struct user_guard *g, const unsigned char nkey[16], int64_t now)
{
	struct login_entry *e;

	(void)pthread_mutex_lock(&g->mu);
	e = entry_of(g->names, LIM_LOGIN_NAMES, nkey, now);
	e->failed_count = 0;
	e->failed_at = 0;
	e->locked_until = 0;
	(void)pthread_mutex_unlock(&g->mu);
}

/* The password check, at most LIM_LOGIN_HASHES at a time: each takes 64 MiB
 * for tens of milliseconds, and logins from many addresses at once must not
 * take the server's memory. */
static bool
pw_verify(struct user_guard *g, const char *hash, struct slice password)
{
	bool ok;

	(void)pthread_mutex_lock(&g->mu);
	while (g->hashing >= LIM_LOGIN_HASHES)
		(void)pthread_cond_wait(&g->hash_free, &g->mu);
	g->hashing++;
	(void)pthread_mutex_unlock(&g->mu);
	ok = crypto_pwhash_str_verify(hash, password.len > 0 ? password.p : "", password.len) == 0;
	(void)pthread_mutex_lock(&g->mu);
	g->hashing--;
	(void)pthread_cond_signal(&g->hash_free);
	(void)pthread_mutex_unlock(&g->mu);
	return ok;
}

/* ---- login ------------------------------------------------------------------ */

const char *
ops_user_login_str(enum user_login r)
{
	switch (r) {
	case USER_LOGIN_OK:
		return "ok";
	case USER_LOGIN_DENIED:
		return "denied";
	case USER_LOGIN_LOCKED:
		return "locked";
	case USER_LOGIN_UNAVAILABLE:
		break;
	}
	return "unavailable";
}

/* The step of a valid, unused code (> last), or 0: "replay" says a code was
 * valid but already used. Every candidate step is computed and compared. */
static int64_t
totp_match(const unsigned char secret[USER_TOTP_SECRET_LEN], const char *code, int64_t now,
           int64_t last, bool *replay_r)
{
	int64_t step = totp_step(now);
	int64_t found = 0;
	int64_t s;

	*replay_r = false;
	if (code == NULL || strlen(code) != TOTP_DIGITS ||
	    strspn(code, "0123456789") != TOTP_DIGITS)
		return 0;
	for (s = step - 1; s <= step + 1; s++) {
		char want[TOTP_DIGITS + 1];

		if (s <= 0 ||
		    totp_hotp(secret, USER_TOTP_SECRET_LEN, (uint64_t)s, TOTP_DIGITS, want) != 0)
			continue;
		if (sodium_memcmp(want, code, TOTP_DIGITS) == 0) {
			if (s > last)
				found = s;
			else
				*replay_r = true;
		}
	}
	if (found != 0)
		*replay_r = false;
	return found;
}

/* The `login` record; with a state.db change already made inside the
 * transaction ops_begin opened (or none), committed only if it is written. */
static enum ig_err
login_record(struct state *st, struct audit *a, bool exists, const char *name, bool ok,
             const char *reason, const char *client)
{
	struct json_object *f = json_object_new_object();
	const char *error = NULL;

	json_object_object_add(f, "event", json_object_new_string(ok ? "success" : "failure"));
	if (exists) {
		json_object_object_add(f, "user", json_object_new_string(name));
	} else {
		/* an unknown name may be a password typed in the wrong field */
		char h[64];

		audit_hash_value(a, "user_", name, strlen(name), h, sizeof(h));
		json_object_object_add(f, "user_hash", json_object_new_string(h));
	}
	if (reason != NULL)
		json_object_object_add(f, "reason", json_object_new_string(reason));
	json_object_object_add(f, "client", json_object_new_string(client));
	return ops_audited_commit(st, a, "login", exists ? name : NULL, f, &error);
}

/* A failure: counted (memory; state.db for an existing user, in the same
 * transaction as its record) and recorded. The answer is refused whatever
 * the recording does. */
static enum user_login
login_fail(struct state *st, struct audit *a, struct user_guard *g, const struct user_info *u,
           const char *name, const unsigned char nkey[16], const unsigned char akey[16],
           const char *reason, const char *client, int64_t now, enum user_login answer)
{
	const char *error = NULL;

	if (answer == USER_LOGIN_DENIED)
		guard_fail(g, nkey, akey, now);
	if (a == NULL || ops_begin(st, a, &error) != IG_OK)
		return answer;
	if (u != NULL && answer == USER_LOGIN_DENIED) {
		int64_t count = u->failed_count;
		int64_t at = u->failed_at;
		int64_t until = u->locked_until;

		fail_apply(&count, &at, &until, now, LIM_LOGIN_USER_FAILS, LIM_LOGIN_USER_LOCK_S,
		           LIM_LOGIN_USER_LOCK_MAX_S, true);
		if (state_user_failures_set(st, u->name, count, at, until) != IG_OK) {
			/* the memory counters hold; the record still says what happened */
		}
	}
	if (login_record(st, a, u != NULL, name, false, reason, client) != IG_OK) {
		/* refused anyway; audit_append logged why */
	}
	return answer;
}

enum user_login
ops_user_login(struct state *st, struct audit *a, struct user_guard *g, const char *name,
               struct slice password, const char *totp_code, const char *client_address,
               int64_t now, struct user_info *info_r)
{
	unsigned char nkey[16];
	unsigned char akey[16];
	unsigned char secret[USER_TOTP_SECRET_LEN];
	char hash[USER_PWHASH_MAX];
	char client[LIM_LOGIN_CLIENT_ADDR + 1];
	struct user_info u;
	const struct user_info *up = NULL;
	const char *error = NULL;
	const char *reason = NULL;
	enum user_login answer = USER_LOGIN_DENIED;
	enum login_stop stop;
	enum ig_err err;
	int64_t step = 0;
	bool pw_ok;

	if (client_address == NULL)
		client_address = "";
	(void)snprintf(client, sizeof(client), "%s", client_address);
	if (name == NULL)
		name = "";
	guard_key(g, 'n', name, nkey);
	guard_key(g, 'a', client, akey);
	stop = guard_check(g, nkey, akey, now);
	if (stop != STOP_NONE) {
		reason = stop == STOP_ADDR   ? "locked_address"
		         : stop == STOP_RATE ? "rate_limited"
		                             : "locked_user";
		err = state_user_get(st, name, &u, NULL);
		return login_fail(st, a, g, err == IG_OK ? &u : NULL, name, nkey, akey, reason,
		                  client, now, USER_LOGIN_LOCKED);
	}
	if (!state_user_name_ok(name) || password.len > LIM_USER_PASSWORD ||
	    (password.len > 0 && password.p == NULL))
		return login_fail(st, a, g, NULL, name, nkey, akey, "malformed", client, now,
		                  USER_LOGIN_DENIED);
	err = state_user_get(st, name, &u, hash);
	if (err == IG_OK) {
		up = &u;
		if (u.locked_until > now)
			return login_fail(st, a, g, up, name, nkey, akey, "locked_user", client,
			                  now, USER_LOGIN_LOCKED);
	} else if (err == IG_ENOTFOUND) {
		memcpy(hash, g->dummy_hash, sizeof(hash));
	} else {
		return login_fail(st, a, g, NULL, name, nkey, akey, "error", client, now,
		                  USER_LOGIN_UNAVAILABLE);
	}
	/* the same work whether or not the name exists */
	pw_ok = pw_verify(g, hash, password);
	sodium_memzero(hash, sizeof(hash));
	if (up == NULL || !pw_ok) {
		reason = up == NULL ? "unknown_user" : "password";
		goto fail;
	}
	if (u.totp) {
		bool replay = false;

		err = state_user_totp_get(st, name, secret);
		if (err != IG_OK) {
			sodium_memzero(secret, sizeof(secret));
			return login_fail(st, a, g, NULL, name, nkey, akey, "totp_unreadable",
			                  client, now, USER_LOGIN_UNAVAILABLE);
		}
		step = totp_match(secret, totp_code, now, u.totp_last_step, &replay);
		sodium_memzero(secret, sizeof(secret));
		if (step == 0) {
			reason = replay ? "totp_replay" : "totp";
			goto fail;
		}
	}
	if (u.disabled) {
		reason = "disabled";
		goto fail;
	}
	if (ops_begin(st, a, &error) != IG_OK)
		return USER_LOGIN_UNAVAILABLE;
	err = state_user_login_ok(st, name, now, step);
	if (err == IG_EAUTH) {
		/* another process accepted this step first */
		state_tx_rollback(st);
		reason = "totp_replay";
		goto fail;
	}
	if (err != IG_OK) {
		state_tx_rollback(st);
		return USER_LOGIN_UNAVAILABLE;
	}
	if (login_record(st, a, true, name, true, NULL, client) != IG_OK)
		return USER_LOGIN_UNAVAILABLE;
	guard_success(g, nkey, now);
	u.last_login_at = now;
	u.failed_count = 0;
	u.failed_at = 0;
	u.locked_until = 0;
	if (step != 0)
		u.totp_last_step = step;
	if (info_r != NULL)
		*info_r = u;
	answer = USER_LOGIN_OK;
	return answer;
fail:
	return login_fail(st, a, g, up, name, nkey, akey, reason, client, now, USER_LOGIN_DENIED);
}
