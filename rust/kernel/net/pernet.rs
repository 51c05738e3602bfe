// SPDX-License-Identifier: GPL-2.0

//! State kept per network namespace (`struct pernet_operations`).
//!
//! A module that runs one instance per namespace (a cluster node per namespace, say) registers
//! an [`Operations`] implementation: its `init` builds the instance when a namespace appears
//! (and for every namespace that exists at registration), and the instance is dropped when the
//! namespace is dismantled or the registration dropped. In between, [`Registration::get`]
//! finds the instance of a namespace.
//!
//! The operations are registered as device operations (`register_pernet_device`), so they are
//! torn down before the protocols of the namespace: an instance may own kernel sockets of a
//! built-in protocol (TIPC, UDP), and must release them while the protocol's per-namespace
//! state still exists.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use crate::{
    bindings,
    error::{from_result, to_result, Result},
    init,
    net::namespace::Net,
    prelude::*,
    sync::rcu,
    types::{ForeignOwnable, Opaque},
};
use core::marker::PhantomData;

/// Where the kernel keeps the slot number of an [`Operations`] implementation: a `static` of
/// the module, as the C code a namespace's constructor runs cannot carry it.
///
/// # Invariants
///
/// The value is written by `register_pernet_device` only, before any callback of the
/// registration runs, and read only by those callbacks and by [`Registration::get`].
pub struct Id(Opaque<core::ffi::c_uint>);

// SAFETY: the kernel writes the id once, under `pernet_ops_rwsem`, before anything reads it.
unsafe impl Sync for Id {}

impl Id {
    /// An id not yet assigned.
    pub const fn new() -> Self {
        Self(Opaque::new(0))
    }

    fn get(&self) -> core::ffi::c_uint {
        // SAFETY: by the type invariant, the value was written before any reader can run.
        unsafe { *self.0.get() }
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

/// What a module keeps per network namespace, and how it is built and torn down.
pub trait Operations: Sized + 'static {
    /// The instance kept per namespace.
    type Data: ForeignOwnable + Send + Sync;

    /// The module's `static` slot id.
    fn id() -> &'static Id;

    /// Builds the instance of `net`, which is being set up (or exists, at registration).
    /// Runs in process context and may sleep. An error fails the namespace's creation (or the
    /// registration).
    fn init(net: &Net) -> Result<Self::Data>;

    /// Stops the instance before the namespace is dismantled: no new work should start. An
    /// RCU grace period separates it from the drop of the instance. Runs in process context.
    fn pre_exit(_net: &Net, _data: <Self::Data as ForeignOwnable>::Borrowed<'_>) {}
}

/// A registration of [`Operations`]; dropping it drops the instance of every namespace.
///
/// # Invariants
///
/// `ops` is registered with `register_pernet_device`, with `T::id()` as its id and the
/// callbacks of this type for `T`. In every namespace the registration has initialised and
/// not yet exited, the slot holds a pointer from `T::Data::into_foreign`.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Operations> {
    #[pin]
    ops: Opaque<bindings::pernet_operations>,
    _t: PhantomData<T>,
}

// SAFETY: the registration is only read after it is made; `T::Data` is `Send + Sync`.
unsafe impl<T: Operations> Send for Registration<T> {}

// SAFETY: see above.
unsafe impl<T: Operations> Sync for Registration<T> {}

/// The slot's contents: the foreign pointer of the namespace's instance.
type Slot = *const core::ffi::c_void;

impl<T: Operations> Registration<T> {
    /// Registers the operations: `T::init` runs for every existing namespace now, and for
    /// every new one until the registration is dropped.
    pub fn new() -> impl PinInit<Self, Error> {
        let register = |slot: *mut Opaque<bindings::pernet_operations>| {
            let ops = Opaque::raw_get(slot);
            // SAFETY: `ops` is valid for writes; an all-zero `pernet_operations` is a valid
            // value to start from (no callbacks, no id, no size).
            unsafe {
                ops.write(core::mem::zeroed());
                (*ops).init = Some(Self::init_callback);
                (*ops).pre_exit = Some(Self::pre_exit_callback);
                (*ops).exit = Some(Self::exit_callback);
                (*ops).id = T::id().0.get();
                (*ops).size = core::mem::size_of::<Slot>();
            }
            // INVARIANT: on success `ops` is registered with this type's callbacks and
            // `T::id()`.
            // SAFETY: `ops` is initialised and pinned; it stays registered until `drop`.
            to_result(unsafe { bindings::register_pernet_device(ops) })
        };
        try_pin_init!(Self {
            // SAFETY: on success the operations are registered; on failure the kernel has
            // exited every namespace it initialised and unlinked them, so the slot may be freed.
            ops <- unsafe { init::pin_init_from_closure(register) },
            _t: PhantomData,
        }? Error)
    }

    /// Returns the instance of `net`, or `None` in a namespace the registration has not
    /// initialised (one still being set up when this runs).
    pub fn get<'a>(&'a self, net: &'a Net) -> Option<<T::Data as ForeignOwnable>::Borrowed<'a>> {
        let _rcu = rcu::read_lock();
        // SAFETY: the registration is live (`&self`), so the id is assigned and `net` has a
        // slot of `size_of::<Slot>()` bytes; the RCU guard covers reading `net->gen`.
        let slot = unsafe { bindings::net_generic(net.as_raw(), T::id().get()) }.cast::<Slot>();
        // SAFETY: the slot is valid for reads (see above); it is zeroed until `init` writes it.
        let ptr = unsafe { slot.read() };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: by the type invariant, `ptr` came from `into_foreign` and is released only by
        // `exit`, which runs when `net` is dismantled or the registration dropped: neither
        // happens during `'a`, for which both `net` (by `Net`'s invariant) and `self` live.
        Some(unsafe { T::Data::borrow(ptr) })
    }

    /// Returns the slot of `net`.
    ///
    /// # Safety
    ///
    /// Must be called from a callback of the registration, for the namespace it is called for.
    unsafe fn slot(net: *mut bindings::net) -> *mut Slot {
        // SAFETY: the callbacks run for registered operations, so the id is assigned, and the
        // kernel allocated the slot before `init` and frees it after `exit`.
        unsafe { bindings::net_generic(net, T::id().get()) }.cast::<Slot>()
    }

    extern "C" fn init_callback(net: *mut bindings::net) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: the namespace is valid while its constructor runs.
            let data = T::init(unsafe { Net::from_raw(net) })?;
            // SAFETY: called from `init` for `net`.
            // INVARIANT: the slot holds a pointer from `into_foreign` until `exit`.
            unsafe { Self::slot(net).write(data.into_foreign()) };
            Ok(0)
        })
    }

    extern "C" fn pre_exit_callback(net: *mut bindings::net) {
        // SAFETY: called from `pre_exit` for `net`.
        let ptr = unsafe { Self::slot(net).read() };
        if ptr.is_null() {
            return;
        }
        // SAFETY: `ptr` came from `into_foreign` (the type invariant) and is only released by
        // `exit`, after this returns; the namespace is valid while its destructors run.
        T::pre_exit(unsafe { Net::from_raw(net) }, unsafe {
            T::Data::borrow(ptr)
        });
    }

    extern "C" fn exit_callback(net: *mut bindings::net) {
        // SAFETY: called from `exit` for `net`.
        let slot = unsafe { Self::slot(net) };
        // SAFETY: the slot is valid; `exit` runs once per initialised namespace.
        let ptr = unsafe { slot.replace(core::ptr::null()) };
        // SAFETY: `ptr` is null or came from `into_foreign`; no borrow of it outlives the
        // callbacks and `get`, which cannot run for a namespace being dismantled.
        drop(unsafe { T::Data::try_from_foreign(ptr) });
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant, `ops` is registered; this runs `exit` for every
        // namespace.
        unsafe { bindings::unregister_pernet_device(self.ops.get()) };
    }
}
