/* Attachment filename sanitizing (DESIGN §5 step 8).
 *
 * Implements against: RFC 6266 §4.3 (recipients must not trust path
 * information in filenames), Microsoft "Naming Files, Paths, and Namespaces"
 * (reserved device names, invalid characters, trailing dots and spaces),
 * UAX #29 (grapheme clusters, so a cut never splits a character), and the
 * Unicode policy of content/unicode.c (UAX #15 NFKC, UAX #9 bidi controls).
 */
#include "content/filename.h"

#include <stdbool.h>
#include <string.h>

#include "content/unicode.h"

/* Input examined: the tail (the base name is at the end), well above any
 * header value the MIME layer lets through. */
#define FNAME_INPUT_MAX ((size_t)16 * 1024)
/* An extension this short is kept when the stem must be cut. */
#define FNAME_EXT_KEEP 16

static const char fname_default[] = "attachment";

static char
ascii_upper(char c)
{
	if (c >= 'a' && c <= 'z')
		return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c - 'a'];
	return c;
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9, CONIN$, CONOUT$: Windows opens the
 * device whatever the extension, and ignores trailing spaces of the stem. */
static bool
reserved_name(const char *s, size_t len)
{
	static const char *const names[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
	char up[8];
	size_t n = 0;
	size_t i;

	while (n < len && s[n] != '.')
		n++;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n < 3 || n > 7)
		return false;
	for (i = 0; i < n; i++)
		up[i] = ascii_upper(s[i]);
	up[n] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(up, names[i]) == 0)
			return true;
	}
	return n == 4 && (memcmp(up, "COM", 3) == 0 || memcmp(up, "LPT", 3) == 0) && up[3] >= '1' &&
	       up[3] <= '9';
}

static bool
bad_char(unsigned char c)
{
	return c < 0x20 || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
	       c == '|' || c == 0x7f;
}

enum ig_err
fname_sanitize(const char *raw, size_t len, struct buf *out, int *rewritten_r)
{
	struct u8_report rep;
	struct buf t;
	struct buf s;
	size_t base = 0;
	size_t b;
	size_t e;
	size_t i;
	size_t cut;
	size_t before = out->len;
	enum ig_err err;

	if (len > FNAME_INPUT_MAX) {
		raw += len - FNAME_INPUT_MAX;
		len = FNAME_INPUT_MAX;
	}
	u8_report_init(&rep);
	/* NFKC grows text at most 18-fold per code point; 3 bytes per UTF-16
	 * unit bounds it generously without overflow at FNAME_INPUT_MAX. */
	buf_init(&t, 18 * FNAME_INPUT_MAX + 64);
	buf_init(&s, 18 * FNAME_INPUT_MAX + 64);
	err = u8_sanitize((struct slice){raw, len}, &t, &rep);
	if (err != IG_OK)
		goto out;
	for (i = 0; i < t.len; i++) {
		if (t.p[i] == '/' || t.p[i] == '\\')
			base = i + 1;
	}
	b = base;
	e = t.len;
	/* Leading dots hide the file (or climb, with a separator); spaces
	 * around the name are invisible; Windows drops trailing ones. */
	while (b < e && (t.p[b] == '.' || t.p[b] == ' '))
		b++;
	while (e > b && (t.p[e - 1] == '.' || t.p[e - 1] == ' '))
		e--;
	if (reserved_name(t.p + b, e - b))
		buf_putc(&s, '_');
	for (i = b; i < e; i++) {
		char c = t.p[i];

		if (bad_char((unsigned char)c))
			c = '_';
		buf_putc(&s, c);
	}
	err = buf_err(&s);
	if (err != IG_OK)
		goto out;
	if (s.len > LIM_FILENAME) {
		size_t dot = s.len;

		while (dot > 0 && s.p[dot - 1] != '.')
			dot--;
		cut = 0;
		if (dot > 1 && s.len - (dot - 1) <= FNAME_EXT_KEEP)
			cut = u8_truncate_graphemes(s.p, dot - 1, LIM_FILENAME - (s.len - dot + 1));
		/* An empty stem would leave ".ext", a hidden file: cut plainly. */
		if (cut > 0) {
			size_t ext = s.len - (dot - 1);

			memmove(s.p + cut, s.p + dot - 1, ext);
			s.len = cut + ext;
		} else {
			s.len = u8_truncate_graphemes(s.p, s.len, LIM_FILENAME);
		}
		while (s.len > 0 && (s.p[s.len - 1] == '.' || s.p[s.len - 1] == ' '))
			s.len--;
		s.p[s.len] = '\0';
	}
	if (s.len == 0)
		buf_append(out, fname_default, sizeof(fname_default) - 1);
	else
		buf_append(out, s.p, s.len);
	err = buf_err(out);
	if (err == IG_OK && rewritten_r != NULL)
		*rewritten_r = out->len - before != len || memcmp(out->p + before, raw, len) != 0;
out:
	buf_free(&t);
	buf_free(&s);
	u8_report_free(&rep);
	return err;
}
