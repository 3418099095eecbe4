/* SPDX-License-Identifier: MIT */
/*
 * The nftables executor: netd's one table ("inet netd"), its fixed chains and rules, and the
 * forwards, hairpin and masquerade sources as elements of its maps and sets. Every change is
 * one nfnetlink batch built with libnftnl and sent over a NETLINK_NETFILTER socket; every
 * message of it is ACKed and checked. Also the sysctls forwarding needs.
 *
 * Nothing here logs: errors come back as a negative errno with the kernel's extended-ACK text
 * in struct nl_err, for the caller to log. Everything works in the network namespace the
 * calling thread was in when nft_new() (socket) or the sysctl helper (open of /proc/sys) ran.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forward.h"
#include "nftbatch.h"
#include "nl.h"
#include "util.h"


struct nft;

/*
 * Open the NETLINK_NETFILTER socket. Nothing is read or sent: the first nft_sync() adopts
 * (or creates) the table. Returns 0 or -errno; *ret is owned by the caller (nft_free()).
 */
int nft_new(struct nft **ret) _must_check_;
/* Close the socket. The table stays: forwarding goes on without netd. Accepts NULL. */
struct nft *nft_free(struct nft *n);

/*
 * Make the table carry exactly desired (borrowed for the call) in one batch:
 * - first call, after nft_invalidate() or a failure, or when the kernel's ruleset generation
 *   is not the one the last sync left (anyone committed an nftables transaction since): the
 *   table is read (chains, rules by their comments, set types, every element); when its
 *   layout is netd's, only the element difference is sent (nothing at all when the kernel
 *   already holds desired); otherwise (absent, foreign or older layout) one batch replaces the
 *   whole table atomically;
 * - otherwise: only the difference against what the last successful sync installed. When
 *   the kernel answers -ENOENT or -EEXIST all the same (someone raced the batch), the table is
 *   read again and the sync redone once.
 * Returns the number of element changes sent (0: nothing to do), or a negative errno with
 * *reterr (when not NULL) holding the kernel's code and extack text (msg names the failing
 * message type when the kernel gave no text). A failed batch changed nothing (nftables
 * transactions are all or nothing) and the next call starts by reading the table again.
 */
int nft_sync(struct nft *n, const struct forward_set *desired, struct nl_err *reterr)
	_must_check_;

/*
 * Forget what was installed: the next nft_sync() reads the table first. Rarely needed: every
 * sync compares the kernel's ruleset generation with the one it last installed at, and reads
 * the table again whenever anyone changed nftables in between.
 */
void nft_invalidate(struct nft *n);

/* Delete netd's table (tests, uninstall). Returns 0 (also when there was none) or -errno. */
int nft_delete_table(struct nft *n, struct nl_err *reterr) _must_check_;
