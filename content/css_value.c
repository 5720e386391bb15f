/* CSS numbers and lengths (CSS Values 3): a bounded number parser, length
 * units to px, and the calc() subset hidden-content checks need. */
#include "content/css.h"

#include <string.h>

#include "content/css_int.h"

/* Parses a CSS number at s[*i]; advances *i. Bounded digit count so hostile
 * input cannot build huge values (anything past 1e9 is "far" anyway). */
bool
css_num_parse(struct slice s, size_t *i, double *v)
{
	size_t k = *i;
	double x = 0, scale = 1;
	bool neg = false, any = false;
	int digits = 0;

	if (k < s.len && (s.p[k] == '+' || s.p[k] == '-'))
		neg = s.p[k++] == '-';
	while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
		if (digits++ < 12)
			x = x * 10 + (s.p[k] - '0');
		k++;
		any = true;
	}
	if (k + 1 < s.len && s.p[k] == '.' && s.p[k + 1] >= '0' && s.p[k + 1] <= '9') {
		k++;
		while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
			if (scale > 1e-12) {
				scale /= 10;
				x += (s.p[k] - '0') * scale;
			}
			k++;
		}
		any = true;
	}
	if (!any)
		return false;
	if (k + 1 < s.len && s.p[k] == 'e' &&
	    ((s.p[k + 1] >= '0' && s.p[k + 1] <= '9') ||
	     ((s.p[k + 1] == '-' || s.p[k + 1] == '+') && k + 2 < s.len && s.p[k + 2] >= '0' &&
	      s.p[k + 2] <= '9'))) {
		int e = 0;
		bool eneg = false;

		k++;
		if (s.p[k] == '-' || s.p[k] == '+')
			eneg = s.p[k++] == '-';
		while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
			if (e < 100)
				e = e * 10 + (s.p[k] - '0');
			k++;
		}
		for (int j = 0; j < e && x != 0 && x < 1e30 && x > 1e-30; j++)
			x = eneg ? x / 10 : x * 10;
	}
	*i = k;
	*v = neg ? -x : x;
	return true;
}

struct unit {
	const char *name;
	double px; /* factor; 0 means relative (handled below) */
};

static const struct unit units[] = {
    {"px", 1},         {"pt", 4.0 / 3},    {"pc", 16},        {"in", 96},
    {"cm", 96 / 2.54}, {"mm", 9.6 / 2.54}, {"q", 2.4 / 2.54}, {"vw", 10},
    {"vh", 10},        {"vmin", 10},       {"vmax", 10},      {"em", 0},
    {"rem", 0},        {"ex", 0},          {"ch", 0},         {"%", 0},
};

/* One length term "12px", "-1e4em", "0"; *i advanced past it. */
static bool
term_px(struct slice s, size_t *i, double font_px, double pct_base, double *px)
{
	double v;
	size_t k = *i, ue;

	if (!css_num_parse(s, &k, &v))
		return false;
	ue = k;
	while (ue < s.len && ((s.p[ue] >= 'a' && s.p[ue] <= 'z') || s.p[ue] == '%'))
		ue++;
	struct slice u = {s.p + k, ue - k};

	*i = ue;
	if (u.len == 0) {
		*px = v; /* quirks mode accepts unitless lengths as px */
		return true;
	}
	for (size_t j = 0; j < sizeof(units) / sizeof(units[0]); j++) {
		if (!sl_eq_cstr(u, units[j].name))
			continue;
		if (units[j].px != 0)
			*px = v * units[j].px;
		else if (sl_eq_cstr(u, "em"))
			*px = v * font_px;
		else if (sl_eq_cstr(u, "rem"))
			*px = v * 16;
		else if (sl_eq_cstr(u, "ex") || sl_eq_cstr(u, "ch"))
			*px = v * font_px / 2;
		else if (pct_base >= 0)
			*px = v * pct_base / 100;
		else if (v == 0)
			*px = 0;
		else
			return false;
		return true;
	}
	return false;
}

bool
css_length_px(struct slice v, double font_px, double pct_base, double *px)
{
	size_t i = 0;

	v = trim(v);
	if (starts_with(v, "calc(") || starts_with(v, "min(") || starts_with(v, "max(") ||
	    starts_with(v, "clamp(")) {
		/* Smallest term, with a preceding " - " negating it. */
		bool found = false, neg = false;
		double best = 0;

		i = (size_t)((const char *)memchr(v.p, '(', v.len) - v.p) + 1;
		while (i < v.len) {
			double t;
			size_t k = i;

			if (v.p[i] == '-' && i + 1 < v.len && is_ws((unsigned char)v.p[i + 1])) {
				neg = true;
				i++;
				continue;
			}
			if (term_px(v, &k, font_px, pct_base, &t)) {
				if (neg)
					t = -t;
				if (!found || t < best)
					best = t;
				found = true;
				neg = false;
				i = k;
				continue;
			}
			if (!is_ws((unsigned char)v.p[i]) && v.p[i] != '+')
				neg = false;
			i = k > i ? k : i + 1;
		}
		if (found)
			*px = best;
		return found;
	}
	if (!term_px(v, &i, font_px, pct_base, px))
		return false;
	return i == v.len;
}

bool
css_calc_px(struct slice v, double font_px, double pct_base, double *px)
{
	/* sum of products: each product carries whether it has a length (a
	 * number alone added to a length is invalid CSS: refuse). */
	double sum = 0, prod = 0;
	bool sum_len = false, prod_len = false, have = false, any = false;
	char op = '+', mul = 0;
	size_t i;

	v = trim(v);
	if (!starts_with(v, "calc(") || v.p[v.len - 1] != ')')
		return false;
	v = (struct slice){v.p + 5, v.len - 6};
	if (memchr(v.p, '(', v.len) != NULL)
		return false;
	for (i = 0; i <= v.len;) {
		if (i < v.len && is_ws((unsigned char)v.p[i])) {
			i++;
			continue;
		}
		if (i == v.len || ((v.p[i] == '+' || v.p[i] == '-') && have && mul == 0)) {
			if (!have || mul != 0)
				return false;
			if (any && sum_len != prod_len)
				return false;
			sum = op == '+' ? sum + prod : sum - prod;
			sum_len = prod_len;
			any = true;
			have = false;
			if (i == v.len)
				break;
			op = v.p[i++];
			continue;
		}
		if ((v.p[i] == '*' || v.p[i] == '/') && have && mul == 0) {
			mul = v.p[i++];
			continue;
		}
		double t;
		size_t k = i;
		bool is_len;

		if (!css_num_parse(v, &k, &t))
			return false;
		is_len = k < v.len && ((v.p[k] >= 'a' && v.p[k] <= 'z') || v.p[k] == '%');
		k = i;
		if (is_len && !term_px(v, &k, font_px, pct_base, &t))
			return false;
		if (!is_len && !css_num_parse(v, &k, &t))
			return false;
		i = k;
		if (mul == 0) {
			if (have)
				return false;
			prod = t;
			prod_len = is_len;
		} else if (mul == '*') {
			if (is_len && prod_len)
				return false;
			prod *= t;
			prod_len = prod_len || is_len;
		} else {
			if (is_len || t == 0)
				return false;
			prod /= t;
		}
		mul = 0;
		have = true;
	}
	if (!any || !sum_len)
		return false;
	*px = sum;
	return true;
}
