// SPDX-License-Identifier: GPL-2.0

//! Kernel sockets (`struct socket` made by `sock_create_kern`).
//!
//! A module talks to a protocol (TIPC, UDP) the way a process does, through a socket it owns:
//! it binds, sends and receives without blocking. A [`Receiver`] owns a socket (or two, say a
//! group's and a unicast one) and a work item that every arrival schedules, in whose process
//! context the module receives ([`Receive::ready`]). A task that waits for messages may
//! receive in its own context instead ([`Receiver::receive_here`]): the arrival then wakes it
//! straight from the protocol's receive path, one context switch fewer than through the work.
//! Family-specific addresses implement [`Address`] (see [`super::tipc`]).
//!
//! A kernel socket does not hold its network namespace, whose protocols free their state when
//! it goes: a socket is created only from [`super::pernet::Operations::init`] (it takes the
//! [`Init`] token), to be owned by the namespace's instance, which the namespace's exit drops.
//!
//! C header: [`include/linux/net.h`](srctree/include/linux/net.h)

use crate::{
    bindings,
    delayed_work::{DelayedWork, Handler},
    error::{to_result, Result},
    net::{namespace::Net, pernet::Init},
    new_event,
    prelude::*,
    sync::Event,
    time::Ktime,
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicU32, Ordering},
};

/// The socket types a kernel socket may have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Type {
    /// Connection-oriented byte stream (`SOCK_STREAM`).
    Stream,
    /// Unreliable datagrams (`SOCK_DGRAM`).
    Datagram,
    /// Reliably delivered messages (`SOCK_RDM`).
    ReliableDatagram,
    /// Connection-oriented messages (`SOCK_SEQPACKET`).
    SeqPacket,
}

impl Type {
    fn as_raw(self) -> i32 {
        (match self {
            Self::Stream => bindings::sock_type_SOCK_STREAM,
            Self::Datagram => bindings::sock_type_SOCK_DGRAM,
            Self::ReliableDatagram => bindings::sock_type_SOCK_RDM,
            Self::SeqPacket => bindings::sock_type_SOCK_SEQPACKET,
        }) as i32
    }
}

/// A socket address of one family, as the family's `struct sockaddr_*`.
///
/// # Safety
///
/// [`Address::as_raw`] returns a pointer to [`Address::len`] readable bytes laid out as the
/// family's socket address, its family field set to [`Address::FAMILY`], valid while `self` is
/// borrowed. (The socket checks that the length fits a `sockaddr_storage`, which the kernel
/// copies it into.)
pub unsafe trait Address {
    /// The address family (`AF_*`).
    const FAMILY: u16;

    /// The address, as the C functions take it.
    fn as_raw(&self) -> *const bindings::sockaddr;

    /// Its length in bytes.
    fn len(&self) -> usize;
}

/// Room for the address of any family (`struct sockaddr_storage`), which [`Socket::receive`]
/// fills with the sender's: some families write more than they are told, never more than
/// this.
#[repr(transparent)]
pub struct AddressStorage(bindings::__kernel_sockaddr_storage);

impl AddressStorage {
    /// Empty storage.
    pub fn new() -> Self {
        // SAFETY: all-zero bytes are a valid `sockaddr_storage` (family `AF_UNSPEC`).
        Self(unsafe { core::mem::zeroed() })
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the storage is plain bytes, all initialised (zeroed or written by the
        // kernel), and lives as long as the returned slice.
        unsafe {
            core::slice::from_raw_parts(
                core::ptr::from_ref(&self.0).cast::<u8>(),
                core::mem::size_of::<bindings::__kernel_sockaddr_storage>(),
            )
        }
    }

    fn as_raw(&mut self) -> *mut bindings::__kernel_sockaddr_storage {
        core::ptr::from_mut(&mut self.0).cast()
    }
}

impl Default for AddressStorage {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`Socket::receive`] received.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Received {
    /// Bytes of data: at most the buffer's length (see `flags` for truncation).
    pub len: usize,
    /// Bytes of the sender's address in the storage.
    pub address_len: usize,
    /// Bytes of ancillary data (`struct cmsghdr` records) at the start of the control buffer.
    pub control_len: usize,
    /// The message's flags (`MSG_*`): `MSG_TRUNC`, `MSG_CTRUNC`, and family-specific ones.
    pub flags: u32,
}

/// `MSG_DONTWAIT`: fail with `EAGAIN` instead of blocking.
pub const MSG_DONTWAIT: u32 = bindings::MSG_DONTWAIT;
/// `MSG_TRUNC`: the message was longer than the buffer; the rest is dropped.
pub const MSG_TRUNC: u32 = bindings::MSG_TRUNC;
/// Room for `N` bytes of a received message's ancillary data: `struct cmsghdr` records, which
/// the kernel writes through a `struct cmsghdr` pointer, so the room is aligned for one.
#[repr(C, align(8))]
pub struct Control<const N: usize>([u8; N]);

impl<const N: usize> Control<N> {
    /// Empty room.
    pub const fn new() -> Self {
        Self([0; N])
    }

    /// The records the last [`Socket::receive`] wrote: the first `len` bytes
    /// ([`Received::control_len`]).
    pub fn records(&self, len: usize) -> &[u8] {
        self.0.get(..len).unwrap_or(&self.0)
    }
}

impl<const N: usize> Default for Control<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// `MSG_CTRUNC`: the ancillary data was longer than the control buffer.
pub const MSG_CTRUNC: u32 = bindings::MSG_CTRUNC;
/// `MSG_OOB`: out-of-band (TIPC: a group membership event).
pub const MSG_OOB: u32 = bindings::MSG_OOB;
/// `MSG_EOR`: end of record (TIPC: with `MSG_OOB`, a member left).
pub const MSG_EOR: u32 = bindings::MSG_EOR;

/// The state a [`Receiver`] hangs on its socket (`sk_user_data`). `repr(C)`, so the callback,
/// which is not generic, finds the header of any [`WakerFor`].
#[repr(C)]
struct Waker {
    /// The protocol's own `sk_data_ready`, called after ours and put back by `detach`.
    orig: Option<unsafe extern "C" fn(*mut bindings::sock)>,
    /// Schedules the work.
    wake: unsafe fn(*const Waker),
    /// Frees the whole `WakerFor`.
    release: unsafe fn(*mut Waker),
}

/// A waker for the work of a `Receiver<T>`, or for the tasks that receive in its stead: it
/// owns neither; the receiver takes the waker off its socket before they go.
#[repr(C)]
struct WakerFor<T: Receive> {
    header: Waker,
    work: *const DelayedWork<Inner<T>>,
    readers: *const Readers,
}

impl<T: Receive> WakerFor<T> {
    /// # Safety
    ///
    /// `waker` is the header of a live `WakerFor<T>`, whose work and readers are live.
    unsafe fn wake(waker: *const Waker) {
        // SAFETY: `header` is the first field of a `repr(C)` `WakerFor<T>`, whose work and
        // readers are live (the caller's guarantee).
        let (work, readers) = unsafe {
            let this = &*waker.cast::<Self>();
            (&*this.work, &*this.readers)
        };
        // The message is queued already (the protocol calls this after queueing it, with the
        // socket's lock held). The generation moves before the count is read: if the load
        // sees a reader, the reader's leaving decrement comes later in the SeqCst order, so
        // its read of the generation after it sees the move and it reads the message (see
        // `Receiver::receive_here`); if it sees none, the work runs. Any context may do both.
        readers.event.advance();
        if readers.count.load(Ordering::SeqCst) > 0 {
            readers.event.wake();
        } else {
            work.schedule(0);
        }
    }

    /// # Safety
    ///
    /// `waker` is the header of a `WakerFor<T>` from `KBox::into_raw`, no longer reachable.
    unsafe fn release(waker: *mut Waker) {
        // SAFETY: the caller's guarantee.
        drop(unsafe { KBox::from_raw(waker.cast::<Self>()) });
    }
}

/// The `sk_data_ready` of a socket with a waker. Not generic, so it is kernel code, not the
/// module's: once `detach` has had the callback lock, no part of the module runs here.
///
/// # Safety
///
/// `sk` is a live socket whose `sk_user_data` is null or the header of a live `WakerFor`
/// while `sk_callback_lock` is held.
#[inline(never)]
unsafe extern "C" fn data_ready(sk: *mut bindings::sock) {
    // SAFETY: `sk` is live (the caller's guarantee).
    unsafe { bindings::sk_callback_read_lock(sk) };
    // SAFETY: `sk` is live; the field is read under the callback lock `detach` writes it under.
    let waker = unsafe { (*sk).sk_user_data }.cast::<Waker>().cast_const();
    let mut orig = None;
    if !waker.is_null() {
        // SAFETY: a non-null `sk_user_data` is a live waker while the lock is held.
        unsafe {
            ((*waker).wake)(waker);
            orig = (*waker).orig;
        }
    }
    // SAFETY: taken above.
    unsafe { bindings::sk_callback_read_unlock(sk) };
    // A call that raced with `detach` (it read `sk_data_ready` before the protocol's callback
    // was put back) finds no waker and does not chain: a receiver stopped receiving, so only
    // a blocking receive, which receivers do not make, would miss this wake-up.
    if let Some(orig) = orig {
        // SAFETY: the protocol's own callback, for its own live socket.
        unsafe { orig(sk) };
    }
}

/// A kernel socket, released (`sock_release`) when dropped.
///
/// # Invariants
///
/// `sock` is a socket from `sock_create_kern` that this object owns, with a `sk`. Its
/// `sk_user_data` is null or, with `sk_data_ready` set to [`data_ready`], points to a
/// `WakerFor` from `KBox::into_raw` that the socket owns, whose work outlives the waker; both
/// change only under `sk_callback_lock`.
pub struct Socket {
    sock: NonNull<bindings::socket>,
}

// SAFETY: a socket's operations lock the socket themselves; the callback state is changed
// under `sk_callback_lock` only.
unsafe impl Send for Socket {}

// SAFETY: see above.
unsafe impl Sync for Socket {}

impl Socket {
    /// Creates a kernel socket of family `family` in the namespace being initialised
    /// (`sock_create_kern`). The namespace's instance must own it, so that the namespace's
    /// exit drops it: the socket does not keep the namespace.
    pub fn create(net: &Init<'_>, family: u16, kind: Type, protocol: i32) -> Result<Self> {
        let mut sock = core::ptr::null_mut();
        // SAFETY: `net` is a live namespace; `sock` is valid for writes.
        to_result(unsafe {
            bindings::sock_create_kern(
                net.as_raw(),
                i32::from(family),
                kind.as_raw(),
                protocol,
                &mut sock,
            )
        })?;
        let sock = NonNull::new(sock).ok_or(EINVAL)?;
        // INVARIANT: a new kernel socket, owned here, with no callback state.
        Ok(Self { sock })
    }

    /// Returns the namespace of the socket: the one whose instance owns it (see
    /// [`Socket::create`]), live as long as the socket is.
    pub fn net(&self) -> &Net {
        // SAFETY: the socket is live and has a `sk`, whose namespace is set at creation; the
        // namespace's instance owns the socket and drops it before the namespace goes.
        unsafe { Net::from_raw(bindings::sock_net(self.sk())) }
    }

    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: by the type invariant the socket is live and has a `sk`.
        unsafe { (*self.sock.as_ptr()).sk }
    }

    /// Returns whether messages wait in the socket's receive queue, without taking its lock:
    /// a receive that finds none would fail with `EAGAIN`. One that comes later calls
    /// `sk_data_ready`, which wakes the socket's receiver.
    pub fn has_queued(&self) -> bool {
        // SAFETY: the socket is live (type invariant); the queue is read without its lock, as
        // the lockless helper allows, through a raw pointer, as C changes it meanwhile.
        !unsafe {
            bindings::skb_queue_empty_lockless(core::ptr::addr_of!((*self.sk()).sk_receive_queue))
        }
    }

    /// Binds the socket to `address` (`kernel_bind`).
    pub fn bind<A: Address>(&self, address: &A) -> Result {
        let len = address_len(address)?;
        // SAFETY: the socket is live; `address` points to `len` readable bytes (the trait's
        // guarantee), which `kernel_bind` copies.
        to_result(unsafe {
            bindings::kernel_bind(self.sock.as_ptr(), address.as_raw().cast_mut(), len)
        })
    }

    /// Sets option `name` of `level` to the bytes of `value` (`setsockopt`).
    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result {
        let len = u32::try_from(value.len()).map_err(|_| EINVAL)?;
        // SAFETY: the socket is live; `value` is readable for `len` bytes, which the protocol
        // copies before returning.
        to_result(unsafe {
            bindings::kernel_setsockopt(self.sock.as_ptr(), level, name, value.as_ptr().cast(), len)
        })
    }

    /// Sends `data` as one message, to `to` or to the socket's peer or default destination
    /// (`kernel_sendmsg`); returns the bytes sent. `flags` are `MSG_*` ([`MSG_DONTWAIT`]).
    pub fn send<A: Address>(&self, to: Option<&A>, data: &[u8], flags: u32) -> Result<usize> {
        let (addr, addr_len) = match to {
            Some(a) => (a.as_raw(), address_len(a)?),
            None => (core::ptr::null(), 0),
        };
        // SAFETY: the socket is live; `addr` is null or readable for `addr_len` bytes, `data`
        // for its length; the kernel copies both before returning.
        let sent = unsafe {
            bindings::kernel_sendto(
                self.sock.as_ptr(),
                addr.cast(),
                addr_len,
                data.as_ptr().cast(),
                data.len(),
                flags,
            )
        };
        to_result(sent.min(0))?;
        Ok(sent as usize)
    }

    /// Receives one message (`kernel_recvmsg`): its data into `data`, the sender's address
    /// into `from`, ancillary data into `control`. `flags` are `MSG_*` ([`MSG_DONTWAIT`]);
    /// with it, an empty socket fails with `EAGAIN`.
    pub fn receive<const N: usize>(
        &self,
        from: &mut AddressStorage,
        data: &mut [u8],
        control: &mut Control<N>,
        flags: u32,
    ) -> Result<Received> {
        let control = &mut control.0;
        let mut address_len = 0i32;
        let mut control_len = control.len();
        let mut msg_flags = flags;
        // SAFETY: the socket is live; `from` is a whole `sockaddr_storage`, `data` and
        // `control` are writable for their lengths, and the other pointers are valid for
        // writes; the kernel writes no more than those lengths.
        let len = unsafe {
            bindings::kernel_recvfrom(
                self.sock.as_ptr(),
                from.as_raw(),
                &mut address_len,
                data.as_mut_ptr().cast(),
                data.len(),
                control.as_mut_ptr().cast(),
                &mut control_len,
                &mut msg_flags,
            )
        };
        to_result(len.min(0))?;
        Ok(Received {
            len: (len as usize).min(data.len()),
            address_len: usize::try_from(address_len)
                .unwrap_or(0)
                .min(core::mem::size_of::<bindings::__kernel_sockaddr_storage>()),
            control_len: control_len.min(control.len()),
            flags: msg_flags,
        })
    }

    /// The socket's own address (`kernel_getsockname`) into `to`; returns its length.
    pub fn local_address(&self, to: &mut AddressStorage) -> Result<usize> {
        // SAFETY: the socket is live; `to` is a whole `sockaddr_storage`, room for any
        // family's address.
        let len = unsafe { bindings::kernel_getsockname(self.sock.as_ptr(), to.as_raw().cast()) };
        to_result(len.min(0))?;
        Ok(len as usize)
    }

    /// Has every message that arrives schedule `work` at once, from the protocol's receive
    /// path (softirq), where nothing may sleep. Fails with `EBUSY` if the socket already wakes
    /// a work item.
    ///
    /// # Safety
    ///
    /// `work` and `readers` must stay valid until [`Socket::detach`] has returned (or the
    /// socket is dropped).
    unsafe fn wake_on_data<T: Receive>(
        &self,
        work: *const DelayedWork<Inner<T>>,
        readers: *const Readers,
    ) -> Result {
        let waker = KBox::new(
            WakerFor::<T> {
                header: Waker {
                    orig: None,
                    wake: WakerFor::<T>::wake,
                    release: WakerFor::<T>::release,
                },
                work,
                readers,
            },
            GFP_KERNEL,
        )?;
        let waker = KBox::into_raw(waker);
        let sk = self.sk();
        // SAFETY: `sk` is live; the lock orders this against `data_ready` and `detach`.
        unsafe { bindings::sk_callback_write_lock(sk) };
        // SAFETY: `sk` is live and its callback lock held.
        let busy = unsafe { !(*sk).sk_user_data.is_null() };
        if !busy {
            // INVARIANT: `sk_user_data` points to a `WakerFor` the socket now owns, whose work
            // and readers outlive it (the caller's guarantee), and `sk_data_ready` is `data_ready`, both
            // set under the lock.
            // SAFETY: `sk` is live and its callback lock held; `waker` is a new allocation.
            unsafe {
                (*waker).header.orig = (*sk).sk_data_ready;
                (*sk).sk_user_data = waker.cast();
                (*sk).sk_data_ready = Some(data_ready);
            }
        }
        // SAFETY: taken above.
        unsafe { bindings::sk_callback_write_unlock(sk) };
        if busy {
            // SAFETY: `waker` came from `KBox::into_raw` and was never published.
            unsafe { WakerFor::<T>::release(waker.cast()) };
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Stops waking the work item of [`Socket::wake_on_data`]; the protocol's own callback is
    /// back. Does nothing if the socket wakes none.
    fn detach(&self) {
        let sk = self.sk();
        // SAFETY: `sk` is live; see `wake_on_data`.
        unsafe { bindings::sk_callback_write_lock(sk) };
        // SAFETY: `sk` is live and its callback lock held.
        let waker = unsafe { (*sk).sk_user_data }.cast::<Waker>();
        if !waker.is_null() {
            // INVARIANT: no waker, and the protocol's callback, set under the lock.
            // SAFETY: as above; by the type invariant `waker` is a live `WakerFor`.
            unsafe {
                (*sk).sk_data_ready = (*waker).orig;
                (*sk).sk_user_data = core::ptr::null_mut();
            }
        }
        // SAFETY: taken above.
        unsafe { bindings::sk_callback_write_unlock(sk) };
        if !waker.is_null() {
            // SAFETY: with the lock taken and released after the waker was unlinked, no
            // `data_ready` still uses it: it is unreachable, and from `KBox::into_raw`. Its
            // `release` is module code, and the module is live while it drops its socket.
            unsafe { ((*waker).release)(waker) };
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.detach();
        // SAFETY: by the type invariant this object owns the socket; nothing uses it after.
        unsafe { bindings::sock_release(self.sock.as_ptr()) };
    }
}

/// Checks that an address fits the `sockaddr_storage` the kernel copies it into.
fn address_len<A: Address>(address: &A) -> Result<i32> {
    let len = address.len();
    if len > core::mem::size_of::<bindings::__kernel_sockaddr_storage>() {
        return Err(EINVAL);
    }
    i32::try_from(len).map_err(|_| EINVAL)
}

/// What a [`Receiver`] does with its socket's arrivals.
pub trait Receive: Sized + Send + Sync + 'static {
    /// Runs in process context on the high-priority system workqueue after messages arrived:
    /// receives without blocking until `EAGAIN` (or takes a batch and calls [`Ready::again`]).
    /// It may sleep.
    fn ready(ready: &Ready<'_, Self>);
}

/// What [`Receive::ready`] works with: the sockets and the receiver's data.
pub struct Ready<'a, T: Receive> {
    work: &'a DelayedWork<Inner<T>>,
}

impl<T: Receive> Ready<'_, T> {
    /// The (first) socket.
    pub fn socket(&self) -> &Socket {
        &self.work.data().sock
    }

    /// The second socket, for a receiver built with [`Receiver::new_pair`].
    pub fn second(&self) -> Option<&Socket> {
        self.work.data().second.as_ref()
    }

    /// The receiver's data.
    pub fn data(&self) -> &T {
        &self.work.data().data
    }

    /// Runs [`Receive::ready`] again soon, after others had the CPU.
    pub fn again(&self) {
        self.work.schedule(0);
    }

    /// Wakes the tasks in [`Receiver::receive_here`], after a message for one of them went to
    /// it another way than through the socket.
    pub fn wake_readers(&self) {
        // SAFETY: by `Inner`'s invariant, the readers of the receiver that owns the work,
        // which outlives this run.
        let readers = unsafe { &*self.work.data().readers };
        readers.wake(0);
    }

    /// Runs [`Receive::ready`] again in `delay_ms` milliseconds, for the module's own timers,
    /// unless a run is pending already: one that an arrival or [`Receiver::wake`] asked for,
    /// at once. So a timer never postpones an arrival; a run the timer did not expect must
    /// check what is due and arm it again.
    pub fn again_in(&self, delay_ms: u32) {
        self.work.schedule_unless_pending(delay_ms);
    }
}

/// The data of a receiver's work item.
///
/// # Invariants
///
/// `readers` points to the `readers` of the pinned [`Receiver`] whose work holds this.
struct Inner<T: Receive> {
    sock: Socket,
    /// A second socket whose arrivals wake the same work and readers.
    second: Option<Socket>,
    data: T,
    /// The receiver's readers, beside the work in the pinned receiver.
    readers: *const Readers,
}

// SAFETY: `readers` points to a `Readers`, which is `Sync`, in the pinned receiver that owns
// the work; the rest is `Send` and `Sync` by the bounds.
unsafe impl<T: Receive> Send for Inner<T> {}

// SAFETY: see above.
unsafe impl<T: Receive> Sync for Inner<T> {}

/// The tasks that receive in their own context ([`Receiver::receive_here`]): while there is
/// one, an arrival wakes them, not the work.
#[pin_data]
struct Readers {
    /// How many tasks are in `receive_here`.
    count: AtomicU32,
    /// Advanced by every arrival while `count` is not 0, and by `wake_readers`.
    #[pin]
    event: Event,
}

impl Readers {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            count: AtomicU32::new(0),
            event <- new_event!("socket_readers"),
        })
    }

    /// Wakes the readers if there are more than `others`, after something for them was
    /// queued. The generation moves first, a full barrier before the count is read: a reader
    /// that comes in unseen reads the generation after the move, and so sees what was queued.
    fn wake(&self, others: u32) {
        self.event.advance();
        if self.count.load(Ordering::SeqCst) > others {
            self.event.wake();
        }
    }
}

impl<T: Receive> Handler for Inner<T> {
    fn run(work: &DelayedWork<Self>) {
        T::ready(&Ready { work });
    }
}

/// A socket (or two), the data of the module that uses it, and a work item that every arrival
/// on the sockets schedules, which runs [`Receive::ready`].
///
/// Build it pinned ([`Receiver::new`], [`Receiver::new_pair`]), then [`Receiver::start`] it.
/// [`Receiver::stop`], or dropping it, takes the work item off the sockets, then cancels it,
/// then releases the sockets.
///
/// # Invariants
///
/// When a socket wakes `work` or `readers`, the receiver is pinned (started through a
/// reference to it, and `!Unpin`), and it is taken off each socket before they go (in `stop`
/// or `drop`). The work's `readers` points to `readers`.
#[pin_data(PinnedDrop)]
pub struct Receiver<T: Receive> {
    // Declared first, so dropped first: its drop cancels a run of the work, which may use
    // `readers`.
    #[pin]
    work: DelayedWork<Inner<T>>,
    #[pin]
    readers: Readers,
}

impl<T: Receive> Receiver<T> {
    /// A receiver of `sock`'s arrivals with `data`; not started.
    pub fn new(sock: Socket, data: T) -> impl PinInit<Self> {
        Self::build(sock, None, data)
    }

    /// A receiver of the arrivals of two sockets, `sock` and `second`, with `data`; not
    /// started. Both wake the same work and the same tasks in [`Receiver::receive_here`], so
    /// one drain serves both: for instance a TIPC group's socket, and a socket for unicast
    /// that is not in the group.
    pub fn new_pair(sock: Socket, second: Socket, data: T) -> impl PinInit<Self> {
        Self::build(sock, Some(second), data)
    }

    fn build(sock: Socket, second: Option<Socket>, data: T) -> impl PinInit<Self> {
        pin_init!(&this in Self {
            // Between an arrival and its reader: scheduling latency is its latency.
            work <- DelayedWork::new_high_priority(Inner {
                sock,
                second,
                data,
                // INVARIANT: the field of the receiver being built, which is pinned; the work
                // does not run before `start`, when the receiver is whole.
                // SAFETY: only the field's address is taken; nothing is read.
                readers: unsafe { core::ptr::addr_of!((*this.as_ptr()).readers) },
            }),
            readers <- Readers::new(),
        })
    }

    /// Starts waking the work on arrivals, and runs it once for those already queued. Fails
    /// with `EBUSY` if it was started already.
    pub fn start(&self) -> Result {
        let work: *const DelayedWork<Inner<T>> = &self.work;
        let readers: *const Readers = &self.readers;
        let inner = self.work.data();
        // INVARIANT: the receiver is pinned and detached before `work` and `readers` go
        // (below).
        // SAFETY: the receiver is pinned (it is `!Unpin` and built in place), and `stop` or
        // `drop` detaches the sockets before `work` and `readers` go.
        unsafe { inner.sock.wake_on_data::<T>(work, readers) }?;
        if let Some(second) = &inner.second {
            // SAFETY: as above.
            if let Err(e) = unsafe { second.wake_on_data::<T>(work, readers) } {
                inner.sock.detach();
                return Err(e);
            }
        }
        self.work.schedule(0);
        Ok(())
    }

    /// Stops waking the work, then waits for a run in progress to end. Must not be called from
    /// [`Receive::ready`].
    pub fn stop(&self) {
        self.work.data().detach();
        self.work.cancel();
    }

    /// Runs [`Receive::ready`] at once, as an arrival would: after a change that its timers
    /// (see [`Ready::again_in`]) must take into account.
    pub fn wake(&self) {
        self.work.schedule(0);
    }

    /// Receives in the caller's context, for a task that waits for messages (a request of a
    /// process, which is then served without the work's context switch): while a task is in
    /// here, arrivals wake it straight from the protocol's receive path instead of the work.
    ///
    /// Runs `step`, which receives without blocking until `EAGAIN`, as [`Receive::ready`]
    /// does, and returns whether the caller got what it waits for; if it did not, sleeps until
    /// an arrival or [`Receiver::wake_readers`], and runs it again, for at most `timeout_ms`.
    /// Arrivals go back to the work before `step` runs a last time, so none is left unread.
    /// Returns whether `step` said yes; fails with `EINTR` if a signal came. Must not be
    /// called from [`Receive::ready`].
    pub fn receive_here(&self, timeout_ms: u32, mut step: impl FnMut() -> bool) -> Result<bool> {
        let readers = &self.readers;
        // Read before each `step`: an arrival while it runs makes the wait below return. The
        // first is read before the count is raised, so that an arrival that saw this task
        // (and so only notified the readers) is after it, and read when leaving even if the
        // first `step` said yes without receiving.
        let mut seen = readers.event.generation();
        readers.count.fetch_add(1, Ordering::SeqCst);
        let start = Ktime::ktime_get();
        let waited = loop {
            if step() {
                break Ok(true);
            }
            let elapsed = (Ktime::ktime_get() - start).to_ms();
            let Ok(left @ 1..) = u32::try_from(i64::from(timeout_ms) - elapsed) else {
                break Ok(false);
            };
            if let Err(e) = readers.event.wait_past(seen, left) {
                break Err(e);
            }
            seen = readers.event.generation();
        };
        // Leaving: an arrival that notified the readers since the last `step` began is read
        // below; one after this count is seen wakes the work (if no other reader is left).
        // See `WakerFor::wake`.
        readers.count.fetch_sub(1, Ordering::SeqCst);
        let last = readers.event.generation() != seen && step();
        waited.map(|got| got || last)
    }

    /// Wakes the tasks in [`Receiver::receive_here`], after a message for one of them went to
    /// it another way than through the socket.
    pub fn wake_readers(&self) {
        self.readers.wake(0);
    }

    /// From the `step` of [`Receiver::receive_here`]: wakes the other tasks in there, if any,
    /// after a message for one of them went to it. (The caller, which sees the generation
    /// move, runs a `step` more.)
    pub fn wake_other_readers(&self) {
        self.readers.wake(1);
    }

    /// The (first) socket.
    pub fn socket(&self) -> &Socket {
        &self.work.data().sock
    }

    /// The second socket, for a receiver built with [`Receiver::new_pair`].
    pub fn second(&self) -> Option<&Socket> {
        self.work.data().second.as_ref()
    }

    /// The receiver's data.
    pub fn data(&self) -> &T {
        &self.work.data().data
    }
}

impl<T: Receive> Inner<T> {
    /// Takes the work and readers off the sockets.
    fn detach(&self) {
        self.sock.detach();
        if let Some(second) = &self.second {
            second.detach();
        }
    }
}

#[pinned_drop]
impl<T: Receive> PinnedDrop for Receiver<T> {
    fn drop(self: Pin<&mut Self>) {
        // Off the sockets first; then the work's own drop cancels it, and the sockets go.
        self.work.data().detach();
    }
}
