/* SPDX-License-Identifier: MIT */
/* Looking at what the container will run, before it runs (see exec.h). */
#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "exec.h"

#define NIXOS_SYSTEM "/nix/var/nix/profiles/system"

static int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

static bool exists_in_root(int root_fd, const char *path)
{
	int fd = open_in_root(root_fd, path, O_PATH);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

const char *exec_default_init(int root_fd)
{
	if (exists_in_root(root_fd, NIXOS_SYSTEM "/init"))
		return NIXOS_SYSTEM "/init";
	return "/sbin/init";
}

bool exec_elf_is_i386(const void *buf, size_t len)
{
	const Elf32_Ehdr *h = buf;

	if (len < sizeof(*h) || memcmp(h->e_ident, ELFMAG, SELFMAG) != 0)
		return false;
	return h->e_ident[EI_CLASS] == ELFCLASS32 && h->e_ident[EI_DATA] == ELFDATA2LSB &&
	       h->e_machine == EM_386;
}

static ssize_t read_head(int root_fd, const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open_in_root(root_fd, path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* Resolve a command name through EXEC_PATH inside the root. Returns 0 with ret filled. */
static int find_program(int root_fd, const char *program, char *ret, size_t len)
{
	_cleanup_free_ char *path = strdup(EXEC_PATH);
	char *save = NULL;

	if (strchr(program, '/')) {
		(void)snprintf(ret, len, "%s", program);
		return 0;
	}
	if (!path)
		return -ENOMEM;
	for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		(void)snprintf(ret, len, "%s/%s", d, program);
		if (exists_in_root(root_fd, ret))
			return 0;
	}
	return -ENOENT;
}

bool exec_wants_x86(int root_fd, const char *program)
{
#if defined(__x86_64__)
	char buf[256], path[4096];
	ssize_t n;

	n = read_head(root_fd, NIXOS_SYSTEM "/system", buf, sizeof(buf));
	if (n > 0)
		return strncmp(buf, "i686-linux", 10) == 0;
	if (find_program(root_fd, program, path, sizeof(path)) < 0)
		return false;
	/* A script: its interpreter decides (one level, as the kernel's binfmt_script). */
	for (int depth = 0; depth < 2; depth++) {
		n = read_head(root_fd, path, buf, sizeof(buf));
		if (n <= 0)
			return false;
		if (n > 2 && buf[0] == '#' && buf[1] == '!') {
			char *p = buf + 2 + strspn(buf + 2, " \t");

			p[strcspn(p, " \t\n")] = '\0';
			(void)snprintf(path, sizeof(path), "%s", p);
			continue;
		}
		return exec_elf_is_i386(buf, (size_t)n);
	}
#endif
	return false;
}

bool exec_root_has_systemd(int root_fd)
{
	return exists_in_root(root_fd, NIXOS_SYSTEM "/systemd") ||
	       exists_in_root(root_fd, "/usr/lib/systemd/systemd") ||
	       exists_in_root(root_fd, "/lib/systemd/systemd");
}
