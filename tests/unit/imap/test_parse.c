/* Tests imap/parse.c: every construct, every limit, NUL and overflow
 * rejection, and that any split of the input gives the same result. */
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

/* Real responses (Dovecot 2.3, Gmail, Exchange shapes) used for the
 * split-point tests; each element is one complete response. */
static const char *const corpus[] = {
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
	"STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
	"* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
	"THREAD=REFERENCES MOVE CONDSTORE QRESYNC ESEARCH LIST-STATUS SPECIAL-USE\r\n",
	"a1 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n",
	"* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n",
	"* LIST (\\HasNoChildren) \"/\" \"Quoted \\\"name\\\"\"\r\n",
	"* LIST (\\HasNoChildren) \".\" {11}\r\nwith\r\nbreak\r\n",
	"* LIST (\\Noselect) NIL \"\"\r\n",
	"* LIST (\\HasNoChildren) \"/\" \"&AOQ-rger\" (\"OLDNAME\" (\"x\"))\r\n",
	"* STATUS INBOX (MESSAGES 231 UIDNEXT 44292 UNSEEN 3 UIDVALIDITY 1 "
	"HIGHESTMODSEQ 18446744073709551615)\r\n",
	"* STATUS {5}\r\nINBOX (MESSAGES 0)\r\n",
	"* 172 EXISTS\r\n",
	"* 1 RECENT\r\n",
	"* 22 EXPUNGE\r\n",
	"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n",
	"* VANISHED 405,407,410\r\n",
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n",
	"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
	"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
	"* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
	"* SEARCH 2 84 882\r\n",
	"* SEARCH\r\n",
	"* SEARCH 2 5 (MODSEQ 917162500)\r\n",
	"* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800 COUNT 15 ALL 7,9:12\r\n",
	"* ENABLED CONDSTORE QRESYNC\r\n",
	"* ID (\"name\" \"Dovecot\")\r\n",
	"* ID NIL\r\n",
	"* 12 FETCH (UID 4827313 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
	"RFC822.SIZE 4286 MODSEQ (12121231000) ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 "
	"(PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" "
	"\"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	"((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" "
	"\"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" "
	"NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") "
	"BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
	"* 3 FETCH (UID 9 BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL "
	"\"QUOTED-PRINTABLE\" 120 4 NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") "
	"NIL NIL \"BASE64\" 4000 NIL (\"attachment\" (\"FILENAME\" \"a.pdf\")) NIL NIL) "
	"\"MIXED\" (\"BOUNDARY\" \"xx\") NIL NIL NIL))\r\n",
	"* 4 FETCH (UID 10 BODY[] {29}\r\nSubject: hi\r\n\r\nA1 OK forged\r\n)\r\n",
	"* 5 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {0}\r\n UID 11)\r\n",
	"* 6 FETCH (UID 12 BODY[TEXT]<100> \"abc\")\r\n",
	"* 7 FETCH (UID 13 BINARY[1] ~{3}\r\na\0b)\r\n",
	"* 8 FETCH (UID 14 BODY[1] NIL)\r\n",
	"* 9 FETCH (UID 15 BODY[] {4+}\r\nabcd)\r\n",
	"+ idling\r\n",
	"+\r\n",
	"+ \r\n",
	"A0001 NO [TRYCREATE] Mailbox doesn't exist: Foo\r\n",
	"A0002 NO [NONEXISTENT] Unknown Mailbox: Foo\r\n",
	"A0003 BAD Error in IMAP command: Unknown command\r\n",
	"A0004 OK [APPENDUID 38505 3955] APPEND completed\r\n",
	"A0005 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
	"* BYE Server shutting down {5}\r\n",
	"* NO [ALERT] \"unbalanced quote\r\n",
	"* PREAUTH IMAP4rev1 server logged in\r\n",
	"a2 OK\r\n",
};

static struct imap_parser *
new_parser(void)
{
	struct imap_parser *p = imap_parser_new(LIM_IMAP_RESPONSE);

	assert_non_null(p);
	return p;
}

/* Feeds in[0..len) in pieces split at the given points (sorted), renders
 * each response into out. Returns the final status. */
static enum ig_err
feed_split(struct slice in, const size_t *splits, size_t n_splits, struct buf *out)
{
	struct imap_parser *p = new_parser();
	size_t pos = 0;
	size_t k = 0;
	enum ig_err err = IG_AGAIN;
	const char *error_msg = "";

	while (pos < in.len) {
		size_t end = k < n_splits ? splits[k++] : in.len;
		const struct imap_resp *r;
		size_t used;

		if (end < pos)
			continue;
		while (pos < end) {
			err = imap_parser_feed(p, in.p + pos, end - pos, &used, &r, &error_msg);
			pos += used;
			if (err == IG_OK)
				imap_resp_render(r, out);
			else if (err != IG_AGAIN)
				goto out;
		}
	}
out:
	if (err != IG_OK && err != IG_AGAIN) {
		print_message("parse error %d: %s in %.*s\n", (int)err, error_msg, (int)in.len,
			      in.p);
		buf_appendf(out, "error %d\n", (int)err);
	}
	imap_parser_free(p);
	return err;
}

static enum ig_err
parse1(const char *s, size_t len, struct imap_parser *p, const struct imap_resp **r,
       const char **error)
{
	size_t used = 0;
	enum ig_err err;

	*error = NULL;
	err = imap_parser_feed(p, s, len, &used, r, error);
	if (err == IG_OK)
		assert_int_equal(used, len);
	return err;
}

#define PARSE(p, lit, r, e) parse1((lit), sizeof(lit) - 1, (p), (r), (e))

static void
test_every_split_point(void **state)
{
	size_t i;
	size_t s1;

	(void)state;
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const char *c = corpus[i];
		size_t len = strlen(c);
		struct buf whole;

		/* one test string contains a NUL inside a binary literal */
		if (strstr(c, "~{3}") != NULL)
			len = strlen(c) + 1 + strlen(c + strlen(c) + 1);
		buf_init(&whole, 1 << 20);
		assert_int_equal(feed_split((struct slice){c, len}, NULL, 0, &whole), IG_OK);
		for (s1 = 1; s1 < len; s1++) {
			struct buf b;

			buf_init(&b, 1 << 20);
			assert_int_equal(feed_split((struct slice){c, len}, &s1, 1, &b), IG_OK);
			assert_int_equal(b.len, whole.len);
			assert_memory_equal(b.p, whole.p, b.len);
			buf_free(&b);
		}
		buf_free(&whole);
	}
}

static void
test_byte_at_a_time_stream(void **state)
{
	struct buf all;
	struct buf whole;
	struct buf bytes;
	size_t *splits;
	size_t i;

	(void)state;
	buf_init(&all, 1 << 20);
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		size_t len = strlen(corpus[i]);

		if (strstr(corpus[i], "~{3}") != NULL)
			len = len + 1 + strlen(corpus[i] + len + 1);
		buf_append(&all, corpus[i], len);
	}
	assert_int_equal(buf_err(&all), IG_OK);
	splits = calloc(all.len, sizeof(*splits));
	assert_non_null(splits);
	for (i = 0; i < all.len; i++)
		splits[i] = i + 1;
	buf_init(&whole, 1 << 20);
	buf_init(&bytes, 1 << 20);
	assert_int_equal(feed_split(buf_slice(&all), NULL, 0, &whole), IG_OK);
	assert_int_equal(feed_split(buf_slice(&all), splits, all.len, &bytes), IG_OK);
	assert_int_equal(whole.len, bytes.len);
	assert_memory_equal(whole.p, bytes.p, whole.len);
	/* one rendered line per response */
	{
		size_t lines = 0;

		for (i = 0; i < whole.len; i++)
			lines += whole.p[i] == '\n';
		assert_int_equal(lines, sizeof(corpus) / sizeof(corpus[0]));
	}
	free(splits);
	buf_free(&all);
	buf_free(&whole);
	buf_free(&bytes);
}

static void
test_tagged_and_codes(void **state)
{
	struct imap_parser *p = new_parser();
	const struct imap_resp *r;
	const char *e;

	(void)state;
	assert_int_equal(PARSE(p, "A0001 NO [TRYCREATE] Mailbox doesn't exist\r\n", &r, &e),
			 IG_OK);
	assert_int_equal(r->kind, IMAP_RESP_TAGGED);
	assert_true(sl_eq_cstr(r->tag, "A0001"));
	assert_int_equal(r->cond, IMAP_NO);
	assert_int_equal(r->code, IMAP_CODE_TRYCREATE);
	assert_true(sl_eq_cstr(r->text, "Mailbox doesn't exist"));

	assert_int_equal(PARSE(p, "A2 OK [APPENDUID 38505 3955] done\r\n", &r, &e), IG_OK);
	assert_int_equal(r->code, IMAP_CODE_APPENDUID);
	assert_int_equal(r->code_num[0], 38505);
	assert_int_equal(r->code_num[1], 3955);

	assert_int_equal(PARSE(p, "* OK [ALERT] System \"going\" {5}\r\n", &r, &e), IG_OK);
	assert_int_equal(r->kind, IMAP_RESP_UNTAGGED);
	assert_int_equal(r->type, IMAP_U_COND);
	assert_int_equal(r->code, IMAP_CODE_ALERT);
	assert_true(sl_eq_cstr(r->text, "System \"going\" {5}"));

	assert_int_equal(PARSE(p, "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hi\r\n", &r, &e),
			 IG_OK);
	assert_int_equal(r->code, IMAP_CODE_CAPABILITY);
	assert_int_equal(r->u.caps.n, 3);
	assert_true(sl_eq_cstr(r->u.caps.names[2], "AUTH=PLAIN"));

	assert_int_equal(PARSE(p, "* OK [PERMANENTFLAGS (\\Seen \\*)] x\r\n", &r, &e), IG_OK);
	assert_int_equal(r->flags.n, 2);
	assert_true(sl_eq_cstr(r->flags.names[1], "\\*"));

	assert_int_equal(PARSE(p, "* OK [HIGHESTMODSEQ 18446744073709551615] x\r\n", &r, &e),
			 IG_OK);
	assert_true(r->code_modseq == UINT64_MAX);

	assert_int_equal(PARSE(p, "* BYE bye\r\n", &r, &e), IG_OK);
	assert_int_equal(r->cond, IMAP_BYE);

	assert_int_equal(PARSE(p, "+ go ahead\r\n", &r, &e), IG_OK);
	assert_int_equal(r->kind, IMAP_RESP_CONTINUE);
	assert_true(sl_eq_cstr(r->text, "go ahead"));
	imap_parser_free(p);
}

static void
test_list_status(void **state)
{
	struct imap_parser *p = new_parser();
	const struct imap_resp *r;
	const char *e;

	(void)state;
	assert_int_equal(PARSE(p, "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n", &r,
			       &e),
			 IG_OK);
	assert_int_equal(r->type, IMAP_U_LIST);
	assert_int_equal(r->u.list.n_attrs, 2);
	assert_true(sl_eq_cstr(r->u.list.attrs[1], "\\Sent"));
	assert_int_equal(r->u.list.delim, '/');
	assert_true(sl_eq_cstr(r->u.list.name, "Sent Items"));

	assert_int_equal(PARSE(p, "* LIST () NIL INBOX\r\n", &r, &e), IG_OK);
	assert_int_equal(r->u.list.delim, 0);
	assert_true(sl_eq_cstr(r->u.list.name, "INBOX"));

	assert_int_equal(PARSE(p, "* LIST () \"/\" {3}\r\na\"b\r\n", &r, &e), IG_OK);
	assert_true(sl_eq_cstr(r->u.list.name, "a\"b"));

	assert_int_equal(PARSE(p, "* LIST () \"/\" \"a\\\\b\\\"c\"\r\n", &r, &e), IG_OK);
	assert_true(sl_eq_cstr(r->u.list.name, "a\\b\"c"));

	assert_int_equal(PARSE(p, "* STATUS \"A B\" (MESSAGES 2 UNSEEN 1 UIDNEXT 7 "
				  "UIDVALIDITY 9 RECENT 0 HIGHESTMODSEQ 5)\r\n",
			       &r, &e),
			 IG_OK);
	assert_int_equal(r->type, IMAP_U_STATUS);
	assert_true(sl_eq_cstr(r->u.status.mailbox, "A B"));
	assert_true(r->u.status.has_messages && r->u.status.messages == 2);
	assert_true(r->u.status.has_unseen && r->u.status.unseen == 1);
	assert_true(r->u.status.has_uidnext && r->u.status.uidnext == 7);
	assert_true(r->u.status.highestmodseq == 5);

	/* malformed ones */
	assert_int_equal(PARSE(p, "* LIST () \"//\" x\r\n", &r, &e), IG_EINVAL);
	imap_parser_reset(p);
	assert_int_equal(PARSE(p, "* STATUS x (MESSAGES -1)\r\n", &r, &e), IG_EINVAL);
	imap_parser_reset(p);
	assert_int_equal(PARSE(p, "* STATUS x (MESSAGES 4294967296)\r\n", &r, &e), IG_EINVAL);
	imap_parser_free(p);
}

static void
test_fetch(void **state)
{
	struct imap_parser *p = new_parser();
	const struct imap_resp *r;
	const struct imap_fetch *f;
	const char *e;

	(void)state;
	assert_int_equal(PARSE(p, "* 12 FETCH (UID 7 FLAGS (\\Seen $X) RFC822.SIZE 44 "
				  "MODSEQ (9) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
				  "ENVELOPE (\"d\" {3}\r\nsub ((\"N\" NIL \"m\" \"h\")) NIL NIL "
				  "((NIL NIL \"g\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL \"<id>\") "
				  "BODY[HEADER.FIELDS (FROM)]<5> {4}\r\nab\r\n)\r\n",
			       &r, &e),
			 IG_OK);
	assert_int_equal(r->type, IMAP_U_FETCH);
	f = &r->u.fetch;
	assert_int_equal(f->seq, 12);
	assert_true(f->has_uid && f->uid == 7);
	assert_int_equal(f->n_flags, 2);
	assert_true(f->has_size && f->size == 44);
	assert_true(f->has_modseq && f->modseq == 9);
	assert_non_null(f->envelope);
	assert_true(sl_eq_cstr(f->envelope->subject, "sub"));
	assert_int_equal(f->envelope->from.n, 1);
	assert_true(sl_eq_cstr(f->envelope->from.a[0].name, "N"));
	assert_int_equal(f->envelope->to.n, 2); /* group start and end */
	assert_true(f->envelope->to.a[1].mailbox_nil);
	assert_true(sl_eq_cstr(f->envelope->message_id, "<id>"));
	assert_true(f->has_section);
	assert_true(sl_eq_cstr(f->section, "HEADER.FIELDS (FROM)"));
	assert_int_equal(f->origin, 5);
	assert_true(sl_eq_cstr(f->section_data, "ab\r\n"));

	/* a forged tagged OK inside a literal is data */
	assert_int_equal(PARSE(p, "* 4 FETCH (BODY[] {12}\r\nA1 OK done\r\n)\r\n", &r, &e),
			 IG_OK);
	assert_true(sl_eq_cstr(r->u.fetch.section_data, "A1 OK done\r\n"));

	/* {0} is a valid empty literal */
	assert_int_equal(PARSE(p, "* 5 FETCH (BODY[] {0}\r\n UID 3)\r\n", &r, &e), IG_OK);
	assert_true(r->u.fetch.has_section && r->u.fetch.section_data.len == 0);
	assert_int_equal(r->u.fetch.uid, 3);

	/* binary literal may hold NUL */
	assert_int_equal(PARSE(p, "* 6 FETCH (BINARY[1] ~{3}\r\na\0b)\r\n", &r, &e), IG_OK);
	assert_int_equal(r->u.fetch.section_data.len, 3);

	/* multipart bodystructure */
	assert_int_equal(PARSE(p, "* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" "
				  "\"utf-8\") NIL NIL \"7BIT\" 10 1)(\"MESSAGE\" \"RFC822\" NIL NIL "
				  "NIL \"7BIT\" 50 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) "
				  "(\"TEXT\" \"HTML\" NIL NIL NIL \"8BIT\" 5 1) 3) \"MIXED\" "
				  "(\"BOUNDARY\" \"b\") (\"inline\" NIL) NIL))\r\n",
			       &r, &e),
			 IG_OK);
	f = &r->u.fetch;
	assert_non_null(f->body);
	assert_true(sl_eq_cstr(f->body->subtype, "MIXED"));
	assert_int_equal(f->body->n_kids, 2);
	assert_int_equal(f->body->n_params, 1);
	assert_true(sl_eq_cstr(f->body->disposition, "inline"));
	assert_true(sl_eq_cstr(f->body->kids[0].subtype, "PLAIN"));
	assert_int_equal(f->body->kids[0].lines, 1);
	assert_int_equal(f->body->kids[1].n_kids, 1);
	assert_true(sl_eq_cstr(f->body->kids[1].kids[0].subtype, "HTML"));
	assert_int_equal(f->body->kids[1].kids[0].depth, 2);
	assert_true(sl_eq_cstr(f->body->kids[1].envelope->subject, "s"));

	/* malformed */
	assert_int_equal(PARSE(p, "* 3 FETCH (UID)\r\n", &r, &e), IG_EINVAL);
	imap_parser_reset(p);
	assert_int_equal(PARSE(p, "* 3 FETCH (UID 0)\r\n", &r, &e), IG_EINVAL);
	imap_parser_reset(p);
	assert_int_equal(PARSE(p, "* 3 FETCH (ENVELOPE (NIL))\r\n", &r, &e), IG_EINVAL);
	imap_parser_reset(p);
	assert_int_equal(PARSE(p, "* 3 FETCH (BODYSTRUCTURE (\"TEXT\"))\r\n", &r, &e), IG_EINVAL);
	imap_parser_free(p);
}

static void
test_search_esearch_vanished(void **state)
{
	struct imap_parser *p = new_parser();
	const struct imap_resp *r;
	const char *e;

	(void)state;
	assert_int_equal(PARSE(p, "* SEARCH 2 84 (MODSEQ 77)\r\n", &r, &e), IG_OK);
	assert_int_equal(r->u.search.n, 2);
	assert_int_equal(r->u.search.nums[1], 84);
	assert_true(r->u.search.modseq == 77);
	assert_int_equal(PARSE(p, "* ESEARCH (TAG \"a1\") UID COUNT 3 ALL 1:3\r\n", &r, &e),
			 IG_OK);
	assert_true(r->u.esearch.uid);
	assert_true(sl_eq_cstr(r->u.esearch.tag, "a1"));
	assert_true(r->u.esearch.has_count && r->u.esearch.count == 3);
	assert_true(sl_eq_cstr(r->u.esearch.all, "1:3"));
	assert_int_equal(PARSE(p, "* VANISHED (EARLIER) 1:5\r\n", &r, &e), IG_OK);
	assert_true(r->u.vanished.earlier);
	assert_true(sl_eq_cstr(r->u.vanished.uids, "1:5"));
	assert_int_equal(PARSE(p, "* 3 EXISTS\r\n", &r, &e), IG_OK);
	assert_int_equal(r->type, IMAP_U_EXISTS);
	assert_int_equal(r->u.num, 3);
	assert_int_equal(PARSE(p, "* ENABLED QRESYNC\r\n", &r, &e), IG_OK);
	assert_int_equal(r->type, IMAP_U_ENABLED);
	assert_int_equal(r->u.caps.n, 1);
	assert_int_equal(PARSE(p, "* FOO bar (1 2)\r\n", &r, &e), IG_OK);
	assert_int_equal(r->type, IMAP_U_OTHER);
	assert_int_equal(r->n_vals, 3);
	assert_int_equal(PARSE(p, "* SEARCH 0\r\n", &r, &e), IG_EINVAL);
	imap_parser_free(p);
}

static void
expect_error(const char *s, size_t len, enum ig_err want)
{
	struct imap_parser *p = new_parser();
	const struct imap_resp *r;
	const char *e = NULL;
	size_t used;

	if (imap_parser_feed(p, s, len, &used, &r, &e) != want)
		fail_msg("%.*s: got %s", (int)len, s, e != NULL ? e : "ok");
	assert_non_null(e);
	/* sticky */
	assert_int_equal(imap_parser_feed(p, "* 1 EXISTS\r\n", 12, &used, &r, &e), want);
	imap_parser_free(p);
}

#define EXPECT_ERROR(lit, want) expect_error((lit), sizeof(lit) - 1, (want))

static void
test_rejects(void **state)
{
	(void)state;
	/* NUL in a quoted string, an atom, a text */
	EXPECT_ERROR("* LIST () \"/\" \"a\0b\"\r\n", IG_EINVAL);
	EXPECT_ERROR("* OK hi\0there\r\n", IG_EINVAL);
	EXPECT_ERROR("* 1 EX\0ISTS\r\n", IG_EINVAL);
	/* bare CR / LF */
	EXPECT_ERROR("* OK a\rb\r\n", IG_EINVAL);
	EXPECT_ERROR("* OK a\n", IG_EINVAL);
	/* numbers */
	EXPECT_ERROR("* LIST () \"/\" {-1}\r\n", IG_EINVAL);
	EXPECT_ERROR("* LIST () \"/\" {99999999999999999999999}\r\n", IG_EINVAL);
	EXPECT_ERROR("* LIST () \"/\" {1x}\r\n", IG_EINVAL);
	EXPECT_ERROR("* 4294967296 EXISTS\r\n", IG_EINVAL);
	/* bad escape, unterminated quote */
	EXPECT_ERROR("* LIST () \"/\" \"a\\b\"\r\n", IG_EINVAL);
	EXPECT_ERROR("* LIST () \"/\" \"ab\r\n", IG_EINVAL);
	/* parentheses */
	EXPECT_ERROR("* LIST (() \"/\" x\r\n", IG_EINVAL);
	EXPECT_ERROR("* LIST ()) \"/\" x\r\n", IG_EINVAL);
	EXPECT_ERROR("* LIST  () \"/\" x\r\n", IG_EINVAL);
	/* literal not at the end of a line, or inside a token */
	EXPECT_ERROR("* LIST () \"/\" x{3}\r\nabc\r\n", IG_EINVAL);
	/* tagged BYE is not a thing */
	EXPECT_ERROR("a1 BYE x\r\n", IG_EINVAL);
	EXPECT_ERROR("* OK [ALERT no bracket\r\n", IG_EINVAL);
}

static void
test_limits(void **state)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	const char *e;
	struct buf b;
	size_t used;
	size_t i;

	(void)state;
	/* 4 GiB literal announcement: refused at once, nothing allocated */
	EXPECT_ERROR("* 1 FETCH (BODY[] {4294967296}\r\n", IG_ELIMIT);
	/* (an over-limit FETCH degrades only its message: test_parse_skip.c) */
	EXPECT_ERROR("* LIST () \"/\" {26214401}\r\n", IG_ELIMIT);
	/* over the response cap of a pre-auth parser */
	p = imap_parser_new(1024);
	assert_int_equal(PARSE(p, "* 1 FETCH (BODY[] {2000}\r\n", &r, &e), IG_ELIMIT);
	imap_parser_free(p);

	/* a literal at the cap grows as bytes arrive */
	p = new_parser();
	assert_int_equal(PARSE(p, "* 1 FETCH (BODY[] {26214400}\r\n", &r, &e), IG_AGAIN);
	imap_parser_free(p);

	/* line length */
	buf_init(&b, 2 * LIM_IMAP_LINE);
	buf_puts(&b, "* OK ");
	for (i = 0; i < LIM_IMAP_LINE; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\r\n");
	p = new_parser();
	assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_ELIMIT);
	imap_parser_free(p);
	buf_free(&b);

	/* nesting: 32 is fine, 33 is not */
	buf_init(&b, 1 << 16);
	buf_puts(&b, "* X ");
	for (i = 0; i < LIM_IMAP_NEST; i++)
		buf_putc(&b, '(');
	for (i = 0; i < LIM_IMAP_NEST; i++)
		buf_putc(&b, ')');
	buf_puts(&b, "\r\n");
	p = new_parser();
	assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_OK);
	imap_parser_free(p);
	buf_reset(&b);
	buf_puts(&b, "* X ");
	for (i = 0; i < 10000; i++)
		buf_putc(&b, '(');
	for (i = 0; i < 10000; i++)
		buf_putc(&b, ')');
	buf_puts(&b, "\r\n");
	p = new_parser();
	assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_ELIMIT);
	imap_parser_free(p);

	/* list items */
	buf_reset(&b);
	buf_puts(&b, "* FLAGS (");
	for (i = 0; i <= LIM_IMAP_LIST_ITEMS; i++)
		buf_puts(&b, "\\a ");
	buf_puts(&b, "\\a)\r\n");
	assert_int_equal(buf_err(&b), IG_OK);
	p = new_parser();
	assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_ELIMIT);
	imap_parser_free(p);

	/* bodystructure depth: 15 multipart levels are fine, 20 are not */
	for (size_t levels = 15; levels <= 20; levels += 5) {
		buf_reset(&b);
		buf_puts(&b, "* 1 FETCH (BODYSTRUCTURE ");
		for (i = 0; i < levels; i++)
			buf_putc(&b, '(');
		buf_puts(&b, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
		for (i = 0; i < levels; i++)
			buf_puts(&b, " \"MIXED\")");
		buf_puts(&b, ")\r\n");
		p = new_parser();
		e = NULL;
		/* too deep: that message's BODYSTRUCTURE is dropped, nothing else */
		assert_int_equal(imap_parser_feed(p, b.p, b.len, &used, &r, &e), IG_OK);
		if (levels == 15) {
			assert_int_equal(r->u.fetch.body->kids[0].kids[0].depth, 2);
			assert_false(r->u.fetch.over_limit);
		} else {
			assert_null(r->u.fetch.body);
			assert_true(r->u.fetch.over_limit);
		}
		imap_parser_free(p);
	}
	buf_free(&b);
}

static void
test_numbers(void **state)
{
	uint32_t v32;
	uint64_t v64;

	(void)state;
	assert_true(imap_parse_u32(SL_LIT("4294967295"), &v32));
	assert_true(v32 == UINT32_MAX);
	assert_false(imap_parse_u32(SL_LIT("4294967296"), &v32));
	assert_true(imap_parse_u64(SL_LIT("18446744073709551615"), &v64));
	assert_false(imap_parse_u64(SL_LIT("18446744073709551616"), &v64));
	assert_false(imap_parse_u64(SL_LIT("99999999999999999999"), &v64));
	assert_false(imap_parse_u32(SL_LIT(""), &v32));
	assert_false(imap_parse_u32(SL_LIT("+1"), &v32));
	assert_false(imap_parse_u32(SL_LIT("-1"), &v32));
	assert_false(imap_parse_u32(SL_LIT("1 "), &v32));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split_point),
		cmocka_unit_test(test_byte_at_a_time_stream),
		cmocka_unit_test(test_tagged_and_codes),
		cmocka_unit_test(test_list_status),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_search_esearch_vanished),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
