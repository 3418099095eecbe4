/* SPDX-License-Identifier: MIT */
/*
 * Per-container state files: text format and atomic replacement. Readers (spawn waiting
 * with inotify, admins with cat) must never see a half-written file, hence temp + rename.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sys/file.h>

#include "state.h"
#include "strv.h"

static const char *const state_names[_STATE_MAX] = {
	[STATE_PENDING] = "pending",
	[STATE_CONFIGURED] = "configured",
	[STATE_FAILED] = "failed",
};

const char *state_kind_to_string(enum state_kind s)
{
	if (s < 0 || s >= _STATE_MAX)
		return NULL;
	return state_names[s];
}

enum state_kind state_kind_from_string(const char *s)
{
	for (int i = 0; s && i < _STATE_MAX; i++)
		if (strcmp(state_names[i], s) == 0)
			return (enum state_kind)i;
	return _STATE_INVALID;
}

void state_file_done(struct state_file *s)
{
	free(s->ifname);
	free(s->netns);
	free(s->error);
	strv_free(s->extra);
	*s = (struct state_file){};
}

/* Write value with newlines flattened: one value must stay one line. */
static void put_value(FILE *f, const char *value)
{
	for (const char *p = value; *p; p++)
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
	fputc('\n', f);
}

static void put_field(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "%s=", key);
	put_value(f, value);
}

int state_file_format(const struct state_file *s, char **ret)
{
	const char *state = state_kind_to_string(s->state);
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (!state)
		return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	put_field(f, "STATE", state);
	put_field(f, "IFNAME", s->ifname);
	put_field(f, "NETNS", s->netns);
	put_field(f, "ERROR", s->error);
	for (size_t i = 0; s->extra && s->extra[i]; i++)
		put_value(f, s->extra[i]);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

/* NAME becomes a file name in dir: no separators, no hidden or empty names. */
static bool name_valid(const char *name)
{
	return name && *name && name[0] != '.' && !strchr(name, '/');
}

static int mkdir_parents(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write text into the already-open temp file: mode, content, fsync. */
static int fill_temp(int fd, const char *text)
{
	int r;

	/* mkostemp creates 0600; readers (spawn may drop privileges, admins) need 0644. */
	if (fchmod(fd, 0644) < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r < 0)
		return r;
	/* Cheap on /run (tmpfs); on a disk it keeps a crash from leaving an empty file. */
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

int state_file_write(const char *dir, const char *name, const struct state_file *s)
{
	_cleanup_free_ char *text = NULL, *file = NULL;
	int r;

	if (!dir || !name_valid(name))
		return -EINVAL;
	r = state_file_format(s, &text);
	if (r < 0)
		return r;
	if (asprintf(&file, "%s.state", name) < 0)
		return -ENOMEM;
	return state_dir_write(dir, file, text);
}

int state_dir_write(const char *dir, const char *file, const char *text)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (!dir || !name_valid(file))
		return -EINVAL;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, file) < 0 ||
	    asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	r = mkdir_parents(dir);
	if (r < 0)
		return r;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fill_temp(fd, text);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int state_file_remove(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;

	if (!dir || !name_valid(name))
		return -EINVAL;
	if (asprintf(&path, "%s/%s.state", dir, name) < 0)
		return -ENOMEM;
	/* Gone already is what the caller wants. */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int set_field(char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* One "KEY=VALUE" line into s. A later duplicate key overrides an earlier one. */
static int parse_state_line(struct state_file *s, char *line)
{
	char *eq = strchr(line, '=');
	const char *value;

	if (!eq || eq == line)
		return -EBADMSG;
	*eq = '\0';
	value = eq + 1;
	if (strcmp(line, "STATE") == 0) {
		s->state = state_kind_from_string(value);
		return s->state < 0 ? -EBADMSG : 0;
	}
	if (strcmp(line, "IFNAME") == 0)
		return set_field(&s->ifname, value);
	if (strcmp(line, "NETNS") == 0)
		return set_field(&s->netns, value);
	if (strcmp(line, "ERROR") == 0)
		return set_field(&s->error, value);
	*eq = '=';
	return strv_extend(&s->extra, line);
}

int state_file_parse(const char *text, struct state_file *ret)
{
	struct state_file s = { .state = _STATE_INVALID };
	_cleanup_free_ char *copy = strdup(text);
	char *line, *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save))
		r = parse_state_line(&s, line);
	if (r >= 0 && s.state < 0)
		r = -EBADMSG;
	if (r < 0) {
		state_file_done(&s);
		return r;
	}
	*ret = s;
	return 0;
}

static int read_text(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return -errno;
	/* A state file never contains NUL: reading up to one reads the whole file. */
	if (getdelim(&buf, &size, '\0', f) < 0) {
		free(buf);
		if (ferror(f))
			return -EIO;
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int state_file_read(const char *dir, const char *name, struct state_file *ret)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (!dir || !name_valid(name))
		return -EINVAL;
	if (asprintf(&path, "%s/%s.state", dir, name) < 0)
		return -ENOMEM;
	r = read_text(path, &text);
	if (r < 0)
		return r;
	return state_file_parse(text, ret);
}

#define STATE_LOCK "netd.lock"

int state_dir_lock(const char *dir)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r = mkdir_parents(dir);

	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, STATE_LOCK) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return TAKE_FD(fd);
}

int state_dir_locked(const char *dir)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (asprintf(&path, "%s/%s", dir, STATE_LOCK) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : -errno;
	return 0;
}
