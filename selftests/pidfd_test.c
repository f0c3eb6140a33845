// SPDX-License-Identifier: GPL-2.0
/*
 * Peers named by pidfd (MBOX_PEER_PIDFD): send, call, receive-from, link
 * open and link info by pidfd; a pidfd of a reaped process; a thread's
 * pidfd; a pidfd passed to another process over a unix socket; a
 * descriptor that is not a pidfd; the flag where no pid is taken.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define MBOX_TEST_FEATURES	(MBOX_FEAT_LINK | MBOX_FEAT_PIDFD)
#include "kselftest_harness.h"
#include "mbox_test.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL
#endif

static int pidfd_open(pid_t pid, unsigned int flags)
{
	int fd = syscall(SYS_pidfd_open, pid, flags);

	return fd < 0 ? -errno : fd;
}

/* A child with an endpoint, started once the endpoint exists. */
struct child {
	pid_t pid;
	int ready[2];
	int go[2];
};

static void child_start(struct child *c, void (*fn)(struct child *c, int ep))
{
	char x = 1;

	if (pipe(c->ready) || pipe(c->go))
		exit(99);
	c->pid = fork();
	if (c->pid < 0)
		exit(99);
	if (c->pid == 0) {
		int ep = mbox_endpoint(-1, 0, 0, NULL);

		if (ep < 0)
			_exit(90);
		if (write(c->ready[1], &x, 1) != 1)
			_exit(91);
		fn(c, ep);
		_exit(92);
	}
	if (read(c->ready[0], &x, 1) != 1)
		exit(99);
}

/* Let the child finish (what it waits for in child_hold()); its status. */
static int child_finish(struct child *c)
{
	close(c->go[1]);
	return wait_child(c->pid);
}

static void child_hold(struct child *c)
{
	char x;

	close(c->go[1]);
	while (read(c->go[0], &x, 1) > 0)
		;
}

/* Serves: a message, a call, then sends one message back; holds. */
static void server(struct child *c, int ep)
{
	struct mbox_link_recv meta;
	pid_t parent = getppid();
	char buf[16];

	if (mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, &meta) != 4 ||
	    memcmp(buf, "ping", 4) || meta.pid != parent)
		_exit(1);
	if (mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, &meta) != 1 || !meta.call_id)
		_exit(2);
	if (mbox_reply(ep, meta.call_id, "pong", 4))
		_exit(3);
	if (mbox_link_send(ep, parent, "back", 4, MBOX_LINK_ASYNC, 0))
		_exit(4);
	child_hold(c);
	_exit(0);
}

TEST(feature_bit)
{
	int dev = mbox_dev_open(0);

	ASSERT_LE(0, dev);
	EXPECT_EQ(1, mbox_has_feature(dev, MBOX_FEAT_PIDFD));
	close(dev);
}

TEST(every_command_by_pidfd)
{
	struct mbox_link_info li, lfi;
	struct mbox_link_recv meta;
	struct child c;
	char buf[16];
	int ep, pfd, lfd;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	child_start(&c, server);
	pfd = pidfd_open(c.pid, 0);
	ASSERT_LE(0, pfd);
	/* Descriptor numbers are small: taken as pids they name nobody. */
	ASSERT_EQ(0, mbox_link_send(ep, pfd, "ping", 4, MBOX_PEER_PIDFD, 0));
	ASSERT_EQ(4, mbox_call(ep, pfd, "q", 1, buf, sizeof(buf), MBOX_PEER_PIDFD, 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	ASSERT_EQ(4, mbox_link_recv(ep, pfd, buf, sizeof(buf), MBOX_PEER_PIDFD, 0, &meta));
	EXPECT_EQ(0, memcmp(buf, "back", 4));
	EXPECT_EQ(c.pid, meta.pid);

	lfd = mbox_link_open(ep, pfd, MBOX_PEER_PIDFD);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, mbox_link_info(lfd, 0, &lfi));
	ASSERT_EQ(0, mbox_link_info_pidfd(ep, pfd, &li));
	EXPECT_EQ(MBOX_PEER_PIDFD, li.flags);
	EXPECT_EQ(c.pid, li.pid);
	EXPECT_EQ(lfi.id, li.id);
	EXPECT_EQ(2, li.sent);
	EXPECT_EQ(2, li.received);
	EXPECT_EQ(meta.link_id, li.id);

	EXPECT_EQ(0, child_finish(&c));
	close(lfd);
	close(pfd);
	close(ep);
}

TEST(reaped_process)
{
	struct mbox_link_info li;
	char buf[4];
	pid_t pid;
	int ep, pfd;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(mbox_endpoint(-1, 0, 0, NULL) >= 0 ? 0 : 1);
	pfd = pidfd_open(pid, 0);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, wait_child(pid));
	EXPECT_EQ(-ESRCH, mbox_link_send(ep, pfd, "x", 1, MBOX_PEER_PIDFD | MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(-ESRCH, mbox_call(ep, pfd, "x", 1, buf, sizeof(buf), MBOX_PEER_PIDFD, 0, NULL));
	EXPECT_EQ(-ESRCH, mbox_link_recv(ep, pfd, buf, sizeof(buf),
					 MBOX_PEER_PIDFD | MBOX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-ESRCH, mbox_link_open(ep, pfd, MBOX_PEER_PIDFD));
	EXPECT_EQ(-ESRCH, mbox_link_info_pidfd(ep, pfd, &li));
	close(pfd);
	close(ep);
}

static void *sleeper(void *arg)
{
	int *p = arg;
	pid_t tid = syscall(SYS_gettid);
	char x;

	if (write(p[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	while (read(p[0], &x, 1) > 0)
		;
	return NULL;
}

/* Receives one message from its parent, with a second thread alive. */
static void threaded(struct child *c, int ep)
{
	struct mbox_link_recv meta;
	int p[2] = { c->go[0], c->ready[1] };
	pthread_t t;
	char buf[8];

	if (pthread_create(&t, NULL, sleeper, p))
		_exit(1);
	if (mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, &meta) != 1 ||
	    meta.pid != getppid())
		_exit(2);
	child_hold(c);
	pthread_join(t, NULL);
	_exit(0);
}

static void *own_thread(void *arg)
{
	pid_t *tid = arg;
	char x;

	__atomic_store_n(tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (read(tid[1], &x, 1) > 0)
		;
	return NULL;
}

TEST(thread_pidfd_names_its_process)
{
	struct mbox_link_info li;
	pid_t tid, mine[2];
	struct child c;
	int ep, tpfd, p[2];
	pthread_t t;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	child_start(&c, threaded);
	ASSERT_EQ(sizeof(tid), read(c.ready[0], &tid, sizeof(tid)));
	ASSERT_NE(c.pid, tid);
	tpfd = pidfd_open(tid, PIDFD_THREAD);
	if (tpfd == -EINVAL) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, NULL, 0);
		close(ep);
		SKIP(return, "no PIDFD_THREAD (Linux 6.9+)");
	}
	ASSERT_LE(0, tpfd);
	ASSERT_EQ(0, mbox_link_send(ep, tpfd, "t", 1, MBOX_PEER_PIDFD, 0));
	ASSERT_EQ(0, mbox_link_info_pidfd(ep, tpfd, &li));
	EXPECT_EQ(c.pid, li.pid);
	EXPECT_EQ(1, li.sent);
	EXPECT_EQ(0, child_finish(&c));
	/* The thread is gone with its process. */
	EXPECT_EQ(-ESRCH, mbox_link_send(ep, tpfd, "t", 1,
					 MBOX_PEER_PIDFD | MBOX_LINK_ASYNC, 0));
	close(tpfd);

	/* One of our own threads names us: -EINVAL, as our own pid is. */
	ASSERT_EQ(0, pipe(p));
	mine[1] = p[0];
	mine[0] = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, own_thread, mine));
	while (!__atomic_load_n(&mine[0], __ATOMIC_ACQUIRE))
		sleep_ms(1);
	tpfd = pidfd_open(mine[0], PIDFD_THREAD);
	ASSERT_LE(0, tpfd);
	EXPECT_EQ(-EINVAL, mbox_link_send(ep, tpfd, "t", 1,
					  MBOX_PEER_PIDFD | MBOX_LINK_ASYNC, 0));
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	close(tpfd);
	close(ep);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Answers one call with "ok"; holds. */
static void answer_one(struct child *c, int ep)
{
	struct mbox_link_recv meta;
	char buf[16];

	if (mbox_link_recv(ep, 0, buf, sizeof(buf), 0, 0, &meta) != 2 || !meta.call_id)
		_exit(1);
	if (mbox_reply(ep, meta.call_id, "ok", 2))
		_exit(2);
	child_hold(c);
	_exit(0);
}

TEST(pidfd_passed_over_a_unix_socket)
{
	struct child server_c;
	int sv[2], pfd, st;
	pid_t client;

	child_start(&server_c, answer_one);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	client = fork();
	ASSERT_LE(0, client);
	if (client == 0) {
		char reply[8];
		int fd, ep;

		close(sv[0]);
		fd = recv_fd(sv[1]);
		ep = mbox_endpoint(-1, 0, 0, NULL);
		if (fd < 0 || ep < 0)
			_exit(10);
		if (mbox_call(ep, fd, "hi", 2, reply, sizeof(reply), MBOX_PEER_PIDFD,
			      0, NULL) != 2 || memcmp(reply, "ok", 2))
			_exit(11);
		_exit(0);
	}
	close(sv[1]);
	pfd = pidfd_open(server_c.pid, 0);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, send_fd(sv[0], pfd));
	close(pfd);
	st = wait_child(client);
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, child_finish(&server_c));
	close(sv[0]);
}

static void wait_go(struct child *c, int ep)
{
	(void)ep;
	child_hold(c);
	_exit(0);
}

TEST(not_a_pidfd)
{
	struct mbox_link_info li;
	struct child c;
	char path[32], buf[4];
	int ep, fds[4], i;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	child_start(&c, wait_go);
	snprintf(path, sizeof(path), "/proc/%d", c.pid);
	fds[0] = open("/dev/null", O_RDWR);
	fds[1] = open(path, O_RDONLY | O_DIRECTORY);	/* pidfd_send_signal takes it */
	fds[2] = ep;					/* an anon-inode file */
	fds[3] = 1000;					/* not open */
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	for (i = 0; i < 4; i++) {
		TH_LOG("descriptor %d", i);
		EXPECT_EQ(-EBADF, mbox_link_send(ep, fds[i], "x", 1,
						 MBOX_PEER_PIDFD | MBOX_LINK_ASYNC, 0));
		EXPECT_EQ(-EBADF, mbox_call(ep, fds[i], "x", 1, buf, sizeof(buf),
					    MBOX_PEER_PIDFD, 0, NULL));
		EXPECT_EQ(-EBADF, mbox_link_recv(ep, fds[i], buf, sizeof(buf),
						 MBOX_PEER_PIDFD | MBOX_WAIT_NONBLOCK, 0, NULL));
		EXPECT_EQ(-EBADF, mbox_link_open(ep, fds[i], MBOX_PEER_PIDFD));
		EXPECT_EQ(-EBADF, mbox_link_info_pidfd(ep, fds[i], &li));
	}
	EXPECT_EQ(-EBADF, mbox_link_send(ep, -1, "x", 1, MBOX_PEER_PIDFD | MBOX_LINK_ASYNC, 0));
	/* No link was made by any of it. */
	EXPECT_EQ(-ENOTCONN, mbox_link_info(ep, c.pid, &li));
	EXPECT_EQ(0, child_finish(&c));
	close(fds[0]);
	close(fds[1]);
	close(ep);
}

TEST(own_pidfd)
{
	int ep, pfd;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	pfd = pidfd_open(getpid(), 0);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EINVAL, mbox_link_send(ep, pfd, "x", 1, MBOX_PEER_PIDFD | MBOX_LINK_ASYNC, 0));
	EXPECT_EQ(-EINVAL, mbox_link_open(ep, pfd, MBOX_PEER_PIDFD));
	close(pfd);
	close(ep);
}

/* The flag where the command takes no pid: -EINVAL. */
TEST(flag_without_a_pid)
{
	struct mbox_link_send ls = { .size = sizeof(ls) };
	struct mbox_link_recv lr = { .size = sizeof(lr) };
	struct mbox_link_info li = { .size = sizeof(li) };
	struct mbox_endpoint_info ei = { .size = sizeof(ei) };
	struct mbox_send ms = { .size = sizeof(ms) };
	struct mbox_recv mr = { .size = sizeof(mr) };
	struct child c;
	char buf[4];
	int ep, lfd, mb, pfd;

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	child_start(&c, wait_go);
	pfd = pidfd_open(c.pid, 0);
	ASSERT_LE(0, pfd);
	lfd = mbox_link_open(ep, c.pid, 0);
	ASSERT_LE(0, lfd);

	/* Endpoint: receive from anyone, a reply, the endpoint's own info. */
	lr.flags = MBOX_PEER_PIDFD | MBOX_WAIT_NONBLOCK;
	lr.buf = (uintptr_t)buf;
	lr.len = sizeof(buf);
	EXPECT_EQ(-EINVAL, raw_ioctl(ep, MBOX_IOC_LINK_RECV, &lr));
	lr.pid = pfd;
	EXPECT_EQ(-EINVAL, raw_ioctl(ep, MBOX_IOC_LINK_RECV, &lr));
	ls.flags = MBOX_PEER_PIDFD | MBOX_LINK_REPLY;
	ls.call_id = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(ep, MBOX_IOC_LINK_SEND, &ls));
	ei.flags = MBOX_PEER_PIDFD;
	EXPECT_EQ(-EINVAL, raw_ioctl(ep, MBOX_IOC_ENDPOINT_INFO, &ei));

	/* Link descriptor: it has its peer. */
	ls = (struct mbox_link_send){ .size = sizeof(ls), .buf = (uintptr_t)"x", .len = 1,
				      .flags = MBOX_PEER_PIDFD | MBOX_LINK_ASYNC };
	EXPECT_EQ(-EINVAL, raw_ioctl(lfd, MBOX_IOC_LINK_SEND, &ls));
	lr = (struct mbox_link_recv){ .size = sizeof(lr), .buf = (uintptr_t)buf,
				      .len = sizeof(buf),
				      .flags = MBOX_PEER_PIDFD | MBOX_WAIT_NONBLOCK };
	EXPECT_EQ(-EINVAL, raw_ioctl(lfd, MBOX_IOC_LINK_RECV, &lr));
	li.flags = MBOX_PEER_PIDFD;
	EXPECT_EQ(-EINVAL, raw_ioctl(lfd, MBOX_IOC_LINK_INFO, &li));

	/* Mailboxes take no pidfd, not even to receive from a sender. */
	mb = mb_anon(4, 0);
	ASSERT_LE(0, mb);
	ms.flags = MBOX_PEER_PIDFD;
	ms.buf = (uintptr_t)"x";
	ms.len = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(mb, MBOX_IOC_SEND, &ms));
	mr.flags = MBOX_PEER_PIDFD | MBOX_RECV_FROM_PID | MBOX_WAIT_NONBLOCK;
	mr.pid = pfd;
	mr.buf = (uintptr_t)buf;
	mr.len = sizeof(buf);
	EXPECT_EQ(-EINVAL, raw_ioctl(mb, MBOX_IOC_RECV, &mr));

	/* And nothing was sent or made by any of it. */
	ASSERT_EQ(0, mbox_link_info(lfd, 0, &li));
	EXPECT_EQ(0, li.sent);
	close(mb);
	close(lfd);
	close(pfd);
	EXPECT_EQ(0, child_finish(&c));
	close(ep);
}

TEST_NOTHING_LEFT()

TEST_HARNESS_MAIN
