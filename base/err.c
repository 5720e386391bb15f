#include "base/err.h"

const char *
ig_err_str(enum ig_err err)
{
	switch (err) {
	case IG_OK:
		return "ok";
	case IG_AGAIN:
		return "again";
	case IG_EINVAL:
		return "invalid";
	case IG_ELIMIT:
		return "limit";
	case IG_ENOMEM:
		return "nomem";
	case IG_ENOTFOUND:
		return "not_found";
	case IG_EEXIST:
		return "exists";
	case IG_EAUTH:
		return "auth";
	case IG_EBUSY:
		return "busy";
	case IG_EDB:
		return "db";
	case IG_EIO:
		return "io";
	case IG_ECONFIG:
		return "config";
	case IG_EINTERNAL:
		return "internal";
	}
	return "unknown";
}
