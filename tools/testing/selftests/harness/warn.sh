#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: see splat.sh and tools/testing/harness-check.sh.
source "$(dirname "$0")/splat.sh"
