package sim

// This file holds the arrival stream: when tickets arrive and who is in them. It depends on the
// population and the seed only, never on the rule set, so that every rule set of an A/B
// comparison meets the same players at the same instants.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/seed-04d22514/matchmaker"
)

// Arrival is one ticket of the stream.
type Arrival struct {
	At     float64 // seconds from the start
	Ticket matchmaker.StartMatchmakingInput
	Skills []float64 // each player's skill, in Ticket.Players order
	Home   string    // the party's home region, "" without regions
}

// stream generates a population's arrivals in time order.
type stream struct {
	pop   *Population
	rng   *rand.Rand
	next  float64 // the next arrival
	peak  float64 // the highest rate of the daily curve
	daily bool    // the rate varies: arrivals are thinned
	count int
}

func newStream(pop *Population, seed uint64) *stream {
	s := &stream{pop: pop, rng: rand.New(rand.NewPCG(seed, 0xa11)), peak: pop.Arrivals.PerSecond * pop.peakFactor(),
		daily: len(pop.Arrivals.Daily) > 0}
	s.advance()
	return s
}

// RateAt returns the arrival rate, tickets per second, at t seconds from the start.
func (p *Population) RateAt(t float64) float64 {
	a := p.Arrivals
	if len(a.Daily) == 0 {
		return a.PerSecond
	}
	hour := math.Mod(t, a.DayLengthSeconds) / a.DayLengthSeconds * 24
	i := int(hour) % 24
	frac := hour - math.Floor(hour)
	return a.PerSecond * (a.Daily[i]*(1-frac) + a.Daily[(i+1)%24]*frac)
}

// advance moves s.next to the next arrival: candidates at the peak rate, each kept with
// probability rate/peak (thinning), which draws a Poisson process of the varying rate.
func (s *stream) advance() {
	for {
		s.next += s.rng.ExpFloat64() / s.peak
		if !s.daily || s.rng.Float64()*s.peak < s.pop.RateAt(s.next) {
			return
		}
	}
}

// until returns the arrivals up to and including t.
func (s *stream) until(t float64, out []Arrival) []Arrival {
	for ; s.next <= t; s.advance() {
		out = append(out, s.arrival(s.next))
	}
	return out
}

// arrival draws the ticket arriving at t.
func (s *stream) arrival(t float64) Arrival {
	p, r := s.pop, s.rng
	s.count++
	size, _ := partySize(pick(r, p.Parties))
	a := Arrival{At: t, Ticket: matchmaker.StartMatchmakingInput{TicketID: "t" + strconv.Itoa(s.count)}}
	base := r.NormFloat64()*p.Skill.StdDev + p.Skill.Mean
	if len(p.Regions) > 0 {
		a.Home = pick(r, p.Regions)
	}
	for i := range size {
		skill := base
		if i > 0 {
			skill += r.NormFloat64() * p.Skill.PartyStdDev
		}
		if p.Skill.Min != 0 || p.Skill.Max != 0 {
			skill = min(p.Skill.Max, max(p.Skill.Min, skill))
		}
		skill = math.Round(skill)
		pl := matchmaker.Player{PlayerID: fmt.Sprintf("p%d.%d", s.count, i+1),
			Attributes: matchmaker.Attributes{p.Skill.Attribute: matchmaker.NumberValue(skill)}}
		if p.Roles != nil {
			pl.Attributes[p.Roles.Attribute] = matchmaker.StringListValue(pick(r, p.Roles.Values))
		}
		for _, x := range p.Extra {
			if x.Number != nil {
				pl.Attributes[x.Name] = matchmaker.NumberValue(*x.Number)
			} else {
				pl.Attributes[x.Name] = matchmaker.StringValue(*x.String)
			}
		}
		if len(p.Regions) > 0 {
			pl.LatencyInMs = matchmaker.Latencies{}
			for _, reg := range p.Regions {
				span := p.Latency.AwayMs
				if reg.Value == a.Home {
					span = p.Latency.HomeMs
				}
				pl.LatencyInMs[reg.Value] = span[0] + r.IntN(span[1]-span[0]+1)
			}
		}
		a.Ticket.Players = append(a.Ticket.Players, pl)
		a.Skills = append(a.Skills, skill)
	}
	return a
}

// pick draws one value by weight.
func pick(r *rand.Rand, ws []Weighted) string {
	x := r.Float64() * totalWeight(ws)
	for _, w := range ws {
		if x < w.Weight {
			return w.Value
		}
		x -= w.Weight
	}
	return ws[len(ws)-1].Value
}

func totalWeight(ws []Weighted) float64 {
	sum := 0.0
	for _, w := range ws {
		sum += w.Weight
	}
	return sum
}
