/* SPDX-License-Identifier: MIT */
/*
 * Giving memory back to the kernel. glibc keeps what netd frees for reuse and returns only the
 * top of its heap; a burst (many containers coming up at once, the reload of a large config)
 * leaves free chunks all through it that the steady state does not need.
 */
#pragma once

#include <systemd/sd-event.h>

#include "util.h"

/* Fix malloc's thresholds; call before anything large is allocated. */
void trim_configure(void);

/*
 * Arm *s (created on first use, owned by the caller) to return the heap's free pages to the
 * kernel once it has not been armed again for a second: the end of a burst, not each pass
 * within it. Returns 0 or -errno.
 */
int trim_schedule(sd_event *event, sd_event_source **s) _must_check_;
