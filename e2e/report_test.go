package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browsers are the executables findBrowser looks for, in order, after $CHROME_PATH.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell", "chrome"}

// findBrowser returns the path of a Chromium or Chrome, or "" with the places it looked.
func findBrowser() (path, looked string) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p, ""
	}
	for _, name := range browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "$CHROME_PATH is unset and none of " + strings.Join(browsers, ", ") + " is on $PATH"
}

// writeReport runs the simulate command of the module under test (a tool of this module, see
// go.mod) with args and returns the report's path.
func writeReport(t *testing.T, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, append([]string{"tool", "matchmaker", "simulate", "-report", out}, args...)...)
	stdout, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", stdout)
	require.Contains(t, string(stdout), "report: "+out)
	return out
}

// page is what the test reads from the rendered report.
type page struct {
	Title  string
	Charts []struct {
		ID     string
		Width  float64
		Height float64
		Series []struct {
			Name     string
			Points   int
			Length   float64 // a polyline's rendered length
			BarCount int     // a bar series' rectangles
			BarArea  float64
		}
	}
	QualityRows int
}

// readPage collects every chart's rendered size and series from the page.
const readPage = `(() => {
  const charts = [...document.querySelectorAll('svg[data-chart]')].map(svg => {
    const box = svg.getBoundingClientRect();
    const series = [...svg.querySelectorAll('.series')].map(s => {
      const rects = [...s.querySelectorAll('rect')];
      return {
        Name: s.dataset.series,
        Points: Number(s.dataset.points),
        Length: s.tagName === 'polyline' ? s.getTotalLength() : 0,
        BarCount: rects.length,
        BarArea: rects.reduce((a, r) => { const b = r.getBBox(); return a + b.width * b.height; }, 0),
      };
    });
    return {ID: svg.dataset.chart, Width: box.width, Height: box.height, Series: series};
  });
  return JSON.stringify({Title: document.title, Charts: charts,
    QualityRows: document.querySelectorAll('#quality tr').length - 1});
})()`

// TestReportInBrowser opens an A/B report in headless Chromium: it renders without console
// errors, exceptions or network requests, and every chart holds a drawn series per rule set.
func TestReportInBrowser(t *testing.T) {
	browser, looked := findBrowser()
	if browser == "" {
		t.Skip("no browser for the report test: " + looked + " (install one: apt-get install -y chromium; or set CHROME_PATH)")
	}
	report := writeReport(t, "-population", "5v5", "-rules", "5v5", "-rules", "5v5-sorted", "-seconds", "90")

	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 2400),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdpruntime.EventConsoleAPICalled:
			if ev.Type == cdpruntime.ConsoleAPICalledTypeError || ev.Type == cdpruntime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, cmp.Or(string(a.Value), a.Description))
				}
				note("console %s: %s", ev.Type, strings.Join(args, " "))
			}
		case *cdpruntime.EventExceptionThrown:
			note("exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				note("log error: %s (%s)", ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if !strings.HasPrefix(ev.Request.URL, "file://") {
				note("network request: %s", ev.Request.URL)
			}
		}
	}), "starting %s", browser)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate("file://"+report),
		chromedp.WaitVisible(chromedp.CSS(`svg[data-chart="wait-cdf"]`)),
	))
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](readPage))
	require.NoError(t, err)
	var p page
	require.NoError(t, json.Unmarshal([]byte(raw), &p))
	mu.Lock()
	assert.Empty(t, problems, "the report renders without errors and fetches nothing")
	mu.Unlock()

	assert.Equal(t, "matchmaker simulate: 5v5", p.Title)
	want := map[string][]string{
		"wait-cdf":           {"A", "B"},
		"skill-spread":       {"A", "B"},
		"team-balance":       {"A", "B"},
		"pool-size":          {"A", "B"},
		"matches-per-second": {"A", "B"},
		"tick-cost":          {"A", "A max", "B", "B max"},
		"rejections":         {"A", "B"},
		"quality":            {"A", "B"},
	}
	var got []string
	for _, c := range p.Charts {
		got = append(got, c.ID)
		assert.Greater(t, c.Width, 300.0, "chart %s is drawn", c.ID)
		assert.Greater(t, c.Height, 100.0, "chart %s is drawn", c.ID)
		var names []string
		for _, s := range c.Series {
			names = append(names, s.Name)
			assert.Positive(t, s.Points, "chart %s series %s has points", c.ID, s.Name)
			if s.BarCount > 0 {
				assert.Equal(t, s.Points, s.BarCount, "chart %s series %s", c.ID, s.Name)
				assert.Positive(t, s.BarArea, "chart %s series %s has visible bars", c.ID, s.Name)
			} else {
				assert.Positive(t, s.Length, "chart %s series %s is a visible line", c.ID, s.Name)
			}
		}
		assert.Equal(t, want[c.ID], names, "series of chart %s", c.ID)
	}
	slices.Sort(got)
	wantIDs := make([]string, 0, len(want))
	for id := range want {
		wantIDs = append(wantIDs, id)
	}
	slices.Sort(wantIDs)
	assert.Equal(t, wantIDs, got)
	assert.Equal(t, 4, p.QualityRows, "two rule sets at two ages")
}
