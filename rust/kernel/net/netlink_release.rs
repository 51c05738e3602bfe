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
    ffi::{c_int, c_ulong, c_void},
    init::PinInit,
    net::namespace::Net,
    notifier_block::{Block, Chain},
    prelude::*,
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
/// `block` is on the netlink notifier chain with [`Registration::notifier_call`] as its
/// callback.
#[pin_data]
pub struct Registration<T: Handler> {
    #[pin]
    block: Block<Netlink, T>,
}

/// The netlink notifier chain.
struct Netlink;

impl Chain for Netlink {
    unsafe fn register(nb: *mut bindings::notifier_block) -> c_int {
        // SAFETY: the caller's guarantee is the function's.
        unsafe { bindings::netlink_register_notifier(nb) }
    }

    unsafe fn unregister(nb: *mut bindings::notifier_block) {
        // SAFETY: the caller's guarantee; unregistering takes the chain's lock for writing,
        // which each call holds for reading, so no call is running when it returns.
        unsafe { bindings::netlink_unregister_notifier(nb) };
    }
}

impl<T: Handler> Registration<T> {
    /// Registers `handler` on the netlink notifier chain.
    pub fn new(handler: T) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            block <- Block::new(handler, Self::notifier_call),
        }? Error)
    }

    /// Returns the handler.
    pub fn handler(&self) -> &T {
        self.block.handler()
    }

    /// The `notifier_call` of the block: forwards a release to the handler.
    ///
    /// # Safety
    ///
    /// Called by the netlink notifier chain: `nb` is the block of a live `Registration<T>`,
    /// and for `NETLINK_URELEASE` `data` points to a `struct
    /// netlink_notify` whose namespace is valid during the call.
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        if action != bindings::NETLINK_URELEASE as c_ulong || data.is_null() {
            return bindings::NOTIFY_DONE as c_int;
        }
        // SAFETY: the chain calls this with the `nb` of a live block of this registration, and
        // the reference is used only during the call.
        let handler = unsafe { Block::<Netlink, T>::handler_of(nb) };
        // SAFETY: for `NETLINK_URELEASE` the chain passes a valid `netlink_notify`.
        let n = unsafe { &*data.cast::<bindings::netlink_notify>() };
        // SAFETY: the released socket holds its namespace for the duration of the call.
        let net = unsafe { Net::from_raw(n.net) };
        handler.released(net, n.protocol, n.portid);
        bindings::NOTIFY_DONE as c_int
    }
}
