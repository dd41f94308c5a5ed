//! Encapsulations made ahead (ours): the costly part of sealing a bid — the X25519 key
//! encapsulation to the lot's public key, about 100 µs of a core — does not depend on the bid,
//! so it is done for a lot's future bids when the lot is published (or on its first bid after
//! a restart), on one background thread, and taken at the deadline rush instead of made then.
//! Up to [`per_lot`] per lot, at most [`TOTAL`] in all (a sender context is about 200 bytes);
//! each is used for one bid only, and zeroized when dropped. A running server's memory already
//! sees each server-sealed bid in the clear as it arrives, so holding the contexts for bids not
//! yet received reveals nothing more (docs/security.md).

use super::{sealer, SealError, Sealer};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};

/// At most this many prepared in all.
pub const TOTAL: usize = 200_000;

static PER_LOT: AtomicUsize = AtomicUsize::new(10_000);

/// How many are prepared per lot (`SMEPROC_SEAL_AHEAD`; 0: none).
pub fn per_lot() -> usize {
    PER_LOT.load(Ordering::Relaxed)
}

/// Sets [`per_lot`] (at start-up, from the settings).
pub fn set_per_lot(n: usize) {
    PER_LOT.store(n, Ordering::Relaxed);
}

struct Ready {
    public_key: String,
    sealers: Vec<Sealer>,
}

struct Pool {
    lots: Mutex<HashMap<String, Ready>>,
    /// Lots to prepare, for the worker.
    queue: Mutex<mpsc::Sender<(String, String)>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<(String, String)>();
        std::thread::Builder::new()
            .name("seal-ahead".into())
            .spawn(move || {
                while let Ok((lot, public_key)) = rx.recv() {
                    fill(&lot, &public_key);
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the seal-ahead thread: {e}"));
        Pool {
            lots: Mutex::new(HashMap::new()),
            queue: Mutex::new(tx),
        }
    })
}

fn held() -> usize {
    pool()
        .lots
        .lock()
        .map(|l| l.values().map(|r| r.sealers.len()).sum())
        .unwrap_or(0)
}

/// Prepares a lot's encapsulations (on the background thread), once per lot and process.
pub fn prepare(lot: &str, public_key: &str) {
    if per_lot() == 0 {
        return;
    }
    let p = pool();
    let Ok(mut lots) = p.lots.lock() else { return };
    if lots.contains_key(lot) {
        return;
    }
    lots.insert(
        lot.to_string(),
        Ready {
            public_key: public_key.to_string(),
            sealers: Vec::new(),
        },
    );
    drop(lots);
    if let Ok(q) = p.queue.lock() {
        let _ = q.send((lot.to_string(), public_key.to_string()));
    }
}

fn fill(lot: &str, public_key: &str) {
    let want = per_lot();
    let mut made = 0;
    while made < want && held() < TOTAL {
        let batch: Vec<Sealer> = (0..64.min(want - made))
            .filter_map(|_| sealer(lot, public_key).ok())
            .collect();
        if batch.is_empty() {
            return;
        }
        made += batch.len();
        let Ok(mut lots) = pool().lots.lock() else {
            return;
        };
        match lots.get_mut(lot) {
            Some(r) if r.public_key == public_key => r.sealers.extend(batch),
            // Forgotten meanwhile (opened): stop.
            _ => return,
        }
    }
}

/// A sealer for one bid of the lot: a prepared one if there is one, else made now (and the
/// lot's preparation started for the next bids).
pub fn take(lot: &str, public_key: &str) -> Result<Sealer, SealError> {
    let prepared = pool().lots.lock().ok().and_then(|mut lots| {
        lots.get_mut(lot)
            .filter(|r| r.public_key == public_key)
            .and_then(|r| r.sealers.pop())
    });
    match prepared {
        Some(s) => Ok(s),
        None => {
            prepare(lot, public_key);
            sealer(lot, public_key)
        }
    }
}

/// Drops what is prepared for a lot (it no longer takes bids).
pub fn forget(lot: &str) {
    if let Ok(mut lots) = pool().lots.lock() {
        lots.remove(lot);
    }
}

/// How many are ready for a lot (tests, benchmarks).
pub fn ready(lot: &str) -> usize {
    pool()
        .lots
        .lock()
        .ok()
        .and_then(|l| l.get(lot).map(|r| r.sealers.len()))
        .unwrap_or(0)
}
