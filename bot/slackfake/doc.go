// Package slackfake is a fake Slack on loopback: the Web API methods NFMM uses, response_url
// endpoints, and a socket-mode websocket. The bot's end-to-end tests, the reliability tests and
// `nfmm demo` drive it (SlashCommand, ClickAction, SubmitView, Disconnect, Fail, …) and observe
// it (Calls, Messages, Acks, Subscribe, WaitFor, …).
//
// It answers the way slack-go v0.35.0 expects (verified against its source): form-encoded
// chat.*, users.info, conversations.info and auth.test with the token as a form field; JSON with a
// Bearer token for views.* and apps.connections.open; response_url bodies as JSON. It enforces the
// rules real Slack enforces and a bot can get wrong: Block Kit limits (invalid_blocks with
// json-pointers), trigger_id use within 3 s and only once, response_url at most 5 uses within
// 30 minutes, token kinds. Everything is instance state: no package-level variables.
//
// The demo serves its page from the same listener (Options.Extra or Handle) and follows the
// fake with Snapshot (initial state) and Subscribe (a live Event stream, e.g. for SSE).
//
// Like Slack it holds up to MaxConnections sockets of the app at once (one per replica), takes
// them in turn for each envelope, and, with Options.AckTimeout, redelivers an envelope that was
// not acked in time to another socket with retry_attempt/retry_reason "timeout"; Redeliver does
// the same on demand. Envelope.Deliveries and Ack.Connection tell which socket got what.
//
// Deliberate differences from Slack: it is a single workspace (TeamID) with one app (AppID) and
// one bot user (BotUserID); envelopes sent while no socket is connected are queued and delivered
// on the next connection; redelivery on a timeout is off unless Options.AckTimeout is set, and
// then applies to every envelope type.
package slackfake
