/* SPDX-License-Identifier: MIT */
/* String vectors. */
#include <stdlib.h>
#include <string.h>

#include "strv.h"

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

char **strv_free(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
	return NULL;
}

int strv_extend(char ***l, const char *s)
{
	size_t n = strv_length(*l);
	char *copy = strdup(s);
	char **nl;

	if (!copy)
		return -ENOMEM;
	nl = realloc(*l, (n + 2) * sizeof(char *));
	if (!nl) {
		free(copy);
		return -ENOMEM;
	}
	nl[n] = copy;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}
