/* Request-head checks for the HTTP front end: RFC 9112 §2.2, §5 (field
 * syntax, CRLF, no obs-fold), RFC 9110 §5.5 (field values), RFC 9110 §7.2
 * and RFC 3986 §3.2.2 (Host), RFC 7239 (Forwarded) and the de-facto
 * X-Forwarded-For list. */
#include "server/httphead.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#define MAX_HOPS 64

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-value bytes: VCHAR, obs-text, SP, HTAB */
static bool
is_value_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c < 0x7f) || c >= 0x80;
}

static bool
crlf_at(const char *p, const char *end)
{
	return end - p >= 2 && p[0] == '\0' && p[1] == '\0';
}

bool
httphead_block_ok(const char *block, size_t len, const char *version,
		  const struct httphead_field *fields, size_t n)
{
	const char *end;
	const char *p;
	size_t i;
	size_t k;

	if (block == NULL || version == NULL)
		return false;
	end = block + len;
	if (version < block || version >= end)
		return false;
	p = memchr(version, '\0', (size_t)(end - version));
	if (p == NULL)
		return false;
	/* request line: tokens separated by what MHD overwrote */
	for (k = 0; block + k < p; k++) {
		unsigned char c = (unsigned char)block[k];

		if (c != '\0' && (c <= 0x20 || c >= 0x7f))
			return false;
	}
	if (!crlf_at(p, end))
		return false;
	p += 2;
	for (i = 0; i < n; i++) {
		const struct httphead_field *f = &fields[i];

		/* each field starts where the previous line ended: a folded
		 * line is copied elsewhere, and a NUL leaves bytes behind */
		if (f->key != p || f->key_len == 0 || f->key_len > (size_t)(end - p))
			return false;
		for (k = 0; k < f->key_len; k++) {
			if (!is_tchar((unsigned char)f->key[k]))
				return false;
		}
		p += f->key_len;
		if (p >= end || *p != '\0') /* the colon */
			return false;
		p++;
		while (p < end && p < f->val && (*p == ' ' || *p == '\t'))
			p++;
		if (f->val != p || f->val_len > (size_t)(end - p))
			return false;
		for (k = 0; k < f->val_len; k++) {
			if (!is_value_byte((unsigned char)f->val[k]))
				return false;
		}
		p += f->val_len;
		if (!crlf_at(p, end))
			return false;
		p += 2;
	}
	/* the empty line, and nothing after it */
	return end - p == 2 && crlf_at(p, end);
}

bool
httphead_host_parse(struct slice v, struct slice *name_r, unsigned *port_r)
{
	struct slice name;
	struct slice rest;
	uint8_t addr[16];
	size_t i;

	*port_r = 0;
	if (v.len == 0)
		return false;
	if (v.p[0] == '[') {
		const char *close = memchr(v.p, ']', v.len);

		if (close == NULL ||
		    !netaddr_ipv6_literal((struct slice){v.p + 1, (size_t)(close - v.p) - 1}, addr))
			return false;
		name = (struct slice){v.p, (size_t)(close - v.p) + 1};
	} else {
		const char *colon = memchr(v.p, ':', v.len);

		name = (struct slice){v.p, colon != NULL ? (size_t)(colon - v.p) : v.len};
		if (name.len == 0 || name.len > 253)
			return false;
		for (i = 0; i < name.len; i++) {
			unsigned char c = (unsigned char)name.p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			      c == '~'))
				return false;
		}
	}
	rest = (struct slice){v.p + name.len, v.len - name.len};
	if (rest.len > 0) {
		if (rest.p[0] != ':' || !netaddr_port_parse((struct slice){rest.p + 1, rest.len - 1}, port_r))
			return false;
	}
	*name_r = name;
	return true;
}

/* The element of v that starts at *i_r, up to sep outside a quoted string
 * (or the end), OWS-trimmed; *i_r moves past the sep. */
static struct slice
list_next(struct slice v, size_t *i_r, char sep)
{
	size_t i = *i_r;
	size_t start = i;
	bool q = false;

	while (i < v.len && (q || v.p[i] != sep)) {
		if (v.p[i] == '"')
			q = !q;
		i++;
	}
	*i_r = i + 1;
	return sl_trim_ows((struct slice){v.p + start, i - start});
}

/* The for= parameter of one Forwarded element; empty when it has none. */
static struct slice
forwarded_for(struct slice elem)
{
	size_t i = 0;

	while (i < elem.len) {
		struct slice pair = list_next(elem, &i, ';');

		if (pair.len > 4 && strncasecmp(pair.p, "for=", 4) == 0)
			return (struct slice){pair.p + 4, pair.len - 4};
	}
	return (struct slice){NULL, 0};
}

bool
httphead_forwarded_client(const struct slice *lists, size_t n_lists, bool forwarded,
			  const struct netaddr_net *nets, size_t n_nets, uint8_t addr_r[16])
{
	struct slice hops[MAX_HOPS];
	size_t count = 0; /* hops seen; the last MAX_HOPS are kept */
	size_t l;
	size_t kept;
	size_t k;
	uint8_t a[16];

	for (l = 0; l < n_lists; l++) {
		struct slice v = lists[l];
		size_t i = 0;

		while (i <= v.len) {
			struct slice hop = list_next(v, &i, ',');

			if (hop.len == 0)
				continue; /* empty list elements are allowed (RFC 9110 §5.6.1) */
			hops[count % MAX_HOPS] = forwarded ? forwarded_for(hop) : hop;
			count++;
		}
	}
	if (count == 0)
		return false;
	kept = count < MAX_HOPS ? count : MAX_HOPS;
	for (k = 0; k < kept; k++) {
		struct slice hop = hops[(count - 1 - k) % MAX_HOPS];

		if (hop.p == NULL || !netaddr_parse(hop, a))
			return false;
		memcpy(addr_r, a, 16);
		if (!netaddr_net_match(nets, n_nets, a))
			return true;
	}
	return true; /* every hop trusted: the left-most kept */
}
