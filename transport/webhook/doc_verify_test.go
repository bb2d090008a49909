package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docVerify is the standalone Go verifier of docs/webhooks.md, verbatim.
func docVerify(secret, header string, body []byte, now time.Time) bool {
	var t int64
	var sigs [][]byte
	for _, pair := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(pair, "=")
		switch k {
		case "t":
			t, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			if s, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, s)
			}
		}
	}
	if t == 0 || now.Sub(time.Unix(t, 0)).Abs() > 5*time.Minute {
		return false // missing timestamp, or a replay
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", t)
	mac.Write(body)
	want := mac.Sum(nil)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok // constant time, no early exit
	}
	return ok
}

// The documentation's verifiers (Go standalone, and Node.js when node is
// installed) accept helpr's signatures, both during a rotation, and
// refuse replays and tampering.
func TestDocumentedVerifiers(t *testing.T) {
	body := []byte(`{"id":"whd_1","type":"message.created"}`)
	a, b := NewSecret(), NewSecret()
	h := SignatureHeader([]string{a, b}, t0, body)
	cases := []struct {
		secret, header string
		body           []byte
		now            time.Time
		want           bool
	}{
		{a, h, body, t0, true}, {b, h, body, t0.Add(4 * time.Minute), true},
		{NewSecret(), h, body, t0, false}, {a, h, body, t0.Add(6 * time.Minute), false},
		{a, h, []byte(`{"id":"whd_2"}`), t0, false}, {a, "v1=" + strings.Repeat("0", 64), body, t0, false},
	}
	node, _ := exec.LookPath("node")
	for i, c := range cases {
		if got := docVerify(c.secret, c.header, c.body, c.now); got != c.want {
			t.Errorf("case %d: Go verifier = %v, want %v", i, got, c.want)
		}
		if node == "" {
			continue
		}
		out, err := exec.Command(node, "testdata/verify.js", c.secret, c.header, string(c.body),
			strconv.FormatInt(c.now.Unix(), 10)).Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		if got := strings.TrimSpace(string(out)) == "ok"; got != c.want {
			t.Errorf("case %d: Node verifier = %v, want %v", i, got, c.want)
		}
	}
}
