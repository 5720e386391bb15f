/* handlers/ops.h: an operator action that cannot be audited does not
 * happen. Property over every state-changing operator action — the ops_*
 * functions themselves, the CLI (`imapgate token create|revoke`, `outbox
 * approve|reject`, run as the real binary) and the outbox sender's start-up
 * step — with the audit log unable to grow (RLIMIT_FSIZE below its size, as
 * a full disk would): each fails with a clear error (non-zero exit, IG_EIO,
 * entry left alone) and state.db is unchanged. Then, with the limit lifted,
 * the same action succeeds and its record is in a verifiable log, so the
 * first half cannot pass vacuously (tests/unit/handlers/test_ops_fixture.h).
 * The admin API's decisions are the same property in
 * tests/unit/web/test_api.c. Each ops_* action is also refused without any
 * audit log (NULL). */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>
#include <sys/wait.h>

#include "tests/unit/sibling_bin.h"
#include "handlers/ops.h"
#include "handlers/ops_outbox.h"
#include "handlers/ops_token.h"
#include "handlers/sender.h"

static char bin[600];

/* --- the actions: each sets r->ok when it reported success --- */

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

/* The ops_* functions called directly, as both front ends do. */
static void
ops_result(struct result *r, enum ig_err err, const char *error)
{
	r->ok = err == IG_OK;
	(void)snprintf(r->text, sizeof(r->text), "%s: %s", ig_err_str(err),
		       error != NULL ? error : "-");
	if (!r->ok)
		assert_int_equal(err, IG_EIO);
}

static void
a_ops_token_create(struct fx *fx, struct result *r)
{
	struct token_spec spec = {0};
	struct token_info info;
	char secret[TOKEN_SECRET_LEN + 1];
	const char *error = NULL;
	enum ig_err err;

	spec.name = "fresh";
	err = ops_token_create(fx->st, fx->audit, &spec, secret, &info, &error);
	ops_result(r, err, error);
	/* the secret is valid only on success */
	if (!r->ok)
		assert_string_equal(secret, "");
	else
		assert_non_null(strstr(secret, TOKEN_PREFIX));
}

static void
a_ops_token_revoke(struct fx *fx, struct result *r)
{
	const char *error = NULL;
	enum ig_err err = ops_token_revoke(fx->st, fx->audit, "keep", &error);

	ops_result(r, err, error);
}

static void
ops_decide(struct fx *fx, bool approve, struct result *r)
{
	const struct ops_actor who = {"cli", "alice", false};
	const char *error = NULL;
	enum ig_err err = ops_outbox_decide(fx->st, fx->audit, fx->pending, approve, &who, NULL,
					    &error);

	ops_result(r, err, error);
}

static void
a_ops_approve(struct fx *fx, struct result *r)
{
	ops_decide(fx, true, r);
}

static void
a_ops_reject(struct fx *fx, struct result *r)
{
	ops_decide(fx, false, r);
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

static const struct action actions[] = {
	{"ops token create", a_ops_token_create, "audit log cannot be written",
	 "\"event\":\"created\",\"token\":\"fresh\""},
	{"ops token revoke", a_ops_token_revoke, "audit log cannot be written",
	 "\"event\":\"revoked\",\"token\":\"keep\""},
	{"ops outbox approve", a_ops_approve, "audit log cannot be written",
	 "\"decision\":\"approved\",\"approver\":\"cli:alice\""},
	{"ops outbox reject", a_ops_reject, "audit log cannot be written",
	 "\"decision\":\"rejected\",\"approver\":\"cli:alice\""},
	{"cli token create", a_cli_token_create, "audit log cannot be written",
	 "\"event\":\"created\",\"token\":\"fresh\""},
	{"cli token revoke", a_cli_token_revoke, "audit log cannot be written",
	 "\"event\":\"revoked\",\"token\":\"keep\""},
	{"cli outbox approve", a_cli_approve, "audit log cannot be written",
	 "\"decision\":\"approved\""},
	{"cli outbox reject", a_cli_reject, "audit log cannot be written",
	 "\"decision\":\"rejected\""},
	{"sender start-up step", a_sender_restart, "entry sending", "\"recovered\":true"},
};

#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

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
ACTION_TEST(7)
ACTION_TEST(8)

/* No audit log at all (a server or CLI that could not open it): every
 * ops_* action is refused with OP_UNAUDITED and changes nothing. */
static void
test_no_audit_log(void **state)
{
	struct fx *fx = *state;
	const struct ops_actor who = {"admin", "boss", true};
	struct token_spec spec = {0};
	char secret[TOKEN_SECRET_LEN + 1];
	const char *error = NULL;
	char *before = snapshot(fx);
	char *after;

	spec.name = "fresh";
	assert_int_equal(ops_token_create(fx->st, NULL, &spec, secret, NULL, &error), IG_EIO);
	assert_string_equal(error, OP_UNAUDITED);
	assert_string_equal(secret, "");
	error = NULL;
	assert_int_equal(ops_token_revoke(fx->st, NULL, "keep", &error), IG_EIO);
	assert_string_equal(error, OP_UNAUDITED);
	error = NULL;
	assert_int_equal(ops_outbox_decide(fx->st, NULL, fx->pending, true, &who, NULL, &error),
			 IG_EIO);
	assert_string_equal(error, OP_UNAUDITED);
	error = NULL;
	assert_int_equal(ops_outbox_decide(fx->st, NULL, fx->pending, false, &who, NULL, &error),
			 IG_EIO);
	assert_string_equal(error, OP_UNAUDITED);
	after = snapshot(fx);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* The audit record's principal (docs/audit.md): the token's name for the
 * admin API, null for the operator at the console; the outbox keeps
 * "<via>:<name>" as the approver either way. */
static void
test_decide_principal(void **state)
{
	struct fx *fx = *state;
	const struct ops_actor cli_who = {"cli", "alice", false};
	const struct ops_actor admin_who = {"admin", "boss", true};
	int64_t second = entry_new(fx->st);
	struct outbox_entry *e = NULL;
	const char *error = NULL;
	char path[160];
	char line[8192];
	bool saw_cli = false;
	bool saw_admin = false;
	FILE *f;

	assert_int_equal(ops_outbox_decide(fx->st, fx->audit, fx->pending, false, &cli_who, NULL,
					   &error),
			 IG_OK);
	assert_int_equal(ops_outbox_decide(fx->st, fx->audit, second, false, &admin_who, NULL,
					   &error),
			 IG_OK);
	assert_int_equal(outbox_get(fx->st, fx->pending, &e), IG_OK);
	assert_string_equal(e->approved_by, "cli:alice");
	outbox_entry_free(e);
	assert_int_equal(outbox_get(fx->st, second, &e), IG_OK);
	assert_string_equal(e->approved_by, "admin:boss");
	outbox_entry_free(e);
	/* a second decision on a decided entry: not pending, no record */
	assert_int_equal(ops_outbox_decide(fx->st, fx->audit, second, true, &admin_who, NULL,
					   &error),
			 IG_EEXIST);
	assert_string_equal(error, "the entry is not pending");
	assert_int_equal(ops_outbox_decide(fx->st, fx->audit, 999999, true, &admin_who, NULL,
					   &error),
			 IG_ENOTFOUND);
	assert_string_equal(error, "not found");
	(void)snprintf(path, sizeof(path), "%s/audit/audit.jsonl", fx->data);
	f = fopen(path, "rb");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "\"kind\":\"approval\"") == NULL)
			continue;
		if (strstr(line, "\"approver\":\"cli:alice\"") != NULL) {
			assert_non_null(strstr(line, "\"principal\":null"));
			saw_cli = true;
		}
		if (strstr(line, "\"approver\":\"admin:boss\"") != NULL) {
			assert_non_null(strstr(line, "\"principal\":\"boss\""));
			saw_admin = true;
		}
	}
	(void)fclose(f);
	assert_true(saw_cli);
	assert_true(saw_admin);
}

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
		cmocka_unit_test_setup_teardown(test_action_7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_audit_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide_principal, setup, teardown),
	};

	_Static_assert(N_ACTIONS == 9, "one test per action");
	if (sodium_init() < 0)
		return 1;
	/* the imapgate binary is built beside this test */
	if (!sibling_bin("imapgate", bin, sizeof(bin)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
