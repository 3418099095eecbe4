/* SPDX-License-Identifier: MIT */
/*
 * Batches for netd's nftables table (its layout is nftlayout.c's): the one transaction that
 * creates it with every element, and the element deletes and adds that turn one set of
 * elements into another. No I/O: nft.c sends them.
 *
 * One "inet netd" table rather than one per family: a single object to own, to check on
 * adoption and to replace atomically, and one set of chains for both families (the inet nat
 * hooks exist since Linux 5.2). Per family there are still separate maps, since a map's value
 * type names the address family.
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


/* ---- raw element sets ---- */

void nftbatch_raw_done(struct raw *r)
{
	for (size_t i = 0; i < _SET_MAX; i++)
		free(r->s[i].e);
	memset(r, 0, sizeof(*r));
}

size_t nftbatch_elem_len(size_t i)
{
	return nftlayout_sets[i].key_len + nftlayout_sets[i].data_len;
}

uint8_t *nftbatch_raw_push(struct raw *r, size_t i)
{
	struct raw_set *s = &r->s[i];
	size_t len = nftbatch_elem_len(i);
	uint8_t *e;

	if (s->n == s->allocated) {
		size_t want = s->allocated ? s->allocated * 2 : 16;

		e = reallocarray(s->e, want, len);
		if (!e)
			return NULL;
		s->e = e;
		s->allocated = want;
	}
	e = s->e + s->n++ * len;
	memset(e, 0, len);
	return e;
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
	size_t set;
	uint8_t *e, *own;

	switch (f->kind) {
	case FORWARD_DNAT:
		set = v4 ? SET_FWD4 : SET_FWD6;
		e = nftbatch_raw_push(r, set);
		if (!e)
			return -ENOMEM;
		e[0] = f->protocol;
		put_port(e + 4, f->port);
		break;
	case FORWARD_DNAT_ADDR:
		set = v4 ? SET_FWD4A : SET_FWD6A;
		e = nftbatch_raw_push(r, set);
		if (!e)
			return -ENOMEM;
		memcpy(e, f->addr.bytes, al);
		e[al] = f->protocol;
		put_port(e + al + 4, f->port);
		break;
	case FORWARD_CONTAINER:
		e = nftbatch_raw_push(r, v4 ? SET_CT4 : SET_CT6);
		if (!e)
			return -ENOMEM;
		memcpy(e, f->addr.bytes, al);
		return 0;
	case FORWARD_MASQ:
		e = nftbatch_raw_push(r, v4 ? SET_MASQ4 : SET_MASQ6);
		own = e ? nftbatch_raw_push(r, v4 ? SET_MASQOWN4 : SET_MASQOWN6) : NULL;
		if (!own)
			return -ENOMEM;
		memcpy(e, f->addr.bytes, al);
		memcpy(own, f->addr.bytes, al);
		memcpy(own + al, f->ifname, strnlen(f->ifname, IFNAMSIZ));
		return 0;
	default:
		return -EINVAL;
	}
	/* The map's value follows the key. */
	e += nftlayout_sets[set].key_len;
	memcpy(e, f->to_addr.bytes, al);
	put_port(e + al, f->to_port);
	return 0;
}

/* Key order of elements of one set; arg points to its key length. */
static int key_cmp(const void *a, const void *b, void *arg)
{
	return memcmp(a, b, *(const uint32_t *)arg);
}

void nftbatch_raw_sort(struct raw *r)
{
	for (size_t i = 0; i < _SET_MAX; i++)
		if (r->s[i].n > 1)
			qsort_r(r->s[i].e, r->s[i].n, nftbatch_elem_len(i), key_cmp,
				(void *)&nftlayout_sets[i].key_len);
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

/* Close the batch built so far (r: how building went) and hand it to *ret, or drop it. */
static int batch_close(struct nft_batch *b, int r, struct nft_batch *ret)
{
	if (r >= 0)
		r = batch_finish(b);
	if (r < 0) {
		nftbatch_done(b);
		return r;
	}
	*ret = *b;
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
	nftnl_set_set_str(s, NFTNL_SET_NAME, nftlayout_sets[i].name);
	return s;
}

static int batch_set(struct nft_batch *b, size_t i)
{
	struct nftnl_set *s = set_obj(i);
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)i + 1);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, nftlayout_sets[i].key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, nftlayout_sets[i].key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, nftlayout_sets[i].data_len ? NFT_SET_MAP : 0);
	if (nftlayout_sets[i].data_len) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, nftlayout_sets[i].data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, nftlayout_sets[i].data_len);
	}
	nlh = batch_hdr(b, NFT_MSG_NEWSET, NLM_F_CREATE);
	if (nlh) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		batch_commit(b, nlh);
	}
	nftnl_set_free(s);
	return nlh ? 0 : -ENOMEM;
}

/* The n elements of set i from e on in one NEWSETELEM or DELSETELEM message. */
static int batch_elems(struct nft_batch *b, size_t i, uint16_t type, const uint8_t *e, size_t n)
{
	const struct set_def *d = &nftlayout_sets[i];
	struct nftnl_set *s = set_obj(i);
	struct nlmsghdr *nlh = NULL;

	if (!s)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++, e += nftbatch_elem_len(i)) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();

		if (!el)
			goto out;
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e, d->key_len);
		/* A map element is deleted by its key alone. */
		if (d->data_len && type == NFT_MSG_NEWSETELEM)
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, e + d->key_len, d->data_len);
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
			       const struct raw_set *s)
{
	int r = 0;

	for (size_t k = 0; r >= 0 && k < s->n; k += ELEMS_PER_MSG)
		r = batch_elems(b, i, type, s->e + k * nftbatch_elem_len(i),
				s->n - k < ELEMS_PER_MSG ? s->n - k : ELEMS_PER_MSG);
	return r;
}

/* ---- chains and rules ---- */


static int batch_chain(struct nft_batch *b, size_t i)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, nftlayout_chains[i].name);
	if (nftlayout_chains[i].type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, nftlayout_chains[i].type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, nftlayout_chains[i].hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, nftlayout_chains[i].prio);
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
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, nftlayout_chains[nftlayout_rule_chain_index(i)].name);
	err = nftlayout_rule_exprs(r, i);
	if (err >= 0)
		err = nftlayout_rule_udata(i, &u);
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

/* Delete the table; adding it first makes the delete succeed whether or not it exists. */
static int batch_table_gone(struct nft_batch *b)
{
	int r = batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE);

	return r < 0 ? r : batch_table(b, NFT_MSG_DELTABLE, 0);
}

int nftbatch_full_raw(const struct raw *desired, uint32_t seq, struct nft_batch *ret)
{
	struct nft_batch b;
	int r;

	r = batch_init(&b, seq);
	/* All of it is one transaction: packets see the old table until they see the new one. */
	if (r >= 0)
		r = batch_table_gone(&b);
	if (r >= 0)
		r = batch_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	for (size_t i = 0; r >= 0 && i < _SET_MAX; i++)
		r = batch_set(&b, i);
	for (size_t i = 0; r >= 0 && i < _CH_MAX; i++)
		r = batch_chain(&b, i);
	for (size_t i = 0; r >= 0 && i < nftlayout_rule_count(); i++)
		r = batch_rule(&b, i);
	for (size_t i = 0; r >= 0 && i < _SET_MAX; i++)
		r = batch_elems_chunked(&b, i, NFT_MSG_NEWSETELEM, &desired->s[i]);
	return batch_close(&b, r, ret);
}

int nftbatch_delete(uint32_t seq, struct nft_batch *ret)
{
	struct nft_batch b;
	int r;

	r = batch_init(&b, seq);
	if (r >= 0)
		r = batch_table_gone(&b);
	return batch_close(&b, r, ret);
}

static int diff_push(struct raw *out, size_t set, const uint8_t *e)
{
	uint8_t *slot = nftbatch_raw_push(out, set);

	if (!slot)
		return -ENOMEM;
	memcpy(slot, e, nftbatch_elem_len(set));
	return 0;
}

/* Sorted merge of one set: what to delete (gone or changed value) and what to add. */
static int diff_set(const struct raw *from, const struct raw *to, size_t set, struct raw *del,
		    struct raw *add)
{
	const struct raw_set *f = &from->s[set], *t = &to->s[set];
	size_t klen = nftlayout_sets[set].key_len, len = nftbatch_elem_len(set), i = 0, j = 0;
	int r = 0;

	while (r >= 0 && (i < f->n || j < t->n)) {
		const uint8_t *a = i < f->n ? f->e + i * len : NULL;
		const uint8_t *b = j < t->n ? t->e + j * len : NULL;
		int c = !a ? 1 : !b ? -1 : memcmp(a, b, klen);

		if (c < 0) {
			r = diff_push(del, set, a);
			i++;
		} else if (c > 0) {
			r = diff_push(add, set, b);
			j++;
		} else {
			if (memcmp(a + klen, b + klen, len - klen) != 0) {
				r = diff_push(del, set, a);
				if (r >= 0)
					r = diff_push(add, set, b);
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
		r = diff_set(from, to, i, &del, &add);
		changes += del.s[i].n + add.s[i].n;
	}
	if (r >= 0)
		r = batch_init(&b, seq);
	for (size_t i = 0; r >= 0 && changes && i < _SET_MAX; i++)
		r = batch_elems_chunked(&b, i, NFT_MSG_DELSETELEM, &del.s[i]);
	for (size_t i = 0; r >= 0 && changes && i < _SET_MAX; i++)
		r = batch_elems_chunked(&b, i, NFT_MSG_NEWSETELEM, &add.s[i]);
	nftbatch_raw_done(&del);
	nftbatch_raw_done(&add);
	r = batch_close(&b, r, ret);
	if (r >= 0 && !changes)
		ret->n_acks = 0;
	return r;
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
