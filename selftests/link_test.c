// SPDX-License-Identifier: GPL-2.0
/*
 * Direct links: endpoints named by pid, one link per pair, synchronous and
 * asynchronous sends, receive from any or one peer, peer death, calls.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	MBOX_FEAT_LINK
#include "mbox_test.h"

/* A child that makes its endpoint, says so through a pipe, then runs @fn. */
struct peer {
	pid_t pid;
	int ready[2];
};

static void peer_ready(struct peer *p)
{
	char c = 1;

	if (write(p->ready[1], &c, 1) != 1)
		_exit(90);
}

static int peer_wait_ready(struct peer *p)
{
	char c;

	return read(p->ready[0], &c, 1) == 1 ? 0 : -1;
}

/* Fork a peer; in the child returns 0 with its endpoint in *epfd. */
static pid_t peer_fork(struct peer *p, int make_endpoint, int *epfd)
{
	if (pipe(p->ready))
		return -1;
	p->pid = fork();
	if (p->pid == 0) {
		*epfd = make_endpoint ? mbox_endpoint(-1, 0, 0, NULL) : -1;
		if (make_endpoint && *epfd < 0)
			_exit(91);
		peer_ready(p);
		return 0;
	}
	if (p->pid > 0 && peer_wait_ready(p))
		return -1;
	return p->pid;
}

TEST(one_endpoint_per_process)
{
	uint64_t id1, id2;
	int ep, ep2;

	ep = mbox_endpoint(-1, 0, 0, &id1);
	ASSERT_GE(ep, 0);
	EXPECT_EQ(-EEXIST, mbox_endpoint(-1, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, mbox_endpoint(-1, 0444, 0, NULL));
	close(ep);
	ep2 = mbox_endpoint(-1, 0, 0, &id2);
	ASSERT_GE(ep2, 0);
	EXPECT_GT(id2, id1);
	close(ep2);
}

TEST(addressing_errors)
{
	struct peer p;
	pid_t gone;
	int ep, child_ep;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	EXPECT_EQ(-EINVAL, mbox_link_send(ep, getpid(), "x", 1, MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(-EINVAL, mbox_link_send(ep, 0, "x", 1, MBOX_LINK_ASYNC, 0));
	/* A process that is gone. */
	gone = fork();
	if (gone == 0)
		_exit(0);
	ASSERT_EQ(0, wait_child(gone));
	EXPECT_EQ(-ESRCH, mbox_link_send(ep, gone, "x", 1, MBOX_LINK_ASYNC, 0));
	/* A live process without an endpoint. */
	ASSERT_LE(0, peer_fork(&p, 0, &child_ep));
	if (p.pid == 0) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(-ECONNREFUSED, mbox_link_send(ep, p.pid, "x", 1, MBOX_LINK_ASYNC, 0));
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	close(ep);
}

TEST(synchronous_send_waits_for_the_receive)
{
	int64_t *t = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mbox_link_recv meta;
	struct peer p;
	int ep, cep;
	char buf[8];

	ASSERT_NE(MAP_FAILED, t);
	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		sleep_ms(300);
		t[0] = now_ns(CLOCK_MONOTONIC);
		_exit(mbox_link_recv(cep, 0, buf, sizeof(buf), 0, 0, &meta) == 5 &&
		      meta.pid == getppid() && !memcmp(buf, "hello", 5) ? 0 : 1);
	}
	ASSERT_EQ(0, mbox_link_send(ep, p.pid, "hello", 5, 0, 0));
	t[1] = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, wait_child(p.pid));
	/* The send returned only after the receive began. */
	EXPECT_GE(t[1], t[0]);
	close(ep);
	munmap(t, 4096);
}

TEST(receive_from_any_and_from_one)
{
	struct mbox_link_recv meta;
	struct peer p[3];
	uint32_t next[3] = { 0 };
	int ep, cep, i, n;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, peer_fork(&p[i], 1, &cep));
		if (p[i].pid == 0) {
			uint32_t k;

			for (k = 0; k < 5; k++)
				if (mbox_link_send(cep, getppid(), &k, sizeof(k),
						   MBOX_LINK_ASYNC, 0))
					_exit(1);
			/* Stay until the parent has everything. */
			_exit(mbox_link_recv(cep, 0, &k, sizeof(k), 0, 0, NULL) == 0 ? 0 : 2);
		}
	}
	/* From one: only p[2]'s messages, in order. */
	for (uint32_t j = 0; j < 5; j++) {
		uint32_t v;

		ASSERT_EQ(4, mbox_link_recv(ep, p[2].pid, &v, sizeof(v), 0, 0, &meta));
		EXPECT_EQ(p[2].pid, meta.pid);
		EXPECT_EQ(j, v);
		EXPECT_EQ(j + 1, meta.seq);
	}
	next[2] = 5;
	/* From any: the other ten, each sender's in order. */
	for (n = 0; n < 10; n++) {
		uint32_t v;

		ASSERT_EQ(4, mbox_link_recv(ep, 0, &v, sizeof(v), 0, 0, &meta));
		for (i = 0; i < 3 && p[i].pid != meta.pid; i++)
			;
		ASSERT_LT(i, 2);
		EXPECT_EQ(next[i], v);
		next[i]++;
	}
	EXPECT_EQ(-EAGAIN, mbox_link_recv(ep, 0, &n, sizeof(n), MBOX_WAIT_NONBLOCK, 0, NULL));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mbox_link_send(ep, p[i].pid, "", 0, 0, 0));
		EXPECT_EQ(0, wait_child(p[i].pid));
	}
	close(ep);
}

/* A send hands back its sequence number on the link, through either kind of descriptor. */
TEST(send_reports_the_sequence_number_received)
{
	struct mbox_link_recv meta;
	struct mbox_link_send s;
	struct peer p;
	int ep, cep, lfd;
	char c;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		for (uint64_t k = 1; k <= 2; k++)
			if (mbox_link_recv(cep, 0, &c, 1, 0, 0, &meta) != 1 || meta.seq != k)
				_exit(1);
		_exit(0);
	}
	lfd = mbox_link_open(ep, p.pid, 0);
	ASSERT_GE(lfd, 0);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = MBOX_LINK_ASYNC;
	s.pid = p.pid;
	s.buf = (uintptr_t)"x";
	s.len = 1;
	ASSERT_EQ(0, ioctl(ep, MBOX_IOC_LINK_SEND, &s));
	EXPECT_EQ(1, s.seq);
	EXPECT_EQ(p.pid, s.pid);
	EXPECT_EQ(1, s.len);
	s.pid = 0;
	s.seq = 0;
	ASSERT_EQ(0, ioctl(lfd, MBOX_IOC_LINK_SEND, &s));
	EXPECT_EQ(2, s.seq);
	EXPECT_EQ(0, wait_child(p.pid));
	close(lfd);
	close(ep);
}

TEST(asynchronous_queue_full)
{
	struct mbox_link_info info;
	struct peer p;
	int ep, cep;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	if (pipe(p.ready) == 0) {
		p.pid = fork();
		if (p.pid == 0) {
			cep = mbox_endpoint(-1, 0, 2, NULL);
			peer_ready(&p);
			pause();
			_exit(cep < 0);
		}
		ASSERT_EQ(0, peer_wait_ready(&p));
	}
	ASSERT_EQ(0, mbox_link_send(ep, p.pid, "1", 1, MBOX_LINK_ASYNC, 0));
	ASSERT_EQ(0, mbox_link_send(ep, p.pid, "2", 1, MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(-EAGAIN, mbox_link_send(ep, p.pid, "3", 1,
					  MBOX_LINK_ASYNC | MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-ETIMEDOUT, mbox_link_send(ep, p.pid, "3", 1,
					     MBOX_LINK_ASYNC | MBOX_WAIT_TIMEOUT, 20000000));
	/* A synchronous send to nobody receiving times out and is withdrawn. */
	EXPECT_EQ(-ETIMEDOUT, mbox_link_send(ep, p.pid, "s", 1, MBOX_WAIT_TIMEOUT, 20000000));
	ASSERT_EQ(0, mbox_link_info(ep, p.pid, &info));
	EXPECT_EQ(2, info.queued_out);
	EXPECT_EQ(2, info.sent);
	EXPECT_EQ(2, info.capacity);
	EXPECT_EQ(0, info.state);
	EXPECT_EQ(p.pid, info.pid);
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	close(ep);
}

/* The peer is SIGKILLed while we are blocked on it: -ECONNRESET, at once. */
static void blocked_then_killed(struct __test_metadata *_metadata, int what)
{
	struct peer p;
	pid_t killer;
	int64_t t0;
	int ep, cep, ret;
	char buf[8];

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		pause();
		_exit(0);
	}
	killer = fork();
	ASSERT_LE(0, killer);
	if (killer == 0) {
		/* Only once we sleep on the peer: before, it would not be a link's death. */
		int blocked = wait_blocked_in_syscall(getppid(), SYS_ioctl);

		kill(p.pid, SIGKILL);
		_exit(blocked ? 1 : 0);
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	if (what == 0)
		ret = mbox_link_send(ep, p.pid, "x", 1, 0, 0);
	else if (what == 1)
		ret = mbox_link_recv(ep, p.pid, buf, sizeof(buf), 0, 0, NULL);
	else
		ret = mbox_call(ep, p.pid, "q", 1, buf, sizeof(buf), 0, 0, NULL);
	EXPECT_EQ(-ECONNRESET, ret);
	EXPECT_LT(now_ns(CLOCK_MONOTONIC) - t0, 20000000000LL);
	waitpid(p.pid, NULL, 0);
	EXPECT_EQ(0, wait_child(killer)) TH_LOG("we were not seen blocked on the peer");
	close(ep);
}

TEST(peer_killed_during_synchronous_send)
{
	blocked_then_killed(_metadata, 0);
}

TEST(peer_killed_during_receive_from_it)
{
	blocked_then_killed(_metadata, 1);
}

TEST(server_killed_during_call)
{
	blocked_then_killed(_metadata, 2);
}

/*
 * The peer exits while a child it forked still holds its endpoint
 * descriptor: the endpoint goes with the process, not with the descriptor.
 */
TEST(peer_exit_counts_even_if_its_descriptor_lives_on)
{
	int keep[2];
	struct peer p;
	int64_t t0;
	int ep, cep;

	ASSERT_EQ(0, pipe(keep));
	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		char c;

		if (fork() == 0) {
			/* The grandchild keeps cep open until the test ends. */
			close(keep[1]);
			_exit(read(keep[0], &c, 1) < 0);
		}
		/* Exit once the parent sleeps on us (not before it has a link). */
		_exit(wait_blocked_in_syscall(getppid(), SYS_ioctl) ? 1 : 0);
	}
	close(keep[0]);
	t0 = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(-ECONNRESET, mbox_link_send(ep, p.pid, "x", 1, 0, 0));
	EXPECT_LT(now_ns(CLOCK_MONOTONIC) - t0, 20000000000LL);
	EXPECT_EQ(0, wait_child(p.pid)) TH_LOG("we were not seen blocked on the peer");
	close(keep[1]);
	close(ep);
}

TEST(dead_peers_messages_are_still_received)
{
	struct peer p;
	int ep, cep, lfd;
	char c;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		for (c = 'a'; c <= 'c'; c++)
			if (mbox_link_send(cep, getppid(), &c, 1, MBOX_LINK_ASYNC, 0))
				_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(p.pid));
	lfd = mbox_link_open(ep, p.pid, 0);
	/* Reaped: its pid names nothing any more, but a link made earlier... */
	EXPECT_EQ(-ESRCH, lfd);
	/* ...is still there: receive from any gets its messages, sender 0. */
	for (char want = 'a'; want <= 'c'; want++) {
		struct mbox_link_recv meta;

		ASSERT_EQ(1, mbox_link_recv(ep, 0, &c, 1, MBOX_WAIT_NONBLOCK, 0, &meta));
		EXPECT_EQ(want, c);
		EXPECT_EQ(0, meta.pid);
		EXPECT_NE(0, meta.link_id);
	}
	/* Nothing else is left. */
	EXPECT_EQ(-EAGAIN, mbox_link_recv(ep, 0, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	close(ep);
}

TEST(link_descriptor_poll_and_hangup)
{
	struct mbox_link_info info;
	struct pollfd pfd;
	struct peer p;
	int ep, cep, lfd;
	char c;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		c = 'm';
		if (mbox_link_send(cep, getppid(), &c, 1, MBOX_LINK_ASYNC, 0))
			_exit(1);
		/* Wait for the parent's word, then exit. */
		_exit(mbox_link_recv(cep, 0, &c, 1, 0, 0, NULL) == 1 ? 0 : 2);
	}
	lfd = mbox_link_open(ep, p.pid, 0);
	ASSERT_GE(lfd, 0);
	/* The link may be ours before the child's message is in: wait for it. */
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_TRUE(pfd.revents & POLLOUT);
	EXPECT_FALSE(pfd.revents & POLLHUP);
	ASSERT_EQ(1, read(lfd, &c, 1));
	EXPECT_EQ('m', c);
	/* write(2) is a synchronous send: it returns once the peer has it. */
	ASSERT_EQ(1, write(lfd, "q", 1));
	ASSERT_EQ(0, wait_child(p.pid));
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(-EPIPE, mbox_link_send(lfd, 0, "x", 1, MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(-ECONNRESET, mbox_link_recv(lfd, 0, &c, 1, 0, 0, NULL));
	ASSERT_EQ(0, mbox_link_info(lfd, 0, &info));
	EXPECT_EQ(MBOX_LINK_DEAD, info.state);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(1, info.received);
	close(lfd);
	close(ep);
}

TEST(permission_denied_across_uids)
{
	struct peer p;
	int ep, cep;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 0, &cep));
	if (p.pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(1);
		cep = mbox_endpoint(-1, 0, 0, NULL);
		if (cep < 0)
			_exit(2);
		/* May not signal root, and root's endpoint admits nobody else. */
		if (mbox_link_send(cep, getppid(), "x", 1, MBOX_LINK_ASYNC, 0) != -EPERM)
			_exit(3);
		/* A pid that does not exist is still -ESRCH, as for kill(2). */
		if (mbox_link_send(cep, 1 << 22, "x", 1, MBOX_LINK_ASYNC, 0) != -ESRCH)
			_exit(4);
		peer_ready(&p);
		/* Root may send to us; then the link works both ways. */
		char c;

		if (mbox_link_recv(cep, 0, &c, 1, 0, 0, NULL) != 1)
			_exit(5);
		_exit(mbox_link_send(cep, getppid(), "y", 1, MBOX_LINK_ASYNC, 0) ? 6 : 0);
	}
	ASSERT_EQ(0, peer_wait_ready(&p));
	ASSERT_EQ(0, mbox_link_send(ep, p.pid, "r", 1, 0, 0));
	EXPECT_EQ(0, wait_child(p.pid));
	close(ep);
}

TEST(mode_admits_other_users)
{
	struct peer p;
	int ep, cep;
	char c;

	ep = mbox_endpoint(-1, 0002, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 0, &cep));
	if (p.pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(1);
		cep = mbox_endpoint(-1, 0, 0, NULL);
		_exit(cep >= 0 && mbox_link_send(cep, getppid(), "o", 1, 0, 0) == 0 ? 0 : 2);
	}
	ASSERT_EQ(1, mbox_link_recv(ep, 0, &c, 1, 0, 0, NULL));
	EXPECT_EQ('o', c);
	EXPECT_EQ(0, wait_child(p.pid));
	close(ep);
}

/* A server that takes four calls, then answers them in reverse order. */
static int reverse_server(int cep)
{
	struct mbox_link_recv meta[4];
	char req[4][32];

	for (int i = 0; i < 4; i++) {
		int n = mbox_link_recv(cep, 0, req[i], sizeof(req[i]) - 1, 0, 0, &meta[i]);

		if (n < 0 || !meta[i].call_id)
			return 1;
		req[i][n] = 0;
	}
	for (int i = 3; i >= 0; i--) {
		char rep[40];
		int n = snprintf(rep, sizeof(rep), "re:%s", req[i]);

		if (mbox_reply(cep, meta[i].call_id, rep, n))
			return 2;
	}
	/* Answering twice, or a call never made, is -ENOENT. */
	if (mbox_reply(cep, meta[0].call_id, "x", 1) != -ENOENT)
		return 3;
	return 0;
}

TEST(concurrent_callers_get_their_own_replies)
{
	struct peer p;
	pid_t callers[4];
	int cep;

	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0)
		_exit(reverse_server(cep));
	for (int i = 0; i < 4; i++) {
		callers[i] = fork();
		if (callers[i] == 0) {
			char req[16], rep[40], want[40];
			int ep = mbox_endpoint(-1, 0, 0, NULL), n;

			snprintf(req, sizeof(req), "caller%d", i);
			snprintf(want, sizeof(want), "re:%s", req);
			n = mbox_call(ep, p.pid, req, strlen(req), rep, sizeof(rep), 0, 0, NULL);
			_exit(n == (int)strlen(want) && !memcmp(rep, want, n) ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, wait_child(callers[i]));
	EXPECT_EQ(0, wait_child(p.pid));
}

TEST(long_reply_is_kept_for_the_caller)
{
	struct peer p;
	uint64_t id;
	char small[4], big[64];
	int ep, cep;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		struct mbox_link_recv meta;
		char q[8];

		if (mbox_link_recv(cep, 0, q, sizeof(q), 0, 0, &meta) < 0)
			_exit(1);
		_exit(mbox_reply(cep, meta.call_id, "a long reply", 12) ? 2 : 0);
	}
	EXPECT_EQ(-EMSGSIZE, mbox_call(ep, p.pid, "q", 1, small, sizeof(small), 0, 0, &id));
	EXPECT_NE(0, id);
	EXPECT_EQ(12, mbox_call_reply_fetch(ep, id, big, sizeof(big)));
	EXPECT_EQ(0, memcmp(big, "a long reply", 12));
	EXPECT_EQ(0, wait_child(p.pid));
	close(ep);
}

TEST(call_timeout_and_late_reply)
{
	struct peer p;
	int ep, cep, gave_up[2];
	char buf[8];

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(gave_up));
	ASSERT_LE(0, peer_fork(&p, 1, &cep));
	if (p.pid == 0) {
		struct mbox_link_recv meta;

		close(gave_up[1]);
		if (mbox_link_recv(cep, 0, buf, sizeof(buf), 0, 0, &meta) < 0)
			_exit(1);
		/* Reply only once the caller's call has returned. */
		if (read(gave_up[0], buf, 1) != 1)
			_exit(3);
		/* The caller gave up: the reply reaches nobody. */
		_exit(mbox_reply(cep, meta.call_id, "late", 4) == -ENOENT ? 0 : 2);
	}
	close(gave_up[0]);
	EXPECT_EQ(-ETIMEDOUT, mbox_call(ep, p.pid, "q", 1, buf, sizeof(buf),
					MBOX_WAIT_TIMEOUT, 100000000, NULL));
	ASSERT_EQ(1, write(gave_up[1], "g", 1));
	close(gave_up[1]);
	EXPECT_EQ(0, wait_child(p.pid));
	EXPECT_EQ(-EAGAIN, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(ep);
}

/* fork() into a new pid namespace: the child is its init, pid 1. */
static pid_t fork_new_pidns(void)
{
	return syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
}

static int set_last_pid(pid_t pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%d", pid) > 0;
	return !fclose(f) && ok ? 0 : -1;
}

#define STEP(code, cond) do { if (!(cond)) return (code); } while (0)

/*
 * The recycled process: nothing meant for its predecessor reaches it. It
 * stays until the parent closes @stay, since its exit would end the link the
 * parent is about to look at.
 */
static int pid_reuse_newcomer(int ready, int stay)
{
	struct mbox_link_recv meta;
	char buf[16];
	int ep = mbox_endpoint(-1, 0, 0, NULL);

	STEP(30, ep >= 0);
	STEP(31, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL) ==
		 -EAGAIN);
	STEP(32, write(ready, "r", 1) == 1);
	STEP(33, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 10000000000LL,
				&meta) == 3 && !memcmp(buf, "new", 3));
	STEP(34, meta.pid == 1 && meta.seq == 1);
	STEP(35, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL) ==
		 -EAGAIN);
	STEP(36, read(stay, buf, 1) == 0);
	return 0;
}

/*
 * As init of a new pid namespace, where ns_last_pid is ours to set: make a
 * link with A and queue messages both ways, kill A, have its pid recycled
 * for B, and check the old link stays dead and B sees none of A's traffic.
 */
static int pid_reuse_inner(void)
{
	struct mbox_link_info old_info, info;
	struct mbox_link_recv meta;
	int hold[2], ready[2], stay[2];
	struct pollfd pfd;
	int ep, lfd;
	char buf[16];
	pid_t a, b;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	STEP(2, ep >= 0 && !pipe(hold) && !pipe(ready));
	a = fork();
	if (a == 0) {
		int aep = mbox_endpoint(-1, 0, 0, NULL);

		if (aep < 0 || mbox_link_send(aep, 1, "from-A", 6, MBOX_LINK_ASYNC, 0) ||
		    write(ready[1], "a", 1) != 1)
			_exit(1);
		close(hold[1]);
		_exit(read(hold[0], buf, 1) < 0);	/* until killed */
	}
	STEP(3, a > 0);
	close(hold[0]);
	STEP(4, read(ready[0], buf, 1) == 1);
	/* A's message is in; leave it queued. */
	STEP(5, mbox_link_recv(ep, a, buf, sizeof(buf), MBOX_RECV_PEEK, 0, NULL) == 6);
	lfd = mbox_link_open(ep, a, 0);
	STEP(6, lfd >= 0 && !mbox_link_info(lfd, 0, &old_info));
	for (int i = 0; i < 3; i++)
		STEP(7, !mbox_link_send(lfd, 0, "old", 3, MBOX_LINK_ASYNC, 0));

	STEP(8, !kill(a, SIGKILL) && waitpid(a, NULL, 0) == a);
	STEP(9, mbox_link_send(lfd, 0, "old", 3, MBOX_LINK_ASYNC, 0) == -EPIPE);

	/* The next process gets A's pid. */
	STEP(22, !set_last_pid(a - 1) && !pipe(stay));
	b = fork();
	if (b == 0) {
		close(stay[1]);
		_exit(pid_reuse_newcomer(ready[1], stay[0]));
	}
	close(stay[0]);
	STEP(10, b == a);
	STEP(11, read(ready[0], buf, 1) == 1);
	/* No link with B yet: A's is not B's... */
	STEP(12, mbox_link_info(ep, b, &info) == -ENOTCONN);
	/* ...and the old descriptor still refers to the dead link. */
	STEP(13, mbox_link_send(lfd, 0, "old", 3, MBOX_LINK_ASYNC, 0) == -EPIPE);
	pfd = (struct pollfd){ .fd = lfd, .events = POLLOUT };
	STEP(14, poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP));
	STEP(15, !mbox_link_send(ep, b, "new", 3, MBOX_LINK_ASYNC, 0));
	STEP(16, !mbox_link_info(ep, b, &info) && info.id != old_info.id);
	STEP(17, !mbox_link_info(lfd, 0, &info) && info.id == old_info.id &&
		 (info.state & MBOX_LINK_DEAD));
	close(stay[1]);
	STEP(18, wait_child(b) == 0);

	/* A's message is still here, from pid 0: its pid is B's now. */
	STEP(19, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, &meta) == 6);
	STEP(20, !memcmp(buf, "from-A", 6) && meta.pid == 0 && meta.link_id == old_info.id);
	STEP(21, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL) ==
		 -EAGAIN);
	close(lfd);
	close(ep);
	return 0;
}

TEST(pid_reuse_cannot_hijack_a_link)
{
	pid_t init = fork_new_pidns();

	if (init < 0 && (errno == EPERM || errno == EINVAL))
		SKIP(return, "no new pid namespace: %s", strerror(errno));
	ASSERT_LE(0, init);
	if (init == 0)
		_exit(pid_reuse_inner());
	EXPECT_EQ(0, wait_child(init));
}

/*
 * A process in a child pid namespace is named by its outer pid from outside
 * and by its inner pid inside; a sender it cannot see is reported as 0, and
 * it can still answer a call (by call ID).
 */
static int pidns_inner(int ready, int done)
{
	struct mbox_link_recv meta, dmeta;
	char buf[16];
	int ep;
	pid_t d;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	STEP(2, getpid() == 1 && ep >= 0 && write(ready, "r", 1) == 1);
	STEP(3, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 10000000000LL,
			       &meta) == 4 && !memcmp(buf, "ping", 4));
	STEP(4, meta.pid == 0 && meta.call_id != 0);
	d = fork();
	if (d == 0) {
		int dep = mbox_endpoint(-1, 0, 0, NULL);

		_exit(dep < 0 || mbox_link_send(dep, 1, "inner", 5, 0, 0));
	}
	STEP(5, d == 2);
	STEP(6, mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 10000000000LL,
			       &dmeta) == 5 && dmeta.pid == 2);
	STEP(7, wait_child(d) == 0);
	STEP(8, !mbox_reply(ep, meta.call_id, "pong", 4));
	/* Stay until the parent has looked at the link. */
	STEP(9, read(done, buf, 1) == 1);
	close(ep);
	return 0;
}

TEST(pid_namespace_naming)
{
	struct mbox_link_info info;
	int ep, ready[2], done[2];
	char buf[16];
	pid_t c;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	c = fork_new_pidns();
	if (c < 0 && (errno == EPERM || errno == EINVAL))
		SKIP(return, "no new pid namespace: %s", strerror(errno));
	ASSERT_LE(0, c);
	if (c == 0)
		_exit(pidns_inner(ready[1], done[0]));
	ASSERT_EQ(1, read(ready[0], buf, 1));
	/* Its pid 1 is init's here: the child is named by its outer pid. */
	ASSERT_EQ(4, mbox_call(ep, c, "ping", 4, buf, sizeof(buf), MBOX_WAIT_TIMEOUT,
			       10000000000LL, NULL));
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	ASSERT_EQ(0, mbox_link_info(ep, c, &info));
	EXPECT_EQ(c, info.pid);
	ASSERT_EQ(1, write(done[1], "d", 1));
	EXPECT_EQ(0, wait_child(c));
	close(ep);
}

/*
 * An endpoint whose process exited, held on by a descriptor a child
 * inherited, reports pid 0: the number may already be another process's.
 */
TEST(dead_endpoint_reports_pid_zero)
{
	int sync[2], res[2];
	char c = 0;
	pid_t a;

	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pipe(res));
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int ep = mbox_endpoint(-1, 0, 0, NULL);
		pid_t b;

		close(res[0]);
		if (ep < 0)
			_exit(10);
		b = fork();
		if (b == 0) {
			struct mbox_endpoint_info info;
			char v = 'T';

			/* Wait until our parent is gone (its end of the pipe closed). */
			close(sync[1]);
			if (read(sync[0], &c, 1) != 0)
				v = 'R';
			for (int i = 0; v == 'T' && i < 1000; i++) {
				if (mbox_endpoint_info(ep, &info))
					v = 'I';
				else if (info.pid == 0)
					v = 'K';
				else
					usleep(10000);
			}
			_exit(write(res[1], &v, 1) == 1 ? 0 : 1);
		}
		/* Exit at once; the child keeps the descriptor. */
		_exit(b > 0 ? 0 : 14);
	}
	close(sync[0]);
	close(sync[1]);
	close(res[1]);
	ASSERT_EQ(0, wait_child(a));
	ASSERT_EQ(1, read(res[0], &c, 1));
	EXPECT_EQ('K', c) TH_LOG("T: still a pid after 10 s; I: info failed; R: sync");
	close(res[0]);
}

/* A pid of 0 or less names nobody: -EINVAL for every pid-addressed command. */
TEST(pid_zero_or_negative_is_invalid)
{
	struct mbox_link_info info;
	char buf[4];
	int ep;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_GE(ep, 0);
	for (pid_t pid = -1; pid <= 0; pid++) {
		EXPECT_EQ(-EINVAL, mbox_link_info(ep, pid, &info));
		EXPECT_EQ(-EINVAL, mbox_link_send(ep, pid, "x", 1, MBOX_LINK_ASYNC, 0));
		EXPECT_EQ(-EINVAL, mbox_link_open(ep, pid, 0));
		EXPECT_EQ(-EINVAL, mbox_call(ep, pid, "x", 1, buf, sizeof(buf), 0, 0, NULL));
	}
	close(ep);
}

TEST_NOTHING_LEFT()

/*
 * A send by pid racing the peer's endpoint going (here: a process that
 * makes and closes its endpoint in a loop) gets the peer's state as it is
 * then: a new link, -ECONNREFUSED (no endpoint), -ECONNRESET (it went while
 * we sent or waited), or the send's own -EAGAIN/-ETIMEDOUT; never -EPIPE,
 * which is for link descriptors and replies (it used to leak out when the
 * link found died before the message was put on it: a few times in 15 s).
 */
struct churn_sender {
	int ep;
	pid_t peer;
	int sync;
	int *stop;
	unsigned long sent, bad, last_bad;
};

static void *churn_send(void *arg)
{
	struct churn_sender *s = arg;

	while (!__atomic_load_n(s->stop, __ATOMIC_RELAXED)) {
		int ret = s->sync ?
			mbox_link_send(s->ep, s->peer, "x", 1, MBOX_WAIT_TIMEOUT, 1000000) :
			mbox_link_send(s->ep, s->peer, "x", 1,
				       MBOX_LINK_ASYNC | MBOX_WAIT_NONBLOCK, 0);

		if (!ret)
			s->sent++;
		else if (ret != -ECONNREFUSED && ret != -ECONNRESET && ret != -EAGAIN &&
			 ret != -ETIMEDOUT)
			s->bad++, s->last_bad = -ret;
	}
	return NULL;
}

TEST(send_by_pid_racing_the_peers_close_never_gets_epipe)
{
	struct churn_sender s[4];
	int stop = 0;
	pthread_t th[4];
	int ep, i;
	pid_t q;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		/* Never outlive a test that failed before killing us. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			int fd = mbox_endpoint(-1, 0, 0, NULL);

			if (fd >= 0)
				close(fd);
		}
	}
	for (i = 0; i < 4; i++) {
		s[i] = (struct churn_sender){ .ep = ep, .peer = q, .sync = i & 1, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_send, &s[i]));
	}
	sleep_ms(3000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		TH_LOG("%s sender: %lu sent", s[i].sync ? "sync" : "async", s[i].sent);
		EXPECT_EQ(0, s[i].bad) TH_LOG("errno %lu", s[i].last_bad);
	}
	kill(q, SIGKILL);
	waitpid(q, NULL, 0);
	close(ep);
}

TEST_HARNESS_MAIN
