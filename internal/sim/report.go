package sim

// This file holds the HTML report: one self-contained file, no script and no network, with
// charts drawn as inline SVG by html/template. The charts are computed here, in Go: scales,
// ticks and polyline points, so the page needs nothing but a browser to open it, and a test
// can check the series each chart holds by their data-chart and data-series attributes.

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

// palette colours the rule sets, in column order (Okabe-Ito: readable by colour-blind readers).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

func colour(i int) string { return palette[i%len(palette)] }

// WriteHTML writes the report as a self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r.page())
}

// page is what the template renders.
type page struct {
	Title      string
	Population *Population
	Arrivals   string
	Seed       uint64
	Legend     []legendEntry
	Rows       []row
	Columns    []string
	Charts     []*chart
	Waits      []percentileRow
	Quality    []qualityRow
}

type legendEntry struct{ Column, Colour, Text string }

type percentileRow struct {
	Column, Colour                string
	Count                         int
	Mean, P50, P90, P95, P99, Max string
}

type qualityRow struct {
	Column, Colour, Age, Pools, Skipped   string
	Matches                               int
	EngineMatched, BestMatched            string
	EngineSpread, BestSpread              string
	EngineBalance, BestBalance            string
	Matched, Spread, Same, Balance, Split string
	Worse                                 bool // a ratio above 1.2
}

func (r *Report) page() page {
	p := page{Title: "matchmaker simulate: " + r.Population.Name, Population: r.Population,
		Arrivals: r.Population.arrivalText(), Seed: r.Seed, Rows: r.rows()}
	for i, res := range r.Results {
		p.Columns = append(p.Columns, column(i))
		p.Legend = append(p.Legend, legendEntry{Column: column(i), Colour: colour(i), Text: describe(res)})
		d := res.Wait
		p.Waits = append(p.Waits, percentileRow{Column: column(i), Colour: colour(i), Count: d.Count,
			Mean: f1(d.Mean), P50: f1(d.P50), P90: f1(d.P90), P95: f1(d.P95), P99: f1(d.P99), Max: f1(d.Max)})
		for _, q := range res.Quality {
			qr := qualityRow{Column: column(i), Colour: colour(i), Age: fmt.Sprintf("%g s", q.AgeSeconds),
				Pools: fmt.Sprintf("%d × %d tickets", q.Pools, q.TicketsPerPool), Skipped: q.Skipped, Matches: q.Engine.Matches}
			if q.Skipped == "" {
				qr.EngineMatched, qr.BestMatched = pct(q.Engine.Matched), pct(q.Best.Matched)
				qr.EngineSpread, qr.BestSpread = f1(q.Engine.Spread), f1(q.Best.Spread)
				qr.EngineBalance, qr.BestBalance = f1(q.Engine.Balance), f1(q.Best.Balance)
				qr.Matched, qr.Spread, qr.Same = times(q.MatchedRatio), times(q.SpreadRatio), times(q.SameTicketsRatio)
				qr.Balance, qr.Split = times(q.BalanceRatio), times(q.SplitRatio)
				qr.Worse = max(q.MatchedRatio, q.SpreadRatio, q.SameTicketsRatio, q.BalanceRatio, q.SplitRatio) > 1.2
			}
			p.Quality = append(p.Quality, qr)
		}
	}
	p.Charts = r.charts()
	return p
}

func f1(v float64) string  { return strconv.FormatFloat(v, 'f', 1, 64) }
func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

// charts builds every chart of the report.
func (r *Report) charts() []*chart {
	var out []*chart
	lines := func(id, title, caption, xl, yl string, pts func(*Result) [][2]float64) {
		c := &chart{ID: id, Title: title, Caption: caption, XLabel: xl, YLabel: yl}
		for i, res := range r.Results {
			c.add(column(i), colour(i), false, pts(res))
		}
		out = append(out, c.layout())
	}
	lines("wait-cdf", "Wait before a match", "Share of completed tickets that waited at most this long (cumulative distribution).",
		"wait (s)", "share of tickets", func(res *Result) [][2]float64 { return cdfPoints(res.Wait) })
	spreadHi, balanceHi := 0.0, 0.0
	for _, res := range r.Results {
		spreadHi, balanceHi = max(spreadHi, res.Spread.P99), max(balanceHi, res.Balance.P99)
	}
	lines("skill-spread", "Skill spread of matches", "Share of new matches by their spread: highest minus lowest skill of its players (99% of matches shown).",
		"skill spread", "share of matches", func(res *Result) [][2]float64 { return histogramPoints(res.spreads, spreadHi) })
	if balanceHi > 0 {
		lines("team-balance", "Team balance of matches", "Share of new matches by the difference between their highest and lowest team average skill (99% shown).",
			"team-average difference", "share of matches", func(res *Result) [][2]float64 { return histogramPoints(res.balances, balanceHi) })
	}
	series := func(f func(Sample) float64) func(*Result) [][2]float64 {
		return func(res *Result) [][2]float64 {
			var pts [][2]float64
			for _, s := range res.Series {
				pts = append(pts, [2]float64{s.T, f(s)})
			}
			return pts
		}
	}
	lines("pool-size", "Pool size", "Tickets waiting, at the end of each interval of simulated time.", "simulated time (s)", "tickets waiting",
		series(func(s Sample) float64 { return float64(s.Pool) }))
	lines("matches-per-second", "Matches per second", "Matches formed (new matches and backfills) per simulated second.", "simulated time (s)", "matches/s",
		series(func(s Sample) float64 { return s.MatchesPS }))
	tick := &chart{ID: "tick-cost", Title: "Tick cost", Caption: "Wall-clock milliseconds per tick: the mean of each interval (solid) and its slowest tick (dashed).",
		XLabel: "simulated time (s)", YLabel: "ms per tick"}
	for i, res := range r.Results {
		tick.add(column(i), colour(i), false, series(func(s Sample) float64 { return s.TickMillis })(res))
		tick.add(column(i)+" max", colour(i), true, series(func(s Sample) float64 { return s.TickMax })(res))
	}
	out = append(out, tick.layout())
	if r.Results[0].Sessions != nil {
		lines("in-games", "Players in games", "Players in running game sessions.", "simulated time (s)", "players",
			series(func(s Sample) float64 { return float64(s.InGames) }))
	}
	out = append(out, r.rejectionChart())
	if q := r.qualityChart(); q != nil {
		out = append(out, q)
	}
	return out
}

// cdfPoints draws a distribution's cumulative steps.
func cdfPoints(d Distribution) [][2]float64 {
	var pts [][2]float64
	for _, s := range d.CDF {
		pts = append(pts, [2]float64{s.Value, s.Fraction})
	}
	return pts
}

// histogramBins is the number of bins of the distribution charts.
const histogramBins = 25

// histogramPoints draws the share of values in each bin from 0 to hi as a polygon through the
// bins' midpoints.
func histogramPoints(values []float64, hi float64) [][2]float64 {
	if len(values) == 0 {
		return nil
	}
	hi = max(hi, 1)
	counts := Histogram(values, 0, hi, histogramBins)
	var pts [][2]float64
	for i, c := range counts {
		pts = append(pts, [2]float64{(float64(i) + 0.5) * hi / histogramBins, float64(c) / float64(len(values))})
	}
	return pts
}

// rejectionChart draws the rules that rejected tickets most, a bar per rule set.
func (r *Report) rejectionChart() *chart {
	c := &chart{ID: "rejections", Title: "Why tickets waited", Caption: "How often each rule rejected the run's tickets, summed from Explain's rule metrics of every ticket (the eight rules that rejected most).",
		XLabel: "", YLabel: "rejections", Categorical: true}
	totals := map[string]int{}
	for _, res := range r.Results {
		for _, rj := range res.Rejections {
			totals[rj.Rule] += rj.Count
		}
	}
	rules := slices.SortedFunc(maps.Keys(totals), func(a, b string) int {
		if totals[a] != totals[b] {
			return totals[b] - totals[a]
		}
		return strings.Compare(a, b)
	})
	rules = rules[:min(8, len(rules))]
	for i, res := range r.Results {
		var pts [][2]float64
		for j, rule := range rules {
			n := 0
			for _, rj := range res.Rejections {
				if rj.Rule == rule {
					n = rj.Count
				}
			}
			pts = append(pts, [2]float64{float64(j), float64(n)})
		}
		c.add(column(i), colour(i), false, pts)
	}
	c.Categories = rules
	return c.layout()
}

// qualityClip is the highest ratio the quality chart draws, so that one very bad figure does
// not flatten the others.
const qualityClip = 3

// qualityChart draws the quality ratios of each rule set at each age, or nil without any.
func (r *Report) qualityChart() *chart {
	c := &chart{ID: "quality", Title: "Match quality against an exhaustive search", Categorical: true, Reference: []float64{1, 1.2},
		Caption: "The engine's figure over the best an exhaustive search finds on the same small pools: 1 is the best achievable; above the dashed 1.2 line the engine is more than 20% worse. Bars stop at 3; the table below has every ratio. Same tickets: the engine's spread over the best pairing of the tickets it matched; split: its teams over the best split of each match's tickets.",
		YLabel:  "engine / best"}
	for i, res := range r.Results {
		var pts [][2]float64
		for _, q := range res.Quality {
			if q.Skipped != "" {
				continue
			}
			for _, v := range []float64{q.MatchedRatio, q.SpreadRatio, q.SameTicketsRatio, q.BalanceRatio, q.SplitRatio} {
				pts = append(pts, [2]float64{float64(len(pts)), min(v, qualityClip)})
			}
		}
		if len(pts) > 0 {
			c.add(column(i), colour(i), false, pts)
		}
	}
	if len(c.Lines) == 0 {
		return nil
	}
	for _, q := range r.Results[0].Quality {
		if q.Skipped == "" {
			age := fmt.Sprintf(" @%gs", q.AgeSeconds)
			c.Categories = append(c.Categories, "matched"+age, "spread"+age, "same tickets"+age, "team diff"+age, "split"+age)
		}
	}
	return c.layout()
}

// ---- charts

// chart is one SVG chart: lines over numeric axes, or bars over categories.
type chart struct {
	ID, Title, Caption, XLabel, YLabel string
	Categorical                        bool
	Categories                         []string
	Reference                          []float64 // dashed horizontal lines, in y units

	Lines  []*chartLine
	XTicks []axisTick
	YTicks []axisTick
	Refs   []float64 // Reference in pixels
	Labels []axisTick

	W, H, Left, Right, Top, Bottom float64
}

type chartLine struct {
	Name, Colour string
	Dashed       bool
	Data         [][2]float64
	Points       string // the polyline's points, in pixels
	Bars         []bar
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

type axisTick struct {
	Pos   float64
	Label string
}

func (c *chart) add(name, colour string, dashed bool, data [][2]float64) {
	c.Lines = append(c.Lines, &chartLine{Name: name, Colour: colour, Dashed: dashed, Data: data})
}

// layout computes the scales and every pixel position.
func (c *chart) layout() *chart {
	c.W, c.H, c.Left, c.Right, c.Top, c.Bottom = 680, 280, 64, 664, 16, 236
	if c.Categorical {
		c.Bottom = 216
	}
	x0, x1, y1 := math.Inf(1), math.Inf(-1), 0.0
	for _, l := range c.Lines {
		for _, p := range l.Data {
			x0, x1, y1 = min(x0, p[0]), max(x1, p[0]), max(y1, p[1])
		}
	}
	for _, ref := range c.Reference {
		y1 = max(y1, ref)
	}
	if math.IsInf(x0, 0) {
		x0, x1 = 0, 1
	}
	x0 = min(x0, 0)
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if y1 <= 0 {
		y1 = 1
	}
	yt := niceTicks(0, y1, 5)
	y1 = yt[len(yt)-1]
	sy := func(v float64) float64 { return round1(c.Bottom - v/y1*(c.Bottom-c.Top)) }
	for _, v := range yt {
		c.YTicks = append(c.YTicks, axisTick{Pos: sy(v), Label: tickLabel(v)})
	}
	for _, ref := range c.Reference {
		c.Refs = append(c.Refs, sy(ref))
	}
	if c.Categorical {
		c.layoutBars(sy)
		return c
	}
	xt := niceTicks(x0, x1, 6)
	x0, x1 = xt[0], xt[len(xt)-1]
	sx := func(v float64) float64 { return round1(c.Left + (v-x0)/(x1-x0)*(c.Right-c.Left)) }
	for _, v := range xt {
		c.XTicks = append(c.XTicks, axisTick{Pos: sx(v), Label: tickLabel(v)})
	}
	for _, l := range c.Lines {
		var b strings.Builder
		for i, p := range l.Data {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(sx(p[0]), 'f', -1, 64) + "," + strconv.FormatFloat(sy(p[1]), 'f', -1, 64))
		}
		l.Points = b.String()
	}
	return c
}

// layoutBars places one bar per series in each category.
func (c *chart) layoutBars(sy func(float64) float64) {
	n := max(1, len(c.Categories))
	group := (c.Right - c.Left) / float64(n)
	width := group * 0.8 / float64(max(1, len(c.Lines)))
	for j, name := range c.Categories {
		c.Labels = append(c.Labels, axisTick{Pos: round1(c.Left + (float64(j)+0.5)*group), Label: name})
	}
	for i, l := range c.Lines {
		for _, p := range l.Data {
			x := c.Left + p[0]*group + group*0.1 + float64(i)*width
			y := sy(p[1])
			l.Bars = append(l.Bars, bar{X: round1(x), Y: y, W: round1(width), H: round1(c.Bottom - y),
				Title: fmt.Sprintf("%s %s: %s", l.Name, c.Categories[int(p[0])], tickLabel(p[1]))})
		}
	}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// niceTicks returns about n round tick values covering lo to hi, steps of 1, 2 or 5 times a
// power of ten.
func niceTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	if !(span > 0) {
		return []float64{lo, lo + 1}
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var out []float64
	for v := start; v < hi+step*0.999; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

func tickLabel(v float64) string {
	if math.Abs(v) >= 10000 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
