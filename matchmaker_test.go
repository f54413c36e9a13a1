package matchmaker

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable Clock for Tick-driven tests.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness drives a Matchmaker on a fake clock and records its events.
type harness struct {
	t      *testing.T
	m      *Matchmaker
	clock  *fakeClock
	sub    *Subscription
	events []Event
}

func newHarness(t *testing.T, ruleSet string, cfg Config, opts ...Option) *harness {
	t.Helper()
	data, err := os.ReadFile(ruleSet)
	require.NoError(t, err)
	cfg.RuleSet, err = ParseRuleSet(data)
	require.NoError(t, err)
	clock := &fakeClock{now: t0}
	opts = append([]Option{WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{1}))}, opts...)
	m, err := New(cfg, opts...)
	require.NoError(t, err)
	sub, err := m.Subscribe()
	require.NoError(t, err)
	h := &harness{t: t, m: m, clock: clock, sub: sub}
	t.Cleanup(func() { m.Close() })
	return h
}

// at sets the clock to sec seconds after t0.
func (h *harness) at(sec float64) *harness {
	h.clock.now = t0.Add(time.Duration(sec * float64(time.Second)))
	return h
}

// tick runs a tick at sec and returns the events it produced.
func (h *harness) tick(sec float64) []Event {
	h.t.Helper()
	h.at(sec)
	require.NoError(h.t, h.m.Tick(h.clock.now))
	return h.drain()
}

func (h *harness) drain() []Event {
	var got []Event
	for e, ok := h.sub.TryNext(); ok; e, ok = h.sub.TryNext() {
		got = append(got, e)
		h.events = append(h.events, e)
	}
	return got
}

func (h *harness) start(id string, players ...Player) {
	h.t.Helper()
	_, err := h.m.StartMatchmaking(StartMatchmakingInput{TicketID: id, Players: players})
	require.NoError(h.t, err)
}

func num(name string, v float64) Attributes { return Attributes{name: NumberValue(v)} }

func player1(id string, attrs Attributes) Player { return Player{PlayerID: id, Attributes: attrs} }

// matches returns the MatchmakingSucceeded events among evs.
func matches(evs []Event) []*MatchmakingSucceeded {
	var out []*MatchmakingSucceeded
	for _, e := range evs {
		if s, ok := e.(*MatchmakingSucceeded); ok {
			out = append(out, s)
		}
	}
	return out
}

// ticketIDs lists the ticket IDs of a match, sorted by team then ID for stable comparison.
func ticketIDs(s *MatchmakingSucceeded) []string {
	var out []string
	for _, t := range s.Tickets {
		out = append(out, t.TicketID)
	}
	return out
}

func (h *harness) status(id string) TicketStatus {
	ts := h.m.DescribeMatchmaking(id)
	require.Len(h.t, ts, 1)
	return ts[0].Status
}

const shared = "../shared/rulesets/"

func needShared(t *testing.T) {
	if _, err := os.Stat(shared); err != nil {
		t.Skip("../shared not present")
	}
}

func TestGomokuExpansionFiresAtItsStep(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", player1("pa", num("score", 1000)))
	h.start("b", player1("pb", num("score", 1500)))
	require.Len(t, matches(h.tick(0)), 1, "250 apart passes maxDistance 300 at once")

	h.at(100)
	h.start("c", player1("pc", num("score", 1000)))
	h.start("d", player1("pd", num("score", 2000)))
	assert.Empty(t, matches(h.tick(109.999)), "distance 500 needs the 10 s step")
	got := matches(h.tick(110))
	require.Len(t, got, 1, "the 10 s step (500) applies at exactly 10 s")
	assert.ElementsMatch(t, []string{"c", "d"}, ticketIDs(got[0]))
	teams := map[string]bool{}
	for _, tk := range got[0].Tickets {
		teams[tk.Players[0].Team] = true
	}
	assert.Equal(t, map[string]bool{"red": true, "blue": true}, teams)
}

func TestFillToMaxThenMinAfterFullPass(t *testing.T) {
	// One team of 2 to 4 players, no rules.
	h := newHarness(t, "testdata/rulesets/lobby-2-4.json", Config{})
	for i := range 5 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i), nil))
	}
	got := matches(h.tick(0))
	require.Len(t, got, 1, "five tickets: one full match of four, the fifth waits")
	assert.Len(t, got[0].Tickets, 4)
	assert.Equal(t, StatusSearching, h.status("t4"))

	h.start("t5", player1("p5", nil))
	got = matches(h.tick(1))
	require.Len(t, got, 1, "two waiting tickets reach the minimum after a full pass")
	assert.ElementsMatch(t, []string{"t4", "t5"}, ticketIDs(got[0]))
}

func TestPartyStaysOnOneTeam(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/5v5.json", Config{})
	h.start("party", player1("a1", num("skill", 10)), player1("a2", num("skill", 10)), player1("a3", num("skill", 10)))
	for i := range 7 {
		h.start(fmt.Sprintf("s%d", i), player1(fmt.Sprintf("s%d", i), num("skill", 10)))
	}
	got := matches(h.tick(0))
	require.Len(t, got, 1)
	var teams []string
	for _, tk := range got[0].Tickets {
		if tk.TicketID == "party" {
			for _, p := range tk.Players {
				teams = append(teams, p.Team)
			}
		}
	}
	require.Len(t, teams, 3)
	assert.Equal(t, teams[0], teams[1])
	assert.Equal(t, teams[0], teams[2])
}

func TestUnmatchableOldestDoesNotBlockOthers(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("lonely", player1("p0", num("score", 9000)))
	for i := range 10 {
		h.start(fmt.Sprintf("t%d", i), player1(fmt.Sprintf("p%d", i+1), num("score", float64(1000+i))))
	}
	assert.Len(t, matches(h.tick(0)), 5, "the ten compatible tickets match although the oldest cannot")
	assert.Equal(t, StatusSearching, h.status("lonely"))
}

func TestTimeoutCancelAndDuplicate(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{RequestTimeout: 30 * time.Second})
	h.start("old", player1("p1", num("score", 1000)))
	h.start("stop", player1("p2", num("score", 5000)))
	h.tick(0)
	require.NoError(t, h.m.StopMatchmaking("stop"))
	evs := h.drain()
	require.Len(t, evs, 1)
	require.IsType(t, &MatchmakingCancelled{}, evs[0])
	assert.Equal(t, ReasonCancelled, evs[0].(*MatchmakingCancelled).Reason)
	require.NoError(t, h.m.StopMatchmaking("stop"), "stopping a cancelled ticket again succeeds")

	h.at(5)
	h.start("new", player1("p1", num("score", 9000))) // same player: the old ticket is cancelled
	evs = h.drain()
	require.Len(t, evs, 1)
	assert.Equal(t, ReasonDuplicatePlayer, evs[0].(*MatchmakingCancelled).Reason)
	assert.Equal(t, StatusCancelled, h.status("old"))

	assert.Empty(t, h.tick(34.999)[1:], "only the Searching event of the new ticket")
	evs = h.tick(35)
	require.Len(t, evs, 1)
	require.IsType(t, &MatchmakingTimedOut{}, evs[0])
	assert.Equal(t, StatusTimedOut, h.status("new"))
}

func TestRequestsThatCanNeverMatchAreRefused(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku-latency.json", Config{})
	cases := map[string]struct {
		in   StartMatchmakingInput
		path string
	}{
		"party larger than every team": {StartMatchmakingInput{Players: []Player{
			{PlayerID: "a", LatencyInMs: Latencies{"r": 10}}, {PlayerID: "b", LatencyInMs: Latencies{"r": 10}}}}, "Players"},
		"wrong attribute type": {StartMatchmakingInput{Players: []Player{
			{PlayerID: "a", Attributes: Attributes{"score": StringValue("x")}, LatencyInMs: Latencies{"r": 10}}}}, "Players[0].PlayerAttributes.score"},
		"no latency with a latency rule": {StartMatchmakingInput{Players: []Player{{PlayerID: "a"}}}, "Players[0].LatencyInMs"},
		"NaN":                            {StartMatchmakingInput{Players: []Player{{PlayerID: "a", Attributes: num("score", nan()), LatencyInMs: Latencies{"r": 10}}}}, "Players[0].PlayerAttributes.score.N"},
		"bad ticket id":                  {StartMatchmakingInput{TicketID: "a_b", Players: []Player{{PlayerID: "a", LatencyInMs: Latencies{"r": 10}}}}, "TicketId"},
		"no players":                     {StartMatchmakingInput{}, "Players"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := h.m.StartMatchmaking(c.in)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.ErrorIs(t, err, ErrInvalidInput)
			var paths []string
			for _, p := range ve.Problems {
				paths = append(paths, p.Path)
			}
			assert.Contains(t, paths, c.path)
			assert.Zero(t, h.m.Stats().Started, "a refused request changes nothing")
		})
	}
}

func nan() float64 { var z float64; return z / z }

// TestRepostNewestTicketClock reproduces AWS's answer on rule set 19: with the newest ticket's
// age driving expansions, P1 (t=0) and P2 (t=10) end in separate one-player matches at 45 s
// and 55 s; with "oldest" they match together at 40 s.
func TestRepostNewestTicketClock(t *testing.T) {
	needShared(t)
	h := newHarness(t, shared+"19-repost-minplayers-expansion-newest-ticket.json", Config{})
	mode := Attributes{"gameMode": StringValue("ffa")}
	h.start("p1", player1("p1", mode))
	var formed []float64
	for sec := 0; sec <= 60; sec++ {
		if sec == 10 {
			h.at(10)
			h.start("p2", player1("p2", mode))
		}
		for _, s := range matches(h.tick(float64(sec))) {
			formed = append(formed, float64(sec))
			assert.Len(t, s.Tickets, 1)
		}
	}
	assert.Equal(t, []float64{45, 55}, formed)

	data, err := os.ReadFile(shared + "19-repost-minplayers-expansion-newest-ticket.json")
	require.NoError(t, err)
	data = bytes.Replace(data, []byte(`"playerAttributes"`), []byte(`"algorithm": {"expansionAgeSelection": "oldest"}, "playerAttributes"`), 1)
	rs, err := ParseRuleSet(data)
	require.NoError(t, err)
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs}, WithClock(clock))
	require.NoError(t, err)
	sub, _ := m.Subscribe()
	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "p1", Players: []Player{player1("p1", mode)}})
	require.NoError(t, err)
	for sec := 0; sec <= 60; sec++ {
		clock.now = t0.Add(time.Duration(sec) * time.Second)
		if sec == 10 {
			_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "p2", Players: []Player{player1("p2", mode)}})
			require.NoError(t, err)
		}
		m.Tick(clock.now)
	}
	var at []time.Duration
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		if s, ok := e.(*MatchmakingSucceeded); ok {
			at = append(at, s.Time.Sub(t0))
			assert.Len(t, s.Tickets, 2)
		}
	}
	assert.Equal(t, []time.Duration{40 * time.Second}, at)
}

// An intersection over a team that is still empty is unknown, not empty: the anchor alone must
// not fail a minCount rule, or such a rule set could never match anyone.
func TestIntersectionOverEmptyTeamDoesNotBlockTheAnchor(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/common-mode.json", Config{})
	modes := func(ms ...string) Attributes { return Attributes{"modes": StringListValue(ms...)} }
	h.start("a", player1("pa", modes("ctf", "dm")))
	h.start("b", player1("pb", modes("koth")))
	h.start("c", player1("pc", modes("dm")))
	got := matches(h.tick(0))
	require.Len(t, got, 1)
	assert.ElementsMatch(t, []string{"a", "c"}, ticketIDs(got[0]), "a and c share dm; b shares nothing")
	assert.Equal(t, StatusSearching, h.status("b"))
}

// Sort rules order an anchor's candidates: absoluteSort descending prefers the highest level
// over the nearest one.
func TestSortRulesOrderCandidates(t *testing.T) {
	data := []byte(`{"ruleLanguageVersion": "1.0",
		"playerAttributes": [{"name": "level", "type": "number"}],
		"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
		"rules": [{"name": "HighFirst", "type": "absoluteSort", "sortDirection": "descending", "sortAttribute": "level"}]}`)
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: MustParseRuleSet(data)}, WithClock(clock))
	require.NoError(t, err)
	sub, _ := m.Subscribe()
	for i, lvl := range []float64{5, 4, 9} {
		_, err := m.StartMatchmaking(StartMatchmakingInput{TicketID: fmt.Sprintf("t%d", i),
			Players: []Player{player1(fmt.Sprintf("p%d", i), num("level", lvl))}})
		require.NoError(t, err)
	}
	require.NoError(t, m.Tick(t0))
	var got []string
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		if s, ok := e.(*MatchmakingSucceeded); ok {
			got = ticketIDs(s)
		}
	}
	assert.ElementsMatch(t, []string{"t0", "t2"}, got, "level 9 beats the nearer level 4")
}
