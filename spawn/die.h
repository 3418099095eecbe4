/* SPDX-License-Identifier: MIT */
/* Fatal errors of spawn's top level: print "spawn: MESSAGE", undo what was set up, exit 1. */
#pragma once

#include "util.h"

/* Called once by die() before exiting (borrowed; NULL: none). */
void die_set_cleanup(void (*fn)(void));

_Noreturn void die(const char *fmt, ...) _printf_(1, 2);
/* Appends ": strerror(-r)" to the message. */
_Noreturn void die_errno(int r, const char *fmt, ...) _printf_(2, 3);
