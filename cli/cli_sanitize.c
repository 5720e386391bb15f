/* `imapgate sanitize`: the content pipeline on a file or standard input, for
 * tests, operators and anyone evaluating the sanitizer. The output is the
 * object fetch_message returns; text hidden in Unicode tag characters (audit
 * material) goes to stderr with an "audit:" prefix, never to stdout. */
#include "cli/cli_sanitize.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/buf.h"
#include "base/limits.h"
#include "content/mime.h"
#include "content/msg.h"
#include "handlers/errors.h"

#define KNOWN_MAX 64 /* --known-domains entries */

static const char sanitize_help[] =
    "Usage: imapgate sanitize [--include-html] [--known-domains D1,D2] FILE|-\n"
    "Print the sanitized message (meta, untrusted, security_warnings) that\n"
    "fetch_message returns for FILE (or standard input with -).\n"
    "\n"
    "  --include-html        add untrusted.body_html (sanitized HTML)\n"
    "  --known-domains LIST  the account's known domains, for look-alike checks\n"
    "  -h, --help            this help\n";

/* Reads at most LIM_MIME_MESSAGE + 1 bytes: one more than allowed is enough
 * to know the message is too large. */
static int
read_all(const char *path, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		size_t take = n;

		if (b->len + take > LIM_MIME_MESSAGE + 1)
			take = LIM_MIME_MESSAGE + 1 - b->len;
		buf_append(b, chunk, take);
		if (b->len > LIM_MIME_MESSAGE || buf_err(b) != IG_OK)
			break;
	}
	if (ferror(f) != 0) {
		if (f != stdin)
			(void)fclose(f);
		return -1;
	}
	if (f != stdin)
		(void)fclose(f);
	return buf_err(b) == IG_OK ? 0 : -1;
}

/* The error as the MCP tools give it: the code from handlers/errors.c. */
static int
print_error(enum tool_err code, const char *message)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	int rc = 1;

	if (o == NULL || e == NULL) {
		json_object_put(o);
		json_object_put(e);
		return 1;
	}
	json_object_object_add(e, "code", json_object_new_string(tool_err_code(code)));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	if (puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE)) == EOF)
		rc = 1;
	json_object_put(o);
	return rc;
}

/* Splits a comma list in place into known[]; returns the count. */
static size_t
split_domains(char *list, const char **known)
{
	size_t n = 0;
	char *s = list, *comma;

	while (s != NULL && *s != '\0' && n < KNOWN_MAX) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		while (*s == ' ')
			s++;
		if (*s != '\0')
			known[n++] = s;
		s = comma != NULL ? comma + 1 : NULL;
	}
	return n;
}

int
cli_sanitize_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"include-html", no_argument, NULL, 'H'},
	    {"known-domains", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {"config", required_argument, NULL, 'c'}, /* global; unused here */
	    {NULL, 0, NULL, 0},
	};
	const char *known[KNOWN_MAX];
	struct content_opts co;
	struct json_object *out = NULL;
	struct buf raw, audit;
	const char *err_msg = NULL;
	enum ig_err err;
	int ch, rc = 1;

	memset(&co, 0, sizeof(co));
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+hc:", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			co.include_html = true;
			break;
		case 'k':
			co.n_known_domains = split_domains(optarg, known);
			co.known_domains = known;
			break;
		case 'c':
			break;
		case 'h':
			return fputs(sanitize_help, stdout) == EOF;
		default:
			(void)fputs("imapgate: unknown option or missing argument\n"
			            "Try 'imapgate sanitize --help'.\n",
			            stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		(void)fputs("imapgate: expected one FILE or -\n"
		            "Try 'imapgate sanitize --help'.\n",
		            stderr);
		return 2;
	}
	buf_init(&raw, LIM_MIME_MESSAGE + 1);
	buf_init(&audit, (size_t)64 * 1024);
	if (read_all(argv[optind], &raw) != 0) {
		(void)fprintf(stderr, "imapgate: cannot read %s\n", argv[optind]);
		goto out;
	}
	content_init(); /* counted by GMime: harmless when main already did it */
	err = msg_sanitize(buf_slice(&raw), &co, &out, &audit, &err_msg);
	content_shutdown();
	if (err == IG_ELIMIT) {
		rc = print_error(tool_err_from_ig(err),
		                 err_msg != NULL ? err_msg : "message too large");
		goto out;
	}
	if (err != IG_OK) {
		rc = print_error(tool_err_from_ig(err),
		                 err_msg != NULL ? err_msg : "the message could not be processed");
		goto out;
	}
	if (audit.len > 0)
		(void)fprintf(stderr, "audit: hidden tag-character text: %s", audit.p);
	rc = puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
	                                                  JSON_C_TO_STRING_NOSLASHESCAPE)) == EOF;
out:
	json_object_put(out);
	buf_free(&raw);
	buf_free(&audit);
	return rc;
}
