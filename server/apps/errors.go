package apps

import (
	"fmt"

	"github.com/pkg/errors"
)

// Sentinel errors for outcomes that map to an HTTP status or a user-facing message. Wrap them with
// context (errors.Wrapf(apps.ErrNotFound, "app %s", id)) and match them with errors.Is.
var (
	// ErrNotFound: the App, listing or key does not exist (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrInvalidInput: a request, manifest or value breaks a rule (HTTP 400).
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnauthorized: no valid credentials came with the request (HTTP 401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the caller is known but may not do this (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the request clashes with existing state, such as a username in use (HTTP 409).
	ErrConflict = errors.New("conflict")
	// ErrTooLarge: a body or value is over its size limit (HTTP 413).
	ErrTooLarge = errors.New("too large")
)

// Error is an error whose message is written for the admin or App author who reads it, while
// errors.Is still matches its sentinel and its cause. Unlike errors.Wrap, it does not append the
// sentinel's text, so a message that ends in advice does not end in ": invalid input".
type Error struct {
	message string
	wrapped []error
}

// NewError returns an Error with the formatted message that matches sentinel and, when not nil,
// cause.
func NewError(sentinel, cause error, format string, args ...any) *Error {
	wrapped := []error{sentinel}
	if cause != nil {
		wrapped = append(wrapped, cause)
	}
	return &Error{message: fmt.Sprintf(format, args...), wrapped: wrapped}
}

// Error returns the message.
func (e *Error) Error() string {
	return e.message
}

// Unwrap returns the sentinel and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	return e.wrapped
}
