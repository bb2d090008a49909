package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// isTLS reports whether err is a TLS handshake or certificate failure.
func isTLS(err error) bool {
	var rec tls.RecordHeaderError
	var cert *tls.CertificateVerificationError
	var unk x509.UnknownAuthorityError
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	return errors.As(err, &rec) || errors.As(err, &cert) || errors.As(err, &unk) ||
		errors.As(err, &host) || errors.As(err, &inv)
}
