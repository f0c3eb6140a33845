// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl: see and use mbox from the shell.
 *
 *   mboxctl version                   API version and features of the module
 *   mboxctl stats [--json]            module-wide counters
 *   mboxctl list [--json] [-t TYPE]   every object we may see (/proc/mbox)
 *   mboxctl watch [-i MS] [--json]    live counters, one line per interval
 *   mboxctl create NAME [options]     create a mailbox
 *   mboxctl rm MAILBOX...             unlink mailboxes
 *   mboxctl info MAILBOX              attributes and live counters
 *   mboxctl send MAILBOX [TEXT...]    send TEXT, or one message per stdin line
 *   mboxctl recv MAILBOX [options]    receive messages to stdout
 *   mboxctl listen [options]          be reachable by pid; print messages
 *   mboxctl tell PID [TEXT...]        send to a process over a direct link
 *   mboxctl call PID TEXT             call a process and print its reply
 *   mboxctl ring SUBCOMMAND ...       shared ring segments (create, rm, info,
 *                                     send, recv)
 *
 * MAILBOX is a name, or "-i ID" for a mailbox's ID. Exit status: mboxctl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mboxctl.h"

static const struct {
	unsigned long long bit;
	const char *name;
} features[] = {
	{ MBOX_FEAT_VERSION, "version" },
	{ MBOX_FEAT_MAILBOX, "mailbox" },
	{ MBOX_FEAT_BATCH, "batch" },
	{ MBOX_FEAT_BROADCAST, "broadcast" },
	{ MBOX_FEAT_LINK, "link" },
	{ MBOX_FEAT_RING, "ring" },
	{ MBOX_FEAT_PIDFD, "pidfd" },
};

static int cmd_version(void)
{
	struct mbox_version ver;
	int ret;

	ret = mbox_dev_open(0);
	if (ret >= 0) {
		int fd = ret;

		ret = mbox_version(fd, &ver);
		close(fd);
	}
	if (ret < 0) {
		fprintf(stderr, "mboxctl: version: %s: %s\n", MBOX_DEVICE_PATH,
			mbox_strerror(ret));
		return EXIT_FAILURE;
	}
	printf("api version: %u\nfeatures:", ver.api_version);
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (ver.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	return 0;
}

/*
 * mboxctl stats [--json]: MBOX_IOC_STATS, the one source of both forms
 * (the same counters as the first lines of /proc/mbox/stats).
 */
static int cmd_stats(bool json)
{
	static const char *const names[] = {
		"mailboxes", "messages", "bytes", "endpoints", "links", "rings",
	};
	struct mbox_stats st;
	unsigned long long val[6];
	int ret = mbox_stats(-1, &st);

	if (ret < 0) {
		fprintf(stderr, "mboxctl: stats: %s\n", mbox_strerror(ret));
		return EXIT_FAILURE;
	}
	val[0] = st.mailboxes;
	val[1] = st.messages;
	val[2] = st.bytes;
	val[3] = st.endpoints;
	val[4] = st.links;
	val[5] = st.rings;
	for (size_t i = 0; i < 6; i++) {
		if (json)
			printf("%s\"%s\": %llu", i ? ", " : "{", names[i], val[i]);
		else
			printf("%s:%*s%llu\n", names[i], (int)(10 - strlen(names[i])), "",
			       val[i]);
	}
	if (json)
		printf("}\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mboxctl COMMAND [options] [operands]\n"
		"\n"
		"  version                      API version and features of the module\n"
		"  stats [--json]               module-wide counters\n"
		"  list [--json] [-t mailbox|ring|endpoint] [NAME]\n"
		"                               every object of this IPC namespace: ID,\n"
		"                               name, owner, mode, queued messages and\n"
		"                               bytes, waiters, totals (/proc/mbox/objects)\n"
		"  watch [-i MS] [-c COUNT] [--json]\n"
		"                               live counters and per-user usage, every MS\n"
		"                               milliseconds (default 1000)\n"
		"  create NAME [-m MODE] [-c N|unbounded] [-s MSGSIZE] [-b BYTES]\n"
		"         [--drop-oldest] [--broadcast] [-x]\n"
		"                               create a mailbox (default 0600, 64 messages;\n"
		"                               -c 0 is a rendezvous mailbox); prints its ID\n"
		"  rm NAME... | rm -i ID        unlink mailboxes\n"
		"  info NAME | info -i ID       attributes and live counters\n"
		"  send (NAME|-i ID) [-p PRIO] [-n] [-t MS] [--confirm] [TEXT...]\n"
		"                               send each TEXT, or each line of stdin\n"
		"  recv (NAME|-i ID) [-c N | -f] [-n] [-t MS] [--peek] [--from PID] [-v]\n"
		"                               receive 1 (or N, or all until -n/-t runs\n"
		"                               out) messages, one per output line\n"
		"  listen [-c N | -f] [-n] [-t MS] [-m MODE] [-e] [-v]\n"
		"                               make this process's endpoint (reachable by\n"
		"                               its pid) and print 1 (or N, or all)\n"
		"                               messages; -e answers calls with their text\n"
		"  tell PID [-a] [-n] [-t MS] [TEXT...]\n"
		"                               send each TEXT (or stdin line) to process\n"
		"                               PID; waits until PID has it unless -a\n"
		"  call PID [-t MS] TEXT        call PID and print its reply\n"
		"  ring create NAME [-m MODE] [-s BYTES]\n"
		"                               create a ring (default 0600, 64 KiB: a\n"
		"                               power of two); prints its ID\n"
		"  ring rm NAME...              unlink rings\n"
		"  ring info NAME               attributes, roles, fill level, sleeps\n"
		"  ring send NAME [TEXT...]     attach as the producer and send each TEXT\n"
		"                               (or stdin line); detaching ends the stream\n"
		"  ring recv NAME [-c N] [-n] [-t MS]\n"
		"                               attach as the consumer and print records\n"
		"                               until the stream ends (or N of them)\n"
		"\n"
		"exit status: 0 ok, 1 failed, 2 usage, 3 no message/room before -n/-t\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Each command parses its own options, starting after its name. */
	argc--;
	argv++;
	if (!strcmp(cmd, "version"))
		return cmd_version();
	if (!strcmp(cmd, "stats") && argc == 2 && !strcmp(argv[1], "--json"))
		return cmd_stats(true);
	if (!strcmp(cmd, "stats"))
		return argc == 1 ? cmd_stats(false) :
		       usage_error("stats", "usage: mboxctl stats [--json]");
	if (!strcmp(cmd, "list") || !strcmp(cmd, "ls"))
		return cmd_list(argc, argv);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc, argv);
	if (!strcmp(cmd, "create"))
		return cmd_create(argc, argv);
	if (!strcmp(cmd, "rm"))
		return cmd_rm(argc, argv);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv);
	if (!strcmp(cmd, "send"))
		return cmd_send(argc, argv);
	if (!strcmp(cmd, "recv"))
		return cmd_recv(argc, argv);
	if (!strcmp(cmd, "listen"))
		return cmd_listen(argc, argv);
	if (!strcmp(cmd, "tell"))
		return cmd_tell(argc, argv);
	if (!strcmp(cmd, "call"))
		return cmd_call(argc, argv);
	if (!strcmp(cmd, "ring"))
		return cmd_ring(argc, argv);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mboxctl: unknown command '%s' (see mboxctl --help)\n",
		cmd);
	return EXIT_USAGE;
}
