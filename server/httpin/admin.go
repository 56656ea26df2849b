package httpin

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
)

// installAppRequest is the body of POST /api/v1/install-app. The field names follow the App
// record of the original Apps plugin, whose client sends the record with only app_id and
// deploy_type set.
type installAppRequest struct {
	AppID      apps.AppID      `json:"app_id"`
	DeployType apps.DeployType `json:"deploy_type"`
	// JWTSecret is the secret that signs calls to an App that sets http.use_jwt.
	JWTSecret string `json:"secret"`
	// ChannelID and TeamID become the context of the App's on_install call.
	ChannelID string `json:"channel_id"`
	TeamID    string `json:"team_id"`
}

// installAppResponse is the body of a successful POST /api/v1/install-app. App includes the
// secrets, because only system admins can install.
type installAppResponse struct {
	App  *apps.App `json:"app"`
	Text string    `json:"text"`
}

// appIDRequest is the body of POST /api/v1/uninstall-app, enable-app and disable-app.
type appIDRequest struct {
	AppID apps.AppID `json:"app_id"`
}

// lifecycleResponse is the body of a successful uninstall, enable or disable: the App's text
// from its on_uninstall, on_enable or on_disable call, which may be empty.
type lifecycleResponse struct {
	Text string `json:"text"`
}

// updateAppListing serves POST /api/v1/update-app-listing: it validates a manifest and stores it
// as a listing that POST /api/v1/install-app can then install. It returns the stored manifest.
func (rt *router) updateAppListing(w http.ResponseWriter, r *http.Request) error {
	if _, err := rt.requireSystemAdmin(r, "update app listings"); err != nil {
		return err
	}

	data, err := readBody(r, apps.MaxManifestBytes)
	if err != nil {
		return err
	}
	manifest, err := decodeListing(data)
	if err != nil {
		return err
	}

	if err := rt.Store.SaveListing(manifest); err != nil {
		return errors.Wrapf(err, "failed to store the listing of app %s", manifest.AppID)
	}
	writeJSON(w, http.StatusOK, manifest)
	return nil
}

// decodeListing decodes the body of update-app-listing. The original Apps plugin takes the
// manifest itself, with its listing options (replace, add_deploys, remove_deploys) as extra
// fields, which are ignored here. A body of the form {"manifest": {...}} is accepted as well.
func decodeListing(data []byte) (*apps.Manifest, error) {
	var envelope struct {
		AppID    apps.AppID      `json:"app_id"`
		Manifest json.RawMessage `json:"manifest"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return nil, newError(apps.ErrInvalidInput, "invalid JSON in request body: %v", err)
	}
	if envelope.AppID == "" && len(envelope.Manifest) > 0 {
		data = envelope.Manifest
	}

	manifest, err := apps.DecodeManifest(data)
	if err != nil {
		return nil, newError(apps.ErrInvalidInput, "%v", err)
	}
	return manifest, nil
}

// installApp serves POST /api/v1/install-app: it installs the listed manifest of an App.
func (rt *router) installApp(w http.ResponseWriter, r *http.Request) error {
	userID, err := rt.requireSystemAdmin(r, "install apps")
	if err != nil {
		return err
	}

	var input installAppRequest
	if err := decodeBody(r, maxRequestBytes, &input); err != nil {
		return err
	}
	if err := validateInstallRequest(&input); err != nil {
		return err
	}

	manifest, err := rt.Store.GetListing(input.AppID)
	if errors.Is(err, apps.ErrNotFound) {
		return newError(apps.ErrNotFound, "app %s has no listing: POST its manifest to /api/v1/update-app-listing first", input.AppID)
	}
	if err != nil {
		return errors.Wrapf(err, "failed to load the listing of app %s", input.AppID)
	}

	app, text, err := rt.Installer.Install(r.Context(), install.Request{
		Manifest:     manifest,
		JWTSecret:    input.JWTSecret,
		ActingUserID: userID,
		ChannelID:    input.ChannelID,
		TeamID:       input.TeamID,
	})
	if err != nil {
		return errors.Wrapf(err, "failed to install app %s", input.AppID)
	}
	writeJSON(w, http.StatusOK, installAppResponse{App: app, Text: text})
	return nil
}

func validateInstallRequest(input *installAppRequest) error {
	if input.AppID == "" {
		return newError(apps.ErrInvalidInput, "app_id is missing")
	}
	if input.DeployType != "" && input.DeployType != apps.DeployHTTP {
		return newError(apps.ErrInvalidInput, "invalid deploy_type %q of app %s: only %q is supported", input.DeployType, input.AppID, apps.DeployHTTP)
	}
	return nil
}

// lifecycleOperation is Installer.Uninstall, Enable or Disable.
type lifecycleOperation func(ctx context.Context, actingUserID string, id apps.AppID) (string, error)

func (rt *router) uninstallApp(w http.ResponseWriter, r *http.Request) error {
	return rt.runLifecycle(w, r, "uninstall", rt.Installer.Uninstall)
}

func (rt *router) enableApp(w http.ResponseWriter, r *http.Request) error {
	return rt.runLifecycle(w, r, "enable", rt.Installer.Enable)
}

func (rt *router) disableApp(w http.ResponseWriter, r *http.Request) error {
	return rt.runLifecycle(w, r, "disable", rt.Installer.Disable)
}

// runLifecycle serves a POST {"app_id"} that uninstalls, enables or disables an App. verb is
// the operation's name for messages.
func (rt *router) runLifecycle(w http.ResponseWriter, r *http.Request, verb string, operation lifecycleOperation) error {
	userID, err := rt.requireSystemAdmin(r, verb+" apps")
	if err != nil {
		return err
	}

	var input appIDRequest
	if err := decodeBody(r, maxRequestBytes, &input); err != nil {
		return err
	}
	if input.AppID == "" {
		return newError(apps.ErrInvalidInput, "app_id is missing")
	}

	text, err := operation(r.Context(), userID, input.AppID)
	if err != nil {
		return errors.Wrapf(err, "failed to %s app %s", verb, input.AppID)
	}
	writeJSON(w, http.StatusOK, lifecycleResponse{Text: text})
	return nil
}
