/* SPDX-License-Identifier: MIT */
/*
 * STATE_DIR/hosts: a hosts(5) file naming every configured container, "ADDRESS NAME.containers"
 * for its LocalAddress and LocalAddress6, for dnsmasq's addn-hosts or an NSS module.
 */
#pragma once

#include "container.h"

#define HOSTS_FILE "hosts"
#define HOSTS_DOMAIN "containers"

/* Whether ct counts as configured for the hosts file. */
bool hosts_lists(const struct container *ct);

/* The file's text for the n containers of cts (malloc'ed into *ret). Returns 0 or -ENOMEM. */
int hosts_format(const struct container *cts, size_t n, char **ret) _must_check_;

/* Atomically replace DIR/hosts with hosts_format()'s text. Returns 0 or -errno. */
int hosts_write(const char *dir, const struct container *cts, size_t n) _must_check_;
