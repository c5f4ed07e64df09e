-- CDR history (cms-cdr.md §2.5). cdr_raw keeps every record once, keyed as Cisco documents
-- (session, correlatorIndex); the three projection tables hold one row per call instance, leg
-- and recording, keyed by the node that sent it and CMS's node-local id. A projection row's
-- columns are what queries filter on; data is the whole row as JSON, because the merge rules
-- live in Go (package cms/cdr) so that every engine projects identically.

-- +goose Up

CREATE TABLE cdr_raw (
    session          TEXT   NOT NULL,
    correlator_index BIGINT NOT NULL,
    node             TEXT   NOT NULL,
    call_bridge      TEXT   NOT NULL DEFAULT '',
    record_index     BIGINT NOT NULL,
    type             TEXT   NOT NULL,
    at               BIGINT NOT NULL, -- the record's time
    received_at      BIGINT NOT NULL,
    xml              TEXT   NOT NULL,
    PRIMARY KEY (session, correlator_index)
);
CREATE INDEX cdr_raw_at ON cdr_raw (at);

CREATE TABLE cdr_instances (
    node            TEXT   NOT NULL,
    call_id         TEXT   NOT NULL,
    call_correlator TEXT   NOT NULL DEFAULT '',
    name            TEXT   NOT NULL DEFAULT '',
    started_at      BIGINT NOT NULL DEFAULT 0,
    ended_at        BIGINT NOT NULL DEFAULT 0, -- 0 while the call runs
    seen_at         BIGINT NOT NULL DEFAULT 0, -- the newest record merged in
    data            TEXT   NOT NULL DEFAULT '{}',
    PRIMARY KEY (node, call_id)
);
CREATE INDEX cdr_instances_started_at ON cdr_instances (started_at);
CREATE INDEX cdr_instances_ended_at ON cdr_instances (ended_at);
CREATE INDEX cdr_instances_correlator ON cdr_instances (call_correlator);
CREATE INDEX cdr_instances_seen_at ON cdr_instances (seen_at);

CREATE TABLE cdr_legs (
    node         TEXT   NOT NULL,
    leg_id       TEXT   NOT NULL,
    call_id      TEXT   NOT NULL DEFAULT '',
    display_name TEXT   NOT NULL DEFAULT '',
    remote_party TEXT   NOT NULL DEFAULT '',
    started_at   BIGINT NOT NULL DEFAULT 0,
    ended_at     BIGINT NOT NULL DEFAULT 0,
    seen_at      BIGINT NOT NULL DEFAULT 0,
    data         TEXT   NOT NULL DEFAULT '{}',
    PRIMARY KEY (node, leg_id)
);
CREATE INDEX cdr_legs_call ON cdr_legs (node, call_id);
CREATE INDEX cdr_legs_seen_at ON cdr_legs (seen_at);

CREATE TABLE cdr_recordings (
    node    TEXT   NOT NULL,
    id      TEXT   NOT NULL,
    call_id TEXT   NOT NULL DEFAULT '',
    seen_at BIGINT NOT NULL DEFAULT 0,
    data    TEXT   NOT NULL DEFAULT '{}',
    PRIMARY KEY (node, id)
);
CREATE INDEX cdr_recordings_call ON cdr_recordings (node, call_id);
CREATE INDEX cdr_recordings_seen_at ON cdr_recordings (seen_at);
