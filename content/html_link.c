/* Links: href classification (RFC 3986 absolute URLs, mailto:, tel:,
 * everything else refused), host extraction and comparison, and whether the
 * visible link text names a domain other than the one the href points to. */
#include "content/html.h"

#include <string.h>

#include "content/html_int.h"

#define LIM_LINK_TEXT 512 /* bytes of link text examined for domain names */

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

/* Top-level domains accepted in link text. Two-letter ones are country
 * codes, minus the few that collide with common file extensions. */
static const char *const tlds[] = {
    "app",   "bank",  "biz",  "blog",   "cloud", "club", "com",  "coop", "dev",
    "edu",   "email", "gov",  "info",   "int",   "io",   "live", "mil",  "mobi",
    "name",  "net",   "news", "online", "org",   "page", "pro",  "shop", "site",
    "store", "tech",  "top",  "travel", "vip",   "xyz",  "zone", "app",
};

static bool
tld_ok(struct slice t)
{
	for (size_t i = 0; i < t.len; i++)
		if (!(t.p[i] >= 'a' && t.p[i] <= 'z'))
			return prefix_nocase(t, "xn--");
	if (t.len == 2)
		return !(sl_eq_cstr(t, "js") || sl_eq_cstr(t, "md") || sl_eq_cstr(t, "py") ||
		         sl_eq_cstr(t, "sh") || sl_eq_cstr(t, "gz") || sl_eq_cstr(t, "rs") ||
		         sl_eq_cstr(t, "cs") || sl_eq_cstr(t, "ps") || sl_eq_cstr(t, "db"));
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (sl_eq_cstr(t, tlds[i]))
			return true;
	return false;
}

/* The registrable part, approximated without the Public Suffix List: the
 * last two labels, or three under a two-letter country code whose second
 * level is a generic one (co.uk, com.au, ne.jp ...). */
static struct slice
host_base(struct slice h)
{
	size_t dots[3] = {0}, nd = 0;

	while (h.len > 0 && h.p[h.len - 1] == '.')
		h.len--;
	for (size_t i = h.len; i > 0 && nd < 3; i--)
		if (h.p[i - 1] == '.')
			dots[nd++] = i - 1;
	if (nd == 0)
		return h;
	size_t tld_len = h.len - dots[0] - 1;
	size_t sld_len = nd >= 2 ? dots[0] - dots[1] - 1 : dots[0];
	size_t keep = nd >= 2 ? dots[1] + 1 : 0;

	if (tld_len == 2 && sld_len <= 3 && nd >= 2)
		keep = nd >= 3 ? dots[2] + 1 : 0;
	return (struct slice){h.p + keep, h.len - keep};
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

/* Does the visible link text name a domain other than the href's? */
bool
html_link_text_mismatch(struct slice text, struct slice host)
{
	size_t i = 0, found = 0;

	if (text.len > LIM_LINK_TEXT)
		text.len = LIM_LINK_TEXT;
	while (i < text.len && found < 8) {
		unsigned char c;

		while (i < text.len) {
			c = (unsigned char)text.p[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9'))
				break;
			i++;
		}
		size_t st = i, last_dot = 0;
		bool dot = false;

		while (i < text.len) {
			c = (unsigned char)text.p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.' || c >= 0x80))
				break;
			if (c == '.') {
				dot = true;
				last_dot = i;
			}
			i++;
		}
		struct slice tok = {text.p + st, i - st};

		while (tok.len > 0 && tok.p[tok.len - 1] == '.') {
			tok.len--; /* sentence punctuation */
			if (last_dot == st + tok.len)
				last_dot = 0;
		}
		if (!dot || tok.len == 0 || last_dot <= st || last_dot >= st + tok.len)
			continue;
		char tl[24];
		struct slice t = {text.p + last_dot + 1, st + tok.len - last_dot - 1};

		if (t.len < 2 || t.len >= sizeof(tl))
			continue;
		for (size_t k = 0; k < t.len; k++)
			tl[k] = lower(t.p[k]);
		if (!tld_ok((struct slice){tl, t.len}) || !host_valid(tok))
			continue;
		found++;
		if (host.len == 0 || !html_host_eq(host_base(tok), host_base(host)))
			return true;
	}
	return false;
}
