package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A composed message is plain text with every header a reader expects,
// CRLF line endings, no line over 998 bytes, and a body and subject that
// decode back to what was queued, non-ASCII and long lines included.
func TestComposeHeadersAndEncoding(t *testing.T) {
	from, _ := ParseFrom(testFrom)
	text := "Grüße — sign in:\n\nhttps://chat.example.test/console/#magic=" + strings.Repeat("x", 120) + "\n"
	e, err := compose(from, "mail_abc", KindMagicLink, "ada@example.test", "Anmeldung bei helpr – Bestätigung", text, newClock().Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(e.Data, []byte("\r\n")) {
		if len(line) > 998 || bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("bad line %q", line)
		}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(e.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	want := map[string]string{"From": `"helpr" <no-reply@chat.example.test>`, "To": "ada@example.test",
		"MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable", "Message-ID": "<mail_abc@chat.example.test>",
		"Date": "Tue, 01 Dec 2026 09:00:00 +0000"}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subj != "Anmeldung bei helpr – Bestätigung" {
		t.Errorf("subject %q (%v)", subj, err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != text {
		t.Errorf("body %q, want %q", got, text)
	}
	if e.From != "no-reply@chat.example.test" || e.To != "ada@example.test" {
		t.Errorf("envelope %q → %q", e.From, e.To)
	}
}

// A body of short ASCII lines goes out as it is (7bit), so the link in an
// outbox file reads and copies straight; a long or non-ASCII one is
// quoted-printable (above).
func TestComposePlainASCIIBodyIsSevenBit(t *testing.T) {
	from, err := netmail.ParseAddress("helpr <no-reply@chat.example.test>")
	if err != nil {
		t.Fatal(err)
	}
	link := "https://chat.example.test/console/#magic=hlm_" + strings.Repeat("aB3_-", 9)
	text := "Open this link within 15 minutes:\n\n" + link + "\n"
	e, err := compose(from, "mail_abc", KindMagicLink, "ada@example.test", "Sign in", text, newClock().Now())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(e.Data))
	if err != nil {
		t.Fatal(err)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "7bit" {
		t.Fatalf("Content-Transfer-Encoding %q, want 7bit", cte)
	}
	if !bytes.Contains(e.Data, []byte("\r\n"+link+"\r\n")) {
		t.Fatalf("the link is not on a line of its own, as it is:\n%s", e.Data)
	}
	for _, bad := range []string{"caf\u00e9\n", strings.Repeat("x", 999) + "\n", "bell\a\n"} {
		if got := transferEncoding(bad); got != "quoted-printable" {
			t.Errorf("transferEncoding(%q) = %s", bad, got)
		}
	}
}

// The outbox writes <time>-<id>.eml, mode 0600 in a 0700 directory, and a
// re-send of the same mail rewrites its one file.
func TestOutboxWritesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := NewOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := envelope(t, "ada@example.test")
	for range 2 {
		if err := o.Send(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "20261201T090000.000Z-mail_test1.eml" {
		t.Fatalf("outbox holds %v (%v)", entries, err)
	}
	fi, _ := os.Stat(filepath.Join(dir, entries[0].Name()))
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("modes file %v dir %v", fi.Mode(), di.Mode())
	}
	data, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if !bytes.Equal(data, e.Data) {
		t.Fatal("file is not the message")
	}
	bad := e
	bad.ID = "../escape"
	if err := o.Send(t.Context(), bad); err == nil {
		t.Fatal("an id with a path was written")
	}
}
