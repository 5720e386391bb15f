/* Audit records of the sending path (handlers/send_audit.h). */
#include "handlers/send_audit.h"

#include <json-c/json.h>

#include "base/log.h"
#include "server/config.h"

enum ig_err
send_audit(const struct ig_config *cfg, const char *kind, const char *principal,
	   const char *account, struct json_object *fields, bool sync)
{
	const char *f = fields != NULL ? json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN)
				       : "{}";

	(void)cfg;
	/* Values are gateway-built (ids, states, hashes, names from the config
	 * and state.db): no mail text reaches this line. */
	log_info(0, "msg=\"audit\" kind=%s principal=%s account=%s sync=%d fields=%s", kind,
		 principal != NULL ? principal : "-", account != NULL ? account : "-", sync ? 1 : 0,
		 f);
	json_object_put(fields);
	return IG_OK;
}
