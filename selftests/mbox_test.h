/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by mbox's selftests. The tests use the kernel's own
 * kselftest_harness.h (from linux-source-6.1 when built by our Makefile,
 * from the kernel tree when built as the kselftest target "mbox").
 *
 * A test file may define MBOX_TEST_FEATURES (MBOX_FEAT_* bits its tests
 * need) before including this header; without /dev/mbox, or when the module
 * lacks one of those bits, the whole binary is skipped (KSFT_SKIP).
 */
#ifndef MBOX_TEST_H
#define MBOX_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mbox.h"

#ifndef KSFT_SKIP
#define KSFT_SKIP 4
#endif

#define MBOX_FEAT_ALL	(MBOX_FEAT_VERSION | MBOX_FEAT_MAILBOX | MBOX_FEAT_BATCH | \
			 MBOX_FEAT_BROADCAST | MBOX_FEAT_LINK | MBOX_FEAT_RING)

#ifndef MBOX_TEST_FEATURES
#define MBOX_TEST_FEATURES	MBOX_FEAT_VERSION
#endif

/*
 * Runs before the harness's main (a constructor, so TEST_HARNESS_MAIN stays
 * as it is): a binary whose prerequisites are missing reports one TAP plan
 * of no tests with the reason and exits with KSFT_SKIP, as kselftests do.
 */
__attribute__((constructor)) static void mbox_test_require(void)
{
	const uint64_t need = MBOX_TEST_FEATURES;
	struct mbox_version ver;
	char why[160];
	int fd, ret;

	fd = mbox_dev_open(0);
	if (fd < 0) {
		snprintf(why, sizeof(why), "%s: %s (is the mbox module loaded?)",
			 MBOX_DEVICE_PATH, mbox_strerror(fd));
		goto skip;
	}
	ret = mbox_version(fd, &ver);
	close(fd);
	if (ret < 0) {
		snprintf(why, sizeof(why), "%s: the version ioctl fails: %s",
			 MBOX_DEVICE_PATH, mbox_strerror(ret));
		goto skip;
	}
	if (ver.api_version != MBOX_API_VERSION) {
		snprintf(why, sizeof(why), "the module speaks API version %u, the tests %u",
			 ver.api_version, MBOX_API_VERSION);
		goto skip;
	}
	if ((ver.features & need) != need) {
		snprintf(why, sizeof(why), "the module lacks feature bits 0x%llx",
			 (unsigned long long)(need & ~ver.features));
		goto skip;
	}
	return;
skip:
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(KSFT_SKIP);
}

/* ioctl(2), returning a negative errno instead of -1. */
static inline int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* An anonymous mailbox open for sending and receiving. */
static inline int mb_anon(uint32_t capacity, uint32_t mb_flags)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = capacity,
				  .mb_flags = mb_flags };

	return mbox_open(-1, NULL, MBOX_OPEN_CREATE | MBOX_OPEN_SEND | MBOX_OPEN_RECV,
			 &attr, NULL);
}

/*
 * Wait until @fd's mailbox has @n receivers (@recv) or senders blocked: 0,
 * or -1 after 10 s.
 */
static inline int wait_mb_waiters(int fd, uint32_t n, int recv)
{
	struct mbox_info in;

	for (int i = 0; i < 1000; i++) {
		if (mbox_info(fd, &in) == 0 &&
		    (recv ? in.recv_waiters : in.send_waiters) == n)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

static inline int wait_send_waiters(int fd, uint32_t n)
{
	return wait_mb_waiters(fd, n, 0);
}

static inline int wait_recv_waiters(int fd, uint32_t n)
{
	return wait_mb_waiters(fd, n, 1);
}

/*
 * Wait up to 10 s until process @pid sleeps in system call @nr: 0, or -1.
 * /proc/PID/syscall names the call only while the task is blocked in it
 * ("running" otherwise), so a sleep, however long, cannot stand in for
 * this: under TCG on a loaded host a process may not have reached its
 * blocking call hundreds of milliseconds after the one that waits for it.
 */
static inline int wait_blocked_in_syscall(pid_t pid, long nr)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		long cur = -1;
		int n = 0;

		if (f) {
			n = fscanf(f, "%ld", &cur);
			fclose(f);
		}
		if (n == 1 && cur == nr)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

/* Wait for a child; its exit status, or 128 + signal. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Module-wide live counters: mailboxes and messages. */
static inline int live_objects(uint64_t *mailboxes, uint64_t *messages)
{
	struct mbox_stats st;
	int ret = mbox_stats(-1, &st);

	if (ret)
		return ret;
	*mailboxes = st.mailboxes;
	*messages = st.messages;
	return 0;
}

/*
 * Wait up to ten seconds for no endpoint, link, ring or queued message to be
 * left (an exited process's endpoint is torn down by a work item, just after
 * its exit; on the debug kernel under TCG on a loaded host that work can
 * take seconds). Return 0 as soon as nothing is left, or -EBUSY with the
 * last counters in *st.
 */
static inline int wait_nothing_left(struct mbox_stats *st)
{
	for (int i = 0; i < 1000; i++) {
		int ret = mbox_stats(-1, st);

		if (ret)
			return ret;
		if (!st->endpoints && !st->links && !st->messages && !st->rings)
			return 0;
		sleep_ms(10);
	}
	return -EBUSY;
}

/* Checksum and pseudo-random bytes for the stress tests' payloads. */
static inline uint32_t fnv1a(const uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static inline uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A file's last test: no endpoint, link or queued message is left. */
#define TEST_NOTHING_LEFT()						\
TEST(zz_nothing_left)							\
{									\
	struct mbox_stats st;						\
									\
	EXPECT_EQ(0, wait_nothing_left(&st));				\
	EXPECT_EQ(0, st.endpoints);					\
	EXPECT_EQ(0, st.links);						\
	EXPECT_EQ(0, st.messages);					\
	EXPECT_EQ(0, st.bytes);						\
	EXPECT_EQ(0, st.rings);						\
}

static inline int write_param(const char *name, unsigned long value)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/mbox/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%lu\n", value) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static inline unsigned long read_param(const char *name)
{
	char path[128];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/mbox/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static inline void on_signal_noop(int sig)
{
	(void)sig;
}

/* Install a no-op handler for @sig, with or without SA_RESTART. */
static inline void catch_signal(int sig, int restart)
{
	struct sigaction sa = { .sa_handler = on_signal_noop };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}
#endif /* MBOX_TEST_H */
