// SPDX-License-Identifier: GPL-2.0

//! Notifier blocks: a handler on a notifier chain, the part that the registrations of every
//! chain share. Each chain's module gives the chain's registration functions ([`Chain`]) and
//! its callback, which decodes the chain's events and finds the handler with
//! [`Block::handler_of`].
//!
//! C header: [`include/linux/notifier.h`](srctree/include/linux/notifier.h)

use crate::{
    bindings,
    error::{to_result, Error},
    ffi::{c_int, c_ulong, c_void},
    init::{self, PinInit},
    prelude::*,
    types::Opaque,
};
use core::marker::PhantomData;

/// The callback of a notifier block, as the chain calls it.
pub(crate) type Call =
    unsafe extern "C" fn(*mut bindings::notifier_block, c_ulong, *mut c_void) -> c_int;

/// A notifier chain: how blocks get on and off it.
pub(crate) trait Chain {
    /// Puts `nb` on the chain; returns 0 or a negative error code.
    ///
    /// # Safety
    ///
    /// `nb` is a valid, initialised block that is on no chain, and stays valid and pinned
    /// until [`Chain::unregister`] returns for it.
    unsafe fn register(nb: *mut bindings::notifier_block) -> c_int;

    /// Takes `nb` off the chain, once no call through it is running.
    ///
    /// # Safety
    ///
    /// `nb` was put on the chain by [`Chain::register`].
    unsafe fn unregister(nb: *mut bindings::notifier_block);
}

/// `handler` on chain `C`, called through the callback given to [`Block::new`] until the block
/// is dropped.
///
/// # Invariants
///
/// `nb` is on chain `C` with a callback that finds `handler` through `nb`'s address
/// ([`Block::handler_of`]); `handler` is written before `nb` is registered and dropped after
/// it is unregistered.
#[pin_data(PinnedDrop)]
pub(crate) struct Block<C: Chain, T: Send + Sync + 'static> {
    handler: T,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    _chain: PhantomData<C>,
}

// SAFETY: the notifier block is only touched by its chain, under the chain's lock; all other
// access goes through `&T`, and `T: Send + Sync`.
unsafe impl<C: Chain, T: Send + Sync + 'static> Send for Block<C, T> {}

// SAFETY: `&Block` only gives out `&T`, and `T: Sync`.
unsafe impl<C: Chain, T: Send + Sync + 'static> Sync for Block<C, T> {}

impl<C: Chain, T: Send + Sync + 'static> Block<C, T> {
    /// Puts `handler` on chain `C`: the chain calls `call` with the block's address, from
    /// which [`Block::handler_of`] finds `handler`. A chain that calls blocks as they register
    /// (the netdevice chain replays its devices) finds `handler` in place already.
    pub(crate) fn new(handler: T, call: Call) -> impl PinInit<Self, Error> {
        let register = move |slot: *mut Opaque<bindings::notifier_block>| {
            let nb = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; a zeroed `notifier_block` with a callback is
            // a valid block on no chain.
            unsafe {
                nb.write(core::mem::zeroed());
                (*nb).notifier_call = Some(call);
            }
            // INVARIANT: on success `nb` is on the chain with `call`, and it is the `nb` field
            // of this `Block`, whose `handler` the initialiser below has already written.
            // SAFETY: `nb` is initialised, on no chain and pinned; it stays on the chain until
            // `drop`.
            to_result(unsafe { C::register(nb) })
        };
        // `try_pin_init!` initialises fields in the order written here: the handler is in
        // place before the chain can call it.
        try_pin_init!(Self {
            handler,
            // SAFETY: on success the block is initialised and registered; on failure it is on
            // no chain, so the slot may be freed.
            nb <- unsafe { init::pin_init_from_closure(register) },
            _chain: PhantomData,
        }? Error)
    }

    /// The handler.
    pub(crate) fn handler(&self) -> &T {
        &self.handler
    }

    /// The handler of the block at `nb`, for the block's callback.
    ///
    /// # Safety
    ///
    /// `nb` is the `nb` field of a live `Block<C, T>`, as in a call from its chain, and the
    /// returned reference is used only during that call.
    pub(crate) unsafe fn handler_of<'a>(nb: *mut bindings::notifier_block) -> &'a T {
        // SAFETY: the caller's guarantee; `Opaque<notifier_block>` is `repr(transparent)`.
        let this = unsafe {
            crate::container_of!(nb.cast::<Opaque<bindings::notifier_block>>(), Self, nb)
        };
        // SAFETY: by the type invariant `handler` is valid while the chain can call the block.
        unsafe { &(*this).handler }
    }
}

#[pinned_drop]
impl<C: Chain, T: Send + Sync + 'static> PinnedDrop for Block<C, T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant `nb` is on chain `C`. Unregistering waits for the calls
        // in flight, so `handler` outlives every call.
        unsafe { C::unregister(self.nb.get()) };
    }
}
