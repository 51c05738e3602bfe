# SPDX-License-Identifier: GPL-2.0
#
# The part of the kernel's tools/testing/selftests/lib.mk that the project's
# out-of-tree suites use. A suite's Makefile sets TEST_PROGS (and TEST_FILES)
# and includes this file; `make -s -C SUITE emit_tests` lists the tests as
# "collection:test" lines, as in the kernel.

COLLECTION := $(notdir $(CURDIR))

all:

emit_tests:
	@for TEST in $(TEST_PROGS); do echo "$(COLLECTION):$$(basename $$TEST)"; done

.PHONY: all emit_tests
