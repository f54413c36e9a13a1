package matchmaker_test

// Tests of the JSON form of events, tickets and envelopes: golden shapes (testdata/events, and
// FlexMatch's own examples in ../shared when present), time and duration formats, round trips,
// and the events of a real run.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seed-04d22514/matchmaker"
)

const (
	ejGoldenDir = "testdata/events"
	ejSharedDir = "../shared/spec/events" // FlexMatch's examples; absent outside the project
)

var (
	ejT0   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ejOpts = matchmaker.EnvelopeOptions{Account: "000000000000", Region: "local-1",
		ConfigurationArn: "arn:matchmaker:local::matchmakingconfiguration/golden", Namespace: "golden"}
	ejTimeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// ejGaps lists, per event type, where the library's JSON differs from FlexMatch's example on
// purpose, as paths into the envelope ("[]" stands for every element of an array).
var ejGaps = map[string]struct {
	absent []string // FlexMatch writes it; the library has no such data
	extra  []string // the library writes it; FlexMatch's example does not show it
}{
	// The library knows nothing of a player gateway.
	"MatchmakingSucceeded": {absent: []string{"detail.gameSessionInfo.playerGatewayStatus"}},
	// FlexMatch documents ruleEvaluationMetrics for MatchmakingFailed; its example omits it.
	"MatchmakingFailed": {extra: []string{"detail.ruleEvaluationMetrics"}},
}

func ejPlayer(id, team string) matchmaker.EventPlayer {
	return matchmaker.EventPlayer{PlayerID: id, Team: team}
}

func ejTicket(id string, start time.Time, players ...matchmaker.EventPlayer) matchmaker.EventTicket {
	return matchmaker.EventTicket{TicketID: id, StartTime: start, Players: players}
}

// ejFixtures returns one event of every type, with the values of its file in testdata/events.
func ejFixtures() map[string]matchmaker.Event {
	h := matchmaker.Header{Seq: 7, Time: ejT0.Add(10 * time.Second)}
	t1 := func(team string) matchmaker.EventTicket { return ejTicket("t1", ejT0, ejPlayer("p1", team)) }
	t2 := func(p matchmaker.EventPlayer) matchmaker.EventTicket {
		return ejTicket("t2", ejT0.Add(1500*time.Millisecond), p)
	}
	metrics := []matchmaker.RuleMetric{{RuleName: "FairSkill", PassedCount: 2, FailedCount: 1}}
	rejected := false
	p2 := ejPlayer("p2", "blue")
	p2.Accepted = &rejected
	succeeded := []matchmaker.EventTicket{t1("red"), t2(ejPlayer("p2", "blue"))}
	succeeded[0].Players[0].PlayerSessionID, succeeded[1].Players[0].PlayerSessionID = "ps1", "ps2"
	golden := h
	golden.CustomEventData = "golden"
	session := matchmaker.SessionEvent{Header: h, GameSessionArn: "gs1", BackfillTicketID: "b1"}
	mode, auto := "AUTOMATIC", "b1"
	data := matchmaker.MatchmakerData{MatchID: "m1", MatchmakingConfigurationArn: ejOpts.ConfigurationArn,
		AutoBackfillMode: &mode, AutoBackfillTicketID: &auto, Teams: []matchmaker.MatchTeam{
			{Name: "red", Players: []matchmaker.MatchPlayer{{PlayerID: "p1", Attributes: map[string]matchmaker.MatchAttribute{
				"skill": {AttributeType: "DOUBLE", ValueAttribute: 10.0}}}}},
			{Name: "blue", Players: []matchmaker.MatchPlayer{{PlayerID: "p2", Attributes: map[string]matchmaker.MatchAttribute{
				"skill": {AttributeType: "DOUBLE", ValueAttribute: 12.0}}}}}}}
	withReason := func(reason, msg string) matchmaker.SessionEvent {
		s := session
		s.Reason, s.Message = reason, msg
		return s
	}
	return map[string]matchmaker.Event{
		"MatchmakingSearching": &matchmaker.MatchmakingSearching{Header: h, Tickets: []matchmaker.EventTicket{t1("")}},
		"PotentialMatchCreated": &matchmaker.PotentialMatchCreated{Header: h, MatchID: "m1",
			Tickets:            []matchmaker.EventTicket{t1("red"), t2(ejPlayer("p2", "blue"))},
			AcceptanceRequired: true, AcceptanceTimeout: 30 * time.Second, RuleEvaluationMetrics: metrics},
		"AcceptMatch": &matchmaker.AcceptMatch{Header: h, MatchID: "m1",
			Tickets: []matchmaker.EventTicket{t1("red"), t2(p2)}},
		"AcceptMatchCompleted": &matchmaker.AcceptMatchCompleted{Header: h, MatchID: "m1",
			Tickets: []matchmaker.EventTicket{t1("red"), t2(ejPlayer("p2", "blue"))}, Acceptance: "TimedOut"},
		"MatchmakingSucceeded": &matchmaker.MatchmakingSucceeded{Header: h, MatchID: "m1", Tickets: succeeded,
			GameSessionInfo: matchmaker.GameSessionInfo{GameSessionArn: "gs1", IPAddress: "192.0.2.1", Port: 7777,
				Players: []matchmaker.EventPlayer{succeeded[0].Players[0], succeeded[1].Players[0]}}},
		"MatchmakingTimedOut": &matchmaker.MatchmakingTimedOut{TicketEnded: matchmaker.TicketEnded{Header: h,
			Tickets: []matchmaker.EventTicket{t1("red")}, Reason: "TimedOut",
			Message: "Removed from matchmaking due to timing out.", RuleEvaluationMetrics: metrics}},
		"MatchmakingCancelled": &matchmaker.MatchmakingCancelled{TicketEnded: matchmaker.TicketEnded{Header: h,
			Tickets: []matchmaker.EventTicket{t1("")}, Reason: "Cancelled", Message: "Cancelled by request.",
			RuleEvaluationMetrics: metrics}},
		"MatchmakingFailed": &matchmaker.MatchmakingFailed{TicketEnded: matchmaker.TicketEnded{Header: golden,
			Tickets: []matchmaker.EventTicket{t1("red")}, Reason: "PLACEMENT_FAILED",
			Message: "No game server available.", MatchID: "m1"}},
		"MatchmakingDataUpdated": &matchmaker.MatchmakingDataUpdated{
			SessionEvent:   matchmaker.SessionEvent{Header: golden, GameSessionArn: "gs1", BackfillTicketID: "b1"},
			MatchmakerData: data},
		"BackfillFailed":    &matchmaker.BackfillFailed{SessionEvent: withReason("PLACEMENT_FAILED", "The game session was not found.")},
		"BackfillTimedOut":  &matchmaker.BackfillTimedOut{SessionEvent: withReason("TimedOut", "Removed from matchmaking due to timing out.")},
		"BackfillCancelled": &matchmaker.BackfillCancelled{SessionEvent: withReason("REPLACED", "Replaced by a newer backfill request.")},
	}
}

// ejEnvelope returns e in its envelope, decoded into plain JSON values.
func ejEnvelope(t *testing.T, e matchmaker.Event) map[string]any {
	t.Helper()
	env, err := matchmaker.NewEnvelope(e, ejOpts)
	if err != nil {
		t.Fatalf("NewEnvelope: %v", err)
	}
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatalf("marshal envelope: %v", err)
	}
	return ejDecode(t, data).(map[string]any)
}

func ejDecode(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", data, err)
	}
	return v
}

func ejReadFile(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ejDecode(t, data)
}

// ejShape lists every path of a JSON value with its JSON type, such as
// "detail.tickets[].players[].team: string"; the elements of an array share one path.
func ejShape(v any) []string {
	set := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			set[path+": object"] = true
			for k, x := range v {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
			}
		case []any:
			set[path+": array"] = true
			for _, x := range v {
				walk(path+"[]", x)
			}
		case string:
			set[path+": string"] = true
		case float64:
			set[path+": number"] = true
		case bool:
			set[path+": bool"] = true
		case nil:
			set[path+": null"] = true
		}
	}
	walk("", v)
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ejPrune deletes the member at path ("a.b[].c") from v, in every element of the arrays on the
// way.
func ejPrune(v any, path string) {
	key, rest, more := strings.Cut(path, ".")
	name, isArray := strings.CutSuffix(key, "[]")
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	if !more && !isArray {
		delete(obj, name)
		return
	}
	if !isArray {
		ejPrune(obj[name], rest)
		return
	}
	items, _ := obj[name].([]any)
	for _, x := range items {
		if more {
			ejPrune(x, rest)
		}
	}
}

// ejDiff reports the shape paths only in got and only in want.
func ejDiff(got, want []string) (onlyGot, onlyWant []string) {
	for _, p := range got {
		if !slices.Contains(want, p) {
			onlyGot = append(onlyGot, p)
		}
	}
	for _, p := range want {
		if !slices.Contains(got, p) {
			onlyWant = append(onlyWant, p)
		}
	}
	return onlyGot, onlyWant
}

// ejCompare checks the envelope of e against a golden envelope: same members, nesting and JSON
// types, except the gaps listed for its type; and, with values, the same values except the ID.
func ejCompare(t *testing.T, e matchmaker.Event, golden any, values bool) {
	t.Helper()
	got := ejEnvelope(t, e)
	gaps := ejGaps[e.EventType()]
	for _, p := range gaps.absent {
		ejPrune(golden, p)
	}
	for _, p := range gaps.extra {
		ejPrune(got, p)
	}
	if onlyGot, onlyWant := ejDiff(ejShape(got), ejShape(golden)); onlyGot != nil || onlyWant != nil {
		t.Errorf("%s: shape differs from golden\n  library only: %q\n  golden only:  %q", e.EventType(), onlyGot, onlyWant)
	}
	if !values {
		return
	}
	delete(got, "id")
	delete(golden.(map[string]any), "id")
	if !reflect.DeepEqual(got, golden) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(golden, "", "  ")
		t.Errorf("%s: values differ from golden\n got: %s\nwant: %s", e.EventType(), g, w)
	}
}

func TestEventJSONMatchesGoldenFiles(t *testing.T) {
	for name, e := range ejFixtures() {
		t.Run(name, func(t *testing.T) {
			ejCompare(t, e, ejReadFile(t, filepath.Join(ejGoldenDir, name+".json")), true)
		})
	}
}

// FlexMatch's own examples: same members, nesting and types (their values are other matches').
func TestEventJSONMatchesFlexMatchExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(ejSharedDir, "*.json"))
	if len(files) == 0 {
		t.Skip(ejSharedDir + " is absent")
	}
	fixtures := ejFixtures()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			e := fixtures[name]
			if e == nil {
				t.Fatalf("no fixture for FlexMatch's example %s", f)
			}
			golden := ejReadFile(t, f)
			ejCompare(t, e, golden, false)
			// The golden file in testdata has the example's shape exactly, so the project's
			// tests check the same thing without ../shared.
			if onlyMine, onlyAWS := ejDiff(ejShape(ejReadFile(t, filepath.Join(ejGoldenDir, name+".json"))), ejShape(ejReadFile(t, f))); onlyMine != nil || onlyAWS != nil {
				t.Errorf("testdata/events/%s.json differs from FlexMatch's example: testdata only %q, example only %q", name, onlyMine, onlyAWS)
			}
		})
	}
}

// Every event type: json.Marshal works on the pointers the library emits and on values alike,
// its type member is EventType, which is the Go type's name, and its tickets are TicketIDs.
func TestEventJSONEveryType(t *testing.T) {
	for name, e := range ejFixtures() {
		t.Run(name, func(t *testing.T) {
			if got := e.EventType(); got != name || got != reflect.TypeOf(e).Elem().Name() {
				t.Errorf("EventType() = %q, want %q", got, name)
			}
			byPointer, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			byValue, err := json.Marshal(reflect.ValueOf(e).Elem().Interface())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(byPointer, byValue) {
				t.Errorf("value and pointer marshal differently:\n%s\n%s", byValue, byPointer)
			}
			d := ejDecode(t, byPointer).(map[string]any)
			if d["type"] != name {
				t.Errorf("type = %v, want %s", d["type"], name)
			}
			var ids []string
			for _, tk := range d["tickets"].([]any) {
				ids = append(ids, tk.(map[string]any)["ticketId"].(string))
			}
			if got := e.TicketIDs(); !slices.Equal(got, ids) {
				t.Errorf("TicketIDs() = %q, JSON tickets %q", got, ids)
			}
			for _, k := range []string{"seq", "Seq", "time", "Time", "Header"} {
				if _, ok := d[k]; ok {
					t.Errorf("detail has %q: the header belongs to the envelope", k)
				}
			}
		})
	}
}

// Every field of every event type is written somewhere in its JSON or its envelope: a field
// added to an event must be added to its MarshalJSON and to this table.
func TestEventJSONCoversEveryField(t *testing.T) {
	written := map[string]string{
		"Seq": "envelope id", "Time": "envelope time", "CustomEventData": "customEventData",
		"MatchID": "matchId", "Tickets": "tickets", "AcceptanceRequired": "acceptanceRequired",
		"AcceptanceTimeout": "acceptanceTimeout", "RuleEvaluationMetrics": "ruleEvaluationMetrics",
		"Region": "region", "GameSessionArn": "gameSessionInfo.gameSessionArn", "Acceptance": "acceptance",
		"GameSessionInfo": "gameSessionInfo", "Reason": "reason", "Message": "message",
		"BackfillTicketID": "tickets[].ticketId", "MatchmakerData": "matchmakerData",
		"EstimatedWait": "estimatedWaitMillis",
	}
	var walk func(typ reflect.Type, owner string)
	walk = func(typ reflect.Type, owner string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type, owner)
				continue
			}
			if _, ok := written[f.Name]; !ok {
				t.Errorf("%s.%s is not written in the event's JSON: add it to its MarshalJSON and to this test", owner, f.Name)
			}
		}
	}
	for name, e := range ejFixtures() {
		walk(reflect.TypeOf(e).Elem(), name)
	}
	for typ, want := range map[reflect.Type][]string{
		reflect.TypeFor[matchmaker.EventTicket](): {"TicketID", "StartTime", "Players"},
		reflect.TypeFor[matchmaker.Envelope](): {"Version", "ID", "DetailType", "Source", "Account", "Time",
			"Region", "Resources", "Detail"},
		reflect.TypeFor[matchmaker.Ticket](): {"TicketID", "Status", "StatusReason", "StatusMessage", "StartTime",
			"EndTime", "Players", "MatchID", "GameSessionArn", "Backfill", "EstimatedWaitTime"},
	} {
		var got []string
		for i := range typ.NumField() {
			got = append(got, typ.Field(i).Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %q; its MarshalJSON writes %q: update both", typ.Name(), got, want)
		}
	}
}

func TestTicketJSON(t *testing.T) {
	tk := matchmaker.Ticket{TicketID: "t1", Status: matchmaker.StatusCompleted, StatusReason: "Completed",
		StatusMessage: "Matched.", StartTime: ejT0, EndTime: ejT0.Add(10250 * time.Millisecond),
		Players: []matchmaker.Player{{PlayerID: "p1", Team: "red", LatencyInMs: matchmaker.Latencies{"us-east-1": 40},
			Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(10), "mode": matchmaker.StringValue("duel"),
				"maps":  matchmaker.StringListValue("a", "b"),
				"roles": matchmaker.StringNumberMapValue(map[string]float64{"tank": 1})}}},
		MatchID: "m1", GameSessionArn: "gs1", Backfill: true, EstimatedWaitTime: 2200 * time.Millisecond}
	data, err := json.Marshal(tk)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ejDecode(t, data), ejReadFile(t, filepath.Join(ejGoldenDir, "Ticket.json")); !reflect.DeepEqual(got, want) {
		t.Errorf("ticket JSON\n got: %s\nwant: %v", data, want)
	}

	// A new ticket: no end, no reason, no session, no estimate; players still an array.
	data, _ = json.Marshal(matchmaker.Ticket{TicketID: "t2", Status: matchmaker.StatusQueued})
	if got, want := string(data), `{"ticketId":"t2","status":"QUEUED","players":[]}`; got != want {
		t.Errorf("empty ticket JSON = %s, want %s", got, want)
	}
	for _, tt := range []struct {
		wait time.Duration
		want string
	}{{time.Nanosecond, "1"}, {time.Second, "1"}, {1001 * time.Millisecond, "2"}, {90 * time.Second, "90"}} {
		data, _ := json.Marshal(matchmaker.Ticket{EstimatedWaitTime: tt.wait})
		if !bytes.Contains(data, []byte(`"estimatedWaitTime":`+tt.want+"}")) {
			t.Errorf("wait %v: %s, want estimatedWaitTime %s (whole seconds, rounded up)", tt.wait, data, tt.want)
		}
	}
}

// Times are RFC 3339 in UTC with exactly three decimals, whatever the time's location and
// precision; zero times are left out; decoding gives back the instant to the millisecond.
func TestEventJSONTimes(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2017, 8, 8, 22, 15, 35, 676_999_999, paris)
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{start, "2017-08-08T21:15:35.676Z"},
		{time.Date(2017, 8, 8, 21, 15, 35, 0, time.UTC), "2017-08-08T21:15:35.000Z"},
		{time.Date(2017, 8, 8, 21, 15, 35, 1_000_000, time.UTC), "2017-08-08T21:15:35.001Z"},
	} {
		data, _ := json.Marshal(ejTicket("t", tt.at))
		var got struct{ StartTime string }
		json.Unmarshal(data, &got)
		if got.StartTime != tt.want || !ejTimeFormat.MatchString(got.StartTime) {
			t.Errorf("startTime of %v = %q, want %q", tt.at, got.StartTime, tt.want)
		}
	}

	// Round trip through the documented member names.
	in := []matchmaker.EventTicket{ejTicket("t1", start, ejPlayer("p1", "red")), ejTicket("t2", time.Time{})}
	data, _ := json.Marshal(in)
	var out []matchmaker.EventTicket
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(in)
	want[0].StartTime = start.UTC().Truncate(time.Millisecond)
	want[1].Players = []matchmaker.EventPlayer{}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, want)
	}
	if bytes.Contains(data, []byte(`"ticketId":"t2","startTime"`)) || bytes.Contains(data, []byte("0001-01-01")) {
		t.Errorf("zero start time written: %s", data)
	}

	// Zero times in tickets and envelopes are left out too.
	data, _ = json.Marshal(matchmaker.Ticket{TicketID: "t", Status: matchmaker.StatusSearching, StartTime: start})
	if !bytes.Contains(data, []byte(`"startTime":"2017-08-08T21:15:35.676Z"`)) || bytes.Contains(data, []byte("endTime")) {
		t.Errorf("ticket times: %s", data)
	}
	env, _ := matchmaker.NewEnvelope(&matchmaker.MatchmakingSearching{}, ejOpts)
	data, _ = json.Marshal(env)
	if bytes.Contains(data, []byte(`"time"`)) {
		t.Errorf("zero envelope time written: %s", data)
	}
}

// Durations are in FlexMatch's unit: acceptanceTimeout in seconds, fractions kept.
func TestEventJSONAcceptanceTimeout(t *testing.T) {
	for _, tt := range []struct {
		required bool
		timeout  time.Duration
		want     string
	}{
		{true, 600 * time.Second, `"acceptanceRequired":true,"acceptanceTimeout":600,`},
		{true, 1500 * time.Millisecond, `"acceptanceRequired":true,"acceptanceTimeout":1.5,`},
		{false, 0, `"acceptanceRequired":false,"ruleEvaluationMetrics":[]`},
	} {
		data, _ := json.Marshal(&matchmaker.PotentialMatchCreated{AcceptanceRequired: tt.required, AcceptanceTimeout: tt.timeout})
		if !bytes.Contains(data, []byte(tt.want)) {
			t.Errorf("%v, %v: %s, want it to contain %s", tt.required, tt.timeout, data, tt.want)
		}
	}
	data, _ := json.Marshal(&matchmaker.PotentialMatchCreated{Region: "eu-west-1", GameSessionArn: "gs"})
	if !bytes.Contains(data, []byte(`"region":"eu-west-1"`)) || !bytes.Contains(data, []byte(`"gameSessionArn":"gs"`)) {
		t.Errorf("region and backfill session missing: %s", data)
	}
}

// Members an event type always has keep their JSON type when empty: arrays stay arrays, reason
// and message stay strings.
func TestEventJSONEmptyEvents(t *testing.T) {
	for _, e := range []matchmaker.Event{
		&matchmaker.MatchmakingSearching{}, &matchmaker.PotentialMatchCreated{}, &matchmaker.AcceptMatch{},
		&matchmaker.AcceptMatchCompleted{}, &matchmaker.MatchmakingSucceeded{}, &matchmaker.MatchmakingTimedOut{},
		&matchmaker.MatchmakingCancelled{}, &matchmaker.MatchmakingFailed{}, &matchmaker.MatchmakingDataUpdated{},
		&matchmaker.BackfillFailed{}, &matchmaker.BackfillTimedOut{}, &matchmaker.BackfillCancelled{},
	} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("null")) && e.EventType() != "MatchmakingDataUpdated" {
			t.Errorf("%s: null in %s", e.EventType(), data)
		}
		for _, member := range []string{`"tickets":[]`, `"gameSessionInfo":{"players":[]}`} {
			if !bytes.Contains(data, []byte(member)) {
				t.Errorf("%s: %s lacks %s", e.EventType(), data, member)
			}
		}
		if len(e.TicketIDs()) != 0 || e.TicketIDs() == nil {
			t.Errorf("%s: TicketIDs() = %#v, want empty", e.EventType(), e.TicketIDs())
		}
	}
	for _, e := range []matchmaker.Event{&matchmaker.MatchmakingFailed{}, &matchmaker.BackfillFailed{}} {
		data, _ := json.Marshal(e)
		if !bytes.Contains(data, []byte(`"reason":"","message":""`)) {
			t.Errorf("%s: %s, want reason and message", e.EventType(), data)
		}
	}
	// A data update has no reason, and no matchId of its own: the session's is in its data.
	data, _ := json.Marshal(&matchmaker.MatchmakingDataUpdated{MatchmakerData: matchmaker.MatchmakerData{MatchID: "m1"}})
	d := ejDecode(t, data).(map[string]any)
	if _, ok := d["reason"]; ok {
		t.Errorf("MatchmakingDataUpdated has a reason: %s", data)
	}
	if _, ok := d["matchId"]; ok {
		t.Errorf("MatchmakingDataUpdated has a top-level matchId: %s", data)
	}
}

func TestEnvelope(t *testing.T) {
	e := ejFixtures()["MatchmakingSearching"]
	env, err := matchmaker.NewEnvelope(e, ejOpts)
	if err != nil {
		t.Fatal(err)
	}
	detail, _ := json.Marshal(e)
	if !bytes.Equal(env.Detail, detail) {
		t.Errorf("detail = %s, want json.Marshal(event) %s", env.Detail, detail)
	}
	if env.Version != "0" || env.DetailType != "GameLift Matchmaking Event" || env.Source != "aws.gamelift" ||
		env.Account != ejOpts.Account || env.Region != ejOpts.Region || !env.Time.Equal(ejT0.Add(10*time.Second)) ||
		!slices.Equal(env.Resources, []string{ejOpts.ConfigurationArn}) {
		t.Errorf("envelope = %+v", env)
	}

	// The ID: a version-5 UUID, the same for the same event and options, different otherwise.
	id, err := uuid.Parse(env.ID)
	if err != nil || id.Version() != 5 {
		t.Errorf("id %q: %v, version %d; want a version-5 UUID", env.ID, err, id.Version())
	}
	again, _ := matchmaker.NewEnvelope(e, ejOpts)
	if again.ID != env.ID {
		t.Errorf("same event, IDs %s and %s", env.ID, again.ID)
	}
	seen := map[string]string{env.ID: "fixture"}
	vary := map[string]func(*matchmaker.EnvelopeOptions, *matchmaker.Header){
		"seq":       func(_ *matchmaker.EnvelopeOptions, h *matchmaker.Header) { h.Seq++ },
		"namespace": func(o *matchmaker.EnvelopeOptions, _ *matchmaker.Header) { o.Namespace = "other" },
		"arn":       func(o *matchmaker.EnvelopeOptions, _ *matchmaker.Header) { o.ConfigurationArn += "2" },
		"split": func(o *matchmaker.EnvelopeOptions, _ *matchmaker.Header) {
			o.Namespace, o.ConfigurationArn = o.Namespace+o.ConfigurationArn[:3], o.ConfigurationArn[3:]
		},
	}
	for what, change := range vary {
		ev := *e.(*matchmaker.MatchmakingSearching)
		opts := ejOpts
		change(&opts, &ev.Header)
		other, _ := matchmaker.NewEnvelope(&ev, opts)
		if prev, dup := seen[other.ID]; dup {
			t.Errorf("changing the %s gives the ID of the %s: %s", what, prev, other.ID)
		}
		seen[other.ID] = what
	}

	// A host publishing to an event bus chooses its source; an empty ARN gives no resources.
	env, _ = matchmaker.NewEnvelope(e, matchmaker.EnvelopeOptions{Source: "com.example.matchmaker"})
	data, _ := json.Marshal(env)
	if env.Source != "com.example.matchmaker" || !bytes.Contains(data, []byte(`"resources":[]`)) {
		t.Errorf("envelope %s", data)
	}

	// An envelope decodes back into an Envelope (times to the millisecond).
	env, _ = matchmaker.NewEnvelope(e, ejOpts)
	data, _ = json.Marshal(env)
	var back matchmaker.Envelope
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, env) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, env)
	}

	if _, err := matchmaker.NewEnvelope(nil, ejOpts); err == nil {
		t.Error("NewEnvelope(nil) succeeded")
	}
}

// The types that events share are not events: the set stays closed.
func TestEventSetClosed(t *testing.T) {
	for _, v := range []any{&matchmaker.Header{}, &matchmaker.TicketEnded{}, &matchmaker.SessionEvent{}} {
		if _, ok := v.(matchmaker.Event); ok {
			t.Errorf("%T is an Event", v)
		}
	}
}

type ejClock struct{ now time.Time }

func (c *ejClock) Now() time.Time { return c.now }

// The events of a real run marshal with their type, their tickets and FlexMatch's time format.
func TestEventJSONOfARun(t *testing.T) {
	const rules = `{"ruleLanguageVersion": "1.0",
	  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
	  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
	  "rules": [{"name": "FairSkill", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"],
	    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 50}]}`
	c := &ejClock{now: ejT0}
	m, err := matchmaker.New(matchmaker.Config{RuleSet: matchmaker.MustParseRuleSet([]byte(rules)),
		RequestTimeout: 10 * time.Second, AcceptanceRequired: true, AcceptanceTimeout: 5 * time.Second,
		CustomEventData: "run"}, matchmaker.WithClock(c), matchmaker.WithRandom(rand.NewChaCha8([32]byte{})))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sub, err := m.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	start := func(id string, skill float64) {
		t.Helper()
		if _, err := m.StartMatchmaking(matchmaker.StartMatchmakingInput{TicketID: id, Players: []matchmaker.Player{
			{PlayerID: id, Attributes: matchmaker.Attributes{"skill": matchmaker.NumberValue(skill)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	tick := func(d time.Duration) {
		c.now = c.now.Add(d)
		m.Tick(c.now)
	}
	accept := func(id string) {
		t.Helper()
		if err := m.AcceptMatch(matchmaker.AcceptMatchInput{TicketID: id, PlayerIDs: []string{id},
			AcceptanceType: matchmaker.Accept}); err != nil {
			t.Fatal(err)
		}
	}
	start("ann", 1000)
	start("bob", 1010)
	tick(1234567 * time.Microsecond)
	accept("ann")
	accept("bob")
	start("cat", 5000)
	tick(time.Second)
	m.StopMatchmaking("cat")
	start("dan", 9000)
	tick(time.Second)
	tick(11 * time.Second)
	m.StartMatchBackfill(matchmaker.StartMatchBackfillInput{TicketID: "b1", GameSessionArn: "gs-1",
		Players: []matchmaker.Player{{PlayerID: "stays", Team: "red"}}})
	start("eve", 1005)
	tick(time.Second)
	accept("eve")
	m.StartMatchBackfill(matchmaker.StartMatchBackfillInput{TicketID: "b2", GameSessionArn: "gs-2",
		Players: []matchmaker.Player{{PlayerID: "alone", Team: "red"}}})
	tick(time.Second)
	m.StopMatchBackfill("b2")
	tick(time.Second)

	types := map[string]int{}
	for e, ok := sub.TryNext(); ok; e, ok = sub.TryNext() {
		types[e.EventType()]++
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("%s: %v", e.EventType(), err)
		}
		d := ejDecode(t, data).(map[string]any)
		if d["type"] != e.EventType() || e.EventType() != reflect.TypeOf(e).Elem().Name() {
			t.Errorf("type %v, EventType %s, Go type %T", d["type"], e.EventType(), e)
		}
		var ids []string
		for _, tk := range d["tickets"].([]any) {
			tk := tk.(map[string]any)
			ids = append(ids, tk["ticketId"].(string))
			if s, ok := tk["startTime"].(string); ok && !ejTimeFormat.MatchString(s) {
				t.Errorf("%s: startTime %q", e.EventType(), s)
			}
		}
		if !slices.Equal(ids, e.TicketIDs()) {
			t.Errorf("%s: tickets %q, TicketIDs %q", e.EventType(), ids, e.TicketIDs())
		}
		header := reflect.ValueOf(e).Elem().FieldByName("Header").Interface().(matchmaker.Header)
		if got, _ := d["customEventData"].(string); got != "run" || header.CustomEventData != "run" {
			t.Errorf("%s: customEventData %q, header %q; want Config.CustomEventData", e.EventType(), got, header.CustomEventData)
		}
		env := ejEnvelope(t, e)
		if s := env["time"].(string); !ejTimeFormat.MatchString(s) || s != header.Time.UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s: envelope time %q for %v", e.EventType(), s, header.Time)
		}
	}
	for _, want := range []string{"MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch", "AcceptMatchCompleted",
		"MatchmakingSucceeded", "MatchmakingCancelled", "MatchmakingTimedOut", "MatchmakingDataUpdated", "BackfillCancelled"} {
		if types[want] == 0 {
			t.Errorf("the run produced no %s (got %v)", want, types)
		}
	}
}

// Forward a matchmaker's events in FlexMatch's EventBridge envelope.
func ExampleNewEnvelope() {
	ev := &matchmaker.MatchmakingSearching{
		Header: matchmaker.Header{Seq: 1, Time: time.Date(2026, 1, 1, 12, 0, 0, 420e6, time.UTC)},
		Tickets: []matchmaker.EventTicket{{TicketID: "t1", StartTime: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC),
			Players: []matchmaker.EventPlayer{{PlayerID: "ann"}}}},
	}
	env, err := matchmaker.NewEnvelope(ev, matchmaker.EnvelopeOptions{
		Account:          "123456789012",
		Region:           "us-west-2",
		ConfigurationArn: "arn:aws:gamelift:us-west-2:123456789012:matchmakingconfiguration/duel",
		Namespace:        "host-1",
	})
	if err != nil {
		panic(err)
	}
	out, _ := json.MarshalIndent(env, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "version": "0",
	//   "id": "e763b093-6dcc-5047-abb5-1b577f8e24bf",
	//   "detail-type": "GameLift Matchmaking Event",
	//   "source": "aws.gamelift",
	//   "account": "123456789012",
	//   "time": "2026-01-01T12:00:00.420Z",
	//   "region": "us-west-2",
	//   "resources": [
	//     "arn:aws:gamelift:us-west-2:123456789012:matchmakingconfiguration/duel"
	//   ],
	//   "detail": {
	//     "type": "MatchmakingSearching",
	//     "tickets": [
	//       {
	//         "ticketId": "t1",
	//         "startTime": "2026-01-01T12:00:00.000Z",
	//         "players": [
	//           {
	//             "playerId": "ann"
	//           }
	//         ]
	//       }
	//     ],
	//     "estimatedWaitMillis": "NOT_AVAILABLE",
	//     "gameSessionInfo": {
	//       "players": [
	//         {
	//           "playerId": "ann"
	//         }
	//       ]
	//     }
	//   }
	// }
}
