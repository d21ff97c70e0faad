//! Log lines on the terminal: every line prefixed with the instance name,
//! padded to a common width, in a colour that depends only on the name (so
//! `site` has the same colour in every run), with a timestamp on request.

use std::io::Write as _;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

pub struct Printer {
    colour: bool,
    timestamps: bool,
    width: usize,
    /// Whole lines are written under this lock, so lines of different
    /// services never interleave mid-line.
    lock: Mutex<()>,
}

/// Bright and normal ANSI foreground colours, without black and white.
const PALETTE: [u8; 12] = [32, 33, 34, 35, 36, 31, 92, 93, 94, 95, 96, 91];

/// The colour of a name: an FNV-1a hash of it picks from the palette.
pub fn colour_of(name: &str) -> u8 {
    let mut hash: u32 = 0x811c9dc5;
    for b in name.bytes() {
        hash ^= b as u32;
        hash = hash.wrapping_mul(0x01000193);
    }
    PALETTE[(hash % PALETTE.len() as u32) as usize]
}

impl Printer {
    pub fn new(colour: bool, timestamps: bool, names: &[&str]) -> Printer {
        let width = names.iter().map(|n| n.len()).chain(std::iter::once(2)).max().unwrap_or(2);
        Printer { colour, timestamps, width, lock: Mutex::new(()) }
    }

    /// One line of a service's output.
    pub fn line(&self, name: &str, stream: Stream, text: &str) {
        let prefix = self.prefix(name, colour_of(name));
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let result = match stream {
            Stream::Stdout => writeln!(std::io::stdout().lock(), "{}{}", prefix, text),
            Stream::Stderr => writeln!(std::io::stderr().lock(), "{}{}", prefix, text),
        };
        // A closed terminal must not stop the supervisor from stopping
        // the services; the lines are lost either way.
        drop(result);
    }

    /// A message of the supervisor itself (prefixed `up`, on stderr).
    pub fn system(&self, text: &str) {
        let prefix = self.prefix("up", 1);
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(std::io::stderr().lock(), "{}{}", prefix, text);
    }

    fn prefix(&self, name: &str, colour: u8) -> String {
        let mut prefix = String::new();
        if self.timestamps {
            prefix.push_str(&timestamp());
            prefix.push(' ');
        }
        let padded = format!("{:width$} | ", name, width = self.width);
        if self.colour {
            prefix.push_str(&format!("\x1b[{}m{}\x1b[0m", colour, padded));
        } else {
            prefix.push_str(&padded);
        }
        prefix
    }
}

/// Local wall-clock time, `HH:MM:SS.mmm`.
fn timestamp() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seconds = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which lives on this stack.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&seconds, &mut tm) };
    format!("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, now.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_always_gets_the_same_colour() {
        assert_eq!(colour_of("site"), colour_of("site"));
        assert!(PALETTE.contains(&colour_of("worker")));
    }
}
