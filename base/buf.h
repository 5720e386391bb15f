#ifndef IG_BASE_BUF_H
#define IG_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/slice.h"

/* A growable byte buffer with a hard maximum and a sticky error: a chain of
 * appends is checked once, at the end, with buf_err(). The content is always
 * NUL-terminated (the NUL is not counted in len) so it can be logged or parsed. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
	enum ig_err err;
};

/* Initializes an empty buffer that will never hold more than max bytes. */
void buf_init(struct buf *b, size_t max);
/* Frees the memory; NULL-safe; leaves b empty and reusable. */
void buf_free(struct buf *b);
/* Empties the buffer and clears the sticky error, keeping the allocation. */
void buf_reset(struct buf *b);

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_appendf(struct buf *b, const char *fmt, ...) IG_PRINTF(2, 3);
/* Appends s as a JSON string literal (quotes included); s must be valid UTF-8. */
void buf_json_str(struct buf *b, struct slice s);

/* IG_OK, or the first error any append hit (IG_ELIMIT, IG_ENOMEM). */
static inline enum ig_err
buf_err(const struct buf *b)
{
	return b->err;
}

/* Removes the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* Returns the heap string and leaves b empty; the caller frees it. */
char *buf_take(struct buf *b);

static inline struct slice
buf_slice(const struct buf *b)
{
	return (struct slice){b->p, b->len};
}

#endif
