// SPDX-License-Identifier: GPL-2.0

//! The vnic_failover module's member-selection policy, built on the host.
//!
//! The source is the module's own `vnic_failover/policy.rs`, compiled here unchanged and
//! `no_std`, so the host tests exercise exactly what the kernel runs.

#![no_std]

#[path = "../../../vnic_failover/policy.rs"]
pub mod policy;
