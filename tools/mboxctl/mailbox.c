// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl: mailbox commands (create, rm, info, send, recv).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mboxctl.h"

/* What one invocation acts on, parsed from the command line. */
struct target {
	const char *cmd;	/* for messages: "recv" */
	const char *name;	/* or NULL with an ID */
	uint64_t id;
	bool by_id;
};

static const char *target_str(const struct target *t, char *buf, size_t len)
{
	if (!t->by_id)
		return t->name;
	snprintf(buf, len, "%" PRIu64, t->id);
	return buf;
}

/* What an errno means to a shell user of mailbox command @cmd. */
static const char *explain(const char *cmd, int err)
{
	switch (-err) {
	case EAGAIN:
		return strcmp(cmd, "send") ? "no message waiting" :
			"mailbox full (or rendezvous: no receiver waiting)";
	case ENOENT:
		return "no such mailbox";
	case EEXIST:
		return "already exists";
	case EPERM:
		return "not the owner (nor CAP_IPC_OWNER)";
	default:
		return explain_common(err);
	}
}

/* "mboxctl: recv: mailbox 'jobs': permission denied" */
static int fail(const struct target *t, int err)
{
	char idbuf[32];

	fprintf(stderr, "mboxctl: %s: mailbox '%s': %s\n", t->cmd,
		target_str(t, idbuf, sizeof(idbuf)), explain(t->cmd, err));
	return exit_status(err);
}

/* Fill in @t from "-i ID" (seen by getopt) or the next operand. */
static int take_target(struct target *t, int argc, char **argv)
{
	if (t->by_id)
		return 0;
	if (optind >= argc)
		return usage_error(t->cmd, "which mailbox? give a name or -i ID");
	t->name = argv[optind++];
	return 0;
}

static int open_target(const struct target *t, unsigned int flags)
{
	if (t->by_id)
		return mbox_open_id(-1, t->id, flags);
	return mbox_open(-1, t->name, flags, NULL, NULL);
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "msg-size", required_argument, NULL, 's' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "drop-oldest", no_argument, NULL, 'D' },
		{ "broadcast", no_argument, NULL, 'B' },
		{ "exclusive", no_argument, NULL, 'x' },
		{ 0 }
	};
	struct mbox_attr attr = MBOX_ATTR_DEFAULT;
	unsigned int flags = MBOX_OPEN_CREATE | MBOX_OPEN_SEND | MBOX_OPEN_RECV;
	struct target t = { .cmd = "create" };
	uint64_t id;
	int c, fd;

	while ((c = getopt_long(argc, argv, "m:c:s:b:DBx", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!parse_u32(optarg, &attr.mode) || attr.mode > 0777)
				return usage_error(t.cmd, "bad mode (octal, e.g. 0660)");
			break;
		case 'c':
			if (!strcmp(optarg, "unbounded"))
				attr.capacity = MBOX_CAPACITY_UNBOUNDED;
			else if (!parse_u32(optarg, &attr.capacity))
				return usage_error(t.cmd, "bad capacity");
			break;
		case 's':
			if (!parse_u32(optarg, &attr.msg_size_max))
				return usage_error(t.cmd, "bad message size");
			break;
		case 'b':
			if (!parse_u64(optarg, &attr.max_bytes))
				return usage_error(t.cmd, "bad byte limit");
			break;
		case 'D':
			attr.mb_flags |= MBOX_MB_DROP_OLDEST;
			break;
		case 'B':
			attr.mb_flags |= MBOX_MB_BROADCAST;
			break;
		case 'x':
			flags |= MBOX_OPEN_EXCL;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error(t.cmd, "give exactly one NAME");
	t.name = argv[optind];
	fd = mbox_open(-1, t.name, flags, &attr, &id);
	if (fd < 0)
		return fail(&t, fd);
	close(fd);
	printf("%" PRIu64 "\n", id);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	struct target t = { .cmd = "rm" };
	int c, ret, status = 0;

	while ((c = getopt(argc, argv, "i:")) != -1) {
		if (c != 'i')
			return EXIT_USAGE;
		t.by_id = true;
		if (!parse_u64(optarg, &t.id))
			return usage_error(t.cmd, "bad ID");
	}
	if (t.by_id) {
		ret = mbox_unlink_id(-1, t.id);
		return ret < 0 ? fail(&t, ret) : 0;
	}
	if (optind >= argc)
		return usage_error(t.cmd, "which mailbox? give names or -i ID");
	for (; optind < argc; optind++) {
		t.name = argv[optind];
		ret = mbox_unlink(-1, t.name);
		if (ret < 0)
			status = fail(&t, ret);
	}
	return status;
}

static void print_info(const struct mbox_info *in, const char *name)
{
	char cap[16];

	if (in->capacity == MBOX_CAPACITY_UNBOUNDED)
		snprintf(cap, sizeof(cap), "unbounded");
	else
		snprintf(cap, sizeof(cap), "%u", in->capacity);
	printf("id:            %llu\n", (unsigned long long)in->id);
	printf("name:          %s\n", name[0] ? name : "(anonymous)");
	printf("owner:         uid %u gid %u mode %04o\n", in->uid, in->gid,
	       in->mode);
	printf("kind:          %s%s%s\n",
	       in->capacity ? "buffered" : "rendezvous",
	       in->mb_flags & MBOX_MB_DROP_OLDEST ? ", drop-oldest" : "",
	       in->mb_flags & MBOX_MB_BROADCAST ? ", broadcast" : "");
	printf("capacity:      %s messages, %llu bytes (0: quota only)\n", cap,
	       (unsigned long long)in->max_bytes);
	printf("max message:   %u bytes\n", in->msg_size_max);
	printf("queued:        %llu messages, %llu bytes\n",
	       (unsigned long long)in->msgs, (unsigned long long)in->bytes);
	printf("totals:        %llu sent, %llu received, %llu dropped\n",
	       (unsigned long long)in->sent, (unsigned long long)in->received,
	       (unsigned long long)in->dropped);
	printf("waiting:       %u senders, %u receivers\n", in->send_waiters,
	       in->recv_waiters);
	if (in->mb_flags & MBOX_MB_BROADCAST)
		printf("subscribers:   %u\n", in->subscribers);
	printf("state:         %s\n",
	       in->state & MBOX_STATE_UNLINKED ? "unlinked" : "linked");
}

int cmd_info(int argc, char **argv)
{
	struct target t = { .cmd = "info" };
	char name[MBOX_NAME_LONG_MAX];
	struct mbox_info in;
	int c, fd, ret;

	while ((c = getopt(argc, argv, "i:")) != -1) {
		if (c != 'i')
			return EXIT_USAGE;
		t.by_id = true;
		if (!parse_u64(optarg, &t.id))
			return usage_error(t.cmd, "bad ID");
	}
	ret = take_target(&t, argc, argv);
	if (ret)
		return ret;
	/* Like IPC_STAT, info needs read permission; or write will do. */
	fd = open_target(&t, MBOX_OPEN_RECV);
	if (fd == -EACCES)
		fd = open_target(&t, MBOX_OPEN_SEND);
	if (fd < 0)
		return fail(&t, fd);
	/* The whole name; a module without long names has it in in.name. */
	ret = mbox_info_name(fd, &in, name, sizeof(name));
	if (ret == -E2BIG) {
		ret = mbox_info(fd, &in);
		snprintf(name, sizeof(name), "%s", in.name);
	}
	close(fd);
	if (ret < 0)
		return fail(&t, ret);
	print_info(&in, name);
	return 0;
}

static int send_one(const struct target *t, int fd, const void *buf, size_t len,
		    unsigned int prio, const struct waitopt *w)
{
	int ret = mbox_send(fd, buf, len, prio, w->flags, w->timeout_ns);

	return ret < 0 ? fail(t, ret) : 0;
}

struct send_ctx {
	const struct target *t;
	int fd;
	unsigned int prio;
	const struct waitopt *w;
};

/* Every line of stdin, without its newline, is one message. */
static int send_line(void *ctx, const char *line, size_t len)
{
	struct send_ctx *c = ctx;

	return send_one(c->t, c->fd, line, len, c->prio, c->w);
}

int cmd_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "prio", required_argument, NULL, 'p' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "confirm", no_argument, NULL, 'C' },
		{ 0 }
	};
	struct target t = { .cmd = "send" };
	struct waitopt w = { 0 };
	unsigned int prio = 0;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "i:p:nt:C", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			t.by_id = true;
			if (!parse_u64(optarg, &t.id))
				return usage_error(t.cmd, "bad ID");
			break;
		case 'p':
			if (!parse_u32(optarg, &prio) || prio > MBOX_PRIO_MAX)
				return usage_error(t.cmd, "bad priority (0-31)");
			break;
		case 'n':
		case 't':
			ret = parse_wait(&w, c, t.cmd);
			if (ret)
				return ret;
			break;
		case 'C':
			w.flags |= MBOX_SEND_CONFIRM;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	ret = take_target(&t, argc, argv);
	if (ret)
		return ret;
	fd = open_target(&t, MBOX_OPEN_SEND);
	if (fd < 0)
		return fail(&t, fd);
	if (optind == argc) {
		struct send_ctx ctx = { &t, fd, prio, &w };

		ret = for_each_line(send_line, &ctx);
		if (ret < 0)
			ret = fail(&t, ret);
	}
	for (; !ret && optind < argc; optind++)
		ret = send_one(&t, fd, argv[optind], strlen(argv[optind]), prio,
			       &w);
	close(fd);
	return ret;
}

struct recvopt {
	struct waitopt w;
	unsigned long count;	/* 0: until -n/-t runs out (follow) */
	bool verbose;
	bool peek;
	pid_t from;
};

/*
 * Receive one message into a buffer grown to fit it and print it.
 * Return: 0 or a negative errno.
 */
static int recv_one(int fd, const struct recvopt *o, char **buf, size_t *cap)
{
	unsigned int flags = o->w.flags | (o->peek ? MBOX_RECV_PEEK : 0);
	struct mbox_recv meta;
	int ret;

	for (;;) {
		ret = o->from ?
			mbox_recv_from(fd, o->from, *buf, *cap, flags,
				       o->w.timeout_ns, &meta) :
			mbox_recv(fd, *buf, *cap, flags, o->w.timeout_ns, &meta);
		if (ret != -EMSGSIZE || meta.len <= *cap)
			break;
		/* Nothing is lost to a short buffer: grow it and ask again. */
		free(*buf);
		*cap = meta.len;
		*buf = malloc(*cap);
		if (!*buf)
			return -ENOMEM;
	}
	if (ret < 0)
		return ret;
	if (meta.dropped)
		fprintf(stderr, "mboxctl: recv: %u messages were dropped before this one\n",
			meta.dropped);
	if (o->verbose)
		printf("seq=%llu prio=%u pid=%d uid=%u len=%u: ",
		       (unsigned long long)meta.seq, meta.prio, meta.pid,
		       meta.uid, meta.len);
	print_payload(*buf, (size_t)ret);
	return 0;
}

static int parse_recv(struct recvopt *o, struct target *t, int argc,
		      char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "peek", no_argument, NULL, 'P' },
		{ "from", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	uint32_t num;
	int c, ret;

	o->count = 1;
	while ((c = getopt_long(argc, argv, "i:c:fnt:PF:v", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			t->by_id = true;
			if (!parse_u64(optarg, &t->id))
				return usage_error(t->cmd, "bad ID");
			break;
		case 'c':
			if (!parse_u32(optarg, &num) || !num)
				return usage_error(t->cmd, "bad count");
			o->count = num;
			break;
		case 'f':
			o->count = 0;
			break;
		case 'n':
		case 't':
			ret = parse_wait(&o->w, c, t->cmd);
			if (ret)
				return ret;
			break;
		case 'P':
			o->peek = true;
			break;
		case 'F':
			if (!parse_u32(optarg, &num) || !num || num > INT32_MAX)
				return usage_error(t->cmd, "bad pid");
			o->from = (pid_t)num;
			break;
		case 'v':
			o->verbose = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	ret = take_target(t, argc, argv);
	if (!ret && optind != argc)
		return usage_error(t->cmd, "too many operands");
	return ret;
}

int cmd_recv(int argc, char **argv)
{
	struct target t = { .cmd = "recv" };
	struct recvopt o = { 0 };
	size_t cap = 4096;
	unsigned long n;
	char *buf;
	int fd, ret;

	ret = parse_recv(&o, &t, argc, argv);
	if (ret)
		return ret;
	fd = open_target(&t, MBOX_OPEN_RECV);
	if (fd < 0)
		return fail(&t, fd);
	/* A broadcast mailbox is read through a subscription. */
	ret = mbox_subscribe(fd);
	if (ret < 0 && ret != -EINVAL) {
		close(fd);
		return fail(&t, ret);
	}
	buf = malloc(cap);
	ret = buf ? 0 : -ENOMEM;
	for (n = 0; !ret && (!o.count || n < o.count); n++)
		ret = recv_one(fd, &o, &buf, &cap);
	free(buf);
	close(fd);
	/* In follow mode, running out of messages after some is the end. */
	if (!o.count && n > 1 && (ret == -EAGAIN || ret == -ETIMEDOUT))
		return 0;
	return ret < 0 ? fail(&t, ret) : 0;
}
