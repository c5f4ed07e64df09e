// Package bot is NFMM's Slack adapter: it runs Socket Mode, acks every envelope at once, turns
// slash commands, button clicks and modal submissions into commands.Service calls on a bounded
// worker pool, and posts the rendered results back (response_url, chat.postMessage,
// chat.update, views.open/update), paced per channel and honouring Slack's 429 Retry-After.
//
// Nothing outside this package knows Slack; commands and cms stay Slack-free.
package bot
