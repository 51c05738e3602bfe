// SPDX-License-Identifier: GPL-2.0

//! Member state changes, from the netdevice notifier.
//!
//! The chain runs under RTNL in the context that made the change (linkwatch for carrier, the
//! `ip` command for up, down and unregister), so a switch happens right there, not on a poll.

use crate::vnic::Vnic;
use kernel::{
    net::{
        dev::Device,
        link::Master,
        notifier::{Event, Handler},
    },
    prelude::*,
};

/// Forwards the events of vNIC members to their vNIC.
pub(crate) struct MemberEvents;

impl Handler for MemberEvents {
    fn notify(&self, event: Event, dev: &Device) -> Result {
        let Some(vnic) = Master::<Vnic>::of_port(dev) else {
            return Ok(());
        };
        match event {
            // A member being unregistered is closed first: leave at once, as removed.
            Event::GoingDown | Event::Unregister if dev.is_dismantling() => {
                vnic.data().member_gone(vnic, dev)
            }
            Event::Unregister => vnic.data().member_gone(vnic, dev),
            // Going down is announced before the member stops: switching then loses less.
            Event::GoingDown => vnic.data().link_down(vnic, dev),
            Event::Up | Event::Down | Event::Change => vnic.data().link_changed(vnic, dev),
            _ => {}
        }
        Ok(())
    }
}
