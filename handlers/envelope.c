/* Envelopes as tool output (handlers/envelope.h). RFC 3501 §7.4.2 gives the
 * ENVELOPE and BODYSTRUCTURE forms; RFC 2047 words in subjects and display
 * names are decoded by content/mime.c's single rule, then every string goes
 * through the Unicode policy (content/unicode.h); look-alike checks see the
 * decoded value before the policy, as content/msg.c does. */
#include "handlers/envelope.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/limits.h"
#include "content/lookalike.h"
#include "content/mime.h"
#include "content/unicode.h"
#include "content/warn.h"
#include "imap/parse.h"
#include "server/json.h"
#include "store/cache.h"

/* NFKC may expand a string; room for that before the cut back to the cap. */
#define ENV_GROWTH 4

struct env {
	struct warn_list w;
	struct u8_report rep;
	const char *const *known;
	size_t n_known;
};

/* A NUL-terminated copy of s with NUL bytes turned to spaces (the
 * look-alike checks take C strings). NULL when out of memory. */
static char *
cdup(struct slice s)
{
	char *p = malloc(s.len + 1);
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < s.len; i++)
		p[i] = s.p[i] != '\0' ? s.p[i] : ' ';
	p[s.len] = '\0';
	return p;
}

/* The Unicode policy on s, cut at LIM_MIME_HEADER_VALUE on a grapheme
 * boundary. */
static struct json_object *
clean(struct env *e, struct slice s)
{
	struct buf out;
	struct json_object *j;
	size_t n;

	if (s.len > LIM_MIME_HEADER_VALUE * 2)
		s.len = LIM_MIME_HEADER_VALUE * 2;
	buf_init(&out, s.len * ENV_GROWTH + 64);
	if (u8_sanitize(s, &out, &e->rep) != IG_OK)
		buf_reset(&out);
	n = u8_truncate_graphemes(out.p != NULL ? out.p : "", out.len, LIM_MIME_HEADER_VALUE);
	j = json_object_new_string_len(out.p != NULL ? out.p : "", (int)n);
	buf_free(&out);
	return j;
}

/* RFC 2047-decodes an unstructured value or phrase into out. */
static void
decode(struct env *e, struct slice raw, struct buf *out, const char *location)
{
	bool unknown = false;

	if (raw.len > LIM_MIME_HEADER_VALUE)
		raw.len = LIM_MIME_HEADER_VALUE;
	buf_init(out, LIM_MIME_HEADER_VALUE * ENV_GROWTH);
	mime_header_decode(raw, out, &unknown);
	if (unknown)
		warn_add(&e->w, "parse_charset_unknown", location, "encoded word");
}

static struct json_object *
text(struct env *e, struct slice raw, bool nil, const char *location)
{
	struct buf d;
	struct json_object *j;

	if (nil)
		return NULL;
	decode(e, raw, &d, location);
	j = clean(e, buf_slice(&d));
	buf_free(&d);
	return j;
}

/* A msg-id without its angle brackets (the form fetch_message uses). */
static struct json_object *
msgid(struct env *e, struct slice raw)
{
	const char *lt, *gt;

	raw = sl_trim_ows(raw);
	if (raw.len == 0)
		return NULL;
	lt = memchr(raw.p, '<', raw.len);
	gt = lt != NULL ? memchr(lt, '>', raw.len - (size_t)(lt - raw.p)) : NULL;
	if (lt != NULL && gt != NULL)
		raw = (struct slice){lt + 1, (size_t)(gt - lt - 1)};
	return clean(e, raw);
}

static struct json_object *
address(struct env *e, const struct imap_address *a, const char *location, bool names)
{
	struct json_object *o = json_object_new_object();
	struct buf name, addr;
	char *cname, *caddr;
	const char *at;

	if (o == NULL)
		return NULL;
	decode(e, a->name, &name, location);
	buf_init(&addr, 2 * LIM_MIME_HEADER_VALUE + 2);
	buf_append(&addr, a->mailbox.p, a->mailbox.len);
	if (!a->host_nil && a->host.len > 0) {
		buf_putc(&addr, '@');
		buf_append(&addr, a->host.p, a->host.len);
	}
	cname = cdup(buf_slice(&name));
	caddr = cdup(buf_slice(&addr));
	if (cname != NULL && caddr != NULL) {
		at = strrchr(caddr, '@');
		if (at != NULL && at[1] != '\0')
			look_domain(at + 1, e->known, e->n_known, location, &e->w);
		if (names && cname[0] != '\0')
			look_display_name(cname, caddr, location, &e->w);
	}
	free(cname);
	free(caddr);
	json_object_object_add(o, "name", clean(e, buf_slice(&name)));
	json_object_object_add(o, "address", clean(e, buf_slice(&addr)));
	buf_free(&name);
	buf_free(&addr);
	return o;
}

/* RFC 3501 group syntax: (NIL NIL "group" NIL) opens, (NIL NIL NIL NIL)
 * closes; neither is an address. */
static bool
is_group_marker(const struct imap_address *a)
{
	return a->host_nil;
}

static struct json_object *
addr_array(struct env *e, const struct imap_addr_list *l, const char *location)
{
	struct json_object *arr = json_object_new_array();
	size_t i, n = 0;

	for (i = 0; arr != NULL && i < l->n && n < LIM_MIME_ADDRESSES; i++) {
		if (is_group_marker(&l->a[i]))
			continue;
		json_object_array_add(arr, address(e, &l->a[i], location, false));
		n++;
	}
	return arr;
}

static struct json_object *
first_addr(struct env *e, const struct imap_addr_list *l, const char *location)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!is_group_marker(&l->a[i]))
			return address(e, &l->a[i], location, true);
	}
	return NULL;
}

bool
envelope_flag_ok(struct slice f)
{
	size_t i = 0;

	if (f.len > 0 && f.p[0] == '\\')
		i = 1;
	if (f.len <= i || f.len > LIM_IMAP_ARG)
		return false;
	for (; i < f.len; i++) {
		unsigned char c = (unsigned char)f.p[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

void
envelope_header_field(struct slice h, const char *name, struct buf *out)
{
	size_t nlen = strlen(name), i = 0;

	while (i < h.len) {
		size_t eol = i;

		while (eol < h.len && h.p[eol] != '\n')
			eol++;
		if (eol - i > nlen && h.p[i + nlen] == ':' &&
		    strncasecmp(h.p + i, name, nlen) == 0) {
			size_t a = i + nlen + 1;

			for (;;) {
				size_t b = eol;

				if (b > a && h.p[b - 1] == '\r')
					b--;
				buf_append(out, h.p + a, b - a);
				/* folded continuation lines start with SP or HTAB */
				if (eol + 1 >= h.len ||
				    (h.p[eol + 1] != ' ' && h.p[eol + 1] != '\t'))
					return;
				a = eol + 1;
				eol = a;
				while (eol < h.len && h.p[eol] != '\n')
					eol++;
			}
		}
		i = eol + 1;
	}
}

/* The <msg-id>s of a header value, without brackets, at most max. */
static struct json_object *
id_array(struct env *e, struct slice v, size_t max)
{
	struct json_object *a = json_object_new_array();
	size_t i = 0, n = 0;

	while (a != NULL && i < v.len && n < max) {
		const char *lt = memchr(v.p + i, '<', v.len - i);
		const char *gt;

		if (lt == NULL)
			break;
		gt = memchr(lt, '>', v.len - (size_t)(lt - v.p));
		if (gt == NULL)
			break;
		json_object_array_add(a, clean(e, (struct slice){lt + 1, (size_t)(gt - lt - 1)}));
		n++;
		i = (size_t)(gt - v.p) + 1;
	}
	return a;
}

static void
header_items(struct env *e, const struct imap_fetch *f, struct json_object *o)
{
	struct json_object *refs = NULL, *list = NULL;

	if (f->has_section && !f->section_nil && f->section.len >= 13 &&
	    strncasecmp(f->section.p, "HEADER.FIELDS", 13) == 0 &&
	    (f->section.len == 13 || f->section.p[13] == ' ')) {
		struct buf v;

		buf_init(&v, LIM_MIME_HEADER_VALUE);
		envelope_header_field(f->section_data, "References", &v);
		refs = id_array(e, buf_slice(&v), LIM_MIME_REFERENCES);
		buf_reset(&v);
		envelope_header_field(f->section_data, "List-Id", &v);
		if (v.len > 0) {
			struct json_object *ids = id_array(e, buf_slice(&v), 1);

			if (ids != NULL && json_object_array_length(ids) == 1)
				list = json_object_get(json_object_array_get_idx(ids, 0));
			json_object_put(ids);
		}
		buf_free(&v);
	}
	json_object_object_add(o, "references", refs != NULL ? refs : json_object_new_array());
	json_object_object_add(o, "list_id", list);
}

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool
digits(const char *p, size_t n, int *v_r)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*v_r = v;
	return true;
}

bool
envelope_internaldate_iso(struct slice s, char *out, size_t outsz)
{
	/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP
	 *             time SP zone DQUOTE; the parser removed the quotes. */
	char b[27];
	struct tm tm;
	int day, year, hh, mm, ss, zh, zm, mon = -1, i;
	long off;
	time_t t;

	out[0] = '\0';
	if (s.len != 26 || outsz < 21)
		return false;
	memcpy(b, s.p, 26);
	b[26] = '\0';
	if (b[2] != '-' || b[6] != '-' || b[11] != ' ' || b[14] != ':' || b[17] != ':' ||
	    b[20] != ' ' || (b[21] != '+' && b[21] != '-'))
		return false;
	for (i = 0; i < 12; i++) {
		if (strncasecmp(b + 3, months[i], 3) == 0)
			mon = i;
	}
	if (mon < 0 || !digits(b[0] == ' ' ? b + 1 : b, b[0] == ' ' ? 1 : 2, &day) ||
	    !digits(b + 7, 4, &year) || !digits(b + 12, 2, &hh) || !digits(b + 15, 2, &mm) ||
	    !digits(b + 18, 2, &ss) || !digits(b + 22, 2, &zh) || !digits(b + 24, 2, &zm))
		return false;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || zm > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	off = (long)zh * 3600 + (long)zm * 60;
	t -= b[21] == '-' ? -off : off;
	if (gmtime_r(&t, &tm) == NULL)
		return false;
	return strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
}

static bool
ci_eq(struct slice s, const char *lit)
{
	return s.len == strlen(lit) && strncasecmp(s.p, lit, s.len) == 0;
}

static bool
params_have_name(const struct imap_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ci_eq(p[i].name, "filename") || ci_eq(p[i].name, "filename*") ||
		    ci_eq(p[i].name, "name") || ci_eq(p[i].name, "name*"))
			return true;
	}
	return false;
}

bool
envelope_has_attachment(const struct imap_body *root)
{
	const struct imap_body *stack[64];
	size_t sp = 0, seen = 0, i;

	if (root == NULL)
		return false;
	stack[sp++] = root;
	while (sp > 0 && seen++ < LIM_IMAP_BODY_PARTS) {
		const struct imap_body *b = stack[--sp];
		bool multipart = ci_eq(b->type, "multipart");

		if (ci_eq(b->disposition, "attachment") ||
		    params_have_name(b->disp_params, b->n_disp_params) ||
		    params_have_name(b->params, b->n_params))
			return true;
		if (!multipart && b->n_kids == 0 && !ci_eq(b->type, "text"))
			return true;
		if (ci_eq(b->type, "message") && ci_eq(b->subtype, "rfc822"))
			return true;
		for (i = b->n_kids; i > 0; i--) {
			if (sp == sizeof(stack) / sizeof(stack[0]))
				break; /* deeper than LIM_IMAP_BODY_DEPTH allows anyway */
			stack[sp++] = &b->kids[i - 1];
		}
	}
	return false;
}

/* lookalike_reply_to_mismatch when the first Reply-To's organizational
 * domain differs from the first From's (content/lookalike.h), as the sync
 * engine records it for cached envelopes. */
static void
reply_to_check(struct env *e, const struct imap_envelope *ev)
{
	const struct imap_address *f, *r;
	char fa[LIM_LOOK_INPUT + 1], ra[LIM_LOOK_INPUT + 1];

	if (ev->reply_to.n == 0 || ev->from.n == 0)
		return;
	f = &ev->from.a[0];
	r = &ev->reply_to.a[0];
	if (f->host_nil || r->host_nil)
		return;
	(void)snprintf(fa, sizeof(fa), "%.*s@%.*s", (int)f->mailbox.len, f->mailbox.p,
	               (int)f->host.len, f->host.p);
	(void)snprintf(ra, sizeof(ra), "%.*s@%.*s", (int)r->mailbox.len, r->mailbox.p,
	               (int)r->host.len, r->host.p);
	look_reply_to(fa, ra, &e->w);
}

struct json_object *
envelope_json(const struct imap_fetch *f, const char *folder, const char *const *known,
              size_t n_known)
{
	struct json_object *o = json_object_new_object();
	struct json_object *flags = json_object_new_array();
	const struct imap_envelope *ev = f->envelope;
	struct env e;
	char iso[32];
	size_t i;

	if (o == NULL || flags == NULL) {
		json_object_put(o);
		json_object_put(flags);
		return NULL;
	}
	memset(&e, 0, sizeof(e));
	warn_list_init(&e.w);
	u8_report_init(&e.rep);
	e.known = known;
	e.n_known = n_known;
	json_object_object_add(o, "uid", json_object_new_int64(f->has_uid ? f->uid : 0));
	json_object_object_add(o, "folder", json_object_new_string(folder));
	if (ev != NULL) {
		json_object_object_add(o, "message_id", msgid(&e, ev->message_id));
		json_object_object_add(o, "in_reply_to", msgid(&e, ev->in_reply_to));
		json_object_object_add(
		    o, "subject", text(&e, ev->subject, ev->subject.len == 0, "header.subject"));
		json_object_object_add(o, "from", first_addr(&e, &ev->from, "header.from"));
		json_object_object_add(o, "to", addr_array(&e, &ev->to, "header.to"));
		json_object_object_add(o, "cc", addr_array(&e, &ev->cc, "header.cc"));
		json_object_object_add(o, "date", ev->date.len > 0 ? clean(&e, ev->date) : NULL);
	} else {
		json_object_object_add(o, "message_id", NULL);
		json_object_object_add(o, "in_reply_to", NULL);
		json_object_object_add(o, "subject", NULL);
		json_object_object_add(o, "from", NULL);
		json_object_object_add(o, "to", json_object_new_array());
		json_object_object_add(o, "cc", json_object_new_array());
		json_object_object_add(o, "date", NULL);
	}
	json_object_object_add(o, "internaldate",
	                       f->has_internaldate &&
	                               envelope_internaldate_iso(f->internaldate, iso, sizeof(iso))
	                           ? json_object_new_string(iso)
	                           : NULL);
	json_object_object_add(o, "size", json_object_new_int64(f->has_size ? f->size : 0));
	for (i = 0; i < f->n_flags; i++) {
		if (envelope_flag_ok(f->flags[i]))
			json_object_array_add(
			    flags, json_object_new_string_len(f->flags[i].p, (int)f->flags[i].len));
	}
	json_object_object_add(o, "flags", flags);
	header_items(&e, f, o);
	json_object_object_add(o, "has_attachment",
	                       json_object_new_boolean(envelope_has_attachment(f->body)));
	u8_report_warn(&e.rep, &e.w, "header");
	if (ev != NULL)
		reply_to_check(&e, ev);
	json_object_object_add(o, "security_warnings", warn_list_json(&e.w));
	warn_list_free(&e.w);
	u8_report_free(&e.rep);
	return o;
}

/* --- from a cache.db row --------------------------------------------------- */

static struct json_object *
row_text(struct slice s)
{
	return s.len > 0 ? json_object_new_string_len(s.p, (int)s.len) : NULL;
}

/* The first <id> of a stored (already sanitized) value, else the trimmed
 * value; null when empty. */
static struct json_object *
row_msgid(struct slice v)
{
	const char *lt, *gt;

	v = sl_trim_ows(v);
	if (v.len == 0)
		return NULL;
	lt = memchr(v.p, '<', v.len);
	gt = lt != NULL ? memchr(lt, '>', v.len - (size_t)(lt - v.p)) : NULL;
	if (lt != NULL && gt != NULL)
		v = (struct slice){lt + 1, (size_t)(gt - lt - 1)};
	return json_object_new_string_len(v.p, (int)v.len);
}

static struct json_object *
row_ids(struct slice v, size_t max)
{
	struct json_object *a = json_object_new_array();
	size_t i = 0, n = 0;

	while (a != NULL && i < v.len && n < max) {
		const char *lt = memchr(v.p + i, '<', v.len - i);
		const char *gt;

		if (lt == NULL)
			break;
		gt = memchr(lt, '>', v.len - (size_t)(lt - v.p));
		if (gt == NULL)
			break;
		json_object_array_add(a, json_object_new_string_len(lt + 1, (int)(gt - lt - 1)));
		n++;
		i = (size_t)(gt - v.p) + 1;
	}
	return a;
}

static bool
is_str(struct json_object *o, const char *key, bool null_ok)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	return json_object_is_type(v, json_type_string) || (null_ok && v == NULL);
}

/* A stored address array [{name: string|null, address}] reshaped as
 * [{name: string, address}]; *bad_r when it is not that. */
static struct json_object *
row_addrs(struct slice s, bool *bad_r)
{
	struct json_object *in = NULL;
	struct json_object *out = json_object_new_array();
	size_t i, n;

	if (json_parse_strict(s, &in, NULL) != IG_OK || !json_object_is_type(in, json_type_array)) {
		*bad_r = true;
		json_object_put(in);
		return out;
	}
	n = json_object_array_length(in);
	for (i = 0; out != NULL && i < n; i++) {
		struct json_object *a = json_object_array_get_idx(in, i);
		struct json_object *o, *name, *addr;

		if (!json_object_is_type(a, json_type_object) || !is_str(a, "address", false) ||
		    !is_str(a, "name", true)) {
			*bad_r = true;
			break;
		}
		(void)json_object_object_get_ex(a, "name", &name);
		(void)json_object_object_get_ex(a, "address", &addr);
		o = json_object_new_object();
		if (o == NULL)
			break;
		json_object_object_add(
		    o, "name", name != NULL ? json_object_get(name) : json_object_new_string(""));
		json_object_object_add(o, "address", json_object_get(addr));
		json_object_array_add(out, o);
	}
	json_object_put(in);
	return out;
}

/* Stored warnings [{code, detail, location}] (strings), as they are. */
static struct json_object *
row_warnings(struct slice s, bool *bad_r)
{
	struct json_object *w = NULL;
	size_t i, n;

	if (json_parse_strict(s, &w, NULL) != IG_OK || !json_object_is_type(w, json_type_array)) {
		*bad_r = true;
		json_object_put(w);
		return json_object_new_array();
	}
	n = json_object_array_length(w);
	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(w, i);

		if (!json_object_is_type(x, json_type_object) || !is_str(x, "code", false) ||
		    !is_str(x, "detail", false) || !is_str(x, "location", false)) {
			*bad_r = true;
			json_object_put(w);
			return json_object_new_array();
		}
	}
	return w;
}

struct json_object *
envelope_json_cached(const struct cache_msg *m, const char *folder, bool *bad_r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *flags = json_object_new_array();
	struct json_object *from, *list = NULL;
	char iso[32];
	time_t t = (time_t)m->internaldate;
	struct tm tm;
	size_t i = 0;

	if (o == NULL || flags == NULL) {
		json_object_put(o);
		json_object_put(flags);
		return NULL;
	}
	json_object_object_add(o, "uid", json_object_new_int64(m->uid));
	json_object_object_add(o, "folder", json_object_new_string(folder));
	json_object_object_add(o, "message_id", row_msgid(m->message_id));
	json_object_object_add(o, "in_reply_to", row_msgid(m->in_reply_to));
	json_object_object_add(o, "subject", row_text(m->subject));
	from = row_addrs(m->from_json, bad_r);
	json_object_object_add(o, "from",
	                       json_object_array_length(from) > 0
	                           ? json_object_get(json_object_array_get_idx(from, 0))
	                           : NULL);
	json_object_put(from);
	json_object_object_add(o, "to", row_addrs(m->to_json, bad_r));
	json_object_object_add(o, "cc", row_addrs(m->cc_json, bad_r));
	json_object_object_add(o, "date", row_text(m->date));
	json_object_object_add(o, "internaldate",
	                       m->internaldate > 0 && gmtime_r(&t, &tm) != NULL &&
	                               strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0
	                           ? json_object_new_string(iso)
	                           : NULL);
	json_object_object_add(o, "size", json_object_new_int64(m->size));
	while (i < m->flags.len) {
		size_t j = i;

		while (j < m->flags.len && m->flags.p[j] != ' ')
			j++;
		if (j > i && envelope_flag_ok((struct slice){m->flags.p + i, j - i}))
			json_object_array_add(
			    flags, json_object_new_string_len(m->flags.p + i, (int)(j - i)));
		i = j + 1;
	}
	json_object_object_add(o, "flags", flags);
	json_object_object_add(o, "references", row_ids(m->references, LIM_MIME_REFERENCES));
	if (m->list_id.len > 0) {
		struct json_object *ids = row_ids(m->list_id, 1);

		if (ids != NULL && json_object_array_length(ids) == 1)
			list = json_object_get(json_object_array_get_idx(ids, 0));
		json_object_put(ids);
	}
	json_object_object_add(o, "list_id", list);
	json_object_object_add(o, "has_attachment", json_object_new_boolean(m->has_attachment));
	json_object_object_add(o, "security_warnings", row_warnings(m->warnings_json, bad_r));
	return o;
}
