/* SPDX-License-Identifier: MIT */
/*
 * Executor of the mount plan. Every path inside the container root is opened with openat2()
 * scoped to the root and refusing symlinks, so no link in the image can make spawn create,
 * mount over or write anything outside it; every mount is attached through file descriptors.
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "mount.h"

#define IN_ROOT	 (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define BENEATH	 (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define MOVE_FDS (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)

struct exec_ctx {
	int root;  /* owned: the new root mount, once mounted */
	int inacc; /* owned: O_PATH of the unopenable node masks are bound from */
};

static int open2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* open2() for a target to mount over: a trailing symlink is refused, not opened itself. */
static int open_target(int dirfd, const char *path, uint64_t resolve)
{
	int fd = open2(dirfd, path, O_PATH | O_NOFOLLOW, resolve);
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		int r = S_ISLNK(st.st_mode) ? -ELOOP : -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Open directory path below root, creating missing components (0755). Returns an fd. */
static int mkdir_in_root(int root, const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int cur = -1;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	cur = open2(root, ".", O_PATH | O_DIRECTORY, BENEATH);
	if (cur < 0)
		return cur;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int fd = open2(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW, BENEATH);

		if (fd == -ENOENT) {
			if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
				return -errno;
			fd = open2(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW, BENEATH);
		}
		if (fd < 0)
			return fd;
		close(cur);
		cur = fd;
	}
	return TAKE_FD(cur);
}

/* The directory holding path (created as needed) as an fd, and the last component. */
static int parent_in_root(int root, const char *path, const char **ret_base)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = strndup(path, (size_t)(slash - path));

	if (!dir)
		return -ENOMEM;
	*ret_base = slash + 1;
	return mkdir_in_root(root, *dir ? dir : "/");
}

static int attach(int mnt, int target)
{
	return move_mount(mnt, "", target, "", MOVE_FDS) < 0 ? -errno : 0;
}

static int set_attr(int mnt, uint64_t attr, bool recursive)
{
	struct mount_attr a = {.attr_set = attr};

	if (mount_setattr(mnt, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) <
	    0)
		return -errno;
	return 0;
}

static int fs_config(int fs, const char *key, const char *value)
{
	int r = fsconfig(fs, value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, key, value, 0);

	return r < 0 ? -errno : 0;
}

/* A new detached mount of type with options ("k=v" or flag, comma-separated, may be NULL). */
static int fs_new(const char *type, const char *options, uint64_t attr, int *ret)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	_cleanup_free_ char *copy = options ? strdup(options) : NULL;
	char *save = NULL;
	int mnt, r;

	if (fs < 0)
		return -errno;
	if (options && !copy)
		return -ENOMEM;
	for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');

		if (eq)
			*eq++ = '\0';
		r = fs_config(fs, o, eq);
		if (r < 0)
			return r;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attr);
	if (mnt < 0)
		return -errno;
	*ret = mnt;
	return 0;
}

static int mount_fs_at(int root, const char *dest, const char *type, const char *options,
		       uint64_t attr, int *ret_mnt)
{
	_cleanup_close_ int target = mkdir_in_root(root, dest);
	_cleanup_close_ int mnt = -1;
	int r;

	if (target < 0)
		return target;
	r = fs_new(type, options, attr, &mnt);
	if (r < 0)
		return r;
	r = attach(mnt, target);
	if (r < 0)
		return r;
	if (ret_mnt)
		*ret_mnt = TAKE_FD(mnt);
	return 0;
}

static int root_bind(int root_fd, int *ret)
{
	_cleanup_close_ int clone = open_tree(
	    root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	int r;

	if (clone < 0)
		return -errno;
	/* Bound onto itself: the root becomes a mount point pivot_root() can use. */
	r = attach(clone, root_fd);
	if (r < 0)
		return r;
	*ret = TAKE_FD(clone);
	return 0;
}

static int root_overlay(int root_fd, int *ret)
{
	_cleanup_close_ int tmp = -1, upper = -1, work = -1, ov = -1, mnt = -1;
	int r;

	r = fs_new("tmpfs", "mode=0755", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &tmp);
	if (r < 0)
		return r;
	if (mkdirat(tmp, "upper", 0755) < 0 || mkdirat(tmp, "work", 0755) < 0)
		return -errno;
	upper = openat(tmp, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	work = openat(tmp, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ov = fsopen("overlay", FSOPEN_CLOEXEC);
	if (upper < 0 || work < 0 || ov < 0)
		return -errno;
	/* Layers by fd: the tmpfs stays detached, so it vanishes with the mount namespace. */
	if (fsconfig(ov, FSCONFIG_SET_FD, "lowerdir+", NULL, root_fd) < 0 ||
	    fsconfig(ov, FSCONFIG_SET_FD, "upperdir", NULL, upper) < 0 ||
	    fsconfig(ov, FSCONFIG_SET_FD, "workdir", NULL, work) < 0 ||
	    fsconfig(ov, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt = fsmount(ov, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return -errno;
	r = attach(mnt, root_fd);
	if (r < 0)
		return r;
	*ret = TAKE_FD(mnt);
	return 0;
}

/*
 * /run, and on it the node masks are made of: a character device 0:0 on a nodev mount,
 * which open() refuses (EACCES) even to a root holding CAP_DAC_OVERRIDE.
 */
static int do_run(struct exec_ctx *ctx, const struct mount_op *op)
{
	_cleanup_close_ int mnt = -1;
	int r;

	r = mount_fs_at(ctx->root, op->dest, "tmpfs", "mode=0755",
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &mnt);
	if (r < 0)
		return r;
	if (mkdirat(mnt, "host", 0755) < 0 || mkdirat(mnt, "host/inaccessible", 0555) < 0 ||
	    mknodat(mnt, "host/inaccessible/chr", S_IFCHR, makedev(0, 0)) < 0)
		return -errno;
	ctx->inacc = openat(mnt, "host/inaccessible/chr", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return ctx->inacc < 0 ? -errno : 0;
}

/* A /proc path this kernel lacks is skipped; any other failure aborts the start. */
static int do_proc_mask(struct exec_ctx *ctx, const struct mount_op *op)
{
	_cleanup_close_ int target = open_target(ctx->root, op->dest, IN_ROOT);
	_cleanup_close_ int src = -1;
	int r;

	if (target == -ENOENT)
		return 0;
	if (target < 0)
		return target;
	src = open_tree(ctx->inacc, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (src < 0)
		return -errno;
	r = set_attr(src,
		     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		     false);
	return r < 0 ? r : attach(src, target);
}

static int bind_self(int target, uint64_t attr)
{
	_cleanup_close_ int clone = open_tree(
	    target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	int r;

	if (clone < 0)
		return -errno;
	r = set_attr(clone, attr, true);
	return r < 0 ? r : attach(clone, target);
}

static int do_proc_readonly(struct exec_ctx *ctx, const struct mount_op *op)
{
	_cleanup_close_ int target = open_target(ctx->root, op->dest, IN_ROOT);

	if (target == -ENOENT)
		return 0;
	if (target < 0)
		return target;
	return bind_self(target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				     MOUNT_ATTR_NOEXEC);
}

/* Made here, then checked: a node is only trusted once it is what was asked for. */
static int do_dev_node(struct exec_ctx *ctx, const struct mount_op *op)
{
	const char *base;
	_cleanup_close_ int dir = parent_in_root(ctx->root, op->dest, &base);
	struct stat st;

	if (dir < 0)
		return dir;
	if (mknodat(dir, base, op->mode, op->rdev) < 0)
		return -errno;
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != (op->mode & S_IFMT) || st.st_rdev != op->rdev)
		return -EIO;
	return 0;
}

static int do_dev_symlink(struct exec_ctx *ctx, const struct mount_op *op)
{
	const char *base;
	_cleanup_close_ int dir = parent_in_root(ctx->root, op->dest, &base);

	if (dir < 0)
		return dir;
	return symlinkat(op->source, dir, base) < 0 ? -errno : 0;
}

/* An existing non-directory destination, or a new empty file: never through a symlink. */
static int file_target(int root, const char *dest)
{
	const char *base;
	_cleanup_close_ int dir = parent_in_root(root, dest, &base);
	int fd;

	if (dir < 0)
		return dir;
	fd = open_target(dir, base, BENEATH);
	if (fd != -ENOENT)
		return fd;
	fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return open_target(dir, base, BENEATH);
}

/* Recursive, then nosuid/nodev (and read-only) on every submount of the copy. */
static int do_bind(struct exec_ctx *ctx, const struct mount_op *op)
{
	_cleanup_close_ int src =
	    open_tree(AT_FDCWD, op->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	_cleanup_close_ int target = -1;
	struct stat st;
	int r;

	if (src < 0)
		return -errno;
	if (fstat(src, &st) < 0)
		return -errno;
	r = set_attr(src,
		     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (op->read_only ? MOUNT_ATTR_RDONLY : 0),
		     true);
	if (r < 0)
		return r;
	target = S_ISDIR(st.st_mode) ? mkdir_in_root(ctx->root, op->dest)
				     : file_target(ctx->root, op->dest);
	if (target < 0)
		return target;
	return attach(src, target);
}

static int do_tmpfs(struct exec_ctx *ctx, const struct mount_op *op)
{
	uint64_t attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	_cleanup_free_ char *opts = NULL, *copy = op->options ? strdup(op->options) : NULL;
	char *save = NULL;
	size_t len = 0;

	if (op->options && !copy)
		return -ENOMEM;
	opts = calloc(1, (copy ? strlen(copy) : 0) + sizeof("mode=0755,"));
	if (!opts)
		return -ENOMEM;
	if (!copy || !strstr(copy, "mode="))
		len += (size_t)sprintf(opts, "mode=0755");
	for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		static const struct {
			const char *name;
			uint64_t set, clear;
		} flags[] = {
		    {"ro", MOUNT_ATTR_RDONLY, 0},     {"rw", 0, MOUNT_ATTR_RDONLY},
		    {"nosuid", MOUNT_ATTR_NOSUID, 0}, {"suid", 0, MOUNT_ATTR_NOSUID},
		    {"nodev", MOUNT_ATTR_NODEV, 0},   {"dev", 0, MOUNT_ATTR_NODEV},
		    {"noexec", MOUNT_ATTR_NOEXEC, 0}, {"exec", 0, MOUNT_ATTR_NOEXEC},
		};
		bool flag = false;

		for (size_t i = 0; i < ARRAY_SIZE(flags) && !flag; i++)
			if (strcmp(o, flags[i].name) == 0) {
				attr = (attr | flags[i].set) & ~flags[i].clear;
				flag = true;
			}
		if (!flag)
			len += (size_t)sprintf(opts + len, "%s%s", len ? "," : "", o);
	}
	return mount_fs_at(ctx->root, op->dest, "tmpfs", opts, attr, NULL);
}

/* Replace DEST atomically with the host file's content; the old entry (even a symlink) goes. */
static int do_copy_file(struct exec_ctx *ctx, const struct mount_op *op)
{
	char buf[65536], tmp[NAME_MAX + 1];
	_cleanup_close_ int src = open(op->source, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int dir = -1, out = -1;
	const char *base;
	ssize_t n;

	if (src < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(src, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	dir = parent_in_root(ctx->root, op->dest, &base);
	if (dir < 0)
		return dir;
	(void)snprintf(tmp, sizeof(tmp), ".#%s.spawn", base);
	(void)unlinkat(dir, tmp, 0);
	out = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return errno == EROFS ? 0 : -errno;
	if (write(out, buf, (size_t)n) != n || renameat(dir, tmp, dir, base) < 0) {
		int r = -errno;

		(void)unlinkat(dir, tmp, 0);
		return r;
	}
	return 0;
}

static int do_ensure_file(struct exec_ctx *ctx, const struct mount_op *op)
{
	const char *base;
	_cleanup_close_ int dir = parent_in_root(ctx->root, op->dest, &base);
	struct stat st;
	int fd;

	if (dir < 0)
		return dir;
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op->mode);
	if (fd < 0)
		return errno == EROFS ? 0 : -errno;
	close(fd);
	return 0;
}

static int exec_op(struct exec_ctx *ctx, const struct mount_op *op, int root_fd)
{
	const uint64_t nsd = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

	switch (op->kind) {
	case MOUNT_ROOT_BIND:
		return root_bind(root_fd, &ctx->root);
	case MOUNT_ROOT_OVERLAY:
		return root_overlay(root_fd, &ctx->root);
	case MOUNT_RUN:
		return do_run(ctx, op);
	case MOUNT_PROC:
		return mount_fs_at(ctx->root, op->dest, "proc", NULL, nsd | MOUNT_ATTR_NOEXEC,
				   NULL);
	case MOUNT_PROC_MASK:
		return do_proc_mask(ctx, op);
	case MOUNT_PROC_READONLY:
		return do_proc_readonly(ctx, op);
	case MOUNT_SYS:
		return mount_fs_at(ctx->root, op->dest, "sysfs", NULL,
				   nsd | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY, NULL);
	case MOUNT_DEV:
		return mount_fs_at(ctx->root, op->dest, "tmpfs", "mode=0755,size=4m",
				   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, NULL);
	case MOUNT_DEV_NODE:
		return do_dev_node(ctx, op);
	case MOUNT_DEV_SYMLINK:
		return do_dev_symlink(ctx, op);
	case MOUNT_DEVPTS:
		return mount_fs_at(ctx->root, op->dest, "devpts",
				   "newinstance,ptmxmode=0666,mode=0620,gid=5",
				   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, NULL);
	case MOUNT_DEV_SHM:
		return mount_fs_at(ctx->root, op->dest, "tmpfs", "mode=1777", nsd, NULL);
	case MOUNT_DEV_MQUEUE:
		return mount_fs_at(ctx->root, op->dest, "mqueue", NULL, nsd | MOUNT_ATTR_NOEXEC,
				   NULL);
	case MOUNT_BIND:
		return do_bind(ctx, op);
	case MOUNT_TMPFS:
		return do_tmpfs(ctx, op);
	case MOUNT_COPY_FILE:
		return do_copy_file(ctx, op);
	case MOUNT_ENSURE_FILE:
		return do_ensure_file(ctx, op);
	default:
		return -EINVAL;
	}
}

int mount_plan_execute(const struct mount_plan *p, int root_fd, int *ret_root, size_t *ret_failed)
{
	struct exec_ctx ctx = {.root = -1, .inacc = -1};
	int r = 0;

	for (size_t i = 0; i < p->n_ops; i++) {
		/* Everything after the first operation lives inside the new root. */
		if (i > 0 && ctx.root < 0)
			r = -EINVAL;
		else
			r = exec_op(&ctx, &p->ops[i], root_fd);
		if (r < 0) {
			*ret_failed = i;
			break;
		}
	}
	safe_close(ctx.inacc);
	if (r < 0) {
		safe_close(ctx.root);
		return r;
	}
	*ret_root = ctx.root;
	return 0;
}

int mount_pivot(int new_root_fd)
{
	if (fchdir(new_root_fd) < 0)
		return -errno;
	/* pivot_root(".", "."): the old root ends up stacked on "/", then goes (pivot_root(2)). */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (mount(NULL, ".", NULL, MS_PRIVATE | MS_REC, NULL) < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	return chdir("/") < 0 ? -errno : 0;
}
