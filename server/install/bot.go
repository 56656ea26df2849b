package install

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Bot usernames.
const (
	// fallbackUsernameSuffix makes the second-choice username when a person already uses the first.
	fallbackUsernameSuffix = "-app"
	// usernamePrefix starts the username of an App whose lower-case id does not start with a letter,
	// as the Mattermost web app requires of usernames, or is a name the server rejects, such as "all".
	usernamePrefix = "app-"
)

// botChange records what Install did to the App's bot, so that a failed install can undo it.
type botChange struct {
	bot         *model.Bot
	before      *model.Bot // the bot before this install changed it, or nil when this install created it
	created     bool
	reactivated bool
}

// botUsernames returns the usernames to try for an App's bot, in order: the lower-case App id,
// then the same with "-app" appended.
func botUsernames(id apps.AppID) []string {
	username := strings.ToLower(string(id))
	if !startsWithLetter(username) || !model.IsValidUsername(username) {
		username = usernamePrefix + username
	}
	return []string{username, username + fallbackUsernameSuffix}
}

func startsWithLetter(text string) bool {
	return text != "" && text[0] >= 'a' && text[0] <= 'z'
}

// ensureBot finds, reactivates or creates the App's bot and sets its display name and description
// from the manifest.
func (s *Service) ensureBot(m *apps.Manifest, previous *apps.App) (*botChange, error) {
	if previous != nil && previous.BotUserID != "" {
		bot, err := s.mm.GetBot(previous.BotUserID)
		switch {
		case err == nil && bot.OwnerId == apps.PluginID:
			return s.reuseBot(bot, m)
		case err != nil && !errors.Is(err, apps.ErrNotFound):
			return nil, errors.Wrapf(err, "failed to get the bot of app %s", m.AppID)
		}
	}

	usernames := botUsernames(m.AppID)
	for _, username := range usernames {
		change, err := s.claimUsername(username, m)
		if err != nil || change != nil {
			return change, err
		}
	}
	message := fmt.Sprintf("cannot create a bot account for app %s because the usernames @%s and @%s belong to other users: rename one of them in System Console > Users, then install again",
		m.AppID, usernames[0], usernames[1])
	return nil, newUserError(message, apps.ErrConflict, nil)
}

// claimUsername creates the bot under username, or reuses the bot of this plugin that has it. It
// returns nil and no error when someone else has the username.
func (s *Service) claimUsername(username string, m *apps.Manifest) (*botChange, error) {
	user, err := s.mm.GetUserByUsername(username)
	if errors.Is(err, apps.ErrNotFound) {
		return s.createBot(username, m)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "failed to look up username @%s for the bot of app %s", username, m.AppID)
	}
	if !user.IsBot {
		return nil, nil
	}

	bot, err := s.mm.GetBot(user.Id)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to get bot @%s for app %s", username, m.AppID)
	}
	if bot.OwnerId != apps.PluginID {
		return nil, nil
	}
	inUse, err := s.botUsedByOtherApp(bot.UserId, m.AppID)
	if err != nil || inUse {
		return nil, err
	}
	return s.reuseBot(bot, m)
}

// botUsedByOtherApp reports whether another installed App owns the bot. App ids that differ only
// in case map to the same username, and they must not share a bot.
func (s *Service) botUsedByOtherApp(botUserID string, id apps.AppID) (bool, error) {
	installed, err := s.store.ListApps()
	if err != nil {
		return false, errors.Wrap(err, "failed to list installed apps")
	}
	for _, app := range installed {
		if app.AppID != id && app.BotUserID == botUserID {
			return true, nil
		}
	}
	return false, nil
}

func (s *Service) createBot(username string, m *apps.Manifest) (*botChange, error) {
	bot, err := s.mm.CreateBot(&model.Bot{
		Username:    username,
		DisplayName: botDisplayName(m),
		Description: botDescription(m),
	})
	if err != nil {
		return nil, errors.Wrapf(err, "failed to create bot @%s for app %s", username, m.AppID)
	}
	return &botChange{bot: bot, created: true}, nil
}

// reuseBot reactivates the bot when it is deactivated and updates its display name and
// description.
func (s *Service) reuseBot(bot *model.Bot, m *apps.Manifest) (*botChange, error) {
	before := *bot
	change := &botChange{bot: bot, before: &before}

	if bot.DeleteAt != 0 {
		if err := s.mm.UpdateBotActive(bot.UserId, true); err != nil {
			return nil, errors.Wrapf(err, "failed to reactivate bot @%s of app %s", bot.Username, m.AppID)
		}
		change.reactivated = true
	}

	displayName, description := botDisplayName(m), botDescription(m)
	if bot.DisplayName == displayName && bot.Description == description {
		return change, nil
	}
	patched, err := s.mm.PatchBot(bot.UserId, &model.BotPatch{DisplayName: &displayName, Description: &description})
	if err != nil {
		s.undoBotChange(m.AppID, change)
		return nil, errors.Wrapf(err, "failed to update bot @%s of app %s", bot.Username, m.AppID)
	}
	change.bot = patched
	return change, nil
}

// undoBotChange deactivates a bot that the install created or reactivated and restores the display
// name and description it had. Failures are logged, because the caller is already failing.
func (s *Service) undoBotChange(id apps.AppID, change *botChange) {
	botUserID := change.bot.UserId
	if change.created || change.reactivated {
		if err := s.mm.UpdateBotActive(botUserID, false); err != nil {
			s.log.Error("Failed to deactivate the bot of a failed install", "app_id", id, "user_id", botUserID, "error", err.Error())
		}
	}
	if change.before == nil {
		return
	}
	if change.before.DisplayName == change.bot.DisplayName && change.before.Description == change.bot.Description {
		return
	}
	patch := &model.BotPatch{DisplayName: &change.before.DisplayName, Description: &change.before.Description}
	if _, err := s.mm.PatchBot(botUserID, patch); err != nil {
		s.log.Error("Failed to restore the bot of a failed install", "app_id", id, "user_id", botUserID, "error", err.Error())
	}
}

// botDisplayName fits the manifest's display name into Mattermost's limit for bots.
func botDisplayName(m *apps.Manifest) string {
	return truncateRunes(strings.TrimSpace(m.DisplayName), model.BotDisplayNameMaxRunes)
}

func botDescription(m *apps.Manifest) string {
	return truncateRunes(m.Description, model.BotDescriptionMaxRunes)
}

func truncateRunes(text string, maxRunes int) string {
	if utf8.RuneCountInString(text) <= maxRunes {
		return text
	}
	return string([]rune(text)[:maxRunes])
}
