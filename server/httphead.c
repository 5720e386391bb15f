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

static bool
port_parse(struct slice s, unsigned *port_r)
{
	unsigned v = 0;
	size_t i;

	if (s.len == 0 || s.len > 5)
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port_r = v;
	return true;
}

static bool
ipv6_literal(struct slice inner, uint8_t out[16])
{
	char tmp[INET6_ADDRSTRLEN + 1];
	size_t i;

	if (inner.len < 2 || inner.len >= sizeof(tmp))
		return false;
	for (i = 0; i < inner.len; i++) {
		char c = inner.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		      c == ':' || c == '.'))
			return false;
	}
	memcpy(tmp, inner.p, inner.len);
	tmp[inner.len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1;
}

static bool
ipv4_literal(struct slice s, uint8_t out[16])
{
	char tmp[INET_ADDRSTRLEN + 1];
	size_t i;

	if (s.len < 7 || s.len >= sizeof(tmp))
		return false;
	for (i = 0; i < s.len; i++) {
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '.'))
			return false;
	}
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	return inet_pton(AF_INET, tmp, out + 12) == 1;
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
		    !ipv6_literal((struct slice){v.p + 1, (size_t)(close - v.p) - 1}, addr))
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
		if (rest.p[0] != ':' || !port_parse((struct slice){rest.p + 1, rest.len - 1}, port_r))
			return false;
	}
	*name_r = name;
	return true;
}

bool
httphead_addr_parse(struct slice s, uint8_t addr_r[16])
{
	const char *colon;
	const char *last;

	s = sl_trim_ows(s);
	if (s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"')
		s = (struct slice){s.p + 1, s.len - 2};
	if (s.len == 0)
		return false;
	if (s.p[0] == '[') {
		const char *close = memchr(s.p, ']', s.len);
		size_t after;
		unsigned port;

		if (close == NULL)
			return false;
		after = s.len - (size_t)(close - s.p) - 1;
		if (after > 0 && (close[1] != ':' ||
				  !port_parse((struct slice){close + 2, after - 1}, &port)))
			return false;
		return ipv6_literal((struct slice){s.p + 1, (size_t)(close - s.p) - 1}, addr_r);
	}
	colon = memchr(s.p, ':', s.len);
	if (colon == NULL)
		return ipv4_literal(s, addr_r);
	last = s.p + s.len;
	if (memchr(colon + 1, ':', (size_t)(last - colon - 1)) == NULL) {
		unsigned port;

		/* a.b.c.d:port */
		return port_parse((struct slice){colon + 1, (size_t)(last - colon - 1)}, &port) &&
		       ipv4_literal((struct slice){s.p, (size_t)(colon - s.p)}, addr_r);
	}
	return ipv6_literal(s, addr_r);
}

bool
httphead_net_parse(struct slice s, struct httphead_net *net_r)
{
	const char *slash = memchr(s.p, '/', s.len);
	struct slice a = {s.p, slash != NULL ? (size_t)(slash - s.p) : s.len};
	bool v4;
	unsigned prefix = 0;
	size_t i;

	memset(net_r, 0, sizeof(*net_r));
	a = sl_trim_ows(a);
	if (a.len > 0 && a.p[0] == '[') {
		if (a.len < 2 || a.p[a.len - 1] != ']')
			return false;
		a = (struct slice){a.p + 1, a.len - 2};
	}
	if (ipv4_literal(a, net_r->addr))
		v4 = true;
	else if (ipv6_literal(a, net_r->addr))
		v4 = false;
	else
		return false;
	if (slash == NULL) {
		net_r->prefix = 128;
		return true;
	}
	s = (struct slice){slash + 1, s.len - (size_t)(slash - s.p) - 1};
	if (s.len == 0 || s.len > 3)
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		prefix = prefix * 10 + (unsigned)(s.p[i] - '0');
	}
	if (prefix > (v4 ? 32U : 128U))
		return false;
	net_r->prefix = v4 ? prefix + 96 : prefix;
	return true;
}

bool
httphead_net_match(const struct httphead_net *nets, size_t n, const uint8_t addr[16])
{
	size_t i;
	unsigned b;

	for (i = 0; i < n; i++) {
		unsigned full = nets[i].prefix / 8;
		unsigned bits = nets[i].prefix % 8;

		if (memcmp(nets[i].addr, addr, full) != 0)
			continue;
		if (bits != 0) {
			b = (unsigned)(0xff00U >> bits) & 0xffU;
			if (((nets[i].addr[full] ^ addr[full]) & b) != 0)
				continue;
		}
		return true;
	}
	return false;
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
			  const struct httphead_net *nets, size_t n_nets, uint8_t addr_r[16])
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

		if (hop.p == NULL || !httphead_addr_parse(hop, a))
			return false;
		memcpy(addr_r, a, 16);
		if (!httphead_net_match(nets, n_nets, a))
			return true;
	}
	return true; /* every hop trusted: the left-most kept */
}
