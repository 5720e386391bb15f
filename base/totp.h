#ifndef IG_BASE_TOTP_H
#define IG_BASE_TOTP_H

#include <stddef.h>
#include <stdint.h>

/* One-time passwords: HOTP (RFC 4226) over HMAC-SHA-1 and TOTP (RFC 6238)
 * with the parameters every authenticator app assumes (SHA-1, 30-second
 * steps from the Unix epoch), and the RFC 4648 base32 alphabet their
 * otpauth:// URIs carry the secret in. Pure functions; no state. */

#define TOTP_SECRET_LEN 20 /* bytes: 160 bits, RFC 4226 §4 R6's recommendation */
#define TOTP_B32_LEN 32    /* base32 characters of a TOTP_SECRET_LEN secret (no padding) */
#define TOTP_PERIOD 30     /* seconds per step */
#define TOTP_DIGITS 6

/* The HOTP value of counter under key as digits (6..8) decimal digits and a
 * NUL in out (digits + 1 bytes). Returns 0, or -1 when digits is out of
 * range or HMAC fails (out is then ""). */
int totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits, char *out);

/* The TOTP step of unix time t (t / TOTP_PERIOD; 0 before the epoch). */
int64_t totp_step(int64_t t);

/* RFC 4648 §6 base32 of len bytes, without padding, NUL-terminated in out.
 * Returns the characters written, or 0 when outsz is too small
 * (needs (len * 8 + 4) / 5 + 1). */
size_t totp_b32_encode(const unsigned char *p, size_t len, char *out, size_t outsz);

#endif
