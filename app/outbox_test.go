package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const outboxTestToken = "T0KEN_outbox-abcdefghijklmnopqrstuvwxyz0123456789"

// outboxFakeStore keeps the outbox and audit log in memory; the rest of
// Store is left nil and panics if used.
type outboxFakeStore struct {
	Store

	mu       sync.Mutex
	msgs     map[int64]*OutboxMessage
	nextID   int64
	audits   []AuditEvent
	claims   int
	claimed  chan struct{} // gets a value on each ClaimMail, if set
	claimErr error
}

func newOutboxFakeStore() *outboxFakeStore {
	return &outboxFakeStore{msgs: map[int64]*OutboxMessage{}}
}

func (s *outboxFakeStore) EnqueueMail(_ context.Context, m *OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	m.ID = s.nextID
	cp := *m
	s.msgs[m.ID] = &cp
	return nil
}

func (s *outboxFakeStore) ClaimMail(_ context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error) {
	s.mu.Lock()
	defer func() {
		s.claims++
		s.mu.Unlock()
		if s.claimed != nil {
			select {
			case s.claimed <- struct{}{}:
			default:
			}
		}
	}()
	if s.claimErr != nil {
		return nil, s.claimErr
	}
	var ids []int64
	for id, m := range s.msgs {
		if m.Status == OutboxPending && !m.NextAttemptAt.After(now) && (m.LockedUntil == nil || m.LockedUntil.Before(now)) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []OutboxMessage
	for _, id := range ids[:min(limit, len(ids))] {
		until := now.Add(lease)
		s.msgs[id].LockedUntil = &until
		out = append(out, *s.msgs[id])
	}
	return out, nil
}

func (s *outboxFakeStore) MarkMailSent(_ context.Context, id int64, providerID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[id]
	m.Status, m.ProviderID, m.SentAt, m.Payload, m.LockedUntil = OutboxSent, providerID, &at, nil, nil
	return nil
}

func (s *outboxFakeStore) MarkMailFailed(_ context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[id]
	m.Attempts, m.NextAttemptAt, m.LastError, m.LockedUntil = attempts, next, lastErr, nil
	if dead {
		m.Status = OutboxDead
	}
	return nil
}

func (s *outboxFakeStore) RecordAudit(_ context.Context, e *AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audits = append(s.audits, *e)
	return nil
}

func (s *outboxFakeStore) message(tb testing.TB, id int64) OutboxMessage {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		tb.Fatalf("no outbox message %d", id)
	}
	return *m
}

func (s *outboxFakeStore) auditKinds() []AuditKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var kinds []AuditKind
	for _, e := range s.audits {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// outboxFakeMailer records what it is asked to send.
type outboxFakeMailer struct {
	mu   sync.Mutex
	sent []Mail
	send func(Mail) (string, error)
}

func (f *outboxFakeMailer) Send(ctx context.Context, m Mail) (string, error) {
	f.mu.Lock()
	f.sent = append(f.sent, m)
	n := len(f.sent)
	f.mu.Unlock()
	if f.send != nil {
		return f.send(m)
	}
	return fmt.Sprintf("provider-%d", n), nil
}

func (f *outboxFakeMailer) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// outboxFakeComposer puts the data in the text part so tests can see it
// survived sealing.
type outboxFakeComposer struct {
	compose func(MailKind, MailData) (Mail, error)
}

func (c outboxFakeComposer) Compose(kind MailKind, d MailData) (Mail, error) {
	if c.compose != nil {
		return c.compose(kind, d)
	}
	return Mail{From: "noreply@example.jp", To: d.To, Subject: "subject " + string(kind),
		Text: d.CustomerCode + " " + d.Link, Tag: string(kind)}, nil
}

type outboxTestClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *outboxTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *outboxTestClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type outboxFixture struct {
	store  *outboxFakeStore
	mailer *outboxFakeMailer
	clock  *outboxTestClock
	keys   *Keys
	logs   *bytes.Buffer
	worker *MailWorker
}

func newOutboxFixture(tb testing.TB) *outboxFixture {
	tb.Helper()
	keys, err := NewKeys([]byte("0123456789abcdef0123456789abcdef-outbox-test"))
	if err != nil {
		tb.Fatal(err)
	}
	f := &outboxFixture{
		store:  newOutboxFakeStore(),
		mailer: &outboxFakeMailer{},
		clock:  &outboxTestClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)},
		keys:   keys,
		logs:   &bytes.Buffer{},
	}
	f.worker = &MailWorker{
		Store:       f.store,
		Composer:    outboxFakeComposer{},
		Mailer:      f.mailer,
		Keys:        keys,
		Clock:       f.clock.Now,
		Logger:      slog.New(slog.NewTextHandler(&outboxSyncWriter{w: f.logs}, nil)),
		MaxAttempts: 3,
	}
	tb.Cleanup(func() {
		if strings.Contains(f.logs.String(), outboxTestToken) {
			tb.Errorf("the reset token appears in the log:\n%s", f.logs)
		}
		for _, e := range f.store.audits {
			if strings.Contains(e.Detail, outboxTestToken) {
				tb.Errorf("the reset token appears in an audit event: %+v", e)
			}
		}
	})
	return f
}

// outboxSyncWriter lets Run's goroutine and the test share the log buffer.
type outboxSyncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *outboxSyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (f *outboxFixture) enqueue(tb testing.TB, kind MailKind) int64 {
	tb.Helper()
	d := MailData{To: "taro@example.co.jp", CustomerCode: "JP0062652", Company: "テスト建材",
		Link: "https://portal.example.jp/password/reset/" + outboxTestToken, ExpiresInHours: 24}
	if err := EnqueueMail(context.Background(), f.store, f.keys, kind, 42, d, f.clock.Now()); err != nil {
		tb.Fatalf("EnqueueMail: %v", err)
	}
	return f.store.nextID
}

func TestMailWorkerSends(t *testing.T) {
	f := newOutboxFixture(t)
	id := f.enqueue(t, MailReset)
	if m := f.store.message(t, id); m.Status != OutboxPending || bytes.Contains(m.Payload, []byte(outboxTestToken)) {
		t.Fatalf("queued message: status %s, payload sealed %v; want pending and sealed", m.Status, !bytes.Contains(m.Payload, []byte(outboxTestToken)))
	}

	sent, err := f.worker.RunOnce(context.Background())
	if err != nil || sent != 1 {
		t.Fatalf("RunOnce: got %d, %v; want 1, nil", sent, err)
	}
	got := f.mailer.sent[0]
	if got.To != "taro@example.co.jp" || !strings.Contains(got.Text, outboxTestToken) || got.Tag != string(MailReset) {
		t.Errorf("mail sent: got %+v; want the queued data, link included", got)
	}
	m := f.store.message(t, id)
	if m.Status != OutboxSent || m.ProviderID != "provider-1" || m.SentAt == nil {
		t.Errorf("after send: status %s, provider id %q, sent at %v; want sent, provider-1, set", m.Status, m.ProviderID, m.SentAt)
	}
	if len(f.store.audits) != 1 {
		t.Fatalf("got %d audit events; want 1", len(f.store.audits))
	}
	e := f.store.audits[0]
	if e.Kind != AuditResetMailSent || e.UserID == nil || *e.UserID != 42 || e.Detail != string(MailReset) {
		t.Errorf("audit: got %+v; want mail.sent for user 42, detail reset", e)
	}

	sent, err = f.worker.RunOnce(context.Background())
	if err != nil || sent != 0 || f.mailer.calls() != 1 {
		t.Errorf("second RunOnce: got %d, %v, %d sends; want nothing sent again", sent, err, f.mailer.calls())
	}
}

func TestMailWorkerRetriesThenGivesUp(t *testing.T) {
	f := newOutboxFixture(t)
	f.mailer.send = func(m Mail) (string, error) {
		// A provider error that quotes the message must not leak the link.
		return "", fmt.Errorf("provider down while sending %q", m.Text)
	}
	id := f.enqueue(t, MailReset)
	start := f.clock.Now()

	for attempt := 1; attempt <= 3; attempt++ {
		sent, err := f.worker.RunOnce(context.Background())
		if err != nil || sent != 0 {
			t.Fatalf("attempt %d: RunOnce got %d, %v; want 0, nil", attempt, sent, err)
		}
		m := f.store.message(t, id)
		if m.Attempts != attempt {
			t.Fatalf("attempt %d: stored attempts %d", attempt, m.Attempts)
		}
		if strings.Contains(m.LastError, outboxTestToken) || !strings.Contains(m.LastError, "provider down") {
			t.Errorf("attempt %d: last error %q; want the reason without the token", attempt, m.LastError)
		}
		if attempt < 3 {
			if m.Status != OutboxPending {
				t.Fatalf("attempt %d: status %s; want pending", attempt, m.Status)
			}
			full := mailBackoffBase << (attempt - 1)
			wait := m.NextAttemptAt.Sub(f.clock.Now())
			if wait < full/2 || wait > full {
				t.Errorf("attempt %d: retry in %v; want between %v and %v", attempt, wait, full/2, full)
			}
			// Not due yet: nothing is sent.
			if _, err := f.worker.RunOnce(context.Background()); err != nil || f.mailer.calls() != attempt {
				t.Errorf("attempt %d: sent again before the backoff (%d sends, %v)", attempt, f.mailer.calls(), err)
			}
			f.clock.Set(m.NextAttemptAt)
			continue
		}
		if m.Status != OutboxDead {
			t.Errorf("after %d attempts: status %s; want dead", attempt, m.Status)
		}
	}
	if got := f.store.auditKinds(); !slices.Equal(got, []AuditKind{AuditMailFailed}) {
		t.Errorf("audit kinds: got %v; want [mail.failed]", got)
	}
	if f.clock.Now().Sub(start) <= 0 {
		t.Error("clock never moved; the backoff was not exercised")
	}
}

func TestMailWorkerDeadLetters(t *testing.T) {
	tests := []struct {
		name    string
		payload func(f *outboxFixture) []byte
		compose func(MailKind, MailData) (Mail, error)
	}{
		{name: "tampered payload", payload: func(f *outboxFixture) []byte {
			p := f.keys.SealPayload([]byte(`{"to":"a@example.jp"}`))
			p[len(p)-1] ^= 1
			return p
		}},
		{name: "other key", payload: func(*outboxFixture) []byte {
			other, _ := NewKeys([]byte("another-secret-another-secret-another-secret"))
			return other.SealPayload([]byte(`{"to":"a@example.jp"}`))
		}},
		{name: "not json", payload: func(f *outboxFixture) []byte { return f.keys.SealPayload([]byte("not json")) }},
		{name: "compose fails", compose: func(MailKind, MailData) (Mail, error) { return Mail{}, errors.New("no link") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newOutboxFixture(t)
			f.worker.Composer = outboxFakeComposer{compose: tt.compose}
			var id int64
			if tt.payload != nil {
				m := &OutboxMessage{Kind: MailReset, UserID: 7, Payload: tt.payload(f), Status: OutboxPending, NextAttemptAt: f.clock.Now()}
				if err := f.store.EnqueueMail(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				id = m.ID
			} else {
				id = f.enqueue(t, MailReset)
			}
			if _, err := f.worker.RunOnce(context.Background()); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
			m := f.store.message(t, id)
			if m.Status != OutboxDead || m.Attempts != 1 {
				t.Errorf("got status %s after %d attempts; want dead after 1", m.Status, m.Attempts)
			}
			if f.mailer.calls() != 0 {
				t.Errorf("mailer called %d times; want 0", f.mailer.calls())
			}
			if got := f.store.auditKinds(); !slices.Equal(got, []AuditKind{AuditMailFailed}) {
				t.Errorf("audit kinds: got %v; want [mail.failed]", got)
			}
		})
	}
}

func TestMailWorkerDrainsQueue(t *testing.T) {
	f := newOutboxFixture(t)
	for range 2*mailBatch + 5 {
		f.enqueue(t, MailPasswordChanged)
	}
	sent, err := f.worker.RunOnce(context.Background())
	if err != nil || sent != 2*mailBatch+5 {
		t.Errorf("RunOnce: got %d, %v; want %d, nil", sent, err, 2*mailBatch+5)
	}
}

func TestMailWorkerClaimError(t *testing.T) {
	f := newOutboxFixture(t)
	f.store.claimErr = errors.New("database gone")
	if _, err := f.worker.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "database gone") {
		t.Errorf("RunOnce: got %v; want the claim error", err)
	}
}

func TestMailWorkerNotifyWakesRun(t *testing.T) {
	f := newOutboxFixture(t)
	f.store.claimed = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.worker.Run(ctx, time.Hour) // the tick never comes: only Notify can wake it
		close(done)
	}()
	select {
	case <-f.store.claimed: // the first pass found the queue empty
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not start")
	}
	f.enqueue(t, MailReset)
	f.worker.Notify()
	deadline := time.After(5 * time.Second)
	for f.mailer.calls() == 0 {
		select {
		case <-deadline:
			t.Fatal("Notify did not wake Run")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
}

func TestMailWorkerNotifyNeverBlocks(t *testing.T) {
	w := &MailWorker{}
	for range 10 {
		w.Notify() // no Run is listening
	}
}

func TestMailBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		full     time.Duration
	}{
		{1, 30 * time.Second},
		{2, time.Minute},
		{3, 2 * time.Minute},
		{7, 32 * time.Minute},
		{8, time.Hour},
		{30, time.Hour},
		{0, time.Hour},
	}
	for _, tt := range tests {
		for range 20 {
			if got := mailBackoff(tt.attempts); got < tt.full/2 || got > tt.full {
				t.Errorf("mailBackoff(%d) = %v; want between %v and %v", tt.attempts, got, tt.full/2, tt.full)
			}
		}
	}
}

func TestScrubMailError(t *testing.T) {
	d := MailData{Link: "https://portal.example.jp/password/reset/" + outboxTestToken}
	for _, in := range []string{
		"failed: " + d.Link,
		"failed: http://other.example/password/reset/" + outboxTestToken + " more",
		strings.Repeat("あ", 400),
	} {
		got := scrubMailError(in, d)
		if strings.Contains(got, outboxTestToken) || len(got) > mailLastErrorMax {
			t.Errorf("scrubMailError(%.40q…) = %.60q…; want no token and at most %d bytes", in, got, mailLastErrorMax)
		}
	}
}
