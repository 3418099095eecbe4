/* SPDX-License-Identifier: MIT */
/*
 * netd's nftables table in messages: forward elements encoded as the kernel holds them, and
 * the nfnetlink batches that create the table (nftlayout.h) or change its elements. No I/O:
 * nft.c sends these batches; tests inspect them.
 */
#pragma once

#include <libnftnl/udata.h>
#include <net/if.h>

#include "forward.h"
#include "nftlayout.h"

struct nft_batch;

/*
 * The elements of one set as the kernel holds them: each is the set's key bytes, then its
 * data bytes (nftbatch_elem_len() together), so that the installed copy of a set of IPv4
 * addresses (one element for every configured container) takes 4 bytes an element.
 */
struct raw_set {
	uint8_t *e; /* owned: n elements */
	size_t n, allocated;
};

/* Elements per nftables set (index: enum set_id), each sorted by key bytes. */
struct raw {
	struct raw_set s[_SET_MAX];
};

void nftbatch_raw_done(struct raw *r);
/* Bytes of one element of set i: its key_len, then its data_len (nftlayout_sets[i]). */
size_t nftbatch_elem_len(size_t i);
/* A zeroed element at the end of set i of r, or NULL on ENOMEM. */
uint8_t *nftbatch_raw_push(struct raw *r, size_t i);
void nftbatch_raw_sort(struct raw *r);
/* Regroup a forward set (NULL: empty) into elements. Returns 0 or -ENOMEM; *ret owned. */
int nftbatch_encode(const struct forward_set *f, struct raw *ret) _must_check_;

/* The batches of nftbatch_full() and nftbatch_diff() from element sets. 0 or -ENOMEM. */
int nftbatch_full_raw(const struct raw *desired, uint32_t seq, struct nft_batch *ret)
	_must_check_;
int nftbatch_diff_raw(const struct raw *from, const struct raw *to, uint32_t seq,
		       struct nft_batch *ret) _must_check_;

/* Add the table (so that the delete cannot fail) and delete it. 0 or -ENOMEM. */
int nftbatch_delete(uint32_t seq, struct nft_batch *ret) _must_check_;

/*
 * A batch, built without I/O (nft_sync() uses the same builders; tests inspect them):
 * BATCH_BEGIN, messages with consecutive sequence numbers from seq, BATCH_END.
 */
struct nft_batch {
	char *buf; /* owned */
	size_t len, allocated;
	uint32_t seq_first;   /* sequence number of BATCH_BEGIN */
	uint32_t seq_next;    /* one past BATCH_END */
	unsigned n_acks;      /* messages that carry NLM_F_ACK: the replies to expect */
	uint16_t *types;      /* owned: message type by seq - seq_first, for error texts */
	size_t n_elements;    /* element adds + deletes in it */
};
void nftbatch_done(struct nft_batch *b);

/*
 * Batch that (re)creates the whole table with desired's elements in one transaction:
 * add table (so the delete cannot fail), delete table, then table, sets, chains, rules and
 * elements. Returns 0 or -ENOMEM; on success *ret is filled (free with nftbatch_done()).
 */
int nftbatch_full(const struct forward_set *desired, uint32_t seq, struct nft_batch *ret)
	_must_check_;

/*
 * Batch of element deletes, then adds, that turns from into to; unchanged elements are not
 * in it. ret->n_acks == 0 when there is nothing to change. Returns 0 or -ENOMEM.
 */
int nftbatch_diff(const struct forward_set *from, const struct forward_set *to, uint32_t seq,
		   struct nft_batch *ret) _must_check_;

