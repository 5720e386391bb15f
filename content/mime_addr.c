/* RFC 5322 address lists (with the obsolete forms mailers still send),
 * msg-ids (Message-ID, In-Reply-To, References) and the <...> items of the
 * List-* headers (RFC 2369, RFC 2919). */
#include "content/mime.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "content/mime_int.h"

struct addr_acc {
	struct buf disp;    /* atoms and unquoted strings, single-spaced */
	struct buf angle;   /* inside <...> */
	struct buf comment; /* first comment */
	bool has_angle;
	bool space;
};

static void
addr_acc_reset(struct addr_acc *a)
{
	buf_reset(&a->disp);
	buf_reset(&a->angle);
	buf_reset(&a->comment);
	a->has_angle = false;
	a->space = false;
}

static void
text_sep(struct addr_acc *a)
{
	if (a->space && a->disp.len > 0)
		buf_putc(&a->disp, ' ');
	a->space = false;
}

static void
addr_emit(struct addr_acc *a, struct mime_addr_list *l, bool *unknown_r)
{
	struct buf name, addr;
	struct slice spec, nm;
	struct mime_addr *nv;
	bool cut = false;
	size_t k;

	if (a->disp.len == 0 && a->angle.len == 0 && a->comment.len == 0)
		return;
	if (l->n == LIM_MIME_ADDRESSES) {
		l->dropped++;
		return;
	}
	buf_init(&name, LIM_MIME_HEADER_VALUE * 4);
	buf_init(&addr, LIM_MIME_HEADER_VALUE * 4);
	if (a->has_angle) {
		spec = buf_slice(&a->angle);
		/* An obsolete route "@a,@b:" is not part of the address. */
		if (spec.len > 0 && spec.p[0] == '@') {
			const char *colon = memchr(spec.p, ':', spec.len);

			if (colon != NULL) {
				spec.len -= (size_t)(colon + 1 - spec.p);
				spec.p = colon + 1;
			}
		}
		nm = buf_slice(&a->disp);
	} else {
		spec = buf_slice(&a->disp);
		nm = buf_slice(&a->comment);
	}
	/* Addresses carry no encoded words (RFC 2047 §5); 8-bit ones (RFC 6532)
	 * are read as UTF-8. Spaces inside a spec are folding leftovers. */
	{
		struct buf nosp;

		buf_init(&nosp, LIM_MIME_HEADER_VALUE);
		for (k = 0; k < spec.len; k++) {
			if (spec.p[k] != ' ')
				buf_putc(&nosp, spec.p[k]);
		}
		(void)mime_charset_to_utf8((struct slice){NULL, 0}, buf_slice(&nosp), &addr,
		                           LIM_MIME_HEADER_VALUE, &cut);
		buf_free(&nosp);
	}
	mime_flatten_controls(&addr, 0);
	mime_header_decode(nm, &name, unknown_r);
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL || buf_err(&name) != IG_OK || buf_err(&addr) != IG_OK) {
		if (nv != NULL)
			l->v = nv;
		l->dropped++;
		goto out;
	}
	l->v = nv;
	l->v[l->n].name = xstrndup(name.p != NULL ? name.p : "", name.len);
	l->v[l->n].address = xstrndup(addr.p != NULL ? addr.p : "", addr.len);
	if (l->v[l->n].name == NULL || l->v[l->n].address == NULL) {
		free(l->v[l->n].name);
		free(l->v[l->n].address);
		l->dropped++;
		goto out;
	}
	l->n++;
out:
	buf_free(&name);
	buf_free(&addr);
}

/* Parses an address-list (RFC 5322 §3.4, with the obsolete forms mailers
 * still send). The display name is decoded only after the list is split, so
 * a name whose encoded words decode to "<x@y>, " cannot add an address. */
void
mime_addr_list_parse(struct slice raw, struct mime_addr_list *l, bool *unknown_r)
{
	struct addr_acc a;
	size_t i = 0;

	if (raw.len > LIM_MIME_HEADER_VALUE)
		raw.len = LIM_MIME_HEADER_VALUE;
	buf_init(&a.disp, LIM_MIME_HEADER_VALUE);
	buf_init(&a.angle, LIM_MIME_HEADER_VALUE);
	buf_init(&a.comment, LIM_MIME_HEADER_VALUE);
	addr_acc_reset(&a);
	while (i < raw.len) {
		char c = raw.p[i];

		if (is_wsp(c)) {
			a.space = true;
			i++;
		} else if (c == '"') {
			text_sep(&a);
			for (i++; i < raw.len && raw.p[i] != '"'; i++) {
				if (raw.p[i] == '\\' && i + 1 < raw.len)
					i++;
				buf_putc(&a.disp, raw.p[i]);
			}
			i++;
		} else if (c == '(') {
			size_t depth = 1;
			bool keep = a.comment.len == 0;

			/* Nesting is a counter, not recursion. */
			for (i++; i < raw.len && depth > 0; i++) {
				if (raw.p[i] == '\\' && i + 1 < raw.len) {
					i++;
				} else if (raw.p[i] == '(') {
					depth++;
				} else if (raw.p[i] == ')') {
					depth--;
					if (depth == 0)
						break;
				}
				if (keep)
					buf_putc(&a.comment, raw.p[i]);
			}
			i++;
			a.space = true;
		} else if (c == '<') {
			a.has_angle = true;
			for (i++; i < raw.len && raw.p[i] != '>'; i++) {
				if (!is_wsp(raw.p[i]))
					buf_putc(&a.angle, raw.p[i]);
			}
			i++;
		} else if (c == ',' || c == ';') {
			addr_emit(&a, l, unknown_r);
			addr_acc_reset(&a);
			i++;
		} else if (c == ':' && !a.has_angle) {
			/* A group: its name is not an address. */
			addr_acc_reset(&a);
			i++;
		} else {
			text_sep(&a);
			buf_putc(&a.disp, c);
			i++;
		}
	}
	addr_emit(&a, l, unknown_r);
	buf_free(&a.disp);
	buf_free(&a.angle);
	buf_free(&a.comment);
}

void
mime_addr_list_free(struct mime_addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].address);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------ msg-ids and List-* (RFC 2369) */

/* Calls back for each <...> item in raw, in order. Items are printable ASCII
 * without spaces; anything else is dropped, since a msg-id or a list URI
 * with other bytes is not one. */
size_t
mime_angle_items(struct slice raw, char **items, size_t max)
{
	size_t i = 0, n = 0;

	while (i < raw.len && n < max) {
		const char *lt = memchr(raw.p + i, '<', raw.len - i), *gt;
		size_t k;
		bool ok = true;

		if (lt == NULL)
			break;
		gt = memchr(lt, '>', raw.len - (size_t)(lt - raw.p));
		if (gt == NULL)
			break;
		for (k = 1; lt + k < gt; k++) {
			unsigned char c = (unsigned char)lt[k];

			if (c <= ' ' || c >= 0x7f)
				ok = c == ' ' || c == '\t' || c == '\r' || c == '\n' ? ok : false;
		}
		if (ok && gt > lt + 1) {
			struct buf b;

			buf_init(&b, LIM_MIME_HEADER_VALUE);
			for (k = 1; lt + k < gt; k++) {
				if (!is_wsp(lt[k]))
					buf_putc(&b, lt[k]);
			}
			if (buf_err(&b) == IG_OK && b.len > 0)
				items[n++] = buf_take(&b);
			buf_free(&b);
		}
		i = (size_t)(gt + 1 - raw.p);
	}
	return n;
}

char *
mime_first_angle(struct slice raw)
{
	char *item = NULL;

	if (mime_angle_items(raw, &item, 1) == 1)
		return item;
	return NULL;
}

char *
mime_joined_angles(struct slice raw, size_t max)
{
	char *items[8];
	size_t n = mime_angle_items(raw, items, max < 8 ? max : 8), i;
	struct buf b;

	if (n == 0)
		return NULL;
	buf_init(&b, LIM_MIME_HEADER_VALUE);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, items[i]);
		free(items[i]);
	}
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}
