/* SPDX-License-Identifier: MIT */
/*
 * Watching /run/netns, where `ip netns add` and spawn bind container namespaces, and the mount
 * table: names appearing, going away, or getting a namespace mounted on them (or unmounted).
 */
#pragma once

#include <systemd/sd-event.h>

#include "util.h"

struct nswatch;

/* name went, came or changed; NULL: any name may have (an overflow, a mount change). */
typedef void (*nswatch_cb)(const char *name, void *userdata);

/* Start watching on event. Returns 0 or -errno. */
int nswatch_new(sd_event *event, nswatch_cb cb, void *userdata, struct nswatch **ret) _must_check_;
/* Accepts NULL; returns NULL. */
struct nswatch *nswatch_free(struct nswatch *w);
