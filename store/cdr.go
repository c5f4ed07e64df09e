package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms/cdr"
)

// The CDR history: raw records deduped on (session, correlatorIndex) and the projection rows
// of package cdr. Any replica may store a post; on PostgreSQL the projection row is locked
// (SELECT … FOR UPDATE) while it is merged, so two replicas merging records of the same leg
// cannot lose each other's fields. On SQLite the write transaction is already exclusive.

var _ cdr.Sink = (*Store)(nil)

// cdrTimeout bounds storing one post: a post holds up to a few hundred records, each a few
// statements, which is more than one op's budget.
const cdrTimeout = 30 * time.Second

// StoreCDRs stores the records of b that are new and merges their projection, in one
// transaction: either the whole post is stored or nothing is, and CMS resends it.
func (s *Store) StoreCDRs(ctx context.Context, cluster, node string, b cdr.Batch) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, max(cdrTimeout, s.opTimeout))
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.observe(fmt.Errorf("store CDRs: %w", err))
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	now := ms(s.now())
	n := 0
	for _, r := range b.Records {
		res, err := tx.ExecContext(ctx, `INSERT INTO cdr_raw (session, correlator_index, node, call_bridge, record_index, type, at, received_at, xml, cluster)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			r.Session, r.CorrelatorIndex, node, b.CallBridge, r.RecordIndex, r.Type, ms(r.Time), now, string(r.XML), cluster)
		if err != nil {
			return 0, s.observe(fmt.Errorf("store CDR %s/%d: %w", r.Session, r.CorrelatorIndex, err))
		}
		if added, _ := res.RowsAffected(); added == 0 {
			continue // CMS resent it
		}
		n++
		if err := s.project(ctx, tx, cluster, cdr.Project(node, r)); err != nil {
			return 0, s.observe(fmt.Errorf("project CDR %s/%d: %w", r.Session, r.CorrelatorIndex, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, s.observe(fmt.Errorf("store CDRs: %w", err))
	}
	return n, s.observe(nil)
}

func (s *Store) project(ctx context.Context, tx *sql.Tx, cluster string, c cdr.Change) error {
	if x := c.Instance; x != nil {
		var old cdr.Instance
		if err := s.lockRow(ctx, tx, "cdr_instances", "call_id", cluster, x.Node, x.CallID, &old); err != nil {
			return err
		}
		if old.CallID == "" {
			old = cdr.Instance{Node: x.Node, CallID: x.CallID}
		}
		m := old.Merge(*x)
		return s.saveRow(ctx, tx, `UPDATE cdr_instances SET call_correlator = $3, name = $4, started_at = $5, ended_at = $6, seen_at = $7, data = $8
			WHERE node = $1 AND call_id = $2`, m, m.Node, m.CallID, m.CallCorrelator, m.Name, msz(m.StartedAt), msz(m.EndedAt), msz(m.Seen))
	}
	if x := c.Leg; x != nil {
		var old cdr.Leg
		if err := s.lockRow(ctx, tx, "cdr_legs", "leg_id", cluster, x.Node, x.LegID, &old); err != nil {
			return err
		}
		if old.LegID == "" {
			old = cdr.Leg{Node: x.Node, LegID: x.LegID}
		}
		m := old.Merge(*x)
		return s.saveRow(ctx, tx, `UPDATE cdr_legs SET call_id = $3, display_name = $4, remote_party = $5, started_at = $6, ended_at = $7, seen_at = $8, data = $9
			WHERE node = $1 AND leg_id = $2`, m, m.Node, m.LegID, m.CallID, m.DisplayName, cmpOr(m.RemoteParty, m.RemoteAddress), msz(m.StartedAt), msz(m.EndedAt), msz(m.Seen))
	}
	if x := c.Recording; x != nil {
		var old cdr.Recording
		if err := s.lockRow(ctx, tx, "cdr_recordings", "id", cluster, x.Node, x.ID, &old); err != nil {
			return err
		}
		if old.ID == "" {
			old = cdr.Recording{Node: x.Node, ID: x.ID}
		}
		m := old.Merge(*x)
		return s.saveRow(ctx, tx, `UPDATE cdr_recordings SET call_id = $3, seen_at = $4, data = $5 WHERE node = $1 AND id = $2`,
			m, m.Node, m.ID, m.CallID, msz(m.Seen))
	}
	return nil
}

// msz is ms with the zero time as 0, which the columns use for "not yet".
func msz(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// lockRow makes sure the row exists (naming its cluster), locks it on PostgreSQL, and decodes its data into v (left
// zero for a new row). table and idCol are constants of this file.
func (s *Store) lockRow(ctx context.Context, tx *sql.Tx, table, idCol, cluster, node, id string, v any) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (node, `+idCol+`, cluster) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, node, id, cluster); err != nil {
		return err
	}
	q := `SELECT data FROM ` + table + ` WHERE node = $1 AND ` + idCol + ` = $2`
	if s.engine == Postgres {
		q += ` FOR UPDATE`
	}
	var data string
	if err := tx.QueryRowContext(ctx, q, node, id).Scan(&data); err != nil {
		return err
	}
	return json.Unmarshal([]byte(data), v)
}

// saveRow writes a merged row: query's last parameter is the JSON of row.
func (s *Store) saveRow(ctx context.Context, tx *sql.Tx, query string, row any, args ...any) error {
	data, err := json.Marshal(row)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, query, append(args, string(data))...)
	return err
}

// HistoryRows answers q as cdr.HistoryQuery documents it (the same rows as cdr.Memory).
func (s *Store) HistoryRows(ctx context.Context, q cdr.HistoryQuery) (cdr.Rows, error) {
	ctx, cancel := context.WithTimeout(ctx, max(cdrTimeout, s.opTimeout))
	defer cancel()
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// A row overlaps [From, To) when it started before To (or its start is unknown) and has
	// not ended before From.
	overlaps := func(alias string) string {
		return "(" + alias + ".started_at = 0 OR " + alias + ".started_at < " + arg(ms(q.To)) + ") AND (" +
			alias + ".ended_at = 0 OR " + alias + ".ended_at >= " + arg(ms(q.From)) + ")"
	}
	legMatch := func(alias string) string {
		if q.Participant == "" {
			return "1 = 1"
		}
		// remote_party holds the remote party, else the remote address; data has both, so the
		// address is searched there too (JSON is ASCII-escaped only for control characters).
		like := arg("%" + likeEscape(strings.ToLower(q.Participant)) + "%")
		return "(LOWER(" + alias + ".display_name) LIKE " + like + ` ESCAPE '\' OR LOWER(` + alias + ".remote_party) LIKE " + like + ` ESCAPE '\')`
	}
	inst := overlaps("i")
	if q.Cluster != "" {
		inst += " AND i.cluster = " + arg(q.Cluster)
	}
	if q.Meeting != "" {
		m := strings.ToLower(q.Meeting)
		inst += " AND (LOWER(i.name) LIKE " + arg("%"+likeEscape(m)+"%") + ` ESCAPE '\' OR LOWER(i.call_correlator) LIKE ` + arg(likeEscape(m)+"%") + ` ESCAPE '\')`
	}
	if q.Participant != "" {
		// The meeting had such a participant on some instance (this one, or one that shares
		// its callCorrelator).
		inst += ` AND EXISTS (SELECT 1 FROM cdr_instances j JOIN cdr_legs p ON p.node = j.node AND p.call_id = j.call_id
			WHERE ((j.node = i.node AND j.call_id = i.call_id) OR (i.call_correlator <> '' AND j.call_correlator = i.call_correlator)) AND ` + legMatch("p") + ")"
	}
	var rows cdr.Rows
	if err := scanRows(ctx, s.db, `SELECT i.data FROM cdr_instances i WHERE `+inst, args, &rows.Instances); err != nil {
		return cdr.Rows{}, s.observe(fmt.Errorf("history instances: %w", err))
	}
	// The same instance condition again, as a sub-query per leg and recording.
	instArgs := len(args)
	legs := `SELECT l.data FROM cdr_legs l WHERE EXISTS (SELECT 1 FROM cdr_instances i WHERE i.node = l.node AND i.call_id = l.call_id AND ` + inst + `)`
	if q.Meeting == "" {
		orphan := overlaps("l") + " AND " + legMatch("l")
		if q.Cluster != "" {
			orphan += " AND l.cluster = " + arg(q.Cluster)
		}
		legs += ` OR (NOT EXISTS (SELECT 1 FROM cdr_instances i WHERE i.node = l.node AND i.call_id = l.call_id) AND ` + orphan + ")"
	}
	if err := scanRows(ctx, s.db, legs, args, &rows.Legs); err != nil {
		return cdr.Rows{}, s.observe(fmt.Errorf("history legs: %w", err))
	}
	recs := `SELECT r.data FROM cdr_recordings r WHERE EXISTS (SELECT 1 FROM cdr_instances i WHERE i.node = r.node AND i.call_id = r.call_id AND ` + inst + `)`
	if err := scanRows(ctx, s.db, recs, args[:instArgs], &rows.Recordings); err != nil {
		return cdr.Rows{}, s.observe(fmt.Errorf("history recordings: %w", err))
	}
	return rows, s.observe(nil)
}

func scanRows[T any](ctx context.Context, db *sql.DB, query string, args []any, out *[]T) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

// PruneCDRs deletes raw records older than before, and projection rows whose newest record
// is older (NFMM_HISTORY_DAYS). It returns how many raw records went.
func (s *Store) PruneCDRs(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, max(cdrTimeout, s.opTimeout))
	defer cancel()
	res, err := s.db.ExecContext(ctx, `DELETE FROM cdr_raw WHERE at < $1`, ms(before))
	if err != nil {
		return 0, s.observe(fmt.Errorf("prune cdr_raw: %w", err))
	}
	n, _ := res.RowsAffected()
	for _, table := range []string{"cdr_instances", "cdr_legs", "cdr_recordings"} {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE seen_at < $1`, ms(before)); err != nil {
			return int(n), s.observe(fmt.Errorf("prune %s: %w", table, err))
		}
	}
	return int(n), s.observe(nil)
}
