package cms

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readWireSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptrOf[T any](v T) *T { return &v }

// Every list sample quoted in cms-api.md decodes to the values it shows.
func TestDecodeLists(t *testing.T) {
	tests := []struct {
		file      string
		decode    func([]byte) (int, any, error)
		wantTotal int
		want      any
	}{
		{"calls_trace.xml", anyPage(decodeCalls), 1, []Call{{
			ID: "ce5ee392-7be6-4227-a7ee-b4f16a5fdd16", Name: "Tim Kratzke Acano TMSXE Test Meeting",
			CoSpace: "458075bc-6def-4052-8ed6-b1192d6e6b35", CallCorrelator: "76331036-6887-4d88-87ea-2a24a2f585d4",
		}}},
		{"calls_doc.xml", anyPage(decodeCalls), 1, []Call{{
			ID: "b393d2cb-60ec-418c-9991-6ef4e72fa47b", Name: "Dev Space",
			CoSpace: "e647231e-e1db-435b-b96f-9c7a83d488a2", CallCorrelator: "9fea4ad1-953a-4801-b4cd-b9382c43b077",
		}}},
		{"calllegs_doc.xml", anyPage(decodeCallLegs), 1, []CallLeg{{
			ID: "dbe60866-061d-49b3-8399-e95d6248bc2d", Name: "Bjarne Stroustrup",
			RemoteParty: "bjarne@ciscolabs.com", OriginalRemoteParty: "bjarne@ciscolabs.com",
			Call: "b393d2cb-60ec-418c-9991-6ef4e72fa47b",
		}}},
		{"calllegs_empty_trace.xml", anyPage(decodeCallLegs), 0, []CallLeg{}},
		{"participants_doc.xml", anyPage(decodeParticipants), 1, []Participant{{
			ID: "dbe60866-061d-49b3-8399-e95d6248bc2d", Name: "Bjarne Stroustrup",
			Call: "b393d2cb-60ec-418c-9991-6ef4e72fa47b",
		}}},
		{"participants_empty_trace.xml", anyPage(decodeParticipants), 0, []Participant{}},
		{"callbridges_trace.xml", anyPage(decodeCallBridges), 2, []CallBridge{
			{ID: "0e3758db-b9b8-49df-a74c-55fa05e3e21d", Name: "CallBridge-Core1"},
			{ID: "cfe31846-ca57-4703-9e11-da3e72a13066", Name: "CallBridge-Core2"},
		}},
		{"callbridges_empty_doc.xml", anyPage(decodeCallBridges), 0, []CallBridge{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			total, got, err := tt.decode(readWireSample(t, tt.file))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if total != tt.wantTotal {
				t.Errorf("total = %d, want %d", total, tt.wantTotal)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func anyPage[T any](f pageDecoder[T]) func([]byte) (int, any, error) {
	return func(b []byte) (int, any, error) {
		n, items, err := f(b)
		return n, items, err
	}
}

// Every single-object sample quoted in cms-api.md decodes to the values it shows.
func TestDecodeObjects(t *testing.T) {
	tests := []struct {
		file string
		root string
		conv func(t *testing.T, body []byte, root string) any
		want any
	}{
		{"call_doc.xml", "call", convCall, CallDetail{
			Call: Call{ID: "b393d2cb-60ec-418c-9991-6ef4e72fa47b", Name: "Dev Space",
				CoSpace: "e647231e-e1db-435b-b96f-9c7a83d488a2", CallCorrelator: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
			CallType: "coSpace", OwnerName: "Bjarne Stroustrup", DurationSeconds: 170, NumCallLegs: 1,
			MaxCallLegs: 1, NumParticipantsLocal: 1, Streaming: true, MessagePosition: "middle", MessageDuration: "0",
		}},
		{"call_mividas.xml", "call", convCall, CallDetail{
			Call:            Call{ID: "935a38b8-0a80-4965-9db4-f02ab1a813d2", CoSpace: "22f67f91-1948-47ec-ad4f-4793458cfe0c"},
			DurationSeconds: 193, NumCallLegs: 7, MaxCallLegs: 7, NumParticipantsLocal: 7,
			MessagePosition: "middle", MessageDuration: "0",
		}},
		{"callleg_doc.xml", "callLeg", convLeg, CallLegDetail{
			CallLeg: CallLeg{ID: "dbe60866-061d-49b3-8399-e95d6248bc2d", Name: "Bjarne Stroustrup",
				RemoteParty: "bjarne@ciscolabs.com", OriginalRemoteParty: "bjarne@ciscolabs.com",
				Call: "b393d2cb-60ec-418c-9991-6ef4e72fa47b"},
			Type: "acano", Direction: "incoming",
			Status: LegStatus{State: "connected", DurationSeconds: 1057, GroupID: "dbe60866-061d-49b3-8399-e95d6248bc2d",
				EncryptedMedia: true, Layout: "telepresence",
				RxAudio: &AudioStats{Codec: "opus", Jitter: 9, BitRate: 38539},
				TxAudio: &AudioStats{Codec: "opus", Jitter: 2, BitRate: 64000, RoundTripTime: 1},
				RxVideo: []VideoStats{{Role: "main", Codec: "h264", BitRate: 1975241, Jitter: 11}},
				TxVideo: []VideoStats{{Role: "main", Codec: "h264", Width: 128, Height: 128, FrameRate: 4.9,
					BitRate: 678, Jitter: 4, RoundTripTime: 1}},
			},
		}},
		{"callleg_mividas.xml", "callLeg", convLeg, CallLegDetail{
			CallLeg: CallLeg{ID: "976dacd8-bc6b-4526-8bb7-d9050740b7c7", Name: "Test",
				RemoteParty: "test@example.org", OriginalRemoteParty: "test@example.or",
				Call: "935a38b8-0a80-4965-9db4-f02ab1a813d2"},
			Type: "acano", Direction: "incoming",
			Config: LegConfig{DefaultLayout: "telepresence"},
			Status: LegStatus{State: "connected", DurationSeconds: 154, GroupID: "ab76c84c-74be-46e5-81d4-22e06e7de3ac",
				EncryptedMedia: true, CipherSuite: "AES_CM_128_HMAC_SHA1_80", Layout: "allEqual",
				RxAudio: &AudioStats{Codec: "opus", Jitter: 2, BitRate: 35961},
				TxAudio: &AudioStats{Codec: "opus", Jitter: 3, BitRate: 64000, PacketLossPercentage: 0.7, RoundTripTime: 4},
				RxVideo: []VideoStats{{Role: "main", Codec: "h264", Width: 1280, Height: 720, FrameRate: 9.9,
					BitRate: 20969, Jitter: 10}},
				TxVideo: []VideoStats{{Role: "main", Codec: "h264", Width: 640, Height: 480, FrameRate: 6.9,
					BitRate: 450018, Jitter: 4, RoundTripTime: 2}},
			},
		}},
		{"participant_doc.xml", "participant", convParticipant, Participant{
			ID: "dbe60866-061d-49b3-8399-e95d6248bc2d", Name: "Ken Thompson",
			Call: "b393d2cb-60ec-418c-9991-6ef4e72fa47b", URI: "ken@ciscolabs.com",
			OriginalURI: "ken@ciscolabs.com", NumCallLegs: 1, State: "connected",
		}},
		{"status_doc.xml", "status", convStatus, SystemStatus{
			SoftwareVersion: "2.6.1", UptimeSeconds: 90730, CallLegsActive: 1, CallLegsMaxActive: 2,
			CallLegsCompleted: 2, AudioBitRateOutgoing: 67932, AudioBitRateIncoming: 40380,
			VideoBitRateOutgoing: 839, VideoBitRateIncoming: 2416854,
		}},
		{"status_trace.xml", "status", convStatus, SystemStatus{
			SoftwareVersion: "2.0(RC)", UptimeSeconds: 333717, ClusterEnabled: true, CallLegsMaxActive: 3,
		}},
		{"callbridge_trace.xml", "callBridge", convBridge, CallBridge{
			ID: "0e3758db-b9b8-49df-a74c-55fa05e3e21d", Name: "CallBridge-Core1", Address: "https://14.80.82.30",
		}},
		{"callbridge_doc.xml", "callBridge", convBridge, CallBridge{
			ID: "0e86b926-c4b9-459d-8ec6-bc547abbb2d1", Name: "na-cb-1", Address: "https://1.1.1.1:8443",
		}},
		{"cluster_doc.xml", "cluster", convCluster, ClusterConfig{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := tt.conv(t, readWireSample(t, tt.file), tt.root)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func decodeSample(t *testing.T, body []byte, root string, v any) {
	t.Helper()
	if err := decodeRoot(body, root, v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func convCall(t *testing.T, b []byte, root string) any {
	var x xCall
	decodeSample(t, b, root, &x)
	return x.detail()
}

func convLeg(t *testing.T, b []byte, root string) any {
	var x xCallLeg
	decodeSample(t, b, root, &x)
	return x.detail()
}

func convParticipant(t *testing.T, b []byte, root string) any {
	var x xParticipant
	decodeSample(t, b, root, &x)
	return x.participant()
}

func convStatus(t *testing.T, b []byte, root string) any {
	var x xSystemStatus
	decodeSample(t, b, root, &x)
	return x.status()
}

func convBridge(t *testing.T, b []byte, root string) any {
	var x xCallBridge
	decodeSample(t, b, root, &x)
	return x.bridge()
}

func convCluster(t *testing.T, b []byte, root string) any {
	var x xCluster
	decodeSample(t, b, root, &x)
	return ClusterConfig{UniqueName: str(x.UniqueName)}
}

// The decoder tolerates what real CMS emits beyond the samples.
func TestDecodeTolerance(t *testing.T) {
	tests := []struct {
		name string
		body string
		want CallLegDetail
	}{
		{"subtype lowercase", `<callLeg id="a"><subtype>distributionLink</subtype></callLeg>`,
			CallLegDetail{CallLeg: CallLeg{ID: "a"}, SubType: "distributionLink"}},
		{"subType camel", `<callLeg id="a"><subType>lyncDistribution</subType></callLeg>`,
			CallLegDetail{CallLeg: CallLeg{ID: "a"}, SubType: "lyncDistribution"}},
		{"explicit mutes and chosenLayout", `<callLeg id="a"><configuration><chosenLayout>stacked</chosenLayout>
			<rxAudioMute>true</rxAudioMute><txAudioMute>false</txAudioMute><rxVideoMute>true</rxVideoMute>
			<txVideoMute> true </txVideoMute></configuration></callLeg>`,
			CallLegDetail{CallLeg: CallLeg{ID: "a"}, Config: LegConfig{ChosenLayout: "stacked",
				RxAudioMute: true, RxVideoMute: true, TxVideoMute: true}}},
		{"alarms and unknown elements", `<?xml version="1.0"?><callLeg id="a"><futureThing><x/></futureThing>
			<alarms><packetLoss/><highRoundTripTime/></alarms><name>
			  Eve </name><chosenLayout></chosenLayout></callLeg>`,
			CallLegDetail{CallLeg: CallLeg{ID: "a", Name: "Eve", Alarms: []string{"packetLoss", "highRoundTripTime"}}}},
		{"bad numbers are zero", `<callLeg id="a"><status><durationSeconds>soon</durationSeconds></status></callLeg>`,
			CallLegDetail{CallLeg: CallLeg{ID: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convLeg(t, []byte(tt.body), "callLeg")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeTriStates(t *testing.T) {
	tests := []struct {
		body           string
		wantOverride   *bool
		wantImportance *int
	}{
		{`<x id="a"/>`, nil, nil},
		{`<x id="a"><joinAudioMuteOverride/><configuration><importance></importance></configuration></x>`, nil, nil},
		{`<x id="a"><joinAudioMuteOverride>true</joinAudioMuteOverride><configuration><importance>3</importance></configuration></x>`, ptrOf(true), ptrOf(3)},
		{`<x id="a"><joinAudioMuteOverride>false</joinAudioMuteOverride><configuration><importance>0</importance></configuration></x>`, ptrOf(false), ptrOf(0)},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			var c xCall
			var p xParticipant
			decodeSample(t, []byte(tt.body), "x", &c)
			decodeSample(t, []byte(tt.body), "x", &p)
			if got := c.detail().JoinAudioMuteOverride; !reflect.DeepEqual(got, tt.wantOverride) {
				t.Errorf("JoinAudioMuteOverride = %v, want %v", got, tt.wantOverride)
			}
			if got := p.participant().Importance; !reflect.DeepEqual(got, tt.wantImportance) {
				t.Errorf("Importance = %v, want %v", got, tt.wantImportance)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, body := range []string{"", "not xml", "<calls total=\"1\"><call id=\"a\">", "<callLeg id=\"a\"/>"} {
		t.Run(body, func(t *testing.T) {
			_, _, err := decodeCalls([]byte(body))
			if !errors.Is(err, ErrMalformedResponse) {
				t.Errorf("err = %v, want ErrMalformedResponse", err)
			}
		})
	}
}

// Every failureDetails sample maps to the right reason and sentinels.
func TestParseFailure(t *testing.T) {
	tests := []struct {
		file   string
		want   failure
		is     []error
		isNot  []error
		status int
	}{
		{"failure_cospace_trace.xml", failure{Reason: "coSpaceDoesNotExist"}, []error{ErrNotFound}, []error{ErrCallNotFound, ErrParameter}, 404},
		{"failure_accessmethod.xml", failure{Reason: "accessMethodDoesNotExist"}, []error{ErrNotFound}, []error{ErrCallLegNotFound}, 400},
		{"failure_parameter.xml", failure{Reason: "parameterError", Parameter: "streamUrl", Error: "invalidValue"}, []error{ErrParameter}, []error{ErrNotFound}, 400},
		{"failure_tenant_doc.xml", failure{Reason: "tenantDoesNotExist"}, []error{ErrNotFound}, nil, 400},
		{"failure_duplicate_mividas.xml", failure{Reason: "duplicateCoSpaceUri"}, nil, []error{ErrNotFound, ErrParameter}, 400},
		{"failure_user_mividas.xml", failure{Reason: "userDoesNotExist"}, []error{ErrNotFound}, nil, 400},
		{"failure_empty_trace.xml", failure{Reason: "reasonCode"}, nil, []error{ErrNotFound}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, ok := parseFailure(readWireSample(t, tt.file))
			if !ok || got != tt.want {
				t.Fatalf("parseFailure = %+v, %v; want %+v", got, ok, tt.want)
			}
			err := error(&APIError{Node: "cb1", Method: "GET", Path: "/api/v1/x", Status: tt.status,
				Reason: got.Reason, Parameter: got.Parameter, ParamError: got.Error})
			for _, s := range tt.is {
				if !errors.Is(err, s) {
					t.Errorf("%v: not Is(%v)", err, s)
				}
			}
			for _, s := range tt.isNot {
				if errors.Is(err, s) {
					t.Errorf("%v: unexpectedly Is(%v)", err, s)
				}
			}
		})
	}
}

func TestParseFailureRejectsOtherRoots(t *testing.T) {
	for _, body := range []string{"", "<calls total=\"0\"/>", "garbage"} {
		if f, ok := parseFailure([]byte(body)); ok {
			t.Errorf("parseFailure(%q) = %+v, true; want false", body, f)
		}
	}
}

// Every reason the brief names maps to its sentinels, and to nothing else.
func TestAPIErrorIs(t *testing.T) {
	all := []error{ErrNotFound, ErrCallNotFound, ErrCallLegNotFound, ErrParticipantNotFound,
		ErrCallLegCannotBeDeleted, ErrParticipantCannotBeModified, ErrParticipantLimitReached,
		ErrParameter, ErrAuth, ErrUnavailable, ErrMalformedResponse}
	tests := []struct {
		reason string
		status int
		want   []error
	}{
		{"callLegDoesNotExist", 400, []error{ErrCallLegNotFound, ErrNotFound}},
		{"callDoesNotExist", 400, []error{ErrCallNotFound, ErrNotFound}},
		{"participantDoesNotExist", 404, []error{ErrParticipantNotFound, ErrNotFound}},
		{"callBridgeDoesNotExist", 404, []error{ErrNotFound}},
		{"unrecognizedObject", 400, []error{ErrNotFound}},
		{"unrecognisedObject", 400, []error{ErrNotFound}},
		{"parameterError", 400, []error{ErrParameter}},
		{"participantCannotBeModified", 400, []error{ErrParticipantCannotBeModified}},
		{"participantCannotBeDeleted", 400, []error{ErrParticipantCannotBeModified}},
		{"callLegCannotBeDeleted", 400, []error{ErrCallLegCannotBeDeleted}},
		{"participantLimitReached", 400, []error{ErrParticipantLimitReached}},
		{"tenantParticipantLimitReached", 400, []error{ErrParticipantLimitReached}},
		{"", 404, []error{ErrNotFound}},
		{"", 400, nil},
		{"databaseNotReady", 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			err := error(&APIError{Node: "cb1", Method: "PUT", Path: "/p", Status: tt.status, Reason: tt.reason})
			for _, s := range all {
				want := false
				for _, w := range tt.want {
					want = want || w == s
				}
				if got := errors.Is(err, s); got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
		})
	}
}

// FuzzDecode: no body a node sends can panic the decoders (run with -fuzz=FuzzDecode).
func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() { // testdata/fuzz holds the checked-in corpus, which go test adds itself
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeCalls(body)
		decodeCallLegs(body)
		decodeParticipants(body)
		decodeCallBridges(body)
		parseFailure(body)
		var leg xCallLeg
		if decodeRoot(body, "callLeg", &leg) == nil {
			leg.detail()
		}
		var call xCall
		if decodeRoot(body, "call", &call) == nil {
			call.detail()
		}
		lastSegment(string(body))
	})
}
