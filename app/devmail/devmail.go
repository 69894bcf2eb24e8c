// Package devmail is the mail driver for local runs: it "sends" by keeping
// the message in memory for the /_dev/mail pages and logging it.
package devmail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/hafele-online/reset/app"
)

// Capacity is how many messages the mailbox keeps; older ones are dropped.
const Capacity = 100

// Message is one mail the dev driver accepted.
type Message struct {
	ID   string
	At   time.Time
	Mail app.Mail
}

// Mailbox implements app.Mailer without sending anything.
type Mailbox struct {
	logger     *slog.Logger
	production bool
	now        func() time.Time

	mu   sync.Mutex
	msgs []Message // oldest first, at most Capacity
}

var _ app.Mailer = (*Mailbox)(nil)

// New returns an empty mailbox. In production mode the log shows only who
// got which mail, never a body or a link: a reset link is a credential.
func New(logger *slog.Logger, production bool) *Mailbox {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Mailbox{logger: logger, production: production, now: time.Now}
}

// linkPattern finds the links in a text part, so a developer can follow a
// reset link straight from the server log.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Send keeps m and logs it.
func (b *Mailbox) Send(ctx context.Context, m app.Mail) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("devmail: send: %w", err)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	msg := Message{ID: "dev-" + hex.EncodeToString(raw[:]), At: b.now(), Mail: m}

	b.mu.Lock()
	if len(b.msgs) >= Capacity {
		// Copy down rather than reslice so the dropped bodies can be freed.
		n := copy(b.msgs, b.msgs[len(b.msgs)-Capacity+1:])
		clear(b.msgs[n:])
		b.msgs = b.msgs[:n]
	}
	b.msgs = append(b.msgs, msg)
	b.mu.Unlock()

	attrs := []any{"id", msg.ID, "to", m.To, "subject", m.Subject, "tag", m.Tag}
	if !b.production {
		if links := linkPattern.FindAllString(m.Text, -1); len(links) > 0 {
			attrs = append(attrs, "links", links)
		}
	}
	b.logger.InfoContext(ctx, "devmail: message kept", attrs...)
	return msg.ID, nil
}

// Messages returns the kept messages, newest first.
func (b *Mailbox) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Message, len(b.msgs))
	for i, m := range b.msgs {
		out[len(b.msgs)-1-i] = m
	}
	return out
}

// Message returns the kept message with the given id.
func (b *Mailbox) Message(id string) (Message, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Message{}, false
}
