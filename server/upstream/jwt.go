package upstream

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// JWTLifetime is how long the JWT of a call stays valid.
const JWTLifetime = 15 * time.Minute

// Claims are the claims of the JWT that signs a call to an App that sets http.use_jwt: "exp", and
// "acting_user_id" when the call has an acting user (the App's bot for webhook calls).
type Claims struct {
	jwt.RegisteredClaims
	ActingUserID string `json:"acting_user_id,omitempty"`
}

// signJWT returns an HS256 JWT signed with the App's JWT secret.
func signJWT(app *apps.App, actingUserID string, now time.Time) (string, error) {
	if app.JWTSecret == "" {
		return "", errors.Errorf("app %s sets http.use_jwt but has no JWT secret: install it again with its secret", app.AppID)
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			ExpiresAt: jwt.NewNumericDate(now.Add(JWTLifetime)),
		},
		ActingUserID: actingUserID,
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(app.JWTSecret))
	if err != nil {
		return "", errors.Wrapf(err, "failed to sign the JWT of a call to app %s", app.AppID)
	}
	return token, nil
}
