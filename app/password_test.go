package app

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPasswordPolicyCheck(t *testing.T) {
	p := NewPasswordPolicy(8)
	code, email := CustomerCode("JP0062652"), Email("Main@Example.co.jp")
	tests := []struct {
		name, pw string
		want     MessageKey
	}{
		{"empty", "", MsgPasswordRequired},
		{"seven", "kq7#mZ2", MsgPasswordTooShort},
		{"eight", "kq7#mZ2x", ""},
		{"eight full-width counts as eight", "ｋｑ７＃ｍＺ２ｘ", ""},
		{"japanese passphrase", "ハーフェレの引き出し金具", ""},
		{"128", strings.Repeat("あ", 128), ""},
		{"129", strings.Repeat("あ", 129), MsgPasswordTooLong},
		{"common", "password", MsgPasswordCommon},
		{"common any case", "PassWord", MsgPasswordCommon},
		{"common digits", "12345678", MsgPasswordCommon},
		{"common full-width", "ｐａｓｓｗｏｒｄ", MsgPasswordCommon},
		{"customer code", "JP0062652", MsgPasswordPersonal},
		{"customer code lower", "jp0062652", MsgPasswordPersonal},
		{"email", "main@example.co.jp", MsgPasswordPersonal},
		{"email local part", "MAIN@EXAMPLE.CO.JP", MsgPasswordPersonal},
		{"control character", "abcdefgh\x00", MsgInputInvalidChars},
		{"newline", "abcdefgh\n", MsgInputInvalidChars},
		{"spaces are fine", "correct horse battery", ""},
		{"no composition rules", "lowercaseonlyletters", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Check(tt.pw, code, email); got != tt.want {
				t.Errorf("Check(%q) = %q; want %q", tt.pw, got, tt.want)
			}
		})
	}
}

func TestPasswordPolicyMinimumIsConfigurable(t *testing.T) {
	p := NewPasswordPolicy(15)
	if got := p.Check("fourteen chars", "", ""); got != MsgPasswordTooShort {
		t.Fatalf("got %q; want too short at 14 of 15", got)
	}
	if NewPasswordPolicy(4).MinLength != DefaultPasswordMinLength {
		t.Fatal("a minimum below 8 must be raised to 8")
	}
}

func TestPasswordPolicyCheckPair(t *testing.T) {
	p := NewPasswordPolicy(8)
	if errs := p.CheckPair("kq7#mZ2x", "kq7#mZ2x", "", ""); len(errs) != 0 {
		t.Fatalf("matching pair: %v", errs)
	}
	if errs := p.CheckPair("kq7#mZ2x", "kq7#mZ2y", "", ""); errs[FieldPasswordConfirm] != MsgPasswordMismatch {
		t.Fatalf("mismatch: %v", errs)
	}
	if errs := p.CheckPair("kq7#mZ2x", "", "", ""); errs[FieldPasswordConfirm] != MsgPasswordConfirmEmpty {
		t.Fatalf("empty re-entry: %v", errs)
	}
	if errs := p.CheckPair("ｋｑ７＃ｍＺ２ｘ", "kq7#mZ2x", "", ""); len(errs) != 0 {
		t.Fatalf("full-width and half-width are the same password after NFKC: %v", errs)
	}
}

// fastParams keep tests quick; TestDefaultHashParams checks the real ones.
var fastParams = HashParams{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHasherRoundTrip(t *testing.T) {
	h, err := NewHasher(fastParams, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "ｋｑ７＃ｍＺ２ｘ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash not a PHC argon2id string: %q", hash)
	}
	if ok, _, err := h.Verify(ctx, "kq7#mZ2x", hash); err != nil || !ok {
		t.Fatalf("verify half-width of a full-width password: ok=%v err=%v", ok, err)
	}
	if ok, _, _ := h.Verify(ctx, "kq7#mZ2y", hash); ok {
		t.Fatal("wrong password verified")
	}
	if ok, _, err := h.Verify(ctx, "anything", ""); ok || err != nil {
		t.Fatalf("empty hash: ok=%v err=%v", ok, err)
	}
	if _, _, err := h.Verify(ctx, "x", "$bcrypt$garbage"); err == nil {
		t.Fatal("garbage hash must be an error")
	}
	// A hash made with weaker parameters asks for a re-hash.
	stronger, _ := NewHasher(HashParams{Memory: 2048, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1)
	if ok, rehash, _ := stronger.Verify(ctx, "kq7#mZ2x", hash); !ok || !rehash {
		t.Fatalf("weaker hash: ok=%v rehash=%v; want true, true", ok, rehash)
	}
}

func TestDefaultHashParams(t *testing.T) {
	// OWASP: argon2id with at least m=19 MiB, t=2, p=1 (or m=46 MiB, t=1).
	p := DefaultHashParams
	if p.Memory < 19*1024 || p.Iterations < 1 || p.Memory*p.Iterations < 19*1024*2 || p.SaltLength < 16 || p.KeyLength < 32 {
		t.Fatalf("parameters below OWASP's: %+v", p)
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h, err := NewHasher(fastParams, 2)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			running.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	if got := peak.Load(); got > 2 {
		t.Fatalf("peak concurrent hashes %d; want at most 2", got)
	}
	// A caller that cannot get a slot gives up with its context.
	h.slots <- struct{}{}
	h.slots <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "kq7#mZ2x"); err == nil {
		t.Fatal("Hash with all slots taken and a dead context must fail")
	}
}

func TestResetTokens(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		tok, hash := NewResetToken()
		if len(tok) != 43 || !WellFormedResetToken(tok) {
			t.Fatalf("token %q not 43 URL-safe characters", tok)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q not URL-safe", tok)
		}
		if len(hash) != 32 || string(HashResetToken(tok)) != string(hash) {
			t.Fatal("hash is not SHA-256 of the token")
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
	for _, bad := range []string{"", "abc", strings.Repeat("A", 42), strings.Repeat("A", 44), strings.Repeat("!", 43), strings.Repeat("x", 10240)} {
		if WellFormedResetToken(bad) {
			t.Errorf("WellFormedResetToken(%q) = true", bad)
		}
	}
}

func TestKeysSealAndSign(t *testing.T) {
	if _, err := NewKeys([]byte("short")); err == nil {
		t.Fatal("short secret accepted")
	}
	k, err := NewKeys([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewKeys([]byte(strings.Repeat("o", 32)))
	sealed := k.SealPayload([]byte("hello"))
	if got, err := k.OpenPayload(sealed); err != nil || string(got) != "hello" {
		t.Fatalf("round trip: %q %v", got, err)
	}
	if _, err := other.OpenPayload(sealed); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := k.OpenResetCookie(sealed); err == nil {
		t.Fatal("a payload opened as a reset cookie: purposes must not mix")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.OpenPayload(sealed); err == nil {
		t.Fatal("tampered payload opened")
	}
	if string(k.SignCSRF([]byte("a"))) == string(other.SignCSRF([]byte("a"))) {
		t.Fatal("CSRF signatures equal across keys")
	}
}
