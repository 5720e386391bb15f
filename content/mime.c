/* The MIME layer: RFC 5322 (message format, addresses, msg-ids), RFC 2045-2049
 * (MIME structure, transfer encodings, charsets), RFC 2047 (encoded words),
 * RFC 2231 (parameter value continuations and charsets), RFC 2369 and RFC 2919
 * (List-* headers), RFC 8058 (one-click unsubscribe).
 *
 * GMime only builds the tree and undoes transfer encodings. Every header value
 * and parameter this file reports is decoded here from GMime's raw bytes,
 * through ICU converters chosen from one allow-list, so that each string is
 * decoded exactly once and by one rule (docs/content.md "Decoding rules").
 * Before GMime sees anything, a scrub removes header fields that try to smuggle
 * lines through encoded words, and a pre-scan refuses structures whose size
 * alone would make GMime's own (recursive) parser expensive.
 *
 * This file holds the entry points, the walk over GMime's tree and the
 * top-level headers. The rules it applies live beside it: mime_charset.c
 * (charsets), mime_rfc2047.c (encoded words), mime_scrub.c (scrub and
 * pre-scan), mime_param.c (RFC 2231 parameters), mime_addr.c (addresses,
 * msg-ids, List-*), mime_sniff.c (type sniffing). */
#include "content/mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "base/limits.h"
#include "content/lookalike.h"
#include "content/mime_int.h"
#include "content/warn.h"

void
content_init(void)
{
	g_mime_init();
	look_init(); /* the Public Suffix List, loaded once (content/lookalike.h) */
}

void
content_shutdown(void)
{
	g_mime_shutdown();
	look_shutdown();
}

/* ------------------------------------------------------------- tree walk */

/* The multipart/alternative containers above an entity, outermost first:
 * which container (its index in struct walk) and which of its children
 * (1-based) the entity lies in. Bounded by the depth limit, plus one
 * because children are pushed before their depth is checked. */
#define ALT_CHAIN (LIM_MIME_DEPTH + 2)

struct alt_chain {
	unsigned char n;
	unsigned char node[ALT_CHAIN];
	unsigned char child[ALT_CHAIN];
};

_Static_assert(LIM_MIME_PARTS < 255, "alternative and child indexes fit an unsigned char");

struct walk_item {
	GMimeObject *obj;
	size_t depth;
	bool in_message; /* inside an attached message: counted, not reported */
	char id[64];
	struct alt_chain alt;
};

static void
make_id(char *out, size_t outsz, const char *parent, size_t index)
{
	int n;

	if (parent[0] == '\0')
		n = snprintf(out, outsz, "%zu", index);
	else
		n = snprintf(out, outsz, "%s.%zu", parent, index);
	if (n < 0 || (size_t)n >= outsz)
		out[0] = '\0';
}

/* A lower-case copy of an ASCII type name. */
static char *
lower_dup(const char *s)
{
	size_t n = strlen(s), i;
	char *d = xstrndup(s, n);

	if (d == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	}
	return d;
}

static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h;

	if (hl == NULL)
		return NULL;
	h = g_mime_header_list_get_header(hl, name);
	if (h == NULL)
		return NULL;
	return g_mime_header_get_raw_value(h);
}

/* A charset label safe to show in a warning: token characters, short. */
static const char *
safe_label(const char *s)
{
	size_t i;

	if (s == NULL)
		return "(none)";
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= 40 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return "(invalid)";
	}
	return s;
}

struct walk {
	struct mime_msg *m;
	struct warn_list *w;
	size_t text_total;
	/* multipart/alternative containers met: the last child (1-based) that
	 * holds an inline HTML part, and the last that holds any inline text
	 * part; 0 when none */
	size_t n_alt;
	unsigned char alt_last_html[LIM_MIME_PARTS + 1];
	unsigned char alt_last_text[LIM_MIME_PARTS + 1];
	struct alt_chain tpart_alt[LIM_MIME_PARTS + 1]; /* per m->tparts entry */
	/* mime_part_content: the attachment wanted and where its bytes go */
	const char *want_id;
	struct buf *want_out;
	bool found;
};

static enum ig_err
decode_content(GMimePart *part, GByteArray **ba_r, GMimeStream **st_r)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *st;

	*ba_r = NULL;
	*st_r = NULL;
	if (dw == NULL)
		return IG_OK;
	st = g_mime_stream_mem_new();
	if (st == NULL)
		return IG_ENOMEM;
	if (g_mime_data_wrapper_write_to_stream(dw, st) < 0) {
		g_object_unref(st);
		return IG_OK; /* undecodable content reads as empty */
	}
	*st_r = st;
	*ba_r = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
	return IG_OK;
}

/* Records an inline text part and, in the alternatives above it, that
 * the child it lies in holds text (HTML). */
static enum ig_err
tpart_add(struct walk *wk, const struct alt_chain *alt, bool html, size_t off, size_t len,
          bool cut)
{
	struct mime_msg *m = wk->m;
	struct mime_text_part *np, *t;
	size_t i;

	if (m->n_tparts >= LIM_MIME_PARTS + 1)
		return IG_ELIMIT; /* cannot happen: the walk refuses more parts */
	np = realloc(m->tparts, (m->n_tparts + 1) * sizeof(*np));
	if (np == NULL)
		return IG_ENOMEM;
	m->tparts = np;
	t = &m->tparts[m->n_tparts];
	t->html = html;
	t->off = off;
	t->len = len;
	t->truncated = cut;
	t->shown = true;
	t->group = alt->n > 0 ? alt->node[0] : MIME_NO_GROUP;
	wk->tpart_alt[m->n_tparts] = *alt;
	m->n_tparts++;
	for (i = 0; i < alt->n; i++) {
		unsigned char a = alt->node[i], c = alt->child[i];

		if (c > wk->alt_last_text[a])
			wk->alt_last_text[a] = c;
		if (html && c > wk->alt_last_html[a])
			wk->alt_last_html[a] = c;
	}
	return IG_OK;
}

/* After the walk: a part is shown when, in every alternative above it, it
 * lies in the child a client displays (the last one with HTML, else the
 * last one with text). */
static void
tparts_mark_shown(struct walk *wk)
{
	size_t i, k;

	for (i = 0; i < wk->m->n_tparts; i++) {
		const struct alt_chain *alt = &wk->tpart_alt[i];

		for (k = 0; k < alt->n; k++) {
			unsigned char a = alt->node[k];
			unsigned char chosen =
			    wk->alt_last_html[a] != 0 ? wk->alt_last_html[a] : wk->alt_last_text[a];

			if (alt->child[k] != chosen)
				wk->m->tparts[i].shown = false;
		}
	}
}

static enum ig_err
text_part(struct walk *wk, GMimeObject *obj, bool html, const char *id, GByteArray *ba,
          const struct alt_chain *alt)
{
	struct mime_msg *m = wk->m;
	struct buf *dst = html ? &m->text_html : &m->text_plain;
	const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
	size_t room = LIM_MIME_TEXT_TOTAL - wk->text_total, max, before;
	bool cut = false, known;
	struct slice in = {ba != NULL ? (const char *)ba->data : NULL, ba != NULL ? ba->len : 0};

	max = room < LIM_MIME_TEXT_PART ? room : LIM_MIME_TEXT_PART;
	if (html)
		m->n_html++;
	else
		m->n_plain++;
	if (dst->len > 0)
		buf_puts(dst, html ? "\n" : "\n\n");
	before = dst->len;
	known = mime_charset_to_utf8(sl_from_cstr(cs), in, dst, max, &cut);
	wk->text_total += dst->len - before;
	if (!known) {
		char vals[64];

		/* the charset label is the sender's: only inside the fence */
		(void)snprintf(vals, sizeof(vals), "charset=%s", safe_label(cs));
		warn_add_values(wk->w, "parse_charset_unknown", "body", vals, "part=%s", id);
	}
	if (cut) {
		if (html)
			m->html_truncated = true;
		else
			m->plain_truncated = true;
		warn_add(wk->w, "parse_body_truncated", "body", "part=%s limit=%zu", id, max);
	}
	return tpart_add(wk, alt, html, before, dst->len - before, cut);
}

/* The attached message of a message/rfc822 part, serialized, into out. */
static void
message_bytes(GMimeObject *obj, struct buf *out)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	GMimeStream *st;
	GByteArray *ba;

	if (inner == NULL)
		return;
	st = g_mime_stream_mem_new();
	if (st == NULL)
		return;
	if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, st) >= 0) {
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
		buf_append(out, ba->data, ba->len);
	}
	g_object_unref(st);
}

static enum ig_err
attachment_add(struct walk *wk, GMimeObject *obj, const char *id, const char *type, GByteArray *ba,
               size_t size)
{
	struct mime_msg *m = wk->m;
	struct mime_attachment *na, *a;
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	const char *rawcd = raw_header(obj, "Content-Disposition");
	const char *rawct = raw_header(obj, "Content-Type");
	bool conflict = false, unknown = false;
	char *fn = NULL;

	if (rawcd != NULL)
		fn = mime_param_get(sl_from_cstr(rawcd), "filename", &conflict, &unknown);
	if (fn == NULL && rawct != NULL)
		fn = mime_param_get(sl_from_cstr(rawct), "name", &conflict, &unknown);
	na = realloc(m->att, (m->n_att + 1) * sizeof(*na));
	if (na == NULL) {
		free(fn);
		return IG_ENOMEM;
	}
	m->att = na;
	a = &m->att[m->n_att];
	memset(a, 0, sizeof(*a));
	a->part_id = xstrndup(id, strlen(id));
	a->declared_type = lower_dup(type);
	a->disposition = xstrndup(
	    cd != NULL && g_mime_content_disposition_is_attachment(cd) ? "attachment" : "inline",
	    cd != NULL && g_mime_content_disposition_is_attachment(cd) ? 10 : 6);
	a->filename = fn;
	a->filename_conflict = conflict;
	a->size = size;
	if (ba != NULL)
		a->sniffed_type = mime_sniff(ba->data, ba->len);
	m->n_att++;
	if (wk->want_id != NULL && strcmp(wk->want_id, id) == 0) {
		wk->found = true;
		if (ba != NULL)
			buf_append(wk->want_out, ba->data, ba->len);
		else if (GMIME_IS_MESSAGE_PART(obj))
			message_bytes(obj, wk->want_out);
	}
	if (a->part_id == NULL || a->declared_type == NULL || a->disposition == NULL)
		return IG_ENOMEM;
	if (conflict)
		warn_add(wk->w, "parse_filename_param_conflict", "attachment",
		         "part=%s the filename and filename* parameters differ", id);
	if (unknown)
		warn_add(wk->w, "parse_charset_unknown", "attachment", "part=%s filename", id);
	return IG_OK;
}

static bool
has_filename(GMimeObject *obj)
{
	const char *cd = raw_header(obj, "Content-Disposition");
	const char *ct = raw_header(obj, "Content-Type");
	struct param *pm = malloc(sizeof(*pm));
	bool have = false;

	if (pm == NULL)
		return false;
	if (cd != NULL) {
		mime_param_collect(sl_from_cstr(cd), "filename", pm);
		have = pm->plain.present || pm->ext.present || pm->sec[0].present;
	}
	if (!have && ct != NULL) {
		mime_param_collect(sl_from_cstr(ct), "name", pm);
		have = pm->plain.present || pm->ext.present || pm->sec[0].present;
	}
	free(pm);
	return have;
}

static enum ig_err
leaf(struct walk *wk, GMimeObject *obj, const char *id, const struct alt_chain *alt)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	char *type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	bool attach = cd != NULL && g_mime_content_disposition_is_attachment(cd);
	GByteArray *ba = NULL;
	GMimeStream *st = NULL;
	enum ig_err err;
	bool plain, html;

	if (type == NULL)
		type = g_strdup("text/plain");
	plain = g_ascii_strcasecmp(type, "text/plain") == 0;
	html = g_ascii_strcasecmp(type, "text/html") == 0;
	err = decode_content(GMIME_PART(obj), &ba, &st);
	if (err != IG_OK)
		goto out;
	if ((plain || html) && !attach && !has_filename(obj))
		err = text_part(wk, obj, html, id, ba, alt);
	else
		err = attachment_add(wk, obj, id, type, ba, ba != NULL ? ba->len : 0);
out:
	if (st != NULL)
		g_object_unref(st);
	g_free(type);
	return err;
}

static size_t
message_size(GMimeObject *obj)
{
	GMimeStream *null = g_mime_stream_null_new();
	size_t n;

	if (null == NULL)
		return 0;
	(void)g_mime_object_write_to_stream(obj, NULL, null);
	n = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return n;
}

/* Walks the tree with an explicit stack (no recursion), checking depth,
 * part and header counts, and collecting text and attachments. */
static enum ig_err
walk_tree(struct walk *wk, GMimeObject *root, const char **error_r)
{
	struct walk_item stack[LIM_MIME_PARTS + 2];
	size_t sp = 0, i, count;
	enum ig_err err = IG_OK;

	stack[sp].obj = root;
	stack[sp].depth = 0;
	stack[sp].in_message = false;
	stack[sp].id[0] = '\0';
	stack[sp].alt.n = 0;
	sp++;
	while (sp > 0) {
		struct walk_item it = stack[--sp];
		GMimeHeaderList *hl = g_mime_object_get_header_list(it.obj);
		char id[64];

		if (++wk->m->n_parts > LIM_MIME_PARTS) {
			*error_r = "more MIME parts than LIM_MIME_PARTS";
			return IG_ELIMIT;
		}
		if (it.depth > LIM_MIME_DEPTH) {
			*error_r = "MIME nesting deeper than LIM_MIME_DEPTH";
			return IG_ELIMIT;
		}
		if (it.depth > wk->m->max_depth)
			wk->m->max_depth = it.depth;
		if (hl != NULL && g_mime_header_list_get_count(hl) > LIM_MIME_HEADERS) {
			*error_r = "more header fields in a part than LIM_MIME_HEADERS";
			return IG_ELIMIT;
		}
		if (GMIME_IS_MULTIPART(it.obj)) {
			GMimeMultipart *mp = GMIME_MULTIPART(it.obj);
			int n = g_mime_multipart_get_count(mp);
			GMimeContentType *mct = g_mime_object_get_content_type(it.obj);
			const char *sub = mct != NULL ? g_mime_content_type_get_media_subtype(mct)
			                              : NULL;
			bool alternative = sub != NULL && g_ascii_strcasecmp(sub, "alternative") == 0 &&
			                   it.alt.n < ALT_CHAIN && wk->n_alt < LIM_MIME_PARTS + 1;
			size_t alt_index = alternative ? wk->n_alt++ : 0;

			if (n < 0)
				n = 0;
			count = (size_t)n;
			if (count > LIM_MIME_PARTS + 1 - sp) {
				*error_r = "more MIME parts than LIM_MIME_PARTS";
				return IG_ELIMIT;
			}
			/* Pushed last-first so they are visited in order. */
			for (i = count; i > 0; i--) {
				struct walk_item *c = &stack[sp++];

				c->obj = g_mime_multipart_get_part(mp, (int)(i - 1));
				c->depth = it.depth + 1;
				c->in_message = it.in_message;
				make_id(c->id, sizeof(c->id), it.id, i);
				c->alt = it.alt;
				if (alternative) {
					c->alt.node[c->alt.n] = (unsigned char)alt_index;
					c->alt.child[c->alt.n] = (unsigned char)i;
					c->alt.n++;
				}
				if (c->obj == NULL)
					sp--;
			}
			continue;
		}
		if (it.id[0] == '\0')
			memcpy(id, "1", 2);
		else
			memcpy(id, it.id, sizeof(id));
		if (GMIME_IS_MESSAGE_PART(it.obj)) {
			GMimeMessage *inner =
			    g_mime_message_part_get_message(GMIME_MESSAGE_PART(it.obj));
			GMimeObject *body =
			    inner != NULL ? g_mime_message_get_mime_part(inner) : NULL;
			GMimeContentType *ct = g_mime_object_get_content_type(it.obj);
			char *type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;

			if (!it.in_message)
				err = attachment_add(
				    wk, it.obj, id, type != NULL ? type : "message/rfc822", NULL,
				    inner != NULL ? message_size(GMIME_OBJECT(inner)) : 0);
			g_free(type);
			if (err != IG_OK)
				return err;
			if (inner != NULL &&
			    g_mime_header_list_get_count(g_mime_object_get_header_list(
			        GMIME_OBJECT(inner))) > LIM_MIME_HEADERS) {
				*error_r = "more header fields in a part than LIM_MIME_HEADERS";
				return IG_ELIMIT;
			}
			if (body != NULL) {
				struct walk_item *c = &stack[sp++];

				c->obj = body;
				c->depth = it.depth + 1;
				c->in_message = true;
				c->alt = it.alt;
				if (GMIME_IS_MULTIPART(body))
					memcpy(c->id, id, sizeof(c->id));
				else
					make_id(c->id, sizeof(c->id), id, 1);
			}
			continue;
		}
		if (GMIME_IS_PART(it.obj) && !it.in_message) {
			err = leaf(wk, it.obj, id, &it.alt);
			if (err != IG_OK)
				return err;
		}
	}
	tparts_mark_shown(wk);
	return IG_OK;
}

/* ---------------------------------------------------------- top-level headers */

static char *
decoded_dup(const char *raw, bool *unknown_r)
{
	struct buf b;

	buf_init(&b, LIM_MIME_HEADER_VALUE * 4);
	mime_header_decode(sl_from_cstr(raw), &b, unknown_r);
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	if (b.p == NULL)
		return xstrndup("", 0);
	return buf_take(&b);
}

/* Copies raw without folding, cut at LIM_MIME_HEADER_VALUE; printable ASCII
 * only is kept (Date and similar structured fields are ASCII). */
static char *
ascii_dup(const char *raw)
{
	struct buf b;
	size_t i;
	bool sp = false;

	buf_init(&b, LIM_MIME_HEADER_VALUE);
	for (i = 0; i < LIM_MIME_HEADER_VALUE && raw[i] != '\0'; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (is_wsp((char)c)) {
			sp = b.len > 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			continue;
		if (sp)
			buf_putc(&b, ' ');
		sp = false;
		buf_putc(&b, (char)c);
	}
	if (buf_err(&b) != IG_OK || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static char *
date_iso(const char *raw)
{
	GDateTime *dt = g_mime_utils_header_decode_date(raw), *utc;
	gchar *s;
	char *r;

	if (dt == NULL)
		return NULL;
	utc = g_date_time_to_utc(dt);
	g_date_time_unref(dt);
	if (utc == NULL)
		return NULL;
	/* GMime answers the epoch for dates it cannot read. */
	if (g_date_time_to_unix(utc) == 0) {
		g_date_time_unref(utc);
		return NULL;
	}
	s = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(utc);
	if (s == NULL)
		return NULL;
	r = xstrndup(s, strlen(s));
	g_free(s);
	return r;
}

static void
set_once(char **dst, char *v)
{
	if (*dst == NULL)
		*dst = v;
	else
		free(v);
}

/* Fields RFC 5322 §3.6 allows once whose duplicates a spoofer can use
 * (clients disagree on which one they show): each extra occurrence is
 * reported as header_duplicate, naming the field (our own spelling of it,
 * closed vocabulary) and which occurrence this gateway used. */
static const char *const dup_fields[] = {
    "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
    "References",
};
#define N_DUP_FIELDS (sizeof(dup_fields) / sizeof(dup_fields[0]))

struct dup_count {
	unsigned count[N_DUP_FIELDS];
	unsigned used[N_DUP_FIELDS]; /* 1-based occurrence whose value was kept; 0: none */
};

static void
dup_note(struct dup_count *d, const char *name, bool kept)
{
	size_t i;

	for (i = 0; i < N_DUP_FIELDS; i++) {
		if (g_ascii_strcasecmp(name, dup_fields[i]) == 0) {
			d->count[i]++;
			if (kept && d->used[i] == 0)
				d->used[i] = d->count[i];
			return;
		}
	}
}

static void
dup_warn(const struct dup_count *d, struct warn_list *w)
{
	size_t i;

	for (i = 0; i < N_DUP_FIELDS; i++) {
		bool merged = strcmp(dup_fields[i], "To") == 0 || strcmp(dup_fields[i], "Cc") == 0;

		if (d->count[i] < 2)
			continue;
		if (merged)
			warn_add(w, "header_duplicate", "header",
			         "field=%s count=%u used=all (the address lists are merged)",
			         dup_fields[i], d->count[i]);
		else if (d->used[i] == 0)
			warn_add(w, "header_duplicate", "header", "field=%s count=%u used=none",
			         dup_fields[i], d->count[i]);
		else
			warn_add(w, "header_duplicate", "header", "field=%s count=%u used=%u",
			         dup_fields[i], d->count[i], d->used[i]);
	}
}

static void
top_headers(struct mime_msg *m, GMimeObject *msg, struct warn_list *w)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0, i;
	bool unknown = false, cut = false, seen_list_id = false;
	struct dup_count dups;

	memset(&dups, 0, sizeof(dups));
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = h != NULL ? g_mime_header_get_name(h) : NULL;
		const char *raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;
		bool kept = false;
		struct slice rv;

		if (name == NULL || raw == NULL)
			continue;
		rv = sl_from_cstr(raw);
		if (rv.len > LIM_MIME_HEADER_VALUE)
			cut = true;
		if (g_ascii_strcasecmp(name, "Subject") == 0) {
			kept = m->subject == NULL;
			set_once(&m->subject, decoded_dup(raw, &unknown));
			kept = kept && m->subject != NULL;
		} else if (g_ascii_strcasecmp(name, "From") == 0) {
			if (m->from.n == 0) {
				mime_addr_list_parse(rv, &m->from, &unknown);
				kept = m->from.n > 0;
			}
		} else if (g_ascii_strcasecmp(name, "Sender") == 0) {
			if (m->sender.n == 0) {
				mime_addr_list_parse(rv, &m->sender, &unknown);
				kept = m->sender.n > 0;
			}
		} else if (g_ascii_strcasecmp(name, "To") == 0) {
			mime_addr_list_parse(rv, &m->to, &unknown);
			kept = true;
		} else if (g_ascii_strcasecmp(name, "Cc") == 0) {
			mime_addr_list_parse(rv, &m->cc, &unknown);
			kept = true;
		} else if (g_ascii_strcasecmp(name, "Reply-To") == 0) {
			if (m->reply_to.n == 0) {
				mime_addr_list_parse(rv, &m->reply_to, &unknown);
				kept = m->reply_to.n > 0;
			}
		} else if (g_ascii_strcasecmp(name, "Date") == 0) {
			if (m->date == NULL) {
				m->date = ascii_dup(raw);
				kept = m->date != NULL;
				if (m->date != NULL)
					m->date_iso = date_iso(m->date);
			}
		} else if (g_ascii_strcasecmp(name, "Message-ID") == 0) {
			kept = m->message_id == NULL;
			set_once(&m->message_id, mime_first_angle(rv));
			kept = kept && m->message_id != NULL;
		} else if (g_ascii_strcasecmp(name, "In-Reply-To") == 0) {
			kept = m->in_reply_to == NULL;
			set_once(&m->in_reply_to, mime_first_angle(rv));
			kept = kept && m->in_reply_to != NULL;
		} else if (g_ascii_strcasecmp(name, "References") == 0) {
			if (m->references == NULL) {
				m->references = calloc(LIM_MIME_REFERENCES, sizeof(char *));
				if (m->references != NULL)
					m->n_references = mime_angle_items(rv, m->references,
					                                   LIM_MIME_REFERENCES);
				kept = true;
			}
		} else if (g_ascii_strcasecmp(name, "List-Id") == 0) {
			m->list_present = true;
			/* The first List-Id counts (RFC 2919 allows one). */
			if (!seen_list_id) {
				const char *lt = memchr(rv.p, '<', rv.len);

				seen_list_id = true;
				m->list.id = mime_first_angle(rv);
				if (lt != NULL && lt > rv.p) {
					char *ph = xstrndup(rv.p, (size_t)(lt - rv.p));

					if (ph != NULL) {
						m->list.name = decoded_dup(ph, &unknown);
						free(ph);
					}
				}
			}
		} else if (g_ascii_strcasecmp(name, "List-Unsubscribe") == 0) {
			m->list_present = true;
			set_once(&m->list.unsubscribe, mime_joined_angles(rv, 4));
		} else if (g_ascii_strcasecmp(name, "List-Post") == 0) {
			m->list_present = true;
			if (m->list.post == NULL) {
				char *a = mime_first_angle(rv);

				m->list.post = a != NULL ? a : ascii_dup(raw);
			}
		} else if (g_ascii_strcasecmp(name, "List-Archive") == 0) {
			set_once(&m->list.archive, mime_first_angle(rv));
		} else if (g_ascii_strcasecmp(name, "List-Help") == 0) {
			set_once(&m->list.help, mime_first_angle(rv));
		} else if (g_ascii_strcasecmp(name, "List-Unsubscribe-Post") == 0) {
			char *v = ascii_dup(raw);

			m->list.one_click =
			    v != NULL && g_ascii_strcasecmp(v, "List-Unsubscribe=One-Click") == 0;
			free(v);
		}
		dup_note(&dups, name, kept);
	}
	dup_warn(&dups, w);
	if (unknown)
		warn_add(w, "parse_charset_unknown", "header",
		         "an encoded word names a charset "
		         "outside the allow-list");
	if (cut)
		warn_add(w, "parse_header_truncated", "header", "limit=%zu", LIM_MIME_HEADER_VALUE);
}

/* ---------------------------------------------------------------- entry */

static enum ig_err
parse_walk(struct slice raw, struct mime_msg *m, struct warn_list *w, struct walk *wk0,
           const char **error_r)
{
	GByteArray *ba = NULL;
	GMimeStream *st = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	GMimeObject *root;
	struct walk wk = *wk0;
	enum ig_err err;
	const char *dummy = NULL;

	wk.m = m;
	wk.w = w;
	if (error_r == NULL)
		error_r = &dummy;
	memset(m, 0, sizeof(*m));
	buf_init(&m->text_plain, LIM_MIME_TEXT_TOTAL + 1024);
	buf_init(&m->text_html, LIM_MIME_TEXT_TOTAL + 1024);
	m->raw_size = raw.len;
	if (raw.len > LIM_MIME_MESSAGE) {
		*error_r = "message larger than LIM_MIME_MESSAGE";
		return IG_ELIMIT;
	}
	err = mime_scrub(raw, &ba, m, w, error_r);
	if (err != IG_OK)
		return err;
	err = mime_prescan((const char *)ba->data, ba->len, error_r);
	if (err != IG_OK) {
		g_byte_array_unref(ba);
		return err;
	}
	st = g_mime_stream_mem_new_with_byte_array(ba); /* takes ba */
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		*error_r = "not an RFC 5322 message";
		err = IG_EINVAL;
		goto out;
	}
	top_headers(m, GMIME_OBJECT(msg), w);
	root = g_mime_message_get_mime_part(msg);
	if (root != NULL) {
		err = walk_tree(&wk, root, error_r);
		if (err != IG_OK)
			goto out;
	}
	if (buf_err(&m->text_plain) != IG_OK || buf_err(&m->text_html) != IG_OK) {
		*error_r = "out of memory decoding text";
		err = IG_ENOMEM;
		goto out;
	}
	err = IG_OK;
	if (wk.want_out != NULL && buf_err(wk.want_out) != IG_OK) {
		*error_r = "the part is larger than the caller's limit";
		err = buf_err(wk.want_out);
	}
	wk0->found = wk.found;
out:
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(st);
	return err;
}

enum ig_err
mime_parse(struct slice raw, struct mime_msg *m, struct warn_list *w, const char **error_r)
{
	struct walk wk = {0};

	return parse_walk(raw, m, w, &wk, error_r);
}

enum ig_err
mime_part_content(struct slice raw, const char *part_id, struct mime_msg *m, struct warn_list *w,
                  struct buf *out, bool *found_r, const char **error_r)
{
	struct walk wk = {.want_id = part_id, .want_out = out};
	enum ig_err err = parse_walk(raw, m, w, &wk, error_r);

	*found_r = wk.found;
	return err;
}

void
mime_msg_free(struct mime_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->subject);
	free(m->date);
	free(m->date_iso);
	free(m->message_id);
	free(m->in_reply_to);
	for (i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	mime_addr_list_free(&m->from);
	mime_addr_list_free(&m->to);
	mime_addr_list_free(&m->cc);
	mime_addr_list_free(&m->reply_to);
	mime_addr_list_free(&m->sender);
	free(m->list.id);
	free(m->list.name);
	free(m->list.unsubscribe);
	free(m->list.post);
	free(m->list.archive);
	free(m->list.help);
	buf_free(&m->text_plain);
	buf_free(&m->text_html);
	free(m->tparts);
	for (i = 0; i < m->n_att; i++) {
		free(m->att[i].part_id);
		free(m->att[i].declared_type);
		free(m->att[i].disposition);
		free(m->att[i].filename);
	}
	free(m->att);
	memset(m, 0, sizeof(*m));
}
