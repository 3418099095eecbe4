/* SPDX-License-Identifier: MIT */
/* State files: format/parse round trip, atomic replacement, removal, malformed input. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/test-state.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_dir(void)
{
	(void)nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(state, .init = make_dir, .fini = remove_dir);

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &size, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Entries in dir other than . and .. */
static int count_entries(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(dh);
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dh);
	return n;
}

Test(state, kind_strings)
{
	cr_expect_str_eq(state_kind_to_string(STATE_PENDING), "pending");
	cr_expect_str_eq(state_kind_to_string(STATE_CONFIGURED), "configured");
	cr_expect_str_eq(state_kind_to_string(STATE_FAILED), "failed");
	cr_expect_null(state_kind_to_string(_STATE_MAX));
	cr_expect_null(state_kind_to_string(_STATE_INVALID));
	cr_expect_eq(state_kind_from_string("configured"), STATE_CONFIGURED);
	cr_expect_eq(state_kind_from_string("Configured"), _STATE_INVALID);
	cr_expect_eq(state_kind_from_string(""), _STATE_INVALID);
}

Test(state, format)
{
	char *extra[] = { "ADDRESSES=10.0.0.2/32", NULL };
	struct state_file s = {
		.state = STATE_FAILED,
		.ifname = "ve-web",
		.netns = "/run/netns/web",
		.error = "line one\nline two",
		.extra = extra,
	};
	char *text = NULL;

	cr_assert_eq(state_file_format(&s, &text), 0);
	cr_expect_str_eq(text, "STATE=failed\nIFNAME=ve-web\nNETNS=/run/netns/web\n"
			       "ERROR=line one line two\nADDRESSES=10.0.0.2/32\n");
	free(text);

	s = (struct state_file){ .state = STATE_PENDING };
	cr_assert_eq(state_file_format(&s, &text), 0);
	cr_expect_str_eq(text, "STATE=pending\n");
	free(text);

	s.state = _STATE_INVALID;
	cr_expect_eq(state_file_format(&s, &text), -EINVAL);
}

Test(state, round_trip)
{
	char *extra[] = { "FORWARDS=tcp/8080", "X=a=b", NULL };
	struct state_file in = {
		.state = STATE_CONFIGURED,
		.ifname = "vb-db",
		.netns = "unmanaged",
		.extra = extra,
	};
	struct state_file out = {};
	char *text = NULL;

	cr_assert_eq(state_file_format(&in, &text), 0);
	cr_assert_eq(state_file_parse(text, &out), 0);
	cr_expect_eq(out.state, STATE_CONFIGURED);
	cr_expect_str_eq(out.ifname, "vb-db");
	cr_expect_str_eq(out.netns, "unmanaged");
	cr_expect_null(out.error);
	cr_assert_not_null(out.extra);
	cr_expect_str_eq(out.extra[0], "FORWARDS=tcp/8080");
	cr_expect_str_eq(out.extra[1], "X=a=b");
	cr_expect_null(out.extra[2]);
	free(text);
	state_file_done(&out);
	cr_expect_null(out.ifname);
}

Test(state, parse_errors)
{
	static const struct {
		const char *name, *text;
		int ret;
	} cases[] = {
		{ "empty", "", -EBADMSG },
		{ "no state", "IFNAME=ve-web\n", -EBADMSG },
		{ "bad state", "STATE=running\n", -EBADMSG },
		{ "missing =", "STATE=pending\ngarbage\n", -EBADMSG },
		{ "empty key", "STATE=pending\n=x\n", -EBADMSG },
		{ "ok without newline", "STATE=pending", 0 },
		{ "ok blank lines", "\nSTATE=failed\n\nERROR=x\n", 0 },
		{ "later wins", "STATE=pending\nSTATE=configured\n", 0 },
	};
	struct state_file s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0x5a, sizeof(s));
		cr_expect_eq(state_file_parse(cases[i].text, &s), cases[i].ret, "case %s",
			     cases[i].name);
		if (cases[i].ret == 0)
			state_file_done(&s);
		else
			cr_expect_eq(s.state, (enum state_kind)0x5a5a5a5a,
				     "case %s: output touched on failure", cases[i].name);
	}
	cr_assert_eq(state_file_parse("STATE=pending\nSTATE=configured\n", &s), 0);
	cr_expect_eq(s.state, STATE_CONFIGURED);
	state_file_done(&s);
}

Test(state, write_read_replace)
{
	struct state_file s = { .state = STATE_PENDING, .ifname = "ve-web", .netns = "unmanaged" };
	struct state_file got = {};
	char path[128], *text;
	struct stat st;

	cr_assert_eq(state_file_write(dir, "web", &s), 0);
	snprintf(path, sizeof(path), "%s/web.state", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644);
	text = read_all(path);
	cr_expect_str_eq(text, "STATE=pending\nIFNAME=ve-web\nNETNS=unmanaged\n");
	free(text);

	s.state = STATE_CONFIGURED;
	cr_assert_eq(state_file_write(dir, "web", &s), 0);
	cr_assert_eq(state_file_read(dir, "web", &got), 0);
	cr_expect_eq(got.state, STATE_CONFIGURED);
	cr_expect_str_eq(got.ifname, "ve-web");
	state_file_done(&got);
	cr_expect_eq(count_entries(dir), 1, "no temporary file may be left behind");
}

/*
 * A reader that opened the file before a rewrite reads the old content whole: the new one is
 * a new file renamed over the name, never the old one truncated and refilled under it.
 */
Test(state, rewrite_leaves_open_reader_whole)
{
	char *extra[] = { "ADDRESSES=10.0.0.2/32 fd00::2/128", NULL };
	struct state_file before = { .state = STATE_PENDING, .ifname = "ve-web",
				     .netns = "/run/netns/web", .extra = extra };
	struct state_file after = { .state = STATE_FAILED, .ifname = "ve-web",
				    .netns = "unmanaged", .error = "x" };
	char path[128], buf[512], *want = NULL, *now;
	int fd;
	ssize_t n;

	cr_assert_eq(state_file_write(dir, "web", &before), 0);
	cr_assert_eq(state_file_format(&before, &want), 0);
	snprintf(path, sizeof(path), "%s/web.state", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));

	cr_assert_eq(state_file_write(dir, "web", &after), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	cr_assert_geq(n, 0, "read: %s", strerror(errno));
	buf[n] = '\0';
	close(fd);
	cr_expect_str_eq(buf, want, "the reader holding the old file read '%s'", buf);
	now = read_all(path);
	cr_assert_not_null(now);
	cr_expect(strstr(now, "STATE=failed\n") != NULL, "the name holds the new content: %s",
		  now);
	free(now);
	free(want);
}

/*
 * A symlink planted at the state path is replaced by the state file, not followed: what it
 * points to is left as it was.
 */
Test(state, symlink_at_path_replaced)
{
	struct state_file s = { .state = STATE_CONFIGURED, .ifname = "ve-web" };
	char path[128], target[128], *text;
	struct stat st;
	FILE *f;

	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(path, sizeof(path), "%s/web.state", dir);
	f = fopen(target, "we");
	cr_assert_not_null(f);
	fputs("not a state file\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(symlink(target, path), 0, "symlink: %s", strerror(errno));

	cr_assert_eq(state_file_write(dir, "web", &s), 0);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "%s is not a regular file (mode %o)", path, st.st_mode);
	text = read_all(target);
	cr_expect_str_eq(text, "not a state file\n", "the symlink's target was written");
	free(text);
	text = read_all(path);
	cr_expect_str_eq(text, "STATE=configured\nIFNAME=ve-web\n");
	free(text);
}

Test(state, write_creates_dir)
{
	struct state_file s = { .state = STATE_CONFIGURED };
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	cr_assert_eq(state_file_write(sub, "db", &s), 0);
	cr_expect_eq(count_entries(sub), 1);
}

Test(state, write_rejects_bad_names)
{
	struct state_file s = { .state = STATE_CONFIGURED };

	cr_expect_eq(state_file_write(dir, "", &s), -EINVAL);
	cr_expect_eq(state_file_write(dir, "../x", &s), -EINVAL);
	cr_expect_eq(state_file_write(dir, ".hidden", &s), -EINVAL);
	s.state = _STATE_INVALID;
	cr_expect_eq(state_file_write(dir, "web", &s), -EINVAL);
	cr_expect_eq(count_entries(dir), 0);
}

Test(state, remove)
{
	struct state_file s = { .state = STATE_CONFIGURED };
	struct state_file got;

	cr_expect_eq(state_file_remove(dir, "missing"), 0);
	cr_assert_eq(state_file_write(dir, "web", &s), 0);
	cr_expect_eq(state_file_remove(dir, "web"), 0);
	cr_expect_eq(count_entries(dir), 0);
	cr_expect_eq(state_file_read(dir, "web", &got), -ENOENT);
	cr_expect_eq(state_file_remove(dir, "web"), 0);
}

Test(state, read_malformed)
{
	char path[128];
	FILE *f;
	struct state_file got;

	snprintf(path, sizeof(path), "%s/bad.state", dir);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs("IFNAME=ve-bad\n", f);
	fclose(f);
	cr_expect_eq(state_file_read(dir, "bad", &got), -EBADMSG);
}
