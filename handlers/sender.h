#ifndef IG_HANDLERS_SENDER_H
#define IG_HANDLERS_SENDER_H

/* The outbox sender (DESIGN §10, docs/sending.md): one thread in the server
 * process that claims approved outbox entries from state.db (polled every
 * second), re-verifies each entry's bytes against the approved hash, audits
 * send_intent durably, sends over SMTP, audits send_result, and copies sent
 * mail to the account's \Sent folder through the account worker. At start
 * every entry left in `sending` becomes `uncertain`: a crash never leads to
 * a second delivery. */

struct sender;
struct accounts;
struct audit;
struct ig_config;

/* Starts the thread (cfg, accounts and audit must outlive it). Without an
 * audit handle nothing is ever sent (send_intent must be durable first).
 * NULL with a static *error_r. */
struct sender *sender_start(const struct ig_config *cfg, struct accounts *accounts,
			    struct audit *audit, const char **error_r);
/* Finishes the send in progress (bounded by the SMTP deadlines), joins the
 * thread and frees; NULL-safe. Call before accounts_stop. */
void sender_stop(struct sender *s);

#endif
