package slackfake_test

import (
	"context"
	"fmt"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
)

// A bot under test talks to the fake through the real slack-go client; the test observes the
// channel's current state. (With socketmode.New(api) the same client also gets envelopes from
// SlashCommand, ClickAction and SubmitView.)
func Example() {
	fake, err := slackfake.New(slackfake.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fake.Close()
	api := slack.New("xoxb-example", slack.OptionAppLevelToken("xapp-example"), slack.OptionAPIURL(fake.APIURL()))

	_, ts, _ := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("3 active calls", false))
	_, _, _, _ = api.UpdateMessageContext(context.Background(), "C1", ts, slack.MsgOptionText("2 active calls", false))
	_, _, err = api.PostMessageContext(context.Background(), "C1",
		slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "*bold*", false, false))))

	for _, m := range fake.Messages("C1") {
		fmt.Println(m.Text, m.Edited)
	}
	fmt.Println(err, slackfake.ValidateMessage([]byte(`[{"type":"header","text":{"type":"mrkdwn","text":"*bold*"}}]`)))
	// Output:
	// 2 active calls true
	// invalid_blocks [must be plain_text [json-pointer:/blocks/0/text/type]]
}
