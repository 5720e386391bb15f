/* libFuzzer target for content/html.c and content/css.c. The first byte
 * picks the mode:
 *  - even: the rest is HTML. html_to_text and html_sanitize must not crash,
 *    must return UTF-8 when the input was UTF-8, and the sanitized HTML must
 *    carry no script element, event handler or javascript: URL.
 *  - odd: the rest drives a generator that nests hiding constructs (inline
 *    styles, <style> rules, attributes, raw-text elements) around the text
 *    CANARY among ordinary markup; CANARY must never reach the text output.
 *    Fuzzed CSS fragments may be spliced into the hiders' style attributes
 *    only in ways that cannot un-hide (appended after !important). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "content/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const hiders[][2] = {
    {"<div style=\"display:none !important;", "\">"},
    {"<span style=\"visibility:hidden !important;", "\">"},
    {"<div style=\"opacity:0 !important;", "\">"},
    {"<span style=\"font-size:0px !important;", "\">"},
    {"<div hidden style=\"", "\">"},
    {"<div style=\"mso-hide:all !important;", "\">"},
    {"<div style=\"max-height:0 !important;overflow:hidden !important;", "\">"},
    {"<div style=\"position:absolute !important;left:-5000px !important;", "\">"},
    {"<div style=\"text-indent:-9999px !important;", "\">"},
    {"<div style=\"position:absolute !important;clip:rect(0 0 0 0) !important;", "\">"},
    {"<span style=\"color:#fff !important;", "\">"},
    {"<div class=\"hx\" style=\"", "\">"},
    {"<div id=\"hy\" style=\"", "\">"},
    {"<span style=\"color:rgba(1,2,3,0) !important;", "\">"},
    {"<div style=\"transform:scale(0) !important;", "\">"},
    {"<div style=\"clip-path:inset(50%) !important;", "\">"},
    {"<div style=\"margin-left:-2000px !important;", "\">"},
    {"<div style=\"width:0 !important;overflow:hidden !important;", "\">"},
};
static const char *const hider_close[] = {
    "</div>", "</span>", "</div>", "</span>", "</div>",  "</div>", "</div>", "</div>", "</div>",
    "</div>", "</span>", "</div>", "</div>",  "</span>", "</div>", "</div>", "</div>", "</div>",
};
static const char *const leaves[] = {
    "<script>CANARY</script>",
    "<style>CANARY{}</style>",
    "<template>CANARY</template>",
    "<noscript>CANARY</noscript>",
    "<textarea>CANARY</textarea>",
    "<title>CANARY</title>",
    "<!--CANARY-->",
    "<svg><text>CANARY</text></svg>",
    "<iframe>CANARY</iframe>",
    "<select><option>CANARY</option></select>",
    "<div hidden>CANARY</div>",
    "<font color=\"#ffffff\">CANARY</font>",
    "<button>CANARY</button>",
    "<object>CANARY</object>",
    "<math><mi>CANARY</mi></math>",
    "<div style=\"background:#123\"><span style=\"color:#123\">CANARY</span></div>",
    "<span class=\"hz\">CANARY</span>",
    "<dialog>CANARY</dialog>",
};
static const char *const fillers[][2] = {
    {"<b>", "</b>"},
    {"<table><tr><td>", "</td></tr></table>"},
    {"<ul><li>", "</li></ul>"},
    {"<div>", "</div>"},
    {"<blockquote>", "</blockquote>"},
    {"<center>", "</center>"},
    {"<span style=\"line-height:20px\">", "</span>"},
    {"<em>", "</em>"},
    {"<ol><li>", "</li></ol>"},
    {"<pre>", "</pre>"},
};
static const char *const filler_leaves[] = {
    "text ",
    "<br>",
    "<a href=\"https://ex.com/\">link</a>",
    "<img src=\"https://ex.com/i\">",
    "&nbsp;",
    "\n",
    "<hr>",
    "<a href=\"javascript:x\">j</a>",
    "&lt;",
    "\xc3\xa9",
};

/* Appends fuzz bytes usable inside a double-quoted attribute after a
 * terminating ';': letters, digits and CSS punctuation, but no quote, no
 * '<', '>' or '&' (which would end or change the attribute) and no '!'
 * (which could only matter for importance, already maxed). A trailing
 * ';' keeps it from merging with what follows. */
static void
css_junk(struct buf *b, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)(p[i] & 0x7f);

		if (c < 0x20 || c == '"' || c == '<' || c == '>' || c == '&' || c == '!' ||
		    c == '\\' || c == 0x7f)
			c = ' ';
		buf_putc(b, c);
	}
	buf_putc(b, ';');
}

static void
structured(const uint8_t *p, size_t n)
{
	struct buf html, out;
	const char *close[32];
	int depth = 0, hidden = 0;
	bool is_hider[32];
	size_t i = 0;

	buf_init(&html, 1 << 20);
	buf_puts(&html, "<style>.hx{display:none !important}#hy{visibility:hidden !important}"
	                "div .hz{opacity:0 !important}</style><div>");
	while (i < n) {
		uint8_t op = p[i++];

		switch (op % 8) {
		case 0:
		case 1:
			if (depth < 32) {
				size_t h = (op / 8) % NELEM(hiders);
				size_t jl = i < n ? p[i++] % 16 : 0;

				if (jl > n - i)
					jl = n - i;
				buf_puts(&html, hiders[h][0]);
				css_junk(&html, p + i, jl);
				i += jl;
				buf_puts(&html, hiders[h][1]);
				close[depth] = hider_close[h];
				is_hider[depth++] = true;
				hidden++;
			}
			break;
		case 2:
			if (depth < 32) {
				size_t f = (op / 8) % NELEM(fillers);

				buf_puts(&html, fillers[f][0]);
				close[depth] = fillers[f][1];
				is_hider[depth++] = false;
			}
			break;
		case 3:
			if (depth > 0) {
				buf_puts(&html, close[--depth]);
				if (is_hider[depth])
					hidden--;
			}
			break;
		case 4:
			buf_puts(&html, filler_leaves[(op / 8) % NELEM(filler_leaves)]);
			break;
		case 5:
			buf_puts(&html, leaves[(op / 8) % NELEM(leaves)]);
			break;
		default:
			buf_puts(&html, hidden > 0 ? "CANARY" : "ok ");
			break;
		}
	}
	while (depth > 0)
		buf_puts(&html, close[--depth]);
	buf_puts(&html, "</div>");
	if (buf_err(&html) != IG_OK) {
		buf_free(&html);
		return;
	}
	buf_init(&out, 1 << 20);
	if (html_to_text(buf_slice(&html), &out, NULL, NULL) == IG_OK && out.p != NULL &&
	    strstr(out.p, "CANARY") != NULL)
		abort();
	buf_free(&out);
	buf_free(&html);
}

static const char *const allowed_tags[] = {
    "a",      "b",     "blockquote", "br", "code",  "div", "em",    "h1", "h2",  "h3",
    "h4",     "h5",    "h6",         "hr", "i",     "li",  "ol",    "p",  "pre", "span",
    "strong", "table", "tbody",      "td", "tfoot", "th",  "thead", "tr", "u",   "ul",
};
static const char *const allowed_attrs[] = {"href", "title", "colspan", "rowspan"};

static bool
in_list(const char *s, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
			return true;
	return false;
}

static bool
prefix_ci(const char *s, size_t n, const char *pfx)
{
	size_t pl = strlen(pfx);

	if (n < pl)
		return false;
	for (size_t i = 0; i < pl; i++)
		if ((char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != pfx[i])
			return false;
	return true;
}

/* The sanitized HTML must be a sequence of escaped text and tags of the
 * allow-list with allowed attributes only, every value double-quoted, href
 * values absolute http(s)/mailto. A tag cut by the output cap ends it. */
static void
check_sanitized(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '>' || s[i] == '"')
			abort(); /* text is escaped */
		if (s[i] != '<') {
			i++;
			continue;
		}
		i++;
		if (i < len && s[i] == '/')
			i++;
		size_t st = i;

		while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			i++;
		if (i >= len)
			return;
		if (!in_list(s + st, i - st, allowed_tags, NELEM(allowed_tags)))
			abort();
		while (i < len && s[i] == ' ') {
			size_t an = ++i;

			while (i < len && s[i] >= 'a' && s[i] <= 'z')
				i++;
			if (i >= len)
				return;
			if (!in_list(s + an, i - an, allowed_attrs, NELEM(allowed_attrs)))
				abort();
			bool href = i - an == 4;

			if (len - i < 2)
				return;
			if (s[i] != '=' || s[i + 1] != '"')
				abort();
			i += 2;
			size_t vs = i;
			const char *q = memchr(s + i, '"', len - i);

			if (q == NULL)
				return;
			i = (size_t)(q - s) + 1;
			if (href && !prefix_ci(s + vs, (size_t)(q - (s + vs)), "http://") &&
			    !prefix_ci(s + vs, (size_t)(q - (s + vs)), "https://") &&
			    !prefix_ci(s + vs, (size_t)(q - (s + vs)), "mailto:"))
				abort();
			if (memchr(s + vs, '<', (size_t)(q - (s + vs))) != NULL ||
			    memchr(s + vs, '>', (size_t)(q - (s + vs))) != NULL)
				abort();
		}
		if (i >= len)
			return;
		if (s[i] != '>')
			abort();
		i++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice in;
	struct buf out;
	struct warn_list w;
	struct html_stats st;
	bool valid;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		structured(data + 1, size - 1);
		return 0;
	}
	in = (struct slice){(const char *)data + 1, size - 1};
	valid = u8_valid(in.p, in.len);
	buf_init(&out, (size_t)64 * 1024);
	warn_list_init(&w);
	if (html_to_text(in, &out, &w, &st) == IG_OK && valid && !u8_valid(out.p, out.len))
		abort();
	buf_reset(&out);
	if (html_sanitize(in, &out, NULL) == IG_OK && out.len > 0) {
		if (valid && !u8_valid(out.p, out.len))
			abort();
		check_sanitized(out.p, out.len);
	}
	buf_free(&out);
	warn_list_free(&w);
	return 0;
}
