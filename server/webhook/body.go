package webhook

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// errBodyTooLarge: the request body is over the size cap.
var errBodyTooLarge = errors.New("request body is too large")

// initialBodyBuffer is the first buffer size for a body of unknown length.
const initialBodyBuffer = 64 << 10

// readBody reads the whole request body into one buffer. A declared length over limit fails with
// errBodyTooLarge before anything is read. A body that turns out longer than limit fails with
// errBodyTooLarge after limit+1 bytes, and the rest is left unread. A body of exactly limit bytes
// is accepted.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	declared := declaredLength(r)
	if declared > limit {
		return nil, errBodyTooLarge
	}
	if r.Body == nil {
		return []byte{}, nil
	}

	// With a known length, one allocation holds the whole body, and the extra byte leaves room to
	// see the end of the body without growing the buffer.
	capacity := min(limit+1, initialBodyBuffer)
	if declared >= 0 {
		capacity = declared + 1
	}
	body := make([]byte, 0, capacity)
	reader := io.LimitReader(r.Body, limit+1)
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
		n, err := reader.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrap(err, "failed to read the request body")
		}
	}

	if int64(len(body)) > limit {
		return nil, errBodyTooLarge
	}
	return body, nil
}

// declaredLength returns the length the sender declared, or -1 when unknown (a chunked body).
// Mattermost hands a request to a plugin without the ContentLength field but with its headers, so
// the Content-Length header is read when the field is not set. Go's HTTP server has already
// checked that header against the body and removed it from chunked requests.
func declaredLength(r *http.Request) int64 {
	if r.ContentLength > 0 {
		return r.ContentLength
	}
	if r.Body == nil || r.Body == http.NoBody {
		return 0
	}
	value := r.Header.Get("Content-Length")
	if value == "" {
		return -1
	}
	length, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || length < 0 {
		return -1
	}
	return length
}
