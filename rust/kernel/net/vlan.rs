// SPDX-License-Identifier: GPL-2.0

//! VLAN filters of network devices.
//!
//! A device with `NETIF_F_HW_VLAN_{C,S}TAG_FILTER` receives tagged frames only for the VLANs in
//! its filter (a virtio-net device drops the others before the guest sees them). A device that
//! forwards through ports must therefore put its own filter onto each port: the VLAN core
//! counts every addition, so a port shared with other users keeps their VLANs.
//!
//! Without `CONFIG_VLAN_8021Q` no VLAN exists and the operations do nothing.
//!
//! C header: [`include/linux/if_vlan.h`](srctree/include/linux/if_vlan.h)

#[cfg(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE))]
use crate::error::to_result;
use crate::{bindings, error::Result, net::dev::Device};

/// A VLAN: its tag protocol (802.1Q or 802.1ad) and identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vlan {
    /// `ETH_P_8021Q` or `ETH_P_8021AD`, in network byte order as the core passes it.
    proto: bindings::__be16,
    vid: u16,
}

impl Vlan {
    /// Creates a VLAN from the values the core passes to `ndo_vlan_rx_{add,kill}_vid`.
    pub(crate) fn from_raw(proto: bindings::__be16, vid: u16) -> Self {
        Self { proto, vid }
    }

    /// Returns the VLAN identifier.
    pub fn id(&self) -> u16 {
        self.vid
    }

    /// Returns whether the tag is 802.1ad (a service tag) rather than 802.1Q.
    pub fn is_8021ad(&self) -> bool {
        u16::from_be(self.proto) == bindings::ETH_P_8021AD as u16
    }
}

impl Device {
    /// Adds `vlan` to the device's filter (`vlan_vid_add`); each addition is counted.
    pub fn add_vlan(&self, vlan: Vlan) -> Result {
        #[cfg(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE))]
        // SAFETY: the device is valid and RTNL is held (`&Device`), as the function requires.
        to_result(unsafe { bindings::vlan_vid_add(self.as_raw(), vlan.proto, vlan.vid) })?;
        #[cfg(not(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE)))]
        let _ = vlan;
        Ok(())
    }

    /// Takes back one addition of `vlan` (`vlan_vid_del`).
    pub fn del_vlan(&self, vlan: Vlan) {
        #[cfg(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE))]
        // SAFETY: the device is valid and RTNL is held (`&Device`), as the function requires.
        unsafe {
            bindings::vlan_vid_del(self.as_raw(), vlan.proto, vlan.vid)
        };
        #[cfg(not(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE)))]
        let _ = vlan;
    }

    /// Adds every VLAN in the filter of `from` (`vlan_vids_add_by_dev`), as a port joining
    /// `from` must; on failure none stays added.
    pub fn add_vlans_of(&self, from: &Device) -> Result {
        #[cfg(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE))]
        // SAFETY: both devices are valid and RTNL is held (`&Device`), as the function
        // requires.
        to_result(unsafe { bindings::vlan_vids_add_by_dev(self.as_raw(), from.as_raw()) })?;
        #[cfg(not(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE)))]
        let _ = from;
        Ok(())
    }

    /// Takes back what [`Device::add_vlans_of`] added for `from` (`vlan_vids_del_by_dev`).
    pub fn del_vlans_of(&self, from: &Device) {
        #[cfg(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE))]
        // SAFETY: both devices are valid and RTNL is held (`&Device`), as the function
        // requires.
        unsafe {
            bindings::vlan_vids_del_by_dev(self.as_raw(), from.as_raw())
        };
        #[cfg(not(any(CONFIG_VLAN_8021Q, CONFIG_VLAN_8021Q_MODULE)))]
        let _ = from;
    }
}
