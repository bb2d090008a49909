package device

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		ua   string
		want Info
	}{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Info{TypeDesktop, "Chrome 120", "macOS 10"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
			Info{TypeDesktop, "Firefox 121", "Windows 10"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
			Info{TypeMobile, "Safari 17", "iOS 17"}},
		{"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
			Info{TypeTablet, "Safari 16", "iOS 16"}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			Info{TypeBot, "Googlebot 2", Unknown}},
		{"", Info{Unknown, Unknown, Unknown}},
		{"   ", Info{Unknown, Unknown, Unknown}},
	} {
		if got := Parse(c.ua); got != c.want {
			t.Errorf("Parse(%.60q) = %+v, want %+v", c.ua, got, c.want)
		}
	}
}

// Whatever arrives, the fields are short printable ASCII and never empty.
func FuzzParse(f *testing.F) {
	f.Add("Mozilla/5.0 (X11; Linux x86_64) Chrome/119.0 Safari/537.36")
	f.Add("curl/8.4.0")
	f.Add(strings.Repeat("(", 2000))
	f.Add("Mozilla/5.0 (Android 14; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0\x00\n<script>")
	f.Fuzz(func(t *testing.T, ua string) {
		in := Parse(ua)
		for _, s := range []string{in.Type, in.Browser, in.OS} {
			if s == "" || len(s) > 45 {
				t.Fatalf("field %q of %q: empty or too long", s, ua)
			}
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] >= 0x7f {
					t.Fatalf("field %q of %q holds byte %#x", s, ua, s[i])
				}
			}
		}
	})
}
