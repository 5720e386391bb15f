#ifndef IG_BASE_ARENA_H
#define IG_BASE_ARENA_H

#include <stddef.h>

#include "base/slice.h"

/* A bump allocator with a byte cap: one per HTTP request, freed when the
 * request completes. Nothing allocated from it outlives it. */
struct arena;

/* Returns a new arena that refuses to hand out more than cap bytes in total,
 * or NULL on allocation failure. */
struct arena *arena_new(size_t cap);
/* Frees the arena and everything allocated from it; NULL-safe. */
void arena_free(struct arena *a);
/* Returns n bytes aligned for any type, or NULL when the cap would be
 * exceeded or memory is exhausted. */
void *arena_alloc(struct arena *a, size_t n);
/* Returns a NUL-terminated copy of s in a, or NULL. */
char *arena_strdup(struct arena *a, struct slice s);
/* Bytes handed out so far. */
size_t arena_used(const struct arena *a);

#endif
