package wire

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCodeOf(t *testing.T) {
	wrapped := fmt.Errorf("decode: %w", NewError(CodeConflict, "x"))
	for err, want := range map[error]ErrorCode{
		nil:                                   "",
		NewError(CodeNotFound, "no such one"): CodeNotFound,
		wrapped:                               CodeConflict,
		errors.New("boom"):                    CodeInternal,
	} {
		if got := CodeOf(err); got != want {
			t.Errorf("CodeOf(%v) = %q, want %q", err, got, want)
		}
	}
	if got := NewError(CodeBadFrame, "frame is not valid JSON").Error(); got != "bad_frame: frame is not valid JSON" {
		t.Errorf("Error() = %q", got)
	}
}

func TestErrorCodesKnown(t *testing.T) {
	codes := ErrorCodes()
	if len(codes) != 12 {
		t.Fatalf("%d error codes, want 12", len(codes))
	}
	seen := map[ErrorCode]bool{}
	for _, c := range codes {
		if !c.Known() || seen[c] || !regexp.MustCompile(`^[a-z_]+$`).MatchString(string(c)) {
			t.Errorf("bad or duplicate code %q", c)
		}
		seen[c] = true
	}
	if ErrorCode("nope").Known() {
		t.Error("an undefined code is Known")
	}
}

func TestCloseCodesDistinct(t *testing.T) {
	seen := map[CloseCode]bool{}
	for _, c := range CloseCodes() {
		if seen[c] || !(c >= 1000 && c <= 1011 || c == CloseTryAgain || c >= 4000 && c <= 4999) {
			t.Errorf("bad or duplicate close code %d", c)
		}
		seen[c] = true
	}
	if len(seen) != 14 {
		t.Fatalf("%d close codes, want 14", len(seen))
	}
}

// TestProtocolDocumentsTables keeps docs/protocol.md in step with the two
// tables of this package: the first column of the table under "## Error
// codes" and of the one under "## Close codes" list exactly the codes
// defined here.
func TestProtocolDocumentsTables(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatalf("read protocol document: %v", err)
	}
	var errorCodes, closeCodes []string
	for _, c := range ErrorCodes() {
		errorCodes = append(errorCodes, string(c))
	}
	for _, c := range CloseCodes() {
		closeCodes = append(closeCodes, strconv.Itoa(int(c)))
	}
	for heading, want := range map[string][]string{"## Error codes": errorCodes, "## Close codes": closeCodes} {
		got := firstColumn(t, string(doc), heading)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("docs/protocol.md %q table lists %v, the package defines %v", heading, got, want)
		}
	}
}

// firstColumn returns the first cell of every body row of the first table
// in the section that starts with heading.
func firstColumn(t *testing.T, doc, heading string) []string {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/protocol.md has no %q section", heading)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var cells []string
	row := regexp.MustCompile("(?m)^\\| *`?([^`|]+?)`? *\\|")
	for i, m := range row.FindAllStringSubmatch(section, -1) {
		if i < 2 { // header and separator rows
			continue
		}
		cells = append(cells, m[1])
	}
	return cells
}
