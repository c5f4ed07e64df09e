// Package alerts watches the CMS cluster and turns what goes wrong into alerts, following
// Alertmanager's model: every alert has a stable fingerprint (kind, cluster, node, object), waits
// its "for" duration before firing, repeats at most every repeat interval, and resolves with its
// duration. A flapping condition keeps one alert. Delivery goes through a Notifier (the Slack
// side lives in bot) with retries and backoff; alert state and silences go through a Store.
//
// The package is Slack-free and reads CMS through the consumer-side Cluster interface, so tests
// drive it with a fake clock, fake sources and a fake notifier.
package alerts
