/* RFC 2047 encoded words in header values ("=?charset?B?...?="): recognizing
 * a word, the bytes it stands for, and the decoding of a whole header value
 * to one line of UTF-8. The scrub (mime_scrub.c) uses the same recognizer. */
#include "content/mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "base/limits.h"
#include "content/mime_int.h"

static int
b64val(char c)
{
	return b64_value((unsigned char)c, '+', '/');
}

/* Recognizes an encoded word at s (which starts with "=?"). The whole word
 * must sit on one line without white space; that is what makes a word that
 * "spans header lines" detectable by the scrub. */
bool
mime_ew_parse(struct slice s, struct ew *e, size_t *stop_r)
{
	size_t i = 2, cs_start = 2, cs_end;

	/* On failure in the encoded text no other word can end before the
	 * failure point either, so the caller skips to it: linear time. */
	*stop_r = 1;
	if (s.len < 8 || s.p[0] != '=' || s.p[1] != '?')
		return false;
	while (i < s.len && s.p[i] != '?') {
		unsigned char c = (unsigned char)s.p[i];

		if (c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '(' || c == ')')
			return false;
		i++;
	}
	cs_end = i;
	if (i + 3 >= s.len || cs_end == cs_start)
		return false;
	if (s.p[i + 2] != '?')
		return false;
	e->enc = (char)(s.p[i + 1] & ~0x20);
	if (e->enc != 'B' && e->enc != 'Q')
		return false;
	i += 3;
	e->text.p = s.p + i;
	while (i + 1 < s.len && !(s.p[i] == '?' && s.p[i + 1] == '=')) {
		unsigned char c = (unsigned char)s.p[i];

		if (c <= ' ' || c >= 0x7f) {
			*stop_r = i;
			return false;
		}
		i++;
	}
	if (i + 1 >= s.len) {
		*stop_r = s.len;
		return false;
	}
	e->text.len = (size_t)(s.p + i - e->text.p);
	e->len = i + 2;
	e->charset.p = s.p + cs_start;
	e->charset.len = cs_end - cs_start;
	for (i = 0; i < e->charset.len; i++) {
		if (e->charset.p[i] == '*') {
			e->charset.len = i;
			break;
		}
	}
	return true;
}

/* Appends the bytes an encoded word stands for. */
void
mime_ew_bytes(const struct ew *e, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t i;

	if (e->enc == 'Q') {
		for (i = 0; i < e->text.len; i++) {
			char c = e->text.p[i];

			if (c == '_') {
				buf_putc(out, ' ');
			} else if (c == '=' && i + 2 < e->text.len &&
			           hexval(e->text.p[i + 1]) >= 0 && hexval(e->text.p[i + 2]) >= 0) {
				buf_putc(out, (char)(hexval(e->text.p[i + 1]) * 16 +
				                     hexval(e->text.p[i + 2])));
				i += 2;
			} else {
				buf_putc(out, c);
			}
		}
		return;
	}
	for (i = 0; i < e->text.len; i++) {
		v = b64val(e->text.p[i]);
		if (v < 0)
			continue; /* padding and junk: the count of bits decides */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xFF));
		}
	}
}

/* Replaces CR, LF and NUL in out[from..] with spaces: a decoded header value
 * is one line, whatever its encoded words said. */
void
mime_flatten_controls(struct buf *out, size_t from)
{
	size_t i;

	for (i = from; i < out->len; i++) {
		if (out->p[i] == '\r' || out->p[i] == '\n' || out->p[i] == '\0')
			out->p[i] = ' ';
	}
}

struct hdec {
	struct buf *out;
	struct buf pend; /* bytes of adjacent encoded words in one charset */
	struct slice pend_cs;
	bool unknown;
};

static void
hdec_flush(struct hdec *d)
{
	bool cut = false;

	if (d->pend.len == 0)
		return;
	if (!mime_charset_to_utf8(d->pend_cs, buf_slice(&d->pend), d->out, LIM_MIME_HEADER_VALUE,
	                          &cut))
		d->unknown = true;
	buf_reset(&d->pend);
}

static void
hdec_literal(struct hdec *d, struct slice lit)
{
	bool cut = false;

	hdec_flush(d);
	(void)mime_charset_to_utf8((struct slice){NULL, 0}, lit, d->out, LIM_MIME_HEADER_VALUE,
	                           &cut);
}

void
mime_header_decode(struct slice raw, struct buf *out, bool *unknown_charset_r)
{
	struct hdec d = {.out = out};
	size_t i = 0, lit_start = 0, from = out->len;
	bool last_ew = false; /* the previous token was an encoded word */
	struct ew e;
	size_t stop;

	buf_init(&d.pend, LIM_MIME_HEADER_VALUE);
	if (raw.len > LIM_MIME_HEADER_VALUE)
		raw.len = LIM_MIME_HEADER_VALUE;
	/* Leading folding white space is not part of the value. */
	while (i < raw.len && is_wsp(raw.p[i]))
		i++;
	lit_start = i;
	while (i < raw.len) {
		if (raw.p[i] == '=' && i + 1 < raw.len && raw.p[i + 1] == '?') {
			struct slice lit = {raw.p + lit_start, i - lit_start};
			size_t k;
			bool only_ws = true;

			if (!mime_ew_parse((struct slice){raw.p + i, raw.len - i}, &e, &stop)) {
				last_ew = false;
				i += stop;
				continue;
			}
			/* White space between two encoded words is dropped
			 * (RFC 2047 §6.2); any other literal text is kept. */
			for (k = 0; k < lit.len; k++)
				only_ws = only_ws && is_wsp(lit.p[k]);
			if (!(last_ew && only_ws) && lit.len > 0)
				hdec_literal(&d, lit);
			if (d.pend.len > 0 &&
			    !(e.charset.len == d.pend_cs.len &&
			      strncasecmp(e.charset.p, d.pend_cs.p, e.charset.len) == 0))
				hdec_flush(&d);
			d.pend_cs = e.charset;
			mime_ew_bytes(&e, &d.pend);
			i += e.len;
			lit_start = i;
			last_ew = true;
			continue;
		}
		if (!is_wsp(raw.p[i]))
			last_ew = false;
		i++;
	}
	if (lit_start < raw.len) {
		struct slice lit = {raw.p + lit_start, raw.len - lit_start};

		while (lit.len > 0 && is_wsp(lit.p[lit.len - 1]))
			lit.len--;
		if (lit.len > 0)
			hdec_literal(&d, lit);
	}
	hdec_flush(&d);
	buf_free(&d.pend);
	mime_flatten_controls(out, from);
	/* Unfolding: CRLF + WSP became two spaces above; collapse runs. */
	{
		size_t r, w = from;
		bool sp = false;

		for (r = from; r < out->len; r++) {
			char c = out->p[r];

			if (c == '\t')
				c = ' ';

			if (c == ' ' && sp)
				continue;
			sp = c == ' ';
			out->p[w++] = c;
		}
		while (w > from && out->p[w - 1] == ' ')
			w--;
		out->len = w;
		if (out->p != NULL)
			out->p[w] = '\0';
	}
	if (d.unknown && unknown_charset_r != NULL)
		*unknown_charset_r = true;
}
