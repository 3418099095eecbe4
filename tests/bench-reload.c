/* SPDX-License-Identifier: MIT */
/*
 * Experiment 3, reload: N configured containers (the burst, same sandbox), then RELOAD_ROUNDS
 * times container N/2's HostAddress switched between .1 and .3 (the file rewritten by rename),
 * SIGHUP, timed to the READY=1 after RELOADING=1; the round's writes are the difference of
 * STATUS writes= between that READY=1 and the one before (netd's counter of kernel write
 * requests). Must be the handful the one change needs, the same at every N. Then the kernel
 * is checked (the new address only; with namespaces the default route inside via it), an
 * unchanged reload is timed (must write nothing), `netd --check` on the same file is timed
 * (exec + parse + checks: what a reload cannot avoid), and a second netd from exec to
 * READY=1 with everything in place (must write nothing: adoption).
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static void check_after(int n, const struct netd_status *s, const char *what)
{
	if (s->configured != n || s->pending != 0 || s->failed != 0)
		die_netd("after %s: %s, expected configured=%d and nothing pending or failed", what,
			 netd_status_str(s), n);
}

/* Container k's host address is now (and only) host: on ve-cK, and in cK's default route. */
static void check_kernel(const struct run_arg *a, int k, const char *host, const char *old)
{
	char dev[IFNAMSIZ], ns[16], out[4096], want[64], gone[64];
	char *addr[] = {opt.ip, "-o", "-4", "addr", "show", "dev", dev, NULL};
	char *routes[] = {opt.ip, "-n", ns, "-4", "route", "show", NULL};

	snprintf(dev, sizeof(dev), "ve-c%d", k);
	snprintf(ns, sizeof(ns), "c%d", k);
	run_capture(addr, out, sizeof(out), NETD_MS);
	snprintf(want, sizeof(want), "inet %s/32 ", host);
	snprintf(gone, sizeof(gone), "inet %s/", old);
	if (!strstr(out, want) || strstr(out, gone))
		die_netd("%s: expected %s only, ip says:\n%s", dev, host, out);
	if (a->v != V_BOTH)
		return;
	run_capture(routes, out, sizeof(out), NETD_MS);
	snprintf(want, sizeof(want), "default via %s ", host);
	snprintf(gone, sizeof(gone), "%s ", old);
	if (!strstr(out, want) || strstr(out, gone))
		die_netd("routes in %s: expected a default route via %s and none via %s, ip "
			 "says:\n%s",
			 ns, host, old, out);
}

/* Container N/2's HostAddress is .3 now: rounds one after the other in one sandbox carry it. */
static bool alt;

void reload_run(const struct run_arg *a, struct run_res *res)
{
	char host[32], old[32];
	struct netd_status s;
	int n = a->n, k = a->n / 2;
	unsigned long long t0;
	long w;

	/* the sync point for whatever came before (the latency experiment's churn) */
	(void)netd_reload(&s);
	check_after(n, &s, "an unchanged reload");
	for (int r = 0; r < RELOAD_ROUNDS; r++) {
		w = s.writes;
		alt = !alt;
		write_netd_conf(n + LAT_K, alt ? k : -1, 0);
		res->reload_s[r] = netd_reload(&s);
		res->reload_writes[r] = s.writes - w;
		check_after(n, &s, "a changed HostAddress");
		if (res->reload_writes[r] == 0)
			die_netd("reload %d changed c%d's HostAddress and wrote nothing", r + 1, k);
	}
	ct_host4(k, alt, host, sizeof(host));
	ct_host4(k, !alt, old, sizeof(old));
	check_kernel(a, k, host, old);

	w = s.writes;
	res->unchanged_s = netd_reload(&s);
	res->unchanged_writes = s.writes - w;
	check_after(n, &s, "an unchanged reload after the changes");
	res->check_s =
	    run_cmd((char *[]){(char *)opt.netd, "--check", "--config", CONF_PATH, NULL}, NETD_MS);
	netd_stop();

	t0 = now_usec();
	s = netd_start(NETD_MS + 60 * n);
	res->restart_s = since_s(t0);
	res->restart_writes = s.writes;
	res->restart_configured = s.configured;
	res->reload_done = true;
}

/* ---- the table ------------------------------------------------------------------------------- */

void reload_report(const struct cell_runs *c, bool header)
{
	struct series changed = {.n = 0}, same = {.n = 0}, check = {.n = 0}, restart = {.n = 0};
	long wmin = -1, wmax = -1;
	char writes[32];

	if (!c->have[M_NETD])
		return;
	if (header) {
		printf("\n== 3. Reload, %s: one container's HostAddress changed among N, SIGHUP to "
		       "READY=1; %d runs x %d reloads\n",
		       variant_name[c->v], opt.runs, RELOAD_ROUNDS);
		printf(
		    "   (writes: netd's STATUS writes= per reload, every run and round; the "
		    "baselines are netd's own: an unchanged reload, `netd --check` of the file;\n"
		    "    beyond BENCH_FULL_MAX (%d) the %d runs are rounds one after the other in "
		    "one sandbox, each with its own restart)\n",
		    opt.full_max, opt.runs);
		printf("  %6s  %-26s %10s %10s %10s  %s\n", "N", "", "min", "median", "max",
		       "writes");
	}
	for (int r = 0; r < opt.runs; r++) {
		const struct run_res *x = &c->res[M_NETD][r];

		for (int k = 0; k < RELOAD_ROUNDS; k++) {
			series_add(&changed, x->reload_s[k]);
			if (wmin < 0 || x->reload_writes[k] < wmin)
				wmin = x->reload_writes[k];
			if (x->reload_writes[k] > wmax)
				wmax = x->reload_writes[k];
		}
		series_add(&same, x->unchanged_s);
		series_add(&check, x->check_s);
		series_add(&restart, x->restart_s);
	}
	if (wmin == wmax)
		snprintf(writes, sizeof(writes), "%ld", wmin);
	else
		snprintf(writes, sizeof(writes), "%ld-%ld", wmin, wmax);
	printf("  %6d  %-26s %s  %s\n", c->n, "one HostAddress changed", fmt_mmm(&changed), writes);
	printf("  %6s  %-26s %s  %ld\n", "", "unchanged", fmt_mmm(&same),
	       c->res[M_NETD][0].unchanged_writes);
	printf("  %6s  %-26s %s\n", "", "netd --check (exec, parse)", fmt_mmm(&check));
	printf("  %6s  %-26s %s  %ld\n", "", "restart, exec to READY=1", fmt_mmm(&restart),
	       c->res[M_NETD][0].restart_writes);
	printf("  %6s  changed / unchanged %s | changed / --check %s\n", "",
	       fmt_ratio(series_median(&changed), series_median(&same)),
	       fmt_ratio(series_median(&changed), series_median(&check)));
	fflush(stdout);
}

int reload_check(const struct cell_runs *c)
{
	int bad = 0;

	if (!c->have[M_NETD])
		return 0;
	for (int r = 0; r < opt.runs; r++) {
		const struct run_res *x = &c->res[M_NETD][r];

		if (x->unchanged_writes != 0) {
			fprintf(stderr, "bench: reload N=%d %s: an unchanged reload wrote %ld\n",
				c->n, variant_name[c->v], x->unchanged_writes);
			bad++;
		}
		if (x->restart_writes != 0 || x->restart_configured != c->n) {
			fprintf(
			    stderr,
			    "bench: reload N=%d %s: restarted netd: configured=%ld writes=%ld at "
			    "READY=1, expected configured=%d writes=0 (adoption)\n",
			    c->n, variant_name[c->v], x->restart_configured, x->restart_writes,
			    c->n);
			bad++;
		}
	}
	return bad;
}
