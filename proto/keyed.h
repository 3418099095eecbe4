/* SPDX-License-Identifier: MIT */
/*
 * Arrays of pointers to objects kept sorted by an int key stored inside each object (an
 * ifindex, at byte offset key_off): binary search, insertion and removal in place.
 */
#pragma once

#include <stddef.h>

#include "util.h"

/* Index of key in items[0..n), or where it would be inserted. */
size_t keyed_pos(void *const *items, size_t n, size_t key_off, int key);
/* The object with key, or NULL. Borrowed. */
void *keyed_get(void *const *items, size_t n, size_t key_off, int key);
/* Insert item at pos (from keyed_pos()). Returns 0 or -ENOMEM (array unchanged). */
int keyed_insert(void ***items, size_t *n, size_t pos, void *item) _must_check_;
/* Take the object at pos out of the array; returns it (the caller frees it). */
void *keyed_remove_at(void **items, size_t *n, size_t pos);
