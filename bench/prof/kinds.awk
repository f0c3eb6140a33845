#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0
#
# Sums the output of "make icount-profile ... -T 1000" (instructions per
# unit, function by function) by kind of work, the split docs/performance.md
# uses to compare a mailbox with POSIX mq:
#
#   awk -f bench/prof/kinds.awk build/prof/OUTPUT.txt
#
# Every function is named below or falls to "scheduler, entry and exit,
# the rest"; run with -v list=1 to see which kind each function went to.

function kind(f) {
	if (f == "[user-space]")
		return "1 user space";
	# The system call's own path: ioctl's descriptor lookup, LSM hooks and
	# do_vfs_ioctl, or the mq system calls' entry points.
	if (f ~ /^(__x64_sys_ioctl|do_vfs_ioctl|security_file_ioctl|tomoyo_|bpf_lsm_file_ioctl|__fget_light|__fdget|fdget|__x64_sys_mq_timed|__do_sys_mq_timed|__se_sys_mq|ksys_ioctl|x64_sys_call$|__x64_sys_read|__x64_sys_write|ksys_read|ksys_write|vfs_read|vfs_write|rw_verify_area|security_file_permission|apparmor_file_permission|fsnotify)/)
		return "2 system call path";
	# Argument structs: the dispatcher, copies in, probes, deadlines, the
	# results written back; mq's timeout conversion.
	if (f ~ /^(mbox_ucmd_|mbox_ioctl_dispatch|mbox_mailbox_ioctl|mbox_cmd_|mbox_rx_from_cmd|mbox_deadline_init|mbox_recv_report|mbox_recv_respond|mbox_copy_struct_in|__get_user_|__put_user_|mbox_mailbox_read|mbox_mailbox_write|prepare_timeout|get_timespec64|mbox_batch_|mbox_send_entry|mbox_recv_entry|mbox_burst_.*_entry|mbox_entry_probe)/)
		return "3 argument structs";
	# Message memory, copies, accounting and counters.
	if (f ~ /^(mbox_msg_|mbox_user_|mbox_obj_charge|mbox_obj_uncharge|mbox_limit_|kmem_cache_|kfree|__kmalloc|kmalloc|kvmalloc|kvfree|memset|memcpy|__memset|__memcpy|__slab_free|___slab_alloc|__slab_alloc|slab_|cache_from_obj|memcg_|__memcg|obj_cgroup|mod_objcg|refill_obj|should_failslab|cmpxchg_double_slab|put_pid|refcount_|__refcount|load_msg|store_msg|alloc_msg|free_msg|copy_from_user|copy_to_user|_copy_from_user|_copy_to_user|__check_object_size|check_heap_object|__virt_addr_valid|check_stack_object|__check_heap_object|pid_vnr|__task_pid_nr_ns|from_kuid_munged|mbox_rx_fill|copy_user_|__kmem_cache|security_msg_msg|is_vmalloc_addr)/)
		return "4 message memory, copies, accounting";
	# The queue and the wait: find, enqueue, dequeue, sleep, wake-up, locks
	# and list checks; mqueue's own.
	if (f ~ /^(mbox_|do_mq_timed|wq_sleep|wq_add|msg_insert|msg_get|pipelined_|__pipelined|__do_notify|mqueue_|_raw_spin|__list_|list_|wake_q_|prepare_to_wait|finish_wait|add_wait_queue|remove_wait_queue|__wake_up|autoremove_wake|schedule_hrtimeout|ktime_get|hrtimer|current_time|wake_up_q)/)
		return "5 queue and wait";
	return "6 scheduler, entry and exit, the rest";
}

$1 ~ /^[0-9.]+$/ && NF == 2 && $2 != "total" {
	k = kind($2);
	sum[k] += $1;
	if (list)
		printf("%-40s %8.1f  %s\n", $2, $1, k);
}
$2 == "total" { total = $1 }
END {
	split("1 user space|2 system call path|3 argument structs|" \
	      "4 message memory, copies, accounting|5 queue and wait|" \
	      "6 scheduler, entry and exit, the rest", keys, "|");
	for (i = 1; i <= 6; i++) {
		printf("%-44s %8.0f\n", substr(keys[i], 3), sum[keys[i]]);
		all += sum[keys[i]];
	}
	printf("%-44s %8.0f (the profile's total: %s)\n", "total", all, total);
}
