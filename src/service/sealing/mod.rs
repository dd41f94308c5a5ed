//! Sealing bids to a lot key that only k of n key holders can rebuild (docs/security.md).
//!
//! At publication each lot gets an X25519 key pair for HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305). The private key is derived
//! from 32 random bytes (the seed, RFC 9180 `DeriveKeyPair`), and the seed is split with
//! Shamir's scheme over GF(256) into n shares, any k of which rebuild it. The server keeps
//! the public key and, per share, a commitment (SHA-256 of the lot, the share's number and
//! its bytes), never the seed, the private key or a share. A share is text a holder can keep
//! like a recovery code: `smeproc-share-1.<lot>.<hex>`.
//!
//! Everything here is pure computation on bytes (randomness aside); where the bytes are
//! stored is the callers' business.

use crate::domain::digest::{hex, unhex};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type Kem = X25519HkdfSha256;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;
type PublicKey = <Kem as hpke::Kem>::PublicKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

/// Bytes of an encapsulated key (X25519).
const ENC_LEN: usize = 32;
/// The prefix of a share's text, with its format version.
const SHARE_PREFIX: &str = "smeproc-share-1";
/// Domain separation of the share commitments and the HPKE `info`.
const COMMITMENT_TAG: &[u8] = b"smeproc share commitment v1";
const INFO_TAG: &str = "smeproc lot seal v1";

/// Why sealing, a share or an opening was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("k must be from 1 to n, and n from 1 to 255 (k = {k}, n = {n})")]
    Threshold { k: usize, n: usize },
    #[error("not a share: expected {SHARE_PREFIX}.<lot>.<hex>")]
    ShareFormat,
    #[error("this share belongs to another lot")]
    OtherLot,
    #[error("the share does not match any commitment of this lot: forged, altered or mistyped")]
    NoCommitment,
    #[error("share {0} was given twice")]
    Reused(u8),
    #[error("{have} valid share(s); the lot needs {need}")]
    TooFew { have: usize, need: usize },
    #[error("the shares rebuild a key that is not this lot's")]
    WrongKey,
    #[error("the public key is not an X25519 key")]
    PublicKey,
    #[error(
        "the envelope cannot be opened with this lot's key (altered, or sealed to another lot)"
    )]
    Open,
    #[error("sealing failed")]
    Seal,
}

/// A lot key just made: its public key, and the shares to hand out once, each with the
/// commitment the server keeps.
pub struct NewLotKey {
    /// The X25519 public key (32 bytes), as lowercase hex.
    pub public_key: String,
    pub shares: Vec<IssuedShare>,
}

/// One share as handed to its holder (shown once), and what the server keeps of it.
pub struct IssuedShare {
    /// 1..=n: the share's x coordinate.
    pub number: u8,
    /// The share's text, for the holder only; never stored, never logged.
    pub text: Zeroizing<String>,
    /// SHA-256 over the tag, the lot, the number and the share bytes (hex).
    pub commitment: String,
}

/// Makes the key of `lot` with `n` shares, any `k` of which rebuild it.
pub fn new_lot_key(lot: &str, k: usize, n: usize) -> Result<NewLotKey, SealError> {
    if k == 0 || k > n || n > 255 {
        return Err(SealError::Threshold { k, n });
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|_| SealError::Seal)?;
    let (_, public) = Kem::derive_keypair(seed.as_ref());
    let public_key = hex(&public.to_bytes());
    let shares = blahaj::Sharks(k as u8)
        .dealer(seed.as_ref())
        .take(n)
        .map(|share| {
            let bytes = Zeroizing::new(Vec::<u8>::from(&share));
            let number = bytes[0];
            IssuedShare {
                number,
                text: Zeroizing::new(format!("{SHARE_PREFIX}.{lot}.{}", hex(&bytes))),
                commitment: commitment(lot, &bytes),
            }
        })
        .collect();
    Ok(NewLotKey { public_key, shares })
}

fn commitment(lot: &str, share: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(COMMITMENT_TAG);
    h.update((lot.len() as u64).to_be_bytes());
    h.update(lot.as_bytes());
    h.update(share);
    hex(&h.finalize())
}

/// A share given back at the opening, read and checked against the lot's commitments: its
/// number, and the bytes (wiped on drop).
pub struct CheckedShare {
    pub number: u8,
    pub commitment: String,
    bytes: Zeroizing<Vec<u8>>,
}

/// Reads a share's text and checks it belongs to `lot` and matches one of `commitments`.
pub fn check_share(lot: &str, text: &str, commitments: &[&str]) -> Result<CheckedShare, SealError> {
    let text = text.trim();
    let rest = text
        .strip_prefix(SHARE_PREFIX)
        .and_then(|r| r.strip_prefix('.'))
        .ok_or(SealError::ShareFormat)?;
    let (share_lot, hex_part) = rest.rsplit_once('.').ok_or(SealError::ShareFormat)?;
    if share_lot != lot {
        return Err(SealError::OtherLot);
    }
    let bytes = Zeroizing::new(unhex(hex_part).ok_or(SealError::ShareFormat)?);
    if bytes.len() != 33 || bytes[0] == 0 {
        return Err(SealError::ShareFormat);
    }
    let c = commitment(lot, &bytes);
    if !commitments.iter().any(|k| *k == c) {
        return Err(SealError::NoCommitment);
    }
    Ok(CheckedShare {
        number: bytes[0],
        commitment: c,
        bytes,
    })
}

/// The private key of a lot, rebuilt in memory for the opening; wiped on drop.
pub struct OpeningKey {
    private: PrivateKey,
    lot: String,
}

/// Rebuilds the lot key from `k` or more checked shares and checks it against the lot's
/// public key.
pub fn rebuild(
    lot: &str,
    public_key: &str,
    k: usize,
    shares: &[CheckedShare],
) -> Result<OpeningKey, SealError> {
    let mut seen = std::collections::BTreeSet::new();
    for s in shares {
        if !seen.insert(s.number) {
            return Err(SealError::Reused(s.number));
        }
    }
    if shares.len() < k {
        return Err(SealError::TooFew {
            have: shares.len(),
            need: k,
        });
    }
    let parsed: Vec<blahaj::Share> = shares
        .iter()
        .map(|s| blahaj::Share::try_from(s.bytes.as_slice()).map_err(|_| SealError::ShareFormat))
        .collect::<Result<_, _>>()?;
    let seed = Zeroizing::new(
        blahaj::Sharks(k as u8)
            .recover(parsed.iter())
            .map_err(|_| SealError::TooFew {
                have: shares.len(),
                need: k,
            })?,
    );
    let (private, public) = Kem::derive_keypair(&seed);
    if hex(&public.to_bytes()) != public_key {
        return Err(SealError::WrongKey);
    }
    Ok(OpeningKey {
        private,
        lot: lot.to_string(),
    })
}

/// A key pair derived from a 32-byte seed (RFC 9180 `DeriveKeyPair`) for envelopes labelled
/// `label`: the opening half and the public key (hex). For keys kept by the server.
pub fn key_from_seed(label: &str, seed: &[u8; 32]) -> (OpeningKey, String) {
    let (private, public) = Kem::derive_keypair(seed);
    (
        OpeningKey {
            private,
            lot: label.to_string(),
        },
        hex(&public.to_bytes()),
    )
}

fn info(lot: &str) -> String {
    format!("{INFO_TAG} {lot}")
}

/// Seals `plaintext` to the lot's public key: the envelope is the encapsulated key (32 bytes)
/// followed by the ciphertext. `aad` binds what the envelope is (e.g. `bid <id>`): opening it
/// as something else fails.
pub fn seal(
    lot: &str,
    public_key: &str,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    sealer(lot, public_key)?.seal(aad, plaintext)
}

/// An envelope half made: the key encapsulated to the lot's public key (the costly X25519
/// part, done before a transaction takes the write lock), waiting for the one plaintext it
/// seals. The same envelope as [`seal`]: HPKE's single-shot seal is this setup and the
/// context's first message.
pub struct Sealer {
    enc: Vec<u8>,
    ctx: hpke::aead::AeadCtxS<ChaCha20Poly1305, HkdfSha256, Kem>,
}

/// Encapsulates a key to the lot's public key for one envelope.
pub fn sealer(lot: &str, public_key: &str) -> Result<Sealer, SealError> {
    let pk_bytes = unhex(public_key).ok_or(SealError::PublicKey)?;
    let pk = PublicKey::from_bytes(&pk_bytes).map_err(|_| SealError::PublicKey)?;
    let (enc, ctx) = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &pk,
        info(lot).as_bytes(),
    )
    .map_err(|_| SealError::Seal)?;
    Ok(Sealer {
        enc: enc.to_bytes().to_vec(),
        ctx,
    })
}

impl Sealer {
    /// The encapsulated key (32 bytes), for a stream of messages kept apart from it.
    pub fn encapsulated(&self) -> &[u8] {
        &self.enc
    }

    /// Seals the next message of a stream (RFC 9180 §5.2: the context numbers its messages, so
    /// they open only in order); the ciphertext alone. For documents sealed chunk by chunk, with
    /// the chunk's index and whether it is the last in `aad`.
    pub fn seal_next(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        self.ctx.seal(plaintext, aad).map_err(|_| SealError::Seal)
    }

    /// Seals the plaintext: the envelope (encapsulated key ‖ ciphertext). Used once.
    pub fn seal(mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let ciphertext = self.ctx.seal(plaintext, aad).map_err(|_| SealError::Seal)?;
        let mut envelope = Vec::with_capacity(ENC_LEN + ciphertext.len());
        envelope.extend_from_slice(&self.enc);
        envelope.extend_from_slice(&ciphertext);
        Ok(envelope)
    }
}

/// The receiving end of a stream sealed with [`Sealer::seal_next`].
pub struct StreamOpener {
    ctx: hpke::aead::AeadCtxR<ChaCha20Poly1305, HkdfSha256, Kem>,
}

impl StreamOpener {
    /// Opens the next message (in the order sealed) with its `aad`.
    pub fn open_next(
        &mut self,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        self.ctx
            .open(ciphertext, aad)
            .map(Zeroizing::new)
            .map_err(|_| SealError::Open)
    }
}

impl OpeningKey {
    /// Starts opening a stream sealed to this lot, from its encapsulated key.
    pub fn stream(&self, encapsulated: &[u8]) -> Result<StreamOpener, SealError> {
        let enc = EncappedKey::from_bytes(encapsulated).map_err(|_| SealError::Open)?;
        let ctx = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.private,
            &enc,
            info(&self.lot).as_bytes(),
        )
        .map_err(|_| SealError::Open)?;
        Ok(StreamOpener { ctx })
    }

    /// Opens an envelope sealed to this lot with the same `aad`.
    pub fn open(&self, aad: &[u8], envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if envelope.len() < ENC_LEN {
            return Err(SealError::Open);
        }
        let (enc, ciphertext) = envelope.split_at(ENC_LEN);
        let enc = EncappedKey::from_bytes(enc).map_err(|_| SealError::Open)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.private,
            &enc,
            info(&self.lot).as_bytes(),
            ciphertext,
            aad,
        )
        .map(Zeroizing::new)
        .map_err(|_| SealError::Open)
    }
}

pub mod ahead;

#[cfg(test)]
mod tests;
