// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl: option parsing and error reporting shared by the commands.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "mboxctl.h"

int usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, "mboxctl: %s: %s (see mboxctl --help)\n", cmd, what);
	return EXIT_USAGE;
}

bool parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*val = strtoull(s, &end, 0);
	return !errno && !*end;
}

bool parse_u32(const char *s, uint32_t *val)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*val = (uint32_t)v;
	return true;
}

bool parse_pid(const char *s, pid_t *pid)
{
	uint32_t v;

	if (!parse_u32(s, &v) || !v || v > INT32_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

int parse_wait(struct waitopt *w, int c, const char *cmd)
{
	uint64_t ms;

	if (c == 'n') {
		w->flags |= MBOX_WAIT_NONBLOCK;
		return 0;
	}
	if (!parse_u64(optarg, &ms) || ms > INT64_MAX / 1000000)
		return usage_error(cmd, "bad timeout (milliseconds)");
	w->flags |= MBOX_WAIT_TIMEOUT;
	w->timeout_ns = (int64_t)ms * 1000000;
	return 0;
}

const char *explain_common(int err)
{
	switch (-err) {
	case ETIMEDOUT:
		return "timed out";
	case EACCES:
		return "permission denied";
	case EINTR:
		return "interrupted";
	default:
		return mbox_strerror(err);
	}
}

int exit_status(int err)
{
	return err == -EAGAIN || err == -ETIMEDOUT ? EXIT_NOTHING : EXIT_FAILURE;
}

int for_each_line(int (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	errno = 0;
	while (!ret && (len = getline(&line, &cap, stdin)) >= 0) {
		if (len && line[len - 1] == '\n')
			len--;
		ret = fn(ctx, line, (size_t)len);
	}
	if (!ret && errno == ENOMEM)
		ret = -ENOMEM;
	free(line);
	return ret;
}

void print_payload(const char *buf, size_t len)
{
	fwrite(buf, 1, len, stdout);
	putchar('\n');
	fflush(stdout);
}
