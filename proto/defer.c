/* SPDX-License-Identifier: MIT */
/* One-shot defer sources. */
#include "defer.h"

int defer_schedule(sd_event *event, sd_event_source **s, sd_event_handler_t handler,
		   void *userdata)
{
	int r;

	if (!*s) {
		r = sd_event_add_defer(event, s, handler, userdata);
		if (r < 0)
			return r;
	}
	return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}
