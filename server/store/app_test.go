package store

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestSaveAndGetApp(t *testing.T) {
	store, _, _ := newTestStore(t)
	app := newTestApp("hello-world")

	require.NoError(t, store.SaveApp(app))

	got, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, app, got)
}

func TestGetAppNotFound(t *testing.T) {
	for name, id := range map[string]apps.AppID{
		"not installed":  "missing",
		"too short":      "ab",
		"too long":       apps.AppID(strings.Repeat("a", 33)),
		"with slash":     "app/b",
		"with space":     "app b",
		"with NUL":       "app\x00",
		"empty":          "",
		"path traversal": "..",
	} {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			app, err := store.GetApp(id)
			require.Error(t, err)
			assert.True(t, errors.Is(err, apps.ErrNotFound), "error %q does not wrap ErrNotFound", err)
			assert.Nil(t, app)
		})
	}
}

func TestGetAppInvalidIDSkipsKV(t *testing.T) {
	store, kv, _ := newTestStore(t)

	_, err := store.GetApp("a/b")
	require.ErrorIs(t, err, apps.ErrNotFound)
	assert.Equal(t, int64(0), kv.gets.Load())
	assert.Empty(t, store.cache.entries)
}

func TestGetAppKVError(t *testing.T) {
	store, kv, _ := newTestStore(t)
	kv.failWith = errors.New("database is down")

	_, err := store.GetApp("hello-world")
	require.Error(t, err)
	assert.False(t, errors.Is(err, apps.ErrNotFound))
	assert.Contains(t, err.Error(), "hello-world")
	assert.Contains(t, err.Error(), "database is down")

	kv.failWith = nil
	_, err = store.GetApp("hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound, "a failed read must not be cached as not found")
}

func TestGetAppReturnsCopy(t *testing.T) {
	store, _, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))

	got, err := store.GetApp("hello-world")
	require.NoError(t, err)
	got.DisplayName = "changed"
	got.Disabled = true
	got.RequestedPermissions[0] = "changed"
	got.GrantedPermissions[0] = "changed"
	got.GrantedLocations[0] = "changed"
	got.RequestedLocations[0] = "changed"
	got.HTTP.RootURL = "http://changed"
	got.OnRemoteWebhook.Path = "/changed"
	got.OnRemoteWebhook.Expand.App = apps.ExpandID
	got.OnRemoteWebhook.State[1] = 'X'
	got.OnInstall.Path = "/changed"

	again, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, newTestApp("hello-world"), again)
}

func TestCloneAppSharesNoMemory(t *testing.T) {
	app := newTestApp("hello-world")

	clone := cloneApp(app)

	assert.Equal(t, app, clone)
	assertNoSharedMemory(t, reflect.ValueOf(app), reflect.ValueOf(clone), "App")
}

func TestCloneAppKeepsNil(t *testing.T) {
	app := &apps.App{Manifest: apps.Manifest{AppID: "bare"}}

	assert.Equal(t, app, cloneApp(app))
}

// assertNoSharedMemory walks two values of the same type and fails for every pointer, slice or
// map that both point at, so a field added to apps.App later cannot escape cloneApp unnoticed.
func assertNoSharedMemory(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
		assertNoSharedMemory(t, a.Elem(), b.Elem(), path)
	case reflect.Slice, reflect.Map:
		if a.Len() == 0 || b.Len() == 0 {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
		if a.Kind() == reflect.Slice {
			for i := 0; i < a.Len(); i++ {
				assertNoSharedMemory(t, a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			assertNoSharedMemory(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	default:
	}
}

func TestGetAppCachesApp(t *testing.T) {
	store, kv, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))

	for range 5 {
		_, err := store.GetApp("hello-world")
		require.NoError(t, err)
	}

	assert.Equal(t, int64(1), kv.gets.Load())
}

func TestGetAppCacheExpires(t *testing.T) {
	store, kv, clock := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))
	_, err := store.GetApp("hello-world")
	require.NoError(t, err)

	changed := newTestApp("hello-world")
	changed.Disabled = true
	writeAppDirectly(t, kv, changed)

	clock.Advance(appCacheTTL - 1)
	got, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.False(t, got.Disabled, "the cached App is served before the TTL")

	clock.Advance(1)
	got, err = store.GetApp("hello-world")
	require.NoError(t, err)
	assert.True(t, got.Disabled, "the App is read again at the TTL")
}

func TestGetAppCachesMissingApp(t *testing.T) {
	store, kv, clock := newTestStore(t)

	for range 5 {
		_, err := store.GetApp("missing")
		require.ErrorIs(t, err, apps.ErrNotFound)
	}
	assert.Equal(t, int64(1), kv.gets.Load())

	writeAppDirectly(t, kv, newTestApp("missing"))
	clock.Advance(missingAppCacheTTL - 1)
	_, err := store.GetApp("missing")
	require.ErrorIs(t, err, apps.ErrNotFound, "not found is served from the cache before its TTL")

	clock.Advance(1)
	got, err := store.GetApp("missing")
	require.NoError(t, err)
	assert.Equal(t, apps.AppID("missing"), got.AppID)
}

func TestInvalidateApp(t *testing.T) {
	store, kv, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))
	_, err := store.GetApp("hello-world")
	require.NoError(t, err)

	changed := newTestApp("hello-world")
	changed.Version = "v2"
	writeAppDirectly(t, kv, changed)
	store.InvalidateApp("hello-world")

	got, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, apps.AppVersion("v2"), got.Version)
}

func TestInvalidateAppClearsMissing(t *testing.T) {
	store, kv, _ := newTestStore(t)
	_, err := store.GetApp("hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound)

	writeAppDirectly(t, kv, newTestApp("hello-world"))
	store.InvalidateApp("hello-world")

	got, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, apps.AppID("hello-world"), got.AppID)
	assert.Equal(t, 0, store.cache.missingCount)
}

func TestInvalidateAppDuringRead(t *testing.T) {
	store, kv, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))

	// Another node saves version 2 and its event arrives while this node reads version 1.
	kv.afterRead = func(string) {
		kv.afterRead = nil
		changed := newTestApp("hello-world")
		changed.Version = "v2"
		writeAppDirectly(t, kv.KV, changed)
		store.InvalidateApp("hello-world")
	}
	first, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, apps.AppVersion("v1.2.3"), first.Version)

	second, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, apps.AppVersion("v2"), second.Version, "the read that raced with the invalidation must not be cached")
}

func TestSaveAppUpdatesCache(t *testing.T) {
	store, _, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))
	_, err := store.GetApp("hello-world")
	require.NoError(t, err)

	changed := newTestApp("hello-world")
	changed.Disabled = true
	require.NoError(t, store.SaveApp(changed))

	got, err := store.GetApp("hello-world")
	require.NoError(t, err)
	assert.True(t, got.Disabled)
}

func TestSaveAppAfterMissing(t *testing.T) {
	store, _, _ := newTestStore(t)
	_, err := store.GetApp("hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound)

	require.NoError(t, store.SaveApp(newTestApp("hello-world")))

	_, err = store.GetApp("hello-world")
	require.NoError(t, err, "saving an App clears its cached not found")
}

func TestSaveAppRejectsInvalid(t *testing.T) {
	tests := map[string]*apps.App{
		"nil app":       nil,
		"empty id":      {},
		"id with slash": {Manifest: apps.Manifest{AppID: "app/b"}},
		"id too long":   {Manifest: apps.Manifest{AppID: apps.AppID(strings.Repeat("x", 33))}},
		"id too short":  {Manifest: apps.Manifest{AppID: "ab"}},
	}
	for name, app := range tests {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			err := store.SaveApp(app)
			require.ErrorIs(t, err, apps.ErrInvalidInput)
		})
	}
}

func TestDeleteApp(t *testing.T) {
	store, _, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))
	require.NoError(t, store.SaveApp(newTestApp("other")))
	_, err := store.GetApp("hello-world")
	require.NoError(t, err)

	require.NoError(t, store.DeleteApp("hello-world"))

	_, err = store.GetApp("hello-world")
	require.ErrorIs(t, err, apps.ErrNotFound)
	_, err = store.GetApp("other")
	require.NoError(t, err)
	require.NoError(t, store.DeleteApp("hello-world"), "deleting a missing App is not an error")
	require.ErrorIs(t, store.DeleteApp("a/b"), apps.ErrInvalidInput)
}

func TestOnAppChanged(t *testing.T) {
	store, _, _ := newTestStore(t)
	var changed []apps.AppID
	store.OnAppChanged = func(id apps.AppID) {
		changed = append(changed, id)
	}

	require.NoError(t, store.SaveApp(newTestApp("hello-world")))
	require.NoError(t, store.DeleteApp("other"))
	require.Error(t, store.SaveApp(nil))

	assert.Equal(t, []apps.AppID{"hello-world", "other"}, changed)
}

func TestOnAppChangedNotCalledOnFailure(t *testing.T) {
	store, kv, _ := newTestStore(t)
	called := false
	store.OnAppChanged = func(apps.AppID) { called = true }
	kv.failWith = errors.New("database is down")

	require.Error(t, store.SaveApp(newTestApp("hello-world")))
	require.Error(t, store.DeleteApp("hello-world"))

	assert.False(t, called)
}

func TestListApps(t *testing.T) {
	store, _, _ := newTestStore(t)
	store.listPageSize = 2
	for _, id := range []apps.AppID{"zeta", "alpha", "mid.app", "alpha_2"} {
		require.NoError(t, store.SaveApp(newTestApp(id)))
	}
	// Data under other prefixes must not show up as Apps.
	require.NoError(t, store.SaveListing(&newTestApp("listed").Manifest))
	_, err := store.KVSet("alpha", "user", "", "key", []byte(`1`))
	require.NoError(t, err)

	list, err := store.ListApps()
	require.NoError(t, err)

	var ids []apps.AppID
	for _, app := range list {
		ids = append(ids, app.AppID)
	}
	assert.Equal(t, []apps.AppID{"alpha", "alpha_2", "mid.app", "zeta"}, ids)
	assert.Equal(t, newTestApp("alpha"), list[0])
}

func TestListAppsEmpty(t *testing.T) {
	store, _, _ := newTestStore(t)

	list, err := store.ListApps()
	require.NoError(t, err)
	assert.NotNil(t, list)
	assert.Empty(t, list)
}

func TestListAppsKVError(t *testing.T) {
	store, kv, _ := newTestStore(t)
	kv.failWith = errors.New("database is down")

	_, err := store.ListApps()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "database is down")
}

func TestMissingAppCacheBounded(t *testing.T) {
	store, kv, clock := newTestStore(t)

	for i := range maxMissingAppEntries + 10 {
		_, err := store.GetApp(apps.AppID(fmt.Sprintf("unknown-%d", i)))
		require.ErrorIs(t, err, apps.ErrNotFound)
	}
	assert.Equal(t, maxMissingAppEntries, store.cache.missingCount)
	assert.Len(t, store.cache.entries, maxMissingAppEntries)

	// Over the bound, a result that could not be cached is read again.
	readsBefore := kv.gets.Load()
	_, err := store.GetApp(apps.AppID(fmt.Sprintf("unknown-%d", maxMissingAppEntries+5)))
	require.ErrorIs(t, err, apps.ErrNotFound)
	assert.Equal(t, readsBefore+1, kv.gets.Load())

	// Once the entries expire, they are dropped to make room.
	clock.Advance(missingAppCacheTTL)
	_, err = store.GetApp("unknown-new")
	require.ErrorIs(t, err, apps.ErrNotFound)
	assert.Equal(t, 1, store.cache.missingCount)
	assert.Len(t, store.cache.entries, 1)
}

func TestMissingAppCacheKeepsInstalledApps(t *testing.T) {
	store, kv, _ := newTestStore(t)
	require.NoError(t, store.SaveApp(newTestApp("hello-world")))
	_, err := store.GetApp("hello-world")
	require.NoError(t, err)

	for i := range maxMissingAppEntries + 10 {
		_, err := store.GetApp(apps.AppID(fmt.Sprintf("unknown-%d", i)))
		require.ErrorIs(t, err, apps.ErrNotFound)
	}

	readsBefore := kv.gets.Load()
	_, err = store.GetApp("hello-world")
	require.NoError(t, err)
	assert.Equal(t, readsBefore, kv.gets.Load(), "unknown ids must not push installed Apps out of the cache")
}

func TestGetAppConcurrent(t *testing.T) {
	store, _, _ := newTestStore(t)
	ids := []apps.AppID{"app-1", "app-2", "app-3"}
	for _, id := range ids {
		require.NoError(t, store.SaveApp(newTestApp(id)))
	}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for worker := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := ids[(worker+i)%len(ids)]
				switch i % 50 {
				case 0:
					store.InvalidateApp(id)
				case 25:
					if err := store.SaveApp(newTestApp(id)); err != nil {
						errs <- err
						return
					}
				}

				app, err := store.GetApp(id)
				if err != nil {
					errs <- err
					return
				}
				if app.AppID != id {
					errs <- errors.Errorf("got app %s, expected %s", app.AppID, id)
					return
				}
				// Writing to the copy while others read the cache lets the race detector
				// catch any sharing.
				app.GrantedPermissions[0] = "changed"
				app.HTTP.RootURL = "changed"
				app.OnRemoteWebhook.State[0] = 'X'

				if _, err := store.GetApp("missing"); !errors.Is(err, apps.ErrNotFound) {
					errs <- errors.Errorf("unexpected error for a missing app: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		assert.NoError(t, err)
	}
	for _, id := range ids {
		app, err := store.GetApp(id)
		require.NoError(t, err)
		assert.Equal(t, newTestApp(id), app)
	}
}

func BenchmarkGetAppParallel(b *testing.B) {
	store := New(&pluginapi.MemoryStore{})
	if err := store.SaveApp(newTestApp("hello-world")); err != nil {
		b.Fatal(err)
	}

	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := store.GetApp("hello-world"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
