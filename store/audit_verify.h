#ifndef IG_STORE_AUDIT_VERIFY_H
#define IG_STORE_AUDIT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Reading the audit log: `imapgate audit verify` and `audit query`
 * (docs/audit.md). Readers take no lock: records are whole lines written
 * with one write(2), so a reader sees complete lines plus, at worst, the
 * beginning of one being written — reported as a torn final record. */

struct json_object;

/* The files of a log in chain order: path itself when it is a file; for a
 * directory its audit-<n>.jsonl by ascending n, then audit.jsonl (at most
 * LIM_AUDIT_FILES). *paths_r is a heap array of heap strings (free each,
 * then the array). IG_ENOTFOUND when a directory holds no log file. */
enum ig_err audit_log_files(const char *path, char ***paths_r, size_t *n_r) IG_MUST_CHECK;

struct audit_verify_report {
	uint64_t records;    /* complete records checked */
	size_t files;
	uint64_t first_seq;  /* of the first record (the anchor when not 1) */
	uint64_t last_seq;
	char last_sha256[65];/* hash of the last complete line (an external anchor) */
	bool ok;             /* no defect; a torn final record is tolerated */
	bool torn;           /* the last file ends with a torn (incomplete) record */
	size_t torn_bytes;
	/* The first defect (ok false) or the torn record (torn true): */
	char file[512];
	uint64_t line;       /* 1-based line number in file */
	uint64_t seq;        /* the bad record's seq when readable, else 0 */
	char why[200];
	/* audit_verify_checkpoint only: */
	bool checkpoint;          /* the checkpoint was checked */
	uint64_t checkpoint_seq;  /* the record it names (0: none written yet) */
	uint64_t after_checkpoint;/* 0, or 1 record written just before a crash */
};

/* Checks the hash chain of path (a file or a log directory, see
 * audit_log_files), across rotated files: every line a strict-JSON record
 * with the fields of store/audit.h, seq one above its predecessor's, prev the
 * SHA-256 of the previous line (all zeros before seq 1; the first record of
 * a single file or of a directory whose oldest files were removed is taken as
 * the anchor), rotated_from naming the previous file. Stops at the first
 * defect. anchor_seq/anchor_hex (0/NULL: none): the record with that seq
 * must exist and its line hash to anchor_hex — detects truncation at a
 * record boundary, which the chain alone cannot. Returns IG_OK with the
 * verdict in *r, or IG_EIO/IG_ENOTFOUND when the log cannot be read. */
enum ig_err audit_verify(const char *path, uint64_t anchor_seq, const char *anchor_hex,
			 struct audit_verify_report *r) IG_MUST_CHECK;

/* audit_verify, then the log against the checkpoint that the writer keeps in
 * data_dir (audit.head, MACed with audit.key; docs/audit.md, "Tamper
 * evidence"): the record the checkpoint names must be present with that line
 * hash, at most one record may follow it, no record may carry
 * checkpoint_mismatch. A missing key or checkpoint, or one that fails its MAC,
 * is a defect unless the log has no records. path must be the live log
 * (data_dir/audit or its audit.jsonl). */
enum ig_err audit_verify_checkpoint(const char *path, const char *data_dir, uint64_t anchor_seq,
				    const char *anchor_hex,
				    struct audit_verify_report *r) IG_MUST_CHECK;

/* Calls fn for every complete, parseable record of path in chain order
 * (torn and unparseable lines are skipped); rec is borrowed for the call.
 * fn returns false to stop. */
enum ig_err audit_scan(const char *path,
		       bool (*fn)(const char *line, size_t len, struct json_object *rec, void *ctx),
		       void *ctx) IG_MUST_CHECK;

/* Parses a time for --since/--until: RFC 3339 (2025-01-02T03:04:05Z,
 * fraction and ±hh:mm offset allowed, 'T' or ' ' or 't') or unix seconds.
 * *ms_r: milliseconds since the epoch. */
bool audit_time_parse(const char *s, size_t len, int64_t *ms_r);

#endif
