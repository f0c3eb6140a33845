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
 * dead namespace are unreachable. Their names are reaped by a delayed work
 * that runs every MBOX_REAP_INTERVAL while any named object exists (so a
 * dead namespace's objects and charges are gone within that interval once
 * nobody holds a descriptor), at once when a user's object or byte quota is
 * short (so nobody is refused because of them), and at module exit.
 *
 * Names. Mailboxes and rings share one name space per IPC namespace: a name
 * held by one type can not be created as the other (-EEXIST).
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
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "limits.h"
#include "mbox_trace.h"
#include "registry.h"
#include "ucmd.h"
#include "user.h"

#ifndef CONFIG_POSIX_MQUEUE
#error "mbox scopes names by IPC namespace through its mqueue mount: needs CONFIG_POSIX_MQUEUE"
#endif

/* How often dead namespaces' objects are looked for while any is named. */
#define MBOX_REAP_INTERVAL	HZ

/*
 * Protects mbox_ids, mbox_names, mbox_next_id, mbox_nr_named and each
 * object's @linked, @persistent and @name_node.
 */
static DEFINE_MUTEX(mbox_registry_lock);
static DEFINE_XARRAY(mbox_ids);
static DEFINE_HASHTABLE(mbox_names, 8);
static u64 mbox_next_id = 1;
static unsigned long mbox_nr_named;

static void mbox_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mbox_reap_work, mbox_reap_fn);

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
 * @name: MBOX_NAME_LONG_MAX bytes
 * @uptr: the user's pointer, or 0 (an empty name)
 *
 * A name is 1 to MBOX_NAME_LONG_MAX - 1 (NAME_MAX) printable ASCII
 * characters other than '/' and space.
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
	len = strncpy_from_user(name, u64_to_user_ptr(uptr), MBOX_NAME_LONG_MAX);
	if (len < 0)
		return len;
	if (len == MBOX_NAME_LONG_MAX) {
		name[0] = '\0';
		return -ENAMETOOLONG;
	}
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
	obj->name = "";
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
	/* A name is never "" once set; "" is the static one of anonymous objects. */
	if (*obj->name)
		kfree(obj->name);
	obj->name = "";
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
 * unlinked. Return: 0, -ENOMEM, or -EEXIST if the name is taken in this
 * namespace.
 */
int mbox_obj_link(struct mbox_obj *obj, const char *name)
{
	const char *copy = NULL;
	int ret;

	if (*name) {
		copy = kstrdup(name, GFP_KERNEL_ACCOUNT);
		if (!copy)
			return -ENOMEM;
	}
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
	if (copy) {
		obj->name = copy;
		copy = NULL;
		hash_add(mbox_names, &obj->name_node, mbox_name_hash(obj->ns, name));
		obj->persistent = true;
		kref_get(&obj->ref);
		if (!mbox_nr_named++)
			schedule_delayed_work(&mbox_reap_work, MBOX_REAP_INTERVAL);
	}
	trace_mbox_create(obj->ops->type, obj->id, obj->name);
out_unlock:
	mutex_unlock(&mbox_registry_lock);
	kfree(copy);
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
	if (persistent)
		mbox_nr_named--;
	xa_erase(&mbox_ids, obj->id);
	if (obj->name[0])
		hash_del(&obj->name_node);
	return persistent;
}

/*
 * The object named @name, or with ID @id when @name is "", in the caller's
 * namespace, of any type: names are one space for every type.
 */
static struct mbox_obj *mbox_lookup(const char *name, u64 id)
{
	struct vfsmount *ns = mbox_current_ns();
	struct mbox_obj *obj;

	lockdep_assert_held(&mbox_registry_lock);
	if (*name)
		return mbox_lookup_name(ns, name);
	/* The xarray's index is an unsigned long: look up exactly @id. */
	if (id > ULONG_MAX)
		return NULL;
	obj = xa_load(&mbox_ids, id);
	if (obj && (obj->id != id || obj->ns != ns))
		obj = NULL;
	return obj;
}

/*
 * Look up as mbox_lookup() does and reference the object if it is of type
 * @ops. Return: the object, NULL if there is none, ERR_PTR(-EEXIST) if the
 * name is another type's.
 */
static struct mbox_obj *mbox_obj_find(const char *name, u64 id,
				      const struct mbox_obj_ops *ops)
{
	struct mbox_obj *obj;

	mutex_lock(&mbox_registry_lock);
	obj = mbox_lookup(name, id);
	if (obj && obj->ops != ops)
		obj = *name ? ERR_PTR(-EEXIST) : NULL;
	else if (obj)
		kref_get(&obj->ref);
	mutex_unlock(&mbox_registry_lock);
	return obj;
}

/*
 * Find the object @op names, or make and link one. A creator that loses a
 * race for the name opens the winner's object. Return: the object with a
 * reference for the caller, or an ERR_PTR: -ENOENT, -EEXIST (also for a
 * name another type holds), -EAGAIN (the name kept changing hands), or
 * @op->make's error.
 */
static struct mbox_obj *mbox_obj_open(const struct mbox_obj_opener *op,
				      const char *name, bool *created)
{
	struct mbox_obj *obj;
	int ret, tries;

	for (tries = 0; tries < 4; tries++) {
		if (*name || !op->create) {
			obj = mbox_obj_find(name, op->id, op->ops);
			if (IS_ERR(obj))
				return op->create ? obj : ERR_PTR(-ENOENT);
			if (obj && op->create && op->excl) {
				mbox_obj_put(obj);
				return ERR_PTR(-EEXIST);
			}
			if (obj)
				return obj;
			if (!op->create)
				return ERR_PTR(-ENOENT);
		}
		obj = op->make(op->arg);
		if (IS_ERR(obj))
			return obj;
		ret = mbox_obj_link(obj, name);
		if (!ret) {
			*created = true;
			return obj;
		}
		mbox_obj_fini(obj);
		op->ops->destroy(obj);
		if (ret != -EEXIST || op->excl)
			return ERR_PTR(ret);
	}
	return ERR_PTR(-EAGAIN);
}

/* Undo the creation of @obj: its name and ID go, as if never made. */
static void mbox_obj_uncreate(struct mbox_obj *obj)
{
	bool put;

	mutex_lock(&mbox_registry_lock);
	put = mbox_obj_delist(obj);
	mutex_unlock(&mbox_registry_lock);
	if (put)
		mbox_obj_put(obj);
}

/**
 * mbox_obj_open_fd - find or create a named object and hand it out as a
 *	new descriptor: the one way every open-or-create command works
 * @ucmd: the command in flight; its result struct is written back before
 *	the descriptor exists
 * @len: the kernel size of that struct
 * @id_out: where in the result the object's ID goes
 * @op: what to open and how
 *
 * Takes effect or changes nothing: when the result can not be written back
 * (or anything else fails after the object was created here), the new
 * object is unlinked again, so a failed create leaves no name behind.
 *
 * Return: the descriptor, or a negative errno.
 */
int mbox_obj_open_fd(struct mbox_ucmd *ucmd, size_t len, u64 *id_out,
		     const struct mbox_obj_opener *op)
{
	char name[MBOX_NAME_LONG_MAX];
	struct mbox_obj *obj;
	bool created = false;
	struct file *file;
	int ret;

	ret = mbox_name_from_user(name, op->uname);
	if (ret)
		return ret;
	ret = op->check(op->arg, name);
	if (ret)
		return ret;
	obj = mbox_obj_open(op, name, &created);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (!created) {
		ret = mbox_obj_permission(obj, op->may);
		if (ret)
			goto err_put;
	}
	file = op->open_file(obj, op->arg);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put;
	}
	/* The file holds the caller's reference now; keep one for the undo. */
	mbox_obj_get(obj);
	*id_out = obj->id;
	ret = mbox_ucmd_install(ucmd, len, file, op->cloexec);
	if (ret < 0 && created)
		mbox_obj_uncreate(obj);
	mbox_obj_put(obj);
	return ret;

err_put:
	if (created)
		mbox_obj_uncreate(obj);
	mbox_obj_put(obj);
	return ret;
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
 * @type: the type wanted
 *
 * Return: 0, -ENOENT, or -EPERM.
 */
int mbox_obj_unlink(const char *name, u64 id, enum mbox_type type)
{
	struct mbox_obj *obj;
	bool put;

	mutex_lock(&mbox_registry_lock);
	obj = mbox_lookup(name, id);
	if (!obj || obj->ops->type != type) {
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

/* Every MBOX_REAP_INTERVAL while a named object exists. */
static void mbox_reap_fn(struct work_struct *work)
{
	mbox_registry_reap(false);
	mutex_lock(&mbox_registry_lock);
	if (mbox_nr_named)
		schedule_delayed_work(&mbox_reap_work, MBOX_REAP_INTERVAL);
	mutex_unlock(&mbox_registry_lock);
}

/*
 * Set up @obj for the caller (see mbox_obj_init_once()). When the caller's
 * objects_per_user is reached, first free what dead namespaces left behind,
 * so that objects of namespaces that no longer exist never count against
 * it.
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

/**
 * mbox_obj_charge_bytes - charge @bytes to @user's byte quota
 * @user: the accounting charged
 * @bytes: how much
 *
 * Like mbox_obj_init(), frees dead namespaces' objects before refusing, so
 * their messages and rings never count against anybody. Called with no
 * lock held.
 *
 * Return: 0 or -EDQUOT.
 */
int mbox_obj_charge_bytes(struct mbox_user *user, size_t bytes)
{
	int ret = mbox_user_charge_bytes(user, bytes);

	if (ret == -EDQUOT) {
		mbox_registry_reap(false);
		ret = mbox_user_charge_bytes(user, bytes);
	}
	return ret;
}

void mbox_registry_exit(void)
{
	/* No descriptor is open, so nothing links a named object any more. */
	cancel_delayed_work_sync(&mbox_reap_work);
	mbox_registry_reap(true);
	WARN_ON_ONCE(!xa_empty(&mbox_ids));
	xa_destroy(&mbox_ids);
}

/**
 * mbox_registry_for_each - call @fn for each object of IPC namespace @ns
 * @ns: the namespace's token (see above)
 * @fn: called under mbox_registry_lock; must not sleep
 * @arg: for @fn
 */
void mbox_registry_for_each(struct vfsmount *ns,
			    void (*fn)(struct mbox_obj *obj, void *arg),
			    void *arg)
{
	struct mbox_obj *obj;
	unsigned long id;

	mutex_lock(&mbox_registry_lock);
	xa_for_each(&mbox_ids, id, obj)
		if (obj->ns == ns)
			fn(obj, arg);
	mutex_unlock(&mbox_registry_lock);
}
