package app

import "context"

// Mail is a composed email, ready for a provider. Headers come from
// configuration and the stored user, never from what was typed.
type Mail struct {
	From    string
	To      string
	Subject string
	Text    string
	HTML    string
	// Tag names the kind of message for the provider's statistics.
	Tag string
}

// Mailer delivers a composed email and returns the provider's message id.
// Implementations must switch off link rewriting (click tracking): a
// rewritten reset link would put the token in the provider's logs.
type Mailer interface {
	Send(ctx context.Context, m Mail) (providerID string, err error)
}

// MailData is what an email is composed from; it is the (sealed) outbox
// payload. Link is empty except for MailReset.
type MailData struct {
	To           string `json:"to"`
	CustomerCode string `json:"customer_code"`
	Company      string `json:"company"`
	Link         string `json:"link,omitempty"`
	// ExpiresInHours is the link's lifetime as the email states it.
	ExpiresInHours int `json:"expires_in_hours,omitempty"`
}

// MailComposer turns a kind and its data into subject, text and HTML.
type MailComposer interface {
	Compose(kind MailKind, d MailData) (Mail, error)
}
