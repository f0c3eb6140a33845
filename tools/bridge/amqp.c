// SPDX-License-Identifier: GPL-2.0
/*
 * Connecting a binding to the broker: TCP, login, channel 1, the topology
 * (a queue with the mailbox's semantics as arguments, or a fanout exchange),
 * then publisher confirms (outbound) or a manual-ack consumer (inbound).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "bridge.h"

/* Describe a failed RPC; BR_FATAL when waiting will not help. */
static enum br_err rpc_error(amqp_rpc_reply_t r, const char *what, const struct binding *b,
			     char *err, size_t errlen)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return BR_OK;
	case AMQP_RESPONSE_NONE:
		snprintf(err, errlen, "%s: no reply from the broker", what);
		return BR_TRANSIENT;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(err, errlen, "%s: %s", what, amqp_error_string2(r.library_error));
		return BR_TRANSIENT;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		break;
	}
	if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
		amqp_connection_close_t *c = r.reply.decoded;

		snprintf(err, errlen, "%s: the broker closed the connection: %u %.*s", what,
			 c->reply_code, (int)c->reply_text.len, (char *)c->reply_text.bytes);
		/* 403 ACCESS_REFUSED at login: wrong user or password. */
		if (c->reply_code == 403 || c->reply_code == 530)
			return BR_FATAL;
		return BR_TRANSIENT;
	}
	if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
		amqp_channel_close_t *c = r.reply.decoded;

		snprintf(err, errlen, "%s: the broker closed the channel: %u %.*s", what,
			 c->reply_code, (int)c->reply_text.len, (char *)c->reply_text.bytes);
		/*
		 * 406 PRECONDITION_FAILED: the queue exists with other arguments
		 * (another bridge declared it differently); 403: no permission;
		 * 404: not found. None of these heals by itself.
		 */
		if (c->reply_code == 406 || c->reply_code == 403 || c->reply_code == 404)
			return BR_FATAL;
		return BR_TRANSIENT;
	}
	(void)b;
	snprintf(err, errlen, "%s: unexpected method 0x%08x from the broker", what, r.reply.id);
	return BR_TRANSIENT;
}

static void entry_i64(amqp_table_entry_t *e, const char *key, int64_t v)
{
	e->key = amqp_cstring_bytes(key);
	e->value.kind = AMQP_FIELD_KIND_I64;
	e->value.value.i64 = v;
}

static void entry_str(amqp_table_entry_t *e, const char *key, const char *v)
{
	e->key = amqp_cstring_bytes(key);
	e->value.kind = AMQP_FIELD_KIND_UTF8;
	e->value.value.bytes = amqp_cstring_bytes(v);
}

/* The inbound side of an exchange binding consumes its own queue. */
static void exchange_queue_name(const struct binding *b, char *buf, size_t len)
{
	snprintf(buf, len, "mbox-bridge.%s.%s", b->br->hostname, b->name);
}

/*
 * librabbitmq says only "a socket error occurred" when the TCP connect
 * fails, and leaves errno meaningless. Connect once more, plainly, to learn
 * why (ECONNREFUSED, EHOSTUNREACH...): 0 if it works now or tells nothing.
 */
static int connect_errno(const char *host, int port, int timeout_ms)
{
	struct addrinfo hint = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *list;
	char sport[16];
	int err = 0;

	snprintf(sport, sizeof(sport), "%d", port);
	if (getaddrinfo(host, sport, &hint, &list))
		return 0;
	for (struct addrinfo *a = list; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		socklen_t len = sizeof(err);

		if (fd < 0)
			continue;
		err = 0;
		if (connect(fd, a->ai_addr, a->ai_addrlen))
			err = errno;
		if (err == EINPROGRESS) {
			err = 0;
			if (poll(&p, 1, timeout_ms) != 1 ||
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
				err = 0;
		}
		close(fd);
		if (!err)
			break;
	}
	freeaddrinfo(list);
	return err;
}

static enum br_err declare(struct binding *b, amqp_connection_state_t conn, char *err,
			   size_t errlen)
{
	amqp_table_entry_t args[3];
	amqp_table_t table = { .num_entries = 0, .entries = args };
	char qname[320], what[700];
	enum br_err e;

	if (b->exchange[0]) {
		amqp_exchange_declare(conn, 1, amqp_cstring_bytes(b->exchange),
				      amqp_cstring_bytes("fanout"), 0, b->persistent, 0, 0,
				      amqp_empty_table);
		snprintf(what, sizeof(what), "declaring fanout exchange '%s'", b->exchange);
		e = rpc_error(amqp_get_rpc_reply(conn), what, b, err, errlen);
		if (e || b->dir == BR_OUT)
			return e;
		exchange_queue_name(b, qname, sizeof(qname));
	} else {
		snprintf(qname, sizeof(qname), "%s", b->queue);
	}
	if (b->max_priority > 0)
		entry_i64(&args[table.num_entries++], "x-max-priority", b->max_priority);
	if (b->max_length >= 0) {
		entry_i64(&args[table.num_entries++], "x-max-length", b->max_length);
		entry_str(&args[table.num_entries++], "x-overflow", b->overflow);
	}
	amqp_queue_declare(conn, 1, amqp_cstring_bytes(qname), 0, b->persistent, 0, 0, table);
	snprintf(what, sizeof(what), "declaring queue '%s'", qname);
	e = rpc_error(amqp_get_rpc_reply(conn), what, b, err, errlen);
	if (e || !b->exchange[0])
		return e;
	amqp_queue_bind(conn, 1, amqp_cstring_bytes(qname), amqp_cstring_bytes(b->exchange),
			amqp_empty_bytes, amqp_empty_table);
	snprintf(what, sizeof(what), "binding queue '%s' to exchange '%s'", qname, b->exchange);
	return rpc_error(amqp_get_rpc_reply(conn), what, b, err, errlen);
}

/*
 * Log in, telling the broker that we understand basic.cancel: without the
 * consumer_cancel_notify capability RabbitMQ drops a consumer whose queue
 * was deleted without a word, and an inbound binding would wait for ever.
 * librabbitmq merges this table into its own capabilities.
 */
static amqp_rpc_reply_t login(amqp_connection_state_t conn, const struct br_broker *bk)
{
	amqp_table_entry_t cap = {
		.key = amqp_cstring_bytes("consumer_cancel_notify"),
		.value = { .kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1 },
	};
	amqp_table_entry_t prop = {
		.key = amqp_cstring_bytes("capabilities"),
		.value = { .kind = AMQP_FIELD_KIND_TABLE,
			   .value.table = { .num_entries = 1, .entries = &cap } },
	};
	amqp_table_t props = { .num_entries = 1, .entries = &prop };

	return amqp_login_with_properties(conn, bk->vhost, 0, 131072, bk->heartbeat, &props,
					  AMQP_SASL_METHOD_PLAIN, bk->user, bk->password);
}

enum br_err br_connect(struct binding *b, amqp_connection_state_t *connp, char *err,
		       size_t errlen)
{
	const struct br_broker *bk = &b->br->broker;
	struct timeval tv = { bk->connect_timeout_ms / 1000, (bk->connect_timeout_ms % 1000) * 1000 };
	amqp_connection_state_t conn;
	amqp_socket_t *sock;
	char what[700];
	enum br_err e;
	int rc;

	*connp = NULL;
	conn = amqp_new_connection();
	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return BR_TRANSIENT;
	}
	sock = amqp_tcp_socket_new(conn);
	if (!sock) {
		amqp_destroy_connection(conn);
		snprintf(err, errlen, "cannot create a socket");
		return BR_TRANSIENT;
	}
	rc = amqp_socket_open_noblock(sock, bk->host, bk->port, &tv);
	if (rc != AMQP_STATUS_OK) {
		int why = rc == AMQP_STATUS_SOCKET_ERROR ?
			  connect_errno(bk->host, bk->port, bk->connect_timeout_ms) : 0;

		snprintf(err, errlen, "cannot connect to %s:%d: %s%s%s%s", bk->host, bk->port,
			 amqp_error_string2(rc), why ? " (" : "", why ? strerror(why) : "",
			 why ? ")" : "");
		amqp_destroy_connection(conn);
		return BR_TRANSIENT;
	}
	amqp_set_handshake_timeout(conn, &tv);
	amqp_set_rpc_timeout(conn, &tv);
	snprintf(what, sizeof(what), "logging in to %s:%d as '%s' (vhost '%s')", bk->host,
		 bk->port, bk->user, bk->vhost);
	e = rpc_error(login(conn, bk), what, b, err, errlen);
	if (e == BR_FATAL)
		snprintf(err + strlen(err), errlen - strlen(err),
			 " (wrong user or password, or no access to the vhost?)");
	if (e)
		goto fail;
	amqp_channel_open(conn, 1);
	e = rpc_error(amqp_get_rpc_reply(conn), "opening channel 1", b, err, errlen);
	if (e)
		goto fail;
	e = declare(b, conn, err, errlen);
	if (e)
		goto fail;
	if (b->dir == BR_OUT) {
		amqp_confirm_select(conn, 1);
		e = rpc_error(amqp_get_rpc_reply(conn), "enabling publisher confirms", b, err,
			      errlen);
	} else {
		char qname[320];

		if (b->exchange[0])
			exchange_queue_name(b, qname, sizeof(qname));
		else
			snprintf(qname, sizeof(qname), "%s", b->queue);
		amqp_basic_qos(conn, 1, 0, (uint16_t)b->prefetch, 0);
		e = rpc_error(amqp_get_rpc_reply(conn), "setting the prefetch count", b, err,
			      errlen);
		if (e)
			goto fail;
		amqp_basic_consume(conn, 1, amqp_cstring_bytes(qname), amqp_empty_bytes, 0, 0, 0,
				   amqp_empty_table);
		snprintf(what, sizeof(what), "consuming from queue '%s'", qname);
		e = rpc_error(amqp_get_rpc_reply(conn), what, b, err, errlen);
	}
	if (e)
		goto fail;
	/* No RPC timeout from here on: consume and confirm waits have their own. */
	amqp_set_rpc_timeout(conn, NULL);
	*connp = conn;
	return BR_OK;
fail:
	amqp_destroy_connection(conn);
	return e;
}

void br_disconnect(amqp_connection_state_t conn, bool graceful)
{
	struct timeval tv = { 2, 0 };

	if (!conn)
		return;
	if (graceful) {
		amqp_set_rpc_timeout(conn, &tv);
		amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	}
	/*
	 * Do not wait for close-ok from a broker that may be gone: drop the
	 * socket. Unacked deliveries and unconfirmed publishes are then the
	 * broker's to requeue or forget; the protocol copes with both.
	 */
	amqp_destroy_connection(conn);
}
