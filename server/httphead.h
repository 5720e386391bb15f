#ifndef IG_SERVER_HTTPHEAD_H
#define IG_SERVER_HTTPHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/netaddr.h"
#include "base/slice.h"

/* Pure checks of an HTTP/1.1 request head (RFC 9110, RFC 9112, RFC 3986
 * §3.2.2, RFC 7239) used by server/http.c; nothing here knows
 * libmicrohttpd, so the unit tests feed them directly. */

/* One header field as libmicrohttpd left it in its read buffer. */
struct httphead_field {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/* libmicrohttpd 0.9.75 parses the head in place: it writes NUL over each
 * CR, LF and ':' it consumes and reports values by strlen, so a NUL inside a
 * value silently shortens it. block is the whole head ([request line start,
 * +len), MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE); version points at the
 * protocol version inside it; fields are the header fields in received
 * order. Returns true when every byte of the block is accounted for: each
 * name is a token, each value is VCHAR/obs-text with inner SP/HTAB, each
 * line ends in CRLF, and nothing but the separators lies between them. A NUL,
 * bare CR or other control byte anywhere in a field, a line folded onto the
 * previous one (obs-fold) and bare-LF line ends make it false. */
bool httphead_block_ok(const char *block, size_t len, const char *version,
		       const struct httphead_field *fields, size_t n);

/* Parses a Host field value strictly as uri-host [ ":" port ]: uri-host is
 * an IPv6 literal in brackets (inet_pton must accept it; no zone), or a name
 * of ALPHA / DIGIT / "-" / "." / "_" / "~" (at most 253 bytes; an IPv4
 * address is such a name); port is 1 to 5 digits, 1..65535. No user info,
 * percent-encoding or other sub-delims. On success *name_r is the host part
 * (brackets included) and *port_r the port or 0 when absent. */
bool httphead_host_parse(struct slice v, struct slice *name_r, unsigned *port_r);

/* The client of a request relayed by trusted proxies: lists holds the
 * values of every Forwarded field (forwarded = true) or every
 * X-Forwarded-For field (false) in received order. Walking the hops from the
 * right, the first address that is not one of nets is the client; when every
 * hop is trusted, the left-most. Returns false when the list is empty or a
 * hop that would decide is not an address (obfuscated, "unknown", garbage):
 * then the caller keeps the peer's address. At most 64 hops are read. */
bool httphead_forwarded_client(const struct slice *lists, size_t n_lists, bool forwarded,
			       const struct netaddr_net *nets, size_t n_nets, uint8_t addr_r[16]);

#endif
