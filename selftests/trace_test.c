// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints: enable events/mbox/ through tracefs, do one thing of each
 * kind, and find the matching event (with the right IDs) in the trace.
 */
#include <fcntl.h>
#include <string.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_BATCH | MBOX_FEAT_LINK)
#include "mbox_test.h"

#define TRACEFS "/sys/kernel/tracing"

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* The whole trace buffer, NUL-terminated (malloc'd). */
static char *read_trace(void)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int fd = open(TRACEFS "/trace", O_RDONLY);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* How many events @event whose text contains @what the trace holds. */
static int count_events(const char *trace, const char *event, const char *what)
{
	const char *p = trace;
	char key[64];
	int n = 0;

	snprintf(key, sizeof(key), " %s: ", event);
	while ((p = strstr(p, key))) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, what);

		if (hit && (!eol || hit < eol))
			n++;
		p += strlen(key);
	}
	return n;
}

/* Does the trace hold an event @event whose text contains @what? */
static int has_event(const char *trace, const char *event, const char *what)
{
	return count_events(trace, event, what) > 0;
}

FIXTURE(trace) {
};

/*
 * With options/record-cmd on (the default), enabling the first event also
 * hooks sched_switch to record task names, and the kernel patches that
 * tracepoint's jump in __schedule() live while the other vCPU runs it. Under
 * QEMU's multi-threaded TCG that other vCPU once executed the patch's
 * temporary int3 after the patch was complete ("Oops: int3" in __schedule on
 * 6.12-rt). The tests match events by their fields, not by task name, so
 * they leave the scheduler's code alone: only our module's tracepoints are
 * switched.
 */
FIXTURE_SETUP(trace)
{
	if (access(TRACEFS "/events/mbox/enable", W_OK))
		SKIP(return, "no tracefs, or no mbox events in it");
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "0"));
	ASSERT_EQ(0, write_str(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_str(TRACEFS "/options/record-cmd", "0"));
	ASSERT_EQ(0, write_str(TRACEFS "/events/mbox/enable", "1"));
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "1"));
}

FIXTURE_TEARDOWN(trace)
{
	write_str(TRACEFS "/events/mbox/enable", "0");
	write_str(TRACEFS "/options/record-cmd", "1");
	write_str(TRACEFS "/trace", "");
}

/* Create, send, receive, block, wake, destroy: each leaves its event. */
TEST_F(trace, mailbox_events)
{
	struct mbox_info in;
	char buf[64], want[96], *t;
	int fd;

	fd = mb_anon(4, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_info(fd, &in));
	ASSERT_EQ(0, mbox_send(fd, "traced", 6, 2, 0, 0));
	ASSERT_EQ(6, mbox_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	/* An empty mailbox: the receive sleeps, then times out. */
	ASSERT_EQ(-ETIMEDOUT, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_TIMEOUT,
					20000000, NULL));
	close(fd);
	t = read_trace();
	ASSERT_NE(NULL, t);
	snprintf(want, sizeof(want), "mailbox id=%llu", (unsigned long long)in.id);
	EXPECT_TRUE(has_event(t, "mbox_create", want));
	EXPECT_TRUE(has_event(t, "mbox_destroy", want));
	snprintf(want, sizeof(want), "id=%llu link=0 seq=", (unsigned long long)in.id);
	EXPECT_TRUE(has_event(t, "mbox_send", want));
	EXPECT_TRUE(has_event(t, "mbox_recv", want));
	EXPECT_TRUE(has_event(t, "mbox_send", "len=6 prio=2"));
	snprintf(want, sizeof(want), "id=%llu", (unsigned long long)in.id);
	EXPECT_TRUE(has_event(t, "mbox_block", want));
	EXPECT_TRUE(has_event(t, "mbox_wake", want));
	free(t);
}

/*
 * Once @n senders are left blocked on @fd's mailbox (and a little after),
 * the mbox_wake events matching @want in the trace; -1 if that never comes.
 */
static int wakes_once_settled(int fd, uint32_t n, const char *want)
{
	char *t;
	int count;

	if (wait_send_waiters(fd, n))
		return -1;
	sleep_ms(50);
	t = read_trace();
	if (!t)
		return -1;
	count = count_events(t, "mbox_wake", want);
	free(t);
	return count;
}

/*
 * No thundering herd: with three senders asleep on a full mailbox, a
 * receive wakes one of them, and a batch that frees two slots wakes two.
 */
TEST_F(trace, a_free_slot_wakes_one_sender)
{
	struct mbox_recv r[2];
	struct mbox_info in;
	uint32_t v = 0, outs[2];
	char want[64];
	pid_t pids[3];
	int fd;

	fd = mb_anon(2, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_info(fd, &in));
	ASSERT_EQ(0, mbox_send(fd, &v, sizeof(v), 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, &v, sizeof(v), 0, 0, 0));
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(mbox_send(fd, &v, sizeof(v), 0, MBOX_WAIT_TIMEOUT,
					30000000000LL) ? 1 : 0);
	}
	ASSERT_EQ(0, wait_send_waiters(fd, 3));
	snprintf(want, sizeof(want), "id=%llu ret=", (unsigned long long)in.id);

	ASSERT_EQ(0, write_str(TRACEFS "/trace", ""));
	ASSERT_EQ(sizeof(v), mbox_recv(fd, &v, sizeof(v), 0, 0, NULL));
	EXPECT_EQ(1, wakes_once_settled(fd, 2, want));

	ASSERT_EQ(0, write_str(TRACEFS "/trace", ""));
	for (int i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].buf = (uintptr_t)&outs[i];
		r[i].len = sizeof(outs[i]);
	}
	ASSERT_EQ(2, mbox_recv_batch(fd, r, 2, 0, 0));
	EXPECT_EQ(2, wakes_once_settled(fd, 0, want));

	for (int i = 0; i < 3; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	close(fd);
}

/* A link: created on first send, peer loss when the peer is killed. */
TEST_F(trace, link_events)
{
	struct mbox_link_info li;
	int ep, lfd, ready[2];
	char c, want[64], *t;
	pid_t peer;

	ASSERT_EQ(0, pipe(ready));
	peer = fork();
	ASSERT_LE(0, peer);
	if (peer == 0) {
		if (mbox_endpoint(-1, 0, 0, NULL) < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, mbox_link_send(ep, peer, "hi", 2, MBOX_LINK_ASYNC, 0));
	lfd = mbox_link_open(ep, peer, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, mbox_link_info(lfd, 0, &li));
	kill(peer, SIGKILL);
	waitpid(peer, NULL, 0);
	/* The peer's endpoint is shut down by a work item after the exit (10 s). */
	for (int i = 0; i < 1000; i++) {
		if (mbox_link_send(ep, peer, "x", 1, MBOX_LINK_ASYNC, 0) != 0)
			break;
		sleep_ms(10);
	}
	close(lfd);
	close(ep);
	t = read_trace();
	ASSERT_NE(NULL, t);
	snprintf(want, sizeof(want), "link id=%llu", (unsigned long long)li.id);
	EXPECT_TRUE(has_event(t, "mbox_create", want));
	snprintf(want, sizeof(want), "link=%llu seq=1 len=2", (unsigned long long)li.id);
	EXPECT_TRUE(has_event(t, "mbox_send", want));
	snprintf(want, sizeof(want), "link=%llu pids=", (unsigned long long)li.id);
	EXPECT_TRUE(has_event(t, "mbox_peer_loss", want));
	free(t);
}

TEST_NOTHING_LEFT()

TEST_HARNESS_MAIN
