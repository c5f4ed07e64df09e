// Package commands holds every NFMM operation, Slack-free: it parses the command grammar shared
// by the slash command and `nfmm exec`, checks the policy, resolves what the user named, runs the
// operation through the CMS cluster, audits state changes and returns typed results that the bot
// renders to Block Kit and the terminal renders to text or JSON.
package commands
