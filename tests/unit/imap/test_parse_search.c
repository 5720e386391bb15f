/* Tests imap/parse_search.c through the parser's public API (imap/parse.h):
 * SEARCH and ESEARCH lines far over LIM_IMAP_LINE, fed whole and one byte at
 * a time, give every number / range; their bounds are on the count, not
 * the line; malformed bodies are typed errors; the response after a long
 * one parses as usual. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/limits.h"
#include "imap/parse.h"

/* Feeds in[0..len) in pieces of step bytes (0: whole) and calls fn for each
 * response; returns the final status (IG_AGAIN: input ended mid-response). */
static enum ig_err
feed(struct imap_parser *p, const char *in, size_t len, size_t step,
     void (*fn)(const struct imap_resp *r, void *ctx), void *ctx, const char **err_r)
{
	size_t pos = 0;
	enum ig_err e = IG_AGAIN;

	while (pos < len) {
		size_t piece = step == 0 || len - pos < step ? len - pos : step;
		size_t used = 0;
		const struct imap_resp *r = NULL;

		e = imap_parser_feed(p, in + pos, piece, &used, &r, err_r);
		assert_true(used <= piece);
		pos += used;
		if (e == IG_OK) {
			fn(r, ctx);
			continue;
		}
		if (e != IG_AGAIN)
			return e;
		assert_int_equal(used, piece);
	}
	return e;
}

struct seen {
	size_t n_resp;
	size_t n_search, n_esearch, n_tagged;
	/* copies (the parser's views end at the next feed) */
	uint32_t *nums;
	size_t n_nums;
	uint64_t modseq;
	struct buf all;
	char tag[64];
	bool uid, has_count, has_min, has_max;
	uint32_t count, min, max;
};

static void
on_resp(const struct imap_resp *r, void *ctx)
{
	struct seen *s = ctx;

	s->n_resp++;
	if (r->kind == IMAP_RESP_TAGGED) {
		s->n_tagged++;
		return;
	}
	if (r->type == IMAP_U_SEARCH) {
		s->n_search++;
		s->nums = realloc(s->nums, (r->u.search.n + 1) * sizeof(*s->nums));
		assert_non_null(s->nums);
		if (r->u.search.n > 0)
			memcpy(s->nums, r->u.search.nums, r->u.search.n * sizeof(*s->nums));
		s->n_nums = r->u.search.n;
		s->modseq = r->u.search.modseq;
	} else if (r->type == IMAP_U_ESEARCH) {
		const struct imap_esearch *e = &r->u.esearch;

		s->n_esearch++;
		buf_reset(&s->all);
		buf_append(&s->all, e->all.p, e->all.len);
		assert_true(e->tag.len < sizeof(s->tag));
		memcpy(s->tag, e->tag.p != NULL ? e->tag.p : "", e->tag.len);
		s->tag[e->tag.len] = '\0';
		s->uid = e->uid;
		s->has_count = e->has_count;
		s->count = e->count;
		s->has_min = e->has_min;
		s->min = e->min;
		s->has_max = e->has_max;
		s->max = e->max;
		s->modseq = e->modseq;
	}
}

static void
seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->all, 64 * 1024 * 1024);
}

static void
seen_free(struct seen *s)
{
	free(s->nums);
	buf_free(&s->all);
}

/* "* SEARCH 1 3 5 ... (MODSEQ 42)" with n numbers, then a tagged OK. */
static char *
big_search(size_t n, bool modseq, size_t *len_r)
{
	struct buf b;

	buf_init(&b, 256 * 1024 * 1024);
	buf_puts(&b, "* SEARCH");
	for (size_t i = 0; i < n; i++)
		buf_appendf(&b, " %zu", 2 * i + 1);
	if (modseq)
		buf_puts(&b, " (MODSEQ 42)");
	buf_puts(&b, "\r\nA1 OK done\r\n");
	assert_int_equal(buf_err(&b), IG_OK);
	*len_r = b.len;
	return buf_take(&b);
}

static void
test_search_long_line(void **state)
{
	/* 50,000 hits: ~330 KB on one line, five times LIM_IMAP_LINE */
	static const size_t steps[] = {0, 1, 7, 4096};
	size_t len;
	char *in = big_search(50000, true, &len);

	(void)state;
	assert_true(len > 4 * LIM_IMAP_LINE);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct imap_parser *p = imap_parser_new(0);
		struct seen s;
		const char *e = NULL;

		seen_init(&s);
		assert_int_equal(feed(p, in, len, steps[k], on_resp, &s, &e), IG_OK);
		assert_int_equal(s.n_search, 1);
		assert_int_equal(s.n_tagged, 1);
		assert_int_equal(s.n_nums, 50000);
		for (size_t i = 0; i < s.n_nums; i++)
			assert_int_equal(s.nums[i], 2 * i + 1);
		assert_true(s.modseq == 42);
		seen_free(&s);
		imap_parser_free(p);
	}
	free(in);
}

static void
test_esearch_long_set(void **state)
{
	/* every other message: 50,000 single-number elements, then ranges */
	static const size_t steps[] = {0, 1, 13};
	struct buf b;
	struct buf want;

	(void)state;
	buf_init(&b, 64 * 1024 * 1024);
	buf_init(&want, 64 * 1024 * 1024);
	buf_puts(&b, "* ESEARCH (TAG \"A7\") UID COUNT 50010 MIN 1 XFOO (1 (\"a b\") 2) ALL ");
	for (size_t i = 0; i < 50000; i++)
		buf_appendf(&want, "%s%zu", i > 0 ? "," : "", 2 * i + 1);
	buf_puts(&want, ",200001:200010");
	buf_append(&b, want.p, want.len);
	buf_puts(&b, " MAX 200010 MODSEQ 77\r\n* 3 EXISTS\r\n");
	assert_int_equal(buf_err(&b), IG_OK);
	assert_true(b.len > 4 * LIM_IMAP_LINE);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct imap_parser *p = imap_parser_new(0);
		struct seen s;
		const char *e = NULL;

		seen_init(&s);
		assert_int_equal(feed(p, b.p, b.len, steps[k], on_resp, &s, &e), IG_OK);
		assert_int_equal(s.n_esearch, 1);
		assert_int_equal(s.n_resp, 2);
		assert_string_equal(s.tag, "A7");
		assert_true(s.uid);
		assert_true(s.has_count && s.count == 50010);
		assert_true(s.has_min && s.min == 1);
		assert_true(s.max == 200010);
		assert_true(s.modseq == 77);
		assert_int_equal(s.all.len, want.len);
		assert_memory_equal(s.all.p, want.p, want.len);
		seen_free(&s);
		imap_parser_free(p);
	}
	buf_free(&b);
	buf_free(&want);
}

/* Canonical forms and the small cases, each fed at every split point. */
static void
test_search_small_cases(void **state)
{
	static const struct {
		const char *in;
		size_t n_nums;
		const char *all; /* ESEARCH: canonical ALL */
	} cases[] = {
		{"* SEARCH\r\n", 0, NULL},
		{"* SEARCH \r\n", 0, NULL},
		{"* search 7\r\n", 1, NULL},
		{"* SEARCH 2 84 882\r\n", 3, NULL},
		{"* SEARCH 2 5 (MODSEQ 917162500)\r\n", 2, NULL},
		{"* ESEARCH\r\n", 0, ""},
		{"* ESEARCH (TAG \"A285\") UID COUNT 0\r\n", 0, ""},
		{"* ESEARCH UID ALL 007,9:12,4:2\r\n", 0, "7,9:12,4:2"},
		{"* ESEARCH (TAG A1) ALL 1\r\n", 0, "1"},
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t len = strlen(cases[c].in);

		for (size_t step = 0; step <= len; step++) {
			struct imap_parser *p = imap_parser_new(0);
			struct seen s;
			const char *e = NULL;

			seen_init(&s);
			assert_int_equal(feed(p, cases[c].in, len, step, on_resp, &s, &e), IG_OK);
			assert_int_equal(s.n_resp, 1);
			assert_int_equal(s.n_nums, cases[c].n_nums);
			if (cases[c].all != NULL) {
				assert_int_equal(s.n_esearch, 1);
				assert_int_equal(s.all.len, strlen(cases[c].all));
				assert_memory_equal(s.all.p, cases[c].all, s.all.len);
			} else {
				assert_int_equal(s.n_search, 1);
			}
			seen_free(&s);
			imap_parser_free(p);
		}
	}
}

static void
test_search_malformed(void **state)
{
	static const char *const bad[] = {
		"* SEARCH 0\r\n",
		"* SEARCH 1 x\r\n",
		"* SEARCH -1\r\n",
		"* SEARCH 4294967296\r\n",
		"* SEARCH 1 (MODSEQ)\r\n",
		"* SEARCH 1 (MODSEQ 5\r\n",
		"* SEARCH (MODSEQ 5) 7\r\n",
		"* SEARCH 1 \"2\"\r\n",
		"* SEARCH 1 {2}\r\n",
		"* SEARCH 1\r2\r\n",
		"* SEARCH 1\n",
		"* SEARCH 1 2*\r\n",
		"* ESEARCH ALL\r\n",
		"* ESEARCH ALL 1,,2\r\n",
		"* ESEARCH ALL ,1\r\n",
		"* ESEARCH ALL 1,\r\n",
		"* ESEARCH ALL 1:*\r\n",
		"* ESEARCH ALL 0:3\r\n",
		"* ESEARCH ALL 1 ALL 2\r\n",
		"* ESEARCH COUNT\r\n",
		"* ESEARCH COUNT x\r\n",
		"* ESEARCH MIN 4294967296\r\n",
		"* ESEARCH (TAG \"a\"x) ALL 1\r\n",
		"* ESEARCH (TAG \"a\r\n",
		"* ESEARCH (TAG \"a\\x\") ALL 1\r\n",
		"* ESEARCH (FOO \"a\")\r\n",
		"* ESEARCH UID UID\r\n",
		"* ESEARCH XFOO (1 2\r\n",
	};

	(void)state;
	for (size_t c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
		size_t len = strlen(bad[c]);

		for (size_t step = 0; step <= 1; step++) {
			struct imap_parser *p = imap_parser_new(0);
			struct seen s;
			const char *e = NULL;
			enum ig_err r;

			seen_init(&s);
			r = feed(p, bad[c], len, step, on_resp, &s, &e);
			if (r != IG_EINVAL)
				print_error("case %zu (%s): %d\n", c, bad[c], (int)r);
			assert_int_equal(r, IG_EINVAL);
			assert_non_null(e);
			assert_int_equal(s.n_resp, 0);
			seen_free(&s);
			imap_parser_free(p);
		}
	}
	/* a NUL (strlen would stop at it) */
	{
		static const char nul[] = "* SEARCH 1 2\0 3\r\n";
		struct imap_parser *p = imap_parser_new(0);
		struct seen s;
		const char *e = NULL;

		seen_init(&s);
		assert_int_equal(feed(p, nul, sizeof(nul) - 1, 1, on_resp, &s, &e), IG_EINVAL);
		seen_free(&s);
		imap_parser_free(p);
	}
}

/* The bounds are on what the line carries: a token, the count, the
 * response-size cap; never the line as such. */
static void
test_search_bounds(void **state)
{
	struct buf b;
	struct imap_parser *p;
	struct seen s;
	const char *e = NULL;
	size_t len;
	char *in;

	(void)state;
	/* a token of LIM_IMAP_SEARCH_TOKEN + 1 bytes */
	buf_init(&b, 4096);
	buf_puts(&b, "* SEARCH 1 ");
	for (size_t i = 0; i <= LIM_IMAP_SEARCH_TOKEN; i++)
		buf_putc(&b, '1');
	buf_puts(&b, "\r\n");
	p = imap_parser_new(0);
	seen_init(&s);
	assert_int_equal(feed(p, b.p, b.len, 0, on_resp, &s, &e), IG_ELIMIT);
	seen_free(&s);
	imap_parser_free(p);
	buf_free(&b);

	/* one number more than LIM_IMAP_SEARCH_NUMS */
	buf_init(&b, (size_t)LIM_IMAP_RESPONSE);
	buf_puts(&b, "* SEARCH");
	for (size_t i = 0; i <= LIM_IMAP_SEARCH_NUMS; i++)
		buf_puts(&b, " 1");
	buf_puts(&b, "\r\n");
	assert_int_equal(buf_err(&b), IG_OK);
	p = imap_parser_new(0);
	seen_init(&s);
	assert_int_equal(feed(p, b.p, b.len, 0, on_resp, &s, &e), IG_ELIMIT);
	assert_int_equal(s.n_resp, 0);
	seen_free(&s);
	imap_parser_free(p);
	/* exactly LIM_IMAP_SEARCH_NUMS is fine */
	b.len -= 4;
	buf_puts(&b, "\r\n");
	p = imap_parser_new(0);
	seen_init(&s);
	assert_int_equal(feed(p, b.p, b.len, 0, on_resp, &s, &e), IG_OK);
	assert_int_equal(s.n_nums, LIM_IMAP_SEARCH_NUMS);
	seen_free(&s);
	imap_parser_free(p);
	buf_free(&b);

	/* the parser's response cap still holds (before login: 64 KiB) */
	in = big_search(50000, false, &len);
	p = imap_parser_new(LIM_IMAP_PREAUTH_RESPONSE);
	seen_init(&s);
	assert_int_equal(feed(p, in, len, 1000, on_resp, &s, &e), IG_ELIMIT);
	assert_int_equal(s.n_resp, 0);
	seen_free(&s);
	imap_parser_free(p);
	free(in);

	/* other responses keep the line limit */
	buf_init(&b, 4 * LIM_IMAP_LINE);
	buf_puts(&b, "* SEARCHX");
	for (size_t i = 0; i < LIM_IMAP_LINE / 2; i++)
		buf_puts(&b, " 1");
	buf_puts(&b, "\r\n");
	p = imap_parser_new(0);
	seen_init(&s);
	assert_int_equal(feed(p, b.p, b.len, 0, on_resp, &s, &e), IG_ELIMIT);
	seen_free(&s);
	imap_parser_free(p);
	buf_free(&b);
}

/* A forged tagged OK inside the ESEARCH correlator string does not end the
 * command (it stays a string), and one parser serves many big responses. */
static void
test_search_sequence(void **state)
{
	static const char forged[] = "* ESEARCH (TAG \"A1 OK x\") ALL 1:3\r\nA1 OK done\r\n";
	struct imap_parser *p = imap_parser_new(0);
	struct seen s;
	const char *e = NULL;
	size_t len;
	char *in = big_search(20000, false, &len);

	(void)state;
	seen_init(&s);
	assert_int_equal(feed(p, forged, sizeof(forged) - 1, 1, on_resp, &s, &e), IG_OK);
	assert_string_equal(s.tag, "A1 OK x");
	assert_int_equal(s.n_tagged, 1);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(feed(p, in, len, 997, on_resp, &s, &e), IG_OK);
		assert_int_equal(s.n_nums, 20000);
		assert_int_equal(s.nums[19999], 39999);
	}
	assert_int_equal(s.n_tagged, 4);
	seen_free(&s);
	imap_parser_free(p);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_long_line),
		cmocka_unit_test(test_esearch_long_set),
		cmocka_unit_test(test_search_small_cases),
		cmocka_unit_test(test_search_malformed),
		cmocka_unit_test(test_search_bounds),
		cmocka_unit_test(test_search_sequence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
