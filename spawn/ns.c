/* SPDX-License-Identifier: MIT */
/* Network namespace binding, the container clone, and the guard that outlives a SIGKILL. */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "ns.h"

static int share_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* Not a mount point yet: make it one, then shared (iproute2's netns_add()). */
	if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0 ? -errno : 0;
}

int ns_net_create(const char *path, int *ret_fd)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int self = -1, fd = -1;
	char *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	r = share_dir(dir);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(TAKE_FD(fd));
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		(void)unlink(path);
		return r;
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	if (r == 0 && mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
		r = -errno;
	/* Back to where we came from, whatever happened; staying would be worse than failing. */
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	if (r < 0) {
		(void)unlink(path);
		return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int ns_net_remove(const char *path)
{
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

pid_t ns_clone(int *ret_pidfd)
{
	int pidfd = -1;
	struct clone_args args = {
	    .flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)&pidfd,
	    .exit_signal = SIGCHLD,
	};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid < 0)
		return -errno;
	if (pid > 0)
		*ret_pidfd = pidfd;
	return (pid_t)pid;
}

static _Noreturn void guard_main(int fd, void (*undo)(unsigned bits))
{
	unsigned bits = 0;
	unsigned char b;
	sigset_t none;

	(void)prctl(PR_SET_NAME, "spawn-guard", 0, 0, 0);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;) {
		ssize_t n = read(fd, &b, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1 && b == 0)
			_exit(0);
		if (n == 1) {
			bits |= b;
			continue;
		}
		break;
	}
	if (bits)
		undo(bits);
	_exit(0);
}

/* stdin and stdout on /dev/null: a reader of spawn's output sees its end when spawn exits. */
static void null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)dup2(fd, 0);
	(void)dup2(fd, 1);
	if (fd > 2)
		close(fd);
}

int ns_guard_start(void (*undo)(unsigned bits), int *ret_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[1]);
		/* Nothing of the caller's stays open in the guard but stdio and its pipe. */
		if (p[0] != 3 && dup3(p[0], 3, O_CLOEXEC) < 0)
			_exit(1);
		(void)close_range(4, ~0U, 0);
		null_stdio();
		guard_main(3, undo);
	}
	close(p[0]);
	*ret_fd = p[1];
	return 0;
}

void ns_guard_note(int fd, unsigned bits)
{
	unsigned char b = (unsigned char)bits;

	if (fd >= 0)
		(void)!write(fd, &b, 1);
}
