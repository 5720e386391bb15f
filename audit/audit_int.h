#ifndef IG_AUDIT_AUDIT_INT_H
#define IG_AUDIT_AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Internals shared by the files of audit/. */

struct audit;
struct buf;
struct json_object;

/* Appends p[0..len) as a JSON string literal that always stays on one line:
 * '"' and '\\' escaped, every C0 control and DEL as \uXXXX (or \n \r \t),
 * U+2028/U+2029 as \u2028/\u2029, invalid UTF-8 bytes as \ufffd. */
void audit_json_str(struct buf *b, const char *p, size_t len);

/* Appends v as JSON on one line (strings as audit_json_str). sorted: object
 * members in byte order of their names (the canonical form hashed as
 * args_sha256); otherwise insertion order. Nesting deeper than
 * LIM_JSON_DEPTH is written as null. */
void audit_json_put(struct buf *b, struct json_object *v, bool sorted);

/* Provenance rings (audit/tool.c): ids returned to each principal by read
 * tools, per principal, bounded by LIM_AUDIT_PROV_*. Owned by struct audit;
 * thread-safe. */
struct audit_prov;
struct audit_prov *audit_prov_new(void);
void audit_prov_free(struct audit_prov *p); /* NULL-safe */
struct audit_prov *audit_prov_of(struct audit *a);

#endif
