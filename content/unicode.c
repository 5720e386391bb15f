/* Unicode policy for every text shown to an agent (DESIGN §5 step 5).
 *
 * Implements: UAX #15 (Unicode Normalization Forms: NFKC), UAX #9 (the
 * explicit bidi formatting characters, which are removed), UAX #29 (extended
 * grapheme clusters, for truncation), UTS #51 (the emoji ZWJ, keycap,
 * presentation and tag sequences that survive), The Unicode Standard ch. 23
 * (format characters, variation selectors, tag characters), RFC 3629 (UTF-8;
 * ill-formed input is replaced per "maximal subpart" with U+FFFD).
 *
 * ICU objects and threads: the NFKC normalizer is ICU's immutable singleton
 * (unorm2_getNFKCInstance), shared safely by every thread and never closed.
 * The grapheme break iterator is stateful, so u8_truncate_graphemes opens one
 * per call; ICU caches the rule data process-wide, a call costs about 10 us
 * (measured, opening included) and truncation runs a handful of times per
 * message, so a per-thread cache (and its teardown at thread exit) would buy
 * nothing.
 *
 * Policy decisions: ZWJ survives only inside emoji ZWJ sequences, and ZWJ and
 * ZWNJ between two letters of one script that needs them (Arabic/Persian,
 * Indic, Sinhala, Mongolian, Syriac, N'Ko); VS15/VS16 survive only after a
 * character with the Emoji property, so ideographic variation sequences lose
 * their selector (the base character stays); tag characters survive only as
 * an emoji subdivision flag (U+1F3F4, 3..6 tag letters or digits, CANCEL
 * TAG), which cannot carry more than a few lowercase letters; U+2028/U+2029
 * become LF, NEL (U+0085) is a C1 control and is removed; prepended
 * concatenation marks (U+0600..U+0605...) are visible and kept; "unassigned"
 * is as of the linked ICU's Unicode version (ICU 72: Unicode 15.0).
 *
 * Text is handled in chunks: runs of printable ASCII, TAB and LF are copied
 * as they are (NFKC leaves them unchanged and none is stripped), everything
 * else goes through UTF-16 and ICU. A chunk starts one ASCII character early
 * (a combining mark composes with the character before it) and ends before
 * printable ASCII, where NFKC has a boundary and no emoji or joiner context
 * continues, so sanitizing chunk by chunk equals sanitizing the whole text.
 * Text without such ASCII runs is also split once a chunk passes 64 KiB, at
 * the next point between two context-free characters where NFKC has a
 * boundary, which bounds scratch memory (tested against NFKC of the whole).
 */
#include "content/unicode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "content/warn.h"

/* ICU counts in int32_t; UTF-8 → UTF-16 never grows the unit count and
 * UTF-16 → UTF-8 at most triples it, so this keeps every size in range. */
#define U8_MAX_INPUT ((size_t)(INT32_MAX / 4))
/* A slow chunk ends only before this many printable ASCII bytes in a row, so
 * text with scattered accents goes to ICU in a few large calls. */
#define U8_FAST_RUN 32
/* A slow chunk longer than this is split at the next safe point, bounding
 * scratch memory (UTF-16 copies, NFKC's up to 18-fold growth) per call. */
#define U8_CHUNK_MAX ((size_t)64 * 1024)
/* Strip and normalize alternate until nothing changes; NFKC can create a
 * context that makes a kept character strippable ("™" + VS16 → "TM" + VS16),
 * which settles in two rounds. The bound only guards against a bug. */
#define U8_MAX_ROUNDS 8
/* Emoji subdivision flags (UTS #51 ED-14c): U+1F3F4, tag letters and digits
 * (region + subdivision, "gbeng" is 5), then CANCEL TAG. */
#define U8_FLAG_TAG_MIN 3
#define U8_FLAG_TAG_MAX 6

enum u8_class {
	U8_KEEP,
	U8_ZW,
	U8_BIDI,
	U8_CC,
	U8_TAG,
	U8_VS,
	U8_PU,
	U8_CN,
};

struct u16buf {
	UChar *p;
	int32_t len;
	int32_t cap;
};

struct u8_work {
	const UNormalizer2 *nfkc;
	struct u16buf a;
	struct u16buf b;
	char *u8;
	size_t u8cap;
	struct u8_report *rep;
	struct u8_marks *marks;
};

/* u8_sanitize_text: implicit bidi marks may be kept. Kept apart from
 * u8_work (the filter gets only this), so the analyzer keeps track of the
 * buffers u8_work owns. */
struct u8_marks {
	bool keep;
	int rtl; /* the whole input holds a right-to-left letter: -1 not yet known */
	const UNormalizer2 *nfkc;
	const unsigned char *in;
	size_t in_len;
};

void
u8_report_init(struct u8_report *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->tag_payload, LIM_U8_TAG_PAYLOAD);
}

void
u8_report_free(struct u8_report *r)
{
	if (r == NULL)
		return;
	buf_free(&r->tag_payload);
	memset(r, 0, sizeof(*r));
	buf_init(&r->tag_payload, LIM_U8_TAG_PAYLOAD);
}

static bool
u16_reserve(struct u16buf *b, int32_t n)
{
	UChar *np;

	if (n <= b->cap && b->p != NULL)
		return true;
	if (n < 64)
		n = 64;
	np = realloc(b->p, (size_t)n * sizeof(UChar));
	if (np == NULL)
		return false;
	b->p = np;
	b->cap = n;
	return true;
}

static bool
is_bidi_control(UChar32 c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* The implicit directional marks (UAX #9 §2.6): LRM, RLM, ALM. Unlike the
 * embeddings, overrides and isolates they reorder nothing on their own;
 * right-to-left text needs them around numbers and punctuation. */
static bool
is_bidi_mark(UChar32 c)
{
	return c == 0x200e || c == 0x200f || c == 0x061c;
}

static bool
is_variation_selector(UChar32 c)
{
	return (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) ||
	       (c >= 0x180b && c <= 0x180d) || c == 0x180f;
}

/* The decision that needs no neighbours. Characters whose fate depends on
 * context (ZWJ/ZWNJ, VS15/VS16, tags) get their strip class here and are
 * reconsidered by the caller. */
static enum u8_class
u8_classify(UChar32 c)
{
	int8_t type;

	if (c < 0x80)
		return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' ? U8_KEEP : U8_CC;
	if (c < 0xa0)
		return U8_CC;
	if (c >= 0xe0000 && c <= 0xe007f)
		return U8_TAG;
	if (is_variation_selector(c))
		return U8_VS;
	if (is_bidi_control(c))
		return U8_BIDI;
	type = u_charType(c);
	switch (type) {
	case U_CONTROL_CHAR:
		return U8_CC;
	case U_UNASSIGNED:
	case U_SURROGATE:
		return U8_CN;
	case U_PRIVATE_USE_CHAR:
		return U8_PU;
	case U_FORMAT_CHAR:
		/* Prepended concatenation marks (Arabic number sign, end of
		 * ayah...) are visible signs, not hiding tools. */
		if (u_hasBinaryProperty(c, UCHAR_PREPENDED_CONCATENATION_MARK))
			return U8_KEEP;
		return U8_ZW;
	default:
		break;
	}
	/* Default-ignorables that are not Cf render as nothing too: Hangul
	 * fillers (blank display names), CGJ, Khmer inherent vowels. */
	if (c >= 0x34f && u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
		return U8_ZW;
	return U8_KEEP;
}

/* Can an emoji ZWJ sequence continue after prev (UTS #51 ED-16)? */
static bool
emoji_zwj_left(UChar32 prev)
{
	return prev == 0xfe0f || prev == 0xe007f ||
	       u_hasBinaryProperty(prev, UCHAR_EXTENDED_PICTOGRAPHIC) ||
	       u_hasBinaryProperty(prev, UCHAR_EMOJI_MODIFIER);
}

static bool
emoji_zwj_right(UChar32 next)
{
	return u_hasBinaryProperty(next, UCHAR_EXTENDED_PICTOGRAPHIC) &&
	       u_charType(next) != U_UNASSIGNED;
}

/* Scripts whose orthography uses ZWJ/ZWNJ between letters (Persian and Urdu
 * ZWNJ, Indic half forms and explicit viramas, Sinhala yansaya...). */
static bool
joiner_script(UScriptCode s)
{
	switch (s) {
	case USCRIPT_ARABIC:
	case USCRIPT_SYRIAC:
	case USCRIPT_DEVANAGARI:
	case USCRIPT_BENGALI:
	case USCRIPT_GURMUKHI:
	case USCRIPT_GUJARATI:
	case USCRIPT_ORIYA:
	case USCRIPT_TAMIL:
	case USCRIPT_TELUGU:
	case USCRIPT_KANNADA:
	case USCRIPT_MALAYALAM:
	case USCRIPT_SINHALA:
	case USCRIPT_MONGOLIAN:
	case USCRIPT_NKO:
		return true;
	default:
		return false;
	}
}

static bool
joiner_in_script(UChar32 prev, UChar32 next)
{
	UErrorCode err = U_ZERO_ERROR;
	UScriptCode sp;
	UScriptCode sn;

	if (prev < 0x600 || next < 0x600)
		return false;
	sp = uscript_getScript(prev, &err);
	sn = uscript_getScript(next, &err);
	return U_SUCCESS(err) && sp == sn && joiner_script(sp);
}

static bool
is_flag_tag_char(UChar32 c)
{
	return (c >= 0xe0061 && c <= 0xe007a) || (c >= 0xe0030 && c <= 0xe0039);
}

/* If s[at..n) holds a valid subdivision-flag tag spec and CANCEL TAG, returns
 * the index after it; otherwise -1. Looks at most U8_FLAG_TAG_MAX + 1 code
 * points ahead. */
static int32_t
flag_tag_end(const UChar *s, int32_t at, int32_t n)
{
	int32_t i = at;
	int k;

	for (k = 0; k <= U8_FLAG_TAG_MAX && i < n; k++) {
		UChar32 c;

		U16_NEXT(s, i, n, c);
		if (c == 0xe007f)
			return k >= U8_FLAG_TAG_MIN ? i : -1;
		if (!is_flag_tag_char(c))
			return -1;
	}
	return -1;
}

static void
count_strip(struct u8_report *rep, enum u8_class cls, UChar32 c)
{
	switch (cls) {
	case U8_ZW:
		rep->zero_width++;
		break;
	case U8_BIDI:
		rep->bidi++;
		break;
	case U8_CC:
		rep->c0c1++;
		break;
	case U8_TAG:
		rep->tags++;
		/* The smuggled ASCII goes to the audit log, bounded. */
		if (c >= 0xe0020 && c <= 0xe007e && rep->tag_payload.len < LIM_U8_TAG_PAYLOAD)
			buf_putc(&rep->tag_payload, (char)(c - 0xe0000));
		break;
	case U8_VS:
		rep->variation_selectors++;
		break;
	case U8_PU:
		rep->private_use++;
		break;
	case U8_CN:
		rep->unassigned++;
		break;
	case U8_KEEP:
		break;
	}
}

static bool
rtl_kept(UChar32 c)
{
	int8_t d = (int8_t)u_charDirection(c);

	return (d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC) && u8_classify(c) == U8_KEEP;
}

/* A right-to-left character (bidi class R or AL) the policy keeps and whose
 * NFKC form is right-to-left too (U+FC5E, an isolated Arabic ligature of
 * two harakat, is AL but becomes a space and two marks): then the sanitized
 * text holds one as well, and a second pass keeps the same marks. */
static bool
rtl_letter(const UNormalizer2 *nfkc, UChar32 c)
{
	UErrorCode err = U_ZERO_ERROR;
	UChar d[32];
	int32_t n;
	int32_t i = 0;

	if (!rtl_kept(c))
		return false;
	n = unorm2_getDecomposition(nfkc, c, d, (int32_t)(sizeof(d) / sizeof(d[0])), &err);
	if (U_FAILURE(err) || n < 0)
		return U_SUCCESS(err); /* no decomposition: c stays itself */
	while (i < n) {
		UChar32 x;

		U16_NEXT(d, i, n, x);
		if (rtl_kept(x))
			return true;
	}
	return false;
}

/* Does the text hold a right-to-left letter (rtl_letter)? */
static bool
u8_has_rtl(const UNormalizer2 *nfkc, const unsigned char *s, size_t len)
{
	int32_t i = 0;
	int32_t n = len > (size_t)INT32_MAX ? INT32_MAX : (int32_t)len;

	while (i < n) {
		UChar32 c;

		if (s[i] < 0xd6) { /* below U+0590 (and every continuation byte) */
			i++;
			continue;
		}
		U8_NEXT(s, i, n, c);
		if (c >= 0x590 && rtl_letter(nfkc, c))
			return true;
	}
	return false;
}

/* A letter or a digit, and its direction class for mark_keep. */
static int
word_dir(UChar32 c)
{
	int d;

	if (c <= 0 || (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_ND_MASK)) == 0)
		return -1;
	d = (int)u_charDirection(c);
	return d == U_RIGHT_TO_LEFT_ARABIC ? U_RIGHT_TO_LEFT : d;
}

/* u8_sanitize_text: a mark is kept in right-to-left text, except between
 * two letters or digits of one direction, where it changes nothing a reader
 * sees and could only split a word for whoever reads the characters. prev
 * and next are the nearest kept characters other than marks around it. */
static bool
mark_keep(struct u8_marks *mk, UChar32 prev, UChar32 next)
{
	int dp;

	if (!mk->keep)
		return false;
	if (mk->rtl < 0)
		mk->rtl = u8_has_rtl(mk->nfkc, mk->in, mk->in_len);
	if (mk->rtl == 0)
		return false;
	dp = word_dir(prev);
	return dp < 0 || dp != word_dir(next);
}

/* The character a mark at src[i] is followed by, for mark_keep: the next
 * one the policy keeps whatever its context (marks and characters in a
 * strippable class are passed over; a line break counts as LF), or after
 * when the chunk ends first. *cache remembers the answer and where it was
 * found, so a run of marks is scanned once. */
static UChar32
mark_next(const UChar *src, int32_t i, int32_t n, UChar32 after, int32_t *cache_at,
          UChar32 *cache)
{
	int32_t j = i;

	if (*cache_at >= i)
		return *cache;
	while (j < n) {
		int32_t at = j;
		UChar32 c;

		U16_NEXT(src, j, n, c);
		if (c == '\r' || c == 0x2028 || c == 0x2029)
			c = '\n';
		if (u8_classify(c) == U8_KEEP) {
			*cache_at = at;
			*cache = c;
			return c;
		}
	}
	*cache_at = n;
	*cache = after;
	return after;
}

/* One stripping pass, src → dst (dst has room for n units: nothing grows).
 * after is the character that follows the chunk (0: none), for marks.
 * Returns the number of characters removed or rewritten. */
static size_t
u8_filter(struct u8_marks *mk, const UChar *src, int32_t n, UChar *dst, int32_t *dn_r,
          UChar32 after, struct u8_report *rep)
{
	UChar32 prev = 0;
	UChar32 base = 0; /* the last kept character of class U8_KEEP */
	UChar32 next_cache = 0;
	int32_t next_at = -1;
	size_t changed = 0;
	int32_t i = 0;
	int32_t o = 0;

	while (i < n) {
		int32_t at = i;
		enum u8_class cls;
		UChar32 c;

		U16_NEXT(src, i, n, c);
		if (c == '\r' || c == 0x2028 || c == 0x2029) {
			/* CRLF, CR and the Unicode line/paragraph separators
			 * all become LF. */
			if (c == '\r' && i < n && src[i] == '\n')
				i++;
			dst[o++] = '\n';
			prev = '\n';
			base = '\n';
			changed++;
			continue;
		}
		cls = u8_classify(c);
		if (cls == U8_KEEP) {
			U16_APPEND_UNSAFE(dst, o, c);
			prev = c;
			base = c;
			continue;
		}
		if (cls == U8_BIDI && is_bidi_mark(c) && mk->keep &&
		    mark_keep(mk, base, mark_next(src, i, n, after, &next_at, &next_cache))) {
			dst[o++] = (UChar)c;
			prev = c;
			continue;
		}
		if (cls == U8_ZW && (c == 0x200d || c == 0x200c) && i < n) {
			UChar32 next;
			int32_t j = i;

			U16_NEXT(src, j, n, next);
			if ((c == 0x200d && emoji_zwj_left(prev) && emoji_zwj_right(next)) ||
			    joiner_in_script(prev, next)) {
				dst[o++] = (UChar)c;
				prev = c;
				continue;
			}
		} else if (cls == U8_VS && (c == 0xfe0e || c == 0xfe0f) && prev != 0 &&
		           u_hasBinaryProperty(prev, UCHAR_EMOJI)) {
			dst[o++] = (UChar)c;
			prev = c;
			continue;
		} else if (cls == U8_TAG && prev == 0x1f3f4) {
			int32_t end = flag_tag_end(src, at, n);

			if (end > 0) {
				memcpy(dst + o, src + at, (size_t)(end - at) * sizeof(UChar));
				o += end - at;
				i = end;
				prev = 0xe007f;
				continue;
			}
		}
		count_strip(rep, cls, c);
		changed++;
	}
	*dn_r = o;
	return changed;
}

static enum ig_err
u8_nfkc(struct u8_work *w, const struct u16buf *src, struct u16buf *dst)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t want;

	want = src->len + src->len / 4 + 16;
	if (want < 0 || !u16_reserve(dst, want))
		return IG_ENOMEM;
	dst->len = unorm2_normalize(w->nfkc, src->p, src->len, dst->p, dst->cap, &err);
	if (err == U_BUFFER_OVERFLOW_ERROR) {
		want = dst->len;
		if (!u16_reserve(dst, want))
			return IG_ENOMEM;
		err = U_ZERO_ERROR;
		dst->len = unorm2_normalize(w->nfkc, src->p, src->len, dst->p, dst->cap, &err);
	}
	return U_SUCCESS(err) ? IG_OK : IG_EINTERNAL;
}

/* Sanitizes one chunk of non-trivial text and appends it to out. */
static enum ig_err
u8_chunk(struct u8_work *w, const char *p, size_t len, UChar32 after, struct buf *out)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t subs = 0;
	int32_t len8;
	int32_t n16 = 0;
	size_t need;
	int round;

	if (!u16_reserve(&w->a, (int32_t)len + 1))
		return IG_ENOMEM;
	/* Length out-parameters are locals: a pointer into *w handed to ICU
	 * would make the analyzer forget the buffers *w owns. */
	u_strFromUTF8WithSub(w->a.p, w->a.cap, &n16, p, (int32_t)len, 0xfffd, &subs, &err);
	if (U_FAILURE(err))
		return IG_EINTERNAL;
	w->a.len = n16;
	if (subs > 0)
		w->rep->invalid_utf8 += (size_t)subs;
	if (!u16_reserve(&w->b, w->a.len + 1))
		return IG_ENOMEM;
	(void)u8_filter(w->marks, w->a.p, w->a.len, w->b.p, &n16, after, w->rep);
	w->b.len = n16;
	for (round = 0;; round++) {
		enum ig_err e;
		size_t changed;

		err = U_ZERO_ERROR;
		if (unorm2_spanQuickCheckYes(w->nfkc, w->b.p, w->b.len, &err) == w->b.len &&
		    U_SUCCESS(err))
			break;
		if (round == U8_MAX_ROUNDS)
			return IG_EINTERNAL;
		e = u8_nfkc(w, &w->b, &w->a);
		if (e != IG_OK)
			return e;
		if (!u16_reserve(&w->b, w->a.len + 1))
			return IG_ENOMEM;
		changed = u8_filter(w->marks, w->a.p, w->a.len, w->b.p, &n16, after, w->rep);
		w->b.len = n16;
		if (changed == 0)
			break;
	}
	if (__builtin_mul_overflow((size_t)w->b.len, 3, &need) || need >= (size_t)INT32_MAX)
		return IG_ELIMIT;
	if (need + 1 > w->u8cap) {
		char *np = realloc(w->u8, need + 1);

		if (np == NULL)
			return IG_ENOMEM;
		w->u8 = np;
		w->u8cap = need + 1;
	}
	err = U_ZERO_ERROR;
	u_strToUTF8(w->u8, (int32_t)w->u8cap, &len8, w->b.p, w->b.len, &err);
	if (U_FAILURE(err))
		return IG_EINTERNAL;
	buf_append(out, w->u8, (size_t)len8);
	return buf_err(out);
}

static inline bool
u8_plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

/* May a chunk end at s[k] although no ASCII run follows? Only between two
 * code points that are kept as they are whatever surrounds them (no joiner,
 * selector, tag, control; not the flag base of a tag sequence), where NFKC
 * has a boundary: then nothing on one side depends on the other. */
static bool
u8_split_ok(const UNormalizer2 *nfkc, const unsigned char *s, size_t len, size_t start, size_t k)
{
	int32_t i = (int32_t)k;
	UChar32 a;
	UChar32 c;

	if ((s[k] & 0xc0) == 0x80)
		return false;
	U8_NEXT(s, i, (int32_t)len, c);
	i = (int32_t)k;
	U8_PREV(s, (int32_t)start, i, a);
	return a >= 0 && c >= 0 && a != 0x1f3f4 && u8_classify(a) == U8_KEEP &&
	       u8_classify(c) == U8_KEEP && unorm2_hasBoundaryBefore(nfkc, c);
}

/* Where the slow chunk that starts at start (non-trivial text at k) ends:
 * before a run of U8_FAST_RUN printable ASCII bytes (or the end), or, once
 * the chunk is U8_CHUNK_MAX long, at the next safe split, so scratch memory
 * stays bounded even for text without ASCII. */
static size_t
u8_chunk_end(const UNormalizer2 *nfkc, const unsigned char *s, size_t len, size_t start, size_t k)
{
	for (;;) {
		size_t run = 0;

		while (k < len && (!u8_plain(s[k]) || s[k - 1] == '\r')) {
			if (k - start >= U8_CHUNK_MAX && u8_split_ok(nfkc, s, len, start, k))
				return k;
			k++;
		}
		/* Printable ASCII (not the LF of a CRLF) is always a safe end. */
		if (k < len && k - start >= U8_CHUNK_MAX)
			return k;
		while (k + run < len && u8_plain(s[k + run]) && run < U8_FAST_RUN)
			run++;
		if (run == U8_FAST_RUN || k + run == len)
			return k;
		k += run;
	}
}

static enum ig_err
u8_sanitize_mode(struct slice in, struct buf *out, struct u8_report *rep, bool keep_marks)
{
	const unsigned char *s = (const unsigned char *)in.p;
	struct u8_report scratch_rep;
	struct u8_marks marks;
	struct u8_work w;
	UErrorCode uerr = U_ZERO_ERROR;
	enum ig_err err = IG_OK;
	size_t i = 0;

	if (in.len > U8_MAX_INPUT)
		return IG_ELIMIT;
	memset(&w, 0, sizeof(w));
	u8_report_init(&scratch_rep);
	w.rep = rep != NULL ? rep : &scratch_rep;
	marks.keep = keep_marks;
	marks.rtl = -1;
	marks.nfkc = NULL;
	marks.in = s;
	marks.in_len = in.len;
	w.marks = &marks;
	while (i < in.len) {
		size_t j = i;
		size_t start;
		size_t k;
		UChar32 after;

		while (j < in.len && u8_plain(s[j]))
			j++;
		if (j == in.len) {
			buf_append(out, s + i, j - i);
			break;
		}
		if (s[j] == '\r') {
			buf_append(out, s + i, j - i);
			buf_putc(out, '\n');
			j++;
			if (j < in.len && s[j] == '\n')
				j++;
			i = j;
			continue;
		}
		/* Start one character early: a combining mark may compose
		 * with it, and VS16 may follow a keycap digit. */
		start = j > i ? j - 1 : j;
		buf_append(out, s + i, start - i);
		if (w.nfkc == NULL) {
			w.nfkc = unorm2_getNFKCInstance(&uerr);
			if (U_FAILURE(uerr)) {
				err = IG_EINTERNAL;
				goto out;
			}
			marks.nfkc = w.nfkc;
		}
		k = u8_chunk_end(w.nfkc, s, in.len, start, j + 1);
		after = 0;
		if (k < in.len) {
			int32_t ai = (int32_t)k;

			U8_NEXT(s, ai, (int32_t)in.len, after);
		}
		err = u8_chunk(&w, (const char *)s + start, k - start, after, out);
		if (err != IG_OK)
			goto out;
		i = k;
	}
	err = buf_err(out);
out:
	free(w.a.p);
	free(w.b.p);
	free(w.u8);
	u8_report_free(&scratch_rep);
	return err;
}

enum ig_err
u8_sanitize(struct slice in, struct buf *out, struct u8_report *rep)
{
	return u8_sanitize_mode(in, out, rep, false);
}

enum ig_err
u8_sanitize_text(struct slice in, struct buf *out, struct u8_report *rep)
{
	return u8_sanitize_mode(in, out, rep, true);
}

void
u8_report_warn(const struct u8_report *rep, struct warn_list *w, const char *location)
{
	static const struct {
		size_t off;
		const char *code;
	} classes[] = {
	    {offsetof(struct u8_report, zero_width), "unicode_zero_width_stripped"},
	    {offsetof(struct u8_report, bidi), "unicode_bidi_override_stripped"},
	    {offsetof(struct u8_report, c0c1), "unicode_c0_c1_stripped"},
	    {offsetof(struct u8_report, tags), "unicode_tag_chars_stripped"},
	    {offsetof(struct u8_report, variation_selectors),
	     "unicode_variation_selector_stripped"},
	    {offsetof(struct u8_report, private_use), "unicode_private_use_stripped"},
	    {offsetof(struct u8_report, unassigned), "unicode_unassigned_stripped"},
	    {offsetof(struct u8_report, invalid_utf8), "unicode_invalid_utf8_replaced"},
	};
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		size_t n;

		memcpy(&n, (const char *)rep + classes[i].off, sizeof(n));
		if (n > 0)
			warn_add(w, classes[i].code, location, "count=%zu", n);
	}
}

/* Backs up to the start of the UTF-8 sequence containing p[n]. */
static size_t
u8_seq_start(const char *p, size_t len, size_t n)
{
	while (n > 0 && n < len && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

size_t
u8_truncate_graphemes(const char *p, size_t len, size_t max_bytes)
{
	UErrorCode err = U_ZERO_ERROR;
	UBreakIterator *bi = NULL;
	UText *ut = NULL;
	size_t window;
	size_t cut;
	int32_t b;

	if (len <= max_bytes)
		return len;
	/* Whether max_bytes is a boundary depends on the text before it and
	 * on the one code point after it (UAX #29 looks ahead one), so ICU
	 * needs no more than that. */
	cut = u8_seq_start(p, len, max_bytes);
	window = len - max_bytes > 4 ? max_bytes + 4 : len;
	if (window > (size_t)INT32_MAX)
		return cut;
	ut = utext_openUTF8(NULL, p, (int64_t)window, &err);
	bi = ubrk_open(UBRK_CHARACTER, "", NULL, 0, &err);
	ubrk_setUText(bi, ut, &err);
	if (U_FAILURE(err))
		goto out;
	/* cut is a code point start here; ICU would move an offset inside a
	 * code point to its start and then step back one more cluster. */
	if (!ubrk_isBoundary(bi, (int32_t)cut)) {
		b = ubrk_preceding(bi, (int32_t)cut);
		cut = b == UBRK_DONE || b < 0 ? 0 : (size_t)b;
	}
	cut = u8_seq_start(p, len, cut);
out:
	ubrk_close(bi);
	utext_close(ut);
	return cut;
}
