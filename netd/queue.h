/* SPDX-License-Identifier: MIT */
/*
 * The link half of the engine's pass: plan the next phase of every dirty link record and
 * queue its requests (blocking I/O: a link's sysctl, asking the kernel about a link again;
 * run from the pass, never from event dispatch).
 */
#pragma once

#include <stdint.h>

#include "list.h"
#include "nsview.h"

struct queue_ctx {
	struct nsview *host; /* borrowed: where bridges are looked up */
	int home_fd;         /* netd's own network namespace */
	unsigned generation; /* of the config in force: tags every request */
	uint64_t *writes;    /* borrowed: counts the requests queued */
};

/*
 * Take every record off dirty and plan it; records that must wait for room in the pipeline
 * go back on dirty (the ACKs that make room bring another pass). Sends what was queued.
 */
void queue_dirty(struct list_node *dirty, const struct queue_ctx *q);
