// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring and mbox descriptors: what io_uring's generic operations do
 * (IORING_OP_READ, WRITE, POLL_ADD on non-blocking mailbox, endpoint and
 * link descriptors), then the mbox commands (IORING_OP_URING_CMD): sends,
 * receives and calls; receives parked without a thread (6.12) and woken by
 * another process; their deadlines; their cancelation by ring teardown and
 * exit; a descriptor closed under one; unload refused (not hung) while one
 * is parked; hostile SQEs. Every test ends with nothing parked
 * (struct mbox_stats.uring_waits) and no object left.
 *
 * On 6.1 (no cancelable io_uring commands) a receive that has to wait
 * blocks an io-wq worker instead of parking: the tests that need parking
 * skip there, the others run on both kernels.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "kselftest_harness.h"

#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_LINK | MBOX_FEAT_URING)
#include "mbox_test.h"
#include "mbox_uring.h"

#define NO_PARKING "6.1 has no cancelable io_uring commands: a receive waits in io-wq there"

/* Does the running kernel park receives (6.12 and later)? */
static int kernel_parks(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 12);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct mbox_stats stats(int dev)
{
	struct mbox_stats st;

	memset(&st, 0, sizeof(st));
	if (mbox_stats(dev, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

/*
 * Receivers waiting on @fd's mailbox: parked (6.12) plus blocked (in io-wq:
 * on 6.1, and on 6.12 a receive with a linked timeout).
 */
static unsigned int waiters(int dev, int fd)
{
	struct mbox_info info;

	if (mbox_info(fd, &info))
		return ~0u;
	return (unsigned int)stats(dev).uring_waits + info.recv_waiters;
}

/* Wait up to 10 s for @fn(@dev, @fd) to read @want. */
static int settle(unsigned int (*fn)(int, int), int dev, int fd, unsigned int want)
{
	uint64_t end = now_ms() + 10000;
	unsigned int v;

	while ((v = fn(dev, fd)) != want && now_ms() < end)
		usleep(2000);
	return v == want ? 0 : -1;
}

static unsigned int parked(int dev, int fd)
{
	(void)fd;
	return (unsigned int)stats(dev).uring_waits;
}

static unsigned int live_mailboxes(int dev, int fd)
{
	(void)fd;
	return (unsigned int)stats(dev).mailboxes;
}

static unsigned int live_endpoints(int dev, int fd)
{
	(void)fd;
	return (unsigned int)stats(dev).endpoints;
}

static unsigned int queued(int dev, int fd)
{
	struct mbox_info info;

	(void)dev;
	return mbox_info(fd, &info) ? ~0u : (unsigned int)info.msgs;
}

/* The next CQE within @ms, copied out; -ETIME if none. */
static int next_cqe(struct io_uring *ring, int ms, struct io_uring_cqe *out)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*out = *cqe;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* Submit what was prepared; 0 or -errno. */
static int submit(struct io_uring *ring)
{
	int ret = io_uring_submit(ring);

	return ret < 0 ? ret : 0;
}

static int mailbox(int dev, const char *name, unsigned int flags)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 16 };

	return mbox_open(dev, name, MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE |
			 flags, &attr, NULL);
}

/* A process that opens @name, sends @msg (prio 0) after @delay_ms, and exits. */
static pid_t send_later(const char *name, const char *msg, int delay_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		int dev = mbox_dev_open(0), fd;

		usleep(delay_ms * 1000);
		fd = mbox_open(dev, name, MBOX_OPEN_SEND, NULL, NULL);
		_exit(fd < 0 || mbox_send(fd, msg, strlen(msg), 0, 0, 0) ? 1 : 0);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

FIXTURE(uring) {
	int dev;
	struct io_uring ring;
	char name[MBOX_NAME_MAX];
};

FIXTURE_SETUP(uring)
{
	self->dev = mbox_dev_open(0);
	ASSERT_GE(self->dev, 0);
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
	snprintf(self->name, sizeof(self->name), "uring-%d", getpid());
}

FIXTURE_TEARDOWN(uring)
{
	struct mbox_stats st;

	if (self->ring.ring_fd >= 0)
		io_uring_queue_exit(&self->ring);
	mbox_unlink(self->dev, self->name);
	/* Nothing parked, nothing left (teardown of a ring is asynchronous). */
	EXPECT_EQ(0, settle(parked, self->dev, -1, 0));
	st = stats(self->dev);
	EXPECT_EQ(0, st.uring_waits);
	EXPECT_EQ(0, st.messages);
	close(self->dev);
}

static void ring_exit(struct io_uring *ring)
{
	io_uring_queue_exit(ring);
	ring->ring_fd = -1;
}

/* ---- what io_uring's generic operations already do ---- */

TEST_F(uring, read_write_poll_mailbox)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe cqe;
	char buf[64];
	int fd;

	fd = mailbox(self->dev, self->name, MBOX_OPEN_NONBLOCK);
	ASSERT_GE(fd, 0);

	/* A poll and a read armed on the empty mailbox complete once a write lands. */
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, 1);
	ASSERT_EQ(0, submit(&self->ring));
	EXPECT_EQ(-ETIME, next_cqe(&self->ring, 100, &cqe));

	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_write(sqe, fd, "hello", 5, 0);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(0, submit(&self->ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
		if (cqe.user_data == 1) {
			EXPECT_TRUE(cqe.res & POLLIN);
		} else {
			EXPECT_EQ(5, cqe.res);
		}
	}
	io_uring_prep_read(io_uring_get_sqe(&self->ring), fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	ASSERT_EQ(5, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));

	/* A read on the empty non-blocking mailbox waits for the next write. */
	io_uring_prep_read(io_uring_get_sqe(&self->ring), fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	EXPECT_EQ(-ETIME, next_cqe(&self->ring, 100, &cqe));
	ASSERT_EQ(0, mbox_send(fd, "hi", 2, 0, 0, 0));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(2, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	close(fd);
}

/* A peer process with an endpoint: echoes what it receives (ASYNC), answers calls. */
static pid_t echo_peer(int *ready_rd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char buf[256], up[256];
		struct mbox_link_recv meta;
		int dev = mbox_dev_open(0), ep, n;

		close(p[0]);
		ep = mbox_endpoint(dev, 0002, 0, NULL);
		if (ep < 0 || write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			n = mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, &meta);
			if (n < 0)
				_exit(2);
			if (n == 4 && !memcmp(buf, "quit", 4))
				_exit(0);
			for (int i = 0; i < n; i++)
				up[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
			if (meta.call_id)
				n = mbox_reply(ep, meta.call_id, up, n);
			else
				n = mbox_link_send(ep, meta.pid, up, n, MBOX_LINK_ASYNC, 0);
			if (n)
				_exit(3);
		}
	}
	close(p[1]);
	*ready_rd = p[0];
	return pid;
}

static int peer_ready(int rd)
{
	char c;
	int ret = read(rd, &c, 1) == 1 ? 0 : -1;

	close(rd);
	return ret;
}

TEST_F(uring, read_write_poll_endpoint_and_link)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe cqe;
	int ep, lfd, rd;
	char buf[64];
	pid_t peer;

	ep = mbox_endpoint(self->dev, 0002, 0, NULL);
	ASSERT_GE(ep, 0);
	peer = echo_peer(&rd);
	ASSERT_GT(peer, 0);
	ASSERT_EQ(0, peer_ready(rd));
	lfd = mbox_link_open(ep, peer, MBOX_LINK_NONBLOCK);
	ASSERT_GE(lfd, 0);

	/* Poll on the link and a read armed before anything arrived. */
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_poll_add(sqe, lfd, POLLIN);
	io_uring_sqe_set_data64(sqe, 1);
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_read(sqe, lfd, buf, sizeof(buf), 0);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(0, submit(&self->ring));
	EXPECT_EQ(-ETIME, next_cqe(&self->ring, 100, &cqe));

	/* write(2) on a link is a synchronous send: the peer takes it and echoes. */
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_write(sqe, lfd, "ping", 4, 0);
	io_uring_sqe_set_data64(sqe, 3);
	ASSERT_EQ(0, submit(&self->ring));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
		if (cqe.user_data == 1) {
			EXPECT_TRUE(cqe.res & POLLIN);
		} else {
			EXPECT_EQ(4, cqe.res) TH_LOG("op %llu", (unsigned long long)cqe.user_data);
		}
	}
	EXPECT_EQ(0, memcmp(buf, "PING", 4));

	/* The endpoint descriptor polls too. */
	io_uring_prep_poll_add(io_uring_get_sqe(&self->ring), ep, POLLIN);
	ASSERT_EQ(0, submit(&self->ring));
	EXPECT_EQ(-ETIME, next_cqe(&self->ring, 100, &cqe));
	ASSERT_EQ(0, mbox_link_send(ep, peer, "x", 1, MBOX_LINK_ASYNC, 0));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_TRUE(cqe.res & POLLIN);
	EXPECT_EQ(1, mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, NULL));

	ASSERT_EQ(0, mbox_link_send(ep, peer, "quit", 4, MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(0, reap(peer));
	close(lfd);
	close(ep);
}

/* ---- mbox commands ---- */

TEST_F(uring, send_recv_like_the_ioctls)
{
	struct io_uring_cqe cqe;
	struct mbox_send s;
	struct mbox_recv r;
	char buf[64];
	int fd;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	mbox_prep_send(io_uring_get_sqe(&self->ring), fd, &s, "hello", 5, 3, 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	ASSERT_EQ(0, cqe.res);
	EXPECT_EQ(0, s.flags);

	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, 2, 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	/* Too short: -EMSGSIZE, the length needed, the message stays. */
	EXPECT_EQ(-EMSGSIZE, cqe.res);
	EXPECT_EQ(5, r.len);
	EXPECT_EQ(1, queued(self->dev, fd));

	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	ASSERT_EQ(5, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(5, r.len);
	EXPECT_EQ(3, r.prio);
	EXPECT_EQ(s.seq, r.seq);
	EXPECT_EQ(getpid(), r.pid);
	/* The non-blocking flag io_uring's first try adds never reaches the user. */
	EXPECT_EQ(0, r.flags);
	EXPECT_EQ(sizeof(r), r.size);

	/* Non-blocking on an empty mailbox: -EAGAIN, as the ioctl says. */
	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf),
		       MBOX_WAIT_NONBLOCK);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-EAGAIN, cqe.res);
	EXPECT_EQ(MBOX_WAIT_NONBLOCK, r.flags);
	close(fd);
}

TEST_F(uring, recv_deadline)
{
	struct io_uring_cqe cqe;
	struct mbox_recv r;
	uint64_t t0;
	char buf[8];
	int fd;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf),
		       MBOX_WAIT_TIMEOUT);
	r.timeout_ns = 100 * 1000 * 1000;
	t0 = now_ms();
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-ETIMEDOUT, cqe.res);
	EXPECT_GE(now_ms() - t0, 90);
	close(fd);
}

/* ---- linked timeouts (IORING_OP_LINK_TIMEOUT) as a receive's deadline ---- */

/* A receive on @fd into @buf (user_data 1) linked to a timeout of @us (user_data 2). */
static int recv_linked(struct io_uring *ring, int fd, struct mbox_recv *r, void *buf,
		       size_t len, struct __kernel_timespec *ts, long us)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	mbox_prep_recv(sqe, fd, r, buf, len, 0);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, 1);
	ts->tv_sec = us / 1000000;
	ts->tv_nsec = (us % 1000000) * 1000;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_link_timeout(sqe, ts, 0);
	io_uring_sqe_set_data64(sqe, 2);
	return submit(ring);
}

/* Both CQEs of recv_linked(), within @ms: @res[0] the receive's, @res[1] the timeout's. */
static int reap_linked(struct io_uring *ring, int ms, int res[2])
{
	struct io_uring_cqe cqe;

	res[0] = res[1] = INT_MIN;
	for (int i = 0; i < 2; i++) {
		if (next_cqe(ring, ms, &cqe) || cqe.user_data < 1 || cqe.user_data > 2 ||
		    res[cqe.user_data - 1] != INT_MIN)
			return -1;
		res[cqe.user_data - 1] = cqe.res;
	}
	return 0;
}

/*
 * How a linked timeout ends a receive (it waits in io-wq, docs/io_uring.md):
 * still queued for a worker, the receive is canceled (-ECANCELED) and the
 * timeout completes -ETIME; already waiting in a worker, the wait is
 * interrupted (-EINTR) and the timeout completes -ENOENT, which is what
 * io_uring's io_try_cancel() answers for work it had to interrupt. Either
 * way the receive took nothing.
 */
static int recv_ended(int res)
{
	return res == -EINTR || res == -ECANCELED;
}

static int timeout_fired(int res)
{
	return res == -ETIME || res == -ENOENT;
}

TEST_F(uring, linked_timeout_ends_recv)
{
	struct __kernel_timespec ts;
	struct mbox_recv r;
	uint64_t t0, dt;
	char buf[16];
	int fd, res[2];

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	t0 = now_ms();
	ASSERT_EQ(0, recv_linked(&self->ring, fd, &r, buf, sizeof(buf), &ts, 100 * 1000));
	ASSERT_EQ(0, reap_linked(&self->ring, 10000, res)) TH_LOG("a CQE is missing");
	dt = now_ms() - t0;
	EXPECT_TRUE(recv_ended(res[0])) TH_LOG("receive: %d", res[0]);
	EXPECT_TRUE(timeout_fired(res[1])) TH_LOG("timeout: %d", res[1]);
	/*
	 * The deadline is honoured: without it the receive would wait on
	 * (reap_linked() reports that after 10 s); 5 s is fifty deadlines, room
	 * for io-wq on the debug kernel under TCG on a loaded host.
	 */
	EXPECT_GE(dt, 90);
	EXPECT_LT(dt, 5000);
	/* Nothing waits any more, and a message sent now stays queued. */
	EXPECT_EQ(0, settle(waiters, self->dev, fd, 0));
	EXPECT_EQ(0, stats(self->dev).uring_waits);
	ASSERT_EQ(0, mbox_send(fd, "after", 5, 0, 0, 0));
	usleep(50 * 1000);
	EXPECT_EQ(1, queued(self->dev, fd));
	EXPECT_EQ(5, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

TEST_F(uring, linked_timeout_message_first)
{
	struct __kernel_timespec ts;
	struct mbox_recv r;
	char buf[16];
	int fd, res[2];
	pid_t child;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, recv_linked(&self->ring, fd, &r, buf, sizeof(buf), &ts, 3000 * 1000));
	ASSERT_EQ(0, settle(waiters, self->dev, fd, 1));
	child = send_later(self->name, "in time", 20);
	ASSERT_GT(child, 0);
	ASSERT_EQ(0, reap_linked(&self->ring, 10000, res)) TH_LOG("a CQE is missing");
	EXPECT_EQ(7, res[0]);
	EXPECT_EQ(0, memcmp(buf, "in time", 7));
	EXPECT_EQ(child, r.pid);
	/* The receive completed first: its timeout is canceled. */
	EXPECT_EQ(-ECANCELED, res[1]);
	EXPECT_EQ(0, reap(child));
	EXPECT_EQ(0, queued(self->dev, fd));
	EXPECT_EQ(0, settle(waiters, self->dev, fd, 0));
	close(fd);
}

/* Busy-wait @us microseconds from @t0 (CLOCK_MONOTONIC, ns). */
static void spin_until(uint64_t t0, long us)
{
	struct timespec ts;

	do
		clock_gettime(CLOCK_MONOTONIC, &ts);
	while ((uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec < t0 + us * 1000ull);
}

/*
 * A message sent around the deadline, round after round: it is received
 * by the receive or left queued, never both and never neither. The oracle
 * is the mailbox's count (MBOX_IOC_INFO) after both CQEs, every round.
 */
TEST_F_TIMEOUT(uring, linked_timeout_race_sweep, 120)
{
	enum { ROUNDS = 300, DEADLINE_US = 2000 };
	unsigned int by_ring = 0, left = 0, ended = 0;
	struct __kernel_timespec ts;
	struct timespec now;
	struct mbox_recv r;
	char buf[16], msg[16];
	int fd, res[2], len;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	for (int i = 0; i < ROUNDS; i++) {
		/* Sent from 0 to 2 deadlines after the submission. */
		long delay = (long)(i % 40) * DEADLINE_US / 20;
		uint64_t t0;

		len = snprintf(msg, sizeof(msg), "m%d", i);
		memset(buf, 0, sizeof(buf));
		clock_gettime(CLOCK_MONOTONIC, &now);
		t0 = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
		ASSERT_EQ(0, recv_linked(&self->ring, fd, &r, buf, sizeof(buf), &ts,
					 DEADLINE_US));
		spin_until(t0, delay);
		ASSERT_EQ(0, mbox_send(fd, msg, len, 0, 0, 0));
		ASSERT_EQ(0, reap_linked(&self->ring, 10000, res)) TH_LOG("round %d", i);
		if (res[0] > 0) {
			/* Received by the ring: this round's message, and not queued. */
			ASSERT_EQ(len, res[0]) TH_LOG("round %d", i);
			ASSERT_EQ(0, memcmp(buf, msg, len)) TH_LOG("round %d", i);
			ASSERT_EQ(0, queued(self->dev, fd)) TH_LOG("round %d: received and queued", i);
			by_ring++;
		} else {
			/* Ended by the deadline: the message is still queued. */
			ASSERT_TRUE(recv_ended(res[0])) TH_LOG("round %d: receive %d", i, res[0]);
			ASSERT_TRUE(timeout_fired(res[1])) TH_LOG("round %d: timeout %d", i, res[1]);
			ASSERT_EQ(1, queued(self->dev, fd)) TH_LOG("round %d: lost", i);
			ASSERT_EQ(len, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
			ASSERT_EQ(0, memcmp(buf, msg, len)) TH_LOG("round %d", i);
			ended++;
		}
		ASSERT_EQ(0, settle(waiters, self->dev, fd, 0)) TH_LOG("round %d", i);
	}
	left = queued(self->dev, fd);
	TH_LOG("%u received through the ring, %u ended by the deadline", by_ring, ended);
	EXPECT_EQ(0, left);
	EXPECT_EQ(ROUNDS, by_ring + ended);
	/* The sweep reached both sides of the deadline. */
	EXPECT_GT(by_ring, 0);
	EXPECT_GT(ended, 0);
	close(fd);
}

TEST_F(uring, parked_recv_woken_by_another_process)
{
	struct io_uring_cqe cqe;
	struct mbox_recv r;
	struct mbox_info info;
	char buf[64];
	pid_t child;
	int fd;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, settle(waiters, self->dev, fd, 1));
	/* Parked: counted, and no thread blocks (no receiver is asleep). */
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(kernel_parks() ? 0 : 1, info.recv_waiters);
	EXPECT_EQ(-ETIME, next_cqe(&self->ring, 50, &cqe));

	child = send_later(self->name, "from afar", 20);
	ASSERT_GT(child, 0);
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(9, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "from afar", 9));
	EXPECT_EQ(child, r.pid);
	EXPECT_EQ(0, r.flags);
	EXPECT_EQ(0, reap(child));
	EXPECT_EQ(0, stats(self->dev).uring_waits);
	EXPECT_EQ(0, queued(self->dev, fd));
	close(fd);
}

TEST_F(uring, many_parked_receives_one_loop)
{
	enum { N = 8 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe cqe;
	struct mbox_recv r[N];
	char names[N][MBOX_NAME_MAX], buf[N][16];
	int fd[N], seen = 0;
	pid_t child;

	if (!kernel_parks())
		SKIP(return, NO_PARKING);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "uring-%d-%d", getpid(), i);
		fd[i] = mailbox(self->dev, names[i], 0);
		ASSERT_GE(fd[i], 0);
		sqe = io_uring_get_sqe(&self->ring);
		mbox_prep_recv(sqe, fd[i], &r[i], buf[i], sizeof(buf[i]), 0);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, settle(parked, self->dev, -1, N));
	child = fork();
	if (child == 0) {
		int dev = mbox_dev_open(0);

		for (int i = N - 1; i >= 0; i--) {
			int f = mbox_open(dev, names[i], MBOX_OPEN_SEND, NULL, NULL);

			if (f < 0 || mbox_send(f, names[i], strlen(names[i]), 0, 0, 0))
				_exit(1);
			close(f);
		}
		_exit(0);
	}
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
		ASSERT_LT(cqe.user_data, N);
		EXPECT_EQ((int)strlen(names[cqe.user_data]), cqe.res);
		EXPECT_EQ(0, memcmp(buf[cqe.user_data], names[cqe.user_data], cqe.res));
		seen |= 1 << cqe.user_data;
	}
	EXPECT_EQ((1 << N) - 1, seen);
	EXPECT_EQ(0, reap(child));
	for (int i = 0; i < N; i++) {
		mbox_unlink(self->dev, names[i]);
		close(fd[i]);
	}
}

TEST_F(uring, batch_recv_parks)
{
	struct mbox_recv e[4];
	struct io_uring_cqe cqe;
	struct mbox_batch b;
	char buf[4][16];
	pid_t child;
	int fd;

	if (!kernel_parks())
		SKIP(return, NO_PARKING);
	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 4; i++) {
		e[i].buf = (uintptr_t)buf[i];
		e[i].len = sizeof(buf[i]);
	}
	mbox_prep_batch(io_uring_get_sqe(&self->ring), fd, MBOX_IOC_RECV_BATCH, &b, e, 4,
			sizeof(e[0]), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, settle(parked, self->dev, fd, 1));
	child = send_later(self->name, "one", 0);
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(1, cqe.res);
	EXPECT_EQ(1, b.done);
	EXPECT_EQ(3, e[0].len);
	EXPECT_EQ(0, reap(child));
	close(fd);
}

/* Ring teardown ends a waiting receive, which takes nothing. */
TEST_F(uring, cancel_on_ring_teardown)
{
	struct mbox_recv r;
	char buf[16];
	int fd;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, settle(waiters, self->dev, fd, 1));
	ring_exit(&self->ring);
	ASSERT_EQ(0, settle(waiters, self->dev, fd, 0));
	/* Exactly once: a message sent now stays queued for someone else. */
	ASSERT_EQ(0, mbox_send(fd, "later", 5, 0, 0, 0));
	usleep(100 * 1000);
	EXPECT_EQ(1, queued(self->dev, fd));
	EXPECT_EQ(5, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

/*
 * Commands waiting in io-wq when their ring is torn down: io_uring cancels
 * the worker later, from a work item, so a message sent (or room made) the
 * moment io_uring_queue_exit() returns reaches a worker that still waits.
 * It must do nothing then, for nobody can see its completion any more.
 */

/*
 * One round: a receive waiting on @fd (io-wq on 6.1; on 6.12 io-wq with
 * @linked, a linked timeout, else parked), its ring torn down, a message
 * sent at once. 0, or where the round went wrong.
 */
static int teardown_recv_round(int dev, int fd, bool linked)
{
	struct __kernel_timespec ts;
	struct io_uring ring;
	struct mbox_recv r;
	char buf[16];
	int ret;

	if (io_uring_queue_init(8, &ring, 0))
		return -1;
	if (linked) {
		ret = recv_linked(&ring, fd, &r, buf, sizeof(buf), &ts, 3600L * 1000000);
	} else {
		mbox_prep_recv(io_uring_get_sqe(&ring), fd, &r, buf, sizeof(buf), 0);
		ret = submit(&ring);
	}
	if (ret || settle(waiters, dev, fd, 1)) {
		io_uring_queue_exit(&ring);
		return -2;
	}
	io_uring_queue_exit(&ring);
	return mbox_send(fd, "late", 4, 0, 0, 0) ? -3 : 0;
}

TEST_F_TIMEOUT(uring, teardown_then_message_recv_takes_nothing, 120)
{
	char buf[16];
	int fd;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	for (int i = 0; i < 20; i++) {
		bool linked = i % 2 == 0;

		ASSERT_EQ(0, teardown_recv_round(self->dev, fd, linked)) TH_LOG("round %d", i);
		/* The torn-down receive ends; the message stays queued. */
		ASSERT_EQ(0, settle(waiters, self->dev, fd, 0)) TH_LOG("round %d", i);
		usleep(20 * 1000);
		ASSERT_EQ(1, queued(self->dev, fd))
			TH_LOG("round %d (%s): the message went to a receive whose ring is gone",
			       i, linked ? "linked timeout" : "plain");
		ASSERT_EQ(4, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	}
	close(fd);
}

/* Wait up to 10 s until @fd's mailbox has @n senders waiting. */
static int senders_waiting(int fd, unsigned int n)
{
	struct mbox_info info;
	uint64_t end = now_ms() + 10000;

	while (!mbox_info(fd, &info) && info.send_waiters != n && now_ms() < end)
		usleep(2000);
	return info.send_waiters == n ? 0 : -1;
}

/*
 * One round: a full mailbox (capacity 1); a send through the ring waits in
 * io-wq for room, then a blocking ioctl send from a child behind it; the
 * ring is torn down and room made at once. The ring's send must not go
 * out (-4: it did), and the room it was woken for must go to the child
 * (exclusive wake-ups: one per free slot; -5: the child was not woken).
 * 0, or where the round went wrong.
 */
static int teardown_send_round(int fd)
{
	struct io_uring ring;
	struct mbox_send s;
	int ret = -1, go[2];
	char buf[16];
	pid_t child;

	if (mbox_send(fd, "first", 5, 0, 0, 0) || pipe(go))
		return -1;
	/* Forked before the ring exists: a child holding the ring would keep it alive. */
	child = fork();
	if (child == 0) {
		char c;

		close(go[1]);
		_exit(read(go[0], &c, 1) != 1 || mbox_send(fd, "second", 6, 0, 0, 0) ? 1 : 0);
	}
	close(go[0]);
	if (child < 0 || io_uring_queue_init(8, &ring, 0)) {
		close(go[1]);
		goto out;
	}
	mbox_prep_send(io_uring_get_sqe(&ring), fd, &s, "late", 4, 0, 0);
	if (submit(&ring) || senders_waiting(fd, 1) || write(go[1], "g", 1) != 1 ||
	    senders_waiting(fd, 2)) {
		close(go[1]);
		io_uring_queue_exit(&ring);
		ret = -2;
		goto out;
	}
	close(go[1]);
	io_uring_queue_exit(&ring);
	if (mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL) != 5) {
		ret = -3;
		goto out;
	}
	/*
	 * The child's send, and nothing else, fills the slot. An absolute
	 * deadline: the teardown's task work interrupts this task's wait like
	 * a signal, which a relative timeout reports (-EINTR, docs/io_uring.md)
	 * and an absolute one restarts.
	 */
	memset(buf, 0, sizeof(buf));
	ret = mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_TIMEOUT | MBOX_WAIT_ABSTIME,
			(int64_t)(now_ms() + 10000) * 1000000, NULL);
	ret = ret == 6 && !memcmp(buf, "second", 6) ? 0 : ret == 4 ? -4 : -5;
out:
	if (child > 0) {
		if (ret)
			kill(child, SIGKILL);
		if (reap(child) != 0 && !ret)
			ret = -6;
	}
	return ret;
}

static unsigned int send_waiting(int dev, int fd)
{
	struct mbox_info info;

	(void)dev;
	return mbox_info(fd, &info) ? ~0u : info.send_waiters;
}

TEST_F_TIMEOUT(uring, teardown_then_room_send_sends_nothing, 120)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 1 };
	struct mbox_info info;
	int fd;

	fd = mbox_open(self->dev, self->name, MBOX_OPEN_SEND | MBOX_OPEN_RECV |
		       MBOX_OPEN_CREATE, &attr, NULL);
	ASSERT_GE(fd, 0);
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(0, teardown_send_round(fd)) TH_LOG("round %d", i);
		ASSERT_EQ(0, settle(send_waiting, self->dev, fd, 0)) TH_LOG("round %d", i);
		usleep(20 * 1000);
		ASSERT_EQ(0, mbox_info(fd, &info));
		/* Only this round's first and second messages were ever sent. */
		ASSERT_EQ(0, info.msgs)
			TH_LOG("round %d: the send of a torn-down ring went out", i);
		ASSERT_EQ((uint64_t)(i + 1) * 2, info.sent) TH_LOG("round %d", i);
	}
	close(fd);
}

/*
 * A send that waits for its receiver (a rendezvous, MBOX_SEND_CONFIRM)
 * offers its message while it waits: once its ring is torn down, no
 * receiver may take it (nobody would see the send complete), and the
 * sender withdraws it when its wait ends.
 */
TEST_F_TIMEOUT(uring, teardown_then_receive_takes_no_offer, 120)
{
	struct mbox_info info;
	char buf[16];
	int fd[2];

	for (int rdv = 0; rdv < 2; rdv++) {
		struct mbox_attr attr = { .mode = 0600, .capacity = rdv ? 0 : 16 };
		char name[MBOX_NAME_MAX + 8];

		snprintf(name, sizeof(name), "%.40s-%d", self->name, rdv);
		fd[rdv] = mbox_open(self->dev, name, MBOX_OPEN_SEND | MBOX_OPEN_RECV |
				    MBOX_OPEN_CREATE, &attr, NULL);
		ASSERT_GE(fd[rdv], 0);
		mbox_unlink(self->dev, name);
	}
	for (int i = 0; i < 20; i++) {
		int rdv = i % 2, f = fd[rdv], ret;
		struct io_uring ring;
		struct mbox_send s;

		ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
		mbox_prep_send(io_uring_get_sqe(&ring), f, &s, "offer", 5, 0,
			       rdv ? 0 : MBOX_SEND_CONFIRM);
		ASSERT_EQ(0, submit(&ring));
		ASSERT_EQ(0, senders_waiting(f, 1)) TH_LOG("round %d", i);
		io_uring_queue_exit(&ring);
		ret = mbox_recv(f, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL);
		ASSERT_EQ(-EAGAIN, ret)
			TH_LOG("round %d (%s): a receive took the offer of a torn-down ring's send",
			       i, rdv ? "rendezvous" : "confirmed");
		ASSERT_EQ(0, settle(send_waiting, self->dev, f, 0)) TH_LOG("round %d", i);
		ASSERT_EQ(0, mbox_info(f, &info));
		ASSERT_EQ(0, info.msgs) TH_LOG("round %d: the offer was not withdrawn", i);
		ASSERT_EQ(0, info.received) TH_LOG("round %d", i);
	}
	close(fd[0]);
	close(fd[1]);
}

/*
 * A call waiting in io-wq for its reply when its ring is torn down: the
 * reply must be refused (-ENOENT, as after a caller that gave up), not
 * accepted and thrown away. The server is a child forked before any ring
 * (it would keep a ring it inherited alive); it tells the parent when it
 * has the request, replies when told, and hands back the reply's result.
 */
TEST_F_TIMEOUT(uring, teardown_then_reply_is_refused, 120)
{
	int ep, req[2], go[2], res[2];
	pid_t server;

	ASSERT_EQ(0, pipe(req));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	server = fork();
	if (server == 0) {
		int dev = mbox_dev_open(0), sep = mbox_endpoint(dev, 0002, 0, NULL);
		struct mbox_link_recv meta;
		char buf[16], c;
		int n;

		if (sep < 0 || write(req[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			n = mbox_link_recv(sep, 0, buf, sizeof(buf), 0, 0, &meta);
			if (n < 0 || !meta.call_id)
				_exit(n < 0 ? 2 : 0);
			if (write(req[1], "q", 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(3);
			n = mbox_reply(sep, meta.call_id, "answer", 6);
			if (write(res[1], &n, sizeof(n)) != sizeof(n))
				_exit(4);
		}
	}
	ASSERT_GT(server, 0);
	ep = mbox_endpoint(self->dev, 0002, 0, NULL);
	ASSERT_GE(ep, 0);
	{
		char c;

		ASSERT_EQ(1, read(req[0], &c, 1));
	}
	for (int i = 0; i < 10; i++) {
		struct io_uring ring;
		struct mbox_call call;
		char reply[16], c;
		int n = 0;

		ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
		mbox_prep_call(io_uring_get_sqe(&ring), ep, &call, server, "ask", 3, reply,
			       sizeof(reply), 0);
		ASSERT_EQ(0, submit(&ring));
		ASSERT_EQ(1, read(req[0], &c, 1)) TH_LOG("round %d: the request did not come", i);
		io_uring_queue_exit(&ring);
		ASSERT_EQ(1, write(go[1], "g", 1));
		ASSERT_EQ((ssize_t)sizeof(n), read(res[0], &n, sizeof(n)));
		ASSERT_EQ(-ENOENT, n)
			TH_LOG("round %d: a reply to a call whose ring is gone was accepted (%d)", i, n);
	}
	/* A plain message ends the server. */
	ASSERT_EQ(0, mbox_link_send(ep, server, "quit", 4, MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(0, reap(server));
	close(ep);
}

/* A process that exits (killed) with a receive waiting: canceled, nothing taken. */
TEST_F(uring, cancel_on_exit)
{
	char buf[16];
	int fd, p[2];
	pid_t child;
	char c;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pipe(p));
	child = fork();
	if (child == 0) {
		struct io_uring ring;
		struct mbox_recv r;
		char b[16];

		if (io_uring_queue_init(8, &ring, 0))
			_exit(1);
		mbox_prep_recv(io_uring_get_sqe(&ring), fd, &r, b, sizeof(b), 0);
		if (io_uring_submit(&ring) != 1 || write(p[1], "s", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	ASSERT_EQ(0, settle(waiters, self->dev, fd, 1));
	kill(child, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(child));
	ASSERT_EQ(0, settle(waiters, self->dev, fd, 0));
	ASSERT_EQ(0, mbox_send(fd, "after", 5, 0, 0, 0));
	usleep(100 * 1000);
	EXPECT_EQ(1, queued(self->dev, fd));
	EXPECT_EQ(5, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

/* Closing the descriptor a receive waits on does not wait: the request keeps it. */
TEST_F(uring, close_descriptor_under_parked_recv)
{
	struct io_uring_cqe cqe;
	struct mbox_recv r;
	char buf[16];
	int fd, fd2;

	if (!kernel_parks())
		SKIP(return, NO_PARKING);
	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	fd2 = mbox_open(self->dev, self->name, MBOX_OPEN_SEND, NULL, NULL);
	ASSERT_GE(fd2, 0);
	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, settle(parked, self->dev, fd, 1));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(1, stats(self->dev).uring_waits);
	ASSERT_EQ(0, mbox_send(fd2, "still", 5, 0, 0, 0));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(5, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "still", 5));
	close(fd2);
}

static int delete_module(const char *name, int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

/* rmmod with a receive parked: refused at once (the request holds the module). */
TEST_F(uring, unload_refused_while_parked)
{
	struct mbox_recv r;
	uint64_t t0;
	char buf[16];
	int fd, ret;

	if (!kernel_parks())
		SKIP(return, NO_PARKING);
	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	mbox_prep_recv(io_uring_get_sqe(&self->ring), fd, &r, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, settle(parked, self->dev, fd, 1));
	/* Even with every descriptor but the ring's reference closed. */
	close(fd);
	t0 = now_ms();
	ret = delete_module("mbox", O_NONBLOCK);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("delete_module: %d", ret);
	/*
	 * Refused, not waited out: an unload that got as far as waiting for the
	 * parked receive would wait for good. 5 s leaves the debug kernel under
	 * load all the room it needs for a refusal.
	 */
	EXPECT_LT(now_ms() - t0, 5000);
	EXPECT_EQ(1, stats(self->dev).uring_waits);
	ring_exit(&self->ring);
}

/* Bad SQEs: a clear error, nothing done. */
TEST_F(uring, hostile_sqes)
{
	struct {
		unsigned int op;
		uint64_t arg;
		uint32_t flags, reserved;
		int fd_kind;	/* 0 mailbox, 1 control device */
		int want;
	} cases[6];
	struct io_uring_cqe cqe;
	struct mbox_recv r;
	struct mbox_info info;
	struct io_uring_sqe *sqe;
	char buf[16];
	int fd, n = 0;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_send(fd, "keep", 4, 0, 0, 0));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);

	/* A command io_uring does not carry, an unknown one, another descriptor's. */
	cases[n++] = (typeof(cases[0])){ MBOX_IOC_INFO, (uintptr_t)&info, 0, 0, 0, -ENOTTY };
	cases[n++] = (typeof(cases[0])){ 0xdeadbeef, (uintptr_t)&r, 0, 0, 0, -ENOTTY };
	cases[n++] = (typeof(cases[0])){ MBOX_IOC_LINK_RECV, (uintptr_t)&r, 0, 0, 0, -ENOTTY };
	/* The command area's flags and reserved word. */
	cases[n++] = (typeof(cases[0])){ MBOX_IOC_RECV, (uintptr_t)&r, 1, 0, 0, -EINVAL };
	cases[n++] = (typeof(cases[0])){ MBOX_IOC_RECV, (uintptr_t)&r, 0, 1, 0, -EINVAL };
	/* The argument pointer. */
	cases[n++] = (typeof(cases[0])){ MBOX_IOC_RECV, 8, 0, 0, 0, -EFAULT };
	for (int i = 0; i < n; i++) {
		struct mbox_uring_cmd c = { cases[i].arg, cases[i].flags, cases[i].reserved };

		sqe = io_uring_get_sqe(&self->ring);
		mbox_prep_cmd(sqe, fd, cases[i].op, NULL);
		memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), &c, sizeof(c));
		ASSERT_EQ(0, submit(&self->ring));
		ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
		EXPECT_EQ(cases[i].want, cqe.res) TH_LOG("case %d", i);
	}

	/* The argument struct: the ioctl's own checks. */
	r.size = 4;
	mbox_prep_cmd(io_uring_get_sqe(&self->ring), fd, MBOX_IOC_RECV, &r);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	r.size = 8192;
	mbox_prep_cmd(io_uring_get_sqe(&self->ring), fd, MBOX_IOC_RECV, &r);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-E2BIG, cqe.res);
	r.size = sizeof(r);
	r.flags = 1u << 31;
	mbox_prep_cmd(io_uring_get_sqe(&self->ring), fd, MBOX_IOC_RECV, &r);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	r.flags = 0;
	r.__reserved = 1;
	mbox_prep_cmd(io_uring_get_sqe(&self->ring), fd, MBOX_IOC_RECV, &r);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	r.__reserved = 0;

	/* Registered buffers are not taken. */
	sqe = io_uring_get_sqe(&self->ring);
	mbox_prep_cmd(sqe, fd, MBOX_IOC_RECV, &r);
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_LT(cqe.res, 0);

	/* /dev/mbox itself takes no io_uring commands. */
	mbox_prep_cmd(io_uring_get_sqe(&self->ring), self->dev, MBOX_IOC_RECV, &r);
	ASSERT_EQ(0, submit(&self->ring));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(-EOPNOTSUPP, cqe.res);

	/* Nothing was taken by any of them. */
	EXPECT_EQ(1, queued(self->dev, fd));
	EXPECT_EQ(4, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

TEST_F(uring, endpoint_link_recv_and_call)
{
	struct mbox_link_recv lr;
	struct mbox_link_send ls;
	struct io_uring_cqe cqe;
	struct mbox_call c;
	char buf[64], reply[64];
	int ep, lfd, rd;
	pid_t peer;

	ep = mbox_endpoint(self->dev, 0002, 0, NULL);
	ASSERT_GE(ep, 0);
	peer = echo_peer(&rd);
	ASSERT_GT(peer, 0);
	ASSERT_EQ(0, peer_ready(rd));

	/* A call: the request goes, the reply completes the CQE. */
	mbox_prep_call(io_uring_get_sqe(&self->ring), ep, &c, peer, "call me", 7, reply,
		       sizeof(reply), 0);
	ASSERT_EQ(0, submit(&self->ring));
	if (next_cqe(&self->ring, 10000, &cqe)) {
		struct mbox_endpoint_info ei;
		int st = -1;

		mbox_endpoint_info(ep, &ei);
		TH_LOG("no CQE: ep msgs %llu recv_waiters %u send_waiters %u; peer %d st %x",
		       (unsigned long long)ei.msgs, ei.recv_waiters, ei.send_waiters,
		       waitpid(peer, &st, WNOHANG), st);
		kill(peer, SIGKILL);
		ASSERT_TRUE(0);
	}
	EXPECT_EQ(7, cqe.res);
	EXPECT_EQ(7, c.reply_len);
	EXPECT_NE(0, c.call_id);
	EXPECT_EQ(0, memcmp(reply, "CALL ME", 7));

	/* A receive on the endpoint, waiting before the peer's echo comes. */
	mbox_prep_link_recv(io_uring_get_sqe(&self->ring), ep, &lr, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	if (kernel_parks())
		ASSERT_EQ(0, settle(parked, self->dev, -1, 1));
	mbox_prep_link_send(io_uring_get_sqe(&self->ring), ep, &ls, peer, "abc", 3,
			    MBOX_LINK_ASYNC);
	ASSERT_EQ(0, submit(&self->ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
		EXPECT_TRUE(cqe.res == 0 || cqe.res == 3) TH_LOG("res %d", cqe.res);
	}
	EXPECT_EQ(0, memcmp(buf, "ABC", 3));
	EXPECT_EQ(peer, lr.pid);
	EXPECT_NE(0, lr.link_id);

	/* The same through a link descriptor. */
	lfd = mbox_link_open(ep, peer, 0);
	ASSERT_GE(lfd, 0);
	mbox_prep_link_recv(io_uring_get_sqe(&self->ring), lfd, &lr, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&self->ring));
	if (kernel_parks())
		ASSERT_EQ(0, settle(parked, self->dev, -1, 1));
	ASSERT_EQ(0, mbox_link_send(lfd, 0, "xyz", 3, MBOX_LINK_ASYNC, 0));
	ASSERT_EQ(0, next_cqe(&self->ring, 10000, &cqe));
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "XYZ", 3));

	ASSERT_EQ(0, mbox_link_send(ep, peer, "quit", 4, MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(0, reap(peer));
	close(lfd);
	close(ep);
}

/* SQPOLL: commands with no system call per command. */
TEST_F(uring, sqpoll)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 100 };
	struct io_uring_cqe cqe;
	struct io_uring ring;
	struct mbox_send s;
	struct mbox_recv r;
	char buf[16];
	int fd;

	fd = mailbox(self->dev, self->name, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, io_uring_queue_init_params(8, &ring, &p));
	mbox_prep_send(io_uring_get_sqe(&ring), fd, &s, "sq", 2, 0, 0);
	ASSERT_EQ(0, submit(&ring));
	ASSERT_EQ(0, next_cqe(&ring, 10000, &cqe));
	EXPECT_EQ(0, cqe.res);
	mbox_prep_recv(io_uring_get_sqe(&ring), fd, &r, buf, sizeof(buf), 0);
	ASSERT_EQ(0, submit(&ring));
	ASSERT_EQ(0, next_cqe(&ring, 10000, &cqe));
	EXPECT_EQ(2, cqe.res);
	EXPECT_EQ(getpid(), r.pid);
	io_uring_queue_exit(&ring);
	close(fd);
}

/*
 * The example server: mailboxes, an endpoint and TCP from one ring. It forks
 * its clients and serves them all: on a loaded TCG host (and PREEMPT_RT)
 * that takes longer than the harness's default 30 s.
 */
FIXTURE(server) {
	int unused;
};

FIXTURE_SETUP(server)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(server)
{
}

TEST_F_TIMEOUT(server, example, 300)
{
	char exe[PATH_MAX], path[PATH_MAX + 16], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int dev = mbox_dev_open(0);
	pid_t pid;

	ASSERT_GT(n, 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	ASSERT_NE(NULL, slash);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/uring_server", exe);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "uring_server", "-m", "4", "-n", "25", NULL };

		execv(path, argv);
		execvp("uring_server", argv);
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	n = reap(pid);
	if (n == 127)
		SKIP(goto out, "uring_server (examples/) is not installed next to the test or on PATH");
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, settle(parked, dev, -1, 0));
	/* The server's ring is torn down after it exits, asynchronously. */
	EXPECT_EQ(0, settle(live_mailboxes, dev, -1, 0));
	EXPECT_EQ(0, settle(live_endpoints, dev, -1, 0));
out:
	close(dev);
}

TEST_HARNESS_MAIN
