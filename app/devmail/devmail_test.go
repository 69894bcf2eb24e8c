package devmail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/hafele-online/reset/app"
)

const testToken = "s3cr3t-T0KEN_abcdefghijklmnopqrstuvwxyz012345"

func resetMail(to string) app.Mail {
	link := "https://portal.example.jp/password/reset/" + testToken
	return app.Mail{
		From:    "noreply@mg.example.jp",
		To:      to,
		Subject: "【ハーフェレオンライン】パスワードの新規作成・再設定のご案内",
		Text:    "以下のリンクをクリックしてください。\n\n" + link + "\n",
		HTML:    `<a href="` + link + `">` + link + `</a>`,
		Tag:     string(app.MailReset),
	}
}

func TestMailboxKeepsNewestFirst(t *testing.T) {
	b := New(nil, false)
	var ids []string
	for i := range Capacity + 5 {
		id, err := b.Send(context.Background(), resetMail(fmt.Sprintf("u%d@example.jp", i)))
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	msgs := b.Messages()
	if len(msgs) != Capacity {
		t.Fatalf("got %d messages; want %d", len(msgs), Capacity)
	}
	if got, want := msgs[0].Mail.To, fmt.Sprintf("u%d@example.jp", Capacity+4); got != want {
		t.Errorf("newest: got %s; want %s", got, want)
	}
	if got, want := msgs[len(msgs)-1].Mail.To, "u5@example.jp"; got != want {
		t.Errorf("oldest kept: got %s; want %s", got, want)
	}
	if _, ok := b.Message(ids[0]); ok {
		t.Error("the oldest message is still found; want it dropped")
	}
	m, ok := b.Message(ids[len(ids)-1])
	if !ok || m.Mail.To != msgs[0].Mail.To || m.At.IsZero() {
		t.Errorf("Message(newest id): got %+v, %v; want the newest message with a time", m, ok)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !strings.HasPrefix(id, "dev-") {
			t.Fatalf("id %q is repeated or malformed", id)
		}
		seen[id] = true
	}
}

func TestMailboxConcurrentSends(t *testing.T) {
	b := New(nil, false)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := b.Send(context.Background(), resetMail(fmt.Sprintf("c%d@example.jp", i))); err != nil {
				t.Errorf("Send: %v", err)
			}
			_ = b.Messages()
		})
	}
	wg.Wait()
	if got := len(b.Messages()); got != 50 {
		t.Errorf("got %d messages; want 50", got)
	}
}

func TestMailboxLog(t *testing.T) {
	tests := []struct {
		production bool
		wantLink   bool
	}{
		{production: true, wantLink: false},
		{production: false, wantLink: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("production=%v", tt.production), func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			b := New(log, tt.production)
			id, err := b.Send(context.Background(), resetMail("taro@example.jp"))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			out := buf.String()
			for _, want := range []string{`"level":"INFO"`, "taro@example.jp", id, "パスワードの新規作成"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q: %s", want, out)
				}
			}
			if got := strings.Contains(out, testToken); got != tt.wantLink {
				t.Errorf("token in log: got %v; want %v: %s", got, tt.wantLink, out)
			}
			if strings.Contains(out, "以下のリンク") {
				t.Errorf("log holds the body: %s", out)
			}
		})
	}
}

func TestMailboxCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := New(nil, true)
	if _, err := b.Send(ctx, resetMail("a@example.jp")); err == nil {
		t.Error("Send with a cancelled context succeeded; want an error")
	}
	if n := len(b.Messages()); n != 0 {
		t.Errorf("got %d messages; want 0", n)
	}
}
