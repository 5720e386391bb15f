#ifndef IG_IMAP_TLS_H
#define IG_IMAP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* TLS client for IMAP connections on mbedTLS 2.28: TLS 1.2 only (the
 * library has no 1.3), certificate checked either against a CA bundle with
 * the host name, or by SHA-256 pin of the leaf certificate (no CA fallback). */

#define IMAP_TLS_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

struct imap_tls;

struct imap_tls_opts {
	const char *host;        /* SNI and, without a pin, the name checked */
	const char *ca_file;     /* NULL: IMAP_TLS_SYSTEM_CA */
	bool pinned;
	unsigned char pin[32];   /* SHA-256 of the leaf certificate (DER) */
	bool probe;              /* accept any certificate; report it (imapgate probe) */
};

/* Runs the handshake on the connected non-blocking socket fd until
 * deadline_ms (CLOCK_MONOTONIC milliseconds). IG_OK with *tls_r (caller
 * frees with imap_tls_free; fd stays the caller's). IG_EAUTH when the peer's
 * certificate is refused (pin mismatch, untrusted, wrong name); IG_EIO on a
 * handshake or socket failure, IG_ELIMIT on timeout. A
 * static description goes to *error_r. */
enum ig_err imap_tls_start(int fd, const struct imap_tls_opts *o, int64_t deadline_ms,
			   struct imap_tls **tls_r, const char **error_r) IG_MUST_CHECK;

/* Reads up to len bytes. IG_OK with *n_r > 0; IG_EIO when the peer closed or
 * failed; IG_ELIMIT at the deadline. */
enum ig_err imap_tls_read(struct imap_tls *t, char *p, size_t len, size_t *n_r,
			  int64_t deadline_ms) IG_MUST_CHECK;
/* Writes all of p; IG_EIO or IG_ELIMIT as for read. */
enum ig_err imap_tls_write(struct imap_tls *t, const char *p, size_t len,
			   int64_t deadline_ms) IG_MUST_CHECK;

/* SHA-256 of the peer's leaf certificate. */
void imap_tls_fingerprint(const struct imap_tls *t, unsigned char out[32]);
/* "TLSv1.2" etc. (static). */
const char *imap_tls_version(const struct imap_tls *t);
/* The cipher suite name (static). */
const char *imap_tls_cipher(const struct imap_tls *t);
/* Certificate verification result for probe mode: true when the chain and
 * name verified against the CA bundle. */
bool imap_tls_verified(const struct imap_tls *t);

/* Parses 64 hex digits, optionally with ':' between byte pairs (the
 * config's tls_fingerprint_sha256). */
bool imap_fingerprint_parse(const char *text, unsigned char out[32]);
/* Writes "AB:CD:..." (95 characters and a NUL). */
void imap_fingerprint_format(const unsigned char fp[32], char out[96]);

/* Sends close_notify (best effort, no waiting) and frees; NULL-safe. */
void imap_tls_free(struct imap_tls *t);

/* Waits until fd is readable (events POLLIN) or writable (POLLOUT) or the
 * deadline passes. IG_OK, IG_ELIMIT on timeout, IG_EIO on poll failure. */
enum ig_err imap_fd_wait(int fd, short events, int64_t deadline_ms) IG_MUST_CHECK;

/* Makes every imap_fd_wait on this thread fail (IG_EIO) once fd is
 * readable: how a worker's blocked I/O is interrupted at shutdown. -1: none. */
void imap_set_abort_fd(int fd);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t imap_now_ms(void);

#endif
