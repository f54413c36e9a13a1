package matchmaker

// This file holds Explain, which says why a ticket has not matched yet: FlexMatch's most asked
// question ("why is my ticket stuck in SEARCHING?") has no answer there beyond event counters.

import (
	"cmp"
	"slices"
	"time"
)

// Explanation describes where a ticket stands in the search.
type Explanation struct {
	TicketID string
	Status   TicketStatus
	// Waited is how long the ticket has been in matchmaking.
	Waited time.Duration
	// Candidates is how many tickets its search considered at the last tick: its neighbours in
	// the pool order (see WithSearchWindow).
	Candidates int
	// Rules counts, per rule, how often the rule accepted and rejected this ticket while matches
	// were being built around it or with it.
	Rules []RuleMetric
	// MostRejectedBy names the rule that rejected the ticket most often, if any.
	MostRejectedBy string
	// Expansions lists every expansion with the value in force for a potential match as old as
	// this ticket, and when its next step applies (zero when it has none left).
	Expansions []ExpansionState
}

// ExpansionState is one expansion as it applies to a ticket.
type ExpansionState struct {
	Target     string
	Value      float64
	StringVal  string // for string-valued targets
	NextStepIn time.Duration
}

// Explain reports why a ticket has not matched yet: its wait, its candidates, which rules
// rejected it and how often, and where its expansions stand. It works for tickets in any state.
func (m *Matchmaker) Explain(ticketID string) (Explanation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tickets[ticketID]
	if t == nil {
		return Explanation{}, &NotFoundError{Kind: "ticket", ID: ticketID}
	}
	now := m.peekTimeLocked()
	end := now
	if t.ending != nil {
		end = t.ending.at
	}
	age := t.waited(end)
	ex := Explanation{TicketID: t.id, Status: t.status, Waited: age, Rules: m.metrics([]*ticket{t})}
	if i, ok := m.pool.find(t); ok && t.status == StatusSearching && len(m.pool.right) == len(m.pool.order)+1 {
		cands, _ := m.pool.window(int32(i), m.searchWindow(), nil, nil)
		ex.Candidates = len(cands)
	}
	if worst := slices.MaxFunc(append([]RuleMetric{{}}, ex.Rules...), func(a, b RuleMetric) int {
		return cmp.Compare(a.FailedCount, b.FailedCount)
	}); worst.FailedCount > 0 {
		ex.MostRejectedBy = worst.RuleName
	}
	for _, e := range m.rs.ExpansionsAt(age) {
		ex.Expansions = append(ex.Expansions, ExpansionState(e))
	}
	return ex, nil
}
