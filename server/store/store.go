// Package store keeps the plugin's data in the Mattermost plugin KV store: installed App records,
// manifest listings, pending installs, App sessions, and the Apps' own KV data.
package store

import (
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// KV is the part of the plugin KV store the store uses; *pluginapi.KVService and
// *pluginapi.MemoryStore (the in-memory fake in server/public/pluginapi) both implement it.
type KV interface {
	Set(key string, value any, options ...pluginapi.KVSetOption) (bool, error)
	Get(key string, out any) error
	Delete(key string) error
	ListKeys(page, count int, options ...pluginapi.ListKeysOption) ([]string, error)
}

// defaultListPageSize is the number of keys read from the KV store per ListKeys call.
const defaultListPageSize = 1000

// Store reads and writes the plugin's data. It is safe for concurrent use.
type Store struct {
	// OnAppChanged, when set, is called after SaveApp and DeleteApp succeed, so the caller can tell
	// the other cluster nodes to drop their cached copy. Set it before the Store is used.
	OnAppChanged func(id apps.AppID)

	kv KV
	// now is the clock of the App cache, replaceable in tests.
	now               func() time.Time
	listPageSize      int
	pendingInstallTTL time.Duration

	cacheMutex sync.RWMutex
	cache      appCache
}

// New returns a Store on top of kv.
func New(kv KV) *Store {
	return &Store{
		kv:                kv,
		now:               time.Now,
		listPageSize:      defaultListPageSize,
		pendingInstallTTL: PendingInstallTTL,
		cache:             newAppCache(),
	}
}
