/* handlers/ops.c: an operator action that cannot be audited does not
 * happen. Property over every state-changing operator action — the CLI
 * (`imapgate token create|revoke`, `outbox approve|reject`, run as the real
 * binary), the admin API (approve/reject) and the outbox sender's start-up
 * step — with the audit log unable to grow (RLIMIT_FSIZE below its size, as
 * a full disk would): each fails with a clear error (non-zero exit, 5xx,
 * entry left alone) and state.db is unchanged. Then, with the limit lifted,
 * the same action succeeds and its record is in a verifiable log, so the
 * first half cannot pass vacuously. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/sibling_bin.h"
#include "store/audit.h"
#include "store/audit_verify.h"
#include "base/buf.h"
#include "handlers/sender.h"
#include "web/api.h"
#include "base/config.h"
#include "store/outbox.h"
#include "store/state.h"

static char bin[600];

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

static char *
snapshot(struct fx *fx)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	assert_int_equal(state_token_list(fx->st, token_row, &b), IG_OK);
	assert_int_equal(outbox_list(fx->st, -1, 100, outbox_row, &b), IG_OK);
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

static void
cli(struct fx *fx, const char *args, struct result *r)
{
	char cmd[1200];
	FILE *p;
	size_t n;
	int st;

	if (strncmp(args, "outbox ", 7) == 0) /* --config before its sub-command */
		(void)snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", bin, args);
	else
		(void)snprintf(cmd, sizeof(cmd), "'%s' %s --config '%s' 2>&1", bin, args, fx->conf);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(r->text, 1, sizeof(r->text) - 1, p);
	r->text[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st));
	r->ok = WEXITSTATUS(st) == 0;
	if (!r->ok)
		assert_int_equal(WEXITSTATUS(st), 1);
}

static void
cli_outbox(struct fx *fx, const char *verb, struct result *r)
{
	char args[256];

	(void)snprintf(args, sizeof(args), "outbox --config '%s' %s %lld", fx->conf, verb,
		       (long long)fx->pending);
	cli(fx, args, r);
}

static void
a_cli_token_create(struct fx *fx, struct result *r)
{
	cli(fx, "token create --name fresh", r);
	/* a failed create shows no secret */
	if (!r->ok)
		assert_null(strstr(r->text, TOKEN_PREFIX));
}

static void
a_cli_token_revoke(struct fx *fx, struct result *r)
{
	cli(fx, "token revoke keep", r);
}

static void
a_cli_approve(struct fx *fx, struct result *r)
{
	cli_outbox(fx, "approve", r);
}

static void
a_cli_reject(struct fx *fx, struct result *r)
{
	cli_outbox(fx, "reject", r);
}

static void
admin(struct fx *fx, const char *verb, struct result *r)
{
	struct token_info who;
	char url[96];
	struct buf out;
	unsigned status;

	memset(&who, 0, sizeof(who));
	(void)snprintf(who.name, sizeof(who.name), "boss");
	who.admin = true;
	(void)snprintf(url, sizeof(url), "/admin/outbox/%lld/%s", (long long)fx->pending, verb);
	buf_init(&out, 65536);
	status = admin_outbox_handle(fx->cfg, fx->audit, &who, "POST", url, (struct slice){"", 0},
				     &out);
	(void)snprintf(r->text, sizeof(r->text), "%u %.*s", status, (int)out.len, out.p);
	buf_free(&out);
	r->ok = status == 200;
	if (!r->ok)
		assert_true(status >= 500 && status <= 599);
}

static void
a_admin_approve(struct fx *fx, struct result *r)
{
	admin(fx, "approve", r);
}

static void
a_admin_reject(struct fx *fx, struct result *r)
{
	admin(fx, "reject", r);
}

/* The sender's start-up step runs before its thread first checks for stop,
 * so start + stop runs it exactly once. */
static void
a_sender_restart(struct fx *fx, struct result *r)
{
	const char *error = NULL;
	struct outbox_entry *e = NULL;
	struct sender *s = sender_start(fx->cfg, NULL, fx->audit, &error);

	assert_non_null(s);
	sender_stop(s);
	assert_int_equal(outbox_get(fx->st, fx->sending, &e), IG_OK);
	r->ok = e->state == OUTBOX_UNCERTAIN;
	(void)snprintf(r->text, sizeof(r->text), "entry %s", outbox_state_str(e->state));
	outbox_entry_free(e);
}

struct action {
	const char *name;
	void (*run)(struct fx *fx, struct result *r);
	const char *says;   /* in the failure text */
	const char *record; /* in the log after success */
};

static const struct action actions[] = {
	{"cli token create", a_cli_token_create, "audit log cannot be written",
	 "\"event\":\"created\",\"token\":\"fresh\""},
	{"cli token revoke", a_cli_token_revoke, "audit log cannot be written",
	 "\"event\":\"revoked\",\"token\":\"keep\""},
	{"cli outbox approve", a_cli_approve, "audit log cannot be written",
	 "\"decision\":\"approved\""},
	{"cli outbox reject", a_cli_reject, "audit log cannot be written",
	 "\"decision\":\"rejected\""},
	{"admin approve", a_admin_approve, "audit log cannot be written",
	 "\"decision\":\"approved\""},
	{"admin reject", a_admin_reject, "audit log cannot be written",
	 "\"decision\":\"rejected\""},
	{"sender start-up step", a_sender_restart, "entry sending", "\"recovered\":true"},
};

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

#define ACTION_TEST(i)                                                                             \
	static void test_action_##i(void **state)                                                  \
	{                                                                                          \
		run_one(state, &actions[i]);                                                       \
	}
ACTION_TEST(0)
ACTION_TEST(1)
ACTION_TEST(2)
ACTION_TEST(3)
ACTION_TEST(4)
ACTION_TEST(5)
ACTION_TEST(6)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_action_0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_6, setup, teardown),
	};

	_Static_assert(sizeof(actions) / sizeof(actions[0]) == 7, "one test per action");
	if (sodium_init() < 0)
		return 1;
	/* the imapgate binary is built beside this test */
	if (!sibling_bin("imapgate", bin, sizeof(bin)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
