/* SPDX-License-Identifier: MIT */
/* The start handshake, the wait for netd, supervision and exit status (see parent.h). */
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "child.h"
#include "parent.h"
#include "state.h"

#define EXIT_REBOOT 133

int parent_exit_status(int code, int status)
{
	if (code == CLD_EXITED)
		return status;
	/* pid_namespaces(7): reboot() in a PID namespace kills its init with SIGHUP (restart)
	 * or SIGINT (halt, power off). systemd-nspawn's mapping: 133 asks for a restart. */
	if (status == SIGHUP)
		return EXIT_REBOOT;
	if (status == SIGINT)
		return 0;
	return 128 + status;
}

static void kill_child(struct parent *p)
{
	siginfo_t si;

	(void)syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
	(void)waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct netd_wait {
	int ino; /* owned: inotify on the state directory, -1 when not waiting */
	int wd;	 /* the watch on it, -1 when none */
	bool configured;
	struct timespec since; /* a state file older than this is from an earlier start */
};

/* 1: configured; 0: not yet; -EIO: failed (message printed). */
static int check_state(const struct spawn_cfg *cfg, struct netd_wait *w)
{
	struct state_file s = {0};
	char path[4096];
	struct stat st;
	int r;

	(void)snprintf(path, sizeof(path), "%s/%s.state", cfg->state_dir, cfg->name);
	if (stat(path, &st) < 0)
		return 0;
	if (st.st_mtim.tv_sec < w->since.tv_sec ||
	    (st.st_mtim.tv_sec == w->since.tv_sec && st.st_mtim.tv_nsec < w->since.tv_nsec))
		return 0;
	r = state_file_read(cfg->state_dir, cfg->name, &s);
	if (r < 0)
		return 0;
	r = s.state == STATE_CONFIGURED ? 1 : 0;
	if (s.state == STATE_FAILED) {
		fprintf(stderr, "spawn: netd failed to configure the network of %s: %s\n",
			cfg->name, strna(s.error));
		r = -EIO;
	}
	state_file_done(&s);
	return r;
}

static void report_timeout(const struct spawn_cfg *cfg)
{
	struct state_file s = {0};
	int running = state_dir_locked(cfg->state_dir);
	const char *who = running > 0 ? "netd is running"
			  : running == 0 ? "netd is not running: nothing holds its lock"
					 : "whether netd is running is unknown";

	if (state_file_read(cfg->state_dir, cfg->name, &s) == 0) {
		fprintf(stderr,
			"spawn: netd did not configure the network of %s within "
			"TimeoutStartSec=%llus (%s; %s/%s.state says STATE=%s)\n",
			cfg->name, (unsigned long long)(cfg->ct->timeout_start_usec / 1000000), who,
			cfg->state_dir, cfg->name, strna(state_kind_to_string(s.state)));
		state_file_done(&s);
		return;
	}
	fprintf(stderr,
		"spawn: netd did not configure the network of %s within "
		"TimeoutStartSec=%llus (%s; there is no %s/%s.state)\n",
		cfg->name, (unsigned long long)(cfg->ct->timeout_start_usec / 1000000), who,
		cfg->state_dir, cfg->name);
}

static int drain_inotify(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return 0;
}

/* A report from the child: READY (1), or a failure (printed, -EIO); EOF is -EPIPE. */
static int read_report(struct parent *p)
{
	struct child_msg m;
	ssize_t n = read(p->report, &m, sizeof(m));

	if (n == 0)
		return -EPIPE;
	if (n != (ssize_t)sizeof(m))
		return -EIO;
	if (m.step == CHILD_READY)
		return 1;
	m.what[sizeof(m.what) - 1] = '\0';
	fprintf(stderr, "spawn: container %s: failed to %s%s%s: %s\n", p->cfg->name,
		child_step_to_string((enum child_step)m.step), m.what[0] ? " " : "", m.what,
		strerror(-m.error));
	return -EIO;
}

static int start_loop(struct parent *p, struct netd_wait *w, uint64_t deadline)
{
	bool ready = false;

	for (;;) {
		struct pollfd fds[4] = {
		    {.fd = p->report, .events = POLLIN},
		    {.fd = p->pidfd, .events = POLLIN},
		    {.fd = p->sigfd, .events = POLLIN},
		    {.fd = w->ino, .events = POLLIN},
		};
		uint64_t now = now_usec();
		int timeout = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
		int r;

		if (ready && w->configured)
			return 0;
		/* TimeoutStartSec bounds the whole start, the container's own setup included. */
		if (now >= deadline) {
			if (!w->configured)
				report_timeout(p->cfg);
			else
				fprintf(stderr, "spawn: container %s: setup did not finish within "
						"TimeoutStartSec=%llus\n",
					p->cfg->name,
					(unsigned long long)(p->cfg->ct->timeout_start_usec / 1000000));
			return -ETIME;
		}
		if (poll(fds, 4, timeout) < 0 && errno != EINTR)
			return -errno;
		if (fds[0].revents) {
			r = read_report(p);
			if (r < 0) {
				if (r == -EPIPE)
					fprintf(stderr,
						"spawn: container %s: child exited during "
						"setup\n",
						p->cfg->name);
				return -EIO;
			}
			ready = true;
		}
		if (fds[1].revents && !fds[0].revents) {
			fprintf(stderr, "spawn: container %s: child exited during setup\n",
				p->cfg->name);
			return -EIO;
		}
		if (fds[2].revents) {
			struct signalfd_siginfo si;

			if (read(p->sigfd, &si, sizeof(si)) == sizeof(si)) {
				fprintf(stderr, "spawn: %s during start, stopping\n",
					strsignal((int)si.ssi_signo));
				return -ECANCELED;
			}
		}
		if (fds[3].revents) {
			drain_inotify(w->ino);
			r = check_state(p->cfg, w);
			if (r < 0)
				return r;
			w->configured = r > 0;
		}
	}
}

static int netd_wait_init(const struct spawn_cfg *cfg, struct netd_wait *w)
{
	int r;

	w->ino = w->wd = -1;
	w->configured = !cfg->wait_netd;
	if (!cfg->wait_netd)
		return 0;
	if (mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	w->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->ino < 0)
		return -errno;
	w->wd = inotify_add_watch(w->ino, cfg->state_dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
	if (w->wd < 0)
		return -errno;
	/* The watch exists before the first look: no change falls between them. */
	r = check_state(cfg, w);
	if (r < 0)
		return r;
	w->configured = r > 0;
	return 0;
}

/*
 * Closing an inotify instance that has, or just had, a watch waits for the kernel's fsnotify
 * mark reaper and its SRCU grace period: 8 to 16 ms here, most of a start. Removing the watch
 * takes microseconds and leaves the reaper to run in the background; the instance itself is
 * closed when the container has ended, by when closing it no longer waits.
 */
static int netd_wait_stop(struct netd_wait *w)
{
	if (w->wd >= 0)
		(void)inotify_rm_watch(w->ino, w->wd);
	w->wd = -1;
	return TAKE_FD(w->ino);
}

int parent_start(struct parent *p)
{
	struct netd_wait w = {.ino = -1, .wd = -1};
	uint64_t deadline = now_usec() + p->cfg->ct->timeout_start_usec;
	int r;

	w.since = p->links_since;
	r = netd_wait_init(p->cfg, &w);
	if (r < 0 && r != -EIO)
		fprintf(stderr, "spawn: watch %s for %s.state: %s\n", p->cfg->state_dir,
			p->cfg->name, strerror(-r));
	if (r == 0)
		r = start_loop(p, &w, deadline);
	p->state_watch = netd_wait_stop(&w);
	if (r == 0 && write(p->go, "G", 1) != 1)
		r = -errno;
	p->go = safe_close(p->go);
	if (r == 0) {
		/* The report pipe closes at exec, or carries the exec's failure. */
		r = read_report(p);
		r = r == -EPIPE ? 0 : -EIO;
	}
	if (r < 0) {
		kill_child(p);
		return r;
	}
	if (p->cfg->notify && p->cfg->ready_at_exec)
		(void)sd_notify(0, "READY=1");
	return 0;
}

/* Pass the container's READY=1, STATUS= and STOPPING=1 on to our own notify socket. */
static void forward_notify(struct parent *p)
{
	char buf[4096], out[4096];
	ssize_t n;

	while ((n = recv(p->notify, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		size_t len = 0;
		char *save = NULL;

		buf[n] = '\0';
		out[0] = '\0';
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strcmp(l, "READY=1") == 0 || strcmp(l, "STOPPING=1") == 0 ||
			    strncmp(l, "STATUS=", 7) == 0)
				len += (size_t)snprintf(out + len, sizeof(out) - len, "%s\n", l);
		if (len > 0 && len < sizeof(out))
			(void)sd_notify(0, out);
	}
}

/*
 * systemd as PID 1 takes SIGTERM as "re-execute yourself" and shuts down on SIGRTMIN+3: a
 * stop of a container booting systemd is translated, as systemd-nspawn does for --boot.
 */
static int container_signal(const struct spawn_cfg *cfg, int sig)
{
	return sig == SIGTERM && cfg->systemd_init ? SIGRTMIN + 3 : sig;
}

int parent_supervise(struct parent *p)
{
	for (;;) {
		struct pollfd fds[3] = {
		    {.fd = p->pidfd, .events = POLLIN},
		    {.fd = p->sigfd, .events = POLLIN},
		    {.fd = p->notify, .events = POLLIN},
		};
		siginfo_t si = {0};

		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			return 1;
		if (fds[2].revents)
			forward_notify(p);
		if (fds[1].revents) {
			struct signalfd_siginfo ssi;

			if (read(p->sigfd, &ssi, sizeof(ssi)) == sizeof(ssi))
				(void)syscall(SYS_pidfd_send_signal, p->pidfd,
					      container_signal(p->cfg, (int)ssi.ssi_signo), NULL, 0);
		}
		if (!fds[0].revents)
			continue;
		if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED) < 0)
			return 1;
		if (p->notify >= 0)
			forward_notify(p);
		return parent_exit_status(si.si_code, si.si_status);
	}
}
