/* @media preludes (Media Queries): which blocks of a sheet apply when the
 * screen size is unknown. */
#include "content/css.h"

#include <string.h>

#include "content/css_int.h"

/* Does an @media prelude apply to a screen of unknown size? Only plain
 * media-type lists are taken (screen, all): feature queries describe some
 * device, and taking them all would apply mobile and desktop layouts at once. */
bool
css_media_applies(struct slice q)
{
	q = trim(q);
	if (q.len == 0)
		return true;
	if (memchr(q.p, '(', q.len) != NULL)
		return false;
	return memmem(q.p, q.len, "screen", 6) != NULL || memmem(q.p, q.len, "all", 3) != NULL;
}
