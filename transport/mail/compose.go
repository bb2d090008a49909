package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of one Message, checked by Queue.Enqueue.
const (
	maxAddressBytes = 254      // RFC 5321 path limit
	maxSubjectBytes = 250      // keeps the header line far below 998 bytes
	maxTextBytes    = 64 << 10 // a security mail is a few lines
	maxKindBytes    = 40
)

// Envelope is one composed message, ready for a Sender.
type Envelope struct {
	ID   string    // the queued mail's id (outbox file name, Message-ID)
	Kind string    // what the mail is for (Kind*), for logs
	Date time.Time // when it was queued: its Date header
	From string    // bare sender address (MAIL FROM)
	To   string    // bare recipient address (RCPT TO)
	Data []byte    // the RFC 5322 message, CRLF line endings
}

// errHeaderInjection refuses a header value that would end its line.
var errHeaderInjection = errors.New("header value holds a line break or control character")

// checkMessage refuses a message no Sender may send: an unknown-looking
// kind, a recipient that is not one plain address, a subject with a line
// break or control character (header injection), over-long or invalid
// UTF-8 fields. It returns the recipient's bare address and the subject
// without surrounding white space (which a reader's parser drops).
func checkMessage(m Message) (to, subject string, err error) {
	if m.Kind == "" || len(m.Kind) > maxKindBytes || strings.IndexFunc(m.Kind, notKindRune) >= 0 {
		return "", "", errors.New("kind: want a short lower-case name such as magic_link")
	}
	if to, err = checkAddress(m.To); err != nil {
		return "", "", fmt.Errorf("to: %w", err)
	}
	subject = strings.TrimSpace(m.Subject)
	if err := checkHeaderValue(subject, maxSubjectBytes); err != nil || subject == "" {
		return "", "", fmt.Errorf("subject: %w", errors.Join(err, emptyErr(subject)))
	}
	if len(m.Text) > maxTextBytes || !utf8.ValidString(m.Text) || strings.ContainsRune(m.Text, 0) {
		return "", "", fmt.Errorf("text: at most %d bytes of UTF-8 without NUL", maxTextBytes)
	}
	return to, subject, nil
}

func emptyErr(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	return nil
}

func notKindRune(r rune) bool { return (r < 'a' || r > 'z') && r != '_' }

// checkHeaderValue refuses CR, LF and every other control character
// (header injection), invalid UTF-8 and values over max bytes.
func checkHeaderValue(v string, max int) error {
	if len(v) > max || !utf8.ValidString(v) {
		return fmt.Errorf("at most %d bytes of UTF-8", max)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return errHeaderInjection
	}
	return nil
}

// checkAddress returns the bare address of v, which must be exactly one
// mailbox ("ada@example.com" or "Ada <ada@example.com>").
func checkAddress(v string) (string, error) {
	if err := checkHeaderValue(v, maxAddressBytes); err != nil {
		return "", err
	}
	a, err := netmail.ParseAddress(v)
	if err != nil {
		return "", errors.New("want one email address")
	}
	if strings.IndexFunc(a.Address, unicode.IsControl) >= 0 || strings.ContainsAny(a.Address, " <>") {
		return "", errHeaderInjection
	}
	// The bare address must stand on its own (in RCPT TO and the To
	// header): a quoted local part that needs its quotes is refused.
	if bare, err := netmail.ParseAddress(a.Address); err != nil || bare.Address != a.Address || bare.Name != "" {
		return "", errors.New("want a plain address (no quoted local part)")
	}
	return a.Address, nil
}

// ParseFrom checks a sender such as `helpr <no-reply@chat.example.com>`
// (the --mail-from value).
func ParseFrom(v string) (*netmail.Address, error) {
	if err := checkHeaderValue(v, maxAddressBytes); err != nil {
		return nil, err
	}
	a, err := netmail.ParseAddress(v)
	if err != nil || !strings.Contains(a.Address, "@") {
		return nil, errors.New("want an address such as `helpr <no-reply@chat.example.com>`")
	}
	return a, nil
}

// compose renders a plain-text message: Date, Message-ID (the mail id at
// the sender's domain, stable across retries), From, To, Subject
// (RFC 2047-encoded when not ASCII), MIME-Version, Content-Type
// text/plain; charset=utf-8 and the body, CRLF throughout: as it is
// (7bit) when it is ASCII in lines of at most 998 bytes — so a link reads
// and copies straight out of an outbox file — else quoted-printable.
func compose(from *netmail.Address, id, kind, to, subject, text string, date time.Time) (Envelope, error) {
	rcpt, err := checkAddress(to)
	if err != nil {
		return Envelope{}, fmt.Errorf("to: %w", err)
	}
	if err := checkHeaderValue(subject, maxSubjectBytes); err != nil {
		return Envelope{}, fmt.Errorf("subject: %w", err)
	}
	var b bytes.Buffer
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	header := [][2]string{
		{"Date", date.UTC().Format(time.RFC1123Z)},
		{"Message-ID", "<" + id + "@" + domain + ">"},
		{"From", from.String()},
		{"To", rcpt},
		{"Subject", encodeHeader(subject)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", transferEncoding(text)},
		{"Auto-Submitted", "auto-generated"},
	}
	for _, h := range header {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	if err := writeBody(&b, text); err != nil {
		return Envelope{}, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return Envelope{ID: id, Kind: kind, Date: date, From: from.Address, To: rcpt, Data: b.Bytes()}, nil
}

// encodeHeader returns v as is when it is printable ASCII that no reader
// would decode, else as RFC 2047 "B" encoded words of at most 45 bytes of
// UTF-8 each (75 characters, whole characters only), folded onto
// continuation lines: a subject that looks like an encoded word reads
// literally.
func encodeHeader(v string) string {
	plain := !strings.Contains(v, "=?")
	for _, r := range v {
		plain = plain && r < utf8.RuneSelf
	}
	if plain {
		return v
	}
	var words []string
	for len(v) > 0 {
		n := 0
		for _, r := range v {
			if n+utf8.RuneLen(r) > 45 {
				break
			}
			n += utf8.RuneLen(r)
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(v[:n]))+"?=")
		v = v[n:]
	}
	return strings.Join(words, "\r\n ")
}

// maxPlainLine is the longest body line sent without encoding (the line
// limit of RFC 5322 and SMTP).
const maxPlainLine = 998

// transferEncoding is "7bit" for a body of short ASCII lines, else
// "quoted-printable".
func transferEncoding(text string) string {
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if len(line) > maxPlainLine {
			return "quoted-printable"
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c >= utf8.RuneSelf || c == '\r' || c < ' ' && c != '\t' {
				return "quoted-printable"
			}
		}
	}
	return "7bit"
}

// writeBody writes text to b in transferEncoding(text), lines ending CRLF.
func writeBody(b *bytes.Buffer, text string) error {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if transferEncoding(text) == "7bit" {
		b.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
		return nil
	}
	qp := quotedprintable.NewWriter(b)
	if _, err := qp.Write([]byte(text)); err != nil {
		return err
	}
	return qp.Close()
}
