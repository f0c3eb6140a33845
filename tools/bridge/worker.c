// SPDX-License-Identifier: GPL-2.0
/*
 * The two kinds of binding thread.
 *
 * Outbound (mailbox -> broker), per message:
 *   1. peek the mailbox's head (MBOX_RECV_PEEK): it stays queued;
 *   2. write it to the journal (NAME.out); a write failure stops the bridge
 *      with the message still in the mailbox;
 *   3. peek again: still the head? (else clear the journal, start over);
 *      then receive it (if a message of higher priority overtook it in that
 *      instant, journal the one received instead, at once);
 *   4. publish the journal's message, persistent, with its priority,
 *      sender, seq and a message ID "<boot id>:<mailbox id>:<seq>" that is
 *      the same however often it is published;
 *   5. wait for the broker's confirm (a nack: the queue is full, wait and
 *      publish again), then clear the journal.
 *   A kill at any point leaves every unconfirmed message in the mailbox or
 *   the journal (or both: published twice, same ID, the inbound side drops
 *   the second): at least once towards the broker, never lost.
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

struct out {
	struct binding *b;
	amqp_connection_state_t conn;
	uint64_t tag;		/* delivery tag of the last publish on this channel */
	char err[BR_ERR_MAX];
};

enum pub { PUB_ACK, PUB_NACK, PUB_FAIL };

static enum pub publish(struct out *o, const struct br_msg *m, const void *buf)
{
	struct binding *b = o->b;
	struct bridge *br = b->br;
	amqp_basic_properties_t props;
	amqp_table_entry_t h[6];
	char id[BR_ID_MAX];
	amqp_bytes_t body = { .len = m->len, .bytes = (void *)buf };
	struct timespec deadline, now;
	bool returned = false;
	int rc;

	snprintf(id, sizeof(id), "%s:%" PRIu64 ":%" PRIu64, br->boot_id, m->mbid, m->seq);
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
		return PUB_FAIL;
	}
	o->tag++;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += br->broker.confirm_timeout_ms / 1000;
	for (;;) {
		struct timeval tv = { 0, 200000 };
		amqp_frame_t frame;

		rc = amqp_simple_wait_frame_noblock(o->conn, &frame, &tv);
		if (rc == AMQP_STATUS_TIMEOUT) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec) {
				snprintf(o->err, sizeof(o->err),
					 "no confirm from the broker within %d ms",
					 br->broker.confirm_timeout_ms);
				return PUB_FAIL;
			}
			continue;
		}
		if (rc != AMQP_STATUS_OK) {
			snprintf(o->err, sizeof(o->err), "waiting for a confirm: %s",
				 amqp_error_string2(rc));
			return PUB_FAIL;
		}
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;
		switch (frame.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			amqp_basic_ack_t *a = frame.payload.method.decoded;

			if (a->delivery_tag < o->tag)
				continue;	/* an older publish's (should not happen) */
			if (returned) {
				snprintf(o->err, sizeof(o->err),
					 "queue '%.200s' does not exist (the broker returned the "
					 "message as unroutable)", b->queue);
				return PUB_FAIL;
			}
			return PUB_ACK;
		}
		case AMQP_BASIC_NACK_METHOD: {
			amqp_basic_nack_t *n = frame.payload.method.decoded;

			if (n->delivery_tag < o->tag)
				continue;
			return PUB_NACK;
		}
		case AMQP_BASIC_RETURN_METHOD: {
			amqp_message_t msg;
			amqp_rpc_reply_t r;

			returned = true;
			r = amqp_read_message(o->conn, 1, &msg, 0);
			if (r.reply_type != AMQP_RESPONSE_NORMAL) {
				snprintf(o->err, sizeof(o->err), "reading a returned message failed");
				return PUB_FAIL;
			}
			amqp_destroy_message(&msg);
			continue;
		}
		case AMQP_CHANNEL_CLOSE_METHOD: {
			amqp_channel_close_t *c = frame.payload.method.decoded;

			snprintf(o->err, sizeof(o->err), "the broker closed the channel: %u %.*s",
				 c->reply_code, (int)c->reply_text.len, (char *)c->reply_text.bytes);
			return PUB_FAIL;
		}
		case AMQP_CONNECTION_CLOSE_METHOD: {
			amqp_connection_close_t *c = frame.payload.method.decoded;

			snprintf(o->err, sizeof(o->err),
				 "the broker closed the connection: %u %.*s", c->reply_code,
				 (int)c->reply_text.len, (char *)c->reply_text.bytes);
			return PUB_FAIL;
		}
		default:
			continue;
		}
	}
}

static void out_disconnect(struct out *o, const char *why)
{
	br_disconnect(o->conn, false);
	o->conn = NULL;
	br_set_state(o->b, "disconnected", why);
}

void *br_outbound(void *arg)
{
	struct out o = { .b = arg };
	struct binding *b = o.b;
	struct bridge *br = b->br;
	struct mbox_info info;
	char jpath[PATH_MAX + 80], err[BR_ERR_MAX];
	long full_delay = 0, delay = 0;
	unsigned long idle = 0;
	bool unlinked_said = false;
	void *buf;
	size_t cap;
	int fd;

	fd = open_mailbox(b, MBOX_OPEN_RECV, &info);
	if (fd < 0) {
		snprintf(err, sizeof(err), "cannot open mailbox '%s' to receive: %s", b->mailbox,
			 mbox_strerror(fd));
		fatal(b, err);
		return NULL;
	}
	cap = info.msg_size_max ? info.msg_size_max : 65536;
	buf = malloc(cap);
	if (!buf) {
		fatal(b, "out of memory");
		close(fd);
		return NULL;
	}
	snprintf(jpath, sizeof(jpath), "%s/%s.out", br->state_dir, b->name);

	while (!atomic_load(&br->stop)) {
		struct mbox_recv meta, real;
		struct br_msg m;
		enum pub p;
		int n;

		if (!o.conn) {
			if (delay)
				br_sleep_ms(br, delay);
			if (!connect_loop(b, &o.conn))
				break;
			o.tag = 0;
			delay = 0;
		}
		n = journal_read(jpath, &m, buf, cap);
		if (n == -EBADMSG) {
			/*
			 * Unreadable (not written by this bridge, truncated): keep it
			 * for inspection and go on; the other bindings are not concerned.
			 */
			char aside[PATH_MAX + 120];

			snprintf(aside, sizeof(aside), "%s.corrupt.%lld", jpath, (long long)time(NULL));
			if (rename(jpath, aside)) {
				snprintf(err, sizeof(err), "journal %.300s is corrupt and cannot be "
					 "moved aside (%s): remove it and start again", jpath,
					 strerror(errno));
				br_set_state(b, "failed", err);
				break;
			}
			br_log(b, "journal %s is corrupt (not a journal entry, or truncated): moved "
			       "it aside to %s and going on; the message it held, if any, is "
			       "not published (inspect that file)", jpath, aside);
			continue;
		}
		if (n < 0) {
			snprintf(err, sizeof(err), "journal %.300s: %s", jpath, strerror(-n));
			fatal(b, err);
			break;
		}
		if (n == 0) {
			/*
			 * Take the next message: peek it, write it to the journal,
			 * then receive it. It is always in the mailbox or in the
			 * journal (or both: then it is published twice with the same
			 * ID and the far side drops the second).
			 */
			n = mbox_recv(fd, buf, cap, MBOX_RECV_PEEK | MBOX_WAIT_TIMEOUT, POLL_NS, &meta);
			if (n == -ETIMEDOUT || n == -EINTR) {
				/* Idle: notice a broker that went away now, not at the next publish. */
				struct timeval tv0 = { 0, 0 };
				amqp_frame_t frame;
				struct mbox_info cur;
				int rc;

				/* About once a second: was the mailbox removed (and created again)? */
				if (++idle % 5 == 0 && mbox_info(fd, &cur) == 0 &&
				    (cur.state & MBOX_STATE_UNLINKED)) {
					int nfd = open_mailbox(b, MBOX_OPEN_RECV, &cur);

					if (nfd >= 0) {
						br_log(b, "mailbox '%s' (id %llu) was removed: reopened it "
						       "by name (id %llu)", b->mailbox,
						       (unsigned long long)info.id,
						       (unsigned long long)cur.id);
						close(fd);
						fd = nfd;
						info = cur;
					} else if (!unlinked_said) {
						br_log(b, "mailbox '%s' was removed: waiting for it to be "
						       "created again", b->mailbox);
						unlinked_said = true;
					}
					if (nfd >= 0)
						unlinked_said = false;
				}
				rc = amqp_simple_wait_frame_noblock(o.conn, &frame, &tv0);

				if (rc == AMQP_STATUS_TIMEOUT)
					continue;
				if (rc == AMQP_STATUS_OK && frame.frame_type == AMQP_FRAME_METHOD &&
				    frame.payload.method.id != AMQP_CONNECTION_CLOSE_METHOD &&
				    frame.payload.method.id != AMQP_CHANNEL_CLOSE_METHOD)
					continue;
				if (rc == AMQP_STATUS_OK && frame.frame_type != AMQP_FRAME_METHOD)
					continue;
				delay = backoff_next(&br->broker, 0);
				out_disconnect(&o, rc == AMQP_STATUS_OK ? "the broker closed the connection"
									: amqp_error_string2(rc));
				continue;
			}
			if (n < 0) {
				snprintf(err, sizeof(err), "receiving from mailbox '%s': %s",
					 b->mailbox, mbox_strerror(n));
				fatal(b, err);
				break;
			}
			m = (struct br_msg){ .seq = meta.seq, .mbid = info.id, .prio = meta.prio,
					     .pid = meta.pid, .uid = meta.uid, .len = (uint32_t)n };
			n = journal_write(jpath, &m, buf);
			if (n < 0) {
				snprintf(err, sizeof(err), "journal %.300s: %s: cannot write it, so "
					 "message seq %" PRIu64 " stays in mailbox '%s' (free space "
					 "in the state directory and start again)", jpath,
					 strerror(-n), m.seq, b->mailbox);
				fatal(b, err);
				break;
			}
			br_crash_point(b, "journaled");
			/* Still the head? (a message of higher priority may have arrived) */
			n = mbox_recv(fd, buf, cap, MBOX_RECV_PEEK | MBOX_WAIT_NONBLOCK, 0, &real);
			if (n < 0 || real.seq != m.seq) {
				/* The journaled one is still queued: forget it, start over. */
				n = journal_clear(jpath);
				if (n < 0) {
					snprintf(err, sizeof(err), "journal %.300s: %s", jpath,
						 strerror(-n));
					fatal(b, err);
					break;
				}
				continue;
			}
			n = mbox_recv(fd, buf, cap, MBOX_WAIT_NONBLOCK, 0, &real);
			if (n >= 0 && real.seq != m.seq) {
				/*
				 * Overtaken in the instant between the peek and the
				 * receive: the journaled message is still queued; journal
				 * the one we got instead, at once.
				 */
				m = (struct br_msg){ .seq = real.seq, .mbid = info.id,
						     .prio = real.prio, .pid = real.pid,
						     .uid = real.uid, .len = (uint32_t)n };
				n = journal_write(jpath, &m, buf);
				if (n < 0) {
					snprintf(err, sizeof(err), "journal %.300s: %s (message seq %"
						 PRIu64 " is only in memory)", jpath, strerror(-n),
						 m.seq);
					fatal(b, err);
					break;
				}
				br_count(b, &b->republished, 1);
			} else if (n < 0) {
				if (n != -EAGAIN)
					br_log(b, "receiving the journaled message seq %" PRIu64 ": %s",
					       m.seq, mbox_strerror(n));
				else
					br_log(b, "message seq %" PRIu64 " was taken by another "
					       "receiver (the bridge should be the mailbox's only "
					       "receiver); it is published anyway", m.seq);
			}
			br_crash_point(b, "received");
			/* The journal has it: reread it below, as after a restart. */
			continue;
		}
		p = publish(&o, &m, buf);
		if (p == PUB_FAIL) {
			delay = backoff_next(&br->broker, 0);
			out_disconnect(&o, o.err);
			continue;
		}
		if (p == PUB_NACK) {
			if (!full_delay)
				br_set_state(b, "blocked",
					     "the broker refused the message (queue full): "
					     "publishing it again until there is room");
			br_count(b, &b->rejected, 1);
			full_delay = full_delay ? full_delay * 2 : 10;
			if (full_delay > 500)
				full_delay = 500;
			br_sleep_ms(br, full_delay);
			continue;
		}
		if (full_delay) {
			full_delay = 0;
			br_set_state(b, "connected", NULL);
		}
		br_count(b, &b->messages, 1);
		br_crash_point(b, "confirmed");
		n = journal_clear(jpath);
		if (n < 0) {
			snprintf(err, sizeof(err), "journal %.300s: %s", jpath, strerror(-n));
			fatal(b, err);
			break;
		}
	}
	br_disconnect(o.conn, true);
	free(buf);
	close(fd);
	br_set_state(b, "stopped", NULL);
	return NULL;
}

/* ---- inbound ---- */

static bool header_str(const amqp_table_t *t, const char *key, char *out, size_t len)
{
	for (int i = 0; i < t->num_entries; i++) {
		const amqp_table_entry_t *e = &t->entries[i];

		if (e->key.len != strlen(key) || memcmp(e->key.bytes, key, e->key.len))
			continue;
		switch (e->value.kind) {
		case AMQP_FIELD_KIND_UTF8:
		case AMQP_FIELD_KIND_BYTES:
			snprintf(out, len, "%.*s", (int)e->value.value.bytes.len,
				 (char *)e->value.value.bytes.bytes);
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
	return false;
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
};

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

/* 0: acked; 1: stopping (not acked); -1: connection failure. */
static int deliver(struct in *in, amqp_envelope_t *env)
{
	struct binding *b = in->b;
	struct bridge *br = b->br;
	amqp_basic_properties_t *p = &env->message.properties;
	char id[BR_ID_MAX] = "";
	const void *payload = env->message.body.bytes;
	size_t len = env->message.body.len;
	unsigned int prio = 0;
	bool blocked = false;
	long tmp_delay = 0;
	int ret, last_err = 0;

	if (reopen_if_unlinked(in) < 0)
		return 1;
	if ((p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) && p->message_id.len < BR_ID_MAX)
		snprintf(id, sizeof(id), "%.*s", (int)p->message_id.len,
			 (char *)p->message_id.bytes);
	if (p->_flags & AMQP_BASIC_PRIORITY_FLAG)
		prio = p->priority;	/* an octet: always within MBOX_PRIO_MAX */
	/* A message from another bridge carries its exact mbox priority. */
	if (p->_flags & AMQP_BASIC_HEADERS_FLAG) {
		char hp[24];
		unsigned long v;
		char *end;

		if (header_str(&p->headers, "x-mbox-priority", hp, sizeof(hp))) {
			errno = 0;
			v = strtoul(hp, &end, 10);
			if (!errno && end != hp && !*end && v <= MBOX_PRIO_MAX)
				prio = (unsigned int)v;
		}
	}
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
			     host, pid, uid, seq, prio, id[0] ? id : "-");
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
			snprintf(in->err, sizeof(in->err), "state file: %s", strerror(-ret));
			fatal(b, in->err);
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
			snprintf(in->err, sizeof(in->err), "state file: %s", strerror(-ret));
			fatal(b, in->err);
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
		if (dedupe_settle(in.dd, delivered) < 0) {
			fatal(b, "cannot rewrite the state file");
			goto out;
		}
	}

	while (!atomic_load(&br->stop)) {
		struct timeval tv = { 0, POLL_NS / 1000 };
		amqp_envelope_t env;
		amqp_rpc_reply_t r;
		int ret;

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
					snprintf(err, sizeof(err), "the broker cancelled the consumer "
						 "(queue deleted?)");
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
