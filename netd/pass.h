/* SPDX-License-Identifier: MIT */
/*
 * The reconcile pass: for every dirty link with nothing in flight, plan the next phase and
 * queue it; then recompute container states (state files, STATUS=) and say READY=1 once a
 * start or reload has settled.
 */
#pragma once

#include "manager.h"

/* Run a pass soon (once the loop has read what is queued). */
void pass_schedule(struct manager *m);

/* Rebind all links after the first dump, a re-dump, or a reload (manager.c). */
void manager_rebind(struct manager *m);
void manager_rebind_ns(struct manager *m, struct netns *ns);

/* Send STATUS= when it changed, or READY=1 with STATUS= when ready. */
void pass_notify(struct manager *m, bool ready);

/* Write or remove the state file of ct when its state changed. */
void container_update_state(struct container *ct);

/* manager.c: runtime objects for a conf generation, and the claim index over them. */
int manager_containers_new(struct manager *m, const struct conf *conf, struct container **ret);
void manager_containers_free(struct container *cts, size_t n);
int manager_claims_build(struct manager *m);

/* Remove state files of containers that are not declared or have no links (at start). */
void container_prune_state_dir(struct manager *m);
