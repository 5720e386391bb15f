#ifndef IG_IMAP_SEARCHKEY_H
#define IG_IMAP_SEARCHKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/slice.h"

/* Validation of a raw IMAP SEARCH key (RFC 3501 §6.4.4 search-key) that
 * search.advanced_query passes to the server (full posture only). The key is
 * sent as command text, so it must not be able to end the command or start
 * another: no CR, LF or NUL anywhere, no literals ({n}, {n+}, ~{n}), quoted
 * strings closed (backslash escapes only before '"' and '\'), parentheses
 * balanced and at most LIM_SEARCH_KEY_DEPTH deep, at most
 * LIM_SEARCH_KEY_TOKENS tokens and LIM_SEARCH_KEY bytes, atoms of printable
 * ASCII, quoted strings of well-formed UTF-8. An incremental state machine:
 * feeding the key in any split gives the same answer. */

struct searchkey {
	size_t len;     /* bytes fed */
	size_t tokens;
	unsigned depth;
	bool in_quote;
	bool escape;
	bool in_atom;
	unsigned u8_need; /* continuation bytes still expected in a quoted string */
	unsigned char u8_lead;
	bool u8_second;
	unsigned char prev; /* last byte outside a quoted string */
	const char *error; /* sticky: static message once invalid */
};

void searchkey_init(struct searchkey *k);
/* Consumes bytes; IG_OK while still valid so far, IG_EINVAL / IG_ELIMIT
 * (sticky) with k->error set. */
enum ig_err searchkey_feed(struct searchkey *k, const char *p, size_t n) IG_MUST_CHECK;
/* IG_OK when everything fed forms a complete, non-empty key. */
enum ig_err searchkey_finish(struct searchkey *k, const char **error_r) IG_MUST_CHECK;
/* Both in one call. */
enum ig_err searchkey_check(struct slice key, const char **error_r) IG_MUST_CHECK;

#endif
