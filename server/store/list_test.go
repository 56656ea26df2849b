package store

import (
	"fmt"
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListKeysWithPrefix(t *testing.T) {
	tests := map[string]struct {
		keys     []string
		prefix   string
		pageSize int
		expected []string
	}{
		"matches after full pages of other keys": {
			keys:     []string{"a/1", "a/2", "a/3", "a/4", "a/5", "b/1", "b/2"},
			prefix:   "b/",
			pageSize: 2,
			expected: []string{"b/1", "b/2"},
		},
		"matches before and after other keys": {
			keys:     []string{"a/1", "b/1", "b/2", "c/1", "c/2", "c/3", "c/4", "d/1"},
			prefix:   "b/",
			pageSize: 1,
			expected: []string{"b/1", "b/2"},
		},
		"last page exactly full": {
			keys:     []string{"b/1", "b/2", "b/3", "b/4"},
			prefix:   "b/",
			pageSize: 2,
			expected: []string{"b/1", "b/2", "b/3", "b/4"},
		},
		"no match": {
			keys:     []string{"a/1", "c/1"},
			prefix:   "b/",
			pageSize: 1,
			expected: nil,
		},
		"separator keeps longer ids out": {
			keys:     []string{"kv/app/x", "kv/app_b/x", "kv/app.b/x", "kv/apps/x"},
			prefix:   "kv/app/",
			pageSize: 2,
			expected: []string{"kv/app/x"},
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			store, kv, _ := newTestStore(t)
			store.listPageSize = test.pageSize
			for _, key := range test.keys {
				_, err := kv.Set(key, []byte(`1`))
				require.NoError(t, err)
			}

			keys, err := store.listKeysWithPrefix(test.prefix)
			require.NoError(t, err)
			assert.Equal(t, test.expected, keys)
		})
	}
}

func TestListKeysWithPrefixManyPages(t *testing.T) {
	store, kv, _ := newTestStore(t)
	store.listPageSize = 7
	var expected []string
	for i := range 100 {
		_, err := kv.Set(fmt.Sprintf("a/%03d", i), []byte(`1`))
		require.NoError(t, err)
		key := fmt.Sprintf("b/%03d", i)
		_, err = kv.Set(key, []byte(`1`))
		require.NoError(t, err)
		expected = append(expected, key)
	}

	keys, err := store.listKeysWithPrefix("b/")
	require.NoError(t, err)
	assert.Equal(t, expected, keys)
}

func TestListKeysWithPrefixError(t *testing.T) {
	store, kv, _ := newTestStore(t)
	kv.failWith = errors.New("database is down")

	_, err := store.listKeysWithPrefix("b/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "database is down")
}
