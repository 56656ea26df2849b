package install

import (
	"context"
	"fmt"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// appFailure is an App's response of type "error".
type appFailure struct {
	text string
}

func (f *appFailure) Error() string {
	if f.text == "" {
		return "the App returned an error with no text"
	}
	return f.text
}

// Uninstall calls on_uninstall, deactivates the bot, revokes the App's tokens, deletes its KV data
// and deletes the App record with its secrets. A failed on_uninstall is logged and does not stop
// the uninstall. It returns the App's text from on_uninstall, or a sentence saying that the call
// failed.
func (s *Service) Uninstall(ctx context.Context, actingUserID string, id apps.AppID) (string, error) {
	app, unlock, err := s.loadForChange(ctx, actingUserID, id, "uninstall")
	if err != nil {
		return "", err
	}
	defer unlock()

	message := s.callLifecycleLogged(ctx, app, app.OnUninstall, "on_uninstall", actingUserID, "uninstalled")

	if err = s.deactivateBot(app); err != nil {
		return "", err
	}
	if err = s.revokeAppTokens(id); err != nil {
		return "", errors.Wrapf(err, "failed to uninstall app %s", id)
	}
	if err = s.store.KVDeleteAll(id); err != nil {
		return "", errors.Wrapf(err, "failed to delete the KV data of app %s", id)
	}
	if err = s.store.DeleteApp(id); err != nil {
		return "", errors.Wrapf(err, "failed to delete app %s", id)
	}

	s.log.Info("Uninstalled app", "app_id", id, "user_id", actingUserID, "version", app.Version)
	return message, nil
}

// Enable enables a disabled App and calls on_enable. A failed on_enable is logged and the App
// stays enabled. It returns the App's text from on_enable, or a sentence saying that the call
// failed. Enabling an enabled App does nothing and returns an empty text.
func (s *Service) Enable(ctx context.Context, actingUserID string, id apps.AppID) (string, error) {
	app, unlock, err := s.loadForChange(ctx, actingUserID, id, "enable")
	if err != nil {
		return "", err
	}
	defer unlock()

	// Enabling an enabled App changes nothing and does not call on_enable again.
	if !app.Disabled {
		return "", nil
	}
	app.Disabled = false
	if err = s.store.SaveApp(app); err != nil {
		return "", errors.Wrapf(err, "failed to enable app %s", id)
	}

	message := s.callLifecycleLogged(ctx, app, app.OnEnable, "on_enable", actingUserID, "enabled")
	s.log.Info("Enabled app", "app_id", id, "user_id", actingUserID, "version", app.Version)
	return message, nil
}

// Disable disables an App, calls on_disable and revokes the App's tokens. Webhooks to a disabled
// App are rejected. Its secret, bot and KV data are kept. A failed on_disable is logged and the App
// stays disabled. It returns the App's text from on_disable, or a sentence saying that the call
// failed. Disabling a disabled App returns an empty text and does not call on_disable again.
func (s *Service) Disable(ctx context.Context, actingUserID string, id apps.AppID) (string, error) {
	app, unlock, err := s.loadForChange(ctx, actingUserID, id, "disable")
	if err != nil {
		return "", err
	}
	defer unlock()

	// Disabling a disabled App only revokes its tokens again, which retries a revocation that
	// failed before.
	if app.Disabled {
		return "", s.revokeAppTokens(id)
	}
	app.Disabled = true
	if err = s.store.SaveApp(app); err != nil {
		return "", errors.Wrapf(err, "failed to disable app %s", id)
	}

	// on_disable runs before the revocation, so that the bot token in its context is revoked too.
	message := s.callLifecycleLogged(ctx, app, app.OnDisable, "on_disable", actingUserID, "disabled")
	if err = s.revokeAppTokens(id); err != nil {
		return "", errors.Wrapf(err, "app %s was disabled, but revoking its tokens failed", id)
	}

	s.log.Info("Disabled app", "app_id", id, "user_id", actingUserID, "version", app.Version)
	return message, nil
}

// loadForChange checks that the user is a system admin, locks the App and loads it.
func (s *Service) loadForChange(ctx context.Context, actingUserID string, id apps.AppID, action string) (*apps.App, func(), error) {
	if err := s.requireSystemAdmin(actingUserID); err != nil {
		return nil, nil, err
	}
	unlock, err := s.lockApp(ctx, id)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "failed to %s app %s", action, id)
	}
	app, err := s.store.GetApp(id)
	if err != nil {
		unlock()
		return nil, nil, errors.Wrapf(err, "failed to %s app %s", action, id)
	}
	return app, unlock, nil
}

func (s *Service) deactivateBot(app *apps.App) error {
	if app.BotUserID == "" {
		return nil
	}
	err := s.mm.UpdateBotActive(app.BotUserID, false)
	if err != nil && !errors.Is(err, apps.ErrNotFound) {
		return errors.Wrapf(err, "failed to deactivate the bot of app %s", app.AppID)
	}
	return nil
}

// callLifecycleLogged makes a lifecycle call whose failure must not stop the change that triggered
// it. A failure is logged at Warn and explained in the returned message. Otherwise it returns the
// App's text.
func (s *Service) callLifecycleLogged(ctx context.Context, app *apps.App, call *apps.Call, name, actingUserID, done string) string {
	if call == nil {
		return ""
	}
	text, err := s.callLifecycle(ctx, app, call, CallContext{ActingUserID: actingUserID})
	if err != nil {
		s.log.Warn("App lifecycle call failed", "app_id", app.AppID, "call", name, "error", err.Error())
		return fmt.Sprintf("App %s was %s, but its %s call failed: %s", app.AppID, done, name, err.Error())
	}
	return text
}

// callLifecycle sends a lifecycle call to the App and returns the App's text. A response of type
// "error" becomes an *appFailure with the App's text.
func (s *Service) callLifecycle(ctx context.Context, app *apps.App, call *apps.Call, cc CallContext) (string, error) {
	creq, err := s.NewCallRequest(ctx, app, *call, cc)
	if err != nil {
		return "", err
	}

	ctx, cancel := context.WithTimeout(ctx, lifecycleCallTimeout)
	defer cancel()
	resp, err := s.upstream.Call(ctx, app, creq, cc.ActingUserID)
	if err != nil {
		return "", err
	}
	if resp.IsError() {
		return "", &appFailure{text: resp.Text}
	}
	return resp.Text, nil
}
