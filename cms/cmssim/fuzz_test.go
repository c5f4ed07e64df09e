package cmssim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequest feeds arbitrary methods, paths and bodies to a node: bad input must give an
// answer (any status), never a panic. Seeds run in every `go test`.
func FuzzRequest(f *testing.F) {
	s, err := Start(Options{Nodes: 2, Scenario: ScenarioDemo})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	m := s.Meetings()[0]
	leg := m.Legs[0]
	for _, seed := range [][3]string{
		{"GET", "/api/v1/calls?offset=99999999999999999999&limit=-", ""},
		{"PUT", "/api/v1/callLegs/" + leg.ID, "rxAudioMute=%zz&chosenLayout=" + strings.Repeat("x", 300)},
		{"POST", "/api/v1/calls/" + m.Calls["cb1"] + "/callLegs", "remoteParty=%00%ff"},
		{"PUT", "/api/v1/participants/" + leg.ParticipantID, "importance=99999999999999999999"},
		{"DELETE", "/api/v1/callLegs/../../calls", ""},
		{"GET", "/api/v1//participants//callLegs", ""},
		{"PATCH", "/API/V1/CALLS/" + m.Calls["cb1"], "locked=true"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	ns := s.nodes[0]
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(method, " \t\r\n") || method == "" {
			return
		}
		req, err := http.NewRequest(method, "http://cb1"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth(s.Username, s.Password)
		rec := httptest.NewRecorder()
		ns.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 599 {
			t.Errorf("%s %s: status %d", method, path, rec.Code)
		}
	})
}
