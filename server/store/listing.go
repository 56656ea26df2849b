package store

import (
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// SaveListing stores a manifest, which install-app may install later. It replaces the listing of
// the same App id.
func (s *Store) SaveListing(m *apps.Manifest) error {
	if m == nil {
		return errors.Wrap(apps.ErrInvalidInput, "failed to save listing: the manifest is missing")
	}
	if err := m.AppID.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to save listing: %s", err)
	}

	if _, err := s.kv.Set(listingKey(m.AppID), m); err != nil {
		return errors.Wrapf(err, "failed to save listing of app %s", m.AppID)
	}
	return nil
}

// GetListing returns the listed manifest of the App, or an error wrapping apps.ErrNotFound.
func (s *Store) GetListing(id apps.AppID) (*apps.Manifest, error) {
	if id.Validate() != nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "listing of app %q", id)
	}

	var manifest *apps.Manifest
	if err := s.kv.Get(listingKey(id), &manifest); err != nil {
		return nil, errors.Wrapf(err, "failed to read listing of app %s", id)
	}
	if manifest == nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "listing of app %s", id)
	}
	return manifest, nil
}
