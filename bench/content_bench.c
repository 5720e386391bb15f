/* Content pipeline throughput (DESIGN §13: >= 20 MB/s per core on a realistic
 * mixed corpus; memory bounded by the limits). Generates the corpus in memory
 * (plain text, HTML newsletters, multipart with attachments, CJK in legacy
 * charsets), runs msg_sanitize over it on one thread for a fixed time and
 * prints MB/s of raw message bytes per CPU second. With --big it instead
 * sanitizes one message of about 25 MB once and prints the peak RSS, so the
 * memory figure is not mixed with the throughput run's.
 *
 * With --html the corpus is HTML-heavy mail instead (newsletters and
 * notifications as bulk senders write them: nested layout tables, inline
 * styles on every cell, a <style> block with a few dozen rules and @media
 * queries, hidden preheaders, tracking links and images, 5-200 KB of HTML
 * per message, half of them quoted-printable); --dir reads .eml and .html
 * files instead. Both print MB/s per CPU second of html_to_text alone (HTML
 * bytes as handed to the renderer) and of the whole msg_sanitize (raw
 * message bytes), measured in separate passes.
 *
 *   content_bench [--seconds S]     throughput, one line of JSON
 *   content_bench --big             peak RSS on a 25 MB message, one line of JSON
 *   content_bench --html [--seconds S] [--once]
 *   content_bench --dir DIR [--seconds S] [--once]   (files refused are skipped)
 *                                   HTML path: html_to_text and msg_sanitize MB/s,
 *                                   one line of JSON; --once runs each pass once
 *                                   over the corpus (for callgrind); --only html|msg
 *                                   runs one pass; --include-html sanitizes with
 *                                   include_html (body_html too); --dump DIR writes
 *                                   the corpus as DIR/hNNNN.eml instead
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include <json-c/json.h>

#include "base/buf.h"
#include "base/limits.h"
#include "content/html.h"
#include "content/mime.h"
#include "content/msg.h"
#include "content/warn.h"

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

/* ---- HTML-heavy corpus (--html, --dir) ----------------------------------- */

static const char *const words_html[] = {
    "the",      "offer",    "your",     "account",  "order",    "shipped",  "today",
    "new",      "arrivals", "members",  "save",     "free",     "delivery", "weekend",
    "collection", "discover", "limited", "edition",  "styles",   "summer",   "review",
    "update",   "settings", "privacy",  "café",     "€25",      "—",        "naïve",
    "invoice",  "receipt",  "total",    "subscription", "renewal", "reminder", "event",
};

/* The same words to the HTML and, when plain is not NULL, to the text/plain
 * alternative, as a sender's template engine would write them. */
static void
prose2(struct buf *h, struct buf *plain, size_t bytes)
{
	size_t start = h->len;

	while (h->len - start < bytes) {
		const char *w = words_html[rng() % (sizeof(words_html) / sizeof(words_html[0]))];
		unsigned long r = rng() % 40;

		buf_puts(h, w);
		if (plain != NULL)
			buf_puts(plain, w);
		if (r == 0) {
			buf_puts(h, "&nbsp;");
		} else if (r == 1) {
			buf_puts(h, " <strong>");
			buf_puts(h, w);
			buf_puts(h, "</strong> ");
		} else if (r == 2) {
			buf_puts(h, " &amp; ");
		} else {
			buf_putc(h, ' ');
		}
		if (plain != NULL)
			buf_putc(plain, r == 3 ? '\n' : ' ');
	}
}

static const char html_head[] =
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" "
    "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:v=\"urn:schemas-microsoft-com:vml\">"
    "<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">"
    "<meta name=\"x-apple-disable-message-reformatting\"><title>Newsletter</title>\n"
    "<!--[if mso]><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch>"
    "</o:OfficeDocumentSettings></xml><![endif]-->\n<style type=\"text/css\">\n"
    "body{margin:0;padding:0;-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%}\n"
    "table,td{border-collapse:collapse;mso-table-lspace:0pt;mso-table-rspace:0pt}\n"
    "img{border:0;height:auto;line-height:100%;outline:none;text-decoration:none;"
    "-ms-interpolation-mode:bicubic}\n"
    "p{display:block;margin:13px 0}\n"
    "a[x-apple-data-detectors]{color:inherit!important;text-decoration:none!important;"
    "font-size:inherit!important;font-family:inherit!important}\n"
    "#MessageViewBody a{color:inherit;text-decoration:none}\n"
    "u + #body a{color:inherit;text-decoration:none}\n"
    ".ExternalClass{width:100%}\n"
    ".ExternalClass,.ExternalClass p,.ExternalClass span,.ExternalClass td,"
    ".ExternalClass div{line-height:100%}\n"
    ".preheader{display:none!important;visibility:hidden;opacity:0;color:transparent;"
    "height:0;width:0;max-height:0;overflow:hidden;mso-hide:all}\n"
    ".wrapper{width:100%;background-color:#f4f4f4}\n"
    ".container{width:600px;max-width:600px;margin:0 auto;background:#ffffff}\n"
    ".header{padding:24px 32px;background-color:#1a1a2e}\n"
    ".logo img{display:block;width:140px}\n"
    ".hero h1{font-family:Georgia,serif;font-size:32px;line-height:40px;color:#1a1a2e;"
    "margin:0}\n"
    ".card{padding:16px 32px;border-bottom:1px solid #eeeeee}\n"
    ".card h2{font-size:20px;line-height:28px;margin:0 0 8px 0;color:#222222}\n"
    ".card p{font-size:15px;line-height:22px;color:#555555}\n"
    ".price{font-weight:bold;color:#c0392b}\n"
    ".btn a{display:inline-block;padding:12px 24px;border-radius:4px;background:#e94560;"
    "color:#ffffff!important;text-decoration:none;font-weight:bold}\n"
    ".col{display:inline-block;vertical-align:top;width:50%}\n"
    ".footer{padding:24px 32px;font-size:12px;line-height:18px;color:#999999}\n"
    ".footer a{color:#999999;text-decoration:underline}\n"
    ".social img{width:24px;height:24px}\n"
    ".muted{color:#777777}\n"
    ".spacer{font-size:0;line-height:0;height:16px}\n"
    ".hide-desktop{display:none;max-height:0;overflow:hidden}\n"
    "@media only screen and (max-width:620px){\n"
    " .container{width:100%!important}\n"
    " .col{display:block!important;width:100%!important}\n"
    " .hide-mobile{display:none!important}\n"
    " .hide-desktop{display:block!important;max-height:none!important}\n"
    " .card{padding:12px 16px!important}\n"
    " .hero h1{font-size:26px!important;line-height:32px!important}\n"
    "}\n"
    "@media (prefers-color-scheme:dark){\n"
    " .container{background:#1e1e1e!important}\n"
    " .card p{color:#dddddd!important}\n"
    "}\n"
    "</style></head>\n";

static void
html_card(struct buf *h, struct buf *plain, unsigned long id)
{
	buf_appendf(h,
	            "<tr><td class=\"card\" style=\"padding:16px 32px;font-family:Helvetica,Arial,"
	            "sans-serif;\"><table role=\"presentation\" width=\"100%%\" cellpadding=\"0\" "
	            "cellspacing=\"0\" border=\"0\"><tr><td class=\"col\" width=\"50%%\" "
	            "valign=\"top\"><a href=\"https://click.news.shop.example.com/ls/click?upn="
	            "u001.%lx-2FqZ&amp;id=%lu\" target=\"_blank\"><img src=\"https://img.shop."
	            "example.com/p/%lu.jpg\" width=\"260\" height=\"180\" alt=\"Product %lu\" "
	            "style=\"display:block;width:260px;max-width:100%%;height:auto;border:0\"></a>"
	            "</td><td class=\"col\" width=\"50%%\" valign=\"top\" style=\"padding-left:"
	            "16px\"><h2 style=\"font-size:20px;line-height:28px;margin:0 0 8px 0;color:"
	            "#222222\">",
	            rng(), id, id, id);
	prose2(h, plain, 30 + rng() % 40);
	buf_puts(h, "</h2><p style=\"margin:0 0 12px 0;font-size:15px;line-height:22px;color:"
	            "#555555\">");
	prose2(h, plain, 200 + rng() % 500);
	buf_appendf(h,
	            "</p><p class=\"price\" style=\"font-weight:bold;color:#c0392b\">%lu.%02lu "
	            "EUR <span style=\"text-decoration:line-through;color:#999999\">%lu.00 EUR"
	            "</span></p><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" "
	            "border=\"0\" class=\"btn\"><tr><td align=\"center\" bgcolor=\"#e94560\" "
	            "style=\"border-radius:4px;\"><a href=\"https://click.news.shop.example.com/"
	            "ls/click?upn=u001.%lx&amp;cta=%lu\" style=\"display:inline-block;padding:12px"
	            " 24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;color:#ffffff;"
	            "text-decoration:none;font-weight:bold\">Shop now</a></td></tr></table>"
	            "</td></tr></table></td></tr>\n",
	            id % 200, id % 100, id % 200 + 20, rng(), id);
	if (plain != NULL)
		buf_appendf(plain, "\nShop now: https://click.news.shop.example.com/ls/click?cta=%lu\n\n",
		            id);
}

static void
html_newsletter(struct buf *h, struct buf *plain, size_t target)
{
	size_t start = h->len;
	unsigned long id = rng() % 100000;

	buf_puts(h, html_head);
	buf_puts(h, "<body id=\"body\" style=\"margin:0;padding:0;background-color:#f4f4f4\">"
	            "<div class=\"preheader\" style=\"display:none;max-height:0;overflow:hidden;"
	            "mso-hide:all\">");
	prose2(h, NULL, 90);
	buf_puts(h, "&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;</div>\n"
	            "<center class=\"wrapper\"><table role=\"presentation\" class=\"container\" "
	            "width=\"600\" align=\"center\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\""
	            " style=\"width:600px;background:#ffffff\"><tr><td class=\"header\" style=\""
	            "padding:24px 32px;background-color:#1a1a2e\"><a class=\"logo\" href=\"https:"
	            "//www.shop.example.com/?utm_source=newsletter\"><img src=\"https://img.shop."
	            "example.com/logo.png\" width=\"140\" alt=\"Shop\" style=\"display:block\"></a>"
	            "</td></tr>\n<tr><td class=\"hero\" style=\"padding:32px\"><h1 style=\"font-"
	            "family:Georgia,serif;font-size:32px;line-height:40px;color:#1a1a2e;margin:0\">");
	prose2(h, plain, 40);
	buf_puts(h, "</h1><p style=\"font-size:16px;line-height:24px;color:#333333\">");
	prose2(h, plain, 400);
	buf_puts(h, "</p><div class=\"hide-desktop\" style=\"display:none;max-height:0;"
	            "overflow:hidden\">Open in the app</div></td></tr>\n");
	while (h->len - start + 1500 < target)
		html_card(h, plain, id++);
	buf_puts(h, "<tr><td class=\"footer\" style=\"padding:24px 32px;font-size:12px;line-"
	            "height:18px;color:#999999;font-family:Helvetica,Arial,sans-serif\"><p>You "
	            "receive this email because you signed up at shop.example.com. <a href=\""
	            "https://www.shop.example.com/unsubscribe?u=abc123\" style=\"color:#999999\">"
	            "Unsubscribe</a> | <a href=\"https://www.shop.example.com/preferences\">"
	            "Preferences</a> | <a href=\"https://www.shop.example.com/privacy\">Privacy"
	            "</a></p><p class=\"social\"><a href=\"https://social.example.com/shop\"><img "
	            "src=\"https://img.shop.example.com/fb.png\" alt=\"Facebook\" width=\"24\">"
	            "</a> <a href=\"https://social.example.org/shop\"><img src=\"https://img.shop."
	            "example.com/ig.png\" alt=\"Instagram\" width=\"24\"></a></p><p>Shop GmbH, "
	            "Musterstra&szlig;e 1, 10115 Berlin &copy; 2026</p></td></tr></table></center>"
	            "<img src=\"https://open.shop.example.com/o.gif?u=abc123\" width=\"1\" height="
	            "\"1\" alt=\"\" style=\"display:block;border:0\"></body></html>\n");
	if (plain != NULL)
		buf_puts(plain, "\nUnsubscribe: https://www.shop.example.com/unsubscribe?u=abc123\n");
}

/* A notification (issue tracker, bank, delivery): little CSS, inline styles,
 * a quoted thread in nested blockquotes. */
static void
html_notification(struct buf *h, struct buf *plain, size_t target)
{
	size_t start = h->len;
	int depth = 0;

	buf_puts(h, "<html><head><meta charset=\"utf-8\"><style>a{color:#0366d6}"
	            ".quote{border-left:2px solid #ccc;padding-left:8px;color:#666}"
	            ".meta{font-size:12px;color:#6a737d}</style></head><body><div style=\"font-"
	            "family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;"
	            "line-height:1.5;color:#24292e\">\n<p>");
	prose2(h, plain, 300);
	buf_puts(h, "</p>\n");
	while (h->len - start + 600 < target) {
		if (depth < 6 && rng() % 3 == 0) {
			buf_puts(h, "<blockquote class=\"quote\" style=\"margin:0 0 0 .8ex;border-left:"
			            "1px #ccc solid;padding-left:1ex\"><p class=\"meta\">On Mon, 2 Mar "
			            "2026 at 10:00, someone wrote:</p>\n");
			depth++;
		}
		buf_puts(h, "<p>");
		prose2(h, plain, 150 + rng() % 600);
		buf_appendf(h, " <a href=\"https://tracker.example.com/org/repo/issues/%lu\">#%lu</a>"
		               "<br>\n", rng() % 9999, rng() % 9999);
		buf_puts(h, "</p>\n<ul><li>");
		prose2(h, plain, 60);
		buf_puts(h, "</li><li><code>");
		prose2(h, plain, 30);
		buf_puts(h, "</code></li></ul>\n");
	}
	while (depth-- > 0)
		buf_puts(h, "</blockquote>");
	buf_puts(h, "<p class=\"meta\">&mdash;<br>Reply to this email directly, <a href=\"https:"
	            "//tracker.example.com/org/repo/issues/1#comment\">view it</a>, or <a href=\""
	            "https://tracker.example.com/notifications/unsubscribe\">unsubscribe</a>.</p>"
	            "<img src=\"https://tracker.example.com/notifications/beacon/x.gif\" height=\"1\""
	            " width=\"1\" alt=\"\"></div></body></html>\n");
}

/* Quoted-printable (RFC 2045 6.7) with soft breaks before column 76. */
static void
qp_encode(struct buf *b, struct slice s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0, i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '\n') {
			buf_putc(b, '\n');
			col = 0;
			continue;
		}
		if (col >= 72) {
			buf_puts(b, "=\n");
			col = 0;
		}
		if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t')) {
			buf_putc(b, '=');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
			col += 3;
		} else {
			buf_putc(b, (char)c);
			col++;
		}
	}
	buf_putc(b, '\n');
}

#define HC_MAX 4096

struct hcorpus {
	struct buf msgs; /* raw messages, back to back */
	struct buf html; /* the HTML of each, as the renderer gets it */
	size_t moff[HC_MAX + 1];
	size_t hoff[HC_MAX + 1];
	size_t n;
	size_t skipped; /* --dir: files msg_sanitize refuses (limits), not measured */
};

static void
hc_add_html_msg(struct hcorpus *c, struct slice html, struct slice plain, bool qp)
{
	struct buf *b = &c->msgs;

	c->moff[c->n] = b->len;
	c->hoff[c->n] = c->html.len;
	buf_append(&c->html, html.p, html.len);
	buf_appendf(b,
	            "From: Shop <news@news.shop.example.com>\nTo: sam@example.net\n"
	            "Subject: =?utf-8?Q?Our_spring_collection_=E2=80=94_up_to_40=25_off?=\n"
	            "Date: Tue, 3 Mar 2026 10:00:00 +0100\nMessage-ID: <n%zu@news.shop.example.com>\n"
	            "List-Unsubscribe: <https://www.shop.example.com/unsubscribe?u=abc123>\n"
	            "MIME-Version: 1.0\n",
	            c->n);
	if (plain.len > 0) {
		buf_puts(b, "Content-Type: multipart/alternative; boundary=\"=_alt_7f3a\"\n\n"
		            "--=_alt_7f3a\nContent-Type: text/plain; charset=utf-8\n"
		            "Content-Transfer-Encoding: quoted-printable\n\n");
		qp_encode(b, plain);
		buf_puts(b, "--=_alt_7f3a\n");
	}
	buf_puts(b, "Content-Type: text/html; charset=utf-8\n");
	if (qp) {
		buf_puts(b, "Content-Transfer-Encoding: quoted-printable\n\n");
		qp_encode(b, html);
	} else {
		buf_puts(b, "Content-Transfer-Encoding: 8bit\n\n");
		buf_append(b, html.p, html.len);
		buf_putc(b, '\n');
	}
	if (plain.len > 0)
		buf_puts(b, "--=_alt_7f3a--\n");
	c->n++;
	c->moff[c->n] = b->len;
	c->hoff[c->n] = c->html.len;
}

static void
hcorpus_gen(struct hcorpus *c, size_t target)
{
	struct buf h, plain;

	buf_init(&h, CORPUS_MAX);
	buf_init(&plain, CORPUS_MAX);
	while (c->html.len < target && c->n < HC_MAX) {
		/* Log-uniform 5-200 KB: most mail is small, the bytes are in the big. */
		double f = (double)(rng() % 10000) / 10000.0;
		size_t size = (size_t)(5000.0 * __builtin_exp(f * __builtin_log(40.0)));
		unsigned long k = rng() % 10;

		buf_reset(&h);
		buf_reset(&plain);
		if (k < 7)
			html_newsletter(&h, &plain, size);
		else
			html_notification(&h, &plain, size);
		hc_add_html_msg(c, buf_slice(&h), k % 4 == 3 ? (struct slice){NULL, 0} : buf_slice(&plain),
		                k % 2 == 0);
	}
	buf_free(&h);
	buf_free(&plain);
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether msg_sanitize accepts the file (an .html one wrapped in a message). */
static bool
sanitizes(struct slice f, bool html)
{
	struct buf b;
	struct json_object *out = NULL;
	const char *err = NULL;
	bool ok;

	buf_init(&b, CORPUS_MAX);
	if (html) {
		buf_puts(&b, "From: a@example.com\nSubject: x\nMIME-Version: 1.0\n"
		             "Content-Type: text/html; charset=utf-8\n\n");
	}
	buf_append(&b, f.p, f.len);
	ok = buf_err(&b) == IG_OK && msg_sanitize(buf_slice(&b), NULL, &out, NULL, &err) == IG_OK;
	json_object_put(out);
	buf_free(&b);
	return ok;
}

/* .eml: sanitized as is, the renderer gets the HTML mime_parse finds in it;
 * .html: rendered as is, sanitized wrapped in a single-part text/html message. */
static int
hcorpus_dir(struct hcorpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nn = 0, i;
	struct buf file;

	if (d == NULL) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char **nv;

		if (!has_suffix(e->d_name, ".eml") && !has_suffix(e->d_name, ".html"))
			continue;
		nv = realloc(names, (nn + 1) * sizeof(*names));
		if (nv == NULL)
			break;
		names = nv;
		names[nn] = strdup(e->d_name);
		if (names[nn] == NULL)
			break;
		nn++;
	}
	closedir(d);
	if (names == NULL)
		return 1;
	qsort(names, nn, sizeof(*names), name_cmp);
	buf_init(&file, LIM_MIME_MESSAGE);
	for (i = 0; i < nn && c->n < HC_MAX; i++) {
		char path[4096];
		FILE *f;
		char tmp[65536];
		size_t r;

		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		buf_reset(&file);
		while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0)
			buf_append(&file, tmp, r);
		(void)fclose(f);
		if (buf_err(&file) != IG_OK || !sanitizes(buf_slice(&file), has_suffix(names[i], ".html"))) {
			c->skipped++;
			continue;
		}
		if (has_suffix(names[i], ".html")) {
			hc_add_html_msg(c, buf_slice(&file), (struct slice){NULL, 0}, false);
		} else {
			struct mime_msg m;
			struct warn_list w;
			const char *err = NULL;

			memset(&m, 0, sizeof(m));
			warn_list_init(&w);
			c->moff[c->n] = c->msgs.len;
			c->hoff[c->n] = c->html.len;
			buf_append(&c->msgs, file.p, file.len);
			if (mime_parse(buf_slice(&file), &m, &w, &err) == IG_OK && m.n_html > 0)
				buf_append(&c->html, m.text_html.p, m.text_html.len);
			mime_msg_free(&m);
			warn_list_free(&w);
			c->n++;
			c->moff[c->n] = c->msgs.len;
			c->hoff[c->n] = c->html.len;
		}
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	buf_free(&file);
	return c->n > 0 ? 0 : 1;
}

struct pass {
	size_t bytes, runs, refused;
	double cpu;
};

static void
pass_html(const struct hcorpus *c, double seconds, bool once, struct pass *r)
{
	struct buf out;
	double t0 = cpu_now(), t1;
	size_t i;

	buf_init(&out, LIM_MIME_TEXT_TOTAL);
	memset(r, 0, sizeof(*r));
	do {
		for (i = 0; i < c->n; i++) {
			struct slice h = {c->html.p + c->hoff[i], c->hoff[i + 1] - c->hoff[i]};
			struct html_stats st;

			if (h.len == 0)
				continue;
			buf_reset(&out);
			if (html_to_text(h, &out, NULL, &st) != IG_OK)
				r->refused++;
			r->bytes += h.len;
			r->runs++;
		}
		t1 = cpu_now();
	} while (!once && t1 - t0 < seconds);
	r->cpu = t1 - t0;
	buf_free(&out);
}

static void
pass_msg(const struct hcorpus *c, const struct content_opts *co, double seconds, bool once,
         struct pass *r)
{
	double t0 = cpu_now(), t1;
	size_t i;

	memset(r, 0, sizeof(*r));
	do {
		for (i = 0; i < c->n; i++) {
			struct slice m = {c->msgs.p + c->moff[i], c->moff[i + 1] - c->moff[i]};
			struct json_object *out = NULL;
			const char *err = NULL;

			if (msg_sanitize(m, co, &out, NULL, &err) != IG_OK)
				r->refused++;
			json_object_put(out);
			r->bytes += m.len;
			r->runs++;
		}
		t1 = cpu_now();
	} while (!once && t1 - t0 < seconds);
	r->cpu = t1 - t0;
}

static double
mbps(const struct pass *r)
{
	return r->cpu > 0 ? (double)r->bytes / 1e6 / r->cpu : 0;
}

/* Writes the corpus as DIR/hNNNN.eml, to look at or to feed to imapgate sanitize. */
static int
hcorpus_dump(const struct hcorpus *c, const char *dir)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		char path[4096];
		FILE *f;
		size_t len = c->moff[i + 1] - c->moff[i];

		(void)snprintf(path, sizeof(path), "%s/h%04zu.eml", dir, i);
		f = fopen(path, "wb");
		if (f == NULL) {
			perror(path);
			return 1;
		}
		if (fwrite(c->msgs.p + c->moff[i], 1, len, f) != len) {
			(void)fclose(f);
			return 1;
		}
		if (fclose(f) != 0)
			return 1;
	}
	return 0;
}

static int
run_html(const char *dir, double seconds, bool once, const char *which, const char *dump,
         bool include_html)
{
	struct content_opts co = {include_html, NULL, 0};
	struct hcorpus *c = calloc(1, sizeof(*c));
	struct pass ph, pm;
	int rc = 0;

	if (c == NULL)
		return 1;
	buf_init(&c->msgs, CORPUS_MAX);
	buf_init(&c->html, CORPUS_MAX);
	if (dir != NULL)
		rc = hcorpus_dir(c, dir);
	else
		hcorpus_gen(c, 8 * MIB);
	if (rc != 0 || buf_err(&c->msgs) != IG_OK || buf_err(&c->html) != IG_OK) {
		(void)fputs("content_bench: no corpus\n", stderr);
		rc = 1;
		goto out;
	}
	if (dump != NULL) {
		rc = hcorpus_dump(c, dump);
		goto out;
	}
	memset(&ph, 0, sizeof(ph));
	memset(&pm, 0, sizeof(pm));
	if (strcmp(which, "msg") != 0)
		pass_html(c, seconds, once, &ph);
	if (strcmp(which, "html") != 0)
		pass_msg(c, &co, seconds, once, &pm);
	printf("{\"bench\":\"content_html\",\"corpus\":\"%s\",\"include_html\":%s,"
	       "\"corpus_messages\":%zu,\"corpus_skipped_refused\":%zu,"
	       "\"corpus_msg_bytes\":%zu,\"corpus_html_bytes\":%zu,"
	       "\"html_to_text\":{\"runs\":%zu,\"bytes\":%zu,\"cpu_seconds\":%.3f,"
	       "\"mb_per_s_per_core\":%.1f,\"refused\":%zu},"
	       "\"msg_sanitize\":{\"runs\":%zu,\"bytes\":%zu,\"cpu_seconds\":%.3f,"
	       "\"mb_per_s_per_core\":%.1f,\"refused\":%zu}}\n",
	       dir != NULL ? dir : "generated", include_html ? "true" : "false", c->n,
	       c->skipped, c->msgs.len, c->html.len, ph.runs, ph.bytes,
	       ph.cpu, mbps(&ph), ph.refused, pm.runs, pm.bytes, pm.cpu, mbps(&pm), pm.refused);
	rc = ph.refused == 0 && pm.refused == 0 ? 0 : 1;
out:
	buf_free(&c->msgs);
	buf_free(&c->html);
	free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	double seconds = 5;
	const char *dir = NULL, *which = "both", *dump = NULL;
	bool big = false, html = false, once = false, include_html = false;
	int rc, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--big") == 0) {
			big = true;
		} else if (strcmp(argv[i], "--html") == 0) {
			html = true;
		} else if (strcmp(argv[i], "--include-html") == 0) {
			include_html = true;
		} else if (strcmp(argv[i], "--once") == 0) {
			once = true;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
			dump = argv[++i];
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			which = argv[++i];
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
			if (!(seconds > 0))
				seconds = 5;
		} else {
			(void)fputs("usage: content_bench [--seconds S] | --big |\n"
			            "       content_bench (--html | --dir DIR) [--seconds S] [--once]"
			            " [--only html|msg]\n"
			            "       [--include-html] [--dump DIR]\n",
			            stderr);
			return 2;
		}
	}
	content_init();
	if (big)
		rc = run_big();
	else if (html || dir != NULL)
		rc = run_html(dir, seconds, once, which, dump, include_html);
	else
		rc = run_throughput(seconds);
	content_shutdown();
	return rc;
}
