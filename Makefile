# Build and install git-autofix: `make install PREFIX=/usr/local DESTDIR=...`.
# Installs the binary, the man page (so `git help autofix` works), bash/zsh/fish completions and
# the pre-push hook script that `git autofix hook install` points hooks at.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man/man1
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
# `git autofix hook install` looks for the script here, relative to the installed binary.
HOOKDIR = $(DATADIR)/git-autofix/hooks
SWIFT ?= swift
BUILD_FLAGS ?= -c release
# Install this already built binary instead of building one (packaging, tests).
BINARY ?=

.PHONY: all build install uninstall test demo lint-man clean

all: build

build:
ifeq ($(BINARY),)
	$(SWIFT) build $(BUILD_FLAGS) --product git-autofix
endif

install: build
	@set -e; \
	bin="$(BINARY)"; \
	if [ -z "$$bin" ]; then bin="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/git-autofix"; fi; \
	set -x; \
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(HOOKDIR)" \
		"$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)" "$(DESTDIR)$(FISHCOMPDIR)"; \
	install -m 0755 "$$bin" "$(DESTDIR)$(BINDIR)/git-autofix"; \
	install -m 0644 man/git-autofix.1 "$(DESTDIR)$(MANDIR)/git-autofix.1"; \
	install -m 0755 hooks/pre-push "$(DESTDIR)$(HOOKDIR)/pre-push"; \
	{ "$$bin" --generate-completion-script bash; cat completions/git-subcommand.bash; } >"$(DESTDIR)$(BASHCOMPDIR)/git-autofix"; \
	"$$bin" --generate-completion-script zsh >"$(DESTDIR)$(ZSHCOMPDIR)/_git-autofix"; \
	"$$bin" --generate-completion-script fish >"$(DESTDIR)$(FISHCOMPDIR)/git-autofix.fish"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/git-autofix" "$(DESTDIR)$(MANDIR)/git-autofix.1" "$(DESTDIR)$(HOOKDIR)/pre-push" \
		"$(DESTDIR)$(BASHCOMPDIR)/git-autofix" "$(DESTDIR)$(ZSHCOMPDIR)/_git-autofix" \
		"$(DESTDIR)$(FISHCOMPDIR)/git-autofix.fish"
	-rmdir "$(DESTDIR)$(HOOKDIR)" "$(DESTDIR)$(DATADIR)/git-autofix" 2>/dev/null

# The README's test command; .ci/run calls this.
test:
	$(SWIFT) test --disable-swift-testing

# git autofix end to end with the local model on a sample repository with a failing test
# (scripts/demo); everything it starts or makes is gone afterwards, also after Ctrl-C.
demo: build
	@bin="$(BINARY)"; \
	if [ -z "$$bin" ]; then bin="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/git-autofix"; fi; \
	scripts/demo "$$bin"

lint-man:
	mandoc -T lint -W warning man/git-autofix.1

clean:
	rm -rf .build
