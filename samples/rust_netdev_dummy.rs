// SPDX-License-Identifier: GPL-2.0

//! Sample of the link-type abstraction (`kernel::net::link`): a Rust version of `dummy`.
//!
//! `ip link add NAME type rust_dummy` creates an Ethernet device that resolves no neighbours
//! and counts then frees every packet it is given to transmit.

use kernel::net::{
    dev::Device,
    link::{LinkType, Live, Registration, Setup},
    skbuff::SkBuff,
};
use kernel::prelude::*;

module! {
    type: DummySample,
    name: "rust_netdev_dummy",
    author: "pvio developers",
    description: "Rust link-type sample: a dummy network device",
    license: "GPL",
    alias: ["rtnl-link-rust_dummy"],
}

struct Dummy;

#[vtable]
impl LinkType for Dummy {
    const KIND: &'static CStr = kernel::c_str!("rust_dummy");
    type Data = ();

    fn setup(dev: &mut Setup<'_>) {
        dev.set_noarp();
        dev.random_mac();
    }

    fn init(_dev: &Device) -> impl PinInit<(), Error> {}

    fn start_xmit(dev: &Live<Self>, skb: SkBuff) {
        dev.count_tx(skb.len());
        skb.consume();
    }
}

struct DummySample {
    _registration: Pin<KBox<Registration<Dummy>>>,
}

impl kernel::Module for DummySample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registration = KBox::pin_init(Registration::<Dummy>::new(), GFP_KERNEL)?;
        Ok(Self {
            _registration: registration,
        })
    }
}
