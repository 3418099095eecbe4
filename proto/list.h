/* SPDX-License-Identifier: MIT */
/*
 * Intrusive doubly linked lists, as in the kernel: an object embeds a struct list_node and can
 * leave whatever list it is on in O(1), which is what work queues of objects that may be freed
 * at any time need.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

#define LIST_HEAD_INIT(h) { &(h), &(h) }
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* A node that is on no list points at itself, so list_del() is always safe. */
static inline void list_init(struct list_node *n)
{
	n->prev = n->next = n;
}

static inline bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

static inline bool list_linked(const struct list_node *n)
{
	return n->next != n;
}

static inline void list_add_tail(struct list_node *h, struct list_node *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* Remove and return the first node, or NULL when the list is empty. */
static inline struct list_node *list_pop(struct list_node *h)
{
	struct list_node *n = h->next;

	if (n == h)
		return NULL;
	list_del(n);
	return n;
}
