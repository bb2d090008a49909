package testsvc

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const testMessage = "From: a@example.test\r\nTo: b@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
	"link: https://x.test/#magic=3Dabc\r\n"

// The server records what it accepts, decoded; Refuse turns it away with
// a temporary failure; WithAuth requires AUTH before MAIL FROM.
func TestSMTPServerRecordsRefusesAndRequiresAuth(t *testing.T) {
	s := StartSMTP(t, WithAuth("u", "p"))
	send := func(auth sasl.Client) error {
		c, err := smtp.Dial(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if auth != nil {
			if err := c.Auth(auth); err != nil {
				return err
			}
		}
		return c.SendMail("a@example.test", []string{"b@example.test"}, strings.NewReader(testMessage))
	}
	if err := send(nil); err == nil || !strings.Contains(err.Error(), "530") {
		t.Fatalf("without AUTH: %v", err)
	}
	s.Refuse(true)
	if err := send(sasl.NewPlainClient("", "u", "p")); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("refusing: %v", err)
	}
	s.Refuse(false)
	if err := send(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	got := s.Wait(t, 1, 10*time.Second)
	if len(got) != 1 || got[0].Subject != "Grüße" || got[0].Body != "link: https://x.test/#magic=abc\n" ||
		got[0].From != "a@example.test" || got[0].To[0] != "b@example.test" || got[0].User != "u" || got[0].TLS {
		t.Fatalf("recorded %+v", got)
	}
	if !strings.HasPrefix(s.URL(), "smtp://u:p@127.0.0.1:") {
		t.Fatalf("url %s", s.URL())
	}
}
