// SPDX-License-Identifier: GPL-2.0

//! Network device notifiers.
//!
//! A [`Registration`] puts a [`Handler`] on the netdevice notifier chain, which reports every
//! state change of every network device in every namespace (`register_netdevice_notifier`).
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{
    bindings,
    error::{to_result, Result},
    ffi::{c_int, c_ulong, c_void},
    init::PinInit,
    net::dev::Device,
    prelude::*,
    types::Opaque,
};

macro_rules! define_events {
    ($($(#[$doc:meta])* $variant:ident = $cmd:ident,)*) => {
        /// An event on the netdevice notifier chain (`enum netdev_cmd`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Event {
            $($(#[$doc])* $variant,)*
            /// A command this enumeration does not name yet, by its raw value.
            Other(u32),
        }

        impl Event {
            /// Converts a raw `enum netdev_cmd` value.
            pub fn from_raw(cmd: u32) -> Self {
                match cmd {
                    $(bindings::$cmd => Self::$variant,)*
                    other => Self::Other(other),
                }
            }

            /// Returns the raw `enum netdev_cmd` value.
            pub fn as_raw(self) -> u32 {
                match self {
                    $(Self::$variant => bindings::$cmd,)*
                    Self::Other(other) => other,
                }
            }
        }
    };
}

define_events! {
    /// The device was brought up (`NETDEV_UP`).
    Up = netdev_cmd_NETDEV_UP,
    /// The device was brought down (`NETDEV_DOWN`).
    Down = netdev_cmd_NETDEV_DOWN,
    /// The device state changed, for example its carrier (`NETDEV_CHANGE`).
    Change = netdev_cmd_NETDEV_CHANGE,
    /// The device was registered (`NETDEV_REGISTER`).
    Register = netdev_cmd_NETDEV_REGISTER,
    /// The device is being unregistered (`NETDEV_UNREGISTER`).
    Unregister = netdev_cmd_NETDEV_UNREGISTER,
    /// The MTU changed (`NETDEV_CHANGEMTU`).
    ChangeMtu = netdev_cmd_NETDEV_CHANGEMTU,
    /// The hardware address changed (`NETDEV_CHANGEADDR`).
    ChangeAddr = netdev_cmd_NETDEV_CHANGEADDR,
    /// The hardware address is about to change; vetoable (`NETDEV_PRE_CHANGEADDR`).
    PreChangeAddr = netdev_cmd_NETDEV_PRE_CHANGEADDR,
    /// The device is about to go down (`NETDEV_GOING_DOWN`).
    GoingDown = netdev_cmd_NETDEV_GOING_DOWN,
    /// The device was renamed (`NETDEV_CHANGENAME`).
    ChangeName = netdev_cmd_NETDEV_CHANGENAME,
    /// The offload features changed (`NETDEV_FEAT_CHANGE`).
    FeatChange = netdev_cmd_NETDEV_FEAT_CHANGE,
    /// A bonding master switched its active port (`NETDEV_BONDING_FAILOVER`).
    BondingFailover = netdev_cmd_NETDEV_BONDING_FAILOVER,
    /// The device is about to be brought up; vetoable (`NETDEV_PRE_UP`).
    PreUp = netdev_cmd_NETDEV_PRE_UP,
    /// The device was initialised, before it is registered (`NETDEV_POST_INIT`).
    PostInit = netdev_cmd_NETDEV_POST_INIT,
    /// The device is about to be uninitialised, after it was unregistered
    /// (`NETDEV_PRE_UNINIT`).
    PreUninit = netdev_cmd_NETDEV_PRE_UNINIT,
    /// Peers should be told about the device, e.g. by gratuitous ARP (`NETDEV_NOTIFY_PEERS`).
    NotifyPeers = netdev_cmd_NETDEV_NOTIFY_PEERS,
    /// The upper device changed (`NETDEV_CHANGEUPPER`).
    ChangeUpper = netdev_cmd_NETDEV_CHANGEUPPER,
    /// Multicast group memberships should be resent (`NETDEV_RESEND_IGMP`).
    ResendIgmp = netdev_cmd_NETDEV_RESEND_IGMP,
    /// The MTU is about to change; vetoable (`NETDEV_PRECHANGEMTU`).
    PreChangeMtu = netdev_cmd_NETDEV_PRECHANGEMTU,
    /// The upper device is about to change; vetoable (`NETDEV_PRECHANGEUPPER`).
    PreChangeUpper = netdev_cmd_NETDEV_PRECHANGEUPPER,
    /// The state of a lower device changed (`NETDEV_CHANGELOWERSTATE`).
    ChangeLowerState = netdev_cmd_NETDEV_CHANGELOWERSTATE,
    /// The transmit queue length changed (`NETDEV_CHANGE_TX_QUEUE_LEN`).
    ChangeTxQueueLen = netdev_cmd_NETDEV_CHANGE_TX_QUEUE_LEN,
}

/// Callbacks of a netdevice notifier.
pub trait Handler: Send + Sync {
    /// Called for each event on each network device, with RTNL held.
    ///
    /// On registration the chain replays [`Event::Register`] and [`Event::Up`] for the devices
    /// that already exist, and on unregistration [`Event::GoingDown`], [`Event::Down`] and
    /// [`Event::Unregister`]. An error vetoes the events that can be refused ([`Event::PreUp`],
    /// [`Event::PreChangeMtu`], [`Event::PreChangeAddr`], [`Event::PreChangeUpper`]); the
    /// error code reaches whoever asked for the change. Other events ignore it.
    fn notify(&self, event: Event, dev: &Device) -> Result;
}

/// A registered netdevice notifier; unregistered when dropped.
///
/// # Invariants
///
/// `nb` is registered on the netdevice notifier chain, and its callback is
/// [`Registration::notifier_call`], which finds `handler` through `nb`'s address.
///
/// # Examples
///
/// Registration replays the existing devices, so a handler sees the loopback device at once:
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::net::{dev::Device, notifier::{Event, Handler, Registration}};
/// use kernel::sync::Arc;
///
/// struct Loopback {
///     registered: Arc<AtomicU32>,
///     unregistered: Arc<AtomicU32>,
/// }
///
/// impl Handler for Loopback {
///     fn notify(&self, event: Event, dev: &Device) -> Result {
///         if dev.name().as_bytes() == b"lo" {
///             match event {
///                 Event::Register => self.registered.fetch_add(1, Ordering::Relaxed),
///                 Event::Unregister => self.unregistered.fetch_add(1, Ordering::Relaxed),
///                 _ => 0,
///             };
///         }
///         Ok(())
///     }
/// }
///
/// let registered = Arc::new(AtomicU32::new(0), GFP_KERNEL)?;
/// let unregistered = Arc::new(AtomicU32::new(0), GFP_KERNEL)?;
/// let handler = Loopback { registered: registered.clone(), unregistered: unregistered.clone() };
/// let reg = KBox::pin_init(Registration::new(handler), GFP_KERNEL)?;
/// assert_eq!(registered.load(Ordering::Relaxed), 1);
/// assert_eq!(unregistered.load(Ordering::Relaxed), 0);
/// drop(reg);
/// assert_eq!(unregistered.load(Ordering::Relaxed), 1);
/// # Ok::<(), Error>(())
/// ```
#[pin_data(PinnedDrop)]
pub struct Registration<T: Handler> {
    // Initialised before `nb`: the chain calls the handler during registration.
    handler: T,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
}

// SAFETY: the notifier block is only touched by the notifier chain, under RTNL; all other access
// goes through `&T`, and `T: Send + Sync`.
unsafe impl<T: Handler> Send for Registration<T> {}

// SAFETY: `&Registration` only gives out `&T`, and `T: Sync`.
unsafe impl<T: Handler> Sync for Registration<T> {}

impl<T: Handler> Registration<T> {
    /// Registers `handler` on the netdevice notifier chain.
    ///
    /// Fails with the handler's error if it refuses the replay of an existing device.
    pub fn new(handler: T) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            handler,
            nb <- Self::register(),
        }? Error)
    }

    /// Returns the handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }

    fn register() -> impl PinInit<Opaque<bindings::notifier_block>, Error> {
        let init = move |slot: *mut Opaque<bindings::notifier_block>| {
            let nb = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; a zeroed `notifier_block` is a valid unlinked
            // block, given its callback before registration.
            unsafe {
                nb.write(core::mem::zeroed());
                (*nb).notifier_call = Some(Self::notifier_call);
            }
            // INVARIANT: `nb` is registered with `notifier_call`; `slot` is the `nb` field of a
            // pinned `Registration<T>` whose `handler` is already initialised, since `register`
            // is only used by `new`.
            // SAFETY: `nb` is initialised and pinned; it stays registered until `drop`.
            to_result(unsafe { bindings::register_netdevice_notifier(nb) })
        };
        // SAFETY: on success the block is initialised and registered; on failure it is not
        // registered, so the slot may be freed.
        unsafe { init::pin_init_from_closure(init) }
    }

    /// # Safety
    ///
    /// Called by the notifier chain: `nb` is the `nb` field of a live `Registration<T>` and
    /// `data` points to a `struct netdev_notifier_info` whose device is valid during the call.
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: by the type invariant `nb` is embedded in a `Registration<T>`, and
        // `Opaque<notifier_block>` is `repr(transparent)`.
        let this = unsafe {
            crate::container_of!(nb.cast::<Opaque<bindings::notifier_block>>(), Self, nb)
        };
        // SAFETY: `handler` was initialised before `nb` was registered and is dropped only after
        // it is unregistered, so it is valid during the call.
        let handler = unsafe { &(*this).handler };
        let info = data.cast::<bindings::netdev_notifier_info>();
        // SAFETY: the chain passes a valid `netdev_notifier_info` whose device stays valid for
        // the duration of the call.
        let dev = unsafe { Device::from_raw((*info).dev) };
        // Commands are small non-negative integers; anything else maps to `Event::Other`.
        let event = Event::from_raw(u32::try_from(action).unwrap_or(u32::MAX));
        match handler.notify(event, dev) {
            Ok(()) => bindings::NOTIFY_DONE as c_int,
            // SAFETY: FFI call with no preconditions.
            Err(e) => unsafe { bindings::notifier_from_errno(e.to_errno()) },
        }
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant `nb` is registered. Unregistration waits for callbacks
        // in flight (the chain runs under RTNL), so `handler` outlives every call.
        unsafe { bindings::unregister_netdevice_notifier(self.nb.get()) };
    }
}
