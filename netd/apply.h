/* SPDX-License-Identifier: MIT */
/* Turning planned ops into netlink requests, and their ACKed effect into the cache. */
#pragma once

#include "reconcile.h"

/* The netlink message type that carries op (RTM_NEWADDR, ...). */
uint16_t apply_request_type(const struct op *op);

/* Write the request for op at buf (NLMSG_BUF_SIZE bytes); returns its header. */
struct nlmsghdr *apply_build(const struct op *op, void *buf);

/*
 * Fold an ACKed op into the cache entry of its link, so the next plan does not ask again
 * before the kernel's own event arrives (IPv6 address events come from a workqueue, later
 * than the ACK). Returns 0 or -ENOMEM.
 */
int apply_to_cache(struct cache_link *cl, const struct op *op) _must_check_;

/*
 * Fold the kernel's answer to op into cl when it means the kernel now holds what op asked
 * for (an ACK, or a removal of what was already gone). Returns 0 or -ENOMEM.
 */
int apply_answer(struct cache_link *cl, const struct op *op, int error) _must_check_;
