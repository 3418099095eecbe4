/* SPDX-License-Identifier: MIT */
/*
 * Port forwards and masquerade, planned: config + "which containers are active" -> the sorted
 * set of nftables elements netd wants (forward_set), and the difference of two such sets.
 * Pure: no I/O, no logging. nft.c turns a set into map and set elements.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "util.h"

enum forward_kind {
	FORWARD_DNAT,      /* protocol . port -> to_addr . to_port, on any local address */
	FORWARD_DNAT_ADDR, /* addr . protocol . port -> to_addr . to_port (HOSTADDR=) */
	FORWARD_CONTAINER, /* addr is an active container's LocalAddress[6]: hairpin, localhost */
	FORWARD_MASQ,      /* Masquerade=: addr leaving through any link but ifname */
	_FORWARD_KIND_MAX,
};

/*
 * One element. The key is (kind, family, addr, protocol, port, and for FORWARD_MASQ nothing
 * more); the value is (to_addr, to_port, ifname). Unused fields are zero, so elements compare
 * with memcmp-like determinism.
 */
struct forward_elem {
	uint8_t kind;     /* enum forward_kind */
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP (DNAT kinds) */
	uint16_t port;    /* host port, host byte order (DNAT kinds) */
	uint16_t to_port; /* container port, host byte order (DNAT kinds) */
	union in_addr_union addr;    /* DNAT_ADDR: the host address; CONTAINER, MASQ: LocalAddress */
	union in_addr_union to_addr; /* DNAT kinds: the container's LocalAddress[6] */
	char ifname[IFNAMSIZ];       /* MASQ: the container's own link (ve-NAME or its bridge) */
};

/* Sorted by key, keys unique. */
struct forward_set {
	struct forward_elem *elems; /* owned array */
	size_t n, allocated;
};

/* Is the container active (its link configured)? NULL callback: every container is. */
typedef bool (*forward_active_fn)(const struct conf_container *cont, void *userdata);

/*
 * Build the desired set from c (finished, valid) for the active containers with
 * PrivateNetwork=yes: for each forward one element per port of its range and per family it
 * reaches (an unqualified forward goes to LocalAddress and to LocalAddress6 when declared, a
 * HOSTADDR forward to the LocalAddress of its family), one FORWARD_CONTAINER per LocalAddress
 * and FORWARD_MASQ for each family of Masquerade=. O(N log N) in the number of elements.
 * Returns 0, -ENOMEM, or -EEXIST when two elements share a key with different values
 * (conf_finish() rejects such configs). *ret is owned by the caller (forward_set_free()).
 */
int forward_set_build(const struct conf *c, forward_active_fn active, void *userdata,
		      struct forward_set **ret) _must_check_;

/* An empty set. Returns 0 or -ENOMEM. */
int forward_set_new(struct forward_set **ret) _must_check_;
/* Accepts NULL; returns NULL. */
struct forward_set *forward_set_free(struct forward_set *s);

/* Order of keys: <0, 0, >0. */
int forward_elem_compare_key(const struct forward_elem *a, const struct forward_elem *b);
/* Same key and same value. */
bool forward_elem_equal(const struct forward_elem *a, const struct forward_elem *b);

/*
 * Sorted merge of two sets: ret_del gets the elements of from that are gone or whose value
 * changed, ret_add the elements of to that are new or changed. Unchanged elements appear in
 * neither. Both outputs are owned by the caller. Returns the number of changes (del + add),
 * or -ENOMEM (outputs untouched).
 */
int forward_diff(const struct forward_set *from, const struct forward_set *to,
		 struct forward_set **ret_del, struct forward_set **ret_add) _must_check_;

/* How many elements of that kind and family (family 0: both). */
size_t forward_set_count(const struct forward_set *s, enum forward_kind kind, int family);
/* Does any element need IPv6 forwarding (an IPv6 DNAT or masquerade)? */
bool forward_set_needs_ipv6(const struct forward_set *s);
/* Does any element need IPv4 forwarding? */
bool forward_set_needs_ipv4(const struct forward_set *s);

/*
 * The container's forwards for its state file, space-separated, as the config spells them
 * normalised: "tcp:8080:80 udp:5353:5353 tcp:192.0.2.1:9000-9009:9000-9009 tcp:[fd00::1]:443:443".
 * "" when there are none. *ret is malloc'ed, owned by the caller. Returns 0 or -ENOMEM.
 */
int forward_state_text(const struct conf_container *cont, char **ret) _must_check_;

/* One element as text for logs and tests ("dnat tcp 8080 -> 10.0.0.2:80"); returns buf. */
const char *forward_elem_to_string(const struct forward_elem *e, char *buf, size_t len);
