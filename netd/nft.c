/* SPDX-License-Identifier: MIT */
/*
 * The nftables executor's I/O: the NETLINK_NETFILTER socket, batches sent and every ACK
 * checked, adoption of the table a previous netd left (read, compare, diff).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include "nft.h"
#include "nftbatch.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

/* ACKs of a 10,000-forward batch are a few dozen; dumps of big maps need room too. */
#define RCVBUF (8 * 1024 * 1024)
#define RECVBUF_SIZE (64 * 1024)
#define REPLY_TIMEOUT_MS 5000
#define DUMP_ATTEMPTS 5

struct nft {
	struct mnl_socket *mnl; /* owned */
	uint32_t portid, seq;
	int sndbuf;
	bool known;           /* installed mirrors the kernel's table */
	uint32_t gen;         /* the ruleset generation installed was known at (when known) */
	struct raw installed; /* owned */
	char *buf;            /* owned: RECVBUF_SIZE bytes for replies */
};

static int setsockopt_int(int fd, int name, int value)
{
	if (setsockopt(fd, SOL_SOCKET, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

int nft_new(struct nft **ret)
{
	struct nft *n;
	int fd, one = 1, r;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->buf = malloc(RECVBUF_SIZE);
	if (!n->buf) {
		free(n);
		return -ENOMEM;
	}
	n->mnl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!n->mnl) {
		r = -errno;
		nft_free(n);
		return r;
	}
	fd = mnl_socket_get_fd(n->mnl);
	/* The kernel's reason for a refusal ("Could not process rule: No such file ...") */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt_int(fd, SO_RCVBUFFORCE, RCVBUF) < 0)
		(void)setsockopt_int(fd, SO_RCVBUF, RCVBUF);
	if (mnl_socket_bind(n->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		nft_free(n);
		return r;
	}
	n->portid = mnl_socket_get_portid(n->mnl);
	*ret = n;
	return 0;
}

struct nft *nft_free(struct nft *n)
{
	if (!n)
		return NULL;
	if (n->mnl)
		(void)mnl_socket_close(n->mnl);
	nftbatch_raw_done(&n->installed);
	free(n->buf);
	free(n);
	return NULL;
}

void nft_invalidate(struct nft *n)
{
	n->known = false;
}

/* Receive one datagram from the kernel, waiting up to REPLY_TIMEOUT_MS. */
static ssize_t recv_one(struct nft *n)
{
	int fd = mnl_socket_get_fd(n->mnl);

	for (;;) {
		struct sockaddr_nl from = {};
		struct iovec iov = { .iov_base = n->buf, .iov_len = RECVBUF_SIZE };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
		};
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t len = recvmsg(fd, &msg, 0);

		if (len < 0 && errno == EAGAIN) {
			int r = poll(&p, 1, REPLY_TIMEOUT_MS);

			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (len < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -EBADMSG;
		/* Only the kernel speaks for the ruleset; another process may unicast to us. */
		if (from.nl_pid != 0)
			continue;
		return len;
	}
}

static const char *msg_type_name(uint16_t type)
{
	static const char *const names[] = {
		[NFT_MSG_NEWTABLE] = "NFT_MSG_NEWTABLE",     [NFT_MSG_DELTABLE] = "NFT_MSG_DELTABLE",
		[NFT_MSG_NEWCHAIN] = "NFT_MSG_NEWCHAIN",     [NFT_MSG_NEWRULE] = "NFT_MSG_NEWRULE",
		[NFT_MSG_NEWSET] = "NFT_MSG_NEWSET",         [NFT_MSG_NEWSETELEM] = "NFT_MSG_NEWSETELEM",
		[NFT_MSG_DELSETELEM] = "NFT_MSG_DELSETELEM",
	};
	uint16_t t = type & 0xff;

	if (type == NFNL_MSG_BATCH_BEGIN)
		return "NFNL_MSG_BATCH_BEGIN";
	return t < ARRAY_SIZE(names) && names[t] ? names[t] : "NFT_MSG_?";
}

/*
 * Send the batch and collect one reply per ACK-flagged message. nfnetlink runs the whole
 * batch inside sendmsg() and reports every message (errors included, the batch goes on to
 * report them all) before it returns, except when it fails the batch as a whole: then one
 * error comes back for BATCH_BEGIN.
 */
static int batch_send(struct nft *n, const struct nft_batch *b, struct nl_err *reterr)
{
	int fd = mnl_socket_get_fd(n->mnl);
	struct nl_err first = {};
	unsigned replies = 0;

	if (b->len > (size_t)n->sndbuf) {
		/* sendmsg() refuses a datagram larger than the send buffer. */
		int want = (int)b->len + 65536;

		if (setsockopt_int(fd, SO_SNDBUFFORCE, want) < 0 &&
		    setsockopt_int(fd, SO_SNDBUF, want) < 0)
			return -EMSGSIZE;
		n->sndbuf = want;
	}
	if (mnl_socket_sendto(n->mnl, b->buf, b->len) < 0)
		return -errno;

	while (replies < b->n_acks) {
		ssize_t len = recv_one(n);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)n->buf;
		int left = (int)len;

		if (len < 0)
			return (int)len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nl_err e = {};
			int r;

			if (nlh->nlmsg_pid != n->portid || nlh->nlmsg_seq < b->seq_first ||
			    nlh->nlmsg_seq >= b->seq_next || nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			r = nl_parse_error(nlh, nlh->nlmsg_len, &e);
			if (r == -EBADMSG && e.error == 0)
				return -EBADMSG;
			if (r < 0 && !first.error) {
				first = e;
				if (!first.msg[0])
					(void)snprintf(first.msg, sizeof(first.msg), "%s",
						       msg_type_name(b->types[nlh->nlmsg_seq -
									      b->seq_first]));
			}
			if (nlh->nlmsg_seq == b->seq_first) {
				replies = b->n_acks; /* the batch as a whole */
				break;
			}
			replies++;
		}
	}
	if (first.error) {
		if (reterr)
			*reterr = first;
		return first.error;
	}
	return 0;
}

typedef int (*dump_cb)(const struct nlmsghdr *nlh, void *userdata);

/* Run one dump; -EINTR when the ruleset changed under it (NLM_F_DUMP_INTR). */
static int dump(struct nft *n, uint16_t type, void (*payload)(struct nlmsghdr *, void *),
		void *obj, dump_cb cb, void *userdata)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	bool intr = false;
	uint32_t seq;

	seq = ++n->seq;
	nlh = nftnl_nlmsg_build_hdr(req, type, NFPROTO_INET, NLM_F_DUMP, seq);
	if (payload)
		payload(nlh, obj);
	if (mnl_socket_sendto(n->mnl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv_one(n);
		const struct nlmsghdr *m = (const struct nlmsghdr *)n->buf;
		int left = (int)len, r;

		if (len < 0)
			return (int)len;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != n->portid)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (m->nlmsg_type == NLMSG_DONE)
				return intr ? -EINTR : 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				r = nl_parse_error(m, m->nlmsg_len, NULL);
				return r < 0 ? r : -EBADMSG;
			}
			r = cb(m, userdata);
			if (r < 0)
				return r;
		}
	}
}

/* ---- the ruleset generation: did anyone change nftables since we last looked? ---- */

static int gen_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

/*
 * The kernel counts every committed nftables transaction, anyone's, in its ruleset
 * generation. Reading it costs one round trip; reading the table costs one per set.
 */
static int get_gen(struct nft *n, uint32_t *ret)
{
	char req[128];
	struct nlmsghdr *nlh;
	uint32_t seq = ++n->seq;

	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
	if (mnl_socket_sendto(n->mnl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv_one(n);
		const struct nlmsghdr *m = (const struct nlmsghdr *)n->buf;
		int left = (int)len;

		if (len < 0)
			return (int)len;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			uint32_t gen = 0;
			int r;

			if (m->nlmsg_seq != seq || m->nlmsg_pid != n->portid)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				r = nl_parse_error(m, m->nlmsg_len, NULL);
				return r < 0 ? r : -EBADMSG;
			}
			if ((m->nlmsg_type & 0xff) != NFT_MSG_NEWGEN ||
			    mnl_attr_parse(m, sizeof(struct nfgenmsg), gen_attr_cb, &gen) < 0)
				return -EBADMSG;
			*ret = gen;
			return 0;
		}
	}
}

/* ---- adoption: is the table netd's layout, and which elements does it hold? ---- */

struct adopt {
	bool chain_ok[_CH_MAX];
	bool set_ok[_SET_MAX];
	size_t rules_seen[_CH_MAX]; /* rules of each chain, in order */
	bool rules_ok;
	struct raw raw;
	size_t cur_set;
};

static int chain_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct adopt *a = userdata;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return -EBADMSG;
	}
	for (size_t i = 0; i < _CH_MAX; i++) {
		const struct chain_def *d = &nftlayout_chains[i];
		const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
		const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);

		if (!name || strcmp(name, d->name) != 0)
			continue;
		if (!d->type)
			a->chain_ok[i] = !type;
		else
			a->chain_ok[i] = streq_ptr(type, d->type) &&
					 nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == d->hook &&
					 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == d->prio &&
					 nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT;
	}
	nftnl_chain_free(c);
	return 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct adopt *a = userdata;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return -EBADMSG;
	}
	for (size_t i = 0; i < _SET_MAX; i++) {
		const struct set_def *d = &nftlayout_sets[i];
		const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);

		if (!name || strcmp(name, d->name) != 0)
			continue;
		a->set_ok[i] = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) == d->key_type &&
			       nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) == d->key_len &&
			       nftnl_set_get_u32(s, NFTNL_SET_FLAGS) == (d->data_len ? NFT_SET_MAP : 0);
		if (d->data_len)
			a->set_ok[i] = a->set_ok[i] &&
				       nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == d->data_type &&
				       nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN) == d->data_len;
	}
	nftnl_set_free(s);
	return 0;
}

/* Is r rule number k of its chain, as netd builds it? Compared by the comment each carries. */
static bool rule_matches(struct nftnl_rule *r, const char *chain, size_t k)
{
	struct nftnl_udata_buf *u = NULL;
	const void *data;
	uint32_t len = 0;
	size_t i, seen = 0;
	bool ok;

	for (i = 0; i < nftlayout_rule_count(); i++)
		if (strcmp(nftlayout_rule_chain(i), chain) == 0 && seen++ == k)
			break;
	if (i == nftlayout_rule_count() || nftlayout_rule_udata(i, &u) < 0)
		return false;
	data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	ok = data && len == nftnl_udata_buf_len(u) &&
	     memcmp(data, nftnl_udata_buf_data(u), len) == 0;
	nftnl_udata_buf_free(u);
	return ok;
}

static int rule_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct adopt *a = userdata;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *chain;
	size_t c;

	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return -EBADMSG;
	}
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	for (c = 0; c < _CH_MAX; c++)
		if (chain && strcmp(chain, nftlayout_chains[c].name) == 0)
			break;
	/* Rules in chains that are not netd's are someone else's business; ours must match. */
	if (c < _CH_MAX && !rule_matches(r, nftlayout_chains[c].name, a->rules_seen[c]++))
		a->rules_ok = false;
	nftnl_rule_free(r);
	return 0;
}

static int elem_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct adopt *a = userdata;
	const struct set_def *d = &nftlayout_sets[a->cur_set];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return -EBADMSG;
	}
	it = nftnl_set_elems_iter_create(s);
	for (struct nftnl_set_elem *e = it ? nftnl_set_elems_iter_next(it) : NULL; e && r >= 0;
	     e = nftnl_set_elems_iter_next(it)) {
		uint32_t klen = 0, dlen = 0;
		const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
		const void *data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dlen);
		uint8_t *slot;

		/* Elements of a shape netd never writes: the set is not ours as it stands. */
		if (!key || klen != d->key_len || (d->data_len && (!data || dlen != d->data_len))) {
			a->set_ok[a->cur_set] = false;
			continue;
		}
		slot = nftbatch_raw_push(&a->raw, a->cur_set);
		if (!slot) {
			r = -ENOMEM;
			break;
		}
		memcpy(slot, key, klen);
		if (d->data_len)
			memcpy(slot + klen, data, dlen);
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	else
		r = -ENOMEM;
	nftnl_set_free(s);
	return r;
}

static void table_payload(struct nlmsghdr *nlh, void *obj)
{
	(void)obj;
	/* Dumps of chains, sets and rules take NFTA_*_TABLE (attribute 1) as their filter. */
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, NFT_TABLE);
}

static void elems_payload(struct nlmsghdr *nlh, void *obj)
{
	nftnl_set_elems_nlmsg_build_payload(nlh, obj);
}

static int dump_elems(struct nft *n, struct adopt *a, size_t i)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int r;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, nftlayout_sets[i].name);
	a->cur_set = i;
	r = dump(n, NFT_MSG_GETSETELEM, elems_payload, s, elem_cb, a);
	nftnl_set_free(s);
	return r;
}

/* One reading of the table. Returns 1 when it is netd's layout (elements in a->raw), 0 when
 * it is absent or differs, or -errno. */
static int adopt_once(struct nft *n, struct adopt *a)
{
	int r;

	r = dump(n, NFT_MSG_GETCHAIN, table_payload, NULL, chain_cb, a);
	if (r >= 0)
		r = dump(n, NFT_MSG_GETSET, table_payload, NULL, set_cb, a);
	a->rules_ok = true;
	if (r >= 0)
		r = dump(n, NFT_MSG_GETRULE, table_payload, NULL, rule_cb, a);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (size_t i = 0; i < _CH_MAX; i++) {
		size_t want = 0;

		for (size_t k = 0; k < nftlayout_rule_count(); k++)
			want += strcmp(nftlayout_rule_chain(k), nftlayout_chains[i].name) == 0;
		if (!a->chain_ok[i] || a->rules_seen[i] != want)
			return 0;
	}
	if (!a->rules_ok)
		return 0;
	for (size_t i = 0; i < _SET_MAX; i++) {
		if (!a->set_ok[i])
			return 0;
		r = dump_elems(n, a, i);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
		if (!a->set_ok[i])
			return 0;
	}
	nftbatch_raw_sort(&a->raw);
	return 1;
}

/* Read the table into n->installed. Returns 1 (netd's layout), 0 (rebuild it) or -errno. */
static int adopt(struct nft *n)
{
	int r = -EINTR;

	for (int attempt = 0; r == -EINTR && attempt < DUMP_ATTEMPTS; attempt++) {
		struct adopt a = {};

		r = adopt_once(n, &a);
		if (r == 1) {
			nftbatch_raw_done(&n->installed);
			n->installed = a.raw;
		} else {
			nftbatch_raw_done(&a.raw);
		}
	}
	return r;
}

/*
 * What netd installed is still what the kernel holds when the ruleset generation is the one
 * it was installed at: then no one (a flush, a delete, an edit, any other transaction) came
 * in between, and the table need not be read again. Any other generation means reading it.
 */
static void check_gen(struct nft *n, uint32_t *ret_gen)
{
	uint32_t gen;

	if (get_gen(n, &gen) < 0) {
		n->known = false;
		*ret_gen = 0;
		return;
	}
	if (n->known && gen != n->gen)
		n->known = false;
	*ret_gen = gen;
}

/* After a batch (sent: one transaction) the generation must have moved by exactly that. */
static void record_gen(struct nft *n, uint32_t before, bool sent)
{
	uint32_t gen;

	if (!n->known)
		return;
	if (get_gen(n, &gen) < 0 || gen != before + (sent ? 1 : 0))
		n->known = false; /* someone else committed meanwhile: read the table next time */
	else
		n->gen = gen;
}

static int sync_once(struct nft *n, const struct raw *desired, bool *retry, struct nl_err *reterr)
{
	struct nft_batch b;
	bool layout_ok;
	uint32_t gen;
	int r;

	check_gen(n, &gen);
	layout_ok = n->known;
	if (!n->known) {
		r = adopt(n);
		if (r < 0)
			return r;
		layout_ok = r == 1;
	}
	if (layout_ok)
		r = nftbatch_diff_raw(&n->installed, desired, n->seq + 1, &b);
	else
		r = nftbatch_full_raw(desired, n->seq + 1, &b);
	if (r < 0)
		return r;
	n->seq = b.seq_next;
	if (b.n_acks == 0) {
		nftbatch_done(&b);
		n->known = true;
		record_gen(n, gen, false);
		return 0;
	}
	r = batch_send(n, &b, reterr);
	if (r >= 0)
		r = (int)b.n_elements;
	/* Out of step with the kernel: someone flushed, deleted or edited. Read and redo. */
	*retry = layout_ok && (r == -ENOENT || r == -EEXIST);
	nftbatch_done(&b);
	n->known = r >= 0;
	record_gen(n, gen, true);
	return r;
}

int nft_sync(struct nft *n, const struct forward_set *desired, struct nl_err *reterr)
{
	struct raw d;
	bool retry = false;
	int r;

	r = nftbatch_encode(desired, &d);
	if (r < 0)
		return r;
	r = sync_once(n, &d, &retry, reterr);
	if (r < 0 && retry)
		r = sync_once(n, &d, &retry, reterr);
	if (r >= 0) {
		nftbatch_raw_done(&n->installed);
		n->installed = d;
	} else {
		nftbatch_raw_done(&d);
	}
	return r;
}

int nft_delete_table(struct nft *n, struct nl_err *reterr)
{
	struct nft_batch b;
	int r;

	r = nftbatch_delete(n->seq + 1, &b);
	if (r < 0)
		return r;
	n->seq = b.seq_next;
	r = batch_send(n, &b, reterr);
	nftbatch_done(&b);
	n->known = false;
	return r;
}
