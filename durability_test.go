package matchmaker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memJournal is a Journal in memory, which can be made to fail.
type memJournal struct {
	entries    [][]byte
	syncs      int
	failAppend error
	failSync   error
}

func (j *memJournal) Append(e []byte) error {
	if j.failAppend != nil {
		return j.failAppend
	}
	j.entries = append(j.entries, slices.Clone(e))
	return nil
}

func (j *memJournal) Sync() error {
	j.syncs++
	return j.failSync
}

// iterate yields the entries, as a file journal's reader would.
func (j *memJournal) iterate() func(func([]byte, error) bool) {
	return func(yield func([]byte, error) bool) {
		for _, e := range j.entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// durableRun is one Matchmaker of a determinism test and what it produced.
type durableRun struct {
	m       *Matchmaker
	clock   *fakeClock
	sub     *Subscription
	journal *memJournal
	events  []string
	results []string
}

func (r *durableRun) drain(t *testing.T) {
	for {
		e, ok := r.sub.TryNext()
		if !ok {
			return
		}
		r.events = append(r.events, describeEvent(t, e))
	}
}

func describeEvent(t *testing.T, e Event) string {
	b, err := json.Marshal(e)
	require.NoError(t, err)
	h := e.EventHeader()
	return fmt.Sprintf("%d %s %T %s", h.Seq, h.Time.Format(time.RFC3339Nano), e, b)
}

// durableConfigs are the configurations the determinism test draws from.
var durableConfigs = []struct {
	name  string
	rules string
	cfg   Config
}{
	{"standalone", "gomoku-latency.json", Config{RequestTimeout: 40 * time.Second}},
	{"acceptance", "2v2.json", Config{RequestTimeout: 60 * time.Second, AcceptanceRequired: true, AcceptanceTimeout: 5 * time.Second}},
	{"auto-backfill-ack", "lobby-2-4.json", Config{RequestTimeout: 60 * time.Second, FlexMatchMode: WithQueue,
		BackfillMode: BackfillAutomatic, BackfillAcknowledgeTimeout: 8 * time.Second}},
	{"placer", "batch-mode.json", Config{RequestTimeout: 60 * time.Second, FlexMatchMode: WithQueue,
		Placer: PlacerFunc(func(PlacementRequest) {}), PlacementTimeout: 10 * time.Second}},
	{"roles", "random/roles-collection.json", Config{RequestTimeout: 60 * time.Second}},
	{"maps", "random/squads-maps.json", Config{RequestTimeout: 60 * time.Second, AcceptanceRequired: true}},
}

// workload makes random requests against a Matchmaker, choosing them from what the first
// Matchmaker shows, and applies each to every Matchmaker given, in the same order at the same
// times.
type workload struct {
	t     *testing.T
	rng   *rand.Rand
	rs    *RuleSet
	now   time.Time
	ids   []string // ticket IDs seen
	arns  []string // game sessions seen
	idSeq int
}

func (w *workload) player(i int, team string) Player {
	p := Player{PlayerID: "p" + strconv.Itoa(i), Team: team, Attributes: Attributes{}}
	for name, typ := range w.rs.Attributes() {
		if w.rng.IntN(5) == 0 {
			continue // take the default, if there is one
		}
		switch typ {
		case AttrNumber:
			p.Attributes[name] = NumberValue(float64(900 + w.rng.IntN(400)))
		case AttrString:
			p.Attributes[name] = StringValue([]string{"a", "b", "c"}[w.rng.IntN(3)])
		case AttrStringList:
			p.Attributes[name] = StringListValue([]string{"tank", "healer", "dps", "a", "b"}[w.rng.IntN(5):]...)
		case AttrStringNumberMap:
			p.Attributes[name] = StringNumberMapValue(map[string]float64{"x": float64(w.rng.IntN(100)), "y": 1})
		}
	}
	if w.rng.IntN(4) > 0 {
		p.LatencyInMs = Latencies{}
		for _, r := range []string{"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"} {
			if w.rng.IntN(3) > 0 {
				p.LatencyInMs[r] = 10 + w.rng.IntN(200)
			}
		}
	}
	return p
}

func (w *workload) pick(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return list[w.rng.IntN(len(list))]
}

// step makes one request (or a tick) on every run, and records what each returned.
func (w *workload) step(runs ...*durableRun) {
	first := runs[0].m
	var op func(m *Matchmaker) string
	switch k := w.rng.IntN(100); {
	case k < 20:
		w.now = w.now.Add(time.Duration(w.rng.IntN(3000)) * time.Millisecond)
		if w.rng.IntN(10) == 0 {
			w.now = w.now.Add(20 * time.Second)
		}
		at := w.now
		op = func(m *Matchmaker) string { return fmt.Sprint(m.Tick(at)) }
	case k < 55:
		n := 1 + w.rng.IntN(2)
		in := StartMatchmakingInput{}
		if w.rng.IntN(3) == 0 {
			w.idSeq++
			in.TicketID = "t-" + strconv.Itoa(w.idSeq%40)
		}
		for range n {
			in.Players = append(in.Players, w.player(w.rng.IntN(50), ""))
		}
		op = func(m *Matchmaker) string {
			tk, err := m.StartMatchmaking(in)
			if err == nil {
				w.ids = append(w.ids, tk.TicketID)
			}
			return fmt.Sprint(tk, err)
		}
	case k < 62:
		id := w.pick(w.ids)
		op = func(m *Matchmaker) string { return fmt.Sprint(m.StopMatchmaking(id)) }
	case k < 75:
		id := w.pick(w.ids)
		typ := Accept
		if w.rng.IntN(6) == 0 {
			typ = Reject
		}
		var pids []string
		if ts := first.DescribeMatchmaking(id); len(ts) == 1 {
			for _, p := range ts[0].Players {
				pids = append(pids, p.PlayerID)
			}
		}
		in := AcceptMatchInput{TicketID: id, PlayerIDs: pids, AcceptanceType: typ}
		op = func(m *Matchmaker) string { return fmt.Sprint(m.AcceptMatch(in)) }
	case k < 80:
		arn := w.pick(w.arns)
		if w.rng.IntN(3) == 0 {
			arn = "gs-own-" + strconv.Itoa(w.rng.IntN(5))
		}
		var roster []Player
		teams := w.rs.Teams()
		for range w.rng.IntN(3) {
			roster = append(roster, w.player(50+w.rng.IntN(30), teams[w.rng.IntN(len(teams))].Name))
		}
		in := StartMatchBackfillInput{GameSessionArn: arn, Players: roster, MaxNewPlayers: w.rng.IntN(3)}
		op = func(m *Matchmaker) string {
			tk, err := m.StartMatchBackfill(in)
			if err == nil {
				w.ids = append(w.ids, tk.TicketID)
				w.arns = append(w.arns, arn)
			}
			return fmt.Sprint(tk, err)
		}
	case k < 84:
		id := w.pick(w.ids)
		op = func(m *Matchmaker) string { return fmt.Sprint(m.StopMatchBackfill(id)) }
	case k < 90:
		id := w.pick(w.ids)
		op = func(m *Matchmaker) string { out, err := m.AcknowledgeBackfill(id); return fmt.Sprint(out, err) }
	case k < 93:
		arn := w.pick(w.arns)
		var ids []string
		if gs, err := first.DescribeGameSession(arn); err == nil && len(gs.MatchmakerData.Teams) > 0 {
			for _, tm := range gs.MatchmakerData.Teams {
				for _, p := range tm.Players {
					ids = append(ids, p.PlayerID)
				}
			}
			ids = ids[:min(1, len(ids))]
		}
		op = func(m *Matchmaker) string { return fmt.Sprint(m.RemovePlayers(arn, ids...)) }
	case k < 95:
		arn := w.pick(w.arns)
		teams := w.rs.Teams()
		p := w.player(80+w.rng.IntN(10), teams[w.rng.IntN(len(teams))].Name)
		op = func(m *Matchmaker) string { return fmt.Sprint(m.AddPlayers(arn, p)) }
	case k < 96:
		arn := w.pick(w.arns)
		op = func(m *Matchmaker) string { return fmt.Sprint(m.EndGameSession(arn)) }
	default:
		pls := first.Placements()
		if len(pls) == 0 {
			return
		}
		pl := pls[w.rng.IntN(len(pls))]
		if w.rng.IntN(3) == 0 {
			retry := w.rng.IntN(2) == 0
			op = func(m *Matchmaker) string { return fmt.Sprint(m.FailPlacement(pl.PlacementID, "no server", retry)) }
		} else {
			arn := "gs-placed-" + pl.PlacementID
			op = func(m *Matchmaker) string {
				err := m.CompletePlacement(pl.PlacementID, PlacedGameSession{GameSessionArn: arn, IPAddress: "10.0.0.1", Port: 7777,
					PlayerSessionIDs: map[string]string{"p1": "ps-1"}})
				if err == nil {
					w.arns = append(w.arns, arn)
				}
				return fmt.Sprint(err)
			}
		}
	}
	for _, r := range runs {
		r.clock.now = w.now
		r.results = append(r.results, op(r.m))
		r.drain(w.t)
	}
	for _, e := range runs[0].events[max(0, len(runs[0].events)-20):] { // learn the sessions the matches made
		if i := bytes.Index([]byte(e), []byte(`"gameSessionArn":"`)); i >= 0 {
			rest := e[i+len(`"gameSessionArn":"`):]
			if j := bytes.IndexByte([]byte(rest), '"'); j > 0 && !slices.Contains(w.arns, rest[:j]) {
				w.arns = append(w.arns, rest[:j])
			}
		}
	}
}

func newDurableRun(t *testing.T, cfg Config, now time.Time, snapshot []byte, seed byte) *durableRun {
	clock := &fakeClock{now: now}
	j := &memJournal{}
	opts := []Option{WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{seed})), WithJournal(j), WithTicketRetention(30 * time.Second)}
	var m *Matchmaker
	var err error
	if snapshot == nil {
		m, err = New(cfg, opts...)
	} else {
		m, err = Restore(bytes.NewReader(snapshot), cfg, opts...)
	}
	require.NoError(t, err)
	sub, err := m.Subscribe()
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })
	return &durableRun{m: m, clock: clock, sub: sub, journal: j}
}

func snapshotBytes(t *testing.T, m *Matchmaker) []byte {
	var b bytes.Buffer
	require.NoError(t, m.Snapshot(&b))
	return b.Bytes()
}

// A Matchmaker restored from a snapshot taken at a random moment of a random workload behaves
// exactly as the original: fed the same later requests, both return the same results and
// publish the same events, and end in byte-identical states. The original's journal, replayed
// from nothing and from the snapshot, reaches the same state and the same events.
func TestRestoredMatchmakerBehavesAsTheOriginal(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 6
	}
	for seed := range seeds {
		c := durableConfigs[seed%len(durableConfigs)]
		t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
			data, err := os.ReadFile("testdata/rulesets/" + c.rules)
			require.NoError(t, err)
			cfg := c.cfg
			cfg.RuleSet = MustParseRuleSet(data)
			w := &workload{t: t, rng: rand.New(rand.NewPCG(uint64(seed), 7)), rs: cfg.RuleSet, now: t0}
			a := newDurableRun(t, cfg, t0, nil, 1)
			steps, cut := 600, 100+w.rng.IntN(400)
			for range cut {
				w.step(a)
			}
			snap := snapshotBytes(t, a.m)
			snapSeq, err := SnapshotSeq(snap)
			require.NoError(t, err)
			assert.Equal(t, uint64(len(a.journal.entries)), snapSeq, "the snapshot records the journal position")
			eventsBefore := len(a.events)
			// The restored Matchmaker has a different random source: it must not matter.
			b := newDurableRun(t, cfg, w.now, snap, 2)
			require.Equal(t, snap, snapshotBytes(t, b.m), "a restored snapshot writes the same bytes")
			resultsBefore := len(a.results)
			for range steps - cut {
				w.step(a, b)
			}
			require.Equal(t, a.results[resultsBefore:], b.results, "same results for the same requests")
			require.Equal(t, a.events[eventsBefore:], b.events, "same events")
			final := snapshotBytes(t, a.m)
			require.Equal(t, final, snapshotBytes(t, b.m), "same state")
			require.Equal(t, a.journal.entries[snapSeq:], b.journal.entries, "same journal entries")
			assert.Equal(t, a.m.Stats().Matches, b.m.Stats().Matches)

			// Replaying the whole journal from nothing reaches the same state.
			c, err := Recover(cfg, nil, a.journal.iterate(), WithClock(&fakeClock{}), WithRandom(rand.NewChaCha8([32]byte{3})), WithTicketRetention(30*time.Second))
			require.NoError(t, err)
			require.Equal(t, final, snapshotBytes(t, c), "journal replayed from nothing")

			// The snapshot plus the journal after it (and entries before it, skipped) reach the
			// same state, and replay publishes the original's events.
			d, err := Restore(bytes.NewReader(snap), cfg, WithClock(&fakeClock{}), WithTicketRetention(30*time.Second))
			require.NoError(t, err)
			sub, err := d.Subscribe()
			require.NoError(t, err)
			var replayed []string
			for _, e := range a.journal.entries {
				require.NoError(t, d.Replay(e))
				for {
					ev, ok := sub.TryNext()
					if !ok {
						break
					}
					replayed = append(replayed, describeEvent(t, ev))
				}
			}
			require.Equal(t, a.events[eventsBefore:], replayed, "replay publishes the same events")
			require.Equal(t, final, snapshotBytes(t, d), "snapshot plus journal")
			t.Logf("%d requests, %d events, %d journal entries, snapshot at %d (%d bytes), matches %d",
				steps, len(a.events), len(a.journal.entries), snapSeq, len(snap), a.m.Stats().Matches)
		})
	}
}

// A journal that refuses an entry refuses the request, which changes nothing; a journal whose
// Sync fails fails the Matchmaker, which keeps the tick's events and refuses everything after.
func TestJournalFailures(t *testing.T) {
	j := &memJournal{}
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{}, WithJournal(j))
	before := snapshotBytes(t, h.m)
	j.failAppend = errors.New("disk full")
	_, err := h.m.StartMatchmaking(StartMatchmakingInput{TicketID: "a", Players: []Player{gomoku("a", 1000)}})
	var je *JournalError
	require.ErrorAs(t, err, &je)
	assert.ErrorIs(t, err, ErrJournal)
	assert.Equal(t, "Append", je.Op)
	assert.Empty(t, h.m.DescribeMatchmaking("a"))
	assert.Equal(t, before, snapshotBytes(t, h.m), "a refused request changes nothing")
	require.ErrorAs(t, h.m.Tick(t0.Add(time.Second)), &je, "a tick that cannot be recorded does not run")
	assert.Equal(t, uint64(0), h.m.Stats().Ticks)

	j.failAppend = nil
	h.start("a", gomoku("a", 1000))
	h.start("b", gomoku("b", 1000))
	j.failSync = errors.New("fsync: I/O error")
	h.clock.now = t0.Add(time.Second)
	err = h.m.Tick(h.clock.now)
	require.ErrorAs(t, err, &je)
	assert.Equal(t, "Sync", je.Op)
	_, ok := h.sub.TryNext()
	for ok { // the requests' own events were delivered; none of the tick's
		var e Event
		e, ok = h.sub.TryNext()
		if ok {
			_, matched := e.(*MatchmakingSucceeded)
			assert.False(t, matched, "a tick whose Sync failed delivers nothing")
		}
	}
	_, err = h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{gomoku("c", 1000)}})
	assert.ErrorIs(t, err, ErrJournal)
	assert.ErrorIs(t, h.m.Tick(h.clock.now), ErrJournal)
	assert.ErrorIs(t, h.m.Snapshot(&bytes.Buffer{}), ErrJournal)
}

// Shutdown keeps the tickets: a Matchmaker restored from its snapshot goes on matching them,
// and a Wait under way at Shutdown returns ErrClosed.
func TestShutdownKeepsTickets(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("a", 1000))
	h.tick(1)
	waited := make(chan error, 1)
	go func() {
		_, err := h.m.Wait(t.Context(), "a")
		waited <- err
	}()
	time.Sleep(10 * time.Millisecond)
	var snap bytes.Buffer
	require.NoError(t, h.m.Shutdown(&snap))
	assert.ErrorIs(t, <-waited, ErrClosed)
	_, err := h.m.StartMatchmaking(StartMatchmakingInput{Players: []Player{gomoku("x", 1000)}})
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, h.m.Shutdown(nil), ErrClosed)
	require.NoError(t, h.m.Close(), "Close after Shutdown does nothing")

	clock := &fakeClock{now: h.clock.now}
	m, err := Restore(&snap, Config{RuleSet: h.m.cfg.RuleSet}, WithClock(clock))
	require.NoError(t, err)
	got := m.DescribeMatchmaking("a")
	require.Len(t, got, 1)
	assert.Equal(t, StatusSearching, got[0].Status)
	clock.now = clock.now.Add(time.Second)
	_, err = m.StartMatchmaking(StartMatchmakingInput{TicketID: "b", Players: []Player{gomoku("b", 1010)}})
	require.NoError(t, err)
	require.NoError(t, m.Tick(clock.now.Add(time.Second)))
	assert.Equal(t, StatusCompleted, m.DescribeMatchmaking("a")[0].Status, "the restored ticket matched")
}

// Restore refuses what it cannot read, naming the part, and builds nothing.
func TestRestoreRefusesBadSnapshots(t *testing.T) {
	h := newHarness(t, "testdata/rulesets/gomoku.json", Config{})
	h.start("a", gomoku("a", 1000))
	h.tick(1)
	snap := snapshotBytes(t, h.m)
	cfg := Config{RuleSet: h.m.cfg.RuleSet}
	refuse := func(name string, b []byte, field string) {
		t.Helper()
		m, err := Restore(bytes.NewReader(b), cfg)
		var se *SnapshotError
		require.ErrorAs(t, err, &se, name)
		assert.Nil(t, m, name)
		assert.ErrorIs(t, err, ErrBadSnapshot)
		assert.Contains(t, se.Field, field, name+": "+err.Error())
	}
	refuse("truncated", snap[:len(snap)/2], "checksum")
	refuse("empty", nil, "checksum")
	refuse("not a snapshot", []byte("hello, world"), "header")
	flipped := slices.Clone(snap)
	flipped[len(flipped)/2] ^= 0x40
	refuse("corrupt", flipped, "checksum")
	other := MustParseRuleSet([]byte(`{"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":2,"maxPlayers":2}]}`))
	_, err := Restore(bytes.NewReader(snap), Config{RuleSet: other})
	var se *SnapshotError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "ruleSet", se.Field)
	// A newer format version, with a valid checksum, names both versions.
	newer := withChecksum(append([]byte(snapshotMagic), 2))
	_, err = Restore(bytes.NewReader(newer), cfg)
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "format version 2")
}

func withChecksum(b []byte) []byte {
	return appendChecksum(slices.Clone(b))
}

// FuzzRestore: no input makes Restore panic, and what it accepts snapshots again.
func FuzzRestore(f *testing.F) {
	data, err := os.ReadFile("testdata/rulesets/gomoku-latency.json")
	require.NoError(f, err)
	rs := MustParseRuleSet(data)
	clock := &fakeClock{now: t0}
	m, err := New(Config{RuleSet: rs, AcceptanceRequired: true}, WithClock(clock))
	require.NoError(f, err)
	for i := range 6 {
		_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "p" + strconv.Itoa(i),
			Attributes: Attributes{"score": NumberValue(float64(1000 + i))}, LatencyInMs: Latencies{"us": 20, "eu": 90}}}})
		require.NoError(f, err)
	}
	require.NoError(f, m.Tick(t0.Add(time.Second)))
	var b bytes.Buffer
	require.NoError(f, m.Snapshot(&b))
	f.Add(b.Bytes()[:b.Len()-4]) // the fuzzer mutates the body; the checksum is added below
	f.Fuzz(func(t *testing.T, body []byte) {
		in := withChecksum(body)
		r, err := Restore(bytes.NewReader(in), Config{RuleSet: rs, AcceptanceRequired: true}, WithClock(&fakeClock{now: t0}))
		// Read in place from a bytes.Reader, or copied from another reader: the same outcome.
		r2, err2 := Restore(io.MultiReader(bytes.NewReader(in)), Config{RuleSet: rs, AcceptanceRequired: true}, WithClock(&fakeClock{now: t0}))
		require.Equal(t, fmt.Sprint(err), fmt.Sprint(err2))
		if err != nil {
			return
		}
		var out, out2 bytes.Buffer
		require.Equal(t, fmt.Sprint(r.Snapshot(&out)), fmt.Sprint(r2.Snapshot(&out2)))
		require.Equal(t, out.Bytes(), out2.Bytes())
	})
}

// TestRestoreReadsAnyReader: a snapshot restores the same from a bytes.Reader (read in place),
// from one already partly read, and from a reader that hands it over in pieces.
func TestRestoreReadsAnyReader(t *testing.T) {
	data, err := os.ReadFile("testdata/rulesets/gomoku-latency.json")
	require.NoError(t, err)
	cfg := Config{RuleSet: MustParseRuleSet(data)}
	m, err := New(cfg, WithClock(&fakeClock{now: t0}))
	require.NoError(t, err)
	for i := range 5 {
		_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "p" + strconv.Itoa(i),
			Attributes: Attributes{"score": NumberValue(float64(1000 + 100*i))}, LatencyInMs: Latencies{"us": 20}}}})
		require.NoError(t, err)
	}
	snap := snapshotBytes(t, m)
	skipped := bytes.NewReader(append([]byte("prefix"), snap...))
	_, err = skipped.Read(make([]byte, len("prefix")))
	require.NoError(t, err)
	for name, r := range map[string]io.Reader{"bytes.Reader": bytes.NewReader(snap), "partly read": skipped,
		"one byte at a time": iotest.OneByteReader(bytes.NewReader(snap))} {
		restored, err := Restore(r, cfg, WithClock(&fakeClock{now: t0}))
		require.NoError(t, err, name)
		assert.Equal(t, snap, snapshotBytes(t, restored), name)
	}
	_, err = Restore(bytes.NewReader(snap[:len(snap)-1]), cfg)
	var se *SnapshotError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "checksum", se.Field)

	// Two tickets with one ID: refused, naming the list of tickets (filled on another
	// goroutine while the rest is read).
	m.mu.Lock()
	var first *ticket
	for _, tk := range m.tickets {
		if first == nil {
			first = tk
		} else {
			tk.id = first.id
			break
		}
	}
	m.mu.Unlock()
	_, err = Restore(bytes.NewReader(snapshotBytes(t, m)), cfg)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "tickets", se.Field)
	assert.Contains(t, se.Reason, "is listed twice")
}

// BenchmarkSnapshot writes and restores a resident pool (see newResident): snapshot-ns/op and
// restore-ns/op per whole pool, and bytes/ticket on disk. The 1,000,000-ticket pools need
// -large. Run: go test -run '^$' -bench BenchmarkSnapshot -benchtime 3x -large -timeout 30m .
func BenchmarkSnapshot(b *testing.B) {
	for _, rsName := range []string{"bench-1v1.json", "bench-5v5.json"} {
		rs := loadBenchRuleSet(b, rsName)
		for _, n := range []int{100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/N=%d", rsName[6:len(rsName)-5], n), func(b *testing.B) {
				if n >= 1_000_000 && !*benchLarge {
					b.Skip("1,000,000 players: pass -large")
				}
				r := newResident(b, rs, n, rsName == "bench-5v5.json")
				tickets := r.m.Stats().Waiting
				var buf bytes.Buffer
				var snapNs, restoreNs time.Duration
				b.ResetTimer()
				for range b.N {
					buf.Reset()
					start := time.Now()
					if err := r.m.Snapshot(&buf); err != nil {
						b.Fatal(err)
					}
					snapNs += time.Since(start)
					start = time.Now()
					m, err := Restore(bytes.NewReader(buf.Bytes()), Config{RuleSet: rs, RequestTimeout: 2 * residentLifetime},
						WithClock(r.clock), WithTicketRetention(0))
					if err != nil {
						b.Fatal(err)
					}
					restoreNs += time.Since(start)
					if m.Stats().Waiting != tickets {
						b.Fatalf("restored %d tickets of %d", m.Stats().Waiting, tickets)
					}
				}
				b.ReportMetric(float64(snapNs.Nanoseconds())/float64(b.N)/1e6, "snapshot-ms")
				b.ReportMetric(float64(restoreNs.Nanoseconds())/float64(b.N)/1e6, "restore-ms")
				b.ReportMetric(float64(buf.Len())/float64(tickets), "bytes/ticket")
			})
		}
	}
}

// BenchmarkJournalOverhead measures a resident 1v1 pool of 10,000 with 10,000 arrivals per
// simulated second (100 per 10 ms tick), with and without an in-memory journal, in one run:
// ns/op is one tick plus its arrivals. The file journal's own figures are in package journal.
func BenchmarkJournalOverhead(b *testing.B) {
	rs := loadBenchRuleSet(b, "bench-1v1.json")
	for _, journaled := range []bool{false, true} {
		b.Run(fmt.Sprintf("journal=%v", journaled), func(b *testing.B) {
			clock := &fakeClock{now: t0}
			opts := []Option{WithClock(clock), WithRandom(rand.NewChaCha8([32]byte{9})), WithTicketRetention(0)}
			j := &memJournal{}
			if journaled {
				opts = append(opts, WithJournal(j))
			}
			m, err := New(Config{RuleSet: rs}, opts...)
			require.NoError(b, err)
			rng := rand.New(rand.NewPCG(1, 2))
			arrive := func(i int) {
				_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "p" + strconv.Itoa(i),
					Attributes: Attributes{"skill": NumberValue(rng.NormFloat64()*300 + 1500)}}}})
				if err != nil {
					b.Fatal(err)
				}
			}
			next := 0
			for range 10_000 { // a pool of about 10,000 waiting
				arrive(next)
				next++
			}
			b.ResetTimer()
			for range b.N {
				for range 100 {
					arrive(next)
					next++
				}
				clock.now = clock.now.Add(10 * time.Millisecond)
				if err := m.Tick(clock.now); err != nil {
					b.Fatal(err)
				}
				if len(j.entries) > 100_000 {
					j.entries = j.entries[:0] // a real journal trims at checkpoints
				}
			}
		})
	}
}

// TestSnapshotNumbersEveryActiveTicket: an active ticket (one a player is matched by) that is
// not in the table of tickets is still written, and restored, although the snapshot normally
// skips looking for such tickets.
func TestSnapshotNumbersEveryActiveTicket(t *testing.T) {
	data, err := os.ReadFile("testdata/rulesets/gomoku-latency.json")
	require.NoError(t, err)
	cfg := Config{RuleSet: MustParseRuleSet(data)}
	m, err := New(cfg, WithClock(&fakeClock{now: t0}))
	require.NoError(t, err)
	for i := range 3 {
		_, err := m.StartMatchmaking(StartMatchmakingInput{Players: []Player{{PlayerID: "p" + strconv.Itoa(i),
			Attributes: Attributes{"score": NumberValue(float64(1000 + 100*i))}, LatencyInMs: Latencies{"us": 20}}}})
		require.NoError(t, err)
	}
	m.mu.Lock()
	gone := new(ticket) // a copy of p1's ticket, reachable only from m.players
	*gone = *m.players["p1"]
	gone.id += "-copy"
	m.players["p1"] = gone
	m.mu.Unlock()
	snap := snapshotBytes(t, m)
	restored, err := Restore(bytes.NewReader(snap), cfg, WithClock(&fakeClock{now: t0}))
	require.NoError(t, err)
	assert.Equal(t, snap, snapshotBytes(t, restored))
	restored.mu.Lock()
	defer restored.mu.Unlock()
	require.NotNil(t, restored.players["p1"])
	assert.Equal(t, gone.id, restored.players["p1"].id)
	assert.NotContains(t, restored.tickets, gone.id)
}
