package web_test

// Benchmarks for SPEC section 9: throughput and latency are measured against
// a baseline in the same run, not by timed tests. `go tool task bench` runs
// them and prints each endpoint's median as a multiple of the baseline's
// (.ci/bench-report). Names starting with BenchmarkBaseline are baselines.
//
// Every request goes through Fiber's app.Test, like the harness, so the
// baseline and the endpoints pay the same in-memory transport; the loopback
// benchmarks at the end measure a real server over TCP instead.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/i18n"
	"github.com/hafele-online/reset/assets"
	"github.com/hafele-online/reset/views"
)

// browserEncoding is what current browsers send as Accept-Encoding.
const browserEncoding = "gzip, deflate, br, zstd"

// errorCounter counts the log lines at level ERROR, so a benchmark notices
// background work that failed (it only logs).
type errorCounter struct{ n atomic.Int64 }

func (w *errorCounter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("level=ERROR")) {
		w.n.Add(1)
	}
	return len(p), nil
}

// benchHarness is the whole app on a fresh SQLite database with every rate
// limit off: a benchmark sends far more requests than any limit allows.
func benchHarness(b *testing.B) (*harness, *errorCounter) {
	b.Helper()
	errs := &errorCounter{}
	h := newHarness(b, sqlite(b), withLimits(func(l *app.Limits) { *l = app.Limits{} }), withLog(errs))
	return h, errs
}

// exchange sends req through app.Test, drains the response and checks its
// status. It returns the bytes of the body as sent (compressed if it was).
func exchange(b *testing.B, f *fiber.App, req *http.Request, want int) int {
	res, err := f.Test(req, -1)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != want {
		b.Fatalf("%s %s: status %d; want %d", req.Method, req.URL.Path, res.StatusCode, want)
	}
	return int(n)
}

func newGet(path string, headers ...string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("User-Agent", "bench/1.0")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func newHTMXPost(path, form string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(form))
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return req
}

// baselineBody is about the size of the uncompressed /password/forgot page
// (BenchmarkForgotPage/identity reports its size as resp-B/op), so the
// baseline moves as many bytes through app.Test as the page does.
var baselineBody = func() string {
	const size = 9 << 10
	line := "<p>ハーフェレオンライン パスワードリセット baseline</p>\n"
	return strings.Repeat(line, size/len(line))
}()

// BenchmarkBaselineFiberStatic is the floor: a bare Fiber app answering a
// static HTML string through app.Test, without middleware, database or
// templates.
func BenchmarkBaselineFiberStatic(b *testing.B) {
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/static", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(baselineBody)
	})
	var size int
	for b.Loop() {
		size = exchange(b, f, newGet("/static"), http.StatusOK)
	}
	b.ReportMetric(float64(size), "resp-B/op")
}

// BenchmarkBaselineTemplFragment renders the small fragment that an accepted
// POST /password/forgot answers, with templ alone: no Fiber, no database.
func BenchmarkBaselineTemplFragment(b *testing.B) {
	ctx := i18n.WithText(context.Background(), i18n.Japanese())
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := views.SentFragment(true).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "resp-B/op")
}

// BenchmarkForgotPage is GET /password/forgot: the full page with a fresh
// CSRF token, every middleware (headers, CSRF check, client info) and, for
// "br", the compress middleware as a browser would get it.
func BenchmarkForgotPage(b *testing.B) {
	for _, tc := range []struct{ name, encoding string }{
		{"identity", ""},
		{"gzip", "gzip, deflate"},
		{"br", browserEncoding},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, _ := benchHarness(b)
			h.csrf("/password/forgot") // the page renders and carries a token
			var size int
			for b.Loop() {
				req := newGet("/password/forgot")
				if tc.encoding != "" {
					req.Header.Set("Accept-Encoding", tc.encoding)
				}
				size = exchange(b, h.app, req, http.StatusOK)
			}
			b.ReportMetric(float64(size), "resp-B/op")
		})
	}
}

// BenchmarkForgotValidate is the inline validation of one field, as htmx
// sends it when the user leaves the e-mail field: the field group fragment.
func BenchmarkForgotValidate(b *testing.B) {
	for _, tc := range []struct {
		name, value string
		status      int
	}{
		{"valid", "ＭＡＩＮ＠example.co.jp", http.StatusOK},
		{"invalid", "main@", http.StatusUnprocessableEntity},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, _ := benchHarness(b)
			form := url.Values{"_csrf": {h.csrf("/password/forgot")}, "field": {app.FieldEmail},
				app.FieldEmail: {tc.value}}.Encode()
			var size int
			for b.Loop() {
				size = exchange(b, h.app, newHTMXPost("/password/forgot/validate", form), tc.status)
			}
			b.ReportMetric(float64(size), "resp-B/op")
		})
	}
}

// BenchmarkForgotSubmit is an htmx POST /password/forgot: the request is
// accepted at once and the work (lookup, token, outbox, audit) runs in the
// background. The timer runs until h.reset.Wait() returns, so ns/op is the
// cost of the whole request, background included. It uses the b.N loop
// because b.Loop stops the timer when the loop ends, before Wait.
//
// At most 8 requests are processed in the background at once
// (app.maxBackgroundRequests); in a tight loop the handler soon waits for a
// free slot, so even without the final Wait ns/op would converge to the
// background throughput. wait-ns/op is the part spent in the final Wait.
//
// The "serial" runs wait for the background work after every request, as a
// lone user would see it: accept-ns/op is then the response time alone, and
// ns/op the response plus its background work, without overlap.
func BenchmarkForgotSubmit(b *testing.B) {
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		// The main user: a token, a queued email and an audit row, in one
		// transaction.
		{"match", url.Values{"customer_code": {"ｊｐ００６２６５２"}, "postal_code": {"〒２４４－０８０６"},
			"email": {"ＭＡＩＮ＠example.co.jp"}}},
		// Nothing matches: two lookups and an audit row.
		{"nomatch", url.Values{"customer_code": {"JP0000001"}, "postal_code": {"100-0001"},
			"email": {"who@example.co.jp"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, errs := benchHarness(b)
			tc.form.Set("_csrf", h.csrf("/password/forgot"))
			form := tc.form.Encode()
			var size int
			b.ResetTimer()
			for range b.N {
				size = exchange(b, h.app, newHTMXPost("/password/forgot", form), http.StatusOK)
			}
			start := time.Now()
			h.reset.Wait()
			wait := time.Since(start)
			b.StopTimer()
			if n := errs.n.Load(); n > 0 {
				b.Fatalf("%d background requests failed (logged at ERROR)", n)
			}
			b.ReportMetric(float64(wait.Nanoseconds())/float64(b.N), "wait-ns/op")
			b.ReportMetric(float64(size), "resp-B/op")
		})
		b.Run(tc.name+"-serial", func(b *testing.B) {
			h, errs := benchHarness(b)
			tc.form.Set("_csrf", h.csrf("/password/forgot"))
			form := tc.form.Encode()
			var accept time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				exchange(b, h.app, newHTMXPost("/password/forgot", form), http.StatusOK)
				accept += time.Since(start)
				h.reset.Wait()
			}
			b.StopTimer()
			if n := errs.n.Load(); n > 0 {
				b.Fatalf("%d background requests failed (logged at ERROR)", n)
			}
			b.ReportMetric(float64(accept.Nanoseconds())/float64(b.N), "accept-ns/op")
		})
	}
}

// BenchmarkAsset is a GET of a fingerprinted asset by a browser that
// accepts brotli: the precompressed body, no compression per request.
func BenchmarkAsset(b *testing.B) {
	set, err := assets.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"htmx.min.js", "app.css"} {
		b.Run(name, func(b *testing.B) {
			h, _ := benchHarness(b)
			path := set.Path(name)
			res := h.get(path, "Accept-Encoding", browserEncoding)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "br" {
				b.Fatalf("%s: status %d, Content-Encoding %q; want 200, br", path, res.StatusCode, res.Header.Get("Content-Encoding"))
			}
			var size int
			for b.Loop() {
				size = exchange(b, h.app, newGet(path, "Accept-Encoding", browserEncoding), http.StatusOK)
			}
			b.ReportMetric(float64(size), "resp-B/op")
		})
	}
}

// Loopback benchmarks: a real server on 127.0.0.1:0 in this process, driven
// by net/http clients from several goroutines. ns/op is wall time divided
// by requests, the inverse of throughput; req/s says the same the other way.
// They are bounded by -benchtime like every benchmark, and each request by
// a 10 s client timeout.

const loopbackClients = 4 // goroutines per GOMAXPROCS (b.SetParallelism)

func serveLoopback(b *testing.B, f *fiber.App) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = f.Listener(ln) }()
	b.Cleanup(func() { _ = f.Shutdown() })
	return "http://" + ln.Addr().String()
}

func loopback(b *testing.B, base, path string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	b.Cleanup(tr.CloseIdleConnections)
	get := func() error {
		res, err := client.Get(base + path)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", path, res.StatusCode)
		}
		return err
	}
	if err := get(); err != nil {
		b.Fatal(err)
	}
	var failed atomic.Pointer[error]
	b.SetParallelism(loopbackClients)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(); err != nil {
				failed.CompareAndSwap(nil, &err)
				return
			}
		}
	})
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkBaselineLoopbackStatic is the loopback floor: the bare Fiber app
// of BenchmarkBaselineFiberStatic on a real socket.
func BenchmarkBaselineLoopbackStatic(b *testing.B) {
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/static", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(baselineBody)
	})
	loopback(b, serveLoopback(b, f), "/static")
}

// BenchmarkLoopbackForgotPage is GET /password/forgot on a real socket with
// concurrent clients.
func BenchmarkLoopbackForgotPage(b *testing.B) {
	h, _ := benchHarness(b)
	loopback(b, h.listen(), "/password/forgot")
}
