package journal

// The crash test (issue 11): a host runs as a child process (this test binary, re-executed with
// MMJ_CRASH_CHILD set) under a random workload with a Log, and the parent kills it with SIGKILL
// at random moments and at named points (after a journal write and before the command takes
// effect, after a Sync and before the tick's events are delivered, in the middle of a
// Checkpoint, after a segment is created), then lets the next child recover. The child reports
// on stdout the tickets whose StartMatchmaking returned and every event it sees, with its Seq;
// it subscribes before replaying, so it reports the events a crash kept from being delivered.
//
//	go test ./journal/ -run TestCrashRecovery -crashes 1000
//
// runs a long version; the default is 30 kills (10 with -short), for CI.

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/require"
)

var crashes = flag.Int("crashes", 0, "SIGKILLs in TestCrashRecovery (default 30; 10 with -short)")

const childEnv = "MMJ_CRASH_CHILD"

// crashPoints are where a child can be made to stop and be killed, with how many times the
// point is passed in a run at most, roughly.
var crashPoints = []struct {
	name  string
	times int
}{
	{"append", 400}, {"sync", 60}, {"rotate", 4}, {"checkpoint-written", 4}, {"checkpoint-renamed", 4},
	{"checkpoint-trim", 4},
}

func crashConfig(t testing.TB) matchmaker.Config {
	return matchmaker.Config{RuleSet: loadRuleSet(t, "2v2.json"), RequestTimeout: 30 * time.Second,
		AcceptanceRequired: true, AcceptanceTimeout: 4 * time.Second, FlexMatchMode: matchmaker.WithQueue,
		BackfillMode: matchmaker.BackfillAutomatic, BackfillAcknowledgeTimeout: 6 * time.Second}
}

// crashLog is what the parent learned from every child.
type crashLog struct {
	acked  map[string]bool   // tickets whose StartMatchmaking returned
	events map[uint64]string // by Seq
	now    int64             // the latest time a child ticked at
	kills  map[string]int    // by point ("timer" for a random moment)
	runs   int
	done   int // runs that finished their workload
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	target := *crashes
	if target == 0 {
		target = 30
		if testing.Short() {
			target = 10
		}
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	cl := &crashLog{acked: map[string]bool{}, events: map[uint64]string{}, now: t0.UnixNano(), kills: map[string]int{}}
	killed := 0
	for killed < target {
		env := []string{childEnv + "=1", "MMJ_DIR=" + dir, "MMJ_RUN=" + strconv.Itoa(cl.runs),
			"MMJ_SEED=" + strconv.FormatUint(rng.Uint64(), 10), "MMJ_NOW=" + strconv.FormatInt(cl.now+int64(time.Second), 10)}
		var delay time.Duration
		if rng.IntN(3) == 0 {
			delay = time.Duration(1+rng.IntN(400)) * time.Millisecond
		} else {
			p := crashPoints[rng.IntN(len(crashPoints))]
			env = append(env, fmt.Sprintf("MMJ_PAUSE=%s:%d", p.name, 1+rng.IntN(p.times)))
		}
		if cl.runChild(t, env, delay) {
			killed++
		}
		cl.runs++
	}
	t.Logf("%d runs: %d killed %v, %d finished their workload; %d tickets acknowledged, %d events",
		cl.runs, killed, cl.kills, cl.done, len(cl.acked), len(cl.events))
	cl.finish(t, dir)
}

// runChild runs one child, killing it after delay (if not zero) or when it pauses; it reports
// whether the child was killed.
func (cl *crashLog) runChild(t *testing.T, env []string, delay time.Duration) bool {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var once sync.Once
	point := ""
	kill := func(why string) {
		once.Do(func() { point = why; cmd.Process.Signal(syscall.SIGKILL) })
	}
	if delay > 0 {
		timer := time.AfterFunc(delay, func() { kill("timer") })
		defer timer.Stop()
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	done := false
	for sc.Scan() {
		verb, rest, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "ack":
			cl.acked[rest] = true
		case "ev":
			seqText, text, _ := strings.Cut(rest, " ")
			seq, err := strconv.ParseUint(seqText, 10, 64)
			require.NoError(t, err)
			if old, ok := cl.events[seq]; ok && old != text {
				t.Fatalf("run %d: event %d differs after recovery:\nbefore %s\nafter  %s", cl.runs, seq, old, text)
			}
			cl.events[seq] = text
		case "now":
			n, err := strconv.ParseInt(rest, 10, 64)
			require.NoError(t, err)
			cl.now = max(cl.now, n)
		case "pause":
			kill(rest)
		case "done":
			done = true
		}
	}
	err = cmd.Wait()
	if point != "" && err != nil { // killed, perhaps after its workload, while closing
		cl.kills[point]++
		return true
	}
	if err != nil || !done {
		t.Fatalf("run %d: child failed: %v\n%s", cl.runs, err, stderr.String())
	}
	cl.done++
	return false
}

// finish recovers the directory once more, in this process, ticks until every ticket has
// ended, and checks what every child reported.
func (cl *crashLog) finish(t *testing.T, dir string) {
	log, err := Open(dir, Options{})
	require.NoError(t, err)
	defer log.Close()
	clock := &fakeClock{now: time.Unix(0, cl.now).Add(time.Second)}
	r, seq, err := log.Snapshot()
	require.NoError(t, err)
	m, err := matchmaker.Restore(r, crashConfig(t), matchmaker.WithJournal(log), matchmaker.WithClock(clock))
	require.NoError(t, err)
	sub, err := m.Subscribe()
	require.NoError(t, err)
	report := func() {
		for {
			e, ok := sub.TryNext()
			if !ok {
				return
			}
			seq, text := describe(t, e)
			if old, ok := cl.events[seq]; ok && old != text {
				t.Fatalf("event %d differs after the last recovery:\nbefore %s\nafter  %s", seq, old, text)
			}
			cl.events[seq] = text
		}
	}
	for entry, err := range log.Entries(seq) {
		require.NoError(t, err)
		require.NoError(t, m.Replay(entry))
		report()
	}
	for range 40 { // past every timeout
		clock.now = clock.now.Add(2 * time.Second)
		require.NoError(t, m.Tick(clock.now))
		report()
	}
	checkCrashInvariants(t, cl, m)
}

// checkCrashInvariants: no acknowledged ticket lost, every ticket one terminal event, no player
// matched twice, no session overfilled.
func checkCrashInvariants(t *testing.T, cl *crashLog, m *matchmaker.Matchmaker) {
	seqs := slices.Sorted(func(yield func(uint64) bool) {
		for s := range cl.events {
			if !yield(s) {
				return
			}
		}
	})
	terminal := map[string][]uint64{} // player tickets' terminal events
	matchedIn := map[string]string{}  // player -> the match that took them
	sessions := map[string]bool{}
	byType := map[string]int{}
	for _, s := range seqs {
		var e struct {
			Type            string `json:"type"`
			MatchID         string `json:"matchId"`
			Tickets         []matchmaker.EventTicket
			GameSessionInfo struct {
				GameSessionArn string                   `json:"gameSessionArn"`
				Players        []matchmaker.EventPlayer `json:"players"`
			} `json:"gameSessionInfo"`
		}
		require.NoError(t, json.Unmarshal([]byte(cl.events[s]), &e))
		byType[e.Type]++
		switch e.Type {
		case "MatchmakingSucceeded", "MatchmakingCancelled", "MatchmakingTimedOut", "MatchmakingFailed":
		default:
			continue
		}
		for _, tk := range e.Tickets {
			if !strings.HasPrefix(tk.TicketID, "t") {
				continue // a backfill ticket
			}
			terminal[tk.TicketID] = append(terminal[tk.TicketID], s)
			if e.Type != "MatchmakingSucceeded" {
				continue
			}
			for _, p := range tk.Players {
				if old, ok := matchedIn[p.PlayerID]; ok && old != e.MatchID {
					t.Errorf("player %s matched twice: %s and %s", p.PlayerID, old, e.MatchID)
				}
				matchedIn[p.PlayerID] = e.MatchID
			}
		}
		if e.Type == "MatchmakingSucceeded" {
			sessions[e.GameSessionInfo.GameSessionArn] = true
			checkTeams(t, "event "+strconv.FormatUint(s, 10), teamSizes(e.GameSessionInfo.Players))
		}
	}
	for id := range cl.acked {
		if len(terminal[id]) == 0 {
			t.Errorf("acknowledged ticket %s lost: no terminal event", id)
		}
	}
	for id, evs := range terminal {
		if len(evs) != 1 {
			t.Errorf("ticket %s has %d terminal events: %v", id, len(evs), evs)
		}
	}
	for arn := range sessions {
		gs, err := m.DescribeGameSession(arn)
		if err != nil {
			continue // ended or forgotten
		}
		sizes := map[string]int{}
		for _, tm := range gs.MatchmakerData.Teams {
			sizes[tm.Name] += len(tm.Players)
		}
		checkTeams(t, "session "+arn, sizes)
	}
	t.Logf("%d player tickets ended, %d players matched, %d sessions; events %v", len(terminal), len(matchedIn), len(sessions), byType)
}

func teamSizes(ps []matchmaker.EventPlayer) map[string]int {
	sizes := map[string]int{}
	for _, p := range ps {
		sizes[p.Team]++
	}
	return sizes
}

// checkTeams checks a roster against 2v2.json's teams of at most 2.
func checkTeams(t *testing.T, what string, sizes map[string]int) {
	for team, n := range sizes {
		if n > 2 {
			t.Errorf("%s overfilled: team %q has %d players", what, team, n)
		}
	}
}

func describe(t testing.TB, e matchmaker.Event) (uint64, string) {
	b, err := json.Marshal(e)
	require.NoError(t, err)
	return e.EventHeader().Seq, string(b)
}

// TestCrashChild is the child process of TestCrashRecovery.
func TestCrashChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestCrashRecovery")
	}
	c := newCrashChild(t)
	c.recover()
	c.work(300)
	c.say("done")
	require.NoError(t, c.log.Close())
}

// crashChild is a host under a random workload, reporting what it sees.
type crashChild struct {
	t      *testing.T
	rng    *rand.Rand
	run    string
	clock  *fakeClock
	log    *Log
	m      *matchmaker.Matchmaker
	sub    *matchmaker.Subscription
	n      int
	tix    []string // tickets to stop
	accept []string // tickets asked to accept, until they answer
	bfs    []string // backfill tickets
	arns   []string
}

func newCrashChild(t *testing.T) *crashChild {
	seed, err := strconv.ParseUint(os.Getenv("MMJ_SEED"), 10, 64)
	require.NoError(t, err)
	now, err := strconv.ParseInt(os.Getenv("MMJ_NOW"), 10, 64)
	require.NoError(t, err)
	c := &crashChild{t: t, rng: rand.New(rand.NewPCG(seed, 3)), run: os.Getenv("MMJ_RUN"),
		clock: &fakeClock{now: time.Unix(0, now)}}
	if pause := os.Getenv("MMJ_PAUSE"); pause != "" {
		name, count, _ := strings.Cut(pause, ":")
		left, err := strconv.Atoi(count)
		require.NoError(t, err)
		crashHook = func(point string) {
			if point != name {
				return
			}
			if left--; left == 0 {
				c.say("pause " + point)
				select {} // until the parent's SIGKILL
			}
		}
	}
	return c
}

// say writes one line with one write, so that a line the parent reads was whole.
func (c *crashChild) say(line string) { os.Stdout.WriteString(line + "\n") }

// recover restores the newest snapshot, subscribes, then replays the entries after it,
// reporting their events.
func (c *crashChild) recover() {
	log, err := Open(os.Getenv("MMJ_DIR"), Options{SegmentSize: 16 << 10})
	require.NoError(c.t, err)
	r, seq, err := log.Snapshot()
	require.NoError(c.t, err)
	m, err := matchmaker.Restore(r, crashConfig(c.t), matchmaker.WithJournal(log), matchmaker.WithClock(c.clock))
	require.NoError(c.t, err)
	c.sub, err = m.Subscribe()
	require.NoError(c.t, err)
	c.log, c.m = log, m
	for entry, err := range log.Entries(seq) {
		require.NoError(c.t, err)
		require.NoError(c.t, m.Replay(entry))
		c.report()
	}
}

// report writes the events delivered so far and learns the tickets and sessions they name.
func (c *crashChild) report() {
	for {
		e, ok := c.sub.TryNext()
		if !ok {
			return
		}
		seq, text := describe(c.t, e)
		c.say("ev " + strconv.FormatUint(seq, 10) + " " + text)
		switch e := e.(type) {
		case *matchmaker.PotentialMatchCreated:
			if e.AcceptanceRequired {
				for _, tk := range e.Tickets {
					c.accept = append(c.accept, tk.TicketID)
				}
			}
		case *matchmaker.MatchmakingSucceeded:
			c.arns = append(c.arns, e.GameSessionInfo.GameSessionArn)
		}
		for _, id := range e.TicketIDs() {
			if !strings.HasPrefix(id, "t") && !slices.Contains(c.bfs, id) {
				c.bfs = append(c.bfs, id)
			}
		}
	}
}

func (c *crashChild) pick(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return list[c.rng.IntN(len(list))]
}

func (c *crashChild) id(prefix string) string {
	c.n++
	return prefix + c.run + "-" + strconv.Itoa(c.n)
}

// work makes steps random requests and ticks, checkpointing now and then.
func (c *crashChild) work(steps int) {
	for range steps {
		c.step()
		c.report()
		if c.rng.IntN(60) == 0 {
			require.NoError(c.t, c.log.Checkpoint(c.m))
		}
	}
}

func (c *crashChild) player(id, team string) matchmaker.Player {
	return matchmaker.Player{PlayerID: id, Team: team,
		Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(float64(900 + c.rng.IntN(300)))}}
}

// step makes one request or tick; requests the Matchmaker refuses are part of the workload.
func (c *crashChild) step() {
	m := c.m
	switch k := c.rng.IntN(100); {
	case k < 15:
		c.clock.now = c.clock.now.Add(time.Duration(200+c.rng.IntN(1500)) * time.Millisecond)
		c.say("now " + strconv.FormatInt(c.clock.now.UnixNano(), 10))
		require.NoError(c.t, m.Tick(c.clock.now))
	case k < 45:
		id := c.id("t")
		in := matchmaker.StartMatchmakingInput{TicketID: id}
		for i := range 1 + c.rng.IntN(2) {
			in.Players = append(in.Players, c.player("p-"+id+"-"+strconv.Itoa(i), ""))
		}
		if _, err := m.StartMatchmaking(in); err == nil {
			c.say("ack " + id)
			c.tix = append(c.tix, id)
		}
	case k < 50:
		m.StopMatchmaking(c.pick(c.tix))
	case k < 78:
		var id string
		var pids []string
		waiting := c.accept[:0]
		for _, tk := range m.DescribeMatchmaking(c.accept...) {
			switch {
			case tk.Status != matchmaker.StatusRequiresAcceptance:
			case id == "":
				id = tk.TicketID
				for _, p := range tk.Players {
					pids = append(pids, p.PlayerID)
				}
			default:
				waiting = append(waiting, tk.TicketID)
			}
		}
		c.accept = waiting
		typ := matchmaker.Accept
		if c.rng.IntN(8) == 0 {
			typ = matchmaker.Reject
		}
		m.AcceptMatch(matchmaker.AcceptMatchInput{TicketID: id, PlayerIDs: pids, AcceptanceType: typ})
	case k < 88:
		m.AcknowledgeBackfill(c.pick(c.bfs))
	case k < 93:
		arn := c.pick(c.arns)
		if gs, err := m.DescribeGameSession(arn); err == nil {
			var ids []string
			for _, tm := range gs.MatchmakerData.Teams {
				for _, p := range tm.Players {
					ids = append(ids, p.PlayerID)
				}
			}
			m.RemovePlayers(arn, c.pick(ids))
		}
	case k < 95:
		team := []string{"red", "blue"}[c.rng.IntN(2)]
		m.AddPlayers(c.pick(c.arns), c.player(c.id("x"), team))
	case k < 97:
		arn := c.pick(c.arns)
		if gs, err := m.DescribeGameSession(arn); err == nil && gs.BackfillTicketID == "" {
			var roster []matchmaker.Player
			for _, tm := range gs.MatchmakerData.Teams {
				for _, p := range tm.Players {
					roster = append(roster, c.player(p.PlayerID, tm.Name))
				}
			}
			if tk, err := m.StartMatchBackfill(matchmaker.StartMatchBackfillInput{TicketID: c.id("b"),
				GameSessionArn: arn, Players: roster}); err == nil {
				c.bfs = append(c.bfs, tk.TicketID)
			}
		}
	case k < 98:
		m.StopMatchBackfill(c.pick(c.bfs))
	default:
		m.EndGameSession(c.pick(c.arns))
	}
}
