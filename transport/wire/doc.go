// Package wire is helpr's WebSocket protocol: the frame types (frames.go),
// the strict decoder of client frames, the encoders of server frames, and
// the tables of error codes (errors.go) and close codes (close.go). The
// protocol is documented in docs/protocol.md; golden files under
// testdata/golden pin the bytes on the wire.
//
// Every frame is one JSON object {"type":…,"ref":…,"data":{…}} on a single
// line. A client sends one frame per WebSocket message; the server may
// coalesce several frames into one message, separated by "\n" (see
// SplitFrames).
//
// The package imports nothing else of helpr's, so clients (the bench
// harness, tests, third parties) can use it on its own.
package wire

// MaxFrameBytes is the largest WebSocket message a peer accepts (the server
// sets it as its read limit and closes with CloseMessageTooBig above it).
const MaxFrameBytes = 32 << 10
