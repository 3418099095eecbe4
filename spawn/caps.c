/* SPDX-License-Identifier: MIT */
/* Capability names and the reduction of the bounding, inheritable and ambient sets. */
#include <linux/capability.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"

#define C(x) (UINT64_C(1) << CAP_##x)

const uint64_t caps_default =
	C(AUDIT_CONTROL) | C(AUDIT_WRITE) | C(CHOWN) | C(DAC_OVERRIDE) | C(DAC_READ_SEARCH) |
	C(FOWNER) | C(FSETID) | C(IPC_OWNER) | C(KILL) | C(LEASE) | C(LINUX_IMMUTABLE) |
	C(MKNOD) | C(NET_BIND_SERVICE) | C(NET_BROADCAST) | C(NET_RAW) | C(SETFCAP) | C(SETGID) |
	C(SETPCAP) | C(SETUID) | C(SYS_ADMIN) | C(SYS_BOOT) | C(SYS_CHROOT) | C(SYS_NICE) |
	C(SYS_PTRACE) | C(SYS_RESOURCE) | C(SYS_TTY_CONFIG);

static const char *const names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

int caps_from_name(const char *name)
{
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int caps_for(char *const *list, bool private_network, bool tun, uint64_t *ret,
	     const char **ret_bad)
{
	uint64_t set = caps_default;

	for (; list && *list; list++) {
		int c = caps_from_name(*list);

		if (c < 0) {
			*ret_bad = *list;
			return -EINVAL;
		}
		set |= UINT64_C(1) << c;
	}
	if (private_network || tun)
		set |= C(NET_ADMIN);
	*ret = set;
	return 0;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int caps_apply(uint64_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int last = last_cap();

	for (int c = 0; c <= last && c < 64; c++)
		if (!(keep & (UINT64_C(1) << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}
