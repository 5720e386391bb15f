/* Tests handlers/envelope.c: envelopes built from real parsed FETCH
 * responses (imap/parse.c) through the one sanitizer, the sync engine's
 * conversion (imap/sync.h sync_conv_fetch), and envelope_json_cached —
 * RFC 2047 decoding, the Unicode policy with its warnings, look-alike
 * checks, group syntax, flag filtering, attachments from BODYSTRUCTURE,
 * INTERNALDATE in UTC — fed whole and byte at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "base/slice.h"
#include "content/mime.h"
#include "handlers/envelope.h"
#include "imap/parse.h"
#include "imap/sync.h"
#include "store/cache.h"

#define RESP1                                                                                      \
	"* 3 FETCH (UID 42 FLAGS (\\Seen $Label1 \\Flagged) INTERNALDATE "                         \
	"\"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 "            \
	"02:23:25 -0700 (PDT)\" \"=?UTF-8?B?SGVsbG8g4oCLV29ybGQ=?=\" ((\"support@paypal.com\" "    \
	"NIL \"x\" \"evil.example\")) NIL NIL ((\"Bob\" NIL \"bob\" \"example.org\")(NIL NIL "     \
	"\"team\" NIL)(\"Carol\" NIL \"carol\" \"example.org\")(NIL NIL NIL NIL)) NIL NIL "        \
	"\"<parent@example.org>\" \"<m42@example.org>\") BODYSTRUCTURE ((\"text\" \"plain\" "      \
	"(\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1)(\"application\" \"pdf\" (\"name\" "        \
	"\"a.pdf\") NIL NIL \"base64\" 100) \"mixed\") BODY[HEADER.FIELDS (REFERENCES "            \
	"LIST-ID)] {87}\r\nReferences: <r1@example.org>\r\n <parent@example.org>\r\nList-Id: "     \
	"Dev <dev.example.org>\r\n\r\n)\r\n"

static struct json_object *
env_of(const char *resp, bool bytewise)
{
	struct imap_parser *p = imap_parser_new(1 << 20);
	const struct imap_resp *r = NULL;
	const char *err = NULL;
	size_t len = strlen(resp), pos = 0, used = 0;
	enum ig_err e = IG_AGAIN;
	struct json_object *o;

	assert_non_null(p);
	while (pos < len && e == IG_AGAIN) {
		size_t step = bytewise ? 1 : len - pos;

		e = imap_parser_feed(p, resp + pos, step, &used, &r, &err);
		pos += used;
	}
	assert_int_equal(e, IG_OK);
	assert_int_equal(r->type, IMAP_U_FETCH);
	o = envelope_json(&r->u.fetch, "INBOX", NULL, 0);
	imap_parser_free(p);
	return o;
}

static const char *
str(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static bool
has_warning(struct json_object *o, const char *code)
{
	struct json_object *ws = NULL, *c;
	size_t i;

	assert_true(json_object_object_get_ex(o, "security_warnings", &ws));
	for (i = 0; i < json_object_array_length(ws); i++) {
		if (json_object_object_get_ex(json_object_array_get_idx(ws, i), "code", &c) &&
		    strcmp(json_object_get_string(c), code) == 0)
			return true;
	}
	return false;
}

static void
check_env(struct json_object *o)
{
	struct json_object *v = NULL, *from = NULL, *to = NULL, *flags = NULL;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "uid", &v));
	assert_int_equal(json_object_get_int64(v), 42);
	assert_string_equal(str(o, "folder"), "INBOX");
	assert_string_equal(str(o, "message_id"), "m42@example.org");
	assert_string_equal(str(o, "in_reply_to"), "parent@example.org");
	/* RFC 2047 decoded, the zero-width space removed and reported */
	assert_string_equal(str(o, "subject"), "Hello World");
	assert_true(has_warning(o, "unicode_zero_width_stripped"));
	assert_true(json_object_object_get_ex(o, "from", &from));
	assert_string_equal(str(from, "name"), "support@paypal.com");
	assert_string_equal(str(from, "address"), "x@evil.example");
	assert_true(has_warning(o, "lookalike_display_name_spoof"));
	/* group markers are not addresses */
	assert_true(json_object_object_get_ex(o, "to", &to));
	assert_int_equal(json_object_array_length(to), 2);
	assert_string_equal(str(json_object_array_get_idx(to, 1), "address"), "carol@example.org");
	assert_string_equal(str(o, "internaldate"), "1996-07-17T09:44:25Z");
	assert_true(json_object_object_get_ex(o, "size", &v));
	assert_int_equal(json_object_get_int64(v), 4286);
	assert_true(json_object_object_get_ex(o, "flags", &flags));
	assert_int_equal(json_object_array_length(flags), 3);
	assert_true(json_object_object_get_ex(o, "has_attachment", &v));
	assert_true(json_object_get_boolean(v));
	assert_non_null(str(o, "date"));
	assert_true(json_object_object_get_ex(o, "references", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)),
	                    "parent@example.org");
	assert_string_equal(str(o, "list_id"), "dev.example.org");
}

static void
test_envelope_whole(void **state)
{
	struct json_object *o = env_of(RESP1, false);

	(void)state;
	check_env(o);
	json_object_put(o);
}

static void
test_envelope_bytewise(void **state)
{
	struct json_object *a = env_of(RESP1, true);
	struct json_object *b = env_of(RESP1, false);

	(void)state;
	check_env(a);
	assert_true(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
}

static void
test_envelope_hostile_strings(void **state)
{
	/* bidi override in the subject, a literal with CR LF, C0 and C1 bytes
	 * as display name, a flag with a non-atom character */
	static const char resp[] =
	    "* 1 FETCH (UID 7 FLAGS (\\Seen \\* ok$) ENVELOPE (NIL "
	    "\"pay \xe2\x80\xae"
	    "fdp.exe\" (({11}\r\nA\r\nB\x01\xc2\x85"
	    "CDEF NIL \"a\" "
	    "\"b.example\")) NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" "
	    "NIL NIL NIL \"7bit\" 1 1))\r\n";
	struct imap_parser *p = imap_parser_new(1 << 20);
	const struct imap_resp *r = NULL;
	const char *err = NULL;
	size_t used = 0;
	struct json_object *o, *from = NULL, *flags = NULL, *v = NULL;
	const char *name;
	size_t i;

	(void)state;
	assert_int_equal(imap_parser_feed(p, resp, sizeof(resp) - 1, &used, &r, &err), IG_OK);
	o = envelope_json(&r->u.fetch, "INBOX", NULL, 0);
	assert_non_null(o);
	assert_null(strstr(str(o, "subject"), "\xe2\x80\xae"));
	assert_true(has_warning(o, "unicode_bidi_override_stripped"));
	assert_true(json_object_object_get_ex(o, "from", &from));
	name = str(from, "name");
	for (i = 0; name[i] != '\0'; i++)
		assert_true((unsigned char)name[i] >= 0x20 || name[i] == '\n' || name[i] == '\t');
	assert_null(strstr(name, "\xc2\x85"));
	assert_true(json_object_object_get_ex(o, "flags", &flags));
	assert_int_equal(json_object_array_length(flags), 2); /* \Seen, ok$ */
	assert_true(json_object_object_get_ex(o, "has_attachment", &v));
	assert_false(json_object_get_boolean(v));
	assert_null(str(o, "internaldate"));
	json_object_put(o);
	imap_parser_free(p);
}

/* envelope_json is the sync engine's row reshaped: the row (what cache.db
 * would store, warnings included) and the envelope agree, known domains
 * reach the look-alike checks, and a FETCH without ENVELOPE converts to
 * nothing. */
static void
test_envelope_is_sync_row(void **state)
{
	static const char *const known[] = {"paypal.com"};
	static const char lookalike[] =
	    "* 2 FETCH (UID 9 INTERNALDATE \"01-Jan-2024 00:30:00 +0100\" ENVELOPE (NIL "
	    "\"hi\" ((\"PayPal\" NIL \"service\" \"paypa1.com\")) NIL "
	    "((NIL NIL \"x\" \"other.example\")) NIL NIL NIL NIL NIL))\r\n";
	static const char noenv[] = "* 3 FETCH (UID 10 FLAGS (\\Seen))\r\n";
	struct imap_parser *p = imap_parser_new(1 << 20);
	struct sync_conv *v = sync_conv_new();
	const struct imap_resp *r = NULL;
	const char *err = NULL;
	size_t used = 0;
	struct cache_msg m;
	struct json_object *a, *b;
	bool bad = false;

	(void)state;
	assert_non_null(p);
	assert_non_null(v);
	assert_int_equal(imap_parser_feed(p, RESP1, strlen(RESP1), &used, &r, &err), IG_OK);
	assert_int_equal(sync_conv_fetch(v, &r->u.fetch, 5, NULL, 0, &m), IG_OK);
	assert_int_equal(m.uid, 42);
	assert_int_equal(m.uidvalidity, 5);
	assert_int_equal(m.internaldate, 837596665); /* 1996-07-17T09:44:25Z */
	assert_true(m.has_attachment);
	assert_non_null(memmem(m.warnings_json.p, m.warnings_json.len,
	                       "unicode_zero_width_stripped", 27));
	a = envelope_json_cached(&m, "INBOX", &bad);
	assert_false(bad);
	b = envelope_json(&r->u.fetch, "INBOX", NULL, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);

	assert_int_equal(imap_parser_feed(p, lookalike, sizeof(lookalike) - 1, &used, &r, &err),
	                 IG_OK);
	a = envelope_json(&r->u.fetch, "Archive", known, 1);
	assert_non_null(a);
	assert_string_equal(str(a, "folder"), "Archive");
	assert_string_equal(str(a, "internaldate"), "2023-12-31T23:30:00Z");
	assert_true(has_warning(a, "lookalike_confusable_domain"));
	assert_true(has_warning(a, "lookalike_reply_to_mismatch"));
	json_object_put(a);
	a = envelope_json(&r->u.fetch, "Archive", NULL, 0);
	assert_false(has_warning(a, "lookalike_confusable_domain"));
	json_object_put(a);

	assert_int_equal(imap_parser_feed(p, noenv, sizeof(noenv) - 1, &used, &r, &err), IG_OK);
	assert_int_equal(sync_conv_fetch(v, &r->u.fetch, 1, NULL, 0, &m), IG_EINVAL);
	assert_null(envelope_json(&r->u.fetch, "INBOX", NULL, 0));
	sync_conv_free(v);
	sync_conv_free(NULL);
	imap_parser_free(p);
}

/* A FETCH the parser marked over_limit (imap/parse.h) converts to a
 * placeholder row with envelope_over_limit, for each way it can come: the
 * envelope dropped with the response, the BODYSTRUCTURE dropped, an address
 * list cut; what the FETCH still had is kept. */
static void
test_envelope_over_limit(void **state)
{
	static const char *const detail[3] = {"not read: over a size limit",
					      "structure over a limit: has_attachment unknown",
					      "address list cut at the limit"};
	struct sync_conv *v = sync_conv_new();
	struct imap_envelope env;
	struct imap_body body;
	struct imap_fetch f;
	struct cache_msg m;
	struct json_object *o;
	bool bad = false;
	int k;

	(void)state;
	assert_non_null(v);
	memset(&env, 0, sizeof(env));
	env.subject = (struct slice){"kept", 4};
	memset(&body, 0, sizeof(body));
	body.type = (struct slice){"TEXT", 4};
	for (k = 0; k < 3; k++) {
		memset(&f, 0, sizeof(f));
		f.over_limit = true;
		f.has_uid = true;
		f.uid = 77;
		f.has_size = true;
		f.size = 123;
		f.envelope = k == 0 ? NULL : &env;
		f.body = k == 2 ? &body : NULL;
		assert_int_equal(sync_conv_fetch(v, &f, 3, NULL, 0, &m), IG_OK);
		assert_int_equal(m.uid, 77);
		assert_int_equal(m.size, 123);
		assert_int_equal(m.internaldate, 0);
		assert_non_null(memmem(m.warnings_json.p, m.warnings_json.len, detail[k],
				       strlen(detail[k])));
		o = envelope_json_cached(&m, "INBOX", &bad);
		assert_false(bad);
		assert_non_null(o);
		assert_true(has_warning(o, "envelope_over_limit"));
		if (k == 0)
			assert_null(str(o, "subject"));
		else
			assert_string_equal(str(o, "subject"), "kept");
		json_object_put(o);
	}
	/* without over_limit, no envelope is still not a row */
	f.over_limit = false;
	f.envelope = NULL;
	assert_int_equal(sync_conv_fetch(v, &f, 3, NULL, 0, &m), IG_EINVAL);
	sync_conv_free(v);
}

static void
test_internaldate(void **state)
{
	char out[32];

	(void)state;
	assert_true(
	    envelope_internaldate_iso(SL_LIT(" 1-Jan-2024 00:30:00 +0100"), out, sizeof(out)));
	assert_string_equal(out, "2023-12-31T23:30:00Z");
	assert_false(
	    envelope_internaldate_iso(SL_LIT("1-Jan-2024 00:30:00 +0100"), out, sizeof(out)));
	assert_false(
	    envelope_internaldate_iso(SL_LIT("01-Foo-2024 00:30:00 +0100"), out, sizeof(out)));
	assert_false(
	    envelope_internaldate_iso(SL_LIT("01-Jan-2024 24:30:00 +0100"), out, sizeof(out)));
	assert_string_equal(out, "");
}

static void
test_flag_ok(void **state)
{
	(void)state;
	assert_true(envelope_flag_ok(SL_LIT("\\Seen")));
	assert_true(envelope_flag_ok(SL_LIT("$Forwarded")));
	assert_false(envelope_flag_ok(SL_LIT("\\")));
	assert_false(envelope_flag_ok(SL_LIT("a b")));
	assert_false(envelope_flag_ok(SL_LIT("\\*")));
	assert_false(envelope_flag_ok(SL_LIT("caf\xc3\xa9")));
	assert_false(envelope_flag_ok(SL_LIT("")));
}

static const char *
jstr(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, k, &v) && v != NULL ? json_object_get_string(v) : NULL;
}

static void
test_envelope_cached(void **state)
{
	struct cache_msg m;
	struct json_object *o, *from, *v;
	bool bad = false;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.uid = 42;
	m.internaldate = 1700000000;
	m.size = 1234;
	m.flags = SL_LIT("\\Seen $Label bad\\flag");
	m.subject = SL_LIT("Hello");
	m.from_json = SL_LIT("[{\"name\":null,\"address\":\"a@example.org\"},"
			     "{\"name\":\"B\",\"address\":\"b@example.org\"}]");
	m.to_json = SL_LIT("[{\"name\":\"Al\",\"address\":\"al@example.test\"}]");
	m.cc_json = SL_LIT("[]");
	m.message_id = SL_LIT("<id1@example.org>");
	m.in_reply_to = SL_LIT("<id0@example.org> <x@y>");
	m.references = SL_LIT("<r1@x> <r2@x>");
	m.list_id = SL_LIT("Dev list <dev.example.org>");
	m.warnings_json = SL_LIT("[{\"code\":\"c\",\"detail\":\"d\",\"location\":\"header.from\"}]");
	o = envelope_json_cached(&m, "INBOX", &bad);
	assert_non_null(o);
	assert_false(bad);
	assert_int_equal(json_object_object_length(o), 16);
	assert_string_equal(jstr(o, "folder"), "INBOX");
	assert_string_equal(jstr(o, "message_id"), "id1@example.org");
	assert_string_equal(jstr(o, "in_reply_to"), "id0@example.org");
	assert_string_equal(jstr(o, "list_id"), "dev.example.org");
	assert_string_equal(jstr(o, "internaldate"), "2023-11-14T22:13:20Z");
	assert_null(jstr(o, "date"));
	assert_true(json_object_object_get_ex(o, "from", &from));
	assert_string_equal(jstr(from, "name"), "");
	assert_string_equal(jstr(from, "address"), "a@example.org");
	assert_true(json_object_object_get_ex(o, "flags", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(json_object_object_get_ex(o, "references", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(json_object_object_get_ex(o, "security_warnings", &v));
	assert_int_equal(json_object_array_length(v), 1);
	json_object_put(o);

	/* stored JSON the sync engine would never write: damage */
	m.from_json = SL_LIT("[{\"name\":1,\"address\":\"a@example.org\"}]");
	o = envelope_json_cached(&m, "INBOX", &bad);
	assert_non_null(o);
	assert_true(bad);
	json_object_put(o);
	bad = false;
	m.from_json = SL_LIT("[]");
	m.warnings_json = SL_LIT("[{\"code\":\"c\"}");
	o = envelope_json_cached(&m, "INBOX", &bad);
	assert_true(bad);
	assert_true(json_object_object_get_ex(o, "from", &v));
	assert_null(v);
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_envelope_whole),
	    cmocka_unit_test(test_envelope_bytewise),
	    cmocka_unit_test(test_envelope_hostile_strings),
	    cmocka_unit_test(test_envelope_is_sync_row),
	    cmocka_unit_test(test_envelope_over_limit),
	    cmocka_unit_test(test_internaldate),
	    cmocka_unit_test(test_flag_ok),
	    cmocka_unit_test(test_envelope_cached),
	};
	int rc;

	content_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	content_shutdown();
	return rc;
}
