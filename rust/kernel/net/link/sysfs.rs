// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of the devices of a link type: `/sys/class/net/DEV/DIR/NAME`, as bonding
//! has `/sys/class/net/bond0/bonding/`.
//!
//! A type lists its attributes in [`LinkType::SYSFS_ATTRS`] under the directory
//! [`LinkType::SYSFS_DIR`]. Reads and writes run with RTNL held, taken with `rtnl_trylock()`:
//! when RTNL is busy the system call restarts (`restart_syscall()`), as bonding's option
//! writes do, so a sysfs access never waits for RTNL while holding the sysfs node, which
//! unregistering a device (under RTNL) waits for.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use super::{LinkType, Master};
use crate::{
    alloc::{flags, KBox, KVec},
    bindings,
    error::{code::*, Result},
    net::rtnl,
    str::CStr,
};
use core::{fmt, marker::PhantomData};

/// An attribute of the devices of link type `T`.
pub struct Attribute<T: LinkType> {
    /// The file name.
    pub name: &'static CStr,
    /// Writes the value into the buffer; RTNL is held.
    pub show: fn(&Master<T>, &mut Buffer<'_>) -> Result,
    /// Parses and applies a value written by user space (whitespace trimmed); RTNL is held.
    /// Without it the file is read-only; with it, writable by root.
    pub store: Option<fn(&Master<T>, &str) -> Result>,
}

/// The page a `show` writes into, through [`core::fmt::Write`] (`write!`).
pub struct Buffer<'a> {
    page: &'a mut [u8],
    len: usize,
}

impl fmt::Write for Buffer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.page.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The attribute group of a link type, owned by its registration, which outlives every device
/// of the type.
///
/// # Invariants
///
/// `group.attrs` points into `ptrs`, a NULL-terminated array of pointers to the `attr` of each
/// entry of `attrs`; `attrs[i]` describes `T::SYSFS_ATTRS[i]`. None of the three buffers moves
/// while the group lives.
pub(super) struct Group<T: LinkType> {
    group: KBox<bindings::attribute_group>,
    attrs: KVec<bindings::device_attribute>,
    _ptrs: KVec<*mut bindings::attribute>,
    _t: PhantomData<T>,
}

// SAFETY: the group is written once, in `new`, then only read by sysfs.
unsafe impl<T: LinkType> Send for Group<T> {}
// SAFETY: as above.
unsafe impl<T: LinkType> Sync for Group<T> {}

impl<T: LinkType> Group<T> {
    /// Builds the group of `T`, or `None` if `T` has no sysfs directory.
    pub(super) fn new() -> Result<Option<Self>> {
        let Some(dir) = T::SYSFS_DIR else {
            return Ok(None);
        };
        let mut attrs = KVec::with_capacity(T::SYSFS_ATTRS.len(), flags::GFP_KERNEL)?;
        for a in T::SYSFS_ATTRS {
            // SAFETY: all-zero is a valid `device_attribute` (no name, no callbacks).
            let mut raw: bindings::device_attribute = unsafe { core::mem::zeroed() };
            raw.attr.name = a.name.as_char_ptr();
            raw.attr.mode = if a.store.is_some() { 0o644 } else { 0o444 };
            raw.show = Some(show::<T>);
            if a.store.is_some() {
                raw.store = Some(store::<T>);
            }
            attrs.push(raw, flags::GFP_KERNEL)?;
        }
        let mut ptrs = KVec::with_capacity(attrs.len() + 1, flags::GFP_KERNEL)?;
        for raw in attrs.iter_mut() {
            // SAFETY: `raw.attr` is an attribute that is not registered yet; the lockdep key
            // that `sysfs_attr_init` gives it is static.
            unsafe { bindings::sysfs_attr_init(&mut raw.attr) };
            ptrs.push(core::ptr::addr_of_mut!(raw.attr), flags::GFP_KERNEL)?;
        }
        ptrs.push(core::ptr::null_mut(), flags::GFP_KERNEL)?;
        // SAFETY: all-zero is a valid, empty `attribute_group`.
        let mut group: bindings::attribute_group = unsafe { core::mem::zeroed() };
        group.name = dir.as_char_ptr();
        group.attrs = ptrs.as_mut_ptr();
        // INVARIANT: `group.attrs` points to `ptrs`, which points into `attrs`, in the order of
        // `T::SYSFS_ATTRS`; moving the vectors into `Self` does not move their buffers.
        Ok(Some(Self {
            group: KBox::new(group, flags::GFP_KERNEL)?,
            attrs,
            _ptrs: ptrs,
            _t: PhantomData,
        }))
    }

    /// Returns the group, for `net_device.sysfs_groups`.
    pub(super) fn as_ptr(&self) -> *const bindings::attribute_group {
        &*self.group
    }

    /// Returns the attribute of `T` that `attr` describes.
    fn attribute(&self, attr: *const bindings::device_attribute) -> Option<&'static Attribute<T>> {
        let base = self.attrs.as_ptr() as usize;
        let offset = (attr as usize).checked_sub(base)?;
        let size = core::mem::size_of::<bindings::device_attribute>();
        if offset % size != 0 {
            return None;
        }
        T::SYSFS_ATTRS.get(offset / size)
    }
}

/// Finds the device and the attribute of a sysfs call and runs `f` on them with RTNL held.
///
/// # Safety
///
/// `dev` must be the `struct device` of a `net_device` of link type `T` with our group, and
/// `attr` one of that group's attributes, as sysfs passes them.
unsafe fn with_master<T: LinkType>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    f: impl FnOnce(&Master<T>, &'static Attribute<T>) -> Result<isize>,
) -> isize {
    let offset = core::mem::offset_of!(bindings::net_device, dev);
    // SAFETY: `dev` is embedded in a `net_device` (`to_net_dev`).
    let ndev = unsafe { dev.cast::<u8>().sub(offset).cast::<bindings::net_device>() };
    // SAFETY: the device has our group, so it was created through the registration of `T`,
    // whose ops it points to and which outlives it.
    let group = unsafe { super::Adapter::<T>::sysfs_group(ndev) };
    let Some(attribute) = group.and_then(|g| g.attribute(attr)) else {
        return EINVAL.to_errno() as isize;
    };
    let Some(_rtnl) = rtnl::Guard::try_lock() else {
        // SAFETY: called from a system call (a sysfs read or write).
        return unsafe { bindings::restart_syscall() } as isize;
    };
    // SAFETY: RTNL is held; the sysfs node exists, so the device is not freed. Only a
    // registered device (not yet past `ndo_uninit`) is handed on.
    let reg_state = unsafe { (*ndev).reg_state };
    let registered = u32::from(reg_state) == bindings::netdev_reg_state_NETREG_REGISTERED;
    if !registered {
        return ENODEV.to_errno() as isize;
    }
    // SAFETY: a registered device of type `T` with RTNL held.
    let master = unsafe { Master::<T>::from_raw(ndev) };
    match f(master, attribute) {
        Ok(n) => n,
        Err(e) => e.to_errno() as isize,
    }
}

/// `device_attribute.show`.
///
/// # Safety
///
/// Called by sysfs with an attribute of our group and a page-sized buffer.
unsafe extern "C" fn show<T: LinkType>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut crate::ffi::c_char,
) -> isize {
    // SAFETY: as sysfs guarantees; `buf` is a page that only this call writes.
    unsafe {
        with_master::<T>(dev, attr, |master, attribute| {
            // A page less one byte: sysfs takes a count of a whole page for an error.
            let room = bindings::PAGE_SIZE - 1;
            let page = core::slice::from_raw_parts_mut(buf.cast::<u8>(), room);
            let mut out = Buffer { page, len: 0 };
            (attribute.show)(master, &mut out)?;
            isize::try_from(out.len).map_err(|_| EINVAL)
        })
    }
}

/// `device_attribute.store`.
///
/// # Safety
///
/// Called by sysfs with an attribute of our group and `count` bytes at `buf`.
unsafe extern "C" fn store<T: LinkType>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const crate::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: as sysfs guarantees.
    unsafe {
        with_master::<T>(dev, attr, |master, attribute| {
            let store = attribute.store.ok_or(EPERM)?;
            let bytes = core::slice::from_raw_parts(buf.cast::<u8>(), count);
            let text = core::str::from_utf8(bytes).map_err(|_| EINVAL)?;
            store(master, text.trim())?;
            isize::try_from(count).map_err(|_| EINVAL)
        })
    }
}
