/* IP addresses and networks as configuration and proxy headers write them
 * (trusted_proxies, Forwarded, X-Forwarded-For): one 16-byte form for both
 * families (IPv4 as ::ffff:a.b.c.d) so that matching is one comparison. */
#include "base/netaddr.h"

#include <arpa/inet.h>
#include <string.h>

bool
netaddr_port_parse(struct slice s, unsigned *port_r)
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

bool
netaddr_ipv6_literal(struct slice inner, uint8_t out[16])
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

bool
netaddr_ipv4_literal(struct slice s, uint8_t out[16])
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
netaddr_parse(struct slice s, uint8_t addr_r[16])
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
				  !netaddr_port_parse((struct slice){close + 2, after - 1}, &port)))
			return false;
		return netaddr_ipv6_literal((struct slice){s.p + 1, (size_t)(close - s.p) - 1}, addr_r);
	}
	colon = memchr(s.p, ':', s.len);
	if (colon == NULL)
		return netaddr_ipv4_literal(s, addr_r);
	last = s.p + s.len;
	if (memchr(colon + 1, ':', (size_t)(last - colon - 1)) == NULL) {
		unsigned port;

		/* a.b.c.d:port */
		return netaddr_port_parse((struct slice){colon + 1, (size_t)(last - colon - 1)}, &port) &&
		       netaddr_ipv4_literal((struct slice){s.p, (size_t)(colon - s.p)}, addr_r);
	}
	return netaddr_ipv6_literal(s, addr_r);
}

bool
netaddr_net_parse(struct slice s, struct netaddr_net *net_r)
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
	if (netaddr_ipv4_literal(a, net_r->addr))
		v4 = true;
	else if (netaddr_ipv6_literal(a, net_r->addr))
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
netaddr_net_match(const struct netaddr_net *nets, size_t n, const uint8_t addr[16])
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

