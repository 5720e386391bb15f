/* The sync engine (imap/sync.h; DESIGN §7, §13).
 *
 * RFC 3501 (UID FETCH, SEARCH, EXAMINE), RFC 4731 (ESEARCH), RFC 7162
 * (CONDSTORE: MODSEQ, CHANGEDSINCE, HIGHESTMODSEQ; QRESYNC: VANISHED).
 *
 * Crash safety comes from the transaction boundaries: an initial-sync batch
 * commits its rows together with the folder's sync_uid, and a delta commits
 * its rows together with uidnext/highestmodseq, so a kill -9 leaves the
 * folder at the last committed state and the next run redoes the rest (rows
 * are upserts keyed by uid: redoing never duplicates).
 *
 * The initial sync keeps the HIGHESTMODSEQ seen when it started, not the one
 * at its end: changes to messages already fetched while later batches were
 * still running are then picked up by the first CHANGEDSINCE delta. */
#include "imap/sync.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "store/audit.h"
#include "base/utf8.h"
#include "content/lookalike.h"
#include "content/mime.h"
#include "content/msg.h"
#include "content/unicode.h"
#include "content/warn.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/tls.h"
#include "imap/worker.h"

#define FETCH_ITEMS_BASE                                                                  \
	"UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE"                       \
	" BODY.PEEK[HEADER.FIELDS (REFERENCES LIST-ID)]"
#define FETCH_ITEMS "(" FETCH_ITEMS_BASE ")"
#define FETCH_ITEMS_MODSEQ "(" FETCH_ITEMS_BASE " MODSEQ)"
/* what a message over a parser limit is still fetched with */
#define SAFE_ITEMS "(UID FLAGS INTERNALDATE RFC822.SIZE)"
#define SAFE_ITEMS_MODSEQ "(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ)"
#define BODY_BATCH 5 /* small: a tool call waits at most one batch */

struct sync {
	struct sync_opts o;
	struct cache *cache;
	bool cache_failed;   /* open failed: serve from IMAP only */
	int64_t retry_at_ms; /* idle sync paused until */
	bool idle_done;      /* every warm folder synced (and bodies indexed) */
	bool warm_listed;
	char **warm;
	size_t n_warm;
	struct wk *yield_w;  /* idle: stop between batches when a job waits */
	unsigned cache_gen;
	/* flag check (flag_check): folder ids compared with the server since
	 * the start or the last rolling pass, and when the next pass is due */
	int64_t *checked;
	size_t n_checked;
	int64_t check_at_ms;
};

/* ---- small parsers ------------------------------------------------------- */

bool
sync_uidset_parse(struct slice set, size_t max, void (*fn)(void *ctx, uint32_t first, uint32_t last),
		  void *ctx)
{
	size_t i = 0;
	size_t n = 0;

	if (set.len == 0)
		return false;
	while (i < set.len) {
		uint32_t a = 0;
		uint32_t b;
		size_t start = i;

		while (i < set.len && set.p[i] >= '0' && set.p[i] <= '9')
			i++;
		if (!imap_parse_u32((struct slice){set.p + start, i - start}, &a) || a == 0)
			return false;
		b = a;
		if (i < set.len && set.p[i] == ':') {
			start = ++i;
			while (i < set.len && set.p[i] >= '0' && set.p[i] <= '9')
				i++;
			if (!imap_parse_u32((struct slice){set.p + start, i - start}, &b) || b == 0)
				return false;
		}
		if (i < set.len) {
			if (set.p[i] != ',' || i + 1 == set.len)
				return false;
			i++;
		}
		if (++n > max)
			return false;
		fn(ctx, a < b ? a : b, a < b ? b : a);
	}
	return true;
}

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
	*t_r = days_from_civil(y, mon, d) * 86400 + hh * 3600 + mm * 60 + ss -
	       (p[19] == '-' ? -1 : 1) * (int64_t)(zh * 3600 + zm * 60);
	return true;
}

/* ---- envelope conversion ---------------------------------------------------- */

struct sync_conv {
	struct buf t[12];
	struct warn_list w;
	struct json_object *addr[3];
	char *json[4];
	const char *const *known; /* look-alike domains of the conversion running */
	size_t n_known;
};

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

static void
conv_init(struct sync_conv *v)
{
	size_t i;

	for (i = 0; i < 12; i++)
		buf_init(&v->t[i], LIM_CACHE_TEXT);
	warn_list_init(&v->w);
	memset(v->addr, 0, sizeof(v->addr));
	memset(v->json, 0, sizeof(v->json));
}

static void
conv_reset(struct sync_conv *v)
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

static void
conv_free(struct sync_conv *v)
{
	size_t i;

	conv_reset(v);
	for (i = 0; i < 12; i++)
		buf_free(&v->t[i]);
	warn_list_free(&v->w);
}

/* Sanitized text of untrusted bytes (RFC 2047 decoded first when decode is
 * the warning location), cut on a grapheme boundary at max bytes, appended
 * to out. This is the only sanitizer of envelope text: search and get_thread
 * both show what it produces (handlers/envelope.c only reshapes it). */
static void
clean(struct sync_conv *v, struct slice raw, const char *decode, size_t max, struct buf *out,
      struct u8_report *rep)
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
	if (u8_sanitize(in, out, rep) != IG_OK) {
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
			clean(v, a->name, loc, 256, &name, rep);
		buf_reset(&v->t[T_TMP2]);
		buf_append(&v->t[T_TMP2], a->mailbox.p, a->mailbox.len);
		buf_putc(&v->t[T_TMP2], '@');
		buf_append(&v->t[T_TMP2], a->host.p, a->host.len);
		cstr_cap(host, sizeof(host), a->host);
		look_domain(host, v->known, v->n_known, loc, &v->w);
		clean(v, buf_slice(&v->t[T_TMP2]), NULL, 512, &addr, rep);
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

static bool
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

/* The FETCH's flags as the cache keeps them: at most 64, each printable
 * ASCII of at most 128 bytes, space-separated (appended to out). */
static void
flags_text(const struct imap_fetch *f, struct buf *out)
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
		conv_init(v);
	return v;
}

void
sync_conv_free(struct sync_conv *v)
{
	if (v == NULL)
		return;
	conv_free(v);
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

	conv_reset(v);
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
	flags_text(f, &v->t[T_FLAGS]);
	/* one Unicode report for every string, reported once after the
	 * look-alike findings */
	u8_report_init(&rep);
	clean(v, e->subject, "header.subject", LIM_CACHE_SUBJECT, &v->t[T_SUBJECT], &rep);
	clean(v, e->date, NULL, 128, &v->t[T_DATE], &rep);
	clean(v, e->message_id, NULL, 998, &v->t[T_MSGID], &rep);
	clean(v, e->in_reply_to, NULL, 998 * 4, &v->t[T_IRT], &rep);
	if (f->has_section && !f->section_nil) {
		struct buf *tmp2 = &v->t[T_TMP2];

		buf_reset(tmp2);
		header_field(f->section_data, "References", tmp2);
		if (tmp2->len > 0) {
			struct buf copy;

			buf_init(&copy, LIM_MIME_HEADER_VALUE);
			buf_append(&copy, tmp2->p, tmp2->len);
			clean(v, buf_slice(&copy), NULL, LIM_MIME_HEADER_VALUE, &v->t[T_REFS], &rep);
			buf_reset(&copy);
			buf_reset(tmp2);
			header_field(f->section_data, "List-Id", tmp2);
			buf_append(&copy, tmp2->p, tmp2->len);
			clean(v, buf_slice(&copy), NULL, 512, &v->t[T_LIST], &rep);
			buf_free(&copy);
		} else {
			struct buf copy;

			buf_init(&copy, LIM_MIME_HEADER_VALUE);
			header_field(f->section_data, "List-Id", &copy);
			clean(v, buf_slice(&copy), NULL, 512, &v->t[T_LIST], &rep);
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

/* One FETCH as a cache row (slices into v). False when the response lacks
 * what the cache needs (UID, ENVELOPE, INTERNALDATE; an over-limit message
 * needs only its UID) or a buffer failed. */
static bool
conv_fetch(struct sync *s, struct sync_conv *v, const struct imap_fetch *f, uint32_t uidvalidity,
	   struct cache_msg *m)
{
	if (!f->has_uid || f->uid == 0 ||
	    (!f->over_limit && (f->envelope == NULL || !f->has_internaldate)))
		return false;
	return sync_conv_fetch(v, f, uidvalidity, s != NULL ? s->o.known_domains : NULL,
			       s != NULL ? s->o.n_known_domains : 0, m) == IG_OK;
}

/* ---- UID lists ------------------------------------------------------------- */

struct uids {
	uint32_t *v;
	size_t n, cap, max;
	bool over;
};

static void
uids_add(struct uids *u, uint32_t x)
{
	if (u->n == u->cap) {
		uint32_t *nv;

		if (u->n >= u->max) {
			u->over = true;
			return;
		}
		u->cap = u->cap == 0 ? 256 : u->cap * 2;
		if (u->cap > u->max)
			u->cap = u->max;
		nv = realloc(u->v, u->cap * sizeof(*nv));
		if (nv == NULL) {
			u->over = true;
			return;
		}
		u->v = nv;
	}
	u->v[u->n++] = x;
}

static void
uids_range(void *ctx, uint32_t a, uint32_t b)
{
	struct uids *u = ctx;
	uint64_t x;

	for (x = a; x <= b && !u->over; x++)
		uids_add(u, (uint32_t)x);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static enum ig_err
on_search(void *ctx, const struct imap_resp *r)
{
	struct uids *u = ctx;
	size_t i;

	if (r->type == IMAP_U_SEARCH) {
		for (i = 0; i < r->u.search.n; i++)
			uids_add(u, r->u.search.nums[i]);
	} else if (r->type == IMAP_U_ESEARCH && r->u.esearch.all.len > 0) {
		if (!sync_uidset_parse(r->u.esearch.all, u->max, uids_range, u))
			return IG_EINVAL;
	}
	return u->over ? IG_ELIMIT : IG_OK;
}

/* Runs a UID SEARCH command the caller built (criteria appended); result
 * sorted ascending, deduplicated. */
enum imap_fail
sync_uid_search(struct imap_cmd *cmd, size_t max, uint32_t **uids_r, size_t *n_r,
		struct imap_error *err)
{
	struct uids u = {.max = max};
	enum imap_fail f;
	size_t i;
	size_t k = 0;

	f = imap_cmd_run(cmd, on_search, &u, NULL, err);
	imap_cmd_free(cmd);
	if (f != IMAP_FAIL_NONE) {
		free(u.v);
		return f;
	}
	if (u.n > 1)
		qsort(u.v, u.n, sizeof(*u.v), cmp_u32);
	for (i = 0; i < u.n; i++)
		if (k == 0 || u.v[i] != u.v[k - 1])
			u.v[k++] = u.v[i];
	*uids_r = u.v;
	*n_r = k;
	return IMAP_FAIL_NONE;
}

static void
search_begin(struct imap_cmd *cmd, struct imap_conn *c)
{
	imap_cmd_init(cmd, c, "UID SEARCH");
	if (imap_conn_has_cap(c, "ESEARCH"))
		imap_cmd_atom(cmd, "RETURN (ALL)");
}

/* Appends uids[i..j) as a compact UID set. */
static void
uidset_build(struct buf *b, const uint32_t *uids, size_t n)
{
	size_t i = 0;

	buf_reset(b);
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (b->len > 0)
			buf_putc(b, ',');
		if (j > i)
			buf_appendf(b, "%u:%u", uids[i], uids[j]);
		else
			buf_appendf(b, "%u", uids[i]);
		i = j + 1;
	}
}

/* ---- fetch into the cache ----------------------------------------------- */

struct fetch_ctx {
	struct sync *s;
	struct cache *cache;
	int64_t folder_id;
	uint32_t uidvalidity;
	uint32_t min_uid; /* ignore FETCH of lower UIDs ("n:*" returns the last) */
	struct sync_conv v;
	bool cache_err;
	size_t stored;
	/* sync_fetch_envelopes */
	void (*fn)(void *ctx, const struct cache_msg *m);
	void *fn_ctx;
	/* initial sync: commit every LIM_SYNC_BATCH rows inside the stream
	 * (with sync_uid) while the answers keep ascending */
	struct cache_folder *f;
	uint32_t last_uid;
	bool unordered;
	size_t since_commit;
	/* over-limit responses dropped unread: their UIDs, fetched again
	 * with SAFE_ITEMS for a placeholder row (refetch()) */
	struct uids refetch;
	bool safe; /* answers to that second fetch */
};

/* Inside an initial-sync UID FETCH, after the row of uid: with every
 * answer so far in ascending UID order, each requested UID <= uid was
 * answered or no longer exists, so uid may become sync_uid. Commits and
 * opens the next transaction. */
static void
stream_commit(struct fetch_ctx *x, uint32_t uid)
{
	if (uid <= x->last_uid)
		x->unordered = true;
	x->last_uid = uid;
	if (++x->since_commit < LIM_SYNC_BATCH || x->unordered || x->cache_err)
		return;
	x->since_commit = 0;
	x->f->sync_uid = uid;
	if (cache_folder_put(x->cache, x->f) != IG_OK || cache_commit(x->cache) != IG_OK ||
	    cache_begin(x->cache) != IG_OK)
		x->cache_err = true;
}

static void
vanish_range(void *ctx, uint32_t a, uint32_t b)
{
	struct fetch_ctx *x = ctx;

	if (cache_msg_delete_range(x->cache, x->folder_id, a, b) != IG_OK)
		x->cache_err = true;
}

static enum ig_err
on_fetch(void *ctx, const struct imap_resp *r)
{
	struct fetch_ctx *x = ctx;
	const struct imap_fetch *f = &r->u.fetch;
	struct cache_msg m;

	if (r->type == IMAP_U_VANISHED && x->cache != NULL) {
		if (!sync_uidset_parse(r->u.vanished.uids, LIM_IMAP_LIST_ITEMS, vanish_range, x))
			return IG_EINVAL;
		return IG_OK;
	}
	if (r->type != IMAP_U_FETCH || !f->has_uid || f->uid < x->min_uid)
		return IG_OK;
	if (f->over_limit && !f->has_internaldate && !x->safe) {
		/* dropped unread: its flags, date and size come next */
		uids_add(&x->refetch, f->uid);
		return IG_OK;
	}
	if (f->envelope != NULL || f->over_limit || x->safe) {
		struct imap_fetch ff = *f;

		ff.over_limit = f->over_limit || x->safe;
		if (x->cache_err)
			return IG_OK; /* the batch is lost anyway; read to the end */
		if (!conv_fetch(x->s, &x->v, &ff, x->uidvalidity, &m))
			return IG_OK; /* incomplete: leave it to the count check */
		if (x->fn != NULL) {
			x->fn(x->fn_ctx, &m);
		} else if (cache_msg_put(x->cache, x->folder_id, &m) != IG_OK) {
			x->cache_err = true;
		}
		x->stored++;
		if (x->f != NULL)
			stream_commit(x, f->uid);
	} else if (f->has_flags && x->cache != NULL) {
		bool found;

		conv_reset(&x->v);
		if (!conv_fetch(x->s, &x->v, f, x->uidvalidity, &m)) {
			/* flags only: build the flag list the same way */
			struct imap_fetch ff = *f;
			struct imap_envelope empty;

			memset(&empty, 0, sizeof(empty));
			ff.envelope = &empty;
			ff.has_internaldate = true;
			if (!conv_fetch(x->s, &x->v, &ff, x->uidvalidity, &m))
				return IG_OK;
		}
		if (cache_msg_flags(x->cache, x->folder_id, f->uid, m.flags, m.modseq, &found) !=
		    IG_OK)
			x->cache_err = true;
	}
	return IG_OK;
}

static const char *
fetch_items(struct imap_conn *c)
{
	return imap_conn_has_cap(c, "CONDSTORE") ? FETCH_ITEMS_MODSEQ : FETCH_ITEMS;
}

/* The over-limit messages of the last envelope fetch whose responses were
 * dropped unread: fetched again with only the small items, each becomes a
 * placeholder row (envelope_over_limit) instead of a gap that every later
 * sync would try to fill. Empties x->refetch. */
static enum imap_fail
refetch(struct imap_conn *c, struct fetch_ctx *x, struct imap_error *err)
{
	struct buf set;
	enum imap_fail f = IMAP_FAIL_NONE;
	uint32_t min_uid = x->min_uid;

	if (x->refetch.n == 0)
		return IMAP_FAIL_NONE;
	if (x->refetch.n > 1)
		qsort(x->refetch.v, x->refetch.n, sizeof(*x->refetch.v), cmp_u32);
	buf_init(&set, LIM_IMAP_ARG);
	uidset_build(&set, x->refetch.v, x->refetch.n);
	x->safe = true;
	x->min_uid = 0;
	if (buf_err(&set) == IG_OK)
		f = imap_uid_fetch(c, set.p,
				   imap_conn_has_cap(c, "CONDSTORE") ? SAFE_ITEMS_MODSEQ : SAFE_ITEMS,
				   0, false, on_fetch, x, err);
	x->safe = false;
	x->min_uid = min_uid;
	buf_free(&set);
	free(x->refetch.v);
	memset(&x->refetch, 0, sizeof(x->refetch));
	x->refetch.max = LIM_SYNC_FETCH;
	return f;
}

enum imap_fail
sync_fetch_envelopes(struct sync *s, struct imap_conn *c, const uint32_t *uids, size_t n,
		     void (*fn)(void *ctx, const struct cache_msg *m), void *ctx,
		     struct imap_error *err)
{
	struct fetch_ctx x;
	struct buf set;
	enum imap_fail f;

	if (n == 0)
		return IMAP_FAIL_NONE;
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.uidvalidity = 1;
	x.fn = fn;
	x.fn_ctx = ctx;
	x.refetch.max = LIM_SYNC_FETCH;
	conv_init(&x.v);
	buf_init(&set, LIM_IMAP_ARG);
	uidset_build(&set, uids, n);
	f = imap_uid_fetch(c, set.p, fetch_items(c), 0, false, on_fetch, &x, err);
	if (f == IMAP_FAIL_NONE)
		f = refetch(c, &x, err);
	free(x.refetch.v);
	buf_free(&set);
	conv_free(&x.v);
	return f;
}

/* ---- folder sync ---------------------------------------------------------- */

static bool
should_yield(struct sync *s)
{
	return s->yield_w != NULL && wk_jobs_waiting(s->yield_w);
}

/* DESIGN §9: a cache rebuild is an audit event (kind "cache"). */
static void
audit_rebuild(struct sync *s, const char *reason)
{
	struct json_object *f;

	if (s->o.audit == NULL)
		return;
	f = json_object_new_object();
	json_object_object_add(f, "event", json_object_new_string("rebuild"));
	json_object_object_add(f, "reason", json_object_new_string(reason));
	if (audit_append(s->o.audit, "cache", NULL, s->o.account, f, false) != IG_OK)
		log_warn(0, "msg=\"audit write failed for a cache rebuild\" account=%llx",
			 s->o.log_id);
	json_object_put(f);
}

static void
note_cache_trouble(struct sync *s)
{
	bool changed = false;

	if (s->cache == NULL)
		return;
	cache_rollback(s->cache);
	if (cache_damaged(s->cache)) {
		log_error(0, "msg=\"cache rebuild\" account=%llx", s->o.log_id);
		audit_rebuild(s, "damage found while in use");
		if (cache_check(s->cache, &changed) != IG_OK) {
			cache_close(s->cache);
			s->cache = NULL;
			s->cache_failed = true;
		}
		s->warm_listed = false;
		s->idle_done = false;
	}
}

/* Fetches uids (sorted) into the folder in batches, each committed with
 * sync_uid when initial is true. */
static enum imap_fail
fetch_batches(struct sync *s, struct imap_conn *c, struct cache_folder *f, const uint32_t *uids,
	      size_t n, bool initial, bool in_tx, bool *yielded_r, struct imap_error *err)
{
	struct fetch_ctx x;
	struct buf set;
	enum imap_fail fl = IMAP_FAIL_NONE;
	size_t i = 0;

	*yielded_r = false;
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.cache = s->cache;
	x.folder_id = f->id;
	x.uidvalidity = f->uidvalidity;
	/* initial sync: fewer, longer commands (no round trip and no
	 * commit between them while the server streams) */
	x.f = initial && !in_tx ? f : NULL;
	x.refetch.max = LIM_SYNC_FETCH;
	conv_init(&x.v);
	buf_init(&set, LIM_IMAP_ARG);
	while (i < n) {
		size_t per = x.f != NULL ? LIM_SYNC_FETCH : LIM_SYNC_BATCH;
		size_t k = n - i < per ? n - i : per;

		uidset_build(&set, uids + i, k);
		if (buf_err(&set) != IG_OK) {
			imap_error_set(err, IMAP_FAIL_INTERNAL, "UID set too long");
			fl = IMAP_FAIL_INTERNAL;
			break;
		}
		if (!in_tx && cache_begin(s->cache) != IG_OK) {
			x.cache_err = true;
			break;
		}
		x.min_uid = uids[i];
		fl = imap_uid_fetch(c, set.p, fetch_items(c), 0, false, on_fetch, &x, err);
		if (fl == IMAP_FAIL_NONE)
			fl = refetch(c, &x, err);
		if (fl != IMAP_FAIL_NONE) {
			if (!in_tx)
				cache_rollback(s->cache);
			break;
		}
		if (initial && !x.cache_err) {
			f->sync_uid = uids[i + k - 1];
			if (cache_folder_put(s->cache, f) != IG_OK)
				x.cache_err = true;
		}
		if (x.cache_err || (!in_tx && cache_commit(s->cache) != IG_OK)) {
			x.cache_err = true;
			break;
		}
		x.since_commit = 0;
		i += k;
		if (initial && i < n && should_yield(s)) {
			*yielded_r = true;
			break;
		}
	}
	buf_free(&set);
	free(x.refetch.v);
	conv_free(&x.v);
	if (x.cache_err && fl == IMAP_FAIL_NONE) {
		/* a cache problem, not an IMAP one: err stays clear; the
		 * caller sees s_cache_lost() or a folder still unsynced */
		*yielded_r = true;
		note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	return fl;
}

static bool s_cache_lost(struct sync *s, struct imap_error *err);

/* Makes the cache equal to the server for the selected folder's UID list:
 * deletes cached UIDs the server lacks, fetches ones the cache lacks.
 * Inside the caller's transaction. */
static enum imap_fail
reconcile(struct sync *s, struct imap_conn *c, struct cache_folder *f, uint32_t below,
	  struct imap_error *err)
{
	struct imap_cmd cmd;
	uint32_t *srv = NULL;
	uint32_t *have = NULL;
	uint32_t *miss = NULL;
	size_t ns = 0, nh = 0, nm = 0;
	size_t i = 0, j = 0;
	enum imap_fail fl;
	bool y;

	search_begin(&cmd, c);
	imap_cmd_atom(&cmd, "ALL");
	fl = sync_uid_search(&cmd, LIM_SYNC_UIDS, &srv, &ns, err);
	if (fl != IMAP_FAIL_NONE)
		return fl;
	if (cache_msg_uids(s->cache, f->id, &have, &nh) != IG_OK) {
		free(srv);
		return IMAP_FAIL_NONE;
	}
	miss = calloc(ns + 1, sizeof(*miss));
	if (miss == NULL) {
		free(srv);
		free(have);
		imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
		return IMAP_FAIL_INTERNAL;
	}
	while (i < ns || j < nh) {
		if (j >= nh || (i < ns && srv[i] < have[j])) {
			if (srv[i] < below)
				miss[nm++] = srv[i];
			i++;
		} else if (i >= ns || have[j] < srv[i]) {
			if (cache_msg_delete(s->cache, f->id, have[j]) != IG_OK)
				break;
			j++;
		} else {
			i++;
			j++;
		}
	}
	fl = nm > 0 ? fetch_batches(s, c, f, miss, nm, false, true, &y, err) : IMAP_FAIL_NONE;
	free(srv);
	free(have);
	free(miss);
	return fl;
}

static bool
s_cache_lost(struct sync *s, struct imap_error *err)
{
	(void)err;
	return s->cache == NULL || cache_damaged(s->cache);
}

/* Leaves the selected state (a BAD when nothing is selected is fine).
 * False when the server lacks UNSELECT or the connection broke. */
static bool
unselect(struct imap_conn *c)
{
	struct imap_error e = {.fail = IMAP_FAIL_NONE};
	struct imap_cmd cmd;
	enum imap_fail f;

	if (!imap_conn_has_cap(c, "UNSELECT"))
		return false;
	if (!imap_conn_maybe_selected(c))
		return !imap_conn_broken(c); /* nothing selected: no round trip */
	imap_cmd_init(&cmd, c, "UNSELECT");
	f = imap_cmd_run(&cmd, NULL, NULL, NULL, &e);
	imap_cmd_free(&cmd);
	/* OK, or BAD because nothing was selected: unselected either way */
	if (!imap_conn_broken(c) && (f == IMAP_FAIL_NONE || f == IMAP_FAIL_PROTOCOL))
		imap_conn_note_unselected(c);
	return !imap_conn_broken(c);
}

/* Whether the cache holds exactly n messages of folder f. The "nothing
 * changed" shortcuts also require it: a server view taken while another
 * client appends can show a UIDNEXT past messages a search of the same
 * moment did not return, and a mailbox deleted and recreated under the
 * same name can look unchanged by UIDNEXT and HIGHESTMODSEQ alone; a count
 * that disagrees sends the call through the delta, which reconciles the
 * UID list. The count is kept by triggers: no scan. */
static bool
count_is(struct sync *s, const struct cache_folder *f, uint32_t n)
{
	size_t have = 0;

	return cache_msg_count(s->cache, f->id, &have) == IG_OK && have == n;
}

/* ---- flag check (issue 12 A12) ------------------------------------------------ */

/* Values changed inside a valid cache.db behind the sync's back (the file
 * edited while the gateway was stopped, a disk or a bug) are invisible to
 * STATUS and CONDSTORE, which only report changes on the server. So each
 * folder is compared in full with the server the first time it is synced
 * after the start, and again every flag_check_s (the rolling check): its
 * kept counts are recomputed from its rows and every row's flags compared
 * with one UID FETCH 1:* (UID FLAGS); only rows that differ are written. */

static bool
checked_has(const struct sync *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->n_checked; i++)
		if (s->checked[i] == id)
			return true;
	return s->n_checked >= LIM_IMAP_FOLDERS; /* full: no more checks until the next pass */
}

static void
checked_add(struct sync *s, int64_t id)
{
	int64_t *n;

	if (checked_has(s, id))
		return;
	n = realloc(s->checked, (s->n_checked + 1) * sizeof(*n));
	if (n == NULL)
		return;
	s->checked = n;
	s->checked[s->n_checked++] = id;
}

struct check_ctx {
	struct cache *cache;
	int64_t folder_id;
	struct buf flags;
	size_t fixed;
	bool cache_err;
};

static enum ig_err
on_check(void *ctx, const struct imap_resp *r)
{
	struct check_ctx *x = ctx;
	const struct imap_fetch *f = &r->u.fetch;
	bool fixed = false;

	if (r->type != IMAP_U_FETCH || !f->has_uid || f->uid == 0 || !f->has_flags ||
	    x->cache_err)
		return IG_OK;
	buf_reset(&x->flags);
	flags_text(f, &x->flags);
	buf_puts(&x->flags, "");
	if (buf_err(&x->flags) != IG_OK ||
	    cache_msg_flags_fix(x->cache, x->folder_id, f->uid, buf_slice(&x->flags), &fixed) !=
		    IG_OK)
		x->cache_err = true;
	else if (fixed)
		x->fixed++;
	return IG_OK;
}

/* The folder (selected by EXAMINE, exists messages) compared with the
 * server once per pass. Cache trouble is not an IMAP failure. */
static enum imap_fail
flag_check(struct sync *s, struct imap_conn *c, const struct cache_folder *f, uint32_t exists,
	   struct imap_error *err)
{
	struct check_ctx x;
	enum imap_fail fl = IMAP_FAIL_NONE;

	if (s->cache == NULL || f->id == 0 || checked_has(s, f->id))
		return IMAP_FAIL_NONE;
	memset(&x, 0, sizeof(x));
	x.cache = s->cache;
	x.folder_id = f->id;
	buf_init(&x.flags, LIM_CACHE_TEXT);
	if (cache_begin(s->cache) != IG_OK) {
		buf_free(&x.flags);
		note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	if (exists > 0)
		fl = imap_uid_fetch(c, "1:*", "(UID FLAGS)", 0, false, on_check, &x, err);
	buf_free(&x.flags);
	if (fl != IMAP_FAIL_NONE || x.cache_err || cache_commit(s->cache) != IG_OK) {
		cache_rollback(s->cache);
		if (fl == IMAP_FAIL_NONE)
			note_cache_trouble(s);
		return fl;
	}
	checked_add(s, f->id);
	if (x.fixed > 0)
		log_warn(0, "msg=\"cached flags differed from the server; corrected\" account=%llx "
			    "rows=%zu", s->o.log_id, x.fixed);
	return IMAP_FAIL_NONE;
}

/* The first step of a folder's check: its kept counts recomputed from its
 * rows, before anything trusts them (the "nothing changed" shortcuts and
 * the delta's count check compare them with the server's). */
static void
recount(struct sync *s, const struct cache_folder *f)
{
	bool fixed = false;

	if (checked_has(s, f->id))
		return;
	if (cache_begin(s->cache) != IG_OK || cache_folder_recount(s->cache, f->id, &fixed) != IG_OK ||
	    cache_commit(s->cache) != IG_OK) {
		note_cache_trouble(s);
		return;
	}
	if (fixed)
		log_warn(0, "msg=\"cached folder counts differed from the rows; corrected\" "
			    "account=%llx", s->o.log_id);
}

/* The core: EXAMINE, then initial sync (when allowed) or delta. */
static enum imap_fail
folder_sync(struct sync *s, struct imap_conn *c, const char *name, bool initial_ok,
	    struct cache_folder *f_r, bool *cached_r, bool *yielded_r, struct imap_error *err)
{
	struct slice acc = sl_from_cstr(s->o.account);
	struct slice nm = sl_from_cstr(name);
	struct imap_mailbox_state st;
	struct cache_folder f;
	enum imap_fail fl;
	enum ig_err ce;
	int64_t t_delta;
	bool have;
	bool was_selected;

	*cached_r = false;
	*yielded_r = false;
	memset(f_r, 0, sizeof(*f_r));
	if (s->cache == NULL || cache_check(s->cache, NULL) != IG_OK) {
		note_cache_trouble(s);
		if (s->cache == NULL)
			return imap_select(c, name, true, 0, 0, &st, err);
	}
	ce = cache_folder_get(s->cache, acc, nm, &f);
	if (ce != IG_OK && ce != IG_ENOTFOUND) {
		note_cache_trouble(s);
		return imap_select(c, name, true, 0, 0, &st, err);
	}
	have = ce == IG_OK;
	if (have)
		recount(s, &f);
	if (s->cache == NULL)
		return imap_select(c, name, true, 0, 0, &st, err);
	if (have && f.synced && f.highestmodseq != 0) {
		struct imap_folder fo;
		struct imap_error e2 = {.fail = IMAP_FAIL_NONE};

		/* STATUS costs a fraction of EXAMINE on a big folder; with
		 * CONDSTORE an unchanged HIGHESTMODSEQ means no flag change
		 * and no expunge (RFC 7162 §3.1.2.1, §3.2.10). */
		/* STATUS of the mailbox this connection has selected answers
		 * from the session's (possibly stale) view in Dovecot, even
		 * after the mailbox was deleted and recreated: leave the
		 * selected state first (UNSELECT, RFC 3691). */
		memset(&fo, 0, sizeof(fo));
		if (unselect(c) && imap_status(c, name, &fo, &e2) == IMAP_FAIL_NONE &&
		    fo.uidvalidity == f.uidvalidity && fo.uidnext == f.uidnext &&
		    fo.highestmodseq == f.highestmodseq && count_is(s, &f, fo.messages) &&
		    checked_has(s, f.id)) {
			*f_r = f;
			*cached_r = true;
			return IMAP_FAIL_NONE;
		}
		if (imap_conn_broken(c)) {
			if (e2.fail == IMAP_FAIL_NONE) /* UNSELECT met the drop */
				imap_error_set(&e2, IMAP_FAIL_CONN_LOST, "connection lost");
			*err = e2;
			return e2.fail;
		}
	}
	was_selected = imap_conn_maybe_selected(c);
	fl = imap_select(c, name, true, 0, 0, &st, err);
	if (fl != IMAP_FAIL_NONE) {
		if (fl == IMAP_FAIL_NOT_FOUND && was_selected && !imap_conn_broken(c)) {
			/* Dovecot refuses a mailbox another client deleted and
			 * recreated while this session had one open ("deleted
			 * under us"): only a new session knows. A read job is
			 * retried once on it, where NOT_FOUND is final. */
			imap_conn_retire(c);
			imap_error_set(err, IMAP_FAIL_CONN_LOST, "the session's view was stale");
			return IMAP_FAIL_CONN_LOST;
		}
		if (fl == IMAP_FAIL_NOT_FOUND && have && cache_begin(s->cache) == IG_OK) {
			if (cache_folder_drop(s->cache, f.id) != IG_OK ||
			    cache_commit(s->cache) != IG_OK)
				note_cache_trouble(s);
		}
		return fl;
	}
	if (st.uidvalidity == 0) {
		/* no UIDVALIDITY: nothing can be cached safely */
		return IMAP_FAIL_NONE;
	}
	if (!have || f.uidvalidity != st.uidvalidity) {
		if (have)
			log_info(0, "msg=\"UIDVALIDITY changed; folder resynced\" account=%llx",
				 s->o.log_id);
		if (cache_begin(s->cache) != IG_OK ||
		    cache_folder_reset(s->cache, acc, nm, st.uidvalidity, &f) != IG_OK ||
		    cache_commit(s->cache) != IG_OK) {
			note_cache_trouble(s);
			return IMAP_FAIL_NONE;
		}
	}
	if (!f.synced) {
		struct imap_cmd cmd;
		uint32_t *uids = NULL;
		size_t n = 0;
		int64_t t0;

		if (!initial_ok) {
			*f_r = f;
			return IMAP_FAIL_NONE;
		}
		if (f.sync_uid == 0 && f.highestmodseq == 0 && st.highestmodseq > 0) {
			f.highestmodseq = st.highestmodseq; /* see the file comment */
			if (cache_begin(s->cache) != IG_OK || cache_folder_put(s->cache, &f) != IG_OK ||
			    cache_commit(s->cache) != IG_OK) {
				note_cache_trouble(s);
				return IMAP_FAIL_NONE;
			}
		}
		search_begin(&cmd, c);
		imap_cmd_atomf(&cmd, "UID %u:*", f.sync_uid + 1);
		fl = sync_uid_search(&cmd, LIM_SYNC_UIDS, &uids, &n, err);
		if (fl != IMAP_FAIL_NONE)
			return fl;
		{
			size_t k = 0;
			size_t i;

			for (i = 0; i < n; i++)
				if (uids[i] > f.sync_uid)
					uids[k++] = uids[i];
			n = k;
		}
		t0 = imap_now_ms();
		fl = fetch_batches(s, c, &f, uids, n, true, false, yielded_r, err);
		free(uids);
		log_info(0, "msg=\"initial sync %s\" account=%llx messages=%zu ms=%lld",
			 fl != IMAP_FAIL_NONE ? "failed" : *yielded_r ? "paused" : "batches done",
			 s->o.log_id, n, (long long)(imap_now_ms() - t0));
		if (fl != IMAP_FAIL_NONE || *yielded_r || s_cache_lost(s, err))
			return fl;
		f.synced = true;
		f.uidnext = st.uidnext;
		if (cache_begin(s->cache) != IG_OK || cache_folder_put(s->cache, &f) != IG_OK ||
		    cache_commit(s->cache) != IG_OK) {
			note_cache_trouble(s);
			return IMAP_FAIL_NONE;
		}
		/* fall through to a delta: catches what changed meanwhile */
	}
	if (f.uidnext == st.uidnext && st.highestmodseq != 0 &&
	    f.highestmodseq == st.highestmodseq && count_is(s, &f, st.exists)) {
		fl = flag_check(s, c, &f, st.exists, err);
		if (fl != IMAP_FAIL_NONE)
			return fl;
		*f_r = f;
		*cached_r = s->cache != NULL;
		return IMAP_FAIL_NONE; /* nothing changed (RFC 7162 §3.1.2.1) */
	}
	t_delta = imap_now_ms();
	if (cache_begin(s->cache) != IG_OK) {
		note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	/* new messages */
	if (st.uidnext > f.uidnext) {
		struct fetch_ctx x;
		char set[32];

		memset(&x, 0, sizeof(x));
		x.s = s;
		x.cache = s->cache;
		x.folder_id = f.id;
		x.uidvalidity = f.uidvalidity;
		x.min_uid = f.uidnext > 0 ? f.uidnext : 1;
		x.refetch.max = LIM_SYNC_FETCH;
		conv_init(&x.v);
		(void)snprintf(set, sizeof(set), "%u:*", x.min_uid);
		fl = imap_uid_fetch(c, set, fetch_items(c), 0, false, on_fetch, &x, err);
		if (fl == IMAP_FAIL_NONE)
			fl = refetch(c, &x, err);
		free(x.refetch.v);
		conv_free(&x.v);
		if (fl != IMAP_FAIL_NONE || x.cache_err)
			goto fail;
	}
	/* flag changes and expunges among the known ones */
	if (f.uidnext > 1) {
		struct fetch_ctx x;
		char set[32];
		bool cond = st.highestmodseq != 0 && f.highestmodseq != 0;

		memset(&x, 0, sizeof(x));
		x.s = s;
		x.cache = s->cache;
		x.folder_id = f.id;
		x.uidvalidity = f.uidvalidity;
		x.min_uid = 1;
		conv_init(&x.v);
		(void)snprintf(set, sizeof(set), "1:%u", f.uidnext - 1);
		if (!cond || st.highestmodseq != f.highestmodseq)
			fl = imap_uid_fetch(c, set, cond ? "(UID FLAGS MODSEQ)" : "(UID FLAGS)",
					    cond ? f.highestmodseq : 0,
					    cond && imap_conn_has_cap(c, "QRESYNC"), on_fetch, &x,
					    err);
		free(x.refetch.v); /* flags only: nothing to fill in */
		conv_free(&x.v);
		if (fl != IMAP_FAIL_NONE || x.cache_err)
			goto fail;
	}
	{
		size_t count = 0;

		if (cache_msg_count(s->cache, f.id, &count) != IG_OK)
			goto fail;
		if (count != st.exists) {
			fl = reconcile(s, c, &f, st.uidnext, err);
			if (fl != IMAP_FAIL_NONE || s_cache_lost(s, err))
				goto fail;
			if (cache_msg_count(s->cache, f.id, &count) != IG_OK)
				goto fail;
		}
		if (count != st.exists) {
			/* the kept count itself may be what is wrong (edited
			 * behind the sync's back): recount the rows first */
			bool fixed = false;

			if (cache_folder_recount(s->cache, f.id, &fixed) != IG_OK ||
			    cache_msg_count(s->cache, f.id, &count) != IG_OK)
				goto fail;
			if (fixed)
				log_warn(0, "msg=\"cached folder counts differed from the rows; "
					    "corrected\" account=%llx", s->o.log_id);
		}
		if (count != st.exists) {
			/* The session contradicts itself (EXISTS vs UID SEARCH
			 * ALL): a Dovecot process can keep a stale view of a
			 * mailbox another client deleted and recreated. Keep the
			 * rows, do not advance the folder's state, and reconnect:
			 * a read job is retried on the new session. */
			if (cache_commit(s->cache) != IG_OK)
				goto fail;
			log_warn(0, "msg=\"server view inconsistent; reconnecting\" account=%llx "
				    "exists=%u cached=%zu", s->o.log_id, st.exists, count);
			imap_conn_retire(c);
			imap_error_set(err, IMAP_FAIL_CONN_LOST,
				       "the server's view of the folder was inconsistent");
			return IMAP_FAIL_CONN_LOST;
		}
	}
	f.uidnext = st.uidnext;
	f.highestmodseq = st.highestmodseq;
	if (cache_folder_put(s->cache, &f) != IG_OK || cache_commit(s->cache) != IG_OK)
		goto fail;
	log_info(0, "msg=\"delta applied\" account=%llx uidnext=%u ms=%lld", s->o.log_id,
		 f.uidnext, (long long)(imap_now_ms() - t_delta));
	fl = flag_check(s, c, &f, st.exists, err);
	if (fl != IMAP_FAIL_NONE)
		return fl;
	*f_r = f;
	*cached_r = s->cache != NULL;
	return IMAP_FAIL_NONE;
fail:
	cache_rollback(s->cache);
	note_cache_trouble(s);
	return fl;
}

/* ---- warm folders ------------------------------------------------------------ */

static void
warm_free(struct sync *s)
{
	size_t i;

	for (i = 0; i < s->n_warm; i++)
		free(s->warm[i]);
	free(s->warm);
	s->warm = NULL;
	s->n_warm = 0;
	s->warm_listed = false;
}

static void
warm_add(struct sync *s, const char *name, size_t len)
{
	size_t i;
	char **nw;

	if (len == 0 || len > LIM_IMAP_MAILBOX || s->n_warm >= LIM_SYNC_WARM)
		return;
	for (i = 0; i < s->n_warm; i++)
		if (strlen(s->warm[i]) == len && memcmp(s->warm[i], name, len) == 0)
			return;
	nw = realloc(s->warm, (s->n_warm + 1) * sizeof(*nw));
	if (nw == NULL)
		return;
	s->warm = nw;
	s->warm[s->n_warm] = strndup(name, len);
	if (s->warm[s->n_warm] != NULL)
		s->n_warm++;
}

static void
warm_recent(void *ctx, struct slice name)
{
	struct sync *s = ctx;

	if (memchr(name.p, '\0', name.len) == NULL)
		warm_add(s, name.p, name.len);
}

static enum imap_fail
warm_list(struct sync *s, struct imap_conn *c, struct imap_error *err)
{
	warm_free(s);
	if (s->o.warm_folders != NULL) {
		const char *p = s->o.warm_folders;

		while (*p != '\0') {
			const char *e = strchr(p, ',');
			size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
			const char *q = p;

			while (n > 0 && (*q == ' ' || *q == '\t')) {
				q++;
				n--;
			}
			while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
				n--;
			warm_add(s, q, n);
			p = e != NULL ? e + 1 : p + strlen(p);
		}
	} else {
		struct imap_folder_list l = {NULL, 0};
		size_t skipped = 0;
		enum imap_fail fl;
		size_t i;

		warm_add(s, "INBOX", 5);
		fl = imap_list_folders(c, false, &l, &skipped, err);
		if (fl != IMAP_FAIL_NONE)
			return fl;
		for (i = 0; i < l.n; i++)
			if (l.f[i].special_use != NULL && !l.f[i].noselect)
				warm_add(s, l.f[i].name, strlen(l.f[i].name));
		imap_folder_list_free(&l);
	}
	if (s->cache != NULL &&
	    cache_folder_recent(s->cache, sl_from_cstr(s->o.account),
				(int64_t)time(NULL) - LIM_SYNC_RECENT_S, warm_recent, s) != IG_OK)
		note_cache_trouble(s);
	s->warm_listed = true;
	return IMAP_FAIL_NONE;
}

/* ---- bodies (index_bodies) --------------------------------------------------- */

struct body_ctx {
	struct sync *s;
	int64_t folder_id;
	bool cache_err;
};

static enum ig_err
on_body(void *ctx, const struct imap_resp *r)
{
	struct body_ctx *b = ctx;
	const struct imap_fetch *f = &r->u.fetch;
	struct json_object *out = NULL;
	struct json_object *u;
	struct json_object *t;
	struct content_opts opts;
	const char *e;

	if (r->type != IMAP_U_FETCH || !f->has_uid)
		return IG_OK;
	if (f->over_limit) {
		/* too large to read: indexed as empty, never asked for again */
		if (cache_body_put(b->s->cache, b->folder_id, f->uid, SL_LIT("")) != IG_OK)
			b->cache_err = true;
		return IG_OK;
	}
	if (!f->has_section)
		return IG_OK;
	memset(&opts, 0, sizeof(opts));
	opts.known_domains = b->s->o.known_domains;
	opts.n_known_domains = b->s->o.n_known_domains;
	if (!f->section_nil && msg_sanitize(f->section_data, &opts, &out, NULL, &e) == IG_OK &&
	    json_object_object_get_ex(out, "untrusted", &u) &&
	    json_object_object_get_ex(u, "body_text", &t) && json_object_is_type(t, json_type_string)) {
		const char *p = json_object_get_string(t);
		size_t n = (size_t)json_object_get_string_len(t);

		n = u8_truncate_graphemes(p, n, LIM_CACHE_BODY);
		if (cache_body_put(b->s->cache, b->folder_id, f->uid, (struct slice){p, n}) != IG_OK)
			b->cache_err = true;
	} else if (cache_body_put(b->s->cache, b->folder_id, f->uid, SL_LIT("")) != IG_OK) {
		b->cache_err = true; /* refused by the pipeline: indexed as empty */
	}
	json_object_put(out);
	return IG_OK;
}

/* One batch of body text for the folder; *more_r when some remain. */
static enum imap_fail
bodies_batch(struct sync *s, struct imap_conn *c, const char *name, bool *selected, bool *more_r,
	     struct imap_error *err)
{
	struct cache_folder f;
	struct imap_mailbox_state st;
	uint32_t uids[BODY_BATCH];
	struct body_ctx b = {s, 0, false};
	struct buf set;
	enum imap_fail fl;
	size_t n = 0;

	*more_r = false;
	if (cache_folder_get(s->cache, sl_from_cstr(s->o.account), sl_from_cstr(name), &f) != IG_OK ||
	    !f.synced)
		return IMAP_FAIL_NONE;
	if (cache_body_missing(s->cache, f.id, s->o.index_bodies, uids, BODY_BATCH, &n) != IG_OK ||
	    n == 0)
		return IMAP_FAIL_NONE;
	/* EXAMINE once per run of batches: on a big Maildir folder it costs
	 * far more than the batch itself */
	if (!*selected) {
		fl = imap_select(c, name, true, 0, 0, &st, err);
		if (fl != IMAP_FAIL_NONE || st.uidvalidity != f.uidvalidity)
			return fl;
		*selected = true;
	}
	qsort(uids, n, sizeof(uids[0]), cmp_u32);
	buf_init(&set, LIM_IMAP_ARG);
	uidset_build(&set, uids, n);
	b.folder_id = f.id;
	if (cache_begin(s->cache) != IG_OK) {
		buf_free(&set);
		note_cache_trouble(s);
		return IMAP_FAIL_NONE;
	}
	fl = imap_uid_fetch(c, set.p, "(UID BODY.PEEK[])", 0, false, on_body, &b, err);
	buf_free(&set);
	if (fl != IMAP_FAIL_NONE || b.cache_err || cache_commit(s->cache) != IG_OK) {
		cache_rollback(s->cache);
		if (b.cache_err)
			note_cache_trouble(s);
		return fl;
	}
	*more_r = true;
	return IMAP_FAIL_NONE;
}

/* ---- public ------------------------------------------------------------------- */

static unsigned
check_interval_s(const struct sync *s)
{
	return s->o.flag_check_s != 0 ? s->o.flag_check_s : LIM_SYNC_FLAG_CHECK_S;
}

void *
sync_ctx_open(void *opts)
{
	const struct sync_opts *o = opts;
	struct sync *s = calloc(1, sizeof(*s));
	const char *e = NULL;
	bool rebuilt = false;

	if (s == NULL)
		return NULL;
	s->o = *o;
	if (o->file == NULL || cache_open(o->file, &s->cache, &rebuilt, &e) != IG_OK) {
		if (o->file != NULL)
			log_error(0, "msg=\"cache unavailable; serving from IMAP\" account=%llx error=\"%s\"",
				  o->log_id, e != NULL ? e : "");
		s->cache_failed = true;
		s->cache = NULL;
	} else if (rebuilt) {
		log_warn(0, "msg=\"cache rebuilt at open\" account=%llx", o->log_id);
		audit_rebuild(s, "damaged, foreign or other-version file at open");
	}
	if (s->cache != NULL)
		s->cache_gen = cache_generation(s->cache);
	s->check_at_ms = imap_now_ms() + (int64_t)check_interval_s(s) * 1000;
	return s;
}

void
sync_ctx_close(void *sync)
{
	struct sync *s = sync;

	if (s == NULL)
		return;
	cache_close(s->cache);
	warm_free(s);
	free(s->checked);
	free(s);
}

void
sync_folders_changed(struct sync *s)
{
	s->warm_listed = false;
	s->idle_done = false;
}

bool
sync_idle_want(void *sync, int64_t now_ms)
{
	struct sync *s = sync;

	if (s->cache == NULL || now_ms < s->retry_at_ms)
		return false;
	if (cache_generation(s->cache) != s->cache_gen) {
		/* another account's worker rebuilt the file: start over */
		s->cache_gen = cache_generation(s->cache);
		s->idle_done = false;
		s->warm_listed = false;
	}
	if (now_ms >= s->check_at_ms) {
		/* the rolling flag check: every folder is compared again on
		 * its next sync, the warm ones by this idle pass */
		s->n_checked = 0;
		s->idle_done = false;
		s->check_at_ms = now_ms + (int64_t)check_interval_s(s) * 1000;
	}
	return !s->idle_done;
}

void
sync_idle_run(void *sync, struct wk *w, struct imap_conn *c, struct imap_error *err)
{
	struct sync *s = sync;
	enum imap_fail fl = IMAP_FAIL_NONE;
	size_t i;

	s->yield_w = w;
	if (!s->warm_listed)
		fl = warm_list(s, c, err);
	for (i = 0; fl == IMAP_FAIL_NONE && i < s->n_warm; i++) {
		struct cache_folder f;
		bool cached;
		bool yielded;

		fl = folder_sync(s, c, s->warm[i], true, &f, &cached, &yielded, err);
		if (fl == IMAP_FAIL_NOT_FOUND) {
			fl = IMAP_FAIL_NONE; /* a configured folder that does not exist */
			memset(err, 0, sizeof(*err));
			continue;
		}
		if (yielded || s->cache == NULL)
			goto out;
		if (should_yield(s))
			goto out;
	}
	for (i = 0; fl == IMAP_FAIL_NONE && s->o.index_bodies > 0 && i < s->n_warm; i++) {
		bool more = true;
		bool selected = false;

		while (more && fl == IMAP_FAIL_NONE && s->cache != NULL) {
			fl = bodies_batch(s, c, s->warm[i], &selected, &more, err);
			if (more && should_yield(s))
				goto out;
		}
	}
	if (fl == IMAP_FAIL_NONE) {
		s->idle_done = true;
	} else {
		log_warn(0, "msg=\"background sync failed\" account=%llx error=%s", s->o.log_id,
			 imap_fail_str(fl));
		s->retry_at_ms = imap_now_ms() + (int64_t)LIM_SYNC_RETRY_S * 1000;
	}
out:
	s->yield_w = NULL;
}

struct sync *
sync_of_job(const struct wk_job *job)
{
	return job->ctx;
}

struct cache *
sync_cache(struct sync *s)
{
	if (s == NULL || s->cache == NULL)
		return NULL;
	if (cache_check(s->cache, NULL) != IG_OK) {
		note_cache_trouble(s);
		return NULL;
	}
	return s->cache;
}

enum imap_fail
sync_folder_fresh(struct sync *s, struct imap_conn *c, const char *folder, struct cache_folder *f_r,
		  bool *cached_r, struct imap_error *err)
{
	struct imap_mailbox_state st;
	enum imap_fail fl;
	bool yielded;

	*cached_r = false;
	memset(f_r, 0, sizeof(*f_r));
	if (s == NULL || s->cache == NULL)
		return imap_select(c, folder, true, 0, 0, &st, err);
	fl = folder_sync(s, c, folder, false, f_r, cached_r, &yielded, err);
	if (fl == IMAP_FAIL_NONE && s->cache != NULL && f_r->id != 0) {
		if (cache_folder_touch(s->cache, f_r->id, (int64_t)time(NULL)) != IG_OK)
			note_cache_trouble(s);
		if (!*cached_r) {
			/* not synced yet: have the idle sync take it up */
			warm_add(s, folder, strlen(folder));
			s->idle_done = false;
			s->retry_at_ms = 0;
		}
	}
	return fl;
}

enum imap_fail
sync_folder_now(struct sync *s, struct imap_conn *c, const char *folder, struct imap_error *err)
{
	struct cache_folder f;
	bool cached;

	return sync_folder_fresh(s, c, folder, &f, &cached, err);
}
