/* The lexical checks configuration values are built from (split from
 * config.c): bounded copies, numbers without strtoul's leniency, ports,
 * account and host names, IPv6 literals, host[:port] and the narrow URL form
 * every URL key accepts. */
#include "base/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

#define MAX_HOSTNAME 253 /* DNS name length */

char *
cfg_str_ndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
cfg_str_lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

bool
cfg_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool
cfg_has_controls(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	}
	return false;
}

/* strtoul with the checks it lacks: digits only (no sign, no blanks), no
 * trailing bytes, no overflow. */
bool
cfg_parse_ulong(const char *s, size_t len, unsigned long *v_r)
{
	char tmp[32];
	char *end = NULL;
	unsigned long v;
	size_t i;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtoul(tmp, &end, 10);
	if (errno != 0 || end != tmp + len)
		return false;
	*v_r = v;
	return true;
}

static bool
parse_port(const char *s, size_t len, unsigned *port_r)
{
	unsigned long v;

	if (!cfg_parse_ulong(s, len, &v) || v < 1 || v > 65535)
		return false;
	*port_r = (unsigned)v;
	return true;
}

/* Account names: [A-Za-z0-9_-]{1,LIM_ACCOUNT_NAME}. */
bool
cfg_account_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LIM_ACCOUNT_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (!cfg_is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

bool
cfg_hostname_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_HOSTNAME || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		if (!cfg_is_alnum(s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return false;
	}
	return true;
}

bool
cfg_ipv6_ok(const char *s, size_t len)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

/* host [":" port], host a DNS name, an IPv4 address or "[" IPv6 "]".
 * The host returned includes the brackets. need_port: the port is mandatory. */
bool
cfg_hostport_split(const char *s, size_t len, bool need_port, const char **host_r, size_t *hlen_r,
	       unsigned *port_r, bool *has_port_r)
{
	const char *colon;
	size_t hlen;

	*has_port_r = false;
	*port_r = 0;
	if (len > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (rb == NULL || !cfg_ipv6_ok(s + 1, (size_t)(rb - s - 1)))
			return false;
		hlen = (size_t)(rb - s) + 1;
		if (hlen < len && s[hlen] != ':')
			return false;
	} else {
		colon = memchr(s, ':', len);
		hlen = colon != NULL ? (size_t)(colon - s) : len;
		if (!cfg_hostname_ok(s, hlen))
			return false;
	}
	if (hlen < len) {
		if (!parse_port(s + hlen + 1, len - hlen - 1, port_r))
			return false;
		*has_port_r = true;
	} else if (need_port) {
		return false;
	}
	*host_r = s;
	*hlen_r = hlen;
	return true;
}

/* scheme://host[:port][/path] with scheme one of schemes (NULL-terminated).
 * No userinfo, query or fragment: none of our URLs need them and they are
 * where confusion between parsers lives. */
bool
cfg_url_parse(const char *s, const char *const *schemes, bool allow_path, struct url *u)
{
	const char *auth = NULL;
	size_t alen;
	size_t i;

	for (i = 0; schemes[i] != NULL; i++) {
		size_t n = strlen(schemes[i]);

		if (strncmp(s, schemes[i], n) == 0 && strncmp(s + n, "://", 3) == 0) {
			auth = s + n + 3;
			break;
		}
	}
	if (auth == NULL)
		return false;
	alen = strcspn(auth, "/?#");
	if (auth[alen] == '?' || auth[alen] == '#' || memchr(auth, '@', alen) != NULL)
		return false;
	if (!cfg_hostport_split(auth, alen, false, &u->host, &u->host_len, &u->port, &u->has_port))
		return false;
	u->path = auth + alen;
	if (u->path[0] != '\0' && !allow_path)
		return false;
	for (i = 0; u->path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)u->path[i];

		if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\')
			return false;
	}
	return true;
}
