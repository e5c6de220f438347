//! The verb lookup: a known verb found from a line's first bytes with one multiply, one table slot and one
//! compare, and the general verb split and check for everything else.

use super::verbs::{Verb, KNOWN_VERBS};
use super::{CommandError, CommandLine};

/// A verb of up to four bytes as one number: its bytes little-endian (`"PWD"` is `0x0044_5750`), each with bit 5
/// (0x20) cleared, which upper-cases an ASCII letter.
///
/// Known verbs are upper-case letters, whose keys are their own bytes. A byte folds onto an upper-case letter
/// exactly when it is that letter in either case (digits fold to 0x10-0x19, bytes over 0x7F keep their top bit),
/// so a verb of non-zero, non-SP bytes has the key of a known verb exactly when it is that verb in any letter
/// case. Callers exclude NUL and SP (either would fold to the zero padding of a shorter verb).
pub(super) const fn verb_key(verb: &[u8]) -> u32 {
    let mut key = 0u32;
    let mut i = 0;
    while i < verb.len() && i < 4 {
        key |= ((verb[i] & !0x20) as u32) << (8 * i);
        i += 1;
    }
    key
}

/// The verb table: a collision-free multiplicative hash of every known verb's [`verb_key`] into 256 slots.
pub(super) struct VerbTable {
    /// The multiplier: a key's slot is the top byte of `key * mul`.
    pub(super) mul: u32,
    /// Each slot: the key stored there (0 when empty; no verb has key 0) and its verb.
    pub(super) slots: [(u32, Option<Verb>); 256],
}

impl VerbTable {
    /// The slot of `key`.
    #[inline(always)]
    pub(super) const fn slot(&self, key: u32) -> usize {
        (key.wrapping_mul(self.mul) >> 24) as usize
    }

    /// Find, at compile time, the first odd multiplier (from the golden-ratio one on) that gives every known verb
    /// its own slot. Two verbs with the same key would never fit: the search would not end, and rustc's
    /// `long_running_const_eval` lint would fail the build, as the unreachable `match` pattern it replaces did.
    const fn build() -> VerbTable {
        let mut table = VerbTable { mul: 0x9E37_79B1, slots: [(0, None); 256] };
        'search: loop {
            table.slots = [(0, None); 256];
            let mut i = 0;
            while i < KNOWN_VERBS.len() {
                let key = verb_key(KNOWN_VERBS[i].as_bytes());
                let slot = table.slot(key);
                if table.slots[slot].1.is_some() {
                    table.mul = table.mul.wrapping_add(2);
                    continue 'search;
                }
                table.slots[slot] = (key, Some(Verb::ALL[i]));
                i += 1;
            }
            return table;
        }
    }
}

/// The table of known verbs, built at compile time.
pub(super) const VERB_TABLE: VerbTable = VerbTable::build();

/// The canonical spelling of a verb ftpkit knows (case-insensitive).
pub(super) fn known_verb(verb: &str) -> Option<&'static str> {
    Verb::classify(verb).map(Verb::name)
}

pub(super) fn check_verb(verb: &str) -> Result<(), CommandError> {
    match verb.bytes().position(|b| !b.is_ascii_alphanumeric()) {
        _ if verb.is_empty() => Err(CommandError::BadVerb { position: 1, byte: b' ' }),
        Some(i) => Err(CommandError::BadVerb { position: i + 1, byte: verb.as_bytes()[i] }),
        None => Ok(()),
    }
}

/// Split `line` (not empty) at its first SP, check the verb ([`CommandError::BadVerb`]) and classify it.
///
/// A verb of up to four bytes, which every known verb is, is checked, keyed and classified in one pass over those
/// bytes, with no search through the rest of the line; a longer verb is split and checked the general way.
pub(super) fn split_verb(line: &str) -> Result<(Option<Verb>, CommandLine<'_>), CommandError> {
    let bytes = line.as_bytes();
    let mut key = 0u32;
    for i in 0..=bytes.len().min(4) {
        match bytes.get(i) {
            None | Some(b' ') if i == 0 => return Err(CommandError::BadVerb { position: 1, byte: b' ' }),
            None | Some(b' ') => {
                let verb = line.get(..i).unwrap_or_default();
                let arg = line.get(i + 1..);
                return Ok((Verb::from_key(key), CommandLine { verb, arg }));
            }
            Some(&byte) if !byte.is_ascii_alphanumeric() => {
                return Err(CommandError::BadVerb { position: i + 1, byte });
            }
            Some(&byte) if i < 4 => key |= u32::from(byte & !0x20) << (8 * i),
            Some(_) => {} // a fifth verb byte: the verb is too long to be known, and is split below
        }
    }
    let split = CommandLine::split(line);
    check_verb(split.verb)?;
    Ok((None, split))
}
