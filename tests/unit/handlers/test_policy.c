/* Tests handlers/policy.c: folder-name and keyword rules (the refusal
 * tables of issue 7), protected folders (INBOX in any case, special use,
 * configured) with ancestors and descendants, and the expunge allow-list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "handlers/policy.h"
#include "imap/cmd.h"
#include "server/config.h"

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
		assert_null(policy_folder_name_check(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(policy_folder_name_check(bad[i]));
	memset(longname, 'a', sizeof(longname));
	longname[LIM_FOLDER_ARG] = '\0';
	assert_null(policy_folder_name_check(longname));
	longname[LIM_FOLDER_ARG] = 'a';
	longname[LIM_FOLDER_ARG + 1] = '\0';
	assert_non_null(policy_folder_name_check(longname));
}

static void
test_folder_paths(void **state)
{
	(void)state;
	assert_null(policy_folder_path_check("a/b/c", '/'));
	assert_null(policy_folder_path_check("a.b", '/'));
	assert_null(policy_folder_path_check("/a", 0));
	assert_non_null(policy_folder_path_check("/a", '/'));
	assert_non_null(policy_folder_path_check("a/", '/'));
	assert_non_null(policy_folder_path_check("a//b", '/'));
	assert_non_null(policy_folder_path_check("a/../b", '/'));
	assert_non_null(policy_folder_path_check("./b", '/'));
	assert_non_null(policy_folder_path_check("a..b", '.'));
	assert_null(policy_folder_path_check("a.b", '.'));
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
		assert_null(policy_keyword_check(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(policy_keyword_check(bad[i]));
	memset(longkw, 'k', sizeof(longkw));
	longkw[LIM_LABEL] = '\0';
	assert_null(policy_keyword_check(longkw));
	longkw[LIM_LABEL] = 'k';
	longkw[LIM_LABEL + 1] = '\0';
	assert_non_null(policy_keyword_check(longkw));
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
	assert_true(policy_folder_protected(&a, &list, "INBOX"));
	assert_true(policy_folder_protected(&a, &list, "inbox"));
	assert_true(policy_folder_protected(&a, &list, "InBoX"));
	assert_true(policy_folder_protected(&a, &list, "Gesendet"));
	assert_true(policy_folder_protected(&a, &list, "gesendet"));
	assert_true(policy_folder_protected(&a, &list, "Drafts"));
	assert_true(policy_folder_protected(&a, &list, "Papierkorb"));
	assert_true(policy_folder_protected(&a, &list, "Archive/2024"));
	assert_true(policy_folder_protected(&a, &list, "Clients"));
	assert_false(policy_folder_protected(&a, &list, "Junk"));
	assert_false(policy_folder_protected(&a, &list, "Work"));
	assert_false(policy_folder_protected(&a, &list, "Archive"));
	/* without a listing: INBOX and the configured names still hold */
	assert_true(policy_folder_protected(&a, NULL, "INBOX"));
	assert_true(policy_folder_protected(&a, NULL, "Clients"));
	assert_false(policy_folder_protected(&a, NULL, "Gesendet"));
	assert_true(policy_folder_protected(NULL, NULL, "inbox"));

	/* delete: the folder itself, or a parent of a protected one */
	assert_non_null(policy_delete_check(&a, &list, '/', "Papierkorb"));
	assert_non_null(policy_delete_check(&a, &list, '/', "Archive"));
	assert_null(policy_delete_check(&a, &list, '/', "Archive/2023"));
	assert_null(policy_delete_check(&a, &list, '/', "INBOX/child"));
	assert_null(policy_delete_check(&a, &list, '/', "Work"));
	assert_null(policy_delete_check(&a, &list, 0, "Archive")); /* flat: no parents */

	/* rename: from protected / parent of protected; onto or into protected */
	assert_non_null(policy_rename_check(&a, &list, '/', "inbox", "Old"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Drafts", "Old"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Archive", "Old"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Work", "Gesendet"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Work", "INBOX"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Work", "Papierkorb/Work"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Work", "inbox/Work"));
	assert_non_null(policy_rename_check(&a, &list, '/', "Work", "Clients"));
	assert_null(policy_rename_check(&a, &list, '/', "Work", "Work2"));
	assert_null(policy_rename_check(&a, &list, '/', "Work", "Archive/2023"));
	assert_null(policy_rename_check(&a, &list, '/', "Work", "Papierkorb2"));

	/* expunge allow-list: exact names, INBOX in any case */
	assert_true(policy_expunge_allowed(&a, "Junk"));
	assert_true(policy_expunge_allowed(&a, "Old Stuff"));
	assert_true(policy_expunge_allowed(&a, "INBOX"));
	assert_false(policy_expunge_allowed(&a, "junk"));
	assert_false(policy_expunge_allowed(&a, "Old"));
	assert_false(policy_expunge_allowed(&a, "Work"));
	a.expunge_folders = NULL;
	assert_false(policy_expunge_allowed(&a, "Junk"));
	assert_false(policy_expunge_allowed(NULL, "Junk"));
}

static void
test_same(void **state)
{
	(void)state;
	assert_true(policy_folder_same("INBOX", "inbox"));
	assert_true(policy_folder_same("Inbox", "INBOX"));
	assert_true(policy_folder_same("Work", "Work"));
	assert_false(policy_folder_same("Work", "work"));
	assert_false(policy_folder_same("INBOX", "INBOX/x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_names), cmocka_unit_test(test_folder_paths),
		cmocka_unit_test(test_keywords),     cmocka_unit_test(test_protected),
		cmocka_unit_test(test_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
