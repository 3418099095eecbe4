/* SPDX-License-Identifier: MIT */
/* The mount plan, built from declarations: order, contents, refusals. No kernel involved. */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <criterion/criterion.h>

#include "conf.h"
#include "mount.h"

static struct conf *conf;
static struct mount_plan *plan;
static char err[512];

static void fini(void)
{
	plan = mount_plan_free(plan);
	conf = conf_free(conf);
}

TestSuite(mount_plan, .fini = fini);

/* Parse "[Container c]\n" + body and build its plan; returns mount_plan_new()'s result. */
static int build(const char *body)
{
	char *text = NULL;
	int r;

	cr_assert(asprintf(&text, "[Container c]\n%s", body) >= 0);
	r = conf_parse_string("test.conf", text, &conf);
	free(text);
	cr_assert(r == 0, "config rejected: %s", conf && conf->n_errors ? conf->errors[0] : "");
	err[0] = '\0';
	return mount_plan_new(conf_find_container(conf, "c"), "/etc/resolv.conf", &plan, err,
			      sizeof(err));
}

static ssize_t find(enum mount_kind kind, const char *dest)
{
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].kind == kind && strcmp(plan->ops[i].dest, dest) == 0)
			return (ssize_t)i;
	return -1;
}

Test(mount_plan, base_order)
{
	static const struct {
		enum mount_kind kind;
		const char *dest;
	} order[] = {
	    {MOUNT_ROOT_BIND, "/"},
	    {MOUNT_RUN, "/run"},
	    {MOUNT_PROC, "/proc"},
	    {MOUNT_PROC_MASK, "/proc/kcore"},
	    {MOUNT_PROC_MASK, "/proc/timer_list"},
	    {MOUNT_PROC_READONLY, "/proc/sys"},
	    {MOUNT_PROC_READONLY, "/proc/bus"},
	    {MOUNT_SYS, "/sys"},
	    {MOUNT_DEV, "/dev"},
	    {MOUNT_DEV_NODE, "/dev/null"},
	    {MOUNT_DEV_NODE, "/dev/tty"},
	    {MOUNT_DEVPTS, "/dev/pts"},
	    {MOUNT_DEV_SYMLINK, "/dev/ptmx"},
	    {MOUNT_DEV_SHM, "/dev/shm"},
	    {MOUNT_COPY_FILE, "/etc/resolv.conf"},
	    {MOUNT_ENSURE_FILE, "/etc/os-release"},
	    {MOUNT_ENSURE_FILE, "/etc/machine-id"},
	};
	ssize_t last = -1;

	cr_assert(build("Directory=/srv/c\n") == 0, "%s", err);
	cr_expect_str_eq(plan->ops[0].source, "/srv/c");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ssize_t at = find(order[i].kind, order[i].dest);

		cr_expect(at > last, "%s %s at %zd, after %zd", mount_kind_to_string(order[i].kind),
			  order[i].dest, at, last);
		last = at;
	}
	cr_expect(plan->ops[plan->n_ops - 1].kind == MOUNT_ENSURE_FILE);
}

Test(mount_plan, default_directory_and_ephemeral)
{
	cr_assert(build("Ephemeral=yes\n") == 0, "%s", err);
	cr_expect(plan->ops[0].kind == MOUNT_ROOT_OVERLAY);
	cr_expect_str_eq(plan->ops[0].source, "/var/lib/containers/c");
}

Test(mount_plan, dev_nodes_are_fixed_and_verified_kinds)
{
	ssize_t i;

	cr_assert(build("") == 0, "%s", err);
	i = find(MOUNT_DEV_NODE, "/dev/urandom");
	cr_assert(i >= 0);
	cr_expect(plan->ops[i].rdev == makedev(1, 9));
	cr_expect(S_ISCHR(plan->ops[i].mode));
	cr_expect(find(MOUNT_DEV_NODE, "/dev/net/tun") < 0, "tun without EnableTun");
}

Test(mount_plan, enable_tun_and_device_allow)
{
	ssize_t i;

	cr_assert(build("EnableTun=yes\nDeviceAllow=/dev/fuse rw\nDeviceAllow=/dev/kvm r\n"
			"DeviceAllow=char-pts rw\nDeviceAllow=/dev/null rw\n") == 0,
		  "%s", err);
	i = find(MOUNT_DEV_NODE, "/dev/net/tun");
	cr_assert(i >= 0);
	cr_expect(plan->ops[i].rdev == makedev(10, 200));
	cr_expect(find(MOUNT_DEV_NODE, "/dev/fuse") > find(MOUNT_DEV, "/dev"));
	i = find(MOUNT_DEV_NODE, "/dev/kvm");
	cr_assert(i >= 0);
	cr_expect((plan->ops[i].mode & 0777) == 0444, "read-only access: %o", plan->ops[i].mode);
	cr_expect_str_eq(plan->ops[i].source, "/dev/kvm");
	/* A device class is for the cgroup; a node already made is not made twice. */
	for (size_t k = 0, n = 0; k < plan->n_ops; k++) {
		cr_expect(!strstr(plan->ops[k].dest, "char-"));
		if (strcmp(plan->ops[k].dest, "/dev/null") == 0)
			cr_expect(++n == 1, "/dev/null twice");
	}
}

Test(mount_plan, binds_and_tmpfs_sorted_parents_first)
{
	static const char *const want[] = {"/data", "/data/cache", "/data/x", "/data-old", "/srv"};
	size_t first;

	cr_assert(build("Bind=/host/x:/data/x\nTemporaryFileSystem=/data/cache:size=1m\n"
			"BindReadOnly=/host/d:/data\nBind=/srv\nBind=/host/o:/data-old\n") == 0,
		  "%s", err);
	first = (size_t)find(MOUNT_DEV_MQUEUE, "/dev/mqueue") + 1;
	for (size_t i = 0; i < 5; i++)
		cr_expect_str_eq(plan->ops[first + i].dest, want[i], "position %zu", i);
	cr_expect(plan->ops[first].kind == MOUNT_BIND && plan->ops[first].read_only);
	cr_expect_str_eq(plan->ops[first].source, "/host/d");
	cr_expect(plan->ops[first + 1].kind == MOUNT_TMPFS);
	cr_expect_str_eq(plan->ops[first + 1].options, "size=1m");
	cr_expect(!plan->ops[first + 2].read_only);
	cr_expect_str_eq(plan->ops[first + 4].source, "/srv", "SRC alone binds to the same path");
}

Test(mount_plan, refusals)
{
	static const struct {
		const char *body, *words;
	} cases[] = {
	    {"Bind=/a:/proc/x\n", "/proc/x"},
	    {"Bind=/a:/sys\n", "/sys"},
	    {"Bind=/a:/\n", "cannot mount over \"/\""},
	    {"TemporaryFileSystem=/proc\n", "/proc"},
	    {"Bind=/a:/x/../../etc\n", "\"..\""},
	    {"TemporaryFileSystem=/x/..\n", "invalid path"},
	    {"DeviceAllow=/etc/passwd rw\n", "not a node under /dev"},
	    {"DeviceAllow=/dev/pts/0 rw\n", "not a node under /dev"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = build(cases[i].body);

		cr_expect(r == -EINVAL, "case %zu (%s): %d", i, cases[i].body, r);
		cr_expect(strstr(err, cases[i].words), "case %zu: message \"%s\"", i, err);
		fini();
	}
}

Test(mount_plan, normalize)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"/", "/"},	   {"//a//b/", "/a/b"}, {"/a/./b", "/a/b"}, {"/./", "/"},
	    {"a/b", NULL}, {"/a/../b", NULL},	{"/..", NULL},	    {"/a/..b", "/a/..b"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		int r = mount_path_normalize(cases[i].in, &out);

		if (!cases[i].out)
			cr_expect(r == -EINVAL, "%s: %d", cases[i].in, r);
		else
			cr_expect(r == 0 && strcmp(out, cases[i].out) == 0, "%s -> %s", cases[i].in,
				  out ? out : "(error)");
		free(out);
	}
}

Test(mount_plan, kind_names)
{
	for (int k = 0; k < _MOUNT_KIND_MAX; k++)
		cr_expect(mount_kind_to_string((enum mount_kind)k), "kind %d has no name", k);
	cr_expect(mount_kind_to_string(_MOUNT_KIND_MAX) == NULL);
}
