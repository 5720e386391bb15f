#include "content/warn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

void
warn_list_init(struct warn_list *w)
{
	memset(w, 0, sizeof(*w));
}

void
warn_list_free(struct warn_list *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		free(w->items[i].detail);
		free(w->items[i].location);
		free(w->items[i].values);
	}
	free(w->items);
	memset(w, 0, sizeof(*w));
}

static char *
text_dup(const char *s)
{
	size_t len = strnlen(s, LIM_WARN_TEXT);
	char *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static void warn_addv(struct warn_list *w, const char *code, const char *location,
                      const char *values, const char *fmt, va_list ap) IG_PRINTF(5, 0);

void
warn_add(struct warn_list *w, const char *code, const char *location, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_addv(w, code, location, NULL, fmt, ap);
	va_end(ap);
}

void
warn_add_values(struct warn_list *w, const char *code, const char *location, const char *values,
                const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_addv(w, code, location, values, fmt, ap);
	va_end(ap);
}

static void
warn_addv(struct warn_list *w, const char *code, const char *location, const char *values,
          const char *fmt, va_list ap)
{
	char detail[LIM_WARN_TEXT + 1];
	struct warn *items;
	size_t ncap;

	if (w->n == LIM_CONTENT_WARNINGS) {
		w->dropped++;
		return;
	}
	if (w->n == w->cap) {
		ncap = w->cap == 0 ? 8 : w->cap * 2;
		if (ncap > LIM_CONTENT_WARNINGS)
			ncap = LIM_CONTENT_WARNINGS;
		items = realloc(w->items, ncap * sizeof(*items));
		if (items == NULL) {
			w->dropped++;
			return;
		}
		w->items = items;
		w->cap = ncap;
	}
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	w->items[w->n].code = code;
	w->items[w->n].detail = text_dup(detail);
	w->items[w->n].location = text_dup(location != NULL ? location : "");
	w->items[w->n].values = values != NULL && values[0] != '\0' ? text_dup(values) : NULL;
	if (w->items[w->n].detail == NULL || w->items[w->n].location == NULL ||
	    (values != NULL && values[0] != '\0' && w->items[w->n].values == NULL)) {
		free(w->items[w->n].detail);
		free(w->items[w->n].location);
		free(w->items[w->n].values);
		w->dropped++;
		return;
	}
	w->n++;
}

int
warn_has(const struct warn_list *w, const char *code)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (strcmp(w->items[i].code, code) == 0)
			return 1;
	}
	return 0;
}

struct json_object *
warn_list_json(const struct warn_list *w)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < w->n; i++) {
		struct json_object *o = json_object_new_object();

		if (o == NULL)
			break;
		json_object_object_add(o, "code", json_object_new_string(w->items[i].code));
		json_object_object_add(o, "detail", json_object_new_string(w->items[i].detail));
		json_object_object_add(o, "location", json_object_new_string(w->items[i].location));
		if (w->items[i].values != NULL)
			json_object_object_add(o, "values",
			                       json_object_new_string(w->items[i].values));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *
warn_json_split(struct json_object *warnings, int (*keep)(struct json_object *warning),
                struct json_object **values_r)
{
	struct json_object *a = json_object_new_array();
	struct json_object *vals = NULL;
	size_t i;
	size_t n = warnings != NULL && json_object_is_type(warnings, json_type_array)
	               ? json_object_array_length(warnings)
	               : 0;

	*values_r = NULL;
	for (i = 0; a != NULL && i < n; i++) {
		struct json_object *x = json_object_array_get_idx(warnings, i);
		struct json_object *o;
		struct json_object *v;

		if (keep != NULL && !keep(x))
			continue;
		o = json_object_new_object();
		if (o == NULL)
			break;
		json_object_object_foreach(x, key, val)
		{
			if (strcmp(key, "values") != 0)
				json_object_object_add(o, key, json_object_get(val));
		}
		if (json_object_object_get_ex(x, "values", &v)) {
			struct json_object *e = json_object_new_object();

			if (vals == NULL)
				vals = json_object_new_array();
			json_object_object_add(
			    e, "warning",
			    json_object_new_int64((int64_t)json_object_array_length(a)));
			json_object_object_add(e, "values", json_object_get(v));
			json_object_array_add(vals, e);
		}
		json_object_array_add(a, o);
	}
	*values_r = vals;
	return a;
}

struct json_object *
warn_list_json_split(const struct warn_list *w, struct json_object **values_r)
{
	struct json_object *full = warn_list_json(w);
	struct json_object *a;

	*values_r = NULL;
	if (full == NULL)
		return NULL;
	a = warn_json_split(full, NULL, values_r);
	json_object_put(full);
	return a;
}
