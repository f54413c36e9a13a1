// Package natscluster runs matchmaker.Matchmakers for a set of partitions across processes,
// with NATS JetStream as the replicated log: one owner per partition, standbys that follow its
// journal and take over without replaying from cold, and no consensus of its own.
//
// A partition is a queue, or a queue split by a natural key such as region: each has its own
// Matchmaker, which holds the whole partition's pool in memory on its owner. Every node runs
// every partition it is configured with, as owner or standby:
//
//	nc, _ := nats.Connect(url)
//	node, err := natscluster.Start(ctx, natscluster.Config{
//		Conn:       nc,
//		Partitions: []string{"duel-eu", "duel-us"},
//		Matchmaker: func(string) (matchmaker.Config, []matchmaker.Option) { return cfg, nil },
//		Replicas:   3,
//	})
//	defer node.Close()
//	p := node.Partition("duel-eu")
//	t, err := p.StartMatchmaking(ctx, matchmaker.StartMatchmakingInput{Players: players})
//	final, err := p.Wait(ctx, t.TicketID)
//
// The API of a Partition is the single-process one, with a context. Requests, routed to the
// owner: StartMatchmaking, StopMatchmaking, AcceptMatch, StartMatchBackfill,
// StopMatchBackfill, AcknowledgeBackfill, RemovePlayers, AddPlayers, EndGameSession,
// CompletePlacement and FailPlacement. Reads, from the node's own copy: DescribeMatchmaking,
// DescribeGameSession, Placements, Explain, Wait, Subscribe, and CatchUp to read what other nodes
// acknowledged. Errors the owner returns arrive as a *RemoteError that matches the core's
// sentinels with errors.Is.
//
// # How it works
//
// Per partition P, with the default Prefix "mm":
//   - Lease: key P in the KV bucket mm_lease, whose TTL is LeaseTTL. A standby creates the key
//     when it is absent (expired or released); the owner renews it (compare-and-set on its
//     revision) every LeaseTTL/3.
//   - Journal: the stream mm_J_P. Before owning, a node appends a takeover message conditioned
//     on the last message it applied (Nats-Expected-Last-Sequence); then each tick the owner's
//     Matchmaker appends its entries (requests and the tick) to a buffer and the tick's Sync
//     publishes them as one message, again conditioned on the last sequence the owner knows
//     (group commit: one message and one round trip per tick). A former owner, paused past its
//     lease or cut off, fails its next append with ErrFenced, drops what it had not committed
//     and rebuilds itself as a standby. The lease decides who tries to own; the fenced append
//     decides who does, so two owners never both commit.
//   - Intake: the stream mm_I_P. A request on any node is published there with a message ID
//     (the ticket ID for StartMatchmaking and StartMatchBackfill, a random ID for the others),
//     so a retry within DedupWindow is stored once. The owner reads the intake in order,
//     applies each request at its next tick, and records in the tick's journal message the
//     last intake sequence applied and each request's result. The caller's node returns the
//     result when it has followed that journal message: a request is acknowledged only once
//     the journal message that applied it has committed. A new owner resumes the intake after
//     the last sequence the journal records, so each request is applied exactly once, even if
//     its owner died between committing and answering. A node that rebuilds from a snapshot
//     past a request its caller awaits reads the result from the journal messages it skips
//     (ErrResultUnknown if they were purged).
//   - Snapshots: every SnapshotEvery journal messages the owner writes its Matchmaker's
//     snapshot to the object store mm_snapshots, moves the pointer (key P in mm_snap, compare
//     and set, never backwards) to it, and purges the journal and intake below the previous
//     snapshot. A node starting, or rebuilding after a failed commit, restores the newest
//     snapshot and applies the journal after it.
//   - Standbys follow the journal as it grows (matchmaker.Matchmaker.Replay of each entry), so
//     their copy is current and a takeover costs one fenced append, not a replay.
//   - Events: every node's copy produces the same events with the same Seq; a Subscription
//     on any node receives them once each, and only committed ones (the owner's events of a
//     tick are handed out after its commit; those of a failed commit are dropped). The owner
//     also publishes each journal message's events, in order, as a JSON array of EventBridge
//     envelopes (matchmaker.NewEnvelope), on the stream mm_E_P: one message, or several parts
//     when they exceed max_payload (headers Mm-Journal, Mm-Part, Mm-Parts; message ID
//     "P.<journal sequence>.<part>"). A publish that fails is tried again at the next tick; a
//     new owner publishes the events after the last message on the stream, and the stream
//     drops parts it already has.
//   - Reads (DescribeMatchmaking, DescribeGameSession, Placements, Wait) come from the node's
//     own copy, which holds committed state only: a node sees its own acknowledged requests;
//     another node sees them once it has followed the same journal message (one tick later,
//     typically). CatchUp waits until the node has followed everything committed when it was
//     called; Wait does that before it reports an unknown ticket, so a ticket can be waited on
//     from any node as soon as its StartMatchmaking returned.
//
// # Placing matches
//
// With FlexMatchMode WITH_QUEUE and a Placer in the partition's matchmaker.Config, the owner
// places each new match through the host, as the single-process Matchmaker does, with two
// differences. The Placer is called on the owner only, after the journal message that formed
// the match has committed (never for a match a failed commit dropped), from the partition's
// goroutine: Place must return promptly and report the outcome from another goroutine, on
// any node, with Partition.CompletePlacement or FailPlacement (a retry of either within
// DedupWindow returns the first call's result). And a new owner calls its Placer again for
// every placement its predecessor left pending (Partition.Placements lists them), with the
// original PlacementID and Deadline, because the predecessor may have died before its host
// acted: a placement may be requested more than once, and the host deduplicates by
// PlacementID. Reporting a placement that has already completed, failed or timed out fails
// with matchmaker.ErrNotFound. Standbys and Follower nodes never call their Placer.
//
// # Failover time
//
// When the owner dies without closing (SIGKILL, a machine lost, a partition from NATS), its
// lease expires LeaseTTL after its last renewal, which was at most LeaseTTL/3 (plus one tick)
// before it died; JetStream removes expired messages in passes at least 250 ms apart, so the
// key disappears up to about 250 ms later. A standby tries the lease every max(LeaseTTL/10,
// 100 ms), then appends its takeover message (one round trip) and commits its first tick at
// the next TickInterval. So a partition has no owner for at most about
//
//	LeaseTTL + 250 ms + max(LeaseTTL/10, 100 ms) + TickInterval + two JetStream round trips
//
// and at least about 2/3 of LeaseTTL. Measured (TestFailoverTime, one embedded server, 30
// failovers per TTL, the owner's connection cut at a random point of its renewal cycle, until
// the standby's first committed tick):
//
//	LeaseTTL   p50      p99      max
//	500 ms     733 ms   824 ms   824 ms
//	1 s        1.17 s   1.44 s   1.44 s
//	2 s        2.02 s   2.43 s   2.43 s
//
// Node.Close releases the lease, and a standby takes over within max(LeaseTTL/10, 100 ms).
// A paused owner (SIGSTOP, a long GC pause) is replaced the same way, and its first append
// after it resumes fails. A shorter LeaseTTL fails over sooner; the owner must renew within
// it, so it should be several times the NATS round trip and the longest pause expected.
//
// # Guarantees
//
//   - An acknowledged request is in a committed journal message: it survives the owner's
//     death and, with Replicas 3, the loss of one NATS server. With a server option
//     sync_interval: always (the embedded servers of the tests use SyncAlways), every
//     committed message is on disk on a majority of the servers.
//   - Each intake request is applied once, in intake order; each committed tick's events are
//     delivered once per subscription, in Seq order, the same on every node.
//   - A request whose call returned an error (a timeout, say) may still be applied later: its
//     message was stored. Retry StartMatchmaking with the same ticket ID: within DedupWindow
//     the retry returns the first request's result; after it, the owner refuses the duplicate
//     ticket ID while the ticket is retained. (So a ticket ID is not reused within
//     DedupWindow: a second StartMatchmaking with it returns the first one's ticket.)
//
// # Costs
//
// Measured against the single-process Matchmaker in the same run (BenchmarkTick,
// BenchmarkIntake; one embedded server on 2 shared cores; medians of 5): a tick's commit (one
// fenced publish) adds 0.80 ms when the server syncs every write and 0.081 ms with JetStream's
// default sync (the tick itself: 0.5 µs); 128 concurrent callers get about 2.2k acknowledged
// requests/s through NATS with the server syncing every write (each request is one synced
// write to the intake stream), 6.2k/s with the default sync, and 108k/s from a Matchmaker in
// the process. A request waits for the owner's next tick: its latency is about one
// TickInterval plus two round trips. The owner takes its snapshots on its loop (the upload
// runs beside it): no tick runs while the Matchmaker is copied, about 2 to 2.5 s for a pool of
// a million tickets on this machine (see the matchmaker package's figures), so LeaseTTL must
// be well above that for such pools (the default 5 s is). Each reader (a standby's journal, an owner's intake) is
// one long-lived consumer with heartbeats every 500 ms; a reader that reset its consumer at
// every poll, as the first version did, got 480 requests/s here.
//
// # Not covered
//
// There is no transaction across partitions. Snapshots, Stats and the core's
// per-ticket Wait/WatchTicket subscriptions are not exposed: a node's reads are the ones
// listed above. A Placer's context (which node placed a match) is the host's to keep.
//
// # Bounds
//
//   - Requests per tick: MaxBatch (1,024) and MaxBatchBytes (a quarter of the server's
//     max_payload, 256 KiB by default) of intake; the rest waits for the next tick.
//   - A tick's journal message fits in the server's max_payload (less 4 KiB for headers),
//     whatever the requests hold: their journal entries take at most half of it (a request
//     that would take them past that waits for the next tick; one that does not fit even
//     alone is refused with matchmaker.ErrInvalidInput), their results the rest (an error
//     message is cut to 1 KiB; an AcknowledgeBackfill result that still does not fit is
//     dropped from the message, and its caller gets ErrResultUnknown though the request took
//     effect). A request larger than max_payload is refused by the server (nats.ErrMaxPayload).
//   - Results kept per node for late callers: 65,536 (ErrResultUnknown after that).
//   - Events waiting for the events stream: every node keeps those of the last 64 journal
//     messages that had events, across rebuilds, and a new owner publishes the ones the
//     stream lacks. When the stream lacks events the ring no longer holds (the node started
//     or rebuilt past them, or the stream took nothing for 64 journal messages, as while a
//     NATS server restarts under 20 ms ticks), the owner replays those journal messages from
//     the newest kept snapshot at or below the stream's position, in a Matchmaker of its own,
//     and publishes their events first; that costs a snapshot restore (the time, and the
//     memory of a second Matchmaker while it runs), and nothing after them is published
//     meanwhile. When the journal no longer reaches back that far, it logs
//     an error, counts it in Metrics.EventGaps and goes on. Subscriptions get every event
//     either way. An event whose envelope alone exceeds max_payload is left off the stream
//     and counted in Metrics.EventsLost.
//   - Subscriptions: MaxSubscribers (1,024) per partition and node, past which Subscribe fails
//     with matchmaker.ErrLimit; SubscriberBuffer (65,536) events each, and one that falls
//     further behind is cut off with matchmaker.ErrSlowSubscriber.
//   - Intake stored and not yet purged: MaxIntakeBytes (1 GiB) per partition; past it (the
//     owner away long, or a flood), requests fail at once with matchmaker.ErrLimit.
//   - Events stream: EventsMaxAge (1 hour) and EventsMaxBytes (1 GiB) per partition, oldest
//     first.
//   - Journal kept: from the previous snapshot on (SnapshotEvery to 2×SnapshotEvery
//     messages). A node that rebuilds (a standby behind, an owner whose commit failed) starts
//     from the newest kept snapshot at or below its position and replays the journal from
//     there, missing nothing; one behind every kept snapshot jumps to the newest, and ends
//     its subscriptions with ErrEventsSkipped (the events in between never reach it).
//   - Snapshots kept: the newest two. Intake deduplication: DedupWindow (10 minutes).
//   - Each call the node makes to NATS on its own: Timeout (5 s).
//   - The Matchmaker's own bounds apply per partition (see the matchmaker package).
package natscluster
