-- Issue 6: alarm rules, webhook channels and their delivery log, the audit
-- log of state-changing API calls.

CREATE TABLE alarm_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    profile_id INTEGER REFERENCES profiles (id) ON DELETE CASCADE,
    device_id  INTEGER REFERENCES devices (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('threshold', 'offline', 'firmware-failed', 'auth-failures')),
    severity   TEXT    NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning', 'info')),
    disabled   BOOLEAN NOT NULL DEFAULT 0,
    spec       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX alarm_rules_profile ON alarm_rules (profile_id);
CREATE INDEX alarm_rules_device ON alarm_rules (device_id);

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL DEFAULT '',
    url         TEXT    NOT NULL,
    secret      BLOB,
    event_types TEXT    NOT NULL DEFAULT '[]',
    alarm_types TEXT    NOT NULL DEFAULT '[]',
    customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    disabled    BOOLEAN NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_customer ON webhooks (customer_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER,
    event_type      TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 1,
    status_code     INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    payload         BLOB    NOT NULL,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_channel ON webhook_deliveries (channel_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          INTEGER NOT NULL,
    token_id    INTEGER,
    actor       TEXT    NOT NULL,
    role        TEXT    NOT NULL DEFAULT '',
    customer_id INTEGER,
    operation   TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    success     BOOLEAN NOT NULL,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE INDEX audit_log_token ON audit_log (token_id, id);
