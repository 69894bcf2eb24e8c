package app

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// resetTokenBytes is the token's entropy: 256 bits from crypto/rand.
const resetTokenBytes = 32

// resetTokenLen is the length of a token in its URL form (unpadded base64url).
var resetTokenLen = base64.RawURLEncoding.EncodedLen(resetTokenBytes)

// NewResetToken returns a fresh token for the link and the SHA-256 hash that
// is the only thing stored. A fast hash is right here: the token is 256 random
// bits, so there is nothing to brute-force, unlike a password.
func NewResetToken() (token string, hash []byte) {
	b := make([]byte, resetTokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashResetToken(token)
}

// HashResetToken is the stored form of a token.
func HashResetToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// WellFormedResetToken reports whether s could be a token we issued, so
// garbage (or a 10 KB string) is rejected before any database work.
func WellFormedResetToken(s string) bool {
	if len(s) != resetTokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
