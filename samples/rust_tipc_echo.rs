// SPDX-License-Identifier: GPL-2.0

//! Sample of per-namespace state (`kernel::net::pernet`), kernel sockets
//! (`kernel::net::socket`) and TIPC communication groups (`kernel::net::tipc`).
//!
//! In every network namespace, a kernel socket joins TIPC group [`GROUP`] as member
//! [`INSTANCE`]. Its arrivals schedule a work item, which receives them in process context:
//! a message is answered, to its sender alone, with `echo ` and the message; a message
//! `members?` with `members N`, the members it has seen join and not leave. A namespace's
//! socket goes with the namespace, every one with the module.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::delayed_work::{DelayedWork, Handler};
use kernel::net::{
    namespace::Net,
    pernet,
    socket::Socket,
    tipc::{self, Address, Arrival, Scope},
};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, Mutex};

module! {
    type: TipcEchoSample,
    name: "rust_tipc_echo",
    author: "pvio developers",
    description: "Rust TIPC group echo sample: per-namespace kernel sockets",
    license: "GPL",
}

/// The group the sockets join: "pvio" in ASCII, above TIPC's reserved types.
const GROUP: u32 = 0x7076_696f;

/// The instance the sockets join as.
const INSTANCE: u32 = 1;

/// Messages one run of the work takes before it yields the CPU and schedules itself again.
const BATCH: usize = 64;

/// The instance of a namespace.
struct Member {
    sock: Socket,
    /// Members seen joining and not leaving, this socket aside.
    members: AtomicU32,
    /// The receive buffer, which only the work (never concurrent with itself) uses.
    buf: Arc<Mutex<KVVec<u8>>>,
}

impl Member {
    /// Answers one message.
    fn answer(&self, message: &[u8], to: tipc::SocketId) {
        let mut reply = [0u8; 128];
        let mut w = Cursor(&mut reply, 0);
        let written = if message == b"members?" {
            fmt::write(
                &mut w,
                format_args!("members {}", self.members.load(Ordering::Relaxed)),
            )
        } else {
            fmt::write(&mut w, format_args!("echo ")).map(|()| w.put(message))
        };
        let len = w.1;
        if written.is_ok() {
            // A full window drops the answer: the sender asks again.
            let _ = tipc::send(&self.sock, Some(&Address::socket(to)), &reply[..len]);
        }
    }
}

/// Writes into a fixed buffer; what does not fit is cut.
struct Cursor<'a>(&'a mut [u8], usize);

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let room = self.0.len() - self.1;
        let n = bytes.len().min(room);
        self.0[self.1..self.1 + n].copy_from_slice(&bytes[..n]);
        self.1 += n;
    }
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes());
        Ok(())
    }
}

impl Handler for Member {
    fn run(work: &DelayedWork<Self>) {
        let this = work.data();
        let mut buf = this.buf.lock();
        for _ in 0..BATCH {
            match tipc::receive(&this.sock, &mut buf) {
                Ok(Arrival::Message { len, from, .. }) => {
                    let message = buf.get(..len).unwrap_or(&[]);
                    this.answer(message, from);
                }
                Ok(Arrival::MemberUp { member, instance }) => {
                    this.members.fetch_add(1, Ordering::Relaxed);
                    pr_info!(
                        "member up: node {:x} port {} instance {instance}\n",
                        member.node,
                        member.port
                    );
                }
                Ok(Arrival::MemberDown { member, instance }) => {
                    let _ = this
                        .members
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
                    pr_info!(
                        "member down: node {:x} port {} instance {instance}\n",
                        member.node,
                        member.port
                    );
                }
                Ok(Arrival::Returned { error, to }) => {
                    pr_info!(
                        "undelivered to node {:x} port {}: error {error}\n",
                        to.node,
                        to.port
                    );
                }
                Err(e) if e == EAGAIN => return,
                Err(e) => {
                    pr_warn!("receive failed: {e:?}\n");
                    return;
                }
            }
        }
        // More may be queued: go on in a later run, after others had the CPU.
        work.schedule(0);
    }
}

static ID: pernet::Id = pernet::Id::new();

struct Echo;

impl pernet::Operations for Echo {
    type Data = Arc<DelayedWork<Member>>;

    fn id() -> &'static pernet::Id {
        &ID
    }

    fn init(net: &Net) -> Result<Self::Data> {
        let sock = tipc::socket(net)?;
        tipc::join_group(&sock, GROUP, INSTANCE, Scope::Cluster, false)?;
        let buf = KVVec::from_elem(0u8, tipc::MAX_MESSAGE_LEN, GFP_KERNEL)?;
        let member = Member {
            sock,
            members: AtomicU32::new(0),
            buf: Arc::pin_init(new_mutex!(buf), GFP_KERNEL)?,
        };
        let work = Arc::pin_init(DelayedWork::new(member), GFP_KERNEL)?;
        work.data().sock.wake_on_data(work.clone())?;
        // Arrivals before the waker was in place.
        work.schedule(0);
        Ok(work)
    }

    fn pre_exit(_net: &Net, work: ArcBorrow<'_, DelayedWork<Member>>) {
        // No arrival schedules the work any more, then no run is left.
        work.data().sock.detach();
        work.cancel();
    }
}

struct TipcEchoSample {
    _pernet: Pin<KBox<pernet::Registration<Echo>>>,
}

impl kernel::Module for TipcEchoSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let pernet = KBox::pin_init(pernet::Registration::new(), GFP_KERNEL)?;
        pr_info!("joined group {GROUP:#x} in every namespace\n");
        Ok(Self { _pernet: pernet })
    }
}
