// Package cms is a client for the Cisco Meeting Server REST API (/api/v1) that sees a whole
// cluster of call bridges as one: [Node] talks to one call bridge, [Cluster] fans out over all of
// them, merges distributed meetings by callCorrelator and routes every leg action to the node
// that hosts the leg.
//
// Nothing above this package knows HTTP or XML; callers see the domain types in types.go and the
// typed errors in errors.go.
package cms
