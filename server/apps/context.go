package apps

import (
	"github.com/mattermost/mattermost/server/public/model"
)

// Context is the context of a call: the ids the plugin always sends, and the fields expanded at the
// call's request.
type Context struct {
	AppID             AppID  `json:"app_id"`
	MattermostSiteURL string `json:"mattermost_site_url"`
	AppPath           string `json:"app_path"`
	BotUserID         string `json:"bot_user_id,omitempty"`
	BotAccessToken    string `json:"bot_access_token,omitempty"`
	DeveloperMode     bool   `json:"developer_mode,omitempty"`

	ActingUserID string `json:"acting_user_id,omitempty"`
	ChannelID    string `json:"channel_id,omitempty"`
	TeamID       string `json:"team_id,omitempty"`

	App                   *ExpandedApp   `json:"app,omitempty"`
	ActingUser            *model.User    `json:"acting_user,omitempty"`
	ActingUserAccessToken string         `json:"acting_user_access_token,omitempty"`
	Channel               *model.Channel `json:"channel,omitempty"`
	Team                  *model.Team    `json:"team,omitempty"`
	Locale                string         `json:"locale,omitempty"`
}

// ExpandedApp is the App as a call's context shows it. WebhookSecret is filled only at the summary
// and all levels, and only when the acting user is a system admin.
type ExpandedApp struct {
	AppID         AppID      `json:"app_id"`
	Version       AppVersion `json:"version,omitempty"`
	BotUserID     string     `json:"bot_user_id,omitempty"`
	BotUsername   string     `json:"bot_username,omitempty"`
	DeployType    DeployType `json:"deploy_type,omitempty"`
	WebhookSecret string     `json:"webhook_secret,omitempty"`
}
