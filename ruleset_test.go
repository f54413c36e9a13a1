package matchmaker

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSharedRuleSets loads every published rule set in ../shared/rulesets: each must compile.
func TestSharedRuleSets(t *testing.T) {
	files, _ := filepath.Glob("../shared/rulesets/*.json")
	if len(files) == 0 {
		t.Skip("../shared/rulesets not present")
	}
	require.Len(t, files, 21)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			rs, err := ParseRuleSet(data)
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					t.Errorf("%s", p.Error())
				}
			}
			require.NoError(t, err)
			require.NotEmpty(t, rs.Teams())
		})
	}
}
