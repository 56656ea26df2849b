package webhook

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
)

// The fixed bodies of the responses to senders. They never contain the secret, the App's URL or
// an internal error, which go to the server log instead.
const (
	msgMethodNotAllowed = "Method not allowed. Use POST, PUT, PATCH, DELETE, GET or HEAD."
	msgNotFound         = "Webhook not found."
	msgForbidden        = "This app is not allowed to receive webhooks."
	msgUnauthorized     = "Missing or invalid webhook secret."
	msgTooLarge         = "Request body is too large."
	msgBadRequest       = "Failed to read the request body."
	msgBadGateway       = "The app failed to process the webhook."
	msgGatewayTimeout   = "The app did not respond in time."
	msgInternalError    = "The webhook could not be delivered because of a server error."
	msgBusy             = "The server is receiving too many large webhooks at once. Retry later."
)

// retryAfterSeconds is the Retry-After header of a 503 response to a sender: long enough for the
// requests in flight to free their bodies.
const retryAfterSeconds = "1"

// allowHeader lists the methods the endpoint accepts, in the Allow header of a 405 response.
const allowHeader = "DELETE, GET, HEAD, PATCH, POST, PUT"

func isAllowedMethod(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodGet, http.MethodHead:
		return true
	}
	return false
}

func messageOf(status int) string {
	switch status {
	case http.StatusNotFound:
		return msgNotFound
	case http.StatusForbidden:
		return msgForbidden
	case http.StatusRequestEntityTooLarge:
		return msgTooLarge
	case http.StatusBadRequest:
		return msgBadRequest
	case http.StatusServiceUnavailable:
		return msgBusy
	}
	return msgInternalError
}

// reject responds to a request that does not reach the App, and logs it at debug level because
// scanners and misconfigured senders would flood any louder level.
func (s *Service) reject(w http.ResponseWriter, r *http.Request, appID apps.AppID, status int, message string) {
	s.log.Debug("Rejected webhook request", "app_id", string(appID), "status", status, "method", r.Method)
	writeError(w, status, message)
}

func writeError(w http.ResponseWriter, status int, message string) {
	http.Error(w, message, status)
}

// respond writes the sender's response for the outcome of the call and returns its status.
func (s *Service) respond(w http.ResponseWriter, resp *apps.CallResponse, err error) int {
	switch {
	case errors.Is(err, upstream.ErrTimeout):
		writeError(w, http.StatusGatewayTimeout, msgGatewayTimeout)
		return http.StatusGatewayTimeout
	case err != nil, resp.IsError():
		writeError(w, http.StatusBadGateway, msgBadGateway)
		return http.StatusBadGateway
	}

	header := w.Header()
	header.Set("X-Content-Type-Options", "nosniff")
	switch {
	case hasData(resp.Data):
		writeBody(w, "application/json", resp.Data)
	case resp.Text != "":
		writeBody(w, "text/plain; charset=utf-8", []byte(resp.Text))
	default:
		w.WriteHeader(http.StatusOK)
	}
	return http.StatusOK
}

// hasData reports whether an App's response has data. "data": null counts as none.
func hasData(data []byte) bool {
	trimmed := bytes.TrimSpace(data)
	return len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null"))
}

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	// A write error means that the sender has disconnected, so there is no one to report it to.
	_, _ = w.Write(body)
}

// logDelivery logs a failed delivery at warn level, because the admin can act on it. A successful
// one is logged at debug level only in developer mode, because every plugin log call is a
// synchronous RPC to the server, whatever the server's log level. In the load test of
// docs/benchmarks.md, the two log calls a delivery used to make took about a quarter of the
// plugin's CPU for 1 KiB bodies. A sender that hung up is not the App's failure.
func (s *Service) logDelivery(r *http.Request, app *apps.App, subPath string, status int, duration time.Duration, resp *apps.CallResponse, err error, developerMode bool) {
	if status == http.StatusOK && !developerMode {
		return
	}
	keyValues := []any{
		"app_id", string(app.AppID),
		"sub_path", subPath,
		"status", status,
		"duration_ms", duration.Milliseconds(),
	}
	switch {
	case status == http.StatusOK:
		s.log.Debug("Delivered webhook", keyValues...)
	case errors.Is(r.Context().Err(), context.Canceled):
		s.log.Debug("Webhook sender disconnected before the app responded", append(keyValues, "error", errorText(resp, err))...)
	default:
		s.log.Warn("Failed to deliver webhook to app", append(keyValues, "error", errorText(resp, err))...)
	}
}

// errorText describes a failed call without the App's own text, which may quote the request.
func errorText(resp *apps.CallResponse, err error) string {
	if err != nil {
		return err.Error()
	}
	if resp != nil && resp.IsError() {
		return "the app returned an error response"
	}
	return ""
}
