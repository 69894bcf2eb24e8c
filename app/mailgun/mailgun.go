// Package mailgun delivers the portal's emails through the Mailgun API.
package mailgun

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	mg "github.com/mailgun/mailgun-go/v4"

	"github.com/hafele-online/reset/app"
)

// sendTimeout bounds one API call, so a hung connection cannot hold an
// outbox lease; the caller's context may end it sooner.
const sendTimeout = 30 * time.Second

// Driver implements app.Mailer with Mailgun.
type Driver struct {
	client *mg.MailgunImpl
	apiKey string // kept only to scrub it from errors
}

var _ app.Mailer = (*Driver)(nil)

// New returns a driver for the sending domain. apiBase selects the region
// (https://api.eu.mailgun.net/v3) or a test server; empty means Mailgun's
// default (US).
func New(domain, apiKey, apiBase string) *Driver {
	c := mg.NewMailgun(domain, apiKey)
	if apiBase != "" {
		c.SetAPIBase(apiBase)
	}
	c.SetClient(&http.Client{Timeout: sendTimeout})
	return &Driver{client: c, apiKey: apiKey}
}

// Send hands m to Mailgun and returns its message id without the angle
// brackets. Tracking is switched off: click tracking would rewrite the
// reset link and put the token in Mailgun's logs, and open tracking adds
// a tracking pixel to a security mail.
func (d *Driver) Send(ctx context.Context, m app.Mail) (string, error) {
	msg := mg.NewMessage(m.From, m.Subject, m.Text, m.To)
	if m.HTML != "" {
		msg.SetHTML(m.HTML)
	}
	msg.SetTracking(false)
	msg.SetTrackingClicks(false)
	msg.SetTrackingOpens(false)
	if m.Tag != "" {
		if err := msg.AddTag(m.Tag); err != nil {
			return "", fmt.Errorf("mailgun: tag %q: %w", m.Tag, err)
		}
	}
	_, id, err := d.client.Send(ctx, msg)
	if err != nil {
		return "", d.scrub(fmt.Errorf("mailgun: send %s mail: %w", m.Tag, err))
	}
	id = strings.Trim(id, "<>")
	if id == "" {
		return "", fmt.Errorf("mailgun: send %s mail: no message id in the answer", m.Tag)
	}
	return id, nil
}

// scrub drops the error chain if its text holds the API key, since
// errors end up in logs and in the outbox's last_error column.
func (d *Driver) scrub(err error) error {
	if d.apiKey == "" || !strings.Contains(err.Error(), d.apiKey) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), d.apiKey, "[api key]"))
}
