// SPDX-License-Identifier: GPL-2.0
/*
 * Mailbox stress: 8 producer and 8 consumer processes exchange 100,000
 * messages of random size and priority through one bounded mailbox. Every
 * message carries its producer, sequence number and a checksum of its
 * payload; a shared tally proves each arrives exactly once and intact. Then
 * the same through batched calls, and the module's live counters must be
 * back to zero.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_BATCH)
#include "mbox_test.h"

#define PRODUCERS	8
#define CONSUMERS	8
#define PER_PRODUCER	12500	/* 100,000 in all */
#define PAYLOAD_MAX	512
#define STOP_LEN	(4 * sizeof(uint32_t))	/* header only, producer PRODUCERS */

struct stress_msg {
	uint32_t producer;	/* PRODUCERS marks "stop" */
	uint32_t seq;
	uint32_t len;		/* payload bytes */
	uint32_t sum;
	uint8_t payload[PAYLOAD_MAX];
};

struct tally {
	atomic_uint seen[PRODUCERS][PER_PRODUCER];
	atomic_uint corrupt;
	atomic_uint received;
};

static void fill(struct stress_msg *m, uint32_t producer, uint32_t seq, uint32_t *rng)
{
	m->producer = producer;
	m->seq = seq;
	m->len = xorshift(rng) % (PAYLOAD_MAX + 1);
	for (uint32_t i = 0; i < m->len; i++)
		m->payload[i] = (uint8_t)xorshift(rng);
	m->sum = fnv1a(m->payload, m->len, producer * 1000003u + seq);
}

static size_t wire_len(const struct stress_msg *m)
{
	return offsetof(struct stress_msg, payload) + m->len;
}

static void check(struct tally *t, const struct stress_msg *m, size_t got)
{
	if (got < offsetof(struct stress_msg, payload) || m->producer >= PRODUCERS ||
	    m->seq >= PER_PRODUCER || got != wire_len(m) ||
	    m->sum != fnv1a(m->payload, m->len, m->producer * 1000003u + m->seq)) {
		atomic_fetch_add(&t->corrupt, 1);
		return;
	}
	atomic_fetch_add(&t->seen[m->producer][m->seq], 1);
	atomic_fetch_add(&t->received, 1);
}

static int producer(int fd, uint32_t id, int batched)
{
	static struct stress_msg m[16];
	uint32_t prio[16], rng = 0x9e3779b9u * (id + 1), next = 0;
	struct mbox_send s[16];
	int want = batched ? 16 : 1, pending = 0;

	while (next < PER_PRODUCER || pending) {
		int ret;

		/* Top up the messages not yet sent; unsent ones keep their place. */
		while (pending < want && next < PER_PRODUCER) {
			fill(&m[pending], id, next++, &rng);
			prio[pending] = xorshift(&rng) % 4;
			pending++;
		}
		for (int i = 0; i < pending; i++) {
			memset(&s[i], 0, sizeof(s[i]));
			s[i].buf = (uintptr_t)&m[i];
			s[i].len = wire_len(&m[i]);
			s[i].prio = prio[i];
		}
		if (batched) {
			ret = mbox_send_batch(fd, s, pending, 0, 0);
		} else {
			ret = mbox_send(fd, &m[0], s[0].len, s[0].prio, 0, 0);
			ret = ret ? ret : 1;
		}
		if (ret < 0)
			return 1;
		memmove(m, m + ret, (pending - ret) * sizeof(m[0]));
		memmove(prio, prio + ret, (pending - ret) * sizeof(prio[0]));
		pending -= ret;
	}
	return 0;
}

static int consumer(int fd, struct tally *t, int batched)
{
	static struct stress_msg m[16];
	struct mbox_recv r[16];

	for (;;) {
		int n = batched ? 16 : 1, got, stops = 0;

		for (int i = 0; i < n; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].buf = (uintptr_t)&m[i];
			r[i].len = sizeof(m[i]);
		}
		got = batched ? mbox_recv_batch(fd, r, n, 0, 0)
			      : mbox_recv(fd, &m[0], sizeof(m[0]), 0, 0, &r[0]);
		if (got < 0)
			return 1;
		if (!batched) {
			r[0].len = got;
			got = 1;
		}
		for (int i = 0; i < got; i++) {
			if (m[i].producer == PRODUCERS && r[i].len == STOP_LEN)
				stops++;
			else
				check(t, &m[i], r[i].len);
		}
		if (!stops)
			continue;
		/* A batch may take other consumers' stop markers: pass them on. */
		while (--stops) {
			const uint32_t stop[4] = { PRODUCERS };

			if (mbox_send(fd, stop, STOP_LEN, 0, 0, 0))
				return 1;
		}
		return 0;
	}
}

static void run(struct __test_metadata *_metadata, int batched)
{
	struct tally *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t prod[PRODUCERS], cons[CONSUMERS];
	uint64_t mb0, msg0, mb1, msg1;
	int fd, missing = 0, dup = 0;

	ASSERT_NE(MAP_FAILED, t);
	ASSERT_EQ(0, live_objects(&mb0, &msg0));
	fd = mb_anon(64, 0);
	ASSERT_GE(fd, 0);

	for (int i = 0; i < CONSUMERS; i++) {
		cons[i] = fork();
		if (cons[i] == 0)
			_exit(consumer(fd, t, batched));
	}
	for (int i = 0; i < PRODUCERS; i++) {
		prod[i] = fork();
		if (prod[i] == 0)
			_exit(producer(fd, i, batched));
	}
	for (int i = 0; i < PRODUCERS; i++)
		EXPECT_EQ(0, wait_child(prod[i]));
	/* Stop markers, at the lowest priority so they come after the rest. */
	for (int i = 0; i < CONSUMERS; i++) {
		struct stress_msg stop = { .producer = PRODUCERS };

		ASSERT_EQ(0, mbox_send(fd, &stop, STOP_LEN, 0, 0, 0));
	}
	for (int i = 0; i < CONSUMERS; i++)
		EXPECT_EQ(0, wait_child(cons[i]));

	for (int p = 0; p < PRODUCERS; p++)
		for (int s = 0; s < PER_PRODUCER; s++) {
			unsigned int n = atomic_load(&t->seen[p][s]);

			missing += n == 0;
			dup += n > 1;
		}
	EXPECT_EQ(0, atomic_load(&t->corrupt));
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(PRODUCERS * PER_PRODUCER, atomic_load(&t->received));
	close(fd);
	ASSERT_EQ(0, live_objects(&mb1, &msg1));
	EXPECT_EQ(mb0, mb1);
	EXPECT_EQ(msg0, msg1);
	munmap(t, sizeof(*t));
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, eight_by_eight_100k_messages, 900)
{
	run(_metadata, 0);
}

TEST_F_TIMEOUT(stress, eight_by_eight_100k_messages_batched, 900)
{
	run(_metadata, 1);
}

TEST_HARNESS_MAIN
