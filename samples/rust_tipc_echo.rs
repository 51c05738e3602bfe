// SPDX-License-Identifier: GPL-2.0

//! Sample of per-namespace state (`kernel::net::pernet`), kernel sockets
//! (`kernel::net::socket`) and TIPC communication groups (`kernel::net::tipc`).
//!
//! In every network namespace, a kernel socket joins TIPC group [`GROUP`] as member
//! [`INSTANCE`]. Its arrivals schedule the work item of a [`Receiver`], which receives them in
//! process context:
//! a message is answered, to its sender alone, with `echo ` and the message; a message
//! `members?` with `members N`, the members it has seen join and not leave. A namespace's
//! socket goes with the namespace, every one with the module.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::net::{
    namespace::Net,
    pernet,
    socket::{Ready, Receive, Receiver, Socket},
    tipc::{self, Address, Arrival, Scope},
};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

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

/// The data of a namespace's receiver.
struct Member {
    /// Members seen joining and not leaving, this socket aside.
    members: AtomicU32,
    /// The receive buffer, which only the work (never concurrent with itself) uses.
    buf: Arc<Mutex<KVVec<u8>>>,
}

impl Member {
    /// Answers one message.
    fn answer(&self, sock: &Socket, message: &[u8], to: tipc::SocketId) {
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
            let _ = tipc::send(sock, Some(&Address::socket(to)), &reply[..len]);
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

impl Receive for Member {
    fn ready(ready: &Ready<'_, Self>) {
        let (this, sock) = (ready.data(), ready.socket());
        let mut buf = this.buf.lock();
        for _ in 0..BATCH {
            match tipc::receive(sock, &mut buf) {
                Ok(Arrival::Message { len, from, .. }) => {
                    let message = buf.get(..len).unwrap_or(&[]);
                    this.answer(sock, message, from);
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
                Ok(Arrival::Returned { error, to, .. }) => {
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
        ready.again();
    }
}

static ID: pernet::Id = pernet::Id::new();

struct Echo;

impl pernet::Operations for Echo {
    type Data = Pin<KBox<Receiver<Member>>>;

    fn id() -> &'static pernet::Id {
        &ID
    }

    fn init(net: &pernet::Init<'_>) -> Result<Self::Data> {
        let sock = tipc::socket(net)?;
        tipc::join_group(&sock, GROUP, INSTANCE, Scope::Cluster, false)?;
        let buf = KVVec::from_elem(0u8, tipc::MAX_MESSAGE_LEN, GFP_KERNEL)?;
        let member = Member {
            members: AtomicU32::new(0),
            buf: Arc::pin_init(new_mutex!(buf), GFP_KERNEL)?,
        };
        let receiver = KBox::pin_init(Receiver::new(sock, member), GFP_KERNEL)?;
        receiver.start()?;
        Ok(receiver)
    }

    fn pre_exit(_net: &Net, receiver: Pin<&Receiver<Member>>) {
        // No arrival schedules the work any more, and no run is left: the namespace's exit
        // then drops the receiver and its socket.
        receiver.stop();
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
