/* The writer behind html_to_text and html_sanitize: bounded output cut on
 * UTF-8 boundaries, owed line breaks and separators for block boxes, CSS
 * normal-flow whitespace collapsing, and escaping for the sanitized HTML. */
#include "content/html.h"

#include <string.h>

#include "content/html_int.h"

#define LIM_HREF_OUT 2048 /* bytes of an href rendered into the text */

/* Appends at most what fits, cutting on a UTF-8 boundary. */
void
html_w_raw(struct writer *w, const char *p, size_t n)
{
	size_t room;

	if (w->full || n == 0)
		return;
	room = w->max > w->out->len ? w->max - w->out->len : 0;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
		w->full = true;
	}
	buf_append(w->out, p, n);
	if (buf_err(w->out) != IG_OK)
		w->full = true;
}

static bool
w_line_start(const struct writer *w)
{
	return w->out->len == 0 || w->trail_nl > 0;
}

/* Settles owed breaks/separators before visible content. */
void
html_w_flush(struct writer *w)
{
	if (w->out->len > 0 && w->want_nl > w->trail_nl) {
		static const char nls[] = "\n\n";
		unsigned k = w->want_nl - w->trail_nl;

		html_w_raw(w, nls, k > 2 ? 2 : k);
		w->trail_nl = w->want_nl;
	} else if (!w_line_start(w) && w->want_sep) {
		html_w_raw(w, " | ", 3);
	} else if (!w_line_start(w) && w->want_space) {
		html_w_raw(w, " ", 1);
	}
	w->want_nl = 0;
	w->want_space = false;
	w->want_sep = false;
}

void
html_w_block(struct writer *w, unsigned k)
{
	if (k > w->want_nl)
		w->want_nl = k;
	w->want_space = false;
	w->want_sep = false;
}

void
html_w_br(struct writer *w)
{
	html_w_flush(w);
	html_w_raw(w, "\n", 1);
	w->trail_nl++;
	w->want_space = false;
}

/* Visible text with CSS normal-flow whitespace collapsing (or preserved in
 * pre). */
void
html_w_text(struct writer *w, const char *p, size_t len, bool pre)
{
	size_t i = 0;

	while (i < len && !w->full) {
		size_t st = i;

		if (pre) {
			while (i < len && p[i] != '\n' && p[i] != '\r')
				i++;
			if (i > st) {
				html_w_flush(w);
				html_w_raw(w, p + st, i - st);
				w->trail_nl = 0;
			}
			if (i < len) {
				if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
					i++;
				i++;
				html_w_br(w);
			}
			continue;
		}
		if (ascii_ws((unsigned char)p[i])) {
			while (i < len && ascii_ws((unsigned char)p[i]))
				i++;
			w->want_space = true;
			continue;
		}
		while (i < len && !ascii_ws((unsigned char)p[i]))
			i++;
		html_w_flush(w);
		html_w_raw(w, p + st, i - st);
		w->trail_nl = 0;
	}
}

/* Escaped text for html_sanitize. */
void
html_w_escaped(struct writer *w, const char *p, size_t len)
{
	size_t st = 0;

	for (size_t i = 0; i < len && !w->full; i++) {
		const char *rep = NULL;

		switch (p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep == NULL)
			continue;
		html_w_raw(w, p + st, i - st);
		html_w_raw(w, rep, strlen(rep));
		st = i + 1;
	}
	html_w_raw(w, p + st, len - st);
}

/* An href as shown in text: no whitespace or controls, capped. */
void
html_w_href(struct writer *w, struct slice h)
{
	char tmp[LIM_HREF_OUT];
	size_t n = 0;

	h = html_href_trim(h);
	for (size_t i = 0; i < h.len && n + 3 < sizeof(tmp); i++) {
		unsigned char c = (unsigned char)h.p[i];

		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == ' ') {
			tmp[n++] = '%';
			tmp[n++] = '2';
			tmp[n++] = '0';
			continue;
		}
		tmp[n++] = (char)c;
	}
	n = u8_cut(tmp, n);
	html_w_raw(w, tmp, n);
}
