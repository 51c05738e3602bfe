// SPDX-License-Identifier: GPL-2.0

//! The irq_balancer module's kernel-independent logic, built on the host: which interrupt lines
//! move to which CPU (`policy`).
//!
//! The source is the module's own file, compiled here unchanged and `no_std`, so the host tests
//! exercise exactly what the kernel runs.

#![no_std]

#[path = "../../../irq_balancer/policy.rs"]
pub mod policy;
