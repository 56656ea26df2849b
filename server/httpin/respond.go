package httpin

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// writeJSON writes value as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, value any) {
	data, err := json.Marshal(value)
	if err != nil {
		// Only a programming error gets here: every value written is a plain struct or map.
		http.Error(w, internalErrorMessage, http.StatusInternalServerError)
		return
	}
	writeRawJSON(w, status, data)
}

// writeRawJSON writes bytes that are already JSON.
func writeRawJSON(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// readBody reads the whole request body, or fails with apps.ErrTooLarge when it is longer than
// maxBytes. A declared Content-Length over the limit fails before anything is read.
func readBody(r *http.Request, maxBytes int64) ([]byte, error) {
	if r.ContentLength > maxBytes {
		return nil, newError(apps.ErrTooLarge, "request body of %d bytes is over the limit of %d bytes", r.ContentLength, maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return nil, errors.Wrap(err, "failed to read request body")
	}
	if int64(len(data)) > maxBytes {
		return nil, newError(apps.ErrTooLarge, "request body is over the limit of %d bytes", maxBytes)
	}
	return data, nil
}

// decodeBody reads a JSON request body of at most maxBytes into out.
func decodeBody(r *http.Request, maxBytes int64, out any) error {
	data, err := readBody(r, maxBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return newError(apps.ErrInvalidInput, "invalid JSON in request body: %v", err)
	}
	return nil
}
