package slackfake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
)

func meta(fp string) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "nfmm_alert", EventPayload: map[string]any{"fingerprint": fp}})
}

// chat.postMessage keeps the metadata; conversations.history returns top-level messages newest
// first, with metadata only when include_all_metadata asks, within oldest..latest, paged;
// conversations.replies returns the parent and then its replies.
func TestMetadataHistoryAndReplies(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	_, first, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("one", false), meta("a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(first), meta("r")); err != nil {
		t.Fatal(err)
	}
	_, second, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("two", false)) // slack-go sends an empty metadata object
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := fake.Message("C1", second); len(m.Metadata) != 0 {
		t.Errorf("a message without metadata stored %s", m.Metadata)
	}

	h, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 2 || h.Messages[0].Timestamp != second || h.Messages[1].Timestamp != first {
		t.Fatalf("history %+v, want two, first, top-level only, newest first", h.Messages)
	}
	if md := h.Messages[1].Metadata; md.EventType != "nfmm_alert" || md.EventPayload["fingerprint"] != "a" {
		t.Errorf("metadata %+v", md)
	}
	h, _ = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if h.Messages[1].Metadata.EventType != "" {
		t.Errorf("metadata without include_all_metadata: %+v", h.Messages[1].Metadata)
	}
	// oldest is exclusive unless inclusive; limit pages with a cursor.
	h, _ = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: first})
	if len(h.Messages) != 1 || h.Messages[0].Timestamp != second {
		t.Errorf("oldest=%s exclusive: %+v", first, h.Messages)
	}
	h, _ = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 1})
	if len(h.Messages) != 1 || !h.HasMore || h.ResponseMetaData.NextCursor == "" {
		t.Fatalf("limit 1: %+v", h)
	}
	h, _ = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 1, Cursor: h.ResponseMetaData.NextCursor})
	if len(h.Messages) != 1 || h.Messages[0].Timestamp != first || h.HasMore {
		t.Errorf("page 2: %+v", h)
	}

	msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: first, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Timestamp != first || msgs[1].Text != "reply" || msgs[1].Metadata.EventPayload["fingerprint"] != "r" {
		t.Errorf("replies %+v", msgs)
	}

	for _, tc := range []struct{ name, code string }{
		{"#ops", "channel_not_found"}, // an id, never a name
		{"C1?ts=1.2", "thread_not_found"},
	} {
		ch, ts, _ := strings.Cut(tc.name, "?ts=")
		_, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: ts})
		if slackCode(err) != tc.code {
			t.Errorf("replies %s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "#ops"}); slackCode(err) != "channel_not_found" {
		t.Errorf("history by name: %v", err)
	}
}

func TestMetadataValidation(t *testing.T) {
	fake := newFake(t)
	tests := []struct{ metadata, want string }{
		{`{"event_type":"x","event_payload":{"k":1}}`, ""},
		{`not json`, "invalid_metadata_format"},
		{`{"event_payload":{"k":1}}`, "invalid_metadata_schema"},
		{`{"event_type":"x","event_payload":"k"}`, "invalid_metadata_schema"},
	}
	for _, tc := range tests {
		form := url.Values{"token": {testBotToken}, "channel": {"C1"}, "text": {"hi"}, "metadata": {tc.metadata}}
		resp, err := http.PostForm(fake.APIURL()+"chat.postMessage", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		calls := fake.Calls("chat.postMessage")
		if got := calls[len(calls)-1].Error; got != tc.want {
			t.Errorf("metadata %s: error %q, want %q", tc.metadata, got, tc.want)
		}
	}
}

// DropAnswer: the post is stored, the client gets no answer, the call is marked dropped.
func TestDropAnswer(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	fake.Inject("chat.postMessage", slackfake.Fault{N: 1, DropAnswer: true})
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("lost answer", false)); err == nil {
		t.Fatal("the dropped answer arrived")
	}
	if msgs := fake.Messages("C1"); len(msgs) != 1 || msgs[0].Text != "lost answer" {
		t.Fatalf("messages %+v, want the post stored", msgs)
	}
	if calls := fake.Calls("chat.postMessage"); len(calls) != 1 || !calls[0].Dropped {
		t.Errorf("calls %+v", calls)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("next", false)); err != nil {
		t.Errorf("the fault outlived its N: %v", err)
	}
}
