// SPDX-License-Identifier: GPL-2.0
/*
 * mq_regress: libmbox-mq's own regression cases for make check-posix-mq.
 *
 * A plain <mqueue.h> program: the lane runs it on the kernel's mqueue (the
 * baseline) and with LD_PRELOAD=libmbox-mq.so.1, and every case must give
 * what the kernel gives (where the shim is stricter, e.g. a message kept
 * after EFAULT, the case checks that too when the descriptor is a mailbox).
 * Each case runs in its own child, so a crash fails only that case. Output:
 * "CASE name pass|fail", with "# " lines explaining a failure. Needs root
 * (it hides /proc in a mount namespace and switches to uid 65534) and the
 * mbox module loaded (a ring is created through /dev/mbox).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/mbox.h>

#define BAD_PTR		((void *)8)
/* NULL where <mqueue.h> says nonnull: glibc itself passes it (mq_getattr). */
#pragma GCC diagnostic ignored "-Wnonnull"
static bool ok = true;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: ", __func__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf(" (errno %s)\n", strerrorname_np(errno) ?: "0");	\
		ok = false;						\
	}								\
} while (0)

/* Did @ret fail with @err? */
#define FAILS(ret, err)	((ret) == -1 && errno == (err))

static mqd_t new_queue(const char *name, long maxmsg, long msgsize, int extra)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };

	mq_unlink(name);
	return mq_open(name, O_CREAT | O_EXCL | O_RDWR | extra, 0600, &a);
}

/* Is @q a mailbox (the shim), not a kernel mqueue? */
static bool is_mailbox(mqd_t q)
{
	struct mbox_info info = { .size = sizeof(info) };

	return ioctl(q, MBOX_IOC_INFO, &info) == 0;
}

static long curmsgs(mqd_t q)
{
	struct mq_attr a;

	return mq_getattr(q, &a) ? -1 : a.mq_curmsgs;
}

/* ---- umask ---- */

/* As uid 65534: may "other" open @name for reading, for writing? */
static void other_access(const char *name, bool *rd, bool *wr)
{
	int st, r;
	pid_t p = fork();

	if (!p) {
		if (setgid(65534) || setuid(65534))
			_exit(9);
		r = mq_open(name, O_RDONLY) >= 0;
		r |= (mq_open(name, O_WRONLY) >= 0) << 1;
		_exit(r);
	}
	waitpid(p, &st, 0);
	*rd = WIFEXITED(st) && (WEXITSTATUS(st) & 1);
	*wr = WIFEXITED(st) && (WEXITSTATUS(st) & 2);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) < 4, "the uid 65534 child failed");
}

static void create_and_check(mode_t mask, mode_t mode, bool want_rd, bool want_wr)
{
	const char *name = "/pmq_rg_umask";
	bool rd, wr;
	mqd_t q;

	mq_unlink(name);
	umask(mask);
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, mode, NULL);
	CHECK(q >= 0, "create %#o under umask %#o", mode, mask);
	other_access(name, &rd, &wr);
	CHECK(rd == want_rd && wr == want_wr, "umask %#o mode %#o: other may read %d write %d",
	      mask, mode, rd, wr);
	mq_unlink(name);
}

/* The umask applies (022: others read, do not write). */
static void umask_proc(void)
{
	create_and_check(022, 0666, true, false);
	create_and_check(077, 0666, false, false);
}

/* Without /proc, a umask of 077 still keeps others out (issue 1). */
static void umask_noproc(void)
{
	int fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    umount2("/proc", MNT_DETACH)) {
		CHECK(0, "hiding /proc");
		return;
	}
	fd = open("/proc/self/status", O_RDONLY);
	CHECK(fd < 0, "/proc/self/status still readable");
	create_and_check(077, 0666, false, false);
	create_and_check(027, 0666, false, false);
}

/* ---- attributes ---- */

/* glibc's mq_getattr is mq_setattr(q, NULL, &old) (issue 2). */
static void setattr_null_new(void)
{
	struct mq_attr old;
	mqd_t q = new_queue("/pmq_rg_attr", 3, 16, O_NONBLOCK);

	memset(&old, 0x55, sizeof(old));
	CHECK(mq_setattr(q, NULL, &old) == 0, "mq_setattr(q, NULL, &old)");
	CHECK(old.mq_flags == O_NONBLOCK && old.mq_maxmsg == 3 && old.mq_msgsize == 16 &&
	      old.mq_curmsgs == 0, "old = %ld %ld %ld %ld", old.mq_flags, old.mq_maxmsg,
	      old.mq_msgsize, old.mq_curmsgs);
	CHECK(mq_setattr(q, NULL, NULL) == 0, "mq_setattr(q, NULL, NULL)");
	CHECK(FAILS(mq_setattr(-1, NULL, NULL), EBADF), "mq_setattr(-1, NULL, NULL)");
	CHECK(fcntl(q, F_GETFL) & O_NONBLOCK, "O_NONBLOCK changed");
	mq_unlink("/pmq_rg_attr");
}

/* Unreadable/unwritable attribute pointers are EFAULT, nothing changed. */
static void attr_bad_pointers(void)
{
	struct mq_attr nb = { .mq_flags = 0 };
	mqd_t q = new_queue("/pmq_rg_attrp", 3, 16, O_NONBLOCK);

	CHECK(FAILS(mq_getattr(q, BAD_PTR), EFAULT), "mq_getattr(q, bad)");
	CHECK(FAILS(mq_setattr(q, BAD_PTR, NULL), EFAULT), "mq_setattr(q, bad, NULL)");
	CHECK(FAILS(mq_setattr(q, &nb, BAD_PTR), EFAULT), "mq_setattr(q, &new, bad)");
	mq_unlink("/pmq_rg_attrp");
	CHECK(FAILS(mq_open("/pmq_rg_attrp", O_CREAT | O_RDWR, 0600, BAD_PTR), EFAULT),
	      "mq_open(attr bad)");
	mq_unlink("/pmq_rg_attrp");
}

/*
 * mq_setattr changes O_NONBLOCK only, atomically: another thread's F_SETFL
 * of another flag (O_APPEND) is never undone (issue 6).
 */
static atomic_bool race_stop;

static void *race_setattr(void *arg)
{
	mqd_t q = *(mqd_t *)arg;
	struct mq_attr a = { 0 };

	while (!atomic_load(&race_stop)) {
		a.mq_flags ^= O_NONBLOCK;
		mq_setattr(q, &a, NULL);
	}
	return NULL;
}

static void setattr_atomic(void)
{
	mqd_t q = new_queue("/pmq_rg_race", 3, 16, 0);
	struct timespec t0, t;
	long lost = 0, i;
	pthread_t th;
	int fl;

	mq_unlink("/pmq_rg_race");
	pthread_create(&th, NULL, race_setattr, &q);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200000; i++) {
		fl = fcntl(q, F_GETFL);
		/* Ours is a read-modify-write too, but only the other thread's
		 * bit can suffer from it: check that ours stays.
		 */
		if (fcntl(q, F_SETFL, fl ^ O_APPEND))
			break;
		if (((fcntl(q, F_GETFL) ^ fl) & O_APPEND) == 0)
			lost++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (lost || t.tv_sec - t0.tv_sec >= 3)
			break;
	}
	atomic_store(&race_stop, true);
	pthread_join(th, NULL);
	CHECK(!lost, "an F_SETFL of O_APPEND undone by mq_setattr (after %ld rounds)", i);
	printf("# setattr_atomic: %ld rounds\n", i);
}

/* ---- bad pointers in send and receive (issue 2) ---- */

static void recv_bad_prio(void)
{
	mqd_t q = new_queue("/pmq_rg_prio", 3, 16, O_NONBLOCK);
	unsigned int prio = 0;
	char buf[16];
	ssize_t n;

	mq_unlink("/pmq_rg_prio");
	CHECK(mq_send(q, "abc", 3, 7) == 0, "send");
	n = mq_receive(q, buf, sizeof(buf), BAD_PTR);
	CHECK(FAILS(n, EFAULT), "mq_receive(prio bad) = %zd", n);
	if (!is_mailbox(q))
		return;	/* the kernel's mqueue loses the message */
	/* Exactly once: the message is still there, and comes once. */
	CHECK(curmsgs(q) == 1, "curmsgs %ld after EFAULT", curmsgs(q));
	n = mq_receive(q, buf, sizeof(buf), &prio);
	CHECK(n == 3 && prio == 7 && !memcmp(buf, "abc", 3), "receive after EFAULT: %zd prio %u",
	      n, prio);
	CHECK(FAILS(mq_receive(q, buf, sizeof(buf), &prio), EAGAIN), "a second copy");
}

static void timed_bad_ts(void)
{
	mqd_t q = new_queue("/pmq_rg_ts", 3, 16, 0);
	char buf[16];

	mq_unlink("/pmq_rg_ts");
	CHECK(FAILS(mq_timedsend(q, "a", 1, 0, BAD_PTR), EFAULT), "mq_timedsend(ts bad)");
	/* The timeout is read before the priority is checked. */
	CHECK(FAILS(mq_timedsend(q, "a", 1, 32768, BAD_PTR), EFAULT),
	      "mq_timedsend(prio 32768, ts bad)");
	CHECK(curmsgs(q) == 0, "curmsgs %ld after failed sends", curmsgs(q));
	CHECK(mq_send(q, "b", 1, 0) == 0, "send");
	CHECK(FAILS(mq_timedreceive(q, buf, sizeof(buf), NULL, BAD_PTR), EFAULT),
	      "mq_timedreceive(ts bad)");
	CHECK(curmsgs(q) == 1, "curmsgs %ld after EFAULT", curmsgs(q));
}

/* ---- names ---- */

/* "/" is an empty name: ENOENT, as the kernel's getname() (issue 5). */
static void name_slash(void)
{
	CHECK(FAILS(mq_open("/", O_RDWR), ENOENT), "mq_open(\"/\")");
	CHECK(FAILS(mq_open("/", O_CREAT | O_RDWR, 0600, NULL), ENOENT),
	      "mq_open(\"/\", O_CREAT)");
	CHECK(FAILS(mq_unlink("/"), ENOENT), "mq_unlink(\"/\")");
	CHECK(FAILS(mq_open("/.", O_CREAT | O_RDWR, 0600, NULL), EACCES), "mq_open(\"/.\")");
	CHECK(FAILS(mq_unlink("/.."), EACCES), "mq_unlink(\"/..\")");
}

/*
 * A ring holding the name: the shim's mq_open(O_CREAT) is EEXIST at once
 * (it was EAGAIN after 8 rounds); the kernel's mqueue, another namespace,
 * creates the queue (issue 4).
 */
static void ring_name(void)
{
	const char *ring = "pmq_rg_ring";
	struct mbox_ring_open ro = {
		.size = sizeof(ro), .flags = MBOX_RING_CREATE | MBOX_RING_PRODUCER,
		.name = (uintptr_t)ring, .mode = 0600, .data_size = 4096,
	};
	struct mbox_unlink ul = {
		.size = sizeof(ul), .flags = MBOX_UNLINK_RING, .name = (uintptr_t)ring,
	};
	int dev = open("/dev/mbox", O_RDWR | O_CLOEXEC), rfd, flags[2] = { 0, O_EXCL }, i;
	mqd_t q;

	CHECK(dev >= 0, "open /dev/mbox");
	ioctl(dev, MBOX_IOC_UNLINK, &ul);
	rfd = ioctl(dev, MBOX_IOC_RING_OPEN, &ro);
	CHECK(rfd >= 0, "create ring %s", ring);
	CHECK(FAILS(mq_open("/pmq_rg_ring", O_RDWR), ENOENT), "mq_open(ring name)");
	for (i = 0; i < 2; i++) {
		q = mq_open("/pmq_rg_ring", O_CREAT | O_RDWR | flags[i], 0600, NULL);
		CHECK(q >= 0 || errno == EEXIST, "mq_open(ring name, O_CREAT%s)",
		      flags[i] ? "|O_EXCL" : "");
		if (q >= 0) {
			CHECK(!is_mailbox(q), "a mailbox made under a ring's name");
			mq_close(q);
			mq_unlink("/pmq_rg_ring");
		}
	}
	CHECK(FAILS(mq_unlink("/pmq_rg_ring"), ENOENT), "mq_unlink(ring name)");
	CHECK(ioctl(dev, MBOX_IOC_UNLINK, &ul) == 0, "the ring is still there");
	close(rfd);
	close(dev);
}

/* ---- driver ---- */

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "umask_proc", umask_proc },
	{ "umask_noproc", umask_noproc },
	{ "setattr_null_new", setattr_null_new },
	{ "attr_bad_pointers", attr_bad_pointers },
	{ "setattr_atomic", setattr_atomic },
	{ "recv_bad_prio", recv_bad_prio },
	{ "timed_bad_ts", timed_bad_ts },
	{ "name_slash", name_slash },
	{ "ring_name", ring_name },
};

int main(int argc, char **argv)
{
	size_t i;
	int st, failed = 0;
	pid_t p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name))
			continue;
		p = fork();
		if (!p) {
			alarm(30);
			cases[i].fn();
			fflush(stdout);
			_exit(ok ? 0 : 1);
		}
		waitpid(p, &st, 0);
		if (WIFSIGNALED(st))
			printf("# %s: killed by signal %d\n", cases[i].name, WTERMSIG(st));
		st = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		printf("CASE %s %s\n", cases[i].name, st ? "pass" : "fail");
		failed += !st;
	}
	return failed ? 1 : 0;
}
