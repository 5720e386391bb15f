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

void
warn_add(struct warn_list *w, const char *code, const char *location, const char *fmt, ...)
{
	char detail[LIM_WARN_TEXT + 1];
	struct warn *items;
	va_list ap;
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
	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	w->items[w->n].code = code;
	w->items[w->n].detail = text_dup(detail);
	w->items[w->n].location = text_dup(location != NULL ? location : "");
	if (w->items[w->n].detail == NULL || w->items[w->n].location == NULL) {
		free(w->items[w->n].detail);
		free(w->items[w->n].location);
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
		json_object_array_add(a, o);
	}
	return a;
}
