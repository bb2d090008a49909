package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// runCLI runs the real command line in this process and returns its exit
// code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, func(string) string { return "" }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Every flag of `helpr serve` is in exactly one --help group, and every
// name in the groups is a flag: flagGroups is the one table to extend.
func TestEveryServeFlagHasExactlyOneHelpGroup(t *testing.T) {
	seen := map[string]string{}
	fs := serveFlagSet(&Config{})
	for _, g := range flagGroups {
		for _, name := range g.flags {
			if fs.Lookup(name) == nil {
				t.Errorf("group %q lists %q, which is not a flag of helpr serve", g.title, name)
			}
			if other, dup := seen[name]; dup {
				t.Errorf("--%s is in groups %q and %q", name, other, g.title)
			}
			seen[name] = g.title
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := seen[f.Name]; !ok {
			t.Errorf("--%s has no group in flagGroups (help.go)", f.Name)
		}
		if strings.Contains(f.Usage, envName(f.Name)) {
			t.Errorf("--%s names its own variable in its usage; --help adds it", f.Name)
		}
	})
}

// `helpr serve --help` (and -h, -help) prints every flag under its group
// with its environment variable and default, on stdout, and exits 0.
func TestServeHelpPrintsGroupedFlagsWithEnvAndExitsZero(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		code, out, errOut := runCLI(t, "serve", arg)
		if code != 0 || errOut != "" {
			t.Fatalf("serve %s: exit %d, stderr %q", arg, code, errOut)
		}
		sections := helpSections(out)
		for _, g := range flagGroups {
			for _, name := range g.flags {
				if !strings.Contains(sections[g.title], "--"+name+" ") && !strings.Contains(sections[g.title], "--"+name+"\n") {
					t.Errorf("serve %s: --%s not under %q:\n%s", arg, name, g.title, out)
				}
				if !strings.Contains(sections[g.title], "env "+envName(name)) {
					t.Errorf("serve %s: %s not under %q", arg, envName(name), g.title)
				}
			}
		}
	}
	_, out, _ := runCLI(t, "serve", "--help")
	for _, want := range []string{"env HELPR_ADDR, default 127.0.0.1:8080", "env HELPR_PUBLIC_URL, default http://<addr>", "env HELPR_SHUTDOWN_TIMEOUT, default 15s"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, out)
		}
	}
}

// helpSections splits --help output into its "Title:" sections.
func helpSections(out string) map[string]string {
	sections := map[string]string{}
	title := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		if t, ok := strings.CutSuffix(line, ":\n"); ok && !strings.HasPrefix(line, " ") {
			title = t
			continue
		}
		sections[title] += line
	}
	return sections
}

// An unknown flag is a usage error (exit 2) that points at --help, once.
func TestServeUnknownFlagPointsAtHelp(t *testing.T) {
	code, out, errOut := runCLI(t, "serve", "--no-such-flag")
	if code != 2 || out != "" || !strings.Contains(errOut, "no-such-flag") || !strings.Contains(errOut, "helpr serve --help") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// `helpr keys --help` and `helpr keys <sub> --help` print help and exit 0.
func TestKeysHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"keys", "--help"}, {"keys", "-h"}, {"keys", "help"}, {"keys", "list", "--help"}, {"keys", "retire", "-h"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "helpr keys rotate") || strings.Contains(out, "help requested") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if _, out, _ := runCLI(t, "keys", "retire", "--help"); !strings.Contains(out, "--version uint") || !strings.Contains(out, "--data-dir") {
		t.Errorf("keys retire --help lacks its flags:\n%s", out)
	}
}

// `helpr --version` and `helpr version` print "helpr <version>" and exit 0.
// -v is not a version flag (it means verbose to most tools).
func TestVersionFlagAndCommand(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		code, out, errOut := runCLI(t, arg)
		if code != 0 || errOut != "" || out != "helpr "+buildVersion()+"\n" {
			t.Errorf("helpr %s: exit %d, stdout %q, stderr %q", arg, code, out, errOut)
		}
	}
	if code, _, _ := runCLI(t, "-v"); code != 2 {
		t.Errorf("helpr -v: exit %d, want 2 (unknown command)", code)
	}
}

// A bad --addr is reported once; the default public URL, derived from it,
// is not reported as a second error.
func TestBadAddrGivesOneError(t *testing.T) {
	code, _, errOut := runCLI(t, "serve", "--addr", "nonsense", "--data-dir", filepath.Join(t.TempDir(), "d"))
	if code != 2 || !strings.Contains(errOut, `--addr "nonsense"`) || strings.Contains(errOut, "--public-url") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// A port that is taken stops the server before it creates anything in a
// new data directory: no secrets, not even the directory. The same for a
// taken --pprof-addr or --metrics-addr.
func TestTakenPortFailsBeforeCreatingSecrets(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	for name, args := range map[string][]string{
		"addr":         {"--addr", busy},
		"pprof-addr":   {"--addr", freeAddr(t), "--pprof-addr", busy, "--metrics-addr", "off"},
		"metrics-addr": {"--addr", freeAddr(t), "--metrics-addr", busy},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		code, _, errOut := runCLI(t, append([]string{"serve", "--data-dir", dir}, args...)...)
		if code != 1 || !strings.Contains(errOut, busy) {
			t.Errorf("--%s taken: exit %d, stderr %q", name, code, errOut)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			entries, _ := os.ReadDir(filepath.Join(dir, "secrets"))
			t.Errorf("--%s taken: the data directory was created (secrets: %v)", name, entries)
		}
	}
}

// --pid-file is written (the pid and a newline, mode 0644) once the server
// listens, refuses a second server while the first runs, and is removed on
// a graceful exit, which exits 0 on SIGINT.
func TestPIDFileWrittenRefusedWhileLiveAndRemoved(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "helpr.pid")
	p := startProc(t, "n1", freeAddr(t), "--data-dir", dir, "--pid-file", pidPath)
	b, err := os.ReadFile(pidPath)
	if err != nil || string(b) != fmt.Sprintf("%d\n", p.cmd.Process.Pid) {
		t.Fatalf("pid file: %q, %v (pid %d)", b, err, p.cmd.Process.Pid)
	}
	if fi, _ := os.Stat(pidPath); fi.Mode().Perm() != 0o644 {
		t.Errorf("pid file mode %v, want 0644", fi.Mode().Perm())
	}
	other := filepath.Join(t.TempDir(), "data")
	code, _, errOut := runCLI(t, "serve", "--addr", freeAddr(t), "--data-dir", other, "--pid-file", pidPath)
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("process %d is running", p.cmd.Process.Pid)) {
		t.Errorf("second server on a live pid file: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(other); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused server created its data directory")
	}
	if code := interrupt(t, p); code != 0 {
		t.Errorf("exit code after SIGINT: %d\n%s", code, p.logs.String())
	}
	if _, err := os.Stat(pidPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pid file left after a graceful exit: %v", err)
	}
}

// A pid file left by a process that is gone is replaced; a file that is not
// a pid file is refused and left alone.
func TestPIDFileStaleReplacedForeignRefused(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "helpr.pid")
	if err := os.WriteFile(pidPath, []byte(fmt.Sprintf("%d\n", exitedPID(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "n1", freeAddr(t), "--data-dir", dir, "--pid-file", pidPath)
	if b, _ := os.ReadFile(pidPath); string(b) != fmt.Sprintf("%d\n", p.cmd.Process.Pid) {
		t.Errorf("stale pid file not replaced: %q", b)
	}
	interrupt(t, p)

	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("not a pid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "serve", "--addr", freeAddr(t), "--data-dir", dir, "--pid-file", notes)
	if b, _ := os.ReadFile(notes); code != 1 || !strings.Contains(errOut, "does not hold a pid") || string(b) != "not a pid\n" {
		t.Errorf("foreign file: exit %d, stderr %q, file now %q", code, errOut, b)
	}
}

// exitedPID returns the pid of a process that has exited and been reaped.
func exitedPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess(testsvc.HelprBinary(t), []string{"helpr", "version"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// Console logs written to a pipe (not a terminal) carry no ANSI colours.
func TestConsoleLogsHaveNoColourOffTerminal(t *testing.T) {
	p := startProc(t, "n1", freeAddr(t), "--data-dir", t.TempDir(), "--log-format", "console")
	interrupt(t, p)
	logs := p.logs.String()
	if !strings.Contains(logs, "helpr serving") || strings.Contains(logs, "\x1b[") {
		t.Fatalf("console logs on a pipe:\n%q", logs)
	}
}

// interrupt sends SIGINT, as Ctrl-C does, and returns the exit code.
func interrupt(t *testing.T, p *proc) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30 s after SIGINT")
	}
	return p.cmd.ProcessState.ExitCode()
}

// The README's configuration table is one table (no blank line splits it)
// and has a row for every flag of `helpr serve`.
func TestReadmeConfigurationTableListsEveryServeFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Configuration\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var tables []string
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		isRow := strings.HasPrefix(line, "|")
		if isRow && !inTable {
			tables = append(tables, "")
		}
		if isRow {
			tables[len(tables)-1] += line + "\n"
		}
		inTable = isRow
	}
	if len(tables) != 1 {
		t.Fatalf("the Configuration section has %d tables, want 1", len(tables))
	}
	serveFlagSet(&Config{}).VisitAll(func(f *flag.Flag) {
		if !strings.Contains(tables[0], "`--"+f.Name+"`") || !strings.Contains(tables[0], "`"+envName(f.Name)+"`") {
			t.Errorf("README configuration table has no row for --%s (%s)", f.Name, envName(f.Name))
		}
	})
}
