/* Charsets (RFC 2045 §5.1, RFC 2046 §4.1.2): one allow-list of labels mapped
 * to ICU converters, and the conversion of declared-charset bytes to UTF-8
 * that every decoded string in the MIME layer goes through. */
#include "content/mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>

#include "base/utf8.h"
#include "content/mime_int.h"

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
