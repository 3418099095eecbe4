/* SPDX-License-Identifier: MIT */
/* netdctl: command line. Reads netd's state directory; never talks to netd or the kernel. */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "status.h"
#include "timefmt.h"

#define EXIT_USAGE 2

static void help(void)
{
	printf(
	    "Usage: netdctl [OPTION]... [status [NAME]...]\n"
	    "Show the state of netd's containers, as netd records it in its state directory.\n"
	    "\n"
	    "Commands:\n"
	    "  status              one line per container: NAME, STATE (configured, pending or\n"
	    "                      failed), LINK (the host side's interface), ADDRESSES (the\n"
	    "                      container side's), FORWARDS, SINCE (the last state change);\n"
	    "                      then a summary line (the default command)\n"
	    "  status NAME...      State, Link, Namespace, Addresses, Forwards, Since and, for a\n"
	    "                      failed container, the Error netd met\n"
	    "\n"
	    "Options:\n"
	    "  -s, --state-dir DIR  netd's state directory (default /run/netd)\n"
	    "      --json[=MODE]    print JSON: short (the default) or pretty; an object with\n"
	    "                       \"netd_running\", \"state_dir\" and a \"containers\" array\n"
	    "      --no-legend      no header and summary lines in the table\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "netdctl only reads files: it works whether or not netd is running. When netd is not\n"
	    "running (it holds a lock on DIR/netd.lock while it is), the text output is preceded\n"
	    "by a notice on stderr; in JSON, \"netd_running\" says so.\n"
	    "\n"
	    "Exit status: 0; 1 when a container shown is failed, a NAME has no state file, or\n"
	    "the state directory or a state file cannot be read; 2 on a usage error.\n");
}

struct args {
	const char *state_dir; /* borrowed: argv or a literal */
	enum status_json json;
	bool legend;
	char **names; /* borrowed: argv */
	size_t n_names;
};

static int parse_json(const char *s, enum status_json *ret)
{
	if (!s || strcmp(s, "short") == 0)
		*ret = STATUS_JSON_SHORT;
	else if (strcmp(s, "pretty") == 0)
		*ret = STATUS_JSON_PRETTY;
	else if (strcmp(s, "off") == 0)
		*ret = STATUS_JSON_OFF;
	else
		return -EINVAL;
	return 0;
}

/* Returns 0 to run, 1 to exit successfully (help, version), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, struct args *a)
{
	enum { ARG_JSON = 0x100, ARG_NO_LEGEND };
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", optional_argument, NULL, ARG_JSON },
		{ "no-legend", no_argument, NULL, ARG_NO_LEGEND },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:hV", opts, NULL)) >= 0) {
		switch (c) {
		case 's':
			a->state_dir = optarg;
			break;
		case ARG_JSON:
			if (parse_json(optarg, &a->json) < 0) {
				fprintf(stderr,
					"netdctl: invalid --json mode \"%s\" "
					"(short, pretty or off)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case ARG_NO_LEGEND:
			a->legend = false;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("netdctl %s\n", NETD_VERSION);
			return 1;
		default:
			return -EINVAL;
		}
	}
	/* No command means status, as `networkctl` alone lists its links. */
	if (optind < argc && strcmp(argv[optind], "status") != 0) {
		fprintf(stderr, "netdctl: unknown command \"%s\" (see netdctl --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (optind < argc)
		optind++;
	a->names = argv + optind;
	a->n_names = (size_t)(argc - optind);
	return 0;
}

/* Colour only for a person at a terminal that understands it (https://no-color.org). */
static bool want_color(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

int main(int argc, char **argv)
{
	struct args a = { .state_dir = "/run/netd", .legend = true };
	struct status_opts o;
	int r = parse_args(argc, argv, &a);

	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	/* LC_CTYPE only: is the terminal's charset UTF-8. Dates stay in the C locale's format. */
	(void)setlocale(LC_CTYPE, "");
	o = (struct status_opts){
		.state_dir = a.state_dir,
		.json = a.json,
		.legend = a.legend,
		.color = a.json == STATUS_JSON_OFF && want_color(),
		.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0,
		.now_usec = timefmt_now(),
		.netd_running = state_dir_locked(a.state_dir),
	};
	return status_run(&o, a.names, a.n_names, stdout, stderr);
}
