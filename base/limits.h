#ifndef IG_BASE_LIMITS_H
#define IG_BASE_LIMITS_H

/* Every limit on untrusted input, with its reason. Configurable limits take
 * these as defaults (docs/configuration.md). */

/* HTTP (server/) */
#define LIM_HTTP_BODY (1024 * 1024)        /* JSON-RPC request body after auth */
#define LIM_HTTP_BODY_PREAUTH (8 * 1024)   /* body accepted before the token is checked */
#define LIM_HTTP_HEADERS 64                /* header lines per request */
#define LIM_HTTP_HEADER_BYTES (16 * 1024)  /* request line + headers (MHD memory pool) */
#define LIM_HTTP_CONNECTIONS 512           /* concurrent connections */
#define LIM_HTTP_CONN_PER_IP 256           /* one misbehaving peer cannot take every slot */
#define LIM_HTTP_TIMEOUT_S 30              /* idle connection without a request in flight */
#define LIM_HTTP_ARENA (4 * 1024 * 1024)   /* per-request arena cap */
#define LIM_HTTP_SHUTDOWN_S 10             /* drain deadline on SIGTERM */

/* JSON-RPC / MCP (server/) */
#define LIM_JSON_DEPTH 32           /* nesting of arrays/objects */
#define LIM_JSON_KEYS 1024          /* members in one object (duplicate check is per object) */
#define LIM_JSON_STRING (1024 * 1024) /* one string value */
#define LIM_BATCH 32                /* entries in a 2025-03-26 batch */
#define LIM_SESSIONS 4096           /* legacy sessions held at once */
#define LIM_SESSION_IDLE_S 1800     /* a session unused this long expires */
#define LIM_SSE_REPLAY_EVENTS 64    /* events kept per stream for Last-Event-ID replay */
#define LIM_SSE_REPLAY_BYTES (256 * 1024) /* bytes kept per stream for replay */
#define LIM_SSE_KEEPALIVE_S 15      /* comment line on idle SSE streams */
#define LIM_SSE_IDLE_S 600          /* an idle standalone GET stream is closed after this */
#define LIM_STREAM_QUEUE (1024 * 1024) /* undelivered bytes queued on one SSE stream */
#define LIM_PROTOCOL_VERSION 32     /* length of a protocol version string */
#define LIM_METHOD_NAME 128         /* JSON-RPC method name */
#define LIM_TOOL_NAME 128           /* spec tool name rule: 1..128 chars */
#define LIM_HEADER_VALUE 1024       /* Mcp-Method/Mcp-Name/Mcp-Session-Id header values */

/* Tokens (store/) */
#define LIM_TOKEN_NAME 64    /* printable ASCII token label */
#define LIM_TOKEN_ACCOUNTS 64 /* accounts named on one token */

/* Configuration */
#define LIM_CONFIG_LINE 4096 /* one INI line */
#define LIM_ACCOUNT_NAME 64  /* [account NAME] */
#define LIM_ORIGINS 32       /* allowed_origins entries */

/* Tool work (handlers/) */
#define LIM_WORK_QUEUE 256   /* queued tool calls across the executor pool */
#define LIM_WORKERS 4        /* executor threads for tool calls */

#endif
