// Package httpin routes the HTTP requests that Mattermost passes to the plugin: webhook requests
// to the webhook service, and the REST API under /api/v1. It holds the single mapping from errors
// to HTTP status codes.
package httpin

import (
	"net/http"
	"strings"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// headerUserID is set by the Mattermost server to the id of the session's user, and only for a
// valid session; clients cannot set it themselves.
const headerUserID = "Mattermost-User-Id"

// Route prefixes of plugin request paths, from which Mattermost has already removed
// /plugins/com.mattermost.apps.
const (
	appsPrefix    = "/apps/"
	webhookPrefix = "/webhook"
	apiPrefix     = "/api/v1/"
	pingPath      = "/api/v1/ping"
)

// Body limits of the REST API. Manifests have their own limit, apps.MaxManifestBytes.
const maxRequestBytes = 64 << 10

// Deps are the services the router sends requests to.
type Deps struct {
	Installer Installer
	Store     Store
	Webhooks  WebhookHandler
	Log       Logger
	// Version is the plugin version that POST /api/v1/ping returns.
	Version string
}

type router struct {
	Deps
	api      *http.ServeMux
	pingBody []byte
}

// NewRouter returns the handler for every request that Mattermost passes to the plugin's
// ServeHTTP. Paths arrive without the /plugins/com.mattermost.apps prefix.
func NewRouter(deps Deps) http.Handler {
	rt := &router{
		Deps:     deps,
		api:      http.NewServeMux(),
		pingBody: pingResponse(deps.Version),
	}
	rt.registerAPI()
	return rt
}

// ServeHTTP routes webhook paths by hand, because http.ServeMux responds to unclean paths such as
// /webhook//a with a 301 redirect, which webhook senders do not follow.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path

	if path == pingPath && r.Method == http.MethodPost {
		rt.ping(w)
		return
	}

	if strings.HasPrefix(path, appsPrefix) {
		appID, subPath, ok := parseWebhookPath(path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		rt.Webhooks.Handle(w, r, appID, subPath)
		return
	}

	if strings.HasPrefix(path, apiPrefix) {
		rt.serveAPI(w, r)
		return
	}

	http.NotFound(w, r)
}

// parseWebhookPath splits /apps/{app_id}/webhook[/{sub_path}] into the App id and the sub path
// (the text after "/webhook/", see WebhookHandler). ok is false for any other path, such as
// /apps/{app_id}/my-webhook.
func parseWebhookPath(path string) (appID apps.AppID, subPath string, ok bool) {
	rest, found := strings.CutPrefix(path, appsPrefix)
	if !found {
		return "", "", false
	}
	id, rest, found := strings.Cut(rest, "/")
	if !found || id == "" {
		return "", "", false
	}
	rest, found = strings.CutPrefix(rest, webhookPrefix[1:])
	if !found {
		return "", "", false
	}
	if rest == "" {
		return apps.AppID(id), "", true
	}
	subPath, found = strings.CutPrefix(rest, "/")
	if !found {
		// For example /apps/x/webhooks.
		return "", "", false
	}
	return apps.AppID(id), subPath, true
}

// serveAPI serves the REST API through the ServeMux, but responds to unknown routes and wrong
// methods itself so that every /api/v1 error has a JSON body.
func (rt *router) serveAPI(w http.ResponseWriter, r *http.Request) {
	if _, pattern := rt.api.Handler(r); pattern != "" {
		rt.api.ServeHTTP(w, r)
		return
	}

	allowed := rt.allowedMethods(r)
	if len(allowed) == 0 {
		writeError(w, r, rt.Log, newError(apps.ErrNotFound, "no API route %s", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method " + r.Method + " is not allowed: use " + strings.Join(allowed, " or ")})
}

// apiMethods are the methods the REST API serves, in the order an Allow header lists them.
var apiMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete}

func (rt *router) allowedMethods(r *http.Request) []string {
	var allowed []string
	for _, method := range apiMethods {
		probe := *r
		probe.Method = method
		if _, pattern := rt.api.Handler(&probe); pattern != "" {
			allowed = append(allowed, method)
		}
	}
	return allowed
}
