package cms

import (
	"context"
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Alarm is one active alarm condition from GET /system/alarms (cdrConnectionFailure,
// callBridgeConnectionFailure, recorderUnavailable, …).
type Alarm struct {
	ID                string
	Type              string
	FailureReason     string // set for some types: connectFailure, dnsFailure, …
	ActiveTimeSeconds int
}

// Licensing is GET /system/licensing: the node's license features.
type Licensing struct {
	Features []LicenseFeature // in the order CMS lists them
}

// LicenseFeature is one child of <features>: callBridge, webBridge, recording, ….
type LicenseFeature struct {
	Name   string
	Status string    // noLicense | activated | grace | expired
	Expiry time.Time // zero when CMS gives none (or one we cannot read)
	// ExpiryText is the date as CMS wrote it, for a message when it cannot be parsed.
	ExpiryText string
}

// Alarms lists the node's active alarms.
func (n *Node) Alarms(ctx context.Context) ([]Alarm, error) {
	return fetchAll(ctx, n, nil, decodeAlarms, func(a Alarm) string { return a.ID }, "system", "alarms")
}

// Licensing reads the node's license features.
func (n *Node) Licensing(ctx context.Context) (Licensing, error) {
	var x xLicensing
	if err := n.get(ctx, "licensing", &x, "system", "licensing"); err != nil {
		return Licensing{}, err
	}
	return x.licensing(), nil
}

// AlarmedCallLegs lists the node's legs on which CMS raises a media alarm (packet loss,
// excessive jitter, high round-trip time): GET /callLegs?alarms=all.
func (n *Node) AlarmedCallLegs(ctx context.Context) ([]CallLeg, error) {
	return fetchAll(ctx, n, url.Values{"alarms": {"all"}}, decodeCallLegs, legID, "callLegs")
}

type xAlarm struct {
	ID                string `xml:"id,attr"`
	Type              string `xml:"type"`
	FailureReason     string `xml:"failureReason"`
	ActiveTimeSeconds string `xml:"activeTimeSeconds"`
}

type xAlarmList struct {
	XMLName xml.Name `xml:"alarms"`
	Total   string   `xml:"total,attr"`
	Items   []xAlarm `xml:"alarm"`
}

func decodeAlarms(body []byte) (int, []Alarm, error) {
	var x xAlarmList
	if err := decodeXML(body, &x); err != nil {
		return 0, nil, err
	}
	out := make([]Alarm, 0, len(x.Items))
	for _, a := range x.Items {
		out = append(out, Alarm{ID: str(a.ID), Type: str(a.Type), FailureReason: str(a.FailureReason),
			ActiveTimeSeconds: atoi(a.ActiveTimeSeconds)})
	}
	return total(x.Total), out, nil
}

// xLicensing keeps <features>' children generically: CMS versions add features (capacityUnits,
// callBridgeNoEncryption) and a client should not need a release for each.
type xLicensing struct {
	Features struct {
		Items []xFeature `xml:",any"`
	} `xml:"features"`
}

type xFeature struct {
	XMLName xml.Name
	Status  string `xml:"status"`
	Expiry  string `xml:"expiry"`
}

// licenseDateLayouts are the expiry formats seen: Cisco's sample writes "2022-Aug-08".
var licenseDateLayouts = []string{"2006-Jan-02", "2006-01-02", time.RFC3339}

func (x xLicensing) licensing() Licensing {
	var out Licensing
	for _, f := range x.Features.Items {
		lf := LicenseFeature{Name: f.XMLName.Local, Status: str(f.Status), ExpiryText: str(f.Expiry)}
		for _, layout := range licenseDateLayouts {
			if t, err := time.Parse(layout, lf.ExpiryText); err == nil {
				lf.Expiry = t
				break
			}
		}
		out.Features = append(out.Features, lf)
	}
	return out
}

// Licensed reports whether the feature carries a license at all (noLicense features never
// expire and are not worth an alert).
func (f LicenseFeature) Licensed() bool {
	return f.Status != "" && !strings.EqualFold(f.Status, "noLicense")
}

// NodeAlarms is one node's share of Cluster.Alarms.
type NodeAlarms struct {
	Node   string
	Alarms []Alarm
	Err    error // the node could not be read: its alarms are unknown, not cleared
}

// NodeLicensing is one node's share of Cluster.Licensing.
type NodeLicensing struct {
	Node      string
	Licensing Licensing
	Err       error
}

// AlarmedLeg is a leg CMS raises a media alarm on, with its detail (media statistics).
type AlarmedLeg struct {
	Node string
	Leg  CallLegDetail
}

// NodeAlarmedLegs is one node's share of Cluster.AlarmedLegs.
type NodeAlarmedLegs struct {
	Node string
	Legs []AlarmedLeg
	Err  error
}

// Alarms reads GET /system/alarms on every node concurrently.
func (c *Cluster) Alarms(ctx context.Context) []NodeAlarms {
	return perNode(c.nodes, func(n *Node) NodeAlarms {
		as, err := n.Alarms(ctx)
		return NodeAlarms{Node: n.Name(), Alarms: as, Err: err}
	})
}

// Licensing reads GET /system/licensing on every node concurrently.
func (c *Cluster) Licensing(ctx context.Context) []NodeLicensing {
	return perNode(c.nodes, func(n *Node) NodeLicensing {
		l, err := n.Licensing(ctx)
		return NodeLicensing{Node: n.Name(), Licensing: l, Err: err}
	})
}

// AlarmedLegs lists, on every node concurrently, the legs with a media alarm and reads each
// one's detail (within the node's detail limit). Legs that end between the list and the read
// are skipped; any other failed read fails the node's share, so a caller never takes a leg it
// could not read for a healthy one.
func (c *Cluster) AlarmedLegs(ctx context.Context) []NodeAlarmedLegs {
	return perNode(c.nodes, func(n *Node) NodeAlarmedLegs {
		out := NodeAlarmedLegs{Node: n.Name()}
		legs, err := n.AlarmedCallLegs(ctx)
		if err != nil {
			out.Err = err
			return out
		}
		details := make([]AlarmedLeg, len(legs))
		errs := make([]error, len(legs))
		forEachBounded(detailLimit(n), len(legs), func(i int) {
			d, err := n.CallLeg(ctx, legs[i].ID)
			details[i], errs[i] = AlarmedLeg{Node: n.Name(), Leg: d}, err
		})
		for i, err := range errs {
			switch {
			case err == nil:
				out.Legs = append(out.Legs, details[i])
			case errors.Is(err, ErrCallLegNotFound):
			default:
				out.Err = err
				out.Legs = nil
				return out
			}
		}
		return out
	})
}

// MediaAlarm is a leg CMS raises a media alarm on (packet loss, excessive jitter, high
// round-trip time), as GET /callLegs?alarms=all lists it: no detail read.
type MediaAlarm struct {
	Node   string
	LegID  string
	CallID string // the node's own call id of the leg's call
	Alarms []string
}

// mediaAlarmsFresh is how long one read of every node's alarmed legs serves the calls lists and
// rosters that badge poor media: alarms come and go over seconds, and a page of badges must not
// cost a round trip per node each time someone looks.
const mediaAlarmsFresh = 10 * time.Second

// mediaAlarmCache is the last MediaAlarms read; its mutex also makes concurrent callers share
// one read.
type mediaAlarmCache struct {
	mu   sync.Mutex
	at   time.Time
	legs []MediaAlarm
	errs []NodeError
}

// MediaAlarms lists the legs with a media alarm on every node (one request per node, read at
// most once per mediaAlarmsFresh and shared); Failed-style errors name nodes not read, whose
// legs are then simply not badged.
func (c *Cluster) MediaAlarms(ctx context.Context) ([]MediaAlarm, []NodeError) {
	ca := &c.mediaAlarms
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if !ca.at.IsZero() && time.Since(ca.at) < mediaAlarmsFresh {
		return ca.legs, ca.errs
	}
	type share struct {
		legs []CallLeg
		err  error
	}
	shares := perNode(c.nodes, func(n *Node) share {
		legs, err := n.AlarmedCallLegs(ctx)
		return share{legs, err}
	})
	var (
		out  []MediaAlarm
		errs []NodeError
	)
	for i, sh := range shares {
		node := c.nodes[i].Name()
		if sh.err != nil {
			errs = append(errs, NodeError{Node: node, Err: sh.err})
			continue
		}
		for _, l := range sh.legs {
			if len(l.Alarms) > 0 {
				out = append(out, MediaAlarm{Node: node, LegID: l.ID, CallID: l.Call, Alarms: l.Alarms})
			}
		}
	}
	if ctx.Err() == nil { // a caller's cancelled read is not everyone's answer for 10 s
		ca.at, ca.legs, ca.errs = time.Now(), out, errs
	}
	return out, errs
}

// perNode runs fn on every node concurrently and returns the results in node order.
func perNode[T any](nodes []*Node, fn func(*Node) T) []T {
	out := make([]T, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { out[i] = fn(n) })
	}
	wg.Wait()
	return out
}
