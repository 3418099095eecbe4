/* SPDX-License-Identifier: MIT */
/* Lazily created one-shot defer sources: "run this once the loop has read what is queued". */
#pragma once

#include <systemd/sd-event.h>

#include "util.h"

/*
 * Arm *s (created on first use, owned by the caller) to run handler once at the next loop
 * iteration; arming it again before it ran changes nothing, so a burst is one run.
 * Returns 0 or -errno.
 */
int defer_schedule(sd_event *event, sd_event_source **s, sd_event_handler_t handler,
		   void *userdata) _must_check_;
