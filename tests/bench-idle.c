/* SPDX-License-Identifier: MIT */
/*
 * Experiment 5, idle and memory: N configured containers (after the burst, in the same
 * sandbox). The kernel keeps announcing operstate changes for a while after a burst, so first
 * an `ip monitor all-nsid link address route` must see nothing for QUIET_MS (bounded: 60 s, or
 * 20 ms a link); then, over a window of BENCH_IDLE_S seconds (a timerfd, not a sleep: the
 * daemon exiting ends it too), the daemon's CPU time (utime + stime, and schedstat's run time)
 * and its voluntary + involuntary context switches; a window in which the kernel announced
 * something is tried again after the next silence (IDLE_TRIES windows at most). RSS (VmRSS, VmHWM)
 * at the end, against netd with an empty config measured in the same sandbox, and against networkd
 * configuring the same links (host side only).
 */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>

#include "bench.h"

/* One window: the daemon's costs over opt.idle_ms, and what the monitor saw meanwhile. */
static void window(const struct run_arg *a, struct run_res *res, pid_t pid, struct monitor *m)
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
	pstat_read(pid, &res->idle_before);
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
	pstat_read(pid, &res->idle_after);
	res->window_s = since_s(t0);
	(void)monitor_drain(m);
	res->kernel_bytes = m->bytes - bytes0;
}

/*
 * The kernel's announcements after a burst come in bursts themselves (linkwatch runs about
 * once a second): a window in which the monitor saw something is tried again after the next
 * silence, up to IDLE_TRIES windows; the last one counts.
 */
void idle_run(const struct run_arg *a, struct run_res *res, pid_t pid)
{
	int links = a->v == V_BOTH ? 2 * a->n : a->n;
	int bound = links * 20 > 60000 ? links * 20 : 60000;
	unsigned long long t0 = now_usec();
	struct monitor m;

	monitor_start(&m);
	for (res->idle_tries = 1;; res->idle_tries++) {
		int left = bound - (int)((now_usec() - t0) / 1000);

		(void)monitor_wait_quiet(&m, QUIET_MS, left > 0 ? left : 0, &res->quiet);
		res->quiet_wait_s = since_s(t0);
		if (!res->quiet)
			note("N=%d %s: the kernel did not go quiet within %d s; measuring anyway",
			     a->n, variant_name[a->v], bound / 1000);
		window(a, res, pid, &m);
		if (res->kernel_bytes == 0 || !res->quiet || res->idle_tries == IDLE_TRIES)
			break;
	}
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
	struct series rss = {.n = 0}, hwm = {.n = 0}, cpu = {.n = 0}, ticks = {.n = 0},
		      csw = {.n = 0}, kern = {.n = 0}, wait = {.n = 0};
	char b_cpu[128], b_ticks[128], b_csw[128];
	int not_quiet = 0, tries = 0;

	for (int r = 0; r < opt.runs; r++) {
		const struct run_res *x = &c->res[m][r];

		series_add(&rss, x->idle_after.rss_kib / 1024.0);
		series_add(&hwm, x->idle_after.hwm_kib / 1024.0);
		series_add(&cpu, (double)(x->idle_after.run_ns - x->idle_before.run_ns) / 1e6);
		series_add(&ticks, (x->idle_after.cpu_s - x->idle_before.cpu_s) * 1e3);
		series_add(&csw, (double)(x->idle_after.vcsw + x->idle_after.nvcsw -
					  x->idle_before.vcsw - x->idle_before.nvcsw));
		series_add(&kern, (double)x->kernel_bytes);
		series_add(&wait, x->quiet_wait_s);
		not_quiet += !x->quiet;
		tries = x->idle_tries > tries ? x->idle_tries : tries;
	}
	mmm_num(&cpu, 3, b_cpu, sizeof(b_cpu));
	mmm_num(&ticks, 0, b_ticks, sizeof(b_ticks));
	mmm_num(&csw, 0, b_csw, sizeof(b_csw));
	printf("  %6s  %-9s %7.1f MiB %7.1f MiB  %-24s %-15s %-15s %8.0f B %s%s", "",
	       method_name[m], series_median(&rss), series_median(&hwm), b_cpu, b_ticks, b_csw,
	       series_median(&kern), fmt_t(series_median(&wait), 9),
	       not_quiet ? " (not quiet in some runs)" : "");
	if (tries > 1)
		printf(" (up to %d windows a run)", tries);
	printf("\n");
}

void idle_report(const struct cell_runs *c, bool header)
{
	if (header) {
		printf("\n== 5. Idle and memory, %s: N configured containers; once ip monitor "
		       "saw nothing for %d s, a %.0f s window; %d runs\n",
		       variant_name[c->v], QUIET_MS / 1000, opt.idle_ms / 1000.0, opt.runs);
		printf("   (CPU: schedstat run time, ms, and utime+stime, ms at the tick; context "
		       "switches: voluntary + involuntary; min / median / max;\n"
		       "    kernel: ip monitor's output during the window (a window with output is "
		       "tried again, %d at most); RSS medians at the window's end)\n",
		       IDLE_TRIES);
		printf("  %6s  %-9s %11s %11s  %-24s %-15s %-15s %10s %9s\n", "N", "daemon", "RSS",
		       "peak RSS", "CPU ms in window", "CPU ticks ms", "ctx switches", "kernel",
		       "quiet after");
	}
	printf("  %6d\n", c->n);
	if (c->have[M_NETD] && c->res[M_NETD][0].idle_done) {
		struct series empty = {.n = 0}, rss = {.n = 0};

		idle_row(c, M_NETD);
		for (int r = 0; r < opt.runs; r++) {
			series_add(&empty, c->res[M_NETD][r].empty.rss_kib / 1024.0);
			series_add(&rss, c->res[M_NETD][r].idle_after.rss_kib / 1024.0);
		}
		printf("  %6s  netd with an empty config: RSS %.1f MiB; configured / empty %.2fx, "
		       "%.1f KiB a container beyond it\n",
		       "", series_median(&empty), series_median(&rss) / series_median(&empty),
		       (series_median(&rss) - series_median(&empty)) * 1024.0 / c->n);
	}
	if (c->have[M_NETWORKD] && c->res[M_NETWORKD][0].idle_done)
		idle_row(c, M_NETWORKD);
	if (c->have[M_NETWORKD] && c->have[M_NETD] && c->res[M_NETD][0].idle_done) {
		struct series a = {.n = 0}, b = {.n = 0};

		/* both right after configuring the N links */
		for (int r = 0; r < opt.runs; r++) {
			series_add(&a, c->res[M_NETWORKD][r].configured.rss_kib / 1024.0);
			series_add(&b, c->res[M_NETD][r].configured.rss_kib / 1024.0);
		}
		printf("  %6s  RSS once configured: networkd %.1f MiB, netd %.1f MiB, networkd / "
		       "netd %s%s\n",
		       "", series_median(&a), series_median(&b),
		       fmt_ratio(series_median(&a), series_median(&b)),
		       c->res[M_NETWORKD][0].idle_done ? ""
						       : " (networkd's idle window: "
							 "BENCH_IDLE_NETWORKD=1)");
	}
	fflush(stdout);
}
