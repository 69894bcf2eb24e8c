package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/ccojocar/zxcvbn-go/data"
	"golang.org/x/text/unicode/norm"
)

// Password length bounds. The minimum is configurable (PASSWORD_MIN_LENGTH)
// and never below the seed's 8; the maximum bounds hashing work.
const (
	DefaultPasswordMinLength = 8
	PasswordMaxLength        = 128
)

// PasswordPolicy holds the rules for a new password: length, not common,
// not the customer's own identifiers. No composition rules (NIST 800-63B).
type PasswordPolicy struct {
	MinLength int
	common    map[string]struct{}
}

// NewPasswordPolicy builds the policy with the common-password list shipped by
// github.com/ccojocar/zxcvbn-go (the maintained zxcvbn port used by gosec):
// its "Passwords" frequency list of leaked passwords. Only that list is read
// from the package's embedded data; its frequency package would parse all
// of its word lists (10 MB, 20 ms) at every program start.
func NewPasswordPolicy(minLength int) PasswordPolicy {
	if minLength < DefaultPasswordMinLength {
		minLength = DefaultPasswordMinLength
	}
	var list struct{ List []string }
	raw, err := data.Asset("data/Passwords.json")
	if err == nil {
		err = json.Unmarshal(raw, &list)
	}
	if err != nil || len(list.List) == 0 {
		// The list is compiled into the binary; without it the build is broken.
		panic(fmt.Sprintf("password policy: common-password list unreadable: %v", err))
	}
	common := make(map[string]struct{}, len(list.List))
	for _, p := range list.List {
		common[strings.ToLower(p)] = struct{}{}
	}
	return PasswordPolicy{MinLength: minLength, common: common}
}

// NormalizePassword applies NFKC, as NIST 800-63B suggests, so a password
// typed in full-width on a phone matches the same one typed on a PC. Spaces
// are kept: they are part of a passphrase.
func NormalizePassword(pw string) string { return norm.NFKC.String(pw) }

// Check returns the reason the password is rejected, or "" when it is
// acceptable. code and email are the account's own identifiers.
func (p PasswordPolicy) Check(pw string, code CustomerCode, email Email) MessageKey {
	if pw == "" {
		return MsgPasswordRequired
	}
	if !utf8.ValidString(pw) {
		return MsgInputInvalidChars
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return MsgInputInvalidChars
		}
	}
	pw = NormalizePassword(pw)
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		return MsgPasswordTooShort
	}
	if n > PasswordMaxLength {
		return MsgPasswordTooLong
	}
	lower := strings.ToLower(pw)
	if _, ok := p.common[lower]; ok {
		return MsgPasswordCommon
	}
	if p.personal(lower, code, email) {
		return MsgPasswordPersonal
	}
	return ""
}

func (p PasswordPolicy) personal(lower string, code CustomerCode, email Email) bool {
	trimmed := strings.TrimSpace(lower)
	candidates := []string{strings.ToLower(string(code)), email.Key()}
	if at := strings.LastIndexByte(email.Key(), '@'); at > 0 {
		candidates = append(candidates, email.Key()[:at])
	}
	for _, c := range candidates {
		if c != "" && trimmed == c {
			return true
		}
	}
	return false
}

// CheckPair checks a new password and its re-entry and returns the problems
// by field.
func (p PasswordPolicy) CheckPair(pw, confirm string, code CustomerCode, email Email) FieldErrors {
	errs := FieldErrors{}
	if msg := p.Check(pw, code, email); msg != "" {
		errs.Add(FieldPassword, msg)
	}
	switch {
	case confirm == "":
		errs.Add(FieldPasswordConfirm, MsgPasswordConfirmEmpty)
	case NormalizePassword(confirm) != NormalizePassword(pw):
		errs.Add(FieldPasswordConfirm, MsgPasswordMismatch)
	}
	return errs
}

// HashParams are the argon2id settings for new hashes. Stored hashes carry
// their own parameters (PHC string), so raising these later only affects
// new hashes and re-hashes on login.
type HashParams = argon2id.Params

// DefaultHashParams exceed OWASP's argon2id recommendations (m=19 MiB, t=2,
// p=1, or m=46 MiB, t=1): 64 MiB, 2 passes, 1 lane.
var DefaultHashParams = HashParams{Memory: 64 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Hasher hashes and verifies passwords with argon2id. A semaphore bounds the
// hashes running at once so a burst of logins cannot take memory without
// limit (each hash holds Params.Memory KiB while it runs).
type Hasher struct {
	params HashParams
	slots  chan struct{}
	dummy  string
}

// NewHasher returns a hasher allowing maxConcurrent hashes at once (0 means
// the number of CPUs).
func NewHasher(params HashParams, maxConcurrent int) (*Hasher, error) {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	h := &Hasher{params: params, slots: make(chan struct{}, maxConcurrent)}
	dummy, err := argon2id.CreateHash("not a real password", &h.params)
	if err != nil {
		return nil, fmt.Errorf("hasher: %w", err)
	}
	h.dummy = dummy
	return h, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hasher: waiting for a slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-encoded argon2id hash of the normalised password.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return argon2id.CreateHash(NormalizePassword(pw), &h.params)
}

// Verify reports whether pw matches hash, and whether the hash should be
// replaced because its parameters are weaker than the current ones. An empty
// hash is verified against a dummy so a missing user costs the same time.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if hash == "" {
		_, _, _ = argon2id.CheckHash(NormalizePassword(pw), h.dummy)
		return false, false, nil
	}
	match, params, err := argon2id.CheckHash(NormalizePassword(pw), hash)
	if err != nil {
		if errors.Is(err, argon2id.ErrInvalidHash) || errors.Is(err, argon2id.ErrIncompatibleVersion) || errors.Is(err, argon2id.ErrIncompatibleVariant) {
			return false, false, fmt.Errorf("hasher: stored hash unusable: %w", err)
		}
		return false, false, fmt.Errorf("hasher: %w", err)
	}
	weaker := params.Memory < h.params.Memory || params.Iterations < h.params.Iterations || params.KeyLength < h.params.KeyLength
	return match, match && weaker, nil
}
