/* SPDX-License-Identifier: MIT */
/* Small helpers every module uses: cleanup attributes, ownership hand-off, array sizes. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One IPv4 or IPv6 address; the family travels beside it. */
union in_addr_union {
	struct in_addr in;
	struct in6_addr in6;
	uint8_t bytes[16];
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _must_check_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand ownership on: the variable is cleared so its cleanup does nothing. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _p_ = (p);     \
		(p) = NULL;                  \
		_p_;                         \
	})
#define TAKE_FD(fd)                          \
	({                                   \
		int _fd_ = (fd);             \
		(fd) = -1;                   \
		_fd_;                        \
	})

static inline int safe_close(int fd)
{
	if (fd >= 0)
		(void)close(fd);
	return -1;
}

static inline const char *strna(const char *s)
{
	return s ? s : "n/a";
}

static inline int streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Grow *array (of *n elements of size sz) by one zeroed element.
 * Returns a pointer to the new element, or NULL on ENOMEM (array unchanged).
 */
static inline void *array_push(void *array, size_t *n, size_t sz)
{
	void **a = array;
	char *p = realloc(*a, (*n + 1) * sz);

	if (!p)
		return NULL;
	*a = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}
