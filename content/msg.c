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

/* Runs the Unicode policy on s; returns a json string (never NULL unless
 * memory runs out). Text over max bytes after the policy is cut on a
 * grapheme boundary and *cut_r set. */
static struct json_object *
clean_str(struct slice s, struct u8_report *rep, size_t max, bool *cut_r)
{
	struct buf out;
	struct json_object *j;
	size_t cap, n;

	if (__builtin_mul_overflow(s.len, SANITIZE_GROWTH, &cap) ||
	    __builtin_add_overflow(cap, 64, &cap))
		cap = SIZE_MAX / 2;
	buf_init(&out, cap);
	if (u8_sanitize(s, &out, rep) != IG_OK) {
		/* Pathological expansion: keep a prefix that surely fits. */
		buf_free(&out);
		buf_init(&out, cap);
		s.len = u8_truncate_graphemes(s.p, s.len, s.len / 18);
		if (u8_sanitize(s, &out, rep) != IG_OK)
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
	return clean_str(sl_from_cstr(s), rep, LIM_MIME_HEADER_VALUE, NULL);
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
		json_object_object_add(o, "name", clean_cstr(l->v[i].name, rep));
		json_object_object_add(o, "address", clean_cstr(l->v[i].address, rep));
		json_object_array_add(a, o);
	}
	return a;
}

/* ------------------------------------------------------------ body choice */

/* Words of a text for the alternative comparison: runs of letters and
 * digits (any non-ASCII byte counts as a letter), ASCII folded to lower case,
 * at least 3 bytes, URLs and bracketed link targets left out because the two
 * renderings legitimately differ there. Hashed (FNV-1a). */
static size_t
words_hash(struct slice t, uint64_t *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < t.len && n < max) {
		unsigned char c = (unsigned char)t.p[i];

		if (c == '[' || (c == 'h' && t.len - i > 7 && memcmp(t.p + i, "http", 4) == 0)) {
			/* Skip a link target up to its end. */
			char end = c == '[' ? ']' : ' ';

			while (i < t.len && t.p[i] != end && t.p[i] != '\n')
				i++;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c >= 0x80) {
			uint64_t h = 1469598103934665603ULL;
			size_t s = i;

			while (i < t.len) {
				c = (unsigned char)t.p[i];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c >= 0x80))
					break;
				if (c >= 'A' && c <= 'Z')
					c = (unsigned char)(c + 32);
				h = (h ^ c) * 1099511628211ULL;
				i++;
			}
			if (i - s >= 3)
				out[n++] = h | 1; /* 0 marks an empty slot */
			continue;
		}
		i++;
	}
	return n;
}

struct wset {
	uint64_t *slot;
	size_t mask;
};

static bool
wset_init(struct wset *s, const uint64_t *w, size_t n)
{
	size_t cap = 16, i;

	while (cap < n * 2)
		cap *= 2;
	s->slot = calloc(cap, sizeof(*s->slot));
	if (s->slot == NULL)
		return false;
	s->mask = cap - 1;
	for (i = 0; i < n; i++) {
		size_t k = (size_t)w[i] & s->mask;

		while (s->slot[k] != 0 && s->slot[k] != w[i])
			k = (k + 1) & s->mask;
		s->slot[k] = w[i];
	}
	return true;
}

static bool
wset_has(const struct wset *s, uint64_t h)
{
	size_t k = (size_t)h & s->mask;

	while (s->slot[k] != 0) {
		if (s->slot[k] == h)
			return true;
		k = (k + 1) & s->mask;
	}
	return false;
}

/* Counts words of a that b lacks. */
static size_t
words_missing(const uint64_t *a, size_t na, const struct wset *b)
{
	size_t i, miss = 0;

	for (i = 0; i < na; i++)
		miss += !wset_has(b, a[i]);
	return miss;
}

/* Material disagreement: more than a few words (and more than 15% of the
 * words) of one rendering are absent from the other. Either side counts: an
 * instruction only in the text/plain part is as suspicious as one only in
 * the rendered HTML. */
static bool
differs(size_t missing, size_t total)
{
	return missing > 5 && missing * 100 > total * 15;
}

static enum ig_err
alternative_mismatch(struct slice plain, struct slice html, bool *mismatch_r, size_t *p_only_r,
                     size_t *h_only_r)
{
	/* A word is at least 3 bytes plus a separator. */
	size_t maxw = (plain.len > html.len ? plain.len : html.len) / 4 + 1, np, nh;
	uint64_t *wp = NULL, *wh = NULL;
	struct wset sp = {0}, sh = {0};
	enum ig_err err = IG_ENOMEM;

	*mismatch_r = false;
	wp = malloc(maxw * sizeof(*wp));
	wh = malloc(maxw * sizeof(*wh));
	if (wp == NULL || wh == NULL)
		goto out;
	np = words_hash(plain, wp, maxw);
	nh = words_hash(html, wh, maxw);
	if (!wset_init(&sp, wp, np) || !wset_init(&sh, wh, nh))
		goto out;
	*p_only_r = words_missing(wp, np, &sh);
	*h_only_r = words_missing(wh, nh, &sp);
	*mismatch_r = differs(*p_only_r, np) || differs(*h_only_r, nh);
	err = IG_OK;
out:
	free(wp);
	free(wh);
	free(sp.slot);
	free(sh.slot);
	return err;
}

/* Picks and renders the body (DESIGN §5 step 3); raw UTF-8 goes to raw_r
 * (before the Unicode policy). */
static enum ig_err
body_choose(struct pipe *p, struct buf *raw_r)
{
	struct slice plain = buf_slice(&p->m.text_plain);
	struct buf html_text;
	struct html_stats st;
	enum ig_err err = IG_OK;
	bool mismatch = false, html_refused = false;
	size_t p_only = 0, h_only = 0;

	memset(&st, 0, sizeof(st));
	buf_init(&html_text, LIM_MIME_TEXT_TOTAL);
	if (p->m.n_html > 0) {
		/* A cut HTML part is not rendered: a <style> after the cut could
		 * be what hides the text before it (refused like the
		 * renderer's own limits). */
		if (p->m.html_truncated)
			err = IG_ELIMIT;
		else
			err = html_to_text(buf_slice(&p->m.text_html), &html_text, &p->w, &st);
		if (err == IG_ELIMIT) {
			/* The renderer could not decide what is hidden: show
			 * nothing of the HTML rather than hidden text. */
			warn_add(&p->w, "html_render_refused", "body",
			         "the HTML part exceeded the renderer's limits");
			buf_reset(&html_text);
			html_refused = true;
			err = IG_OK;
		}
		if (err != IG_OK)
			goto out;
	}
	if (p->m.n_html > 0 && p->m.n_plain > 0 && !html_refused) {
		err =
		    alternative_mismatch(plain, buf_slice(&html_text), &mismatch, &p_only, &h_only);
		if (err != IG_OK)
			goto out;
	}
	/* A refused rendering falls back to text/plain when there is one. */
	if (p->m.n_html > 0 && (p->m.n_plain == 0 || mismatch)) {
		buf_append(raw_r, html_text.p, html_text.len);
		p->body_source = "text/html";
		p->body_truncated = p->m.html_truncated || st.truncated;
		if (st.truncated && !p->m.html_truncated)
			warn_add(&p->w, "parse_body_truncated", "body", "rendered HTML cut at %zu",
			         LIM_MIME_TEXT_TOTAL);
		if (mismatch)
			warn_add(&p->w, "parse_alternative_mismatch", "body",
			         "text/plain and text/html differ (words only in plain=%zu, only "
			         "in html=%zu); the rendered HTML is shown",
			         p_only, h_only);
	} else if (p->m.n_plain > 0) {
		buf_append(raw_r, plain.p, plain.len);
		p->body_source = "text/plain";
		p->body_truncated = p->m.plain_truncated;
	} else {
		p->body_source = "none";
	}
	err = buf_err(raw_r);
out:
	buf_free(&html_text);
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
	err = u8_sanitize(raw, &san, &p->rep_body);
	if (err == IG_ELIMIT) {
		buf_reset(&san);
		raw.len = u8_truncate_graphemes(raw.p, raw.len, raw.len / 18);
		err = u8_sanitize(raw, &san, &p->rep_body);
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
	if (p->m.from.n > 0 && p->m.reply_to.n > 0)
		look_reply_to(p->m.from.v[0].address, p->m.reply_to.v[0].address, &p->w);
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
	json_object_object_add(o, "name", clean_cstr(l->name, &p->rep_hdr));
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
	json_object_object_add(u, "subject", clean_cstr(p->m.subject, &p->rep_hdr));
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
			    clean_str(buf_slice(&h), &p->rep_body, LIM_MIME_TEXT_TOTAL, NULL));
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
