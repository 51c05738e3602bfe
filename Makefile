# SPDX-License-Identifier: GPL-2.0
#
# The project's entry points; see README.md. Kbuild (not this file) describes
# the modules when the kernel's build system descends here (M=).

SHELL := /bin/bash
BUILD := tools/build
TESTING := tools/testing

.PHONY: all setup kernel modules check demo vm patches bench fuzz clean help

all: modules

help:
	@echo "make check    install, build, and run every test (host + VM)"
	@echo "make demo     boot the VM and show the modules at work"
	@echo "make vm       interactive shell in the VM with modules and tests"
	@echo "make modules  build the modules against the cached test kernel"
	@echo "make kernel   build the patched test kernel (cached)"
	@echo "make patches  write rust/ as a git format-patch series (OUT=dir)"
	@echo "make bench    build the non-debug kernel and run the benchmarks"
	@echo "make fuzz     fuzz the no_std codecs on the host (FUZZ_SECONDS=60)"
	@echo "make setup    install and check the toolchain and VM tools"

setup:
	$(BUILD)/setup.sh

kernel: setup
	$(BUILD)/kernel.sh test

modules: kernel
	$(BUILD)/modules.sh test

check:
	$(TESTING)/check.sh

demo:
	$(TESTING)/demo.sh

vm: modules
	$(TESTING)/vm.sh

patches: setup
	$(BUILD)/make-patches.sh $(or $(OUT),patches)

bench:
	tools/bench/run.sh

fuzz:
	tools/fuzz.sh

clean:
	-$(BUILD)/modules.sh test clean
	rm -rf tools/target
