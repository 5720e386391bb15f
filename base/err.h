#ifndef IG_BASE_ERR_H
#define IG_BASE_ERR_H

/* Internal error codes. Action functions return enum ig_err; a human message,
 * when useful, goes to a `const char **error_r` out-parameter. One table in
 * handlers/ maps these to MCP error codes. */

#define IG_MUST_CHECK __attribute__((warn_unused_result))
#define IG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
/* An intended fall-through between switch cases (GCC reads comments, clang
 * only the attribute: -Wimplicit-fallthrough is on for both). */
#define IG_FALLTHROUGH __attribute__((fallthrough))

enum ig_err {
	IG_OK = 0,
	IG_AGAIN,     /* need more input; not an error */
	IG_EINVAL,    /* malformed or invalid input */
	IG_ELIMIT,    /* a limit from base/limits.h was exceeded */
	IG_ENOMEM,    /* allocation failed */
	IG_ENOTFOUND, /* no such object (or not visible to this principal) */
	IG_EEXIST,    /* object already exists */
	IG_EAUTH,     /* authentication failed */
	IG_EBUSY,     /* a bounded queue or table is full */
	IG_EDB,       /* SQLite failure */
	IG_EIO,       /* system call or file failure */
	IG_ECONFIG,   /* configuration invalid */
	IG_EINTERNAL, /* a bug */
};

/* Returns a static, stable name for err ("ok", "invalid", ...). */
const char *ig_err_str(enum ig_err err);

#endif
