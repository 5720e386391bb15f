/* TLS for the IMAP client: RFC 8314 (implicit TLS), RFC 5246 (TLS 1.2),
 * RFC 6125 host name checks (DNS names by mbedTLS, IP addresses here, against
 * iPAddress entries of the subject alternative names: mbedTLS 2.28 matches
 * only dNSName), RFC 6066 SNI (never for an IP address). A certificate
 * without subject alternative names is refused: the CN is not a name (RFC 6125
 * §6.4.4, CA/Browser Forum baseline requirements).
 *
 * Two trust modes, never mixed: CA bundle plus host name (the default), or a
 * SHA-256 pin of the leaf certificate. When pinned, the CA store is not
 * consulted at all, so a pin mismatch can never be rescued by a valid chain
 * and a self-signed server is accepted only with its exact certificate. The
 * socket is non-blocking; every wait is bounded by the caller's deadline. */
#include "imap/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <sodium.h>

struct imap_tls {
	int fd;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	unsigned char fp[32];
	bool have_fp;
	bool verified;
	bool check_names;     /* CA mode: the leaf must name the host */
	unsigned char ip[16]; /* the host as an IP address, ip_len 4 or 16; 0: a DNS name */
	size_t ip_len;
};

/* Whether host is an IP literal ("192.0.2.1", "2001:db8::1" or "[2001:db8::1]");
 * its address bytes go to ip (16 bytes), their count to *len_r. */
static bool
host_ip(const char *host, unsigned char *ip, size_t *len_r)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, ip) == 1) {
		*len_r = 4;
		return true;
	}
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, ip) == 1) {
		*len_r = 16;
		return true;
	}
	return false;
}

/* Whether the leaf lists ip among its iPAddress subject alternative names. */
static bool
san_has_ip(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t len)
{
	const mbedtls_x509_sequence *s;

	for (s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL; s = s->next)
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
		    s->buf.len == len && memcmp(s->buf.p, ip, len) == 0)
			return true;
	return false;
}

int64_t
imap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The worker's stop signal: readable once the thread must give up its I/O. */
static _Thread_local int abort_fd = -1;

void
imap_set_abort_fd(int fd)
{
	abort_fd = fd;
}

enum ig_err
imap_fd_wait(int fd, short events, int64_t deadline_ms)
{
	struct pollfd pfd[2] = {{.fd = fd, .events = events}, {.fd = abort_fd, .events = POLLIN}};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline_ms - imap_now_ms();
		if (left <= 0)
			return IG_ELIMIT;
		rc = poll(pfd, abort_fd >= 0 ? 2 : 1, left > 1000000 ? 1000000 : (int)left);
		if (rc > 0 && abort_fd >= 0 && (pfd[1].revents & POLLIN) != 0)
			return IG_EIO;
		if (rc > 0)
			return IG_OK; /* readable, writable, or an error the next call sees */
		if (rc == 0)
			continue;
		if (errno != EINTR)
			return IG_EIO;
	}
}

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct imap_tls *t = ctx;
	ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct imap_tls *t = ctx;
	ssize_t n = recv(t->fd, buf, len, 0);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Records the leaf's fingerprint; the decision is taken after the handshake
 * (pinned) or by mbedTLS from the chain (CA mode). */
static int
verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct imap_tls *t = ctx;

	if (depth != 0)
		return 0;
	if (mbedtls_sha256_ret(crt->raw.p, crt->raw.len, t->fp, 0) == 0)
		t->have_fp = true;
	/* mbedTLS checked dNSName entries (or, without any SAN, the CN) against
	 * the name given to mbedtls_ssl_set_hostname; an IP host was not given. */
	if (t->check_names &&
	    ((crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) == 0 ||
	     (t->ip_len > 0 && !san_has_ip(crt, t->ip, t->ip_len))))
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

/* Waits for what mbedTLS asked for. */
static enum ig_err
tls_wait(struct imap_tls *t, int rc, int64_t deadline_ms)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_READ)
		return imap_fd_wait(t->fd, POLLIN, deadline_ms);
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return imap_fd_wait(t->fd, POLLOUT, deadline_ms);
	return IG_EIO;
}

enum ig_err
imap_tls_start(int fd, const struct imap_tls_opts *o, int64_t deadline_ms,
	       struct imap_tls **tls_r, const char **error_r)
{
	static const char pers[] = "imapgate-imap";
	struct imap_tls *t = calloc(1, sizeof(*t));
	enum ig_err err = IG_EIO;
	int rc;

	*tls_r = NULL;
	if (t == NULL) {
		*error_r = "out of memory";
		return IG_ENOMEM;
	}
	t->fd = fd;
	mbedtls_ssl_init(&t->ssl);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	*error_r = "TLS setup failed";
	if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1) != 0)
		goto fail;
	if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		goto fail;
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_verify(&t->conf, verify_cb, t);
	mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	if (o->pinned) {
		/* The pin is the whole trust decision, checked below. */
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	} else {
		const char *ca = o->ca_file != NULL ? o->ca_file : IMAP_TLS_SYSTEM_CA;

		rc = mbedtls_x509_crt_parse_file(&t->ca, ca);
		if (rc < 0 || t->ca.version == 0) {
			*error_r = "cannot load the CA certificates";
			goto fail;
		}
		mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
		mbedtls_ssl_conf_authmode(&t->conf, o->probe ? MBEDTLS_SSL_VERIFY_OPTIONAL
							     : MBEDTLS_SSL_VERIFY_REQUIRED);
	}
	t->check_names = !o->pinned;
	if (mbedtls_ssl_setup(&t->ssl, &t->conf) != 0)
		goto fail;
	/* An IP address is neither sent as SNI (RFC 6066 §3) nor matched by
	 * mbedTLS; verify_cb matches it against the iPAddress names. */
	if (!host_ip(o->host, t->ip, &t->ip_len) &&
	    mbedtls_ssl_set_hostname(&t->ssl, o->host) != 0)
		goto fail;
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&t->ssl)) != 0) {
		err = tls_wait(t, rc, deadline_ms);
		if (err == IG_ELIMIT) {
			*error_r = "TLS handshake timed out";
			goto fail;
		}
		if (err != IG_OK) {
			err = rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ? IG_EAUTH : IG_EIO;
			*error_r = err == IG_EAUTH ? "server certificate not trusted"
						   : "TLS handshake failed";
			goto fail;
		}
	}
	t->verified = !o->pinned && mbedtls_ssl_get_verify_result(&t->ssl) == 0;
	if (o->pinned && !o->probe &&
	    (!t->have_fp || sodium_memcmp(t->fp, o->pin, sizeof(t->fp)) != 0)) {
		err = IG_EAUTH;
		*error_r = "server certificate does not match the pinned fingerprint";
		goto fail;
	}
	if (!t->have_fp) {
		err = IG_EAUTH;
		*error_r = "server sent no certificate";
		goto fail;
	}
	*tls_r = t;
	*error_r = NULL;
	return IG_OK;
fail:
	imap_tls_free(t);
	return err;
}

enum ig_err
imap_tls_read(struct imap_tls *t, char *p, size_t len, size_t *n_r, int64_t deadline_ms)
{
	int rc;
	enum ig_err err;

	*n_r = 0;
	for (;;) {
		rc = mbedtls_ssl_read(&t->ssl, (unsigned char *)p, len);
		if (rc > 0) {
			*n_r = (size_t)rc;
			return IG_OK;
		}
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return IG_EIO;
		err = tls_wait(t, rc, deadline_ms);
		if (err != IG_OK)
			return err;
	}
}

enum ig_err
imap_tls_write(struct imap_tls *t, const char *p, size_t len, int64_t deadline_ms)
{
	size_t off = 0;
	int rc;
	enum ig_err err;

	while (off < len) {
		rc = mbedtls_ssl_write(&t->ssl, (const unsigned char *)p + off, len - off);
		if (rc > 0) {
			off += (size_t)rc;
			continue;
		}
		err = tls_wait(t, rc, deadline_ms);
		if (err != IG_OK)
			return err;
	}
	return IG_OK;
}

void
imap_tls_fingerprint(const struct imap_tls *t, unsigned char out[32])
{
	memcpy(out, t->fp, sizeof(t->fp));
}

const char *
imap_tls_version(const struct imap_tls *t)
{
	return mbedtls_ssl_get_version(&t->ssl);
}

const char *
imap_tls_cipher(const struct imap_tls *t)
{
	return mbedtls_ssl_get_ciphersuite(&t->ssl);
}

bool
imap_tls_verified(const struct imap_tls *t)
{
	return t->verified;
}

void
imap_tls_free(struct imap_tls *t)
{
	if (t == NULL)
		return;
	/* Best effort: one attempt, the socket is non-blocking. */
	(void)mbedtls_ssl_close_notify(&t->ssl);
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	free(t);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
imap_fingerprint_parse(const char *text, unsigned char out[32])
{
	size_t n = 0;
	size_t i = 0;

	while (text[i] != '\0') {
		int hi;
		int lo;

		if (n > 0 && text[i] == ':')
			i++;
		if (n == 32 || (hi = hexval(text[i])) < 0 || (lo = hexval(text[i + 1])) < 0)
			return false;
		out[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return n == 32;
}

void
imap_fingerprint_format(const unsigned char fp[32], char out[96])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[i * 3] = hex[fp[i] >> 4];
		out[i * 3 + 1] = hex[fp[i] & 15];
		out[i * 3 + 2] = i == 31 ? '\0' : ':';
	}
}
