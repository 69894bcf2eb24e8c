package mailgun

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	mg "github.com/mailgun/mailgun-go/v4"
	"github.com/mailgun/mailgun-go/v4/events"

	"github.com/hafele-online/reset/app"
)

const (
	testDomain = "mg.example.jp"
	testKey    = "key-0123456789abcdef-secret"
	testLink   = "https://portal.example.jp/password/reset/TOKEN_abcdefghijklmnopqrstuvwxyz0123456789ab"
)

func testMail() app.Mail {
	return app.Mail{
		From:    "ハーフェレオンライン <noreply@mg.example.jp>",
		To:      "taro@example.co.jp",
		Subject: "【ハーフェレオンライン】パスワードの新規作成・再設定のご案内",
		Text:    "以下のリンクをクリックしてください。\n\n" + testLink + "\n",
		HTML:    `<!DOCTYPE html><html lang="ja"><body><a href="` + testLink + `">リンク</a></body></html>`,
		Tag:     string(app.MailReset),
	}
}

func TestDriverAgainstMailgunMock(t *testing.T) {
	mock := mg.NewMockServer()
	defer mock.Stop()

	d := New(testDomain, testKey, mock.URL())
	m := testMail()
	id, err := d.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if id == "" || strings.ContainsAny(id, "<>") {
		t.Fatalf("id: got %q; want it non-empty without angle brackets", id)
	}

	// The mock comes pre-seeded with events; ours is appended last.
	var got *events.Accepted
	for _, ev := range mock.Events() {
		if a, ok := ev.(*events.Accepted); ok && a.Recipient == m.To {
			got = a
		}
	}
	if got == nil {
		t.Fatalf("no accepted event for %s", m.To)
	}
	if got.Message.Headers.Subject != m.Subject {
		t.Errorf("subject: got %q; want %q", got.Message.Headers.Subject, m.Subject)
	}
	if got.Message.Headers.From != m.From {
		t.Errorf("from: got %q; want %q", got.Message.Headers.From, m.From)
	}
	if got.Message.Headers.MessageID != id {
		t.Errorf("message id: got %q from Send, %q in the event", id, got.Message.Headers.MessageID)
	}
}

// capture is an API stand-in that keeps what the driver posts.
type capture struct {
	mu     sync.Mutex
	path   string
	user   string
	pass   string
	form   map[string][]string
	status int
	body   string
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path = r.URL.Path
	c.user, c.pass, _ = r.BasicAuth()
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		http.Error(w, "want multipart: "+err.Error(), http.StatusBadRequest)
		return
	}
	c.form = r.MultipartForm.Value
	w.Header().Set("Content-Type", "application/json")
	if c.status != 0 {
		w.WriteHeader(c.status)
		_, _ = w.Write([]byte(c.body))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"id": "<20261125.abc123@mg.example.jp>", "message": "Queued. Thank you."})
}

func TestDriverPostsMessage(t *testing.T) {
	c := &capture{}
	srv := httptest.NewServer(c)
	defer srv.Close()

	d := New(testDomain, testKey, srv.URL+"/v3")
	m := testMail()
	id, err := d.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := "20261125.abc123@mg.example.jp"; id != want {
		t.Errorf("id: got %q; want %q", id, want)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if want := "/v3/" + testDomain + "/messages"; c.path != want {
		t.Errorf("path: got %q; want %q", c.path, want)
	}
	if c.user != "api" || c.pass != testKey {
		t.Errorf("basic auth: got %q/%q; want api/the key", c.user, c.pass)
	}
	want := map[string]string{
		"from":              m.From,
		"to":                m.To,
		"subject":           m.Subject,
		"text":              m.Text,
		"html":              m.HTML,
		"o:tag":             m.Tag,
		"o:tracking":        "no",
		"o:tracking-clicks": "no",
		"o:tracking-opens":  "no",
	}
	for field, w := range want {
		if got := c.form[field]; len(got) != 1 || got[0] != w {
			t.Errorf("form %s: got %q; want [%q]", field, got, w)
		}
	}
	if !strings.Contains(c.form["text"][0], testLink) || !strings.Contains(c.form["html"][0], `href="`+testLink+`"`) {
		t.Error("the reset link is missing from the text or the HTML posted")
	}
}

func TestDriverErrorHidesKey(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"rejected", http.StatusBadRequest, `{"message":"to parameter is not a valid address"}`},
		{"echoes key", http.StatusUnauthorized, `{"message":"invalid key ` + testKey + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&capture{status: tt.status, body: tt.body})
			defer srv.Close()
			_, err := New(testDomain, testKey, srv.URL+"/v3").Send(context.Background(), testMail())
			if err == nil {
				t.Fatal("Send succeeded; want an error")
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error shows the API key: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "mailgun: send reset mail") {
				t.Errorf("error %q lacks its context", err)
			}
		})
	}
}

func TestDriverUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/v3"
	srv.Close()
	_, err := New(testDomain, testKey, base).Send(context.Background(), testMail())
	if err == nil {
		t.Fatal("Send to a closed server succeeded; want an error")
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error shows the API key: %v", err)
	}
}
