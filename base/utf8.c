/* UTF-8, RFC 3629. The accepted byte ranges are those of Unicode 15 Table 3-7
 * ("Well-Formed UTF-8 Byte Sequences"); anything else is ill-formed. */
#include "base/utf8.h"

#include <string.h>

/* Length of the sequence a lead byte starts, or 0 for a byte that can never
 * lead: continuation bytes, C0/C1 (always overlong) and F5..FF (> U+10FFFF). */
static size_t
u8_lead_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	if (c < 0xf5)
		return 4;
	return 0;
}

bool
u8_valid(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80;
		unsigned char hi = 0xbf;
		size_t n;
		size_t k;

		/* ASCII is the overwhelming case in JSON-RPC; skip it quickly. */
		if (c < 0x80) {
			i++;
			continue;
		}
		n = u8_lead_len(c);
		if (n == 0 || len - i < n)
			return false;
		/* The second byte's range is what excludes overlongs (E0, F0),
		 * surrogates (ED) and code points above U+10FFFF (F4). */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += n;
	}
	return true;
}

size_t
u8_encode(uint32_t cp, char out[4])
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return 0;
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else if (cp <= 0x10ffff) {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	} else {
		return 0;
	}
	memcpy(out, b, n);
	return n;
}
