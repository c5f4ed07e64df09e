package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// cmdRun is `nfmm run` (and plain `nfmm`): the Slack bot until SIGINT/SIGTERM (ctx from main).
func cmdRun(ctx context.Context, args []string, _, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "nfmm run: unexpected argument %q (configuration comes from the environment and .env)\n", args[0])
		return 2
	}
	dotWarnings, err := config.LoadDotEnv(".env")
	if err != nil {
		fmt.Fprintln(stderr, "nfmm run:", err)
		return 2
	}
	cfg, err := config.Load(os.Getenv, config.ModeRun)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm run:", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	for _, w := range append(dotWarnings, cfg.Warnings...) {
		logger.Warn(w)
	}
	if err := runBot(ctx, cfg, logger, stderr); err != nil {
		logger.Error("nfmm stopped", "err", err)
		return 1
	}
	return 0
}

// runBot wires cluster -> commands -> bot and runs the bot until ctx is done.
func runBot(ctx context.Context, cfg config.Config, logger *slog.Logger, stderr io.Writer) error {
	cluster, release, err := newCluster(ctx, cfg, logger, nil)
	if err != nil {
		return fmt.Errorf("CMS: %w", err)
	}
	defer release()
	svc := commands.New(commands.Config{
		Cluster: cluster,
		Policy:  commands.Policy{Operators: cfg.Operators, Viewers: cfg.Viewers, Channels: cfg.Channels},
		// Audit records are JSON on stderr, tagged so a log pipeline can route them.
		Audit:  slog.New(slog.NewJSONHandler(stderr, nil)).With("log", "audit"),
		Logger: logger,
	})
	b, err := bot.New(bot.Config{
		BotToken: cfg.SlackBotToken.Reveal(),
		AppToken: cfg.SlackAppToken.Reveal(),
		APIURL:   cfg.SlackAPIURL,
		Service:  svc,
		Logger:   logger,
	})
	if err != nil {
		return err
	}
	logger.Info("nfmm starting", "version", version, "cms_nodes", len(cluster.Nodes()))
	if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
