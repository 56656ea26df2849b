package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestSaveAndGetListing(t *testing.T) {
	store, _, _ := newTestStore(t)
	manifest := newTestApp("hello-world").Manifest

	require.NoError(t, store.SaveListing(&manifest))

	got, err := store.GetListing("hello-world")
	require.NoError(t, err)
	assert.Equal(t, &manifest, got)

	_, err = store.GetApp("hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound, "a listing is not an installed App")
}

func TestSaveListingReplaces(t *testing.T) {
	store, _, _ := newTestStore(t)
	manifest := newTestApp("hello-world").Manifest
	require.NoError(t, store.SaveListing(&manifest))

	manifest.Version = "v2"
	require.NoError(t, store.SaveListing(&manifest))

	got, err := store.GetListing("hello-world")
	require.NoError(t, err)
	assert.Equal(t, apps.AppVersion("v2"), got.Version)
}

func TestGetListingNotFound(t *testing.T) {
	store, _, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("installed")))

	for _, id := range []apps.AppID{"missing", "installed", "a/b"} {
		_, err := store.GetListing(id)
		assert.ErrorIs(t, err, apps.ErrNotFound, id)
	}
}

func TestSaveListingRejectsInvalid(t *testing.T) {
	store, _, _ := newTestStore(t)

	require.ErrorIs(t, store.SaveListing(nil), apps.ErrInvalidInput)
	require.ErrorIs(t, store.SaveListing(&apps.Manifest{AppID: "a b c"}), apps.ErrInvalidInput)
}
