// SPDX-License-Identifier: GPL-2.0
/*
 * The two kinds of binding thread.
 *
 * Outbound (mailbox -> broker), per message, up to "window" messages in
 * flight (published, not yet confirmed):
 *   1. peek the mailbox's head (MBOX_RECV_PEEK): it stays queued;
 *   2. write it to a journal file of its own (NAME.out.IDX, IDX in take
 *      order), with the boot ID; a write failure stops the bridge with the
 *      message still in the mailbox;
 *   3. take exactly that message out of the mailbox by its sequence number
 *      (MBOX_RECV_SEQ: whatever arrived meanwhile stays queued);
 *   4. publish the journal's message, persistent, with its priority,
 *      sender, seq and a message ID "<boot id>:<mailbox id>:<seq>" that is
 *      the same however often it is published;
 *   5. on the broker's confirm (ack, maybe "multiple") clear its journal
 *      file; a nack (the queue is full): wait and publish it again; a
 *      lost connection: publish every unconfirmed one again, in take
 *      order. At start the journal files are read back in take order.
 *   A kill at any point leaves every unconfirmed message in the mailbox or
 *   the journal; if in both (killed between 2 and 3), the restarted bridge
 *   first takes it out of the mailbox by its seq. Only a kill between the
 *   confirm and the clearing publishes a message twice (same ID: the
 *   inbound side drops the second). Never lost.
 *   A broadcast subscription (no MBOX_RECV_SEQ: it is read in send order,
 *   by this descriptor only) is received plainly in step 3.
 *
 * Inbound (broker -> mailbox), per delivery (manual acks, prefetch N):
 *   1. an ID already delivered (dedupe window, kept on disk) is acked and
 *      dropped;
 *   2. log "pending: ID, mailbox's sent counter", then send into the
 *      mailbox, blocking (backpressure: unacked deliveries stop the broker);
 *      temporary errors (EDQUOT, ENOSPC, ENOMEM...) are retried with backoff,
 *      only EMSGSIZE/EINVAL/E2BIG refuse the message; a mailbox found
 *      unlinked is reopened by name first;
 *   3. log "done: ID", then ack.
 *   A kill between 2 and 3 is settled at start from the mailbox's counter.
 *   Exactly once into the mailbox, as long as the bridge is the mailbox's
 *   only sender and duplicates arrive within the window.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>

#include "mbox.h"
#include "bridge.h"

#define POLL_NS		200000000LL	/* how often idle threads look at "stop" */
#define CONFIRM_SLICE_NS 200000000LL	/* a confirm is waited for in slices this long */
#define STOP_DRAIN_NS	2000000000LL	/* on SIGTERM, how long confirms are waited for */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long backoff_next(const struct br_broker *bk, long cur)
{
	long n = cur ? cur * 2 : bk->backoff_min_ms;

	return n > bk->backoff_max_ms ? bk->backoff_max_ms : n;
}

/* Connect, retrying with backoff; false when stopping or on a fatal error. */
static bool connect_loop(struct binding *b, amqp_connection_state_t *conn)
{
	struct bridge *br = b->br;
	char err[BR_ERR_MAX];
	long delay = 0;

	for (;;) {
		enum br_err e;

		if (atomic_load(&br->stop))
			return false;
		br_set_state(b, "connecting", NULL);
		e = br_connect(b, conn, err, sizeof(err));
		if (e == BR_OK) {
			br_set_state(b, "connected", NULL);
			return true;
		}
		if (e == BR_FATAL) {
			br_set_state(b, "failed", err);
			atomic_store(&br->fatal, 1);
			atomic_store(&br->stop, 1);
			return false;
		}
		delay = backoff_next(&br->broker, delay);
		br_set_state(b, "disconnected", err);
		br_log(b, "retrying in %ld ms", delay);
		br_sleep_ms(br, delay);
	}
}

static int open_mailbox(struct binding *b, unsigned int flags, struct mbox_info *info)
{
	int fd = mbox_open(-1, b->mailbox, flags, NULL, NULL);
	int ret;

	if (fd < 0)
		return fd;
	ret = mbox_info(fd, info);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	if (b->dir == BR_OUT && (info->mb_flags & MBOX_MB_BROADCAST)) {
		ret = mbox_subscribe(fd);
		if (ret < 0) {
			close(fd);
			return ret;
		}
	}
	return fd;
}

static void fatal(struct binding *b, const char *err)
{
	br_set_state(b, "failed", err);
	atomic_store(&b->br->fatal, 1);
	atomic_store(&b->br->stop, 1);
}

/* ---- outbound ---- */

/*
 * A message in flight: journaled in its own file (STATE-DIR/NAME.out.IDX),
 * taken out of the mailbox, published on this connection or waiting to be,
 * not yet confirmed by the broker.
 */
struct flight {
	long long idx;		/* the journal file's index; -1: an older bridge's NAME.out */
	char boot[BR_BOOT_MAX];	/* the boot it was taken in ("": unknown) */
	struct br_msg m;
	void *payload;
	uint64_t tag;		/* delivery tag of its publish on this connection; 0: none */
	int64_t sent_ns;	/* when it was published */
};

/* STATE-DIR/NAME.out.IDX */
#define JPATH_MAX	(PATH_MAX + BR_NAME_MAX + 32)

struct out {
	struct binding *b;
	amqp_connection_state_t conn;
	uint64_t tag;		/* delivery tag of the last publish on this channel */
	bool returned;		/* the broker returned a publish as unroutable */
	struct flight *f;	/* in the order they were taken */
	int nf, cap;
	long long next_idx;
	long full_delay;	/* ms to wait after a nack before publishing again */
	char err[BR_ERR_MAX];
};

static void jfile(const struct out *o, long long idx, char *path, size_t len)
{
	const struct bridge *br = o->b->br;

	if (idx < 0)
		snprintf(path, len, "%s/%s.out", br->state_dir, o->b->name);
	else
		snprintf(path, len, "%s/%s.out.%lld", br->state_dir, o->b->name, idx);
}

/* Publish @f (not waiting for its confirm). 0, or -1 with o->err. */
static int publish(struct out *o, struct flight *f)
{
	struct binding *b = o->b;
	struct bridge *br = b->br;
	const struct br_msg *m = &f->m;
	amqp_basic_properties_t props;
	amqp_table_entry_t h[6];
	char id[BR_ID_MAX];
	amqp_bytes_t body = { .len = m->len, .bytes = f->payload };
	int rc;

	/* The boot it was taken in: a journal may outlive a reboot. */
	snprintf(id, sizeof(id), "%s:%" PRIu64 ":%" PRIu64, f->boot[0] ? f->boot : br->boot_id,
		 m->mbid, m->seq);
	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
		       AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
		       AMQP_BASIC_USER_ID_FLAG | AMQP_BASIC_APP_ID_FLAG |
		       AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
	/* AMQP's priority is an octet; the exact one travels in x-mbox-priority. */
	props.priority = (uint8_t)(m->prio > UINT8_MAX ? UINT8_MAX : m->prio);
	props.delivery_mode = b->persistent ? 2 : 1;
	props.message_id = amqp_cstring_bytes(id);
	props.timestamp = (uint64_t)time(NULL);
	props.user_id = amqp_cstring_bytes(br->broker.user);
	props.app_id = amqp_cstring_bytes("mbox-bridge");
	props.content_type = amqp_cstring_bytes("application/octet-stream");
	h[0].key = amqp_cstring_bytes("x-mbox-host");
	h[0].value.kind = AMQP_FIELD_KIND_UTF8;
	h[0].value.value.bytes = amqp_cstring_bytes(br->hostname);
	h[1].key = amqp_cstring_bytes("x-mbox-pid");
	h[1].value.kind = AMQP_FIELD_KIND_I64;
	h[1].value.value.i64 = m->pid;
	h[2].key = amqp_cstring_bytes("x-mbox-uid");
	h[2].value.kind = AMQP_FIELD_KIND_I64;
	h[2].value.value.i64 = m->uid;
	h[3].key = amqp_cstring_bytes("x-mbox-seq");
	h[3].value.kind = AMQP_FIELD_KIND_I64;
	h[3].value.value.i64 = (int64_t)m->seq;
	h[4].key = amqp_cstring_bytes("x-mbox-mailbox");
	h[4].value.kind = AMQP_FIELD_KIND_UTF8;
	h[4].value.value.bytes = amqp_cstring_bytes(b->mailbox);
	h[5].key = amqp_cstring_bytes("x-mbox-priority");
	h[5].value.kind = AMQP_FIELD_KIND_I64;
	h[5].value.value.i64 = m->prio;
	props.headers.num_entries = 6;
	props.headers.entries = h;

	/* A queue: the default exchange, mandatory (an unroutable message comes back). */
	rc = amqp_basic_publish(o->conn, 1,
				b->exchange[0] ? amqp_cstring_bytes(b->exchange) : amqp_empty_bytes,
				b->exchange[0] ? amqp_empty_bytes : amqp_cstring_bytes(b->queue),
				b->exchange[0] ? 0 : 1, 0, &props, body);
	if (rc != AMQP_STATUS_OK) {
		snprintf(o->err, sizeof(o->err), "publishing: %s", amqp_error_string2(rc));
		return -1;
	}
	f->tag = ++o->tag;
	f->sent_ns = mono_ns();
	return 0;
}

/* Publish, in take order, every flight not yet published on this connection. */
static int publish_pending(struct out *o)
{
	bool any = false;

	for (int i = 0; i < o->nf; i++)
		any |= !o->f[i].tag;
	if (!any)
		return 0;
	if (o->full_delay)
		br_sleep_ms(o->b->br, o->full_delay);
	for (int i = 0; i < o->nf; i++)
		if (!o->f[i].tag && publish(o, &o->f[i]))
			return -1;
	return 0;
}

/* The broker confirmed flight @i: clear its journal file, forget it. -2: fatal. */
static int confirmed(struct out *o, int i)
{
	struct flight *f = &o->f[i];
	char path[JPATH_MAX];
	int n;

	br_count(o->b, &o->b->messages, 1);
	br_crash_point(o->b, "confirmed");
	/* The same moment, when other messages are in flight too. */
	br_crash_point_when(o->b, "inflight", o->nf >= 2);
	jfile(o, f->idx, path, sizeof(path));
	n = journal_clear(path);
	if (n < 0) {
		snprintf(o->err, sizeof(o->err), "journal %.300s: %s", path, strerror(-n));
		return -2;
	}
	free(f->payload);
	memmove(f, f + 1, (size_t)(o->nf - i - 1) * sizeof(*f));
	o->nf--;
	return 0;
}

/* A basic.ack or basic.nack for @tag (and, with @multiple, every one before). */
static int settle(struct out *o, uint64_t tag, bool multiple, bool ack)
{
	struct binding *b = o->b;
	bool nacked = false;

	for (int i = 0; i < o->nf;) {
		struct flight *f = &o->f[i];
		int ret;

		if (!f->tag || !(f->tag == tag || (multiple && f->tag < tag))) {
			i++;
			continue;
		}
		if (!ack) {
			/* The queue is full: keep it, publish it again later. */
			f->tag = 0;
			br_count(b, &b->rejected, 1);
			nacked = true;
			i++;
			continue;
		}
		ret = confirmed(o, i);
		if (ret)
			return ret;
	}
	if (nacked) {
		if (!o->full_delay)
			br_set_state(b, "blocked", "the broker refused the message (queue full): "
				     "publishing it again until there is room");
		o->full_delay = o->full_delay ? o->full_delay * 2 : 10;
		if (o->full_delay > 500)
			o->full_delay = 500;
	} else if (o->full_delay) {
		o->full_delay = 0;
		br_set_state(b, "connected", NULL);
	}
	return 0;
}

/* When the oldest unconfirmed publish times out (INT64_MAX: none is out). */
static int64_t confirm_deadline(const struct out *o)
{
	int64_t d = INT64_MAX;

	for (int i = 0; i < o->nf; i++)
		if (o->f[i].tag) {
			int64_t t = o->f[i].sent_ns +
				    (int64_t)o->b->br->broker.confirm_timeout_ms * 1000000;

			if (t < d)
				d = t;
		}
	return d;
}

/*
 * Read one frame, waiting up to @wait_ns (capped at the confirm deadline):
 * confirms, nacks, returns, a closing broker. 0; -1: the connection failed
 * (o->err); -2: fatal (o->err).
 */
static int out_frame(struct out *o, int64_t wait_ns)
{
	struct binding *b = o->b;
	int64_t left = confirm_deadline(o);
	struct timeval tv;
	amqp_frame_t frame;
	int rc;

	if (left != INT64_MAX) {
		left -= mono_ns();
		if (left <= 0) {
			/* How long ago the oldest unconfirmed one went out. */
			int64_t waited = (int64_t)b->br->broker.confirm_timeout_ms * 1000000 - left;

			snprintf(o->err, sizeof(o->err), "no confirm from the broker within %d ms "
				 "(the oldest message out was published %lld ms ago)",
				 b->br->broker.confirm_timeout_ms, (long long)(waited / 1000000));
			return -1;
		}
		if (wait_ns > left)
			wait_ns = left;
	}
	tv.tv_sec = (time_t)(wait_ns / 1000000000);
	tv.tv_usec = (suseconds_t)((wait_ns % 1000000000 + 999) / 1000);
	rc = amqp_simple_wait_frame_noblock(o->conn, &frame, &tv);
	if (rc == AMQP_STATUS_TIMEOUT)
		return 0;
	if (rc != AMQP_STATUS_OK) {
		snprintf(o->err, sizeof(o->err), "waiting for a confirm: %s",
			 amqp_error_string2(rc));
		return -1;
	}
	if (frame.frame_type != AMQP_FRAME_METHOD)
		return 0;
	switch (frame.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		amqp_basic_ack_t *a = frame.payload.method.decoded;

		/* A return comes right before the ack of the publish it returns. */
		if (o->returned) {
			snprintf(o->err, sizeof(o->err), "queue '%.200s' does not exist (the "
				 "broker returned the message as unroutable)", b->queue);
			return -1;
		}
		return settle(o, a->delivery_tag, a->multiple, true);
	}
	case AMQP_BASIC_NACK_METHOD: {
		amqp_basic_nack_t *n = frame.payload.method.decoded;

		return settle(o, n->delivery_tag, n->multiple, false);
	}
	case AMQP_BASIC_RETURN_METHOD: {
		amqp_message_t msg;
		amqp_rpc_reply_t r;

		o->returned = true;
		r = amqp_read_message(o->conn, 1, &msg, 0);
		if (r.reply_type != AMQP_RESPONSE_NORMAL) {
			snprintf(o->err, sizeof(o->err), "reading a returned message failed");
			return -1;
		}
		amqp_destroy_message(&msg);
		return 0;
	}
	case AMQP_CHANNEL_CLOSE_METHOD: {
		amqp_channel_close_t *c = frame.payload.method.decoded;

		snprintf(o->err, sizeof(o->err), "the broker closed the channel: %u %.*s",
			 c->reply_code, (int)c->reply_text.len, (char *)c->reply_text.bytes);
		return -1;
	}
	case AMQP_CONNECTION_CLOSE_METHOD: {
		amqp_connection_close_t *c = frame.payload.method.decoded;

		snprintf(o->err, sizeof(o->err), "the broker closed the connection: %u %.*s",
			 c->reply_code, (int)c->reply_text.len, (char *)c->reply_text.bytes);
		return -1;
	}
	default:
		return 0;
	}
}

static void out_disconnect(struct out *o, const char *why)
{
	br_disconnect(o->conn, false);
	o->conn = NULL;
	br_set_state(o->b, "disconnected", why);
}

static bool has_recv_seq(void)
{
	int dev = mbox_dev_open(0);
	int ret = dev < 0 ? dev : mbox_has_feature(dev, MBOX_FEAT_RECV_SEQ);

	if (dev >= 0)
		close(dev);
	return ret == 1;
}

/*
 * Take the journaled message @m out of mailbox @fd, now that the journal
 * has it. A mailbox: exactly that message, by its seq (MBOX_RECV_SEQ, into
 * no buffer: the journal has the payload); gone already (another receiver
 * took it, or it was dropped as the oldest): published anyway, logged. A
 * broadcast subscription: its next message, which is @m unless @m was
 * dropped meanwhile for lagging; then the one received is journaled
 * instead, at once (a kill in that instant loses it, as it loses the
 * subscription's whole backlog). 0, or a negative errno (then stop: the
 * message is in the journal, maybe in the mailbox too, both settled at the
 * next start).
 */
static int take_journaled(struct binding *b, int fd, bool bcast, const char *jpath,
			  struct br_msg *m, void *buf, size_t cap)
{
	struct mbox_recv r = { 0 };
	char none;
	int n;

	if (!bcast) {
		r.flags = MBOX_RECV_SEQ | MBOX_RECV_TRUNC | MBOX_WAIT_NONBLOCK;
		r.buf = (uintptr_t)&none;
		r.len = 0;
		r.seq = m->seq;
		n = mbox_recvmsg(fd, &r);
		if (n == -ENOMSG)
			br_log(b, "message seq %" PRIu64 " left mailbox '%s' before the bridge "
			       "took it (another receiver took it, or it was dropped as the "
			       "oldest): it is published anyway", m->seq, b->mailbox);
		return n < 0 && n != -ENOMSG ? n : 0;
	}
	n = mbox_recv(fd, buf, cap, MBOX_WAIT_NONBLOCK, 0, &r);
	if (n == -EAGAIN) {
		/* Nothing received: @buf still holds @m. */
		br_log(b, "message seq %" PRIu64 " left the subscription before the bridge "
		       "took it: it is published anyway", m->seq);
		return 0;
	}
	if (n < 0)
		return n;
	if (r.seq == m->seq)
		return 0;
	br_log(b, "message seq %" PRIu64 " was dropped from the subscription (lagging) "
	       "before the bridge took it; took seq %" PRIu64 " instead", m->seq,
	       (uint64_t)r.seq);
	*m = (struct br_msg){ .seq = r.seq, .mbid = m->mbid, .prio = r.prio,
			      .pid = r.pid, .uid = r.uid, .len = (uint32_t)n };
	return journal_write(jpath, b->br->boot_id, b->name, m, buf);
}

/* Room for one more flight. */
static struct flight *flight_new(struct out *o)
{
	if (o->nf == o->cap) {
		int cap = o->cap ? o->cap * 2 : 16;
		struct flight *f = realloc(o->f, (size_t)cap * sizeof(*f));

		if (!f)
			return NULL;
		o->f = f;
		o->cap = cap;
	}
	return memset(&o->f[o->nf], 0, sizeof(o->f[0]));
}

/* Keep @m (its payload in @buf) as the newest flight. -ENOMEM. */
static int flight_add(struct out *o, long long idx, const char *boot,
		      const struct br_msg *m, const void *buf)
{
	struct flight *f = flight_new(o);

	if (!f)
		return -ENOMEM;
	f->payload = malloc(m->len ? m->len : 1);
	if (!f->payload)
		return -ENOMEM;
	memcpy(f->payload, buf, m->len);
	f->idx = idx;
	snprintf(f->boot, sizeof(f->boot), "%s", boot);
	f->m = *m;
	o->nf++;
	return 0;
}

/*
 * Take the next message, waiting up to @wait_ns for one (0: not at all):
 * peek it, journal it in a file of its own, take exactly it out of the
 * mailbox by its seq; it is always in the mailbox or in the journal (both:
 * settled at start). 1: taken (a new flight, to publish); 0: none; a
 * negative errno: stop (o->err).
 */
static int take_next(struct out *o, int fd, const struct mbox_info *info, void *buf,
		     size_t cap, int64_t wait_ns)
{
	struct binding *b = o->b;
	char path[JPATH_MAX];
	struct mbox_recv meta;
	struct br_msg m;
	long long idx;
	int n;

	n = mbox_recv(fd, buf, cap,
		      MBOX_RECV_PEEK | (wait_ns ? MBOX_WAIT_TIMEOUT : MBOX_WAIT_NONBLOCK),
		      wait_ns, &meta);
	if (n == -ETIMEDOUT || n == -EINTR || n == -EAGAIN)
		return 0;
	if (n < 0) {
		snprintf(o->err, sizeof(o->err), "receiving from mailbox '%s': %s", b->mailbox,
			 mbox_strerror(n));
		return n;
	}
	m = (struct br_msg){ .seq = meta.seq, .mbid = info->id, .prio = meta.prio,
			     .pid = meta.pid, .uid = meta.uid, .len = (uint32_t)n };
	idx = o->next_idx++;
	jfile(o, idx, path, sizeof(path));
	n = journal_write(path, b->br->boot_id, b->name, &m, buf);
	if (n < 0) {
		snprintf(o->err, sizeof(o->err), "journal %.300s: %s: cannot write it, so message "
			 "seq %" PRIu64 " stays in mailbox '%s' (free space in the state "
			 "directory and start again)", path, strerror(-n), m.seq, b->mailbox);
		return n;
	}
	br_crash_point(b, "journaled");
	n = take_journaled(b, fd, info->mb_flags & MBOX_MB_BROADCAST, path, &m, buf, cap);
	if (n < 0) {
		snprintf(o->err, sizeof(o->err), "taking message seq %" PRIu64 " out of mailbox "
			 "'%s' after journaling it: %s", m.seq, b->mailbox, mbox_strerror(n));
		return n;
	}
	br_crash_point(b, "received");
	n = flight_add(o, idx, b->br->boot_id, &m, buf);
	if (n < 0) {
		snprintf(o->err, sizeof(o->err), "out of memory (message seq %" PRIu64 " is in "
			 "the journal, published at the next start)", m.seq);
		return n;
	}
	return 1;
}

/*
 * A journal file another binding wrote (a copy, a restore gone wrong):
 * moved aside to PATH.foreign.TIME, never published here. 0, or a negative
 * errno (o->err).
 */
static int move_aside(struct out *o, const char *path, const char *why, const char *owner)
{
	char aside[JPATH_MAX + 32];

	snprintf(aside, sizeof(aside), "%s.%s.%lld", path, why, (long long)time(NULL));
	if (rename(path, aside)) {
		int e = errno;

		snprintf(o->err, sizeof(o->err), "journal %.300s was written by binding '%s', "
			 "not this one, and cannot be moved aside (%s): remove it and start "
			 "again", path, owner, strerror(e));
		return -e;
	}
	br_log(o->b, "journal %s was written by binding '%s', not by this one: moved it "
	       "aside to %s and going on; its message is not published here (inspect "
	       "that file)", path, owner, aside);
	return 0;
}

/* A file named like a journal file that is none: left alone, but said. */
static void odd_journal(void *arg, const char *file)
{
	struct binding *b = arg;

	br_log(b, "ignoring %s/%s: named like a journal file of this binding, but '%s.out.' is "
	       "not followed by an index from 0 to 999999999999999999 (not written by this "
	       "bridge: inspect it, remove it)", b->br->state_dir, file, b->name);
}

/*
 * At start: every journal file is a message taken and not confirmed; they
 * become the first flights, in take order. One taken in this boot from this
 * mailbox may still be queued there (killed between journaling and taking
 * it): it is taken out now, so that it is published once. A corrupt file is
 * moved aside. 0, or a negative errno (o->err).
 */
static int load_journal(struct out *o, int fd, const struct mbox_info *info, void *buf,
			size_t cap)
{
	struct binding *b = o->b;
	long long *idx;
	int n = journal_list(b->br->state_dir, b->name, &idx, odd_journal, b);

	if (n < 0) {
		snprintf(o->err, sizeof(o->err), "reading the state directory %.300s: %s",
			 b->br->state_dir, strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		char path[JPATH_MAX], aside[JPATH_MAX + 32], boot[BR_BOOT_MAX];
		char owner[BR_NAME_MAX];
		struct mbox_recv r = { 0 };
		struct br_msg m;
		char none;
		int ret;

		jfile(o, idx[i], path, sizeof(path));
		if (idx[i] >= o->next_idx)
			o->next_idx = idx[i] + 1;
		ret = journal_read(path, boot, owner, &m, buf, cap);
		if (ret == 0) {
			/* Listed, yet gone: a dangling symlink (the state dir is locked). */
			br_log(b, "ignoring journal %s: it cannot be opened (a dangling symbolic "
			       "link?): inspect it, remove it", path);
			continue;
		}
		if (ret == 1 && owner[0] && strcmp(owner, b->name)) {
			/* Copied in from another binding's journal: not ours to publish. */
			ret = move_aside(o, path, "foreign", owner);
			if (ret < 0) {
				free(idx);
				return ret;
			}
			continue;
		}
		if (ret == -EBADMSG) {
			/* Not written by this bridge, truncated: keep it for inspection. */
			snprintf(aside, sizeof(aside), "%s.corrupt.%lld", path,
				 (long long)time(NULL));
			if (rename(path, aside)) {
				snprintf(o->err, sizeof(o->err), "journal %.300s is corrupt and "
					 "cannot be moved aside (%s): remove it and start again",
					 path, strerror(errno));
				free(idx);
				return -errno;
			}
			br_log(b, "journal %s is corrupt (not a journal entry, or truncated): "
			       "moved it aside to %s and going on; the message it held, if any, "
			       "is not published (inspect that file)", path, aside);
			continue;
		}
		if (ret < 0) {
			snprintf(o->err, sizeof(o->err), "journal %.300s: %s", path, strerror(-ret));
			free(idx);
			return ret;
		}
		if (!(info->mb_flags & MBOX_MB_BROADCAST) && !strcmp(boot, b->br->boot_id) &&
		    m.mbid == info->id) {
			r.flags = MBOX_RECV_SEQ | MBOX_RECV_TRUNC | MBOX_WAIT_NONBLOCK;
			r.buf = (uintptr_t)&none;
			r.seq = m.seq;
			ret = mbox_recvmsg(fd, &r);
			if (ret >= 0)
				br_log(b, "journaled message seq %" PRIu64 " was still in mailbox "
				       "'%s': took it out (it is published from the journal, once)",
				       m.seq, b->mailbox);
			else if (ret != -ENOMSG) {
				snprintf(o->err, sizeof(o->err), "taking the journaled message seq %"
					 PRIu64 " out of mailbox '%s': %s", m.seq, b->mailbox,
					 mbox_strerror(ret));
				free(idx);
				return ret;
			}
		}
		ret = flight_add(o, idx[i], boot, &m, buf);
		if (ret < 0) {
			snprintf(o->err, sizeof(o->err), "out of memory");
			free(idx);
			return ret;
		}
		br_count(b, &b->republished, 1);
	}
	free(idx);
	return 0;
}

/*
 * Idle (nothing in flight, nothing to take): about once a second, was the
 * mailbox removed (and created again)? And did the broker go away? Return
 * false when the connection is gone.
 */
static bool out_idle(struct out *o, int *fd, struct mbox_info *info, unsigned long *idle,
		     bool *unlinked_said)
{
	struct binding *b = o->b;
	struct timeval tv0 = { 0, 0 };
	amqp_frame_t frame;
	struct mbox_info cur;
	int rc;

	if (++*idle % 5 == 0 && mbox_info(*fd, &cur) == 0 && (cur.state & MBOX_STATE_UNLINKED)) {
		int nfd = open_mailbox(b, MBOX_OPEN_RECV, &cur);

		if (nfd >= 0) {
			br_log(b, "mailbox '%s' (id %llu) was removed: reopened it by name "
			       "(id %llu)", b->mailbox, (unsigned long long)info->id,
			       (unsigned long long)cur.id);
			close(*fd);
			*fd = nfd;
			*info = cur;
			*unlinked_said = false;
		} else if (!*unlinked_said) {
			br_log(b, "mailbox '%s' was removed: waiting for it to be created again",
			       b->mailbox);
			*unlinked_said = true;
		}
	}
	rc = amqp_simple_wait_frame_noblock(o->conn, &frame, &tv0);
	if (rc == AMQP_STATUS_TIMEOUT)
		return true;
	if (rc == AMQP_STATUS_OK && (frame.frame_type != AMQP_FRAME_METHOD ||
				     (frame.payload.method.id != AMQP_CONNECTION_CLOSE_METHOD &&
				      frame.payload.method.id != AMQP_CHANNEL_CLOSE_METHOD)))
		return true;
	snprintf(o->err, sizeof(o->err), "%s", rc == AMQP_STATUS_OK ?
		 "the broker closed the connection" : amqp_error_string2(rc));
	return false;
}

/*
 * With room in the window and messages in flight: wait for whichever comes
 * first, a message in the mailbox or a frame from the broker (up to the
 * confirm deadline). True when a frame is there to read.
 */
static bool out_wait_either(struct out *o, int fd)
{
	int64_t left = confirm_deadline(o) - mono_ns();
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = amqp_get_sockfd(o->conn), .events = POLLIN },
	};
	int ms = 200;

	if (amqp_frames_enqueued(o->conn) || amqp_data_in_buffer(o->conn))
		return true;
	if (left < (int64_t)ms * 1000000)
		ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
	if (poll(p, 2, ms) <= 0)
		return !ms || confirm_deadline(o) <= mono_ns();
	return p[1].revents != 0;
}

void *br_outbound(void *arg)
{
	struct out o = { .b = arg };
	struct binding *b = o.b;
	struct bridge *br = b->br;
	struct mbox_info info;
	unsigned long idle = 0;
	bool unlinked_said = false;
	long delay = 0;
	void *buf;
	size_t cap;
	int fd, n;

	fd = open_mailbox(b, MBOX_OPEN_RECV, &info);
	if (fd < 0) {
		snprintf(o.err, sizeof(o.err), "cannot open mailbox '%s' to receive: %s",
			 b->mailbox, mbox_strerror(fd));
		fatal(b, o.err);
		return NULL;
	}
	cap = info.msg_size_max ? info.msg_size_max : 65536;
	buf = malloc(cap);
	if (!buf) {
		fatal(b, "out of memory");
		close(fd);
		return NULL;
	}
	if (!(info.mb_flags & MBOX_MB_BROADCAST) && !has_recv_seq()) {
		fatal(b, "the mbox module lacks MBOX_RECV_SEQ (MBOX_FEAT_RECV_SEQ), which an "
		      "outbound binding needs to take exactly the message it journaled: "
		      "load a newer mbox.ko");
		goto out;
	}
	if (load_journal(&o, fd, &info, buf, cap) < 0) {
		fatal(b, o.err);
		goto out;
	}

	while (!atomic_load(&br->stop)) {
		if (!o.conn) {
			if (delay)
				br_sleep_ms(br, delay);
			if (!connect_loop(b, &o.conn))
				break;
			/* Whatever was unconfirmed is published again (same IDs). */
			o.tag = 0;
			o.returned = false;
			for (int i = 0; i < o.nf; i++)
				o.f[i].tag = 0;
			delay = 0;
		}
		if (publish_pending(&o)) {
			delay = backoff_next(&br->broker, 0);
			out_disconnect(&o, o.err);
			continue;
		}
		if (o.nf < b->window) {
			n = take_next(&o, fd, &info, buf, cap, o.nf ? 0 : POLL_NS);
			if (n < 0) {
				fatal(b, o.err);
				break;
			}
			if (n > 0)
				continue;	/* published at the top */
			if (!o.nf) {
				if (!out_idle(&o, &fd, &info, &idle, &unlinked_said)) {
					delay = backoff_next(&br->broker, 0);
					out_disconnect(&o, o.err);
				}
				continue;
			}
			if (!out_wait_either(&o, fd))
				continue;	/* a message to take (or a timeout to see) */
		}
		n = out_frame(&o, o.nf < b->window ? 0 : CONFIRM_SLICE_NS);
		if (n == -2) {
			fatal(b, o.err);
			break;
		}
		if (n == -1) {
			delay = backoff_next(&br->broker, 0);
			out_disconnect(&o, o.err);
		}
	}
	/* Stopping: give what is out a moment to be confirmed (else: at the next start). */
	for (int64_t end = mono_ns() + STOP_DRAIN_NS; o.conn && o.nf && mono_ns() < end;) {
		bool out = false;

		for (int i = 0; i < o.nf; i++)
			out |= o.f[i].tag != 0;
		if (!out || out_frame(&o, CONFIRM_SLICE_NS) < 0)
			break;
	}
out:
	br_disconnect(o.conn, true);
	for (int i = 0; i < o.nf; i++)
		free(o.f[i].payload);
	free(o.f);
	free(buf);
	close(fd);
	br_set_state(b, "stopped", NULL);
	return NULL;
}

/* ---- inbound ---- */

static const amqp_table_entry_t *header_find(const amqp_table_t *t, const char *key)
{
	for (int i = 0; i < t->num_entries; i++) {
		const amqp_table_entry_t *e = &t->entries[i];

		if (e->key.len == strlen(key) && !memcmp(e->key.bytes, key, e->key.len))
			return e;
	}
	return NULL;
}

/* A printable ASCII byte other than the blank: what IDs and envelope fields hold. */
static bool graphic(char c)
{
	return c > ' ' && c < 0x7f;
}

static bool header_str(const amqp_table_t *t, const char *key, char *out, size_t len)
{
	const amqp_table_entry_t *e = header_find(t, key);

	if (!e)
		return false;
	switch (e->value.kind) {
	case AMQP_FIELD_KIND_UTF8:
	case AMQP_FIELD_KIND_BYTES:
		snprintf(out, len, "%.*s", (int)e->value.value.bytes.len,
			 (char *)e->value.value.bytes.bytes);
		/* A header value goes into one line (the envelope): no blanks, no controls. */
		for (char *c = out; *c; c++)
			if (!graphic(*c))
				*c = '?';
		return true;
	case AMQP_FIELD_KIND_I64:
		snprintf(out, len, "%" PRId64, e->value.value.i64);
		return true;
	case AMQP_FIELD_KIND_I32:
		snprintf(out, len, "%" PRId32, e->value.value.i32);
		return true;
	case AMQP_FIELD_KIND_U32:
		snprintf(out, len, "%" PRIu32, e->value.value.u32);
		return true;
	default:
		return false;
	}
}

struct in {
	struct binding *b;
	amqp_connection_state_t conn;
	int fd;
	uint64_t mbid;
	struct dedupe *dd;
	char *buf;
	size_t cap;
	char err[BR_ERR_MAX];
	/* Bad x-mbox-priority headers: logged up to BADPRIO_LINES a minute. */
	int64_t badprio_since;
	unsigned long badprio_logged, badprio_quiet;
};

#define BADPRIO_LINES	10
#define BADPRIO_PERIOD_NS 60000000000LL

/*
 * Errors from the local send that no retry can clear: the message is refused
 * (rejected without requeue, counted). Everything else (a full mailbox, the
 * sender's byte quota, no memory, ...) is temporary: the delivery is held.
 */
static bool send_permanent(int err)
{
	return err == -EMSGSIZE || err == -EINVAL || err == -E2BIG;
}

/*
 * The mailbox was removed (and maybe created again) while we hold it open:
 * sending into the unlinked one would reach nobody. Reopen it by name.
 * 0: fine (or reopened); -1: fatal (stopping).
 */
static int reopen_if_unlinked(struct in *in)
{
	struct binding *b = in->b;
	struct mbox_info info;
	int fd, ret;

	ret = mbox_info(in->fd, &info);
	if (ret < 0) {
		snprintf(in->err, sizeof(in->err), "mailbox '%s': %s", b->mailbox,
			 mbox_strerror(ret));
		fatal(b, in->err);
		return -1;
	}
	if (!(info.state & MBOX_STATE_UNLINKED))
		return 0;
	br_log(b, "mailbox '%s' (id %llu) was removed: reopening it by name", b->mailbox,
	       (unsigned long long)info.id);
	for (;;) {
		fd = open_mailbox(b, MBOX_OPEN_SEND, &info);
		if (fd >= 0)
			break;
		if (fd != -ENOENT) {
			snprintf(in->err, sizeof(in->err), "reopening mailbox '%s': %s",
				 b->mailbox, mbox_strerror(fd));
			fatal(b, in->err);
			return -1;
		}
		br_set_state(b, "blocked", "the mailbox was removed: waiting for it to be "
			     "created again (deliveries held)");
		br_sleep_ms(b->br, 1000);
		if (atomic_load(&b->br->stop))
			return -1;
	}
	close(in->fd);
	in->fd = fd;
	in->mbid = info.id;
	br_log(b, "mailbox '%s' reopened (id %llu)", b->mailbox, (unsigned long long)info.id);
	br_set_state(b, "connected", NULL);
	return 0;
}

/* The dedupe log cannot be written: say which file and why, then stop. */
static void state_error(struct in *in, int err, const char *what)
{
	snprintf(in->err, sizeof(in->err), "state file %.300s: %s: %s; free space there and "
		 "start again", dedupe_path(in->dd), strerror(-err), what);
	fatal(in->b, in->err);
}

/* A whole number 0-MBOX_PRIO_MAX in decimal, nothing else. */
static bool parse_prio(const char *s, unsigned int *prio)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > MBOX_PRIO_MAX)
		return false;
	*prio = (unsigned int)v;
	return true;
}

/*
 * The message's mbox priority: x-mbox-priority when another bridge (or a
 * well-behaved publisher) set it, else the AMQP priority (an octet: always
 * within MBOX_PRIO_MAX), else 0. A header that is there but is no
 * priority (out of range, not a number) is logged, rate-limited, and the
 * message goes at the fallback.
 */
static unsigned int delivery_prio(struct in *in, const amqp_basic_properties_t *p,
				  const char *id)
{
	unsigned int prio = 0, xprio;
	bool has_amqp = p->_flags & AMQP_BASIC_PRIORITY_FLAG;
	const amqp_table_entry_t *e;
	char hp[48] = "";
	int64_t now;

	if (has_amqp)
		prio = p->priority;
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return prio;
	e = header_find(&p->headers, "x-mbox-priority");
	if (!e)
		return prio;
	if (header_str(&p->headers, "x-mbox-priority", hp, sizeof(hp)) && parse_prio(hp, &xprio))
		return xprio;
	now = mono_ns();
	if (now - in->badprio_since >= BADPRIO_PERIOD_NS) {
		if (in->badprio_quiet)
			br_log(in->b, "%lu more messages with a bad x-mbox-priority were not logged",
			       in->badprio_quiet);
		in->badprio_since = now;
		in->badprio_logged = in->badprio_quiet = 0;
	}
	if (in->badprio_logged++ >= BADPRIO_LINES) {
		in->badprio_quiet++;
		return prio;
	}
	br_log(in->b, "message %s: x-mbox-priority %s%s%s is not a priority (a whole number "
	       "0-%d): delivered at priority %u (%s)%s", id[0] ? id : "without ID",
	       hp[0] ? "'" : "", hp[0] ? hp : "(not a number or a string)", hp[0] ? "'" : "",
	       MBOX_PRIO_MAX, prio, has_amqp ? "its AMQP priority" : "it has no AMQP priority",
	       in->badprio_logged == BADPRIO_LINES ? "; more such lines this minute are not "
	       "logged" : "");
	return prio;
}

/* 0: acked; 1: stopping (not acked); -1: connection failure. */
static int deliver(struct in *in, amqp_envelope_t *env)
{
	struct binding *b = in->b;
	struct bridge *br = b->br;
	amqp_basic_properties_t *p = &env->message.properties;
	char id[BR_ID_MAX] = "", msgid[BR_MSGID_MAX] = "";
	const void *payload = env->message.body.bytes;
	size_t len = env->message.body.len;
	unsigned int prio;
	bool blocked = false;
	long tmp_delay = 0;
	int ret, last_err = 0;

	if (reopen_if_unlinked(in) < 0)
		return 1;
	/*
	 * Duplicates are detected by "<user_id>/<message ID>": the broker
	 * checks a message's user_id against the publisher's login, so a
	 * publisher under another user cannot take the IDs of a bridge's
	 * messages (they are predictable) to have them dropped as duplicates.
	 * Both are encoded (dedupe_key()): a blank or a newline written as it
	 * came would forge lines of the state file. A message without both
	 * is delivered without duplicate detection.
	 */
	if ((p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) &&
	    id_encode(p->message_id.bytes, p->message_id.len, msgid, sizeof(msgid), 0) &&
	    (p->_flags & AMQP_BASIC_USER_ID_FLAG))
		dedupe_key(id, sizeof(id), p->user_id.bytes, p->user_id.len,
			   p->message_id.bytes, p->message_id.len);
	/* A message from another bridge carries its exact mbox priority. */
	prio = delivery_prio(in, p, msgid);
	if (id[0] && dedupe_seen(in->dd, id)) {
		br_log(b, "dropped duplicate %s (%s): already delivered", id,
		       env->redelivered ? "redelivered by the broker" : "published again");
		br_count(b, &b->duplicates, 1);
		goto ack;
	}
	if (b->envelope) {
		char host[64] = "?", pid[24] = "?", uid[24] = "?", seq[24] = "?";
		int n;

		if (p->_flags & AMQP_BASIC_HEADERS_FLAG) {
			header_str(&p->headers, "x-mbox-host", host, sizeof(host));
			header_str(&p->headers, "x-mbox-pid", pid, sizeof(pid));
			header_str(&p->headers, "x-mbox-uid", uid, sizeof(uid));
			header_str(&p->headers, "x-mbox-seq", seq, sizeof(seq));
		}
		n = snprintf(in->buf, in->cap, "from host=%s pid=%s uid=%s seq=%s prio=%u id=%s\n",
			     host, pid, uid, seq, prio, msgid[0] ? msgid : "-");
		if (n < 0 || (size_t)n + len > in->cap) {
			ret = -EMSGSIZE;
			goto refuse;
		}
		memcpy(in->buf + n, payload, len);
		payload = in->buf;
		len += (size_t)n;
	}
	if (id[0]) {
		struct mbox_info info;

		ret = mbox_info(in->fd, &info);
		if (ret < 0) {
			snprintf(in->err, sizeof(in->err), "mailbox '%s': %s", b->mailbox,
				 mbox_strerror(ret));
			fatal(b, in->err);
			return 1;
		}
		ret = dedupe_pending(in->dd, id, in->mbid, info.sent);
		if (ret < 0) {
			state_error(in, ret, "the delivery is not made (the message "
				    "waits at the broker)");
			return 1;
		}
	}
	for (;;) {
		ret = mbox_send(in->fd, payload, len, prio, MBOX_WAIT_TIMEOUT, POLL_NS);
		if (ret == 0)
			break;
		if (send_permanent(ret))
			goto refuse;
		if (ret != -ETIMEDOUT && ret != -EAGAIN && ret != -EINTR) {
			/*
			 * Temporary (byte quota, no memory, ...): never drop or
			 * ack it; hold the delivery and try again, backing off.
			 */
			char why[BR_ERR_MAX];

			snprintf(why, sizeof(why), "sending into mailbox '%.100s': %s: holding "
				 "the delivery unacknowledged and retrying", b->mailbox,
				 mbox_strerror(ret));
			if (ret != last_err) {
				br_log(b, "%s", why);
				br_set_state(b, "blocked", why);
				last_err = ret;
				blocked = true;
			}
			tmp_delay = tmp_delay ? tmp_delay * 2 : 10;
			if (tmp_delay > 1000)
				tmp_delay = 1000;
			br_sleep_ms(br, tmp_delay);
		} else if (!blocked) {
			blocked = true;
			br_set_state(b, "blocked", "the local mailbox is full: holding the "
				     "delivery unacknowledged until there is room");
		}
		if (atomic_load(&br->stop))
			return 1;
		if (reopen_if_unlinked(in) < 0)
			return 1;
	}
	if (blocked)
		br_set_state(b, "connected", NULL);
	br_crash_point(b, "sent");
	if (id[0]) {
		ret = dedupe_done(in->dd, id);
		if (ret < 0) {
			state_error(in, ret, "the message was delivered, not acked: "
				    "its redelivery is settled at the next start");
			return 1;
		}
	}
	br_count(b, &b->messages, 1);
ack:
	if (amqp_basic_ack(in->conn, 1, env->delivery_tag, 0) != AMQP_STATUS_OK) {
		snprintf(in->err, sizeof(in->err), "acknowledging a delivery failed");
		return -1;
	}
	return 0;
refuse:
	/*
	 * The mailbox will never take this message (too long for it, say):
	 * reject it without requeueing (a dead-letter exchange on the queue
	 * keeps it), and say so.
	 */
	br_log(b, "refusing message %s for good (%zu bytes): mailbox '%s' can never take it: %s",
	       id[0] ? id : "without ID",
	       len, b->mailbox, mbox_strerror(ret));
	if (id[0])
		dedupe_done(in->dd, id);
	br_count(b, &b->rejected, 1);
	if (amqp_basic_reject(in->conn, 1, env->delivery_tag, 0) != AMQP_STATUS_OK) {
		snprintf(in->err, sizeof(in->err), "rejecting a delivery failed");
		return -1;
	}
	return 0;
}

void *br_inbound(void *arg)
{
	struct in in = { .b = arg, .fd = -1 };
	struct binding *b = in.b;
	struct bridge *br = b->br;
	struct mbox_info info;
	char path[PATH_MAX + 80], err[BR_ERR_MAX], pid_id[BR_ID_MAX];
	uint64_t p_mbid, p_sent;
	long delay = 0;
	int ret;

	in.fd = open_mailbox(b, MBOX_OPEN_SEND, &info);
	if (in.fd < 0) {
		snprintf(err, sizeof(err), "cannot open mailbox '%s' to send: %s", b->mailbox,
			 mbox_strerror(in.fd));
		fatal(b, err);
		return NULL;
	}
	in.mbid = info.id;
	in.cap = info.msg_size_max ? info.msg_size_max : 65536;
	in.buf = malloc(in.cap);
	snprintf(path, sizeof(path), "%s/%s.in", br->state_dir, b->name);
	in.dd = dedupe_open(path, b->dedupe_window, err, sizeof(err));
	if (!in.buf || !in.dd) {
		fatal(b, in.buf ? err : "out of memory");
		goto out;
	}
	if (dedupe_get_pending(in.dd, pid_id, &p_mbid, &p_sent)) {
		/* Killed during a send: did it go through? Ask the mailbox. */
		bool delivered = p_mbid == info.id && info.sent > p_sent;

		br_log(b, "message %s was being sent when the bridge stopped: %s", pid_id,
		       delivered ? "it reached the mailbox (its redelivery will be dropped)"
				 : "it did not reach the mailbox (its redelivery will be sent)");
		ret = dedupe_settle(in.dd, delivered);
		if (ret < 0) {
			snprintf(err, sizeof(err), "cannot rewrite state file %.300s: %s",
				 dedupe_path(in.dd), strerror(-ret));
			fatal(b, err);
			goto out;
		}
	}

	while (!atomic_load(&br->stop)) {
		struct timeval tv = { 0, POLL_NS / 1000 };
		amqp_envelope_t env;
		amqp_rpc_reply_t r;

		if (!in.conn) {
			if (delay)
				br_sleep_ms(br, delay);
			if (!connect_loop(b, &in.conn))
				break;
			delay = 0;
		}
		amqp_maybe_release_buffers(in.conn);
		r = amqp_consume_message(in.conn, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			ret = deliver(&in, &env);
			amqp_destroy_envelope(&env);
			if (ret < 0) {
				br_disconnect(in.conn, false);
				in.conn = NULL;
				br_set_state(b, "disconnected", in.err);
				delay = backoff_next(&br->broker, 0);
			}
			continue;
		}
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_TIMEOUT)
			continue;
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
			amqp_frame_t frame;

			/* Not a delivery: a close or a cancel, most likely. */
			if (amqp_simple_wait_frame(in.conn, &frame) != AMQP_STATUS_OK) {
				snprintf(err, sizeof(err), "reading from the broker failed");
			} else if (frame.frame_type != AMQP_FRAME_METHOD) {
				continue;
			} else {
				switch (frame.payload.method.id) {
				case AMQP_CHANNEL_CLOSE_METHOD:
					snprintf(err, sizeof(err), "the broker closed the channel");
					break;
				case AMQP_CONNECTION_CLOSE_METHOD:
					snprintf(err, sizeof(err), "the broker closed the connection");
					break;
				case AMQP_BASIC_CANCEL_METHOD:
					/*
					 * Its queue was deleted (or a node went
					 * down): what it held is gone with it, and
					 * nothing more comes. Reconnecting declares
					 * the queue again and consumes it.
					 */
					snprintf(err, sizeof(err), "the broker cancelled the consumer "
						 "(was the queue deleted?): declaring the queue again "
						 "and consuming");
					break;
				default:
					continue;
				}
			}
		} else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
			snprintf(err, sizeof(err), "consuming: %s",
				 amqp_error_string2(r.library_error));
		} else {
			snprintf(err, sizeof(err), "consuming: the broker closed the channel");
		}
		br_disconnect(in.conn, false);
		in.conn = NULL;
		br_set_state(b, "disconnected", err);
		delay = backoff_next(&br->broker, 0);
	}
out:
	br_disconnect(in.conn, true);
	dedupe_close(in.dd);
	free(in.buf);
	if (in.fd >= 0)
		close(in.fd);
	br_set_state(b, "stopped", NULL);
	return NULL;
}
