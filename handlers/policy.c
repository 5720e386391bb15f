/* Effective permissions and the guards of the mutating tools
 * (handlers/policy.h): folder-name and keyword rules (RFC 3501 §5.1 mailbox
 * naming, §9 atom / flag-keyword), protected folders (DESIGN §8, RFC 6154
 * special use) and the expunge allow-list. */
#include "handlers/policy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "handlers/tools.h"
#include "imap/cmd.h"
#include "store/state.h"

enum posture
pol_posture(enum posture account, enum posture cap)
{
	return account < cap ? account : cap;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Calls fn(name, len, ctx) for every non-empty entry among the first max
 * entries of a comma list, with surrounding blanks trimmed; stops when fn
 * returns true and returns true. */
static bool
list_each_n(const char *list, size_t max, bool (*fn)(const char *name, size_t len, void *ctx),
            void *ctx)
{
	const char *p = list;
	size_t count = 0;

	if (list == NULL)
		return false;
	while (*p != '\0' && count < max) {
		size_t len = strcspn(p, ",");
		const char *q = p;
		size_t l = len;

		while (l > 0 && is_space(*q)) {
			q++;
			l--;
		}
		while (l > 0 && is_space(q[l - 1]))
			l--;
		if (l > 0 && fn(q, l, ctx))
			return true;
		count++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return false;
}

static bool
list_each(const char *list, bool (*fn)(const char *name, size_t len, void *ctx), void *ctx)
{
	return list_each_n(list, SIZE_MAX, fn, ctx);
}

static bool
name_eq(const char *name, size_t len, void *ctx)
{
	const char *want = ctx;

	return strlen(want) == len && memcmp(want, name, len) == 0;
}

static bool
name_any(const char *name, size_t len, void *ctx)
{
	(void)name;
	(void)len;
	(void)ctx;
	return true;
}

bool
pol_list_has(const char *list, const char *name)
{
	return list_each(list, name_eq, (void *)name);
}

static bool
list_set(const char *list)
{
	return list_each(list, name_any, NULL);
}

/* Whether one override set leaves name. */
static bool
overrides_leave(const struct pol_overrides *o, const char *name)
{
	if (o == NULL)
		return true;
	if (pol_list_has(o->deny, name))
		return false;
	return !list_set(o->allow) || pol_list_has(o->allow, name);
}

bool
pol_tool_allowed(const struct tool_def *t, enum posture eff, const struct pol_overrides *tok,
                 const struct pol_overrides *acc)
{
	if (t->min_posture > eff)
		return false;
	return overrides_leave(tok, t->name) &&
	       (!t->account_scoped || overrides_leave(acc, t->name));
}

bool
pol_arg_is_subcap(const struct tool_arg_rule *r)
{
	return r->min_posture > POSTURE_READONLY;
}

bool
pol_arg_allowed(const struct tool_def *t, const struct tool_arg_rule *r, enum posture eff,
                const struct pol_overrides *tok, const struct pol_overrides *acc)
{
	char name[LIM_TOOL_NAME * 2 + 2];

	if (!pol_arg_is_subcap(r))
		return true;
	if (r->min_posture > eff)
		return false;
	if (snprintf(name, sizeof(name), "%s.%s", t->name, r->name) >= (int)sizeof(name))
		return false;
	return overrides_leave(tok, name) && (!t->account_scoped || overrides_leave(acc, name));
}

struct pol_overrides
pol_token_overrides(const struct token_info *tok)
{
	return (struct pol_overrides){tok->tools_allow, tok->tools_deny};
}

struct pol_overrides
pol_account_overrides(const struct cfg_account *a)
{
	return (struct pol_overrides){a->tools_allow, a->tools_deny};
}

bool
pol_permits(const struct tool_def *t, const struct cfg_account *a, const struct token_info *tok)
{
	struct pol_overrides to = pol_token_overrides(tok);
	struct pol_overrides ao;

	if (!t->account_scoped || a == NULL)
		return !t->account_scoped && pol_tool_allowed(t, tok->posture_cap, &to, NULL);
	ao = pol_account_overrides(a);
	return pol_tool_allowed(t, pol_posture(a->posture, tok->posture_cap), &to, &ao);
}

struct check_ctx {
	const struct tool_registry *reg;
	char *bad;
	size_t badsz;
};

/* True (stop) when name is neither a tool nor a sub-capability. */
static bool
name_unknown(const char *name, size_t len, void *ctx)
{
	struct check_ctx *c = ctx;
	char buf[LIM_TOOL_NAME * 2 + 2];
	const char *dot;
	const struct tool_def *t;
	const struct tool_arg_rule *r;

	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (tool_registry_find(c->reg, buf) != NULL)
		return false;
	dot = strchr(buf, '.');
	if (dot == NULL)
		goto bad;
	buf[dot - buf] = '\0';
	t = tool_registry_find(c->reg, buf);
	if (t == NULL)
		goto bad;
	for (r = t->args; r->name != NULL; r++) {
		if (pol_arg_is_subcap(r) && strcmp(r->name, dot + 1) == 0)
			return false;
	}
bad:
	(void)snprintf(c->bad, c->badsz, "%.*s", (int)(len > 200 ? 200 : len), name);
	return true;
}

bool
pol_list_check(const struct tool_registry *reg, const char *list, char *bad, size_t badsz)
{
	struct check_ctx c = {reg, bad, badsz};

	return !list_each(list, name_unknown, &c);
}

const char *
pol_folder_name_check(const char *name)
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
pol_folder_path_check(const char *name, char delim)
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
pol_keyword_check(const char *kw)
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
pol_folder_same(const char *a, const char *b)
{
	if (strcasecmp(a, "INBOX") == 0)
		return strcasecmp(b, "INBOX") == 0;
	return strcmp(a, b) == 0;
}

static bool
folder_eq(const char *item, size_t len, void *ctx)
{
	const char *name = ctx;

	if (len == 5 && strncasecmp(item, "INBOX", 5) == 0)
		return strcasecmp(name, "INBOX") == 0;
	return strlen(name) == len && memcmp(item, name, len) == 0;
}

bool
pol_folder_expungeable(const struct cfg_account *a, const char *folder)
{
	return a != NULL &&
	       list_each_n(a->expunge_folders, LIM_PROTECTED_FOLDERS, folder_eq, (void *)folder);
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

/* Whether name relates to the protected name p[0..plen) as x asks. */
static bool
rel_match(const char *p, size_t plen, const struct rel_ctx *x)
{
	size_t nl = strlen(x->name);

	if (plen == nl && strncasecmp(p, x->name, nl) == 0)
		return true;
	if (x->delim == 0)
		return false;
	/* P = name + delim + ... : deleting or renaming name takes P along */
	if (x->ancestor && plen > nl + 1 && strncasecmp(p, x->name, nl) == 0 && p[nl] == x->delim)
		return true;
	/* name = P + delim + ... */
	if (x->inside && nl > plen + 1 && strncasecmp(x->name, p, plen) == 0 &&
	    x->name[plen] == x->delim)
		return true;
	return false;
}

static bool
rel_match_item(const char *p, size_t plen, void *vctx)
{
	return rel_match(p, plen, vctx);
}

/* Whether name is (or, per x, is an ancestor of or lies inside) any
 * protected folder. */
static bool
protected_rel(const struct cfg_account *a, const struct imap_folder_list *l,
              const struct rel_ctx *x)
{
	/* RFC 3501: INBOX in any case; the usual names of the special folders
	 * also when the server announces no SPECIAL-USE, at the top and (the
	 * classic layout: every folder below "INBOX.") one level below INBOX */
	static const char *const fixed[] = {"Sent", "Drafts", "Trash"};
	struct rel_ctx inbox = *x;
	char sub[16];
	size_t i;

	/* INBOX protects itself, not its children: on the classic layout
	 * every folder lies inside it */
	inbox.inside = false;
	if (rel_match("INBOX", 5, &inbox))
		return true;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (rel_match(fixed[i], strlen(fixed[i]), x))
			return true;
		if (x->delim == 0)
			continue;
		(void)snprintf(sub, sizeof(sub), "INBOX%c%s", x->delim, fixed[i]);
		if (rel_match(sub, strlen(sub), x))
			return true;
	}
	if (a != NULL &&
	    list_each_n(a->protected_folders, LIM_PROTECTED_FOLDERS, rel_match_item, (void *)x))
		return true;
	for (i = 0; l != NULL && i < l->n; i++) {
		if (special_protected(&l->f[i]) && rel_match(l->f[i].name, strlen(l->f[i].name), x))
			return true;
	}
	return false;
}

bool
pol_folder_protected(const struct cfg_account *a, const struct imap_folder_list *l,
                     const char *name)
{
	struct rel_ctx x = {name, 0, false, false};

	return protected_rel(a, l, &x);
}

const char *
pol_delete_check(const struct cfg_account *a, const struct imap_folder_list *l, char delim,
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
pol_rename_check(const struct cfg_account *a, const struct imap_folder_list *l, char delim,
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
