/* The per-principal provenance rings (DESIGN §9): the ids each principal
 * was returned by read tools recently, so that the record of a later change
 * or send can say what the agent had just read. Owned by struct audit
 * (store/audit.c); written by the tool records (handlers/audit_tool.c). */
#include "store/audit_prov.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "store/audit_int.h"

struct prov_ent {
	int64_t ts;
	char id[AUDIT_PROV_ID_MAX];
};

struct prov_principal {
	char name[LIM_TOKEN_NAME + 1];
	int64_t last_used;
	struct prov_ent *ring; /* LIM_AUDIT_PROV_IDS entries */
	size_t head;           /* next slot */
	size_t n;
};

struct audit_prov {
	pthread_mutex_t lock;
	struct prov_principal *v;
	size_t n;
	size_t cap;
};

struct audit_prov *
audit_prov_new(void)
{
	struct audit_prov *p = calloc(1, sizeof(*p));

	if (p != NULL && pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void
audit_prov_free(struct audit_prov *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i].ring);
	free(p->v);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Lock held. The principal's entry, created (evicting the least recently
 * used one at LIM_AUDIT_PROV_PRINCIPALS) when create is true. */
static struct prov_principal *
prov_find(struct audit_prov *p, const char *name, bool create, int64_t now)
{
	struct prov_principal *e = NULL;
	size_t i;
	size_t lru = 0;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].name, name) == 0) {
			p->v[i].last_used = now;
			return &p->v[i];
		}
		if (p->v[i].last_used < p->v[lru].last_used)
			lru = i;
	}
	if (!create)
		return NULL;
	if (p->n < LIM_AUDIT_PROV_PRINCIPALS) {
		if (p->n == p->cap) {
			size_t nc = p->cap == 0 ? 16 : p->cap * 2;
			struct prov_principal *nv = realloc(p->v, nc * sizeof(*nv));

			if (nv == NULL)
				return NULL;
			p->v = nv;
			p->cap = nc;
		}
		e = &p->v[p->n++];
		memset(e, 0, sizeof(*e));
	} else {
		e = &p->v[lru];
		free(e->ring);
		memset(e, 0, sizeof(*e));
	}
	(void)snprintf(e->name, sizeof(e->name), "%s", name);
	e->last_used = now;
	return e;
}

void
audit_prov_add(struct audit_prov *p, const char *principal, struct json_object *ids, int64_t now)
{
	struct prov_principal *e;
	size_t i;
	size_t j;

	if (json_object_array_length(ids) == 0)
		return;
	pthread_mutex_lock(&p->lock);
	e = prov_find(p, principal, true, now);
	if (e != NULL && e->ring == NULL)
		e->ring = calloc(LIM_AUDIT_PROV_IDS, sizeof(*e->ring));
	for (i = 0; e != NULL && e->ring != NULL && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		bool seen = false;

		for (j = 0; j < e->n; j++) {
			if (strcmp(e->ring[j].id, id) == 0) {
				e->ring[j].ts = now; /* read again: refresh */
				seen = true;
				break;
			}
		}
		if (seen)
			continue;
		e->ring[e->head].ts = now;
		(void)snprintf(e->ring[e->head].id, AUDIT_PROV_ID_MAX, "%s", id);
		e->head = (e->head + 1) % LIM_AUDIT_PROV_IDS;
		if (e->n < LIM_AUDIT_PROV_IDS)
			e->n++;
	}
	pthread_mutex_unlock(&p->lock);
}

void
audit_prov_list(struct audit_prov *p, const char *principal, int64_t now, struct json_object *list,
		size_t *count_r)
{
	struct prov_principal *e;
	size_t i;

	*count_r = 0;
	pthread_mutex_lock(&p->lock);
	e = prov_find(p, principal, false, now);
	for (i = 0; e != NULL && e->ring != NULL && i < e->n; i++) {
		if (now - e->ring[i].ts > LIM_AUDIT_PROV_WINDOW_S * 1000LL)
			continue;
		(*count_r)++;
		if (list != NULL)
			json_object_array_add(list, json_object_new_string(e->ring[i].id));
	}
	pthread_mutex_unlock(&p->lock);
}

