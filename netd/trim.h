/* SPDX-License-Identifier: MIT */
/*
 * Giving memory back to the kernel. glibc keeps what netd frees for reuse and returns only the
 * top of its heap; a burst (many containers coming up at once, the reload of a large config)
 * leaves free chunks all through it that the steady state does not need. malloc's thresholds
 * stay glibc's: its mmap threshold rises to the largest block freed, so the arrays of a large
 * config come from the heap from its second reload on and are reused by the next one, where
 * mapping each afresh cost a reload of 10,000 containers a fifth of its time in page faults.
 */
#pragma once

#include <systemd/sd-event.h>

#include "util.h"

/*
 * Arm *s (created on first use, owned by the caller) to return the heap's free pages to the
 * kernel once it has not been armed again for a second: the end of a burst, not each pass
 * within it. Returns 0 or -errno.
 */
int trim_schedule(sd_event *event, sd_event_source **s) _must_check_;
