// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mbox: the objects file lists what the tests create with the same
 * figures the info ioctls report, hides other IPC namespaces' objects, and
 * the stats file matches MBOX_IOC_STATS and the module parameters.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_LINK | MBOX_FEAT_RING)
#include "mbox_test.h"

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The objects file's line for @type @id, or "" (static buffer). */
static const char *obj_line(const char *type, uint64_t id)
{
	static char line[1024];
	char key[64];
	const char *all = slurp("/proc/mbox/objects"), *p;
	size_t n;

	line[0] = '\0';
	if (!all)
		return line;
	snprintf(key, sizeof(key), "%s %" PRIu64 " ", type, id);
	for (p = all; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, strlen(key)))
			continue;
		n = strcspn(p, "\n");
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		break;
	}
	return line;
}

/* The value of " key=" in @line, or ~0. */
static uint64_t field(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	return p ? strtoull(p + strlen(k), NULL, 0) : ~0ULL;
}

static uint64_t stat_value(const char *key)
{
	const char *all = slurp("/proc/mbox/stats"), *p;
	char k[64];

	snprintf(k, sizeof(k), "\n%s ", key);
	if (!all)
		return ~0ULL;
	if (!strncmp(all, k + 1, strlen(k + 1)))
		return strtoull(all + strlen(k + 1), NULL, 10);
	p = strstr(all, k);
	return p ? strtoull(p + strlen(k), NULL, 10) : ~0ULL;
}

TEST(mailbox_line_matches_info)
{
	struct mbox_attr attr = { .mode = 0640, .capacity = 8, .msg_size_max = 512 };
	struct mbox_info in;
	char want[128];
	const char *l;
	int fd;

	fd = mbox_open(-1, "intro_jobs", MBOX_OPEN_CREATE | MBOX_OPEN_EXCL | MBOX_OPEN_SEND |
		       MBOX_OPEN_RECV, &attr, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_send(fd, "one", 3, 0, 0, 0));
	ASSERT_EQ(0, mbox_send(fd, "three", 5, 1, 0, 0));
	ASSERT_EQ(0, mbox_info(fd, &in));
	l = obj_line("mailbox", in.id);
	ASSERT_NE(0, l[0]) TH_LOG("mailbox %llu not in /proc/mbox/objects",
				  (unsigned long long)in.id);
	snprintf(want, sizeof(want), "mailbox %llu intro_jobs %u %u 0640 ",
		 (unsigned long long)in.id, in.uid, in.gid);
	EXPECT_EQ(0, strncmp(l, want, strlen(want))) TH_LOG("line: %s", l);
	EXPECT_EQ(in.capacity, field(l, "capacity"));
	EXPECT_EQ(in.msg_size_max, field(l, "msg_size_max"));
	EXPECT_EQ(in.msgs, field(l, "msgs"));
	EXPECT_EQ(2, field(l, "msgs"));
	EXPECT_EQ(in.bytes, field(l, "bytes"));
	EXPECT_EQ(in.sent, field(l, "sent"));
	EXPECT_EQ(in.received, field(l, "received"));
	EXPECT_EQ(in.recv_waiters, field(l, "recv_waiters"));
	EXPECT_EQ(0, mbox_unlink(-1, "intro_jobs"));
	close(fd);
	EXPECT_EQ(0, obj_line("mailbox", in.id)[0]);
}

TEST(ring_and_endpoint_lines)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 8192 };
	struct mbox_endpoint_info ei;
	struct mbox_ring_info ri;
	struct mbox_ring *p;
	const char *l;
	int ep;

	ASSERT_EQ(0, mbox_ring_open(-1, NULL, MBOX_RING_PRODUCER | MBOX_RING_CREATE, &attr, &p));
	ASSERT_EQ(0, mbox_ring_send(p, "abcdef", 6, MBOX_WAIT_NONBLOCK, 0));
	ASSERT_EQ(0, mbox_ring_info(p, &ri));
	l = obj_line("ring", ri.id);
	ASSERT_NE(0, l[0]);
	EXPECT_EQ(8192, field(l, "data_size"));
	EXPECT_EQ(ri.prod, field(l, "prod"));
	EXPECT_EQ(ri.cons, field(l, "cons"));
	EXPECT_NE(0, field(l, "prod"));
	mbox_ring_close(p);

	ep = mbox_endpoint(-1, 0, 0, NULL);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, mbox_endpoint_info(ep, &ei));
	l = obj_line("endpoint", ei.id);
	ASSERT_NE(0, l[0]);
	EXPECT_EQ((uint64_t)getpid(), field(l, "pid"));
	EXPECT_EQ(ei.capacity, field(l, "capacity"));
	EXPECT_EQ(ei.links, field(l, "links"));
	close(ep);
}

/* Another IPC namespace sees none of ours, and we see none of its. */
TEST(other_namespaces_hidden)
{
	struct mbox_info in;
	int fd, st;
	pid_t pid;

	fd = mb_anon(2, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_info(fd, &in));
	ASSERT_NE(0, obj_line("mailbox", in.id)[0]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(3);
		if (obj_line("mailbox", in.id)[0])
			_exit(1);
		_exit(mb_anon(2, 0) >= 0 ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	if (WEXITSTATUS(st) == 3)
		SKIP(return, "no IPC namespaces (unshare: needs CAP_SYS_ADMIN)");
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(fd);
}

TEST(stats_match_the_ioctl)
{
	struct mbox_stats st;
	char *params;
	int fd;

	fd = mb_anon(4, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_send(fd, "x", 1, 0, 0, 0));
	ASSERT_EQ(0, mbox_stats(-1, &st));
	EXPECT_EQ(st.mailboxes, stat_value("mailboxes"));
	EXPECT_EQ(st.messages, stat_value("messages"));
	EXPECT_EQ(st.bytes, stat_value("bytes"));
	EXPECT_EQ(st.endpoints, stat_value("endpoints"));
	EXPECT_EQ(st.rings, stat_value("rings"));
	params = slurp("/sys/module/mbox/parameters/objects_per_user");
	ASSERT_NE(NULL, params);
	EXPECT_EQ(strtoull(params, NULL, 10), stat_value("limit_objects_per_user"));
	/* Our user's line: one object (the mailbox) at least. */
	{
		char key[64];
		const char *all = slurp("/proc/mbox/stats"), *p;

		snprintf(key, sizeof(key), "user %u objects ", (unsigned int)geteuid());
		p = strstr(all, key);
		ASSERT_NE(NULL, p);
		EXPECT_LE(1, strtoull(p + strlen(key), NULL, 10));
	}
	close(fd);
}

TEST_NOTHING_LEFT()

TEST_HARNESS_MAIN
