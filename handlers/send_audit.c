/* Audit records of the sending path (handlers/send_audit.h). */
#include "handlers/send_audit.h"

#include <json-c/json.h>

#include "store/audit.h"
#include "base/log.h"

enum ig_err
send_audit(struct audit *a, const char *kind, const char *principal, const char *account,
	   struct json_object *fields, bool sync)
{
	const char *f = fields != NULL ? json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN)
				       : "{}";
	enum ig_err err = IG_EIO;

	if (a != NULL)
		err = audit_append(a, kind, principal, account, fields, sync);
	else if (!sync)
		err = IG_OK;
	/* Values are gateway-built: no mail text reaches this line. */
	log_info(0, "msg=\"audit\" kind=%s principal=%s account=%s sync=%d written=%d fields=%s",
		 kind, principal != NULL ? principal : "-", account != NULL ? account : "-",
		 sync ? 1 : 0, err == IG_OK && a != NULL ? 1 : 0, f);
	json_object_put(fields);
	return err;
}
