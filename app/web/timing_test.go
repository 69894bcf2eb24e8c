package web_test

import (
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db/dbtest"
)

// TestForgotTimingIndependentOfMatch sends interleaved requests that match
// the main user and requests that match nothing, against MariaDB, and
// compares the medians of their response times. The work for a match
// (token, outbox, audit) happens off the request path, so the medians must
// lie within 2 ms of each other (Django's flow differs by about 2 ms).
func TestForgotTimingIndependentOfMatch(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	h := newHarness(t, dbtest.OpenMySQL(t), withLimits(func(l *app.Limits) {
		l.ForgotPerIP = app.Limit{}
		// Keep every match a real match: with the default 3 mails an hour
		// most would be throttled, which costs less.
		l.MailsPerCustomer = app.Limit{}
		l.MailsPerEmail = app.Limit{}
	}))
	tok := h.csrf("/password/forgot")
	match := demoForm(tok)
	miss := url.Values{"_csrf": {tok}, "customer_code": {"JP0000001"}, "postal_code": {"100-0001"}, "email": {"who@example.co.jp"}}

	const rounds = 300
	var tMatch, tMiss []time.Duration
	send := func(form url.Values) time.Duration {
		start := time.Now()
		res := h.post("/password/forgot", form, true)
		d := time.Since(start)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		return d
	}
	// Warm up both paths (connections, caches) before measuring.
	for i := 0; i < 20; i++ {
		send(match)
		send(miss)
	}
	h.reset.Wait()
	for i := 0; i < rounds; i++ {
		// Alternate which goes first so neither always follows the other.
		if i%2 == 0 {
			tMatch = append(tMatch, send(match))
			tMiss = append(tMiss, send(miss))
		} else {
			tMiss = append(tMiss, send(miss))
			tMatch = append(tMatch, send(match))
		}
	}
	h.reset.Wait()
	mMatch, mMiss := median(tMatch), median(tMiss)
	diff := mMatch - mMiss
	if diff < 0 {
		diff = -diff
	}
	t.Logf("median response: match %v, no match %v, difference %v (%d rounds)", mMatch, mMiss, diff, rounds)
	if diff > 2*time.Millisecond {
		t.Fatalf("medians differ by %v; want at most 2ms", diff)
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
