package install

// userError is an error whose message is meant for the admin as it is, while errors.Is still
// matches the sentinel (apps.ErrInvalidInput, apps.ErrForbidden, ...) that sets the HTTP status,
// and the cause, if any.
type userError struct {
	message string
	wrapped []error
}

// newUserError returns an error with the given message that wraps the sentinel and the cause.
func newUserError(message string, sentinel error, causes ...error) error {
	wrapped := []error{sentinel}
	for _, cause := range causes {
		if cause != nil {
			wrapped = append(wrapped, cause)
		}
	}
	return &userError{message: message, wrapped: wrapped}
}

func (e *userError) Error() string {
	return e.message
}

func (e *userError) Unwrap() []error {
	return e.wrapped
}
