/* Type sniffing: the content type an attachment's magic number says, and
 * whether it disagrees with the declared type in a way worth a warning. */
#include "content/mime.h"

#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "content/mime_int.h"

const char *
mime_sniff(const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (p == NULL)
		return NULL;
	if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
	if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) {
		size_t n = len < LIM_MIME_SNIFF ? len : LIM_MIME_SNIFF;

		/* OOXML: the first entries name the document's part folder. */
		if (memmem(p, n, "word/", 5) != NULL)
			return "application/vnd.openxmlformats-officedocument."
			       "wordprocessingml.document";
		if (memmem(p, n, "xl/", 3) != NULL)
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
		if (memmem(p, n, "ppt/", 4) != NULL)
			return "application/vnd.openxmlformats-officedocument."
			       "presentationml.presentation";
		return "application/zip";
	}
	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	if (len >= 2 && p[0] == 'M' && p[1] == 'Z')
		return "application/vnd.microsoft.portable-executable";
	if (len >= 4 && memcmp(p,
	                       "\x7f"
	                       "ELF",
	                       4) == 0)
		return "application/x-elf";
	if (len >= 4 &&
	    (memcmp(p, "\xfe\xed\xfa\xce", 4) == 0 || memcmp(p, "\xfe\xed\xfa\xcf", 4) == 0 ||
	     memcmp(p, "\xce\xfa\xed\xfe", 4) == 0 || memcmp(p, "\xcf\xfa\xed\xfe", 4) == 0))
		return "application/x-mach-binary";
	if (len >= 6 && memcmp(p, "Rar!\x1a\x07", 6) == 0)
		return "application/vnd.rar";
	if (len >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
		return "application/x-7z-compressed";
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "application/gzip";
	if (len >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return "application/x-ole-storage";
	if (len >= 2 && p[0] == '#' && p[1] == '!')
		return "text/x-shellscript";
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && i < 512 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (ci_prefix((const char *)p + i, len - i, "<!doctype html") ||
	    ci_prefix((const char *)p + i, len - i, "<html") ||
	    ci_prefix((const char *)p + i, len - i, "<head") ||
	    ci_prefix((const char *)p + i, len - i, "<body") ||
	    ci_prefix((const char *)p + i, len - i, "<script") ||
	    ci_prefix((const char *)p + i, len - i, "<iframe"))
		return "text/html";
	return NULL;
}

/* Groups of types that name the same kind of content. */
static const char *const type_alias[][2] = {
    {"image/jpg", "image/jpeg"},
    {"image/pjpeg", "image/jpeg"},
    {"application/x-pdf", "application/pdf"},
    {"application/x-zip-compressed", "application/zip"},
    {"application/x-zip", "application/zip"},
    {"application/x-gzip", "application/gzip"},
    {"application/gzip-compressed", "application/gzip"},
    {"application/x-rar-compressed", "application/vnd.rar"},
    {"application/x-rar", "application/vnd.rar"},
    {"application/x-msdownload", "application/vnd.microsoft.portable-executable"},
    {"application/x-msdos-program", "application/vnd.microsoft.portable-executable"},
    {"application/x-dosexec", "application/vnd.microsoft.portable-executable"},
    {"application/x-executable", "application/x-elf"},
    {"application/x-sh", "text/x-shellscript"},
    {"application/x-shellscript", "text/x-shellscript"},
    {"application/msword", "application/x-ole-storage"},
    {"application/vnd.ms-excel", "application/x-ole-storage"},
    {"application/vnd.ms-powerpoint", "application/x-ole-storage"},
    {"application/vnd.ms-outlook", "application/x-ole-storage"},
};

static const char *
type_canon(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(type_alias) / sizeof(type_alias[0]); i++) {
		if (strcasecmp(t, type_alias[i][0]) == 0)
			return type_alias[i][1];
	}
	return t;
}

bool
mime_type_mismatch(const char *declared, const char *sniffed)
{
	const char *d, *s;
	const char *ds, *ss;

	if (declared == NULL || sniffed == NULL)
		return false;
	d = type_canon(declared);
	s = type_canon(sniffed);
	/* Generic declarations promise nothing, so they cannot be contradicted;
	 * the filename rules judge those. */
	if (strcasecmp(d, "application/octet-stream") == 0 ||
	    strcasecmp(d, "application/unknown") == 0 ||
	    strcasecmp(d, "binary/octet-stream") == 0 ||
	    strcasecmp(d, "application/force-download") == 0 ||
	    strcasecmp(d, "application/x-download") == 0 ||
	    strcasecmp(d, "application/download") == 0)
		return false;
	if (strcasecmp(d, s) == 0)
		return false;
	/* OOXML and OpenDocument files are ZIP files. */
	if (strcmp(s, "application/zip") == 0 &&
	    (strncasecmp(d, "application/vnd.openxmlformats", 30) == 0 ||
	     strncasecmp(d, "application/vnd.oasis.opendocument", 34) == 0 ||
	     strncasecmp(d, "application/vnd.ms-", 19) == 0 ||
	     strcasecmp(d, "application/epub+zip") == 0 ||
	     strcasecmp(d, "application/java-archive") == 0))
		return false;
	if (strncmp(s, "application/vnd.openxmlformats", 30) == 0 &&
	    (strcasecmp(d, "application/zip") == 0 ||
	     strncasecmp(d, "application/vnd.openxmlformats", 30) == 0 ||
	     strncasecmp(d, "application/vnd.ms-", 19) == 0))
		return false;
	if (strcmp(s, "application/x-ole-storage") == 0 &&
	    strncasecmp(d, "application/vnd.ms-", 19) == 0)
		return false;
	ds = strchr(d, '/');
	ss = strchr(s, '/');
	/* One image format declared as another, or HTML in any text/ type, is
	 * a mislabel, not a disguise. */
	if (ds != NULL && ss != NULL && ds - d == ss - s &&
	    strncasecmp(d, s, (size_t)(ds - d)) == 0 &&
	    (strncmp(s, "image/", 6) == 0 || strncmp(s, "text/", 5) == 0))
		return false;
	return true;
}
