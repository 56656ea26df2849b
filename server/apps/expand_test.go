package apps

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseExpandLevel(t *testing.T) {
	tests := map[ExpandLevel]struct {
		base     ExpandLevel
		required bool
	}{
		"":         {ExpandDefault, false},
		"none":     {ExpandDefault, false},
		"id":       {ExpandID, false},
		"summary":  {ExpandSummary, false},
		"all":      {ExpandAll, false},
		"+id":      {ExpandID, true},
		"+summary": {ExpandSummary, true},
		"+all":     {ExpandAll, true},
		// Requiring nothing is the same as not expanding.
		"+":     {ExpandDefault, false},
		"+none": {ExpandDefault, false},
	}
	for level, test := range tests {
		t.Run(string(level), func(t *testing.T) {
			base, required, err := ParseExpandLevel(level)

			require.NoError(t, err)
			assert.Equal(t, test.base, base)
			assert.Equal(t, test.required, required)
		})
	}
}

func TestParseExpandLevelInvalid(t *testing.T) {
	for _, level := range []ExpandLevel{"everything", "++all", "All", " all", "all+", "-all", "+ all", "summary "} {
		t.Run(string(level), func(t *testing.T) {
			base, required, err := ParseExpandLevel(level)

			require.Error(t, err)
			assert.Contains(t, err.Error(), `valid levels are "id", "summary" and "all", each with an optional leading "+"`)
			assert.Equal(t, ExpandDefault, base)
			assert.False(t, required)
		})
	}
}

func TestExpandValidate(t *testing.T) {
	tests := map[string]struct {
		expand        Expand
		expectedField string
	}{
		"all levels": {Expand{App: "+all", ActingUser: "summary", ActingUserAccessToken: "all", Channel: "id", Team: "+id", Locale: "none"}, ""},
		"empty":      {Expand{}, ""},
		"app":        {Expand{App: "x"}, "expand.app"},
		"acting_user": {
			Expand{ActingUser: "x"}, "expand.acting_user:",
		},
		"acting_user_access_token": {Expand{ActingUserAccessToken: "x"}, "expand.acting_user_access_token"},
		"channel":                  {Expand{Channel: "x"}, "expand.channel"},
		"team":                     {Expand{Team: "x"}, "expand.team"},
		"locale":                   {Expand{Locale: "x"}, "expand.locale"},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			err := test.expand.Validate()

			if test.expectedField == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid "+test.expectedField)
		})
	}
}
