package httpin

import (
	"net/http"
	"testing"

	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

// newRealStoreEnv returns a router on the real store over the in-memory KV store of pluginapi.
func newRealStoreEnv() (*testEnv, *store.Store) {
	env := newKVEnv()
	realStore := store.New(&pluginapi.MemoryStore{})
	env.router = NewRouter(Deps{
		Installer: env.installer,
		Store:     realStore,
		Webhooks:  env.webhooks,
		Log:       env.log,
		Version:   "1.2.3",
	})
	return env, realStore
}

func TestRealStoreListingThenInstall(t *testing.T) {
	env, realStore := newRealStoreEnv()
	env.installer.installApp = &apps.App{Manifest: apps.Manifest{AppID: "hello.world_1"}}

	w := env.serve(request{method: http.MethodPost, path: "/api/v1/update-app-listing", userID: adminID, body: body(validManifest)})
	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	listed, err := realStore.GetListing("hello.world_1")
	require.NoError(t, err)
	assert.Equal(t, "Hello, world!", listed.DisplayName)

	w = env.serve(request{method: http.MethodPost, path: "/api/v1/install-app", userID: adminID, body: body(`{"app_id":"hello.world_1","deploy_type":"http"}`)})
	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	require.Len(t, env.installer.installReqs, 1)
	assert.Equal(t, listed, env.installer.installReqs[0].Manifest)

	w = env.serve(request{method: http.MethodPost, path: "/api/v1/install-app", userID: adminID, body: body(`{"app_id":"not-listed"}`)})
	assert.Equal(t, http.StatusNotFound, w.Code)
}

func TestRealStoreKV(t *testing.T) {
	env, _ := newRealStoreEnv()

	w := env.serve(request{path: "/api/v1/kv/p/k", sessionID: botSession})
	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	assert.Equal(t, `{}`, w.Body.String())

	w = env.serve(request{method: http.MethodPut, path: "/api/v1/kv/p/k", sessionID: botSession, body: body(`{"id":616581622363398142}`)})
	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	assert.JSONEq(t, `{"changed":true}`, w.Body.String())

	w = env.serve(request{path: "/api/v1/kv/p/k", sessionID: botSession})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{"id":616581622363398142}`, w.Body.String())

	w = env.serve(request{path: "/api/v1/kv/p/k", sessionID: userSession})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{}`, w.Body.String(), "another user of the same App has separate data")

	w = env.serve(request{path: "/api/v1/kv/k", sessionID: botSession})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{}`, w.Body.String(), "another prefix has separate data")

	w = env.serve(request{method: http.MethodDelete, path: "/api/v1/kv/p/k", sessionID: botSession})
	require.Equal(t, http.StatusOK, w.Code)

	w = env.serve(request{path: "/api/v1/kv/p/k", sessionID: botSession})
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{}`, w.Body.String())
}
