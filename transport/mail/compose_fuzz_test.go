package mail

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"testing"
)

// FuzzComposeHeaders attacks header injection: whatever To and Subject a
// flow hands Enqueue, a message that passes checkMessage composes to one
// that parses with exactly the headers compose writes, one To holding the
// checked address and a Subject decoding back to the input.
func FuzzComposeHeaders(f *testing.F) {
	for _, seed := range [][2]string{
		{"ada@example.test", "Sign in to helpr"},
		{"ada@example.test\r\nBcc: eve@example.test", "x"},
		{"ada@example.test", "x\r\nBcc: eve@example.test"},
		{"Ada <ada@example.test>", "Grüße – =?utf-8?q?x?="},
		{`"a\r\nb" <ada@example.test>`, "x\nX-Injected: 1"},
		{"ada@example.test, eve@example.test", "x"},
		{"=?utf-8?q?Eve=0D=0ABcc:_e@x?= <ada@example.test>", "x"},
	} {
		f.Add(seed[0], seed[1])
	}
	from, _ := ParseFrom(testFrom)
	f.Fuzz(func(t *testing.T, to, subject string) {
		m := Message{Kind: KindMagicLink, To: to, Subject: subject, Text: "body"}
		rcpt, subject, err := checkMessage(m)
		if err != nil {
			return
		}
		e, err := compose(from, "mail_fuzz", m.Kind, rcpt, subject, m.Text, newClock().Now())
		if err != nil {
			t.Fatalf("checked message does not compose: %v", err)
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(e.Data))
		if err != nil {
			t.Fatalf("composed message does not parse: %v\n%q", err, e.Data)
		}
		if len(msg.Header) != 9 || len(msg.Header["To"]) != 1 || msg.Header.Get("To") != rcpt || e.To != rcpt {
			t.Fatalf("headers %v for to %q subject %q", msg.Header, to, subject)
		}
		if got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || got != subject {
			t.Fatalf("subject %q decodes to %q (%v)", subject, got, err)
		}
		if _, err := netmail.ParseAddress(rcpt); err != nil {
			t.Fatalf("recipient %q is not an address: %v", rcpt, err)
		}
	})
}
