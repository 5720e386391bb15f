/* The content pipeline assembled (DESIGN §5, output per §4.4): MIME
 * (content/mime.c), body choice between text/plain and text/html, HTML to text,
 * the Unicode policy on every untrusted string, Markdown neutralization of the
 * body, look-alike checks, and the JSON result. RFC 5322 and RFC 2045-2049
 * structure is mime.c's business; this file only decides what the agent sees.
 *
 * Order matters: the Unicode policy runs before Markdown neutralization (NFKC
 * can create "![" from fullwidth forms) and before look-alike checks see the
 * final text; look-alike checks on addresses see the decoded value before the
 * policy, since invisible characters inside an address are themselves a
 * finding. */
#include "content/msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "base/limits.h"
#include "content/filename.h"
#include "content/html.h"
#include "content/lookalike.h"
#include "content/markdown.h"
#include "content/mime.h"
#include "content/unicode.h"
#include "content/warn.h"

/* NFKC can expand text (at most 18 code points for one, in practice far
 * less); a sanitized string may be this many times its input before it is
 * cut back to the caps. */
#define SANITIZE_GROWTH 4

struct pipe {
	const struct content_opts *opts;
	struct mime_msg m;
	struct warn_list w;
	struct u8_report rep_hdr, rep_body, rep_att;
	struct buf *audit;
	bool body_truncated;
	const char *body_source;
	struct buf body; /* final body_text */
};

/* The Unicode policy for prose (bidi marks of right-to-left text kept) or
 * for identifiers (addresses, ids, URLs, types: every mark stripped). */
static enum ig_err
policy(struct slice s, struct buf *out, struct u8_report *rep, bool prose)
{
	return prose ? u8_sanitize_text(s, out, rep) : u8_sanitize(s, out, rep);
}

/* Runs the Unicode policy on s; returns a json string (never NULL unless
 * memory runs out). Text over max bytes after the policy is cut on a
 * grapheme boundary and *cut_r set. */
static struct json_object *
clean_str(struct slice s, struct u8_report *rep, size_t max, bool *cut_r, bool prose)
{
	struct buf out;
	struct json_object *j;
	size_t cap, n;

	if (__builtin_mul_overflow(s.len, SANITIZE_GROWTH, &cap) ||
	    __builtin_add_overflow(cap, 64, &cap))
		cap = SIZE_MAX / 2;
	buf_init(&out, cap);
	if (policy(s, &out, rep, prose) != IG_OK) {
		/* Pathological expansion: keep a prefix that surely fits. */
		buf_free(&out);
		buf_init(&out, cap);
		s.len = u8_truncate_graphemes(s.p, s.len, s.len / 18);
		if (policy(s, &out, rep, prose) != IG_OK)
			buf_reset(&out);
		if (cut_r != NULL)
			*cut_r = true;
	}
	n = u8_truncate_graphemes(out.p != NULL ? out.p : "", out.len, max);
	if (n < out.len && cut_r != NULL)
		*cut_r = true;
	j = json_object_new_string_len(out.p != NULL ? out.p : "", (int)n);
	buf_free(&out);
	return j;
}

static struct json_object *
clean_cstr(const char *s, struct u8_report *rep)
{
	if (s == NULL)
		return NULL;
	return clean_str(sl_from_cstr(s), rep, LIM_MIME_HEADER_VALUE, NULL, false);
}

/* clean_cstr for prose: a subject, a display name, a list name. */
static struct json_object *
clean_text(const char *s, struct u8_report *rep)
{
	if (s == NULL)
		return NULL;
	return clean_str(sl_from_cstr(s), rep, LIM_MIME_HEADER_VALUE, NULL, true);
}

static struct json_object *
addr_array(const struct mime_addr_list *l, struct u8_report *rep)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++) {
		struct json_object *o = json_object_new_object();

		if (o == NULL)
			break;
		json_object_object_add(o, "name", clean_text(l->v[i].name, rep));
		json_object_object_add(o, "address", clean_cstr(l->v[i].address, rep));
		json_object_array_add(a, o);
	}
	return a;
}

/* ------------------------------------------------------------ body choice */

/* Text parts are shown as a mail client shows them (docs/content.md "Body
 * choice"): every part mime.c marks shown, in MIME order — the inline parts
 * of multipart/mixed or related one after another — and of each
 * multipart/alternative the child a client displays. The alternatives a
 * client passes over (the text/plain beside an HTML part) are compared with
 * what is displayed, token by token and pair of tokens by pair of tokens, so
 * that text only a hidden alternative carries is reported whatever its
 * size. */

/* Tokens examined per side of one comparison; past it the alternatives are
 * not compared and the displayed part is used (a bound on memory: two sets
 * of at most 4 * this many 8-byte slots). */
#define ALT_TOKENS_MAX ((size_t)1 << 18)
/* A bracketed span longer than this is not a footnote or link target. */
#define ALT_BRACKET_MAX 2048

struct tokset {
	uint64_t *slot; /* 0: empty */
	size_t mask;
};

static void
tokset_put(struct tokset *s, uint64_t h)
{
	size_t k = (size_t)h & s->mask;

	while (s->slot[k] != 0 && s->slot[k] != h)
		k = (k + 1) & s->mask;
	s->slot[k] = h;
}

static bool
tokset_has(const struct tokset *s, uint64_t h)
{
	size_t k = (size_t)h & s->mask;

	while (s->slot[k] != 0) {
		if (s->slot[k] == h)
			return true;
		k = (k + 1) & s->mask;
	}
	return false;
}

/* What one walk over tokens does with each: count, insert or look up. */
enum tok_mode { TOK_COUNT, TOK_PUT, TOK_CHECK };

struct tok_walk {
	enum tok_mode mode;
	struct tokset *set;
	size_t tokens;       /* tokens seen (all modes) */
	size_t miss_words;   /* TOK_CHECK: tokens absent from set */
	size_t miss_pairs;   /* TOK_CHECK: consecutive pairs absent from set */
	uint64_t prev;       /* the previous token of the chain, 0: none */
	uint64_t cur;        /* the token being read (FNV-1a), valid when cur_n > 0 */
	size_t cur_n;        /* code points in it */
	bool cur_letter;     /* it is one ASCII letter (dropped: list markers, "a", "I") */
};

static uint64_t
tok_pair(uint64_t a, uint64_t b)
{
	return ((a * 0x9e3779b97f4a7c15ULL) ^ (b + 0x632be59bd9b4e019ULL) ^ 1ULL) | 2ULL;
}

static void
tok_emit(struct tok_walk *tw, uint64_t h)
{
	uint64_t pair = tw->prev != 0 ? tok_pair(tw->prev, h) : 0;

	tw->tokens++;
	tw->prev = h;
	if (tw->mode == TOK_PUT) {
		tokset_put(tw->set, h);
		if (pair != 0)
			tokset_put(tw->set, pair);
	} else if (tw->mode == TOK_CHECK) {
		tw->miss_words += !tokset_has(tw->set, h);
		tw->miss_pairs += pair != 0 && !tokset_has(tw->set, pair);
	}
}

static void
tok_end(struct tok_walk *tw)
{
	if (tw->cur_n > 0 && !(tw->cur_n == 1 && tw->cur_letter))
		tok_emit(tw, (tw->cur & ~(uint64_t)3) | 1); /* odd: never 0, never a pair */
	tw->cur_n = 0;
}

static void
tok_add(struct tok_walk *tw, uint32_t c)
{
	if (tw->cur_n == 0) {
		tw->cur = 1469598103934665603ULL;
		tw->cur_letter = c < 0x80 && !(c >= '0' && c <= '9');
	}
	tw->cur = (tw->cur ^ c) * 1099511628211ULL;
	tw->cur_n++;
}

static bool
ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A link target: a chunk (up to white space) holding "://" or "@" or
 * starting with "www." or "mailto:". Its tokens count one by one but do not
 * pair with their neighbours: mail programs place link targets differently
 * ("text [url]", "text <url>", footnotes), and the two sides should agree on
 * the text around them. */
static bool
link_chunk(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == '(' || p[i] == '<' || p[i] == '[' || p[i] == '"' || p[i] == '\''))
		i++;
	if ((len - i >= 4 && strncasecmp(p + i, "www.", 4) == 0) ||
	    (len - i >= 7 && strncasecmp(p + i, "mailto:", 7) == 0))
		return true;
	return memchr(p, '@', len) != NULL || memmem(p, len, "://", 3) != NULL;
}

/* A bracketed footnote number ("[12]"), a converter's stand-in for a link:
 * skipped, the rendered HTML has no counterpart. Returns the bytes to skip,
 * or 0. */
static size_t
footnote_len(const char *p, size_t len)
{
	size_t i = 1;

	if (len < 3 || p[0] != '[')
		return 0;
	while (i < len && i < 6 && p[i] >= '0' && p[i] <= '9')
		i++;
	return i > 1 && i < len && p[i] == ']' ? i + 1 : 0;
}

/* Tokens of t: runs of letters, digits and combining marks, case-folded;
 * invisible format characters neither split nor join; characters of the
 * scripts written without spaces (ideographs, kana, Thai...) are one token
 * each, so line wrapping cannot change the tokens. Consecutive tokens form
 * pairs, except across link targets. Returns false when the walk passed
 * ALT_TOKENS_MAX tokens. */
static bool
tok_walk_text(struct tok_walk *tw, struct slice t)
{
	size_t i = 0, chunk_end = 0;
	bool in_link = false;

	tw->prev = 0;
	tw->cur_n = 0;
	while (i < t.len) {
		unsigned char b = (unsigned char)t.p[i];
		int32_t ii;
		UChar32 c;
		uint32_t lb;

		if (tw->tokens > ALT_TOKENS_MAX)
			return false;
		if (ascii_space((char)b)) {
			tok_end(tw);
			if (in_link)
				tw->prev = 0;
			in_link = false;
			i++;
			continue;
		}
		if (i >= chunk_end) {
			size_t e = i;

			while (e < t.len && !ascii_space(t.p[e]))
				e++;
			chunk_end = e;
			in_link = link_chunk(t.p + i, e - i);
			if (in_link) {
				tok_end(tw);
				tw->prev = 0;
			}
		}
		if (b == '[') {
			size_t n = footnote_len(t.p + i, t.len - i);

			if (n > 0) {
				/* a footnoted link: as a link target */
				tok_end(tw);
				tw->prev = 0;
				i += n;
				continue;
			}
		}
		if (b < 0x80) {
			if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'))
				tok_add(tw, b);
			else if (b >= 'A' && b <= 'Z')
				tok_add(tw, (uint32_t)(b - 'A' + 'a'));
			else
				tok_end(tw);
			i++;
			continue;
		}
		ii = (int32_t)i;
		U8_NEXT((const uint8_t *)t.p, ii, (int32_t)(t.len > INT32_MAX ? INT32_MAX : t.len),
		        c);
		i = (size_t)ii;
		if (c < 0) {
			tok_end(tw);
			continue;
		}
		if (u_charType(c) == U_FORMAT_CHAR ||
		    u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			continue;
		lb = (uint32_t)u_getIntPropertyValue(c, UCHAR_LINE_BREAK);
		if (lb == U_LB_IDEOGRAPHIC || lb == U_LB_COMPLEX_CONTEXT ||
		    lb == U_LB_CONDITIONAL_JAPANESE_STARTER) {
			tok_end(tw);
			tok_add(tw, (uint32_t)u_foldCase(c, U_FOLD_CASE_DEFAULT));
			tok_end(tw);
			continue;
		}
		if ((U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK)) != 0)
			tok_add(tw, (uint32_t)u_foldCase(c, U_FOLD_CASE_DEFAULT));
		else
			tok_end(tw);
	}
	tok_end(tw);
	return tw->tokens <= ALT_TOKENS_MAX;
}

/* A set of the tokens and pairs of texts[0..n). Returns false when over
 * ALT_TOKENS_MAX or out of memory (*set then holds nothing to free). */
static bool
tokset_build(struct tokset *set, const struct slice *texts, size_t n)
{
	struct tok_walk tw;
	size_t i, cap = 16;

	memset(&tw, 0, sizeof(tw));
	tw.mode = TOK_COUNT;
	set->slot = NULL;
	for (i = 0; i < n; i++) {
		if (!tok_walk_text(&tw, texts[i]))
			return false;
	}
	while (cap < tw.tokens * 4)
		cap *= 2;
	set->slot = calloc(cap, sizeof(*set->slot));
	if (set->slot == NULL)
		return false;
	set->mask = cap - 1;
	memset(&tw, 0, sizeof(tw));
	tw.mode = TOK_PUT;
	tw.set = set;
	for (i = 0; i < n; i++)
		(void)tok_walk_text(&tw, texts[i]);
	return true;
}

/* Tokens and pairs of texts[0..n) absent from set. */
static bool
tokset_missing(const struct tokset *set, const struct slice *texts, size_t n, size_t *words_r,
               size_t *pairs_r, size_t *tokens_r)
{
	struct tok_walk tw;
	size_t i;

	memset(&tw, 0, sizeof(tw));
	tw.mode = TOK_CHECK;
	tw.set = (struct tokset *)(uintptr_t)set;
	for (i = 0; i < n; i++) {
		if (!tok_walk_text(&tw, texts[i]))
			return false;
	}
	*words_r = tw.miss_words;
	*pairs_r = tw.miss_pairs;
	*tokens_r = tw.tokens;
	return true;
}

/* The legacy "differ materially" threshold of parse_alternative_mismatch:
 * more than 5 words, and more than 15 % of the words, of one side are
 * absent from the other. */
static bool
differs(size_t missing, size_t total)
{
	return missing > 5 && missing * 100 > total * 15;
}

struct alt_cmp {
	bool compared;  /* false: over ALT_TOKENS_MAX, not compared */
	size_t h_words; /* tokens of the hidden alternatives absent from the shown text */
	size_t h_pairs; /* pairs likewise */
	size_t h_total;
	size_t s_words; /* tokens of the shown text absent from the hidden alternatives */
	size_t s_pairs;
	size_t s_total;
};

static enum ig_err
alt_compare(const struct slice *shown, size_t ns, const struct slice *hidden, size_t nh,
            struct alt_cmp *r)
{
	struct tokset ss = {0}, hs = {0};
	enum ig_err err = IG_OK;

	memset(r, 0, sizeof(*r));
	if (!tokset_build(&ss, shown, ns) || !tokset_build(&hs, hidden, nh))
		goto out; /* too many tokens (or no memory): not compared */
	if (!tokset_missing(&ss, hidden, nh, &r->h_words, &r->h_pairs, &r->h_total) ||
	    !tokset_missing(&hs, shown, ns, &r->s_words, &r->s_pairs, &r->s_total))
		goto out;
	r->compared = true;
out:
	free(ss.slot);
	free(hs.slot);
	return err;
}

/* One text part, ready: its text (the HTML part rendered) and whether its
 * rendering was refused or cut. */
struct body_part {
	const struct mime_text_part *tp;
	struct buf text; /* rendered HTML; unused for text/plain */
	struct html_stats st;
	bool refused;
};

static struct slice
body_part_text(const struct pipe *p, const struct body_part *bp)
{
	const struct mime_text_part *tp = bp->tp;

	if (tp->html)
		return buf_slice(&bp->text);
	return (struct slice){p->m.text_plain.p != NULL ? p->m.text_plain.p + tp->off : "",
	                      tp->len};
}

struct body_out {
	struct buf *raw;
	bool any_html, any_plain, cut;
};

/* Appends one part to the body, separated from what is there by a blank
 * line; past the buffer's room the text is cut on a UTF-8 boundary. */
static void
body_add(struct pipe *p, struct body_out *o, const struct body_part *bp)
{
	struct slice t = body_part_text(p, bp);
	size_t room;

	if (bp->tp->html) {
		o->any_html = true;
		if (bp->tp->truncated || bp->st.truncated)
			p->body_truncated = true;
		if (bp->st.truncated && !bp->tp->truncated)
			warn_add(&p->w, "parse_body_truncated", "body", "rendered HTML cut at %zu",
			         LIM_MIME_TEXT_TOTAL);
	} else {
		o->any_plain = true;
		if (bp->tp->truncated)
			p->body_truncated = true;
	}
	if (t.len == 0)
		return;
	room = o->raw->max > o->raw->len + 2 ? o->raw->max - o->raw->len - 2 : 0;
	if (o->raw->len > 0 && room > 0)
		buf_puts(o->raw, "\n\n");
	if (t.len > room) {
		t.len = room;
		while (t.len > 0 && ((unsigned char)t.p[t.len] & 0xc0) == 0x80)
			t.len--;
		if (!o->cut)
			warn_add(&p->w, "parse_body_truncated", "body", "limit=%zu",
			         LIM_MIME_TEXT_TOTAL);
		o->cut = true;
		p->body_truncated = true;
	}
	buf_append(o->raw, t.p, t.len);
}

/* One multipart/alternative (parts [from, to) of bp, all of one group):
 * the displayed alternative goes to the body, unless the hidden ones are
 * text/plain that says exactly the same (then that text, as before issue
 * 14: it reads better than rendered HTML). */
static enum ig_err
body_group(struct pipe *p, struct body_out *o, struct body_part *bp, size_t from, size_t to)
{
	struct slice shown[LIM_MIME_PARTS + 1], hidden[LIM_MIME_PARTS + 1];
	size_t ns = 0, nh = 0, i;
	bool refused = false, hidden_plain = true, shown_html = false, use_hidden = false;
	struct alt_cmp c;
	enum ig_err err;

	for (i = from; i < to; i++) {
		if (bp[i].tp->shown) {
			shown[ns++] = body_part_text(p, &bp[i]);
			refused = refused || bp[i].refused;
			shown_html = shown_html || bp[i].tp->html;
		} else {
			hidden[nh++] = body_part_text(p, &bp[i]);
			hidden_plain = hidden_plain && !bp[i].tp->html;
		}
	}
	if (nh > 0 && refused) {
		/* The renderer could not decide what the displayed part hides:
		 * the text alternative is what remains (html_render_refused
		 * says so). */
		use_hidden = true;
	} else if (nh > 0) {
		err = alt_compare(shown, ns, hidden, nh, &c);
		if (err != IG_OK)
			return err;
		if (c.compared && (c.h_words > 0 || c.h_pairs > 0))
			warn_add(&p->w, "parse_alternative_hidden_text", "body",
			         "an alternative mail clients do not display holds text the "
			         "displayed part lacks (words=%zu pairs=%zu); the displayed part "
			         "is shown",
			         c.h_words, c.h_pairs);
		if (c.compared &&
		    (differs(c.h_words, c.h_total) || differs(c.s_words, c.s_total)))
			warn_add(&p->w, "parse_alternative_mismatch", "body",
			         "text/plain and text/html differ (words only in plain=%zu, only "
			         "in html=%zu); the rendered HTML is shown",
			         c.h_words, c.s_words);
		use_hidden = c.compared && hidden_plain && shown_html && c.h_words == 0 &&
		             c.h_pairs == 0 && c.s_words == 0 && c.s_pairs == 0;
	}
	for (i = from; i < to; i++) {
		if (bp[i].tp->shown != use_hidden)
			body_add(p, o, &bp[i]);
	}
	return IG_OK;
}

/* Picks and renders the body (DESIGN §5 step 3); raw UTF-8 goes to raw_r
 * (before the Unicode policy). */
static enum ig_err
body_choose(struct pipe *p, struct buf *raw_r)
{
	size_t n = p->m.n_tparts, i, j;
	struct body_part *bp = calloc(n > 0 ? n : 1, sizeof(*bp));
	struct body_out o = {.raw = raw_r};
	enum ig_err err = IG_OK;

	if (bp == NULL)
		return IG_ENOMEM;
	for (i = 0; i < n; i++) {
		const struct mime_text_part *tp = &p->m.tparts[i];

		bp[i].tp = tp;
		buf_init(&bp[i].text, LIM_MIME_TEXT_TOTAL);
		if (!tp->html)
			continue;
		/* A cut HTML part is not rendered: a <style> after the cut could
		 * be what hides the text before it (refused like the
		 * renderer's own limits). */
		if (tp->truncated)
			err = IG_ELIMIT;
		else
			err = html_to_text((struct slice){p->m.text_html.p != NULL
			                                      ? p->m.text_html.p + tp->off
			                                      : "",
			                                  tp->len},
			                   &bp[i].text, &p->w, &bp[i].st);
		if (err == IG_ELIMIT) {
			/* The renderer could not decide what is hidden: show
			 * nothing of this HTML rather than hidden text. */
			warn_add(&p->w, "html_render_refused", "body",
			         "the HTML part exceeded the renderer's limits");
			buf_reset(&bp[i].text);
			bp[i].refused = true;
			err = IG_OK;
		}
		if (err != IG_OK)
			goto out;
	}
	for (i = 0; i < n; i = j) {
		size_t g = p->m.tparts[i].group;

		j = i + 1;
		if (g == MIME_NO_GROUP) {
			body_add(p, &o, &bp[i]);
			continue;
		}
		while (j < n && p->m.tparts[j].group == g)
			j++;
		err = body_group(p, &o, bp, i, j);
		if (err != IG_OK)
			goto out;
	}
	p->body_source = o.any_html ? "text/html" : o.any_plain ? "text/plain" : "none";
	err = buf_err(raw_r);
out:
	for (i = 0; i < n; i++)
		buf_free(&bp[i].text);
	free(bp);
	return err;
}

/* Runs the policy and Markdown neutralization on the chosen body. */
static enum ig_err
body_finish(struct pipe *p, struct slice raw)
{
	struct buf san;
	size_t cap, n, count = 0;
	enum ig_err err;

	cap = raw.len * SANITIZE_GROWTH + 64;
	buf_init(&san, cap);
	err = u8_sanitize_text(raw, &san, &p->rep_body);
	if (err == IG_ELIMIT) {
		buf_reset(&san);
		raw.len = u8_truncate_graphemes(raw.p, raw.len, raw.len / 18);
		err = u8_sanitize_text(raw, &san, &p->rep_body);
		p->body_truncated = true;
	}
	if (err != IG_OK)
		goto out;
	n = u8_truncate_graphemes(san.p != NULL ? san.p : "", san.len, LIM_MIME_TEXT_TOTAL);
	if (n < san.len) {
		san.len = n;
		if (!p->body_truncated)
			warn_add(&p->w, "parse_body_truncated", "body", "limit=%zu",
			         LIM_MIME_TEXT_TOTAL);
		p->body_truncated = true;
	}
	buf_init(&p->body, cap + cap / 2 + 64);
	err = md_neutralize((struct slice){san.p != NULL ? san.p : "", san.len}, &p->body, &count);
	if (err != IG_OK)
		goto out;
	if (count > 0)
		warn_add(&p->w, "content_markdown_image_neutralized", "body", "count=%zu", count);
out:
	buf_free(&san);
	return err;
}

/* ---------------------------------------------------------------- links */

static bool
url_char(unsigned char c)
{
	return c > ' ' && c != '"' && c != '<' && c != '>' && c != ']' && c != '[' && c != ')' &&
	       c != '(' && c != '\'' && c != '`' && c != '\\';
}

/* Link findings: each http(s) URL in the final body text with its host.
 * The text is already sanitized, so these are sanitized strings too. */
static struct json_object *
links_array(struct slice t)
{
	struct json_object *a = json_object_new_array();
	size_t i = 0, n = 0;

	if (t.p == NULL)
		return a;
	while (a != NULL && i + 8 < t.len && n < LIM_CONTENT_LINKS) {
		const char *h = memmem(t.p + i, t.len - i, "http", 4);
		size_t s, e, hs, he;
		struct json_object *o;

		if (h == NULL)
			break;
		s = (size_t)(h - t.p);
		e = s + 4;
		if (e < t.len && (t.p[e] == 's' || t.p[e] == 'S'))
			e++;
		if (e + 3 > t.len || memcmp(t.p + e, "://", 3) != 0 ||
		    (s > 0 && url_char((unsigned char)t.p[s - 1]) && t.p[s - 1] != '[')) {
			i = s + 4;
			continue;
		}
		hs = e + 3;
		e = hs;
		while (e < t.len && url_char((unsigned char)t.p[e]))
			e++;
		while (e > hs && (t.p[e - 1] == '.' || t.p[e - 1] == ',' || t.p[e - 1] == ';'))
			e--;
		he = hs;
		while (he < e && t.p[he] != '/' && t.p[he] != '?' && t.p[he] != '#' &&
		       t.p[he] != ':')
			he++;
		i = e > s ? e : s + 4;
		if (he == hs)
			continue;
		o = json_object_new_object();
		if (o == NULL)
			break;
		json_object_object_add(o, "url", json_object_new_string_len(t.p + s, (int)(e - s)));
		json_object_object_add(o, "host",
		                       json_object_new_string_len(t.p + hs, (int)(he - hs)));
		json_object_array_add(a, o);
		n++;
	}
	return a;
}

/* ------------------------------------------------------------ look-alike */

/* The domain of an address: after the last '@', NULL when there is none. */
static const char *
addr_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

struct domains {
	const char *v[LIM_LOOK_DOMAINS];
	size_t n;
};

static void
domains_add(struct domains *d, const char *dom)
{
	size_t i;

	if (dom == NULL || d->n == LIM_LOOK_DOMAINS)
		return;
	for (i = 0; i < d->n; i++) {
		if (strcasecmp(d->v[i], dom) == 0)
			return;
	}
	d->v[d->n++] = dom;
}

static void
look_addrs(struct pipe *p, const struct mime_addr_list *l, const char *location, bool names,
           struct domains *d)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *dom = addr_domain(l->v[i].address);

		if (dom != NULL) {
			look_domain(dom, p->opts->known_domains, p->opts->n_known_domains, location,
			            &p->w);
			domains_add(d, dom);
		}
		if (names && l->v[i].name[0] != '\0')
			look_display_name(l->v[i].name, l->v[i].address, location, &p->w);
	}
}

/* lookalike_reply_to_mismatch for every Reply-To address (not only the
 * first: a list may hide the one that matters behind an innocent one) whose
 * registrable domain is none of the From addresses'. Each Reply-To domain
 * is reported once; the warning is look_reply_to's own. */
static void
reply_to_checks(struct pipe *p)
{
	size_t i, j, k;

	for (i = 0; i < p->m.reply_to.n; i++) {
		const char *r = p->m.reply_to.v[i].address, *rd = addr_domain(r);
		struct warn_list scratch;
		size_t nf = 0;
		bool seen = false;

		if (rd == NULL)
			continue;
		for (k = 0; k < i && !seen; k++) {
			const char *od = addr_domain(p->m.reply_to.v[k].address);

			seen = od != NULL && strcasecmp(od, rd) == 0;
		}
		if (seen)
			continue;
		warn_list_init(&scratch);
		for (j = 0; j < p->m.from.n; j++) {
			if (addr_domain(p->m.from.v[j].address) == NULL)
				continue;
			nf++;
			look_reply_to(p->m.from.v[j].address, r, &scratch);
		}
		if (nf > 0 && scratch.n == nf)
			warn_add_values(&p->w, scratch.items[0].code, scratch.items[0].location,
			                scratch.items[0].values, "%s", scratch.items[0].detail);
		warn_list_free(&scratch);
	}
}

/* Look-alike checks (DESIGN §5 step 7) on the decoded header values and the
 * link hosts of the final body; flags only. */
static void
lookalike_checks(struct pipe *p, struct json_object *links)
{
	struct domains d;
	size_t i, n;

	memset(&d, 0, sizeof(d));
	look_addrs(p, &p->m.from, "header.from", true, &d);
	look_addrs(p, &p->m.sender, "header.sender", true, &d);
	look_addrs(p, &p->m.reply_to, "header.reply_to", true, &d);
	look_addrs(p, &p->m.to, "header.to", false, &d);
	look_addrs(p, &p->m.cc, "header.cc", false, &d);
	reply_to_checks(p);
	n = links != NULL ? json_object_array_length(links) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *host = NULL;
		const char *h;

		if (!json_object_object_get_ex(json_object_array_get_idx(links, i), "host", &host))
			continue;
		h = json_object_get_string(host);
		look_domain(h, p->opts->known_domains, p->opts->n_known_domains, "body.link",
		            &p->w);
		domains_add(&d, h);
	}
	look_domains_cross(d.v, d.n, &p->w);
	for (i = 0; i < p->m.n_att; i++) {
		const struct mime_attachment *at = &p->m.att[i];
		char loc[64];

		(void)snprintf(loc, sizeof(loc), "attachment[%zu]", i);
		look_filename(at->filename != NULL ? at->filename : "", at->declared_type,
		              at->sniffed_type, loc, &p->w);
	}
}

/* ---------------------------------------------------------------- output */

static struct json_object *
jstr_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static struct json_object *
list_object(struct pipe *p)
{
	const struct mime_list_info *l = &p->m.list;
	struct json_object *o;

	if (!p->m.list_present)
		return NULL;
	o = json_object_new_object();
	if (o == NULL)
		return NULL;
	json_object_object_add(o, "id", clean_cstr(l->id, &p->rep_hdr));
	json_object_object_add(o, "name", clean_text(l->name, &p->rep_hdr));
	json_object_object_add(o, "unsubscribe", clean_cstr(l->unsubscribe, &p->rep_hdr));
	json_object_object_add(o, "unsubscribe_one_click", json_object_new_boolean(l->one_click));
	json_object_object_add(o, "post", clean_cstr(l->post, &p->rep_hdr));
	json_object_object_add(o, "archive", clean_cstr(l->archive, &p->rep_hdr));
	json_object_object_add(o, "help", clean_cstr(l->help, &p->rep_hdr));
	return o;
}

static struct json_object *
attachments_array(struct pipe *p)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < p->m.n_att; i++) {
		const struct mime_attachment *at = &p->m.att[i];
		struct json_object *o = json_object_new_object();
		struct json_object *fn = NULL;

		if (o == NULL)
			break;
		if (at->filename != NULL) {
			struct buf b;
			int rewritten = 0;

			buf_init(&b, LIM_FILENAME * SANITIZE_GROWTH + 64);
			if (fname_sanitize(at->filename, strlen(at->filename), &b, &rewritten) ==
			    IG_OK)
				fn = json_object_new_string_len(b.p != NULL ? b.p : "", (int)b.len);
			else
				fn = json_object_new_string("attachment");
			if (rewritten)
				warn_add(&p->w, "parse_attachment_filename_rewritten", "attachment",
				         "part=%s", at->part_id);
			buf_free(&b);
		}
		json_object_object_add(o, "part_id", json_object_new_string(at->part_id));
		json_object_object_add(o, "filename", fn);
		json_object_object_add(o, "declared_type",
		                       clean_cstr(at->declared_type, &p->rep_att));
		json_object_object_add(o, "sniffed_type", jstr_or_null(at->sniffed_type));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)at->size));
		json_object_object_add(o, "disposition", json_object_new_string(at->disposition));
		json_object_array_add(a, o);
	}
	return a;
}

static void
audit_tags(struct pipe *p, const struct u8_report *r, const char *location)
{
	if (p->audit == NULL || r->tag_payload.len == 0)
		return;
	buf_puts(p->audit, location);
	buf_puts(p->audit, ": ");
	buf_append(p->audit, r->tag_payload.p, r->tag_payload.len);
	buf_putc(p->audit, '\n');
}

static enum ig_err
assemble(struct pipe *p, struct json_object **out_r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *meta = json_object_new_object();
	struct json_object *u = json_object_new_object();
	struct json_object *refs, *att, *body, *links;
	struct json_object *warnings, *values = NULL;
	size_t i;

	if (root == NULL || meta == NULL || u == NULL) {
		json_object_put(root);
		json_object_put(meta);
		json_object_put(u);
		return IG_ENOMEM;
	}
	json_object_object_add(u, "subject", clean_text(p->m.subject, &p->rep_hdr));
	json_object_object_add(u, "from", addr_array(&p->m.from, &p->rep_hdr));
	json_object_object_add(u, "to", addr_array(&p->m.to, &p->rep_hdr));
	json_object_object_add(u, "cc", addr_array(&p->m.cc, &p->rep_hdr));
	json_object_object_add(u, "reply_to", addr_array(&p->m.reply_to, &p->rep_hdr));
	json_object_object_add(u, "date", clean_cstr(p->m.date, &p->rep_hdr));
	json_object_object_add(u, "message_id", clean_cstr(p->m.message_id, &p->rep_hdr));
	json_object_object_add(u, "in_reply_to", clean_cstr(p->m.in_reply_to, &p->rep_hdr));
	refs = json_object_new_array();
	for (i = 0; refs != NULL && i < p->m.n_references; i++)
		json_object_array_add(refs, clean_cstr(p->m.references[i], &p->rep_hdr));
	json_object_object_add(u, "references", refs);
	json_object_object_add(u, "list", list_object(p));
	body = json_object_new_string_len(p->body.p != NULL ? p->body.p : "", (int)p->body.len);
	json_object_object_add(u, "body_text", body);
	if (p->opts->include_html && p->m.n_html > 0 && !p->m.html_truncated) {
		struct buf h;

		buf_init(&h, LIM_MIME_TEXT_TOTAL);
		if (html_sanitize(buf_slice(&p->m.text_html), &h, NULL) == IG_OK)
			json_object_object_add(
			    u, "body_html",
			    clean_str(buf_slice(&h), &p->rep_body, LIM_MIME_TEXT_TOTAL, NULL, true));
		buf_free(&h);
	}
	att = attachments_array(p);
	json_object_object_add(u, "attachments", att);
	links = links_array(buf_slice(&p->body));
	json_object_object_add(u, "links", links);
	lookalike_checks(p, links);

	/* Unicode findings, after every string has been through the policy. */
	u8_report_warn(&p->rep_hdr, &p->w, "header");
	u8_report_warn(&p->rep_body, &p->w, "body");
	u8_report_warn(&p->rep_att, &p->w, "attachment");
	audit_tags(p, &p->rep_hdr, "header");
	audit_tags(p, &p->rep_body, "body");
	audit_tags(p, &p->rep_att, "attachment");

	json_object_object_add(meta, "size", json_object_new_int64((int64_t)p->m.raw_size));
	json_object_object_add(meta, "part_count", json_object_new_int64((int64_t)p->m.n_parts));
	json_object_object_add(meta, "max_depth", json_object_new_int64((int64_t)p->m.max_depth));
	json_object_object_add(meta, "attachment_count",
	                       json_object_new_int64((int64_t)p->m.n_att));
	json_object_object_add(meta, "mailing_list_present",
	                       json_object_new_boolean(p->m.list_present));
	json_object_object_add(meta, "body_source", json_object_new_string(p->body_source));
	json_object_object_add(meta, "body_truncated", json_object_new_boolean(p->body_truncated));
	json_object_object_add(meta, "body_bytes", json_object_new_int64((int64_t)p->body.len));
	json_object_object_add(meta, "text_plain_parts",
	                       json_object_new_int64((int64_t)p->m.n_plain));
	json_object_object_add(meta, "text_html_parts",
	                       json_object_new_int64((int64_t)p->m.n_html));
	json_object_object_add(meta, "headers_dropped",
	                       json_object_new_int64((int64_t)p->m.n_headers_dropped));
	json_object_object_add(meta, "date_utc", jstr_or_null(p->m.date_iso));
	json_object_object_add(meta, "warnings_dropped",
	                       json_object_new_int64((int64_t)p->w.dropped));

	/* the warnings' sender-derived values go inside the fence (warn.h) */
	warnings = warn_list_json_split(&p->w, &values);
	if (values != NULL)
		json_object_object_add(u, "security_warning_values", values);
	json_object_object_add(root, "meta", meta);
	json_object_object_add(root, "untrusted", u);
	json_object_object_add(root, "security_warnings", warnings);
	*out_r = root;
	return IG_OK;
}

enum ig_err
msg_sanitize(struct slice raw, const struct content_opts *opts, struct json_object **out_r,
             struct buf *audit_r, const char **error_r)
{
	static const struct content_opts defaults;
	struct pipe *p = calloc(1, sizeof(*p));
	struct buf body_raw;
	enum ig_err err;
	const char *dummy = NULL;

	*out_r = NULL;
	if (error_r == NULL)
		error_r = &dummy;
	if (p == NULL) {
		*error_r = "out of memory";
		return IG_ENOMEM;
	}
	p->opts = opts != NULL ? opts : &defaults;
	p->audit = audit_r;
	warn_list_init(&p->w);
	u8_report_init(&p->rep_hdr);
	u8_report_init(&p->rep_body);
	u8_report_init(&p->rep_att);
	buf_init(&body_raw, LIM_MIME_TEXT_TOTAL + 1024);
	buf_init(&p->body, 0);
	p->body_source = "none";
	err = mime_parse(raw, &p->m, &p->w, error_r);
	if (err != IG_OK)
		goto out;
	err = body_choose(p, &body_raw);
	if (err == IG_OK)
		err = body_finish(p, buf_slice(&body_raw));
	if (err != IG_OK) {
		*error_r = "the message text could not be processed";
		goto out;
	}
	err = assemble(p, out_r);
	if (err != IG_OK)
		*error_r = "out of memory";
out:
	buf_free(&body_raw);
	buf_free(&p->body);
	mime_msg_free(&p->m);
	warn_list_free(&p->w);
	u8_report_free(&p->rep_hdr);
	u8_report_free(&p->rep_body);
	u8_report_free(&p->rep_att);
	free(p);
	return err;
}
