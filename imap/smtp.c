/* The SMTP client (imap/smtp.h) on libcurl.
 *
 * RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS), RFC 4954
 * (AUTH). libcurl speaks the protocol; this file decides the policy: TLS is
 * mandatory (CURLUSESSL_ALL), only smtp/smtps URLs, no proxies from the
 * environment, deadlines on everything, exactly the given recipients.
 *
 * Pinning: tls_fingerprint_sha256 for IMAP is the SHA-256 of the leaf
 * certificate (what `imapgate probe` prints); smtp_tls_fingerprint_sha256
 * means the same. CURLOPT_PINNEDPUBLICKEY would pin the public key instead
 * (a different value), so the leaf is checked in OpenSSL's verification
 * callback during the handshake: before AUTH, before any mail byte.
 *
 * Dot-stuffing: libcurl escapes a '.' at the start of every line of an SMTP
 * upload and writes the terminating CRLF.CRLF itself, so the bytes given to
 * it are the message with CRLF line endings and nothing else. Bare CR and
 * bare LF are normalized to CRLF first, so that no line of the message can
 * be read as the end of DATA by any server. */
#include "imap/smtp.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "imap/compose.h"

const char *
smtp_fail_str(enum smtp_fail f)
{
	switch (f) {
	case SMTP_OK:
		return "ok";
	case SMTP_FAIL_PROTOCOL:
		return "protocol";
	case SMTP_FAIL_AUTH:
		return "auth";
	case SMTP_FAIL_TLS:
		return "tls";
	case SMTP_FAIL_CONN:
		return "connection_lost";
	case SMTP_FAIL_TIMEOUT:
		return "timeout";
	case SMTP_FAIL_CONFIG:
		return "config";
	case SMTP_FAIL_INTERNAL:
		break;
	}
	return "internal";
}

static void
res_set(struct smtp_result *res, enum smtp_fail f, const char *text)
{
	res->fail = f;
	if (res->reply_code >= 400) /* the code of a refusal; never the server's text */
		(void)snprintf(res->msg, sizeof(res->msg), "%s (SMTP reply %ld)", text,
			       res->reply_code);
	else
		(void)snprintf(res->msg, sizeof(res->msg), "%s", text);
}

/* Reads the password into buf (sodium_malloc'ed by the caller). */
static bool
password_read(const struct smtp_opts *o, char *buf, size_t size)
{
	size_t n = 0;

	if (o->password_file != NULL) {
		int fd = open(o->password_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		ssize_t r;

		if (fd < 0)
			return false;
		while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				(void)close(fd);
				return false;
			}
			n += (size_t)r;
		}
		(void)close(fd);
	} else if (o->password_env != NULL) {
		const char *v = getenv(o->password_env);

		n = v != NULL ? strlen(v) : 0;
		if (v == NULL || n >= size)
			return false;
		memcpy(buf, v, n);
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return n > 0 && memchr(buf, '\0', n) == NULL;
}

struct upload {
	const char *p;
	size_t len, off;
};

static size_t
read_cb(char *out, size_t size, size_t nitems, void *ctx)
{
	struct upload *u = ctx;
	size_t room = size * nitems;
	size_t n = u->len - u->off;

	if (n > room)
		n = room;
	memcpy(out, u->p + u->off, n);
	u->off += n;
	return n;
}

/* Called by OpenSSL instead of its chain verification when pinned: accepts
 * exactly the leaf whose DER has the configured SHA-256. */
static int
pin_verify(X509_STORE_CTX *x, void *arg)
{
	const struct smtp_opts *o = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(x);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (leaf == NULL || X509_digest(leaf, EVP_sha256(), md, &len) != 1 || len != 32)
		return 0;
	if (sodium_memcmp(md, o->pin, 32) != 0) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static CURLcode
ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *arg)
{
	(void)curl;
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ssl_ctx, pin_verify, arg);
	return CURLE_OK;
}

static enum smtp_fail
classify(CURLcode rc, long reply)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return SMTP_FAIL_AUTH;
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
		return SMTP_FAIL_TLS;
	case CURLE_OPERATION_TIMEDOUT:
		return SMTP_FAIL_TIMEOUT;
	default:
		break;
	}
	/* A 4xx/5xx reply explains the failure whatever curl called it. */
	if (reply >= 400)
		return reply == 535 || reply == 534 || reply == 530 ? SMTP_FAIL_AUTH
								    : SMTP_FAIL_PROTOCOL;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return SMTP_FAIL_CONN;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return SMTP_FAIL_CONFIG;
	default:
		return SMTP_FAIL_PROTOCOL;
	}
}

static const char *
fail_text(enum smtp_fail f)
{
	switch (f) {
	case SMTP_FAIL_AUTH:
		return "the SMTP server refused the login";
	case SMTP_FAIL_TLS:
		return "SMTP TLS failed (certificate, pin, or STARTTLS not offered)";
	case SMTP_FAIL_TIMEOUT:
		return "the SMTP server did not answer in time";
	case SMTP_FAIL_CONN:
		return "the SMTP connection failed or was lost";
	case SMTP_FAIL_CONFIG:
		return "the account's smtp_url is unusable";
	case SMTP_FAIL_PROTOCOL:
		return "the SMTP server refused the message";
	default:
		return "SMTP failed";
	}
}

void
smtp_send(const struct smtp_opts *o, const char *from, const char *const *rcpts,
	  size_t n_rcpts, struct slice msg, struct smtp_result *res)
{
	struct curl_slist *rl = NULL;
	struct upload up = {NULL, 0, 0};
	char *password = NULL;
	char fromarg[LIM_SEND_ADDRESS + 3];
	struct buf data;
	CURL *curl = NULL;
	CURLcode rc;
	size_t i;

	memset(res, 0, sizeof(*res));
	buf_init(&data, LIM_SEND_MESSAGE + LIM_SEND_MESSAGE / 2);
	if (o->url == NULL ||
	    (strncmp(o->url, "smtps://", 8) != 0 && strncmp(o->url, "smtp://", 7) != 0)) {
		res_set(res, SMTP_FAIL_CONFIG, "the account has no usable smtp_url");
		goto out;
	}
	/* Everything checked once more here: the envelope comes from state.db
	 * and must still be plain addresses (no CR/LF can reach a command). */
	if (!compose_address_valid(from) || n_rcpts == 0 || n_rcpts > LIM_SEND_RCPTS) {
		res_set(res, SMTP_FAIL_INTERNAL, "invalid envelope");
		goto out;
	}
	for (i = 0; i < n_rcpts; i++) {
		char arg[LIM_SEND_ADDRESS + 3];

		if (!compose_address_valid(rcpts[i])) {
			res_set(res, SMTP_FAIL_INTERNAL, "invalid envelope");
			goto out;
		}
		(void)snprintf(arg, sizeof(arg), "<%s>", rcpts[i]);
		struct curl_slist *nl = curl_slist_append(rl, arg);

		if (nl == NULL) {
			res_set(res, SMTP_FAIL_INTERNAL, "out of memory");
			goto out;
		}
		rl = nl;
	}
	(void)snprintf(fromarg, sizeof(fromarg), "<%s>", from);
	compose_crlf(msg.p, msg.len, &data);
	if (buf_err(&data) != IG_OK) {
		res_set(res, SMTP_FAIL_INTERNAL, "message too large");
		goto out;
	}
	up.p = data.p;
	up.len = data.len;
	if (o->user != NULL) {
		password = sodium_malloc(LIM_SMTP_PASSWORD + 1);
		if (password == NULL || !password_read(o, password, LIM_SMTP_PASSWORD + 1)) {
			res_set(res, SMTP_FAIL_CONFIG,
				"cannot read the account's SMTP password (smtp_password_file or "
				"smtp_password_env)");
			goto out;
		}
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		res_set(res, SMTP_FAIL_INTERNAL, "out of memory");
		goto out;
	}
#define SET(opt, val)                                                   \
	do {                                                            \
		if (curl_easy_setopt(curl, opt, val) != CURLE_OK) {     \
			res_set(res, SMTP_FAIL_INTERNAL, "libcurl option"); \
			goto out;                                       \
		}                                                       \
	} while (0)
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_CONNECTTIMEOUT, (long)(o->connect_timeout_s ? o->connect_timeout_s
							      : LIM_SMTP_CONNECT_S));
	SET(CURLOPT_TIMEOUT, (long)(o->timeout_s ? o->timeout_s : LIM_SMTP_TOTAL_S));
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, (long)LIM_SMTP_LOW_SPEED_S);
	if (o->pinned) {
		/* the pin replaces chain and name checks (as for IMAP) */
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
		SET(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		SET(CURLOPT_SSL_CTX_DATA, (void *)o);
	} else {
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
		if (o->ca_file != NULL)
			SET(CURLOPT_CAINFO, o->ca_file);
	}
	if (o->user != NULL) {
		SET(CURLOPT_USERNAME, o->user);
		SET(CURLOPT_PASSWORD, password);
	}
	SET(CURLOPT_MAIL_FROM, fromarg);
	SET(CURLOPT_MAIL_RCPT, rl);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, &up);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
#undef SET
	rc = curl_easy_perform(curl);
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->reply_code);
	if (rc == CURLE_OK && res->reply_code >= 200 && res->reply_code < 300) {
		res->fail = SMTP_OK;
		goto out;
	}
	if (rc == CURLE_OK)
		rc = CURLE_WEIRD_SERVER_REPLY;
	res_set(res, classify(rc, res->reply_code), fail_text(classify(rc, res->reply_code)));
	/* Every byte went out and no refusal came back: the server may
	 * have the message. */
	res->maybe_delivered = up.off == up.len && res->reply_code < 400 &&
			       (res->fail == SMTP_FAIL_CONN || res->fail == SMTP_FAIL_TIMEOUT ||
				res->fail == SMTP_FAIL_PROTOCOL);
out:
	/* libcurl keeps its own copy of the password and frees it without
	 * wiping; ours is wiped here (sodium_free). */
	curl_easy_cleanup(curl);
	curl_slist_free_all(rl);
	sodium_free(password);
	buf_free(&data);
}
