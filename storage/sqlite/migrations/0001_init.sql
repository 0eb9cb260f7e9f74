-- Shoal schema, version 1 (SQLite). Times are INTEGER Unix microseconds
-- (UTC); JSON documents are TEXT; booleans are 0/1.

CREATE TABLE shoal_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'customer')),
    customer_id   INTEGER REFERENCES customers (id) ON DELETE RESTRICT,
    disabled      BOOLEAN NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL DEFAULT '',
    hash         TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL DEFAULT '',
    role         TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'customer')),
    customer_id  INTEGER REFERENCES customers (id) ON DELETE RESTRICT,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    expires_at   INTEGER,
    revoked      BOOLEAN NOT NULL DEFAULT 0,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    created_at   INTEGER NOT NULL
);

CREATE TABLE profiles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    spec        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE devices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint    TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL DEFAULT '',
    customer_id INTEGER REFERENCES customers (id) ON DELETE RESTRICT,
    profile_id  INTEGER REFERENCES profiles (id) ON DELETE RESTRICT,
    status      TEXT    NOT NULL DEFAULT 'never',
    last_seen   INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX devices_customer ON devices (customer_id);
CREATE INDEX devices_profile ON devices (profile_id);

CREATE TABLE device_labels (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (device_id, key)
);
CREATE INDEX device_labels_kv ON device_labels (key, value);

CREATE TABLE credentials (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id       INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    mode            TEXT    NOT NULL CHECK (mode IN ('psk', 'x509', 'nosec')),
    psk_identity    TEXT,
    psk_key         BLOB,
    certificate_pem TEXT    NOT NULL DEFAULT '',
    fingerprint     TEXT,
    not_after       INTEGER,
    state           TEXT    NOT NULL CHECK (state IN ('active', 'pending', 'revoked')),
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE INDEX credentials_device ON credentials (device_id);
CREATE INDEX credentials_identity ON credentials (psk_identity);
CREATE INDEX credentials_fingerprint ON credentials (fingerprint);
CREATE UNIQUE INDEX credentials_identity_live ON credentials (psk_identity) WHERE state <> 'revoked';
CREATE UNIQUE INDEX credentials_fingerprint_live ON credentials (fingerprint) WHERE state <> 'revoked';

CREATE TABLE registrations (
    endpoint        TEXT    PRIMARY KEY,
    registration_id TEXT    NOT NULL UNIQUE,
    address         TEXT    NOT NULL DEFAULT '',
    lifetime_ns     INTEGER NOT NULL,
    binding         TEXT    NOT NULL DEFAULT '',
    lwm2m_version   TEXT    NOT NULL DEFAULT '',
    sms             TEXT    NOT NULL DEFAULT '',
    queue_mode      BOOLEAN NOT NULL DEFAULT 0,
    root_path       TEXT    NOT NULL DEFAULT '',
    object_links    TEXT    NOT NULL DEFAULT '',
    registered_at   INTEGER,
    last_seen       INTEGER,
    expires_at      INTEGER,
    transport       TEXT    NOT NULL DEFAULT '',
    identity        TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE observations (
    endpoint   TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    paths      TEXT    NOT NULL,
    composite  BOOLEAN NOT NULL DEFAULT 0,
    format     INTEGER NOT NULL,
    attributes TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (endpoint, token)
);

CREATE TABLE attributes (
    device_id  INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    path       TEXT    NOT NULL,
    key        TEXT    NOT NULL DEFAULT '',
    vtype      INTEGER NOT NULL,
    num        REAL,
    txt        TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, path)
);

-- No foreign key: points outlive their device until retention removes them.
CREATE TABLE telemetry (
    device_id INTEGER NOT NULL,
    key       TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    vtype     INTEGER NOT NULL,
    num       REAL,
    txt       TEXT
);
CREATE INDEX telemetry_series ON telemetry (device_id, key, ts);
CREATE INDEX telemetry_ts ON telemetry (ts);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          INTEGER NOT NULL,
    device_id   INTEGER,
    endpoint    TEXT    NOT NULL DEFAULT '',
    customer_id INTEGER,
    category    TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    data        TEXT
);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_device ON events (device_id, id);

CREATE TABLE commands (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id       INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    endpoint        TEXT    NOT NULL,
    request         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'succeeded', 'failed', 'expired', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 1,
    next_attempt_at INTEGER,
    expires_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    result          TEXT,
    error           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX commands_device_state ON commands (device_id, state, id);
CREATE INDEX commands_state ON commands (state, expires_at);

CREATE TABLE alarms (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    customer_id INTEGER,
    rule        TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared')),
    message     TEXT    NOT NULL DEFAULT '',
    details     TEXT,
    count       INTEGER NOT NULL DEFAULT 1,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    acked_at    INTEGER,
    acked_by    TEXT    NOT NULL DEFAULT '',
    cleared_at  INTEGER
);
CREATE UNIQUE INDEX alarms_open ON alarms (device_id, rule) WHERE state <> 'cleared';
CREATE INDEX alarms_customer ON alarms (customer_id, id);

CREATE TABLE assets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    type        TEXT    NOT NULL DEFAULT '',
    customer_id INTEGER REFERENCES customers (id) ON DELETE RESTRICT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE asset_labels (
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (asset_id, key)
);

CREATE TABLE relations (
    from_kind  TEXT    NOT NULL CHECK (from_kind IN ('device', 'asset')),
    from_id    INTEGER NOT NULL,
    to_kind    TEXT    NOT NULL CHECK (to_kind IN ('device', 'asset')),
    to_id      INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (from_kind, from_id, to_kind, to_id, type)
);
CREATE INDEX relations_to ON relations (to_kind, to_id);

CREATE TABLE firmware_images (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL DEFAULT '',
    version     TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    location    TEXT    NOT NULL DEFAULT '',
    models      TEXT    NOT NULL DEFAULT '[]',
    profile_ids TEXT    NOT NULL DEFAULT '[]',
    notes       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE campaigns (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    image_id          INTEGER NOT NULL REFERENCES firmware_images (id) ON DELETE RESTRICT,
    selection         TEXT    NOT NULL DEFAULT '{}',
    concurrency       INTEGER NOT NULL DEFAULT 1,
    failure_threshold INTEGER NOT NULL DEFAULT 0,
    state             TEXT    NOT NULL,
    start_after       INTEGER,
    stop_after        INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE campaign_devices (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    device_id   INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    state       TEXT    NOT NULL,
    method      TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    reason      TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER,
    finished_at INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, device_id)
);
CREATE INDEX campaign_devices_state ON campaign_devices (campaign_id, state);
