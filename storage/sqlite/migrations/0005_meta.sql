-- 0005: named store-wide values (issue 10, item 1).
--
-- One row per name, written by compare-and-set (storage.MetaStore). The
-- first is "keyring_fingerprint": the ids, versions and creation times of
-- the keyring the sealed values were written under — never key material —
-- so that helpr refuses to start with a missing or different keyring.
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
