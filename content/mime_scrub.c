/* What runs before GMime sees a message: the header-smuggling scrub (fields
 * whose encoded words would decode to extra header lines are dropped and
 * reported) and the pre-scan that refuses structures whose size alone would
 * make GMime's recursive parser expensive. */
#include "content/mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "base/limits.h"
#include "content/mime_int.h"
#include "content/warn.h"

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
		if (mime_ew_parse((struct slice){raw.p + i, line_end - i}, &e, &stop)) {
			buf_reset(&dec);
			mime_ew_bytes(&e, &dec);
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
enum ig_err
mime_scrub(struct slice raw, GByteArray **out_r, struct mime_msg *m, struct warn_list *w,
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

/* GMime builds the whole tree before we can count it, recursively. Bound what
 * it can be asked to build: distinct boundaries (each multipart needs one),
 * nested message types, delimiter lines and header lines after them. An
 * over-count here is a refusal; the exact limits are checked on the tree. */
#define PRESCAN_WORD 8 /* strlen("message/") == strlen("boundary") */

/* Horspool shifts for finding both words at once, ASCII case-insensitively:
 * how far the window can move when its last byte is c. */
static void
prescan_shifts(unsigned char shift[256])
{
	static const char *const words[] = {"message/", "boundary"};

	memset(shift, PRESCAN_WORD, 256);
	for (size_t w = 0; w < 2; w++) {
		for (size_t k = 0; k + 1 < PRESCAN_WORD; k++) {
			unsigned char c = (unsigned char)words[w][k];
			unsigned char d = (unsigned char)(PRESCAN_WORD - 1 - k);

			if (d < shift[c])
				shift[c] = d;
			if (c >= 'a' && c <= 'z' && d < shift[c - 32])
				shift[c - 32] = d;
		}
	}
}

enum ig_err
mime_prescan(const char *p, size_t len, const char **error_r)
{
	struct slice bnd[LIM_MIME_PARTS + 1];
	size_t nb = 0, nmsg = 0, ndelim = 0, i = 0, j, hdr_lines = 0;
	bool in_part_hdr = false;
	unsigned char shift[256];

	prescan_shifts(shift);
	while (i < len) {
		size_t ls = i, ll;
		const char *nl = memchr(p + i, '\n', len - i);

		i = nl != NULL ? (size_t)(nl - p) : len;
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
		/* Every place either word starts in the line, in order; the
		 * shifts skip most bytes of a body without comparing them. */
		for (j = ls; j + PRESCAN_WORD <= ls + ll;
		     j += shift[(unsigned char)p[j + PRESCAN_WORD - 1]]) {
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
