/* SPDX-License-Identifier: MIT */
/*
 * The layout of netd's nftables table as data: its sets and maps, its chains, and its fixed
 * rules as libnftnl expressions, each rule with the comment adoption recognises it by.
 * No I/O: nftbatch.c builds batches from it, nft.c checks a table against it.
 *
 *   set ct4/ct6          LocalAddress[6] of active containers (hairpin, localhost)
 *   set masq4/masq6      Masquerade= sources
 *   set masqown4/6       source . the container's own link (not masqueraded there)
 *   map fwd4/fwd6        l4proto . dport : container addr . port
 *   map fwd4a/fwd6a      daddr . l4proto . dport : container addr . port (HOSTADDR=)
 *   chain guard          filter prerouting raw: 127.0.0.0/8 only on lo (route_localnet guard)
 *   chain prerouting     nat prerouting dstnat: fib daddr type local jump portfwd
 *   chain output         nat output dstnat: the same for the host's own traffic, but not ::1
 *   chain portfwd        the four map lookups + dnat
 *   chain postrouting    nat postrouting srcnat: hairpin, localhost and Masquerade= masquerades
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <stdio.h>

#include "nftlayout.h"

const struct set_def nftlayout_sets[_SET_MAX] = {
	[SET_CT4] = { "ct4", TYPE_IPADDR, 4 },
	[SET_CT6] = { "ct6", TYPE_IP6ADDR, 16 },
	[SET_MASQ4] = { "masq4", TYPE_IPADDR, 4 },
	[SET_MASQ6] = { "masq6", TYPE_IP6ADDR, 16 },
	[SET_MASQOWN4] = { "masqown4", CONCAT2(TYPE_IPADDR, TYPE_IFNAME), 4 + IFNAMSIZ },
	[SET_MASQOWN6] = { "masqown6", CONCAT2(TYPE_IP6ADDR, TYPE_IFNAME), 16 + IFNAMSIZ },
	[SET_FWD4] = { "fwd4", CONCAT2(TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 8,
		       CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8 },
	[SET_FWD6] = { "fwd6", CONCAT2(TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 8,
		       CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20 },
	[SET_FWD4A] = { "fwd4a", CONCAT3(TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 12,
			CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8 },
	[SET_FWD6A] = { "fwd6a", CONCAT3(TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), 24,
			CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20 },
};

const struct chain_def nftlayout_chains[_CH_MAX] = {
	[CH_GUARD] = { "guard", "filter", NF_INET_PRE_ROUTING, -300 },
	[CH_PREROUTING] = { "prerouting", "nat", NF_INET_PRE_ROUTING, -100 },
	[CH_OUTPUT] = { "output", "nat", NF_INET_LOCAL_OUT, -100 },
	/* portfwd is jumped to, so it must exist before the rules that name it. */
	[CH_PORTFWD] = { "portfwd", NULL, 0, 0 },
	[CH_POSTROUTING] = { "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
};

static int x_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return x_add(r, e);
}

static int x_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return x_add(r, e);
}

static int x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
		     uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return x_add(r, e);
}

/* Lookup of reg 1 in set i; dreg 0: a set membership test (inverted when inv). */
static int x_lookup(struct nftnl_rule *r, size_t i, bool map, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, nftlayout_sets[i].name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		if (map)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
		if (inv)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	return x_add(r, e);
}

static int x_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	int err = x_meta(r, NFT_META_NFPROTO, NFT_REG_1);

	return err < 0 ? err : x_cmp(r, NFT_CMP_EQ, &proto, 1);
}

static int x_fib_local(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	}
	if (x_add(r, e) < 0)
		return -ENOMEM;
	return x_cmp(r, NFT_CMP_EQ, &local, sizeof(local));
}

static int x_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return x_add(r, e);
}

static int x_simple(struct nftnl_rule *r, const char *name)
{
	return x_add(r, nftnl_expr_alloc(name));
}

/* ct status dnat: this connection's destination was rewritten (by us, as below). */
static int x_ct_dnat(struct nftnl_rule *r)
{
	struct nftnl_expr *ct = nftnl_expr_alloc("ct"), *bw;
	uint32_t mask = IPS_DST_NAT, zero = 0;

	if (ct) {
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	if (x_add(r, ct) < 0)
		return -ENOMEM;
	bw = nftnl_expr_alloc("bitwise");
	if (bw) {
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	if (x_add(r, bw) < 0)
		return -ENOMEM;
	return x_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* Offsets in the IPv4 and IPv6 headers. */
#define IP4_SADDR 12
#define IP4_DADDR 16
#define IP6_SADDR 8
#define IP6_DADDR 24

static int x_addr(struct nftnl_rule *r, bool v4, bool dst, uint32_t dreg)
{
	return x_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
			 v4 ? (dst ? IP4_DADDR : IP4_SADDR) : (dst ? IP6_DADDR : IP6_SADDR),
			 v4 ? 4 : 16, dreg);
}

/* iif != lo, ip saddr|daddr 127.0.0.0/8: drop. lo is ifindex 1 in every namespace. */
static int r_guard(struct nftnl_rule *r, bool dst)
{
	uint32_t lo = 1;
	uint8_t net = 127;
	int err;

	err = x_meta(r, NFT_META_IIF, NFT_REG_1);
	if (err >= 0)
		err = x_cmp(r, NFT_CMP_NEQ, &lo, sizeof(lo));
	if (err >= 0)
		err = x_nfproto(r, NFPROTO_IPV4);
	if (err >= 0)
		err = x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, dst ? IP4_DADDR : IP4_SADDR, 1,
				NFT_REG_1);
	if (err >= 0)
		err = x_cmp(r, NFT_CMP_EQ, &net, 1);
	return err < 0 ? err : x_verdict(r, NF_DROP, NULL);
}

/*
 * fib daddr type local [nfproto] jump portfwd. The output hook skips ::1: an IPv6 packet
 * from ::1 can never be routed to a container (see sysctl_localnet_enable() and the README).
 */
static int r_to_portfwd(struct nftnl_rule *r, int family)
{
	static const struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
	int err = 0;

	if (family)
		err = x_nfproto(r, (uint8_t)(family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6));
	if (err >= 0 && family == AF_INET6)
		err = x_addr(r, false, true, NFT_REG_1);
	if (err >= 0 && family == AF_INET6)
		err = x_cmp(r, NFT_CMP_NEQ, &lo6, sizeof(lo6));
	if (err >= 0)
		err = x_fib_local(r);
	return err < 0 ? err : x_verdict(r, NFT_JUMP, nftlayout_chains[CH_PORTFWD].name);
}

/*
 * Key into reg 1 (addr . l4proto . dport or l4proto . dport; each part in 32-bit registers),
 * map lookup into reg 1, dnat to addr (reg 1) and port (after the address).
 */
static int r_dnat(struct nftnl_rule *r, bool v4, bool with_addr)
{
	size_t set = v4 ? (with_addr ? SET_FWD4A : SET_FWD4) : (with_addr ? SET_FWD6A : SET_FWD6);
	uint32_t reg = NFT_REG32_00, preg = v4 ? NFT_REG32_01 : NFT_REG32_04;
	struct nftnl_expr *e;
	int err;

	err = x_nfproto(r, (uint8_t)(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6));
	if (err >= 0 && with_addr) {
		err = x_addr(r, v4, true, reg);
		reg += v4 ? 1 : 4;
	}
	if (err >= 0)
		err = x_meta(r, NFT_META_L4PROTO, reg);
	if (err >= 0)
		err = x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg + 1);
	if (err >= 0)
		err = x_lookup(r, set, true, false);
	if (err < 0)
		return err;
	e = nftnl_expr_alloc("nat");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, preg);
	}
	return x_add(r, e);
}

/*
 * Masquerade a DNATed connection towards a container when it comes from a container (hairpin:
 * the answer would otherwise bypass the host's conntrack) or, IPv4 only, from 127.0.0.0/8
 * (the container could not answer 127.0.0.1).
 */
static int r_hairpin(struct nftnl_rule *r, bool v4, bool localhost)
{
	uint8_t net = 127;
	int err;

	err = x_ct_dnat(r);
	if (err >= 0)
		err = x_nfproto(r, (uint8_t)(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6));
	if (err >= 0)
		err = x_addr(r, v4, true, NFT_REG_1);
	if (err >= 0)
		err = x_lookup(r, v4 ? SET_CT4 : SET_CT6, false, false);
	if (err >= 0 && localhost) {
		err = x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, IP4_SADDR, 1, NFT_REG_1);
		if (err >= 0)
			err = x_cmp(r, NFT_CMP_EQ, &net, 1);
	} else if (err >= 0) {
		err = x_addr(r, v4, false, NFT_REG_1);
		if (err >= 0)
			err = x_lookup(r, v4 ? SET_CT4 : SET_CT6, false, false);
	}
	return err < 0 ? err : x_simple(r, "masq");
}

/* Masquerade=: saddr @masqN, saddr . oifname != @masqownN. */
static int r_masq(struct nftnl_rule *r, bool v4)
{
	int err;

	err = x_nfproto(r, (uint8_t)(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6));
	if (err >= 0)
		err = x_addr(r, v4, false, NFT_REG_1);
	if (err >= 0)
		err = x_lookup(r, v4 ? SET_MASQ4 : SET_MASQ6, false, false);
	if (err >= 0)
		err = x_addr(r, v4, false, NFT_REG_1);
	if (err >= 0)
		err = x_meta(r, NFT_META_OIFNAME, v4 ? NFT_REG32_01 : NFT_REG32_04);
	if (err >= 0)
		err = x_lookup(r, v4 ? SET_MASQOWN4 : SET_MASQOWN6, false, true);
	return err < 0 ? err : x_simple(r, "masq");
}

enum {
	R_GUARD_SADDR, R_GUARD_DADDR, R_PRE, R_OUT4, R_OUT6, R_FWD4A, R_FWD4, R_FWD6A, R_FWD6,
	R_HAIRPIN4, R_LOCALHOST4, R_HAIRPIN6, R_MASQ4, R_MASQ6, _R_MAX,
};

static const struct {
	uint8_t chain;
	const char *comment;
} rules[_R_MAX] = {
	[R_GUARD_SADDR] = { CH_GUARD, "netd/1 127.0.0.0/8 source only on lo" },
	[R_GUARD_DADDR] = { CH_GUARD, "netd/1 127.0.0.0/8 destination only on lo" },
	[R_PRE] = { CH_PREROUTING, "netd/1 to a local address" },
	[R_OUT4] = { CH_OUTPUT, "netd/1 to a local address" },
	[R_OUT6] = { CH_OUTPUT, "netd/1 to a local address but ::1" },
	[R_FWD4A] = { CH_PORTFWD, "netd/1 ForwardPort= with HOSTADDR, IPv4" },
	[R_FWD4] = { CH_PORTFWD, "netd/1 ForwardPort=, IPv4" },
	[R_FWD6A] = { CH_PORTFWD, "netd/1 ForwardPort= with HOSTADDR, IPv6" },
	[R_FWD6] = { CH_PORTFWD, "netd/1 ForwardPort=, IPv6" },
	[R_HAIRPIN4] = { CH_POSTROUTING, "netd/1 hairpin, IPv4" },
	[R_LOCALHOST4] = { CH_POSTROUTING, "netd/1 from 127.0.0.0/8" },
	[R_HAIRPIN6] = { CH_POSTROUTING, "netd/1 hairpin, IPv6" },
	[R_MASQ4] = { CH_POSTROUTING, "netd/1 Masquerade=, IPv4" },
	[R_MASQ6] = { CH_POSTROUTING, "netd/1 Masquerade=, IPv6" },
};

size_t nftlayout_rule_count(void)
{
	return _R_MAX;
}

const char *nftlayout_rule_chain(size_t i)
{
	return nftlayout_chains[rules[i].chain].name;
}

int nftlayout_rule_exprs(struct nftnl_rule *r, size_t i)
{
	switch (i) {
	case R_GUARD_SADDR:
	case R_GUARD_DADDR:
		return r_guard(r, i == R_GUARD_DADDR);
	case R_PRE:
		return r_to_portfwd(r, 0);
	case R_OUT4:
	case R_OUT6:
		return r_to_portfwd(r, i == R_OUT4 ? AF_INET : AF_INET6);
	case R_FWD4A:
	case R_FWD4:
	case R_FWD6A:
	case R_FWD6:
		return r_dnat(r, i == R_FWD4A || i == R_FWD4, i == R_FWD4A || i == R_FWD6A);
	case R_HAIRPIN4:
	case R_LOCALHOST4:
	case R_HAIRPIN6:
		return r_hairpin(r, i != R_HAIRPIN6, i == R_LOCALHOST4);
	default:
		return r_masq(r, i == R_MASQ4);
	}
}

/* The comment as nft stores it: a udata TLV, which `nft list` shows as comment "...". */
int nftlayout_rule_udata(size_t i, struct nftnl_udata_buf **ret)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(256);

	if (!u)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, rules[i].comment)) {
		nftnl_udata_buf_free(u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

size_t nftlayout_rule_chain_index(size_t i)
{
	return rules[i].chain;
}
