#ifndef IG_IMAP_COMPOSE_H
#define IG_IMAP_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/slice.h"

/* Composing outgoing mail (DESIGN §4.3, §10): validation of everything an
 * agent supplies, and the RFC 5322 message built with GMime. Pure: no I/O.
 * Inputs come from a tool call (an agent, possibly steered by a hostile
 * mail), so every field is checked here and nothing reaches a header
 * without GMime's encoding: CR, LF, NUL and other controls in header
 * fields are refused, addresses must be plain dot-atom@domain. */

struct compose_addr {
	const char *name;    /* display name, UTF-8, may be NULL or "" */
	const char *address; /* local@domain, ASCII */
};

struct compose_in {
	const char *from_address;            /* the account's address (validated too) */
	const struct compose_addr *to, *cc;  /* in the message header */
	size_t n_to, n_cc;
	const char *subject;                 /* UTF-8, no controls */
	const char *body_text;               /* UTF-8; any line ending */
	const char *in_reply_to;             /* "<id>" of the parent, or NULL */
	const char *references;              /* "<a> <b> <parent>" already capped, or NULL */
	int64_t date;                        /* unix seconds */
};

/* True when s is a plain address local@domain: RFC 5321 dot-atom local part
 * of at most LIM_SEND_LOCAL bytes, LDH domain labels, at most
 * LIM_SEND_ADDRESS bytes. Quoted local parts, address literals and
 * non-ASCII (SMTPUTF8) are refused. */
bool compose_address_valid(const char *s);
/* True when s is valid UTF-8 of at most max bytes without C0/C1 controls
 * (TAB included), DEL, or U+2028/U+2029: safe for a header field. */
bool compose_header_text_valid(const char *s, size_t max);
/* True when the address matches one pattern of a comma list such as
 * "*@example.com, partner@example.org" (exact addresses, or "*@domain";
 * case-insensitive). An empty or NULL list matches nothing. */
bool compose_rcpt_allowed(const char *patterns, const char *address);
/* True when the pattern list is well-formed (each entry an address or
 * "*@domain", at most LIM_SEND_PATTERNS). */
bool compose_patterns_valid(const char *patterns);

/* Builds the message into out (CRLF line endings, no line over 998 bytes):
 * From, To, Cc (never Bcc), Subject, Date, Message-ID <random@domain of
 * from>, In-Reply-To/References when given, MIME-Version, a text/plain;
 * charset=utf-8 body, 7bit when ASCII with short lines, else
 * quoted-printable. msgid_r gets the id with brackets. IG_EINVAL with a
 * static *error_r naming the field for any invalid input; IG_ELIMIT when
 * out's maximum is reached. */
enum ig_err compose_build(const struct compose_in *in, struct buf *out,
			  char msgid_r[LIM_SEND_MSGID + 1], const char **error_r) IG_MUST_CHECK;

/* Reply threading from a parent's raw header block (untrusted). Writes to
 * in_reply_to_r the parent's Message-ID and to refs_r the parent's
 * References (last LIM_SEND_REFERENCES - 1 well-formed ids) followed by
 * the parent's id, each "<...>" and single-space separated; subject_r gets
 * the decoded, control-free parent Subject (may be empty). IG_ENOTFOUND when
 * the parent has no well-formed Message-ID. Strings are heap-owned by the
 * caller on IG_OK. */
enum ig_err compose_reply_ids(struct slice header, char **in_reply_to_r, char **refs_r,
			      char **subject_r) IG_MUST_CHECK;
/* The reply subject: s with exactly one leading "Re: " (existing "Re:",
 * "RE :", "re:" prefixes collapse to one). Heap-owned; NULL when out of
 * memory. */
char *compose_reply_subject(const char *s);

/* Rewrites any CR, LF or CRLF in [p, p+len) to CRLF into out. */
void compose_crlf(const char *p, size_t len, struct buf *out);

#endif
