/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as one netlink datagram, every message in it through the
 * parser its type selects. tests/test-nlmsg.c includes this file to replay the corpus.
 */
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"
#include "nlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_nlmsg_one(const struct nlmsghdr *nlh)
{
	char text[INET6_ADDRSTRLEN];
	struct nl_link l;
	struct nl_addr a;
	struct nl_route r;
	struct nl_err e = {};

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (nlmsg_parse_link(nlh, &l) < 0)
			break;
		/* Touch what consumers read, so ASan sees a short or dangling copy. */
		for (size_t i = 0; i < l.n_altnames; i++)
			(void)strlen(l.altnames[i]);
		(void)strlen(l.name);
		(void)strlen(l.kind);
		nl_link_done(&l);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (nlmsg_parse_addr(nlh, &a) == 0)
			(void)nlmsg_addr_to_string(a.family, &a.addr, text, sizeof(text));
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (nlmsg_parse_route(nlh, &r) == 0)
			(void)nlmsg_addr_to_string(r.family, &r.dst, text, sizeof(text));
		break;
	case NLMSG_ERROR:
		/* nl_talk() passes the message's own length, as here. */
		if (nl_parse_error(nlh, nlh->nlmsg_len, &e) <= 0)
			(void)strlen(e.msg); /* e stays zeroed when malformed */
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	void *buf;
	int left;

	if (size > INT_MAX)
		return 0;
	/* An aligned copy of exactly size bytes, as a datagram would be received: a parser
	 * that reads past the end of the datagram trips ASan. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	left = (int)size;
	/* mnl_nlmsg_ok() casts nlmsg_len to int: above INT_MAX it passes, and mnl_nlmsg_next()
	 * aligns 0xffffffff to 0 and never moves on. Only the kernel's datagrams reach netd's own
	 * loops, but here the bytes are anyone's. */
	for (nlh = buf; mnl_nlmsg_ok(nlh, left) && nlh->nlmsg_len <= (uint32_t)left;
	     nlh = mnl_nlmsg_next(nlh, &left))
		fuzz_nlmsg_one(nlh);
	free(buf);
	return 0;
}
