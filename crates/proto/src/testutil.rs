//! Helpers shared by the unit tests' properties.

use proptest::prelude::*;
use proptest::sample::Index;

/// One byte edit: kind 0 replaces, 1 inserts, 2 deletes, at an index into the bytes, with a byte of the alphabet.
pub(crate) type Edit = (u8, Index, u8);

/// Zero to three edits with bytes from `alphabet`.
pub(crate) fn edits(alphabet: &'static [u8]) -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec((0..3u8, any::<Index>(), proptest::sample::select(alphabet)), 0..=3)
}

/// `bytes` with `edits` applied in order (a replace or delete on no bytes does nothing).
pub(crate) fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for &(kind, at, byte) in edits {
        match kind {
            1 => bytes.insert(at.index(bytes.len() + 1), byte),
            _ if bytes.is_empty() => {}
            0 => {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            _ => {
                bytes.remove(at.index(bytes.len()));
            }
        }
    }
    bytes
}
