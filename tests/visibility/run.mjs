// The comparison: generated cases judged by the browser oracle and by imapgate's pipeline.
// THE PROPERTY: every marker the browser shows (in at least one viewport) is in body_text;
// every marker it hides (in every viewport) is absent from body_text.
//
// usage: node run.mjs --build DIR [--seeds START:COUNT] [--time-limit S] [--jobs N]
//                     [--known FILE [--tap]] [--update-known FILE] [--out DIR]
//                     [--cache DIR] [--json FILE] [--quiet]
//   --known FILE        compare with the expected disagreements; exit 1 on any change
//   --tap               TAP lines (ok - / not ok -) for the integration suite
//   --update-known FILE write the disagreements of this run as the new expectations
//   --out DIR           write every disagreeing case there (case.html, case.eml, verdict.json)
//   --cache DIR         reuse the browser's verdicts per case (keyed by generator, oracle
//                       and chromium versions): re-running after an engine change costs
//                       only the pipeline
import fs from 'node:fs';
import path from 'node:path';
import { generateCase, GEN_VERSION } from './gen.mjs';
import { launch, judge, THRESHOLDS, VIEWPORTS } from './oracle.mjs';
import { sanitizeAll, findBinary, toEml } from './pipeline.mjs';

const ORACLE_VERSION = 5; // bump when judgeInPage or the thresholds change

const args = process.argv.slice(2);
const opt = (name, def) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : def;
};
const flag = (name) => args.includes(name);
const build = opt('--build');
if (!build) {
	console.error('usage: node run.mjs --build DIR [--seeds START:COUNT] [--time-limit S] [--known FILE] [--tap] [--update-known FILE] [--out DIR] [--cache DIR] [--json FILE]');
	process.exit(2);
}
const [seedStart, seedCount] = opt('--seeds', '1:300').split(':').map(Number);
const timeLimit = Number(opt('--time-limit', '0')) * 1000;
const jobs = Number(opt('--jobs', '2'));
const tap = flag('--tap');
const quiet = flag('--quiet');
const knownFile = opt('--known');
const updateFile = opt('--update-known');
const outDir = opt('--out');
const cacheDir = opt('--cache');
const jsonFile = opt('--json');
const batch = 20;

const log = (s) => { if (!quiet) process.stderr.write(s + '\n'); };
// the coarse class of a fine one: "sel:attr~=:i" -> "sel:attr", "sel:struct:nth-child" -> "sel:struct"
const coarse = (c) => {
	const p = c.split(':');
	const head = p.length > 1 ? p[0] + ':' + p[1].replace(/[~|^$*]?=.*$|\[\]$/, '') : p[0];
	return head;
};

const t0 = Date.now();
const bin = findBinary(build);
const o = await launch();
const chromeVersion = await o.browser.version();
log(`visibility: ${chromeVersion}, ${bin}, seeds ${seedStart}..${seedStart + seedCount - 1}`);

const results = []; // per case
let oracleMs = 0, pipeMs = 0;
const cacheKey = (seed) => path.join(cacheDir, `g${GEN_VERSION}-o${ORACLE_VERSION}-${chromeVersion.replace(/[^\w.]/g, '_')}`, `${seed}.json`);
try {
	for (let s = seedStart; s < seedStart + seedCount; s += batch) {
		if (timeLimit && Date.now() - t0 > timeLimit) {
			log(`visibility: time limit reached after ${results.length} cases`);
			break;
		}
		const cases = [];
		for (let k = s; k < Math.min(s + batch, seedStart + seedCount); k++) cases.push(generateCase(k));
		const tp = Date.now();
		const pipeP = sanitizeAll(bin, cases, jobs).then((r) => { pipeMs += Date.now() - tp; return r; });
		const to = Date.now();
		const verdicts = [];
		for (const c of cases) {
			let v = null;
			const ck = cacheDir ? cacheKey(c.seed) : null;
			if (ck && fs.existsSync(ck)) v = JSON.parse(fs.readFileSync(ck, 'utf8'));
			if (!v) {
				v = await judge(o, c);
				if (ck) {
					fs.mkdirSync(path.dirname(ck), { recursive: true });
					fs.writeFileSync(ck, JSON.stringify(v));
				}
			}
			verdicts.push(v);
		}
		oracleMs += Date.now() - to;
		const piped = await pipeP;
		cases.forEach((c, i) => results.push(compare(c, verdicts[i], piped[i])));
		if (!quiet && results.length % 100 === 0) log(`visibility: ${results.length} cases`);
	}
} finally {
	await o.close();
}
const elapsed = (Date.now() - t0) / 1000;

function compare(c, verdict, piped) {
	const markers = [];
	for (const m of c.markers) {
		const v = verdict[m.id];
		const kept = piped.error ? null : piped.body.includes(m.id);
		const vis = v.visible;
		const partial = vis && Object.values(v.viewports).some((r) => r !== '');
		let outcome;
		if (kept === null) outcome = vis ? 'false-hide' : 'agree';
		else if (vis && !kept) outcome = 'false-hide';
		else if (!vis && kept) outcome = 'leak';
		else outcome = 'agree';
		markers.push({ id: m.id, classes: m.classes, intent: m.intent, visible: vis, partial, kept, outcome, viewports: v.viewports });
	}
	return { id: c.id, seed: c.seed, layout: c.layout, error: piped.error || null, warnings: piped.warnings || [], markers, agree: markers.every((m) => m.outcome === 'agree') };
}

// ---- statistics --------------------------------------------------------------
const stats = {}; // class -> counters
const bump = (cls, m) => {
	const s = stats[cls] || (stats[cls] = { markers: 0, agree: 0, falseHide: 0, leak: 0, hidden: 0, partial: 0 });
	s.markers++;
	if (m.outcome === 'agree') s.agree++;
	if (m.outcome === 'false-hide') s.falseHide++;
	if (m.outcome === 'leak') s.leak++;
	if (!m.visible) s.hidden++;
	if (m.partial) s.partial++;
};
for (const r of results) {
	for (const m of r.markers) {
		bump('all', m);
		const cl = new Set(m.classes.map(coarse));
		for (const c of cl) bump(c, m);
	}
}
const finestats = {};
for (const r of results) for (const m of r.markers) for (const c of new Set(m.classes)) {
	const s = finestats[c] || (finestats[c] = { markers: 0, agree: 0, falseHide: 0, leak: 0 });
	s.markers++;
	s[m.outcome === 'agree' ? 'agree' : m.outcome === 'leak' ? 'leak' : 'falseHide']++;
}
const casesAgree = results.filter((r) => r.agree).length;
const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) : '-');

const disagreements = (r) => {
	const d = {};
	for (const m of r.markers) if (m.outcome !== 'agree') d[m.id] = m.outcome;
	return d;
};
const reasonOf = (r) => {
	const parts = [];
	if (r.error) parts.push(`pipeline error: ${r.error.slice(0, 80)}`);
	for (const m of r.markers) {
		if (m.outcome === 'agree') continue;
		parts.push(`${m.outcome} ${m.id} [${[...new Set(m.classes)].join(' ')}]`);
	}
	return parts.join('; ');
};

// ---- disagreeing cases to a directory ------------------------------------------
if (outDir) {
	fs.mkdirSync(outDir, { recursive: true });
	for (const r of results) {
		if (r.agree) continue;
		const c = generateCase(r.seed);
		const d = path.join(outDir, r.id);
		fs.mkdirSync(d, { recursive: true });
		fs.writeFileSync(path.join(d, 'case.html'), c.html);
		fs.writeFileSync(path.join(d, 'case.eml'), toEml(c));
		fs.writeFileSync(path.join(d, 'verdict.json'), JSON.stringify({ id: r.id, seed: r.seed, reason: reasonOf(r), error: r.error, warnings: r.warnings, markers: r.markers.filter((m) => m.outcome !== 'agree') }, null, 1) + '\n');
	}
}

// ---- report --------------------------------------------------------------------
const order = Object.keys(stats).sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)));
const report = [];
report.push(`cases: ${results.length}, agreeing ${casesAgree} (${pct(casesAgree, results.length)}%); ${(results.length / elapsed).toFixed(1)} cases/s (browser ${(oracleMs / 1000).toFixed(1)} s, pipeline ${(pipeMs / 1000).toFixed(1)} s wall, total ${elapsed.toFixed(1)} s)`);
report.push(`${'class'.padEnd(24)} ${'markers'.padStart(7)} ${'hidden'.padStart(6)} ${'agree%'.padStart(6)} ${'false-hide'.padStart(10)} ${'leak'.padStart(5)} ${'partial'.padStart(7)}`);
for (const c of order) {
	const s = stats[c];
	report.push(`${c.padEnd(24)} ${String(s.markers).padStart(7)} ${String(s.hidden).padStart(6)} ${pct(s.agree, s.markers).padStart(6)} ${String(s.falseHide).padStart(10)} ${String(s.leak).padStart(5)} ${String(s.partial).padStart(7)}`);
}
if (!tap) console.log(report.join('\n'));
else for (const l of report) console.log('# ' + l);

if (jsonFile) {
	fs.writeFileSync(jsonFile, JSON.stringify({ chromium: chromeVersion, generator: GEN_VERSION, oracle: ORACLE_VERSION, thresholds: THRESHOLDS, viewports: VIEWPORTS, seeds: `${seedStart}:${seedCount}`, elapsed, stats, finestats, results }, null, 1) + '\n');
}

if (updateFile) {
	const cases = {};
	for (const r of results) if (!r.agree) cases[r.id] = { reason: reasonOf(r), markers: disagreements(r) };
	fs.writeFileSync(updateFile, JSON.stringify({
		comment: 'Cases of the CI seed set where imapgate disagrees with the browser today. Regenerate with tests/visibility/update-known after a fix; the list must only shrink.',
		generator: GEN_VERSION, oracle: ORACLE_VERSION, seeds: `${seedStart}:${seedCount}`, cases,
	}, null, 1) + '\n');
	log(`visibility: wrote ${Object.keys(cases).length} known disagreements to ${updateFile}`);
}

let failed = false;
if (knownFile) {
	const known = JSON.parse(fs.readFileSync(knownFile, 'utf8'));
	const say = (ok, msg) => {
		console.log(`${ok ? 'ok' : 'not ok'} - ${msg}`);
		if (!ok) failed = true;
	};
	say(results.length === seedCount, `visibility: ${results.length} of ${seedCount} cases ran (${chromeVersion}, ${elapsed.toFixed(0)} s)`);
	if (known.generator !== GEN_VERSION || known.oracle !== ORACLE_VERSION) {
		say(false, `known.json is for generator ${known.generator}/oracle ${known.oracle}, this is ${GEN_VERSION}/${ORACLE_VERSION}: run tests/visibility/update-known`);
	}
	// sanity of the oracle itself: undecorated text in normal layouts is visible
	const plain = results.flatMap((r) => r.markers.filter((m) => m.classes.length === 1 && m.classes[0] === 'plain'));
	const plainVis = plain.filter((m) => m.visible).length;
	say(plain.length > 0 && plainVis >= 0.95 * plain.length, `oracle sanity: ${plainVis} of ${plain.length} plain text runs visible in the browser`);
	const errs = results.filter((r) => r.error);
	say(errs.length === 0, `pipeline ran on every case${errs.length ? ` (${errs.length} errors, first ${errs[0].id}: ${errs[0].error})` : ''}`);
	// changes against the expectations, per marker
	const newD = [], fixed = [];
	const changedClasses = new Map();
	const note = (m, what) => {
		for (const c of new Set(m.classes.map(coarse))) {
			if (!changedClasses.has(c)) changedClasses.set(c, []);
			changedClasses.get(c).push(what);
		}
	};
	for (const r of results) {
		const want = (known.cases[r.id] && known.cases[r.id].markers) || {};
		for (const m of r.markers) {
			const exp = want[m.id] || 'agree';
			if (exp === m.outcome) continue;
			const what = `${r.id} ${m.id}: ${exp} -> ${m.outcome}`;
			(m.outcome === 'agree' ? fixed : newD).push(what);
			note(m, what);
		}
		for (const id of Object.keys(want)) {
			if (!r.markers.some((m) => m.id === id)) fixed.push(`${r.id} ${id}: ${want[id]} -> no such marker`);
		}
	}
	const nk = Object.keys(known.cases).filter((id) => results.some((r) => r.id === id)).length;
	say(newD.length === 0, `no new disagreement with the browser${newD.length ? ` (${newD.length}: ${newD.slice(0, 8).join(', ')})` : ''}`);
	say(fixed.length === 0, `no known disagreement now agrees${fixed.length ? ` (${fixed.length}: ${fixed.slice(0, 8).join(', ')}; shrink the list: tests/visibility/update-known)` : ''} (${nk} cases known)`);
	for (const c of order) {
		const s = stats[c];
		const ch = changedClasses.get(c) || [];
		say(ch.length === 0, `class ${c}: ${s.markers} markers, ${s.agree} agree (${pct(s.agree, s.markers)}%), ${s.falseHide} false-hides, ${s.leak} leaks${ch.length ? `; ${ch.length} changed vs known.json` : ''}`);
	}
}
process.exit(failed ? 1 : 0);
