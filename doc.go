// Package matchmaker forms game matches and backfills in-process from tickets and a
// FlexMatch-style rule set, and reports progress as typed events.
//
// It does inside a Go program what Amazon GameLift FlexMatch does as a cloud service: keep a
// pool of matchmaking tickets, group them into matches by the rules of a FlexMatch rule set
// (skill, latency, roles, parties, relaxing over time), and keep running games full by
// backfilling open slots. Because it runs in your process on a clock you control, a game's
// match rules can be unit-tested with go test: no cloud account, no sleeping.
//
// # Getting started
//
//	rs, err := matchmaker.ParseRuleSet(ruleSetJSON) // your FlexMatch rule set, unchanged
//	m, err := matchmaker.New(matchmaker.Config{RuleSet: rs})
//	sub, err := m.Subscribe()
//	go m.Run(ctx) // or call m.Tick(now) from your own loop
//	m.StartMatchmaking(matchmaker.StartMatchmakingInput{Players: []matchmaker.Player{{
//		PlayerID:   "p1",
//		Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(1500)},
//	}}})
//	for {
//		ev, err := sub.Next(ctx) // or range over sub.C()
//		if err != nil {
//			break // ctx ended, or the subscription did (sub.Err says why)
//		}
//		switch e := ev.(type) {
//		case *matchmaker.MatchmakingSucceeded:
//			// e.Tickets lists every ticket with its players' teams
//		}
//	}
//
// # Rule sets
//
// [ParseRuleSet] accepts the FlexMatch rule-set language as published rule sets use it: // and
// /* */ comments, numbers written as strings, measurements as a string or a list, team[...]
// for teams[...]. It implements every top-level key and algorithm option, teams with quantity
// (generated names "<name>_<n>"), the four attribute types with defaults, the eight rule types,
// compound statements (and, or, not, xor; and and or take two or more arguments), the
// property-expression language, expansions of rule properties and team sizes, and large-match
// rule sets (more than 40 players: balanced strategy, only latency and batchDistance rules).
//
// Validation reports every problem, each with its JSON path, in a [*ValidationError]: unknown
// keys (with a suggestion for typos; "description" is allowed on every object), duplicate keys,
// wrong JSON types, undeclared attributes and teams in expressions, expansion targets that name
// nothing, min above max, team totals out of range, compound rules referring to unknown, later
// or batchDistance rules, and the rest of the checks FlexMatch documents.
//
// # Tickets
//
// [Matchmaker.StartMatchmaking] takes 1 to 10 players who must play on one team. Unlike
// FlexMatch, which accepts a request that can never match and lets it time out, the Matchmaker
// refuses it at once with a [*ValidationError] naming the field: a party larger than every
// team, an attribute missing without a default or of the wrong type, no latency while the rule
// set has a latency rule, NaN or infinite numbers, values over FlexMatch's limits. A player
// already in an active ticket moves to the new one; the older ticket ends with
// [MatchmakingCancelled], reason DUPLICATE_PLAYER (FlexMatch sends no event for it). A player
// who is in a game session the Matchmaker knows and queues again leaves that session's roster.
//
// [Matchmaker.Explain] says why a ticket has not matched yet: how many candidates its search
// considered, which rules rejected it and how often, and where its expansions stand.
//
// Tickets go QUEUED, SEARCHING (at the next tick), then REQUIRES_ACCEPTANCE when acceptance is
// required, PLACING while the host's Placer places the match or an acknowledged backfill waits
// for its game server, and end
// COMPLETED, CANCELLED, TIMED_OUT or FAILED, each with exactly one terminal event. The status
// graph is enforced in one place (lifecycle.go):
//
//	QUEUED              -> SEARCHING, CANCELLED, TIMED_OUT
//	SEARCHING           -> REQUIRES_ACCEPTANCE, PLACING, COMPLETED, CANCELLED, TIMED_OUT, SEARCHING
//	REQUIRES_ACCEPTANCE -> COMPLETED, PLACING, SEARCHING, CANCELLED, TIMED_OUT
//	PLACING             -> COMPLETED, SEARCHING, CANCELLED, FAILED
//
// A ticket returns to SEARCHING (keeping its start time) when its match does not complete; only
// a backfill whose game server stopped acknowledging it times out while its match awaits
// acceptance. A ticket ends FAILED only when the host's Placer cannot place its match.
// [Matchmaker.DescribeMatchmaking] reports a ticket until the retention period after it ended
// ([WithTicketRetention]). The request timeout is measured from the ticket's start and also runs
// while it waits for acceptance, not while it is PLACING; a ticket returned to the search keeps
// its start time.
//
// # How matches are formed
//
// Each tick, every searching ticket can be the anchor of a potential match, oldest first (with
// backfillPriority high, backfill tickets first; low, last). The pool is kept ordered by the
// numeric attribute the rule set sorts, batches, balances or measures first, and partitioned by
// the value of a string batchDistance attribute; an anchor's candidates are its nearest
// neighbours in that order ([WithSearchWindow]), reordered by the rule set's sort rules. So a
// tick costs the ordering plus a bounded search per anchor, never a scan of the pool per ticket,
// and an anchor that cannot match never keeps another from matching in the same tick. An anchor
// whose neighbourhood has not changed since it last failed (no arrival, departure, roster change
// or expansion step within reach) is not searched again: it would fail the same way. Timeouts
// and expansion steps come from a timer heap, so a tick's cost follows what changed, not the
// size of the pool; README.md has the measured figures.
//
// Candidates are added one at a time, each on the first team, fewest players first, where no
// rule has failed for good. Partial mode (spec §e.2.1) rejects a placement only on a failure
// that joining players cannot undo: each rule has a direction, derived from its type, bounds,
// measurements and expansions. A condition on each player's own values (every value within a
// distance of a literal, every mode equal, latency, batchDistance) only fails harder as players
// join, so its failure rejects. A lower bound on aggregates (minDistance of team averages, >,
// >=, !=), or a minimum count still to reach (contains minCount), may yet be met, so its failure
// does not; an upper bound on aggregates (maxDistance of team averages) rejects, as FlexMatch
// documents ("calculates the averages; if the rule fails, the prospective player is not
// added"). Rules that count players are decided in final mode only. Inside a compound rule an
// operand counts only where it is settled, so not(SameMode) and xor do not reject what more
// players would satisfy; an aggregate over a still-empty team is undefined and does not reject.
// The search stops as soon as every team is full and the match passes final mode; a full match
// that fails gives its last place to the next candidates. After the whole window, the match
// must pass every rule in final mode with every team at its minimum; if it fails, the most
// recently added tickets are dropped one at a time until it passes.
//
// This greedy search, FlexMatch's, can miss a match that exists: a party that only fits if an
// earlier ticket had gone to the other team, or players who bring a team average back within bounds
// only together. So when it fails for an anchor whose whole partition fits in its search window (or
// in 24 tickets, for a narrower window), an exhaustive search follows: every way the partition's
// tickets can join the anchor, each on any team or left out, in candidate order. Its partial mode
// rejects only failures no joining player can undo (a value beyond a fixed bound, a region out of
// reach), passes a composition at any expansion age its remaining candidates could still give it,
// and stops a branch once the players left cannot reach the teams' smallest minimums. It tries at
// most 2,048 placements per anchor and 8,192 per tick, and an anchor it proves unmatchable is left
// out of later anchors' searches in that tick. A small pool, such as a lobby filling up, therefore
// never waits while a valid match among its tickets exists (checked against a brute-force search
// over every composition of up to a dozen tickets). Large pools keep the greedy search: there a
// wide window holds many alternatives.
//
// The teams of a small match that passes are then balanced on the attribute that orders the pool,
// each team keeping its size and every party its team: with two teams and at most 12 tickets every
// split is considered and the four closest are tried (with their mirrors), otherwise pairs of
// equal-sized tickets swap while that brings the averages closer; the first split that passes every
// rule in final mode is kept, and if none does the match keeps the teams it was filled with (a
// backfill's roster keeps its teams). FlexMatch does not say how it splits a small match; the fill
// order alone, blind to skill, left the simulator's 5v5 teams 9 times further apart than the best
// split of the same tickets (matchmaker simulate -population 5v5 -quality). Before the tick's
// matches are committed, those of at most four tickets (1v1, 2v2 of solo players; no backfill)
// exchange tickets of one size with their near neighbours in skill when that lowers their summed
// spread and both still pass every rule in final mode: each anchor takes its nearest candidate,
// oldest first, which can pair 10 with 12 and leave 0 with 30, where 0 with 10 and 12 with 30 is
// closer. Who matches in the tick does not change, only with whom.
//
// A party's players always share one team; rules are evaluated on individual players, and
// partyAggregation only summarises a party for ordering and sorting, as AWS describes it.
//
// Expansions apply by the age of the potential match's newest ticket (or its oldest, with
// expansionAgeSelection "oldest"), measured from the tickets' start times; a step applies from
// the instant its wait time is reached.
//
// In a large match, candidates nearest in the balanced attribute are added while latency and
// batchDistance rules hold, and teams fill by FlexMatch's fixed order (spec §d.4): teams below
// their minimum first, then the teams with the most open slots, ties in definition order so
// tied teams take turns. The finished teams are then balanced, keeping their sizes and every
// party on one team: tickets in descending value go to the team with the lowest average so
// far, then pairs of equal-sized tickets swap between teams while that brings the teams'
// averages closer (200 evenly spread players end within a point).
//
// A rule set with strategy "balanced" and at most 40 players (FlexMatch's own example 10) is
// accepted and matched like exhaustiveSearch, honouring every rule.
//
// # Backfill
//
// [Matchmaker.StartMatchBackfill] takes a game session and its current players, each with a
// team; the backfill ticket enters the same pool and search as any ticket, at most one per
// potential match, and must be matched with at least one other ticket. Existing players keep
// their teams; no team or match is ever overfilled; MaxNewPlayers caps how many players one
// backfill adds. A session has one active backfill: a new request replaces the old one, which
// ends with [BackfillCancelled]. Results are game-session events: [MatchmakingDataUpdated] with
// the session's matchmaker data in FlexMatch's shape, [BackfillTimedOut], [BackfillCancelled],
// [BackfillFailed]; joining tickets get [MatchmakingSucceeded].
//
// The host reports players who leave ([Matchmaker.RemovePlayers]) and players who join outside
// matchmaking, such as an invited friend ([Matchmaker.AddPlayers]); an active backfill counts
// them at once. A player who queues again while listed in a session leaves that session.
//
// With Config.FlexMatchMode WithQueue, every new match is placed in a game session the
// Matchmaker records. With BackfillMode AUTOMATIC, a session placed with open slots gets a
// backfill ticket at once, and, beyond FlexMatch, so does a session that a player leaves
// ([Matchmaker.RemovePlayers]); stopping a session's automatic backfill turns it off for that
// session.
//
// With Config.BackfillAcknowledgeTimeout set, backfills work as in Open Match: the game server
// must call [Matchmaker.AcknowledgeBackfill] within the timeout, and again within it after every
// call; each call returns the tickets assigned since the previous one, which then complete. A
// backfill not acknowledged in time ends with [BackfillTimedOut] and its unacknowledged tickets
// return to the pool. Such a backfill stays active across matches (it is exempt from the
// request timeout), which suits lobbies that start at their minimum and long-lived world
// servers. Every roster change bumps the session's version; a proposal formed against an older
// version is rejected when it would commit, and its tickets return to the pool.
//
// # Events
//
// Events are typed structs, each with a [Header] (sequence number and time); consumers use a
// type switch. [Matchmaker.Subscribe] returns a [Subscription] that receives every event
// produced after it, in order. One match produces one event listing all its tickets.
//
// Each subscription queues the events its consumer has not received yet, so the Matchmaker
// never waits for a consumer, and one tick's events, however many, never cut off a consumer
// that keeps up tick by tick. If a tick is published while more than [WithMaxSubscriberLag]
// earlier events (default 65,536) are still unreceived, the subscription is cut off rather than
// thinned: what was queued stays readable, then [Subscription.Err] returns
// [ErrSlowSubscriber]; resubscribe and re-read the state you need. Receive with
// [Subscription.Next], which waits with a context and starts no goroutine; with
// [Subscription.TryNext], which does not wait, for a host that calls Tick from its own loop;
// or with [Subscription.C], whose first call starts one goroutine feeding a channel for use in
// a select. Call Close when done. Events are shared by all subscribers and are read-only.
// [WithMaxSubscribers] (default 1,024) bounds live subscriptions; Subscribe beyond it returns a
// [*LimitError]. An idle subscription costs about a hundred bytes.
//
// # Serving clients: waiting, watching, placing, measuring
//
// A service that holds one request per waiting player calls [Matchmaker.Wait] with the
// request's context: it returns the ticket's outcome, at once if it happened before the call.
// [Matchmaker.WatchTicket] and [Matchmaker.WatchGameSession] return a snapshot and a
// [Subscription] to the events about that one ticket or session from that moment on, taken
// together, for a stream to a client (examples/httpserver sends them as server-sent events).
// Watchers are bounded by [WithMaxWatchers].
//
// With Config.FlexMatchMode WITH_QUEUE and a Config.Placer, the host places each new match: the
// Placer gets a [PlacementRequest] (with no lock held) while the tickets wait in PLACING, and
// the host answers with [Matchmaker.CompletePlacement] (the game session's ARN, address, port
// and player sessions, which MatchmakingSucceeded carries in GameSessionInfo) or
// [Matchmaker.FailPlacement] (the tickets search again, or end FAILED). A placement not answered
// within Config.PlacementTimeout returns its tickets to the search, as FlexMatch's queue timeout
// does. Without a Placer, a match is placed at once in a generated game session.
//
// [WithObserver] registers an [Observer] that gets a [TickReport] after every tick: its cost,
// anchors searched, matches formed, tickets by status, waits, skill spreads and rejections by
// rule. contrib/prometheus (a separate module) exports them to Prometheus.
//
// Package matchmakertest is a test kit for a game's match rules: a harness that is the
// Matchmaker's only clock, an event recorder, and assertions such as MatchedBy and RejectedBy.
//
// # Time, concurrency and determinism
//
// A Matchmaker is safe for concurrent use. One mutex guards its state; no user code runs and no
// channel is sent on while it is held. Every request that changes state takes the lock, checks
// that the Matchmaker is open, records it in the journal (if any), runs at the request's time,
// releases the lock and delivers its events, through one helper (Matchmaker.exec).
//
// A Matchmaker has one time: the latest instant it has used, which never runs backwards. Each
// tick runs at one instant, passed down to every phase; expansions and timeouts are functions
// of it. Where the time comes from:
//   - [Matchmaker.Tick](now) runs at now. A now earlier than the Matchmaker's time runs at the
//     Matchmaker's time instead (clamped, as golang.org/x/time/rate does).
//   - [Matchmaker.Run] ticks at the [Clock]'s reading (the system clock unless [WithClock]).
//   - Requests are stamped with the Clock's reading when a Clock was set with WithClock or Run
//     has driven the Matchmaker. A host that calls Tick itself without a Clock is the clock:
//     requests take the time of its latest Tick, and requests made before its first Tick are
//     dated at that Tick (their events wait for it, and their StartTime is zero until then).
//     So a test that drives Tick with chosen times can never mix them with the wall clock.
//
// testing/synctest covers [Matchmaker.Run]. Run starts no goroutine; when its context ends it
// returns, leaving waiting tickets in the pool (call Run again, or Close to cancel them with
// reason MATCHMAKER_CLOSED). With [WithRandom] set to a fixed source, the same rule set, inputs
// and times give the same matches, IDs and events. The random source is read once, by New, to
// seed the ID generator (a ChaCha8 stream), whose state snapshots and journals carry; a source
// that fails then is refused by New.
//
// # Durability: snapshots, shutdown and the journal
//
// A Matchmaker keeps its state in memory; the host keeps it across restarts in two ways, which
// combine:
//   - [Matchmaker.Snapshot] writes the complete state (tickets with statuses, times and rule
//     counters, the pool's order and pending changes, timers, proposals and answers,
//     placements, game sessions with rosters and versions, backfills and their
//     acknowledgement deadlines, counters, the ID generator). [Restore] builds a Matchmaker
//     from it that behaves exactly as the original would have: the same results, matches, IDs
//     and events for the same later inputs, and a byte-identical snapshot. The state is copied
//     under the lock and written after it is released.
//   - [Matchmaker.Shutdown] stops without cancelling tickets, writing a snapshot; [Matchmaker.Close]
//     still cancels every ticket (MATCHMAKER_CLOSED).
//   - [WithJournal] records every command (each request, refused ones included, and each tick
//     with its time, and what the request read from the clock) as an entry before it takes
//     effect. [Recover] replays the newest snapshot and the entries after it to the same state.
//     Entries are numbered ([EntrySeq]); a snapshot records the last it contains
//     ([SnapshotSeq]); [Matchmaker.Replay] applies one entry, skipping those already applied,
//     which also serves a standby that follows a journal. The package
//     [github.com/seed-04d22514/matchmaker/journal] keeps one in a directory: segment files
//     with one write per entry and one fsync per tick, atomic checkpoints that trim it, a torn
//     tail repaired on open, and Log.Recover, which replays the newest snapshot and the
//     entries after it.
//
// What an acknowledged request survives: it returned after Journal.Append returned, so with a
// journal whose Append reaches the operating system (the file journal's does), it survives the
// process being killed; it survives the machine failing once the next tick's Sync returned. A
// tick's events are delivered only after its Sync, so no subscriber sees an outcome that a
// crash could undo. A failed Append refuses the request (a [*JournalError]) and changes
// nothing; a failed Sync fails the Matchmaker: every later request returns the error, and the
// host recovers from the journal.
//
// Replay does not call the Placer (it saw those placements when they were made);
// [Matchmaker.Placements] lists the pending ones, which a restarted host places again.
// Subscriptions, watchers and Wait calls belong to the process and are not saved; Shutdown
// ends them with ErrClosed. Events replayed keep their original Seq, so a consumer that
// subscribes before replaying (Restore, Subscribe, then Replay each entry) and drops the Seqs
// it has seen sees every event once.
//
// Compatibility: snapshots and entries start with a format version (1); another version is
// refused with a [*SnapshotError] naming both. Both record the rule set's SHA-256: restoring
// with another rule set, even one that differs only in spacing, is refused (a changed rule set
// changes what waiting tickets match; drain the queue, or start a new Matchmaker, to change it).
// Other Config fields and options may change between runs and apply from then on; deadlines
// already set keep their times. A snapshot is checked by its CRC-32C and every count, number
// and reference in it is checked before use, so a truncated or corrupt one is refused, never a
// panic. A Matchmaker driven by Tick without a Clock cannot be snapshotted before its first
// Tick (its requests have no time yet). Bounds: a snapshot is read up to 4 GiB; a journal
// entry is at most 1 MiB (a larger request is refused before it is recorded).
//
// Errors name what they are about: [*LimitError] the bound and its value, [*NotFoundError] the
// kind and ID, [*StateError] the ticket, its status and the refused request; each matches its
// sentinel ([ErrLimit], [ErrNotFound], [ErrInvalidState]) with errors.Is.
//
// # Limits
//
// Every resource is bounded at every moment, and exceeding a bound is an error, not a slowdown.
// The bounds and their defaults:
//   - Active tickets, players' and backfill: [WithMaxTickets], 1,048,576; StartMatchmaking
//     beyond it fails with a [*LimitError].
//   - Active backfill tickets: [WithMaxBackfills], 65,536, automatic ones included (a session
//     placed at the limit gets no automatic backfill, and a warning is logged).
//   - Game sessions remembered: [WithMaxGameSessions], 65,536; at the bound the oldest session
//     without an active backfill is forgotten.
//   - Ended tickets kept for DescribeMatchmaking: for [WithTicketRetention] (10 minutes) and at
//     most WithMaxTickets of them; the oldest is forgotten as soon as another ends, ticking or not.
//   - Subscribers: [WithMaxSubscribers], 1,024; each one's lag: [WithMaxSubscriberLag], 65,536
//     events (its queue holds at most that plus one tick's events).
//   - Latency region names in use at once (held by the tickets and game sessions whose players
//     name them, released when those are forgotten): 4,096. Partitions of a string
//     batchDistance attribute: one per value some waiting ticket carries, released with it.
//   - Search window: [WithSearchWindow]. The exhaustive search of a small partition (see "How
//     matches are formed"): 24 tickets, 2,048 placements per anchor, 8,192 per tick. Timers:
//     at most about twice the waiting tickets.
//   - Rule sets: 65,535 bytes, 256 rules, 256 expansions of 64 steps, 256 attributes, 200
//     players per match, expressions of 4,096 bytes nesting 32 deep, JSON nesting 64 deep,
//     compound statements nesting 32 deep, compound rules referring through at most 16 levels of
//     compound rules, and 4,096 operators and operands across all statements. Each rule is
//     evaluated at most once per potential match, so a rule set's cost is bounded by its size.
//   - Requests, FlexMatch's limits: 10 players per ticket, 199 per backfill, 10 attributes per
//     player, 100 strings per list, 10 map entries, 100-character strings, 128-character ticket
//     IDs, 1,024-character player IDs, 64 regions per player; text must be valid UTF-8.
//   - Time: a Matchmaker's time stays within 1970 to 2200 (Unix nanoseconds span 1678 to 2262);
//     a clock outside is clamped into it.
//
// # Where FlexMatch is unspecified
//
// The spec marks these points unconfirmed; this package decides:
//   - Unknown keys in a rule set are errors (FlexMatch's behaviour is undocumented); duplicate
//     keys are errors.
//   - A referenceValue string is an expression if it begins with teams[, team[ or a function
//     name and "("; otherwise a literal. Ordering operators (<, >) compare numbers only.
//   - An attribute value of the wrong type is refused rather than treated as missing.
//   - Latency: latency equal to maxLatency is acceptable; a match needs one region acceptable to
//     every player; distanceReference accepts "min", "avg" or a number; the suggested region of a
//     match (PotentialMatchCreated.Region) has the lowest average latency among those regions.
//   - stddev is the population standard deviation; median of an even count is the mean of the
//     middle two; an aggregate over an empty list is undefined and fails in final mode (count and
//     sum give 0).
//   - Collection rules read every measured list as a set (spec §b.4): a value listed twice, such
//     as the same string attribute of two players of one team, counts once, in
//     reference_intersection_count as in intersection.
//   - Acceptance: a rejection or timeout returns tickets whose players all accepted to the
//     search and cancels the others (reasons ACCEPTANCE_REJECTED, ACCEPTANCE_TIMED_OUT); when a
//     ticket of a proposed match ends for another reason (stopped, replaced, a duplicate request),
//     the others return to the search. AcceptMatchCompleted.Acceptance is "Accepted",
//     "Rejected", "TimedOut" or "Cancelled". A ticket whose request timeout passed while it
//     waited for acceptance times out when the proposal fails, rather than searching again.
//   - FlexMatchMode defaults to STANDALONE: an embedded matchmaker hands matches to its host.
//     WITH_QUEUE places matches at once in a generated game session.
//   - StopMatchmaking on a cancelled ticket succeeds; on another ended ticket it fails with
//     ErrInvalidState.
//
// # Architecture
//
// The package reads from the outside in; each file holds one concern:
//   - matchmaker.go: Matchmaker, Config, options, New, Run, Close, Subscribe, Stats, and event
//     delivery.
//   - journal.go: every request as a command: the request preamble (exec), the journal entry it
//     becomes, Replay and Recover. snapshot.go: Snapshot, Restore, Shutdown. codec.go: the
//     bounded binary encoding both use.
//   - tick.go: Tick and tickLocked, the table of contents of a pass (timers, proposals awaiting
//     acceptance, backfill acknowledgements, placements, new tickets, search, commit, purge),
//     and the Matchmaker's time.
//   - lifecycle.go: the ticket status graph; the only writer of a ticket's status, with the
//     event each transition emits and the record of each ending.
//   - search.go: the search phase: around each anchor, the best potential match; it proposes
//     matches and changes no ticket's status.
//   - commit.go: the commit phase: proposals become matches (teams, PotentialMatchCreated,
//     acceptance or completion).
//   - potential.go: the potential match under construction, which the rule-set evaluator reads.
//   - pool.go: the pool order, its compact arrays, dirty marks and the timer heap.
//   - ticket.go: tickets and players as users see them, their resolution against the rule set,
//     and StartMatchmaking, StopMatchmaking, DescribeMatchmaking.
//   - acceptance.go: AcceptMatch and what happens to each ticket when a proposal fails.
//   - backfill.go: game sessions, backfill tickets and their requests, acknowledgement.
//   - explain.go: Explain. events.go: the event types. subscription.go: delivery to
//     subscribers and watchers. wait.go: Wait, WatchTicket, WatchGameSession. placement.go:
//     placement through the host's Placer. observer.go: the Observer hook.
//   - errors.go: sentinels and error types. attributes.go, latency.go: attribute values and
//     latencies as users give them. ruleset.go: RuleSet and ParseRuleSet as users see them.
//   - internal/ruleset: the rule-set language: compilation with every problem reported, the
//     parameters in force at an age, sort keys, and evaluation of a potential match in partial
//     and final mode through the ruleset.Match interface that potential implements.
//     internal/ruleset/expr: the property-expression language. internal/ruleset/jsonc: the
//     lenient JSON reader; internal/suggest: the "did you mean" of every reader. Dependencies
//     run one way: matchmaker -> ruleset -> expr, jsonc -> suggest.
//   - cmd/matchmaker: the command line (validate, run, simulate). examples/: runnable programs.
//     matchmakertest: the test kit. journal: the file journal (segments, checkpoints, recovery). contrib/prometheus: a nested module with a Prometheus
//     collector for the Observer hook.
//
// Every unexported method of Matchmaker runs with the Matchmaker's lock held, except exec,
// deliver, deliverLocked and afterDeliver, which take it themselves or run with no lock; the tick's phases and the request bodies carry the Locked
// suffix to make the rule visible where it matters most.
package matchmaker
