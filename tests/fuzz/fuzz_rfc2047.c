/* libFuzzer target for RFC 2047 header decoding (mime_header_decode) and the
 * charset layer under it. Checks: the output is valid UTF-8 without CR, LF
 * or NUL (a decoded header is one line), is never longer than the decoder's
 * cap allows, and decoding is linear (-timeout). The first input byte picks
 * a charset for a direct mime_charset_to_utf8 call on the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "content/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const charsets[] = {
	    "utf-8", "us-ascii", "iso-8859-1", "Shift_JIS", "ISO-2022-JP", "GB18030",
	    "Big5",  "EUC-KR",   "KOI8-R",     "utf-16",    "utf-7",       "x-unknown"};
	struct slice in = {(const char *)data, size};
	struct buf out;
	bool unknown = false, cut = false;

	buf_init(&out, LIM_MIME_HEADER_VALUE * 4);
	mime_header_decode(in, &out, &unknown);
	if (buf_err(&out) == IG_OK) {
		if (!u8_valid(out.p, out.len) || memchr(out.p, '\0', out.len) != NULL ||
		    memchr(out.p, '\n', out.len) != NULL || memchr(out.p, '\r', out.len) != NULL)
			abort();
	}
	buf_free(&out);
	if (size > 0) {
		const char *cs = charsets[data[0] % (sizeof(charsets) / sizeof(charsets[0]))];

		buf_init(&out, 1 << 20);
		(void)mime_charset_to_utf8(sl_from_cstr(cs), (struct slice){in.p + 1, in.len - 1},
		                           &out, 4096, &cut);
		if (buf_err(&out) == IG_OK && (out.len > 4096 || !u8_valid(out.p, out.len)))
			abort();
		buf_free(&out);
	}
	return 0;
}
