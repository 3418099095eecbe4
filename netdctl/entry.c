/* SPDX-License-Identifier: MIT */
/*
 * Reading the state directory. netd replaces each file atomically (temp + rename), so a file
 * read is always whole; a directory listing is not a snapshot though: a container may go
 * between readdir() and the read, which is not an error.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "entry.h"
#include "strv.h"

#define SUFFIX ".state"

void entry_done(struct entry *e)
{
	free(e->name);
	state_file_done(&e->sf);
	strv_free(e->addresses);
	strv_free(e->forwards);
	*e = (struct entry){};
}

void entry_list_done(struct entry_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_done(&l->entries[i]);
	free(l->entries);
	*l = (struct entry_list){};
}

const char *entry_extra(const struct state_file *sf, const char *key)
{
	size_t klen = strlen(key);
	const char *found = NULL;

	for (size_t i = 0; sf->extra && sf->extra[i]; i++)
		if (strncmp(sf->extra[i], key, klen) == 0 && sf->extra[i][klen] == '=')
			found = sf->extra[i] + klen + 1;
	return found;
}

/* Space-separated words of s (NULL: none) into a new strv. Returns 0 or -ENOMEM. */
static int split_words(const char *s, char ***ret)
{
	_cleanup_free_ char *copy = s ? strdup(s) : NULL;
	char **l = NULL, *w, *save = NULL;

	if (s && !copy)
		return -ENOMEM;
	for (w = copy ? strtok_r(copy, " \t", &save) : NULL; w; w = strtok_r(NULL, " \t", &save))
		if (strv_extend(&l, w) < 0) {
			strv_free(l);
			return -ENOMEM;
		}
	*ret = l;
	return 0;
}

/* SINCE= as written by netd: decimal digits only. 0 (unknown) otherwise. */
static uint64_t parse_usec(const char *s)
{
	uint64_t v = 0;

	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

int entry_load(const char *dir, const char *name, struct entry *ret)
{
	struct entry e = {};
	int r;

	/* state_file_read() refuses these too, but an explicit check keeps the error obvious. */
	if (!*name || name[0] == '.' || strchr(name, '/'))
		return -EINVAL;
	e.name = strdup(name);
	if (!e.name)
		return -ENOMEM;
	r = state_file_read(dir, name, &e.sf);
	if (r >= 0)
		r = split_words(entry_extra(&e.sf, "ADDRESSES"), &e.addresses);
	if (r >= 0)
		r = split_words(entry_extra(&e.sf, "FORWARDS"), &e.forwards);
	if (r < 0) {
		entry_done(&e);
		return r;
	}
	e.since_usec = parse_usec(entry_extra(&e.sf, "SINCE"));
	*ret = e;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* NAME when file is "NAME.state" for a name netd could have written (malloc'ed), else NULL
 * in *ret. Returns 0 or -ENOMEM. */
static int state_name(const char *file, char **ret)
{
	size_t len = strlen(file), slen = strlen(SUFFIX);

	*ret = NULL;
	/* netd's temporary files are ".NAME.state.XXXXXX": hidden names are never containers. */
	if (file[0] == '.' || len <= slen || strcmp(file + len - slen, SUFFIX) != 0)
		return 0;
	*ret = strndup(file, len - slen);
	return *ret ? 0 : -ENOMEM;
}

static int add_file(struct entry_list *l, const char *dir, const char *file,
		    void (*on_bad)(const char *, int, void *), void *userdata)
{
	_cleanup_free_ char *name = NULL;
	struct entry e, *slot;
	int r = state_name(file, &name);

	if (r < 0 || !name)
		return r;
	r = entry_load(dir, name, &e);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT) /* gone since readdir(): its container went away */
		return 0;
	if (r < 0) {
		if (on_bad)
			on_bad(name, r, userdata);
		return 0;
	}
	slot = array_push(&l->entries, &l->n, sizeof(*l->entries));
	if (!slot) {
		entry_done(&e);
		return -ENOMEM;
	}
	*slot = e;
	return 0;
}

int entry_list_load(const char *dir, void (*on_bad)(const char *name, int error, void *userdata),
		    void *userdata, struct entry_list *ret)
{
	struct entry_list l = {};
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	for (errno = 0; r >= 0 && (de = readdir(d)); errno = 0)
		r = add_file(&l, dir, de->d_name, on_bad, userdata);
	if (r >= 0 && errno != 0)
		r = -errno;
	(void)closedir(d);
	if (r < 0) {
		entry_list_done(&l);
		return r;
	}
	if (l.n > 1)
		qsort(l.entries, l.n, sizeof(*l.entries), cmp_entry);
	*ret = l;
	return 0;
}
