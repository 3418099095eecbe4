/* SPDX-License-Identifier: MIT */
/*
 * What the kernel suites (harness.c, Criterion) and the benchmark (bench.c, standalone) share:
 * the namespace sandbox, processes tracked by pidfd, netd's sd_notify socket and its STATUS=
 * line. Nothing here asserts, prints or exits: fallible functions return a negative errno,
 * and the callers decide how to fail. Nothing sleeps: every wait is a poll() with a bound.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* CLOCK_MONOTONIC in microseconds (the clock of sd_notify's MONOTONIC_USEC=). */
unsigned long long now_usec(void);
/* Milliseconds left until deadline (a now_usec() value), rounded up; 0 once it has passed. */
int remaining_ms(unsigned long long deadline);

/*
 * Enter a fresh network + mount namespace: mount propagation private first (so nothing below
 * propagates to the host), tmpfs on /run, a sysfs of the new netns on /sys, mkdir dir
 * (somewhere under /run), lo up. Returns 0 or -errno; on failure *reterr_step (when not NULL)
 * names the step that failed. After a failure the caller must not go on: part of the
 * sandbox may be in place.
 */
int sandbox_unshare(const char *dir, const char **reterr_step) _must_check_;

/* A child process. pidfd stays open after reaping until proc_done(). */
struct proc {
	pid_t pid;
	int pidfd; /* owned; -1 when none */
	bool reaped;
	int status; /* once reaped: the exit code, or 128 + signal */
};

/*
 * fork() a child that dies with us (PR_SET_PDEATHSIG), so a test or scenario that is killed
 * leaves nothing running. Returns 0 in both processes, with ret->pid == 0 in the child;
 * -errno when fork() or pidfd_open() failed (the child, if any, is killed and reaped).
 */
int proc_fork(struct proc *ret) _must_check_;
/*
 * proc_fork() + execvp(argv) with stdout/stderr on out_fd/err_fd (-1: inherited) and
 * NOTIFY_SOCKET=notify when not NULL. An exec failure is reported on the child's stderr and
 * makes it exit 127. Returns 0 or -errno.
 */
int proc_spawn(char *const argv[], int out_fd, int err_fd, const char *notify,
	       struct proc *ret) _must_check_;
/*
 * Wait up to timeout_ms (-1: forever) for p to exit and reap it. Returns its status (>= 0;
 * again on later calls), -ETIME on timeout, -errno when poll() or waitid() failed.
 */
int proc_wait(struct proc *p, int timeout_ms);
/* Send sig through the pidfd. Returns 0 or -errno (-ESRCH once reaped). */
int proc_signal(struct proc *p, int sig);
/* proc_signal(sig) then proc_wait(timeout_ms): the status, -ETIME or -errno. */
int proc_stop(struct proc *p, int sig, int timeout_ms);
/* True while p is started, not reaped and has not exited. */
bool proc_running(const struct proc *p);
/* The pidfd to poll for p's exit, or -1 (ignored by poll()) when not started or reaped. */
int proc_exit_fd(const struct proc *p);
/* Close the pidfd. A child still running is left alone (see proc_stop()). */
void proc_done(struct proc *p);

/* Counters of netd's STATUS= line. */
struct netd_status {
	bool valid;
	long configured, pending, failed, unmanaged, writes, reloads, rejected;
};

/* Parse "STATUS=configured=N ..." out of a notify message; valid=false when absent. */
struct netd_status netd_status_parse(const char *msg);
/* A status as text, in one of 4 static buffers used in turn (for messages). */
const char *netd_status_str(const struct netd_status *s);
/* True when text has a line that is exactly line ("READY=1"). */
bool text_has_line(const char *text, const char *line);

/*
 * Bind the notify socket (datagram, CLOEXEC) at path into *fd, replacing a stale socket file;
 * when *fd is already open, drop what is queued on it instead (what an earlier netd said).
 * Returns 0 or -errno (*fd is then unchanged).
 */
int notify_open(const char *path, int *fd) _must_check_;

/*
 * netd --config conf --state-dir state_dir ARGS, with NOTIFY_SOCKET=notify and stdout +
 * stderr appended to log_path after a "==== netd ..." line. ARGS is args split on spaces
 * (NULL: none). Does not wait. Returns 0 or -errno.
 */
int netd_exec(const char *netd, const char *conf, const char *state_dir, const char *args,
	      const char *log_path, const char *notify, struct proc *ret) _must_check_;

/* Bits of notify_wait()'s result. */
#define NOTIFY_MESSAGE 1
#define NOTIFY_EXITED(i) (2 << (i))

/*
 * Wait until a message is queued on notify_fd, or one of pidfds[0..n) (-1 entries are
 * ignored) is readable, or deadline (now_usec()) passes. A queued message is received into
 * buf (NUL-terminated) and, when it carries STATUS=, stored in *last. Returns 0 at the
 * deadline, else a mask of NOTIFY_MESSAGE and NOTIFY_EXITED(i) for each readable pidfds[i]
 * (both at once when netd sent a last message and exited: take the message first);
 * -errno when poll() failed.
 */
int notify_wait(int notify_fd, const int *pidfds, size_t n, unsigned long long deadline,
		char *buf, size_t len, struct netd_status *last);
