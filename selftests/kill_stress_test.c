// SPDX-License-Identifier: GPL-2.0
/*
 * Kill-stress: 36 processes use mailboxes, links and rings at once while a
 * killer SIGKILLs one of them every few milliseconds and starts a new one in
 * its place. Messages whose sender was told they were delivered (a confirmed
 * mailbox send, a synchronous link send) must have been received exactly
 * once, by receivers that are never killed; and afterwards no mailbox,
 * endpoint, link, ring or message may be left in the module.
 *
 * MBOX_KILL_SECONDS (default 8) sets how long the killing goes on.
 */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_LINK | MBOX_FEAT_RING)
#include "mbox_test.h"

#define MAX_IDS		(1u << 20)
#define SINKS		2		/* never killed: the accounting receivers */
#define RINGS		4

enum role {
	R_ACCT_MB,	/* confirmed sends to the accounting mailbox */
	R_ACCT_LINK,	/* synchronous sends to a link sink */
	R_CHAOS_PROD,	/* anything goes on the chaos mailbox */
	R_CHAOS_CONS,
	R_RING_PROD,
	R_RING_CONS,
	R_LINK_PEER,	/* async sends and calls among themselves */
};

static const enum role roles[] = {
	R_ACCT_MB, R_ACCT_MB, R_ACCT_MB, R_ACCT_MB, R_ACCT_MB, R_ACCT_MB,
	R_ACCT_LINK, R_ACCT_LINK, R_ACCT_LINK, R_ACCT_LINK, R_ACCT_LINK, R_ACCT_LINK,
	R_CHAOS_PROD, R_CHAOS_PROD, R_CHAOS_PROD, R_CHAOS_CONS, R_CHAOS_CONS, R_CHAOS_CONS,
	R_RING_PROD, R_RING_PROD, R_RING_PROD, R_RING_PROD,
	R_RING_CONS, R_RING_CONS, R_RING_CONS, R_RING_CONS,
	R_LINK_PEER, R_LINK_PEER, R_LINK_PEER, R_LINK_PEER, R_LINK_PEER,
	R_LINK_PEER, R_LINK_PEER, R_LINK_PEER, R_LINK_PEER, R_LINK_PEER,
};

#define WORKERS	((int)(sizeof(roles) / sizeof(roles[0])))

struct shared {
	atomic_uint next_id;
	atomic_int stop;
	pid_t sink_pid[SINKS];
	pid_t worker[WORKERS];
	atomic_uchar confirmed[MAX_IDS];
	atomic_uchar received[MAX_IDS];
	atomic_ulong kills;
};

static struct shared *sh;
static int acct_mb, chaos_mb;

static uint32_t new_id(void)
{
	return atomic_fetch_add(&sh->next_id, 1) % MAX_IDS;
}

static void note_received(const void *buf, int len)
{
	uint32_t id;

	if (len != sizeof(id))
		return;
	memcpy(&id, buf, sizeof(id));
	atomic_fetch_add(&sh->received[id % MAX_IDS], 1);
}

/* A mailbox sink: receive until told to stop and the mailbox is empty. */
static int mailbox_sink(void)
{
	char buf[64];
	int n;

	for (;;) {
		n = mbox_recv(acct_mb, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 100000000, NULL);
		if (n >= 0)
			note_received(buf, n);
		else if (n == -ETIMEDOUT && atomic_load(&sh->stop))
			return 0;
		else if (n != -ETIMEDOUT && n != -EINTR)
			return 1;
	}
}

static int link_sink(void)
{
	int ep = mbox_endpoint(-1, 0, 0, NULL);
	char buf[64];
	int n;

	if (ep < 0)
		return 1;
	for (;;) {
		n = mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 100000000, NULL);
		if (n >= 0)
			note_received(buf, n);
		else if (n == -ETIMEDOUT && atomic_load(&sh->stop))
			return 0;
		else if (n != -ETIMEDOUT && n != -ECONNRESET && n != -EINTR)
			return 1;
	}
}

static void acct_mailbox(void)
{
	for (;;) {
		uint32_t id = new_id();

		if (mbox_send(acct_mb, &id, sizeof(id), 0, MBOX_SEND_CONFIRM, 0) == 0)
			atomic_store(&sh->confirmed[id], 1);
	}
}

static void acct_link(void)
{
	int ep = mbox_endpoint(-1, 0, 0, NULL);

	for (;;) {
		uint32_t id = new_id();

		if (mbox_link_send(ep, sh->sink_pid[1], &id, sizeof(id), 0, 0) == 0)
			atomic_store(&sh->confirmed[id], 1);
	}
}

static void chaos(enum role r, uint32_t rng)
{
	char buf[512];

	for (;;) {
		if (r == R_CHAOS_PROD)
			mbox_send(chaos_mb, buf, xorshift(&rng) % sizeof(buf), xorshift(&rng) % 32,
				  xorshift(&rng) % 2 ? MBOX_SEND_CONFIRM : 0, 0);
		else
			mbox_recv(chaos_mb, buf, xorshift(&rng) % sizeof(buf),
				  xorshift(&rng) % 4 ? 0 : MBOX_RECV_TRUNC, 0, NULL);
	}
}

static void ring_worker(int slot, enum role r, uint32_t rng)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 8192 };
	unsigned int flags = r == R_RING_PROD ? MBOX_RING_PRODUCER : MBOX_RING_CONSUMER;
	struct mbox_ring *ring;
	char name[16], buf[4096];
	const void *p;
	void *w;

	snprintf(name, sizeof(name), "ks_ring%d", slot % RINGS);
	/* The role may still be held by a killed predecessor for a moment. */
	while (mbox_ring_open(-1, name, flags | MBOX_RING_CREATE, &attr, &ring))
		sleep_ms(1);
	for (;;) {
		uint32_t len = xorshift(&rng) % 2000;

		if (r == R_RING_PROD) {
			if (mbox_ring_reserve(ring, len, &w, 0, 0) == 0) {
				memset(w, 1, len);
				if (xorshift(&rng) % 4 == 0)
					mbox_ring_commit(ring);
			}
		} else if (xorshift(&rng) % 2) {
			mbox_ring_peek(ring, &p, 0, 0);
			mbox_ring_release(ring);
		} else {
			mbox_ring_recv(ring, buf, sizeof(buf), 0, 0);
		}
	}
}

static void link_peer(uint32_t rng)
{
	int ep = mbox_endpoint(-1, 0, 4, NULL);
	struct mbox_link_recv meta;
	char buf[256];

	for (;;) {
		pid_t to = sh->worker[xorshift(&rng) % WORKERS];

		switch (xorshift(&rng) % 3) {
		case 0:
			mbox_link_send(ep, to, buf, xorshift(&rng) % 200,
				       MBOX_LINK_ASYNC | MBOX_WAIT_TIMEOUT, 5000000);
			break;
		case 1:
			mbox_call(ep, to, buf, 8, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 5000000,
				  NULL);
			break;
		default:
			if (mbox_link_recv(ep, 0, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 5000000,
					   &meta) >= 0 && meta.call_id)
				mbox_reply(ep, meta.call_id, buf, 16);
			break;
		}
	}
}

/* The parent stores the pid; the child must not (it would store 0). */
static pid_t spawn(int slot, uint32_t seed)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	switch (roles[slot]) {
	case R_ACCT_MB:
		acct_mailbox();
		break;
	case R_ACCT_LINK:
		acct_link();
		break;
	case R_CHAOS_PROD:
	case R_CHAOS_CONS:
		chaos(roles[slot], seed);
		break;
	case R_RING_PROD:
	case R_RING_CONS:
		ring_worker(slot, roles[slot], seed);
		break;
	case R_LINK_PEER:
		link_peer(seed);
		break;
	}
	_exit(0);
}

FIXTURE(kill) {
};

FIXTURE_SETUP(kill)
{
}

FIXTURE_TEARDOWN(kill)
{
}

TEST_F_TIMEOUT(kill, random_sigkill_of_36_processes, 1800)
{
	const char *env = getenv("MBOX_KILL_SECONDS");
	int64_t end = now_ns(CLOCK_MONOTONIC) + (env ? atoi(env) : 8) * 1000000000LL;
	uint32_t rng = 4242, confirmed = 0, lost = 0, dup = 0;
	struct mbox_stats st;
	char name[16];

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	acct_mb = mb_anon(16, 0);
	chaos_mb = mb_anon(8, 0);
	ASSERT_LE(0, acct_mb);
	ASSERT_LE(0, chaos_mb);
	for (int i = 0; i < SINKS; i++) {
		pid_t pid = fork();	/* not into sh: the child would write 0 */

		if (pid == 0)
			_exit(i ? link_sink() : mailbox_sink());
		sh->sink_pid[i] = pid;
	}
	sleep_ms(200);		/* the link sink has its endpoint */
	for (int i = 0; i < WORKERS; i++)
		sh->worker[i] = spawn(i, xorshift(&rng));

	while (now_ns(CLOCK_MONOTONIC) < end) {
		int i = xorshift(&rng) % WORKERS;

		sleep_ms(1 + xorshift(&rng) % 5);
		kill(sh->worker[i], SIGKILL);
		waitpid(sh->worker[i], NULL, 0);
		atomic_fetch_add(&sh->kills, 1);
		sh->worker[i] = spawn(i, xorshift(&rng));
	}
	for (int i = 0; i < WORKERS; i++) {
		kill(sh->worker[i], SIGKILL);
		waitpid(sh->worker[i], NULL, 0);
	}
	atomic_store(&sh->stop, 1);
	EXPECT_EQ(0, wait_child(sh->sink_pid[0]));
	EXPECT_EQ(0, wait_child(sh->sink_pid[1]));

	for (uint32_t id = 0; id < MAX_IDS; id++) {
		unsigned int got = atomic_load(&sh->received[id]);

		if (atomic_load(&sh->confirmed[id])) {
			confirmed++;
			lost += got == 0;
		}
		dup += got > 1;
	}
	TH_LOG("%lu kills, %u messages confirmed delivered, %u ids issued",
	       (unsigned long)atomic_load(&sh->kills), confirmed, atomic_load(&sh->next_id));
	EXPECT_GT(MAX_IDS, atomic_load(&sh->next_id));	/* no ID was reused */
	EXPECT_LT(100, confirmed);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, dup);

	close(acct_mb);
	close(chaos_mb);
	for (int i = 0; i < RINGS; i++) {
		snprintf(name, sizeof(name), "ks_ring%d", i);
		EXPECT_EQ(0, mbox_ring_unlink(-1, name));
	}
	EXPECT_EQ(0, wait_nothing_left(&st));
	EXPECT_EQ(0, st.mailboxes);
	EXPECT_EQ(0, st.endpoints);
	EXPECT_EQ(0, st.links);
	EXPECT_EQ(0, st.rings);
	EXPECT_EQ(0, st.messages);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
