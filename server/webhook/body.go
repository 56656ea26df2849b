package webhook

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pkg/errors"
)

// errBodyTooLarge: the request body is over the size cap.
var errBodyTooLarge = errors.New("request body is too large")

// errBusy: the bodies of the requests in flight already use the whole memory budget.
var errBusy = errors.New("too many webhook bodies in memory")

// inFlightBodiesPerCap sets the memory budget for the bodies of all requests in flight, as a
// multiple of the body size cap: with the default 32 MiB cap, at most 256 MiB of bodies are held
// at once. Each request holds its body until the App has responded, so without a budget many
// large requests at once could exhaust the plugin's memory.
const inFlightBodiesPerCap = 8

// bodyBudget counts the bytes of request bodies held in memory by all requests in flight. It uses
// one atomic counter and no lock, so a request never blocks on another one's reservation.
type bodyBudget struct {
	used atomic.Int64
}

// reserve takes n bytes of the budget and reports whether they fit under limit. Two requests
// that reserve at the same moment may both be refused where one would fit; that errs on the
// side of memory.
func (b *bodyBudget) reserve(n, limit int64) bool {
	if b.used.Add(n) > limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *bodyBudget) release(n int64) {
	b.used.Add(-n)
}

// initialBodyBuffer is the first buffer size for a body of unknown length.
const initialBodyBuffer = 64 << 10

// readBody reads the whole request body into one buffer. A declared length over limit fails with
// errBodyTooLarge before anything is read. A body that turns out longer than limit fails with
// errBodyTooLarge after limit+1 bytes, and the rest is left unread. A body of exactly limit bytes
// is accepted. Every buffer allocation is first reserved with reserve; when that fails, readBody
// fails with errBusy. It returns the bytes reserved, which the caller releases when it no longer
// holds the body, also after an error.
func readBody(r *http.Request, limit int64, reserve func(n int64) bool) (body []byte, reserved int64, err error) {
	declared := declaredLength(r)
	if declared > limit {
		return nil, 0, errBodyTooLarge
	}
	if r.Body == nil {
		return []byte{}, 0, nil
	}

	// With a known length, one allocation holds the whole body, and the extra byte leaves room to
	// see the end of the body without growing the buffer.
	capacity := min(limit+1, initialBodyBuffer)
	if declared >= 0 {
		capacity = declared + 1
	}
	if !reserve(capacity) {
		return nil, 0, errBusy
	}
	reserved = capacity
	body = make([]byte, 0, capacity)
	reader := io.LimitReader(r.Body, limit+1)
	for {
		if len(body) == cap(body) {
			grown := append(body, 0)[:len(body)]
			growth := int64(cap(grown) - cap(body))
			if !reserve(growth) {
				return nil, reserved, errBusy
			}
			reserved += growth
			body = grown
		}
		n, err := reader.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, reserved, errors.Wrap(err, "failed to read the request body")
		}
	}

	if int64(len(body)) > limit {
		return nil, reserved, errBodyTooLarge
	}
	return body, reserved, nil
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
