/* SPDX-License-Identifier: MIT */
/* sd_notify that never stalls the event loop. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

/*
 * Send text to $NOTIFY_SOCKET (no-op when unset). A STATUS= update that does not fit the
 * receiver's queue is held back (only the newest) and sent from the loop once there is room;
 * state changes (READY=1, RELOADING=1, STOPPING=1) wait at most a second for room.
 * Returns 0, -EAGAIN when held back, or -errno when it was not delivered.
 */
int notify_send(const char *text, bool state_change);

/* Let held-back updates be retried from this loop (borrowed until notify_detach()). */
void notify_attach(sd_event *event);
void notify_detach(void);
