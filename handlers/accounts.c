/* Account workers for the running server, and the mapping from IMAP
 * failures to the stable tool error codes (DESIGN §4.4). */
#include "handlers/accounts.h"
#include "handlers/errors.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "store/audit.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/limits.h"
#include "imap/cmd.h"
#include "imap/sync.h"
#include "imap/tls.h"
#include "store/cache.h"
#include "imap/worker.h"
#include "base/config.h"

/* Per account: the sync engine's options (they must outlive the worker)
 * and the known_domains list split once. */
struct acct_sync {
	struct sync_opts o;
	char *domains_buf;
	const char **domains;
};

struct accounts {
	struct wk **w;
	struct acct_sync *sync; /* n_sync entries (calloc'd: unused ones are empty) */
	size_t n_sync;
	size_t n;
	const struct ig_config *cfg;
	struct audit *audit; /* NULL: not audited */
	struct cache_file *cache; /* shared cache.db; NULL: no cache */
	unsigned char mac_key[ACCOUNTS_MAC_KEY_BYTES];
};

/* Splits "a.com, B.org" into lower-case entries in one heap buffer. */
static void
domains_split(struct acct_sync *as, const char *list)
{
	size_t n = 1;
	size_t i;
	char *p;

	if (list == NULL)
		return;
	for (i = 0; list[i] != '\0'; i++)
		n += list[i] == ',';
	as->domains_buf = strdup(list);
	as->domains = calloc(n, sizeof(*as->domains));
	if (as->domains_buf == NULL || as->domains == NULL) {
		free(as->domains_buf);
		free(as->domains);
		as->domains_buf = NULL;
		as->domains = NULL;
		return;
	}
	p = as->domains_buf;
	while (p != NULL && *p != '\0') {
		char *e = strchr(p, ',');
		char *q;

		if (e != NULL)
			*e = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		q = p + strlen(p);
		while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
			*--q = '\0';
		for (q = p; *q != '\0'; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		if (*p != '\0')
			as->domains[as->o.n_known_domains++] = p;
		p = e != NULL ? e + 1 : NULL;
	}
	as->o.known_domains = as->domains;
}

unsigned long long
account_log_id(const char *name)
{
	static const unsigned char key[crypto_generichash_KEYBYTES] = "imapgate-account-log-id";
	unsigned char h[8];
	unsigned long long v = 0;
	size_t i;

	if (crypto_generichash(h, sizeof(h), (const unsigned char *)name, strlen(name), key,
			       sizeof(key)) != 0)
		return 0;
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return v;
}

/* The auth record (DESIGN §9): which server identity each login saw. Runs
 * on the account's worker thread; a failure is logged by audit_append. */
static void
login_audit(void *ctx, const char *account, const unsigned char fp[32], const char *tls_version)
{
	struct accounts *a = ctx;
	const struct cfg_account *c = config_account_find(a->cfg, account);
	struct json_object *f = json_object_new_object();
	char hex[96];

	imap_fingerprint_format(fp, hex);
	json_object_object_add(f, "event", json_object_new_string("login"));
	json_object_object_add(f, "protocol", json_object_new_string("imap"));
	if (c != NULL) {
		json_object_object_add(f, "host", json_object_new_string(c->host));
		json_object_object_add(f, "port", json_object_new_int((int)c->port));
		json_object_object_add(f, "pinned",
				       json_object_new_boolean(c->tls_fingerprint_sha256 != NULL));
	}
	json_object_object_add(f, "tls", json_object_new_string(tls_version != NULL ? tls_version : ""));
	json_object_object_add(f, "fingerprint_sha256", json_object_new_string(hex));
	if (audit_append(a->audit, "auth", NULL, account, f, true) != IG_OK) {
		/* logged by audit_append; the login itself already happened */
	}
	json_object_put(f);
}

struct accounts *
accounts_start(const struct ig_config *cfg, const char **error_r)
{
	return accounts_start_audited(cfg, NULL, error_r);
}

struct accounts *
accounts_start_audited(const struct ig_config *cfg, struct audit *audit, const char **error_r)
{
	struct accounts *a = calloc(1, sizeof(*a));
	size_t i;

	if (a == NULL || (cfg->n_accounts > 0 &&
			  ((a->w = calloc(cfg->n_accounts, sizeof(struct wk *))) == NULL ||
			   (a->sync = calloc(cfg->n_accounts, sizeof(*a->sync))) == NULL))) {
		if (a != NULL)
			free(a->w);
		free(a);
		*error_r = "out of memory";
		return NULL;
	}
	a->cfg = cfg;
	a->audit = audit;
	randombytes_buf(a->mac_key, sizeof(a->mac_key));
	a->n_sync = cfg->n_accounts;
	/* Without a data_dir there is no cache: every read goes to IMAP. */
	if (cfg->data_dir != NULL && cfg->n_accounts > 0) {
		a->cache = cache_file_new(cfg->data_dir);
		if (a->cache == NULL)
			log_warn(0, "msg=\"cache disabled: out of memory\"");
	}
	for (i = 0; i < cfg->n_accounts; i++) {
		const struct cfg_account *c = &cfg->accounts[i];
		struct wk_opts o;

		memset(&o, 0, sizeof(o));
		o.name = c->name;
		o.host = c->host;
		o.port = c->port;
		o.starttls = c->tls != NULL && strcmp(c->tls, "starttls") == 0;
		o.user = c->user;
		o.password_file = c->password_file;
		o.password_env = c->password_env;
		o.ca_file = c->tls_ca_file;
		if (c->tls_fingerprint_sha256 != NULL) {
			o.pinned = true;
			if (!imap_fingerprint_parse(c->tls_fingerprint_sha256, o.pin)) {
				*error_r = "bad tls_fingerprint_sha256";
				accounts_stop(a);
				return NULL;
			}
		}
		o.connect_timeout_s = c->connect_timeout_s;
		o.command_timeout_s = c->command_timeout_s;
		o.log_id = account_log_id(c->name);
		if (audit != NULL) {
			o.on_login = login_audit;
			o.on_login_ctx = a;
		}
		a->sync[i].o.account = c->name;
		a->sync[i].o.file = a->cache;
		a->sync[i].o.warm_folders = c->warm_folders;
		a->sync[i].o.index_bodies = c->index_bodies;
		a->sync[i].o.flag_check_s = c->flag_check_s;
		a->sync[i].o.log_id = o.log_id;
		a->sync[i].o.audit = audit;
		domains_split(&a->sync[i], c->known_domains);
		o.ctx_open = sync_ctx_open;
		o.ctx_close = sync_ctx_close;
		o.ctx_arg = &a->sync[i].o;
		o.idle_want = sync_idle_want;
		o.idle_run = sync_idle_run;
		a->w[i] = wk_start(&o);
		sodium_memzero(o.pin, sizeof(o.pin));
		if (a->w[i] == NULL) {
			*error_r = "cannot start account worker threads";
			accounts_stop(a);
			return NULL;
		}
		a->n++;
	}
	return a;
}

void
accounts_stop(struct accounts *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		wk_stop(a->w[i]);
	if (a->sync != NULL) {
		for (i = 0; i < a->n_sync; i++) {
			free(a->sync[i].domains_buf);
			free(a->sync[i].domains);
		}
	}
	cache_file_free(a->cache);
	free(a->sync);
	free(a->w);
	sodium_memzero(a->mac_key, sizeof(a->mac_key));
	free(a);
}

const unsigned char *
accounts_mac_key(const struct accounts *a)
{
	return a->mac_key;
}

struct wk *
accounts_worker(const struct accounts *a, const char *name)
{
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < a->n; i++) {
		if (strcmp(wk_name(a->w[i]), name) == 0)
			return a->w[i];
	}
	return NULL;
}

static void
probe_audit(struct audit *audit, const struct cfg_account *a, const struct imap_conn *c)
{
	struct json_object *f = json_object_new_object();
	unsigned char fp[32];
	char hex[96];

	imap_conn_fingerprint(c, fp);
	imap_fingerprint_format(fp, hex);
	json_object_object_add(f, "event", json_object_new_string("login"));
	json_object_object_add(f, "via", json_object_new_string("probe"));
	json_object_object_add(f, "protocol", json_object_new_string("imap"));
	json_object_object_add(f, "host", json_object_new_string(a->host));
	json_object_object_add(f, "port", json_object_new_int((int)a->port));
	json_object_object_add(f, "pinned", json_object_new_boolean(a->tls_fingerprint_sha256 != NULL));
	json_object_object_add(f, "tls", json_object_new_string(imap_conn_tls_version(c) != NULL
									? imap_conn_tls_version(c)
									: ""));
	json_object_object_add(f, "fingerprint_sha256", json_object_new_string(hex));
	if (audit_append(audit, "auth", "cli:probe", a->name, f, true) != IG_OK) {
		/* logged by audit_append; the login already happened */
	}
	json_object_put(f);
}

/* Logs in as the gateway would and asks CAPABILITY: the list a server
 * gives after login (MOVE, CONDSTORE, ...) is what decides what the
 * gateway can do; a greeting often carries a shorter one. Like every
 * login, it is audited (kind auth, "via":"probe"): without a writable
 * audit log there is no login. */
static bool
probe_login(const struct cfg_account *a, const char *data_dir, struct imap_conn *c,
	    struct buf *out)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	char *password = NULL;
	struct audit *audit = NULL;
	const char *why = NULL;
	bool ok = false;
	size_t i;

	if (data_dir == NULL || audit_open(data_dir, &audit, &why) != IG_OK) {
		buf_appendf(out, "login: not attempted (the audit log cannot be opened: %s)\n",
			    why != NULL ? why : "no data_dir");
		return false;
	}
	password = sodium_malloc(LIM_IMAP_PASSWORD + 1);
	if (password == NULL) {
		buf_puts(out, "login: not attempted (out of memory)\n");
	} else if (!wk_password_read(a->password_file, a->password_env, password,
				     LIM_IMAP_PASSWORD + 1, &err)) {
		buf_appendf(out, "login: not attempted (%s)\n", err.msg);
	} else if (imap_login(c, a->user, password, &err) != IMAP_FAIL_NONE) {
		buf_appendf(out, "login: failed (%s)\n", tool_err_code(tool_err_from_imap(err.fail)));
	} else if (imap_capability(c, &err) != IMAP_FAIL_NONE) {
		buf_appendf(out, "login: ok\ncapabilities_after_login: failed (%s)\n",
			    tool_err_code(tool_err_from_imap(err.fail)));
	} else {
		buf_puts(out, "login: ok\ncapabilities_after_login:");
		for (i = 0; i < imap_conn_n_caps(c); i++) {
			char t[128];

			buf_appendf(out, " %s",
				    imap_text_filter(t, sizeof(t), sl_from_cstr(imap_conn_cap(c, i))));
		}
		buf_putc(out, '\n');
		(void)imap_logout(c, &err);
		ok = true;
	}
	if (imap_conn_authenticated(c))
		probe_audit(audit, a, c);
	if (password != NULL)
		sodium_free(password); /* wipes */
	audit_close(audit);
	return ok;
}

enum ig_err
accounts_probe(const struct cfg_account *a, const char *data_dir, struct buf *out,
	       bool *trusted_r)
{
	struct imap_conn_opts o;
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	struct imap_conn *c;
	unsigned char fp[32];
	unsigned char pin[32];
	char hex[96];
	size_t i;
	bool ok;

	*trusted_r = false;
	memset(&o, 0, sizeof(o));
	o.host = a->host;
	o.port = a->port;
	o.starttls = a->tls != NULL && strcmp(a->tls, "starttls") == 0;
	o.ca_file = a->tls_ca_file;
	o.probe = true;
	o.connect_timeout_s = a->connect_timeout_s != 0 ? a->connect_timeout_s : 15;
	o.command_timeout_s = a->command_timeout_s != 0 ? a->command_timeout_s : 60;
	o.log_id = account_log_id(a->name);
	if (a->tls_fingerprint_sha256 != NULL) {
		if (!imap_fingerprint_parse(a->tls_fingerprint_sha256, pin))
			return IG_ECONFIG;
		o.pinned = true; /* the CA store is not consulted when pinned */
	}
	buf_appendf(out, "account: %s\nserver: %s port %u (%s)\n", a->name, a->host, a->port,
		    o.starttls ? "STARTTLS" : "implicit TLS");
	c = imap_conn_open(&o, &err);
	if (c == NULL) {
		/* a plaintext SMTP greeting on the port (a TLS one is named by
		 * imap_conn_open itself) */
		if (err.fail != IMAP_FAIL_PROTOCOL && imap_port_speaks_smtp(&o))
			imap_error_set(&err, IMAP_FAIL_PROTOCOL,
				       "the port speaks SMTP, not IMAP (it greets with 220 in "
				       "plaintext): check the port");
		buf_appendf(out, "error: %s: %s\n", tool_err_code(tool_err_from_imap(err.fail)), err.msg);
		return IG_EIO;
	}
	imap_conn_fingerprint(c, fp);
	imap_fingerprint_format(fp, hex);
	buf_appendf(out, "tls_version: %s\ncipher: %s\nfingerprint_sha256: %s\n",
		    imap_conn_tls_version(c), imap_conn_tls_cipher(c), hex);
	if (o.pinned) {
		*trusted_r = sodium_memcmp(fp, pin, sizeof(fp)) == 0;
		buf_appendf(out, "certificate: %s\n",
			    *trusted_r ? "matches tls_fingerprint_sha256"
				       : "DOES NOT MATCH tls_fingerprint_sha256 (connections are refused)");
	} else {
		*trusted_r = imap_conn_tls_verified(c);
		buf_appendf(out, "certificate: %s\n",
			    *trusted_r ? "verified (CA bundle and host name)"
				       : "NOT verified by the CA bundle for this host name "
					 "(connections are refused; pin the fingerprint above "
					 "if you trust it)");
	}
	buf_puts(out, "capabilities:");
	for (i = 0; i < imap_conn_n_caps(c); i++) {
		char t[128];
		const char *cap = imap_conn_cap(c, i);

		buf_appendf(out, " %s", imap_text_filter(t, sizeof(t), sl_from_cstr(cap)));
	}
	buf_putc(out, '\n');
	sodium_memzero(pin, sizeof(pin));
	if (!*trusted_r) {
		/* the password never goes to a server a real connection refuses */
		buf_puts(out, "login: not attempted (the certificate would be refused)\n");
		imap_conn_free(c);
		return IG_OK;
	}
	ok = probe_login(a, data_dir, c, out);
	imap_conn_free(c);
	return ok ? IG_OK : IG_EIO;
}
