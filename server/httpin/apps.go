package httpin

import (
	"encoding/json"
	"net/http"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// pingResponse encodes the body of POST /api/v1/ping once, so that ping costs no allocation
// beyond the response itself.
func pingResponse(version string) []byte {
	data, _ := json.Marshal(map[string]string{"version": version})
	return data
}

// ping returns the plugin version to any caller. It is the cheapest route, so benchmarks use it as
// the ceiling of what the plugin's HTTP path can serve.
func (rt *router) ping(w http.ResponseWriter) {
	writeRawJSON(w, http.StatusOK, rt.pingBody)
}

// getApp serves GET /api/v1/apps/{app_id}: the App record to any logged-in user, with the
// webhook and JWT secrets only for system admins.
func (rt *router) getApp(w http.ResponseWriter, r *http.Request) error {
	userID, err := requireUser(r)
	if err != nil {
		return err
	}

	app, err := rt.Store.GetApp(apps.AppID(r.PathValue("app_id")))
	if err != nil {
		return err
	}

	if !rt.Installer.IsSystemAdmin(userID) {
		app = app.Sanitized()
	}
	writeJSON(w, http.StatusOK, app)
	return nil
}

// getBindings serves GET /api/v1/bindings. Mattermost clients with the Apps feature flag poll it;
// this plugin provides no App UI, so the list is always empty.
func (rt *router) getBindings(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	writeRawJSON(w, http.StatusOK, []byte("[]"))
	return nil
}
