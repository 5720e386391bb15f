#ifndef IG_BASE_CONFIG_H
#define IG_BASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Configuration (DESIGN §11): an INI file read with libinih, every key
 * overridable by IMAPGATE_<SECTION>_<KEY> environment variables. Unknown
 * sections/keys and bad values are errors that name the key. */

enum posture { POSTURE_READONLY, POSTURE_DRAFT_SAFE, POSTURE_FULL, POSTURE_DESTRUCTIVE };

/* A rate limit written "N/unit" (unit: s, min, h or day; N up to
 * LIM_RATE_COUNT) or "off": a token bucket of N calls refilled over the unit
 * (docs/security-model.md). count 0: unlimited. */
struct cfg_rate {
	unsigned count;
	unsigned period_s;
};

struct cfg_account {
	char *name;          /* [account NAME]: [A-Za-z0-9_-]{1,LIM_ACCOUNT_NAME} */
	char *host;          /* IMAP host (used from the IMAP issue on) */
	unsigned port;       /* default 993 */
	char *tls;           /* "implicit" | "starttls" */
	char *user;          /* login and From address */
	char *password_file; /* secrets only by indirection */
	char *password_env;
	enum posture posture; /* default: [defaults] posture */

	/* Stored and lightly validated now; used by the TLS, SMTP and content
	 * issues. NULL / 0 when not set. */
	char *tls_fingerprint_sha256;      /* 64 hex digits, ':' between pairs allowed */
	char *tls_ca_file;                 /* absolute path; not together with a pin */
	char *smtp_url;                    /* smtps:// or smtp:// (STARTTLS) URL */
	char *smtp_user;
	char *smtp_password_file;
	char *smtp_password_env;
	char *smtp_tls_fingerprint_sha256;
	bool send_requires_approval;       /* default true */
	char *allowed_recipients;          /* comma list as written */
	unsigned daily_send_quota;         /* 0: not set (the send issue picks the default) */
	char *known_domains;               /* comma list as written */

	/* Sending (imap/smtp.c, docs/sending.md). NULL / 0 when not set. */
	char *address;                     /* From address; default: user when it has '@' */
	char *smtp_tls_ca_file;            /* CA bundle for SMTP; not together with a pin */
	unsigned smtp_timeout_s;           /* whole SMTP transaction; default LIM_SMTP_TOTAL_S */

	/* IMAP client (imap/). 0 / NULL when not set. */
	unsigned connect_timeout_s;        /* connect + TLS + greeting; default 15 */
	unsigned command_timeout_s;        /* one command; default 60 */
	char *protected_folders;           /* comma list added to INBOX, Sent, Drafts, Trash */
	char *expunge_folders;             /* comma list where expunge/delete_folder may act */

	/* Dispatch chain (handlers/dispatch.c, docs/security-model.md). */
	char *tools_allow;   /* comma list of tools / sub-capabilities; NULL: no allow-list */
	char *tools_deny;    /* comma list; NULL: none. Names checked against the registry
				when the server starts (disp_config_check). */
	struct cfg_rate rate_limit;       /* all calls on this account, every token together */
	struct cfg_rate draft_rate_limit; /* create_draft-class calls on this account */
	struct cfg_rate send_rate_limit;  /* send-class calls on this account */

	/* Cache and sync (store/cache.h, imap/sync.h). */
	char *warm_folders;                /* comma list kept synced in the background;
					      NULL: INBOX + special-use folders (plus any
					      folder searched in the last hour) */
	unsigned index_bodies;             /* sanitized body text of the newest N messages
					      per warm folder in the full-text index; 0: off */
	unsigned flag_check_s;             /* cached flags compared in full with the server
					      again after this long; 0: LIM_SYNC_FLAG_CHECK_S */
};

struct ig_config {
	/* [server] */
	char *listen;             /* "host:port" as written; default 127.0.0.1:8080 */
	char *listen_host;        /* parsed host ("127.0.0.1", "::1", "0.0.0.0") */
	unsigned listen_port;
	bool listen_is_loopback;  /* bind address is a loopback address */
	char *public_url;         /* RFC 9728 resource; default http://<listen>/mcp when
				     listen is loopback, else required */
	char **allowed_origins;   /* exact origins; an Origin not listed gets 403 */
	size_t n_allowed_origins;
	char **allowed_hosts;     /* Host header allow-list; default: loopback names when
				     bound to loopback, plus public_url's host */
	size_t n_allowed_hosts;
	char **authorization_servers; /* RFC 9728 authorization_servers (may be empty) */
	size_t n_authorization_servers;
	char *data_dir;           /* state.db, cache.db, audit/; default /var/lib/imapgate */
	char *log_level;          /* debug|info|warn|error */
	size_t max_body;          /* bytes, after auth */
	size_t max_body_preauth;  /* bytes, before auth */
	unsigned max_connections;
	unsigned max_sessions;
	unsigned session_idle_s;
	unsigned connection_timeout_s;
	unsigned shutdown_timeout_s;
	char **trusted_proxies;   /* addresses / CIDR prefixes whose Forwarded and
				     X-Forwarded-For name the client; default none */
	size_t n_trusted_proxies;
	unsigned max_connections_per_ip; /* per client address (behind trusted proxies:
					    requests in progress) */
	unsigned request_timeout_s;      /* a whole request must arrive within this */
	unsigned max_streams_per_token;  /* SSE responses open at once per token */
	unsigned max_calls_per_token;    /* other /mcp requests in progress per token */
	size_t audit_max_bytes;   /* rotate audit.jsonl past this size; 0: never */

	/* [defaults] */
	enum posture default_posture; /* default draft-safe */
	struct cfg_rate token_rate_limit; /* per token, every call; a token's own limit wins */
	struct cfg_rate rate_limit;       /* per account default */
	struct cfg_rate draft_rate_limit; /* per token and per account default (drafts) */
	struct cfg_rate send_rate_limit;  /* per token and per account default (sends) */

	/* [account NAME] */
	struct cfg_account *accounts;
	size_t n_accounts;
};

/* Loads configuration from path (NULL: no file, defaults only) and then
 * applies IMAPGATE_* variables from envp (NULL-terminated, may be NULL).
 * On success *cfg_r is heap-owned by the caller (config_free). On failure
 * returns IG_ECONFIG (or IG_EIO when the file cannot be read) and *error_r is a
 * heap message that names the file, line and key; the caller frees it. */
enum ig_err config_load(const char *path, char *const *envp, struct ig_config **cfg_r,
			char **error_r) IG_MUST_CHECK;

/* NULL-safe. */
void config_free(struct ig_config *cfg);

/* Returns the account named name, or NULL. */
const struct cfg_account *config_account_find(const struct ig_config *cfg, const char *name);

/* The account's mail address (its From): `address` when configured, else `user`
 * when the login is an address, else NULL (a bare login name is not an address).
 * Points into a; lives as long as the config. */
const char *cfg_account_address(const struct cfg_account *a);

/* "readonly" | "draft-safe" | "full" | "destructive" */
const char *posture_str(enum posture p);
bool posture_parse(const char *s, enum posture *p_r);

/* Parses "N/unit" or "off" (see struct cfg_rate). */
bool cfg_rate_parse(const char *s, struct cfg_rate *r_r);
/* Writes "N/unit" or "off" into out (at least 32 bytes). */
void cfg_rate_format(struct cfg_rate r, char *out, size_t outsz);

#endif
