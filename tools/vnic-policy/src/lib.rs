// SPDX-License-Identifier: GPL-2.0

//! The vnic_failover module's kernel-independent logic, built on the host: member selection
//! (`policy`), statistics folding (`stats`), member health from counters (`health`) and ARP
//! probing (`probe`).
//!
//! The sources are the module's own files, compiled here unchanged and `no_std`, so the host
//! tests exercise exactly what the kernel runs.

#![no_std]

#[path = "../../../vnic_failover/policy.rs"]
pub mod policy;

#[path = "../../../vnic_failover/stats.rs"]
pub mod stats;

#[path = "../../../vnic_failover/health.rs"]
pub mod health;

#[path = "../../../vnic_failover/probe.rs"]
pub mod probe;
