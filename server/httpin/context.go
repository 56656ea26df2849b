package httpin

import "context"

type sessionIDKey struct{}

// WithSessionID returns a copy of ctx that carries the Mattermost session id of the request
// (plugin.Context.SessionId). The server sets it only for a valid session.
func WithSessionID(ctx context.Context, sessionID string) context.Context {
	return context.WithValue(ctx, sessionIDKey{}, sessionID)
}

// SessionID returns the session id stored by WithSessionID, or "" when there is none.
func SessionID(ctx context.Context) string {
	sessionID, _ := ctx.Value(sessionIDKey{}).(string)
	return sessionID
}
