// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl: ring commands (ring create, rm, info, send, recv). A ring used
 * from the shell behaves like a named pipe of records: "ring send" attaches
 * as the producer for as long as it runs, and "ring recv" reads until the
 * producer has left and the ring is drained.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mboxctl.h"

static const char *explain(int err)
{
	switch (-err) {
	case ENOENT:
		return "no such ring";
	case EEXIST:
		return "already exists";
	case EBUSY:
		return "the role is taken (another producer or consumer is attached)";
	case EPIPE:
		return "the consumer has left";
	case EBADMSG:
		return "the ring is corrupted";
	case EAGAIN:
		return "no record waiting, or no room";
	case EPERM:
		return "not the owner (nor CAP_IPC_OWNER)";
	case EINVAL:
		return "invalid (the size must be a power of two, at least a page)";
	default:
		return explain_common(err);
	}
}

/* "mboxctl: ring recv: ring 'log': no such ring" */
static int fail(const char *cmd, const char *name, int err)
{
	fprintf(stderr, "mboxctl: ring %s: ring '%s': %s\n", cmd, name, explain(err));
	return exit_status(err);
}

static int operand(const char *cmd, int argc, char **argv, const char **name)
{
	if (optind >= argc)
		return usage_error(cmd, "which ring? give its name");
	*name = argv[optind++];
	return 0;
}

static int ring_create(int argc, char **argv)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 65536 };
	unsigned int flags = MBOX_RING_CREATE | MBOX_RING_EXCL;
	struct mbox_ring_info in;
	struct mbox_ring *r;
	const char *name = NULL;
	uint32_t num;
	char *end;
	int c, ret;

	while ((c = getopt(argc, argv, "m:s:")) != -1) {
		switch (c) {
		case 'm':
			attr.mode = (unsigned int)strtoul(optarg, &end, 8);
			if (!*optarg || *end || attr.mode > 0777)
				return usage_error("ring create", "bad mode (octal)");
			break;
		case 's':
			if (!parse_u32(optarg, &num))
				return usage_error("ring create", "bad size");
			attr.data_size = num;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	ret = operand("ring create", argc, argv, &name);
	if (ret)
		return ret;
	ret = mbox_ring_open(-1, name, flags, &attr, &r);
	if (ret)
		return fail("create", name, ret);
	ret = mbox_ring_info(r, &in);
	mbox_ring_close(r);
	if (ret)
		return fail("create", name, ret);
	printf("%" PRIu64 "\n", (uint64_t)in.id);
	return 0;
}

static int ring_rm(int argc, char **argv)
{
	int ret, status = 0;

	if (argc < 2)
		return usage_error("ring rm", "which ring? give its name");
	for (int i = 1; i < argc; i++) {
		ret = mbox_ring_unlink(-1, argv[i]);
		if (ret)
			status = fail("rm", argv[i], ret);
	}
	return status;
}

static void print_roles(uint32_t state)
{
	printf("producer:      %s\n", state & MBOX_RING_F_PRODUCER ? "attached" :
	       state & MBOX_RING_F_PRODUCER_GONE ? "left" : "none yet");
	printf("consumer:      %s\n", state & MBOX_RING_F_CONSUMER ? "attached" :
	       state & MBOX_RING_F_CONSUMER_GONE ? "left" : "none yet");
}

static int ring_info(int argc, char **argv)
{
	struct mbox_ring_info in;
	struct mbox_ring *r;
	const char *name = NULL;
	int ret;

	optind = 1;
	ret = operand("ring info", argc, argv, &name);
	if (ret)
		return ret;
	ret = mbox_ring_open(-1, name, 0, NULL, &r);	/* an observer */
	if (ret)
		return fail("info", name, ret);
	ret = mbox_ring_info(r, &in);
	mbox_ring_close(r);
	if (ret)
		return fail("info", name, ret);
	printf("id:            %" PRIu64 "\n", (uint64_t)in.id);
	printf("owner:         uid %u gid %u mode %04o\n", in.uid, in.gid, in.mode);
	printf("data area:     %u bytes, records up to %u bytes\n", in.data_size, in.rec_max);
	print_roles(in.state);
	printf("in use:        %u bytes (producer index %u, consumer index %u)\n",
	       in.prod - in.cons, in.prod, in.cons);
	printf("sleeps:        producer %" PRIu64 ", consumer %" PRIu64 "\n",
	       (uint64_t)in.prod_sleeps, (uint64_t)in.cons_sleeps);
	printf("wake calls:    %" PRIu64 " (%" PRIu64 " found a sleeper)\n",
	       (uint64_t)in.wake_calls, (uint64_t)in.wakeups);
	printf("state:         %s\n", in.state & (MBOX_STATE_UNLINKED << 8) ?
	       "unlinked" : "linked");
	return 0;
}

static int send_line(void *ctx, const char *line, size_t len)
{
	return mbox_ring_send(ctx, line, len, 0, 0);
}

static int ring_send(int argc, char **argv)
{
	struct mbox_ring *r;
	const char *name = NULL;
	int ret;

	optind = 1;
	ret = operand("ring send", argc, argv, &name);
	if (ret)
		return ret;
	ret = mbox_ring_open(-1, name, MBOX_RING_PRODUCER, NULL, &r);
	if (ret)
		return fail("send", name, ret);
	if (optind == argc)
		ret = for_each_line(send_line, r);
	for (; !ret && optind < argc; optind++)
		ret = mbox_ring_send(r, argv[optind], strlen(argv[optind]), 0, 0);
	mbox_ring_close(r);
	return ret ? fail("send", name, ret) : 0;
}

static int ring_recv(int argc, char **argv)
{
	unsigned long count = 0, n;
	struct waitopt w = { 0 };
	struct mbox_ring *r;
	const char *name = NULL;
	uint32_t num;
	int c, ret;

	while ((c = getopt(argc, argv, "c:nt:")) != -1) {
		switch (c) {
		case 'c':
			if (!parse_u32(optarg, &num) || !num)
				return usage_error("ring recv", "bad count");
			count = num;
			break;
		case 'n':
		case 't':
			ret = parse_wait(&w, c, "ring recv");
			if (ret)
				return ret;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	ret = operand("ring recv", argc, argv, &name);
	if (ret)
		return ret;
	ret = mbox_ring_open(-1, name, MBOX_RING_CONSUMER, NULL, &r);
	if (ret)
		return fail("recv", name, ret);
	for (n = 0; !count || n < count; n++) {
		const void *rec;

		ret = mbox_ring_peek(r, &rec, w.flags, w.timeout_ns);
		if (ret < 0)
			break;
		print_payload(rec, (size_t)ret);
		ret = mbox_ring_release(r);
		if (ret)
			break;
	}
	mbox_ring_close(r);
	/* The producer left and everything is read: the end of the stream. */
	if (ret == -EPIPE || ret >= 0)
		return 0;
	return fail("recv", name, ret);
}

int cmd_ring(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	argc--;
	argv++;
	optind = 1;
	if (!strcmp(sub, "create"))
		return ring_create(argc, argv);
	if (!strcmp(sub, "rm"))
		return ring_rm(argc, argv);
	if (!strcmp(sub, "info"))
		return ring_info(argc, argv);
	if (!strcmp(sub, "send"))
		return ring_send(argc, argv);
	if (!strcmp(sub, "recv"))
		return ring_recv(argc, argv);
	return usage_error("ring", "give create, rm, info, send or recv");
}
