// Package natscluster runs matchmaker.Matchmakers for a set of partitions across processes,
// with NATS JetStream as the replicated log: one owner per partition, standbys that follow its
// journal and take over without replaying from cold, and no consensus of its own.
//
// A partition is a queue, or a queue split by a natural key such as region: each has its own
// Matchmaker, which holds the whole partition's pool in memory on its owner. Every node runs
// every partition it is configured with, as owner or standby. The example below sets
// Replicas: 3, which needs a JetStream cluster of at least three servers (Start's example
// runs one embedded server with the default, Replicas: 1):
//
//	nc, err := nats.Connect(url)
//	if err != nil {
//		return err
//	}
//	node, err := natscluster.Start(ctx, natscluster.Config{
//		Conn:       nc,
//		Partitions: []string{"duel-eu", "duel-us"},
//		Matchmaker: func(string) (matchmaker.Config, []matchmaker.Option) { return cfg, nil },
//		Replicas:   3,
//	})
//	if err != nil {
//		return err
//	}
//	defer node.Close()
//	p := node.Partition("duel-eu") // nil for a partition this node does not run
//	rctx, cancel := context.WithTimeout(ctx, 10*time.Second) // always pass a deadline
//	defer cancel()
//	t, err := p.StartMatchmaking(rctx, matchmaker.StartMatchmakingInput{TicketID: id, Players: players})
//	if err != nil {
//		return err // after a context error the request may still be applied: see Guarantees
//	}
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
// # Starting a node
//
// Start checks the Config first. A missing or bad field fails Start with a
// *matchmaker.ValidationError naming it. So does a partition's Matchmaker configuration that
// matchmaker.New refuses: the error names "Matchmaker(Partitions[i])". Then Start creates or
// updates the streams and buckets; an error there (for example Replicas: 3 against a single
// server) fails Start too. Start's ctx bounds only that creation. Once Start has returned, only
// Node.Close stops the node.
//
// A rule set other than the one the partition's journal records is not found by Start. It is
// found when the node loads the partition: the node logs a warning and tries again, and calls
// on that partition through that node wait.
//
// # Deadlines and readiness
//
// Every call on a Partition first waits until this node has loaded the partition. A request
// then publishes to the intake stream, trying again until the stream stores it (it fails at
// once only when the request is too large or the intake is full), and waits until this node
// has followed the journal message that applied it. Config.Timeout bounds each call the node
// makes to NATS, not these waits. So a call can wait as long as ctx allows: when the partition
// has no owner (every node that runs it is a Follower, a failover takes long, or no node can
// load it), a call returns only when ctx ends (or Node.Close is called). Always pass a ctx with
// a deadline. A request whose call ended with a context error may still be applied (see
// Guarantees and Retrying requests).
//
// Start does not wait for the partitions to load. To check that a partition is ready on a
// node, call CatchUp with a deadline: it waits for the load, then until the node has followed
// the journal. It does not tell whether the partition has an owner.
//
// # Settings the nodes share
//
// Nodes that use the same Prefix form one cluster. On every node of a cluster, keep these
// equal:
//   - Prefix, which names the streams, buckets and subjects.
//   - LeaseTTL and Replicas. All partitions share the lease and snapshot buckets, and each
//     Start creates or updates the buckets and its partitions' streams with its own values:
//     the lease bucket's TTL is the LeaseTTL of the node started last. A node whose LeaseTTL
//     is longer than the bucket's TTL may renew its lease too late.
//
// On every node that runs a partition, keep these equal:
//   - The partition's Matchmaker configuration and options: rule set, timeouts, modes, and
//     whether a Placer is set. The journal records the rule set's fingerprint, and a node with
//     another rule set cannot load the partition. The rest is not checked: a standby with other
//     values would replay the journal to other outcomes. A WITH_QUEUE Matchmaker (see Placing
//     matches) without a Placer places each match at once, so every node sets one, Followers
//     included (they never call it).
//   - DedupWindow, MaxIntakeBytes, EventsMaxAge and EventsMaxBytes. Each Start applies them to
//     the partition's streams, so the node started last wins.
//   - KeepJournal: the owner of the moment decides whether to purge.
//
// The other fields may differ from node to node: NodeID (it must be unique: the lease names
// its holder by it), Partitions (a node may run any subset; each partition has its own
// streams and keys), TickInterval, SnapshotEvery, MaxBatch, MaxBatchBytes, MaxSubscribers,
// Timeout, Logger and Follower. The owner's TickInterval, SnapshotEvery, MaxBatch and
// MaxBatchBytes apply while it owns.
//
// # How it works
//
// Per partition P, with the default Prefix "mm":
//   - Lease: key P in the KV bucket mm_lease, whose TTL is LeaseTTL. A standby creates the key
//     when it is absent (expired or released). The owner renews it (compare-and-set on its
//     revision) once LeaseTTL/3 has passed since the last renewal. It does so between ticks, so
//     a renewal can be up to one TickInterval late, and later when a tick, a Place call or a
//     snapshot copy on the owner's loop runs long.
//   - Journal: the stream mm_J_P. Every append to it is fenced: it carries the
//     Nats-Expected-Last-Sequence header, and JetStream stores it only if the stream's last
//     message is the one the writer names. Before owning, a node appends a takeover message
//     fenced on the last message it applied. Then, at each tick, the owner's Matchmaker appends
//     its entries (requests and the tick) to a buffer, and the tick's Sync publishes them as one
//     fenced message. This is a group commit: the whole tick's entries commit together, in one
//     message and one round trip. A former owner, paused past its lease or cut off, fails its
//     next append with ErrFenced. It drops what it had not committed and rebuilds itself as a
//     standby. The lease decides who tries to own; the fenced append decides who does, so two
//     owners never both commit.
//   - Intake: the stream mm_I_P. A request on any node is published there with a message ID
//     (see Retrying requests), so a retry within DedupWindow is stored once. The owner reads
//     the intake in order and applies each request at its next tick. It records in the tick's
//     journal message the last intake sequence applied and each request's result. The caller's
//     node returns the result when it has followed that journal message: a request is
//     acknowledged only once the journal message that applied it has committed. A new owner
//     resumes the intake after the last sequence the journal records, so each request is
//     applied exactly once, even if its owner died between committing and answering. Sometimes
//     a node rebuilds from a snapshot that already includes a request one of its callers waits
//     for; it then never follows the journal message holding the result. In that case it reads
//     the result from the journal messages it skips. If they were purged, the caller gets
//     ErrResultUnknown.
//   - Snapshots: every SnapshotEvery journal messages the owner writes its Matchmaker's
//     snapshot to the object store mm_snapshots, moves the pointer (key P in mm_snap, compare
//     and set, never backwards) to it, and purges the journal and intake below the previous
//     snapshot. Only the owner writes snapshots. A node starting, or rebuilding after a failed
//     commit, restores the newest snapshot and applies the journal after it.
//   - Standbys follow the journal as it grows (matchmaker.Matchmaker.Replay of each entry), so
//     their copy is current and a takeover costs one fenced append, not a replay.
//   - Events: every node's copy produces the same events with the same Seq; a Subscription
//     on any node receives them once each, and only committed ones (the owner's events of a
//     tick are handed out after its commit; those of a failed commit are dropped). Each node
//     keeps the events of its last 64 journal messages that had events: this is the ring. The
//     owner also publishes each journal message's events on the events stream mm_E_P (see
//     Events stream).
//   - Reads (DescribeMatchmaking, DescribeGameSession, Placements, Explain, Wait) come from the
//     node's own copy, which holds committed state only: a node sees its own acknowledged
//     requests; another node sees them once it has followed the same journal message (one tick
//     later, typically). CatchUp waits until the node has followed everything committed when it
//     was called; Wait does that before it reports an unknown ticket, so a ticket can be waited
//     on from any node as soon as its StartMatchmaking returned.
//
// # Retrying requests
//
// The intake stream stores a request once per message ID within DedupWindow: a second call
// with the same ID returns the first call's result. The message ID is:
//   - the ticket ID, for StartMatchmaking and StartMatchBackfill. An empty TicketID is filled
//     with a random UUID on each call, so set it yourself if you may retry.
//   - the placement ID, for CompletePlacement, and separately for FailPlacement.
//   - a random ID, new at each call, for the others. A call retries its own publish with the
//     same ID, but a second call is a new request.
//
// What a second call returns, after the first was applied:
//   - StartMatchmaking, StartMatchBackfill: safe with the same ticket ID. Within DedupWindow,
//     the first call's ticket, as this node's copy now shows it (ErrResultUnknown when the
//     copy no longer holds it: the ticket ended and its retention passed). After it, while
//     the ticket is retained (matchmaker.WithTicketRetention: by default 10 minutes after it
//     ends, less when more than WithMaxTickets ended tickets are kept),
//     matchmaker.ErrInvalidInput, with a message saying the ticket "already exists". After
//     that, a new ticket. So on
//     ErrInvalidInput after a retry, call DescribeMatchmaking(ticketID) first: the ticket may
//     be yours.
//   - StopMatchmaking, StopMatchBackfill: safe. The ticket stays cancelled and a duplicate
//     returns nil; once the ticket is forgotten, matchmaker.ErrNotFound.
//   - AcceptMatch: safe while the proposal waits (the answer is recorded again, with another
//     AcceptMatch event); matchmaker.ErrInvalidState once it has ended. But a late retry can
//     answer a newer proposal for the same ticket.
//   - AcknowledgeBackfill: not safe. A second call acknowledges again: it succeeds, renews the
//     backfill, and commits or rejects the proposals made since; it does not return the first
//     call's Assigned and Rejected. Read the session with DescribeGameSession instead. Once the
//     backfill has ended: matchmaker.ErrInvalidState.
//   - AddPlayers: safe; a duplicate changes nothing and fails with matchmaker.ErrInvalidInput
//     (the player is already in the game session). A player who left in between is added again.
//   - RemovePlayers: safe; a duplicate changes nothing and fails with matchmaker.ErrInvalidInput
//     (the player is not in the game session). A player who came back in between is removed
//     again.
//   - EndGameSession: safe; a duplicate fails with matchmaker.ErrNotFound (the session is
//     forgotten).
//   - CompletePlacement, FailPlacement: safe. Within DedupWindow, the first call's result.
//     After it, matchmaker.ErrNotFound: the placement already completed, failed or timed out,
//     and a retry changes nothing.
//
// Each of these errors is a *RemoteError. When the first call's result is no longer kept, a
// retry within DedupWindow gets ErrResultUnknown.
//
// # Placing matches
//
// WITH_QUEUE is FlexMatch's mode in which matches are placed in game sessions
// (matchmaker.WithQueue). With FlexMatchMode WITH_QUEUE and a Placer in the partition's
// matchmaker.Config, the owner places each new match through the host, as the single-process
// Matchmaker does, with two differences.
//
// First, the Placer is called on the owner only, after the journal message that formed the
// match has committed (never for a match a failed commit dropped). It is called on the owner's
// loop, between ticks, and that loop also renews the lease. A slow Place delays the next tick
// and the renewal; one that outlasts what is left of the lease costs the node the partition.
// So keep Place fast: hand the request to a goroutine and return. Report the outcome from that
// goroutine, on any node, with Partition.CompletePlacement or FailPlacement.
//
// Second, a new owner calls its Placer again for every placement its predecessor left pending
// (Partition.Placements lists them), with the original PlacementID and Deadline, because the
// predecessor may have died before its host acted: a placement may be requested more than
// once, and the host deduplicates by PlacementID.
//
// A retry of CompletePlacement or FailPlacement within DedupWindow returns the first call's
// result. Reporting a placement that has already completed, failed or timed out fails with
// matchmaker.ErrNotFound; there is nothing left to report. (After a timeout, the match's
// tickets have returned to the search.) Standbys and Follower nodes never call their Placer.
//
// # Events stream
//
// The owner publishes each journal message's events, in order, on a JetStream stream, for
// consumers outside the cluster. For partition P, the stream is named <Prefix>_E_P (mm_E_P by
// default) and its subject is <Prefix>.P.e (mm.P.e). A message's body is a JSON array of
// EventBridge envelopes: the JSON wrapper in which Amazon EventBridge delivers FlexMatch's
// events, made by matchmaker.NewEnvelope with the partition as Namespace. The events of one
// journal message take one message, or several parts when they exceed max_payload (the largest
// message the NATS server accepts; 1 MiB by default). Each message has these headers:
//   - Mm-Journal: the sequence of the journal message whose events it holds.
//   - Mm-Part: the part's index, from 0.
//   - Mm-Parts: how many parts that journal message's events take.
//
// The message ID is "P.<journal sequence>.<part>", so the stream drops a part it already has
// (within DedupWindow). A publish that fails is tried again later. A new owner publishes the
// events after the last message on the stream. The envelope's id is the same each time an
// event is enveloped, so a consumer can drop an event it got twice.
//
// To read the stream, create a JetStream consumer on it (nats.go's jetstream package). The
// stream keeps events for EventsMaxAge and at most EventsMaxBytes, oldest first. See Bounds for
// when events can be missing from it.
//
// # Failover time
//
// When the owner dies without closing (SIGKILL, a machine lost, a network split from NATS), its
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
//     death. Where that message is stored depends on Replicas and on the servers' sync (see
//     below).
//   - Each intake request is applied once, in intake order; each committed tick's events are
//     delivered once per subscription, in Seq order, the same on every node.
//   - A request whose call returned an error (a timeout, say) may still be applied later: its
//     message may have been stored. See Retrying requests for what a retry does. Do not reuse
//     a ticket ID for a new search within DedupWindow: the call returns the old ticket.
//
// What an acknowledged request survives:
//   - Replicas 1 (the default) with JetStream's default sync: the message is on one server,
//     which writes it to disk at its next sync. It is lost if that machine loses power, or its
//     system crashes, before then.
//   - Replicas 1 with the server option sync_interval: always (SyncAlways in an embedded
//     server's Options, as in the tests and Start's example): the server writes the
//     message to disk before the acknowledgement, so it survives that machine losing power.
//     Commits and requests are slower (see Costs).
//   - Replicas 3: the message is on a majority of three servers, so it survives the loss of
//     one. With sync_interval: always on every server, it is on disk on that majority and
//     survives all three losing power at once.
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
// be well above that for such pools (the default 5 s is). Each reader (a standby's journal,
// an owner's intake) is one long-lived consumer with heartbeats every 500 ms; a reader that
// reset its consumer at every poll, as the first version did, got 480 requests/s here.
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
//   - Events waiting for the events stream: the ring, the events of the last 64 journal
//     messages that had events. Each node keeps it across rebuilds, and a new owner publishes
//     from it the events the stream lacks. The ring may no longer hold them: the node started
//     or rebuilt past them, or the stream took nothing for 64 journal messages (as while a
//     NATS server restarts under 20 ms ticks). The owner then replays those journal messages
//     in a Matchmaker of its own, from the newest kept snapshot at or below the stream's
//     position, and publishes their events first. That costs a snapshot restore: its time, and
//     the memory of a second Matchmaker while it runs. Nothing after them is published
//     meanwhile. When the kept journal no longer reaches back that far, the owner logs an
//     error, counts it in Metrics.EventGaps and goes on. Subscriptions get every event either
//     way. An event whose envelope alone exceeds max_payload is left off the stream and
//     counted in Metrics.EventsLost.
//   - Subscriptions: MaxSubscribers (1,024) per partition and node, past which Subscribe fails
//     with matchmaker.ErrLimit. Each holds SubscriberBuffer events (a constant, 65,536); one
//     that falls further behind is cut off with matchmaker.ErrSlowSubscriber.
//   - Intake stored and not yet purged: MaxIntakeBytes (1 GiB) per partition; past it (the
//     owner away long, or a flood), requests fail at once with matchmaker.ErrLimit.
//   - Events stream: EventsMaxAge (1 hour) and EventsMaxBytes (1 GiB) per partition, oldest
//     first.
//   - Journal kept: from the previous snapshot on (SnapshotEvery to 2×SnapshotEvery
//     messages). A node that rebuilds (a standby behind, an owner whose commit failed) starts
//     from the newest kept snapshot at or below its position and replays the journal from
//     there, missing nothing (with KeepJournal, one behind every kept snapshot replays the
//     journal from its start). Otherwise, one behind every kept snapshot jumps to the newest,
//     and ends its subscriptions with ErrEventsSkipped (the events in between never reach it).
//   - Snapshots kept: the newest two. Intake deduplication: DedupWindow (10 minutes).
//   - Each call the node makes to NATS on its own: Timeout (5 s).
//   - The Matchmaker's own bounds apply per partition (see the matchmaker package).
package natscluster
