package natscluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect reads a subscription's events until want tickets have ended.
func collect(t *testing.T, s *Subscription, ended int) []string {
	t.Helper()
	var out []string
	n := 0
	timeout := time.After(30 * time.Second)
	for n < ended {
		select {
		case e, ok := <-s.C():
			require.True(t, ok, "subscription ended: %v", s.Err())
			out = append(out, describe(e))
			if e.EventType() == "MatchmakingSucceeded" {
				n += len(e.TicketIDs())
			}
		case <-timeout:
			t.Fatalf("only %d of %d tickets ended", n, ended)
		}
	}
	return out
}

func TestOwnerAndStandbyServeTheSameEvents(t *testing.T) {
	s := startServer(t, serverOptions(t.TempDir(), "s0"))
	a := startNode(t, testConfig(connect(t, s.ClientURL()), "a"))
	b := startNode(t, testConfig(connect(t, s.ClientURL()), "b"))
	own := owner(t, "duel", a, b)
	standby := a
	if own == a {
		standby = b
	}
	ctx := context.Background()
	subA, err := a.Partition("duel").Subscribe(ctx)
	require.NoError(t, err)
	subB, err := b.Partition("duel").Subscribe(ctx)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			tk, err := standby.Partition("duel").StartMatchmaking(ctx, solo(fmt.Sprint("t", i)))
			assert.NoError(t, err)
			assert.Equal(t, fmt.Sprint("t", i), tk.TicketID)
		})
	}
	wg.Wait()
	for i := range 10 {
		tk, err := standby.Partition("duel").Wait(ctx, fmt.Sprint("t", i))
		require.NoError(t, err)
		assert.Equal(t, mm.StatusCompleted, tk.Status)
	}
	evA, evB := collect(t, subA, 10), collect(t, subB, 10)
	assert.Equal(t, evA, evB)

	// A duplicate start returns the first one's result; an unknown ticket is refused by the owner.
	tk, err := standby.Partition("duel").StartMatchmaking(ctx, solo("t3"))
	require.NoError(t, err)
	assert.Equal(t, mm.StatusCompleted, tk.Status)
	err = own.Partition("duel").StopMatchmaking(ctx, "nope")
	assert.ErrorIs(t, err, mm.ErrNotFound)
}
