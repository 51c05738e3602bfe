// SPDX-License-Identifier: GPL-2.0

//! Network device notifiers.
//!
//! A [`Registration`] puts a [`Handler`] on the netdevice notifier chain, which reports every
//! state change of every network device in every namespace (`register_netdevice_notifier`).
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{
    bindings,
    error::Result,
    ffi::{c_int, c_ulong, c_void},
    init::PinInit,
    net::dev::Device,
    notifier_block::{Block, Chain},
    prelude::*,
};

macro_rules! define_events {
    ($($(#[$doc:meta])* $variant:ident = $cmd:ident,)*) => {
        /// An event on the netdevice notifier chain (`enum netdev_cmd`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
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

impl Event {
    /// Returns whether a handler may refuse the event.
    ///
    /// These are the events announcing a change that has not happened yet; the error code of a
    /// refusal reaches whoever asked for the change.
    pub fn is_vetoable(self) -> bool {
        matches!(
            self,
            Self::PreUp | Self::PreChangeMtu | Self::PreChangeAddr | Self::PreChangeUpper
        )
    }
}

/// Callbacks of a netdevice notifier.
///
/// `'static` because a registration may outlive any borrow (it can be leaked).
pub trait Handler: Send + Sync + 'static {
    /// Called for each event on each network device of every namespace, with RTNL held (as every
    /// caller of the chain does in 6.12).
    ///
    /// On registration the chain replays [`Event::Register`] and [`Event::Up`] for the devices
    /// that already exist, and on unregistration [`Event::GoingDown`], [`Event::Down`] and
    /// [`Event::Unregister`].
    ///
    /// An error refuses a [vetoable](Event::is_vetoable) event: the chain stops there and the
    /// error code reaches whoever asked for the change. For any other event the error is logged
    /// and ignored, so that the other notifiers still see the event: stopping the chain on, say,
    /// [`Event::Unregister`] would keep other subsystems from dropping their references.
    ///
    /// The handler must not create or drop a [`Registration`]: both take RTNL, which is held.
    fn notify(&self, event: Event, dev: &Device) -> Result;
}

/// A registered netdevice notifier; unregistered when dropped.
///
/// # Invariants
///
/// `block` is on the netdevice notifier chain with [`Registration::notifier_call`] as its
/// callback.
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
/// // One loopback device per network namespace.
/// let seen = registered.load(Ordering::Relaxed);
/// assert!(seen >= 1);
/// assert_eq!(unregistered.load(Ordering::Relaxed), 0);
/// drop(reg);
/// assert_eq!(unregistered.load(Ordering::Relaxed), seen);
/// # Ok::<(), Error>(())
/// ```
#[pin_data]
pub struct Registration<T: Handler> {
    #[pin]
    block: Block<Netdevice, T>,
}

/// The netdevice notifier chain.
struct Netdevice;

impl Chain for Netdevice {
    unsafe fn register(nb: *mut bindings::notifier_block) -> c_int {
        // SAFETY: the caller's guarantee is the function's.
        unsafe { bindings::register_netdevice_notifier(nb) }
    }

    unsafe fn unregister(nb: *mut bindings::notifier_block) {
        // SAFETY: the caller's guarantee; the chain runs under RTNL, which this takes, so no
        // call is running when it returns.
        unsafe { bindings::unregister_netdevice_notifier(nb) };
    }
}

impl<T: Handler> Registration<T> {
    /// Registers `handler` on the netdevice notifier chain.
    ///
    /// Takes RTNL. Fails with the handler's error if it refuses the replay of an existing device,
    /// after the chain has rolled the replay back.
    pub fn new(handler: T) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            block <- Block::new(handler, Self::notifier_call),
        }? Error)
    }

    /// Returns the handler.
    pub fn handler(&self) -> &T {
        self.block.handler()
    }

    /// The `notifier_call` of the block: forwards the event to the handler.
    ///
    /// # Safety
    ///
    /// Called by the notifier chain, with RTNL held: `nb` is the block of a live
    /// `Registration<T>` and `data` points to a `struct netdev_notifier_info` whose device is
    /// valid during the call.
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        let Ok(cmd) = u32::try_from(action) else {
            return bindings::NOTIFY_DONE as c_int;
        };
        let event = Event::from_raw(cmd);
        // SAFETY: the chain calls this with the `nb` of a live block of this registration, and
        // the reference is used only during the call.
        let handler = unsafe { Block::<Netdevice, T>::handler_of(nb) };
        let info = data.cast::<bindings::netdev_notifier_info>();
        // SAFETY: the chain passes a valid `netdev_notifier_info` whose device stays valid for
        // the duration of the call, and holds RTNL.
        let dev = unsafe { Device::from_raw((*info).dev) };
        match handler.notify(event, dev) {
            Ok(()) => bindings::NOTIFY_DONE as c_int,
            // SAFETY: FFI call with no preconditions.
            Err(e) if event.is_vetoable() => unsafe { bindings::notifier_from_errno(e.to_errno()) },
            Err(e) => {
                crate::pr_warn!(
                    "{}: notifier error {:?} on {:?} ignored: not vetoable\n",
                    dev.name(),
                    e,
                    event
                );
                bindings::NOTIFY_DONE as c_int
            }
        }
    }
}
