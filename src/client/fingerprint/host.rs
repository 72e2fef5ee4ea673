//! Host fingerprint: kernel (`uname`), OS (`/etc/os-release`), architecture,
//! memory (`/proc/meminfo`), disk (statvfs of the data dir), host name.

use std::ffi::CStr;
use std::path::Path;

/// `uname` fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Uname {
    /// `sysname`, lower-cased (`linux`).
    pub sysname: String,
    /// `release` (kernel version).
    pub release: String,
    /// `machine` (`x86_64`).
    pub machine: String,
    /// `nodename` (host name).
    pub nodename: String,
}

/// Calls `uname(2)`.
pub fn uname() -> Uname {
    // SAFETY: utsname is plain old data; uname fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Uname::default();
    }
    let s = |f: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates each field within its array.
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    Uname {
        sysname: s(&u.sysname).to_lowercase(),
        release: s(&u.release),
        machine: s(&u.machine),
        nodename: s(&u.nodename),
    }
}

/// Go's `GOARCH` name for a `uname -m` machine (`x86_64` -> `amd64`), as Nomad reports `cpu.arch`.
pub fn go_arch(machine: &str) -> String {
    match machine {
        "x86_64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "i386" | "i686" => "386",
        m if m.starts_with("armv") => "arm",
        other => other,
    }
    .to_string()
}

/// `ID` and `VERSION_ID` of `/etc/os-release` text.
pub fn parse_os_release(text: &str) -> (String, String) {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    (get("ID"), get("VERSION_ID"))
}

/// OS name and version of this host.
pub fn os_release() -> (String, String) {
    parse_os_release(&std::fs::read_to_string("/etc/os-release").unwrap_or_default())
}

/// `MemTotal` of `/proc/meminfo` text, bytes.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Total memory of this host, bytes.
pub fn total_memory() -> u64 {
    parse_meminfo_total(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default()).unwrap_or(0)
}

/// (total, free) bytes of the filesystem holding `path` (its nearest existing ancestor).
pub fn disk_space(path: &Path) -> (u64, u64) {
    let mut p = path;
    while !p.exists() {
        match p.parent() {
            Some(parent) => p = parent,
            None => return (0, 0),
        }
    }
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else {
        return (0, 0);
    };
    // SAFETY: statvfs is plain old data; the path is a valid NUL-terminated string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return (0, 0);
    }
    let frag = s.f_frsize as u64;
    (s.f_blocks as u64 * frag, s.f_bavail as u64 * frag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_files() {
        let (id, ver) =
            parse_os_release("NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"13\"\n");
        assert_eq!((id.as_str(), ver.as_str()), ("debian", "13"));
        assert_eq!(
            parse_meminfo_total("MemTotal:       16384 kB\nMemFree: 1 kB\n"),
            Some(16384 * 1024)
        );
        assert_eq!(parse_meminfo_total("nothing"), None);
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
    }

    #[test]
    fn reads_this_host() {
        let u = uname();
        assert_eq!(u.sysname, "linux");
        assert!(!u.release.is_empty());
        assert!(total_memory() > 0);
        let (total, free) = disk_space(Path::new("/definitely/not/here"));
        assert!(total > 0 && free <= total);
    }
}
