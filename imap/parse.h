#ifndef IG_IMAP_PARSE_H
#define IG_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"

/* Incremental IMAP response parser (RFC 3501 §7 and §9, RFC 9051, plus the
 * extension responses the client uses). Bytes are fed as they arrive; a
 * complete response comes out typed. Everything a server sends is untrusted:
 * slices below are views of the parser's buffers (never NUL-terminated, may
 * hold any byte except where noted) and live until the next imap_parser_feed
 * or imap_parser_free call. */

struct buf;
struct imap_parser;

/* --- the generic value tree every response is parsed into first --- */

enum imap_val_type {
	IMAP_VAL_ATOM,   /* atom, number, flag (\Seen), [section] text kept raw */
	IMAP_VAL_STRING, /* quoted string (unescaped) or literal */
	IMAP_VAL_NIL,
	IMAP_VAL_LIST,
};

struct imap_val {
	enum imap_val_type type;
	bool literal;          /* STRING came as {n}, {n+} or ~{n} */
	bool binary;           /* ~{n} (RFC 3516): may contain NUL */
	struct slice s;        /* ATOM, STRING */
	struct imap_val *kids; /* LIST: n consecutive values */
	size_t n;
};

/* --- typed results --- */

enum imap_resp_kind {
	IMAP_RESP_TAGGED,   /* tag OK/NO/BAD */
	IMAP_RESP_UNTAGGED, /* '*' */
	IMAP_RESP_CONTINUE, /* '+' */
};

enum imap_cond { IMAP_COND_NONE, IMAP_OK, IMAP_NO, IMAP_BAD, IMAP_BYE, IMAP_PREAUTH };

/* Response codes (RFC 3501 §7.1, RFC 4315, 5530, 7162, 9051) the client acts on. */
enum imap_code {
	IMAP_CODE_NONE,
	IMAP_CODE_OTHER,
	IMAP_CODE_ALERT,
	IMAP_CODE_TRYCREATE,
	IMAP_CODE_NONEXISTENT,
	IMAP_CODE_ALREADYEXISTS,
	IMAP_CODE_AUTHENTICATIONFAILED,
	IMAP_CODE_AUTHORIZATIONFAILED,
	IMAP_CODE_UNAVAILABLE,
	IMAP_CODE_PRIVACYREQUIRED,
	IMAP_CODE_UIDVALIDITY,
	IMAP_CODE_UIDNEXT,
	IMAP_CODE_UNSEEN,
	IMAP_CODE_HIGHESTMODSEQ,
	IMAP_CODE_NOMODSEQ,
	IMAP_CODE_PERMANENTFLAGS,
	IMAP_CODE_READ_ONLY,
	IMAP_CODE_READ_WRITE,
	IMAP_CODE_CAPABILITY,
	IMAP_CODE_APPENDUID,
	IMAP_CODE_COPYUID,
	IMAP_CODE_MODIFIED,
	IMAP_CODE_CLOSED,
	IMAP_CODE_LIMIT,
	IMAP_CODE_OVERQUOTA,
	IMAP_CODE_CANNOT,
	IMAP_CODE_EXPIRED,
	IMAP_CODE_CONTACTADMIN,
	IMAP_CODE_NOPERM,
	IMAP_CODE_INUSE,
	IMAP_CODE_EXPUNGEISSUED,
	IMAP_CODE_CORRUPTION,
	IMAP_CODE_SERVERBUG,
	IMAP_CODE_CLIENTBUG,
	IMAP_CODE_HASCHILDREN,
};

struct imap_caps {
	struct slice *names; /* as sent (atoms) */
	size_t n;
};

/* LIST / LSUB (RFC 3501 §7.2.2, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS
 * sends STATUS responses separately). */
struct imap_list {
	struct slice *attrs; /* "\HasNoChildren", "\Sent", ... */
	size_t n_attrs;
	char delim;          /* 0 when NIL */
	struct slice name;   /* mailbox name as sent (modified UTF-7 unless UTF8=ACCEPT) */
};

/* STATUS (RFC 3501 §7.2.4, RFC 7162 HIGHESTMODSEQ); has_* say what came. */
struct imap_status {
	struct slice mailbox;
	uint32_t messages, recent, uidnext, uidvalidity, unseen;
	uint64_t highestmodseq, size;
	bool has_messages, has_recent, has_uidnext, has_uidvalidity, has_unseen;
	bool has_highestmodseq, has_size;
};

/* SEARCH (RFC 3501 §7.2.5, RFC 7162 MODSEQ) and ESEARCH (RFC 4731). */
struct imap_search {
	uint32_t *nums;
	size_t n;
	uint64_t modseq; /* 0: none */
};

struct imap_esearch {
	struct slice tag; /* the (TAG "x") correlator, empty if none */
	bool uid;
	bool has_min, has_max, has_count;
	uint32_t min, max, count;
	struct slice all; /* sequence-set text, empty if none */
	uint64_t modseq;
};

/* VANISHED (RFC 7162 §3.2.10): a UID set as text. */
struct imap_vanished {
	bool earlier;
	struct slice uids;
};

struct imap_address {
	struct slice name, adl, mailbox, host; /* empty when NIL */
	bool name_nil, mailbox_nil, host_nil;
};

struct imap_addr_list {
	struct imap_address *a;
	size_t n;
};

/* ENVELOPE (RFC 3501 §7.4.2): strings are raw (RFC 2047 not decoded). */
struct imap_envelope {
	struct slice date, subject, in_reply_to, message_id;
	struct imap_addr_list from, sender, reply_to, to, cc, bcc;
};

struct imap_param {
	struct slice name, value;
};

/* One node of a BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2). Children
 * of a multipart, or the single child of message/rfc822, are in kids. */
struct imap_body {
	struct slice type, subtype; /* "TEXT"/"PLAIN"; multipart: type "MULTIPART" */
	struct imap_param *params;
	size_t n_params;
	struct slice id, description, encoding, md5;
	struct slice disposition; /* empty when NIL */
	struct imap_param *disp_params;
	size_t n_disp_params;
	uint32_t size, lines;
	struct imap_envelope *envelope; /* message/rfc822 only */
	struct imap_body *kids;
	size_t n_kids;
	unsigned depth; /* 0 for the root */
};

/* FETCH (RFC 3501 §7.4.2, RFC 7162 MODSEQ, RFC 3516 BINARY). */
struct imap_fetch {
	uint32_t seq;
	bool has_uid, has_flags, has_internaldate, has_size, has_modseq;
	uint32_t uid;
	struct slice *flags;
	size_t n_flags;
	struct slice internaldate;
	uint32_t size;
	uint64_t modseq;
	struct imap_envelope *envelope;  /* NULL when not fetched */
	struct imap_body *body;          /* BODYSTRUCTURE root, NULL when not fetched */
	/* BODY[section]<origin>: the first one in the response. */
	bool has_section;
	struct slice section;            /* text between the brackets */
	uint32_t origin;                 /* <origin>, 0 when absent */
	bool section_nil;
	struct slice section_data;
	/* A limit of base/limits.h was hit inside this response: only this
	 * message is degraded. An address list over LIM_IMAP_ADDRESSES keeps
	 * its first ones; a BODYSTRUCTURE over its depth or part limit comes
	 * out NULL with the other items read; a response over a framing
	 * limit (line, literal, response size) was dropped unread and only
	 * seq, and uid when UID was the first item, are set. */
	bool over_limit;
};

enum imap_untagged {
	IMAP_U_COND, /* * OK/NO/BAD/BYE/PREAUTH */
	IMAP_U_CAPABILITY,
	IMAP_U_ENABLED,
	IMAP_U_LIST,
	IMAP_U_LSUB,
	IMAP_U_STATUS,
	IMAP_U_EXISTS,
	IMAP_U_RECENT,
	IMAP_U_EXPUNGE,
	IMAP_U_VANISHED,
	IMAP_U_FLAGS,
	IMAP_U_SEARCH,
	IMAP_U_ESEARCH,
	IMAP_U_FETCH,
	IMAP_U_ID,
	IMAP_U_OTHER, /* kept only as the value tree */
};

struct imap_resp {
	enum imap_resp_kind kind;
	struct slice tag;      /* TAGGED only */
	enum imap_cond cond;   /* TAGGED, IMAP_U_COND */
	enum imap_code code;   /* resp-text-code, IMAP_CODE_NONE when absent */
	struct slice code_name; /* the atom inside '[' as sent */
	struct slice code_arg;  /* the rest up to ']' (raw), may be empty */
	uint32_t code_num[2];   /* UIDVALIDITY/UIDNEXT/UNSEEN/APPENDUID/COPYUID numbers */
	uint64_t code_modseq;   /* HIGHESTMODSEQ */
	struct slice text;      /* human-readable text: untrusted */
	enum imap_untagged type; /* UNTAGGED only */
	union {
		struct imap_caps caps; /* CAPABILITY, ENABLED, and [CAPABILITY ...] */
		struct imap_list list;
		struct imap_status status;
		uint32_t num; /* EXISTS, RECENT, EXPUNGE */
		struct imap_vanished vanished;
		struct imap_search search;
		struct imap_esearch esearch;
		struct imap_fetch fetch;
	} u;
	struct imap_caps flags; /* FLAGS and [PERMANENTFLAGS (...)] */
	/* For data responses: the values after '*' (number and name included). */
	struct imap_val *vals;
	size_t n_vals;
};

/* Returns a parser that refuses responses larger than max_response bytes
 * (lines and literals together, at most LIM_IMAP_RESPONSE; pass a smaller
 * value before authentication), or NULL when out of memory. */
struct imap_parser *imap_parser_new(size_t max_response);
void imap_parser_free(struct imap_parser *p); /* NULL-safe */
/* Changes the response cap for the next response (e.g. after login). */
void imap_parser_set_max(struct imap_parser *p, size_t max_response);
/* Forgets any partial response (after STARTTLS: nothing read in plaintext
 * may be used). */
void imap_parser_reset(struct imap_parser *p);

/* Consumes bytes from in[0..len) and sets *used_r to how many it took.
 * Returns IG_AGAIN when every byte was taken and the response is still
 * incomplete; IG_OK when a response completed (*resp_r valid until the next
 * feed/reset/free; bytes after it were not taken); IG_EINVAL on malformed
 * input and IG_ELIMIT when a limit from base/limits.h (LIM_IMAP_*) was hit,
 * with a static message in *error_r. Errors are sticky until reset: the
 * connection must be dropped. After login (a cap over
 * LIM_IMAP_PREAUTH_RESPONSE) a limit hit inside an untagged FETCH response
 * is no error: that response comes out as a FETCH with over_limit set (see
 * struct imap_fetch) and parsing goes on. A literal's announced size is checked but never
 * allocated up front: memory grows with the bytes received. Feeding a
 * response in any split gives the same result. */
enum ig_err imap_parser_feed(struct imap_parser *p, const char *in, size_t len, size_t *used_r,
			     const struct imap_resp **resp_r, const char **error_r) IG_MUST_CHECK;

/* Parses a number (RFC 3501 number / nz-number / mod-sequence-value) with
 * overflow checks: digits only, no sign, no leading '+', max is inclusive. */
bool imap_parse_u32(struct slice s, uint32_t *v_r);
bool imap_parse_u64(struct slice s, uint64_t *v_r);

/* Appends a canonical text rendering of resp to out (tests, fuzzing: two
 * parses are equal when their renderings are); check buf_err(out). */
void imap_resp_render(const struct imap_resp *resp, struct buf *out);

#endif
