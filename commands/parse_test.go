package commands

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		text string
		want Command
	}{
		{"", Command{Op: OpHelp}},
		{"help mute", Command{Op: OpHelp, Topic: "mute"}},
		{"calls", Command{Op: OpCalls}},
		{"CALLS board", Command{Op: OpCalls, Filter: "board"}},
		{"calls public", Command{Op: OpCalls, Public: true}},
		{"calls --node cb2", Command{Op: OpCalls, Node: "cb2"}},
		{"calls board --NODE cb2 review", Command{Op: OpCalls, Filter: "board review", Node: "cb2"}},
		{"schedule", Command{Op: OpSchedule}},
		{"call board review", Command{Op: OpCall, Meeting: "board review"}},
		{`call "board review" public`, Command{Op: OpCall, Meeting: "board review", Public: true}},
		{"call “board review”", Command{Op: OpCall, Meeting: "board review"}},
		{"participant 9fea4ad1", Command{Op: OpParticipant, Participant: "9fea4ad1"}},
		{"add board review sip:bob@example.com", Command{Op: OpAdd, Meeting: "board review", URI: "sip:bob@example.com"}},
		{"add m +441234567890", Command{Op: OpAdd, Meeting: "m", URI: "+441234567890"}},
		{"add m 10.0.0.1", Command{Op: OpAdd, Meeting: "m", URI: "10.0.0.1"}},
		{"add m 1234", Command{Op: OpAdd, Meeting: "m", URI: "1234"}},
		{"add m bob@example.com", Command{Op: OpAdd, Meeting: "m", URI: "bob@example.com"}},
		{"add m tel:+1-555-0100", Command{Op: OpAdd, Meeting: "m", URI: "tel:+1-555-0100"}},
		{"add m sips:room.example.com:5061;transport=tls", Command{Op: OpAdd, Meeting: "m", URI: "sips:room.example.com:5061;transport=tls"}},
		{`presenter "board review" alice`, Command{Op: OpPresenter, Meeting: "board review", Participant: "alice"}},
		{"presenter board review OFF", Command{Op: OpPresenter, Meeting: "board review", Off: true}},
		{"layout abcd1234 ALLEQUAL", Command{Op: OpLayout, Participant: "abcd1234", Layout: "allEqual"}},
		{"layout abcd1234 oneplusn", Command{Op: OpLayout, Participant: "abcd1234", Layout: "onePlusN"}},
		{"mute abcd-1234", Command{Op: OpMute, Participant: "abcd-1234", Media: MediaAudio}},
		{"mute ABCD1234 VIDEO", Command{Op: OpMute, Participant: "ABCD1234", Media: MediaVideo}},
		{"unmute abcd1234 both", Command{Op: OpUnmute, Participant: "abcd1234", Media: MediaBoth}},
		{"disconnect abcd1234", Command{Op: OpDisconnect, Participant: "abcd1234"}},
		{"status", Command{Op: OpStatus}},
		{"report", Command{Op: OpReport}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

// TestBadInput runs every kind of bad input through the Service and checks the specific
// message and that nothing reached CMS.
type badInput struct {
	name    string
	text    string   // run as text, or
	cmd     *Command // executed directly (button path)
	code    string   // usage error code
	contain string   // part of the user message
}

func badInputs() []badInput {
	long := strings.Repeat("a", 250) + "@example.com"
	return []badInput{
		{name: "unknown command", text: "frobnicate", code: CodeUnknownCommand, contain: "Unknown command"},
		{name: "typo calls", text: "cals", code: CodeUnknownCommand, contain: "Did you mean `calls`?"},
		{name: "typo mute", text: "mtue abcd1234", code: CodeUnknownCommand, contain: "Did you mean `mute`?"},
		{name: "prefix disconnect", text: "disc abcd1234", code: CodeUnknownCommand, contain: "`disconnect`"},
		{name: "unclosed quote", text: `call "board`, code: CodeSyntax, contain: "quote"},
		{name: "call no meeting", text: "call", code: CodeMissingArg, contain: "Which meeting"},
		{name: "call empty quotes", text: `call ""`, code: CodeMissingArg, contain: "Which meeting"},
		{name: "call control char", text: "call bo\x07ard", code: CodeInvalidText, contain: "control characters"},
		{name: "call NUL", text: "call \"bo\x00ard\"", code: CodeInvalidText, contain: "control characters"},
		{name: "call too long", text: "call " + strings.Repeat("x", 201), code: CodeInvalidText, contain: "too long"},
		{name: "call bad utf8", text: "call \xff\xfe", code: CodeInvalidText, contain: "UTF-8"},
		{name: "calls filter control", text: "calls a\x1bb", code: CodeInvalidText, contain: "control"},
		{name: "participant missing", text: "participant", code: CodeMissingArg, contain: "Which participant"},
		{name: "participant too long", text: "participant " + strings.Repeat("a", 65), code: CodeInvalidID, contain: "hex"},
		{name: "participant extra", text: "participant abcd1234 more", code: CodeExtraArg, contain: "Too many"},
		{name: "mute missing", text: "mute", code: CodeMissingArg, contain: "Which participant"},
		{name: "mute bad media", text: "mute abcd1234 loud", code: CodeInvalidMedia, contain: "audio, video or both"},
		{name: "mute media typo", text: "mute abcd1234 audi", code: CodeInvalidMedia, contain: "Did you mean `audio`?"},
		{name: "mute extra", text: "mute abcd1234 audio now", code: CodeExtraArg, contain: "Too many"},
		{name: "layout missing layout", text: "layout abcd1234", code: CodeMissingArg, contain: "allEqual"},
		{name: "layout invalid", text: "layout abcd1234 grid", code: CodeInvalidLayout, contain: "speakerOnly"},
		{name: "layout extra", text: "layout abcd1234 allEqual now", code: CodeExtraArg, contain: "Too many"},
		{name: "disconnect missing", text: "disconnect", code: CodeMissingArg, contain: "Which participant"},
		{name: "disconnect newline id", text: "disconnect \"abcd\n1234\"", code: CodeInvalidText, contain: "control characters"},
		{name: "participant name control", text: "mute \"o'bri\x07en\"", code: CodeInvalidText, contain: "control characters"},
		{name: "participant name too long", text: "mute " + strings.Repeat("z", 201), code: CodeInvalidText, contain: "too long"},
		{name: "record maybe", text: "record board maybe", code: CodeInvalidValue, contain: "not on or off"},
		{name: "record missing", text: "record board", code: CodeMissingArg, contain: "On or off"},
		{name: "importance abc", text: "importance x abc", code: CodeInvalidValue, contain: "not an importance"},
		{name: "importance zero", text: "importance dmitri 0", code: CodeInvalidValue, contain: "not an importance"},
		{name: "importance missing", text: "importance dmitri", code: CodeMissingArg, contain: "What importance"},
		{name: "layoutall unknown", text: "layoutall board grid", code: CodeInvalidLayout, contain: "speakerOnly"},
		{name: "banner empty", text: "banner board", code: CodeMissingArg, contain: "What should the banner say"},
		{name: "banner empty quotes", text: `banner board ""`, code: CodeMissingArg, contain: "What should the banner say"},
		{name: "move no meeting", text: "move dmitri", code: CodeMissingArg, contain: "Move to which meeting"},
		{name: "muteall bad media", cmd: &Command{Op: OpMuteAll, Meeting: "board", Media: "loud"}, code: CodeInvalidMedia, contain: "audio"},
		{name: "find nothing", text: "find", code: CodeMissingArg, contain: "Find whom"},
		{name: "end nothing", text: "end", code: CodeMissingArg, contain: "Which meeting"},
		{name: "button importance range", cmd: &Command{Op: OpImportance, Participant: "dmitri", Importance: -3}, code: CodeInvalidValue, contain: "Importance"},
		{name: "add missing", text: "add", code: CodeMissingArg, contain: "Which meeting"},
		{name: "add missing uri", text: "add board", code: CodeMissingArg, contain: "Whom"},
		{name: "add uri only", text: "add sip:bob@example.com", code: CodeMissingArg, contain: "Which meeting"},
		{name: "add uri spaces", text: `add board "bob @example.com"`, code: CodeInvalidURI, contain: "spaces"},
		{name: "add uri control", text: "add board bob@exa\x01mple.com", code: CodeInvalidURI, contain: "control"},
		{name: "add uri too long", text: "add board " + long, code: CodeInvalidURI, contain: "too long"},
		{name: "add uri empty quotes", text: `add board ""`, code: CodeMissingArg, contain: "Whom"},
		{name: "add uri bare sip", text: "add board sip:", code: CodeInvalidURI, contain: "not a dialable"},
		{name: "add uri http", text: "add board http://evil.example/x", code: CodeInvalidURI, contain: "not a dialable"},
		{name: "add uri form injection", text: "add board bob@example.com&rxAudioMute=true", code: CodeInvalidURI, contain: "not a dialable"},
		{name: "add uri bad e164", text: "add board +0123", code: CodeInvalidURI, contain: "not a dialable"},
		{name: "add uri bad tel", text: "add board tel:abc", code: CodeInvalidURI, contain: "not a dialable"},
		{name: "presenter missing", text: "presenter", code: CodeMissingArg, contain: "Which meeting"},
		{name: "presenter missing who", text: "presenter board", code: CodeMissingArg, contain: "Who presents"},
		{name: "presenter empty who", text: `presenter board ""`, code: CodeMissingArg, contain: "Who presents"},
		{name: "status extra", text: "status now", code: CodeExtraArg, contain: "Too many"},
		{name: "schedule extra", text: "schedule now", code: CodeExtraArg, contain: "Too many"},
		{name: "calls node missing", text: "calls --node", code: CodeMissingArg, contain: "one node name"},
		{name: "calls node twice", text: "calls --node cb1 --node cb2", code: CodeMissingArg, contain: "one node name"},
		{name: "calls node bad", text: "calls --node ../x", code: CodeInvalidNode, contain: "not a node"},
		{name: "calls node unknown", text: "calls --node cb9", code: CodeInvalidNode, contain: "There is no node"},
		{name: "help unknown topic", text: "help frob", code: CodeUnknownCommand, contain: "Unknown command"},
		{name: "help extra", text: "help calls more", code: CodeExtraArg, contain: "Too many"},
		{name: "button bad node", cmd: &Command{Op: OpMute, Participant: "abcd1234", Node: "../cb1"}, code: CodeInvalidNode, contain: "not a node"},
		{name: "button unknown node", cmd: &Command{Op: OpMute, Participant: "abcd1234", Node: "cb9"}, code: CodeInvalidNode, contain: "cb1, cb2"},
		{name: "button unknown op", cmd: &Command{Op: "explode"}, code: CodeUnknownCommand, contain: "Unknown command"},
		{name: "button bad layout", cmd: &Command{Op: OpLayout, Participant: "abcd1234", Layout: "nope"}, code: CodeInvalidLayout, contain: "allEqual"},
		{name: "button bad media", cmd: &Command{Op: OpMute, Participant: "abcd1234", Media: "loud"}, code: CodeInvalidMedia, contain: "audio"},
		{name: "button bad uri", cmd: &Command{Op: OpAdd, Meeting: "abcd1234", URI: "a b"}, code: CodeInvalidURI, contain: "spaces"},
	}
}

func TestBadInput(t *testing.T) {
	for _, tt := range badInputs() {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "cb1", "cb2")
			s := New(Config{Cluster: f})
			local := Actor{UserID: "local", Local: true}
			var err error
			if tt.cmd != nil {
				_, err = s.Execute(context.Background(), local, *tt.cmd)
			} else {
				_, err = s.Run(context.Background(), local, tt.text)
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v (%T), want *UsageError", err, err)
			}
			if ue.Code != tt.code {
				t.Errorf("code = %q, want %q (message %q)", ue.Code, tt.code, ue.Msg)
			}
			if msg := UserMessage(err); !strings.Contains(msg, tt.contain) {
				t.Errorf("message %q does not contain %q", msg, tt.contain)
			}
			if n := f.total(); n != 0 {
				t.Errorf("bad input sent %d requests to CMS: %v", n, f.calls)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"cals", "calls", 1}, {"mtue", "mute", 2}, {"status", "status", 0}, {"abc", "", 3}}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"calls", `call "a b"`, "mute abcd1234 video", "add m sip:a@b", "presenter x off", "\"", "layout abcd1234 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err == nil && c.Op == "" {
			t.Fatalf("Parse(%q) returned no op and no error", text)
		}
	})
}
