/* Tests for base/config.c: every key, the error messages, environment
 * overrides and the computed defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/limits.h"
#include "base/config.h"

static char tmpdir[64];
static char path[128];

static int
setup(void **state)
{
	(void)state;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/ig-test-config-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/imapgate.conf", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlink(path);
	return rmdir(tmpdir);
}

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Loads text (NULL: no file) with env; returns the error and, on failure,
 * the message in *msg_r (caller frees). */
static enum ig_err
load(const char *text, char **env, struct ig_config **cfg_r, char **msg_r)
{
	enum ig_err err;

	if (text != NULL)
		write_file(text);
	*cfg_r = NULL;
	*msg_r = NULL;
	err = config_load(text != NULL ? path : NULL, env, cfg_r, msg_r);
	if (err == IG_OK) {
		assert_non_null(*cfg_r);
		assert_null(*msg_r);
	} else {
		assert_null(*cfg_r);
		assert_non_null(*msg_r);
	}
	return err;
}

static struct ig_config *
load_ok(const char *text, char **env)
{
	struct ig_config *cfg;
	char *msg;

	enum ig_err err = load(text, env, &cfg, &msg);

	if (err != IG_OK)
		print_error("unexpected error: %s\n", msg);
	free(msg);
	assert_int_equal(err, IG_OK);
	return cfg;
}

/* Expects IG_ECONFIG with a message containing every needle. */
static void
load_fails(const char *text, char **env, const char *n1, const char *n2)
{
	struct ig_config *cfg;
	char *msg;

	bool ok;

	assert_int_equal(load(text, env, &cfg, &msg), IG_ECONFIG);
	ok = (n1 == NULL || strstr(msg, n1) != NULL) && (n2 == NULL || strstr(msg, n2) != NULL);
	if (!ok)
		print_error("message '%s' lacks '%s' / '%s'\n", msg, n1, n2 != NULL ? n2 : "");
	free(msg);
	assert_true(ok);
}

static bool
has_host(const struct ig_config *cfg, const char *h)
{
	size_t i;

	for (i = 0; i < cfg->n_allowed_hosts; i++) {
		if (strcmp(cfg->allowed_hosts[i], h) == 0)
			return true;
	}
	return false;
}

#define ACCOUNT_OK "host = imap.example.com\nuser = me@example.com\npassword_env = PW\n"

static void
test_defaults(void **state)
{
	struct ig_config *cfg = load_ok(NULL, NULL);

	(void)state;
	assert_string_equal(cfg->listen, "127.0.0.1:8080");
	assert_string_equal(cfg->listen_host, "127.0.0.1");
	assert_int_equal(cfg->listen_port, 8080);
	assert_true(cfg->listen_is_loopback);
	assert_string_equal(cfg->public_url, "http://127.0.0.1:8080/mcp");
	assert_int_equal(cfg->n_allowed_hosts, 3);
	assert_true(has_host(cfg, "localhost"));
	assert_true(has_host(cfg, "127.0.0.1"));
	assert_true(has_host(cfg, "[::1]"));
	assert_int_equal(cfg->n_allowed_origins, 0);
	assert_int_equal(cfg->n_authorization_servers, 0);
	assert_string_equal(cfg->data_dir, "/var/lib/imapgate");
	assert_string_equal(cfg->log_level, "info");
	assert_int_equal(cfg->max_body, LIM_HTTP_BODY);
	assert_int_equal(cfg->max_body_preauth, LIM_HTTP_BODY_PREAUTH);
	assert_int_equal(cfg->max_connections, LIM_HTTP_CONNECTIONS);
	assert_int_equal(cfg->max_sessions, LIM_SESSIONS);
	assert_int_equal(cfg->session_idle_s, LIM_SESSION_IDLE_S);
	assert_int_equal(cfg->connection_timeout_s, LIM_HTTP_TIMEOUT_S);
	assert_int_equal(cfg->shutdown_timeout_s, LIM_HTTP_SHUTDOWN_S);
	assert_int_equal(cfg->default_posture, POSTURE_DRAFT_SAFE);
	assert_int_equal(cfg->n_accounts, 0);
	config_free(cfg);
	config_free(NULL);
}

static void
test_full_file(void **state)
{
	static const char text[] =
		"; comment\n"
		"# another comment\n"
		"[server]\n"
		"listen = 127.0.0.1:9000   ; inline comment\n"
		"public_url = https://Mail-MCP.example.com/mcp\n"
		"allowed_origins = https://claude.ai, HTTPS://Chatgpt.com:443\n"
		"allowed_hosts = mail-mcp.example.com, localhost:9000, [::1]\n"
		"authorization_servers = https://auth.example.com, https://auth2.example.com/x\n"
		"data_dir = /srv/imapgate\n"
		"log_level = debug\n"
		"max_body = 2M\n"
		"max_body_preauth = 4k\n"
		"max_connections = 100\n"
		"max_sessions = 200\n"
		"session_idle_s = 60\n"
		"connection_timeout_s = 5\n"
		"shutdown_timeout_s = 3\n"
		"\n"
		"[account work]\n"
		"host = imap.example.com\n"
		"port = 1993\n"
		"tls = starttls\n"
		"user = me@example.com\n"
		"password_file = /run/secrets/work_imap\n"
		"tls_fingerprint_sha256 = 3A:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:"
		"22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee\n"
		"smtp_url = smtps://smtp.example.com:465\n"
		"smtp_user = me@example.com\n"
		"smtp_password_file = /run/secrets/work_smtp\n"
		"smtp_tls_fingerprint_sha256 = "
		"9c00112233445566778899aabbccddeeff00112233445566778899aabbccddee\n"
		"send_requires_approval = false\n"
		"allowed_recipients = *@example.com, partner@example.org\n"
		"daily_send_quota = 50\n"
		"posture = full\n"
		"known_domains = example.com, paypal.com\n"
		"connect_timeout_s = 7\n"
		"command_timeout_s = 30\n"
		"protected_folders = Archive, Clients\n"
		"expunge_folders = Junk\n"
		"[defaults]\n"
		"posture = readonly\n"
		"[account home-2]\n" ACCOUNT_OK "tls_ca_file = /etc/ssl/ca.pem\n";
	struct ig_config *cfg = load_ok(text, NULL);
	const struct cfg_account *a;

	(void)state;
	assert_string_equal(cfg->listen, "127.0.0.1:9000");
	assert_int_equal(cfg->listen_port, 9000);
	assert_string_equal(cfg->public_url, "https://Mail-MCP.example.com/mcp");
	assert_int_equal(cfg->n_allowed_origins, 2);
	assert_string_equal(cfg->allowed_origins[0], "https://claude.ai");
	assert_string_equal(cfg->allowed_origins[1], "https://chatgpt.com:443");
	assert_int_equal(cfg->n_allowed_hosts, 3);
	assert_true(has_host(cfg, "localhost:9000"));
	assert_int_equal(cfg->n_authorization_servers, 2);
	assert_string_equal(cfg->data_dir, "/srv/imapgate");
	assert_string_equal(cfg->log_level, "debug");
	assert_int_equal(cfg->max_body, 2 * 1024 * 1024);
	assert_int_equal(cfg->max_body_preauth, 4096);
	assert_int_equal(cfg->max_connections, 100);
	assert_int_equal(cfg->max_sessions, 200);
	assert_int_equal(cfg->session_idle_s, 60);
	assert_int_equal(cfg->connection_timeout_s, 5);
	assert_int_equal(cfg->shutdown_timeout_s, 3);
	assert_int_equal(cfg->default_posture, POSTURE_READONLY);
	assert_int_equal(cfg->n_accounts, 2);

	a = config_account_find(cfg, "work");
	assert_non_null(a);
	assert_string_equal(a->host, "imap.example.com");
	assert_int_equal(a->port, 1993);
	assert_string_equal(a->tls, "starttls");
	assert_string_equal(a->user, "me@example.com");
	assert_string_equal(a->password_file, "/run/secrets/work_imap");
	assert_null(a->password_env);
	assert_int_equal(a->posture, POSTURE_FULL);
	assert_non_null(a->tls_fingerprint_sha256);
	assert_string_equal(a->smtp_url, "smtps://smtp.example.com:465");
	assert_string_equal(a->smtp_user, "me@example.com");
	assert_string_equal(a->smtp_password_file, "/run/secrets/work_smtp");
	assert_non_null(a->smtp_tls_fingerprint_sha256);
	assert_false(a->send_requires_approval);
	assert_string_equal(a->allowed_recipients, "*@example.com, partner@example.org");
	assert_int_equal(a->daily_send_quota, 50);
	assert_string_equal(a->known_domains, "example.com, paypal.com");
	assert_int_equal(a->connect_timeout_s, 7);
	assert_int_equal(a->command_timeout_s, 30);
	assert_string_equal(a->protected_folders, "Archive, Clients");
	assert_string_equal(a->expunge_folders, "Junk");

	/* [defaults] came after this account in the file and still applies. */
	a = config_account_find(cfg, "home-2");
	assert_non_null(a);
	assert_int_equal(a->port, 993);
	assert_string_equal(a->tls, "implicit");
	assert_int_equal(a->posture, POSTURE_READONLY);
	assert_true(a->send_requires_approval);
	assert_string_equal(a->tls_ca_file, "/etc/ssl/ca.pem");
	assert_null(config_account_find(cfg, "nope"));
	config_free(cfg);
}

struct bad {
	const char *section;
	const char *key;
	const char *value;
};

/* Each line is a value the key must refuse; the message must name
 * "[section] key" and the line (3: after the two header lines). */
static const struct bad bad_values[] = {
	{"server", "listen", "127.0.0.1"},
	{"server", "listen", "127.0.0.1:0"},
	{"server", "listen", "127.0.0.1:65536"},
	{"server", "listen", "127.0.0.1:80x"},
	{"server", "listen", "::1:8080"},
	{"server", "listen", "[::g]:8080"},
	{"server", "listen", "[::1]8080"},
	{"server", "listen", "bad host:80"},
	{"server", "public_url", "ftp://example.com/mcp"},
	{"server", "public_url", "https://user@example.com/mcp"},
	{"server", "public_url", "https://example.com/mcp?x=1"},
	{"server", "public_url", "https://example.com/mcp#frag"},
	{"server", "public_url", "https:///mcp"},
	{"server", "public_url", "example.com/mcp"},
	{"server", "allowed_origins", "https://claude.ai/"},
	{"server", "allowed_origins", "https://claude.ai/path"},
	{"server", "allowed_origins", "claude.ai"},
	{"server", "allowed_origins", "https://claude.ai,"},
	{"server", "allowed_origins", "https://a.example, ,https://b.example"},
	{"server", "allowed_origins", "https://claude.ai:0"},
	{"server", "allowed_hosts", "http://example.com"},
	{"server", "allowed_hosts", "example.com:99999"},
	{"server", "allowed_hosts", "exa mple.com"},
	{"server", "authorization_servers", "http://auth.example.com"},
	{"server", "data_dir", "relative/dir"},
	{"server", "log_level", "verbose"},
	{"server", "max_body", "1G"},
	{"server", "max_body", "100"},
	{"server", "max_body", "1.5M"},
	{"server", "max_body", "M"},
	{"server", "max_body_preauth", "2M"},
	{"server", "max_connections", "0"},
	{"server", "max_connections", "-1"},
	{"server", "max_connections", "+5"},
	{"server", "max_connections", "5x"},
	{"server", "max_connections", "0x10"},
	{"server", "max_connections", "99999999999999999999999"},
	{"server", "max_sessions", "0"},
	{"server", "session_idle_s", "1"},
	{"server", "connection_timeout_s", "100000"},
	{"server", "shutdown_timeout_s", "0"},
	{"defaults", "posture", "admin"},
	{"defaults", "posture", "Full"},
	{"account a", "host", "imap example.com"},
	{"account a", "host", "[::1"},
	{"account a", "port", "0"},
	{"account a", "port", "70000"},
	{"account a", "tls", "none"},
	{"account a", "password_file", "secrets/pw"},
	{"account a", "password_env", "1PW"},
	{"account a", "password_env", "PW-X"},
	{"account a", "posture", "everything"},
	{"account a", "tls_fingerprint_sha256", "3a:00"},
	{"account a", "tls_fingerprint_sha256",
	 "zz00112233445566778899aabbccddeeff00112233445566778899aabbccddee"},
	{"account a", "tls_ca_file", "ca.pem"},
	{"account a", "smtp_url", "https://smtp.example.com"},
	{"account a", "smtp_url", "smtps://smtp.example.com/path"},
	{"account a", "smtp_password_file", "x"},
	{"account a", "smtp_password_env", "A B"},
	{"account a", "send_requires_approval", "maybe"},
	{"account a", "daily_send_quota", "lots"},
	{"account a", "connect_timeout_s", "0"},
	{"account a", "connect_timeout_s", "601"},
	{"account a", "command_timeout_s", "0"},
	{"account a", "command_timeout_s", "soon"},
	{"account a", "protected_folders", "a\x01b"},
};

static void
test_bad_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		const struct bad *b = &bad_values[i];
		char text[512];
		char needle[128];

		(void)snprintf(text, sizeof(text), "# test\n[%s]\n%s = %s\n", b->section, b->key,
			       b->value);
		(void)snprintf(needle, sizeof(needle), ":3: [%s] %s:", b->section, b->key);
		load_fails(text, NULL, needle, NULL);
	}
}

static void
test_empty_and_controls(void **state)
{
	(void)state;
	load_fails("[server]\nlisten =\n", NULL, ":2: [server] listen: empty value", NULL);
	load_fails("[account a]\nuser = a\x01"
		   "b\n",
		   NULL, "[account a] user: control", NULL);
}

static void
test_unknown_names(void **state)
{
	(void)state;
	load_fails("[server]\nlisten = 127.0.0.1:1\nlistne = 1\n", NULL,
		   ":3: [server] listne: unknown key", NULL);
	load_fails("[servers]\nlisten = 127.0.0.1:1\n", NULL, ":1: [servers]: unknown section",
		   NULL);
	/* An empty unknown section is still an error (libinih never calls the
	 * handler for it). */
	load_fails("[server]\n[bogus]\n", NULL, ":2: [bogus]: unknown section", NULL);
	load_fails("listen = 127.0.0.1:1\n", NULL, ":1: listen: key outside any section", NULL);
	load_fails("[account work]\n" ACCOUNT_OK "hots = x\n", NULL,
		   ":5: [account work] hots: unknown key", NULL);
	load_fails("[defaults]\nposture = full\nlisten = 127.0.0.1:1\n", NULL,
		   ":3: [defaults] listen: unknown key", NULL);
	load_fails("[account bad.name]\n", NULL, ":1: [account bad.name]: account names", NULL);
	load_fails("[account ]\n", NULL, "unknown section", NULL);
	/* Keys are lower-case; no case folding. */
	load_fails("[server]\nLISTEN = 127.0.0.1:1\n", NULL, "[server] LISTEN: unknown key", NULL);
}

static void
test_duplicates(void **state)
{
	(void)state;
	load_fails("[server]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n", NULL,
		   ":3: [server] listen: key appears twice", NULL);
	load_fails("[server]\nlisten = 127.0.0.1:1\n[server]\n", NULL,
		   ":3: [server]: section appears twice", NULL);
	load_fails("[account a]\n" ACCOUNT_OK "[account a]\n", NULL,
		   ":5: [account a]: section appears twice", NULL);
	load_fails("[account a]\n" ACCOUNT_OK "user = other\n", NULL,
		   ":5: [account a] user: key appears twice", NULL);
	/* Python-style continuation lines are off: an indented line is a new
	 * key (here a duplicate), never silently appended. */
	load_fails("[server]\nallowed_origins = https://a.example\n  allowed_origins = x\n", NULL,
		   "appears twice", NULL);
}

static void
test_inline_secrets(void **state)
{
	struct ig_config *cfg;
	char *msg;
	char *env[] = {"IMAPGATE_ACCOUNT_A_SMTP_PASSWORD=hunter2env", NULL};

	(void)state;
	assert_int_equal(load("[account a]\nhost = h\nuser = u\npassword = hunter2secret\n", NULL,
			      &cfg, &msg),
			 IG_ECONFIG);
	assert_non_null(strstr(msg, ":4: [account a] password:"));
	assert_non_null(strstr(msg, "password_file"));
	assert_non_null(strstr(msg, "password_env"));
	assert_null(strstr(msg, "hunter2"));
	free(msg);
	assert_int_equal(load("[account a]\n" ACCOUNT_OK "smtp_password = hunter2secret\n", NULL,
			      &cfg, &msg),
			 IG_ECONFIG);
	assert_non_null(strstr(msg, "smtp_password_file"));
	assert_null(strstr(msg, "hunter2"));
	free(msg);
	assert_int_equal(load("[account a]\n" ACCOUNT_OK, env, &cfg, &msg), IG_ECONFIG);
	assert_non_null(strstr(msg, "IMAPGATE_ACCOUNT_A_SMTP_PASSWORD"));
	assert_non_null(strstr(msg, "smtp_password_file"));
	assert_null(strstr(msg, "hunter2"));
	free(msg);
}

static void
test_syntax_and_file_errors(void **state)
{
	struct ig_config *cfg;
	char *msg;
	char *big;
	size_t n = LIM_CONFIG_LINE + 100;

	(void)state;
	load_fails("[server]\nlisten 127.0.0.1\n", NULL, ":2: syntax error", NULL);
	load_fails("[server\nlisten = 127.0.0.1:1\n", NULL, ":1: syntax error", NULL);
	big = malloc(n + 32);
	assert_non_null(big);
	memcpy(big, "[server]\ndata_dir = /", 21);
	memset(big + 21, 'a', n);
	memcpy(big + 21 + n, "\n", 2);
	load_fails(big, NULL, ":2: line longer than", NULL);
	free(big);
	assert_int_equal(config_load("/nonexistent/imapgate.conf", NULL, &cfg, &msg), IG_EIO);
	assert_null(cfg);
	assert_non_null(strstr(msg, "/nonexistent/imapgate.conf"));
	free(msg);
}

static void
test_env_overrides(void **state)
{
	char *env[] = {"PATH=/usr/bin",
		       "IMAPGATE_SERVER_LISTEN=127.0.0.1:9100",
		       "IMAPGATE_SERVER_ALLOWED_ORIGINS=https://claude.ai",
		       "IMAPGATE_DEFAULTS_POSTURE=full",
		       "IMAPGATE_ACCOUNT_WORK_HOST=env.example.com",
		       "IMAPGATE_ACCOUNT_MY_ACCT_PORT=143",
		       "IMAPGATE_CONFIG=/whatever/is/ignored",
		       NULL};
	struct ig_config *cfg =
		load_ok("[server]\nlisten = 127.0.0.1:9000\n"
			"[account work]\n" ACCOUNT_OK "[account my-acct]\n" ACCOUNT_OK,
			env);

	(void)state;
	assert_string_equal(cfg->listen, "127.0.0.1:9100");
	assert_int_equal(cfg->listen_port, 9100);
	assert_string_equal(cfg->public_url, "http://127.0.0.1:9100/mcp");
	assert_int_equal(cfg->n_allowed_origins, 1);
	assert_int_equal(cfg->default_posture, POSTURE_FULL);
	assert_string_equal(config_account_find(cfg, "work")->host, "env.example.com");
	assert_int_equal(config_account_find(cfg, "work")->posture, POSTURE_FULL);
	assert_int_equal(config_account_find(cfg, "my-acct")->port, 143);
	assert_int_equal(cfg->n_accounts, 2);
	config_free(cfg);
}

static void
test_env_errors(void **state)
{
	char *e1[] = {"IMAPGATE_SERVER_LISTN=127.0.0.1:1", NULL};
	char *e2[] = {"IMAPGATE_SERVERS_LISTEN=127.0.0.1:1", NULL};
	char *e3[] = {"IMAPGATE_SERVER_LISTEN=nope", NULL};
	char *e4[] = {"IMAPGATE_server_listen=127.0.0.1:1", NULL};
	char *e5[] = {"IMAPGATE_ACCOUNT_WORK_HOTS=x", NULL};
	char *e6[] = {"IMAPGATE_SERVER_LISTEN=", NULL};
	char *e7[] = {"IMAPGATE_ACCOUNT_work_HOST=x", NULL};

	(void)state;
	load_fails(NULL, e1, "IMAPGATE_SERVER_LISTN", "unknown key");
	load_fails(NULL, e2, "IMAPGATE_SERVERS_LISTEN", "unknown section");
	load_fails(NULL, e3, "environment IMAPGATE_SERVER_LISTEN: [server] listen:", NULL);
	load_fails(NULL, e4, "IMAPGATE_server_listen", NULL);
	load_fails(NULL, e5, "IMAPGATE_ACCOUNT_WORK_HOTS", NULL);
	load_fails(NULL, e6, "IMAPGATE_SERVER_LISTEN", "empty value");
	load_fails(NULL, e7, "IMAPGATE_ACCOUNT_work_HOST", NULL);
}

static void
test_env_only_accounts(void **state)
{
	static char fp_env[] = "IMAPGATE_ACCOUNT_WORK_TLS_FINGERPRINT_SHA256="
			       "9c00112233445566778899aabbccddeeff00112233445566778899aabbccddee";
	char *env[] = {"IMAPGATE_ACCOUNT_WORK_HOST=imap.example.com",
		       "IMAPGATE_ACCOUNT_WORK_USER=me@example.com",
		       "IMAPGATE_ACCOUNT_WORK_PASSWORD_ENV=WORK_PW",
		       "IMAPGATE_ACCOUNT_WORK_SMTP_PASSWORD_FILE=/run/secrets/smtp",
		       fp_env,
		       "IMAPGATE_ACCOUNT_TWO_2_HOST=imap2.example.com",
		       "IMAPGATE_ACCOUNT_TWO_2_USER=u2",
		       "IMAPGATE_ACCOUNT_TWO_2_PASSWORD_FILE=/run/secrets/two",
		       "IMAPGATE_ACCOUNT_TWO_2_POSTURE=readonly",
		       NULL};
	struct ig_config *cfg = load_ok(NULL, env);
	const struct cfg_account *a;

	(void)state;
	assert_int_equal(cfg->n_accounts, 2);
	a = config_account_find(cfg, "work");
	assert_non_null(a);
	assert_string_equal(a->host, "imap.example.com");
	assert_string_equal(a->password_env, "WORK_PW");
	/* the longest key wins: account "work", key smtp_password_file */
	assert_string_equal(a->smtp_password_file, "/run/secrets/smtp");
	assert_null(a->password_file);
	assert_int_equal(a->posture, POSTURE_DRAFT_SAFE);
	a = config_account_find(cfg, "two_2");
	assert_non_null(a);
	assert_int_equal(a->posture, POSTURE_READONLY);
	config_free(cfg);
}

static void
test_env_file_account_wins(void **state)
{
	/* A file account named "w_smtp" claims W_SMTP_PASSWORD_FILE as its own
	 * password_file rather than w's smtp_password_file. */
	char *env[] = {"IMAPGATE_ACCOUNT_W_SMTP_PASSWORD_FILE=/p", NULL};
	char *amb[] = {"IMAPGATE_ACCOUNT_W_SMTP_PASSWORD_FILE=/p", NULL};
	struct ig_config *cfg = load_ok("[account w_smtp]\nhost = h\nuser = u\n", env);

	(void)state;
	assert_int_equal(cfg->n_accounts, 1);
	assert_string_equal(cfg->accounts[0].password_file, "/p");
	config_free(cfg);
	load_fails("[account w]\n" ACCOUNT_OK "[account w_smtp]\n" ACCOUNT_OK, amb,
		   "IMAPGATE_ACCOUNT_W_SMTP_PASSWORD_FILE", "ambiguous");
}

static void
test_account_validation(void **state)
{
	char *env[] = {"IMAPGATE_ACCOUNT_NEW_HOST=h", NULL};

	(void)state;
	load_fails("[account a]\nuser = u\npassword_env = P\n", NULL, "[account a] host: required",
		   NULL);
	load_fails("[account a]\nhost = h\npassword_env = P\n", NULL, "[account a] user: required",
		   NULL);
	load_fails("[account a]\nhost = h\nuser = u\n", NULL, "[account a] password_file", NULL);
	load_fails("[account a]\n" ACCOUNT_OK "password_file = /x\n", NULL,
		   "password_file and password_env are exclusive", NULL);
	load_fails("[account a]\n" ACCOUNT_OK "smtp_password_file = /x\nsmtp_password_env = Y\n",
		   NULL, "exclusive", NULL);
	load_fails("[account a]\n" ACCOUNT_OK "tls_ca_file = /x\ntls_fingerprint_sha256 = "
		   "9c00112233445566778899aabbccddeeff00112233445566778899aabbccddee\n",
		   NULL, "exclusive", NULL);
	load_fails(NULL, env, "[account new] user: required", NULL);
}

static void
test_cross_checks(void **state)
{
	(void)state;
	load_fails("[server]\nmax_body = 4k\nmax_body_preauth = 8k\n", NULL,
		   "[server] max_body_preauth: must not exceed max_body", NULL);
	load_fails("[server]\nlisten = 0.0.0.0:8080\n", NULL, "[server] public_url: required",
		   NULL);
}

static void
test_ipv6_and_loopback(void **state)
{
	struct ig_config *cfg;

	(void)state;
	cfg = load_ok("[server]\nlisten = [::1]:8081\n", NULL);
	assert_string_equal(cfg->listen_host, "::1");
	assert_int_equal(cfg->listen_port, 8081);
	assert_true(cfg->listen_is_loopback);
	assert_string_equal(cfg->public_url, "http://[::1]:8081/mcp");
	assert_true(has_host(cfg, "[::1]"));
	assert_int_equal(cfg->n_allowed_hosts, 3);
	config_free(cfg);

	cfg = load_ok("[server]\nlisten = 127.3.2.1:80\n", NULL);
	assert_true(cfg->listen_is_loopback);
	assert_true(has_host(cfg, "127.3.2.1"));
	assert_int_equal(cfg->n_allowed_hosts, 4);
	config_free(cfg);

	cfg = load_ok("[server]\nlisten = localhost:80\n", NULL);
	assert_true(cfg->listen_is_loopback);
	assert_string_equal(cfg->public_url, "http://localhost:80/mcp");
	config_free(cfg);

	cfg = load_ok("[server]\nlisten = [::]:8080\npublic_url = https://Mail.Example.com/mcp\n",
		      NULL);
	assert_string_equal(cfg->listen_host, "::");
	assert_false(cfg->listen_is_loopback);
	assert_int_equal(cfg->n_allowed_hosts, 1);
	assert_string_equal(cfg->allowed_hosts[0], "mail.example.com");
	config_free(cfg);

	cfg = load_ok("[server]\nlisten = 192.168.1.10:8080\n"
		      "public_url = https://mail.example.com:8443/mcp\n",
		      NULL);
	assert_false(cfg->listen_is_loopback);
	assert_int_equal(cfg->n_allowed_hosts, 1);
	assert_string_equal(cfg->allowed_hosts[0], "mail.example.com");
	config_free(cfg);
}

static void
test_allowed_hosts_defaults(void **state)
{
	struct ig_config *cfg;

	(void)state;
	cfg = load_ok("[server]\npublic_url = https://mail-mcp.example.com/mcp\n", NULL);
	assert_true(cfg->listen_is_loopback);
	assert_int_equal(cfg->n_allowed_hosts, 4);
	assert_true(has_host(cfg, "localhost"));
	assert_true(has_host(cfg, "127.0.0.1"));
	assert_true(has_host(cfg, "[::1]"));
	assert_true(has_host(cfg, "mail-mcp.example.com"));
	config_free(cfg);

	/* An explicit list replaces the defaults entirely. */
	cfg = load_ok("[server]\nallowed_hosts = only.example.com\n", NULL);
	assert_int_equal(cfg->n_allowed_hosts, 1);
	assert_string_equal(cfg->allowed_hosts[0], "only.example.com");
	config_free(cfg);
}

static void
test_sizes_and_bools(void **state)
{
	struct ig_config *cfg;

	(void)state;
	cfg = load_ok("[server]\nmax_body = 1M\nmax_body_preauth = 1024\n"
		      "[account a]\n" ACCOUNT_OK "send_requires_approval = yes\n",
		      NULL);
	assert_int_equal(cfg->max_body, 1024 * 1024);
	assert_int_equal(cfg->max_body_preauth, 1024);
	assert_true(cfg->accounts[0].send_requires_approval);
	config_free(cfg);
	cfg = load_ok("[server]\nmax_body = 8192k\n", NULL);
	assert_int_equal(cfg->max_body, 8192 * 1024);
	config_free(cfg);
}

static void
test_posture_names(void **state)
{
	enum posture p;

	(void)state;
	assert_true(posture_parse("readonly", &p));
	assert_int_equal(p, POSTURE_READONLY);
	assert_true(posture_parse("destructive", &p));
	assert_int_equal(p, POSTURE_DESTRUCTIVE);
	assert_false(posture_parse("", &p));
	assert_false(posture_parse("draft_safe", &p));
	assert_string_equal(posture_str(POSTURE_DRAFT_SAFE), "draft-safe");
	assert_string_equal(posture_str(POSTURE_FULL), "full");
}

/* The account's address: `address`, else a login that is an address, else none
 * (list_accounts and the sender's From both use it). */
static void
test_account_address(void **state)
{
	struct ig_config *cfg;

	(void)state;
	cfg = load_ok("[account a]\nhost = h\nuser = login1\npassword_env = P\n"
		      "address = me@example.org\n"
		      "[account b]\nhost = h\nuser = you@example.org\npassword_env = P\n"
		      "[account c]\nhost = h\nuser = jdoe\npassword_env = P\n",
		      NULL);
	assert_string_equal(cfg_account_address(config_account_find(cfg, "a")), "me@example.org");
	assert_string_equal(cfg_account_address(config_account_find(cfg, "b")), "you@example.org");
	assert_null(cfg_account_address(config_account_find(cfg, "c")));
	config_free(cfg);
}

#define DISPATCH_ACCOUNT "[account w]\nhost = h\nuser = u\npassword_env = P\n"

/* Rate limits ([defaults] and per account, inherited) and tool overrides. */
static void
test_dispatch_keys(void **state)
{
	static char env_rate[] = "IMAPGATE_ACCOUNT_W_RATE_LIMIT=7/s";
	char *env[] = {env_rate, NULL};
	struct ig_config *cfg;
	struct cfg_rate r;
	char out[32];

	(void)state;
	cfg = load_ok(NULL, NULL);
	assert_int_equal(cfg->token_rate_limit.count, 600);
	assert_int_equal(cfg->token_rate_limit.period_s, 60);
	assert_int_equal(cfg->send_rate_limit.count, 20);
	assert_int_equal(cfg->send_rate_limit.period_s, 3600);
	config_free(cfg);
	cfg = load_ok("[defaults]\ntoken_rate_limit = 5/s\nrate_limit = 9/min\n"
		      "draft_rate_limit = off\nsend_rate_limit = 2/day\n" DISPATCH_ACCOUNT
		      "tools_deny = send_email , search.advanced_query\ntools_allow = a,b\n"
		      "send_rate_limit = 1/h\n",
		      NULL);
	assert_int_equal(cfg->token_rate_limit.count, 5);
	assert_int_equal(cfg->token_rate_limit.period_s, 1);
	/* the account inherits what it does not set */
	assert_int_equal(cfg->accounts[0].rate_limit.count, 9);
	assert_int_equal(cfg->accounts[0].rate_limit.period_s, 60);
	assert_int_equal(cfg->accounts[0].draft_rate_limit.count, 0);
	assert_int_equal(cfg->accounts[0].send_rate_limit.count, 1);
	assert_int_equal(cfg->accounts[0].send_rate_limit.period_s, 3600);
	assert_string_equal(cfg->accounts[0].tools_deny, "send_email , search.advanced_query");
	assert_string_equal(cfg->accounts[0].tools_allow, "a,b");
	config_free(cfg);
	cfg = load_ok(DISPATCH_ACCOUNT, env);
	assert_int_equal(cfg->accounts[0].rate_limit.count, 7);
	config_free(cfg);
	load_fails("[defaults]\nrate_limit = 5\n", NULL, "[defaults] rate_limit", "N/min");
	load_fails("[defaults]\nrate_limit = 0/min\n", NULL, "rate_limit", NULL);
	load_fails("[defaults]\nrate_limit = 1000001/s\n", NULL, "rate_limit", NULL);
	load_fails("[defaults]\nrate_limit = 5/week\n", NULL, "rate_limit", NULL);
	load_fails("[defaults]\nrate_limit = -5/s\n", NULL, "rate_limit", NULL);
	load_fails(DISPATCH_ACCOUNT "tools_deny = a;b\n", NULL, "tools_deny", "comma list");
	load_fails(DISPATCH_ACCOUNT "tools_allow = a/b\n", NULL, "tools_allow", NULL);
	/* parse/format round trip */
	assert_true(cfg_rate_parse("12/day", &r));
	cfg_rate_format(r, out, sizeof(out));
	assert_string_equal(out, "12/day");
	assert_true(cfg_rate_parse("off", &r));
	cfg_rate_format(r, out, sizeof(out));
	assert_string_equal(out, "off");
	assert_false(cfg_rate_parse("/s", &r));
	assert_false(cfg_rate_parse("1/", &r));
	assert_false(cfg_rate_parse("", &r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_empty_and_controls),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_inline_secrets),
		cmocka_unit_test(test_syntax_and_file_errors),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_env_only_accounts),
		cmocka_unit_test(test_env_file_account_wins),
		cmocka_unit_test(test_account_validation),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_ipv6_and_loopback),
		cmocka_unit_test(test_allowed_hosts_defaults),
		cmocka_unit_test(test_sizes_and_bools),
		cmocka_unit_test(test_posture_names),
		cmocka_unit_test(test_account_address),
		cmocka_unit_test(test_dispatch_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
