package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The parsers must never panic, and whatever they accept must be in the
// canonical form, stable under a second parse.

func FuzzParseCustomerCode(f *testing.F) {
	for _, s := range []string{"JP0062652", "ｊｐ００６２６５２", "", "JP\u200b0062652", "JP\xff", "jp0062652\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		code, msg := ParseCustomerCode(in)
		if msg != "" {
			if code != "" {
				t.Fatalf("error %q with value %q", msg, code)
			}
			return
		}
		if len(code) != 9 || !strings.HasPrefix(string(code), "JP") || !allDigits(string(code[2:])) {
			t.Fatalf("accepted %q as %q", in, code)
		}
		if again, m := ParseCustomerCode(string(code)); again != code || m != "" {
			t.Fatalf("not stable: %q -> %q -> %q", in, code, again)
		}
	})
}

func FuzzParsePostalCode(f *testing.F) {
	for _, s := range []string{"244-0806", "2440806", "〒２４４－０８０６", "244ー0806", "", "\x00", "244-0806\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		pc, msg := ParsePostalCode(in)
		if msg != "" {
			return
		}
		s := string(pc)
		if len(s) != 8 || s[3] != '-' || !allDigits(s[:3]) || !allDigits(s[4:]) {
			t.Fatalf("accepted %q as %q", in, pc)
		}
		if again, m := ParsePostalCode(s); again != pc || m != "" {
			t.Fatalf("not stable: %q -> %q -> %q", in, pc, again)
		}
	})
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"main@example.co.jp", "ｍａｉｎ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "a@b", "x\r\nBcc: y@z.com", "\"q\"@example.com", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, msg := ParseEmail(in)
		if msg != "" {
			return
		}
		s := string(e)
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00 <>") || strings.Count(s, "@") < 1 || utf8.RuneCountInString(s) > 254 {
			t.Fatalf("accepted %q as %q", in, e)
		}
		if again, m := ParseEmail(s); again != e || m != "" {
			t.Fatalf("not stable: %q -> %q -> %q", in, e, again)
		}
	})
}

func FuzzPasswordCheck(f *testing.F) {
	p := NewPasswordPolicy(8)
	for _, s := range []string{"password", "correct horse battery staple", "ｐａｓｓｗｏｒｄ１２３", "\x00\x01", "JP0062652"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		msg := p.Check(pw, "JP0062652", "main@example.co.jp")
		if msg == "" {
			n := utf8.RuneCountInString(NormalizePassword(pw))
			if n < 8 || n > PasswordMaxLength {
				t.Fatalf("accepted %q of length %d", pw, n)
			}
		}
	})
}

func FuzzWellFormedResetToken(f *testing.F) {
	tok, _ := NewResetToken()
	for _, s := range []string{tok, "", strings.Repeat("A", 43), strings.Repeat("x", 10240), "../../etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if WellFormedResetToken(s) && len(s) != 43 {
			t.Fatalf("accepted %d-byte token", len(s))
		}
	})
}
