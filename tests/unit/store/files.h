/* File helpers of the audit unit tests (test_audit.c, test_checkpoint.c),
 * failing the test on any error. Included after <cmocka.h>. */
#ifndef IG_TESTS_UNIT_AUDIT_FILES_H
#define IG_TESTS_UNIT_AUDIT_FILES_H

#include <stdio.h>
#include <stdlib.h>

static inline void
rm_rf(const char *dir)
{
	char cmd[512];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The whole file, NUL-terminated (free it); its length in *len_r. */
static inline char *
file_read(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len_r = (size_t)n;
	return p;
}

static inline void
file_write(const char *path, const char *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

#endif
