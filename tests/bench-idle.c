/* SPDX-License-Identifier: MIT */
/*
 * Experiment 5, idle and memory: N configured containers (after the burst, in the same
 * sandbox). The kernel keeps announcing operstate changes for a while after a burst, so first
 * an `ip monitor all-nsid link address route` must see nothing for QUIET_MS (bounded: 60 s, or
 * 20 ms a link; after linkwatch_sync(), see bench-lib.c). Then opt.runs windows of BENCH_IDLE_S
 * seconds one after the other (a timerfd, not a sleep: the daemon exiting ends it too), each
 * one of the table's runs: the daemon's CPU time (utime + stime, and schedstat's run time) and
 * its voluntary + involuntary context switches; a window in which the kernel announced
 * something is measured again after the next silence (IDLE_RETRIES at most in all). RSS
 * (VmRSS, VmHWM) at each window's end, against netd with an empty config measured in the same
 * sandbox, and against networkd configuring the same links (host side only).
 *
 * The windows run detached (sandbox_detach()): the benchmark goes on with other runs in their
 * own sandboxes meanwhile. Neither the daemon nor the monitor hears anything of them (their
 * namespaces have no id in this one, and /run and the mounts are the sandbox's own), and the
 * CPU time and wakeups of a process that sleeps do not depend on what else runs.
 */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>

#include "bench.h"

/* One window: the daemon's costs over opt.idle_ms, and what the monitor saw meanwhile. */
static void window(const struct run_arg *a, struct idle_win *win, pid_t pid, struct monitor *m)
{
	int exit_fd = a->m == M_NETD ? proc_exit_fd(&nd.proc) : networkd_exit_fd();
	_cleanup_close_ int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = {
	    .it_value = {.tv_sec = opt.idle_ms / 1000, .tv_nsec = (opt.idle_ms % 1000) * 1000000L}};
	unsigned long long t0;
	long bytes0;

	(void)monitor_drain(m);
	bytes0 = m->bytes;
	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
		die("timerfd: %m");
	t0 = now_usec();
	pstat_read(pid, &win->before);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = tfd, .events = POLLIN},
					{.fd = exit_fd, .events = POLLIN}};
		int r = poll(pfd, 2, -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll: %m");
		if (pfd[1].revents & POLLIN)
			die_netd("%s exited during the idle window", method_name[a->m]);
		if (pfd[0].revents & POLLIN)
			break;
	}
	pstat_read(pid, &win->after);
	win->window_s = since_s(t0);
	(void)monitor_drain(m);
	win->kernel_bytes = m->bytes - bytes0;
}

static void wait_quiet(const struct run_arg *a, struct run_res *res, struct monitor *m,
		       unsigned long long t0)
{
	int links = a->v == V_BOTH ? 2 * a->n : a->n;
	int bound = links * 20 > 60000 ? links * 20 : 60000;
	int left = bound - (int)((now_usec() - t0) / 1000);

	(void)monitor_wait_quiet(m, QUIET_MS, left > 0 ? left : 0, &res->quiet);
	if (!res->quiet)
		note("N=%d %s: the kernel did not go quiet within %d s; measuring anyway", a->n,
		     variant_name[a->v], bound / 1000);
}

/*
 * One wait for the kernel to go quiet, then opt.runs windows. The kernel's announcements after
 * a burst may come in bursts themselves: a window in which the monitor saw something is
 * measured again after the next silence, IDLE_RETRIES times at most in all.
 */
void idle_run(const struct run_arg *a, struct run_res *res, pid_t pid)
{
	unsigned long long t0 = now_usec();
	struct monitor m;

	monitor_start(&m);
	wait_quiet(a, res, &m, t0);
	res->quiet_wait_s = since_s(t0);
	sandbox_detach();
	for (int k = 0; k < opt.runs; k++) {
		window(a, &res->win[k], pid, &m);
		if (res->win[k].kernel_bytes == 0 || res->idle_retries == IDLE_RETRIES)
			continue;
		res->idle_retries++;
		wait_quiet(a, res, &m, now_usec());
		k--;
	}
	sandbox_rejoin();
	monitor_stop(&m);
	res->idle_done = true;
}

/* ---- the table ------------------------------------------------------------------------------- */

/* "min / median / max" with prec decimals */
static void mmm_num(const struct series *s, int prec, char *buf, size_t len)
{
	snprintf(buf, len, "%.*f / %.*f / %.*f", prec, series_min(s), prec, series_median(s), prec,
		 series_max(s));
}

static void idle_row(const struct cell_runs *c, enum method m)
{
	const struct run_res *x = &c->res[m][0];
	struct series rss = {.n = 0}, hwm = {.n = 0}, cpu = {.n = 0}, ticks = {.n = 0},
		      csw = {.n = 0}, kern = {.n = 0};
	char b_cpu[128], b_ticks[128], b_csw[128];

	for (int k = 0; k < opt.runs; k++) {
		const struct idle_win *w = &x->win[k];

		series_add(&rss, w->after.rss_kib / 1024.0);
		series_add(&hwm, w->after.hwm_kib / 1024.0);
		series_add(&cpu, (double)(w->after.run_ns - w->before.run_ns) / 1e6);
		series_add(&ticks, (w->after.cpu_s - w->before.cpu_s) * 1e3);
		series_add(&csw, (double)(w->after.vcsw + w->after.nvcsw - w->before.vcsw -
					  w->before.nvcsw));
		series_add(&kern, (double)w->kernel_bytes);
	}
	mmm_num(&cpu, 3, b_cpu, sizeof(b_cpu));
	mmm_num(&ticks, 0, b_ticks, sizeof(b_ticks));
	mmm_num(&csw, 0, b_csw, sizeof(b_csw));
	printf("  %6s  %-9s %7.1f MiB %7.1f MiB  %-24s %-15s %-15s %8.0f B %s%s", "",
	       method_name[m], series_median(&rss), series_median(&hwm), b_cpu, b_ticks, b_csw,
	       series_max(&kern), fmt_t(x->quiet_wait_s, 9), x->quiet ? "" : " (not quiet)");
	if (x->idle_retries)
		printf(" (%d windows measured again)", x->idle_retries);
	printf("\n");
}

void idle_report(const struct cell_runs *c, bool header)
{
	if (header) {
		printf("\n== 5. Idle and memory, %s: N configured containers; once ip monitor "
		       "saw nothing for %d s, %d windows of %.0f s one after the other\n",
		       variant_name[c->v], QUIET_MS / 1000, opt.runs, opt.idle_ms / 1000.0);
		printf(
		    "   (the runs are the windows, in one sandbox, while the benchmark went on in "
		    "others: the daemon hears nothing of them; CPU: schedstat run\n"
		    "    time, ms, and utime+stime, ms at the tick; context switches: voluntary "
		    "+ involuntary; min / median / max over the windows; kernel: the most\n"
		    "    ip monitor printed in a window (one that printed is measured again, "
		    "%d at most); RSS medians at the windows' end)\n",
		    IDLE_RETRIES);
		printf("  %6s  %-9s %11s %11s  %-24s %-15s %-15s %10s %9s\n", "N", "daemon", "RSS",
		       "peak RSS", "CPU ms in window", "CPU ticks ms", "ctx switches", "kernel",
		       "quiet after");
	}
	printf("  %6d\n", c->n);
	if (c->have[M_NETD] && c->res[M_NETD][0].idle_done) {
		const struct run_res *x = &c->res[M_NETD][0];
		struct series rss = {.n = 0};
		double empty = x->empty.rss_kib / 1024.0;

		idle_row(c, M_NETD);
		for (int k = 0; k < opt.runs; k++)
			series_add(&rss, x->win[k].after.rss_kib / 1024.0);
		printf("  %6s  netd with an empty config: RSS %.1f MiB; configured / empty %.2fx, "
		       "%.1f KiB a container beyond it\n",
		       "", empty, series_median(&rss) / empty,
		       (series_median(&rss) - empty) * 1024.0 / c->n);
	}
	if (c->have[M_NETWORKD] && c->res[M_NETWORKD][0].idle_done)
		idle_row(c, M_NETWORKD);
	if (c->have[M_NETWORKD] && c->have[M_NETD] && c->res[M_NETD][0].idle_done) {
		struct series a = {.n = 0}, b = {.n = 0};

		/* both right after configuring the N links */
		for (int r = 0; r < c->runs; r++) {
			series_add(&a, c->res[M_NETWORKD][r].configured.rss_kib / 1024.0);
			series_add(&b, c->res[M_NETD][r].configured.rss_kib / 1024.0);
		}
		printf("  %6s  RSS once configured (median of %d runs): networkd %.1f MiB, netd "
		       "%.1f MiB, networkd / netd %s%s\n",
		       "", c->runs, series_median(&a), series_median(&b),
		       fmt_ratio(series_median(&a), series_median(&b)),
		       c->res[M_NETWORKD][0].idle_done ? ""
						       : " (networkd's idle windows: "
							 "BENCH_IDLE_NETWORKD=1)");
	}
	fflush(stdout);
}
