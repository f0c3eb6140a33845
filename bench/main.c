// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: mbox against every IPC mechanism of the notes, side by side.
 *
 * For each cell (pattern x message size x mechanism) the harness forks the
 * pattern's processes, which attach, meet at a barrier, and move messages;
 * senders fill every byte, receivers check every byte. A cell is calibrated
 * so that one trial lasts about -t seconds, then run -r times; the median
 * trial is reported (-n COUNT: every trial moves COUNT messages, or COUNT
 * round trips, with no calibration). Timing is over whole batches of
 * messages, never one.
 *
 * Patterns:
 *   pp-cross   ping-pong, the two processes on different vCPUs (p50/p99 RTT)
 *   pp-same    ping-pong, both on one vCPU
 *   stream     one-way, one sender, one receiver
 *   fanin      four senders, one receiver, one channel
 *   many       two senders, two receivers, one channel
 *
 * Output: a table per cell with each mbox figure's ratio to pipe and to the
 * best peer (non-mbox) mechanism; "CSV," lines with every figure; the
 * targets of docs/performance.md, each "met" or "MISSED".
 *
 * Usage: ipcbench [-q] [-M] [-n COUNT] [-t SECONDS] [-r TRIALS]
 *                 [-m MECH,...] [-p PATTERN,...] [-s SIZE,...]
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SAMPLES	20000
#define MAX_RESULTS	1024

enum { PP_CROSS, PP_SAME, STREAM, FANIN, MANY, NR_PATTERNS };

static const char *const pattern_names[NR_PATTERNS] = {
	"pp-cross", "pp-same", "stream", "fanin", "many",
};

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
	uint64_t n;		/* messages per trial */
	double msgs_s, mb_s, p50_us, p99_us, cpu_us, sys_per_msg, csw_per_msg;
};

static struct result results[MAX_RESULTS];
static int nresults;
static double trial_secs = 0.25;
static int trials = 3;
static uint64_t fixed_n;		/* -n: messages (round trips) per trial */
static double memcpy_mb_s;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void fill_msg(void *buf, size_t len, uint64_t seq)
{
	uint8_t *p = buf;
	size_t i = 0;

	if (len >= 8) {
		memcpy(p, &seq, 8);
		i = 8;
	}
	for (; i < len; i++)
		p[i] = (uint8_t)(seq + i);
}

int check_msg(const void *buf, size_t len, uint64_t *seq)
{
	const uint8_t *p = buf;
	uint8_t bad = 0;
	size_t i = 0;

	*seq = 0;
	if (len >= 8) {
		memcpy(seq, p, 8);
		i = 8;
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
	fill_msg(buf, c->size, seq);
	return m->send(c, buf, c->size);
}

static int do_recv(const struct mech *m, struct chan *c, void *buf)
{
	uint64_t seq;
	int n;

	if (m->recv_zc)
		return m->recv_zc(c, &seq);
	n = m->recv(c, buf, c->size);
	if (n < 0)
		return n;
	if ((size_t)n != c->size || check_msg(buf, c->size, &seq))
		return -EBADMSG;
	c->recv_left--;
	return 0;
}

/* One process of a pattern. Returns its exit status. */
static int run_role(const struct mech *m, struct chan *c, struct shared *sh,
		    int pattern, int role, uint64_t n)
{
	void *buf = malloc(c->size);
	struct rusage ru;
	int ret = 0;

	if (!buf)
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
	sh->start[role] = now_ns();
	if (pattern == PP_CROSS || pattern == PP_SAME) {
		uint64_t every = n / MAX_SAMPLES + 1;

		for (uint64_t i = 0; i < n && !ret; i++) {
			int64_t t0 = now_ns();

			if (role == 0) {
				ret = do_send(m, c, buf, i);
				if (!ret)
					ret = do_recv(m, c, buf);
				if (i % every == 0 && sh->nsamples < MAX_SAMPLES)
					sh->samples[sh->nsamples++] = (uint32_t)(now_ns() - t0);
			} else {
				ret = do_recv(m, c, buf);
				if (!ret)
					ret = do_send(m, c, buf, i);
			}
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
	sh->cpu[role] = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	sh->csw[role] = (double)ru.ru_nvcsw + (double)ru.ru_nivcsw;
	sh->syscalls[role] = c->syscalls;
	if (ret) {
		fprintf(stderr, "%s %s %zu: role %d: %s\n", m->name, pattern_names[pattern],
			c->size, role, strerror(-ret));
		atomic_store(&sh->failed, 1);
	}
	if (m->detach)
		m->detach(c);
	free(buf);
	return ret ? 1 : 0;
}

struct trial {
	double secs, cpu, csw, syscalls, p50_us, p99_us;
	uint64_t msgs;
};

/* Roles: who sends on which direction, how many messages, which vCPU. */
static void plan(int pattern, int *nroles, int send_dir[], int recv_dir[],
		 uint64_t count[], int cpu[], uint64_t n)
{
	for (int i = 0; i < MAX_PROCS; i++) {
		send_dir[i] = recv_dir[i] = -1;
		count[i] = n;
		cpu[i] = -1;
	}
	switch (pattern) {
	case PP_CROSS:
	case PP_SAME:
		*nroles = 2;
		send_dir[0] = 0; recv_dir[0] = 1;
		send_dir[1] = 1; recv_dir[1] = 0;
		cpu[0] = 0;
		cpu[1] = pattern == PP_CROSS ? 1 : 0;
		break;
	case STREAM:
		*nroles = 2;
		send_dir[0] = 0; recv_dir[1] = 0;
		break;
	case FANIN:
		*nroles = 5;
		for (int i = 0; i < 4; i++) {
			send_dir[i] = 0;
			count[i] = n / 4;
		}
		recv_dir[4] = 0;
		count[4] = n / 4 * 4;
		break;
	case MANY:
		*nroles = 4;
		send_dir[0] = send_dir[1] = 0;
		recv_dir[2] = recv_dir[3] = 0;
		for (int i = 0; i < 4; i++)
			count[i] = n / 2;
		break;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int run_trial(const struct mech *m, int pattern, size_t size, uint64_t n,
		     struct shared *sh, struct trial *t)
{
	int send_dir[MAX_PROCS], recv_dir[MAX_PROCS], cpu[MAX_PROCS], nroles = 2, bad = 0;
	uint64_t count[MAX_PROCS];
	struct chan c;
	pid_t kids[MAX_PROCS];
	int64_t start = INT64_MAX, end = 0, t_fork;

	memset(sh, 0, sizeof(*sh));
	memset(&c, 0, sizeof(c));
	memset(c.fd, -1, sizeof(c.fd));
	c.size = size;
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
	t_fork = now_ns();
	/* Receivers first, so that link senders know their pids. */
	for (int i = nroles - 1; i >= 0; i--) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pin(cpu[i]);
			c.send_dir = send_dir[i];
			c.recv_dir = recv_dir[i];
			/* A link sender talks to its receiver: the last role, or B. */
			c.peer = pattern <= PP_SAME ? (i ? getppid() : kids[1]) : kids[nroles - 1];
			if (pattern <= PP_SAME && i == 1) {
				/* B learns A's pid once A has attached. */
				while (!sh->pids[0] && !atomic_load(&sh->failed))
					sched_yield();
				c.peer = sh->pids[0];
			}
			_exit(run_role(m, &c, sh, pattern, i, count[i]));
		}
	}
	/* A trial that hangs (a mechanism that loses a wake-up) is killed. */
	for (int i = 0, left = nroles; left; ) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid > 0) {
			left--;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				bad = 1;
			continue;
		}
		if (pid < 0)
			break;
		if (now_ns() - t_fork > (int64_t)(trial_secs * 40 + 20) * 1000000000LL && !i++) {
			fprintf(stderr, "%s %s %zu: no progress, killed\n", m->name,
				pattern_names[pattern], size);
			for (int k = 0; k < nroles; k++)
				kill(kids[k], SIGKILL);
			bad = 1;
		}
		usleep(1000);
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
	t->msgs = pattern <= PP_SAME ? 2 * n : pattern == STREAM ? n :
		  pattern == FANIN ? n / 4 * 4 : n / 2 * 2;
	t->p50_us = t->p99_us = -1;
	if (pattern <= PP_SAME && sh->nsamples) {
		qsort(sh->samples, sh->nsamples, sizeof(uint32_t), cmp_u32);
		t->p50_us = sh->samples[sh->nsamples / 2] / 1e3;
		t->p99_us = sh->samples[sh->nsamples * 99 / 100] / 1e3;
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
	uint64_t n = pattern <= PP_SAME ? 20 : 100;
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

static void run_cell(const struct mech *m, int pattern, size_t size, struct shared *sh)
{
	struct result *r = &results[nresults];
	struct trial t, best[16];
	double rate[16], med;
	int k = 0, mid = 0;
	uint64_t n;

	if (nresults >= MAX_RESULTS)
		return;
	n = fixed_n ? fixed_n : calibrate(m, pattern, size, sh);
	if (!n) {
		printf("# %s %s %zu: failed\n", m->name, pattern_names[pattern], size);
		return;
	}
	for (int i = 0; i < trials && i < 16; i++) {
		if (run_trial(m, pattern, size, n, sh, &best[k]))
			continue;
		rate[k] = (double)best[k].msgs / best[k].secs;
		k++;
	}
	if (!k) {
		printf("# %s %s %zu: failed\n", m->name, pattern_names[pattern], size);
		return;
	}
	/* The median trial, by throughput; its latencies go with it. */
	memcpy(rate + 8, rate, sizeof(double) * (size_t)k);
	qsort(rate + 8, (size_t)k, sizeof(double), cmp_double);
	med = rate[8 + k / 2];
	for (int i = 0; i < k; i++)
		if (rate[i] == med)
			mid = i;
	t = best[mid];
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
	nresults++;
	fprintf(stderr, "# %s %s %zu: %.0f msgs/s\n", m->name, pattern_names[pattern], size,
		r->msgs_s);
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
	if (r->pattern <= PP_SAME && r->p50_us > 0)
		return 1.0 / r->p50_us;
	return r->msgs_s;
}

static void print_table(int pattern, size_t size)
{
	const struct result *pipe = find("pipe", pattern, size), *peer = NULL;
	bool any = false;

	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		if (r->pattern != pattern || r->size != size)
			continue;
		any = true;
		if (!r->m->mbox && (!peer || score(r) > score(peer)))
			peer = r;
	}
	if (!any)
		return;
	printf("\n== %s, %zu bytes%s\n", pattern_names[pattern], size,
	       peer ? "" : " (no peer measured)");
	printf("%-20s %12s %10s %9s %9s %9s %7s %8s %7s %7s\n", "mechanism", "msgs/s", "MB/s",
	       "p50 us", "p99 us", "cpu us/m", "csw/m", "sys/msg", "x pipe", "x best");
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		if (r->pattern != pattern || r->size != size)
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
		if (r->m->mbox && pipe)
			printf(" %7.2f", score(r) / score(pipe));
		else
			printf(" %7s", "-");
		if (r->m->mbox && peer)
			printf(" %7.2f  (best peer: %s)", score(r) / score(peer), peer->m->name);
		printf("\n");
	}
}

static void print_csv(void)
{
	printf("\nCSV,mechanism,pattern,size,messages,msgs_per_s,mb_per_s,p50_us,p99_us,"
	       "cpu_us_per_msg,syscalls_per_msg,csw_per_msg\n");
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		printf("CSV,%s,%s,%zu,%llu,%.0f,%.2f,%.2f,%.2f,%.3f,%.4f,%.4f\n", r->m->name,
		       pattern_names[r->pattern], r->size, (unsigned long long)r->n, r->msgs_s,
		       r->mb_s, r->p50_us, r->p99_us, r->cpu_us, r->sys_per_msg, r->csw_per_msg);
	}
	printf("CSV,memcpy,stream,65536,0,0,%.2f,-1,-1,-1,-1,-1\n", memcpy_mb_s);
}

static void target(const char *what, bool measured, bool met, const char *detail)
{
	printf("TARGET %-68s %s", what, !measured ? "not measured" : met ? "met" : "MISSED");
	if (measured)
		printf("  (%s)", detail);
	printf("\n");
}

static void print_targets(void)
{
	const char *peers[] = { "pipe", "unix-seqpacket", "posix-mq", "sysv-msg" };
	const struct result *mb = find("mbox-mailbox", PP_CROSS, 64), *best = NULL, *r, *q;
	char d[128];

	printf("\n");
	for (size_t i = 0; i < 4; i++) {
		r = find(peers[i], PP_CROSS, 64);
		if (r && r->p50_us > 0 && (!best || r->p50_us < best->p50_us))
			best = r;
	}
	snprintf(d, sizeof(d), "%.1f us vs %.1f us", mb ? mb->p50_us : 0, best ? best->p50_us : 0);
	target("mailbox 64 B ping-pong p50 <= fastest of pipe/seqpacket/mq/sysv", mb && best, mb && best && mb->p50_us <= best->p50_us, d);
	mb = find("mbox-mailbox", STREAM, 64);
	r = find("posix-mq", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox 64 B streaming msgs/s >= POSIX mq", mb && r, mb && r && mb->msgs_s >= r->msgs_s, d);
	q = find("mbox-mailbox-batch", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs 5 x %.0f", q ? q->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox 64 B streaming, batched, >= 5x POSIX mq", q && r, q && r && q->msgs_s >= 5 * r->msgs_s, d);
	mb = find("mbox-link-sync", PP_CROSS, 64);
	r = find("sysv-msg", PP_CROSS, 64);
	snprintf(d, sizeof(d), "%.1f us vs %.1f us", mb ? mb->p50_us : 0, r ? r->p50_us : 0);
	target("link sync 64 B ping-pong p50 <= SysV msg", mb && r, mb && r && mb->p50_us <= r->p50_us, d);
	mb = find("mbox-ring-zc", STREAM, 64);
	r = find("pipe", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs 20 x %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("ring 64 B streaming >= 20x pipe msgs/s", mb && r, mb && r && mb->msgs_s >= 20 * r->msgs_s, d);
	snprintf(d, sizeof(d), "%.4f", mb ? mb->sys_per_msg : 0);
	target("ring 64 B streaming <= 0.01 syscalls/msg", mb != NULL, mb && mb->sys_per_msg <= 0.01, d);
	mb = find("mbox-ring-zc", STREAM, 65536);
	snprintf(d, sizeof(d), "%.0f MB/s vs memcpy %.0f MB/s", mb ? mb->mb_s : 0, memcpy_mb_s);
	target("ring 64 KiB records >= 80% of memcpy bandwidth", mb && memcpy_mb_s > 0, mb && mb->mb_s >= 0.8 * memcpy_mb_s, d);
	mb = find("mbox-ring", PP_CROSS, 64);
	r = find("shm-futex", PP_CROSS, 64);
	snprintf(d, sizeof(d), "%.1f us vs %.1f us", mb ? mb->p50_us : 0, r ? r->p50_us : 0);
	target("ring sleep/wake round trip <= 1.2x futex ring (64 B ping-pong p50)", mb && r, mb && r && mb->p50_us <= 1.2 * r->p50_us, d);
	mb = find("mbox-mailbox", FANIN, 64);
	r = find("mbox-mailbox", STREAM, 64);
	snprintf(d, sizeof(d), "%.0f vs %.0f", mb ? mb->msgs_s : 0, r ? r->msgs_s : 0);
	target("mailbox fan-in 4->1 >= 80% of 1->1 (64 B)", mb && r, mb && r && mb->msgs_s >= 0.8 * r->msgs_s, d);
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

int main(int argc, char **argv)
{
	static const size_t all_sizes[] = { 8, 64, 1024, 4096, 65536, 1 << 20 };
	const struct mech *mechs[64];
	const char *mlist = NULL, *plist = NULL, *slist = NULL;
	bool no_memcpy = false;
	struct shared *sh;
	size_t nm = 0;
	int c;

	while ((c = getopt(argc, argv, "qMn:t:r:m:p:s:")) != -1) {
		switch (c) {
		case 'M':	/* no memcpy measurement (a profile shows only IPC) */
			no_memcpy = true;
			break;
		case 'q':	/* quick: a smoke run of every mechanism */
			trial_secs = 0.02;
			trials = 1;
			slist = slist ? slist : "64,4096";
			break;
		case 'n':	/* a fixed count, no calibration (for tracing) */
			fixed_n = strtoull(optarg, NULL, 0);
			break;
		case 't':
			trial_secs = atof(optarg);
			break;
		case 'r':
			trials = atoi(optarg);
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
		default:
			fprintf(stderr, "usage: ipcbench [-q] [-M] [-n COUNT] [-t SECONDS] [-r TRIALS] "
				"[-m MECH,...] [-p PATTERN,...] [-s SIZE,...]\n");
			return 2;
		}
	}
	if (trial_secs <= 0 || trials < 1 || trials > 15 || fixed_n > 4000000) {
		fprintf(stderr, "ipcbench: bad -t, -r or -n\n");
		return 2;
	}
	for (size_t i = 0; i < nr_posix_mechs; i++)
		mechs[nm++] = &posix_mechs[i];
	for (size_t i = 0; i < nr_shm_mechs; i++)
		mechs[nm++] = &shm_mechs[i];
	for (size_t i = 0; i < nr_mbox_mechs; i++)
		mechs[nm++] = &mbox_mechs[i];
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
	printf("ipcbench: %ld vCPUs, %.1f s per trial, %d trials per cell, memcpy %.0f MB/s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), trial_secs, trials, memcpy_mb_s);
	for (int p = 0; p < NR_PATTERNS; p++) {
		if (!listed(plist, pattern_names[p]))
			continue;
		if (p == PP_CROSS && sysconf(_SC_NPROCESSORS_ONLN) < 2) {
			printf("# pp-cross: skipped, one vCPU\n");
			continue;
		}
		for (size_t s = 0; s < sizeof(all_sizes) / sizeof(all_sizes[0]); s++) {
			char sz[32];
			size_t size = all_sizes[s];

			snprintf(sz, sizeof(sz), "%zu", size);
			if (!listed(slist, sz) || (size > 65536 && p != STREAM))
				continue;
			for (size_t i = 0; i < nm; i++) {
				const struct mech *m = mechs[i];
				unsigned int need = p <= PP_SAME ? CAN_PINGPONG : p == STREAM ?
						    CAN_STREAM : p == FANIN ? CAN_FANIN : CAN_MANY;

				if (!listed(mlist, m->name) || !(m->caps & need) ||
				    size > m->max_size ||
				    (p >= FANIN && m->atomic_max && size > m->atomic_max))
					continue;
				run_cell(m, p, size, sh);
				fflush(stdout);
			}
			print_table(p, size);
			fflush(stdout);
		}
	}
	print_csv();
	print_targets();
	return 0;
}
