/* SPDX-License-Identifier: MIT */
/*
 * The container's mounts: a plan (an ordered list of operations built from the declaration,
 * pure and unit-tested) and its executor, which resolves every destination inside the
 * container root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * and mounts through file descriptors (open_tree, fsopen, fsmount, move_mount, mount_setattr).
 *
 * Functions return 0 or a negative errno; failures that need words fill a caller's buffer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

enum mount_kind {
	MOUNT_ROOT_BIND,    /* the root directory bound onto itself */
	MOUNT_ROOT_OVERLAY, /* Ephemeral=yes: overlayfs, the root below a throw-away tmpfs */
	MOUNT_RUN,	    /* tmpfs on /run (first: it holds the node masks are made of) */
	MOUNT_PROC,
	MOUNT_PROC_MASK,     /* an unopenable node over a /proc file (skipped when absent) */
	MOUNT_PROC_READONLY, /* a /proc path bound read-only onto itself (skipped when absent) */
	MOUNT_SYS,	     /* sysfs, read-only */
	MOUNT_DEV,	     /* tmpfs on /dev */
	MOUNT_DEV_NODE,	     /* a device node made by spawn and verified */
	MOUNT_DEV_SYMLINK,
	MOUNT_DEVPTS,
	MOUNT_DEV_SHM,
	MOUNT_DEV_MQUEUE,
	MOUNT_BIND,	   /* Bind= / BindReadOnly= */
	MOUNT_TMPFS,	   /* TemporaryFileSystem= */
	MOUNT_COPY_FILE,   /* a host file copied into the root (resolv.conf) */
	MOUNT_ENSURE_FILE, /* an empty file created when the root lacks it */
	_MOUNT_KIND_MAX,
	_MOUNT_KIND_INVALID = -EINVAL,
};

const char *mount_kind_to_string(enum mount_kind k);

struct mount_op {
	enum mount_kind kind;
	char *dest;    /* owned: absolute, normalized path inside the container */
	char *source;  /* owned: host path (root, bind, copy), symlink target, or NULL */
	char *options; /* owned: tmpfs options as given (TemporaryFileSystem=), or NULL */
	bool read_only;
	mode_t mode; /* DEV_NODE: S_IFCHR/S_IFBLK | permissions; ENSURE_FILE: permissions */
	dev_t rdev;  /* DEV_NODE */
};

struct mount_plan {
	struct mount_op *ops; /* owned, n_ops entries, in execution order */
	size_t n_ops;
};

/*
 * Build the plan for container cc. Device nodes named by DeviceAllow= get their type and
 * number from mount_plan_stat_devices(); nothing else here touches the file system.
 * resolv_conf is the host file to copy (NULL: none). Returns 0, -ENOMEM, or -EINVAL with a
 * message in err.
 */
int mount_plan_new(const struct conf_container *cc, const char *resolv_conf,
		   struct mount_plan **ret, char *err, size_t errlen) _must_check_;

/* Accepts NULL; returns NULL. */
struct mount_plan *mount_plan_free(struct mount_plan *p);

/*
 * Fill type and number of DeviceAllow= nodes from the host's nodes. Returns 0, or -errno with
 * a message in err (a missing node, or a path that is not a device).
 */
int mount_plan_stat_devices(struct mount_plan *p, char *err, size_t errlen) _must_check_;

/*
 * Check, without creating anything, that no existing component of any destination inside
 * the root at root_fd is a symlink and that bind sources exist. Returns 0, or -ELOOP, -ENOTDIR,
 * -errno with a message in err.
 */
int mount_plan_check(const struct mount_plan *p, int root_fd, char *err,
		     size_t errlen) _must_check_;

/*
 * Normalize path (absolute; "//" and "/./" collapsed, trailing '/' dropped) into a new string.
 * Returns 0, -EINVAL for a relative path or a ".." component, -ENOMEM.
 */
int mount_path_normalize(const char *path, char **ret) _must_check_;

/*
 * Execute the plan in the calling process's mount namespace (which must be private or slave),
 * the container root being the directory open at root_fd (O_PATH). On success *ret_root is
 * an fd of the new root mount, ready for pivot_root. On failure *ret_failed is the index of the
 * failed operation. Returns 0 or -errno.
 */
int mount_plan_execute(const struct mount_plan *p, int root_fd, int *ret_root,
		       size_t *ret_failed) _must_check_;

/*
 * Make the mount at new_root_fd the root: pivot_root, then the old root made private and
 * detached, so no later unmount reaches the host. Returns 0 or -errno.
 */
int mount_pivot(int new_root_fd) _must_check_;
