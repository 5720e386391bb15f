/* Guards of the mutating tools (handlers/policy.h): folder-name and keyword
 * rules (RFC 3501 §5.1 mailbox naming, §9 atom / flag-keyword), protected
 * folders (DESIGN §8, RFC 6154 special use) and the expunge allow-list. */
#include "handlers/policy.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "base/slice.h"
#include "base/utf8.h"
#include "imap/cmd.h"
#include "server/config.h"

const char *
policy_folder_name_check(const char *name)
{
	size_t len = strlen(name);
	size_t i = 0;

	if (len == 0)
		return "folder name is empty";
	if (len > LIM_FOLDER_ARG)
		return "folder name is too long";
	if (!u8_valid(name, len))
		return "folder name is not valid UTF-8";
	if (name[0] == '#')
		return "folder name must not start with '#' (namespace prefix)";
	while (i < len) {
		unsigned char c = (unsigned char)name[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		uint32_t cp = n == 1 ? c : (uint32_t)(c & (0x7f >> n));
		size_t k;

		for (k = 1; k < n; k++)
			cp = (cp << 6) | ((unsigned char)name[i + k] & 0x3f);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return "folder name contains a control character";
		if (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c)
			return "folder name contains a bidirectional formatting character";
		if (cp == '*' || cp == '%')
			return "folder name contains a LIST wildcard ('*' or '%')";
		if (cp == '\\')
			return "folder name contains '\\'";
		i += n;
	}
	return NULL;
}

const char *
policy_folder_path_check(const char *name, char delim)
{
	const char *p = name;

	if (delim == 0)
		return NULL;
	for (;;) {
		const char *e = strchr(p, delim);
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n == 0)
			return "folder name has an empty level (leading, trailing or doubled "
			       "hierarchy delimiter)";
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "folder name has a '.' or '..' level";
		if (e == NULL)
			return NULL;
		p = e + 1;
	}
}

const char *
policy_keyword_check(const char *kw)
{
	size_t len = strlen(kw);
	size_t i;

	if (len == 0)
		return "label is empty";
	if (len > LIM_LABEL)
		return "label is too long";
	if (kw[0] == '\\')
		return "system flags cannot be set as labels";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)kw[i];

		/* RFC 3501 atom-char: any CHAR except atom-specials */
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return "label may contain only printable ASCII atom characters (no space, "
			       "( ) { % * \" \\ ])";
	}
	return NULL;
}

bool
policy_folder_same(const char *a, const char *b)
{
	if (strcasecmp(a, "INBOX") == 0)
		return strcasecmp(b, "INBOX") == 0;
	return strcmp(a, b) == 0;
}

/* Calls fn on each trimmed, non-empty item of a comma list; stops when fn
 * returns true and returns true then. */
static bool
csv_any(const char *csv, bool (*fn)(struct slice item, const void *ctx), const void *ctx)
{
	const char *p = csv;
	size_t count = 0;

	if (csv == NULL)
		return false;
	while (*p != '\0' && count < LIM_PROTECTED_FOLDERS) {
		const char *e = strchr(p, ',');
		struct slice it = {p, e != NULL ? (size_t)(e - p) : strlen(p)};

		it = sl_trim_ows(it);
		if (it.len > 0 && fn(it, ctx))
			return true;
		count++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

static bool
ci_eq(struct slice a, const char *b)
{
	return a.len == strlen(b) && strncasecmp(a.p, b, a.len) == 0;
}

static bool
csv_exact(struct slice item, const void *ctx)
{
	const char *name = ctx;

	if (ci_eq(item, "INBOX"))
		return strcasecmp(name, "INBOX") == 0;
	return sl_eq_cstr(item, name);
}

bool
policy_expunge_allowed(const struct cfg_account *a, const char *folder)
{
	return a != NULL && csv_any(a->expunge_folders, csv_exact, folder);
}

static bool
special_protected(const struct imap_folder *f)
{
	size_t i;

	for (i = 0; i < f->n_attrs; i++) {
		if (strcasecmp(f->attrs[i], "\\Sent") == 0 ||
		    strcasecmp(f->attrs[i], "\\Drafts") == 0 ||
		    strcasecmp(f->attrs[i], "\\Trash") == 0)
			return true;
	}
	return false;
}

/* The relation of a name to one protected name P. */
struct rel_ctx {
	const char *name;
	char delim;
	bool ancestor; /* also: name is an ancestor of P */
	bool inside;   /* also: name lies inside P */
};

static bool
rel_match(struct slice p, const void *vctx)
{
	const struct rel_ctx *x = vctx;
	size_t nl = strlen(x->name);

	if (p.len == nl && strncasecmp(p.p, x->name, nl) == 0)
		return true;
	if (x->delim == 0)
		return false;
	/* P = name + delim + ... : deleting or renaming name takes P along */
	if (x->ancestor && p.len > nl + 1 && strncasecmp(p.p, x->name, nl) == 0 &&
	    p.p[nl] == x->delim)
		return true;
	/* name = P + delim + ... */
	if (x->inside && nl > p.len + 1 && strncasecmp(x->name, p.p, p.len) == 0 &&
	    x->name[p.len] == x->delim)
		return true;
	return false;
}

/* Whether name is (or, per x, is an ancestor of or lies inside) any
 * protected folder. */
static bool
protected_rel(const struct cfg_account *a, const struct imap_folder_list *l,
	      const struct rel_ctx *x)
{
	size_t i;

	if (rel_match(SL_LIT("INBOX"), x))
		return true;
	if (a != NULL && csv_any(a->protected_folders, rel_match, x))
		return true;
	for (i = 0; l != NULL && i < l->n; i++) {
		if (special_protected(&l->f[i]) && rel_match(sl_from_cstr(l->f[i].name), x))
			return true;
	}
	return false;
}

bool
policy_folder_protected(const struct cfg_account *a, const struct imap_folder_list *l,
			const char *name)
{
	struct rel_ctx x = {name, 0, false, false};

	return protected_rel(a, l, &x);
}

const char *
policy_delete_check(const struct cfg_account *a, const struct imap_folder_list *l, char delim,
		    const char *name)
{
	struct rel_ctx x = {name, delim, false, false};

	if (protected_rel(a, l, &x))
		return "this folder is protected (INBOX, Sent, Drafts, Trash or configured)";
	x.ancestor = true;
	if (protected_rel(a, l, &x))
		return "this folder contains a protected folder";
	return NULL;
}

const char *
policy_rename_check(const struct cfg_account *a, const struct imap_folder_list *l, char delim,
		    const char *from, const char *to)
{
	struct rel_ctx x = {from, delim, false, false};

	if (protected_rel(a, l, &x))
		return "this folder is protected (INBOX, Sent, Drafts, Trash or configured)";
	x.ancestor = true;
	if (protected_rel(a, l, &x))
		return "this folder contains a protected folder";
	x = (struct rel_ctx){to, delim, false, true};
	if (protected_rel(a, l, &x))
		return "the new name is, or lies inside, a protected folder";
	return NULL;
}
