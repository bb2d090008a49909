package security

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Password length limits, in characters (Unicode code points of the NFKC
// form), as ASVS 2.1.1 and 2.1.2 ask: at least 12, at most 128.
const (
	minPasswordChars = 12
	maxPasswordChars = 128
	// maxPasswordBytes bounds the input before it is normalised: enough
	// for 128 characters typed decomposed (a Hangul syllable as three
	// 3-byte jamo is 9 bytes), so normalising never sees a huge input.
	maxPasswordBytes = 16 * maxPasswordChars
)

// normalizePassword returns pw in Unicode NFKC, the form every new hash is
// made of: "ｐａｓｓ" typed on a full-width keyboard, or "é" as e and a
// combining accent, is then the same password as its plain form.
func normalizePassword(pw string) string { return norm.NFKC.String(pw) }

// passwordCandidates lists the forms Verify compares: the NFKC form, then,
// when it differs, pw as typed (hashes stored before normalisation).
func passwordCandidates(pw string) []string {
	n := normalizePassword(pw)
	if n == pw {
		return []string{n}
	}
	return []string{n, pw}
}

// PasswordTooLong reports whether pw is over the 128-character limit, so
// that no stored password can match it: sign-in refuses it before any
// lookup or hashing.
func PasswordTooLong(pw string) bool {
	return len(pw) > maxPasswordBytes || utf8.RuneCountInString(normalizePassword(pw)) > maxPasswordChars
}

// ValidatePassword checks a new password against the length policy: 12 to
// 128 characters, counted in its NFKC form (a 128-character password of
// 3-byte characters is 384 bytes and accepted).
func ValidatePassword(pw string) error {
	if PasswordTooLong(pw) {
		return ErrPasswordTooLong
	}
	if utf8.RuneCountInString(normalizePassword(pw)) < minPasswordChars {
		return ErrPasswordTooShort
	}
	return nil
}
