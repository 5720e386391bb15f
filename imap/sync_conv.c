/* The envelope conversion of the sync engine (imap/sync.h sync_conv_*,
 * the one sanitizer of envelope text) and the INTERNALDATE parser: a parsed
 * FETCH response (RFC 3501 §7.4.2 ENVELOPE, FLAGS, INTERNALDATE,
 * RFC822.SIZE, BODYSTRUCTURE; RFC 7162 MODSEQ; the References / List-Id
 * header fields) as a cache.db row with its security warnings. Pure: no
 * cache, no connection, any thread. */
#include "imap/sync.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "content/lookalike.h"
#include "content/mime.h"
#include "content/unicode.h"
#include "content/warn.h"
#include "imap/parse.h"
#include "imap/sync_int.h"

/* ---- INTERNALDATE ----------------------------------------------------------- */

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe;
	unsigned doy;
	unsigned doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *p, size_t n, unsigned *v_r)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*v_r = v;
	return true;
}

bool
sync_internaldate_parse(struct slice s, int64_t *t_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char buf[32];
	unsigned d, mon = 0, y, hh, mm, ss, zh, zm;
	const char *p;
	size_t k;

	/* "dd-Mon-yyyy hh:mm:ss +zzzz", day may be space-padded or 1 digit */
	if (s.len < 25 || s.len > 26)
		return false;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	p = buf;
	if (s.len == 25) {
		if (p[0] == ' ')
			return false;
		if (!digits(p, 1, &d))
			return false;
		p += 1;
	} else {
		if (!digits(p[0] == ' ' ? p + 1 : p, p[0] == ' ' ? 1 : 2, &d))
			return false;
		p += 2;
	}
	if (p[0] != '-' || p[4] != '-' || p[9] != ' ' || p[12] != ':' || p[15] != ':' ||
	    p[18] != ' ' || (p[19] != '+' && p[19] != '-'))
		return false;
	for (k = 0; k < 12; k++)
		if (strncasecmp(p + 1, months + 3 * k, 3) == 0)
			mon = (unsigned)k + 1;
	if (mon == 0 || !digits(p + 5, 4, &y) || !digits(p + 10, 2, &hh) ||
	    !digits(p + 13, 2, &mm) || !digits(p + 16, 2, &ss) || !digits(p + 20, 2, &zh) ||
	    !digits(p + 22, 2, &zm) || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 ||
	    zm > 59)
		return false;
	*t_r = days_from_civil(y, mon, d) * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss -
	       (p[19] == '-' ? -1 : 1) * ((int64_t)zh * 3600 + (int64_t)zm * 60);
	return true;
}


/* ---- envelope conversion ---------------------------------------------------- */

enum {
	T_SUBJECT,
	T_DATE,
	T_FROM,
	T_TO,
	T_CC,
	T_MSGID,
	T_IRT,
	T_REFS,
	T_LIST,
	T_FLAGS,
	T_TMP,
	T_TMP2,
};

void
sync_conv_init(struct sync_conv *v)
{
	size_t i;

	for (i = 0; i < 12; i++)
		buf_init(&v->t[i], LIM_CACHE_TEXT);
	warn_list_init(&v->w);
	memset(v->addr, 0, sizeof(v->addr));
	memset(v->json, 0, sizeof(v->json));
}

void
sync_conv_reset(struct sync_conv *v)
{
	size_t i;

	for (i = 0; i < 12; i++)
		buf_reset(&v->t[i]);
	warn_list_free(&v->w);
	warn_list_init(&v->w);
	for (i = 0; i < 3; i++) {
		json_object_put(v->addr[i]);
		v->addr[i] = NULL;
	}
	for (i = 0; i < 4; i++) {
		free(v->json[i]);
		v->json[i] = NULL;
	}
}

void
sync_conv_fini(struct sync_conv *v)
{
	size_t i;

	sync_conv_reset(v);
	for (i = 0; i < 12; i++)
		buf_free(&v->t[i]);
	warn_list_free(&v->w);
}

/* Sanitized text of untrusted bytes (RFC 2047 decoded first when decode is
 * the warning location), cut on a grapheme boundary at max bytes, appended
 * to out. This is the only sanitizer of envelope text: search and get_thread
 * both show what it produces (handlers/envelope.c only reshapes it). prose:
 * human text (subject, display names), where right-to-left marks in
 * right-to-left text are kept as content/msg.c keeps them (u8_sanitize_text);
 * identifiers and addresses stay strict. */
static void
clean(struct sync_conv *v, struct slice raw, const char *decode, size_t max, bool prose,
      struct buf *out, struct u8_report *rep)
{
	struct buf *tmp = &v->t[T_TMP];
	struct slice in = raw;
	size_t start = out->len;
	size_t cut;

	if (in.len > LIM_MIME_HEADER_VALUE)
		in.len = LIM_MIME_HEADER_VALUE;
	buf_reset(tmp);
	if (decode != NULL) {
		bool unknown = false;

		mime_header_decode(in, tmp, &unknown);
		if (unknown)
			warn_add(&v->w, "parse_charset_unknown", decode, "%s", "encoded word");
		in = buf_slice(tmp);
	}
	if ((prose ? u8_sanitize_text(in, out, rep) : u8_sanitize(in, out, rep)) != IG_OK) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
		return;
	}
	cut = u8_truncate_graphemes(out->p + start, out->len - start, max);
	out->len = start + cut;
	if (out->p != NULL)
		out->p[out->len] = '\0';
}

static void
cstr_cap(char *dst, size_t cap, struct slice s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.p != NULL ? s.p : "", n);
	dst[n] = '\0';
}

static void
conv_addrs(struct sync_conv *v, const struct imap_addr_list *l, const char *loc,
	   bool names, int which, struct buf *text, struct u8_report *rep)
{
	struct json_object *arr = json_object_new_array();
	struct buf name;
	struct buf addr;
	size_t i;
	size_t kept = 0;

	buf_init(&name, LIM_MIME_HEADER_VALUE * 4);
	buf_init(&addr, LIM_MIME_HEADER_VALUE * 4);
	for (i = 0; i < l->n && kept < LIM_MIME_ADDRESSES; i++) {
		const struct imap_address *a = &l->a[i];
		struct json_object *o;
		char host[LIM_LOOK_INPUT + 1];

		if (a->host_nil) /* RFC 3501 group syntax markers */
			continue;
		buf_reset(&name);
		buf_reset(&addr);
		buf_puts(&name, "");
		buf_puts(&addr, "");
		if (!a->name_nil)
			clean(v, a->name, loc, 256, true, &name, rep);
		buf_reset(&v->t[T_TMP2]);
		buf_append(&v->t[T_TMP2], a->mailbox.p, a->mailbox.len);
		buf_putc(&v->t[T_TMP2], '@');
		buf_append(&v->t[T_TMP2], a->host.p, a->host.len);
		cstr_cap(host, sizeof(host), a->host);
		look_domain(host, v->known, v->n_known, loc, &v->w);
		clean(v, buf_slice(&v->t[T_TMP2]), NULL, 512, false, &addr, rep);
		if (names && name.len > 0)
			look_display_name(name.p, addr.p, loc, &v->w);
		o = json_object_new_object();
		json_object_object_add(o, "name", name.len > 0 ? json_object_new_string_len(
									 name.p, (int)name.len)
							       : NULL);
		json_object_object_add(o, "address",
				       json_object_new_string_len(addr.p, (int)addr.len));
		json_object_array_add(arr, o);
		if (kept > 0)
			buf_puts(text, ", ");
		if (name.len > 0) {
			buf_append(text, name.p, name.len);
			buf_puts(text, " <");
			buf_append(text, addr.p, addr.len);
			buf_putc(text, '>');
		} else {
			buf_append(text, addr.p, addr.len);
		}
		kept++;
	}
	buf_puts(text, "");
	buf_free(&name);
	buf_free(&addr);
	v->addr[which] = arr;
}

/* Finds a header field in a raw header block (folded lines joined). */
static void
header_field(struct slice hdr, const char *field, struct buf *out)
{
	size_t flen = strlen(field);
	size_t i = 0;

	while (i < hdr.len) {
		size_t eol = i;

		while (eol < hdr.len && hdr.p[eol] != '\n')
			eol++;
		if (eol - i > flen && strncasecmp(hdr.p + i, field, flen) == 0 &&
		    hdr.p[i + flen] == ':') {
			size_t j = i + flen + 1;

			for (;;) {
				size_t end = eol;

				if (end > j && hdr.p[end - 1] == '\r')
					end--;
				buf_append(out, hdr.p + j, end - j);
				if (eol + 1 < hdr.len && (hdr.p[eol + 1] == ' ' || hdr.p[eol + 1] == '\t')) {
					j = eol + 1;
					eol = j;
					while (eol < hdr.len && hdr.p[eol] != '\n')
						eol++;
					continue;
				}
				break;
			}
			return;
		}
		i = eol + 1;
	}
}

static bool
sl_ieq(struct slice a, const char *b)
{
	size_t n = strlen(b);

	return a.len == n && strncasecmp(a.p, b, n) == 0;
}

/* Recursion bounded by LIM_IMAP_BODY_DEPTH, checked on entry. */
static bool /* NOLINTNEXTLINE(misc-no-recursion) */
body_has_attachment(const struct imap_body *b, unsigned depth)
{
	size_t i;

	if (b == NULL || depth > LIM_IMAP_BODY_DEPTH)
		return false;
	if (sl_ieq(b->type, "MULTIPART")) {
		for (i = 0; i < b->n_kids; i++)
			if (body_has_attachment(&b->kids[i], depth + 1))
				return true;
		return false;
	}
	if (sl_ieq(b->disposition, "attachment"))
		return true;
	for (i = 0; i < b->n_disp_params; i++)
		if (sl_ieq(b->disp_params[i].name, "filename"))
			return true;
	if (!sl_ieq(b->type, "TEXT"))
		for (i = 0; i < b->n_params; i++)
			if (sl_ieq(b->params[i].name, "name"))
				return true;
	return false;
}

static char *
json_take(struct json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

/* (sync_int.h) */
void
sync_flags_text(const struct imap_fetch *f, struct buf *out)
{
	size_t i;

	for (i = 0; f->has_flags && i < f->n_flags && i < 64; i++) {
		struct slice fl = f->flags[i];
		size_t j;
		bool ok = fl.len > 0 && fl.len <= 128;

		for (j = 0; ok && j < fl.len; j++)
			ok = fl.p[j] > 0x20 && fl.p[j] < 0x7f;
		if (!ok)
			continue;
		if (out->len > 0)
			buf_putc(out, ' ');
		buf_append(out, fl.p, fl.len);
	}
}

struct sync_conv *
sync_conv_new(void)
{
	struct sync_conv *v = malloc(sizeof(*v));

	if (v != NULL)
		sync_conv_init(v);
	return v;
}

void
sync_conv_free(struct sync_conv *v)
{
	if (v == NULL)
		return;
	sync_conv_fini(v);
	free(v);
}

enum ig_err
sync_conv_fetch(struct sync_conv *v, const struct imap_fetch *f, uint32_t uidvalidity,
		const char *const *known, size_t n_known, struct cache_msg *m)
{
	const struct imap_envelope *e = f->envelope;
	struct u8_report rep;
	struct imap_envelope none;
	int k;

	sync_conv_reset(v);
	memset(m, 0, sizeof(*m));
	if (e == NULL && !f->over_limit)
		return IG_EINVAL;
	if (f->over_limit) {
		/* one message over a parser limit: a placeholder row, so the
		 * folder, the page and the sync go on and the message can
		 * still be found (by date, size, flags) and moved */
		warn_add(&v->w, "envelope_over_limit", "envelope", "%s",
			 e == NULL      ? "not read: over a size limit"
			 : f->body == NULL ? "structure over a limit: has_attachment unknown"
					   : "address list cut at the limit");
		if (e == NULL) {
			memset(&none, 0, sizeof(none));
			e = &none;
		}
	}
	v->known = n_known > 0 ? known : NULL;
	v->n_known = v->known != NULL ? n_known : 0;
	m->uidvalidity = uidvalidity;
	m->uid = f->has_uid ? f->uid : 0;
	m->modseq = f->has_modseq ? f->modseq : 0;
	if (m->modseq > INT64_MAX)
		m->modseq = 0;
	if (!f->has_internaldate || !sync_internaldate_parse(f->internaldate, &m->internaldate))
		m->internaldate = 0;
	m->size = f->has_size ? f->size : 0;
	sync_flags_text(f, &v->t[T_FLAGS]);
	/* one Unicode report for every string, reported once after the
	 * look-alike findings */
	u8_report_init(&rep);
	clean(v, e->subject, "header.subject", LIM_CACHE_SUBJECT, true, &v->t[T_SUBJECT], &rep);
	clean(v, e->date, NULL, 128, false, &v->t[T_DATE], &rep);
	clean(v, e->message_id, NULL, 998, false, &v->t[T_MSGID], &rep);
	clean(v, e->in_reply_to, NULL, (size_t)998 * 4, false, &v->t[T_IRT], &rep);
	if (f->has_section && !f->section_nil) {
		struct buf *tmp2 = &v->t[T_TMP2];

		buf_reset(tmp2);
		header_field(f->section_data, "References", tmp2);
		if (tmp2->len > 0) {
			struct buf copy;

			buf_init(&copy, LIM_MIME_HEADER_VALUE);
			buf_append(&copy, tmp2->p, tmp2->len);
			clean(v, buf_slice(&copy), NULL, LIM_MIME_HEADER_VALUE, false, &v->t[T_REFS], &rep);
			buf_reset(&copy);
			buf_reset(tmp2);
			header_field(f->section_data, "List-Id", tmp2);
			buf_append(&copy, tmp2->p, tmp2->len);
			clean(v, buf_slice(&copy), NULL, 512, false, &v->t[T_LIST], &rep);
			buf_free(&copy);
		} else {
			struct buf copy;

			buf_init(&copy, LIM_MIME_HEADER_VALUE);
			header_field(f->section_data, "List-Id", &copy);
			clean(v, buf_slice(&copy), NULL, 512, false, &v->t[T_LIST], &rep);
			buf_free(&copy);
		}
	}
	conv_addrs(v, &e->from, "header.from", true, 0, &v->t[T_FROM], &rep);
	conv_addrs(v, &e->to, "header.to", false, 1, &v->t[T_TO], &rep);
	conv_addrs(v, &e->cc, "header.cc", false, 2, &v->t[T_CC], &rep);
	u8_report_warn(&rep, &v->w, "header");
	u8_report_free(&rep);
	if (e->reply_to.n > 0 && e->from.n > 0 && !e->reply_to.a[0].host_nil &&
	    !e->from.a[0].host_nil) {
		char fa[LIM_LOOK_INPUT + 1];
		char ra[LIM_LOOK_INPUT + 1];
		struct buf t;

		buf_init(&t, LIM_LOOK_INPUT);
		buf_append(&t, e->from.a[0].mailbox.p, e->from.a[0].mailbox.len);
		buf_putc(&t, '@');
		buf_append(&t, e->from.a[0].host.p, e->from.a[0].host.len);
		cstr_cap(fa, sizeof(fa), buf_slice(&t));
		buf_reset(&t);
		buf_append(&t, e->reply_to.a[0].mailbox.p, e->reply_to.a[0].mailbox.len);
		buf_putc(&t, '@');
		buf_append(&t, e->reply_to.a[0].host.p, e->reply_to.a[0].host.len);
		cstr_cap(ra, sizeof(ra), buf_slice(&t));
		buf_free(&t);
		look_reply_to(fa, ra, &v->w);
	}
	m->has_attachment = body_has_attachment(f->body, 0);
	for (k = 0; k < 3; k++)
		v->json[k] = json_take(v->addr[k]);
	memset(v->addr, 0, sizeof(v->addr));
	v->json[3] = json_take(warn_list_json(&v->w));
	for (k = 0; k < 12; k++)
		if (buf_err(&v->t[k]) != IG_OK)
			return buf_err(&v->t[k]);
	if (v->json[0] == NULL || v->json[1] == NULL || v->json[2] == NULL || v->json[3] == NULL)
		return IG_ENOMEM;
	for (k = 0; k < 12; k++)
		buf_puts(&v->t[k], ""); /* never a NULL pointer */
	m->flags = buf_slice(&v->t[T_FLAGS]);
	m->date = buf_slice(&v->t[T_DATE]);
	m->subject = buf_slice(&v->t[T_SUBJECT]);
	m->from_text = buf_slice(&v->t[T_FROM]);
	m->to_text = buf_slice(&v->t[T_TO]);
	m->cc_text = buf_slice(&v->t[T_CC]);
	m->message_id = buf_slice(&v->t[T_MSGID]);
	m->in_reply_to = buf_slice(&v->t[T_IRT]);
	m->references = buf_slice(&v->t[T_REFS]);
	m->list_id = buf_slice(&v->t[T_LIST]);
	m->from_json = sl_from_cstr(v->json[0]);
	m->to_json = sl_from_cstr(v->json[1]);
	m->cc_json = sl_from_cstr(v->json[2]);
	m->warnings_json = sl_from_cstr(v->json[3]);
	return IG_OK;
}
