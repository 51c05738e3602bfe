// SPDX-License-Identifier: GPL-2.0

//! Adapters going away, from the netdevice notifier: their lines leave management before the
//! driver frees them. And a vNIC's switches: `vnic_failover` tells the chain that a member
//! now transmits (`NETDEV_CHANGELOWERSTATE`, as a bond does) once it gave that member's lines
//! the old member's CPUs; the balancer takes that layout as the lines' own rather than as a
//! user's pin.

use crate::state::STATE;
use kernel::{
    net::{
        dev::Device,
        notifier::{Event, Handler},
    },
    prelude::*,
};

/// Drops an adapter under management when it is unregistered.
pub(crate) struct AdapterEvents;

impl Handler for AdapterEvents {
    fn notify(&self, event: Event, dev: &Device) -> Result {
        if !matches!(event, Event::Unregister | Event::ChangeLowerState) {
            return Ok(());
        }
        let Some(state) = STATE.get() else {
            return Ok(());
        };
        let mut inner = state.inner.lock();
        if !inner.has(dev) {
            return Ok(());
        }
        if matches!(event, Event::Unregister) {
            // The lines go with the device (its driver frees them next): nothing to restore.
            inner.remove(dev, false);
        } else {
            inner.adopt(dev);
        }
        Ok(())
    }
}
