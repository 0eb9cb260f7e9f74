-- Issue 8: the bootstrap server and the credential lifecycle — bootstrap
-- accounts (batches) and configurations, factory credentials and the
-- endpoints bound to them, bootstrap sessions, and Shoal's record of the
-- management credentials it issued (delivery, confirmation, expiry).

CREATE TABLE bootstrap_accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    profile_id     INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    customer_id    INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    auto_provision BOOLEAN NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE bootstrap_configs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    device_id  INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    profile_id INTEGER REFERENCES profiles (id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES bootstrap_accounts (id) ON DELETE CASCADE,
    is_default BOOLEAN NOT NULL DEFAULT 0,
    spec       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((device_id IS NOT NULL) + (profile_id IS NOT NULL) + (account_id IS NOT NULL) + is_default = 1)
);
CREATE UNIQUE INDEX bootstrap_configs_device ON bootstrap_configs (device_id) WHERE device_id IS NOT NULL;
CREATE UNIQUE INDEX bootstrap_configs_profile ON bootstrap_configs (profile_id) WHERE profile_id IS NOT NULL;
CREATE UNIQUE INDEX bootstrap_configs_account ON bootstrap_configs (account_id) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX bootstrap_configs_default ON bootstrap_configs (is_default) WHERE is_default;

CREATE TABLE factory_credentials (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER REFERENCES bootstrap_accounts (id) ON DELETE CASCADE,
    device_id       INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    mode            TEXT    NOT NULL CHECK (mode IN ('psk', 'x509', 'x509-ca', 'nosec')),
    psk_identity    TEXT,
    psk_key         BLOB,
    certificate_pem TEXT    NOT NULL DEFAULT '',
    fingerprint     TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('active', 'revoked')),
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    CHECK ((account_id IS NOT NULL) + (device_id IS NOT NULL) = 1)
);
CREATE INDEX factory_credentials_account ON factory_credentials (account_id);
CREATE INDEX factory_credentials_device ON factory_credentials (device_id);
CREATE INDEX factory_credentials_identity ON factory_credentials (psk_identity);
CREATE INDEX factory_credentials_fingerprint ON factory_credentials (fingerprint);
CREATE UNIQUE INDEX factory_credentials_identity_live ON factory_credentials (psk_identity) WHERE state <> 'revoked';
CREATE UNIQUE INDEX factory_credentials_fingerprint_live ON factory_credentials (fingerprint) WHERE state <> 'revoked';

CREATE TABLE bootstrap_bindings (
    endpoint              TEXT    PRIMARY KEY,
    device_id             INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    factory_credential_id INTEGER NOT NULL REFERENCES factory_credentials (id) ON DELETE CASCADE,
    identity              TEXT    NOT NULL DEFAULT '',
    bound_at              INTEGER NOT NULL
);
CREATE INDEX bootstrap_bindings_device ON bootstrap_bindings (device_id);

CREATE TABLE bootstrap_sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id       INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    endpoint        TEXT    NOT NULL,
    config_id       INTEGER REFERENCES bootstrap_configs (id) ON DELETE SET NULL,
    credential_id   INTEGER REFERENCES credentials (id) ON DELETE SET NULL,
    identity        TEXT    NOT NULL DEFAULT '',
    address         TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('running', 'finished', 'failed')),
    step            TEXT    NOT NULL DEFAULT '',
    path            TEXT    NOT NULL DEFAULT '',
    device_code     TEXT    NOT NULL DEFAULT '',
    error           TEXT    NOT NULL DEFAULT '',
    version         TEXT    NOT NULL DEFAULT '',
    format          TEXT    NOT NULL DEFAULT '',
    server_instance INTEGER NOT NULL DEFAULT -1,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX bootstrap_sessions_device ON bootstrap_sessions (device_id, id);

CREATE TABLE credential_lifecycle (
    credential_id    INTEGER PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
    device_id        INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    reason           TEXT    NOT NULL,
    issued_by        TEXT    NOT NULL DEFAULT '',
    secret           BLOB,
    issued_at        INTEGER NOT NULL,
    delivered_at     INTEGER,
    confirmed_at     INTEGER,
    expiry_warned_at INTEGER,
    command_id       INTEGER
);
CREATE INDEX credential_lifecycle_device ON credential_lifecycle (device_id);
CREATE INDEX credentials_not_after ON credentials (not_after) WHERE state <> 'revoked' AND not_after IS NOT NULL;
