package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Ctrl-C on `make run` in a terminal stops helpr gracefully and make exits
// 0. The test runs make on a new pseudo-terminal, as a shell runs a
// foreground job, and types ^C: the terminal sends SIGINT to its foreground
// process group, as it does for a user. Console logs are coloured there.
func TestMakeRunCtrlCExitsZero(t *testing.T) {
	master, slave := openPTY(t)
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "helpr.pid")
	cmd := exec.Command("make", "-C", "../..", "--no-print-directory", "run", "ADDR="+freeAddr(t),
		"DATA_DIR="+filepath.Join(dir, "data"), "RUN_FLAGS=--pid-file "+pidPath)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	out := &syncBuffer{}
	go func() { _, _ = io.Copy(out, master) }()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { stopMakeRun(cmd, done, master, pidPath) })

	waitOutput(t, out, done, "helpr serving", 180*time.Second)
	if _, err := master.Write([]byte{0x03}); err != nil { // ^C
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("make run still running 30 s after ^C:\n%s", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("make run exited %d (%v) after ^C, want 0:\n%s", code, cmd.ProcessState, out.String())
	}
	if s := out.String(); !strings.Contains(s, "shutting down") || !strings.Contains(s, "\x1b[") {
		t.Errorf("want a graceful shutdown and coloured console logs on a terminal:\n%q", s)
	}
	if _, err := os.Stat(pidPath); err == nil {
		t.Errorf("pid file left after the graceful exit")
	}
}

// waitOutput waits until out contains want, failing if the command ends.
func waitOutput(t *testing.T, out *syncBuffer, done <-chan struct{}, want string, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for !strings.Contains(out.String(), want) {
		select {
		case <-done:
			t.Fatalf("make run ended before %q:\n%s", want, out.String())
		case <-deadline:
			t.Fatalf("no %q within %v:\n%s", want, limit, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopMakeRun ends whatever is left of a failed run: helpr by its pid file
// (it runs in a process group of its own), then make.
func stopMakeRun(cmd *exec.Cmd, done <-chan struct{}, master *os.File, pidPath string) {
	if b, err := os.ReadFile(pidPath); err == nil {
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	master.Close()
}

// openPTY opens a new pseudo-terminal pair with Linux's /dev/ptmx.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var unlock int32
	var n uint32
	if err := ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatal(err)
	}
	if err := ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// ioctl runs one ioctl on f without taking it out of the runtime's poller.
func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
