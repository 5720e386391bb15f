/* Request headers for the HTTP front end (server/http.c): reading a field
 * from libmicrohttpd, the hygiene checks MHD does not do (duplicate framing
 * headers, obsolete line folding), Accept and Content-Type negotiation, and
 * the Origin and Host allow-lists. */
#include "server/http_int.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/config.h"
#include "base/limits.h"
#include "server/httphead.h"

bool
http_hdr_get(struct MHD_Connection *c, const char *name, struct slice *v_r)
{
	const char *v = NULL;
	size_t len = 0;

	if (MHD_lookup_connection_value_n(c, MHD_HEADER_KIND, name, strlen(name), &v, &len) !=
		    MHD_YES ||
	    v == NULL)
		return false;
	*v_r = (struct slice){v, len};
	return true;
}

struct mcp_hdr
http_hdr_opt(struct MHD_Connection *c, const char *name)
{
	struct mcp_hdr h = {{NULL, 0}, false};

	h.present = http_hdr_get(c, name, &h.v);
	if (h.present)
		h.v = sl_trim_ows(h.v);
	return h;
}

/* Headers that must appear at most once: framing, authority, credentials,
 * and every header the MCP transport interprets. */
static const char *const unique_headers[] = {
	"content-length", "transfer-encoding", "host", "authorization", "content-type", "origin",
	"mcp-session-id", "mcp-protocol-version", "mcp-method", "mcp-name", "last-event-id",
};
#define N_UNIQUE (sizeof(unique_headers) / sizeof(unique_headers[0]))

struct hdr_scan {
	unsigned counts[N_UNIQUE];
	size_t total;
	struct httphead_field fields[LIM_HTTP_HEADERS];
};

static enum MHD_Result
hdr_scan_one(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
	     const char *value, size_t value_size)
{
	struct hdr_scan *s = cls;
	size_t i;

	(void)kind;
	if (s->total < LIM_HTTP_HEADERS)
		s->fields[s->total] = (struct httphead_field){key, key_size, value, value_size};
	s->total++;
	for (i = 0; i < N_UNIQUE; i++) {
		if (strlen(unique_headers[i]) == key_size &&
		    strncasecmp(key, unique_headers[i], key_size) == 0)
			s->counts[i]++;
	}
	return MHD_YES;
}

/* Returns 0 when the header set is acceptable, else the status to answer.
 * method and version point into MHD's copy of the head (the request line
 * starts at method), which httphead_block_ok reads whole: MHD cuts a value
 * at a NUL before any lookup would see it. */
unsigned
http_hdr_hygiene(struct MHD_Connection *c, const char *method, const char *version)
{
	const union MHD_ConnectionInfo *ci;
	struct hdr_scan s;
	size_t i;

	memset(&s, 0, sizeof(s));
	(void)MHD_get_connection_values_n(c, MHD_HEADER_KIND, hdr_scan_one, &s);
	if (s.total > LIM_HTTP_HEADERS)
		return 431;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci == NULL ||
	    !httphead_block_ok(method, ci->header_size, version, s.fields, s.total))
		return 400;
	for (i = 0; i < N_UNIQUE; i++) {
		if (s.counts[i] > 1)
			return 400;
	}
	/* both framings at once is the classic smuggling vector */
	if (s.counts[0] > 0 && s.counts[1] > 0)
		return 400;
	for (i = 0; i < s.total; i++) {
		struct slice name;
		unsigned port;

		if (s.fields[i].key_len == 4 && strncasecmp(s.fields[i].key, "host", 4) == 0 &&
		    !httphead_host_parse(sl_trim_ows((struct slice){s.fields[i].val,
								    s.fields[i].val_len}),
					 &name, &port))
			return 400;
	}
	return 0;
}

/* Media-range test for Accept: true when type/subtype, type/ * or * / * is
 * listed with a non-zero q. */
bool
http_accept_allows(struct slice accept, const char *type, const char *subtype)
{
	size_t i = 0;

	while (i < accept.len) {
		size_t start = i;
		struct slice item;
		struct slice range;
		const char *semi;
		const char *slash;
		size_t tl = strlen(type);
		size_t sl = strlen(subtype);

		while (i < accept.len && accept.p[i] != ',')
			i++;
		item = sl_trim_ows((struct slice){accept.p + start, i - start});
		i++;
		semi = memchr(item.p, ';', item.len);
		range = sl_trim_ows((struct slice){item.p, semi != NULL ? (size_t)(semi - item.p)
									: item.len});
		if (semi != NULL) {
			struct slice params = {semi, item.len - (size_t)(semi - item.p)};
			const char *q = NULL;
			size_t k;

			for (k = 0; k + 3 < params.len; k++) {
				if ((params.p[k] == 'q' || params.p[k] == 'Q') &&
				    params.p[k + 1] == '=') {
					q = params.p + k + 2;
					break;
				}
			}
			if (q != NULL && q[0] == '0' &&
			    (q + 1 >= params.p + params.len || q[1] != '.' ||
			     strspn(q + 2, "0") >= (size_t)(params.p + params.len - q - 2)))
				continue; /* q=0: explicitly not acceptable */
		}
		slash = memchr(range.p, '/', range.len);
		if (slash == NULL)
			continue;
		if (range.len == 3 && memcmp(range.p, "*/*", 3) == 0)
			return true;
		if ((size_t)(slash - range.p) != tl || strncasecmp(range.p, type, tl) != 0)
			continue;
		if ((size_t)(range.p + range.len - slash - 1) == 1 && slash[1] == '*')
			return true;
		if ((size_t)(range.p + range.len - slash - 1) == sl &&
		    strncasecmp(slash + 1, subtype, sl) == 0)
			return true;
	}
	return false;
}

bool
http_content_type_is_json(struct slice ct)
{
	const char *semi = memchr(ct.p, ';', ct.len);
	struct slice mt = sl_trim_ows((struct slice){ct.p, semi ? (size_t)(semi - ct.p) : ct.len});
	struct slice rest;

	if (mt.len != 16 || strncasecmp(mt.p, "application/json", 16) != 0)
		return false;
	if (semi == NULL)
		return true;
	/* the only parameter we accept is a UTF-8 charset */
	rest = sl_trim_ows((struct slice){semi + 1, ct.len - (size_t)(semi + 1 - ct.p)});
	return rest.len == 0 || (rest.len == 13 && strncasecmp(rest.p, "charset=utf-8", 13) == 0) ||
	       (rest.len == 15 && strncasecmp(rest.p, "charset=\"utf-8\"", 15) == 0);
}

/* --- Origin and Host --- */

bool
http_list_has_ci(char *const *list, size_t n, struct slice v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(list[i]) == v.len && strncasecmp(list[i], v.p, v.len) == 0)
			return true;
	}
	return false;
}

/* host is a value httphead_host_parse accepted, name its host part. An
 * allowed_hosts entry without a port matches that host on any port. */
bool
http_host_allowed(const struct ig_config *cfg, struct slice host, struct slice name)
{
	size_t i;

	if (http_list_has_ci(cfg->allowed_hosts, cfg->n_allowed_hosts, host))
		return true;
	for (i = 0; i < cfg->n_allowed_hosts; i++) {
		const char *e = cfg->allowed_hosts[i];

		if (strchr(e, ':') != NULL && e[0] != '[')
			continue; /* entry pins a port: exact match only */
		if (e[0] == '[' && strstr(e, "]:") != NULL)
			continue;
		if (strlen(e) == name.len && strncasecmp(e, name.p, name.len) == 0)
			return true;
	}
	return false;
}

