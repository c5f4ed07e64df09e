package cdr

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// example reads one of cms-cdr.md's XML examples, kept verbatim in testdata. The guide's bare
// <record> snippets (*.record.xml) are wrapped in the <records> envelope of the post they came
// from, since CMS only ever posts whole documents.
func example(t *testing.T, name, session, callBridge string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".record.xml") {
		return b
	}
	env := `<records session="` + session + `"`
	if callBridge != "" {
		env += ` callBridge="` + callBridge + `"`
	}
	return []byte(env + ">\n" + string(b) + "</records>\n")
}

const (
	sessReadme    = "290da844-0ebd-4b42-8049-e264375f1d33"
	sessClustered = "8bf2f897-e4d6-4217-81d2-1ad41c245389"
	cbClustered   = "04aec22b-20bb-4e71-b5bc-3e82279fb4ac"
	sessSIP       = "a865433a-4926-4549-a701-9bb5b93c75e6"
	cbSIP         = "158ba4f7-70eb-4a35-982c-71d4f1674277"
	sess2017      = "5552fc55-8d82-4963-8f99-d5a0be6e2f92"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeExamples(t *testing.T) {
	tests := []struct {
		file, session, callBridge string
		check                     func(t *testing.T, b Batch)
	}{
		{"callstart-readme.xml", "", "", func(t *testing.T, b Batch) {
			want(t, b.Session, sessReadme)
			want(t, b.CallBridge, "")
			r := one(t, b, TypeCallStart)
			want(t, r.CorrelatorIndex, int64(6))
			want(t, r.RecordIndex, int64(1))
			want(t, r.Time, time.Date(2019, 4, 4, 15, 28, 37, 0, time.UTC))
			c := r.Call
			want(t, c.ID, "634f5879-6907-429d-949a-ef630079cdbe")
			want(t, c.Name, "Kashyyyk Civil Engineering")
			want(t, c.CallType, "coSpace")
			want(t, c.CoSpace, "6bbd1f1f-2bc0-44d8-9cba-73ebd5bc2657")
			want(t, c.CallCorrelator, "9f302948-f856-4c7f-8655-d45e4de22a8e")
			if !strings.HasPrefix(string(r.XML), `<record type="callStart"`) || !strings.HasSuffix(string(r.XML), "</record>") {
				t.Errorf("raw XML = %q, want the <record> element", r.XML)
			}
		}},
		{"callstart-clustered.xml", "", "", func(t *testing.T, b Batch) {
			want(t, b.CallBridge, cbClustered)
			r := one(t, b, TypeCallStart)
			want(t, r.CorrelatorIndex, int64(196284))
			want(t, r.Call.Name, "Test")
			want(t, r.Call.Tenant, "5f90ff0f-0705-4341-9b20-42b8df54c012")
			want(t, r.Call.CallCorrelator, "4417fa02-5538-48cc-a835-ff854afc0d8c")
		}},
		{"sip-legstart.xml", "", "", func(t *testing.T, b Batch) {
			want(t, b.CallBridge, cbSIP)
			l := one(t, b, TypeCallLegStart).Leg
			want(t, l.ID, "9cfdb064-3ae9-4b08-a003-6478187f375f")
			want(t, l.RemoteParty, "sipclient2@example.com")
			want(t, l.LocalAddress, "access2@127.0.0.1")
			want(t, l.Type, "sip")
			want(t, l.Direction, "incoming")
			want(t, l.GroupID, "3420c93f-f33c-4c9e-be95-d0d1bfb207f0")
			want(t, l.SipCallID, "a939937c-8b5e-4376-92de-97635983d7ef")
			want(t, l.Call, "")
		}},
		{"sip-legupdate.record.xml", sessSIP, cbSIP, func(t *testing.T, b Batch) {
			l := one(t, b, TypeCallLegUpdate).Leg
			want(t, l.State, "connected")
			want(t, l.Call, "46d49cb4-8171-4abc-97f5-b88035b1da0a")
		}},
		{"legend-callend-multi.xml", "", "", func(t *testing.T, b Batch) {
			if len(b.Records) != 2 {
				t.Fatalf("%d records, want 2", len(b.Records))
			}
			l := b.Records[0].Leg
			want(t, b.Records[0].Type, TypeCallLegEnd)
			want(t, l.Reason, "remoteTeardown")
			want(t, l.RemoteTeardown, ptr(true))
			want(t, l.DurationSeconds, ptr(3912))
			want(t, l.ActivatedDuration, ptr(3912))
			want(t, l.MediaUsage.MainVideoViewer, ptr(99.9))
			want(t, l.MediaUsage.MainVideoContributor, ptr(99.9))
			if l.MediaUsage.PresentationContributor != nil {
				t.Error("presentationContributor set, but absent from the post")
			}
			want(t, len(l.Alarms), 2)
			want(t, l.Alarms[0], Alarm{AlarmPacketLoss, 0.1})
			want(t, l.Alarms[1], Alarm{AlarmJitter, 0})
			want(t, l.EncryptedMedia, ptr(true))
			want(t, *l.RxAudio, Media{Codec: "opus"})
			want(t, *l.TxVideo, Media{Codec: "h264", MaxSizeWidth: 1280, MaxSizeHeight: 720})
			c := b.Records[1]
			want(t, c.Type, TypeCallEnd)
			want(t, c.Call.ID, "f54bfbc3-c11e-47a6-a918-6a308018ac1d")
			want(t, c.Call.LegsCompleted, ptr(3))
			want(t, c.Call.LegsMaxActive, ptr(3))
			want(t, c.Call.DurationSeconds, ptr(3955))
		}},
		{"lobby-update-end.record.xml", sessClustered, cbClustered, func(t *testing.T, b Batch) {
			if len(b.Records) != 2 {
				t.Fatalf("%d records, want 2", len(b.Records))
			}
			u := b.Records[0].Leg
			want(t, u.Deactivated, ptr(false))
			want(t, u.CanMove, ptr(true))
			want(t, u.RemoteAddress, "0701234567@node01.example.org")
			want(t, u.ConfirmationStatus, "notRequired")
			want(t, u.SipCallID, "1B014FC3-D50011EC-832E975D-E41722E3@cube01.smartmeeting.se")
			e := b.Records[1].Leg
			want(t, e.ConfirmationStatus, "rejected")
			want(t, e.DurationSeconds, ptr(98))
			want(t, b.Records[1].CorrelatorIndex, int64(196291))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := Decode(example(t, tt.file, tt.session, tt.callBridge))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range b.Records {
				want(t, r.Session, b.Session)
			}
			tt.check(t, b)
		})
	}
}

func TestDecodeEveryField(t *testing.T) {
	// Fields the guides list that the captured examples do not carry.
	body := `<records session="s1" callBridge="cb">
<record type="callEnd" time="2024-01-02T03:04:05Z" recordIndex="1" correlatorIndex="10" numPreceedingRecordsMissing="2">
 <call id="c1"><callLegsCompleted>1</callLegsCompleted><callLegsMaxActive>1</callLegsMaxActive><durationSeconds>60</durationSeconds><endpointRecorded>true</endpointRecorded></call></record>
<record type="callLegStart" time="2024-01-02T03:04:05Z" recordIndex="2" correlatorIndex="11">
 <callLeg id="l1"><cdrTag>tag</cdrTag><displayName>Ann</displayName><guestConnection>true</guestConnection><remoteAddress>ra</remoteAddress>
 <type>sip</type><subType>lync</subType><lyncSubType>audioVideo</lyncSubType><direction>outgoing</direction><call>c1</call><ownerId>o1</ownerId>
 <recording>false</recording><streaming>true</streaming><canMove>false</canMove><movedCallLeg>l0</movedCallLeg><movedCallLegCallBridge>cb0</movedCallLegCallBridge></callLeg></record>
<record type="callLegUpdate" time="2024-01-02T03:04:06Z" recordIndex="3" correlatorIndex="12">
 <callLeg id="l1"><state>connected</state><ivr/><deactivated>true</deactivated><displayName>Ann B</displayName><callMove><x>1</x></callMove></callLeg></record>
<record type="callLegEnd" time="2024-01-02T03:05:06Z" recordIndex="4" correlatorIndex="13">
 <callLeg id="l1"><mediaUsagePercentages><presentationContributor>1.5</presentationContributor><multiStreamVideo>2.5</multiStreamVideo></mediaUsagePercentages>
 <alarm type="highRoundTripTime" durationPercentage="12.5"/><unencryptedMedia>true</unencryptedMedia><rxVideo><codec>vp8</codec><packetStatistics><a>1</a></packetStatistics></rxVideo></callLeg></record>
<record type="recordingStart" time="2024-01-02T03:04:07Z" recordIndex="5" correlatorIndex="14"><recording id="r1"><path>/rec/1</path><call>c1</call><callLeg>l2</callLeg></recording></record>
<record type="recordingEnd" time="2024-01-02T03:05:07Z" recordIndex="6" correlatorIndex="15"><recording id="r1"/></record>
<record type="streamingStart" time="2024-01-02T03:04:08Z" recordIndex="7" correlatorIndex="16"><streaming id="s1"><streamUrl>rtmp://x/y</streamUrl><call>c1</call><callLeg>l3</callLeg></streaming></record>
<record type="streamingEnd" time="2024-01-02T03:05:08Z" recordIndex="8" correlatorIndex="17"><streaming id="s1"/></record>
<record type="somethingNew" time="2024-01-02T03:05:09Z" recordIndex="9" correlatorIndex="18"><thing/></record>
</records>`
	b, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 9 {
		t.Fatalf("%d records, want 9", len(b.Records))
	}
	r := b.Records
	want(t, r[0].PrecedingMissing, 2)
	want(t, r[0].Call.EndpointRecorded, ptr(true))
	s := r[1].Leg
	want(t, s.CDRTag, "tag")
	want(t, s.GuestConnection, ptr(true))
	want(t, s.SubType, "lync")
	want(t, s.LyncSubType, "audioVideo")
	want(t, s.OwnerID, "o1")
	want(t, s.Recording, ptr(false))
	want(t, s.Streaming, ptr(true))
	want(t, s.CanMove, ptr(false))
	want(t, s.MovedCallLeg, "l0")
	want(t, s.MovedCallLegCallBridge, "cb0")
	u := r[2].Leg
	want(t, u.IVR, true)
	want(t, u.Deactivated, ptr(true))
	want(t, u.CallMove, "<x>1</x>")
	e := r[3].Leg
	want(t, e.MediaUsage.PresentationContributor, ptr(1.5))
	want(t, e.MediaUsage.MultiStreamVideo, ptr(2.5))
	want(t, e.Alarms, []Alarm{{AlarmHighRTT, 12.5}})
	want(t, e.UnencryptedMedia, ptr(true))
	want(t, e.RxVideo.PacketStatistics, "<a>1</a>")
	want(t, *r[4].Recording, RecordingInfo{ID: "r1", Path: "/rec/1", Call: "c1", CallLeg: "l2"})
	want(t, *r[6].Streaming, StreamingInfo{ID: "s1", StreamURL: "rtmp://x/y", Call: "c1", CallLeg: "l3"})
	want(t, r[8].Type, "somethingNew")
	if r[8].Call != nil || r[8].Leg != nil {
		t.Error("an unknown record type got a payload")
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := `<record type="callStart" time="2024-01-02T03:04:05Z" recordIndex="1" correlatorIndex="1"><call id="c1"><name>A</name></call></record>`
	tests := []struct {
		name, body string
		kept       int
		reason     string
	}{
		{"empty", "", 0, "no XML element"},
		{"not XML", "hello", 0, "text before"},
		{"wrong root", `<calls/>`, 0, "want <records>"},
		{"no session", `<records>` + good + `</records>`, 0, "no session"},
		{"truncated", `<records session="s">` + good + `<record type="callEnd"`, 1, "record"},
		{"unterminated", `<records session="s">` + good, 1, "unterminated"},
		{"bad time", `<records session="s">` + good + `<record type="callEnd" time="yesterday" correlatorIndex="2"><call id="c1"/></record></records>`, 1, `time "yesterday"`},
		{"bad number", `<records session="s">` + good + `<record type="callEnd" time="2024-01-02T03:04:05Z" correlatorIndex="2"><call id="c1"><durationSeconds>ten</durationSeconds></call></record></records>`, 1, `durationSeconds "ten"`},
		{"no correlatorIndex", `<records session="s"><record type="callEnd" time="2024-01-02T03:04:05Z"><call id="c1"/></record></records>`, 0, "correlatorIndex"},
		{"no call id", `<records session="s"><record type="callStart" time="2024-01-02T03:04:05Z" correlatorIndex="3"><call/></record></records>`, 0, "without <call id>"},
		{"bad bool", `<records session="s"><record type="callLegEnd" time="2024-01-02T03:04:05Z" correlatorIndex="3"><callLeg id="l"><encryptedMedia>yes</encryptedMedia></callLeg></record></records>`, 0, "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.body))
			var me *MalformedError
			if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want a *MalformedError", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %q, want it to say %q", err, tt.reason)
			}
			if len(b.Records) != tt.kept {
				t.Errorf("%d records kept, want %d", len(b.Records), tt.kept)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"callstart-readme.xml", "callstart-clustered.xml", "sip-legstart.xml", "legend-callend-multi.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := Decode(body)
		if err == nil && b.Session == "" {
			t.Fatal("a batch without a session decoded cleanly")
		}
		for _, r := range b.Records {
			if r.Session == "" || r.Type == "" {
				t.Fatalf("incomplete record kept: %+v", r)
			}
			_ = Project("cb1", r)
		}
	})
}

func one(t *testing.T, b Batch, typ string) Record {
	t.Helper()
	if len(b.Records) != 1 || b.Records[0].Type != typ {
		t.Fatalf("records = %+v, want one %s", b.Records, typ)
	}
	return b.Records[0]
}

func want[T any](t *testing.T, got, want T) {
	t.Helper()
	if !equal(got, want) {
		t.Errorf("got %+v, want %+v", show(got), show(want))
	}
}
