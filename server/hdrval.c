/* MCP 2026-07-28 header values (SEP-2243 "Value Encoding"): plain values are
 * RFC 9110 §5.5 field values with OWS trimmed; values that are not safe as
 * plain ASCII travel as "=?base64?<RFC 4648 §4 base64 of UTF-8>?=". The
 * decoder is strict, so that exactly one spelling of each value is accepted:
 * a header that passes is compared byte for byte with the body. It is our
 * own because sodium_base642bin() (1.0.18, Debian 12) is not: fuzz_hdrval
 * found that it decodes a byte >= 0x80 as the ASCII character in its low 7
 * bits, so "PT9iYXNlNjQ\xafSGk/PQ==" decodes as if the \xaf were '/'. */
#include "server/hdrval.h"

#include <stdint.h>
#include <string.h>

#include "base/b64.h"
#include "base/limits.h"
#include "base/utf8.h"

#define B64_PREFIX "=?base64?"
#define B64_SUFFIX "?="
#define B64_PREFIX_LEN (sizeof(B64_PREFIX) - 1)
#define B64_SUFFIX_LEN (sizeof(B64_SUFFIX) - 1)

static enum ig_err
hv_fail(const char **error_r, enum ig_err err, const char *msg)
{
	if (error_r != NULL)
		*error_r = msg;
	return err;
}

/* The RFC 4648 §4 alphabet value of c, or -1 (including for '='). */
static int
b64_val(unsigned char c)
{
	return b64_value((unsigned char)c, '+', '/');
}

/* Decodes canonical padded base64 into out (room for in.len / 4 * 3 bytes)
 * and sets *n_r. Padding may only end the last quantum, and the bits it
 * leaves unused must be zero (RFC 4648 §3.5), so no two inputs decode alike. */
static enum ig_err
b64_decode(struct slice in, unsigned char *out, size_t *n_r, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)in.p;
	size_t n = 0;
	size_t i;

	*n_r = 0;
	if (in.len % 4 != 0)
		return hv_fail(error_r, IG_EINVAL, "invalid base64 length");
	for (i = 0; i < in.len; i += 4) {
		bool last = in.len - i == 4;
		int a = b64_val(s[i]);
		int b = b64_val(s[i + 1]);
		int c = b64_val(s[i + 2]);
		int d = b64_val(s[i + 3]);
		uint32_t q;

		if (a < 0 || b < 0)
			return hv_fail(error_r, IG_EINVAL, "invalid base64");
		if (c < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '='))
			return hv_fail(error_r, IG_EINVAL, "invalid base64");
		if (d < 0 && !(last && s[i + 3] == '='))
			return hv_fail(error_r, IG_EINVAL, "invalid base64");
		q = (uint32_t)a << 18 | (uint32_t)b << 12;
		if (c < 0) {
			if ((q & 0xffff) != 0)
				return hv_fail(error_r, IG_EINVAL, "non-canonical base64");
			out[n++] = (unsigned char)(q >> 16);
			break;
		}
		q |= (uint32_t)c << 6;
		if (d < 0) {
			if ((q & 0xff) != 0)
				return hv_fail(error_r, IG_EINVAL, "non-canonical base64");
			out[n++] = (unsigned char)(q >> 16);
			out[n++] = (unsigned char)(q >> 8);
			break;
		}
		q |= (uint32_t)d;
		out[n++] = (unsigned char)(q >> 16);
		out[n++] = (unsigned char)(q >> 8);
		out[n++] = (unsigned char)q;
	}
	*n_r = n;
	return IG_OK;
}

static bool
hv_is_sentinel(struct slice v)
{
	return v.len >= B64_PREFIX_LEN + B64_SUFFIX_LEN &&
	       memcmp(v.p, B64_PREFIX, B64_PREFIX_LEN) == 0 &&
	       memcmp(v.p + v.len - B64_SUFFIX_LEN, B64_SUFFIX, B64_SUFFIX_LEN) == 0;
}

enum ig_err
hdrval_decode(struct slice raw, struct buf *out, const char **error_r)
{
	struct slice v;
	enum ig_err err;

	buf_reset(out);
	if (raw.len > LIM_HEADER_VALUE)
		return hv_fail(error_r, IG_ELIMIT, "header value too long");
	v = sl_trim_ows(raw);
	if (hv_is_sentinel(v)) {
		struct slice b64 = {v.p + B64_PREFIX_LEN, v.len - B64_PREFIX_LEN - B64_SUFFIX_LEN};
		unsigned char dec[LIM_HEADER_VALUE / 4 * 3];
		size_t n = 0;

		err = b64_decode(b64, dec, &n, error_r);
		if (err != IG_OK)
			return err;
		/* Base64 exists to carry CR, LF, TAB and non-ASCII text; NUL
		 * has no place in a value compared with a JSON string. */
		if (memchr(dec, '\0', n) != NULL)
			return hv_fail(error_r, IG_EINVAL, "NUL in decoded header value");
		if (!u8_valid((const char *)dec, n))
			return hv_fail(error_r, IG_EINVAL, "invalid UTF-8 in decoded header value");
		buf_append(out, dec, n);
	} else {
		size_t i;

		for (i = 0; i < v.len; i++) {
			unsigned char c = (unsigned char)v.p[i];

			if (c != '\t' && (c < 0x20 || c > 0x7e))
				return hv_fail(error_r, IG_EINVAL,
					       "invalid character in header value");
		}
		buf_append(out, v.p, v.len);
	}
	err = buf_err(out);
	if (err != IG_OK) {
		buf_reset(out);
		return hv_fail(error_r, err,
			       err == IG_ELIMIT ? "header value too long" : "out of memory");
	}
	if (error_r != NULL)
		*error_r = NULL;
	return IG_OK;
}

bool
hdrval_matches(struct slice raw_header, const char *body_value)
{
	struct buf b;
	bool ok;

	if (body_value == NULL)
		return false;
	buf_init(&b, LIM_HEADER_VALUE);
	ok = hdrval_decode(raw_header, &b, NULL) == IG_OK &&
	     sl_eq(buf_slice(&b), sl_from_cstr(body_value));
	buf_free(&b);
	return ok;
}
