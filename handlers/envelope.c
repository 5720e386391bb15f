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

static struct json_object *
warnings(const struct warn_list *w)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < w->n; i++) {
		struct json_object *o = json_object_new_object();

		if (o == NULL)
			break;
		json_object_object_add(o, "code", json_object_new_string(w->items[i].code));
		json_object_object_add(o, "detail", json_object_new_string(w->items[i].detail));
		json_object_object_add(o, "location", json_object_new_string(w->items[i].location));
		json_object_array_add(a, o);
	}
	return a;
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
		json_object_object_add(o, "subject",
				       text(&e, ev->subject, ev->subject.len == 0, "header.subject"));
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
					       envelope_internaldate_iso(f->internaldate, iso,
									 sizeof(iso))
				       ? json_object_new_string(iso)
				       : NULL);
	json_object_object_add(o, "size", json_object_new_int64(f->has_size ? f->size : 0));
	for (i = 0; i < f->n_flags; i++) {
		if (envelope_flag_ok(f->flags[i]))
			json_object_array_add(flags, json_object_new_string_len(
							     f->flags[i].p, (int)f->flags[i].len));
	}
	json_object_object_add(o, "flags", flags);
	json_object_object_add(o, "has_attachment",
			       json_object_new_boolean(envelope_has_attachment(f->body)));
	u8_report_warn(&e.rep, &e.w, "header");
	json_object_object_add(o, "security_warnings", warnings(&e.w));
	warn_list_free(&e.w);
	u8_report_free(&e.rep);
	return o;
}
