package store

import (
	"encoding/json"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// PendingInstallTTL is how long a pending install waits for the admin to confirm it.
const PendingInstallTTL = 15 * time.Minute

// PendingInstall is an install that the slash command showed to an admin and that runs when the
// admin confirms it.
type PendingInstall struct {
	Manifest  apps.Manifest `json:"manifest"`
	JWTSecret string        `json:"jwt_secret,omitempty"`
	ChannelID string        `json:"channel_id,omitempty"`
	TeamID    string        `json:"team_id,omitempty"`
}

// SavePendingInstall stores the admin's pending install of p.Manifest.AppID for PendingInstallTTL,
// replacing an earlier one of the same admin and App.
func (s *Store) SavePendingInstall(userID string, p *PendingInstall) error {
	if !model.IsValidId(userID) {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to save pending install: invalid user id %q", userID)
	}
	if p == nil {
		return errors.Wrap(apps.ErrInvalidInput, "failed to save pending install: the install is missing")
	}
	if err := p.Manifest.AppID.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to save pending install: %s", err)
	}

	key := pendingInstallKey(userID, p.Manifest.AppID)
	if _, err := s.kv.Set(key, p, pluginapi.SetExpiry(s.pendingInstallTTL)); err != nil {
		return errors.Wrapf(err, "failed to save pending install of app %s", p.Manifest.AppID)
	}
	return nil
}

// TakePendingInstall returns the admin's pending install of the App and deletes it, so that one
// confirmation installs once. It returns an error wrapping apps.ErrNotFound when there is none,
// when it expired, or when a concurrent call took it first.
func (s *Store) TakePendingInstall(userID string, id apps.AppID) (*PendingInstall, error) {
	if !model.IsValidId(userID) || id.Validate() != nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "pending install of app %q", id)
	}
	key := pendingInstallKey(userID, id)

	var data []byte
	if err := s.kv.Get(key, &data); err != nil {
		return nil, errors.Wrapf(err, "failed to read pending install of app %s", id)
	}
	if len(data) == 0 {
		return nil, errors.Wrapf(apps.ErrNotFound, "pending install of app %s", id)
	}

	// Deleting only if the value is still the one read makes concurrent confirmations take it
	// once.
	deleted, err := s.kv.Set(key, nil, pluginapi.SetAtomic(data))
	if err != nil {
		return nil, errors.Wrapf(err, "failed to delete pending install of app %s", id)
	}
	if !deleted {
		return nil, errors.Wrapf(apps.ErrNotFound, "pending install of app %s", id)
	}

	var pending PendingInstall
	if err := json.Unmarshal(data, &pending); err != nil {
		return nil, errors.Wrapf(err, "failed to decode pending install of app %s", id)
	}
	return &pending, nil
}
