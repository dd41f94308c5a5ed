//! Hex text and SHA-256 digests: the one helper for receipts, notice hashes, the audit chain,
//! profile versions, tokens and cursors.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes of hex text (either case), or `None` if it is not hex of whole bytes.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Exactly 32 bytes from 64 hex digits (a key), surrounding whitespace ignored.
pub fn unhex32(text: &str) -> Option<[u8; 32]> {
    unhex(text.trim())?.try_into().ok()
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_sha256_matches_the_standard_vector() {
        for bytes in [&b""[..], b"\x00\xff\x10", "新疆".as_bytes()] {
            assert_eq!(unhex(&hex(bytes)).as_deref(), Some(bytes));
        }
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("ABcd"), Some(vec![0xab, 0xcd]));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(unhex32(&"7".repeat(64)).is_some());
        assert!(unhex32(&"7".repeat(62)).is_none());
    }
}
