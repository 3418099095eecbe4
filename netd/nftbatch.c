/* SPDX-License-Identifier: MIT */
/*
 * netd's nftables table: its layout, the encoding of elements, and the batches that create it
 * or change its elements (libnftnl). No I/O: nft-io.c sends them.
 *
 * One "inet netd" table rather than one per family: a single object to own, to check on
 * adoption and to replace atomically, and one set of chains for both families (the inet nat
 * hooks exist since Linux 5.2). Per family there are still separate maps, since a map's value
 * type names the address family.
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
 *
 * The rules never change; the per-packet cost is a constant number of hash lookups.
 * Each rule carries a comment ("netd/1 ...") by which adoption recognises the layout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>

#include "nftbatch.h"

/* Elements per NEWSETELEM message: the element list is one attribute, whose length is 16 bits. */
#define ELEMS_PER_MSG 512
/* Room reserved for one message before it is built. */
#define MSG_MAX (128 * 1024)

const struct set_def nftbatch_sets[_SET_MAX] = {
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

/* ---- raw element sets ---- */

void nftbatch_raw_done(struct raw *r)
{
	for (size_t i = 0; i < _SET_MAX; i++)
		free(r->s[i].e);
	memset(r, 0, sizeof(*r));
}

struct raw_elem *nftbatch_raw_push(struct raw_set *s)
{
	if (s->n == s->allocated) {
		size_t want = s->allocated ? s->allocated * 2 : 16;
		struct raw_elem *e = realloc(s->e, want * sizeof(*e));

		if (!e)
			return NULL;
		s->e = e;
		s->allocated = want;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[0]));
	return &s->e[s->n++];
}

/* Concatenation fields are padded to 32 bits; ports are big endian. */
static void put_port(uint8_t *p, uint16_t port)
{
	uint16_t be = htons(port);

	memcpy(p, &be, 2);
}

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int encode_one(struct raw *r, const struct forward_elem *f)
{
	bool v4 = f->family == AF_INET;
	int al = alen(f->family);
	struct raw_elem *e, *own;

	switch (f->kind) {
	case FORWARD_DNAT:
		e = nftbatch_raw_push(&r->s[v4 ? SET_FWD4 : SET_FWD6]);
		if (!e)
			return -ENOMEM;
		e->key[0] = f->protocol;
		put_port(e->key + 4, f->port);
		break;
	case FORWARD_DNAT_ADDR:
		e = nftbatch_raw_push(&r->s[v4 ? SET_FWD4A : SET_FWD6A]);
		if (!e)
			return -ENOMEM;
		memcpy(e->key, f->addr.bytes, al);
		e->key[al] = f->protocol;
		put_port(e->key + al + 4, f->port);
		break;
	case FORWARD_CONTAINER:
		e = nftbatch_raw_push(&r->s[v4 ? SET_CT4 : SET_CT6]);
		if (!e)
			return -ENOMEM;
		memcpy(e->key, f->addr.bytes, al);
		return 0;
	case FORWARD_MASQ:
		e = nftbatch_raw_push(&r->s[v4 ? SET_MASQ4 : SET_MASQ6]);
		own = e ? nftbatch_raw_push(&r->s[v4 ? SET_MASQOWN4 : SET_MASQOWN6]) : NULL;
		if (!own)
			return -ENOMEM;
		memcpy(e->key, f->addr.bytes, al);
		memcpy(own->key, f->addr.bytes, al);
		memcpy(own->key + al, f->ifname, strnlen(f->ifname, IFNAMSIZ));
		return 0;
	default:
		return -EINVAL;
	}
	memcpy(e->data, f->to_addr.bytes, al);
	put_port(e->data + al, f->to_port);
	return 0;
}

int nftbatch_raw_cmp(const void *a, const void *b)
{
	return memcmp(((const struct raw_elem *)a)->key, ((const struct raw_elem *)b)->key,
		      sizeof(((const struct raw_elem *)a)->key));
}

/* Key bytes beyond the set's key length are zero, so whole-array comparisons are exact. */
void nftbatch_raw_sort(struct raw *r)
{
	for (size_t i = 0; i < _SET_MAX; i++)
		if (r->s[i].n > 1)
			qsort(r->s[i].e, r->s[i].n, sizeof(struct raw_elem), nftbatch_raw_cmp);
}

/* The elements of a forward set (sorted by forward key) regrouped per nftables set. */
int nftbatch_encode(const struct forward_set *f, struct raw *ret)
{
	struct raw r = {};
	int err = 0;

	for (size_t i = 0; err >= 0 && f && i < f->n; i++)
		err = encode_one(&r, &f->elems[i]);
	if (err < 0) {
		nftbatch_raw_done(&r);
		return err;
	}
	nftbatch_raw_sort(&r);
	*ret = r;
	return 0;
}

/* ---- batches ---- */

void nftbatch_done(struct nft_batch *b)
{
	free(b->buf);
	free(b->types);
	memset(b, 0, sizeof(*b));
}

/* Room for one more message at b->buf + b->len. */
static char *batch_room(struct nft_batch *b)
{
	size_t n = b->seq_next - b->seq_first + 1;
	uint16_t *t;

	if (b->len + MSG_MAX > b->allocated) {
		size_t want = b->allocated ? b->allocated * 2 : 4 * MSG_MAX;
		char *p;

		while (want < b->len + MSG_MAX)
			want *= 2;
		p = realloc(b->buf, want);
		if (!p)
			return NULL;
		b->buf = p;
		b->allocated = want;
	}
	t = realloc(b->types, n * sizeof(*t));
	if (!t)
		return NULL;
	b->types = t;
	return b->buf + b->len;
}

static void batch_commit(struct nft_batch *b, struct nlmsghdr *nlh)
{
	b->types[b->seq_next - b->seq_first] = nlh->nlmsg_type;
	if (nlh->nlmsg_flags & NLM_F_ACK)
		b->n_acks++;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->seq_next++;
}

static int batch_init(struct nft_batch *b, uint32_t seq)
{
	char *p;

	memset(b, 0, sizeof(*b));
	b->seq_first = b->seq_next = seq;
	p = batch_room(b);
	if (!p)
		return -ENOMEM;
	batch_commit(b, nftnl_batch_begin(p, b->seq_next));
	return 0;
}

static int batch_finish(struct nft_batch *b)
{
	char *p = batch_room(b);

	if (!p)
		return -ENOMEM;
	batch_commit(b, nftnl_batch_end(p, b->seq_next));
	return 0;
}

static struct nlmsghdr *batch_hdr(struct nft_batch *b, uint16_t type, uint16_t flags)
{
	char *p = batch_room(b);

	if (!p)
		return NULL;
	return nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags | NLM_F_ACK, b->seq_next);
}

static int batch_table(struct nft_batch *b, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	nlh = batch_hdr(b, type, flags);
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_commit(b, nlh);
	}
	nftnl_table_free(t);
	return nlh ? 0 : -ENOMEM;
}

static struct nftnl_set *set_obj(size_t i)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, nftbatch_sets[i].name);
	return s;
}

static int batch_set(struct nft_batch *b, size_t i)
{
	struct nftnl_set *s = set_obj(i);
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)i + 1);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, nftbatch_sets[i].key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, nftbatch_sets[i].key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, nftbatch_sets[i].data_len ? NFT_SET_MAP : 0);
	if (nftbatch_sets[i].data_len) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, nftbatch_sets[i].data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, nftbatch_sets[i].data_len);
	}
	nlh = batch_hdr(b, NFT_MSG_NEWSET, NLM_F_CREATE);
	if (nlh) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		batch_commit(b, nlh);
	}
	nftnl_set_free(s);
	return nlh ? 0 : -ENOMEM;
}

/* Elements [from, to) of set i in one NEWSETELEM or DELSETELEM message. */
static int batch_elems(struct nft_batch *b, size_t i, uint16_t type, const struct raw_elem *e,
		       size_t n)
{
	struct nftnl_set *s = set_obj(i);
	struct nlmsghdr *nlh = NULL;

	if (!s)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();

		if (!el)
			goto out;
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e[k].key, nftbatch_sets[i].key_len);
		/* A map element is deleted by its key alone. */
		if (nftbatch_sets[i].data_len && type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, e[k].data, nftbatch_sets[i].data_len);
		nftnl_set_elem_add(s, el);
	}
	nlh = batch_hdr(b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		batch_commit(b, nlh);
		b->n_elements += n;
	}
out:
	nftnl_set_free(s);
	return nlh ? 0 : -ENOMEM;
}

static int batch_elems_chunked(struct nft_batch *b, size_t i, uint16_t type,
			       const struct raw_elem *e, size_t n)
{
	int r = 0;

	for (size_t k = 0; r >= 0 && k < n; k += ELEMS_PER_MSG)
		r = batch_elems(b, i, type, e + k, n - k < ELEMS_PER_MSG ? n - k : ELEMS_PER_MSG);
	return r;
}

/* ---- chains and rules ---- */

const struct chain_def nftbatch_chains[_CH_MAX] = {
	[CH_GUARD] = { "guard", "filter", NF_INET_PRE_ROUTING, -300 },
	[CH_PREROUTING] = { "prerouting", "nat", NF_INET_PRE_ROUTING, -100 },
	[CH_OUTPUT] = { "output", "nat", NF_INET_LOCAL_OUT, -100 },
	/* portfwd is jumped to, so it must exist before the rules that name it. */
	[CH_PORTFWD] = { "portfwd", NULL, 0, 0 },
	[CH_POSTROUTING] = { "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
};

static int batch_chain(struct nft_batch *b, size_t i)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, nftbatch_chains[i].name);
	if (nftbatch_chains[i].type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, nftbatch_chains[i].type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, nftbatch_chains[i].hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, nftbatch_chains[i].prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = batch_hdr(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		batch_commit(b, nlh);
	}
	nftnl_chain_free(c);
	return nlh ? 0 : -ENOMEM;
}

/* Expression helpers: each adds one expression to r, or returns -ENOMEM. */
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
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, nftbatch_sets[i].name);
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
 * from ::1 can never be routed to a container (see nft_localnet_enable() and the README).
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
	return err < 0 ? err : x_verdict(r, NFT_JUMP, nftbatch_chains[CH_PORTFWD].name);
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

size_t nftbatch_rule_count(void)
{
	return _R_MAX;
}

const char *nftbatch_rule_chain(size_t i)
{
	return nftbatch_chains[rules[i].chain].name;
}

static int rule_exprs(struct nftnl_rule *r, size_t i)
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
int nftbatch_rule_udata(size_t i, struct nftnl_udata_buf **ret)
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

static int batch_rule(struct nft_batch *b, size_t i)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_udata_buf *u = NULL;
	struct nlmsghdr *nlh = NULL;
	int err;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, nftbatch_chains[rules[i].chain].name);
	err = rule_exprs(r, i);
	if (err >= 0)
		err = nftbatch_rule_udata(i, &u);
	if (err >= 0) {
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
				    nftnl_udata_buf_len(u));
		nlh = batch_hdr(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
		if (!nlh)
			err = -ENOMEM;
	}
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		batch_commit(b, nlh);
	}
	if (u)
		nftnl_udata_buf_free(u);
	nftnl_rule_free(r);
	return err;
}

int nftbatch_full_raw(const struct raw *desired, uint32_t seq, struct nft_batch *ret)
{
	struct nft_batch b;
	int r;

	r = batch_init(&b, seq);
	/* Adding first makes the delete succeed whether or not the table exists; all of it is
	 * one transaction, so packets see the old table until they see the whole new one. */
	if (r >= 0)
		r = batch_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (r >= 0)
		r = batch_table(&b, NFT_MSG_DELTABLE, 0);
	if (r >= 0)
		r = batch_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	for (size_t i = 0; r >= 0 && i < _SET_MAX; i++)
		r = batch_set(&b, i);
	for (size_t i = 0; r >= 0 && i < _CH_MAX; i++)
		r = batch_chain(&b, i);
	for (size_t i = 0; r >= 0 && i < _R_MAX; i++)
		r = batch_rule(&b, i);
	for (size_t i = 0; r >= 0 && i < _SET_MAX; i++)
		r = batch_elems_chunked(&b, i, NFT_MSG_NEWSETELEM, desired->s[i].e,
					desired->s[i].n);
	if (r >= 0)
		r = batch_finish(&b);
	if (r < 0) {
		nftbatch_done(&b);
		return r;
	}
	*ret = b;
	return 0;
}

int nftbatch_delete(uint32_t seq, struct nft_batch *ret)
{
	struct nft_batch b;
	int r;

	r = batch_init(&b, seq);
	/* Adding first makes the delete succeed whether or not the table exists. */
	if (r >= 0)
		r = batch_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (r >= 0)
		r = batch_table(&b, NFT_MSG_DELTABLE, 0);
	if (r >= 0)
		r = batch_finish(&b);
	if (r < 0) {
		nftbatch_done(&b);
		return r;
	}
	*ret = b;
	return 0;
}

static int diff_push(struct raw_set *out, const struct raw_elem *e)
{
	struct raw_elem *slot = nftbatch_raw_push(out);

	if (!slot)
		return -ENOMEM;
	*slot = *e;
	return 0;
}

/* Sorted merge of one set: what to delete (gone or changed value) and what to add. */
static int diff_set(const struct raw_set *from, const struct raw_set *to, struct raw_set *del,
		    struct raw_set *add)
{
	size_t i = 0, j = 0;
	int r = 0;

	while (r >= 0 && (i < from->n || j < to->n)) {
		int c = i == from->n ? 1 : j == to->n ? -1 : nftbatch_raw_cmp(&from->e[i], &to->e[j]);

		if (c < 0) {
			r = diff_push(del, &from->e[i++]);
		} else if (c > 0) {
			r = diff_push(add, &to->e[j++]);
		} else {
			if (memcmp(from->e[i].data, to->e[j].data, sizeof(from->e[i].data)) != 0) {
				r = diff_push(del, &from->e[i]);
				if (r >= 0)
					r = diff_push(add, &to->e[j]);
			}
			i++;
			j++;
		}
	}
	return r;
}

/* Deletes first: a changed map value is a delete and an add of the same key. */
int nftbatch_diff_raw(const struct raw *from, const struct raw *to, uint32_t seq,
			  struct nft_batch *ret)
{
	struct raw del = {}, add = {};
	struct nft_batch b = {};
	size_t changes = 0;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < _SET_MAX; i++) {
		r = diff_set(&from->s[i], &to->s[i], &del.s[i], &add.s[i]);
		changes += del.s[i].n + add.s[i].n;
	}
	if (r >= 0)
		r = batch_init(&b, seq);
	for (size_t i = 0; r >= 0 && changes && i < _SET_MAX; i++)
		r = batch_elems_chunked(&b, i, NFT_MSG_DELSETELEM, del.s[i].e, del.s[i].n);
	for (size_t i = 0; r >= 0 && changes && i < _SET_MAX; i++)
		r = batch_elems_chunked(&b, i, NFT_MSG_NEWSETELEM, add.s[i].e, add.s[i].n);
	if (r >= 0)
		r = batch_finish(&b);
	nftbatch_raw_done(&del);
	nftbatch_raw_done(&add);
	if (r < 0) {
		nftbatch_done(&b);
		return r;
	}
	if (!changes)
		b.n_acks = 0;
	*ret = b;
	return 0;
}

int nftbatch_full(const struct forward_set *desired, uint32_t seq, struct nft_batch *ret)
{
	struct raw d;
	int r = nftbatch_encode(desired, &d);

	if (r < 0)
		return r;
	r = nftbatch_full_raw(&d, seq, ret);
	nftbatch_raw_done(&d);
	return r;
}

int nftbatch_diff(const struct forward_set *from, const struct forward_set *to, uint32_t seq,
		   struct nft_batch *ret)
{
	struct raw f, t;
	int r = nftbatch_encode(from, &f);

	if (r < 0)
		return r;
	r = nftbatch_encode(to, &t);
	if (r >= 0) {
		r = nftbatch_diff_raw(&f, &t, seq, ret);
		nftbatch_raw_done(&t);
	}
	nftbatch_raw_done(&f);
	return r;
}
