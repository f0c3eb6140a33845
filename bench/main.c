// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: mbox against every IPC mechanism of the notes, side by side.
 *
 * For each cell (pattern x message size x mechanism) the harness forks the
 * pattern's processes, which attach, meet at a barrier, and move messages;
 * senders fill every byte, receivers check every byte (stream-sample and
 * nb-pair: a sample of them). A cell is calibrated so that one trial lasts
 * about -t seconds, then run -r times; the median trial is reported (-n
 * COUNT: every trial moves COUNT messages, or COUNT round trips or pairs,
 * with no calibration). Throughput is timed over the whole trial; the
 * first ping-pong process also times one round trip in 8 (or fewer) for
 * p50/p99. The parent sleeps in waitpid() while a trial runs (SIGALRM kills
 * a trial that hangs).
 *
 * Patterns:
 *   pp-cross       ping-pong, the two processes on vCPUs 0 and 1 (p50/p99 RTT)
 *   pp-same        ping-pong, both on vCPU 0
 *   nb-pair        one process on vCPU 0: a non-blocking send, then its receive
 *   stream         one-way, sender on vCPU 0, receiver on vCPU 1
 *   stream-sample  the same, each message filled and checked at a sample of
 *                  its bytes (its first word, one byte per 4 KiB, its last
 *                  byte; 64 B and up)
 *   fanin          four senders on vCPU 0, one receiver on vCPU 1, one channel
 *   many           two senders on vCPU 0, two receivers on vCPU 1, one channel
 * (with one vCPU, everything on vCPU 0). Every table says what each message
 * costs the harness (fill and check alone, and their share of each cell's
 * CPU time). After each 64 B ping-pong table, a self-check runs pipe, POSIX
 * mq, SysV and futex ping-pongs with the same count in an independent
 * program (ipcprobe: its own main, fork and blocking wait, no code shared
 * with this one) and as minimal loops inside the harness (bench/minimal.c),
 * and prints how far the harness moves each figure.
 *
 * Output: a table per cell with each mbox figure's ratio to pipe and to the
 * best peer (non-mbox) mechanism (-i NS: instructions per operation, guest
 * time being NS ns per instruction under QEMU -icount); "CSV," lines with
 * every figure, or with -o DIR the files DIR/results.csv and
 * DIR/results.json (-l KEY=VALUE adds fields to the JSON); the targets of
 * docs/performance.md, each "met", "MISSED", or "undecided" when a
 * ping-pong cell it reads flipped regime between or within trials
 * (regime.h). The first line of the output and of both files names the
 * run: source tree (-l source=...), kernel, vCPUs, timing, boot options.
 *
 * Usage: ipcbench [-q] [-M] [-n COUNT] [-t SECONDS] [-r TRIALS]
 *                 [-m MECH,...] [-p PATTERN,...] [-s SIZE,...]
 *                 [-i NS] [-o DIR] [-l KEY=VALUE]... [-P PROBE]
 * Every option is checked before anything runs: a bad number, an unknown
 * mechanism, pattern or size, or an -o DIR where the files cannot be
 * created fails at once with a message and exit status 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "regime.h"

#define MAX_SAMPLES	20000
#define SAMPLE_EVERY	8	/* at most one round trip in 8 reads the clock */
#define MAX_RESULTS	1024
#define MAX_TRIALS	15
#define MAX_LABELS	8

enum { PP_CROSS, PP_SAME, NB_PAIR, STREAM, STREAM_SAMPLE, FANIN, MANY, NR_PATTERNS };

static const char *const pattern_names[NR_PATTERNS] = {
	"pp-cross", "pp-same", "nb-pair", "stream", "stream-sample", "fanin", "many",
};

static bool is_pp(int pattern)
{
	return pattern == PP_CROSS || pattern == PP_SAME;
}

struct shared {
	_Atomic int ready;
	_Atomic int failed;
	int64_t start[MAX_PROCS], end[MAX_PROCS];
	double cpu[MAX_PROCS];
	double csw[MAX_PROCS];		/* context switches, voluntary or not */
	uint64_t syscalls[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	uint32_t nsamples;
	uint32_t samples[MAX_SAMPLES];	/* round trips, ns */
};

struct result {
	const struct mech *m;
	int pattern;
	size_t size;
	uint64_t n;		/* messages (round trips, pairs) per trial */
	double msgs_s, mb_s, p50_us, p99_us, cpu_us, sys_per_msg, csw_per_msg;
	double instr;		/* -i: instructions per operation; else -1 */
	double fc_share;	/* fill+check alone / CPU time per message; -1: none */
	struct regime rg;	/* ping-pong: the round trips' regime (regime.h) */
};

struct verdict {
	char what[112], verdict[32], detail[160];
};

static struct result results[MAX_RESULTS];
static int nresults;
static struct verdict verdicts[16];
static int nverdicts;
static double trial_secs = 0.25;
static int trials = 3;
static uint64_t fixed_n;		/* -n: messages (round trips) per trial */
static double memcpy_mb_s;
static double ns_per_instr;		/* -i: guest ns per instruction (-icount) */
static long nr_cpus;
static const char *probe_path;		/* -P: the independent probe, ipcprobe */
static char run_header[2048];		/* source, kernel, vCPUs, timing, boot options */
/* The children of the running trial, for the watchdog's SIGALRM. */
static pid_t trial_kids[MAX_PROCS];
static volatile sig_atomic_t trial_nkids, trial_killed;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Message @seq: its first 8 bytes are @seq, each further 8-byte word j is
 * seq + j * GOLDEN, a shorter tail byte i is (seq + i). Words keep a full
 * fill or check near half an instruction a byte (byte by byte it was 4-5,
 * a tenth of a 64 B round trip); every byte is still written and checked.
 * A sampled message has its first word, one byte per 4 KiB and its last
 * byte written and checked.
 */
#define GOLDEN	0x9e3779b97f4a7c15ull

void fill_msg(void *buf, size_t len, uint64_t seq, bool sampled)
{
	uint8_t *p = buf;
	size_t i = 0;

	if (sampled) {
		if (len >= 8)
			memcpy(p, &seq, 8);
		for (i = 4096; i < len; i += 4096)
			p[i] = (uint8_t)(seq + i);
		if (len > 8)
			p[len - 1] = (uint8_t)(seq + len - 1);
		return;
	}
	if (len < 8) {		/* no room for the sequence number */
		for (; i < len; i++)
			p[i] = (uint8_t)i;
		return;
	}
	for (uint64_t w = seq; i + 8 <= len; i += 8, w += GOLDEN)
		memcpy(p + i, &w, 8);
	for (; i < len; i++)
		p[i] = (uint8_t)(seq + i);
}

int check_msg(const void *buf, size_t len, uint64_t *seq, bool sampled)
{
	const uint8_t *p = buf;
	uint64_t bad = 0, w;
	size_t i = 8;

	*seq = 0;
	if (len < 8) {
		for (i = 0; i < len; i++)
			bad |= p[i] ^ (uint8_t)i;
		return bad ? -EBADMSG : 0;
	}
	memcpy(seq, p, 8);
	if (sampled) {
		for (i = 4096; i < len; i += 4096)
			bad |= p[i] ^ (uint8_t)(*seq + i);
		if (len > 8)
			bad |= p[len - 1] ^ (uint8_t)(*seq + len - 1);
		return bad ? -EBADMSG : 0;
	}
	for (uint64_t want = *seq + GOLDEN; i + 8 <= len; i += 8, want += GOLDEN) {
		memcpy(&w, p + i, 8);
		bad |= w ^ want;
	}
	for (; i < len; i++)
		bad |= p[i] ^ (uint8_t)(*seq + i);
	return bad ? -EBADMSG : 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void barrier(struct shared *sh, int nprocs)
{
	atomic_fetch_add(&sh->ready, 1);
	while (atomic_load(&sh->ready) < nprocs && !atomic_load(&sh->failed))
		sched_yield();
}

static int do_send(const struct mech *m, struct chan *c, void *buf, uint64_t seq)
{
	if (m->send_zc)
		return m->send_zc(c, seq);
	fill_msg(buf, c->size, seq, c->sampled);
	return m->send(c, buf, c->size);
}

static int do_recv(const struct mech *m, struct chan *c, void *buf)
{
	uint64_t seq;
	int n;

	if (m->recv_zc) {
		n = m->recv_zc(c, &seq);
		if (!n)
			c->recv_left--;
		return n;
	}
	n = m->recv(c, buf, c->size);
	if (n < 0)
		return n;
	if ((size_t)n != c->size || check_msg(buf, c->size, &seq, c->sampled))
		return -EBADMSG;
	c->recv_left--;
	return 0;
}

static double ru_secs(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

/* One process of a pattern. Returns its exit status. */
static int run_role(const struct mech *m, struct chan *c, struct shared *sh,
		    int pattern, int role, uint64_t n)
{
	/* m->hdr bytes before the payload are the mechanism's (SysV's mtype). */
	uint8_t *raw = malloc(m->hdr + c->size);
	void *buf = raw + m->hdr;
	struct rusage ru0, ru;
	int ret = 0;

	if (!raw)
		return 1;
	c->role = role;
	c->recv_left = n;
	if (m->attach && m->attach(c)) {
		fprintf(stderr, "%s: attach failed\n", m->name);
		atomic_store(&sh->failed, 1);
		return 1;
	}
	sh->pids[role] = getpid();
	barrier(sh, c->nroles);
	if (atomic_load(&sh->failed))
		return 1;
	/* CPU time and switches of the trial alone: not attach, not the barrier. */
	getrusage(RUSAGE_SELF, &ru0);
	sh->start[role] = now_ns();
	if (m->pp_loop) {
		ret = m->pp_loop(c, role, n);
	} else if (is_pp(pattern)) {
		/*
		 * Only the first process reads the clock, and only around one
		 * round trip in SAMPLE_EVERY (or more, to keep MAX_SAMPLES):
		 * the p50/p99 come from those, msgs/s from the whole trial.
		 */
		uint64_t every = n / MAX_SAMPLES + 1;

		every = every < SAMPLE_EVERY ? SAMPLE_EVERY : every;
		for (uint64_t i = 0; i < n && !ret; i++) {
			if (role == 0 && i % every == 0) {
				int64_t t0 = now_ns();

				ret = do_send(m, c, buf, i);
				if (!ret)
					ret = do_recv(m, c, buf);
				if (sh->nsamples < MAX_SAMPLES)
					sh->samples[sh->nsamples++] = (uint32_t)(now_ns() - t0);
			} else if (role == 0) {
				ret = do_send(m, c, buf, i);
				if (!ret)
					ret = do_recv(m, c, buf);
			} else {
				ret = do_recv(m, c, buf);
				if (!ret)
					ret = do_send(m, c, buf, i);
			}
		}
	} else if (pattern == NB_PAIR) {
		/* One process: a send that must not block, then its receive. */
		for (uint64_t i = 0; i < n && !ret; i++) {
			ret = do_send(m, c, buf, i);
			if (!ret)
				ret = do_recv(m, c, buf);
		}
	} else if (c->send_dir >= 0) {
		for (uint64_t i = 0; i < n && !ret; i++)
			ret = do_send(m, c, buf, i);
		if (!ret && m->flush)
			ret = m->flush(c);
	} else {
		for (uint64_t i = 0; i < n && !ret; i++)
			ret = do_recv(m, c, buf);
	}
	sh->end[role] = now_ns();
	getrusage(RUSAGE_SELF, &ru);
	sh->cpu[role] = ru_secs(&ru) - ru_secs(&ru0);
	sh->csw[role] = (double)(ru.ru_nvcsw - ru0.ru_nvcsw) + (double)(ru.ru_nivcsw - ru0.ru_nivcsw);
	sh->syscalls[role] = c->syscalls;
	if (ret) {
		fprintf(stderr, "%s %s %zu: role %d: %s\n", m->name, pattern_names[pattern],
			c->size, role, strerror(-ret));
		atomic_store(&sh->failed, 1);
	}
	if (m->detach)
		m->detach(c);
	free(raw);
	return ret ? 1 : 0;
}

struct trial {
	double secs, cpu, csw, syscalls, p50_us, p99_us;
	uint64_t msgs;
};

/*
 * Roles: who sends on which direction, how many messages, which vCPU.
 * Pinning is the same in every pattern: the first sender (ping-pong: the
 * process that sends first) and every sender on vCPU 0, every receiver
 * (ping-pong: the process that answers) on vCPU 1; with one vCPU, or in
 * pp-same and nb-pair, everything on vCPU 0.
 */
static void plan(int pattern, int *nroles, int send_dir[], int recv_dir[],
		 uint64_t count[], int cpu[], uint64_t n)
{
	int other = nr_cpus > 1 ? 1 : 0;

	for (int i = 0; i < MAX_PROCS; i++) {
		send_dir[i] = recv_dir[i] = -1;
		count[i] = n;
		cpu[i] = 0;
	}
	switch (pattern) {
	case PP_CROSS:
	case PP_SAME:
		*nroles = 2;
		send_dir[0] = 0; recv_dir[0] = 1;
		send_dir[1] = 1; recv_dir[1] = 0;
		cpu[1] = pattern == PP_CROSS ? other : 0;
		break;
	case NB_PAIR:
		*nroles = 1;
		send_dir[0] = 0; recv_dir[0] = 0;
		break;
	case STREAM:
	case STREAM_SAMPLE:
		*nroles = 2;
		send_dir[0] = 0; recv_dir[1] = 0;
		cpu[1] = other;
		break;
	case FANIN:
		*nroles = 5;
		for (int i = 0; i < 4; i++) {
			send_dir[i] = 0;
			count[i] = n / 4;
		}
		recv_dir[4] = 0;
		count[4] = n / 4 * 4;
		cpu[4] = other;
		break;
	case MANY:
		*nroles = 4;
		send_dir[0] = send_dir[1] = 0;
		recv_dir[2] = recv_dir[3] = 0;
		for (int i = 0; i < 4; i++)
			count[i] = n / 2;
		cpu[2] = cpu[3] = other;
		break;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The watchdog: kill a trial that makes no progress (a lost wake-up). */
/*
 * How long a trial may take: forty times its length, or with -n (no
 * calibration: a trial takes as long as its count does, 0.4 ms a round
 * trip under -icount) 2 ms a message on top of a minute.
 */
static unsigned int watchdog_secs(void)
{
	if (fixed_n)
		return (unsigned int)(60 + fixed_n / 500);
	return (unsigned int)(trial_secs * 40 + 20);
}

/* Copy /proc/@pid/@what to stderr, async-signal-safely (the watchdog). */
static void proc_show(pid_t pid, const char *what)
{
	char path[64] = "/proc/", digits[16], buf[600];
	size_t at = strlen(path), nd = 0;
	ssize_t n;
	int fd;

	for (unsigned int v = (unsigned int)pid; v || !nd; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	while (nd)
		path[at++] = digits[--nd];
	path[at++] = '/';
	for (const char *w = what; *w && at < sizeof(path) - 1; w++)
		path[at++] = *w;
	path[at] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	if (write(2, "  ", 2) < 0 || write(2, path, at) < 0 || write(2, ": ", 2) < 0 ||
	    write(2, buf, (size_t)n) < 0 || (buf[n - 1] != '\n' && write(2, "\n", 1) < 0))
		return;
}

static void on_alarm(int sig)
{
	(void)sig;
	trial_killed = 1;
	/* Where each process is before it is killed (state, CPU; kernel wait). */
	for (int i = 0; i < trial_nkids; i++)
		if (trial_kids[i] > 0) {
			proc_show(trial_kids[i], "stat");
			proc_show(trial_kids[i], "wchan");
		}
	for (int i = 0; i < trial_nkids; i++)
		if (trial_kids[i] > 0)
			kill(trial_kids[i], SIGKILL);
}

static int run_trial(const struct mech *m, int pattern, size_t size, uint64_t n,
		     struct shared *sh, struct trial *t)
{
	int send_dir[MAX_PROCS], recv_dir[MAX_PROCS], cpu[MAX_PROCS], nroles = 2, bad = 0;
	uint64_t count[MAX_PROCS];
	struct chan c;
	pid_t kids[MAX_PROCS];
	int done[MAX_PROCS];
	int64_t start = INT64_MAX, end = 0;

	memset(sh, 0, sizeof(*sh));
	memset(&c, 0, sizeof(c));
	memset(c.fd, -1, sizeof(c.fd));
	c.size = size;
	c.nonblock = pattern == NB_PAIR;
	c.sampled = pattern == STREAM_SAMPLE || pattern == NB_PAIR;
	c.one_cpu = nr_cpus < 2 || pattern == PP_SAME || pattern == NB_PAIR;
	plan(pattern, &nroles, send_dir, recv_dir, count, cpu, n);
	c.nroles = nroles;
	if (m->setup) {
		int ret = m->setup(&c);

		if (ret) {
			fprintf(stderr, "%s: setup failed for %zu bytes: %s\n", m->name, size,
				strerror(-ret));
			return -1;
		}
	}
	trial_nkids = 0;
	trial_killed = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		done[i] = -1;
	/* Receivers first, so that link senders know their pids. */
	for (int i = nroles - 1; i >= 0; i--) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pin(cpu[i]);
			c.send_dir = send_dir[i];
			c.recv_dir = recv_dir[i];
			/* A link sender talks to its receiver: the last role, or B. */
			c.peer = is_pp(pattern) ? (i ? getppid() : kids[1]) : kids[nroles - 1];
			if (is_pp(pattern) && i == 1) {
				/* B learns A's pid once A has attached. */
				while (!sh->pids[0] && !atomic_load(&sh->failed))
					sched_yield();
				c.peer = sh->pids[0];
			}
			_exit(run_role(m, &c, sh, pattern, i, count[i]));
		}
		trial_kids[i] = kids[i];
	}
	trial_nkids = nroles;
	/*
	 * The parent sleeps in waitpid() for the whole trial: nothing of it
	 * runs between the measured processes. A trial that hangs (a mechanism
	 * that loses a wake-up) is killed by SIGALRM's handler.
	 */
	alarm(watchdog_secs());
	for (int left = nroles; left; ) {
		int st;
		pid_t pid = waitpid(-1, &st, 0);

		if (pid > 0) {
			left--;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				bad = 1;
			for (int i = 0; i < nroles; i++)
				if (kids[i] == pid && !trial_killed)
					done[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		} else if (errno != EINTR) {
			break;
		}
	}
	alarm(0);
	trial_nkids = 0;
	if (trial_killed) {
		fprintf(stderr, "%s %s %zu: no progress, killed\n", m->name,
			pattern_names[pattern], size);
		for (int i = 0; i < nroles; i++)
			fprintf(stderr, "  role %d: %s (exit %d)\n", i,
				done[i] < 0 ? "was running" : "had ended", done[i]);
		if (m->dump)
			m->dump(&c);
		bad = 1;
	}
	if (m->kernel_syscalls)
		t->syscalls = (double)m->kernel_syscalls(&c);
	else
		t->syscalls = 0;
	if (m->teardown)
		m->teardown(&c);
	if (bad || atomic_load(&sh->failed))
		return -1;
	t->cpu = 0;
	t->csw = 0;
	for (int i = 0; i < nroles; i++) {
		start = sh->start[i] < start ? sh->start[i] : start;
		end = sh->end[i] > end ? sh->end[i] : end;
		t->cpu += sh->cpu[i];
		t->csw += sh->csw[i];
		t->syscalls += (double)sh->syscalls[i];
	}
	t->secs = (double)(end - start) / 1e9;
	t->msgs = is_pp(pattern) ? 2 * n : pattern == FANIN ? n / 4 * 4 :
		  pattern == MANY ? n / 2 * 2 : n;
	t->p50_us = t->p99_us = -1;
	if (is_pp(pattern) && sh->nsamples) {
		uint32_t ns = sh->nsamples;

		qsort(sh->samples, ns, sizeof(uint32_t), cmp_u32);
		t->p50_us = sh->samples[ns / 2] / 1e3;
		t->p99_us = sh->samples[ns * 99 / 100] / 1e3;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Messages per trial so that one trial takes about trial_secs; 0 on failure. */
static uint64_t calibrate(const struct mech *m, int pattern, size_t size, struct shared *sh)
{
	uint64_t n = is_pp(pattern) ? 20 : 100;
	struct trial t;

	/* Grow until a trial takes a tenth of the target. */
	for (;;) {
		if (run_trial(m, pattern, size, n, sh, &t))
			return 0;
		if (t.secs >= trial_secs / 10 || n >= 4000000)
			break;
		n *= 4;
	}
	n = (uint64_t)((double)n * trial_secs / (t.secs > 1e-6 ? t.secs : 1e-6));
	return n < 8 ? 8 : n > 4000000 ? 4000000 : n;
}

/*
 * Fill and check of one message alone (no IPC), ns: what the harness adds
 * to every message of a cell (fill by its sender, check by its receiver).
 */
static double fill_check_ns(size_t size, bool sampled)
{
	static struct fc { size_t size; bool sampled; double ns; } cache[32];
	static int ncache;
	uint64_t seq, n = 0, bad = 0;
	int64_t t0, t;
	void *buf;

	for (int i = 0; i < ncache; i++)
		if (cache[i].size == size && cache[i].sampled == sampled)
			return cache[i].ns;
	buf = malloc(size);
	if (!buf)
		return -1;
	t0 = now_ns();
	do {
		for (int i = 0; i < 16; i++, n++) {
			fill_msg(buf, size, n, sampled);
			bad |= (uint64_t)check_msg(buf, size, &seq, sampled) | (seq ^ n);
		}
		t = now_ns() - t0;
	} while (t < 20000000 && n < 1000000);
	free(buf);
	if (bad && size >= 8)
		return -1;
	if (ncache < 32)
		cache[ncache++] = (struct fc){ size, sampled, (double)t / (double)n };
	return (double)t / (double)n;
}

/* Every sampled round trip of a cell's trials, for its regime. */
static uint32_t cell_samples[MAX_TRIALS][MAX_SAMPLES];

/* Run a cell: @n messages per trial, or calibrated (-n, else 0). */
static const struct result *run_cell(const struct mech *m, int pattern, size_t size,
				     uint64_t n, struct shared *sh)
{
	struct result *r = &results[nresults];
	struct trial t, tr[MAX_TRIALS];
	double rate[MAX_TRIALS], sorted[MAX_TRIALS], med, fc;
	uint32_t *samples[MAX_TRIALS], nsamples[MAX_TRIALS];
	int k = 0, mid = 0;

	if (nresults >= MAX_RESULTS)
		return NULL;
	if (!n)
		n = fixed_n ? fixed_n : calibrate(m, pattern, size, sh);
	if (!n) {
		printf("# %s %s %zu: failed\n", m->name, pattern_names[pattern], size);
		return NULL;
	}
	for (int i = 0; i < trials && i < MAX_TRIALS; i++) {
		if (run_trial(m, pattern, size, n, sh, &tr[k]) || tr[k].secs <= 0)
			continue;
		rate[k] = (double)tr[k].msgs / tr[k].secs;
		sorted[k] = rate[k];
		nsamples[k] = is_pp(pattern) ? sh->nsamples : 0;
		memcpy(cell_samples[k], sh->samples, nsamples[k] * sizeof(uint32_t));
		samples[k] = cell_samples[k];
		k++;
	}
	if (!k) {
		printf("# %s %s %zu: failed\n", m->name, pattern_names[pattern], size);
		return NULL;
	}
	/* The median trial, by throughput; its latencies go with it. */
	qsort(sorted, (size_t)k, sizeof(double), cmp_double);
	med = sorted[k / 2];
	for (int i = 0; i < k; i++)
		if (rate[i] == med)
			mid = i;
	t = tr[mid];
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->pattern = pattern;
	r->size = size;
	r->n = n;
	r->msgs_s = med;
	r->mb_s = med * (double)size / 1e6;
	r->cpu_us = t.cpu * 1e6 / (double)t.msgs;
	r->csw_per_msg = t.csw / (double)t.msgs;
	r->sys_per_msg = m->mbox ? t.syscalls / (double)t.msgs : -1;
	r->p50_us = t.p50_us;
	r->p99_us = t.p99_us;
	/* Instructions per operation: a round trip, a message, a pair. */
	r->instr = ns_per_instr > 0 ?
		   1e9 / (is_pp(pattern) ? med / 2 : med) / ns_per_instr : -1;
	/* What share of the cell's CPU time per message fill and check alone take. */
	fc = m->minimal_of ? -1 : fill_check_ns(size, pattern == STREAM_SAMPLE ||
						      pattern == NB_PAIR);
	r->fc_share = fc > 0 && r->cpu_us > 0 ? fc / (r->cpu_us * 1e3) : -1;
	/*
	 * Real-time round trips across vCPUs can flip between a ~100 us and
	 * a 1-5 ms regime: every sampled round trip of every trial is put in
	 * one of the two (regime.h), and only a cell whose trials all sit in
	 * one gives a verdict.
	 */
	if (is_pp(pattern))
		regime_classify(samples, nsamples, k, &r->rg);
	else
		regime_classify_rates(rate, k, &r->rg);
	nresults++;
	fprintf(stderr, "# %s %s %zu: %.0f msgs/s\n", m->name, pattern_names[pattern], size,
		r->msgs_s);
	return r;
}

static const struct result *find(const char *mech, int pattern, size_t size)
{
	for (int i = 0; i < nresults; i++)
		if (results[i].pattern == pattern && results[i].size == size &&
		    !strcmp(results[i].m->name, mech))
			return &results[i];
	return NULL;
}

/* Higher is better: msgs/s, or for ping-pong 1/p50. */
static double score(const struct result *r)
{
	if (is_pp(r->pattern) && r->p50_us > 0)
		return 1.0 / r->p50_us;
	return r->msgs_s;
}

static void print_table(int pattern, size_t size)
{
	const struct result *pipe = find("pipe", pattern, size), *peer = NULL;
	bool any = false, pp = is_pp(pattern);
	bool sampled = pattern == STREAM_SAMPLE || pattern == NB_PAIR;
	double fc;

	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		if (r->pattern != pattern || r->size != size || r->m->minimal_of)
			continue;
		any = true;
		if (!r->m->mbox && (!peer || score(r) > score(peer)))
			peer = r;
	}
	if (!any)
		return;
	fc = fill_check_ns(size, sampled);
	printf("\n== %s, %zu bytes%s%s\n", pattern_names[pattern], size,
	       pattern == NB_PAIR ? " (msgs/s: send+receive pairs per second, one process)" : "",
	       peer ? "" : " (no peer measured)");
	/* What every figure of the table includes besides the mechanism. */
	printf("   each message %s by its sender and %s by its receiver; "
	       "fill+check alone: %.0f ns a message",
	       sampled ? "filled at a sample (its first word, one byte per 4 KiB, its last byte)" :
	       "filled whole", sampled ? "checked at the same sample" : "checked whole", fc);
	if (ns_per_instr > 0)
		printf(" (%.0f instructions)", fc / ns_per_instr);
	printf("; fc%%: its share of each cell's CPU time per message\n");
	printf("%-20s %12s %10s %9s %9s %9s %7s %8s", "mechanism", "msgs/s", "MB/s",
	       "p50 us", "p99 us", "cpu us/m", "csw/m", "sys/msg");
	if (ns_per_instr > 0)
		printf(" %9s", pp ? "instr/rt" : pattern == NB_PAIR ? "instr/pr" : "instr/m");
	printf(" %5s", "fc%");
	printf(" %7s", "regime");
	printf(" %7s %7s\n", "x pipe", "x best");
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		if (r->pattern != pattern || r->size != size || r->m->minimal_of)
			continue;
		printf("%-20s %12.0f %10.1f", r->m->name, r->msgs_s, r->mb_s);
		if (r->p50_us >= 0)
			printf(" %9.1f %9.1f", r->p50_us, r->p99_us);
		else
			printf(" %9s %9s", "-", "-");
		printf(" %9.2f %7.3f", r->cpu_us, r->csw_per_msg);
		if (r->sys_per_msg >= 0)
			printf(" %8.3f", r->sys_per_msg);
		else
			printf(" %8s", "-");
		if (ns_per_instr > 0)
			printf(" %9.0f", r->instr);
		if (r->fc_share >= 0)
			printf(" %5.1f", 100 * r->fc_share);
		else
			printf(" %5s", "-");
		printf(" %7s", regime_name(r->rg.regime));
		if (r->m->mbox && pipe)
			printf(" %7.2f", score(r) / score(pipe));
		else
			printf(" %7s", "-");
		if (r->m->mbox && peer)
			printf(" %7.2f  (best peer: %s)", score(r) / score(peer), peer->m->name);
		printf("\n");
	}
}

/*
 * The independent probe (bench/probe/ipcprobe.c): the same ping-pong in a
 * program of its own, sharing no code with this one. Its rows are results
 * of these pseudo-mechanisms; the name after "probe-" is its MECH.
 */
static const struct mech probe_mechs[] = {
	{ .name = "probe-pipe", .minimal_of = "pipe" },
	{ .name = "probe-posix-mq", .minimal_of = "posix-mq" },
	{ .name = "probe-sysv-msg", .minimal_of = "sysv-msg" },
	{ .name = "probe-futex", .minimal_of = "shm-futex" },
};

/* One run of ipcprobe: ns for @n round trips, or -1. The parent blocks. */
static int64_t probe_once(const char *mech, int cpu, size_t size, uint64_t n)
{
	char a_cpu[16], a_size[32], a_n[32], out[256], name[64];
	char *argv[] = { "ipcprobe", "-c", a_cpu, (char *)mech, a_size, a_n, NULL };
	size_t got = 0;
	unsigned long long rn;
	long long ns;
	int fd[2], st;
	ssize_t k;
	pid_t pid;

	snprintf(a_cpu, sizeof(a_cpu), "%d", cpu);
	snprintf(a_size, sizeof(a_size), "%zu", size);
	snprintf(a_n, sizeof(a_n), "%llu", (unsigned long long)n);
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		if (strchr(probe_path, '/'))
			execv(probe_path, argv);
		else
			execvp(probe_path, argv);
		fprintf(stderr, "ipcbench: %s: %s\n", probe_path, strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		return -1;
	}
	trial_killed = 0;
	trial_kids[0] = pid;
	trial_nkids = 1;
	alarm(watchdog_secs());
	while (got + 1 < sizeof(out) &&
	       ((k = read(fd[0], out + got, sizeof(out) - 1 - got)) > 0 ||
		(k < 0 && errno == EINTR)))
		got += k > 0 ? (size_t)k : 0;
	out[got] = 0;
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	trial_nkids = 0;
	if (trial_killed || !WIFEXITED(st) || WEXITSTATUS(st) ||
	    sscanf(out, "ipcprobe %63s %*u %llu %lld", name, &rn, &ns) != 3 || rn != n ||
	    strcmp(name, mech) || ns <= 0)
		return -1;
	return ns;
}

/* Run @pm's probe @trials times with the cell @h's count; its result row. */
static const struct result *run_probe(const struct mech *pm, const struct result *h)
{
	struct result *r = &results[nresults];
	double rate[MAX_TRIALS];
	int k = 0;

	if (nresults >= MAX_RESULTS)
		return NULL;
	for (int i = 0; i < trials; i++) {
		int64_t ns = probe_once(pm->name + 6, h->pattern == PP_CROSS ? 1 : 0, h->size,
					h->n);

		if (ns > 0)
			rate[k++] = 2.0 * (double)h->n / ((double)ns / 1e9);
	}
	if (!k) {
		printf("# %s %s %zu: failed (is %s there?)\n", pm->name,
		       pattern_names[h->pattern], h->size, probe_path);
		return NULL;
	}
	qsort(rate, (size_t)k, sizeof(double), cmp_double);
	memset(r, 0, sizeof(*r));
	r->m = pm;
	r->pattern = h->pattern;
	r->size = h->size;
	r->n = h->n;
	r->msgs_s = rate[k / 2];
	r->mb_s = r->msgs_s * (double)h->size / 1e6;
	r->p50_us = r->p99_us = r->cpu_us = r->csw_per_msg = r->sys_per_msg = r->fc_share = -1;
	r->instr = ns_per_instr > 0 ? 1e9 / (r->msgs_s / 2) / ns_per_instr : -1;
	r->rg.regime = REGIME_NA;
	nresults++;
	return r;
}

static double ratio_of(const struct result *a, const struct result *b)
{
	return a && b && b->msgs_s > 0 ? a->msgs_s / b->msgs_s : -1;
}

/*
 * The self-check, after a ping-pong table, same pattern, size and count,
 * same boot: each cell against the independent probe (a program of its
 * own: what the whole harness, trial runner included, moves the figure),
 * and against the harness's own minimal loop (bench/minimal.c: what the
 * cell's per-message work, fill, check and clock, moves it).
 */
static void self_check(int pattern, size_t size, struct shared *sh)
{
	const struct result *row[4][3];
	int np = 0;

	for (size_t i = 0; i < sizeof(probe_mechs) / sizeof(probe_mechs[0]); i++) {
		const struct mech *pm = &probe_mechs[i], *mm = NULL;
		const struct result *h = find(pm->minimal_of, pattern, size);

		if (!h)
			continue;
		for (size_t j = 0; j < nr_min_mechs; j++)
			if (!strcmp(min_mechs[j].minimal_of, pm->minimal_of))
				mm = &min_mechs[j];
		row[np][0] = h;
		row[np][1] = mm ? run_cell(mm, pattern, size, h->n, sh) : NULL;
		row[np][2] = run_probe(pm, h);
		np++;
	}
	if (!np)
		return;
	printf("\n== self-check, %s, %zu bytes: each cell against the independent probe "
	       "(ipcprobe, its own program: fork, blocking wait, no shared code) and the "
	       "harness's minimal loop (no fill, check or clock inside); same count, same boot\n",
	       pattern_names[pattern], size);
	printf("%-16s %12s %12s %12s %11s %11s", "cell", "cell msgs/s", "loop msgs/s",
	       "probe msgs/s", "cell/probe", "loop/probe");
	if (ns_per_instr > 0)
		printf(" %10s %10s %10s", "cell i/rt", "loop i/rt", "probe i/rt");
	printf("\n");
	for (int i = 0; i < np; i++) {
		const struct result *h = row[i][0], *q = row[i][1], *pr = row[i][2];

		printf("%-16s %12.0f %12.0f %12.0f %11.3f %11.3f", h->m->name, h->msgs_s,
		       q ? q->msgs_s : -1, pr ? pr->msgs_s : -1, ratio_of(h, pr),
		       ratio_of(q, pr));
		if (ns_per_instr > 0)
			printf(" %10.0f %10.0f %10.0f", h->instr, q ? q->instr : -1,
			       pr ? pr->instr : -1);
		printf("\n");
	}
	for (int i = 0; i < np; i++) {
		const struct result *h = row[i][0], *pr = row[i][2];
		double ratio = ratio_of(h, pr), loop = ratio_of(row[i][1], pr);
		double own = ratio_of(h, row[i][1]);

		/* Issue 22's criterion: the cell against its own minimal loop. */
		printf("SELFCHECK %s %s %zu: the cell runs at %.3f of the harness's minimal loop "
		       "(%s)\n", h->m->name, pattern_names[pattern], size, own,
		       own < 0 ? "no loop" : own >= 0.9 && own <= 1.1 ? "within 10%" :
		       "OFF by more than 10%");

		if (!pr) {
			printf("SELFCHECK %s %s %zu: no probe figure\n", h->m->name,
			       pattern_names[pattern], size);
			continue;
		}
		/* The loop against the probe: what the trial runner itself moves. */
		printf("SELFCHECK %s %s %zu: the cell runs at %.3f of the independent probe (%s); "
		       "the harness's minimal loop at %.3f of it (%s)\n", h->m->name,
		       pattern_names[pattern], size, ratio,
		       ratio >= 0.9 && ratio <= 1.1 ? "within 10%" : "OFF by more than 10%", loop,
		       loop < 0 ? "no loop" : loop >= 0.9 && loop <= 1.1 ? "within 10%" :
		       "OFF by more than 10%: the trial runner disturbs the cells");
	}
}

static const char *const csv_header =
	"mechanism,pattern,size,messages,msgs_per_s,mb_per_s,p50_us,p99_us,"
	"cpu_us_per_msg,syscalls_per_msg,csw_per_msg,instr_per_op,fill_check_share,"
	"p50_spread,slow_share,slow_split_us,regime,minimal_of";

/* A number, or @none when it is not finite (a JSON null, an empty CSV field). */
static void num(FILE *f, double v, int prec, const char *none)
{
	if (isfinite(v))
		fprintf(f, "%.*f", prec, v);
	else
		fputs(none, f);
}

static void write_csv(FILE *f, const char *prefix)
{
	fprintf(f, "%s# %s\n", prefix, run_header);
	fprintf(f, "%s%s\n", prefix, csv_header);
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];
		const double v[] = { r->msgs_s, r->mb_s, r->p50_us, r->p99_us, r->cpu_us,
				     r->sys_per_msg, r->csw_per_msg, r->instr, r->fc_share,
				     r->rg.p50_spread, r->rg.slow_share, r->rg.split_ns / 1e3 };
		static const int prec[] = { 0, 2, 2, 2, 3, 4, 4, 0, 3, 3, 3, 1 };

		fprintf(f, "%s%s,%s,%zu,%llu", prefix, r->m->name, pattern_names[r->pattern],
			r->size, (unsigned long long)r->n);
		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++) {
			fputc(',', f);
			num(f, v[j], prec[j], "");
		}
		fprintf(f, ",%s,%s\n", regime_name(r->rg.regime),
			r->m->minimal_of ? r->m->minimal_of : "");
	}
	fprintf(f, "%smemcpy,stream,65536,0,0,", prefix);
	num(f, memcpy_mb_s, 2, "");
	fprintf(f, ",-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-,\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* The first line of @path, without its newline; "" if unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static void json_num(FILE *f, const char *key, double v, int prec)
{
	fprintf(f, ", \"%s\": ", key);
	num(f, v, prec, "null");
}

static void write_json(FILE *f, int argc, char **argv, char *const labels[], int nlabels)
{
	char line[1024];
	struct utsname u;

	fprintf(f, "{\n  \"header\": ");
	json_str(f, run_header);
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, uname(&u) ? "" : u.release);
	fprintf(f, ",\n  \"vcpus\": %ld,\n  \"cmdline\": ", nr_cpus);
	read_line("/proc/cmdline", line, sizeof(line));
	json_str(f, line);
	fprintf(f, ",\n  \"clocksource\": ");
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", line,
		  sizeof(line));
	json_str(f, line);
	fprintf(f, ",\n  \"args\": [");
	for (int i = 1; i < argc; i++) {
		fprintf(f, "%s", i > 1 ? ", " : "");
		json_str(f, argv[i]);
	}
	fprintf(f, "],\n  \"trial_secs\": ");
	num(f, trial_secs, 3, "null");
	fprintf(f, ",\n  \"trials\": %d,\n  \"ns_per_instr\": ", trials);
	num(f, ns_per_instr, 3, "null");
	fprintf(f, ",\n  \"memcpy_mb_s\": ");
	num(f, memcpy_mb_s, 2, "null");
	for (int i = 0; i < nlabels; i++) {
		const char *eq = strchr(labels[i], '=');
		char key[64];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - labels[i]), labels[i]);
		fprintf(f, ",\n  ");
		json_str(f, key);
		fprintf(f, ": ");
		json_str(f, eq + 1);
	}
	fprintf(f, ",\n  \"cells\": [\n");
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		fprintf(f, "    {\"mechanism\": ");
		json_str(f, r->m->name);
		fprintf(f, ", \"pattern\": \"%s\", \"size\": %zu, \"messages\": %llu",
			pattern_names[r->pattern], r->size, (unsigned long long)r->n);
		json_num(f, "msgs_per_s", r->msgs_s, 0);
		json_num(f, "mb_per_s", r->mb_s, 2);
		json_num(f, "p50_us", r->p50_us, 2);
		json_num(f, "p99_us", r->p99_us, 2);
		json_num(f, "cpu_us_per_msg", r->cpu_us, 3);
		json_num(f, "syscalls_per_msg", r->sys_per_msg, 4);
		json_num(f, "csw_per_msg", r->csw_per_msg, 4);
		json_num(f, "instr_per_op", r->instr, 0);
		json_num(f, "fill_check_share", r->fc_share, 3);
		json_num(f, "p50_spread", r->rg.p50_spread, 3);
		json_num(f, "slow_share", r->rg.slow_share, 3);
		json_num(f, "trial_slow_share_min", r->rg.share_min, 3);
		json_num(f, "trial_slow_share_max", r->rg.share_max, 3);
		json_num(f, "slow_split_us", r->rg.split_ns / 1e3, 1);
		fprintf(f, ", \"regime\": \"%s\", \"minimal_of\": ", regime_name(r->rg.regime));
		if (r->m->minimal_of)
			json_str(f, r->m->minimal_of);
		else
			fprintf(f, "null");
		fprintf(f, "}%s\n", i + 1 < nresults ? "," : "");
	}
	fprintf(f, "  ],\n  \"targets\": [\n");
	for (int i = 0; i < nverdicts; i++) {
		fprintf(f, "    {\"target\": ");
		json_str(f, verdicts[i].what);
		fprintf(f, ", \"verdict\": ");
		json_str(f, verdicts[i].verdict);
		fprintf(f, ", \"detail\": ");
		json_str(f, verdicts[i].detail);
		fprintf(f, "}%s\n", i + 1 < nverdicts ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

/*
 * DIR/results.csv and DIR/results.json, opened (created empty) before the
 * run so that a bad -o fails at once, written at its end.
 */
static FILE *out_csv, *out_json;
static char out_path[2][4096];

static int open_files(const char *dir)
{
	snprintf(out_path[0], sizeof(out_path[0]), "%s/results.csv", dir);
	snprintf(out_path[1], sizeof(out_path[1]), "%s/results.json", dir);
	out_csv = fopen(out_path[0], "w");
	if (!out_csv) {
		fprintf(stderr, "ipcbench: -o: %s: %s\n", out_path[0], strerror(errno));
		return -1;
	}
	out_json = fopen(out_path[1], "w");
	if (!out_json) {
		fprintf(stderr, "ipcbench: -o: %s: %s\n", out_path[1], strerror(errno));
		return -1;
	}
	return 0;
}

static int write_files(int argc, char **argv, char *const labels[], int nlabels)
{
	write_csv(out_csv, "");
	if (fclose(out_csv)) {
		fprintf(stderr, "ipcbench: %s: %s\n", out_path[0], strerror(errno));
		return -1;
	}
	write_json(out_json, argc, argv, labels, nlabels);
	if (fclose(out_json)) {
		fprintf(stderr, "ipcbench: %s: %s\n", out_path[1], strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A cell that flipped regime gives no verdict: a ping-pong cell by its
 * round trips, any other by its trials' rates (regime.h).
 */
static bool unstable(const struct result *r)
{
	return r && (r->rg.regime == REGIME_FLIP || r->rg.regime == REGIME_MIXED);
}

static void target(const char *what, bool measured, bool met, const char *detail,
		   const struct result *a, const struct result *b)
{
	struct verdict *v = &verdicts[nverdicts < 16 ? nverdicts++ : 15];
	bool flip = measured && (unstable(a) || unstable(b));

	snprintf(v->what, sizeof(v->what), "%s", what);
	snprintf(v->verdict, sizeof(v->verdict), "%s", !measured ? "not measured" :
		 flip ? "undecided" : met ? "met" : "MISSED");
	if (flip)
		snprintf(v->detail, sizeof(v->detail), "%s; regime: %s %s, %s %s", detail,
			 a->m->name, regime_name(a->rg.regime), b ? b->m->name : "-",
			 b ? regime_name(b->rg.regime) : "-");
	else
		snprintf(v->detail, sizeof(v->detail), "%s", measured ? detail : "");
	printf("TARGET %-77s %s", what, v->verdict);
	if (measured)
		printf("  (%s)", v->detail);
	printf("\n");
}

static void print_targets(void)
{
	const char *peers[] = { "pipe", "unix-seqpacket", "posix-mq", "sysv-msg" };
	/* One vCPU (ICOUNT=1): the ping-pong targets read pp-same. */
	const int pp = find("mbox-mailbox", PP_CROSS, 64) || nr_cpus > 1 ? PP_CROSS : PP_SAME;
	const char *one = pp == PP_SAME ? ", pp-same" : "";
	const struct result *mb = find("mbox-mailbox", pp, 64), *best = NULL, *flipped = NULL;
	const struct result *r, *q;
	char d[128], w[96];
	int nmbox = 0;

	printf("\n");
	for (int i = 0; i < nresults; i++)
		nmbox += !strncmp(results[i].m->name, "mbox-", 5);
	/* Every target judges an mbox cell (the libmbox-mq pass has none). */
	if (!nmbox) {
		printf("TARGET (none: no mbox cell in this run)\n");
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		r = find(peers[i], pp, 64);
		if (r && r->p50_us > 0 && (!best || r->p50_us < best->p50_us))
			best = r;
		/* A flipped peer that is not the fastest might be in its other regime. */
		if (unstable(r))
			flipped = r;
	}
	snprintf(d, sizeof(d), "%.1f us vs %.1f us", mb ? mb->p50_us : 0, best ? best->p50_us : 0);
	snprintf(w, sizeof(w), "mailbox 64 B ping-pong p50 <= fastest of pipe/seqpacket/mq/sysv%s", one);
	target(w, mb && best,
	       mb && best && mb->p50_us <= best->p50_us, d, mb, flipped ? flipped : best);
	mb = find("mbox-mailbox", STREAM, 64);
	r = find("posix-mq", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox 64 B streaming msgs/s >= POSIX mq", mb && r,
	       mb && r && mb->msgs_s >= r->msgs_s, d, mb, r);
	q = find("mbox-mailbox-batch", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs 5 x %.0f", q ? q->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox 64 B streaming, batched, >= 5x POSIX mq", q && r,
	       q && r && q->msgs_s >= 5 * r->msgs_s, d, q, r);
	mb = find("mbox-link-sync", pp, 64);
	r = find("sysv-msg", pp, 64);
	snprintf(d, sizeof(d), "%.1f us vs %.1f us", mb ? mb->p50_us : 0, r ? r->p50_us : 0);
	snprintf(w, sizeof(w), "link sync 64 B ping-pong p50 <= SysV msg%s", one);
	target(w, mb && r,
	       mb && r && mb->p50_us <= r->p50_us, d, mb, r);
	mb = find("mbox-ring-zc", STREAM, 64);
	r = find("pipe", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs 20 x %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("ring 64 B streaming >= 20x pipe msgs/s", mb && r,
	       mb && r && mb->msgs_s >= 20 * r->msgs_s, d, mb, r);
	snprintf(d, sizeof(d), "%.4f", mb ? mb->sys_per_msg : 0);
	target("ring 64 B streaming <= 0.01 syscalls/msg", mb != NULL,
	       mb && mb->sys_per_msg <= 0.01, d, NULL, NULL);
	/*
	 * Not under -icount: memcpy is one `rep movsb` there, counted as one
	 * instruction a byte, so its "bandwidth" is the instruction rate.
	 */
	mb = find("mbox-ring-zc", STREAM, 65536);
	snprintf(d, sizeof(d), "%.0f MB/s vs memcpy %.0f MB/s", mb ? mb->mb_s : 0, memcpy_mb_s);
	target("ring 64 KiB records >= 80% of memcpy bandwidth",
	       mb && memcpy_mb_s > 0 && !ns_per_instr,
	       mb && mb->mb_s >= 0.8 * memcpy_mb_s, d, mb, NULL);
	mb = find("mbox-ring-zc", STREAM_SAMPLE, 65536);
	snprintf(d, sizeof(d), "%.0f MB/s vs memcpy %.0f MB/s", mb ? mb->mb_s : 0, memcpy_mb_s);
	target("ring 64 KiB records >= 80% of memcpy bandwidth (sampled check)",
	       mb && memcpy_mb_s > 0 && !ns_per_instr,
	       mb && mb->mb_s >= 0.8 * memcpy_mb_s, d, mb, NULL);
	mb = find("mbox-ring", pp, 64);
	r = find("shm-futex", pp, 64);
	snprintf(d, sizeof(d), "%.1f us vs %.1f us", mb ? mb->p50_us : 0, r ? r->p50_us : 0);
	snprintf(w, sizeof(w), "ring sleep/wake round trip <= 1.2x futex ring (64 B ping-pong p50%s)",
		 one);
	target(w, mb && r,
	       mb && r && mb->p50_us <= 1.2 * r->p50_us, d, mb, r);
	mb = find("mbox-mailbox", FANIN, 64);
	r = find("mbox-mailbox", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox fan-in 4->1 >= 80% of 1->1 (64 B)", mb && r,
	       mb && r && mb->msgs_s >= 0.8 * r->msgs_s, d, mb, r);

	/* The mailbox fast path (issue 17): against POSIX mq, same boot. */
	mb = find("mbox-mailbox", NB_PAIR, 64);
	r = find("posix-mq", NB_PAIR, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f pairs/s", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox 64 B non-blocking send+receive pair >= POSIX mq's rate", mb && r,
	       mb && r && mb->msgs_s >= r->msgs_s, d, mb, r);
	mb = find("mbox-mailbox", pp, 64);
	r = find("posix-mq", pp, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f round trips/s", mb ? mb->msgs_s : 0,
		 r ? r->msgs_s : 0);
	snprintf(w, sizeof(w), "mailbox 64 B ping-pong round trips/s >= POSIX mq%s", one);
	target(w, mb && r, mb && r && mb->msgs_s >= r->msgs_s, d, mb, r);
	q = find("mbox-mailbox-batch", STREAM, 64);
	r = find("posix-mq", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs 3 x %.0f (%.2fx)", q ? q->msgs_s : 0, r ? r->msgs_s : 0,
		 q && r && r->msgs_s > 0 ? q->msgs_s / r->msgs_s : 0);
	target("mailbox 64 B streaming, batched 16, >= 3x POSIX mq", q && r,
	       q && r && q->msgs_s >= 3 * r->msgs_s, d, q, r);
	mb = find("mbox-mailbox", FANIN, 64);
	r = find("posix-mq", FANIN, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox 64 B fan-in 4->1 msgs/s >= POSIX mq fan-in", mb && r,
	       mb && r && mb->msgs_s >= r->msgs_s, d, mb, r);
}

static void measure_memcpy(void)
{
	size_t len = 64 << 10, total = 256u << 20;
	char *a = malloc(len), *b = malloc(len);
	int64_t t0;

	if (!a || !b)
		return;
	memset(a, 1, len);
	memset(b, 2, len);
	t0 = now_ns();
	for (size_t done = 0; done < total; done += len) {
		memcpy(b, a, len);
		a[done / len % len] ^= b[len - 1];	/* keep it from being elided */
	}
	memcpy_mb_s = (double)total / 1e6 / ((double)(now_ns() - t0) / 1e9);
	free(a);
	free(b);
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list)
		return true;
	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void usage(void)
{
	fprintf(stderr, "usage: ipcbench [-q] [-M] [-C] [-n COUNT] [-t SECONDS] [-r TRIALS] "
		"[-m MECH,...] [-p PATTERN,...] [-s SIZE,...] [-i NS] [-o DIR] "
		"[-l KEY=VALUE]... [-P PROBE]\n");
}

static const size_t all_sizes[] = { 8, 64, 1024, 4096, 65536, 1 << 20 };

/* A finite number in [@lo, @hi] for option -@opt, or a message and false. */
static bool parse_real(int opt, const char *arg, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(*v) || *v < lo || *v > hi) {
		fprintf(stderr, "ipcbench: bad -%c '%s': a number from %g to %g\n", opt, arg,
			lo, hi);
		return false;
	}
	return true;
}

/* A whole decimal number in [@lo, @hi] for option -@opt. */
static bool parse_whole(int opt, const char *arg, unsigned long long lo,
			unsigned long long hi, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || !(*arg >= '0' && *arg <= '9') || *v < lo ||
	    *v > hi) {
		fprintf(stderr, "ipcbench: bad -%c '%s': a whole number from %llu to %llu\n",
			opt, arg, lo, hi);
		return false;
	}
	return true;
}

/* Is every item of the comma-separated @list one of @names (@n of them)? */
static bool known(int opt, const char *list, const char *const names[], size_t n)
{
	const char *p = list;

	if (!list)
		return true;
	for (;;) {
		size_t len = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = strlen(names[i]) == len && !strncmp(names[i], p, len);
		if (!found) {
			fprintf(stderr, "ipcbench: -%c: unknown '%.*s' (one of:", opt, (int)len, p);
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, " %s", names[i]);
			fprintf(stderr, ")\n");
			return false;
		}
		if (!p[len])
			return true;
		p += len + 1;
	}
}

/* -P: ipcprobe next to this program, or else on PATH. */
static void find_probe(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	char *slash;

	if (n > 0) {
		path[n] = 0;
		slash = strrchr(path, '/');
		if (slash) {
			strcpy(slash + 1, "ipcprobe");
			if (!access(path, X_OK)) {
				probe_path = path;
				return;
			}
		}
	}
	probe_path = "ipcprobe";
}

/* The run's provenance, at the head of its output and of every file. */
static void make_header(char *const labels[], int nlabels)
{
	char line[1024], src[128] = "unknown", timing[32] = "unknown";
	struct utsname u;
	size_t len;

	for (int i = 0; i < nlabels; i++) {
		if (!strncmp(labels[i], "source=", 7))
			snprintf(src, sizeof(src), "%s", labels[i] + 7);
		if (!strncmp(labels[i], "timing=", 7))
			snprintf(timing, sizeof(timing), "%s", labels[i] + 7);
	}
	read_line("/proc/cmdline", line, sizeof(line));
	len = (size_t)snprintf(run_header, sizeof(run_header),
			       "source %s; kernel %s; %ld vCPUs; timing %s; boot options: %s",
			       src, uname(&u) ? "?" : u.release, nr_cpus, timing, line);
	for (int i = 0; i < nlabels && len < sizeof(run_header); i++)
		if (strncmp(labels[i], "source=", 7) && strncmp(labels[i], "timing=", 7))
			len += (size_t)snprintf(run_header + len, sizeof(run_header) - len,
						"; %s", labels[i]);
}

int main(int argc, char **argv)
{
	const struct mech *mechs[64];
	const char *names[64];
	const char *mlist = NULL, *plist = NULL, *slist = NULL, *outdir = NULL;
	const char *size_names[sizeof(all_sizes) / sizeof(all_sizes[0])];
	char sizes_buf[sizeof(all_sizes) / sizeof(all_sizes[0])][16];
	char *labels[MAX_LABELS];
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long long v;
	bool no_memcpy = false, quick = false, t_given = false, r_given = false;
	bool no_self_check = false;
	struct shared *sh;
	int c, nlabels = 0;
	size_t nm = 0;

	while ((c = getopt(argc, argv, "qMCn:t:r:m:p:s:i:o:l:P:")) != -1) {
		switch (c) {
		case 'C':	/* no self-check (make icount-profile counts the cell alone) */
			no_self_check = true;
			break;
		case 'M':	/* no memcpy measurement (a profile shows only IPC) */
			no_memcpy = true;
			break;
		case 'q':	/* quick: a smoke run of every mechanism */
			quick = true;
			break;
		case 'n':	/* a fixed count, no calibration (for tracing) */
			if (!parse_whole(c, optarg, 1, 4000000, &v))
				return 2;
			fixed_n = v;
			break;
		case 't':
			if (!parse_real(c, optarg, 0.001, 3600, &trial_secs))
				return 2;
			t_given = true;
			break;
		case 'r':
			if (!parse_whole(c, optarg, 1, MAX_TRIALS, &v))
				return 2;
			trials = (int)v;
			r_given = true;
			break;
		case 'm':
			mlist = optarg;
			break;
		case 'p':
			plist = optarg;
			break;
		case 's':
			slist = optarg;
			break;
		case 'i':	/* guest ns per instruction (-icount): print instructions */
			if (!parse_real(c, optarg, 0.001, 1e6, &ns_per_instr))
				return 2;
			break;
		case 'o':	/* write results.csv and results.json there */
			outdir = optarg;
			break;
		case 'l':	/* a KEY=VALUE for results.json (the QEMU version, ...) */
			if (nlabels == MAX_LABELS || !strchr(optarg, '=') ||
			    strchr(optarg, '=') == optarg || strchr(optarg, '=') - optarg > 60) {
				fprintf(stderr, "ipcbench: bad -l (KEY=VALUE, at most %d)\n",
					MAX_LABELS);
				return 2;
			}
			labels[nlabels++] = optarg;
			break;
		case 'P':	/* the independent probe's program */
			probe_path = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ipcbench: unexpected argument '%s'\n", argv[optind]);
		usage();
		return 2;
	}
	if (quick) {	/* short trials, one each, 64 B and 4 KiB, unless told */
		trial_secs = t_given ? trial_secs : 0.02;
		trials = r_given ? trials : 1;
		slist = slist ? slist : "64,4096";
	}
	for (size_t i = 0; i < nr_posix_mechs; i++)
		mechs[nm++] = &posix_mechs[i];
	for (size_t i = 0; i < nr_shm_mechs; i++)
		mechs[nm++] = &shm_mechs[i];
	for (size_t i = 0; i < nr_mbox_mechs; i++)
		mechs[nm++] = &mbox_mechs[i];
	for (size_t i = 0; i < nr_uring_mechs; i++)
		mechs[nm++] = &uring_mechs[i];
	for (size_t i = 0; i < nm; i++)
		names[i] = mechs[i]->name;
	for (size_t i = 0; i < sizeof(all_sizes) / sizeof(all_sizes[0]); i++) {
		snprintf(sizes_buf[i], sizeof(sizes_buf[i]), "%zu", all_sizes[i]);
		size_names[i] = sizes_buf[i];
	}
	/* Every name given must be known: a typo must not drop a cell silently. */
	if (!known('m', mlist, names, nm) || !known('p', plist, pattern_names, NR_PATTERNS) ||
	    !known('s', slist, size_names, sizeof(all_sizes) / sizeof(all_sizes[0])))
		return 2;
	if (!probe_path)
		find_probe();
	nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	make_header(labels, nlabels);
	if (outdir && open_files(outdir))
		return 2;
	sigaction(SIGALRM, &sa, NULL);
	/* POSIX queues of 64 large messages exceed the default RLIMIT_MSGQUEUE. */
	{
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	if (!no_memcpy)
		measure_memcpy();
	printf("ipcbench: %s\n", run_header);
	printf("ipcbench: %ld vCPUs, %.3g s per trial, %d trials per cell, memcpy %.0f MB/s, "
	       "probe %s\n", nr_cpus, trial_secs, trials, memcpy_mb_s, probe_path);
	printf("pinning: senders (ping-pong: the side that sends first) on vCPU 0, receivers "
	       "on vCPU %d; pp-same and nb-pair on vCPU 0\n", nr_cpus > 1 ? 1 : 0);
	for (int p = 0; p < NR_PATTERNS; p++) {
		if (!listed(plist, pattern_names[p]))
			continue;
		if (p == PP_CROSS && nr_cpus < 2) {
			printf("# pp-cross: skipped, one vCPU\n");
			continue;
		}
		for (size_t s = 0; s < sizeof(all_sizes) / sizeof(all_sizes[0]); s++) {
			size_t size = all_sizes[s];

			if (!listed(slist, size_names[s]) ||
			    (size > 65536 && p != STREAM && p != STREAM_SAMPLE))
				continue;
			/* At 8 bytes a sampled check (the first word) is the full one. */
			if (p == STREAM_SAMPLE && size <= 8)
				continue;
			for (size_t i = 0; i < nm; i++) {
				const struct mech *m = mechs[i];
				unsigned int need = is_pp(p) ? CAN_PINGPONG : p == NB_PAIR ?
						    CAN_NBPAIR : p == FANIN ? CAN_FANIN :
						    p == MANY ? CAN_MANY : CAN_STREAM;

				if (!listed(mlist, m->name) || !(m->caps & need) ||
				    size > m->max_size ||
				    (p >= FANIN && m->atomic_max && size > m->atomic_max))
					continue;
				run_cell(m, p, size, 0, sh);
				fflush(stdout);
			}
			print_table(p, size);
			/* 64 B: min-futex moves no payload, the cells do. */
			if (is_pp(p) && size == 64 && !no_self_check)
				self_check(p, size, sh);
			fflush(stdout);
		}
	}
	if (!outdir)
		write_csv(stdout, "CSV,");
	print_targets();
	if (outdir && write_files(argc, argv, labels, nlabels))
		return 1;
	return 0;
}
