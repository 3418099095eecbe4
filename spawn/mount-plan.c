/* SPDX-License-Identifier: MIT */
/*
 * The mount plan: which mounts a container gets and in which order. Pure apart from
 * mount_plan_stat_devices() and mount_plan_check(), which only look.
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "mount.h"

static const char *const kind_names[_MOUNT_KIND_MAX] = {
	[MOUNT_ROOT_BIND] = "root-bind",
	[MOUNT_ROOT_OVERLAY] = "root-overlay",
	[MOUNT_RUN] = "run",
	[MOUNT_PROC] = "proc",
	[MOUNT_PROC_MASK] = "proc-mask",
	[MOUNT_PROC_READONLY] = "proc-readonly",
	[MOUNT_SYS] = "sys",
	[MOUNT_DEV] = "dev",
	[MOUNT_DEV_NODE] = "dev-node",
	[MOUNT_DEV_SYMLINK] = "dev-symlink",
	[MOUNT_DEVPTS] = "devpts",
	[MOUNT_DEV_SHM] = "dev-shm",
	[MOUNT_DEV_MQUEUE] = "dev-mqueue",
	[MOUNT_BIND] = "bind",
	[MOUNT_TMPFS] = "tmpfs",
	[MOUNT_COPY_FILE] = "copy-file",
	[MOUNT_ENSURE_FILE] = "ensure-file",
};

const char *mount_kind_to_string(enum mount_kind k)
{
	if (k < 0 || k >= _MOUNT_KIND_MAX)
		return NULL;
	return kind_names[k];
}

/* systemd-nspawn masks these; a kernel without one of them simply has nothing to mask. */
static const char *const proc_masked[] = {
	"/proc/kcore",
	"/proc/kallsyms",
	"/proc/keys",
	"/proc/timer_list",
};
static const char *const proc_readonly[] = {
	"/proc/sys",
	"/proc/sysrq-trigger",
	"/proc/irq",
	"/proc/bus",
};

static const struct {
	const char *path;
	unsigned major, minor;
} dev_nodes[] = {
	{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
	{"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
	const char *path, *target;
} dev_symlinks[] = {
	{"/dev/ptmx", "pts/ptmx"},		{"/dev/fd", "/proc/self/fd"},
	{"/dev/stdin", "/proc/self/fd/0"},	{"/dev/stdout", "/proc/self/fd/1"},
	{"/dev/stderr", "/proc/self/fd/2"}, {"/dev/core", "/proc/kcore"},
};

static void op_done(struct mount_op *op)
{
	free(op->dest);
	free(op->source);
	free(op->options);
}

struct mount_plan *mount_plan_free(struct mount_plan *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_ops; i++)
		op_done(&p->ops[i]);
	free(p->ops);
	free(p);
	return NULL;
}

static _printf_(3, 4) int plan_error(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int mount_path_normalize(const char *path, char **ret)
{
	size_t len = strlen(path);
	char *out, *o;

	if (path[0] != '/')
		return -EINVAL;
	out = malloc(len + 2);
	if (!out)
		return -ENOMEM;
	o = out;
	for (const char *p = path; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return -EINVAL;
		}
		if (!(n == 1 && p[0] == '.')) {
			*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	*ret = out;
	return 0;
}

/* Append an op; dest is normalized, source and options copied. */
static struct mount_op *add(struct mount_plan *p, enum mount_kind kind, const char *dest,
			    const char *source, int *r)
{
	struct mount_op *op;

	if (*r < 0)
		return NULL;
	op = array_push(&p->ops, &p->n_ops, sizeof(*p->ops));
	if (!op) {
		*r = -ENOMEM;
		return NULL;
	}
	op->kind = kind;
	*r = mount_path_normalize(dest, &op->dest);
	if (*r == 0 && source && !(op->source = strdup(source)))
		*r = -ENOMEM;
	return *r < 0 ? NULL : op;
}

static bool path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Parents before children: compare component-wise, '/' sorting before any other byte. */
static int path_rank(char c)
{
	return c == '\0' ? 0 : c == '/' ? 1 : (unsigned char)c + 1;
}

static int path_cmp(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return path_rank(*a) - path_rank(*b);
}

static int custom_cmp(const void *x, const void *y)
{
	const struct mount_op *a = x, *b = y;
	int c = path_cmp(a->dest, b->dest);

	/* Equal destinations keep their declaration order (the later one on top). */
	if (c == 0)
		return a < b ? -1 : a > b;
	return c;
}

/* "SRC[:DST]" */
static int add_bind(struct mount_plan *p, const char *item, bool ro, char *err, size_t len)
{
	_cleanup_free_ char *src = strdup(item);
	const char *dst;
	struct mount_op *op;
	char *colon;
	int r = 0;

	if (!src)
		return -ENOMEM;
	colon = strchr(src, ':');
	if (colon)
		*colon = '\0';
	dst = colon ? colon + 1 : src;
	if (src[0] != '/' || dst[0] != '/')
		return plan_error(err, len, "Bind%s=%s: paths must be absolute",
				  ro ? "ReadOnly" : "", item);
	op = add(p, MOUNT_BIND, dst, src, &r);
	if (r == -EINVAL)
		return plan_error(err, len, "Bind%s=%s: destination has a \"..\" component",
				  ro ? "ReadOnly" : "", item);
	if (r < 0)
		return r;
	op->read_only = ro;
	return 0;
}

/* "PATH[:OPTIONS]" */
static int add_tmpfs(struct mount_plan *p, const char *item, char *err, size_t len)
{
	_cleanup_free_ char *path = strdup(item);
	struct mount_op *op;
	char *colon;
	int r = 0;

	if (!path)
		return -ENOMEM;
	colon = strchr(path, ':');
	if (colon)
		*colon = '\0';
	op = add(p, MOUNT_TMPFS, path, NULL, &r);
	if (r == -EINVAL)
		return plan_error(err, len, "TemporaryFileSystem=%s: invalid path", item);
	if (r < 0)
		return r;
	if (colon && colon[1] && !(op->options = strdup(colon + 1)))
		return -ENOMEM;
	return 0;
}

static int add_custom(struct mount_plan *p, const struct conf_container *cc, char *err, size_t len)
{
	size_t first = p->n_ops;
	int r = 0;

	for (char **s = cc->binds; r == 0 && s && *s; s++)
		r = add_bind(p, *s, false, err, len);
	for (char **s = cc->binds_ro; r == 0 && s && *s; s++)
		r = add_bind(p, *s, true, err, len);
	for (char **s = cc->tmpfs; r == 0 && s && *s; s++)
		r = add_tmpfs(p, *s, err, len);
	if (r < 0)
		return r;
	for (size_t i = first; i < p->n_ops; i++) {
		const char *d = p->ops[i].dest;

		/* Over these, a declaration would undo the masking and the read-only /sys. */
		if (strcmp(d, "/") == 0 || path_is_under(d, "/proc") || path_is_under(d, "/sys"))
			return plan_error(
			    err, len, "%s: cannot mount over \"%s\"",
			    p->ops[i].kind == MOUNT_TMPFS ? "TemporaryFileSystem" : "Bind", d);
	}
	qsort(p->ops + first, p->n_ops - first, sizeof(*p->ops), custom_cmp);
	return 0;
}

static bool has_node(const struct mount_plan *p, const char *dest)
{
	for (size_t i = 0; i < p->n_ops; i++)
		if (p->ops[i].kind == MOUNT_DEV_NODE && strcmp(p->ops[i].dest, dest) == 0)
			return true;
	return false;
}

/* DeviceAllow: "NODE [r][w][m]"; device classes (char-*, block-*) are the cgroup's business. */
static int add_device(struct mount_plan *p, const char *item, char *err, size_t len)
{
	char node[256] = "", access[8] = "";
	struct mount_op *op;
	_cleanup_free_ char *norm = NULL;
	int r = 0;

	if (sscanf(item, "%255s %7s", node, access) < 1)
		return plan_error(err, len, "DeviceAllow=%s: invalid", item);
	if (strncmp(node, "char-", 5) == 0 || strncmp(node, "block-", 6) == 0)
		return 0;
	r = mount_path_normalize(node, &norm);
	if (r == -EINVAL ||
	    (r == 0 && (!path_is_under(norm, "/dev") || strcmp(norm, "/dev") == 0 ||
			path_is_under(norm, "/dev/pts") || path_is_under(norm, "/dev/shm") ||
			path_is_under(norm, "/dev/mqueue"))))
		return plan_error(err, len, "DeviceAllow=%s: not a node under /dev", item);
	if (r < 0)
		return r;
	if (has_node(p, norm))
		return 0;
	op = add(p, MOUNT_DEV_NODE, norm, norm, &r);
	if (r < 0)
		return r;
	/* Permissions follow the access letters; the type and number come from the host. */
	op->mode = (strchr(access, 'r') || !*access ? 0444 : 0) |
		   (strchr(access, 'w') || !*access ? 0222 : 0);
	op->rdev = 0;
	return 0;
}

static int add_base(struct mount_plan *p, const struct conf_container *cc, const char *directory)
{
	struct mount_op *op;
	int r = 0;

	add(p, cc->ephemeral ? MOUNT_ROOT_OVERLAY : MOUNT_ROOT_BIND, "/", directory, &r);
	add(p, MOUNT_RUN, "/run", NULL, &r);
	add(p, MOUNT_PROC, "/proc", NULL, &r);
	for (size_t i = 0; i < ARRAY_SIZE(proc_masked); i++)
		add(p, MOUNT_PROC_MASK, proc_masked[i], NULL, &r);
	for (size_t i = 0; i < ARRAY_SIZE(proc_readonly); i++)
		add(p, MOUNT_PROC_READONLY, proc_readonly[i], NULL, &r);
	add(p, MOUNT_SYS, "/sys", NULL, &r);
	add(p, MOUNT_DEV, "/dev", NULL, &r);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		op = add(p, MOUNT_DEV_NODE, dev_nodes[i].path, NULL, &r);
		if (op) {
			op->mode = S_IFCHR | 0666;
			op->rdev = makedev(dev_nodes[i].major, dev_nodes[i].minor);
		}
	}
	add(p, MOUNT_DEVPTS, "/dev/pts", NULL, &r);
	for (size_t i = 0; i < ARRAY_SIZE(dev_symlinks); i++)
		add(p, MOUNT_DEV_SYMLINK, dev_symlinks[i].path, dev_symlinks[i].target, &r);
	add(p, MOUNT_DEV_SHM, "/dev/shm", NULL, &r);
	add(p, MOUNT_DEV_MQUEUE, "/dev/mqueue", NULL, &r);
	return r;
}

int mount_plan_new(const struct conf_container *cc, const char *resolv_conf,
		   struct mount_plan **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *directory = NULL;
	struct mount_plan *p;
	struct mount_op *op;
	int r;

	r = conf_container_directory(cc, &directory);
	if (r < 0)
		return r;
	if (directory[0] != '/')
		return plan_error(err, errlen, "Directory= must be an absolute path");
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r = add_base(p, cc, directory);
	for (char **s = cc->device_allow; r == 0 && s && *s; s++)
		r = add_device(p, *s, err, errlen);
	if (r == 0 && cc->enable_tun && !has_node(p, "/dev/net/tun")) {
		op = add(p, MOUNT_DEV_NODE, "/dev/net/tun", NULL, &r);
		if (op) {
			op->mode = S_IFCHR | 0666;
			op->rdev = makedev(10, 200);
		}
	}
	if (r == 0)
		r = add_custom(p, cc, err, errlen);
	if (r == 0 && resolv_conf)
		add(p, MOUNT_COPY_FILE, "/etc/resolv.conf", resolv_conf, &r);
	op = add(p, MOUNT_ENSURE_FILE, "/etc/os-release", NULL, &r);
	if (op)
		op->mode = 0644;
	op = add(p, MOUNT_ENSURE_FILE, "/etc/machine-id", NULL, &r);
	if (op)
		op->mode = 0444;
	if (r < 0) {
		mount_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int mount_plan_stat_devices(struct mount_plan *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n_ops; i++) {
		struct mount_op *op = &p->ops[i];
		struct stat st;

		if (op->kind != MOUNT_DEV_NODE || !op->source)
			continue;
		if (stat(op->source, &st) < 0) {
			int r = -errno;

			(void)snprintf(err, errlen, "DeviceAllow=%s: %s", op->source, strerror(-r));
			return r;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
			(void)snprintf(err, errlen, "DeviceAllow=%s: not a device node",
				       op->source);
			return -ENODEV;
		}
		op->mode = (st.st_mode & S_IFMT) | (op->mode & st.st_mode & 0777);
		op->rdev = st.st_rdev;
	}
	return 0;
}

/* Destinations on file systems spawn mounts fresh: nothing of the image is in the way. */
static bool on_fresh_fs(const char *dest)
{
	static const char *const fresh[] = {"/proc", "/sys", "/dev", "/run"};

	for (size_t i = 0; i < ARRAY_SIZE(fresh); i++)
		if (path_is_under(dest, fresh[i]) && strcmp(dest, fresh[i]) != 0)
			return true;
	return false;
}

/* Walk the existing components of dest below root_fd; stop quietly at the first missing one. */
static int check_dest(int root_fd, const char *dest, bool last_may_be_link)
{
	struct open_how how = {
	    .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_free_ char *prefix = strdup(dest);
	size_t len;

	if (!prefix)
		return -ENOMEM;
	len = strlen(dest);
	for (size_t i = 1; i <= len; i++) {
		int fd;

		if (dest[i] != '/' && dest[i] != '\0')
			continue;
		if (dest[i] == '\0' && last_may_be_link)
			return 0;
		struct stat st;
		int r = 0;

		prefix[i] = '\0';
		fd = (int)syscall(SYS_openat2, root_fd, prefix, &how, sizeof(how));
		prefix[i] = dest[i];
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		/* O_PATH | O_NOFOLLOW opens a trailing symlink itself instead of failing. */
		if (fstat(fd, &st) < 0)
			r = -errno;
		else if (S_ISLNK(st.st_mode))
			r = -ELOOP;
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

int mount_plan_check(const struct mount_plan *p, int root_fd, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n_ops; i++) {
		const struct mount_op *op = &p->ops[i];
		bool file = op->kind == MOUNT_COPY_FILE || op->kind == MOUNT_ENSURE_FILE;
		struct stat st;
		int r;

		if (op->kind == MOUNT_ROOT_BIND || op->kind == MOUNT_ROOT_OVERLAY ||
		    on_fresh_fs(op->dest))
			continue;
		if (op->kind == MOUNT_BIND && stat(op->source, &st) < 0) {
			r = -errno;
			(void)snprintf(err, errlen, "Bind source %s: %s", op->source, strerror(-r));
			return r;
		}
		r = check_dest(root_fd, op->dest, file);
		if (r == -ELOOP || r == -EXDEV) {
			(void)snprintf(err, errlen,
				       "%s in the container root: a path component is a "
				       "symlink, refusing to mount there",
				       op->dest);
			return -ELOOP;
		}
		if (r < 0) {
			(void)snprintf(err, errlen, "%s in the container root: %s", op->dest,
				       strerror(-r));
			return r;
		}
	}
	return 0;
}
