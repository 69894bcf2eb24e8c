package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hafele-online/reset/app"
)

// Audit tail settings.
const (
	auditDefaultLines = 20
	auditMaxLines     = 1000
	auditPollInterval = time.Second
	// auditFollowBatch is how many new events one poll fetches; more than
	// a second's worth even under a burst of requests.
	auditFollowBatch = 1000
)

// auditTail runs "audit tail [-n N] [-f]".
func (c *cli) auditTail(ctx context.Context, args []string) error {
	fs := c.flagSet("audit tail", "[-n N] [-f]",
		"Prints recent audit events, oldest first, one per line, tab-separated:\n"+
			"time (UTC), kind, detail, customer code, email, IP, user agent (\"-\" when empty).")
	n := fs.Int("n", auditDefaultLines, fmt.Sprintf("number of events to print (1..%d)", auditMaxLines))
	follow := fs.Bool("f", false, "keep printing new events every second until interrupted")
	if err := c.parse(fs, args, 0); err != nil {
		return err
	}
	if *n < 1 || *n > auditMaxLines {
		fs.Usage()
		return usageError(fmt.Sprintf("audit tail: -n %d is out of range (1..%d)", *n, auditMaxLines))
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	store, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	events, err := store.RecentAudit(ctx, 0, *n)
	if err != nil {
		return fmt.Errorf("audit tail: %w", err)
	}
	last := printAudit(c.stdout, events, 0)
	if !*follow {
		return nil
	}
	tick := time.NewTicker(auditPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// Interrupting -f is how it is meant to end.
			return nil
		case <-tick.C:
		}
		events, err := store.RecentAudit(ctx, last, auditFollowBatch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("audit tail: %w", err)
		}
		last = printAudit(c.stdout, events, last)
	}
}

// printAudit prints events (given newest first) oldest first and returns
// the highest id seen, at least last.
func printAudit(w io.Writer, events []app.AuditEvent, last int64) int64 {
	events = slices.Clone(events)
	slices.SortFunc(events, func(a, b app.AuditEvent) int { return cmp.Compare(a.ID, b.ID) })
	for _, e := range events {
		fmt.Fprintln(w, strings.Join([]string{
			e.At.UTC().Format(time.RFC3339),
			auditCell(string(e.Kind)),
			auditCell(e.Detail),
			auditCell(e.CustomerCode),
			auditCell(e.Email),
			auditCell(e.IP),
			auditCell(e.UserAgent),
		}, "\t"))
		last = max(last, e.ID)
	}
	return last
}

// auditCell makes a value safe for one tab-separated terminal column: the
// user agent and email come from clients, so anything that is not plain
// printable text (tabs, escapes, spaces) is quoted.
func auditCell(s string) string {
	if s == "" {
		return "-"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == ' ' || r == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}
