package cmssim

import (
	"fmt"
	"strings"
	"time"
)

var (
	firstNames = []string{"Alice", "Bjarne", "Chen", "Dolores", "Emeka", "Fatima", "Gustav", "Hiroshi",
		"Ingrid", "Jamal", "Katarzyna", "Luis", "Mei", "Nikolai", "Olga", "Priya", "Quentin", "Rosa",
		"Sven", "Tamar", "Umar", "Valentina", "Wei", "Ximena", "Yusuf", "Zofia", "Aoife", "Bruno",
		"Camille", "Dmitri", "Elif", "Farid", "Greta", "Hamid", "Isabela", "Jonas"}
	lastNames = []string{"Andersson", "Okafor", "Nakamura", "Fernández", "Kowalski", "Haddad", "Müller",
		"Patel", "Rossi", "Johansson", "Dubois", "Kim", "Novak", "Silva", "O'Brien", "Ivanova",
		"Nguyen", "Schmidt", "García", "Lindqvist", "Mensah", "Costa", "Yilmaz", "Larsen"}
	rooms   = []string{"Boardroom", "Fjord", "Atlas", "Harbour", "Summit", "Aurora", "Lighthouse", "Meridian"}
	domains = []string{"example.com", "contoso.example", "fabrikam.example", "partner.example.org"}
)

// demoMeeting: name, owner index, participant count, how many nodes it spans (0 = all).
var demoMeetings = []struct {
	name  string
	size  int
	nodes int
}{
	{"All hands Q3", 40, 0},
	{"Weekly engineering sync", 12, 2},
	{"Board review", 6, 1},
	{"Incident bridge – payments", 9, 2},
	{"Sales kickoff EMEA", 25, 3},
	{"Design critique", 4, 1},
	{"Customer escalation – Contoso", 5, 1},
	{"Product roadmap", 15, 1},
	{"Recruiting panel", 3, 1},
	{"Finance close", 8, 1},
	{"Support standup", 2, 1},
	{"Partner briefing", 18, 2},
}

// buildDemo fills the cluster with a dozen realistic meetings; everything derives from the seed.
func buildDemo(st *state) {
	now := st.now()
	k := 0 // participant counter across meetings: drives the deterministic "special" legs
	for i, dm := range demoMeetings {
		spread := dm.nodes
		if spread == 0 || spread > len(st.nodes) {
			spread = len(st.nodes)
		}
		first := i % len(st.nodes)
		m := st.newMeeting(dm.name, personName(st, i*7))
		started := now.Add(-time.Duration(2+st.rng.IntN(90)) * time.Minute)
		used := map[string]bool{}
		for j := range dm.size {
			n := st.nodes[(first+j%spread)%len(st.nodes)]
			ps := demoParticipant(st, used, k)
			joined := started.Add(time.Duration(st.rng.Int64N(int64(now.Sub(started)) + 1)))
			l := st.join(m, n, ps, joined)
			if j == 0 {
				l.p.isActor = true
			}
			k++
		}
	}
}

func personName(st *state, salt int) string {
	return firstNames[(salt+st.rng.IntN(len(firstNames)))%len(firstNames)] + " " +
		lastNames[st.rng.IntN(len(lastNames))]
}

// demoParticipant makes participant number k: a person on SIP or a user@domain address, a
// room system, or a phone on an E.164 number, with a few deliberate problems and overrides.
func demoParticipant(st *state, used map[string]bool, k int) ParticipantSpec {
	var ps ParticipantSpec
	switch {
	case k%9 == 4: // a phone dialling in through a gateway
		ps.Name = fmt.Sprintf("+1 415 555 %04d", st.rng.IntN(10000))
		ps.URI = "+1415555" + strings.ReplaceAll(ps.Name[len(ps.Name)-4:], " ", "") + "@gw.example.com"
		ps.Media = Media{AudioOnly: true, AudioCodec: []string{"g711u", "g722"}[k%2]}
	case k%11 == 6: // a room system
		room := fmt.Sprintf("%s %d", rooms[st.rng.IntN(len(rooms))], 1+st.rng.IntN(9))
		ps.Name = room + " (Room Kit)"
		ps.URI = slugify(room) + "@video.example.com"
	default:
		for {
			ps.Name = personName(st, k)
			if !used[ps.Name] {
				break
			}
		}
		first, last, _ := strings.Cut(strings.ToLower(ps.Name), " ")
		ps.URI = asciiOnly(first) + "." + asciiOnly(last) + "@" + domains[st.rng.IntN(len(domains))]
		if k%5 == 2 {
			ps.URI = "sip:" + ps.URI
		}
	}
	used[ps.Name] = true
	switch {
	case k%23 == 5:
		ps.Media.PacketLoss = 4 + float64(st.rng.IntN(50))/10 // 4.0–8.9 %
	case k%29 == 7:
		ps.Media.Jitter = 50 + st.rng.IntN(40)
	}
	ps.RxAudioMute = k%7 == 3
	ps.RxVideoMute = k%11 == 4 && !ps.Media.AudioOnly
	ps.TxAudioMute = k%31 == 12
	if k%13 == 6 {
		ps.ChosenLayout = layouts[k%len(layouts)]
	}
	if k%19 == 1 {
		imp := 1 + k%3
		ps.Importance = &imp
	}
	ps.Outgoing = k%8 == 0
	return ps
}

func asciiOnly(s string) string {
	repl := strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n", "'", "")
	return repl.Replace(s)
}

// Limits of ScenarioScale: large enough for 24 nodes × 500 meetings × 5000 legs with room to
// spare, small enough that a typo cannot eat the machine.
const (
	maxScaleMeetings = 10000
	maxScaleLegs     = 200000
)

// buildScale creates sc.Meetings meetings holding sc.Legs participant legs in total; most
// meetings live on one node, every tenth spans three, so distribution links exist too.
func buildScale(st *state, sc Scale) error {
	if sc.Meetings < 0 || sc.Meetings > maxScaleMeetings || sc.Legs < 0 || sc.Legs > maxScaleLegs {
		return fmt.Errorf("cmssim: scale %d meetings × %d legs: want ≤ %d × %d",
			sc.Meetings, sc.Legs, maxScaleMeetings, maxScaleLegs)
	}
	if sc.Meetings == 0 && sc.Legs > 0 {
		return fmt.Errorf("cmssim: scale: %d legs need at least one meeting", sc.Legs)
	}
	now := st.now()
	leg := 0
	for i := range sc.Meetings {
		size := sc.Legs / sc.Meetings
		if i < sc.Legs%sc.Meetings {
			size++
		}
		m := st.newMeeting(fmt.Sprintf("Scale meeting %04d", i+1), "")
		started := now.Add(-time.Duration(1+i%120) * time.Minute)
		spread := 1
		if i%10 == 0 {
			spread = min(3, len(st.nodes))
		}
		if size == 0 {
			m.activeIfEmpty = true
			st.instance(m, st.nodes[i%len(st.nodes)], started)
		}
		for j := range size {
			n := st.nodes[(i+j%spread)%len(st.nodes)]
			leg++
			name := fmt.Sprintf("User %05d", leg)
			st.join(m, n, ParticipantSpec{Name: name, URI: fmt.Sprintf("user%05d@scale.example.com", leg)}, started)
		}
	}
	return nil
}
