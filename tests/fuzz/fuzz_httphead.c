/* libFuzzer target for server/httphead.c: the Host grammar, addresses and
 * prefixes, and trusted-proxy lists (Forwarded and X-Forwarded-For) on
 * arbitrary bytes. Whatever Host value is accepted has only the allowed
 * bytes and a host part inside it; a client address is only ever produced
 * from a list that parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/httphead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1); /* exact size: ASan sees overreads */
	struct slice s;
	struct slice name;
	unsigned port;
	struct netaddr_net nets[2];
	uint8_t addr[16];
	size_t i;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	s = (struct slice){copy, size};
	if (httphead_host_parse(s, &name, &port)) {
		if (name.p != s.p || name.len == 0 || name.len > s.len || port > 65535)
			abort();
		for (i = 0; i < size; i++) {
			if (copy[i] == '@' || copy[i] == '/' || copy[i] == '\0' || copy[i] == ' ' ||
			    copy[i] == '%' || copy[i] == ',')
				abort();
		}
	}
	if (netaddr_net_parse(s, &nets[0]) && nets[0].prefix > 128)
		abort();
	(void)netaddr_parse(s, addr);
	(void)netaddr_net_parse((struct slice){"10.0.0.0/8", 10}, &nets[0]);
	(void)netaddr_net_parse((struct slice){"::1", 3}, &nets[1]);
	(void)httphead_forwarded_client(&s, 1, true, nets, 2, addr);
	(void)httphead_forwarded_client(&s, 1, false, nets, 2, addr);
	free(copy);
	return 0;
}
