// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep (needs CONFIG_FAULT_INJECTION: the debug kernel;
 * skipped elsewhere). For each area, a scenario runs in a child that fails
 * its 1st, then 2nd, ... Nth fault-injectable call (slab and page
 * allocations, user copies) through /proc/thread-self/fail-nth, until a run
 * completes with no failure injected. Every injected failure must come back
 * as an error: the child must not crash, the kernel must not splat (the VM
 * runner checks), nothing may be left in the module afterwards, and the
 * module must still unload (the runner checks that too).
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	MBOX_FEAT_ALL
#include "../mbox_test.h"

#define MAX_POINTS	5000

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return ret;
}

/* GFP_KERNEL allocations are exempt by default: make them eligible. */
static int setup_injection(void)
{
	if (access("/proc/self/fail-nth", F_OK))
		return -ENOENT;
	write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_file("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	/* No stack dump per injected failure: the runner treats those as splats. */
	write_file("/sys/kernel/debug/failslab/verbose", "0");
	write_file("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	write_file("/sys/kernel/debug/fail_usercopy/verbose", "0");
	return 0;
}

static void mailbox_scenario(void)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 4 };
	char buf[256], b2[2][16];
	struct mbox_send sv[2] = {
		{ .size = sizeof(sv[0]), .buf = (uintptr_t)"a", .len = 1 },
		{ .size = sizeof(sv[0]), .buf = (uintptr_t)"bb", .len = 2 },
	};
	struct mbox_recv rv[2] = {
		{ .size = sizeof(rv[0]), .buf = (uintptr_t)b2[0], .len = 16 },
		{ .size = sizeof(rv[0]), .buf = (uintptr_t)b2[1], .len = 16 },
	};
	struct mbox_info in;
	int fd, b;

	fd = mbox_open(-1, "fn_mb", MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE,
		       &attr, NULL);
	mbox_send(fd, "hello", 5, 3, MBOX_WAIT_NONBLOCK, 0);
	mbox_send_batch(fd, sv, 2, MBOX_WAIT_NONBLOCK, 0);
	mbox_recv(fd, buf, sizeof(buf), MBOX_RECV_PEEK | MBOX_WAIT_NONBLOCK, 0, NULL);
	mbox_recv(fd, buf, 2, MBOX_WAIT_NONBLOCK, 0, NULL);
	mbox_recv_batch(fd, rv, 2, MBOX_WAIT_NONBLOCK, 0);
	mbox_info(fd, &in);
	mbox_unlink(-1, "fn_mb");
	close(fd);
	attr.mb_flags = MBOX_MB_BROADCAST;
	b = mbox_open(-1, NULL, MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE, &attr, NULL);
	mbox_subscribe(b);
	mbox_send(b, "news", 4, 0, MBOX_WAIT_NONBLOCK, 0);
	mbox_recv(b, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL);
	close(b);
}

static pid_t peer;

/* The peer (not under injection) answers calls and sends one message. */
static void link_peer(int ready)
{
	int ep = mbox_endpoint(-1, 0, 0, NULL);
	struct mbox_link_recv meta;
	char buf[64];

	if (ep < 0 || write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		int n = mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, &meta);

		if (n < 0)
			continue;
		if (meta.call_id)
			mbox_reply(ep, meta.call_id, "pong", 4);
		else
			mbox_link_send(ep, meta.pid, "back", 4, MBOX_LINK_ASYNC, 0);
	}
}

static void link_scenario(void)
{
	struct mbox_link_info li;
	char buf[64];
	int ep, lfd;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	mbox_link_send(ep, peer, "hi", 2, MBOX_WAIT_TIMEOUT, 1000000000);
	mbox_link_recv(ep, peer, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 1000000000, NULL);
	mbox_call(ep, peer, "ping", 4, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 1000000000, NULL);
	lfd = mbox_link_open(ep, peer, 0);
	mbox_link_info(lfd, 0, &li);
	mbox_link_send(lfd, 0, "x", 1, MBOX_LINK_ASYNC, 0);
	close(lfd);
	close(ep);
}

static void ring_scenario(void)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 16384 };
	struct mbox_ring *p = NULL, *c = NULL;
	struct mbox_ring_info in;
	const void *rp;
	char buf[64];
	void *w;

	if (mbox_ring_open(-1, "fn_ring", MBOX_RING_PRODUCER | MBOX_RING_CREATE, &attr, &p))
		goto out;
	if (mbox_ring_open(-1, "fn_ring", MBOX_RING_CONSUMER, NULL, &c))
		goto out;
	mbox_ring_send(p, "abc", 3, MBOX_WAIT_NONBLOCK, 0);
	if (!mbox_ring_reserve(p, 8, &w, MBOX_WAIT_NONBLOCK, 0)) {
		memcpy(w, "12345678", 8);
		mbox_ring_commit(p);
	}
	mbox_ring_recv(c, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0);
	mbox_ring_peek(c, &rp, MBOX_WAIT_NONBLOCK, 0);
	mbox_ring_release(c);
	mbox_ring_recv(c, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 1000000);
	mbox_ring_info(c, &in);
out:
	mbox_ring_unlink(-1, "fn_ring");
	mbox_ring_close(c);
	mbox_ring_close(p);
}

/*
 * Run @scenario with the @nth injectable call failing. Return 1 if a failure
 * was injected, 0 if the scenario ran out of calls first, -1 if the child
 * died or misbehaved.
 */
static int run_nth(void (*scenario)(void), unsigned int nth)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		char val[16], left[16] = "";
		int fd;

		/* No page faults of our own to eat the injection. */
		mlockall(MCL_CURRENT | MCL_FUTURE);
		fd = open("/proc/thread-self/fail-nth", O_RDWR);
		if (fd < 0)
			_exit(3);
		snprintf(val, sizeof(val), "%u", nth);
		if (write(fd, val, strlen(val)) < 0)
			_exit(4);
		scenario();
		/*
		 * Reading the count is itself a user copy that counts: if it
		 * fails, the count was 1, so the scenario did not reach the
		 * nth call. Likewise the reset below may eat the last one.
		 */
		if (pread(fd, left, sizeof(left) - 1, 0) < 0)
			_exit(errno == EFAULT ? 0 : 5);
		if (write(fd, "0", 1) < 0 && errno != EFAULT)
			_exit(6);
		/* 0 left: the nth call failed; otherwise nothing was injected. */
		_exit(atoi(left) == 0 ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st) || WEXITSTATUS(st) > 1) {
		fprintf(stderr, "# failing call %u: the child %s %d\n", nth,
			WIFSIGNALED(st) ? "was killed by signal" : "exited with",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
	return WEXITSTATUS(st);
}

/* Wait for the module to hold nothing but @endpoints endpoints. */
static int settled(struct mbox_stats *st, uint64_t endpoints)
{
	for (int i = 0; i < 300; i++) {
		if (mbox_stats(-1, st))
			return -1;
		if (!st->mailboxes && !st->links && !st->rings && !st->messages &&
		    st->endpoints == endpoints)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

static void sweep(struct __test_metadata *_metadata, const char *area,
		  void (*scenario)(void), uint64_t endpoints)
{
	unsigned int nth, died = 0;
	struct mbox_stats st;
	int ret = 1;

	if (setup_injection())
		SKIP(return, "no fault injection in this kernel (CONFIG_FAULT_INJECTION)");
	for (nth = 1; nth <= MAX_POINTS && ret == 1; nth++) {
		ret = run_nth(scenario, nth);
		if (ret < 0) {
			died++;
			ret = 1;
		}
		mbox_unlink(-1, "fn_mb");
		mbox_ring_unlink(-1, "fn_ring");
		ASSERT_EQ(0, settled(&st, endpoints)) TH_LOG("%s: left after failing call %u",
							     area, nth);
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, died);
	TH_LOG("%s: %u injection points exercised, each one came back as an error", area,
	       nth - 2);
}

FIXTURE(inject) {
};

FIXTURE_SETUP(inject)
{
}

FIXTURE_TEARDOWN(inject)
{
}

TEST_F_TIMEOUT(inject, mailboxes, 3600)
{
	sweep(_metadata, "mailboxes", mailbox_scenario, 0);
}

TEST_F_TIMEOUT(inject, links, 3600)
{
	int ready[2];
	char c;

	if (setup_injection())
		SKIP(return, "no fault injection in this kernel (CONFIG_FAULT_INJECTION)");
	ASSERT_EQ(0, pipe(ready));
	peer = fork();
	if (peer == 0)
		link_peer(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	sweep(_metadata, "links", link_scenario, 1);
	kill(peer, SIGKILL);
	waitpid(peer, NULL, 0);
}

TEST_F_TIMEOUT(inject, rings, 3600)
{
	sweep(_metadata, "rings", ring_scenario, 0);
}

TEST_HARNESS_MAIN
