/* SPDX-License-Identifier: MIT */
/*
 * `make bench`, first part: the cost of conf_parse_string() (parse + conf_finish) on a
 * generated config of N containers, the work netd does at startup, on every reload and for
 * --check. Prints min/median/max over RUNS runs and the median per container, which stays
 * flat when every check is linear or N log N. Asserts only that the config is valid.
 *
 * No Criterion, no root, no netd: libc and proto/libproto.a.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"

enum {
	RUNS = 7,
	BRIDGED_EVERY = 10, /* container i % 10 == 0 sits behind a bridge */
	EXTRA_EVERY = 20,   /* container i % 20 == 1 gets an [ExtraVeth] */
	MAX_CONTAINERS = 30000, /* UDP host ports 30000+i stay below 65536 */
};

static _printf_(1, 2) __attribute__((noreturn)) void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench-conf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct text {
	char *buf;
	size_t len, size;
};

static _printf_(2, 3) void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf failed");
		if ((size_t)n < t->size - t->len)
			break;
		t->size = t->size * 2 + (size_t)n + 1;
		t->buf = realloc(t->buf, t->size);
		if (!t->buf)
			die("out of memory");
	}
	t->len += (size_t)n;
}

/*
 * Container i: v4 10.A.B.0/30 and v6 fd00::I:0/126 of its own (A.B = i as base 250), one TCP
 * forward 10000+i and, for every other container, UDP 30000+i bound to a host address. Every
 * tenth is bridged (172.16.A.B+2/12); every twentieth has an extra veth (10.128+A.B.0/30)
 * declared before it, so the Container= lookup has to find a section that comes later.
 */
static void add_container(struct text *t, unsigned i)
{
	unsigned a = i / 250, b = i % 250;

	if (i % EXTRA_EVERY == 1)
		add(t, "[ExtraVeth xv%u]\nContainer=c%u\nHostAddress=10.%u.%u.1\n"
		       "LocalAddress=10.%u.%u.2/30\n\n",
		    i, i, 128 + a, b, 128 + a, b);
	add(t, "[Container c%u]\nPrivateNetwork=yes\n", i);
	if (i % BRIDGED_EVERY == 0)
		add(t, "HostBridge=br0\nLocalAddress=172.16.%u.%u/12\nGateway=172.16.0.1\n", a,
		    b + 2);
	else
		add(t, "HostAddress=10.%u.%u.1\nLocalAddress=10.%u.%u.2/30\n"
		       "HostAddress6=fd00::%x:1\nLocalAddress6=fd00::%x:2/126\n",
		    a, b, a, b, i, i);
	add(t, "ForwardPort=%u:80\n", 10000 + i);
	if (i % 2)
		add(t, "ForwardPort=udp:192.0.2.%u:%u:53\n", 1 + i % 200, 30000 + i);
	add(t, "\n");
}

static double now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime: %m");
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench(unsigned n)
{
	struct text t = {};
	double ms[RUNS];
	size_t n_extras = 0, n_forwards = 0;

	for (unsigned i = 0; i < n; i++)
		add_container(&t, i);
	for (int run = 0; run < RUNS; run++) {
		struct conf *c = NULL;
		double start = now_ms();
		int r = conf_parse_string("bench.conf", t.buf, &c);

		ms[run] = now_ms() - start;
		if (r < 0)
			die("N=%u: %s", n, c && c->n_errors ? c->errors[0] : strerror(-r));
		if (c->n_containers != n)
			die("N=%u: parsed %zu containers", n, c->n_containers);
		n_extras = c->n_extras;
		n_forwards = 0;
		for (size_t i = 0; i < c->n_containers; i++)
			n_forwards += c->containers[i].n_forwards;
		conf_free(c);
	}
	free(t.buf);
	qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
	printf("%10u %7zu %9zu %9.2f %9.2f %9.2f %12.2f\n", n, n_extras, n_forwards, ms[0],
	       ms[RUNS / 2], ms[RUNS - 1], ms[RUNS / 2] * 1e3 / n);
}

int main(int argc, char **argv)
{
	static const unsigned defaults[] = { 1000, 10000 };

	printf("conf_parse_string (parse + conf_finish), %d runs each\n", RUNS);
	printf("%10s %7s %9s %9s %9s %9s %12s\n", "containers", "extras", "forwards", "min ms",
	       "median ms", "max ms", "us/container");
	if (argc < 2)
		for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
			bench(defaults[i]);
	for (int i = 1; i < argc; i++) {
		char *end;
		unsigned long n = strtoul(argv[i], &end, 10);

		if (*end || n == 0 || n > MAX_CONTAINERS)
			die("usage: bench-conf [N (1-%d)]...", MAX_CONTAINERS);
		bench((unsigned)n);
	}
	return 0;
}
