#ifndef IG_BASE_SLICE_H
#define IG_BASE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A view of bytes that are never assumed NUL-terminated (untrusted input). */
struct slice {
	const char *p;
	size_t len;
};

#define SL_LIT(s) ((struct slice){(s), sizeof(s) - 1})

static inline struct slice
sl_from_cstr(const char *s)
{
	return (struct slice){s, s != NULL ? strlen(s) : 0};
}

static inline bool
sl_eq(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool
sl_eq_cstr(struct slice a, const char *s)
{
	return sl_eq(a, sl_from_cstr(s));
}

/* Trims HTTP optional whitespace (SP, HTAB) from both ends. */
static inline struct slice
sl_trim_ows(struct slice s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

#endif
