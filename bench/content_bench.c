/* Content pipeline throughput (DESIGN §13: >= 20 MB/s per core on a realistic
 * mixed corpus; memory bounded by the limits). Generates the corpus in memory
 * (plain text, HTML newsletters, multipart with attachments, CJK in legacy
 * charsets), runs msg_sanitize over it on one thread for a fixed time and
 * prints MB/s of raw message bytes per CPU second. With --big it instead
 * sanitizes one message of about 25 MB once and prints the peak RSS, so the
 * memory figure is not mixed with the throughput run's.
 *
 *   content_bench [--seconds S]     throughput, one line of JSON
 *   content_bench --big             peak RSS on a 25 MB message, one line of JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <json-c/json.h>

#include "base/buf.h"
#include "base/limits.h"
#include "content/mime.h"
#include "content/msg.h"

#define CORPUS_MAX ((size_t)64 * 1024 * 1024)
#define MIB ((size_t)1024 * 1024)

static double
cpu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A small deterministic generator so runs are comparable. */
static unsigned long rng_state = 88172645463325252UL;

static unsigned long
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const words[] = {
    "the",     "meeting", "report",   "quarter", "invoice",  "please",  "review", "attached",
    "project", "update",  "customer", "order",   "shipping", "account", "thanks", "schedule",
    "budget",  "team",    "release",  "notes",   "question", "answer",  "monday", "friday",
};

static void
prose(struct buf *b, size_t bytes)
{
	size_t start = b->len, col = 0;

	while (b->len - start < bytes) {
		const char *w = words[rng() % (sizeof(words) / sizeof(words[0]))];

		buf_puts(b, w);
		col += strlen(w) + 1;
		if (col > 70) {
			buf_puts(b, rng() % 6 == 0 ? ".\n\n" : "\n");
			col = 0;
		} else {
			buf_putc(b, ' ');
		}
	}
}

static void
b64_block(struct buf *b, size_t bytes)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	/* "%PDF-" in base64 first, so the sniffer has something to find. */
	buf_puts(b, "JVBERi0xLjcK");
	for (i = 0; i < bytes; i++) {
		buf_putc(b, al[rng() & 63]);
		if (i % 76 == 75)
			buf_putc(b, '\n');
	}
	buf_putc(b, '\n');
}

static void
msg_plain(struct buf *b)
{
	buf_puts(b, "From: Alice Example <alice@example.com>\nTo: bob@example.org\n"
	            "Subject: =?utf-8?Q?Quarterly_r=C3=A9sum=C3=A9?=\n"
	            "Date: Tue, 3 Mar 2026 10:00:00 +0100\nMessage-ID: <p1@example.com>\n"
	            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n");
	prose(b, 6000);
}

static void
msg_newsletter(struct buf *b)
{
	size_t i;

	buf_puts(b, "From: Shop <news@shop.example.com>\nTo: sam@example.net\n"
	            "Subject: Spring sale\nList-Unsubscribe: <https://shop.example.com/u>\n"
	            "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"A\"\n\n"
	            "--A\nContent-Type: text/plain; charset=utf-8\n\n");
	prose(b, 3000);
	buf_puts(b, "\n--A\nContent-Type: text/html; charset=utf-8\n\n<!doctype html><html><head>"
	            "<style>.h{display:none}.b{color:#fff;background:#2a6}td{padding:4px}</style>"
	            "</head><body><div class=\"h\">preheader text</div><table>");
	for (i = 0; i < 40; i++) {
		buf_puts(b, "<tr><td style=\"font-family:Arial;font-size:14px;color:#333\"><p>");
		prose(b, 300);
		buf_puts(b,
		         "</p><a class=\"b\" href=\"https://shop.example.com/item\">Shop now</a>"
		         "<img src=\"https://cdn.example.com/p.png\" width=\"600\"></td></tr>\n");
	}
	buf_puts(b, "</table></body></html>\n--A--\n");
}

static void
msg_attachments(struct buf *b)
{
	buf_puts(b, "From: carol@example.com\nTo: dave@example.org\nSubject: Files\n"
	            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"M\"\n\n"
	            "--M\nContent-Type: text/plain; charset=utf-8\n\n");
	prose(b, 1500);
	buf_puts(
	    b, "\n--M\nContent-Type: application/pdf\nContent-Disposition: attachment;"
	       " filename*=utf-8''Bericht%20M%C3%A4rz.pdf\nContent-Transfer-Encoding: base64\n\n");
	b64_block(b, 200000);
	buf_puts(b, "--M\nContent-Type: image/png; name=\"chart.png\"\n"
	            "Content-Transfer-Encoding: base64\n\niVBORw0KGgo");
	b64_block(b, 60000);
	buf_puts(b, "--M--\n");
}

static void
msg_cjk(struct buf *b)
{
	/* "こんにちは" in ISO-2022-JP, repeated with ASCII line breaks. */
	static const char jis[] = "\x1b$B$3$s$K$A$O!\"$*@$OC$K$J$C$F$*$j$^$9!#\x1b(B\n";
	size_t i;

	buf_puts(b, "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\n"
	            "To: tanaka@example.jp\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\n"
	            "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\n\n");
	for (i = 0; i < 150; i++)
		buf_puts(b, jis);
}

struct corpus {
	struct buf data;
	size_t off[4096];
	size_t n;
};

static void
corpus_build(struct corpus *c, size_t target)
{
	buf_init(&c->data, CORPUS_MAX);
	c->n = 0;
	while (c->data.len < target && c->n + 1 < sizeof(c->off) / sizeof(c->off[0])) {
		unsigned long k = rng() % 10;

		c->off[c->n++] = c->data.len;
		if (k < 4)
			msg_plain(&c->data);
		else if (k < 7)
			msg_newsletter(&c->data);
		else if (k < 8)
			msg_attachments(&c->data);
		else
			msg_cjk(&c->data);
	}
	c->off[c->n] = c->data.len;
}

static int
run_throughput(double seconds)
{
	struct corpus *c = calloc(1, sizeof(*c));
	double t0, t1;
	size_t bytes = 0, msgs = 0, refused = 0, i;

	if (c == NULL)
		return 1;
	corpus_build(c, 8 * MIB);
	if (buf_err(&c->data) != IG_OK)
		return 1;
	t0 = cpu_now();
	t1 = t0;
	while (t1 - t0 < seconds) {
		for (i = 0; i < c->n; i++) {
			struct slice m = {c->data.p + c->off[i], c->off[i + 1] - c->off[i]};
			struct json_object *out = NULL;
			const char *err = NULL;

			if (msg_sanitize(m, NULL, &out, NULL, &err) != IG_OK)
				refused++;
			json_object_put(out);
			bytes += m.len;
			msgs++;
		}
		t1 = cpu_now();
	}
	printf("{\"bench\":\"content_throughput\",\"messages\":%zu,\"bytes\":%zu,"
	       "\"cpu_seconds\":%.3f,\"mb_per_s_per_core\":%.1f,\"msgs_per_s\":%.0f,"
	       "\"corpus_messages\":%zu,\"corpus_bytes\":%zu,\"refused\":%zu}\n",
	       msgs, bytes, t1 - t0, (double)bytes / 1e6 / (t1 - t0), (double)msgs / (t1 - t0),
	       c->n, c->data.len, refused);
	buf_free(&c->data);
	free(c);
	return refused == 0 ? 0 : 1;
}

static int
run_big(void)
{
	struct buf b;
	struct json_object *out = NULL;
	struct rusage ru;
	const char *err = NULL;
	double t0, t1;
	enum ig_err e;
	long before;

	buf_init(&b, LIM_MIME_MESSAGE);
	/* Text up to the caps, an HTML part, and a base64 attachment filling
	 * the rest of the 25 MiB. */
	buf_puts(&b, "From: big@example.com\nTo: x@example.org\nSubject: big\nMIME-Version: 1.0\n"
	             "Content-Type: multipart/mixed; boundary=\"G\"\n\n--G\n"
	             "Content-Type: text/plain; charset=utf-8\n\n");
	prose(&b, 2 * MIB);
	buf_puts(&b, "\n--G\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>");
	prose(&b, 2 * MIB);
	buf_puts(&b, "</p></body></html>\n--G\nContent-Type: application/pdf\n"
	             "Content-Disposition: attachment; filename=\"big.pdf\"\n"
	             "Content-Transfer-Encoding: base64\n\n");
	b64_block(&b, (LIM_MIME_MESSAGE - b.len - 4096) / 77 * 76);
	buf_puts(&b, "--G--\n");
	if (buf_err(&b) != IG_OK)
		return 1;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 1;
	before = ru.ru_maxrss;
	t0 = cpu_now();
	e = msg_sanitize(buf_slice(&b), NULL, &out, NULL, &err);
	t1 = cpu_now();
	json_object_put(out);
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 1;
	printf("{\"bench\":\"content_big_message\",\"bytes\":%zu,\"result\":\"%s\","
	       "\"cpu_seconds\":%.3f,\"mb_per_s\":%.1f,\"rss_before_kib\":%ld,"
	       "\"peak_rss_kib\":%ld,\"peak_rss_over_input\":%.2f}\n",
	       b.len, ig_err_str(e), t1 - t0, (double)b.len / 1e6 / (t1 - t0), before, ru.ru_maxrss,
	       (double)ru.ru_maxrss * 1024.0 / (double)b.len);
	buf_free(&b);
	return e == IG_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	double seconds = 5;
	int rc;

	content_init();
	if (argc == 2 && strcmp(argv[1], "--big") == 0) {
		rc = run_big();
	} else if (argc == 3 && strcmp(argv[1], "--seconds") == 0) {
		seconds = strtod(argv[2], NULL);
		rc = run_throughput(seconds > 0 ? seconds : 5);
	} else if (argc == 1) {
		rc = run_throughput(seconds);
	} else {
		(void)fputs("usage: content_bench [--seconds S] | --big\n", stderr);
		rc = 2;
	}
	content_shutdown();
	return rc;
}
