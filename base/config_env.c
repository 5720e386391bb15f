/* Environment overrides (split from config.c): IMAPGATE_<SECTION>_<KEY>
 * applied after the file, with IMAPGATE_ACCOUNT_<NAME>_<KEY> able to add
 * accounts (containers may configure from the environment only). */
#include "base/config_int.h"

#include <string.h>

#include "base/limits.h"

#define ENV_PREFIX "IMAPGATE_"

/* "WORK_HOST" style suffix match of a lower-case key against upper-case
 * env text: tail must equal toupper(key). */
static bool
env_key_eq(const char *env, size_t len, const char *key)
{
	size_t i;

	if (strlen(key) != len)
		return false;
	for (i = 0; i < len; i++) {
		char c = key[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (env[i] != c)
			return false;
	}
	return true;
}

/* The environment spelling of an account name: upper case, '-' -> '_'. */
static bool
env_name_matches(const char *acct, const char *env, size_t len)
{
	size_t i;

	if (strlen(acct) != len)
		return false;
	for (i = 0; i < len; i++) {
		char c = acct[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '-')
			c = '_';
		if (env[i] != c)
			return false;
	}
	return true;
}

static bool
env_acct_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LIM_ACCOUNT_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return true;
}

/* Splits "<NAME>_<KEY>" where both NAME and KEY may contain '_'. A split
 * whose NAME spells an account from the file wins; with none, the longest
 * known KEY wins (so IMAPGATE_ACCOUNT_W_SMTP_PASSWORD_FILE is account W,
 * key smtp_password_file); two file accounts matching is an error. Only
 * file accounts are consulted so the result does not depend on the order
 * of the environment. */
static bool
env_account_split(struct loader *ld, size_t n_file_accounts, const char *rest, size_t len,
		  ssize_t *acct_r, size_t *name_len_r, const char **key_r, bool *ambiguous_r)
{
	size_t i;
	size_t best_key_len = 0;
	bool found = false;
	bool file_match = false;

	*ambiguous_r = false;
	for (i = 0; i < cfg_n_account_keys; i++) {
		const char *key = cfg_account_keys[i].name;
		size_t kl = strlen(key);
		size_t nl;
		size_t j;
		ssize_t match = -1;

		if (kl + 2 > len || rest[len - kl - 1] != '_' ||
		    !env_key_eq(rest + len - kl, kl, key))
			continue;
		nl = len - kl - 1;
		if (!env_acct_name_ok(rest, nl))
			continue;
		for (j = 0; j < n_file_accounts; j++) {
			if (env_name_matches(ld->cfg->accounts[j].name, rest, nl)) {
				if (match >= 0 || file_match) {
					*ambiguous_r = true;
					return false;
				}
				match = (ssize_t)j;
			}
		}
		if (match >= 0) {
			file_match = true;
		} else if (file_match || kl <= best_key_len) {
			continue;
		}
		*acct_r = match;
		*name_len_r = nl;
		*key_r = key;
		best_key_len = kl;
		found = true;
	}
	return found;
}

static bool
env_apply_account(struct loader *ld, size_t n_file_accounts, const char *var, const char *rest,
		  size_t len, const char *value)
{
	ssize_t acct = -1;
	size_t nl = 0;
	const char *key = NULL;
	bool ambiguous;
	char where[300];

	cfg_why_set(where, sizeof(where), "environment %.*s",
		(int)(len + sizeof("IMAPGATE_ACCOUNT_") - 1), var);
	if (!env_account_split(ld, n_file_accounts, rest, len, &acct, &nl, &key, &ambiguous)) {
		if (ambiguous)
			cfg_ld_fail(ld, "%s: ambiguous: matches two configured accounts", where);
		else
			cfg_ld_fail(ld,
				"%s: unknown account key (expected IMAPGATE_ACCOUNT_<NAME>_<KEY>, "
				"NAME upper-case with '-' written as '_')",
				where);
		return false;
	}
	if (acct < 0) {
		/* Containers may configure accounts from the environment only; the
		 * name is the lower-cased NAME. */
		char name[LIM_ACCOUNT_NAME + 1];
		ssize_t existing;
		size_t idx;

		memcpy(name, rest, nl);
		name[nl] = '\0';
		cfg_str_lower(name);
		existing = cfg_account_index(ld->cfg, name, nl);
		if (existing >= 0) {
			acct = existing;
		} else if (cfg_account_add(ld, name, nl, &idx)) {
			acct = (ssize_t)idx;
		} else {
			cfg_ld_fail(ld, "out of memory");
			return false;
		}
	}
	ld->sect = SECT_ACCOUNT;
	ld->acct = (size_t)acct;
	return cfg_apply_key(ld, where, key, value, NULL);
}

static bool
env_apply_one(struct loader *ld, size_t n_file_accounts, const char *entry)
{
	const char *eq = strchr(entry, '=');
	const char *rest = entry + sizeof(ENV_PREFIX) - 1;
	size_t nlen;
	size_t i;
	char key[64];
	char where[300];

	if (eq == NULL)
		return true;
	nlen = (size_t)(eq - entry);
	if (nlen == sizeof("IMAPGATE_CONFIG") - 1 && strncmp(entry, "IMAPGATE_CONFIG", nlen) == 0)
		return true;
	cfg_why_set(where, sizeof(where), "environment %.*s", (int)(nlen > 200 ? 200 : nlen), entry);
	if (strncmp(rest, "ACCOUNT_", 8) == 0)
		return env_apply_account(ld, n_file_accounts, entry, rest + 8,
					 (size_t)(eq - rest - 8), eq + 1);
	if (strncmp(rest, "SERVER_", 7) == 0) {
		ld->sect = SECT_SERVER;
		rest += 7;
	} else if (strncmp(rest, "DEFAULTS_", 9) == 0) {
		ld->sect = SECT_DEFAULTS;
		rest += 9;
	} else {
		cfg_ld_fail(ld,
			"%s: unknown section (expected IMAPGATE_SERVER_*, "
			"IMAPGATE_DEFAULTS_* or IMAPGATE_ACCOUNT_<NAME>_*)",
			where);
		return false;
	}
	if ((size_t)(eq - rest) >= sizeof(key)) {
		cfg_ld_fail(ld, "%s: unknown key", where);
		return false;
	}
	memcpy(key, rest, (size_t)(eq - rest));
	key[eq - rest] = '\0';
	/* Variables are upper-case; a lower-case one is a typo, not an alias. */
	for (i = 0; key[i] != '\0'; i++) {
		if (key[i] >= 'a' && key[i] <= 'z') {
			cfg_ld_fail(ld, "%s: unknown key (variable names are upper-case)", where);
			return false;
		}
	}
	cfg_str_lower(key);
	return cfg_apply_key(ld, where, key, eq + 1, NULL);
}

enum ig_err
cfg_ld_apply_env(struct loader *ld, char *const *envp)
{
	size_t n_file_accounts = ld->cfg->n_accounts;
	size_t i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], ENV_PREFIX, sizeof(ENV_PREFIX) - 1) != 0)
			continue;
		if (!env_apply_one(ld, n_file_accounts, envp[i]))
			return IG_ECONFIG;
	}
	ld->sect = SECT_NONE;
	return IG_OK;
}
