/* Effective permissions (handlers/policy.h). */
#include "handlers/policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "handlers/tools.h"
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

/* Calls fn(name, len, ctx) for every non-empty entry of a comma list, with
 * surrounding blanks trimmed; stops when fn returns true and returns true. */
static bool
list_each(const char *list, bool (*fn)(const char *name, size_t len, void *ctx), void *ctx)
{
	const char *p = list;

	if (list == NULL)
		return false;
	while (*p != '\0') {
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
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return false;
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
	return overrides_leave(tok, t->name) && (!t->account_scoped || overrides_leave(acc, t->name));
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

bool
pol_folder_protected(const struct cfg_account *a, const char *folder, const char *special_use)
{
	static const char *const fixed[] = {"Sent", "Drafts", "Trash"};
	static const char *const uses[] = {"\\Sent", "\\Drafts", "\\Trash"};
	size_t i;

	/* RFC 3501: INBOX is case-insensitive; the others are names as the
	 * server spells them */
	if (strcasecmp(folder, "INBOX") == 0)
		return true;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(folder, fixed[i]) == 0 ||
		    (special_use != NULL && strcasecmp(special_use, uses[i]) == 0))
			return true;
	}
	return a != NULL && pol_list_has(a->protected_folders, folder);
}

bool
pol_folder_expungeable(const struct cfg_account *a, const char *folder)
{
	return a != NULL && pol_list_has(a->expunge_folders, folder);
}
