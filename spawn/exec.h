/* SPDX-License-Identifier: MIT */
/*
 * What the container runs: its init when no command is given, whether that program is a
 * 32-bit x86 one (the x86 personality), whether the container speaks sd_notify.
 * Paths are looked up inside the root at root_fd (symlinks followed, never out of the root).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Search path of the container (also its $PATH). */
#define EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The NixOS system's init when the root holds one, else /sbin/init (static strings). */
const char *exec_default_init(int root_fd);

/* True for the header of a 32-bit x86 ELF executable (len bytes at buf). */
bool exec_elf_is_i386(const void *buf, size_t len);

/*
 * Whether program (absolute, or a name searched in EXEC_PATH) inside the root is a 32-bit x86
 * executable, or a script whose interpreter is one; a NixOS root says it in its system file.
 */
bool exec_wants_x86(int root_fd, const char *program);

/* The root has a systemd to run as init (which reports READY=1 itself). */
bool exec_root_has_systemd(int root_fd);
