package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// pageWeightBudget is the most the first visit to /password/forgot may
// transfer (issue 5): HTML, CSS, htmx and app.js, compressed, headers
// included.
const pageWeightBudget = 30 * 1024

type weighedRequest struct {
	url      string
	status   int64
	encoded  float64
	headers  map[string]string
	finished bool
}

// pageWeight loads /password/forgot in a fresh browser context (empty
// cache) and sums the bytes on the wire, as Chromium's network events
// report them (encodedDataLength: headers and compressed body).
func (s *suite) pageWeight(t *testing.T) {
	p := s.newTab(t, viewport{375, 812, true}, false)
	base, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	reqs := map[network.RequestID]*weighedRequest{}
	var order []network.RequestID
	get := func(id network.RequestID) *weighedRequest {
		r, ok := reqs[id]
		if !ok {
			r = &weighedRequest{}
			reqs[id] = r
			order = append(order, id)
		}
		return r
	}
	if err := chromedp.Listen(p.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			get(e.RequestID).url = e.Request.URL
		case *network.EventResponseReceived:
			r := get(e.RequestID)
			r.url = e.Response.URL
			r.status = e.Response.Status
			r.headers = map[string]string{}
			for k, v := range e.Response.Headers {
				r.headers[strings.ToLower(k)] = fmt.Sprint(v)
			}
		case *network.EventLoadingFinished:
			r := get(e.RequestID)
			r.encoded = e.EncodedDataLength
			r.finished = true
		}
	}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
		return err
	}))
	p.open("/password/forgot")
	// Everything the page asked for has finished loading.
	p.waitJS("the page to settle", `performance.getEntriesByType("resource").every(e => e.responseEnd > 0)`)
	perf := evalJS[float64](p, `performance.getEntriesByType("navigation")[0].transferSize +
		performance.getEntriesByType("resource").reduce((n, e) => n + e.transferSize, 0)`)

	mu.Lock()
	defer mu.Unlock()
	var total float64
	for _, id := range order {
		r := reqs[id]
		u, err := url.Parse(r.url)
		if err != nil || u.Host != base.Host {
			t.Errorf("third-party or odd request: %q", r.url)
			continue
		}
		if !r.finished {
			t.Errorf("request %s did not finish", r.url)
		}
		total += r.encoded
		t.Logf("  %6.1f KB  %d %s  (%s)", r.encoded/1024, r.status, u.Path, r.headers["content-encoding"])
		if u.Path == "/password/forgot" {
			if enc := r.headers["content-encoding"]; enc != "br" && enc != "gzip" {
				t.Errorf("%s: Content-Encoding %q; want br or gzip", u.Path, enc)
			}
			continue
		}
		if !strings.HasPrefix(u.Path, "/assets/") {
			t.Errorf("unexpected request on first visit: %s", u.Path)
			continue
		}
		if cc := r.headers["cache-control"]; !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q; want a year and immutable", u.Path, cc)
		}
		if enc := r.headers["content-encoding"]; enc != "br" && enc != "gzip" {
			t.Errorf("%s: Content-Encoding %q; want br or gzip", u.Path, enc)
		}
	}
	if len(order) < 4 {
		t.Errorf("saw %d requests; want the page, CSS, htmx and app.js", len(order))
	}
	line := fmt.Sprintf("page weight: first visit /password/forgot = %.1f KB (%d requests; Performance API transferSize %.1f KB; budget %.0f KB)",
		total/1024, len(order), perf/1024, float64(pageWeightBudget)/1024)
	t.Log(line)
	s.figure(line)
	if total > pageWeightBudget {
		t.Errorf("first visit transfers %.1f KB; budget %.0f KB", total/1024, float64(pageWeightBudget)/1024)
	}
}
