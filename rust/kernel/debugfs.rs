// SPDX-License-Identifier: GPL-2.0

//! debugfs files whose contents a callback writes each time they are read, as C code gets
//! with `DEFINE_SHOW_ATTRIBUTE`: for tables and state dumps with no ABI promise.
//!
//! C headers: [`include/linux/debugfs.h`](srctree/include/linux/debugfs.h),
//! [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)
//!
//! The file operations are one table in the kernel image, not in the module that registers
//! a file: debugfs calls a file's `release` even after the file is removed, and a module's
//! table would be gone once the module is. The module's callback is only reached from a read,
//! which debugfs lets finish before a removal returns, and refuses after it.

use crate::{
    bindings,
    error::from_err_ptr,
    ffi::{c_int, c_void},
    prelude::*,
    str::CStr,
};
use core::{fmt, marker::PhantomData};

/// What a file shows when it is read.
pub trait Show: Send + Sync {
    /// Writes the file's contents to `out`. Called for every read from the start of the file,
    /// and again with a larger buffer when the contents did not fit.
    fn show(&self, out: &mut SeqFile<'_>) -> Result;
}

/// The output of a read, which [`Show::show`] writes to with `write!`.
///
/// # Invariants
///
/// `self.0` points to the `seq_file` of a read in progress for the lifetime `'a`.
pub struct SeqFile<'a>(*mut bindings::seq_file, PhantomData<&'a mut ()>);

impl fmt::Write for SeqFile<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: by the type invariant the `seq_file` is valid; `s` is valid for its length.
        // Output that overflows the buffer is dropped and marked, and seq_read then calls
        // `show` again with a larger one, so the result needs no check here.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// The part of a registered file that the kernel image's operations read: the module's
/// callback, monomorphised for the file's type.
#[repr(C)]
struct Header {
    show: unsafe fn(*const Header, *mut bindings::seq_file) -> c_int,
}

/// A registered file's data, behind its inode's `i_private`.
#[repr(C)]
struct Entry<T> {
    header: Header,
    data: T,
}

/// Calls `T::show` for the entry `header` begins.
///
/// # Safety
///
/// `header` must be the header of a live `Entry<T>`, and `m` the `seq_file` of a read in
/// progress.
unsafe fn show_entry<T: Show>(header: *const Header, m: *mut bindings::seq_file) -> c_int {
    // SAFETY: `Entry<T>` is `repr(C)` with the header first, and the caller guarantees that
    // `header` begins a live one.
    let entry = unsafe { &*header.cast::<Entry<T>>() };
    // INVARIANT: the caller guarantees `m` for the call, which the borrow does not outlive.
    let mut out = SeqFile(m, PhantomData);
    match entry.data.show(&mut out) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `single_open`'s show callback: the entry is the file's private data.
///
/// # Safety
///
/// Called by seq_read with a `seq_file` that [`open`] set up, during a read of a file that
/// [`ShowFile`] registered.
unsafe extern "C" fn seq_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: `open` made the inode's private data, the header of the file's `Entry`, the
    // seq_file's. debugfs runs a read only while the file is registered, and `ShowFile::drop`
    // removes the file (waiting for reads in progress) before it frees the entry.
    unsafe {
        let header = (*m).private.cast::<Header>().cast_const();
        ((*header).show)(header, m)
    }
}

/// The file's `open`.
///
/// # Safety
///
/// Called by the VFS (through debugfs, which checks that the file is still registered) with
/// the inode and file being opened.
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: the caller passes valid pointers; `single_open` allocates the seq_file, which
    // `single_release` frees.
    unsafe { bindings::single_open(file, Some(seq_show), (*inode).i_private) }
}

/// The operations of every [`ShowFile`].
struct Operations(bindings::file_operations);

// SAFETY: the table is never written after it is built; the C side only reads it.
unsafe impl Sync for Operations {}

/// In the kernel image, where debugfs may still read it after a module is gone (see the
/// module documentation).
static OPERATIONS: Operations = Operations(bindings::file_operations {
    open: Some(open),
    read: Some(bindings::seq_read),
    llseek: Some(bindings::seq_lseek),
    release: Some(bindings::single_release),
    // SAFETY: all zeroes is a valid `file_operations`: no owner, no other operation.
    ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
});

/// A read-only file in a directory of its own at the top of debugfs
/// (`/sys/kernel/debug/<dir>/<file>`), showing what `T` writes. Both go away when it is
/// dropped.
///
/// # Invariants
///
/// `dir` is the directory debugfs created for the file, which holds the file whose private data
/// is `entry`'s header; both stay registered until `drop`.
pub struct ShowFile<T: Show> {
    dir: *mut bindings::dentry,
    entry: KBox<Entry<T>>,
}

// SAFETY: the dentry pointer is only handed to `debugfs_remove`, which may be called from any
// thread; `T` is `Send`.
unsafe impl<T: Show> Send for ShowFile<T> {}

// SAFETY: `&ShowFile` gives no access to anything; `T` is `Sync`, and reads call
// `T::show(&T)` from any thread.
unsafe impl<T: Show> Sync for ShowFile<T> {}

impl<T: Show> ShowFile<T> {
    /// Creates `/sys/kernel/debug/<dir>/<file>`, readable by all who can reach debugfs, whose
    /// reads show what `data` writes. Fails with `EEXIST` if the directory exists, and with
    /// `EPERM` if debugfs is off (`debugfs=off`).
    pub fn new(dir: &CStr, file: &CStr, data: T) -> Result<Self> {
        let entry = KBox::new(
            Entry {
                header: Header {
                    show: show_entry::<T>,
                },
                data,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `dir` is a NUL-terminated name; a null parent is the debugfs root.
        let dentry = from_err_ptr(unsafe {
            bindings::debugfs_create_dir(dir.as_char_ptr(), core::ptr::null_mut())
        })?;
        // From the whole entry, which `show_entry` reads through it.
        let private = (&raw const *entry).cast::<Header>();
        // SAFETY: `dentry` is the directory just made; the name is NUL-terminated; `private`
        // lives in `entry`, which outlives the file (see `drop`); the operations are static.
        let created = from_err_ptr(unsafe {
            bindings::debugfs_create_file(
                file.as_char_ptr(),
                0o444,
                dentry,
                private.cast_mut().cast(),
                &OPERATIONS.0,
            )
        });
        if let Err(e) = created {
            // SAFETY: the directory was made above and holds nothing.
            unsafe { bindings::debugfs_remove(dentry) };
            return Err(e);
        }
        // INVARIANT: the directory and its file were just made, the file with `entry`.
        Ok(Self { dir: dentry, entry })
    }

    /// The data the file shows.
    pub fn data(&self) -> &T {
        &self.entry.data
    }
}

impl<T: Show> Drop for ShowFile<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `dir` is registered. `debugfs_remove` removes it and
        // its file, waiting for reads in progress; later reads and opens of a file still open
        // fail without reaching `T` or the entry, which `self.entry` then frees.
        unsafe { bindings::debugfs_remove(self.dir) };
    }
}
