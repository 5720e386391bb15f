/* `imapgate outbox list|show|approve|reject` (docs/cli.md, docs/sending.md):
 * the operator's side of the approval flow. Runs as its own process on
 * state.db; the server's sender thread picks approved entries up within a
 * second. */
#include "cli/cli_outbox.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit.h"
#include "base/buf.h"
#include "base/config.h"
#include "handlers/ops_audit.h"
#include "handlers/ops_outbox.h"
#include "store/outbox.h"
#include "store/state.h"

static const char outbox_help[] =
	"Usage: imapgate outbox list [--json] [--all]\n"
	"       imapgate outbox show ID [--raw]\n"
	"       imapgate outbox approve ID [--hash HEX] [--by NAME]\n"
	"       imapgate outbox reject ID [--by NAME]\n"
	"Review mail that agents queued with send_email (docs/sending.md).\n"
	"  list      entries, newest first (pending ones only unless --all)\n"
	"  show      one entry: envelope, hash, and the exact message\n"
	"  approve   send it; --hash binds the approval to the hash you reviewed\n"
	"  reject    never send it\n"
	"  --by NAME the approver recorded in the outbox and the audit log\n"
	"            (default: $USER, else operator)\n";

/* "imapgate: outbox: <a><b>" on stderr; what names the failing step. */
static void
err_line(const char *what, const char *a, const char *b)
{
	(void)what;
	(void)fprintf(stderr, "imapgate: outbox: %s%s\n", a, b);
}

static bool
id_parse(const char *s, int64_t *id_r)
{
	char *end = NULL;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*id_r = v;
	return true;
}

/* Shows text on a terminal: printable ASCII, TAB, LF; CR dropped; anything
 * else as \xNN (the message is agent-written and may try terminal escapes). */
static void
safe_put(struct buf *b, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			continue;
		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))
			buf_putc(b, (char)c);
		else
			buf_appendf(b, "\\x%02x", c);
	}
}

static void
time_fmt(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "-");
}

struct list_ctx {
	struct buf *b;
	bool json;
	bool all; /* filtered by ops_outbox_list */
	struct json_object *arr;
};

static void
list_one(const struct outbox_entry *e, void *ctx)
{
	struct list_ctx *l = ctx;
	char created[32];

	if (l->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(e->id));
		json_object_object_add(o, "token", json_object_new_string(e->token_name));
		json_object_object_add(o, "account", json_object_new_string(e->account));
		json_object_object_add(o, "state", json_object_new_string(outbox_state_str(e->state)));
		json_object_object_add(o, "created_at", json_object_new_int64(e->created_at));
		json_object_object_add(o, "recipients", json_object_new_int64((int64_t)e->n_rcpts));
		json_object_object_add(o, "subject", json_object_new_string(e->subject));
		json_object_array_add(l->arr, o);
		return;
	}
	time_fmt(created, e->created_at);
	buf_appendf(l->b, "%-6lld %-10s %-16s %-16s %-20s %3zu  ", (long long)e->id,
		    outbox_state_str(e->state), e->account, e->token_name, created, e->n_rcpts);
	safe_put(l->b, e->subject, strnlen(e->subject, 60));
	buf_putc(l->b, '\n');
}

static int
outbox_list_cmd(struct state *st, bool json, bool all)
{
	struct buf b;
	struct list_ctx l = {&b, json, all, NULL};
	const char *error = NULL;
	int rc = 1;

	buf_init(&b, (size_t)16 * 1024 * 1024);
	if (json)
		l.arr = json_object_new_array();
	else
		buf_appendf(&b, "%-6s %-10s %-16s %-16s %-20s %3s  %s\n", "ID", "STATE", "ACCOUNT",
			    "TOKEN", "CREATED", "RCP", "SUBJECT");
	if (ops_outbox_list(st, !all, list_one, &l, &error) != IG_OK) {
		err_line("imapgate: outbox list: %s%s", error, "");
		goto out;
	}
	if (json) {
		buf_puts(&b, json_object_to_json_string_ext(l.arr, JSON_C_TO_STRING_PLAIN));
		buf_putc(&b, '\n');
	}
	rc = buf_err(&b) == IG_OK && fwrite(b.p, 1, b.len, stdout) == b.len ? 0 : 1;
out:
	json_object_put(l.arr);
	buf_free(&b);
	return rc;
}

static int
outbox_show_cmd(struct state *st, int64_t id, bool raw)
{
	struct outbox_entry *e = NULL;
	char hex[OUTBOX_HASH_HEX + 1];
	char t[32];
	struct buf b;
	const char *error = NULL;
	enum ig_err err = ops_outbox_get(st, id, &e, &error);
	size_t i;
	int rc = 1;

	if (err == IG_ENOTFOUND) {
		err_line("imapgate: outbox show: no entry %s%s", "with this id", "");
		return 1;
	}
	if (err != IG_OK) {
		err_line("imapgate: outbox show: %s%s", error, "");
		return 1;
	}
	if (raw) {
		rc = fwrite(e->mime, 1, e->mime_len, stdout) == e->mime_len ? 0 : 1;
		outbox_entry_free(e);
		return rc;
	}
	buf_init(&b, LIM_SEND_MESSAGE * 4 + 65536);
	outbox_hash_hex(e->hash, hex);
	buf_appendf(&b, "id: %lld\nstate: %s\naccount: %s\ntoken: %s\npath: %s\n", (long long)e->id,
		    outbox_state_str(e->state), e->account, e->token_name,
		    e->autonomous ? "autonomous" : "approval");
	time_fmt(t, e->created_at);
	buf_appendf(&b, "created: %s\n", t);
	if (e->approved_by != NULL) {
		buf_puts(&b, "decided_by: ");
		safe_put(&b, e->approved_by, strlen(e->approved_by));
		buf_putc(&b, '\n');
	}
	if (e->last_error != NULL)
		buf_appendf(&b, "last_error: %s\n", e->last_error);
	buf_appendf(&b, "hash: %s\nmail_from: %s\n", hex, e->mail_from);
	for (i = 0; i < e->n_rcpts; i++)
		buf_appendf(&b, "rcpt_to: %s\n", e->rcpts[i]);
	buf_puts(&b, "--- message (exactly what will be sent; Bcc recipients are only in "
		     "rcpt_to) ---\n");
	safe_put(&b, (const char *)e->mime, e->mime_len);
	if (e->mime_len > 0 && e->mime[e->mime_len - 1] != '\n')
		buf_putc(&b, '\n');
	rc = buf_err(&b) == IG_OK && fwrite(b.p, 1, b.len, stdout) == b.len ? 0 : 1;
	buf_free(&b);
	outbox_entry_free(e);
	return rc;
}

static int
outbox_decide_cmd(const struct ig_config *cfg, struct state *st, int64_t id, bool approve,
		  const char *hash, const char *by)
{
	const struct ops_actor actor = {"cli", by, false};
	struct audit *audit = NULL;
	const char *why = NULL;
	enum ig_err err;
	int rc = 1;

	/* a decision is never unaudited: no audit log, no decision */
	if (ops_audit_open(cfg, &audit, &why) != IG_OK) {
		err_line("audit", why != NULL ? why : "cannot open the audit log", "");
		return 1;
	}
	why = NULL;
	/* audited before it counts (handlers/ops.h) */
	err = ops_outbox_decide(st, audit, id, approve, &actor, hash, &why);
	if (err == IG_ENOTFOUND) {
		err_line("decide", "no entry with this id", "");
		goto out;
	}
	if (err == IG_EEXIST) {
		err_line("decide", "the entry is not pending (see outbox show)", "");
		goto out;
	}
	if (err != IG_OK) {
		err_line("decide", why != NULL ? why : state_errmsg(), "");
		goto out;
	}
	(void)fprintf(stderr, "outbox entry %lld %s\n", (long long)id,
		      approve ? "approved (the server sends it within a second)" : "rejected");
	rc = 0;
out:
	audit_close(audit);
	return rc;
}

int
cli_outbox_run(const struct ig_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},  {"all", no_argument, NULL, 'a'},
		{"raw", no_argument, NULL, 'r'},   {"hash", required_argument, NULL, 'H'},
		{"by", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sub;
	const char *hash = NULL;
	const char *by = getenv("USER");
	bool json = false, all = false, raw = false;
	struct state *st = NULL;
	const char *error = NULL;
	int64_t id = 0;
	int ch;
	int rc = 2;
	size_t i;

	if (argc < 1) {
		(void)fputs(outbox_help, stderr);
		return 2;
	}
	sub = argv[0];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return fputs(outbox_help, stdout) == EOF;
	optind = 0; /* GNU: full re-initialisation; scanning starts after argv[0] */
	while ((ch = getopt_long(argc, argv, "jarH:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'r':
			raw = true;
			break;
		case 'H':
			hash = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'h':
			return fputs(outbox_help, stdout) == EOF;
		default:
			(void)fputs("imapgate: outbox: unknown option\n", stderr);
			return 2;
		}
	}
	if (by == NULL || by[0] == '\0')
		by = "operator";
	for (i = 0; by[i] != '\0'; i++) {
		if (i >= LIM_TOKEN_NAME || by[i] <= ' ' || by[i] > '~') {
			(void)fputs("imapgate: outbox: --by must be printable ASCII without spaces\n",
				    stderr);
			return 2;
		}
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			goto usage;
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "approve") == 0 ||
		   strcmp(sub, "reject") == 0) {
		if (optind + 1 != argc || !id_parse(argv[optind], &id))
			goto usage;
	} else {
		goto usage;
	}
	if (state_open(cfg->data_dir, &st, &error) != IG_OK) {
		err_line("imapgate: %s%s", error != NULL ? error : "cannot open state.db", "");
		return 1;
	}
	if (strcmp(sub, "list") == 0)
		rc = outbox_list_cmd(st, json, all);
	else if (strcmp(sub, "show") == 0)
		rc = outbox_show_cmd(st, id, raw);
	else
		rc = outbox_decide_cmd(cfg, st, id, strcmp(sub, "approve") == 0, hash, by);
	state_close(st);
	return rc;
usage:
	(void)fputs("imapgate: outbox: expected list, show ID, approve ID or reject ID\n"
		    "Try 'imapgate outbox --help'.\n",
		    stderr);
	return 2;
}
