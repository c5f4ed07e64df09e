package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// baseline is the deliberately naive client a simple script would be: one request at a time,
// pages one after another, then each detail. It sends the same requests NFMM sends for the
// same operation, so the ratio between the two measures concurrency alone.
type baseline struct {
	client   *http.Client
	user     string
	pass     string
	nodes    []cmssim.NodeInfo
	bridgeID map[string]string // node -> own callBridge id, learnt before timing (as NFMM caches it)
}

// xItem is any list entry or object; only the fields the baseline needs.
type xItem struct {
	ID         string `xml:"id,attr"`
	Name       string `xml:"name"`
	Correlator string `xml:"callCorrelator"`
	SubType    string `xml:"subType"`
	CallBridge string `xml:"callBridge"`
	Importance string `xml:"configuration>importance"`
	GroupID    string `xml:"status>groupId"`
}

type xList struct {
	Total int     `xml:"total,attr"`
	Items []xItem `xml:",any"`
}

func newBaseline(sim *cmssim.Sim) *baseline {
	b := &baseline{client: simClient(), user: sim.Username, pass: sim.Password, nodes: sim.Nodes(),
		bridgeID: map[string]string{}}
	for _, n := range b.nodes {
		b.bridgeID[n.Name] = n.CallBridgeID
	}
	return b
}

func (b *baseline) do(ctx context.Context, method string, n cmssim.NodeInfo, path string, q url.Values, form url.Values) ([]byte, error) {
	u := n.URL + "/api/v1/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(b.user, b.pass)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return data, nil
}

func (b *baseline) get(ctx context.Context, n cmssim.NodeInfo, path string) (xItem, error) {
	var it xItem
	data, err := b.do(ctx, http.MethodGet, n, path, nil, nil)
	if err != nil {
		return it, err
	}
	return it, xml.Unmarshal(data, &it)
}

// list pages through a collection one page at a time, advancing by the items received.
func (b *baseline) list(ctx context.Context, n cmssim.NodeInfo, path string, q url.Values) ([]xItem, error) {
	var out []xItem
	for {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		if len(out) > 0 {
			pq.Set("offset", strconv.Itoa(len(out)))
		}
		data, err := b.do(ctx, http.MethodGet, n, path, pq, nil)
		if err != nil {
			return nil, err
		}
		var l xList
		if err := xml.Unmarshal(data, &l); err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if len(l.Items) == 0 || len(out) >= l.Total {
			return out, nil
		}
	}
}

func (b *baseline) put(ctx context.Context, n cmssim.NodeInfo, path string, form url.Values) error {
	_, err := b.do(ctx, http.MethodPut, n, path, nil, form)
	return err
}

// calls lists every call on every node, then reads each call's detail.
func (b *baseline) calls(ctx context.Context) (int, error) {
	count := 0
	for _, n := range b.nodes {
		calls, err := b.list(ctx, n, "calls", nil)
		if err != nil {
			return 0, err
		}
		for _, c := range calls {
			if _, err := b.get(ctx, n, "calls/"+c.ID); err != nil {
				return 0, err
			}
			count++
		}
	}
	return count, nil
}

// rosterLeg is a participant leg with its node.
type rosterLeg struct {
	node cmssim.NodeInfo
	leg  xItem
}

// instance is a meeting's call on one node.
type instance struct {
	node cmssim.NodeInfo
	id   string
}

// roster finds the meeting by name, then reads every instance's legs and their detail.
func (b *baseline) roster(ctx context.Context, name string) ([]instance, []rosterLeg, error) {
	var ins []instance
	for _, n := range b.nodes {
		calls, err := b.list(ctx, n, "calls", nil)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range calls {
			if c.Name == name {
				if _, err := b.get(ctx, n, "calls/"+c.ID); err != nil {
					return nil, nil, err
				}
				ins = append(ins, instance{node: n, id: c.ID})
			}
		}
	}
	var legs []rosterLeg
	for _, in := range ins {
		list, err := b.list(ctx, in.node, "calls/"+in.id+"/callLegs", nil)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range list {
			d, err := b.get(ctx, in.node, "callLegs/"+l.ID)
			if err != nil {
				return nil, nil, err
			}
			if d.SubType == "" {
				legs = append(legs, rosterLeg{node: in.node, leg: d})
			}
		}
	}
	return ins, legs, nil
}

// presenter does what NFMM's presenter mode does, one request at a time: the roster, a PUT per
// leg, a PUT per call instance, then importance (verify and set the presenter's participant,
// list each node's own participants and unset the others).
func (b *baseline) presenter(ctx context.Context, name, presenter string, on bool) error {
	ins, legs, err := b.roster(ctx, name)
	if err != nil {
		return err
	}
	var pres *rosterLeg
	for i := range legs {
		if on && legs[i].leg.Name == presenter {
			pres = &legs[i]
		}
	}
	for _, l := range legs {
		f := url.Values{"chosenLayout": {""}, "rxAudioMute": {"false"}}
		if pres != nil {
			f = url.Values{"chosenLayout": {"speakerOnly"}, "rxAudioMute": {strconv.FormatBool(l.leg.ID != pres.leg.ID)}}
		}
		if err := b.put(ctx, l.node, "callLegs/"+l.leg.ID, f); err != nil {
			return err
		}
	}
	for _, in := range ins {
		f := url.Values{"joinAudioMuteOverride": {""}}
		if on {
			f.Set("joinAudioMuteOverride", "true")
		}
		if err := b.put(ctx, in.node, "calls/"+in.id, f); err != nil {
			return err
		}
	}
	presID := ""
	if pres != nil {
		presID = pres.leg.GroupID
		if _, err := b.list(ctx, pres.node, "participants/"+presID+"/callLegs", nil); err != nil {
			return err
		}
		if err := b.put(ctx, pres.node, "participants/"+presID, url.Values{"importance": {"100"}}); err != nil {
			return err
		}
	}
	for _, in := range ins {
		ps, err := b.list(ctx, in.node, "calls/"+in.id+"/participants",
			url.Values{"callBridgeFilter": {b.bridgeID[in.node.Name]}})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.CallBridge != "" || p.Importance == "" || p.ID == presID {
				continue
			}
			if err := b.put(ctx, in.node, "participants/"+p.ID, url.Values{"importance": {""}}); err != nil {
				return err
			}
		}
	}
	return nil
}
