/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP: parse the file into a new generation; on any error keep the old one and touch
 * nothing; otherwise swap the engine over to it and let the pass apply the difference.
 * Runtime state that outlives a generation (namespace views, state files) moves to the new
 * containers by name.
 */
#pragma once

#include "conf.h"
#include "engine.h"

/*
 * Read and check path into *ret. Every problem is logged (FILE:LINE: message, or why the
 * file cannot be read). Returns 0, -EINVAL for an invalid file, or -errno.
 */
int reload_load(const char *path, struct conf **ret) _must_check_;

/*
 * Swap e over to next (borrowed by the engine from now on; the caller frees the old
 * generation afterwards). Returns 0; -ENOMEM before anything changed; 1 when the swap
 * happened but runtime state was partly lost.
 */
int reload_swap(struct engine *e, const struct conf *next) _must_check_;
