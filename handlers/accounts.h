#ifndef IG_HANDLERS_ACCOUNTS_H
#define IG_HANDLERS_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "imap/conn.h"

/* The account workers (imap/worker.h), one per configured account, started
 * by `imapgate serve` before the HTTP server and stopped after it drains. */

struct accounts;
struct ig_config;
struct wk;

/* Starts a worker per account in cfg (which must outlive the result).
 * NULL with a static *error_r on failure. */
struct accounts *accounts_start(const struct ig_config *cfg, const char **error_r);
struct audit;
/* The same, writing an `auth` audit record (account, host, port, TLS
 * version, the server certificate's observed SHA-256 fingerprint; fsync'ed)
 * after every successful login. audit (may be NULL) must outlive the result. */
struct accounts *accounts_start_audited(const struct ig_config *cfg, struct audit *audit,
					const char **error_r);
/* Completes queued jobs with an error, interrupts running ones, joins every
 * thread; NULL-safe. */
void accounts_stop(struct accounts *a);
/* The worker of the named account, or NULL. */
struct wk *accounts_worker(const struct accounts *a, const char *name);

/* A random 32-byte key made when the workers start, for the MACs of
 * opaque handles given to agents (search cursors): a handle from another
 * process, or one changed by its holder, does not verify. Borrowed; valid
 * until accounts_stop. */
#define ACCOUNTS_MAC_KEY_BYTES 32
const unsigned char *accounts_mac_key(const struct accounts *a);

struct buf;
struct cfg_account;

/* `imapgate probe`: connects to the account's server (TLS, greeting,
 * capabilities) and appends a human-readable report to out: TLS version,
 * cipher, the leaf certificate's SHA-256 fingerprint, whether it is trusted
 * (pin or CA bundle) and the capabilities; when trusted, it logs in (an
 * `auth` record in data_dir's audit log; no log, no login), asks CAPABILITY
 * and reports the list after login. A port speaking SMTP is named.
 * *trusted_r says whether a real connection would accept this certificate.
 * IG_EIO when the server could not be reached or the login failed (the
 * reason is in out); IG_ECONFIG for a bad pin. */
enum ig_err accounts_probe(const struct cfg_account *a, const char *data_dir, struct buf *out,
			   bool *trusted_r);

/* A short, non-reversible id of an account name for log lines. */
unsigned long long account_log_id(const char *name);

#endif
