#ifndef IG_BASE_CONFIG_INT_H
#define IG_BASE_CONFIG_INT_H

/* Internals shared by the files of the configuration loader (config.c,
 * config_syntax.c, config_values.c, config_account.c, config_env.c); not for
 * other modules, which use base/config.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/config.h"
#include "base/err.h"

enum sect_kind { SECT_NONE, SECT_SERVER, SECT_DEFAULTS, SECT_ACCOUNT };

struct loader;
struct kdef;

/* A setter validates v and stores it in obj; on failure it writes a reason
 * to ld->why and returns false. */
typedef bool (*set_fn)(struct loader *ld, const struct kdef *k, void *obj, const char *v);

struct kdef {
	const char *name;
	set_fn set;
	size_t off;   /* field in struct ig_config or struct cfg_account */
	size_t off_n; /* count field, for lists */
	unsigned long min;
	unsigned long max;
	bool (*valid)(const char *v, char *why, size_t whysz);
};

struct loader {
	struct ig_config *cfg;
	const char *path; /* for messages */
	FILE *f;
	int lineno;
	char *msg; /* first error, heap */
	char why[512];

	enum sect_kind sect;
	size_t acct; /* index when sect == SECT_ACCOUNT */
	bool seen_server_sect;
	bool seen_defaults_sect;
	uint64_t server_seen; /* keys set in the file, by table index */
	uint64_t defaults_seen;
	uint64_t *acct_seen; /* parallel to cfg->accounts */
	bool allowed_hosts_set;
	bool public_url_set;
};

/* Where a host:port or URL lives inside the text cfg_url_parse() was given. */
struct url {
	const char *host; /* with brackets for IPv6 */
	size_t host_len;
	unsigned port;
	bool has_port;
	const char *path; /* "" or "/..." */
};

/* config.c: the loader's first error, and a reason written for it. */
void cfg_ld_fail(struct loader *ld, const char *fmt, ...) IG_PRINTF(2, 3);
void cfg_why_set(char *why, size_t whysz, const char *fmt, ...) IG_PRINTF(3, 4);
/* config.c: applies name=value to the current section (ld->sect). where:
 * "file:line" or "environment VAR". seen: the section's duplicate mask, or
 * NULL (env). */
bool cfg_apply_key(struct loader *ld, const char *where, const char *name, const char *value,
	       uint64_t *seen);

/* config_syntax.c: the lexical pieces values are made of. */
char *cfg_str_ndup(const char *s, size_t n);
void cfg_str_lower(char *s);
bool cfg_is_alnum(char c);
bool cfg_has_controls(const char *s);
bool cfg_parse_ulong(const char *s, size_t len, unsigned long *v_r);
bool cfg_account_name_ok(const char *s, size_t len);
bool cfg_hostname_ok(const char *s, size_t len);
bool cfg_ipv6_ok(const char *s, size_t len);
bool cfg_hostport_split(const char *s, size_t len, bool need_port, const char **host_r,
		    size_t *hlen_r, unsigned *port_r, bool *has_port_r);
bool cfg_url_parse(const char *s, const char *const *schemes, bool allow_path, struct url *u);

/* config_values.c: the key table of each section, and its lookup. */
extern const struct kdef cfg_server_keys[];
extern const size_t cfg_n_server_keys;
extern const struct kdef cfg_defaults_keys[];
extern const size_t cfg_n_defaults_keys;
extern const struct kdef cfg_account_keys[];
extern const size_t cfg_n_account_keys;
const struct kdef *cfg_kdef_find(const struct kdef *t, size_t n, const char *name, size_t *idx_r);
void cfg_list_free(char **list, size_t n);

/* config_account.c: the [account NAME] records. */
void cfg_account_clear(struct cfg_account *a);
bool cfg_account_add(struct loader *ld, const char *name, size_t len, size_t *idx_r);
ssize_t cfg_account_index(const struct ig_config *cfg, const char *name, size_t len);
enum ig_err cfg_ld_finish_accounts(struct loader *ld, const char *origin);

/* config_env.c: IMAPGATE_<SECTION>_<KEY> overrides, after the file. */
enum ig_err cfg_ld_apply_env(struct loader *ld, char *const *envp);

#endif
