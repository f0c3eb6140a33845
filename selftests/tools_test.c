// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl and the examples, run as a shell user would (from PATH): text
 * round trips, exit statuses and error messages, direct links between shell
 * commands, and the key-value RPC example.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	MBOX_FEAT_ALL
#include "mbox_test.h"

/*
 * Installed as a kselftest, mboxctl, ipcbench and the examples sit next to
 * this binary (TEST_GEN_PROGS_EXTENDED), not on PATH: put that directory
 * first on PATH. In our own VM they are on PATH already (/mbox/bin).
 */
__attribute__((constructor)) static void helpers_on_path(void)
{
	static char path[8192];
	char self[PATH_MAX], helper[PATH_MAX + 16], *slash;
	const char *old = getenv("PATH");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(helper, sizeof(helper), "%s/mboxctl", self);
	if (access(helper, X_OK))
		return;
	snprintf(path, sizeof(path), "%s:%s", self, old ? old : "/bin:/usr/bin");
	setenv("PATH", path, 1);
}

/*
 * Run a shell command line; its stdout and stderr go to @out (NUL-terminated,
 * truncated to @len). Return its exit status, or -1.
 */
static int sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && fgets(out + n, (int)(len - n), f))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A long-running command: its stdout is *out, its stderr's first line (the
 * "reachable as pid" / "serving as pid" banner, printed once its endpoint
 * exists) is waited for before returning.
 */
static pid_t spawn(char *const argv[], int *out)
{
	int o[2], e[2];
	char c;
	pid_t pid;

	if (pipe(o) || pipe(e))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	while (read(e[0], &c, 1) == 1 && c != '\n')
		;
	close(e[0]);
	*out = o[0];
	return pid;
}

static void read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && (r = read(fd, buf + n, len - n - 1)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

/* A strict little JSON checker: is @s exactly one JSON value? */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s && *s != '"'; s++)
		if (*s == '\\' && !*++s)
			return NULL;
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_list(const char *s, char close, int pairs)
{
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (pairs) {
			s = json_string(json_ws(s));
			if (!s || *(s = json_ws(s)) != ':')
				return NULL;
			s++;
		}
		s = json_value(s);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *s)
{
	char *end;

	s = json_ws(s);
	if (*s == '{')
		return json_list(s, '}', 1);
	if (*s == '[')
		return json_list(s, ']', 0);
	if (*s == '"')
		return json_string(s);
	strtod(s, &end);
	return end == s ? NULL : end;
}

static int json_valid(const char *s)
{
	s = json_value(s);
	return s && !*json_ws(s);
}

TEST(list_and_json)
{
	char out[8192], want[128], *line;
	struct mbox_info in;
	int fd, lines;

	sh(out, sizeof(out), "mboxctl rm tt_listed");
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl create tt_listed -c 8 -m 0640"));
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl send tt_listed hello 'with \\\"quotes\\\"'"));
	fd = mbox_open(-1, "tt_listed", MBOX_OPEN_RECV, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mbox_info(fd, &in));
	close(fd);
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl list"));
	EXPECT_EQ(0, strncmp(out, "TYPE ", 5)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "%-9s %6llu %-16s ", "mailbox", (unsigned long long)in.id,
		 "tt_listed");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " 0640      2 ")) TH_LOG("%s", out);
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl list --json"));
	EXPECT_TRUE(json_valid(out)) TH_LOG("not JSON: %s", out);
	snprintf(want, sizeof(want), "{\"type\": \"mailbox\", \"id\": %llu, \"name\": \"tt_listed\"",
		 (unsigned long long)in.id);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"msgs\": 2, ")) TH_LOG("%s", out);
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl list --json -t ring"));
	EXPECT_TRUE(json_valid(out)) TH_LOG("not JSON: %s", out);
	EXPECT_EQ(NULL, strstr(out, "tt_listed"));
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl list tt_listed"));
	EXPECT_NE(NULL, strstr(out, "tt_listed"));
	EXPECT_EQ(1, sh(out, sizeof(out), "mboxctl list tt_nothing"));
	EXPECT_STREQ("mboxctl: list: 'tt_nothing': no such object\n", out);
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl list -t bogus"));
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl stats --json"));
	EXPECT_TRUE(json_valid(out)) TH_LOG("not JSON: %s", out);
	EXPECT_NE(NULL, strstr(out, "\"messages\": ")) TH_LOG("%s", out);
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl watch -i 10 -c 3 --json"));
	lines = 0;
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		lines++;
		EXPECT_TRUE(json_valid(line)) TH_LOG("not JSON: %s", line);
	}
	EXPECT_EQ(3, lines);
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl watch -i 10 -c 1"));
	EXPECT_NE(NULL, strstr(out, "mailboxes=")) TH_LOG("%s", out);
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl rm tt_listed"));
}

TEST(mailbox_text_round_trip)
{
	char out[512];

	sh(out, sizeof(out), "mboxctl rm tt_jobs");
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl create tt_jobs -c 4"));
	ASSERT_EQ(0, sh(out, sizeof(out), "printf 'one\\ntwo words\\n' | mboxctl send tt_jobs"));
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl send tt_jobs three"));
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl recv tt_jobs -c 3"));
	EXPECT_STREQ("one\ntwo words\nthree\n", out);
	/* Nothing left: exit status 3 and a message a user can act on. */
	EXPECT_EQ(3, sh(out, sizeof(out), "mboxctl recv tt_jobs -n"));
	EXPECT_STREQ("mboxctl: recv: mailbox 'tt_jobs': no message waiting\n", out);
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl send tt_jobs a b c d"));
	EXPECT_EQ(3, sh(out, sizeof(out), "mboxctl send tt_jobs -n e"));
	EXPECT_NE(NULL, strstr(out, "mailbox full"));
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl rm tt_jobs"));
	EXPECT_EQ(1, sh(out, sizeof(out), "mboxctl recv tt_jobs"));
	EXPECT_STREQ("mboxctl: recv: mailbox 'tt_jobs': no such mailbox\n", out);
}

TEST(usage_errors_exit_2)
{
	char out[512];

	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl"));
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl frobnicate"));
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl send x -p 32768 y"));
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl tell notapid x"));
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl listen -m 0777"));
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl call 1"));
}

TEST(listen_tell_and_call)
{
	char *const listen[] = { "mboxctl", "listen", "-c", "4", "-v", "-e", NULL };
	char out[1024];
	pid_t pid;
	int fd;

	pid = spawn(listen, &fd);
	ASSERT_LT(0, pid);
	/* Synchronous: returns once the listener has the message. */
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl tell %d hello", pid));
	/* Asynchronous: queued; they outlive the teller. */
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl tell -a %d 'queued 1' 'queued 2'", pid));
	/* A call is answered (-e: with its own text). */
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl call %d ping", pid));
	EXPECT_STREQ("ping\n", out);
	read_all(fd, out, sizeof(out));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_NE(NULL, strstr(out, " seq=1 ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ": hello\n"));
	EXPECT_NE(NULL, strstr(out, ": queued 1\n"));
	EXPECT_NE(NULL, strstr(out, ": queued 2\n"));
	EXPECT_NE(NULL, strstr(out, " call len=4: ping\n"));
}

TEST(tell_errors)
{
	char out[512];

	/* init is there, but has no endpoint. */
	EXPECT_EQ(1, sh(out, sizeof(out), "mboxctl tell 1 x"));
	EXPECT_STREQ("mboxctl: tell: process 1: it has no endpoint (is it listening?)\n", out);
	EXPECT_EQ(1, sh(out, sizeof(out), "mboxctl tell 2147483647 x"));
	EXPECT_STREQ("mboxctl: tell: process 2147483647: no such process\n", out);
}

/*
 * Tests that start many processes: a smoke pass of ipcbench forks a few
 * hundred and maps dozens of rings, the key-value example starts twenty
 * clients. On the debug kernel, on a busy host, and under AddressSanitizer
 * (make check-asan: every process start maps and sets up its shadow memory)
 * that takes longer than the default 30 s a test gets.
 */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, kv_example_service, 180)
{
	char *const server[] = { "kv_server", NULL };
	char out[1024];
	pid_t pid;
	int fd;

	pid = spawn(server, &fd);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, sh(out, sizeof(out), "kv_client %d set colour deep blue", pid));
	EXPECT_STREQ("ok\n", out);
	EXPECT_EQ(0, sh(out, sizeof(out), "kv_client %d get colour", pid));
	EXPECT_STREQ("deep blue\n", out);
	EXPECT_EQ(1, sh(out, sizeof(out), "kv_client %d get shape", pid));
	EXPECT_STREQ("error: no such key\n", out);
	/* Eight clients at once, each gets the answer to its own call. */
	EXPECT_EQ(0, sh(out, sizeof(out),
			"for i in 1 2 3 4 5 6 7 8; do kv_client %d set k$i v$i >/dev/null & done; "
			"wait; for i in 1 2 3 4 5 6 7 8; do "
			"[ \"$(kv_client %d get k$i)\" = v$i ] || exit 1; done", pid, pid));
	EXPECT_EQ(0, sh(out, sizeof(out), "kv_client %d keys | tr ' ' '\\n' | sort | xargs", pid));
	EXPECT_STREQ("colour k1 k2 k3 k4 k5 k6 k7 k8\n", out);
	/* Mboxctl speaks the same protocol. */
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl call %d 'get k3'", pid));
	EXPECT_STREQ("v3\n", out);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	EXPECT_EQ(1, sh(out, sizeof(out), "kv_client %d get colour", pid));
}

TEST(ring_from_the_shell)
{
	char out[1024];

	sh(out, sizeof(out), "mboxctl ring rm tt_ring");
	ASSERT_EQ(0, sh(out, sizeof(out), "mboxctl ring create tt_ring -s 8192"));
	EXPECT_EQ(2, sh(out, sizeof(out), "mboxctl ring create tt_bad -s 5000 2>&1 | "
			"grep -q 'power of two' && exit 2"));
	/* Like a named pipe of records: recv ends when the sender detaches. */
	EXPECT_EQ(0, sh(out, sizeof(out), "(mboxctl ring recv tt_ring > /tmp/tt_ring.out) & "
			"sleep 0.3; seq 1 300 | mboxctl ring send tt_ring; wait $!"));
	EXPECT_EQ(0, sh(out, sizeof(out), "seq 1 300 | cmp - /tmp/tt_ring.out"));
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl ring info tt_ring"));
	EXPECT_NE(NULL, strstr(out, "producer:      left")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "data area:     8192 bytes"));
	EXPECT_EQ(0, sh(out, sizeof(out), "mboxctl ring rm tt_ring"));
	EXPECT_EQ(1, sh(out, sizeof(out), "mboxctl ring info tt_ring"));
	EXPECT_STREQ("mboxctl: ring info: ring 'tt_ring': no such ring\n", out);
}

TEST(ring_stream_example)
{
	char out[1024];

	EXPECT_EQ(0, sh(out, sizeof(out), "ring_stream 100000 100")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "100000 records of 100 bytes"));
}

/* The benchmark harness works with every mechanism (a smoke run, no timing). */
TEST_F_TIMEOUT(slow, bench_smoke, 300)
{
	static char out[1 << 16];

	EXPECT_EQ(0, sh(out, sizeof(out),
			"ipcbench -q -M -t 0.002 -s 64 -p pp-cross,stream,fanin,many"))
		TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "failed")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-ring-zc,stream,64,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-mailbox,fanin,64,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-mailbox-rw,stream,64,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,posix-mq,many,64,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "TARGET ")) TH_LOG("%s", out);
}

/* -n: every trial moves exactly that many messages (round trips), uncalibrated. */
TEST_F_TIMEOUT(slow, bench_fixed_count, 120)
{
	static char out[1 << 14];

	EXPECT_EQ(0, sh(out, sizeof(out),
			"ipcbench -M -n 40 -r 1 -s 64 -p pp-same,stream "
			"-m mbox-mailbox,mbox-mailbox-rw"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-mailbox,pp-same,64,40,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-mailbox-rw,pp-same,64,40,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-mailbox,stream,64,40,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "CSV,mbox-mailbox-rw,stream,64,40,")) TH_LOG("%s", out);
	EXPECT_NE(0, sh(out, sizeof(out), "ipcbench -n 4000001 -m pipe"));
	EXPECT_NE(NULL, strstr(out, "bad -n '4000001'")) TH_LOG("%s", out);
}

/*
 * -o DIR: ipcbench writes results.csv and results.json itself (-l adds a
 * field); the nb-pair and stream-sample cells; the self-check's minimal
 * loops beside the ping-pong cells; -i prints instructions; -r up to 15.
 */
TEST_F_TIMEOUT(slow, bench_files_and_cells, 180)
{
	static char out[1 << 15];

	sh(out, sizeof(out), "rm -rf /tmp/tt_bench; mkdir -p /tmp/tt_bench");
	EXPECT_EQ(0, sh(out, sizeof(out),
			"ipcbench -M -n 40 -r 1 -s 64,4096 -p pp-same,nb-pair,stream-sample "
			"-m pipe,posix-mq,sysv-msg,shm-futex,mbox-mailbox,mbox-mailbox-rw,"
			"mbox-ring-zc -i 32 -o /tmp/tt_bench -l timing=test"))
		TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "failed")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CSV,")) TH_LOG("%s", out);	/* -o: in the files */
	EXPECT_NE(NULL, strstr(out, "instr/pr")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "SELFCHECK pipe pp-same 64: ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "SELFCHECK shm-futex pp-same 64: ")) TH_LOG("%s", out);
	EXPECT_EQ(0, sh(out, sizeof(out), "cd /tmp/tt_bench && "
			"grep -q '^mechanism,pattern,size,messages,' results.csv && "
			"grep -q '^mbox-mailbox,nb-pair,64,40,' results.csv && "
			"grep -q '^mbox-mailbox-rw,nb-pair,64,40,' results.csv && "
			"grep -q '^posix-mq,nb-pair,64,40,' results.csv && "
			"grep -q '^sysv-msg,nb-pair,64,40,' results.csv && "
			"grep -q '^min-sysv-msg,pp-same,64,40,' results.csv && "
			"grep -q '^min-posix-mq,pp-same,64,40,' results.csv && "
			"grep -q '^mbox-ring-zc,stream-sample,4096,40,' results.csv && "
			"grep -q '^mbox-ring-zc,stream-sample,64,40,' results.csv && "
			"grep -q '^probe-pipe,pp-same,64,40,' results.csv && "
			"grep -q '^probe-futex,pp-same,64,40,' results.csv && "
			"grep -q '^# source unknown; kernel ' results.csv && "
			"grep -q '\"timing\": \"test\"' results.json && "
			"grep -q '\"mechanism\": \"min-pipe\", \"pattern\": \"pp-same\"' results.json && "
			"grep -q '\"target\": ' results.json"))
		TH_LOG("%s", out);
	/* More trials than the median's old scratch space held (issue 19). */
	EXPECT_EQ(0, sh(out, sizeof(out), "ipcbench -M -r 15 -n 50 -m pipe -p stream -s 64"))
		TH_LOG("%s", out);
	/* A streaming cell has a regime too (its trials' rates). */
	EXPECT_NE(NULL, strstr(out, " regime ")) TH_LOG("%s", out);
	EXPECT_NE(0, sh(out, sizeof(out), "ipcbench -r 16 -m pipe"));
	EXPECT_NE(0, sh(out, sizeof(out), "ipcbench -l novalue -m pipe"));
	/* Bad options fail at once, before any cell runs, and say why. */
	EXPECT_EQ(2, sh(out, sizeof(out), "ipcbench -t nan -m pipe 2>&1"));
	EXPECT_NE(NULL, strstr(out, "bad -t 'nan'")) TH_LOG("%s", out);
	EXPECT_EQ(2, sh(out, sizeof(out), "ipcbench -i inf -m pipe 2>&1"));
	EXPECT_NE(NULL, strstr(out, "bad -i 'inf'")) TH_LOG("%s", out);
	EXPECT_EQ(2, sh(out, sizeof(out), "ipcbench -m pipe,nosuch -p stream 2>&1"));
	EXPECT_NE(NULL, strstr(out, "-m: unknown 'nosuch'")) TH_LOG("%s", out);
	EXPECT_EQ(2, sh(out, sizeof(out), "ipcbench -m pipe -p stream,pp-nope 2>&1"));
	EXPECT_NE(NULL, strstr(out, "-p: unknown 'pp-nope'")) TH_LOG("%s", out);
	EXPECT_EQ(2, sh(out, sizeof(out), "ipcbench -m pipe -s 63 2>&1"));
	EXPECT_EQ(2, sh(out, sizeof(out), "ipcbench -m pipe -o /nonexistent/dir 2>&1"));
	EXPECT_NE(NULL, strstr(out, "-o: /nonexistent/dir/results.csv")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "msgs/s")) TH_LOG("%s", out);
}

TEST(worker_pool_example)
{
	char out[1024];

	EXPECT_EQ(0, sh(out, sizeof(out), "worker_pool 4 300")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "300 jobs done by 4 workers")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "(correct)")) TH_LOG("%s", out);
}

TEST_NOTHING_LEFT()

/* The "slow" tests run after the others: check again after them. */
TEST_F(slow, zz_nothing_left)
{
	struct mbox_stats st;

	EXPECT_EQ(0, wait_nothing_left(&st));
	EXPECT_EQ(0, st.endpoints);
	EXPECT_EQ(0, st.links);
	EXPECT_EQ(0, st.messages);
	EXPECT_EQ(0, st.rings);
}

TEST_HARNESS_MAIN
