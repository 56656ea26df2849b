package store

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestKVSetAndGet(t *testing.T) {
	store, _, _ := newTestStore(t)

	changed, err := store.KVSet("hello-world", "user1", "prefix", "key", []byte(`{"a":[1,2,3]}`))
	require.NoError(t, err)
	assert.True(t, changed)

	value, err := store.KVGet("hello-world", "user1", "prefix", "key")
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":[1,2,3]}`, string(value))

	_, err = store.KVSet("hello-world", "user1", "prefix", "key", []byte(`"replaced"`))
	require.NoError(t, err)
	value, err = store.KVGet("hello-world", "user1", "prefix", "key")
	require.NoError(t, err)
	assert.Equal(t, `"replaced"`, string(value))
}

func TestKVGetMissing(t *testing.T) {
	store, _, _ := newTestStore(t)

	value, err := store.KVGet("hello-world", "user1", "prefix", "key")
	require.NoError(t, err)
	assert.Nil(t, value)
}

func TestKVSeparation(t *testing.T) {
	type entry struct {
		appID               apps.AppID
		userID, prefix, key string
	}
	stored := entry{"hello-world", "user1", "prefix", "key"}
	others := map[string]entry{
		"other app":               {"hello-world2", "user1", "prefix", "key"},
		"other user":              {"hello-world", "user2", "prefix", "key"},
		"no user":                 {"hello-world", "", "prefix", "key"},
		"other prefix":            {"hello-world", "user1", "prefix2", "key"},
		"no prefix":               {"hello-world", "user1", "", "key"},
		"other key":               {"hello-world", "user1", "prefix", "key2"},
		"prefix moved into key":   {"hello-world", "user1", "", "prefixkey"},
		"user moved into prefix":  {"hello-world", "", "user1prefix", "key"},
		"characters moved to key": {"hello-world", "user1", "prefi", "xkey"},
	}
	for name, other := range others {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)
			_, err := store.KVSet(stored.appID, stored.userID, stored.prefix, stored.key, []byte(`"stored"`))
			require.NoError(t, err)

			value, err := store.KVGet(other.appID, other.userID, other.prefix, other.key)
			require.NoError(t, err)
			assert.Nil(t, value)

			_, err = store.KVSet(other.appID, other.userID, other.prefix, other.key, []byte(`"other"`))
			require.NoError(t, err)
			value, err = store.KVGet(stored.appID, stored.userID, stored.prefix, stored.key)
			require.NoError(t, err)
			assert.Equal(t, `"stored"`, string(value))
		})
	}
}

func TestKVKeysWithNULDoNotCollide(t *testing.T) {
	store, _, _ := newTestStore(t)

	// Joined with NUL separators, both would hash "user1\x00a\x00b\x00c".
	_, err := store.KVSet("hello-world", "user1", "a\x00b", "c", []byte(`"first"`))
	require.NoError(t, err)
	_, err = store.KVSet("hello-world", "user1", "a", "b\x00c", []byte(`"second"`))
	require.NoError(t, err)

	value, err := store.KVGet("hello-world", "user1", "a\x00b", "c")
	require.NoError(t, err)
	assert.Equal(t, `"first"`, string(value))
}

func TestKVSetRejectsInvalidJSON(t *testing.T) {
	for name, value := range map[string]string{
		"empty":          "",
		"unclosed":       `{"a":1`,
		"bare word":      "hello",
		"trailing data":  `{} {}`,
		"single quotes":  `{'a':1}`,
		"trailing comma": `[1,]`,
	} {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			_, err := store.KVSet("hello-world", "user1", "", "key", []byte(value))
			require.ErrorIs(t, err, apps.ErrInvalidInput)
			assert.Contains(t, err.Error(), "not valid JSON")

			stored, err := store.KVGet("hello-world", "user1", "", "key")
			require.NoError(t, err)
			assert.Nil(t, stored)
		})
	}
}

func TestKVSetAcceptsJSON(t *testing.T) {
	for name, value := range map[string]string{
		"object": `{"a":{"b":[true,null]}}`,
		"array":  `[1,"two",3.5]`,
		"string": `"text"`,
		"number": `616581622363398142`,
		"null":   `null`,
		"spaces": ` { } `,
	} {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			_, err := store.KVSet("hello-world", "user1", "", "key", []byte(value))
			require.NoError(t, err)

			stored, err := store.KVGet("hello-world", "user1", "", "key")
			require.NoError(t, err)
			assert.Equal(t, value, string(stored), "values are stored byte for byte")
		})
	}
}

func TestKVSetSizeLimit(t *testing.T) {
	store, _, _ := newTestStore(t)
	atLimit := []byte(`"` + strings.Repeat("x", MaxKVValueBytes-2) + `"`)
	overLimit := []byte(`"` + strings.Repeat("x", MaxKVValueBytes-1) + `"`)

	_, err := store.KVSet("hello-world", "user1", "", "key", atLimit)
	require.NoError(t, err)

	_, err = store.KVSet("hello-world", "user1", "", "other", overLimit)
	require.ErrorIs(t, err, apps.ErrTooLarge)
	stored, err := store.KVGet("hello-world", "user1", "", "other")
	require.NoError(t, err)
	assert.Nil(t, stored)

	// Size is checked before JSON validity, so a huge invalid body is not parsed.
	_, err = store.KVSet("hello-world", "user1", "", "other", make([]byte, MaxKVValueBytes+1))
	require.ErrorIs(t, err, apps.ErrTooLarge)
}

func TestKVRejectsInvalidRequest(t *testing.T) {
	tests := map[string]struct {
		appID apps.AppID
		key   string
	}{
		"app id too short": {"ab", "key"},
		"app id w/ slash":  {"app/b", "key"},
		"missing key":      {"hello-world", ""},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			_, err := store.KVSet(test.appID, "user1", "", test.key, []byte(`1`))
			assert.ErrorIs(t, err, apps.ErrInvalidInput)
			_, err = store.KVGet(test.appID, "user1", "", test.key)
			assert.ErrorIs(t, err, apps.ErrInvalidInput)
			err = store.KVDelete(test.appID, "user1", "", test.key)
			assert.ErrorIs(t, err, apps.ErrInvalidInput)
		})
	}
}

func TestKVLongNamesFitPluginKey(t *testing.T) {
	store, _, _ := newTestStore(t)
	appID := apps.AppID(strings.Repeat("a", 32))
	long := strings.Repeat("é", 500)

	// MemoryStore rejects keys over model.KeyValueKeyMaxRunes, as the server does.
	_, err := store.KVSet(appID, long, long, long, []byte(`1`))
	require.NoError(t, err)

	key := appKVKey(appID, long, long, long)
	assert.LessOrEqual(t, utf8.RuneCountInString(key), model.KeyValueKeyMaxRunes)
	assert.True(t, strings.HasPrefix(key, "kv/"+string(appID)+"/"))
}

func TestKVDelete(t *testing.T) {
	store, _, _ := newTestStore(t)
	_, err := store.KVSet("hello-world", "user1", "p", "key", []byte(`1`))
	require.NoError(t, err)
	_, err = store.KVSet("hello-world", "user1", "p", "kept", []byte(`2`))
	require.NoError(t, err)

	require.NoError(t, store.KVDelete("hello-world", "user1", "p", "key"))

	value, err := store.KVGet("hello-world", "user1", "p", "key")
	require.NoError(t, err)
	assert.Nil(t, value)
	value, err = store.KVGet("hello-world", "user1", "p", "kept")
	require.NoError(t, err)
	assert.Equal(t, "2", string(value))
	require.NoError(t, store.KVDelete("hello-world", "user1", "p", "key"), "deleting a missing key is not an error")
}

func TestKVDeleteAll(t *testing.T) {
	store, _, _ := newTestStore(t)
	// A small page makes the listing cross pages that hold no key of the App.
	store.listPageSize = 3
	neighbours := []apps.AppID{"app_b", "app.b", "app-b", "apps"}
	type entry struct{ userID, prefix, key string }
	var entries []entry
	for _, user := range []string{"user1", "user2", ""} {
		for _, prefix := range []string{"", "p1", "p2"} {
			for _, key := range []string{"k1", "k2"} {
				entries = append(entries, entry{user, prefix, key})
			}
		}
	}
	for _, e := range entries {
		for _, appID := range append([]apps.AppID{"app"}, neighbours...) {
			_, err := store.KVSet(appID, e.userID, e.prefix, e.key, []byte(`"`+string(appID)+`"`))
			require.NoError(t, err)
		}
	}
	require.NoError(t, store.SaveApp(newTestApp("app")))
	require.NoError(t, store.SaveSession("app", &Session{UserID: model.NewId(), Token: "token"}))

	require.NoError(t, store.KVDeleteAll("app"))

	for _, e := range entries {
		value, err := store.KVGet("app", e.userID, e.prefix, e.key)
		require.NoError(t, err)
		assert.Nil(t, value, "app %+v", e)
		for _, appID := range neighbours {
			value, err := store.KVGet(appID, e.userID, e.prefix, e.key)
			require.NoError(t, err)
			assert.Equal(t, `"`+string(appID)+`"`, string(value), "%s %+v", appID, e)
		}
	}
	_, err := store.GetApp("app")
	assert.NoError(t, err, "the App record is not KV data")
	sessions, err := store.ListSessions("app")
	require.NoError(t, err)
	assert.Len(t, sessions, 1, "sessions are not KV data")

	require.NoError(t, store.KVDeleteAll("app"), "deleting no data is not an error")
	require.ErrorIs(t, store.KVDeleteAll("a/b"), apps.ErrInvalidInput)
}
