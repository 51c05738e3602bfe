// SPDX-License-Identifier: GPL-2.0

//! Generic netlink families.
//!
//! A [`Spec`] describes a family as its YAML specification does (name, version, operations with
//! their request attributes, multicast groups); a [`Family`] is the family itself, a `static` so
//! that any context can send its notifications, and [`Family::register`] makes it reachable
//! from user space until the returned [`Registration`] is dropped.
//!
//! Requests are parsed and validated by the core against each operation's [`Policy`] before a
//! handler runs, strictly (unknown attributes and trailing data are refused). Handlers read the
//! request through a [`Request`], answer with [`Request::reply`] or, for dumps, fill a [`Dump`]
//! a message at a time. Families are namespace-aware: handlers act in [`Request::net`].
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

use crate::{
    bindings,
    error::{code::*, from_result, to_result, Error, Result},
    net::{extack::ExtAck, namespace::Net},
    str::CStr,
    sync::rcu,
    types::Opaque,
    ThisModule,
};
use core::{
    ffi::c_void,
    marker::PhantomData,
    ptr,
    sync::atomic::{AtomicU8, Ordering},
};

/// Handles a request (`doit`).
pub type DoFn = fn(&Request<'_>) -> Result;

/// Fills one round of a dump (`dumpit`); called until a round adds nothing.
pub type DumpFn = fn(&Request<'_>, &mut Dump<'_>) -> Result;

/// The description of a family.
pub trait Spec: Sized + 'static {
    /// The family name user space resolves (at most 15 bytes).
    const NAME: &'static CStr;

    /// The family version.
    const VERSION: u8 = 1;

    /// The operations, in any order, each command at most once; at most [`MAX_OPERATIONS`],
    /// each with at most [`MAX_ATTRIBUTES`] request attributes.
    const OPERATIONS: &'static [Operation];

    /// The multicast groups, at most [`MAX_GROUPS`]; [`Family::multicast`] names one by its
    /// index here.
    const GROUPS: &'static [&'static CStr] = &[];
}

/// An operation of a family.
pub struct Operation {
    /// The command number.
    pub cmd: u8,
    /// The attributes a request may carry: `policy[i]` is attribute `i + 1`; any other is refused.
    pub policy: &'static [Policy],
    /// The handler of a single request, if the operation has one.
    pub doit: Option<DoFn>,
    /// The handler of a dump request (`NLM_F_DUMP`), if the operation has one.
    pub dumpit: Option<DumpFn>,
    /// Whether the caller needs `CAP_NET_ADMIN` (`GENL_ADMIN_PERM`, the `admin-perm` flag of a
    /// YAML specification).
    pub admin: bool,
}

/// What a request attribute must be; the core refuses a request that does not comply.
#[derive(Clone, Copy, Debug)]
pub enum Policy {
    /// Refused in this operation's requests.
    Reject,
    /// A flag (no payload).
    Flag,
    /// A `u8`.
    U8,
    /// A `u8` of at most the given value.
    U8Max(u8),
    /// A `u32`.
    U32,
    /// A `u32` of at most the given value, which must not exceed `i16::MAX` (the core keeps
    /// bounds as `s16`); with a larger one, the attribute is refused.
    U32Max(u16),
    /// An unsigned integer of 4 or 8 bytes (`NLA_UINT`).
    Uint,
    /// A NUL-terminated string of at most `max_len` bytes before the NUL; `max_len` 0 means
    /// no limit (the core's convention).
    String {
        /// The longest string accepted.
        max_len: u16,
    },
    /// Binary data of exactly the given length in bytes (`NLA_POLICY_EXACT_LEN`), such as an
    /// IPv6 address; the length must not exceed `i16::MAX`, or the attribute is refused.
    ExactLen(u16),
    /// Binary data of at most the given length in bytes (`NLA_BINARY`), such as a message
    /// carried whole; 0 means no limit (the core's convention), and an attribute payload
    /// cannot exceed 65531 bytes anyway.
    Binary {
        /// The longest payload accepted.
        max_len: u16,
    },
}

impl Policy {
    fn to_raw(self) -> bindings::nla_policy {
        // SAFETY: all-zero is a valid `nla_policy`: no type constraint, no validation.
        let mut raw: bindings::nla_policy = unsafe { core::mem::zeroed() };
        if let Policy::ExactLen(len) = self {
            match i16::try_from(len) {
                Ok(len) => {
                    raw.type_ = bindings::NLA_BINARY as u8;
                    raw.validation_type = bindings::nla_policy_validation_NLA_VALIDATE_RANGE as u8;
                    raw.__bindgen_anon_1.__bindgen_anon_1.min = len;
                    raw.__bindgen_anon_1.__bindgen_anon_1.max = len;
                }
                Err(_) => raw.type_ = bindings::NLA_REJECT as u8,
            }
            return raw;
        }
        let (kind, max) = match self {
            Policy::Reject => (bindings::NLA_REJECT, None),
            Policy::Flag => (bindings::NLA_FLAG, None),
            Policy::U8 => (bindings::NLA_U8, None),
            Policy::U8Max(max) => (bindings::NLA_U8, Some(i16::from(max))),
            Policy::U32 => (bindings::NLA_U32, None),
            // A policy's bound is an `s16`: larger bounds are the handler's to check.
            Policy::U32Max(max) => (bindings::NLA_U32, Some(i16::try_from(max).unwrap_or(-1))),
            Policy::Uint => (bindings::NLA_UINT, None),
            Policy::String { max_len } => {
                raw.len = max_len;
                (bindings::NLA_NUL_STRING, None)
            }
            Policy::Binary { max_len } => {
                raw.len = max_len;
                (bindings::NLA_BINARY, None)
            }
            // Handled above.
            Policy::ExactLen(_) => (bindings::NLA_REJECT, None),
        };
        raw.type_ = kind as u8;
        match max {
            Some(max) if max >= 0 => {
                raw.validation_type = bindings::nla_policy_validation_NLA_VALIDATE_MAX as u8;
                raw.__bindgen_anon_1.__bindgen_anon_1.max = max;
            }
            Some(_) => raw.type_ = bindings::NLA_REJECT as u8,
            None => {}
        }
        raw
    }
}

/// Returns the operation of `cmd` in `F`.
fn operation<F: Spec>(cmd: u8) -> Option<&'static Operation> {
    F::OPERATIONS.iter().find(|op| op.cmd == cmd)
}

/// Most operations of a family.
pub const MAX_OPERATIONS: usize = 16;

/// Most request attributes of an operation (its policy's length).
pub const MAX_ATTRIBUTES: usize = 32;

/// Most multicast groups of a family.
pub const MAX_GROUPS: usize = 4;

/// What the core reads of a family: the family, its operations, their policies and the
/// multicast groups.
///
/// The core may read them after the family is unregistered: a policy dump
/// (`CTRL_CMD_GETPOLICY`) or a dump of the family started before keeps pointers across rounds,
/// for which C relies on the module staying loaded. So they live in the family's `static`,
/// like a C family's, and are written once.
#[repr(C)]
struct Tables {
    family: bindings::genl_family,
    ops: [bindings::genl_ops; MAX_OPERATIONS],
    policies: [[bindings::nla_policy; MAX_ATTRIBUTES + 1]; MAX_OPERATIONS],
    groups: [bindings::genl_multicast_group; MAX_GROUPS],
}

/// Checks that `F` fits the tables and has each command once.
fn check_spec<F: Spec>() -> Result {
    if F::OPERATIONS.len() > MAX_OPERATIONS || F::GROUPS.len() > MAX_GROUPS {
        return Err(EINVAL);
    }
    for op in F::OPERATIONS {
        let first = operation::<F>(op.cmd).ok_or(EINVAL)?;
        if !ptr::eq(first, op) || op.policy.len() > MAX_ATTRIBUTES {
            return Err(EINVAL);
        }
    }
    Ok(())
}

/// Fills `t`, all zeros, with the family, operations, policies and groups of `F`.
///
/// # Safety
///
/// `t` must be valid for writes, hold all zeros, and be used by no one else; `F` must have
/// passed [`check_spec`].
unsafe fn fill_tables<F: Spec>(t: *mut Tables, module: &'static ThisModule) -> Result {
    // SAFETY: as the caller guarantees; every index is below the array sizes `check_spec`
    // bounds.
    unsafe {
        for (i, op) in F::OPERATIONS.iter().enumerate() {
            let policy = &mut (*t).policies[i];
            // Entry 0 is unused: attribute types start at 1.
            policy[0] = Policy::Reject.to_raw();
            for (j, p) in op.policy.iter().enumerate() {
                policy[j + 1] = p.to_raw();
            }
            let raw = &mut (*t).ops[i];
            raw.cmd = op.cmd;
            if op.doit.is_some() {
                raw.doit = Some(doit::<F>);
            }
            if op.dumpit.is_some() {
                raw.dumpit = Some(dumpit::<F>);
            }
            if !op.policy.is_empty() {
                raw.policy = policy.as_ptr();
                raw.maxattr = u32::try_from(op.policy.len()).map_err(|_| EINVAL)?;
            }
            if op.admin {
                raw.flags = bindings::GENL_ADMIN_PERM as u8;
            }
        }
        for (i, name) in F::GROUPS.iter().enumerate() {
            copy_name(&mut (*t).groups[i].name, name)?;
        }
        let family = &mut (*t).family;
        copy_name(&mut family.name, F::NAME)?;
        family.version = F::VERSION.into();
        family.set_netnsok(1);
        // Handlers take the locks they need (RTNL), not the global genetlink mutex.
        family.set_parallel_ops(1);
        family.n_ops = u8::try_from(F::OPERATIONS.len()).map_err(|_| EINVAL)?;
        family.n_mcgrps = u8::try_from(F::GROUPS.len()).map_err(|_| EINVAL)?;
        // `resv_start_op` stays 0: every command is new, so the core checks the header's
        // reserved field and flags, and refuses attributes of a command without a policy.
        family.ops = (*t).ops.as_ptr();
        family.mcgrps = (*t).groups.as_ptr();
        family.module = module.as_ptr();
    }
    Ok(())
}

/// Copies `name` into a fixed-size C name buffer; fails if it does not fit with its NUL.
fn copy_name(dst: &mut [crate::ffi::c_char], name: &CStr) -> Result {
    let src = name.as_bytes_with_nul();
    if src.len() > dst.len() {
        return Err(ENAMETOOLONG);
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s as crate::ffi::c_char;
    }
    Ok(())
}

/// A generic netlink family, meant to be a `static`.
///
/// A family registers once per module load: its tables must outlive whatever the core started
/// reading before it was unregistered, which only the module's own lifetime guarantees.
///
/// # Invariants
///
/// `state` goes from `FREE` to `CLAIMED` (one caller fills `tables`), then back to `FREE` if
/// registration fails, or to `LIVE` once `tables.family` is registered, then to `DONE` when it
/// is unregistered, for good. `tables` is written only while `CLAIMED`.
/// # Examples
///
/// ```
/// use kernel::net::genetlink::{Family, Operation, Policy, Request, Spec};
///
/// struct Echo;
///
/// fn echo(req: &Request<'_>) -> Result {
///     let value = req.required_u32(1)?;
///     req.reply(1, |msg| msg.put_u32(1, value))
/// }
///
/// impl Spec for Echo {
///     const NAME: &'static CStr = kernel::c_str!("rust-doc-echo");
///     const OPERATIONS: &'static [Operation] = &[Operation {
///         cmd: 1,
///         policy: &[Policy::U32],
///         doit: Some(echo),
///         dumpit: None,
///         admin: false,
///     }];
/// }
///
/// static ECHO: Family<Echo> = Family::new();
/// // SAFETY: doctests are built into the kernel, whose `THIS_MODULE` is null.
/// static BUILT_IN: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
///
/// let reg = ECHO.register(&BUILT_IN)?;
/// // A family is registered once per module load.
/// assert!(ECHO.register(&BUILT_IN).is_err());
/// drop(reg);
/// assert!(ECHO.register(&BUILT_IN).is_err());
/// # Ok::<(), Error>(())
/// ```
pub struct Family<F: Spec> {
    tables: Opaque<Tables>,
    state: AtomicU8,
    _f: PhantomData<F>,
}

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const LIVE: u8 = 2;
const DONE: u8 = 3;

// SAFETY: `tables` is written by one caller of `register` while `state` is `CLAIMED`, then only
// read, by the core under its locks and by `multicast` under RCU while `state` is `LIVE`.
unsafe impl<F: Spec> Sync for Family<F> {}

impl<F: Spec> Default for Family<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Spec> Family<F> {
    /// Creates the family, unregistered.
    pub const fn new() -> Self {
        // INVARIANT: `FREE`, tables unwritten.
        Self {
            tables: Opaque::uninit(),
            state: AtomicU8::new(FREE),
            _f: PhantomData,
        }
    }

    /// Returns the C family.
    fn raw(&self) -> *mut bindings::genl_family {
        // SAFETY: `tables` is valid memory (a field of `self`); only the address is taken.
        unsafe { ptr::addr_of_mut!((*self.tables.get()).family) }
    }

    /// Registers the family (`genl_register_family`). It stays registered until the returned
    /// [`Registration`] is dropped. Fails with `EBUSY` if it is or was registered already,
    /// `EEXIST` if another family has the name, and `EINVAL` if two operations share a command
    /// or the family exceeds [`MAX_OPERATIONS`], [`MAX_ATTRIBUTES`] or [`MAX_GROUPS`].
    pub fn register(&'static self, module: &'static ThisModule) -> Result<Registration<F>> {
        check_spec::<F>()?;
        self.state
            .compare_exchange(FREE, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| EBUSY)?;
        let t = self.tables.get();
        // SAFETY: `CLAIMED` makes the tables ours alone (type invariant); all zeros is a valid
        // value for each of them (no callbacks, no policies, no names).
        let filled = unsafe {
            t.write_bytes(0, 1);
            fill_tables::<F>(t, module)
        };
        let ret = filled.and_then(|()| {
            // SAFETY: the tables are filled and live as long as the `static` family, which
            // outlives every reader the core has (see `Tables`).
            to_result(unsafe { bindings::genl_register_family(self.raw()) })
        });
        if let Err(e) = ret {
            // INVARIANT: not registered, so no one reads the tables: they may be written again.
            self.state.store(FREE, Ordering::Release);
            return Err(e);
        }
        // INVARIANT: the family is registered.
        self.state.store(LIVE, Ordering::Release);
        Ok(Registration { family: self })
    }

    /// Sends a notification to the listeners of group `group` (an index in [`Spec::GROUPS`])
    /// in `net`, built by `build` into a message of command `cmd`.
    ///
    /// Does nothing when the family is not registered or no one listens. `build` runs in an RCU
    /// read-side critical section: it must not sleep.
    pub fn multicast(
        &self,
        net: &Net,
        group: usize,
        cmd: u8,
        build: impl FnOnce(&mut Message<'_>) -> Result,
    ) -> Result {
        if group >= F::GROUPS.len() {
            return Err(EINVAL);
        }
        let group = u32::try_from(group).map_err(|_| EINVAL)?;
        // Unregistering waits for this section to end (see `Registration::drop`).
        let _guard = rcu::read_lock();
        if self.state.load(Ordering::Acquire) != LIVE {
            return Ok(());
        }
        let raw = self.raw();
        // SAFETY: the family is registered (`LIVE`) and stays so until the guard is dropped;
        // `net` is valid.
        if unsafe { bindings::genl_has_listeners(raw, net.as_raw(), group) } == 0 {
            return Ok(());
        }
        // SAFETY: allocation may be attempted in any context with `GFP_ATOMIC`.
        let skb = unsafe { bindings::genlmsg_new(MESSAGE_SIZE, bindings::GFP_ATOMIC) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `skb` is a new message; the family is registered.
        if let Err(e) = unsafe { fill(skb, 0, 0, raw, 0, cmd, build) } {
            // SAFETY: `skb` is ours and not sent.
            unsafe { bindings::nlmsg_free(skb) };
            return Err(e);
        }
        // SAFETY: the family is registered, `net` is valid, and the call consumes `skb`.
        let ret = unsafe {
            bindings::genlmsg_multicast_netns(
                raw,
                net.as_raw(),
                skb,
                0,
                group,
                bindings::GFP_ATOMIC,
            )
        };
        // `ESRCH`: the last listener left meanwhile.
        match to_result(ret) {
            Err(e) if e == ESRCH => Ok(()),
            r => r,
        }
    }
}

impl<F: Spec> Family<F> {
    /// Sends a message of command `cmd`, built by `build`, to the netlink socket `portid` of
    /// `net` alone (a daemon that made itself known by a request, see [`Request::portid`]).
    /// `size` is the room the attributes need; more than [`MESSAGE_SIZE`] is allowed, up to
    /// what a netlink message can carry.
    ///
    /// Fails with `ECONNREFUSED` when no socket has that port any more (the daemon is gone),
    /// `EAGAIN` when its receive buffer is full, and `ENOENT` when the family is not registered.
    /// Must be called from process context: it allocates with `GFP_KERNEL`. `build` runs in an
    /// RCU read-side critical section: it must not sleep.
    pub fn unicast(
        &self,
        net: &Net,
        portid: u32,
        cmd: u8,
        size: usize,
        build: impl FnOnce(&mut Message<'_>) -> Result,
    ) -> Result {
        if size > MAX_UNICAST_SIZE {
            return Err(EMSGSIZE);
        }
        self.unicast_batch(net, portid, size, |batch| batch.add(cmd, build))
    }

    /// Sends the messages `build` adds to a [`Batch`] to the netlink socket `portid` of `net`
    /// in one datagram: the socket's reader wakes once and reads them all with one `recv`, in
    /// order. `size` is the room all of them need: their attributes, and
    /// [`BATCH_MESSAGE_ROOM`] for each message after the first. Fails as [`Family::unicast`]
    /// does, and sends nothing if `build` fails or adds nothing. A reader whose buffer is
    /// smaller than the datagram loses the end of it, later messages included.
    pub fn unicast_batch(
        &self,
        net: &Net,
        portid: u32,
        size: usize,
        build: impl FnOnce(&mut Batch<'_>) -> Result,
    ) -> Result {
        // A netlink message is at most 64 KiB as its attributes' lengths are 16-bit; the
        // room for the headers comes on top.
        if size > MAX_UNICAST_SIZE + BATCH_MESSAGE_ROOM {
            return Err(EMSGSIZE);
        }
        // SAFETY: process context, so `GFP_KERNEL` may sleep.
        let skb = unsafe { bindings::genlmsg_new(size, bindings::GFP_KERNEL) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        // Unregistering waits for this section to end (see `Registration::drop`).
        let guard = rcu::read_lock();
        let built = if self.state.load(Ordering::Acquire) != LIVE {
            Err(ENOENT)
        } else {
            // INVARIANT: `skb` is new and only the batch appends to it; the family is
            // registered (`LIVE`) until the guard is dropped, after the batch.
            let mut batch = Batch {
                skb,
                family: self.raw(),
                added: 0,
                _p: PhantomData,
            };
            match build(&mut batch) {
                Ok(()) if batch.added == 0 => Err(EINVAL),
                r => r,
            }
        };
        // The messages are complete: they no longer need the family.
        drop(guard);
        if let Err(e) = built {
            // SAFETY: `skb` is ours and not sent.
            unsafe { bindings::nlmsg_free(skb) };
            return Err(e);
        }
        // SAFETY: `net` is valid; the call consumes `skb`. It does not wait for room in the
        // receiver's buffer, and may allocate (`gfp_any`): hence outside the section.
        to_result(unsafe { bindings::genlmsg_unicast(net.as_raw(), skb, portid) })
    }
}

/// Messages built to be sent together in one datagram (see [`Family::unicast_batch`]).
///
/// # Invariants
///
/// `skb` is a new message under construction that only this batch appends to, and `family`
/// is a registered family while the batch lives.
pub struct Batch<'a> {
    skb: *mut bindings::sk_buff,
    family: *const bindings::genl_family,
    added: usize,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl Batch<'_> {
    /// Appends a message of command `cmd` built by `build`. `EMSGSIZE` if it does not fit; a
    /// message `build` fails leaves nothing behind.
    pub fn add(&mut self, cmd: u8, build: impl FnOnce(&mut Message<'_>) -> Result) -> Result {
        // SAFETY: by the type invariants `skb` is ours to append to and `family` registered.
        unsafe { fill(self.skb, 0, 0, self.family, 0, cmd, build) }?;
        self.added += 1;
        Ok(())
    }
}

/// The room a message of a [`Batch`] needs beyond its attributes: its netlink and generic
/// netlink headers, with room for their alignment.
pub const BATCH_MESSAGE_ROOM: usize =
    core::mem::size_of::<bindings::nlmsghdr>() + core::mem::size_of::<bindings::genlmsghdr>() + 8;

/// The largest room [`Family::unicast`] allocates for attributes.
pub const MAX_UNICAST_SIZE: usize = 65536 + 1024;

/// The payload room of a reply or a notification: one page, less the headers.
const MESSAGE_SIZE: usize = 3584;

/// A registered [`Family`]; dropping it unregisters the family.
pub struct Registration<F: Spec> {
    family: &'static Family<F>,
}

impl<F: Spec> Drop for Registration<F> {
    fn drop(&mut self) {
        let family = self.family;
        // INVARIANT: `DONE` for good: the tables stay as they are for late readers.
        family.state.store(DONE, Ordering::Release);
        // SAFETY: waits for `multicast` callers that saw the family live; may sleep, as dropping
        // a registration happens in process context.
        unsafe { bindings::synchronize_rcu() };
        // SAFETY: the family was `LIVE`, so registered; after this no request reaches it.
        unsafe { bindings::genl_unregister_family(family.raw()) };
    }
}

/// Adds a genetlink header for `cmd` to `skb` and lets `build` add the attributes.
///
/// # Safety
///
/// `skb` must be a message being built, owned by the caller, and `family` a registered family.
unsafe fn fill(
    skb: *mut bindings::sk_buff,
    portid: u32,
    seq: u32,
    family: *const bindings::genl_family,
    flags: crate::ffi::c_int,
    cmd: u8,
    build: impl FnOnce(&mut Message<'_>) -> Result,
) -> Result {
    // SAFETY: as the caller guarantees.
    let hdr = unsafe { bindings::genlmsg_put(skb, portid, seq, family, flags, cmd) };
    if hdr.is_null() {
        return Err(EMSGSIZE);
    }
    let mut msg = Message {
        skb,
        _p: PhantomData,
    };
    let built = build(&mut msg);
    // SAFETY: `hdr` is the header added above to `skb`.
    unsafe {
        match built {
            Ok(()) => bindings::genlmsg_end(skb, hdr),
            Err(_) => bindings::genlmsg_cancel(skb, hdr),
        }
    }
    built
}

/// A request being handled: its attributes, namespace and extended acknowledgement.
///
/// # Invariants
///
/// `info` is the valid `genl_info` of the request being handled for `'a`; `attrs` is null or
/// has `maxattr + 1` entries, each null or a validated attribute. `skb` is null (a dump) or
/// the request's own buffer, valid for `'a`, whose netlink control block names the sending
/// socket.
pub struct Request<'a> {
    info: *const bindings::genl_info,
    skb: *const bindings::sk_buff,
    maxattr: usize,
    _p: PhantomData<&'a bindings::genl_info>,
}

impl<'a> Request<'a> {
    /// # Safety
    ///
    /// `info` must be the `genl_info` of a request of operation `op`, valid for `'a`; `skb`
    /// null or that request's buffer, valid for `'a`.
    unsafe fn from_raw(
        info: *const bindings::genl_info,
        skb: *const bindings::sk_buff,
        op: &Operation,
    ) -> Self {
        // INVARIANT: the core parsed the request with `op.policy` (`maxattr` entries plus 0).
        Self {
            info,
            skb,
            maxattr: op.policy.len(),
            _p: PhantomData,
        }
    }

    /// Returns how many messages wait in the receive queue of the socket that sent the
    /// request (0 in a dump): those sent to it ([`Family::unicast`], replies) and not read yet.
    pub fn sender_queued(&self) -> u32 {
        if self.skb.is_null() {
            return 0;
        }
        // SAFETY: by the type invariant a non-null `skb` is the request's buffer, valid for
        // the request, whose sending socket the syscall that sent it holds meanwhile.
        unsafe { bindings::netlink_sender_queued(self.skb) }
    }

    /// Returns the namespace of the socket that sent the request.
    pub fn net(&self) -> &'a Net {
        // SAFETY: by the type invariant `info` is valid; the sending socket holds its namespace
        // for the duration of the request.
        unsafe { Net::from_raw(bindings::genl_info_net(self.info)) }
    }

    /// Returns the netlink port of the socket that sent the request, to which
    /// [`Family::unicast`] can send later.
    pub fn portid(&self) -> u32 {
        // SAFETY: by the type invariant `info` is valid.
        unsafe { (*self.info).snd_portid }
    }

    /// Returns the extended acknowledgement of the request, for error messages.
    pub fn extack(&self) -> Option<&'a ExtAck> {
        // SAFETY: by the type invariant `info` is valid; its `extack` is valid or null.
        unsafe { ExtAck::from_raw((*self.info).extack) }
    }

    /// Returns attribute `ty` of the request, if present.
    fn attr(&self, ty: u16) -> Option<*const bindings::nlattr> {
        let ty = usize::from(ty);
        if ty == 0 || ty > self.maxattr {
            return None;
        }
        // SAFETY: by the type invariant `attrs` is null or has `maxattr + 1` entries.
        let attr = unsafe {
            let attrs = (*self.info).attrs;
            if attrs.is_null() {
                return None;
            }
            *attrs.add(ty)
        };
        (!attr.is_null()).then_some(attr.cast_const())
    }

    /// Returns the payload of attribute `ty`, if present.
    fn payload(&self, ty: u16) -> Option<&'a [u8]> {
        let attr = self.attr(ty)?;
        // SAFETY: a present attribute is valid for the request; its payload has `nla_len` bytes.
        unsafe {
            let len = usize::try_from(bindings::nla_len(attr)).ok()?;
            Some(core::slice::from_raw_parts(
                bindings::nla_data(attr).cast::<u8>(),
                len,
            ))
        }
    }

    /// Returns whether attribute `ty` is present (a flag is set).
    pub fn has(&self, ty: u16) -> bool {
        self.attr(ty).is_some()
    }

    /// Returns the payload of attribute `ty`, which the policy bounds (see
    /// [`Policy::ExactLen`]).
    pub fn bytes(&self, ty: u16) -> Option<&'a [u8]> {
        self.payload(ty)
    }

    /// Returns attribute `ty` as a `u8`.
    pub fn u8(&self, ty: u16) -> Option<u8> {
        self.payload(ty)?.first().copied()
    }

    /// Returns attribute `ty` as a `u32`.
    pub fn u32(&self, ty: u16) -> Option<u32> {
        let bytes = self.payload(ty)?.get(..4)?;
        Some(u32::from_ne_bytes(bytes.try_into().ok()?))
    }

    /// Returns attribute `ty` as an unsigned integer of 4 or 8 bytes (`NLA_UINT`).
    pub fn uint(&self, ty: u16) -> Option<u64> {
        let bytes = self.payload(ty)?;
        match bytes.len() {
            4 => Some(u32::from_ne_bytes(bytes.try_into().ok()?).into()),
            8 => Some(u64::from_ne_bytes(bytes.try_into().ok()?)),
            _ => None,
        }
    }

    /// Returns attribute `ty` as a `u32`, or fails with `EINVAL` and reports it missing.
    pub fn required_u32(&self, ty: u16) -> Result<u32> {
        self.u32(ty).ok_or_else(|| self.missing(ty))
    }

    /// Reports attribute `ty` as missing (`NL_SET_ERR_ATTR_MISS`) and returns `EINVAL`.
    pub fn missing(&self, ty: u16) -> Error {
        if let Some(extack) = self.extack() {
            extack.set_missing(ty);
        }
        EINVAL
    }

    /// Answers the request with one message of command `cmd`, built by `build`.
    pub fn reply(&self, cmd: u8, build: impl FnOnce(&mut Message<'_>) -> Result) -> Result {
        // SAFETY: allocation may sleep in a request handler.
        let skb = unsafe { bindings::genlmsg_new(MESSAGE_SIZE, bindings::GFP_KERNEL) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: by the type invariant `info` is valid; its family is registered while the
        // request is handled; `skb` is new and ours.
        let built = unsafe {
            let info = &*self.info;
            fill(
                skb,
                info.snd_portid,
                info.snd_seq,
                info.family,
                0,
                cmd,
                build,
            )
        };
        if let Err(e) = built {
            // SAFETY: `skb` is ours and not sent.
            unsafe { bindings::nlmsg_free(skb) };
            return Err(e);
        }
        // SAFETY: `info` is valid; the call consumes `skb`.
        to_result(unsafe { bindings::genlmsg_reply(skb, self.info.cast_mut()) })
    }
}

/// One round of a dump: messages are added until one does not fit, and the round's cursor
/// tells the next round where to resume.
///
/// # Invariants
///
/// `skb` and `cb` are the valid buffer and callback of the dump round being handled, for `'a`.
pub struct Dump<'a> {
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
    added: usize,
    full: bool,
    _p: PhantomData<&'a mut bindings::netlink_callback>,
}

impl Dump<'_> {
    /// Returns the cursor: 0 in the first round, then what the previous round set. It is kept
    /// in a C `long`: 64 bits on 64-bit machines, 32 elsewhere.
    pub fn cursor(&self) -> u64 {
        // SAFETY: by the type invariant `cb` is valid; `args` belongs to the dump's handler.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] as u64 }
    }

    /// Sets the cursor for the next round.
    pub fn set_cursor(&mut self, cursor: u64) {
        // SAFETY: as in `cursor`.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] = cursor as crate::ffi::c_long };
    }

    /// Adds a message of command `cmd` built by `build`. Returns `false`, adding nothing, if the
    /// message does not fit in this round: stop there and resume from the cursor next round.
    pub fn add(&mut self, cmd: u8, build: impl FnOnce(&mut Message<'_>) -> Result) -> Result<bool> {
        // SAFETY: by the type invariant `skb` and `cb` are valid; a dump's `data` is its
        // `genl_dumpit_info`, whose family is registered while the dump runs.
        let built = unsafe {
            let cb = &*self.cb;
            let info = &(*cb.data.cast::<bindings::genl_dumpit_info>()).info;
            let portid = bindings::netlink_cb_portid(cb.skb);
            let seq = (*cb.nlh).nlmsg_seq;
            let multi = bindings::NLM_F_MULTI as crate::ffi::c_int;
            fill(self.skb, portid, seq, info.family, multi, cmd, build)
        };
        match built {
            Ok(()) => {
                self.added += 1;
                Ok(true)
            }
            Err(e) if e == EMSGSIZE => {
                self.full = true;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

/// A message being built: attributes are appended in order. Any netlink message, not only a
/// generic netlink one: `link` lends it for `IFLA_INFO_DATA` too.
///
/// # Invariants
///
/// `skb` is a message under construction, owned by the code that lent the `Message`.
pub struct Message<'a> {
    skb: *mut bindings::sk_buff,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl Message<'_> {
    /// Lends the message under construction `skb`.
    ///
    /// # Safety
    ///
    /// `skb` must be a netlink message under construction that only the returned `Message`
    /// appends to while it lives.
    pub(crate) unsafe fn from_raw(skb: *mut bindings::sk_buff) -> Self {
        // INVARIANT: the caller guarantees the message is ours to append to.
        Self {
            skb,
            _p: PhantomData,
        }
    }

    /// Appends attribute `ty` with `data` as payload; `EMSGSIZE` if it does not fit, in the
    /// message or in an attribute (whose 16-bit length counts its 4-byte header).
    pub fn put_bytes(&mut self, ty: u16, data: &[u8]) -> Result {
        if data.len() > usize::from(u16::MAX) - 4 {
            return Err(EMSGSIZE);
        }
        let len = crate::ffi::c_int::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: by the type invariant `skb` is ours to append to; `data` is valid for `len`
        // bytes.
        to_result(unsafe {
            bindings::nla_put(self.skb, ty.into(), len, data.as_ptr().cast::<c_void>())
        })
    }

    /// Appends a flag attribute.
    pub fn put_flag(&mut self, ty: u16) -> Result {
        self.put_bytes(ty, &[])
    }

    /// Appends a `u8` attribute.
    pub fn put_u8(&mut self, ty: u16, value: u8) -> Result {
        self.put_bytes(ty, &[value])
    }

    /// Appends a `u32` attribute.
    pub fn put_u32(&mut self, ty: u16, value: u32) -> Result {
        self.put_bytes(ty, &value.to_ne_bytes())
    }

    /// Appends an unsigned integer attribute (`NLA_UINT`): 4 bytes if the value fits, else 8.
    pub fn put_uint(&mut self, ty: u16, value: u64) -> Result {
        match u32::try_from(value) {
            Ok(small) => self.put_u32(ty, small),
            Err(_) => self.put_bytes(ty, &value.to_ne_bytes()),
        }
    }

    /// Appends a string attribute, with its NUL.
    pub fn put_string(&mut self, ty: u16, value: &CStr) -> Result {
        self.put_bytes(ty, value.as_bytes_with_nul())
    }

    /// Appends a nested attribute whose content `build` adds; nothing is left of it if `build`
    /// fails.
    pub fn nest(&mut self, ty: u16, build: impl FnOnce(&mut Message<'_>) -> Result) -> Result {
        // SAFETY: by the type invariant `skb` is ours to append to.
        let start = unsafe { bindings::nla_nest_start(self.skb, ty.into()) };
        if start.is_null() {
            return Err(EMSGSIZE);
        }
        let built = build(self);
        // SAFETY: `start` is the nest added above, the last one open in `skb`.
        unsafe {
            match built {
                Ok(()) => {
                    bindings::nla_nest_end(self.skb, start);
                }
                Err(_) => bindings::nla_nest_cancel(self.skb, start),
            }
        }
        built
    }
}

/// `genl_ops.doit` of every operation of `F`.
///
/// # Safety
///
/// Called by the core with the valid `genl_info` of a request to family `F`.
unsafe extern "C" fn doit<F: Spec>(
    skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
) -> crate::ffi::c_int {
    from_result(|| {
        // SAFETY: `info` and its header are valid for the request.
        let cmd = unsafe { (*(*info).genlhdr).cmd };
        let op = operation::<F>(cmd).ok_or(EOPNOTSUPP)?;
        let handler = op.doit.ok_or(EOPNOTSUPP)?;
        // SAFETY: `info` and `skb` are the request's, `info` parsed with `op`'s policy.
        handler(&unsafe { Request::from_raw(info, skb, op) })?;
        Ok(0)
    })
}

/// `genl_ops.dumpit` of every operation of `F`.
///
/// # Safety
///
/// Called by the core with the valid buffer and callback of a dump round of family `F`.
unsafe extern "C" fn dumpit<F: Spec>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> crate::ffi::c_int {
    from_result(|| {
        let dump_info = {
            // SAFETY: a genetlink dump's `data` is its `genl_dumpit_info`, valid while it runs.
            unsafe { (*cb).data.cast::<bindings::genl_dumpit_info>() }
        };
        // SAFETY: as above.
        let info = unsafe { ptr::addr_of!((*dump_info).info) };
        // SAFETY: as above.
        let cmd = unsafe { (*(*info).genlhdr).cmd };
        let op = operation::<F>(cmd).ok_or(EOPNOTSUPP)?;
        let handler = op.dumpit.ok_or(EOPNOTSUPP)?;
        // INVARIANT: `skb` and `cb` are this round's.
        let mut dump = Dump {
            skb,
            cb,
            added: 0,
            full: false,
            _p: PhantomData,
        };
        // SAFETY: `info` is the dump request's, parsed with `op`'s policy; a dump has no
        // request buffer.
        let request = unsafe { Request::from_raw(info, ptr::null(), op) };
        handler(&request, &mut dump)?;
        if dump.full && dump.added == 0 {
            // A single message larger than a whole round: it would never be sent.
            return Err(EMSGSIZE);
        }
        // A positive length asks for another round; 0 ends the dump.
        // SAFETY: `skb` is valid.
        Ok(unsafe { (*skb).len } as crate::ffi::c_int)
    })
}
