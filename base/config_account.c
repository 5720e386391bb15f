/* The [account NAME] records (split from config.c): adding, finding and
 * freeing them, and the per-account defaults and cross-checks made after
 * the file and the environment are read. */
#include "base/config_int.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_IMAP_PORT 993

/* ---- accounts ------------------------------------------------------------- */

void
cfg_account_clear(struct cfg_account *a)
{
	free(a->name);
	free(a->host);
	free(a->tls);
	free(a->user);
	free(a->password_file);
	free(a->password_env);
	free(a->tls_fingerprint_sha256);
	free(a->tls_ca_file);
	free(a->smtp_url);
	free(a->smtp_user);
	free(a->smtp_password_file);
	free(a->smtp_password_env);
	free(a->smtp_tls_fingerprint_sha256);
	free(a->allowed_recipients);
	free(a->known_domains);
	free(a->address);
	free(a->smtp_tls_ca_file);
	free(a->protected_folders);
	free(a->expunge_folders);
	free(a->tools_allow);
	free(a->tools_deny);
	free(a->warm_folders);
}

bool
cfg_account_add(struct loader *ld, const char *name, size_t len, size_t *idx_r)
{
	struct ig_config *cfg = ld->cfg;
	struct cfg_account *na;
	uint64_t *ns;
	struct cfg_account *a;

	na = realloc(cfg->accounts, (cfg->n_accounts + 1) * sizeof(*na));
	if (na == NULL)
		return false;
	cfg->accounts = na;
	ns = realloc(ld->acct_seen, (cfg->n_accounts + 1) * sizeof(*ns));
	if (ns == NULL)
		return false;
	ld->acct_seen = ns;
	a = &cfg->accounts[cfg->n_accounts];
	memset(a, 0, sizeof(*a));
	a->name = cfg_str_ndup(name, len);
	if (a->name == NULL)
		return false;
	a->port = DEFAULT_IMAP_PORT;
	a->send_requires_approval = true;
	ld->acct_seen[cfg->n_accounts] = 0;
	*idx_r = cfg->n_accounts++;
	return true;
}

ssize_t
cfg_account_index(const struct ig_config *cfg, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg->n_accounts; i++) {
		if (strlen(cfg->accounts[i].name) == len &&
		    memcmp(cfg->accounts[i].name, name, len) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static bool
acct_has(const struct loader *ld, size_t i, const char *key)
{
	size_t idx;

	return cfg_kdef_find(cfg_account_keys, cfg_n_account_keys, key, &idx) != NULL &&
	       (ld->acct_seen[i] & ((uint64_t)1 << idx)) != 0;
}

enum ig_err
cfg_ld_finish_accounts(struct loader *ld, const char *origin)
{
	struct ig_config *cfg = ld->cfg;
	size_t i;

	for (i = 0; i < cfg->n_accounts; i++) {
		struct cfg_account *a = &cfg->accounts[i];
		const char *missing = NULL;

		if (!acct_has(ld, i, "posture"))
			a->posture = cfg->default_posture;
		if (!acct_has(ld, i, "rate_limit"))
			a->rate_limit = cfg->rate_limit;
		if (!acct_has(ld, i, "draft_rate_limit"))
			a->draft_rate_limit = cfg->draft_rate_limit;
		if (!acct_has(ld, i, "send_rate_limit"))
			a->send_rate_limit = cfg->send_rate_limit;
		if (a->tls == NULL && (a->tls = strdup("implicit")) == NULL)
			return IG_ENOMEM;
		if (a->host == NULL)
			missing = "host";
		else if (a->user == NULL)
			missing = "user";
		else if (a->password_file == NULL && a->password_env == NULL)
			missing = "password_file (or password_env)";
		if (missing != NULL) {
			cfg_ld_fail(ld,
				"%s: [account %s] %s: required (in the file or as "
				"IMAPGATE_ACCOUNT_<NAME>_<KEY>)",
				origin, a->name, missing);
			return IG_ECONFIG;
		}
		if (acct_has(ld, i, "password_file") && acct_has(ld, i, "password_env"))
			missing = "password_file and password_env";
		else if (acct_has(ld, i, "smtp_password_file") &&
			 acct_has(ld, i, "smtp_password_env"))
			missing = "smtp_password_file and smtp_password_env";
		else if (acct_has(ld, i, "tls_fingerprint_sha256") &&
			 acct_has(ld, i, "tls_ca_file"))
			missing = "tls_fingerprint_sha256 and tls_ca_file";
		else if (acct_has(ld, i, "smtp_tls_fingerprint_sha256") &&
			 acct_has(ld, i, "smtp_tls_ca_file"))
			missing = "smtp_tls_fingerprint_sha256 and smtp_tls_ca_file";
		if (missing != NULL) {
			cfg_ld_fail(ld, "%s: [account %s]: %s are exclusive; set only one", origin,
				a->name, missing);
			return IG_ECONFIG;
		}
	}
	return IG_OK;
}

const struct cfg_account *
config_account_find(const struct ig_config *cfg, const char *name)
{
	ssize_t i = cfg_account_index(cfg, name, strlen(name));

	return i >= 0 ? &cfg->accounts[i] : NULL;
}

const char *
cfg_account_address(const struct cfg_account *a)
{
	if (a->address != NULL)
		return a->address;
	if (a->user != NULL && strchr(a->user, '@') != NULL)
		return a->user;
	return NULL;
}
