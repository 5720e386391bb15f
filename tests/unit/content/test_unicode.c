/* Tests content/unicode.c: a table per stripped class and per kept sequence,
 * then property tests over generated strings mixing every class (valid
 * UTF-8, idempotent, NFKC-stable, no stripped class survives, bounded
 * growth, every prefix safe), then grapheme truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "base/utf8.h"
#include "content/unicode.h"
#include "content/warn.h"

#define OUT_MAX ((size_t)1024 * 1024)

struct u8_case {
	const char *name;
	const char *in;
	const char *want;
	size_t zw, bidi, cc, tags, vs, pu, cn, bad;
};

static const struct u8_case cases[] = {
    {"ascii", "Hello, world!\tTab\n", "Hello, world!\tTab\n", 0, 0, 0, 0, 0, 0, 0, 0},
    {"crlf", "a\r\nb\rc\n\r\n", "a\nb\nc\n\n", 0, 0, 0, 0, 0, 0, 0, 0},
    {"crlf in slow chunk", "\xc3\xa9\r\n\xc3\xa9\r", "\xc3\xa9\n\xc3\xa9\n", 0, 0, 0, 0, 0, 0, 0,
     0},
    {"line separator",
     "a\xe2\x80\xa8"
     "b",
     "a\nb", 0, 0, 0, 0, 0, 0, 0, 0},
    {"zwsp", "hel\xe2\x80\x8blo", "hello", 1, 0, 0, 0, 0, 0, 0, 0},
    {"bom wj soft hyphen",
     "\xef\xbb\xbf"
     "a\xe2\x81\xa0"
     "b\xc2\xad"
     "c",
     "abc", 3, 0, 0, 0, 0, 0, 0, 0},
    {"invisible times, mongolian vowel sep", "x\xe2\x81\xa2y\xe1\xa0\x8ez", "xyz", 2, 0, 0, 0, 0, 0,
     0, 0},
    {"hangul filler", "\xe3\x85\xa4name", "name", 1, 0, 0, 0, 0, 0, 0, 0},
    {"zwj between latin", "ig\xe2\x80\x8dnore", "ignore", 1, 0, 0, 0, 0, 0, 0, 0},
    {"zwnj between latin", "ig\xe2\x80\x8cnore", "ignore", 1, 0, 0, 0, 0, 0, 0, 0},
    {"bidi rlo pdf",
     "safe\xe2\x80\xae"
     "evil\xe2\x80\xac.txt",
     "safeevil.txt", 0, 2, 0, 0, 0, 0, 0, 0},
    {"bidi isolates marks",
     "\xe2\x81\xa6"
     "a\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
     "a", 0, 5, 0, 0, 0, 0, 0, 0},
    {"c0",
     "a\x01\x1b[31mb\x7f"
     "c",
     "a[31mbc", 0, 0, 3, 0, 0, 0, 0, 0},
    {"nul", "a\0b", "ab", 0, 0, 1, 0, 0, 0, 0, 0},
    {"c1",
     "a\xc2\x85\xc2\x9b"
     "b",
     "ab", 0, 0, 2, 0, 0, 0, 0, 0},
    {"tags", "hi\xf3\xa0\x81\x89\xf3\xa0\x81\x87", "hi", 0, 0, 0, 2, 0, 0, 0, 0},
    {"vs after letter",
     "a\xef\xb8\x8f"
     "b\xef\xb8\x80",
     "ab", 0, 0, 0, 0, 2, 0, 0, 0},
    {"ivs", "\xe8\x91\x9b\xf3\xa0\x84\x80", "\xe8\x91\x9b", 0, 0, 0, 0, 1, 0, 0, 0},
    {"private use",
     "a\xee\x80\x80"
     "b\xf3\xb0\x80\x80",
     "ab", 0, 0, 0, 0, 0, 2, 0, 0},
    {"unassigned",
     "a\xcd\xb8"
     "b\xf1\x90\x80\x80"
     "c\xef\xb7\x90",
     "abc", 0, 0, 0, 0, 0, 0, 3, 0},
    {"invalid utf8",
     "a\x80"
     "b\xc0\xaf"
     "c\xed\xa0\x80",
     "a\xef\xbf\xbd"
     "b\xef\xbf\xbd\xef\xbf\xbd"
     "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
     0, 0, 0, 0, 0, 0, 0, 6},
    {"truncated at end", "ab\xe2\x80", "ab\xef\xbf\xbd", 0, 0, 0, 0, 0, 0, 0, 1},
    {"nfkc fullwidth", "\xef\xbc\xa1\xef\xbd\x82\xef\xbc\x91", "Ab1", 0, 0, 0, 0, 0, 0, 0, 0},
    {"nfkc ligature", "\xef\xac\x81le", "file", 0, 0, 0, 0, 0, 0, 0, 0},
    {"nfkc compose after ascii", "e\xcc\x81", "\xc3\xa9", 0, 0, 0, 0, 0, 0, 0, 0},
    {"nfkc compose across zwsp", "e\xe2\x80\x8b\xcc\x81", "\xc3\xa9", 1, 0, 0, 0, 0, 0, 0, 0},
    {"nfkc nbsp",
     "a\xc2\xa0"
     "b",
     "a b", 0, 0, 0, 0, 0, 0, 0, 0},
    {"tm vs16 settles", "\xe2\x84\xa2\xef\xb8\x8f", "TM", 0, 0, 0, 0, 1, 0, 0, 0},
    {"emoji vs16 kept", "\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x9d\xa4\xef\xb8\x8f", 0, 0, 0, 0, 0, 0, 0,
     0},
    {"keycap", "1\xef\xb8\x8f\xe2\x83\xa3", "1\xef\xb8\x8f\xe2\x83\xa3", 0, 0, 0, 0, 0, 0, 0, 0},
    {"zwj family", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
     "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 0, 0, 0, 0, 0, 0,
     0, 0},
    {"zwj skin tone profession", "\xf0\x9f\x91\xa9\xf0\x9f\x8f\xbd\xe2\x80\x8d\xf0\x9f\x92\xbb",
     "\xf0\x9f\x91\xa9\xf0\x9f\x8f\xbd\xe2\x80\x8d\xf0\x9f\x92\xbb", 0, 0, 0, 0, 0, 0, 0, 0},
    {"rainbow flag", "\xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88",
     "\xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88", 0, 0, 0, 0, 0, 0, 0, 0},
    {"regional flag", "\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5", "\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5", 0, 0,
     0, 0, 0, 0, 0, 0},
    {"england flag tags",
     "\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xa5\xf3\xa0\x81\xae\xf3\xa0\x81"
     "\xa7\xf3\xa0\x81\xbf",
     "\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xa5\xf3\xa0\x81\xae\xf3\xa0\x81"
     "\xa7\xf3\xa0\x81\xbf",
     0, 0, 0, 0, 0, 0, 0, 0},
    {"flag base with smuggled payload",
     "\xf0\x9f\x8f\xb4\xf3\xa0\x81\x89\xf3\xa0\x80\xa0\xf3\xa0\x81\xbf", "\xf0\x9f\x8f\xb4", 0, 0,
     0, 3, 0, 0, 0, 0},
    {"arabic",
     "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7"
     "\xd9\x84\xd9\x85",
     "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9"
     "\x85",
     0, 0, 0, 0, 0, 0, 0, 0},
    {"persian zwnj kept", "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85",
     "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85", 0, 0, 0, 0, 0, 0, 0,
     0},
    {"hebrew", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d",
     "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d", 0, 0, 0, 0, 0, 0, 0, 0},
    {"japanese",
     "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\xe4\xb8\x96\xe7\x95"
     "\x8c",
     "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\xe4\xb8\x96\xe7\x95\x8c", 0, 0,
     0, 0, 0, 0, 0, 0},
    {"korean", "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94",
     "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94", 0, 0, 0, 0, 0, 0, 0, 0},
    {"devanagari", "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87",
     "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87", 0, 0, 0, 0, 0, 0,
     0, 0},
    {"devanagari zwj half form", "\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d\xe0\xa4\xb7",
     "\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d\xe0\xa4\xb7", 0, 0, 0, 0, 0, 0, 0, 0},
    {"cyrillic", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
     "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
     "\xd0\xb5\xd1\x82",
     0, 0, 0, 0, 0, 0, 0, 0},
    {"german",
     "Gr\xc3\xbc\xc3\x9f"
     "e aus Bayern",
     "Gr\xc3\xbc\xc3\x9f"
     "e aus Bayern",
     0, 0, 0, 0, 0, 0, 0, 0},
    {"arabic number sign kept", "\xd8\x80\xd9\xa1\xd9\xa2", "\xd8\x80\xd9\xa1\xd9\xa2", 0, 0, 0, 0,
     0, 0, 0, 0},
};

static void
expect_case(const struct u8_case *c)
{
	struct u8_report rep;
	struct buf out;
	size_t len = strlen(c->in);

	/* "nul" carries an embedded NUL: its length is known. */
	if (strcmp(c->name, "nul") == 0)
		len = 3;
	u8_report_init(&rep);
	buf_init(&out, OUT_MAX);
	if (u8_sanitize((struct slice){c->in, len}, &out, &rep) != IG_OK)
		fail_msg("%s: error", c->name);
	if (!sl_eq(buf_slice(&out), sl_from_cstr(c->want)))
		fail_msg("%s: got '%.*s'", c->name, (int)out.len, out.p);
	if (rep.zero_width != c->zw || rep.bidi != c->bidi || rep.c0c1 != c->cc ||
	    rep.tags != c->tags || rep.variation_selectors != c->vs || rep.private_use != c->pu ||
	    rep.unassigned != c->cn || rep.invalid_utf8 != c->bad)
		fail_msg("%s: counts zw=%zu bidi=%zu cc=%zu tags=%zu vs=%zu pu=%zu cn=%zu bad=%zu",
		         c->name, rep.zero_width, rep.bidi, rep.c0c1, rep.tags,
		         rep.variation_selectors, rep.private_use, rep.unassigned,
		         rep.invalid_utf8);
	buf_free(&out);
	u8_report_free(&rep);
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_case(&cases[i]);
}

static void
test_tag_payload_and_warnings(void **state)
{
	/* "hi" + tags spelling "IGNORE" */
	static const char in[] =
	    "hi\xf3\xa0\x81\x89\xf3\xa0\x81\x87\xf3\xa0\x81\x8e\xf3\xa0\x81\x8f"
	    "\xf3\xa0\x81\x92\xf3\xa0\x81\x85\xe2\x80\x8b\xe2\x80\xae";
	struct u8_report rep;
	struct warn_list w;
	struct buf out;

	(void)state;
	u8_report_init(&rep);
	warn_list_init(&w);
	buf_init(&out, OUT_MAX);
	assert_int_equal(u8_sanitize((struct slice){in, sizeof(in) - 1}, &out, &rep), IG_OK);
	assert_string_equal(out.p, "hi");
	assert_int_equal(rep.tag_payload.len, 6);
	assert_memory_equal(rep.tag_payload.p, "IGNORE", 6);
	u8_report_warn(&rep, &w, "body.text");
	assert_int_equal(w.n, 3);
	assert_true(warn_has(&w, "unicode_tag_chars_stripped"));
	assert_true(warn_has(&w, "unicode_zero_width_stripped"));
	assert_true(warn_has(&w, "unicode_bidi_override_stripped"));
	assert_string_equal(w.items[0].detail, "count=1");
	assert_string_equal(w.items[0].location, "body.text");
	/* The hidden text never reaches a warning. */
	for (size_t i = 0; i < w.n; i++)
		assert_null(strstr(w.items[i].detail, "IGNORE"));
	buf_free(&out);
	warn_list_free(&w);
	u8_report_free(&rep);
}

static void
test_out_limit(void **state)
{
	struct u8_report rep;
	struct buf out;

	(void)state;
	u8_report_init(&rep);
	buf_init(&out, 4);
	assert_int_equal(u8_sanitize(SL_LIT("hello"), &out, &rep), IG_ELIMIT);
	buf_free(&out);
	buf_init(&out, 4);
	assert_int_equal(u8_sanitize(SL_LIT("\xc3\xa9\xc3\xa9\xc3\xa9"), &out, &rep), IG_ELIMIT);
	buf_free(&out);
	u8_report_free(&rep);
}

/* Copies bytes that are not strings (no NUL wanted). */
static void
put_bytes(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
}

/* ---- property tests ---- */

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* splitmix64: seeded, reproducible. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* Code points from every class the sanitizer treats specially, plus text. */
static const uint32_t pool[] = {
    'a',     'e',     'Z',     '1',     '#',     '*',     ' ',     '\t',    '\n',    '\r',
    0,       0x01,    0x1b,    0x7f,    0x80,    0x85,    0x9f,    0xa0,    0xad,    0xe9,
    0x301,   0x308,   0x323,   0x338,   0x34f,   0x600,   0x61c,   0x627,   0x644,   0x6cc,
    0x64b,   0x5d0,   0x5e9,   0x915,   0x94d,   0x937,   0x930,   0x93f,   0x430,   0x43f,
    0x3bf,   0x1100,  0x1161,  0x11a8,  0x1160,  0x3164,  0xffa0,  0x180b,  0x180e,  0x200b,
    0x200c,  0x200d,  0x200e,  0x200f,  0x2028,  0x2029,  0x202a,  0x202e,  0x2060,  0x2062,
    0x2066,  0x2069,  0x2122,  0x2139,  0x20e3,  0x2640,  0x2764,  0x24c2,  0x3297,  0x3316,
    0x4e16,  0x8449,  0xac00,  0xfdfa,  0xfb01,  0xfe0e,  0xfe0f,  0xfe00,  0xfeff,  0xff21,
    0xfffd,  0xfffe,  0xe000,  0xf8ff,  0x378,   0x1f3f4, 0x1f3f3, 0x1f1ec, 0x1f1e7, 0x1f468,
    0x1f469, 0x1f467, 0x1f3fd, 0x1f600, 0x1f308, 0x1f4bb, 0x1fbff, 0x1fc00, 0xe0001, 0xe0020,
    0xe0041, 0xe0067, 0xe0062, 0xe0065, 0xe006e, 0xe007f, 0xe0080, 0xe0100, 0xf0000, 0x10fffd,
    0x50000, 0x2ffff, 0x13430, 0x1d173, 0x110bd,
};

/* Raw byte sequences: ill-formed UTF-8 of each kind. */
static const char *const bad_bytes[] = {
    "\x80", "\xbf", "\xc0\xaf", "\xc1",         "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
    "\xf5", "\xff", "\xe2\x80", "\xf0\x9f\x98",
};

static size_t
gen_string(char *out, size_t max)
{
	size_t n = 0;
	size_t items = rng() % 48;

	while (items-- > 0 && n + 4 <= max) {
		uint32_t r = rng() % 100;

		if (r < 8) {
			const char *b =
			    bad_bytes[rng() % (sizeof(bad_bytes) / sizeof(bad_bytes[0]))];
			size_t bl = strlen(b);

			if (n + bl > max)
				break;
			put_bytes(out + n, b, bl);
			n += bl;
		} else if (r < 12) {
			uint32_t cp = rng() % 0x110000;

			n += u8_encode(cp, out + n);
		} else {
			uint32_t cp = pool[rng() % (sizeof(pool) / sizeof(pool[0]))];

			n += u8_encode(cp, out + n);
		}
	}
	return n;
}

static bool
is_nfkc(const char *p, size_t len)
{
	static UChar u16[OUT_MAX];
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *n = unorm2_getNFKCInstance(&err);
	int32_t ulen = 0;
	UBool ok;

	u_strFromUTF8(u16, OUT_MAX, &ulen, p, (int32_t)len, &err);
	if (U_FAILURE(err))
		return false;
	ok = unorm2_isNormalized(n, u16, ulen, &err);
	return U_SUCCESS(err) && ok;
}

/* Independent statement of the policy: what may appear in output, and only
 * in which context. */
static void
assert_no_stripped_class(const char *p, size_t len)
{
	UChar32 prev = 0;
	int32_t i = 0;
	int32_t n = (int32_t)len;

	while (i < n) {
		UChar32 c;
		UChar32 next = 0;
		int8_t t;

		U8_NEXT((const uint8_t *)p, i, n, c);
		if (i < n) {
			int32_t j = i;

			U8_NEXT((const uint8_t *)p, j, n, next);
		}
		assert_true(c >= 0);
		t = u_charType(c);
		if (c == '\r' || c == 0x2028 || c == 0x2029)
			fail_msg("line break U+%04X survived", (unsigned)c);
		if (t == U_CONTROL_CHAR && c != '\t' && c != '\n')
			fail_msg("control U+%04X survived", (unsigned)c);
		if (t == U_PRIVATE_USE_CHAR || t == U_UNASSIGNED || t == U_SURROGATE)
			fail_msg("PU/Cn U+%04X survived", (unsigned)c);
		if (c == 0x61c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			fail_msg("bidi U+%04X survived", (unsigned)c);
		if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) ||
		    (c >= 0x180b && c <= 0x180f)) {
			if (!((c == 0xfe0e || c == 0xfe0f) &&
			      u_hasBinaryProperty(prev, UCHAR_EMOJI)))
				fail_msg("VS U+%04X after U+%04X survived", (unsigned)c,
				         (unsigned)prev);
		} else if (c >= 0xe0000 && c <= 0xe007f) {
			if (!(prev == 0x1f3f4 || (prev >= 0xe0030 && prev <= 0xe007a)))
				fail_msg("tag U+%04X survived", (unsigned)c);
		} else if (c == 0x200d || c == 0x200c) {
			if (!(u_hasBinaryProperty(next, UCHAR_EXTENDED_PICTOGRAPHIC) ||
			      (prev >= 0x600 && next >= 0x600)))
				fail_msg("joiner U+%04X survived", (unsigned)c);
		} else if (t == U_FORMAT_CHAR) {
			if (!u_hasBinaryProperty(c, UCHAR_PREPENDED_CONCATENATION_MARK))
				fail_msg("format U+%04X survived", (unsigned)c);
		} else if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
			fail_msg("default-ignorable U+%04X survived", (unsigned)c);
		}
		prev = c;
	}
}

static void
check_invariants(const char *in, size_t len)
{
	struct u8_report rep;
	struct u8_report rep2;
	struct buf out;
	struct buf out2;

	u8_report_init(&rep);
	u8_report_init(&rep2);
	buf_init(&out, OUT_MAX);
	buf_init(&out2, OUT_MAX);
	assert_int_equal(u8_sanitize((struct slice){in, len}, &out, &rep), IG_OK);
	assert_true(u8_valid(out.p, out.len));
	assert_true(out.len <= 12 * len);
	assert_true(is_nfkc(out.p, out.len));
	assert_no_stripped_class(out.p, out.len);
	assert_int_equal(u8_sanitize(buf_slice(&out), &out2, &rep2), IG_OK);
	if (!sl_eq(buf_slice(&out), buf_slice(&out2)))
		fail_msg("not idempotent: '%.*s' -> '%.*s'", (int)out.len, out.p, (int)out2.len,
		         out2.p);
	assert_int_equal(rep2.zero_width + rep2.bidi + rep2.c0c1 + rep2.tags +
	                     rep2.variation_selectors + rep2.private_use + rep2.unassigned +
	                     rep2.invalid_utf8,
	                 0);
	buf_free(&out);
	buf_free(&out2);
	u8_report_free(&rep);
	u8_report_free(&rep2);
}

static void
test_property_random(void **state)
{
	char in[512];
	int iter;

	(void)state;
	rng_state = 0x1234abcdULL;
	for (iter = 0; iter < 20000; iter++) {
		size_t n = gen_string(in, sizeof(in));

		check_invariants(in, n);
	}
}

static void
test_property_prefixes(void **state)
{
	char in[512];
	int iter;

	(void)state;
	rng_state = 0xfeedULL;
	for (iter = 0; iter < 300; iter++) {
		size_t n = gen_string(in, sizeof(in));
		size_t k;

		for (k = 0; k <= n; k++)
			check_invariants(in, k);
	}
}

/* A large mixed text crosses the fast-path/ICU chunking many times. */
static void
test_property_long(void **state)
{
	static char in[200000];
	size_t n = 0;

	(void)state;
	rng_state = 42;
	while (n + 600 < sizeof(in)) {
		if (rng() % 3 == 0) {
			size_t run = rng() % 80;

			memset(in + n, 'x', run);
			n += run;
		}
		n += gen_string(in + n, 512);
	}
	check_invariants(in, n);
}

/* Past 64 KiB without ASCII the sanitizer splits text itself; for text with
 * nothing to strip the result must still be exactly NFKC of the whole. */
static const uint32_t keep_pool[] = {
    0xe9,    0x301,   0x308,  0x323,  0x338,  0x430,  0x3bf,  0x4e16, 0x8449, 0x3042, 0x30ab,
    0x3099,  0xac00,  0x1100, 0x1161, 0x11a8, 0xfdfa, 0xff21, 0x3316, 0x2122, 0xfb01, 0x1f600,
    0x1f468, 0x1f3fd, 0x627,  0x644,  0x5d0,  0x915,  0x94d,  0x937,  0xa0,   0x2460,
};

static void
test_chunk_split_nfkc(void **state)
{
	static char in[400000];
	static UChar u16[400000];
	static UChar n16[4 * 400000];
	static char want[12 * 400000];
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);
	struct u8_report rep;
	struct buf out;
	size_t n = 0;
	int32_t ulen = 0;
	int32_t nlen;
	int32_t wlen = 0;

	(void)state;
	rng_state = 77;
	while (n + 4 < sizeof(in))
		n += u8_encode(keep_pool[rng() % (sizeof(keep_pool) / sizeof(keep_pool[0]))],
		               in + n);
	u_strFromUTF8(u16, 400000, &ulen, in, (int32_t)n, &err);
	nlen = unorm2_normalize(nfkc, u16, ulen, n16, 4 * 400000, &err);
	u_strToUTF8(want, (int32_t)sizeof(want), &wlen, n16, nlen, &err);
	assert_true(U_SUCCESS(err));
	u8_report_init(&rep);
	buf_init(&out, sizeof(want));
	assert_int_equal(u8_sanitize((struct slice){in, n}, &out, &rep), IG_OK);
	assert_int_equal(out.len, (size_t)wlen);
	assert_memory_equal(out.p, want, out.len);
	assert_int_equal(rep.zero_width + rep.variation_selectors + rep.unassigned, 0);
	buf_free(&out);
	u8_report_free(&rep);
}

/* Long runs of joiner sequences cross the split points intact. */
static void
test_chunk_split_sequences(void **state)
{
	static const char *const units[] = {
	    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
	    "\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d\xe0\xa4\xb7",
	    /* England flag: U+1F3F4 + tags "gbeng" + CANCEL TAG */
	    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
	    "\xe2\x9d\xa4\xef\xb8\x8f",
	    "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae",
	};
	static char in[300000];
	size_t u;

	(void)state;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t ul = strlen(units[u]);
		size_t n = 0;
		struct u8_report rep;
		struct buf out;

		while (n + ul <= sizeof(in)) {
			put_bytes(in + n, units[u], ul);
			n += ul;
		}
		u8_report_init(&rep);
		buf_init(&out, 2 * sizeof(in));
		assert_int_equal(u8_sanitize((struct slice){in, n}, &out, &rep), IG_OK);
		assert_int_equal(out.len, n);
		assert_memory_equal(out.p, in, n);
		buf_free(&out);
		u8_report_free(&rep);
	}
}

/* U+FDFA grows 11-fold: the output cap stops it, scratch stays per chunk. */
static void
test_expansion_capped(void **state)
{
	static char in[3 * 100000];
	struct u8_report rep;
	struct buf out;
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++)
		put_bytes(in + 3 * i, "\xef\xb7\xba", 3);
	u8_report_init(&rep);
	buf_init(&out, (size_t)1024 * 1024);
	assert_int_equal(u8_sanitize((struct slice){in, sizeof(in)}, &out, NULL), IG_ELIMIT);
	buf_free(&out);
	buf_init(&out, (size_t)4 * 1024 * 1024);
	assert_int_equal(u8_sanitize((struct slice){in, sizeof(in)}, &out, &rep), IG_OK);
	assert_int_equal(out.len, 33 * 100000);
	buf_free(&out);
	u8_report_free(&rep);
}

/* ---- truncation ---- */

static void
test_truncate(void **state)
{
	/* "e" + combining acute, family emoji, then ASCII. */
	static const char s[] =
	    "ab"
	    "e\xcc\x81"
	    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"
	    "cd";
	size_t len = sizeof(s) - 1;
	size_t k;

	(void)state;
	assert_int_equal(u8_truncate_graphemes(s, len, len), len);
	assert_int_equal(u8_truncate_graphemes(s, len, 100), len);
	assert_int_equal(u8_truncate_graphemes(s, len, 0), 0);
	assert_int_equal(u8_truncate_graphemes(s, len, 2), 2);
	assert_int_equal(u8_truncate_graphemes(s, len, 3), 2); /* e without its accent */
	assert_int_equal(u8_truncate_graphemes(s, len, 4), 2);
	assert_int_equal(u8_truncate_graphemes(s, len, 5), 5);
	for (k = 6; k < 5 + 18; k++)
		assert_int_equal(u8_truncate_graphemes(s, len, k), 5); /* whole family or none */
	assert_int_equal(u8_truncate_graphemes(s, len, 23), 23);
	assert_int_equal(u8_truncate_graphemes(s, len, 24), 24);
}

static void
test_truncate_random(void **state)
{
	char in[512];
	int iter;

	(void)state;
	rng_state = 7;
	for (iter = 0; iter < 2000; iter++) {
		size_t n = gen_string(in, sizeof(in));
		size_t max = n > 0 ? rng() % (n + 1) : 0;
		size_t cut = u8_truncate_graphemes(in, n, max);

		assert_true(cut <= max || (cut == n && n <= max));
		if (u8_valid(in, n))
			assert_true(u8_valid(in, cut));
	}
}

/* ---- u8_sanitize_text: implicit bidi marks in right-to-left text ---- */

#define HE_SHALOM "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d" /* שלום */
#define AR_MARHABA "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7" /* مرحبا */
#define LRM "\xe2\x80\x8e"
#define RLM "\xe2\x80\x8f"
#define ALM "\xd8\x9c"
#define RLO "\xe2\x80\xae"
#define PDF "\xe2\x80\xac"
#define RLI "\xe2\x81\xa7"
#define PDI "\xe2\x81\xa9"
#define ASCII40 "abcdefghijklmnopqrstuvwxyzabcdefghijklmn"

static const struct u8_case text_cases[] = {
    {"hebrew rlm after punctuation", HE_SHALOM "!" RLM " " HE_SHALOM,
     HE_SHALOM "!" RLM " " HE_SHALOM, 0, 0, 0, 0, 0, 0, 0, 0},
    {"hebrew lrm around a phone number", HE_SHALOM ", " LRM "+972-3-1234567" LRM " " HE_SHALOM,
     HE_SHALOM ", " LRM "+972-3-1234567" LRM " " HE_SHALOM, 0, 0, 0, 0, 0, 0, 0, 0},
    {"arabic alm before digits", AR_MARHABA " " ALM "25%", AR_MARHABA " " ALM "25%", 0, 0, 0, 0,
     0, 0, 0, 0},
    {"mark between hebrew and latin", HE_SHALOM LRM "Outlook", HE_SHALOM LRM "Outlook", 0, 0, 0,
     0, 0, 0, 0, 0},
    {"lrm in latin-only text", "Sent" LRM " from my phone", "Sent from my phone", 0, 1, 0, 0, 0,
     0, 0, 0},
    {"lrm inside a latin word of hebrew mail", HE_SHALOM " ig" LRM "nore", HE_SHALOM " ignore", 0,
     1, 0, 0, 0, 0, 0, 0},
    {"rlm inside a hebrew word", "\xd7\xa9\xd7\x9c" RLM "\xd7\x95\xd7\x9d", HE_SHALOM, 0, 1, 0, 0,
     0, 0, 0, 0},
    {"marks between digits", HE_SHALOM " 1" LRM RLM "000", HE_SHALOM " 1000", 0, 2, 0, 0, 0, 0, 0,
     0},
    {"mark inside a word before a long ascii run", HE_SHALOM " ab" LRM ASCII40,
     HE_SHALOM " ab" ASCII40, 0, 1, 0, 0, 0, 0, 0, 0},
    {"mark before a long ascii run", HE_SHALOM LRM ASCII40, HE_SHALOM LRM ASCII40, 0, 0, 0, 0, 0,
     0, 0, 0},
    {"mark inside a word across stripped characters",
     HE_SHALOM " ig" LRM "\xe2\x80\x8b" LRM "nore", HE_SHALOM " ignore", 1, 2, 0, 0, 0, 0, 0, 0},
    {"overrides and isolates still stripped in rtl text",
     HE_SHALOM " " RLO "abc" PDF " " RLI HE_SHALOM PDI, HE_SHALOM " abc " HE_SHALOM, 0, 4, 0, 0,
     0, 0, 0, 0},
    {"rtl letter only in a stripped class", "\xd7\x8f" LRM "!", "!", 0, 1, 0, 0, 0, 0, 1, 0},
};

static void
expect_text_case(const struct u8_case *c)
{
	struct u8_report rep;
	struct buf out;
	struct buf again;

	u8_report_init(&rep);
	buf_init(&out, OUT_MAX);
	buf_init(&again, OUT_MAX);
	if (u8_sanitize_text(sl_from_cstr(c->in), &out, &rep) != IG_OK)
		fail_msg("%s: error", c->name);
	if (!sl_eq(buf_slice(&out), sl_from_cstr(c->want)))
		fail_msg("%s: got '%.*s'", c->name, (int)out.len, out.p);
	if (rep.zero_width != c->zw || rep.bidi != c->bidi || rep.c0c1 != c->cc ||
	    rep.tags != c->tags || rep.variation_selectors != c->vs || rep.private_use != c->pu ||
	    rep.unassigned != c->cn || rep.invalid_utf8 != c->bad)
		fail_msg("%s: counts zw=%zu bidi=%zu cc=%zu tags=%zu vs=%zu pu=%zu cn=%zu bad=%zu",
		         c->name, rep.zero_width, rep.bidi, rep.c0c1, rep.tags,
		         rep.variation_selectors, rep.private_use, rep.unassigned,
		         rep.invalid_utf8);
	assert_int_equal(u8_sanitize_text(buf_slice(&out), &again, NULL), IG_OK);
	if (!sl_eq(buf_slice(&out), buf_slice(&again)))
		fail_msg("%s: not idempotent", c->name);
	buf_free(&out);
	buf_free(&again);
	u8_report_free(&rep);
}

static void
test_text_marks(void **state)
{
	struct u8_report rep;
	struct buf out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++)
		expect_text_case(&text_cases[i]);
	/* u8_sanitize (identifiers) still strips every mark, RTL or not. */
	u8_report_init(&rep);
	buf_init(&out, OUT_MAX);
	assert_int_equal(u8_sanitize(SL_LIT(HE_SHALOM "!" RLM), &out, &rep), IG_OK);
	assert_true(sl_eq(buf_slice(&out), SL_LIT(HE_SHALOM "!")));
	assert_int_equal(rep.bidi, 1);
	buf_free(&out);
	u8_report_free(&rep);
}

/* Every right-to-left character next to a mark: the decision is stable
 * under a second pass (NFKC keeps a kept R/AL letter right-to-left, so a
 * kept mark stays kept). */
static void
test_text_marks_every_rtl_char(void **state)
{
	UChar32 c;

	(void)state;
	for (c = 0x590; c < 0x1f000; c++) {
		int8_t d = (int8_t)u_charDirection(c);
		char in[32];
		struct buf out;
		struct buf again;
		size_t n = 0;

		if (d != U_RIGHT_TO_LEFT && d != U_RIGHT_TO_LEFT_ARABIC)
			continue;
		n += u8_encode((uint32_t)c, in + n);
		put_bytes(in + n, RLM "!" LRM "1", 9);
		n += 9;
		buf_init(&out, OUT_MAX);
		buf_init(&again, OUT_MAX);
		assert_int_equal(u8_sanitize_text((struct slice){in, n}, &out, NULL), IG_OK);
		assert_int_equal(u8_sanitize_text(buf_slice(&out), &again, NULL), IG_OK);
		if (!sl_eq(buf_slice(&out), buf_slice(&again)))
			fail_msg("U+%04X: not idempotent", (unsigned)c);
		buf_free(&out);
		buf_free(&again);
	}
}

/* The word-character class mark_keep compares (an independent statement). */
static int
test_word_dir(UChar32 c)
{
	int d;

	if (c <= 0 || (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_ND_MASK)) == 0)
		return -1;
	d = (int)u_charDirection(c);
	return d == U_RIGHT_TO_LEFT_ARABIC ? U_RIGHT_TO_LEFT : d;
}

static bool
test_is_mark(UChar32 c)
{
	return c == 0x200e || c == 0x200f || c == 0x61c;
}

/* Characters mark_keep looks through to find a mark's neighbours: marks,
 * and the context-kept joiners, selectors and tags. */
static bool
test_mark_transparent(UChar32 c)
{
	return test_is_mark(c) || c == 0x200c || c == 0x200d || (c >= 0xfe00 && c <= 0xfe0f) ||
	       (c >= 0xe0000 && c <= 0xe007f);
}

/* Independent statement of where u8_sanitize_text may leave a mark. */
static void
assert_marks_in_place(const char *p, size_t len)
{
	int32_t n = (int32_t)len;
	int32_t i = 0;
	bool rtl = false;

	while (i < n) {
		UChar32 c;
		int8_t d;

		U8_NEXT((const uint8_t *)p, i, n, c);
		d = (int8_t)u_charDirection(c);
		rtl = rtl || d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC;
	}
	i = 0;
	while (i < n) {
		int32_t at = i;
		int32_t j;
		UChar32 c;
		UChar32 prev = 0;
		UChar32 next = 0;

		U8_NEXT((const uint8_t *)p, i, n, c);
		if (!test_is_mark(c))
			continue;
		if (!rtl)
			fail_msg("mark U+%04X kept in text without RTL letters", (unsigned)c);
		j = at;
		while (j > 0) {
			U8_PREV((const uint8_t *)p, 0, j, prev);
			if (!test_mark_transparent(prev))
				break;
			prev = 0;
		}
		j = i;
		while (j < n) {
			U8_NEXT((const uint8_t *)p, j, n, next);
			if (!test_mark_transparent(next))
				break;
			next = 0;
		}
		if (test_word_dir(prev) >= 0 && test_word_dir(prev) == test_word_dir(next))
			fail_msg("mark U+%04X kept inside a word (U+%04X, U+%04X)", (unsigned)c,
			         (unsigned)prev, (unsigned)next);
	}
}

static void
test_text_property_random(void **state)
{
	char in[512];
	int iter;

	(void)state;
	rng_state = 0x5eed2026ULL;
	for (iter = 0; iter < 20000; iter++) {
		size_t n = gen_string(in, sizeof(in));
		struct buf out;
		struct buf again;

		buf_init(&out, OUT_MAX);
		buf_init(&again, OUT_MAX);
		assert_int_equal(u8_sanitize_text((struct slice){in, n}, &out, NULL), IG_OK);
		assert_true(u8_valid(out.p, out.len));
		assert_true(is_nfkc(out.p, out.len));
		assert_marks_in_place(out.p, out.len);
		assert_int_equal(u8_sanitize_text(buf_slice(&out), &again, NULL), IG_OK);
		if (!sl_eq(buf_slice(&out), buf_slice(&again)))
			fail_msg("not idempotent: '%.*s' -> '%.*s'", (int)out.len, out.p,
			         (int)again.len, again.p);
		buf_free(&out);
		buf_free(&again);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_tag_payload_and_warnings),
	    cmocka_unit_test(test_out_limit),
	    cmocka_unit_test(test_property_random),
	    cmocka_unit_test(test_property_prefixes),
	    cmocka_unit_test(test_property_long),
	    cmocka_unit_test(test_chunk_split_nfkc),
	    cmocka_unit_test(test_chunk_split_sequences),
	    cmocka_unit_test(test_expansion_capped),
	    cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_truncate_random),
	    cmocka_unit_test(test_text_marks),
	    cmocka_unit_test(test_text_marks_every_rtl_char),
	    cmocka_unit_test(test_text_property_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
