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
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

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

/*
 * The oracle. A failed call must have changed nothing visible, so after
 * each one the scenario's state is checked against a model the scenario
 * keeps. The checks run in a second thread of the child: fail-nth is per
 * thread, so they are never injected themselves. The main thread hands a
 * check over (a futex wake) and spins with sched_yield (neither allocates
 * nor copies from user space) until it is done.
 */
struct oracle {
	int checks;		/* state checks after failed calls */
	int violations;
	char first[12][200];	/* the first few, for the log */
};

static struct oracle *orc;
static unsigned int cur_nth;
static void (*check_fn)(void);
static atomic_int check_req;

static void *checker(void *arg)
{
	(void)arg;
	for (;;) {
		while (!atomic_load(&check_req))
			syscall(SYS_futex, &check_req, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		check_fn();
		atomic_store(&check_req, 0);
	}
	return NULL;
}

static int start_checker(void)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);	/* it is mlock()ed */
	return pthread_create(&t, &attr, checker, NULL);
}

/* Run @fn in the checker thread and wait for it. */
static void run_check(void (*fn)(void))
{
	check_fn = fn;
	atomic_store(&check_req, 1);
	syscall(SYS_futex, &check_req, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	while (atomic_load(&check_req))
		sched_yield();
}

/* Called by the checks: one more check, and whether it held. */
__attribute__((format(printf, 2, 3)))
static void verdict(int ok, const char *fmt, ...)
{
	va_list ap;
	int v;

	__atomic_fetch_add(&orc->checks, 1, __ATOMIC_RELAXED);
	if (ok)
		return;
	v = __atomic_fetch_add(&orc->violations, 1, __ATOMIC_RELAXED);
	if (v >= 12)
		return;
	snprintf(orc->first[v], sizeof(orc->first[v]), "failing call %u: ", cur_nth);
	va_start(ap, fmt);
	vsnprintf(orc->first[v] + strlen(orc->first[v]),
		  sizeof(orc->first[v]) - strlen(orc->first[v]), fmt, ap);
	va_end(ap);
}

static int next_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

/* ---- Mailboxes: the model of the queue ---- */

static struct {
	int fd, b;
	const char *op;
	int n;
	char data[8][16];
	unsigned int prio[8];
	uint64_t sent, received, mailboxes;
	uint64_t b_sent, b_received;
} mm;

static void mm_push(const char *d, unsigned int prio)
{
	int at = mm.n;

	while (at > 0 && mm.prio[at - 1] < prio)
		at--;
	memmove(&mm.data[at + 1], &mm.data[at], (mm.n - at) * sizeof(mm.data[0]));
	memmove(&mm.prio[at + 1], &mm.prio[at], (mm.n - at) * sizeof(mm.prio[0]));
	snprintf(mm.data[at], sizeof(mm.data[at]), "%s", d);
	mm.prio[at] = prio;
	mm.n++;
	mm.sent++;
}

static void mm_pop(int k)
{
	memmove(&mm.data[0], &mm.data[k], (mm.n - k) * sizeof(mm.data[0]));
	memmove(&mm.prio[0], &mm.prio[k], (mm.n - k) * sizeof(mm.prio[0]));
	mm.n -= k;
	mm.received += k;
}

/*
 * The counters, then a drain compared with the model; what was drained is
 * sent again in the same order, and the model's counters follow.
 */
static void check_mailbox(void)
{
	char buf[16], got[8][16];
	unsigned int gprio[8];
	struct mbox_recv meta;
	struct mbox_info in = { 0 };
	uint64_t bytes = 0;
	int n = 0, ret, ok;

	for (int i = 0; i < mm.n; i++)
		bytes += strlen(mm.data[i]);
	ret = mbox_info(mm.fd, &in);
	verdict(!ret && in.msgs == (uint64_t)mm.n && in.bytes == bytes && in.sent == mm.sent &&
		in.received == mm.received,
		"after a failed %s: info msgs %llu bytes %llu sent %llu received %llu, expected "
		"%d %llu %llu %llu", mm.op, (unsigned long long)in.msgs,
		(unsigned long long)in.bytes, (unsigned long long)in.sent,
		(unsigned long long)in.received, mm.n, (unsigned long long)bytes,
		(unsigned long long)mm.sent, (unsigned long long)mm.received);
	while (n < 8 && (ret = mbox_recv(mm.fd, buf, sizeof(buf) - 1, MBOX_WAIT_NONBLOCK, 0,
					 &meta)) >= 0) {
		buf[ret] = '\0';
		snprintf(got[n], sizeof(got[n]), "%s", buf);
		gprio[n++] = meta.prio;
	}
	ok = n == mm.n;
	for (int i = 0; ok && i < n; i++)
		ok = !strcmp(got[i], mm.data[i]) && gprio[i] == mm.prio[i];
	verdict(ok, "after a failed %s: the queue holds %d messages (first '%s'), expected %d "
		"(first '%s')", mm.op, n, n ? got[0] : "", mm.n, mm.n ? mm.data[0] : "");
	/* Go on from what the mailbox really holds: one violation, one report. */
	mm.sent = in.sent;
	mm.received = in.received + n;
	mm.n = 0;
	for (int i = 0; i < n; i++) {
		if (!mbox_send(mm.fd, got[i], strlen(got[i]), gprio[i], MBOX_WAIT_NONBLOCK, 0))
			mm_push(got[i], gprio[i]);
	}
}

/* A failed creation: the name does not exist, no mailbox was made. */
static void check_mb_absent(void)
{
	struct mbox_stats st = { 0 };
	int fd = mbox_open(-1, "fn_mb", MBOX_OPEN_RECV, NULL, NULL), ret;

	verdict(fd == -ENOENT, "after a failed create: opening fn_mb gives %d", fd);
	if (fd >= 0)
		close(fd);
	ret = mbox_stats(-1, &st);
	verdict(!ret && st.mailboxes == mm.mailboxes,
		"after a failed %s: %llu mailboxes alive, expected %llu", mm.op,
		(unsigned long long)st.mailboxes, (unsigned long long)mm.mailboxes);
}

static void snap_mailboxes(void)
{
	struct mbox_stats st;

	mm.mailboxes = mbox_stats(-1, &st) ? ~0ull : st.mailboxes;
}

/* A failed unlink: the name is still there. */
static void check_mb_present(void)
{
	int fd = mbox_open(-1, "fn_mb", MBOX_OPEN_RECV, NULL, NULL);

	verdict(fd >= 0, "after a failed unlink: opening fn_mb gives %d", fd);
	if (fd >= 0)
		close(fd);
}

/* The broadcast mailbox: its counters, and its subscriber's position. */
static void check_broadcast(void)
{
	struct mbox_info in = { 0 };
	int ret = mbox_info(mm.b, &in);

	verdict(!ret && in.sent == mm.b_sent && in.received == mm.b_received,
		"after a failed %s: broadcast sent %llu received %llu, expected %llu %llu",
		mm.op, (unsigned long long)in.sent, (unsigned long long)in.received,
		(unsigned long long)mm.b_sent, (unsigned long long)mm.b_received);
}

#define FAILED(what, check) do { mm.op = (what); run_check(check); } while (0)

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
	int fd, ret;

	memset(&mm, 0, sizeof(mm));
	run_check(snap_mailboxes);
	fd = mbox_open(-1, "fn_mb", MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE,
		       &attr, NULL);
	mm.fd = fd;
	if (fd < 0) {
		FAILED("create", check_mb_absent);
		goto broadcast;
	}
	ret = mbox_send(fd, "hello", 5, 3, MBOX_WAIT_NONBLOCK, 0);
	if (!ret)
		mm_push("hello", 3);
	else
		FAILED("send", check_mailbox);
	ret = mbox_send_batch(fd, sv, 2, MBOX_WAIT_NONBLOCK, 0);
	for (int i = 0; i < ret; i++)
		mm_push(i ? "bb" : "a", 0);
	if (ret != 2)
		FAILED("send batch", check_mailbox);
	if (mbox_recv(fd, buf, sizeof(buf), MBOX_RECV_PEEK | MBOX_WAIT_NONBLOCK, 0, NULL) < 0)
		FAILED("peek", check_mailbox);
	ret = mbox_recv(fd, buf, 2, MBOX_WAIT_NONBLOCK, 0, NULL);
	if (ret >= 0)
		mm_pop(1);
	else
		FAILED("short receive", check_mailbox);
	ret = mbox_recv_batch(fd, rv, 2, MBOX_WAIT_NONBLOCK, 0);
	if (ret > 0)
		mm_pop(ret);
	if (ret != 2)
		FAILED("receive batch", check_mailbox);
	if (mbox_info(fd, &in))
		FAILED("info", check_mailbox);
	if (mbox_unlink(-1, "fn_mb"))
		FAILED("unlink", check_mb_present);
	close(fd);
broadcast:
	attr.mb_flags = MBOX_MB_BROADCAST;
	run_check(snap_mailboxes);
	mm.b = mbox_open(-1, NULL, MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE, &attr,
			 NULL);
	if (mm.b < 0) {
		FAILED("anonymous create", check_mb_absent);
		return;
	}
	if (mbox_subscribe(mm.b))
		FAILED("subscribe", check_broadcast);
	if (!mbox_send(mm.b, "news", 4, 0, MBOX_WAIT_NONBLOCK, 0))
		mm.b_sent++;
	else
		FAILED("broadcast send", check_broadcast);
	if (mbox_recv(mm.b, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, NULL) >= 0)
		mm.b_received++;
	else
		FAILED("broadcast receive", check_broadcast);
	close(mm.b);
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

/*
 * Links: before each call a snapshot of our side (the link's counters, our
 * inbox, links alive, descriptors); after a failed one, none of it changed.
 * The peer echoes every plain message with "back", so a message of a failed
 * send that reached it would show up in our inbox.
 */
static struct {
	int ep, lfd;
	const char *op;
	int ret;		/* what the failed call returned */
	int have_link, fdn;
	struct mbox_link_info li;
	uint64_t inbox, links, endpoints;
} lm;

static int lm_inbox(uint64_t *msgs)
{
	struct mbox_endpoint_info ei;
	int ret = mbox_endpoint_info(lm.ep, &ei);

	*msgs = ret ? ~0ull : ei.msgs;
	return ret;
}

static void snap_link(void)
{
	struct mbox_stats st;

	lm.have_link = lm.ep >= 0 && !mbox_link_info(lm.ep, peer, &lm.li);
	if (lm.ep >= 0) {
		/* Echoes of what went through: let them arrive first. */
		for (int i = 0; i < 100; i++) {
			uint64_t a, b;

			lm_inbox(&a);
			sleep_ms(2);
			lm_inbox(&b);
			if (a == b && (!lm.have_link || !mbox_link_info(lm.ep, peer, &lm.li)) &&
			    lm.li.queued_out == 0)
				break;
		}
		lm_inbox(&lm.inbox);
	}
	mbox_stats(-1, &st);
	lm.links = st.links;
	lm.endpoints = st.endpoints;
	lm.fdn = next_fd();
}

static void check_link(void)
{
	struct mbox_link_info li = { 0 };
	struct mbox_stats st = { 0 };
	uint64_t inbox;
	int ret;

	sleep_ms(20);	/* an echo of a message that got through would arrive */
	if (lm.ep < 0) {
		ret = mbox_stats(-1, &st);
		verdict(!ret && st.endpoints == lm.endpoints,
			"after a failed %s: %llu endpoints alive, expected %llu", lm.op,
			(unsigned long long)st.endpoints, (unsigned long long)lm.endpoints);
		return;
	}
	ret = mbox_link_info(lm.ep, peer, &li);
	/*
	 * docs/uapi.md's one exception: a call whose reply could not be copied
	 * out (here an injected user-copy fault) fails with -EFAULT although
	 * its request went and was answered; the reply is discarded.
	 */
	if (lm.have_link && !strcmp(lm.op, "call") && lm.ret == -EFAULT &&
	    li.sent == lm.li.sent + 1)
		lm.li.sent++;
	if (lm.have_link)
		verdict(!ret && li.sent == lm.li.sent && li.received == lm.li.received,
			"after a failed %s: link sent %llu received %llu, expected %llu %llu",
			lm.op, (unsigned long long)li.sent, (unsigned long long)li.received,
			(unsigned long long)lm.li.sent, (unsigned long long)lm.li.received);
	else
		verdict(ret || (li.sent == 0 && li.received == 0),
			"after a failed %s: the new link has sent %llu received %llu", lm.op,
			(unsigned long long)li.sent, (unsigned long long)li.received);
	lm_inbox(&inbox);
	verdict(inbox == lm.inbox, "after a failed %s: our inbox holds %llu, expected %llu",
		lm.op, (unsigned long long)inbox, (unsigned long long)lm.inbox);
	verdict(next_fd() == lm.fdn, "after a failed %s: a descriptor was left open", lm.op);
}

#define LINK_OP(what, call)						\
	({								\
		int __r;						\
		lm.op = (what);						\
		run_check(snap_link);					\
		__r = (call);						\
		lm.ret = __r;						\
		if (__r < 0)						\
			run_check(check_link);				\
		__r;							\
	})

static void link_scenario(void)
{
	struct mbox_link_info li;
	char buf[64];

	memset(&lm, 0, sizeof(lm));
	lm.ep = -1;
	lm.ep = LINK_OP("endpoint", mbox_endpoint(-1, 0, 0, NULL));
	if (lm.ep < 0)
		return;
	LINK_OP("link send", mbox_link_send(lm.ep, peer, "hi", 2, MBOX_WAIT_TIMEOUT, 1000000000));
	LINK_OP("link receive", mbox_link_recv(lm.ep, peer, buf, sizeof(buf), MBOX_WAIT_TIMEOUT,
					       1000000000, NULL));
	LINK_OP("call", mbox_call(lm.ep, peer, "ping", 4, buf, sizeof(buf), MBOX_WAIT_TIMEOUT,
				  1000000000, NULL));
	lm.lfd = LINK_OP("link open", mbox_link_open(lm.ep, peer, 0));
	LINK_OP("link info", mbox_link_info(lm.lfd, 0, &li));
	LINK_OP("link-descriptor send", mbox_link_send(lm.lfd, 0, "x", 1, MBOX_LINK_ASYNC, 0));
	close(lm.lfd);
	close(lm.ep);
}

/* Rings: a failed open made nothing; a failed send or receive moved nothing. */
static struct {
	struct mbox_ring *p, *c;
	const char *op;
	uint32_t prod, cons;
	uint64_t rings;
} rm;

static void snap_ring(void)
{
	struct mbox_ring_info in;
	struct mbox_stats st;

	if (rm.p && !mbox_ring_info(rm.p, &in)) {
		rm.prod = in.prod;
		rm.cons = in.cons;
	}
	rm.rings = mbox_stats(-1, &st) ? ~0ull : st.rings;
}

static void check_ring_absent(void)
{
	struct mbox_ring *r = NULL;
	struct mbox_stats st = { 0 };
	int ret = mbox_ring_open(-1, "fn_ring", MBOX_RING_CONSUMER, NULL, &r);

	verdict(ret == -ENOENT, "after a failed ring create: opening fn_ring gives %d", ret);
	if (!ret)
		mbox_ring_close(r);
	ret = mbox_stats(-1, &st);
	verdict(!ret && st.rings == rm.rings,
		"after a failed ring create: %llu rings alive, expected %llu",
		(unsigned long long)st.rings, (unsigned long long)rm.rings);
}

static void check_ring(void)
{
	struct mbox_ring_info in = { 0 };
	int ret = mbox_ring_info(rm.p, &in);

	verdict(!ret && in.prod == rm.prod && in.cons == rm.cons,
		"after a failed %s: prod %u cons %u, expected %u %u", rm.op, in.prod, in.cons,
		rm.prod, rm.cons);
	if (!strcmp(rm.op, "consumer open"))
		verdict(!ret && !(in.state & MBOX_RING_F_CONSUMER),
			"after a failed consumer open: the ring has a consumer (state %#x)",
			in.state);
}

#define RING_OP(what, call, check)					\
	({								\
		int __r;						\
		rm.op = (what);						\
		run_check(snap_ring);					\
		__r = (call);						\
		if (__r < 0)						\
			run_check(check);				\
		__r;							\
	})

static void ring_scenario(void)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 16384 };
	struct mbox_ring_info in;
	const void *rp;
	char buf[64];
	void *w;

	memset(&rm, 0, sizeof(rm));
	if (RING_OP("ring create", mbox_ring_open(-1, "fn_ring", MBOX_RING_PRODUCER |
						  MBOX_RING_CREATE, &attr, &rm.p),
		    check_ring_absent)) {
		rm.p = NULL;
		goto out;
	}
	if (RING_OP("consumer open", mbox_ring_open(-1, "fn_ring", MBOX_RING_CONSUMER, NULL,
						    &rm.c), check_ring)) {
		rm.c = NULL;
		goto out;
	}
	RING_OP("ring send", mbox_ring_send(rm.p, "abc", 3, MBOX_WAIT_NONBLOCK, 0), check_ring);
	if (!RING_OP("reserve", mbox_ring_reserve(rm.p, 8, &w, MBOX_WAIT_NONBLOCK, 0),
		     check_ring)) {
		memcpy(w, "12345678", 8);
		mbox_ring_commit(rm.p);
	}
	RING_OP("ring receive", mbox_ring_recv(rm.c, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0),
		check_ring);
	if (!RING_OP("peek", mbox_ring_peek(rm.c, &rp, MBOX_WAIT_NONBLOCK, 0), check_ring))
		mbox_ring_release(rm.c);
	mbox_ring_recv(rm.c, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 1000000);
	mbox_ring_info(rm.c, &in);
out:
	mbox_ring_unlink(-1, "fn_ring");
	mbox_ring_close(rm.c);
	mbox_ring_close(rm.p);
}

/* Copy /proc/@path to stderr, each line a TAP comment. */
static void show_proc(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s: %s%s", path, line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/*
 * Wait for the child, at most two minutes (a scenario takes well under a
 * second): one that hangs is a finding, so say where each of its threads
 * sleeps, then kill it. 0 when it was reaped, -1 otherwise.
 */
static int wait_scenario(pid_t pid, unsigned int nth, int *st)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	for (int i = 0; i < 12000; i++) {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		sleep_ms(10);
	}
	fprintf(stderr, "# failing call %u: the child still runs after 120 s; its threads:\n",
		nth);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		for (int k = 0; k < 3; k++) {
			static const char *const what[] = { "stat", "wchan", "stack" };

			snprintf(path, sizeof(path), "/proc/%d/task/%.16s/%s", pid, d->d_name,
				 what[k]);
			show_proc(path);
		}
	}
	if (dir)
		closedir(dir);
	kill(pid, SIGKILL);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			break;
		sleep_ms(10);
	}
	return -1;
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
		cur_nth = nth;
		if (start_checker())
			_exit(7);
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
	if (pid < 0 || wait_scenario(pid, nth, &st))
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
	int64_t start = now_ns(CLOCK_MONOTONIC);
	unsigned int nth, died = 0;
	struct mbox_stats st;
	int ret = 1;

	if (setup_injection())
		SKIP(return, "no fault injection in this kernel (CONFIG_FAULT_INJECTION)");
	orc = mmap(NULL, sizeof(*orc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, orc);
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
	/* The rule: an error means nothing happened. */
	for (int i = 0; i < orc->violations && i < 12; i++)
		TH_LOG("%s: %s", area, orc->first[i]);
	EXPECT_EQ(0, orc->violations) TH_LOG("%s: %d of %d state checks after failed calls "
					     "broke the rule", area, orc->violations,
					     orc->checks);
	printf("# failnth: %s: %u injection points, %d state checks after failed calls, "
	       "%d broke the rule; %.0f s\n", area, nth - 2, orc->checks, orc->violations,
	       (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
	fflush(stdout);
	munmap(orc, sizeof(*orc));
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
