package install

import "github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"

// newUserError returns an error whose message is meant for the admin as it is, while errors.Is
// still matches the sentinel (apps.ErrInvalidInput, apps.ErrForbidden, ...) that sets the HTTP
// status, and the cause when it is not nil.
func newUserError(message string, sentinel, cause error) error {
	return apps.NewError(sentinel, cause, "%s", message)
}
