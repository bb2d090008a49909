package ws

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// The Autobahn|Testsuite fuzzing client (wstest) cannot be installed here
// (no Debian package; PyPI unreachable), so this is a table of its case
// families that apply to a server, sent over raw TCP to the real endpoint,
// each asserting the close code the server sends.

// Opcodes and header bits of RFC 6455 §5.2.
const (
	opCont  = 0x0
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	rsv1    = 0x40
	rsv2    = 0x20
	rsv3    = 0x10
)

// rawFrame is one client frame as it goes on the wire.
type rawFrame struct {
	fin      bool
	bits     byte // rsv bits
	opcode   byte
	unmasked bool
	payload  []byte
}

func (f rawFrame) bytes() []byte {
	var b bytes.Buffer
	first := f.bits | f.opcode
	if f.fin {
		first |= 0x80
	}
	b.WriteByte(first)
	mask := byte(0x80)
	if f.unmasked {
		mask = 0
	}
	switch n := len(f.payload); {
	case n < 126:
		b.WriteByte(mask | byte(n))
	case n <= 0xffff:
		b.WriteByte(mask | 126)
		_ = binary.Write(&b, binary.BigEndian, uint16(n))
	default:
		b.WriteByte(mask | 127)
		_ = binary.Write(&b, binary.BigEndian, uint64(n))
	}
	p := bytes.Clone(f.payload)
	if !f.unmasked {
		key := [4]byte{0x12, 0x34, 0x56, 0x78}
		b.Write(key[:])
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	b.Write(p)
	return b.Bytes()
}

func text(s string) rawFrame { return rawFrame{fin: true, opcode: opText, payload: []byte(s)} }

func closeFrame(code uint16, reason string) rawFrame {
	p := binary.BigEndian.AppendUint16(nil, code)
	return rawFrame{fin: true, opcode: opClose, payload: append(p, reason...)}
}

// rawConn is a WebSocket client that writes whatever bytes it is told.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dialRaw does the opening handshake with extra request headers and
// returns the connection and the response status line's code.
func dialRaw(t *testing.T, base string, header http.Header) (*rawConn, *http.Response) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second)) // a deadlock guard
	req, _ := http.NewRequest(http.MethodGet, base+"/rest/v1/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	for k, v := range header {
		req.Header[k] = v
	}
	if err := req.Write(nc); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	return &rawConn{t: t, nc: nc, br: br}, resp
}

func (c *rawConn) send(frames ...rawFrame) {
	c.t.Helper()
	for _, f := range frames {
		if _, err := c.nc.Write(f.bytes()); err != nil {
			c.t.Fatalf("write: %v", err)
		}
	}
}

// next reads one server frame (servers never mask).
func (c *rawConn) next() (opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l uint16
		err = binary.Read(c.br, binary.BigEndian, &l)
		n = int(l)
	case 127:
		var l uint64
		err = binary.Read(c.br, binary.BigEndian, &l)
		n = int(l)
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return h[0] & 0x0f, payload, err
}

// awaitText reads until a text message containing want arrives.
func (c *rawConn) awaitText(want string) {
	c.t.Helper()
	for {
		op, p, err := c.next()
		if err != nil {
			c.t.Fatalf("waiting for %q: %v", want, err)
		}
		if op == opText && bytes.Contains(p, []byte(want)) {
			return
		}
		if op == opClose {
			c.t.Fatalf("waiting for %q: closed %d", want, closeCodeOf(p))
		}
	}
}

// closeCode reads until the server's close frame and returns its code; -1
// when the connection ended without one.
func (c *rawConn) closeCode() int {
	for {
		op, p, err := c.next()
		if err != nil {
			return -1
		}
		if op == opClose {
			return closeCodeOf(p)
		}
	}
}

func closeCodeOf(p []byte) int {
	if len(p) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(p))
}

// TestConformanceFraming sends each malformed (or edge) frame on an
// authenticated connection and asserts the close code that answers it.
func TestConformanceFraming(t *testing.T) {
	e := newLimitEnv(t, nil)
	tok := e.token(storage.SubjectAgent, e.owner)
	big := strings.Repeat("a", 126)
	for _, tc := range []struct {
		name   string
		frames []rawFrame
		want   int
	}{
		// 1.x/2.x/5.x: valid traffic gets answers, then a clean close.
		{"close 1000 echoed", []rawFrame{closeFrame(1000, "bye")}, 1000},
		{"close 3000 echoed", []rawFrame{closeFrame(3000, "")}, 3000},
		{"close 4999 echoed", []rawFrame{closeFrame(4999, "")}, 4999},
		{"close without payload", []rawFrame{{fin: true, opcode: opClose}}, 1005},
		// The websocket library's gap (docs/protocol.md): a close reason that
		// is not UTF-8 is echoed, where Autobahn 7.5.1 wants 1002 or 1007.
		// Kept so that a library fix shows up here and the doc is updated.
		{"close reason not utf-8 (library gap)", []rawFrame{closeFrame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")}, 1000},
		// Masking (RFC 6455 §5.1).
		{"unmasked text frame", []rawFrame{{fin: true, opcode: opText, unmasked: true, payload: []byte(`{"type":"ping"}`)}}, 1002},
		{"unmasked close frame", []rawFrame{{fin: true, opcode: opClose, unmasked: true, payload: []byte{0x03, 0xe8}}}, 1002},
		// 6.x UTF-8 handling.
		{"invalid utf-8 text", []rawFrame{text("{\"type\":\"ping\",\"ref\":\"\xff\"}")}, 1007},
		{"surrogate in utf-8 text", []rawFrame{text("\xed\xa0\x80")}, 1007},
		{"invalid utf-8 across fragments", []rawFrame{
			{opcode: opText, payload: []byte("\xce\xba\xe1")},
			{fin: true, opcode: opCont, payload: []byte("\xbd")},
		}, 1007},
		// 2.x/5.x control frames.
		{"ping over 125 bytes", []rawFrame{{fin: true, opcode: opPing, payload: []byte(big)}}, 1002},
		{"fragmented ping", []rawFrame{{opcode: opPing, payload: []byte("a")}, {fin: true, opcode: opCont, payload: []byte("b")}}, 1002},
		{"fragmented close", []rawFrame{{opcode: opClose, payload: []byte{0x03, 0xe8}}}, 1002},
		// 3.x reserved bits.
		{"rsv1 on text", []rawFrame{{fin: true, bits: rsv1, opcode: opText, payload: []byte(`{}`)}}, 1002},
		{"rsv2 on text", []rawFrame{{fin: true, bits: rsv2, opcode: opText, payload: []byte(`{}`)}}, 1002},
		{"rsv3 on ping", []rawFrame{{fin: true, bits: rsv3, opcode: opPing}}, 1002},
		// 4.x reserved opcodes.
		{"opcode 3", []rawFrame{{fin: true, opcode: 3}}, 1002},
		{"opcode 7", []rawFrame{{fin: true, opcode: 7, payload: []byte("x")}}, 1002},
		{"opcode 11", []rawFrame{{fin: true, opcode: 11}}, 1002},
		{"opcode 15", []rawFrame{{fin: true, opcode: 15, payload: []byte("x")}}, 1002},
		// 5.x fragmentation.
		{"continuation without start", []rawFrame{{fin: true, opcode: opCont, payload: []byte("x")}}, 1002},
		{"new message inside a fragmented one", []rawFrame{{opcode: opText, payload: []byte("{")}, text("{}")}, 1002},
		// 7.x close frames.
		{"close payload of 1 byte", []rawFrame{{fin: true, opcode: opClose, payload: []byte{0x03}}}, 1002},
		{"close code 0", []rawFrame{closeFrame(0, "")}, 1002},
		{"close code 999", []rawFrame{closeFrame(999, "")}, 1002},
		{"close code 1004", []rawFrame{closeFrame(1004, "")}, 1002},
		{"close code 1005", []rawFrame{closeFrame(1005, "")}, 1002},
		{"close code 1006", []rawFrame{closeFrame(1006, "")}, 1002},
		{"close code 1015", []rawFrame{closeFrame(1015, "")}, 1002},
		{"close code 2000", []rawFrame{closeFrame(2000, "")}, 1002},
		{"close code 5000", []rawFrame{closeFrame(5000, "")}, 1002},
		{"close reason over 123 bytes", []rawFrame{closeFrame(1000, big[:124])}, 1002},
		// 9.x limits: helpr's read limit.
		{"message over 32 KiB", []rawFrame{text(strings.Repeat("a", wire.MaxFrameBytes+1))}, 1009},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := dialRaw(t, e.base, http.Header{"Authorization": {"Bearer " + tok}})
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: %s", resp.Status)
			}
			c.awaitText(`"type":"ready"`)
			c.send(tc.frames...)
			if got := c.closeCode(); got != tc.want {
				t.Fatalf("close %d, want %d", got, tc.want)
			}
		})
	}
}

// TestConformanceValidTraffic: a fragmented text message with a ping
// between its fragments is one frame to helpr (answered with pong), and the
// ping is answered with its payload (Autobahn 2.x, 5.x).
func TestConformanceValidTraffic(t *testing.T) {
	e := newLimitEnv(t, nil)
	c, _ := dialRaw(t, e.base, http.Header{"Authorization": {"Bearer " + e.token(storage.SubjectAgent, e.owner)}})
	c.awaitText(`"type":"ready"`)
	payload := strings.Repeat("p", 125)
	c.send(
		rawFrame{opcode: opText, payload: []byte(`{"type":"pi`)},
		rawFrame{fin: true, opcode: opPing, payload: []byte(payload)},
		rawFrame{fin: true, opcode: opCont, payload: []byte(`ng","ref":"r1"}`)},
	)
	var pong, reply bool
	for !pong || !reply {
		op, p, err := c.next()
		if err != nil {
			t.Fatalf("read: %v (pong %v, reply %v)", err, pong, reply)
		}
		switch {
		case op == 0xA && string(p) == payload:
			pong = true
		case op == opText && bytes.Contains(p, []byte(`"type":"pong","ref":"r1"`)):
			reply = true
		case op == opClose:
			t.Fatalf("closed %d", closeCodeOf(p))
		}
	}
}

// TestConformanceBeforeAuth: a socket that has not authenticated is
// answered with close frames too — 4001 when the auth deadline passes in
// silence, 1002/1007 for bad framing.
func TestConformanceBeforeAuth(t *testing.T) {
	e := newLimitEnv(t, func(c *Config) { c.AuthTimeout = 200 * time.Millisecond })
	for _, tc := range []struct {
		name   string
		frames []rawFrame
		want   int
	}{
		{"silence past the auth deadline", nil, int(wire.CloseUnauthorized)},
		{"not an auth frame", []rawFrame{text(`{"type":"ping"}`)}, int(wire.CloseUnauthorized)},
		{"unmasked auth frame", []rawFrame{{fin: true, opcode: opText, unmasked: true, payload: []byte(`{"type":"auth"}`)}}, 1002},
		{"invalid utf-8 auth frame", []rawFrame{text("{\"type\":\"auth\",\"data\":{\"token\":\"\xc0\xaf\"}}")}, 1007},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := dialRaw(t, e.base, nil)
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: %s", resp.Status)
			}
			c.send(tc.frames...)
			if got := c.closeCode(); got != tc.want {
				t.Fatalf("close %d, want %d", got, tc.want)
			}
		})
	}
}

// TestConformanceHandshakeVersion: RFC 6455 §4.4 — a version other than 13
// is refused with 426 naming the version the server speaks.
func TestConformanceHandshakeVersion(t *testing.T) {
	e := newLimitEnv(t, nil)
	for _, v := range []string{"8", "12", "14", ""} {
		t.Run(fmt.Sprintf("version %q", v), func(t *testing.T) {
			h := http.Header{"Sec-Websocket-Version": {v}}
			if v == "" {
				h = http.Header{"Sec-Websocket-Version": nil}
			}
			_, resp := dialRaw(t, e.base, h)
			if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("%s with Sec-WebSocket-Version %q, want 426 with 13", resp.Status, resp.Header.Get("Sec-WebSocket-Version"))
			}
		})
	}
	if got := e.metrics.Rejections.With(codeUnsupportedVersion).Value(); got != 4 {
		t.Fatalf("%d refusals counted, want 4", got)
	}
}
