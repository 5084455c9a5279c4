use std::io;

use memmap2::MmapRaw;

use crate::mode::Advice;

/// The OS page size in bytes.
pub fn page_size() -> usize {
  use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
  // SAFETY: GetSystemInfo fills the zeroed struct we pass and cannot fail.
  let info = unsafe {
    let mut info: SYSTEM_INFO = std::mem::zeroed();
    GetSystemInfo(&mut info);
    info
  };
  info.dwPageSize as usize
}

/// Windows has no madvise: the hints are accepted and do nothing (documented in the README).
pub fn advise(_map: &MmapRaw, _advice: Advice, _offset: usize, _len: usize) -> io::Result<()> {
  Ok(())
}

/// The non-destructive "don't need" for private memory: nothing on Windows (like `advise`).
pub fn advise_cold(_map: &MmapRaw, _offset: usize, _len: usize) -> io::Result<()> {
  Ok(())
}

/// Large pages for file mappings do not exist on Windows; the hint is ignored.
pub fn huge_pages_hint(_map: &MmapRaw) {}

/// `VirtualLock` of `len` bytes at `ptr` (Windows rounds to pages itself).
pub fn lock_memory(ptr: *mut u8, len: usize) -> io::Result<()> {
  use windows_sys::Win32::System::Memory::VirtualLock;
  // SAFETY: the caller passes a range inside a live mapping.
  if unsafe { VirtualLock(ptr.cast(), len) } != 0 {
    Ok(())
  } else {
    Err(io::Error::last_os_error())
  }
}

/// `VirtualUnlock` of `len` bytes at `ptr`.
pub fn unlock_memory(ptr: *mut u8, len: usize) -> io::Result<()> {
  use windows_sys::Win32::System::Memory::VirtualUnlock;
  // SAFETY: the caller passes a range inside a live mapping.
  if unsafe { VirtualUnlock(ptr.cast(), len) } != 0 {
    Ok(())
  } else {
    Err(io::Error::last_os_error())
  }
}

/// Reserves disk blocks for the first `len` bytes of `file` (fs2: `SetFileInformationByHandle`
/// with an allocation size, then the length).
pub fn allocate(file: &std::fs::File, len: u64) -> io::Result<()> {
  fs2::FileExt::allocate(file, len)
}

/// Windows cannot replace part of a view in place (MapViewOfFile has no MAP_FIXED, and unmapping
/// first would let another allocation take the address). The view is left as it is: the range
/// stays reserved and keeps showing the file until the last holder drops it (late reads see the
/// old bytes, late writes reach this same file, never another one).
pub fn replace_with_zero_pages(_ptr: *mut u8, _len: usize) {}

/// `ERROR_DISK_FULL` (reported as `ENOSPC`), for a page of a sparse file the disk had no room for.
pub const ENOSPC: i32 = 112;
/// Not asked on Windows (a guarded access that faults inside the file's length is classified by
/// re-reading that byte): faults through views are not survived there, and in-page errors carry
/// no reason here.
pub fn file_system_full(_file: &std::fs::File) -> bool {
  false
}

/// The address of `name` among the running program's exports, or null.
pub fn runtime_symbol(name: &std::ffi::CStr) -> *mut std::ffi::c_void {
  use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
  // SAFETY: GetModuleHandleW(null) is the running executable; GetProcAddress only reads its export
  // table.
  unsafe {
    match GetProcAddress(GetModuleHandleW(std::ptr::null()), name.as_ptr().cast()) {
      Some(f) => f as *mut std::ffi::c_void,
      None => std::ptr::null_mut(),
    }
  }
}
