#ifndef IG_STORE_STORE_INT_H
#define IG_STORE_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

/* Internals shared by the files of store/ (not for other modules). */

struct state;

/* The connection behind a struct state (borrowed). */
sqlite3 *state_db(struct state *st);
/* Records "state.db: what: <sqlite message>" as the thread's state_errmsg()
 * and returns it. */
const char *state_err_set(const char *what, sqlite3 *db);
/* The data_dir state_open was given (borrowed, lives as long as st). */
const char *state_data_dir(const struct state *st);
/* A token or operator user name: 1..LIM_TOKEN_NAME printable ASCII
 * characters without space or comma, not starting with '#'. */
bool state_name_ok(const char *name);
/* "*" or a comma list of distinct account names, at most LIM_TOKEN_ACCOUNTS. */
bool state_accounts_ok(const char *s);

#endif
