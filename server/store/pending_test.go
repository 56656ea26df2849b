package store

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func newTestPendingInstall(id apps.AppID) *PendingInstall {
	return &PendingInstall{
		Manifest:  newTestApp(id).Manifest,
		JWTSecret: "jwt-secret",
		ChannelID: model.NewId(),
		TeamID:    model.NewId(),
	}
}

func TestTakePendingInstall(t *testing.T) {
	store, _, _ := newTestStore(t)
	admin := model.NewId()
	pending := newTestPendingInstall("hello-world")
	require.NoError(t, store.SavePendingInstall(admin, pending))

	got, err := store.TakePendingInstall(admin, "hello-world")
	require.NoError(t, err)
	assert.Equal(t, pending, got)

	_, err = store.TakePendingInstall(admin, "hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound, "a pending install is taken once")
}

func TestPendingInstallReplaced(t *testing.T) {
	store, _, _ := newTestStore(t)
	admin := model.NewId()
	require.NoError(t, store.SavePendingInstall(admin, newTestPendingInstall("hello-world")))
	newer := newTestPendingInstall("hello-world")
	newer.Manifest.Version = "v2"
	require.NoError(t, store.SavePendingInstall(admin, newer))

	got, err := store.TakePendingInstall(admin, "hello-world")
	require.NoError(t, err)
	assert.Equal(t, apps.AppVersion("v2"), got.Manifest.Version)
}

func TestPendingInstallSeparation(t *testing.T) {
	store, _, _ := newTestStore(t)
	admin, otherAdmin := model.NewId(), model.NewId()
	require.NoError(t, store.SavePendingInstall(admin, newTestPendingInstall("hello-world")))

	_, err := store.TakePendingInstall(otherAdmin, "hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound, "another admin cannot confirm it")
	_, err = store.TakePendingInstall(admin, "hello-world2")
	require.ErrorIs(t, err, apps.ErrNotFound, "another App id does not match")

	_, err = store.TakePendingInstall(admin, "hello-world")
	require.NoError(t, err)
}

func TestPendingInstallExpiry(t *testing.T) {
	store, kv, _ := newTestStore(t)

	require.NoError(t, store.SavePendingInstall(model.NewId(), newTestPendingInstall("hello-world")))

	require.Len(t, kv.setOpts, 1)
	assert.Equal(t, int64(15*60), kv.setOpts[0].ExpireInSeconds)
}

func TestPendingInstallExpired(t *testing.T) {
	store, _, _ := newTestStore(t)
	// MemoryStore expires keys by the wall clock in whole seconds, so this test waits 1.1 s.
	store.pendingInstallTTL = time.Second
	admin := model.NewId()
	require.NoError(t, store.SavePendingInstall(admin, newTestPendingInstall("hello-world")))

	time.Sleep(1100 * time.Millisecond)

	_, err := store.TakePendingInstall(admin, "hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound)
}

func TestTakePendingInstallConcurrent(t *testing.T) {
	store, _, _ := newTestStore(t)
	admin := model.NewId()
	require.NoError(t, store.SavePendingInstall(admin, newTestPendingInstall("hello-world")))

	var taken, notFound atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := store.TakePendingInstall(admin, "hello-world")
			switch {
			case err == nil:
				taken.Add(1)
			case assert.ErrorIs(t, err, apps.ErrNotFound):
				notFound.Add(1)
			}
		}()
	}
	wg.Wait()

	assert.Equal(t, int64(1), taken.Load())
	assert.Equal(t, int64(19), notFound.Load())
}

func TestTakePendingInstallTakenDuringRead(t *testing.T) {
	store, kv, _ := newTestStore(t)
	admin := model.NewId()
	require.NoError(t, store.SavePendingInstall(admin, newTestPendingInstall("hello-world")))

	// A second confirmation takes the install between the first one's read and delete.
	var innerErr error
	kv.afterRead = func(string) {
		kv.afterRead = nil
		_, innerErr = store.TakePendingInstall(admin, "hello-world")
	}
	_, err := store.TakePendingInstall(admin, "hello-world")

	require.NoError(t, innerErr)
	require.ErrorIs(t, err, apps.ErrNotFound)
}

func TestSavePendingInstallRejectsInvalid(t *testing.T) {
	tests := map[string]struct {
		userID  string
		pending *PendingInstall
	}{
		"missing install": {model.NewId(), nil},
		"invalid user id": {"user/1", newTestPendingInstall("hello-world")},
		"empty user id":   {"", newTestPendingInstall("hello-world")},
		"invalid app id":  {model.NewId(), newTestPendingInstall(apps.AppID(strings.Repeat("x", 33)))},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			err := store.SavePendingInstall(test.userID, test.pending)
			require.ErrorIs(t, err, apps.ErrInvalidInput)
		})
	}
}

func TestTakePendingInstallInvalidIDs(t *testing.T) {
	store, _, _ := newTestStore(t)

	_, err := store.TakePendingInstall("user/1", "hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound)
	_, err = store.TakePendingInstall(model.NewId(), "a/b")
	require.ErrorIs(t, err, apps.ErrNotFound)
}
