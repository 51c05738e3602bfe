// SPDX-License-Identifier: GPL-2.0

//! The vke module's wire format, built on the host: the fixed header (`header`), the
//! sub-header's typed entries (`subheader`) and the whole message (`message`).
//!
//! The sources are the module's own files, compiled here unchanged and `no_std`, so the host
//! tests and the fuzz target exercise exactly what the kernel runs.

#![no_std]

#[path = "../../../vke/header.rs"]
pub mod header;

#[path = "../../../vke/subheader.rs"]
pub mod subheader;

#[path = "../../../vke/message.rs"]
pub mod message;
