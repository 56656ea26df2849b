package store

import (
	"bytes"
	"slices"
	"time"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// appCacheTTL bounds how long this node may serve a cached App after another cluster node changed
// it. Normally main calls InvalidateApp when the other node's cluster event arrives. The TTL is the
// safety net for an event that is lost, or that arrives before the change can be read, because
// Mattermost may read the KV store from a database replica. 30 seconds keeps the webhook path off
// the database while a disabled App stops taking webhooks within half a minute at worst.
const appCacheTTL = 30 * time.Second

// missingAppCacheTTL is how long "App not found" is cached, so scanners that request unknown App
// ids do not each cost a database read. It is short because an App installed on another node
// should start taking webhooks quickly even if the cluster event is lost.
const missingAppCacheTTL = 5 * time.Second

// maxMissingAppEntries bounds the memory that requests for unknown App ids can take. Beyond it,
// expired entries are dropped, and if none has expired, the result is not cached.
const maxMissingAppEntries = 1024

// cachedApp is a cache entry. A nil app records that the App was not found.
type cachedApp struct {
	app       *apps.App
	expiresAt time.Time
}

// appCache holds the Apps that GetApp read. Store.cacheMutex guards it.
type appCache struct {
	entries map[apps.AppID]cachedApp
	// generation grows on every invalidation. A read from the KV store that started before an
	// invalidation must not put its possibly stale result into the cache.
	generation   uint64
	missingCount int
}

func newAppCache() appCache {
	return appCache{entries: make(map[apps.AppID]cachedApp)}
}

// cachedApp returns the cached entry of the App. ok is false when there is none or it expired.
func (s *Store) cachedApp(id apps.AppID) (entry cachedApp, ok bool) {
	s.cacheMutex.RLock()
	defer s.cacheMutex.RUnlock()

	entry, ok = s.cache.entries[id]
	if !ok || !s.now().Before(entry.expiresAt) {
		return cachedApp{}, false
	}
	return entry, true
}

// cacheGeneration returns the generation to pass to cacheApp after a read from the KV store.
func (s *Store) cacheGeneration() uint64 {
	s.cacheMutex.RLock()
	defer s.cacheMutex.RUnlock()
	return s.cache.generation
}

// cacheApp stores what a read from the KV store returned (nil when the App was not found),
// unless the cache was invalidated since generation was taken.
func (s *Store) cacheApp(id apps.AppID, app *apps.App, generation uint64) {
	s.cacheMutex.Lock()
	defer s.cacheMutex.Unlock()

	if s.cache.generation != generation {
		return
	}

	now := s.now()
	ttl := appCacheTTL
	if app == nil {
		ttl = missingAppCacheTTL
		if s.cache.missingCount >= maxMissingAppEntries {
			s.dropExpiredEntries(now)
		}
		if s.cache.missingCount >= maxMissingAppEntries {
			return
		}
	}

	s.removeEntry(id)
	s.cache.entries[id] = cachedApp{app: app, expiresAt: now.Add(ttl)}
	if app == nil {
		s.cache.missingCount++
	}
}

// InvalidateApp drops the cached copy of the App, so the next GetApp reads the KV store. Main
// calls it when another cluster node reports a change.
func (s *Store) InvalidateApp(id apps.AppID) {
	s.cacheMutex.Lock()
	defer s.cacheMutex.Unlock()

	s.removeEntry(id)
	s.cache.generation++
}

// removeEntry needs the write lock.
func (s *Store) removeEntry(id apps.AppID) {
	entry, ok := s.cache.entries[id]
	if !ok {
		return
	}
	delete(s.cache.entries, id)
	if entry.app == nil {
		s.cache.missingCount--
	}
}

// dropExpiredEntries needs the write lock.
func (s *Store) dropExpiredEntries(now time.Time) {
	for id, entry := range s.cache.entries {
		if !now.Before(entry.expiresAt) {
			s.removeEntry(id)
		}
	}
}

// cloneApp returns a deep copy of app, so that callers cannot change the cached App.
func cloneApp(app *apps.App) *apps.App {
	clone := *app
	clone.Manifest = cloneManifest(&app.Manifest)
	clone.GrantedPermissions = slices.Clone(app.GrantedPermissions)
	clone.GrantedLocations = slices.Clone(app.GrantedLocations)
	return &clone
}

func cloneManifest(manifest *apps.Manifest) apps.Manifest {
	clone := *manifest
	clone.RequestedPermissions = slices.Clone(manifest.RequestedPermissions)
	clone.RequestedLocations = slices.Clone(manifest.RequestedLocations)
	if manifest.HTTP != nil {
		http := *manifest.HTTP
		clone.HTTP = &http
	}
	clone.OnInstall = cloneCall(manifest.OnInstall)
	clone.OnUninstall = cloneCall(manifest.OnUninstall)
	clone.OnEnable = cloneCall(manifest.OnEnable)
	clone.OnDisable = cloneCall(manifest.OnDisable)
	clone.OnRemoteWebhook = cloneCall(manifest.OnRemoteWebhook)
	return clone
}

func cloneCall(call *apps.Call) *apps.Call {
	if call == nil {
		return nil
	}
	clone := *call
	if call.Expand != nil {
		expand := *call.Expand
		clone.Expand = &expand
	}
	clone.State = bytes.Clone(call.State)
	return &clone
}
