/* SPDX-License-Identifier: MIT */
/*
 * The /proc/sys/net files netd writes, through a descriptor of that directory opened once per
 * namespace. Every namespace's /proc/sys/net is a directory of the same name under /proc/sys,
 * and the kernel finds the caller's by comparing the name with each of them in turn: with a
 * thousand namespaces a path from /proc/sys costs about 150 µs, one from the descriptor a few.
 * A descriptor is used in the namespace it was opened in (or the kernel cannot find the entries
 * under it in its cache and makes new ones every time).
 */
#pragma once

#include <stdbool.h>

#include "util.h"

/* /proc/sys/net as the caller's namespace sees it: an O_PATH descriptor, or -errno. */
int sysctl_dir_open(void) _must_check_;

/* Write value to path (relative to /proc/sys/net) under dir. Returns 0 or -errno. */
int sysctl_write(int dir, const char *path, const char *value) _must_check_;

/* Bits of sysctl_forwarding_enable()'s result. */
#define SYSCTL_FORWARDING_IPV4 1
#define SYSCTL_FORWARDING_IPV6 2

/*
 * Turn on net.ipv4.ip_forward (ipv4) and net.ipv6.conf.all.forwarding (ipv6) under dir; never
 * turns them off. Returns a mask of SYSCTL_FORWARDING_* that were off and are now on (0:
 * nothing changed), or -errno.
 */
int sysctl_forwarding_enable(int dir, bool ipv4, bool ipv6) _must_check_;

/*
 * net.ipv4.conf.IFNAME.route_localnet=1 on a container's host-side link, so a forward reached
 * through 127.0.0.1 can be routed to the container and its answers back (the table drops any
 * packet with a 127.0.0.0/8 source or destination that arrives on another link than lo, which
 * route_localnet alone would let in). Returns 1 when it was off, 0 when already on, -ENOENT
 * when the link is gone, -EINVAL for a bad name, or -errno.
 */
int sysctl_localnet_enable(int dir, const char *ifname) _must_check_;

/* net.ipv6.conf.IFNAME.accept_dad=0. Returns 0, -EINVAL for a bad name, or -errno. */
int sysctl_dad_disable(int dir, const char *ifname) _must_check_;
