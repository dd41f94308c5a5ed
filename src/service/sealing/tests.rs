use super::*;

fn commitments(key: &NewLotKey) -> Vec<&str> {
    key.shares.iter().map(|s| s.commitment.as_str()).collect()
}

fn checked(lot: &str, key: &NewLotKey, which: &[usize]) -> Vec<CheckedShare> {
    which
        .iter()
        .map(|&i| check_share(lot, &key.shares[i].text, &commitments(key)).unwrap())
        .collect()
}

#[test]
fn any_k_of_n_shares_open_what_was_sealed_and_fewer_do_not() {
    let key = new_lot_key("lot-1", 2, 3).unwrap();
    assert_eq!(key.shares.len(), 3);
    assert_eq!(key.public_key.len(), 64);
    let envelope = seal(
        "lot-1",
        &key.public_key,
        b"bid b1",
        "价格 1200.50".as_bytes(),
    )
    .unwrap();
    for pair in [[0, 1], [0, 2], [1, 2]] {
        let opening = rebuild("lot-1", &key.public_key, 2, &checked("lot-1", &key, &pair)).unwrap();
        let plain = opening.open(b"bid b1", &envelope).unwrap();
        assert_eq!(plain.as_slice(), "价格 1200.50".as_bytes());
    }
    let one = checked("lot-1", &key, &[2]);
    assert!(matches!(
        rebuild("lot-1", &key.public_key, 2, &one),
        Err(SealError::TooFew { have: 1, need: 2 })
    ));
}

#[test]
fn a_share_of_another_lot_a_tampered_or_reused_share_is_refused() {
    let a = new_lot_key("lot-a", 2, 3).unwrap();
    let b = new_lot_key("lot-b", 2, 3).unwrap();
    // Another lot's share, named as it is or relabelled as this lot's.
    assert_eq!(
        check_share("lot-a", &b.shares[0].text, &commitments(&a)).err(),
        Some(SealError::OtherLot)
    );
    let relabelled = b.shares[0].text.replace("lot-b", "lot-a");
    assert_eq!(
        check_share("lot-a", &relabelled, &commitments(&a)).err(),
        Some(SealError::NoCommitment)
    );
    // One hex digit changed.
    let text = a.shares[1].text.to_string();
    let last = text.chars().last().unwrap();
    let tampered = format!(
        "{}{}",
        &text[..text.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    assert_eq!(
        check_share("lot-a", &tampered, &commitments(&a)).err(),
        Some(SealError::NoCommitment)
    );
    assert_eq!(
        check_share("lot-a", "not a share", &commitments(&a)).err(),
        Some(SealError::ShareFormat)
    );
    // The same share twice is not two shares.
    let twice = checked("lot-a", &a, &[0, 0]);
    assert_eq!(
        rebuild("lot-a", &a.public_key, 2, &twice).err(),
        Some(SealError::Reused(a.shares[0].number))
    );
}

#[test]
fn an_envelope_opens_only_under_its_own_lot_and_label() {
    let a = new_lot_key("lot-a", 1, 1).unwrap();
    let b = new_lot_key("lot-b", 1, 1).unwrap();
    let envelope = seal("lot-a", &a.public_key, b"bid 1", b"secret").unwrap();
    let open_a = rebuild("lot-a", &a.public_key, 1, &checked("lot-a", &a, &[0])).unwrap();
    let open_b = rebuild("lot-b", &b.public_key, 1, &checked("lot-b", &b, &[0])).unwrap();
    assert_eq!(
        open_a.open(b"bid 2", &envelope).err(),
        Some(SealError::Open)
    );
    assert_eq!(
        open_b.open(b"bid 1", &envelope).err(),
        Some(SealError::Open)
    );
    let mut flipped = envelope.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert_eq!(open_a.open(b"bid 1", &flipped).err(), Some(SealError::Open));
    // Sealing twice gives other bytes (a fresh encapsulation each time).
    assert_ne!(
        envelope,
        seal("lot-a", &a.public_key, b"bid 1", b"secret").unwrap()
    );
}

#[test]
fn shares_of_one_lot_rebuild_only_its_key_and_thresholds_are_checked() {
    let a = new_lot_key("lot-a", 2, 3).unwrap();
    let b = new_lot_key("lot-a", 2, 3).unwrap();
    // A second key made for the same lot (a re-publication): its shares are not the first's.
    let mixed = vec![
        check_share("lot-a", &a.shares[0].text, &commitments(&a)).unwrap(),
        check_share("lot-a", &b.shares[1].text, &commitments(&b)).unwrap(),
    ];
    assert_eq!(
        rebuild("lot-a", &a.public_key, 2, &mixed).err(),
        Some(SealError::WrongKey)
    );
    for (k, n) in [(0, 3), (4, 3), (1, 256)] {
        assert_eq!(
            new_lot_key("lot-a", k, n).err(),
            Some(SealError::Threshold { k, n })
        );
    }
}

#[test]
fn a_stream_opens_in_order_and_not_reordered_or_cut() {
    let key = new_lot_key("lot-s", 1, 1).unwrap();
    let mut sealer = sealer("lot-s", &key.public_key).unwrap();
    let enc = sealer.encapsulated().to_vec();
    let chunks: Vec<Vec<u8>> = (0..3u8)
        .map(|i| sealer.seal_next(&[i], &vec![i; 1000]).unwrap())
        .collect();
    let checked: Vec<_> = key
        .shares
        .iter()
        .map(|s| {
            let commitments = [s.commitment.as_str()];
            check_share("lot-s", &s.text, &commitments).unwrap()
        })
        .collect();
    let opening = rebuild("lot-s", &key.public_key, 1, &checked).unwrap();
    let mut opener = opening.stream(&enc).unwrap();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(
            opener.open_next(&[i as u8], c).unwrap().as_slice(),
            &vec![i as u8; 1000][..]
        );
    }
    // Out of order, or with another chunk's label: refused.
    let mut opener = opening.stream(&enc).unwrap();
    assert!(opener.open_next(&[1], &chunks[1]).is_err());
    let mut opener = opening.stream(&enc).unwrap();
    assert!(opener.open_next(&[9], &chunks[0]).is_err());
}

#[test]
fn a_prepared_encapsulation_seals_like_a_fresh_one_and_serves_one_bid_only() {
    let lot = format!("lot-ahead-{}", uuid::Uuid::new_v4());
    let (key, public) = key_from_seed(&lot, &[9u8; 32]);
    super::ahead::set_per_lot(super::ahead::per_lot().max(4));
    super::ahead::prepare(&lot, &public);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while super::ahead::ready(&lot) < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(super::ahead::ready(&lot) >= 4, "prepared in the background");
    let before = super::ahead::ready(&lot);
    let a = super::ahead::take(&lot, &public).unwrap();
    let b = super::ahead::take(&lot, &public).unwrap();
    assert_eq!(super::ahead::ready(&lot), before - 2, "each taken once");
    assert_ne!(
        a.encapsulated(),
        b.encapsulated(),
        "never the same context twice"
    );
    let envelope = a.seal(b"bid 1", b"price 100").unwrap();
    assert_eq!(
        key.open(b"bid 1", &envelope).unwrap().as_slice(),
        b"price 100"
    );
    // Another key for the same lot id: never a context prepared for the old one.
    let (_, other) = key_from_seed(&lot, &[7u8; 32]);
    let c = super::ahead::take(&lot, &other).unwrap();
    assert!(key.open(b"x", &c.seal(b"x", b"y").unwrap()).is_err());
    super::ahead::forget(&lot);
    assert_eq!(super::ahead::ready(&lot), 0);
}
