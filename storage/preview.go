package storage

import (
	"strings"
	"unicode"
)

// PreviewLength is the most runes a conversation preview holds, the
// ellipsis included.
const PreviewLength = 140

// ellipsis ends a preview that was cut.
const ellipsis = "…"

// PreviewOf returns the preview of a message text: every run of white
// space (unicode.IsSpace: spaces, tabs, line breaks, no-break spaces)
// becomes one space, leading and trailing space is dropped, and a result
// longer than PreviewLength runes is cut to PreviewLength-1 runes (less any
// space the cut leaves at the end) followed by "…". The result is valid
// UTF-8 whatever text holds: an invalid byte becomes U+FFFD. It reads at
// most a few runes past the cut, so long texts cost no more than short ones.
func PreviewOf(text string) string {
	out := make([]rune, 0, min(len(text), PreviewLength+2))
	pending := false // a run of white space waits for the next word
	for _, r := range text {
		if unicode.IsSpace(r) {
			pending = len(out) > 0
			continue
		}
		if pending {
			out = append(out, ' ')
			pending = false
		}
		out = append(out, r)
		if len(out) > PreviewLength {
			break
		}
	}
	if len(out) <= PreviewLength {
		return string(out)
	}
	return strings.TrimRightFunc(string(out[:PreviewLength-1]), unicode.IsSpace) + ellipsis
}
