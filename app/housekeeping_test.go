package app

import (
	"context"
	"testing"
	"time"
)

type pruneFunc func(ctx context.Context, now, tokensBefore, mailBefore, limitsBefore time.Time) (int64, error)

func (f pruneFunc) Prune(ctx context.Context, now, t, m, l time.Time) (int64, error) {
	return f(ctx, now, t, m, l)
}

func TestHousekeeperCutoffs(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var got [4]time.Time
	h := Housekeeper{Clock: func() time.Time { return now }, Retention: DefaultRetention(),
		Store: pruneFunc(func(_ context.Context, n, tb, mb, lb time.Time) (int64, error) {
			got = [4]time.Time{n, tb, mb, lb}
			return 3, nil
		})}
	if n, err := h.RunOnce(context.Background()); n != 3 || err != nil {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	want := [4]time.Time{now, now.Add(-30 * 24 * time.Hour), now.Add(-30 * 24 * time.Hour), now.Add(-24 * time.Hour)}
	if got != want {
		t.Fatalf("cut-offs %v; want %v", got, want)
	}
}
