/* Tests for imap/searchkey.c (search.advanced_query validation): accepted and
 * refused keys, every limit, and the same answer fed one byte at a time. (The
 * UID-set parser is tested in test_uidset.c, INTERNALDATE in test_sync.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "imap/searchkey.h"

static enum ig_err
bytewise(const char *p, size_t n)
{
	struct searchkey k;
	size_t i;

	searchkey_init(&k);
	for (i = 0; i < n; i++)
		if (searchkey_feed(&k, p + i, 1) != IG_OK)
			return IG_EINVAL;
	return searchkey_finish(&k, NULL);
}

static void
check(const char *p, size_t n, bool want_ok)
{
	enum ig_err whole = searchkey_check((struct slice){p, n}, NULL);

	if ((whole == IG_OK) != want_ok)
		fail_msg("key %.*s: got %d", (int)n, p, (int)whole);
	assert_int_equal(whole == IG_OK, bytewise(p, n) == IG_OK);
}

#define OK(s) check(s, sizeof(s) - 1, true)
#define BAD(s) check(s, sizeof(s) - 1, false)

static void
test_accepted(void **state)
{
	(void)state;
	OK("SUBJECT invoice");
	OK("OR FROM alice SUBJECT \"a \\\"b\\\" c\"");
	OK("(SEEN FLAGGED) NOT DELETED");
	OK("SINCE 1-Jan-2024 BEFORE 2-Feb-2024");
	OK("HEADER List-Id \"dev.lists\"");
	OK("UID 1:*,5");
	OK("SUBJECT \"日本語\"");
	OK("OR (FROM a) (TO b)");
	OK("SUBJECT \"a\\\\b\"");
	OK("((SEEN))");
}

static void
test_refused(void **state)
{
	(void)state;
	BAD("");
	BAD("SUBJECT x\r\nA1 LOGOUT");
	BAD("SUBJECT x\n");
	check("SUBJECT x\0y", 11, false);
	BAD("SUBJECT {5}");
	BAD("SUBJECT {5+}");
	BAD("SUBJECT ~{3}");
	BAD("(SUBJECT x");
	BAD("SUBJECT x)");
	BAD(")(");
	BAD("()");
	BAD("SUBJECT \"x");
	BAD("SUBJECT \"a\\b\"");    /* escape of another character */
	BAD("SUBJECT \"\xff\"");    /* invalid UTF-8 */
	BAD("SUBJECT \"\xc0\xaf\""); /* overlong */
	BAD("SUBJECT \"\xed\xa0\x80\""); /* surrogate */
	BAD("SUBJECT \"\x01\"");
	BAD("SUBJECT caf\xc3\xa9"); /* 8-bit outside quotes */
	BAD("SUBJECT  x");          /* double space */
	BAD(" SUBJECT x");
	BAD("SUBJECT x ");
	BAD("X\"y\"");
	BAD("\"y\"X");
	BAD("SUBJECT %");
	BAD("SUBJECT \\Seen");
}

static void
test_limits(void **state)
{
	char *big = malloc(LIM_SEARCH_KEY + 2);
	size_t i;

	(void)state;
	memset(big, 'A', LIM_SEARCH_KEY + 1);
	check(big, LIM_SEARCH_KEY, true);
	check(big, LIM_SEARCH_KEY + 1, false);
	/* depth */
	for (i = 0; i < LIM_SEARCH_KEY_DEPTH; i++)
		big[i] = '(';
	big[i] = 'A';
	for (i = 0; i < LIM_SEARCH_KEY_DEPTH; i++)
		big[LIM_SEARCH_KEY_DEPTH + 1 + i] = ')';
	check(big, 2 * LIM_SEARCH_KEY_DEPTH + 1, true);
	big[0] = '(';
	memmove(big + 1, big, 2 * LIM_SEARCH_KEY_DEPTH + 1);
	big[2 * LIM_SEARCH_KEY_DEPTH + 2] = ')';
	check(big, 2 * LIM_SEARCH_KEY_DEPTH + 3, false);
	/* tokens */
	for (i = 0; i < LIM_SEARCH_KEY_TOKENS; i++) {
		big[2 * i] = 'A';
		big[2 * i + 1] = ' ';
	}
	check(big, 2 * LIM_SEARCH_KEY_TOKENS - 1, true);
	big[2 * LIM_SEARCH_KEY_TOKENS - 1] = ' ';
	big[2 * LIM_SEARCH_KEY_TOKENS] = 'A';
	check(big, 2 * LIM_SEARCH_KEY_TOKENS + 1, false);
	free(big);
}

static void
test_splits(void **state)
{
	static const char key[] = "OR (FROM \"x y\") (SUBJECT \"\xe6\x97\xa5\xe6\x9c\xac\")";
	size_t i;

	(void)state;
	/* every two-part split gives the same answer */
	for (i = 0; i <= sizeof(key) - 1; i++) {
		struct searchkey k;

		searchkey_init(&k);
		assert_int_equal(searchkey_feed(&k, key, i), IG_OK);
		assert_int_equal(searchkey_feed(&k, key + i, sizeof(key) - 1 - i), IG_OK);
		assert_int_equal(searchkey_finish(&k, NULL), IG_OK);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),   cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),     cmocka_unit_test(test_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
