// SPDX-License-Identifier: GPL-2.0

//! The vke module's kernel-independent logic, built on the host: the fixed header (`header`), the
//! sub-header's typed entries (`subheader`), the whole message (`message`), the members of
//! the cluster (`members`), the response queue (`responses`), the bound services
//! (`services`) and the registration payload (`registration`).
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

#[path = "../../../vke/members.rs"]
pub mod members;

#[path = "../../../vke/responses.rs"]
pub mod responses;

#[path = "../../../vke/services.rs"]
pub mod services;

#[path = "../../../vke/registration.rs"]
pub mod registration;
