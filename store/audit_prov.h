#ifndef IG_STORE_AUDIT_PROV_H
#define IG_STORE_AUDIT_PROV_H

#include <stddef.h>
#include <stdint.h>

/* Provenance rings: the ids ("<account>:<folder>/<uid>") returned to each
 * principal by read tools, per principal, bounded by LIM_AUDIT_PROV_*
 * (least recently used principal evicted). Owned by struct audit;
 * thread-safe. */

struct audit;
struct audit_prov;
struct json_object;

#define AUDIT_PROV_ID_MAX 160 /* bytes of one id with its NUL; longer folders are hashed */

/* The rings of audit log a. */
struct audit_prov *audit_prov_of(struct audit *a);

/* Adds the ids (a JSON array of strings) to principal's ring at now (ms,
 * monotonic); an id already there is refreshed. */
void audit_prov_add(struct audit_prov *p, const char *principal, struct json_object *ids,
		    int64_t now);

/* The ids principal read within LIM_AUDIT_PROV_WINDOW_S of now; *count_r
 * counts them all, list (when not NULL) receives them. */
void audit_prov_list(struct audit_prov *p, const char *principal, int64_t now,
		     struct json_object *list, size_t *count_r);

#endif
