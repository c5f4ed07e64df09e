package cmssim

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The emulator's CDR feed. Like a call bridge, every node keeps a log of the records it
// produced and sends each receiver everything it has not acknowledged with a 200, in order,
// several records per post. Records come from watching the node's own state: a call or leg that
// appears yields callStart or callLegStart and callLegUpdate, one that goes yields callLegEnd
// (with quality alarms from its media) or callEnd. The feed starts with the first receiver.

// cdrTick is how often the feed looks at the state and posts.
const cdrTick = time.Second

// cdrBatch bounds the records of one post.
const cdrBatch = 100

type cdrFeed struct {
	// flush serialises observe-and-deliver rounds: a bridge sends its records in order.
	flush   sync.Mutex
	mu      sync.Mutex
	nodes   map[string]*cdrNode
	started bool
	kick    chan struct{}
	ids     int
}

type cdrNode struct {
	name      string
	session   string
	next      int64 // the next correlatorIndex
	log       []cdrRecord
	dropped   int // records trimmed from the front of log: every receiver had them
	receivers []*cdrReceiver
	calls     map[string]callSnap
	legs      map[string]legSnap
	seen      bool // calls and legs hold a snapshot
}

type cdrReceiver struct {
	id, uri   string
	delivered int   // records of the node's log this receiver acknowledged
	index     int64 // recordIndex: per receiver
	lastErr   string
}

type cdrRecord struct {
	typ        string
	time       time.Time
	correlator int64
	inner      string // the record's child element
}

type callSnap struct {
	id, name, owner, space, correlator string
	started                            time.Time
	completed, maxActive               int
	recording                          string // the recording's id while one runs
}

type legSnap struct {
	id, callID, name, remote, local string
	outgoing, link                  bool
	started                         time.Time
	media                           media
}

// node returns the node's feed state; f.mu must be held.
func (f *cdrFeed) node(s *Sim, name string) *cdrNode {
	if f.nodes == nil {
		f.nodes = map[string]*cdrNode{}
	}
	key := strings.ToLower(name)
	n := f.nodes[key]
	if n == nil {
		n = &cdrNode{name: name, session: s.feedID(f, "session", name), next: 1}
		f.nodes[key] = n
	}
	return n
}

// feedID makes ids that look like CMS GUIDs; f.mu must be held.
func (s *Sim) feedID(f *cdrFeed, kind, name string) string {
	f.ids++
	h := uint64(s.opts.Seed)*0x9e3779b97f4a7c15 ^ uint64(f.ids)*0xbf58476d1ce4e5b9
	for _, c := range kind + name {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(h>>20)&0xfff, h&0xffffffffffff)
}

func (n *cdrNode) receiver(id string) *cdrReceiver {
	for _, r := range n.receivers {
		if strings.EqualFold(r.id, id) {
			return r
		}
	}
	return nil
}

// add configures a receiver; f.mu must be held. A new receiver gets what the node still holds.
func (f *cdrFeed) add(s *Sim, node, uri string) (string, bool) {
	n := f.node(s, node)
	if len(n.receivers) >= MaxCDRReceivers {
		return "", false
	}
	r := &cdrReceiver{id: s.feedID(f, "receiver", node), uri: uri, delivered: n.dropped}
	n.receivers = append(n.receivers, r)
	return r.id, true
}

// startLocked starts the feed once and kicks its loop. Its first look at the state is taken
// here, with the first receiver: a call that is up then and ends before the loop's first round
// is still recorded, start and end. The state (read) and f.mu must be held, in that order.
func (f *cdrFeed) startLocked(s *Sim) {
	if f.kick == nil {
		f.kick = make(chan struct{}, 1)
	}
	select {
	case f.kick <- struct{}{}:
	default:
	}
	if f.started {
		return
	}
	f.started = true
	s.observeLocked()
	go s.cdrLoop()
}

func (s *Sim) cdrLoop() {
	t := time.NewTicker(cdrTick)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		case <-s.cdr.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.FlushCDRs(ctx)
		cancel()
	}
}

// FlushCDRs records what changed since the last look and delivers every pending record to
// every receiver now (the feed also does this every second). It returns the first delivery
// error; records a receiver did not acknowledge stay pending for it, as on CMS.
func (s *Sim) FlushCDRs(ctx context.Context) error {
	s.cdr.flush.Lock()
	defer s.cdr.flush.Unlock()
	s.observeCDRs()
	var first error
	for _, n := range s.cdrNodes() {
		if err := s.deliverCDRs(ctx, n); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *Sim) cdrNodes() []string {
	s.cdr.mu.Lock()
	defer s.cdr.mu.Unlock()
	var out []string
	for _, n := range s.cdr.nodes {
		out = append(out, n.name)
	}
	slices.Sort(out)
	return out
}

// observeCDRs diffs each node's calls and legs against the last snapshot. Lock order: state,
// then feed.
func (s *Sim) observeCDRs() {
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	s.cdr.mu.Lock()
	defer s.cdr.mu.Unlock()
	if s.cdr.started {
		s.observeLocked()
	}
}

// observeLocked is observeCDRs with the state (read) and the feed locked.
func (s *Sim) observeLocked() {
	st := s.state
	now := st.now()
	f := &s.cdr
	for _, node := range st.nodes {
		n := f.node(s, node.name)
		calls, legs := map[string]callSnap{}, map[string]legSnap{}
		for _, c := range node.calls {
			old, had := n.calls[c.id]
			snap := callSnap{id: c.id, name: c.m.name, owner: c.m.owner, space: c.m.space.id,
				correlator: c.m.correlator, started: c.started, completed: old.completed,
				maxActive: max(old.maxActive, participantLegs(c))}
			if !had {
				n.emit("callStart", c.started, callStartXML(snap))
			}
			// The meeting's first instance records (one recording per meeting, not per node).
			recording := st.sys.recording[c.m.correlator] && c.m.instances[0] == c
			switch snap.recording = old.recording; {
			case recording && old.recording == "":
				snap.recording = s.feedID(f, "recording", c.id)
				n.emit("recordingStart", now, fmt.Sprintf(`<recording id="%s"><path>%s/%s</path><call>%s</call></recording>`,
					snap.recording, esc(c.m.space.uri), now.UTC().Format("20060102-150405"), c.id))
			case !recording && old.recording != "":
				n.emit("recordingEnd", now, fmt.Sprintf(`<recording id="%s"><call>%s</call></recording>`, old.recording, c.id))
				snap.recording = ""
			}
			calls[c.id] = snap
		}
		for _, l := range node.legs {
			snap := legSnap{id: l.id, callID: l.c.id, name: l.name, remote: l.remoteParty,
				local: l.c.m.space.uri + "@" + node.name, outgoing: l.outgoing, link: l.p == nil,
				started: l.started, media: l.media}
			legs[l.id] = snap
			if _, had := n.legs[l.id]; !had {
				n.emit("callLegStart", l.started, legStartXML(snap))
				n.emit("callLegUpdate", l.started.Add(time.Second), legUpdateXML(snap))
			}
		}
		for id, l := range n.legs {
			if _, still := legs[id]; !still {
				n.emit("callLegEnd", now, legEndXML(l, now))
				if c, ok := calls[l.callID]; ok && !l.link {
					c.completed++
					calls[l.callID] = c
				} else if c, ok := n.calls[l.callID]; ok && !l.link {
					c.completed++
					n.calls[l.callID] = c
				}
			}
		}
		for id, c := range n.calls {
			if _, still := calls[id]; !still {
				if c.recording != "" {
					n.emit("recordingEnd", now, fmt.Sprintf(`<recording id="%s"><call>%s</call></recording>`, c.recording, c.id))
				}
				n.emit("callEnd", now, callEndXML(c, now))
			}
		}
		n.calls, n.legs, n.seen = calls, legs, true
	}
}

func participantLegs(c *call) int {
	n := 0
	for _, l := range c.legs {
		if l.p != nil {
			n++
		}
	}
	return n
}

func (n *cdrNode) emit(typ string, t time.Time, inner string) {
	n.log = append(n.log, cdrRecord{typ: typ, time: t.UTC(), correlator: n.next, inner: inner})
	n.next++
}

// deliverCDRs posts each receiver's pending records, one batch after another until it is up
// to date or fails. Receivers are independent, as on CMS: one that fails (down, or refusing)
// keeps its records pending and does not hold up the others. It returns the first failure.
func (s *Sim) deliverCDRs(ctx context.Context, node string) error {
	var first error
	failed := map[string]bool{}
	for {
		post, done := s.nextPost(node, failed)
		if done {
			return first
		}
		status, err := s.postCDR(ctx, post.uri, post.body)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("cmssim: %s: CDR receiver answered %d", node, status)
		}
		s.cdr.mu.Lock()
		n := s.cdr.node(s, node)
		if r := n.receiver(post.id); r != nil && err == nil {
			r.delivered = max(r.delivered, post.upTo)
			r.index = max(r.index, post.index)
			r.lastErr = ""
			n.trim()
		} else if r != nil {
			r.lastErr = err.Error()
		}
		s.cdr.mu.Unlock()
		if err != nil {
			failed[post.id] = true
			if first == nil {
				first = err
			}
		}
	}
}

type cdrPost struct {
	id, uri string
	body    []byte
	upTo    int
	index   int64
}

// nextPost builds the next post for the first receiver with pending records that has not
// failed in this round.
func (s *Sim) nextPost(node string, failed map[string]bool) (cdrPost, bool) {
	f := &s.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.node(s, node)
	bridge := ""
	if len(s.state.nodes) > 1 {
		bridge = s.bridgeIDOf(node)
	}
	for _, r := range n.receivers {
		from := r.delivered - n.dropped
		if from >= len(n.log) || r.uri == "" || failed[r.id] {
			continue
		}
		recs := n.log[from:min(len(n.log), from+cdrBatch)]
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0"?><records session="` + n.session + `"`)
		if bridge != "" {
			b.WriteString(` callBridge="` + bridge + `"`)
		}
		b.WriteString(">")
		index := r.index
		for _, rec := range recs {
			index++
			fmt.Fprintf(&b, "<record type=%q time=%q recordIndex=\"%d\" correlatorIndex=\"%d\">%s</record>\n",
				rec.typ, rec.time.Format(time.RFC3339), index, rec.correlator, rec.inner)
		}
		b.WriteString("</records>")
		return cdrPost{id: r.id, uri: r.uri, body: b.Bytes(), upTo: r.delivered + len(recs), index: index}, false
	}
	return cdrPost{}, true
}

// bridgeIDOf reads a node's callBridge id; it is fixed at start, so no state lock is needed
// beyond what Nodes takes.
func (s *Sim) bridgeIDOf(node string) string {
	for _, n := range s.state.nodes {
		if strings.EqualFold(n.name, node) {
			return n.bridgeID
		}
	}
	return ""
}

// trim drops records every receiver acknowledged; without receivers the log keeps the last
// cdrBatch*10 records, as a bridge's buffer would.
func (n *cdrNode) trim() {
	low := n.dropped + len(n.log)
	for _, r := range n.receivers {
		low = min(low, r.delivered)
	}
	if len(n.receivers) == 0 {
		low = max(n.dropped, n.dropped+len(n.log)-cdrBatch*10)
	}
	if cut := low - n.dropped; cut > 0 {
		n.log = slices.Delete(n.log, 0, cut)
		n.dropped = low
	}
}

func (s *Sim) postCDR(ctx context.Context, uri string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.cdrClient().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// cdrClient posts to receivers: its own transport (never the environment's proxy) so that the
// emulator's API client pool stays separate.
func (s *Sim) cdrClient() *http.Client { return s.client }

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func callStartXML(c callSnap) string {
	return fmt.Sprintf(`<call id="%s"><name>%s</name><ownerName>%s</ownerName><callType>coSpace</callType><coSpace>%s</coSpace><callCorrelator>%s</callCorrelator></call>`,
		c.id, esc(c.name), esc(c.owner), c.space, c.correlator)
}

func callEndXML(c callSnap, now time.Time) string {
	return fmt.Sprintf(`<call id="%s"><callLegsCompleted>%d</callLegsCompleted><callLegsMaxActive>%d</callLegsMaxActive><durationSeconds>%d</durationSeconds></call>`,
		c.id, c.completed, c.maxActive, seconds(now.Sub(c.started)))
}

func legStartXML(l legSnap) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<callLeg id="%s"><displayName>%s</displayName><localAddress>%s</localAddress><remoteParty>%s</remoteParty><remoteAddress>%s</remoteAddress>`,
		l.id, esc(l.name), esc(l.local), esc(l.remote), esc(l.remote))
	if l.link {
		b.WriteString(`<type>acano</type><subType>distributionLink</subType>`)
	} else {
		b.WriteString(`<type>sip</type>`)
	}
	fmt.Fprintf(&b, `<direction>%s</direction><call>%s</call><guestConnection>false</guestConnection></callLeg>`, direction(l.outgoing), l.callID)
	return b.String()
}

func legUpdateXML(l legSnap) string {
	return fmt.Sprintf(`<callLeg id="%s"><state>connected</state><call>%s</call><deactivated>false</deactivated><displayName>%s</displayName><remoteAddress>%s</remoteAddress><canMove>true</canMove><confirmationStatus>notRequired</confirmationStatus></callLeg>`,
		l.id, l.callID, esc(l.name), esc(l.remote))
}

// legEndXML reports the leg's duration and its media. The alarms' durationPercentage grows
// with how far the leg's baseline is past the alarm threshold, so the demo's poor legs report
// poor quality in history too.
func legEndXML(l legSnap, now time.Time) string {
	d := seconds(now.Sub(l.started))
	var b strings.Builder
	fmt.Fprintf(&b, `<callLeg id="%s"><reason>remoteTeardown</reason><remoteTeardown>true</remoteTeardown><durationSeconds>%d</durationSeconds><activatedDuration>%d</activatedDuration>`, l.id, d, d)
	m := l.media
	fmt.Fprintf(&b, `<mediaUsagePercentages><mainVideoViewer>%s</mainVideoViewer><mainVideoContributor>%s</mainVideoContributor></mediaUsagePercentages>`,
		pct(videoShare(m)), pct(videoShare(m)))
	if loss := float64(m.loss); loss > alarmLossPercent/3 {
		fmt.Fprintf(&b, `<alarm type="packetLoss" durationPercentage="%s" />`, pct(loss/alarmLossPercent*30))
	}
	if j := float64(m.jitter); j > alarmJitterMs/3 {
		fmt.Fprintf(&b, `<alarm type="excessiveJitter" durationPercentage="%s" />`, pct(j/alarmJitterMs*30))
	}
	if r := float64(m.rtt); r > alarmRoundTripMs/3 {
		fmt.Fprintf(&b, `<alarm type="highRoundTripTime" durationPercentage="%s" />`, pct(r/alarmRoundTripMs*30))
	}
	fmt.Fprintf(&b, `<encryptedMedia>true</encryptedMedia><rxAudio><codec>%s</codec></rxAudio><txAudio><codec>%s</codec></txAudio>`, m.audioCodec, m.audioCodec)
	if m.videoCodec != "" {
		fmt.Fprintf(&b, `<rxVideo><codec>%[1]s</codec><maxSizeWidth>%[2]d</maxSizeWidth><maxSizeHeight>%[3]d</maxSizeHeight></rxVideo><txVideo><codec>%[1]s</codec><maxSizeWidth>%[2]d</maxSizeWidth><maxSizeHeight>%[3]d</maxSizeHeight></txVideo>`,
			m.videoCodec, m.width, m.height)
	}
	b.WriteString(`</callLeg>`)
	return b.String()
}

func videoShare(m media) float64 {
	if m.videoCodec == "" {
		return 0
	}
	return 99.9
}

func pct(v float64) string { return fmt.Sprintf("%.1f", math.Min(100, math.Max(0, v))) }
