/* Tests handlers/dispatch.c end to end on synchronous calls (the batch path):
 * the order of the chain, token scope with one answer for "not yours" and
 * "does not exist", postures and sub-capabilities, the breaker and rate
 * limits driven by a fake clock, probe release, retry_after_ms, the
 * per-principal tools/list and configuration checks of override names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "store/audit.h"
#include "base/buf.h"
#include "base/limits.h"
#include "handlers/call.h"
#include "handlers/dispatch.h"
#include "handlers/toolkit.h"
#include "handlers/tools.h"
#include "imap/conn.h"
#include "base/config.h"
#include "store/state.h"

static int64_t fake_now;
static int runs;

static int64_t
fake_ms(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static const struct ig_clock fake = {fake_ms, NULL};

/* Fails with the code in argument `fail` (if any), else succeeds and
 * reports the account and posture the chain resolved. */
static void
probe_run(struct tool_call *call)
{
	struct json_object *v;
	struct json_object *out;

	runs++;
	if (json_object_object_get_ex(tool_call_args(call), "fail", &v)) {
		const char *f = json_object_get_string(v);

		/* "imap-refused" / "imap-bad-response": an IMAP failure through
		 * the tools' one path (toolkit), as the server's tagged refusal of
		 * the command or as a malformed answer */
		if (strncmp(f, "imap-", 5) == 0) {
			struct imap_error e = {.fail = IMAP_FAIL_PROTOCOL};

			e.refused = strcmp(f, "imap-refused") == 0;
			tk_imap_error(call, &e);
			return;
		}
		/* "big:N": a success whose result serializes to about N bytes */
		if (strncmp(f, "big:", 4) == 0) {
			size_t n = (size_t)strtoull(f + 4, NULL, 10);
			char *fill = malloc(n + 1);

			assert_non_null(fill);
			memset(fill, 'x', n);
			fill[n] = '\0';
			out = json_object_new_object();
			json_object_object_add(out, "fill", json_object_new_string(fill));
			free(fill);
			tool_call_result(call, tool_result_structured(out));
			return;
		}
		{
			enum tool_err e;

			assert_true(tool_err_parse(f, &e));
			tool_call_error(call, e, "failed as asked");
		}
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "account",
			       json_object_new_string(tool_call_account(call) != NULL
							      ? tool_call_account(call)->name
							      : "-"));
	json_object_object_add(out, "posture",
			       json_object_new_string(posture_str(tool_call_posture(call))));
	tool_call_result(call, tool_result_structured(out));
}

static const struct tool_arg_rule probe_rules[] = {
	{"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"fail", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"html", ARG_AUDIT_VERBATIM, POSTURE_FULL},
	{NULL, 0, 0},
};

#define PROBE_SCHEMA                                                                               \
	"{\"type\":\"object\",\"properties\":{\"account\":{\"type\":\"string\"},\"fail\":{"       \
	"\"type\":\"string\"},\"html\":{\"type\":\"boolean\"}},\"additionalProperties\":false}"

static const struct tool_def t_read = {
	.name = "t_read", .description = "t", .input_schema = PROBE_SCHEMA,
	.hints = TOOL_READ_ONLY, .min_posture = POSTURE_READONLY, .rate_class = TOOL_RATE_READ,
	.account_scoped = true, .args = probe_rules, .run = probe_run,
};
static const struct tool_def t_draft = {
	.name = "t_draft", .description = "t", .input_schema = PROBE_SCHEMA,
	.min_posture = POSTURE_DRAFT_SAFE, .rate_class = TOOL_RATE_DRAFT,
	.account_scoped = true, .args = probe_rules, .run = probe_run,
};
static const struct tool_def t_destroy = {
	.name = "t_destroy", .description = "t", .input_schema = PROBE_SCHEMA,
	.min_posture = POSTURE_DESTRUCTIVE, .rate_class = TOOL_RATE_WRITE,
	.account_scoped = true, .args = probe_rules, .run = probe_run,
};

static char dir[64];
static char conf[128];
static struct ig_config *cfg;
static struct tool_registry *reg;

static void
load(const char *text)
{
	FILE *f = fopen(conf, "w");
	char *error = NULL;

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_load(conf, NULL, &cfg, &error), IG_OK);
}

#define ACCOUNT(name, posture, extra)                                                               \
	"[account " name "]\nhost = 127.0.0.1\nport = 1\nuser = u@x\npassword_env = X\nposture = " \
	posture "\n" extra

static const char base_conf[] =
	"[defaults]\ntoken_rate_limit = 1000/s\nrate_limit = 1000/s\n"
	"draft_rate_limit = 3/min\n"
	ACCOUNT("alpha", "full", "tools_deny = t_draft.html\n")
	ACCOUNT("beta", "destructive", "rate_limit = 2/s\n")
	ACCOUNT("gamma", "readonly", "");

static int
setup(void **state)
{
	static const struct tool_def *const extra[] = {&t_read, &t_draft, &t_destroy};
	const char *error = NULL;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/ig-test-disp-XXXXXX");
	assert_non_null(mkdtemp(dir));
	(void)snprintf(conf, sizeof(conf), "%s/c.conf", dir);
	load(base_conf);
	reg = tool_registry_new(extra, 3, &error);
	assert_non_null(reg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tool_registry_free(reg);
	config_free(cfg);
	(void)unlink(conf);
	return rmdir(dir);
}

static struct token_info
token(int64_t id, const char *accounts, enum posture cap)
{
	struct token_info t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	(void)snprintf(t.name, sizeof(t.name), "tok%lld", (long long)id);
	(void)snprintf(t.accounts, sizeof(t.accounts), "%s", accounts);
	t.posture_cap = cap;
	return t;
}

/* Runs one call synchronously; returns the result as compact JSON text
 * (static buffer) and the error code (or "OK") in *code_r. */
static const char *
call(struct disp *d, const struct token_info *tok, const char *tool, const char *args,
     const char **code_r)
{
	static char text[4096];
	static char code[64];
	struct tool_call tc;
	struct json_object *err;
	struct json_object *c;

	memset(&tc, 0, sizeof(tc));
	tc.def = tool_registry_find(reg, tool);
	assert_non_null(tc.def);
	tc.args = json_tokener_parse(args); /* test text */
	assert_non_null(tc.args);
	tc.principal = tok;
	tc.cfg = cfg;
	tc.min_log_level = -1;
	disp_call(d, &tc);
	assert_non_null(tc.result);
	(void)snprintf(text, sizeof(text), "%s",
		       json_object_to_json_string_ext(tc.result, JSON_C_TO_STRING_PLAIN));
	(void)snprintf(code, sizeof(code), "OK");
	err = tool_result_error(tc.result);
	if (err != NULL && json_object_object_get_ex(err, "code", &c))
		(void)snprintf(code, sizeof(code), "%s", json_object_get_string(c));
	*code_r = code;
	tool_call_clear(&tc);
	return text;
}

static struct disp *
disp(void)
{
	char *error = NULL;
	struct disp *d = disp_new(cfg, reg, &fake, &error);

	assert_non_null(d);
	return d;
}

static void
test_scope_identical_not_found(void **state)
{
	struct disp *d;
	struct token_info a = token(1, "alpha", POSTURE_DESTRUCTIVE);
	struct token_info ab = token(2, "alpha,beta", POSTURE_DESTRUCTIVE);
	struct token_info none = token(3, "nothere", POSTURE_DESTRUCTIVE);
	char other[4096];
	const char *code;
	const char *r;

	(void)state;
	load(base_conf);
	d = disp();
	/* the only account is implied */
	r = call(d, &a, "t_read", "{}", &code);
	assert_string_equal(code, "OK");
	assert_non_null(strstr(r, "\"account\":\"alpha\""));
	/* someone else's account and a nonexistent one: the same bytes */
	r = call(d, &a, "t_read", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "ERR_NOT_FOUND");
	(void)snprintf(other, sizeof(other), "%s", r);
	r = call(d, &a, "t_read", "{\"account\":\"zzz\"}", &code);
	assert_string_equal(r, other);
	r = call(d, &a, "t_destroy", "{\"account\":\"gamma\"}", &code);
	assert_string_equal(r, other);
	/* several accounts: the argument is needed */
	r = call(d, &ab, "t_read", "{}", &code);
	assert_string_equal(code, "ERR_INVALID_INPUT");
	r = call(d, &ab, "t_read", "{\"account\":\"beta\"}", &code);
	assert_non_null(strstr(r, "\"account\":\"beta\""));
	r = call(d, &none, "t_read", "{}", &code);
	assert_string_equal(code, "ERR_NOT_FOUND");
	/* validation comes first: bad arguments never reach scope */
	r = call(d, &a, "t_read", "{\"account\":\"beta\",\"x\":1}", &code);
	assert_string_equal(code, "ERR_INVALID_INPUT");
	disp_free(d);
}

/* A result must fit one answer: one over LIM_TOOL_RESULT (its text item and
 * structuredContent together) becomes the call's ERR_TOO_LARGE, never a
 * result the transport cannot send (HTTP 500, id null); one just under it
 * goes out as it is. */
static void
test_result_over_answer_cap(void **state)
{
	struct disp *d;
	struct token_info a = token(1, "alpha", POSTURE_DESTRUCTIVE);
	char args[128];
	const char *code;

	(void)state;
	load(base_conf);
	d = disp();
	/* the fill appears twice (text item and structuredContent) */
	(void)snprintf(args, sizeof(args), "{\"fail\":\"big:%zu\"}", (size_t)LIM_TOOL_RESULT / 2 + 1);
	(void)call(d, &a, "t_read", args, &code);
	assert_string_equal(code, "ERR_TOO_LARGE");
	(void)snprintf(args, sizeof(args), "{\"fail\":\"big:%zu\"}", (size_t)LIM_TOOL_RESULT / 2 - 4096);
	(void)call(d, &a, "t_read", args, &code);
	assert_string_equal(code, "OK");
	disp_free(d);
}

static void
test_postures(void **state)
{
	struct disp *d;
	struct token_info full = token(1, "*", POSTURE_FULL);
	struct token_info ro = token(2, "*", POSTURE_READONLY);
	const char *code;
	const char *r;

	(void)state;
	load(base_conf);
	d = disp();
	r = call(d, &full, "t_draft", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	assert_non_null(strstr(r, "\"posture\":\"full\""));
	/* beta is destructive, the token caps at full */
	r = call(d, &full, "t_destroy", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	(void)call(d, &ro, "t_draft", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	(void)call(d, &full, "t_draft", "{\"account\":\"gamma\"}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	/* sub-capability: html needs full; alpha denies t_draft.html */
	r = call(d, &full, "t_read", "{\"account\":\"alpha\",\"html\":true}", &code);
	assert_string_equal(code, "OK");
	(void)call(d, &full, "t_draft", "{\"account\":\"alpha\",\"html\":true}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	(void)call(d, &full, "t_draft", "{\"account\":\"alpha\",\"html\":false}", &code);
	assert_string_equal(code, "OK");
	(void)call(d, &ro, "t_read", "{\"account\":\"alpha\",\"html\":true}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	(void)call(d, &ro, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	/* token overrides */
	(void)snprintf(full.tools_deny, sizeof(full.tools_deny), "t_read");
	(void)call(d, &full, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	full.tools_deny[0] = '\0';
	(void)snprintf(full.tools_allow, sizeof(full.tools_allow), "t_read");
	(void)call(d, &full, "t_read", "{\"account\":\"beta\",\"html\":true}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED"); /* allow-list lacks t_read.html */
	(void)call(d, &full, "t_draft", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	disp_free(d);
}

static void
test_breaker_via_chain(void **state)
{
	struct disp *d;
	struct token_info t = token(1, "alpha,beta", POSTURE_DESTRUCTIVE);
	const char *code;
	const char *r;
	int before;
	int i;

	(void)state;
	load(base_conf);
	d = disp();
	fake_now = 1000000;
	/* unrelated errors never open it */
	for (i = 0; i < 20; i++) {
		(void)call(d, &t, "t_read", "{\"account\":\"alpha\",\"fail\":\"ERR_NOT_FOUND\"}",
			   &code);
		assert_string_equal(code, "ERR_NOT_FOUND");
	}
	for (i = 0; i < LIM_BREAKER_ERRORS; i++)
		(void)call(d, &t, "t_read", "{\"account\":\"alpha\",\"fail\":\"ERR_TIMEOUT\"}",
			   &code);
	before = runs;
	r = call(d, &t, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "ERR_CIRCUIT_OPEN");
	assert_non_null(strstr(r, "\"retry_after_ms\":5000"));
	assert_int_equal(runs, before); /* refused without running */
	/* the other account is unaffected */
	(void)call(d, &t, "t_read", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "OK");
	/* half-open: a probe ending in an unrelated error frees the slot */
	/* (the server's refusal of a call's own command is such an error) */
	fake_now += LIM_BREAKER_COOLDOWN_MS;
	(void)call(d, &t, "t_read", "{\"account\":\"alpha\",\"fail\":\"ERR_INVALID_INPUT\"}",
		   &code);
	assert_string_equal(code, "ERR_INVALID_INPUT");
	(void)call(d, &t, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK"); /* the next probe ran and closed it */
	(void)call(d, &t, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	disp_free(d);
}

/* A3: the server's tagged NO/BAD to a caller's own command is that caller's
 * error: any number of them leaves the breaker closed for everyone, while
 * the same code from a malformed answer still counts. */
static void
test_breaker_refusals(void **state)
{
	struct disp *d;
	struct token_info t = token(1, "alpha,beta", POSTURE_DESTRUCTIVE);
	struct token_info ro = token(2, "alpha", POSTURE_READONLY);
	const char *code;
	int i;

	(void)state;
	load(base_conf);
	d = disp();
	fake_now = 2000000;
	for (i = 0; i < 100; i++) {
		(void)call(d, &t, "t_read", "{\"account\":\"alpha\",\"fail\":\"imap-refused\"}",
			   &code);
		assert_string_equal(code, "ERR_IMAP_PROTOCOL");
	}
	(void)call(d, &ro, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	/* a refused probe frees the slot too */
	for (i = 0; i < LIM_BREAKER_ERRORS; i++)
		(void)call(d, &t, "t_read",
			   "{\"account\":\"alpha\",\"fail\":\"imap-bad-response\"}", &code);
	(void)call(d, &ro, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "ERR_CIRCUIT_OPEN");
	fake_now += LIM_BREAKER_COOLDOWN_MS;
	(void)call(d, &t, "t_read", "{\"account\":\"alpha\",\"fail\":\"imap-refused\"}",
		   &code);
	assert_string_equal(code, "ERR_IMAP_PROTOCOL");
	(void)call(d, &ro, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	disp_free(d);
}

static void
test_rate_limits_via_chain(void **state)
{
	struct disp *d;
	struct token_info t = token(1, "alpha,beta", POSTURE_DESTRUCTIVE);
	struct token_info u = token(2, "beta", POSTURE_DESTRUCTIVE);
	struct token_info own = token(3, "alpha", POSTURE_DESTRUCTIVE);
	const char *code;
	const char *r;
	int i;

	(void)state;
	load(base_conf);
	d = disp();
	fake_now = 0;
	/* beta: 2/s for all tokens together */
	(void)call(d, &t, "t_read", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "OK");
	(void)call(d, &u, "t_read", "{}", &code);
	assert_string_equal(code, "OK");
	r = call(d, &u, "t_read", "{}", &code);
	assert_string_equal(code, "ERR_RATE_LIMITED");
	assert_non_null(strstr(r, "\"retry_after_ms\":500"));
	/* alpha unaffected */
	(void)call(d, &t, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	fake_now += 500;
	(void)call(d, &u, "t_read", "{}", &code);
	assert_string_equal(code, "OK");
	/* drafts: 3/min per token (and per account) */
	for (i = 0; i < 3; i++) {
		(void)call(d, &t, "t_draft", "{\"account\":\"alpha\"}", &code);
		assert_string_equal(code, "OK");
	}
	r = call(d, &t, "t_draft", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "ERR_RATE_LIMITED");
	assert_non_null(strstr(r, "\"retry_after_ms\":20000"));
	/* reads go on */
	(void)call(d, &t, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	/* a token's own limit */
	own.rate_set = true;
	own.rate_limit = (struct cfg_rate){1, 60};
	(void)call(d, &own, "t_read", "{}", &code);
	assert_string_equal(code, "OK");
	(void)call(d, &own, "t_read", "{}", &code);
	assert_string_equal(code, "ERR_RATE_LIMITED");
	disp_free(d);
}

static void
test_tools_list(void **state)
{
	struct disp *d;
	struct token_info all = token(1, "*", POSTURE_DESTRUCTIVE);
	struct token_info g = token(2, "gamma", POSTURE_DESTRUCTIVE);
	struct token_info g2 = token(3, "gamma", POSTURE_FULL);
	struct token_info deny = token(4, "*", POSTURE_DESTRUCTIVE);
	struct buf b;
	struct buf b2;

	(void)state;
	load(base_conf);
	d = disp();
	buf_init(&b, 1 << 20);
	buf_init(&b2, 1 << 20);
	assert_int_equal(disp_tools_list(d, &all, &b), IG_OK);
	assert_non_null(strstr(b.p, "\"name\":\"t_destroy\""));
	assert_non_null(strstr(b.p, "\"name\":\"t_draft\""));
	assert_non_null(strstr(b.p, "\"name\":\"list_accounts\""));
	buf_reset(&b);
	/* gamma is readonly: only read tools, whatever the cap */
	assert_int_equal(disp_tools_list(d, &g, &b), IG_OK);
	assert_null(strstr(b.p, "\"name\":\"t_draft\""));
	assert_null(strstr(b.p, "\"name\":\"t_destroy\""));
	assert_non_null(strstr(b.p, "\"name\":\"t_read\""));
	/* the same permission set: the same cached bytes */
	assert_int_equal(disp_tools_list(d, &g2, &b2), IG_OK);
	assert_string_equal(b.p, b2.p);
	buf_reset(&b);
	(void)snprintf(deny.tools_deny, sizeof(deny.tools_deny), "t_read,list_accounts");
	assert_int_equal(disp_tools_list(d, &deny, &b), IG_OK);
	assert_null(strstr(b.p, "\"name\":\"t_read\""));
	assert_null(strstr(b.p, "\"name\":\"list_accounts\""));
	assert_non_null(strstr(b.p, "\"name\":\"t_destroy\""));
	buf_free(&b);
	buf_free(&b2);
	disp_free(d);
}

static void
test_config_check(void **state)
{
	char *error = NULL;

	(void)state;
	load(ACCOUNT("alpha", "full", "tools_deny = t_read, nope_tool\n"));
	assert_null(disp_new(cfg, reg, &fake, &error));
	assert_non_null(error);
	assert_non_null(strstr(error, "[account alpha] tools_deny: unknown tool or sub-capability "
				      "'nope_tool'"));
	free(error);
	load(ACCOUNT("alpha", "full", "tools_allow = t_read.account\n"));
	assert_int_equal(disp_config_check(cfg, reg, &error), IG_ECONFIG);
	assert_non_null(strstr(error, "tools_allow"));
	free(error);
	load(ACCOUNT("alpha", "full", "tools_allow = t_read.html, t_read\n"));
	assert_int_equal(disp_config_check(cfg, reg, &error), IG_OK);
	load(base_conf);
}

/* Number of lines of the audit file under data dir d holding all of the
 * given substrings (NULL-terminated). */
static int
audit_count(const char *d, const char *a, const char *b)
{
	char path[256];
	char line[8192];
	FILE *f;
	int n = 0;

	(void)snprintf(path, sizeof(path), "%s/audit/audit.jsonl", d);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL))
			n++;
	}
	assert_int_equal(fclose(f), 0);
	return n;
}

/* The chain writes tool_start/tool_end around a call, a "rejected" tool_end
 * for a refused one, and fails closed: when the audit log cannot be
 * written, a side-effecting tool does not run while a read tool does. */
static void
test_audit_via_chain(void **state)
{
	struct token_info tok = token(1, "*", POSTURE_DESTRUCTIVE);
	char adir[128];
	char cmd[200];
	struct audit *a = NULL;
	const char *error = NULL;
	struct rlimit old;
	struct rlimit lim;
	struct disp *d;
	const char *code;
	int before;

	(void)state;
	load(base_conf);
	(void)snprintf(adir, sizeof(adir), "%s/data", dir);
	assert_int_equal(mkdir(adir, 0700), 0);
	assert_int_equal(audit_open(adir, &a, &error), IG_OK);
	d = disp();
	disp_set_audit(d, a);

	(void)call(d, &tok, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	assert_int_equal(audit_count(adir, "\"kind\":\"tool_start\"", "\"tool\":\"t_read\""), 1);
	assert_int_equal(audit_count(adir, "\"kind\":\"tool_end\"", "\"status\":\"ok\""), 1);
	/* refused by posture (gamma is readonly): on record, never started */
	(void)call(d, &tok, "t_destroy", "{\"account\":\"gamma\"}", &code);
	assert_string_equal(code, "ERR_POSTURE_DENIED");
	assert_int_equal(audit_count(adir, "\"status\":\"rejected\"", "ERR_POSTURE_DENIED"), 1);
	assert_int_equal(audit_count(adir, "\"kind\":\"tool_start\"", "t_destroy"), 0);
	/* refused by validation */
	(void)call(d, &tok, "t_read", "{\"nope\":1}", &code);
	assert_string_equal(code, "ERR_INVALID_INPUT");
	assert_int_equal(audit_count(adir, "\"status\":\"rejected\"", "ERR_INVALID_INPUT"), 1);

	/* a job the worker stopped for the client's cancel (B5): on record as
	 * "cancelled", not as a failure of the account */
	(void)call(d, &tok, "t_read", "{\"account\":\"alpha\",\"fail\":\"ERR_CANCELLED\"}", &code);
	assert_string_equal(code, "ERR_CANCELLED");
	assert_int_equal(audit_count(adir, "\"status\":\"cancelled\"", "\"ERR_CANCELLED\""), 1);
	assert_int_equal(audit_count(adir, "\"status\":\"error\"", "ERR_CANCELLED"), 0);

	/* the audit file can no longer grow: writes fail with EFBIG */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 0;
	assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	before = runs;
	(void)call(d, &tok, "t_draft", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "ERR_INTERNAL");
	assert_int_equal(runs, before);
	(void)call(d, &tok, "t_destroy", "{\"account\":\"beta\"}", &code);
	assert_string_equal(code, "ERR_INTERNAL");
	assert_int_equal(runs, before);
	(void)call(d, &tok, "t_read", "{\"account\":\"alpha\"}", &code);
	assert_string_equal(code, "OK");
	assert_int_equal(runs, before + 1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);

	disp_free(d);
	audit_close(a);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", adir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope_identical_not_found),
		cmocka_unit_test(test_postures),
		cmocka_unit_test(test_result_over_answer_cap),
		cmocka_unit_test(test_breaker_via_chain),
		cmocka_unit_test(test_breaker_refusals),
		cmocka_unit_test(test_rate_limits_via_chain),
		cmocka_unit_test(test_tools_list),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_audit_via_chain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
