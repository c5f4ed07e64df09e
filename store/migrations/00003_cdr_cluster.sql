-- Meeting history per cluster (issue 19): every CDR history row names the cluster of the node
-- that sent it. Rows stored before several clusters existed are the one cluster's, "default".
-- The keys stay (node, CMS id): CMS's call, leg and recording ids are GUIDs, so two clusters'
-- same-named nodes never share one.

-- +goose Up

ALTER TABLE cdr_raw ADD COLUMN cluster TEXT NOT NULL DEFAULT 'default';
ALTER TABLE cdr_instances ADD COLUMN cluster TEXT NOT NULL DEFAULT 'default';
ALTER TABLE cdr_legs ADD COLUMN cluster TEXT NOT NULL DEFAULT 'default';
ALTER TABLE cdr_recordings ADD COLUMN cluster TEXT NOT NULL DEFAULT 'default';
CREATE INDEX cdr_instances_cluster ON cdr_instances (cluster, started_at);
