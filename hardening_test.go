package matchmaker

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the defects of issue 8, each through the public API.

func latPlayer(id string, lat Latencies) Player {
	return Player{PlayerID: id, Attributes: num("score", 1000), LatencyInMs: lat}
}

// Defect 1: region names are released when no ticket or session uses them, and the bound is on
// the names in use.
func TestRegionNamesAreReleased(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku-latency.json", Config{}, WithTicketRetention(time.Second))
	for i := range 64 {
		lat := Latencies{}
		for j := range 64 {
			lat[fmt.Sprintf("invented-%d-%d", i, j)] = 10
		}
		id := fmt.Sprintf("t%d", i)
		h.start(id, latPlayer("p"+id, lat))
		require.NoError(t, h.m.StopMatchmaking(id))
	}
	h.tick(2) // the cancelled tickets are forgotten
	h.start("real", latPlayer("p-real", Latencies{"us-east-1": 20}))
	assert.Equal(t, 1, h.m.regions.inUse())

	// The bound holds on names in use: 4,096 live names, then one more is refused.
	for i := range 64 {
		lat := Latencies{}
		for j := range 64 {
			lat[fmt.Sprintf("live-%d-%d", i, j)] = 10
		}
		_, err := h.m.StartMatchmaking(StartMatchmakingInput{TicketID: fmt.Sprintf("l%d", i), Players: []Player{latPlayer(fmt.Sprintf("pl%d", i), lat)}})
		if i < 63 {
			require.NoError(t, err)
			continue
		}
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "the 4,097th name in use is refused")
		assert.Contains(t, ve.Error(), "distinct regions")
	}
	assert.Equal(t, 1+63*64, h.m.regions.inUse(), "a refused request leaves no names behind")
	require.NoError(t, h.m.StopMatchmaking("l0"))
	h.tick(4)
	_, err := h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{latPlayer("late", Latencies{"eu-west-9": 30})}})
	require.NoError(t, err, "names freed by a forgotten ticket are available again")
}

// Defect 1, game sessions: a session's roster holds its players' names until it is forgotten.
func TestRegionNamesHeldBySessions(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku-latency.json", Config{}, WithTicketRetention(time.Second))
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
		{PlayerID: "r", Team: "red", Attributes: num("score", 1000), LatencyInMs: Latencies{"ap-south-1": 40}}}})
	require.NoError(t, err)
	h.start("j", latPlayer("pj", Latencies{"ap-south-1": 45}))
	h.tick(0)
	h.tick(5) // the tickets are forgotten; the session's roster still names the region
	gs, err := h.m.DescribeGameSession("gs")
	require.NoError(t, err)
	assert.Len(t, gs.MatchmakerData.Teams[0].Players, 1)
	assert.Equal(t, 1, h.m.regions.inUse())
	require.NoError(t, h.m.EndGameSession("gs"))
	assert.Equal(t, 0, h.m.regions.inUse())
}

// Defect 3: a player whose ticket waits for the game server's acknowledgement and who queues
// again leaves the backfill's roster with the old ticket: the next match lists them once.
func TestPlacingPlayerWhoQueuesAgainLeavesTheRoster(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{BackfillAcknowledgeTimeout: time.Minute})
	teams := h.m.cfg.RuleSet.Teams()
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
		{PlayerID: "host", Team: teams[0].Name}}})
	require.NoError(t, err)
	h.start("first", Player{PlayerID: "again"})
	h.tick(0)
	require.Equal(t, StatusPlacing, h.status("first"))
	h.start("second", Player{PlayerID: "again"}) // the same player queues again
	assert.Equal(t, StatusCancelled, h.status("first"))
	h.start("other", Player{PlayerID: "other"})
	evs := h.tick(1)
	for _, e := range evs {
		pc, ok := e.(*PotentialMatchCreated)
		if !ok {
			continue
		}
		seen := map[string]int{}
		for _, tk := range pc.Tickets {
			for _, p := range tk.Players {
				seen[p.PlayerID]++
			}
		}
		for id, n := range seen {
			assert.Equal(t, 1, n, "player %s listed %d times in match %s", id, n, pc.MatchID)
		}
	}
	bt := h.m.DescribeGameSession
	gs, err := bt("gs")
	require.NoError(t, err)
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	n := 0
	for _, p := range h.m.tickets[gs.BackfillTicketID].players {
		if p.ID == "again" {
			n++
		}
	}
	assert.LessOrEqual(t, n, 1, "the cancelled ticket's player left the backfill's roster")
}

// Defect 4: the pool's partition per value of a string batchDistance attribute is released
// when no ticket waits with that value.
func TestBatchPartitionsAreReleased(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/batch-mode.json", Config{})
	mode := func(i int) Player {
		return Player{PlayerID: fmt.Sprintf("p%d", i), Attributes: Attributes{"mode": StringValue(fmt.Sprintf("mode-%d", i))}}
	}
	for i := range 2000 {
		h.start(fmt.Sprintf("t%d", i), mode(i))
		if i%2 == 0 {
			require.NoError(t, h.m.StopMatchmaking(fmt.Sprintf("t%d", i))) // before it enters the order
		}
	}
	h.tick(0)
	h.m.mu.Lock()
	assert.Equal(t, 1000, len(h.m.pool.groups.byName), "one partition per waiting value")
	h.m.mu.Unlock()
	for i := 1; i < 2000; i += 2 {
		require.NoError(t, h.m.StopMatchmaking(fmt.Sprintf("t%d", i))) // from inside the order
	}
	h.tick(1)
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	assert.Empty(t, h.m.pool.groups.byName)
	assert.Len(t, h.m.pool.groups.free, len(h.m.pool.groups.names), "every id is free for reuse")
}

// Defect 5: ended tickets are bounded at every moment, not only at the next tick.
func TestEndedTicketsBoundedWithoutTicks(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithMaxTickets(1000))
	for i := range 20000 {
		id := fmt.Sprintf("t%d", i)
		h.start(id, gomoku("p", 1000))
		require.NoError(t, h.m.StopMatchmaking(id))
		if i%5000 == 0 {
			h.drain()
		}
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	assert.LessOrEqual(t, len(h.m.tickets), 1000)
	assert.LessOrEqual(t, cap(h.m.ended), 4096, "the queue of ended tickets stays proportional to its bound")
	assert.LessOrEqual(t, len(h.m.pool.arrivals), 2048, "tickets that ended before any tick are not kept for it")
	assert.NotNil(t, h.m.tickets["t19999"], "the newest ended tickets are kept")
	assert.Nil(t, h.m.tickets["t0"])
}

// Defect 6: automatic backfills respect WithMaxBackfills and leave room under WithMaxTickets.
func TestAutomaticBackfillsRespectTheBackfillLimit(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/batch-mode-lobby.json",
		Config{FlexMatchMode: WithQueue, BackfillMode: BackfillAutomatic}, WithMaxBackfills(2))
	for i := range 6 { // six modes, six matches of two, each placed with two open slots
		mode := Attributes{"mode": StringValue(fmt.Sprintf("mode-%d", i))}
		h.start(fmt.Sprintf("a%d", i), Player{PlayerID: fmt.Sprintf("a%d", i), Attributes: mode})
		h.start(fmt.Sprintf("b%d", i), Player{PlayerID: fmt.Sprintf("b%d", i), Attributes: mode})
	}
	h.tick(0)
	st := h.m.Stats()
	assert.Equal(t, uint64(6), st.Matches)
	assert.LessOrEqual(t, st.Backfills, 2, "automatic backfills stop at WithMaxBackfills")
	_, err := h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "late"}}})
	assert.NoError(t, err)
}

// errReader is a random source that always fails.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("no entropy") }

// zeroReader is a random source that always gives the same bytes.
type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// Defect 7: a generated ticket ID never equals a live or retained ticket's, whatever the random
// source does. The source only seeds the ID generator (so that a journal can replay the IDs);
// one that fails then is refused by New.
func TestGeneratedIDsNeverCollide(t *testing.T) {
	data, err := os.ReadFile("testdata/rulesets/gomoku.json")
	require.NoError(t, err)
	_, err = New(Config{RuleSet: MustParseRuleSet(data)}, WithRandom(errReader{}))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithRandom", ve.Problems[0].Path)
	for name, src := range map[string]io.Reader{"repeating": zeroReader{}} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithRandom(src))
			h.start("id-1", gomoku("caller", 1000)) // a caller's own ID, the fallback's first
			h.start("00000000-0000-4000-8000-000000000000", gomoku("caller2", 9000))
			ids := map[string]bool{}
			for i := range 5 {
				tk, err := h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{gomoku(fmt.Sprintf("p%d", i), 5000)}})
				require.NoError(t, err)
				assert.False(t, ids[tk.TicketID], "generated %s twice", tk.TicketID)
				ids[tk.TicketID] = true
			}
			assert.Len(t, h.m.DescribeMatchmaking("id-1"), 1)
			assert.Equal(t, "caller", h.m.DescribeMatchmaking("id-1")[0].Players[0].PlayerID, "the caller's ticket is intact")
		})
	}
}

// Defect 9: a new StartMatchBackfill whose roster changed only in attributes replaces the
// roster's attributes.
func TestBackfillRosterAttributeChangesAreKept(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	start := func(score float64) {
		_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
			{PlayerID: "r", Team: "red", Attributes: num("score", score)}}})
		require.NoError(t, err)
	}
	start(1000)
	v1, err := h.m.DescribeGameSession("gs")
	require.NoError(t, err)
	start(1000)
	v2, _ := h.m.DescribeGameSession("gs")
	assert.Equal(t, v1.Version, v2.Version, "an unchanged roster keeps its version")
	start(1700) // the player's skill rose
	v3, _ := h.m.DescribeGameSession("gs")
	assert.Greater(t, v3.Version, v2.Version)
	var red MatchTeam
	for _, team := range v3.MatchmakerData.Teams {
		if team.Name == "red" {
			red = team
		}
	}
	require.Len(t, red.Players, 1)
	assert.EqualValues(t, 1700.0, red.Players[0].Attributes["score"].ValueAttribute)
}

// Defect 8: StopMatchBackfill reads a ticket under the lock, so it races with nothing (run with
// -race) and refuses a matchmaking ticket whatever a tick does meanwhile.
func TestStopMatchBackfillIsRaceFree(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	bf, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
		{PlayerID: "r", Team: "red", Attributes: num("score", 1000)}}})
	require.NoError(t, err)
	for i := range 50 {
		h.start(fmt.Sprintf("t%d", i), gomoku(fmt.Sprintf("p%d", i), 5000))
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := range 50 {
			_ = h.m.Tick(t0.Add(time.Duration(i) * time.Second))
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 50 {
			err := h.m.StopMatchBackfill(fmt.Sprintf("t%d", i))
			assert.ErrorIs(t, err, ErrInvalidState, "t%d is not a backfill ticket", i)
		}
	}()
	go func() {
		defer wg.Done()
		assert.NoError(t, h.m.StopMatchBackfill(bf.TicketID))
	}()
	wg.Wait()
}

// Defect 10: the smaller ones.
func TestRequestsAfterCloseAndInvalidText(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	_, err := h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs", Players: []Player{
		{PlayerID: "r", Team: "red", Attributes: num("score", 1000)}}})
	require.NoError(t, err)

	_, err = h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{gomoku("bad\xff", 1000)}})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve, "invalid UTF-8 in a player ID")
	assert.Equal(t, "Players[0].PlayerId", ve.Problems[0].Path)
	_, err = h.m.StartMatchBackfill(StartMatchBackfillInput{GameSessionArn: "gs\xfe", Players: nil})
	require.ErrorAs(t, err, &ve, "invalid UTF-8 in a session ARN")
	_, err = h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{latPlayer("p", Latencies{"eu\xff": 10})}})
	require.ErrorAs(t, err, &ve, "invalid UTF-8 in a region name")

	require.NoError(t, h.m.Close())
	assert.ErrorIs(t, h.m.EndGameSession("gs"), ErrClosed)
	assert.ErrorIs(t, h.m.RemovePlayers("gs", "r"), ErrClosed)
	assert.ErrorIs(t, h.m.StopMatchBackfill("x"), ErrClosed)
	_, err = h.m.AcknowledgeBackfill("x")
	assert.ErrorIs(t, err, ErrClosed)
	gs, err := h.m.DescribeGameSession("gs")
	require.NoError(t, err, "reading a closed Matchmaker's state still works")
	assert.Empty(t, gs.BackfillTicketID, "Close ended the backfill")
}

// Defect 10: times outside what a Matchmaker can hold are clamped, so start times and timeouts
// stay meaningful at the zero time and near the end of the range.
func TestTimesAreClampedIntoTheRange(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{RequestTimeout: time.Minute})
	h.clock.now = time.Time{}
	h.start("zero", gomoku("pz", 1000))
	assert.Equal(t, epoch, h.m.DescribeMatchmaking("zero")[0].StartTime, "the zero time is clamped, not 1754")

	far := latest.Add(-time.Minute)
	h.clock.now = far
	h.start("far", gomoku("pf", 9000))
	require.NoError(t, h.m.Tick(far))
	require.NoError(t, h.m.Tick(far.Add(100*365*24*time.Hour))) // past 2262: clamped to the last time
	assert.Equal(t, StatusTimedOut, h.status("far"), "a ticket near the end of the range still times out")
}

// Defect 10: Event is a closed set: embedding Header does not make a type an Event.
func TestEventIsAClosedSet(t *testing.T) {
	event := reflect.TypeFor[Event]()
	assert.False(t, reflect.TypeFor[*struct{ Header }]().Implements(event))
	assert.False(t, reflect.TypeFor[*struct{ TicketEnded }]().Implements(event))
	assert.False(t, reflect.TypeFor[*struct{ SessionEvent }]().Implements(event))
	assert.True(t, reflect.TypeFor[*MatchmakingCancelled]().Implements(event))
}

// compoundTower is a rule set whose compound rules each refer eight times to the one before,
// levels deep: 8^levels rule visits without sharing.
func compoundTower(levels int) string {
	rules := `{"name":"C0","type":"comparison","measurements":["teams[*].players.attributes[score]"],"referenceValue":0,"operation":">"}`
	for i := 1; i <= levels; i++ {
		c := fmt.Sprintf("C%d", i-1)
		rules += fmt.Sprintf(`,{"name":"C%d","type":"compound","statement":"and(%s,%s,%s,%s,%s,%s,%s,%s)"}`, i, c, c, c, c, c, c, c, c)
	}
	return `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"score","type":"number","default":1000}],
	  "teams":[{"name":"red","minPlayers":1,"maxPlayers":1},{"name":"blue","minPlayers":1,"maxPlayers":1}],
	  "rules":[` + rules + `]}`
}

// Defect 2: a rule referred to by several compound statements is evaluated once per potential
// match, so 12 levels of and(C x 8) cost a few hundred visits, not 8^12; deeper chains are
// refused when the rule set is parsed.
func TestCompoundRulesAreEvaluatedOnce(t *testing.T) {
	src := compoundTower(12)
	require.Less(t, len(src), 2048)
	rs, err := ParseRuleSet([]byte(src))
	require.NoError(t, err)
	m, err := New(Config{RuleSet: rs})
	require.NoError(t, err)
	defer m.Close()
	for i := range 2 {
		_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{gomoku(fmt.Sprintf("p%d", i), 1000)}})
		require.NoError(t, err)
	}
	done := make(chan struct{})
	go func() { _ = m.Tick(t0); close(done) }()
	select {
	case <-done: // it used to run for hours
	case <-time.After(30 * time.Second):
		t.Fatal("a tick of two tickets did not finish")
	}
	assert.Equal(t, uint64(1), m.Stats().Matches)

	_, err = ParseRuleSet([]byte(compoundTower(17)))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "rules[17].statement", ve.Problems[0].Path)
	assert.Contains(t, ve.Problems[0].Message, "17 levels deep; at most 16")
}
