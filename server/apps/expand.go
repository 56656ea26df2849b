package apps

import (
	"strings"

	"github.com/pkg/errors"
)

// ExpandLevel is how much of a context field the plugin adds to a call. A leading "+" makes the
// field required: when it cannot be expanded, the call fails instead of going out without it.
type ExpandLevel string

// The expand levels. ExpandNone is the same as the empty level.
const (
	ExpandDefault ExpandLevel = ""
	ExpandNone    ExpandLevel = "none"
	ExpandID      ExpandLevel = "id"
	ExpandSummary ExpandLevel = "summary"
	ExpandAll     ExpandLevel = "all"
)

// ParseExpandLevel splits a level into its base level and whether it is required.
func ParseExpandLevel(level ExpandLevel) (base ExpandLevel, required bool, err error) {
	text := string(level)
	if strings.HasPrefix(text, "+") {
		required = true
		text = text[1:]
	}
	base = ExpandLevel(text)
	switch base {
	case ExpandDefault, ExpandNone:
		return ExpandDefault, false, nil
	case ExpandID, ExpandSummary, ExpandAll:
		return base, required, nil
	}
	return "", false, errors.Errorf(`invalid expand level %q: valid levels are "id", "summary" and "all", each with an optional leading "+"`, string(level))
}

// Expand lists the context fields to add to a call and at which level. Fields that this plugin does
// not expand are ignored when a manifest is read.
type Expand struct {
	App                   ExpandLevel `json:"app,omitempty"`
	ActingUser            ExpandLevel `json:"acting_user,omitempty"`
	ActingUserAccessToken ExpandLevel `json:"acting_user_access_token,omitempty"`
	Channel               ExpandLevel `json:"channel,omitempty"`
	Team                  ExpandLevel `json:"team,omitempty"`
	Locale                ExpandLevel `json:"locale,omitempty"`
}

// Validate checks every level.
func (e *Expand) Validate() error {
	fields := []struct {
		name  string
		level ExpandLevel
	}{
		{"app", e.App},
		{"acting_user", e.ActingUser},
		{"acting_user_access_token", e.ActingUserAccessToken},
		{"channel", e.Channel},
		{"team", e.Team},
		{"locale", e.Locale},
	}
	for _, field := range fields {
		if _, _, err := ParseExpandLevel(field.level); err != nil {
			return errors.Wrapf(err, "invalid expand.%s", field.name)
		}
	}
	return nil
}
