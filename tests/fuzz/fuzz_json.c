/* libFuzzer target for base/json.c. Besides crashes it checks three
 * properties: json_parse_strict agrees with json_validate_strict (json-c never
 * refuses what the validator let through), a failure never leaks an object,
 * and what json-c serialises from an accepted document validates again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice text = {(const char *)data, size};
	struct json_object *obj = NULL;
	const char *msg = NULL;
	const char *out;
	enum ig_err verr;
	enum ig_err err;

	verr = json_validate_strict(text, &msg);
	err = json_parse_strict(text, &obj, &msg);
	if (err != verr)
		abort();
	if (err != IG_OK) {
		if (obj != NULL || msg == NULL)
			abort();
		return 0;
	}
	out = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (out == NULL || json_validate_strict(sl_from_cstr(out), &msg) != IG_OK)
		abort();
	json_object_put(obj);
	return 0;
}
