/* SPDX-License-Identifier: MIT */
/*
 * [Netd] ImportNixOSContainers=DIR: the per-container files the NixOS containers module writes
 * (/etc/nixos-containers/NAME.conf, /etc/containers/NAME.conf before 22.05), read as if each
 * were a [Container NAME] section. The files are environment files for systemd's
 * EnvironmentFile= ("KEY=VALUE", values unquoted or double-quoted); each variable netd has a
 * key for goes through conf_assign(), the path the main file's keys take, so the values are
 * validated alike and errors point at FILE:LINE of the imported file.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "conf-internal.h"

enum {
	NIXOS_IGNORE, /* written by the module for systemd-nspawn or the container's boot */
	NIXOS_VALUE,  /* a scalar key: the last assignment wins, an empty one resets */
	NIXOS_LIST,   /* a list key: an assignment replaces the list, as in a shell */
	NIXOS_PRIVATE_NETWORK,
	NIXOS_PORTS,
};

struct nixos_var {
	const char *name;
	int kind;
	const char *key; /* the [Container] key it sets */
};

/*
 * Every variable the module has written since it moved to per-container files (and that
 * `nixos-container create` writes): an unknown one is an error, as in the main file, since it
 * most likely means a newer module netd does not understand yet.
 */
static const struct nixos_var vars[] = {
	{ "PRIVATE_NETWORK", NIXOS_PRIVATE_NETWORK, "PrivateNetwork" },
	{ "HOST_BRIDGE", NIXOS_VALUE, "HostBridge" },
	{ "HOST_ADDRESS", NIXOS_VALUE, "HostAddress" },
	{ "HOST_ADDRESS6", NIXOS_VALUE, "HostAddress6" },
	{ "LOCAL_ADDRESS", NIXOS_VALUE, "LocalAddress" },
	{ "LOCAL_ADDRESS6", NIXOS_VALUE, "LocalAddress6" },
	{ "HOST_PORT", NIXOS_PORTS, "ForwardPort" },
	{ "INTERFACES", NIXOS_LIST, "Interface" },
	{ "MACVLANS", NIXOS_LIST, "MACVLAN" },
	{ "SYSTEM_PATH", NIXOS_IGNORE, NULL },
	{ "FLAKE", NIXOS_IGNORE, NULL },
	{ "COPY_RESOLV_CONF", NIXOS_IGNORE, NULL },
	{ "LOCAL_MAC_ADDRESS", NIXOS_IGNORE, NULL },
	{ "NETWORK_NAMESPACE_PATH", NIXOS_IGNORE, NULL },
	{ "PRIVATE_USERS", NIXOS_IGNORE, NULL },
	{ "AUTO_START", NIXOS_IGNORE, NULL },
	{ "EXTRA_NSPAWN_FLAGS", NIXOS_IGNORE, NULL },
};

static const struct nixos_var *find_var(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		if (strcmp(vars[i].name, name) == 0)
			return &vars[i];
	return NULL;
}

/* ---- environment file syntax ---- */

int conf_env_split(char *line, char **ret_key, char **ret_value)
{
	char *s = line, *eq, *e;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '#' || *s == ';')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return -EINVAL;
	for (e = eq; e > s && isspace((unsigned char)e[-1]);)
		e--;
	*e = '\0';
	eq++;
	while (isspace((unsigned char)*eq))
		eq++;
	*ret_key = s;
	*ret_value = eq;
	return 1;
}

/* Inside "...": the characters a backslash escapes (systemd's SHELL_NEED_ESCAPE); before
 * any other one the backslash stays. */
static char *unquote_double(char *in, char **out)
{
	for (; *in && *in != '"'; in++) {
		if (*in == '\\' && in[1] && strchr("\"\\`$", in[1]))
			in++;
		*(*out)++ = *in;
	}
	return *in ? in + 1 : NULL;
}

int conf_env_unquote(char *value, const char **ret_err)
{
	char *in = value, *out = value, *keep = value;

	/* out never passes in: quotes and escaping backslashes are only dropped. keep marks the
	 * end of what stays when trailing unquoted whitespace is cut. */
	while (*in) {
		if (*in == '"') {
			in = unquote_double(in + 1, &out);
			if (!in) {
				*ret_err = "unterminated double quote";
				return -EINVAL;
			}
			keep = out;
		} else if (*in == '\'') {
			char *end = strchr(in + 1, '\'');

			if (!end) {
				*ret_err = "unterminated single quote";
				return -EINVAL;
			}
			memmove(out, in + 1, (size_t)(end - in - 1));
			out += end - in - 1;
			in = end + 1;
			keep = out;
		} else if (*in == '\\') {
			/* systemd joins the next line here; the module never ends a line so. */
			if (!in[1]) {
				*ret_err = "trailing backslash (line continuation) not supported";
				return -EINVAL;
			}
			*out++ = in[1];
			in += 2;
			keep = out;
		} else {
			bool space = isspace((unsigned char)*in);

			*out++ = *in++;
			if (!space)
				keep = out;
		}
	}
	*keep = '\0';
	return 0;
}

/* Shell variable names, as systemd accepts them in environment files. */
static bool env_name_valid(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* ---- mapping ---- */

/* HOST_PORT: "PROTOCOL:HOSTPORT:CONTAINERPORT" entries joined by ',' (the module's mkPortStr,
 * which systemd-nspawn's --port takes one by one). Each entry is a ForwardPort= value. */
static bool port_entry_valid(const char *e)
{
	size_t n;

	if (strncmp(e, "tcp:", 4) != 0 && strncmp(e, "udp:", 4) != 0)
		return false;
	e += 4;
	n = strspn(e, "0123456789");
	if (n == 0 || e[n] != ':')
		return false;
	e += n + 1;
	n = strspn(e, "0123456789");
	return n > 0 && !e[n];
}

static int assign_ports(struct conf *c, unsigned line, const struct nixos_var *v, char *value)
{
	char *e;
	int r;

	r = conf_assign(c, line, v->key, "", v->name);
	if (r < 0 || !*value)
		return r;
	/* strsep, not strtok: an empty entry (",,", a trailing ',') is an error too. */
	while ((e = strsep(&value, ","))) {
		if (!port_entry_valid(e))
			r = conf_error(c, line, "invalid %s entry \"%s\", expected "
				       "tcp|udp:HOSTPORT:CONTAINERPORT", v->name, e);
		else
			r = conf_assign(c, line, v->key, e, v->name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int assign_var(struct conf *c, unsigned line, const struct nixos_var *v, char *value)
{
	int r;

	switch (v->kind) {
	case NIXOS_IGNORE:
		return 0;
	case NIXOS_PRIVATE_NETWORK:
		/* The module's scripts test for "1" exactly; a bool of another spelling would
		 * mean something else to them than to netd. */
		if (*value && strcmp(value, "1") != 0 && strcmp(value, "0") != 0)
			return conf_error(c, line, "invalid %s \"%s\", expected 1 or 0", v->name,
					  value);
		return conf_assign(c, line, v->key, value, v->name);
	case NIXOS_LIST:
		r = conf_assign(c, line, v->key, "", v->name);
		return r < 0 ? r : conf_assign(c, line, v->key, value, v->name);
	case NIXOS_PORTS:
		return assign_ports(c, line, v, value);
	default:
		return conf_assign(c, line, v->key, value, v->name);
	}
}

static int import_line(struct conf *c, unsigned line, char *s, const char *name)
{
	const struct nixos_var *v;
	char *key, *value;
	const char *err;
	int r;

	r = conf_env_split(s, &key, &value);
	if (r == 0)
		return 0;
	if (r < 0)
		return conf_error(c, line, "missing '=' in line");
	if (!*key)
		return conf_error(c, line, "missing key before '='");
	if (!env_name_valid(key))
		return conf_error(c, line, "invalid variable name \"%s\"", key);
	v = find_var(key);
	if (!v)
		return conf_error(c, line, "unknown key \"%s\" for container \"%s\"", key, name);
	if (conf_env_unquote(value, &err) < 0)
		return conf_error(c, line, "%s in value of %s", err, key);
	return assign_var(c, line, v, value);
}

static int import_lines(struct conf *c, unsigned base, const char *text, const char *name,
			unsigned *ret_n)
{
	_cleanup_free_ char *copy = strdup(text);
	unsigned lineno = 0;
	char *s, *nl = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (s = copy; r >= 0 && *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		/* Past UINT_MAX lines in all, the rest of this file cannot be numbered. */
		if (++lineno > UINT_MAX - base) {
			lineno--;
			r = conf_error(c, base + lineno, "too many lines in all files");
			break;
		}
		r = import_line(c, base + lineno, s, name);
		if (!nl)
			break;
	}
	*ret_n = lineno;
	return r;
}

int conf_import_nixos_text(struct conf *c, const char *path, const char *name, const char *text)
{
	_cleanup_free_ char *where = NULL;
	unsigned base, n = 0;
	size_t i;
	int r;

	r = conf_source_add(c, path, &base);
	if (r == -EOVERFLOW)
		return conf_error(c, UINT_MAX, "too many lines in all files");
	if (r < 0)
		return r;
	/* The whole file is the section: its errors are at line 1, as a header's would be. */
	if (conf_names_get(c->container_names, name, &i)) {
		where = conf_where(c, base + 1, c->containers[i].line);
		r = where ? conf_error(c, base + 1, "container \"%s\" is also declared by "
				       "[Container %s] at %s", name, name, where)
			  : -ENOMEM;
	} else {
		r = conf_open_container(c, base + 1, name);
		if (r > 0)
			r = import_lines(c, base, text, name, &n);
	}
	conf_source_end(c, n);
	return r;
}

/* ---- the directory ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The file names of DIR/ *.conf, as a shell glob gives them (no hidden files), sorted.
 * Returns 0, or a negative errno. */
static int list_dir(int dfd, char ***ret, size_t *ret_n)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, **slot;
	size_t n = 0, len;
	int r = 0;

	dfd = dup(dfd);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		(void)close(dfd);
		return r;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		slot = conf_array_push(&names, &n, sizeof(*slot));
		if (!slot || !(*slot = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0 && errno)
		r = -errno;
	(void)closedir(d);
	if (r < 0) {
		free_names(names, n);
		return r;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	*ret = names;
	*ret_n = n;
	return 0;
}

/* Read a regular file whole. Returns 1 with *ret, 0 when name is not a regular file (or is
 * gone), or a negative errno. */
static int read_regular(int dfd, const char *name, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, len = 0;
	struct stat st;
	ssize_t k;

	/* stat (following links: the module's files are symlinks into /etc/static) before
	 * open, so that a FIFO or device is never opened; fstat after, against a swap. */
	if (fstatat(dfd, name, &st, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	do {
		char *p;

		if (size - len < 4096) {
			size = size ? 2 * size : 4096;
			p = realloc(buf, size + 1);
			if (!p)
				return -ENOMEM;
			buf = p;
		}
		k = read(fd, buf + len, size - len);
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k > 0)
			len += (size_t)k;
	} while (k != 0);
	/* Text ends at an embedded NUL, as in the main file. */
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 1;
}

static int import_file(struct conf *c, int dfd, const char *dir, size_t dirlen,
		       const char *file)
{
	_cleanup_free_ char *path = NULL, *name = NULL, *text = NULL;
	int r;

	if (asprintf(&path, "%.*s/%s", (int)dirlen, dir, file) < 0)
		return -ENOMEM;
	name = strndup(file, strlen(file) - 5);
	if (!name)
		return -ENOMEM;
	r = read_regular(dfd, file, &text);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return conf_error(c, c->import_nixos_line, "cannot read %s: %s", path,
				  strerror(-r));
	if (r == 0)
		return 0;
	return conf_import_nixos_text(c, path, name, text);
}

int conf_import_nixos(struct conf *c)
{
	const char *dir = c->import_nixos_dir;
	_cleanup_close_ int dfd = -EBADF;
	size_t n = 0, dirlen = strlen(dir);
	char **names = NULL;
	int r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dfd < 0 ? -errno : list_dir(dfd, &names, &n);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return conf_error(c, c->import_nixos_line,
				  "cannot read ImportNixOSContainers directory %s: %s", dir,
				  strerror(-r));
	/* FILE in errors is DIR/NAME.conf, without doubled slashes ("/" gives "/NAME.conf"). */
	while (dirlen > 0 && dir[dirlen - 1] == '/')
		dirlen--;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = import_file(c, dfd, dir, dirlen, names[i]);
	free_names(names, n);
	return r;
}
