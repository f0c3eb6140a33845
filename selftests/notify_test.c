// SPDX-License-Identifier: GPL-2.0
/*
 * Arrival notification (MBOX_FEAT_NOTIFY, MBOX_IOC_NOTIFY): the semantics of
 * POSIX mq_notify(). One registration per mailbox across processes, fired
 * once when a message arrives in an empty mailbox that no receiver waits on,
 * with the siginfo ipc/mqueue.c fills; removal by its owner, by the owner's
 * close and exit; eventfd delivery; hostile input.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_BROADCAST | MBOX_FEAT_NOTIFY)
#include "mbox_test.h"

#define SR (MBOX_OPEN_SEND | MBOX_OPEN_RECV)
#define CREATE (MBOX_OPEN_CREATE | SR)
#define SIG SIGUSR1

static int notify(int fd, unsigned int how, int signo, uint64_t value, int efd)
{
	struct mbox_notify n = {
		.size = sizeof(n), .how = how, .signo = signo, .value = value, .fd = efd,
	};

	return raw_ioctl(fd, MBOX_IOC_NOTIFY, &n);
}

static void block_sig(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Wait up to @ms for SIG; its siginfo in @si. Return: 1 got it, 0 not. */
static int got_sig(siginfo_t *si, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG);
	return sigtimedwait(&set, si, &ts) == SIG;
}

/* Run @fn(@fd) in a child process; return its exit status. */
static int in_child(int (*fn)(int fd), int fd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(fd));
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static int child_send(int fd)
{
	return mbox_send(fd, "m", 1, 0, 0, 0) ? 1 : 0;
}

static int child_register(int fd)
{
	return -notify(fd, MBOX_NOTIFY_NONE, 0, 0, 0);
}

static int child_remove(int fd)
{
	return -notify(fd, MBOX_NOTIFY_REMOVE, 0, 0, 0);
}

/* Is a registration in place? Probe from another process (-EBUSY: yes). */
static int registered(int fd)
{
	int rc = in_child(child_register, fd);

	return rc == EBUSY ? 1 : rc == 0 ? 0 : -rc;
}

TEST(signal_fires_once_with_mqueue_siginfo)
{
	char buf[8];
	siginfo_t si;
	pid_t child;
	int fd, status;

	block_sig();
	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0x1234abcdULL, 0));
	EXPECT_EQ(1, registered(fd));

	child = fork();
	if (child == 0)
		_exit(child_send(fd));
	waitpid(child, &status, 0);
	ASSERT_EQ(0, status);
	ASSERT_EQ(1, got_sig(&si, 2000));
	EXPECT_EQ(SIG, si.si_signo);
	EXPECT_EQ(SI_MESGQ, si.si_code);
	EXPECT_EQ(child, si.si_pid);
	EXPECT_EQ(getuid(), si.si_uid);
	EXPECT_EQ(0x1234abcd, si.si_value.sival_int);

	/* Fired, so removed: nothing more, and the place is free. */
	EXPECT_EQ(0, registered(fd));
	ASSERT_EQ(0, mbox_send(fd, "n", 1, 0, 0, 0));
	EXPECT_EQ(0, got_sig(&si, 100));
	/* A registration on a non-empty mailbox waits for it to empty and refill. */
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 7, 0));
	ASSERT_EQ(0, mbox_send(fd, "o", 1, 0, 0, 0));
	EXPECT_EQ(0, got_sig(&si, 100));
	EXPECT_EQ(1, registered(fd));
	EXPECT_EQ(1, mbox_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(1, mbox_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(1, mbox_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	ASSERT_EQ(0, mbox_send(fd, "p", 1, 0, 0, 0));
	ASSERT_EQ(1, got_sig(&si, 2000));
	EXPECT_EQ(7, si.si_value.sival_int);
	EXPECT_EQ(getpid(), si.si_pid);
	close(fd);
}

static void *sigwait_thread(void *arg)
{
	siginfo_t *si = arg;
	struct timespec ts = { 5, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG);
	if (sigtimedwait(&set, si, &ts) != SIG)
		si->si_signo = 0;
	return NULL;
}

/* Process-directed, as mqueue's: a thread waiting for it gets it. */
TEST(signal_reaches_the_thread_that_waits_for_it)
{
	siginfo_t si = { 0 }, mine;
	pthread_t th;
	int fd, i;

	block_sig();
	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 42, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, sigwait_thread, &si));
	/* Give it time to sleep in sigtimedwait(). */
	for (i = 0; i < 20; i++)
		usleep(10000);
	ASSERT_EQ(0, in_child(child_send, fd));
	pthread_join(th, NULL);
	EXPECT_EQ(SIG, si.si_signo);
	EXPECT_EQ(SI_MESGQ, si.si_code);
	EXPECT_EQ(42, si.si_value.sival_int);
	/* Not left pending on the main thread as well. */
	EXPECT_EQ(0, got_sig(&mine, 50));
	close(fd);
}

TEST(one_registration_across_processes)
{
	int fd;

	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_NONE, 0, 0, 0));
	/* A second one, by us or by anybody: -EBUSY. */
	EXPECT_EQ(-EBUSY, notify(fd, MBOX_NOTIFY_NONE, 0, 0, 0));
	EXPECT_EQ(-EBUSY, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0, 0));
	EXPECT_EQ(1, registered(fd));
	/* Another process's removal is a no-op that succeeds (as mq_notify). */
	EXPECT_EQ(0, in_child(child_remove, fd));
	EXPECT_EQ(1, registered(fd));
	/* The owner's removes it. */
	EXPECT_EQ(0, notify(fd, MBOX_NOTIFY_REMOVE, 0, 0, 0));
	EXPECT_EQ(0, registered(fd));
	/* Removing nothing is fine too. */
	EXPECT_EQ(0, notify(fd, MBOX_NOTIFY_REMOVE, 0, 0, 0));
	close(fd);
}

TEST(owner_close_of_any_descriptor_and_exit_remove_it)
{
	int fd, dup_fd, st;
	pid_t pid;

	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_NONE, 0, 0, 0));
	dup_fd = dup(fd);
	ASSERT_GE(dup_fd, 0);
	close(dup_fd);
	EXPECT_EQ(0, registered(fd));

	/* A process that registers and exits leaves nothing behind. */
	pid = fork();
	if (pid == 0) {
		if (notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0, 0))
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ASSERT_EQ(0, st);
	EXPECT_EQ(0, notify(fd, MBOX_NOTIFY_NONE, 0, 0, 0));
	close(fd);
}

TEST(other_closes_keep_it)
{
	siginfo_t si;
	int fd;

	block_sig();
	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0, 0));
	/* Children inherit the descriptor and close it when they exit. */
	EXPECT_EQ(1, registered(fd));
	EXPECT_EQ(1, registered(fd));
	ASSERT_EQ(0, in_child(child_send, fd));
	EXPECT_EQ(1, got_sig(&si, 2000));
	close(fd);
}

struct waiter {
	int fd;
	int ret;
};

static void *recv_thread(void *arg)
{
	struct waiter *w = arg;
	char buf[8];

	w->ret = mbox_recv(w->fd, buf, sizeof(buf), 0, 0, NULL);
	return NULL;
}

TEST(no_notification_when_a_receiver_waits)
{
	struct waiter w;
	pthread_t th;
	siginfo_t si;
	int fd;

	block_sig();
	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0, 0));
	w.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, recv_thread, &w));
	ASSERT_EQ(0, wait_recv_waiters(fd, 1));
	ASSERT_EQ(0, mbox_send(fd, "m", 1, 0, 0, 0));
	pthread_join(th, NULL);
	EXPECT_EQ(1, w.ret);
	EXPECT_EQ(0, got_sig(&si, 100));
	/* Still registered: it fires on the next arrival. */
	EXPECT_EQ(1, registered(fd));
	ASSERT_EQ(0, mbox_send(fd, "n", 1, 0, 0, 0));
	EXPECT_EQ(1, got_sig(&si, 2000));
	close(fd);
}

TEST(eventfd_mode)
{
	uint64_t count = 0;
	int fd, efd, p[2];

	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_EVENTFD, 0, 0, efd));
	/* The registration holds the eventfd: closing ours changes nothing. */
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, mbox_send(fd, "m", 1, 0, 0, 0));
	ASSERT_EQ(8, read(efd, &count, sizeof(count)));
	EXPECT_EQ(1, count);
	ASSERT_EQ(0, mbox_send(fd, "n", 1, 0, 0, 0));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(0, registered(fd));

	/* Not an eventfd, not a descriptor. */
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_EVENTFD, 0, 0, p[0]));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_EVENTFD, 0, 0, fd));
	EXPECT_EQ(-EBADF, notify(fd, MBOX_NOTIFY_EVENTFD, 0, 0, 1000000));
	EXPECT_EQ(-EBADF, notify(fd, MBOX_NOTIFY_EVENTFD, 0, 0, -1));
	EXPECT_EQ(0, registered(fd));
	close(p[0]);
	close(p[1]);
	close(efd);
	close(fd);
}

TEST(hostile_arguments)
{
	struct mbox_notify n = { .size = sizeof(n), .how = MBOX_NOTIFY_NONE };
	siginfo_t si;
	int fd, b;

	block_sig();
	fd = mbox_open(-1, NULL, CREATE, NULL, NULL);
	ASSERT_GE(fd, 0);
	/* Signal numbers out of range. */
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_SIGNAL, -1, 0, 0));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_SIGNAL, 65, 0, 0));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_SIGNAL, 1 << 30, 0, 0));
	/* Fields that do not belong to the mode, unknown modes, flags, reserved. */
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_NONE, SIG, 0, 0));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_NONE, 0, 1, 0));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0, 3));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_EVENTFD, SIG, 0, 0));
	EXPECT_EQ(-EINVAL, notify(fd, 4, 0, 0, 0));
	EXPECT_EQ(-EINVAL, notify(fd, ~0u, 0, 0, 0));
	n.flags = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(fd, MBOX_IOC_NOTIFY, &n));
	n.flags = 0;
	n.__reserved = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(fd, MBOX_IOC_NOTIFY, &n));
	EXPECT_EQ(-EFAULT, raw_ioctl(fd, MBOX_IOC_NOTIFY, (void *)8));
	EXPECT_EQ(0, registered(fd));

	/* Signal 0 and the largest: accepted; 0 sends nothing, and is used up. */
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, "m", 1, 0, 0, 0));
	EXPECT_EQ(0, got_sig(&si, 100));
	EXPECT_EQ(0, registered(fd));
	EXPECT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, 64, 0, 0));
	EXPECT_EQ(0, notify(fd, MBOX_NOTIFY_REMOVE, 0, 0, 0));
	close(fd);

	/* Not on /dev/mbox itself. */
	b = mbox_dev_open(0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(-ENOTTY, notify(b, MBOX_NOTIFY_NONE, 0, 0, 0));
	close(b);
}

TEST(broadcast_refuses_rendezvous_notifies_offers)
{
	struct mbox_attr bc = { .mode = 0600, .capacity = 4, .mb_flags = MBOX_MB_BROADCAST };
	struct mbox_attr rv = { .mode = 0600, .capacity = 0 };
	struct waiter w;
	char buf[8];
	siginfo_t si;
	pid_t pid;
	int fd, st;

	block_sig();
	fd = mbox_open(-1, NULL, CREATE, &bc, NULL);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_NONE, 0, 0, 0));
	EXPECT_EQ(-EINVAL, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 0, 0));
	close(fd);

	/* Rendezvous: an offer with nobody waiting for it is an arrival. */
	fd = mbox_open(-1, NULL, CREATE, &rv, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, notify(fd, MBOX_NOTIFY_SIGNAL, SIG, 5, 0));
	/* A non-blocking offer that nobody takes never arrives. */
	EXPECT_EQ(-EAGAIN, mbox_send(fd, "x", 1, 0, MBOX_WAIT_NONBLOCK, 0));
	EXPECT_EQ(0, got_sig(&si, 100));
	pid = fork();
	if (pid == 0)
		_exit(child_send(fd));
	ASSERT_EQ(1, got_sig(&si, 10000));
	EXPECT_EQ(pid, si.si_pid);
	EXPECT_EQ(5, si.si_value.sival_int);
	w.fd = fd;
	recv_thread(&w);
	EXPECT_EQ(1, w.ret);
	waitpid(pid, &st, 0);
	EXPECT_EQ(0, st);
	(void)buf;
	close(fd);
}

TEST_HARNESS_MAIN
