/* Links: href classification (RFC 3986 absolute URLs, mailto:, tel:,
 * everything else refused), host extraction and comparison, whether the
 * visible link text names a domain other than the one the href points to
 * (UAX #15 NFKC and the UTS #46 full stops first, the Public Suffix List for
 * "same site"), and relative hrefs resolved against <base href> (WHATWG HTML
 * "document base URL", WHATWG URL parsing for http and https). */
#include "content/html.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "content/html_int.h"
#include "content/lookalike.h"
#include "content/unicode.h"

#define LIM_LINK_TEXT 512 /* bytes of link text examined for domain names */
/* its NFKC form: U+FDFA alone grows 3 bytes to 33 */
#define LIM_LINK_NORM ((size_t)11 * LIM_LINK_TEXT)

/* WHATWG URL: leading/trailing C0 controls and spaces are stripped. */
struct slice
html_href_trim(struct slice h)
{
	while (h.len > 0 && (unsigned char)h.p[0] <= 0x20) {
		h.p++;
		h.len--;
	}
	while (h.len > 0 && (unsigned char)h.p[h.len - 1] <= 0x20)
		h.len--;
	return h;
}

static bool
host_valid(struct slice h)
{
	size_t labels = 0, ll = 0;
	bool alldigit_tld = true;

	if (h.len == 0 || h.len > 253)
		return false;
	if (h.p[0] == '[')
		return h.p[h.len - 1] == ']' && h.len > 2; /* IPv6 literal */
	for (size_t i = 0; i < h.len; i++) {
		unsigned char c = (unsigned char)h.p[i];

		if (c == '.') {
			if (ll == 0 || ll > 63)
				return false;
			labels++;
			ll = 0;
			alldigit_tld = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c >= 0x80))
			return false;
		if (!(c >= '0' && c <= '9'))
			alldigit_tld = false;
		ll++;
	}
	if (ll == 0) /* trailing dot: the root label */
		return labels >= 2;
	labels++;
	(void)alldigit_tld; /* dotted IPv4 is as acceptable as a name here */
	return labels >= 2 && ll <= 63;
}

/* Classifies an href and extracts the host it points to (lowercase
 * comparison happens later). */
enum href_kind
html_href_classify(struct slice h, struct slice *host)
{
	*host = (struct slice){NULL, 0};
	h = html_href_trim(h);
	if (h.len == 0 || h.p[0] == '#')
		return HREF_NONE;
	for (size_t i = 0; i < h.len; i++)
		if (h.p[i] == '\t' || h.p[i] == '\n' || h.p[i] == '\r')
			return HREF_BAD; /* browsers strip these; mail has no reason to use them */
	if (prefix_nocase(h, "http://") || prefix_nocase(h, "https://")) {
		size_t st = prefix_nocase(h, "http://") ? 7 : 8, e = st;

		while (e < h.len && h.p[e] != '/' && h.p[e] != '?' && h.p[e] != '#' &&
		       h.p[e] != '\\')
			e++;
		struct slice auth = {h.p + st, e - st};
		const char *at = NULL;

		for (size_t i = 0; i < auth.len; i++)
			if (auth.p[i] == '@')
				at = auth.p + i; /* the last '@' ends the userinfo */
		if (at != NULL) {
			auth.len -= (size_t)(at + 1 - auth.p);
			auth.p = at + 1;
		}
		if (auth.len > 0 && auth.p[0] != '[') {
			const char *colon = memchr(auth.p, ':', auth.len);

			if (colon != NULL) {
				for (const char *q = colon + 1; q < auth.p + auth.len; q++)
					if (*q < '0' || *q > '9')
						return HREF_BAD;
				auth.len = (size_t)(colon - auth.p);
			}
		}
		*host = auth;
		return host_valid(auth) ? HREF_WEB : HREF_BAD;
	}
	if (prefix_nocase(h, "mailto:")) {
		struct slice a = {h.p + 7, h.len - 7};
		const char *q = memchr(a.p, '?', a.len);
		const char *at;

		if (q != NULL)
			a.len = (size_t)(q - a.p);
		at = memchr(a.p, '@', a.len);
		if (at == NULL || at == a.p)
			return HREF_BAD;
		*host = (struct slice){at + 1, a.len - (size_t)(at + 1 - a.p)};
		return host_valid(*host) ? HREF_MAILTO : HREF_BAD;
	}
	if (prefix_nocase(h, "tel:")) {
		for (size_t i = 4; i < h.len; i++)
			if (!((h.p[i] >= '0' && h.p[i] <= '9') || h.p[i] == '+' || h.p[i] == '-' ||
			      h.p[i] == ' ' || h.p[i] == '(' || h.p[i] == ')' || h.p[i] == '.'))
				return HREF_BAD;
		return HREF_TEL;
	}
	return HREF_BAD;
}

/* Top-level domains accepted in link text besides every two-letter one and
 * every other ICANN TLD of the Public Suffix List: the list alone knows them
 * when libpsl has no list at all. */
static const char *const tlds[] = {
    "app",   "bank",  "biz",  "blog",   "cloud", "club", "com",  "coop", "dev",
    "edu",   "email", "gov",  "info",   "int",   "io",   "live", "mil",  "mobi",
    "name",  "net",   "news", "online", "org",   "page", "pro",  "shop", "site",
    "store", "tech",  "top",  "travel", "vip",   "xyz",  "zone",
};

/* TLDs that are far more often file extensions in link text ("notes.md",
 * "report.zip"): such a token is not taken for a domain. */
static const char *const not_tlds[] = {
    "js", "md", "py", "sh", "gz", "rs", "cs", "ps", "db", "zip", "mov",
};

static bool
tld_ok(struct slice t)
{
	char tl[64] = {0}; /* zeroed: the analyzer cannot follow the copy loop */
	bool ascii = true;

	if (t.len < 2 || t.len >= sizeof(tl))
		return false;
	for (size_t i = 0; i < t.len; i++) {
		tl[i] = lower(t.p[i]);
		if ((unsigned char)t.p[i] >= 0x80)
			ascii = false;
	}
	tl[t.len] = '\0';
	if (!ascii) /* "рф", "中国": only a TLD the list knows */
		return look_is_tld(tl, t.len);
	for (size_t i = 0; i < t.len; i++)
		if (!(tl[i] >= 'a' && tl[i] <= 'z'))
			return prefix_nocase(t, "xn--");
	for (size_t i = 0; i < sizeof(not_tlds) / sizeof(not_tlds[0]); i++)
		if (strcmp(tl, not_tlds[i]) == 0)
			return false;
	if (t.len == 2)
		return true;
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (strcmp(tl, tlds[i]) == 0)
			return true;
	return look_is_tld(tl, t.len);
}

bool
html_host_eq(struct slice a, struct slice b)
{
	while (a.len > 0 && a.p[a.len - 1] == '.')
		a.len--;
	while (b.len > 0 && b.p[b.len - 1] == '.')
		b.len--;
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return false;
	return true;
}

/* Same registrable domain (Public Suffix List, after UTS #46 mapping, so
 * case, fullwidth forms and U-label vs A-label do not count)? When either
 * side cannot be analysed, only the same host is the same site. */
static bool
same_site(struct slice a, struct slice b)
{
	char ra[256], rb[256];

	if (look_registrable(a.p, a.len, ra, sizeof(ra)) &&
	    look_registrable(b.p, b.len, rb, sizeof(rb)))
		return strcmp(ra, rb) == 0;
	return html_host_eq(a, b);
}

/* Bytes of the character at p[0..n) when it can be part of a domain named in
 * text (ASCII letters, digits, '-', '.'; other letters, marks and digits),
 * else 0. *start: it may begin one (a letter or digit). */
static size_t
dom_char(const char *p, size_t n, bool *start)
{
	unsigned char c = (unsigned char)p[0];
	int32_t i = 0;
	UChar32 cp;

	*start = false;
	if (c < 0x80) {
		*start = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		return *start || c == '-' || c == '.' ? 1 : 0;
	}
	U8_NEXT((const uint8_t *)p, i, (int32_t)(n < 4 ? n : 4), cp);
	if (cp < 0 || !(u_isalnum(cp) || (U_GET_GC_MASK(cp) & U_GC_M_MASK) != 0))
		return 0;
	*start = true;
	return (size_t)i;
}

/* The link text as a reader takes it: NFKC with invisible characters removed
 * (u8_sanitize: "ｗｗｗ．ｐａｙｐａｌ．ｃｏｍ", "𝐩𝐚𝐲𝐩𝐚𝐥.com" and a ZWSP-split
 * "pay<ZWSP>pal.com" read as the plain domain), then the full stops UTS #46
 * maps to '.' (U+3002 ideographic, U+FF0E fullwidth, U+FF61 halfwidth
 * ideographic; NFKC already made '.' of U+2024 and U+FE52). Into b; on
 * failure the text as it was. */
static struct slice
text_normalize(struct slice text, struct buf *b)
{
	static const char *const dots[] = {"\xe3\x80\x82", "\xef\xbc\x8e", "\xef\xbd\xa1"};
	struct u8_report rep;
	enum ig_err e;
	size_t o = 0;

	u8_report_init(&rep);
	e = u8_sanitize(text, b, &rep);
	u8_report_free(&rep);
	if ((e != IG_OK && e != IG_ELIMIT) || b->p == NULL)
		return text;
	for (size_t i = 0; i < b->len;) {
		bool dot = false;

		for (size_t k = 0; k < sizeof(dots) / sizeof(dots[0]) && !dot; k++)
			dot = b->len - i >= 3 && memcmp(b->p + i, dots[k], 3) == 0;
		if (dot) {
			b->p[o++] = '.';
			i += 3;
		} else {
			b->p[o++] = b->p[i++];
		}
	}
	b->len = o;
	return buf_slice(b);
}

static bool
names_other_domain(struct slice t, struct slice host)
{
	size_t i = 0, found = 0, n;
	bool start;

	while (i < t.len && found < 8) {
		while (i < t.len) {
			n = dom_char(t.p + i, t.len - i, &start);
			if (start)
				break;
			i += n > 0 ? n : 1;
		}
		size_t st = i;

		while (i < t.len && (n = dom_char(t.p + i, t.len - i, &start)) > 0)
			i += n;
		struct slice tok = {t.p + st, i - st};

		while (tok.len > 0 && tok.p[tok.len - 1] == '.')
			tok.len--; /* sentence punctuation */
		const char *dot = tok.len > 0 ? memrchr(tok.p, '.', tok.len) : NULL;

		if (dot == NULL || dot == tok.p)
			continue;
		if (!tld_ok((struct slice){dot + 1, tok.len - (size_t)(dot + 1 - tok.p)}) ||
		    !host_valid(tok))
			continue;
		found++;
		if (host.len == 0 || !same_site(tok, host))
			return true;
	}
	return false;
}

/* Does the visible link text name a domain other than the href's? */
bool
html_link_text_mismatch(struct slice text, struct slice host)
{
	struct buf norm;
	bool ascii = true, r;

	if (text.len > LIM_LINK_TEXT)
		text.len = u8_cut(text.p, LIM_LINK_TEXT);
	for (size_t i = 0; i < text.len && ascii; i++)
		ascii = (unsigned char)text.p[i] < 0x80;
	if (ascii) /* NFKC leaves ASCII alone: the common case costs nothing */
		return names_other_domain(text, host);
	buf_init(&norm, LIM_LINK_NORM);
	r = names_other_domain(text_normalize(text, &norm), host);
	buf_free(&norm);
	return r;
}

/* ---- <base href> ------------------------------------------------------------
 * WHATWG HTML: the document base URL is the first base element with an href
 * (a mail has no document URL to resolve a relative one against, so only an
 * absolute http(s) base counts). WHATWG URL, for http(s) ("special") URLs:
 * '\' is '/', a reference opening with two slashes names a host (any more
 * slashes are skipped), "." and ".." segments (also as %2e) are removed. */

void
html_base_note(struct html_base *b, const GumboNode *n)
{
	struct slice h, host;
	size_t i;

	if (b->seen || n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML || !has_attr(n, "href"))
		return;
	b->seen = true;
	h = html_href_trim(attr(n, "href"));
	if (h.len > LIM_HTML_BASE || html_href_classify(h, &host) != HREF_WEB)
		return;
	i = prefix_nocase(h, "https://") ? 8 : 7;
	while (i < h.len && h.p[i] != '/' && h.p[i] != '\\' && h.p[i] != '?' && h.p[i] != '#')
		i++;
	b->origin_end = i;
	while (i < h.len && h.p[i] != '?' && h.p[i] != '#')
		i++;
	b->path_end = i;
	while (i < h.len && h.p[i] != '#')
		i++;
	b->query_end = i;
	b->href = h;
	b->usable = true;
}

/* Bounded output: *over once something did not fit. */
struct ubuf {
	char *p;
	size_t len, cap;
	bool over;
};

static void
ub_put(struct ubuf *u, const char *p, size_t n)
{
	if (u->over || n > u->cap - u->len) {
		u->over = true;
		return;
	}
	memcpy(u->p + u->len, p, n);
	u->len += n;
}

/* Appends r with '\' read as '/' before its query or fragment. */
static void
ub_put_path(struct ubuf *u, struct slice r)
{
	size_t i = 0;

	for (; i < r.len && r.p[i] != '?' && r.p[i] != '#'; i++)
		ub_put(u, r.p[i] == '\\' ? "/" : r.p + i, 1);
	ub_put(u, r.p + i, r.len - i);
}

static bool
slash(char c)
{
	return c == '/' || c == '\\';
}

/* 1 for ".", 2 for "..", also percent-encoded (".%2e", "%2E%2e"...), else 0. */
static int
dot_segment(const char *s, size_t n)
{
	size_t d = 0, i = 0;

	while (i < n) {
		if (s[i] == '.') {
			i++;
		} else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' &&
		           (s[i + 2] == 'e' || s[i + 2] == 'E')) {
			i += 3;
		} else {
			return 0;
		}
		d++;
	}
	return d <= 2 ? (int)d : 0;
}

/* Removes dot segments from the path p[0..len) (it starts with '/') in
 * place; returns the new length. */
static size_t
path_remove_dots(char *p, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t s = i + 1, e = s;

		while (e < len && p[e] != '/')
			e++;
		int d = dot_segment(p + s, e - s);

		if (d == 2)
			while (o > 0 && p[--o] != '/')
				;
		if (d == 0) {
			memmove(p + o, p + i, e - i);
			o += e - i;
		} else if (e >= len) {
			p[o++] = '/'; /* "/a/b/.." is "/a/" */
		}
		i = e;
	}
	return o;
}

/* Length of href's scheme ("https" in "https:..."), 0 when it has none. */
static size_t
scheme_len(struct slice h)
{
	size_t i = 1;

	if (h.len == 0 || !((h.p[0] >= 'a' && h.p[0] <= 'z') || (h.p[0] >= 'A' && h.p[0] <= 'Z')))
		return 0;
	while (i < h.len && ((h.p[i] >= 'a' && h.p[i] <= 'z') || (h.p[i] >= 'A' && h.p[i] <= 'Z') ||
	                     (h.p[i] >= '0' && h.p[i] <= '9') || h.p[i] == '+' || h.p[i] == '-' ||
	                     h.p[i] == '.'))
		i++;
	return i < h.len && h.p[i] == ':' ? i : 0;
}

enum href_kind
html_href_resolve(struct html_base *b, struct slice href, struct slice *url_r,
                  struct slice *host_r)
{
	const size_t pool_cap = (size_t)LIM_HTML_URL_OPEN * LIM_HTML_URL;
	struct slice h = html_href_trim(href), r = h, bs = b->href;
	enum href_kind k = html_href_classify(href, host_r);
	const char *scheme = prefix_nocase(bs, "https:") ? "https" : "http";
	bool authority = false;
	struct ubuf u;
	size_t sl, ps, pe;

	*url_r = href;
	if (!b->usable || (k != HREF_BAD && k != HREF_NONE))
		return k;
	for (size_t i = 0; i < h.len; i++)
		if (h.p[i] == '\t' || h.p[i] == '\n' || h.p[i] == '\r')
			return k; /* refused with or without a base */
	if ((sl = scheme_len(h)) > 0) {
		struct slice sc = {h.p, sl + 1};

		if (!prefix_nocase(sc, "http:") && !prefix_nocase(sc, "https:"))
			return k; /* javascript:, data:, cid: ... stay unparsable */
		r = (struct slice){h.p + sl + 1, h.len - sl - 1};
		/* "https:x" with the base's scheme is relative to it; "http:x"
		 * under an https base names the host x */
		if (sl != strlen(scheme) || !prefix_nocase(sc, scheme)) {
			scheme = sl == 5 ? "https" : "http";
			authority = true;
		}
	}
	if (r.len >= 2 && slash(r.p[0]) && slash(r.p[1]))
		authority = true;
	if (b->pool == NULL && (b->pool = malloc(pool_cap)) == NULL)
		return k;
	if (pool_cap - b->used < LIM_HTML_URL)
		return k; /* too many links open at once: as without a base */
	u = (struct ubuf){b->pool + b->used, 0, LIM_HTML_URL, false};
	if (authority) {
		while (r.len > 0 && slash(r.p[0])) {
			r.p++;
			r.len--;
		}
		ub_put(&u, scheme, strlen(scheme));
		ub_put(&u, "://", 3);
		ub_put_path(&u, r);
	} else if (r.len == 0 || r.p[0] == '#') {
		ub_put(&u, bs.p, b->query_end);
		ub_put(&u, r.p, r.len);
	} else if (r.p[0] == '?') {
		ub_put(&u, bs.p, b->path_end);
		ub_put(&u, r.p, r.len);
	} else {
		size_t dir = b->path_end;

		ub_put(&u, bs.p, b->origin_end);
		if (!slash(r.p[0])) { /* path-relative: the base's directory first */
			while (dir > b->origin_end && !slash(bs.p[dir - 1]))
				dir--;
			if (dir == b->origin_end)
				ub_put(&u, "/", 1);
			else
				ub_put_path(&u, (struct slice){bs.p + b->origin_end,
				                               dir - b->origin_end});
		}
		ub_put_path(&u, r);
	}
	if (u.over)
		return k; /* over LIM_HTML_URL: as without a base */
	ps = (size_t)((const char *)memmem(u.p, u.len, "://", 3) - u.p) + 3;
	while (ps < u.len && u.p[ps] != '/' && u.p[ps] != '?' && u.p[ps] != '#')
		ps++;
	if (ps == u.len || u.p[ps] != '/') { /* an http(s) path is never empty */
		if (u.len == u.cap)
			return k;
		memmove(u.p + ps + 1, u.p + ps, u.len - ps);
		u.p[ps] = '/';
		u.len++;
	}
	pe = ps;
	while (pe < u.len && u.p[pe] != '?' && u.p[pe] != '#')
		pe++;
	if (pe > ps) {
		size_t n = path_remove_dots(u.p + ps, pe - ps);

		memmove(u.p + ps + n, u.p + pe, u.len - pe);
		u.len -= pe - ps - n;
	}
	*url_r = (struct slice){u.p, u.len};
	b->used += u.len;
	return html_href_classify(*url_r, host_r);
}

void
html_base_release(struct html_base *b, struct slice url)
{
	if (b->pool != NULL && url.p >= b->pool &&
	    url.p < b->pool + (size_t)LIM_HTML_URL_OPEN * LIM_HTML_URL)
		b->used = (size_t)(url.p - b->pool);
}

void
html_base_free(struct html_base *b)
{
	free(b->pool);
	b->pool = NULL;
	b->used = 0;
}
