/* Modified UTF-7 for IMAP mailbox names: RFC 3501 §5.1.3 (and RFC 2152 for
 * the base64-of-UTF-16 scheme it modifies). Mailbox names come from the
 * server, so decoding refuses every non-canonical form: two spellings of one
 * name could otherwise pass a folder allow-list check under one spelling and
 * address another folder under the other. */
#include "imap/mutf7.h"

#include <stdbool.h>
#include <stdint.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/utf8.h"

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64val(char c)
{
	return b64_value((unsigned char)c, '+', ',');
}

static bool
printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Decodes the base64 run in[*i..] up to '-' into UTF-8. */
static enum ig_err
decode_run(struct slice in, size_t *i, struct buf *out)
{
	uint32_t bits = 0;
	unsigned nbits = 0;
	uint32_t hi = 0; /* pending high surrogate */
	size_t units = 0;

	for (;;) {
		int v;

		if (*i >= in.len)
			return IG_EINVAL; /* not closed by '-' */
		if (in.p[*i] == '-')
			break;
		v = b64val(in.p[*i]);
		if (v < 0)
			return IG_EINVAL;
		(*i)++;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffff;

		bits &= (1u << nbits) - 1;
		units++;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return IG_EINVAL;
			u = 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00);
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			hi = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return IG_EINVAL;
		}
		/* Printable ASCII must be written directly, and NUL or
		 * controls never belong in a name. */
		if (u < 0x20 || printable(u) || u == 0x7f)
			return IG_EINVAL;
		char enc[4];
		size_t n = u8_encode(u, enc);

		if (n == 0)
			return IG_EINVAL;
		buf_append(out, enc, n);
	}
	(*i)++; /* '-' */
	/* Leftover bits: fewer than 6 and all zero (canonical padding). */
	if (units == 0 || hi != 0 || nbits >= 6 || bits != 0)
		return IG_EINVAL;
	return IG_OK;
}

enum ig_err
imap_mutf7_decode(struct slice in, struct buf *out)
{
	size_t i = 0;
	bool after_run = false;
	enum ig_err err;

	while (i < in.len) {
		char c = in.p[i];

		if (!printable((unsigned char)c))
			return IG_EINVAL;
		if (c != '&') {
			buf_putc(out, c);
			i++;
			after_run = false;
			continue;
		}
		i++;
		if (i < in.len && in.p[i] == '-') {
			buf_putc(out, '&');
			i++;
			after_run = false;
			continue;
		}
		/* "&AGE-&AGI-" must have been one run */
		if (after_run)
			return IG_EINVAL;
		err = decode_run(in, &i, out);
		if (err != IG_OK)
			return err;
		after_run = true;
	}
	return buf_err(out) != IG_OK ? buf_err(out) : IG_OK;
}

/* Reads one scalar value from valid UTF-8. */
static uint32_t
u8_next(struct slice in, size_t *i)
{
	unsigned char c = (unsigned char)in.p[*i];
	uint32_t cp;
	size_t n;
	size_t k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	cp = c & (0x7f >> n);
	for (k = 1; k < n; k++)
		cp = (cp << 6) | ((unsigned char)in.p[*i + k] & 0x3f);
	*i += n;
	return cp;
}

static void
put_unit(struct buf *out, uint32_t u, uint32_t *bits, unsigned *nbits)
{
	*bits = (*bits << 16) | u;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		buf_putc(out, b64chars[(*bits >> *nbits) & 0x3f]);
	}
	*bits &= (1u << *nbits) - 1;
}

enum ig_err
imap_mutf7_encode(struct slice in, struct buf *out)
{
	size_t i = 0;
	uint32_t bits = 0;
	unsigned nbits = 0;
	bool in_run = false;

	if (!u8_valid(in.p, in.len))
		return IG_EINVAL;
	while (i < in.len) {
		uint32_t cp = u8_next(in, &i);

		if (cp < 0x20 || cp == 0x7f)
			return IG_EINVAL;
		if (printable(cp)) {
			if (in_run) {
				if (nbits > 0)
					buf_putc(out, b64chars[(bits << (6 - nbits)) & 0x3f]);
				buf_putc(out, '-');
				in_run = false;
				bits = 0;
				nbits = 0;
			}
			if (cp == '&')
				buf_puts(out, "&-");
			else
				buf_putc(out, (char)cp);
			continue;
		}
		if (!in_run) {
			buf_putc(out, '&');
			in_run = true;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_unit(out, 0xd800 | (cp >> 10), &bits, &nbits);
			put_unit(out, 0xdc00 | (cp & 0x3ff), &bits, &nbits);
		} else {
			put_unit(out, cp, &bits, &nbits);
		}
	}
	if (in_run) {
		if (nbits > 0)
			buf_putc(out, b64chars[(bits << (6 - nbits)) & 0x3f]);
		buf_putc(out, '-');
	}
	return buf_err(out);
}
