package store

import (
	"slices"
	"strings"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// GetApp returns a copy of the installed App, which the caller may modify. It reads through the
// in-memory cache, so the webhook path does not reach the database on every request. A missing
// App, or an id that no App can have, gives an error wrapping apps.ErrNotFound.
func (s *Store) GetApp(id apps.AppID) (*apps.App, error) {
	// An invalid id cannot be installed, and caching it would let anyone fill the cache with
	// long made-up ids.
	if id.Validate() != nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "app %q", id)
	}

	if entry, ok := s.cachedApp(id); ok {
		if entry.app == nil {
			return nil, errors.Wrapf(apps.ErrNotFound, "app %s", id)
		}
		return cloneApp(entry.app), nil
	}

	generation := s.cacheGeneration()
	app, err := s.readApp(id)
	if err != nil {
		return nil, err
	}
	s.cacheApp(id, app, generation)

	if app == nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "app %s", id)
	}
	return cloneApp(app), nil
}

// ListApps reads every installed App from the KV store, sorted by App id.
func (s *Store) ListApps() ([]*apps.App, error) {
	keys, err := s.listKeysWithPrefix(appKeyPrefix)
	if err != nil {
		return nil, errors.Wrap(err, "failed to list apps")
	}

	list := make([]*apps.App, 0, len(keys))
	for _, key := range keys {
		app, err := s.readApp(apps.AppID(strings.TrimPrefix(key, appKeyPrefix)))
		if err != nil {
			return nil, err
		}
		// The App was deleted after the keys were listed.
		if app == nil {
			continue
		}
		list = append(list, app)
	}

	slices.SortFunc(list, func(a, b *apps.App) int {
		return strings.Compare(string(a.AppID), string(b.AppID))
	})
	return list, nil
}

// SaveApp stores the App record, drops the cached copy and calls OnAppChanged.
func (s *Store) SaveApp(app *apps.App) error {
	if app == nil {
		return errors.Wrap(apps.ErrInvalidInput, "failed to save app: the app is missing")
	}
	if err := app.AppID.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to save app: %s", err)
	}

	if _, err := s.kv.Set(appKey(app.AppID), app); err != nil {
		return errors.Wrapf(err, "failed to save app %s", app.AppID)
	}

	s.appChanged(app.AppID)
	return nil
}

// DeleteApp deletes the App record, drops the cached copy and calls OnAppChanged. Deleting an App
// that does not exist is not an error.
func (s *Store) DeleteApp(id apps.AppID) error {
	if err := id.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to delete app: %s", err)
	}

	if err := s.kv.Delete(appKey(id)); err != nil {
		return errors.Wrapf(err, "failed to delete app %s", id)
	}

	s.appChanged(id)
	return nil
}

func (s *Store) appChanged(id apps.AppID) {
	s.InvalidateApp(id)
	if s.OnAppChanged != nil {
		s.OnAppChanged(id)
	}
}

// readApp reads the App from the KV store. It returns nil and no error when the App is missing.
func (s *Store) readApp(id apps.AppID) (*apps.App, error) {
	var app *apps.App
	if err := s.kv.Get(appKey(id), &app); err != nil {
		return nil, errors.Wrapf(err, "failed to read app %s", id)
	}
	return app, nil
}
