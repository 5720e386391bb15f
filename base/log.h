#ifndef IG_BASE_LOG_H
#define IG_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* One line per event on stderr, logfmt: `ts=… level=… rid=… msg="…" k=v`.
 * Never pass bodies, passwords or tokens. Untrusted text goes through
 * log_safe() first. Thread-safe (one write(2) per line). */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level printed; called once from main before threads start. */
void log_set_level(enum log_level level);
/* Parses "debug|info|warn|error"; returns false for anything else. */
bool log_level_parse(const char *s, enum log_level *level_r);

/* rid: request id (0 when none). fmt produces the `msg=… k=v` part. */
void log_msg(enum log_level level, unsigned long long rid, const char *fmt, ...)
	IG_PRINTF(3, 4);

#define log_debug(rid, ...) log_msg(LOG_DEBUG, (rid), __VA_ARGS__)
#define log_info(rid, ...) log_msg(LOG_INFO, (rid), __VA_ARGS__)
#define log_warn(rid, ...) log_msg(LOG_WARN, (rid), __VA_ARGS__)
#define log_error(rid, ...) log_msg(LOG_ERROR, (rid), __VA_ARGS__)

/* Copies at most outsz-1 bytes of untrusted s into out, replacing controls,
 * quotes, backslashes and non-ASCII bytes with '?'. Returns out. */
char *log_safe(char *out, size_t outsz, const char *s, size_t len);

#endif
