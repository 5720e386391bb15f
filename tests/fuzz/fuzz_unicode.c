/* libFuzzer target for content/unicode.c and content/markdown.c. Besides
 * crashes it aborts when an invariant of the Unicode policy breaks: output
 * valid UTF-8 and NFKC, sanitizing it again changes nothing and strips
 * nothing, no character of a stripped class survives outside the sequences
 * allowed to keep it; grapheme truncation stays within bounds on a
 * character boundary; Markdown neutralization is idempotent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "content/markdown.h"
#include "content/unicode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX ((size_t)256 * 1024) /* above U8_CHUNK_MAX: exercises splitting */

static bool
is_nfkc(const char *p, size_t len)
{
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *n = unorm2_getNFKCInstance(&err);
	UChar *u16 = malloc((len + 1) * sizeof(UChar));
	int32_t ulen = 0;
	bool ok = false;

	if (u16 == NULL)
		abort();
	u_strFromUTF8(u16, (int32_t)len + 1, &ulen, p, (int32_t)len, &err);
	if (U_SUCCESS(err))
		ok = unorm2_isNormalized(n, u16, ulen, &err) && U_SUCCESS(err);
	free(u16);
	return ok;
}

/* The policy stated independently of unicode.c. */
static bool
policy_ok(const char *p, size_t len)
{
	UChar32 prev = 0;
	int32_t i = 0;
	int32_t n = (int32_t)len;

	while (i < n) {
		UChar32 c;
		UChar32 next = 0;
		int8_t t;

		U8_NEXT((const uint8_t *)p, i, n, c);
		if (c < 0)
			return false;
		if (i < n) {
			int32_t j = i;

			U8_NEXT((const uint8_t *)p, j, n, next);
		}
		t = u_charType(c);
		if (c == '\r' || c == 0x2028 || c == 0x2029)
			return false;
		if (t == U_CONTROL_CHAR && c != '\t' && c != '\n')
			return false;
		if (t == U_PRIVATE_USE_CHAR || t == U_UNASSIGNED || t == U_SURROGATE)
			return false;
		if (c == 0x61c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			return false;
		if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) ||
		    (c >= 0x180b && c <= 0x180f)) {
			if (!((c == 0xfe0e || c == 0xfe0f) &&
			      u_hasBinaryProperty(prev, UCHAR_EMOJI)))
				return false;
		} else if (c >= 0xe0000 && c <= 0xe007f) {
			if (!(prev == 0x1f3f4 || (prev >= 0xe0030 && prev <= 0xe007a)))
				return false;
		} else if (c == 0x200d || c == 0x200c) {
			if (!(u_hasBinaryProperty(next, UCHAR_EXTENDED_PICTOGRAPHIC) ||
			      (prev >= 0x600 && next >= 0x600)))
				return false;
		} else if (t == U_FORMAT_CHAR) {
			if (!u_hasBinaryProperty(c, UCHAR_PREPENDED_CONCATENATION_MARK))
				return false;
		} else if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
			return false;
		}
		prev = c;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice in = {(const char *)data, size};
	struct u8_report rep;
	struct u8_report rep2;
	struct buf out;
	struct buf out2;
	struct buf md;
	struct buf md2;
	size_t cut;
	size_t c2;

	if (size > FUZZ_MAX)
		return 0;
	u8_report_init(&rep);
	u8_report_init(&rep2);
	buf_init(&out, 12 * FUZZ_MAX + 64);
	buf_init(&out2, 12 * FUZZ_MAX + 64);
	buf_init(&md, FUZZ_MAX * 24 + 128);
	buf_init(&md2, FUZZ_MAX * 24 + 128);
	if (u8_sanitize(in, &out, &rep) != IG_OK)
		abort();
	if (!u8_valid(out.p, out.len) || out.len > 12 * size || !is_nfkc(out.p, out.len) ||
	    !policy_ok(out.p, out.len))
		abort();
	if (u8_sanitize(buf_slice(&out), &out2, &rep2) != IG_OK ||
	    !sl_eq(buf_slice(&out), buf_slice(&out2)))
		abort();
	if (rep2.zero_width + rep2.bidi + rep2.c0c1 + rep2.tags + rep2.variation_selectors +
	        rep2.private_use + rep2.unassigned + rep2.invalid_utf8 !=
	    0)
		abort();
	cut = u8_truncate_graphemes(out.p, out.len, size / 2);
	if (cut > out.len || (out.len > size / 2 && cut > size / 2) || !u8_valid(out.p, cut))
		abort();
	if (md_neutralize(buf_slice(&out), &md, NULL) != IG_OK ||
	    md_neutralize(buf_slice(&md), &md2, &c2) != IG_OK || c2 != 0 ||
	    !sl_eq(buf_slice(&md), buf_slice(&md2)) || !u8_valid(md.p, md.len))
		abort();
	buf_free(&out);
	buf_free(&out2);
	buf_free(&md);
	buf_free(&md2);
	u8_report_free(&rep);
	u8_report_free(&rep2);
	return 0;
}
