// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime regressions (issue 15, bugs 1-6): what is left behind when an
 * endpoint dies mid-receive, a dead IPC namespace's rings, a reply that
 * races its caller's timeout, one name space for two object types, the
 * sender's pid namespace on the hand-off path, and exact lookups by ID.
 *
 * Every test checks state (module-wide counters, endpoint and mailbox
 * info) against what it was before the test, so that one test's leak does
 * not make the next one fail too; the last test wants nothing left at all.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_LINK | MBOX_FEAT_RING)
#include "kselftest_harness.h"
#include "mbox_test.h"

#define SEC_NS	1000000000LL

/*
 * Wait up to ten seconds for the endpoints, links and messages alive to be
 * back to @base (an exited process's endpoint goes in a work item, which can
 * take seconds on the debug kernel under load). Return 0 as soon as they
 * are, or -EBUSY with the last counters in *st.
 */
static int wait_stats_back(const struct mbox_stats *base, struct mbox_stats *st)
{
	for (int i = 0; i < 1000; i++) {
		int ret = mbox_stats(-1, st);

		if (ret)
			return ret;
		if (st->endpoints == base->endpoints && st->links == base->links &&
		    st->messages == base->messages)
			return 0;
		sleep_ms(10);
	}
	return -EBUSY;
}

/* A shared page for the results of the processes a test forks. */
static void *shared_page(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- userfaultfd: a page whose first touch stalls until we say ---- */

struct uffd_page {
	int uffd;
	char *page;
	size_t size;
};

static int uffd_open(void)
{
	return syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
}

/* Whether userfaultfd works here (also for faults in the kernel's copies). */
static int uffd_available(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = uffd_open();
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api))
		ret = -errno;
	close(fd);
	return ret;
}

static int uffd_page_setup(struct uffd_page *u)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };

	u->size = sysconf(_SC_PAGESIZE);
	u->uffd = uffd_open();
	if (u->uffd < 0)
		return -errno;
	if (ioctl(u->uffd, UFFDIO_API, &api))
		return -errno;
	u->page = mmap(NULL, u->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->page == MAP_FAILED)
		return -errno;
	reg.range.start = (uintptr_t)u->page;
	reg.range.len = u->size;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(u->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/* Wait up to @ms for a fault on the page: 0, or -1. */
static int uffd_wait_fault(struct uffd_page *u, int ms)
{
	struct pollfd pfd = { .fd = u->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address < (uintptr_t)u->page ||
	    msg.arg.pagefault.address >= (uintptr_t)u->page + u->size)
		return -1;
	return 0;
}

/* Resolve the fault: the page appears, filled with @fill. */
static int uffd_resolve(struct uffd_page *u, char fill)
{
	struct uffdio_copy copy = { 0 };
	char *src = malloc(u->size);
	int ret;

	if (!src)
		return -1;
	memset(src, fill, u->size);
	copy.dst = (uintptr_t)u->page;
	copy.src = (uintptr_t)src;
	copy.len = u->size;
	ret = ioctl(u->uffd, UFFDIO_COPY, &copy);
	free(src);
	return ret;
}

/* Fail the fault: the page is unmapped, the faulting copy retries and fails. */
static int uffd_fail(struct uffd_page *u)
{
	struct uffdio_range range = { .start = (uintptr_t)u->page, .len = u->size };

	if (munmap(u->page, u->size))
		return -1;
	return ioctl(u->uffd, UFFDIO_WAKE, &range);
}

/* ---- bug 1: an endpoint shut down while one of its messages is copied out ---- */

struct stalled {
	int step;		/* 0, or the step of the server that failed */
	int read_ret;		/* the stalled read() through the link descriptor */
	int read_errno;
	int link_state;		/* the link's state once the endpoint is closed */
	int call_ret;		/* the client's mbox_call() */
	int client_status;
	int reply_ret;		/* variant "reply": the stalled mbox_reply() */
	pid_t replier;		/* variant "reply": the process that replied */
};

struct reader {
	int fd;
	void *buf;
	int ret;
	int err;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	r->ret = read(r->fd, r->buf, 64);
	r->err = errno;
	return NULL;
}

/* Wait up to 10 s for @ep to have @n messages queued: 0, or -1. */
static int wait_ep_msgs(int ep, uint64_t n)
{
	struct mbox_endpoint_info info;

	for (int i = 0; i < 1000; i++) {
		if (mbox_endpoint_info(ep, &info) == 0 && info.msgs == n)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

#define STEP(n, cond) do { if (!(cond)) { sh->step = (n); return (n); } } while (0)

/*
 * The server process. A client (our child) calls us; we open a link
 * descriptor to it and read the request, in a second thread, into a page
 * registered with userfaultfd, so the copy stalls with the message claimed.
 * Meanwhile we close the endpoint descriptor (the link descriptor holds
 * only a reference to the endpoint), then let the copy finish or fail.
 */
static int stalled_recv_server(struct stalled *sh, int fail_copy)
{
	struct mbox_link_info li;
	struct uffd_page u;
	struct reader r;
	pthread_t t;
	int sep, lfd, ready[2];
	char c;
	pid_t client;

	sep = mbox_endpoint(-1, 0, 0, NULL);
	STEP(1, sep >= 0);
	STEP(2, pipe(ready) == 0);
	client = fork();
	STEP(3, client >= 0);
	if (client == 0) {
		char reply[64];
		int cep;

		/* Our copy of the server's descriptor would keep its endpoint up. */
		close(sep);
		cep = mbox_endpoint(-1, 0, 0, NULL);
		if (cep < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		sh->call_ret = mbox_call(cep, getppid(), "request", 7, reply, sizeof(reply),
					 MBOX_WAIT_TIMEOUT, 10 * SEC_NS, NULL);
		_exit(0);
	}
	STEP(4, read(ready[0], &c, 1) == 1);
	STEP(5, wait_ep_msgs(sep, 1) == 0);
	lfd = mbox_link_open(sep, client, 0);
	STEP(6, lfd >= 0);
	STEP(7, uffd_page_setup(&u) == 0);
	r.fd = lfd;
	r.buf = u.page;
	STEP(8, pthread_create(&t, NULL, reader_thread, &r) == 0);
	/* The request is claimed and its copy to the page stalls. */
	STEP(9, uffd_wait_fault(&u, 5000) == 0);
	close(sep);		/* the endpoint is shut down: its links die */
	STEP(10, mbox_link_info(lfd, 0, &li) == 0);
	sh->link_state = li.state;
	if (fail_copy)
		STEP(11, uffd_fail(&u) == 0);
	else
		STEP(12, uffd_resolve(&u, 'x') == 0);
	pthread_join(t, NULL);
	sh->read_ret = r.ret;
	sh->read_errno = r.ret < 0 ? r.err : 0;
	close(lfd);
	close(u.uffd);
	sh->client_status = wait_child(client);
	return 0;
}

static void stalled_recv(struct __test_metadata *_metadata, int fail_copy)
{
	struct mbox_stats base, st;
	struct stalled *sh;
	int ret = uffd_available();
	pid_t server;

	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd here: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	sh = shared_page(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, mbox_stats(-1, &base));
	server = fork();
	ASSERT_LE(0, server);
	if (server == 0)
		_exit(stalled_recv_server(sh, fail_copy));
	ASSERT_EQ(0, wait_child(server));
	ASSERT_EQ(0, sh->step);
	EXPECT_EQ(0, sh->client_status);
	/* The server's endpoint went while the client waited for its reply. */
	EXPECT_EQ(-ECONNRESET, sh->call_ret);
	EXPECT_TRUE(sh->link_state & MBOX_LINK_DEAD);
	if (fail_copy) {
		EXPECT_EQ(-1, sh->read_ret);
		EXPECT_EQ(EFAULT, sh->read_errno);
	} else {
		EXPECT_EQ(7, sh->read_ret);
	}
	/* Every process is gone: nothing of theirs may be left. */
	EXPECT_EQ(0, wait_stats_back(&base, &st));
	EXPECT_EQ(base.endpoints, st.endpoints);
	EXPECT_EQ(base.links, st.links);
	EXPECT_EQ(base.messages, st.messages);
	munmap(sh, sizeof(*sh));
}

/*
 * Issue 15, bug 1: an endpoint shut down while one of its messages is being
 * received, the copy then completing: the call record must not be kept on
 * the dead endpoint (it held the link, which held both endpoints: 2
 * endpoints and 1 link were left forever).
 */
TEST(endpoint_closed_mid_receive_copy_completes)
{
	stalled_recv(_metadata, 0);
}

/*
 * Issue 15, bug 1, the requeue path: the same, the copy failing, so the
 * message is put back; into a dead inbox it must be freed (it was left
 * queued forever, holding the link and both endpoints).
 */
TEST(endpoint_closed_mid_receive_copy_fails)
{
	stalled_recv(_metadata, 1);
}

struct replier {
	int sep;
	uint64_t call_id;
	void *buf;
	int ret;
};

static void *replier_thread(void *arg)
{
	struct replier *r = arg;

	r->ret = mbox_reply(r->sep, r->call_id, r->buf, 16);
	return NULL;
}

/*
 * The replier: a child of the server, so it shares the server's endpoint
 * through the inherited descriptor. Its thread replies from a page that
 * stalls (mbox_reply() has taken the call's record and copies the reply
 * in); once the server has exited and its endpoint is shut down (@go), the
 * copy fails: -EFAULT, a non-EPIPE error after which the record used to be
 * put back on the dead endpoint.
 */
static int stalled_replier(struct stalled *sh, int sep, uint64_t call_id, int stalled, int go)
{
	struct uffd_page u;
	struct replier r;
	pthread_t t;
	char c;

	sh->replier = getpid();
	STEP(20, uffd_page_setup(&u) == 0);
	r.sep = sep;
	r.call_id = call_id;
	r.buf = u.page;
	STEP(21, pthread_create(&t, NULL, replier_thread, &r) == 0);
	STEP(22, uffd_wait_fault(&u, 5000) == 0);
	STEP(23, write(stalled, "s", 1) == 1);
	STEP(24, read(go, &c, 1) == 1);
	STEP(25, uffd_fail(&u) == 0);
	pthread_join(t, NULL);
	sh->reply_ret = r.ret;
	close(u.uffd);
	return 0;
}

/*
 * The server of the reply case: receive the call, fork the replier, and
 * exit once its reply stalls; our endpoint is shut down as we exit.
 */
static int stalled_reply_server(struct stalled *sh, int ready, int go)
{
	struct mbox_link_recv meta;
	int sep, stalled[2];
	char buf[64], c;
	pid_t replier;

	sep = mbox_endpoint(-1, 0, 0, NULL);
	STEP(1, sep >= 0);
	STEP(2, pipe(stalled) == 0);
	STEP(3, write(ready, "r", 1) == 1);
	STEP(4, mbox_link_recv(sep, 0, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 5 * SEC_NS,
			       &meta) == 7);
	STEP(5, meta.call_id != 0);
	replier = fork();
	STEP(6, replier >= 0);
	if (replier == 0)
		_exit(stalled_replier(sh, sep, meta.call_id, stalled[1], go));
	STEP(7, read(stalled[0], &c, 1) == 1);
	return 0;
}

/*
 * Issue 15, bug 1, mbox_link_reply(): a reply that fails with another error
 * than -EPIPE (here -EFAULT) gives the call's record back to its endpoint
 * so that the server may try again; if that endpoint was shut down while
 * the reply copied its buffer in, the record must be freed, not put on the
 * dead endpoint's list (where it kept the link and both endpoints).
 */
TEST(endpoint_gone_mid_reply_that_fails)
{
	struct mbox_stats base, st;
	int cep, ready[2], go[2];
	struct stalled *sh;
	char reply[64], c;
	int ret = uffd_available();
	pid_t server;

	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd here: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	sh = shared_page(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	/* The replier outlives its parent, the server: it becomes our child. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, mbox_stats(-1, &base));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	cep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, cep);
	server = fork();
	ASSERT_LE(0, server);
	if (server == 0)
		_exit(stalled_reply_server(sh, ready[1], go[0]));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* Returns when the server's endpoint dies, the reply still stalled. */
	EXPECT_EQ(-ECONNRESET, mbox_call(cep, server, "request", 7, reply, sizeof(reply),
					 MBOX_WAIT_TIMEOUT, 10 * SEC_NS, NULL));
	ASSERT_EQ(0, wait_child(server));
	ASSERT_EQ(0, sh->step);
	ASSERT_LT(0, sh->replier);
	/* The endpoint's shutdown (a work item) ends just after the link's death. */
	sleep_ms(200);
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, wait_child(sh->replier));
	EXPECT_EQ(0, sh->step);
	EXPECT_EQ(-EFAULT, sh->reply_ret);
	close(cep);
	EXPECT_EQ(0, wait_stats_back(&base, &st));
	EXPECT_EQ(base.endpoints, st.endpoints);
	EXPECT_EQ(base.links, st.links);
	EXPECT_EQ(base.messages, st.messages);
	munmap(sh, sizeof(*sh));
}

/* ---- bug 2: a dead IPC namespace's rings ---- */

#define RING_DATA	(1u << 20)
/* Three 1 MiB rings (and their 3 pages each) fit, a fourth does not. */
#define RING_QUOTA	(4ul << 20)

static const char *const ns_rings[] = { "lt-ns-ring-0", "lt-ns-ring-1", "lt-ns-ring-2" };

/* In a new IPC namespace, use up the byte quota with named rings; exit. */
static int fill_quota_in_new_ipcns(void)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = RING_DATA };
	struct mbox_ring *r;

	if (unshare(CLONE_NEWIPC))
		return errno == EPERM ? 77 : 1;
	for (int i = 0; i < 3; i++) {
		if (mbox_ring_open(-1, ns_rings[i], MBOX_RING_CREATE | MBOX_RING_EXCL, &attr, &r))
			return 10 + i;
		mbox_ring_close(r);	/* named: it stays */
	}
	/* The quota is used up. */
	if (mbox_ring_open(-1, NULL, MBOX_RING_CREATE, &attr, &r) != -EDQUOT)
		return 20;
	return 0;
}

FIXTURE(quota) {
	unsigned long bytes_per_user;
	unsigned long objects_per_user;
	struct mbox_stats base;
};

FIXTURE_SETUP(quota)
{
	self->bytes_per_user = read_param("bytes_per_user");
	self->objects_per_user = read_param("objects_per_user");
	ASSERT_NE(0, self->bytes_per_user);
	ASSERT_NE(0, self->objects_per_user);
	ASSERT_EQ(0, mbox_stats(-1, &self->base));
}

FIXTURE_TEARDOWN(quota)
{
	struct mbox_stats st;

	/*
	 * Whatever a dead namespace still holds: today's module frees it only
	 * when an object is refused for objects_per_user, so make that happen
	 * once, so the tests after this one start clean.
	 */
	if (!mbox_stats(-1, &st) && st.rings > self->base.rings) {
		write_param("objects_per_user", 0);
		close(mb_anon(1, 0));
	}
	EXPECT_EQ(0, write_param("objects_per_user", self->objects_per_user));
	EXPECT_EQ(0, write_param("bytes_per_user", self->bytes_per_user));
}

/*
 * Issue 15, bug 2: the rings of an IPC namespace whose last process has
 * gone are freed, and their bytes_per_user charge returned, without anybody
 * having to hit -ENOSPC first: a new ring that needs the bytes succeeds
 * within a bounded delay, and the three rings are gone from the counters.
 */
TEST_F(quota, dead_ipc_namespace_gives_back_its_rings)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = RING_DATA };
	struct mbox_ring *r = NULL;
	struct mbox_stats st;
	int64_t t0;
	pid_t c;
	int ret, status;

	ASSERT_EQ(0, write_param("bytes_per_user", RING_QUOTA));
	c = fork();
	ASSERT_LE(0, c);
	if (c == 0)
		_exit(fill_quota_in_new_ipcns());
	status = wait_child(c);
	if (status == 77)
		SKIP(return, "no new IPC namespace");
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, mbox_stats(-1, &st));
	ASSERT_EQ(self->base.rings + 3, st.rings);
	/* Nobody is at objects_per_user: only the dead namespace's death may help. */
	t0 = now_ns(CLOCK_MONOTONIC);
	do {
		ret = mbox_ring_open(-1, NULL, MBOX_RING_CREATE, &attr, &r);
		if (ret != -EDQUOT)
			break;
		sleep_ms(20);
	} while (now_ns(CLOCK_MONOTONIC) - t0 < 3 * SEC_NS);
	TH_LOG("new ring: %d after %lld ms", ret,
	       (long long)(now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
	EXPECT_EQ(0, ret);
	/*
	 * The periodic reaper may have taken one of the three off the registry
	 * a moment before this process's charge reaped the others, and be
	 * still freeing it: all three are gone within the same bounded delay.
	 */
	t0 = now_ns(CLOCK_MONOTONIC);
	do {
		ASSERT_EQ(0, mbox_stats(-1, &st));
		if (st.rings == self->base.rings + (ret == 0))
			break;
		sleep_ms(20);
	} while (now_ns(CLOCK_MONOTONIC) - t0 < 3 * SEC_NS);
	EXPECT_EQ(self->base.rings + (ret == 0), st.rings);
	if (!ret)
		mbox_ring_close(r);
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(self->base.rings, st.rings);
}

/* ---- bug 3: a reply accepted after its caller gave up ---- */

#define RACE_CALLS	5000
#define RACE_TIMEOUT_NS	1000000LL	/* 1 ms */
#define RACE_BUDGET_NS	(8 * SEC_NS)	/* stop calling after this long */
#define RACE_NO_REPLY	1		/* reply_ret[i] until the server replies */
/*
 * Messages the caller never receives during the race: each time it wakes
 * up, its call walks past them looking for its reply, holding the inbox's
 * lock, so that a reply attempted meanwhile queues on the lock and takes it
 * as the call lets go after timing out, inside the window.
 */
#define RACE_BALLAST	1000

struct race {
	int64_t start[RACE_CALLS];	/* when call i began */
	int call_ret[RACE_CALLS];
	int reply_ret[RACE_CALLS];	/* RACE_NO_REPLY, or what mbox_reply() said */
	int served;			/* calls the server is done with */
	int stop;			/* the caller is done */
	int64_t delay_ns;		/* the server's delay at the end */
};

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

/*
 * Reply to call i at start[i] + delay, busy-waiting for the moment, and
 * move the delay toward the caller's timeout: later after a reply that got
 * in, earlier after one refused. So the replies keep landing where the
 * caller's wait ends, the window of the bug. Poll rather than sleep: a
 * vCPU's wake-up under TCG takes from 0.1 to several ms.
 */
static int race_server(struct race *sh, int ready)
{
	struct mbox_link_recv meta;
	int64_t delay = RACE_TIMEOUT_NS;
	int sep, i, n;

	pin_to_cpu(1);
	sep = mbox_endpoint(-1, 0, 0, NULL);
	if (sep < 0)
		return 1;
	for (i = 0; i < RACE_BALLAST; i++)
		if (mbox_link_send(sep, getppid(), "ballast", 7, MBOX_LINK_ASYNC, 0))
			return 3;
	if (write(ready, "r", 1) != 1)
		return 1;
	for (;;) {
		int64_t t0 = now_ns(CLOCK_MONOTONIC);

		do {
			n = mbox_link_recv(sep, 0, &i, sizeof(i), MBOX_WAIT_NONBLOCK, 0, &meta);
			if (n == -EAGAIN && __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
				return 0;
		} while (n == -EAGAIN && now_ns(CLOCK_MONOTONIC) - t0 < 5 * SEC_NS);
		if (n != sizeof(i) || i < 0 || i >= RACE_CALLS)
			return 2;
		while (now_ns(CLOCK_MONOTONIC) < sh->start[i] + delay)
			;
		sh->reply_ret[i] = mbox_reply(sep, meta.call_id, "r", 1);
		if (sh->reply_ret[i] == 0)
			delay += 2000;
		else if (delay > 2000)
			delay -= 2000;
		sh->delay_ns = delay;
		__atomic_store_n(&sh->served, i + 1, __ATOMIC_RELEASE);
	}
}

/*
 * Issue 15, bug 3: a reply that arrives after its caller's call timed out
 * gets -ENOENT and is never queued (docs/links.md). The gap was between
 * the caller's wait timing out and its call being withdrawn: a reply there
 * returned 0 to the server and stayed in the caller's inbox for ever. A
 * race: on the module with the bug, in TCG on a loaded 2-core host, 1 to 3%
 * of the calls hit it (6 to 17 per run; see the log line), so the test
 * finds the bug in practically every run; it cannot fail on a module
 * without the bug, whatever the timing.
 */
TEST(no_reply_accepted_after_the_call_timed_out)
{
	int timedout = 0, answered = 0, refused = 0, lost = 0, calls, drained = 0;
	struct mbox_endpoint_info info;
	int cep, ready[2];
	struct race *sh;
	int64_t begin;
	char reply[8];
	pid_t server;

	sh = shared_page(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (int i = 0; i < RACE_CALLS; i++)
		sh->reply_ret[i] = RACE_NO_REPLY;
	ASSERT_EQ(0, pipe(ready));
	cep = mbox_endpoint(-1, 0, MBOX_CAPACITY_UNBOUNDED, NULL);
	ASSERT_LE(0, cep);
	server = fork();
	ASSERT_LE(0, server);
	if (server == 0)
		_exit(race_server(sh, ready[1]));
	ASSERT_EQ(1, read(ready[0], reply, 1));
	ASSERT_EQ(0, mbox_endpoint_info(cep, &info));
	ASSERT_EQ(RACE_BALLAST, info.msgs);
	pin_to_cpu(0);
	begin = now_ns(CLOCK_MONOTONIC);
	for (calls = 0; calls < RACE_CALLS; calls++) {
		int64_t t;
		int i = calls;

		if (now_ns(CLOCK_MONOTONIC) - begin > RACE_BUDGET_NS)
			break;
		sh->start[i] = now_ns(CLOCK_MONOTONIC);
		sh->call_ret[i] = mbox_call(cep, server, &i, sizeof(i), reply, sizeof(reply),
					    MBOX_WAIT_TIMEOUT, RACE_TIMEOUT_NS, NULL);
		/* One call at a time: wait until the server is done with it. */
		t = now_ns(CLOCK_MONOTONIC);
		while (__atomic_load_n(&sh->served, __ATOMIC_ACQUIRE) <= i &&
		       now_ns(CLOCK_MONOTONIC) - t < 5 * SEC_NS)
			;
		ASSERT_LT(i, sh->served);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, wait_child(server));
	while (mbox_link_recv(cep, 0, reply, sizeof(reply), MBOX_WAIT_NONBLOCK, 0, NULL) == 7)
		drained++;
	EXPECT_EQ(RACE_BALLAST, drained);
	for (int i = 0; i < calls; i++) {
		timedout += sh->call_ret[i] == -ETIMEDOUT;
		answered += sh->call_ret[i] == 1;
		refused += sh->reply_ret[i] == -ENOENT;
		if (sh->call_ret[i] == -ETIMEDOUT && sh->reply_ret[i] == 0)
			lost++;
	}
	ASSERT_EQ(0, mbox_endpoint_info(cep, &info));
	TH_LOG("%d calls in %lld ms: %d answered, %d timed out; %d replies refused, %d accepted after the timeout; %llu left queued; server delay %lld us",
	       calls, (long long)(now_ns(CLOCK_MONOTONIC) - begin) / 1000000, answered,
	       timedout, refused, lost, (unsigned long long)info.msgs,
	       (long long)sh->delay_ns / 1000);
	/*
	 * Not a failure, but the race was not run if one side never happened
	 * (a kernel too slow to answer any call within 1 ms).
	 */
	if (!answered || !timedout)
		TH_LOG("warning: no call %s: the window was not exercised",
		       answered ? "timed out" : "was answered");
	EXPECT_EQ(0, lost);
	EXPECT_EQ(timedout, refused);
	/* No reply stranded in the caller's inbox. */
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.bytes);
	close(cep);
	munmap(sh, sizeof(*sh));
}

/* ---- bug 4: one name space for mailboxes and rings ---- */

/*
 * Issue 15, bug 4: a ring created (without EXCL) under a mailbox's name, and
 * a mailbox under a ring's, fails with -EEXIST at once (it was -EAGAIN after
 * building and destroying the object four times), and nothing is left
 * charged or created.
 */
TEST(a_name_belongs_to_one_object_type)
{
	struct mbox_ring_attr rattr = { .mode = 0600, .data_size = 65536 };
	struct mbox_attr mattr = MBOX_ATTR_DEFAULT;
	struct mbox_stats base, st;
	struct mbox_ring *r, *r2;
	int mb, ret;

	ASSERT_EQ(0, mbox_stats(-1, &base));
	mb = mbox_open(-1, "lt-shared-name-mb", MBOX_OPEN_SEND | MBOX_OPEN_CREATE, &mattr, NULL);
	ASSERT_LE(0, mb);
	ret = mbox_ring_open(-1, "lt-shared-name-mb", MBOX_RING_CREATE, &rattr, &r2);
	EXPECT_EQ(-EEXIST, ret);
	if (!ret)
		mbox_ring_close(r2);
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(base.rings, st.rings);
	EXPECT_EQ(base.mailboxes + 1, st.mailboxes);

	ASSERT_EQ(0, mbox_ring_open(-1, "lt-shared-name-ring", MBOX_RING_CREATE | MBOX_RING_EXCL,
				    &rattr, &r));
	ret = mbox_open(-1, "lt-shared-name-ring", MBOX_OPEN_SEND | MBOX_OPEN_CREATE, &mattr, NULL);
	EXPECT_EQ(-EEXIST, ret);
	if (ret >= 0)
		close(ret);
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(base.rings + 1, st.rings);
	EXPECT_EQ(base.mailboxes + 1, st.mailboxes);

	mbox_ring_close(r);
	EXPECT_EQ(0, mbox_ring_unlink(-1, "lt-shared-name-ring"));
	close(mb);
	EXPECT_EQ(0, mbox_unlink(-1, "lt-shared-name-mb"));
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(base.rings, st.rings);
	EXPECT_EQ(base.mailboxes, st.mailboxes);
}

/* ---- bug 5: MBOX_RECV_FROM_PID on the hand-off path ---- */

struct from_rx {
	int fd;
	pid_t from;
	int ret;
	struct mbox_recv meta;
	char buf[16];
	int64_t t_start, t_end;	/* CLOCK_MONOTONIC, for a failure's log */
};

static void *from_rx_thread(void *arg)
{
	struct from_rx *rx = arg;

	rx->t_start = now_ns(CLOCK_MONOTONIC);
	/* Long enough for the sender to come under TCG: the timeout only bounds a failure. */
	rx->ret = mbox_recv_from(rx->fd, rx->from, rx->buf, sizeof(rx->buf),
				 MBOX_WAIT_TIMEOUT, 20 * SEC_NS, &rx->meta);
	rx->t_end = now_ns(CLOCK_MONOTONIC);
	return NULL;
}

/* What the sender did, in a shared page: its result and when it sent. */
struct from_tx {
	int ret;
	int64_t t_send;
};

static pid_t fork_new_pidns(void)
{
	return syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
}

/*
 * A sender forked (into a new pid namespace when @new_pidns) offers one
 * message non-blocking to a rendezvous mailbox on which we wait for exactly
 * that sender. Return the send's result in *sent and the receive's in @rx.
 */
static pid_t handoff_from(struct __test_metadata *_metadata, int fd, int new_pidns,
			  int *sent, struct from_rx *rx, bool *late)
{
	struct from_tx *tx = shared_page(sizeof(*tx));
	int64_t t_go;
	pthread_t t;
	int go[2];
	char c;
	pid_t s = -1;

	ASSERT_NE(NULL, tx);
	ASSERT_EQ(0, pipe(go));
	s = new_pidns ? fork_new_pidns() : fork();
	if (s < 0 && new_pidns && (errno == EPERM || errno == EINVAL))
		return 0;
	ASSERT_LE(0, s);
	if (s == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		tx->t_send = now_ns(CLOCK_MONOTONIC);
		tx->ret = mbox_send(fd, "handoff", 7, 0, MBOX_WAIT_NONBLOCK, 0);
		_exit(0);
	}
	rx->fd = fd;
	rx->from = s;
	ASSERT_EQ(0, pthread_create(&t, NULL, from_rx_thread, rx));
	EXPECT_EQ(0, wait_recv_waiters(fd, 1));
	t_go = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, wait_child(s));
	pthread_join(t, NULL);
	*sent = tx->ret;
	*late = tx->t_send >= rx->t_start + 20 * SEC_NS;
	/* Seen once on the debug kernel (-EAGAIN, then a 20 s timeout): when? */
	if (tx->ret)
		TH_LOG("send %d at +%lld ms, go at +%lld ms, receive %d from 0 to +%lld ms",
		       tx->ret, (long long)(tx->t_send - rx->t_start) / 1000000,
		       (long long)(t_go - rx->t_start) / 1000000, rx->ret,
		       (long long)(rx->t_end - rx->t_start) / 1000000);
	munmap(tx, sizeof(*tx));
	close(go[0]);
	close(go[1]);
	return s;
}

/*
 * handoff_from(), tried once more when the first try tested nothing: the
 * sender ran only after the receiver's 20 s had run out (the VM stalled),
 * so its send rightly found nobody. A send that finds nobody while the
 * receiver still waits fails the test as before.
 */
static pid_t handoff_from_retry(struct __test_metadata *_metadata, int fd,
				int new_pidns, int *sent, struct from_rx *rx)
{
	bool late = false;
	pid_t s = handoff_from(_metadata, fd, new_pidns, sent, rx, &late);

	if (s > 0 && *sent == -EAGAIN && rx->ret == -ETIMEDOUT && late) {
		TH_LOG("the sender came after the receiver's deadline: once more");
		memset(rx, 0, sizeof(*rx));
		*sent = 1;
		s = handoff_from(_metadata, fd, new_pidns, sent, rx, &late);
	}
	return s;
}

/*
 * Issue 15, bug 5: a non-blocking rendezvous send hands its message to a
 * receiver that waits for exactly that sender (MBOX_RECV_FROM_PID, a pid in
 * the receiver's namespace) also when the sender is in a child pid
 * namespace: the match was made with the sender's own pid number, in the
 * sender's namespace, and the send failed with -EAGAIN.
 */
TEST(from_pid_matches_a_sender_in_a_child_pid_namespace)
{
	struct from_rx rx = { 0 };
	struct mbox_info in;
	int fd, sent = 1;
	pid_t s;

	fd = mb_anon(0, 0);
	ASSERT_LE(0, fd);
	/* The same namespace first: this works today. */
	s = handoff_from_retry(_metadata, fd, 0, &sent, &rx);
	ASSERT_LT(0, s);
	EXPECT_EQ(0, sent);
	EXPECT_EQ(7, rx.ret);
	EXPECT_EQ(s, rx.meta.pid);

	memset(&rx, 0, sizeof(rx));
	sent = 1;
	s = handoff_from_retry(_metadata, fd, 1, &sent, &rx);
	if (s == 0)
		SKIP(return, "no new pid namespace");
	ASSERT_LT(0, s);
	EXPECT_EQ(0, sent);
	EXPECT_EQ(7, rx.ret);
	EXPECT_EQ(s, rx.meta.pid);	/* named by its pid here, not its 1 */
	ASSERT_EQ(0, mbox_info(fd, &in));
	EXPECT_EQ(2, in.received);
	EXPECT_EQ(0, in.msgs);
	close(fd);
}

/* ---- bug 6: lookups by ID are exact ---- */

/*
 * Issue 15, bug 6: opening (or unlinking) by a 64-bit ID whose low 32 bits
 * are another object's ID finds nothing (the ID was used as an unsigned long
 * index and never compared: on a 32-bit kernel the high bits were lost).
 */
TEST(lookup_by_id_is_exact)
{
	struct mbox_ring_attr rattr = { .mode = 0600, .data_size = 65536 };
	struct mbox_attr mattr = MBOX_ATTR_DEFAULT;
	struct mbox_ring *r, *r2;
	struct mbox_ring_info ri;
	struct mbox_stats base, st;
	struct mbox_info in;
	uint64_t id;
	int mb, fd;

	ASSERT_EQ(0, mbox_stats(-1, &base));
	mb = mbox_open(-1, NULL, MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE, &mattr, &id);
	ASSERT_LE(0, mb);
	ASSERT_GT(1ULL << 32, id);
	EXPECT_EQ(-ENOENT, mbox_open_id(-1, id | (1ULL << 32), MBOX_OPEN_SEND));
	EXPECT_EQ(-ENOENT, mbox_open_id(-1, id | (1ULL << 63), MBOX_OPEN_SEND));
	EXPECT_EQ(-ENOENT, mbox_unlink_id(-1, id | (1ULL << 32)));
	/* Still there, under its own ID. */
	fd = mbox_open_id(-1, id, MBOX_OPEN_SEND);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		ASSERT_EQ(0, mbox_info(fd, &in));
		EXPECT_EQ(id, in.id);
		EXPECT_EQ(0, in.state);
		close(fd);
	}

	ASSERT_EQ(0, mbox_ring_open(-1, NULL, MBOX_RING_CREATE, &rattr, &r));
	ASSERT_EQ(0, mbox_ring_info(r, &ri));
	EXPECT_EQ(-ENOENT, mbox_ring_open_id(-1, ri.id | (1ULL << 32), 0, &r2));
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(base.mailboxes + 1, st.mailboxes);
	EXPECT_EQ(base.rings + 1, st.rings);
	mbox_ring_close(r);
	close(mb);
}

/*
 * The file's last test: no endpoint, link, message or ring left. (Not
 * TEST_NOTHING_LEFT(): the harness runs the global tests before those of
 * a fixture, so this one needs a fixture declared after "quota".)
 */
FIXTURE(last) {};
FIXTURE_SETUP(last) {}
FIXTURE_TEARDOWN(last) {}

TEST_F(last, zz_nothing_left)
{
	struct mbox_stats st;

	EXPECT_EQ(0, wait_nothing_left(&st));
	EXPECT_EQ(0, st.endpoints);
	EXPECT_EQ(0, st.links);
	EXPECT_EQ(0, st.messages);
	EXPECT_EQ(0, st.bytes);
	EXPECT_EQ(0, st.rings);
}

TEST_HARNESS_MAIN
