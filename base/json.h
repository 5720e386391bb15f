#ifndef IG_BASE_JSON_H
#define IG_BASE_JSON_H

#include "base/err.h"
#include "base/slice.h"

struct json_object;

/* Strict JSON for untrusted request bodies: RFC 8259 plus our policy.
 *
 * Accepted: exactly one JSON value (any type, including a scalar) with only
 * SP/HTAB/LF/CR around it, in well-formed UTF-8 without a BOM.
 * Rejected with IG_EINVAL: anything RFC 8259 rejects; a NUL byte anywhere;
 * "\u0000" escapes; lone or mis-paired surrogate escapes; duplicate member
 * names in one object, compared after unescaping ("a" and "\u0061" collide);
 * integers (no fraction or exponent) outside int64; numbers with a fraction
 * or exponent whose value rounds to infinity (1e400). Values that round to
 * zero (1e-400) are accepted.
 * Rejected with IG_ELIMIT: nesting deeper than LIM_JSON_DEPTH (arrays and
 * objects together), more than LIM_JSON_KEYS members in one object, a string
 * or member name longer than LIM_JSON_STRING bytes after unescaping, and a
 * document over INT_MAX bytes (json-c takes an int length).
 * Time is O(n log n) in the input size, memory O(n).
 *
 * *error_r (when error_r is not NULL) gets a static message on failure. */
enum ig_err json_validate_strict(struct slice text, const char **error_r) IG_MUST_CHECK;

/* Validates text as json_validate_strict() does, then builds it with json-c.
 * On IG_OK, *obj_r is a new reference the caller releases with
 * json_object_put(); note that it is NULL when the document is the literal
 * `null`. On failure *obj_r is NULL. IG_ENOMEM when json-c cannot allocate. */
enum ig_err json_parse_strict(struct slice text, struct json_object **obj_r,
			      const char **error_r) IG_MUST_CHECK;

/* Builds the program's own JSON text with json-c: the static tool schemas
 * and what the gateway itself serialized (tools/list). NEVER for anything
 * that came from outside (a request, a server, a file an operator wrote):
 * that goes through json_parse_strict(). Parses in json-c's default,
 * non-strict mode, as the one-call json-c parser does, but keeps the
 * LIM_JSON_DEPTH nesting limit, so a mistake in our own text cannot
 * recurse without bound. Returns a new reference the caller releases with json_object_put(),
 * or NULL when text is not one JSON value or json-c cannot allocate. */
struct json_object *json_parse_trusted(const char *text);

#endif
