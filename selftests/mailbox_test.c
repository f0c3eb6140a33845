// SPDX-License-Identifier: GPL-2.0
/*
 * Mailboxes: naming, lifetime, permissions, namespaces, buffering
 * (rendezvous, bounded, unbounded, drop-oldest), blocking/non-blocking/
 * timeouts, priorities, selective receive, short buffers, peek, file
 * semantics, poll/epoll, signals, broadcast, batches, info and limits.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_BATCH | MBOX_FEAT_BROADCAST | \
				 MBOX_FEAT_PRIO_WIDE | MBOX_FEAT_RECV_SEQ)
#include "mbox_test.h"

#define SR (MBOX_OPEN_SEND | MBOX_OPEN_RECV)
#define CREATE (MBOX_OPEN_CREATE | SR)

/* ---- creation, naming, lifetime ---- */

TEST(create_named_then_open_by_name_and_id)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 4 };
	uint64_t id1 = 0, id2 = 0;
	char buf[16];
	int a, b, c;

	a = mbox_open(-1, "t-named", CREATE | MBOX_OPEN_EXCL, &attr, &id1);
	ASSERT_GE(a, 0) TH_LOG("%s", mbox_strerror(a));
	ASSERT_NE(0, id1);
	b = mbox_open(-1, "t-named", SR, NULL, &id2);
	ASSERT_GE(b, 0);
	EXPECT_EQ(id1, id2);
	c = mbox_open_id(-1, id1, MBOX_OPEN_RECV);
	ASSERT_GE(c, 0);

	ASSERT_EQ(0, mbox_send(a, "hi", 2, 0, 0, 0));
	EXPECT_EQ(2, mbox_recv(c, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	EXPECT_EQ(0, mbox_unlink(-1, "t-named"));
	close(a);
	close(b);
	close(c);
}

TEST(umask_applied_only_when_asked)
{
	struct mbox_attr attr = { .mode = 0666, .capacity = 4 };
	struct mbox_info info;
	mode_t old = umask(027);
	int a, b;

	a = mbox_open(-1, NULL, CREATE | MBOX_OPEN_UMASK, &attr, NULL);
	b = mbox_open(-1, NULL, CREATE, &attr, NULL);
	umask(old);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(0, mbox_info(a, &info));
	EXPECT_EQ(0640, info.mode);
	ASSERT_EQ(0, mbox_info(b, &info));
	EXPECT_EQ(0666, info.mode);
	close(a);
	close(b);
}

TEST(create_excl_and_create_existing)
{
	uint64_t id1, id2;
	int a, b;

	a = mbox_open(-1, "t-excl", CREATE | MBOX_OPEN_EXCL, NULL, &id1);
	ASSERT_GE(a, 0);
	EXPECT_EQ(-EEXIST, mbox_open(-1, "t-excl", CREATE | MBOX_OPEN_EXCL, NULL, NULL));
	/* CREATE without EXCL opens the existing one. */
	b = mbox_open(-1, "t-excl", CREATE, NULL, &id2);
	ASSERT_GE(b, 0);
	EXPECT_EQ(id1, id2);
	EXPECT_EQ(0, mbox_unlink(-1, "t-excl"));
	close(a);
	close(b);
}

TEST(open_errors)
{
	char longname[MBOX_NAME_LONG_MAX + 8];
	struct mbox_open op = { .size = sizeof(op) };
	int dev = mbox_dev_open(0);

	ASSERT_GE(dev, 0);
	EXPECT_EQ(-ENOENT, mbox_open(-1, "t-none", SR, NULL, NULL));
	EXPECT_EQ(-ENOENT, mbox_open_id(-1, 0xffffffffffULL, SR));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	EXPECT_EQ(-ENAMETOOLONG, mbox_open(-1, longname, CREATE, NULL, NULL));
	EXPECT_EQ(-EINVAL, mbox_open(-1, "", CREATE, NULL, NULL));
	EXPECT_EQ(-EINVAL, mbox_open(-1, "a/b", CREATE, NULL, NULL));
	EXPECT_EQ(-EINVAL, mbox_open(-1, "a b", CREATE, NULL, NULL));
	EXPECT_EQ(-EFAULT, mbox_open(-1, (const char *)8, CREATE, NULL, NULL));

	/* Neither send nor receive. */
	op.flags = MBOX_OPEN_CREATE;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	/* Unknown flags. */
	op.flags = CREATE | (1u << 30);
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	/* EXCL without CREATE. */
	op.flags = SR | MBOX_OPEN_EXCL;
	op.id = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	/* Attributes without CREATE. */
	op.flags = SR;
	op.capacity = 3;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	/* Nothing to open. */
	op.capacity = 0;
	op.id = 0;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	/* An ID given with CREATE. */
	op.flags = CREATE;
	op.id = 5;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	/* Bad attributes. */
	op.id = 0;
	op.mode = 01777;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	op.mode = 0600;
	op.mb_flags = 1u << 20;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	op.mb_flags = MBOX_MB_DROP_OLDEST;	/* with capacity 0 */
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	op.mb_flags = MBOX_MB_BROADCAST;	/* with capacity 0 */
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	op.mb_flags = 0;
	op.msg_size_max = 32u << 20;
	EXPECT_EQ(-EINVAL, raw_ioctl(dev, MBOX_IOC_OPEN, &op));
	close(dev);
}

TEST(descriptor_flags)
{
	int fd = mbox_open(-1, NULL, CREATE | MBOX_OPEN_NONBLOCK, NULL, NULL);

	ASSERT_GE(fd, 0);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);
}

TEST(ids_are_unique_and_not_reused)
{
	uint64_t id1, id2;
	int a, b;

	a = mbox_open(-1, NULL, CREATE, NULL, &id1);
	ASSERT_GE(a, 0);
	close(a);
	/* An anonymous mailbox dies with its last descriptor. */
	EXPECT_EQ(-ENOENT, mbox_open_id(-1, id1, SR));
	b = mbox_open(-1, NULL, CREATE, NULL, &id2);
	ASSERT_GE(b, 0);
	EXPECT_GT(id2, id1);
	close(b);
}

TEST(named_mailbox_persists_until_unlinked)
{
	uint64_t id1, id2;
	char buf[8];
	int fd;

	fd = mbox_open(-1, "t-persist", CREATE | MBOX_OPEN_EXCL, NULL, &id1);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_send(fd, "kept", 4, 0, 0, 0));
	close(fd);

	fd = mbox_open(-1, "t-persist", SR, NULL, &id2);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(id1, id2);
	EXPECT_EQ(4, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
	EXPECT_EQ(0, mbox_unlink(-1, "t-persist"));
	EXPECT_EQ(-ENOENT, mbox_open(-1, "t-persist", SR, NULL, NULL));
}

TEST(unlinked_mailbox_lives_until_last_close)
{
	struct mbox_info info;
	uint64_t id;
	char buf[8];
	int fd;

	fd = mbox_open(-1, "t-unlink", CREATE | MBOX_OPEN_EXCL, NULL, &id);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_unlink_id(-1, id));
	EXPECT_EQ(-ENOENT, mbox_unlink(-1, "t-unlink"));
	EXPECT_EQ(-ENOENT, mbox_open(-1, "t-unlink", SR, NULL, NULL));
	EXPECT_EQ(-ENOENT, mbox_open_id(-1, id, SR));
	/* The name is free again, for a different mailbox. */
	int other = mbox_open(-1, "t-unlink", CREATE | MBOX_OPEN_EXCL, NULL, NULL);

	ASSERT_GE(other, 0);
	EXPECT_EQ(0, mbox_unlink(-1, "t-unlink"));
	close(other);

	/* The unlinked one still works through its descriptor. */
	ASSERT_EQ(0, mbox_send(fd, "abc", 3, 0, 0, 0));
	EXPECT_EQ(3, mbox_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_TRUE(info.state & MBOX_STATE_UNLINKED);
	close(fd);
	EXPECT_EQ(-EINVAL, mbox_unlink(-1, NULL));
}

/* ---- permissions ---- */

static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(uid) || setuid(uid))
			_exit(100);
		_exit(fn(arg));
	}
	return wait_child(pid);
}

static int try_access(void *arg)
{
	const char *name = arg;
	int fd;

	/* mode 0622: others may send but not receive, and may not unlink. */
	if (mbox_open(-1, name, MBOX_OPEN_RECV, NULL, NULL) != -EACCES)
		return 1;
	if (mbox_open(-1, name, SR, NULL, NULL) != -EACCES)
		return 2;
	fd = mbox_open(-1, name, MBOX_OPEN_SEND, NULL, NULL);
	if (fd < 0)
		return 3;
	if (mbox_send(fd, "x", 1, 0, 0, 0))
		return 4;
	/* A send-only descriptor can not receive. */
	char c;

	if (mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL) != -EBADF)
		return 5;
	if (mbox_unlink(-1, name) != -EPERM)
		return 6;
	close(fd);
	return 0;
}

TEST(permission_denied_for_another_uid)
{
	struct mbox_attr attr = { .mode = 0622, .capacity = 4 };
	char c;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch uid");
	fd = mbox_open(-1, "t-perm", CREATE | MBOX_OPEN_EXCL, &attr, NULL);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, as_user(4242, try_access, "t-perm"));
	/* The other user's message arrived, with its uid. */
	struct mbox_recv meta;

	EXPECT_EQ(1, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, &meta));
	EXPECT_EQ(4242, meta.uid);
	EXPECT_EQ(0, mbox_unlink(-1, "t-perm"));
	close(fd);
}

/* ---- IPC namespaces ---- */

static int in_new_ipc_ns(void *arg)
{
	uint64_t id = *(uint64_t *)arg;
	int fd;

	if (unshare(CLONE_NEWIPC))
		return 10;
	if (mbox_open(-1, "t-ns", SR, NULL, NULL) != -ENOENT)
		return 1;
	if (mbox_open_id(-1, id, SR) != -ENOENT)
		return 2;
	if (mbox_unlink(-1, "t-ns") != -ENOENT)
		return 3;
	/* The same name is free here, and names a different mailbox. */
	fd = mbox_open(-1, "t-ns", CREATE | MBOX_OPEN_EXCL, NULL, NULL);
	if (fd < 0)
		return 4;
	if (mbox_send(fd, "inner", 5, 0, 0, 0))
		return 5;
	/* Dead-namespace reaping is object_quota_and_dead_namespace_reaping's. */
	return mbox_unlink(-1, "t-ns") ? 6 : 0;
}

TEST(names_are_scoped_to_the_ipc_namespace)
{
	uint64_t id, mailboxes_before, mailboxes_after, msgs;
	char buf[8];
	pid_t pid;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs CAP_SYS_ADMIN for unshare(CLONE_NEWIPC)");
	fd = mbox_open(-1, "t-ns", CREATE | MBOX_OPEN_EXCL, NULL, &id);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, live_objects(&mailboxes_before, &msgs));
	pid = fork();
	if (pid == 0)
		_exit(in_new_ipc_ns(&id));
	EXPECT_EQ(0, wait_child(pid));

	/* Ours is untouched: nothing was sent to it. */
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, live_objects(&mailboxes_after, &msgs));
	EXPECT_EQ(mailboxes_before, mailboxes_after);
	EXPECT_EQ(0, mbox_unlink(-1, "t-ns"));
	close(fd);
}

static int create_after_ns_death(void *arg)
{
	(void)arg;
	/* Two mailboxes of this uid are left in a dead namespace; the limit
	 * is two: creating works only because those are reaped.
	 */
	int a = mbox_open(-1, NULL, CREATE, NULL, NULL);
	int b = mbox_open(-1, NULL, CREATE, NULL, NULL);

	if (a < 0 || b < 0)
		return 1;
	if (mbox_open(-1, NULL, CREATE, NULL, NULL) != -ENOSPC)
		return 2;
	return 0;
}

static int unshare_then_as_user(uid_t uid, int (*fn)(void *))
{
	pid_t pid = fork();

	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(99);
		if (setgid(uid) || setuid(uid))
			_exit(100);
		_exit(fn(NULL));
	}
	return wait_child(pid);
}

static int two_named_here(void *arg)
{
	(void)arg;
	if (mbox_open(-1, "q1", CREATE, NULL, NULL) < 0)
		return 1;
	if (mbox_open(-1, "q2", CREATE, NULL, NULL) < 0)
		return 2;
	return 0;
}

TEST(object_quota_and_dead_namespace_reaping)
{
	unsigned long old = read_param("objects_per_user");
	uint64_t mb0, mb1, msgs;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, live_objects(&mb0, &msgs));
	ASSERT_EQ(0, write_param("objects_per_user", 2));
	EXPECT_EQ(0, unshare_then_as_user(4343, two_named_here));
	/*
	 * The two are left behind in the dead namespace, unless the periodic
	 * reaper (every second while a named object exists) took them
	 * already: on a slow kernel it can run before this look. Either way
	 * the user's next two objects must succeed.
	 */
	ASSERT_EQ(0, live_objects(&mb1, &msgs));
	EXPECT_LE(mb0, mb1);
	EXPECT_GE(mb0 + 2, mb1);
	if (mb1 != mb0 + 2)
		TH_LOG("the periodic reaper was first: the quota's reap was not exercised");
	EXPECT_EQ(0, as_user(4343, create_after_ns_death, NULL));
	ASSERT_EQ(0, live_objects(&mb1, &msgs));
	EXPECT_EQ(mb0, mb1);
	ASSERT_EQ(0, write_param("objects_per_user", old));
}

/* ---- sending and receiving ---- */

FIXTURE(mb) {
	int fd;
};

FIXTURE_SETUP(mb)
{
	self->fd = mb_anon(16, 0);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(mb)
{
	close(self->fd);
}

TEST_F(mb, variable_sizes_and_metadata)
{
	static char big[65536], out[65536];
	size_t sizes[] = { 0, 1, 100, 4096, sizeof(big) };
	struct mbox_recv meta;
	uint64_t last_seq = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	for (size_t i = 0; i < 5; i++)
		ASSERT_EQ(0, mbox_send(self->fd, big, sizes[i], 0, 0, 0));
	for (size_t i = 0; i < 5; i++) {
		memset(out, 0, sizeof(out));
		ASSERT_EQ((int)sizes[i], mbox_recv(self->fd, out, sizeof(out), 0, 0, &meta));
		EXPECT_EQ(sizes[i], meta.len);
		EXPECT_EQ(0, memcmp(out, big, sizes[i]));
		EXPECT_EQ(getpid(), meta.pid);
		EXPECT_EQ(geteuid(), meta.uid);
		EXPECT_GT(meta.seq, last_seq);
		last_seq = meta.seq;
	}
	/* Larger than the mailbox's maximum. */
	EXPECT_EQ(-EMSGSIZE, mbox_send(self->fd, big, sizeof(big) + 1, 0, 0, 0));
	/* Bad priority, bad flags. */
	EXPECT_EQ(-EINVAL, mbox_send(self->fd, big, 1, MBOX_PRIO_MAX + 1, 0, 0));
	EXPECT_EQ(32767, MBOX_PRIO_MAX);
	EXPECT_EQ(-EINVAL, mbox_send(self->fd, big, 1, 0, 1u << 29, 0));
	EXPECT_EQ(-EINVAL, mbox_recv(self->fd, out, 1, 1u << 29, 0, NULL));
	EXPECT_EQ(-EFAULT, mbox_send(self->fd, (void *)8, 10, 0, 0, 0));
}

TEST_F(mb, priorities_highest_first_fifo_within)
{
	struct { unsigned int prio; char tag; } sends[] = {
		{ 1, 'a' }, { 5, 'b' }, { 3, 'c' }, { 5, 'd' }, { 0, 'e' }, { 31, 'f' },
	};
	const char expect[] = "fbdcae";
	struct mbox_recv meta;
	char c;

	for (size_t i = 0; i < 6; i++)
		ASSERT_EQ(0, mbox_send(self->fd, &sends[i].tag, 1, sends[i].prio, 0, 0));
	for (size_t i = 0; i < 6; i++) {
		ASSERT_EQ(1, mbox_recv(self->fd, &c, 1, 0, 0, &meta));
		EXPECT_EQ(expect[i], c);
	}
	EXPECT_EQ(-EAGAIN, mbox_recv(self->fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
}

/*
 * POSIX mq's range: 0 to 32767. Levels 32 and up live in a tree (made and
 * freed as they fill and empty); order is the same across both kinds.
 */
TEST_F(mb, wide_priorities_order_and_range)
{
	struct { unsigned int prio; char tag; } sends[] = {
		{ 32767, 'a' }, { 0, 'b' }, { 32, 'c' }, { 31, 'd' }, { 1000, 'e' },
		{ 32767, 'f' }, { 33, 'g' }, { 1000, 'h' }, { 32, 'i' }, { 63, 'j' },
		{ 64, 'k' },
	};
	const char expect[] = "afehkjgcidb";
	struct mbox_info info;
	struct mbox_recv meta;
	char c;

	EXPECT_EQ(-EINVAL, mbox_send(self->fd, "x", 1, MBOX_PRIO_MAX + 1, 0, 0));
	EXPECT_EQ(-EINVAL, mbox_send(self->fd, "x", 1, 0xffffffffu, 0, 0));
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(sends) / sizeof(sends[0]); i++)
			ASSERT_EQ(0, mbox_send(self->fd, &sends[i].tag, 1, sends[i].prio, 0, 0));
		ASSERT_EQ(0, mbox_info(self->fd, &info));
		EXPECT_EQ(11, info.msgs);
		/* Peeking and receiving see the same head. */
		ASSERT_EQ(1, mbox_recv(self->fd, &c, 1, MBOX_RECV_PEEK, 0, &meta));
		EXPECT_EQ('a', c);
		EXPECT_EQ(32767, meta.prio);
		for (size_t i = 0; i < sizeof(expect) - 1; i++) {
			ASSERT_EQ(1, mbox_recv(self->fd, &c, 1, 0, 0, &meta));
			EXPECT_EQ(expect[i], c);
		}
		EXPECT_EQ(-EAGAIN, mbox_recv(self->fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	}
}

TEST(wide_priorities_drop_oldest)
{
	struct mbox_info info;
	struct mbox_recv meta;
	int fd = mb_anon(3, MBOX_MB_DROP_OLDEST);
	char c;

	ASSERT_GE(fd, 0);
	/* The oldest is at a high level: that level empties and goes. */
	ASSERT_EQ(0, mbox_send(fd, "A", 1, 1000, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_send(fd, "B", 1, 5, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_send(fd, "C", 1, 32767, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_send(fd, "D", 1, 0, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(3, info.msgs);
	EXPECT_EQ(1, info.dropped);
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, &meta));
	EXPECT_EQ('C', c);
	EXPECT_EQ(1, meta.dropped);
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, &meta));
	EXPECT_EQ('B', c);
	/* A new message at the dropped level's priority makes it again. */
	ASSERT_EQ(0, mbox_send(fd, "E", 1, 1000, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, &meta));
	EXPECT_EQ('E', c);
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, &meta));
	EXPECT_EQ('D', c);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.bytes);
	/*
	 * Closed with messages at high levels: the purge empties and frees
	 * each level as it walks (KASAN in the debug lane watches the walk).
	 */
	ASSERT_EQ(0, mbox_send(fd, "F", 1, 2000, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_send(fd, "G", 1, 2000, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_send(fd, "H", 1, 3000, MBOX_WAIT_NONBLOCK, 0));
	close(fd);
}

TEST_F(mb, selective_receive_by_sender_pid)
{
	pid_t kids[2];
	char c;

	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char tag = 'A' + i;

			_exit(mbox_send(self->fd, &tag, 1, 0, 0, 0) ? 1 : 0);
		}
		ASSERT_EQ(0, wait_child(kids[i]));
	}
	/* Child B's message, although A's is older. */
	ASSERT_EQ(1, mbox_recv_from(self->fd, kids[1], &c, 1, 0, 0, NULL));
	EXPECT_EQ('B', c);
	EXPECT_EQ(-EAGAIN, mbox_recv_from(self->fd, kids[1], &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, mbox_recv_from(self->fd, getpid(), &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(1, mbox_recv(self->fd, &c, 1, 0, 0, NULL));
	EXPECT_EQ('A', c);
	EXPECT_EQ(-EINVAL, mbox_recv_from(self->fd, -1, &c, 1, 0, 0, NULL));
}

TEST_F(mb, short_buffer_keeps_the_message)
{
	struct mbox_recv meta;
	char small[4], big[32];

	ASSERT_EQ(0, mbox_send(self->fd, "0123456789", 10, 0, 0, 0));
	EXPECT_EQ(-EMSGSIZE, mbox_recv(self->fd, small, sizeof(small), 0, 0, &meta));
	EXPECT_EQ(10, meta.len);
	/* Still there, whole. */
	ASSERT_EQ(10, mbox_recv(self->fd, big, sizeof(big), 0, 0, NULL));
	EXPECT_EQ(0, memcmp(big, "0123456789", 10));

	/* With TRUNC the tail is dropped on request. */
	ASSERT_EQ(0, mbox_send(self->fd, "0123456789", 10, 0, 0, 0));
	EXPECT_EQ(4, mbox_recv(self->fd, small, sizeof(small), MBOX_RECV_TRUNC, 0, &meta));
	EXPECT_EQ(10, meta.len);
	EXPECT_EQ(0, memcmp(small, "0123", 4));
	EXPECT_EQ(-EAGAIN, mbox_recv(self->fd, big, sizeof(big), MBOX_WAIT_NONBLOCK, 0, NULL));
}

TEST_F(mb, faulting_buffer_keeps_the_message)
{
	char buf[8];

	ASSERT_EQ(0, mbox_send(self->fd, "payload", 7, 0, 0, 0));
	EXPECT_EQ(-EFAULT, mbox_recv(self->fd, (void *)8, sizeof(buf), 0, 0, NULL));
	ASSERT_EQ(7, mbox_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "payload", 7));
}

/* A send hands back its sequence number, and only that. */
TEST_F(mb, send_reports_the_sequence_number_received)
{
	struct mbox_send s[2];
	struct mbox_recv r;
	char buf[8];

	for (int i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].buf = (uintptr_t)"abc";
		s[i].len = 3;
		s[i].prio = 1;
		s[i].seq = 12345;
		ASSERT_EQ(0, mbox_sendmsg(self->fd, &s[i]));
		EXPECT_EQ(sizeof(s[i]), s[i].size);
		EXPECT_EQ(3, s[i].len);
		EXPECT_EQ(1, s[i].prio);
		EXPECT_EQ(0, s[i].flags);
		EXPECT_EQ(0, s[i].timeout_ns);
	}
	EXPECT_EQ(s[0].seq + 1, s[1].seq);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(3, mbox_recv(self->fd, buf, sizeof(buf), 0, 0, &r));
		EXPECT_EQ(s[i].seq, r.seq);
	}
}

TEST_F(mb, peek_does_not_remove)
{
	struct mbox_recv m1, m2;
	char buf[8];

	ASSERT_EQ(0, mbox_send(self->fd, "one", 3, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(self->fd, "two", 3, 0, 0, 0));
	ASSERT_EQ(3, mbox_recv(self->fd, buf, sizeof(buf), MBOX_RECV_PEEK, 0, &m1));
	ASSERT_EQ(3, mbox_recv(self->fd, buf, sizeof(buf), MBOX_RECV_PEEK, 0, &m2));
	EXPECT_EQ(m1.seq, m2.seq);
	ASSERT_EQ(3, mbox_recv(self->fd, buf, sizeof(buf), 0, 0, &m2));
	EXPECT_EQ(m1.seq, m2.seq);
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	ASSERT_EQ(3, mbox_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
}

/* MBOX_RECV_SEQ: receive (or peek at) the message with sequence number @seq. */
static int recv_seq(int fd, void *buf, uint32_t len, uint32_t flags, uint64_t seq,
		    struct mbox_recv *meta)
{
	struct mbox_recv r = {
		.flags = MBOX_RECV_SEQ | flags,
		.buf = (uintptr_t)buf,
		.len = len,
		.seq = seq,
	};
	int ret = mbox_recvmsg(fd, &r);

	if (meta)
		*meta = r;
	return ret;
}

/* The queue's contents, head first, as tags; and the counters agree. */
static void expect_queue(struct __test_metadata *_metadata, int fd, const char *tags,
			 uint64_t received)
{
	struct mbox_info info;
	char c;

	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(strlen(tags), info.msgs);
	EXPECT_EQ(received, info.received);
	for (const char *t = tags; *t; t++) {
		ASSERT_EQ(1, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
		EXPECT_EQ(*t, c);
	}
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
}

/* Send @n one-byte messages @tags[i] at @prios[i]; their seqs into @seqs. */
static int send_tagged(int fd, const char *tags, const unsigned int *prios, uint64_t *seqs)
{
	for (size_t i = 0; tags[i]; i++) {
		struct mbox_send s = {
			.buf = (uintptr_t)&tags[i],
			.len = 1,
			.prio = prios[i],
		};
		int ret = mbox_sendmsg(fd, &s);

		if (ret)
			return ret;
		seqs[i] = s.seq;
	}
	return 0;
}

/*
 * The message with that seq, wherever it is queued (not the head, another
 * priority); once it is gone, or for a seq never given: -ENOMSG at once,
 * nothing taken. Peeking by seq leaves it queued.
 */
TEST_F(mb, receive_by_sequence_number)
{
	const unsigned int prios[] = { 0, 5, 0, 40, 0 };
	struct mbox_recv meta;
	struct mbox_info info;
	uint64_t seq[5];
	char c;

	ASSERT_EQ(0, send_tagged(self->fd, "abcde", prios, seq));
	/* 'c': behind 'a' at its priority, behind 'd' and 'b' overall. */
	ASSERT_EQ(1, recv_seq(self->fd, &c, 1, 0, seq[2], &meta));
	EXPECT_EQ('c', c);
	EXPECT_EQ(seq[2], meta.seq);
	EXPECT_EQ(0, meta.prio);
	EXPECT_EQ(getpid(), meta.pid);
	/* Gone now: -ENOMSG, nothing else taken in its place. */
	EXPECT_EQ(-ENOMSG, recv_seq(self->fd, &c, 1, 0, seq[2], NULL));
	EXPECT_EQ(-ENOMSG, recv_seq(self->fd, &c, 1, MBOX_RECV_PEEK, seq[2], NULL));
	/* Never given (past the last, and 0 before the first). */
	EXPECT_EQ(-ENOMSG, recv_seq(self->fd, &c, 1, 0, seq[4] + 1, NULL));
	EXPECT_EQ(-ENOMSG, recv_seq(self->fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, mbox_info(self->fd, &info));
	EXPECT_EQ(4, info.msgs);
	EXPECT_EQ(1, info.received);
	/* Peek by seq: the wide-priority one, twice, still queued. */
	for (int i = 0; i < 2; i++) {
		c = 0;
		ASSERT_EQ(1, recv_seq(self->fd, &c, 1, MBOX_RECV_PEEK, seq[3], &meta));
		EXPECT_EQ('d', c);
		EXPECT_EQ(40, meta.prio);
		EXPECT_EQ(seq[3], meta.seq);
	}
	/* The last of the lowest priority. */
	ASSERT_EQ(1, recv_seq(self->fd, &c, 1, 0, seq[4], &meta));
	EXPECT_EQ('e', c);
	expect_queue(_metadata, self->fd, "dba", 2);
}

/* A buffer too short, truncation, the whole-size check: as without a seq. */
TEST_F(mb, receive_by_sequence_number_short_buffer)
{
	const unsigned int prios[] = { 0, 0 };
	struct mbox_recv meta;
	char small[1], big[8];
	uint64_t seq[2], long_seq;

	ASSERT_EQ(0, mbox_send(self->fd, "long", 4, 0, 0, 0));
	ASSERT_EQ(0, send_tagged(self->fd, "xy", prios, seq));
	ASSERT_EQ(4, mbox_recv(self->fd, big, sizeof(big), MBOX_RECV_PEEK, 0, &meta));
	long_seq = meta.seq;
	EXPECT_EQ(-EMSGSIZE, recv_seq(self->fd, small, 1, 0, long_seq, &meta));
	EXPECT_EQ(4, meta.len);
	/* The seq asked for stays in the struct: the same call can be retried. */
	EXPECT_EQ(long_seq, meta.seq);
	EXPECT_EQ(1, recv_seq(self->fd, small, 1, MBOX_RECV_TRUNC, long_seq, &meta));
	EXPECT_EQ(4, meta.len);
	EXPECT_EQ(long_seq, meta.seq);
	EXPECT_EQ('l', small[0]);
	EXPECT_EQ(-EMSGSIZE, recv_seq(self->fd, big, sizeof(big), MBOX_RECV_FULLSIZE, seq[1],
				      NULL));
	expect_queue(_metadata, self->fd, "xy", 1);
}

/* With the sender filter: both must match, else -ENOMSG and nothing taken. */
TEST_F(mb, receive_by_sequence_number_and_sender)
{
	struct mbox_recv r, meta;
	uint64_t child_seq;
	pid_t kid;
	char c;

	kid = fork();
	if (kid == 0)
		_exit(mbox_send(self->fd, "K", 1, 0, 0, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_child(kid));
	ASSERT_EQ(0, mbox_send(self->fd, "P", 1, 0, 0, 0));
	ASSERT_EQ(1, mbox_recv(self->fd, &c, 1, MBOX_RECV_PEEK, 0, &meta));
	ASSERT_EQ('K', c);
	child_seq = meta.seq;

	memset(&r, 0, sizeof(r));
	r.flags = MBOX_RECV_SEQ | MBOX_RECV_FROM_PID;
	r.buf = (uintptr_t)&c;
	r.len = 1;
	r.seq = child_seq;
	r.pid = getpid();
	EXPECT_EQ(-ENOMSG, mbox_recvmsg(self->fd, &r));
	r.pid = kid;
	c = 0;
	ASSERT_EQ(1, mbox_recvmsg(self->fd, &r));
	EXPECT_EQ('K', c);
	EXPECT_EQ(child_seq, r.seq);
	expect_queue(_metadata, self->fd, "P", 1);
}

/*
 * It never waits (an empty mailbox, a blocking descriptor: -ENOMSG at once);
 * a timeout with it, a broadcast subscription, a batch: -EINVAL, nothing
 * taken.
 */
TEST(receive_by_sequence_number_rejected)
{
	int fd = mb_anon(4, 0), bfd = mb_anon(4, MBOX_MB_BROADCAST);
	struct mbox_recv meta, entries[1];
	struct mbox_batch batch = { 0 };
	struct mbox_info info;
	int64_t t0;
	char c;

	ASSERT_GE(fd, 0);
	ASSERT_GE(bfd, 0);
	/*
	 * A receive that waited would wait for good (nobody sends): 5 s only
	 * tells a slow refusal (debug kernel, TCG, a loaded host) from a wait.
	 */
	t0 = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(-ENOMSG, recv_seq(fd, &c, 1, 0, 1, NULL));
	EXPECT_LT(now_ns(CLOCK_MONOTONIC) - t0, 5000000000LL);

	ASSERT_EQ(0, mbox_send(fd, "a", 1, 0, 0, 0));
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, MBOX_RECV_PEEK, 0, &meta));
	EXPECT_EQ(-EINVAL, recv_seq(fd, &c, 1, MBOX_WAIT_TIMEOUT, meta.seq, NULL));
	EXPECT_EQ(-EINVAL, recv_seq(fd, &c, 1, MBOX_WAIT_TIMEOUT | MBOX_WAIT_ABSTIME,
				    meta.seq, NULL));
	/* Batches take no per-entry flags, and RECV_SEQ is no batch flag. */
	memset(entries, 0, sizeof(entries));
	entries[0].buf = (uintptr_t)&c;
	entries[0].len = 1;
	entries[0].seq = meta.seq;
	EXPECT_EQ(-EINVAL, mbox_recv_batch(fd, entries, 1, MBOX_RECV_SEQ, 0));
	entries[0].flags = MBOX_RECV_SEQ;
	batch.size = sizeof(batch);
	batch.msgs = (uintptr_t)entries;
	batch.count = 1;
	batch.entry_size = sizeof(entries[0]);
	EXPECT_EQ(-EINVAL, raw_ioctl(fd, MBOX_IOC_RECV_BATCH, &batch));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(1, info.msgs);
	EXPECT_EQ(0, info.received);

	/* A subscription is read in send order. */
	ASSERT_EQ(0, mbox_subscribe(bfd));
	ASSERT_EQ(0, mbox_send(bfd, "b", 1, 0, 0, 0));
	ASSERT_EQ(1, mbox_recv(bfd, &c, 1, MBOX_RECV_PEEK, 0, &meta));
	EXPECT_EQ(-EINVAL, recv_seq(bfd, &c, 1, 0, meta.seq, NULL));
	EXPECT_EQ(-EINVAL, recv_seq(bfd, &c, 1, MBOX_RECV_PEEK, meta.seq, NULL));
	ASSERT_EQ(1, mbox_recv(bfd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ('b', c);
	close(bfd);
	expect_queue(_metadata, fd, "a", 0);
	close(fd);
}

TEST(bounded_capacity_nonblocking_and_blocking)
{
	int fd = mb_anon(2, 0);
	int64_t *t = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	char c = 'x';

	ASSERT_GE(fd, 0);
	ASSERT_NE(MAP_FAILED, t);
	ASSERT_EQ(0, mbox_send(fd, &c, 1, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, &c, 1, 0, 0, 0));
	EXPECT_EQ(-EAGAIN, mbox_send(fd, &c, 1, 0, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-ETIMEDOUT, mbox_send(fd, &c, 1, 0, MBOX_WAIT_TIMEOUT, 20000000));

	/* A full mailbox blocks the sender until a receiver makes room. */
	pid = fork();
	if (pid == 0) {
		/* Make room only once the sender shows as blocked. */
		if (wait_send_waiters(fd, 1))
			_exit(2);
		t[0] = now_ns(CLOCK_MONOTONIC);
		_exit(mbox_recv(fd, &c, 1, 0, 0, NULL) == 1 ? 0 : 1);
	}
	EXPECT_EQ(0, mbox_send(fd, &c, 1, 0, 0, 0));
	t[1] = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("2: the sender was never seen blocked");
	/* The send returned only after the receive made room. */
	EXPECT_GE(t[1], t[0]);
	close(fd);
	munmap(t, 4096);
}

/*
 * Senders waiting for room wait exclusively (one is woken per free slot):
 * each slot a receive frees goes to exactly one of them, one by one or a
 * batch at a time, and every one of them gets through in the end.
 */
TEST(blocked_senders_take_one_free_slot_each)
{
	int fd = mb_anon(2, 0), seen[6] = {};
	struct mbox_recv r[2];
	uint32_t v, outs[2];
	pid_t pids[4];

	ASSERT_GE(fd, 0);
	for (v = 0; v < 2; v++)
		ASSERT_EQ(0, mbox_send(fd, &v, sizeof(v), 0, 0, 0));
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			v = 2 + i;
			_exit(mbox_send(fd, &v, sizeof(v), 0, MBOX_WAIT_TIMEOUT,
					10000000000LL) ? 1 : 0);
		}
	}
	ASSERT_EQ(0, wait_send_waiters(fd, 4));

	/* One receive: one sender through, the mailbox full again. */
	ASSERT_EQ(sizeof(v), mbox_recv(fd, &v, sizeof(v), 0, 0, NULL));
	seen[v]++;
	ASSERT_EQ(0, wait_send_waiters(fd, 3));
	sleep_ms(50);
	EXPECT_EQ(0, wait_send_waiters(fd, 3));

	/* A batch of two: two more through. */
	for (int i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].buf = (uintptr_t)&outs[i];
		r[i].len = sizeof(outs[i]);
	}
	ASSERT_EQ(2, mbox_recv_batch(fd, r, 2, 0, 0));
	seen[outs[0]]++;
	seen[outs[1]]++;
	ASSERT_EQ(0, wait_send_waiters(fd, 1));

	/* The rest: the last sender, and what is queued. */
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(sizeof(v), mbox_recv(fd, &v, sizeof(v), MBOX_WAIT_TIMEOUT,
					       5000000000LL, NULL));
		ASSERT_LT(v, 6);
		seen[v]++;
	}
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(1, seen[i]);
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, &v, sizeof(v), MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

/* A batch sent to a mailbox wakes a receiver blocked on it. */
TEST(batched_send_wakes_a_blocked_receiver)
{
	int fd = mb_anon(8, 0);
	struct mbox_send s[3];
	struct mbox_info in;
	uint32_t vals[3] = { 7, 8, 9 };
	int status = 0;
	pid_t pid;

	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint32_t v;

		/* No timeout: only the batch's wake-up can end the wait. */
		for (uint32_t i = 0; i < 3; i++)
			if (mbox_recv(fd, &v, sizeof(v), 0, 0, NULL) != sizeof(v) ||
			    v != vals[i])
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < 1000; i++) {
		ASSERT_EQ(0, mbox_info(fd, &in));
		if (in.recv_waiters == 1)
			break;
		sleep_ms(10);
	}
	ASSERT_EQ(1, in.recv_waiters);
	for (int i = 0; i < 3; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].buf = (uintptr_t)&vals[i];
		s[i].len = sizeof(vals[i]);
	}
	ASSERT_EQ(3, mbox_send_batch(fd, s, 3, 0, 0));
	for (int i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) == 0; i++)
		sleep_ms(10);
	if (kill(pid, SIGKILL) == 0) {
		waitpid(pid, &status, 0);
		EXPECT_TRUE(0) TH_LOG("the receiver was not woken within 10 s");
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(fd);
}

TEST(byte_capacity)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 100, .max_bytes = 10 };
	int fd = mbox_open(-1, NULL, CREATE, &attr, NULL);
	char buf[16] = { 0 };

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EMSGSIZE, mbox_send(fd, buf, 11, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, buf, 6, 0, 0, 0));
	EXPECT_EQ(-EAGAIN, mbox_send(fd, buf, 5, 0, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_send(fd, buf, 4, 0, 0, 0));
	close(fd);
}

TEST(empty_mailbox_nonblocking_and_timeouts)
{
	int fd = mb_anon(4, 0);
	int64_t t0;
	char c;

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));

	t0 = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(-ETIMEDOUT, mbox_recv(fd, &c, 1, MBOX_WAIT_TIMEOUT, 50000000, NULL));
	EXPECT_GE(now_ns(CLOCK_MONOTONIC) - t0, 50000000);

	t0 = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(-ETIMEDOUT, mbox_recv(fd, &c, 1, MBOX_WAIT_ABSTIME,
					t0 + 50000000, NULL));
	EXPECT_GE(now_ns(CLOCK_MONOTONIC) - t0, 50000000);

	t0 = now_ns(CLOCK_REALTIME);
	EXPECT_EQ(-ETIMEDOUT, mbox_recv(fd, &c, 1, MBOX_WAIT_ABSTIME | MBOX_WAIT_REALTIME,
					t0 + 50000000, NULL));
	EXPECT_GE(now_ns(CLOCK_REALTIME) - t0, 50000000);

	/* An absolute time already past, and a zero relative timeout. */
	EXPECT_EQ(-ETIMEDOUT, mbox_recv(fd, &c, 1, MBOX_WAIT_ABSTIME, 1, NULL));
	EXPECT_EQ(-ETIMEDOUT, mbox_recv(fd, &c, 1, MBOX_WAIT_TIMEOUT, 0, NULL));
	/* Invalid combinations. */
	EXPECT_EQ(-EINVAL, mbox_recv(fd, &c, 1, MBOX_WAIT_TIMEOUT, -1, NULL));
	EXPECT_EQ(-EINVAL, mbox_recv(fd, &c, 1, MBOX_WAIT_REALTIME, 5, NULL));
	EXPECT_EQ(-EINVAL, mbox_recv(fd, &c, 1, 0, 5, NULL));

	/* O_NONBLOCK on the descriptor. */
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, &c, 1, 0, 0, NULL));
	close(fd);
}

TEST(blocking_receive_wakes_on_send)
{
	int fd = mb_anon(4, 0);
	pid_t pid;
	char c;

	ASSERT_GE(fd, 0);
	pid = fork();
	if (pid == 0) {
		/* Send only once the receiver sleeps in the mailbox. */
		if (wait_recv_waiters(fd, 1))
			_exit(2);
		_exit(mbox_send(fd, "w", 1, 0, 0, 0) ? 1 : 0);
	}
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, NULL));
	EXPECT_EQ('w', c);
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("2: the receiver was never seen blocked");
	close(fd);
}

/* ---- rendezvous and confirmed sends ---- */

TEST(rendezvous_send_waits_for_the_receiver)
{
	int fd = mb_anon(0, 0);
	int64_t *t = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mbox_info info;
	pid_t pid;
	char c;

	ASSERT_GE(fd, 0);
	ASSERT_NE(MAP_FAILED, t);
	/* Nobody receives: a non-blocking send fails, a timed one times out. */
	EXPECT_EQ(-EAGAIN, mbox_send(fd, "r", 1, 0, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-ETIMEDOUT, mbox_send(fd, "r", 1, 0, MBOX_WAIT_TIMEOUT, 30000000));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);	/* both offers were withdrawn */

	pid = fork();
	if (pid == 0) {
		/* The sender shows as a waiting sender with its offer queued. */
		for (int i = 0; i < 1000; i++) {
			if (mbox_info(fd, &info) || info.send_waiters == 1)
				break;
			sleep_ms(10);
		}
		sleep_ms(100);
		t[2] = info.send_waiters;
		t[3] = info.msgs;
		t[0] = now_ns(CLOCK_MONOTONIC);
		_exit(mbox_recv(fd, &c, 1, 0, 0, NULL) == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, mbox_send(fd, "r", 1, 0, 0, 0));
	t[1] = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(1, t[2]);
	EXPECT_EQ(1, t[3]);
	/* The send returned only after the receiver came. */
	EXPECT_GE(t[1], t[0]);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(1, info.received);
	close(fd);
}

TEST(rendezvous_nonblocking_send_to_a_waiting_receiver)
{
	int fd = mb_anon(0, 0);
	struct mbox_info info;
	pid_t pid;
	char c;
	int i;

	ASSERT_GE(fd, 0);
	pid = fork();
	if (pid == 0)
		_exit(mbox_recv(fd, &c, 1, 0, 0, NULL) == 1 && c == 'n' ? 0 : 1);
	/* Wait until the receiver sleeps in the mailbox. */
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, mbox_info(fd, &info));
		if (info.recv_waiters == 1)
			break;
		sleep_ms(10);
	}
	ASSERT_EQ(1, info.recv_waiters);
	EXPECT_EQ(0, mbox_send(fd, "n", 1, 0, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(0, wait_child(pid));
	close(fd);
}

TEST(confirmed_send_on_a_buffered_mailbox)
{
	int fd = mb_anon(8, 0);
	int64_t *t = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	char c;

	ASSERT_GE(fd, 0);
	ASSERT_NE(MAP_FAILED, t);
	pid = fork();
	if (pid == 0) {
		/* Receive only once the sender waits for its confirmation. */
		if (wait_send_waiters(fd, 1))
			_exit(2);
		t[0] = now_ns(CLOCK_MONOTONIC);
		_exit(mbox_recv(fd, &c, 1, 0, 0, NULL) == 1 ? 0 : 1);
	}
	EXPECT_EQ(0, mbox_send(fd, "c", 1, 0, MBOX_SEND_CONFIRM, 0));
	t[1] = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("2: the sender was never seen waiting");
	/* The send returned only after the message was received. */
	EXPECT_GE(t[1], t[0]);
	munmap(t, 4096);
	/* Unconfirmed, nobody there: withdrawn on timeout, never delivered. */
	EXPECT_EQ(-ETIMEDOUT, mbox_send(fd, "c", 1, 0, MBOX_SEND_CONFIRM | MBOX_WAIT_TIMEOUT,
					20000000));
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
}

TEST(rendezvous_sender_interrupted_withdraws)
{
	int fd = mb_anon(0, 0);
	struct mbox_info info;
	char c;

	ASSERT_GE(fd, 0);
	catch_signal(SIGALRM, 0);
	alarm(1);
	EXPECT_EQ(-EINTR, mbox_send(fd, "i", 1, 0, 0, 0));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.send_waiters);
	EXPECT_EQ(-ETIMEDOUT, mbox_recv(fd, &c, 1, MBOX_WAIT_TIMEOUT, 10000000, NULL));
	close(fd);
}

/* ---- overflow policy ---- */

TEST(drop_oldest_reports_what_was_missed)
{
	struct mbox_info info;
	struct mbox_recv meta;
	int fd = mb_anon(3, MBOX_MB_DROP_OLDEST);
	char c;

	ASSERT_GE(fd, 0);
	for (c = '1'; c <= '5'; c++)
		ASSERT_EQ(0, mbox_send(fd, &c, 1, 0, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, &meta));
	EXPECT_EQ('3', c);
	EXPECT_EQ(2, meta.dropped);
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, &meta));
	EXPECT_EQ('4', c);
	EXPECT_EQ(0, meta.dropped);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(2, info.dropped);
	EXPECT_EQ(5, info.sent);
	close(fd);
}

/* ---- file semantics ---- */

TEST(read_and_write_move_whole_messages)
{
	int fd = mb_anon(8, 0), wo, ro;
	uint64_t id;
	char buf[16];
	struct mbox_info info;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(0, write(fd, "", 0));
	ASSERT_EQ(3, write(fd, "abc", 3));
	EXPECT_EQ(5, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	/* A short read buffer: -EMSGSIZE and the message stays. */
	EXPECT_EQ(-1, read(fd, buf, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(3, read(fd, buf, sizeof(buf)));

	ASSERT_EQ(0, mbox_info(fd, &info));
	id = info.id;
	wo = mbox_open_id(-1, id, MBOX_OPEN_SEND);
	ro = mbox_open_id(-1, id, MBOX_OPEN_RECV);
	ASSERT_GE(wo, 0);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(-1, read(wo, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, write(ro, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, mbox_send(ro, "x", 1, 0, 0, 0));
	close(wo);
	close(ro);
	close(fd);
}

TEST(poll_readiness)
{
	int fd = mb_anon(1, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
	ASSERT_EQ(0, mbox_send(fd, "p", 1, 0, 0, 0));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN, p.revents);	/* full: not writable */
	close(fd);

	/* A rendezvous mailbox is writable only while a receiver waits. */
	fd = mb_anon(0, 0);
	p.fd = fd;
	ASSERT_EQ(0, poll(&p, 1, 0));
	close(fd);
}

TEST(epoll_edge_triggered)
{
	int fd = mb_anon(8, 0), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	pid_t pid;
	char c;

	ASSERT_GE(fd, 0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(0, mbox_send(fd, "1", 1, 0, 0, 0));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	/* Edge-triggered: no new event until something changes. */
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		_exit(mbox_send(fd, "2", 1, 0, 0, 0) ? 1 : 0);
	}
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, NULL));
	ASSERT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, NULL));
	close(ep);
	close(fd);
}

/* ---- signals, close and death while blocked ---- */

TEST(signal_interrupts_a_blocked_receive)
{
	int fd = mb_anon(4, 0);
	char c;

	ASSERT_GE(fd, 0);
	catch_signal(SIGALRM, 0);
	alarm(1);
	EXPECT_EQ(-EINTR, mbox_recv(fd, &c, 1, 0, 0, NULL));
	/* A relative timeout is never restarted, even with SA_RESTART. */
	catch_signal(SIGALRM, 1);
	alarm(1);
	EXPECT_EQ(-EINTR, mbox_recv(fd, &c, 1, MBOX_WAIT_TIMEOUT, 20000000000LL, NULL));
	close(fd);
}

TEST(sa_restart_restarts_a_blocked_receive)
{
	int fd = mb_anon(4, 0);
	pid_t pid;
	char c;

	ASSERT_GE(fd, 0);
	catch_signal(SIGUSR1, 1);
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		kill(getppid(), SIGUSR1);
		sleep_ms(100);
		_exit(mbox_send(fd, "s", 1, 0, 0, 0) ? 1 : 0);
	}
	EXPECT_EQ(1, mbox_recv(fd, &c, 1, 0, 0, NULL));
	EXPECT_EQ(0, wait_child(pid));
	close(fd);
}

struct blocked {
	int fd;
	int ret;
	char c;
};

static void *blocked_recv(void *arg)
{
	struct blocked *b = arg;

	b->ret = mbox_recv(b->fd, &b->c, 1, 0, 0, NULL);
	return NULL;
}

TEST(close_by_another_thread_while_blocked)
{
	struct blocked b = { .ret = -1 };
	struct mbox_info info;
	pthread_t th;
	uint64_t id;
	int other, i;

	b.fd = mb_anon(4, 0);
	ASSERT_GE(b.fd, 0);
	ASSERT_EQ(0, mbox_info(b.fd, &info));
	id = info.id;
	other = mbox_open_id(-1, id, SR);
	ASSERT_GE(other, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_recv, &b));
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, mbox_info(other, &info));
		if (info.recv_waiters == 1)
			break;
		sleep_ms(10);
	}
	ASSERT_EQ(1, info.recv_waiters);
	/* The blocked call holds its own reference: it carries on. */
	close(b.fd);
	ASSERT_EQ(0, mbox_send(other, "z", 1, 0, 0, 0));
	pthread_join(th, NULL);
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ('z', b.c);
	close(other);
}

TEST(killed_while_blocked_leaks_nothing)
{
	uint64_t mb0, msg0, mb1, msg1;
	int fd;
	pid_t rx, tx;
	char c;

	ASSERT_EQ(0, live_objects(&mb0, &msg0));
	fd = mb_anon(0, 0);
	ASSERT_GE(fd, 0);
	rx = fork();
	if (rx == 0) {
		close(fd);
		int f2 = mb_anon(4, 0);

		mbox_recv(f2, &c, 1, 0, 0, NULL);
		_exit(1);
	}
	tx = fork();
	if (tx == 0) {
		mbox_send(fd, "k", 1, 0, 0, 0);	/* rendezvous: nobody comes */
		_exit(1);
	}
	sleep_ms(200);
	kill(rx, SIGKILL);
	kill(tx, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, wait_child(rx));
	EXPECT_EQ(128 + SIGKILL, wait_child(tx));
	/* The killed sender's offer was withdrawn. */
	EXPECT_EQ(-EAGAIN, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	close(fd);
	ASSERT_EQ(0, live_objects(&mb1, &msg1));
	EXPECT_EQ(mb0, mb1);
	EXPECT_EQ(msg0, msg1);
}

/* ---- broadcast ---- */

TEST(broadcast_delivers_to_every_subscriber)
{
	int fd = mb_anon(8, MBOX_MB_BROADCAST), subs[3], late;
	struct mbox_info info;
	struct mbox_recv meta;
	uint64_t id;
	char c;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_info(fd, &info));
	id = info.id;
	for (int i = 0; i < 3; i++) {
		subs[i] = mbox_open_id(-1, id, MBOX_OPEN_RECV);
		ASSERT_GE(subs[i], 0);
		ASSERT_EQ(0, mbox_subscribe(subs[i]));
	}
	EXPECT_EQ(-EALREADY, mbox_subscribe(subs[0]));
	/* Not subscribed: nothing to read. */
	EXPECT_EQ(-ENOTCONN, mbox_recv(fd, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));

	for (c = 'a'; c <= 'c'; c++)
		ASSERT_EQ(0, mbox_send(fd, &c, 1, 0, 0, 0));
	late = mbox_open_id(-1, id, MBOX_OPEN_RECV);
	ASSERT_GE(late, 0);
	ASSERT_EQ(0, mbox_subscribe(late));
	c = 'd';
	ASSERT_EQ(0, mbox_send(fd, &c, 1, 0, 0, 0));

	for (int i = 0; i < 3; i++) {
		for (char want = 'a'; want <= 'd'; want++) {
			ASSERT_EQ(1, mbox_recv(subs[i], &c, 1, MBOX_WAIT_NONBLOCK, 0, &meta));
			EXPECT_EQ(want, c);
		}
		EXPECT_EQ(-EAGAIN, mbox_recv(subs[i], &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	}
	/* A late subscriber sees only what came after it. */
	ASSERT_EQ(1, mbox_recv(late, &c, 1, MBOX_WAIT_NONBLOCK, 0, NULL));
	EXPECT_EQ('d', c);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(4, info.subscribers);
	EXPECT_EQ(0, info.msgs);	/* everyone has everything: freed */
	for (int i = 0; i < 3; i++)
		close(subs[i]);
	close(late);
	close(fd);
}

TEST(broadcast_lagging_subscriber)
{
	int fd = mb_anon(2, MBOX_MB_BROADCAST), fast, slow, drop, dsub;
	struct mbox_info info;
	struct mbox_recv meta;
	char c;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_info(fd, &info));
	fast = mbox_open_id(-1, info.id, MBOX_OPEN_RECV);
	slow = mbox_open_id(-1, info.id, MBOX_OPEN_RECV);
	ASSERT_EQ(0, mbox_subscribe(fast));
	ASSERT_EQ(0, mbox_subscribe(slow));
	/* Default policy: the slow subscriber holds the sender back. */
	for (c = '1'; c <= '2'; c++) {
		ASSERT_EQ(0, mbox_send(fd, &c, 1, 0, 0, 0));
		ASSERT_EQ(1, mbox_recv(fast, &c, 1, 0, 0, NULL));
	}
	EXPECT_EQ(-EAGAIN, mbox_send(fd, "3", 1, 0, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(1, mbox_recv(slow, &c, 1, 0, 0, NULL));
	EXPECT_EQ(0, mbox_send(fd, "3", 1, 0, MBOX_WAIT_NONBLOCK, 0));
	close(fast);
	close(slow);
	close(fd);

	/* DROP_OLDEST: the slow one is moved on and told what it missed. */
	drop = mb_anon(2, MBOX_MB_BROADCAST | MBOX_MB_DROP_OLDEST);
	ASSERT_GE(drop, 0);
	ASSERT_EQ(0, mbox_info(drop, &info));
	dsub = mbox_open_id(-1, info.id, MBOX_OPEN_RECV);
	ASSERT_EQ(0, mbox_subscribe(dsub));
	for (c = '1'; c <= '5'; c++)
		ASSERT_EQ(0, mbox_send(drop, &c, 1, 0, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(1, mbox_recv(dsub, &c, 1, 0, 0, &meta));
	EXPECT_EQ('4', c);
	EXPECT_EQ(3, meta.dropped);
	close(dsub);
	close(drop);
}

/* ---- batches ---- */

TEST(batched_send_and_receive)
{
	int fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	struct mbox_send s[100];
	struct mbox_recv r[64];
	uint32_t vals[100], outs[64];

	ASSERT_GE(fd, 0);
	for (int i = 0; i < 100; i++) {
		vals[i] = i * 1000 + 7;
		memset(&s[i], 0, sizeof(s[i]));
		s[i].buf = (uintptr_t)&vals[i];
		s[i].len = sizeof(vals[i]);
	}
	ASSERT_EQ(100, mbox_send_batch(fd, s, 100, 0, 0));
	for (int i = 1; i < 100; i++)
		EXPECT_EQ(s[i - 1].seq + 1, s[i].seq);

	for (int i = 0; i < 64; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].buf = (uintptr_t)&outs[i];
		r[i].len = sizeof(outs[i]);
	}
	ASSERT_EQ(64, mbox_recv_batch(fd, r, 64, 0, 0));
	for (int i = 0; i < 64; i++) {
		EXPECT_EQ(vals[i], outs[i]);
		EXPECT_EQ(sizeof(uint32_t), r[i].len);
		EXPECT_EQ(s[i].seq, r[i].seq);
	}
	/* 36 left: a batch of 64 returns what there is without waiting. */
	for (int i = 0; i < 64; i++)
		r[i].len = sizeof(outs[i]);
	ASSERT_EQ(36, mbox_recv_batch(fd, r, 64, 0, 0));
	EXPECT_EQ(-EAGAIN, mbox_recv_batch(fd, r, 64, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(-EINVAL, mbox_recv_batch(fd, r, 0, 0, 0));
	EXPECT_EQ(-EINVAL, mbox_send_batch(fd, s, MBOX_BATCH_MAX + 1, 0, 0));
	close(fd);
}

/*
 * Batches move their plain entries in bursts of 16 under one lock hold
 * (module/batch.c). What a burst can not take (a full queue, an entry it
 * does not handle, a message too long for its buffer, a wide priority)
 * must end up exactly where the one-by-one path would leave it.
 */
static void burst_sends(struct mbox_send *s, uint32_t *vals, int n, int base)
{
	for (int i = 0; i < n; i++) {
		vals[i] = base + i;
		memset(&s[i], 0, sizeof(s[i]));
		s[i].buf = (uintptr_t)&vals[i];
		s[i].len = sizeof(vals[i]);
		s[i].seq = 0xdead;
	}
}

static void burst_recvs(struct mbox_recv *r, uint32_t *outs, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].buf = (uintptr_t)&outs[i];
		r[i].len = sizeof(outs[i]);
	}
}

/* A full queue ends a burst: what went is numbered, the rest untouched. */
TEST(batch_burst_stops_at_a_full_queue)
{
	int fd = mb_anon(37, 0);
	struct mbox_send s[50];
	struct mbox_recv r[50];
	uint32_t vals[50], outs[50];
	struct mbox_info info;

	ASSERT_GE(fd, 0);
	burst_sends(s, vals, 50, 1000);
	ASSERT_EQ(37, mbox_send_batch(fd, s, 50, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 1; i < 37; i++)
		EXPECT_EQ(s[i - 1].seq + 1, s[i].seq);
	for (int i = 37; i < 50; i++)
		EXPECT_EQ(0xdead, s[i].seq);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(37, info.msgs);
	EXPECT_EQ(37, info.sent);
	EXPECT_EQ(-EAGAIN, mbox_send_batch(fd, s, 50, MBOX_WAIT_NONBLOCK, 0));
	/* Received in order, across bursts, and no more than there is. */
	burst_recvs(r, outs, 50);
	ASSERT_EQ(37, mbox_recv_batch(fd, r, 50, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 0; i < 37; i++) {
		EXPECT_EQ(1000 + i, outs[i]);
		EXPECT_EQ(s[i].seq, r[i].seq);
		EXPECT_EQ(getpid(), r[i].pid);
		EXPECT_EQ(geteuid(), r[i].uid);
	}
	EXPECT_EQ(0, r[37].seq);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(37, info.received);
	close(fd);
}

/* Entries a burst does not take go one by one, in their place. */
TEST(batch_burst_hands_odd_entries_on)
{
	int fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	struct mbox_send s[40];
	struct mbox_recv r[40];
	uint32_t vals[40], outs[40];
	struct mbox_info info;

	ASSERT_GE(fd, 0);
	burst_sends(s, vals, 40, 0);
	s[5].prio = 1000;	/* a wide priority: no FIFO of its own */
	s[20].len = 1u << 30;	/* beyond msg_size_max: EMSGSIZE, one by one */
	ASSERT_EQ(20, mbox_send_batch(fd, s, 40, 0, 0));
	EXPECT_EQ(0xdead, s[20].seq);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(20, info.msgs);
	/* Priority first: entry 5 comes out first, then the others in order. */
	burst_recvs(r, outs, 40);
	r[3].len = 2;	/* too short: the batch stops there, nothing taken */
	ASSERT_EQ(3, mbox_recv_batch(fd, r, 40, 0, 0));
	EXPECT_EQ(5, outs[0]);
	EXPECT_EQ(1000, r[0].prio);
	EXPECT_EQ(0, outs[1]);
	EXPECT_EQ(1, outs[2]);
	EXPECT_EQ(sizeof(uint32_t), r[3].len);	/* what it needs */
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(17, info.msgs);
	/* With MBOX_RECV_TRUNC the short buffer takes the head, cut. */
	burst_recvs(r, outs, 40);
	r[0].len = 2;
	outs[0] = 0xffffffff;
	ASSERT_EQ(17, mbox_recv_batch(fd, r, 40, MBOX_RECV_TRUNC, 0));
	EXPECT_EQ(4, r[0].len);	/* the message's length; 2 bytes copied */
	EXPECT_EQ(0xffff0002, outs[0]);	/* little-endian: two bytes of 2 */
	for (int i = 1; i < 17; i++)
		EXPECT_EQ(i + 2 + (i + 2 >= 5), outs[i]);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(20, info.received);
	close(fd);
}

/* A drop-oldest mailbox drops within a burst as it does one by one. */
TEST(batch_burst_drops_the_oldest)
{
	int fd = mb_anon(10, MBOX_MB_DROP_OLDEST);
	struct mbox_send s[30];
	struct mbox_recv r[30];
	uint32_t vals[30], outs[30];
	struct mbox_info info;

	ASSERT_GE(fd, 0);
	burst_sends(s, vals, 30, 0);
	ASSERT_EQ(30, mbox_send_batch(fd, s, 30, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(10, info.msgs);
	EXPECT_EQ(20, info.dropped);
	burst_recvs(r, outs, 30);
	ASSERT_EQ(10, mbox_recv_batch(fd, r, 30, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(20, r[0].dropped);
	for (int i = 0; i < 10; i++)
		EXPECT_EQ(20 + i, outs[i]);
	for (int i = 1; i < 10; i++)
		EXPECT_EQ(0, r[i].dropped);
	close(fd);
}

/* A receive buffer that faults mid-batch: what came before is kept. */
TEST(batch_burst_fault_keeps_the_rest_queued)
{
	int fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	long pg = sysconf(_SC_PAGESIZE);
	struct mbox_send s[24];
	struct mbox_recv r[24];
	uint32_t vals[24], outs[24];
	struct mbox_info info;
	char *ro;

	ASSERT_GE(fd, 0);
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	burst_sends(s, vals, 24, 0);
	ASSERT_EQ(24, mbox_send_batch(fd, s, 24, 0, 0));
	burst_recvs(r, outs, 24);
	r[18].buf = (uintptr_t)ro;
	ASSERT_EQ(18, mbox_recv_batch(fd, r, 24, 0, 0));
	for (int i = 0; i < 18; i++)
		EXPECT_EQ(i, outs[i]);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(6, info.msgs);
	/* The first entry faulting fails the batch, and takes nothing. */
	burst_recvs(r, outs, 24);
	r[0].buf = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, mbox_recv_batch(fd, r, 24, 0, 0));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(6, info.msgs);
	burst_recvs(r, outs, 24);
	ASSERT_EQ(6, mbox_recv_batch(fd, r, 24, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(18 + i, outs[i]);
	munmap(ro, pg);
	close(fd);
}

/*
 * A send payload that faults in the middle of a burst: the entries before
 * it are sent, once each, numbered and counted; it and those after it are
 * not, and nothing of them stays charged or counted.
 */
TEST(batch_burst_send_fault_sends_those_before)
{
	int fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	long pg = sysconf(_SC_PAGESIZE);
	struct mbox_send s[24];
	struct mbox_recv r[24];
	uint32_t vals[24], outs[24];
	struct mbox_stats a, b;
	struct mbox_info info;
	char *none;

	ASSERT_GE(fd, 0);
	none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, mbox_stats(-1, &a));
	burst_sends(s, vals, 24, 100);
	s[21].buf = (uintptr_t)none;	/* the second burst's sixth */
	ASSERT_EQ(21, mbox_send_batch(fd, s, 24, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 1; i < 21; i++)
		EXPECT_EQ(s[i - 1].seq + 1, s[i].seq);
	for (int i = 21; i < 24; i++)
		EXPECT_EQ(0xdead, s[i].seq);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(21, info.msgs);
	EXPECT_EQ(21, info.sent);
	ASSERT_EQ(0, mbox_stats(-1, &b));
	EXPECT_EQ(a.messages + 21, b.messages);
	EXPECT_EQ(a.bytes + 21 * sizeof(uint32_t), b.bytes);
	/* The first burst's first: the batch fails and sends nothing. */
	burst_sends(s, vals, 24, 200);
	s[0].buf = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, mbox_send_batch(fd, s, 24, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(0xdead, s[1].seq);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(21, info.msgs);
	burst_recvs(r, outs, 24);
	ASSERT_EQ(21, mbox_recv_batch(fd, r, 24, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 0; i < 21; i++)
		EXPECT_EQ(100 + i, outs[i]);
	ASSERT_EQ(0, mbox_stats(-1, &b));
	EXPECT_EQ(a.messages, b.messages);
	EXPECT_EQ(a.bytes, b.bytes);
	munmap(none, pg);
	close(fd);
}

/*
 * A receive burst of several senders' messages reports each message's own
 * sender (a burst looks a sender's number up once for its run of messages).
 */
TEST(batch_burst_reports_each_sender)
{
	int fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	struct mbox_send s[4];
	struct mbox_recv r[12];
	uint32_t vals[4], outs[12];
	pid_t child;

	ASSERT_GE(fd, 0);
	burst_sends(s, vals, 4, 0);
	ASSERT_EQ(4, mbox_send_batch(fd, s, 4, 0, 0));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		burst_sends(s, vals, 4, 4);
		_exit(mbox_send_batch(fd, s, 4, 0, 0) == 4 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(child));
	burst_sends(s, vals, 4, 8);
	ASSERT_EQ(4, mbox_send_batch(fd, s, 4, 0, 0));
	burst_recvs(r, outs, 12);
	ASSERT_EQ(12, mbox_recv_batch(fd, r, 12, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 0; i < 12; i++) {
		EXPECT_EQ(i, outs[i]);
		EXPECT_EQ(i >= 4 && i < 8 ? child : getpid(), r[i].pid);
	}
	close(fd);
}

/*
 * A receive burst takes the highest priority's messages off their FIFO
 * together, then goes on with the next priority's: in order, each once.
 */
TEST(batch_burst_takes_priorities_in_order)
{
	int fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	static const uint32_t prio[10] = { 0, 3, 0, 3, 3, 0, 7, 0, 3, 0 };
	static const uint32_t order[10] = { 6, 1, 3, 4, 8, 0, 2, 5, 7, 9 };
	struct mbox_send s[10];
	struct mbox_recv r[12];
	uint32_t vals[10], outs[12];
	struct mbox_info info;

	ASSERT_GE(fd, 0);
	burst_sends(s, vals, 10, 0);
	for (int i = 0; i < 10; i++)
		s[i].prio = prio[i];
	ASSERT_EQ(10, mbox_send_batch(fd, s, 10, 0, 0));
	/* Four first: the run stops inside priority 3's FIFO. */
	burst_recvs(r, outs, 12);
	ASSERT_EQ(4, mbox_recv_batch(fd, r, 4, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(6, info.msgs);
	/* Then the rest, across two FIFOs, and nothing more. */
	ASSERT_EQ(6, mbox_recv_batch(fd, r + 4, 8, MBOX_WAIT_NONBLOCK, 0));
	for (int i = 0; i < 10; i++) {
		EXPECT_EQ(order[i], outs[i]);
		EXPECT_EQ(prio[order[i]], r[i].prio);
		EXPECT_EQ(s[order[i]].seq, r[i].seq);
	}
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(10, info.received);
	EXPECT_EQ(-EAGAIN, mbox_recv_batch(fd, r, 4, MBOX_WAIT_NONBLOCK, 0));
	/* The emptied FIFOs take messages again. */
	burst_sends(s, vals, 3, 20);
	s[1].prio = 3;
	ASSERT_EQ(3, mbox_send_batch(fd, s, 3, 0, 0));
	burst_recvs(r, outs, 3);
	ASSERT_EQ(3, mbox_recv_batch(fd, r, 3, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(21, outs[0]);
	EXPECT_EQ(20, outs[1]);
	EXPECT_EQ(22, outs[2]);
	close(fd);
}

/* A batch straight through the ioctl: libmbox would reset the entries. */
static int raw_batch(int fd, unsigned long cmd, void *entries, uint32_t count,
		     uint32_t entry_size)
{
	struct mbox_batch b = { .size = sizeof(b), .flags = MBOX_WAIT_NONBLOCK,
				.msgs = (uintptr_t)entries, .count = count,
				.entry_size = entry_size };
	int ret = ioctl(fd, cmd, &b);

	return ret < 0 ? -errno : ret;
}

/*
 * A burst reads entries ahead of the ones taking effect: an entry whose
 * buffer is the entries themselves must see them as one by one would.
 */
TEST(batch_burst_entries_aliased_by_buffers)
{
	struct mbox_recv r[4];
	struct mbox_send s[2], got;
	uint8_t payload[sizeof(r[0])], spare[64];
	struct mbox_info info;
	int fd = mb_anon(64, 0);

	ASSERT_GE(fd, 0);
	/* Entry 0's message lands on entry 1, whose size is then not 0. */
	memset(payload, 0x11, sizeof(payload));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, mbox_send(fd, payload, sizeof(payload), 0, 0, 0));
	memset(r, 0, sizeof(r));
	r[0].buf = (uintptr_t)&r[1];
	r[0].len = sizeof(r[1]);
	for (int i = 1; i < 4; i++) {
		r[i].buf = (uintptr_t)spare;
		r[i].len = sizeof(spare);
	}
	EXPECT_EQ(1, raw_batch(fd, MBOX_IOC_RECV_BATCH, r, 4, sizeof(r[0])));
	EXPECT_EQ(0x11111111, r[1].size);	/* the payload, whole */
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(3, info.msgs);
	close(fd);

	/* Entry 1's payload is entry 0, whose seq is handed back first. */
	fd = mb_anon(64, 0);
	ASSERT_GE(fd, 0);
	memset(s, 0, sizeof(s));
	s[0].buf = (uintptr_t)spare;
	s[0].len = 8;
	s[0].seq = 0xaaaa;
	s[1].buf = (uintptr_t)&s[0];
	s[1].len = sizeof(s[0]);
	ASSERT_EQ(2, raw_batch(fd, MBOX_IOC_SEND_BATCH, s, 2, sizeof(s[0])));
	ASSERT_EQ(8, mbox_recv(fd, spare, sizeof(spare), MBOX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(sizeof(got), mbox_recv(fd, &got, sizeof(got), MBOX_WAIT_NONBLOCK,
					 0, NULL));
	EXPECT_EQ(s[0].seq, got.seq);
	EXPECT_EQ(1, got.seq);
	close(fd);
}

/*
 * Every entry of a receive batch must be writable whole, as a single
 * receive's struct must: one whose last word is read-only ends the batch
 * at any position, with nothing taken for it.
 */
TEST(batch_burst_entry_writable_whole)
{
	long pg = sysconf(_SC_PAGESIZE);
	int positions[] = { 0, 1, 15, 16, 17 };
	struct mbox_recv loc[18];
	struct mbox_info info;
	uint32_t outs[18];
	char *map, *base;

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (unsigned int p = 0; p < sizeof(positions) / sizeof(positions[0]); p++) {
		int k = positions[p], fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);

		ASSERT_GE(fd, 0);
		for (int i = 0; i < 20; i++) {
			uint32_t v = i;

			ASSERT_EQ(0, mbox_send(fd, &v, sizeof(v), 0, 0, 0));
		}
		memset(loc, 0, sizeof(loc));
		for (int i = 0; i <= k; i++) {
			loc[i].buf = (uintptr_t)&outs[i];
			loc[i].len = sizeof(outs[i]);
		}
		/*
		 * Entry k's last word (__reserved) alone on the second page;
		 * the entries are copied there (not 8-byte aligned: the
		 * test never dereferences them).
		 */
		base = map + pg - (sizeof(loc[0]) - sizeof(uint32_t)) -
		       (size_t)k * sizeof(loc[0]);
		ASSERT_EQ(0, mprotect(map + pg, pg, PROT_READ | PROT_WRITE));
		memcpy(base, loc, (size_t)(k + 1) * sizeof(loc[0]));
		ASSERT_EQ(0, mprotect(map + pg, pg, PROT_READ));
		EXPECT_EQ(k ? k : -EFAULT,
			  raw_batch(fd, MBOX_IOC_RECV_BATCH, base, k + 1,
				    sizeof(loc[0])))
			TH_LOG("read-only last word at entry %d", k);
		ASSERT_EQ(0, mbox_info(fd, &info));
		EXPECT_EQ(20 - k, info.msgs) TH_LOG("entry %d", k);
		close(fd);
	}
	munmap(map, 2 * pg);
}

/* ---- info and limits ---- */

TEST(info_reports_attributes_and_counters)
{
	struct mbox_attr attr = { .mode = 0640, .capacity = 7, .msg_size_max = 100,
				  .max_bytes = 500 };
	struct mbox_info info;
	uint64_t id;
	int fd;

	fd = mbox_open(-1, "t-info", CREATE | MBOX_OPEN_EXCL, &attr, &id);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_send(fd, "12345", 5, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, "678", 3, 0, 0, 0));
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_STREQ("t-info", info.name);
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(7, info.capacity);
	EXPECT_EQ(100, info.msg_size_max);
	EXPECT_EQ(500, info.max_bytes);
	EXPECT_EQ(2, info.msgs);
	EXPECT_EQ(8, info.bytes);
	EXPECT_EQ(2, info.sent);
	EXPECT_EQ(0, info.received);
	EXPECT_EQ(0, info.state);
	EXPECT_EQ(-EMSGSIZE, mbox_send(fd, &info, 101, 0, 0, 0));
	EXPECT_EQ(0, mbox_unlink(-1, "t-info"));
	close(fd);
}

static int fill_byte_quota(void *arg)
{
	char buf[1024] = { 0 };
	int fd, i, ret = 0;

	(void)arg;
	fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	if (fd < 0)
		return 1;
	for (i = 0; i < 64 && !ret; i++)
		ret = mbox_send(fd, buf, sizeof(buf), 0, 0, 0);
	return ret == -EDQUOT && i > 2 ? 0 : 2;
}

TEST(byte_quota_per_user)
{
	unsigned long old = read_param("bytes_per_user");

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, write_param("bytes_per_user", 8192));
	EXPECT_EQ(0, as_user(4444, fill_byte_quota, NULL));
	ASSERT_EQ(0, write_param("bytes_per_user", old));
}

static int fill_given_mailbox(void *arg)
{
	char buf[1024] = { 0 };
	int fd = *(int *)arg, i, ret = 0;

	for (i = 0; i < 64 && !ret; i++)
		ret = mbox_send(fd, buf, sizeof(buf), 0, 0, 0);
	return ret == -EDQUOT && i > 2 ? 0 : 2;
}

/*
 * Messages are charged to their sender, not to the mailbox's owner: another
 * user filling root's mailbox up to its own quota leaves root's untouched.
 */
TEST(byte_quota_charges_the_sender_not_the_owner)
{
	unsigned long old = read_param("bytes_per_user");
	char buf[1024] = { 0 };
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, write_param("bytes_per_user", 8192));
	EXPECT_EQ(0, as_user(4444, fill_given_mailbox, &fd));
	EXPECT_EQ(0, mbox_send(fd, buf, sizeof(buf), 0, 0, 0));
	ASSERT_EQ(0, write_param("bytes_per_user", old));
	close(fd);
}

/*
 * A send burst that does not fit the byte quota as a whole sends what one
 * send after the other would: as many messages as fit, in order, and not
 * the rest; receiving them gives the whole quota back.
 */
static int burst_to_the_byte_quota(void *arg)
{
	static char bufs[64][100], outs[64][100];
	struct mbox_send s[64];
	struct mbox_recv r[64];
	struct mbox_info info;
	int fd, fit, n, i;

	(void)arg;
	fd = mb_anon(MBOX_CAPACITY_UNBOUNDED, 0);
	if (fd < 0)
		return 1;
	/* How many fit, sent one by one; received again, which uncharges them. */
	for (fit = 0; fit < 64; fit++)
		if (mbox_send(fd, bufs[0], sizeof(bufs[0]), 0, 0, 0))
			break;
	/* The quota must end inside a burst of 16 past the first. */
	if (fit <= 16 || fit >= 64 || !(fit % 16))
		return 2;
	for (i = 0; i < fit; i++)
		if (mbox_recv(fd, outs[0], sizeof(outs[0]), 0, 0, NULL) != sizeof(outs[0]))
			return 3;
	for (i = 0; i < 64; i++) {
		memset(bufs[i], i + 1, sizeof(bufs[i]));
		memset(&s[i], 0, sizeof(s[i]));
		s[i].buf = (uintptr_t)bufs[i];
		s[i].len = sizeof(bufs[i]);
		s[i].seq = 0xdead;
		memset(&r[i], 0, sizeof(r[i]));
		r[i].buf = (uintptr_t)outs[i];
		r[i].len = sizeof(outs[i]);
	}
	n = mbox_send_batch(fd, s, 64, MBOX_WAIT_NONBLOCK, 0);
	if (n != fit)
		return 4;
	for (i = fit; i < 64; i++)
		if (s[i].seq != 0xdead)
			return 5;
	if (mbox_send_batch(fd, s + fit, 64 - fit, MBOX_WAIT_NONBLOCK, 0) != -EDQUOT)
		return 6;
	if (mbox_info(fd, &info) || info.msgs != (uint64_t)fit)
		return 7;
	if (mbox_recv_batch(fd, r, 64, MBOX_WAIT_NONBLOCK, 0) != fit)
		return 8;
	for (i = 0; i < fit; i++)
		if (memcmp(outs[i], bufs[i], sizeof(bufs[i])) || r[i].seq != s[i].seq)
			return 9;
	/* All of it given back: as many fit again, in bursts. */
	n = mbox_send_batch(fd, s, 64, MBOX_WAIT_NONBLOCK, 0);
	close(fd);
	return n == fit ? 0 : 10;
}

TEST(batch_burst_stops_at_the_byte_quota)
{
	unsigned long old = read_param("bytes_per_user");

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, write_param("bytes_per_user", 4096));
	EXPECT_EQ(0, as_user(4444, burst_to_the_byte_quota, NULL));
	ASSERT_EQ(0, write_param("bytes_per_user", old));
}

TEST(message_size_limit_parameter)
{
	unsigned long old = read_param("msg_size_max");
	struct mbox_attr attr = { .mode = 0600, .capacity = 4 };
	static char buf[8192];
	struct mbox_info info;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	EXPECT_EQ(-EINVAL, write_param("msg_size_max", 64u << 20));
	ASSERT_EQ(0, write_param("msg_size_max", 4096));
	fd = mbox_open(-1, NULL, CREATE, &attr, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_info(fd, &info));
	EXPECT_EQ(4096, info.msg_size_max);
	EXPECT_EQ(-EMSGSIZE, mbox_send(fd, buf, 4097, 0, 0, 0));
	EXPECT_EQ(0, mbox_send(fd, buf, 4096, 0, 0, 0));
	attr.msg_size_max = 8192;
	EXPECT_EQ(-EINVAL, mbox_open(-1, NULL, CREATE, &attr, NULL));
	close(fd);
	ASSERT_EQ(0, write_param("msg_size_max", old));
}

/* Last: everything the tests made is gone (they run in this order). */
TEST(zz_no_mailbox_or_message_left)
{
	uint64_t mailboxes, messages;

	ASSERT_EQ(0, live_objects(&mailboxes, &messages));
	EXPECT_EQ(0, mailboxes);
	EXPECT_EQ(0, messages);
}

TEST_HARNESS_MAIN
