/* SPDX-License-Identifier: MIT */
/* sd_notify that never stalls the event loop. */
#pragma once

#include <stdbool.h>

/*
 * Send text to $NOTIFY_SOCKET (no-op when unset). A STATUS= update is dropped when the
 * receiver's queue is full; state changes (READY=1, RELOADING=1, STOPPING=1) wait at most a
 * second for room. Returns 0, or -errno when it was not delivered.
 */
int notify_send(const char *text, bool state_change);
