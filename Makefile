# Build, test and run the Apps plugin. Every target works on a fresh machine of this kind
# (Debian 12, Go 1.26, root); `make help` lists them.

GO ?= go
PLUGIN_ID := $(shell $(GO) run ./build/manifest -field id)
PLUGIN_VERSION := $(shell $(GO) run ./build/manifest -field version)
BUNDLE := dist/$(PLUGIN_ID)-$(PLUGIN_VERSION).tar.gz
# Server binaries in the bundle, as GOOS-GOARCH pairs. `make dist PLATFORMS=linux-amd64` builds one.
PLATFORMS ?= linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

.PHONY: manifest
manifest: ## Regenerate server/manifest.go from plugin.json.
	$(GO) run ./build/manifest

.PHONY: server
server: ## Build the server binaries for PLATFORMS into server/dist.
	$(GO) run ./build/manifest -check
	@mkdir -p server/dist
	@for platform in $(PLATFORMS); do \
		os=$${platform%-*}; arch=$${platform#*-}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "go build $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w' \
			-o server/dist/plugin-$$os-$$arch$$ext ./server || exit 1; \
	done

.PHONY: dist
dist: server ## Build the bundle dist/<id>-<version>.tar.gz that admins upload.
	rm -rf dist/stage && mkdir -p dist/stage/$(PLUGIN_ID)/server
	cp plugin.json dist/stage/$(PLUGIN_ID)/
	cp -r assets dist/stage/$(PLUGIN_ID)/
	cp -r server/dist dist/stage/$(PLUGIN_ID)/server/
	tar -C dist/stage -czf $(BUNDLE) $(PLUGIN_ID)
	rm -rf dist/stage
	@echo "bundle: $(BUNDLE)"

.PHONY: unit
unit: ## Run go vet and the unit tests with the race detector.
	$(GO) run ./build/manifest -check
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

.PHONY: e2e
e2e: dist ## Run the end-to-end tests against a real Mattermost server and PostgreSQL on 127.0.0.1.
	bash build/e2e.sh $(BUNDLE)

.PHONY: test
test: unit e2e ## Run every test: unit, then end to end.

.PHONY: demo
demo: ## Start Mattermost with the plugin and the sample App, and deliver a real webhook.
	$(MAKE) dist PLATFORMS=linux-amd64
	bash build/demo.sh $(BUNDLE)

.PHONY: bench
bench: ## Measure the webhook route against the plugin's cheapest route on a real server.
	$(MAKE) dist PLATFORMS=linux-amd64
	bash build/bench.sh $(BUNDLE)

.PHONY: stop
stop: ## Stop the local Mattermost server, PostgreSQL and the sample App started by demo or e2e.
	bash build/mmserver/stop.sh

.PHONY: clean
clean: ## Remove build outputs (not the cached Mattermost server).
	rm -rf dist server/dist
