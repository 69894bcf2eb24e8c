package app

import (
	"strings"
	"testing"
)

func TestParseCustomerCode(t *testing.T) {
	tests := []struct {
		in   string
		want CustomerCode
		msg  MessageKey
	}{
		{"JP0062652", "JP0062652", ""},
		{"jp0062652", "JP0062652", ""},
		{"  JP0062652 ", "JP0062652", ""},
		{"ＪＰ００６２６５２", "JP0062652", ""},
		{"ｊｐ００６２６５２", "JP0062652", ""},
		{"\u3000JP0062652\u3000", "JP0062652", ""}, // ideographic spaces
		{"", "", MsgCustomerCodeRequired},
		{"   ", "", MsgCustomerCodeRequired},
		{"JP006265", "", MsgCustomerCodeFormat},
		{"JP00626521", "", MsgCustomerCodeFormat},
		{"US0062652", "", MsgCustomerCodeFormat},
		{"JP00626S2", "", MsgCustomerCodeFormat},
		{"0062652", "", MsgCustomerCodeFormat},
		{"JP 0062652", "", MsgCustomerCodeFormat},
		{"JP0062652'; DROP TABLE customers;--", "", MsgCustomerCodeFormat},
		{"<b>JP0062652</b>", "", MsgCustomerCodeFormat},
		{"JP\u200b0062652", "", MsgInputInvalidChars}, // zero-width space
		{"JP0062652\r\n", "", MsgInputInvalidChars},
		{"JP\x000062652", "", MsgInputInvalidChars},
		{"JP\xff0062652", "", MsgInputInvalidChars},
		{"JP٠٠٦٢٦٥٢", "", MsgCustomerCodeFormat}, // Arabic-Indic digits are not ours
	}
	for _, tt := range tests {
		got, msg := ParseCustomerCode(tt.in)
		if got != tt.want || msg != tt.msg {
			t.Errorf("ParseCustomerCode(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}

func TestParsePostalCode(t *testing.T) {
	tests := []struct {
		in   string
		want PostalCode
		msg  MessageKey
	}{
		{"244-0806", "244-0806", ""},
		{"2440806", "244-0806", ""},
		{"２４４－０８０６", "244-0806", ""},
		{"２４４０８０６", "244-0806", ""},
		{"〒244-0806", "244-0806", ""},
		{"〒 244-0806", "244-0806", ""},
		{"244ー0806", "244-0806", ""}, // katakana long vowel mark from an IME
		{"244−0806", "244-0806", ""}, // minus sign
		{" 244-0806 ", "244-0806", ""},
		{"", "", MsgPostalCodeRequired},
		{"244-080", "", MsgPostalCodeFormat},
		{"24408060", "", MsgPostalCodeFormat},
		{"2440-806", "", MsgPostalCodeFormat},
		{"244--0806", "", MsgPostalCodeFormat},
		{"abc-defg", "", MsgPostalCodeFormat},
		{"244-0806<script>", "", MsgPostalCodeFormat},
		{"244-0806\n", "", MsgInputInvalidChars},
		{"244\u200d-0806", "", MsgInputInvalidChars},
	}
	for _, tt := range tests {
		got, msg := ParsePostalCode(tt.in)
		if got != tt.want || msg != tt.msg {
			t.Errorf("ParsePostalCode(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in   string
		want Email
		msg  MessageKey
	}{
		{"main@example.co.jp", "main@example.co.jp", ""},
		{"Main@Example.CO.JP", "Main@Example.CO.JP", ""},
		{"ｍａｉｎ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "main@example.co.jp", ""},
		{" taro.yamada+reset@example.com ", "taro.yamada+reset@example.com", ""},
		{"", "", MsgEmailRequired},
		{"main", "", MsgEmailFormat},
		{"main@", "", MsgEmailFormat},
		{"@example.com", "", MsgEmailFormat},
		{"main@example", "", MsgEmailFormat},
		{"main@.example.com", "", MsgEmailFormat},
		{"main@example..com", "", MsgEmailFormat},
		{"main example@example.com", "", MsgEmailFormat},
		{"Taro <main@example.com>", "", MsgEmailFormat},
		{"main@example.com\r\nBcc: evil@example.com", "", MsgInputInvalidChars},
		{"main@example.com%0d%0aBcc:x@y.z", "main@example.com%0d%0aBcc:x@y.z", MsgEmailFormat},
		{"\"a\"@example.com", "", MsgEmailFormat},
		{"main@exam\u200bple.com", "", MsgInputInvalidChars},
		{strings.Repeat("a", 250) + "@example.com", "", MsgEmailTooLong},
		{"<script>@example.com", "", MsgEmailFormat},
	}
	for _, tt := range tests {
		got, msg := ParseEmail(tt.in)
		if msg != tt.msg || (msg == "" && got != tt.want) {
			t.Errorf("ParseEmail(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}

func TestEmailKeyIgnoresCase(t *testing.T) {
	if Email("Main@Example.CO.JP").Key() != Email("main@example.co.jp").Key() {
		t.Fatal("emails differing in case must compare equal")
	}
}

func TestResetRequestFormValidate(t *testing.T) {
	req, errs := ResetRequestForm{CustomerCode: "ｊｐ００６２６５２", PostalCode: "〒２４４－０８０６", Email: "ＭＡＩＮ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"}.Validate()
	if len(errs) != 0 {
		t.Fatalf("full-width input: got errors %v", errs)
	}
	want := ResetRequest{CustomerCode: "JP0062652", PostalCode: "244-0806", Email: "MAIN@example.co.jp"}
	if req != want {
		t.Fatalf("got %+v; want %+v", req, want)
	}
	_, errs = ResetRequestForm{}.Validate()
	if errs[FieldCustomerCode] != MsgCustomerCodeRequired || errs[FieldPostalCode] != MsgPostalCodeRequired || errs[FieldEmail] != MsgEmailRequired {
		t.Fatalf("empty form: got %v", errs)
	}
	one := ResetRequestForm{CustomerCode: "x"}.ValidateField(FieldCustomerCode)
	if len(one) != 1 || one[FieldCustomerCode] != MsgCustomerCodeFormat {
		t.Fatalf("ValidateField: got %v", one)
	}
	if got := (ResetRequestForm{}).ValidateField("nope"); len(got) != 0 {
		t.Fatalf("unknown field: got %v", got)
	}
}
