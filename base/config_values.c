/* The key tables of [server], [defaults] and [account NAME] (split from
 * config.c), with the validators and setters they name: strings, lists,
 * whole numbers, sizes, booleans, postures, rates, listen addresses and the
 * rejection of inline secrets; and the public posture and rate parsers. */
#include "base/config_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "base/slice.h"

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
		cfg_why_set(why, whysz, "must be an absolute path");
		return false;
	}
	return true;
}

static bool
valid_env_name(const char *v, char *why, size_t whysz)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if (!cfg_is_alnum(v[i]) && v[i] != '_')
			break;
	}
	if (v[i] != '\0' || (v[0] >= '0' && v[0] <= '9') || i > 255) {
		cfg_why_set(why, whysz,
			"must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
		return false;
	}
	return true;
}

static bool
valid_host(const char *v, char *why, size_t whysz)
{
	size_t len = strlen(v);

	if (cfg_hostname_ok(v, len) ||
	    (len > 2 && v[0] == '[' && v[len - 1] == ']' && cfg_ipv6_ok(v + 1, len - 2)))
		return true;
	cfg_why_set(why, whysz, "must be a host name, IPv4 address or [IPv6] address");
	return false;
}

static bool
valid_tls_mode(const char *v, char *why, size_t whysz)
{
	if (strcmp(v, "implicit") == 0 || strcmp(v, "starttls") == 0)
		return true;
	cfg_why_set(why, whysz, "must be implicit or starttls");
	return false;
}

static bool
valid_log_level(const char *v, char *why, size_t whysz)
{
	enum log_level l;

	if (log_level_parse(v, &l))
		return true;
	cfg_why_set(why, whysz, "must be debug, info, warn or error");
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
	cfg_why_set(why, whysz,
		"must be a SHA-256 fingerprint: 64 hex digits, optionally "
		"with ':' between byte pairs");
	return false;
}

static bool
valid_public_url(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"https", "http", NULL};
	struct url u;

	if (cfg_url_parse(v, schemes, true, &u))
		return true;
	cfg_why_set(why, whysz,
		"must be an http:// or https:// URL (host[:port][/path], no "
		"user, query or fragment)");
	return false;
}

static bool
valid_https_url(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"https", NULL};
	struct url u;

	if (cfg_url_parse(v, schemes, true, &u))
		return true;
	cfg_why_set(why, whysz, "entry '%.*s' must be an https:// URL (no user, query or fragment)", 64,
		v);
	return false;
}

static bool
valid_smtp_url(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"smtps", "smtp", NULL};
	struct url u;

	if (cfg_url_parse(v, schemes, true, &u) && (u.path[0] == '\0' || strcmp(u.path, "/") == 0))
		return true;
	cfg_why_set(why, whysz, "must be smtps://host[:port] or smtp://host[:port] (STARTTLS)");
	return false;
}

static bool
valid_origin(const char *v, char *why, size_t whysz)
{
	static const char *const schemes[] = {"https", "http", NULL};
	struct url u;

	if (cfg_url_parse(v, schemes, false, &u))
		return true;
	cfg_why_set(why, whysz, "entry '%.*s' must be an origin: scheme://host[:port] with no path", 64,
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

	if (cfg_hostport_split(v, strlen(v), false, &h, &hl, &port, &has_port))
		return true;
	cfg_why_set(why, whysz, "entry '%.*s' must be host or host:port ([IPv6] in brackets)", 64, v);
	return false;
}

static bool
valid_trusted_proxy(const char *v, char *why, size_t whysz)
{
	struct netaddr_net net;

	if (netaddr_net_parse((struct slice){v, strlen(v)}, &net))
		return true;
	cfg_why_set(why, whysz, "entry '%.*s' must be an IP address or ADDRESS/PREFIX", 64, v);
	return false;
}

static bool
valid_list_entry(const char *v, char *why, size_t whysz)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == ' ' || v[i] == '\t') {
			cfg_why_set(why, whysz, "list entries must not contain blanks");
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
		cfg_why_set(ld->why, sizeof(ld->why), "out of memory");
		return false;
	}
	free(*f);
	*f = copy;
	return true;
}

void
cfg_list_free(char **list, size_t n)
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
			cfg_why_set(ld->why, sizeof(ld->why), "empty entry in comma list");
			goto fail;
		}
		if (n == LIM_ORIGINS) {
			cfg_why_set(ld->why, sizeof(ld->why), "more than %d entries", LIM_ORIGINS);
			goto fail;
		}
		list[n] = cfg_str_ndup(e.p, e.len);
		if (list[n] == NULL)
			goto nomem;
		cfg_str_lower(list[n]);
		if (!valid_list_entry(list[n++], ld->why, sizeof(ld->why)) ||
		    !k->valid(list[n - 1], ld->why, sizeof(ld->why)))
			goto fail;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	cfg_list_free(*f, *nf);
	*f = list;
	*nf = n;
	return true;
nomem:
	cfg_why_set(ld->why, sizeof(ld->why), "out of memory");
fail:
	cfg_list_free(list, n);
	return false;
}

static bool
set_uint(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	unsigned long x;

	if (!cfg_parse_ulong(v, strlen(v), &x) || x < k->min || x > k->max) {
		cfg_why_set(ld->why, sizeof(ld->why), "must be a whole number from %lu to %lu", k->min,
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
	if (!cfg_parse_ulong(v, len, &x) || __builtin_mul_overflow(x, mult, &x) || x < k->min ||
	    x > k->max) {
		cfg_why_set(ld->why, sizeof(ld->why),
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
	cfg_why_set(ld->why, sizeof(ld->why), "must be true or false");
	return false;
}

static bool
set_posture(struct loader *ld, const struct kdef *k, void *obj, const char *v)
{
	if (posture_parse(v, FIELD(obj, k->off, enum posture)))
		return true;
	cfg_why_set(ld->why, sizeof(ld->why), "must be readonly, draft-safe, full or destructive");
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

	if (!cfg_hostport_split(v, strlen(v), true, &h, &hl, &port, &has_port)) {
		cfg_why_set(ld->why, sizeof(ld->why),
			"must be host:port with port 1..65535 (IPv6 as [::1]:8080)");
		return false;
	}
	if (h[0] == '[')
		host = cfg_str_ndup(h + 1, hl - 2);
	else
		host = cfg_str_ndup(h, hl);
	if (host == NULL || !set_str(ld, k, obj, v)) {
		free(host);
		cfg_why_set(ld->why, sizeof(ld->why), "out of memory");
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
	cfg_why_set(ld->why, sizeof(ld->why),
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
	cfg_why_set(ld->why, sizeof(ld->why),
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
		cfg_why_set(why, whysz, "longer than %d bytes", LIM_OVERRIDE_LIST);
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
	cfg_why_set(why, whysz, "must be a comma list of at most %d tool names (e.g. "
		"send_email, search.advanced_query)", LIM_OVERRIDE_NAMES);
	return false;
}

/* ---- key tables ----------------------------------------------------------- */

#define SRV(f) offsetof(struct ig_config, f)
#define ACC(f) offsetof(struct cfg_account, f)

const struct kdef cfg_server_keys[] = {
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

const struct kdef cfg_defaults_keys[] = {
	{"posture", set_posture, offsetof(struct ig_config, default_posture), 0, 0, 0, NULL},
	{"token_rate_limit", set_rate, SRV(token_rate_limit), 0, 0, 0, NULL},
	{"rate_limit", set_rate, SRV(rate_limit), 0, 0, 0, NULL},
	{"draft_rate_limit", set_rate, SRV(draft_rate_limit), 0, 0, 0, NULL},
	{"send_rate_limit", set_rate, SRV(send_rate_limit), 0, 0, 0, NULL},
};

const struct kdef cfg_account_keys[] = {
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

const size_t cfg_n_server_keys = N_KEYS(cfg_server_keys);
const size_t cfg_n_defaults_keys = N_KEYS(cfg_defaults_keys);
const size_t cfg_n_account_keys = N_KEYS(cfg_account_keys);

const struct kdef *
cfg_kdef_find(const struct kdef *t, size_t n, const char *name, size_t *idx_r)
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

/* ---- postures and rates (base/config.h) --------------------------------- */

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
	if (slash == NULL || !cfg_parse_ulong(s, (size_t)(slash - s), &n) || n < 1 ||
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
