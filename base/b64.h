#ifndef IG_BASE_B64_H
#define IG_BASE_B64_H

/* The value of c in a base64 alphabet whose symbols 62 and 63 are c62 and c63
 * — RFC 4648 §4 ('+', '/'), §5 base64url ('-', '_'), RFC 3501 §5.1.3
 * modified UTF-7 ('+', ',') — or -1 when c is not in that alphabet (padding
 * included: callers handle '=' themselves, each by its own rule). */
static inline int
b64_value(int c, int c62, int c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == c62)
		return 62;
	if (c == c63)
		return 63;
	return -1;
}

#endif
