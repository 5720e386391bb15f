/* libFuzzer target for handlers/policy.c's input rules: whatever folder name
 * or keyword is accepted really is within the rules (bounded, valid UTF-8,
 * no control byte, no wildcard; keywords printable ASCII atoms only), and
 * no input makes the checks read past the string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "handlers/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t len;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	if (pol_folder_name_check(s) == NULL) {
		if (len == 0 || len > LIM_FOLDER_ARG || !u8_valid(s, len) ||
		    strpbrk(s, "*%\\") != NULL || s[0] == '#')
			abort();
		for (i = 0; i < len; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				abort();
		}
		if (pol_folder_path_check(s, '/') == NULL &&
		    (s[0] == '/' || s[len - 1] == '/' || strstr(s, "//") != NULL))
			abort();
	}
	if (pol_keyword_check(s) == NULL) {
		if (len == 0 || len > LIM_LABEL)
			abort();
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
				abort();
		}
	}
	free(s);
	return 0;
}
