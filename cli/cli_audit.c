/* `imapgate audit verify|query` (docs/audit.md). Read-only: no lock is
 * taken, so both work while the server appends. */
#include "cli/cli_audit.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit_verify.h"
#include "base/config.h"
#include "handlers/ops_audit.h"

#define EXIT_USAGE 2
#define DIR_MAX 4096

static const char audit_help[] =
	"Usage: imapgate [--config FILE] audit verify [--anchor SEQ:SHA256] [--no-checkpoint]\n"
	"                [FILE|DIR]\n"
	"       imapgate [--config FILE] audit query [--since T] [--until T] [--kind K]\n"
	"                [--tool T] [--token NAME] [--account A] [--limit N] [FILE|DIR]\n"
	"\n"
	"verify  checks the hash chain of the audit log (default: <data_dir>/audit,\n"
	"        rotated files included) and names the first bad record. A torn final\n"
	"        record (an interrupted write) is reported and tolerated. --anchor\n"
	"        requires record SEQ to exist with that line hash (as printed by an\n"
	"        earlier verify). The log is also checked against the checkpoint\n"
	"        the gateway keeps beside it (<data_dir>/audit.head, keyed with\n"
	"        audit.key), which detects removed, edited or re-chained records;\n"
	"        --no-checkpoint skips that (a copy of the log elsewhere). Exit 0\n"
	"        valid, 1 not.\n"
	"query   prints the matching records (JSONL, oldest first). T is RFC 3339\n"
	"        (2025-01-31T12:00:00Z) or unix seconds; --token matches the principal\n"
	"        or the token a token record is about;\n"
	"        --limit stops after N records. Safe while the server runs.\n";

static int
usage(const char *what)
{
	(void)fprintf(stderr, "imapgate: audit: %s\nTry 'imapgate audit --help'.\n", what);
	return EXIT_USAGE;
}

/* The log to read: the operand, else <data_dir>/audit from the config. */
static int
log_path(int argc, char **argv, const char *config_path, cli_config_fn config, void *ctx,
	 char out[DIR_MAX])
{
	struct ig_config *cfg = NULL;
	int rc;

	if (optind + 1 < argc)
		return usage("expected at most one FILE or DIR");
	if (optind < argc) {
		(void)snprintf(out, DIR_MAX, "%s", argv[optind]);
		return -1;
	}
	if ((rc = config(ctx, config_path, &cfg)) != 0)
		return rc;
	(void)snprintf(out, DIR_MAX, "%s/audit", cfg->data_dir);
	config_free(cfg);
	return -1;
}

static int
audit_verify_cmd(int argc, char **argv, cli_config_fn config, void *ctx)
{
	static const struct option opts[] = {
		{"anchor", required_argument, NULL, 'a'},
		{"no-checkpoint", no_argument, NULL, 'N'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	const char *anchor = NULL;
	uint64_t anchor_seq = 0;
	const char *anchor_hex = NULL;
	bool checkpoint = true;
	struct audit_verify_report r;
	char path[DIR_MAX];
	char data_dir[DIR_MAX];
	enum ig_err err;
	int ch;
	int rc;

	while ((ch = getopt_long(argc, argv, "a:c:hN", opts, NULL)) != -1) {
		if (ch == 'a')
			anchor = optarg;
		else if (ch == 'N')
			checkpoint = false;
		else if (ch == 'c')
			config_path = optarg;
		else if (ch == 'h')
			return fputs(audit_help, stdout) == EOF;
		else
			return usage("unknown option or missing argument");
	}
	if (anchor != NULL) {
		const char *colon = strchr(anchor, ':');
		char *end = NULL;

		errno = 0;
		anchor_seq = strtoull(anchor, &end, 10);
		if (colon == NULL || end != colon || errno != 0 || anchor_seq == 0 ||
		    strlen(colon + 1) != 64)
			return usage("--anchor must be SEQ:SHA256 (64 hex digits)");
		anchor_hex = colon + 1;
	}
	if ((rc = log_path(argc, argv, config_path, config, ctx, path)) >= 0)
		return rc;
	if (checkpoint && !ops_audit_checkpoint_dir(path, data_dir, sizeof(data_dir))) {
		(void)fprintf(stderr, "imapgate: audit verify: %s is not a live log (a rotated file "
				      "alone): checkpoint not checked\n",
			      path);
		checkpoint = false;
	}
	err = ops_audit_verify(path, checkpoint ? data_dir : NULL, anchor_seq, anchor_hex, &r);
	if (err != IG_OK) {
		(void)fprintf(stderr, "imapgate: audit verify: cannot read %s: %s\n", path,
			      err == IG_ENOTFOUND ? "no audit log there" : ig_err_str(err));
		return 1;
	}
	if (!r.ok) {
		printf("FAIL: %s line %" PRIu64 " (seq %" PRIu64 "): %s\n", r.file, r.line, r.seq,
		       r.why);
		printf("checked %" PRIu64 " valid records before it\n", r.records);
		return 1;
	}
	if (r.torn)
		printf("TORN: %s line %" PRIu64 ": %s\n", r.file, r.line, r.why);
	printf("ok: %" PRIu64 " records in %zu file(s), seq %" PRIu64 "..%" PRIu64 "%s\n",
	       r.records, r.files, r.first_seq, r.last_seq,
	       r.first_seq > 1 ? " (anchored: earlier records not present)" : "");
	if (r.records > 0)
		printf("anchor: %" PRIu64 ":%s\n", r.last_seq, r.last_sha256);
	if (!checkpoint)
		printf("checkpoint: not checked\n");
	else if (r.after_checkpoint > 0)
		printf("checkpoint: seq %" PRIu64 "; seq %" PRIu64
		       " follows it (written just before a crash, not covered)\n",
		       r.checkpoint_seq, r.last_seq);
	else
		printf("checkpoint: seq %" PRIu64 " matches\n", r.checkpoint_seq);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Prints one record the filter passed (handlers/ops_audit.c). */
static bool
query_print(const char *line, size_t len, void *ctx)
{
	bool *write_failed = ctx;

	if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF) {
		*write_failed = true;
		return false;
	}
	return true;
}

static int
audit_query_cmd(int argc, char **argv, cli_config_fn config, void *ctx)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"kind", required_argument, NULL, 'k'},
		{"tool", required_argument, NULL, 't'},
		{"token", required_argument, NULL, 'T'},
		{"account", required_argument, NULL, 'A'},
		{"limit", required_argument, NULL, 'l'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	struct ops_audit_filter q;
	bool write_failed = false;
	char path[DIR_MAX];
	char *end;
	enum ig_err err;
	int ch;
	int rc;

	memset(&q, 0, sizeof(q));
	while ((ch = getopt_long(argc, argv, "s:u:k:t:T:A:l:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			q.have_since = true;
			if (!audit_time_parse(optarg, strlen(optarg), &q.since_ms))
				return usage("--since must be RFC 3339 or unix seconds");
			break;
		case 'u':
			q.have_until = true;
			if (!audit_time_parse(optarg, strlen(optarg), &q.until_ms))
				return usage("--until must be RFC 3339 or unix seconds");
			break;
		case 'k':
			q.kind = optarg;
			break;
		case 't':
			q.tool = optarg;
			break;
		case 'T':
			q.token = optarg;
			break;
		case 'A':
			q.account = optarg;
			break;
		case 'l':
			errno = 0;
			q.limit = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || q.limit == 0 ||
			    optarg[0] == '-')
				return usage("--limit must be a positive number");
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			return fputs(audit_help, stdout) == EOF;
		default:
			return usage("unknown option or missing argument");
		}
	}
	if ((rc = log_path(argc, argv, config_path, config, ctx, path)) >= 0)
		return rc;
	err = ops_audit_query(path, &q, query_print, &write_failed);
	if (err != IG_OK) {
		(void)fprintf(stderr, "imapgate: audit query: cannot read %s: %s\n", path,
			      err == IG_ENOTFOUND ? "no audit log there" : ig_err_str(err));
		return 1;
	}
	if (write_failed || fflush(stdout) != 0) {
		(void)fprintf(stderr, "imapgate: audit query: cannot write to standard output\n");
		return 1;
	}
	return 0;
}

int
cli_audit_main(int argc, char **argv, cli_config_fn config, void *ctx)
{
	const char *sub;

	if (argc < 2)
		return usage("expected verify or query");
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return fputs(audit_help, stdout) == EOF;
	argc--;
	argv++;
	optind = 0; /* GNU: restart getopt for the sub-command */
	if (strcmp(sub, "verify") == 0)
		return audit_verify_cmd(argc, argv, config, ctx);
	if (strcmp(sub, "query") == 0)
		return audit_query_cmd(argc, argv, config, ctx);
	return usage("expected verify or query");
}
