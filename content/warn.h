#ifndef IG_CONTENT_WARN_H
#define IG_CONTENT_WARN_H

#include <stddef.h>

#include "base/err.h"

/* Security warnings the content pipeline emits (DESIGN §5.1): stable
 * snake_case codes with a detail and a location, built only from sanitized
 * values (never raw mail bytes). A bounded list: past LIM_CONTENT_WARNINGS
 * further warnings are counted, not stored, so hostile mail cannot make the
 * list grow without bound.
 *
 * The code, the location and the detail are the gateway's own words, shown
 * outside the fence (docs/transport.md): they hold only closed vocabulary,
 * numbers and MIME part numbers. What the warning is about when that came
 * from the mail or its server (a domain, a declared type, a charset label, a
 * header name) is kept apart as the warning's values, which only ever go
 * inside the fence (warn_list_json_split). */

#define LIM_CONTENT_WARNINGS 256
#define LIM_WARN_TEXT 512 /* bytes of detail or location kept per warning */

struct warn {
	const char *code; /* static string, one of the documented codes */
	char *detail;     /* heap, sanitized; may be "" */
	char *location;   /* heap, e.g. "body.html", "header.from", "attachment[2]" */
	char *values;     /* heap, sanitized sender- or server-derived text; NULL: none */
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
/* warn_add with values: sanitized text derived from the mail or its server
 * ("domain=… other=…"; NULL or "": none), truncated to LIM_WARN_TEXT. The
 * detail (fmt) must then carry only closed vocabulary and numbers. */
void warn_add_values(struct warn_list *w, const char *code, const char *location,
		     const char *values, const char *fmt, ...) IG_PRINTF(5, 6);
/* True when at least one warning with code was added. */
int warn_has(const struct warn_list *w, const char *code);

struct json_object;
/* The list as the `security_warnings` JSON array of DESIGN §4.4:
 * [{code, detail, location, values?}, …] in the order added, values included:
 * for warnings shown inside the fence (an envelope's). New reference (the
 * caller owns it); NULL only when out of memory. */
struct json_object *warn_list_json(const struct warn_list *w);
/* The same for a list shown outside the fence: the array without values,
 * and in *values_r the values as [{warning: index into the array, values},
 * …] for the untrusted part (NULL when no warning has values). New
 * references; NULL only when out of memory. */
struct json_object *warn_list_json_split(const struct warn_list *w, struct json_object **values_r);
/* Splits an array warn_list_json made (borrowed) the same way: a new array
 * without values, and *values_r as warn_list_json_split gives it. Only the
 * items for which keep (NULL: all) returns true are kept, and the indexes
 * refer to the new array. */
struct json_object *warn_json_split(struct json_object *warnings,
				    int (*keep)(struct json_object *warning),
				    struct json_object **values_r);

#endif
