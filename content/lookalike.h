#ifndef IG_CONTENT_LOOKALIKE_H
#define IG_CONTENT_LOOKALIKE_H

#include <stdbool.h>
#include <stddef.h>

struct warn_list;

/* Look-alike detection (DESIGN §5 step 7): these functions only add
 * warnings, they never rewrite. Inputs are NUL-terminated UTF-8 as decoded
 * from the message (RFC 2047 / IDNA A-labels as they came), *before* Unicode
 * sanitizing, so invisible and bidi characters are still there to be seen.
 * Any byte sequence is accepted; each input is examined up to
 * LIM_LOOK_INPUT bytes. Warning details carry only ASCII (A-label) forms.
 * The ICU spoof checker and UTS #46 processor are opened once per process,
 * on first use, and shared read-only by all threads (ICU documents their
 * check functions as thread-safe). */

#define LIM_LOOK_INPUT 1024 /* bytes of a domain, display name or filename examined */
#define LIM_LOOK_DOMAINS 64 /* distinct domains compared pairwise per message */

/* The Public Suffix List (libpsl) decides every "registrable domain" of the
 * look-alike checks and of the HTML link checks. look_init loads it once —
 * psl_latest(NULL): the newer of the publicsuffix package's
 * /usr/share/publicsuffix/public_suffix_list.dafsa and the list compiled into
 * libpsl — and is called by content_init() in main before any thread; the
 * handle is then only read. When look_init has not run (unit tests that skip
 * content_init) or the load failed, psl_builtin() is used (compiled-in data:
 * no I/O). So no message ever causes I/O. look_shutdown frees the handle, after
 * every thread is joined (content_shutdown). Calls are counted as GMime's are:
 * only the first look_init loads, only the matching last look_shutdown frees. */
void look_init(void);
void look_shutdown(void);
/* "file" (the publicsuffix package's list), "builtin" (libpsl's own) or
 * "none" (no list: the last two labels are the registrable part). Static. */
const char *look_psl_source(void);

/* Writes the registrable domain of domain[0..len) (any bytes; at most
 * LIM_LOOK_INPUT) into out as lowercase ASCII (A-labels): UTS #46 mapping
 * first (case, fullwidth forms, U-label vs A-label, the IDNA dots), then the
 * Public Suffix List, ICANN and private sections (www.bbc.co.uk -> bbc.co.uk,
 * a.github.io -> a.github.io). A public suffix itself and an IP address are
 * their own registrable part. Returns false (out unspecified) when the domain
 * cannot be analysed or its registrable part does not fit in cap bytes. */
bool look_registrable(const char *domain, size_t len, char *out, size_t cap);

/* Is label[0..len) a top-level domain of the Public Suffix List's ICANN
 * section ("com", "uk", "рф", "xn--p1ai"; ASCII case ignored)? Not for
 * "*"-rule guesses: an unknown word is no TLD. */
bool look_is_tld(const char *label, size_t len);

/* Checks one domain (of an address, a link, a Message-ID...):
 *   lookalike_homograph_domain   bidi, invisible, control or ill-formed characters in it;
 *   lookalike_mixed_script       a label fails UTS #39 "highly restrictive" (Latin+Cyrillic,
 *                                Latin+Greek, mixed digit systems...);
 *   lookalike_idn_punycode       an xn-- A-label is present (informational: the agent sees an
 *                                opaque form), or a non-ASCII domain is also suspicious
 *                                (mixed script, confusable); a clean Unicode IDN such as
 *                                例え.jp or münchen.de alone yields nothing;
 *   lookalike_confusable_domain  its confusable skeleton (or that of its registrable part)
 *                                equals one of known[]'s but the domain differs, or the
 *                                domain is non-ASCII yet its skeleton is all ASCII (it
 *                                imitates some ASCII domain: аррӏе.com).
 * known (trusted, from configuration) may be NULL when n_known is 0. */
void look_domain(const char *domain, const char *const *known, size_t n_known, const char *location,
                 struct warn_list *w);

/* lookalike_confusable_domain (location "message") for each pair of distinct
 * domains of one message whose registrable parts share a skeleton
 * (paypal.com next to pаypal.com). Looks at the first LIM_LOOK_DOMAINS. */
void look_domains_cross(const char *const *domains, size_t n, struct warn_list *w);

/* lookalike_display_name_spoof when the display name carries an address or a
 * domain-like token ("support@paypal.com", "PayPal.com") whose registrable
 * domain differs from address's. */
void look_display_name(const char *display_name, const char *address, const char *location,
                       struct warn_list *w);

/* lookalike_reply_to_mismatch (location "header.reply_to") when the
 * registrable domains of the two addresses differ (see look_registrable). */
void look_reply_to(const char *from_addr, const char *reply_to_addr, struct warn_list *w);

/* lookalike_filename_extension_spoof when the name holds bidi controls, or
 * ends in an executable extension behind a document-like one
 * ("invoice.pdf.exe", "photo.jpg   .scr"); parse_mime_type_mismatch when
 * declared_type and sniffed_type (either may be NULL: unknown) belong to
 * different families (image vs executable, text vs PDF...); aliases and ZIP
 * containers (OOXML, ODF, JAR) are not a mismatch, nor is a generic
 * application/octet-stream on either side. */
void look_filename(const char *raw_name_utf8, const char *declared_type, const char *sniffed_type,
                   const char *location, struct warn_list *w);

#endif
