#ifndef IG_HANDLERS_FENCE_H
#define IG_HANDLERS_FENCE_H

#include <stddef.h>

/* The text `content` item of a tool result (DESIGN §4.4): the same data as
 * structuredContent, with the untrusted part (mail and server data) fenced
 * between per-response random markers
 *     ⟦untrusted-<32 hex>⟧ ... ⟦/untrusted-<32 hex>⟧
 * whose identifier provably does not occur anywhere in the rendered text
 * but the two markers themselves: it is checked, and drawn again on a
 * collision (at most FENCE_TRIES times). docs/transport.md describes it. */

struct json_object;

#define FENCE_ID_BYTES 16 /* 128 random bits: unguessable by a mail's author */
#define FENCE_TRIES 16    /* draws before giving up (only a broken source repeats) */

/* Fills out[0..n) with random bytes. The default is libsodium's
 * randombytes_buf; tests pass their own to force collisions. */
typedef void (*fence_rand_fn)(void *ctx, unsigned char *out, size_t n);

/* Renders structured (borrowed; not changed) as the text item: the JSON of
 * every member but "untrusted", then, when "untrusted" is present, a line
 * saying what the markers mean and its JSON between the markers. rnd NULL:
 * libsodium. Returns a heap string the caller frees, or NULL when out of
 * memory or when no draw gave an identifier absent from the content. The
 * identifier drawn is copied to id_r (2*FENCE_ID_BYTES+1 bytes; may be NULL;
 * "" when there is no untrusted part). */
char *fence_render(struct json_object *structured, fence_rand_fn rnd, void *ctx, char *id_r);

#endif
