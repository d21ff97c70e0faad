//! POSIX extended regular expressions as C++ Nix runs them (libstdc++'s
//! `std::regex::extended`): the syntax is translated to Rust regex syntax
//! over bytes, and searches use POSIX "longest match" semantics.
//!
//! * Matching is on bytes (`.` matches one byte of a multi-byte character,
//!   any byte, newline included); character classes are ASCII.
//! * Escaping a character that is not special (`\d`, `\n`, `\}`, `\1`) is
//!   an error, as are `{` without an interval and back references.
//! * `split` finds, at the leftmost position where something matches, the
//!   longest match; captures are those of the first path (in Perl
//!   priority order) that matches exactly that span, which is what the
//!   libstdc++ backtracking executor reports. Empty matches follow
//!   `std::regex_iterator`'s rules.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::{Anchored, Input, MatchKind};
use std::cell::{OnceCell, RefCell};

/// A compiled ERE; the engines are built on first use.
pub struct CompiledRegex {
    /// The translated pattern (Rust syntax, bytes, no flags).
    pattern: String,
    /// Capturing groups in the ERE. The Rust regex may report fewer: it
    /// drops a group repeated `{0}` times, which libstdc++ still reports
    /// (as not participating).
    groups: usize,
    /// `\A(?:re)\z`, for `match`.
    full: OnceCell<regex::bytes::Regex>,
    /// `re`, leftmost-first, to find where the leftmost match starts.
    search: OnceCell<regex::bytes::Regex>,
    /// `(?:re)\z`: captures of a match that must end at a given place.
    ending: OnceCell<regex::bytes::Regex>,
    /// All matches (classic DFA): the longest end of an anchored match.
    longest: OnceCell<(DFA, RefCell<Cache>)>,
}

/// A match: the whole span and each group's span.
pub struct Captures {
    pub groups: Vec<Option<(usize, usize)>>,
}

impl Captures {
    pub fn whole(&self) -> (usize, usize) {
        self.groups[0].expect("group 0 always matches")
    }
}

fn build(pattern: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .dot_matches_new_line(true)
        .size_limit(64 << 20)
        .build()
        .expect("translated regex is valid")
}

fn captures_of(caps: &regex::bytes::Captures, groups: usize) -> Captures {
    Captures { groups: (0..=groups).map(|i| caps.get(i).map(|m| (m.start(), m.end()))).collect() }
}

impl CompiledRegex {
    /// Translate and validate; `None` if libstdc++ would reject the regex.
    pub fn new(re: &[u8]) -> Option<CompiledRegex> {
        let (pattern, groups) = translate(re)?;
        // Validate with the real parser as well (repetition limits etc.).
        let ok = regex::bytes::RegexBuilder::new(&pattern)
            .unicode(false)
            .dot_matches_new_line(true)
            .size_limit(64 << 20)
            .build()
            .ok()?;
        let c = CompiledRegex {
            full: OnceCell::new(),
            search: OnceCell::new(),
            ending: OnceCell::new(),
            longest: OnceCell::new(),
            pattern,
            groups,
        };
        let _ = c.search.set(ok);
        Some(c)
    }

    /// `builtins.match`: the whole subject must match.
    pub fn match_full(&self, hay: &[u8]) -> Option<Captures> {
        let full = self.full.get_or_init(|| build(&format!(r"\A(?:{})\z", self.pattern)));
        // Without groups the answer is only yes or no, and `is_match` skips
        // the capture machinery: `lib.escapeShellArg` and other validity
        // checks match a group-less pattern on every call.
        if self.groups == 0 {
            return full.is_match(hay).then(|| Captures { groups: vec![Some((0, hay.len()))] });
        }
        full.captures(hay).map(|c| captures_of(&c, self.groups))
    }

    fn search(&self) -> &regex::bytes::Regex {
        self.search.get_or_init(|| build(&self.pattern))
    }

    /// The end of the longest match starting exactly at `start`.
    fn longest_end(&self, hay: &[u8], start: usize) -> Option<usize> {
        let (dfa, cache) = self.longest.get_or_init(|| {
            let dfa = DFA::builder()
                .configure(DFA::config().match_kind(MatchKind::All))
                .syntax(
                    regex_automata::util::syntax::Config::new().unicode(false).utf8(false).dot_matches_new_line(true),
                )
                .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
                .build(&self.pattern)
                .expect("translated regex is valid");
            let cache = RefCell::new(dfa.create_cache());
            (dfa, cache)
        });
        let input = Input::new(hay).range(start..).anchored(Anchored::Yes);
        let mut cache = cache.borrow_mut();
        match dfa.try_search_fwd(&mut cache, &input) {
            Ok(m) => m.map(|hm| hm.offset()),
            // The lazy DFA gave up (it never should here): fall back to
            // the leftmost-first match.
            Err(_) => self.search().find_at(hay, start).filter(|m| m.start() == start).map(|m| m.end()),
        }
    }

    /// Captures of the highest-priority match of exactly `start..end`.
    fn captures_exact(&self, hay: &[u8], start: usize, end: usize) -> Captures {
        let ending = self.ending.get_or_init(|| build(&format!(r"(?:{})\z", self.pattern)));
        match ending.captures_at(&hay[..end], start) {
            Some(c) if c.get(0).map(|m| m.start()) == Some(start) => captures_of(&c, self.groups),
            _ => {
                let mut groups = vec![None; self.groups + 1];
                groups[0] = Some((start, end));
                Captures { groups }
            }
        }
    }

    /// The longest match at the leftmost position at or after `from`.
    fn search_at(&self, hay: &[u8], from: usize) -> Option<Captures> {
        let m = self.search().find_at(hay, from)?;
        let start = m.start();
        let end = self.longest_end(hay, start).unwrap_or(m.end()).max(m.end());
        Some(self.captures_exact(hay, start, end))
    }

    /// All matches, as `std::regex_iterator` enumerates them.
    pub fn find_all(&self, hay: &[u8]) -> Vec<Captures> {
        let mut out = Vec::new();
        let mut next = self.search_at(hay, 0);
        while let Some(caps) = next {
            let (s, e) = caps.whole();
            out.push(caps);
            next = if s == e {
                if e == hay.len() {
                    None
                } else {
                    match self.longest_end(hay, e) {
                        Some(end) if end > e => Some(self.captures_exact(hay, e, end)),
                        _ => self.search_at(hay, e + 1),
                    }
                }
            } else {
                self.search_at(hay, e)
            };
        }
        out
    }
}

/// The minimum of an unbounded repetition: `*` 0, `+` 1, `{m,}` m.
fn unbounded_min(q: &str) -> Option<u32> {
    match q {
        "*" => Some(0),
        "+" => Some(1),
        _ => q.strip_prefix('{')?.strip_suffix(",}")?.parse().ok(),
    }
}

/// Whether a translated pattern matches the empty string.
fn nullable(pattern: &str) -> bool {
    regex::bytes::RegexBuilder::new(&format!(r"\A(?:{})\z", pattern))
        .unicode(false)
        .build()
        .is_ok_and(|r| r.is_match(b""))
}

/// Characters that `\` may escape in an ERE (libstdc++'s extended set).
const SPECIAL: &[u8] = b".[\\()*+?{|^$";

fn lit(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() {
        out.push(b as char);
    } else {
        out.push_str(&format!("\\x{:02X}", b));
    }
}

struct Translator<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    /// Capturing groups opened so far.
    groups: usize,
}

/// ERE → Rust regex syntax (bytes), with the ERE's number of capturing
/// groups; `None` for an invalid ERE.
pub fn translate(re: &[u8]) -> Option<(String, usize)> {
    let mut t = Translator { s: re, i: 0, depth: 0, groups: 0 };
    let out = t.alternation()?;
    if t.i != t.s.len() {
        return None;
    }
    Some((out, t.groups))
}

impl<'a> Translator<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn alternation(&mut self) -> Option<String> {
        let mut out = self.concat()?;
        while self.peek() == Some(b'|') {
            self.i += 1;
            out.push('|');
            out.push_str(&self.concat()?);
        }
        Some(out)
    }

    fn concat(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some(b'|') => break,
                Some(b')') => {
                    if self.depth > 0 {
                        break;
                    }
                    return None;
                }
                Some(b'^') | Some(b'$') => {
                    // An assertion cannot be repeated.
                    out.push(if self.peek() == Some(b'^') { '^' } else { '$' });
                    self.i += 1;
                    if matches!(self.peek(), Some(b'*' | b'+' | b'?' | b'{')) {
                        return None;
                    }
                }
                Some(b'*' | b'+' | b'?' | b'{') => return None,
                Some(_) => {
                    let groups_before = self.groups;
                    let is_group = self.peek() == Some(b'(');
                    let mut atom = self.atom()?;
                    // A group without nested groups, e.g. `(a*)`.
                    let simple_group = is_group && self.groups == groups_before + 1;
                    let mut first = true;
                    while let Some(q) = self.quantifier()? {
                        if !first {
                            atom = format!("(?:{})", atom);
                        } else if let Some(min) =
                            unbounded_min(&q).filter(|_| simple_group && nullable(&atom[1..atom.len() - 1]))
                        {
                            // libstdc++ runs the loop body once more where
                            // it can match empty, so `(a*)*` on "aa"
                            // captures "", and `(ab)*` the last iteration:
                            // `(?:(?:X)*(X))?` reports the same captures
                            // (`(?:X){m-1,}(X)` for `X{m,}`, m > 0).
                            let inner = &atom[1..atom.len() - 1];
                            atom = match min {
                                0 => format!("(?:(?:{})*({}))?", inner, inner),
                                1 => format!("(?:{})*({})", inner, inner),
                                m => format!("(?:{}){{{},}}({})", inner, m - 1, inner),
                            };
                            first = false;
                            continue;
                        }
                        atom.push_str(&q);
                        first = false;
                    }
                    out.push_str(&atom);
                }
            }
        }
        Some(out)
    }

    /// `Some(None)` when no quantifier follows; `None` on a bad interval.
    fn quantifier(&mut self) -> Option<Option<String>> {
        match self.peek() {
            Some(b'*') => {
                self.i += 1;
                Some(Some("*".into()))
            }
            Some(b'+') => {
                self.i += 1;
                Some(Some("+".into()))
            }
            Some(b'?') => {
                self.i += 1;
                Some(Some("?".into()))
            }
            Some(b'{') => {
                self.i += 1;
                let min = self.number()?;
                let q = match self.peek() {
                    Some(b'}') => format!("{{{}}}", min),
                    Some(b',') => {
                        self.i += 1;
                        if self.peek() == Some(b'}') {
                            format!("{{{},}}", min)
                        } else {
                            let max = self.number()?;
                            if max < min || self.peek() != Some(b'}') {
                                return None;
                            }
                            format!("{{{},{}}}", min, max)
                        }
                    }
                    _ => return None,
                };
                self.i += 1;
                Some(Some(q))
            }
            _ => Some(None),
        }
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        if start == self.i {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok()
    }

    fn atom(&mut self) -> Option<String> {
        let c = self.peek()?;
        self.i += 1;
        let mut out = String::new();
        match c {
            b'(' => {
                self.groups += 1;
                self.depth += 1;
                let inner = self.alternation()?;
                if self.peek() != Some(b')') {
                    return None;
                }
                self.i += 1;
                self.depth -= 1;
                out.push('(');
                out.push_str(&inner);
                out.push(')');
            }
            b'.' => out.push('.'),
            b'[' => out = self.bracket()?,
            b'\\' => {
                let n = self.peek()?;
                if !SPECIAL.contains(&n) {
                    return None;
                }
                self.i += 1;
                lit(&mut out, n);
            }
            _ => lit(&mut out, c),
        }
        Some(out)
    }

    /// A `[:name:]`, `[.c.]` or `[=c=]` after the opening `[`; `kind` is
    /// the delimiter. Returns the name.
    fn bracket_special(&mut self, kind: u8) -> Option<&'a [u8]> {
        let start = self.i;
        while self.i + 1 < self.s.len() {
            if self.s[self.i] == kind && self.s[self.i + 1] == b']' {
                let name = &self.s[start..self.i];
                self.i += 2;
                return Some(name);
            }
            self.i += 1;
        }
        None
    }

    fn bracket(&mut self) -> Option<String> {
        enum Item {
            Char(u8),
            Class(&'static str),
        }
        let mut out = String::from("[");
        if self.peek() == Some(b'^') {
            self.i += 1;
            out.push('^');
        }
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.i += 1;
            if c == b']' && !first {
                break;
            }
            first = false;
            let item = if c == b'[' && matches!(self.peek(), Some(b':' | b'.' | b'=')) {
                let kind = self.peek()?;
                self.i += 1;
                let name = self.bracket_special(kind)?;
                match kind {
                    b':' => Item::Class(match name {
                        b"alnum" => "[:alnum:]",
                        b"alpha" => "[:alpha:]",
                        b"blank" => "[:blank:]",
                        b"cntrl" => "[:cntrl:]",
                        b"digit" | b"d" => "[:digit:]",
                        b"graph" => "[:graph:]",
                        b"lower" => "[:lower:]",
                        b"print" => "[:print:]",
                        b"punct" => "[:punct:]",
                        b"space" | b"s" => "[:space:]",
                        b"upper" => "[:upper:]",
                        b"xdigit" => "[:xdigit:]",
                        b"w" => "[:alnum:]_",
                        _ => return None,
                    }),
                    _ => match name {
                        [b'-'] => return None,
                        [ch] => Item::Char(*ch),
                        b"space" => Item::Char(b' '),
                        _ => return None,
                    },
                }
            } else {
                Item::Char(c)
            };
            // A range?
            if self.peek() == Some(b'-') && self.s.get(self.i + 1).is_some_and(|&n| n != b']') {
                let Item::Char(lo) = item else { return None };
                self.i += 1;
                let hi_c = self.peek()?;
                self.i += 1;
                let hi = if hi_c == b'[' && matches!(self.peek(), Some(b'.' | b'=')) {
                    let kind = self.peek()?;
                    self.i += 1;
                    match self.bracket_special(kind)? {
                        [ch] if *ch != b'-' => *ch,
                        _ => return None,
                    }
                } else if hi_c == b'[' && self.peek() == Some(b':') {
                    return None;
                } else {
                    hi_c
                };
                if hi < lo {
                    return None;
                }
                // `[a-c-e]`: a dash right after a range is an error.
                if self.peek() == Some(b'-') && self.s.get(self.i + 1).is_some_and(|&n| n != b']') {
                    return None;
                }
                lit(&mut out, lo);
                out.push('-');
                lit(&mut out, hi);
            } else {
                match item {
                    Item::Char(ch) => lit(&mut out, ch),
                    Item::Class(cls) => out.push_str(cls),
                }
            }
        }
        out.push(']');
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(re: &str, s: &str) -> Vec<(usize, usize)> {
        CompiledRegex::new(re.as_bytes()).unwrap().find_all(s.as_bytes()).iter().map(|c| c.whole()).collect()
    }

    #[test]
    fn longest_and_empty_matches() {
        assert_eq!(split("(a|ab)", "xabx"), vec![(1, 3)]);
        assert_eq!(split("a*", "baaac"), vec![(0, 0), (1, 4), (4, 4), (5, 5)]);
    }

    #[test]
    fn repeated_groups_capture_like_libstdcxx() {
        let caps = |re: &str, s: &str| {
            let c = CompiledRegex::new(re.as_bytes()).unwrap().match_full(s.as_bytes()).unwrap();
            c.groups[1].map(|(a, b)| s[a..b].to_string())
        };
        assert_eq!(caps("(a*)*", "aa"), Some(String::new()));
        assert_eq!(caps("(a*)+b", "aab"), Some(String::new()));
        assert_eq!(caps("(ab)*", "abab"), Some("ab".to_string()));
        assert_eq!(caps("(ab)*", ""), None);
    }

    #[test]
    fn invalid_patterns() {
        for bad in ["a{", "\\d", "(", "[a", "*a", "[z-a]", "^*", "(a)\\1", "[[:word:]]"] {
            assert!(translate(bad.as_bytes()).is_none(), "{}", bad);
        }
        for good in ["a}", "[]a]", "[a-]", "a**", "a|", "", "()", "[[:w:]]+"] {
            assert!(CompiledRegex::new(good.as_bytes()).is_some(), "{}", good);
        }
    }
}
