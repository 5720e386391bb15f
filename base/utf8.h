#ifndef IG_BASE_UTF8_H
#define IG_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTF-8 per RFC 3629 / Unicode Table 3-7, validated once at each boundary
 * where untrusted bytes enter (request bodies, header values). */

/* Returns true when p[0..len) is well-formed UTF-8: no overlong forms, no
 * UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
 * sequence. NUL is well-formed UTF-8 and is accepted; callers that must not
 * see NUL check for it themselves. p may be NULL when len is 0. */
bool u8_valid(const char *p, size_t len);

/* Writes the UTF-8 form of the scalar value cp into out and returns its length
 * (1..4), or 0 when cp is a surrogate or above U+10FFFF (nothing written). */
size_t u8_encode(uint32_t cp, char out[4]);

#endif
