/* RFC 4226 (HOTP), RFC 6238 (TOTP), RFC 4648 §6 (base32). HMAC-SHA-1 is
 * OpenSSL's: libsodium has no SHA-1, and SHA-1 is what authenticator apps
 * implement (HMAC-SHA-1 is not weakened by SHA-1's collision attacks). */
#include "base/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

int
totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits, char *out)
{
	static const uint32_t mod[] = {1000000, 10000000, 100000000};
	unsigned char msg[8];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint32_t bin;
	size_t off;
	int i;

	if (digits < 6 || digits > 8) {
		if (out != NULL)
			out[0] = '\0';
		return -1;
	}
	out[0] = '\0';
	for (i = 0; i < 8; i++)
		msg[i] = (unsigned char)(counter >> (56 - 8 * i));
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) == NULL || mdlen != 20)
		return -1;
	/* dynamic truncation, RFC 4226 §5.3 */
	off = md[19] & 0x0f;
	bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
	      ((uint32_t)md[off + 2] << 8) | (uint32_t)md[off + 3];
	bin %= mod[digits - 6];
	for (i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + bin % 10);
		bin /= 10;
	}
	out[digits] = '\0';
	return 0;
}

int64_t
totp_step(int64_t t)
{
	return t > 0 ? t / TOTP_PERIOD : 0;
}

size_t
totp_b32_encode(const unsigned char *p, size_t len, char *out, size_t outsz)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t need = (len * 8 + 4) / 5;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	size_t i;

	if (outsz < need + 1) {
		if (outsz > 0)
			out[0] = '\0';
		return 0;
	}
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= (1U << bits) - 1;
	}
	if (bits > 0)
		out[n++] = alpha[(acc << (5 - bits)) & 31];
	out[n] = '\0';
	return n;
}
