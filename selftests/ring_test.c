// SPDX-License-Identifier: GPL-2.0
/*
 * Shared ring segments: create/open/roles, the record protocol, blocking
 * and waking, poll, end of stream and peer loss, mmap rules and role
 * protection, fork, hostile peers, limits, and a 1,000,000-record stream.
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_RING)
#include "mbox_test.h"

#define PROD	MBOX_RING_PRODUCER
#define CONS	MBOX_RING_CONSUMER

static int raw_ring_open(const char *name, unsigned int flags, unsigned int mode,
			 unsigned int data_size)
{
	struct mbox_ring_open op = {
		.size = sizeof(op), .flags = flags, .name = (uintptr_t)name,
		.mode = mode, .data_size = data_size,
	};
	int dev = mbox_dev_open(0), fd;

	if (dev < 0)
		return dev;
	fd = raw_ioctl(dev, MBOX_IOC_RING_OPEN, &op);
	close(dev);
	return fd;
}

/* An anonymous ring: the producer's handle, and the consumer's. */
static int ring_pair(uint32_t size, struct mbox_ring **p, struct mbox_ring **c)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = size };
	struct mbox_ring_info in;
	int ret;

	ret = mbox_ring_open(-1, NULL, PROD | MBOX_RING_CREATE, &attr, p);
	if (ret)
		return ret;
	ret = mbox_ring_info(*p, &in);
	if (!ret)
		ret = mbox_ring_open_id(-1, in.id, CONS, c);
	if (ret)
		mbox_ring_close(*p);
	return ret;
}

static uint64_t ring_id(struct mbox_ring *r)
{
	struct mbox_ring_info in;

	return mbox_ring_info(r, &in) ? 0 : in.id;
}

TEST(create_open_roles_unlink)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 8192 };
	struct mbox_ring *p, *c, *x;
	struct mbox_ring_info in;
	struct mbox_stats st;

	mbox_ring_unlink(-1, "rt_a");
	ASSERT_EQ(0, mbox_ring_open(-1, "rt_a", PROD | MBOX_RING_CREATE | MBOX_RING_EXCL,
				    &attr, &p));
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_LE(1, st.rings);
	EXPECT_EQ(-EEXIST, mbox_ring_open(-1, "rt_a", CONS | MBOX_RING_CREATE |
					  MBOX_RING_EXCL, &attr, &x));
	/* One producer at a time. */
	EXPECT_EQ(-EBUSY, mbox_ring_open(-1, "rt_a", PROD, NULL, &x));
	ASSERT_EQ(0, mbox_ring_open(-1, "rt_a", CONS, NULL, &c));
	EXPECT_EQ(-EBUSY, mbox_ring_open(-1, "rt_a", CONS, NULL, &x));
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	EXPECT_EQ(8192, in.data_size);
	EXPECT_EQ(8192 / 2 - 8, in.rec_max);
	EXPECT_EQ(CONS, in.role);
	EXPECT_EQ(MBOX_RING_F_PRODUCER | MBOX_RING_F_CONSUMER, in.state);
	/* The role is free again once its holder is gone. */
	mbox_ring_close(p);
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	EXPECT_EQ(MBOX_RING_F_CONSUMER | MBOX_RING_F_PRODUCER_GONE, in.state);
	ASSERT_EQ(0, mbox_ring_open(-1, "rt_a", PROD, NULL, &p));
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	EXPECT_EQ(MBOX_RING_F_PRODUCER | MBOX_RING_F_CONSUMER, in.state);
	/* A mailbox of that name is a different object kind. */
	EXPECT_EQ(-ENOENT, mbox_open(-1, "rt_a", MBOX_OPEN_RECV, NULL, NULL));
	EXPECT_EQ(-ENOENT, mbox_unlink(-1, "rt_a"));
	EXPECT_EQ(0, mbox_ring_unlink(-1, "rt_a"));
	EXPECT_EQ(-ENOENT, mbox_ring_open(-1, "rt_a", CONS, NULL, &x));
	/* Unlinked, still usable by those attached. */
	EXPECT_EQ(0, mbox_ring_send(p, "x", 1, 0, 0));
	mbox_ring_close(p);
	mbox_ring_close(c);
}

TEST(bad_arguments)
{
	struct mbox_ring_attr attr = { .data_size = 8192 };
	struct mbox_ring *r;

	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD | CONS | MBOX_RING_CREATE, 0600, 8192));
	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD | MBOX_RING_CREATE | (1u << 20), 0600, 8192));
	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD | MBOX_RING_CREATE, 0600, 12288));
	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD | MBOX_RING_CREATE, 0600, 2048));
	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD | MBOX_RING_CREATE, 0600, 1u << 31));
	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD | MBOX_RING_CREATE, 01000, 8192));
	EXPECT_EQ(-EINVAL, raw_ring_open("rt_x", PROD, 0, 8192));	/* attrs without CREATE */
	EXPECT_EQ(-EINVAL, raw_ring_open(NULL, PROD, 0, 0));		/* neither name nor ID */
	EXPECT_EQ(-EINVAL, mbox_ring_open(-1, NULL, PROD | CONS | MBOX_RING_CREATE, &attr, &r));
	EXPECT_EQ(-ENOENT, mbox_ring_open(-1, "rt_nosuch", CONS, NULL, &r));
}

TEST(records_in_order_zero_and_max)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	char big[4096], out[4096];
	const void *ptr;
	void *w;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	ASSERT_EQ(0, mbox_ring_info(p, &in));
	memset(big, 'm', sizeof(big));
	EXPECT_EQ(-EMSGSIZE, mbox_ring_send(p, big, in.rec_max + 1, 0, 0));
	EXPECT_EQ(0, mbox_ring_send(p, "", 0, 0, 0));
	EXPECT_EQ(0, mbox_ring_send(p, "hello", 5, 0, 0));
	EXPECT_EQ(0, mbox_ring_send(p, big, in.rec_max, 0, 0));
	EXPECT_EQ(-EAGAIN, mbox_ring_send(p, big, in.rec_max, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(0, mbox_ring_recv(c, out, sizeof(out), 0, 0));
	EXPECT_EQ(-EMSGSIZE, mbox_ring_recv(c, out, 4, 0, 0));	/* stays queued */
	EXPECT_EQ(5, mbox_ring_recv(c, out, sizeof(out), 0, 0));
	EXPECT_EQ(0, memcmp(out, "hello", 5));
	/* Zero-copy on both sides, a batch of three with one commit. */
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, mbox_ring_reserve(p, 3, &w, MBOX_WAIT_NONBLOCK, 0)) TH_LOG("i %d", i);
		memcpy(w, i == 0 ? "ab0" : i == 1 ? "ab1" : "ab2", 3);
	}
	EXPECT_EQ((int)in.rec_max, mbox_ring_peek(c, &ptr, 0, 0));
	EXPECT_EQ(0, memcmp(ptr, big, in.rec_max));
	/* Not committed yet: nothing more to see. */
	EXPECT_EQ(-EAGAIN, mbox_ring_peek(c, &ptr, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(0, mbox_ring_commit(p));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(3, mbox_ring_peek(c, &ptr, MBOX_WAIT_NONBLOCK, 0));
		EXPECT_EQ('0' + i, ((const char *)ptr)[2]);
	}
	EXPECT_EQ(0, mbox_ring_release(c));
	EXPECT_EQ(-EAGAIN, mbox_ring_recv(c, out, sizeof(out), MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-ETIMEDOUT, mbox_ring_recv(c, out, sizeof(out), MBOX_WAIT_TIMEOUT, 50000000));
	/* Roles: a consumer cannot produce and vice versa. */
	EXPECT_EQ(-EBADF, mbox_ring_send(c, "x", 1, 0, 0));
	EXPECT_EQ(-EBADF, mbox_ring_recv(p, out, 1, 0, 0));
	mbox_ring_close(p);
	mbox_ring_close(c);
}

/*
 * Wait up to 10 s until @r's ring counts at least @n sleeps of the producer
 * (@prod) or of the consumer: 0, or -1. The count goes up under the ring's
 * lock just before the sleep, so a wake-up made after seeing it is never
 * lost: the way to know the other side sleeps, where a pause only hopes so.
 */
static int wait_ring_sleeps(struct mbox_ring *r, int prod, uint64_t n)
{
	struct mbox_ring_info in;

	for (int i = 0; i < 1000; i++) {
		if (mbox_ring_info(r, &in))
			return -1;
		if ((prod ? in.prod_sleeps : in.cons_sleeps) >= n)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

TEST(empty_and_full_rings_block_and_wake)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	char buf[2048] = { 0 };
	pid_t pid;

	ASSERT_EQ(0, ring_pair(4096, &p, &c));
	pid = fork();
	if (pid == 0) {
		/* Send only once the consumer sleeps on the empty ring. */
		if (wait_ring_sleeps(p, 0, 1))
			_exit(3);
		if (mbox_ring_send(p, "wake", 4, 0, 0))
			_exit(1);
		/* Fill it, then block until the parent drains. */
		for (int i = 0; i < 8; i++)
			if (mbox_ring_send(p, buf, 1000, 0, 0))
				_exit(2);
		_exit(0);
	}
	mbox_ring_close(p);	/* the child holds the role now */
	EXPECT_EQ(4, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	/* Drain only once the producer sleeps on the full ring. */
	EXPECT_EQ(0, wait_ring_sleeps(c, 1, 1));
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	EXPECT_LE(1, in.cons_sleeps);
	EXPECT_LE(1, in.prod_sleeps);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(1000, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("3: the consumer was never seen asleep");
	/* Then the producer is gone: end of stream. */
	EXPECT_EQ(-EPIPE, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	EXPECT_LE(1, in.wakeups);
	mbox_ring_close(c);
}

TEST(poll_readiness_and_hangup)
{
	struct mbox_ring *p, *c;
	struct epoll_event ev = { 0 };
	struct pollfd pf[2];
	char buf[64];
	pid_t pid;
	int ep;

	ASSERT_EQ(0, ring_pair(4096, &p, &c));
	pf[0] = (struct pollfd){ .fd = mbox_ring_fd(c), .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = mbox_ring_fd(p), .events = POLLOUT };
	EXPECT_EQ(1, poll(pf, 2, 0));
	EXPECT_EQ(0, pf[0].revents);
	EXPECT_EQ(POLLOUT, pf[1].revents);
	ASSERT_EQ(0, mbox_ring_send(p, "x", 1, 0, 0));
	EXPECT_EQ(1, poll(pf, 1, 1000));
	EXPECT_EQ(POLLIN, pf[0].revents);
	EXPECT_EQ(1, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	/* A poller is woken by a send. */
	pid = fork();
	if (pid == 0) {
		sleep_ms(200);
		_exit(mbox_ring_send(p, "y", 1, 0, 0) ? 1 : 0);
	}
	EXPECT_EQ(1, poll(pf, 1, 5000));
	EXPECT_EQ(POLLIN, pf[0].revents);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(1, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	/* And an epoll waiter, edge-triggered. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLIN | EPOLLET;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, mbox_ring_fd(c), &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	pid = fork();
	if (pid == 0) {
		sleep_ms(200);
		_exit(mbox_ring_send(p, "z", 1, 0, 0) ? 1 : 0);
	}
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(EPOLLIN, ev.events);
	EXPECT_EQ(0, wait_child(pid));
	close(ep);
	mbox_ring_close(p);
	EXPECT_EQ(1, poll(pf, 1, 0));
	EXPECT_EQ(POLLIN | POLLHUP, pf[0].revents);
	EXPECT_EQ(1, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	EXPECT_EQ(-EPIPE, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	mbox_ring_close(c);
}

TEST(producer_killed_mid_write)
{
	struct mbox_ring *p, *c;
	char buf[64];
	int half[2];
	pid_t pid;
	void *w;

	ASSERT_EQ(0, ring_pair(4096, &p, &c));
	ASSERT_EQ(0, pipe(half));
	pid = fork();
	if (pid == 0) {
		mbox_ring_close(c);
		mbox_ring_send(p, "done", 4, 0, 0);
		/* Reserved and half written, never committed. */
		if (mbox_ring_reserve(p, 8, &w, 0, 0))
			_exit(1);
		memcpy(w, "half", 4);
		if (write(half[1], "h", 1) != 1)
			_exit(1);
		pause();
	}
	close(half[1]);
	mbox_ring_close(p);	/* ours; the child's copy holds the role */
	EXPECT_EQ(4, mbox_ring_recv(c, buf, sizeof(buf), 0, 0));
	/* Killed only once the record is half written. */
	ASSERT_EQ(1, read(half[0], buf, 1));
	close(half[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* The committed record came, the half-written one never does. */
	EXPECT_EQ(-EPIPE, mbox_ring_recv(c, buf, sizeof(buf), MBOX_WAIT_TIMEOUT,
					 5000000000LL));
	mbox_ring_close(c);
}

TEST(consumer_gone_fails_the_producer)
{
	struct mbox_ring *p, *c;
	char buf[3000] = { 0 };
	int sent, ret;
	pid_t pid;

	ASSERT_EQ(0, ring_pair(4096, &p, &c));
	pid = fork();
	if (pid == 0) {
		/* Go once the producer sleeps on the full ring. */
		_exit(wait_ring_sleeps(c, 1, 1) ? 1 : 0);
		/* The consumer's handle goes with the process. */
	}
	mbox_ring_close(c);	/* the child holds the role now */
	/* Fill the ring, block on it, and fail once the consumer goes. */
	for (sent = 0; (ret = mbox_ring_send(p, buf, 1500, 0, 0)) == 0; sent++)
		;
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(2, sent);
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("the producer was never seen asleep");
	EXPECT_EQ(-EPIPE, mbox_ring_send(p, "x", 1, 0, 0));
	mbox_ring_close(p);
}

static int map_area(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *m = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (m == MAP_FAILED)
		return -errno;
	munmap(m, len);
	return 0;
}

TEST(mmap_rules)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	int pf, cf, of;
	void *m;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	pf = mbox_ring_fd(p);
	cf = mbox_ring_fd(c);
	ASSERT_EQ(0, mbox_ring_info(p, &in));
	const struct mbox_ring_layout *l = &in.layout;

	EXPECT_EQ(0, map_area(pf, l->data_off, l->data_len, PROT_READ | PROT_WRITE, MAP_SHARED));
	EXPECT_EQ(-EINVAL, map_area(pf, l->data_off, l->data_len / 2, PROT_READ, MAP_SHARED));
	EXPECT_EQ(-EINVAL, map_area(pf, l->data_off, l->data_len * 2, PROT_READ, MAP_SHARED));
	EXPECT_EQ(-EINVAL, map_area(pf, 0x40000000, 4096, PROT_READ, MAP_SHARED));
	EXPECT_EQ(-EINVAL, map_area(pf, l->data_off, l->data_len, PROT_READ, MAP_PRIVATE));
	EXPECT_EQ(-EACCES, map_area(pf, l->data_off, l->data_len, PROT_READ | PROT_EXEC,
				    MAP_SHARED));
	/* Nobody writes the control page; each side only its own index. */
	EXPECT_EQ(-EACCES, map_area(pf, l->ctrl_off, l->ctrl_len, PROT_READ | PROT_WRITE,
				    MAP_SHARED));
	EXPECT_EQ(-EACCES, map_area(pf, l->cons_off, l->cons_len, PROT_READ | PROT_WRITE,
				    MAP_SHARED));
	EXPECT_EQ(-EACCES, map_area(cf, l->prod_off, l->prod_len, PROT_READ | PROT_WRITE,
				    MAP_SHARED));
	EXPECT_EQ(-EACCES, map_area(cf, l->data_off, l->data_len, PROT_READ | PROT_WRITE,
				    MAP_SHARED));
	EXPECT_EQ(0, map_area(cf, l->cons_off, l->cons_len, PROT_READ | PROT_WRITE, MAP_SHARED));
	/* A read-only mapping cannot be made writable later, nor grown. */
	m = mmap(NULL, l->data_len, PROT_READ, MAP_SHARED, cf, (off_t)l->data_off);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(-1, mprotect(m, l->data_len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mremap(m, l->data_len, l->data_len * 2, MREMAP_MAYMOVE));
	munmap(m, l->data_len);
	/* An observer (no role) sees only the control page. */
	of = raw_ring_open(NULL, 0, 0, 0);
	EXPECT_EQ(-EINVAL, of);
	{
		struct mbox_ring_open op = { .size = sizeof(op), .id = in.id };
		int dev = mbox_dev_open(0);

		of = raw_ioctl(dev, MBOX_IOC_RING_OPEN, &op);
		close(dev);
	}
	ASSERT_LE(0, of);
	EXPECT_EQ(0, map_area(of, l->ctrl_off, l->ctrl_len, PROT_READ, MAP_SHARED));
	EXPECT_EQ(-EACCES, map_area(of, l->data_off, l->data_len, PROT_READ, MAP_SHARED));
	close(of);
	mbox_ring_close(p);
	mbox_ring_close(c);
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

/* Whether writing a byte at @p faults. */
static int write_faults(volatile char *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	int faulted = 0;

	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_jmp, 1))
		faulted = 1;
	else
		*p = 1;
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

TEST(consumer_cannot_write_what_it_does_not_own)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	volatile char *data, *prod;
	int cf;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	cf = mbox_ring_fd(c);
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	data = mmap(NULL, in.layout.data_len, PROT_READ, MAP_SHARED, cf,
		    (off_t)in.layout.data_off);
	prod = mmap(NULL, in.layout.prod_len, PROT_READ, MAP_SHARED, cf,
		    (off_t)in.layout.prod_off);
	ASSERT_NE(MAP_FAILED, (void *)data);
	ASSERT_NE(MAP_FAILED, (void *)prod);
	EXPECT_TRUE(write_faults(data));
	EXPECT_TRUE(write_faults(prod));
	munmap((void *)data, in.layout.data_len);
	munmap((void *)prod, in.layout.prod_len);
	mbox_ring_close(p);
	mbox_ring_close(c);
}

TEST(mapping_outlives_descriptor_and_fork_shares_it)
{
	struct mbox_ring *p, *c, *x;
	struct mbox_ring_info in;
	volatile char *data;
	uint64_t id;
	int fd, st;
	pid_t pid;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	id = ring_id(p);
	ASSERT_EQ(0, mbox_ring_info(p, &in));
	fd = dup(mbox_ring_fd(p));
	data = mmap(NULL, in.layout.data_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)in.layout.data_off);
	ASSERT_NE(MAP_FAILED, (void *)data);
	close(fd);
	mbox_ring_close(p);
	/* Our mapping still holds the producer role, and works. */
	EXPECT_EQ(-EBUSY, mbox_ring_open_id(-1, id, PROD, &x));
	data[0] = 42;
	/* A child shares the mapping (and so the role while it lives). */
	pid = fork();
	if (pid == 0) {
		sleep_ms(200);
		_exit(data[0] == 42 ? 0 : 1);
	}
	munmap((void *)data, in.layout.data_len);
	EXPECT_EQ(-EBUSY, mbox_ring_open_id(-1, id, PROD, &x));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* Now the role is free. */
	ASSERT_EQ(0, mbox_ring_open_id(-1, id, PROD, &x));
	mbox_ring_close(x);
	mbox_ring_close(c);
}

TEST(hostile_producer_cannot_hurt_consumer_or_kernel)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	uint32_t rng = 12345, *prod;
	uint8_t *data;
	char buf[8192];
	int bad = 0, ok = 0;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	ASSERT_EQ(0, mbox_ring_info(p, &in));
	data = mmap(NULL, in.layout.data_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    mbox_ring_fd(p), (off_t)in.layout.data_off);
	prod = mmap(NULL, in.layout.prod_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    mbox_ring_fd(p), (off_t)in.layout.prod_off);
	ASSERT_NE(MAP_FAILED, data);
	ASSERT_NE(MAP_FAILED, prod);
	for (int round = 0; round < 2000; round++) {
		struct mbox_ring *c2;
		int n;

		for (int i = 0; i < 64; i++)
			data[xorshift(&rng) % in.layout.data_len] = (uint8_t)xorshift(&rng);
		prod[in.layout.prod_index / 4] = round % 3 ? xorshift(&rng) :
						 xorshift(&rng) % 64 * 8;
		n = mbox_ring_recv(c, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0);
		if (n == -EBADMSG)
			bad++;
		else if (n >= 0 || n == -EAGAIN)
			ok++;
		else
			EXPECT_EQ(-EBADMSG, n) TH_LOG("round %d", round);
		/* The kernel's readiness check reads the same garbage. */
		ASSERT_EQ(0, mbox_ring_info(c, &in));
		/* A fresh consumer handle starts from the (garbage) index again. */
		if (round % 100 == 99) {
			mbox_ring_close(c);
			ASSERT_EQ(0, mbox_ring_open_id(-1, in.id, CONS, &c2));
			c = c2;
		}
	}
	TH_LOG("%d corrupt, %d plausible", bad, ok);
	EXPECT_LT(0, bad);
	munmap(data, in.layout.data_len);
	munmap(prod, in.layout.prod_len);
	mbox_ring_close(p);
	mbox_ring_close(c);
}

TEST(hostile_consumer_cannot_hurt_producer_or_kernel)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	uint32_t rng = 999, *cons;
	int bad = 0;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	cons = mmap(NULL, in.layout.cons_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    mbox_ring_fd(c), (off_t)in.layout.cons_off);
	ASSERT_NE(MAP_FAILED, cons);
	for (int round = 0; round < 1000; round++) {
		int ret;

		cons[in.layout.cons_index / 4] = xorshift(&rng);
		ret = mbox_ring_send(p, "data", 4, MBOX_WAIT_NONBLOCK, 0);
		if (ret == -EBADMSG)
			bad++;
		else if (ret)
			EXPECT_EQ(-EAGAIN, ret) TH_LOG("round %d", round);
		/* The kernel's wait reads the garbage too: it returns or times out. */
		ret = mbox_ring_send(p, "data", 4, MBOX_WAIT_TIMEOUT, 1000000);
		EXPECT_TRUE(ret == 0 || ret == -EBADMSG || ret == -ETIMEDOUT) TH_LOG("%d", ret);
	}
	EXPECT_LT(0, bad);
	munmap(cons, in.layout.cons_len);
	mbox_ring_close(p);
	mbox_ring_close(c);
}

TEST(nobody_writes_the_control_page)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	volatile char *ctrl;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	ASSERT_EQ(0, mbox_ring_info(p, &in));
	ctrl = mmap(NULL, in.layout.ctrl_len, PROT_READ, MAP_SHARED, mbox_ring_fd(p),
		    (off_t)in.layout.ctrl_off);
	ASSERT_NE(MAP_FAILED, (void *)ctrl);
	EXPECT_TRUE(write_faults(ctrl));
	EXPECT_EQ(-1, mprotect((void *)ctrl, in.layout.ctrl_len, PROT_READ | PROT_WRITE));
	munmap((void *)ctrl, in.layout.ctrl_len);
	mbox_ring_close(p);
	mbox_ring_close(c);
}

TEST(munmap_before_and_after_close)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	void *a, *b;
	int fd;

	ASSERT_EQ(0, ring_pair(8192, &p, &c));
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	fd = dup(mbox_ring_fd(c));
	a = mmap(NULL, in.layout.data_len, PROT_READ, MAP_SHARED, fd, (off_t)in.layout.data_off);
	b = mmap(NULL, in.layout.data_len, PROT_READ, MAP_SHARED, fd, (off_t)in.layout.data_off);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	/* Before close: the descriptor keeps working. */
	EXPECT_EQ(0, munmap(a, in.layout.data_len));
	EXPECT_EQ(0, mbox_ring_send(p, "abc", 3, 0, 0));
	/* After close: the mapping still shows the data. */
	close(fd);
	mbox_ring_close(c);
	EXPECT_EQ(0, memcmp((char *)b + sizeof(struct mbox_ring_rec), "abc", 3));
	EXPECT_EQ(0, munmap(b, in.layout.data_len));
	/* Every reference gone: the consumer role is free. */
	ASSERT_EQ(0, mbox_ring_open_id(-1, in.id, CONS, &c));
	mbox_ring_close(c);
	mbox_ring_close(p);
}

TEST(per_user_limit_and_size_limit)
{
	unsigned long old = read_param("bytes_per_user");
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 1 << 20 };
	struct mbox_ring *p;

	ASSERT_EQ(0, write_param("bytes_per_user", 512 * 1024));
	EXPECT_EQ(-EDQUOT, mbox_ring_open(-1, NULL, PROD | MBOX_RING_CREATE, &attr, &p));
	attr.data_size = 64 * 1024;
	EXPECT_EQ(0, mbox_ring_open(-1, NULL, PROD | MBOX_RING_CREATE, &attr, &p));
	mbox_ring_close(p);
	ASSERT_EQ(0, write_param("bytes_per_user", old));
	attr.data_size = 1u << 30;
	EXPECT_EQ(-EINVAL, mbox_ring_open(-1, NULL, PROD | MBOX_RING_CREATE, &attr, &p));
}

/* ---- the 1,000,000-record stream ---- */

#define RECORDS		1000000u

struct stream_hdr {
	uint32_t seq;
	uint32_t sum;
};

static int stream_producer(struct mbox_ring *p, uint32_t rec_max)
{
	uint32_t rng = 777;

	for (uint32_t seq = 0; seq < RECORDS; seq++) {
		uint32_t r = xorshift(&rng), len;
		uint8_t *w;
		void *v;
		int ret;

		/* Mostly small, sometimes 0-sized header-only, sometimes the max. */
		len = r % 64 == 0 ? rec_max : sizeof(struct stream_hdr) + r % 200;
		ret = mbox_ring_reserve(p, len, &v, 0, 0);
		if (ret)
			return 10;
		w = v;
		for (uint32_t i = sizeof(struct stream_hdr); i < len; i++)
			w[i] = (uint8_t)(seq + i);
		((struct stream_hdr *)w)->seq = seq;
		((struct stream_hdr *)w)->sum = fnv1a(w + sizeof(struct stream_hdr),
						      len - sizeof(struct stream_hdr), seq);
		/* An empty record after every 97th. */
		if (seq % 97 == 0 && (mbox_ring_reserve(p, 0, &v, 0, 0)))
			return 13;
		/* Publish in batches of up to 8. */
		if (seq % 8 == 7 && mbox_ring_commit(p))
			return 11;
	}
	return mbox_ring_commit(p) ? 12 : 0;
}

FIXTURE(stream) {
};

FIXTURE_SETUP(stream)
{
}

FIXTURE_TEARDOWN(stream)
{
}

TEST_F_TIMEOUT(stream, one_million_records_random_sizes, 900)
{
	struct mbox_ring *p, *c;
	struct mbox_ring_info in;
	unsigned int corrupt = 0, order = 0, empties = 0, wraps;
	uint32_t expect = 0;
	uint64_t bytes = 0;
	pid_t pid;

	ASSERT_EQ(0, ring_pair(65536, &p, &c));
	ASSERT_EQ(0, mbox_ring_info(p, &in));
	pid = fork();
	if (pid == 0) {
		mbox_ring_close(c);
		_exit(stream_producer(p, in.rec_max));
	}
	mbox_ring_close(p);
	for (;;) {
		const uint8_t *r;
		int n = mbox_ring_peek(c, (const void **)&r, 0, 0);
		struct stream_hdr h;

		if (n == -EPIPE)
			break;
		ASSERT_LE(0, n);
		if (n == 0) {
			/* An empty record follows every 97th. */
			order += expect == 0 || (expect - 1) % 97 != 0;
			empties++;
		} else {
			memcpy(&h, r, sizeof(h));
			order += h.seq != expect;
			corrupt += h.sum != fnv1a(r + sizeof(h), n - sizeof(h), h.seq);
			expect = h.seq + 1;
			bytes += n;
		}
		if (expect % 16 == 0)
			ASSERT_EQ(0, mbox_ring_release(c));
	}
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(RECORDS, expect);
	EXPECT_EQ((RECORDS + 96) / 97, empties);
	EXPECT_EQ(0, order);
	EXPECT_EQ(0, corrupt);
	ASSERT_EQ(0, mbox_ring_info(c, &in));
	wraps = (unsigned int)(bytes / in.data_size);
	TH_LOG("%u records, %llu bytes (%u wrap-arounds); sleeps: producer %llu, consumer %llu; "
	       "wake calls %llu", expect, (unsigned long long)bytes, wraps,
	       (unsigned long long)in.prod_sleeps, (unsigned long long)in.cons_sleeps,
	       (unsigned long long)in.wake_calls);
	EXPECT_LT(1000, wraps);
	mbox_ring_close(c);
}

TEST_NOTHING_LEFT()

TEST_HARNESS_MAIN
