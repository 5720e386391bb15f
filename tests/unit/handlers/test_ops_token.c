/* handlers/ops_token.c: the read side (list, status, the account check);
 * create and revoke under the audit policy are tests/unit/handlers/test_ops.c. */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>

#include "handlers/ops_token.h"

static void
test_list_and_status(void **state)
{
	struct fx *fx = *state;
	struct token_spec spec = {0};
	struct token_info info;
	struct token_info *v = NULL;
	char secret[TOKEN_SECRET_LEN + 1];
	const char *error = NULL;
	size_t n = 0;

	spec.name = "second";
	assert_int_equal(ops_token_create(fx->st, fx->audit, &spec, secret, &info, &error), IG_OK);
	assert_int_equal(ops_token_revoke(fx->st, fx->audit, "keep", &error), IG_OK);
	assert_int_equal(ops_token_list(fx->st, &v, &n, &error), IG_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "keep");
	assert_string_equal(ops_token_status(&v[0], 0), "revoked");
	assert_string_equal(v[1].name, "second");
	assert_string_equal(ops_token_status(&v[1], 0), "active");
	v[1].expires_at = 100;
	assert_string_equal(ops_token_status(&v[1], 99), "active");
	assert_string_equal(ops_token_status(&v[1], 100), "expired");
	free(v);
	/* revoking again: no active token of that name, nothing recorded */
	assert_int_equal(ops_token_revoke(fx->st, fx->audit, "keep", &error), IG_ENOTFOUND);
	assert_string_equal(error, "no active token with this name or id");
}

static void
test_accounts_exist(void **state)
{
	struct fx *fx = *state;
	char bad[LIM_ACCOUNT_NAME + 1];
	const char *why = NULL;

	assert_true(ops_token_accounts_exist(fx->cfg, "*", bad, &why));
	assert_true(ops_token_accounts_exist(fx->cfg, "work", bad, &why));
	assert_true(ops_token_accounts_exist(fx->cfg, "work,work", bad, &why));
	assert_false(ops_token_accounts_exist(fx->cfg, "work,nope", bad, &why));
	assert_string_equal(bad, "nope");
	assert_string_equal(why, "no account in the configuration");
	assert_false(ops_token_accounts_exist(fx->cfg, "work,,work", bad, &why));
	assert_string_equal(bad, "");
	assert_string_equal(why, "empty or over-long account name");
	assert_false(ops_token_accounts_exist(fx->cfg, "", bad, &why));
	assert_string_equal(bad, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts_exist, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
