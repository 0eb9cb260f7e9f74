-- Issue 7: firmware over the air. A campaign's options (delivery method,
-- waves, retries, the profile of an automatic campaign, why it paused, the
-- wave under way) are one JSON document; each device's row becomes its
-- update job: wave, the deadline of the stage under way, when a retry may
-- start, what the device last reported (raw), the versions before and
-- after, and the hash of the one-time token of a pull in progress.

ALTER TABLE campaigns ADD COLUMN options TEXT NOT NULL DEFAULT '{}';

ALTER TABLE campaign_devices ADD COLUMN wave            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaign_devices ADD COLUMN deadline        TIMESTAMPTZ;
ALTER TABLE campaign_devices ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE campaign_devices ADD COLUMN detail          TEXT    NOT NULL DEFAULT '';
ALTER TABLE campaign_devices ADD COLUMN from_version    TEXT    NOT NULL DEFAULT '';
ALTER TABLE campaign_devices ADD COLUMN to_version      TEXT    NOT NULL DEFAULT '';
ALTER TABLE campaign_devices ADD COLUMN token_hash      TEXT    NOT NULL DEFAULT '';

CREATE INDEX campaign_devices_device ON campaign_devices (device_id);
CREATE INDEX campaign_devices_wave ON campaign_devices (campaign_id, state, wave, device_id);
CREATE INDEX campaign_devices_token ON campaign_devices (token_hash) WHERE token_hash <> '';
