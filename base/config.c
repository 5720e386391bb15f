/* Configuration loader (DESIGN §11, docs/configuration.md).
 *
 * libinih splits lines into key/value pairs and strips comments; everything
 * else is done here, strictly: every section and key is known, every key
 * appears once per section, every value is validated, and every error names
 * where it came from (file:line or the environment variable) and
 * `[section] key`. Environment variables IMAPGATE_<SECTION>_<KEY> are applied
 * after the file, then defaults that depend on other keys are filled in and
 * the whole is cross-checked. */
#include "base/config.h"
#include "base/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"

#define ENV_PREFIX "IMAPGATE_"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_DATA_DIR "/var/lib/imapgate"
#define DEFAULT_IMAP_PORT 993
#define MAX_HOSTNAME 253 /* DNS name length */
#define MAX_ERROR 2048	 /* one error message */

enum sect_kind { SECT_NONE, SECT_SERVER, SECT_DEFAULTS, SECT_ACCOUNT };

struct loader;
struct kdef;

/* A setter validates v and stores it in obj; on failure it writes a reason
 * to ld->why and returns false. */
typedef bool (*set_fn)(struct loader *ld, const struct kdef *k, void *obj, const char *v);

struct kdef {
	const char *name;
	set_fn set;
	size_t off;   /* field in struct ig_config or struct cfg_account */
	size_t off_n; /* count field, for lists */
	unsigned long min;
	unsigned long max;
	bool (*valid)(const char *v, char *why, size_t whysz);
};

struct loader {
	struct ig_config *cfg;
	const char *path; /* for messages */
	FILE *f;
	int lineno;
	char *msg; /* first error, heap */
	char why[512];

	enum sect_kind sect;
	size_t acct; /* index when sect == SECT_ACCOUNT */
	bool seen_server_sect;
	bool seen_defaults_sect;
	uint64_t server_seen; /* keys set in the file, by table index */
	uint64_t defaults_seen;
	uint64_t *acct_seen; /* parallel to cfg->accounts */
	bool allowed_hosts_set;
	bool public_url_set;
};

/* ---- small helpers ------------------------------------------------------ */

static void ld_fail(struct loader *ld, const char *fmt, ...) IG_PRINTF(2, 3);

static void
ld_fail(struct loader *ld, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char line[MAX_ERROR];
	int n;

	if (ld->msg != NULL)
		return; /* keep the first error: later ones are often consequences */
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		line[0] = '\0';
	buf_init(&b, MAX_ERROR);
	buf_puts(&b, line);
	ld->msg = buf_take(&b);
}

static void why_set(char *why, size_t whysz, const char *fmt, ...) IG_PRINTF(3, 4);

static void
why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(why, whysz, fmt, ap) < 0 && whysz > 0)
		why[0] = '\0';
	va_end(ap);
}

static char *
str_ndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void
str_lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
has_controls(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	}
	return false;
}

/* strtoul with the checks it lacks: digits only (no sign, no blanks), no
 * trailing bytes, no overflow. */
static bool
parse_ulong(const char *s, size_t len, unsigned long *v_r)
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

	if (!parse_ulong(s, len, &v) || v < 1 || v > 65535)
		return false;
	*port_r = (unsigned)v;
	return true;
}

/* Account names: [A-Za-z0-9_-]{1,LIM_ACCOUNT_NAME}. */
static bool
account_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LIM_ACCOUNT_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

static bool
hostname_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_HOSTNAME || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return false;
	}
	return true;
}

static bool
ipv6_ok(const char *s, size_t len)
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
static bool
hostport_split(const char *s, size_t len, bool need_port, const char **host_r, size_t *hlen_r,
	       unsigned *port_r, bool *has_port_r)
{
	const char *colon;
	size_t hlen;

	*has_port_r = false;
	*port_r = 0;
	if (len > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (rb == NULL || !ipv6_ok(s + 1, (size_t)(rb - s - 1)))
			return false;
		hlen = (size_t)(rb - s) + 1;
		if (hlen < len && s[hlen] != ':')
			return false;
	} else {
		colon = memchr(s, ':', len);
		hlen = colon != NULL ? (size_t)(colon - s) : len;
		if (!hostname_ok(s, hlen))
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

struct url {
	const char *host; /* with brackets for IPv6 */
	size_t host_len;
	unsigned port;
	bool has_port;
	const char *path; /* "" or "/..." */
};

/* scheme://host[:port][/path] with scheme one of schemes (NULL-terminated).
 * No userinfo, query or fragment: none of our URLs need them and they are
 * where confusion between parsers lives. */
static bool
url_parse(const char *s, const char *const *schemes, bool allow_path, struct url *u)
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
	if (!hostport_split(auth, alen, false, &u->host, &u->host_len, &u->port, &u->has_port))
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

/* ---- value validators (valid member of struct kdef) --------------------- */

static bool
valid_text(const char *v, char *why, size_t whysz)
{
	(void)v;
	(void)why;
	(void)whysz;
	return true; /* emptiness and control characters are checked for every key */
}

static bool
valid_abs_path(const char *v, char *why, size_t whysz)
{
	if (v[0] != '/') {
		why_set(why, whysz, "must be an absolute path");
		return false;
	}
	return true;
}

static bool
valid_env_name(const char *v, char *why, size_t whysz)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if (!is_alnum(v[i]) && v[i] != '_')
			break;
	}
	if (v[i] != '\0' || (v[0] >= '0' && v[0] <= '9') || i > 255) {
		why_set(why, whysz,
			"must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
		return false;
	}
	return true;
}

static bool
valid_host(const char *v, char *why, size_t whysz)
{
	size_t len = strlen(v);

	if (hostname_ok(v, len) ||
	    (len > 2 && v[0] == '[' && v[len - 1] == ']' && ipv6_ok(v + 1, len - 2)))
		return true;
	why_set(why, whysz, "must be a host name, IPv4 address or [IPv6] address");
	return false;
}

static bool
valid_tls_mode(const char *v, char *why, size_t whysz)
{
	if (strcmp(v, "implicit") == 0 || strcmp(v, "starttls") == 0)
		return true;
	why_set(why, whysz, "must be implicit or starttls");
	return false;
}

static bool
valid_log_level(const char *v, char *why, size_t whysz)
{
	enum log_level l;

	if (log_level_parse(v, &l))
		return true;
	why_set(why, whysz, "must be debug, info, warn or error");
	return false;
}

static bool
valid_fingerprint(const char *v, char *why, size_t whysz)
{
	size_t len = strlen(v);
	size_t i;
	bool colons = len == 95;

	if (len != 64 && !colons)
		goto bad;
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (colons && i % 3 == 2) {
			if (c != ':')
				goto bad;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			goto bad;
		}
	}
	return true;
bad:
	why_set(why, whysz,
		"must be a SHA-256 fingerprint: 64 hex digits, optionally "
		"with ':' between byte pairs");
	return false;
}

static bool
valid_public_url(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"https", "http", NULL};
	struct url u;

	if (url_parse(v, schemes, true, &u))
		return true;
	why_set(why, whysz,
		"must be an http:// or https:// URL (host[:port][/path], no "
		"user, query or fragment)");
	return false;
}

static bool
valid_https_url(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"https", NULL};
	struct url u;

	if (url_parse(v, schemes, true, &u))
		return true;
	why_set(why, whysz, "entry '%.*s' must be an https:// URL (no user, query or fragment)", 64,
		v);
	return false;
}

static bool
valid_smtp_url(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"smtps", "smtp", NULL};
	struct url u;

	if (url_parse(v, schemes, true, &u) && (u.path[0] == '\0' || strcmp(u.path, "/") == 0))
		return true;
	why_set(why, whysz, "must be smtps://host[:port] or smtp://host[:port] (STARTTLS)");
	return false;
}

static bool
valid_origin(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"https", "http", NULL};
	struct url u;

	if (url_parse(v, schemes, false, &u))
		return true;
	why_set(why, whysz, "entry '%.*s' must be an origin: scheme://host[:port] with no path", 64,
		v);
	return false;
}

static bool
valid_allowed_host(const char *v, char *why, size_t whysz)
{
	const char *h;
	size_t hl;
	unsigned port;
	bool has_port;

	if (hostport_split(v, strlen(v), false, &h, &hl, &port, &has_port))
		return true;
	why_set(why, whysz, "entry '%.*s' must be host or host:port ([IPv6] in brackets)", 64, v);
	return false;
}

static bool
valid_trusted_proxy(const char *v, char *why, size_t whysz)
{
	struct netaddr_net net;

	if (netaddr_net_parse((struct slice){v, strlen(v)}, &net))
		return true;
	why_set(why, whysz, "entry '%.*s' must be an IP address or ADDRESS/PREFIX", 64, v);
	return false;
}

static bool
valid_list_entry(const char *v, char *why, size_t whysz)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == ' ' || v[i] == '\t') {
			why_set(why, whysz, "list entries must not contain blanks");
			return false;
		}
	}
	return true;
}

/* ---- setters ------------------------------------------------------------ */

#define FIELD(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

static bool
set_str(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	char **f = FIELD(obj, k->off, char *);
	char *copy;

	if (k->valid != NULL && !k->valid(v, ld->why, sizeof(ld->why)))
		return false;
	copy = strdup(v);
	if (copy == NULL) {
		why_set(ld->why, sizeof(ld->why), "out of memory");
		return false;
	}
	free(*f);
	*f = copy;
	return true;
}

static void
list_free(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Comma-separated, blanks around entries ignored, entries lower-cased (they
 * are origins and host names, compared case-insensitively by definition). */
static bool
set_list(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	char ***f = FIELD(obj, k->off, char **);
	size_t *nf = FIELD(obj, k->off_n, size_t);
	char **list = NULL;
	size_t n = 0;
	const char *p = v;

	list = calloc(LIM_ORIGINS, sizeof(*list));
	if (list == NULL)
		goto nomem;
	for (;;) {
		size_t len = strcspn(p, ",");
		struct slice e = sl_trim_ows((struct slice){p, len});

		if (e.len == 0) {
			why_set(ld->why, sizeof(ld->why), "empty entry in comma list");
			goto fail;
		}
		if (n == LIM_ORIGINS) {
			why_set(ld->why, sizeof(ld->why), "more than %d entries", LIM_ORIGINS);
			goto fail;
		}
		list[n] = str_ndup(e.p, e.len);
		if (list[n] == NULL)
			goto nomem;
		str_lower(list[n]);
		if (!valid_list_entry(list[n++], ld->why, sizeof(ld->why)) ||
		    !k->valid(list[n - 1], ld->why, sizeof(ld->why)))
			goto fail;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	list_free(*f, *nf);
	*f = list;
	*nf = n;
	return true;
nomem:
	why_set(ld->why, sizeof(ld->why), "out of memory");
fail:
	list_free(list, n);
	return false;
}

static bool
set_uint(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	unsigned long x;

	if (!parse_ulong(v, strlen(v), &x) || x < k->min || x > k->max) {
		why_set(ld->why, sizeof(ld->why), "must be a whole number from %lu to %lu", k->min,
			k->max);
		return false;
	}
	*FIELD(obj, k->off, unsigned) = (unsigned)x;
	return true;
}

/* Bytes with an optional k/K (KiB) or m/M (MiB) suffix. */
static bool
set_size(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	size_t len = strlen(v);
	unsigned long mult = 1;
	unsigned long x;

	if (len > 0 && (v[len - 1] == 'k' || v[len - 1] == 'K')) {
		mult = 1024;
		len--;
	} else if (len > 0 && (v[len - 1] == 'm' || v[len - 1] == 'M')) {
		mult = 1024UL * 1024;
		len--;
	}
	if (!parse_ulong(v, len, &x) || __builtin_mul_overflow(x, mult, &x) || x < k->min ||
	    x > k->max) {
		why_set(ld->why, sizeof(ld->why),
			"must be a size in bytes from %lu to %lu (suffix k or M allowed)", k->min,
			k->max);
		return false;
	}
	*FIELD(obj, k->off, size_t) = (size_t)x;
	return true;
}

static bool
set_bool(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*FIELD(obj, k->off, bool) = strcmp(v, yes[i]) == 0;
			return true;
		}
	}
	why_set(ld->why, sizeof(ld->why), "must be true or false");
	return false;
}

static bool
set_posture(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	if (posture_parse(v, FIELD(obj, k->off, enum posture)))
		return true;
	why_set(ld->why, sizeof(ld->why), "must be readonly, draft-safe, full or destructive");
	return false;
}

static bool
host_is_loopback(const char *h)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(h, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static bool
set_listen(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	struct ig_config *cfg = obj;
	const char *h;
	size_t hl;
	unsigned port;
	bool has_port;
	char *host = NULL;

	if (!hostport_split(v, strlen(v), true, &h, &hl, &port, &has_port)) {
		why_set(ld->why, sizeof(ld->why),
			"must be host:port with port 1..65535 (IPv6 as [::1]:8080)");
		return false;
	}
	if (h[0] == '[')
		host = str_ndup(h + 1, hl - 2);
	else
		host = str_ndup(h, hl);
	if (host == NULL || !set_str(ld, k, obj, v)) {
		free(host);
		why_set(ld->why, sizeof(ld->why), "out of memory");
		return false;
	}
	free(cfg->listen_host);
	cfg->listen_host = host;
	cfg->listen_port = port;
	cfg->listen_is_loopback = host_is_loopback(host);
	return true;
}

/* Inline secrets would sit in a file that is often world-readable, in
 * backups and in `docker inspect`; only indirection is accepted. */
static bool
set_secret(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	(void)obj;
	(void)v;
	why_set(ld->why, sizeof(ld->why),
		"inline secrets are not accepted; use %s_file (a file holding the secret) or "
		"%s_env (the name of an environment variable holding it)",
		k->name, k->name);
	return false;
}

static bool
set_rate(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	if (cfg_rate_parse(v, FIELD(obj, k->off, struct cfg_rate)))
		return true;
	why_set(ld->why, sizeof(ld->why),
		"must be N/s, N/min, N/h or N/day (N from 1 to %d) or off", LIM_RATE_COUNT);
	return false;
}

/* A comma list of tool names or sub-capabilities ("tool.argument"); that
 * each names something real is checked against the tool registry when the
 * server starts (handlers/dispatch.c), since config/ knows no tools. */
static bool
valid_tool_list(const char *v, char *why, size_t whysz)
{
	size_t n = 1;
	size_t i;

	if (strlen(v) > LIM_OVERRIDE_LIST) {
		why_set(why, whysz, "longer than %d bytes", LIM_OVERRIDE_LIST);
		return false;
	}
	for (i = 0; v[i] != '\0'; i++) {
		char c = v[i];

		if (c == ',')
			n++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == ' '))
			goto bad;
	}
	if (n <= LIM_OVERRIDE_NAMES)
		return true;
bad:
	why_set(why, whysz, "must be a comma list of at most %d tool names (e.g. "
		"send_email, search.advanced_query)", LIM_OVERRIDE_NAMES);
	return false;
}

/* ---- key tables ----------------------------------------------------------- */

#define SRV(f) offsetof(struct ig_config, f)
#define ACC(f) offsetof(struct cfg_account, f)

static const struct kdef server_keys[] = {
	{"listen", set_listen, SRV(listen), 0, 0, 0, NULL},
	{"public_url", set_str, SRV(public_url), 0, 0, 0, valid_public_url},
	{"allowed_origins", set_list, SRV(allowed_origins), SRV(n_allowed_origins), 0, 0,
	 valid_origin},
	{"allowed_hosts", set_list, SRV(allowed_hosts), SRV(n_allowed_hosts), 0, 0,
	 valid_allowed_host},
	{"authorization_servers", set_list, SRV(authorization_servers),
	 SRV(n_authorization_servers), 0, 0, valid_https_url},
	{"data_dir", set_str, SRV(data_dir), 0, 0, 0, valid_abs_path},
	{"log_level", set_str, SRV(log_level), 0, 0, 0, valid_log_level},
	{"max_body", set_size, SRV(max_body), 0, 4096, 64UL * 1024 * 1024, NULL},
	{"max_body_preauth", set_size, SRV(max_body_preauth), 0, 1024, 1024UL * 1024, NULL},
	{"max_connections", set_uint, SRV(max_connections), 0, 1, 65536, NULL},
	{"max_sessions", set_uint, SRV(max_sessions), 0, 1, 1048576, NULL},
	{"session_idle_s", set_uint, SRV(session_idle_s), 0, 10, 7UL * 86400, NULL},
	{"connection_timeout_s", set_uint, SRV(connection_timeout_s), 0, 1, 3600, NULL},
	{"shutdown_timeout_s", set_uint, SRV(shutdown_timeout_s), 0, 1, 600, NULL},
	{"trusted_proxies", set_list, SRV(trusted_proxies), SRV(n_trusted_proxies), 0, 0,
	 valid_trusted_proxy},
	{"max_connections_per_ip", set_uint, SRV(max_connections_per_ip), 0, 1, 65536, NULL},
	{"request_timeout_s", set_uint, SRV(request_timeout_s), 0, 1, 3600, NULL},
	{"max_streams_per_token", set_uint, SRV(max_streams_per_token), 0, 1, 65536, NULL},
	{"max_calls_per_token", set_uint, SRV(max_calls_per_token), 0, 1, 65536, NULL},
	{"audit_max_bytes", set_size, SRV(audit_max_bytes), 0, 0, 1024UL * 1024 * 1024 * 1024, NULL},
};

static const struct kdef defaults_keys[] = {
	{"posture", set_posture, offsetof(struct ig_config, default_posture), 0, 0, 0, NULL},
	{"token_rate_limit", set_rate, SRV(token_rate_limit), 0, 0, 0, NULL},
	{"rate_limit", set_rate, SRV(rate_limit), 0, 0, 0, NULL},
	{"draft_rate_limit", set_rate, SRV(draft_rate_limit), 0, 0, 0, NULL},
	{"send_rate_limit", set_rate, SRV(send_rate_limit), 0, 0, 0, NULL},
};

static const struct kdef account_keys[] = {
	{"host", set_str, ACC(host), 0, 0, 0, valid_host},
	{"port", set_uint, ACC(port), 0, 1, 65535, NULL},
	{"tls", set_str, ACC(tls), 0, 0, 0, valid_tls_mode},
	{"user", set_str, ACC(user), 0, 0, 0, valid_text},
	{"password_file", set_str, ACC(password_file), 0, 0, 0, valid_abs_path},
	{"password_env", set_str, ACC(password_env), 0, 0, 0, valid_env_name},
	{"posture", set_posture, ACC(posture), 0, 0, 0, NULL},
	{"tls_fingerprint_sha256", set_str, ACC(tls_fingerprint_sha256), 0, 0, 0,
	 valid_fingerprint},
	{"tls_ca_file", set_str, ACC(tls_ca_file), 0, 0, 0, valid_abs_path},
	{"smtp_url", set_str, ACC(smtp_url), 0, 0, 0, valid_smtp_url},
	{"smtp_user", set_str, ACC(smtp_user), 0, 0, 0, valid_text},
	{"smtp_password_file", set_str, ACC(smtp_password_file), 0, 0, 0, valid_abs_path},
	{"smtp_password_env", set_str, ACC(smtp_password_env), 0, 0, 0, valid_env_name},
	{"smtp_tls_fingerprint_sha256", set_str, ACC(smtp_tls_fingerprint_sha256), 0, 0, 0,
	 valid_fingerprint},
	{"send_requires_approval", set_bool, ACC(send_requires_approval), 0, 0, 0, NULL},
	{"allowed_recipients", set_str, ACC(allowed_recipients), 0, 0, 0, valid_text},
	{"daily_send_quota", set_uint, ACC(daily_send_quota), 0, 0, 1000000, NULL},
	{"known_domains", set_str, ACC(known_domains), 0, 0, 0, valid_text},
	/* Sending (docs/sending.md) */
	{"address", set_str, ACC(address), 0, 0, 0, valid_text},
	{"smtp_tls_ca_file", set_str, ACC(smtp_tls_ca_file), 0, 0, 0, valid_abs_path},
	{"smtp_timeout_s", set_uint, ACC(smtp_timeout_s), 0, 5, 3600, NULL},
	/* IMAP client (imap/): deadlines and folder policies */
	{"connect_timeout_s", set_uint, ACC(connect_timeout_s), 0, 1, 600, NULL},
	{"command_timeout_s", set_uint, ACC(command_timeout_s), 0, 1, 3600, NULL},
	{"protected_folders", set_str, ACC(protected_folders), 0, 0, 0, valid_text},
	{"expunge_folders", set_str, ACC(expunge_folders), 0, 0, 0, valid_text},
	/* dispatch chain: per-account tool overrides and rate limits */
	{"tools_allow", set_str, ACC(tools_allow), 0, 0, 0, valid_tool_list},
	{"tools_deny", set_str, ACC(tools_deny), 0, 0, 0, valid_tool_list},
	{"rate_limit", set_rate, ACC(rate_limit), 0, 0, 0, NULL},
	{"draft_rate_limit", set_rate, ACC(draft_rate_limit), 0, 0, 0, NULL},
	{"send_rate_limit", set_rate, ACC(send_rate_limit), 0, 0, 0, NULL},
	/* cache and sync */
	{"warm_folders", set_str, ACC(warm_folders), 0, 0, 0, valid_text},
	{"index_bodies", set_uint, ACC(index_bodies), 0, 0, 1000000, NULL},
	{"flag_check_s", set_uint, ACC(flag_check_s), 0, 0, 86400, NULL},
	/* Rejected with a message that says what to use instead. */
	{"password", set_secret, 0, 0, 0, 0, NULL},
	{"smtp_password", set_secret, 0, 0, 0, 0, NULL},
};

#define N_KEYS(t) (sizeof(t) / sizeof((t)[0]))

static const struct kdef *
kdef_find(const struct kdef *t, size_t n, const char *name, size_t *idx_r)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*idx_r = i;
			return &t[i];
		}
	}
	return NULL;
}

/* ---- accounts ------------------------------------------------------------- */

static void
account_clear(struct cfg_account *a)
{
	free(a->name);
	free(a->host);
	free(a->tls);
	free(a->user);
	free(a->password_file);
	free(a->password_env);
	free(a->tls_fingerprint_sha256);
	free(a->tls_ca_file);
	free(a->smtp_url);
	free(a->smtp_user);
	free(a->smtp_password_file);
	free(a->smtp_password_env);
	free(a->smtp_tls_fingerprint_sha256);
	free(a->allowed_recipients);
	free(a->known_domains);
	free(a->address);
	free(a->smtp_tls_ca_file);
	free(a->protected_folders);
	free(a->expunge_folders);
	free(a->tools_allow);
	free(a->tools_deny);
	free(a->warm_folders);
}

static bool
account_add(struct loader *ld, const char *name, size_t len, size_t *idx_r)
{
	struct ig_config *cfg = ld->cfg;
	struct cfg_account *na;
	uint64_t *ns;
	struct cfg_account *a;

	na = realloc(cfg->accounts, (cfg->n_accounts + 1) * sizeof(*na));
	if (na == NULL)
		return false;
	cfg->accounts = na;
	ns = realloc(ld->acct_seen, (cfg->n_accounts + 1) * sizeof(*ns));
	if (ns == NULL)
		return false;
	ld->acct_seen = ns;
	a = &cfg->accounts[cfg->n_accounts];
	memset(a, 0, sizeof(*a));
	a->name = str_ndup(name, len);
	if (a->name == NULL)
		return false;
	a->port = DEFAULT_IMAP_PORT;
	a->send_requires_approval = true;
	ld->acct_seen[cfg->n_accounts] = 0;
	*idx_r = cfg->n_accounts++;
	return true;
}

static ssize_t
account_index(const struct ig_config *cfg, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg->n_accounts; i++) {
		if (strlen(cfg->accounts[i].name) == len &&
		    memcmp(cfg->accounts[i].name, name, len) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* ---- file parsing --------------------------------------------------------- */

/* Called by the reader when a line is a section header: sections must be
 * known when they open (libinih never calls the handler for an empty one),
 * and libinih truncates section names to 49 bytes, too short for
 * "account " + 64. */
static bool
section_open(struct loader *ld, const char *s, size_t len)
{
	static const char acct[] = "account ";

	if (len == 6 && memcmp(s, "server", 6) == 0) {
		if (ld->seen_server_sect)
			goto dup;
		ld->seen_server_sect = true;
		ld->sect = SECT_SERVER;
		return true;
	}
	if (len == 8 && memcmp(s, "defaults", 8) == 0) {
		if (ld->seen_defaults_sect)
			goto dup;
		ld->seen_defaults_sect = true;
		ld->sect = SECT_DEFAULTS;
		return true;
	}
	if (len > sizeof(acct) - 1 && memcmp(s, acct, sizeof(acct) - 1) == 0) {
		const char *name = s + sizeof(acct) - 1;
		size_t nlen = len - (sizeof(acct) - 1);

		if (!account_name_ok(name, nlen)) {
			ld_fail(ld,
				"%s:%d: [%.*s]: account names are 1..%d characters from "
				"A-Z a-z 0-9 _ -",
				ld->path, ld->lineno, (int)len, s, LIM_ACCOUNT_NAME);
			return false;
		}
		if (account_index(ld->cfg, name, nlen) >= 0)
			goto dup;
		if (!account_add(ld, name, nlen, &ld->acct)) {
			ld_fail(ld, "out of memory");
			return false;
		}
		ld->sect = SECT_ACCOUNT;
		return true;
	}
	ld_fail(ld,
		"%s:%d: [%.*s]: unknown section (expected [server], [defaults] or "
		"[account NAME])",
		ld->path, ld->lineno, (int)(len > 80 ? 80 : len), s);
	return false;
dup:
	ld_fail(ld, "%s:%d: [%.*s]: section appears twice", ld->path, ld->lineno, (int)len, s);
	return false;
}

/* fgets-style reader for ini_parse_stream: counts lines (libinih's handler
 * gets no line number in this build), rejects NUL bytes and over-long
 * lines, and tracks section headers itself (see section_open). */
static char *
ld_read_line(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	size_t n = 0;
	int c = EOF;
	const char *p;
	const char *rb;

	if (ld->msg != NULL || num < 2)
		return NULL;
	while (n + 1 < (size_t)num && (c = getc(ld->f)) != EOF) {
		if (c == '\0') {
			ld_fail(ld, "%s:%d: NUL byte in line", ld->path, ld->lineno + 1);
			return NULL;
		}
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	ld->lineno++;
	if (c != '\n' && c != EOF) {
		ld_fail(ld, "%s:%d: line longer than %d bytes", ld->path, ld->lineno,
			LIM_CONFIG_LINE);
		return NULL;
	}
	p = str;
	if (ld->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p += strspn(p, " \t\r\n\v\f");
	if (*p == '[' && (rb = strchr(p, ']')) != NULL) {
		if (!section_open(ld, p + 1, (size_t)(rb - p - 1)))
			return NULL;
	}
	return str;
}

static const char *
sect_name(const struct loader *ld, char *tmp, size_t tmpsz)
{
	switch (ld->sect) {
	case SECT_SERVER:
		return "server";
	case SECT_DEFAULTS:
		return "defaults";
	case SECT_ACCOUNT:
		why_set(tmp, tmpsz, "account %s", ld->cfg->accounts[ld->acct].name);
		return tmp;
	case SECT_NONE:
		break;
	}
	return "";
}

/* Applies name=value to the current section. where: "file:line" or
 * "environment VAR". seen: the section's duplicate mask, or NULL (env). */
static bool
apply_key(struct loader *ld, const char *where, const char *name, const char *value, uint64_t *seen)
{
	const struct kdef *t;
	const struct kdef *k;
	size_t n;
	size_t idx = 0;
	void *obj = ld->cfg;
	char sbuf[LIM_ACCOUNT_NAME + 16];
	const char *sn = sect_name(ld, sbuf, sizeof(sbuf));

	switch (ld->sect) {
	case SECT_SERVER:
		t = server_keys;
		n = N_KEYS(server_keys);
		break;
	case SECT_DEFAULTS:
		t = defaults_keys;
		n = N_KEYS(defaults_keys);
		break;
	case SECT_ACCOUNT:
		t = account_keys;
		n = N_KEYS(account_keys);
		obj = &ld->cfg->accounts[ld->acct];
		break;
	case SECT_NONE:
	default:
		ld_fail(ld,
			"%s: %.64s: key outside any section (add [server], [defaults] or "
			"[account NAME] above it)",
			where, name);
		return false;
	}
	k = kdef_find(t, n, name, &idx);
	if (k == NULL) {
		ld_fail(ld, "%s: [%s] %.64s: unknown key", where, sn, name);
		return false;
	}
	if (seen != NULL && (*seen & ((uint64_t)1 << idx)) != 0) {
		ld_fail(ld, "%s: [%s] %s: key appears twice in this section", where, sn, name);
		return false;
	}
	if (value[0] == '\0') {
		ld_fail(ld, "%s: [%s] %s: empty value", where, sn, name);
		return false;
	}
	/* Never echo a value: for a misplaced secret it is the secret. */
	if (has_controls(value)) {
		ld_fail(ld, "%s: [%s] %s: control characters in value", where, sn, name);
		return false;
	}
	if (!k->set(ld, k, obj, value)) {
		ld_fail(ld, "%s: [%s] %s: %s", where, sn, name, ld->why);
		return false;
	}
	if (seen != NULL)
		*seen |= (uint64_t)1 << idx;
	if (ld->sect == SECT_ACCOUNT)
		ld->acct_seen[ld->acct] |= (uint64_t)1 << idx;
	if (ld->sect == SECT_SERVER && strcmp(name, "allowed_hosts") == 0)
		ld->allowed_hosts_set = true;
	if (ld->sect == SECT_SERVER && strcmp(name, "public_url") == 0)
		ld->public_url_set = true;
	return true;
}

static int
ld_handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	char where[512];
	uint64_t *seen = NULL;

	(void)section; /* tracked by ld_read_line; see section_open */
	if (ld->msg != NULL)
		return 0;
	why_set(where, sizeof(where), "%s:%d", ld->path, ld->lineno);
	if (ld->sect == SECT_SERVER)
		seen = &ld->server_seen;
	else if (ld->sect == SECT_DEFAULTS)
		seen = &ld->defaults_seen;
	else if (ld->sect == SECT_ACCOUNT)
		seen = &ld->acct_seen[ld->acct];
	return apply_key(ld, where, name, value, seen) ? 1 : 0;
}

static enum ig_err
ld_parse_file(struct loader *ld, const char *path)
{
	int rc;

	ld->f = fopen(path, "re");
	if (ld->f == NULL) {
		ld_fail(ld, "%s: cannot open: %s", path, strerror(errno));
		return IG_EIO;
	}
	ld->path = path;
	/* Process-wide libinih settings (Debian builds them as variables); the
	 * config is loaded in main before any thread starts. Multi-line values
	 * are off so an indented line is an error, not a silent continuation. */
	ini_allow_multiline = false;
	ini_max_line = LIM_CONFIG_LINE + 3;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(ld_read_line, ld, ld_handler, ld);
	if (ld->msg == NULL && ferror(ld->f))
		ld_fail(ld, "%s: read error", path);
	if (ld->msg == NULL && rc != 0)
		ld_fail(ld, "%s:%d: syntax error (expected [section] or key = value)", path,
			rc > 0 ? rc : ld->lineno);
	(void)fclose(ld->f);
	ld->f = NULL;
	ld->sect = SECT_NONE;
	return ld->msg == NULL ? IG_OK : IG_ECONFIG;
}

/* ---- environment ------------------------------------------------------- */

/* "WORK_HOST" style suffix match of a lower-case key against upper-case
 * env text: tail must equal toupper(key). */
static bool
env_key_eq(const char *env, size_t len, const char *key)
{
	size_t i;

	if (strlen(key) != len)
		return false;
	for (i = 0; i < len; i++) {
		char c = key[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (env[i] != c)
			return false;
	}
	return true;
}

/* The environment spelling of an account name: upper case, '-' -> '_'. */
static bool
env_name_matches(const char *acct, const char *env, size_t len)
{
	size_t i;

	if (strlen(acct) != len)
		return false;
	for (i = 0; i < len; i++) {
		char c = acct[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '-')
			c = '_';
		if (env[i] != c)
			return false;
	}
	return true;
}

static bool
env_acct_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LIM_ACCOUNT_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return true;
}

/* Splits "<NAME>_<KEY>" where both NAME and KEY may contain '_'. A split
 * whose NAME spells an account from the file wins; with none, the longest
 * known KEY wins (so IMAPGATE_ACCOUNT_W_SMTP_PASSWORD_FILE is account W,
 * key smtp_password_file); two file accounts matching is an error. Only
 * file accounts are consulted so the result does not depend on the order
 * of the environment. */
static bool
env_account_split(struct loader *ld, size_t n_file_accounts, const char *rest, size_t len,
		  ssize_t *acct_r, size_t *name_len_r, const char **key_r, bool *ambiguous_r)
{
	size_t i;
	size_t best_key_len = 0;
	bool found = false;
	bool file_match = false;

	*ambiguous_r = false;
	for (i = 0; i < N_KEYS(account_keys); i++) {
		const char *key = account_keys[i].name;
		size_t kl = strlen(key);
		size_t nl;
		size_t j;
		ssize_t match = -1;

		if (kl + 2 > len || rest[len - kl - 1] != '_' ||
		    !env_key_eq(rest + len - kl, kl, key))
			continue;
		nl = len - kl - 1;
		if (!env_acct_name_ok(rest, nl))
			continue;
		for (j = 0; j < n_file_accounts; j++) {
			if (env_name_matches(ld->cfg->accounts[j].name, rest, nl)) {
				if (match >= 0 || file_match) {
					*ambiguous_r = true;
					return false;
				}
				match = (ssize_t)j;
			}
		}
		if (match >= 0) {
			file_match = true;
		} else if (file_match || kl <= best_key_len) {
			continue;
		}
		*acct_r = match;
		*name_len_r = nl;
		*key_r = key;
		best_key_len = kl;
		found = true;
	}
	return found;
}

static bool
env_apply_account(struct loader *ld, size_t n_file_accounts, const char *var, const char *rest,
		  size_t len, const char *value)
{
	ssize_t acct = -1;
	size_t nl = 0;
	const char *key = NULL;
	bool ambiguous;
	char where[300];

	why_set(where, sizeof(where), "environment %.*s",
		(int)(len + sizeof("IMAPGATE_ACCOUNT_") - 1), var);
	if (!env_account_split(ld, n_file_accounts, rest, len, &acct, &nl, &key, &ambiguous)) {
		if (ambiguous)
			ld_fail(ld, "%s: ambiguous: matches two configured accounts", where);
		else
			ld_fail(ld,
				"%s: unknown account key (expected IMAPGATE_ACCOUNT_<NAME>_<KEY>, "
				"NAME upper-case with '-' written as '_')",
				where);
		return false;
	}
	if (acct < 0) {
		/* Containers may configure accounts from the environment only; the
		 * name is the lower-cased NAME. */
		char name[LIM_ACCOUNT_NAME + 1];
		ssize_t existing;
		size_t idx;

		memcpy(name, rest, nl);
		name[nl] = '\0';
		str_lower(name);
		existing = account_index(ld->cfg, name, nl);
		if (existing >= 0) {
			acct = existing;
		} else if (account_add(ld, name, nl, &idx)) {
			acct = (ssize_t)idx;
		} else {
			ld_fail(ld, "out of memory");
			return false;
		}
	}
	ld->sect = SECT_ACCOUNT;
	ld->acct = (size_t)acct;
	return apply_key(ld, where, key, value, NULL);
}

static bool
env_apply_one(struct loader *ld, size_t n_file_accounts, const char *entry)
{
	const char *eq = strchr(entry, '=');
	const char *rest = entry + sizeof(ENV_PREFIX) - 1;
	size_t nlen;
	size_t i;
	char key[64];
	char where[300];

	if (eq == NULL)
		return true;
	nlen = (size_t)(eq - entry);
	if (nlen == sizeof("IMAPGATE_CONFIG") - 1 && strncmp(entry, "IMAPGATE_CONFIG", nlen) == 0)
		return true;
	why_set(where, sizeof(where), "environment %.*s", (int)(nlen > 200 ? 200 : nlen), entry);
	if (strncmp(rest, "ACCOUNT_", 8) == 0)
		return env_apply_account(ld, n_file_accounts, entry, rest + 8,
					 (size_t)(eq - rest - 8), eq + 1);
	if (strncmp(rest, "SERVER_", 7) == 0) {
		ld->sect = SECT_SERVER;
		rest += 7;
	} else if (strncmp(rest, "DEFAULTS_", 9) == 0) {
		ld->sect = SECT_DEFAULTS;
		rest += 9;
	} else {
		ld_fail(ld,
			"%s: unknown section (expected IMAPGATE_SERVER_*, "
			"IMAPGATE_DEFAULTS_* or IMAPGATE_ACCOUNT_<NAME>_*)",
			where);
		return false;
	}
	if ((size_t)(eq - rest) >= sizeof(key)) {
		ld_fail(ld, "%s: unknown key", where);
		return false;
	}
	memcpy(key, rest, (size_t)(eq - rest));
	key[eq - rest] = '\0';
	/* Variables are upper-case; a lower-case one is a typo, not an alias. */
	for (i = 0; key[i] != '\0'; i++) {
		if (key[i] >= 'a' && key[i] <= 'z') {
			ld_fail(ld, "%s: unknown key (variable names are upper-case)", where);
			return false;
		}
	}
	str_lower(key);
	return apply_key(ld, where, key, eq + 1, NULL);
}

static enum ig_err
ld_apply_env(struct loader *ld, char *const *envp)
{
	size_t n_file_accounts = ld->cfg->n_accounts;
	size_t i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], ENV_PREFIX, sizeof(ENV_PREFIX) - 1) != 0)
			continue;
		if (!env_apply_one(ld, n_file_accounts, envp[i]))
			return IG_ECONFIG;
	}
	ld->sect = SECT_NONE;
	return IG_OK;
}

/* ---- defaults and final checks ---------------------------------------- */

static bool
hosts_add(struct ig_config *cfg, const char *h, size_t len)
{
	char **nl;
	size_t i;

	for (i = 0; i < cfg->n_allowed_hosts; i++) {
		if (strlen(cfg->allowed_hosts[i]) == len &&
		    strncasecmp(cfg->allowed_hosts[i], h, len) == 0)
			return true;
	}
	nl = realloc(cfg->allowed_hosts, (cfg->n_allowed_hosts + 1) * sizeof(*nl));
	if (nl == NULL)
		return false;
	cfg->allowed_hosts = nl;
	nl[cfg->n_allowed_hosts] = str_ndup(h, len);
	if (nl[cfg->n_allowed_hosts] == NULL)
		return false;
	str_lower(nl[cfg->n_allowed_hosts++]);
	return true;
}

static enum ig_err
ld_finish_server(struct loader *ld, const char *origin)
{
	struct ig_config *cfg = ld->cfg;
	static const char *const schemes[] = {"https", "http", NULL};
	struct url u;
	struct buf b;

	if (!ld->public_url_set) {
		if (!cfg->listen_is_loopback) {
			ld_fail(ld,
				"%s: [server] public_url: required when listen (%s) is not "
				"a loopback address: set it to the URL clients use, e.g. "
				"https://mail-mcp.example.com/mcp",
				origin, cfg->listen);
			return IG_ECONFIG;
		}
		buf_init(&b, MAX_ERROR);
		if (strchr(cfg->listen_host, ':') != NULL)
			buf_appendf(&b, "http://[%s]:%u/mcp", cfg->listen_host, cfg->listen_port);
		else
			buf_appendf(&b, "http://%s:%u/mcp", cfg->listen_host, cfg->listen_port);
		if (buf_err(&b) != IG_OK) {
			buf_free(&b);
			return IG_ENOMEM;
		}
		free(cfg->public_url);
		cfg->public_url = buf_take(&b);
	}
	if (!ld->allowed_hosts_set) {
		/* Loopback deployments are the DNS-rebinding target: a page on
		 * evil.example resolving to 127.0.0.1 sends Host: evil.example. */
		if (cfg->listen_is_loopback &&
		    (!hosts_add(cfg, "localhost", 9) || !hosts_add(cfg, "127.0.0.1", 9) ||
		     !hosts_add(cfg, "[::1]", 5)))
			return IG_ENOMEM;
		if (!url_parse(cfg->public_url, schemes, true, &u))
			return IG_EINTERNAL; /* validated when set */
		if (!hosts_add(cfg, u.host, u.host_len))
			return IG_ENOMEM;
	}
	if (cfg->max_body_preauth > cfg->max_body) {
		ld_fail(ld, "%s: [server] max_body_preauth: must not exceed max_body (%zu)", origin,
			cfg->max_body);
		return IG_ECONFIG;
	}
	return IG_OK;
}

static bool
acct_has(const struct loader *ld, size_t i, const char *key)
{
	size_t idx;

	return kdef_find(account_keys, N_KEYS(account_keys), key, &idx) != NULL &&
	       (ld->acct_seen[i] & ((uint64_t)1 << idx)) != 0;
}

static enum ig_err
ld_finish_accounts(struct loader *ld, const char *origin)
{
	struct ig_config *cfg = ld->cfg;
	size_t i;

	for (i = 0; i < cfg->n_accounts; i++) {
		struct cfg_account *a = &cfg->accounts[i];
		const char *missing = NULL;

		if (!acct_has(ld, i, "posture"))
			a->posture = cfg->default_posture;
		if (!acct_has(ld, i, "rate_limit"))
			a->rate_limit = cfg->rate_limit;
		if (!acct_has(ld, i, "draft_rate_limit"))
			a->draft_rate_limit = cfg->draft_rate_limit;
		if (!acct_has(ld, i, "send_rate_limit"))
			a->send_rate_limit = cfg->send_rate_limit;
		if (a->tls == NULL && (a->tls = strdup("implicit")) == NULL)
			return IG_ENOMEM;
		if (a->host == NULL)
			missing = "host";
		else if (a->user == NULL)
			missing = "user";
		else if (a->password_file == NULL && a->password_env == NULL)
			missing = "password_file (or password_env)";
		if (missing != NULL) {
			ld_fail(ld,
				"%s: [account %s] %s: required (in the file or as "
				"IMAPGATE_ACCOUNT_<NAME>_<KEY>)",
				origin, a->name, missing);
			return IG_ECONFIG;
		}
		if (acct_has(ld, i, "password_file") && acct_has(ld, i, "password_env"))
			missing = "password_file and password_env";
		else if (acct_has(ld, i, "smtp_password_file") &&
			 acct_has(ld, i, "smtp_password_env"))
			missing = "smtp_password_file and smtp_password_env";
		else if (acct_has(ld, i, "tls_fingerprint_sha256") &&
			 acct_has(ld, i, "tls_ca_file"))
			missing = "tls_fingerprint_sha256 and tls_ca_file";
		else if (acct_has(ld, i, "smtp_tls_fingerprint_sha256") &&
			 acct_has(ld, i, "smtp_tls_ca_file"))
			missing = "smtp_tls_fingerprint_sha256 and smtp_tls_ca_file";
		if (missing != NULL) {
			ld_fail(ld, "%s: [account %s]: %s are exclusive; set only one", origin,
				a->name, missing);
			return IG_ECONFIG;
		}
	}
	return IG_OK;
}

static enum ig_err
cfg_set_defaults(struct ig_config *cfg)
{
	cfg->data_dir = strdup(DEFAULT_DATA_DIR);
	cfg->log_level = strdup("info");
	cfg->listen = strdup(DEFAULT_LISTEN);
	cfg->listen_host = strdup("127.0.0.1");
	if (cfg->data_dir == NULL || cfg->log_level == NULL || cfg->listen == NULL ||
	    cfg->listen_host == NULL)
		return IG_ENOMEM;
	cfg->listen_port = 8080;
	cfg->listen_is_loopback = true;
	cfg->max_body = (size_t)LIM_HTTP_BODY;
	cfg->max_body_preauth = (size_t)LIM_HTTP_BODY_PREAUTH;
	cfg->max_connections = LIM_HTTP_CONNECTIONS;
	cfg->max_sessions = LIM_SESSIONS;
	cfg->session_idle_s = LIM_SESSION_IDLE_S;
	cfg->connection_timeout_s = LIM_HTTP_TIMEOUT_S;
	cfg->shutdown_timeout_s = LIM_HTTP_SHUTDOWN_S;
	cfg->max_connections_per_ip = LIM_HTTP_CONN_PER_IP;
	cfg->request_timeout_s = LIM_HTTP_REQUEST_S;
	cfg->max_streams_per_token = LIM_HTTP_STREAMS_PER_TOKEN;
	cfg->max_calls_per_token = LIM_HTTP_CALLS_PER_TOKEN;
	cfg->audit_max_bytes = LIM_AUDIT_MAX_BYTES_DEFAULT;
	cfg->default_posture = POSTURE_DRAFT_SAFE;
	/* docs/security-model.md: generous for reads, strict for mail leaving */
	cfg->token_rate_limit = (struct cfg_rate){600, 60};
	cfg->rate_limit = (struct cfg_rate){1200, 60};
	cfg->draft_rate_limit = (struct cfg_rate){60, 3600};
	cfg->send_rate_limit = (struct cfg_rate){20, 3600};
	return IG_OK;
}

/* ---- public API ------------------------------------------------------- */

enum ig_err
config_load(const char *path, char *const *envp, struct ig_config **cfg_r, char **error_r)
{
	struct loader ld;
	enum ig_err err = IG_ENOMEM;
	const char *origin = path != NULL ? path : "configuration";

	*cfg_r = NULL;
	*error_r = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL || cfg_set_defaults(ld.cfg) != IG_OK)
		goto out;
	if (path != NULL && (err = ld_parse_file(&ld, path)) != IG_OK)
		goto out;
	if ((err = ld_apply_env(&ld, envp)) != IG_OK)
		goto out;
	if ((err = ld_finish_server(&ld, origin)) != IG_OK)
		goto out;
	if ((err = ld_finish_accounts(&ld, origin)) != IG_OK)
		goto out;
	*cfg_r = ld.cfg;
	ld.cfg = NULL;
out:
	if (err != IG_OK) {
		if (ld.msg == NULL)
			ld_fail(&ld, "%s: %s", origin,
				err == IG_ENOMEM ? "out of memory" : ig_err_str(err));
		if (err != IG_EIO)
			err = IG_ECONFIG;
		*error_r = ld.msg;
		ld.msg = NULL;
	}
	free(ld.msg);
	free(ld.acct_seen);
	config_free(ld.cfg);
	return err;
}

void
config_free(struct ig_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->listen);
	free(cfg->listen_host);
	free(cfg->public_url);
	list_free(cfg->allowed_origins, cfg->n_allowed_origins);
	list_free(cfg->trusted_proxies, cfg->n_trusted_proxies);
	list_free(cfg->allowed_hosts, cfg->n_allowed_hosts);
	list_free(cfg->authorization_servers, cfg->n_authorization_servers);
	free(cfg->data_dir);
	free(cfg->log_level);
	for (i = 0; i < cfg->n_accounts; i++)
		account_clear(&cfg->accounts[i]);
	free(cfg->accounts);
	free(cfg);
}

const struct cfg_account *
config_account_find(const struct ig_config *cfg, const char *name)
{
	ssize_t i = account_index(cfg, name, strlen(name));

	return i >= 0 ? &cfg->accounts[i] : NULL;
}

static const char *const posture_names[] = {"readonly", "draft-safe", "full", "destructive"};

const char *
posture_str(enum posture p)
{
	if ((unsigned)p < sizeof(posture_names) / sizeof(posture_names[0]))
		return posture_names[p];
	return "unknown";
}

bool
posture_parse(const char *s, enum posture *p_r)
{
	size_t i;

	for (i = 0; i < sizeof(posture_names) / sizeof(posture_names[0]); i++) {
		if (strcmp(s, posture_names[i]) == 0) {
			*p_r = (enum posture)i;
			return true;
		}
	}
	return false;
}

static const struct {
	const char *name;
	unsigned seconds;
} rate_units[] = {
	{"s", 1}, {"sec", 1}, {"min", 60}, {"h", 3600}, {"hour", 3600}, {"day", 86400},
};

bool
cfg_rate_parse(const char *s, struct cfg_rate *r_r)
{
	const char *slash = strchr(s, '/');
	unsigned long n;
	size_t i;

	if (strcmp(s, "off") == 0) {
		*r_r = (struct cfg_rate){0, 1};
		return true;
	}
	if (slash == NULL || !parse_ulong(s, (size_t)(slash - s), &n) || n < 1 ||
	    n > LIM_RATE_COUNT)
		return false;
	for (i = 0; i < sizeof(rate_units) / sizeof(rate_units[0]); i++) {
		if (strcmp(slash + 1, rate_units[i].name) == 0) {
			*r_r = (struct cfg_rate){(unsigned)n, rate_units[i].seconds};
			return true;
		}
	}
	return false;
}

const char *
cfg_account_address(const struct cfg_account *a)
{
	if (a->address != NULL)
		return a->address;
	if (a->user != NULL && strchr(a->user, '@') != NULL)
		return a->user;
	return NULL;
}

void
cfg_rate_format(struct cfg_rate r, char *out, size_t outsz)
{
	const char *unit = r.period_s == 1 ? "s" : r.period_s == 60 ? "min"
						: r.period_s == 3600 ? "h" : "day";

	if (r.count == 0)
		(void)snprintf(out, outsz, "off");
	else
		(void)snprintf(out, outsz, "%u/%s", r.count, unit);
}
