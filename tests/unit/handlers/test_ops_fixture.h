/* The fixture of the "cannot audit -> no change" property (handlers/ops.h),
 * shared by tests/unit/handlers/test_ops.c (the CLI, the ops_* functions,
 * the sender) and tests/unit/web/test_api.c (the admin API): a data_dir with
 * a token, an entry to decide and one interrupted while sending, and an
 * audit log big enough that RLIMIT_FSIZE can sit just below its size, as a
 * full disk would. run_one runs an action with the log unable to grow (it
 * must fail, say why, and change nothing), then with room (it must succeed
 * and its record must be in a verifiable log), so the first half cannot
 * pass vacuously. Included by one test file each; not a header of the
 * project. */
#ifndef IG_TESTS_UNIT_HANDLERS_TEST_OPS_FIXTURE_H
#define IG_TESTS_UNIT_HANDLERS_TEST_OPS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/config.h"
#include "store/audit.h"
#include "store/audit_verify.h"
#include "store/outbox.h"
#include "store/state.h"

struct fx {
	char root[64];
	char data[96];
	char conf[96];
	struct ig_config *cfg;
	struct state *st;
	struct audit *audit;
	int64_t pending;  /* an entry to approve or reject */
	int64_t sending;  /* an entry interrupted while sending */
};

static const char *const rcpts[] = {"bob@example.test"};
static const char mime[] = "From: a@example.test\r\nTo: bob@example.test\r\n\r\nhi\r\n";

static int64_t
entry_new(struct state *st)
{
	struct outbox_new n = {0};
	int64_t id = 0;

	n.token_id = 1;
	n.token_name = "agent";
	n.account = "work";
	n.mail_from = "a@example.test";
	n.rcpts = rcpts;
	n.n_rcpts = 1;
	n.subject = "hi";
	n.message_id = "<x@example.test>";
	n.mime = (struct slice){mime, sizeof(mime) - 1};
	n.now = 1000000;
	assert_int_equal(outbox_create(st, &n, &id), IG_OK);
	return id;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct token_spec spec = {0};
	char secret[TOKEN_SECRET_LEN + 1];
	struct outbox_entry *e = NULL;
	const char *error = NULL;
	char *cerr = NULL;
	char pw[128];
	FILE *f;
	int i;

	assert_non_null(fx);
	(void)snprintf(fx->root, sizeof(fx->root), "/tmp/ig-test-op-XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	(void)snprintf(fx->data, sizeof(fx->data), "%s/data", fx->root);
	(void)snprintf(fx->conf, sizeof(fx->conf), "%s/c.conf", fx->root);
	(void)snprintf(pw, sizeof(pw), "%s/pw", fx->root);
	f = fopen(pw, "w");
	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
	f = fopen(fx->conf, "w");
	assert_non_null(f);
	fprintf(f, "[server]\nlisten = 127.0.0.1:1\ndata_dir = %s\n\n[account work]\n"
		   "host = 127.0.0.1\nport = 993\ntls = implicit\nuser = u\npassword_file = %s\n"
		   "tls_fingerprint_sha256 = ",
		fx->data, pw);
	for (i = 0; i < 32; i++)
		fputs("ab", f);
	fputs("\n", f);
	fclose(f);
	assert_int_equal(config_load(fx->conf, NULL, &fx->cfg, &cerr), IG_OK);
	assert_int_equal(state_open(fx->data, &fx->st, &error), IG_OK);
	assert_int_equal(audit_open(fx->data, &fx->audit, &error), IG_OK);
	spec.name = "keep";
	assert_int_equal(state_token_create(fx->st, &spec, secret, NULL, &error), IG_OK);
	fx->pending = entry_new(fx->st);
	fx->sending = entry_new(fx->st);
	assert_int_equal(outbox_approve(fx->st, fx->sending, "ops", NULL, 1000001, &error), IG_OK);
	assert_int_equal(outbox_claim(fx->st, 1000002, &e), IG_OK);
	assert_int_equal(e->id, fx->sending);
	outbox_entry_free(e);
	/* a log big enough that the file size limit can sit just below it */
	for (i = 0; i < 12; i++) {
		struct json_object *o = json_object_new_object();
		char *pad = malloc(200000);

		assert_non_null(pad);
		memset(pad, 'p', 199999);
		pad[199999] = '\0';
		json_object_object_add(o, "pad", json_object_new_string(pad));
		free(pad);
		assert_int_equal(audit_append(fx->audit, "cache", NULL, NULL, o, false), IG_OK);
		json_object_put(o);
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct rlimit lim;
	char cmd[128];

	/* a failed assertion may have left the limit in place */
	if (getrlimit(RLIMIT_FSIZE, &lim) == 0) {
		lim.rlim_cur = lim.rlim_max;
		(void)setrlimit(RLIMIT_FSIZE, &lim);
	}

	audit_close(fx->audit);
	state_close(fx->st);
	config_free(fx->cfg);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* --- what "nothing changed" compares --- */

static void
token_row(const struct token_info *t, void *ctx)
{
	buf_appendf(ctx, "token %lld %s revoked=%lld\n", (long long)t->id, t->name,
		    (long long)t->revoked_at);
}

static void
outbox_row(const struct outbox_entry *e, void *ctx)
{
	buf_appendf(ctx, "outbox %lld %s by=%s\n", (long long)e->id, outbox_state_str(e->state),
		    e->approved_by != NULL ? e->approved_by : "-");
}

struct user_snap {
	struct buf *b;
	struct state *st;
};

static void
user_row(const struct user_info *u, void *ctx)
{
	struct user_snap *us = ctx;
	struct user_info tmp;
	char hash[USER_PWHASH_MAX] = "";

	if (state_user_get(us->st, u->name, &tmp, hash) != IG_OK)
		(void)snprintf(hash, sizeof(hash), "?");
	buf_appendf(us->b, "user %s admin=%d disabled=%d totp=%d login=%lld fails=%lld %s\n",
		    u->name, u->admin, u->disabled, u->totp, (long long)u->last_login_at,
		    (long long)u->failed_count, hash);
}

static char *
snapshot(struct fx *fx)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	assert_int_equal(state_token_list(fx->st, token_row, &b), IG_OK);
	assert_int_equal(outbox_list(fx->st, -1, 100, outbox_row, &b), IG_OK);
	{
		struct user_snap us = {&b, fx->st};

		assert_int_equal(state_user_list(fx->st, user_row, &us), IG_OK);
	}
	assert_int_equal(buf_err(&b), IG_OK);
	s = strndup(b.p, b.len);
	buf_free(&b);
	return s;
}

static off_t
log_size(struct fx *fx)
{
	char p[160];
	struct stat st;

	(void)snprintf(p, sizeof(p), "%s/audit/audit.jsonl", fx->data);
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/* --- the actions: each returns true when it reported success --- */

struct result {
	bool ok;
	char text[4096]; /* what the operator saw */
};

struct action {
	const char *name;
	void (*run)(struct fx *fx, struct result *r);
	const char *says;   /* in the failure text */
	const char *record; /* in the log after success */
};

/* Not every file that includes the fixture runs the property. */
static void run_one(void **state, const struct action *a) __attribute__((unused));

static void
run_one(void **state, const struct action *a)
{
	struct fx *fx = *state;
	struct rlimit old;
	struct rlimit lim;
	struct result r;
	struct audit_verify_report vr;
	char path[160];
	char *before;
	char *after;
	char *logtext;
	size_t len;
	FILE *f;

	before = snapshot(fx);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)log_size(fx);
	assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(&r, 0, sizeof(r));
	a->run(fx, &r);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	after = snapshot(fx);
	if (r.ok || strcmp(before, after) != 0 || strstr(r.text, a->says) == NULL)
		fprintf(stderr, "%s, audit log full: ok=%d\n%s\nbefore:\n%safter:\n%s", a->name,
			r.ok, r.text, before, after);
	assert_false(r.ok);
	assert_string_equal(before, after);
	assert_non_null(strstr(r.text, a->says));
	free(after);

	/* the same action with room in the log: done, and recorded */
	memset(&r, 0, sizeof(r));
	a->run(fx, &r);
	if (!r.ok)
		fprintf(stderr, "%s, audit log writable: %s\n", a->name, r.text);
	assert_true(r.ok);
	after = snapshot(fx);
	assert_string_not_equal(before, after);
	(void)snprintf(path, sizeof(path), "%s/audit/audit.jsonl", fx->data);
	f = fopen(path, "rb");
	assert_non_null(f);
	logtext = malloc(8 << 20);
	assert_non_null(logtext);
	len = fread(logtext, 1, (8 << 20) - 1, f);
	logtext[len] = '\0';
	fclose(f);
	assert_non_null(strstr(logtext, a->record));
	free(logtext);
	(void)snprintf(path, sizeof(path), "%s/audit", fx->data);
	assert_int_equal(audit_verify_checkpoint(path, fx->data, 0, NULL, &vr), IG_OK);
	if (!vr.ok)
		fprintf(stderr, "verify: %s\n", vr.why);
	assert_true(vr.ok);
	free(before);
	free(after);
}

#endif
