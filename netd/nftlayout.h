/* SPDX-License-Identifier: MIT */
/*
 * The layout of netd's nftables table: its sets and maps, its chains, and its fixed rules
 * (the per-packet cost is a constant number of hash lookups whatever the number of forwards).
 * Each rule carries a comment ("netd/1 ...") by which adoption recognises the layout.
 */
#pragma once

#include <stdio.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The table netd owns (family inet). */
#define NFT_TABLE "netd"

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

extern const struct set_def nftlayout_sets[_SET_MAX];
extern const struct chain_def nftlayout_chains[_CH_MAX];

/* Number of rules of the table: constant, whatever the number of forwards. */
size_t nftlayout_rule_count(void);
/* Rule i (0 .. nftlayout_rule_count()): its chain (name, index into nftlayout_chains). */
const char *nftlayout_rule_chain(size_t i);
size_t nftlayout_rule_chain_index(size_t i);
/* Rule i's comment TLV (owned by the caller). Returns 0 or -ENOMEM. */
int nftlayout_rule_udata(size_t i, struct nftnl_udata_buf **ret) _must_check_;
/* Rule i's expressions, added to r. Returns 0 or -ENOMEM. */
int nftlayout_rule_exprs(struct nftnl_rule *r, size_t i) _must_check_;
