//go:build e2e

package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kvValueLimitBytes is the documented maximum size of one App KV value: 1 MiB.
const kvValueLimitBytes = 1 << 20

// jsonStringOfSize returns a JSON string literal of exactly size bytes, quotes included.
func jsonStringOfSize(size int) []byte {
	return []byte(`"` + strings.Repeat("k", size-2) + `"`)
}

// TestKVValueSizeLimit checks the App KV store's size limit at its edge with the bot token of an
// installed App, and that a rejected value leaves the stored value unchanged.
func TestKVValueSizeLimit(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installTestApp(t, env, app, uniqueAppID(t, "kvlimit"))
	installCalls := app.callsTo(installPath)
	requireCallCount(t, installCalls, 1, "on_install calls")
	token := botToken(t, installCalls[0])
	path := kvPath("e2e", "big")
	atLimit := jsonStringOfSize(kvValueLimitBytes)

	// assertStored compares without printing the values, which are 1 MiB long.
	assertStored := func(t *testing.T, message string) {
		t.Helper()
		status, raw := kvRequest(t, env, http.MethodGet, path, token, nil)
		require.Equal(t, http.StatusOK, status, "KV GET: %s", raw)
		assert.Equal(t, len(atLimit), len(raw), "%s: length of the stored value", message)
		assert.True(t, bytes.Equal(atLimit, raw), "%s: the stored value differs from the value at the limit", message)
	}

	t.Run("value at the limit", func(t *testing.T) {
		status, raw := kvRequest(t, env, http.MethodPut, path, token, atLimit)
		require.Equal(t, http.StatusOK, status, "KV PUT of %d bytes: %s", len(atLimit), raw)
		assertStored(t, "after PUT")
	})

	t.Run("value over the limit", func(t *testing.T) {
		// The value is valid JSON, so only its size can cause the rejection.
		overLimit := jsonStringOfSize(kvValueLimitBytes + 5)
		status, raw := kvRequest(t, env, http.MethodPut, path, token, overLimit)
		assert.Equal(t, http.StatusRequestEntityTooLarge, status, "KV PUT of %d bytes: %s", len(overLimit), raw)
		assertStored(t, "after the rejected PUT")
	})

	t.Run("value not JSON", func(t *testing.T) {
		status, raw := kvRequest(t, env, http.MethodPut, path, token, []byte(`{"unterminated": `))
		assert.Equal(t, http.StatusBadRequest, status, "KV PUT of a value that is not JSON: %s", raw)
		assertStored(t, "after the rejected PUT")
	})
}
