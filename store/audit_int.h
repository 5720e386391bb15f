#ifndef IG_STORE_AUDIT_INT_H
#define IG_STORE_AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Internals shared by the audit log's files (store/audit*.c). */

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

/* Writes n bytes as 2n lower-case hex digits and a NUL (out: 2n + 1 bytes). */
void audit_hex_put(char *out, const unsigned char *p, size_t n);
/* Reads 2n lower-case hex digits at s into n bytes; false at any other byte. */
bool audit_hex_get(const char *s, unsigned char *out, size_t n);

/* Provenance rings (store/audit_prov.c, store/audit_prov.h), created and
 * released with the log. */
struct audit_prov;
struct audit_prov *audit_prov_new(void);
void audit_prov_free(struct audit_prov *p); /* NULL-safe */

/* The checkpoint (store/audit_checkpoint.c): the chain head kept outside the log,
 * in <data_dir>/audit.head, MACed with <data_dir>/audit.key. */
#define AUDIT_KEY "audit.key"
#define AUDIT_HEAD "audit.head"
#define AUDIT_KEY_LEN 32
#define AUDIT_HEAD_SLOT 160

struct audit_head {
	uint64_t seq;            /* of the last record written */
	unsigned char hash[32];  /* SHA-256 of its line (without the LF) */
};

enum audit_head_res {
	AUDIT_HEAD_NONE, /* never written (absent or empty file) */
	AUDIT_HEAD_OK,   /* *h: the newer valid slot */
	AUDIT_HEAD_BAD,  /* a slot fails its MAC or format: forged or damaged */
};

enum audit_head_res audit_head_read(int fd, const unsigned char key[AUDIT_KEY_LEN],
				    struct audit_head *h);
/* Writes h into slot h->seq % 2 with one pwrite. */
bool audit_head_write(int fd, const unsigned char key[AUDIT_KEY_LEN], const struct audit_head *h);

/* Reads the len-byte key file name in data_fd (audit.key, and audit.c's
 * audit.salt), creating it (random, 0600) when create and absent; *created_r
 * (may be NULL) says whether it did. IG_ENOTFOUND when absent and !create. */
enum ig_err audit_key_load(int data_fd, const char *name, unsigned char *key, size_t len,
			   bool create, bool *created_r);

#endif
