#ifndef IG_STORE_STORE_INT_H
#define IG_STORE_STORE_INT_H

#include <sqlite3.h>

/* Internals shared by the files of store/ (not for other modules). */

struct state;

/* The connection behind a struct state (borrowed). */
sqlite3 *state_db(struct state *st);
/* Records "state.db: what: <sqlite message>" as the thread's state_errmsg()
 * and returns it. */
const char *state_err_set(const char *what, sqlite3 *db);

#endif
