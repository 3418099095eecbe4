/* SPDX-License-Identifier: MIT */
/* The hosts file of configured containers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "hosts.h"

bool hosts_lists(const struct container *ct)
{
	return ct->has_state && ct->state == STATE_CONFIGURED;
}

static void put(FILE *f, const struct conf_addr *a, const char *name)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family && inet_ntop(a->family, &a->addr, buf, sizeof(buf)))
		fprintf(f, "%s %s.%s\n", buf, name, HOSTS_DOMAIN);
}

int hosts_format(const struct container *cts, size_t n, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	fputs("# Configured containers, kept by netd. Do not edit.\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct container *ct = &cts[i];

		if (!hosts_lists(ct))
			continue;
		put(f, &ct->conf->veth.local_addr4, ct->conf->name);
		put(f, &ct->conf->veth.local_addr6, ct->conf->name);
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int hosts_write(const char *dir, const struct container *cts, size_t n)
{
	_cleanup_free_ char *text = NULL;
	int r = hosts_format(cts, n, &text);

	return r < 0 ? r : state_dir_write(dir, HOSTS_FILE, text);
}
