/* SPDX-License-Identifier: MIT */
/*
 * Shared by harness.c and bench.c (see sandbox.h): namespace sandbox, processes by pidfd,
 * netd's notify socket and STATUS= line. Returns -errno; never asserts, prints or exits.
 */
#include <assert.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

int remaining_ms(unsigned long long deadline)
{
	unsigned long long now = now_usec();

	return now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
}

/* ---- sandbox -------------------------------------------------------------------------- */

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

int sandbox_unshare(const char *dir, const char **reterr_step)
{
	const char *step;
	int r;

	/* Order matters: the mount namespace is made private before anything is mounted, so
	 * neither the tmpfs on /run nor ip-netns bind mounts below it propagate to the host. */
	step = "unshare(CLONE_NEWNET|CLONE_NEWNS)";
	r = unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ? -errno : 0;
	if (r < 0)
		goto fail;
	step = "make / rprivate";
	r = mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0;
	if (r < 0)
		goto fail;
	step = "tmpfs on /run";
	r = mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0 ? -errno : 0;
	if (r < 0)
		goto fail;
	/* A sysfs of the new netns, so /sys/class/net matches what netlink says. */
	step = "sysfs on /sys";
	r = mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	r = r < 0 ? -errno : 0;
	if (r < 0)
		goto fail;
	step = "mkdir";
	r = mkdir(dir, 0755) < 0 ? -errno : 0;
	if (r < 0)
		goto fail;
	step = "lo up";
	r = lo_up();
	if (r < 0)
		goto fail;
	return 0;
fail:
	if (reterr_step)
		*reterr_step = step;
	return r;
}

/* ---- processes, tracked by pidfd ------------------------------------------------------ */

int proc_fork(struct proc *ret)
{
	pid_t parent = getpid();
	pid_t pid;
	int pidfd, r;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* the parent may have died before prctl() */
		if (getppid() != parent)
			_exit(127);
		*ret = (struct proc){ .pid = 0, .pidfd = -1 };
		return 0;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = -errno;
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return r;
	}
	*ret = (struct proc){ .pid = pid, .pidfd = pidfd };
	return 0;
}

int proc_spawn(char *const argv[], int out_fd, int err_fd, const char *notify, struct proc *ret)
{
	struct proc p;
	int r = proc_fork(&p);

	if (r < 0)
		return r;
	if (p.pid == 0) {
		if (out_fd >= 0)
			(void)dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			(void)dup2(err_fd, STDERR_FILENO);
		if (notify)
			(void)setenv("NOTIFY_SOCKET", notify, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	*ret = p;
	return 0;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	siginfo_t si = { 0 };
	int r;

	if (p->reaped)
		return p->status;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIME;
	if (waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED) < 0)
		return -errno;
	p->reaped = true;
	p->status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	return p->status;
}

int proc_signal(struct proc *p, int sig)
{
	if (p->reaped)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int proc_stop(struct proc *p, int sig, int timeout_ms)
{
	int r = proc_signal(p, sig);

	if (r < 0 && !p->reaped)
		return r;
	return proc_wait(p, timeout_ms);
}

bool proc_running(const struct proc *p)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	return p->pidfd >= 0 && !p->reaped && poll(&pfd, 1, 0) == 0;
}

int proc_exit_fd(const struct proc *p)
{
	return p->reaped ? -1 : p->pidfd;
}

void proc_done(struct proc *p)
{
	p->pidfd = safe_close(p->pidfd);
}

/* ---- netd: STATUS= and the notify socket ------------------------------------------------ */

struct netd_status netd_status_parse(const char *msg)
{
	struct netd_status s = { 0 };
	const char *p = msg;

	/* STATUS= at the start of a line */
	while (p && strncmp(p, "STATUS=", 7) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return s;
	s.valid = sscanf(p + 7,
			 "configured=%ld pending=%ld failed=%ld unmanaged=%ld writes=%ld "
			 "reloads=%ld rejected=%ld",
			 &s.configured, &s.pending, &s.failed, &s.unmanaged, &s.writes, &s.reloads,
			 &s.rejected) == 7;
	return s;
}

const char *netd_status_str(const struct netd_status *s)
{
	static char buf[4][200];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (!s->valid)
		return "(no STATUS seen)";
	snprintf(b, sizeof(buf[0]),
		 "configured=%ld pending=%ld failed=%ld unmanaged=%ld writes=%ld reloads=%ld "
		 "rejected=%ld",
		 s->configured, s->pending, s->failed, s->unmanaged, s->writes, s->reloads,
		 s->rejected);
	return b;
}

bool text_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

int notify_open(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int s = -1;
	char buf[4096];

	if (*fd >= 0) {
		while (recv(*fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		return 0;
	}
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	(void)unlink(path);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*fd = TAKE_FD(s);
	return 0;
}

int netd_exec(const char *netd, const char *conf, const char *state_dir, const char *args,
	      const char *log_path, const char *notify, struct proc *ret)
{
	char *argv[32];
	size_t n = 0;
	_cleanup_free_ char *copy = strdup(args ? args : "");
	_cleanup_close_ int log = -1;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log < 0)
		return -errno;
	dprintf(log, "==== netd --config %s --state-dir %s %s\n", conf, state_dir, copy);
	argv[n++] = (char *)netd;
	argv[n++] = "--config";
	argv[n++] = (char *)conf;
	argv[n++] = "--state-dir";
	argv[n++] = (char *)state_dir;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == ARRAY_SIZE(argv) - 1)
			return -E2BIG;
		argv[n++] = t;
	}
	argv[n] = NULL;
	return proc_spawn(argv, log, log, notify, ret);
}

int notify_wait(int notify_fd, const int *pidfds, size_t n, unsigned long long deadline,
		char *buf, size_t len, struct netd_status *last)
{
	struct pollfd pfd[1 + 8];

	assert(n < ARRAY_SIZE(pfd));
	pfd[0] = (struct pollfd){ .fd = notify_fd, .events = POLLIN };
	for (size_t i = 0; i < n; i++)
		pfd[1 + i] = (struct pollfd){ .fd = pidfds[i], .events = POLLIN };
	for (;;) {
		int r = poll(pfd, 1 + n, remaining_ms(deadline));
		int mask = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		if (pfd[0].revents & POLLIN) {
			ssize_t got = recv(notify_fd, buf, len - 1, MSG_DONTWAIT);
			struct netd_status s;

			/* gone already (another reader drained it): wait again */
			if (got < 0)
				continue;
			buf[got] = '\0';
			s = netd_status_parse(buf);
			if (s.valid)
				*last = s;
			mask |= NOTIFY_MESSAGE;
		}
		for (size_t i = 0; i < n; i++)
			if (pfd[1 + i].revents & POLLIN)
				mask |= NOTIFY_EXITED(i);
		return mask;
	}
}
