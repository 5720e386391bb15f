#ifndef IG_BASE_NETADDR_H
#define IG_BASE_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

/* IP addresses as 16 bytes (IPv4 as ::ffff:a.b.c.d) and networks over them. */

/* An IPv4 or IPv6 address and a prefix length over those 128 bits. */
struct netaddr_net {
	uint8_t addr[16];
	unsigned prefix;
};

/* Parses "ADDR" or "ADDR/PREFIX" (IPv4 prefix 0..32, IPv6 0..128; IPv6 in or
 * out of brackets). Returns false when it is neither. */
bool netaddr_net_parse(struct slice s, struct netaddr_net *net_r);
/* True when addr (16 bytes, IPv4-mapped for IPv4) lies in one of nets. */
bool netaddr_net_match(const struct netaddr_net *nets, size_t n, const uint8_t addr[16]);
/* Parses one address as proxies write it in Forwarded "for=" (quoted or
 * not, IPv6 in brackets, an optional port) or X-Forwarded-For ("a.b.c.d",
 * "a.b.c.d:port", bare or bracketed IPv6). Into addr_r as above. */
bool netaddr_parse(struct slice s, uint8_t addr_r[16]);

/* The pieces: a decimal port 1..65535; an IPv6 literal without brackets
 * (hex digits, ':' and '.', as inet_pton reads it); a dotted IPv4 literal
 * (into its IPv4-mapped form). Each false on anything else. */
bool netaddr_port_parse(struct slice s, unsigned *port_r);
bool netaddr_ipv6_literal(struct slice inner, uint8_t out[16]);
bool netaddr_ipv4_literal(struct slice s, uint8_t out[16]);

#endif
