#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The only process-wide state in base/: the level, set once before threads. */
static _Atomic int log_min_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
	atomic_store(&log_min_level, (int)level);
}

bool
log_level_parse(const char *s, enum log_level *level_r)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*level_r = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void
log_msg(enum log_level level, unsigned long long rid, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int w;
	va_list ap;

	if ((int)level < atomic_load(&log_min_level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	w = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	n = w > 0 ? (size_t)w : 0;
	if (rid != 0 && n < sizeof(line)) {
		w = snprintf(line + n, sizeof(line) - n, "rid=%llu ", rid);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above */
		w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line keeps lines from different threads whole. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

char *
log_safe(char *out, size_t outsz, const char *s, size_t len)
{
	size_t i;

	if (outsz == 0)
		return out;
	for (i = 0; i < len && i + 1 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (char)((c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : c);
	}
	out[i] = '\0';
	return out;
}
