/* SPDX-License-Identifier: MIT */
/*
 * The container's links, all through rtnetlink: the main veth (host side ve-/vb-NAME, peer
 * host0 in the container), extra veths (same name both sides), macvlans mv-IF, and host
 * interfaces moved in. Names longer than 15 bytes are shortened by proto's rule and carry the
 * full name as altname on both sides.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "ifname.h"

/*
 * Create the links of cc in the namespace at netns_fd (main_veth: whether the main veth is
 * wanted). Returns 0, or -errno with a message naming the link in err; links created before
 * the failure are left for links_remove().
 */
int links_create(const struct conf_container *cc, bool main_veth, int netns_fd, char *err,
		 size_t errlen) _must_check_;

/*
 * Delete the host side of the veths of cc (their peers go with them); a link already gone is
 * success. Best effort: returns the first error, having tried every link.
 */
int links_remove(const struct conf_container *cc, bool main_veth);

/* The full and kernel name of the macvlan for host interface ifname ("mv-IF"). */
int links_macvlan_name(const char *ifname, char full[static IFNAME_ALT_MAX + 1],
		       char name[static IFNAMSIZ]) _must_check_;
