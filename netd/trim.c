/* SPDX-License-Identifier: MIT */
/* Returning free heap pages once a burst is over. */
#include <malloc.h>

#include "trim.h"

/*
 * Below the 2 s the kernel must be silent before an idle netd is measured (DEVELOPERS.md,
 * experiment 5), so a trim ends what the burst started, not the idle that follows it.
 */
#define TRIM_DELAY_USEC (1000 * 1000)

static int on_trim(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)malloc_trim(0);
	return 0;
}

int trim_schedule(sd_event *event, sd_event_source **s)
{
	uint64_t now;
	int r;

	r = sd_event_now(event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	if (!*s)
		return sd_event_add_time(event, s, CLOCK_MONOTONIC, now + TRIM_DELAY_USEC, 0,
					 on_trim, NULL);
	r = sd_event_source_set_time(*s, now + TRIM_DELAY_USEC);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}
