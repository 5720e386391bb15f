/* The MIME layer: RFC 5322 (message format, addresses, msg-ids), RFC 2045-2049
 * (MIME structure, transfer encodings, charsets), RFC 2047 (encoded words),
 * RFC 2231 (parameter value continuations and charsets), RFC 2369 and RFC 2919
 * (List-* headers), RFC 8058 (one-click unsubscribe).
 *
 * GMime only builds the tree and undoes transfer encodings. Every header value
 * and parameter this file reports is decoded here from GMime's raw bytes,
 * through ICU converters chosen from one allow-list, so that each string is
 * decoded exactly once and by one rule (docs/content.md "Decoding rules").
 * Before GMime sees anything, a scrub removes header fields that try to smuggle
 * lines through encoded words, and a pre-scan refuses structures whose size
 * alone would make GMime's own (recursive) parser expensive. */
#include "content/mime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>

#include "base/b64.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "content/warn.h"

void
content_init(void)
{
	g_mime_init();
}

void
content_shutdown(void)
{
	g_mime_shutdown();
}

/* ---------------------------------------------------------------- charsets */

/* The allow-list. Labels are compared case-insensitively. Some labels map to
 * the superset real mailers mean by them (as WHATWG Encoding does): Latin-1 is
 * read as windows-1252, GB2312 as GB18030, EUC-KR as windows-949. NULL means
 * "ASCII or undeclared": UTF-8 when the bytes are valid UTF-8, otherwise
 * windows-1252, because undeclared 8-bit mail is one of those two in practice. */
static const struct cs_alias {
	const char *label;
	const char *icu;
} cs_table[] = {
    {"utf-8", "UTF-8"},
    {"utf8", "UTF-8"},
    {"us-ascii", NULL},
    {"ascii", NULL},
    {"ansi_x3.4-1968", NULL},
    {"iso-8859-1", "windows-1252"},
    {"iso8859-1", "windows-1252"},
    {"iso_8859-1", "windows-1252"},
    {"latin1", "windows-1252"},
    {"iso-8859-2", "ISO-8859-2"},
    {"iso-8859-3", "ISO-8859-3"},
    {"iso-8859-4", "ISO-8859-4"},
    {"iso-8859-5", "ISO-8859-5"},
    {"iso-8859-6", "ISO-8859-6"},
    {"iso-8859-7", "ISO-8859-7"},
    {"iso-8859-8", "ISO-8859-8"},
    {"iso-8859-8-i", "ISO-8859-8"},
    {"iso-8859-9", "windows-1254"},
    {"iso-8859-10", "ISO-8859-10"},
    {"iso-8859-13", "ISO-8859-13"},
    {"iso-8859-14", "ISO-8859-14"},
    {"iso-8859-15", "ISO-8859-15"},
    {"iso-8859-16", "ISO-8859-16"},
    {"windows-1250", "windows-1250"},
    {"windows-1251", "windows-1251"},
    {"windows-1252", "windows-1252"},
    {"windows-1253", "windows-1253"},
    {"windows-1254", "windows-1254"},
    {"windows-1255", "windows-1255"},
    {"windows-1256", "windows-1256"},
    {"windows-1257", "windows-1257"},
    {"windows-1258", "windows-1258"},
    {"cp1250", "windows-1250"},
    {"cp1251", "windows-1251"},
    {"cp1252", "windows-1252"},
    {"windows-874", "windows-874"},
    {"tis-620", "windows-874"},
    {"koi8-r", "KOI8-R"},
    {"koi8-u", "KOI8-U"},
    {"shift_jis", "windows-31j"},
    {"shift-jis", "windows-31j"},
    {"sjis", "windows-31j"},
    {"x-sjis", "windows-31j"},
    {"windows-31j", "windows-31j"},
    {"cp932", "windows-31j"},
    {"euc-jp", "EUC-JP"},
    {"iso-2022-jp", "ISO-2022-JP"},
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"cp936", "GB18030"},
    {"gb18030", "GB18030"},
    {"big5", "Big5"},
    {"big5-hkscs", "Big5-HKSCS"},
    {"euc-kr", "windows-949"},
    {"ks_c_5601-1987", "windows-949"},
    {"cp949", "windows-949"},
    {"iso-2022-kr", "ISO-2022-KR"},
    {"utf-16", "UTF-16"},
    {"utf-16le", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"},
    {"utf-32", "UTF-32"},
    {"utf-32le", "UTF-32LE"},
    {"utf-32be", "UTF-32BE"},
    {"utf-7", "UTF-7"},
};

/* Finds label in the allow-list; *icu_r is the converter (NULL: the
 * undeclared rule). An empty label is "undeclared". */
static bool
cs_lookup(struct slice label, const char **icu_r)
{
	size_t i;

	*icu_r = NULL;
	while (label.len > 0 && (label.p[0] == ' ' || label.p[0] == '\t' || label.p[0] == '"')) {
		label.p++;
		label.len--;
	}
	while (label.len > 0 && (label.p[label.len - 1] == ' ' || label.p[label.len - 1] == '"'))
		label.len--;
	if (label.len == 0)
		return true;
	for (i = 0; i < sizeof(cs_table) / sizeof(cs_table[0]); i++) {
		if (strlen(cs_table[i].label) == label.len &&
		    strncasecmp(cs_table[i].label, label.p, label.len) == 0) {
			*icu_r = cs_table[i].icu;
			return true;
		}
	}
	return false;
}

/* ICU's default substitution for a one-byte code page is U+001A, a control
 * the Unicode policy would then report as an attack; U+FFFD says what it is. */
static void U_CALLCONV
to_u_fffd(const void *ctx, UConverterToUnicodeArgs *args, const char *units, int32_t len,
          UConverterCallbackReason reason, UErrorCode *err)
{
	static const UChar fffd = 0xFFFD;

	(void)ctx;
	(void)units;
	(void)len;
	if (reason > UCNV_IRREGULAR)
		return;
	*err = U_ZERO_ERROR;
	ucnv_cbToUWriteUChars(args, &fffd, 1, 0, err);
}

/* Length of the longest prefix of p[0..n) that ends on a code point boundary
 * of the (valid) UTF-8 text p[0..total). */
static size_t
u8_boundary(const char *p, size_t n, size_t total)
{
	while (n > 0 && n < total && ((unsigned char)p[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void
append_valid_utf8(struct slice in, struct buf *out, size_t max, bool *cut_r)
{
	size_t n = in.len;

	if (n > max) {
		n = u8_boundary(in.p, max, in.len);
		*cut_r = true;
	}
	buf_append(out, in.p, n);
}

/* Length of the longest prefix of the UTF-8 text p[0..n) that does not end
 * inside a multi-byte sequence. */
static size_t
utf8_complete_prefix(const char *p, size_t n)
{
	size_t k = n, need;
	unsigned char lead;

	while (k > 0 && ((unsigned char)p[k - 1] & 0xC0) == 0x80 && n - k < 3)
		k--;
	if (k == 0)
		return 0;
	lead = (unsigned char)p[k - 1];
	if (lead < 0x80)
		return n;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	return k - 1 + need <= n ? n : k - 1;
}

static void
icu_convert(const char *name, struct slice in, struct buf *out, size_t max, bool *cut_r)
{
	UErrorCode st = U_ZERO_ERROR;
	UConverter *cnv = NULL;
	char *tmp = NULL;
	size_t cap;
	int32_t n;

	/* Every input character of an allow-listed charset (at most 4 bytes)
	 * yields at least one output byte, escape sequences aside, so input
	 * past 4 * max cannot be needed: do not convert it. */
	if (in.len / 4 > max) {
		in.len = max * 4;
		*cut_r = true;
	}
	if (in.len > 0 && max == 0)
		*cut_r = true;
	if (in.len == 0 || max == 0)
		return;
	/* And no character yields more than 3 bytes per input byte (U+FFFD
	 * included), which bounds the output buffer. */
	cap = in.len * 3 + 4;
	if (cap > max + 4)
		cap = max + 4;
	if (cap > INT32_MAX || in.len > INT32_MAX) {
		out->err = IG_ELIMIT;
		return;
	}
	cnv = ucnv_open(name, &st);
	if (U_FAILURE(st))
		goto out;
	ucnv_setToUCallBack(cnv, to_u_fffd, NULL, NULL, NULL, &st);
	if (U_FAILURE(st))
		goto out;
	tmp = malloc(cap);
	if (tmp == NULL) {
		out->err = IG_ENOMEM;
		goto out;
	}
	n = ucnv_toAlgorithmic(UCNV_UTF8, cnv, tmp, (int32_t)cap, in.p, (int32_t)in.len, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING ||
	    (U_SUCCESS(st) && n >= 0 && (size_t)n > max)) {
		/* Cut: keep what fits, ending on a whole UTF-8 sequence. */
		buf_append(out, tmp, utf8_complete_prefix(tmp, cap < max ? cap : max));
		*cut_r = true;
	} else if (U_SUCCESS(st) && n >= 0) {
		buf_append(out, tmp, (size_t)n);
	}
out:
	free(tmp);
	ucnv_close(cnv); /* NULL-safe */
}

bool
mime_charset_to_utf8(struct slice charset, struct slice in, struct buf *out, size_t max,
                     bool *cut_r)
{
	const char *icu = NULL;
	bool known = cs_lookup(charset, &icu);

	if (!known || icu == NULL || strcmp(icu, "UTF-8") == 0) {
		if (u8_valid(in.p, in.len))
			append_valid_utf8(in, out, max, cut_r);
		else
			icu_convert(known && icu == NULL ? "windows-1252" : "UTF-8", in, out, max,
			            cut_r);
		return known;
	}
	icu_convert(icu, in, out, max, cut_r);
	return true;
}

/* ------------------------------------------------------- RFC 2047 encoded words */

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(char c)
{
	return b64_value((unsigned char)c, '+', '/');
}

struct ew {
	struct slice charset; /* without the RFC 2231 "*lang" suffix */
	char enc;             /* 'B' or 'Q' */
	struct slice text;
	size_t len; /* bytes of the whole =?...?= */
};

/* Recognizes an encoded word at s (which starts with "=?"). The whole word
 * must sit on one line without white space; that is what makes a word that
 * "spans header lines" detectable by the scrub. */
static bool
ew_parse(struct slice s, struct ew *e, size_t *stop_r)
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
static void
ew_bytes(const struct ew *e, struct buf *out)
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
static void
flatten_controls(struct buf *out, size_t from)
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

			if (!ew_parse((struct slice){raw.p + i, raw.len - i}, &e, &stop)) {
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
			ew_bytes(&e, &d.pend);
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
	flatten_controls(out, from);
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

/* --------------------------------------------------- header-smuggling scrub */

/* True when s starts like an encoded word: "=?charset?B?" or "=?charset?Q?". */
static bool
ew_prefix(const char *p, size_t len)
{
	size_t i = 2;

	if (len < 6 || p[0] != '=' || p[1] != '?')
		return false;
	while (i < len && p[i] != '?') {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7f || c == '=')
			return false;
		i++;
	}
	if (i == 2 || i + 2 >= len || p[i + 2] != '?')
		return false;
	return (p[i + 1] & ~0x20) == 'B' || (p[i + 1] & ~0x20) == 'Q';
}

struct field {
	size_t start, end; /* offsets in the raw message; end includes the EOL */
	bool drop;
};

/* The name of a header field for a warning detail: only token characters
 * are shown, so the detail never carries attacker text. */
static void
field_name(struct slice raw, const struct field *f, char *out, size_t outsz)
{
	size_t i, n = 0;

	for (i = f->start; i < f->end && n + 1 < outsz && n < 40; i++) {
		char c = raw.p[i];

		if (c == ':')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_')) {
			n = 0;
			break;
		}
		out[n++] = c;
	}
	if (n == 0 && outsz > 9) {
		memcpy(out, "(invalid)", 9);
		n = 9;
	}
	out[n < outsz ? n : outsz - 1] = '\0';
}

/* Index of the field holding offset x, or n when none does. */
static size_t
field_at(const struct field *fs, size_t n, size_t x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (x >= fs[i].start && x < fs[i].end)
			return i;
	}
	return n;
}

/* True when bytes in charset decode to CR, LF or NUL. */
static bool
decodes_to_control(struct slice charset, struct slice bytes)
{
	struct buf u;
	bool cut = false, bad = false;
	size_t j;

	buf_init(&u, LIM_MIME_HEADER_VALUE * 4);
	(void)mime_charset_to_utf8(charset, bytes, &u, LIM_MIME_HEADER_VALUE * 4, &cut);
	for (j = 0; j < u.len; j++) {
		if (u.p[j] == '\r' || u.p[j] == '\n' || u.p[j] == '\0')
			bad = true;
	}
	buf_free(&u);
	return bad;
}

/* Decides whether field fs[k] smuggles lines; marks what must go. */
static void
field_check(struct slice raw, struct field *fs, size_t n, size_t k, size_t hdr_end,
            struct warn_list *w)
{
	struct field *f = &fs[k];
	char name[48];
	size_t i, line_end = 0, last = k;
	bool bad = false;
	struct buf dec;
	struct ew e;
	size_t stop;

	buf_init(&dec, LIM_MIME_HEADER_VALUE * 4);
	for (i = f->start; i < f->end && !bad; i++) {
		char c = raw.p[i];

		if (c == '\0' || (c == '\r' && (i + 1 >= f->end || raw.p[i + 1] != '\n'))) {
			bad = true;
			break;
		}
		if (c != '=' || !ew_prefix(raw.p + i, f->end - i))
			continue;
		/* Found once per physical line, or many words on one long
		 * line would each rescan it. */
		if (line_end <= i) {
			line_end = i;
			while (line_end < f->end && raw.p[line_end] != '\n' &&
			       raw.p[line_end] != '\r')
				line_end++;
		}
		if (ew_parse((struct slice){raw.p + i, line_end - i}, &e, &stop)) {
			buf_reset(&dec);
			ew_bytes(&e, &dec);
			/* Only bytes 0x00, 0x0A, 0x0D can make CR, LF or NUL;
			 * convert (UTF-16 "A" is 00 41) only when one is there. */
			if (memchr(dec.p != NULL ? dec.p : "", '\0', dec.len) != NULL ||
			    memchr(dec.p != NULL ? dec.p : "", '\n', dec.len) != NULL ||
			    memchr(dec.p != NULL ? dec.p : "", '\r', dec.len) != NULL)
				bad = decodes_to_control(e.charset, buf_slice(&dec));
			i += e.len - 1;
			continue;
		}
		/* A word opened here and not closed on this line: if "?=" shows
		 * up on a later header line, the lines between were meant to be
		 * read as one header by a decoder that unfolds first. */
		if (i + stop < line_end) {
			i += stop - 1; /* ended by white space on this line: a literal */
			continue;
		}
		{
			size_t j;

			/* Stop at the next "=?": a "?=" after it closes that word. */
			for (j = line_end; j + 1 < hdr_end; j++) {
				if (raw.p[j] == '=' && raw.p[j + 1] == '?')
					break;
				if (raw.p[j] == '?' && raw.p[j + 1] == '=') {
					last = field_at(fs, n, j);
					bad = true;
					break;
				}
			}
			i = line_end;
		}
	}
	buf_free(&dec);
	if (!bad)
		return;
	if (last >= n || last < k)
		last = k;
	field_name(raw, f, name, sizeof(name));
	for (i = k; i <= last; i++)
		fs[i].drop = true;
	{
		char vals[sizeof(name) + 16];

		/* the header's name is the sender's: only inside the fence */
		(void)snprintf(vals, sizeof(vals), "header=%s", name);
		warn_add_values(w, "parse_header_smuggling_blocked", "header", vals,
		                "fields_dropped=%zu", last - k + 1);
	}
}

/* Splits the top-level header block into fields, drops smuggling ones and
 * copies the rest plus the body into a new GByteArray (which the GMime stream
 * will own). Refuses more than LIM_MIME_HEADERS fields. */
static enum ig_err
scrub(struct slice raw, GByteArray **out_r, struct mime_msg *m, struct warn_list *w,
      const char **error_r)
{
	struct field *fs = NULL;
	size_t n = 0, i = 0, hdr_end = raw.len, k, len, j, cut = 0;
	enum ig_err err = IG_ELIMIT;
	GByteArray *ba = NULL;

	fs = calloc(LIM_MIME_HEADERS + 1, sizeof(*fs));
	if (fs == NULL)
		return IG_ENOMEM;
	while (i < raw.len) {
		size_t ls = i, le;

		while (i < raw.len && raw.p[i] != '\n')
			i++;
		le = i < raw.len ? i + 1 : i; /* past the LF */
		i = le;
		if ((le - ls == 1 && raw.p[ls] == '\n') ||
		    (le - ls == 2 && raw.p[ls] == '\r' && raw.p[ls + 1] == '\n')) {
			hdr_end = ls;
			break;
		}
		if ((raw.p[ls] == ' ' || raw.p[ls] == '\t') && n > 0) {
			fs[n - 1].end = le;
			continue;
		}
		if (n == LIM_MIME_HEADERS) {
			*error_r = "more header fields than LIM_MIME_HEADERS";
			goto out;
		}
		fs[n].start = ls;
		fs[n].end = le;
		n++;
	}
	for (k = 0; k < n; k++) {
		if (!fs[k].drop)
			field_check(raw, fs, n, k, hdr_end, w);
	}
	ba = g_byte_array_sized_new((guint)raw.len);
	for (k = 0; k < n; k++) {
		if (fs[k].drop) {
			m->n_headers_dropped++;
			continue;
		}
		m->n_headers++;
		len = fs[k].end - fs[k].start;
		if (len <= LIM_MIME_HEADER_VALUE) {
			g_byte_array_append(ba, (const guint8 *)raw.p + fs[k].start, (guint)len);
			continue;
		}
		/* Cut here, not after GMime: it would decode the whole value
		 * itself first. Prefer a cut at white space, so an encoded
		 * word is not split. */
		len = LIM_MIME_HEADER_VALUE;
		for (j = len; j > LIM_MIME_HEADER_VALUE - 256; j--) {
			if (is_wsp(raw.p[fs[k].start + j])) {
				len = j;
				break;
			}
		}
		g_byte_array_append(ba, (const guint8 *)raw.p + fs[k].start, (guint)len);
		g_byte_array_append(ba, (const guint8 *)"\n", 1);
		cut++;
	}
	if (cut > 0)
		warn_add(w, "parse_header_truncated", "header", "fields=%zu limit=%zu", cut,
		         LIM_MIME_HEADER_VALUE);
	if (hdr_end < raw.len)
		g_byte_array_append(ba, (const guint8 *)raw.p + hdr_end,
		                    (guint)(raw.len - hdr_end));
	*out_r = ba;
	err = IG_OK;
out:
	free(fs);
	return err;
}

/* ----------------------------------------------------------------- pre-scan */

static bool
ci_prefix(const char *p, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && strncasecmp(p, lit, n) == 0;
}

/* GMime builds the whole tree before we can count it, recursively. Bound what
 * it can be asked to build: distinct boundaries (each multipart needs one),
 * nested message types, delimiter lines and header lines after them. An
 * over-count here is a refusal; the exact limits are checked on the tree. */
static enum ig_err
prescan(const char *p, size_t len, const char **error_r)
{
	struct slice bnd[LIM_MIME_PARTS + 1];
	size_t nb = 0, nmsg = 0, ndelim = 0, i = 0, j, hdr_lines = 0;
	bool in_part_hdr = false;

	while (i < len) {
		size_t ls = i, ll;

		while (i < len && p[i] != '\n')
			i++;
		ll = i - ls;
		if (ll > 0 && p[ls + ll - 1] == '\r')
			ll--;
		i = i < len ? i + 1 : i;
		if (in_part_hdr) {
			if (ll == 0) {
				in_part_hdr = false;
			} else if (p[ls] != ' ' && p[ls] != '\t' &&
			           ++hdr_lines > LIM_MIME_HEADERS) {
				*error_r = "more header fields in a part than LIM_MIME_HEADERS";
				return IG_ELIMIT;
			}
		}
		if (ll >= 3 && p[ls] == '-' && p[ls + 1] == '-') {
			for (j = 0; j < nb; j++) {
				if (ll - 2 >= bnd[j].len &&
				    memcmp(p + ls + 2, bnd[j].p, bnd[j].len) == 0) {
					if (++ndelim > 2 * LIM_MIME_PARTS + 2) {
						*error_r = "more MIME parts than LIM_MIME_PARTS";
						return IG_ELIMIT;
					}
					in_part_hdr = true;
					hdr_lines = 0;
					break;
				}
			}
			continue;
		}
		for (j = ls; j < ls + ll; j++) {
			char c = (char)(p[j] | 0x20);

			if (c == 'm' && ci_prefix(p + j, ls + ll - j, "message/")) {
				if (++nmsg > LIM_MIME_PARTS) {
					*error_r = "more nested messages than LIM_MIME_PARTS";
					return IG_ELIMIT;
				}
			} else if (c == 'b' && ci_prefix(p + j, ls + ll - j, "boundary")) {
				size_t q = j + 8, e = ls + ll, s;

				while (q < e && (p[q] == ' ' || p[q] == '\t'))
					q++;
				if (q >= e || p[q] != '=')
					continue;
				q++;
				while (q < e && (p[q] == ' ' || p[q] == '\t'))
					q++;
				if (q < e && p[q] == '"') {
					s = ++q;
					while (q < e && p[q] != '"')
						q++;
				} else {
					s = q;
					while (q < e && p[q] != ';' && p[q] != ' ' && p[q] != '\t')
						q++;
				}
				if (q == s)
					continue;
				if (nb == LIM_MIME_PARTS + 1) {
					*error_r = "more multipart boundaries than LIM_MIME_PARTS";
					return IG_ELIMIT;
				}
				bnd[nb].p = p + s;
				bnd[nb].len = q - s;
				nb++;
			}
		}
	}
	return IG_OK;
}

/* -------------------------------------------------- RFC 2231 parameters */

struct param_sec {
	struct slice v; /* raw value; escapes still in when quoted */
	bool quoted;
	bool encoded; /* charset'lang'%XX form */
	bool present;
};

struct param {
	struct param_sec plain;                        /* name= */
	struct param_sec ext;                          /* name*= */
	struct param_sec sec[LIM_MIME_PARAM_SECTIONS]; /* name*N= and name*N*= */
};

static void
unquote(struct slice v, bool quoted, struct buf *out)
{
	size_t i;

	if (!quoted) {
		buf_append(out, v.p, v.len);
		return;
	}
	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '\\' && i + 1 < v.len)
			i++;
		buf_putc(out, v.p[i]);
	}
}

static void
pct_decode(struct slice v, struct buf *out)
{
	size_t i;

	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '%' && i + 2 < v.len && hexval(v.p[i + 1]) >= 0 &&
		    hexval(v.p[i + 2]) >= 0) {
			buf_putc(out, (char)(hexval(v.p[i + 1]) * 16 + hexval(v.p[i + 2])));
			i += 2;
		} else {
			buf_putc(out, v.p[i]);
		}
	}
}

/* Collects the parameter called name (lower case) from a raw Content-Type or
 * Content-Disposition value. Lenient where mailers are: values may be
 * unquoted up to ';', quoted strings may hold ';'. */
static void
param_collect(struct slice raw, const char *name, struct param *pm)
{
	size_t i = 0, nlen = strlen(name);
	bool inq = false;

	memset(pm, 0, sizeof(*pm));
	/* Skip the type or disposition token. */
	while (i < raw.len && (inq || raw.p[i] != ';')) {
		if (raw.p[i] == '"')
			inq = !inq;
		i++;
	}
	while (i < raw.len) {
		size_t as, ae, vs, ve;
		struct param_sec sec = {.present = true};
		struct slice attr;

		while (i < raw.len && (raw.p[i] == ';' || is_wsp(raw.p[i])))
			i++;
		as = i;
		while (i < raw.len && raw.p[i] != '=' && raw.p[i] != ';' && !is_wsp(raw.p[i]))
			i++;
		ae = i;
		while (i < raw.len && is_wsp(raw.p[i]))
			i++;
		if (i >= raw.len || raw.p[i] != '=') {
			while (i < raw.len && raw.p[i] != ';')
				i++;
			continue;
		}
		i++;
		while (i < raw.len && is_wsp(raw.p[i]))
			i++;
		if (i < raw.len && raw.p[i] == '"') {
			vs = ++i;
			while (i < raw.len && raw.p[i] != '"') {
				if (raw.p[i] == '\\' && i + 1 < raw.len)
					i++;
				i++;
			}
			ve = i < raw.len ? i : raw.len;
			if (i < raw.len)
				i++;
			sec.quoted = true;
		} else {
			vs = i;
			while (i < raw.len && raw.p[i] != ';')
				i++;
			ve = i;
			while (ve > vs && is_wsp(raw.p[ve - 1]))
				ve--;
		}
		sec.v = (struct slice){raw.p + vs, ve - vs};
		attr = (struct slice){raw.p + as, ae - as};
		if (attr.len < nlen || strncasecmp(attr.p, name, nlen) != 0)
			continue;
		if (attr.len == nlen) {
			if (!pm->plain.present)
				pm->plain = sec;
		} else if (attr.p[nlen] == '*' && attr.len == nlen + 1) {
			sec.encoded = true;
			if (!pm->ext.present)
				pm->ext = sec;
		} else if (attr.p[nlen] == '*') {
			size_t k = nlen + 1, idx = 0;

			while (k < attr.len && attr.p[k] >= '0' && attr.p[k] <= '9' &&
			       idx < LIM_MIME_PARAM_SECTIONS) {
				idx = idx * 10 + (size_t)(attr.p[k] - '0');
				k++;
			}
			if (k == nlen + 1 || idx >= LIM_MIME_PARAM_SECTIONS)
				continue;
			if (k < attr.len && attr.p[k] == '*' && k + 1 == attr.len)
				sec.encoded = true;
			else if (k != attr.len)
				continue;
			if (!pm->sec[idx].present)
				pm->sec[idx] = sec;
		}
	}
}

/* Splits charset'lang'rest; returns the charset and moves v past it. */
static struct slice
ext_charset(struct slice *v)
{
	struct slice cs = {v->p, 0};
	const char *q1 = memchr(v->p, '\'', v->len), *q2;

	if (q1 == NULL)
		return cs;
	q2 = memchr(q1 + 1, '\'', v->len - (size_t)(q1 + 1 - v->p));
	if (q2 == NULL)
		return cs;
	cs.len = (size_t)(q1 - v->p);
	v->len -= (size_t)(q2 + 1 - v->p);
	v->p = q2 + 1;
	return cs;
}

/* Decodes the RFC 2231 form (name* or name*0...) into out; false when absent. */
static bool
param_ext_decode(const struct param *pm, struct buf *out, bool *unknown_r)
{
	struct buf bytes, tmp;
	struct slice cs = {NULL, 0}, v;
	bool cut = false, have = false;
	size_t k;

	buf_init(&bytes, LIM_MIME_FILENAME * 3);
	buf_init(&tmp, LIM_MIME_FILENAME * 3);
	if (pm->ext.present) {
		v = pm->ext.v;
		unquote(v, pm->ext.quoted, &tmp);
		v = buf_slice(&tmp);
		cs = ext_charset(&v);
		pct_decode(v, &bytes);
		have = true;
	} else if (pm->sec[0].present) {
		for (k = 0; k < LIM_MIME_PARAM_SECTIONS && pm->sec[k].present; k++) {
			size_t from = tmp.len;

			unquote(pm->sec[k].v, pm->sec[k].quoted, &tmp);
			v = (struct slice){tmp.p + from, tmp.len - from};
			if (k == 0 && pm->sec[0].encoded)
				cs = ext_charset(&v);
			if (pm->sec[k].encoded)
				pct_decode(v, &bytes);
			else
				buf_append(&bytes, v.p, v.len);
		}
		have = true;
	}
	if (have && buf_err(&bytes) == IG_OK && buf_err(&tmp) == IG_OK) {
		/* cs points into tmp, still alive here. */
		if (!mime_charset_to_utf8(cs, buf_slice(&bytes), out, LIM_MIME_FILENAME, &cut))
			*unknown_r = true;
		flatten_controls(out, 0);
	}
	buf_free(&bytes);
	buf_free(&tmp);
	return have;
}

/* The one rule for a parameter such as filename: the RFC 2231 form (name* or
 * name*0, name*1 ...) wins; the plain form (where RFC 2047 words are decoded,
 * as mailers put them there) is the fallback. Both present and different after
 * decoding: *conflict_r. Returns a heap UTF-8 string or NULL. */
static char *
param_get(struct slice raw, const char *name, bool *conflict_r, bool *unknown_r)
{
	struct param *pm = malloc(sizeof(*pm));
	struct buf ext, plain, uq;
	char *res = NULL;
	bool have_ext, u2 = false;

	if (pm == NULL)
		return NULL;
	param_collect(raw, name, pm);
	buf_init(&ext, LIM_MIME_FILENAME * 4);
	buf_init(&plain, LIM_MIME_FILENAME * 4);
	buf_init(&uq, LIM_MIME_HEADER_VALUE);
	have_ext = param_ext_decode(pm, &ext, unknown_r);
	if (pm->plain.present) {
		unquote(pm->plain.v, pm->plain.quoted, &uq);
		mime_header_decode(buf_slice(&uq), &plain, &u2);
		if (u2)
			*unknown_r = true;
	}
	if (have_ext && pm->plain.present && !sl_eq(buf_slice(&ext), buf_slice(&plain)))
		*conflict_r = true;
	if (have_ext && buf_err(&ext) == IG_OK && ext.len > 0)
		res = buf_take(&ext);
	else if (pm->plain.present && buf_err(&plain) == IG_OK)
		res = buf_take(&plain);
	buf_free(&ext);
	buf_free(&plain);
	buf_free(&uq);
	free(pm);
	if (res != NULL && res[0] == '\0') {
		free(res);
		res = NULL;
	}
	return res;
}

/* --------------------------------------------------------- RFC 5322 addresses */

static char *
xstrndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

struct addr_acc {
	struct buf disp;    /* atoms and unquoted strings, single-spaced */
	struct buf angle;   /* inside <...> */
	struct buf comment; /* first comment */
	bool has_angle;
	bool space;
};

static void
addr_acc_reset(struct addr_acc *a)
{
	buf_reset(&a->disp);
	buf_reset(&a->angle);
	buf_reset(&a->comment);
	a->has_angle = false;
	a->space = false;
}

static void
text_sep(struct addr_acc *a)
{
	if (a->space && a->disp.len > 0)
		buf_putc(&a->disp, ' ');
	a->space = false;
}

static void
addr_emit(struct addr_acc *a, struct mime_addr_list *l, bool *unknown_r)
{
	struct buf name, addr;
	struct slice spec, nm;
	struct mime_addr *nv;
	bool cut = false;
	size_t k;

	if (a->disp.len == 0 && a->angle.len == 0 && a->comment.len == 0)
		return;
	if (l->n == LIM_MIME_ADDRESSES) {
		l->dropped++;
		return;
	}
	buf_init(&name, LIM_MIME_HEADER_VALUE * 4);
	buf_init(&addr, LIM_MIME_HEADER_VALUE * 4);
	if (a->has_angle) {
		spec = buf_slice(&a->angle);
		/* An obsolete route "@a,@b:" is not part of the address. */
		if (spec.len > 0 && spec.p[0] == '@') {
			const char *colon = memchr(spec.p, ':', spec.len);

			if (colon != NULL) {
				spec.len -= (size_t)(colon + 1 - spec.p);
				spec.p = colon + 1;
			}
		}
		nm = buf_slice(&a->disp);
	} else {
		spec = buf_slice(&a->disp);
		nm = buf_slice(&a->comment);
	}
	/* Addresses carry no encoded words (RFC 2047 §5); 8-bit ones (RFC 6532)
	 * are read as UTF-8. Spaces inside a spec are folding leftovers. */
	{
		struct buf nosp;

		buf_init(&nosp, LIM_MIME_HEADER_VALUE);
		for (k = 0; k < spec.len; k++) {
			if (spec.p[k] != ' ')
				buf_putc(&nosp, spec.p[k]);
		}
		(void)mime_charset_to_utf8((struct slice){NULL, 0}, buf_slice(&nosp), &addr,
		                           LIM_MIME_HEADER_VALUE, &cut);
		buf_free(&nosp);
	}
	flatten_controls(&addr, 0);
	mime_header_decode(nm, &name, unknown_r);
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL || buf_err(&name) != IG_OK || buf_err(&addr) != IG_OK) {
		if (nv != NULL)
			l->v = nv;
		l->dropped++;
		goto out;
	}
	l->v = nv;
	l->v[l->n].name = xstrndup(name.p != NULL ? name.p : "", name.len);
	l->v[l->n].address = xstrndup(addr.p != NULL ? addr.p : "", addr.len);
	if (l->v[l->n].name == NULL || l->v[l->n].address == NULL) {
		free(l->v[l->n].name);
		free(l->v[l->n].address);
		l->dropped++;
		goto out;
	}
	l->n++;
out:
	buf_free(&name);
	buf_free(&addr);
}

/* Parses an address-list (RFC 5322 §3.4, with the obsolete forms mailers
 * still send). The display name is decoded only after the list is split, so
 * a name whose encoded words decode to "<x@y>, " cannot add an address. */
static void
addr_list_parse(struct slice raw, struct mime_addr_list *l, bool *unknown_r)
{
	struct addr_acc a;
	size_t i = 0;

	if (raw.len > LIM_MIME_HEADER_VALUE)
		raw.len = LIM_MIME_HEADER_VALUE;
	buf_init(&a.disp, LIM_MIME_HEADER_VALUE);
	buf_init(&a.angle, LIM_MIME_HEADER_VALUE);
	buf_init(&a.comment, LIM_MIME_HEADER_VALUE);
	addr_acc_reset(&a);
	while (i < raw.len) {
		char c = raw.p[i];

		if (is_wsp(c)) {
			a.space = true;
			i++;
		} else if (c == '"') {
			text_sep(&a);
			for (i++; i < raw.len && raw.p[i] != '"'; i++) {
				if (raw.p[i] == '\\' && i + 1 < raw.len)
					i++;
				buf_putc(&a.disp, raw.p[i]);
			}
			i++;
		} else if (c == '(') {
			size_t depth = 1;
			bool keep = a.comment.len == 0;

			/* Nesting is a counter, not recursion. */
			for (i++; i < raw.len && depth > 0; i++) {
				if (raw.p[i] == '\\' && i + 1 < raw.len) {
					i++;
				} else if (raw.p[i] == '(') {
					depth++;
				} else if (raw.p[i] == ')') {
					depth--;
					if (depth == 0)
						break;
				}
				if (keep)
					buf_putc(&a.comment, raw.p[i]);
			}
			i++;
			a.space = true;
		} else if (c == '<') {
			a.has_angle = true;
			for (i++; i < raw.len && raw.p[i] != '>'; i++) {
				if (!is_wsp(raw.p[i]))
					buf_putc(&a.angle, raw.p[i]);
			}
			i++;
		} else if (c == ',' || c == ';') {
			addr_emit(&a, l, unknown_r);
			addr_acc_reset(&a);
			i++;
		} else if (c == ':' && !a.has_angle) {
			/* A group: its name is not an address. */
			addr_acc_reset(&a);
			i++;
		} else {
			text_sep(&a);
			buf_putc(&a.disp, c);
			i++;
		}
	}
	addr_emit(&a, l, unknown_r);
	buf_free(&a.disp);
	buf_free(&a.angle);
	buf_free(&a.comment);
}

static void
addr_list_free(struct mime_addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].address);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------ msg-ids and List-* (RFC 2369) */

/* Calls back for each <...> item in raw, in order. Items are printable ASCII
 * without spaces; anything else is dropped, since a msg-id or a list URI
 * with other bytes is not one. */
static size_t
angle_items(struct slice raw, char **items, size_t max)
{
	size_t i = 0, n = 0;

	while (i < raw.len && n < max) {
		const char *lt = memchr(raw.p + i, '<', raw.len - i), *gt;
		size_t k;
		bool ok = true;

		if (lt == NULL)
			break;
		gt = memchr(lt, '>', raw.len - (size_t)(lt - raw.p));
		if (gt == NULL)
			break;
		for (k = 1; lt + k < gt; k++) {
			unsigned char c = (unsigned char)lt[k];

			if (c <= ' ' || c >= 0x7f)
				ok = c == ' ' || c == '\t' || c == '\r' || c == '\n' ? ok : false;
		}
		if (ok && gt > lt + 1) {
			struct buf b;

			buf_init(&b, LIM_MIME_HEADER_VALUE);
			for (k = 1; lt + k < gt; k++) {
				if (!is_wsp(lt[k]))
					buf_putc(&b, lt[k]);
			}
			if (buf_err(&b) == IG_OK && b.len > 0)
				items[n++] = buf_take(&b);
			buf_free(&b);
		}
		i = (size_t)(gt + 1 - raw.p);
	}
	return n;
}

static char *
first_angle(struct slice raw)
{
	char *item = NULL;

	if (angle_items(raw, &item, 1) == 1)
		return item;
	return NULL;
}

static char *
joined_angles(struct slice raw, size_t max)
{
	char *items[8];
	size_t n = angle_items(raw, items, max < 8 ? max : 8), i;
	struct buf b;

	if (n == 0)
		return NULL;
	buf_init(&b, LIM_MIME_HEADER_VALUE);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, items[i]);
		free(items[i]);
	}
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* ----------------------------------------------------------- type sniffing */

const char *
mime_sniff(const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (p == NULL)
		return NULL;
	if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
	if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) {
		size_t n = len < LIM_MIME_SNIFF ? len : LIM_MIME_SNIFF;

		/* OOXML: the first entries name the document's part folder. */
		if (memmem(p, n, "word/", 5) != NULL)
			return "application/vnd.openxmlformats-officedocument."
			       "wordprocessingml.document";
		if (memmem(p, n, "xl/", 3) != NULL)
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
		if (memmem(p, n, "ppt/", 4) != NULL)
			return "application/vnd.openxmlformats-officedocument."
			       "presentationml.presentation";
		return "application/zip";
	}
	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	if (len >= 2 && p[0] == 'M' && p[1] == 'Z')
		return "application/vnd.microsoft.portable-executable";
	if (len >= 4 && memcmp(p,
	                       "\x7f"
	                       "ELF",
	                       4) == 0)
		return "application/x-elf";
	if (len >= 4 &&
	    (memcmp(p, "\xfe\xed\xfa\xce", 4) == 0 || memcmp(p, "\xfe\xed\xfa\xcf", 4) == 0 ||
	     memcmp(p, "\xce\xfa\xed\xfe", 4) == 0 || memcmp(p, "\xcf\xfa\xed\xfe", 4) == 0))
		return "application/x-mach-binary";
	if (len >= 6 && memcmp(p, "Rar!\x1a\x07", 6) == 0)
		return "application/vnd.rar";
	if (len >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return "application/x-7z-compressed";
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "application/gzip";
	if (len >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return "application/x-ole-storage";
	if (len >= 2 && p[0] == '#' && p[1] == '!')
		return "text/x-shellscript";
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && i < 512 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (ci_prefix((const char *)p + i, len - i, "<!doctype html") ||
	    ci_prefix((const char *)p + i, len - i, "<html") ||
	    ci_prefix((const char *)p + i, len - i, "<head") ||
	    ci_prefix((const char *)p + i, len - i, "<body") ||
	    ci_prefix((const char *)p + i, len - i, "<script") ||
	    ci_prefix((const char *)p + i, len - i, "<iframe"))
		return "text/html";
	return NULL;
}

/* Groups of types that name the same kind of content. */
static const char *const type_alias[][2] = {
    {"image/jpg", "image/jpeg"},
    {"image/pjpeg", "image/jpeg"},
    {"application/x-pdf", "application/pdf"},
    {"application/x-zip-compressed", "application/zip"},
    {"application/x-zip", "application/zip"},
    {"application/x-gzip", "application/gzip"},
    {"application/gzip-compressed", "application/gzip"},
    {"application/x-rar-compressed", "application/vnd.rar"},
    {"application/x-rar", "application/vnd.rar"},
    {"application/x-msdownload", "application/vnd.microsoft.portable-executable"},
    {"application/x-msdos-program", "application/vnd.microsoft.portable-executable"},
    {"application/x-dosexec", "application/vnd.microsoft.portable-executable"},
    {"application/x-executable", "application/x-elf"},
    {"application/x-sh", "text/x-shellscript"},
    {"application/x-shellscript", "text/x-shellscript"},
    {"application/msword", "application/x-ole-storage"},
    {"application/vnd.ms-excel", "application/x-ole-storage"},
    {"application/vnd.ms-powerpoint", "application/x-ole-storage"},
    {"application/vnd.ms-outlook", "application/x-ole-storage"},
};

static const char *
type_canon(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(type_alias) / sizeof(type_alias[0]); i++) {
		if (strcasecmp(t, type_alias[i][0]) == 0)
			return type_alias[i][1];
	}
	return t;
}

bool
mime_type_mismatch(const char *declared, const char *sniffed)
{
	const char *d, *s;
	const char *ds, *ss;

	if (declared == NULL || sniffed == NULL)
		return false;
	d = type_canon(declared);
	s = type_canon(sniffed);
	/* Generic declarations promise nothing, so they cannot be contradicted;
	 * the filename rules judge those. */
	if (strcasecmp(d, "application/octet-stream") == 0 ||
	    strcasecmp(d, "application/unknown") == 0 ||
	    strcasecmp(d, "binary/octet-stream") == 0 ||
	    strcasecmp(d, "application/force-download") == 0 ||
	    strcasecmp(d, "application/x-download") == 0 ||
	    strcasecmp(d, "application/download") == 0)
		return false;
	if (strcasecmp(d, s) == 0)
		return false;
	/* OOXML and OpenDocument files are ZIP files. */
	if (strcmp(s, "application/zip") == 0 &&
	    (strncasecmp(d, "application/vnd.openxmlformats", 30) == 0 ||
	     strncasecmp(d, "application/vnd.oasis.opendocument", 34) == 0 ||
	     strncasecmp(d, "application/vnd.ms-", 19) == 0 ||
	     strcasecmp(d, "application/epub+zip") == 0 ||
	     strcasecmp(d, "application/java-archive") == 0))
		return false;
	if (strncmp(s, "application/vnd.openxmlformats", 30) == 0 &&
	    (strcasecmp(d, "application/zip") == 0 ||
	     strncasecmp(d, "application/vnd.openxmlformats", 30) == 0 ||
	     strncasecmp(d, "application/vnd.ms-", 19) == 0))
		return false;
	if (strcmp(s, "application/x-ole-storage") == 0 &&
	    strncasecmp(d, "application/vnd.ms-", 19) == 0)
		return false;
	ds = strchr(d, '/');
	ss = strchr(s, '/');
	/* One image format declared as another, or HTML in any text/ type, is
	 * a mislabel, not a disguise. */
	if (ds != NULL && ss != NULL && ds - d == ss - s &&
	    strncasecmp(d, s, (size_t)(ds - d)) == 0 &&
	    (strncmp(s, "image/", 6) == 0 || strncmp(s, "text/", 5) == 0))
		return false;
	return true;
}

/* ------------------------------------------------------------- tree walk */

struct walk_item {
	GMimeObject *obj;
	size_t depth;
	bool in_message; /* inside an attached message: counted, not reported */
	char id[64];
};

static void
make_id(char *out, size_t outsz, const char *parent, size_t index)
{
	int n;

	if (parent[0] == '\0')
		n = snprintf(out, outsz, "%zu", index);
	else
		n = snprintf(out, outsz, "%s.%zu", parent, index);
	if (n < 0 || (size_t)n >= outsz)
		out[0] = '\0';
}

/* A lower-case copy of an ASCII type name. */
static char *
lower_dup(const char *s)
{
	size_t n = strlen(s), i;
	char *d = xstrndup(s, n);

	if (d == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	}
	return d;
}

static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h;

	if (hl == NULL)
		return NULL;
	h = g_mime_header_list_get_header(hl, name);
	if (h == NULL)
		return NULL;
	return g_mime_header_get_raw_value(h);
}

/* A charset label safe to show in a warning: token characters, short. */
static const char *
safe_label(const char *s)
{
	size_t i;

	if (s == NULL)
		return "(none)";
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= 40 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return "(invalid)";
	}
	return s;
}

struct walk {
	struct mime_msg *m;
	struct warn_list *w;
	size_t text_total;
	/* mime_part_content: the attachment wanted and where its bytes go */
	const char *want_id;
	struct buf *want_out;
	bool found;
};

static enum ig_err
decode_content(GMimePart *part, GByteArray **ba_r, GMimeStream **st_r)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *st;

	*ba_r = NULL;
	*st_r = NULL;
	if (dw == NULL)
		return IG_OK;
	st = g_mime_stream_mem_new();
	if (st == NULL)
		return IG_ENOMEM;
	if (g_mime_data_wrapper_write_to_stream(dw, st) < 0) {
		g_object_unref(st);
		return IG_OK; /* undecodable content reads as empty */
	}
	*st_r = st;
	*ba_r = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
	return IG_OK;
}

static void
text_part(struct walk *wk, GMimeObject *obj, bool html, const char *id, GByteArray *ba)
{
	struct mime_msg *m = wk->m;
	struct buf *dst = html ? &m->text_html : &m->text_plain;
	const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
	size_t room = LIM_MIME_TEXT_TOTAL - wk->text_total, max, before;
	bool cut = false, known;
	struct slice in = {ba != NULL ? (const char *)ba->data : NULL, ba != NULL ? ba->len : 0};

	max = room < LIM_MIME_TEXT_PART ? room : LIM_MIME_TEXT_PART;
	if (html)
		m->n_html++;
	else
		m->n_plain++;
	if (dst->len > 0)
		buf_puts(dst, html ? "\n" : "\n\n");
	before = dst->len;
	known = mime_charset_to_utf8(sl_from_cstr(cs), in, dst, max, &cut);
	wk->text_total += dst->len - before;
	if (!known) {
		char vals[64];

		/* the charset label is the sender's: only inside the fence */
		(void)snprintf(vals, sizeof(vals), "charset=%s", safe_label(cs));
		warn_add_values(wk->w, "parse_charset_unknown", "body", vals, "part=%s", id);
	}
	if (cut) {
		if (html)
			m->html_truncated = true;
		else
			m->plain_truncated = true;
		warn_add(wk->w, "parse_body_truncated", "body", "part=%s limit=%zu", id, max);
	}
}

/* The attached message of a message/rfc822 part, serialized, into out. */
static void
message_bytes(GMimeObject *obj, struct buf *out)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	GMimeStream *st;
	GByteArray *ba;

	if (inner == NULL)
		return;
	st = g_mime_stream_mem_new();
	if (st == NULL)
		return;
	if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, st) >= 0) {
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
		buf_append(out, ba->data, ba->len);
	}
	g_object_unref(st);
}

static enum ig_err
attachment_add(struct walk *wk, GMimeObject *obj, const char *id, const char *type, GByteArray *ba,
               size_t size)
{
	struct mime_msg *m = wk->m;
	struct mime_attachment *na, *a;
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	const char *rawcd = raw_header(obj, "Content-Disposition");
	const char *rawct = raw_header(obj, "Content-Type");
	bool conflict = false, unknown = false;
	char *fn = NULL;

	if (rawcd != NULL)
		fn = param_get(sl_from_cstr(rawcd), "filename", &conflict, &unknown);
	if (fn == NULL && rawct != NULL)
		fn = param_get(sl_from_cstr(rawct), "name", &conflict, &unknown);
	na = realloc(m->att, (m->n_att + 1) * sizeof(*na));
	if (na == NULL) {
		free(fn);
		return IG_ENOMEM;
	}
	m->att = na;
	a = &m->att[m->n_att];
	memset(a, 0, sizeof(*a));
	a->part_id = xstrndup(id, strlen(id));
	a->declared_type = lower_dup(type);
	a->disposition = xstrndup(
	    cd != NULL && g_mime_content_disposition_is_attachment(cd) ? "attachment" : "inline",
	    cd != NULL && g_mime_content_disposition_is_attachment(cd) ? 10 : 6);
	a->filename = fn;
	a->filename_conflict = conflict;
	a->size = size;
	if (ba != NULL)
		a->sniffed_type = mime_sniff(ba->data, ba->len);
	m->n_att++;
	if (wk->want_id != NULL && strcmp(wk->want_id, id) == 0) {
		wk->found = true;
		if (ba != NULL)
			buf_append(wk->want_out, ba->data, ba->len);
		else if (GMIME_IS_MESSAGE_PART(obj))
			message_bytes(obj, wk->want_out);
	}
	if (a->part_id == NULL || a->declared_type == NULL || a->disposition == NULL)
		return IG_ENOMEM;
	if (conflict)
		warn_add(wk->w, "parse_filename_param_conflict", "attachment",
		         "part=%s the filename and filename* parameters differ", id);
	if (unknown)
		warn_add(wk->w, "parse_charset_unknown", "attachment", "part=%s filename", id);
	return IG_OK;
}

static bool
has_filename(GMimeObject *obj)
{
	const char *cd = raw_header(obj, "Content-Disposition");
	const char *ct = raw_header(obj, "Content-Type");
	struct param *pm = malloc(sizeof(*pm));
	bool have = false;

	if (pm == NULL)
		return false;
	if (cd != NULL) {
		param_collect(sl_from_cstr(cd), "filename", pm);
		have = pm->plain.present || pm->ext.present || pm->sec[0].present;
	}
	if (!have && ct != NULL) {
		param_collect(sl_from_cstr(ct), "name", pm);
		have = pm->plain.present || pm->ext.present || pm->sec[0].present;
	}
	free(pm);
	return have;
}

static enum ig_err
leaf(struct walk *wk, GMimeObject *obj, const char *id)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	char *type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	bool attach = cd != NULL && g_mime_content_disposition_is_attachment(cd);
	GByteArray *ba = NULL;
	GMimeStream *st = NULL;
	enum ig_err err;
	bool plain, html;

	if (type == NULL)
		type = g_strdup("text/plain");
	plain = g_ascii_strcasecmp(type, "text/plain") == 0;
	html = g_ascii_strcasecmp(type, "text/html") == 0;
	err = decode_content(GMIME_PART(obj), &ba, &st);
	if (err != IG_OK)
		goto out;
	if ((plain || html) && !attach && !has_filename(obj))
		text_part(wk, obj, html, id, ba);
	else
		err = attachment_add(wk, obj, id, type, ba, ba != NULL ? ba->len : 0);
out:
	if (st != NULL)
		g_object_unref(st);
	g_free(type);
	return err;
}

static size_t
message_size(GMimeObject *obj)
{
	GMimeStream *null = g_mime_stream_null_new();
	size_t n;

	if (null == NULL)
		return 0;
	(void)g_mime_object_write_to_stream(obj, NULL, null);
	n = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return n;
}

/* Walks the tree with an explicit stack (no recursion), checking depth,
 * part and header counts, and collecting text and attachments. */
static enum ig_err
walk_tree(struct walk *wk, GMimeObject *root, const char **error_r)
{
	struct walk_item stack[LIM_MIME_PARTS + 2];
	size_t sp = 0, i, count;
	enum ig_err err = IG_OK;

	stack[sp].obj = root;
	stack[sp].depth = 0;
	stack[sp].in_message = false;
	stack[sp].id[0] = '\0';
	sp++;
	while (sp > 0) {
		struct walk_item it = stack[--sp];
		GMimeHeaderList *hl = g_mime_object_get_header_list(it.obj);
		char id[64];

		if (++wk->m->n_parts > LIM_MIME_PARTS) {
			*error_r = "more MIME parts than LIM_MIME_PARTS";
			return IG_ELIMIT;
		}
		if (it.depth > LIM_MIME_DEPTH) {
			*error_r = "MIME nesting deeper than LIM_MIME_DEPTH";
			return IG_ELIMIT;
		}
		if (it.depth > wk->m->max_depth)
			wk->m->max_depth = it.depth;
		if (hl != NULL && g_mime_header_list_get_count(hl) > LIM_MIME_HEADERS) {
			*error_r = "more header fields in a part than LIM_MIME_HEADERS";
			return IG_ELIMIT;
		}
		if (GMIME_IS_MULTIPART(it.obj)) {
			GMimeMultipart *mp = GMIME_MULTIPART(it.obj);
			int n = g_mime_multipart_get_count(mp);

			if (n < 0)
				n = 0;
			count = (size_t)n;
			if (count > LIM_MIME_PARTS + 1 - sp) {
				*error_r = "more MIME parts than LIM_MIME_PARTS";
				return IG_ELIMIT;
			}
			/* Pushed last-first so they are visited in order. */
			for (i = count; i > 0; i--) {
				struct walk_item *c = &stack[sp++];

				c->obj = g_mime_multipart_get_part(mp, (int)(i - 1));
				c->depth = it.depth + 1;
				c->in_message = it.in_message;
				make_id(c->id, sizeof(c->id), it.id, i);
				if (c->obj == NULL)
					sp--;
			}
			continue;
		}
		if (it.id[0] == '\0')
			memcpy(id, "1", 2);
		else
			memcpy(id, it.id, sizeof(id));
		if (GMIME_IS_MESSAGE_PART(it.obj)) {
			GMimeMessage *inner =
			    g_mime_message_part_get_message(GMIME_MESSAGE_PART(it.obj));
			GMimeObject *body =
			    inner != NULL ? g_mime_message_get_mime_part(inner) : NULL;
			GMimeContentType *ct = g_mime_object_get_content_type(it.obj);
			char *type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;

			if (!it.in_message)
				err = attachment_add(
				    wk, it.obj, id, type != NULL ? type : "message/rfc822", NULL,
				    inner != NULL ? message_size(GMIME_OBJECT(inner)) : 0);
			g_free(type);
			if (err != IG_OK)
				return err;
			if (inner != NULL &&
			    g_mime_header_list_get_count(g_mime_object_get_header_list(
			        GMIME_OBJECT(inner))) > LIM_MIME_HEADERS) {
				*error_r = "more header fields in a part than LIM_MIME_HEADERS";
				return IG_ELIMIT;
			}
			if (body != NULL) {
				struct walk_item *c = &stack[sp++];

				c->obj = body;
				c->depth = it.depth + 1;
				c->in_message = true;
				if (GMIME_IS_MULTIPART(body))
					memcpy(c->id, id, sizeof(c->id));
				else
					make_id(c->id, sizeof(c->id), id, 1);
			}
			continue;
		}
		if (GMIME_IS_PART(it.obj) && !it.in_message) {
			err = leaf(wk, it.obj, id);
			if (err != IG_OK)
				return err;
		}
	}
	return IG_OK;
}

/* ---------------------------------------------------------- top-level headers */

static char *
decoded_dup(const char *raw, bool *unknown_r)
{
	struct buf b;

	buf_init(&b, LIM_MIME_HEADER_VALUE * 4);
	mime_header_decode(sl_from_cstr(raw), &b, unknown_r);
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	if (b.p == NULL)
		return xstrndup("", 0);
	return buf_take(&b);
}

/* Copies raw without folding, cut at LIM_MIME_HEADER_VALUE; printable ASCII
 * only is kept (Date and similar structured fields are ASCII). */
static char *
ascii_dup(const char *raw)
{
	struct buf b;
	size_t i;
	bool sp = false;

	buf_init(&b, LIM_MIME_HEADER_VALUE);
	for (i = 0; i < LIM_MIME_HEADER_VALUE && raw[i] != '\0'; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (is_wsp((char)c)) {
			sp = b.len > 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			continue;
		if (sp)
			buf_putc(&b, ' ');
		sp = false;
		buf_putc(&b, (char)c);
	}
	if (buf_err(&b) != IG_OK || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static char *
date_iso(const char *raw)
{
	GDateTime *dt = g_mime_utils_header_decode_date(raw), *utc;
	gchar *s;
	char *r;

	if (dt == NULL)
		return NULL;
	utc = g_date_time_to_utc(dt);
	g_date_time_unref(dt);
	if (utc == NULL)
		return NULL;
	/* GMime answers the epoch for dates it cannot read. */
	if (g_date_time_to_unix(utc) == 0) {
		g_date_time_unref(utc);
		return NULL;
	}
	s = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(utc);
	if (s == NULL)
		return NULL;
	r = xstrndup(s, strlen(s));
	g_free(s);
	return r;
}

static void
set_once(char **dst, char *v)
{
	if (*dst == NULL)
		*dst = v;
	else
		free(v);
}

static void
top_headers(struct mime_msg *m, GMimeObject *msg, struct warn_list *w)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0, i;
	bool unknown = false, cut = false, seen_list_id = false;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = h != NULL ? g_mime_header_get_name(h) : NULL;
		const char *raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;
		struct slice rv;

		if (name == NULL || raw == NULL)
			continue;
		rv = sl_from_cstr(raw);
		if (rv.len > LIM_MIME_HEADER_VALUE)
			cut = true;
		if (g_ascii_strcasecmp(name, "Subject") == 0) {
			set_once(&m->subject, decoded_dup(raw, &unknown));
		} else if (g_ascii_strcasecmp(name, "From") == 0) {
			if (m->from.n == 0)
				addr_list_parse(rv, &m->from, &unknown);
		} else if (g_ascii_strcasecmp(name, "Sender") == 0) {
			if (m->sender.n == 0)
				addr_list_parse(rv, &m->sender, &unknown);
		} else if (g_ascii_strcasecmp(name, "To") == 0) {
			addr_list_parse(rv, &m->to, &unknown);
		} else if (g_ascii_strcasecmp(name, "Cc") == 0) {
			addr_list_parse(rv, &m->cc, &unknown);
		} else if (g_ascii_strcasecmp(name, "Reply-To") == 0) {
			if (m->reply_to.n == 0)
				addr_list_parse(rv, &m->reply_to, &unknown);
		} else if (g_ascii_strcasecmp(name, "Date") == 0) {
			if (m->date == NULL) {
				m->date = ascii_dup(raw);
				if (m->date != NULL)
					m->date_iso = date_iso(m->date);
			}
		} else if (g_ascii_strcasecmp(name, "Message-ID") == 0) {
			set_once(&m->message_id, first_angle(rv));
		} else if (g_ascii_strcasecmp(name, "In-Reply-To") == 0) {
			set_once(&m->in_reply_to, first_angle(rv));
		} else if (g_ascii_strcasecmp(name, "References") == 0) {
			if (m->references == NULL) {
				m->references = calloc(LIM_MIME_REFERENCES, sizeof(char *));
				if (m->references != NULL)
					m->n_references =
					    angle_items(rv, m->references, LIM_MIME_REFERENCES);
			}
		} else if (g_ascii_strcasecmp(name, "List-Id") == 0) {
			m->list_present = true;
			/* The first List-Id counts (RFC 2919 allows one). */
			if (!seen_list_id) {
				const char *lt = memchr(rv.p, '<', rv.len);

				seen_list_id = true;
				m->list.id = first_angle(rv);
				if (lt != NULL && lt > rv.p) {
					char *ph = xstrndup(rv.p, (size_t)(lt - rv.p));

					if (ph != NULL) {
						m->list.name = decoded_dup(ph, &unknown);
						free(ph);
					}
				}
			}
		} else if (g_ascii_strcasecmp(name, "List-Unsubscribe") == 0) {
			m->list_present = true;
			set_once(&m->list.unsubscribe, joined_angles(rv, 4));
		} else if (g_ascii_strcasecmp(name, "List-Post") == 0) {
			m->list_present = true;
			if (m->list.post == NULL) {
				char *a = first_angle(rv);

				m->list.post = a != NULL ? a : ascii_dup(raw);
			}
		} else if (g_ascii_strcasecmp(name, "List-Archive") == 0) {
			set_once(&m->list.archive, first_angle(rv));
		} else if (g_ascii_strcasecmp(name, "List-Help") == 0) {
			set_once(&m->list.help, first_angle(rv));
		} else if (g_ascii_strcasecmp(name, "List-Unsubscribe-Post") == 0) {
			char *v = ascii_dup(raw);

			m->list.one_click =
			    v != NULL && g_ascii_strcasecmp(v, "List-Unsubscribe=One-Click") == 0;
			free(v);
		}
	}
	if (unknown)
		warn_add(w, "parse_charset_unknown", "header",
		         "an encoded word names a charset "
		         "outside the allow-list");
	if (cut)
		warn_add(w, "parse_header_truncated", "header", "limit=%zu", LIM_MIME_HEADER_VALUE);
}

/* ---------------------------------------------------------------- entry */

static enum ig_err
parse_walk(struct slice raw, struct mime_msg *m, struct warn_list *w, struct walk *wk0,
           const char **error_r)
{
	GByteArray *ba = NULL;
	GMimeStream *st = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	GMimeObject *root;
	struct walk wk = *wk0;
	enum ig_err err;
	const char *dummy = NULL;

	wk.m = m;
	wk.w = w;
	if (error_r == NULL)
		error_r = &dummy;
	memset(m, 0, sizeof(*m));
	buf_init(&m->text_plain, LIM_MIME_TEXT_TOTAL + 1024);
	buf_init(&m->text_html, LIM_MIME_TEXT_TOTAL + 1024);
	m->raw_size = raw.len;
	if (raw.len > LIM_MIME_MESSAGE) {
		*error_r = "message larger than LIM_MIME_MESSAGE";
		return IG_ELIMIT;
	}
	err = scrub(raw, &ba, m, w, error_r);
	if (err != IG_OK)
		return err;
	err = prescan((const char *)ba->data, ba->len, error_r);
	if (err != IG_OK) {
		g_byte_array_unref(ba);
		return err;
	}
	st = g_mime_stream_mem_new_with_byte_array(ba); /* takes ba */
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		*error_r = "not an RFC 5322 message";
		err = IG_EINVAL;
		goto out;
	}
	top_headers(m, GMIME_OBJECT(msg), w);
	root = g_mime_message_get_mime_part(msg);
	if (root != NULL) {
		err = walk_tree(&wk, root, error_r);
		if (err != IG_OK)
			goto out;
	}
	if (buf_err(&m->text_plain) != IG_OK || buf_err(&m->text_html) != IG_OK) {
		*error_r = "out of memory decoding text";
		err = IG_ENOMEM;
		goto out;
	}
	err = IG_OK;
	if (wk.want_out != NULL && buf_err(wk.want_out) != IG_OK) {
		*error_r = "the part is larger than the caller's limit";
		err = buf_err(wk.want_out);
	}
	wk0->found = wk.found;
out:
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(st);
	return err;
}

enum ig_err
mime_parse(struct slice raw, struct mime_msg *m, struct warn_list *w, const char **error_r)
{
	struct walk wk = {0};

	return parse_walk(raw, m, w, &wk, error_r);
}

enum ig_err
mime_part_content(struct slice raw, const char *part_id, struct mime_msg *m, struct warn_list *w,
                  struct buf *out, bool *found_r, const char **error_r)
{
	struct walk wk = {.want_id = part_id, .want_out = out};
	enum ig_err err = parse_walk(raw, m, w, &wk, error_r);

	*found_r = wk.found;
	return err;
}

void
mime_msg_free(struct mime_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->subject);
	free(m->date);
	free(m->date_iso);
	free(m->message_id);
	free(m->in_reply_to);
	for (i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	addr_list_free(&m->from);
	addr_list_free(&m->to);
	addr_list_free(&m->cc);
	addr_list_free(&m->reply_to);
	addr_list_free(&m->sender);
	free(m->list.id);
	free(m->list.name);
	free(m->list.unsubscribe);
	free(m->list.post);
	free(m->list.archive);
	free(m->list.help);
	buf_free(&m->text_plain);
	buf_free(&m->text_html);
	for (i = 0; i < m->n_att; i++) {
		free(m->att[i].part_id);
		free(m->att[i].declared_type);
		free(m->att[i].disposition);
		free(m->att[i].filename);
	}
	free(m->att);
	memset(m, 0, sizeof(*m));
}
