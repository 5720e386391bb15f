/* `imapgate accounts` (cli/cli_accounts.h): argument parsing and output of
 * handlers/ops_account.h's status. */
#include "cli/cli_accounts.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/config.h"
#include "handlers/ops_account.h"

#define OUT_MAX ((size_t)16 * 1024 * 1024)

static const char accounts_help[] =
	"Usage: imapgate [--config FILE] accounts [--json]\n"
	"The configured accounts with the cache facts this process can read:\n"
	"cache.db's size and the folders searched in the last hour (kept warm\n"
	"besides warm_folders). A command-line process has no account workers:\n"
	"whether a worker is connected, its circuit breaker and its last sync are\n"
	"known only to the running server (GET /admin/accounts).\n";

static int
usage(const char *what)
{
	(void)fprintf(stderr, "imapgate: accounts: %s\nTry 'imapgate accounts --help'.\n", what);
	return 2;
}

struct out_ctx {
	struct buf *b;
	struct json_object *arr; /* --json */
};

static void
row(const struct ops_account_status *s, void *ctx)
{
	struct out_ctx *o = ctx;
	char hostport[300];
	size_t i;

	if (o->arr != NULL) {
		struct json_object *j = json_object_new_object();
		struct json_object *warm = json_object_new_array();

		json_object_object_add(j, "name", json_object_new_string(s->cfg->name));
		json_object_object_add(j, "host", json_object_new_string(s->cfg->host));
		json_object_object_add(j, "port", json_object_new_int64(s->cfg->port));
		json_object_object_add(j, "posture",
				       json_object_new_string(posture_str(s->cfg->posture)));
		json_object_object_add(j, "warm_folders_config",
				       s->cfg->warm_folders != NULL
					       ? json_object_new_string(s->cfg->warm_folders)
					       : NULL);
		for (i = 0; i < s->n_warm; i++)
			json_object_array_add(warm, json_object_new_string(s->warm[i]));
		json_object_object_add(j, "warm_folders_recent", warm);
		json_object_object_add(j, "warm_folders_more",
				       json_object_new_boolean(s->warm_more));
		json_object_array_add(o->arr, j);
		return;
	}
	(void)snprintf(hostport, sizeof(hostport), "%s:%u", s->cfg->host, s->cfg->port);
	buf_appendf(o->b, "%-20s %-32s %-11s %s", s->cfg->name, hostport,
		    posture_str(s->cfg->posture),
		    s->cfg->warm_folders != NULL ? s->cfg->warm_folders : "(default)");
	buf_puts(o->b, " |");
	for (i = 0; i < s->n_warm; i++)
		buf_appendf(o->b, "%s%s", i > 0 ? ", " : " ", s->warm[i]);
	if (s->n_warm == 0)
		buf_puts(o->b, " -");
	if (s->warm_more)
		buf_puts(o->b, ", ...");
	buf_putc(o->b, '\n');
}

int
cli_accounts_main(int argc, char **argv, cli_config_fn config, void *ctx)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ig_config *cfg = NULL;
	struct ops_cache_facts cache;
	struct out_ctx o = {NULL, NULL};
	bool json = false;
	struct buf b;
	int ch;
	int rc;

	optind = 0; /* GNU: full re-initialisation; scanning starts after argv[0] */
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'h')
			return fputs(accounts_help, stdout) == EOF;
		else
			return usage("unknown option or missing argument");
	}
	if (optind != argc)
		return usage("accounts takes no arguments");
	if ((rc = config(ctx, NULL, &cfg)) != 0)
		return rc;
	buf_init(&b, OUT_MAX);
	o.b = &b;
	if (json)
		o.arr = json_object_new_array();
	else
		buf_appendf(&b, "%-20s %-32s %-11s %s | %s\n", "ACCOUNT", "SERVER", "POSTURE",
			    "WARM_FOLDERS", "SEARCHED IN THE LAST HOUR");
	rc = 1;
	if (ops_account_status(cfg, NULL, NULL, row, &o, &cache) != IG_OK) {
		(void)fputs("imapgate: accounts: out of memory\n", stderr);
		goto out;
	}
	if (json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "live", json_object_new_boolean(false));
		json_object_object_add(j, "cache_present", json_object_new_boolean(cache.present));
		json_object_object_add(j, "cache_readable",
				       json_object_new_boolean(cache.readable));
		json_object_object_add(j, "cache_bytes", json_object_new_int64(cache.bytes));
		json_object_object_add(j, "accounts", o.arr);
		o.arr = NULL;
		buf_puts(&b, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		buf_putc(&b, '\n');
		json_object_put(j);
	} else {
		buf_appendf(&b, "cache.db: %s, %lld bytes\n",
			    !cache.present    ? "absent"
			    : cache.readable ? "present"
					     : "present, not readable",
			    (long long)cache.bytes);
	}
	if (buf_err(&b) != IG_OK || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
		(void)fputs("imapgate: accounts: cannot write to standard output\n", stderr);
		goto out;
	}
	(void)fputs("(no live facts: this process has no account workers; the running server's "
		    "are at GET /admin/accounts)\n",
		    stderr);
	rc = 0;
out:
	json_object_put(o.arr);
	buf_free(&b);
	config_free(cfg);
	return rc;
}
