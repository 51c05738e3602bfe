// SPDX-License-Identifier: GPL-2.0

//! Notifications of netlink sockets that user space released.
//!
//! A [`Registration`] puts a [`Handler`] on the netlink notifier chain, which reports every
//! bound user-space netlink socket of every namespace as it closes (`NETLINK_URELEASE`), so a
//! module that keeps state for a daemon by its port id can drop it at once, rather than when a
//! notification to the port first fails.
//!
//! C header: [`include/linux/netlink.h`](srctree/include/linux/netlink.h)

use crate::{
    bindings,
    error::to_result,
    ffi::{c_int, c_ulong, c_void},
    init::PinInit,
    net::namespace::Net,
    prelude::*,
    types::Opaque,
};

/// `NETLINK_GENERIC`: the protocol of generic netlink sockets.
pub const NETLINK_GENERIC: i32 = bindings::NETLINK_GENERIC as i32;

/// Callbacks of a netlink release notifier.
///
/// `'static` because a registration may outlive any borrow (it can be leaked).
pub trait Handler: Send + Sync + 'static {
    /// Called in process context, with the chain's lock held for reading, when the user-space
    /// netlink socket of `protocol` bound to port `portid` in `net` is released; it may
    /// sleep. The socket left the port table before: a new socket may hold `portid` already.
    /// Called for every protocol: filter on `protocol` first, as every close of a bound
    /// netlink socket comes here.
    ///
    /// The handler must not create or drop a [`Registration`]: both take the chain's lock,
    /// which is held.
    fn released(&self, net: &Net, protocol: i32, portid: u32);
}

/// A registered netlink release notifier; unregistered when dropped.
///
/// # Invariants
///
/// `nb` is registered on the netlink notifier chain, and its callback is
/// [`Registration::notifier_call`], which finds `handler` through `nb`'s address.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Handler> {
    handler: T,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
}

// SAFETY: the notifier block is only touched by the notifier chain, under its lock; all other
// access goes through `&T`, and `T: Send + Sync`.
unsafe impl<T: Handler> Send for Registration<T> {}

// SAFETY: `&Registration` only gives out `&T`, and `T: Sync`.
unsafe impl<T: Handler> Sync for Registration<T> {}

impl<T: Handler> Registration<T> {
    /// Registers `handler` on the netlink notifier chain.
    pub fn new(handler: T) -> impl PinInit<Self, Error> {
        let register = move |slot: *mut Opaque<bindings::notifier_block>| {
            let nb = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; a zeroed `notifier_block` with a callback is a
            // valid unlinked block.
            unsafe {
                nb.write(core::mem::zeroed());
                (*nb).notifier_call = Some(Self::notifier_call);
            }
            // INVARIANT: on success `nb` is registered with `notifier_call`, and it is the `nb`
            // field of this `Registration`, whose `handler` the initialiser below has already
            // written.
            // SAFETY: `nb` is initialised and pinned; it stays registered until `drop`.
            to_result(unsafe { bindings::netlink_register_notifier(nb) })
        };
        // `try_pin_init!` initialises fields in the order written here: the handler is there
        // before the first call can come.
        try_pin_init!(Self {
            handler,
            // SAFETY: on success the block is initialised and registered; on failure it was
            // not linked, so the slot may be freed.
            nb <- unsafe { init::pin_init_from_closure(register) },
        }? Error)
    }

    /// Returns the handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }

    /// The `notifier_call` of the block: forwards a release to the handler.
    ///
    /// # Safety
    ///
    /// Called by the netlink notifier chain: `nb` is the `nb` field of a live
    /// `Registration<T>`, and for `NETLINK_URELEASE` `data` points to a `struct
    /// netlink_notify` whose namespace is valid during the call.
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        if action != bindings::NETLINK_URELEASE as c_ulong || data.is_null() {
            return bindings::NOTIFY_DONE as c_int;
        }
        // SAFETY: by the type invariant `nb` is embedded in a `Registration<T>`, and
        // `Opaque<notifier_block>` is `repr(transparent)`.
        let this = unsafe {
            crate::container_of!(nb.cast::<Opaque<bindings::notifier_block>>(), Self, nb)
        };
        // SAFETY: `handler` is initialised before `nb` is registered and dropped only after it
        // is unregistered, so it is valid during the call.
        let handler = unsafe { &(*this).handler };
        // SAFETY: for `NETLINK_URELEASE` the chain passes a valid `netlink_notify`.
        let n = unsafe { &*data.cast::<bindings::netlink_notify>() };
        // SAFETY: the released socket holds its namespace for the duration of the call.
        let net = unsafe { Net::from_raw(n.net) };
        handler.released(net, n.protocol, n.portid);
        bindings::NOTIFY_DONE as c_int
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant `nb` is registered. Unregistration takes the chain's
        // lock, which each call holds, so `handler` outlives every call.
        unsafe { bindings::netlink_unregister_notifier(self.nb.get()) };
    }
}
