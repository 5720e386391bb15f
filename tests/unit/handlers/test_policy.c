/* Tests handlers/policy.c: the effective permission of every tool posture x
 * account posture x token cap x override set, sub-capabilities, list
 * matching and override-name validation against a registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/policy.h"
#include "handlers/tools.h"
#include "store/state.h"

static void
noop_run(struct tool_call *call)
{
	(void)call;
}

static const struct tool_arg_rule sub_rules[] = {
	{"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"deep", ARG_AUDIT_TEXT, POSTURE_FULL},
	{NULL, 0, 0},
};

static const struct tool_def subtool = {
	.name = "subtool",
	.description = "test",
	.input_schema = "{\"type\":\"object\",\"properties\":{\"account\":{\"type\":\"string\"},"
			"\"deep\":{\"type\":\"string\"}},\"additionalProperties\":false}",
	.min_posture = POSTURE_DRAFT_SAFE,
	.rate_class = TOOL_RATE_READ,
	.account_scoped = true,
	.args = sub_rules,
	.run = noop_run,
};

/* The override sets under test, on the token or on the account. */
static const struct pol_overrides sets[] = {
	{NULL, NULL},
	{"", ""},
	{NULL, "T"},
	{"T", NULL},
	{"other", NULL},
	{NULL, "T.deep"},
	{"T,T.deep", NULL},
	{" T , T.deep ", "other"},
	{"T", "T"},
};
#define N_SETS (sizeof(sets) / sizeof(sets[0]))

/* The rule, written out independently of policy.c: does set o leave name? */
static bool
leaves(const struct pol_overrides *o, const char *name)
{
	char list[64];
	char *p;
	char *tok;
	bool allow_set = false;
	bool in_allow = false;

	if (o->deny != NULL) {
		(void)snprintf(list, sizeof(list), "%s", o->deny);
		for (tok = strtok_r(list, ",", &p); tok != NULL; tok = strtok_r(NULL, ",", &p)) {
			while (*tok == ' ')
				tok++;
			if (strncmp(tok, name, strlen(name)) == 0 &&
			    (tok[strlen(name)] == '\0' || tok[strlen(name)] == ' '))
				return false;
		}
	}
	if (o->allow != NULL) {
		(void)snprintf(list, sizeof(list), "%s", o->allow);
		for (tok = strtok_r(list, ",", &p); tok != NULL; tok = strtok_r(NULL, ",", &p)) {
			while (*tok == ' ')
				tok++;
			if (*tok != '\0')
				allow_set = true;
			if (strncmp(tok, name, strlen(name)) == 0 &&
			    (tok[strlen(name)] == '\0' || tok[strlen(name)] == ' '))
				in_allow = true;
		}
	}
	return !allow_set || in_allow;
}

static void
test_matrix(void **state)
{
	struct tool_arg_rule deep = {"deep", ARG_AUDIT_TEXT, POSTURE_READONLY};
	struct tool_def t = subtool;
	unsigned combos = 0;
	int tp;
	int ap;
	int cap;
	int sp;
	size_t ts;
	size_t as;
	int scoped;

	(void)state;
	t.name = "T";
	for (scoped = 0; scoped < 2; scoped++)
	for (tp = POSTURE_READONLY; tp <= POSTURE_DESTRUCTIVE; tp++)
	for (sp = POSTURE_READONLY; sp <= POSTURE_DESTRUCTIVE; sp++)
	for (ap = POSTURE_READONLY; ap <= POSTURE_DESTRUCTIVE; ap++)
	for (cap = POSTURE_READONLY; cap <= POSTURE_DESTRUCTIVE; cap++)
	for (ts = 0; ts < N_SETS; ts++)
	for (as = 0; as < N_SETS; as++) {
		enum posture eff = scoped ? pol_posture((enum posture)ap, (enum posture)cap)
					  : (enum posture)cap;
		bool want_tool;
		bool want_sub;

		t.min_posture = (enum posture)tp;
		t.account_scoped = scoped != 0;
		deep.min_posture = (enum posture)sp;
		assert_int_equal(eff, scoped ? (ap < cap ? ap : cap) : cap);
		want_tool = tp <= (int)eff && leaves(&sets[ts], "T") &&
			    (!scoped || leaves(&sets[as], "T"));
		assert_int_equal(pol_tool_allowed(&t, eff, &sets[ts], &sets[as]), want_tool);
		/* a readonly argument is no sub-capability: always usable */
		want_sub = sp == POSTURE_READONLY ||
			   (sp <= (int)eff && leaves(&sets[ts], "T.deep") &&
			    (!scoped || leaves(&sets[as], "T.deep")));
		assert_int_equal(pol_arg_allowed(&t, &deep, eff, &sets[ts], &sets[as]), want_sub);
		combos++;
	}
	assert_int_equal(combos, 2 * 4 * 4 * 4 * 4 * N_SETS * N_SETS);
}

static void
test_permits_token(void **state)
{
	struct token_info tok;
	struct cfg_account a;
	struct tool_def t = subtool;

	(void)state;
	memset(&tok, 0, sizeof(tok));
	memset(&a, 0, sizeof(a));
	a.name = "work";
	a.posture = POSTURE_FULL;
	tok.posture_cap = POSTURE_READONLY;
	assert_false(pol_permits(&t, &a, &tok)); /* needs draft-safe; cap readonly */
	tok.posture_cap = POSTURE_DESTRUCTIVE;
	assert_true(pol_permits(&t, &a, &tok));
	a.posture = POSTURE_READONLY;
	assert_false(pol_permits(&t, &a, &tok)); /* account posture limits too */
	a.posture = POSTURE_DRAFT_SAFE;
	assert_true(pol_permits(&t, &a, &tok));
	memcpy(tok.tools_deny, "subtool", 8);
	assert_false(pol_permits(&t, &a, &tok));
	tok.tools_deny[0] = '\0';
	a.tools_allow = (char *)"list_folders";
	assert_false(pol_permits(&t, &a, &tok));
	a.tools_allow = NULL;
	/* an account-scoped tool needs an account; for one without, the
	 * account (and its overrides and posture) plays no part */
	assert_false(pol_permits(&t, NULL, &tok));
	t.account_scoped = false;
	a.posture = POSTURE_READONLY;
	a.tools_deny = (char *)"subtool";
	assert_true(pol_permits(&t, &a, &tok));
	assert_true(pol_permits(&t, NULL, &tok));
	tok.posture_cap = POSTURE_READONLY;
	assert_false(pol_permits(&t, NULL, &tok));
}

static void
test_list_has(void **state)
{
	(void)state;
	assert_true(pol_list_has("a,b,c", "b"));
	assert_true(pol_list_has(" a , b ,c ", "b"));
	assert_false(pol_list_has("ab,c", "a"));
	assert_false(pol_list_has("a.b", "a"));
	assert_false(pol_list_has("", "a"));
	assert_false(pol_list_has(NULL, "a"));
	assert_false(pol_list_has(",,,", ""));
	assert_true(pol_list_has("x,,a", "a"));
}

static void
test_list_check(void **state)
{
	static const struct tool_def *const extra[] = {&subtool};
	const char *error = NULL;
	struct tool_registry *reg = tool_registry_new(extra, 1, &error);
	char bad[64];

	(void)state;
	assert_non_null(reg);
	assert_true(pol_list_check(reg, NULL, bad, sizeof(bad)));
	assert_true(pol_list_check(reg, "", bad, sizeof(bad)));
	assert_true(pol_list_check(reg, "list_folders, subtool ,subtool.deep,list_accounts", bad,
				   sizeof(bad)));
	assert_false(pol_list_check(reg, "list_folders,nope", bad, sizeof(bad)));
	assert_string_equal(bad, "nope");
	/* an argument that is no sub-capability cannot be named */
	assert_false(pol_list_check(reg, "subtool.account", bad, sizeof(bad)));
	assert_string_equal(bad, "subtool.account");
	assert_false(pol_list_check(reg, "nope.deep", bad, sizeof(bad)));
	assert_false(pol_list_check(reg, "subtool.", bad, sizeof(bad)));
	assert_false(pol_list_check(reg, ".deep", bad, sizeof(bad)));
	tool_registry_free(reg);
}

static void
test_folders(void **state)
{
	struct cfg_account a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_true(pol_folder_protected(&a, "INBOX", NULL));
	assert_true(pol_folder_protected(&a, "inbox", NULL));
	assert_true(pol_folder_protected(&a, "Sent", NULL));
	assert_true(pol_folder_protected(&a, "Drafts", NULL));
	assert_true(pol_folder_protected(&a, "Trash", NULL));
	assert_true(pol_folder_protected(&a, "Gesendet", "\\Sent"));
	assert_true(pol_folder_protected(&a, "Papierkorb", "\\trash"));
	assert_false(pol_folder_protected(&a, "Archive", "\\Archive"));
	assert_false(pol_folder_protected(&a, "INBOX.sub", NULL));
	assert_false(pol_folder_protected(&a, "Projects", NULL));
	a.protected_folders = (char *)"Projects, Legal";
	assert_true(pol_folder_protected(&a, "Projects", NULL));
	assert_true(pol_folder_protected(&a, "Legal", NULL));
	assert_false(pol_folder_protected(&a, "legal", NULL));
	assert_false(pol_folder_expungeable(&a, "Junk"));
	a.expunge_folders = (char *)"Junk,Old";
	assert_true(pol_folder_expungeable(&a, "Junk"));
	assert_false(pol_folder_expungeable(&a, "junk"));
	assert_false(pol_folder_expungeable(NULL, "Junk"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_permits_token),
		cmocka_unit_test(test_list_has),
		cmocka_unit_test(test_list_check),
		cmocka_unit_test(test_folders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
