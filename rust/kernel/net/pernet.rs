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
    types::{ForeignOwnable, Opaque},
};
use core::{
    marker::PhantomData,
    ops::Deref,
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};

/// Where the kernel keeps the slot number of an [`Operations`] implementation: a `static` of
/// the module, as the C code a namespace's constructor runs cannot carry it.
///
/// # Invariants
///
/// `claimed` is set while a [`Registration`] uses the id, by that registration alone. The value
/// is written by `register_pernet_device` only, while the registration is made, before any
/// callback of it runs; it is read by those callbacks and by [`Registration::get`].
pub struct Id {
    value: Opaque<core::ffi::c_uint>,
    claimed: AtomicBool,
}

// SAFETY: the kernel writes the value only while the one registration claiming the id is
// made, before anything reads it (see the invariants).
unsafe impl Sync for Id {}

impl Id {
    /// An id not yet assigned.
    pub const fn new() -> Self {
        Self {
            value: Opaque::new(0),
            claimed: AtomicBool::new(false),
        }
    }

    fn get(&self) -> core::ffi::c_uint {
        // SAFETY: by the type invariant, the value was written before any reader can run.
        unsafe { *self.value.get() }
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

/// The namespace [`Operations::init`] builds an instance for: what kernel sockets are created
/// in ([`super::socket::Socket::create`]), so that the instance owns them and the namespace's
/// exit drops them.
pub struct Init<'a>(&'a Net);

impl Deref for Init<'_> {
    type Target = Net;

    fn deref(&self) -> &Net {
        self.0
    }
}

/// What a module keeps per network namespace, and how it is built and torn down.
pub trait Operations: Sized + 'static {
    /// The instance kept per namespace.
    type Data: ForeignOwnable + Send + Sync;

    /// The module's `static` slot id, used by no other registration (a second registration
    /// with it fails with `EBUSY`).
    fn id() -> &'static Id;

    /// Builds the instance of `net`, which is being set up (or exists, at registration).
    /// Runs in process context and may sleep. An error fails the namespace's creation (or the
    /// registration).
    fn init(net: &Init<'_>) -> Result<Self::Data>;

    /// Stops the instance before the namespace is dismantled: no new work should start. An
    /// RCU grace period separates it from the drop of the instance. Runs in process context.
    fn pre_exit(_net: &Net, _data: <Self::Data as ForeignOwnable>::Borrowed<'_>) {}
}

/// A registration of [`Operations`]; dropping it drops the instance of every namespace.
///
/// # Examples
///
/// ```
/// use kernel::net::{namespace::Net, pernet};
///
/// static ID: pernet::Id = pernet::Id::new();
///
/// struct Seven;
///
/// impl pernet::Operations for Seven {
///     type Data = KBox<u32>;
///
///     fn id() -> &'static pernet::Id {
///         &ID
///     }
///
///     fn init(_net: &pernet::Init<'_>) -> Result<KBox<u32>> {
///         Ok(KBox::new(7, GFP_KERNEL)?)
///     }
/// }
///
/// let reg = KBox::pin_init(pernet::Registration::<Seven>::new(), GFP_KERNEL)?;
/// // Every namespace that exists has its instance.
/// assert_eq!(reg.get(Net::init()).map(|v| *v), Some(7));
/// // The id is taken while the registration lives.
/// assert!(KBox::pin_init(pernet::Registration::<Seven>::new(), GFP_KERNEL).is_err());
/// drop(reg);
/// let again = KBox::pin_init(pernet::Registration::<Seven>::new(), GFP_KERNEL)?;
/// assert_eq!(again.get(Net::init()).map(|v| *v), Some(7));
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `ops` is registered with `register_pernet_device`, with `T::id()`, which it claims, as its
/// id and the callbacks of this type for `T`. In every namespace the registration has
/// initialised and not yet exited, the slot holds a pointer from `T::Data::into_foreign`; it
/// is null before and after.
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

/// The slot's contents: the foreign pointer of the namespace's instance, published to `get`
/// with release and acquire ordering. The kernel zeroes the slot: a null pointer.
type Slot = AtomicPtr<core::ffi::c_void>;

impl<T: Operations> Registration<T> {
    /// Registers the operations: `T::init` runs for every existing namespace now, and for
    /// every new one until the registration is dropped.
    pub fn new() -> impl PinInit<Self, Error> {
        let register = |slot: *mut Opaque<bindings::pernet_operations>| {
            let id = T::id();
            if id
                .claimed
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                return Err(EBUSY);
            }
            let ops = Opaque::raw_get(slot);
            // SAFETY: `ops` is valid for writes; an all-zero `pernet_operations` is a valid
            // value to start from (no callbacks, no id, no size).
            unsafe {
                ops.write(core::mem::zeroed());
                (*ops).init = Some(Self::init_callback);
                (*ops).pre_exit = Some(Self::pre_exit_callback);
                (*ops).exit = Some(Self::exit_callback);
                (*ops).id = id.value.get();
                (*ops).size = core::mem::size_of::<Slot>();
            }
            // INVARIANT: on success `ops` is registered with this type's callbacks and
            // `T::id()`, claimed above.
            // SAFETY: `ops` is initialised and pinned; it stays registered until `drop`.
            let registered = to_result(unsafe { bindings::register_pernet_device(ops) });
            if registered.is_err() {
                id.claimed.store(false, Ordering::Release);
            }
            registered
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
        // SAFETY: the registration is live (`&self`), so the id is assigned; the helper checks
        // that `net` has a slot for it yet, under RCU.
        let slot = unsafe { bindings::net_generic_or_null(net.as_raw(), T::id().get()) };
        if slot.is_null() {
            return None;
        }
        // SAFETY: a non-null slot is the zeroed or written `Slot` of this registration in
        // `net`, which lives as long as `net` does.
        let ptr = unsafe { &*slot.cast::<Slot>() }.load(Ordering::Acquire);
        if ptr.is_null() {
            return None;
        }
        // SAFETY: by the type invariant, `ptr` came from `into_foreign` and is released only by
        // `exit`, which runs when `net` is dismantled or the registration dropped: neither
        // happens during `'a`, for which both `net` (by `Net`'s invariant) and `self` live.
        Some(unsafe { T::Data::borrow(ptr.cast_const()) })
    }

    /// Returns the slot of `net`.
    ///
    /// # Safety
    ///
    /// Must be called from a callback of the registration, for the namespace it is called for.
    unsafe fn slot<'a>(net: *mut bindings::net) -> &'a Slot {
        // SAFETY: the callbacks run for registered operations, so the id is assigned, and the
        // kernel allocated the (zeroed) slot before `init` and frees it after `exit`.
        unsafe { &*bindings::net_generic(net, T::id().get()).cast::<Slot>() }
    }

    extern "C" fn init_callback(net: *mut bindings::net) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: the namespace is valid while its constructor runs.
            let data = T::init(&Init(unsafe { Net::from_raw(net) }))?;
            // SAFETY: called from `init` for `net`.
            let slot = unsafe { Self::slot(net) };
            // INVARIANT: the slot holds a pointer from `into_foreign` until `exit`.
            slot.store(data.into_foreign().cast_mut(), Ordering::Release);
            Ok(0)
        })
    }

    extern "C" fn pre_exit_callback(net: *mut bindings::net) {
        // SAFETY: called from `pre_exit` for `net`.
        let ptr = unsafe { Self::slot(net) }.load(Ordering::Acquire);
        if ptr.is_null() {
            return;
        }
        // SAFETY: the namespace's memory is valid while its destructors run (it is being
        // dismantled: `pre_exit` must not expect more of it).
        let net = unsafe { Net::from_raw(net) };
        // SAFETY: `ptr` came from `into_foreign` (the type invariant) and is only released by
        // `exit`, after this returns.
        T::pre_exit(net, unsafe { T::Data::borrow(ptr.cast_const()) });
    }

    extern "C" fn exit_callback(net: *mut bindings::net) {
        // SAFETY: called from `exit` for `net`.
        let ptr = unsafe { Self::slot(net) }.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `ptr` is null or came from `into_foreign`; no borrow of it outlives the
        // callbacks and `get`, which cannot run for a namespace being dismantled.
        drop(unsafe { T::Data::try_from_foreign(ptr.cast_const()) });
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant, `ops` is registered; this runs `exit` for every
        // namespace.
        unsafe { bindings::unregister_pernet_device(self.ops.get()) };
        // INVARIANT: the id is free for another registration.
        T::id().claimed.store(false, Ordering::Release);
    }
}
