/* CSS colours (CSS Color Level 4): hex, named and system colours, rgb(),
 * hsl(), hwb(), lab(), lch(), oklab(), oklch(), color() for the sRGB-like
 * spaces; WHATWG HTML "rules for parsing a legacy colour value"; colour
 * distance and alpha blending for the low-contrast checks. */
#include "content/css.h"

#include <math.h>
#include <string.h>

#include "content/css_int.h"

struct named_color {
	const char *name;
	uint32_t rgb;
};

/* CSS Color 4 §6.1, sorted for bsearch. */
static const struct named_color named_colors[] = {
    {"aliceblue", 0xf0f8ff},
    {"antiquewhite", 0xfaebd7},
    {"aqua", 0x00ffff},
    {"aquamarine", 0x7fffd4},
    {"azure", 0xf0ffff},
    {"beige", 0xf5f5dc},
    {"bisque", 0xffe4c4},
    {"black", 0x000000},
    {"blanchedalmond", 0xffebcd},
    {"blue", 0x0000ff},
    {"blueviolet", 0x8a2be2},
    {"brown", 0xa52a2a},
    {"burlywood", 0xdeb887},
    {"cadetblue", 0x5f9ea0},
    {"chartreuse", 0x7fff00},
    {"chocolate", 0xd2691e},
    {"coral", 0xff7f50},
    {"cornflowerblue", 0x6495ed},
    {"cornsilk", 0xfff8dc},
    {"crimson", 0xdc143c},
    {"cyan", 0x00ffff},
    {"darkblue", 0x00008b},
    {"darkcyan", 0x008b8b},
    {"darkgoldenrod", 0xb8860b},
    {"darkgray", 0xa9a9a9},
    {"darkgreen", 0x006400},
    {"darkgrey", 0xa9a9a9},
    {"darkkhaki", 0xbdb76b},
    {"darkmagenta", 0x8b008b},
    {"darkolivegreen", 0x556b2f},
    {"darkorange", 0xff8c00},
    {"darkorchid", 0x9932cc},
    {"darkred", 0x8b0000},
    {"darksalmon", 0xe9967a},
    {"darkseagreen", 0x8fbc8f},
    {"darkslateblue", 0x483d8b},
    {"darkslategray", 0x2f4f4f},
    {"darkslategrey", 0x2f4f4f},
    {"darkturquoise", 0x00ced1},
    {"darkviolet", 0x9400d3},
    {"deeppink", 0xff1493},
    {"deepskyblue", 0x00bfff},
    {"dimgray", 0x696969},
    {"dimgrey", 0x696969},
    {"dodgerblue", 0x1e90ff},
    {"firebrick", 0xb22222},
    {"floralwhite", 0xfffaf0},
    {"forestgreen", 0x228b22},
    {"fuchsia", 0xff00ff},
    {"gainsboro", 0xdcdcdc},
    {"ghostwhite", 0xf8f8ff},
    {"gold", 0xffd700},
    {"goldenrod", 0xdaa520},
    {"gray", 0x808080},
    {"green", 0x008000},
    {"greenyellow", 0xadff2f},
    {"grey", 0x808080},
    {"honeydew", 0xf0fff0},
    {"hotpink", 0xff69b4},
    {"indianred", 0xcd5c5c},
    {"indigo", 0x4b0082},
    {"ivory", 0xfffff0},
    {"khaki", 0xf0e68c},
    {"lavender", 0xe6e6fa},
    {"lavenderblush", 0xfff0f5},
    {"lawngreen", 0x7cfc00},
    {"lemonchiffon", 0xfffacd},
    {"lightblue", 0xadd8e6},
    {"lightcoral", 0xf08080},
    {"lightcyan", 0xe0ffff},
    {"lightgoldenrodyellow", 0xfafad2},
    {"lightgray", 0xd3d3d3},
    {"lightgreen", 0x90ee90},
    {"lightgrey", 0xd3d3d3},
    {"lightpink", 0xffb6c1},
    {"lightsalmon", 0xffa07a},
    {"lightseagreen", 0x20b2aa},
    {"lightskyblue", 0x87cefa},
    {"lightslategray", 0x778899},
    {"lightslategrey", 0x778899},
    {"lightsteelblue", 0xb0c4de},
    {"lightyellow", 0xffffe0},
    {"lime", 0x00ff00},
    {"limegreen", 0x32cd32},
    {"linen", 0xfaf0e6},
    {"magenta", 0xff00ff},
    {"maroon", 0x800000},
    {"mediumaquamarine", 0x66cdaa},
    {"mediumblue", 0x0000cd},
    {"mediumorchid", 0xba55d3},
    {"mediumpurple", 0x9370db},
    {"mediumseagreen", 0x3cb371},
    {"mediumslateblue", 0x7b68ee},
    {"mediumspringgreen", 0x00fa9a},
    {"mediumturquoise", 0x48d1cc},
    {"mediumvioletred", 0xc71585},
    {"midnightblue", 0x191970},
    {"mintcream", 0xf5fffa},
    {"mistyrose", 0xffe4e1},
    {"moccasin", 0xffe4b5},
    {"navajowhite", 0xffdead},
    {"navy", 0x000080},
    {"oldlace", 0xfdf5e6},
    {"olive", 0x808000},
    {"olivedrab", 0x6b8e23},
    {"orange", 0xffa500},
    {"orangered", 0xff4500},
    {"orchid", 0xda70d6},
    {"palegoldenrod", 0xeee8aa},
    {"palegreen", 0x98fb98},
    {"paleturquoise", 0xafeeee},
    {"palevioletred", 0xdb7093},
    {"papayawhip", 0xffefd5},
    {"peachpuff", 0xffdab9},
    {"peru", 0xcd853f},
    {"pink", 0xffc0cb},
    {"plum", 0xdda0dd},
    {"powderblue", 0xb0e0e6},
    {"purple", 0x800080},
    {"rebeccapurple", 0x663399},
    {"red", 0xff0000},
    {"rosybrown", 0xbc8f8f},
    {"royalblue", 0x4169e1},
    {"saddlebrown", 0x8b4513},
    {"salmon", 0xfa8072},
    {"sandybrown", 0xf4a460},
    {"seagreen", 0x2e8b57},
    {"seashell", 0xfff5ee},
    {"sienna", 0xa0522d},
    {"silver", 0xc0c0c0},
    {"skyblue", 0x87ceeb},
    {"slateblue", 0x6a5acd},
    {"slategray", 0x708090},
    {"slategrey", 0x708090},
    {"snow", 0xfffafa},
    {"springgreen", 0x00ff7f},
    {"steelblue", 0x4682b4},
    {"tan", 0xd2b48c},
    {"teal", 0x008080},
    {"thistle", 0xd8bfd8},
    {"tomato", 0xff6347},
    {"turquoise", 0x40e0d0},
    {"violet", 0xee82ee},
    {"wheat", 0xf5deb3},
    {"white", 0xffffff},
    {"whitesmoke", 0xf5f5f5},
    {"yellow", 0xffff00},
    {"yellowgreen", 0x9acd32},
};

static bool
named_lookup(struct slice v, struct css_color *c)
{
	size_t lo = 0, hi = sizeof(named_colors) / sizeof(named_colors[0]);
	char name[24];

	if (v.len == 0 || v.len >= sizeof(name))
		return false;
	for (size_t i = 0; i < v.len; i++) {
		char ch = v.p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		name[i] = ch;
	}
	name[v.len] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, named_colors[mid].name);

		if (r == 0) {
			uint32_t x = named_colors[mid].rgb;

			*c = (struct css_color){(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x,
			                        255};
			return true;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* CSS Color 4 §6.2 system colours (and the deprecated ones Word still
 * writes, "windowtext"), as a light-theme browser paints them; "canvas" on
 * white is as invisible as "white". */
static const struct named_color system_colors[] = {
    {"accentcolor", 0x0075ff},     {"accentcolortext", 0xffffff}, {"activetext", 0xff0000},
    {"buttonborder", 0x767676},    {"buttonface", 0xefefef},      {"buttontext", 0x000000},
    {"canvas", 0xffffff},          {"canvastext", 0x000000},      {"field", 0xffffff},
    {"fieldtext", 0x000000},       {"graytext", 0x6d6d6d},        {"highlight", 0x3399ff},
    {"highlighttext", 0xffffff},   {"linktext", 0x0000ee},        {"mark", 0xffff00},
    {"marktext", 0x000000},        {"selecteditem", 0x3399ff},    {"selecteditemtext", 0xffffff},
    {"visitedtext", 0x551a8b},     {"window", 0xffffff},          {"windowtext", 0x000000},
    {"buttonhighlight", 0xffffff}, {"buttonshadow", 0xa0a0a0},    {"threedface", 0xf0f0f0},
    {"infobackground", 0xffffe1},  {"infotext", 0x000000},        {"menu", 0xf0f0f0},
    {"menutext", 0x000000},        {"captiontext", 0x000000},     {"windowframe", 0x646464},
};

static bool
system_lookup(struct slice v, struct css_color *c)
{
	for (size_t i = 0; i < sizeof(system_colors) / sizeof(system_colors[0]); i++)
		if (eq_nocase(v, sl_from_cstr(system_colors[i].name))) {
			uint32_t x = system_colors[i].rgb;

			*c = (struct css_color){(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x,
			                        255};
			return true;
		}
	return false;
}

static bool
hex_color(struct slice h, struct css_color *c)
{
	unsigned d[8];

	if (h.len != 3 && h.len != 4 && h.len != 6 && h.len != 8)
		return false;
	for (size_t i = 0; i < h.len; i++) {
		if (!is_hex((unsigned char)h.p[i]))
			return false;
		d[i] = hex_val((unsigned char)h.p[i]);
	}
	if (h.len <= 4) {
		*c = (struct css_color){(uint8_t)(d[0] * 17), (uint8_t)(d[1] * 17),
		                        (uint8_t)(d[2] * 17),
		                        (uint8_t)(h.len == 4 ? d[3] * 17 : 255)};
	} else {
		*c = (struct css_color){(uint8_t)(d[0] * 16 + d[1]), (uint8_t)(d[2] * 16 + d[3]),
		                        (uint8_t)(d[4] * 16 + d[5]),
		                        (uint8_t)(h.len == 8 ? d[6] * 16 + d[7] : 255)};
	}
	return true;
}

static uint8_t
clamp255(double v)
{
	if (!(v > 0))
		return 0;
	if (v > 255)
		return 255;
	return (uint8_t)(v + 0.5);
}

/* Reads up to 4 numeric arguments of rgb()/hsl(), comma or space/slash
 * separated; pct[] says which had a '%'. "none" counts as 0. */
static size_t
func_args(struct slice s, double *a, bool *pct, size_t max)
{
	size_t i = 0, n = 0;

	while (i < s.len && n < max) {
		unsigned char ch = (unsigned char)s.p[i];

		if (is_ws(ch) || ch == ',' || ch == '/') {
			i++;
			continue;
		}
		if (s.len - i >= 4 && memcmp(s.p + i, "none", 4) == 0) {
			a[n] = 0;
			pct[n++] = false;
			i += 4;
			continue;
		}
		if (!css_num_parse(s, &i, &a[n]))
			return 0;
		pct[n] = false;
		if (i < s.len && s.p[i] == '%') {
			pct[n] = true;
			i++;
		} else {
			while (i < s.len && s.p[i] >= 'a' && s.p[i] <= 'z')
				i++; /* deg and friends: treated as degrees */
		}
		n++;
	}
	return n;
}

static double
hue_part(double p, double q, double t)
{
	if (t < 0)
		t += 1;
	if (t > 1)
		t -= 1;
	if (t < 1.0 / 6)
		return p + (q - p) * 6 * t;
	if (t < 0.5)
		return q;
	if (t < 2.0 / 3)
		return p + (q - p) * (2.0 / 3 - t) * 6;
	return p;
}

/* Linear-light sRGB component (0..1 nominal) to an 8-bit gamma-encoded one
 * (sRGB transfer function, CSS Color 4 §10.2). Out-of-gamut values clamp. */
static uint8_t
lin_to_srgb8(double x)
{
	double ax = fabs(x), y = ax <= 0.0031308 ? 12.92 * ax : 1.055 * pow(ax, 1 / 2.4) - 0.055;

	return clamp255((x < 0 ? -y : y) * 255);
}

/* Linear sRGB from CIE XYZ relative to D65 (CSS Color 4 §18 sample code). */
static void
xyz65_to_color(double x, double y, double z, double alpha, struct css_color *c)
{
	double r = 3.2409699419045226 * x - 1.5373831775700939 * y - 0.4986107602930034 * z;
	double g = -0.9692436362808796 * x + 1.8759675015077202 * y + 0.0415550574071756 * z;
	double b = 0.0556300796969936 * x - 0.2039769588889765 * y + 1.0569715142428786 * z;

	*c = (struct css_color){lin_to_srgb8(r), lin_to_srgb8(g), lin_to_srgb8(b),
	                        clamp255(alpha * 255)};
}

/* CIE Lab (D50) → sRGB via XYZ D50 and the Bradford adaptation to D65. */
static void
lab_to_color(double l, double a, double bb, double alpha, struct css_color *c)
{
	const double k = 24389.0 / 27, e = 216.0 / 24389;
	double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - bb / 200;
	double x = fx * fx * fx > e ? fx * fx * fx : (116 * fx - 16) / k;
	double y = l > k * e ? fy * fy * fy : l / k;
	double z = fz * fz * fz > e ? fz * fz * fz : (116 * fz - 16) / k;

	x *= 0.3457 / 0.3585;
	z *= (1.0 - 0.3457 - 0.3585) / 0.3585;
	double x65 = 0.9554734527042182 * x - 0.0230985368742614 * y + 0.0632593086610217 * z;
	double y65 = -0.0283697069632081 * x + 1.0099954580058226 * y + 0.0210413989669430 * z;
	double z65 = 0.0123140016883199 * x - 0.0205076964334779 * y + 1.3303659366080753 * z;

	xyz65_to_color(x65, y65, z65, alpha, c);
}

/* OKLab → linear sRGB (Björn Ottosson's matrices, as in CSS Color 4). */
static void
oklab_to_color(double l, double a, double b, double alpha, struct css_color *c)
{
	double l_ = l + 0.3963377774 * a + 0.2158037573 * b;
	double m_ = l - 0.1055613458 * a - 0.0638541728 * b;
	double s_ = l - 0.0894841775 * a - 1.2914855480 * b;
	double lc = l_ * l_ * l_, mc = m_ * m_ * m_, sc = s_ * s_ * s_;

	*c = (struct css_color){
	    lin_to_srgb8(4.0767416621 * lc - 3.3077115913 * mc + 0.2309699292 * sc),
	    lin_to_srgb8(-1.2684380046 * lc + 2.6097574011 * mc - 0.3413193965 * sc),
	    lin_to_srgb8(-0.0041960863 * lc - 0.7034186147 * mc + 1.7076147010 * sc),
	    clamp255(alpha * 255)};
}

/* color(space r g b [/ a]) for the RGB spaces whose values we can map:
 * srgb and display-p3 (treated as srgb: close enough to judge contrast) and
 * srgb-linear. Other spaces are left unevaluated. */
static bool
color_fn(struct slice args, struct css_color *c)
{
	static const char *const spaces[] = {"srgb-linear", "srgb", "display-p3"};
	double a[4];
	bool pct[4];
	size_t sp, n;

	args = trim(args);
	for (sp = 0; sp < sizeof(spaces) / sizeof(spaces[0]); sp++) {
		size_t l = strlen(spaces[sp]);

		if (args.len > l && memcmp(args.p, spaces[sp], l) == 0 &&
		    is_ws((unsigned char)args.p[l]))
			break;
	}
	if (sp == sizeof(spaces) / sizeof(spaces[0]))
		return false;
	args.p += strlen(spaces[sp]);
	args.len -= strlen(spaces[sp]);
	n = func_args(args, a, pct, 4);
	if (n < 3)
		return false;
	for (size_t k = 0; k < n; k++)
		if (pct[k])
			a[k] /= 100;
	double alpha = n == 4 ? a[3] : 1;

	if (sp == 0)
		*c = (struct css_color){lin_to_srgb8(a[0]), lin_to_srgb8(a[1]), lin_to_srgb8(a[2]),
		                        clamp255(alpha * 255)};
	else
		*c = (struct css_color){clamp255(a[0] * 255), clamp255(a[1] * 255),
		                        clamp255(a[2] * 255), clamp255(alpha * 255)};
	return true;
}

/* Hue in degrees to radians, reduced so that huge hues cannot lose all
 * precision (fmod is bounded). */
static double
hue_rad(double h)
{
	return fmod(h, 360) * (3.14159265358979323846 / 180);
}

static bool
func_color(struct slice v, struct css_color *c)
{
	const char *open = memchr(v.p, '(', v.len);
	double a[4];
	bool pct[4];
	size_t n;

	if (open == NULL || v.p[v.len - 1] != ')')
		return false;
	struct slice name = {v.p, (size_t)(open - v.p)};
	struct slice args = {open + 1, v.len - name.len - 2};

	if (sl_eq_cstr(name, "color"))
		return color_fn(args, c);
	n = func_args(args, a, pct, 4);
	if (n < 3)
		return false;
	double alpha = n == 4 ? (pct[3] ? a[3] / 100 : a[3]) : 1;

	if (sl_eq_cstr(name, "rgb") || sl_eq_cstr(name, "rgba")) {
		for (int k = 0; k < 3; k++)
			if (pct[k])
				a[k] = a[k] * 255 / 100;
		*c = (struct css_color){clamp255(a[0]), clamp255(a[1]), clamp255(a[2]),
		                        clamp255(alpha * 255)};
		return true;
	}
	if (sl_eq_cstr(name, "hsl") || sl_eq_cstr(name, "hsla")) {
		double h = a[0], s = a[1] / 100, l = a[2] / 100;

		for (int k = 0; k < 8 && (h < 0 || h >= 360); k++)
			h += h < 0 ? 360 : -360; /* bounded: huge hues stay off-range */
		h /= 360;
		s = s < 0 ? 0 : (s > 1 ? 1 : s);
		l = l < 0 ? 0 : (l > 1 ? 1 : l);
		double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;

		*c = (struct css_color){
		    clamp255(hue_part(p, q, h + 1.0 / 3) * 255), clamp255(hue_part(p, q, h) * 255),
		    clamp255(hue_part(p, q, h - 1.0 / 3) * 255), clamp255(alpha * 255)};
		return true;
	}
	if (sl_eq_cstr(name, "hwb")) {
		/* hwb(h w b) = hsl(h 100% 50%) scaled into [w, 1 - b] (Color 4 §8). */
		double h = fmod(a[0], 360), w = a[1] / 100, bl = a[2] / 100, q = 1, p = 0;

		h = (h < 0 ? h + 360 : h) / 360;
		w = w < 0 ? 0 : w;
		bl = bl < 0 ? 0 : bl;
		if (w + bl >= 1) {
			uint8_t g = clamp255(w / (w + bl) * 255);

			*c = (struct css_color){g, g, g, clamp255(alpha * 255)};
			return true;
		}
		*c = (struct css_color){
		    clamp255((hue_part(p, q, h + 1.0 / 3) * (1 - w - bl) + w) * 255),
		    clamp255((hue_part(p, q, h) * (1 - w - bl) + w) * 255),
		    clamp255((hue_part(p, q, h - 1.0 / 3) * (1 - w - bl) + w) * 255),
		    clamp255(alpha * 255)};
		return true;
	}
	/* Percentages: lab L 100%=100, a/b 100%=125; lch C 100%=150; oklab L
	 * 100%=1, a/b 100%=0.4; oklch C 100%=0.4 (CSS Color 4 §9). */
	if (sl_eq_cstr(name, "lab") || sl_eq_cstr(name, "lch")) {
		bool lch = name.p[1] == 'c';
		double l = a[0], x = pct[1] ? a[1] * (lch ? 1.5 : 1.25) : a[1];
		double y = pct[2] && !lch ? a[2] * 1.25 : a[2];

		if (lch) {
			double hr = hue_rad(y);

			y = x * sin(hr);
			x = x * cos(hr);
		}
		lab_to_color(l, x, y, alpha, c);
		return true;
	}
	if (sl_eq_cstr(name, "oklab") || sl_eq_cstr(name, "oklch")) {
		bool lch = name.p[3] == 'c';
		double l = pct[0] ? a[0] / 100 : a[0], x = pct[1] ? a[1] * 0.004 : a[1];
		double y = pct[2] && !lch ? a[2] * 0.004 : a[2];

		if (lch) {
			double hr = hue_rad(y);

			y = x * sin(hr);
			x = x * cos(hr);
		}
		oklab_to_color(l, x, y, alpha, c);
		return true;
	}
	return false;
}

bool
css_color_parse(struct slice v, struct css_color *c)
{
	v = trim(v);
	if (v.len == 0)
		return false;
	if (v.p[0] == '#')
		return hex_color((struct slice){v.p + 1, v.len - 1}, c);
	if (sl_eq_cstr(v, "transparent")) {
		*c = (struct css_color){0, 0, 0, 0};
		return true;
	}
	if (memchr(v.p, '(', v.len) != NULL)
		return func_color(v, c);
	if (named_lookup(v, c) || system_lookup(v, c))
		return true;
	/* Quirks mode hashless colour ("color: ffffff"). */
	if ((v.len == 3 || v.len == 6) && hex_color(v, c))
		return true;
	return false;
}

bool
css_legacy_color_parse(struct slice v, struct css_color *c)
{
	char s[128];
	size_t n = 0, len;

	v = trim(v);
	if (v.len == 0 || eq_nocase(v, SL_LIT("transparent")))
		return false;
	if (named_lookup(v, c))
		return true;
	if (v.len == 4 && v.p[0] == '#' && is_hex((unsigned char)v.p[1]) &&
	    is_hex((unsigned char)v.p[2]) && is_hex((unsigned char)v.p[3]))
		return hex_color((struct slice){v.p + 1, 3}, c);
	/* Non-ASCII code points become "00"; keep at most 128 characters. */
	for (size_t i = 0; i < v.len && n < sizeof(s); i++) {
		unsigned char ch = (unsigned char)v.p[i];

		if (ch >= 0x80) {
			if ((ch & 0xC0) == 0x80)
				continue;
			/* Supplementary characters become "00"; other non-ASCII
			 * is a non-hex digit and becomes "0" below. */
			s[n++] = '0';
			if (ch >= 0xF0 && n < sizeof(s))
				s[n++] = '0';
			continue;
		}
		s[n++] = (char)ch;
	}
	len = n;
	if (len > 0 && s[0] == '#') {
		memmove(s, s + 1, len - 1);
		len--;
	}
	for (size_t i = 0; i < len; i++)
		if (!is_hex((unsigned char)s[i]))
			s[i] = '0';
	while (len == 0 || len % 3 != 0) {
		if (len >= sizeof(s))
			return false;
		s[len++] = '0';
	}
	size_t comp = len / 3;
	const char *r = s, *g = s + comp, *b = s + 2 * comp;

	if (comp > 8) {
		r += comp - 8;
		g += comp - 8;
		b += comp - 8;
		comp = 8;
	}
	while (comp > 2 && r[0] == '0' && g[0] == '0' && b[0] == '0') {
		r++;
		g++;
		b++;
		comp--;
	}
	if (comp > 2)
		comp = 2;
	unsigned rv = 0, gv = 0, bv = 0;

	for (size_t i = 0; i < comp; i++) {
		rv = rv * 16 + hex_val((unsigned char)r[i]);
		gv = gv * 16 + hex_val((unsigned char)g[i]);
		bv = bv * 16 + hex_val((unsigned char)b[i]);
	}
	*c = (struct css_color){(uint8_t)rv, (uint8_t)gv, (uint8_t)bv, 255};
	return true;
}

bool
css_color_in_shorthand(struct slice v, struct css_color *c)
{
	size_t i = 0;

	v = trim(v);
	while (i < v.len) {
		size_t start, depth = 0;

		while (i < v.len && (is_ws((unsigned char)v.p[i]) || v.p[i] == ','))
			i++;
		start = i;
		while (i < v.len &&
		       (depth > 0 || (!is_ws((unsigned char)v.p[i]) && v.p[i] != ','))) {
			if (v.p[i] == '(')
				depth++;
			else if (v.p[i] == ')' && depth > 0)
				depth--;
			i++;
		}
		struct slice tok = {v.p + start, i - start};

		if (tok.len == 0)
			break;
		/* Skip url(...) and gradients: the fallback colour is what shows
		 * when images are blocked, which is how most mail is first read. */
		if (starts_with(tok, "url(") || memmem(tok.p, tok.len, "gradient(", 9) != NULL)
			continue;
		if (tok.p[0] == '#' || sl_eq_cstr(tok, "transparent") || starts_with(tok, "rgb") ||
		    starts_with(tok, "hsl") || starts_with(tok, "hwb(") ||
		    starts_with(tok, "lab(") || starts_with(tok, "lch(") ||
		    starts_with(tok, "oklab(") || starts_with(tok, "oklch(") ||
		    starts_with(tok, "color(") || named_lookup(tok, c)) {
			if (css_color_parse(tok, c))
				return true;
		}
	}
	return false;
}

struct css_color
css_blend(struct css_color fg, struct css_color bg)
{
	uint32_t a = fg.a;

	return (struct css_color){(uint8_t)((fg.r * a + bg.r * (255 - a) + 127) / 255),
	                          (uint8_t)((fg.g * a + bg.g * (255 - a) + 127) / 255),
	                          (uint8_t)((fg.b * a + bg.b * (255 - a) + 127) / 255), 255};
}

/* WCAG 2 relative luminance of an sRGB colour given as 0..255 channels. */
static double
rel_lum(double r, double g, double b)
{
	double c[3] = {r / 255, g / 255, b / 255};

	for (int i = 0; i < 3; i++)
		c[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow((c[i] + 0.055) / 1.055, 2.4);
	return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

double
css_text_contrast(struct css_color fg, double opacity, struct css_color bg)
{
	double a = fg.a / 255.0 * (opacity < 0 ? 0 : opacity > 1 ? 1 : opacity);
	double lf = rel_lum(fg.r * a + bg.r * (1 - a), fg.g * a + bg.g * (1 - a),
	                    fg.b * a + bg.b * (1 - a));
	double lb = rel_lum(bg.r, bg.g, bg.b);

	return ((lf > lb ? lf : lb) + 0.05) / ((lf > lb ? lb : lf) + 0.05);
}
