//go:build tools

// Package main's tools file pins the dependencies that packages under construction will import,
// so that parallel work never edits go.mod/go.sum. Removed once every dependency is imported for real.
package main

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/gorilla/websocket"
	_ "github.com/joho/godotenv"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/robfig/cron/v3"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/socketmode"
	_ "golang.org/x/sync/errgroup"
)
