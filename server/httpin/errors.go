package httpin

import (
	"fmt"
	"net/http"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// internalErrorMessage is the whole body text of a 500: internal error text goes to the log only.
const internalErrorMessage = "internal error: see the Mattermost server log for details"

// statusError is an error with a message written for the caller that matches one of the apps
// sentinel errors, without the sentinel's text appended to the message.
type statusError struct {
	sentinel error
	message  string
}

func (e *statusError) Error() string { return e.message }

func (e *statusError) Is(target error) bool { return target == e.sentinel }

// newError returns an error that matches sentinel with errors.Is and whose text is the formatted
// message alone.
func newError(sentinel error, format string, args ...any) error {
	return &statusError{sentinel: sentinel, message: fmt.Sprintf(format, args...)}
}

// statusCodes maps the sentinel errors to HTTP status codes, checked in this order.
var statusCodes = []struct {
	sentinel error
	status   int
}{
	{apps.ErrNotFound, http.StatusNotFound},
	{apps.ErrInvalidInput, http.StatusBadRequest},
	{apps.ErrUnauthorized, http.StatusUnauthorized},
	{apps.ErrForbidden, http.StatusForbidden},
	{apps.ErrConflict, http.StatusConflict},
	{apps.ErrTooLarge, http.StatusRequestEntityTooLarge},
}

// statusOf returns the HTTP status for an error: the status of the first sentinel it matches,
// or 500.
func statusOf(err error) int {
	for _, entry := range statusCodes {
		if errors.Is(err, entry.sentinel) {
			return entry.status
		}
	}
	return http.StatusInternalServerError
}

// writeError is the single place where the REST API turns an error into a response. The body is
// {"error": "<message>"}. A 500 carries a fixed message and the error is logged instead, because
// its text may hold internal details.
func writeError(w http.ResponseWriter, r *http.Request, log Logger, err error) {
	status := statusOf(err)
	message := err.Error()
	if status == http.StatusInternalServerError {
		log.Error("failed to handle API request",
			"path", r.URL.Path,
			"user_id", r.Header.Get(headerUserID),
			"error", err.Error(),
		)
		message = internalErrorMessage
	} else {
		log.Debug("rejected API request",
			"path", r.URL.Path,
			"user_id", r.Header.Get(headerUserID),
			"status", status,
			"error", err.Error(),
		)
	}
	writeJSON(w, status, errorBody{Error: message})
}

type errorBody struct {
	Error string `json:"error"`
}
