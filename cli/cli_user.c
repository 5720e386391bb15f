/* `imapgate user ...` (cli/cli_user.h): argument parsing and output; the
 * rules and the audit are handlers/ops_user.c.
 *
 * A password never comes from argv (any user of the machine can read a
 * process's arguments): --password-file FILE (its first line), else
 * standard input — one line; on a terminal, read twice with echo off. A
 * trailing LF (and a CR before it) is not part of the password. */
#include "cli/cli_user.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/config.h"
#include "handlers/ops_audit.h"
#include "handlers/ops_token.h"
#include "handlers/ops_user.h"
#include "store/audit.h"
#include "store/state.h"

#define OUT_MAX ((size_t)16 * 1024 * 1024)
#define PW_BUF (LIM_USER_PASSWORD + 3) /* the longest password, CR, LF, NUL */

static const char user_help[] =
    "Usage: imapgate [--config FILE] user add NAME [--admin] [--accounts A,B|*]\n"
    "                    [--max-posture P] [--password-file FILE]\n"
    "       imapgate [--config FILE] user list [--json]\n"
    "       imapgate [--config FILE] user passwd NAME [--password-file FILE]\n"
    "       imapgate [--config FILE] user disable|enable|remove NAME\n"
    "       imapgate [--config FILE] user totp enable|disable NAME\n"
    "Operator users of the console (docs/cli.md). The password is the first line\n"
    "of --password-file FILE, else one line of standard input (asked twice, not\n"
    "echoed, on a terminal); never an argument. At least 12 characters, at most\n"
    "1024 bytes, no other rules. --accounts: what a non-admin may see (default\n"
    "*); --max-posture: the highest posture they may grant (default: the\n"
    "configuration's default_posture). totp enable prints the otpauth:// URI and\n"
    "the base32 secret once; from then on a login needs the current code.\n";

static int
usage(const char *what)
{
	(void)fprintf(stderr, "imapgate: user: %s\nTry 'imapgate user --help'.\n", what);
	return 2;
}

static void
fail_line(const char *sub, const char *what)
{
	(void)fprintf(stderr, "imapgate: user %s: %s\n", sub, what);
}

/* ---- passwords ---------------------------------------------------------- */

/* One line of f into buf (PW_BUF): false when it is longer than a password
 * may be or cannot be read. */
static bool
line_read(FILE *f, char *buf, size_t *len_r)
{
	size_t len;

	buf[0] = '\0';
	*len_r = 0;
	if (fgets(buf, PW_BUF, f) == NULL)
		return ferror(f) == 0; /* empty input: an empty password, refused later */
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len >= PW_BUF - 1)
		return false; /* no LF within the limit: too long */
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	*len_r = len;
	return true;
}

static bool
tty_line(const char *prompt, char *buf, size_t *len_r)
{
	struct termios old;
	struct termios quiet;
	bool ok;

	(void)fputs(prompt, stderr);
	(void)fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return false;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return false;
	ok = line_read(stdin, buf, len_r);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	(void)fputc('\n', stderr);
	return ok;
}

/* The new password into buf (PW_BUF bytes), from file or standard input.
 * Returns 0, or the exit status after saying why. */
static int
password_get(const char *sub, const char *file, char *buf, size_t *len_r)
{
	char again[PW_BUF];
	size_t len2 = 0;
	FILE *f;
	bool ok;

	*len_r = 0;
	if (file != NULL) {
		f = fopen(file, "re");
		if (f == NULL) {
			(void)fprintf(stderr, "imapgate: user %s: --password-file %s: %s\n", sub,
			              file, strerror(errno));
			return 1;
		}
		ok = line_read(f, buf, len_r);
		(void)fclose(f);
	} else if (isatty(STDIN_FILENO)) {
		ok = tty_line("New password: ", buf, len_r) && tty_line("Again: ", again, &len2);
		if (ok && (len2 != *len_r || sodium_memcmp(again, buf, len2) != 0)) {
			sodium_memzero(again, sizeof(again));
			fail_line(sub, "the passwords differ");
			return 1;
		}
		sodium_memzero(again, sizeof(again));
	} else {
		ok = line_read(stdin, buf, len_r);
	}
	if (!ok) {
		fail_line(sub, "cannot read the password, or it is longer than 1024 bytes");
		return 1;
	}
	return 0;
}

/* ---- output -------------------------------------------------------------- */

static void
time_fmt(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "%s", t == 0 ? "never" : "?");
}

static bool
out_flush(struct buf *b)
{
	bool ok = buf_err(b) == IG_OK &&
	          fwrite(b->p != NULL ? b->p : "", 1, b->len, stdout) == b->len &&
	          fflush(stdout) == 0;

	buf_free(b);
	if (!ok)
		(void)fprintf(stderr, "imapgate: cannot write to standard output\n");
	return ok;
}

static void
users_json(struct buf *b, const struct user_info *v, size_t n, int64_t now)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		const struct user_info *u = &v[i];

		json_object_object_add(o, "id", json_object_new_int64(u->id));
		json_object_object_add(o, "name", json_object_new_string(u->name));
		json_object_object_add(o, "admin", json_object_new_boolean(u->admin));
		json_object_object_add(o, "accounts", json_object_new_string(u->accounts));
		json_object_object_add(o, "max_posture",
		                       json_object_new_string(posture_str(u->posture_cap)));
		json_object_object_add(o, "totp", json_object_new_boolean(u->totp));
		json_object_object_add(o, "disabled", json_object_new_boolean(u->disabled));
		json_object_object_add(o, "locked", json_object_new_boolean(u->locked_until > now));
		json_object_object_add(o, "failed_count", json_object_new_int64(u->failed_count));
		json_object_object_add(o, "created_at", json_object_new_int64(u->created_at));
		json_object_object_add(o, "updated_at", json_object_new_int64(u->updated_at));
		json_object_object_add(
		    o, "last_login_at",
		    u->last_login_at != 0 ? json_object_new_int64(u->last_login_at) : NULL);
		json_object_array_add(arr, o);
	}
	buf_puts(b, json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
	                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(b, '\n');
	json_object_put(arr);
}

static void
users_table(struct buf *b, const struct user_info *v, size_t n, int64_t now)
{
	int wname = 4;
	int wacc = 8;
	size_t i;

	for (i = 0; i < n; i++) {
		int ln = (int)strlen(v[i].name);
		int la = (int)strlen(v[i].accounts);

		wname = ln > wname ? ln : wname;
		wacc = la > wacc ? la : wacc;
	}
	buf_appendf(b, "%-*s %-5s %-*s %-11s %-4s %-8s %s\n", wname, "NAME", "ADMIN", wacc,
	            "ACCOUNTS", "MAX-POSTURE", "TOTP", "STATUS", "LAST-LOGIN");
	for (i = 0; i < n; i++) {
		const struct user_info *u = &v[i];
		char last[32];

		time_fmt(last, u->last_login_at);
		buf_appendf(b, "%-*s %-5s %-*s %-11s %-4s %-8s %s\n", wname, u->name,
		            u->admin ? "yes" : "no", wacc, u->accounts, posture_str(u->posture_cap),
		            u->totp ? "yes" : "no",
		            u->disabled             ? "disabled"
		            : u->locked_until > now ? "locked"
		                                    : "active",
		            last);
	}
}

/* ---- commands -------------------------------------------------------------- */

struct user_args {
	const char *name;
	const char *accounts;
	const char *posture;
	const char *password_file;
	bool admin;
	bool json;
};

/* The options of every sub-command; which ones a sub-command accepts is
 * `allowed` (getopt letters). Exactly `operands` operands remain. */
static int
args_parse(int argc, char **argv, const char *allowed, int operands, const char **config_path,
           struct user_args *a)
{
	static const struct option opts[] = {
	    {"admin", no_argument, NULL, 'A'},
	    {"accounts", required_argument, NULL, 'a'},
	    {"max-posture", required_argument, NULL, 'p'},
	    {"password-file", required_argument, NULL, 'f'},
	    /* only so that --password (and its prefixes) is refused, not
	     * taken as an abbreviation of --password-file */
	    {"password", required_argument, NULL, 'P'},
	    {"json", no_argument, NULL, 'j'},
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "Aa:p:f:jc:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return fputs(user_help, stdout) == EOF;
		if (ch == 'P')
			return usage("a password is never an argument: use --password-file FILE "
			             "or standard input");
		if (ch == '?' || ch == ':' || strchr(allowed, ch) == NULL)
			return usage("unknown option or missing argument");
		switch (ch) {
		case 'A':
			a->admin = true;
			break;
		case 'a':
			a->accounts = optarg;
			break;
		case 'p':
			a->posture = optarg;
			break;
		case 'f':
			a->password_file = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		default: /* 'c' */
			*config_path = optarg;
			break;
		}
	}
	if (optind + operands != argc)
		return usage(operands == 0 ? "unexpected argument" : "expected one user NAME");
	if (operands == 1)
		a->name = argv[optind];
	return -1;
}

struct env {
	struct ig_config *cfg;
	struct state *st;
	struct audit *au;
};

static int
env_open(cli_config_fn config, void *ctx, const char *config_path, bool audited, struct env *e)
{
	const char *error = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = config(ctx, config_path, &e->cfg)) != 0)
		return rc;
	if (state_open(e->cfg->data_dir, &e->st, &error) != IG_OK) {
		(void)fprintf(stderr, "imapgate: %s\n",
		              error != NULL ? error : "cannot open state.db");
		return 1;
	}
	if (audited && ops_audit_open(e->cfg, &e->au, &error) != IG_OK) {
		(void)fprintf(stderr, "imapgate: audit log: %s\n",
		              error != NULL ? error : "cannot open");
		return 1;
	}
	return 0;
}

static void
env_close(struct env *e)
{
	audit_close(e->au);
	state_close(e->st);
	config_free(e->cfg);
}

static int
exit_of(enum ig_err err)
{
	return err == IG_OK ? 0 : err == IG_EINVAL ? 2 : 1;
}

static int
user_add(int argc, char **argv, cli_config_fn config, void *ctx)
{
	const char *config_path = NULL;
	struct user_args a;
	struct user_spec spec;
	struct user_info info;
	char bad[LIM_ACCOUNT_NAME + 1];
	char pw[PW_BUF];
	size_t pwlen = 0;
	const char *error = NULL;
	const char *why = NULL;
	struct env e;
	enum ig_err err;
	int rc;

	if ((rc = args_parse(argc, argv, "Aapfc", 1, &config_path, &a)) >= 0)
		return rc;
	memset(&spec, 0, sizeof(spec));
	spec.name = a.name;
	spec.accounts = a.accounts != NULL ? a.accounts : "*";
	spec.admin = a.admin;
	if (a.posture != NULL && !posture_parse(a.posture, &spec.posture_cap))
		return usage("--max-posture must be readonly, draft-safe, full or destructive");
	if (!state_user_name_ok(a.name))
		return usage("a user name is 1..64 printable ASCII characters without spaces or "
		             "commas, not starting with '#'");
	if ((rc = env_open(config, ctx, config_path, true, &e)) != 0)
		goto out;
	if (!ops_token_accounts_exist(e.cfg, spec.accounts, bad, &why)) {
		if (bad[0] != '\0')
			(void)fprintf(stderr,
			              "imapgate: --accounts: no account '%s' in the "
			              "configuration\n",
			              bad);
		else
			(void)fprintf(stderr, "imapgate: --accounts: %s\n", why);
		rc = 2;
		goto out;
	}
	if (a.posture == NULL)
		spec.posture_cap = e.cfg->default_posture;
	if ((rc = password_get("add", a.password_file, pw, &pwlen)) != 0)
		goto out;
	err = ops_user_add(e.st, e.au, NULL, &spec, (struct slice){pw, pwlen}, &info, &error);
	if (err != IG_OK) {
		fail_line("add", error != NULL ? error : ig_err_str(err));
		rc = exit_of(err);
		goto out;
	}
	(void)fprintf(stderr, "user '%s' added: admin=%s accounts=%s max-posture=%s\n", info.name,
	              info.admin ? "yes" : "no", info.accounts, posture_str(info.posture_cap));
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	env_close(&e);
	return rc;
}

static int
user_list(int argc, char **argv, cli_config_fn config, void *ctx)
{
	const char *config_path = NULL;
	struct user_info *v = NULL;
	struct user_args a;
	const char *error = NULL;
	struct buf out;
	struct env e;
	size_t n = 0;
	int rc;

	if ((rc = args_parse(argc, argv, "jc", 0, &config_path, &a)) >= 0)
		return rc;
	if ((rc = env_open(config, ctx, config_path, false, &e)) != 0)
		goto out;
	if (ops_user_list(e.st, &v, &n, &error) != IG_OK) {
		fail_line("list", error);
		rc = 1;
		goto out;
	}
	buf_init(&out, OUT_MAX);
	if (a.json)
		users_json(&out, v, n, (int64_t)time(NULL));
	else
		users_table(&out, v, n, (int64_t)time(NULL));
	rc = out_flush(&out) ? 0 : 1;
out:
	free(v);
	env_close(&e);
	return rc;
}

static int
user_passwd(int argc, char **argv, cli_config_fn config, void *ctx)
{
	const char *config_path = NULL;
	struct user_args a;
	char pw[PW_BUF];
	size_t pwlen = 0;
	const char *error = NULL;
	struct env e;
	enum ig_err err;
	int rc;

	if ((rc = args_parse(argc, argv, "fc", 1, &config_path, &a)) >= 0)
		return rc;
	if ((rc = env_open(config, ctx, config_path, true, &e)) != 0)
		goto out;
	if ((rc = password_get("passwd", a.password_file, pw, &pwlen)) != 0)
		goto out;
	err = ops_user_passwd(e.st, e.au, NULL, a.name, (struct slice){pw, pwlen}, &error);
	if (err != IG_OK)
		fail_line("passwd", error != NULL ? error : ig_err_str(err));
	else
		(void)fprintf(stderr, "password of '%s' changed\n", a.name);
	rc = exit_of(err);
out:
	sodium_memzero(pw, sizeof(pw));
	env_close(&e);
	return rc;
}

/* disable, enable, remove, totp disable: NAME and nothing else. */
static int
user_simple(int argc, char **argv, cli_config_fn config, void *ctx, const char *sub,
            enum ig_err (*fn)(struct state *, struct audit *, const char *, const char *,
                              const char **),
            const char *done)
{
	const char *config_path = NULL;
	struct user_args a;
	const char *error = NULL;
	struct env e;
	enum ig_err err;
	int rc;

	if ((rc = args_parse(argc, argv, "c", 1, &config_path, &a)) >= 0)
		return rc;
	if ((rc = env_open(config, ctx, config_path, true, &e)) != 0)
		goto out;
	err = fn(e.st, e.au, NULL, a.name, &error);
	if (err != IG_OK)
		fail_line(sub, error != NULL ? error : ig_err_str(err));
	else
		(void)fprintf(stderr, "user '%s' %s\n", a.name, done);
	rc = exit_of(err);
out:
	env_close(&e);
	return rc;
}

static int
user_totp_enable(int argc, char **argv, cli_config_fn config, void *ctx)
{
	const char *config_path = NULL;
	struct user_args a;
	char uri[OPS_TOTP_URI_MAX];
	char b32[TOTP_B32_LEN + 1];
	const char *error = NULL;
	struct buf out;
	struct env e;
	enum ig_err err;
	int rc;

	if ((rc = args_parse(argc, argv, "c", 1, &config_path, &a)) >= 0)
		return rc;
	if ((rc = env_open(config, ctx, config_path, true, &e)) != 0)
		goto out;
	err = ops_user_totp_enable(e.st, e.au, NULL, a.name, uri, b32, &error);
	if (err != IG_OK) {
		fail_line("totp enable", error != NULL ? error : ig_err_str(err));
		rc = exit_of(err);
		goto out;
	}
	buf_init(&out, (size_t)2 * OPS_TOTP_URI_MAX);
	buf_appendf(&out, "%s\n%s\n", uri, b32);
	if (!out_flush(&out)) {
		/* nobody saw the secret: take the second factor away again
		 * rather than leave one nobody holds */
		if (ops_user_totp_disable(e.st, e.au, NULL, a.name, &error) != IG_OK)
			fail_line("totp enable", "TOTP could not be disabled again; run "
			                         "'imapgate user totp disable'");
		rc = 1;
		goto out;
	}
	(void)fprintf(stderr,
	              "TOTP enabled for '%s': add the URI (or the secret) to an "
	              "authenticator app now; it is shown only once.\n",
	              a.name);
	rc = 0;
out:
	sodium_memzero(uri, sizeof(uri));
	sodium_memzero(b32, sizeof(b32));
	env_close(&e);
	return rc;
}

int
cli_user_main(int argc, char **argv, cli_config_fn config, void *ctx)
{
	const char *sub;

	if (argc < 2)
		return usage("expected add, list, passwd, disable, enable, remove or totp");
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return fputs(user_help, stdout) == EOF;
	argc--;
	argv++;
	optind = 0; /* GNU: restart getopt for the sub-command */
	if (strcmp(sub, "add") == 0)
		return user_add(argc, argv, config, ctx);
	if (strcmp(sub, "list") == 0)
		return user_list(argc, argv, config, ctx);
	if (strcmp(sub, "passwd") == 0)
		return user_passwd(argc, argv, config, ctx);
	if (strcmp(sub, "disable") == 0)
		return user_simple(argc, argv, config, ctx, "disable", ops_user_disable,
		                   "disabled");
	if (strcmp(sub, "enable") == 0)
		return user_simple(argc, argv, config, ctx, "enable", ops_user_enable, "enabled");
	if (strcmp(sub, "remove") == 0)
		return user_simple(argc, argv, config, ctx, "remove", ops_user_remove, "removed");
	if (strcmp(sub, "totp") == 0) {
		if (argc < 2)
			return usage("expected totp enable NAME or totp disable NAME");
		sub = argv[1];
		argc--;
		argv++;
		if (strcmp(sub, "enable") == 0)
			return user_totp_enable(argc, argv, config, ctx);
		if (strcmp(sub, "disable") == 0)
			return user_simple(argc, argv, config, ctx, "totp disable",
			                   ops_user_totp_disable, "no longer needs a TOTP code");
		return usage("expected totp enable NAME or totp disable NAME");
	}
	return usage("expected add, list, passwd, disable, enable, remove or totp");
}
