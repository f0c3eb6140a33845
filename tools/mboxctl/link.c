// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl: direct-link commands (listen, tell, call). Each invocation is a
 * process with its own endpoint, so a shell can talk to any process by pid.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mboxctl.h"

/* What an errno means to a shell user talking to a process. */
static const char *explain(const char *cmd, int err)
{
	switch (-err) {
	case EAGAIN:
		return strcmp(cmd, "tell") ? "no message waiting" :
			"its queue from us is full (or, synchronous: it is not receiving)";
	case ESRCH:
		return "no such process";
	case ECONNREFUSED:
		return "it has no endpoint (is it listening?)";
	case EPERM:
		return "permission denied (another user, and its endpoint's mode does not admit us)";
	case ECONNRESET:
		return "it went away";
	case EPIPE:
		return "the link is gone";
	case EINVAL:
		return "invalid (is it this very process?)";
	default:
		return explain_common(err);
	}
}

/* "mboxctl: tell: process 42: no such process" */
static int fail_peer(const char *cmd, pid_t pid, int err)
{
	fprintf(stderr, "mboxctl: %s: process %d: %s\n", cmd, (int)pid, explain(cmd, err));
	return exit_status(err);
}

/* Our endpoint, or a message and -1. */
static int make_endpoint(const char *cmd, unsigned int mode)
{
	int ep = mbox_endpoint(-1, mode, 0, NULL);

	if (ep < 0)
		fprintf(stderr, "mboxctl: %s: cannot make an endpoint: %s\n", cmd,
			ep == -EEXIST ? "this process has one" : explain_common(ep));
	return ep;
}

/* A buffer as large as the longest message our endpoint can receive. */
static char *max_buffer(int ep, size_t *len)
{
	struct mbox_endpoint_info info;

	if (mbox_endpoint_info(ep, &info) < 0 || !info.msg_size_max)
		return NULL;
	*len = info.msg_size_max;
	return malloc(*len);
}

struct listenopt {
	struct waitopt w;
	unsigned long count;	/* 0: until -n/-t runs out (follow) */
	unsigned int mode;
	bool echo;
	bool verbose;
};

static int parse_listen(struct listenopt *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "echo", no_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	char *end;
	uint32_t num;
	int c, ret;

	o->count = 1;
	while ((c = getopt_long(argc, argv, "c:fnt:m:ev", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_u32(optarg, &num) || !num)
				return usage_error("listen", "bad count");
			o->count = num;
			break;
		case 'f':
			o->count = 0;
			break;
		case 'n':
		case 't':
			ret = parse_wait(&o->w, c, "listen");
			if (ret)
				return ret;
			break;
		case 'm':
			o->mode = (unsigned int)strtoul(optarg, &end, 8);
			if (!*optarg || *end || o->mode & ~0022u)
				return usage_error("listen", "bad mode (octal: 0020 group, 0002 anyone)");
			break;
		case 'e':
			o->echo = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	return optind == argc ? 0 : usage_error("listen", "too many operands");
}

/* Receive one message, print it, answer it if it is a call. */
static int listen_one(int ep, const struct listenopt *o, char *buf, size_t len)
{
	struct mbox_link_recv meta;
	int ret;

	ret = mbox_link_recv(ep, 0, buf, len, o->w.flags, o->w.timeout_ns, &meta);
	if (ret < 0)
		return ret;
	if (o->verbose)
		printf("pid=%d seq=%llu link=%llu%s len=%u: ", meta.pid,
		       (unsigned long long)meta.seq, (unsigned long long)meta.link_id,
		       meta.call_id ? " call" : "", meta.len);
	print_payload(buf, (size_t)ret);
	if (!meta.call_id)
		return 0;
	/* Never leave a caller hanging: answer with its text, or empty. */
	ret = mbox_reply(ep, meta.call_id, buf, o->echo ? (size_t)ret : 0);
	if (ret == -EPIPE || ret == -ENOENT)
		fprintf(stderr, "mboxctl: listen: the caller gave up before the reply\n");
	return ret == -EPIPE || ret == -ENOENT ? 0 : ret;
}

int cmd_listen(int argc, char **argv)
{
	struct listenopt o = { 0 };
	unsigned long n;
	size_t len = 0;
	char *buf;
	int ep, ret;

	ret = parse_listen(&o, argc, argv);
	if (ret)
		return ret;
	ep = make_endpoint("listen", o.mode);
	if (ep < 0)
		return EXIT_FAILURE;
	if (o.verbose)
		fprintf(stderr, "mboxctl: listen: reachable as pid %d\n", (int)getpid());
	buf = max_buffer(ep, &len);
	ret = buf ? 0 : -ENOMEM;
	for (n = 0; !ret && (!o.count || n < o.count); n++)
		ret = listen_one(ep, &o, buf, len);
	free(buf);
	close(ep);
	if (!o.count && n > 1 && (ret == -EAGAIN || ret == -ETIMEDOUT))
		return 0;
	if (ret < 0) {
		fprintf(stderr, "mboxctl: listen: %s\n", explain("listen", ret));
		return exit_status(ret);
	}
	return 0;
}

struct tell_ctx {
	int ep;
	pid_t pid;
	unsigned int flags;
	int64_t timeout_ns;
};

static int tell_one(void *ctx, const char *text, size_t len)
{
	struct tell_ctx *t = ctx;

	return mbox_link_send(t->ep, t->pid, text, len, t->flags, t->timeout_ns);
}

/* Parse "PID" and the wait options of tell and call into @t. */
static int parse_peer(const char *cmd, struct tell_ctx *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "async", no_argument, NULL, 'a' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	const char *optstr = strcmp(cmd, "tell") ? "t:" : "ant:";
	struct waitopt w = { 0 };
	int c, ret;

	while ((c = getopt_long(argc, argv, optstr, opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			t->flags |= MBOX_LINK_ASYNC;
			break;
		case 'n':
		case 't':
			ret = parse_wait(&w, c, cmd);
			if (ret)
				return ret;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	t->flags |= w.flags;
	t->timeout_ns = w.timeout_ns;
	if (optind >= argc || !parse_pid(argv[optind], &t->pid))
		return usage_error(cmd, "which process? give its pid");
	optind++;
	return 0;
}

int cmd_tell(int argc, char **argv)
{
	struct tell_ctx t = { 0 };
	int ret;

	ret = parse_peer("tell", &t, argc, argv);
	if (ret)
		return ret;
	t.ep = make_endpoint("tell", 0);
	if (t.ep < 0)
		return EXIT_FAILURE;
	if (optind == argc)
		ret = for_each_line(tell_one, &t);
	for (; !ret && optind < argc; optind++)
		ret = tell_one(&t, argv[optind], strlen(argv[optind]));
	/* Asynchronous messages stay queued to the peer after we exit. */
	close(t.ep);
	return ret < 0 ? fail_peer("tell", t.pid, ret) : 0;
}

int cmd_call(int argc, char **argv)
{
	struct tell_ctx t = { 0 };
	size_t len = 0;
	char *buf;
	int ret;

	ret = parse_peer("call", &t, argc, argv);
	if (ret)
		return ret;
	if (optind != argc - 1)
		return usage_error("call", "give the request as one TEXT operand");
	t.ep = make_endpoint("call", 0);
	if (t.ep < 0)
		return EXIT_FAILURE;
	buf = max_buffer(t.ep, &len);
	ret = buf ? mbox_call(t.ep, t.pid, argv[optind], strlen(argv[optind]), buf, len,
			      t.flags, t.timeout_ns, NULL) : -ENOMEM;
	if (ret >= 0)
		print_payload(buf, (size_t)ret);
	free(buf);
	close(t.ep);
	return ret < 0 ? fail_peer("call", t.pid, ret) : 0;
}
