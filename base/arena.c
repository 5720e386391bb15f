#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 8192

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_chunk *head;
	size_t cap;
	size_t total;
};

struct arena *
arena_new(size_t cap)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a != NULL)
		a->cap = cap;
	return a;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c;

	if (a == NULL)
		return;
	while ((c = a->head) != NULL) {
		a->head = c->next;
		free(c);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct arena_chunk *c = a->head;
	size_t rounded;
	size_t total;
	size_t size;
	size_t bytes;
	void *p;

	if (__builtin_add_overflow(n, align - 1, &rounded))
		return NULL;
	rounded &= ~(align - 1);
	if (rounded == 0)
		rounded = align;
	if (__builtin_add_overflow(a->total, rounded, &total) || total > a->cap)
		return NULL;
	if (c == NULL || c->size - c->used < rounded) {
		size = rounded > ARENA_CHUNK ? rounded : ARENA_CHUNK;
		if (__builtin_add_overflow(sizeof(*c), size, &bytes))
			return NULL;
		c = malloc(bytes);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += rounded;
	a->total = total;
	return p;
}

char *
arena_strdup(struct arena *a, struct slice s)
{
	char *p = arena_alloc(a, s.len + 1);

	if (p == NULL)
		return NULL;
	if (s.len > 0)
		memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}

size_t
arena_used(const struct arena *a)
{
	return a->total;
}
