/* SPDX-License-Identifier: MIT */
/*
 * netdctl: time and JSON formatting (pure), the whole `status` output on hand-written state
 * files (no kernel: status_run() into memory streams, and the binary through jq), and the
 * binary against a running netd with configured, pending and failed containers, then with
 * netd stopped or killed.
 */
#include <inttypes.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "json.h"
#include "status.h"
#include "timefmt.h"

#define SEC USEC_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* ---- helpers ------------------------------------------------------------------------------ */

/* Hand-written state files (not netd's STATE_DIR); outputs go to TEST_DIR. */
#define FILES TEST_DIR "/files"

struct run {
	int status;
	char *out; /* owned */
	char *err; /* owned */
};

static void run_done(struct run *r)
{
	free(r->out);
	free(r->err);
}

#define _cleanup_run_ _cleanup_(run_done)

/* $NETDCTL, or netdctl/netdctl beside this test's build directory (plain or sanitized). */
static const char *netdctl_path(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX - 32];
	ssize_t n;

	if (getenv("NETDCTL"))
		return getenv("NETDCTL");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	cr_assert(n > 0, "readlink /proc/self/exe");
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(path, sizeof(path), "%s/../netdctl/netdctl", self);
	cr_assert(access(path, X_OK) == 0, "no netdctl binary at %s: set NETDCTL", path);
	return path;
}

/* Run `netdctl ARGS` to completion; its stdout and stderr are kept. */
static struct run ctl(const char *fmt, ...) _printf_(1, 2);
static struct run ctl(const char *fmt, ...)
{
	_cleanup_free_ char *args = NULL, *out = NULL, *err = NULL;
	struct run r;
	va_list ap;

	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	cr_assert(asprintf(&out, "%s/ctl.out", TEST_DIR) >= 0 &&
		  asprintf(&err, "%s/ctl.err", TEST_DIR) >= 0);
	/* LC_ALL=C: the detail blocks start with "*", not a UTF-8 bullet, whatever the locale */
	r.status = sh("LC_ALL=C '%s' %s >'%s' 2>'%s'", netdctl_path(), args, out, err);
	r.out = file_read(out);
	r.err = file_read(err);
	cr_assert(r.out && r.err, "netdctl output not readable");
	return r;
}

/* jq EXPR on the last ctl() output must print true (jq -e). */
#define expect_jq(expr)                                                                        \
	do {                                                                                   \
		const char *_e_ = (expr);                                                      \
		cr_expect(sh("jq -e '%s' '%s/ctl.out' >/dev/null", _e_, TEST_DIR) == 0,            \
			  "jq: expected %s", _e_);                                             \
	} while (0)

/* Line i (0-based) of text, malloc'ed; NULL when there are fewer lines. */
static char *line_at(const char *text, size_t i)
{
	const char *p = text, *nl;

	for (; i > 0 && p; i--)
		p = (nl = strchr(p, '\n')) ? nl + 1 : NULL;
	if (!p || !*p)
		return NULL;
	nl = strchr(p, '\n');
	return strndup(p, nl ? (size_t)(nl - p) : strlen(p));
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

static bool matches(const char *s, const char *pattern)
{
	regex_t re;
	bool m;

	cr_assert(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0, "bad regex %s", pattern);
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static void put_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = NULL;

	cr_assert(asprintf(&path, "%s/%s", dir, name) >= 0);
	file_write(path, text);
}

/* ---- without a kernel ---------------------------------------------------------------------- */

/* 2026-11-28 07:36:56 UTC */
#define NOW (UINT64_C(1795851416) * SEC)

/* An error text with everything a terminal or a JSON parser could trip over. */
#define ODD_ERROR                                                                              \
	"add route 0.0.0.0/0: File exists \"q\" back\\slash tab\there bell\x07 "              \
	"esc\x1b[31m cr\r caf\xc3\xa9 csi\xc2\x9b"
#define ODD_ERROR_TEXT                                                                         \
	"add route 0.0.0.0/0: File exists \"q\" back\\slash tab\\x09here bell\\x07 "          \
	"esc\\x1b[31m cr\\x0d caf\xc3\xa9 csi\\xc2\\x9b"

/*
 * Every test runs in the sandbox (tmpfs /run). Those that need no netd and no kernel (the
 * formatters, the state files written by hand here) share the suite all the same: Criterion
 * 2.4, running two suites in parallel, leaks a runner allocation when a test of the first
 * suite ends after one of the second, and that fails `make check SANITIZE=1`.
 */
static void netdctl_init(void)
{
	sandbox_enter();
	cr_assert(mkdir(FILES, 0755) == 0, "mkdir %s: %s", FILES, strerror(errno));
	cr_assert(setenv("TZ", "UTC", 1) == 0);
	tzset();
	put_file(FILES, "web.state",
		 "STATE=configured\nIFNAME=ve-web\nNETNS=/run/netns/web\n"
		 "ADDRESSES=10.0.0.2/32 fd00::2/128\nFORWARDS=tcp:8080:80 udp:5353:5353\n"
		 "SINCE=1795851086123456\n");
	put_file(FILES, "db.state",
		 "STATE=failed\nIFNAME=ve-db\nNETNS=/run/netns/db\nERROR=" ODD_ERROR "\n"
		 "ADDRESSES=10.0.1.2/32\nSINCE=1795843916000000\n");
	/* no SINCE= (a netd older than the key), an unknown key */
	put_file(FILES, "app.state",
		 "STATE=pending\nIFNAME=vb-app\nNETNS=/run/netns/app\nADDRESSES=10.1.0.5/24\n"
		 "FUTURE=key\n");
	/* not containers: netd's temporary file, a hidden one, the lock, the hosts file, a stray */
	put_file(FILES, ".web.state.Ab12Cd", "STATE=pending\n");
	put_file(FILES, ".hidden.state", "STATE=pending\n");
	put_file(FILES, "netd.lock", "");
	put_file(FILES, "hosts", "10.0.0.2 web.containers\n");
	put_file(FILES, "README", "x\n");
}

TestSuite(netdctl, .init = netdctl_init, .fini = sandbox_leave, .timeout = 60);

Test(netdctl, fmt_relative_time)
{
	static const struct {
		uint64_t ago;
		const char *want;
	} cases[] = {
		{ 0, "now" },
		{ 1, "1us ago" },
		{ 999, "999us ago" },
		{ 1000, "1ms ago" },
		{ 350 * 1000, "350ms ago" },
		{ SEC, "1s ago" },
		{ 59 * SEC + 999999, "59s ago" },
		{ MIN, "1min 0s ago" },
		{ MIN + 5 * SEC, "1min 5s ago" },
		{ 5 * MIN - 1, "4min 59s ago" },
		{ 5 * MIN, "5min ago" },
		{ 5 * MIN + 30 * SEC, "5min ago" },
		{ HOUR - 1, "59min ago" },
		{ HOUR, "1h 0min ago" },
		{ 2 * HOUR + 5 * MIN, "2h 5min ago" },
		{ 6 * HOUR, "6h ago" },
		{ 25 * HOUR - 1, "24h ago" },
		{ 25 * HOUR, "1 day 1h ago" },
		{ 2 * DAY - 1, "1 day 23h ago" },
		{ 2 * DAY, "2 days ago" },
		{ 7 * DAY - 1, "6 days ago" },
		{ 7 * DAY, "1 week 0 days ago" },
		{ 15 * DAY, "2 weeks 1 day ago" },
		{ 70 * DAY, "2 months 9 days ago" },
		{ 31557600 * SEC, "1 year ago" },
		{ 400 * DAY, "1 year 1 month ago" },
		{ 800 * DAY, "2 years 2 months ago" },
	};
	const uint64_t now = 1795851416 * SEC;
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		timefmt_relative(buf, sizeof(buf), now, now - cases[i].ago);
		cr_expect_str_eq(buf, cases[i].want, "%" PRIu64 "us ago: \"%s\", expected \"%s\"",
				 cases[i].ago, buf, cases[i].want);
	}
	/* the clock was stepped back: the change lies ahead */
	timefmt_relative(buf, sizeof(buf), now, now + 5 * MIN);
	cr_expect_str_eq(buf, "5min left");
	/* a short buffer truncates, never overflows */
	timefmt_relative(buf, 6, now, now - 2 * HOUR - 5 * MIN);
	cr_expect_str_eq(buf, "2h 5m");
}

Test(netdctl, fmt_timestamps)
{
	/* 2026-11-28 07:30:12.000042 UTC */
	const uint64_t t = 1795851012 * SEC + 42;
	char buf[64];

	/* a POSIX TZ string needs no tzdata: local time is UTC+2, called XYZ */
	cr_assert(setenv("TZ", "XYZ-2", 1) == 0);
	tzset();
	cr_expect_str_eq(timefmt_local(buf, sizeof(buf), t, false), "2026-11-28 09:30:12");
	cr_expect_str_eq(timefmt_local(buf, sizeof(buf), t, true), "Sat 2026-11-28 09:30:12 XYZ");
	cr_expect_str_eq(timefmt_iso8601(buf, sizeof(buf), t), "2026-11-28T07:30:12.000042Z");
	cr_expect_str_eq(timefmt_iso8601(buf, sizeof(buf), 0), "1970-01-01T00:00:00.000000Z");
	cr_expect_null(timefmt_iso8601(buf, 10, t), "a short buffer is an error");
	cr_expect_str_eq(buf, "");
}

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	cr_assert_not_null(f);
	json_write_string(f, s);
	cr_assert(fclose(f) == 0);
	return buf;
}

Test(netdctl, fmt_json_escape)
{
	static const struct {
		const char *name, *in, *want;
	} cases[] = {
		{ "plain", "File exists", "\"File exists\"" },
		{ "empty", "", "\"\"" },
		{ "quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "slash stays", "0.0.0.0/0", "\"0.0.0.0/0\"" },
		{ "short escapes", "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
		{ "other controls", "\x01\x1b[31m\x1f\x7f", "\"\\u0001\\u001b[31m\\u001f\\u007f\"" },
		{ "utf-8 kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "highest code point", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
		{ "stray byte", "a\xff" "b", "\"a\\ufffdb\"" },
		{ "lone continuation", "\x80", "\"\\ufffd\"" },
		{ "overlong slash", "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "overlong 3 bytes", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "surrogate", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "past U+10FFFF", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "truncated at the end", "x\xe2\x82", "\"x\\ufffd\\ufffd\"" },
		{ "truncated before ascii", "x\xe2\x82y", "\"x\\ufffd\\ufffdy\"" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = escaped(cases[i].in);

		cr_expect_str_eq(got, cases[i].want, "case %s: %s, expected %s", cases[i].name,
				 got, cases[i].want);
	}
}

/* What jq reads back from the escaper is the input, with invalid bytes as U+FFFD. */
Test(netdctl, fmt_json_escape_jq)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "add route 0.0.0.0/0: File exists", NULL },
		{ "\"quoted\" back\\slash", NULL },
		{ "tab\there, nl\nthere, cr\rthere", NULL },
		{ "\x01\x02\x1b[31mred\x1b[0m\x7f", NULL },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL },
		{ "bad \xff byte", "bad \xef\xbf\xbd byte" },
		{ "surrogate \xed\xa0\x80.", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd." },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *json = escaped(cases[i].in), *back = NULL;
		const char *want = cases[i].want ?: cases[i].in;

		put_file(TEST_DIR, "s.json", json);
		back = sh_out("jq -j . '%s/s.json'", TEST_DIR);
		cr_expect(strcmp(back, want) == 0, "case %zu: jq read %s back as \"%s\"", i, json,
			  back);
	}
}

Test(netdctl, fmt_json_writer)
{
	char *buf = NULL;
	size_t size = 0;
	struct json j;
	FILE *f;

	for (int pretty = 0; pretty < 2; pretty++) {
		f = open_memstream(&buf, &size);
		cr_assert_not_null(f);
		json_init(&j, f, pretty);
		json_begin_object(&j);
		json_key(&j, "a");
		json_bool(&j, true);
		json_key(&j, "b");
		json_begin_array(&j);
		json_end_array(&j);
		json_key(&j, "c");
		json_begin_array(&j);
		json_uint(&j, UINT64_MAX);
		json_string(&j, NULL);
		json_begin_object(&j);
		json_key(&j, "d");
		json_null(&j);
		json_end_object(&j);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
		cr_assert(fclose(f) == 0);
		if (!pretty)
			cr_expect_str_eq(buf, "{\"a\":true,\"b\":[],\"c\":[18446744073709551615,null,"
					      "{\"d\":null}]}\n");
		else
			cr_expect_str_eq(buf, "{\n  \"a\": true,\n  \"b\": [],\n  \"c\": [\n"
					      "    18446744073709551615,\n    null,\n    {\n"
					      "      \"d\": null\n    }\n  ]\n}\n");
		free(buf);
		buf = NULL;
	}
}

/* ---- status output on hand-written state files -------------------------------------------- */

static struct run status(struct status_opts o, char **names, size_t n_names)
{
	struct run r = {};
	size_t n_out = 0, n_err = 0;
	FILE *out = open_memstream(&r.out, &n_out), *err = open_memstream(&r.err, &n_err);

	cr_assert(out && err);
	if (!o.state_dir)
		o.state_dir = FILES;
	o.now_usec = NOW;
	r.status = status_run(&o, names, n_names, out, err);
	cr_assert(fclose(out) == 0 && fclose(err) == 0);
	return r;
}

#define TABLE_HEADER                                                                           \
	"NAME  STATE       LINK    ADDRESSES                FORWARDS                   SINCE\n"
#define TABLE_ROWS                                                                             \
	"app   pending     vb-app  10.1.0.5/24              -                          -\n"        \
	"db    failed      ve-db   10.0.1.2/32              -                          "           \
	"2026-11-28 05:31:56 (2h 5min ago)\n"                                                  \
	"web   configured  ve-web  10.0.0.2/32,fd00::2/128  tcp:8080:80,udp:5353:5353  "           \
	"2026-11-28 07:31:26 (5min ago)\n"

Test(netdctl, files_table)
{
	_cleanup_run_ struct run r = status((struct status_opts){ .legend = true, .netd_running = 1 },
					    NULL, 0);

	cr_expect_str_eq(r.out, TABLE_HEADER TABLE_ROWS
			 "3 containers: 1 configured, 1 pending, 1 failed\n");
	cr_expect_str_eq(r.err, "", "netd runs: no notice");
	cr_expect_eq(r.status, 1, "a failed container is listed: exit 1, got %d", r.status);
}

Test(netdctl, files_table_no_legend_not_running)
{
	_cleanup_run_ struct run r = status((struct status_opts){ .netd_running = 0 }, NULL, 0);

	cr_expect_str_eq(r.out, TABLE_ROWS);
	cr_expect_str_eq(r.err, "netd is not running: the state below may be stale\n");
	cr_expect_eq(r.status, 1);
}

Test(netdctl, files_table_without_failed_exits_0)
{
	sh_ok("rm '%s/db.state'", FILES);
	_cleanup_run_ struct run r = status((struct status_opts){ .legend = true, .netd_running = 1 },
					    NULL, 0);

	cr_expect_eq(r.status, 0, "configured and pending only: exit 0, got %d", r.status);
	cr_expect(strstr(r.out, "\n2 containers: 1 configured, 1 pending\n"), "summary in:\n%s",
		  r.out);
}

Test(netdctl, files_table_empty_and_missing_dir)
{
	_cleanup_free_ char *empty = NULL, *missing = NULL;

	cr_assert(asprintf(&empty, "%s/empty", FILES) >= 0 && mkdir(empty, 0755) == 0);
	_cleanup_run_ struct run r =
		status((struct status_opts){ .state_dir = empty, .legend = true, .netd_running = 1 },
		       NULL, 0);
	cr_expect_str_eq(r.out, "NAME  STATE  LINK  ADDRESSES  FORWARDS  SINCE\n0 containers\n");
	cr_expect_eq(r.status, 0);

	cr_assert(asprintf(&missing, "%s/missing", FILES) >= 0);
	_cleanup_run_ struct run m = status(
		(struct status_opts){ .state_dir = missing, .legend = true, .netd_running = 0 },
		NULL, 0);
	cr_expect_str_eq(m.out, "");
	_cleanup_free_ char *want = NULL;
	cr_assert(asprintf(&want,
			   "Cannot read the state directory %s: No such file or directory "
			   "(netd is not running)\n",
			   missing) >= 0);
	cr_expect_str_eq(m.err, want);
	cr_expect_eq(m.status, 1);
}

/* A file that is not a state file is reported and the others are still shown. */
Test(netdctl, files_table_bad_file)
{
	put_file(FILES, "junk.state", "no equals sign\n");
	_cleanup_run_ struct run r = status((struct status_opts){ .netd_running = 1 }, NULL, 0);
	_cleanup_free_ char *want = NULL;

	cr_expect_str_eq(r.out, TABLE_ROWS);
	cr_assert(asprintf(&want, "junk: %s/junk.state is not a valid state file\n", FILES) >= 0);
	cr_expect_str_eq(r.err, want);
	cr_expect_eq(r.status, 1);
}

#define DETAIL_WEB                                                                             \
	"\u25cf web\n"                                                                         \
	"      State: configured\n"                                                            \
	"       Link: ve-web\n"                                                                \
	"  Namespace: /run/netns/web\n"                                                        \
	"  Addresses: 10.0.0.2/32\n"                                                           \
	"             fd00::2/128\n"                                                           \
	"   Forwards: tcp:8080:80\n"                                                           \
	"             udp:5353:5353\n"                                                         \
	"      Since: Sat 2026-11-28 07:31:26 UTC; 5min ago\n"

#define DETAIL_DB                                                                              \
	"* db\n"                                                                               \
	"      State: failed\n"                                                                \
	"       Link: ve-db\n"                                                                 \
	"  Namespace: /run/netns/db\n"                                                         \
	"  Addresses: 10.0.1.2/32\n"                                                           \
	"   Forwards: -\n"                                                                     \
	"      Since: Sat 2026-11-28 05:31:56 UTC; 2h 5min ago\n"                              \
	"      Error: " ODD_ERROR_TEXT "\n"

Test(netdctl, files_detail)
{
	char *names[] = { "web" }, *both[] = { "db", "app" };
	_cleanup_run_ struct run r =
		status((struct status_opts){ .utf8 = true, .netd_running = 1 }, names, 1);

	cr_expect_str_eq(r.out, DETAIL_WEB);
	cr_expect_str_eq(r.err, "");
	cr_expect_eq(r.status, 0, "web is configured: exit 0, got %d", r.status);

	_cleanup_run_ struct run b = status((struct status_opts){ .netd_running = 1 }, both, 2);
	cr_expect_str_eq(b.out, DETAIL_DB "\n"
				"* app\n"
				"      State: pending\n"
				"       Link: vb-app\n"
				"  Namespace: /run/netns/app\n"
				"  Addresses: 10.1.0.5/24\n"
				"   Forwards: -\n"
				"      Since: -\n");
	cr_expect_eq(b.status, 1, "db is failed: exit 1, got %d", b.status);
}

Test(netdctl, files_detail_unknown_name)
{
	char *names[] = { "web", "nope", "../web" };
	_cleanup_run_ struct run r =
		status((struct status_opts){ .utf8 = true, .netd_running = 0 }, names, 3);
	_cleanup_free_ char *want = NULL;

	cr_expect_str_eq(r.out, DETAIL_WEB, "the known name is still shown");
	cr_assert(asprintf(&want,
			   "netd is not running: the state below may be stale\n"
			   "nope: no such container (no %s/nope.state)\n"
			   "../web: not a container name\n",
			   FILES) >= 0);
	cr_expect_str_eq(r.err, want);
	cr_expect_eq(r.status, 1);
}

/* What a terminal would act on is escaped in text, whatever field it is in; JSON has it all. */
Test(netdctl, files_escapes)
{
	char *names[] = { "odd" };

	put_file(FILES, "odd.state", "STATE=pending\nIFNAME=ve-\x1b]0;x\x07\xff\nNETNS=unmanaged\n");
	_cleanup_run_ struct run r = status((struct status_opts){ .netd_running = 1 }, names, 1);
	cr_expect(strstr(r.out, "\n       Link: ve-\\x1b]0;x\\x07\\xff\n"), "detail:\n%s", r.out);

	_cleanup_run_ struct run t = status((struct status_opts){ .legend = true, .netd_running = 1 },
					    NULL, 0);
	_cleanup_free_ char *header = line_at(t.out, 0), *odd = line_at(t.out, 3);
	const char *row = "odd   pending     ve-\\x1b]0;x\\x07\\xff  -                        -";

	/* the column is as wide as the escaped name: 19 */
	cr_expect(strstr(header, "  LINK                 ADDRESSES  "), "table:\n%s", t.out);
	cr_expect(odd && strncmp(odd, row, strlen(row)) == 0, "row: %s", strna(odd));

	_cleanup_run_ struct run j =
		status((struct status_opts){ .json = STATUS_JSON_SHORT, .netd_running = 1 }, names, 1);
	put_file(TEST_DIR, "ctl.out", j.out);
	expect_jq(".containers[0].link == \"ve-\\u001b]0;x\\u0007\\ufffd\"");
}

Test(netdctl, files_color_only_on_the_state)
{
	char *names[] = { "db" };
	_cleanup_run_ struct run t =
		status((struct status_opts){ .legend = true, .color = true, .netd_running = 1 },
		       NULL, 0);
	_cleanup_run_ struct run d =
		status((struct status_opts){ .color = true, .netd_running = 1 }, names, 1);

	/* the padding after a coloured state is counted without its escape sequences */
	cr_expect(strstr(t.out, "\ndb    \x1b[0;1;31mfailed\x1b[0m      ve-db   "), "table:\n%s",
		  t.out);
	cr_expect(strstr(t.out, "\nweb   \x1b[0;1;32mconfigured\x1b[0m  ve-web  "), "table:\n%s",
		  t.out);
	cr_expect(strstr(d.out, "      State: \x1b[0;1;31mfailed\x1b[0m\n"), "detail:\n%s", d.out);
}

/* The JSON document, read by jq: fields, types, order, the odd error text intact. */
Test(netdctl, files_json)
{
	_cleanup_run_ struct run r =
		status((struct status_opts){ .json = STATUS_JSON_SHORT, .netd_running = 0 }, NULL, 0);
	_cleanup_free_ char *error = NULL;

	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, "", "JSON says netd_running; no notice on stderr");
	cr_expect_eq(count_lines(r.out), 1, "short JSON is one line");
	put_file(TEST_DIR, "ctl.out", r.out);
	expect_jq(".netd_running == false");
	expect_jq(".state_dir == \"" FILES "\"");
	expect_jq("[.containers[].name] == [\"app\", \"db\", \"web\"]");
	expect_jq(".containers[0] == {name: \"app\", state: \"pending\", link: \"vb-app\", "
		  "netns: \"/run/netns/app\", addresses: [\"10.1.0.5/24\"], forwards: [], "
		  "since_usec: null, since: null, error: null}");
	expect_jq(".containers[2] == {name: \"web\", state: \"configured\", link: \"ve-web\", "
		  "netns: \"/run/netns/web\", addresses: [\"10.0.0.2/32\", \"fd00::2/128\"], "
		  "forwards: [\"tcp:8080:80\", \"udp:5353:5353\"], since_usec: 1795851086123456, "
		  "since: \"2026-11-28T07:31:26.123456Z\", error: null}");
	expect_jq(".containers[1] | .state == \"failed\" and .since_usec == 1795843916000000 and "
		  ".since == \"2026-11-28T05:31:56.000000Z\"");
	/* the exact bytes of ERROR= come back out of jq */
	error = sh_out("jq -j '.containers[1].error' '%s/ctl.out'", TEST_DIR);
	cr_expect(strcmp(error, ODD_ERROR) == 0, "error read back as \"%s\"", error);
}

Test(netdctl, files_json_named_and_pretty)
{
	char *names[] = { "web", "nope" };
	_cleanup_run_ struct run r = status(
		(struct status_opts){ .json = STATUS_JSON_PRETTY, .netd_running = 1 }, names, 2);

	cr_expect_eq(r.status, 1, "an unknown name: exit 1");
	cr_expect(strstr(r.err, "nope: no such container"), "stderr: %s", r.err);
	cr_expect_gt(count_lines(r.out), 10, "pretty JSON spans lines");
	put_file(TEST_DIR, "ctl.out", r.out);
	expect_jq(".netd_running == true and [.containers[].name] == [\"web\"]");
}

/* The binary end to end on the same files: options, exit statuses, JSON through jq. */
Test(netdctl, files_binary)
{
	_cleanup_run_ struct run t = ctl("--state-dir '%s' status", FILES);
	cr_expect_eq(t.status, 1);
	cr_expect(strncmp(t.out, TABLE_HEADER, strlen(TABLE_HEADER)) == 0, "table:\n%s", t.out);
	cr_expect(strstr(t.out, "\n3 containers: 1 configured, 1 pending, 1 failed\n"), "table:\n%s",
		  t.out);
	cr_expect_str_eq(t.err, "netd is not running: the state below may be stale\n");

	/* no command means status; options after the command work too */
	_cleanup_run_ struct run n = ctl("-s '%s' --no-legend", FILES);
	_cleanup_run_ struct run n2 = ctl("status -s '%s' --no-legend", FILES);
	cr_expect_eq(count_lines(n.out), 3, "three rows:\n%s", n.out);
	cr_expect_str_eq(n.out, n2.out);

	_cleanup_run_ struct run j = ctl("-s '%s' --json", FILES);
	cr_expect_eq(j.status, 1);
	cr_expect_str_eq(j.err, "");
	expect_jq(".netd_running == false and (.containers | length) == 3");
	_cleanup_free_ char *error = sh_out("jq -j '.containers[1].error' '%s/ctl.out'", TEST_DIR);
	cr_expect(strcmp(error, ODD_ERROR) == 0, "error read back as \"%s\"", error);

	_cleanup_run_ struct run d = ctl("-s '%s' status web", FILES);
	cr_expect_eq(d.status, 0);
	cr_expect(strstr(d.out, "      State: configured\n"), "detail:\n%s", d.out);
	_cleanup_run_ struct run u = ctl("-s '%s' status nope", FILES);
	cr_expect_eq(u.status, 1);
	cr_expect(strstr(u.err, "nope: no such container (no "), "stderr: %s", u.err);
}

Test(netdctl, usage)
{
	_cleanup_run_ struct run h = ctl("--help");
	cr_expect_eq(h.status, 0);
	cr_expect(strstr(h.out, "Usage: netdctl") && strstr(h.out, "--json") &&
			  strstr(h.out, "--state-dir") && strstr(h.out, "--no-legend") &&
			  strstr(h.out, "Exit status"),
		  "help:\n%s", h.out);
	_cleanup_run_ struct run v = ctl("--version");
	cr_expect_eq(v.status, 0);
	cr_expect(matches(v.out, "^netdctl [0-9]+\\.[0-9]+\\.[0-9]+\n$"), "version: %s", v.out);
	_cleanup_run_ struct run c = ctl("frobnicate");
	cr_expect_eq(c.status, 2);
	cr_expect(strstr(c.err, "unknown command \"frobnicate\""), "stderr: %s", c.err);
	_cleanup_run_ struct run o = ctl("--json=yaml");
	cr_expect_eq(o.status, 2);
	_cleanup_run_ struct run x = ctl("--bogus");
	cr_expect_eq(x.status, 2);
}

/* ---- against netd ------------------------------------------------------------------------- */


#define CT_OK                                \
	"[Container ok]\n"                   \
	"PrivateNetwork=yes\n"               \
	"HostAddress=10.0.0.1\n"             \
	"LocalAddress=10.0.0.2\n"            \
	"HostAddress6=fd00::1\n"             \
	"LocalAddress6=fd00::2\n"            \
	"ForwardPort=tcp:8080:80\n"          \
	"ForwardPort=udp:5353\n"

#define CT_WAIT                              \
	"[Container wait]\n"                 \
	"PrivateNetwork=yes\n"               \
	"HostBridge=br0\n"                   \
	"LocalAddress=10.1.0.5/24\n"         \
	"Gateway=10.1.0.1\n"

#define CT_BAD                               \
	"[Container bad]\n"                  \
	"PrivateNetwork=yes\n"               \
	"HostAddress=10.0.2.1\n"             \
	"LocalAddress=10.0.2.2\n"

/*
 * ok is configured (with forwards); wait is pending (its bridge br0 never appears); bad is
 * failed: a foreign default route in its namespace makes netd's own fail with File exists.
 */
static void three_containers(void)
{
	sh_ok("ip netns add bad && ip -n bad link add foo type veth peer name bar && "
	      "ip -n bad link set foo up && ip -n bad link set bar up && "
	      "ip -n bad addr add 10.0.2.9/24 dev foo && "
	      "ip -n bad route add default via 10.0.2.10 dev foo proto static");
	netd_start(CT_OK CT_WAIT CT_BAD, NULL);
	ct_add("ok", false, true);
	ct_add("wait", true, true);
	sh_ok("ip link add ve-bad type veth peer name host0 netns bad");
	wait_state(STATE_DIR, "ok", "configured", WAIT_MS);
	wait_state(STATE_DIR, "bad", "failed", WAIT_MS);
	wait_state(STATE_DIR, "wait", "pending", WAIT_MS);
}

/* SINCE= of name's state file as netdctl's table shows it: local time. */
static const char *since_local(const char *name, bool long_form)
{
	static char buf[4][64];
	static unsigned n;
	_cleanup_free_ char *since = state_get(STATE_DIR, name, "SINCE");
	char *b = buf[n++ % 4];

	cr_assert(since, "%s has no SINCE=", name);
	cr_assert(timefmt_local(b, 64, strtoull(since, NULL, 10), long_form));
	return b;
}

/* text with each " (... ago)" cut out, in place. */
static char *without_ago(char *text)
{
	char *open, *close;

	while ((open = strstr(text, " (")) && (close = strstr(open, " ago)")))
		memmove(open, close + 5, strlen(close + 5) + 1);
	return text;
}

/* Each column of row starts where the header's title does. */
static void expect_aligned(const char *header, const char *row)
{
	static const char *const titles[] = { "STATE", "LINK", "ADDRESSES", "FORWARDS", "SINCE" };

	for (size_t i = 0; i < ARRAY_SIZE(titles); i++) {
		const char *t = strstr(header, titles[i]);
		size_t off = t ? (size_t)(t - header) : 0;

		cr_assert(t, "no %s in header: %s", titles[i], header);
		cr_expect(strlen(row) > off && row[off] != ' ' && row[off - 1] == ' ',
			  "column %s at %zu: row \"%s\" under \"%s\"", titles[i], off, row, header);
	}
}

/* The table's rows for the three containers, checked token by token and for alignment. */
static void expect_rows(const char *out, size_t first)
{
	_cleanup_free_ char *header = line_at(out, 0), *bad = line_at(out, first),
			    *ok = line_at(out, first + 1), *wait = line_at(out, first + 2),
			    *re_bad = NULL, *re_ok = NULL, *re_wait = NULL;
	const char *tail = " \\([0-9].* ago\\)$";

	cr_assert(bad && ok && wait, "three rows expected:\n%s", out);
	cr_assert(asprintf(&re_bad, "^bad +failed +ve-bad +10\\.0\\.2\\.2/32 +- +%s%s",
			   since_local("bad", false), tail) >= 0);
	cr_assert(asprintf(&re_ok,
			   "^ok +configured +ve-ok +10\\.0\\.0\\.2/32,fd00::2/128 +"
			   "tcp:8080:80,udp:5353:5353 +%s%s",
			   since_local("ok", false), tail) >= 0);
	cr_assert(asprintf(&re_wait, "^wait +pending +vb-wait +10\\.1\\.0\\.5/24 +- +%s%s",
			   since_local("wait", false), tail) >= 0);
	cr_expect(matches(bad, re_bad), "row \"%s\" !~ %s", bad, re_bad);
	cr_expect(matches(ok, re_ok), "row \"%s\" !~ %s", ok, re_ok);
	cr_expect(matches(wait, re_wait), "row \"%s\" !~ %s", wait, re_wait);
	if (first == 0)
		return;
	expect_aligned(header, bad);
	expect_aligned(header, ok);
	expect_aligned(header, wait);
}

static void expect_table(void)
{
	_cleanup_run_ struct run r = ctl("status");
	_cleanup_free_ char *header = line_at(r.out, 0), *summary = line_at(r.out, 4);

	cr_expect_eq(r.status, 1, "bad is failed: exit 1, got %d", r.status);
	cr_expect_eq(count_lines(r.out), 5, "header, 3 rows, summary:\n%s", r.out);
	cr_expect(header && matches(header, "^NAME +STATE +LINK +ADDRESSES +FORWARDS +SINCE$"),
		  "header: %s", strna(header));
	expect_rows(r.out, 1);
	cr_expect_str_eq(strna(summary), "3 containers: 1 configured, 1 pending, 1 failed");

	_cleanup_run_ struct run n = ctl("--no-legend status");
	cr_expect_eq(n.status, 1);
	cr_expect_eq(count_lines(n.out), 3, "rows only:\n%s", n.out);
	expect_rows(n.out, 0);
}

Test(netdctl, table_running)
{
	three_containers();
	_cleanup_run_ struct run r = ctl("status");

	cr_expect_str_eq(r.err, "", "netd runs: nothing on stderr");
	expect_table();
	cr_expect(netd_alive());
}

/* The JSON fields against the state files netd wrote. */
static void expect_json(bool running)
{
	_cleanup_run_ struct run r = ctl("--json");
	_cleanup_free_ char *q = NULL;

	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, "");
	cr_assert(asprintf(&q, ".netd_running == %s", running ? "true" : "false") >= 0);
	expect_jq(q);
	expect_jq(".state_dir == \"/run/netd\"");
	expect_jq("[.containers[] | [.name, .state, .link]] == [[\"bad\", \"failed\", \"ve-bad\"], "
		  "[\"ok\", \"configured\", \"ve-ok\"], [\"wait\", \"pending\", \"vb-wait\"]]");
	expect_jq(".containers[1] | .netns == \"/run/netns/ok\" and "
		  ".addresses == [\"10.0.0.2/32\", \"fd00::2/128\"] and "
		  ".forwards == [\"tcp:8080:80\", \"udp:5353:5353\"] and .error == null");
	expect_jq(".containers[0] | .addresses == [\"10.0.2.2/32\"] and .forwards == [] and "
		  "(.error | test(\"File exists\")) and (.error | test(\"0.0.0.0/0\"))");
	expect_jq(".containers[2] | .addresses == [\"10.1.0.5/24\"] and .error == null");
	/* the ISO 8601 string is the usec number, to the second as jq's todate has it */
	expect_jq("all(.containers[]; (.since_usec | type) == \"number\" and "
		  ".since[0:19] + \"Z\" == (.since_usec / 1000000 | floor | todate) and "
		  "(.since | test(\"^[0-9-]{10}T[0-9:]{8}\\\\.[0-9]{6}Z$\")))");
	for (size_t i = 0; i < 3; i++) {
		static const char *const names[] = { "bad", "ok", "wait" };
		_cleanup_free_ char *since = state_get(STATE_DIR, names[i], "SINCE"),
				    *got = sh_out("jq -j '.containers[%zu].since_usec' '%s/ctl.out'",
						  i, TEST_DIR);
		char iso[64];

		cr_expect_str_eq(got, strna(since), "%s: since_usec %s, SINCE=%s", names[i], got,
				 strna(since));
		timefmt_iso8601(iso, sizeof(iso), strtoull(since ?: "0", NULL, 10));
		_cleanup_free_ char *got_iso =
			sh_out("jq -j '.containers[%zu].since' '%s/ctl.out'", i, TEST_DIR);
		cr_expect_str_eq(got_iso, iso);
	}
	_cleanup_free_ char *err = state_get(STATE_DIR, "bad", "ERROR"),
			    *got_err = sh_out("jq -j '.containers[0].error' '%s/ctl.out'", TEST_DIR);
	cr_expect_str_eq(got_err, strna(err), "error is ERROR= as it is");

	/* pretty is the same document */
	sh_ok("cp %s/ctl.out %s/short.json", TEST_DIR, TEST_DIR);
	_cleanup_run_ struct run p = ctl("--json=pretty");
	cr_expect_eq(p.status, 1);
	cr_expect(sh("test \"$(jq -S . %s/short.json)\" = \"$(jq -S . %s/ctl.out)\"", TEST_DIR,
		     TEST_DIR) == 0,
		  "--json=pretty is another document:\n%s", p.out);
}

Test(netdctl, json_running)
{
	three_containers();
	expect_json(true);
}

/* status NAME: the block of each, Error for the failed one, unknown names. */
static void expect_details(void)
{
	_cleanup_run_ struct run ok = ctl("status ok");
	_cleanup_free_ char *want = NULL;

	cr_expect_eq(ok.status, 0, "ok is configured: exit 0, got %d", ok.status);
	cr_assert(asprintf(&want,
			   "* ok\n"
			   "      State: configured\n"
			   "       Link: ve-ok\n"
			   "  Namespace: /run/netns/ok\n"
			   "  Addresses: 10.0.0.2/32\n"
			   "             fd00::2/128\n"
			   "   Forwards: tcp:8080:80\n"
			   "             udp:5353:5353\n"
			   "      Since: %s; ",
			   since_local("ok", true)) >= 0);
	cr_expect(strncmp(ok.out, want, strlen(want)) == 0, "got:\n%s\nexpected:\n%s...", ok.out,
		  want);
	cr_expect(matches(ok.out, "Since: [^\n]*; [0-9][^\n]* ago\n$"), "got:\n%s", ok.out);

	_cleanup_run_ struct run bad = ctl("status bad");
	_cleanup_free_ char *err = state_get(STATE_DIR, "bad", "ERROR"), *want_err = NULL;
	cr_expect_eq(bad.status, 1, "bad is failed: exit 1, got %d", bad.status);
	cr_expect(strstr(bad.out, "      State: failed\n"), "got:\n%s", bad.out);
	cr_assert(err && strstr(err, "File exists"), "ERROR=%s", strna(err));
	cr_assert(asprintf(&want_err, "\n      Error: %s\n", err) >= 0);
	cr_expect(strstr(bad.out, want_err), "the last error, as netd wrote it:\n%s", bad.out);

	_cleanup_run_ struct run w = ctl("status wait");
	cr_expect_eq(w.status, 0, "pending is not failed: exit 0, got %d", w.status);
	cr_expect(strstr(w.out, "      State: pending\n       Link: vb-wait\n"), "got:\n%s",
		  w.out);
	cr_expect(!strstr(w.out, "Error:"), "no Error for a pending container:\n%s", w.out);

	_cleanup_run_ struct run two = ctl("status ok wait");
	cr_expect_eq(two.status, 0);
	cr_expect(matches(two.out, "^\\* ok\n.*\n\n\\* wait\n"), "two blocks:\n%s", two.out);

	_cleanup_run_ struct run u = ctl("status ok nope");
	cr_expect_eq(u.status, 1, "unknown name: exit 1, got %d", u.status);
	cr_expect(strncmp(u.out, "* ok\n", 5) == 0, "ok still shown:\n%s", u.out);
	cr_expect(strstr(u.err, "nope: no such container (no /run/netd/nope.state)\n"),
		  "stderr: %s", u.err);
}

Test(netdctl, detail_running)
{
	three_containers();
	expect_details();
	_cleanup_run_ struct run r = ctl("status ok bad wait");
	cr_expect_str_eq(r.err, "", "netd runs: nothing on stderr");
}

/* netd stopped: the same state, said to be maybe stale; the exit statuses do not change. */
Test(netdctl, stopped)
{
	three_containers();
	netd_stop();

	_cleanup_run_ struct run r = ctl("status");
	_cleanup_free_ char *first = line_at(r.err, 0);
	cr_expect_str_eq(strna(first), "netd is not running: the state below may be stale");
	cr_expect_str_eq(r.err, "netd is not running: the state below may be stale\n",
			 "nothing else on stderr");
	expect_table();
	expect_json(false);
	expect_details();

	_cleanup_run_ struct run d = ctl("status ok");
	cr_expect_str_eq(d.err, "netd is not running: the state below may be stale\n");
}

/* netdctl only reads: the state directory is the same, to the nanosecond, after it ran. */
Test(netdctl, reads_only)
{
	three_containers();
	netd_stop();
	sh_ok("cd /run/netd && ls -a --full-time . >%s/before && cat * >>%s/before", TEST_DIR, TEST_DIR);
	_cleanup_run_ struct run t = ctl("status");
	_cleanup_run_ struct run j = ctl("--json");
	_cleanup_run_ struct run d = ctl("status ok bad wait nope");
	sh_ok("cd /run/netd && ls -a --full-time . >%s/after && cat * >>%s/after", TEST_DIR, TEST_DIR);
	expect_sh("cmp -s " TEST_DIR "/before " TEST_DIR "/after");
	cr_expect(t.status == 1 && j.status == 1 && d.status == 1);
}

/* The lock goes with the process, however it ends: a killed netd is seen as not running. */
Test(netdctl, killed)
{
	netd_start(CT_OK, NULL);
	ct_add("ok", false, true);
	wait_state(STATE_DIR, "ok", "configured", WAIT_MS);

	_cleanup_run_ struct run r = ctl("status");
	cr_expect_eq(r.status, 0, "only a configured container: exit 0, got %d", r.status);
	cr_expect_str_eq(r.err, "");
	cr_expect(strstr(r.out, "\n1 container: 1 configured\n"), "got:\n%s", r.out);

	netd_kill();
	_cleanup_run_ struct run k = ctl("status");
	cr_expect_eq(k.status, 0, "the notice alone does not change the exit status");
	cr_expect_str_eq(k.err, "netd is not running: the state below may be stale\n");
	/* the same table, but for how long ago */
	cr_expect_str_eq(without_ago(k.out), without_ago(r.out));
	_cleanup_run_ struct run j = ctl("--json");
	expect_jq(".netd_running == false and [.containers[].state] == [\"configured\"]");
}

/* netd never ran: no state directory. */
Test(netdctl, no_state_dir)
{
	_cleanup_run_ struct run r = ctl("status");

	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.out, "");
	cr_expect_str_eq(r.err, "Cannot read the state directory /run/netd: No such file or "
				"directory (netd is not running)\n");
	_cleanup_run_ struct run n = ctl("status web");
	cr_expect_eq(n.status, 1);
	cr_expect(strstr(n.err, "web: no such container (no /run/netd/web.state)\n"), "stderr: %s",
		  n.err);
}
