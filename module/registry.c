// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: IDs, names, IPC namespaces and permissions of objects.
 *
 * Every object has a 64-bit ID from a counter that never wraps in practice
 * and is never reused while the module is loaded. Named objects are also in a
 * hash keyed by (namespace, name).
 *
 * Namespaces. Names and IDs are scoped to the creator's IPC namespace. A
 * module can not hold a reference on an ipc_namespace on 6.1 (put_ipc_ns()
 * is not exported there), and a bare pointer or inode number could be reused
 * by a new namespace once the old one dies. So each object pins the
 * namespace's internal POSIX mqueue mount (ns->mq_mnt) with mntget(): while
 * pinned, that vfsmount can not be freed or reused, so comparing pointers
 * compares namespaces. When the namespace dies the kernel clears the
 * mount's superblock s_fs_info (mq_clear_sbinfo()) before dropping its own
 * reference; a NULL there tells us the namespace is gone, and objects of a
 * dead namespace are unreachable: their names are reaped when their owner's
 * quota is short and at module exit.
 */
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "mbox_internal.h"
#include "mbox_trace.h"

#ifndef CONFIG_POSIX_MQUEUE
#error "mbox scopes names by IPC namespace through its mqueue mount: needs CONFIG_POSIX_MQUEUE"
#endif

/* Protects mbox_ids, mbox_names, mbox_next_id and each object's @linked. */
static DEFINE_MUTEX(mbox_registry_lock);
static DEFINE_XARRAY(mbox_ids);
static DEFINE_HASHTABLE(mbox_names, 8);
static u64 mbox_next_id = 1;

static struct vfsmount *mbox_current_ns(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

static bool mbox_ns_dead(struct vfsmount *ns)
{
	return !READ_ONCE(ns->mnt_sb->s_fs_info);
}

static u32 mbox_name_hash(struct vfsmount *ns, const char *name)
{
	return jhash(name, strlen(name), hash_ptr(ns, 32));
}

/**
 * mbox_name_from_user - copy and check a name
 * @name: MBOX_NAME_MAX bytes
 * @uptr: the user's pointer, or 0 (an empty name)
 *
 * A name is 1 to MBOX_NAME_MAX - 1 printable ASCII characters other than
 * '/' and space.
 *
 * Return: 0, -EFAULT, -ENAMETOOLONG or -EINVAL.
 */
int mbox_name_from_user(char *name, u64 uptr)
{
	long len;
	int i;

	name[0] = '\0';
	if (!uptr)
		return 0;
	len = strncpy_from_user(name, u64_to_user_ptr(uptr), MBOX_NAME_MAX);
	if (len < 0)
		return len;
	if (len == MBOX_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
			return -EINVAL;
	return 0;
}

/**
 * mbox_obj_init_once - set up the common part of a new object for the caller
 * @obj: the object, embedded in its type's struct
 * @ops: the type's operations
 * @mode: permission bits
 *
 * Charges one object to the caller's user (-ENOSPC beyond objects_per_user)
 * and pins the caller's IPC namespace. Undo with mbox_obj_fini() until the
 * object is linked; after that the last mbox_obj_put() undoes it.
 */
static int mbox_obj_init_once(struct mbox_obj *obj, const struct mbox_obj_ops *ops,
			      umode_t mode)
{
	int ret;

	obj->user = mbox_user_get(current_euid());
	if (!obj->user)
		return -ENOMEM;
	ret = mbox_user_charge_object(obj->user);
	if (ret)
		goto err_put_user;

	kref_init(&obj->ref);
	obj->ops = ops;
	obj->id = 0;
	obj->name[0] = '\0';
	INIT_HLIST_NODE(&obj->name_node);
	obj->linked = false;
	obj->persistent = false;
	obj->uid = current_euid();
	obj->cuid = obj->uid;
	obj->gid = current_egid();
	obj->cgid = obj->gid;
	obj->mode = mode & 0777;
	obj->ns = mntget(mbox_current_ns());
	return 0;

err_put_user:
	mbox_user_put(obj->user);
	return ret;
}

void mbox_obj_fini(struct mbox_obj *obj)
{
	mntput(obj->ns);
	mbox_user_uncharge_object(obj->user);
	mbox_user_put(obj->user);
}

static struct mbox_obj *mbox_lookup_name(struct vfsmount *ns, const char *name)
{
	struct mbox_obj *obj;

	lockdep_assert_held(&mbox_registry_lock);
	hash_for_each_possible(mbox_names, obj, name_node, mbox_name_hash(ns, name))
		if (obj->ns == ns && !strcmp(obj->name, name))
			return obj;
	return NULL;
}

/**
 * mbox_obj_link - give a new object its ID, and its name if @name is not ""
 * @obj: the object, set up by mbox_obj_init()
 * @name: its name, or ""
 *
 * A named object persists: the registry keeps a reference until it is
 * unlinked. Return: 0, or -EEXIST if the name is taken in this namespace.
 */
int mbox_obj_link(struct mbox_obj *obj, const char *name)
{
	int ret;

	mutex_lock(&mbox_registry_lock);
	if (*name && mbox_lookup_name(obj->ns, name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = xa_insert(&mbox_ids, mbox_next_id, obj, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out_unlock;
	obj->id = mbox_next_id++;
	obj->linked = true;
	if (*name) {
		strscpy(obj->name, name, sizeof(obj->name));
		hash_add(mbox_names, &obj->name_node, mbox_name_hash(obj->ns, name));
		obj->persistent = true;
		kref_get(&obj->ref);
	}
	trace_mbox_create(obj->ops->type, obj->id, obj->name);
out_unlock:
	mutex_unlock(&mbox_registry_lock);
	return ret;
}

/* Take @obj out of the tables; the caller drops the registry's reference. */
static bool mbox_obj_delist(struct mbox_obj *obj)
{
	bool persistent = obj->persistent;

	lockdep_assert_held(&mbox_registry_lock);
	if (!obj->linked)
		return false;
	obj->linked = false;
	obj->persistent = false;
	xa_erase(&mbox_ids, obj->id);
	if (obj->name[0])
		hash_del(&obj->name_node);
	return persistent;
}

static struct mbox_obj *mbox_lookup(const char *name, u64 id,
				    const struct mbox_obj_ops *ops)
{
	struct vfsmount *ns = mbox_current_ns();
	struct mbox_obj *obj;

	lockdep_assert_held(&mbox_registry_lock);
	if (*name) {
		obj = mbox_lookup_name(ns, name);
	} else {
		obj = xa_load(&mbox_ids, id);
		if (obj && obj->ns != ns)
			obj = NULL;
	}
	if (obj && obj->ops != ops)
		obj = NULL;
	return obj;
}

/**
 * mbox_obj_find - look up an object of type @ops by name, or by ID when
 *	@name is "", in the caller's IPC namespace
 * @name: the name, or ""
 * @id: the ID, used when @name is ""
 * @ops: the type wanted
 *
 * Return: the object with a new reference, or NULL.
 */
struct mbox_obj *mbox_obj_find(const char *name, u64 id,
			       const struct mbox_obj_ops *ops)
{
	struct mbox_obj *obj;

	mutex_lock(&mbox_registry_lock);
	obj = mbox_lookup(name, id, ops);
	if (obj)
		kref_get(&obj->ref);
	mutex_unlock(&mbox_registry_lock);
	return obj;
}

/**
 * mbox_obj_open - find an object of type @ops, or make and link one
 * @name: the name, or "" (by @id when opening, anonymous when creating)
 * @id: the ID, when opening an unnamed object
 * @create: make the object if it does not exist
 * @excl: with @create, -EEXIST if it exists
 * @ops: the type wanted
 * @make: returns a new object, set up with mbox_obj_init(), or an ERR_PTR
 * @arg: for @make
 * @created: set when the object was made here
 *
 * A creator that loses a race for the name opens the winner's object.
 *
 * Return: the object with a reference for the caller, or an ERR_PTR:
 * -ENOENT, -EEXIST, or @make's error.
 */
struct mbox_obj *mbox_obj_open(const char *name, u64 id, bool create, bool excl,
			       const struct mbox_obj_ops *ops,
			       struct mbox_obj *(*make)(const void *arg),
			       const void *arg, bool *created)
{
	struct mbox_obj *obj;
	int ret, tries;

	for (tries = 0; tries < 4; tries++) {
		if (*name || !create) {
			obj = mbox_obj_find(name, id, ops);
			if (obj && create && excl) {
				mbox_obj_put(obj);
				return ERR_PTR(-EEXIST);
			}
			if (obj)
				return obj;
			if (!create)
				return ERR_PTR(-ENOENT);
		}
		obj = make(arg);
		if (IS_ERR(obj))
			return obj;
		ret = mbox_obj_link(obj, name);
		if (!ret) {
			*created = true;
			return obj;
		}
		mbox_obj_fini(obj);
		ops->destroy(obj);
		if (ret != -EEXIST || excl)
			return ERR_PTR(ret);
	}
	return ERR_PTR(-EAGAIN);
}

bool mbox_obj_is_linked(struct mbox_obj *obj)
{
	return READ_ONCE(obj->linked);
}

static bool mbox_obj_owner(struct mbox_obj *obj)
{
	kuid_t euid = current_euid();

	return uid_eq(euid, obj->uid) || uid_eq(euid, obj->cuid) ||
	       ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/**
 * mbox_obj_unlink - remove an object's name and ID (owner or CAP_IPC_OWNER)
 * @name: the name, or ""
 * @id: the ID, used when @name is ""
 * @ops: the type wanted
 *
 * Return: 0, -ENOENT, or -EPERM.
 */
int mbox_obj_unlink(const char *name, u64 id, const struct mbox_obj_ops *ops)
{
	struct mbox_obj *obj;
	bool put;

	mutex_lock(&mbox_registry_lock);
	obj = mbox_lookup(name, id, ops);
	if (!obj) {
		mutex_unlock(&mbox_registry_lock);
		return -ENOENT;
	}
	if (!mbox_obj_owner(obj)) {
		mutex_unlock(&mbox_registry_lock);
		return -EPERM;
	}
	put = mbox_obj_delist(obj);
	mutex_unlock(&mbox_registry_lock);
	if (put)
		mbox_obj_put(obj);
	return 0;
}

/**
 * mbox_obj_permission - may the caller use @obj as @may asks
 * @obj: the object
 * @may: MAY_READ and/or MAY_WRITE
 *
 * Owner, group and other bits as for System V IPC objects; CAP_IPC_OWNER in
 * the IPC namespace's user namespace overrides.
 *
 * Return: 0 or -EACCES.
 */
int mbox_obj_permission(struct mbox_obj *obj, int may)
{
	kuid_t euid = current_euid();
	int granted = obj->mode;

	if (uid_eq(euid, obj->cuid) || uid_eq(euid, obj->uid))
		granted >>= 6;
	else if (in_group_p(obj->cgid) || in_group_p(obj->gid))
		granted >>= 3;
	if ((may & ~granted & 0007) &&
	    !ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

void mbox_obj_get(struct mbox_obj *obj)
{
	kref_get(&obj->ref);
}

/* Called by kref_put_mutex() with mbox_registry_lock held; drops it. */
static void mbox_obj_release(struct kref *kref)
{
	struct mbox_obj *obj = container_of(kref, struct mbox_obj, ref);

	mbox_obj_delist(obj);
	mutex_unlock(&mbox_registry_lock);
	trace_mbox_destroy(obj->ops->type, obj->id, obj->name);
	mbox_obj_fini(obj);
	obj->ops->destroy(obj);
}

void mbox_obj_put(struct mbox_obj *obj)
{
	kref_put_mutex(&obj->ref, mbox_obj_release, &mbox_registry_lock);
}

/*
 * Unlink the named objects of dead IPC namespaces; with @all, every named
 * object (module exit: no descriptor is open any more).
 */
static void mbox_registry_reap(bool all)
{
	struct mbox_obj *obj;
	unsigned long id;

	for (;;) {
		struct mbox_obj *victim = NULL;

		mutex_lock(&mbox_registry_lock);
		xa_for_each(&mbox_ids, id, obj) {
			if (obj->persistent && (all || mbox_ns_dead(obj->ns))) {
				victim = obj;
				mbox_obj_delist(obj);
				break;
			}
		}
		mutex_unlock(&mbox_registry_lock);
		if (!victim)
			return;
		mbox_obj_put(victim);
	}
}

/*
 * Set up @obj for the caller (see mbox_obj_init_once()). When the caller's
 * objects_per_user is reached, first free what dead namespaces left behind,
 * so that mailboxes of namespaces that no longer exist do not count against
 * it forever.
 */
int mbox_obj_init(struct mbox_obj *obj, const struct mbox_obj_ops *ops,
		  umode_t mode)
{
	int ret = mbox_obj_init_once(obj, ops, mode);

	if (ret == -ENOSPC) {
		mbox_registry_reap(false);
		ret = mbox_obj_init_once(obj, ops, mode);
	}
	return ret;
}

void mbox_registry_exit(void)
{
	mbox_registry_reap(true);
	WARN_ON_ONCE(!xa_empty(&mbox_ids));
	xa_destroy(&mbox_ids);
}

/**
 * mbox_registry_show - list the objects of IPC namespace @ns
 * @m: /proc/mbox/objects
 * @ns: the namespace's token (see above)
 *
 * Return: 0.
 */
int mbox_registry_show(struct seq_file *m, struct vfsmount *ns)
{
	struct mbox_obj *obj;
	unsigned long id;

	mutex_lock(&mbox_registry_lock);
	xa_for_each(&mbox_ids, id, obj)
		if (obj->ns == ns)
			mbox_proc_show_obj(m, obj);
	mutex_unlock(&mbox_registry_lock);
	return 0;
}
