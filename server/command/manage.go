package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// lifecycleOperation is Installer.Uninstall, Enable or Disable.
type lifecycleOperation func(ctx context.Context, actingUserID string, id apps.AppID) (string, error)

// runLifecycle runs /apps uninstall|enable|disable <app_id>. verb is the subcommand.
func (h *Handler) runLifecycle(ctx context.Context, args *model.CommandArgs, verb string, fields []string) string {
	if !h.installer.IsSystemAdmin(args.UserId) {
		return fmt.Sprintf("Only system admins can %s Apps.", verb)
	}
	if len(fields) != 1 {
		return fmt.Sprintf("Usage: `/apps %s <app_id>`.", verb)
	}
	appID := apps.AppID(fields[0])

	operations := map[string]struct {
		run  lifecycleOperation
		done string
	}{
		"uninstall": {h.installer.Uninstall, "Uninstalled"},
		"enable":    {h.installer.Enable, "Enabled"},
		"disable":   {h.installer.Disable, "Disabled"},
	}
	operation := operations[verb]

	appText, err := operation.run(ctx, args.UserId, appID)
	if err != nil {
		return fmt.Sprintf("Failed to %s App %s: %s", verb, code(string(appID)), err)
	}
	text := fmt.Sprintf("%s App %s.", operation.done, code(string(appID)))
	if appText != "" {
		text += "\n\nThe App's message:\n" + quote(appText)
	}
	return text
}

// list runs /apps list: a table of the installed Apps.
func (h *Handler) list() string {
	installed, err := h.store.ListApps()
	if err != nil {
		h.log.Error("failed to list apps", "error", err.Error())
		return "Failed to list the installed Apps: " + err.Error()
	}
	if len(installed) == 0 {
		return "No Apps are installed. Install one with `/apps install http <manifest_url>`."
	}

	var b strings.Builder
	b.WriteString("| App ID | Version | Status | Bot |\n")
	b.WriteString("|:--|:--|:--|:--|\n")
	for _, app := range installed {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", code(string(app.AppID)), app.Version, status(app), botMention(app))
	}
	return b.String()
}

// info runs /apps info <app_id>. Only system admins see the webhook URL with its secret.
func (h *Handler) info(args *model.CommandArgs, fields []string) string {
	if len(fields) != 1 {
		return "Usage: `/apps info <app_id>`."
	}
	appID := apps.AppID(fields[0])

	app, err := h.store.GetApp(appID)
	if errors.Is(err, apps.ErrNotFound) {
		return fmt.Sprintf("App %s is not installed. Run `/apps list` to see the installed Apps.", code(string(appID)))
	}
	if err != nil {
		h.log.Error("failed to load app", "app_id", string(appID), "error", err.Error())
		return fmt.Sprintf("Failed to load App %s: %s", code(string(appID)), err)
	}

	isAdmin := h.installer.IsSystemAdmin(args.UserId)
	var b strings.Builder
	fmt.Fprintf(&b, "#### App %q\n", app.DisplayName)
	fmt.Fprintf(&b, "- App ID: %s\n", code(string(app.AppID)))
	if app.Version != "" {
		fmt.Fprintf(&b, "- Version: %s\n", code(string(app.Version)))
	}
	fmt.Fprintf(&b, "- Status: %s\n", status(app))
	fmt.Fprintf(&b, "- Bot account: %s\n", botMention(app))
	if app.HTTP != nil {
		fmt.Fprintf(&b, "- Root URL: %s\n", app.HTTP.RootURL)
	}
	fmt.Fprintf(&b, "- Granted permissions: %s\n", joinPermissions(app.GrantedPermissions))
	b.WriteString(h.describeWebhook(app, isAdmin))
	return b.String()
}

// describeWebhook shows the App's webhook authentication and URL. The URL carries the secret
// only when isAdmin is true.
func (h *Handler) describeWebhook(app *apps.App, isAdmin bool) string {
	if !app.AcceptsWebhooks() {
		return "- Webhooks: not accepted, because the App was not granted both `remote_webhooks` and `act_as_bot`.\n"
	}

	var b strings.Builder
	webhookURL := apps.WebhookURL(h.settings().SiteURL, app.AppID)
	requiresSecret := app.RemoteWebhookAuthType.RequiresSecret()
	if requiresSecret {
		b.WriteString("- Webhook authentication: `secret`\n")
	} else {
		b.WriteString("- Webhook authentication: `none`: anyone who knows the URL can send webhooks to the App\n")
	}

	switch {
	case requiresSecret && isAdmin && app.WebhookSecret != "":
		fmt.Fprintf(&b, "- Webhook URL: `%s?secret=%s`\n", webhookURL, app.WebhookSecret)
		b.WriteString("  Keep this URL private: anyone who has it can send webhooks to the App. Senders may add a sub path after `/webhook`.\n")
	case requiresSecret && !isAdmin:
		fmt.Fprintf(&b, "- Webhook URL: `%s`\n", webhookURL)
		fmt.Fprintf(&b, "  Requests must add the App's secret as `?secret=<secret>`. A system admin can see it with `/apps info %s`.\n", app.AppID)
	default:
		fmt.Fprintf(&b, "- Webhook URL: `%s`\n", webhookURL)
	}
	if app.Disabled {
		fmt.Fprintf(&b, "\nThe App is disabled, so webhooks to it are refused. Enable it with `/apps enable %s`.\n", app.AppID)
	}
	return b.String()
}

func status(app *apps.App) string {
	if app.Disabled {
		return "disabled"
	}
	return "enabled"
}

func botMention(app *apps.App) string {
	if app.BotUsername == "" {
		return "none"
	}
	return "@" + app.BotUsername
}
