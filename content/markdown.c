/* Markdown neutralization (DESIGN §5 step 6).
 *
 * Implements against: CommonMark 0.30 (§6.4 images, §4.7 link reference
 * definitions, §2.4 backslash escapes, §6.6 raw HTML, §4.6 HTML blocks) and
 * GitHub Flavored Markdown 0.29 (which renders most raw HTML tags), and the
 * HTML Living Standard for the elements and attributes that load resources.
 *
 * Agents' clients render model output (which quotes mail) as Markdown; an
 * image there is fetched the moment it is displayed, carrying whatever the
 * attacker had the model put in the URL. The fix is a backslash escape in
 * front of the character that opens the construct: the rendered text looks
 * the same, nothing is fetched, and an escaped construct is recognised as
 * escaped (odd run of backslashes before it), which makes the pass
 * idempotent. Only ASCII is inserted, so the output stays NFKC.
 *
 * What is not handled: clients that turn bare image URLs into previews
 * (that is link unfurling, not Markdown).
 */
#include "content/markdown.h"

#include <stdint.h>
#include <string.h>

/* Reference labels are at most 999 characters (CommonMark §4.7). */
#define MD_LABEL_MAX 999
#define MD_NAME_MAX 16

/* Elements that load a resource by themselves (or whose attributes do) when
 * a renderer passes raw HTML through. */
static const char *const fetch_tags[] = {
    "img",    "image",  "svg",     "iframe",  "frame",   "frameset", "video", "audio",
    "source", "track",  "picture", "object",  "embed",   "applet",   "link",  "script",
    "style",  "input",  "body",    "table",   "td",      "th",       "tr",    "meta",
    "base",   "portal", "use",     "feimage", "bgsound", "math",     "xml",   "marquee",
};

/* Attributes that make any element fetch (src, srcset, lowsrc, dynsrc,
 * poster, background) or can (style: CSS url(), image-set(), @import). */
static const char *const fetch_attrs[] = {
    "src", "srcset", "lowsrc", "dynsrc", "poster", "background", "style",
};

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
word_at(const unsigned char *s, size_t len, size_t i, const char *w)
{
	size_t k;

	for (k = 0; w[k] != '\0'; k++) {
		if (i + k >= len || lower(s[i + k]) != (unsigned char)w[k])
			return false;
	}
	return true;
}

/* An attribute assignment "name =" of a fetching attribute at s[i], where
 * s[i - 1] separates attributes. Prose ("the src folder") does not match. */
static bool
fetch_attr_at(const unsigned char *s, size_t len, size_t i)
{
	size_t k;

	if (i == 0 || !(s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n' ||
	                s[i - 1] == '\r' || s[i - 1] == '"' || s[i - 1] == '\'' || s[i - 1] == '/'))
		return false;
	for (k = 0; k < sizeof(fetch_attrs) / sizeof(fetch_attrs[0]); k++) {
		size_t j = i + strlen(fetch_attrs[k]);

		if (!word_at(s, len, i, fetch_attrs[k]))
			continue;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j < len && s[j] == '=')
			return true;
	}
	return false;
}

static bool
fetch_tag_name(const unsigned char *s, size_t len, size_t i)
{
	char name[MD_NAME_MAX + 1];
	size_t n = 0;
	size_t k;

	while (i < len && n < MD_NAME_MAX &&
	       (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == ':'))
		name[n++] = (char)lower(s[i++]);
	name[n] = '\0';
	/* "svg:image" and friends: judge the local name. */
	for (k = n; k > 0; k--) {
		if (name[k - 1] == ':')
			break;
	}
	for (size_t t = 0; t < sizeof(fetch_tags) / sizeof(fetch_tags[0]); t++) {
		if (strcmp(name + k, fetch_tags[t]) == 0)
			return true;
	}
	return false;
}

/* Is s[k] ('[') the start of a link reference definition "[label]:"? Any
 * '[' inside rejects, escaped or not: that misses the rare label with "\[",
 * but keeps the answer independent of the escapes this pass inserts. */
static bool
ref_def_at(const unsigned char *s, size_t len, size_t k)
{
	size_t i = k + 1;
	size_t end = len - i > MD_LABEL_MAX + 1 ? i + MD_LABEL_MAX + 1 : len;
	bool any = false;

	while (i < end) {
		unsigned char c = s[i];

		if (c == '[' || c == '\n')
			return false;
		if (c == ']')
			return any && i + 1 < len && s[i + 1] == ':';
		if (c != ' ' && c != '\t')
			any = true;
		i++;
	}
	return false;
}

/* A tag's attributes cannot run past the end of its paragraph (a blank
 * line ends raw inline HTML and HTML blocks alike), so a '<' is judged by the
 * fetching attributes between it and the paragraph's end. One forward scan
 * per paragraph serves every '<' in it: linear time, and the answer does not
 * move when this pass inserts backslashes, which keeps the pass idempotent.
 * Quoted '>' inside attribute values cannot hide an attribute either. */
struct para_scan {
	size_t end;     /* index of the blank line ending the paragraph, or len */
	size_t kw_last; /* start of the last fetching attribute in it, or SIZE_MAX */
};

static void
para_scan_run(const unsigned char *s, size_t len, size_t i, struct para_scan *t)
{
	size_t k;

	t->kw_last = SIZE_MAX;
	for (k = i + 1; k < len; k++) {
		if (s[k] == '\n') {
			size_t m = k + 1;

			while (m < len && (s[m] == ' ' || s[m] == '\t' || s[m] == '\r'))
				m++;
			if (m >= len || s[m] == '\n')
				break;
		} else if (fetch_attr_at(s, len, k)) {
			t->kw_last = k;
		}
	}
	t->end = k;
}

enum ig_err
md_neutralize(struct slice in, struct buf *out, size_t *count_r)
{
	const unsigned char *s = (const unsigned char *)in.p;
	struct para_scan scan = {0, SIZE_MAX};
	size_t count = 0;
	size_t bs = 0; /* backslashes immediately before s[i] */
	size_t from = 0;
	size_t i;

	if (count_r != NULL)
		*count_r = 0;
	if (in.len == 0) /* in.p may be NULL (an empty buf) */
		return buf_err(out);
	for (i = 0; i < in.len; i++) {
		unsigned char c = s[i];

		if (i == 0 || s[i - 1] == '\n') {
			size_t k = i;

			while (k < in.len && k - i < 3 && s[k] == ' ')
				k++;
			if (k < in.len && s[k] == '[' && ref_def_at(s, in.len, k)) {
				buf_append(out, s + from, k - from);
				buf_putc(out, '\\');
				from = k;
			}
		}
		if (c == '!' && (bs & 1) == 0 && i + 1 < in.len && s[i + 1] == '[') {
			buf_append(out, s + from, i + 1 - from);
			buf_putc(out, '\\');
			from = i + 1;
			count++;
		} else if (c == '<' && (bs & 1) == 0 && i + 1 < in.len && is_alpha(s[i + 1])) {
			bool fetch;

			if (i >= scan.end)
				para_scan_run(s, in.len, i, &scan);
			fetch = fetch_tag_name(s, in.len, i + 1) ||
			        (scan.kw_last != SIZE_MAX && scan.kw_last > i);
			if (fetch) {
				buf_append(out, s + from, i - from);
				buf_putc(out, '\\');
				from = i;
				count++;
			}
		}
		bs = c == '\\' ? bs + 1 : 0;
	}
	buf_append(out, s + from, in.len - from);
	if (count_r != NULL)
		*count_r = count;
	return buf_err(out);
}
