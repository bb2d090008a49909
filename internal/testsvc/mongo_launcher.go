package testsvc

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

const (
	// launcherBuildTimeout bounds building the launcher (a first build
	// compiles FerretDB and its dependencies: about a minute here).
	launcherBuildTimeout = 10 * time.Minute
	// launcherStartTimeout bounds how long the launcher may take to print
	// its URI (a deadlock guard, not a speed requirement).
	launcherStartTimeout = time.Minute
)

// launcherSourceFiles are the files whose content keys the cached binary.
var launcherSourceFiles = []string{"go.mod", "go.sum", "main.go", "postgres.go"}

// buildLauncher returns the path of the launcher binary for the current
// sources and Go version, building it into the cache when it is not
// there yet. Concurrent test binaries may both build; the rename makes the
// last one win harmlessly.
func buildLauncher() (string, error) {
	src, err := launcherSource()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build the FerretDB launcher: %w", err)
	}
	key, err := launcherKey(src)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(launcherCacheDir(goBin), "helpr-testsvc")
	bin := filepath.Join(dir, "ferretdb-launcher-"+key)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("launcher cache: %w", err)
	}
	return bin, goBuild(goBin, src, bin)
}

// goBuild builds the launcher module in src into bin, via a temporary name
// in the same directory.
func goBuild(goBin, src, bin string) error {
	var r [8]byte
	_, _ = rand.Read(r[:])
	tmp := bin + ".tmp-" + hex.EncodeToString(r[:])
	ctx, cancel := context.WithTimeout(context.Background(), launcherBuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-C", src, "-o", tmp, ".")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("go build -C %s: %w\n%s", src, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("launcher cache: %w", err)
	}
	return nil
}

// launcherSource finds the launcher module next to this file (tests run
// from source), or under a parent of the working directory.
func launcherSource() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "ferretdb"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, filepath.Join(d, "internal", "testsvc", "ferretdb"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range candidates {
		if fi, err := os.Stat(filepath.Join(c, "go.mod")); err == nil && fi.Mode().IsRegular() {
			return c, nil
		}
	}
	return "", errors.New("launcher sources (internal/testsvc/ferretdb) not found")
}

// launcherKey hashes the launcher's sources and the Go version.
func launcherKey(src string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", runtime.Version())
	for _, name := range launcherSourceFiles {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return "", fmt.Errorf("launcher sources: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// launcherCacheDir is the Go build cache, or the user's cache directory
// when the build cache is off or unknown.
func launcherCacheDir(goBin string) string {
	out, err := exec.Command(goBin, "env", "GOCACHE").Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" && dir != "off" {
		return dir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return dir
	}
	return os.TempDir()
}

// launcher is a started launcher process.
type launcher struct {
	uri     string
	backend string      // what the launcher serves from, as it said
	dir     string      // its data directory, removed when it stops
	stdin   *os.File    // closing it stops the launcher
	proc    *os.Process // never waited for unless the caller does
}

// startLauncher starts bin on a fresh data directory, with the backend
// arguments args (see backendArgs), and returns it with the URI and
// backend it printed. Its log goes to a file in the data directory, quoted
// when it fails to start. No goroutine is left behind: every stream is a
// file.
func startLauncher(bin string, args ...string) (*launcher, error) {
	dir, err := os.MkdirTemp("", "helpr-ferretdb-")
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "launcher.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer inR.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		inW.Close()
		return nil, err
	}
	defer outR.Close()
	cmd := exec.Command(bin, append([]string{"-dir", dir, "-remove"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, logFile
	err = cmd.Start()
	outW.Close()
	if err != nil {
		inW.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	uri, backend, err := readURI(outR)
	if err != nil {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		inW.Close()
		log, _ := os.ReadFile(logPath)
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("launcher printed no URI: %w; its log:\n%s", err, log)
	}
	return &launcher{uri: uri, backend: backend, dir: dir, stdin: inW, proc: cmd.Process}, nil
}

// readURI reads the launcher's two output lines: a mongodb:// URI, then
// the backend it serves from ("backend postgresql …" or "backend sqlite …").
func readURI(out *os.File) (uri, backend string, err error) {
	_ = out.SetReadDeadline(time.Now().Add(launcherStartTimeout))
	r := bufio.NewReader(out)
	if uri, err = readLine(r); err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(uri, "mongodb://") {
		return "", "", fmt.Errorf("unexpected first line %q", uri)
	}
	if backend, err = readLine(r); err != nil {
		return "", "", err
	}
	backend, ok := strings.CutPrefix(backend, "backend ")
	if !ok {
		return "", "", fmt.Errorf("unexpected second line %q", backend)
	}
	return uri, backend, nil
}

// readLine reads one line without its line break.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	return strings.TrimSpace(line), err
}
