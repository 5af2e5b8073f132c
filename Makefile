# Build and install git-autofix. `make install PREFIX=/usr/local DESTDIR=...`
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man/man1
SWIFT ?= swift
BUILD_FLAGS ?= -c release

.PHONY: all build install uninstall test clean

all: build

build:
	$(SWIFT) build $(BUILD_FLAGS) --product git-autofix

install: build
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 0755 "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/git-autofix" "$(DESTDIR)$(BINDIR)/git-autofix"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/git-autofix"

test:
	$(SWIFT) test --disable-swift-testing

clean:
	rm -rf .build
