/* Look-alike detection: flags, never rewrites (DESIGN §5 step 7).
 *
 * Implements: UTS #39 (Unicode Security Mechanisms: restriction levels,
 * "highly restrictive" for mixed-script labels, confusable skeletons), UTS #46
 * (Unicode IDNA Compatibility Processing, nontransitional: ToUnicode and
 * ToASCII of domains), RFC 5890/3492 (A-labels, Punycode), UAX #9 (the
 * bidi controls that make "exe.jpg" out of "gpj.exe"), RFC 5322 (address
 * domains).
 *
 * What a clean multilingual message looks like matters as much as what an
 * attack looks like: a Unicode IDN in a single script (例え.jp, münchen.de,
 * пример.рф) produces nothing; a domain written as A-labels produces the
 * informational lookalike_idn_punycode (the agent cannot read it), as the
 * shared corpus expects for xn--mnchen-3ya.de.
 */
#include "content/lookalike.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>
#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include "base/buf.h"
#include "content/unicode.h"
#include "content/warn.h"

/* Room for one processed domain: ToUnicode can turn 4 bytes of A-label into
 * a 4-byte code point and ToASCII a 4-byte code point into ~5 bytes, so 4x
 * the examined input is plenty; a longer result is treated as unanalysable. */
#define LOOK_BUF (4 * LIM_LOOK_INPUT + 1)
#define LOOK_DETAIL 256 /* bytes of a domain quoted in a warning */

static pthread_once_t look_once = PTHREAD_ONCE_INIT;
static USpoofChecker *look_sc;
static UIDNA *look_idna;

static void
look_open(void)
{
	UErrorCode err = U_ZERO_ERROR;
	USpoofChecker *sc;
	UIDNA *idna;

	sc = uspoof_open(&err);
	uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
	uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS | USPOOF_CONFUSABLE,
	                 &err);
	idna = uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_NONTRANSITIONAL_TO_UNICODE,
	                       &err);
	if (U_FAILURE(err)) {
		uspoof_close(sc);
		uidna_close(idna);
		return;
	}
	look_sc = sc;
	look_idna = idna;
}

static bool
look_ready(void)
{
	(void)pthread_once(&look_once, look_open);
	return look_sc != NULL && look_idna != NULL;
}

/* One domain as the checks need it. */
struct dom {
	char uni[LOOK_BUF];   /* UTS #46 ToUnicode: lowercase, mapped */
	char ascii[LOOK_BUF]; /* UTS #46 ToASCII (A-labels) */
	char skel[LOOK_BUF];  /* UTS #39 skeleton of uni */
	bool has_skel;
	bool raw_ascii;  /* the input was ASCII */
	bool has_alabel; /* the input had an "xn--" label */
};

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return false;
	}
	return true;
}

static char
ascii_lower(char c)
{
	/* A table, not arithmetic: no int-to-char conversion to reason about. */
	if (c >= 'A' && c <= 'Z')
		return "abcdefghijklmnopqrstuvwxyz"[c - 'A'];
	return c;
}

/* Copies s into out as a detail-safe token: lowercase letters, digits and
 * ".-_@+/" pass, anything else becomes '?'. */
static void
safe_token(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < cap; s++) {
		char c = ascii_lower(*s);

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == '@' || c == '+' || c == '/')
			out[n++] = c;
		else if (((unsigned char)c & 0xc0) != 0x80) /* one '?' per code point */
			out[n++] = '?';
	}
	out[n] = '\0';
}

static bool
has_alabel(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++) {
		if ((i == 0 || s[i - 1] == '.') && ascii_lower(s[i]) == 'x' &&
		    ascii_lower(s[i + 1]) == 'n' && s[i + 2] == '-' && s[i + 3] == '-')
			return true;
	}
	return false;
}

static bool
dom_analyze(const char *in, struct dom *d)
{
	UErrorCode err = U_ZERO_ERROR;
	UIDNAInfo info = UIDNA_INFO_INITIALIZER;
	size_t len = strnlen(in, LIM_LOOK_INPUT);
	int32_t n;

	d->uni[0] = d->ascii[0] = d->skel[0] = '\0';
	d->has_skel = false;
	/* A trailing dot (FQDN) names the same domain. */
	while (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || !look_ready())
		return false;
	d->has_alabel = has_alabel(in, len);
	d->raw_ascii = true;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)in[i] >= 0x80)
			d->raw_ascii = false;
	}
	n = uidna_nameToUnicodeUTF8(look_idna, in, (int32_t)len, d->uni, LOOK_BUF - 1, &info, &err);
	if (U_FAILURE(err) || n < 0 || n >= LOOK_BUF)
		return false;
	d->uni[n] = '\0';
	err = U_ZERO_ERROR;
	info = (UIDNAInfo)UIDNA_INFO_INITIALIZER;
	n = uidna_nameToASCII_UTF8(look_idna, in, (int32_t)len, d->ascii, LOOK_BUF - 1, &info,
	                           &err);
	if (U_FAILURE(err) || n < 0 || n >= LOOK_BUF)
		return false;
	d->ascii[n] = '\0';
	err = U_ZERO_ERROR;
	n = uspoof_getSkeletonUTF8(look_sc, 0, d->uni, -1, d->skel, LOOK_BUF - 1, &err);
	if (U_SUCCESS(err) && n >= 0 && n < LOOK_BUF) {
		d->skel[n] = '\0';
		d->has_skel = true;
	}
	return true;
}

/* ---- the Public Suffix List ----------------------------------------------- */

/* Set once by look_init (content_init, in main before any thread) and only
 * read afterwards: libpsl's lookups do not modify the context. */
static psl_ctx_t *look_psl_loaded;
static const char *look_psl_src;
static unsigned look_refs; /* counted like GMime's init: nested pairs are harmless */

void
look_init(void)
{
	if (look_refs++ > 0)
		return;
	/* The newer of the publicsuffix package's DAFSA file (psl_dist_filename())
	 * and the list compiled into libpsl; NULL when neither can be had. */
	look_psl_loaded = psl_latest(NULL);
	if (look_psl_loaded != NULL)
		look_psl_src = look_psl_loaded == psl_builtin() ? "builtin" : "file";
}

void
look_shutdown(void)
{
	if (look_refs == 0 || --look_refs > 0)
		return;
	psl_free(look_psl_loaded); /* NULL-safe, and a no-op on the built-in list */
	look_psl_loaded = NULL;
	look_psl_src = NULL;
}

/* The loaded list, else the built-in one (compiled data: no I/O), else NULL. */
static const psl_ctx_t *
look_psl(void)
{
	return look_psl_loaded != NULL ? look_psl_loaded : psl_builtin();
}

const char *
look_psl_source(void)
{
	if (look_psl_src != NULL)
		return look_psl_src;
	return psl_builtin() != NULL ? "builtin" : "none";
}

/* An IPv4 address (last label all digits: no TLD is) or an IPv6 literal has
 * no registrable part but itself. */
static bool
ip_literal(const char *d)
{
	const char *last = strrchr(d, '.');

	if (strchr(d, ':') != NULL || d[0] == '[')
		return true;
	last = last != NULL ? last + 1 : d;
	if (*last == '\0')
		return false;
	for (; *last != '\0'; last++) {
		if (*last < '0' || *last > '9')
			return false;
	}
	return true;
}

static size_t
label_count(const char *d)
{
	size_t n = 1;

	for (; *d != '\0'; d++)
		n += *d == '.';
	return n;
}

/* The last n labels of d (a suffix of d; d itself when it has fewer). */
static const char *
last_labels(const char *d, size_t n)
{
	size_t len = strlen(d);

	for (size_t i = len; i > 0; i--) {
		if (d[i - 1] == '.' && --n == 0)
			return d + i;
	}
	return d;
}

/* Registrable parts (eTLD+1 by the Public Suffix List, ICANN and private
 * sections: foo.github.io and bar.github.io belong to different people) of a
 * domain's two forms: the list is asked about the ASCII form, and the same
 * number of labels is taken from the Unicode one (UTS #46 keeps the label
 * count). A domain that is itself a public suffix, an IP address, or one the
 * list cannot judge is its own registrable part. Without any list (libpsl
 * built without one, and no file): the last two labels. */
static void
dom_registrable(const struct dom *d, const char **uni_r, const char **ascii_r)
{
	const psl_ctx_t *psl = look_psl();
	const char *reg = NULL;
	size_t n;

	*uni_r = d->uni;
	*ascii_r = d->ascii;
	if (ip_literal(d->ascii))
		return;
	if (psl != NULL) {
		reg = psl_registrable_domain(psl, d->ascii);
		if (reg == NULL)
			return;
		n = label_count(reg);
	} else {
		n = 2;
	}
	*ascii_r = last_labels(d->ascii, n);
	*uni_r = last_labels(d->uni, n);
}

bool
look_registrable(const char *domain, size_t len, char *out, size_t cap)
{
	char in[LIM_LOOK_INPUT + 1];
	struct dom *d = NULL;
	const char *ru;
	const char *ra;
	bool ok = false;

	if (domain == NULL || len == 0 || len > LIM_LOOK_INPUT || cap == 0)
		return false;
	memcpy(in, domain, len);
	in[len] = '\0';
	if (strlen(in) != len) /* a NUL inside */
		return false;
	d = malloc(sizeof(*d));
	if (d == NULL || !dom_analyze(in, d))
		goto out;
	dom_registrable(d, &ru, &ra);
	if (strlen(ra) >= cap)
		goto out;
	memcpy(out, ra, strlen(ra) + 1);
	ok = true;
out:
	free(d);
	return ok;
}

bool
look_is_tld(const char *label, size_t len)
{
	const psl_ctx_t *psl = look_psl();
	char low[LOOK_DETAIL];

	if (psl == NULL || len == 0 || len >= sizeof(low))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (label[i] == '.' || label[i] == '\0')
			return false;
		low[i] = ascii_lower(label[i]);
	}
	low[len] = '\0';
	/* ICANN section, explicit rules only: the implicit "*" rule would make
	 * every word a TLD. */
	return psl_is_public_suffix2(psl, low, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

static bool
is_bidi_control(UChar32 c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* Why raw text (a domain) holds something that should never be in one, or
 * NULL. */
static const char *
hidden_char_reason(const char *s, size_t len)
{
	int32_t i = 0;
	int32_t n = (int32_t)len;

	while (i < n) {
		UChar32 c;

		U8_NEXT((const uint8_t *)s, i, n, c);
		if (c < 0)
			return "invalid";
		if (is_bidi_control(c))
			return "bidi";
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			return "control";
		if (u_charType(c) == U_FORMAT_CHAR ||
		    u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
		    u_isUWhiteSpace(c))
			return "invisible";
	}
	return NULL;
}

static bool
label_mixed(const char *label, size_t len)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t r;

	r = uspoof_check2UTF8(look_sc, label, (int32_t)len, NULL, &err);
	return U_SUCCESS(err) && (r & (USPOOF_RESTRICTION_LEVEL | USPOOF_MIXED_NUMBERS)) != 0;
}

static bool
any_label_mixed(const char *d)
{
	const char *p = d;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (len > 0 && !is_ascii(p) && label_mixed(p, len))
			return true;
		if (dot == NULL)
			return false;
		p = dot + 1;
	}
}

/* Skeleton of a string (a registrable part), into out; false on failure. */
static bool
skeleton(const char *s, char *out, size_t cap)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t n;

	n = uspoof_getSkeletonUTF8(look_sc, 0, s, -1, out, (int32_t)cap - 1, &err);
	if (U_FAILURE(err) || n < 0 || (size_t)n >= cap)
		return false;
	out[n] = '\0';
	return true;
}

/* Does d look like known (same skeleton, different domain), as a whole or
 * by registrable part? */
static bool
confusable_with(const struct dom *d, const struct dom *k)
{
	static _Thread_local char s1[LOOK_BUF];
	static _Thread_local char s2[LOOK_BUF];
	const char *rd;
	const char *rk;
	const char *ascii;

	if (strcmp(d->uni, k->uni) == 0)
		return false;
	if (d->has_skel && k->has_skel && strcmp(d->skel, k->skel) == 0)
		return true;
	dom_registrable(d, &rd, &ascii);
	dom_registrable(k, &rk, &ascii);
	if (strcmp(rd, rk) == 0)
		return false;
	return skeleton(rd, s1, sizeof(s1)) && skeleton(rk, s2, sizeof(s2)) && strcmp(s1, s2) == 0;
}

/* "k1=v1" or "k1=v1 k2=v2" (k2 NULL: one pair) into out: a warning's values. */
static void
look_values(char *out, size_t outsz, const char *k1, const char *v1, const char *k2, const char *v2)
{
	if (k2 != NULL)
		(void)snprintf(out, outsz, "%s=%s %s=%s", k1, v1, k2, v2);
	else
		(void)snprintf(out, outsz, "%s=%s", k1, v1);
}

void
look_domain(const char *domain, const char *const *known, size_t n_known, const char *location,
            struct warn_list *w)
{
	struct dom *d = NULL;
	struct dom *k = NULL;
	char detail[LOOK_DETAIL];
	char vals[LOOK_DETAIL + 16];
	const char *why;
	bool suspicious = false;
	bool conf_known = false;
	size_t i;

	if (domain == NULL || domain[0] == '\0')
		return;
	d = malloc(sizeof(*d));
	k = malloc(sizeof(*k));
	if (d == NULL || k == NULL)
		goto out;
	why = hidden_char_reason(domain, strnlen(domain, LIM_LOOK_INPUT));
	if (!dom_analyze(domain, d)) {
		if (why != NULL) {
			safe_token(domain, detail, sizeof(detail));
			look_values(vals, sizeof(vals), "domain", detail, NULL, NULL);
			warn_add_values(w, "lookalike_homograph_domain", location, vals,
			                "reason=%s", why);
		}
		goto out;
	}
	safe_token(d->ascii[0] != '\0' ? d->ascii : domain, detail, sizeof(detail));
	look_values(vals, sizeof(vals), "domain", detail, NULL, NULL);
	if (why != NULL)
		warn_add_values(w, "lookalike_homograph_domain", location, vals, "reason=%s", why);
	if (any_label_mixed(d->uni)) {
		warn_add_values(w, "lookalike_mixed_script", location, vals, "%s", "");
		suspicious = true;
	}
	for (i = 0; i < n_known; i++) {
		char kd[LOOK_DETAIL];

		if (known[i] == NULL || !dom_analyze(known[i], k) || !confusable_with(d, k))
			continue;
		safe_token(k->ascii, kd, sizeof(kd));
		/* a known domain is the operator's configuration, not mail */
		warn_add_values(w, "lookalike_confusable_domain", location, vals, "known=%s", kd);
		suspicious = true;
		conf_known = true;
		break;
	}
	/* Non-ASCII, yet every character has an ASCII prototype: the domain
	 * can only be meant to pass for some ASCII domain (аррӏе.com). The
	 * skeleton itself is not quoted: it is no domain ("m" becomes "rn"). */
	if (!conf_known && !is_ascii(d->uni) && d->has_skel && is_ascii(d->skel)) {
		warn_add_values(w, "lookalike_confusable_domain", location, vals,
		                "reason=whole_script_confusable");
		suspicious = true;
	}
	if (d->has_alabel || (!is_ascii(d->uni) && suspicious))
		warn_add_values(w, "lookalike_idn_punycode", location, vals, "%s", "");
out:
	free(d);
	free(k);
}

void
look_domains_cross(const char *const *domains, size_t n, struct warn_list *w)
{
	struct dom *d = NULL;
	struct {
		char uni[LOOK_DETAIL];
		char skel[LOOK_DETAIL];
		char ascii[LOOK_DETAIL];
	} *e = NULL;
	size_t ne = 0;
	size_t i;
	size_t j;

	if (n > LIM_LOOK_DOMAINS)
		n = LIM_LOOK_DOMAINS;
	if (n < 2)
		return;
	d = malloc(sizeof(*d));
	e = calloc(n, sizeof(*e));
	if (d == NULL || e == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const char *reg;
		const char *reg_ascii;

		if (domains[i] == NULL || !dom_analyze(domains[i], d))
			continue;
		dom_registrable(d, &reg, &reg_ascii);
		if (strlen(reg) >= LOOK_DETAIL || !skeleton(reg, e[ne].skel, LOOK_DETAIL))
			continue;
		memcpy(e[ne].uni, reg, strlen(reg) + 1);
		safe_token(reg_ascii, e[ne].ascii, LOOK_DETAIL);
		ne++;
	}
	for (i = 0; i < ne; i++) {
		for (j = i + 1; j < ne; j++) {
			if (strcmp(e[i].uni, e[j].uni) != 0 && strcmp(e[i].skel, e[j].skel) == 0) {
				char vals[2 * LOOK_DETAIL + 32];

				look_values(vals, sizeof(vals), "domain", e[i].ascii, "other",
				            e[j].ascii);
				warn_add_values(w, "lookalike_confusable_domain", "message", vals,
				                "reason=cross_domain");
			}
		}
	}
out:
	free(d);
	free(e);
}

static const char *
addr_domain(const char *addr)
{
	const char *at;

	if (addr == NULL)
		return NULL;
	at = strrchr(addr, '@');
	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* Registrable domains of two domains differ (after UTS #46 mapping, so case
 * and A-label vs U-label do not count)? Writes both ASCII forms for details. */
static bool
reg_differ(const char *a, const char *b, char *da, char *db, size_t cap)
{
	struct dom *x = malloc(sizeof(*x));
	struct dom *y = malloc(sizeof(*y));
	bool differ = false;
	const char *xu;
	const char *xa;
	const char *yu;
	const char *ya;

	if (x == NULL || y == NULL || !dom_analyze(a, x) || !dom_analyze(b, y))
		goto out;
	dom_registrable(x, &xu, &xa);
	dom_registrable(y, &yu, &ya);
	differ = strcmp(xu, yu) != 0;
	safe_token(xa, da, cap);
	safe_token(ya, db, cap);
out:
	free(x);
	free(y);
	return differ;
}

void
look_reply_to(const char *from_addr, const char *reply_to_addr, struct warn_list *w)
{
	const char *fd = addr_domain(from_addr);
	const char *rd = addr_domain(reply_to_addr);
	char a[LOOK_DETAIL];
	char b[LOOK_DETAIL];

	if (fd == NULL || rd == NULL)
		return;
	if (reg_differ(fd, rd, a, b, sizeof(a))) {
		char vals[2 * LOOK_DETAIL + 32];

		look_values(vals, sizeof(vals), "from", a, "reply_to", b);
		warn_add_values(w, "lookalike_reply_to_mismatch", "header.reply_to", vals, "%s",
		                "");
	}
}

/* Top-level domains a display-name token must end in to count as a domain
 * ("john.doe" and "St.Louis" must not): every two-letter ccTLD plus these. */
static const char *const gtlds[] = {
    "com",     "net",      "org",      "info",   "biz",   "edu",     "gov",       "mil",
    "int",     "io",       "app",      "dev",    "xyz",   "online",  "site",      "shop",
    "store",   "top",      "club",     "tech",   "email", "zip",     "mov",       "link",
    "click",   "live",     "news",     "cloud",  "page",  "bank",    "pay",       "money",
    "support", "services", "security", "secure", "login", "account", "microsoft", "google",
    "apple",   "amazon",   "help",
};

static bool
tld_plausible(const char *t, size_t len, bool upper_ok)
{
	char low[16];
	size_t i;

	if (len >= 4 && ascii_lower(t[0]) == 'x' && ascii_lower(t[1]) == 'n' && t[2] == '-' &&
	    t[3] == '-')
		return true;
	if (len < 2 || len >= sizeof(low))
		return false;
	for (i = 0; i < len; i++) {
		if (t[i] >= 'a' && t[i] <= 'z')
			low[i] = t[i];
		else if (upper_ok && t[i] >= 'A' && t[i] <= 'Z')
			low[i] = ascii_lower(t[i]);
		else
			return false;
	}
	low[len] = '\0';
	if (len == 2)
		return true;
	for (i = 0; i < sizeof(gtlds) / sizeof(gtlds[0]); i++) {
		if (strcmp(low, gtlds[i]) == 0)
			return true;
	}
	return false;
}

/* A token "label.label...tld" where labels are letters, digits, '-' or
 * non-ASCII, and the TLD is plausible. */
static bool
domain_like(const char *t, size_t len, bool explicit_addr)
{
	size_t last_dot = SIZE_MAX;
	bool upper = true;
	bool lower_seen = false;
	size_t i;
	size_t label = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			last_dot = i;
			continue;
		}
		if (!(c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-'))
			return false;
		if (c >= 'a' && c <= 'z')
			lower_seen = true;
		label++;
	}
	if (lower_seen)
		upper = false;
	if (last_dot == SIZE_MAX || label == 0)
		return false;
	if (explicit_addr)
		return true;
	return tld_plausible(t + last_dot + 1, len - last_dot - 1, upper) ||
	       (unsigned char)t[last_dot + 1] >= 0x80;
}

static bool
name_delim(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '<' || c == '>' || c == '(' || c == ')' ||
	       c == '[' || c == ']' || c == '{' || c == '}' || c == '"' || c == '\'' || c == ',' ||
	       c == ';' || c == ':' || c == '!' || c == '?' || c == '|' || c == '/' || c == '\\' ||
	       c == '*' || c == '=';
}

void
look_display_name(const char *display_name, const char *address, const char *location,
                  struct warn_list *w)
{
	const char *real = addr_domain(address);
	struct u8_report rep;
	struct buf name;
	char tok[LIM_LOOK_INPUT + 1];
	size_t i = 0;

	if (display_name == NULL || real == NULL)
		return;
	/* NFKC first: "ｐａｙｐａｌ．ｃｏｍ" and a ZWSP-split "pay\u200bpal.com"
	 * read as the plain domain to a human. */
	u8_report_init(&rep);
	buf_init(&name, (size_t)4 * LIM_LOOK_INPUT);
	if (u8_sanitize((struct slice){display_name, strnlen(display_name, LIM_LOOK_INPUT)}, &name,
	                &rep) != IG_OK)
		goto out;
	while (i < name.len) {
		size_t start;
		size_t len;
		const char *at;
		const char *dom;
		size_t dlen;
		char a[LOOK_DETAIL];
		char b[LOOK_DETAIL];

		while (i < name.len && name_delim((unsigned char)name.p[i]))
			i++;
		start = i;
		while (i < name.len && !name_delim((unsigned char)name.p[i]))
			i++;
		len = i - start;
		while (len > 0 &&
		       (name.p[start + len - 1] == '.' || name.p[start + len - 1] == '-'))
			len--;
		if (len == 0 || len > LIM_LOOK_INPUT)
			continue;
		memcpy(tok, name.p + start, len);
		tok[len] = '\0';
		at = memchr(tok, '@', len);
		if (at != NULL) {
			at = strrchr(tok, '@');
			dom = at + 1;
		} else {
			dom = tok;
		}
		dlen = strlen(dom);
		if (!domain_like(dom, dlen, at != NULL))
			continue;
		if (reg_differ(dom, real, a, b, sizeof(a))) {
			char vals[2 * LOOK_DETAIL + 32];

			look_values(vals, sizeof(vals), "claimed", a, "actual", b);
			warn_add_values(w, "lookalike_display_name_spoof", location, vals, "%s",
			                "");
			break;
		}
	}
out:
	buf_free(&name);
	u8_report_free(&rep);
}

/* Extensions Windows (or a desktop) runs when opened. */
static const char *const exec_ext[] = {
    "exe",  "scr", "com", "bat",    "cmd",         "pif",       "vbs", "vbe", "js",      "jse",
    "wsf",  "wsh", "msi", "msp",    "hta",         "cpl",       "jar", "ps1", "lnk",     "reg",
    "dll",  "scf", "inf", "gadget", "application", "appref-ms", "msc", "iso", "img",     "vhd",
    "vhdx", "one", "xll", "url",    "desktop",     "sh",        "apk", "app", "command",
};

/* Extensions that make the name look harmless in front of the real one. */
static const char *const doc_ext[] = {
    "pdf", "doc",  "docx", "xls", "xlsx", "ppt", "pptx", "txt",  "rtf",  "csv", "odt", "ods",
    "jpg", "jpeg", "png",  "gif", "bmp",  "tif", "tiff", "heic", "webp", "svg", "mp3", "mp4",
    "wav", "avi",  "mov",  "mkv", "zip",  "rar", "7z",   "html", "htm",  "eml", "msg", "ics",
};

static bool
ext_in(const char *e, size_t len, const char *const *list, size_t n)
{
	char low[16];
	size_t i;

	if (len == 0 || len >= sizeof(low))
		return false;
	for (i = 0; i < len; i++)
		low[i] = ascii_lower(e[i]);
	low[len] = '\0';
	for (i = 0; i < n; i++) {
		if (strcmp(low, list[i]) == 0)
			return true;
	}
	return false;
}

static bool
has_bidi(const char *s, size_t len)
{
	int32_t i = 0;
	int32_t n = (int32_t)len;

	while (i < n) {
		UChar32 c;

		U8_NEXT((const uint8_t *)s, i, n, c);
		if (c >= 0 && is_bidi_control(c))
			return true;
	}
	return false;
}

/* The reason a (sanitized) name's extensions are deceptive, or NULL. */
static const char *
ext_spoof_reason(const char *s, size_t len)
{
	size_t end = len;
	size_t dot;
	size_t pdot;
	size_t pend;
	size_t spaces = 0;

	/* Windows drops trailing dots and spaces: "a.pdf.exe. " runs. */
	while (end > 0 && (s[end - 1] == '.' || s[end - 1] == ' '))
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0 ||
	    !ext_in(s + dot, end - dot, exec_ext, sizeof(exec_ext) / sizeof(exec_ext[0])))
		return NULL;
	dot--; /* at the '.' */
	pend = dot;
	while (pend > 0 && s[pend - 1] == ' ') {
		pend--;
		spaces++;
	}
	if (spaces >= 8)
		return "padding";
	for (pdot = pend; pdot > 0 && s[pdot - 1] != '.'; pdot--)
		;
	if (pdot == 0)
		return NULL;
	if (ext_in(s + pdot, pend - pdot, doc_ext, sizeof(doc_ext) / sizeof(doc_ext[0])))
		return "double_extension";
	return NULL;
}

/* Family of a media type for "do declared and sniffed agree": aliases and
 * container formats collapse, generic types give NULL (no opinion). */
static const char *
type_family(const char *t, char *low, size_t cap)
{
	static const struct {
		const char *prefix;
		const char *family;
	} fam[] = {
	    {"application/x-msdownload", "exe"},
	    {"application/x-dosexec", "exe"},
	    {"application/x-msdos-program", "exe"},
	    {"application/x-executable", "exe"},
	    {"application/vnd.microsoft.portable-executable", "exe"},
	    {"application/x-ms-dos-executable", "exe"},
	    {"application/x-elf", "exe"},
	    {"application/x-mach-binary", "exe"},
	    {"application/x-sharedlib", "exe"},
	    {"application/zip", "zip"},
	    {"application/x-zip", "zip"},
	    {"application/vnd.openxmlformats", "zip"},
	    {"application/vnd.oasis.opendocument", "zip"},
	    {"application/java-archive", "zip"},
	    {"application/epub+zip", "zip"},
	    {"application/vnd.android.package-archive", "zip"},
	    {"application/msword", "ole"},
	    {"application/vnd.ms-", "ole"},
	    {"application/x-ole-storage", "ole"},
	    {"application/x-msi", "ole"},
	    {"application/pdf", "pdf"},
	    {"application/x-pdf", "pdf"},
	    {"image/", "image"},
	    {"text/", "text"},
	    {"audio/", "audio"},
	    {"video/", "video"},
	    {"application/gzip", "gzip"},
	    {"application/x-gzip", "gzip"},
	    {"application/x-rar", "rar"},
	    {"application/vnd.rar", "rar"},
	    {"application/x-7z", "7z"},
	    {"message/", "message"},
	};
	size_t n = 0;
	size_t i;

	if (t == NULL)
		return NULL;
	while (*t == ' ' || *t == '\t')
		t++;
	for (; t[n] != '\0' && t[n] != ';' && t[n] != ' ' && n + 1 < cap; n++)
		low[n] = ascii_lower(t[n]);
	low[n] = '\0';
	if (n == 0 || strcmp(low, "application/octet-stream") == 0 ||
	    strcmp(low, "binary/octet-stream") == 0 || strcmp(low, "application/x-download") == 0 ||
	    strcmp(low, "application/force-download") == 0 ||
	    strcmp(low, "application/unknown") == 0)
		return NULL;
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		if (strncmp(low, fam[i].prefix, strlen(fam[i].prefix)) == 0)
			return fam[i].family;
	}
	return low;
}

void
look_filename(const char *raw_name_utf8, const char *declared_type, const char *sniffed_type,
              const char *location, struct warn_list *w)
{
	char dl[128];
	char sl[128];
	const char *fd;
	const char *fs;

	if (raw_name_utf8 != NULL && raw_name_utf8[0] != '\0') {
		size_t len = strnlen(raw_name_utf8, LIM_LOOK_INPUT);
		struct u8_report rep;
		struct buf name;
		const char *why = NULL;

		if (has_bidi(raw_name_utf8, len))
			why = "bidi";
		u8_report_init(&rep);
		buf_init(&name, (size_t)4 * LIM_LOOK_INPUT);
		if (why == NULL &&
		    u8_sanitize((struct slice){raw_name_utf8, len}, &name, &rep) == IG_OK)
			why = ext_spoof_reason(name.p, name.len);
		if (why != NULL)
			warn_add(w, "lookalike_filename_extension_spoof", location, "reason=%s",
			         why);
		buf_free(&name);
		u8_report_free(&rep);
	}
	fd = type_family(declared_type, dl, sizeof(dl));
	fs = type_family(sniffed_type, sl, sizeof(sl));
	if (fd != NULL && fs != NULL && strcmp(fd, fs) != 0) {
		char a[128];
		char b[128];
		char vals[160];

		safe_token(dl, a, sizeof(a));
		safe_token(sl, b, sizeof(b));
		/* the sniffed family is the gateway's finding; the declared one
		 * is the sender's words */
		look_values(vals, sizeof(vals), "declared", a, NULL, NULL);
		warn_add_values(w, "parse_mime_type_mismatch", location, vals, "sniffed=%s", b);
	}
}
