/* SPDX-License-Identifier: MIT */
/* Interface-name rules: validity, the names of container links, nspawn-style shortening. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Longest alternative name the kernel accepts (ALTIFNAMSIZ - 1). */
#define IFNAME_ALT_MAX 127

/*
 * A valid kernel interface name: 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
 * With alt=true the length limit is IFNAME_ALT_MAX instead (altnames and full names).
 */
bool ifname_valid(const char *name, bool alt);

/*
 * Derive the kernel name for a full link name: the name itself when it fits in 15 bytes,
 * otherwise its first 11 bytes followed by 4 characters of a SipHash-2-4 of the full name
 * (its low 24 bits in url-safe base64, as systemd's net_shorten_ifname()), with the key
 * systemd-nspawn uses, so both tools give a container the same link names.
 * Writes into ret (IFNAMSIZ bytes). Returns 0 when unchanged, 1 when shortened,
 * -EINVAL when full is not a valid (alt) name.
 */
int ifname_shorten(const char *full, char ret[static IFNAMSIZ]) _must_check_;

/*
 * Full name of a container's main host link: "ve-NAME", or "vb-NAME" when bridged.
 * Returns 0, or -ENAMETOOLONG if it exceeds IFNAME_ALT_MAX; ret must hold IFNAME_ALT_MAX + 1.
 */
int ifname_container_host(const char *container, bool bridged, char *ret, size_t len) _must_check_;

/*
 * Does a link with this kernel name and these altnames carry the wanted full name?
 * True when name equals full, or equals the shortened form of full, or one of altnames
 * (n_alt entries) equals full.
 */
bool ifname_matches(const char *full, const char *name, char *const *altnames, size_t n_alt);

/* SipHash-2-4 of data with a 16-byte key. */
uint64_t ifname_siphash24(const void *data, size_t len, const uint8_t key[static 16]);
