package app

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Keys are the per-purpose keys derived from SECRET_KEY with HKDF, so a
// key used to sign CSRF tokens never also encrypts outbox payloads.
type Keys struct {
	seal  cipher.AEAD
	csrf  []byte
	reset cipher.AEAD
}

// MinSecretLen is the shortest SECRET_KEY accepted.
const MinSecretLen = 32

// NewKeys derives the keys from the server secret.
func NewKeys(secret []byte) (*Keys, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("keys: secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	derive := func(purpose string) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, "hafele-reset/"+purpose, 32)
	}
	sealKey, err := derive("outbox")
	if err != nil {
		return nil, err
	}
	csrfKey, err := derive("csrf")
	if err != nil {
		return nil, err
	}
	resetKey, err := derive("reset-cookie")
	if err != nil {
		return nil, err
	}
	k := &Keys{csrf: csrfKey}
	if k.seal, err = newGCM(sealKey); err != nil {
		return nil, err
	}
	if k.reset, err = newGCM(resetKey); err != nil {
		return nil, err
	}
	return k, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ErrUnsealable means a sealed value was tampered with or made with another key.
var ErrUnsealable = errors.New("sealed value cannot be opened")

func seal(a cipher.AEAD, plain, ad []byte) []byte {
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	_, _ = rand.Read(nonce)
	return a.Seal(nonce, nonce, plain, ad)
}

func open(a cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, ErrUnsealable
	}
	plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], ad)
	if err != nil {
		return nil, ErrUnsealable
	}
	return plain, nil
}

// SealPayload encrypts an outbox payload.
func (k *Keys) SealPayload(plain []byte) []byte { return seal(k.seal, plain, []byte("outbox")) }

// OpenPayload decrypts an outbox payload.
func (k *Keys) OpenPayload(sealed []byte) ([]byte, error) {
	return open(k.seal, sealed, []byte("outbox"))
}

// SealResetCookie encrypts a reset token for the cookie that carries it
// from the emailed link to the form, so it leaves the URL.
func (k *Keys) SealResetCookie(plain []byte) []byte {
	return seal(k.reset, plain, []byte("reset-cookie"))
}

// OpenResetCookie decrypts the reset cookie.
func (k *Keys) OpenResetCookie(sealed []byte) ([]byte, error) {
	return open(k.reset, sealed, []byte("reset-cookie"))
}

// SignCSRF returns HMAC-SHA256(csrf key, msg).
func (k *Keys) SignCSRF(msg []byte) []byte {
	m := hmac.New(sha256.New, k.csrf)
	m.Write(msg)
	return m.Sum(nil)
}
