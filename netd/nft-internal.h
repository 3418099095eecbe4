/* SPDX-License-Identifier: MIT */
/*
 * Shared by nft.c (layout, element encoding, batches; no I/O) and nft-io.c (socket, batches
 * sent and ACKed, adoption, sysctls). Not for other modules; tests may use it.
 */
#pragma once

#include <libnftnl/udata.h>
#include <net/if.h>

#include "forward.h"
#include "nft.h"

/* nftables datatype ids (nftables include/datatype.h); concatenations shift by 6 bits. */
#define TYPE_IPADDR 7
#define TYPE_IP6ADDR 8
#define TYPE_INET_PROTOCOL 12
#define TYPE_INET_SERVICE 13
#define TYPE_IFNAME 41
#define CONCAT2(a, b) (((a) << 6) | (b))
#define CONCAT3(a, b, c) ((((a) << 6 | (b)) << 6) | (c))

enum {
	SET_CT4,
	SET_CT6,
	SET_MASQ4,
	SET_MASQ6,
	SET_MASQOWN4,
	SET_MASQOWN6,
	SET_FWD4,
	SET_FWD6,
	SET_FWD4A,
	SET_FWD6A,
	_SET_MAX,
};

struct set_def {
	const char *name;
	uint32_t key_type, key_len, data_type, data_len; /* data_len 0: a set, not a map */
};

enum { CH_GUARD, CH_PREROUTING, CH_OUTPUT, CH_PORTFWD, CH_POSTROUTING, _CH_MAX };

struct chain_def {
	const char *name, *type; /* type NULL: a regular chain */
	uint32_t hook;
	int32_t prio;
};

extern const struct set_def nft_sets[_SET_MAX];
extern const struct chain_def nft_chains[_CH_MAX];

/* An element as the kernel holds it: key and data bytes of one set; unused bytes are 0. */
struct raw_elem {
	uint8_t key[32];
	uint8_t data[20];
};

struct raw_set {
	struct raw_elem *e; /* owned array */
	size_t n, allocated;
};

/* Elements per nftables set, each sorted by key bytes. */
struct raw {
	struct raw_set s[_SET_MAX];
};

void nft_raw_done(struct raw *r);
/* A zeroed slot at the end, or NULL on ENOMEM. */
struct raw_elem *nft_raw_push(struct raw_set *s);
/* Key order (qsort comparator on struct raw_elem). */
int nft_raw_cmp(const void *a, const void *b);
void nft_raw_sort(struct raw *r);
/* Regroup a forward set (NULL: empty) into elements. Returns 0 or -ENOMEM; *ret owned. */
int nft_encode(const struct forward_set *f, struct raw *ret) _must_check_;

/* The batches of nft_build_full() and nft_build_diff() from element sets. 0 or -ENOMEM. */
int nft_build_full_raw(const struct raw *desired, uint32_t seq, struct nft_batch *ret)
	_must_check_;
int nft_build_diff_raw(const struct raw *from, const struct raw *to, uint32_t seq,
		       struct nft_batch *ret) _must_check_;

/* Add the table (so that the delete cannot fail) and delete it. 0 or -ENOMEM. */
int nft_build_delete(uint32_t seq, struct nft_batch *ret) _must_check_;

/* Rule i (0 .. nft_rule_count()): its chain, and its comment TLV (owned by the caller). */
const char *nft_rule_chain(size_t i);
int nft_rule_udata(size_t i, struct nftnl_udata_buf **ret) _must_check_;
