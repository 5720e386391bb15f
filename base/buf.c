#include "base/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = IG_OK;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = IG_OK;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = IG_OK;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Makes room for n more bytes plus the terminating NUL. */
static bool
buf_reserve(struct buf *b, size_t n)
{
	size_t need;
	size_t ncap;
	char *np;

	if (b->err != IG_OK)
		return false;
	/* need + 1 (the NUL) must not wrap either, or the capacity check
	 * below would pass without room. */
	if (__builtin_add_overflow(b->len, n, &need) || need > b->max || need == SIZE_MAX) {
		b->err = IG_ELIMIT;
		return false;
	}
	if (need + 1 <= b->cap)
		return true;
	ncap = b->cap != 0 ? b->cap : 256;
	while (ncap < need + 1) {
		if (__builtin_mul_overflow(ncap, 2, &ncap)) {
			b->err = IG_ELIMIT;
			return false;
		}
	}
	/* ncap >= 256 here; "ncap > max + 1" would wrap when max is SIZE_MAX. */
	if (ncap - 1 > b->max)
		ncap = b->max + 1;
	np = realloc(b->p, ncap);
	if (np == NULL) {
		b->err = IG_ENOMEM;
		return false;
	}
	b->p = np;
	b->cap = ncap;
	return true;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err != IG_OK)
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above */
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = IG_EINVAL;
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above */
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_json_str(struct buf *b, struct slice s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	size_t run = 0;

	buf_putc(b, '"');
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		char esc[6];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		buf_append(b, s.p + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			buf_append(b, "\\\"", 2);
			break;
		case '\\':
			buf_append(b, "\\\\", 2);
			break;
		case '\n':
			buf_append(b, "\\n", 2);
			break;
		case '\r':
			buf_append(b, "\\r", 2);
			break;
		case '\t':
			buf_append(b, "\\t", 2);
			break;
		default:
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_append(b, esc, 6);
			break;
		}
	}
	buf_append(b, s.p + run, s.len - run);
	buf_putc(b, '"');
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p != NULL)
		b->p[b->len] = '\0';
}

char *
buf_take(struct buf *b)
{
	char *p = b->p;

	if (p == NULL)
		p = calloc(1, 1);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
