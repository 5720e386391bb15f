/* libFuzzer target for server/hdrval.c. Besides crashes it checks the
 * decoder against libsodium's base64 (padded original variant) in both
 * directions, and that every accepted value is UTF-8 without NUL and
 * matches itself through hdrval_matches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "server/hdrval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the sentinel form must decode to, per libsodium: true and the bytes in
 * out, or false when the text is not valid padded base64. */
static bool
sodium_decode(struct slice b64, unsigned char *out, size_t max, size_t *n_r)
{
	*n_r = 0;
	return sodium_base642bin(out, max, b64.p, b64.len, NULL, n_r, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0;
}

static bool
ascii_only(struct slice s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if ((unsigned char)s.p[i] >= 0x80)
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice raw = {(const char *)data, size};
	struct slice v = sl_trim_ows(raw);
	struct buf out;
	const char *msg = NULL;
	enum ig_err err;
	bool sentinel;

	buf_init(&out, LIM_HEADER_VALUE);
	err = hdrval_decode(raw, &out, &msg);
	sentinel = v.len >= 11 && memcmp(v.p, "=?base64?", 9) == 0 &&
		   memcmp(v.p + v.len - 2, "?=", 2) == 0;
	if (err == IG_OK) {
		if (msg != NULL || !u8_valid(out.p, out.len) || memchr(out.p, 0, out.len) != NULL)
			abort();
		if (!hdrval_matches(raw, out.p))
			abort();
		if (!sentinel && !sl_eq(buf_slice(&out), v))
			abort();
	} else if (msg == NULL || out.len != 0) {
		abort();
	}
	if (sentinel && size <= LIM_HEADER_VALUE) {
		static unsigned char ref[LIM_HEADER_VALUE];
		struct slice b64 = {v.p + 9, v.len - 11};
		size_t n;
		bool want;

		/* libsodium 1.0.18 decodes a byte >= 0x80 as the ASCII character
		 * in its low 7 bits ("\xaf" as '/'); it is no oracle there. */
		if (!ascii_only(b64)) {
			if (err == IG_OK)
				abort();
			buf_free(&out);
			return 0;
		}
		want = sodium_decode(b64, ref, sizeof(ref), &n) && memchr(ref, 0, n) == NULL &&
		       u8_valid((const char *)ref, n);
		if (want != (err == IG_OK))
			abort();
		if (want && (n != out.len || memcmp(ref, out.p, n) != 0))
			abort();
	}
	buf_free(&out);
	return 0;
}
