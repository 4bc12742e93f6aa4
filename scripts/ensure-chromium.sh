#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright's own browser download
# is not possible offline). Install it when missing and we are root; otherwise
# say exactly what to do.
set -euo pipefail
# gettext: the catalogue test runs makemessages (tests/directory/test_parents_i18n.py).
if [ -x /usr/bin/chromium ] && command -v xgettext >/dev/null; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium and gettext for the tests..."
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core gettext
else
  echo "The tests need /usr/bin/chromium and gettext: run 'sudo apt-get install chromium gettext' (Debian/Ubuntu)," >&2
  echo "or run the other tests with: make test PYTEST_ARGS='-m \"not browser\"'" >&2
  exit 1
fi
