package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// ResetService is the password-reset flow: request a link, check it, set a
// new password with it.
type ResetService struct {
	Store    Store
	Keys     *Keys
	Clock    Clock
	Hasher   *Hasher
	Policy   PasswordPolicy
	Limiter  Limiter
	Limits   Limits
	TokenTTL time.Duration
	// BaseURL is the public origin the emailed link starts with.
	BaseURL string
	// MailQueued is called after a transaction queued an email, to wake the
	// mail worker. May be nil.
	MailQueued func()
	Logger     *slog.Logger

	// pending counts requests accepted but not yet processed, so tests and
	// shutdown can wait for them.
	pending sync.WaitGroup
	queue   chan queuedRequest
	once    sync.Once
}

type queuedRequest struct {
	ctx    context.Context
	req    ResetRequest
	client Client
}

// Accepted requests wait in a queue for a few workers. The queue is deep so
// that under a burst the answer still comes at once, whatever the requests
// match: only a full queue (a flood the per-IP limits should have stopped)
// makes a request wait, and then for every outcome alike.
const (
	requestWorkers    = 4
	requestQueueDepth = 4096
)

func (s *ResetService) startWorkers() {
	s.queue = make(chan queuedRequest, requestQueueDepth)
	for i := 0; i < requestWorkers; i++ {
		go func() {
			for q := range s.queue {
				s.process(q)
			}
		}()
	}
}

func (s *ResetService) process(q queuedRequest) {
	defer s.pending.Done()
	// The request's context ends with the response; the work must not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(q.ctx), time.Minute)
	defer cancel()
	if err := s.processRequest(ctx, q.req, q.client); err != nil {
		s.logger().Error("reset request failed", "err", err)
	}
}

// RequestReset validates the form and, if it is well-formed, accepts the
// request. Whether anything matched is decided off the request path, so
// the caller's response and its timing are the same for a match, a miss, a
// shared user and a throttled account. The returned error is only ever a
// *ValidationError (or a context error while waiting for queue space).
func (s *ResetService) RequestReset(ctx context.Context, form ResetRequestForm, client Client) error {
	req, errs := form.Validate()
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	s.once.Do(s.startWorkers)
	s.pending.Add(1)
	select {
	case s.queue <- queuedRequest{ctx: ctx, req: req, client: client}:
		return nil
	case <-ctx.Done():
		s.pending.Done()
		return ctx.Err()
	}
}

// Wait blocks until every accepted request has been processed.
func (s *ResetService) Wait() { s.pending.Wait() }

func (s *ResetService) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// Outcomes of a reset request, as written to the audit log.
const (
	OutcomeMatchedMain   = "matched_main"
	OutcomeMatchedShared = "matched_shared"
	OutcomeNoMatch       = "no_match"
	OutcomeThrottled     = "throttled"
)

// match finds the user the request names. All three fields must match one
// customer and one of its users; the comparison is made here in Go on
// normalised values, because a MySQL collation would ignore case and width.
func (s *ResetService) match(ctx context.Context, req ResetRequest) (Customer, User, bool, error) {
	cust, err := s.Store.CustomerByCode(ctx, req.CustomerCode)
	if errors.Is(err, ErrNotFound) {
		return Customer{}, User{}, false, nil
	}
	if err != nil {
		return Customer{}, User{}, false, err
	}
	user, err := s.Store.UserByEmail(ctx, req.Email)
	if errors.Is(err, ErrNotFound) {
		return Customer{}, User{}, false, nil
	}
	if err != nil {
		return Customer{}, User{}, false, err
	}
	ok := cust.Code == req.CustomerCode &&
		cust.PostalCode == req.PostalCode &&
		user.CustomerID == cust.ID &&
		user.Email.Key() == req.Email.Key()
	return cust, user, ok, nil
}

func (s *ResetService) processRequest(ctx context.Context, req ResetRequest, client Client) error {
	now := s.Clock()
	event := AuditEvent{At: now, Kind: AuditResetRequested, CustomerCode: string(req.CustomerCode),
		Email: string(req.Email), IP: client.IP, UserAgent: client.UserAgent}
	cust, user, ok, err := s.match(ctx, req)
	if err != nil {
		return fmt.Errorf("reset: match: %w", err)
	}
	if !ok {
		event.Detail = OutcomeNoMatch
		return s.Store.RecordAudit(ctx, &event)
	}
	event.UserID = &user.ID
	// Only requests that would send mail count against the account limits,
	// so a stranger guessing emails cannot use up a customer's allowance.
	allowed, err := s.allowMail(ctx, cust, user)
	if err != nil {
		return err
	}
	if !allowed {
		event.Detail = OutcomeThrottled
		return s.Store.RecordAudit(ctx, &event)
	}
	err = s.Store.InTx(ctx, func(tx Store) error {
		data := MailData{To: string(user.Email), CustomerCode: string(cust.Code), Company: cust.Company}
		kind := MailAskMainUser
		event.Detail = OutcomeMatchedShared
		if user.Role == RoleMain {
			kind, event.Detail = MailReset, OutcomeMatchedMain
			token, hash := NewResetToken()
			t := ResetToken{UserID: user.ID, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(s.TokenTTL)}
			if err := tx.CreateResetToken(ctx, &t); err != nil {
				return fmt.Errorf("create token: %w", err)
			}
			if err := tx.RevokeResetTokens(ctx, user.ID, t.ID, now); err != nil {
				return fmt.Errorf("revoke older tokens: %w", err)
			}
			data.Link = s.ResetLink(token)
			data.ExpiresInHours = int(s.TokenTTL.Round(time.Hour) / time.Hour)
		}
		if err := EnqueueMail(ctx, tx, s.Keys, kind, user.ID, data, now); err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
		return tx.RecordAudit(ctx, &event)
	})
	if err != nil {
		return fmt.Errorf("reset: request: %w", err)
	}
	s.mailQueued()
	return nil
}

func (s *ResetService) allowMail(ctx context.Context, cust Customer, user User) (bool, error) {
	okCode, _, err := s.Limiter.Allow(ctx, "mail:customer:"+string(cust.Code), s.Limits.MailsPerCustomer)
	if err != nil {
		return false, err
	}
	okEmail, _, err := s.Limiter.Allow(ctx, "mail:email:"+user.Email.Key(), s.Limits.MailsPerEmail)
	if err != nil {
		return false, err
	}
	return okCode && okEmail, nil
}

func (s *ResetService) mailQueued() {
	if s.MailQueued != nil {
		s.MailQueued()
	}
}

// ResetLink is the emailed link for token.
func (s *ResetService) ResetLink(token string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/password/reset/" + token
}

// TokenHolder is the account a live reset token belongs to.
type TokenHolder struct {
	TokenID      int64
	UserID       int64
	Email        Email
	CustomerCode CustomerCode
	ExpiresAt    time.Time
	// FirstPassword is true when the user has no password yet (新規作成).
	FirstPassword bool
}

// CheckToken reports whose live token this is. Unknown, expired, spent and
// revoked tokens all give ErrInvalidToken. It never spends the token: mail
// scanners open links before people do.
func (s *ResetService) CheckToken(ctx context.Context, token string) (TokenHolder, error) {
	if !WellFormedResetToken(token) {
		return TokenHolder{}, ErrInvalidToken
	}
	t, err := s.Store.ResetTokenByHash(ctx, HashResetToken(token))
	if errors.Is(err, ErrNotFound) {
		return TokenHolder{}, ErrInvalidToken
	}
	if err != nil {
		return TokenHolder{}, fmt.Errorf("reset: find token: %w", err)
	}
	if !t.Live(s.Clock()) {
		return TokenHolder{}, ErrInvalidToken
	}
	user, err := s.Store.UserByID(ctx, t.UserID)
	if err != nil {
		return TokenHolder{}, fmt.Errorf("reset: token user: %w", err)
	}
	cust, err := s.Store.CustomerByID(ctx, user.CustomerID)
	if err != nil {
		return TokenHolder{}, fmt.Errorf("reset: token customer: %w", err)
	}
	return TokenHolder{TokenID: t.ID, UserID: user.ID, Email: user.Email, CustomerCode: cust.Code,
		ExpiresAt: t.ExpiresAt, FirstPassword: !user.HasPassword()}, nil
}

// ValidatePassword checks a new password and its re-entry for the holder of
// a token, without changing anything (inline validation).
func (s *ResetService) ValidatePassword(h TokenHolder, pw, confirm string) FieldErrors {
	return s.Policy.CheckPair(pw, confirm, h.CustomerCode, h.Email)
}

// ResetPassword sets a new password with a live token. In one transaction
// it spends the token (of two concurrent submits exactly one wins), stores
// the hash, revokes the user's other tokens and every session, queues the
// 「パスワードが変更されました」 email and writes the audit event.
func (s *ResetService) ResetPassword(ctx context.Context, token, pw, confirm string, client Client) error {
	h, err := s.CheckToken(ctx, token)
	if err != nil {
		s.recordRejected(ctx, client)
		return err
	}
	if errs := s.ValidatePassword(h, pw, confirm); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("reset: hash: %w", err)
	}
	err = s.Store.InTx(ctx, func(tx Store) error {
		now := s.Clock()
		spent, err := tx.SpendResetToken(ctx, h.TokenID, now)
		if err != nil {
			return fmt.Errorf("spend token: %w", err)
		}
		if !spent {
			return ErrInvalidToken
		}
		if err := tx.SetPasswordHash(ctx, h.UserID, hash, now); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := tx.RevokeResetTokens(ctx, h.UserID, h.TokenID, now); err != nil {
			return fmt.Errorf("revoke tokens: %w", err)
		}
		if err := tx.DeleteUserSessions(ctx, h.UserID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		data := MailData{To: string(h.Email), CustomerCode: string(h.CustomerCode)}
		if err := EnqueueMail(ctx, tx, s.Keys, MailPasswordChanged, h.UserID, data, now); err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
		detail := "reset"
		if h.FirstPassword {
			detail = "first_password"
		}
		return tx.RecordAudit(ctx, &AuditEvent{At: now, Kind: AuditPasswordSet, UserID: &h.UserID,
			CustomerCode: string(h.CustomerCode), Email: string(h.Email), Detail: detail,
			IP: client.IP, UserAgent: client.UserAgent})
	})
	if errors.Is(err, ErrInvalidToken) {
		s.recordRejected(ctx, client)
		return ErrInvalidToken
	}
	if err != nil {
		return fmt.Errorf("reset: set password: %w", err)
	}
	s.mailQueued()
	return nil
}

func (s *ResetService) recordRejected(ctx context.Context, client Client) {
	err := s.Store.RecordAudit(ctx, &AuditEvent{At: s.Clock(), Kind: AuditTokenRejected,
		IP: client.IP, UserAgent: client.UserAgent})
	if err != nil {
		s.logger().Error("audit token rejected", "err", err)
	}
}
