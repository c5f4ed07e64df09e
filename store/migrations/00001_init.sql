-- NFMM's schema, written in the SQL that SQLite (3.35+) and PostgreSQL (13+) share, so one
-- file serves both engines. Times are BIGINT milliseconds since the Unix epoch (UTC); flags
-- are INTEGER 0/1; structured detail is JSON in TEXT. Add a change as the next numbered file
-- (00002_….sql); never edit a file that has shipped: migrations only go forward.

-- +goose Up

-- One row per Slack delivery NFMM acted on. kind is 'envelope' (the socket envelope id) or
-- 'event' (the Events API event id); the first replica to insert a key runs the work.
CREATE TABLE envelope_claims (
    kind       TEXT   NOT NULL,
    id         TEXT   NOT NULL,
    replica    TEXT   NOT NULL,
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX envelope_claims_claimed_at ON envelope_claims (claimed_at);

-- One row per (report, fire time) that some leader claimed; the scheduled time is the key,
-- so a firing is posted at most once however many replicas or restarts see it.
CREATE TABLE report_firings (
    report      TEXT    NOT NULL, -- "<channel> <spec>"
    fire_at     BIGINT  NOT NULL, -- the scheduled time
    replica     TEXT    NOT NULL,
    epoch       BIGINT  NOT NULL, -- the leader lease epoch that claimed it
    late        INTEGER NOT NULL, -- 1: posted by catch-up after the fire time was missed
    claimed_at  BIGINT  NOT NULL,
    outcome     TEXT    NOT NULL DEFAULT '',
    finished_at BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (report, fire_at)
);
CREATE INDEX report_firings_claimed_at ON report_firings (claimed_at);

-- Leases for singleton loops. epoch grows by one at every change of holder (and when a holder
-- comes back after its lease ran out), so work claimed under an old epoch is fenced off.
CREATE TABLE leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    epoch      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    renewed_at BIGINT NOT NULL
);

-- Alert state (Alertmanager's model): one row per (cluster, fingerprint). channel/message_ts
-- name the first message, which later changes update and reply to in its thread.
CREATE TABLE alerts (
    cluster          TEXT   NOT NULL,
    fingerprint      TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    labels           TEXT   NOT NULL, -- JSON object
    state            TEXT   NOT NULL, -- pending, firing, resolved
    started_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    resolved_at      BIGINT NOT NULL DEFAULT 0,
    last_notified_at BIGINT NOT NULL DEFAULT 0,
    channel          TEXT   NOT NULL DEFAULT '',
    message_ts       TEXT   NOT NULL DEFAULT '',
    acked_by         TEXT   NOT NULL DEFAULT '',
    acked_at         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cluster, fingerprint)
);
CREATE INDEX alerts_updated_at ON alerts (updated_at);

-- One row per alert transition that was notified: the claim that makes a notification happen
-- once across replicas.
CREATE TABLE alert_transitions (
    cluster     TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    replica     TEXT   NOT NULL,
    PRIMARY KEY (cluster, fingerprint, state, at)
);
CREATE INDEX alert_transitions_at ON alert_transitions (at);

CREATE TABLE silences (
    id         TEXT   NOT NULL PRIMARY KEY,
    cluster    TEXT   NOT NULL,
    matchers   TEXT   NOT NULL, -- JSON object: label -> value (all must match)
    created_by TEXT   NOT NULL,
    comment    TEXT   NOT NULL DEFAULT '',
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL
);
CREATE INDEX silences_ends_at ON silences (ends_at);

-- Live messages NFMM keeps updating (a roster, the calls list, an alert): enough to find the
-- message again after a restart and resume updating it.
CREATE TABLE live_messages (
    channel    TEXT   NOT NULL,
    ts         TEXT   NOT NULL,
    kind       TEXT   NOT NULL, -- roster, calls, status, alert, …
    cluster    TEXT   NOT NULL DEFAULT '',
    subject    TEXT   NOT NULL DEFAULT '', -- e.g. the meeting's callCorrelator
    state      TEXT   NOT NULL DEFAULT '{}', -- JSON: what the renderer needs (page, viewer role, …)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL, -- stop updating after this
    PRIMARY KEY (channel, ts)
);
CREATE INDEX live_messages_expires_at ON live_messages (expires_at);

-- What presenter mode on changed, so presenter off restores it, also after a restart.
CREATE TABLE presenter_snapshots (
    cluster    TEXT   NOT NULL,
    meeting    TEXT   NOT NULL, -- callCorrelator
    presenter  TEXT   NOT NULL, -- the presenter's call leg id
    snapshot   TEXT   NOT NULL, -- JSON: each leg's and call's state before presenter mode
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (cluster, meeting)
);
CREATE INDEX presenter_snapshots_created_at ON presenter_snapshots (created_at);

-- The audit history: one row per state-changing action (and per refused one). id is
-- time-ordered, so ORDER BY at, id is the order the actions happened in.
CREATE TABLE audit_events (
    id          TEXT   NOT NULL PRIMARY KEY,
    at          BIGINT NOT NULL,
    cluster     TEXT   NOT NULL DEFAULT '',
    actor       TEXT   NOT NULL,
    channel     TEXT   NOT NULL DEFAULT '',
    op          TEXT   NOT NULL,
    meeting     TEXT   NOT NULL DEFAULT '',
    participant TEXT   NOT NULL DEFAULT '',
    outcome     TEXT   NOT NULL,
    detail      TEXT   NOT NULL DEFAULT '{}' -- JSON: the whole record
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_meeting ON audit_events (meeting, at);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
