package views

import (
	"strings"
	"testing"
	"unicode"

	"github.com/PuerkitoBio/goquery"

	"github.com/hafele-online/reset/app"
)

const (
	emailTestFrom  = "ハーフェレオンライン <noreply@mg.example.jp>"
	emailTestToken = "Zx9_TOKEN-abcdefghijklmnopqrstuvwxyz0123456789AB"
	emailTestLink  = "https://portal.example.jp/password/reset/" + emailTestToken
)

func emailTestData(kind app.MailKind) app.MailData {
	d := app.MailData{To: "taro@example.co.jp", CustomerCode: "JP0062652", Company: "株式会社テスト建材"}
	if kind == app.MailReset {
		d.Link = emailTestLink
		d.ExpiresInHours = 24
	}
	return d
}

func composeEmail(tb testing.TB, kind app.MailKind, d app.MailData) (app.Mail, *goquery.Document) {
	tb.Helper()
	m, err := NewComposer(emailTestFrom).Compose(kind, d)
	if err != nil {
		tb.Fatalf("Compose(%s): %v", kind, err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(m.HTML))
	if err != nil {
		tb.Fatalf("parse html: %v", err)
	}
	return m, doc
}

func TestEmailComposeAllKinds(t *testing.T) {
	tests := []struct {
		kind     app.MailKind
		subject  string
		wantText []string // in both parts
	}{
		{app.MailReset, "【ハーフェレオンライン】パスワードの新規作成・再設定のご案内", []string{
			"パスワードの新規作成または再設定登録するリクエストを受け取りました。",
			"お客様コードは JP0062652 です。",
			"有効期限は24時間",
			"パスワードをお忘れですか？",
			"新しいブラウザウィンドウに貼り付けてください。",
			"当社からお客様のパスワード、クレジットカード、銀行口座番号の開示や確認を求めるメールをお客様に送ることは決してありません。",
			"パスワードは変更されません。",
		}},
		{app.MailAskMainUser, "【ハーフェレオンライン】パスワード再設定のお申し込みについて", []string{
			"お客様コードは JP0062652 です。",
			"メインユーザーにご依頼ください。",
			"共有ユーザー",
		}},
		{app.MailPasswordChanged, "【ハーフェレオンライン】パスワードが変更されました", []string{
			"パスワードが変更されました。",
			"お客様コードは JP0062652 です。",
			"お問い合わせフォーム",
			"営業担当者",
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			d := emailTestData(tt.kind)
			m, doc := composeEmail(t, tt.kind, d)

			if m.From != emailTestFrom || m.To != d.To || m.Tag != string(tt.kind) {
				t.Errorf("headers: got from %q to %q tag %q; want %q, %q, %q", m.From, m.To, m.Tag, emailTestFrom, d.To, tt.kind)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject: got %q; want %q", m.Subject, tt.subject)
			}
			if !hasJapanese(m.Subject) {
				t.Errorf("subject %q is not Japanese", m.Subject)
			}

			if lang, _ := doc.Find("html").Attr("lang"); lang != "ja" {
				t.Errorf("html lang: got %q; want ja", lang)
			}
			if got := doc.Find("title").Text(); got != tt.subject {
				t.Errorf("title: got %q; want %q", got, tt.subject)
			}
			if got := strings.TrimSpace(doc.Find(`[data-testid="wordmark"]`).Text()); got != "HÄFELE" {
				t.Errorf("wordmark: got %q; want HÄFELE", got)
			}
			if got := doc.Find(`[data-testid="customer-code"]`).Text(); !strings.Contains(got, "JP0062652") {
				t.Errorf("customer code line: got %q; want it to hold JP0062652", got)
			}
			if n := doc.Find("style, script, link, img, iframe, form").Length(); n != 0 {
				t.Errorf("html has %d style/script/link/img/iframe/form elements; want none", n)
			}
			if strings.Contains(strings.ToLower(m.HTML), "<style") || strings.Contains(strings.ToLower(m.HTML), "<script") {
				t.Error("html contains <style or <script")
			}
			if doc.Find("table").Length() == 0 {
				t.Error("html layout has no table")
			}
			if doc.Find("[class]").Length() != 0 {
				t.Error("html uses class attributes; styles must be inline")
			}
			if doc.Find("p[style]").Length() != doc.Find("p").Length() {
				t.Error("some paragraphs have no inline style")
			}

			htmlText := doc.Find("body").Text()
			for _, want := range tt.wantText {
				if !strings.Contains(htmlText, want) {
					t.Errorf("html lacks %q", want)
				}
				if !strings.Contains(unwrap(m.Text), want) {
					t.Errorf("text part lacks %q", want)
				}
			}
			if !strings.Contains(m.Text, d.Company) {
				t.Errorf("text part lacks the company %q", d.Company)
			}
			for i, line := range strings.Split(m.Text, "\n") {
				if line == emailTestLink {
					continue // a URL is never split
				}
				if w := displayWidth(line); w > textWidth {
					t.Errorf("text line %d is %d columns wide; want at most %d: %q", i+1, w, textWidth, line)
				}
			}
			if strings.Contains(m.Text, "<") {
				t.Error("text part contains markup")
			}

			if tt.kind == app.MailReset {
				links := doc.Find("a[href]")
				if links.Length() != 2 {
					t.Errorf("reset html has %d links; want 2 (button and plain URL)", links.Length())
				}
				links.Each(func(_ int, a *goquery.Selection) {
					if href, _ := a.Attr("href"); href != emailTestLink {
						t.Errorf("link href: got %q; want %q", href, emailTestLink)
					}
				})
				if got := doc.Find(`[data-testid="reset-url"]`).Text(); got != emailTestLink {
					t.Errorf("plain URL shown: got %q; want %q", got, emailTestLink)
				}
				if !strings.Contains(m.Text, "\n"+emailTestLink+"\n") {
					t.Error("text part lacks the link on a line of its own")
				}
				// The seed's expiry advice is for shared users; a main user is not told to ask one.
				if strings.Contains(m.Text, "共有ユーザーの再作成") || strings.Contains(htmlText, "共有ユーザーの再作成") {
					t.Error("reset mail gives a main user the shared-user expiry advice")
				}
				return
			}
			if n := doc.Find("a").Length(); n != 0 {
				t.Errorf("%s html has %d links; want none", tt.kind, n)
			}
			for _, bad := range []string{"http://", "https://", "/password/reset", emailTestToken} {
				if strings.Contains(m.HTML, bad) || strings.Contains(m.Text, bad) {
					t.Errorf("%s mail contains %q; want no link or token", tt.kind, bad)
				}
			}
		})
	}
}

func TestEmailEscapesCompany(t *testing.T) {
	for _, kind := range []app.MailKind{app.MailReset, app.MailAskMainUser, app.MailPasswordChanged} {
		t.Run(string(kind), func(t *testing.T) {
			d := emailTestData(kind)
			d.Company = `<script>alert("x")</script>商事 & "Co"`
			m, doc := composeEmail(t, kind, d)
			if doc.Find("script").Length() != 0 {
				t.Fatal("company name became a <script> element")
			}
			if !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Error("html does not hold the escaped company name")
			}
			if !strings.Contains(doc.Find("body").Text(), d.Company) {
				t.Error("html text does not show the company name as written")
			}
			if !strings.Contains(m.Text, d.Company) {
				t.Error("text part does not show the company name as written")
			}
		})
	}
}

func TestEmailWithoutCompany(t *testing.T) {
	d := emailTestData(app.MailPasswordChanged)
	d.Company = ""
	m, _ := composeEmail(t, app.MailPasswordChanged, d)
	if !strings.HasPrefix(m.Text, "お客様\n") {
		t.Errorf("text starts %q; want the generic greeting お客様", strings.SplitN(m.Text, "\n", 2)[0])
	}
}

func TestEmailComposeRejects(t *testing.T) {
	c := NewComposer(emailTestFrom)
	reset := emailTestData(app.MailReset)
	tests := []struct {
		name string
		kind app.MailKind
		edit func(*app.MailData)
	}{
		{"unknown kind", "nope", func(*app.MailData) {}},
		{"no recipient", app.MailReset, func(d *app.MailData) { d.To = "" }},
		{"header injection", app.MailAskMainUser, func(d *app.MailData) { d.To = "a@example.jp\r\nBcc: b@example.jp" }},
		{"no link", app.MailReset, func(d *app.MailData) { d.Link = "" }},
		{"javascript link", app.MailReset, func(d *app.MailData) { d.Link = "javascript:alert(1)" }},
		{"relative link", app.MailReset, func(d *app.MailData) { d.Link = "/password/reset/x" }},
		{"no expiry", app.MailReset, func(d *app.MailData) { d.ExpiresInHours = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := reset
			tt.edit(&d)
			if _, err := c.Compose(tt.kind, d); err == nil {
				t.Error("Compose succeeded; want an error")
			}
		})
	}
	if _, err := NewComposer("").Compose(app.MailReset, reset); err == nil {
		t.Error("Compose without a sender succeeded; want an error")
	}
}

func TestEmailWrapText(t *testing.T) {
	long := "リンクをクリックしても動作しない場合は、リンクをコピーし、新しいブラウザウィンドウに貼り付けてください。"
	lines := wrapText(long, 40)
	if len(lines) < 2 {
		t.Fatalf("got %d lines; want the sentence wrapped", len(lines))
	}
	if got := strings.Join(lines, ""); got != long {
		t.Errorf("wrapped text joins to %q; want %q", got, long)
	}
	for _, l := range lines {
		if displayWidth(l) > 40 {
			t.Errorf("line %q is %d columns; want at most 40", l, displayWidth(l))
		}
	}
	if got := wrapText(emailTestLink, 20); len(got) != 1 || got[0] != emailTestLink {
		t.Errorf("URL wrapped to %q; want it whole", got)
	}
}

// unwrap joins the text part's wrapped lines so sentences can be searched.
func unwrap(s string) string { return strings.ReplaceAll(s, "\n", "") }

func hasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}
