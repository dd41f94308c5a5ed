//! The server's secret: 32 random bytes in a file outside the database (`SMEPROC_SECRET_KEY_FILE`),
//! made on first start with mode 0600. Keys for separate purposes are derived from it with HKDF
//! (RFC 5869), so that one is never used for two things:
//!
//! - the CSRF key: an HMAC-SHA256 of the page session (or, before login, of the visitor's
//!   random cookie) is each form's token, so a token chosen by someone else never passes;
//! - the audit checkpoint key (Ed25519): signs the head of the audit chain, so copies of the
//!   checkpoints kept outside the database prove a rewritten chain;
//! - the bidder-tag key (HMAC-SHA256): a sealed bid names its bidder by a tag of the
//!   enterprise id, so the database alone does not say who bid;
//! - the escrow key (X25519, HPKE): key shares wait sealed to it until their holders collect
//!   them, and shares handed back at the opening until the k-th arrives.
//!
//! Several instances behind one database must share the file. Whoever holds it can forge both;
//! keep it out of database backups. The key never reaches a log (`Debug` shows only its id).

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;
use zeroize::Zeroizing;

pub struct ServerKeys {
    csrf: Zeroizing<[u8; 32]>,
    signing: SigningKey,
    bidder: Zeroizing<[u8; 32]>,
    escrow: crate::service::sealing::OpeningKey,
    escrow_public: String,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys")
            .field("checkpoint_key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

fn derive(master: &[u8; 32], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // HKDF-Expand with a 32-byte output cannot fail (the limit is 255 × 32 bytes).
    let hk = hkdf::Hkdf::<Sha256>::new(None, master);
    if hk.expand(info, out.as_mut()).is_err() {
        unreachable!("32 bytes are within HKDF's output limit");
    }
    out
}

use crate::domain::digest::{hex, unhex32};

/// The label the escrow key seals under (an HPKE `info`, like a lot's id).
const ESCROW_LABEL: &str = "server-escrow";

impl ServerKeys {
    pub fn from_master(master: &[u8; 32]) -> Self {
        let csrf = derive(master, b"smeproc csrf hmac-sha256 v1");
        let seed = derive(master, b"smeproc audit checkpoint ed25519 v1");
        let bidder = derive(master, b"smeproc bidder tag hmac-sha256 v1");
        let escrow_seed = derive(master, b"smeproc share escrow x25519 v1");
        let (escrow, escrow_public) =
            crate::service::sealing::key_from_seed(ESCROW_LABEL, &escrow_seed);
        ServerKeys {
            csrf,
            signing: SigningKey::from_bytes(&seed),
            bidder,
            escrow,
            escrow_public,
        }
    }

    /// Reads the key file, or makes it (32 random bytes, hex, mode 0600) when it does not
    /// exist. Two processes starting at once agree: only one can create it.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        use std::io::Write;
        let read = |path: &Path| -> anyhow::Result<Self> {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read the secret key file {}: {e}", path.display())
            })?);
            let master = Zeroizing::new(unhex32(&text).ok_or_else(|| {
                anyhow::anyhow!(
                    "the secret key file {} must hold 64 hex digits (32 bytes)",
                    path.display()
                )
            })?);
            Ok(ServerKeys::from_master(&master))
        };
        if path.exists() {
            return read(path);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
        let mut master = Zeroizing::new([0u8; 32]);
        getrandom::fill(master.as_mut())
            .map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                let text = Zeroizing::new(format!("{}\n", hex(master.as_ref())));
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                tracing::info!(file = %path.display(), "made a new secret key file");
                Ok(ServerKeys::from_master(&master))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
            Err(e) => Err(anyhow::anyhow!("cannot create {}: {e}", path.display())),
        }
    }

    /// The CSRF token for a binding (`session:<id>` or `visitor:<cookie>`): HMAC-SHA256, hex.
    pub fn csrf_token(&self, binding: &str) -> String {
        hex(&self.csrf_mac(binding).finalize().into_bytes())
    }

    /// Whether `submitted` is the token for `binding` (compared in constant time).
    pub fn csrf_valid(&self, binding: &str, submitted: &str) -> bool {
        match unhex32(submitted) {
            Some(tag) if submitted.len() == 64 => self.csrf_mac(binding).verify_slice(&tag).is_ok(),
            _ => false,
        }
    }

    fn csrf_mac(&self, binding: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.csrf.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(b"csrf|");
        mac.update(binding.as_bytes());
        mac
    }

    /// The keyed tag of a bidding enterprise (HMAC-SHA256 of its id, hex).
    pub fn bidder_tag(&self, enterprise_id: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.bidder.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(b"bidder|");
        mac.update(enterprise_id.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Seals `secret` to the escrow key, bound to `aad`.
    pub fn escrow_seal(&self, aad: &[u8], secret: &[u8]) -> anyhow::Result<Vec<u8>> {
        crate::service::sealing::seal(ESCROW_LABEL, &self.escrow_public, aad, secret)
            .map_err(|e| anyhow::anyhow!("escrow: {e}"))
    }

    /// Opens what [`Self::escrow_seal`] sealed with the same `aad`.
    pub fn escrow_open(&self, aad: &[u8], sealed: &[u8]) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        self.escrow
            .open(aad, sealed)
            .map_err(|e| anyhow::anyhow!("escrow: {e}"))
    }

    /// Signs `message` with the checkpoint key: 64 bytes, hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex(&self.signing.sign(message).to_bytes())
    }

    /// The checkpoint key's public half, hex (32 bytes).
    pub fn public_key_hex(&self) -> String {
        hex(self.signing.verifying_key().as_bytes())
    }

    /// A short name of the checkpoint key: the first 16 hex digits of SHA-256(public key).
    pub fn key_id(&self) -> String {
        key_id(&self.public_key_hex())
    }
}

/// The id of a public key given in hex.
pub fn key_id(public_key_hex: &str) -> String {
    use sha2::Digest;
    let bytes = unhex32(public_key_hex).unwrap_or_default();
    hex(&Sha256::digest(bytes))[..16].to_string()
}

/// Checks an Ed25519 signature (hex) of `message` under a public key (hex).
pub fn verify_signature(public_key_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let Some(key) = unhex32(public_key_hex).and_then(|k| VerifyingKey::from_bytes(&k).ok()) else {
        return false;
    };
    let sig = signature_hex.trim();
    if sig.len() != 128 {
        return false;
    }
    let mut bytes = [0u8; 64];
    for (i, chunk) in sig.as_bytes().chunks(2).enumerate() {
        match std::str::from_utf8(chunk)
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(b) => bytes[i] = b,
            None => return false,
        }
    }
    key.verify(message, &ed25519_dalek::Signature::from_bytes(&bytes))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_made_once_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/smeproc.key");
        let a = ServerKeys::load_or_create(&path).unwrap();
        let b = ServerKeys::load_or_create(&path).unwrap();
        assert_eq!(a.public_key_hex(), b.public_key_hex());
        assert_eq!(a.csrf_token("session:1"), b.csrf_token("session:1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        let err = ServerKeys::load_or_create(&path).unwrap_err().to_string();
        assert!(
            err.contains("64 hex digits") && !err.contains("not hex"),
            "{err}"
        );
        assert!(!format!("{a:?}").contains(&a.csrf_token("x")));
        let sealed = a.escrow_seal(b"share 1", b"secret").unwrap();
        assert_eq!(
            b.escrow_open(b"share 1", &sealed).unwrap().as_slice(),
            b"secret"
        );
        assert!(b.escrow_open(b"share 2", &sealed).is_err());
        assert_eq!(a.bidder_tag("e1"), b.bidder_tag("e1"));
        assert_ne!(a.bidder_tag("e1"), a.bidder_tag("e2"));
        assert_ne!(
            a.bidder_tag("e1"),
            ServerKeys::from_master(&[9; 32]).bidder_tag("e1")
        );
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_binding_and_key() {
        let keys = ServerKeys::from_master(&[7; 32]);
        let other = ServerKeys::from_master(&[8; 32]);
        let t = keys.csrf_token("session:abc");
        assert!(keys.csrf_valid("session:abc", &t));
        assert!(!keys.csrf_valid("session:abd", &t));
        assert!(!keys.csrf_valid("visitor:abc", &t));
        assert!(!other.csrf_valid("session:abc", &t));
        assert!(!keys.csrf_valid("session:abc", &t[..62]));
        assert!(!keys.csrf_valid("session:abc", &"0".repeat(64)));
    }

    #[test]
    fn signatures_verify_only_under_their_key_and_message() {
        let keys = ServerKeys::from_master(&[7; 32]);
        let sig = keys.sign(b"checkpoint 1");
        let public = keys.public_key_hex();
        assert!(verify_signature(&public, b"checkpoint 1", &sig));
        assert!(!verify_signature(&public, b"checkpoint 2", &sig));
        let other = ServerKeys::from_master(&[8; 32]).public_key_hex();
        assert!(!verify_signature(&other, b"checkpoint 1", &sig));
        assert!(!verify_signature(&public, b"checkpoint 1", "00"));
        assert_eq!(keys.key_id().len(), 16);
    }
}
