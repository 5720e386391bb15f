/* Tests imap/parse_skip.c through imap_parser_feed: for every response limit
 * of the parser (addresses, BODYSTRUCTURE depth and parts, '(' nesting, list
 * items, values, line length, literal size, literal count, response size),
 * one over-limit FETCH between two normal ones degrades only itself: the
 * stream goes on, the neighbours parse in full, the bad one comes out as a
 * FETCH with over_limit (and its UID), whole or fed in small pieces. Other
 * responses over a limit still fail the connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/limits.h"
#include "imap/parse.h"
#include "imap/parse_skip.h"

#define NORMAL_ENV                                                                                 \
	"ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700\" \"hello\" ((\"A\" NIL \"a\" \"x.org\")) "   \
	"NIL NIL ((NIL NIL \"b\" \"y.org\")) NIL NIL NIL \"<m@x.org>\")"

static void
normal(struct buf *b, unsigned seq, unsigned uid)
{
	buf_appendf(b,
	            "* %u FETCH (UID %u FLAGS (\\Seen) RFC822.SIZE 10 " NORMAL_ENV
	            " BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1))\r\n",
	            seq, uid);
}

static void
bad_addresses(struct buf *b)
{
	size_t i;

	buf_puts(b, "ENVELOPE (NIL \"s\" NIL NIL NIL (");
	for (i = 0; i <= LIM_IMAP_ADDRESSES; i++)
		buf_puts(b, "(NIL NIL \"u\" \"h.org\")");
	buf_puts(b, ") NIL NIL NIL NIL)");
}

static void
bad_depth(struct buf *b)
{
	size_t i;

	buf_puts(b, "BODYSTRUCTURE ");
	for (i = 0; i < LIM_IMAP_BODY_DEPTH + 2; i++)
		buf_putc(b, '(');
	buf_puts(b, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
	for (i = 0; i < LIM_IMAP_BODY_DEPTH + 2; i++)
		buf_puts(b, " \"MIXED\")");
}

static void
bad_parts(struct buf *b)
{
	size_t i;

	buf_puts(b, "BODYSTRUCTURE (");
	for (i = 0; i <= LIM_IMAP_BODY_PARTS; i++)
		buf_puts(b, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
	buf_puts(b, " \"MIXED\")");
}

static void
bad_nesting(struct buf *b)
{
	size_t i;

	buf_puts(b, "X-NEST ");
	for (i = 0; i <= LIM_IMAP_NEST; i++)
		buf_putc(b, '(');
	for (i = 0; i <= LIM_IMAP_NEST; i++)
		buf_putc(b, ')');
}

static void
bad_list(struct buf *b)
{
	size_t i;

	buf_puts(b, "X-LIST (");
	for (i = 0; i <= LIM_IMAP_LIST_ITEMS; i++)
		buf_puts(b, "a ");
	buf_puts(b, "a)");
}

static void
bad_values(struct buf *b)
{
	size_t i;

	/* lines kept short by literals, so only the value count is over */
	buf_puts(b, "X-VALUES (");
	for (i = 0; i <= LIM_IMAP_VALUES; i++) {
		buf_puts(b, "a ");
		if (i % 5000 == 4999)
			buf_puts(b, "{1}\r\nb ");
	}
	buf_puts(b, "a)");
}

static void
bad_line(struct buf *b)
{
	size_t i;

	/* a long Subject sent quoted, with a quote and CRLF-looking text */
	buf_puts(b, "ENVELOPE (NIL \"");
	for (i = 0; i < LIM_IMAP_LINE; i++)
		buf_putc(b, i % 1000 == 5 ? '{' : 'x');
	buf_puts(b, "\\\" {5}\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

static void
bad_literal(struct buf *b)
{
	size_t i;

	buf_appendf(b, "BODY[] {%zu}\r\n", LIM_IMAP_LITERAL + 1);
	for (i = 0; i <= LIM_IMAP_LITERAL; i++)
		buf_putc(b, i % 97 == 0 ? '\n' : 'y');
}

static void
bad_literals(struct buf *b)
{
	size_t i;

	buf_puts(b, "X-LITS (");
	for (i = 0; i <= LIM_IMAP_LITERALS; i++)
		buf_puts(b, "{1}\r\nz ");
	buf_puts(b, "z)");
}

static void
bad_response(struct buf *b)
{
	size_t i;
	size_t k;
	size_t each = LIM_IMAP_LITERAL - 1;

	/* literals each under their limit, together over the response cap */
	buf_puts(b, "X-BIG (");
	for (k = 0; k * each <= LIM_IMAP_RESPONSE; k++) {
		buf_appendf(b, "{%zu}\r\n", each);
		for (i = 0; i < each; i++)
			buf_putc(b, 'w');
		buf_putc(b, ' ');
	}
	buf_puts(b, "z)");
}

struct kind {
	const char *name;
	void (*gen)(struct buf *b);
	bool typed; /* the other items are still read */
};

static const struct kind kinds[] = {
    {"addresses", bad_addresses, true},     {"body depth", bad_depth, true},
    {"body parts", bad_parts, true},        {"nesting", bad_nesting, false},
    {"list items", bad_list, false},        {"values", bad_values, false},
    {"line length", bad_line, false},       {"literal size", bad_literal, false},
    {"literal count", bad_literals, false}, {"response size", bad_response, false},
};

struct seen {
	size_t n_fetch, n_tagged;
	uint32_t uid[3];
	bool over[3], env[3], flags[3];
	size_t n_to[3];
};

/* Feeds the stream in pieces of step bytes; false on a parse error. */
static bool
run(struct slice in, size_t step, struct seen *s)
{
	struct imap_parser *p = imap_parser_new(LIM_IMAP_RESPONSE);
	size_t pos = 0;
	bool ok = true;

	assert_non_null(p);
	memset(s, 0, sizeof(*s));
	while (pos < in.len && ok) {
		size_t end = in.len - pos < step ? in.len : pos + step;

		while (pos < end) {
			const struct imap_resp *r = NULL;
			const char *e = NULL;
			size_t used = 0;
			enum ig_err err = imap_parser_feed(p, in.p + pos, end - pos, &used, &r, &e);

			pos += used;
			if (err == IG_AGAIN)
				continue;
			if (err != IG_OK) {
				print_message("error %d: %s\n", (int)err, e != NULL ? e : "");
				ok = false;
				break;
			}
			if (r->kind == IMAP_RESP_TAGGED) {
				s->n_tagged++;
			} else if (r->type == IMAP_U_FETCH && s->n_fetch < 3) {
				s->uid[s->n_fetch] = r->u.fetch.has_uid ? r->u.fetch.uid : 0;
				s->over[s->n_fetch] = r->u.fetch.over_limit;
				s->env[s->n_fetch] = r->u.fetch.envelope != NULL;
				s->flags[s->n_fetch] = r->u.fetch.has_flags;
				s->n_to[s->n_fetch] =
				    r->u.fetch.envelope != NULL ? r->u.fetch.envelope->to.n : 0;
				s->n_fetch++;
			}
		}
	}
	imap_parser_free(p);
	return ok;
}

static void
test_every_limit(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct buf b;
		struct seen s;
		size_t steps[3] = {SIZE_MAX, 4093, 1};
		size_t t;

		buf_init(&b, 2 * LIM_IMAP_RESPONSE);
		normal(&b, 1, 5);
		buf_puts(&b, "* 2 FETCH (UID 6 FLAGS (\\Flagged) ");
		kinds[k].gen(&b);
		buf_puts(&b, ")\r\n");
		normal(&b, 3, 7);
		buf_puts(&b, "a1 OK done\r\n");
		assert_int_equal(buf_err(&b), IG_OK);
		for (t = 0; t < 3; t++) {
			if (steps[t] == 1 && b.len > 4 * 1024 * 1024)
				continue; /* byte at a time: the small cases */
			print_message("%s, pieces of %zu\n", kinds[k].name, steps[t]);
			assert_true(run(buf_slice(&b), steps[t], &s));
			assert_int_equal(s.n_fetch, 3);
			assert_int_equal(s.n_tagged, 1);
			assert_int_equal(s.uid[0], 5);
			assert_int_equal(s.uid[1], 6);
			assert_int_equal(s.uid[2], 7);
			assert_false(s.over[0]);
			assert_true(s.over[1]);
			assert_false(s.over[2]);
			assert_true(s.env[0] && s.env[2]);
			/* addresses: the envelope is kept, its list cut */
			assert_int_equal(s.env[1], kinds[k].gen == bad_addresses);
			if (kinds[k].gen == bad_addresses)
				assert_int_equal(s.n_to[1], LIM_IMAP_ADDRESSES);
			/* typed limits keep the other items; framing limits drop all */
			assert_int_equal(s.flags[1], kinds[k].typed);
		}
		buf_free(&b);
	}
}

static void
test_not_fetch_still_fails(void **state)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	const char *e;
	struct buf b;
	size_t used;
	size_t i;

	(void)state;
	buf_init(&b, 2 * LIM_IMAP_LINE);
	buf_puts(&b, "* LIST () \"/\" \"");
	for (i = 0; i < LIM_IMAP_LINE; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"\r\n");
	p = imap_parser_new(LIM_IMAP_RESPONSE);
	assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_ELIMIT);
	imap_parser_free(p);
	buf_free(&b);

	/* a skip is bounded: an announced literal past LIM_IMAP_SKIP fails */
	p = imap_parser_new(LIM_IMAP_RESPONSE);
	buf_init(&b, 256);
	buf_appendf(&b, "* 1 FETCH (UID 2 BODY[] {%zu}\r\n", LIM_IMAP_SKIP + 1);
	assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_ELIMIT);
	imap_parser_free(p);
	buf_free(&b);

	/* before login (a small cap) nothing is skipped */
	p = imap_parser_new(LIM_IMAP_PREAUTH_RESPONSE);
	assert_int_equal(
	    imap_parser_feed(p, "* 1 FETCH (UID 2 BODY[] {99999}\r\n", 33, &used, &r, &e),
	    IG_ELIMIT);
	imap_parser_free(p);
}

static void
test_skipped_malformed(void **state)
{
	static const char *const bad[] = {
	    "\0",         /* NUL */
	    "\r",         /* bare CR */
	    "\n",         /* bare LF */
	    "\"open\r\n", /* quoted string open at the end of the line */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct imap_parser *p = imap_parser_new(LIM_IMAP_RESPONSE);
		const struct imap_resp *r;
		const char *e;
		struct buf b;
		size_t used = 0;
		size_t pos = 0;
		enum ig_err err = IG_AGAIN;

		buf_init(&b, 4 * LIM_IMAP_LINE);
		buf_puts(&b, "* 9 FETCH (UID 3 X \"");
		for (size_t k = 0; k < LIM_IMAP_LINE; k++)
			buf_putc(&b, 'q');
		buf_puts(&b, "\" ");
		buf_append(&b, bad[i], i == 0 ? 1 : strlen(bad[i]));
		buf_puts(&b, " x)\r\n");
		while (pos < b.len && err == IG_AGAIN) {
			err = imap_parser_feed(p, b.p + pos, b.len - pos, &used, &r, &e);
			pos += used;
		}
		assert_int_equal(err, IG_EINVAL);
		imap_parser_free(p);
		buf_free(&b);
	}
}

static void
test_head(void **state)
{
	uint32_t seq = 0, uid = 0;
	bool has = true;

	(void)state;
	assert_true(imap_skip_fetch_head(SL_LIT("* 12 FETCH (UID 99 FLAGS"), &seq, &has, &uid));
	assert_int_equal(seq, 12);
	assert_true(has);
	assert_int_equal(uid, 99);
	assert_true(imap_skip_fetch_head(SL_LIT("* 12 fetch (FLAGS () UID 99)"), &seq, &has, &uid));
	assert_false(has);
	assert_false(imap_skip_fetch_head(SL_LIT("* 0 FETCH (UID 1)"), &seq, &has, &uid));
	assert_false(imap_skip_fetch_head(SL_LIT("* LIST (UID 1)"), &seq, &has, &uid));
	assert_false(imap_skip_fetch_head(SL_LIT("a1 OK FETCH (UID 1)"), &seq, &has, &uid));
	assert_false(imap_skip_fetch_head(SL_LIT("* 99999999999 FETCH (UID 1)"), &seq, &has, &uid));
	assert_true(imap_skip_fetch_head(SL_LIT("* 1 FETCH (UID 4294967296)"), &seq, &has, &uid));
	assert_false(has);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_head),
	    cmocka_unit_test(test_every_limit),
	    cmocka_unit_test(test_not_fetch_still_fails),
	    cmocka_unit_test(test_skipped_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
