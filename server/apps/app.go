package apps

// App is the record of an installed App: its manifest, what the admin granted, and what the plugin
// created for it. The JSON field names follow the original Apps plugin's App record.
type App struct {
	Manifest

	DeployType         DeployType  `json:"deploy_type"`
	Disabled           bool        `json:"disabled,omitempty"`
	GrantedPermissions Permissions `json:"granted_permissions,omitempty"`
	GrantedLocations   Locations   `json:"granted_locations,omitempty"`

	BotUserID   string `json:"bot_user_id,omitempty"`
	BotUsername string `json:"bot_username,omitempty"`

	// WebhookSecret authenticates webhook requests. It is kept across reinstall and upgrade.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// JWTSecret signs the JWT of calls to Apps that set http.use_jwt. The original plugin stored it
	// as "secret".
	JWTSecret string `json:"secret,omitempty"`

	// InstalledBy is the id of the system admin who last installed the App.
	InstalledBy string `json:"installed_by,omitempty"`
	// InstalledAt is the time of the last install, in milliseconds since the Unix epoch.
	InstalledAt int64 `json:"installed_at,omitempty"`
}

// AcceptsWebhooks reports whether the App was granted the permissions that webhook delivery needs.
func (a *App) AcceptsWebhooks() bool {
	return a.GrantedPermissions.Contains(PermissionRemoteWebhooks) && a.GrantedPermissions.Contains(PermissionActAsBot)
}

// Sanitized returns a copy of the App without its secrets, for users who are not system admins.
func (a *App) Sanitized() *App {
	clone := *a
	clone.WebhookSecret = ""
	clone.JWTSecret = ""
	return &clone
}
