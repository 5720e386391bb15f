#ifndef IG_BASE_LIMITS_H
#define IG_BASE_LIMITS_H

#include <stddef.h>

/* Every limit on untrusted input, with its reason. Configurable limits take
 * these as defaults (docs/configuration.md). */

/* HTTP (server/) */
#define LIM_HTTP_BODY ((size_t)1024 * 1024)        /* JSON-RPC request body after auth */
#define LIM_HTTP_BODY_PREAUTH ((size_t)8 * 1024)   /* body accepted before the token is checked */
#define LIM_HTTP_HEADERS 64                /* header lines per request */
#define LIM_HTTP_HEADER_BYTES ((size_t)16 * 1024)  /* request line + headers (MHD memory pool) */
#define LIM_HTTP_CONNECTIONS 512           /* concurrent connections */
#define LIM_HTTP_CONN_PER_IP 256           /* one misbehaving peer cannot take every slot */
#define LIM_HTTP_TIMEOUT_S 30              /* idle connection without a request in flight */
#define LIM_HTTP_REQUEST_S 30              /* whole request (head and body) from open or the
					      previous response: slow senders cannot hold a slot */
#define LIM_HTTP_STREAMS_PER_TOKEN 128     /* SSE responses one token keeps open: twice its
					      LIM_SESSIONS_PER_TOKEN standalone streams, so
					      evicting its oldest session frees one first */
#define LIM_HTTP_CALLS_PER_TOKEN 256       /* other /mcp requests of one token in progress */
#define LIM_HTTP_ARENA ((size_t)4 * 1024 * 1024)   /* per-request arena cap */
#define LIM_HTTP_SHUTDOWN_S 10             /* drain deadline on SIGTERM */

/* JSON-RPC / MCP (server/) */
#define LIM_JSON_DEPTH 32           /* nesting of arrays/objects */
#define LIM_JSON_KEYS 1024          /* members in one object (duplicate check is per object) */
#define LIM_JSON_STRING ((size_t)1024 * 1024) /* one string value */
#define LIM_BATCH 32                /* entries in a 2025-03-26 batch */
#define LIM_SESSIONS 4096           /* legacy sessions held at once */
#define LIM_SESSIONS_PER_TOKEN 64   /* one token's share: its 65th evicts its own oldest idle one */
#define LIM_SESSION_IDLE_S 1800     /* a session unused this long expires */
#define LIM_SSE_REPLAY_EVENTS 64    /* events kept per stream for Last-Event-ID replay */
#define LIM_SSE_REPLAY_BYTES ((size_t)256 * 1024) /* bytes kept per stream for replay */
#define LIM_SSE_KEEPALIVE_S 15      /* comment line on idle SSE streams */
#define LIM_SSE_IDLE_S 600          /* an idle standalone GET stream is closed after this */
#define LIM_STREAM_QUEUE ((size_t)1024 * 1024) /* undelivered bytes queued on one SSE stream */
#define LIM_TOOL_RESULT (LIM_HTTP_BODY * 4 - (size_t)64 * 1024) /* one tool result, serialized:
						  it must fit an answer (LIM_HTTP_BODY * 4, the
						  JSON-RPC envelope and id included); a larger one
						  is the call's ERR_TOO_LARGE */
#define LIM_STREAM_EVENT (LIM_HTTP_BODY * 4 + (size_t)64 * 1024) /* one SSE event (a result
						  on a stream may be as large as a JSON answer) */
#define LIM_PROTOCOL_VERSION 32     /* length of a protocol version string */
#define LIM_METHOD_NAME 128         /* JSON-RPC method name */
#define LIM_TOOL_NAME 128           /* spec tool name rule: 1..128 chars */
#define LIM_TOOLS 256               /* tools in one registry (tools/list permission bitsets) */
#define LIM_HEADER_VALUE 1024       /* Mcp-Method/Mcp-Name/Mcp-Session-Id header values */

/* Tokens (store/) */
#define LIM_TOKEN_NAME 64    /* printable ASCII token label */
#define LIM_TOKEN_ACCOUNTS 64 /* accounts named on one token */

/* Operator users and console login (handlers/ops_user.c, docs/cli.md) */
#define LIM_USER_PASSWORD_MIN 12    /* characters (code points): length is what resists guessing */
#define LIM_USER_PASSWORD 1024      /* bytes: bounds the work one login hands to Argon2id */
#define LIM_LOGIN_NAMES 1024        /* login names (existing or not) with recent failures */
#define LIM_LOGIN_ADDRS 1024        /* client addresses with recent attempts */
#define LIM_LOGIN_CLIENT_ADDR 64    /* bytes of a client address as given (IPv6 text fits) */
#define LIM_LOGIN_WINDOW_S 900      /* failures older than this are forgotten */
#define LIM_LOGIN_USER_FAILS 5      /* failures of one name in the window before it is locked */
#define LIM_LOGIN_USER_LOCK_S 60    /* first lock of a name; doubles with each further failure */
#define LIM_LOGIN_USER_LOCK_MAX_S 900 /* ... up to this: a guessing attack gets ~100 tries a day,
					 a victim's own lock never lasts longer */
#define LIM_LOGIN_ADDR_FAILS 20     /* failures from one address in the window before it is locked
				       (more than one user's worth: a shared office NAT) */
#define LIM_LOGIN_ADDR_LOCK_S 900   /* lock of an address */
#define LIM_LOGIN_ADDR_RATE 30      /* attempts (any outcome) from one address per minute */
#define LIM_LOGIN_FAIL_CAP 1000000  /* a counter saturates here (per-entry cap) */
#define LIM_LOGIN_HASHES 2          /* Argon2id verifications at once (64 MiB each); more wait */

/* Configuration */
#define LIM_CONFIG_LINE 4096 /* one INI line */
#define LIM_ACCOUNT_NAME 64  /* [account NAME] */
#define LIM_ORIGINS 32       /* allowed_origins entries */

/* Tool work (handlers/) */
#define LIM_WORK_QUEUE 256   /* queued tool calls across the executor pool */
#define LIM_WORKERS 4        /* executor threads for tool calls */
#define LIM_TOOL_UIDS 100    /* UIDs one mutating call may name (DESIGN §5.3) */
#define LIM_LABEL 256        /* bytes of a keyword (label) a tool sets (DESIGN §5.3) */
#define LIM_EXPUNGE_COUNT 1000000 /* \Deleted UIDs counted before a whole-folder expunge (4 MB) */
#define LIM_PROTECTED_FOLDERS 64 /* protected_folders / expunge_folders entries per account */

/* Dispatch chain (handlers/dispatch.c, DESIGN §8) */
#define LIM_SCHEMA_DEPTH 16          /* nested schema levels the argument validator follows */
#define LIM_OVERRIDE_NAMES 64        /* names in one tools_allow / tools_deny list */
#define LIM_OVERRIDE_LIST 2048       /* bytes of one override list (token row or config) */
#define LIM_LIST_CACHE 1024          /* distinct tools/list permission sets cached */
#define LIM_RATE_BUCKETS 65536       /* rate-limit buckets held (tokens x accounts x classes) */
#define LIM_RATE_SHARDS 64           /* lock shards: a tenant at its limit never waits for another */
#define LIM_RATE_COUNT 1000000       /* largest N in an "N/unit" rate */
#define LIM_BREAKER_ERRORS 5         /* service-health errors that open a breaker ... */
#define LIM_BREAKER_WINDOW_MS 30000  /* ... within this sliding window */
#define LIM_BREAKER_COOLDOWN_MS 5000 /* first open period; doubles on every failed probe */
#define LIM_BREAKER_COOLDOWN_MAX_MS 300000 /* cap of the doubling cooldown */
#define LIM_BREAKER_PROBE_MS ((LIM_IMAP_JOB_S + 30) * 1000) /* a probe never reported back
							       this long is presumed lost */

/* IMAP (imap/) */
#define LIM_IMAP_LINE ((size_t)64 * 1024)    /* one response line outside literals */
#define LIM_IMAP_LITERAL ((size_t)25 * 1024 * 1024) /* one literal: the message size cap */
#define LIM_IMAP_RESPONSE ((size_t)32 * 1024 * 1024) /* one response, lines and literals together */
#define LIM_IMAP_LITERALS 4096               /* literals in one response */
#define LIM_IMAP_NEST 32                     /* '(' depth per response */
#define LIM_IMAP_LIST_ITEMS 10000            /* values in one parenthesized list */
#define LIM_IMAP_VALUES 200000               /* values in one response (all lists together) */
#define LIM_IMAP_BODY_DEPTH 16               /* BODYSTRUCTURE part nesting */
#define LIM_IMAP_BODY_PARTS 1000             /* BODYSTRUCTURE parts in one message */
#define LIM_IMAP_ADDRESSES 1000              /* addresses in one ENVELOPE field */
#define LIM_IMAP_CAPS 256                    /* capability names kept */
#define LIM_IMAP_FOLDERS 10000               /* LIST entries kept for one account */
#define LIM_IMAP_MAILBOX 1024                /* mailbox name bytes (encoded or decoded) */
#define LIM_IMAP_ARG ((size_t)64 * 1024)     /* one command argument sent as string */
#define LIM_IMAP_UNTAGGED 1000000            /* untagged responses during one command */
#define LIM_IMAP_PREAUTH_RESPONSE ((size_t)64 * 1024) /* response size before login */
#define LIM_IMAP_QUEUE 32                    /* queued jobs per account worker */
#define LIM_IMAP_CONNECT_S 15                /* default connect + TLS + greeting deadline */
#define LIM_IMAP_COMMAND_S 60                /* default deadline of one command */
#define LIM_IMAP_JOB_S 120                   /* deadline of one job (several commands) */
#define LIM_IMAP_IDLE_LOGOUT_S 300           /* LOGOUT after this long without a job */
#define LIM_IMAP_BACKOFF_MAX_S 60            /* reconnect backoff cap */
#define LIM_IMAP_PASSWORD 1024               /* bytes read from password_file */
#define LIM_IMAP_TEXT 200                    /* server text kept in an error message */
#define LIM_IMAP_COPYUID 1000                /* UID pairs kept from one COPYUID code (more: unknown) */
#define LIM_IMAP_SKIP ((size_t)256 * 1024 * 1024) /* bytes of one over-limit FETCH response read
						   and dropped (imap/parse_skip.h); more
						   drops the connection */
#define LIM_IMAP_SEARCH_NUMS 5000000         /* numbers (SEARCH) or set elements (ESEARCH ALL) in one
                                               response: LIM_SYNC_UIDS, the largest folder listed */
#define LIM_IMAP_SEARCH_TOKEN 256            /* one token of a SEARCH/ESEARCH line (numbers, names, tag) */

/* Content (content/) -- DESIGN §5.2, §5.3. Structure over a limit is refused
 * (IG_ELIMIT -> ERR_TOO_LARGE); text over a limit is truncated with
 * parse_body_truncated. */
#define LIM_MIME_MESSAGE ((size_t)25 * 1024 * 1024)/* raw message accepted by the pipeline */
#define LIM_MIME_DEPTH 8                     /* multipart/message nesting above a leaf */
#define LIM_MIME_PARTS 100                   /* entities (containers and leaves) per message */
#define LIM_MIME_HEADERS 256                 /* header fields in one header block */
#define LIM_MIME_HEADER_VALUE ((size_t)8 * 1024)/* one unfolded header value; longer is cut */
#define LIM_MIME_TEXT_PART ((size_t)1024 * 1024)/* decoded UTF-8 of one text part; longer is cut */
#define LIM_MIME_TEXT_TOTAL ((size_t)4 * 1024 * 1024)/* decoded UTF-8 of all text parts together */
#define LIM_MIME_ADDRESSES 100               /* addresses kept per address header */
#define LIM_MIME_REFERENCES 100              /* message-ids kept from References */
#define LIM_MIME_PARAM_SECTIONS 64           /* RFC 2231 continuation sections per parameter */
#define LIM_MIME_FILENAME ((size_t)1024)     /* decoded filename before fname_sanitize's 255-byte cap */
#define LIM_MIME_SNIFF ((size_t)4096)        /* leading bytes inspected for magic numbers */
#define LIM_CONTENT_LINKS 200                /* link findings reported per message */

/* Cache and sync (store/cache.c, imap/sync.c) -- DESIGN §7, §13 */
#define LIM_CACHE_TEXT ((size_t)1024 * 1024)   /* one cached text column (subject, address list,
                                                  references...); longer values are cut */
#define LIM_CACHE_SUBJECT ((size_t)1000)       /* DESIGN §5.3: subject bytes kept */
#define LIM_CACHE_BODY ((size_t)64 * 1024)     /* sanitized body text indexed per message */
#define LIM_CACHE_STMTS 64                     /* search statement shapes kept prepared */
#define LIM_CACHE_HITS_SORT 1000               /* full-text hits up to which a search page
						  sorts the hits instead of walking the
						  folder's date index (bench/README.md) */
#define LIM_CACHE_HITS_TOP 10000               /* a full-text search keeps the offset + limit
						  newest hits in a heap (16 B each) while it
						  counts them; deeper pages use the
						  count + page statements */
#define LIM_CACHE_PAGES_KB 16384                /* SQLite page cache per connection (KiB) */
#define LIM_CACHE_BUSY_MS 5000                 /* SQLite busy_timeout: workers share cache.db */
#define LIM_SYNC_BATCH 2000                    /* envelopes fetched and committed per transaction
						  (bigger: fewer full-text segments to merge) */
#define LIM_SYNC_FETCH 6000                    /* UIDs per initial-sync UID FETCH, committed every
						  LIM_SYNC_BATCH inside the stream: a tool call
						  waits for at most one such command */
#define LIM_SYNC_UIDS 5000000                  /* UIDs of one folder listed by UID SEARCH */
#define LIM_SYNC_WARM 32                       /* folders kept warm per account */
#define LIM_SYNC_RECENT_S 3600                 /* a folder searched this recently stays warm */
#define LIM_SYNC_RETRY_S 30                    /* idle sync pause after a failure */
#define LIM_SYNC_FLAG_CHECK_S 900              /* default flag_check_s: a folder's cached flags
						  and counts compared in full with the server
						  again after this long (imap/sync.c) */
#define LIM_SEARCH_PAGE 100                    /* DESIGN §5.3: results per search page */
#define LIM_PROGRESS_MS 250                    /* least gap between two progress notifications of
						  one call (coalesced, never queued up) */
#define LIM_FETCH_CHUNK ((size_t)1024 * 1024)  /* bytes per partial UID FETCH of a large message: a
						  cancel or a progress report between chunks */
#define LIM_SEARCH_OFFSET 1000000              /* largest offset (cursor or explicit) */
#define LIM_SEARCH_TERM 1000                   /* one search criterion string (bytes) */
#define LIM_SEARCH_KEY 2048                    /* advanced_query bytes */
#define LIM_SEARCH_KEY_DEPTH 16                /* advanced_query '(' nesting */
#define LIM_SEARCH_KEY_TOKENS 256              /* advanced_query tokens */
#define LIM_SEARCH_SERVER_HITS 100000          /* UIDs taken from a server UID SEARCH */
/* Read tools (handlers/tools_fetch.c, tools_thread.c) -- DESIGN §4.3, §5.3. */
#define LIM_FOLDER_ARG 255                   /* folder name bytes a tool accepts (§5.3) */
#define LIM_FETCH_MESSAGE LIM_MIME_MESSAGE   /* a message fetch_message reads; over: ERR_TOO_LARGE */
#define LIM_ATTACHMENT_DOWNLOAD ((size_t)25 * 1024 * 1024) /* decoded bytes download_attachment returns */
#define LIM_PART_ID 64                       /* "1.2.3" section numbers */
#define LIM_THREAD_MESSAGES 100              /* envelopes get_thread returns (uids per call, §5.3) */
#define LIM_THREAD_IDS 32                    /* message-ids one thread search asks for */
#define LIM_MSGID 250                        /* bytes of one message-id used in a search */
#define LIM_LABELS 1000                      /* flags/keywords list_labels reports */
/* Audit log (store/audit*.c) -- DESIGN §9, docs/audit.md */
#define LIM_AUDIT_RECORD ((size_t)256 * 1024) /* one record line; the tail reader never reads more */
#define LIM_AUDIT_ARGS ((size_t)32 * 1024)   /* redacted arguments in one record; over: only their size */
#define LIM_AUDIT_VERBATIM ((size_t)2048)    /* a verbatim argument string; longer: "<long:N>" */
#define LIM_AUDIT_IDS 64                     /* ids listed in one result_summary (the rest counted) */
#define LIM_AUDIT_SCAN_NODES 100000          /* JSON nodes walked in one result looking for ids */
#define LIM_AUDIT_PROV_IDS 256               /* ids remembered per principal for provenance */
#define LIM_AUDIT_PROV_WINDOW_S 600          /* "read recently": the provenance window */
#define LIM_AUDIT_PROV_PRINCIPALS 1024       /* principals tracked (least recently used evicted) */
#define LIM_AUDIT_REJECTS_PER_MIN 60         /* 401 records per minute; more are only counted */
#define LIM_AUDIT_FILES 100000               /* rotated files verify/query consider */
#define LIM_AUDIT_MAX_BYTES_DEFAULT ((size_t)64 * 1024 * 1024) /* rotation size by default */
/* Composing and sending (imap/compose.c, imap/smtp.c, store/outbox.c, handlers/tools_send.c) --
 * DESIGN §4.3, §10. */
#define LIM_SEND_RCPTS 100                   /* to + cc + bcc of one message */
#define LIM_SEND_ADDRESS 254                 /* RFC 5321 §4.5.3.1.3 path minus the brackets */
#define LIM_SEND_LOCAL 64                    /* RFC 5321 §4.5.3.1.1 local part */
#define LIM_SEND_NAME 256                    /* display name bytes (UTF-8) */
#define LIM_SEND_SUBJECT 900                 /* subject bytes (UTF-8); encoded words fold */
#define LIM_SEND_BODY ((size_t)1024 * 1024)  /* body_text bytes */
#define LIM_SEND_MESSAGE ((size_t)4 * 1024 * 1024) /* composed MIME (QP expands ~3x at worst) */
#define LIM_SEND_MSGID 250                   /* one message id, brackets included */
#define LIM_SEND_REFERENCES 20               /* ids kept in References (parent's last ones) */
#define LIM_SEND_PATTERNS 64                 /* allowed_recipients entries */
#define LIM_SEND_QUOTA_DEFAULT 50            /* daily_send_quota when not set */
#define LIM_SEND_PARENT_HEADER ((size_t)64 * 1024) /* parent header bytes read for a reply */
#define LIM_OUTBOX_LIST 1000                 /* entries returned by one list */
#define LIM_SMTP_CONNECT_S 15                /* connect + TLS + greeting */
#define LIM_SMTP_TOTAL_S 120                 /* one whole SMTP transaction (smtp_timeout_s) */
#define LIM_SMTP_LOW_SPEED_S 30              /* abort when under 1 byte/s for this long */
#define LIM_SMTP_PASSWORD 1024               /* bytes read from smtp_password_file */

#endif
