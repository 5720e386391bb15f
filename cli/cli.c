/* The imapgate command line (DESIGN §11, docs/cli.md).
 *
 * Output contract: results go to stdout (a token secret and nothing else;
 * tables; JSON), everything meant for a human goes to stderr, so that
 * `imapgate token create --name x > secret` captures exactly the secret.
 * Exit status: 0 ok, 1 failure, 2 usage error. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "store/audit.h"
#include "base/buf.h"
#include "base/log.h"
#include "handlers/accounts.h"
#include "handlers/dispatch.h"
#include "handlers/policy.h"
#include "handlers/tools.h"
#include "cli/serve.h"
#include "cli/cli_accounts.h"
#include "cli/cli_audit.h"
#include "cli/cli_outbox.h"
#include "cli/cli_sanitize.h"
#include "cli/cli_user.h"
#include "base/config.h"
#include "handlers/ops_audit.h"
#include "handlers/ops_token.h"
#include "store/state.h"

#define DEFAULT_CONFIG "/etc/imapgate/imapgate.conf"
#define EXIT_USAGE 2
#define OUT_MAX ((size_t)16 * 1024 * 1024) /* stdout of one command */
#define MAX_EXPIRY_DAYS 3650

struct cli {
	const char *config_path; /* --config, else NULL */
	char *const *envp;
	const struct srv_opts *serve_opts;
};

static void say(const char *fmt, ...) IG_PRINTF(1, 2);

/* One line for a human on stderr; a failure to write it is not actionable. */
static void
say(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* The NOLINT: a clang 14 false positive, reported only when several
	 * files are analysed in one clang-tidy run. */
	n = vsnprintf(line, sizeof(line), fmt, ap); /* NOLINT(clang-analyzer-valist.*) */
	va_end(ap);
	if (n < 0)
		return;
	(void)fprintf(stderr, "%s\n", line);
}

static int
usage_error(const char *cmd, const char *what)
{
	say("imapgate: %s", what);
	say("Try 'imapgate %s--help'.", cmd);
	return EXIT_USAGE;
}

/* Parses what every simple command takes (--config FILE, --help) and checks
 * that exactly `operands` arguments remain. Returns -1 when the command should
 * go on, else the exit status to return (0 after --help, 2 on misuse). */
static int
simple_opts(struct cli *c, int argc, char **argv, const char *cmd, const char *help,
	    int operands, const char *operand_error)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (ch == 'c')
			c->config_path = optarg;
		else if (ch == 'h')
			return fputs(help, stdout) == EOF;
		else
			return usage_error(cmd, "unknown option or missing argument");
	}
	if (optind + operands != argc)
		return usage_error(cmd, operand_error);
	return -1;
}

/* Writes the whole of b to stdout; a short write is a failure (the caller
 * may have printed a secret that would otherwise be lost silently). */
static bool
out_flush(struct buf *b)
{
	bool ok = buf_err(b) == IG_OK &&
		  fwrite(b->p != NULL ? b->p : "", 1, b->len, stdout) == b->len &&
		  fflush(stdout) == 0;

	buf_free(b);
	if (!ok)
		say("imapgate: cannot write to standard output: %s", strerror(errno));
	return ok;
}

static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	size_t i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	}
	return NULL;
}

/* --config, else $IMAPGATE_CONFIG, else the default path. A path the operator
 * named must exist; the default may be absent (defaults + environment, for
 * containers). */
static int
config_open(const struct cli *c, struct ig_config **cfg_r, const char **path_r)
{
	const char *path = c->config_path;
	char *error = NULL;
	enum ig_err err;

	if (path == NULL) {
		path = env_get(c->envp, "IMAPGATE_CONFIG");
		if (path != NULL && path[0] == '\0')
			path = NULL;
	}
	if (path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	err = config_load(path, c->envp, cfg_r, &error);
	if (err != IG_OK) {
		say("imapgate: %s", error != NULL ? error : ig_err_str(err));
		free(error);
		return 1;
	}
	*path_r = path;
	return 0;
}

static int
state_open_cfg(const struct ig_config *cfg, struct state **st_r)
{
	const char *error = NULL;

	if (state_open(cfg->data_dir, st_r, &error) != IG_OK) {
		say("imapgate: %s", error != NULL ? error : "cannot open state.db");
		return 1;
	}
	return 0;
}

/* The tool registry the server would run (with the test binary's fixture
 * tools): override names are checked against it. */
static struct tool_registry *
registry_open(const struct cli *c)
{
	const char *error = NULL;
	struct tool_registry *reg =
		tool_registry_new(c->serve_opts != NULL ? c->serve_opts->extra_tools : NULL,
				  c->serve_opts != NULL ? c->serve_opts->n_extra_tools : 0, &error);

	if (reg == NULL)
		say("imapgate: tool registry: %s", error != NULL ? error : "out of memory");
	return reg;
}

/* Token changes are audited (DESIGN §9) and fsync'ed before they count. */
static int
audit_open_cfg(const struct ig_config *cfg, struct audit **a_r)
{
	const char *error = NULL;

	if (ops_audit_open(cfg, a_r, &error) != IG_OK) {
		say("imapgate: audit log: %s", error != NULL ? error : "cannot open");
		return 1;
	}
	return 0;
}

/* strtoul without its leniencies: digits only, no overflow, in [min, max]. */
static bool
num_parse(const char *s, size_t len, unsigned long min, unsigned long max, unsigned long *v_r)
{
	char tmp[24];
	char *end = NULL;
	size_t i;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*v_r = strtoul(tmp, &end, 10);
	return errno == 0 && *end == '\0' && *v_r >= min && *v_r <= max;
}

/* never | <N>d | <N>h | YYYY-MM-DD (00:00 UTC that day). Must be in the future. */
static bool
expires_parse(const char *s, int64_t now, int64_t *exp_r)
{
	size_t len = strlen(s);
	unsigned long y, m, d, n;
	struct tm tm;
	time_t t;

	if (strcmp(s, "never") == 0) {
		*exp_r = 0;
		return true;
	}
	if (len >= 2 && s[len - 1] == 'd' && num_parse(s, len - 1, 1, MAX_EXPIRY_DAYS, &n)) {
		*exp_r = now + (int64_t)n * 86400;
		return true;
	}
	if (len >= 2 && s[len - 1] == 'h' && num_parse(s, len - 1, 1, MAX_EXPIRY_DAYS * 24UL, &n)) {
		*exp_r = now + (int64_t)n * 3600;
		return true;
	}
	if (len != 10 || s[4] != '-' || s[7] != '-' || !num_parse(s, 4, 1970, 9999, &y) ||
	    !num_parse(s + 5, 2, 1, 12, &m) || !num_parse(s + 8, 2, 1, 31, &d))
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	t = timegm(&tm);
	/* timegm normalises 2025-02-30 to March; refuse instead of guessing. */
	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL || tm.tm_mday != (int)d ||
	    tm.tm_mon != (int)m - 1 || (int64_t)t <= now)
		return false;
	*exp_r = (int64_t)t;
	return true;
}

static void
time_fmt(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "%s", t == 0 ? "never" : "?");
}

/* ---- serve ------------------------------------------------------------ */

static const char serve_help[] = "Usage: imapgate [--config FILE] serve\n"
				 "Run the MCP gateway until SIGTERM or SIGINT.\n";

static int
cmd_serve(struct cli *c, int argc, char **argv)
{
	struct ig_config *cfg = NULL;
	const char *path;
	enum log_level level;
	int rc;

	if ((rc = simple_opts(c, argc, argv, "serve ", serve_help, 0, "serve takes no arguments")) >= 0)
		return rc;
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	if (log_level_parse(cfg->log_level, &level))
		log_set_level(level);
	rc = srv_run(cfg, c->serve_opts);
	config_free(cfg);
	return rc;
}

/* ---- check ------------------------------------------------------------ */

static const char check_help[] =
	"Usage: imapgate [--config FILE] check\n"
	"Validate the configuration (file and IMAPGATE_* environment), print a\n"
	"summary and the effective tool matrix of every active token on every\n"
	"account it holds (docs/security-model.md). Exit status 0 when valid, 1\n"
	"otherwise.\n";

struct matrix_ctx {
	const struct ig_config *cfg;
	const struct tool_registry *reg;
	struct buf *b;
	int64_t now;
	size_t n_tokens;
};

/* One block per token: a row per tool and sub-capability, a column per
 * account the token holds ("yes" / "-"). */
static void
matrix_token(const struct token_info *t, void *ctx)
{
	struct matrix_ctx *m = ctx;
	const struct ig_config *cfg = m->cfg;
	struct buf *b = m->b;
	size_t n = tool_registry_count(m->reg);
	struct pol_overrides to = pol_token_overrides(t);
	char rate[32];
	size_t i;
	size_t j;

	if (t->revoked_at != 0 || (t->expires_at != 0 && m->now >= t->expires_at))
		return;
	m->n_tokens++;
	cfg_rate_format(t->rate_set ? t->rate_limit : cfg->token_rate_limit, rate, sizeof(rate));
	buf_appendf(b, "\ntoken '%s' (#%lld): cap %s, rate %s%s", t->name, (long long)t->id,
		    posture_str(t->posture_cap), rate, t->rate_set ? "" : " (default)");
	if (t->tools_allow[0] != '\0')
		buf_appendf(b, ", tools_allow %s", t->tools_allow);
	if (t->tools_deny[0] != '\0')
		buf_appendf(b, ", tools_deny %s", t->tools_deny);
	buf_appendf(b, "\n  %-34s", "TOOL");
	for (j = 0; j < cfg->n_accounts; j++) {
		if (token_allows_account(t, cfg->accounts[j].name))
			buf_appendf(b, " %-*s", 22, cfg->accounts[j].name);
	}
	buf_appendf(b, "\n  %-34s", "(effective posture)");
	for (j = 0; j < cfg->n_accounts; j++) {
		if (token_allows_account(t, cfg->accounts[j].name))
			buf_appendf(b, " %-22s",
				    posture_str(pol_posture(cfg->accounts[j].posture,
							    t->posture_cap)));
	}
	buf_putc(b, '\n');
	for (i = 0; i < n; i++) {
		const struct tool_def *d = tool_registry_at(m->reg, i);
		const struct tool_arg_rule *r;

		buf_appendf(b, "  %-34s", d->name);
		for (j = 0; j < cfg->n_accounts; j++) {
			const struct cfg_account *a = &cfg->accounts[j];

			if (token_allows_account(t, a->name))
				buf_appendf(b, " %-22s",
					    pol_permits(d, d->account_scoped ? a : NULL, t) ? "yes"
											    : "-");
		}
		buf_putc(b, '\n');
		for (r = d->args; r->name != NULL; r++) {
			char sub[LIM_TOOL_NAME * 2 + 2];

			if (!pol_arg_is_subcap(r))
				continue;
			(void)snprintf(sub, sizeof(sub), "%s.%s", d->name, r->name);
			buf_appendf(b, "    %-32s", sub);
			for (j = 0; j < cfg->n_accounts; j++) {
				const struct cfg_account *a = &cfg->accounts[j];
				struct pol_overrides ao = pol_account_overrides(a);
				enum posture eff = d->account_scoped
							   ? pol_posture(a->posture, t->posture_cap)
							   : t->posture_cap;
				bool ok;

				if (!token_allows_account(t, a->name))
					continue;
				ok = pol_permits(d, d->account_scoped ? a : NULL, t) &&
				     pol_arg_allowed(d, r, eff, &to, &ao);
				buf_appendf(b, " %-22s", ok ? "yes" : "-");
			}
			buf_putc(b, '\n');
		}
	}
}

/* The matrix of every active token; "no tokens" without a state.db (check
 * never creates one). */
static int
check_matrix(const struct cli *c, const struct ig_config *cfg, struct buf *b)
{
	struct tool_registry *reg = registry_open(c);
	struct matrix_ctx m = {cfg, reg, b, (int64_t)time(NULL), 0};
	struct state *st = NULL;
	char *error = NULL;
	struct buf path;
	int rc = 1;

	if (reg == NULL)
		return 1;
	if (disp_config_check(cfg, reg, &error) != IG_OK) {
		say("imapgate: %s", error != NULL ? error : "invalid tool override");
		free(error);
		goto out;
	}
	buf_init(&path, 4096);
	buf_appendf(&path, "%s/state.db", cfg->data_dir);
	if (buf_err(&path) != IG_OK || access(path.p, F_OK) != 0) {
		buf_puts(b, "\ntool matrix: no state.db yet, so no tokens (imapgate token create)\n");
		buf_free(&path);
		rc = 0;
		goto out;
	}
	buf_free(&path);
	if (state_open_cfg(cfg, &st) != 0)
		goto out;
	buf_puts(b, "\ntool matrix (yes: the token may call it on that account; account posture "
		    "∩ token cap ∩ overrides)\n");
	if (state_token_list(st, matrix_token, &m) != IG_OK) {
		say("imapgate: check: %s", state_errmsg());
		goto out;
	}
	if (m.n_tokens == 0)
		buf_puts(b, "  (no active tokens)\n");
	rc = 0;
out:
	state_close(st);
	tool_registry_free(reg);
	return rc;
}

static void
list_put(struct buf *b, const char *label, char *const *list, size_t n)
{
	size_t i;

	buf_appendf(b, "%-16s", label);
	if (n == 0)
		buf_puts(b, "(none)");
	for (i = 0; i < n; i++)
		buf_appendf(b, "%s%s", i > 0 ? ", " : "", list[i]);
	buf_putc(b, '\n');
}

static void
check_summary(struct buf *b, const struct ig_config *cfg, const char *path)
{
	size_t i;

	buf_appendf(b, "%-16s%s\n", "config",
		    path != NULL ? path : "(none: defaults and environment)");
	buf_appendf(b, "%-16s%s (%s)\n", "listen", cfg->listen,
		    cfg->listen_is_loopback ? "loopback" : "not loopback");
	buf_appendf(b, "%-16s%s\n", "public_url", cfg->public_url);
	list_put(b, "allowed_hosts", cfg->allowed_hosts, cfg->n_allowed_hosts);
	list_put(b, "allowed_origins", cfg->allowed_origins, cfg->n_allowed_origins);
	buf_appendf(b, "%-16s%s\n", "data_dir", cfg->data_dir);
	buf_appendf(b, "%-16s%s\n", "log_level", cfg->log_level);
	buf_appendf(b, "%-16s%s\n", "default posture", posture_str(cfg->default_posture));
	buf_appendf(b, "%-16s%zu\n", "accounts", cfg->n_accounts);
	for (i = 0; i < cfg->n_accounts; i++) {
		const struct cfg_account *a = &cfg->accounts[i];

		char r1[32];
		char r2[32];
		char r3[32];

		buf_appendf(b, "  %-20s %s:%u %s user=%s posture=%s\n", a->name, a->host, a->port,
			    a->tls, a->user, posture_str(a->posture));
		cfg_rate_format(a->rate_limit, r1, sizeof(r1));
		cfg_rate_format(a->draft_rate_limit, r2, sizeof(r2));
		cfg_rate_format(a->send_rate_limit, r3, sizeof(r3));
		buf_appendf(b, "  %-20s rate_limit=%s draft_rate_limit=%s send_rate_limit=%s\n", "",
			    r1, r2, r3);
		if (a->tools_allow != NULL)
			buf_appendf(b, "  %-20s tools_allow=%s\n", "", a->tools_allow);
		if (a->tools_deny != NULL)
			buf_appendf(b, "  %-20s tools_deny=%s\n", "", a->tools_deny);
	}
}

static int
cmd_check(struct cli *c, int argc, char **argv)
{
	struct ig_config *cfg = NULL;
	const char *path;
	struct buf b;
	int rc;

	if ((rc = simple_opts(c, argc, argv, "check ", check_help, 0, "check takes no arguments")) >= 0)
		return rc;
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	buf_init(&b, OUT_MAX);
	check_summary(&b, cfg, path);
	if (check_matrix(c, cfg, &b) != 0) {
		buf_free(&b);
		config_free(cfg);
		return 1;
	}
	buf_puts(&b, "configuration ok\n");
	config_free(cfg);
	return out_flush(&b) ? 0 : 1;
}

/* ---- probe ------------------------------------------------------------ */

static const char probe_help[] =
	"Usage: imapgate [--config FILE] probe ACCOUNT\n"
	"Connect to the account's IMAP server and print the TLS version, the server\n"
	"certificate's SHA-256 fingerprint (for tls_fingerprint_sha256), whether it\n"
	"is trusted, and the capabilities; when trusted, log in with the account's\n"
	"password and print the capabilities after login too. Exit status 0 when\n"
	"the certificate would be accepted and the login succeeded.\n";

static int
cmd_probe(struct cli *c, int argc, char **argv)
{
	struct ig_config *cfg = NULL;
	const struct cfg_account *a;
	const char *path;
	struct buf b;
	bool trusted = false;
	enum ig_err err;
	int rc;

	if ((rc = simple_opts(c, argc, argv, "probe ", probe_help, 1, "probe takes one account name")) >= 0)
		return rc;
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	a = config_account_find(cfg, argv[optind]);
	if (a == NULL) {
		say("imapgate: probe: no account '%s' in %s", argv[optind], path);
		config_free(cfg);
		return 1;
	}
	buf_init(&b, OUT_MAX);
	err = accounts_probe(a, cfg->data_dir, &b, &trusted);
	config_free(cfg);
	if (!out_flush(&b))
		return 1;
	return err == IG_OK && trusted ? 0 : 1;
}

/* ---- token ------------------------------------------------------------ */

static const char token_help[] =
	"Usage: imapgate [--config FILE] token create --name NAME [--accounts A,B|*]\n"
	"                    [--posture P] [--expires 30d|12h|YYYY-MM-DD|never] [--admin]\n"
	"                    [--tools-allow T,T.sub] [--tools-deny T,T.sub]\n"
	"                    [--rate-limit N/s|N/min|N/h|N/day|off]\n"
	"       imapgate [--config FILE] token list [--json]\n"
	"       imapgate [--config FILE] token revoke NAME|#ID\n"
	"create prints only the secret on standard output (shown once).\n";

/* Every account a token names must exist (handlers/ops_token.c says why). */
static bool
accounts_exist(const struct ig_config *cfg, const char *list)
{
	char name[LIM_ACCOUNT_NAME + 1];
	const char *why = NULL;

	if (ops_token_accounts_exist(cfg, list, name, &why))
		return true;
	if (name[0] == '\0')
		say("imapgate: --accounts: %s", why);
	else
		say("imapgate: --accounts: no account '%s' in the configuration", name);
	return false;
}

struct create_args {
	const char *name;
	const char *accounts;
	const char *posture;
	const char *expires;
	const char *tools_allow;
	const char *tools_deny;
	const char *rate;
	bool admin;
};

/* Every name must be a tool or sub-capability of the registry the server
 * runs; a typo would otherwise be an override that silently does nothing. */
static bool
overrides_exist(const struct cli *c, const char *opt, const char *list)
{
	struct tool_registry *reg;
	char bad[256];
	bool ok;

	if (list == NULL || list[0] == '\0')
		return true;
	reg = registry_open(c);
	if (reg == NULL)
		return false;
	ok = pol_list_check(reg, list, bad, sizeof(bad));
	if (!ok)
		say("imapgate: %s: unknown tool or sub-capability '%s'", opt, bad);
	tool_registry_free(reg);
	return ok;
}

static int
token_create_run(struct cli *c, const struct create_args *a)
{
	struct ig_config *cfg = NULL;
	struct state *st = NULL;
	struct audit *au = NULL;
	struct token_spec spec;
	struct token_info info;
	char secret[TOKEN_SECRET_LEN + 1];
	char exp[32];
	const char *path;
	const char *error = NULL;
	struct buf out;
	enum ig_err err;
	int rc;

	memset(&spec, 0, sizeof(spec));
	spec.name = a->name;
	spec.accounts = a->accounts != NULL ? a->accounts : "*";
	spec.admin = a->admin;
	if (a->posture != NULL && !posture_parse(a->posture, &spec.posture_cap))
		return usage_error("token create ",
				   "--posture must be readonly, draft-safe, full or destructive");
	spec.tools_allow = a->tools_allow;
	spec.tools_deny = a->tools_deny;
	if (a->rate != NULL) {
		if (!cfg_rate_parse(a->rate, &spec.rate_limit))
			return usage_error("token create ",
					   "--rate-limit must be N/s, N/min, N/h, N/day or off");
		spec.rate_set = true;
	}
	if (a->expires != NULL && !expires_parse(a->expires, (int64_t)time(NULL), &spec.expires_at))
		return usage_error("token create ", "--expires must be never, <N>d, <N>h or "
						    "YYYY-MM-DD, in the future");
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	rc = EXIT_USAGE;
	if (!accounts_exist(cfg, spec.accounts) ||
	    !overrides_exist(c, "--tools-allow", spec.tools_allow) ||
	    !overrides_exist(c, "--tools-deny", spec.tools_deny))
		goto out;
	if (a->posture == NULL)
		spec.posture_cap = cfg->default_posture;
	rc = 1;
	if (state_open_cfg(cfg, &st) != 0 || audit_open_cfg(cfg, &au) != 0)
		goto out;
	/* An unaudited token never exists: the record is written before the
	 * token is committed (handlers/ops.h). */
	err = ops_token_create(st, au, &spec, secret, &info, &error);
	if (err != IG_OK) {
		say("imapgate: token create: %s", error != NULL ? error : ig_err_str(err));
		rc = err == IG_EINVAL ? EXIT_USAGE : 1;
		goto out;
	}
	buf_init(&out, TOKEN_SECRET_LEN + 2);
	buf_appendf(&out, "%s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	if (!out_flush(&out)) {
		/* Nobody saw the secret: a live token nobody holds is only risk. */
		char id[24];

		(void)snprintf(id, sizeof(id), "#%lld", (long long)info.id);
		if (ops_token_revoke(st, au, id, &error) == IG_OK)
			say("imapgate: token #%lld revoked again", (long long)info.id);
		else
			say("imapgate: token #%lld could not be revoked again: %s; revoke it",
			    (long long)info.id, error != NULL ? error : "?");
		goto out;
	}
	time_fmt(exp, info.expires_at);
	say("token #%lld '%s' created: accounts=%s posture=%s admin=%s expires=%s",
	    (long long)info.id, info.name, info.accounts, posture_str(info.posture_cap),
	    info.admin ? "yes" : "no", exp);
	if (info.tools_allow[0] != '\0' || info.tools_deny[0] != '\0' || info.rate_set) {
		char rate[32];

		cfg_rate_format(info.rate_limit, rate, sizeof(rate));
		say("  tools_allow=%s tools_deny=%s rate_limit=%s",
		    info.tools_allow[0] != '\0' ? info.tools_allow : "-",
		    info.tools_deny[0] != '\0' ? info.tools_deny : "-",
		    info.rate_set ? rate : "default");
	}
	say("The secret above is shown only once: store it now.");
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	audit_close(au);
	state_close(st);
	config_free(cfg);
	return rc;
}

static int
token_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"accounts", required_argument, NULL, 'a'},
		{"posture", required_argument, NULL, 'p'},
		{"expires", required_argument, NULL, 'e'},
		{"admin", no_argument, NULL, 'A'},
		{"tools-allow", required_argument, NULL, 'L'},
		{"tools-deny", required_argument, NULL, 'D'},
		{"rate-limit", required_argument, NULL, 'r'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct create_args a;
	int ch;

	memset(&a, 0, sizeof(a));
	while ((ch = getopt_long(argc, argv, "n:a:p:e:AL:D:r:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'L':
			a.tools_allow = optarg;
			break;
		case 'D':
			a.tools_deny = optarg;
			break;
		case 'r':
			a.rate = optarg;
			break;
		case 'n':
			a.name = optarg;
			break;
		case 'a':
			a.accounts = optarg;
			break;
		case 'p':
			a.posture = optarg;
			break;
		case 'e':
			a.expires = optarg;
			break;
		case 'A':
			a.admin = true;
			break;
		case 'c':
			c->config_path = optarg;
			break;
		case 'h':
			return fputs(token_help, stdout) == EOF;
		default:
			return usage_error("token create ", "unknown option or missing argument");
		}
	}
	if (optind != argc)
		return usage_error("token create ", "unexpected argument");
	if (a.name == NULL)
		return usage_error("token create ", "--name is required");
	return token_create_run(c, &a);
}

/* The tokens to print (handlers/ops_token.h, ops_token_list). */
struct token_rows {
	struct token_info *v;
	size_t n;
};

static void
rows_json(struct buf *b, const struct token_rows *r, int64_t now)
{
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < r->n; i++) {
		const struct token_info *t = &r->v[i];

		buf_appendf(b, "%s{\"id\":%lld,\"name\":", i > 0 ? "," : "", (long long)t->id);
		buf_json_str(b, sl_from_cstr(t->name));
		buf_puts(b, ",\"accounts\":");
		buf_json_str(b, sl_from_cstr(t->accounts));
		buf_appendf(b, ",\"posture\":\"%s\",\"admin\":%s,\"created_at\":%lld",
			    posture_str(t->posture_cap), t->admin ? "true" : "false",
			    (long long)t->created_at);
		if (t->expires_at != 0)
			buf_appendf(b, ",\"expires_at\":%lld", (long long)t->expires_at);
		else
			buf_puts(b, ",\"expires_at\":null");
		if (t->revoked_at != 0)
			buf_appendf(b, ",\"revoked_at\":%lld", (long long)t->revoked_at);
		else
			buf_puts(b, ",\"revoked_at\":null");
		buf_puts(b, ",\"tools_allow\":");
		buf_json_str(b, sl_from_cstr(t->tools_allow));
		buf_puts(b, ",\"tools_deny\":");
		buf_json_str(b, sl_from_cstr(t->tools_deny));
		if (t->rate_set) {
			char rate[32];

			cfg_rate_format(t->rate_limit, rate, sizeof(rate));
			buf_appendf(b, ",\"rate_limit\":\"%s\"", rate);
		} else {
			buf_puts(b, ",\"rate_limit\":null");
		}
		buf_appendf(b, ",\"status\":\"%s\"}", ops_token_status(t, now));
	}
	buf_puts(b, "]\n");
}

static void
rows_table(struct buf *b, const struct token_rows *r, int64_t now)
{
	int wname = 4;
	int wacc = 8;
	size_t i;

	for (i = 0; i < r->n; i++) {
		int ln = (int)strlen(r->v[i].name);
		int la = (int)strlen(r->v[i].accounts);

		wname = ln > wname ? ln : wname;
		wacc = la > wacc ? la : wacc;
	}
	buf_appendf(b, "%-5s %-*s %-*s %-11s %-5s %-20s %-20s %-8s %-9s %s\n", "ID", wname, "NAME",
		    wacc, "ACCOUNTS", "POSTURE", "ADMIN", "CREATED", "EXPIRES", "STATUS", "RATE",
		    "OVERRIDES");
	for (i = 0; i < r->n; i++) {
		const struct token_info *t = &r->v[i];
		char created[32];
		char expires[32];

		time_fmt(created, t->created_at);
		time_fmt(expires, t->expires_at);
		char rate[32];

		if (t->rate_set)
			cfg_rate_format(t->rate_limit, rate, sizeof(rate));
		else
			(void)snprintf(rate, sizeof(rate), "default");
		buf_appendf(b, "%-5lld %-*s %-*s %-11s %-5s %-20s %-20s %-8s %-9s", (long long)t->id,
			    wname, t->name, wacc, t->accounts, posture_str(t->posture_cap),
			    t->admin ? "yes" : "no", created, expires, ops_token_status(t, now), rate);
		if (t->tools_allow[0] != '\0')
			buf_appendf(b, " allow=%s", t->tools_allow);
		if (t->tools_deny[0] != '\0')
			buf_appendf(b, " deny=%s", t->tools_deny);
		if (t->tools_allow[0] == '\0' && t->tools_deny[0] == '\0')
			buf_puts(b, " -");
		buf_putc(b, '\n');
	}
}

static int
token_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ig_config *cfg = NULL;
	struct state *st = NULL;
	struct token_rows rows = {NULL, 0};
	const char *error = NULL;
	const char *path;
	bool json = false;
	struct buf out;
	int ch;
	int rc;

	while ((ch = getopt_long(argc, argv, "jc:h", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'c')
			c->config_path = optarg;
		else if (ch == 'h')
			return fputs(token_help, stdout) == EOF;
		else
			return usage_error("token list ", "unknown option or missing argument");
	}
	if (optind != argc)
		return usage_error("token list ", "unexpected argument");
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	rc = 1;
	if (state_open_cfg(cfg, &st) != 0)
		goto out;
	if (ops_token_list(st, &rows.v, &rows.n, &error) != IG_OK) {
		say("imapgate: token list: %s", error);
		goto out;
	}
	buf_init(&out, OUT_MAX);
	if (json)
		rows_json(&out, &rows, (int64_t)time(NULL));
	else
		rows_table(&out, &rows, (int64_t)time(NULL));
	rc = out_flush(&out) ? 0 : 1;
out:
	free(rows.v);
	state_close(st);
	config_free(cfg);
	return rc;
}

static int
token_revoke(struct cli *c, int argc, char **argv)
{
	struct ig_config *cfg = NULL;
	struct state *st = NULL;
	struct audit *au = NULL;
	const char *path;
	const char *error = NULL;
	enum ig_err err;
	int rc;

	if ((rc = simple_opts(c, argc, argv, "token revoke ", token_help, 1, "expected one NAME or #ID")) >= 0)
		return rc;
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	rc = 1;
	if (state_open_cfg(cfg, &st) != 0 || audit_open_cfg(cfg, &au) != 0)
		goto out;
	/* Like every operator action: no audit record, no revocation. */
	err = ops_token_revoke(st, au, argv[optind], &error);
	if (err == IG_ENOTFOUND)
		say("imapgate: token revoke: no active token '%s'", argv[optind]);
	else if (err != IG_OK)
		say("imapgate: token revoke: %s", error != NULL ? error : ig_err_str(err));
	else
		say("token '%s' revoked", argv[optind]);
	rc = err == IG_OK ? 0 : 1;
out:
	audit_close(au);
	state_close(st);
	config_free(cfg);
	return rc;
}

static int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sub;
	int ch;

	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		if (ch == 'c')
			c->config_path = optarg;
		else if (ch == 'h')
			return fputs(token_help, stdout) == EOF;
		else
			return usage_error("token ", "unknown option or missing argument");
	}
	if (optind >= argc)
		return usage_error("token ", "expected create, list or revoke");
	sub = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* GNU: restart getopt for the sub-command */
	if (strcmp(sub, "create") == 0)
		return token_create(c, argc, argv);
	if (strcmp(sub, "list") == 0)
		return token_list(c, argc, argv);
	if (strcmp(sub, "revoke") == 0)
		return token_revoke(c, argc, argv);
	return usage_error("token ", "expected create, list or revoke");
}

/* ---- outbox ------------------------------------------------------------ */

/* `outbox`: the rest is cli/cli_outbox.c (--config was taken by cli_main). */
static int
cmd_outbox(struct cli *c, int argc, char **argv)
{
	struct ig_config *cfg = NULL;
	const char *path;
	int i = 1;
	int rc;

	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0))
		return cli_outbox_run(NULL, 1, &argv[i]);
	if ((rc = config_open(c, &cfg, &path)) != 0)
		return rc;
	rc = cli_outbox_run(cfg, argc - i, argv + i);
	config_free(cfg);
	return rc;
}

/* ---- audit ------------------------------------------------------------ */

static int
audit_config(void *ctx, const char *config_path, struct ig_config **cfg_r)
{
	struct cli *c = ctx;
	const char *path;

	if (config_path != NULL)
		c->config_path = config_path;
	return config_open(c, cfg_r, &path);
}

/* ---- dispatch --------------------------------------------------------- */

/* The global --config FILE (-c FILE, --config=FILE) is accepted in every
 * position after the command, as the help promises: it is taken out of
 * argv[1..*argc) here, so no command's own option parser has to know it.
 * "--" ends the scan (what follows is an operand). Returns -1 when the option
 * has no FILE. */
static int
take_config_opt(struct cli *c, int *argc, char **argv)
{
	int i = 1;
	int o = 1;

	while (i < *argc) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) {
			if (i + 1 >= *argc)
				return -1;
			c->config_path = argv[i + 1];
			i += 2;
		} else if (strncmp(a, "--config=", 9) == 0) {
			if (a[9] == '\0')
				return -1;
			c->config_path = a + 9;
			i++;
		} else {
			argv[o++] = argv[i++];
		}
	}
	while (i < *argc)
		argv[o++] = argv[i++];
	argv[o] = NULL;
	*argc = o;
	return 0;
}

static const char main_help[] =
	"Usage: imapgate [--config FILE] COMMAND [ARGS]\n"
	"Security-first remote MCP gateway to IMAP mail.\n"
	"\n"
	"Commands:\n"
	"  serve                 run the gateway\n"
	"  check                 validate the configuration and print a summary\n"
	"  token create|list|revoke  manage bearer tokens\n"
	"  user add|list|passwd|disable|enable|remove|totp  manage operator users\n"
	"  probe ACCOUNT         show an IMAP server's TLS certificate and capabilities\n"
	"  sanitize FILE|-       print the sanitized form of one message\n"
	"  outbox list|show|approve|reject  review mail queued by send_email\n"
	"  audit verify|query    check the audit log's hash chain; search it\n"
	"  accounts              configured accounts and their cache facts\n"
	"\n"
	"Options (also accepted after the command):\n"
	"  -c, --config FILE     configuration file (default: $IMAPGATE_CONFIG, else\n"
	"                        " DEFAULT_CONFIG ")\n"
	"  -h, --help            this help; COMMAND --help for a command\n"
	"      --version         print the version\n";

int
cli_main(int argc, char **argv, char *const *envp, const struct srv_opts *serve_opts)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli c = {NULL, envp, serve_opts};
	const char *cmd;
	int ch;

	opterr = 0; /* messages come from usage_error, once */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'h':
			return fputs(main_help, stdout) == EOF;
		case 'V':
			return printf("imapgate %s\n", IG_VERSION) < 0;
		default:
			return usage_error("", "unknown option or missing argument");
		}
	}
	if (optind >= argc)
		return usage_error("", "expected a command");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;
	if (take_config_opt(&c, &argc, argv) != 0)
		return usage_error("", "--config needs a FILE");
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(&c, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&c, argc, argv);
	if (strcmp(cmd, "token") == 0)
		return cmd_token(&c, argc, argv);
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(&c, argc, argv);
	if (strcmp(cmd, "outbox") == 0)
		return cmd_outbox(&c, argc, argv);
	if (strcmp(cmd, "accounts") == 0) /* cli/cli_accounts.c */
		return cli_accounts_main(argc, argv, audit_config, &c);
	if (strcmp(cmd, "audit") == 0) /* cli/cli_audit.c */
		return cli_audit_main(argc, argv, audit_config, &c);
	if (strcmp(cmd, "user") == 0) /* operator users; cli/cli_user.c */
		return cli_user_main(argc, argv, audit_config, &c);
	if (strcmp(cmd, "sanitize") == 0) /* content pipeline; cli/cli_sanitize.c */
		return cli_sanitize_main(argc, argv);
	return usage_error("", "unknown command");
}
