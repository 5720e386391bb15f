#ifndef IG_TESTS_UNIT_SIBLING_BIN_H
#define IG_TESTS_UNIT_SIBLING_BIN_H

/* For unit tests that run the real `imapgate` binary (audit verify, the CLI's
 * operator commands): it is built in the same directory as the test. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Writes "<directory of this test>/<name>" into out. False when the test's
 * own path cannot be read or does not fit. */
static inline bool
sibling_bin(const char *name, char *out, size_t outsz)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	return snprintf(out, outsz, "%s/%s", self, name) < (int)outsz;
}

#endif
