/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: tracepoints, under events/mbox/ in tracefs (docs/operability.md).
 *
 * Object IDs are those of the info ioctls and /proc/mbox; link messages
 * carry their link's ID, mailbox messages a link ID of 0. Process IDs are
 * as seen from the initial pid namespace.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mbox

#if !defined(_MBOX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MBOX_TRACE_H

#include <linux/tracepoint.h>

#include "msg.h"
#include "queue.h"
#include "registry.h"

#define show_mbox_type(type)						\
	__print_symbolic(type,						\
			 { MBOX_TYPE_MAILBOX, "mailbox" },		\
			 { MBOX_TYPE_ENDPOINT, "endpoint" },		\
			 { MBOX_TYPE_RING, "ring" },			\
			 { MBOX_TYPE_LINK, "link" })

DECLARE_EVENT_CLASS(mbox_obj_class,
		    TP_PROTO(unsigned int type, u64 id, const char *name),
		    TP_ARGS(type, id, name),
		    TP_STRUCT__entry(__field(unsigned int, type)
				     __field(u64, id)
				     __array(char, name, MBOX_NAME_MAX)),
		    TP_fast_assign(__entry->type = type;
				   __entry->id = id;
				   strscpy(__entry->name, name, MBOX_NAME_MAX);),
		    TP_printk("%s id=%llu name=%s", show_mbox_type(__entry->type),
			      __entry->id, __entry->name)
);

DEFINE_EVENT(mbox_obj_class, mbox_create,
	     TP_PROTO(unsigned int type, u64 id, const char *name),
	     TP_ARGS(type, id, name)
);

DEFINE_EVENT(mbox_obj_class, mbox_destroy,
	     TP_PROTO(unsigned int type, u64 id, const char *name),
	     TP_ARGS(type, id, name)
);

DECLARE_EVENT_CLASS(mbox_msg_class,
		    TP_PROTO(u64 id, const struct mbox_msg *msg),
		    TP_ARGS(id, msg),
		    TP_STRUCT__entry(__field(u64, id)
				     __field(u64, link)
				     __field(u64, seq)
				     __field(u32, len)
				     __field(u32, prio)
				     __field(pid_t, sender)),
		    TP_fast_assign(__entry->id = id;
				   __entry->link = msg->flow ? msg->flow->id : 0;
				   __entry->seq = msg->seq;
				   __entry->len = msg->len;
				   __entry->prio = msg->prio;
				   __entry->sender = pid_nr(msg->sender);),
		    TP_printk("id=%llu link=%llu seq=%llu len=%u prio=%u sender=%d",
			      __entry->id, __entry->link, __entry->seq, __entry->len,
			      __entry->prio, __entry->sender)
);

DEFINE_EVENT(mbox_msg_class, mbox_send,
	     TP_PROTO(u64 id, const struct mbox_msg *msg),
	     TP_ARGS(id, msg)
);

DEFINE_EVENT(mbox_msg_class, mbox_recv,
	     TP_PROTO(u64 id, const struct mbox_msg *msg),
	     TP_ARGS(id, msg)
);

TRACE_EVENT(mbox_block,
	    TP_PROTO(u64 id),
	    TP_ARGS(id),
	    TP_STRUCT__entry(__field(u64, id)),
	    TP_fast_assign(__entry->id = id;),
	    TP_printk("id=%llu", __entry->id)
);

TRACE_EVENT(mbox_wake,
	    TP_PROTO(u64 id, int ret),
	    TP_ARGS(id, ret),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(int, ret)),
	    TP_fast_assign(__entry->id = id;
			   __entry->ret = ret;),
	    TP_printk("id=%llu ret=%d", __entry->id, __entry->ret)
);

TRACE_EVENT(mbox_peer_loss,
	    TP_PROTO(u64 id, pid_t pid0, pid_t pid1),
	    TP_ARGS(id, pid0, pid1),
	    TP_STRUCT__entry(__field(u64, link)
			     __field(pid_t, pid0)
			     __field(pid_t, pid1)),
	    TP_fast_assign(__entry->link = id;
			   __entry->pid0 = pid0;
			   __entry->pid1 = pid1;),
	    TP_printk("link=%llu pids=%d,%d", __entry->link, __entry->pid0,
		      __entry->pid1)
);

#endif /* _MBOX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mbox_trace
#include <trace/define_trace.h>
