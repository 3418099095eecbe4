/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink build/parse on synthetic messages (iproute2's generate_nlmsg idea): hand-built
 * kernel messages parsed field by field, builders read back by the parsers, malformed and
 * truncated input, NLMSG_ERROR decoding, and a replay of the nlmsg fuzz corpus.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "nl.h"
#include "nlmsg.h"
#include "harness.h"

/* The fuzzer's entry point, so the corpus replay runs exactly what libFuzzer ran. */
#include "fuzz/fuzz-nlmsg.c"

#define BUFSZ 4096
#define PROTO_NETD 211 /* netd/reconcile.h NETD_PROTO; proto/ does not know it */
#define ALT0 "ve-a-very-long-container-name"
#define ALT1 "second-alt"

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* The message alone in a heap block of exactly len bytes, nlmsg_len = len: ASan catches any
 * read past it. */
static struct nlmsghdr *dup_exact(const struct nlmsghdr *nlh, size_t len)
{
	struct nlmsghdr *m = malloc(len);

	cr_assert_not_null(m);
	memcpy(m, nlh, len);
	m->nlmsg_len = (uint32_t)len;
	return m;
}

static union in_addr_union addr_of(int family, const char *text)
{
	union in_addr_union a = {};

	cr_assert_eq(inet_pton(family, text, &a), 1, "bad test address %s", text);
	return a;
}

static bool addr_eq(int family, const union in_addr_union *a, const union in_addr_union *b)
{
	return memcmp(a, b, family == AF_INET ? 4 : 16) == 0;
}

static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t hdrlen, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdrlen)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

/* One attribute of a synthetic message. */
enum attr_kind { A_END, A_ADDR, A_U32, A_U8, A_RAW, A_STR };
struct attr_spec {
	uint16_t type;
	enum attr_kind kind;
	const char *text; /* A_ADDR address, A_RAW bytes, A_STR string */
	uint32_t value;   /* A_U32/A_U8 value, A_RAW length */
};

#define ADDR(t, s) { (t), A_ADDR, (s), 0 }
#define U32(t, v) { (t), A_U32, NULL, (v) }
#define U8(t, v) { (t), A_U8, NULL, (v) }
#define RAW(t, s, n) { (t), A_RAW, (s), (n) }
#define STR(t, s) { (t), A_STR, (s), 0 }

static void put_attr(struct nlmsghdr *nlh, int family, const struct attr_spec *s)
{
	union in_addr_union a;

	switch (s->kind) {
	case A_ADDR:
		a = addr_of(family, s->text);
		mnl_attr_put(nlh, s->type, family == AF_INET ? 4 : 16, &a);
		break;
	case A_U32:
		mnl_attr_put_u32(nlh, s->type, s->value);
		break;
	case A_U8:
		mnl_attr_put_u8(nlh, s->type, (uint8_t)s->value);
		break;
	case A_RAW:
		mnl_attr_put(nlh, s->type, s->value, s->text);
		break;
	case A_STR:
		mnl_attr_put_strz(nlh, s->type, s->text);
		break;
	case A_END:
		break;
	}
}

/* ---- links ---------------------------------------------------------------------------- */

/* An RTM_NEWLINK as the kernel sends it for the host end of a veth in another namespace. */
static struct nlmsghdr *put_link_msg(void *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *nest, *data;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = 1; /* ARPHRD_ETHER */
	ifi->ifi_index = 7;
	ifi->ifi_flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "ve-web");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, ALT0);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, ALT1);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 5);
	mnl_attr_put_u32(nlh, IFLA_LINK, 12);
	mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, 0);
	return nlh;
}

Test(nlmsg, link_every_field)
{
	_Alignas(8) char buf[BUFSZ];
	struct nlmsghdr *nlh = put_link_msg(buf);
	struct nl_link l = {};

	cr_assert_eq(nlmsg_parse_link(nlh, &l), 0);
	/* The altnames are copies: wiping the message must not change them. */
	memset(buf, 0, sizeof(buf));
	cr_expect_eq(l.family, AF_UNSPEC);
	cr_expect_eq(l.ifindex, 7);
	cr_expect_str_eq(l.name, "ve-web");
	cr_expect_str_eq(l.kind, "veth");
	cr_expect_eq(l.flags, IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST);
	cr_expect_eq(l.master, 5);
	cr_expect_eq(l.peer_ifindex, 12);
	cr_expect(l.has_link_netnsid);
	cr_assert_eq(l.n_altnames, 2);
	cr_expect_str_eq(l.altnames[0], ALT0);
	cr_expect_str_eq(l.altnames[1], ALT1);
	nl_link_done(&l);
	cr_expect_null(l.altnames);
	cr_expect_eq(l.n_altnames, 0);
	/* Done twice is harmless: the struct may be reused. */
	nl_link_done(&l);
}

Test(nlmsg, link_minimal)
{
	_Alignas(8) char buf[BUFSZ];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nl_link l;

	nlh->nlmsg_type = RTM_DELLINK;
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = 3;
	/* The longest name the kernel allows: 15 bytes. */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "123456789012345");
	memset(&l, 0x5a, sizeof(l));
	cr_assert_eq(nlmsg_parse_link(nlh, &l), 0);
	cr_expect_eq(l.family, AF_BRIDGE);
	cr_expect_eq(l.ifindex, 3);
	cr_expect_str_eq(l.name, "123456789012345");
	cr_expect_str_eq(l.kind, "");
	cr_expect_eq(l.flags, 0);
	cr_expect_eq(l.master, 0);
	cr_expect_eq(l.peer_ifindex, 0);
	cr_expect_not(l.has_link_netnsid);
	cr_expect_eq(l.n_altnames, 0);
	cr_expect_null(l.altnames);
	nl_link_done(&l);
}

/* Attributes that make a link message malformed; each is appended to a valid message (nest:
 * inside a fresh nest of that type). */
static const struct bad_attr {
	const char *name;
	uint16_t nest;
	struct attr_spec attr;
} bad_link_attrs[] = {
	{ "IFLA_MASTER of 2 bytes", 0, RAW(IFLA_MASTER, "\x05\x00", 2) },
	{ "IFLA_MASTER of 8 bytes", 0, RAW(IFLA_MASTER, "\x05\0\0\0\0\0\0\0", 8) },
	{ "IFLA_LINK of 3 bytes", 0, RAW(IFLA_LINK, "\x0c\0\0", 3) },
	{ "IFLA_LINK_NETNSID of 2 bytes", 0, RAW(IFLA_LINK_NETNSID, "\0\0", 2) },
	{ "IFLA_IFNAME unterminated", 0, RAW(IFLA_IFNAME, "eth0x", 5) },
	{ "IFLA_IFNAME empty payload", 0, RAW(IFLA_IFNAME, "", 0) },
	{ "IFLA_IFNAME of 16 characters", 0, STR(IFLA_IFNAME, "1234567890123456") },
	{ "IFLA_LINKINFO of 2 bytes", 0, RAW(IFLA_LINKINFO, "\0\0", 2) },
	{ "IFLA_PROP_LIST of 3 bytes", 0, RAW(IFLA_PROP_LIST, "\0\0\0", 3) },
	{ "IFLA_INFO_KIND unterminated", IFLA_LINKINFO, RAW(IFLA_INFO_KIND, "veth", 4) },
	{ "IFLA_INFO_KIND of 16 characters", IFLA_LINKINFO,
	  STR(IFLA_INFO_KIND, "abcdefghijklmnop") },
	{ "IFLA_ALT_IFNAME unterminated", IFLA_PROP_LIST, RAW(IFLA_ALT_IFNAME, "abc", 3) },
	{ "IFLA_ALT_IFNAME empty payload", IFLA_PROP_LIST, RAW(IFLA_ALT_IFNAME, "", 0) },
};

Test(nlmsg, link_bad_attributes)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_link_attrs); i++) {
		const struct bad_attr *c = &bad_link_attrs[i];
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = put_link_msg(buf), *m;
		struct nl_link l, before;
		struct nlattr *nest = NULL;

		if (c->nest)
			nest = mnl_attr_nest_start(nlh, c->nest);
		put_attr(nlh, AF_UNSPEC, &c->attr);
		if (nest)
			mnl_attr_nest_end(nlh, nest);
		m = dup_exact(nlh, nlh->nlmsg_len);
		memset(&l, 0x5a, sizeof(l));
		before = l;
		cr_expect_eq(nlmsg_parse_link(m, &l), -EBADMSG, "case %s", c->name);
		cr_expect_eq(memcmp(&l, &before, sizeof(l)), 0, "case %s: *ret changed", c->name);
		free(m);
	}
}

Test(nlmsg, link_bad_headers)
{
	static const struct {
		const char *name;
		int ifindex;
		bool ifname;
		size_t len; /* 0: as built */
	} cases[] = {
		{ "no IFLA_IFNAME", 7, false, 0 },
		{ "ifindex 0", 0, true, 0 },
		{ "negative ifindex", -3, true, 0 },
		{ "header only", 7, true, NLMSG_HDRLEN },
		{ "short ifinfomsg", 7, true, NLMSG_HDRLEN + sizeof(struct ifinfomsg) - 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf), *m;
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		struct nl_link l = {};

		nlh->nlmsg_type = RTM_NEWLINK;
		ifi->ifi_index = cases[i].ifindex;
		mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
		if (cases[i].ifname)
			mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
		m = dup_exact(nlh, cases[i].len ? cases[i].len : nlh->nlmsg_len);
		cr_expect_eq(nlmsg_parse_link(m, &l), -EBADMSG, "case %s", cases[i].name);
		free(m);
	}
}

/* Every prefix of a valid message, announced by nlmsg_len: malformed or a subset. */
Test(nlmsg, link_truncated)
{
	_Alignas(8) char buf[BUFSZ];
	struct nlmsghdr *nlh = put_link_msg(buf);
	struct nl_link want = {};
	size_t n_ok = 0;

	cr_assert_eq(nlmsg_parse_link(nlh, &want), 0);
	for (size_t len = NLMSG_HDRLEN; len <= nlh->nlmsg_len; len++) {
		struct nlmsghdr *m = dup_exact(nlh, len);
		struct nl_link l = {};
		int r = nlmsg_parse_link(m, &l);

		cr_expect(r == 0 || r == -EBADMSG, "length %zu: %d", len, r);
		if (r == 0) {
			n_ok++;
			cr_expect_eq(l.ifindex, want.ifindex, "length %zu", len);
			cr_expect_eq(l.flags, want.flags, "length %zu", len);
			cr_expect_str_eq(l.name, want.name, "length %zu", len);
			cr_expect(!l.kind[0] || streq(l.kind, want.kind), "length %zu: kind", len);
			cr_expect(l.master == 0 || l.master == want.master, "length %zu", len);
			cr_expect(l.peer_ifindex == 0 || l.peer_ifindex == want.peer_ifindex,
				  "length %zu", len);
			cr_expect_leq(l.n_altnames, want.n_altnames, "length %zu", len);
			for (size_t i = 0; i < l.n_altnames && i < want.n_altnames; i++)
				cr_expect_str_eq(l.altnames[i], want.altnames[i], "length %zu",
						 len);
			nl_link_done(&l);
		}
		free(m);
	}
	/* At least the full message and the cuts after its last attributes parse. */
	cr_expect_geq(n_ok, 2);
	nl_link_done(&want);
}

/* ---- addresses ------------------------------------------------------------------------ */

static struct nlmsghdr *put_addr_msg(void *buf, uint8_t family, uint8_t prefixlen,
				     uint8_t ifa_flags, const struct attr_spec *attrs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	nlh->nlmsg_type = RTM_NEWADDR;
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_flags = ifa_flags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = 7;
	for (; attrs && attrs->kind != A_END; attrs++)
		put_attr(nlh, family, attrs);
	return nlh;
}

#define MAX_ATTRS 6

static const struct addr_case {
	const char *name;
	uint8_t family, prefixlen, ifa_flags;
	struct attr_spec attrs[MAX_ATTRS];
	const char *want_addr;
	uint8_t want_protocol;
	uint32_t want_flags;
} good_addrs[] = {
	{ "v4 local only", AF_INET, 24, IFA_F_PERMANENT,
	  { ADDR(IFA_LOCAL, "10.0.0.1") }, "10.0.0.1", 0, IFA_F_PERMANENT },
	{ "v4 peer before local", AF_INET, 32, 0,
	  { ADDR(IFA_ADDRESS, "10.0.0.2"), ADDR(IFA_LOCAL, "10.0.0.1") },
	  "10.0.0.1", 0, 0 },
	{ "v4 peer after local", AF_INET, 32, 0,
	  { ADDR(IFA_LOCAL, "10.0.0.1"), ADDR(IFA_ADDRESS, "10.0.0.2") },
	  "10.0.0.1", 0, 0 },
	{ "v4 IFA_FLAGS replaces ifa_flags", AF_INET, 8, IFA_F_PERMANENT,
	  { ADDR(IFA_LOCAL, "127.0.0.1"),
	    U32(IFA_FLAGS, IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN),
	    U8(IFA_PROTO, IFAPROT_KERNEL_LO) },
	  "127.0.0.1", IFAPROT_KERNEL_LO, IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN },
	{ "v4 netd's", AF_INET, 32, 0,
	  { ADDR(IFA_ADDRESS, "10.0.0.1"), ADDR(IFA_LOCAL, "10.0.0.1"),
	    STR(IFA_LABEL, "ve-web"), U8(IFA_PROTO, PROTO_NETD) },
	  "10.0.0.1", PROTO_NETD, 0 },
	{ "v6 address only", AF_INET6, 64, 0,
	  { ADDR(IFA_ADDRESS, "fd00::1"),
	    U32(IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NODAD),
	    U8(IFA_PROTO, PROTO_NETD) },
	  "fd00::1", PROTO_NETD, IFA_F_PERMANENT | IFA_F_NODAD },
	{ "v6 link-local", AF_INET6, 64, IFA_F_PERMANENT,
	  { ADDR(IFA_ADDRESS, "fe80::1"), U8(IFA_PROTO, IFAPROT_KERNEL_LL) },
	  "fe80::1", IFAPROT_KERNEL_LL, IFA_F_PERMANENT },
	/* A peer address: the kernel sends IFA_LOCAL (ours) and then IFA_ADDRESS (the peer's). */
	{ "v6 with peer", AF_INET6, 128, 0,
	  { ADDR(IFA_LOCAL, "fd00::1"), ADDR(IFA_ADDRESS, "fd00::2") },
	  "fd00::1", 0, 0 },
};

Test(nlmsg, addr_parse)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_addrs); i++) {
		const struct addr_case *c = &good_addrs[i];
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh =
			put_addr_msg(buf, c->family, c->prefixlen, c->ifa_flags, c->attrs);
		union in_addr_union want = addr_of(c->family, c->want_addr);
		struct nl_addr a;
		int r;

		memset(&a, 0x5a, sizeof(a));
		r = nlmsg_parse_addr(nlh, &a);
		cr_expect_eq(r, 0, "case %s: %d", c->name, r);
		if (r != 0)
			continue;
		cr_expect_eq(a.family, c->family, "case %s", c->name);
		cr_expect_eq(a.ifindex, 7, "case %s", c->name);
		cr_expect_eq(a.prefixlen, c->prefixlen, "case %s", c->name);
		cr_expect_eq(a.protocol, c->want_protocol, "case %s", c->name);
		cr_expect_eq(a.flags, c->want_flags, "case %s", c->name);
		/* The union is zero beyond an IPv4 address. */
		cr_expect_eq(memcmp(&a.addr, &want, sizeof(want)), 0, "case %s: address", c->name);
	}
}

static const struct bad_addr_case {
	const char *name;
	uint8_t family, prefixlen;
	struct attr_spec attrs[MAX_ATTRS];
} bad_addrs[] = {
	{ "IFA_LOCAL of 3 bytes", AF_INET, 32, { RAW(IFA_LOCAL, "\x0a\0\0", 3) } },
	{ "v4 IFA_LOCAL of 16 bytes", AF_INET, 32,
	  { RAW(IFA_LOCAL, "0123456789abcdef", 16) } },
	{ "v6 IFA_ADDRESS of 4 bytes", AF_INET6, 64, { RAW(IFA_ADDRESS, "\xfd\0\0\0", 4) } },
	{ "v6 IFA_LOCAL of 15 bytes", AF_INET6, 64,
	  { RAW(IFA_LOCAL, "0123456789abcde", 15) } },
	{ "IFA_FLAGS of 2 bytes", AF_INET, 32,
	  { ADDR(IFA_LOCAL, "10.0.0.1"), RAW(IFA_FLAGS, "\x80\0", 2) } },
	{ "IFA_PROTO of 4 bytes", AF_INET, 32,
	  { ADDR(IFA_LOCAL, "10.0.0.1"), U32(IFA_PROTO, PROTO_NETD) } },
	{ "IFA_PROTO empty", AF_INET, 32,
	  { ADDR(IFA_LOCAL, "10.0.0.1"), RAW(IFA_PROTO, "", 0) } },
	{ "v4 prefixlen 33", AF_INET, 33, { ADDR(IFA_LOCAL, "10.0.0.1") } },
	{ "v6 prefixlen 129", AF_INET6, 129, { ADDR(IFA_ADDRESS, "fd00::1") } },
	{ "family AF_UNSPEC", AF_UNSPEC, 0, { RAW(IFA_LOCAL, "\x0a\0\0\1", 4) } },
	{ "family AF_PACKET", 17, 0, { RAW(IFA_LOCAL, "\x0a\0\0\1", 4) } },
};

Test(nlmsg, addr_bad)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_addrs); i++) {
		const struct bad_addr_case *c = &bad_addrs[i];
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = put_addr_msg(buf, c->family, c->prefixlen, 0, c->attrs);
		struct nlmsghdr *m = dup_exact(nlh, nlh->nlmsg_len);
		struct nl_addr a, before;

		memset(&a, 0x5a, sizeof(a));
		before = a;
		cr_expect_eq(nlmsg_parse_addr(m, &a), -EBADMSG, "case %s", c->name);
		cr_expect_eq(memcmp(&a, &before, sizeof(a)), 0, "case %s: *ret changed", c->name);
		free(m);
	}
}

static void check_addr_truncations(const struct nlmsghdr *nlh, const char *name)
{
	struct nl_addr want;
	size_t n_ok = 0;

	cr_assert_eq(nlmsg_parse_addr(nlh, &want), 0, "case %s", name);
	for (size_t len = NLMSG_HDRLEN; len <= nlh->nlmsg_len; len++) {
		struct nlmsghdr *m = dup_exact(nlh, len);
		union in_addr_union zero = {};
		struct nl_addr a = {};
		int r = nlmsg_parse_addr(m, &a);

		cr_expect(r == 0 || r == -EBADMSG, "case %s: length %zu: %d", name, len, r);
		if (r == 0) {
			n_ok++;
			cr_expect_eq(a.family, want.family, "case %s: length %zu", name, len);
			cr_expect_eq(a.ifindex, want.ifindex, "case %s: length %zu", name, len);
			cr_expect_eq(a.prefixlen, want.prefixlen, "case %s: length %zu", name, len);
			cr_expect(addr_eq(a.family, &a.addr, &want.addr) ||
					  addr_eq(a.family, &a.addr, &zero),
				  "case %s: length %zu: address", name, len);
			cr_expect(a.protocol == 0 || a.protocol == want.protocol,
				  "case %s: length %zu", name, len);
		}
		free(m);
	}
	cr_expect_geq(n_ok, 2, "case %s", name);
}

Test(nlmsg, addr_truncated)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_addrs); i++) {
		const struct addr_case *c = &good_addrs[i];
		_Alignas(8) char buf[BUFSZ];

		check_addr_truncations(put_addr_msg(buf, c->family, c->prefixlen, c->ifa_flags,
						    c->attrs),
				       c->name);
	}
}

/* ---- routes --------------------------------------------------------------------------- */

struct rt_hdr {
	uint8_t family, dst_len, table, protocol, scope, type;
	unsigned flags;
};

static struct nlmsghdr *put_route_msg(void *buf, const struct rt_hdr *h,
				      const struct attr_spec *attrs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm->rtm_family = h->family;
	rtm->rtm_dst_len = h->dst_len;
	rtm->rtm_table = h->table;
	rtm->rtm_protocol = h->protocol;
	rtm->rtm_scope = h->scope;
	rtm->rtm_type = h->type;
	rtm->rtm_flags = h->flags;
	for (; attrs && attrs->kind != A_END; attrs++)
		put_attr(nlh, h->family, attrs);
	return nlh;
}

static void expect_route_eq(const struct nl_route *got, const struct nl_route *want,
			    const char *name)
{
	cr_expect_eq(got->family, want->family, "case %s: family", name);
	cr_expect_eq(got->dst_len, want->dst_len, "case %s: dst_len", name);
	cr_expect_eq(got->protocol, want->protocol, "case %s: protocol", name);
	cr_expect_eq(got->scope, want->scope, "case %s: scope", name);
	cr_expect_eq(got->type, want->type, "case %s: type", name);
	cr_expect_eq(got->table, want->table, "case %s: table", name);
	cr_expect_eq(got->oif, want->oif, "case %s: oif", name);
	cr_expect_eq(memcmp(&got->dst, &want->dst, sizeof(got->dst)), 0, "case %s: dst", name);
	cr_expect_eq(got->has_gateway, want->has_gateway, "case %s: has_gateway", name);
	cr_expect_eq(memcmp(&got->gateway, &want->gateway, sizeof(got->gateway)), 0,
		     "case %s: gateway", name);
	cr_expect_eq(got->priority, want->priority, "case %s: priority", name);
	cr_expect_eq(got->onlink, want->onlink, "case %s: onlink", name);
}

static const struct route_case {
	const char *name;
	struct rt_hdr h;
	struct attr_spec attrs[MAX_ATTRS];
	const char *dst, *gateway; /* NULL: none */
	uint32_t table;
	int oif;
	uint32_t priority;
} good_routes[] = {
	{ "v4 via gateway",
	  { AF_INET, 24, RT_TABLE_MAIN, PROTO_NETD, RT_SCOPE_UNIVERSE, RTN_UNICAST, RTNH_F_ONLINK },
	  { U32(RTA_TABLE, RT_TABLE_MAIN),
	    ADDR(RTA_DST, "10.5.0.0"),
	    ADDR(RTA_GATEWAY, "10.0.0.1"),
	    U32(RTA_OIF, 7),
	    U32(RTA_PRIORITY, 100) },
	  "10.5.0.0", "10.0.0.1", RT_TABLE_MAIN, 7, 100 },
	{ "v4 host route, scope link",
	  { AF_INET, 32, RT_TABLE_MAIN, PROTO_NETD, RT_SCOPE_LINK, RTN_UNICAST, 0 },
	  { U32(RTA_TABLE, RT_TABLE_MAIN),
	    ADDR(RTA_DST, "10.0.0.2"),
	    U32(RTA_OIF, 3) },
	  "10.0.0.2", NULL, RT_TABLE_MAIN, 3, 0 },
	{ "v4 table 1000 only in RTA_TABLE",
	  { AF_INET, 32, RT_TABLE_COMPAT, RTPROT_STATIC, RT_SCOPE_LINK, RTN_UNICAST, 0 },
	  { U32(RTA_TABLE, 1000),
	    ADDR(RTA_DST, "192.0.2.1"),
	    U32(RTA_OIF, 4) },
	  "192.0.2.1", NULL, 1000, 4, 0 },
	{ "v4 no RTA_TABLE: rtm_table",
	  { AF_INET, 8, RT_TABLE_LOCAL, RTPROT_KERNEL, RT_SCOPE_HOST, RTN_LOCAL, 0 },
	  { ADDR(RTA_DST, "127.0.0.0"), U32(RTA_OIF, 1) },
	  "127.0.0.0", NULL, RT_TABLE_LOCAL, 1, 0 },
	{ "v6 default via link-local",
	  { AF_INET6, 0, RT_TABLE_MAIN, RTPROT_RA, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0 },
	  { U32(RTA_TABLE, RT_TABLE_MAIN),
	    U32(RTA_PRIORITY, 1024),
	    ADDR(RTA_GATEWAY, "fe80::1"),
	    U32(RTA_OIF, 9),
	    U8(RTA_PREF, 0) },
	  NULL, "fe80::1", RT_TABLE_MAIN, 9, 1024 },
	{ "v6 host route",
	  { AF_INET6, 128, RT_TABLE_MAIN, PROTO_NETD, RT_SCOPE_LINK, RTN_UNICAST, 0 },
	  { U32(RTA_TABLE, RT_TABLE_MAIN),
	    ADDR(RTA_DST, "fd00::2"),
	    U32(RTA_OIF, 7) },
	  "fd00::2", NULL, RT_TABLE_MAIN, 7, 0 },
};

Test(nlmsg, route_parse)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_routes); i++) {
		const struct route_case *c = &good_routes[i];
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = put_route_msg(buf, &c->h, c->attrs);
		struct nl_route want = {
			.family = c->h.family,
			.dst_len = c->h.dst_len,
			.protocol = c->h.protocol,
			.scope = c->h.scope,
			.type = c->h.type,
			.table = c->table,
			.oif = c->oif,
			.has_gateway = c->gateway != NULL,
			.priority = c->priority,
			.onlink = c->h.flags & RTNH_F_ONLINK,
		};
		struct nl_route r;
		int ret;

		if (c->dst)
			want.dst = addr_of(c->h.family, c->dst);
		if (c->gateway)
			want.gateway = addr_of(c->h.family, c->gateway);
		memset(&r, 0x5a, sizeof(r));
		ret = nlmsg_parse_route(nlh, &r);
		cr_expect_eq(ret, 0, "case %s: %d", c->name, ret);
		if (ret == 0)
			expect_route_eq(&r, &want, c->name);
	}
}

static const struct bad_route_case {
	const char *name;
	struct rt_hdr h;
	struct attr_spec attrs[MAX_ATTRS];
} bad_routes[] = {
#define RT(family, dst_len) \
	{ (family), (dst_len), RT_TABLE_MAIN, 0, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0 }
	{ "RTA_DST of 3 bytes", RT(AF_INET, 24),
	  { RAW(RTA_DST, "\x0a\0\0", 3) } },
	{ "v4 RTA_GATEWAY of 16 bytes", RT(AF_INET, 0),
	  { RAW(RTA_GATEWAY, "0123456789abcdef", 16) } },
	{ "v6 RTA_DST of 4 bytes", RT(AF_INET6, 64),
	  { RAW(RTA_DST, "\xfd\0\0\0", 4) } },
	{ "RTA_OIF of 2 bytes", RT(AF_INET, 0), { RAW(RTA_OIF, "\x07\0", 2) } },
	{ "RTA_TABLE of 1 byte", RT(AF_INET, 0),
	  { U8(RTA_TABLE, RT_TABLE_MAIN) } },
	{ "RTA_PRIORITY of 8 bytes", RT(AF_INET, 0),
	  { RAW(RTA_PRIORITY, "\x64\0\0\0\0\0\0\0", 8) } },
	{ "v4 dst_len 33", RT(AF_INET, 33), { ADDR(RTA_DST, "10.0.0.0") } },
	{ "v6 dst_len 129", RT(AF_INET6, 129), { ADDR(RTA_DST, "fd00::") } },
	{ "family AF_UNSPEC", RT(AF_UNSPEC, 0), { U32(RTA_OIF, 1) } },
	{ "family AF_BRIDGE", RT(AF_BRIDGE, 0), { U32(RTA_OIF, 1) } },
};

Test(nlmsg, route_bad)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_routes); i++) {
		const struct bad_route_case *c = &bad_routes[i];
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = put_route_msg(buf, &c->h, c->attrs);
		struct nlmsghdr *m = dup_exact(nlh, nlh->nlmsg_len);
		struct nl_route r, before;

		memset(&r, 0x5a, sizeof(r));
		before = r;
		cr_expect_eq(nlmsg_parse_route(m, &r), -EBADMSG, "case %s", c->name);
		cr_expect_eq(memcmp(&r, &before, sizeof(r)), 0, "case %s: *ret changed", c->name);
		free(m);
	}
	/* Too short for a struct rtmsg. */
	{
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = put_route_msg(buf, &good_routes[0].h, good_routes[0].attrs);
		struct nlmsghdr *m = dup_exact(nlh, NLMSG_HDRLEN + sizeof(struct rtmsg) - 1);
		struct nl_route r;

		cr_expect_eq(nlmsg_parse_route(m, &r), -EBADMSG, "case short rtmsg");
		free(m);
	}
}

Test(nlmsg, route_truncated)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_routes); i++) {
		const struct route_case *c = &good_routes[i];
		_Alignas(8) char buf[BUFSZ];
		struct nlmsghdr *nlh = put_route_msg(buf, &c->h, c->attrs);
		struct nl_route want;
		size_t n_ok = 0;

		cr_assert_eq(nlmsg_parse_route(nlh, &want), 0, "case %s", c->name);
		for (size_t len = NLMSG_HDRLEN; len <= nlh->nlmsg_len; len++) {
			struct nlmsghdr *m = dup_exact(nlh, len);
			union in_addr_union zero = {};
			struct nl_route r = {};
			int ret = nlmsg_parse_route(m, &r);

			cr_expect(ret == 0 || ret == -EBADMSG, "case %s: length %zu: %d", c->name,
				  len, ret);
			if (ret == 0) {
				n_ok++;
				cr_expect_eq(r.family, want.family, "case %s: length %zu", c->name,
					     len);
				cr_expect_eq(r.dst_len, want.dst_len, "case %s: length %zu",
					     c->name, len);
				cr_expect(r.oif == 0 || r.oif == want.oif, "case %s: length %zu",
					  c->name, len);
				cr_expect(addr_eq(r.family, &r.dst, &want.dst) ||
						  addr_eq(r.family, &r.dst, &zero),
					  "case %s: length %zu: dst", c->name, len);
				cr_expect(!r.has_gateway ||
						  addr_eq(r.family, &r.gateway, &want.gateway),
					  "case %s: length %zu: gateway", c->name, len);
				cr_expect(r.priority == 0 || r.priority == want.priority,
					  "case %s: length %zu", c->name, len);
			}
			free(m);
		}
		cr_expect_geq(n_ok, 2, "case %s", c->name);
	}
}

/* ---- builders ------------------------------------------------------------------------- */

/* Builders must not depend on the buffer's previous content. */
static void *dirty_buf(void *buf)
{
	memset(buf, 0xff, NLMSG_BUF_SIZE);
	return buf;
}

Test(nlmsg, put_addr_roundtrip)
{
	static const struct {
		const char *name;
		uint16_t type;
		uint8_t family, prefixlen, protocol;
		const char *addr;
		uint16_t want_nlflags;
		uint32_t want_flags; /* read back: IFA_FLAGS or ifa_flags */
		bool want_flags_attr, want_proto_attr;
	} cases[] = {
		{ "v4 add", RTM_NEWADDR, AF_INET, 32, PROTO_NETD, "10.0.0.1",
		  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0, true, true },
		{ "v4 add /24 without protocol", RTM_NEWADDR, AF_INET, 24, 0, "10.20.0.5",
		  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0, true, false },
		{ "v6 add", RTM_NEWADDR, AF_INET6, 128, PROTO_NETD, "fd00::1",
		  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, IFA_F_NODAD, true, true },
		{ "v4 delete", RTM_DELADDR, AF_INET, 32, PROTO_NETD, "10.0.0.1",
		  NLM_F_REQUEST | NLM_F_ACK, 0, false, false },
		{ "v6 delete", RTM_DELADDR, AF_INET6, 64, PROTO_NETD, "fd00::1",
		  NLM_F_REQUEST | NLM_F_ACK, 0, false, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char buf[NLMSG_BUF_SIZE];
		const struct nl_addr in = {
			.family = cases[i].family,
			.ifindex = 7,
			.addr = addr_of(cases[i].family, cases[i].addr),
			.prefixlen = cases[i].prefixlen,
			.protocol = cases[i].protocol,
		};
		struct nlmsghdr *nlh = nlmsg_put_addr(dirty_buf(buf), cases[i].type, &in);
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *attr;
		struct nl_addr out;
		int r;

		cr_expect_eq((void *)nlh, (void *)buf, "case %s", cases[i].name);
		cr_expect_eq(nlh->nlmsg_type, cases[i].type, "case %s", cases[i].name);
		cr_expect_eq(nlh->nlmsg_flags, cases[i].want_nlflags, "case %s: flags %#x",
			     cases[i].name, nlh->nlmsg_flags);
		cr_expect_leq(nlh->nlmsg_len, NLMSG_BUF_SIZE, "case %s", cases[i].name);
		cr_expect_eq(ifa->ifa_flags, (uint8_t)cases[i].want_flags, "case %s: ifa_flags",
			     cases[i].name);
		cr_expect_eq(ifa->ifa_scope, 0, "case %s", cases[i].name);
		attr = find_attr(nlh, sizeof(*ifa), IFA_LOCAL);
		cr_expect(attr && addr_eq(in.family, mnl_attr_get_payload(attr), &in.addr),
			  "case %s: IFA_LOCAL", cases[i].name);
		attr = find_attr(nlh, sizeof(*ifa), IFA_FLAGS);
		cr_expect_eq(attr != NULL, cases[i].want_flags_attr, "case %s: IFA_FLAGS",
			     cases[i].name);
		if (attr)
			cr_expect_eq(mnl_attr_get_u32(attr), cases[i].want_flags,
				     "case %s: IFA_FLAGS", cases[i].name);
		attr = find_attr(nlh, sizeof(*ifa), IFA_PROTO);
		cr_expect_eq(attr != NULL, cases[i].want_proto_attr, "case %s: IFA_PROTO",
			     cases[i].name);
		if (attr)
			cr_expect_eq(mnl_attr_get_u8(attr), cases[i].protocol, "case %s: IFA_PROTO",
				     cases[i].name);

		r = nlmsg_parse_addr(nlh, &out);
		cr_expect_eq(r, 0, "case %s", cases[i].name);
		if (r < 0)
			continue;
		cr_expect_eq(out.family, in.family, "case %s", cases[i].name);
		cr_expect_eq(out.ifindex, 7, "case %s", cases[i].name);
		cr_expect_eq(out.prefixlen, in.prefixlen, "case %s", cases[i].name);
		cr_expect_eq(memcmp(&out.addr, &in.addr, sizeof(in.addr)), 0, "case %s: address",
			     cases[i].name);
		cr_expect_eq(out.protocol, cases[i].want_proto_attr ? in.protocol : 0,
			     "case %s: protocol", cases[i].name);
		cr_expect_eq(out.flags, cases[i].want_flags, "case %s: flags", cases[i].name);
	}
}

Test(nlmsg, put_route_roundtrip)
{
	static const struct {
		const char *name;
		uint16_t type;
		uint8_t family, dst_len, scope, type_in;
		const char *dst, *gateway;
		uint32_t table, priority;
		bool onlink;
		uint16_t want_nlflags;
		uint8_t want_rtm_table;
	} cases[] = {
		{ "v4 host route", RTM_NEWROUTE, AF_INET, 32, RT_SCOPE_LINK, RTN_UNICAST,
		  "10.0.0.2", NULL, RT_TABLE_MAIN, 0, false,
		  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, RT_TABLE_MAIN },
		{ "v4 default via gateway", RTM_NEWROUTE, AF_INET, 0, RT_SCOPE_UNIVERSE, 0, NULL,
		  "10.0.0.1", RT_TABLE_MAIN, 100, true,
		  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, RT_TABLE_MAIN },
		{ "v6 host route, table 1000", RTM_NEWROUTE, AF_INET6, 128, RT_SCOPE_LINK,
		  RTN_UNICAST, "fd00::2", NULL, 1000, 0, false,
		  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, RT_TABLE_UNSPEC },
		{ "v6 delete default", RTM_DELROUTE, AF_INET6, 0, RT_SCOPE_UNIVERSE, RTN_UNICAST,
		  NULL, "fd00::1", RT_TABLE_MAIN, 0, false, NLM_F_REQUEST | NLM_F_ACK,
		  RT_TABLE_MAIN },
		{ "v4 delete prefix", RTM_DELROUTE, AF_INET, 24, RT_SCOPE_LINK, RTN_UNICAST,
		  "10.5.0.0", NULL, RT_TABLE_MAIN, 5, false, NLM_F_REQUEST | NLM_F_ACK,
		  RT_TABLE_MAIN },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char buf[NLMSG_BUF_SIZE];
		struct nl_route in = {
			.family = cases[i].family,
			.dst_len = cases[i].dst_len,
			.protocol = PROTO_NETD,
			.scope = cases[i].scope,
			.type = cases[i].type_in,
			.table = cases[i].table,
			.oif = 7,
			.has_gateway = cases[i].gateway != NULL,
			.priority = cases[i].priority,
			.onlink = cases[i].onlink,
		};
		struct nl_route want, out;
		struct nlmsghdr *nlh;
		const struct rtmsg *rtm;
		int r;

		if (cases[i].dst)
			in.dst = addr_of(in.family, cases[i].dst);
		if (cases[i].gateway)
			in.gateway = addr_of(in.family, cases[i].gateway);
		want = in;
		want.type = RTN_UNICAST; /* type 0 means unicast */
		nlh = nlmsg_put_route(dirty_buf(buf), cases[i].type, &in);
		rtm = mnl_nlmsg_get_payload(nlh);
		cr_expect_eq(nlh->nlmsg_type, cases[i].type, "case %s", cases[i].name);
		cr_expect_eq(nlh->nlmsg_flags, cases[i].want_nlflags, "case %s: flags %#x",
			     cases[i].name, nlh->nlmsg_flags);
		cr_expect_eq(rtm->rtm_table, cases[i].want_rtm_table, "case %s: rtm_table",
			     cases[i].name);
		cr_expect_eq(rtm->rtm_flags, cases[i].onlink ? RTNH_F_ONLINK : 0,
			     "case %s: rtm_flags", cases[i].name);
		cr_expect_eq(rtm->rtm_src_len, 0, "case %s", cases[i].name);
		cr_expect_eq(rtm->rtm_tos, 0, "case %s", cases[i].name);
		cr_expect_eq(find_attr(nlh, sizeof(*rtm), RTA_DST) != NULL, cases[i].dst_len > 0,
			     "case %s: RTA_DST", cases[i].name);
		r = nlmsg_parse_route(nlh, &out);
		cr_expect_eq(r, 0, "case %s", cases[i].name);
		if (r == 0)
			expect_route_eq(&out, &want, cases[i].name);
	}
}

Test(nlmsg, put_link_set)
{
	static const struct {
		const char *name;
		const char *ifname;
		unsigned flags, change;
		int master;
		unsigned want_flags;
	} cases[] = {
		{ "rename, up, enslave", "eth0", IFF_UP, IFF_UP, 5, IFF_UP },
		{ "down only", NULL, 0, IFF_UP, -1, 0 },
		{ "flags outside change dropped", NULL, IFF_UP | IFF_NOARP, IFF_UP, -1, IFF_UP },
		{ "release from master", NULL, IFF_UP, IFF_UP, 0, IFF_UP },
		{ "rename only", "ve-a", 0, 0, -1, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char buf[NLMSG_BUF_SIZE];
		struct nlmsghdr *nlh = nlmsg_put_link_set(dirty_buf(buf), 9, cases[i].ifname,
							  cases[i].flags, cases[i].change,
							  cases[i].master);
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *name = find_attr(nlh, sizeof(*ifi), IFLA_IFNAME);
		const struct nlattr *master = find_attr(nlh, sizeof(*ifi), IFLA_MASTER);
		struct nl_link l = {};

		cr_expect_eq(nlh->nlmsg_type, RTM_NEWLINK, "case %s", cases[i].name);
		/* Never NLM_F_CREATE: a typo'd ifindex must fail, not make a link. */
		cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK, "case %s: flags %#x",
			     cases[i].name, nlh->nlmsg_flags);
		cr_expect_eq(ifi->ifi_family, AF_UNSPEC, "case %s", cases[i].name);
		cr_expect_eq(ifi->ifi_index, 9, "case %s", cases[i].name);
		cr_expect_eq(ifi->ifi_flags, cases[i].want_flags, "case %s", cases[i].name);
		cr_expect_eq(ifi->ifi_change, cases[i].change, "case %s", cases[i].name);
		cr_expect_eq(name != NULL, cases[i].ifname != NULL, "case %s: IFLA_IFNAME",
			     cases[i].name);
		if (name)
			cr_expect_str_eq(mnl_attr_get_str(name), cases[i].ifname, "case %s",
					 cases[i].name);
		cr_expect_eq(master != NULL, cases[i].master >= 0, "case %s: IFLA_MASTER",
			     cases[i].name);
		if (master)
			cr_expect_eq(mnl_attr_get_u32(master), (uint32_t)cases[i].master,
				     "case %s", cases[i].name);
		/* With a name it is also a link message the parser reads back. */
		if (cases[i].ifname) {
			cr_expect_eq(nlmsg_parse_link(nlh, &l), 0, "case %s", cases[i].name);
			cr_expect_str_eq(l.name, cases[i].ifname, "case %s", cases[i].name);
			cr_expect_eq(l.ifindex, 9, "case %s", cases[i].name);
			cr_expect_eq(l.flags, cases[i].want_flags, "case %s", cases[i].name);
			cr_expect_eq(l.master, cases[i].master < 0 ? 0 : cases[i].master,
				     "case %s", cases[i].name);
			nl_link_done(&l);
		}
	}
}

Test(nlmsg, put_dump)
{
	static const struct {
		const char *name;
		uint16_t type;
		uint8_t family;
		size_t hdrlen, attrlen;
	} cases[] = {
		{ "links", RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg), 8 },
		{ "v6 addresses", RTM_GETADDR, AF_INET6, sizeof(struct ifaddrmsg), 0 },
		{ "v4 routes", RTM_GETROUTE, AF_INET, sizeof(struct rtmsg), 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char buf[NLMSG_BUF_SIZE];
		struct nlmsghdr *nlh = nlmsg_put_dump(dirty_buf(buf), cases[i].type,
						      cases[i].family);
		const uint8_t *family = mnl_nlmsg_get_payload(nlh);

		cr_expect_eq(nlh->nlmsg_type, cases[i].type, "case %s", cases[i].name);
		cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP, "case %s: flags %#x",
			     cases[i].name, nlh->nlmsg_flags);
		cr_expect_eq(nlh->nlmsg_len, NLMSG_HDRLEN + cases[i].hdrlen + cases[i].attrlen,
			     "case %s: length %u", cases[i].name, nlh->nlmsg_len);
		cr_expect_eq(*family, cases[i].family, "case %s", cases[i].name);
		/* Strict checking rejects a dump request with anything set in the header. */
		for (size_t b = 1; b < cases[i].hdrlen; b++)
			cr_expect_eq(family[b], 0, "case %s: header byte %zu", cases[i].name, b);
		if (cases[i].type == RTM_GETLINK) {
			const struct nlattr *a = find_attr(nlh, cases[i].hdrlen, IFLA_EXT_MASK);

			cr_expect(a && mnl_attr_get_u32(a) == RTEXT_FILTER_SKIP_STATS,
				  "case %s: IFLA_EXT_MASK", cases[i].name);
		}
	}
}

/* ---- NLMSG_ERROR ---------------------------------------------------------------------- */

/* A request to echo: an RTM_NEWADDR of nlmsg_len 16 + 8 + extra bytes (odd lengths allowed). */
static struct nlmsghdr *put_request(void *buf, size_t extra)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = 42;
	nlh->nlmsg_pid = 4711;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = 9999;
	memset((char *)buf + nlh->nlmsg_len, 0x11, extra);
	nlh->nlmsg_len += (uint32_t)extra;
	return nlh;
}

/*
 * NLMSG_ERROR as the kernel builds it (netlink_ack): nlmsgerr with the request's header, the
 * rest of the request when not capped (padded to 4 bytes), then the TLVs.
 */
static struct nlmsghdr *put_error(void *buf, int error, uint16_t flags, const struct nlmsghdr *req,
				  const char *msg, bool offs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = req->nlmsg_pid;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = error;
	err->msg = *req;
	if (!(flags & NLM_F_CAPPED)) {
		size_t rest = req->nlmsg_len - NLMSG_HDRLEN;
		char *p = mnl_nlmsg_put_extra_header(nlh, rest);

		memcpy(p, (const char *)req + NLMSG_HDRLEN, rest);
	}
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (offs)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 24);
	return nlh;
}

Test(nlmsg, error_decoding)
{
	static const struct {
		const char *name;
		int error;
		uint16_t flags;
		size_t req_extra;
		const char *msg;
		bool offs;
		const char *want_msg;
		uint32_t want_offset;
	} cases[] = {
		{ "capped with extack", -EEXIST, NLM_F_ACK_TLVS | NLM_F_CAPPED, 0,
		  "File exists test", true, "File exists test", 24 },
		{ "uncapped with extack", -EEXIST, NLM_F_ACK_TLVS, 12, "File exists test", true,
		  "File exists test", 24 },
		{ "uncapped, request of odd length", -EINVAL, NLM_F_ACK_TLVS, 7, "odd", true, "odd",
		  24 },
		{ "uncapped, message only", -ENODEV, NLM_F_ACK_TLVS, 4, "Device not found", false,
		  "Device not found", 0 },
		{ "ACK", 0, NLM_F_CAPPED, 0, NULL, false, "", 0 },
		{ "error without TLVs", -ENODEV, 0, 8, NULL, false, "", 0 },
		{ "TLVs ignored without NLM_F_ACK_TLVS", -EPERM, NLM_F_CAPPED, 0, "ignored", true,
		  "", 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char req_buf[256], buf[BUFSZ];
		const struct nlmsghdr *req = put_request(req_buf, cases[i].req_extra);
		struct nlmsghdr *nlh = put_error(buf, cases[i].error, cases[i].flags, req,
						 cases[i].msg, cases[i].offs);
		struct nlmsghdr *m = dup_exact(nlh, nlh->nlmsg_len);
		struct nl_err e;
		int r;

		memset(&e, 0x5a, sizeof(e));
		r = nl_parse_error(m, m->nlmsg_len, &e);
		cr_expect_eq(r, cases[i].error, "case %s: %d", cases[i].name, r);
		cr_expect_eq(e.error, cases[i].error, "case %s", cases[i].name);
		cr_expect_str_eq(e.msg, cases[i].want_msg, "case %s", cases[i].name);
		cr_expect_eq(e.offset, cases[i].want_offset, "case %s", cases[i].name);
		/* reterr is optional. */
		cr_expect_eq(nl_parse_error(m, m->nlmsg_len, NULL), cases[i].error, "case %s",
			     cases[i].name);
		free(m);
	}
}

Test(nlmsg, error_extack_truncated)
{
	_Alignas(8) char req_buf[256], buf[BUFSZ];
	const struct nlmsghdr *req = put_request(req_buf, 0);
	struct nlmsghdr *nlh = put_error(buf, -EEXIST, NLM_F_ACK_TLVS | NLM_F_CAPPED, req,
					 "File exists test", true);
	size_t n_ok = 0;

	for (size_t len = NLMSG_HDRLEN; len <= nlh->nlmsg_len; len++) {
		struct nlmsghdr *m = dup_exact(nlh, len);
		struct nl_err e = {};
		int r = nl_parse_error(m, len, &e);

		cr_expect(r == -EEXIST || r == -EBADMSG, "length %zu: %d", len, r);
		if (r == -EEXIST) {
			n_ok++;
			cr_expect(streq(e.msg, "") || streq(e.msg, "File exists test"),
				  "length %zu: msg \"%s\"", len, e.msg);
			cr_expect(e.offset == 0 || e.offset == 24, "length %zu", len);
		}
		/* A datagram shorter than the message claims is malformed. */
		if (len > NLMSG_HDRLEN)
			cr_expect_eq(nl_parse_error(nlh, len - 1, &e), -EBADMSG, "length %zu", len);
		free(m);
	}
	cr_expect_geq(n_ok, 2);
}

Test(nlmsg, error_bad)
{
	static const struct {
		const char *name;
		int error;
		uint16_t flags, type;
		uint32_t echoed_len; /* 0: as built */
		size_t len;          /* 0: as built */
		struct attr_spec tlv;
	} cases[] = {
		{ .name = "shorter than struct nlmsgerr", .error = -EEXIST, .type = NLMSG_ERROR,
		  .len = NLMSG_HDRLEN + sizeof(struct nlmsgerr) - 4 },
		{ .name = "not NLMSG_ERROR", .error = -EEXIST, .type = NLMSG_DONE },
		{ .name = "positive error", .error = 5, .type = NLMSG_ERROR },
		{ .name = "error below -4095", .error = -5000, .type = NLMSG_ERROR },
		{ .name = "echoed request longer than the message", .error = -EEXIST,
		  .flags = NLM_F_ACK_TLVS, .type = NLMSG_ERROR, .echoed_len = 1000 },
		{ .name = "echoed request shorter than a header", .error = -EEXIST,
		  .flags = NLM_F_ACK_TLVS, .type = NLMSG_ERROR, .echoed_len = 8 },
		{ .name = "ATTR_MSG unterminated", .error = -EEXIST,
		  .flags = NLM_F_ACK_TLVS | NLM_F_CAPPED, .type = NLMSG_ERROR,
		  .tlv = RAW(NLMSGERR_ATTR_MSG, "abc", 3) },
		{ .name = "ATTR_OFFS of 2 bytes", .error = -EEXIST,
		  .flags = NLM_F_ACK_TLVS | NLM_F_CAPPED, .type = NLMSG_ERROR,
		  .tlv = RAW(NLMSGERR_ATTR_OFFS, "\x18\0", 2) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_Alignas(8) char req_buf[256], buf[BUFSZ];
		const struct nlmsghdr *req = put_request(req_buf, 4);
		struct nlmsghdr *nlh = put_error(buf, cases[i].error, cases[i].flags, req, NULL,
						 false);
		struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
		struct nlmsghdr *m;
		struct nl_err e, before;

		put_attr(nlh, AF_UNSPEC, &cases[i].tlv);
		nlh->nlmsg_type = cases[i].type;
		if (cases[i].echoed_len)
			err->msg.nlmsg_len = cases[i].echoed_len;
		m = dup_exact(nlh, cases[i].len ? cases[i].len : nlh->nlmsg_len);
		memset(&e, 0x5a, sizeof(e));
		before = e;
		cr_expect_eq(nl_parse_error(m, m->nlmsg_len, &e), -EBADMSG, "case %s",
			     cases[i].name);
		cr_expect_eq(memcmp(&e, &before, sizeof(e)), 0, "case %s: *reterr changed",
			     cases[i].name);
		free(m);
	}
}

/* ---- fuzz corpus ---------------------------------------------------------------------- */

static void replay_nlmsg(const char *file, const uint8_t *data, size_t len)
{
	cr_expect_eq(LLVMFuzzerTestOneInput(data, len), 0, "%s", file);
}

/* Every input libFuzzer kept (crashers included, once fixed) runs through its entry again. */
Test(nlmsg, fuzz_corpus_replay)
{
	cr_expect_geq(corpus_replay("nlmsg", replay_nlmsg), 5, "corpus too small");
}
