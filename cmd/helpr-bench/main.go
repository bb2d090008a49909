// Command helpr-bench is the load testers' harness for helpr: it drives a
// deployment through the public REST API and WebSocket protocol the way
// visitors and agents do, verifies that no message is lost, duplicated or
// reordered, and reports rates and latency percentiles.
//
//	helpr-bench <scenario> [flags]   scenarios: connect, idle, rooms, fanout, login, cluster
//	helpr-bench compare a.json b.json
//	helpr-bench floor-server --addr 127.0.0.1:PORT
//
// Exit codes: 0 verified, 1 a violation or a failed run, 2 bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  helpr-bench <scenario> [flags]     scenario: connect, idle, rooms, fanout, login, cluster
  helpr-bench compare a.json b.json  ratios b/a of two --json results
  helpr-bench floor-server [--addr]  the minimal relay helpr is compared against
Run "helpr-bench <scenario> -h" for the flags.
`

// realMain runs one command and returns the exit code.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "compare":
		return exitOn(stderr, runCompare(args[1:], stdout))
	case "floor-server":
		return exitOn(stderr, runFloorServer(args[1:], stdout))
	}
	cfg, err := parseConfig(args[0], args[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "helpr-bench: %v\n%s", err, usage)
		return 2
	}
	if err := checkTargets(ctx, cfg.targets, cfg.allowRemote, net.DefaultResolver.LookupIPAddr); err != nil {
		fmt.Fprintf(stderr, "helpr-bench: %v\n", err)
		return 2
	}
	stopProfile, err := startCPUProfile(cfg.cpuProfile)
	if err != nil {
		fmt.Fprintf(stderr, "helpr-bench: %v\n", err)
		return 1
	}
	res, err := runBench(ctx, cfg, stderr, nil)
	stopProfile()
	if err != nil {
		fmt.Fprintf(stderr, "helpr-bench: %v\n", err)
		return 1
	}
	printTable(stdout, res)
	if err := writeOutputs(cfg, res); err != nil {
		fmt.Fprintf(stderr, "helpr-bench: %v\n", err)
		return 1
	}
	if !res.Verified {
		return 1
	}
	return 0
}

// startCPUProfile profiles the harness into path until stop ("" : no-op).
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

func exitOn(stderr io.Writer, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "helpr-bench: %v\n", err)
		return 1
	}
	return 0
}

// writeOutputs writes --json and --html.
func writeOutputs(cfg *config, res *Result) error {
	if cfg.jsonPath != "" {
		if err := writeResultJSON(cfg.jsonPath, res); err != nil {
			return err
		}
	}
	if cfg.htmlPath != "" {
		if err := writeHTML(cfg.htmlPath, res); err != nil {
			return fmt.Errorf("write html report: %w", err)
		}
	}
	return nil
}

func writeResultJSON(path string, res *Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// scenarios maps a scenario name to its run function.
var scenarios = map[string]func(ctx context.Context, r *runner, warn io.Writer) error{
	"connect": func(ctx context.Context, r *runner, _ io.Writer) error { return runConnect(ctx, r) },
	"idle":    func(ctx context.Context, r *runner, _ io.Writer) error { return runIdle(ctx, r) },
	"rooms":   runRooms,
	"cluster": runRooms,
	"fanout":  func(ctx context.Context, r *runner, _ io.Writer) error { return runFanout(ctx, r) },
	"login":   func(ctx context.Context, r *runner, _ io.Writer) error { return runLogin(ctx, r) },
}

// runBench runs the scenario against the targets and, with --floor, against
// an in-process floor server too. rx is a receive hook for tests (nil: none).
func runBench(ctx context.Context, cfg *config, stderr io.Writer, rx rxHook) (*Result, error) {
	cfg.started = time.Now().UTC()
	res, err := runScenario(ctx, cfg, cfg.targets, cfg.serverPID, stderr, rx)
	if err != nil {
		return nil, err
	}
	if !cfg.floor {
		return res, nil
	}
	base, floorPID, stop, err := floorTarget(ctx, cfg.serverPID != 0)
	if err != nil {
		return nil, fmt.Errorf("start floor server: %w", err)
	}
	defer stop()
	floorTargets := make([]string, len(cfg.targets))
	for i := range floorTargets {
		floorTargets[i] = base
	}
	fr, err := runScenario(ctx, cfg, floorTargets, floorPID, stderr, nil)
	if err != nil {
		return nil, fmt.Errorf("floor run: %w", err)
	}
	fr.Scenario = "floor-" + cfg.scenario
	res.Floor, res.Ratios = fr, ratios(res, fr)
	if !fr.Verified {
		res.Violations = append(res.Violations, "the floor run failed its own verification")
	}
	return res, nil
}

// runScenario runs cfg's scenario once against targets.
func runScenario(ctx context.Context, cfg *config, targets []string, pid int, stderr io.Writer, rx rxHook) (*Result, error) {
	r := newRunner(cfg, targets, pid, rx)
	defer r.hc.CloseIdleConnections()
	stopProgress := startProgress(r.m, stderr, cfg.quiet, isTerminal(stderr))
	err := scenarios[cfg.scenario](ctx, r, stderr)
	r.m.end(time.Now())
	r.closeAll()
	stopProgress()
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		r.v.fail("interrupted", "the run was interrupted before it finished")
	}
	return r.result(cfg.scenario), nil
}

// ratios is helpr's figure over the floor's for each rate and latency
// percentile both runs measured (and bytes per connection when both have
// server stats).
func ratios(h, f *Result) map[string]float64 {
	out := map[string]float64{}
	for k, hv := range h.Rates {
		if fv := f.Rates[k]; fv > 0 {
			out[k] = hv / fv
		}
	}
	for k, hp := range h.Latency {
		fp, ok := f.Latency[k]
		if !ok {
			continue
		}
		if fp.P50 > 0 {
			out[k+"_p50"] = hp.P50 / fp.P50
		}
		if fp.P99 > 0 {
			out[k+"_p99"] = hp.P99 / fp.P99
		}
	}
	if h.Server != nil && f.Server != nil && f.Server.BytesPerConn > 0 {
		out["bytes_per_conn"] = h.Server.BytesPerConn / f.Server.BytesPerConn
	}
	return out
}
