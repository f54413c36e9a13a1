package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/seed-04d22514/matchmaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigPathsCoverConfig checks that every field of matchmaker.Config has a scenario
// name, so that a field the library adds cannot be reported by its Go name.
func TestConfigPathsCoverConfig(t *testing.T) {
	typ := reflect.TypeFor[matchmaker.Config]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		assert.Contains(t, configPaths, name, "configPaths needs the scenario's name of Config.%s", name)
	}
}

func TestConfigErrorNamesTheFileFields(t *testing.T) {
	cases := []struct{ path, message, wantPath, wantMessage string }{
		{"RequestTimeout", "must be between 1s and 12h0m0s, got 0s", "configuration.requestTimeoutSeconds", "must be between 1s and 12h0m0s, got 0s"},
		{"AcceptanceTimeout", "m", "configuration.acceptanceTimeoutSeconds", "m"},
		{"BackfillMode", "AUTOMATIC needs FlexMatchMode WITH_QUEUE", "configuration.backfillMode", "AUTOMATIC needs configuration.flexMatchMode WITH_QUEUE"},
		{"FlexMatchMode", "m", "configuration.flexMatchMode", "m"},
		{"AdditionalPlayerCount", "m", "configuration.additionalPlayerCount", "m"},
		{"CustomEventData", "m", "configuration.customEventData", "m"},
		{"BackfillAcknowledgeTimeout", "m", "configuration.backfillAcknowledgeTimeoutSeconds", "m"},
		{"RuleSet.expansions[0]", "waits 30s, longer than RequestTimeout 5s", "ruleSet.expansions[0]", "waits 30s, longer than configuration.requestTimeoutSeconds 5s"},
		{"RuleSet", "is required (from ParseRuleSet)", "ruleSet", "is required (from ParseRuleSet)"},
		{"WithTickInterval", "must be positive", "configuration: WithTickInterval", "must be positive"},
	}
	for _, c := range cases {
		err := configError(&matchmaker.ValidationError{Input: "configuration", Problems: []matchmaker.FieldError{{Path: c.path, Message: c.message}}})
		ve, ok := err.(*matchmaker.ValidationError)
		require.True(t, ok)
		assert.Equal(t, []matchmaker.FieldError{{Path: c.wantPath, Message: c.wantMessage}}, ve.Problems, c.path)
	}
}

// TestRunReportsConfigurationProblemsInTheFileNames checks, end to end, each configuration
// field the library checks: the message names the field as the scenario spells it.
func TestRunReportsConfigurationProblemsInTheFileNames(t *testing.T) {
	cases := map[string]string{
		`"requestTimeoutSeconds": 43201`:                        "configuration.requestTimeoutSeconds: must be between 1s and 12h0m0s, got 12h0m1s",
		`"acceptanceTimeoutSeconds": 601`:                       "configuration.acceptanceTimeoutSeconds: must be between 1s and 10m0s, got 10m1s",
		`"backfillMode": "SOMETIMES"`:                           `configuration.backfillMode: must be MANUAL or AUTOMATIC, got "SOMETIMES"`,
		`"flexMatchMode": "QUEUE"`:                              `configuration.flexMatchMode: must be STANDALONE or WITH_QUEUE, got "QUEUE"`,
		`"additionalPlayerCount": 5`:                            "configuration.additionalPlayerCount: must be between 0 and the match size minus one, got 5",
		`"additionalPlayerCount": 0.5`:                          "configuration.additionalPlayerCount: must be an integer, written without a fraction or exponent, got 0.5",
		`"customEventData": "` + strings.Repeat("d", 257) + `"`: "configuration.customEventData: is longer than 256 bytes",
		`"backfillAcknowledgeTimeoutSeconds": -1`:               "configuration.backfillAcknowledgeTimeoutSeconds: must be a number of seconds from 0 to 31536000, got -1",
		`"acceptanceRequired": "yes"`:                           "configuration.acceptanceRequired: must be true or false, got a string",
		`"requestTimeoutSeconds": 10`:                           "ruleSet.expansions[0]: waits 30s, longer than configuration.requestTimeoutSeconds 10s; the step could never apply",
	}
	for field, want := range cases {
		t.Run(field[:min(len(field), 40)], func(t *testing.T) {
			file := writeScenario(t, `{"ruleSet": RULES, "configuration": {`+field+`}}`)
			status, stdout, stderr := runCLI("run", file)
			assert.Equal(t, exitInvalid, status)
			assert.Empty(t, stdout)
			assert.Equal(t, file+": "+want+"\n", stderr)
		})
	}
}
