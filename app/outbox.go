package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

const (
	defaultMailLease       = time.Minute
	defaultMailMaxAttempts = 8
	defaultMailInterval    = 10 * time.Second
	// mailBatch is how many messages one claim leases; small, so a slow
	// provider cannot hold many messages past their lease.
	mailBatch        = 10
	mailBackoffBase  = 30 * time.Second
	mailBackoffMax   = time.Hour
	mailLastErrorMax = 500
)

// MailWorker sends the outbox: it claims due messages, opens and composes
// them, hands them to the Mailer and records the outcome. Several workers
// (one per app instance) may share one database; the lease taken by
// ClaimMail keeps them from sending a message twice.
type MailWorker struct {
	Store       Store
	Composer    MailComposer
	Mailer      Mailer
	Keys        *Keys
	Clock       Clock
	Logger      *slog.Logger
	Lease       time.Duration // how long a claim holds a message; default 1m
	MaxAttempts int           // sends tried before a message is dead; default 8

	wakeOnce sync.Once
	wakeCh   chan struct{}
}

// EnqueueMail seals d and queues it as an outbox message. Call it with the
// transaction's store so the email exists exactly when the change that
// caused it (e.g. a new token) is committed.
func EnqueueMail(ctx context.Context, s OutboxStore, keys *Keys, kind MailKind, userID int64, d MailData, now time.Time) error {
	plain, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("outbox: encode %s mail: %w", kind, err)
	}
	m := &OutboxMessage{
		Kind:          kind,
		UserID:        userID,
		Payload:       keys.SealPayload(plain),
		Status:        OutboxPending,
		NextAttemptAt: now,
		CreatedAt:     now,
	}
	if err := s.EnqueueMail(ctx, m); err != nil {
		return fmt.Errorf("outbox: enqueue %s mail: %w", kind, err)
	}
	return nil
}

// Notify wakes Run at once, so a freshly queued email does not wait for
// the next tick. It never blocks; call it after the transaction commits.
func (w *MailWorker) Notify() {
	select {
	case w.wake() <- struct{}{}:
	default: // a wake-up is already pending
	}
}

func (w *MailWorker) wake() chan struct{} {
	w.wakeOnce.Do(func() { w.wakeCh = make(chan struct{}, 1) })
	return w.wakeCh
}

// Run sends due mail every interval, and whenever Notify is called, until
// ctx is done.
func (w *MailWorker) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = defaultMailInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.logger().Error("mail worker: run", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.wake():
		}
	}
}

// RunOnce sends every message that is due now and returns how many the
// provider accepted. Store errors are returned (joined) after the rest of
// the batch has been tried; send failures are recorded, not returned.
func (w *MailWorker) RunOnce(ctx context.Context) (sent int, err error) {
	var errs []error
	for {
		now := w.now()
		lease := w.lease()
		msgs, err := w.Store.ClaimMail(ctx, now, lease, mailBatch)
		if err != nil {
			errs = append(errs, fmt.Errorf("mail worker: claim: %w", err))
			break
		}
		leaseEnd := now.Add(lease)
		for i, m := range msgs {
			if ctx.Err() != nil {
				// Unsent claims return to the queue when their lease ends.
				return sent, errors.Join(append(errs, ctx.Err())...)
			}
			// Stop before the lease runs out: past it another worker may
			// claim the same message and send it too.
			left := leaseEnd.Sub(w.now()) - lease/10
			if left <= 0 {
				w.logger().Warn("mail worker: lease running out, leaving rest of batch", "left", len(msgs)-i)
				return sent, errors.Join(errs...)
			}
			ok, err := w.deliver(ctx, m, left)
			if ok {
				sent++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(msgs) < mailBatch || len(errs) > 0 {
			break
		}
	}
	return sent, errors.Join(errs...)
}

// deliver sends one claimed message and records the outcome. It reports
// whether the provider accepted it; the error is only for store failures.
func (w *MailWorker) deliver(ctx context.Context, m OutboxMessage, timeout time.Duration) (bool, error) {
	log := w.logger().With("outbox_id", m.ID, "kind", string(m.Kind), "user_id", m.UserID)
	plain, err := w.Keys.OpenPayload(m.Payload)
	if err != nil {
		// A payload sealed with another key (e.g. SECRET_KEY rotated) will
		// never open: retrying only delays the dead letter.
		return false, w.fail(ctx, log, m, MailData{}, "payload cannot be opened", true)
	}
	var d MailData
	if err := json.Unmarshal(plain, &d); err != nil {
		return false, w.fail(ctx, log, m, MailData{}, "payload cannot be decoded", true)
	}
	mail, err := w.Composer.Compose(m.Kind, d)
	if err != nil {
		// Composing is deterministic: the same data fails the same way.
		return false, w.fail(ctx, log, m, d, "compose: "+err.Error(), true)
	}
	sendCtx, cancel := context.WithTimeout(ctx, timeout)
	providerID, err := w.Mailer.Send(sendCtx, mail)
	cancel()
	if err != nil {
		attempts := m.Attempts + 1
		return false, w.fail(ctx, log, m, d, "send: "+err.Error(), attempts >= w.maxAttempts())
	}
	now := w.now()
	if err := w.Store.MarkMailSent(ctx, m.ID, providerID, now); err != nil {
		// The provider has it; if this record is lost the message is sent
		// again after the lease, the one duplicate the outbox allows.
		log.Error("mail worker: record sent", "provider_id", providerID, "err", err)
		return true, fmt.Errorf("mail worker: mark %d sent: %w", m.ID, err)
	}
	log.Info("mail sent", "provider_id", providerID)
	w.audit(ctx, log, AuditResetMailSent, m, d, "")
	return true, nil
}

// fail records a failed attempt: a retry after a backoff, or a dead letter.
func (w *MailWorker) fail(ctx context.Context, log *slog.Logger, m OutboxMessage, d MailData, reason string, dead bool) error {
	reason = scrubMailError(reason, d)
	attempts := m.Attempts + 1
	now := w.now()
	next := now.Add(mailBackoff(attempts))
	if dead {
		next = now
	}
	if err := w.Store.MarkMailFailed(ctx, m.ID, attempts, next, reason, dead); err != nil {
		log.Error("mail worker: record failure", "err", err)
		return fmt.Errorf("mail worker: mark %d failed: %w", m.ID, err)
	}
	if !dead {
		log.Warn("mail not sent, will retry", "attempts", attempts, "next_attempt_at", next, "reason", reason)
		return nil
	}
	log.Error("mail dead", "attempts", attempts, "reason", reason)
	w.audit(ctx, log, AuditMailFailed, m, d, reason)
	return nil
}

func (w *MailWorker) audit(ctx context.Context, log *slog.Logger, kind AuditKind, m OutboxMessage, d MailData, reason string) {
	e := &AuditEvent{At: w.now(), Kind: kind, CustomerCode: d.CustomerCode, Email: d.To, Detail: string(m.Kind)}
	if reason != "" {
		e.Detail += ": " + reason
	}
	if m.UserID != 0 {
		uid := m.UserID
		e.UserID = &uid
	}
	// The mail's outcome is already stored; a lost audit line must not
	// turn into a resend, so it is only logged.
	if err := w.Store.RecordAudit(ctx, e); err != nil {
		log.Error("mail worker: audit", "audit_kind", string(kind), "err", err)
	}
}

// scrubMailError keeps a provider's error fit for logs and the database:
// the link (which carries the token) is cut out, and the length bounded.
func scrubMailError(s string, d MailData) string {
	if d.Link != "" {
		s = strings.ReplaceAll(s, d.Link, "[link]")
	}
	if i := strings.Index(s, "/password/reset/"); i >= 0 {
		s = s[:i] + "/password/reset/[token]"
	}
	if len(s) > mailLastErrorMax {
		s = strings.ToValidUTF8(s[:mailLastErrorMax], "")
	}
	return s
}

// mailBackoff is the wait before attempt number attempts+1: 30s doubling
// per attempt, capped at an hour, with jitter so the messages of one
// provider outage do not all retry in the same second.
func mailBackoff(attempts int) time.Duration {
	d := mailBackoffMax
	if attempts >= 1 && attempts <= 20 {
		d = min(mailBackoffBase<<(attempts-1), mailBackoffMax)
	}
	return d/2 + rand.N(d/2+1)
}

func (w *MailWorker) now() time.Time {
	if w.Clock != nil {
		return w.Clock()
	}
	return time.Now()
}

func (w *MailWorker) lease() time.Duration {
	if w.Lease > 0 {
		return w.Lease
	}
	return defaultMailLease
}

func (w *MailWorker) maxAttempts() int {
	if w.MaxAttempts > 0 {
		return w.MaxAttempts
	}
	return defaultMailMaxAttempts
}

func (w *MailWorker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}
