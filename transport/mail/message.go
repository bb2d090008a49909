// Package mail delivers helpr's outgoing email: account-security mail
// (sign-in links, reset codes, new-IP alerts, invitations, backup-code
// use) queued durably in storage and sent over SMTP, or written to a local
// outbox when no SMTP server is configured.
package mail

// Message is one outgoing plain-text email to one recipient. Text may hold
// the one link or code the mail exists to deliver, never a password or any
// other reusable secret. Kind names what the mail is for (for logs and
// metrics, never content): one of the Kind* constants.
type Message struct {
	OrgID   string // the organisation the mail is sent for ("" for none)
	To      string
	Subject string
	Text    string
	Kind    string
}

// Kinds of mail.
const (
	KindMagicLink      = "magic_link"
	KindPasswordReset  = "password_reset"
	KindNewIPAlert     = "new_ip_alert"
	KindInvitation     = "invitation"
	KindBackupCodeUsed = "backup_code_used"
	KindPasswordChange = "password_changed"
)
