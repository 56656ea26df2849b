package apps

import "github.com/pkg/errors"

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
