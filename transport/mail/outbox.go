package mail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

var _ Sender = (*Outbox)(nil)

// Outbox is the Sender used when no SMTP server is configured: each
// message becomes a file <dir>/<time>-<id>.eml (mode 0600, in a 0700
// directory) that the hub's owner can open with any mail reader. time is
// when the mail was queued (UTC, 20060102T150405.000Z), so files sort in
// queue order and a re-sent mail rewrites its own file. Nothing is ever
// dropped: a write that fails is retried by the Queue.
type Outbox struct {
	dir string
}

// NewOutbox creates dir (0700) if needed and returns its Outbox.
func NewOutbox(dir string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail outbox: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail outbox: %w", err)
	}
	return &Outbox{dir: dir}, nil
}

// Dir returns the outbox directory.
func (o *Outbox) Dir() string { return o.dir }

// FileName is the outbox file name of a message.
func FileName(e Envelope) string {
	return e.Date.UTC().Format("20060102T150405.000Z") + "-" + e.ID + ".eml"
}

// Send writes e to its file durably: a temporary file, synced, renamed
// into place, then the directory synced, so a reader never sees half a
// message and a crash after Send returned loses nothing.
func (o *Outbox) Send(ctx context.Context, e Envelope) error {
	if e.ID == "" || strings.ContainsAny(e.ID, `/\.`) {
		return &SendError{Reason: "outbox name", Permanent: true, Err: errors.New("mail id not usable as a file name")}
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Reason: "outbox", Err: err}
	}
	if err := o.write(filepath.Join(o.dir, FileName(e)), e.Data); err != nil {
		return &SendError{Reason: "outbox write", Err: err}
	}
	return nil
}

func (o *Outbox) write(path string, data []byte) error {
	tmp, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: a no-op
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(o.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
