/* SPDX-License-Identifier: MIT */
/* Pointer arrays sorted by an int key inside the objects. */
#include <stdlib.h>
#include <string.h>

#include "keyed.h"

static int key_of(const void *item, size_t key_off)
{
	int k;

	memcpy(&k, (const char *)item + key_off, sizeof(k));
	return k;
}

size_t keyed_pos(void *const *items, size_t n, size_t key_off, int key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_of(items[mid], key_off) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *keyed_get(void *const *items, size_t n, size_t key_off, int key)
{
	size_t i = keyed_pos(items, n, key_off, key);

	return i < n && key_of(items[i], key_off) == key ? items[i] : NULL;
}

int keyed_insert(void ***items, size_t *n, size_t pos, void *item)
{
	void **a = reallocarray(*items, *n + 1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	memmove(a + pos + 1, a + pos, (*n - pos) * sizeof(*a));
	a[pos] = item;
	*items = a;
	(*n)++;
	return 0;
}

void *keyed_remove_at(void **items, size_t *n, size_t pos)
{
	void *item = items[pos];

	memmove(items + pos, items + pos + 1, (*n - pos - 1) * sizeof(*items));
	(*n)--;
	return item;
}
