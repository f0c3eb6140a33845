// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: the floors. A plain single-producer single-consumer ring in
 * shared memory, as a programmer would write it: with futex sleeps and
 * wake-ups flagged like mbox rings do (shm-futex: a side that finds the
 * ring empty or full raises a waiting flag and sleeps on the index; the
 * other side makes the wake-up system call only when the flag is up for
 * another index value than the one it stored, after a full fence between
 * its index store and the flag load; no spinning
 * first), and with busy polling (shm-spin: 200 loads, then sched_yield()
 * between loads; when both sides share one vCPU, no loads before the first
 * yield: the other side cannot move the index while this one spins). The
 * rings are populated in every process before the barrier, as a ring in
 * use is: no trial pays page faults (the parent's MAP_POPULATE alone did
 * not do it: fork copies no page tables of a shared mapping, so each child
 * faulted on every page it touched first). Records: an 8-byte header (length; ~0 pads to the
 * end), then the payload, 8-byte aligned.
 */
#include <errno.h>
#include <linux/futex.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mbox.h>

#include "bench.h"

#define RING_SIZE	(4u << 20)
#define PAD		0xffffffffu

struct shm_ring {
	_Alignas(64) _Atomic uint32_t head;	/* producer's */
	_Atomic uint64_t cons_waiting;
	_Alignas(64) _Atomic uint32_t tail;	/* consumer's */
	_Atomic uint64_t prod_waiting;
	_Alignas(64) uint8_t data[];
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static size_t rec_len(size_t len)
{
	return 8 + ((len + 7) & ~(size_t)7);
}

static int shm_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		c->shm[d] = mmap(NULL, sizeof(struct shm_ring) + RING_SIZE,
				 PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (c->shm[d] == MAP_FAILED)
			return -errno;
	}
	return 0;
}

/*
 * In each process, before the barrier: fork does not copy the page tables
 * of a shared mapping, so the parent's MAP_POPULATE does not reach the
 * children.
 */
static int shm_attach(struct chan *c)
{
	for (int d = 0; d < 2; d++)
		if (madvise(c->shm[d], sizeof(struct shm_ring) + RING_SIZE, MADV_POPULATE_WRITE))
			return -errno;
	return 0;
}

static void shm_teardown(struct chan *c)
{
	munmap(c->shm[0], sizeof(struct shm_ring) + RING_SIZE);
	munmap(c->shm[1], sizeof(struct shm_ring) + RING_SIZE);
}

#define SPINS	200	/* shm-spin: loads before the first yield, other vCPU */

/*
 * The waiting flags: bit 0 says the side sleeps (or is about to), bits 1-31
 * count its waits, bits 32-63 hold the index value it waits to see change.
 * Only the sleeper raises bit 0, each time with a new count; a waker clears
 * it, with a compare-and-swap of the exact value it saw, only when the index
 * value it stored is not the one the sleeper waits on, and then makes the
 * one FUTEX_WAKE of that sleep.
 *
 * Each closed a lost wake-up in turn:
 * - the count: a late waker can never clear the flag of the sleeper's next
 *   wait (it did with a plain store; seen in 2 of 3 real-time trials of the
 *   64 B stream);
 * - the index value: a waker whose store the sleeper had already seen
 *   before it raised its flag (the sleeper consumed that message, found the
 *   ring empty and began to wait, all between the waker's store and its
 *   flag load) must leave the flag to the next store. It claimed it before:
 *   its FUTEX_WAKE, made before the sleeper's FUTEX_WAIT, woke nobody, the
 *   FUTEX_WAIT then found the index unchanged (rightly: that store was
 *   already consumed) and slept, and every later store found the flag down.
 *   An ftrace of futex calls caught it: the last wake returned 0 while the
 *   wait begun a microsecond earlier slept for good (docs/performance.md).
 * An exhaustive model check of every interleaving (one producer, one
 * consumer, small rings, pad records, spurious wake-ups) finds no lost
 * wake-up in this protocol, and finds the old ones; it also finds the
 * index value alone enough. The count stays: it costs nothing, and a
 * dumped flag then says which wait it belongs to.
 */
#define WAITING		1u
#define WAIT_COUNT	0xfffffffeu

/* The flag is shared between processes: its atomics must not take a lock. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics take a lock here");

/*
 * Wait until *@idx differs from @seen: sleep if @sleep, else spin @spins
 * loads and yield.
 */
static void wait_change(_Atomic uint32_t *idx, _Atomic uint64_t *waiting,
			uint32_t seen, bool sleep, int spins)
{
	for (int i = 0; !sleep && i < spins; i++) {
		if (atomic_load_explicit(idx, memory_order_acquire) != seen)
			return;
	}
	while (atomic_load_explicit(idx, memory_order_acquire) == seen) {
		uint32_t count;

		if (!sleep) {
			sched_yield();
			continue;
		}
		count = (uint32_t)atomic_load_explicit(waiting, memory_order_relaxed) & WAIT_COUNT;
		atomic_store(waiting, (uint64_t)seen << 32 | ((count + 2) & WAIT_COUNT) | WAITING);
		/* The other side checks the flag after moving its index. */
		if (atomic_load(idx) == seen)
			futex(idx, FUTEX_WAIT, seen);
		atomic_fetch_and(waiting, ~(uint64_t)WAITING);
	}
}

/* After storing @stored in *@idx: wake the other side if it waits for a change. */
static void wake(_Atomic uint32_t *idx, _Atomic uint64_t *waiting, uint32_t stored)
{
	uint64_t w;

	/* Order our index store before the flag load (the sleeper does the reverse). */
	atomic_thread_fence(memory_order_seq_cst);
	w = atomic_load(waiting);
	if ((w & WAITING) && (uint32_t)(w >> 32) != stored &&
	    atomic_compare_exchange_strong(waiting, &w, w & ~(uint64_t)WAITING))
		futex(idx, FUTEX_WAKE, 1);
}

static int ring_send(struct chan *c, const void *buf, size_t len, bool sleep)
{
	struct shm_ring *r = c->shm[c->send_dir];
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t need = rec_len(len);
	uint32_t off = head & (RING_SIZE - 1);

	/* A record never wraps: pad to the end first if it would. */
	if (off + need > RING_SIZE)
		need += RING_SIZE - off;
	for (;;) {
		uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

		if (RING_SIZE - (head - tail) >= need)
			break;
		wait_change(&r->tail, &r->prod_waiting, tail, sleep, c->one_cpu ? 0 : SPINS);
	}
	if (off + rec_len(len) > RING_SIZE) {
		*(uint32_t *)&r->data[off] = PAD;
		head += RING_SIZE - off;
		off = 0;
	}
	*(uint32_t *)&r->data[off] = (uint32_t)len;
	memcpy(&r->data[off + 8], buf, len);
	head += (uint32_t)rec_len(len);
	atomic_store_explicit(&r->head, head, memory_order_release);
	if (sleep)
		wake(&r->head, &r->cons_waiting, head);
	return 0;
}

static int ring_recv(struct chan *c, void *buf, size_t len, bool sleep)
{
	struct shm_ring *r = c->shm[c->recv_dir];
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t n;

	for (;;) {
		uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		uint32_t off = tail & (RING_SIZE - 1);

		if (head == tail) {
			wait_change(&r->head, &r->cons_waiting, head, sleep,
				    c->one_cpu ? 0 : SPINS);
			continue;
		}
		n = *(uint32_t *)&r->data[off];
		if (n == PAD) {
			tail += RING_SIZE - off;
			continue;
		}
		if (n > len)
			return -EMSGSIZE;
		memcpy(buf, &r->data[off + 8], n);
		tail += (uint32_t)rec_len(n);
		atomic_store_explicit(&r->tail, tail, memory_order_release);
		if (sleep)
			wake(&r->tail, &r->prod_waiting, tail);
		return (int)n;
	}
}

/* A killed trial's rings: indices and waiting flags of both directions. */
static void shm_dump(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		struct shm_ring *r = c->shm[d];

		fprintf(stderr, "  direction %d: head %u tail %u cons_waiting %#" PRIx64
			" prod_waiting %#" PRIx64 "\n",
			d, atomic_load(&r->head), atomic_load(&r->tail),
			atomic_load(&r->cons_waiting), atomic_load(&r->prod_waiting));
	}
}

static int futex_send(struct chan *c, const void *buf, size_t len)
{
	return ring_send(c, buf, len, true);
}

static int futex_recv(struct chan *c, void *buf, size_t len)
{
	return ring_recv(c, buf, len, true);
}

static int spin_send(struct chan *c, const void *buf, size_t len)
{
	return ring_send(c, buf, len, false);
}

static int spin_recv(struct chan *c, void *buf, size_t len)
{
	return ring_recv(c, buf, len, false);
}

const struct mech shm_mechs[] = {
	{ .name = "shm-futex", .caps = CAN_PINGPONG | CAN_STREAM, .max_size = 1 << 20,
	  .setup = shm_setup, .attach = shm_attach, .send = futex_send, .recv = futex_recv,
	  .teardown = shm_teardown, .dump = shm_dump },
	{ .name = "shm-spin", .caps = CAN_PINGPONG | CAN_STREAM, .max_size = 1 << 20,
	  .setup = shm_setup, .attach = shm_attach, .send = spin_send, .recv = spin_recv,
	  .teardown = shm_teardown, .dump = shm_dump },
};

const size_t nr_shm_mechs = sizeof(shm_mechs) / sizeof(shm_mechs[0]);
