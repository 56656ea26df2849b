//go:build e2e

package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServerPing(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)

	var ping struct {
		Status string `json:"status"`
	}
	status, raw := client.doJSON(t, http.MethodGet, "/api/v4/system/ping", nil, &ping)
	require.Equal(t, http.StatusOK, status, "ping response: %s", raw)
	require.Equal(t, "OK", ping.Status)
}

func TestPluginIsActive(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)

	require.Contains(t, client.activePluginIDs(t), pluginID,
		"the server does not list %s as active; see %s", pluginID, env.serverLogPath())
}
