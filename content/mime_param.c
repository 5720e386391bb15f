/* RFC 2231 parameters of Content-Type and Content-Disposition: continuations
 * (name*0, name*1 ...), charset'lang'%XX values, and the one rule that picks
 * between the RFC 2231 and the plain (RFC 2047-decoded) form. */
#include "content/mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "content/mime_int.h"

static void
unquote(struct slice v, bool quoted, struct buf *out)
{
	size_t i;

	if (!quoted) {
		buf_append(out, v.p, v.len);
		return;
	}
	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '\\' && i + 1 < v.len)
			i++;
		buf_putc(out, v.p[i]);
	}
}

static void
pct_decode(struct slice v, struct buf *out)
{
	size_t i;

	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '%' && i + 2 < v.len && hexval(v.p[i + 1]) >= 0 &&
		    hexval(v.p[i + 2]) >= 0) {
			buf_putc(out, (char)(hexval(v.p[i + 1]) * 16 + hexval(v.p[i + 2])));
			i += 2;
		} else {
			buf_putc(out, v.p[i]);
		}
	}
}

/* Collects the parameter called name (lower case) from a raw Content-Type or
 * Content-Disposition value. Lenient where mailers are: values may be
 * unquoted up to ';', quoted strings may hold ';'. */
void
mime_param_collect(struct slice raw, const char *name, struct param *pm)
{
	size_t i = 0, nlen = strlen(name);
	bool inq = false;

	memset(pm, 0, sizeof(*pm));
	/* Skip the type or disposition token. */
	while (i < raw.len && (inq || raw.p[i] != ';')) {
		if (raw.p[i] == '"')
			inq = !inq;
		i++;
	}
	while (i < raw.len) {
		size_t as, ae, vs, ve;
		struct param_sec sec = {.present = true};
		struct slice attr;

		while (i < raw.len && (raw.p[i] == ';' || is_wsp(raw.p[i])))
			i++;
		as = i;
		while (i < raw.len && raw.p[i] != '=' && raw.p[i] != ';' && !is_wsp(raw.p[i]))
			i++;
		ae = i;
		while (i < raw.len && is_wsp(raw.p[i]))
			i++;
		if (i >= raw.len || raw.p[i] != '=') {
			while (i < raw.len && raw.p[i] != ';')
				i++;
			continue;
		}
		i++;
		while (i < raw.len && is_wsp(raw.p[i]))
			i++;
		if (i < raw.len && raw.p[i] == '"') {
			vs = ++i;
			while (i < raw.len && raw.p[i] != '"') {
				if (raw.p[i] == '\\' && i + 1 < raw.len)
					i++;
				i++;
			}
			ve = i < raw.len ? i : raw.len;
			if (i < raw.len)
				i++;
			sec.quoted = true;
		} else {
			vs = i;
			while (i < raw.len && raw.p[i] != ';')
				i++;
			ve = i;
			while (ve > vs && is_wsp(raw.p[ve - 1]))
				ve--;
		}
		sec.v = (struct slice){raw.p + vs, ve - vs};
		attr = (struct slice){raw.p + as, ae - as};
		if (attr.len < nlen || strncasecmp(attr.p, name, nlen) != 0)
			continue;
		if (attr.len == nlen) {
			if (!pm->plain.present)
				pm->plain = sec;
		} else if (attr.p[nlen] == '*' && attr.len == nlen + 1) {
			sec.encoded = true;
			if (!pm->ext.present)
				pm->ext = sec;
		} else if (attr.p[nlen] == '*') {
			size_t k = nlen + 1, idx = 0;

			while (k < attr.len && attr.p[k] >= '0' && attr.p[k] <= '9' &&
			       idx < LIM_MIME_PARAM_SECTIONS) {
				idx = idx * 10 + (size_t)(attr.p[k] - '0');
				k++;
			}
			if (k == nlen + 1 || idx >= LIM_MIME_PARAM_SECTIONS)
				continue;
			if (k < attr.len && attr.p[k] == '*' && k + 1 == attr.len)
				sec.encoded = true;
			else if (k != attr.len)
				continue;
			if (!pm->sec[idx].present)
				pm->sec[idx] = sec;
		}
	}
}

/* Splits charset'lang'rest; returns the charset and moves v past it. */
static struct slice
ext_charset(struct slice *v)
{
	struct slice cs = {v->p, 0};
	const char *q1 = memchr(v->p, '\'', v->len), *q2;

	if (q1 == NULL)
		return cs;
	q2 = memchr(q1 + 1, '\'', v->len - (size_t)(q1 + 1 - v->p));
	if (q2 == NULL)
		return cs;
	cs.len = (size_t)(q1 - v->p);
	v->len -= (size_t)(q2 + 1 - v->p);
	v->p = q2 + 1;
	return cs;
}

/* Decodes the RFC 2231 form (name* or name*0...) into out; false when absent. */
static bool
param_ext_decode(const struct param *pm, struct buf *out, bool *unknown_r)
{
	struct buf bytes, tmp;
	struct slice cs = {NULL, 0}, v;
	bool cut = false, have = false;
	size_t k;

	buf_init(&bytes, LIM_MIME_FILENAME * 3);
	buf_init(&tmp, LIM_MIME_FILENAME * 3);
	if (pm->ext.present) {
		v = pm->ext.v;
		unquote(v, pm->ext.quoted, &tmp);
		v = buf_slice(&tmp);
		cs = ext_charset(&v);
		pct_decode(v, &bytes);
		have = true;
	} else if (pm->sec[0].present) {
		for (k = 0; k < LIM_MIME_PARAM_SECTIONS && pm->sec[k].present; k++) {
			size_t from = tmp.len;

			unquote(pm->sec[k].v, pm->sec[k].quoted, &tmp);
			v = (struct slice){tmp.p + from, tmp.len - from};
			if (k == 0 && pm->sec[0].encoded)
				cs = ext_charset(&v);
			if (pm->sec[k].encoded)
				pct_decode(v, &bytes);
			else
				buf_append(&bytes, v.p, v.len);
		}
		have = true;
	}
	if (have && buf_err(&bytes) == IG_OK && buf_err(&tmp) == IG_OK) {
		/* cs points into tmp, still alive here. */
		if (!mime_charset_to_utf8(cs, buf_slice(&bytes), out, LIM_MIME_FILENAME, &cut))
			*unknown_r = true;
		mime_flatten_controls(out, 0);
	}
	buf_free(&bytes);
	buf_free(&tmp);
	return have;
}

/* The one rule for a parameter such as filename: the RFC 2231 form (name* or
 * name*0, name*1 ...) wins; the plain form (where RFC 2047 words are decoded,
 * as mailers put them there) is the fallback. Both present and different after
 * decoding: *conflict_r. Returns a heap UTF-8 string or NULL. */
char *
mime_param_get(struct slice raw, const char *name, bool *conflict_r, bool *unknown_r)
{
	struct param *pm = malloc(sizeof(*pm));
	struct buf ext, plain, uq;
	char *res = NULL;
	bool have_ext, u2 = false;

	if (pm == NULL)
		return NULL;
	mime_param_collect(raw, name, pm);
	buf_init(&ext, LIM_MIME_FILENAME * 4);
	buf_init(&plain, LIM_MIME_FILENAME * 4);
	buf_init(&uq, LIM_MIME_HEADER_VALUE);
	have_ext = param_ext_decode(pm, &ext, unknown_r);
	if (pm->plain.present) {
		unquote(pm->plain.v, pm->plain.quoted, &uq);
		mime_header_decode(buf_slice(&uq), &plain, &u2);
		if (u2)
			*unknown_r = true;
	}
	if (have_ext && pm->plain.present && !sl_eq(buf_slice(&ext), buf_slice(&plain)))
		*conflict_r = true;
	if (have_ext && buf_err(&ext) == IG_OK && ext.len > 0)
		res = buf_take(&ext);
	else if (pm->plain.present && buf_err(&plain) == IG_OK)
		res = buf_take(&plain);
	buf_free(&ext);
	buf_free(&plain);
	buf_free(&uq);
	free(pm);
	if (res != NULL && res[0] == '\0') {
		free(res);
		res = NULL;
	}
	return res;
}
