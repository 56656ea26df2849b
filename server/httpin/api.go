package httpin

import (
	"net/http"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// apiHandler serves one REST route. A returned error is written by writeError.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

func (rt *router) registerAPI() {
	rt.api.HandleFunc("POST "+pingPath, func(w http.ResponseWriter, _ *http.Request) { rt.ping(w) })

	rt.handle("POST /api/v1/update-app-listing", rt.updateAppListing)
	rt.handle("POST /api/v1/install-app", rt.installApp)
	rt.handle("POST /api/v1/uninstall-app", rt.uninstallApp)
	rt.handle("POST /api/v1/enable-app", rt.enableApp)
	rt.handle("POST /api/v1/disable-app", rt.disableApp)

	rt.handle("GET /api/v1/apps/{app_id}", rt.getApp)
	rt.handle("GET /api/v1/bindings", rt.getBindings)

	for _, path := range []string{"/api/v1/kv/{key}", "/api/v1/kv/{prefix}/{key}"} {
		rt.handle("GET "+path, rt.kvGet)
		rt.handle("PUT "+path, rt.kvSet)
		rt.handle("POST "+path, rt.kvSet)
		rt.handle("DELETE "+path, rt.kvDelete)
	}
}

func (rt *router) handle(pattern string, handler apiHandler) {
	rt.api.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := handler(w, r); err != nil {
			writeError(w, r, rt.Log, err)
		}
	})
}

// requireUser returns the id of the logged-in user, or apps.ErrUnauthorized for an anonymous
// request.
func requireUser(r *http.Request) (string, error) {
	userID := r.Header.Get(headerUserID)
	if userID == "" {
		return "", newError(apps.ErrUnauthorized, "authentication required: log in to Mattermost or send a Mattermost token")
	}
	return userID, nil
}

// requireSystemAdmin returns the id of the logged-in user if that user is a system admin.
// action completes the message "only system admins can ...".
func (rt *router) requireSystemAdmin(r *http.Request, action string) (string, error) {
	userID, err := requireUser(r)
	if err != nil {
		return "", err
	}
	if !rt.Installer.IsSystemAdmin(userID) {
		return "", newError(apps.ErrForbidden, "only system admins can %s", action)
	}
	return userID, nil
}
