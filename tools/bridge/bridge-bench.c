// SPDX-License-Identifier: GPL-2.0
/*
 * bridge-bench: messages per second and latency through mbox-bridge, next
 * to a plain librabbitmq publisher/consumer pair on the same broker.
 *
 *   bridge-bench mbox TX RX COUNT
 *	TX is a mailbox an outbound binding carries to a queue, RX the mailbox
 *	an inbound binding fills from it (both bridges on this machine, so one
 *	clock times both ends).
 *   bridge-bench amqp HOST PORT USER PASSWORD QUEUE COUNT
 *	the same path without mailboxes and bridges: a publisher (persistent
 *	messages, one confirm awaited per message, as the bridge does) and a
 *	consumer (manual acks, prefetch 32) on their own connections.
 *
 * Each runs two phases: 200 messages one at a time (latency: send to
 * receive), then COUNT messages streamed (throughput; the latency of a
 * streamed message includes its time queued). One line per phase:
 *   bench MODE PHASE: N msgs in S s, R msgs/s, latency p50 A us, p99 B us, max C us
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "mbox.h"

#define LAT_COUNT 200

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void report(const char *mode, const char *phase, long long *lat, long n, long long ns)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_ll);
	printf("bench %s %s: %ld msgs in %.2f s, %.0f msgs/s, latency p50 %lld us, p99 %lld us, "
	       "max %lld us\n", mode, phase, n, (double)ns / 1e9, (double)n * 1e9 / (double)ns,
	       lat[n / 2] / 1000, lat[(n * 99) / 100] / 1000, lat[n - 1] / 1000);
	fflush(stdout);
}

/* ---- through the bridge ---- */

struct mrx {
	int fd;
	long count;
	long long *lat;
	int err;
};

static void *mbox_receiver(void *arg)
{
	struct mrx *r = arg;

	for (long i = 0; i < r->count; i++) {
		long long t;
		int n = mbox_recv(r->fd, &t, sizeof(t), MBOX_WAIT_TIMEOUT, 60000000000LL, NULL);

		if (n != (int)sizeof(t)) {
			r->err = n < 0 ? n : -EBADMSG;
			return NULL;
		}
		r->lat[i] = now_ns() - t;
	}
	return NULL;
}

static int bench_mbox(const char *tx, const char *rx, long count)
{
	int txfd = mbox_open(-1, tx, MBOX_OPEN_SEND, NULL, NULL);
	int rxfd = mbox_open(-1, rx, MBOX_OPEN_RECV, NULL, NULL);
	long long *lat = calloc((size_t)(count > LAT_COUNT ? count : LAT_COUNT), sizeof(*lat));
	long long t0;
	struct mrx r;
	pthread_t th;

	if (txfd < 0 || rxfd < 0 || !lat) {
		fprintf(stderr, "bridge-bench: mailboxes %s/%s: %s\n", tx, rx,
			mbox_strerror(txfd < 0 ? txfd : rxfd));
		return 1;
	}
	/* Latency: one at a time. */
	t0 = now_ns();
	for (long i = 0; i < LAT_COUNT; i++) {
		long long t = now_ns(), back;
		int n;

		if (mbox_send(txfd, &t, sizeof(t), 0, 0, 0) < 0)
			return 1;
		n = mbox_recv(rxfd, &back, sizeof(back), MBOX_WAIT_TIMEOUT, 60000000000LL, NULL);
		if (n != (int)sizeof(back) || back != t) {
			fprintf(stderr, "bridge-bench: no or wrong reply: %s\n", mbox_strerror(n));
			return 1;
		}
		lat[i] = now_ns() - t;
	}
	report("bridge", "one-at-a-time", lat, LAT_COUNT, now_ns() - t0);
	/* Throughput: a stream. */
	r = (struct mrx){ .fd = rxfd, .count = count, .lat = lat };
	t0 = now_ns();
	pthread_create(&th, NULL, mbox_receiver, &r);
	for (long i = 0; i < count; i++) {
		long long t = now_ns();

		if (mbox_send(txfd, &t, sizeof(t), 0, 0, 0) < 0)
			return 1;
	}
	pthread_join(th, NULL);
	if (r.err) {
		fprintf(stderr, "bridge-bench: receiving: %s\n", mbox_strerror(r.err));
		return 1;
	}
	report("bridge", "stream", lat, count, now_ns() - t0);
	return 0;
}

/* ---- a plain librabbitmq pair ---- */

struct conn_args {
	const char *host, *user, *pass, *queue;
	int port;
};

static amqp_connection_state_t aconnect(const struct conn_args *a, int consumer)
{
	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *s = amqp_tcp_socket_new(c);
	amqp_table_entry_t e = { .key = amqp_cstring_bytes("x-max-priority"),
				 .value = { .kind = AMQP_FIELD_KIND_I64, .value.i64 = 31 } };
	amqp_table_t args = { 1, &e };

	if (!s || amqp_socket_open(s, a->host, a->port) ||
	    amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, a->user, a->pass)
			    .reply_type != AMQP_RESPONSE_NORMAL)
		goto fail;
	amqp_channel_open(c, 1);
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
		goto fail;
	amqp_queue_declare(c, 1, amqp_cstring_bytes(a->queue), 0, 1, 0, 0, args);
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
		goto fail;
	if (consumer) {
		amqp_basic_qos(c, 1, 0, 32, 0);
		amqp_basic_consume(c, 1, amqp_cstring_bytes(a->queue), amqp_empty_bytes, 0, 0, 0,
				   amqp_empty_table);
	} else {
		amqp_confirm_select(c, 1);
	}
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
		goto fail;
	return c;
fail:
	fprintf(stderr, "bridge-bench: cannot connect to %s:%d as %s\n", a->host, a->port, a->user);
	exit(1);
}

static int publish_confirm(amqp_connection_state_t c, const char *queue, long long t)
{
	amqp_basic_properties_t p = { ._flags = AMQP_BASIC_DELIVERY_MODE_FLAG, .delivery_mode = 2 };
	amqp_bytes_t body = { sizeof(t), &t };
	amqp_frame_t f;

	if (amqp_basic_publish(c, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &p, body))
		return -1;
	for (;;) {
		if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK)
			return -1;
		if (f.frame_type == AMQP_FRAME_METHOD && f.payload.method.id == AMQP_BASIC_ACK_METHOD)
			return 0;
		if (f.frame_type == AMQP_FRAME_METHOD && f.payload.method.id == AMQP_BASIC_NACK_METHOD)
			return -1;
	}
}

static int consume_one(amqp_connection_state_t c, long long *t)
{
	amqp_envelope_t env;
	int ret = -1;

	amqp_maybe_release_buffers(c);
	if (amqp_consume_message(c, &env, NULL, 0).reply_type != AMQP_RESPONSE_NORMAL)
		return -1;
	if (env.message.body.len == sizeof(*t)) {
		memcpy(t, env.message.body.bytes, sizeof(*t));
		ret = amqp_basic_ack(c, 1, env.delivery_tag, 0);
	}
	amqp_destroy_envelope(&env);
	return ret;
}

struct arx {
	amqp_connection_state_t c;
	long count;
	long long *lat;
	int err;
};

static void *amqp_receiver(void *arg)
{
	struct arx *r = arg;

	for (long i = 0; i < r->count; i++) {
		long long t;

		if (consume_one(r->c, &t)) {
			r->err = 1;
			return NULL;
		}
		r->lat[i] = now_ns() - t;
	}
	return NULL;
}

static int bench_amqp(const struct conn_args *a, long count)
{
	amqp_connection_state_t pub = aconnect(a, 0), sub = aconnect(a, 1);
	long long *lat = calloc((size_t)(count > LAT_COUNT ? count : LAT_COUNT), sizeof(*lat));
	long long t0;
	struct arx r;
	pthread_t th;

	if (!lat)
		return 1;
	t0 = now_ns();
	for (long i = 0; i < LAT_COUNT; i++) {
		long long t = now_ns(), back;

		if (publish_confirm(pub, a->queue, t) || consume_one(sub, &back) || back != t) {
			fprintf(stderr, "bridge-bench: amqp round trip failed\n");
			return 1;
		}
		lat[i] = now_ns() - t;
	}
	report("amqp", "one-at-a-time", lat, LAT_COUNT, now_ns() - t0);
	r = (struct arx){ .c = sub, .count = count, .lat = lat };
	t0 = now_ns();
	pthread_create(&th, NULL, amqp_receiver, &r);
	for (long i = 0; i < count; i++)
		if (publish_confirm(pub, a->queue, now_ns())) {
			fprintf(stderr, "bridge-bench: publishing failed\n");
			return 1;
		}
	pthread_join(th, NULL);
	if (r.err) {
		fprintf(stderr, "bridge-bench: consuming failed\n");
		return 1;
	}
	report("amqp", "stream", lat, count, now_ns() - t0);
	amqp_destroy_connection(pub);
	amqp_destroy_connection(sub);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "mbox"))
		return bench_mbox(argv[2], argv[3], atol(argv[4]));
	if (argc == 8 && !strcmp(argv[1], "amqp")) {
		struct conn_args a = { .host = argv[2], .port = atoi(argv[3]), .user = argv[4],
				       .pass = argv[5], .queue = argv[6] };

		return bench_amqp(&a, atol(argv[7]));
	}
	fprintf(stderr, "usage: bridge-bench mbox TX RX COUNT\n"
		"       bridge-bench amqp HOST PORT USER PASSWORD QUEUE COUNT\n");
	return 2;
}
