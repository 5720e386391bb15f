/* Tests content/mime.c: the smuggling scrub, structural limits, RFC 2047 and
 * RFC 2231 decoding, charsets, addresses, list headers, attachments and type
 * sniffing. */
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
#include "base/utf8.h"
#include "content/mime.h"
#include "content/warn.h"

struct parsed {
	struct mime_msg m;
	struct warn_list w;
	enum ig_err err;
};

static void
parse(const char *raw, struct parsed *p)
{
	const char *msg = NULL;

	warn_list_init(&p->w);
	p->err = mime_parse(sl_from_cstr(raw), &p->m, &p->w, &msg);
	if (p->err != IG_OK)
		assert_non_null(msg);
}

static void
parsed_free(struct parsed *p)
{
	mime_msg_free(&p->m);
	warn_list_free(&p->w);
}

static char *
hdr_decode(const char *raw)
{
	struct buf b;

	buf_init(&b, 4096);
	mime_header_decode(sl_from_cstr(raw), &b, NULL);
	assert_int_equal(buf_err(&b), IG_OK);
	return b.p != NULL ? buf_take(&b) : strdup("");
}

static void
test_rfc2047(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"=?utf-8?Q?caf=C3=A9?= =?utf-8?B?w6k=?=", "caféé"},
	    /* One character split over two words: joined before converting. */
	    {"=?utf-8?B?4oI=?=\r\n =?utf-8?B?rA==?=", "€"},
	    {"a =?iso-8859-1?q?=E9t=E9?= b", "a été b"},
	    {"=?ISO-8859-2?Q?=B1?=", "ą"},
	    {"=?koi8-r?B?8NLJ18XU?=", "Привет"},
	    {"=?Shift_JIS?B?grGC8YLJgr+CzQ==?=", "こんにちは"},
	    {"=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"},
	    {"=?utf-8*en?Q?hi?=", "hi"},
	    {"=?utf-8?Q?a_b?=", "a b"},
	    {"not =?encoded", "not =?encoded"},
	    {"=?utf-8?Q?with space?=", "=?utf-8?Q?with space?="},
	    {"=?utf-8?Q?line=0Abreak?=", "line break"},
	    {"  folded\r\n\tvalue  ", "folded value"},
	    {"=?utf-8?B?w6k=?=x", "éx"},
	    {"caf\xc3\xa9", "café"},
	    {"caf\xe9", "café"}, /* raw 8-bit, not UTF-8: windows-1252 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = hdr_decode(cases[i].in);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got '%s' want '%s'", i, got, cases[i].want);
		free(got);
	}
}

static void
test_unknown_charset(void **state)
{
	struct buf b;
	bool unknown = false;

	(void)state;
	buf_init(&b, 256);
	mime_header_decode(SL_LIT("=?x-klingon?Q?abc?="), &b, &unknown);
	assert_true(unknown);
	assert_string_equal(b.p, "abc");
	buf_free(&b);
}

static void
test_smuggling_spanning_word(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: alice@example.com\r\nTo: bob@example.com\r\n"
	      "Subject: =?utf-8?B?hello\r\nBcc: victim@example.com\r\n?=\r\n"
	      "Content-Type: text/plain\r\n\r\nbody text\r\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_true(warn_has(&p.w, "parse_header_smuggling_blocked"));
	assert_null(p.m.subject);
	assert_int_equal(p.m.n_headers_dropped, 3);
	assert_non_null(strstr(p.m.text_plain.p, "body text"));
	assert_int_equal(p.m.from.n, 1);
	parsed_free(&p);
}

static void
test_smuggling_decoded_crlf(void **state)
{
	struct parsed p;

	(void)state;
	/* "x\r\nBcc: v@e.com" in base64 */
	parse("From: a@example.com\nSubject: =?utf-8?B?eA0KQmNjOiB2QGUuY29t?=\n\nhi\n", &p);
	assert_int_equal(p.err, IG_OK);
	assert_true(warn_has(&p.w, "parse_header_smuggling_blocked"));
	assert_null(p.m.subject);
	parsed_free(&p);
	/* A Q-encoded NUL as well. */
	parse("From: a@example.com\nSubject: =?utf-8?Q?a=00b?=\n\nhi\n", &p);
	assert_true(warn_has(&p.w, "parse_header_smuggling_blocked"));
	parsed_free(&p);
	/* Harmless words in several headers are kept. */
	parse("From: =?utf-8?Q?J=C3=B6rg?= <j@example.com>\nSubject: =?utf-8?Q?ok?=\n\nhi\n", &p);
	assert_false(warn_has(&p.w, "parse_header_smuggling_blocked"));
	assert_string_equal(p.m.subject, "ok");
	assert_string_equal(p.m.from.v[0].name, "Jörg");
	parsed_free(&p);
}

static char *
nested(size_t depth)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "From: a@example.com\n");
	for (i = 0; i < depth; i++)
		buf_appendf(&b, "Content-Type: multipart/mixed; boundary=\"B%zu\"\n\n--B%zu\n", i,
		            i);
	buf_puts(&b, "Content-Type: text/plain\n\ninner\n");
	for (i = depth; i > 0; i--)
		buf_appendf(&b, "--B%zu--\n", i - 1);
	return buf_take(&b);
}

static void
test_depth_limit(void **state)
{
	struct parsed p;
	char *raw;

	(void)state;
	raw = nested(LIM_MIME_DEPTH);
	parse(raw, &p);
	assert_int_equal(p.err, IG_OK);
	assert_non_null(strstr(p.m.text_plain.p, "inner"));
	parsed_free(&p);
	free(raw);
	raw = nested(LIM_MIME_DEPTH + 1);
	parse(raw, &p);
	assert_int_equal(p.err, IG_ELIMIT);
	parsed_free(&p);
	free(raw);
}

static char *
many_parts(size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "From: a@example.com\nContent-Type: multipart/mixed; boundary=X\n\n");
	for (i = 0; i < n; i++)
		buf_appendf(&b, "--X\nContent-Type: text/plain\n\npart %zu\n", i);
	buf_puts(&b, "--X--\n");
	return buf_take(&b);
}

static void
test_part_limit(void **state)
{
	struct parsed p;
	char *raw;

	(void)state;
	raw = many_parts(LIM_MIME_PARTS - 1); /* plus the multipart itself */
	parse(raw, &p);
	assert_int_equal(p.err, IG_OK);
	assert_int_equal(p.m.n_plain, LIM_MIME_PARTS - 1);
	parsed_free(&p);
	free(raw);
	raw = many_parts(LIM_MIME_PARTS);
	parse(raw, &p);
	assert_int_equal(p.err, IG_ELIMIT);
	parsed_free(&p);
	free(raw);
	raw = many_parts(100000); /* refused by the pre-scan, before GMime */
	parse(raw, &p);
	assert_int_equal(p.err, IG_ELIMIT);
	parsed_free(&p);
	free(raw);
}

static void
test_header_limit(void **state)
{
	struct parsed p;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < LIM_MIME_HEADERS + 1; i++)
		buf_appendf(&b, "X-H%zu: v\n", i);
	buf_puts(&b, "\nbody\n");
	parse(b.p, &p);
	assert_int_equal(p.err, IG_ELIMIT);
	parsed_free(&p);
	/* In a part. */
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=X\n\n--X\n");
	for (i = 0; i < LIM_MIME_HEADERS + 1; i++)
		buf_appendf(&b, "X-H%zu: v\n", i);
	buf_puts(&b, "\nbody\n--X--\n");
	parse(b.p, &p);
	assert_int_equal(p.err, IG_ELIMIT);
	parsed_free(&p);
	buf_free(&b);
}

static void
test_addresses(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: \"Doe, John\" <john@example.com>\n"
	      "To: =?utf-8?Q?=3Cevil=40x.example=3E=2C?= <a@b.example>, plain@c.example "
	      "(Comment Name), undisclosed-recipients:;\n"
	      "Cc: team: x@y.example, <z@w.example>;, <@route,@r2:real@r.example>\n"
	      "Reply-To: 'x' <r@example.net>\n\nhi\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_int_equal(p.m.from.n, 1);
	assert_string_equal(p.m.from.v[0].name, "Doe, John");
	assert_string_equal(p.m.from.v[0].address, "john@example.com");
	assert_int_equal(p.m.to.n, 2);
	/* The decoded name cannot add an address. */
	assert_string_equal(p.m.to.v[0].name, "<evil@x.example>,");
	assert_string_equal(p.m.to.v[0].address, "a@b.example");
	assert_string_equal(p.m.to.v[1].name, "Comment Name");
	assert_string_equal(p.m.to.v[1].address, "plain@c.example");
	assert_int_equal(p.m.cc.n, 3);
	assert_string_equal(p.m.cc.v[0].address, "x@y.example");
	assert_string_equal(p.m.cc.v[2].address, "real@r.example");
	assert_string_equal(p.m.reply_to.v[0].address, "r@example.net");
	parsed_free(&p);
}

static void
test_threading_and_list(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: a@example.com\nMessage-ID: <m1@example.com>\n"
	      "In-Reply-To: <m0@example.com>\nReferences: <r1@x> <r2@x>\n <m0@example.com>\n"
	      "Date: Tue, 3 Mar 2026 10:00:00 +0100\n"
	      "List-Id: Dev List <dev.lists.example.org>\n"
	      "List-Unsubscribe: <mailto:u@example.org>, <https://example.org/u>\n"
	      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"
	      "List-Post: <mailto:dev@lists.example.org>\n\nhi\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_string_equal(p.m.message_id, "m1@example.com");
	assert_string_equal(p.m.in_reply_to, "m0@example.com");
	assert_int_equal(p.m.n_references, 3);
	assert_string_equal(p.m.references[2], "m0@example.com");
	assert_string_equal(p.m.date_iso, "2026-03-03T09:00:00Z");
	assert_true(p.m.list_present);
	assert_string_equal(p.m.list.id, "dev.lists.example.org");
	assert_string_equal(p.m.list.name, "Dev List");
	assert_string_equal(p.m.list.unsubscribe, "mailto:u@example.org, https://example.org/u");
	assert_string_equal(p.m.list.post, "mailto:dev@lists.example.org");
	assert_true(p.m.list.one_click);
	parsed_free(&p);
}

static void
test_rfc2231(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: a@example.com\nContent-Type: multipart/mixed; boundary=X\n\n"
	      "--X\nContent-Type: text/plain\n\nbody\n"
	      "--X\nContent-Type: application/pdf\n"
	      "Content-Disposition: attachment;\n filename*0*=utf-8''Rechnung%20M%C3%A4rz;\n"
	      " filename*1=\" 2026.pdf\"\n\n%PDF-1.4\n"
	      "--X\nContent-Type: application/pdf\n"
	      "Content-Disposition: attachment; filename=\"invoice.pdf\";\n"
	      " filename*=utf-8''payload.exe\n\n%PDF-1.4\n"
	      "--X\nContent-Type: image/png; name=\"=?utf-8?B?w6kucG5n?=\"\n"
	      "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	      "--X--\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_int_equal(p.m.n_att, 3);
	assert_string_equal(p.m.att[0].filename, "Rechnung März 2026.pdf");
	assert_false(p.m.att[0].filename_conflict);
	assert_string_equal(p.m.att[0].sniffed_type, "application/pdf");
	assert_string_equal(p.m.att[0].part_id, "2");
	assert_string_equal(p.m.att[0].disposition, "attachment");
	assert_string_equal(p.m.att[1].filename, "payload.exe");
	assert_true(p.m.att[1].filename_conflict);
	assert_true(warn_has(&p.w, "parse_filename_param_conflict"));
	assert_string_equal(p.m.att[2].filename, "é.png");
	assert_string_equal(p.m.att[2].sniffed_type, "image/png");
	assert_int_equal(p.m.att[2].size, 8);
	parsed_free(&p);
}

static void
test_charsets_body(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: a@example.com\nContent-Type: text/plain; charset=ISO-2022-JP\n\n"
	      "\x1b$B$3$s$K$A$O\x1b(B\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_string_equal(p.m.text_plain.p, "こんにちは\n");
	parsed_free(&p);
	parse("From: a@example.com\nContent-Type: text/plain; charset=x-unknown\n\nabc\xff\n", &p);
	assert_true(warn_has(&p.w, "parse_charset_unknown"));
	assert_string_equal(p.m.text_plain.p, "abc\xef\xbf\xbd\n");
	parsed_free(&p);
	/* An invalid sequence is U+FFFD, not ICU's U+001A. */
	parse("From: a@example.com\nContent-Type: text/plain; charset=Shift_JIS\n\n\x82\n", &p);
	assert_string_equal(p.m.text_plain.p, "\xef\xbf\xbd\n");
	parsed_free(&p);
}

static void
test_truncation(void **state)
{
	struct parsed p;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 4 << 20);
	buf_puts(&b, "From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n");
	for (i = 0; i < LIM_MIME_TEXT_PART / 3 + 10; i++)
		buf_puts(&b, "€");
	parse(b.p, &p);
	assert_int_equal(p.err, IG_OK);
	assert_true(p.m.plain_truncated);
	assert_true(warn_has(&p.w, "parse_body_truncated"));
	assert_true(p.m.text_plain.len <= LIM_MIME_TEXT_PART);
	assert_int_equal(p.m.text_plain.len % 3, 0);
	parsed_free(&p);
	/* Through an ICU converter: 0x80 is U+20AC, three UTF-8 bytes. */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.com\nContent-Type: text/plain; charset=windows-1252\n\n");
	for (i = 0; i < LIM_MIME_TEXT_PART / 3 + 10; i++)
		buf_putc(&b, '\x80');
	parse(b.p, &p);
	assert_int_equal(p.err, IG_OK);
	assert_true(p.m.plain_truncated);
	assert_true(p.m.text_plain.len <= LIM_MIME_TEXT_PART);
	assert_true(p.m.text_plain.len > LIM_MIME_TEXT_PART - 3);
	assert_int_equal(p.m.text_plain.len % 3, 0);
	assert_true(u8_valid(p.m.text_plain.p, p.m.text_plain.len));
	parsed_free(&p);
	buf_free(&b);
}

static void
test_nested_message(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: f@example.com\nContent-Type: multipart/mixed; boundary=OUT\n\n"
	      "--OUT\nContent-Type: text/plain\n\nSee below.\n"
	      "--OUT\nContent-Type: message/rfc822\n\n"
	      "From: o@example.com\nSubject: inner\n\nThis is the original body.\n"
	      "--OUT--\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_int_equal(p.m.n_att, 1);
	assert_string_equal(p.m.att[0].declared_type, "message/rfc822");
	assert_true(p.m.att[0].size > 0);
	assert_null(strstr(p.m.text_plain.p, "original body"));
	parsed_free(&p);
}

static void
test_sniff(void **state)
{
	(void)state;
	assert_string_equal(mime_sniff((const unsigned char *)"MZ\x90", 3),
	                    "application/vnd.microsoft.portable-executable");
	assert_string_equal(mime_sniff((const unsigned char *)"\x7f"
	                                                      "ELF",
	                               4),
	                    "application/x-elf");
	assert_string_equal(mime_sniff((const unsigned char *)"  <HTML>", 8), "text/html");
	assert_string_equal(mime_sniff((const unsigned char *)"#!/bin/sh", 9),
	                    "text/x-shellscript");
	assert_null(mime_sniff((const unsigned char *)"hello", 5));
	assert_true(
	    mime_type_mismatch("image/png", "application/vnd.microsoft.portable-executable"));
	assert_false(mime_type_mismatch("application/octet-stream", "application/x-elf"));
	assert_false(mime_type_mismatch("image/jpg", "image/jpeg"));
	assert_false(mime_type_mismatch("image/png", "image/jpeg"));
	assert_false(mime_type_mismatch(
	    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	    "application/zip"));
	assert_true(mime_type_mismatch("application/pdf", "application/zip"));
	assert_false(mime_type_mismatch("application/x-msdownload",
	                                "application/vnd.microsoft.portable-executable"));
}

static void
test_long_header(void **state)
{
	struct parsed p;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "From: a@example.com\nSubject:");
	for (i = 0; i < 3000; i++)
		buf_puts(&b, " =?utf-8?Q?ab?=");
	buf_puts(&b, "\n\nbody\n");
	parse(b.p, &p);
	assert_int_equal(p.err, IG_OK);
	assert_true(warn_has(&p.w, "parse_header_truncated"));
	assert_false(warn_has(&p.w, "parse_header_smuggling_blocked"));
	assert_non_null(p.m.subject);
	assert_true(strlen(p.m.subject) < LIM_MIME_HEADER_VALUE);
	assert_int_equal(strspn(p.m.subject, "ab"), strlen(p.m.subject));
	assert_string_equal(p.m.text_plain.p, "body\n");
	parsed_free(&p);
	buf_free(&b);
}

static void
test_not_message(void **state)
{
	struct parsed p;

	(void)state;
	parse("", &p);
	assert_true(p.err == IG_OK || p.err == IG_EINVAL);
	parsed_free(&p);
	parse("\n\n", &p);
	assert_true(p.err == IG_OK || p.err == IG_EINVAL);
	parsed_free(&p);
}

/* mime_part_content: the decoded bytes of one attachment by part id, the
 * caller's cap as a sticky limit, an attached message serialized, and an
 * unknown id reported as not found. */
static void
test_part_content(void **state)
{
	static const char msg[] =
		"From: a@example.org\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
		"--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
		"--XX\r\nContent-Type: application/pdf; name=a.pdf\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; filename=a.pdf\r\n\r\n"
		"iVBORw0KGgo=\r\n"
		"--XX\r\nContent-Type: message/rfc822\r\n\r\n"
		"From: b@example.org\r\nSubject: inner\r\n\r\ninner body\r\n"
		"--XX--\r\n";
	struct slice raw = {msg, sizeof(msg) - 1};
	struct mime_msg m;
	struct warn_list w;
	struct buf out;
	bool found = false;
	const char *err = NULL;

	(void)state;
	warn_list_init(&w);
	buf_init(&out, 1024);
	assert_int_equal(mime_part_content(raw, "2", &m, &w, &out, &found, &err), IG_OK);
	assert_true(found);
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.p, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(m.n_att, 2);
	assert_string_equal(m.att[0].sniffed_type, "image/png");
	mime_msg_free(&m);
	buf_free(&out);

	buf_init(&out, 1024);
	assert_int_equal(mime_part_content(raw, "3", &m, &w, &out, &found, &err), IG_OK);
	assert_true(found);
	assert_non_null(strstr(out.p, "inner body"));
	mime_msg_free(&m);
	buf_free(&out);

	buf_init(&out, 4); /* the caller's cap */
	assert_int_equal(mime_part_content(raw, "2", &m, &w, &out, &found, &err), IG_ELIMIT);
	assert_true(found);
	mime_msg_free(&m);
	buf_free(&out);

	buf_init(&out, 1024);
	assert_int_equal(mime_part_content(raw, "1", &m, &w, &out, &found, &err), IG_OK);
	assert_false(found); /* the body text is not an attachment */
	mime_msg_free(&m);
	assert_int_equal(mime_part_content(raw, "9", &m, &w, &out, &found, &err), IG_OK);
	assert_false(found);
	assert_int_equal(out.len, 0);
	mime_msg_free(&m);
	buf_free(&out);
	warn_list_free(&w);
}

/* The text parts in MIME order with what a client shows: of a
 * multipart/alternative the last child holding HTML (else text), every
 * inline part of mixed and related; nested alternatives decide at every
 * level. */
static void
test_text_parts_shown(void **state)
{
	static const char raw[] =
	    "From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=M\n\n"
	    "--M\nContent-Type: multipart/alternative; boundary=A\n\n"
	    "--A\nContent-Type: text/plain\n\nouter plain\n"
	    "--A\nContent-Type: multipart/alternative; boundary=B\n\n"
	    "--B\nContent-Type: text/plain\n\ninner plain\n"
	    "--B\nContent-Type: multipart/related; boundary=R\n\n"
	    "--R\nContent-Type: text/html\n\n<p>inner html</p>\n"
	    "--R\nContent-Type: image/png\n\nxx\n--R--\n"
	    "--B--\n"
	    "--A\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\n--A--\n"
	    "--M\nContent-Type: text/plain\n\nfooter\n"
	    "--M\nContent-Type: multipart/alternative; boundary=C\n\n"
	    "--C\nContent-Type: text/html\n\n<p>html first</p>\n"
	    "--C\nContent-Type: text/plain\n\nplain last\n--C--\n--M--\n";
	static const struct {
		const char *text;
		bool html, shown;
		int group; /* -1: none; else groups compare equal by number */
	} want[] = {
	    {"outer plain", false, false, 0}, {"inner plain", false, false, 0},
	    {"inner html", true, true, 0},    {"footer", false, true, -1},
	    {"html first", true, true, 1},    {"plain last", false, false, 1},
	};
	struct parsed p;
	size_t i, groups[2] = {0, 0};

	(void)state;
	parse(raw, &p);
	assert_int_equal(p.err, IG_OK);
	assert_int_equal(p.m.n_tparts, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < p.m.n_tparts; i++) {
		const struct mime_text_part *t = &p.m.tparts[i];
		const struct buf *b = t->html ? &p.m.text_html : &p.m.text_plain;

		if (memmem(b->p + t->off, t->len, want[i].text, strlen(want[i].text)) == NULL)
			fail_msg("part %zu: wrong text", i);
		assert_int_equal(t->html, want[i].html);
		if (t->shown != want[i].shown)
			fail_msg("part %zu (%s): shown=%d", i, want[i].text, t->shown);
		if (want[i].group < 0) {
			assert_true(t->group == MIME_NO_GROUP);
		} else {
			assert_true(t->group != MIME_NO_GROUP);
			if (groups[want[i].group] == 0)
				groups[want[i].group] = t->group + 1;
			assert_int_equal(groups[want[i].group], t->group + 1);
		}
	}
	assert_true(groups[0] != groups[1]);
	parsed_free(&p);
}

/* Duplicated fields: the first is used and each is reported once; To and
 * Cc are merged. */
static void
test_header_duplicate(void **state)
{
	struct parsed p;

	(void)state;
	parse("From: a@example.com\nFrom: b@evil.example\nTo: c@example.org\nTo: d@example.org\n"
	      "Date: Tue, 3 Mar 2026 10:00:00 +0000\nSubject: x\n\nbody\n",
	      &p);
	assert_int_equal(p.err, IG_OK);
	assert_string_equal(p.m.from.v[0].address, "a@example.com");
	assert_int_equal(p.m.from.n, 1);
	assert_int_equal(p.m.to.n, 2);
	assert_int_equal(p.w.n, 2);
	assert_string_equal(p.w.items[0].code, "header_duplicate");
	assert_string_equal(p.w.items[0].detail, "field=From count=2 used=1");
	assert_string_equal(p.w.items[1].detail,
	                    "field=To count=2 used=all (the address lists are merged)");
	parsed_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_parts_shown),
	    cmocka_unit_test(test_header_duplicate),
	    cmocka_unit_test(test_rfc2047),
	    cmocka_unit_test(test_unknown_charset),
	    cmocka_unit_test(test_smuggling_spanning_word),
	    cmocka_unit_test(test_smuggling_decoded_crlf),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_part_limit),
	    cmocka_unit_test(test_header_limit),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_threading_and_list),
	    cmocka_unit_test(test_rfc2231),
	    cmocka_unit_test(test_charsets_body),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_nested_message),
	    cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_long_header),
	    cmocka_unit_test(test_not_message),
	    cmocka_unit_test(test_part_content),
	};
	int rc;

	content_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	content_shutdown();
	return rc;
}
