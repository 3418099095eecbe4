/* SPDX-License-Identifier: MIT */
/*
 * Section name -> index into the conf's array of that kind: an open-addressing hash table,
 * so duplicate headers, Container= and conf_find_container() cost the same at 10,000
 * containers as at ten. A config is a local file its owner wrote, so no seeded hash.
 */
#include <stdint.h>

#include "conf-internal.h"

struct name_slot {
	const char *name; /* borrowed: the section's own name; NULL: empty slot */
	size_t index;
};

struct conf_names {
	struct name_slot *slots; /* owned */
	size_t size;             /* a power of two, kept at least 3/2 of n */
	size_t n;
};

/* FNV-1a */
static size_t hash_name(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)h;
}

static struct name_slot *find_slot(struct name_slot *slots, size_t size, const char *name)
{
	size_t i = hash_name(name) & (size - 1);

	while (slots[i].name && strcmp(slots[i].name, name) != 0)
		i = (i + 1) & (size - 1);
	return &slots[i];
}

static int grow(struct conf_names *m)
{
	size_t size = m->size ? m->size * 2 : 16;
	struct name_slot *slots = calloc(size, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->size; i++)
		if (m->slots[i].name)
			*find_slot(slots, size, m->slots[i].name) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->size = size;
	return 0;
}

int conf_names_add(struct conf_names **m, const char *name, size_t index)
{
	struct name_slot *slot;
	int r;

	if (!*m) {
		*m = calloc(1, sizeof(**m));
		if (!*m)
			return -ENOMEM;
	}
	/*
	 * Filled up to two thirds, linear probing still finds a name in two probes on average;
	 * half full, the table of 10,000 containers would take 32,768 slots, not 16,384.
	 */
	if (3 * ((*m)->n + 1) > 2 * (*m)->size) {
		r = grow(*m);
		if (r < 0)
			return r;
	}
	slot = find_slot((*m)->slots, (*m)->size, name);
	if (!slot->name)
		(*m)->n++;
	*slot = (struct name_slot){ name, index };
	return 0;
}

bool conf_names_get(const struct conf_names *m, const char *name, size_t *ret)
{
	const struct name_slot *slot;

	if (!m || !name)
		return false;
	slot = find_slot(m->slots, m->size, name);
	if (!slot->name)
		return false;
	*ret = slot->index;
	return true;
}

struct conf_names *conf_names_free(struct conf_names *m)
{
	if (m)
		free(m->slots);
	free(m);
	return NULL;
}
