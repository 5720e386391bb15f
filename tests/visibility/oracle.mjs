// The browser oracle: Debian's chromium, headless, driven by puppeteer-core, decides per
// marker whether a person can see it (see README.md and docs/content.md, "The browser
// oracle"). One browser, one page, reused for every case: setContent, then each viewport
// in turn (resizing re-evaluates media queries and layout), then one evaluate per viewport.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

// Mail clients' viewports: width x height (screen media) and device pixel ratio, the same
// table as content/css_media.c (docs/content.md). The heights matter for height/orientation
// queries: 320 and 375 are phones (portrait, 2 dppx), 600 a tablet/reading pane (portrait),
// 800 and 1280 desktops (landscape).
export const VIEWPORTS = [
	{ width: 320, height: 568, dppx: 2 }, { width: 375, height: 667, dppx: 2 },
	{ width: 600, height: 800, dppx: 1 }, { width: 800, height: 600, dppx: 1 },
	{ width: 1280, height: 800, dppx: 1 },
];
// Thresholds (documented in docs/content.md): what a person can see.
export const THRESHOLDS = {
	minOpacity: 0.1, // effective opacity (product over the ancestors) at or below: invisible
	minContrast: 1.2, // WCAG contrast ratio of the blended text colour on its background
	minHeight: 3, // px: the marker's painted box (after transforms and clipping)
	minWidth: 2, // px
	pageRight: 1280, // px: the page extends at least this far right (wide layouts scroll)
	pageSlack: 50, // px below the in-flow content still counted as page
};

export function chromiumPath() {
	for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
		if (p && fs.existsSync(p)) return p;
	}
	return null;
}

export async function launch() {
	const exe = chromiumPath();
	if (!exe) throw new Error('chromium not found (apt-get install chromium, or set CHROMIUM)');
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'igvis-profile-'));
	const browser = await puppeteer.launch({
		executablePath: exe,
		headless: true,
		userDataDir: profile,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--disable-extensions', '--disable-dev-shm-usage', '--font-render-hinting=none',
			'--force-color-profile=srgb', '--hide-scrollbars', '--mute-audio'],
		timeout: 60000,
		protocolTimeout: 60000,
	});
	const page = await browser.newPage();
	// Mail has no scripts: none run. Our evaluate calls go through the DevTools protocol.
	await page.setJavaScriptEnabled(false);
	await page.setRequestInterception(true);
	page.on('request', (req) => {
		// nothing leaves the machine: the document itself is set by setContent
		if (req.url().startsWith('data:') || req.url() === 'about:blank') req.continue();
		else req.abort('blockedbyclient');
	});
	await page.emulateMediaType('screen');
	return {
		browser, page, profile,
		async close() {
			await browser.close().catch(() => {});
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

// Runs in the page: the verdict for each marker at the current viewport.
// Returns {marker: reason} where reason is "" for visible, else why it is hidden.
function judgeInPage(markers, T) {
	const vw = window.innerWidth;
	const out = {};
	// computed displays whose boxes overflow does not apply to
	const NO_OVERFLOW = new Set(['inline', 'contents', 'none', 'table-row', 'table-row-group',
		'table-header-group', 'table-footer-group', 'table-column', 'table-column-group']);
	const docEl = document.documentElement;
	const flowBottom = Math.max(window.innerHeight, docEl.getBoundingClientRect().bottom + window.scrollY) + T.pageSlack;
	const pageRight = Math.max(vw, T.pageRight);
	const texts = [];
	const walker = document.createTreeWalker(docEl, NodeFilter.SHOW_TEXT);
	for (let t = walker.nextNode(); t; t = walker.nextNode()) {
		if (t.data.includes('mk')) texts.push(t);
	}
	const parseColor = (s) => {
		const m = /rgba?\(([^)]+)\)/.exec(s);
		if (!m) {
			if (s === 'transparent') return [0, 0, 0, 0];
			return null; // color(...), oklab() etc.: not expected from computed style here
		}
		const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
		return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
	};
	const over = (fg, bg) => { // fg (rgba) composited over opaque bg (rgb)
		const a = fg[3];
		return [fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a)];
	};
	const lum = (c) => {
		const f = (v) => {
			v /= 255;
			return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
		};
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
	};
	const contrast = (a, b) => {
		const la = lum(a), lb = lum(b);
		return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
	};
	const px = (v, ref) => (v.endsWith('%') ? (parseFloat(v) / 100) * ref : parseFloat(v) || 0);
	const intersect = (a, b) => ({ l: Math.max(a.l, b.l), t: Math.max(a.t, b.t), r: Math.min(a.r, b.r), b: Math.min(a.b, b.b) });
	// The region of element e that its clip-path leaves, in viewport coordinates, or null
	// for no clipping. Handles inset(), circle(), ellipse(), polygon() (bounding box).
	const clipPathBox = (e, cp) => {
		const bb = e.getBoundingClientRect();
		const w = bb.width, h = bb.height;
		let m;
		if ((m = /^inset\(([^)]*)\)/.exec(cp))) {
			const v = m[1].split(' round ')[0].trim().split(/\s+/);
			const [t, rr, b, l] = [v[0], v[1] ?? v[0], v[2] ?? v[0], v[3] ?? v[1] ?? v[0]];
			return { l: bb.left + px(l, w), t: bb.top + px(t, h), r: bb.right - px(rr, w), b: bb.bottom - px(b, h) };
		}
		if ((m = /^(circle|ellipse)\(([^)]*)\)/.exec(cp))) {
			const [radii, at] = m[2].split(' at ');
			const rs = radii.trim().split(/\s+/).filter(Boolean);
			const rx = rs.length ? px(rs[0], w) : Math.min(w, h) / 2;
			const ry = rs.length > 1 ? px(rs[1], h) : (m[1] === 'circle' ? rx : Math.max(h / 2, 0));
			let cx = bb.left + w / 2, cy = bb.top + h / 2;
			if (at) {
				const a = at.trim().split(/\s+/);
				cx = bb.left + px(a[0], w);
				cy = bb.top + px(a[1] ?? '50%', h);
			}
			return { l: cx - rx, t: cy - ry, r: cx + rx, b: cy + ry };
		}
		if ((m = /^polygon\(([^)]*)\)/.exec(cp))) {
			let l = Infinity, t = Infinity, rr = -Infinity, b = -Infinity;
			for (const pt of m[1].replace(/^(nonzero|evenodd),/, '').split(',')) {
				const [x, y] = pt.trim().split(/\s+/);
				const X = bb.left + px(x, w), Y = bb.top + px(y, h);
				l = Math.min(l, X); rr = Math.max(rr, X); t = Math.min(t, Y); b = Math.max(b, Y);
			}
			return { l, t, r: rr, b };
		}
		return null; // url(), path(): not generated; no clipping assumed
	};
	// The rectangle a `clip: rect(...)` leaves (absolutely positioned elements only).
	const clipRectBox = (e, clip) => {
		const m = /^rect\(([^)]*)\)/.exec(clip);
		if (!m) return null;
		const v = m[1].split(/[\s,]+/).filter(Boolean);
		const bb = e.getBoundingClientRect();
		const edge = (s, auto) => (s === 'auto' ? auto : parseFloat(s));
		return { t: bb.top + edge(v[0], 0), r: bb.left + edge(v[1], bb.width), b: bb.top + edge(v[2], bb.height), l: bb.left + edge(v[3], 0) };
	};
	for (const mk of markers) {
		const node = texts.find((t) => t.data.includes(mk));
		if (!node) {
			out[mk] = 'not-rendered'; // comment, template, <title>, conditional comment
			continue;
		}
		const el = node.parentElement;
		const at = node.data.indexOf(mk);
		const range = document.createRange();
		range.setStart(node, at);
		range.setEnd(node, at + mk.length);
		const rects = [...range.getClientRects()].filter((q) => q.width > 0 && q.height > 0);
		if (rects.length === 0) {
			out[mk] = 'no-box';
			continue;
		}
		const cs = getComputedStyle(el);
		// content skipped by `content-visibility:hidden` (on an ancestor box, including
		// the UA's ::details-content of a closed <details>) is not painted, but reading its
		// client rects forces its layout. Walk the ancestors: content-visibility applies
		// where chromium applies it (checked with screenshots: not to inline, ruby, table,
		// inline-table, rows, row groups or columns; to table-cell and table-caption; a
		// display:contents element has no box), and in a closed <details> everything but
		// its first <summary> child is skipped. checkVisibility() is the backstop.
		const cvApplies = (d) => !(d === 'inline' || d === 'contents' || d.startsWith('ruby') ||
			d === 'inline-table' || (d.startsWith('table') && d !== 'table-cell' && d !== 'table-caption'));
		let skipped = false;
		for (let e = el, from = null; e && !skipped; from = e, e = e.parentElement) {
			const s = getComputedStyle(e);
			if (s.contentVisibility === 'hidden' && cvApplies(s.display)) skipped = true;
			if (e.localName === 'details' && !e.open &&
				!(from && from.localName === 'summary' && from === e.querySelector(':scope > summary'))) skipped = true;
			if (s.display !== 'contents' && !e.checkVisibility()) skipped = true;
		}
		if (skipped) {
			out[mk] = 'skipped';
			continue;
		}
		if (cs.visibility !== 'visible') {
			out[mk] = 'visibility';
			continue;
		}
		// effective opacity; background blended from the canvas down
		let opacity = 1;
		const chain = [];
		for (let e = el; e; e = e.parentElement) {
			chain.push(e);
			opacity *= parseFloat(getComputedStyle(e).opacity);
		}
		if (opacity <= T.minOpacity) {
			out[mk] = 'opacity';
			continue;
		}
		// clipping by ancestors: overflow (unless an absolutely positioned box between
		// escapes it), clip (absolutely positioned boxes), clip-path (every box)
		let box = { l: -Infinity, t: -Infinity, r: Infinity, b: Infinity };
		let escape = null; // 'abs' | 'fixed' while inside such a box
		for (const e of chain) {
			const s = getComputedStyle(e);
			const positioned = s.position !== 'static';
			const isAnchor = escape === 'abs' ? positioned : escape === 'fixed' ? (s.transform !== 'none') : true;
			if (escape && isAnchor) escape = null;
			// overflow applies to block containers, flex and grid containers only: not
			// to inline boxes (whose clientWidth is 0), display:contents, or table rows,
			// row groups and columns, whatever getComputedStyle reports for it
			if (!escape && e !== docEl && e !== document.body && !NO_OVERFLOW.has(s.display)) {
				const bb = e.getBoundingClientRect();
				// overflow does not apply to non-replaced inline boxes (their clientWidth
				// and clientHeight are 0) nor to display:contents (no box)
				const noClip = s.display === 'inline' || s.display === 'contents';
				const ox = !noClip && s.overflowX !== 'visible', oy = !noClip && s.overflowY !== 'visible';
				if (ox || oy) {
					const pb = { l: bb.left + e.clientLeft, t: bb.top + e.clientTop, r: bb.left + e.clientLeft + e.clientWidth, b: bb.top + e.clientTop + e.clientHeight };
					box = intersect(box, { l: ox ? pb.l : -Infinity, r: ox ? pb.r : Infinity, t: oy ? pb.t : -Infinity, b: oy ? pb.b : Infinity });
				}
			}
			if ((s.position === 'absolute' || s.position === 'fixed') && s.clip !== 'auto') {
				const c = clipRectBox(e, s.clip);
				if (c) box = intersect(box, c);
			}
			if (s.clipPath && s.clipPath !== 'none') {
				const c = clipPathBox(e, s.clipPath);
				if (c) box = intersect(box, c);
			}
			if (s.position === 'absolute' && !escape) escape = 'abs';
			if (s.position === 'fixed') escape = 'fixed';
		}
		// the page a person can scroll over: no negative coordinates, at least
		// pageRight wide, as deep as the in-flow content
		box = intersect(box, { l: 0, t: 0, r: pageRight, b: flowBottom });
		let best = null;
		for (const q of rects) {
			const v = intersect({ l: q.left, t: q.top + window.scrollY, r: q.right, b: q.bottom + window.scrollY }, box);
			const w = v.r - v.l, h = v.b - v.t;
			if (w >= T.minWidth && h >= T.minHeight) {
				best = true;
				break;
			}
			if (w > 0 && h > 0) best = best || 'tiny';
		}
		if (best !== true) {
			const anyOn = rects.some((q) => q.height >= T.minHeight && q.width >= T.minWidth);
			out[mk] = best === 'tiny' || !anyOn ? 'tiny' : 'clipped-or-offscreen';
			continue;
		}
		// contrast: text colour (with its alpha and the effective opacity) over the
		// background composited from the white canvas through every ancestor
		let bg = [255, 255, 255];
		let bgKnown = true;
		for (let i = chain.length - 1; i >= 0; i--) {
			const s = getComputedStyle(chain[i]);
			const c = parseColor(s.backgroundColor);
			if (!c) bgKnown = false;
			else if (c[3] > 0) bg = over(c, bg);
			if (s.backgroundImage !== 'none') bgKnown = false;
		}
		let fg = parseColor(cs.webkitTextFillColor || cs.color) || parseColor(cs.color);
		if (fg && bgKnown) {
			const blended = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
			if (contrast(blended, bg) < T.minContrast) {
				out[mk] = 'contrast';
				continue;
			}
		}
		out[mk] = '';
	}
	return out;
}

// The verdicts for one case: {marker: {visible, viewports: {320: reason, ...}}}
// reason "" = visible at that viewport.
export async function judge(o, c) {
	const { page } = o;
	const ids = c.markers.map((m) => m.id);
	const per = {};
	for (const id of ids) per[id] = { visible: false, viewports: {} };
	let first = true;
	for (const vp of VIEWPORTS) {
		await page.setViewport({ width: vp.width, height: vp.height, deviceScaleFactor: vp.dppx });
		if (first) {
			await page.setContent(c.html, { waitUntil: 'load', timeout: 30000 });
			first = false;
		}
		const res = await page.evaluate(judgeInPage, ids, THRESHOLDS);
		for (const id of ids) {
			per[id].viewports[vp.width] = res[id];
			if (res[id] === '') per[id].visible = true;
		}
	}
	return per;
}
