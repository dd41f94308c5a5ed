DROP TABLE sealed_bids;
DROP TABLE key_shares;
DROP TABLE lot_keys;
DROP TABLE key_holders;
DROP TABLE key_plans;
