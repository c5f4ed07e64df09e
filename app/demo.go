package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// The demo's workspace: one channel and two people, one per role; two CMS clusters, the
// channel bound to the first (`/cms calls @amer` and `@all` reach the second).
const (
	DemoCluster       = "emea"
	DemoSecondCluster = "amer"
	demoSecondNodes   = 2
	DemoChannel       = "C0DEMO0001"
	demoChannelName   = "video-ops"
	DemoOperator      = "U0OPERATOR"
	DemoViewer        = "U0VIEWER"
	demoCommand       = "/cms"
)

// demoTokens are the fake Slack's tokens for one run: random, so that no other web page or
// local program can post as the bot (a constant one could be sent in a cross-site form).
func demoTokens() (bot, app string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("demo tokens: %w", err)
	}
	return "xoxb-nfmm-demo-" + hex.EncodeToString(b[:16]), "xapp-nfmm-demo-" + hex.EncodeToString(b[16:]), nil
}

// demoLiveEvery is how often the demo's meetings change by themselves (people join, leave,
// unmute), so the live features have something to show.
const demoLiveEvery = 3 * time.Second

// DemoOptions configure StartDemo.
type DemoOptions struct {
	Addr   string // the fake Slack and the page; loopback only
	Nodes  int    // CMS call bridges in the emulator
	Seed   int64  // the emulator's demo data
	Logger *slog.Logger
	Audit  io.Writer // the audit records (JSON lines); nil discards them
	// Live makes the emulated meetings change by themselves every Live (0: they hold still,
	// which the demo's tests rely on).
	Live time.Duration
	// Outage, when set, takes the last call bridge down for demoOutageFor every Outage, so the
	// page shows a node_down alert firing and resolving (demo_alerts.go).
	Outage time.Duration
}

// Demo is a running demo: emulator, fake Slack (with the page) and the real bot.
type Demo struct {
	URL    string
	Sim    *cmssim.Sim // the channel's cluster, DemoCluster
	Second *cmssim.Sim // DemoSecondCluster
	Fake   *slackfake.Server
	// BotToken is this run's bot token (tests post as the bot with it).
	BotToken string

	stop    context.CancelFunc
	done    chan error
	running bool         // the bot was started, so done will receive its result
	dataDir string       // the store's temporary directory
	cdrLn   net.Listener // the CDR receiver's; closed by the runtime, or here if it never ran
}

// cmdDemo runs `nfmm demo`: everything in one process until Ctrl-C (ctx from main).
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code := parseDemoFlags(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Audit = stderr // every change made from the page is audited, as in production
	opts.Live = demoLiveEvery
	run, err := StartDemo(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm demo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "NFMM demo: open %s in your browser (Ctrl-C to stop)\n", run.URL)
	fmt.Fprintf(stderr, "nfmm demo: two emulated CMS clusters, %s (%d call bridges, the channel's) and %s (%d; /cms calls @%[3]s, @all), fake Slack and the bot are running\n",
		DemoCluster, opts.Nodes, DemoSecondCluster, demoSecondNodes)
	select {
	case <-ctx.Done():
	case err := <-run.done:
		// The bot stopped on its own: report it rather than serve a page nobody answers.
		run.done <- err
	}
	if err := run.Close(); err != nil {
		fmt.Fprintln(stderr, "nfmm demo:", err)
		return 1
	}
	return 0
}

// parseDemoFlags returns the options, or an exit code >= 0 when the command must stop.
func parseDemoFlags(args []string, stdout, stderr io.Writer) (DemoOptions, int) {
	fs := flag.NewFlagSet("nfmm demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "where the page and the fake Slack listen (loopback only)")
	nodes := fs.Int("nodes", 3, fmt.Sprintf("emulated CMS call bridges of the channel's cluster, %s, 1-%d (%s has %d)", DemoCluster, config.MaxNodes, DemoSecondCluster, demoSecondNodes))
	seed := fs.Int64("seed", 1, "seed of the demo meetings")
	outage := fs.Duration("outage", 0, "take the last call bridge down for a minute this often, e.g. 10m (0: never)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nfmm demo [--addr 127.0.0.1:8080] [--nodes 3] [--seed 1] [--outage 10m]")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return DemoOptions{}, code
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *nodes < 1 || *nodes > config.MaxNodes {
		problems = append(problems, fmt.Sprintf("--nodes %d: want 1-%d", *nodes, config.MaxNodes))
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "nfmm demo: %s\n", strings.Join(problems, "; "))
		fs.Usage()
		return DemoOptions{}, 2
	}
	if *outage != 0 && *outage < 2*demoOutageFor {
		fmt.Fprintf(stderr, "nfmm demo: --outage %s: want 0 (never) or at least %s\n", *outage, 2*demoOutageFor)
		fs.Usage()
		return DemoOptions{}, 2
	}
	return DemoOptions{Addr: *addr, Nodes: *nodes, Seed: *seed, Outage: *outage}, -1
}

// StartDemo starts the emulator, the fake Slack with its page, and the bot wired exactly like
// `nfmm run` (Run), pointed at the fake. It returns once the bot's socket is connected.
func StartDemo(ctx context.Context, o DemoOptions) (_ *Demo, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Audit == nil {
		o.Audit = io.Discard
	}
	if o.Nodes == 0 {
		o.Nodes = config.DefaultSimNodes
	}
	sim, err := cmssim.Start(cmssim.Options{Nodes: o.Nodes, Scenario: cmssim.ScenarioDemo, Seed: o.Seed, Live: o.Live})
	if err != nil {
		return nil, fmt.Errorf("start the CMS emulator: %w", err)
	}
	d := &Demo{Sim: sim, done: make(chan error, 1), stop: func() {}}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.Second, err = cmssim.Start(cmssim.Options{Nodes: demoSecondNodes, Scenario: cmssim.ScenarioDemo, Seed: o.Seed + 1, Live: o.Live}); err != nil {
		return nil, fmt.Errorf("start the second CMS emulator: %w", err)
	}
	botToken, appToken, err := demoTokens()
	if err != nil {
		return nil, err
	}
	d.BotToken = botToken
	d.Fake, err = slackfake.New(slackfake.Options{
		Addr:     o.Addr,
		Logger:   o.Logger,
		Users:    demoUsers(),
		Channels: map[string]slackfake.Channel{DemoChannel: {Name: demoChannelName}},
		BotToken: botToken,
		AppToken: appToken,
	})
	if err != nil {
		return nil, fmt.Errorf("start the fake Slack: %w", err)
	}
	d.URL = d.Fake.URL() + "/"
	cfg := demoConfig(sim, d.Second, d.Fake.APIURL(), botToken, appToken)
	// The demo's state (claims, audit history) lives in a temporary directory, gone on Close.
	if d.dataDir, err = os.MkdirTemp("", "nfmm-demo-"); err != nil {
		return nil, fmt.Errorf("demo data directory: %w", err)
	}
	cfg.Store.DataDir = d.dataDir
	cdrCfg, cdrLn, err := demoCDR()
	if err != nil {
		return nil, err
	}
	cfg.CDR, d.cdrLn = cdrCfg, cdrLn
	if err := d.Fake.MountUI(demoUI(ctx, cfg, o.Logger)); err != nil {
		return nil, err
	}
	botCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop = stop
	d.running = true
	go func() { d.done <- Run(botCtx, cfg, Options{Logger: o.Logger, Audit: o.Audit, CDRListener: cdrLn}) }()
	if o.Outage > 0 {
		go demoOutages(botCtx, sim, o.Outage, demoOutageFor)
	}
	if err := d.waitConnected(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// waitConnected waits for the bot's socket, or for the bot to give up.
func (d *Demo) waitConnected(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	connected := make(chan error, 1)
	go func() { connected <- d.Fake.WaitConnected(ctx) }()
	select {
	case err := <-connected:
		if err != nil {
			return fmt.Errorf("the bot did not connect to the fake Slack: %w", err)
		}
		return nil
	case err := <-d.done:
		d.done <- err
		return fmt.Errorf("the bot stopped before connecting: %v", err)
	}
}

// Close stops the bot (letting in-flight work finish), then the fake Slack and the emulator.
// It returns the bot's error, if it failed.
func (d *Demo) Close() error {
	d.stop()
	var err error
	if d.running {
		select {
		case err = <-d.done:
		case <-time.After(15 * time.Second):
			err = errors.New("the bot did not stop within 15s")
		}
	}
	if d.Fake != nil {
		d.Fake.Close()
	}
	d.Sim.Close()
	if d.Second != nil {
		d.Second.Close()
	}
	if d.cdrLn != nil {
		_ = d.cdrLn.Close() // already closed when the runtime served it
	}
	if d.dataDir != "" {
		os.RemoveAll(d.dataDir)
	}
	return err
}

func demoUsers() map[string]slackfake.User {
	return map[string]slackfake.User{
		DemoOperator: {Name: "olivia", RealName: "Olivia Operator", TZ: "Europe/Oslo"},
		DemoViewer:   {Name: "victor", RealName: "Victor Viewer", TZ: "Europe/Oslo"},
	}
}

// demoReportEvery is how often the demo posts its scheduled report.
const demoReportEvery = 5 * time.Minute

// demoConfig is the configuration `nfmm run` would load for this demo: the emulators' nodes as
// ordinary CMS nodes of two clusters (CMS_CLUSTERS=emea,amer, the channel bound to emea), the
// fake Slack's API, and the two demo users' roles.
func demoConfig(sim, second *cmssim.Sim, apiURL, botToken, appToken string) config.Config {
	cfg := config.Config{
		SlackBotToken:  config.Secret(botToken),
		SlackAppToken:  config.Secret(appToken),
		SlackAPIURL:    apiURL,
		CMSTimeout:     config.DefaultCMSTimeout,
		CMSConcurrency: config.DefaultCMSConcurrency,
		Operators:      []string{DemoOperator},
		Viewers:        []string{DemoViewer},
		Channels:       []string{DemoChannel},
		LogLevel:       "warn",
		// Scheduled reports, as an operator would configure them: one every few minutes so the
		// demo shows one, and a realistic weekday-morning one for /cms schedule.
		Reports: []config.Report{
			{Spec: "@every " + demoReportEvery.String(), Channel: DemoChannel},
			{Spec: "CRON_TZ=Europe/Oslo 0 8 * * 1-5", Channel: DemoChannel},
		},
		// No ops listener: the demo opens one port, the page's.
		HTTPAddr: "",
	}
	cfg.Clusters = []config.Cluster{
		{Name: DemoCluster, Nodes: SimNodes(sim), Timeout: config.DefaultCMSTimeout, Concurrency: config.DefaultCMSConcurrency},
		{Name: DemoSecondCluster, Nodes: SimNodes(second), Timeout: config.DefaultCMSTimeout, Concurrency: config.DefaultCMSConcurrency},
	}
	cfg.ChannelClusters = map[string]string{DemoChannel: DemoCluster}
	cfg.Alerts = demoAlerts()
	return cfg
}

// demoUI describes the page: the channel, who you can act as, and the command list (from the
// same grammar `help` shows, so it never drifts from the parser).
func demoUI(ctx context.Context, cfg config.Config, logger *slog.Logger) slackfake.UIOptions {
	o := slackfake.UIOptions{
		Channel: DemoChannel, ChannelName: demoChannelName, Command: demoCommand, Title: "NFMM demo",
		Users: []slackfake.UIUser{
			{ID: DemoOperator, Name: "Olivia Operator", Role: "operator"},
			{ID: DemoViewer, Name: "Victor Viewer", Role: "viewer"},
		},
	}
	// help reads no CMS state, but the service wants a cluster (building one does no I/O).
	cluster, release, err := NewCluster(ctx, cfg, Options{Logger: logger})
	if err != nil {
		return o
	}
	defer release()
	help := commands.New(commands.Config{Cluster: cluster, Logger: logger})
	res, err := help.Run(ctx, commands.Actor{UserID: "local", Local: true}, "help")
	if hr, ok := res.(*commands.HelpResult); ok && err == nil {
		for _, e := range hr.Entries {
			o.Commands = append(o.Commands, slackfake.UICommand{Usage: e.Usage, Summary: e.Summary, Operator: e.Operator})
		}
	}
	return o
}
