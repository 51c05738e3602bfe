// SPDX-License-Identifier: GPL-2.0

//! The irq_balancer module's kernel-independent logic, built on the host: which interrupt lines
//! move to which CPU (`policy`), and the lists its configuration takes as text (`lists`).
//!
//! The sources are the module's own files, compiled here unchanged and `no_std`, so the host tests
//! exercise exactly what the kernel runs.

#![no_std]

#[path = "../../../irq_balancer/policy.rs"]
pub mod policy;

#[path = "../../../irq_balancer/lists.rs"]
pub mod lists;
