// SPDX-License-Identifier: GPL-2.0

//! Which daemon serves which service: a daemon binds a service with its netlink port, and
//! the requests that arrive for the service go to that port alone.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. The table has
//! [`MAX_SERVICES`] entries, so its memory is fixed; a service has one daemon at a time, and
//! a daemon that goes away (its port refuses a message) loses all its services at once.

/// Most services bound at once in a node.
pub const MAX_SERVICES: usize = 16;

/// A service and the port of the daemon serving it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Binding {
    /// The service number (the VKE header's `service`).
    pub service: u32,
    /// The daemon's netlink port.
    pub port: u32,
}

/// Why a bind failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BindError {
    /// Another daemon serves the service.
    Busy(u32),
    /// Every entry is taken.
    Full,
}

/// The services bound in a node.
#[derive(Clone, Debug)]
pub struct Services {
    entries: [Option<Binding>; MAX_SERVICES],
}

impl Default for Services {
    fn default() -> Self {
        Self::new()
    }
}

impl Services {
    /// No service bound.
    pub const fn new() -> Self {
        Self {
            entries: [None; MAX_SERVICES],
        }
    }

    /// Binds `service` to `port`; binding it again to the same port does nothing.
    pub fn bind(&mut self, service: u32, port: u32) -> Result<(), BindError> {
        if let Some(bound) = self.port_of(service) {
            return if bound == port {
                Ok(())
            } else {
                Err(BindError::Busy(bound))
            };
        }
        let free = self
            .entries
            .iter_mut()
            .find(|e| e.is_none())
            .ok_or(BindError::Full)?;
        *free = Some(Binding { service, port });
        Ok(())
    }

    /// Unbinds `service` if `port` serves it; returns whether it did.
    pub fn unbind(&mut self, service: u32, port: u32) -> bool {
        for e in self.entries.iter_mut() {
            if *e == Some(Binding { service, port }) {
                *e = None;
                return true;
            }
        }
        false
    }

    /// Unbinds every service of `port` (its daemon is gone); returns how many.
    pub fn unbind_port(&mut self, port: u32) -> usize {
        let mut n = 0;
        for e in self.entries.iter_mut() {
            if e.is_some_and(|b| b.port == port) {
                *e = None;
                n += 1;
            }
        }
        n
    }

    /// The port serving `service`, if one does.
    pub fn port_of(&self, service: u32) -> Option<u32> {
        self.entries
            .iter()
            .flatten()
            .find(|b| b.service == service)
            .map(|b| b.port)
    }

    /// The bindings, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = Binding> + '_ {
        self.entries.iter().flatten().copied()
    }
}
