// Package device describes the client behind a User-Agent header for
// people reading their session list or a sign-in alert: the kind of device,
// the browser with its major version, and the operating system. It parses
// with github.com/mileusna/useragent and never fails: what it cannot tell
// is Unknown.
package device

import (
	"strings"

	"github.com/mileusna/useragent"
)

// Unknown is every field's value when the user agent does not tell.
const Unknown = "unknown"

// Device types.
const (
	TypeDesktop = "desktop"
	TypeMobile  = "mobile"
	TypeTablet  = "tablet"
	TypeBot     = "bot"
)

// maxUA bounds the parsed header: longer user agents are cut (the parser
// is linear, but nothing useful lies beyond this).
const maxUA = 512

// Info is what a user agent says about its client.
type Info struct {
	Type    string // desktop, mobile, tablet, bot or unknown
	Browser string // e.g. "Chrome 120", "Firefox", or unknown
	OS      string // e.g. "macOS 14", "Windows 10", or unknown
}

// Parse describes the client of user agent ua.
func Parse(ua string) Info {
	if len(ua) > maxUA {
		ua = ua[:maxUA]
	}
	if strings.TrimSpace(ua) == "" {
		return Info{Type: Unknown, Browser: Unknown, OS: Unknown}
	}
	p := useragent.Parse(ua)
	return Info{Type: kind(p), Browser: withMajor(p.Name, p.VersionNo.Major), OS: withMajor(p.OS, p.OSVersionNo.Major)}
}

// kind is the device type; a bot wins over any device it claims to be.
func kind(p useragent.UserAgent) string {
	switch {
	case p.Bot:
		return TypeBot
	case p.Tablet:
		return TypeTablet
	case p.Mobile:
		return TypeMobile
	case p.Desktop:
		return TypeDesktop
	}
	return Unknown
}

// withMajor is "name major", the name alone without a version, or Unknown
// without a name.
func withMajor(name string, major int) string {
	name = clean(name)
	switch {
	case name == "":
		return Unknown
	case major <= 0:
		return name
	}
	return name + " " + itoa(major)
}

// clean keeps printable ASCII of a parsed name, at most 40 bytes: it ends
// up in mail and HTML.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 40; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

func itoa(n int) string {
	if n > 9999 {
		n = 9999
	}
	var buf [4]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}
