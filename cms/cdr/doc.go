// Package cdr receives Cisco Meeting Server Call Detail Records and turns them into meeting
// history.
//
// CMS posts <records> documents over HTTP to up to four receivers per call bridge and keeps
// every record until a receiver answers 200 (cms-cdr.md §2.1). [Decode] reads one post into
// typed [Record]s, [Receiver] is the HTTP endpoint that stores them through a [Sink] before it
// answers, [Project] turns one record into changes to the history rows ([Instance], [Leg],
// [Recording]), and [Assemble] builds [Meeting]s from those rows, merged on callCorrelator
// across call bridges. The rows and their merge rules live here so that every storage engine
// (and the tests' in-memory one) projects identically; SQL lives in package store.
//
// Nothing above package cms knows XML or HTTP: callers see the types in this package only.
package cdr
