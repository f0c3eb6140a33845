// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/self/fdinfo of every mbox descriptor: /dev/mbox, a mailbox, an
 * endpoint, a link and a ring each show "mbox-" lines whose values are
 * exactly what the info ioctl reports, with counters made non-trivial
 * first. Every "mbox-" line must be one the test expects, and every
 * expected line must be there.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>

#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_LINK | MBOX_FEAT_RING)
#include "kselftest_harness.h"
#include "mbox_test.h"

#define MAX_LINES	64
#define NUM(k, v)	{ k, v, NULL }
#define STR(k, s)	{ k, 0, s }

struct want {
	const char *key;
	uint64_t val;		/* numeric lines */
	const char *str;	/* or a string line */
};

struct fdinfo {
	int n;
	char key[MAX_LINES][48];
	char val[MAX_LINES][80];
};

static int read_fdinfo(int fd, struct fdinfo *fi)
{
	char path[64], line[256];
	FILE *f;

	memset(fi, 0, sizeof(*fi));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && fi->n < MAX_LINES) {
		char *tab = strchr(line, '\t');

		if (strncmp(line, "mbox-", 5) || !tab || tab[-1] != ':')
			continue;
		tab[-1] = '\0';
		tab[strcspn(tab, "\n")] = '\0';
		if (strlen(line) >= sizeof(fi->key[0]) || strlen(tab + 1) >= sizeof(fi->val[0]))
			continue;
		strcpy(fi->key[fi->n], line);
		strcpy(fi->val[fi->n], tab + 1);
		fi->n++;
	}
	fclose(f);
	return 0;
}

/*
 * Compare @fd's "mbox-" lines with @w[0..n): same set of keys, same values.
 * Return the number of mismatches (each printed).
 */
static int check_fdinfo(int fd, const struct want *w, int n)
{
	struct fdinfo fi;
	int bad = 0;

	if (read_fdinfo(fd, &fi)) {
		printf("# fdinfo of %d: %s\n", fd, strerror(errno));
		return 1;
	}
	for (int i = 0; i < fi.n; i++) {
		int j;

		for (j = 0; j < n; j++)
			if (!strcmp(fi.key[i], w[j].key))
				break;
		if (j == n) {
			printf("# unexpected line %s:\t%s\n", fi.key[i], fi.val[i]);
			bad++;
		} else if (w[j].str ? strcmp(w[j].str, fi.val[i]) :
			   strtoull(fi.val[i], NULL, 0) != w[j].val) {
			printf("# %s: fdinfo says %s, the ioctl %s%" PRIu64 "\n",
			       fi.key[i], fi.val[i], w[j].str ?: "", w[j].str ? 0 : w[j].val);
			bad++;
		}
	}
	for (int j = 0; j < n; j++) {
		int i;

		for (i = 0; i < fi.n; i++)
			if (!strcmp(fi.key[i], w[j].key))
				break;
		if (i == fi.n) {
			printf("# missing line %s\n", w[j].key);
			bad++;
		}
	}
	return bad;
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

TEST(control_device)
{
	struct mbox_version v;
	int dev = mbox_dev_open(0);

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, mbox_version(dev, &v));
	{
		const struct want w[] = {
			STR("mbox-type", "control"),
			NUM("mbox-api-version", v.api_version),
			NUM("mbox-features", v.features),
		};

		EXPECT_EQ(0, check_fdinfo(dev, w, N(w)));
	}
	close(dev);
}

static int check_mailbox(int fd, const char *access, int subscribed)
{
	struct mbox_info in;

	if (mbox_info(fd, &in))
		return 1;
	{
		const struct want w[] = {
			STR("mbox-type", "mailbox"),
			NUM("mbox-id", in.id),
			STR("mbox-name", in.name),
			STR("mbox-access", access),
			NUM("mbox-subscribed", (uint64_t)subscribed),
			NUM("mbox-mode", in.mode),
			NUM("mbox-uid", in.uid),
			NUM("mbox-gid", in.gid),
			NUM("mbox-flags", in.mb_flags),
			NUM("mbox-capacity", in.capacity),
			NUM("mbox-msg-size-max", in.msg_size_max),
			NUM("mbox-max-bytes", in.max_bytes),
			NUM("mbox-msgs", in.msgs),
			NUM("mbox-bytes", in.bytes),
			NUM("mbox-sent", in.sent),
			NUM("mbox-received", in.received),
			NUM("mbox-dropped", in.dropped),
			NUM("mbox-send-waiters", in.send_waiters),
			NUM("mbox-recv-waiters", in.recv_waiters),
			NUM("mbox-subscribers", in.subscribers),
			NUM("mbox-state", in.state),
		};

		return check_fdinfo(fd, w, N(w));
	}
}

TEST(mailbox)
{
	struct mbox_attr attr = { .mode = 0640, .capacity = 2, .msg_size_max = 512,
				  .max_bytes = 4096 };
	struct mbox_info in;
	char buf[16];
	pid_t child;
	int fd, ro;

	mbox_unlink(-1, "fdinfo_mb");
	fd = mbox_open(-1, "fdinfo_mb", MBOX_OPEN_CREATE | MBOX_OPEN_EXCL | MBOX_OPEN_SEND |
		       MBOX_OPEN_RECV, &attr, NULL);
	ASSERT_LE(0, fd);
	ro = mbox_open(-1, "fdinfo_mb", MBOX_OPEN_RECV, NULL, NULL);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, mbox_send(fd, "one", 3, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, "three", 5, 2, 0, 0));
	ASSERT_EQ(5, mbox_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	ASSERT_EQ(0, mbox_send(fd, "seven", 5, 0, 0, 0));
	/* Full: a sender blocks. */
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(mbox_send(fd, "blocked", 7, 0, 0, 0) ? 1 : 0);
	ASSERT_EQ(0, wait_send_waiters(fd, 1));

	ASSERT_EQ(0, mbox_info(fd, &in));
	EXPECT_EQ(2, in.msgs);
	EXPECT_EQ(8, in.bytes);
	EXPECT_EQ(3, in.sent);
	EXPECT_EQ(1, in.received);
	EXPECT_EQ(1, in.send_waiters);
	EXPECT_EQ(0, check_mailbox(fd, "send,recv", 0));
	EXPECT_EQ(0, check_mailbox(ro, "recv", 0));

	ASSERT_EQ(3, mbox_recv(ro, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, wait_child(child));
	EXPECT_EQ(0, mbox_unlink(-1, "fdinfo_mb"));
	ASSERT_EQ(0, mbox_info(fd, &in));
	EXPECT_EQ(MBOX_STATE_UNLINKED, in.state);
	EXPECT_EQ(0, check_mailbox(fd, "send,recv", 0));
	close(ro);
	close(fd);
}

TEST(broadcast_subscriber)
{
	int fd = mb_anon(4, MBOX_MB_BROADCAST);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_subscribe(fd));
	ASSERT_EQ(0, mbox_send(fd, "x", 1, 0, 0, 0));
	EXPECT_EQ(0, check_mailbox(fd, "send,recv", 1));
	close(fd);
}

static int check_endpoint(int ep)
{
	struct mbox_endpoint_info ei;

	if (mbox_endpoint_info(ep, &ei))
		return 1;
	{
		const struct want w[] = {
			STR("mbox-type", "endpoint"),
			NUM("mbox-id", ei.id),
			NUM("mbox-pid", (uint64_t)ei.pid),
			NUM("mbox-mode", ei.mode),
			NUM("mbox-capacity", ei.capacity),
			NUM("mbox-msg-size-max", ei.msg_size_max),
			NUM("mbox-links", ei.links),
			NUM("mbox-msgs", ei.msgs),
			NUM("mbox-bytes", ei.bytes),
			NUM("mbox-recv-waiters", ei.recv_waiters),
			NUM("mbox-send-waiters", ei.send_waiters),
		};

		return check_fdinfo(ep, w, N(w));
	}
}

static int check_link(int lfd, uint64_t ep_id)
{
	struct mbox_link_info li;

	if (mbox_link_info(lfd, 0, &li))
		return 1;
	{
		const struct want w[] = {
			STR("mbox-type", "link"),
			NUM("mbox-id", li.id),
			NUM("mbox-endpoint", ep_id),
			NUM("mbox-peer-pid", (uint64_t)li.pid),
			NUM("mbox-state", li.state),
			NUM("mbox-queued-in", li.queued_in),
			NUM("mbox-queued-out", li.queued_out),
			NUM("mbox-sent", li.sent),
			NUM("mbox-received", li.received),
			NUM("mbox-capacity", li.capacity),
		};

		return check_fdinfo(lfd, w, N(w));
	}
}

TEST(endpoint_and_link)
{
	struct mbox_endpoint_info ei;
	struct mbox_link_info li;
	struct pollfd pfd;
	int ep, lfd, go[2];
	uint64_t ep_id;
	char buf[16], c;
	pid_t child, me = getpid();

	ep = mbox_endpoint(-1, 0, 16, &ep_id);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int cep = mbox_endpoint(-1, 0, 0, NULL);

		if (cep < 0 || mbox_link_send(cep, me, "hi", 2, MBOX_LINK_ASYNC, 0))
			_exit(1);
		/* Stay alive, never receiving, until told. */
		_exit(read(go[0], &c, 1) == 1 ? 0 : 2);
	}
	pfd = (struct pollfd){ .fd = ep, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(0, mbox_link_send(ep, child, "abc", 3, MBOX_LINK_ASYNC, 0));
	ASSERT_EQ(0, mbox_link_send(ep, child, "defg", 4, MBOX_LINK_ASYNC, 0));
	lfd = mbox_link_open(ep, child, 0);
	ASSERT_LE(0, lfd);

	ASSERT_EQ(0, mbox_endpoint_info(ep, &ei));
	EXPECT_EQ(1, ei.links);
	EXPECT_EQ(1, ei.msgs);
	EXPECT_EQ(2, ei.bytes);
	EXPECT_EQ(16, ei.capacity);
	EXPECT_EQ(0, check_endpoint(ep));
	ASSERT_EQ(0, mbox_link_info(lfd, 0, &li));
	EXPECT_EQ(child, li.pid);
	EXPECT_EQ(1, li.queued_in);
	EXPECT_EQ(2, li.queued_out);
	EXPECT_EQ(2, li.sent);
	EXPECT_EQ(0, li.received);
	EXPECT_EQ(0, check_link(lfd, ep_id));

	ASSERT_EQ(2, mbox_link_recv(lfd, 0, buf, sizeof(buf), 0, 0, NULL));
	ASSERT_EQ(0, mbox_link_info(lfd, 0, &li));
	EXPECT_EQ(1, li.received);
	EXPECT_EQ(0, li.queued_in);
	EXPECT_EQ(0, check_link(lfd, ep_id));
	EXPECT_EQ(0, check_endpoint(ep));

	/* The peer goes: the link is dead, its pid 0, in both. */
	ASSERT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(0, wait_child(child));
	for (int i = 0; i < 1000; i++) {
		if (!mbox_link_info(lfd, 0, &li) && (li.state & MBOX_LINK_DEAD))
			break;
		sleep_ms(10);
	}
	EXPECT_EQ(MBOX_LINK_DEAD, li.state);
	EXPECT_EQ(0, check_link(lfd, ep_id));
	close(lfd);
	close(ep);
	close(go[0]);
	close(go[1]);
}

static int check_ring(struct mbox_ring *r, const char *name, const char *role)
{
	struct mbox_ring_info ri;

	if (mbox_ring_info(r, &ri))
		return 1;
	{
		const struct want w[] = {
			STR("mbox-type", "ring"),
			NUM("mbox-id", ri.id),
			STR("mbox-name", name),
			STR("mbox-role", role),
			NUM("mbox-mode", ri.mode),
			NUM("mbox-uid", ri.uid),
			NUM("mbox-gid", ri.gid),
			NUM("mbox-state", ri.state),
			NUM("mbox-data-size", ri.data_size),
			NUM("mbox-rec-max", ri.rec_max),
			NUM("mbox-prod", ri.prod),
			NUM("mbox-cons", ri.cons),
			NUM("mbox-bytes", (uint32_t)(ri.prod - ri.cons)),
			NUM("mbox-prod-sleeps", ri.prod_sleeps),
			NUM("mbox-cons-sleeps", ri.cons_sleeps),
			NUM("mbox-wake-calls", ri.wake_calls),
			NUM("mbox-wakeups", ri.wakeups),
		};

		return check_fdinfo(mbox_ring_fd(r), w, N(w));
	}
}

TEST(ring)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 8192 };
	struct mbox_ring *p, *c, *o;
	struct mbox_ring_info ri;
	char buf[16];

	mbox_ring_unlink(-1, "fdinfo_ring");
	ASSERT_EQ(0, mbox_ring_open(-1, "fdinfo_ring", MBOX_RING_PRODUCER | MBOX_RING_CREATE |
				    MBOX_RING_EXCL, &attr, &p));
	ASSERT_EQ(0, mbox_ring_open(-1, "fdinfo_ring", MBOX_RING_CONSUMER, NULL, &c));
	ASSERT_EQ(0, mbox_ring_open(-1, "fdinfo_ring", 0, NULL, &o));
	ASSERT_EQ(-EAGAIN, mbox_ring_recv(c, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_ring_send(p, "abcdef", 6, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_ring_send(p, "gh", 2, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(6, mbox_ring_recv(c, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_ring_info(p, &ri));
	EXPECT_NE(0, ri.prod);
	EXPECT_NE(0, ri.cons);
	EXPECT_NE(ri.prod, ri.cons);
	EXPECT_EQ(0, check_ring(p, "fdinfo_ring", "producer"));
	EXPECT_EQ(0, check_ring(c, "fdinfo_ring", "consumer"));
	EXPECT_EQ(0, check_ring(o, "fdinfo_ring", "observer"));
	EXPECT_EQ(0, mbox_ring_unlink(-1, "fdinfo_ring"));
	EXPECT_EQ(0, check_ring(o, "fdinfo_ring", "observer"));
	mbox_ring_close(o);
	mbox_ring_close(c);
	mbox_ring_close(p);
}

TEST_NOTHING_LEFT()

TEST_HARNESS_MAIN
