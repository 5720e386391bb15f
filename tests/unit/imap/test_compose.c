/* Tests for imap/compose.c: address and header-text validation, recipient
 * patterns, CRLF normalization, the composed message (no injection path,
 * no Bcc, CRLF only, short lines), reply threading from hostile headers
 * (every prefix of the input, one byte at a time) and Re: handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "content/mime.h"
#include "imap/compose.h"

static void
test_address(void **state)
{
	static const char *const good[] = {"a@b.c", "first.last+tag@example.com",
					   "x_y-z!#$%&'*/=?^`{|}~@sub-1.example.org", "a@localhost"};
	static const char *const bad[] = {
		"", "@b.c", "a@", "a", "a@@b.c", ".a@b.c", "a.@b.c", "a..b@b.c", "a b@b.c",
		"\"q\"@b.c", "a@b..c", "a@-b.c", "a@b-.c", "a@[127.0.0.1]", "a@b.c\r\nBcc: x@y.z",
		"a@b.c\n", "a@b.c, e@f.g", "<a@b.c>", "a@b.c>", "ü@b.c", "a@bü.c", "a@b_c.d",
		"a(comment)@b.c"};
	char longlocal[80];
	char longaddr[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(compose_address_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(compose_address_valid(bad[i]));
	memset(longlocal, 'a', 65);
	memcpy(longlocal + 65, "@b.c", 5);
	assert_false(compose_address_valid(longlocal));
	memset(longaddr, 'a', 10);
	longaddr[10] = '@';
	for (i = 11; i < 260; i += 2) {
		longaddr[i] = 'b';
		longaddr[i + 1] = '.';
	}
	memcpy(longaddr + 260, "cc", 3);
	assert_false(compose_address_valid(longaddr));
	assert_false(compose_address_valid(NULL));
}

static void
test_header_text(void **state)
{
	(void)state;
	assert_true(compose_header_text_valid("Quarterly numbers ✓ — Straße", 900));
	assert_true(compose_header_text_valid("", 900));
	assert_false(compose_header_text_valid("a\r\nBcc: x@y.z", 900));
	assert_false(compose_header_text_valid("a\nb", 900));
	assert_false(compose_header_text_valid("a\rb", 900));
	assert_false(compose_header_text_valid("a\tb", 900));
	assert_false(compose_header_text_valid("a\x7f", 900));
	assert_false(compose_header_text_valid("a\xc2\x85z", 900)); /* NEL (C1) */
	assert_false(compose_header_text_valid("a\xe2\x80\xa8z", 900)); /* U+2028 */
	assert_false(compose_header_text_valid("a\xe2\x80\xa9z", 900)); /* U+2029 */
	assert_false(compose_header_text_valid("\xff\xfe", 900));
	assert_false(compose_header_text_valid("\xe2\x80", 900)); /* truncated */
	assert_false(compose_header_text_valid("abcdef", 5));
	assert_true(compose_header_text_valid("abcde", 5));
}

static void
test_patterns(void **state)
{
	const char *p = "*@Example.com, partner@example.org ,x@y.z";

	(void)state;
	assert_true(compose_patterns_valid(p));
	assert_true(compose_rcpt_allowed(p, "anyone@example.com"));
	assert_true(compose_rcpt_allowed(p, "anyone@EXAMPLE.COM"));
	assert_true(compose_rcpt_allowed(p, "Partner@Example.org"));
	assert_true(compose_rcpt_allowed(p, "x@y.z"));
	assert_false(compose_rcpt_allowed(p, "anyone@sub.example.com"));
	assert_false(compose_rcpt_allowed(p, "anyone@example.com.evil.net"));
	assert_false(compose_rcpt_allowed(p, "other@example.org"));
	assert_false(compose_rcpt_allowed(p, "partner@example.org.evil"));
	assert_false(compose_rcpt_allowed(NULL, "a@b.c"));
	assert_false(compose_patterns_valid("*"));
	assert_false(compose_patterns_valid("*@"));
	assert_false(compose_patterns_valid("a@b.c,,d@e.f"));
	assert_false(compose_patterns_valid("*.example.com"));
	assert_false(compose_patterns_valid("a@b.c\nd@e.f"));
}

static void
test_crlf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	compose_crlf("a\nb\rc\r\nd\n\re", 11, &b);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.p, "a\r\nb\r\nc\r\nd\r\n\r\ne", 15);
	buf_free(&b);
}

/* No bare CR or LF, no line over 998 bytes, headers end at the first empty
 * line. */
static void
assert_wire_clean(const struct buf *b)
{
	size_t i;
	size_t line = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\r') {
			assert_true(i + 1 < b->len && b->p[i + 1] == '\n');
			i++;
			line = 0;
			continue;
		}
		assert_true(b->p[i] != '\n');
		assert_true(++line <= 998);
	}
}

/* The header block (up to the empty line), NUL-terminated, heap. */
static char *
headers_of(const struct buf *b)
{
	const char *e = memmem(b->p, b->len, "\r\n\r\n", 4);

	assert_non_null(e);
	return strndup(b->p, (size_t)(e - b->p) + 2);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_build(void **state)
{
	struct compose_addr to[] = {{"Evil\" <evil@x.y>, \"Z", "bob@example.test"},
				    {"Ünïcødé Name", "u@example.test"}};
	struct compose_addr cc[] = {{NULL, "carol@example.test"}};
	struct compose_in in = {0};
	char msgid[LIM_SEND_MSGID + 1];
	const char *error = NULL;
	struct buf b;
	char *h;
	char longline[3000];

	(void)state;
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	in.from_address = "alice@example.test";
	in.to = to;
	in.n_to = 2;
	in.cc = cc;
	in.n_cc = 1;
	in.subject = "Numbers =?utf-8?q?fake?= ✓";
	in.body_text = longline;
	in.date = 1700000000;
	buf_init(&b, LIM_SEND_MESSAGE);
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_OK);
	assert_wire_clean(&b);
	h = headers_of(&b);
	assert_non_null(strstr(h, "From: alice@example.test\r\n"));
	assert_int_equal(count(h, "\r\nTo:"), 1);
	assert_int_equal(count(h, "\r\nCc:"), 1);
	assert_null(strcasestr(h, "\r\nBcc:"));
	/* the hostile name stays one quoted display name of one mailbox */
	assert_non_null(strstr(h, "\r\nTo: \"Evil\\\" <evil@x.y>, \\\"Z\" <bob@example.test>,"));
	assert_null(strstr(h, "\r\n<evil"));
	assert_non_null(strstr(h, "charset=utf-8"));
	assert_non_null(strstr(h, "Content-Transfer-Encoding: quoted-printable"));
	assert_true(strncmp(msgid, "<", 1) == 0);
	assert_non_null(strstr(msgid, "@example.test>"));
	assert_non_null(strstr(h, msgid));
	free(h);
	buf_free(&b);

	/* ASCII short lines: 7bit; body dots untouched (curl stuffs) */
	in.body_text = "one\n.\ntwo\r.\r\n..three";
	in.subject = "plain";
	buf_init(&b, LIM_SEND_MESSAGE);
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_OK);
	assert_wire_clean(&b);
	assert_non_null(memmem(b.p, b.len, "\r\n\r\none\r\n.\r\ntwo\r\n.\r\n..three", 27));
	assert_non_null(memmem(b.p, b.len, "Content-Transfer-Encoding: 7bit", 31));
	buf_free(&b);

	/* refusals */
	buf_init(&b, LIM_SEND_MESSAGE);
	in.subject = "a\r\nBcc: x@y.z";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	in.subject = "ok";
	to[0].name = "x\nBcc: y@z.w";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	to[0].name = NULL;
	to[0].address = "bob@example.test\r\nBcc: y@z.w";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	to[0].address = "bob@example.test";
	in.in_reply_to = "<a@b>\r\nX: y";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	in.in_reply_to = NULL;
	in.references = "<a@b>  <c@d>";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	in.references = NULL;
	in.body_text = "\xff";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	in.body_text = "ok";
	in.n_to = in.n_cc = 0;
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	in.n_to = 1;
	in.from_address = "alice";
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_build_limit(void **state)
{
	struct compose_addr to[] = {{NULL, "bob@example.test"}};
	struct compose_in in = {0};
	char msgid[LIM_SEND_MSGID + 1];
	const char *error = NULL;
	struct buf b;

	(void)state;
	in.from_address = "alice@example.test";
	in.to = to;
	in.n_to = 1;
	in.subject = "s";
	in.body_text = "hello";
	in.date = 1700000000;
	buf_init(&b, 100);
	assert_int_equal(compose_build(&in, &b, msgid, &error), IG_ELIMIT);
	buf_free(&b);
}

static void
test_reply_ids(void **state)
{
	static const char hdr[] =
		"Subject: =?utf-8?q?Re=3A_hello_=E2=9C=93?=\r\n"
		"References: <r1@x.y> junk <bad id@x> <r2@x.y>\r\n"
		" <p@x.y>\r\n"
		"Message-ID: <p@x.y>\r\n"
		"\r\n";
	char *irt = NULL;
	char *refs = NULL;
	char *subj = NULL;
	char *re;
	size_t n;

	(void)state;
	assert_int_equal(compose_reply_ids((struct slice){hdr, sizeof(hdr) - 1}, &irt, &refs, &subj),
			 IG_OK);
	assert_string_equal(irt, "<p@x.y>");
	assert_string_equal(refs, "<r1@x.y> <r2@x.y> <p@x.y>");
	assert_string_equal(subj, "Re: hello ✓");
	re = compose_reply_subject(subj);
	assert_string_equal(re, "Re: hello ✓");
	free(re);
	free(irt);
	free(refs);
	free(subj);

	/* every prefix, one byte more each time: never a crash, and an id
	 * only once the Message-ID line is complete */
	for (n = 0; n <= sizeof(hdr) - 1; n++) {
		char *cut = malloc(n + 1);
		enum ig_err e;

		memcpy(cut, hdr, n);
		e = compose_reply_ids((struct slice){cut, n}, &irt, &refs, &subj);
		assert_true(e == IG_OK || e == IG_ENOTFOUND);
		if (e == IG_OK) {
			assert_string_equal(irt, "<p@x.y>");
			free(irt);
			free(refs);
			free(subj);
		}
		free(cut);
	}

	/* hostile: no Message-ID, controls in Subject, too many references */
	{
		static const char h2[] = "Subject: a\x01\x1b[31mb\r\n\r\n";
		struct buf b;
		size_t i;

		assert_int_equal(compose_reply_ids((struct slice){h2, sizeof(h2) - 1}, &irt, &refs,
						   &subj),
				 IG_ENOTFOUND);
		buf_init(&b, 1 << 20);
		buf_puts(&b, "Subject: a\x1b[31m\r\nReferences:");
		for (i = 0; i < 500; i++)
			buf_appendf(&b, " <id%zu@x.y>", i);
		buf_puts(&b, "\r\nMessage-ID: <p@x.y>\r\n\r\n");
		assert_int_equal(compose_reply_ids(buf_slice(&b), &irt, &refs, &subj), IG_OK);
		assert_int_equal(count(refs, "<"), LIM_SEND_REFERENCES);
		assert_non_null(strstr(refs, "<id499@x.y> <p@x.y>"));
		assert_null(strchr(subj, '\x1b'));
		free(irt);
		free(refs);
		free(subj);
		buf_free(&b);
	}
}

static void
test_reply_subject(void **state)
{
	static const char *const in[][2] = {
		{"hello", "Re: hello"},	      {"Re: hello", "Re: hello"},
		{"RE: re: Re:hello", "Re: hello"}, {"Re : hello", "Re: hello"},
		{"Reply", "Re: Reply"},	      {"", "Re: "},
		{"Aw: x", "Re: Aw: x"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *s = compose_reply_subject(in[i][0]);

		assert_string_equal(s, in[i][1]);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),	  cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_patterns),  cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_build),	  cmocka_unit_test(test_build_limit),
		cmocka_unit_test(test_reply_ids), cmocka_unit_test(test_reply_subject),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	content_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	content_shutdown();
	return rc;
}
