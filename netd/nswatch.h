/* SPDX-License-Identifier: MIT */
/* Watching /run/netns: container namespaces appearing and going away. */
#pragma once

struct manager;

/* Start watching (from the manager's loop). Returns 0 or -errno. */
int nswatch_start(struct manager *m);
