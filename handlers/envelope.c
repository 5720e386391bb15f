/* Envelopes as tool output (handlers/envelope.h). RFC 3501 §7.4.2 gives the
 * ENVELOPE form. Nothing here sanitizes: every envelope string is made safe
 * by the sync engine's conversion (imap/sync.h sync_conv_fetch: RFC 2047,
 * the Unicode policy, look-alike checks), whether it comes from cache.db or
 * straight from a FETCH; this file only shapes the result as JSON. */
#include "handlers/envelope.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/limits.h"
#include "imap/sync.h"
#include "base/json.h"
#include "store/cache.h"

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

struct json_object *
envelope_json(const struct imap_fetch *f, const char *folder, const char *const *known,
              size_t n_known)
{
	struct sync_conv *v = sync_conv_new();
	struct json_object *o = NULL;
	struct cache_msg m;
	bool bad = false;

	if (v == NULL)
		return NULL;
	/* the row is the sync engine's own: envelope_json_cached never finds it bad */
	if (sync_conv_fetch(v, f, 0, known, n_known, &m) == IG_OK)
		o = envelope_json_cached(&m, folder, &bad);
	sync_conv_free(v);
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
