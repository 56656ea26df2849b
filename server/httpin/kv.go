package httpin

import (
	"encoding/json"
	"net/http"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

// kvCaller is the App and the user that an App token belongs to.
type kvCaller struct {
	appID  apps.AppID
	userID string
}

// requireApp accepts only App tokens: Mattermost sessions that the plugin created for an App.
// Any other request, including a logged-in user's browser session, gets apps.ErrUnauthorized.
func (rt *router) requireApp(r *http.Request) (kvCaller, error) {
	sessionID := SessionID(r.Context())
	if sessionID == "" {
		return kvCaller{}, newError(apps.ErrUnauthorized, "an App token is required: send Authorization: Bearer <token> with the bot or user token that the plugin gave the App")
	}

	appID, userID, err := rt.Installer.AppOfSession(sessionID)
	if errors.Is(err, apps.ErrUnauthorized) || errors.Is(err, apps.ErrNotFound) {
		return kvCaller{}, newError(apps.ErrUnauthorized, "an App token is required: this token does not belong to an App")
	}
	if err != nil {
		return kvCaller{}, errors.Wrap(err, "failed to look up the App of a session")
	}
	return kvCaller{appID: appID, userID: userID}, nil
}

// kvGet serves GET /api/v1/kv/[{prefix}/]{key}: the stored JSON value, or {} when there is none,
// as the original Apps plugin returned.
func (rt *router) kvGet(w http.ResponseWriter, r *http.Request) error {
	caller, err := rt.requireApp(r)
	if err != nil {
		return err
	}

	value, err := rt.Store.KVGet(caller.appID, caller.userID, r.PathValue("prefix"), r.PathValue("key"))
	if err != nil {
		return errors.Wrapf(err, "failed to read KV value of app %s", caller.appID)
	}
	if value == nil {
		value = []byte("{}")
	}
	writeRawJSON(w, http.StatusOK, value)
	return nil
}

// kvSet serves PUT and POST /api/v1/kv/[{prefix}/]{key}. The body must be JSON of at most
// store.MaxKVValueBytes. The response reports whether the stored value changed.
func (rt *router) kvSet(w http.ResponseWriter, r *http.Request) error {
	caller, err := rt.requireApp(r)
	if err != nil {
		return err
	}

	value, err := readBody(r, store.MaxKVValueBytes)
	if err != nil {
		return err
	}
	if !json.Valid(value) {
		return newError(apps.ErrInvalidInput, "invalid KV value: the request body must be JSON")
	}

	changed, err := rt.Store.KVSet(caller.appID, caller.userID, r.PathValue("prefix"), r.PathValue("key"), value)
	if err != nil {
		return errors.Wrapf(err, "failed to store KV value of app %s", caller.appID)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"changed": changed})
	return nil
}

// kvDelete serves DELETE /api/v1/kv/[{prefix}/]{key}. Deleting a missing key succeeds.
func (rt *router) kvDelete(w http.ResponseWriter, r *http.Request) error {
	caller, err := rt.requireApp(r)
	if err != nil {
		return err
	}

	if err := rt.Store.KVDelete(caller.appID, caller.userID, r.PathValue("prefix"), r.PathValue("key")); err != nil {
		return errors.Wrapf(err, "failed to delete KV value of app %s", caller.appID)
	}
	writeRawJSON(w, http.StatusOK, []byte("{}"))
	return nil
}
