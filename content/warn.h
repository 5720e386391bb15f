#ifndef IG_CONTENT_WARN_H
#define IG_CONTENT_WARN_H

#include <stddef.h>

#include "base/err.h"

/* Security warnings the content pipeline emits (DESIGN §5.1): stable
 * snake_case codes with a detail and a location, built only from sanitized
 * values (never raw mail bytes). A bounded list: past LIM_CONTENT_WARNINGS
 * further warnings are counted, not stored, so hostile mail cannot make the
 * list grow without bound. */

#define LIM_CONTENT_WARNINGS 256
#define LIM_WARN_TEXT 512 /* bytes of detail or location kept per warning */

struct warn {
	const char *code; /* static string, one of the documented codes */
	char *detail;     /* heap, sanitized; may be "" */
	char *location;   /* heap, e.g. "body.html", "header.from", "attachment[2]" */
};

struct warn_list {
	struct warn *items;
	size_t n;
	size_t cap;
	size_t dropped; /* warnings not stored because the list was full */
};

void warn_list_init(struct warn_list *w);
void warn_list_free(struct warn_list *w); /* NULL-safe */
/* Adds a warning; detail is printf-formatted and must only carry sanitized
 * text. Truncates to LIM_WARN_TEXT. Never fails (drops and counts instead). */
void warn_add(struct warn_list *w, const char *code, const char *location, const char *fmt, ...)
	IG_PRINTF(4, 5);
/* True when at least one warning with code was added. */
int warn_has(const struct warn_list *w, const char *code);

struct json_object;
/* The list as the `security_warnings` JSON array of DESIGN §4.4:
 * [{code, detail, location}, …] in the order added. New reference (the
 * caller owns it); NULL only when out of memory. */
struct json_object *warn_list_json(const struct warn_list *w);

#endif
