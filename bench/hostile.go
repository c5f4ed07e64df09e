package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/hostile"
)

// Scenario "hostile" (issue 12): what one hostile CMS answer costs. For each answer of
// cms/hostile, a fresh child process reads `/cms calls` (Cluster.Meetings) from one node
// answering that way, and the parent takes the child's peak RSS from getrusage. The server
// runs in the parent, so the figure is the client's alone; the healthy answer is the baseline
// (the Go runtime and the client), and the difference is what the answer cost.
//
// The peak is the child's own VmHWM (/proc/self/status), not the rusage the parent gets from
// wait4: Linux carries the pre-exec memory's high-water mark into ru_maxrss, and Go starts a
// child with vfork, whose pre-exec memory is the parent's, so ru_maxrss would be at least the
// parent's own peak (which holds every hostile body).

const childHostileEnv = "NFMM_BENCH_HOSTILE" // the node's URL

// hostileChild is what the child reports.
type hostileChild struct {
	Meetings int    `json:"meetings"`
	Failed   string `json:"failed"` // the node's error, "" when it answered
	PeakKiB  int64  `json:"peak_kib"`
}

type hostileRow struct {
	Answer hostile.Answer
	Body   int // bytes of the hostile list body
	Wall   time.Duration
	hostileChild
}

func runHostile(ctx context.Context) ([]hostileRow, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var rows []hostileRow
	for _, a := range hostile.Answers() {
		srv := hostile.Start(a)
		cmd := exec.CommandContext(ctx, exe, "-child", "hostile")
		cmd.Env = append(os.Environ(), childHostileEnv+"="+srv.URL)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		start := time.Now()
		err := cmd.Run()
		srv.Close()
		if err != nil {
			return nil, fmt.Errorf("child %s: %w: %s", a, err, stderr.String())
		}
		r := hostileRow{Answer: a, Body: srv.BodySize(), Wall: time.Since(start)}
		if err := json.Unmarshal(out.Bytes(), &r.hostileChild); err != nil {
			return nil, fmt.Errorf("child %s output: %w", a, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// runHostileChild reads the meetings of the one node at $NFMM_BENCH_HOSTILE, as `/cms calls`
// does, and prints the outcome as JSON.
func runHostileChild(ctx context.Context, w io.Writer) error {
	n, err := cms.NewNode(cms.NodeConfig{Name: "evil", BaseURL: os.Getenv(childHostileEnv),
		Username: "api", Password: "bench", Timeout: 300 * time.Millisecond})
	if err != nil {
		return err
	}
	list := cms.NewCluster([]*cms.Node{n}).Meetings(ctx)
	out := hostileChild{Meetings: len(list.Meetings)}
	if len(list.Failed) > 0 {
		out.Failed = list.Failed[0].Err.Error()
	}
	if out.PeakKiB, err = peakRSS(); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(out)
}

// peakRSS is this process's peak resident set in KiB: VmHWM on Linux, else getrusage (which
// then includes the parent's peak, see above).
func peakRSS() (int64, error) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return ru.Maxrss, nil
}

func printHostile(w io.Writer, rows []hostileRow) {
	fmt.Fprintln(w, "hostile: one CMS node, `/cms calls` (Cluster.Meetings) in a fresh process per answer")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "answer\tbody\tpeak RSS\tover healthy\twall\toutcome\t")
	var base int64
	for _, r := range rows {
		if r.Answer == hostile.Healthy {
			base = r.PeakKiB
		}
		outcome := fmt.Sprintf("%d meetings", r.Meetings)
		if r.Failed != "" {
			outcome = "refused: " + strings.TrimPrefix(r.Failed, `cms node "evil": `)
		}
		fmt.Fprintf(tw, "%s\t%.1f KiB\t%.1f MiB\t%+.1f MiB\t%v\t%s\t\n", r.Answer, float64(r.Body)/1024,
			float64(r.PeakKiB)/1024, float64(r.PeakKiB-base)/1024, r.Wall.Round(time.Millisecond), outcome)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
