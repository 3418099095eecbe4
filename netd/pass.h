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

/* Send STATUS= when it changed, or READY=1 with STATUS= when ready. */
void pass_notify(struct manager *m, bool ready);
