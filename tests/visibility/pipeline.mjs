// imapgate's side of the comparison: each case wrapped as a one-part text/html message
// and run through `BUILD/imapgate sanitize` (one process per case; the processes of a
// batch run in parallel). The result per case: body_text and the hidden-content warnings.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function toEml(c) {
	const b64 = Buffer.from(c.html, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
	return [
		'From: Example News <news@example.com>',
		'To: reader@example.org',
		`Subject: Visibility case ${c.id}`,
		'Date: Mon, 03 Mar 2025 09:00:00 +0000',
		`Message-ID: <${c.id}@visibility.example.com>`,
		'MIME-Version: 1.0',
		'Content-Type: text/html; charset=utf-8',
		'Content-Transfer-Encoding: base64',
		'',
		b64,
		'',
	].join('\r\n');
}

export function findBinary(build) {
	for (const name of ['imapgate', 'imapgate-test']) {
		const p = path.join(build, name);
		if (fs.existsSync(p)) return p;
	}
	throw new Error(`no imapgate binary in ${build}`);
}

function sanitizeOne(bin, eml) {
	return new Promise((resolve) => {
		const p = spawn(bin, ['sanitize', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
		const out = [], err = [];
		p.stdout.on('data', (d) => out.push(d));
		p.stderr.on('data', (d) => err.push(d));
		const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
		p.on('close', (code, sig) => {
			clearTimeout(timer);
			const stdout = Buffer.concat(out).toString('utf8');
			const stderr = Buffer.concat(err).toString('utf8');
			let json = null;
			try {
				json = JSON.parse(stdout);
			} catch { /* below */ }
			if (code !== 0 || !json || json.error) {
				resolve({ error: `exit ${code}${sig ? ' ' + sig : ''}: ${(json && json.error && json.error.code) || stderr.slice(0, 300)}`, stderr });
				return;
			}
			const warnings = (json.security_warnings || []).filter((w) => w.code === 'html_hidden_content_detected')
				.map((w) => w.detail || '');
			resolve({ body: (json.untrusted && json.untrusted.body_text) || '', warnings, stderr });
		});
		p.stdin.on('error', () => {});
		p.stdin.end(eml);
	});
}

// Runs the cases with `jobs` processes at a time; returns results in order.
export async function sanitizeAll(bin, cases, jobs = 2) {
	const res = new Array(cases.length);
	let next = 0;
	const worker = async () => {
		while (next < cases.length) {
			const i = next++;
			res[i] = await sanitizeOne(bin, toEml(cases[i]));
		}
	};
	await Promise.all(Array.from({ length: Math.min(jobs, cases.length) }, worker));
	return res;
}
