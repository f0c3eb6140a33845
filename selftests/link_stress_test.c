// SPDX-License-Identifier: GPL-2.0
/*
 * Direct-link stress: 16 processes in a full mesh, each sending 210
 * messages to each of the other 15 (50,400 in all) while a second thread
 * receives from any peer. Sends mix rendezvous and asynchronous ones, by pid
 * through the endpoint and through link descriptors; endpoints have a small
 * capacity so senders block on full links. Every message carries its sender,
 * sequence number and a checksum: each receiver checks exactly-once, in-order
 * delivery per link (also against the kernel's per-link sequence number),
 * and afterwards no endpoint, link or message is left in the module.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	MBOX_FEAT_LINK
#include "mbox_test.h"

#define PROCS		16
#define PER_LINK	210	/* 16 * 15 * 210 = 50,400 messages */
#define CAPACITY	4	/* per link, so that senders block */
#define PAYLOAD_MAX	256
#define HDR_LEN		(4 * sizeof(uint32_t))
#define SEND_TIMEOUT_NS	(60 * 1000000000LL)

struct mesh_msg {
	uint32_t from;
	uint32_t seq;
	uint32_t len;
	uint32_t sum;
	uint8_t payload[PAYLOAD_MAX];
};

struct mesh {
	pid_t pid[PROCS];
	atomic_int ready;
	atomic_int go;
	atomic_int finished;
	atomic_uint received[PROCS][PROCS];	/* [from][to] */
	atomic_uint out_of_order;
	atomic_uint corrupt;
	atomic_uint bad_meta;
	atomic_int send_err;
	atomic_int recv_err;
	/* The first bad receives, for the log: what came and what was said of it. */
	struct {
		int to, len, from_pid_index;
		struct mbox_link_recv meta;
		uint32_t from, seq, msg_len;
	} bad[4];
};

struct node {
	struct mesh *m;
	int self;
	int ep;
};

static int index_of(const struct mesh *m, pid_t pid)
{
	for (int i = 0; i < PROCS; i++)
		if (m->pid[i] == pid)
			return i;
	return -1;
}

static void *receiver(void *arg)
{
	struct node *n = arg;
	struct mesh *m = n->m;
	uint32_t expect[PROCS] = { 0 };
	struct mesh_msg msg;

	for (int got = 0; got < PER_LINK * (PROCS - 1); got++) {
		struct mbox_link_recv meta;
		int from, len;

		len = mbox_link_recv(n->ep, 0, &msg, sizeof(msg), 0, 0, &meta);
		if (len < 0) {
			atomic_store(&m->recv_err, len);
			break;
		}
		from = index_of(m, meta.pid);
		if (from < 0 || from == n->self || (size_t)len < HDR_LEN ||
		    msg.from != (uint32_t)from || (uint32_t)len != HDR_LEN + msg.len ||
		    meta.len != (uint32_t)len) {
			unsigned int i = atomic_fetch_add(&m->bad_meta, 1);

			if (i < 4) {
				m->bad[i].to = n->self;
				m->bad[i].len = len;
				m->bad[i].from_pid_index = from;
				m->bad[i].meta = meta;
				m->bad[i].from = msg.from;
				m->bad[i].seq = msg.seq;
				m->bad[i].msg_len = msg.len;
			}
			continue;
		}
		if (msg.sum != fnv1a(msg.payload, msg.len, msg.seq))
			atomic_fetch_add(&m->corrupt, 1);
		/* In order per link: ours and the kernel's numbering agree. */
		if (msg.seq != expect[from] || meta.seq != (uint64_t)msg.seq + 1)
			atomic_fetch_add(&m->out_of_order, 1);
		expect[from] = msg.seq + 1;
		atomic_fetch_add(&m->received[from][n->self], 1);
	}
	return NULL;
}

static int send_all(struct node *n)
{
	struct mesh *m = n->m;
	int linkfd[PROCS];
	uint32_t rng = 0x9e3779b9u * (n->self + 1);
	struct mesh_msg msg;
	int ret = 0;

	/* Half the peers through a link descriptor, half by pid. */
	for (int p = 0; p < PROCS; p++) {
		linkfd[p] = -1;
		if (p != n->self && (p + n->self) % 2 == 0) {
			linkfd[p] = mbox_link_open(n->ep, m->pid[p], 0);
			if (linkfd[p] < 0)
				return linkfd[p];
		}
	}
	for (uint32_t seq = 0; seq < PER_LINK && !ret; seq++) {
		for (int k = 1; k < PROCS && !ret; k++) {
			int p = (n->self + k) % PROCS;
			unsigned int flags = MBOX_WAIT_TIMEOUT;

			/* Every fourth message is a rendezvous. */
			if ((seq + k) % 4)
				flags |= MBOX_LINK_ASYNC;
			msg.from = n->self;
			msg.seq = seq;
			msg.len = xorshift(&rng) % (PAYLOAD_MAX + 1);
			for (uint32_t i = 0; i < msg.len; i++)
				msg.payload[i] = (uint8_t)xorshift(&rng);
			msg.sum = fnv1a(msg.payload, msg.len, seq);
			if (linkfd[p] >= 0)
				ret = mbox_link_send(linkfd[p], 0, &msg, HDR_LEN + msg.len,
						     flags, SEND_TIMEOUT_NS);
			else
				ret = mbox_link_send(n->ep, m->pid[p], &msg, HDR_LEN + msg.len,
						     flags, SEND_TIMEOUT_NS);
		}
	}
	for (int p = 0; p < PROCS; p++)
		if (linkfd[p] >= 0)
			close(linkfd[p]);
	return ret;
}

static int node_main(struct mesh *m, int self)
{
	struct node n = { .m = m, .self = self };
	pthread_t rx;
	int ret;

	n.ep = mbox_endpoint(-1, 0, CAPACITY, NULL);
	if (n.ep < 0)
		return 10;
	atomic_fetch_add(&m->ready, 1);
	while (!atomic_load(&m->go))
		sleep_ms(1);
	if (pthread_create(&rx, NULL, receiver, &n))
		return 11;
	ret = send_all(&n);
	if (ret)
		atomic_store(&m->send_err, ret);
	/* Stay until every peer's messages are in: then no one sends to us. */
	pthread_join(rx, NULL);
	/*
	 * And until every peer has all of ours: a message whose sender has
	 * exited and been reaped is received with pid 0 (docs/links.md), which
	 * the receiver would count as misrouted.
	 */
	atomic_fetch_add(&m->finished, 1);
	while (atomic_load(&m->finished) < PROCS)
		sleep_ms(1);
	close(n.ep);
	return ret ? 12 : 0;
}

FIXTURE(mesh) {
};

FIXTURE_SETUP(mesh)
{
}

FIXTURE_TEARDOWN(mesh)
{
}

TEST_F_TIMEOUT(mesh, full_mesh_16_processes_50k_messages, 900)
{
	struct mesh *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mbox_stats st;
	unsigned int total = 0, wrong = 0;

	ASSERT_NE(MAP_FAILED, m);
	for (int i = 0; i < PROCS; i++) {
		pid_t pid = fork();	/* not into m->pid: the child would write 0 */

		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(node_main(m, i));
		m->pid[i] = pid;
	}
	while (atomic_load(&m->ready) < PROCS)
		sleep_ms(1);
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(PROCS, st.endpoints);
	atomic_store(&m->go, 1);
	for (int i = 0; i < PROCS; i++)
		EXPECT_EQ(0, wait_child(m->pid[i]));

	EXPECT_EQ(0, atomic_load(&m->send_err));
	EXPECT_EQ(0, atomic_load(&m->recv_err));
	EXPECT_EQ(0, atomic_load(&m->bad_meta));
	for (unsigned int i = 0; i < atomic_load(&m->bad_meta) && i < 4; i++)
		TH_LOG("bad receive %u: to %d: returned %d; meta pid %d (sender %d) len %u seq %llu "
		       "link %llu call %llu; payload says from %u seq %u len %u", i, m->bad[i].to,
		       m->bad[i].len, m->bad[i].meta.pid, m->bad[i].from_pid_index,
		       m->bad[i].meta.len, (unsigned long long)m->bad[i].meta.seq,
		       (unsigned long long)m->bad[i].meta.link_id,
		       (unsigned long long)m->bad[i].meta.call_id, m->bad[i].from,
		       m->bad[i].seq, m->bad[i].msg_len);
	EXPECT_EQ(0, atomic_load(&m->corrupt));
	EXPECT_EQ(0, atomic_load(&m->out_of_order));
	for (int f = 0; f < PROCS; f++)
		for (int t = 0; t < PROCS; t++) {
			unsigned int n = atomic_load(&m->received[f][t]);

			total += n;
			wrong += n != (f == t ? 0 : PER_LINK);
		}
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(PROCS * (PROCS - 1) * PER_LINK, total);
	TH_LOG("%u messages over %d links", total, PROCS * (PROCS - 1) / 2);

	EXPECT_EQ(0, wait_nothing_left(&st));
	EXPECT_EQ(0, st.endpoints);
	EXPECT_EQ(0, st.links);
	EXPECT_EQ(0, st.messages);
	munmap(m, sizeof(*m));
}

TEST_HARNESS_MAIN
