/* The audit checkpoint (docs/audit.md, "Tamper evidence"): the chain head —
 * seq and SHA-256 of the last record's line — kept outside the log in
 * <data_dir>/audit.head, MACed with a key outside the log
 * (<data_dir>/audit.key), rewritten under the log's flock after every append.
 * The chain proves that records were not changed relative to each other; the
 * checkpoint proves where the chain ended, which the log alone cannot (an
 * edited, re-chained, truncated or emptied log is still a valid chain).
 *
 * audit.head holds two fixed-size text slots; the record with seq S goes to
 * slot S % 2, so a write interrupted half-way leaves the other slot (one
 * record older) intact. Slot: "igh1 <seq, 20 digits> <sha256 hex> <mac hex>",
 * padded with spaces to AUDIT_HEAD_SLOT - 1 bytes, then LF. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/audit_int.h"

#define SLOT_PREFIX "igh1 "

static void
head_mac(const unsigned char key[AUDIT_KEY_LEN], const struct audit_head *h,
	 unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
	static const char domain[] = "imapgate audit head v1";
	crypto_auth_hmacsha256_state st;
	unsigned char seq[8];
	int i;

	for (i = 0; i < 8; i++)
		seq[i] = (unsigned char)(h->seq >> (56 - 8 * i));
	crypto_auth_hmacsha256_init(&st, key, AUDIT_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)domain, sizeof(domain));
	crypto_auth_hmacsha256_update(&st, seq, sizeof(seq));
	crypto_auth_hmacsha256_update(&st, h->hash, sizeof(h->hash));
	crypto_auth_hmacsha256_final(&st, mac);
}

bool
audit_head_write(int fd, const unsigned char key[AUDIT_KEY_LEN], const struct audit_head *h)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char slot[AUDIT_HEAD_SLOT];
	char hash_hex[65];
	char mac_hex[65];
	off_t off = (off_t)(h->seq % 2) * AUDIT_HEAD_SLOT;
	ssize_t w;
	int n;

	head_mac(key, h, mac);
	audit_hex_put(hash_hex, h->hash, sizeof(h->hash));
	audit_hex_put(mac_hex, mac, sizeof(mac));
	memset(slot, ' ', sizeof(slot));
	n = snprintf(slot, sizeof(slot), SLOT_PREFIX "%020" PRIu64 " %s %s", h->seq, hash_hex,
		     mac_hex);
	if (n < 0 || (size_t)n >= sizeof(slot) - 1)
		return false;
	slot[n] = ' ';
	slot[sizeof(slot) - 1] = '\n';
	do {
		w = pwrite(fd, slot, sizeof(slot), off);
	} while (w < 0 && errno == EINTR);
	if (w >= 0 && w != (ssize_t)sizeof(slot))
		errno = EIO; /* short: no error of its own */
	return w == (ssize_t)sizeof(slot);
}

/* -1 bad, 0 empty, 1 valid */
static int
slot_parse(const char *s, size_t len, const unsigned char key[AUDIT_KEY_LEN],
	   struct audit_head *h)
{
	const size_t body = sizeof(SLOT_PREFIX) - 1 + 20 + 1 + 64 + 1 + 64;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	unsigned char want[crypto_auth_hmacsha256_BYTES];
	size_t i;

	for (i = 0; i < len && s[i] == '\0'; i++)
		;
	if (i == len)
		return 0; /* never written */
	if (len != AUDIT_HEAD_SLOT || s[len - 1] != '\n' ||
	    memcmp(s, SLOT_PREFIX, sizeof(SLOT_PREFIX) - 1) != 0)
		return -1;
	h->seq = 0;
	for (i = sizeof(SLOT_PREFIX) - 1; i < sizeof(SLOT_PREFIX) - 1 + 20; i++) {
		if (s[i] < '0' || s[i] > '9' || h->seq > UINT64_MAX / 10)
			return -1;
		h->seq = h->seq * 10 + (uint64_t)(s[i] - '0');
	}
	if (s[i] != ' ' || !audit_hex_get(s + i + 1, h->hash, 32) || s[i + 65] != ' ' ||
	    !audit_hex_get(s + i + 66, mac, sizeof(mac)))
		return -1;
	for (i = body; i < len - 1; i++) {
		if (s[i] != ' ')
			return -1;
	}
	head_mac(key, h, want);
	return h->seq > 0 && sodium_memcmp(mac, want, sizeof(mac)) == 0 ? 1 : -1;
}

enum audit_head_res
audit_head_read(int fd, const unsigned char key[AUDIT_KEY_LEN], struct audit_head *h)
{
	char buf[2 * AUDIT_HEAD_SLOT];
	struct audit_head s[2];
	int v[2];
	ssize_t r;
	size_t got = 0;
	int i;

	while (got < sizeof(buf)) {
		r = pread(fd, buf + got, sizeof(buf) - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return AUDIT_HEAD_BAD;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	memset(buf + got, 0, sizeof(buf) - got);
	for (i = 0; i < 2; i++) {
		size_t n = got > (size_t)i * AUDIT_HEAD_SLOT ? got - (size_t)i * AUDIT_HEAD_SLOT : 0;

		if (n > AUDIT_HEAD_SLOT)
			n = AUDIT_HEAD_SLOT;
		/* a slot shorter than its size was cut: bad unless never written */
		v[i] = slot_parse(buf + (size_t)i * AUDIT_HEAD_SLOT,
				  n == 0 ? AUDIT_HEAD_SLOT : n, key, &s[i]);
		if (v[i] == 1 && s[i].seq % 2 != (uint64_t)i)
			v[i] = -1;
	}
	if (v[0] < 0 || v[1] < 0)
		return AUDIT_HEAD_BAD;
	if (v[0] == 0 && v[1] == 0)
		return AUDIT_HEAD_NONE;
	i = v[0] == 0 ? 1 : v[1] == 0 ? 0 : s[1].seq > s[0].seq ? 1 : 0;
	*h = s[i];
	return AUDIT_HEAD_OK;
}

enum ig_err
audit_key_load(int data_fd, const char *name, unsigned char *key, size_t len, bool create,
	       bool *created_r)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (created_r != NULL)
		*created_r = false;
	fd = openat(data_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		fd = openat(data_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0)
			return IG_EIO;
		randombytes_buf(key, len);
		n = write(fd, key, len);
		if (n != (ssize_t)len || fsync(fd) != 0) {
			close(fd);
			(void)unlinkat(data_fd, name, 0);
			return IG_EIO;
		}
		close(fd);
		(void)fsync(data_fd);
		if (created_r != NULL)
			*created_r = true;
		return IG_OK;
	}
	if (fd < 0)
		return errno == ENOENT ? IG_ENOTFOUND : IG_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)len) {
		close(fd);
		return IG_EIO;
	}
	while (got < len) {
		n = pread(fd, key + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return got == len ? IG_OK : IG_EIO;
}
