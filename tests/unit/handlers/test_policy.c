/* Tests handlers/policy.c: the effective permission of every tool posture x
 * account posture x token cap x override set, sub-capabilities, list
 * matching and override-name validation against a registry; the guards of
 * the mutating tools: folder-name and keyword rules (the refusal tables of
 * issue 7), protected folders (INBOX in any case, fixed names, special use,
 * configured) with ancestors and descendants, and the expunge allow-list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "handlers/policy.h"
#include "handlers/tools.h"
#include "imap/cmd.h"
#include "base/config.h"
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

/* Main's original cases, on the one predicate pair: special use comes from
 * a listing now, and configured names compare ignoring case. */
static char use_sent[] = "\\Sent", use_trash_lc[] = "\\trash", use_archive[] = "\\Archive";
static char *use_sent_v[] = {use_sent}, *use_trash_v[] = {use_trash_lc},
	    *use_archive_v[] = {use_archive};
static char f_gesendet[] = "Gesendet", f_papierkorb[] = "Papierkorb", f_archive[] = "Archive";
static struct imap_folder uses[] = {
	{.name = f_gesendet, .delim = '.', .attrs = use_sent_v, .n_attrs = 1},
	{.name = f_papierkorb, .delim = '.', .attrs = use_trash_v, .n_attrs = 1},
	{.name = f_archive, .delim = '.', .attrs = use_archive_v, .n_attrs = 1},
};
static const struct imap_folder_list uses_list = {uses, sizeof(uses) / sizeof(uses[0])};

static void
test_folders(void **state)
{
	struct cfg_account a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_true(pol_folder_protected(&a, NULL, "INBOX"));
	assert_true(pol_folder_protected(&a, NULL, "inbox"));
	assert_true(pol_folder_protected(&a, NULL, "Sent"));
	assert_true(pol_folder_protected(&a, NULL, "Drafts"));
	assert_true(pol_folder_protected(&a, NULL, "Trash"));
	assert_true(pol_folder_protected(&a, NULL, "trash")); /* servers may fold case */
	assert_true(pol_folder_protected(&a, &uses_list, "Gesendet"));
	assert_true(pol_folder_protected(&a, &uses_list, "Papierkorb")); /* "\\trash" */
	assert_false(pol_folder_protected(&a, NULL, "Gesendet")); /* no listing, no use */
	assert_false(pol_folder_protected(&a, &uses_list, "Archive"));
	assert_false(pol_folder_protected(&a, &uses_list, "INBOX.sub"));
	assert_false(pol_folder_protected(&a, &uses_list, "Projects"));
	a.protected_folders = (char *)"Projects, Legal";
	assert_true(pol_folder_protected(&a, NULL, "Projects"));
	assert_true(pol_folder_protected(&a, NULL, "Legal"));
	assert_true(pol_folder_protected(&a, NULL, "legal"));
	assert_false(pol_folder_protected(&a, NULL, "Legal2"));
	assert_false(pol_folder_expungeable(&a, "Junk"));
	a.expunge_folders = (char *)"Junk,Old";
	assert_true(pol_folder_expungeable(&a, "Junk"));
	assert_false(pol_folder_expungeable(&a, "junk"));
	assert_false(pol_folder_expungeable(NULL, "Junk"));
}

static void
test_folder_names(void **state)
{
	static const char *const good[] = {
		"INBOX", "Archive", "Entw\xc3\xbc" "rfe/\xc3\x9c" "berweisungen", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		"a b", "a&b", "x.y", "~user", "\xf0\x9f\x98\x80",
	};
	static const char *const bad[] = {
		"", "a\tb", "a\nb", "a\rb", "a\x7f" "b", "a\xc2\x80" "b", /* C1 */
		"a*", "a%", "#news", "a\\b", "\xff", "\xc3", "\xed\xa0\x80", /* surrogate */
		"a\xe2\x80\xae" "b", /* RLO */ "a\xe2\x81\xa6" "b", /* LRI */ "\xe2\x80\x8f",
	};
	char longname[LIM_FOLDER_ARG + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_null(pol_folder_name_check(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(pol_folder_name_check(bad[i]));
	memset(longname, 'a', sizeof(longname));
	longname[LIM_FOLDER_ARG] = '\0';
	assert_null(pol_folder_name_check(longname));
	longname[LIM_FOLDER_ARG] = 'a';
	longname[LIM_FOLDER_ARG + 1] = '\0';
	assert_non_null(pol_folder_name_check(longname));
}

static void
test_folder_paths(void **state)
{
	(void)state;
	assert_null(pol_folder_path_check("a/b/c", '/'));
	assert_null(pol_folder_path_check("a.b", '/'));
	assert_null(pol_folder_path_check("/a", 0));
	assert_non_null(pol_folder_path_check("/a", '/'));
	assert_non_null(pol_folder_path_check("a/", '/'));
	assert_non_null(pol_folder_path_check("a//b", '/'));
	assert_non_null(pol_folder_path_check("a/../b", '/'));
	assert_non_null(pol_folder_path_check("./b", '/'));
	assert_non_null(pol_folder_path_check("a..b", '.'));
	assert_null(pol_folder_path_check("a.b", '.'));
}

static void
test_keywords(void **state)
{
	static const char *const good[] = {"$Label1", "Work", "todo-2024", "a.b_c+d", "$Forwarded",
					   "!#&'+,-./:;<=>?@[^_`|}~"};
	static const char *const bad[] = {
		"", "\\Seen", "\\Flagged", "\\Deleted", "\\Draft", "\\Answered", "\\Recent", "\\*",
		"two words", "a(b", "a)b", "a{b", "a%b", "a*b", "a\"b", "a\\b", "a]b",
		"caf\xc3\xa9", "\x80", "a\tb", "a\x7f", "a\r\nb",
	};
	char longkw[LIM_LABEL + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_null(pol_keyword_check(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(pol_keyword_check(bad[i]));
	memset(longkw, 'k', sizeof(longkw));
	longkw[LIM_LABEL] = '\0';
	assert_null(pol_keyword_check(longkw));
	longkw[LIM_LABEL] = 'k';
	longkw[LIM_LABEL + 1] = '\0';
	assert_non_null(pol_keyword_check(longkw));
}

/* A listing as imap_list_folders returns it (special use among attrs). */
static char sent_attr[] = "\\Sent";
static char drafts_attr[] = "\\Drafts";
static char trash_attr[] = "\\Trash";
static char junk_attr[] = "\\Junk";
static char *sent_attrs[] = {sent_attr};
static char *drafts_attrs[] = {drafts_attr};
static char *trash_attrs[] = {trash_attr};
static char *junk_attrs[] = {junk_attr};
static char n_inbox[] = "INBOX", n_sent[] = "Gesendet", n_drafts[] = "Drafts", n_trash[] = "Papierkorb",
	    n_junk[] = "Junk", n_work[] = "Work";
static struct imap_folder folders[] = {
	{.name = n_inbox, .delim = '/'},
	{.name = n_sent, .delim = '/', .attrs = sent_attrs, .n_attrs = 1, .special_use = sent_attr},
	{.name = n_drafts, .delim = '/', .attrs = drafts_attrs, .n_attrs = 1,
	 .special_use = drafts_attr},
	{.name = n_trash, .delim = '/', .attrs = trash_attrs, .n_attrs = 1, .special_use = trash_attr},
	{.name = n_junk, .delim = '/', .attrs = junk_attrs, .n_attrs = 1, .special_use = junk_attr},
	{.name = n_work, .delim = '/'},
};
static const struct imap_folder_list list = {folders, sizeof(folders) / sizeof(folders[0])};

static void
test_protected(void **state)
{
	char prot[] = " Archive/2024 , Clients ";
	char allow[] = "Junk,Old Stuff, inbox";
	struct cfg_account a = {.protected_folders = prot, .expunge_folders = allow};

	(void)state;
	assert_true(pol_folder_protected(&a, &list, "INBOX"));
	assert_true(pol_folder_protected(&a, &list, "inbox"));
	assert_true(pol_folder_protected(&a, &list, "InBoX"));
	assert_true(pol_folder_protected(&a, &list, "Gesendet"));
	assert_true(pol_folder_protected(&a, &list, "gesendet"));
	assert_true(pol_folder_protected(&a, &list, "Drafts"));
	assert_true(pol_folder_protected(&a, &list, "Papierkorb"));
	assert_true(pol_folder_protected(&a, &list, "Archive/2024"));
	assert_true(pol_folder_protected(&a, &list, "Clients"));
	assert_false(pol_folder_protected(&a, &list, "Junk"));
	assert_false(pol_folder_protected(&a, &list, "Work"));
	assert_false(pol_folder_protected(&a, &list, "Archive"));
	/* without a listing: INBOX and the configured names still hold */
	assert_true(pol_folder_protected(&a, NULL, "INBOX"));
	assert_true(pol_folder_protected(&a, NULL, "Clients"));
	assert_false(pol_folder_protected(&a, NULL, "Gesendet"));
	assert_true(pol_folder_protected(NULL, NULL, "inbox"));

	/* delete: the folder itself, or a parent of a protected one */
	assert_non_null(pol_delete_check(&a, &list, '/', "Papierkorb"));
	assert_non_null(pol_delete_check(&a, &list, '/', "Archive"));
	assert_null(pol_delete_check(&a, &list, '/', "Archive/2023"));
	assert_null(pol_delete_check(&a, &list, '/', "INBOX/child"));
	assert_null(pol_delete_check(&a, &list, '/', "Work"));
	assert_null(pol_delete_check(&a, &list, 0, "Archive")); /* flat: no parents */

	/* rename: from protected / parent of protected; onto or into protected */
	assert_non_null(pol_rename_check(&a, &list, '/', "inbox", "Old"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Drafts", "Old"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Archive", "Old"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Work", "Gesendet"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Work", "INBOX"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Work", "Papierkorb/Work"));
	/* INBOX protects itself, not its children (the classic layout) */
	assert_null(pol_rename_check(&a, &list, '/', "Work", "inbox/Work"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Work", "INBOX/Trash/x"));
	assert_non_null(pol_rename_check(&a, &list, '/', "Work", "Clients"));
	assert_null(pol_rename_check(&a, &list, '/', "Work", "Work2"));
	assert_null(pol_rename_check(&a, &list, '/', "Work", "Archive/2023"));
	assert_null(pol_rename_check(&a, &list, '/', "Work", "Papierkorb2"));

	/* expunge allow-list: exact names, INBOX in any case */
	assert_true(pol_folder_expungeable(&a, "Junk"));
	assert_true(pol_folder_expungeable(&a, "Old Stuff"));
	assert_true(pol_folder_expungeable(&a, "INBOX"));
	assert_false(pol_folder_expungeable(&a, "junk"));
	assert_false(pol_folder_expungeable(&a, "Old"));
	assert_false(pol_folder_expungeable(&a, "Work"));
	a.expunge_folders = NULL;
	assert_false(pol_folder_expungeable(&a, "Junk"));
	assert_false(pol_folder_expungeable(NULL, "Junk"));
}

/* The classic layout (Cyrus, Courier, Dovecot with namespace prefix
 * "INBOX." and separator "."): every folder lies inside INBOX. Renames and
 * deletes of ordinary folders go ahead; INBOX itself and the special
 * folders below it stay protected, with or without SPECIAL-USE. */
static char c_inbox[] = "INBOX", c_sent[] = "INBOX.Sent", c_drafts[] = "INBOX.Drafts",
	    c_trash[] = "INBOX.Trash", c_work[] = "INBOX.Work";
static struct imap_folder classic_folders[] = {
	{.name = c_inbox, .delim = '.'},
	{.name = c_sent, .delim = '.', .attrs = sent_attrs, .n_attrs = 1, .special_use = sent_attr},
	{.name = c_drafts, .delim = '.', .attrs = drafts_attrs, .n_attrs = 1,
	 .special_use = drafts_attr},
	{.name = c_trash, .delim = '.', .attrs = trash_attrs, .n_attrs = 1, .special_use = trash_attr},
	{.name = c_work, .delim = '.'},
};
static const struct imap_folder_list classic = {classic_folders, 5};

static void
test_protected_classic(void **state)
{
	static const struct imap_folder_list *const lists[] = {&classic, NULL};
	struct cfg_account a = {0};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) { /* with the listing, and without (no SPECIAL-USE) */
		const struct imap_folder_list *l = lists[i];

		assert_null(pol_rename_check(&a, l, '.', "INBOX.Work", "INBOX.Old"));
		assert_null(pol_rename_check(&a, l, '.', "INBOX.Work", "INBOX.Old.Sub"));
		assert_null(pol_rename_check(&a, l, '.', "INBOX.Work", "INBOX.Sentinel"));
		assert_null(pol_delete_check(&a, l, '.', "INBOX.Work"));
		assert_null(pol_delete_check(&a, l, '.', "INBOX.Work.Sub"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX", "INBOX.Old"));
		assert_non_null(pol_rename_check(&a, l, '.', "inbox", "Old"));
		assert_non_null(pol_delete_check(&a, l, '.', "INBOX"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX.Work", "INBOX"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX.Work", "inbox"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX.Sent", "INBOX.Old"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX.Drafts", "INBOX.Old"));
		assert_non_null(pol_delete_check(&a, l, '.', "INBOX.Trash"));
		assert_non_null(pol_delete_check(&a, l, '.', "inbox.trash"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX.Work", "INBOX.Sent"));
		assert_non_null(pol_rename_check(&a, l, '.', "INBOX.Work", "INBOX.Trash.Work"));
	}
}

static void
test_same(void **state)
{
	(void)state;
	assert_true(pol_folder_same("INBOX", "inbox"));
	assert_true(pol_folder_same("Inbox", "INBOX"));
	assert_true(pol_folder_same("Work", "Work"));
	assert_false(pol_folder_same("Work", "work"));
	assert_false(pol_folder_same("INBOX", "INBOX/x"));
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
		cmocka_unit_test(test_folder_names),
		cmocka_unit_test(test_folder_paths),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_protected_classic),
		cmocka_unit_test(test_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
