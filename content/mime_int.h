/* Internals shared by the content/mime*.c files; included only inside
 * content/. The public API is content/mime.h. */
#ifndef IG_CONTENT_MIME_INT_H
#define IG_CONTENT_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/slice.h"
#include "content/mime.h"

struct warn_list;

static inline bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline bool
ci_prefix(const char *p, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && strncasecmp(p, lit, n) == 0;
}

static inline char *
xstrndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* ---- mime_rfc2047.c */

struct ew {
	struct slice charset; /* without the RFC 2231 "*lang" suffix */
	char enc;             /* 'B' or 'Q' */
	struct slice text;
	size_t len; /* bytes of the whole =?...?= */
};

/* Recognizes an encoded word at s (which starts with "=?"); on failure
 * *stop_r is how far the caller may skip. */
bool mime_ew_parse(struct slice s, struct ew *e, size_t *stop_r);
/* Appends the bytes an encoded word stands for. */
void mime_ew_bytes(const struct ew *e, struct buf *out);
/* Replaces CR, LF and NUL in out[from..] with spaces. */
void mime_flatten_controls(struct buf *out, size_t from);

/* ---- mime_scrub.c */

/* Copies raw without smuggling header fields into *out_r (a new GByteArray);
 * refuses more than LIM_MIME_HEADERS fields. */
enum ig_err mime_scrub(struct slice raw, GByteArray **out_r, struct mime_msg *m,
                       struct warn_list *w, const char **error_r);
/* Refuses structures whose size alone would make GMime's parser expensive. */
enum ig_err mime_prescan(const char *p, size_t len, const char **error_r);

/* ---- mime_param.c */

struct param_sec {
	struct slice v; /* raw value; escapes still in when quoted */
	bool quoted;
	bool encoded; /* charset'lang'%XX form */
	bool present;
};

struct param {
	struct param_sec plain;                        /* name= */
	struct param_sec ext;                          /* name*= */
	struct param_sec sec[LIM_MIME_PARAM_SECTIONS]; /* name*N= and name*N*= */
};

/* Collects the parameter called name (lower case) from a raw Content-Type or
 * Content-Disposition value into *pm; views point into raw. */
void mime_param_collect(struct slice raw, const char *name, struct param *pm);
/* The decoded parameter called name: a heap UTF-8 string or NULL. */
char *mime_param_get(struct slice raw, const char *name, bool *conflict_r, bool *unknown_r);

/* ---- mime_addr.c */

/* Parses an address-list into l (heap strings; free with addr_list_free). */
void mime_addr_list_parse(struct slice raw, struct mime_addr_list *l, bool *unknown_r);
void mime_addr_list_free(struct mime_addr_list *l);
/* Stores up to max <...> items of raw as heap strings; returns how many. */
size_t mime_angle_items(struct slice raw, char **items, size_t max);
/* The first <...> item of raw (heap), or NULL. */
char *mime_first_angle(struct slice raw);
/* Up to max (at most 8) <...> items of raw joined by ", " (heap), or NULL. */
char *mime_joined_angles(struct slice raw, size_t max);

#endif
