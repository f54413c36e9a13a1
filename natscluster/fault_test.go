package natscluster

// This file holds the fault tests: matchmaker nodes run as child processes (this test binary,
// re-executed) against a 3-server NATS cluster, while the test kills the owner (SIGKILL) at
// random points, pauses it past its lease (SIGSTOP), cuts its connection, and restarts NATS
// servers, under a steady load of requests from an API node in the test process. Two
// partitions run on the same nodes (often with different owners): "duel" completes its matches
// at once, "place" places them through the owner's Placer, which reports each placement
// through its node. Then it checks each partition's committed history against what was
// acknowledged, with an oracle: one single-process Matchmaker fed the committed journal.
//
// CI runs MM_FAULT_RUNS=1 (one run of 20 faults). The long run:
//
//	MM_FAULT_RUNS=100 go test -run TestFaults -timeout 3h ./natscluster/

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mm "github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Child process settings, in its environment.
const (
	envChild = "MM_CHILD_NODE" // the node's ID; set, the test binary runs a node
	envURL   = "MM_CHILD_URL"
	envTTL   = "MM_CHILD_TTL"
)

func TestMain(m *testing.M) {
	if id := os.Getenv(envChild); id != "" {
		runChild(id)
		return
	}
	os.Exit(m.Run())
}

// The fault tests' partitions: "duel" completes matches at once; "place" places them through
// the owner's Placer, which reports the placement through its node.
var faultParts = []string{"duel", "place"}

// faultConfig is the Matchmaker of the fault tests: tickets that find no partner time out
// within seconds, so every acknowledged ticket ends. The "place" partition's Placer does
// nothing here (the API node and the oracle never place); a child node's places (childPlacer).
func faultConfig(part string) (mm.Config, []mm.Option) {
	cfg, opts := duelConfig(part)
	cfg.RequestTimeout = 3 * time.Second
	if part == "place" {
		cfg.FlexMatchMode = mm.WithQueue
		cfg.PlacementTimeout = 20 * time.Second // longer than any failover: a placement never times out
		cfg.Placer = mm.PlacerFunc(func(mm.PlacementRequest) {})
		cfg.BackfillMode = mm.BackfillAutomatic // a player who leaves is replaced
	}
	return cfg, opts
}

// placedArn is the game session a child places match id in.
func placedArn(id string) string { return "gs-" + id }

// childPlacer places each match at once, in game session placedArn(match), and reports it
// through the node (once it has started), retrying until the report is applied or refused.
func childPlacer(node <-chan *Node, log *slog.Logger) mm.Placer {
	var n *Node
	var once sync.Once
	return mm.PlacerFunc(func(r mm.PlacementRequest) {
		go func() {
			once.Do(func() { n = <-node })
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := n.Partition("place").CompletePlacement(ctx, r.PlacementID,
					mm.PlacedGameSession{GameSessionArn: placedArn(r.PlacementID)})
				cancel()
				if err == nil || errors.Is(err, mm.ErrNotFound) || errors.Is(err, mm.ErrClosed) {
					return
				}
				log.Warn("complete placement", "placement", r.PlacementID, "err", err)
				time.Sleep(50 * time.Millisecond)
			}
		}()
	})
}

// runChild runs a node until SIGTERM.
func runChild(id string) {
	ttl, _ := time.ParseDuration(os.Getenv(envTTL))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	nc, err := nats.Connect(os.Getenv(envURL), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond),
		nats.Timeout(time.Second), nats.RetryOnFailedConnect(true))
	if err != nil {
		log.Error("connect", "err", err)
		os.Exit(2)
	}
	var n *Node
	started := make(chan *Node, 1)
	placer := childPlacer(started, log)
	config := func(part string) (mm.Config, []mm.Option) {
		cfg, opts := faultConfig(part)
		if cfg.Placer != nil {
			cfg.Placer = placer
		}
		return cfg, opts
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err = Start(ctx, Config{Conn: nc, Partitions: faultParts, Matchmaker: config, NodeID: id,
			LeaseTTL: ttl, TickInterval: 20 * time.Millisecond, SnapshotEvery: 100, Replicas: 3, KeepJournal: true,
			Timeout: time.Second, Logger: log})
		cancel()
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	started <- n
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	n.Close()
	nc.Close()
}

// proxy forwards a child's connection to the cluster, and can cut it.
type proxy struct {
	l        net.Listener
	upstream []string
	mu       sync.Mutex
	conns    []net.Conn
	until    time.Time // refuse connections until then
}

func newProxy(t testing.TB, upstream []string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{l: l, upstream: upstream}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.cut(0) })
	return p
}

func (p *proxy) url() string { return "nats://" + p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := time.Now().Before(p.until)
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	var up net.Conn
	for _, i := range rand.Perm(len(p.upstream)) {
		var err error
		if up, err = net.DialTimeout("tcp", p.upstream[i], time.Second); err == nil {
			break
		}
	}
	if up == nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut closes the connections through the proxy and refuses new ones for d.
func (p *proxy) cut(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.until = time.Now().Add(d)
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// child is a node in a child process.
type child struct {
	id    string
	proxy *proxy
	cmd   *exec.Cmd
	log   *os.File
}

func (c *child) start(t testing.TB, ttl time.Duration) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+c.id, envURL+"="+c.proxy.url(), envTTL+"="+ttl.String())
	cmd.Stdout, cmd.Stderr = c.log, c.log
	require.NoError(t, cmd.Start())
	c.cmd = cmd
}

func (c *child) signal(s syscall.Signal) { _ = c.cmd.Process.Signal(s) }

func (c *child) kill() {
	c.signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
}

// faultRun is one run: a cluster, three child nodes, an API node, a load and faults.
type faultRun struct {
	t        *testing.T
	rng      *rand.Rand
	cluster  *testCluster
	children []*child
	api      *Node
	ttl      time.Duration

	mu      sync.Mutex
	acked   map[string][]string // partition → tickets whose StartMatchmaking returned a ticket
	errors  int                 // requests that returned an error (not acknowledged)
	why     map[string]int
	faults  map[string]int
	churned map[string]int // roster changes: done, refused, failed
}

func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: child processes and a NATS cluster")
	}
	runs, _ := strconv.Atoi(os.Getenv("MM_FAULT_RUNS"))
	runs = max(runs, 1)
	faults, _ := strconv.Atoi(os.Getenv("MM_FAULT_COUNT"))
	if faults <= 0 {
		faults = 20
	}
	total, churned := map[string]int{}, map[string]int{}
	acked, tickets := 0, 0
	for r := range runs {
		seed := uint64(time.Now().UnixNano())
		if s, err := strconv.ParseUint(os.Getenv("MM_FAULT_SEED"), 10, 64); err == nil {
			seed = s + uint64(r)
		}
		ok := t.Run(fmt.Sprint("run", r), func(t *testing.T) {
			t.Logf("seed %d", seed)
			fr := newFaultRun(t, seed)
			fr.run(faults)
			for k, v := range fr.faults {
				total[k] += v
			}
			for k, v := range fr.churned {
				churned[k] += v
			}
			for _, ids := range fr.acked {
				acked += len(ids)
				tickets += len(ids)
			}
			tickets += fr.errors
		})
		if !ok {
			break
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("%d runs × %d faults %v; %d tickets acknowledged of %d requested in partitions %v; roster changes %v; "+
		"0 lost, 0 players matched twice, one terminal event each, 0 sessions overfilled, every placement placed once, "+
		"oracle agrees with the API node's subscription and with the events stream (per journal message)", runs, faults, total, acked, tickets, faultParts, churned)
}

func newFaultRun(t *testing.T, seed uint64) *faultRun {
	fr := &faultRun{t: t, rng: rand.New(rand.NewPCG(seed, seed)), cluster: startCluster(t), ttl: time.Second,
		faults: map[string]int{}, why: map[string]int{}, acked: map[string][]string{}, churned: map[string]int{}}
	var upstream []string
	for _, o := range fr.cluster.opts {
		upstream = append(upstream, fmt.Sprintf("127.0.0.1:%d", o.Port))
	}
	cfg := testConfig(connect(t, fr.cluster.url(0)), "api")
	cfg.Matchmaker, cfg.Follower, cfg.Replicas, cfg.LeaseTTL = faultConfig, true, 3, fr.ttl
	cfg.Partitions = faultParts
	fr.api = startClusterNode(t, cfg)
	dir := t.TempDir()
	for i := range 3 {
		log, err := os.Create(fmt.Sprintf("%s/node%d.log", dir, i))
		require.NoError(t, err)
		c := &child{id: fmt.Sprint("node", i), proxy: newProxy(t, upstream), log: log}
		c.start(t, fr.ttl)
		fr.children = append(fr.children, c)
		t.Cleanup(func() {
			c.signal(syscall.SIGCONT)
			c.kill()
			log.Close()
			if t.Failed() {
				b, _ := os.ReadFile(log.Name())
				t.Logf("%s:\n%s", c.id, b)
			}
		})
	}
	return fr
}

// owner returns the child that holds partition part's lease, or nil.
func (fr *faultRun) owner(part string) *child {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	e, err := fr.api.lease.Get(ctx, part)
	if err != nil {
		return nil
	}
	for _, c := range fr.children {
		if c.id == string(e.Value()) {
			return c
		}
	}
	return nil
}

func (fr *faultRun) run(faults int) {
	t := fr.t
	subs := map[string]*Subscription{}
	for _, part := range faultParts {
		sub, err := fr.api.Partition(part).Subscribe(context.Background())
		require.NoError(t, err)
		subs[part] = sub
	}
	loadCtx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 6 {
		part := faultParts[0] // 4 workers on duel, 2 on place
		if w >= 4 {
			part = faultParts[1]
		}
		wg.Go(func() { fr.load(loadCtx, part, w) })
	}
	wg.Go(func() { fr.churn(loadCtx) })
	for range faults {
		time.Sleep(time.Duration(100+fr.rng.IntN(500)) * time.Millisecond)
		fr.fault()
	}
	stopLoad()
	wg.Wait()
	for _, c := range fr.children { // every node alive again
		if c.cmd.ProcessState != nil {
			c.start(t, fr.ttl)
		}
	}
	for _, part := range faultParts {
		fr.checkPartition(part, subs[part])
	}
	for op, n := range fr.churned {
		assert.False(t, strings.HasSuffix(op, " failed"), "%d roster changes (%s) failed", n, op)
	}
}

// checkPartition checks one partition once the faults are over.
func (fr *faultRun) checkPartition(part string, sub *Subscription) {
	t := fr.t
	p := fr.api.Partition(part)
	// The API node keeps up with the journal.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	err := p.CatchUp(cctx)
	ccancel()
	if err != nil {
		fr.diagnose(part)
		t.Fatalf("%s: the API node does not catch up with the journal: %v (at %+v)", part, err, p.Metrics())
	}
	// Every acknowledged ticket ends (a ticket without a partner times out after 3 s; a placed
	// one completes).
	for _, id := range fr.acked[part] {
		if _, err := p.Wait(ctx, id); err != nil {
			fr.diagnose(part)
			require.NoError(t, err, "%s: ticket %s", part, id)
		}
	}
	// Wait for the events of the last journal message the API node applied.
	at := p.Metrics().Journal
	o := newOracleFor(t, faultConfig, part)
	o.follow(t, fr.api.js, "mm_J_"+part, at)
	fr.check(part, o, sub)
}

// diagnose logs where a partition stands, for a run that stalls.
func (fr *faultRun) diagnose(part string) {
	t := fr.t
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := fr.api.lease.Get(ctx, part)
	if err == nil {
		t.Logf("lease: %s rev %d at %v", e.Value(), e.Revision(), e.Created())
	} else {
		t.Logf("lease: %v", err)
	}
	t.Logf("api node: %+v", fr.api.Partition(part).Metrics())
	if s, err := fr.api.js.Stream(ctx, "mm_J_"+part); err == nil {
		info, err := s.Info(ctx)
		if err == nil {
			t.Logf("journal: %+v cluster %+v", info.State, info.Cluster)
		}
	} else {
		t.Logf("journal: %v", err)
	}
	buf := make([]byte, 1<<20)
	t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	for _, c := range fr.children {
		c.signal(syscall.SIGQUIT)
	}
	time.Sleep(500 * time.Millisecond)
}

// load submits tickets, and sometimes stops one, until ctx ends.
func (fr *faultRun) load(ctx context.Context, part string, w int) {
	p := fr.api.Partition(part)
	rng := rand.New(rand.NewPCG(uint64(w), 7))
	for i := 0; ctx.Err() == nil; i++ {
		id := fmt.Sprintf("w%d-%d", w, i)
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		tk, err := p.StartMatchmaking(rctx, solo(id))
		if err == nil && rng.IntN(10) == 0 {
			_ = p.StopMatchmaking(rctx, id)
		}
		cancel()
		fr.mu.Lock()
		if err == nil {
			assert.Equal(fr.t, id, tk.TicketID)
			fr.acked[part] = append(fr.acked[part], id)
		} else {
			fr.errors++
			fr.why[err.Error()]++
		}
		fr.mu.Unlock()
	}
}

// fault injects one fault at random, on the owner of a partition picked at random.
func (fr *faultRun) fault() {
	own := fr.owner(faultParts[fr.rng.IntN(len(faultParts))])
	if own == nil || own.cmd.ProcessState != nil {
		own = fr.children[fr.rng.IntN(len(fr.children))]
	}
	kind := []string{"kill", "kill", "stop", "cut", "restart-nats", "kill-standby"}[fr.rng.IntN(6)]
	fr.faults[kind]++
	switch kind {
	case "kill":
		if own.cmd.ProcessState == nil {
			own.kill()
		}
		time.Sleep(time.Duration(fr.rng.IntN(300)) * time.Millisecond)
		own.start(fr.t, fr.ttl)
	case "kill-standby":
		c := fr.children[fr.rng.IntN(len(fr.children))]
		if c != own && c.cmd.ProcessState == nil {
			c.kill()
			c.start(fr.t, fr.ttl)
		}
	case "stop": // past its lease: a standby takes over, and the paused owner is fenced when it wakes
		own.signal(syscall.SIGSTOP)
		time.Sleep(fr.ttl * 3 / 2)
		own.signal(syscall.SIGCONT)
	case "cut":
		own.proxy.cut(fr.ttl * 3 / 2)
	case "restart-nats":
		fr.cluster.restart(fr.t, fr.rng.IntN(3))
	}
}

var terminalEvents = []string{"MatchmakingSucceeded", "MatchmakingTimedOut", "MatchmakingCancelled", "MatchmakingFailed"}

// check compares the committed history (the oracle's) with what was acknowledged and with what
// the API node's subscription and the events stream delivered.
func (fr *faultRun) check(part string, o *oracle, sub *Subscription) {
	t := fr.t
	terminal := map[string]int{}
	matched := map[string]int{}
	proposed := map[string]int{}
	for _, e := range o.events {
		if pm, ok := e.(*mm.PotentialMatchCreated); ok {
			for _, id := range pm.TicketIDs() {
				proposed[id]++
			}
		}
		backfill := slices.ContainsFunc(e.TicketIDs(), func(id string) bool { return !isLoadTicket(id) })
		if s, ok := e.(*mm.MatchmakingSucceeded); ok && part == "place" {
			if backfill { // a player left a placed session and a new one joined it
				assert.True(t, strings.HasPrefix(s.GameSessionInfo.GameSessionArn, placedArn("")), "backfill %s", s.MatchID)
			} else {
				assert.Equal(t, placedArn(s.MatchID), s.GameSessionInfo.GameSessionArn, "match %s placed by a child", s.MatchID)
			}
		}
		if !slices.Contains(terminalEvents, e.EventType()) {
			continue
		}
		for _, id := range e.TicketIDs() {
			terminal[id]++
		}
		if s, ok := e.(*mm.MatchmakingSucceeded); ok {
			players := 0
			for _, tk := range s.Tickets {
				for _, pl := range tk.Players {
					if isLoadTicket(tk.TicketID) { // a backfill ticket lists the players already in the game
						matched[pl.PlayerID]++
					}
					players++
				}
			}
			if backfill {
				assert.LessOrEqual(t, players, 2, "session overfilled: %v", e.TicketIDs())
			} else {
				assert.Equal(t, 2, players, "session overfilled or underfilled: %v", e.TicketIDs())
			}
		}
	}
	for id, n := range proposed {
		if isLoadTicket(id) {
			assert.Equal(t, 1, n, "%s: ticket %s in %d matches (a placement timed out)", part, id, n)
		}
	}
	lost := 0
	for _, id := range fr.acked[part] {
		if len(o.m.DescribeMatchmaking(id)) == 0 {
			lost++
		}
		assert.Equal(t, 1, terminal[id], "terminal events of %s", id)
	}
	assert.Zero(t, lost, "acknowledged tickets lost")
	for id, n := range terminal {
		assert.Equal(t, 1, n, "terminal events of %s", id)
	}
	for pl, n := range matched {
		assert.Equal(t, 1, n, "player %s matched %d times", pl, n)
	}

	// The API node's subscription saw the oracle's events, in order, once each.
	var got []string
	for len(got) < len(o.events) {
		select {
		case e, ok := <-sub.C():
			require.True(t, ok, "subscription ended: %v", sub.Err())
			got = append(got, describe(e))
		case <-time.After(10 * time.Second):
			require.Failf(t, "subscription", "%d of %d events", len(got), len(o.events))
		}
	}
	var want []string
	for _, e := range o.events {
		want = append(want, describe(e))
	}
	assert.Equal(t, want, got)
	fr.checkEventsStream(part, o)
	t.Logf("%s: %d acknowledged, %d refused or timed out in all %v, %d journal ticks, longest pause between ticks %v (before message %d), faults %v, roster changes %v",
		part, len(fr.acked[part]), fr.errors, fr.why, o.ticks, o.gap.Round(time.Millisecond), o.gapAt, fr.faults, fr.churned)
}

// checkEventsStream checks that the events stream holds each journal message's events once.
// The owner publishes beside its loop, so the stream may still be catching up (a new owner
// replays what its ring lacks first): the check reads it again until it holds the events of
// every journal message the oracle followed, for up to 30 s, and then names the journal
// messages whose events differ.
func (fr *faultRun) checkEventsStream(part string, o *oracle) {
	t := fr.t
	want := map[uint64]int{} // journal message → events
	for _, j := range o.eventJ {
		want[j]++
	}
	var got map[uint64]int
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = fr.eventsStreamCounts(part, o.at)
		if maps.Equal(want, got) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var diff []string
	for j, n := range want {
		if got[j] != n {
			diff = append(diff, fmt.Sprintf("journal %d: %d of %d", j, got[j], n))
		}
	}
	for j, n := range got {
		if _, ok := want[j]; !ok {
			diff = append(diff, fmt.Sprintf("journal %d: %d of 0", j, n))
		}
	}
	slices.Sort(diff)
	assert.Empty(t, diff, "%s: events on the events stream differ from the oracle's", part)
}

// eventsStreamCounts reads a partition's events stream and counts the events of each journal
// message up to at; it checks that each journal message's parts come in order, once.
func (fr *faultRun) eventsStreamCounts(part string, at uint64) map[uint64]int {
	t := fr.t
	counts := map[uint64]int{}
	var last uint64
	readEventsStream(t, fr.api.js, "mm_E_"+part, func(msg jetstream.Msg, envs []json.RawMessage) {
		j, part := headerUint(msg.Headers(), hdrJournal), headerUint(msg.Headers(), hdrPart)
		if part == 0 {
			assert.Greater(t, j, last, "events of journal message %d published twice or out of order", j)
		} else {
			assert.Equal(t, last, j, "part %d of journal message %d out of order", part, j)
		}
		last = j
		if j <= at {
			counts[j] += len(envs)
		}
	})
	return counts
}

// isLoadTicket reports whether a ticket is one the load started (not a backfill).
func isLoadTicket(id string) bool { return strings.HasPrefix(id, "w") }

// churn changes the rosters of the "place" partition's game sessions until ctx ends, through
// the API node: after a match, a player sometimes leaves (the session gets an automatic
// backfill), a friend sometimes joins outside matchmaking, and a session sometimes ends.
// Refusals (a player already gone, a full session, an ended session) are expected.
func (fr *faultRun) churn(ctx context.Context) {
	p := fr.api.Partition("place")
	sub, err := p.Subscribe(ctx)
	if err != nil {
		return
	}
	defer sub.Close()
	rng := rand.New(rand.NewPCG(99, 7))
	friends := 0
	count := func(op string, err error) {
		fr.mu.Lock()
		defer fr.mu.Unlock()
		switch {
		case err == nil:
			fr.churned[op]++
		case errors.Is(err, mm.ErrNotFound) || errors.Is(err, mm.ErrInvalidInput):
			fr.churned[op+" refused"]++
		case errors.Is(err, context.Canceled): // the load stopped
			fr.churned[op+" cancelled"]++
		default:
			fr.churned[op+" failed"]++
		}
	}
	for {
		var e mm.Event
		select {
		case <-ctx.Done():
			return
		case e = <-sub.C():
		}
		s, ok := e.(*mm.MatchmakingSucceeded)
		if !ok || len(s.Tickets) == 0 || len(s.Tickets[0].Players) == 0 {
			continue
		}
		arn := s.GameSessionInfo.GameSessionArn
		leaver := s.Tickets[0].Players[0]
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		switch r := rng.IntN(10); {
		case r < 4:
			count("leave", p.RemovePlayers(rctx, arn, leaver.PlayerID))
		case r < 6:
			count("leave", p.RemovePlayers(rctx, arn, leaver.PlayerID))
			friends++
			count("join", p.AddPlayers(rctx, arn, mm.Player{PlayerID: fmt.Sprint("friend-", friends), Team: leaver.Team}))
		case r < 7:
			count("end", p.EndGameSession(rctx, arn))
		}
		cancel()
	}
}

func describe(e mm.Event) string {
	return fmt.Sprintf("%d %s %v", e.EventHeader().Seq, e.EventType(), e.TicketIDs())
}
