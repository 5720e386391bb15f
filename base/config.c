/* Configuration loader (DESIGN §11, docs/configuration.md).
 *
 * libinih splits lines into key/value pairs and strips comments; everything
 * else is done here, strictly: every section and key is known, every key
 * appears once per section, every value is validated, and every error names
 * where it came from (file:line or the environment variable) and
 * `[section] key`. Environment variables IMAPGATE_<SECTION>_<KEY> are applied
 * after the file, then defaults that depend on other keys are filled in and
 * the whole is cross-checked.
 *
 * This file is the loader and the INI driver; the pieces it uses are in
 * config_syntax.c (lexical checks), config_values.c (key tables, validators
 * and setters), config_account.c (account records) and config_env.c
 * (environment overrides), sharing base/config_int.h. */
#include "base/config.h"
#include "base/config_int.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/limits.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_DATA_DIR "/var/lib/imapgate"
#define MAX_ERROR 2048 /* one error message */

/* ---- small helpers ------------------------------------------------------ */

void
cfg_ld_fail(struct loader *ld, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char line[MAX_ERROR];
	int n;

	if (ld->msg != NULL)
		return; /* keep the first error: later ones are often consequences */
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		line[0] = '\0';
	buf_init(&b, MAX_ERROR);
	buf_puts(&b, line);
	ld->msg = buf_take(&b);
}

void
cfg_why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(why, whysz, fmt, ap) < 0 && whysz > 0)
		why[0] = '\0';
	va_end(ap);
}

/* ---- file parsing --------------------------------------------------------- */

/* Called by the reader when a line is a section header: sections must be
 * known when they open (libinih never calls the handler for an empty one),
 * and libinih truncates section names to 49 bytes, too short for
 * "account " + 64. */
static bool
section_open(struct loader *ld, const char *s, size_t len)
{
	static const char acct[] = "account ";

	if (len == 6 && memcmp(s, "server", 6) == 0) {
		if (ld->seen_server_sect)
			goto dup;
		ld->seen_server_sect = true;
		ld->sect = SECT_SERVER;
		return true;
	}
	if (len == 8 && memcmp(s, "defaults", 8) == 0) {
		if (ld->seen_defaults_sect)
			goto dup;
		ld->seen_defaults_sect = true;
		ld->sect = SECT_DEFAULTS;
		return true;
	}
	if (len > sizeof(acct) - 1 && memcmp(s, acct, sizeof(acct) - 1) == 0) {
		const char *name = s + sizeof(acct) - 1;
		size_t nlen = len - (sizeof(acct) - 1);

		if (!cfg_account_name_ok(name, nlen)) {
			cfg_ld_fail(ld,
				"%s:%d: [%.*s]: account names are 1..%d characters from "
				"A-Z a-z 0-9 _ -",
				ld->path, ld->lineno, (int)len, s, LIM_ACCOUNT_NAME);
			return false;
		}
		if (cfg_account_index(ld->cfg, name, nlen) >= 0)
			goto dup;
		if (!cfg_account_add(ld, name, nlen, &ld->acct)) {
			cfg_ld_fail(ld, "out of memory");
			return false;
		}
		ld->sect = SECT_ACCOUNT;
		return true;
	}
	cfg_ld_fail(ld,
		"%s:%d: [%.*s]: unknown section (expected [server], [defaults] or "
		"[account NAME])",
		ld->path, ld->lineno, (int)(len > 80 ? 80 : len), s);
	return false;
dup:
	cfg_ld_fail(ld, "%s:%d: [%.*s]: section appears twice", ld->path, ld->lineno, (int)len, s);
	return false;
}

/* fgets-style reader for ini_parse_stream: counts lines (libinih's handler
 * gets no line number in this build), rejects NUL bytes and over-long
 * lines, and tracks section headers itself (see section_open). */
static char *
ld_read_line(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	size_t n = 0;
	int c = EOF;
	const char *p;
	const char *rb;

	if (ld->msg != NULL || num < 2)
		return NULL;
	while (n + 1 < (size_t)num && (c = getc(ld->f)) != EOF) {
		if (c == '\0') {
			cfg_ld_fail(ld, "%s:%d: NUL byte in line", ld->path, ld->lineno + 1);
			return NULL;
		}
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	ld->lineno++;
	if (c != '\n' && c != EOF) {
		cfg_ld_fail(ld, "%s:%d: line longer than %d bytes", ld->path, ld->lineno,
			LIM_CONFIG_LINE);
		return NULL;
	}
	p = str;
	if (ld->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p += strspn(p, " \t\r\n\v\f");
	if (*p == '[' && (rb = strchr(p, ']')) != NULL) {
		if (!section_open(ld, p + 1, (size_t)(rb - p - 1)))
			return NULL;
	}
	return str;
}

static const char *
sect_name(const struct loader *ld, char *tmp, size_t tmpsz)
{
	switch (ld->sect) {
	case SECT_SERVER:
		return "server";
	case SECT_DEFAULTS:
		return "defaults";
	case SECT_ACCOUNT:
		cfg_why_set(tmp, tmpsz, "account %s", ld->cfg->accounts[ld->acct].name);
		return tmp;
	case SECT_NONE:
		break;
	}
	return "";
}

/* Applies name=value to the current section. where: "file:line" or
 * "environment VAR". seen: the section's duplicate mask, or NULL (env). */
bool
cfg_apply_key(struct loader *ld, const char *where, const char *name, const char *value, uint64_t *seen)
{
	const struct kdef *t;
	const struct kdef *k;
	size_t n;
	size_t idx = 0;
	void *obj = ld->cfg;
	char sbuf[LIM_ACCOUNT_NAME + 16];
	const char *sn = sect_name(ld, sbuf, sizeof(sbuf));

	switch (ld->sect) {
	case SECT_SERVER:
		t = cfg_server_keys;
		n = cfg_n_server_keys;
		break;
	case SECT_DEFAULTS:
		t = cfg_defaults_keys;
		n = cfg_n_defaults_keys;
		break;
	case SECT_ACCOUNT:
		t = cfg_account_keys;
		n = cfg_n_account_keys;
		obj = &ld->cfg->accounts[ld->acct];
		break;
	case SECT_NONE:
	default:
		cfg_ld_fail(ld,
			"%s: %.64s: key outside any section (add [server], [defaults] or "
			"[account NAME] above it)",
			where, name);
		return false;
	}
	k = cfg_kdef_find(t, n, name, &idx);
	if (k == NULL) {
		cfg_ld_fail(ld, "%s: [%s] %.64s: unknown key", where, sn, name);
		return false;
	}
	if (seen != NULL && (*seen & ((uint64_t)1 << idx)) != 0) {
		cfg_ld_fail(ld, "%s: [%s] %s: key appears twice in this section", where, sn, name);
		return false;
	}
	if (value[0] == '\0') {
		cfg_ld_fail(ld, "%s: [%s] %s: empty value", where, sn, name);
		return false;
	}
	/* Never echo a value: for a misplaced secret it is the secret. */
	if (cfg_has_controls(value)) {
		cfg_ld_fail(ld, "%s: [%s] %s: control characters in value", where, sn, name);
		return false;
	}
	if (!k->set(ld, k, obj, value)) {
		cfg_ld_fail(ld, "%s: [%s] %s: %s", where, sn, name, ld->why);
		return false;
	}
	if (seen != NULL)
		*seen |= (uint64_t)1 << idx;
	if (ld->sect == SECT_ACCOUNT)
		ld->acct_seen[ld->acct] |= (uint64_t)1 << idx;
	if (ld->sect == SECT_SERVER && strcmp(name, "allowed_hosts") == 0)
		ld->allowed_hosts_set = true;
	if (ld->sect == SECT_SERVER && strcmp(name, "public_url") == 0)
		ld->public_url_set = true;
	return true;
}

static int
ld_handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	char where[512];
	uint64_t *seen = NULL;

	(void)section; /* tracked by ld_read_line; see section_open */
	if (ld->msg != NULL)
		return 0;
	cfg_why_set(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (ld->sect == SECT_SERVER)
		seen = &ld->server_seen;
	else if (ld->sect == SECT_DEFAULTS)
		seen = &ld->defaults_seen;
	else if (ld->sect == SECT_ACCOUNT)
		seen = &ld->acct_seen[ld->acct];
	return cfg_apply_key(ld, where, name, value, seen) ? 1 : 0;
}

static enum ig_err
ld_parse_file(struct loader *ld, const char *path)
{
	int rc;

	ld->f = fopen(path, "re");
	if (ld->f == NULL) {
		cfg_ld_fail(ld, "%s: cannot open: %s", path, strerror(errno));
		return IG_EIO;
	}
	ld->path = path;
	/* Process-wide libinih settings (Debian builds them as variables); the
	 * config is loaded in main before any thread starts. Multi-line values
	 * are off so an indented line is an error, not a silent continuation. */
	ini_allow_multiline = false;
	ini_max_line = LIM_CONFIG_LINE + 3;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(ld_read_line, ld, ld_handler, ld);
	if (ld->msg == NULL && ferror(ld->f))
		cfg_ld_fail(ld, "%s: read error", path);
	if (ld->msg == NULL && rc != 0)
		cfg_ld_fail(ld, "%s:%d: syntax error (expected [section] or key = value)", path,
			rc > 0 ? rc : ld->lineno);
	(void)fclose(ld->f);
	ld->f = NULL;
	ld->sect = SECT_NONE;
	return ld->msg == NULL ? IG_OK : IG_ECONFIG;
}

/* ---- defaults and final checks ---------------------------------------- */

static bool
hosts_add(struct ig_config *cfg, const char *h, size_t len)
{
	char **nl;
	size_t i;

	for (i = 0; i < cfg->n_allowed_hosts; i++) {
		if (strlen(cfg->allowed_hosts[i]) == len &&
		    strncasecmp(cfg->allowed_hosts[i], h, len) == 0)
			return true;
	}
	nl = realloc(cfg->allowed_hosts, (cfg->n_allowed_hosts + 1) * sizeof(*nl));
	if (nl == NULL)
		return false;
	cfg->allowed_hosts = nl;
	nl[cfg->n_allowed_hosts] = cfg_str_ndup(h, len);
	if (nl[cfg->n_allowed_hosts] == NULL)
		return false;
	cfg_str_lower(nl[cfg->n_allowed_hosts++]);
	return true;
}

static enum ig_err
ld_finish_server(struct loader *ld, const char *origin)
{
	struct ig_config *cfg = ld->cfg;
	static const char *const schemes[] = {"https", "http", NULL};
	struct url u;
	struct buf b;

	if (!ld->public_url_set) {
		if (!cfg->listen_is_loopback) {
			cfg_ld_fail(ld,
				"%s: [server] public_url: required when listen (%s) is not "
				"a loopback address: set it to the URL clients use, e.g. "
				"https://mail-mcp.example.com/mcp",
				origin, cfg->listen);
			return IG_ECONFIG;
		}
		buf_init(&b, MAX_ERROR);
		if (strchr(cfg->listen_host, ':') != NULL)
			buf_appendf(&b, "http://[%s]:%u/mcp", cfg->listen_host, cfg->listen_port);
		else
			buf_appendf(&b, "http://%s:%u/mcp", cfg->listen_host, cfg->listen_port);
		if (buf_err(&b) != IG_OK) {
			buf_free(&b);
			return IG_ENOMEM;
		}
		free(cfg->public_url);
		cfg->public_url = buf_take(&b);
	}
	if (!ld->allowed_hosts_set) {
		/* Loopback deployments are the DNS-rebinding target: a page on
		 * evil.example resolving to 127.0.0.1 sends Host: evil.example. */
		if (cfg->listen_is_loopback &&
		    (!hosts_add(cfg, "localhost", 9) || !hosts_add(cfg, "127.0.0.1", 9) ||
		     !hosts_add(cfg, "[::1]", 5)))
			return IG_ENOMEM;
		if (!cfg_url_parse(cfg->public_url, schemes, true, &u))
			return IG_EINTERNAL; /* validated when set */
		if (!hosts_add(cfg, u.host, u.host_len))
			return IG_ENOMEM;
	}
	if (cfg->max_body_preauth > cfg->max_body) {
		cfg_ld_fail(ld, "%s: [server] max_body_preauth: must not exceed max_body (%zu)", origin,
			cfg->max_body);
		return IG_ECONFIG;
	}
	return IG_OK;
}

static enum ig_err
cfg_set_defaults(struct ig_config *cfg)
{
	cfg->data_dir = strdup(DEFAULT_DATA_DIR);
	cfg->log_level = strdup("info");
	cfg->listen = strdup(DEFAULT_LISTEN);
	cfg->listen_host = strdup("127.0.0.1");
	if (cfg->data_dir == NULL || cfg->log_level == NULL || cfg->listen == NULL ||
	    cfg->listen_host == NULL)
		return IG_ENOMEM;
	cfg->listen_port = 8080;
	cfg->listen_is_loopback = true;
	cfg->max_body = (size_t)LIM_HTTP_BODY;
	cfg->max_body_preauth = (size_t)LIM_HTTP_BODY_PREAUTH;
	cfg->max_connections = LIM_HTTP_CONNECTIONS;
	cfg->max_sessions = LIM_SESSIONS;
	cfg->session_idle_s = LIM_SESSION_IDLE_S;
	cfg->connection_timeout_s = LIM_HTTP_TIMEOUT_S;
	cfg->shutdown_timeout_s = LIM_HTTP_SHUTDOWN_S;
	cfg->max_connections_per_ip = LIM_HTTP_CONN_PER_IP;
	cfg->request_timeout_s = LIM_HTTP_REQUEST_S;
	cfg->max_streams_per_token = LIM_HTTP_STREAMS_PER_TOKEN;
	cfg->max_calls_per_token = LIM_HTTP_CALLS_PER_TOKEN;
	cfg->audit_max_bytes = LIM_AUDIT_MAX_BYTES_DEFAULT;
	cfg->default_posture = POSTURE_DRAFT_SAFE;
	/* docs/security-model.md: generous for reads, strict for mail leaving */
	cfg->token_rate_limit = (struct cfg_rate){600, 60};
	cfg->rate_limit = (struct cfg_rate){1200, 60};
	cfg->draft_rate_limit = (struct cfg_rate){60, 3600};
	cfg->send_rate_limit = (struct cfg_rate){20, 3600};
	return IG_OK;
}

/* ---- public API ------------------------------------------------------- */

enum ig_err
config_load(const char *path, char *const *envp, struct ig_config **cfg_r, char **error_r)
{
	struct loader ld;
	enum ig_err err = IG_ENOMEM;
	const char *origin = path != NULL ? path : "configuration";

	*cfg_r = NULL;
	*error_r = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL || cfg_set_defaults(ld.cfg) != IG_OK)
		goto out;
	if (path != NULL && (err = ld_parse_file(&ld, path)) != IG_OK)
		goto out;
	if ((err = cfg_ld_apply_env(&ld, envp)) != IG_OK)
		goto out;
	if ((err = ld_finish_server(&ld, origin)) != IG_OK)
		goto out;
	if ((err = cfg_ld_finish_accounts(&ld, origin)) != IG_OK)
		goto out;
	*cfg_r = ld.cfg;
	ld.cfg = NULL;
out:
	if (err != IG_OK) {
		if (ld.msg == NULL)
			cfg_ld_fail(&ld, "%s: %s", origin,
				err == IG_ENOMEM ? "out of memory" : ig_err_str(err));
		if (err != IG_EIO)
			err = IG_ECONFIG;
		*error_r = ld.msg;
		ld.msg = NULL;
	}
	free(ld.msg);
	free(ld.acct_seen);
	config_free(ld.cfg);
	return err;
}

void
config_free(struct ig_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->listen);
	free(cfg->listen_host);
	free(cfg->public_url);
	cfg_list_free(cfg->allowed_origins, cfg->n_allowed_origins);
	cfg_list_free(cfg->trusted_proxies, cfg->n_trusted_proxies);
	cfg_list_free(cfg->allowed_hosts, cfg->n_allowed_hosts);
	cfg_list_free(cfg->authorization_servers, cfg->n_authorization_servers);
	free(cfg->data_dir);
	free(cfg->log_level);
	for (i = 0; i < cfg->n_accounts; i++)
		cfg_account_clear(&cfg->accounts[i]);
	free(cfg->accounts);
	free(cfg);
}
