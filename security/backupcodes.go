package security

import (
	"crypto/rand"
	"strings"
)

// Backup codes: look-up secrets (NIST SP 800-63B §5.1.2) of 10 characters
// from a 32-letter alphabet without look-alikes (50 bits), shown as
// "xxxxx-xxxxx". They are stored only as keyed hashes (KeyedHash with
// BackupCodePurpose over BackupCodeValue).
const (
	BackupCodeCount   = 10
	BackupCodePurpose = "backup_code"
	backupCodeLen     = 10
	backupAlphabet    = "abcdefghjkmnpqrstuvwxyz023456789" // 32 letters: no i, l, o, 1; 256 % 32 == 0, so unbiased
)

// NewBackupCode returns a new random backup code, "xxxxx-xxxxx".
func NewBackupCode() string {
	b := make([]byte, backupCodeLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	out := make([]byte, 0, backupCodeLen+1)
	for i, v := range b {
		if i == backupCodeLen/2 {
			out = append(out, '-')
		}
		out = append(out, backupAlphabet[int(v)%len(backupAlphabet)])
	}
	return string(out)
}

// NormalizeBackupCode returns code lower-cased without dashes and spaces,
// and whether it has the shape of a backup code (so garbage is refused
// before any lookup).
func NormalizeBackupCode(code string) (string, bool) {
	code = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(code) != backupCodeLen {
		return "", false
	}
	for i := range len(code) {
		if !strings.ContainsRune(backupAlphabet, rune(code[i])) {
			return "", false
		}
	}
	return code, true
}

// BackupCodeValue is the value a backup code is keyed-hashed as: bound to
// its agent, so one agent's stored hash never matches another's code.
func BackupCodeValue(orgID, agentID, normalized string) string {
	return orgID + "/" + agentID + "/" + normalized
}
